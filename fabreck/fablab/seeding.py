"""Demo and benchmark data for the FabLab network.

Both scales build the same two sites (a public prototyping lab in Belval, an industrial
lab in a creative hub in Differdange) with their hours, holidays, fleet, courses, rates
and materials, then a history of trainings and bookings:

- demo: the last three weeks and the next two, a few training sessions, ~2,000 bookings;
- large: ten years, about 1,000,000 bookings over a fleet grown to ~60 machines and
  spaces, for the 200,000 seeded makers.

Bookings are generated per resource and open day as a sequence of slots that never
overlap, within the opening hours and outside closures; a space's bookings are laid out
first and its machines fill the gaps, so every Occupancy row (the booked resource, plus
for a space everything standing in it) fits the PostgreSQL exclusion constraint.
Prices follow `selectors.booking_quote`. Rows go in with COPY on PostgreSQL.
"""

from __future__ import annotations

import math
import random
import time as clock
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from fabreck.accounts.models import User
from fabreck.core.seeding import seeder_register
from fabreck.fablab.models import (
    Authorisation,
    Booking,
    Closure,
    Course,
    MachineCategory,
    MakerProfile,
    Material,
    MaterialUse,
    Occupancy,
    OpeningHours,
    PriceGroup,
    Rate,
    Resource,
    Site,
    TrainingSession,
)
from fabreck.fablab.seed_data import (
    BLOCK_NOTES,
    BLOCK_SHARE,
    CANCEL_REASONS,
    CANCELLED,
    CATEGORY_RATES,
    CATEGORY_TEXT,
    COURSE_TAKE_UP,
    COURSES,
    DEMO_MAKER_EMAIL,
    DURATIONS,
    EVIDENCE,
    FLEET,
    GAPS,
    GROUP_FACTORS,
    MAINTENANCE_NOTES,
    MAKERS_MARK,
    MATERIALS,
    NO_SHOW,
    ORGANISATION_SHARE,
    PROJECTS,
    RESOURCE_RATES,
    SCALE_ACTIVE_SHARE,
    SITE_BREAKS,
    SITES,
    SPACE_DAY_SHARE,
    SPACE_TEXT,
    STAFF_EMAIL,
    Unit,
    lu_public_holidays,
)

# --- The network: sites, fleet, courses, rates, materials --------------------------------


@dataclass
class SitePlan:
    pk: int
    slug: str
    hours: dict[int, tuple[tuple[int, int], ...]]  # weekday -> (opens, closes) in minutes
    closed: set[date]
    step: int
    min_minutes: int
    max_minutes: int
    notice: int
    days_ahead: int
    quota: int  # minutes per maker and week
    tops: list[Node] = field(default_factory=list)  # what stands in no space

    def intervals(self, day: date) -> tuple[tuple[int, int], ...]:
        if day in self.closed:
            return ()
        return self.hours.get(day.weekday(), ())


@dataclass
class Node:
    """A resource as the generator sees it."""

    pk: int
    unit: Unit
    site: SitePlan
    key: str  # category slug, or the space's short slug
    course_pk: int | None
    durations: tuple[int, ...]
    rates: dict[int, Decimal]  # price group pk -> hourly rate
    materials: list[tuple[int, Decimal, float, float, bool]]  # pk, price, lo, hi, whole
    children: list[Node] = field(default_factory=list)
    occupies: list[int] = field(default_factory=list)  # itself and everything inside
    maintenance_every: int = 8  # weeks
    maintenance_phase: int = 0

    def subtree(self) -> list[Node]:
        nodes = [self]
        for child in self.children:
            nodes += child.subtree()
        return nodes


@dataclass
class Network:
    sites: list[SitePlan]
    nodes: dict[str, Node]
    courses: dict[str, Course]
    groups: dict[str, int]  # price group slug -> pk
    training_machine: dict[str, Node]
    counts: dict[str, int]


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def _closures(site: dict, first: date, last: date) -> list[Closure]:
    """The site's holidays and breaks that touch [first, last]."""
    rows = []
    open_days = set(site["hours"])
    for year in range(first.year - 1, last.year + 1):
        breaks = []
        for starts, ends, en, fr, de in SITE_BREAKS.get(site["slug"], ()):
            breaks.append((starts(year), ends(year)))
            if ends(year) >= first and starts(year) <= last:
                rows.append(
                    Closure(starts_on=starts(year), ends_on=ends(year), reason_en=en,
                            reason_fr=fr, reason_de=de)
                )  # fmt: skip
        for day, en, fr, de in lu_public_holidays(year):
            if not first <= day <= last or day.weekday() not in open_days:
                continue
            if any(s <= day <= e for s, e in breaks) or any(
                c.starts_on <= day <= c.ends_on for c in rows
            ):
                continue
            rows.append(Closure(starts_on=day, ends_on=day, reason_en=en, reason_fr=fr,
                                reason_de=de))  # fmt: skip
    return sorted(rows, key=lambda c: c.starts_on)


def _durations(key: str, site: SitePlan) -> tuple[int, ...]:
    out = []
    for minutes in DURATIONS[key]:
        minutes = min(max(minutes, site.min_minutes), site.max_minutes)
        minutes -= minutes % site.step
        if minutes >= site.min_minutes:
            out.append(minutes)
    return tuple(out)


