"""Demo and benchmark data for workshops and events.

- demo: a term of twelve weeks (four behind, eight ahead) of children's workshops at both
  FabLabs, school visits, a teen workshop and a public workshop, a machine training linked
  to a FabLab course, a cluster talk, a networking evening and an open day; guardians with
  their children (the guardian demo login has two), teachers of a few schools;
  registrations confirmed, waitlisted, offered, expired and cancelled; attendance of the
  past sessions with some no-shows; a date the staff cancelled; a summer camp whose
  registration opens in a few days; a draft.
- large: ten years of weekly workshops in three terms a year, about 60,000 registrations:
  children aged 6 to 12 (and teenagers) from the communes around the two FabLabs, school
  classes from twenty schools, many children coming back term after term and year after
  year; children not seen for 24 months are anonymised, as the retention rule says, and
  their registrations keep the age and commune statistics need.

Registrations follow the rules the services enforce: within the registration window, the
age on the session day inside the event's range, one live registration per person and
session, at most `max_per_registrant` children per guardian and event, a school class no
larger than the seats. Each session's seat counter is the sum of the seats of its
confirmed and offered registrations, so the database's check holds. Registrations go in
with COPY on PostgreSQL (fablab.seeding.rows_insert).
"""

from __future__ import annotations

import random
import secrets
import time as clock
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from fabreck.accounts.models import User
from fabreck.accounts.seeding import DEMO_PASSWORD, FIRST_NAMES, LAST_NAMES, _language
from fabreck.core.secrets import secret_digest
from fabreck.core.seeding import seeder_register
from fabreck.events.models import Child, Event, Registration, School, Session, TicketCategory
from fabreck.events.seed_data import (
    CHILD_NAMES,
    CHILD_NOTES,
    COMMUNE_WEIGHTS,
    DEMO_SLOTS,
    GRADES,
    GUARDIAN_LOGIN,
    GUARDIANS_DOMAIN,
    LARGE_SLOTS,
    MAKER_LOGIN,
    MANAGER_LOGIN,
    OTHER_COMMUNE_WEIGHT,
    PICKUP_NOTES,
    SCHOOLS,
    STAFF_LOGIN,
    TEACHERS_DOMAIN,
    THEMES,
    Slot,
)
from fabreck.fablab.seeding import rows_insert

REGISTRATION_FIELDS = (
    "created_at", "updated_at", "session", "kind", "status", "registered_by", "child",
    "child_age", "attendee", "school", "grade", "pupils", "accompanying_adults", "seats",
    "ticket_category", "price", "queued_at", "offered_at", "offer_expires_at",
    "offer_token_digest", "confirmed_at", "cancelled_at", "cancelled_by", "attendance",
    "checked_in_at", "reminder_sent_at",
)  # fmt: skip
RETENTION = timedelta(days=730)  # children unseen this long are anonymised
TERMS = ((1, 8, 3, 27), (4, 20, 7, 10), (9, 21, 12, 18))  # (month, day) → (month, day)
SCALE_YEARS = {"demo": 0, "large": 10}


def _years_back(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


# --- what is built in memory before it is written ----------------------------------------


@dataclass(eq=False)
class _Family:
    guardian: User
    commune: int | None
    kids: list[_Kid] = field(default_factory=list)


@dataclass(eq=False)
class _Kid:
    family: _Family
    first_name: str
    birth_date: date
    commune: int | None
    photo_consent: bool
    pickup: str
    notes: str
    last_day: date | None = None
    pk: int | None = None

    def age_on(self, day: date) -> int:
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@dataclass(eq=False)
class _Reg:
    session: Session
    ticket: TicketCategory
    kind: str
    status: str
    at: datetime  # when it was made (or joined the queue)
    by: User | int | None
    kid: _Kid | None = None
    attendee: int | None = None
    school: School | None = None
    grade: str = ""
    pupils: int | None = None
    adults: int = 0
    confirmed_at: datetime | None = None
    queued_at: datetime | None = None
    offered_at: datetime | None = None
    offer_expires_at: datetime | None = None
    digest: str = ""
    cancelled_at: datetime | None = None
    cancelled_by: User | int | None = None
    attendance: str = "unknown"
    checked_in_at: datetime | None = None
    reminder_sent_at: datetime | None = None
    passed: bool | None = None

    @property
    def seats(self) -> int:
        return self.pupils if self.kind == "school_class" else 1


@dataclass
class _Plan:
    events: list[Event] = field(default_factory=list)
    tickets: list[TicketCategory] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)
    regs: list[_Reg] = field(default_factory=list)
    families: list[_Family] = field(default_factory=list)
    kids: list[_Kid] = field(default_factory=list)


