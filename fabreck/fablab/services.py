"""Every write of the FabLab: bookings (create, reschedule, cancel, check-in), staff blocks
and maintenance, trainings and authorisations.

Bookings never collide: the service locks the rows of the resources it will occupy (and
the maker's, for the weekly quota), checks every rule, then inserts; on PostgreSQL the
exclusion constraint on occupancies is the last word, and its refusal reaches the user as
"this slot was just taken".
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fabreck.accounts.models import User
from fabreck.fablab.models import (
    Authorisation,
    Booking,
    CalendarFeed,
    Course,
    Occupancy,
    OrganisationPriceGroup,
    PrepaidAccount,
    PrepaidMovement,
    PrepaidMovementKind,
    Resource,
    Site,
)
from fabreck.fablab.selectors import (
    Quote,
    booking_quote,
    feed_digest,
    occupied_resource_ids,
    overlapping_occupancies,
    prepaid_split,
    rule_violations,
    user_runs_site,
)

Kind = Booking.Kind
Status = Booking.Status


# --- Prepaid hours used by bookings ------------------------------------------------------
# Locks, always in this order: resources, the maker, then the prepaid account.


def _prepaid_account_if_any(organisation) -> PrepaidAccount | None:
    """The organisation's prepaid account, locked, if it has one (none is created)."""
    if (
        organisation is None
        or not PrepaidAccount.objects.filter(organisation=organisation).exists()
    ):
        return None
    return prepaid_account_locked(organisation=organisation)


def _prepaid_account_of_booking(booking: Booking) -> PrepaidAccount | None:
    """The account a booking took hours from, locked."""
    account_id = (
        PrepaidMovement.objects.filter(booking=booking).values_list("account_id", flat=True).first()
    )
    if account_id is None:
        return _prepaid_account_if_any(booking.organisation)
    return PrepaidAccount.objects.select_for_update().get(pk=account_id)


def _prepaid_record(
    *,
    account: PrepaidAccount,
    kind: str,
    hours: Decimal,
    by: User | None,
    booking: Booking | None = None,
    note: str = "",
) -> PrepaidMovement:
    """One movement and the balance it changes; the caller holds the account's lock."""
    movement = PrepaidMovement.objects.create(
        account=account, kind=kind, hours=hours, booking=booking, note=note[:300], by=by
    )
    account.balance_hours += hours
    account.save(update_fields=["balance_hours"])
    return movement


def _prepaid_recompute(booking: Booking, quote: Quote, by: User) -> None:
    """A moved booking uses the hours its new time needs, its own old hours counting as
    available: the difference is one "move" movement (none when equal)."""
    old = booking.prepaid_hours
    account = (
        _prepaid_account_of_booking(booking)
        if old > 0
        else _prepaid_account_if_any(booking.organisation)
    )
    if account is None:
        booking.prepaid_hours = Decimal("0.00")
        return
    split = prepaid_split(quote=quote, balance=account.balance_hours + old)
    if split.prepaid_hours != old:
        _prepaid_record(
            account=account,
            kind=PrepaidMovementKind.MOVE,
            hours=old - split.prepaid_hours,
            booking=booking,
            by=by,
            note=f"{old} h → {split.prepaid_hours} h",
        )
    booking.prepaid_hours = split.prepaid_hours
    booking.price = split.price


class SlotTaken(ValidationError):
    """Someone else holds (part of) the slot."""


def _ensure_staff(user: User, site: Site) -> None:
    if not user_runs_site(user=user, site=site):
        raise PermissionDenied(_("Only the staff of %(site)s may do this.") % {"site": site.name})


def _lock(resource_ids: list[int], user: User | None) -> None:
    """Serialise writers of these resources (and of this maker's quota). Ordered by id so
    two writers never wait for each other in a circle."""
    list(Resource.objects.select_for_update().filter(pk__in=resource_ids).order_by("pk"))
    if user is not None:
        list(User.objects.select_for_update().filter(pk=user.pk))


def _taken(*, resource: Resource, starts_at: datetime, ends_at: datetime) -> SlotTaken:
    return SlotTaken(
        _("This slot of %(resource)s was just taken: choose another time.")
        % {"resource": resource.name},
        code="slot_taken",
    )


def _occupy(booking: Booking, resource_ids: list[int]) -> None:
    try:
        with transaction.atomic():
            Occupancy.objects.bulk_create(
                [
                    Occupancy(
                        booking=booking,
                        resource_id=pk,
                        starts_at=booking.starts_at,
                        ends_at=booking.ends_at,
                    )
                    for pk in resource_ids
                ]
            )
    except IntegrityError as error:  # PostgreSQL's exclusion constraint: a racer won
        raise _taken(
            resource=booking.resource, starts_at=booking.starts_at, ends_at=booking.ends_at
        ) from error


