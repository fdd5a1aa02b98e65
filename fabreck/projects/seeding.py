"""Demo and benchmark data for prototyping projects.

- demo: thirteen projects, at least one in every status (requested, quoted, accepted, in
  progress, delivered, closed, declined with its reason, cancelled), asked by nonprofits,
  SMEs, large groups, startups, a public research body and an individual maker, at both
  sites; one under NDA; quote versions superseded, rejected and accepted; the demo
  organisation admin's organisation has one awaiting its work and one delivered.
- large: ten years back to today, about 1,500 projects (110 requests in the first year
  growing to 190 in the last): mostly delivered and closed, some declined or cancelled,
  the recent ones still open; every project that went to work has its machine bookings,
  materials and staff time (no subset: the slots are found fast enough, see below).

Each project lives its story in the order TRANSITIONS allow, each move recorded with who
and when (requester or staff lead), its quote versions priced with the FabLab's rates for
its price group (`fablab.selectors.price_group_for`, `hourly_rate_for`, `price_round`),
the site's materials and the staff rate, VAT at settings.PROJECTS_VAT_RATE. The machine
sessions of a project go where its machines are free: the seeder reads the Occupancy rows
of a machine one week at a time (cached; one query each) and lays each session in a gap
within the site's opening hours, outside its closures, so that the PostgreSQL exclusion
constraint accepts the new Occupancy rows. Sessions in the past are checked in and out
(now and then a no-show, or a check-in without a check-out), with the materials used;
those ahead are confirmed and wait. Rows are written in bulk with ids chosen here
(`fablab.seeding.rows_insert`: COPY on PostgreSQL), in one transaction.
"""

from __future__ import annotations

import random
import time as clock
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from fabreck.accounts.models import User
from fabreck.core.seeding import seeder_register
from fabreck.fablab.models import (
    Booking,
    Closure,
    MachineCategory,
    Material,
    MaterialUse,
    Occupancy,
    OpeningHours,
    PriceGroup,
    Resource,
    Site,
)
from fabreck.fablab.seed_data import DEMO_MAKER_EMAIL, MAKERS_MARK, STAFF_EMAIL
from fabreck.fablab.seeding import (
    BOOKING_FIELDS,
    MATERIAL_USE_FIELDS,
    OCCUPANCY_FIELDS,
    rows_insert,
)
from fabreck.fablab.selectors import hourly_rate_for, price_group_for, price_round
from fabreck.projects.models import (
    Comment,
    Project,
    ProjectBooking,
    Quote,
    QuoteLine,
    StaffTime,
    StatusChange,
)
from fabreck.projects.seed_data import (
    CANCEL_REASONS_REQUESTER,
    CANCEL_REASONS_STAFF,
    COMMENTS_INTERNAL,
    COMMENTS_REQUESTER,
    COMMENTS_STAFF,
    DECLINE_REASONS,
    DEMO_PROJECTS,
    REJECT_NOTES,
    STAFF_NOTES,
    WORKS,
    Work,
)

ORGANISATION_ADMIN_EMAIL = "organisation-admin@demo.fabreck.lu"
LARGE_YEARS = 10
LARGE_PER_YEAR = (110, 190)  # requests in the first and in the last of the ten years
# Requester kinds of the large scale and where their projects go (share of Esch).
KIND_SHARES = {
    "sme": 40,
    "startup": 16,
    "nonprofit": 12,
    "large_group": 14,
    "public": 10,
    "individual": 8,
}
ESCH_SHARE = {
    "sme": 0.5,
    "startup": 0.65,
    "nonprofit": 0.7,
    "large_group": 0.25,
    "public": 0.6,
    "individual": 0.85,
}
WHOLE_UNITS = {"sheet", "piece", "cone"}
SEARCH_DAYS = 60  # how far after its wished day a session may go to find a free slot
BLOCK_DAYS = 28  # machine time is read four weeks at a time
BLOCK_EPOCH = date(2000, 1, 3)  # a Monday: blocks start on Mondays

PROJECT_FIELDS = (
    "id", "created_at", "updated_at", "title", "goal", "description", "requested_by",
    "organisation", "requester_kind", "materials", "quantity", "deadline", "budget_range",
    "confidential", "status", "status_changed_at", "site", "lead", "decline_reason",
    "cancel_reason", "delivered_at",
)  # fmt: skip
CHANGE_FIELDS = ("project", "from_status", "to_status", "changed_by", "changed_at", "note")
COMMENT_FIELDS = ("project", "author", "body", "internal", "created_at")
QUOTE_FIELDS = (
    "id", "project", "version", "status", "price_group", "vat_rate", "net_total", "vat_total",
    "gross_total", "valid_until", "note", "created_by", "created_at", "decided_by",
    "decided_at", "decision_note",
)  # fmt: skip
LINE_FIELDS = ("quote", "position", "kind", "resource", "material", "description", "quantity",
               "unit", "unit_price", "total")  # fmt: skip
STAFF_TIME_FIELDS = ("project", "staff", "day", "hours", "hourly_rate", "note", "recorded_at")
PROJECT_BOOKING_FIELDS = ("project", "booking")


def requester_kind_of(*, kind: str, size_band: str) -> str:
    """The statistics' kind of an organisation (as the request form records it)."""
    if kind == "nonprofit":
        return "nonprofit"
    if kind == "large_group" or size_band == "250+":
        return "large_group"
    if kind == "startup":
        return "startup"
    if kind in ("public_body", "school", "research_body"):
        return "public"
    return "sme"


