"""Reads of the FabLab: the booking rules, prices, who runs a site, what a booking holds."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import psycopg
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from fabreck.accounts.models import User
from fabreck.core.secrets import secret_digest
from fabreck.fablab.models import (
    Authorisation,
    Booking,
    CalendarFeed,
    Closure,
    Course,
    MachineCategory,
    MakerProfile,
    Occupancy,
    OpeningHours,
    OrganisationPriceGroup,
    PriceGroup,
    Rate,
    Resource,
    Site,
)

MAX_STAFF_BLOCK = timedelta(days=92)  # a sanity bound even for staff


def user_runs_site(*, user: User, site: Site) -> bool:
    """Staff of this site, or administrators (who hold every permission)."""
    if not user.is_authenticated or not user.has_perm("accounts.run_site"):
        return False
    return user.has_perm("fablab.change_site") or site.staff.filter(pk=user.pk).exists()


def occupied_resource_ids(*, resource: Resource) -> list[int]:
    """What booking `resource` holds: itself and, for a space, everything standing in it
    (spaces within spaces too)."""
    ids, frontier = [resource.pk], [resource.pk]
    if resource.kind != Resource.Kind.SPACE:
        return ids
    while frontier:
        frontier = list(Resource.objects.filter(space_id__in=frontier).values_list("pk", flat=True))
        frontier = [pk for pk in frontier if pk not in ids]
        ids += frontier
    return ids


def occupancies_during(
    rows: QuerySet[Occupancy], starts_at: datetime, ends_at: datetime
) -> QuerySet[Occupancy]:
    """Occupancies sharing time with [starts_at, ends_at). On PostgreSQL the range test
    also lets the planner use the exclusion constraint's GiST index (resource, range)
    instead of walking years of history by start time."""
    rows = rows.filter(starts_at__lt=ends_at, ends_at__gt=starts_at)
    if connection.vendor == "postgresql":
        rows = rows.extra(
            # Qualified columns: the queryset may be joined to bookings, which has the same.
            where=[
                'tstzrange("fablab_occupancy"."starts_at", "fablab_occupancy"."ends_at", \'[)\') '
                "&& tstzrange(%s, %s, '[)')"
            ],
            params=[starts_at, ends_at],
        )
    return rows


def overlapping_occupancies(
    *,
    resource_ids: list[int],
    starts_at: datetime,
    ends_at: datetime,
    ignore_booking: Booking | None = None,
) -> QuerySet[Occupancy]:
    """Occupancies that share time with [starts_at, ends_at) on these resources. Touching
    ends (one ends at 14:00, the next starts at 14:00) do not overlap."""
    rows = occupancies_during(
        Occupancy.objects.filter(resource_id__in=resource_ids), starts_at, ends_at
    )
    if ignore_booking is not None:
        rows = rows.exclude(booking=ignore_booking)
    return rows


# --- Rules -----------------------------------------------------------------------------


def _local(moment: datetime) -> datetime:
    return timezone.localtime(moment)


def _hhmm(value) -> str:
    return value.strftime("%H:%M")  # Luxembourg reads 24-hour clocks, in any language


def _opening_violation(site: Site, starts_at: datetime, ends_at: datetime) -> str | None:
    """A booking fits within one opening interval of its day (local time)."""
    start, end = _local(starts_at), _local(ends_at)
    weekday_name = formats.date_format(start, "l")
    hours = list(OpeningHours.objects.filter(site=site, weekday=start.weekday()))
    if not hours:
        return _("%(site)s is closed on %(weekday)s.") % {
            "site": site.name,
            "weekday": weekday_name,
        }
    same_day = end.date() == start.date()
    if same_day and any(h.opens <= start.time() and end.time() <= h.closes for h in hours):
        return None
    return _(
        "%(site)s is open on %(weekday)s %(hours)s: the booking must fit within the opening hours."
    ) % {
        "site": site.name,
        "weekday": weekday_name,
        "hours": ", ".join(f"{_hhmm(h.opens)}\u2013{_hhmm(h.closes)}" for h in hours),
    }


def _closure_violation(site: Site, starts_at: datetime, ends_at: datetime) -> str | None:
    first, last = _local(starts_at).date(), _local(ends_at - timedelta(microseconds=1)).date()
    closure = (
        Closure.objects.filter(site=site, starts_on__lte=last, ends_on__gte=first)
        .order_by("starts_on")
        .first()
    )
    if closure is None:
        return None
    day = max(first, closure.starts_on)
    reason = f" ({closure.reason})" if closure.reason else ""
    return _("%(site)s is closed on %(date)s%(reason)s.") % {
        "site": site.name,
        "date": formats.date_format(day, "DATE_FORMAT"),
        "reason": reason,
    }


def missing_courses(*, maker: User, resource: Resource, until: datetime) -> list[Course]:
    """The trainings `resource` requires for which `maker` holds no authorisation valid
    until `until`."""
    required = list(resource.required_courses.all())
    if not required:
        return []
    held = set(
        Authorisation.objects.filter(
            Q(expires_at__isnull=True) | Q(expires_at__gte=until),
            user=maker,
            course__in=required,
            revoked_at__isnull=True,
            issued_at__lte=timezone.now(),
        ).values_list("course_id", flat=True)
    )
    return [course for course in required if course.pk not in held]


def week_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00, local time, of the week of `moment`."""
    local = _local(moment)
    monday = (local - timedelta(days=local.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return monday, monday + timedelta(days=7)


def booked_hours_in_week(
    *, maker: User, site: Site, moment: datetime, ignore_booking: Booking | None = None
) -> Decimal:
    week_start, week_end = week_bounds(moment)
    bookings = Booking.objects.filter(
        user=maker,
        kind=Booking.Kind.BOOKING,
        status=Booking.Status.CONFIRMED,
        resource__site=site,
        starts_at__lt=week_end,
        ends_at__gt=week_start,
    )
    if ignore_booking is not None:
        bookings = bookings.exclude(pk=ignore_booking.pk)
    seconds = sum(
        (min(b.ends_at, week_end) - max(b.starts_at, week_start)).total_seconds()
        for b in bookings.only("starts_at", "ends_at")
    )
    return Decimal(seconds) / Decimal(3600)


def _step_ok(moment: datetime, step: int) -> bool:
    local = _local(moment)
    return local.second == 0 and local.microsecond == 0 and local.minute % step == 0


def rule_violations(
    *,
    resource: Resource,
    starts_at: datetime,
    ends_at: datetime,
    maker: User | None,
    organisation=None,
    ignore_booking: Booking | None = None,
    only_structural: bool = False,
    only_quota: bool = False,
) -> list[ValidationError]:
    """Every booking rule `maker` would break, each as a message naming the rule and a
    code for clients. Structural rules hold for staff too."""
    site = resource.site
    if ends_at <= starts_at:
        return [ValidationError(_("The end must come after the start."), code="end_before_start")]
    if only_structural:
        if ends_at - starts_at > MAX_STAFF_BLOCK:
            return [ValidationError(_("A block lasts at most 92 days."), code="too_long")]
        return []
    found: list[ValidationError] = []

    def refuse(message: str, code: str) -> None:
        found.append(ValidationError(message, code=code))

    if only_quota:
        _quota_check(refuse, maker=maker, site=site, starts_at=starts_at, ends_at=ends_at,
                     ignore_booking=ignore_booking)  # fmt: skip
        return found
    now = timezone.now()
    minutes = (ends_at - starts_at).total_seconds() / 60
    if maker is not None and not maker.has_perm("accounts.book_machines"):
        refuse(_("Your account cannot book machines yet."), "not_a_maker")
    if starts_at < now:
        refuse(_("This time is in the past."), "in_the_past")
    elif starts_at < now + timedelta(minutes=site.min_notice_minutes):
        refuse(
            _("Bookings close %(minutes)d minutes before they start.")
            % {"minutes": site.min_notice_minutes},
            "too_late",
        )
    if starts_at > now + timedelta(days=site.max_days_ahead):
        refuse(
            _("Bookings open %(days)d days ahead at most.") % {"days": site.max_days_ahead},
            "too_far_ahead",
        )
    if not (_step_ok(starts_at, site.slot_minutes) and _step_ok(ends_at, site.slot_minutes)):
        refuse(
            _("Bookings start and end on a %(step)d-minute step, such as 14:00 or 14:%(step)02d.")
            % {"step": site.slot_minutes},
            "off_step",
        )
    if minutes < site.min_booking_minutes:
        refuse(
            _("A booking lasts at least %(minutes)d minutes.")
            % {"minutes": site.min_booking_minutes},
            "too_short",
        )
    if minutes > site.max_booking_minutes:
        refuse(
            _("A booking lasts at most %(minutes)d minutes.")
            % {"minutes": site.max_booking_minutes},
            "too_long",
        )
    if not resource.is_bookable:
        refuse(
            _("%(resource)s is booked by the staff only.") % {"resource": resource.name},
            "staff_only",
        )
    if resource.status != Resource.Status.AVAILABLE:
        refuse(
            _("%(resource)s cannot be booked: %(status)s.")
            % {"resource": resource.name, "status": resource.get_status_display()},
            "unavailable",
        )
    closed = _closure_violation(site, starts_at, ends_at)
    if closed:
        refuse(closed, "site_closed")
    else:
        outside = _opening_violation(site, starts_at, ends_at)
        if outside:
            refuse(outside, "outside_opening_hours")
    if maker is not None:
        for course in missing_courses(maker=maker, resource=resource, until=ends_at):
            refuse(
                _(
                    "A valid authorisation from the training “%(course)s” is needed to "
                    "book %(resource)s."
                )
                % {"course": course.name, "resource": resource.name},
                "training_required",
            )
        if organisation is not None and not organisation.memberships.filter(user=maker).exists():
            refuse(_("You can only book for an organisation you belong to."), "not_in_organisation")
        _quota_check(refuse, maker=maker, site=site, starts_at=starts_at, ends_at=ends_at,
                     ignore_booking=ignore_booking)  # fmt: skip
    return found


def _quota_check(refuse, *, maker, site, starts_at, ends_at, ignore_booking) -> None:
    if maker is None:
        return
    # A booking across midnight on Sunday counts in the week it starts.
    hours = booked_hours_in_week(
        maker=maker, site=site, moment=starts_at, ignore_booking=ignore_booking
    ) + Decimal((ends_at - starts_at).total_seconds()) / Decimal(3600)
    if hours > site.weekly_quota_hours:
        refuse(
            _(
                "This booking would bring you to %(hours)s hours this week at %(site)s; "
                "the weekly quota is %(quota)d hours."
            )
            % {
                "hours": formats.number_format(hours.normalize(), use_l10n=True),
                "site": site.name,
                "quota": site.weekly_quota_hours,
            },
            "weekly_quota",
        )


# --- Prices -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Quote:
    price_group: PriceGroup
    hourly_rate: Decimal
    hours: Decimal
    price: Decimal


def price_round(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def price_group_for(*, maker: User | None, organisation=None) -> PriceGroup:
    """Bookings for an organisation pay the group agreed for it (an incubated startup's),
    else the one of its kind; personal ones the maker's (public unless staff recorded
    another, e.g. student)."""
    if organisation is not None:
        agreed = (
            OrganisationPriceGroup.objects.select_related("price_group")
            .filter(organisation=organisation)
            .first()
        )
        if agreed is not None:
            return agreed.price_group
        if organisation.kind == "nonprofit":
            slug = "nonprofit"
        elif organisation.kind == "large_group" or organisation.size_band == "250+":
            slug = "large-company"
        elif organisation.status == "member":
            slug = "cluster-member"
        else:
            slug = "sme"
        return PriceGroup.objects.get(slug=slug)
    profile = (
        MakerProfile.objects.select_related("price_group").filter(user=maker).first()
        if maker is not None
        else None
    )
    return profile.price_group if profile else PriceGroup.objects.get(slug="public")


def hourly_rate_for(*, resource: Resource, price_group: PriceGroup) -> Decimal:
    """The group's rate for this resource, else for its category, else the public one;
    free when none is set."""
    rates = {
        (rate.price_group_id, rate.resource_id is not None): rate.hourly_rate
        for rate in Rate.objects.filter(
            Q(resource=resource) | Q(category_id=resource.category_id, category__isnull=False),
            price_group__slug__in=[price_group.slug, "public"],
        ).select_related("price_group")
    }
    public = PriceGroup.objects.filter(slug="public").values_list("pk", flat=True).first()
    for key in (
        (price_group.pk, True),
        (price_group.pk, False),
        (public, True),
        (public, False),
    ):
        if key in rates:
            return rates[key]
    return Decimal("0.00")


def booking_quote(
    *, resource: Resource, maker: User | None, organisation, starts_at: datetime, ends_at: datetime
) -> Quote:
    group = price_group_for(maker=maker, organisation=organisation)
    rate = hourly_rate_for(resource=resource, price_group=group)
    hours = Decimal((ends_at - starts_at).total_seconds()) / Decimal(3600)
    return Quote(price_group=group, hourly_rate=rate, hours=hours, price=price_round(rate * hours))


def booking_visible_to(*, pk: int, user: User) -> Booking:
    """A booking for its maker, whoever booked it, the staff of its site, and the people of
    the organisation it was made for (they read it; only the maker and staff change it)."""
    booking = (
        Booking.objects.select_related("resource__site", "price_group", "user", "organisation")
        .filter(pk=pk)
        .first()
    )
    if booking is None or not (
        booking.user_id == user.pk
        or user_runs_site(user=user, site=booking.resource.site)
        or (  # the people of the organisation it was for (its prepaid hours' history links it)
            booking.organisation_id is not None
            and user.is_authenticated
            and booking.organisation.memberships.filter(user=user).exists()
        )
    ):
        raise Http404
    return booking


# --- Availability ------------------------------------------------------------------------

MAX_AVAILABILITY_DAYS = 62


@dataclass
class ResourceAvailability:
    resource: Resource
    free: list[tuple[datetime, datetime]]  # maximal free intervals, in time order


def _opening_intervals(
    site_id: int,
    hours: dict[int, list[OpeningHours]],
    closed_days: set,
    starts_at: datetime,
    ends_at: datetime,
) -> list[tuple[datetime, datetime]]:
    """The site's open intervals within [starts_at, ends_at), closures removed."""
    intervals = []
    day = _local(starts_at).date()
    last = _local(ends_at).date()
    while day <= last:
        if (site_id, day) not in closed_days:
            for interval in hours.get(day.weekday(), []):
                opens = timezone.make_aware(datetime.combine(day, interval.opens))
                closes = timezone.make_aware(datetime.combine(day, interval.closes))
                start, end = max(opens, starts_at), min(closes, ends_at)
                if start < end:
                    intervals.append((start, end))
        day += timedelta(days=1)
    return intervals


def _subtract(
    intervals: list[tuple[datetime, datetime]], busy: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    """Intervals minus the busy ones (both sorted by start)."""
    free = []
    busy = sorted(busy)
    for start, end in intervals:
        cursor = start
        for busy_start, busy_end in busy:
            if busy_end <= cursor:
                continue
            if busy_start >= end:
                break
            if busy_start > cursor:
                free.append((cursor, busy_start))
            cursor = max(cursor, busy_end)
            if cursor >= end:
                break
        if cursor < end:
            free.append((cursor, end))
    return free


def availability(
    *, resources: list[Resource], starts_at: datetime, ends_at: datetime
) -> list[ResourceAvailability]:
    """Free time of each resource over a range: open hours, minus closures, minus what is
    booked or blocked (for a space, also what stands in it). Unavailable resources have
    none. A fixed number of queries, whatever the number of resources or bookings."""
    free = _free_microseconds(resources=resources, starts_at=starts_at, ends_at=ends_at)
    return [
        ResourceAvailability(
            resource=resource,
            free=[(_from_microseconds(s), _from_microseconds(e)) for s, e in free[resource.pk]],
        )
        for resource in resources
    ]


def availability_serialised(
    *, resources: list[ResourceListed], starts_at: datetime, ends_at: datetime
) -> list[dict]:
    """`availability` as the API shows it: every moment in UTC, ISO 8601."""
    free = _free_microseconds(resources=resources, starts_at=starts_at, ends_at=ends_at)
    return _serialised(
        [(r.slug, r.name, r.site_slug, r.status, free[r.pk]) for r in resources], origin=0
    )


def _serialised(rows: list[tuple], *, origin: int) -> list[dict]:
    """(slug, name, site slug, status, free intervals in microseconds after `origin`) as
    the API shows them. Built straight from the microseconds (a week of a whole site is
    hundreds of intervals, and most of their ends are the same opening hours)."""
    shown: dict[int, str] = {}

    def iso(moment: int) -> str:
        text = shown.get(moment)
        if text is None:
            text = shown[moment] = _from_microseconds(origin + moment).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            )
        return text

    return [
        {
            "resource": slug,
            "name": name,
            "site": site,
            "status": status,
            "free": [{"start": iso(s), "end": iso(e)} for s, e in free],
        }
        for slug, name, site, status, free in rows
    ]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Interval = tuple[int, int]  # [start, end) in microseconds since the epoch, UTC


def _microseconds(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _from_microseconds(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def _free_microseconds(
    *, resources: list[Resource], starts_at: datetime, ends_at: datetime
) -> dict[int, list[Interval]]:
    """Free intervals of each resource (by primary key), in time order."""
    free: dict[int, list[Interval]] = {r.pk: [] for r in resources}
    available = [r for r in resources if r.status == Resource.Status.AVAILABLE]
    if not available:
        return free
    if connection.vendor == "postgresql":
        free.update(_free_on_postgres(available, starts_at, ends_at))
    else:
        free.update(_free_in_python(available, starts_at, ends_at))
    return free


def _free_in_python(
    resources: list[Resource], starts_at: datetime, ends_at: datetime
) -> dict[int, list[Interval]]:
    """Open hours minus closures minus occupancies, computed here (SQLite); PostgreSQL
    does the same in one statement (`_free_on_postgres`), and a test holds them equal."""
    site_ids = {r.site_id for r in resources}
    hours_by_site: dict[int, dict[int, list[OpeningHours]]] = {}
    for interval in OpeningHours.objects.filter(site_id__in=site_ids).order_by("opens"):
        hours_by_site.setdefault(interval.site_id, {}).setdefault(interval.weekday, []).append(
            interval
        )
    first, last = _local(starts_at).date(), _local(ends_at).date()
    closed_days = set()
    for closure in Closure.objects.filter(
        site_id__in=site_ids, starts_on__lte=last, ends_on__gte=first
    ):
        day = max(closure.starts_on, first)
        while day <= min(closure.ends_on, last):
            closed_days.add((closure.site_id, day))
            day += timedelta(days=1)
    open_by_site = {
        site_id: [
            (_microseconds(start), _microseconds(end))
            for start, end in _opening_intervals(
                site_id, hours_by_site.get(site_id, {}), closed_days, starts_at, ends_at
            )
        ]
        for site_id in site_ids
    }
    # An occupancy counts for its resource and for every space around it.
    parent_of = {
        pk: space
        for pk, space in Resource.objects.filter(site_id__in=site_ids).values_list("pk", "space_id")
        if space is not None
    }
    wanted = {r.pk for r in resources}
    counted_for: dict[int, list[int]] = {}  # occupant -> wanted resources whose time it takes
    for pk in set(parent_of) | wanted | set(parent_of.values()):
        seen, ancestor = set(), pk
        while ancestor is not None and ancestor not in seen:
            seen.add(ancestor)
            if ancestor in wanted:
                counted_for.setdefault(pk, []).append(ancestor)
            ancestor = parent_of.get(ancestor)
    busy: dict[int, list[Interval]] = {pk: [] for pk in wanted}
    occupancies = occupancies_during(
        Occupancy.objects.filter(resource_id__in=list(counted_for)), starts_at, ends_at
    ).values_list("resource_id", "starts_at", "ends_at")
    for resource_id, start, end in occupancies:
        for counted in counted_for[resource_id]:
            busy[counted].append((_microseconds(start), _microseconds(end)))
    return {r.pk: _subtract(open_by_site[r.site_id], busy[r.pk]) for r in resources}


# Open time per site (opening hours on each local day, closures removed, clipped to the
# range), minus the union of the occupancies of each resource and of everything standing
# in it, on multiranges. Python never sees the thousands of occupancies of a busy week,
# only the free intervals, as JSON pairs of microseconds since the epoch.
_FREE_TIME_SQL_BODY = """
WITH RECURSIVE
wanted AS ({wanted}),
local_day(day) AS (
    SELECT generate_series((%(start)s::timestamptz AT TIME ZONE %(tz)s)::date,
                           (%(end)s::timestamptz AT TIME ZONE %(tz)s)::date,
                           interval '1 day')::date
),
opening(site_id, opens, closes) AS (
    SELECT h.site_id, (d.day + h.opens) AT TIME ZONE %(tz)s, (d.day + h.closes) AT TIME ZONE %(tz)s
      FROM local_day d
      JOIN fablab_openinghours h ON h.weekday = extract(isodow FROM d.day)::int - 1
     WHERE h.site_id IN (SELECT site_id FROM wanted)
       AND NOT EXISTS (SELECT 1 FROM fablab_closure c
                        WHERE c.site_id = h.site_id AND d.day BETWEEN c.starts_on AND c.ends_on)
),
open_time(site_id, ranges) AS (
    SELECT site_id, range_agg(tstzrange(greatest(opens, %(start)s::timestamptz),
                                        least(closes, %(end)s::timestamptz), '[)'))
      FROM opening
     WHERE opens < %(end)s::timestamptz AND closes > %(start)s::timestamptz AND opens < closes
     GROUP BY site_id
),
within(occupant, resource_id) AS (  -- each resource, and the spaces around it
    SELECT id, id FROM fablab_resource WHERE site_id IN (SELECT site_id FROM wanted)
    UNION
    SELECT w.occupant, r.space_id
      FROM within w JOIN fablab_resource r ON r.id = w.resource_id
     WHERE r.space_id IS NOT NULL
),
busy(resource_id, ranges) AS (
    SELECT w.resource_id, range_agg(tstzrange(o.starts_at, o.ends_at, '[)'))
      FROM within w
      JOIN fablab_occupancy o ON o.resource_id = w.occupant
     WHERE w.resource_id IN (SELECT resource_id FROM wanted WHERE available)
       AND tstzrange(o.starts_at, o.ends_at, '[)') && tstzrange(%(start)s, %(end)s, '[)')
     GROUP BY w.resource_id
)
SELECT {columns}, CASE WHEN NOT w.available THEN '[]'::json ELSE (
    -- Microseconds after the start of the range: small enough for a float's exact integers
    -- (numeric arithmetic on epochs cost more than the rest of the output).
    SELECT coalesce(json_agg(json_build_array(
               round(date_part('epoch', lower(f.r) - %(start)s::timestamptz) * 1e6)::bigint,
               round(date_part('epoch', upper(f.r) - %(start)s::timestamptz) * 1e6)::bigint)
               ORDER BY f.n), '[]')
      FROM unnest(coalesce(o.ranges, '{{}}'::tstzmultirange)
                  - coalesce(b.ranges, '{{}}'::tstzmultirange)) WITH ORDINALITY AS f(r, n))
  END
  FROM wanted w
  LEFT JOIN open_time o ON o.site_id = w.site_id
  LEFT JOIN busy b ON b.resource_id = w.resource_id
{order}
"""
# The free time of resources already in hand (their keys and sites).
_FREE_TIME_SQL = _FREE_TIME_SQL_BODY.format(
    wanted="SELECT resource_id, site_id, true AS available FROM unnest("
    "%(resources)s::bigint[], %(sites)s::bigint[]) AS u(resource_id, site_id)",
    columns="w.resource_id",
    order="",
)
# The resources an availability answer lists (one machine or space by slug, or those of a
# site and/or category) and their free time, in one statement: listing them through the ORM
# cost a query and as much Python as computing their free time.
_LISTED_FREE_TIME_SQL = _FREE_TIME_SQL_BODY.format(
    wanted="""
    SELECT r.id AS resource_id, r.site_id, r.slug, r.name, r.status, r.position,
           s.slug AS site_slug, s.name AS site_name, r.status = 'available' AS available
      FROM fablab_resource r
      JOIN fablab_site s ON s.id = r.site_id
     WHERE r.kind IN ('machine', 'space')
       AND (%(resource)s::text IS NULL OR r.slug = %(resource)s::text)
       AND (%(site)s::text IS NULL OR s.slug = %(site)s::text)
       AND (%(category)s::text IS NULL OR r.category_id =
            (SELECT id FROM fablab_machinecategory WHERE slug = %(category)s::text))""",
    columns="w.slug, w.name, w.status, w.site_slug",
    order="ORDER BY w.site_name, w.position, w.name",
)


def _prepared_rows(sql: str, params: dict) -> list[tuple]:
    started = time.monotonic()
    with connection.cursor() as cursor:
        # A server-side prepared statement (psycopg's own cursor: Django's binds on the
        # client side and cannot prepare). Planning these queries costs about as much as
        # running them, and they are the same every time. Not for PgBouncer's
        # transaction pooling, which Fabreck does not use.
        with psycopg.Cursor(cursor.connection) as raw:
            raw.execute(sql, params, prepare=True)
            rows = raw.fetchall()
    if connection.queries_logged:  # counted like every other query (tests assert counts)
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})
    return rows


def _offsets(free) -> list:
    # psycopg hands json back parsed or as text, depending on its loaders.
    return json.loads(free) if isinstance(free, str) else free


def _free_on_postgres(
    resources: list[Resource], starts_at: datetime, ends_at: datetime
) -> dict[int, list[Interval]]:
    params = {
        "resources": [r.pk for r in resources],
        "sites": [r.site_id for r in resources],
        "start": starts_at,
        "end": ends_at,
        "tz": timezone.get_current_timezone_name(),
    }
    origin = _microseconds(starts_at)
    return {
        pk: [(origin + lower, origin + upper) for lower, upper in _offsets(free)]
        for pk, free in _prepared_rows(_FREE_TIME_SQL, params)
    }


def availability_listed(
    *,
    starts_at: datetime,
    ends_at: datetime,
    resource_slug: str | None = None,
    site_slug: str | None = None,
    category_slug: str | None = None,
) -> list[dict]:
    """The availability answer of the API: the machines and spaces chosen by slug (one
    resource, or a site's and/or a category's), in order, each with its free time. On
    PostgreSQL one prepared statement lists them and computes their free time."""
    if connection.vendor != "postgresql":
        resources = resources_for_availability(
            resource_slug=resource_slug, site_slug=site_slug, category_slug=category_slug
        )
        return availability_serialised(resources=resources, starts_at=starts_at, ends_at=ends_at)
    params = {
        "resource": resource_slug,
        "site": site_slug,
        "category": category_slug,
        "start": starts_at,
        "end": ends_at,
        "tz": timezone.get_current_timezone_name(),
    }
    rows = _prepared_rows(_LISTED_FREE_TIME_SQL, params)
    return _serialised(
        [(slug, name, site, status, _offsets(free)) for slug, name, status, site, free in rows],
        origin=_microseconds(starts_at),
    )


def resources_bookable(
    *, site: Site | None = None, category=None, kinds=("machine", "space")
) -> QuerySet[Resource]:
    rows = Resource.objects.select_related("site", "category").filter(kind__in=kinds)
    if site is not None:
        rows = rows.filter(site=site)
    if category is not None:
        rows = rows.filter(category=category)
    return rows.order_by("site__name", "position", "name")


@dataclass(frozen=True, slots=True)
class ResourceListed:
    """What an availability answer shows of a resource (and what computing it reads)."""

    pk: int
    slug: str
    name: str
    status: str
    site_id: int
    site_slug: str


def resources_for_availability(
    *,
    resource_slug: str | None = None,
    site_slug: str | None = None,
    category_slug: str | None = None,
) -> list[ResourceListed]:
    """The resources an availability answer lists, in one query of the few columns it
    reads: building whole machines (descriptions, specs, photos…) and their sites cost
    more than computing their free time."""
    rows = Resource.objects.filter(kind__in=("machine", "space"))
    if resource_slug is not None:
        rows = rows.filter(slug=resource_slug)
    if site_slug is not None:
        rows = rows.filter(site__slug=site_slug)
    if category_slug is not None:
        rows = rows.filter(category__slug=category_slug)
    rows = rows.order_by("site__name", "position", "name").values_list(
        "pk", "slug", "name", "status", "site_id", "site__slug"
    )
    return [ResourceListed(*row) for row in rows]


# === Public and maker pages: sites, machines, calendar, my bookings, feeds ===============
# (appended by the fablab-pages branch)

CALENDAR_MAX_DAYS = MAX_AVAILABILITY_DAYS
MY_PAST_BOOKINGS = 50  # the my-bookings page shows this many past bookings at most
FEED_PAST = timedelta(days=90)  # bookings older than this leave the ICS feeds
FEED_CANCELLED_KEPT = timedelta(days=30)  # a cancellation stays in feeds this long


def sites_public() -> QuerySet[Site]:
    return Site.objects.order_by("name")


@dataclass
class SitePage:
    site: Site
    hours: list[tuple[str, list[OpeningHours]]]  # every weekday, Monday first; [] = closed
    closures: list[Closure]  # today and later
    staff: list[User]
    groups: list[tuple[str, list[Resource]]]  # ("Spaces" or a category's name, resources)


def _weekday_names() -> dict[int, str]:
    return {value: str(label) for value, label in OpeningHours._meta.get_field("weekday").choices}


def site_page(*, site: Site) -> SitePage:
    """What a visitor reads about a site, in a fixed number of queries."""
    by_day: dict[int, list[OpeningHours]] = {}
    for interval in OpeningHours.objects.filter(site=site).order_by("weekday", "opens"):
        by_day.setdefault(interval.weekday, []).append(interval)
    names = _weekday_names()
    closures = list(
        Closure.objects.filter(site=site, ends_on__gte=timezone.localdate()).order_by("starts_on")[
            :20
        ]
    )
    staff = list(site.staff.order_by("first_name", "last_name", "email"))
    resources = Resource.objects.filter(site=site).select_related("category")
    spaces, machines = [], {}
    for resource in resources.order_by("category__position", "position", "name"):
        if resource.kind == Resource.Kind.SPACE:
            spaces.append(resource)
        else:
            machines.setdefault(resource.category.name, []).append(resource)
    groups = ([(_("Spaces"), spaces)] if spaces else []) + list(machines.items())
    return SitePage(
        site=site,
        hours=[(names[day], by_day.get(day, [])) for day in range(7)],
        closures=closures,
        staff=staff,
        groups=groups,
    )


@dataclass
class ResourcePage:
    resource: Resource
    required_courses: list[Course]
    missing_courses: list[Course]  # what the reader still needs; all of them for visitors
    contents: list[Resource]  # what stands in this space
    price_group: PriceGroup
    hourly_rate: Decimal
    runs_site: bool


def resource_page(*, slug: str, viewer: User) -> ResourcePage:
    resource = (
        Resource.objects.select_related("site", "category", "space").filter(slug=slug).first()
    )
    if resource is None:
        raise Http404
    required = list(resource.required_courses.select_related("category"))
    if viewer.is_authenticated and required:
        missing = missing_courses(maker=viewer, resource=resource, until=timezone.now())
    else:
        missing = required
    maker = viewer if viewer.is_authenticated else None
    group = price_group_for(maker=maker)
    return ResourcePage(
        resource=resource,
        required_courses=required,
        missing_courses=missing,
        contents=list(resource.contents.select_related("category").order_by("position", "name")),
        price_group=group,
        hourly_rate=hourly_rate_for(resource=resource, price_group=group),
        runs_site=user_runs_site(user=viewer, site=resource.site),
    )


# --- Calendar --------------------------------------------------------------------------


@dataclass
class CalendarScope:
    """What a calendar shows: one resource, or a site's or a category's resources."""

    site: Site | None
    category: MachineCategory | None
    resource: Resource | None
    resources: list[Resource]

    @property
    def sites(self) -> list[Site]:
        return list({r.site_id: r.site for r in self.resources}.values())


def calendar_scope(*, site: str = "", category: str = "", resource: str = "") -> CalendarScope:
    """The scope named by the calendar's query parameters (slugs); an unknown slug is a
    404. In three queries at most."""
    found_site = found_category = found_resource = None
    if resource:
        found_resource = (
            Resource.objects.select_related("site", "category").filter(slug=resource).first()
        )
        if found_resource is None:
            raise Http404
        return CalendarScope(
            site=found_resource.site,
            category=found_resource.category,
            resource=found_resource,
            resources=[found_resource],
        )
    rows = Resource.objects.select_related("site", "category")
    if site:
        found_site = Site.objects.filter(slug=site).first()
        if found_site is None:
            raise Http404
        rows = rows.filter(site=found_site)
    if category:
        found_category = MachineCategory.objects.filter(slug=category).first()
        if found_category is None:
            raise Http404
        rows = rows.filter(category=found_category)
    return CalendarScope(
        site=found_site,
        category=found_category,
        resource=None,
        resources=list(rows.order_by("site__name", "position", "name")),
    )


@dataclass(frozen=True)
class CalendarEntry:
    """One thing on the calendar. kind: free, own, booked, block, maintenance, closure."""

    kind: str
    title: str
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    first_day: date | None = None  # closures are whole days
    last_day: date | None = None
    resource: Resource | None = None
    booking: Booking | None = None


def sites_run_among(*, user: User, site_ids: set[int] | list[int]) -> set[int]:
    """Which of these sites `user` runs, in one query (see user_runs_site)."""
    if not user.is_authenticated or not user.has_perm("accounts.run_site"):
        return set()
    if user.has_perm("fablab.change_site"):
        return set(site_ids)
    return set(
        Site.staff.through.objects.filter(site_id__in=site_ids, user_id=user.pk).values_list(
            "site_id", flat=True
        )
    )


def _bookable_window(resource: Resource, now: datetime) -> tuple[datetime, datetime]:
    site = resource.site
    return (
        now + timedelta(minutes=site.min_notice_minutes),
        now + timedelta(days=site.max_days_ahead),
    )


def calendar_entries(
    *, scope: CalendarScope, starts_at: datetime, ends_at: datetime, viewer: User
) -> list[CalendarEntry]:
    """Free time (only what a maker could still book), bookings (the viewer's own with
    details, others' as "Booked" with no name, except for the site's staff), staff blocks,
    maintenance and closures of the scope's resources. A fixed number of queries."""
    resources = scope.resources
    if not resources:
        return []
    if ends_at - starts_at > timedelta(days=CALENDAR_MAX_DAYS):
        raise ValidationError(
            _("A calendar shows %(days)d days at most.") % {"days": CALENDAR_MAX_DAYS},
            code="range_too_long",
        )
    site_ids = {r.site_id for r in resources}
    run = sites_run_among(user=viewer, site_ids=site_ids)
    now = timezone.now()
    entries: list[CalendarEntry] = []
    for free in availability(resources=resources, starts_at=starts_at, ends_at=ends_at):
        resource = free.resource
        if not (resource.is_bookable or resource.site_id in run):
            continue
        window_start, window_end = _bookable_window(resource, now)
        for start, end in free.free:
            start, end = max(start, window_start), min(end, window_end)
            if start < end:
                entries.append(
                    CalendarEntry(
                        kind="free",
                        title=resource.name,
                        starts_at=start,
                        ends_at=end,
                        resource=resource,
                    )
                )
    # What the scope's resources hold: their own occupancies and, for spaces, those of
    # everything standing in them.
    parent_of = dict(
        Resource.objects.filter(site_id__in=site_ids, space__isnull=False).values_list(
            "pk", "space_id"
        )
    )
    wanted = {r.pk for r in resources}
    held = set(wanted)
    for pk in parent_of:
        ancestor, seen = parent_of.get(pk), {pk}
        while ancestor is not None and ancestor not in seen:
            if ancestor in wanted:
                held.add(pk)
                break
            seen.add(ancestor)
            ancestor = parent_of.get(ancestor)
    # Two queries: occupancies_during's PostgreSQL range test names bare columns, which a
    # join with bookings (which have the same columns) would make ambiguous.
    booking_ids = set(
        occupancies_during(
            Occupancy.objects.filter(resource_id__in=held), starts_at, ends_at
        ).values_list("booking_id", flat=True)
    )
    for booking in (
        Booking.objects.filter(pk__in=booking_ids)
        .select_related("resource__site", "user")
        .order_by("starts_at", "pk")
    ):
        entries.append(_booking_entry(booking, viewer=viewer, runs=booking.resource.site_id in run))
    for closure in Closure.objects.filter(
        site_id__in=site_ids,
        starts_on__lte=_local(ends_at).date(),
        ends_on__gte=_local(starts_at).date(),
    ).select_related("site"):
        title = _("Site closed") + (f": {closure.reason}" if closure.reason else "")
        if len(site_ids) > 1:
            title = f"{closure.site.name} · {title}"
        entries.append(
            CalendarEntry(
                kind="closure", title=title, first_day=closure.starts_on, last_day=closure.ends_on
            )
        )
    return entries


def _booking_entry(booking: Booking, *, viewer: User, runs: bool) -> CalendarEntry:
    name = booking.resource.name
    if booking.kind == Booking.Kind.MAINTENANCE:
        kind, title = "maintenance", _("Maintenance · %(resource)s") % {"resource": name}
    elif booking.kind == Booking.Kind.BLOCK:
        kind, title = "block", _("Blocked · %(resource)s") % {"resource": name}
    elif viewer.is_authenticated and booking.user_id == viewer.pk:
        kind, title = "own", _("Your booking · %(resource)s") % {"resource": name}
    elif runs:
        kind = "booked"
        title = _("Booked by %(maker)s · %(resource)s") % {
            "maker": booking.user.display_name,
            "resource": name,
        }
    else:
        kind, title = "booked", _("Booked · %(resource)s") % {"resource": name}
    return CalendarEntry(
        kind=kind,
        title=title,
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        resource=booking.resource,
        booking=booking if kind == "own" or runs else None,
    )


# --- Booking preview ---------------------------------------------------------------------


@dataclass
class BookingPreview:
    """What a maker sees before confirming: the price, and every rule the booking breaks."""

    resource: Resource
    starts_at: datetime
    ends_at: datetime
    quote: Quote
    problems: list[str]
    missing_courses: list[Course]
    taken: bool
    # Hours the organisation's prepaid account would pay, and the price left to pay.
    prepaid_hours: Decimal = Decimal("0.00")
    price_to_pay: Decimal | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and not self.taken


def booking_preview(
    *,
    resource: Resource,
    starts_at: datetime,
    ends_at: datetime,
    maker: User,
    organisation=None,
    ignore_booking: Booking | None = None,
) -> BookingPreview:
    violations = rule_violations(
        resource=resource,
        starts_at=starts_at,
        ends_at=ends_at,
        maker=maker,
        organisation=organisation,
        ignore_booking=ignore_booking,
    )
    taken = (
        ends_at > starts_at
        and overlapping_occupancies(
            resource_ids=occupied_resource_ids(resource=resource),
            starts_at=starts_at,
            ends_at=ends_at,
            ignore_booking=ignore_booking,
        ).exists()
    )
    quote = booking_quote(
        resource=resource,
        maker=maker,
        organisation=organisation,
        starts_at=starts_at,
        ends_at=max(ends_at, starts_at),
    )
    split = prepaid_split(
        quote=quote, balance=prepaid_available(organisation=organisation, booking=ignore_booking)
    )
    return BookingPreview(
        resource=resource,
        starts_at=starts_at,
        ends_at=ends_at,
        quote=quote,
        prepaid_hours=split.prepaid_hours,
        price_to_pay=split.price,
        problems=[message for error in violations for message in error.messages],
        missing_courses=(
            missing_courses(maker=maker, resource=resource, until=ends_at)
            if any(error.code == "training_required" for error in violations)
            else []
        ),
        taken=taken,
    )


def resources_free_during(
    *, resources: list[Resource], starts_at: datetime, ends_at: datetime
) -> list[Resource]:
    """Which of these resources are free for the whole of [starts_at, ends_at)."""
    if ends_at <= starts_at:
        return []
    return [
        free.resource
        for free in availability(resources=resources, starts_at=starts_at, ends_at=ends_at)
        if free.free == [(starts_at, ends_at)] and free.resource.is_bookable
    ]


# --- My bookings -----------------------------------------------------------------------


def booking_change_deadline(booking: Booking) -> datetime:
    """Until when its maker may cancel or move a booking without the staff."""
    return booking.starts_at - timedelta(hours=booking.resource.site.cancellation_hours)


def booking_changeable_by(*, booking: Booking, user: User) -> bool:
    """Whether the page offers to cancel or move it (the service decides, again)."""
    if booking.status != Booking.Status.CONFIRMED or booking.ends_at <= timezone.now():
        return False
    if user_runs_site(user=user, site=booking.resource.site):
        return True
    return (
        booking.kind == Booking.Kind.BOOKING
        and booking.user_id == user.pk
        and timezone.now() <= booking_change_deadline(booking)
    )


@dataclass
class MyBookings:
    upcoming: list[Booking]
    past: list[Booking]


def bookings_of(*, user: User) -> MyBookings:
    """A maker's bookings, upcoming (all) and past (the latest), in two queries. Each
    carries `change_deadline` and `changeable` for the page."""
    now = timezone.now()
    rows = Booking.objects.filter(user=user, kind=Booking.Kind.BOOKING).select_related(
        "resource__site", "price_group", "organisation"
    )
    upcoming = list(rows.filter(ends_at__gt=now).order_by("starts_at"))
    past = list(rows.filter(ends_at__lte=now).order_by("-starts_at")[:MY_PAST_BOOKINGS])
    for booking in upcoming + past:
        booking.change_deadline = booking_change_deadline(booking)
        booking.changeable = (
            booking.status == Booking.Status.CONFIRMED
            and booking.ends_at > now
            and now <= booking.change_deadline
        )
    return MyBookings(upcoming=upcoming, past=past)


# --- Calendar feeds (ICS by secret URL) -----------------------------------------------


def feed_digest(secret: str) -> str:
    return secret_digest(secret)


def feeds_of(*, user: User) -> QuerySet[CalendarFeed]:
    return (
        CalendarFeed.objects.filter(owner=user, revoked_at__isnull=True)
        .select_related("resource__site")
        .order_by("created_at")
    )


def feed_by_secret(*, secret: str) -> CalendarFeed:
    """The live feed of a secret; unknown, revoked, or a resource feed whose owner no
    longer runs its site: 404."""
    feed = (
        CalendarFeed.objects.select_related("owner", "resource__site")
        .filter(digest=feed_digest(secret), revoked_at__isnull=True)
        .first()
    )
    if feed is None or not feed.owner.is_active:
        raise Http404
    if feed.resource is not None and not user_runs_site(user=feed.owner, site=feed.resource.site):
        raise Http404
    return feed


def feed_bookings(*, feed: CalendarFeed) -> list[Booking]:
    """Confirmed bookings from 90 days ago on, and cancelled ones for 30 days after their
    cancellation (calendars then remove them)."""
    now = timezone.now()
    rows = Booking.objects.select_related("resource__site", "user").filter(
        Q(status=Booking.Status.CONFIRMED)
        | Q(status=Booking.Status.CANCELLED, cancelled_at__gte=now - FEED_CANCELLED_KEPT),
        ends_at__gte=now - FEED_PAST,
    )
    if feed.resource_id is not None:
        rows = rows.filter(resource_id=feed.resource_id)
    else:
        rows = rows.filter(user_id=feed.owner_id, kind=Booking.Kind.BOOKING)
    return list(rows.order_by("starts_at")[:2000])


def organisations_for_booking(*, user: User) -> QuerySet:
    """The organisations `user` may book for: those they belong to."""
    from fabreck.cluster.models import Organisation

    return Organisation.objects.filter(memberships__user=user).order_by("name").distinct()


def resources_for_booking_form() -> QuerySet[Resource]:
    return Resource.objects.select_related("site").order_by("site__name", "position", "name")


def feed_calendar(*, feed: CalendarFeed) -> str:
    """The ICS text of a feed, in its owner's language. Staff feeds of a machine name the
    maker of each booking; a maker's feed is theirs alone."""
    from django.utils import translation

    from fabreck.core.ics import ics_calendar
    from fabreck.fablab.mail import booking_ics_event

    with translation.override(feed.owner.preferred_language):
        events = []
        for booking in feed_bookings(feed=feed):
            event = booking_ics_event(booking)
            if feed.resource_id is not None:
                who = booking.user.display_name if booking.user else booking.get_kind_display()
                event = replace(event, summary=f"{booking.resource.name}: {who}")
            events.append(event)
        if feed.resource_id is not None:
            name = _("Fabreck: %(resource)s") % {"resource": feed.resource.name}
        else:
            name = _("Fabreck: my FabLab bookings")
        return ics_calendar(events, name=name)


def machine_categories() -> QuerySet[MachineCategory]:
    return MachineCategory.objects.order_by("position", "slug")


# === Staff side: trainings, authorisations, the desk, the kiosk ============================

from django.core.exceptions import PermissionDenied  # noqa: E402
from django.db.models import Count, Prefetch  # noqa: E402
from django.shortcuts import get_object_or_404  # noqa: E402

from fabreck.fablab.models import Material, MaterialUse, TrainingParticipant, TrainingSession  # noqa: E402

CHECK_IN_EARLY = timedelta(minutes=15)  # a maker may check in this long before the start
NO_SHOW_GRACE = timedelta(minutes=15)  # and is a no-show this long after it, if absent
EXPIRING_SOON = timedelta(days=30)


def sites_run_by(*, user: User) -> list[Site]:
    """The sites `user` runs: those listing them as staff; every site for administrators."""
    if not user.is_authenticated or not user.has_perm("accounts.run_site"):
        return []
    if user.has_perm("fablab.change_site"):
        return list(Site.objects.order_by("name"))
    return list(user.fablab_sites.order_by("name"))


def site_run_by(*, user: User, slug: str) -> Site:
    """The site `slug` if `user` runs it: 404 when there is none, 403 when not theirs."""
    site = get_object_or_404(Site, slug=slug)
    if not user_runs_site(user=user, site=site):
        raise PermissionDenied(
            _("Only the staff of %(site)s may open this page.") % {"site": site.name}
        )
    return site


def user_by_email(*, email: str) -> User:
    """The account using `email` (any case), or a message staff can act on."""
    address = (email or "").strip()
    user = User.objects.filter(email__iexact=address).first() if address else None
    if user is None:
        raise ValidationError(
            {
                "email": ValidationError(
                    _("No account uses the address “%(email)s”: the maker signs up first.")
                    % {"email": address[:254]},
                    code="unknown_email",
                )
            }
        )
    return user


def _with_taken(rows: QuerySet[TrainingSession]) -> QuerySet[TrainingSession]:
    return rows.annotate(taken=Count("participants")).select_related("course", "instructor", "site")


def training_sessions_of_site(*, site: Site) -> QuerySet[TrainingSession]:
    """A site's sessions, newest first, each with `taken` places."""
    return _with_taken(TrainingSession.objects.filter(site=site)).order_by("-starts_at")


def training_session_of_site(*, site: Site, pk: int) -> TrainingSession:
    participants = TrainingParticipant.objects.select_related("user", "recorded_by").order_by(
        "user__last_name", "user__first_name", "user__email"
    )
    return get_object_or_404(
        _with_taken(TrainingSession.objects.filter(site=site)).prefetch_related(
            Prefetch("participants", queryset=participants)
        ),
        pk=pk,
    )


@dataclass
class CourseSessions:
    course: Course
    sessions: list[TrainingSession]  # each with .taken, .places_left, .mine


def trainings_upcoming(
    *, user: User | None = None, now: datetime | None = None
) -> list[CourseSessions]:
    """Upcoming sessions grouped by course, with the places left and whether `user` holds
    one of them. Three queries, whatever the number of sessions."""
    now = now or timezone.now()
    sessions = list(
        _with_taken(TrainingSession.objects.filter(starts_at__gt=now)).order_by(
            "course__category__position", "course__slug", "starts_at"
        )
    )
    mine: set[int] = set()
    if user is not None and user.is_authenticated and sessions:
        mine = set(
            TrainingParticipant.objects.filter(
                user=user, session__in=[s.pk for s in sessions]
            ).values_list("session_id", flat=True)
        )
    grouped: dict[int, CourseSessions] = {}
    for session in sessions:
        session.places_left = max(0, session.capacity - session.taken)
        session.mine = session.pk in mine
        grouped.setdefault(session.course_id, CourseSessions(session.course, [])).sessions.append(
            session
        )
    return list(grouped.values())


@dataclass
class AuthorisationState:
    authorisation: Authorisation
    state: str  # valid, expiring, expired, revoked

    @property
    def label(self) -> str:
        return {
            "valid": _("Valid"),
            "expiring": _("Expires soon"),
            "expired": _("Expired"),
            "revoked": _("Revoked"),
        }[self.state]


def authorisation_state(authorisation: Authorisation, now: datetime) -> str:
    if authorisation.revoked_at is not None:
        return "revoked"
    if authorisation.expires_at is not None and authorisation.expires_at <= now:
        return "expired"
    if authorisation.expires_at is not None and authorisation.expires_at <= now + EXPIRING_SOON:
        return "expiring"
    return "valid"


def authorisations_of(*, user: User, now: datetime | None = None) -> list[AuthorisationState]:
    """Every authorisation of `user`, newest first, with its state; revoked ones keep their
    reason."""
    now = now or timezone.now()
    rows = (
        Authorisation.objects.filter(user=user)
        .select_related("course", "issued_by", "revoked_by", "session__site")
        .order_by("-issued_at", "-pk")
    )
    return [AuthorisationState(a, authorisation_state(a, now)) for a in rows]


def trainings_of(*, user: User) -> QuerySet[TrainingParticipant]:
    """The sessions `user` registered for, newest first."""
    return (
        TrainingParticipant.objects.filter(user=user)
        .select_related("session__course", "session__site")
        .order_by("-session__starts_at")
    )


def maker_profile_of(*, user: User) -> MakerProfile | None:
    return MakerProfile.objects.select_related("price_group").filter(user=user).first()


def local_day_bounds(day) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    return start, timezone.make_aware(
        datetime.combine(day + timedelta(days=1), datetime.min.time())
    )


@dataclass
class DeskRow:
    resource: Resource
    bookings: list[Booking]


def desk_day(*, site: Site, day) -> list[DeskRow]:
    """A site's bookings, blocks and maintenance of one local day, per resource, each with
    its maker and the materials used. Three queries, whatever the number of bookings."""
    start, end = local_day_bounds(day)
    uses = MaterialUse.objects.select_related("material").order_by("recorded_at", "pk")
    bookings = (
        Booking.objects.filter(
            resource__site=site,
            status=Booking.Status.CONFIRMED,
            starts_at__lt=end,
            ends_at__gt=start,
        )
        .select_related("user", "resource__site")
        .prefetch_related(Prefetch("materials", queryset=uses))
        .order_by("starts_at", "pk")
    )
    by_resource: dict[int, list[Booking]] = {}
    for booking in bookings:
        by_resource.setdefault(booking.resource_id, []).append(booking)
    resources = Resource.objects.filter(site=site, pk__in=list(by_resource)).order_by(
        "position", "name"
    )
    return [DeskRow(resource, by_resource[resource.pk]) for resource in resources]


def desk_booking(*, site: Site, pk: int) -> Booking:
    """One booking of `site` for the desk's actions and partials."""
    uses = MaterialUse.objects.select_related("material").order_by("recorded_at", "pk")
    return get_object_or_404(
        Booking.objects.select_related("user", "resource__site").prefetch_related(
            Prefetch("materials", queryset=uses)
        ),
        pk=pk,
        resource__site=site,
    )


def materials_on_sale(*, site: Site) -> QuerySet[Material]:
    return Material.objects.filter(site=site, is_active=True).order_by("name_en")


def kiosk_bookings(*, site: Site, email: str, day) -> list[Booking]:
    """Today's bookings at `site` of the maker with this e-mail. An unknown address finds
    nothing, exactly like a known one without bookings: the kiosk tells no one who has
    an account."""
    address = (email or "").strip()
    if not address:
        return []
    start, end = local_day_bounds(day)
    return list(
        Booking.objects.filter(
            resource__site=site,
            kind=Booking.Kind.BOOKING,
            status=Booking.Status.CONFIRMED,
            user__email__iexact=address,
            starts_at__lt=end,
            ends_at__gt=start,
        )
        .select_related("resource", "user")
        .order_by("starts_at")
    )


def staff_blocks(*, site: Site, now: datetime | None = None) -> QuerySet[Booking]:
    """Current and coming blocks and maintenance of a site's resources."""
    now = now or timezone.now()
    return (
        Booking.objects.filter(
            resource__site=site,
            kind__in=[Booking.Kind.BLOCK, Booking.Kind.MAINTENANCE],
            status=Booking.Status.CONFIRMED,
            ends_at__gt=now,
        )
        .select_related("resource", "booked_by")
        .order_by("starts_at")
    )


def resources_of_site(*, site: Site) -> QuerySet[Resource]:
    return (
        Resource.objects.filter(site=site).select_related("category").order_by("position", "name")
    )


# === Prepaid hours (credits) ==================================================================
# An organisation's prepaid machine hours (an incubated startup's grant): its bookings use
# them first, the price covers only the rest. Its people read the balance and history; the
# FabLab staff (of any site) read every account and grant or adjust hours.

from django.core.paginator import Page, Paginator  # noqa: E402

from fabreck.fablab.models import PrepaidAccount, PrepaidMovement  # noqa: E402

HOURS_STEP = Decimal("0.01")
PREPAID_MOVEMENTS_PER_PAGE = 50
PREPAID_ACCOUNTS_PER_PAGE = 50


def hours_round(hours: Decimal) -> Decimal:
    return Decimal(hours).quantize(HOURS_STEP, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class PrepaidSplit:
    """How a booking is paid: hours taken from the prepaid account, and the price left."""

    prepaid_hours: Decimal
    price: Decimal


def prepaid_split(*, quote: Quote, balance: Decimal) -> PrepaidSplit:
    """min(balance, booking hours) prepaid; the price covers the hours not prepaid."""
    hours = hours_round(quote.hours)
    used = max(min(Decimal(balance), hours), Decimal("0.00"))
    if used <= 0:
        return PrepaidSplit(prepaid_hours=Decimal("0.00"), price=quote.price)
    return PrepaidSplit(prepaid_hours=used, price=price_round(quote.hourly_rate * (hours - used)))


def user_is_fablab_staff(*, user: User) -> bool:
    """Staff of any site (or administrators): they look after every prepaid account."""
    return bool(user.is_authenticated and user.has_perm("accounts.run_site"))


def prepaid_balance_of(*, organisation) -> Decimal | None:
    """The hours left on an organisation's account; None when it has none."""
    if organisation is None:
        return None
    return (
        PrepaidAccount.objects.filter(organisation=organisation)
        .values_list("balance_hours", flat=True)
        .first()
    )


@dataclass
class PrepaidAccountPage:
    organisation: object
    account: PrepaidAccount | None
    movements: Page
    is_staff: bool

    @property
    def balance(self) -> Decimal:
        return self.account.balance_hours if self.account else Decimal("0.00")


def prepaid_account_page(*, slug: str, user: User, page: object = 1) -> PrepaidAccountPage:
    """An organisation's balance and movements, newest first, a page at a time: for its
    people (when it has an account) and for the FabLab staff. Anyone else: 404."""
    from fabreck.cluster.models import Organisation

    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None or not user.is_authenticated:
        raise Http404
    is_staff = user_is_fablab_staff(user=user)
    if not is_staff and not organisation.memberships.filter(user=user).exists():
        raise Http404
    account = PrepaidAccount.objects.filter(organisation=organisation).first()
    if account is None and not is_staff:
        raise Http404
    rows = (
        PrepaidMovement.objects.filter(account=account)
        .select_related("booking__resource", "by")
        .order_by("-at", "-pk")
        if account is not None
        else PrepaidMovement.objects.none()
    )
    movements = Paginator(rows, PREPAID_MOVEMENTS_PER_PAGE).get_page(page)
    return PrepaidAccountPage(
        organisation=organisation, account=account, movements=movements, is_staff=is_staff
    )


def prepaid_accounts_of(*, user: User) -> list[PrepaidAccount]:
    """The prepaid accounts of the organisations `user` belongs to (for their bookings page)."""
    return list(
        PrepaidAccount.objects.filter(organisation__memberships__user=user)
        .select_related("organisation")
        .order_by("organisation__name")
        .distinct()
    )


def prepaid_accounts_listed(*, user: User, query: str = "", page: object = 1) -> Page:
    """Staff: every account (with a name search), a page at a time. Others: 404."""
    if not user_is_fablab_staff(user=user):
        raise Http404
    rows = PrepaidAccount.objects.select_related("organisation").order_by("organisation__name")
    if query.strip():
        rows = rows.filter(organisation__name__icontains=query.strip()[:80])
    return Paginator(rows, PREPAID_ACCOUNTS_PER_PAGE).get_page(page)


def organisations_without_account(*, query: str, limit: int = 20) -> list:
    """Staff search: organisations matching `query` that have no prepaid account yet (to
    grant them their first hours)."""
    from fabreck.cluster.models import Organisation

    if not query.strip():
        return []
    return list(
        Organisation.objects.filter(
            name__icontains=query.strip()[:80], fablab_prepaid_account__isnull=True
        ).order_by("name")[:limit]
    )


def prepaid_available(*, organisation, booking: Booking | None = None) -> Decimal:
    """The hours a booking for `organisation` could use now; moving `booking` gives its own
    hours back first, so they count as available."""
    balance = prepaid_balance_of(organisation=organisation) or Decimal("0.00")
    if (
        booking is not None
        and organisation is not None
        and booking.organisation_id == organisation.pk
        and booking.status == Booking.Status.CONFIRMED
    ):
        balance += booking.prepaid_hours
    return balance