def _network_create(*, scale: str, rng: random.Random, first: date, last: date,
                    staff: User | None) -> Network:  # fmt: skip
    categories = {c.slug: c for c in MachineCategory.objects.all()}
    groups = dict(PriceGroup.objects.values_list("slug", "pk"))
    sites: list[SitePlan] = []
    site_rows: dict[str, Site] = {}
    counts: dict[str, int] = defaultdict(int)
    for spec in SITES:
        site = Site.objects.create(
            slug=spec["slug"],
            name=spec["name"],
            kind=spec["kind"],
            description_en=spec["description_en"],
            description_fr=spec["description_fr"],
            description_de=spec["description_de"],
            street=spec["street"],
            postcode=spec["postcode"],
            locality=spec["locality"],
            email=spec["email"],
            phone=spec["phone"],
            is_open_to_public=spec["is_open_to_public"],
            **spec["rules"],
        )
        site_rows[spec["slug"]] = site
        if staff is not None:
            site.staff.add(staff)
        OpeningHours.objects.bulk_create(
            [
                OpeningHours(site=site, weekday=weekday, opens=opens, closes=closes)
                for weekday, intervals in spec["hours"].items()
                for opens, closes in intervals
            ]
        )
        closures = _closures(spec, first, last + timedelta(days=365))
        for closure in closures:
            closure.site = site
        Closure.objects.bulk_create(closures)
        counts["sites"] += 1
        counts["closures"] += len(closures)
        counts["opening hours"] += sum(len(i) for i in spec["hours"].values())
        rules = spec["rules"]
        sites.append(
            SitePlan(
                pk=site.pk,
                slug=spec["slug"],
                hours={
                    weekday: tuple((_minutes(o), _minutes(c)) for o, c in intervals)
                    for weekday, intervals in spec["hours"].items()
                },
                closed={
                    c.starts_on + timedelta(days=n)
                    for c in closures
                    for n in range((c.ends_on - c.starts_on).days + 1)
                },
                step=rules["slot_minutes"],
                min_minutes=rules["min_booking_minutes"],
                max_minutes=rules["max_booking_minutes"],
                notice=rules["min_notice_minutes"],
                days_ahead=rules["max_days_ahead"],
                quota=rules["weekly_quota_hours"] * 60,
            )
        )
    site_plans = {s.slug: s for s in sites}

    courses = {}
    for slug, category, _home, minutes, months, en, fr, de, den, dfr, dde in COURSES:
        courses[slug] = Course.objects.create(
            slug=slug,
            category=categories[category],
            name_en=en,
            name_fr=fr,
            name_de=de,
            description_en=den,
            description_fr=dfr,
            description_de=dde,
            duration_minutes=minutes,
            validity_months=months,
        )
    counts["courses"] = len(courses)

    # Rates: every category for every group, resource rates for the spaces.
    rates = [
        Rate(
            price_group_id=groups[group],
            category=categories[category],
            hourly_rate=_round_rate(public * factor),
        )
        for category, public in CATEGORY_RATES.items()
        for group, factor in GROUP_FACTORS.items()
    ]

    units = [u for u in FLEET if scale == "large" or not u.large_only]
    resources: dict[str, Resource] = {}
    for position, unit in enumerate(units):
        site_slug = unit.site
        key = unit.slug.removeprefix(f"{site_slug}-") if unit.is_space else unit.category
        texts = SPACE_TEXT[key] if unit.is_space else CATEGORY_TEXT[key]
        resources[unit.slug] = Resource(
            site=site_rows[site_slug],
            kind=Resource.Kind.SPACE if unit.is_space else Resource.Kind.MACHINE,
            category=None if unit.is_space else categories[unit.category],
            slug=unit.slug,
            name=unit.name,
            description_en=texts[0],
            description_fr=texts[1],
            description_de=texts[2],
            specs="\n".join(unit.specs),
            documentation_url=unit.docs,
            status=unit.status,
            capacity=unit.capacity,
            is_bookable=unit.bookable,
            position=position,
        )
    Resource.objects.bulk_create(resources.values())
    resources = {r.slug: r for r in Resource.objects.filter(slug__in=resources)}
    for unit in units:
        if unit.space:
            resources[unit.slug].space = resources[f"{unit.site}-{unit.space}"]
            resources[unit.slug].save(update_fields=["space"])
        if unit.course:
            resources[unit.slug].required_courses.add(courses[unit.course])
    for slug, public in RESOURCE_RATES.items():
        if slug not in resources:
            continue
        rates += [
            Rate(
                price_group_id=groups[group],
                resource=resources[slug],
                hourly_rate=_round_rate(public * factor),
            )
            for group, factor in GROUP_FACTORS.items()
        ]
    Rate.objects.bulk_create(rates)
    counts["resources"] = len(resources)
    counts["rates"] = len(rates)

    materials = []
    for site_slug, _key, en, fr, de, unit_name, price, _q, _used in MATERIALS:
        materials.append(
            Material(site=site_rows[site_slug], name_en=en, name_fr=fr, name_de=de,
                     unit=unit_name, unit_price=Decimal(price))
        )  # fmt: skip
    Material.objects.bulk_create(materials)
    counts["materials"] = len(materials)
    material_pks = {(m.site_id, m.name_en): m.pk for m in Material.objects.all()}

    # What the generator needs, in memory.
    rate_of = {
        (r.price_group_id, r.resource_id, r.category_id): r.hourly_rate for r in Rate.objects.all()
    }
    public = groups["public"]
    nodes: dict[str, Node] = {}
    for unit in units:
        resource = resources[unit.slug]
        site = site_plans[unit.site]
        key = unit.slug.removeprefix(f"{unit.site}-") if unit.is_space else unit.category

        def rate(group: int, resource=resource) -> Decimal:
            # selectors.hourly_rate_for: resource, then category, then the public ones.
            for g, r, c in (
                (group, resource.pk, None),
                (group, None, resource.category_id),
                (public, resource.pk, None),
                (public, None, resource.category_id),
            ):
                if (g, r, c) in rate_of and (c is not None or r is not None):
                    return rate_of[(g, r, c)]
            return Decimal("0.00")

        node_materials = []
        for site_slug, _key, en, _fr, _de, unit_name, price, (lo, hi), used in MATERIALS:
            if site_slug == unit.site and any(
                u == unit.category or unit.slug.startswith(u) for u in used
            ):
                node_materials.append(
                    (material_pks[(resource.site_id, en)], Decimal(price), lo, hi,
                     unit_name in ("sheet", "piece", "cone"))
                )  # fmt: skip
        nodes[unit.slug] = Node(
            pk=resource.pk,
            unit=unit,
            site=site,
            key=key,
            course_pk=courses[unit.course].pk if unit.course else None,
            durations=_durations(key, site),
            rates={pk: rate(pk) for pk in groups.values()},
            materials=node_materials,
            maintenance_every=rng.choice((6, 8, 10, 12)),
            maintenance_phase=rng.randrange(12),
        )
    for unit in units:
        node = nodes[unit.slug]
        if unit.space:
            nodes[f"{unit.site}-{unit.space}"].children.append(node)
        else:
            node.site.tops.append(node)
    for node in nodes.values():
        node.occupies = [n.pk for n in node.subtree()]

    training_machine = {}
    for slug, category, home, *_rest in COURSES:
        candidates = [
            n for n in nodes.values()
            if n.unit.site == home and n.unit.category == category and n.unit.status == "available"
        ]  # fmt: skip
        exact = [n for n in candidates if n.unit.course == slug]
        if exact or candidates:
            training_machine[slug] = (exact or candidates)[0]
    return Network(
        sites=sites,
        nodes=nodes,
        courses=courses,
        groups=groups,
        training_machine=training_machine,
        counts=counts,
    )