def _budget_for(amount: Decimal) -> str:
    if amount < 1000:
        return "under_1k"
    if amount < 5000:
        return "1k_5k"
    if amount < 20000:
        return "5k_20k"
    return "over_20k"


def _hours(value: float, step: float = 0.5) -> Decimal:
    steps = max(1, round(value / step))
    return Decimal(str(steps * step)).quantize(Decimal("0.01"))


# --- The FabLab as the seeder sees it ----------------------------------------------------


@dataclass
class SitePlan:
    pk: int
    slug: str
    step: int
    min_minutes: int
    max_minutes: int
    hours: dict[int, list[tuple[int, int]]]  # weekday -> (opens, closes) in minutes
    closed: set[date]
    staff: list[int]

    def intervals(self, day: date) -> list[tuple[int, int]]:
        if day in self.closed:
            return []
        return self.hours.get(day.weekday(), [])


@dataclass
class Machine:
    resource: Resource
    site: str
    category: str


@dataclass
class Line:
    kind: str
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    resource: Machine | None = None
    material: Material | None = None

    @property
    def total(self) -> Decimal:
        return price_round(self.quantity * self.unit_price)


@dataclass
class Session:
    machine: Machine
    starts_at: datetime
    ends_at: datetime
    rate: Decimal


@dataclass
class Rows:
    projects: list[tuple] = field(default_factory=list)
    changes: list[tuple] = field(default_factory=list)
    comments: list[tuple] = field(default_factory=list)
    quotes: list[tuple] = field(default_factory=list)
    lines: list[tuple] = field(default_factory=list)
    bookings: list[tuple] = field(default_factory=list)
    occupancies: list[tuple] = field(default_factory=list)
    project_bookings: list[tuple] = field(default_factory=list)
    material_uses: list[tuple] = field(default_factory=list)
    staff_times: list[tuple] = field(default_factory=list)
    categories: list[tuple[int, int]] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _aware(value: datetime | str) -> datetime:
    """A moment from a raw query: SQLite gives naive UTC (or text), PostgreSQL aware."""
    moment = parse_datetime(value) if isinstance(value, str) else value
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


def _next_id(model: type[models.Model]) -> int:
    return (model.objects.aggregate(top=models.Max("pk"))["top"] or 0) + 1


