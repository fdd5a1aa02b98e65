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
    Resource,
    Site,
)
from fabreck.fablab.selectors import (
    Quote,
    booking_quote,
    feed_digest,
    occupied_resource_ids,
    overlapping_occupancies,
    rule_violations,
    user_runs_site,
)

Kind = Booking.Kind
Status = Booking.Status


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
            price=quote.price if quote else None,
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
