"""Writes of workshops and events, each in one transaction. Sections are appended per
capability: registrations and the waitlist; events and sessions; children, attendance."""

from __future__ import annotations

import io
import logging
import secrets
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import Path
from typing import NamedTuple

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import JSONField, Q
from django.utils import formats, timezone, translation
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fabreck.core.secrets import secret_digest
from fabreck.core.sql import prepared_cursor
from fabreck.events import mail as events_mail
from fabreck.events.models import (
    CHILDREN_KINDS,
    CLUSTER_KINDS,
    LIVE_STATUSES,
    Attendance,
    Audience,
    Child,
    Event,
    EventKind,
    EventStatus,
    Registration,
    RegistrationKind,
    RegistrationNotice,
    RegistrationStatus,
    School,
    Session,
    SessionStatus,
    TicketCategory,
)
from fabreck.events.selectors import (
    session_for_update,
    user_is_cluster_member,
    user_manages_event,
)

User = get_user_model()


# --- children's profiles, their data, attendance (evkids) ---------------------------------
# A guardian keeps the profiles of their children; they export them and delete them (the
# record is anonymised: what names the child goes, what statistics count stays). Profiles
# nobody used for the retention period are anonymised by a daily job. Staff of a session
# record who came, and for a training who passed (which authorises the FabLab course).


CHILD_MAX_YEARS = 18  # a profile is for a minor: born less than 18 years ago
# Present may be recorded from this long before the start (children arrive early).
CHECK_IN_OPENS_BEFORE = timedelta(hours=1)


def _ensure_guardian(user: User) -> None:
    if not (user.is_authenticated and user.has_perm("accounts.register_children")):
        raise PermissionDenied(_("Only guardians may keep children's profiles."))


def _ensure_child_of(child: Child, guardian: User) -> None:
    if child.anonymised_at is not None or child.guardian_id != guardian.pk:
        raise PermissionDenied(_("This is not the profile of one of your children."))


def _child_checked(*, first_name: str, birth_date: date | None, today: date) -> str:
    errors: dict[str, str] = {}
    first_name = (first_name or "").strip()
    if not first_name:
        errors["first_name"] = _("Give the child's first name.")
    elif len(first_name) > 80:
        errors["first_name"] = _("The first name may be at most 80 characters long.")
    if birth_date is None:
        errors["birth_date"] = _("Give the child's birth date.")
    elif birth_date > today:
        errors["birth_date"] = _("The birth date cannot be in the future.")
    elif birth_date <= today - relativedelta(years=CHILD_MAX_YEARS):
        errors["birth_date"] = _(
            "Children's profiles are for children under %(years)s: this birth date is "
            "%(years)s or more years ago."
        ) % {"years": CHILD_MAX_YEARS}
    if errors:
        raise ValidationError(errors)
    return first_name


def child_create(
    *,
    guardian: User,
    first_name: str,
    birth_date: date | None,
    commune=None,
    photo_consent: bool = False,
    pickup_persons: str = "",
    notes: str = "",
) -> Child:
    """A guardian adds a child's profile: first name and birth date (not in the future, under
    18), commune of residence, consents and notes for the staff."""
    _ensure_guardian(guardian)
    first_name = _child_checked(
        first_name=first_name, birth_date=birth_date, today=timezone.localdate()
    )
    with transaction.atomic():
        return Child.objects.create(
            guardian=guardian,
            first_name=first_name,
            birth_date=birth_date,
            commune=commune,
            photo_consent=bool(photo_consent),
            pickup_persons=(pickup_persons or "").strip(),
            notes=(notes or "").strip(),
        )


def _upcoming_live(child: Child, now: datetime):
    return (
        Registration.objects.filter(
            child=child,
            status__in=LIVE_STATUSES,
            session__ends_at__gt=now,
            session__status="scheduled",
        )
        .select_related("session__event")
        .order_by("session__starts_at", "pk")
    )


def _session_label(session: Session) -> str:
    moment = timezone.localtime(session.starts_at)
    return _("%(event)s on %(date)s") % {
        "event": session.event.title,
        "date": formats.date_format(moment, "DATETIME_FORMAT"),
    }


def child_update(
    *,
    guardian: User,
    child: Child,
    first_name: str,
    birth_date: date | None,
    commune=None,
    photo_consent: bool = False,
    pickup_persons: str = "",
    notes: str = "",
) -> Child:
    """The guardian corrects a profile. A new birth date moves the age kept on the child's
    upcoming registrations; it is refused when it would put the child outside the ages of
    a workshop they are registered for (cancel that registration first)."""
    _ensure_guardian(guardian)
    first_name = _child_checked(
        first_name=first_name, birth_date=birth_date, today=timezone.localdate()
    )
    with transaction.atomic():
        child = Child.objects.select_for_update().get(pk=child.pk)
        _ensure_child_of(child, guardian)
        if birth_date != child.birth_date:
            upcoming = list(_upcoming_live(child, timezone.now()))
            child.birth_date = birth_date
            problems = []
            for registration in upcoming:
                age = child.age_on(timezone.localtime(registration.session.starts_at).date())
                event = registration.session.event
                if not event.age_accepts(age):
                    problems.append(
                        _("%(name)s would be %(age)s at %(session)s, outside its ages.")
                        % {
                            "name": first_name,
                            "age": age,
                            "session": _session_label(registration.session),
                        }
                    )
                registration.child_age = age
            if problems:
                raise ValidationError(
                    {
                        "birth_date": [
                            *problems,
                            _("Cancel that registration first, then correct the birth date."),
                        ]
                    },
                    code="age_range",
                )
            for registration in upcoming:
                registration.save(update_fields=["child_age", "updated_at"])
        child.first_name = first_name
        child.birth_date = birth_date
        child.commune = commune
        child.photo_consent = bool(photo_consent)
        child.pickup_persons = (pickup_persons or "").strip()
        child.notes = (notes or "").strip()
        child.save()
    return child


def _children_anonymise(child_ids: Iterable[int], *, now: datetime) -> int:
    """Blank what names these children (and who registered them); keep birth year, commune
    and their registrations (ages on the day, attendance) for statistics."""
    child_ids = list(child_ids)
    if not child_ids:
        return 0
    count = Child.objects.filter(pk__in=child_ids, anonymised_at__isnull=True).update(
        first_name="",
        birth_date=None,
        guardian=None,
        pickup_persons="",
        notes="",
        anonymised_at=now,
        updated_at=now,
    )
    Registration.objects.filter(child_id__in=child_ids).update(registered_by=None)
    return count


def child_delete(*, guardian: User, child: Child) -> Child:
    """The guardian deletes a child's data. The profile is anonymised at once so that the
    workshops' statistics keep counting the child. Refused while the child holds a place in
    an upcoming session (the guardian cancels those registrations first)."""
    _ensure_guardian(guardian)
    now = timezone.now()
    with transaction.atomic():
        child = Child.objects.select_for_update().get(pk=child.pk)
        _ensure_child_of(child, guardian)
        upcoming = list(_upcoming_live(child, now))
        if upcoming:
            raise ValidationError(
                _(
                    "%(name)s is still registered for: %(sessions)s. Cancel these "
                    "registrations first, then delete the profile."
                )
                % {
                    "name": child.first_name,
                    "sessions": "; ".join(_session_label(r.session) for r in upcoming),
                },
                code="still_registered",
            )
        _children_anonymise([child.pk], now=now)
        child.refresh_from_db()
    return child


def children_anonymise_expired(*, now: datetime | None = None, months: int | None = None) -> int:
    """Anonymise the children whose last session (of any registration) ended more than
    `months` ago, and those never registered whose profile is older than that. Returns how
    many were anonymised. Runs daily (Celery beat) and as `fabreck events_children_anonymise`."""
    from django.db.models import Max, Q

    now = now or timezone.now()
    if months is None:
        months = settings.EVENTS_CHILD_RETENTION_MONTHS
    cutoff = now - relativedelta(months=months)
    expired = (
        Child.objects.filter(anonymised_at__isnull=True)
        .annotate(last_end=Max("registrations__session__ends_at"))
        .filter(Q(last_end__lt=cutoff) | Q(last_end__isnull=True, created_at__lt=cutoff))
        .values_list("pk", flat=True)
        .order_by("pk")
    )
    ids = list(expired)
    anonymised = 0
    for start in range(0, len(ids), 500):
        with transaction.atomic():
            anonymised += _children_anonymise(ids[start : start + 500], now=now)
    return anonymised


# Attendance --------------------------------------------------------------------------------


def _ensure_runs(by: User, event: Event) -> None:
    if not user_manages_event(user=by, event=event):
        raise PermissionDenied(_("Only the staff of this event may record attendance."))


def _registration_locked(registration: Registration) -> Registration:
    return (
        Registration.objects.select_for_update(of=("self",))
        .select_related("session__event__course", "session__event__site", "attendee")
        .get(pk=registration.pk)
    )


def attendance_record(
    *, registration: Registration, by: User, attendance: str, now: datetime | None = None
) -> Registration:
    """Staff record that a confirmed attendee came (present: checked in now), did not come
    (no-show), or undo a mistake (unknown). Present is accepted from an hour before the
    start; no-show once the session has started."""
    now = now or timezone.now()
    _ensure_runs(by, registration.session.event)
    if attendance not in Attendance.values:
        raise ValidationError(
            {"attendance": _("Choose present, no-show or not yet recorded.")}, code="invalid"
        )
    with transaction.atomic():
        registration = _registration_locked(registration)
        session = registration.session
        if session.status != "scheduled":
            raise ValidationError(
                _("This session was cancelled: nobody attends it."), code="cancelled"
            )
        if registration.status != RegistrationStatus.CONFIRMED:
            raise ValidationError(
                _("Only confirmed registrations have an attendance: this one is “%(status)s”.")
                % {"status": registration.get_status_display()},
                code="not_confirmed",
            )
        if attendance == Attendance.PRESENT and session.starts_at - CHECK_IN_OPENS_BEFORE > now:
            raise ValidationError(
                _("Check-in opens an hour before the session starts."), code="too_early"
            )
        if attendance == Attendance.NO_SHOW and session.starts_at > now:
            raise ValidationError(
                _("A no-show can be recorded once the session has started."), code="not_started"
            )
        if attendance != Attendance.PRESENT and registration.passed:
            raise ValidationError(
                _("This attendee passed the training: record that they did not pass first."),
                code="passed",
            )
        if registration.attendance == attendance:
            return registration
        registration.attendance = attendance
        registration.checked_in_at = now if attendance == Attendance.PRESENT else None
        registration.save(update_fields=["attendance", "checked_in_at", "updated_at"])
    return registration