class _Builder:
    """Builds events, sessions, families and registrations as the services would have,
    in memory; `write` stores them in a few statements."""

    def __init__(
        self,
        *,
        rng: random.Random,
        now: datetime,
        tz: ZoneInfo,
        sites: dict[str, int],
        staff: User,
        communes: list[tuple[int, float]],
        schools: list[School],
        teachers: dict[int, User],
        makers: list[int],
        password: str,
    ) -> None:
        self.rng, self.now, self.tz = rng, now, tz
        self.today = now.astimezone(tz).date()
        self.sites, self.staff = sites, staff
        self.commune_ids = [pk for pk, _w in communes]
        self.commune_weights = [w for _pk, w in communes]
        self.schools, self.teachers, self.makers = schools, teachers, makers
        self.password = password
        self.plan = _Plan()
        # Every child by birth day (ordinals sorted, children in the same order).
        self.births: list[int] = []
        self.born: list[_Kid] = []
        self.slugs: set[str] = set(Event.objects.values_list("slug", flat=True))
        self.guardian_count = User.objects.filter(email__endswith=f"@{GUARDIANS_DOMAIN}").count()

    # Time ---------------------------------------------------------------------------------

    def at(self, day: date, moment: time) -> datetime:
        return timezone.make_aware(datetime.combine(day, moment), self.tz)

    def between(self, start: datetime, end: datetime) -> datetime:
        if end <= start:
            return start
        seconds = (end - start).total_seconds()
        return (start + timedelta(seconds=self.rng.uniform(0, seconds))).replace(microsecond=0)

    # Families -----------------------------------------------------------------------------

    def _commune(self) -> int | None:
        if not self.commune_ids:
            return None
        return self.rng.choices(self.commune_ids, weights=self.commune_weights)[0]

    def family_new(self, *, born_from: date, born_to: date, guardian: User | None = None):
        """A family with one child born between the two days (the one a workshop needs)
        and up to two siblings; its guardian is a new account unless given."""
        rng = self.rng
        if guardian is None:
            self.guardian_count += 1
            guardian = User(
                email=f"parent{self.guardian_count:05d}@{GUARDIANS_DOMAIN}",
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice(LAST_NAMES),
                phone=f"+352 6{rng.randint(10, 99)} {rng.randint(100, 999)} "
                f"{rng.randint(100, 999)}",
                preferred_language=_language(rng),
                password=self.password,
            )
        family = _Family(guardian=guardian, commune=self._commune())
        self.plan.families.append(family)
        span = max(0, (born_to - born_from).days)
        first = self.kid_add(family, born_from + timedelta(days=rng.randint(0, span)))
        for _sibling in range(rng.choices((0, 1, 2), weights=(50, 35, 15))[0]):
            gap = timedelta(days=rng.randint(400, 1500)) * rng.choice((-1, 1))
            born = first.birth_date + gap
            if born < self.today - timedelta(days=365 * 2):  # not a baby
                self.kid_add(family, born)
        return first

    def kid_add(self, family: _Family, born: date) -> _Kid:
        rng = self.rng
        names = {kid.first_name for kid in family.kids}
        name = rng.choice([n for n in CHILD_NAMES if n not in names] or CHILD_NAMES)
        kid = _Kid(
            family=family,
            first_name=name,
            birth_date=born,
            commune=family.commune,
            photo_consent=rng.random() < 0.7,
            pickup=rng.choice(PICKUP_NOTES),
            notes=rng.choice(CHILD_NOTES),
        )
        family.kids.append(kid)
        self.plan.kids.append(kid)
        at = bisect_right(self.births, born.toordinal())
        self.births.insert(at, born.toordinal())
        self.born.insert(at, kid)
        return kid

    def kids_born(self, born_from: date, born_to: date) -> list[_Kid]:
        """The children born between two days (both included)."""
        return self.born[
            bisect_left(self.births, born_from.toordinal()) : bisect_right(
                self.births, born_to.toordinal()
            )
        ]

    @staticmethod
    def born_window(first_day: date, last_day: date, age_min: int, age_max: int):
        """Birth days of a child aged age_min..age_max on every day of first..last."""
        return (
            _years_back(last_day, age_max + 1) + timedelta(days=1),
            _years_back(first_day, age_min),
        )

    # Events and sessions ------------------------------------------------------------------

    def event_add(self, *, slug: str, theme: str | None = None, tickets=(), **fields) -> Event:
        base, n = slugify(slug)[:110], 2
        slug = base
        while slug in self.slugs:
            slug, n = f"{base}-{n}", n + 1
        self.slugs.add(slug)
        if theme is not None:
            en, fr, de, den, dfr, dde = THEMES[theme]
            fields.setdefault("title_en", en)
            fields.setdefault("title_fr", fr)
            fields.setdefault("title_de", de)
            fields.setdefault("description_en", den)
            fields.setdefault("description_fr", dfr)
            fields.setdefault("description_de", dde)
        fields.setdefault("organiser", self.staff)
        fields.setdefault("status", "published")
        event = Event(slug=slug, **fields)
        self.plan.events.append(event)
        event.seed_tickets = []
        for position, (en, fr, de, price) in enumerate(tickets):
            ticket = TicketCategory(
                event=event, name_en=en, name_fr=fr, name_de=de,
                price=Decimal(price).quantize(Decimal("0.01")), position=position,
            )  # fmt: skip
            self.plan.tickets.append(ticket)
            event.seed_tickets.append(ticket)
        return event

    def session_add(self, event: Event, starts: datetime, minutes: int, capacity: int, **fields):
        session = Session(
            event=event,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=minutes),
            capacity=capacity,
            **fields,
        )
        if session.starts_at - timedelta(hours=48) <= self.now:
            session.reminders_sent_at = session.starts_at - timedelta(hours=48)
        session.seed_regs = []
        self.plan.sessions.append(session)
        return session

    def reg_add(self, reg: _Reg) -> _Reg:
        self.plan.regs.append(reg)
        reg.session.seed_regs.append(reg)
        return reg

    # Registrations ------------------------------------------------------------------------

    def _made_at(self, session: Session, *, rush: bool) -> datetime | None:
        """When a registration was made: in the rush after opening, or later; never after
        now, the close or the start. None when registration has not opened yet."""
        opens = session.registration_opens_at or session.starts_at - timedelta(days=21)
        closes = session.registration_closes_at or session.starts_at
        latest = min(closes, self.now) - timedelta(minutes=1)
        if latest <= opens:
            return None
        if rush:
            return min(opens + timedelta(seconds=self.rng.expovariate(1 / 5400)), latest)
        return self.between(opens, latest)

    def _past(self, session: Session) -> bool:
        return session.ends_at <= self.now

    def _attend(self, reg: _Reg, *, show: float) -> None:
        session = reg.session
        if reg.status != "confirmed":
            return
        if (
            session.starts_at - timedelta(hours=48) <= self.now
            and reg.confirmed_at
            and (reg.confirmed_at <= session.starts_at - timedelta(hours=48))
        ):
            reg.reminder_sent_at = session.starts_at - timedelta(hours=48)
        if not self._past(session):
            return
        if self.rng.random() < show:
            reg.attendance = "present"
            reg.checked_in_at = session.starts_at + timedelta(minutes=self.rng.randint(-10, 12))
        else:
            reg.attendance = "no_show"

    def _queue(self, session: Session, ticket: TicketCategory, price_kind: str, people, *,
               offer_hours: int) -> None:  # fmt: skip
        """After the seats: the waitlist in order of arrival. Seats freed by cancellations
        went to the first in line: claimed (confirmed), lapsed (expired, then the next),
        or, for a session to come, still on offer."""
        freed = sum(1 for r in session.seed_regs if r.status == "cancelled")
        last = max((r.at for r in session.seed_regs), default=None)
        if last is None:
            return
        closes = session.registration_closes_at or session.starts_at
        for person in people:
            queued = self.between(last, min(self.now, closes) - timedelta(minutes=1))
            last = queued
            reg = self.reg_add(self._person_reg(session, ticket, price_kind, person, queued))
            reg.status, reg.queued_at, reg.confirmed_at = "waitlisted", queued, None
            if freed <= 0:
                continue
            offered = self.between(queued, min(self.now, session.starts_at - timedelta(hours=2)))
            expires = offered + timedelta(hours=offer_hours)
            roll = self.rng.random()
            if expires > self.now and not self._past(session):
                reg.status, reg.offered_at, reg.offer_expires_at = "offered", offered, expires
                reg.digest = secret_digest(secrets.token_urlsafe(8))
                freed -= 1
            elif roll < 0.75 and offered < session.starts_at:
                reg.status, reg.offered_at = "confirmed", offered
                reg.offer_expires_at = expires
                reg.confirmed_at = self.between(offered, min(expires, session.starts_at))
                freed -= 1
            else:
                reg.status, reg.offered_at, reg.offer_expires_at = "expired", offered, expires

    def _person_reg(self, session, ticket, price_kind, person, at) -> _Reg:
        if price_kind == "child":
            kid = person
            return _Reg(
                session=session, ticket=ticket, kind="child", status="confirmed", at=at,
                by=kid.family.guardian, kid=kid, confirmed_at=at,
            )  # fmt: skip
        return _Reg(
            session=session, ticket=ticket, kind="adult", status="confirmed", at=at,
            by=person, attendee=person, confirmed_at=at,
        )  # fmt: skip

    def _fill(
        self,
        session: Session,
        ticket: TicketCategory,
        kind: str,
        wanted: list,
        *,
        extra: list,
        show: float,
        offer_hours: int,
        cancel: float = 0.06,
    ) -> None:
        """Registrations of one session: `wanted` first (a term's regulars, in the rush),
        then `extra` (drop-ins, later) while seats last, the rest on the waitlist."""
        seats = session.capacity
        queue = []
        for n, person in enumerate([*wanted, *extra]):
            rush = n < len(wanted)
            made = self._made_at(session, rush=rush)
            if made is None:
                continue
            if seats <= 0:
                queue.append(person)
                continue
            reg = self.reg_add(self._person_reg(session, ticket, kind, person, made))
            seats -= 1
            if self.rng.random() < cancel:
                latest = min(self.now, session.starts_at) - timedelta(minutes=1)
                reg.status = "cancelled"
                reg.cancelled_at = self.between(made, latest)
                reg.cancelled_by = reg.by
        self._queue(session, ticket, kind, queue[:4], offer_hours=offer_hours)
        if self.now >= session.starts_at:  # the queue closed when the session began
            for reg in session.seed_regs:
                if reg.status == "waitlisted":
                    reg.status, reg.cancelled_at = "cancelled", session.starts_at
        for reg in session.seed_regs:
            self._attend(reg, show=show)

    def children_term(self, slot: Slot, first: date, last: date, theme: str, *, slug: str,
                      regulars: list[_Kid] | None = None) -> Event:  # fmt: skip
        """One event of a weekly slot for a term, its sessions and their registrations."""
        rng = self.rng
        price = slot.price
        ticket_name = {
            "teen_workshop": ("Teenager", "Adolescent", "Jugendliche", price),
            "public_workshop": ("Adult", "Adulte", "Erwachsene", price),
        }.get(slot.kind, ("Child", "Enfant", "Kind", price))
        tickets = [ticket_name]
        if slot.school:
            tickets = [("Pupil", "Élève", "Schüler", "0")]
        if slot.kind == "public_workshop":
            tickets.append(("Student", "Étudiant", "Studierende", price * Decimal("0.6")))
        event = self.event_add(
            slug=slug,
            theme=theme,
            kind=slot.kind,
            site_id=self.sites[slot.site],
            audience=slot.audience,
            age_min=slot.age_min,
            age_max=slot.age_max,
            accepts_school_classes=slot.school,
            max_per_registrant=4,
            tickets=tickets,
        )
        ticket = event.seed_tickets[0]
        opens = self.at(first - timedelta(days=14), time(19))
        day = first + timedelta(days=(slot.weekday - first.weekday()) % 7)
        holidays = _holidays(first.year) | _holidays(last.year)
        sessions = []
        week = 0
        while day <= last:
            if day not in holidays and week % slot.every == 0:
                starts = self.at(day, slot.start)
                closes = starts - timedelta(days=7 if slot.school else 1)
                sessions.append(
                    self.session_add(
                        event,
                        starts,
                        slot.minutes,
                        slot.capacity,
                        registration_opens_at=opens,
                        registration_closes_at=closes,
                    )
                )
            day += timedelta(days=7)
            week += 1
        if not sessions:
            return event
        if slot.school:
            for session in sessions:
                self._school_class(session, ticket)
            return event
        if slot.kind == "public_workshop":
            for session in sessions:
                demand = round(slot.capacity * rng.uniform(0.5, 1.3))
                people = rng.sample(self.makers, min(demand, len(self.makers)))
                self._fill(session, ticket, "adult", [], extra=people, show=0.88,
                           offer_hours=event.offer_hours)  # fmt: skip
            return event
        born_from, born_to = self.born_window(first, last, slot.age_min, slot.age_max)
        roster = list(regulars or [])
        target = round(slot.capacity * rng.uniform(0.55, 0.9))
        known = self.kids_born(born_from, born_to)
        back = [k for k in known if k.last_day and (first - k.last_day).days < 400]
        rng.shuffle(back)
        per_guardian: dict[int, set] = defaultdict(set)  # the children of each guardian

        def room_for(kid: _Kid) -> bool:
            """At most max_per_registrant children of one guardian in this event."""
            kids = per_guardian[id(kid.family)]
            if kid not in kids and len(kids) >= event.max_per_registrant:
                return False
            kids.add(kid)
            return True

        for kid in roster:
            room_for(kid)
        while len(roster) < target:
            roll = rng.random()
            pick = None
            if roll < 0.5 and back:
                pick = back.pop()
            elif roll < 0.65 and known:
                pick = known[rng.randrange(len(known))]
            if pick is None or pick in roster:
                pick = self.family_new(born_from=born_from, born_to=born_to)
            if room_for(pick):
                roster.append(pick)
        for session in sessions:
            sday = session.starts_at.astimezone(self.tz).date()
            wanted = [k for k in roster if rng.random() < 0.9]
            demand = round(slot.capacity * rng.uniform(0.75, 1.35)) - len(wanted)
            extra = []
            if demand > 0:
                lo, hi = self.born_window(sday, sday, slot.age_min, slot.age_max)
                pool = self.kids_born(lo, hi)
                taken = set(roster)
                for _n in range(demand):
                    kid = pool[rng.randrange(len(pool))] if pool and rng.random() < 0.85 else None
                    if kid is None or kid in taken:
                        kid = self.family_new(born_from=lo, born_to=hi)
                    if room_for(kid):
                        taken.add(kid)
                        extra.append(kid)
            self._fill(session, ticket, "child", wanted, extra=extra, show=0.9,
                       offer_hours=event.offer_hours)  # fmt: skip
            for reg in session.seed_regs:
                if reg.kid is not None:
                    reg.kid.last_day = max(reg.kid.last_day or sday, sday)
        return event

    def _school_class(self, session: Session, ticket: TicketCategory) -> None:
        rng = self.rng
        if rng.random() > 0.85 or not self.schools:
            return
        made = self._made_at(session, rush=False)
        if made is None:
            return
        school = rng.choice(self.schools)
        pupils = rng.randint(12, min(24, session.capacity))
        reg = self.reg_add(
            _Reg(
                session=session,
                ticket=ticket,
                kind="school_class",
                status="confirmed",
                at=made,
                by=self.teachers[school.pk],
                school=school,
                grade=rng.choice(GRADES),
                pupils=pupils,
                adults=rng.randint(1, 3),
                confirmed_at=made,
            )
        )
        self._attend(reg, show=0.97)

    # Writing -------------------------------------------------------------------------------

    def write(self) -> dict[str, int]:
        plan = self.plan
        self._anonymise()
        guardians = [f.guardian for f in plan.families if f.guardian.pk is None]
        guardians = list({id(g): g for g in guardians}.values())
        User.objects.bulk_create(guardians, batch_size=2000)
        _roles_and_addresses(guardians, role="guardian")
        children = []
        for kid in plan.kids:
            anonymous = kid.last_day is not None and kid.first_name == ""
            child = Child(
                guardian=None if anonymous else kid.family.guardian,
                first_name=kid.first_name,
                birth_date=None if anonymous else kid.birth_date,
                birth_year=kid.birth_date.year,
                commune_id=kid.commune,
                photo_consent=kid.photo_consent and not anonymous,
                pickup_persons="" if anonymous else kid.pickup,
                notes="" if anonymous else kid.notes,
                anonymised_at=min(
                    self.now, self.at(kid.last_day + RETENTION + timedelta(days=1), time(3))
                )
                if anonymous
                else None,
            )
            children.append(child)
        Child.objects.bulk_create(children, batch_size=2000)
        for kid, child in zip(plan.kids, children, strict=True):
            kid.pk = child.pk
        for event in plan.events:
            event.organiser_id = event.organiser.pk
        Event.objects.bulk_create(plan.events, batch_size=500)
        for ticket in plan.tickets:
            ticket.event_id = ticket.event.pk
        TicketCategory.objects.bulk_create(plan.tickets, batch_size=1000)
        for session in plan.sessions:
            session.event_id = session.event.pk
            session.seats_taken = sum(
                r.seats for r in session.seed_regs if r.status in ("confirmed", "offered")
            )
            assert session.seats_taken <= session.capacity, session
        Session.objects.bulk_create(plan.sessions, batch_size=2000)
        written = rows_insert(Registration, REGISTRATION_FIELDS, self._rows())
        return {
            "guardians": len(guardians),
            "children": len(children),
            "anonymised children": sum(1 for c in children if c.anonymised_at),
            "events": len(plan.events),
            "sessions": len(plan.sessions),
            "registrations": written,
        }

    def _anonymise(self) -> None:
        """Children not seen for RETENTION keep only what statistics need."""
        for kid in self.plan.kids:
            if kid.last_day is not None and kid.last_day + RETENTION < self.today:
                kid.first_name = ""

    def _rows(self):
        for reg in self.plan.regs:
            by = reg.by.pk if isinstance(reg.by, User) else reg.by
            cancelled_by = reg.cancelled_by
            if isinstance(cancelled_by, User):
                cancelled_by = cancelled_by.pk
            day = reg.session.starts_at.astimezone(self.tz).date()
            child_age = reg.kid.age_on(day) if reg.kid is not None else None
            updated = max(
                t
                for t in (reg.at, reg.confirmed_at, reg.offered_at, reg.cancelled_at,
                          reg.checked_in_at)
                if t is not None
            )  # fmt: skip
            yield (
                reg.at, updated, reg.session.pk, reg.kind, reg.status, by,
                reg.kid.pk if reg.kid else None, child_age, reg.attendee,
                reg.school.pk if reg.school else None, reg.grade, reg.pupils, reg.adults,
                reg.seats, reg.ticket.pk, reg.ticket.price, reg.queued_at, reg.offered_at,
                reg.offer_expires_at, reg.digest, reg.confirmed_at, reg.cancelled_at,
                cancelled_by, reg.attendance, reg.checked_in_at, reg.reminder_sent_at,
            )  # fmt: skip


