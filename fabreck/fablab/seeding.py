"""Demo and benchmark data for the FabLab network.

Both scales build the same two sites (a public prototyping lab in Belval, an industrial
lab in a creative hub in Differdange) with their hours, holidays, fleet, courses, rates
and materials, then a history of trainings and bookings:

- demo: 28 machines and spaces; the last three weeks and the next two, a few training
  sessions, ~2,000 bookings;
- large: ten years and about 1,000,000 bookings, for the 200,000 seeded makers, over the
  fleet a network that busy needs (79: a print farm, more benches, rooms and machines).

Bookings are generated per resource and open day as a sequence of slots that never
overlap, within the opening hours and outside closures; a space's bookings are laid out
first and its machines fill the gaps, so every Occupancy row (the booked resource, plus
for a space everything standing in it) fits the PostgreSQL exclusion constraint.
Prices follow `selectors.booking_quote`; makers book only machines they hold a valid
training for, within the weekly quota. Rows go in with COPY on PostgreSQL, while a
thread builds the next ones (about 2.5 minutes for the large scale on two cores).
"""

from __future__ import annotations

import math
import random
import threading
import time as clock
from calendar import monthrange
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from queue import Empty, Full, Queue
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
    INSTRUCTOR_EMAIL,
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


def _network_create(
    *, scale: str, rng: random.Random, first: date, last: date, staff: User | None
) -> Network:
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
COPY_NULL = "\\N"


def _copy_text(value: str | None) -> str:
    if value is None:
        return COPY_NULL
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
        value = value.replace("\r", "\\r")
    return value


def _copy_converter(field: models.Field) -> Callable[[object], str]:
    """How COPY's text format spells a value of this field."""
    kind = field.get_internal_type()
    if kind == "DateTimeField":
        return lambda v: COPY_NULL if v is None else v.isoformat()
    if kind == "BooleanField":
        return lambda v: "t" if v else "f"
    if kind in {"CharField", "TextField", "SlugField", "EmailField", "URLField"}:
        return _copy_text
    return lambda v: COPY_NULL if v is None else str(v)  # numbers, keys, decimals, dates


def rows_insert(model: type[models.Model], names: tuple[str, ...], rows: Iterable[tuple]) -> int:
    """Insert plain tuples (Python values in the order of `names`) fast: COPY in text format
    on PostgreSQL, else executemany of values prepared by the fields themselves."""
    fields = [model._meta.get_field(name) for name in names]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            converters = [_copy_converter(f) for f in fields]
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                lines: list[str] = []
                for row in rows:
                    lines.append(
                        "\t".join([c(v) for c, v in zip(converters, row, strict=True)]) + "\n"
                    )
                    if len(lines) >= 5000:
                        copy.write("".join(lines))
                        count += len(lines)
                        lines = []
                copy.write("".join(lines))
                count += len(lines)
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


@contextmanager
def indexes_built_after(*model_classes: type[models.Model]):
    """On PostgreSQL, load these tables without their secondary indexes, unique and foreign
    keys (as pg_restore does) and build them once at the end: several times faster than
    keeping them up to date row by row. Primary keys, checks and the exclusion constraint
    stay, so every row is still checked as it arrives. Run it inside a transaction: a
    failure rolls the schema back with the rows."""
    if connection.vendor != "postgresql":
        yield
        return
    tables = [model._meta.db_table for model in model_classes]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype "
            "FROM pg_constraint WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('f', 'u') "
            "ORDER BY contype DESC, conname",  # unique ones first: foreign keys may need them
            [tables],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1",
            [tables],
        )
        indexes = cursor.fetchall()
        for table, name, _definition, _kind in constraints:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {connection.ops.quote_name(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        for table, name, definition, _kind in constraints:
            cursor.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}"
            )


def _next_id(model: type[models.Model]) -> int:
    return (model.objects.aggregate(top=models.Max("pk"))["top"] or 0) + 1