class FabLab:
    """Sites, machines, materials, prices and free time, loaded once; free time is read
    per machine and week when a session looks for a slot."""

    def __init__(self, *, tz: ZoneInfo) -> None:
        self.tz = tz
        self.sites: dict[str, SitePlan] = {}
        hours: dict[int, dict[int, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))
        for site_id, weekday, opens, closes in OpeningHours.objects.order_by(
            "site", "weekday", "opens"
        ).values_list("site_id", "weekday", "opens", "closes"):
            hours[site_id][weekday].append(
                (opens.hour * 60 + opens.minute, closes.hour * 60 + closes.minute)
            )
        closed: dict[int, set[date]] = defaultdict(set)
        for site_id, first, last in Closure.objects.values_list("site_id", "starts_on", "ends_on"):
            for n in range((last - first).days + 1):
                closed[site_id].add(first + timedelta(days=n))
        staff: dict[int, list[int]] = defaultdict(list)
        for site in Site.objects.prefetch_related("staff").order_by("pk"):
            staff[site.pk] = sorted(user.pk for user in site.staff.all())
            self.sites[site.slug] = SitePlan(
                pk=site.pk,
                slug=site.slug,
                step=site.slot_minutes,
                min_minutes=site.min_booking_minutes,
                max_minutes=site.max_booking_minutes,
                hours=dict(hours[site.pk]),
                closed=closed[site.pk],
                staff=staff[site.pk],
            )
        self.site_slug = {plan.pk: slug for slug, plan in self.sites.items()}
        self.machines: dict[tuple[str, str], list[Machine]] = defaultdict(list)
        for resource in (
            Resource.objects.filter(kind=Resource.Kind.MACHINE, status="available")
            .select_related("category", "site")
            .order_by("position", "pk")
        ):
            machine = Machine(resource=resource, site=resource.site.slug,
                              category=resource.category.slug)  # fmt: skip
            self.machines[(machine.site, machine.category)].append(machine)
        self.categories = dict(MachineCategory.objects.values_list("slug", "pk"))
        self.materials = {
            (self.site_slug[m.site_id], m.name_en): m
            for m in Material.objects.filter(is_active=True)
        }
        self._rates: dict[tuple[int, int], Decimal] = {}
        self._groups: dict[tuple, PriceGroup] = {}
        self._busy: dict[tuple[int, date], list[tuple[int, int]]] = {}
        self._blocks: set[tuple[int, date]] = set()
        self.queries = 0

    # Prices, through the FabLab's own selectors (memoised: a handful of distinct calls).
    def group_for(self, *, organisation, maker_id: int | None) -> PriceGroup:
        if organisation is not None:
            key = (organisation.kind, organisation.size_band == "250+",
                   organisation.status == "member")  # fmt: skip
            if key not in self._groups:
                self._groups[key] = price_group_for(maker=None, organisation=organisation)
            return self._groups[key]
        key = ("maker", maker_id)
        if key not in self._groups:
            self._groups[key] = price_group_for(maker=User(pk=maker_id), organisation=None)
        return self._groups[key]

    def rate(self, machine: Machine, group: PriceGroup) -> Decimal:
        key = (machine.resource.pk, group.pk)
        if key not in self._rates:
            self._rates[key] = hourly_rate_for(resource=machine.resource, price_group=group)
        return self._rates[key]

    # Free time.
    def local(self, day: date, minutes: int) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=self.tz) + timedelta(minutes=minutes)

    def busy(self, resource: int, day: date) -> list[tuple[int, int]]:
        """The machine's held minutes that day, read with its block of BLOCK_DAYS days
        (one query; a project's sessions mostly fall in one or two blocks)."""
        first = day - timedelta(days=(day - BLOCK_EPOCH).days % BLOCK_DAYS)
        if (resource, first) not in self._blocks:
            self._blocks.add((resource, first))
            self.queries += 1
            last = first + timedelta(days=BLOCK_DAYS - 1)
            for n in range(BLOCK_DAYS):
                self._busy.setdefault((resource, first + timedelta(days=n)), [])
            table = connection.ops.quote_name(Occupancy._meta.db_table)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT starts_at, ends_at FROM {table} "  # noqa: S608  (the model's table)
                    "WHERE resource_id = %s AND starts_at < %s AND ends_at > %s",
                    [resource, self.local(last + timedelta(days=1), 0), self.local(first, 0)],
                )
                for s, e in cursor.fetchall():
                    self._hold(resource, _aware(s), _aware(e), first, last)
        return self._busy[(resource, day)]

    def _hold(self, resource: int, starts: datetime, ends: datetime, first: date,
              last: date) -> None:  # fmt: skip
        s, e = starts.astimezone(self.tz), ends.astimezone(self.tz)
        day = max(s.date(), first)
        while day <= min(e.date(), last):
            lo = s.hour * 60 + s.minute if day == s.date() else 0
            hi = e.hour * 60 + e.minute if day == e.date() else 24 * 60
            if hi > lo:
                self._busy[(resource, day)].append((lo, hi))
            day += timedelta(days=1)

    def take(self, machine: Machine, day: date, minutes: int, *, shortest: int) -> tuple | None:
        """The first free slot of `minutes` (or at least `shortest`) on the machine that
        day, on the site's step, within its opening hours; marked busy at once."""
        site = self.sites[machine.site]
        intervals = site.intervals(day)
        if not intervals:
            return None
        busy = sorted(self.busy(machine.resource.pk, day))
        step = site.step
        for opens, closes in intervals:
            cursor = opens
            for bs, be in [*busy, (closes, closes)]:
                if be <= cursor:
                    continue
                gap_end = min(bs, closes)
                start = cursor + (-cursor % step)
                length = min(minutes, gap_end - start)
                length -= length % step
                if length >= shortest:
                    self._busy[(machine.resource.pk, day)].append((start, start + length))
                    return self.local(day, start), self.local(day, start + length)
                cursor = max(cursor, be)
                if cursor >= closes:
                    break
        return None


# --- One project's story -----------------------------------------------------------------


@dataclass
class Story:
    pk: int
    work: Work
    site: SitePlan
    kind: str
    organisation: object | None  # cluster Organisation (pk, kind, size_band, status)
    requester: int
    lead: int
    created: datetime
    outcome: str  # the status it would end in, given time
    title: str = ""
    quotes: str = ""  # "", "superseded", "rejected"
    confidential: bool = False
    factor: float = 1.0
    cancelled_from: str = ""
    comments: tuple[tuple[str, str], ...] = ()
    planned_ahead: bool = False  # accepted: sessions booked ahead already