def session_no_shows_mark(*, session: Session, by: User, now: datetime | None = None) -> int:
    """Once a session has started, the confirmed attendees nobody checked in are no-shows.
    Returns how many were marked."""
    now = now or timezone.now()
    _ensure_runs(by, session.event)
    if session.status != "scheduled":
        raise ValidationError(_("This session was cancelled: nobody attends it."), code="cancelled")
    if session.starts_at > now:
        raise ValidationError(
            _("No-shows can be recorded once the session has started."), code="not_started"
        )
    with transaction.atomic():
        return Registration.objects.filter(
            session=session, status=RegistrationStatus.CONFIRMED, attendance=Attendance.UNKNOWN
        ).update(attendance=Attendance.NO_SHOW, updated_at=now)


def _in_language(user: User, text_of) -> str:
    with translation.override(user.preferred_language):
        return str(text_of())


def training_result_record(
    *, registration: Registration, by: User, passed: bool, evidence: str = ""
) -> Registration:
    """Staff record whether an attendee passed a training. A pass records the FabLab
    authorisation of the event's course for the attendee (issued by `by`, dated the session's
    start, expiring after the course's validity); correcting a pass to a fail revokes it."""
    from fabreck.fablab.models import Authorisation
    from fabreck.fablab.services import authorisation_grant, authorisation_revoke

    event = registration.session.event
    _ensure_runs(by, event)
    if event.kind != Event.Kind.TRAINING or event.course_id is None:
        raise ValidationError(_("Only trainings have a result."), code="not_training")
    if event.site_id is None:
        raise ValidationError(
            _("This training is not held at a FabLab site: it cannot authorise machines."),
            code="no_site",
        )
    with transaction.atomic():
        registration = _registration_locked(registration)
        session = registration.session
        if registration.status != RegistrationStatus.CONFIRMED:
            raise ValidationError(
                _("Only confirmed registrations have a result: this one is “%(status)s”.")
                % {"status": registration.get_status_display()},
                code="not_confirmed",
            )
        if session.starts_at > timezone.now():
            raise ValidationError(
                _("Results are recorded once the session has started."), code="not_started"
            )
        maker = registration.attendee
        if registration.kind != Registration.Kind.ADULT or maker is None:
            raise ValidationError(
                _("This attendee has no account: no authorisation can be recorded."),
                code="no_account",
            )
        passed = bool(passed)
        if registration.passed is passed:
            return registration
        day = timezone.localtime(session.starts_at).date()
        if passed:
            text = _in_language(
                maker,
                lambda: (
                    _("Passed the training “%(event)s” on %(date)s")
                    % {"event": event.title, "date": formats.date_format(day, "DATE_FORMAT")}
                ),
            )
            if evidence.strip():
                text = f"{text}. {evidence.strip()}"
            authorisation_grant(
                user=maker,
                course=event.course,
                by=by,
                site=event.site,
                evidence=text,
                issued_at=session.starts_at,
            )
            if registration.attendance != Attendance.PRESENT:
                registration.attendance = Attendance.PRESENT
                registration.checked_in_at = registration.checked_in_at or timezone.now()
        elif registration.passed:
            reason = _in_language(
                maker,
                lambda: (
                    _("The result of the training “%(event)s” on %(date)s was corrected.")
                    % {"event": event.title, "date": formats.date_format(day, "DATE_FORMAT")}
                ),
            )
            for authorisation in Authorisation.objects.filter(
                user=maker,
                course=event.course,
                session__isnull=True,
                issued_at=session.starts_at,
                revoked_at__isnull=True,
            ):
                authorisation_revoke(
                    authorisation=authorisation, by=by, site=event.site, reason=reason
                )
        registration.passed = passed
        registration.save(update_fields=["passed", "attendance", "checked_in_at", "updated_at"])
    return registration


# --- events and sessions: the catalogue and its staff (evcat) ------------------------------
# Staff of a FabLab site run its workshops, trainings and open days; cluster managers run
# the cluster's talks, networking evenings and B2B days (selectors.user_manages_event).
# Every refusal is a translated ValidationError (field errors by field name) and stores
# nothing; moving or cancelling a session tells each registrant in their own language.


# Words the event pages use after /events/: no event may take them as its slug.
RESERVED_SLUGS = frozenset(
    {
        "manage", "calendar", "feed.ics", "feed", "my", "children", "registrations",
        "register", "claim", "waitlist", "attendance", "statistics", "stats", "schools",
        "sessions", "api", "new", "export",
    }
)  # fmt: skip
EVENT_TEXT_FIELDS = (
    "title_en", "title_fr", "title_de", "description_en", "description_fr", "description_de",
    "venue",
)  # fmt: skip
EVENT_FIELDS = (
    *EVENT_TEXT_FIELDS, "kind", "site", "audience", "age_min", "age_max", "course",
    "accepts_school_classes", "members_only", "max_per_registrant", "offer_hours", "organiser",
)  # fmt: skip
PICTURE_MAX_BYTES = 2 * 1024 * 1024
PICTURE_FORMATS = {"PNG", "JPEG", "WEBP"}
MAX_WEEKS = 52
MAX_SESSIONS_AT_ONCE = 60
MAX_SESSION_LENGTH = timedelta(hours=24)
MAX_CAPACITY = 10_000
MAX_PRICE = Decimal("99999.99")
SCHEDULE_YEARS_AHEAD = 2


def _ensure_manages(by: User, event: Event) -> None:
    if not user_manages_event(user=by, event=event):
        if event.is_cluster_event:
            raise PermissionDenied(
                _("Only cluster managers and the staff of its site may manage this event.")
            )
        raise PermissionDenied(
            _("Only the staff of the event's FabLab site may manage this event.")
        )


def _picture_checked(picture: UploadedFile) -> None:
    """Pillow opens the file: what is not a PNG, JPEG or WebP image of 2 MB at most is
    refused (the forms check it too; the API takes no files)."""
    from PIL import Image, UnidentifiedImageError

    if picture.size and picture.size > PICTURE_MAX_BYTES:
        raise ValidationError({"picture": _("The image is too large: at most 2 MB.")})
    try:
        picture.seek(0)
        with Image.open(io.BytesIO(picture.read())) as image:
            image_format = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        raise ValidationError(
            {"picture": _("This file is not an image. Upload a PNG, JPEG or WebP file.")}
        ) from error
    finally:
        picture.seek(0)
    if image_format not in PICTURE_FORMATS:
        raise ValidationError(
            {"picture": _("This file is not an image. Upload a PNG, JPEG or WebP file.")}
        )