@dataclass(frozen=True)
class _Checked:
    resource_ids: list[int]
    quote: Quote | None


def _check(
    *,
    resource: Resource,
    starts_at: datetime,
    ends_at: datetime,
    maker: User | None,
    by: User,
    organisation,
    kind: str,
    override: bool,
    ignore_booking: Booking | None = None,
) -> _Checked:
    """Every rule, under the lock. Staff overriding skip the maker's rules, never overlaps."""
    if override or kind != Kind.BOOKING:
        _ensure_staff(by, resource.site)
    violations = rule_violations(
        resource=resource,
        starts_at=starts_at,
        ends_at=ends_at,
        maker=maker if kind == Kind.BOOKING else None,
        organisation=organisation,
        ignore_booking=ignore_booking,
        only_structural=override or kind != Kind.BOOKING,
    )
    if violations:
        raise ValidationError(violations)
    resource_ids = occupied_resource_ids(resource=resource)
    _lock(resource_ids, maker if kind == Kind.BOOKING else None)
    # Rules that depend on other rows are read again now that the rows are locked.
    if overlapping_occupancies(
        resource_ids=resource_ids,
        starts_at=starts_at,
        ends_at=ends_at,
        ignore_booking=ignore_booking,
    ):
        raise _taken(resource=resource, starts_at=starts_at, ends_at=ends_at)
    if kind == Kind.BOOKING and not override:
        violations = rule_violations(
            resource=resource,
            starts_at=starts_at,
            ends_at=ends_at,
            maker=maker,
            organisation=organisation,
            ignore_booking=ignore_booking,
            only_quota=True,
        )
        if violations:
            raise ValidationError(violations)
    quote = (
        booking_quote(
            resource=resource,
            maker=maker,
            organisation=organisation,
            starts_at=starts_at,
            ends_at=ends_at,
        )
        if kind == Kind.BOOKING
        else None
    )
    return _Checked(resource_ids=resource_ids, quote=quote)


def booking_create(
    *,
    by: User,
    resource: Resource,
    starts_at: datetime,
    ends_at: datetime,
    maker: User | None = None,
    organisation=None,
    project_reference: str = "",
    note: str = "",
    kind: str = Kind.BOOKING,
    override: bool = False,
) -> Booking:
    """Book `resource` for `maker` (by default the one booking). Staff book for anyone,
    override the maker's rules, or block the resource (kind block or maintenance)."""
    if kind == Kind.BOOKING:
        maker = maker or by
        if maker != by:
            _ensure_staff(by, resource.site)
    else:
        maker = None
    with transaction.atomic():
        checked = _check(
            resource=resource,
            starts_at=starts_at,
            ends_at=ends_at,
            maker=maker,
            by=by,
            organisation=organisation,
            kind=kind,
            override=override,
        )
        quote = checked.quote
        # The prepaid hours, under the account's row lock, after every slot check.
        account = _prepaid_account_if_any(organisation) if quote else None
        split = (
            prepaid_split(quote=quote, balance=account.balance_hours)
            if account is not None
            else None
        )
        booking = Booking.objects.create(
            resource=resource,
            kind=kind,
            starts_at=starts_at,
            ends_at=ends_at,
            user=maker,
            booked_by=by,
            organisation=organisation,
            project_reference=project_reference.strip()[:80],
            note=note.strip()[:300],
            rules_overridden=override,
            price_group=quote.price_group if quote else None,
            hourly_rate=quote.hourly_rate if quote else None,
            price=(split.price if split else quote.price) if quote else None,
            prepaid_hours=split.prepaid_hours if split else Decimal("0.00"),
        )
        if split is not None and split.prepaid_hours > 0:
            _prepaid_record(
                account=account,
                kind=PrepaidMovementKind.USE,
                hours=-split.prepaid_hours,
                booking=booking,
                by=by,
            )
        _occupy(booking, checked.resource_ids)
    if kind == Kind.BOOKING:
        from fabreck.fablab.mail import booking_confirmation_send

        booking_confirmation_send(booking=booking)
    return booking


def _ensure_may_change(booking: Booking, by: User, *, what: str) -> bool:
    """Makers change their own bookings until the cancellation deadline; staff always.
    Returns whether `by` acts as staff."""
    if booking.status != Status.CONFIRMED:
        raise ValidationError(_("This booking is already cancelled."), code="cancelled")
    is_staff = user_runs_site(user=by, site=booking.resource.site)
    if is_staff:
        return True
    if booking.kind != Kind.BOOKING or booking.user_id != by.pk:
        raise PermissionDenied(_("This is not your booking."))
    deadline = booking.starts_at - timedelta(hours=booking.resource.site.cancellation_hours)
    if timezone.now() > deadline:
        message = (
            _(
                "Bookings can be cancelled up to %(hours)d hours before they start: "
                "contact the staff of %(site)s."
            )
            if what == "cancel"
            else _(
                "Bookings can be moved up to %(hours)d hours before they start: "
                "contact the staff of %(site)s."
            )
        )
        raise ValidationError(
            message
            % {
                "hours": booking.resource.site.cancellation_hours,
                "site": booking.resource.site.name,
            },
            code="cancellation_deadline",
        )
    return False