def _holidays(year: int) -> set[date]:
    from fabreck.fablab.seed_data import lu_public_holidays

    return {day for day, *_names in lu_public_holidays(year)}


def _roles_and_addresses(users: list[User], *, role: str) -> None:
    from allauth.account.models import EmailAddress

    group = Group.objects.get(name=role)
    through = User.groups.through
    through.objects.bulk_create(
        [through(user_id=u.pk, group_id=group.pk) for u in users], batch_size=5000
    )
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users],
        batch_size=5000,
    )


def _terms(first: date, last: date) -> list[tuple[date, date]]:
    """The school terms between two days (clipped to them), by calendar."""
    terms = []
    for year in range(first.year, last.year + 1):
        for m0, d0, m1, d1 in TERMS:
            start, end = max(date(year, m0, d0), first), min(date(year, m1, d1), last)
            if start <= end:
                terms.append((start, end))
    return terms


# --- the seeder -----------------------------------------------------------------------------


def _context(
    *, rng: random.Random, schools_wanted: int, teachers: bool, on_top: bool = False
) -> dict:
    """What the builder needs from the other seeders. `on_top` adds to events already
    there (tests of the large scale on top of the demo); schools and teachers are reused."""
    from fabreck.cluster.models import Commune
    from fabreck.fablab.models import Site

    sites = dict(Site.objects.values_list("slug", "pk"))
    if not {"esch", "differdange"} <= set(sites):
        raise CommandError("Seed the FabLab first: workshops take place at its sites.")
    staff = User.objects.filter(email=STAFF_LOGIN).first()
    if staff is None:
        raise CommandError("Seed the accounts first: the site staff organise the workshops.")
    if Event.objects.exists() and not on_top:
        raise CommandError("Events are seeded already; run with --fresh to replace them.")
    weights = []
    for pk, slug in Commune.objects.values_list("pk", "slug"):
        weights.append((pk, COMMUNE_WEIGHTS.get(slug, OTHER_COMMUNE_WEIGHT)))
    by_slug = dict(Commune.objects.values_list("slug", "pk"))
    schools = []
    for name, slug in SCHOOLS[:schools_wanted]:
        school, _created = School.objects.get_or_create(name=name, commune_id=by_slug.get(slug))
        schools.append(school)
    password = make_password(DEMO_PASSWORD)
    teacher_users = {}
    if teachers:
        emails = [f"teacher{n:02d}@{TEACHERS_DOMAIN}" for n in range(1, len(schools) + 1)]
        known = {u.email: u for u in User.objects.filter(email__in=emails)}
        rows = [
            User(
                email=email,
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice(LAST_NAMES),
                preferred_language=rng.choice(("fr", "de", "fr", "en")),
                password=password,
            )
            for email in emails
            if email not in known
        ]
        User.objects.bulk_create(rows)
        _roles_and_addresses(rows, role="guardian")
        known |= {u.email: u for u in rows}
        teacher_users = {
            school.pk: known[email] for school, email in zip(schools, emails, strict=True)
        }
    makers = list(
        User.objects.filter(email__contains="@makers.").order_by("pk").values_list("pk", flat=True)
    )
    return {
        "sites": sites,
        "staff": staff,
        "communes": weights,
        "schools": schools,
        "teachers": teacher_users,
        "makers": makers,
        "password": password,
    }