def _event_problems(event: Event) -> dict[str, list[str]]:
    """Every rule an event breaks, by field, in the reader's language."""
    problems: dict[str, list[str]] = {}

    def say(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    if event.kind not in EventKind.values:
        say("kind", _("Choose the kind of event."))
    if event.audience not in Audience.values:
        say("audience", _("Choose who the event is for."))
    if not (event.title_en or "").strip():
        say("title_en", _("Give the title in English; French and German are optional."))
    for name in ("age_min", "age_max"):
        value = getattr(event, name)
        if value is not None and not 0 <= value <= 120:
            say(name, _("Give an age between 0 and 120."))
    if (
        event.age_min is not None
        and event.age_max is not None
        and event.age_min > event.age_max
        and "age_min" not in problems
    ):
        say("age_max", _("The maximum age cannot be below the minimum age."))
    if event.kind in CHILDREN_KINDS and (event.age_min is None or event.age_max is None):
        say("age_min", _("Give the youngest and the oldest age a children's workshop accepts."))
    if event.kind == EventKind.TRAINING and event.course_id is None:
        say("course", _("Choose the FabLab course this training leads to."))
    if event.kind != EventKind.TRAINING and event.course_id is not None:
        say("course", _("Only a machine training is linked to a FabLab course."))
    if event.site_id is None and not (event.venue or "").strip():
        say("venue", _("Choose a FabLab site or give the venue's name and address."))
    elif event.site_id is None and event.kind not in CLUSTER_KINDS:
        say("site", _("Choose the FabLab site that runs this event (it may take place elsewhere)."))
    if not 1 <= (event.max_per_registrant or 0) <= 50:
        say("max_per_registrant", _("Allow between 1 and 50 places per person."))
    if not 1 <= (event.offer_hours or 0) <= 24 * 14:
        say("offer_hours", _("Give between 1 and 336 hours to claim a freed seat."))
    for name in EVENT_TEXT_FIELDS:
        limit = Event._meta.get_field(name).max_length
        if limit and len(getattr(event, name) or "") > limit:
            say(name, _("At most %(count)d characters.") % {"count": limit})
    return problems


def _event_validated(event: Event, *, by: User) -> None:
    problems = _event_problems(event)
    if problems:
        raise ValidationError(problems)
    _ensure_manages(by, event)


def _slug_free(base: str, *, exclude_pk: int | None = None) -> str:
    base = (base or "event")[:100].strip("-") or "event"
    taken = set(
        Event.objects.filter(slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    slug, n = base, 2
    while slug in taken or slug in RESERVED_SLUGS:
        slug = f"{base}-{n}"
        n += 1
    return slug


def _slug_checked(slug: str) -> str:
    slug = slug.strip().lower()
    if slugify(slug) != slug or not slug:
        raise ValidationError(
            {"slug": _("Use only lower-case letters, digits and hyphens in the address.")}
        )
    if slug in RESERVED_SLUGS:
        raise ValidationError({"slug": _("This address is reserved: choose another one.")})
    if len(slug) > 120:
        raise ValidationError({"slug": _("At most %(count)d characters.") % {"count": 120}})
    if Event.objects.filter(slug=slug).exists():
        raise ValidationError(
            {"slug": _("The address “%(slug)s” is already taken.") % {"slug": slug}}
        )
    return slug


def _picture_store(event: Event, picture: UploadedFile) -> None:
    old = event.picture.name
    event.picture.save(f"{event.slug}{Path(picture.name).suffix.lower()}", picture, save=False)
    if old:
        storage = event.picture.storage
        transaction.on_commit(lambda: storage.delete(old))


def event_create(*, by: User, picture: UploadedFile | None = None, slug: str = "", **fields):
    """A new event, in draft until published. `fields` are Event fields (site and course
    as objects); the organiser is `by` unless given."""
    unknown = set(fields) - set(EVENT_FIELDS) - {"status"}
    if unknown:
        raise TypeError(f"event_create() got unexpected fields: {', '.join(sorted(unknown))}")
    status = fields.pop("status", EventStatus.DRAFT)
    if status not in (EventStatus.DRAFT, EventStatus.PUBLISHED):
        raise ValidationError({"status": _("A new event is a draft or published.")})
    fields.setdefault("organiser", by)
    for name in EVENT_TEXT_FIELDS:
        fields[name] = (fields.get(name) or "").strip()
    event = Event(status=status, **fields)
    _event_validated(event, by=by)
    if picture:
        _picture_checked(picture)
    with transaction.atomic():
        event.slug = _slug_checked(slug) if slug else _slug_free(slugify(event.title_en))
        if picture:
            _picture_store(event, picture)
        event.save()
    return event


def event_update(
    *,
    event: Event,
    by: User,
    picture: UploadedFile | None = None,
    picture_clear: bool = False,
    **fields,
) -> Event:
    """Change an event's details. Its kind no longer changes once people registered."""
    unknown = set(fields) - set(EVENT_FIELDS)
    if unknown:
        raise TypeError(f"event_update() got unexpected fields: {', '.join(sorted(unknown))}")
    _ensure_manages(by, event)
    if picture:
        _picture_checked(picture)
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event.pk)
        old_kind = event.kind
        for name, value in fields.items():
            if name in EVENT_TEXT_FIELDS:
                value = (value or "").strip()
            setattr(event, name, value)
        if (
            event.kind != old_kind
            and Registration.objects.filter(session__event=event, status__in=LIVE_STATUSES).exists()
        ):
            raise ValidationError(
                {"kind": _("People have registered: the kind of this event can no longer change.")}
            )
        _event_validated(event, by=by)
        if picture:
            _picture_store(event, picture)
        elif picture_clear and event.picture:
            old, storage = event.picture.name, event.picture.storage
            event.picture = ""
            transaction.on_commit(lambda: storage.delete(old))
        event.save()
    return event


def event_publish(*, event: Event, by: User) -> Event:
    """A draft becomes public: listed, in the calendar and the feed, open to registration
    within its sessions' windows."""
    _ensure_manages(by, event)
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event.pk)
        if event.status == EventStatus.CANCELLED:
            raise ValidationError(
                _("A cancelled event cannot be published again: create a new one."),
                code="cancelled",
            )
        if event.status != EventStatus.PUBLISHED:
            event.status = EventStatus.PUBLISHED
            event.save(update_fields=["status", "updated_at"])
    return event


def event_cancel(*, event: Event, by: User, reason: str) -> Event:
    """The whole event is called off: its sessions still to come are cancelled, and every
    registrant is told why (sessions already over stay as they were)."""
    _ensure_manages(by, event)
    reason = _reason_checked(reason)
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event.pk)
        if event.status == EventStatus.CANCELLED:
            raise ValidationError(_("This event is already cancelled."), code="cancelled")
        now = timezone.now()
        upcoming = event.sessions.filter(status=SessionStatus.SCHEDULED, ends_at__gt=now)
        for pk in upcoming.values_list("pk", flat=True):
            _session_cancel_locked(session_id=pk, by=by, reason=reason, now=now)
        event.status = EventStatus.CANCELLED
        event.save(update_fields=["status", "updated_at"])
    return event


# Ticket categories ---------------------------------------------------------------------


def _price_checked(price) -> Decimal:
    try:
        value = Decimal(str(price if price not in (None, "") else 0))
    except (InvalidOperation, ValueError) as error:
        raise ValidationError({"price": _("Give the price in euros, 0 when free.")}) from error
    if not value.is_finite() or value < 0:
        raise ValidationError({"price": _("A price cannot be negative; 0 means free.")})
    if value > MAX_PRICE or value != value.quantize(Decimal("0.01")):
        raise ValidationError({"price": _("Give the price in euros and cents, at most 99,999.99.")})
    return value.quantize(Decimal("0.01"))


def _ticket_names_checked(fields: dict) -> None:
    for code in ("en", "fr", "de"):
        name = f"name_{code}"
        if name in fields:
            fields[name] = (fields[name] or "").strip()
            if len(fields[name]) > 80:
                raise ValidationError({name: _("At most %(count)d characters.") % {"count": 80}})
    if "name_en" in fields and not fields["name_en"]:
        raise ValidationError({"name_en": _("Name the ticket in English, e.g. “Child”.")})


def ticket_category_create(
    *,
    event: Event,
    by: User,
    name_en: str,
    name_fr: str = "",
    name_de: str = "",
    price=0,
    position: int | None = None,
) -> TicketCategory:
    _ensure_manages(by, event)
    names = {"name_en": name_en, "name_fr": name_fr, "name_de": name_de}
    _ticket_names_checked(names)
    value = _price_checked(price)
    with transaction.atomic():
        if position is None:
            position = event.ticket_categories.count()
        return TicketCategory.objects.create(event=event, price=value, position=position, **names)


def ticket_category_update(*, category: TicketCategory, by: User, **fields) -> TicketCategory:
    unknown = set(fields) - {"name_en", "name_fr", "name_de", "price", "position"}
    if unknown:
        raise TypeError(f"unexpected fields: {', '.join(sorted(unknown))}")
    _ensure_manages(by, category.event)
    _ticket_names_checked(fields)
    if "price" in fields:
        fields["price"] = _price_checked(fields["price"])
    with transaction.atomic():
        for name, value in fields.items():
            setattr(category, name, value)
        category.save()
    return category


def ticket_category_delete(*, category: TicketCategory, by: User) -> None:
    _ensure_manages(by, category.event)
    with transaction.atomic():
        if Registration.objects.filter(ticket_category=category).exists():
            raise ValidationError(
                _("People registered with this ticket: change its name or price instead."),
                code="in_use",
            )
        category.delete()


# Sessions -------------------------------------------------------------------------------


def _when(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _capacity_checked(capacity) -> int:
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
        raise ValidationError({"capacity": _("A session has at least one seat.")})
    if capacity > MAX_CAPACITY:
        raise ValidationError(
            {"capacity": _("At most %(count)d seats per session.") % {"count": MAX_CAPACITY}}
        )
    return capacity


def _times_checked(starts_at: datetime, ends_at: datetime, *, now: datetime) -> None:
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise ValueError("session times must be aware datetimes")
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("A session must end after it starts.")})
    if ends_at - starts_at > MAX_SESSION_LENGTH:
        raise ValidationError(
            {"ends_at": _("A session lasts at most 24 hours: add one session per day.")}
        )
    if starts_at <= now:
        raise ValidationError(
            {"starts_at": _("%(when)s is in the past: a session is scheduled ahead.")
             % {"when": _when(starts_at)}}
        )  # fmt: skip
    if starts_at > now + timedelta(days=366 * SCHEDULE_YEARS_AHEAD):
        raise ValidationError(
            {"starts_at": _("Schedule sessions at most two years ahead.")}, code="too_far"
        )


def _window_for(
    starts_at: datetime,
    ends_at: datetime,
    *,
    opens_at: datetime | None,
    closes_at: datetime | None,
    closes_before: timedelta | None,
) -> tuple[datetime | None, datetime | None]:
    """The registration window of one session: opens at `opens_at` (else at once), closes
    at `closes_at`, or `closes_before` its start (else when it starts)."""
    if closes_at is None and closes_before is not None:
        if closes_before < timedelta(0):
            raise ValidationError(
                {"closes_at": _("Registration closes before the session, not after it.")}
            )
        closes_at = starts_at - closes_before
    if opens_at is not None and opens_at >= starts_at:
        raise ValidationError(
            {"opens_at": _("Registration must open before the session of %(when)s starts.")
             % {"when": _when(starts_at)}}
        )  # fmt: skip
    if closes_at is not None and closes_at > ends_at:
        raise ValidationError(
            {"closes_at": _("Registration cannot close after the session of %(when)s ends.")
             % {"when": _when(starts_at)}}
        )  # fmt: skip
    if opens_at is not None and closes_at is not None and closes_at <= opens_at:
        raise ValidationError(
            {"closes_at": _("Registration must close after it opens (session of %(when)s).")
             % {"when": _when(starts_at)}}
        )  # fmt: skip
    return opens_at, closes_at


def _sessions_create(
    *,
    event: Event,
    by: User,
    starts_list: list[datetime],
    duration: timedelta,
    capacity: int,
    opens_at: datetime | None,
    closes_at: datetime | None,
    closes_before: timedelta | None,
) -> list[Session]:
    _ensure_manages(by, event)
    capacity = _capacity_checked(capacity)
    if not isinstance(duration, timedelta) or duration <= timedelta(0):
        raise ValidationError({"ends_at": _("A session must end after it starts.")})
    if not starts_list:
        raise ValidationError({"starts_at": _("Give at least one date.")})
    if len(starts_list) > MAX_SESSIONS_AT_ONCE:
        raise ValidationError(
            {"starts_at": _("Add at most %(count)d sessions at once.")
             % {"count": MAX_SESSIONS_AT_ONCE}}
        )  # fmt: skip
    seen: set[datetime] = set()
    for starts_at in starts_list:
        if starts_at in seen:
            raise ValidationError(
                {"starts_at": _("The same start is given twice: %(when)s.")
                 % {"when": _when(starts_at)}}
            )  # fmt: skip
        seen.add(starts_at)
    now = timezone.now()
    rows = []
    for starts_at in sorted(starts_list):
        ends_at = starts_at + duration
        _times_checked(starts_at, ends_at, now=now)
        opens, closes = _window_for(
            starts_at, ends_at, opens_at=opens_at, closes_at=closes_at, closes_before=closes_before
        )
        rows.append(
            Session(
                event=event,
                starts_at=starts_at,
                ends_at=ends_at,
                capacity=capacity,
                registration_opens_at=opens,
                registration_closes_at=closes,
            )
        )
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event.pk)
        if event.status == EventStatus.CANCELLED:
            raise ValidationError(
                _("This event is cancelled: it takes no new sessions."), code="cancelled"
            )
        taken = set(
            event.sessions.filter(
                status=SessionStatus.SCHEDULED, starts_at__in=[r.starts_at for r in rows]
            ).values_list("starts_at", flat=True)
        )
        if taken:
            raise ValidationError(
                {"starts_at": _("This event already has a session at %(when)s.")
                 % {"when": _when(min(taken))}}
            )  # fmt: skip
        created = Session.objects.bulk_create(rows)
    return created