def booking_cancel(*, booking: Booking, by: User, reason: str = "") -> Booking:
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update().select_related("resource__site").get(pk=booking.pk)
        )
        _ensure_may_change(booking, by, what="cancel")
        booking.status = Status.CANCELLED
        booking.cancelled_at = timezone.now()
        booking.cancelled_by = by
        booking.cancel_reason = reason.strip()[:300]
        booking.save(
            update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason", "updated_at"]
        )
        booking.occupancies.all().delete()  # the slot is free again at once
        if booking.prepaid_hours > 0:  # the prepaid hours go back, once
            account = _prepaid_account_of_booking(booking)
            if account is not None:
                _prepaid_record(
                    account=account,
                    kind=PrepaidMovementKind.REFUND,
                    hours=booking.prepaid_hours,
                    booking=booking,
                    by=by,
                )
    return booking


def booking_reschedule(
    *,
    booking: Booking,
    by: User,
    starts_at: datetime,
    ends_at: datetime,
    resource: Resource | None = None,
    override: bool = False,
) -> Booking:
    """Move a booking in time (or to another resource of the same site): the same rules as
    a new booking, the booking itself aside; its price is recomputed."""
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update().select_related("resource__site").get(pk=booking.pk)
        )
        _ensure_may_change(booking, by, what="move")
        target = resource or booking.resource
        if target.site_id != booking.resource.site_id:
            raise ValidationError(
                _("A booking moves within its site: book the other site anew."),
                code="other_site",
            )
        checked = _check(
            resource=target,
            starts_at=starts_at,
            ends_at=ends_at,
            maker=booking.user,
            by=by,
            organisation=booking.organisation,
            kind=booking.kind,
            override=override,
            ignore_booking=booking,
        )
        booking.occupancies.all().delete()
        booking.resource = target
        booking.starts_at, booking.ends_at = starts_at, ends_at
        booking.rules_overridden = booking.rules_overridden or override
        if checked.quote:
            booking.price_group = checked.quote.price_group
            booking.hourly_rate = checked.quote.hourly_rate
            booking.price = checked.quote.price
            _prepaid_recompute(booking, checked.quote, by)
        booking.save()
        _occupy(booking, checked.resource_ids)
    return booking


# --- Trainings and authorisations --------------------------------------------------


def _expiry(course: Course, issued_at: datetime) -> datetime | None:
    if course.validity_months is None:
        return None
    return issued_at + relativedelta(months=course.validity_months)


def authorisation_grant(
    *,
    user: User,
    course: Course,
    by: User,
    site: Site,
    evidence: str = "",
    session=None,
    issued_at: datetime | None = None,
) -> Authorisation:
    """Staff record that `user` may use the machines of `course`'s category: after a
    session, or directly for prior experience (then evidence is required)."""
    _ensure_staff(by, site)
    evidence = evidence.strip()
    if session is None and not evidence:
        raise ValidationError(
            {"evidence": _("Say how the maker proved their experience.")}, code="evidence"
        )
    issued_at = issued_at or timezone.now()
    return Authorisation.objects.create(
        user=user,
        course=course,
        issued_by=by,
        issued_at=issued_at,
        expires_at=_expiry(course, issued_at),
        evidence=evidence,
        session=session,
    )


def authorisation_revoke(*, authorisation: Authorisation, by: User, site: Site, reason: str):
    _ensure_staff(by, site)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason: the maker reads it.")}, code="reason")
    with transaction.atomic():
        authorisation = Authorisation.objects.select_for_update().get(pk=authorisation.pk)
        if authorisation.revoked_at:
            raise ValidationError(_("This authorisation is already revoked."), code="revoked")
        authorisation.revoked_at = timezone.now()
        authorisation.revoked_by = by
        authorisation.revoke_reason = reason
        authorisation.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    return authorisation


# === Calendar feeds (ICS by secret URL) ===================================================
# (appended by the fablab-pages branch)

FEEDS_PER_OWNER = 10