def history_build(*, builder: _Builder, first: date, last: date, slots=LARGE_SLOTS) -> None:
    """Weekly workshops term after term between two days (the large scale's ten years)."""
    rng = builder.rng
    for term_first, term_last in _terms(first, last):
        for slot in slots:
            theme = rng.choice(slot.themes)
            slug = f"{THEMES[theme][0]}-{slot.site}-{term_first:%Y-%m}-{slot.key}"
            builder.children_term(slot, term_first, term_last, theme, slug=slug)


def seed_large_history(
    *,
    rng: random.Random,
    years: float,
    weeks_ahead: int = 8,
    stdout=None,
    on_top: bool = False,
) -> dict[str, int]:
    """The large scale's history over `years` (tests run it over a few)."""
    tz = ZoneInfo(settings.TIME_ZONE)
    now = timezone.now().replace(microsecond=0)
    today = now.astimezone(tz).date()
    first = today - timedelta(days=round(365.25 * years))
    last = today + timedelta(weeks=weeks_ahead)
    started = clock.monotonic()
    with transaction.atomic():
        builder = _Builder(
            rng=rng, now=now, tz=tz,
            **_context(rng=rng, schools_wanted=len(SCHOOLS), teachers=True, on_top=on_top),
        )  # fmt: skip
        history_build(builder=builder, first=first, last=last)
        if stdout is not None:
            stdout.write(
                f"    events: {len(builder.plan.regs):,} registrations planned "
                f"({clock.monotonic() - started:.1f} s)"
            )
        counts = builder.write()
    counts["schools"] = len(builder.schools)
    return counts


