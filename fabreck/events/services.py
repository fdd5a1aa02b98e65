"""Writes of workshops and events, each in one transaction. Sections are appended per
capability: registrations and the waitlist; events and sessions; children, attendance."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from fabreck.events.models import Event, Registration, Session

User = get_user_model()

__all__ = ["Event", "Registration", "Session", "User", "ValidationError", "transaction"]


# --- children's profiles, their data, attendance (evkids) ---------------------------------
# A guardian keeps the profiles of their children; they export them and delete them (the
# record is anonymised: what names the child goes, what statistics count stays). Profiles
# nobody used for the retention period are anonymised by a daily job. Staff of a session
# record who came, and for a training who passed (which authorises the FabLab course).

from collections.abc import Iterable  # noqa: E402
from datetime import date, datetime, timedelta  # noqa: E402

from dateutil.relativedelta import relativedelta  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.exceptions import PermissionDenied  # noqa: E402
from django.utils import formats, timezone, translation  # noqa: E402
from django.utils.translation import gettext as _  # noqa: E402

from fabreck.events.models import (  # noqa: E402
    LIVE_STATUSES,
    Attendance,
    Child,
    RegistrationStatus,
)
from fabreck.events.selectors import user_manages_event  # noqa: E402

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