def feed_create(*, owner: User, resource: Resource | None = None) -> tuple[CalendarFeed, str]:
    """A private ICS feed of `owner`'s bookings, or (for the staff of its site) of one
    machine or space. Returns the feed and its secret, which is shown once and never
    stored: only its SHA-256 digest is."""
    if resource is not None:
        _ensure_staff(owner, resource.site)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        list(User.objects.select_for_update().filter(pk=owner.pk))  # one count at a time
        if (
            CalendarFeed.objects.filter(owner=owner, revoked_at__isnull=True).count()
            >= FEEDS_PER_OWNER
        ):
            raise ValidationError(
                _("You have %(count)d calendar feeds already: revoke one first.")
                % {"count": FEEDS_PER_OWNER},
                code="too_many_feeds",
            )
        feed = CalendarFeed.objects.create(
            owner=owner, resource=resource, digest=feed_digest(secret)
        )
    return feed, secret


def feed_revoke(*, feed: CalendarFeed, by: User) -> CalendarFeed:
    """The feed's URL stops working at once; calendars subscribed to it get a 404."""
    if feed.owner_id != by.pk:
        raise PermissionDenied(_("This is not your calendar feed."))
    with transaction.atomic():
        feed = CalendarFeed.objects.select_for_update().get(pk=feed.pk)
        if feed.revoked_at is not None:
            raise ValidationError(_("This calendar feed is already revoked."), code="revoked")
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at"])
    return feed


# === Staff side: trainings, expiry reminders, usage, blocks, machine status, price groups ===
#
# Decisions worth knowing:
# - Every participant row takes a place, whatever its result; places are counted under a
#   row lock on the session, in the transaction that inserts (never a stored counter).
# - Recording a result again is idempotent: the same result changes nothing; a pass
#   grants an authorisation linked to the session; a pass corrected to "not passed" or
#   "absent" revokes that authorisation with a reason the maker reads (it stays as
#   history); a later pass grants a new one.
# - Check-in opens 15 minutes before the start and closes at the end; a maker marked as a
#   no-show who turns up late is checked in and the mark lifted. Checking in or out twice
#   keeps the first time.

from decimal import InvalidOperation  # noqa: E402

from django.conf import settings  # noqa: E402
from django.core.mail import EmailMessage  # noqa: E402
from django.db.models import Exists, OuterRef, Q  # noqa: E402
from django.template.loader import render_to_string  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import formats, translation  # noqa: E402

from fabreck.core.mail import email_send_on_commit  # noqa: E402
from fabreck.fablab.models import (  # noqa: E402
    MakerProfile,
    Material,
    MaterialUse,
    PriceGroup,
    TrainingParticipant,
    TrainingSession,
)
from fabreck.fablab.selectors import CHECK_IN_EARLY, NO_SHOW_GRACE, user_by_email  # noqa: E402

Result = TrainingParticipant.Result
MAX_SESSION_PLACES = 100