@seeder_register(name="events", order=40)
def seed_events(*, scale: str, rng: random.Random, stdout) -> dict[str, int]:
    if scale == "large":
        return seed_large_history(rng=rng, years=SCALE_YEARS["large"], stdout=stdout)
    return seed_demo(rng=rng)


# --- demo ---------------------------------------------------------------------------------


def seed_demo(*, rng: random.Random) -> dict[str, int]:
    from fabreck.fablab.models import Authorisation, Course

    tz = ZoneInfo(settings.TIME_ZONE)
    now = timezone.now().replace(microsecond=0)
    today = now.astimezone(tz).date()
    first = _monday(today - timedelta(days=28))
    last = first + timedelta(weeks=12) - timedelta(days=1)
    with transaction.atomic():
        context = _context(rng=rng, schools_wanted=8, teachers=True)
        builder = _Builder(rng=rng, now=now, tz=tz, **context)
        staff = context["staff"]
        manager = User.objects.filter(email=MANAGER_LOGIN).first() or staff
        maker_login = User.objects.filter(email=MAKER_LOGIN).values_list("pk", flat=True).first()

        # The guardian demo login: two children at the Wednesday workshop in Esch.
        regulars = []
        guardian = User.objects.filter(email=GUARDIAN_LOGIN).first()
        if guardian is not None:
            family = _Family(guardian=guardian, commune=_commune_pk("esch-sur-alzette"))
            builder.plan.families.append(family)
            for name, age in (("Léa", 8), ("Tom", 10)):
                kid = builder.kid_add(family, _years_back(first, age) - timedelta(days=40))
                kid.first_name = name
                regulars.append(kid)
        events = {}
        for slot in DEMO_SLOTS:
            events[slot.key] = builder.children_term(
                slot, first, last, slot.themes[0],
                slug=f"{THEMES[slot.themes[0]][0]}-{slot.site}",
                regulars=regulars if slot.key == "esch-wed" else None,
            )  # fmt: skip
        _demo_cancelled_date(builder, events["diff-sat"], staff=staff)
        _demo_adult_events(builder, first=first, today=today, staff=staff, manager=manager,
                           maker=maker_login)  # fmt: skip
        _demo_camp_and_draft(builder, today=today)
        counts = builder.write()
        # Trainings: who passed holds the authorisation of the course.
        passed = [r for r in builder.plan.regs if r.passed is not None]
        results = {(r.session.pk, r.attendee): r.passed for r in passed}
        rows = list(
            Registration.objects.filter(session__event__kind="training", status="confirmed")
        )
        for row in rows:
            row.passed = results.get((row.session_id, row.attendee_id))
        Registration.objects.bulk_update(rows, ["passed"])
        course = Course.objects.filter(slug="laser-safety").first()
        authorisations = [
            Authorisation(
                user_id=r.attendee,
                course=course,
                issued_by=staff,
                issued_at=r.session.ends_at,
                expires_at=_add_months(r.session.ends_at, course.validity_months)
                if course and course.validity_months
                else None,
                evidence=f"Passed the training session of {r.session.starts_at:%Y-%m-%d}",
            )
            for r in passed
            if r.passed and course is not None
        ]
        Authorisation.objects.bulk_create(authorisations)
    counts["schools"] = len(context["schools"])
    counts["authorisations from trainings"] = len(authorisations)
    return counts