def sessions_create_weekly(
    *,
    event: Event,
    by: User,
    first_starts_at: datetime,
    duration: timedelta,
    weeks: int,
    capacity: int,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    closes_before: timedelta | None = None,
) -> list[Session]:
    """The same weekday and local time (Europe/Luxembourg, across daylight saving changes)
    for `weeks` weeks from `first_starts_at`."""
    if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= MAX_WEEKS:
        raise ValidationError(
            {"weeks": _("Repeat for 1 to %(count)d weeks.") % {"count": MAX_WEEKS}}
        )
    local = timezone.localtime(first_starts_at)
    wall = time(local.hour, local.minute, local.second)
    starts_list = [
        timezone.make_aware(datetime.combine(local.date() + timedelta(weeks=n), wall))
        for n in range(weeks)
    ]
    return _sessions_create(
        event=event, by=by, starts_list=starts_list, duration=duration, capacity=capacity,
        opens_at=opens_at, closes_at=closes_at, closes_before=closes_before,
    )  # fmt: skip


def sessions_create_on_dates(
    *,
    event: Event,
    by: User,
    starts_list: Iterable[datetime],
    duration: timedelta,
    capacity: int,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    closes_before: timedelta | None = None,
) -> list[Session]:
    """Sessions on hand-picked dates (each start an aware datetime)."""
    return _sessions_create(
        event=event, by=by, starts_list=list(starts_list), duration=duration, capacity=capacity,
        opens_at=opens_at, closes_at=closes_at, closes_before=closes_before,
    )  # fmt: skip


_UNSET = object()


def session_update(
    *,
    session: Session,
    by: User,
    capacity: int | None = None,
    opens_at=_UNSET,
    closes_at=_UNSET,
) -> Session:
    """Change a session's seats or registration window. The capacity never goes below the
    seats already taken (confirmed registrations and open offers); seats added are offered
    to the waitlist at once, in the same transaction."""
    _ensure_manages(by, session.event)
    with transaction.atomic():
        session = session_for_update(session_id=session.pk)
        if session.status == SessionStatus.CANCELLED:
            raise ValidationError(_("This session is cancelled."), code="cancelled")
        if capacity is not None:
            capacity = _capacity_checked(capacity)
            if capacity < session.seats_taken:
                raise ValidationError(
                    {
                        "capacity": _(
                            "%(taken)d seats are already taken: the capacity cannot go "
                            "below %(taken)d. Cancel registrations first if you must."
                        )
                        % {"taken": session.seats_taken}
                    },
                    code="below_taken",
                )
            raised = capacity > session.capacity
            session.capacity = capacity
        else:
            raised = False
        opens = session.registration_opens_at if opens_at is _UNSET else opens_at
        closes = session.registration_closes_at if closes_at is _UNSET else closes_at
        opens, closes = _window_for(
            session.starts_at, session.ends_at, opens_at=opens, closes_at=closes, closes_before=None
        )
        session.registration_opens_at, session.registration_closes_at = opens, closes
        session.save()
        if raised:  # the new seats go to the waitlist first (evweb)
            waitlist_fill(session=session)
            session.refresh_from_db(fields=["seats_taken"])
    return session