def training_session_create(
    *,
    by: User,
    site: Site,
    course: Course,
    instructor: User,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
) -> TrainingSession:
    """Staff schedule a session of `course` at their site, taught by one of its staff."""
    _ensure_staff(by, site)
    errors: dict[str, ValidationError] = {}
    if ends_at <= starts_at:
        errors["ends_at"] = ValidationError(
            _("The end must come after the start."), code="end_before_start"
        )
    if not 1 <= capacity <= MAX_SESSION_PLACES:
        errors["capacity"] = ValidationError(
            _("A session has between 1 and %(max)d places.") % {"max": MAX_SESSION_PLACES},
            code="capacity",
        )
    if not user_runs_site(user=instructor, site=site):
        errors["instructor"] = ValidationError(
            _("%(name)s is not on the staff of %(site)s: only its staff teach its sessions.")
            % {"name": instructor.display_name, "site": site.name},
            code="instructor_not_staff",
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        return TrainingSession.objects.create(
            course=course,
            site=site,
            instructor=instructor,
            starts_at=starts_at,
            ends_at=ends_at,
            capacity=capacity,
        )


def _session_locked(pk: int) -> TrainingSession:
    """The session, its row locked until the transaction ends: registrations for one
    session queue here, so each counts the places after the previous one inserted."""
    return TrainingSession.objects.select_for_update().get(pk=pk)


def _places_taken(session: TrainingSession) -> int:
    return TrainingParticipant.objects.filter(session=session).count()


def participant_add(
    *,
    session: TrainingSession,
    by: User,
    user: User | None = None,
    email: str = "",
) -> TrainingParticipant:
    """Register `user` (or the account using `email`) for a session. Makers register
    themselves for an upcoming session with places left; staff register anyone, also once
    the session has started (a walk-in). The places are counted under a lock on the
    session, so a rush for the last places never overbooks it."""
    if user is None:
        user = user_by_email(email=email)
    is_staff = user_runs_site(user=by, site=session.site)
    if not is_staff:
        if user.pk != by.pk:
            raise PermissionDenied(
                _("Only the staff of %(site)s may register someone else.")
                % {"site": session.site.name}
            )
        if not by.has_perm("accounts.book_machines"):
            raise ValidationError(
                _("Your account cannot get trained on machines yet."), code="not_a_maker"
            )
    if user.pk == by.pk:
        duplicate = _("You are already registered for this session.")
    else:
        duplicate = _("%(name)s is already registered for this session.") % {
            "name": user.display_name
        }
    with transaction.atomic():
        session = _session_locked(session.pk)
        if not is_staff and session.starts_at <= timezone.now():
            raise ValidationError(
                _("This session has started: registration is closed."), code="started"
            )
        if TrainingParticipant.objects.filter(session=session, user=user).exists():
            raise ValidationError(duplicate, code="duplicate")
        if _places_taken(session) >= session.capacity:
            raise ValidationError(
                _("This session is full: all %(places)d places are taken.")
                % {"places": session.capacity},
                code="full",
            )
        try:
            with transaction.atomic():
                return TrainingParticipant.objects.create(
                    session=session, user=user, registered_by=by
                )
        except IntegrityError as error:  # a twin request of the same maker won
            raise ValidationError(duplicate, code="duplicate") from error


def participant_remove(*, participant: TrainingParticipant, by: User) -> None:
    """A maker leaves a session before it starts; staff remove anyone without a result."""
    session = participant.session
    is_staff = user_runs_site(user=by, site=session.site)
    if not is_staff:
        if participant.user_id != by.pk:
            raise PermissionDenied(_("This is not your registration."))
        if session.starts_at <= timezone.now():
            raise ValidationError(
                _("This session has started: ask its staff to take you off the list."),
                code="started",
            )
    with transaction.atomic():
        participant = TrainingParticipant.objects.select_for_update().get(pk=participant.pk)
        if participant.result != Result.REGISTERED:
            raise ValidationError(
                _("A result is recorded for this participant: correct the result instead."),
                code="has_result",
            )
        participant.delete()


def _in_language(user: User, text_of) -> str:
    """A text stored for `user` to read (evidence, revoke reasons), in their language."""
    with translation.override(user.preferred_language):
        return str(text_of())


def session_result_record(
    *, participant: TrainingParticipant, result: str, by: User
) -> TrainingParticipant:
    """Staff record a participant's result once the session has started. See the decisions
    at the top of this section: idempotent, a pass grants, a corrected pass revokes."""
    session = participant.session
    _ensure_staff(by, session.site)
    if result not in (Result.PASSED, Result.FAILED, Result.ABSENT):
        raise ValidationError(
            {"result": _("Choose passed, not passed or absent.")}, code="unknown_result"
        )
    if session.starts_at > timezone.now():
        raise ValidationError(
            _("Results are recorded once the session has started."), code="not_started"
        )
    with transaction.atomic():
        participant = (
            TrainingParticipant.objects.select_for_update(of=("self",))
            .select_related("user", "session__course", "session__site")
            .get(pk=participant.pk)
        )
        previous = participant.result
        if previous == result:
            return participant
        participant.result = result
        participant.recorded_by = by
        participant.recorded_at = timezone.now()
        participant.save(update_fields=["result", "recorded_by", "recorded_at"])
        maker, session = participant.user, participant.session
        day = timezone.localtime(session.starts_at).date()
        if result == Result.PASSED:
            authorisation_grant(
                user=maker,
                course=session.course,
                by=by,
                site=session.site,
                session=session,
                evidence=_in_language(
                    maker,
                    lambda: (
                        _("Passed session %(date)s")
                        % {"date": formats.date_format(day, "DATE_FORMAT")}
                    ),
                ),
            )
        elif previous == Result.PASSED:
            reason = _in_language(
                maker,
                lambda: (
                    _("The result of the session of %(date)s was corrected to “%(result)s”.")
                    % {
                        "date": formats.date_format(day, "DATE_FORMAT"),
                        "result": Result(result).label,
                    }
                ),
            )
            for authorisation in Authorisation.objects.filter(
                session=session, user=maker, revoked_at__isnull=True
            ):
                authorisation_revoke(
                    authorisation=authorisation, by=by, site=session.site, reason=reason
                )
    return participant


# --- Expiry reminders ----------------------------------------------------------------------


def authorisation_expiry_reminders_send(
    *, now: datetime | None = None, days_before: int = 30
) -> int:
    """E-mail each maker whose authorisation expires within `days_before` days, once per
    authorisation, in their language. Authorisations already renewed (a newer one of the
    same course lasting longer) and revoked ones are skipped. Running it twice, or twice
    at once, sends nothing more. Returns how many e-mails were queued."""
    now = now or timezone.now()
    renewed = Authorisation.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=OuterRef("expires_at")),
        user=OuterRef("user"),
        course=OuterRef("course"),
        revoked_at__isnull=True,
    ).exclude(pk=OuterRef("pk"))
    with transaction.atomic():
        due = list(
            Authorisation.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(
                revoked_at__isnull=True,
                reminder_sent_at__isnull=True,
                expires_at__gt=now,
                expires_at__lte=now + timedelta(days=days_before),
                user__is_active=True,
            )
            .exclude(Exists(renewed))
            .select_related("user", "course")
            .order_by("expires_at", "pk")
        )
        trainings_url = settings.SITE_URL + reverse("fablab:trainings")
        mine_url = settings.SITE_URL + reverse("fablab:my-trainings")
        for authorisation in due:
            maker = authorisation.user
            with translation.override(maker.preferred_language):
                subject = _("[Fabreck] Your %(course)s authorisation expires soon") % {
                    "course": authorisation.course.name
                }
                body = render_to_string(
                    "fablab/email/authorisation_expiring.txt",
                    {
                        "recipient": maker,
                        "authorisation": authorisation,
                        "course": authorisation.course,
                        "trainings_url": trainings_url,
                        "my_trainings_url": mine_url,
                    },
                )
            email_send_on_commit(EmailMessage(subject=subject, body=body, to=[maker.email]))
        Authorisation.objects.filter(pk__in=[a.pk for a in due]).update(reminder_sent_at=now)
    return len(due)