class Writer:
    """Turns stories into rows."""

    def __init__(self, *, fablab: FabLab, rng: random.Random, now: datetime, demo: bool,
                 decider: int) -> None:  # fmt: skip
        self.lab, self.rng, self.now, self.demo = fablab, rng, now, demo
        self.tz = fablab.tz
        self.rows = Rows()
        self.decider = decider  # a staff member who declines untriaged requests
        self.quote_id = _next_id(Quote)
        self.booking_id = _next_id(Booking)
        self.vat = Decimal(str(settings.PROJECTS_VAT_RATE))
        self.staff_rate = Decimal(str(settings.PROJECTS_STAFF_HOURLY_RATE))
        self.sessions_dropped = 0

    # Time.
    def later(self, moment: datetime, lo: int, hi: int) -> datetime:
        """A working moment `lo`..`hi` days after `moment` (weekday, 8:30 to 17:45)."""
        rng = self.rng
        day = moment.astimezone(self.tz).date() + timedelta(days=rng.randint(lo, hi))
        while day.weekday() >= 5:
            day += timedelta(days=1)
        at = self.lab.local(day, 8 * 60 + 30 + 15 * rng.randint(0, 37))
        if at <= moment:
            at = moment + timedelta(minutes=rng.randint(20, 180))
        if self.demo and at >= self.now:  # the demo's stories end before today
            at = moment + (self.now - moment) / 3
        return at

    def reached(self, moment: datetime) -> bool:
        return moment <= self.now

    # The story.
    def write(self, story: Story) -> str:
        rng, rows = self.rng, self.rows
        work, pk = story.work, story.pk
        created = story.created
        changes: list[tuple[str, str, int, datetime, str]] = []
        status, site, lead = "requested", None, None
        decline_reason = cancel_reason = ""
        delivered_at = None
        changes.append(("", "requested", story.requester, created, ""))
        quantity = rng.choice((1, 1, 1, 2, 2, 3, 5, 10))
        deadline = (created + timedelta(days=rng.randint(30, 100))).astimezone(self.tz).date()
        group = self.lab.group_for(organisation=story.organisation, maker_id=story.requester)
        moment = created

        def move(to: str, by: int, at: datetime, note: str = "") -> bool:
            nonlocal status, moment
            if not self.reached(at):
                return False
            changes.append((status, to, by, at, note))
            status, moment = to, at
            return True

        quotes: list[dict] = []
        sessions: list[Session] = []
        outcome = story.outcome
        first_quote_total = None
        while True:  # one pass; `break` where the story stops
            if outcome == "declined":
                reason = rng.choice(DECLINE_REASONS) if not self.demo else DECLINE_REASONS[0]
                if move("declined", self.decider, self.later(moment, 1, 4), reason):
                    decline_reason = reason
                break
            if outcome == "cancelled" and story.cancelled_from == "requested":
                reason = rng.choice(CANCEL_REASONS_REQUESTER)
                if move("cancelled", story.requester, self.later(moment, 2, 10), reason):
                    cancel_reason = reason
                break
            if outcome == "requested":
                break
            # Triage and the first quote.
            at = self.later(moment, 1, 6)
            if not self.reached(at):
                break
            site, lead = story.site, story.lead
            lines = self._lines(work, story.site, group, scale=quantity)
            quotes.append(self._quote(pk, 1, lines, group, lead, at))
            first_quote_total = quotes[-1]["gross"]
            move("quoted", lead, at)
            if story.quotes == "superseded":
                at = self.later(moment, 1, 5)
                if not self.reached(at):
                    break
                quotes[-1]["status"] = "superseded"
                lines = self._lines_changed(lines, more=True)
                quotes.append(self._quote(pk, 2, lines, group, lead, at))
                moment = at
            elif story.quotes == "rejected":
                at = self.later(moment, 2, 8)
                note = rng.choice(REJECT_NOTES) if not self.demo else REJECT_NOTES[0]
                if not move("requested", story.requester, at, note):
                    break
                quotes[-1].update(status="rejected", decided_by=story.requester, decided_at=at,
                                  decision_note=note)  # fmt: skip
                at = self.later(moment, 1, 6)
                if not self.reached(at):
                    break
                lines = self._lines_changed(lines, more=False)
                quotes.append(self._quote(pk, 2, lines, group, lead, at))
                move("quoted", lead, at)
            if outcome == "quoted":
                break
            if outcome == "cancelled" and story.cancelled_from in ("", "quoted"):
                reason = rng.choice(CANCEL_REASONS_REQUESTER)
                if move("cancelled", story.requester, self.later(moment, 5, 20), reason):
                    cancel_reason = reason
                break
            # Accepted.
            at = self.later(moment, 2, 14)
            if not move("accepted", story.requester, at):
                break
            quotes[-1].update(status="accepted", decided_by=story.requester, decided_at=at)
            accepted = quotes[-1]["lines"]
            if outcome == "accepted":
                if story.planned_ahead:
                    sessions = self._sessions(accepted, story, group, self.now + timedelta(days=2),
                                              limit=2)  # fmt: skip
                break
            # Work.
            at = self.later(moment, 1, 7)
            if not move("in_progress", lead, at):
                break
            sessions = self._sessions(accepted, story, group, at, factor=story.factor)
            if outcome == "cancelled":
                cut = sessions[: max(1, len(sessions) // 3)]
                sessions = cut
                ends = max((s.ends_at for s in sessions), default=moment)
                reason = rng.choice(CANCEL_REASONS_STAFF)
                if move("cancelled", lead, self.later(ends, 1, 6), reason):
                    cancel_reason = reason
                break
            ends = max((s.ends_at for s in sessions), default=moment)
            at = self.later(ends, 1, 4)
            if outcome == "in_progress" or not move("delivered", lead, at):
                break
            delivered_at = at
            if outcome == "delivered":
                break
            move("closed", lead, self.later(moment, 5, 30))
            break

        # Rows: the project, its moves, quotes, sessions, staff time, comments.
        title = story.title or work.title
        last_quote = quotes[-1] if quotes else None
        budget = _budget_for(first_quote_total) if first_quote_total else "unknown"
        if first_quote_total and rng.random() < 0.3:
            budget = "unknown"
        for from_status, to_status, by, at, note in changes:
            rows.changes.append((pk, from_status, to_status, by, at, note))
        updated = changes[-1][3]
        for q in quotes:
            self._quote_rows(q)
        work_from = next((at for _f, to, _b, at, _n in changes if to == "in_progress"), moment)
        booking_ids = self._booking_rows(story, sessions, group, lead or story.lead, work_from)
        if status in ("in_progress", "delivered", "closed", "cancelled") and last_quote:
            until = delivered_at or (self.now if status == "in_progress" else updated)
            self._staff_time_rows(story, last_quote["lines"], changes, until, sessions)
            self._material_rows(story, last_quote["lines"], booking_ids)
        updated = max(updated, self._comment_rows(story, status, changes, lead))
        rows.projects.append(
            (
                pk, created, updated, title, work.goal, work.description, story.requester,
                story.organisation.pk if story.organisation is not None else None, story.kind,
                ", ".join(name for name, _lo, _hi in work.materials), quantity, deadline,
                budget, story.confidential, status, changes[-1][3] if len(changes) > 1 else None,
                site.pk if site else None, lead, decline_reason, cancel_reason, delivered_at,
            )
        )  # fmt: skip
        for category, _lo, _hi in work.machines:
            if category in self.lab.categories:
                rows.categories.append((pk, self.lab.categories[category]))
        rows.statuses[status] += 1
        return status

    # Quotes.
    def _lines(self, work: Work, site: SitePlan, group: PriceGroup, *, scale: int) -> list[Line]:
        rng = self.rng
        size = 1 + min(scale, 10) / 10  # more pieces, more hours (not in proportion)
        lines: list[Line] = []
        for category, lo, hi in work.machines:
            machines = self.lab.machines.get((site.slug, category))
            if not machines:
                continue
            machine = machines[0] if self.demo else rng.choice(machines)
            lines.append(
                Line(
                    kind="machine",
                    description=f"{machine.resource.name}",
                    quantity=_hours(rng.uniform(lo, hi) * size),
                    unit="h",
                    unit_price=self.lab.rate(machine, group),
                    resource=machine,
                )
            )
        for name, lo, hi in work.materials:
            material = self.lab.materials.get((site.slug, name))
            if material is None:
                continue
            amount = rng.uniform(lo, hi) * size
            quantity = (
                Decimal(max(1, round(amount)))
                if material.unit in WHOLE_UNITS
                else Decimal(f"{max(amount, 0.1):.1f}")
            )
            lines.append(
                Line(kind="material", description=material.name_en, quantity=quantity,
                     unit=material.unit, unit_price=material.unit_price, material=material)
            )  # fmt: skip
        lo, hi = work.staff_hours
        lines.append(
            Line(kind="staff", description="Staff time: preparation, set-up and finishing",
                 quantity=_hours(rng.uniform(lo, hi)), unit="h", unit_price=self.staff_rate)
        )  # fmt: skip
        return lines

    def _lines_changed(self, lines: list[Line], *, more: bool) -> list[Line]:
        """The next version: more work asked for (engraving, a second size), or a cheaper
        one after a rejection."""
        changed = []
        for line in lines:
            if line.kind == "machine":
                factor = self.rng.uniform(1.1, 1.4) if more else self.rng.uniform(0.6, 0.85)
                quantity = _hours(float(line.quantity) * factor)
                line = Line(**{**line.__dict__, "quantity": quantity})
            changed.append(line)
        return changed

    def _quote(self, project: int, version: int, lines: list[Line], group: PriceGroup,
               by: int, at: datetime) -> dict:  # fmt: skip
        net = sum((line.total for line in lines), Decimal("0.00"))
        vat = price_round(net * self.vat / 100)
        quote = {
            "id": self.quote_id, "project": project, "version": version, "status": "sent",
            "group": group.pk, "net": net, "vat": vat, "gross": net + vat,
            "valid_until": at.astimezone(self.tz).date() + timedelta(days=30),
            "created_by": by, "created_at": at, "decided_by": None, "decided_at": None,
            "decision_note": "", "lines": lines,
        }  # fmt: skip
        self.quote_id += 1
        return quote

    def _quote_rows(self, q: dict) -> None:
        note = "Prices per the FabLab's rates for your price group; VAT at the legal rate."
        self.rows.quotes.append(
            (
                q["id"], q["project"], q["version"], q["status"], q["group"], self.vat,
                q["net"], q["vat"], q["gross"], q["valid_until"], note, q["created_by"],
                q["created_at"], q["decided_by"], q["decided_at"], q["decision_note"],
            )
        )  # fmt: skip
        for position, line in enumerate(q["lines"], start=1):
            self.rows.lines.append(
                (
                    q["id"], position, line.kind,
                    line.resource.resource.pk if line.resource else None,
                    line.material.pk if line.material else None, line.description,
                    line.quantity, line.unit, line.unit_price, line.total,
                )
            )  # fmt: skip

    # Execution.
    def _sessions(self, lines: list[Line], story: Story, group: PriceGroup, start: datetime,
                  *, factor: float = 1.0, limit: int = 0) -> list[Session]:  # fmt: skip
        """The machine sessions of the accepted quote's machine lines (hours used: the
        quote's times `factor`, give or take), each in the first free slot from `start`."""
        rng, lab = self.rng, self.lab
        site = story.site
        sessions: list[Session] = []
        first_day = start.astimezone(self.tz).date() + timedelta(days=rng.randint(1, 3))
        for line in lines:
            if line.kind != "machine":
                continue
            minutes = int(float(line.quantity) * factor * rng.uniform(0.85, 1.15) * 60)
            alternatives = [line.resource] + [
                m
                for m in lab.machines[(site.slug, line.resource.category)]
                if m is not line.resource
            ]
            day = first_day
            planned = 0
            while minutes >= site.min_minutes and (not limit or planned < limit):
                length = min(minutes, site.max_minutes, rng.choice((120, 180, 240, 300)))
                placed = None
                for _ in range(SEARCH_DAYS):
                    for machine in alternatives[:3]:
                        slot = lab.take(machine, day, length, shortest=site.min_minutes)
                        if slot:
                            placed = (machine, *slot)
                            break
                    if placed:
                        break
                    day += timedelta(days=1)
                if placed is None:
                    self.sessions_dropped += 1
                    break
                machine, starts_at, ends_at = placed
                sessions.append(Session(machine, starts_at, ends_at, lab.rate(machine, group)))
                minutes -= int((ends_at - starts_at).total_seconds() // 60)
                planned += 1
                day += timedelta(days=rng.choice((0, 1, 1, 2, 3)))
        return sessions

    def _booking_rows(self, story: Story, sessions: list[Session], group: PriceGroup,
                      lead: int, work_from: datetime) -> list[tuple]:  # fmt: skip
        """Bookings, their occupancy and link to the project; (id, checked out, category)
        of each. Staff book them once the work is decided, a few days ahead."""
        rng, rows, now = self.rng, self.rows, self.now
        # As Project.reference spells it (the year of created_at as the database gives it).
        reference = f"P{story.created.astimezone(UTC):%Y}-{story.pk:05d}"
        out = []
        organisation = story.organisation.pk if story.organisation is not None else None
        for session in sessions:
            pk = self.booking_id
            self.booking_id += 1
            starts, ends = session.starts_at, session.ends_at
            hours = Decimal(int((ends - starts).total_seconds())) / Decimal(3600)
            created = max(work_from, starts - timedelta(days=rng.randint(1, 10)))
            created = min(created, starts - timedelta(minutes=30), now)
            checked_in = checked_out = None
            no_show = False
            roll = rng.random()
            if starts <= now:
                if not self.demo and ends <= now and roll < 0.03:
                    no_show = True
                else:
                    checked_in = starts + timedelta(minutes=rng.randint(0, 10))
                    if ends <= now and (self.demo or roll > 0.05):
                        checked_out = max(ends - timedelta(minutes=rng.randint(0, 10)),
                                          checked_in + timedelta(minutes=5))  # fmt: skip
            updated = checked_out or checked_in or created
            rows.bookings.append(
                (
                    pk, created, updated, session.machine.resource.pk, "booking", "confirmed",
                    starts, ends, story.requester, lead, organisation, reference,
                    f"Prototyping project {reference}", True, group.pk, session.rate,
                    price_round(session.rate * hours), None, None, "", checked_in,
                    checked_out, no_show,
                )
            )  # fmt: skip
            rows.occupancies.append((pk, session.machine.resource.pk, starts, ends))
            rows.project_bookings.append((story.pk, pk))
            out.append((pk, checked_out, session.machine.category))
        return out

    def _material_rows(self, story: Story, lines: list[Line], bookings: list[tuple]) -> None:
        rng = self.rng
        done = [(pk, at, category) for pk, at, category in bookings if at is not None]
        if not done:
            return
        for line in lines:
            if line.kind != "material":
                continue
            amount = float(line.quantity) * story.factor * rng.uniform(0.8, 1.2)
            quantity = (
                Decimal(max(1, round(amount)))
                if line.unit in WHOLE_UNITS
                else Decimal(f"{max(amount, 0.1):.1f}")
            )
            pk, at, _category = rng.choice(done)
            self.rows.material_uses.append(
                (pk, line.material.pk, quantity, line.material.unit_price, story.lead, at)
            )

    def _staff_time_rows(self, story: Story, lines: list[Line], changes: list[tuple],
                         until: datetime, sessions: list[Session]) -> None:  # fmt: skip
        """Staff hours (the quote's, give or take) on the days of the machine sessions, or
        on working days of the work when it had none, recorded that evening."""
        rng = self.rng
        started = next((at for _f, to, _b, at, _n in changes if to == "in_progress"), None)
        if started is None or until <= started:
            return
        days = sorted({s.starts_at.astimezone(self.tz).date() for s in sessions
                       if s.ends_at <= until})  # fmt: skip
        if not days:
            day, last = started.astimezone(self.tz).date(), until.astimezone(self.tz).date()
            while day <= last:
                if day.weekday() < 5:
                    days.append(day)
                day += timedelta(days=1)
        if not days:
            return
        planned = sum((line.quantity for line in lines if line.kind == "staff"), Decimal(0))
        total = float(planned) * story.factor * rng.uniform(0.8, 1.25)
        entries = min(rng.randint(1, 3), len(days))
        for n, day in enumerate(sorted(rng.sample(days, entries))):
            hours = min(_hours(total / entries, 0.25), Decimal("10.00"))
            recorded = self.lab.local(day, 17 * 60 + rng.randint(0, 60))
            if recorded > self.now:
                continue
            self.rows.staff_times.append(
                (story.pk, story.lead, day, hours, self.staff_rate,
                 STAFF_NOTES[n % len(STAFF_NOTES)], recorded)
            )  # fmt: skip

    def _comment_rows(self, story: Story, status: str, changes: list[tuple],
                      lead: int | None) -> datetime:  # fmt: skip
        """The timeline's messages, spread between the request and the last move; the time
        of the last one."""
        rng = self.rng
        comments = list(story.comments)
        if not comments and not self.demo:
            for _ in range(rng.choice((0, 1, 1, 2, 3))):
                who = rng.choice(("requester", "requester", "staff", "internal"))
                pool = {"requester": COMMENTS_REQUESTER, "staff": COMMENTS_STAFF,
                        "internal": COMMENTS_INTERNAL}[who]  # fmt: skip
                comments.append((who, rng.choice(pool)))
        start, end = changes[0][3], changes[-1][3]
        if end <= start:
            end = min(start + timedelta(days=2), self.now)
        last = start
        staff = lead or story.lead
        for n, (who, body) in enumerate(comments, start=1):
            at = start + (end - start) * n / (len(comments) + 1)
            author = story.requester if who == "requester" else staff
            self.rows.comments.append((story.pk, author, body, who == "internal", at))
            last = max(last, at)
        return last

    # Writing.
    def flush(self) -> dict[str, int]:
        rows = self.rows
        counts = {
            "projects": rows_insert(Project, PROJECT_FIELDS, rows.projects),
            "status changes": rows_insert(StatusChange, CHANGE_FIELDS, rows.changes),
            "comments": rows_insert(Comment, COMMENT_FIELDS, rows.comments),
            "quotes": rows_insert(Quote, QUOTE_FIELDS, rows.quotes),
            "quote lines": rows_insert(QuoteLine, LINE_FIELDS, rows.lines),
            "project bookings": rows_insert(Booking, BOOKING_FIELDS, rows.bookings),
        }
        rows_insert(Occupancy, OCCUPANCY_FIELDS, rows.occupancies)
        rows_insert(ProjectBooking, PROJECT_BOOKING_FIELDS, rows.project_bookings)
        counts["material uses"] = rows_insert(MaterialUse, MATERIAL_USE_FIELDS, rows.material_uses)
        counts["staff time entries"] = rows_insert(StaffTime, STAFF_TIME_FIELDS, rows.staff_times)
        through = Project.machine_categories.through
        through.objects.bulk_create(
            [through(project_id=p, machinecategory_id=c) for p, c in rows.categories],
            batch_size=5000,
        )
        statements = connection.ops.sequence_reset_sql(no_style(), [Project, Quote, Booking])
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
        for status, n in sorted(rows.statuses.items()):
            counts[status] = n
        return counts


# --- Who asks ------------------------------------------------------------------------------


class Requesters:
    """Organisations by requester kind with the people who speak for them, and makers."""

    def __init__(self) -> None:
        from fabreck.cluster.models import Organisation, OrganisationPerson

        self.by_kind: dict[str, list] = defaultdict(list)
        organisations = {
            o.pk: o
            for o in Organisation.objects.only("pk", "kind", "size_band", "status", "name")
            .exclude(status="refused")
            .order_by("pk")
        }
        self.speakers: dict[int, list[int]] = defaultdict(list)
        for organisation, user in (
            OrganisationPerson.objects.filter(role__in=("owner", "admin"))
            .order_by("pk")
            .values_list("organisation_id", "user_id")
        ):
            if organisation in organisations:
                self.speakers[organisation].append(user)
        for pk, organisation in organisations.items():
            if self.speakers.get(pk):
                kind = requester_kind_of(kind=organisation.kind, size_band=organisation.size_band)
                self.by_kind[kind].append(organisation)
        self.makers = list(
            User.objects.filter(email__contains=MAKERS_MARK)
            .order_by("pk")
            .values_list("pk", flat=True)[:20_000]
        )
        admin = User.objects.filter(email=ORGANISATION_ADMIN_EMAIL).values_list("pk", flat=True)
        self.demo_organisation = next(
            (
                organisations[o]
                for o, users in self.speakers.items()
                if admin and users and admin[0] in users
            ),
            None,
        )
        self.demo_admin = admin[0] if admin else None
        self.demo_maker = (
            User.objects.filter(email=DEMO_MAKER_EMAIL).values_list("pk", flat=True).first()
        )

    def pick(self, rng: random.Random, kind: str, *, clients: dict | None = None):
        """(requester kind, organisation or None, user) for a wanted kind: an
        organisation of that kind when there is one (returning clients now and then)."""
        if kind != "individual" and self.by_kind.get(kind):
            pool = self.by_kind[kind]
            if clients is not None:
                pool = clients.setdefault(kind, rng.sample(pool, min(len(pool), 120)))
                organisation = pool[min(int(rng.expovariate(1 / 25)), len(pool) - 1)]
            else:
                organisation = rng.choice(pool)
            return kind, organisation, rng.choice(self.speakers[organisation.pk])
        if kind != "individual":
            everyone = [o for orgs in self.by_kind.values() for o in orgs]
            if everyone:
                organisation = rng.choice(everyone)
                real = requester_kind_of(kind=organisation.kind, size_band=organisation.size_band)
                return real, organisation, rng.choice(self.speakers[organisation.pk])
        return "individual", None, rng.choice(self.makers) if self.makers else None


# --- The seeder ------------------------------------------------------------------------------


@seeder_register(name="projects", order=50)
def seed_projects(*, scale: str, rng: random.Random, stdout) -> dict[str, int]:
    started = clock.monotonic()
    if Project.objects.exists():
        raise CommandError("Projects are seeded already; run with --fresh to replace them.")
    if not {"esch", "differdange"} <= set(Site.objects.values_list("slug", flat=True)):
        raise CommandError("Seed the FabLab first: projects are made at its sites.")
    staff = User.objects.filter(email=STAFF_EMAIL).values_list("pk", flat=True).first()
    if staff is None:
        raise CommandError("Seed the accounts first: the site staff lead the projects.")
    tz = ZoneInfo(settings.TIME_ZONE)
    now = timezone.now().replace(microsecond=0)
    with transaction.atomic():
        lab = FabLab(tz=tz)
        requesters = Requesters()
        writer = Writer(fablab=lab, rng=rng, now=now, demo=scale == "demo", decider=staff)
        if scale == "large":
            _large(writer, requesters, rng=rng, now=now, stdout=stdout, started=started)
        else:
            _demo(writer, requesters, rng=rng, now=now)
        counts = writer.flush()
    if scale == "large":
        stdout.write(
            f"    projects: {len(writer.rows.bookings):,} sessions placed, "
            f"{writer.sessions_dropped} not placed, {lab.queries:,} blocks of machine time read "
            f"({clock.monotonic() - started:.1f} s)"
        )
    return counts


def _lead_for(site: SitePlan, rng: random.Random, fallback: int) -> int:
    return rng.choice(site.staff) if site.staff else fallback


def _demo(writer: Writer, requesters: Requesters, *, rng: random.Random, now: datetime) -> None:
    works = {work.key: work for work in WORKS}
    lab = writer.lab
    pk = _next_id(Project)
    for spec in DEMO_PROJECTS:
        work = works[spec.work]
        site = lab.sites[work.site]
        if spec.demo_login and requesters.demo_organisation is not None:
            organisation = requesters.demo_organisation
            kind = requester_kind_of(kind=organisation.kind, size_band=organisation.size_band)
            requester = requesters.demo_admin
        elif spec.kind == "individual" and requesters.demo_maker:
            kind, organisation, requester = "individual", None, requesters.demo_maker
        else:
            kind, organisation, requester = requesters.pick(rng, spec.kind)
        if requester is None:
            continue
        created = lab.local(
            (now - timedelta(days=spec.days_ago)).astimezone(writer.tz).date(),
            9 * 60 + 15 * rng.randint(0, 30),
        )
        created = min(created, now - timedelta(hours=2))
        story = Story(
            pk=pk, work=work, site=site, kind=kind, organisation=organisation,
            requester=requester, lead=_lead_for(site, rng, writer.decider), created=created,
            outcome=spec.outcome, title=spec.title, quotes=spec.quotes,
            confidential=spec.confidential, factor=spec.factor,
            cancelled_from=spec.cancelled_from, comments=spec.comments,
            planned_ahead=spec.outcome == "accepted",
        )  # fmt: skip
        writer.write(story)
        pk += 1


def _large(writer: Writer, requesters: Requesters, *, rng: random.Random, now: datetime,
           stdout, started: float) -> None:  # fmt: skip
    lab = writer.lab
    today = now.astimezone(writer.tz).date()
    by_site: dict[str, list[Work]] = defaultdict(list)
    for work in WORKS:
        by_site[work.site].append(work)
    kinds, weights = zip(*KIND_SHARES.items(), strict=True)
    clients: dict[str, list] = {}
    first, last = LARGE_PER_YEAR
    stories = []
    for year in range(LARGE_YEARS):
        count = round(first + (last - first) * year / (LARGE_YEARS - 1))
        begins = today - timedelta(days=365 * (LARGE_YEARS - year))
        for _n in range(count):
            day = begins + timedelta(days=rng.randrange(365))
            while day.weekday() >= 5:
                day -= timedelta(days=1)
            created = lab.local(day, 8 * 60 + 15 * rng.randint(0, 44))
            if created >= now:
                created = now - timedelta(hours=rng.randint(1, 48))
            kind, organisation, requester = requesters.pick(
                rng, rng.choices(kinds, weights)[0], clients=clients
            )
            if requester is None:
                continue
            site = lab.sites["esch" if rng.random() < ESCH_SHARE[kind] else "differdange"]
            work = rng.choice(by_site[site.slug])
            roll = rng.random()
            outcome, cancelled_from = "closed", ""
            if roll < 0.07:
                outcome = "declined"
            elif roll < 0.10:
                outcome, cancelled_from = "cancelled", "requested"
            elif roll < 0.16:
                outcome, cancelled_from = "cancelled", "quoted"
            elif roll < 0.18:
                outcome, cancelled_from = "cancelled", "in_progress"
            roll = rng.random()
            versions = "superseded" if roll < 0.15 else "rejected" if roll < 0.25 else ""
            stories.append(
                Story(
                    pk=0, work=work, site=site, kind=kind, organisation=organisation,
                    requester=requester, lead=_lead_for(site, rng, writer.decider),
                    created=created, outcome=outcome, quotes=versions,
                    confidential=rng.random() < (0.35 if kind == "large_group" else 0.08),
                    factor=rng.lognormvariate(0, 0.18), cancelled_from=cancelled_from,
                )
            )  # fmt: skip
    stories.sort(key=lambda s: s.created)  # references numbered in the order of requests
    pk = _next_id(Project)
    for n, story in enumerate(stories, start=1):
        story.pk = pk + n - 1
        writer.write(story)
        if n % 500 == 0:
            stdout.write(f"    projects: {n:,} stories ({clock.monotonic() - started:.1f} s)")