def _round_rate(amount: Decimal) -> Decimal:
    """To the 50 cents."""
    return (amount * 2).quantize(Decimal("1"), rounding=ROUND_HALF_UP) / 2


# --- Rows in bulk: COPY on PostgreSQL, executemany elsewhere -----------------------------

BOOKING_FIELDS = (
    "id", "created_at", "updated_at", "resource", "kind", "status", "starts_at", "ends_at",
    "user", "booked_by", "organisation", "project_reference", "note", "rules_overridden",
    "price_group", "hourly_rate", "price", "cancelled_at", "cancelled_by", "cancel_reason",
    "checked_in_at", "checked_out_at", "no_show",
)  # fmt: skip
OCCUPANCY_FIELDS = ("booking", "resource", "starts_at", "ends_at")
MATERIAL_USE_FIELDS = ("booking", "material", "quantity", "unit_price", "recorded_by",
                       "recorded_at")  # fmt: skip
SESSION_FIELDS = ("id", "course", "site", "instructor", "starts_at", "ends_at", "capacity")
AUTHORISATION_FIELDS = (
    "user", "course", "issued_by", "issued_at", "expires_at", "evidence", "session",
    "revoked_at", "revoked_by", "revoke_reason", "reminder_sent_at",
)  # fmt: skip
PROFILE_FIELDS = ("user", "price_group", "price_group_note")


def rows_insert(model: type[models.Model], names: tuple[str, ...], rows: Iterable[tuple]) -> int:
    """Insert plain tuples (Python values, in the order of `names`) fast: psycopg's COPY on
    PostgreSQL, else executemany of values prepared by the fields themselves."""
    fields = [model._meta.get_field(name) for name in names]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        placeholders = ", ".join(["%s"] * len(fields))
        # Names from the model's own meta, quoted; values go as parameters.
        sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
        batch: list[tuple] = []
        for row in rows:
            batch.append(
                tuple(f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True))
            )
            if len(batch) >= 5000:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def _next_id(model: type[models.Model]) -> int:
    return (model.objects.aggregate(top=models.Max("pk"))["top"] or 0) + 1