# --- Usage: check-in, check-out, no-shows, materials ------------------------------------


def _usage_locked(booking: Booking, by: User) -> Booking:
    _ensure_staff(by, booking.resource.site)
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("resource__site", "user")
        .get(pk=booking.pk)
    )
    if booking.kind != Kind.BOOKING:
        raise ValidationError(
            _("Blocks and maintenance have no check-in: only makers' bookings do."),
            code="not_a_booking",
        )
    if booking.status != Status.CONFIRMED:
        raise ValidationError(
            _("This booking is cancelled: nothing can be recorded on it."), code="cancelled"
        )
    return booking


def _hhmm(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%H:%M")


def booking_check_in(*, booking: Booking, by: User, now: datetime | None = None) -> Booking:
    """Staff (at the desk or the kiosk) record that the maker arrived. Idempotent."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = _usage_locked(booking, by)
        if booking.checked_in_at is not None:
            return booking
        opens = booking.starts_at - CHECK_IN_EARLY
        if now < opens:
            raise ValidationError(
                _("Check-in opens %(minutes)d minutes before the start, at %(time)s.")
                % {"minutes": CHECK_IN_EARLY.seconds // 60, "time": _hhmm(opens)},
                code="too_early",
            )
        if now >= booking.ends_at:
            raise ValidationError(
                _("This booking ended at %(time)s: it can no longer be checked in.")
                % {"time": _hhmm(booking.ends_at)},
                code="ended",
            )
        booking.checked_in_at = now
        booking.no_show = False
        booking.save(update_fields=["checked_in_at", "no_show", "updated_at"])
    return booking


def booking_check_out(*, booking: Booking, by: User, now: datetime | None = None) -> Booking:
    """Staff record that the maker left. Idempotent: the first check-out stays."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = _usage_locked(booking, by)
        if booking.checked_out_at is not None:
            return booking
        if booking.checked_in_at is None:
            raise ValidationError(
                _("Check in first: this booking has no check-in yet."), code="not_checked_in"
            )
        booking.checked_out_at = max(now, booking.checked_in_at)
        booking.save(update_fields=["checked_out_at", "updated_at"])
    return booking


def booking_no_show_mark(*, booking: Booking, by: User, now: datetime | None = None) -> Booking:
    """Staff mark that the maker did not come, from 15 minutes after the start."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = _usage_locked(booking, by)
        if booking.no_show:
            return booking
        if booking.checked_in_at is not None:
            raise ValidationError(
                _("The maker checked in at %(time)s: this is not a no-show.")
                % {"time": _hhmm(booking.checked_in_at)},
                code="checked_in",
            )
        earliest = booking.starts_at + NO_SHOW_GRACE
        if now < earliest:
            raise ValidationError(
                _("A no-show can be marked from %(time)s, %(minutes)d minutes after the start.")
                % {"time": _hhmm(earliest), "minutes": NO_SHOW_GRACE.seconds // 60},
                code="too_early",
            )
        booking.no_show = True
        booking.save(update_fields=["no_show", "updated_at"])
    return booking


def bookings_no_show_mark_ended(
    *, now: datetime | None = None, look_back: timedelta = timedelta(days=7)
) -> int:
    """Mark as no-shows the makers' bookings that ended (within `look_back`) without a
    check-in. For the periodic task and `fabreck fablab_no_shows`. Returns how many."""
    now = now or timezone.now()
    with transaction.atomic():
        return Booking.objects.filter(
            kind=Kind.BOOKING,
            status=Status.CONFIRMED,
            checked_in_at__isnull=True,
            no_show=False,
            ends_at__lte=now,
            ends_at__gt=now - look_back,
        ).update(no_show=True, updated_at=now)


MAX_QUANTITY = Decimal("999999.99")


def _quantity_checked(quantity) -> Decimal:
    try:
        value = Decimal(str(quantity).strip().replace(",", "."))
    except (InvalidOperation, ValueError) as error:
        raise ValidationError(
            {"quantity": _("Enter the quantity as a number, such as 2 or 0.5.")}, code="quantity"
        ) from error
    if not value.is_finite() or value <= 0:
        raise ValidationError(
            {"quantity": _("Enter a quantity above zero.")}, code="quantity_not_positive"
        )
    if value > MAX_QUANTITY or value != value.quantize(Decimal("0.01")):
        raise ValidationError(
            {"quantity": _("Enter a quantity up to 999999.99 with at most two decimals.")},
            code="quantity",
        )
    return value.quantize(Decimal("0.01"))


def material_use_record(*, booking: Booking, material: Material, quantity, by: User) -> MaterialUse:
    """Staff record a material consumed on a booking, at the catalogue's current price."""
    site = booking.resource.site
    _ensure_staff(by, site)
    quantity = _quantity_checked(quantity)
    if material.site_id != site.pk:
        raise ValidationError(
            {
                "material": _("%(material)s is not sold at %(site)s.")
                % {"material": material.name, "site": site.name}
            },
            code="other_site",
        )
    if not material.is_active:
        raise ValidationError(
            {"material": _("%(material)s is no longer on sale.") % {"material": material.name}},
            code="not_on_sale",
        )
    with transaction.atomic():
        booking = _usage_locked(booking, by)
        return MaterialUse.objects.create(
            booking=booking,
            material=material,
            quantity=quantity,
            unit_price=material.unit_price,
            recorded_by=by,
        )


def material_use_delete(*, use: MaterialUse, by: User) -> None:
    with transaction.atomic():
        use = MaterialUse.objects.select_related("booking__resource__site").get(pk=use.pk)
        _ensure_staff(by, use.booking.resource.site)
        use.delete()


# --- Blocks, maintenance, machine status ----------------------------------------------------


def resource_block(
    *,
    by: User,
    resource: Resource,
    starts_at: datetime,
    ends_at: datetime,
    kind: str,
    reason: str,
) -> Booking:
    """Staff take a resource out of booking for a time: a block or maintenance, with a
    reason. The slot must be free (cancel the bookings in the way first)."""
    _ensure_staff(by, resource.site)
    errors: dict[str, ValidationError] = {}
    if kind not in (Kind.BLOCK, Kind.MAINTENANCE):
        errors["kind"] = ValidationError(_("Choose a block or maintenance."), code="kind")
    if not reason.strip():
        errors["reason"] = ValidationError(
            _("Give a reason: makers see why the time is taken."), code="reason"
        )
    if errors:
        raise ValidationError(errors)
    return booking_create(
        by=by, resource=resource, starts_at=starts_at, ends_at=ends_at, kind=kind, note=reason
    )


def machine_status_set(*, resource: Resource, status: str, by: User) -> Resource:
    """Staff say whether a machine is available, in maintenance or out of order. Makers
    cannot book it unless available; existing bookings stay (the desk lists them)."""
    _ensure_staff(by, resource.site)
    if status not in Resource.Status.values:
        raise ValidationError(
            {"status": _("Choose available, in maintenance or out of order.")}, code="status"
        )
    with transaction.atomic():
        resource = Resource.objects.select_for_update().get(pk=resource.pk)
        if resource.status != status:
            resource.status = status
            resource.save(update_fields=["status", "updated_at"])
    return resource


# --- Price groups ----------------------------------------------------------------------------


def maker_price_group_set(
    *, maker: User, price_group: PriceGroup, note: str, by: User, site: Site
) -> MakerProfile:
    """Staff put a maker in a price group after checking a proof (a student card, …)."""
    _ensure_staff(by, site)
    note = note.strip()
    if price_group.slug != "public" and not note:
        raise ValidationError(
            {"note": _("Say which proof you checked, such as a student card valid until 2026.")},
            code="proof",
        )
    if len(note) > 200:
        raise ValidationError({"note": _("Keep the note under 200 characters.")}, code="proof")
    with transaction.atomic():
        profile, _created = MakerProfile.objects.update_or_create(
            user=maker, defaults={"price_group": price_group, "price_group_note": note}
        )
    return profile


# --- Organisations' price groups and prepaid hours -------------------------------------------
# The incubator calls these when it admits or lets go a startup; staff adjust them too.


def organisation_price_group_set(
    *, organisation, price_group: PriceGroup | None, note: str = ""
) -> OrganisationPriceGroup | None:
    """Give an organisation's bookings an agreed price group, or (None) go back to the one
    its kind gives. Callers check who may: the incubator's services, staff views."""
    with transaction.atomic():
        if price_group is None:
            OrganisationPriceGroup.objects.filter(organisation=organisation).delete()
            return None
        agreed, _created = OrganisationPriceGroup.objects.update_or_create(
            organisation=organisation,
            defaults={"price_group": price_group, "note": note.strip()[:200]},
        )
    return agreed


def prepaid_account_locked(*, organisation) -> PrepaidAccount:
    """The organisation's prepaid account, created on first use, locked for this
    transaction: every balance change goes through here."""
    PrepaidAccount.objects.get_or_create(organisation=organisation)
    return PrepaidAccount.objects.select_for_update().get(organisation=organisation)


def prepaid_hours_grant(
    *, organisation, hours: Decimal, by: User | None, note: str = ""
) -> PrepaidMovement:
    """Add prepaid machine hours to an organisation's account (the incubator's grant)."""
    hours = Decimal(hours)
    if hours <= 0:
        raise ValidationError({"hours": _("Grant a number of hours above zero.")}, code="hours")
    with transaction.atomic():
        account = prepaid_account_locked(organisation=organisation)
        return _prepaid_record(
            account=account, kind=PrepaidMovementKind.GRANT, hours=hours, by=by, note=note.strip()
        )


def prepaid_hours_expire(
    *, organisation, by: User | None, note: str = ""
) -> PrepaidMovement | None:
    """The hours left expire (a startup leaving the incubator): the balance goes to zero
    with one "expiry" movement; nothing happens when there is nothing left."""
    with transaction.atomic():
        account = (
            PrepaidAccount.objects.select_for_update().filter(organisation=organisation).first()
        )
        if account is None or account.balance_hours <= 0:
            return None
        return _prepaid_record(
            account=account,
            kind=PrepaidMovementKind.EXPIRY,
            hours=-account.balance_hours,
            by=by,
            note=note.strip(),
        )


# === Prepaid hours: staff grants and adjustments (credits) =================================

from fabreck.fablab.selectors import user_is_fablab_staff  # noqa: E402

PREPAID_MAX_CHANGE = Decimal("9999.99")
PREPAID_MAX_BALANCE = Decimal("999999.99")


def _prepaid_hours_parsed(value) -> Decimal:
    try:
        hours = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError) as error:
        raise ValidationError(
            {"hours": _("Enter the hours as a number, such as 10 or 1.5.")}, code="hours"
        ) from error
    if not hours.is_finite() or hours != hours.quantize(Decimal("0.01")):
        raise ValidationError(
            {"hours": _("Enter the hours with at most two decimals.")}, code="hours"
        )
    if abs(hours) > PREPAID_MAX_CHANGE:
        raise ValidationError(
            {"hours": _("Change at most 9999.99 hours at once.")}, code="hours_too_many"
        )
    return hours.quantize(Decimal("0.01"))