def _sequences_reset(*model_classes: type[models.Model]) -> None:
    """After rows inserted with explicit ids, the next automatic id follows them."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(model_classes))
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _in_background(chunks: Iterator, *, depth: int = 2) -> Iterator:
    """Iterate `chunks` in a thread while the caller writes the previous chunk: the
    database works on one core while Python builds the next rows on the other. The
    thread touches no database connection."""
    queue: Queue = Queue(maxsize=depth)
    stop, done = threading.Event(), object()

    def produce() -> None:
        try:
            for chunk in chunks:
                while not stop.is_set():
                    try:
                        queue.put(chunk, timeout=0.5)
                        break
                    except Full:
                        continue
                if stop.is_set():
                    return
            queue.put(done)
        except BaseException as error:  # handed to the caller
            queue.put(error)

    thread = threading.Thread(target=produce, name="fablab-seed", daemon=True)
    thread.start()
    try:
        while True:
            item = queue.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            with suppress(Empty):
                queue.get(timeout=0.1)
        thread.join()


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
    # (site, day) -> where the day's sessions so far begin: the next ends there
    taught: dict[tuple[int, date], int] = field(default_factory=dict)


# Bookings are made at most this long before they start (within the site's own limit),
# so a maker may book from BOOKED_AHEAD after their training.
BOOKED_AHEAD = timedelta(days=14)


def _local(day: date, minutes: int, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(minutes=minutes)


def _add_months(moment: datetime, months: int) -> datetime:
    """As `+ relativedelta(months=…)` (services._expiry), without its cost."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, monthrange(year, month)[1]))


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
    instructor: int,
    capacity: int,
    tz: ZoneInfo,
) -> datetime | None:
    """A session at the end of the day, or just before the day's other sessions (one
    instructor teaches them one after the other), holding the course's training machine.
    Its end, or None when the day is full."""
    course = net.courses[course_slug]
    machine = net.training_machine[course_slug]
    site = machine.site
    intervals = site.intervals(day)
    until = trainings.taught.get((site.pk, day), intervals[-1][1])
    for opens, closes in reversed(intervals):
        ends = min(closes, until)
        starts = ends - course.duration_minutes
        if starts >= opens:
            break
    else:
        return None
    trainings.taught[(site.pk, day)] = starts
    starts_at, ends_at = _local(day, starts, tz), _local(day, ends, tz)
    trainings.sessions.append(
        (session_id, course.pk, site.pk, instructor, starts_at, ends_at, capacity)
    )
    trainings.reserved[(machine.pk, day)].append(
        Reserved(starts, ends, Booking.Kind.BLOCK, note=f"Training: {course.name_en}")
    )
    return ends_at


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
    months = course.validity_months
    expires_at = _add_months(issued_at, months) if months else None
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
    """A few sessions around today, taught by the demo staff login; most makers trained
    earlier (evidence on record); the demo maker holds 3D printing and vinyl, not the
    laser."""
    trainings = Trainings()
    today = now.astimezone(tz).date()
    session_id = _next_id(TrainingSession)
    past: dict[str, list] = {}  # course -> [session id, ends_at, attendees]
    teaching_days: set[date] = set()
    for slug, offset in (
        ("3d-printing-basics", -16),
        ("woodworking-safety", -12),
        ("laser-safety", -9),
        ("embroidery-machine", -5),
        ("laser-safety", 8),
        ("waterjet-operator", 10),
    ):
        site = net.training_machine[slug].site
        direction = -1 if offset < 0 else 1
        day = _open_day(site, today + timedelta(days=offset), direction=direction)
        while day in teaching_days:  # one place at a time
            day = _open_day(site, day + timedelta(days=direction), direction=direction)
        teaching_days.add(day)
        ends = _session_add(
            trainings, net=net, course_slug=slug, day=day, session_id=session_id,
            instructor=staff_id, capacity=8, tz=tz,
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
                    and issued.astimezone(tz).date() + BOOKED_AHEAD < week_start
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
    instructors: dict[str, int],
    tz: ZoneInfo,
) -> Trainings:
    """Ten years of members: each active for a while, trained at sessions (renewed before
    the course expires), allowed on its machines from the month after."""
    trainings = Trainings()
    today = now.astimezone(tz).date()
    days = (last - first).days + 1
    today_index = (today - first).days
    earliest = -600
    home = {slug: home for slug, _c, home, *_r in COURSES}
    courses = [(slug, net.courses[slug]) for slug, *_r in COURSES if slug in net.training_machine]
    requests: dict[tuple[str, int], list[int]] = defaultdict(list)  # (course, week) -> chains
    chains: list[tuple[int, str, list[int]]] = []  # maker, course, wished training days
    spans: list[tuple[int, int, int, int]] = []  # maker, first day, last day, weight
    for maker in rng.sample(makers, int(len(makers) * SCALE_ACTIVE_SHARE)):
        start = rng.randrange(earliest + 60, days)
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
            wished = [day]
            if course.validity_months:
                every = int(course.validity_months * 30.44) - 45  # renewed in time
                while wished[-1] + every < min(end, today_index):
                    wished.append(wished[-1] + every)
            chains.append((maker, slug, wished))
            for d in wished:
                if d >= 0:
                    requests[(slug, d // 7)].append(len(chains) - 1)

    # Sessions: each week's trainees of a course, eight to twelve a session, on the open
    # days of that week (or the next ones), stacked before the day's other sessions.
    session_id = _next_id(TrainingSession)
    held_at: dict[int, list[tuple[datetime, int] | None]] = defaultdict(list)
    for (slug, week), trainees in sorted(requests.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        site = net.training_machine[slug].site
        instructor = instructors[site.slug]
        count = math.ceil(len(trainees) / 12)
        placed: list[tuple[datetime, int]] = []
        rows_before = len(trainings.sessions)
        day = first + timedelta(days=7 * week)
        while len(placed) < count and day < today and day < first + timedelta(7 * week + 28):
            if site.intervals(day):
                ends = _session_add(
                    trainings, net=net, course_slug=slug, day=day, session_id=session_id,
                    instructor=instructor, capacity=12, tz=tz,
                )  # fmt: skip
                if ends is not None:
                    placed.append((ends, session_id))
                    session_id += 1
            day += timedelta(days=1)
        for n, chain_index in enumerate(trainees):
            held_at[chain_index].append(placed[n % len(placed)] if placed else None)
        if placed and len(trainees) > 12 * len(placed):  # fewer days than wished: fuller
            places = math.ceil(len(trainees) / len(placed))
            for row in range(rows_before, len(trainings.sessions)):
                trainings.sessions[row] = (*trainings.sessions[row][:-1], places)

    month_of = {}  # day index -> month index
    day, index = first + timedelta(days=earliest), earliest
    while index < days + 62:
        month_of[index] = (day.year - first.year) * 12 + day.month - first.month
        day, index = day + timedelta(days=1), index + 1
    first_ordinal = first.toordinal()

    def month_of_date(value: date) -> int:
        return month_of.get(value.toordinal() - first_ordinal, 10_000)

    span_of = {maker: (s, e, w) for maker, s, e, w in spans}
    for maker, s, e, w in spans:
        for m in range(month_of[s], month_of[e] + 1):
            trainings.pools[(m, None)].extend([maker] * w)
    noon = time(12)
    for index, (maker, slug, wished) in enumerate(chains):
        course = net.courses[slug]
        instructor = instructors[home[slug]]
        scheduled = iter(held_at.get(index, ()))
        rows = []
        for d in wished:
            session = next(scheduled) if d >= 0 else None
            if session is not None:
                rows.append(
                    _authorisation(
                        user=maker,
                        course=course,
                        staff_id=instructor,
                        issued_at=session[0],
                        now=now,
                        session=session[1],
                    )
                )
                continue  # fmt: skip
            # Trained before the booking system, or no session that month: on record.
            issued = datetime.combine(first + timedelta(days=d), noon, tzinfo=tz)
            evidence = (
                "Trained before the online booking system." if d < 0 else rng.choice(EVIDENCE)
            )
            rows.append(_authorisation(user=maker, course=course, staff_id=instructor,
                                       issued_at=issued, now=now, evidence=evidence))  # fmt: skip
        trainings.authorisations += rows
        # Bookable: the months of the maker's activity whose bookings (made at most
        # BOOKED_AHEAD before) fall within one authorisation, issued before the booking
        # was made and valid until its end.
        s, e, w = span_of[maker]
        months: set[int] = set()
        for row in rows:
            issued, expires = row[3].astimezone(tz).date(), row[4]
            expires = expires.astimezone(tz).date() if expires else date.max
            months.update(
                range(
                    max(month_of_date(issued + BOOKED_AHEAD) + 1, month_of[s]),
                    min(month_of_date(expires), month_of[e] + 1),
                )
            )
        for m in sorted(months):
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
        chunk: int,
    ) -> None:
        self.net, self.rng, self.now, self.tz = net, rng, now, tz
        self.first, self.last = first, last
        self.trainings, self.period_of = trainings, period_of
        self.staff_id, self.chunk = staff_id, chunk
        self.reserved = trainings.reserved
        values, weights = GAPS[scale]
        self.gaps = [v for v, w in zip(values, weights, strict=True) for _ in range(w)]
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

    def chunks(self) -> Iterator[tuple[list, list, list, date]]:
        """(bookings, occupancies, material uses, last day) every `chunk` bookings."""
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
            if len(self.bookings) >= self.chunk or day == self.last:
                yield self.bookings, self.occupancies, self.material_uses, day
                self.bookings, self.occupancies, self.material_uses = [], [], []
            day += timedelta(days=1)

    def _group_day(self, top: Node, day: date, intervals, week: int, period: int,
                   first_open: bool) -> None:  # fmt: skip
        random_ = self.rng.random
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
                minutes = min((60, 90, 120)[int(random_() * 3)], closes - opens)
                note = f"Preventive maintenance: {MAINTENANCE_NOTES[node.key].lower()}"
                self._reserve(node, day, Reserved(opens, opens + minutes - minutes % step,
                              Booking.Kind.MAINTENANCE, note=note), taken, period)  # fmt: skip
            if random_() < BLOCK_SHARE:
                opens, closes = intervals[int(random_() * len(intervals))]
                minutes = (60, 120, 180)[int(random_() * 3)]
                if closes - opens >= minutes:
                    starts = opens + step * int(
                        random_() * ((closes - opens - minutes) // step + 1)
                    )
                    note = BLOCK_NOTES[int(random_() * len(BLOCK_NOTES))]
                    self._reserve(node, day, Reserved(starts, starts + minutes, Booking.Kind.BLOCK,
                                  note=note), taken, period)  # fmt: skip
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
                self._slots(node, intervals, busy, limit=1 + (self.rng.random() < 0.3))
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
        random_, site = self.rng.random, node.site
        step, shortest, durations = site.step, site.min_minutes, node.durations
        gaps, n_gaps, n_durations = self.gaps, len(self.gaps), len(durations)
        out: list[tuple[int, int]] = []
        for opens, closes in intervals:
            t = opens
            while t < closes:
                t += gaps[int(random_() * n_gaps)]
                t += -t % step
                ends = min(t + durations[int(random_() * n_durations)], closes)
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
        site, random_ = node.site.pk, self.rng.random
        for _attempt in range(4):
            maker = pool[int(random_() * len(pool))]
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
        random_ = self.rng.random
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
            organisation, members = self.org_members[int(random_() * len(self.org_members))]
            maker = members[int(random_() * len(members))]
        else:
            maker = self._pick(node, period, ends - starts)
            if maker is None:
                return False
        if (
            not planned
            and organisation is None
            and maker in self.orgs_of
            and random_() < ORGANISATION_SHARE
        ):
            organisation = self.rng.choice(self.orgs_of[maker])
        group = (
            self.org_group[organisation]
            if organisation
            else self.trainings.profiles.get(maker, self.public)
        )
        self._write(
            node, starts_at, ends_at, kind, maker=maker, organisation=organisation,
            group=group, status=status, planned=planned,
            booked_by=self.staff_id if staff_only or random_() < 0.08 else maker,
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
        random_ = rng.random
        pk = self.next_id
        self.next_id += 1
        rate = price = None
        cancelled_at = cancelled_by = checked_in = checked_out = None
        cancel_reason = project = ""
        no_show = False
        if kind == Booking.Kind.BOOKING:
            rate = node.rates[group]
            price = self._price(rate, int((ends_at - starts_at).total_seconds()) // 60)
            lead = site.notice + (
                int(random_() * 2880) if planned else int(rng.expovariate(1 / 2880))
            )
            lead = min(lead, site.days_ahead * 1440, BOOKED_AHEAD.days * 1440)
            created = starts_at - timedelta(minutes=lead)
            latest = min(now, starts_at - timedelta(minutes=site.notice))
            if created > latest:
                created = latest - timedelta(minutes=1 + int(random_() * 120))
            if organisation and random_() < 0.5:
                project = (
                    f"{PROJECTS[int(random_() * len(PROJECTS))]} "
                    f"{starts_at.year}-{1 + int(random_() * 400):03d}"
                )
        else:
            created = min(starts_at - timedelta(days=1 + int(random_() * 14)), now)
            booked_by = self.staff_id
        roll = random_()
        updated = created
        if kind == Booking.Kind.BOOKING and (
            status == "cancelled" or (not planned and roll < CANCELLED)
        ):
            status = Booking.Status.CANCELLED
            cancelled_at = created + (min(starts_at, now) - created) * random_()
            cancelled_by = maker
            cancel_reason = CANCEL_REASONS[int(random_() * len(CANCEL_REASONS))]
            updated = cancelled_at
        else:
            status = Booking.Status.CONFIRMED
            if kind == Booking.Kind.BOOKING and starts_at <= now:
                if ends_at <= now and not planned and roll < CANCELLED + NO_SHOW:
                    no_show = True
                    self.counts["no-shows"] += 1
                    updated = min(ends_at + timedelta(minutes=15), now)
                else:
                    checked_in = starts_at + timedelta(minutes=int(random_() * 11))
                    updated = checked_in
                    if ends_at <= now:
                        checked_out = max(
                            ends_at - timedelta(minutes=int(random_() * 11)),
                            checked_in + timedelta(minutes=5),
                        )
                        updated = checked_out
                        if node.materials and random_() < 0.45:
                            self._materials(node, pk, checked_out)
            for resource in node.occupies:
                self.occupancies.append((pk, resource, starts_at, ends_at))
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
        chosen = rng.sample(node.materials, min(len(node.materials), 1 + (rng.random() < 0.25)))
        for material, price, lo, hi, whole in chosen:
            if whole:
                quantity = Decimal(rng.randint(int(lo), int(hi)))
            else:
                quantity = max(Decimal(f"{rng.uniform(lo, hi):.1f}"), Decimal("0.1"))
            self.material_uses.append((booking, material, quantity, price, self.staff_id, at))


# --- The seeder --------------------------------------------------------------------------


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _instructors(*, scale: str, staff: User, sites: list[SitePlan]) -> dict[str, int]:
    """Who teaches at each site: the demo staff login; at scale large, a workshop lead of
    its own for Differdange, so that no one teaches at two sites at once."""
    teachers = {site.slug: staff.pk for site in sites}
    if scale == "large":
        from allauth.account.models import EmailAddress

        from fabreck.accounts.seeding import DEMO_PASSWORD
        from fabreck.accounts.services import user_create

        lead = user_create(
            email=INSTRUCTOR_EMAIL,
            password=DEMO_PASSWORD,
            first_name="Paulo",
            last_name="Ferreira",
            preferred_language="fr",
            roles=("site_staff",),
        )
        EmailAddress.objects.create(user=lead, email=lead.email, verified=True, primary=True)
        Site.objects.get(slug="differdange").staff.add(lead)
        teachers["differdange"] = lead.pk
    return teachers


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
    if Site.objects.exists():
        raise CommandError("The FabLab is seeded already; run with --fresh to replace it.")
    staff = User.objects.filter(email=STAFF_EMAIL).first()
    makers = list(
        User.objects.filter(email__contains=MAKERS_MARK).order_by("pk").values_list("pk", flat=True)
    )
    demo_maker = User.objects.filter(email=DEMO_MAKER_EMAIL).values_list("pk", flat=True).first()

    def say(message: str) -> None:
        if scale == "large":
            stdout.write(f"    fablab: {message} ({clock.monotonic() - started:.1f} s)")

    with transaction.atomic():
        net = _network_create(scale=scale, rng=rng, first=first, last=last, staff=staff)
    counts = dict(net.counts)
    if staff is None or not makers:
        stdout.write("    fablab: no staff or makers seeded: sites and fleet only")
        return counts

    with transaction.atomic():
        instructors = _instructors(scale=scale, staff=staff, sites=net.sites)
        if scale == "large":
            trainings = _trainings_large(net, rng, now=now, first=first, last=last,
                                         makers=makers, instructors=instructors, tz=tz)  # fmt: skip

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
        history = _History(
            net=net, scale=scale, rng=rng, now=now, first=first, last=last, trainings=trainings,
            period_of=period_of, staff_id=staff.pk, tz=tz, chunk=20_000,
        )  # fmt: skip
        history.organisations_load()
        for node in net.nodes.values():
            if node.unit.status == "maintenance":
                history.long_block(
                    node,
                    today - timedelta(days=2),
                    last + timedelta(days=2),
                    "Laser tube replacement: waiting for the technician",
                )
            elif node.unit.status == "out_of_order":
                history.long_block(
                    node,
                    today - timedelta(days=9),
                    last + timedelta(days=16),
                    "Out of order: spindle motor failed, spare part ordered",
                )
        found, written = history.counts, defaultdict(int)
        with indexes_built_after(
            TrainingSession, Authorisation, MakerProfile, Booking, Occupancy, MaterialUse
        ):
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
            say("trainings written")
            chunks = history.chunks()
            year = first.year
            for bookings, occupancies, material_uses, day in (
                _in_background(chunks) if scale == "large" else chunks
            ):
                written["bookings"] += rows_insert(Booking, BOOKING_FIELDS, bookings)
                written["occupancies"] += rows_insert(Occupancy, OCCUPANCY_FIELDS, occupancies)
                written["material uses"] += rows_insert(
                    MaterialUse, MATERIAL_USE_FIELDS, material_uses
                )
                if day.year != year:
                    year = day.year
                    say(f"{written['bookings']:,} bookings up to {day:%Y-%m-%d}")
            say(f"{written['bookings']:,} bookings written; building the indexes")
        _sequences_reset(TrainingSession, Booking)
    say("indexes built")
    counts["bookings"] = written["bookings"]
    counts["cancelled bookings"] = found["booking cancelled"]
    counts["no-shows"] = found["no-shows"]
    counts["staff blocks"] = found["block confirmed"]
    counts["maintenance windows"] = found["maintenance confirmed"]
    counts["occupancies"] = written["occupancies"]
    counts["material uses"] = written["material uses"]
    return counts