def _commune_pk(slug: str) -> int | None:
    from fabreck.cluster.models import Commune

    return Commune.objects.filter(slug=slug).values_list("pk", flat=True).first()


def _add_months(moment: datetime, months: int) -> datetime:
    from fabreck.fablab.seeding import _add_months as add

    return add(moment, months)


def _demo_cancelled_date(builder: _Builder, event: Event, *, staff: User) -> None:
    """The staff called off a date two weeks ahead: its registrations are cancelled."""
    upcoming = [
        s
        for s in builder.plan.sessions
        if s.event is event and s.starts_at > builder.now + timedelta(days=10)
    ]
    if not upcoming:
        return
    session = upcoming[0]
    session.status = "cancelled"
    session.cancelled_reason = "The workshop leader is ill; we are sorry."
    when = builder.now - timedelta(hours=20)
    for reg in session.seed_regs:
        if reg.status in ("confirmed", "waitlisted", "offered"):
            reg.status, reg.cancelled_at, reg.cancelled_by = "cancelled", when, staff.pk
            reg.digest = ""
            reg.reminder_sent_at = None


def _demo_adult_events(builder: _Builder, *, first, today, staff, manager, maker) -> None:
    from fabreck.fablab.models import Course

    rng, makers = builder.rng, builder.makers
    course = Course.objects.filter(slug="laser-safety").first()
    if course is not None:
        training = builder.event_add(
            slug="laser-cutting-safety-and-basics-training", kind="training",
            site_id=builder.sites["esch"], course=course, audience="adults",
            title_en=course.name_en, title_fr=course.name_fr, title_de=course.name_de,
            description_en="Three hours to use the laser cutters alone: materials, fire watch, "
            "focus, power and speed, and your first cut. Passing it authorises the lasers.",
            description_fr="Trois heures pour utiliser seul les découpeuses laser : "
            "matériaux, surveillance du feu, focale, puissance et vitesse, première découpe.",
            description_de="Drei Stunden, um die Laserschneider allein zu nutzen: Materialien, "
            "Brandwache, Fokus, Leistung und Geschwindigkeit, der erste Schnitt.",
            tickets=[("Participant", "Participant", "Teilnehmende", "30")],
        )  # fmt: skip
        day = first + timedelta(days=1)  # Tuesdays, every other week
        while day <= first + timedelta(weeks=12):
            session = builder.session_add(
                training, builder.at(day, time(18)), 180, 6,
                registration_opens_at=builder.at(first - timedelta(days=14), time(9)),
                registration_closes_at=builder.at(day - timedelta(days=1), time(12)),
            )  # fmt: skip
            people = rng.sample(makers, min(len(makers), rng.randint(3, 8)))
            if maker and day > today and maker not in people:
                people = [maker, *people]
            builder._fill(session, training.seed_tickets[0], "adult", [], extra=people,
                          show=0.92, offer_hours=training.offer_hours)  # fmt: skip
            for reg in session.seed_regs:
                if reg.attendance == "present":
                    reg.passed = rng.random() < 0.85
                elif reg.attendance == "no_show":
                    reg.passed = None
            day += timedelta(weeks=2)
    rotondes = "Rotondes, Place des Rotondes, L-2448 Luxembourg"
    talk = builder.event_add(
        slug="design-for-circularity-talk", kind="talk", venue=rotondes, audience="everyone",
        organiser=manager,
        title_en="Design for circularity: products that come back",
        title_fr="Concevoir pour la circularité : des produits qui reviennent",
        title_de="Design für die Kreislaufwirtschaft: Produkte, die zurückkommen",
        description_en="Three members show how they design for repair, reuse and recycling.",
        description_fr="Trois membres montrent comment ils conçoivent pour réparer, "
        "réutiliser et recycler.",
        description_de="Drei Mitglieder zeigen, wie sie für Reparatur, Wiederverwendung und "
        "Recycling gestalten.",
        tickets=[("Cluster member", "Membre du cluster", "Clustermitglied", "0"),
                 ("Guest", "Invité", "Gast", "10")],
    )  # fmt: skip
    for days, fill in ((-20, 0.8), (15, 0.5)):
        session = builder.session_add(
            talk, builder.at(today + timedelta(days=days), time(18, 30)), 120, 80,
            registration_opens_at=builder.at(today + timedelta(days=days - 30), time(9)),
        )  # fmt: skip
        people = rng.sample(makers, min(len(makers), round(80 * fill * rng.uniform(0.4, 0.6))))
        builder._fill(session, talk.seed_tickets[0], "adult", [], extra=people, show=0.8,
                      offer_hours=talk.offer_hours, cancel=0.1)  # fmt: skip
    networking = builder.event_add(
        slug="creative-industries-networking-evening", kind="networking",
        site_id=builder.sites["differdange"], audience="members", members_only=True,
        organiser=manager,
        title_en="Creative industries networking evening",
        title_fr="Soirée de réseautage des industries créatives",
        title_de="Netzwerkabend der Kreativwirtschaft",
        description_en="Meet the cluster's members among the machines of the industrial "
        "FabLab; short pitches, then drinks.",
        description_fr="Rencontrez les membres du cluster parmi les machines du FabLab "
        "industriel ; courts pitchs, puis apéritif.",
        description_de="Treffen Sie die Mitglieder des Clusters zwischen den Maschinen des "
        "Industrie-FabLabs; kurze Pitches, dann Umtrunk.",
        tickets=[("Member", "Membre", "Mitglied", "0")],
    )  # fmt: skip
    session = builder.session_add(
        networking, builder.at(today + timedelta(days=33), time(18)), 180, 60,
        registration_opens_at=builder.at(today - timedelta(days=10), time(9)),
    )  # fmt: skip
    builder._fill(session, networking.seed_tickets[0], "adult", [],
                  extra=rng.sample(makers, min(len(makers), 22)), show=0.85,
                  offer_hours=networking.offer_hours)  # fmt: skip
    open_day = builder.event_add(
        slug="fablab-open-day", kind="open_day", site_id=builder.sites["esch"],
        audience="families", title_en="FabLab open day", title_fr="Journée portes ouvertes "
        "du FabLab", title_de="Tag der offenen Tür im FabLab",
        description_en="Machines running, makers showing their projects, mini-workshops for "
        "children every hour.",
        description_fr="Machines en marche, makers qui montrent leurs projets, "
        "mini-ateliers pour enfants toutes les heures.",
        description_de="Laufende Maschinen, Maker zeigen ihre Projekte, jede Stunde "
        "Mini-Workshops für Kinder.",
        tickets=[("Visitor", "Visiteur", "Besucher", "0")], max_per_registrant=6,
    )  # fmt: skip
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 + 21)
    session = builder.session_add(open_day, builder.at(saturday, time(10)), 420, 200)
    builder._fill(session, open_day.seed_tickets[0], "adult", [],
                  extra=rng.sample(makers, min(len(makers), 35)), show=0.8,
                  offer_hours=open_day.offer_hours)  # fmt: skip