def _reason_checked(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why: the registrants will read it.")})
    if len(reason) > 300:
        raise ValidationError({"reason": _("At most %(count)d characters.") % {"count": 300}})
    return reason


def _live_registrations(session_id: int) -> list[Registration]:
    return list(
        Registration.objects.filter(session_id=session_id, status__in=LIVE_STATUSES)
        .select_related("registered_by", "attendee", "child__guardian", "school")
        .order_by("pk")
    )


def _session_cancel_locked(*, session_id: int, by: User, reason: str, now: datetime) -> Session:
    from fabreck.events.mail import session_cancelled_notify

    session = session_for_update(session_id=session_id)
    registrations = _live_registrations(session.pk)
    Registration.objects.filter(pk__in=[r.pk for r in registrations]).update(
        status=Registration.Status.CANCELLED,
        cancelled_at=now,
        cancelled_by=by,
        offer_token_digest="",
        updated_at=now,
    )
    session.status = SessionStatus.CANCELLED
    session.cancelled_reason = reason
    session.seats_taken = 0  # every seat-holding registration is cancelled with it
    session.save(update_fields=["status", "cancelled_reason", "seats_taken", "updated_at"])
    session_cancelled_notify(session=session, registrations=registrations)
    return session


def session_cancel(*, session: Session, by: User, reason: str) -> Session:
    """Call a session off: every live registration (confirmed, offered, waitlisted) is
    cancelled, its seats released, and each registrant told why, in their language."""
    _ensure_manages(by, session.event)
    reason = _reason_checked(reason)
    with transaction.atomic():
        now = timezone.now()
        locked = session_for_update(session_id=session.pk)
        if locked.status == SessionStatus.CANCELLED:
            raise ValidationError(_("This session is already cancelled."), code="cancelled")
        if locked.ends_at <= now:
            raise ValidationError(
                _("This session is over: it can no longer be cancelled."), code="over"
            )
        return _session_cancel_locked(session_id=locked.pk, by=by, reason=reason, now=now)


def session_move(*, session: Session, by: User, starts_at: datetime, ends_at: datetime) -> Session:
    """Move a session to another time: its registrations stay, and every registrant gets
    the new time with an updated calendar entry."""
    from fabreck.events.mail import session_moved_notify

    _ensure_manages(by, session.event)
    with transaction.atomic():
        now = timezone.now()
        session = session_for_update(session_id=session.pk)
        if session.status == SessionStatus.CANCELLED:
            raise ValidationError(_("This session is cancelled."), code="cancelled")
        if session.ends_at <= now:
            raise ValidationError(_("This session is over: it can no longer move."), code="over")
        if (starts_at, ends_at) == (session.starts_at, session.ends_at):
            raise ValidationError(
                {"starts_at": _("The session already takes place at that time.")}, code="same"
            )
        _times_checked(starts_at, ends_at, now=now)
        if Session.objects.filter(
            ~Q(pk=session.pk), event=session.event, status="scheduled", starts_at=starts_at
        ).exists():
            raise ValidationError(
                {"starts_at": _("This event already has a session at %(when)s.")
                 % {"when": _when(starts_at)}}
            )  # fmt: skip
        _window_for(
            starts_at,
            ends_at,
            opens_at=session.registration_opens_at,
            closes_at=session.registration_closes_at,
            closes_before=None,
        )
        old_starts_at, old_ends_at = session.starts_at, session.ends_at
        session.starts_at, session.ends_at = starts_at, ends_at
        session.save(update_fields=["starts_at", "ends_at", "updated_at"])
        registrations = _live_registrations(session.pk)
        # The age on the day follows the day (statistics count ages on the session date).
        day = timezone.localtime(starts_at).date()
        for registration in registrations:
            child = registration.child
            if child is not None and child.birth_date is not None:
                age = child.age_on(day)
                if age != registration.child_age:
                    registration.child_age = age
                    registration.save(update_fields=["child_age", "updated_at"])
        session_moved_notify(
            session=session,
            registrations=registrations,
            old_starts_at=old_starts_at,
            old_ends_at=old_ends_at,
        )
    return session


# --- registrations and the waitlist -------------------------------------------------------
#
# Decisions:
# - Seats are taken by moving Session.seats_taken under the session's row lock
#   (`session_for_update`), in the transaction that writes the registration: registrations
#   for one session queue on that lock, so the seats never run out twice and the waitlist
#   keeps the order in which the lock was won (queued_at is stamped under it, ids follow).
#   The check constraint seats_taken <= capacity is the backstop.
# - What needs no lock is checked before it (session open, window, the children, their
#   ages); the registrant's own limit and duplicates are counted, and the ticket found, in
#   the one statement that locks the registrant's user row (FOR NO KEY UPDATE: foreign keys
#   to the user still insert), then the session is locked for two statements only: insert,
#   move the counter. A registration is a handful of statements; the lock order is always
#   user, then session.
# - Every change of a registration's status takes the session lock first, so registrations
#   need no row locks of their own.
# - While a session's waitlist is not empty, all of its seats are held: whatever frees a
#   seat (cancel, expiry) offers it to the next in line in the same transaction, so a
#   newcomer never jumps the queue. A service that raises a capacity calls `waitlist_fill`.
# - An offer holds its seat (counted in seats_taken) until claimed (confirmed), cancelled
#   or expired; it lasts event.offer_hours, never past the session's start. The claim link
#   carries a random token; only its digest is stored and kept after use, so a second use
#   or a late one gets its own message.
# - E-mails are rendered after commit (fabreck.events.mail via transaction.on_commit),
#   never under the lock.
# - The per-registrant limit (event.max_per_registrant) counts the live child and adult
#   registrations a person made across the event's sessions; school classes do not count
#   (a class is limited by the seats left).


Status = RegistrationStatus
OFFER_TOKEN_BYTES = 32


def _moment_text(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _day_text(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATE_FORMAT")


def _session_open_check(session: Session, now: datetime) -> None:
    """Registration is open: event published, session scheduled and not started, inside its
    registration window."""
    event = session.event
    if event.status != EventStatus.PUBLISHED:
        raise ValidationError(
            _("“%(event)s” is not open for registration.") % {"event": event.title},
            code="not_published",
        )
    if session.status != SessionStatus.SCHEDULED:
        raise ValidationError(
            _("This session of “%(event)s” is cancelled.") % {"event": event.title},
            code="session_cancelled",
        )
    if session.starts_at <= now:
        raise ValidationError(
            _("This session has started: registration is closed."), code="started"
        )
    if session.registration_opens_at is not None and now < session.registration_opens_at:
        raise ValidationError(
            _("Registration for this session opens on %(when)s.")
            % {"when": _moment_text(session.registration_opens_at)},
            code="not_open",
        )
    if session.registration_closes_at is not None and now >= session.registration_closes_at:
        raise ValidationError(
            _("Registration for this session closed on %(when)s.")
            % {"when": _moment_text(session.registration_closes_at)},
            code="closed",
        )


def _ticket(event: Event, ticket_category) -> TicketCategory | None:
    """The ticket chosen (a TicketCategory or its id), or the event's first one; None when
    the event has no ticket categories (free)."""
    if ticket_category is None:
        return event.ticket_categories.order_by("position", "pk").first()
    if not isinstance(ticket_category, TicketCategory):
        try:
            ticket_category = TicketCategory.objects.filter(pk=int(ticket_category)).first()
        except (TypeError, ValueError):
            raise _ticket_refusal(event) from None
    if ticket_category is None or ticket_category.event_id != event.pk:
        raise _ticket_refusal(event)
    return ticket_category


def _ticket_refusal(event: Event) -> ValidationError:
    return ValidationError(
        _("This ticket is not one of “%(event)s”.") % {"event": event.title}, code="ticket"
    )


def _age_range(event: Event) -> str:
    if event.age_min is not None and event.age_max is not None:
        return _("%(min)d to %(max)d") % {"min": event.age_min, "max": event.age_max}
    if event.age_min is not None:
        return _("%(min)d and over") % {"min": event.age_min}
    return _("up to %(max)d") % {"max": event.age_max}


def _child_refusal(child: Child, session: Session, today) -> ValidationError | None:
    """Why this child may not attend this session, if so; its age is checked on the day."""
    if child.birth_date > today:
        return ValidationError(
            _("%(name)s's birth date is in the future: correct it in the child's profile.")
            % {"name": child.first_name},
            code="birth_date_future",
        )
    day = timezone.localdate(session.starts_at)
    age = child.age_on(day)
    if not session.event.age_accepts(age):
        return ValidationError(
            ngettext(
                "%(name)s will be %(age)d year old on %(date)s: “%(event)s” is for ages %(range)s.",
                "%(name)s will be %(age)d years old on %(date)s: “%(event)s” is for ages "
                "%(range)s.",
                age,
            )
            % {
                "name": child.first_name,
                "age": age,
                "date": _day_text(session.starts_at),
                "event": session.event.title,
                "range": _age_range(session.event),
            },
            code="age",
        )
    return None


class _Registrant(NamedTuple):
    held: int  # live child and adult registrations they made for the event's sessions
    duplicates: int  # of the people being registered, those already live in this session
    ticket_id: int | None
    price: Decimal


# The hot path of a registration runs in plain SQL: the ORM spends more time building these
# few statements than the database spends running them (about a millisecond each on a
# small server, and a rush is made of them). Table names come from the models; the
# statements run on PostgreSQL and SQLite alike (row locks where the database has them).
# Only table names (from the models) and constants are written into them; every value is a
# parameter (hence the S608 waivers).

_REGISTRATION = Registration._meta.db_table
_SESSION = Session._meta.db_table
_EVENT = Event._meta.db_table
_TICKET = TicketCategory._meta.db_table
_USER = User._meta.db_table
_LIVE_SQL = ", ".join(f"'{status}'" for status in LIVE_STATUSES)  # constants


def _sql_row(sql: str, params: list) -> tuple:
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _decimal(value) -> Decimal:
    """A price as read by a plain statement (SQLite gives numbers, PostgreSQL decimals)."""
    if value is None:
        return Decimal(0)
    return value if isinstance(value, Decimal) else Decimal(str(value)).quantize(Decimal("0.01"))


def _registrant_locked(
    *, user: User, session: Session, ticket_category, children: list[Child] | None = None
) -> _Registrant:
    """In one statement: lock the registrant's row (FOR NO KEY UPDATE: one registration at
    a time per person, so their limit and duplicates are counted once; foreign keys to the
    user still insert), count what they hold for the event and the duplicates in this
    session (of `children`, or of themselves as an adult), and find the ticket (the one
    chosen by id, or the event's first) with its price."""
    event = session.event
    # The registrant's registrations are found by registrant, each one's event then looked
    # up: a join lets the planner start from the session instead, and while a rush fills it
    # faster than statistics follow, it reads the whole session.
    columns = [
        f"(SELECT COUNT(*) FROM {_REGISTRATION} r WHERE r.registered_by_id = %s"  # noqa: S608
        f" AND r.status IN ({_LIVE_SQL}) AND r.kind IN ('child', 'adult')"
        f" AND (SELECT s.event_id FROM {_SESSION} s WHERE s.id = r.session_id) = %s)"
    ]
    params: list = [user.pk, event.pk]
    if children is None:
        columns.append(
            f"(SELECT COUNT(*) FROM {_REGISTRATION} WHERE session_id = %s"  # noqa: S608
            f" AND status IN ({_LIVE_SQL}) AND kind = 'adult' AND attendee_id = %s)"
        )
        params += [session.pk, user.pk]
    else:
        columns.append(
            f"(SELECT COUNT(*) FROM {_REGISTRATION} WHERE session_id = %s"  # noqa: S608
            f" AND status IN ({_LIVE_SQL})"
            f" AND child_id IN ({', '.join(['%s'] * len(children)) or 'NULL'}))"
        )
        params += [session.pk, *(c.pk for c in children)]
    ticket_id, price = None, Decimal(0)
    if isinstance(ticket_category, TicketCategory):
        if ticket_category.event_id != event.pk:
            raise _ticket_refusal(event)
        ticket_id, price = ticket_category.pk, ticket_category.price
    else:
        where, where_params = "event_id = %s", [event.pk]
        if ticket_category is not None:
            chosen = _int_or_none(ticket_category)
            if chosen is None:
                raise _ticket_refusal(event)
            where, where_params = where + " AND id = %s", [event.pk, chosen]
        for column in ("id", "price"):
            columns.append(
                f"(SELECT {column} FROM {_TICKET} WHERE {where} ORDER BY position, id LIMIT 1)"  # noqa: S608
            )
            params += where_params
    features = connection.features
    lock = (
        " FOR NO KEY UPDATE"
        if features.has_select_for_no_key_update
        else " FOR UPDATE"
        if features.has_select_for_update
        else ""
    )
    row = _sql_row(
        f"SELECT {', '.join(columns)} FROM {_USER} WHERE id = %s{lock}",  # noqa: S608
        [*params, user.pk],
    )
    if len(row) == 4:
        if ticket_category is not None and row[2] is None:
            raise _ticket_refusal(event)
        ticket_id, price = row[2], _decimal(row[3])
    return _Registrant(row[0], row[1], ticket_id, price)


def _limit_check(event: Event, held: int, adding: int) -> None:
    if held + adding > event.max_per_registrant:
        left = max(0, event.max_per_registrant - held)
        raise ValidationError(
            ngettext(
                "You may register at most %(max)d person for “%(event)s”",
                "You may register at most %(max)d people for “%(event)s”",
                event.max_per_registrant,
            )
            % {"max": event.max_per_registrant, "event": event.title}
            + ngettext(
                " and have %(left)d place left.",
                " and have %(left)d places left.",
                left,
            )
            % {"left": left},
            code="limit",
        )


# The seams of the seat guard, kept apart so the concurrency tests can take the guard away
# and show the race it prevents.


def _session_lock_clause() -> str:
    return " FOR UPDATE" if connection.features.has_select_for_update else ""


def _session_seats_locked(session: Session, now: datetime) -> bool:
    """Lock the session row (registrations for one session queue here), read its capacity
    and seats taken into `session`, and say whether registration is still open as it was
    checked before the lock: event published, session scheduled, not moved, not started,
    inside its registration window."""
    adapt = connection.ops.adapt_datetimefield_value
    row = _sql_row(
        f"SELECT capacity, seats_taken, (status = 'scheduled' AND starts_at = %s"  # noqa: S608
        " AND starts_at > %s"
        " AND (registration_opens_at IS NULL OR registration_opens_at <= %s)"
        " AND (registration_closes_at IS NULL OR registration_closes_at > %s)"
        f" AND EXISTS (SELECT 1 FROM {_EVENT} e WHERE e.id = event_id AND e.status = 'published'))"
        f" FROM {_SESSION} WHERE id = %s{_session_lock_clause()}",
        [adapt(session.starts_at), adapt(now), adapt(now), adapt(now), session.pk],
    )
    session.capacity, session.seats_taken = row[0], row[1]
    return bool(row[2])


def _session_locked(session_id: int) -> Session:
    """The session with its event, its row locked (every change of a registration's status
    happens under this lock)."""
    return session_for_update(session_id=session_id)


def _seats_left(session: Session) -> int:
    return session.capacity - session.seats_taken


def _seats_move_sql(session: Session, delta: int) -> tuple[str, list] | None:
    """The UPDATE moving the session's seat counter by `delta` (its check constraint refuses
    overselling), or None when the counter does not move."""
    if not delta:
        return None
    return f"UPDATE {_SESSION} SET seats_taken = seats_taken + %s WHERE id = %s", [  # noqa: S608
        delta,
        session.pk,
    ]


def _seats_move(session: Session, delta: int) -> None:
    statement = _seats_move_sql(session, delta)
    if statement is not None:
        with connection.cursor() as cursor:
            cursor.execute(*statement)
        session.seats_taken += delta


# Per model: its inserted fields, each with whether a plain value (None, int, str, bool:
# what Django's preparation returns unchanged for these fields) may skip the preparation.
_INSERT_FIELDS: dict[type, list[tuple]] = {}
_PLAIN = (type(None), int, str, bool)


def _insert_fields(model) -> list[tuple]:
    fields = _INSERT_FIELDS.get(model)
    if fields is None:
        fields = _INSERT_FIELDS[model] = [
            (f, not isinstance(f, JSONField))
            for f in model._meta.concrete_fields
            if not f.primary_key
        ]
    return fields


def _insert_values(rows: list) -> tuple[str, list]:
    """`(columns) VALUES (…), (…)` for rows (all of one model) and their parameters: what
    bulk_create prepares, built from the model's fields without the query machinery."""
    prepared = _insert_fields(type(rows[0]))
    values = []
    for r in rows:
        for f, plain in prepared:
            value = f.pre_save(r, True)
            if not (plain and type(value) in _PLAIN):
                value = f.get_db_prep_save(value, connection)
            values.append(value)
    row = f"({', '.join(['%s'] * len(prepared))})"
    columns = ", ".join(f.column for f, _plain in prepared)
    return f"({columns}) VALUES {', '.join([row] * len(rows))}", values


def _saved(rows: list, ids: list[int]) -> None:
    for row, pk in zip(rows, ids, strict=True):
        row.pk = pk
        row._state.adding = False
        row._state.db = connection.alias


def _insert(rows: list) -> None:
    """INSERT the rows (all of one model) in one statement and read their ids back."""
    model = type(rows[0])
    if not connection.features.can_return_rows_from_bulk_insert:  # pragma: no cover
        model.objects.bulk_create(rows)
        return
    values_sql, params = _insert_values(rows)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {model._meta.db_table} {values_sql} RETURNING id",
            params,
        )
        _saved(rows, [pk for (pk,) in cursor.fetchall()])


def _registrations_record(session: Session, registrations: list[Registration]) -> None:
    """Under the session's lock: INSERT the registrations, move the session's seat counter
    by the seats they confirm, and queue their letters (one per status)."""
    delta = sum(r.seats for r in registrations if r.status == Status.CONFIRMED)
    if connection.vendor != "postgresql":
        _insert(registrations)
        _seats_move(session, delta)
        _notices_queue(registrations)
        return
    # On PostgreSQL the three writes are one statement: a registration in a rush waits for
    # the session's lock, and every round trip made under it is one more for the queue.
    values_sql, params = _insert_values(registrations)
    steps = [f"made AS (INSERT INTO {_REGISTRATION} {values_sql} RETURNING id, status)"]
    seats = _seats_move_sql(session, delta)
    if seats is not None:
        steps.append(f"seats AS ({seats[0]})")
        params += seats[1]
    letters = _letters_sql(registrations)
    if letters is not None:
        steps.append(f"letters AS ({letters[0]})")
        params += letters[1]
    columns = ["made.id"]
    waitlisted = any(r.status == Status.WAITLISTED for r in registrations)
    if waitlisted:  # the places in the queue: those already waiting are all ahead
        columns.append(
            f"(SELECT COUNT(*) FROM {_REGISTRATION} WHERE session_id = %s"  # noqa: S608
            " AND status = 'waitlisted')"
        )
        params.append(session.pk)
    send_now = letters is not None and settings.EMAIL_OUTBOX_SEND_ON_COMMIT
    if send_now:
        columns.append("(SELECT array_agg(id) FROM letters)")
    with prepared_cursor() as cursor:
        cursor.execute(
            f"WITH {', '.join(steps)} SELECT {', '.join(columns)} FROM made ORDER BY made.id",  # noqa: S608
            params,
        )
        rows = cursor.fetchall()
    _saved(registrations, [row[0] for row in rows])
    if seats is not None:
        session.seats_taken += delta
    if waitlisted:
        ahead = rows[0][1]
        for registration in registrations:
            if registration.status == Status.WAITLISTED:
                ahead += 1
                registration.waitlist_position = ahead
    if send_now:
        _letters_send_on_commit(rows[0][-1])


def _session_recheck(session: Session, now: datetime, children: list[Child] = ()) -> Session:
    """Under the lock, registration turned out closed or the session moved: read it again
    and give the reason (or check the children's ages on its new date)."""
    fresh = Session.objects.select_related("event").get(pk=session.pk)
    _session_open_check(fresh, now)
    today = timezone.localdate(now)
    errors = list(filter(None, (_child_refusal(child, fresh, today) for child in children)))
    if errors:
        raise ValidationError(errors)
    return fresh


def _integrity_refusal(error: IntegrityError) -> ValidationError:
    """The database refused what the checks let through (the guards' backstop)."""
    text = str(error)
    if "events_session_not_oversold" in text:
        return ValidationError(_("This session is full."), code="full")
    if "_once" in text or "UNIQUE constraint failed" in text:  # PostgreSQL, SQLite
        return ValidationError(
            _("Already registered for this session (or on its waitlist)."), code="duplicate"
        )
    raise error


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _on_commit(function, **kwargs) -> None:
    transaction.on_commit(partial(function, **kwargs))


# --- registration e-mails: an outbox -------------------------------------------------------
# Rendering a confirmation and its calendar entry costs more than the registration itself:
# the registration's transaction only writes which letters are due (RegistrationNotice),
# and they are rendered and sent outside the request: on commit by a Celery worker (or
# in-process where EMAIL_OUTBOX_SEND_ON_COMMIT says so, as in the tests), and every
# minute by the periodic job, which also retries the sends that failed.

logger = logging.getLogger(__name__)
NOTICE_RETRY_MAX_MINUTES = 60


def _letters_due(registrations: list[Registration]) -> list[RegistrationNotice]:
    """One letter per registrant, session and status (a confirmation, a waitlist notice),
    its registrations not yet filled in."""
    now = timezone.now()
    letters: dict[tuple, RegistrationNotice] = {}
    for registration in registrations:
        if registration.registered_by_id is None or registration.status not in (
            Status.CONFIRMED,
            Status.WAITLISTED,
        ):
            continue
        key = (registration.registered_by_id, registration.session_id, registration.status)
        if key not in letters:
            letters[key] = RegistrationNotice(
                kind=registration.status,
                session_id=registration.session_id,
                recipient_id=registration.registered_by_id,
                registration_ids=[],
                created_at=now,
                send_after=now,
            )
    return list(letters.values())


def _notices_queue(registrations: list[Registration]) -> None:
    """In the registration's transaction: the letters its registrations are due."""
    notices = _letters_due(registrations)
    if not notices:
        return
    for notice in notices:
        notice.registration_ids = [
            r.pk
            for r in registrations
            if (r.registered_by_id, r.session_id, r.status)
            == (notice.recipient_id, notice.session_id, notice.kind)
        ]
    _insert(notices)
    if settings.EMAIL_OUTBOX_SEND_ON_COMMIT:
        _letters_send_on_commit([n.pk for n in notices])


def _letters_sql(registrations: list[Registration]) -> tuple[str, list] | None:
    """The INSERT of the letters due for registrations being inserted by the statement's
    `made` step (its RETURNING id, status): each letter lists the ids of its status."""
    notices = _letters_due(registrations)
    if not notices:
        return None
    # One registrant and one session per call: the letters differ only by status.
    prepared = _insert_fields(RegistrationNotice)
    select, params = [], []
    for f, _plain in prepared:
        if f.attname == "kind":
            select.append("made.status")
        elif f.attname == "registration_ids":
            select.append("jsonb_agg(made.id ORDER BY made.id)")
        else:
            select.append("%s")
            params.append(f.get_db_prep_save(f.pre_save(notices[0], True), connection))
    kinds = [n.kind for n in notices]
    params.extend(kinds)
    return (
        f"INSERT INTO {RegistrationNotice._meta.db_table}"  # noqa: S608
        f" ({', '.join(f.column for f, _plain in prepared)})"
        f" SELECT {', '.join(select)} FROM made"
        f" WHERE made.status IN ({', '.join(['%s'] * len(kinds))}) GROUP BY made.status"
        " RETURNING id",
        params,
    )


def _letters_send_on_commit(ids: list[int]) -> None:
    from fabreck.events.tasks import registration_notices_send as task

    # Robust: a mail server down must not turn a registration into an error; the periodic
    # job sends what is left.
    transaction.on_commit(partial(task.delay, ids=ids), robust=True)


def registration_notices_send(
    *, ids: Iterable[int] | None = None, now: datetime | None = None, limit: int = 500
) -> int:
    """Render and send the registration e-mails that are due (of `ids` only, if given),
    oldest first; returns how many were sent. A failed send is tried again later, after
    2, 4, 8… minutes (at most an hour)."""
    now = now or timezone.now()
    due = RegistrationNotice.objects.filter(sent_at__isnull=True, send_after__lte=now)
    if ids is not None:
        due = due.filter(pk__in=list(ids))
    pks = list(due.order_by("send_after", "pk").values_list("pk", flat=True)[:limit])
    return sum(_notice_send(pk, now) for pk in pks)


def _notice_send(pk: int, now: datetime) -> bool:
    """Send one letter under its row's lock (two senders never send it twice; SKIP LOCKED:
    a letter being sent by another is left to it)."""
    with transaction.atomic():
        notice = (
            RegistrationNotice.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, sent_at__isnull=True)
            .first()
        )
        if notice is None:
            return False
        registrations = list(
            Registration.objects.filter(pk__in=notice.registration_ids, status=notice.kind)
            .select_related("session__event__site", "registered_by", "child", "attendee", "school")
            .order_by("pk")
        )
        try:
            message = events_mail.registration_notice_message(
                kind=notice.kind, registrations=registrations
            )
            if message is not None:
                message.send()
        except Exception as error:  # any failure: the letter is kept and tried again later
            logger.warning("Registration e-mail %s not sent: %s", notice.pk, error, exc_info=True)
            notice.attempts += 1
            notice.last_error = f"{type(error).__name__}: {error}"[:2000]
            minutes = min(2**notice.attempts, NOTICE_RETRY_MAX_MINUTES)
            notice.send_after = now + timedelta(minutes=minutes)
            notice.save(update_fields=["attempts", "last_error", "send_after"])
            return False
        notice.sent_at = timezone.now()
        notice.save(update_fields=["sent_at"])
        return message is not None


def registration_children_create(
    *,
    guardian: User,
    session: Session,
    children: Iterable[Child | int],
    ticket_category: TicketCategory | int | None = None,
) -> list[Registration]:
    """Register one or more of the guardian's children for a session. Give Child objects
    as read from the database (a view's query of the guardian's children: they are not read
    again) or their ids (read here).

    Each child gets a confirmed seat while seats are left; the others join the waitlist in
    the order given. Returns the registrations in that order; their `status` says which is
    which (confirmed or waitlisted). Any refusal refuses them all, with one message per
    child refused (ValidationError codes: not_published, session_cancelled, started,
    not_open, closed, children_not_admitted, no_child, not_your_child, birth_date_future,
    age, duplicate, limit, ticket)."""
    now = timezone.now()
    event = session.event
    _session_open_check(session, now)
    if event.kind in CLUSTER_KINDS or event.kind == EventKind.TRAINING:
        raise ValidationError(
            _("“%(event)s” is not for children.") % {"event": event.title},
            code="children_not_admitted",
        )
    given = list(children)
    if any(not isinstance(c, Child) for c in given):  # ids: the children are read
        ids = [c.pk if isinstance(c, Child) else _int_or_none(c) for c in given]
        found = {c.pk: c for c in Child.objects.filter(pk__in=[i for i in ids if i])}
        given = [found.get(pk) for pk in ids]
    chosen = list({c.pk: c for c in given if c is not None}.values())  # each child once
    if not given:
        raise ValidationError(_("Choose at least one child to register."), code="no_child")
    errors: list[ValidationError] = []
    if None in given or any(
        c.guardian_id != guardian.pk or c.anonymised_at is not None for c in chosen
    ):
        errors.append(
            ValidationError(
                _("You may only register your own children: one of those chosen is not."),
                code="not_your_child",
            )
        )
        chosen = [c for c in chosen if c.guardian_id == guardian.pk and c.anonymised_at is None]
    today = timezone.localdate(now)
    errors += filter(None, (_child_refusal(child, session, today) for child in chosen))
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            registrant = _registrant_locked(
                user=guardian, session=session, ticket_category=ticket_category, children=chosen
            )
            if registrant.duplicates:
                already = set(
                    Registration.objects.filter(
                        session=session,
                        status__in=LIVE_STATUSES,
                        child_id__in=[c.pk for c in chosen],
                    ).values_list("child_id", flat=True)
                )
                raise ValidationError(
                    [
                        ValidationError(
                            _(
                                "%(name)s is already registered for this session (or on its "
                                "waitlist)."
                            )
                            % {"name": child.first_name},
                            code="duplicate",
                        )
                        for child in chosen
                        if child.pk in already
                    ]
                )
            _limit_check(event, registrant.held, len(chosen))

            if not _session_seats_locked(session, timezone.now()):
                session = _session_recheck(session, timezone.now(), chosen)
            now = timezone.now()  # stamped under the lock: the queue's order is the lock's
            day = timezone.localdate(session.starts_at)
            left = _seats_left(session)
            registrations = []
            for child in chosen:
                seated = left > 0
                left -= seated
                registrations.append(
                    Registration(
                        session=session,
                        kind=RegistrationKind.CHILD,
                        status=Status.CONFIRMED if seated else Status.WAITLISTED,
                        registered_by=guardian,
                        child=child,
                        child_age=child.age_on(day),
                        ticket_category_id=registrant.ticket_id,
                        price=registrant.price,
                        confirmed_at=now if seated else None,
                        queued_at=None if seated else now,
                    )
                )
            _registrations_record(session, registrations)
    except IntegrityError as error:
        raise _integrity_refusal(error) from error
    return registrations


def registration_adult_create(
    *,
    user: User,
    session: Session,
    ticket_category: TicketCategory | int | None = None,
) -> Registration:
    """An adult registers themselves: a confirmed seat, or the waitlist when the session is
    full (the returned registration's `status` says which). Codes: not_published,
    session_cancelled, started, not_open, closed, children_only, members_only, duplicate,
    limit, ticket."""
    now = timezone.now()
    event = session.event
    _session_open_check(session, now)
    if event.kind in CHILDREN_KINDS:
        raise ValidationError(
            _("“%(event)s” is a workshop for children: register a child instead.")
            % {"event": event.title},
            code="children_only",
        )
    if event.members_only and not user_is_cluster_member(user=user):
        raise ValidationError(
            _(
                "“%(event)s” is for people of the cluster's member organisations: your account "
                "belongs to none."
            )
            % {"event": event.title},
            code="members_only",
        )
    try:
        with transaction.atomic():
            registrant = _registrant_locked(
                user=user, session=session, ticket_category=ticket_category
            )
            if registrant.duplicates:
                raise ValidationError(
                    _("You are already registered for this session (or on its waitlist)."),
                    code="duplicate",
                )
            _limit_check(event, registrant.held, 1)

            if not _session_seats_locked(session, timezone.now()):
                session = _session_recheck(session, timezone.now())
            now = timezone.now()  # stamped under the lock: the queue's order is the lock's
            seated = _seats_left(session) > 0
            registration = Registration(
                session=session,
                kind=RegistrationKind.ADULT,
                status=Status.CONFIRMED if seated else Status.WAITLISTED,
                registered_by=user,
                attendee=user,
                ticket_category_id=registrant.ticket_id,
                price=registrant.price,
                confirmed_at=now if seated else None,
                queued_at=None if seated else now,
            )
            _registrations_record(session, [registration])
    except IntegrityError as error:
        raise _integrity_refusal(error) from error
    return registration


def registration_school_class_create(
    *,
    teacher: User,
    session: Session,
    school: School | int,
    grade: str,
    pupils: int,
    accompanying_adults: int = 0,
    ticket_category: TicketCategory | int | None = None,
) -> Registration:
    """A teacher registers a school class: it takes `pupils` seats, confirmed at once, or it
    is refused (no waitlist for classes). The price stored is the ticket's price per pupil
    times the pupils. Codes: not_published, session_cancelled, started, not_open, closed,
    no_school_classes, pupils, accompanying_adults, school, full, class_too_large,
    duplicate, ticket; PermissionDenied without the guardian-or-teacher role."""
    now = timezone.now()
    event = session.event
    _session_open_check(session, now)
    if not event.accepts_school_classes:
        raise ValidationError(
            _("“%(event)s” does not take school classes.") % {"event": event.title},
            code="no_school_classes",
        )
    if not teacher.has_perm("accounts.register_children"):
        raise PermissionDenied(_("Only teachers and guardians may register a school class."))
    errors: dict[str, ValidationError] = {}
    if not isinstance(pupils, int) or pupils < 1:
        errors["pupils"] = ValidationError(_("A class has at least one pupil."), code="pupils")
    if not isinstance(accompanying_adults, int) or accompanying_adults < 0:
        errors["accompanying_adults"] = ValidationError(
            _("The number of accompanying adults cannot be negative."),
            code="accompanying_adults",
        )
    if not isinstance(school, School):
        school = School.objects.filter(pk=school).first()
        if school is None:
            errors["school"] = ValidationError(_("Choose the class's school."), code="school")
    if errors:
        raise ValidationError(errors)
    grade = (grade or "").strip()[: Registration._meta.get_field("grade").max_length]
    ticket = _ticket(event, ticket_category)
    with transaction.atomic():
        session = _session_locked(session.pk)
        now = timezone.now()
        _session_open_check(session, now)
        if Registration.objects.filter(
            session=session,
            kind=RegistrationKind.SCHOOL_CLASS,
            school=school,
            grade__iexact=grade,
            status__in=LIVE_STATUSES,
        ).exists():
            raise ValidationError(
                _("%(school)s %(grade)s is already registered for this session.")
                % {"school": school.name, "grade": grade},
                code="duplicate",
            )
        left = _seats_left(session)
        if left <= 0:
            raise ValidationError(
                _("This session is full: a class cannot join its waitlist."), code="full"
            )
        if pupils > left:
            raise ValidationError(
                ngettext(
                    "A class of %(pupils)d pupils is larger than the %(left)d seat left in this "
                    "session.",
                    "A class of %(pupils)d pupils is larger than the %(left)d seats left in this "
                    "session.",
                    left,
                )
                % {"pupils": pupils, "left": left},
                code="class_too_large",
            )
        registration = Registration.objects.create(
            session=session,
            kind=RegistrationKind.SCHOOL_CLASS,
            status=Status.CONFIRMED,
            registered_by=teacher,
            school=school,
            grade=grade,
            pupils=pupils,
            accompanying_adults=accompanying_adults,
            seats=pupils,
            ticket_category=ticket,
            price=(ticket.price if ticket is not None else 0) * pupils,
            confirmed_at=now,
        )
        _seats_move(session, pupils)
        _notices_queue([registration])
    return registration


# --- the waitlist: offers, claims, expiry --------------------------------------------------


def _offers_make(session: Session, now: datetime, *, limit: int | None = None) -> list:
    """Offer the free seats of a LOCKED session to the first in line whose seats fit, in
    order of arrival; each offer holds its seats. E-mails with the claim links go on
    commit. Returns the registrations offered."""
    left = _seats_left(session)
    if left <= 0 or session.status != SessionStatus.SCHEDULED or session.starts_at <= now:
        return []
    queue = (
        Registration.objects.filter(session=session, status=Status.WAITLISTED)
        .select_related("registered_by", "child", "attendee", "school")
        .order_by("queued_at", "pk")
    )
    expires_at = min(now + timedelta(hours=session.event.offer_hours), session.starts_at)
    offered, taken = [], 0
    for registration in queue[: left if limit is None else min(left, limit)]:
        if registration.seats > left - taken:
            continue
        token = secrets.token_urlsafe(OFFER_TOKEN_BYTES)
        registration.status = Status.OFFERED
        registration.offered_at = now
        registration.offer_expires_at = expires_at
        registration.offer_token_digest = secret_digest(token)
        registration.session = session
        registration.save(
            update_fields=[
                "status",
                "offered_at",
                "offer_expires_at",
                "offer_token_digest",
                "updated_at",
            ]
        )
        taken += registration.seats
        offered.append(registration)
        _on_commit(events_mail.seat_offered_send, registration=registration, token=token)
    _seats_move(session, taken)
    return offered


def waitlist_fill(*, session: Session, now: datetime | None = None) -> list[Registration]:
    """Offer whatever seats are free to the waitlist (after a capacity was raised, say).
    Returns the registrations offered a seat."""
    now = now or timezone.now()
    with transaction.atomic():
        return _offers_make(_session_locked(session.pk), now)


def _waitlist_staff_check(user: User, event: Event) -> None:
    if not user_manages_event(user=user, event=event):
        raise PermissionDenied(
            _("Only the people who run “%(event)s” may manage its waitlist.")
            % {"event": event.title}
        )


def registration_cancel(
    *, registration: Registration, by: User, now: datetime | None = None
) -> Registration:
    """Cancel a registration: by its registrant before the session starts, or by the staff
    of the event at any time. Its seats (if it held any) are freed and offered to the next
    in line; a waitlisted entry just leaves the queue. Codes: already_cancelled, started;
    PermissionDenied for anyone else."""
    now = now or timezone.now()
    own = by.pk is not None and by.pk in (registration.registered_by_id, registration.attendee_id)
    staff = not own and user_manages_event(user=by, event=registration.session.event)
    if not own and not staff:
        raise PermissionDenied(_("This registration is not yours to cancel."))
    with transaction.atomic():
        session = _session_locked(registration.session_id)
        registration = Registration.objects.get(pk=registration.pk)
        registration.session = session
        if registration.status not in LIVE_STATUSES:
            raise ValidationError(
                _("This registration is already cancelled."), code="already_cancelled"
            )
        if (
            own
            and session.starts_at <= now
            and not user_manages_event(user=by, event=session.event)
        ):
            raise ValidationError(
                _("This session has started: ask its staff to cancel your registration."),
                code="started",
            )
        held = registration.holds_seats
        registration.status = Status.CANCELLED
        registration.cancelled_at = now
        registration.cancelled_by = by
        registration.save(update_fields=["status", "cancelled_at", "cancelled_by", "updated_at"])
        if held:
            _seats_move(session, -registration.seats)
            _offers_make(session, now)
    return registration


def waitlist_entry_remove(
    *, registration: Registration, by: User, now: datetime | None = None
) -> Registration:
    """Staff take an entry off a session's queue (waiting, or offered a seat: the seat then
    goes to the next in line). Code: not_waiting."""
    _waitlist_staff_check(by, registration.session.event)
    if registration.status not in (Status.WAITLISTED, Status.OFFERED):
        raise ValidationError(_("This registration is not on the waitlist."), code="not_waiting")
    return registration_cancel(registration=registration, by=by, now=now)


def waitlist_offer_next(*, session: Session, by: User, now: datetime | None = None) -> Registration:
    """Staff offer a free seat to the next in line. Codes: waitlist_empty, full."""
    _waitlist_staff_check(by, session.event)
    now = now or timezone.now()
    with transaction.atomic():
        session = _session_locked(session.pk)
        if not Registration.objects.filter(session=session, status=Status.WAITLISTED).exists():
            raise ValidationError(_("Nobody is waiting for this session."), code="waitlist_empty")
        if session.status != SessionStatus.SCHEDULED or session.starts_at <= now:
            raise ValidationError(
                _("This session is cancelled or has started: no seat can be offered."),
                code="started",
            )
        offered = _offers_make(session, now, limit=1)
        if not offered:
            raise ValidationError(
                _("No seat is free in this session: cancel a registration or add seats first."),
                code="full",
            )
    return offered[0]


def _offer_expire(session: Session, registration: Registration) -> None:
    registration.status = Status.EXPIRED
    registration.save(update_fields=["status", "updated_at"])
    _seats_move(session, -registration.seats)


def registration_offer_claim(
    *, token: str, user: User, now: datetime | None = None
) -> Registration:
    """Claim the seat offered by the link's token: the registration is confirmed (and a
    confirmation e-mailed). Codes: offer_invalid, offer_expired (the seat then passes to
    the next in line), offer_used, offer_cancelled, session_cancelled; PermissionDenied
    when the offer went to someone else."""
    now = now or timezone.now()
    found = (
        Registration.objects.filter(offer_token_digest=secret_digest(token or ""))
        .only("pk", "session_id", "registered_by_id", "attendee_id")
        .first()
        if token
        else None
    )
    if found is None:
        raise ValidationError(
            _("This link is not valid: check that you copied it whole."), code="offer_invalid"
        )
    if user.pk not in (found.registered_by_id, found.attendee_id):
        raise PermissionDenied(
            _("This seat was offered to someone else: sign in with the account that received it.")
        )
    with transaction.atomic():
        session = _session_locked(found.session_id)
        registration = Registration.objects.select_related(
            "registered_by", "child", "attendee", "school"
        ).get(pk=found.pk)
        registration.session = session
        if registration.status == Status.OFFERED:
            if session.status != SessionStatus.SCHEDULED:
                raise ValidationError(
                    _("This session of “%(event)s” is cancelled.") % {"event": session.event.title},
                    code="session_cancelled",
                )
            if registration.offer_expires_at > now:
                registration.status = Status.CONFIRMED
                registration.confirmed_at = now
                registration.save(update_fields=["status", "confirmed_at", "updated_at"])
                _on_commit(events_mail.registration_confirmation_send, registrations=[registration])
                return registration
            # Expired and not yet swept: expire it now and pass the seat on.
            _offer_expire(session, registration)
            _offers_make(session, now)
    if registration.confirmed_at is not None:
        raise ValidationError(
            _("This link has already been used: the seat was claimed."), code="offer_used"
        )
    if registration.status == Status.EXPIRED:
        raise ValidationError(
            _("This offer expired on %(when)s: the seat went to the next person in line.")
            % {"when": _moment_text(registration.offer_expires_at)},
            code="offer_expired",
        )
    raise ValidationError(_("This offer was cancelled."), code="offer_cancelled")


def registration_offers_expire(*, now: datetime | None = None) -> int:
    """Expire the offers not claimed in time; their seats go to the next in line (one
    transaction per session). Safe to run twice at once: the second finds nothing left
    under the session lock. Returns how many offers expired."""
    now = now or timezone.now()
    session_ids = list(
        Registration.objects.filter(status=Status.OFFERED, offer_expires_at__lte=now)
        .order_by("session_id")
        .values_list("session_id", flat=True)
        .distinct()
    )
    expired = 0
    for session_id in session_ids:
        with transaction.atomic():
            session = _session_locked(session_id)
            due = list(
                Registration.objects.filter(
                    session=session, status=Status.OFFERED, offer_expires_at__lte=now
                )
            )
            for registration in due:
                _offer_expire(session, registration)
            _offers_make(session, now)
            expired += len(due)
    return expired


# --- reminders -----------------------------------------------------------------------------

REMINDER_HOURS = 48


def registration_reminders_send(*, now: datetime | None = None) -> int:
    """Remind the registrants of confirmed seats in sessions starting within 48 hours, once
    per registration (one e-mail per registrant and session). Two runs at once remind once:
    the rows are claimed with SKIP LOCKED and marked in the same transaction. Returns how
    many registrations were reminded."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Registration.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(
                status=Status.CONFIRMED,
                reminder_sent_at__isnull=True,
                registered_by__isnull=False,
                session__status=SessionStatus.SCHEDULED,
                session__event__status=EventStatus.PUBLISHED,
                session__starts_at__gt=now,
                session__starts_at__lte=now + timedelta(hours=REMINDER_HOURS),
            )
            .select_related("session__event__site", "registered_by", "child", "attendee", "school")
            .order_by("session_id", "registered_by_id", "pk")
        )
        Registration.objects.filter(pk__in=[r.pk for r in due]).update(reminder_sent_at=now)
        _on_commit(events_mail.registration_reminders_send, registrations=due)
    return len(due)


# --- registration pages: a school class with its school (evweb) ----------------------------


def school_class_register(
    *,
    teacher: User,
    session: Session,
    school: School | int | None = None,
    school_name: str = "",
    school_commune=None,
    grade: str,
    pupils: int,
    accompanying_adults: int = 0,
    ticket_category: TicketCategory | int | None = None,
) -> Registration:
    """Register a school class, its school chosen from the list or typed in (name and
    commune: found again when it exists, created otherwise). One transaction: a refused
    class leaves no new school behind. Codes: those of registration_school_class_create,
    and school when neither a school nor a name is given."""
    name = " ".join((school_name or "").split())[: School._meta.get_field("name").max_length]
    if school is None and not name:
        raise ValidationError(
            {"school": ValidationError(_("Choose the class's school or type its name."))},
            code="school",
        )
    with transaction.atomic():
        if school is None:
            school = School.objects.filter(name__iexact=name, commune=school_commune).first()
            if school is None:
                school = School.objects.create(name=name, commune=school_commune)
        return registration_school_class_create(
            teacher=teacher,
            session=session,
            school=school,
            grade=grade,
            pupils=pupils,
            accompanying_adults=accompanying_adults,
            ticket_category=ticket_category,
        )


# --- registrations API (evapi) -------------------------------------------------------------


def registration_school_resolve(
    *, school: School | int | None = None, name: str = "", commune: str = ""
) -> School:
    """The school a class registration names: an existing school by id, or one found (or
    created) by its name and its commune's slug. Call it in the registration's transaction
    so a refused registration leaves no new school behind. Codes: school, commune."""
    from fabreck.cluster.models import Commune

    if isinstance(school, School):
        return school
    if school is not None:
        found = School.objects.filter(pk=_int_or_none(school) or 0).first()
        if found is None:
            raise ValidationError({"school": ValidationError(_("This school does not exist."))})
        return found
    name = " ".join((name or "").split())[: School._meta.get_field("name").max_length]
    if not name:
        raise ValidationError(
            {"school_name": ValidationError(_("Give the school's name."), code="school")}
        )
    place = None
    if commune:
        place = Commune.objects.filter(slug=commune).first()
        if place is None:
            raise ValidationError(
                {"commune": ValidationError(_("This commune does not exist."), code="commune")}
            )
    found = School.objects.filter(name__iexact=name, commune=place).first()
    return found or School.objects.create(name=name, commune=place)