def _sequences_reset(*model_classes: type[models.Model]) -> None:
    """After rows inserted with explicit ids, the next automatic id follows them."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(model_classes))
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


# --- Trainings and who may book what -----------------------------------------------------


@dataclass
class Reserved:
    """A slot fixed before the day is filled: a training block, maintenance, a planned
    booking; `kind` "" holds the time for a multi-day block written once."""

    starts: int
    ends: int
    kind: str
    note: str = ""
    maker: int | None = None
    status: str = ""  # "" decided by the date; "cancelled" for a planned cancellation


@dataclass
class Trainings:
    sessions: list[tuple] = field(default_factory=list)
    authorisations: list[tuple] = field(default_factory=list)
    reserved: dict[tuple[int, date], list[Reserved]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # (period, required course or None) -> makers who may book then (repeated by activity)
    pools: dict[tuple[int, int | None], list[int]] = field(
        default_factory=lambda: defaultdict(list)
    )
    profiles: dict[int, int] = field(default_factory=dict)  # maker -> price group


def _local(day: date, minutes: int, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(minutes=minutes)


def _open_day(site: SitePlan, day: date, *, direction: int) -> date:
    while not site.intervals(day):
        day += timedelta(days=direction)
    return day


def _session_add(
    trainings: Trainings,
    *,
    net: Network,
    course_slug: str,
    day: date,
    session_id: int,
    staff_id: int,
    capacity: int,
    tz: ZoneInfo,
) -> tuple[datetime, datetime]:
    """A session at the end of the day's last opening interval, holding the course's
    training machine."""
    course = net.courses[course_slug]
    machine = net.training_machine[course_slug]
    site = machine.site
    opens, closes = site.intervals(day)[-1]
    starts = max(opens, closes - course.duration_minutes)
    starts_at, ends_at = _local(day, starts, tz), _local(day, closes, tz)
    trainings.sessions.append(
        (session_id, course.pk, site.pk, staff_id, starts_at, ends_at, capacity)
    )
    trainings.reserved[(machine.pk, day)].append(
        Reserved(starts, closes, Booking.Kind.BLOCK, note=f"Training: {course.name_en}")
    )
    return starts_at, ends_at


def _authorisation(
    *,
    user: int,
    course: Course,
    staff_id: int,
    issued_at: datetime,
    now: datetime,
    session: int | None = None,
    evidence: str = "",
    revoked: tuple[datetime, str] | None = None,
) -> tuple:
    expires_at = (
        issued_at + relativedelta(months=course.validity_months) if course.validity_months else None
    )
    reminder = None
    if expires_at is not None and expires_at - timedelta(days=30) < now:
        reminder = expires_at - timedelta(days=30)
    return (
        user, course.pk, staff_id, issued_at, expires_at, evidence, session,
        revoked[0] if revoked else None, staff_id if revoked else None,
        revoked[1] if revoked else "", reminder,
    )  # fmt: skip


def _trainings_demo(
    net: Network,
    rng: random.Random,
    *,
    now: datetime,
    first: date,
    last: date,
    makers: list[int],
    demo_maker: int | None,
    staff_id: int,
    tz: ZoneInfo,
) -> Trainings:
    """A few sessions around today; most makers trained earlier (evidence on record);
    the demo maker holds 3D printing and vinyl, not the laser."""
    trainings = Trainings()
    today = now.astimezone(tz).date()
    session_id = _next_id(TrainingSession)
    past: dict[str, list] = {}  # course -> [session id, ends_at, attendees]
    for slug, offset in (
        ("3d-printing-basics", -16),
        ("woodworking-safety", -12),
        ("laser-safety", -9),
        ("embroidery-machine", -5),
        ("laser-safety", 8),
        ("waterjet-operator", 10),
    ):
        site = net.training_machine[slug].site
        day = _open_day(site, today + timedelta(days=offset), direction=-1 if offset < 0 else 1)
        _starts, ends = _session_add(
            trainings, net=net, course_slug=slug, day=day, session_id=session_id,
            staff_id=staff_id, capacity=8, tz=tz,
        )  # fmt: skip
        if offset < 0:
            past[slug] = [session_id, ends, []]
        session_id += 1

    held: dict[int, list[tuple]] = defaultdict(list)  # maker -> authorisation rows

    def grant(maker: int, slug: str, *, via_session: bool, days_ago: int = 0, **extra) -> None:
        course = net.courses[slug]
        if via_session and slug in past and len(past[slug][2]) < 8:
            session = past[slug]
            session[2].append(maker)
            row = _authorisation(user=maker, course=course, staff_id=staff_id,
                                 issued_at=session[1], now=now, session=session[0])  # fmt: skip
        else:
            issued = (now - timedelta(days=days_ago)).replace(microsecond=0)
            row = _authorisation(user=maker, course=course, staff_id=staff_id,
                                 issued_at=issued, now=now, evidence=rng.choice(EVIDENCE),
                                 **extra)  # fmt: skip
        held[maker].append(row)

    if demo_maker is not None:
        grant(demo_maker, "3d-printing-basics", via_session=True)
        grant(demo_maker, "vinyl-cutting", via_session=False, days_ago=200)
    for n, maker in enumerate(makers):
        if n == 0:  # a revoked laser authorisation
            grant(
                maker,
                "laser-safety",
                via_session=False,
                days_ago=300,
                revoked=(now - timedelta(days=20), "Left the laser running unattended."),
            )
            continue  # fmt: skip
        if n == 1:  # an expired one, its reminder sent
            grant(maker, "cnc-milling", via_session=False, days_ago=900)
        for slug, *_rest in COURSES:
            if rng.random() < min(0.9, COURSE_TAKE_UP[slug] * 1.3):
                validity = net.courses[slug].validity_months
                oldest = int(validity * 30 * 0.7) if validity else 900
                grant(maker, slug, via_session=rng.random() < 0.5,
                      days_ago=rng.randint(30, oldest))  # fmt: skip
    trainings.authorisations = [row for rows in held.values() for row in rows]

    weeks = (last - first).days // 7 + 1
    everyone = [m for m in makers if m != demo_maker]
    for week in range(weeks):
        week_start, week_end = first + timedelta(days=7 * week), first + timedelta(7 * week + 6)
        trainings.pools[(week, None)] = everyone
        for maker in everyone:
            for row in held[maker]:
                issued, expires, revoked = row[3], row[4], row[7]
                if (
                    revoked is None
                    and issued.astimezone(tz).date() < week_start
                    and (expires is None or expires.astimezone(tz).date() > week_end)
                ):
                    trainings.pools[(week, row[1])].append(maker)

    groups = net.groups
    for maker in everyone:
        roll = rng.random()
        if roll < 0.25:
            trainings.profiles[maker] = groups["student"]
        elif roll < 0.3:
            trainings.profiles[maker] = groups["incubated-startup"]
    if demo_maker is not None:
        trainings.profiles[demo_maker] = groups["student"]
        _demo_maker_bookings(trainings, net, today=today, maker=demo_maker)
    return trainings


def _demo_maker_bookings(trainings: Trainings, net: Network, *, today: date, maker: int) -> None:
    """What the demo maker finds under "My bookings": one done, one cancelled, two ahead,
    all on machines they are trained for."""
    nodes = net.nodes
    esch = nodes["esch-prusa-mk4-1"].site
    for slug, offset, starts, ends, status in (
        ("esch-prusa-mk4-1", -7, 14 * 60, 15 * 60 + 30, ""),
        ("esch-bambu-x1c-1", -3, 10 * 60, 12 * 60, "cancelled"),
        ("esch-prusa-mk4-2", 2, 15 * 60, 16 * 60 + 30, ""),
        ("esch-roland-camm-1-gs-24", 6, 10 * 60, 11 * 60, ""),
    ):
        day = _open_day(esch, today + timedelta(days=offset), direction=1)
        trainings.reserved[(nodes[slug].pk, day)].append(
            Reserved(starts, ends, Booking.Kind.BOOKING, maker=maker, status=status)
        )


def _trainings_large(
    net: Network,
    rng: random.Random,
    *,
    now: datetime,
    first: date,
    last: date,
    makers: list[int],
    staff_id: int,
    tz: ZoneInfo,
) -> Trainings:
    """Ten years of members: each active for a while, trained at sessions (renewed when
    the course expires), eligible for its machines from the month after."""
    trainings = Trainings()
    today = now.astimezone(tz).date()
    days = (last - first).days + 1
    today_index = (today - first).days
    home = {slug: home for slug, _c, home, *_r in COURSES}
    courses = [(slug, net.courses[slug]) for slug, *_r in COURSES if slug in net.training_machine]
    requests: dict[tuple[str, int], list[int]] = defaultdict(list)  # (course, week) -> chains
    chains: list[list] = []  # [maker, slug, desired days, issued datetimes]
    spans: list[tuple[int, int, int, int]] = []  # maker, first day, last day, weight
    for maker in rng.sample(makers, int(len(makers) * SCALE_ACTIVE_SHARE)):
        start = rng.randrange(-540, days)
        end = start + 60 + int(rng.expovariate(1 / 700))
        if end < 0:
            continue
        weight = rng.choices((1, 2, 4, 8), (60, 25, 12, 3))[0]
        spans.append((maker, max(start, 0), min(end, days - 1), weight))
        affinity = rng.choices(("esch", "differdange", "both"), (70, 12, 18))[0]
        for slug, course in courses:
            if affinity != "both" and home[slug] != affinity:
                continue
            if rng.random() >= COURSE_TAKE_UP[slug]:
                continue
            day = start + rng.randint(0, 45)
            if day >= today_index or day > end - 14:
                continue
            desired = [day]
            if course.validity_months:
                every = int(course.validity_months * 30.44) - 21
                while desired[-1] + every < min(end, today_index):
                    desired.append(desired[-1] + every)
            chain = [maker, slug, desired, []]
            chains.append(chain)
            for d in desired:
                if d >= 0:
                    requests[(slug, d // 7)].append(len(chains) - 1)

    session_id = _next_id(TrainingSession)
    issued_by_chain: dict[int, list[tuple[datetime, int | None]]] = defaultdict(list)
    used_days: set[tuple[str, date]] = set()
    for (slug, week), members in sorted(requests.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        site = net.training_machine[slug].site
        candidates: list[date] = []
        for extra in range(4):  # a week without an open day: the next one
            monday = first + timedelta(days=7 * (week + extra))
            candidates = [
                monday + timedelta(days=n)
                for n in range(7)
                if site.intervals(monday + timedelta(days=n))
                and monday + timedelta(days=n) < today
                and (slug, monday + timedelta(days=n)) not in used_days
            ]
            if candidates:
                break
        if not candidates:
            for chain_index in members:
                issued_by_chain[chain_index].append((None, None))
            continue
        count = min(len(candidates), math.ceil(len(members) / 8))
        capacity = max(8, math.ceil(len(members) / count))
        for n in range(count):
            day = candidates[(n * len(candidates)) // count]
            used_days.add((slug, day))
            _starts, ends = _session_add(
                trainings, net=net, course_slug=slug, day=day, session_id=session_id,
                staff_id=staff_id, capacity=capacity, tz=tz,
            )  # fmt: skip
            for chain_index in members[n * capacity : (n + 1) * capacity]:
                issued_by_chain[chain_index].append((ends, session_id))
            session_id += 1

    def month(day_index: int) -> int:
        day = first + timedelta(days=day_index)
        return (day.year - first.year) * 12 + day.month - first.month

    def month_bounds(m: int) -> tuple[date, date]:
        start = date(first.year + (first.month - 1 + m) // 12, (first.month - 1 + m) % 12 + 1, 1)
        return start, start + relativedelta(months=1) - timedelta(days=1)

    span_of = {maker: (s, e, w) for maker, s, e, w in spans}
    for maker, s, e, w in spans:
        for m in range(month(s), month(e) + 1):
            trainings.pools[(m, None)].extend([maker] * w)
    evidence_at = time(12)
    for index, (maker, slug, desired, _issued) in enumerate(chains):
        course = net.courses[slug]
        scheduled = iter(issued_by_chain.get(index, ()))
        rows = []
        for d in desired:
            if d < 0:  # trained before the booking system: on record with evidence
                issued = datetime.combine(first + timedelta(days=d), evidence_at, tzinfo=tz)
                rows.append(
                    _authorisation(
                        user=maker,
                        course=course,
                        staff_id=staff_id,
                        issued_at=issued,
                        now=now,
                        evidence="Trained before the online booking system.",
                    )
                )
                continue  # fmt: skip
            ends, session = next(scheduled, (None, None))
            if ends is None:
                issued = datetime.combine(first + timedelta(days=d), evidence_at, tzinfo=tz)
                rows.append(_authorisation(user=maker, course=course, staff_id=staff_id,
                                           issued_at=issued, now=now,
                                           evidence=rng.choice(EVIDENCE)))  # fmt: skip
            else:
                rows.append(_authorisation(user=maker, course=course, staff_id=staff_id,
                                           issued_at=ends, now=now, session=session))  # fmt: skip
        trainings.authorisations += rows
        # Valid stretches: an authorisation renewed before it expired continues the last.
        stretches: list[list] = []
        for row in sorted(rows, key=lambda r: r[3]):
            issued, expires = row[3].astimezone(tz).date(), row[4]
            expires = expires.astimezone(tz).date() if expires else date.max
            if stretches and issued <= stretches[-1][1]:
                stretches[-1][1] = max(stretches[-1][1], expires)
            else:
                stretches.append([issued, expires])
        s, e, w = span_of[maker]
        for m in range(month(s), month(e) + 1):
            m_start, m_end = month_bounds(m)
            if any(m_start > valid_from and m_end < valid_to for valid_from, valid_to in stretches):
                trainings.pools[(m, course.pk)].extend([maker] * w)

    groups = net.groups
    for maker, *_rest in spans:
        roll = rng.random()
        if roll < 0.12:
            trainings.profiles[maker] = groups["student"]
        elif roll < 0.15:
            trainings.profiles[maker] = groups["incubated-startup"]
    return trainings


# --- Bookings ----------------------------------------------------------------------------


class _History:
    """Walks the days of the window, site by site, laying out each resource's day."""

    def __init__(
        self,
        *,
        net: Network,
        scale: str,
        rng: random.Random,
        now: datetime,
        first: date,
        last: date,
        trainings: Trainings,
        period_of: Callable[[date], int],
        staff_id: int,
        tz: ZoneInfo,
        stdout,
        chunk: int,
    ) -> None:
        self.net, self.rng, self.now, self.tz = net, rng, now, tz
        self.first, self.last = first, last
        self.trainings, self.period_of = trainings, period_of
        self.staff_id, self.stdout, self.chunk = staff_id, stdout, chunk
        self.reserved = trainings.reserved
        self.gap_values, self.gap_weights = GAPS[scale]
        self.verbose = scale == "large"
        self.public = net.groups["public"]
        self.next_id = _next_id(Booking)
        self.bookings: list[tuple] = []
        self.occupancies: list[tuple] = []
        self.material_uses: list[tuple] = []
        self.counts: dict[str, int] = defaultdict(int)
        self.quota: dict[tuple[int, int], int] = {}
        self.prices: dict[tuple[Decimal, int], Decimal] = {}
        self.orgs_of: dict[int, list[int]] = defaultdict(list)
        self.org_group: dict[int, int] = {}
        self.org_members: list[tuple[int, list[int]]] = []
        self.started = clock.monotonic()

    # Organisations the makers belong to (when the cluster is seeded) and their groups.
    def organisations_load(self) -> None:
        from fabreck.cluster.models import Organisation, OrganisationPerson

        groups = self.net.groups
        for pk, kind, size, status in Organisation.objects.values_list(
            "pk", "kind", "size_band", "status"
        ):
            # selectors.price_group_for
            if kind == "nonprofit":
                slug = "nonprofit"
            elif kind == "large_group" or size == "250+":
                slug = "large-company"
            elif status == "member":
                slug = "cluster-member"
            else:
                slug = "sme"
            self.org_group[pk] = groups[slug]
        members: dict[int, list[int]] = defaultdict(list)
        for organisation, user in OrganisationPerson.objects.order_by("pk").values_list(
            "organisation_id", "user_id"
        ):
            self.orgs_of[user].append(organisation)
            members[organisation].append(user)
        self.org_members = sorted(members.items())

    def long_block(self, node: Node, first_day: date, last_day: date, note: str) -> None:
        """A multi-day maintenance (a machine in maintenance or out of order): written
        once, holding every open interval of the days it covers."""
        site = node.site
        first_day = _open_day(site, first_day, direction=-1)
        last_day = _open_day(site, last_day, direction=1)
        day = first_day
        while day <= last_day:
            for opens, closes in site.intervals(day):
                self.reserved[(node.pk, day)].insert(0, Reserved(opens, closes, ""))
            day += timedelta(days=1)
        starts_at = _local(first_day, site.intervals(first_day)[0][0], self.tz)
        ends_at = _local(last_day, site.intervals(last_day)[-1][1], self.tz)
        self._write(node, starts_at, ends_at, Booking.Kind.MAINTENANCE, note=note)

    def run(self) -> None:
        day, site_week = self.first, {}
        while day <= self.last:
            if day.weekday() == 0:
                self.quota.clear()
            week = (day - self.first).days // 7
            period = self.period_of(day)
            for site in self.net.sites:
                intervals = site.intervals(day)
                if not intervals:
                    continue
                first_open = site_week.get(site.pk) != week
                site_week[site.pk] = week
                for top in site.tops:
                    self._group_day(top, day, intervals, week, period, first_open)
            if len(self.bookings) >= self.chunk:
                self.flush(day)
            day += timedelta(days=1)
        self.flush(self.last)

    def _group_day(self, top: Node, day: date, intervals, week: int, period: int,
                   first_open: bool) -> None:  # fmt: skip
        rng = self.rng
        nodes = top.subtree()
        taken: dict[int, list[tuple[int, int]]] = {n.pk: [] for n in nodes}
        for node in nodes:
            for reserved in self.reserved.get((node.pk, day), ()):
                self._reserve(node, day, reserved, taken, period)
        for node in nodes:
            step = node.site.step
            if (
                not node.unit.is_space
                and first_open
                and (week + node.maintenance_phase) % node.maintenance_every == 0
            ):
                opens, closes = intervals[0]
                minutes = min(rng.choice((60, 90, 120)), closes - opens)
                note = f"Preventive maintenance: {MAINTENANCE_NOTES[node.key].lower()}"
                self._reserve(node, day, Reserved(opens, opens + minutes - minutes % step,
                              Booking.Kind.MAINTENANCE, note=note), taken, period)  # fmt: skip
            if rng.random() < BLOCK_SHARE:
                opens, closes = rng.choice(intervals)
                minutes = rng.choice((60, 120, 180))
                if closes - opens >= minutes:
                    starts = opens + step * rng.randrange((closes - opens - minutes) // step + 1)
                    self._reserve(node, day, Reserved(starts, starts + minutes, Booking.Kind.BLOCK,
                                  note=rng.choice(BLOCK_NOTES)), taken, period)  # fmt: skip
        self._fill(top, day, intervals, taken, period)

    def _reserve(self, node: Node, day: date, reserved: Reserved, taken, period: int) -> None:
        below = node.subtree()
        span = (reserved.starts, reserved.ends)
        if any(s < span[1] and span[0] < e for n in below for s, e in taken[n.pk]):
            return  # already held (a training on a machine under repair): left out
        if reserved.kind and not self._book(
            node, day, *span, period, kind=reserved.kind, maker=reserved.maker,
            status=reserved.status, note=reserved.note,
        ):  # fmt: skip
            return
        for n in below:
            taken[n.pk].append(span)

    def _fill(self, node: Node, day: date, intervals, taken, period: int) -> None:
        below = node.subtree()
        busy = sorted(span for n in below for span in taken[n.pk])
        if node.children:  # a space with machines: now and then booked as a whole
            share = SPACE_DAY_SHARE.get(node.key, 0.1)
            slots = (
                self._slots(node, intervals, busy, limit=self.rng.choice((1, 1, 2)))
                if self.rng.random() < share
                else []
            )
        else:
            slots = self._slots(node, intervals, busy)
        for starts, ends in slots:
            if self._book(node, day, starts, ends, period):
                for n in below:
                    taken[n.pk].append((starts, ends))
        for child in node.children:
            self._fill(child, day, intervals, taken, period)

    def _slots(self, node: Node, intervals, busy, limit: int = 0) -> list[tuple[int, int]]:
        """Non-overlapping slots on the site's step, within the intervals, around `busy`."""
        rng, site = self.rng, node.site
        step, shortest, durations = site.step, site.min_minutes, node.durations
        gaps, weights = self.gap_values, self.gap_weights
        out: list[tuple[int, int]] = []
        for opens, closes in intervals:
            t = opens
            while t < closes:
                t += rng.choices(gaps, weights)[0]
                t += -t % step
                ends = min(t + rng.choice(durations), closes)
                ends -= (ends - t) % step
                if ends - t < shortest:
                    break
                for s, e in busy:
                    if s < ends and t < e:
                        if s - t >= shortest:
                            ends = s
                        else:
                            t, ends = e, 0
                        break
                if not ends:
                    continue
                out.append((t, ends))
                if limit and len(out) >= limit:
                    return out
                t = ends
        return out

    def _pick(self, node: Node, period: int, minutes: int) -> int | None:
        pool = self.trainings.pools.get((period, node.course_pk))
        if not pool:
            return None
        site = node.site.pk
        for _attempt in range(4):
            maker = pool[int(self.rng.random() * len(pool))]
            used = self.quota.get((maker, site), 0)
            if used + minutes <= node.site.quota:
                self.quota[(maker, site)] = used + minutes
                return maker
        return None

    def _price(self, rate: Decimal, minutes: int) -> Decimal:
        key = (rate, minutes)
        if key not in self.prices:
            hours = Decimal(minutes * 60) / Decimal(3600)
            self.prices[key] = (rate * hours).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return self.prices[key]

    def _book(
        self,
        node: Node,
        day: date,
        starts: int,
        ends: int,
        period: int,
        *,
        kind: str = Booking.Kind.BOOKING,
        maker: int | None = None,
        status: str = "",
        note: str = "",
    ) -> bool:
        rng = self.rng
        starts_at, ends_at = _local(day, starts, self.tz), _local(day, ends, self.tz)
        if kind != Booking.Kind.BOOKING:
            self._write(node, starts_at, ends_at, kind, note=note)
            return True
        organisation, staff_only = None, not node.unit.bookable
        planned = maker is not None
        if planned:
            key = (maker, node.site.pk)
            self.quota[key] = self.quota.get(key, 0) + ends - starts
        elif staff_only and self.org_members:  # rented through the staff by a company
            organisation, members = self.org_members[int(rng.random() * len(self.org_members))]
            maker = members[int(rng.random() * len(members))]
        else:
            maker = self._pick(node, period, ends - starts)
            if maker is None:
                return False
        if (
            not planned
            and organisation is None
            and maker in self.orgs_of
            and rng.random() < ORGANISATION_SHARE
        ):
            organisation = rng.choice(self.orgs_of[maker])
        group = (
            self.org_group[organisation]
            if organisation
            else self.trainings.profiles.get(maker, self.public)
        )
        self._write(
            node, starts_at, ends_at, kind, maker=maker, organisation=organisation,
            group=group, status=status, planned=planned,
            booked_by=self.staff_id if staff_only or rng.random() < 0.08 else maker,
            override=staff_only,
        )  # fmt: skip
        return True

    def _write(
        self,
        node: Node,
        starts_at: datetime,
        ends_at: datetime,
        kind: str,
        *,
        note: str = "",
        maker: int | None = None,
        organisation: int | None = None,
        group: int | None = None,
        status: str = "",
        planned: bool = False,
        booked_by: int | None = None,
        override: bool = False,
    ) -> None:
        rng, now, site = self.rng, self.now, node.site
        pk = self.next_id
        self.next_id += 1
        minutes = int((ends_at - starts_at).total_seconds()) // 60
        rate = price = None
        cancelled_at = cancelled_by = checked_in = checked_out = None
        cancel_reason = project = ""
        no_show = False
        if kind == Booking.Kind.BOOKING:
            rate = node.rates[group]
            price = self._price(rate, minutes)
            lead = min(site.days_ahead * 1440, site.notice + int(rng.expovariate(1 / 2880)))
            created = starts_at - timedelta(minutes=lead)
            latest = min(now, starts_at - timedelta(minutes=site.notice))
            if created > latest:
                created = latest - timedelta(minutes=rng.randint(1, 120))
            if organisation and rng.random() < 0.5:
                project = f"{rng.choice(PROJECTS)} {starts_at.year}-{rng.randint(1, 400):03d}"
        else:
            created = min(starts_at - timedelta(days=rng.randint(1, 14)), now)
            booked_by = self.staff_id
        roll = rng.random()
        updated = created
        if kind == Booking.Kind.BOOKING and (
            status == "cancelled" or (not planned and roll < CANCELLED)
        ):
            status = Booking.Status.CANCELLED
            cancelled_at = created + (min(starts_at, now) - created) * rng.random()
            cancelled_by = maker
            cancel_reason = rng.choice(CANCEL_REASONS)
            updated = cancelled_at
        else:
            status = Booking.Status.CONFIRMED
            if kind == Booking.Kind.BOOKING and starts_at <= now:
                if ends_at <= now and not planned and roll < CANCELLED + NO_SHOW:
                    no_show = True
                    self.counts["no-shows"] += 1
                    updated = min(ends_at + timedelta(minutes=15), now)
                else:
                    checked_in = starts_at + timedelta(minutes=rng.randint(0, 10))
                    updated = checked_in
                    if ends_at <= now:
                        checked_out = max(
                            ends_at - timedelta(minutes=rng.randint(0, 10)),
                            checked_in + timedelta(minutes=5),
                        )
                        updated = checked_out
                        self._materials(node, pk, checked_out)
            for resource in node.occupies:
                self.occupancies.append((pk, resource, starts_at, ends_at))
            self.counts["occupancies"] += len(node.occupies)
        self.bookings.append(
            (
                pk, created, updated, node.pk, kind, status, starts_at, ends_at, maker,
                booked_by, organisation, project, note, override, group, rate, price,
                cancelled_at, cancelled_by, cancel_reason, checked_in, checked_out, no_show,
            )
        )  # fmt: skip
        self.counts[f"{kind} {status}"] += 1

    def _materials(self, node: Node, booking: int, at: datetime) -> None:
        rng = self.rng
        if not node.materials or rng.random() >= 0.45:
            return
        chosen = rng.sample(node.materials, min(len(node.materials), 1 + (rng.random() < 0.25)))
        for material, price, lo, hi, whole in chosen:
            if whole:
                quantity = Decimal(rng.randint(int(lo), int(hi)))
            else:
                quantity = max(Decimal(f"{rng.uniform(lo, hi):.1f}"), Decimal("0.1"))
            self.material_uses.append((booking, material, quantity, price, self.staff_id, at))

    def flush(self, day: date) -> None:
        if not self.bookings:
            return
        with transaction.atomic():
            rows_insert(Booking, BOOKING_FIELDS, self.bookings)
            rows_insert(Occupancy, OCCUPANCY_FIELDS, self.occupancies)
            rows_insert(MaterialUse, MATERIAL_USE_FIELDS, self.material_uses)
        self.counts["bookings"] += len(self.bookings)
        self.counts["material uses"] += len(self.material_uses)
        self.bookings, self.occupancies, self.material_uses = [], [], []
        if self.verbose:
            self.stdout.write(
                f"    fablab: {self.counts['bookings']:,} bookings up to {day:%Y-%m-%d} "
                f"({clock.monotonic() - self.started:.0f} s)"
            )


# --- The seeder --------------------------------------------------------------------------


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


@seeder_register(name="fablab", order=30)
def seed_fablab(*, scale: str, rng: random.Random, stdout) -> dict[str, int]:
    started = clock.monotonic()
    tz = ZoneInfo(settings.TIME_ZONE)
    now = timezone.now().replace(microsecond=0)
    today = now.astimezone(tz).date()
    if scale == "large":
        first = _monday(today - relativedelta(years=10))
    else:
        first = _monday(today - timedelta(days=21))
    last = today + timedelta(days=14)
    staff = User.objects.filter(email=STAFF_EMAIL).first()
    makers = list(
        User.objects.filter(email__contains=MAKERS_MARK).order_by("pk").values_list("pk", flat=True)
    )
    demo_maker = User.objects.filter(email=DEMO_MAKER_EMAIL).values_list("pk", flat=True).first()

    def say(message: str) -> None:
        if scale == "large":
            stdout.write(f"    fablab: {message} ({clock.monotonic() - started:.1f} s)")

    if Site.objects.exists():
        raise CommandError("The FabLab is seeded already; run with --fresh to replace it.")
    with transaction.atomic():
        net = _network_create(scale=scale, rng=rng, first=first, last=last, staff=staff)
    counts = dict(net.counts)
    if staff is None or not makers:
        stdout.write("    fablab: no staff or makers seeded: sites and fleet only")
        return counts

    if scale == "large":
        trainings = _trainings_large(net, rng, now=now, first=first, last=last, makers=makers,
                                     staff_id=staff.pk, tz=tz)  # fmt: skip

        def period_of(day: date) -> int:
            return (day.year - first.year) * 12 + day.month - first.month

    else:
        trainings = _trainings_demo(
            net, rng, now=now, first=first, last=last, makers=makers, demo_maker=demo_maker,
            staff_id=staff.pk, tz=tz,
        )  # fmt: skip

        def period_of(day: date) -> int:
            return (day - first).days // 7

    say(f"{len(trainings.authorisations):,} authorisations planned")
    with transaction.atomic():
        counts["training sessions"] = rows_insert(
            TrainingSession, SESSION_FIELDS, trainings.sessions
        )
        counts["authorisations"] = rows_insert(
            Authorisation, AUTHORISATION_FIELDS, trainings.authorisations
        )
        notes = {net.groups["student"]: "Student card checked", None: ""}
        counts["maker profiles"] = rows_insert(
            MakerProfile,
            PROFILE_FIELDS,
            (
                (maker, group, notes.get(group, "Incubation agreement on file"))
                for maker, group in sorted(trainings.profiles.items())
            ),
        )
        _sequences_reset(TrainingSession)
    say("trainings written")

    history = _History(
        net=net, scale=scale, rng=rng, now=now, first=first, last=last, trainings=trainings,
        period_of=period_of, staff_id=staff.pk, tz=tz, stdout=stdout,
        chunk=100_000 if scale == "large" else 1_000_000,
    )  # fmt: skip
    history.organisations_load()
    for node in net.nodes.values():
        if node.unit.status == "maintenance":
            history.long_block(node, today - timedelta(days=2), last + timedelta(days=2),
                               "Laser tube replacement: waiting for the technician")  # fmt: skip
        elif node.unit.status == "out_of_order":
            history.long_block(
                node,
                today - timedelta(days=9),
                last + timedelta(days=16),
                "Out of order: spindle motor failed, spare part ordered",
            )
    history.run()
    _sequences_reset(Booking)
    found = history.counts
    counts["bookings"] = found["bookings"]
    counts["cancelled bookings"] = found["booking cancelled"]
    counts["no-shows"] = found["no-shows"]
    counts["staff blocks"] = found["block confirmed"]
    counts["maintenance windows"] = found["maintenance confirmed"]
    counts["occupancies"] = found["occupancies"]
    counts["material uses"] = found["material uses"]
    return counts