def _demo_camp_and_draft(builder: _Builder, *, today: date) -> None:
    """A summer camp whose registration opens in a few days (the rush to come), and a
    draft the staff are still preparing."""
    monday = _monday(today + timedelta(weeks=9))
    camp = builder.event_add(
        slug="summer-camp-young-inventors", kind="children_workshop",
        site_id=builder.sites["esch"], audience="children", age_min=7, age_max=12,
        max_per_registrant=3,
        title_en="Summer camp: young inventors", title_fr="Camp d'été : jeunes inventeurs",
        title_de="Sommercamp: junge Erfinder",
        description_en="Five days to invent, draw, cut, print and solder a machine of your own.",
        description_fr="Cinq jours pour inventer, dessiner, découper, imprimer et souder ta "
        "propre machine.",
        description_de="Fünf Tage, um eine eigene Maschine zu erfinden, zu zeichnen, zu "
        "schneiden, zu drucken und zu löten.",
        tickets=[("Child (day)", "Enfant (journée)", "Kind (Tag)", "12")],
    )  # fmt: skip
    opens = builder.at(today + timedelta(days=5), time(19))
    for n in range(5):
        builder.session_add(
            camp, builder.at(monday + timedelta(days=n), time(9)), 420, 16,
            registration_opens_at=opens,
            registration_closes_at=builder.at(monday - timedelta(days=3), time(12)),
        )  # fmt: skip
    draft = builder.event_add(
        slug="screen-printing-for-teens", kind="teen_workshop", status="draft",
        site_id=builder.sites["esch"], audience="teens", age_min=12, age_max=16,
        title_en="Screen printing for teens", title_fr="Sérigraphie pour ados",
        title_de="Siebdruck für Jugendliche",
        description_en="Design a motif, expose a screen and print your own T-shirts.",
        tickets=[("Teenager", "Adolescent", "Jugendliche", "8")],
    )  # fmt: skip
    for weeks in (6, 7, 8):
        day = today + timedelta(weeks=weeks)
        builder.session_add(draft, builder.at(day, time(17)), 120, 8)