def prepaid_hours_change(*, organisation, kind: str, hours, note: str, by: User) -> PrepaidMovement:
    """The FabLab staff grant hours (above zero) or adjust them (up or down) with a note the
    organisation's people read. An adjustment never takes the balance below zero."""
    if not user_is_fablab_staff(user=by):
        raise PermissionDenied(_("Only the FabLab staff may grant or adjust prepaid hours."))
    errors: dict[str, ValidationError] = {}
    if kind not in (PrepaidMovementKind.GRANT, PrepaidMovementKind.ADJUSTMENT):
        errors["kind"] = ValidationError(_("Choose a grant or an adjustment."), code="kind")
    try:
        hours = _prepaid_hours_parsed(hours)
    except ValidationError as error:
        errors.update(error.error_dict)
    else:
        if kind == PrepaidMovementKind.GRANT and hours <= 0:
            errors["hours"] = ValidationError(
                _("Grant a number of hours above zero."), code="hours"
            )
        elif hours == 0:
            errors["hours"] = ValidationError(
                _("An adjustment adds or takes away hours: enter a number other than zero."),
                code="hours",
            )
    note = note.strip()
    if not note:
        errors["note"] = ValidationError(
            _("Say why: the organisation's people read this note."), code="note"
        )
    elif len(note) > 300:
        errors["note"] = ValidationError(_("Keep the note under 300 characters."), code="note")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        account = prepaid_account_locked(organisation=organisation)
        after = account.balance_hours + hours
        if after < 0:
            raise ValidationError(
                {
                    "hours": _(
                        "%(organisation)s has %(balance)s hours left: an adjustment cannot "
                        "take away more."
                    )
                    % {"organisation": organisation.name, "balance": account.balance_hours}
                },
                code="balance_negative",
            )
        if after > PREPAID_MAX_BALANCE:
            raise ValidationError(
                {"hours": _("An account holds at most 999999.99 hours.")}, code="hours_too_many"
            )
        return _prepaid_record(account=account, kind=kind, hours=hours, by=by, note=note)
