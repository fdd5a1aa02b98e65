"""Reads of workshops and events. Sections are appended per capability."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from fabreck.core.sql import prepared_cursor, row_reader
from fabreck.events.models import (
    CLUSTER_KINDS,
    LIVE_STATUSES,
    Child,
    Event,
    EventKind,
    EventStatus,
    Registration,
    RegistrationStatus,
    Session,
    SessionStatus,
)

User = get_user_model()


# --- who manages what ---------------------------------------------------------------------


def user_manages_event(*, user: User, event: Event) -> bool:
    """The people who run an event and may see its attendees (children included): the staff
    of its FabLab site, cluster managers for cluster events, and administrators."""
    from fabreck.fablab.selectors import user_runs_site

    if not user.is_authenticated:
        return False
    if user.has_perm("events.change_event"):
        return True  # administrators
    if event.is_cluster_event and user.has_perm("accounts.manage_cluster"):
        return True
    return event.site_id is not None and user_runs_site(user=user, site=event.site)


def user_sees_registration(*, user: User, registration: Registration) -> bool:
    """A registration (a child's above all) is seen by whoever registered it and by the
    people who run its event; nobody else."""
    if not user.is_authenticated:
        return False
    if registration.registered_by_id == user.pk or registration.attendee_id == user.pk:
        return True
    return user_manages_event(user=user, event=registration.session.event)


def session_for_update(*, session_id: int) -> Session:
    """The session row, locked: its seat counter moves only under this lock."""
    return Session.objects.select_for_update().select_related("event").get(pk=session_id)


# --- children's profiles and their data (evkids) ------------------------------------------


def children_of(*, guardian: User) -> QuerySet[Child]:
    """A guardian's children (never anyone else's), with their commune."""
    if not guardian.is_authenticated:
        return Child.objects.none()
    return (
        Child.objects.filter(guardian=guardian, anonymised_at__isnull=True)
        .select_related("commune")
        .order_by("first_name", "pk")
    )


def child_of(*, guardian: User, pk: int) -> Child:
    """One of the guardian's children; 404 for any other child (nobody learns it exists)."""
    child = children_of(guardian=guardian).filter(pk=pk).first()
    if child is None:
        raise Http404
    return child


def child_registrations(*, child: Child) -> QuerySet[Registration]:
    return (
        Registration.objects.filter(child=child)
        .select_related("session__event__site")
        .order_by("session__starts_at", "pk")
    )


def _iso(moment: datetime | date | None) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, datetime):
        return timezone.localtime(moment).isoformat()
    return moment.isoformat()


def child_export(*, child: Child) -> dict:
    """Everything kept about a child, for their guardian: the profile and every
    registration (event, session, status, attendance)."""
    return {
        "child": {
            "id": child.pk,
            "first_name": child.first_name,
            "birth_date": _iso(child.birth_date),
            "commune": child.commune.name if child.commune_id else None,
            "photo_consent": child.photo_consent,
            "pickup_persons": child.pickup_persons,
            "notes": child.notes,
            "created_at": _iso(child.created_at),
            "updated_at": _iso(child.updated_at),
        },
        "registrations": [
            {
                "id": registration.pk,
                "event": registration.session.event.title,
                "event_kind": registration.session.event.kind,
                "place": (
                    registration.session.event.site.name
                    if registration.session.event.site_id
                    else registration.session.event.venue
                ),
                "session_starts_at": _iso(registration.session.starts_at),
                "session_ends_at": _iso(registration.session.ends_at),
                "session_status": registration.session.status,
                "status": registration.status,
                "age_on_the_day": registration.child_age,
                "price": str(registration.price),
                "registered_at": _iso(registration.created_at),
                "cancelled_at": _iso(registration.cancelled_at),
                "attendance": registration.attendance,
                "checked_in_at": _iso(registration.checked_in_at),
            }
            for registration in child_registrations(child=child)
        ],
    }


# --- attendance (evkids) -------------------------------------------------------------------


def session_managed_by(*, user: User, pk: int) -> Session:
    """A session whose event `user` runs; 404 otherwise (its attendees are children)."""
    session = Session.objects.select_related("event__site", "event__course").filter(pk=pk).first()
    if session is None or not user_manages_event(user=user, event=session.event):
        raise Http404
    return session


def session_attendance_rows(*, session: Session) -> list[Registration]:
    """Every registration holding seats in the session (confirmed, or an offer not yet
    claimed), children first, then school classes, then adults, by name."""
    return list(
        Registration.objects.filter(session=session, status__in=("confirmed", "offered"))
        .select_related("child__commune", "school__commune", "attendee", "ticket_category")
        .order_by(
            "kind", "child__first_name", "school__name", "grade", "attendee__first_name", "pk"
        )
    )


def registration_of_session(*, session: Session, pk: int) -> Registration:
    registration = (
        Registration.objects.filter(session=session, pk=pk)
        .select_related("child__commune", "school__commune", "attendee", "ticket_category")
        .first()
    )
    if registration is None:
        raise Http404
    return registration


@dataclass
class AttendanceCount:
    present: int = 0  # seats (people) checked in
    no_show: int = 0
    expected: int = 0  # seats of confirmed registrations
    adults: int = 0  # accompanying adults of school classes (not seats)


def attendance_count(*, session: Session) -> AttendanceCount:
    totals = Registration.objects.filter(session=session, status="confirmed").aggregate(
        expected=Sum("seats"),
        present=Sum("seats", filter=Q(attendance="present")),
        no_show=Sum("seats", filter=Q(attendance="no_show")),
        adults=Sum("accompanying_adults"),
    )
    return AttendanceCount(**{key: value or 0 for key, value in totals.items()})


def sessions_to_check_in(*, user: User, day: date) -> list[Session]:
    """The sessions of `day` (local) whose event `user` runs, for the check-in tablet."""
    from fabreck.events.models import CLUSTER_KINDS

    if not user.is_authenticated:
        return []
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    rows = Session.objects.filter(
        starts_at__gte=start, starts_at__lt=start + timedelta(days=1)
    ).select_related("event__site")
    if not user.has_perm("events.change_event"):
        scope = Q(pk__in=[])
        if user.has_perm("accounts.manage_cluster"):
            scope |= Q(event__kind__in=list(CLUSTER_KINDS))
        if user.has_perm("accounts.run_site"):
            if user.has_perm("fablab.change_site"):
                scope |= Q(event__site__isnull=False)
            else:
                scope |= Q(event__site__staff=user)
        rows = rows.filter(scope)
    return list(rows.order_by("starts_at", "pk").distinct())


# --- statistics (evkids) -------------------------------------------------------------------
# "Reached" means: a confirmed registration for a scheduled session that has ended, not
# marked as a no-show (an attendance not recorded counts: the child was expected and
# nobody said they were missing). Children are counted once each (unique named children,
# anonymised ones included: their records keep their id, age on the day and commune);
# the pupils of school classes are counted by the size of the class, separately, because
# they are not named. A year is the calendar year (Luxembourg time) of the session's start.
# Every figure is one aggregate query: the page issues a fixed number of queries whatever
# the number of registrations.


@dataclass
class YearReach:
    year: int
    children: int
    pupils: int
    classes: int
    adults: int


@dataclass
class KindRates:
    kind: str
    label: str
    sessions: int = 0
    capacity: int = 0
    seats_taken: int = 0
    confirmed_seats: int = 0
    no_show_seats: int = 0

    @property
    def fill_rate(self) -> float | None:
        return round(100 * self.seats_taken / self.capacity, 1) if self.capacity else None

    @property
    def no_show_rate(self) -> float | None:
        if not self.confirmed_seats:
            return None
        return round(100 * self.no_show_seats / self.confirmed_seats, 1)


@dataclass
class Statistics:
    year: int
    years: list[int]  # the years that have sessions, newest first (the year selector)
    per_year: list[YearReach]  # every year, newest first
    reach: YearReach
    by_age: list[tuple[int | None, int]] = field(default_factory=list)  # (age, children)
    by_school: list[dict] = field(default_factory=list)  # name, commune, classes, pupils
    by_commune: list[dict] = field(default_factory=list)  # name, children, pupils
    by_kind: list[KindRates] = field(default_factory=list)


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    return (
        timezone.make_aware(datetime(year, 1, 1)),
        timezone.make_aware(datetime(year + 1, 1, 1)),
    )


def _past_confirmed(*, now: datetime, site=None) -> QuerySet[Registration]:
    rows = Registration.objects.filter(
        status="confirmed", session__status="scheduled", session__ends_at__lte=now
    )
    if site is not None:
        rows = rows.filter(session__event__site=site)
    return rows


def statistics_years(*, site=None) -> list[int]:
    sessions = Session.objects.all()
    if site is not None:
        sessions = sessions.filter(event__site=site)
    span = sessions.aggregate(first=Min("starts_at"), last=Max("starts_at"))
    if span["first"] is None:
        return []
    first, last = timezone.localtime(span["first"]).year, timezone.localtime(span["last"]).year
    return list(range(last, first - 1, -1))


def statistics_for(*, year: int, site=None, now: datetime | None = None) -> Statistics:
    """The workshops' figures of `year` (optionally of one FabLab site): children reached
    (unique), pupils in school classes, by age, school and commune, and per kind of event
    the fill rate (seats taken / capacity of past scheduled sessions) and the no-show rate
    (no-show seats / confirmed seats of those sessions)."""
    now = now or timezone.now()
    start, end = _year_bounds(year)
    past = _past_confirmed(now=now, site=site)
    reached = past.exclude(attendance="no_show")
    of_year = reached.filter(session__starts_at__gte=start, session__starts_at__lt=end)

    # One statement for every year: conditional aggregates over the years that have
    # sessions (a handful), each bounded by a range on the indexed session start.
    years = statistics_years(site=site)
    measures: dict[str, object] = {}
    for each in years:
        low, high = _year_bounds(each)
        in_year = Q(session__starts_at__gte=low, session__starts_at__lt=high)
        measures[f"children_{each}"] = Count("child", distinct=True, filter=in_year)
        measures[f"pupils_{each}"] = Sum("pupils", filter=in_year & Q(kind="school_class"))
        measures[f"classes_{each}"] = Count("pk", filter=in_year & Q(kind="school_class"))
        measures[f"adults_{each}"] = Count("pk", filter=in_year & Q(kind="adult"))
    sums = reached.aggregate(**measures) if measures else {}
    per_year = [
        row
        for row in (
            YearReach(
                year=each,
                **{
                    name: sums[f"{name}_{each}"] or 0
                    for name in ("children", "pupils", "classes", "adults")
                },
            )
            for each in years
        )
        if row.children or row.pupils or row.classes or row.adults
    ]
    reach = next((row for row in per_year if row.year == year), None) or YearReach(
        year=year, children=0, pupils=0, classes=0, adults=0
    )

    by_age = [
        (row["child_age"], row["n_children"])
        for row in of_year.filter(kind="child")
        .values("child_age")
        .annotate(n_children=Count("child", distinct=True))
        .order_by("child_age")
    ]
    by_school = [
        {
            "name": row["school__name"],
            "commune": row["school__commune__name"] or "",
            "classes": row["n_classes"],
            "pupils": row["n_pupils"] or 0,
        }
        for row in of_year.filter(kind="school_class")
        .values("school_id", "school__name", "school__commune__name")
        .annotate(n_classes=Count("pk"), n_pupils=Sum("pupils"))
        .order_by("-n_pupils", "school__name", "school_id")
    ]
    communes: dict[str, dict] = {}
    for row in (
        of_year.filter(kind="child")
        .values("child__commune__name")
        .annotate(n_children=Count("child", distinct=True))
        .order_by()
    ):
        name = row["child__commune__name"] or ""
        communes.setdefault(name, {"name": name, "children": 0, "pupils": 0})
        communes[name]["children"] += row["n_children"]
    for row in (
        of_year.filter(kind="school_class")
        .values("school__commune__name")
        .annotate(n_pupils=Sum("pupils"))
        .order_by()
    ):
        name = row["school__commune__name"] or ""
        communes.setdefault(name, {"name": name, "children": 0, "pupils": 0})
        communes[name]["pupils"] += row["n_pupils"] or 0
    by_commune = sorted(
        communes.values(),
        key=lambda c: (c["name"] == "", -(c["children"] + c["pupils"]), c["name"]),
    )

    kinds = {kind: KindRates(kind=kind, label=str(label)) for kind, label in EventKind.choices}
    sessions = Session.objects.filter(
        status="scheduled", starts_at__gte=start, starts_at__lt=end, ends_at__lte=now
    )
    if site is not None:
        sessions = sessions.filter(event__site=site)
    for row in (
        sessions.values("event__kind")
        .annotate(n_sessions=Count("pk"), n_capacity=Sum("capacity"), n_taken=Sum("seats_taken"))
        .order_by()
    ):
        rates = kinds[row["event__kind"]]
        rates.sessions, rates.capacity = row["n_sessions"], row["n_capacity"] or 0
        rates.seats_taken = row["n_taken"] or 0
    for row in (
        past.filter(session__starts_at__gte=start, session__starts_at__lt=end)
        .values("session__event__kind")
        .annotate(n_seats=Sum("seats"), n_no_show=Sum("seats", filter=Q(attendance="no_show")))
        .order_by()
    ):
        rates = kinds[row["session__event__kind"]]
        rates.confirmed_seats = row["n_seats"] or 0
        rates.no_show_seats = row["n_no_show"] or 0

    return Statistics(
        year=year,
        years=years,
        per_year=per_year,
        reach=reach,
        by_age=by_age,
        by_school=by_school,
        by_commune=by_commune,
        by_kind=[rates for rates in kinds.values() if rates.sessions or rates.confirmed_seats],
    )


def statistics_rows(stats: Statistics) -> list[dict]:
    """The figures of a year as one long table (for CSV/XLSX): year, measure, group, value."""
    from django.utils.translation import gettext as _

    rows: list[dict] = []

    def add(measure: str, group: str, value) -> None:
        rows.append({"year": stats.year, "measure": measure, "group": group, "value": value})

    add(_("Children reached (unique)"), "", stats.reach.children)
    add(_("Pupils in school classes"), "", stats.reach.pupils)
    add(_("School classes"), "", stats.reach.classes)
    add(_("Adults"), "", stats.reach.adults)
    for age, children in stats.by_age:
        add(_("Children by age"), "" if age is None else str(age), children)
    for school in stats.by_school:
        label = f"{school['name']} ({school['commune']})" if school["commune"] else school["name"]
        add(_("Pupils by school"), label, school["pupils"])
        add(_("Classes by school"), label, school["classes"])
    for commune in stats.by_commune:
        name = commune["name"] or _("Unknown commune")
        add(_("Children by commune"), name, commune["children"])
        add(_("Pupils by commune"), name, commune["pupils"])
    for rates in stats.by_kind:
        add(_("Sessions"), rates.label, rates.sessions)
        add(_("Fill rate (%)"), rates.label, rates.fill_rate)
        add(_("No-show rate (%)"), rates.label, rates.no_show_rate)
    return rows


# --- the catalogue: public listing, detail, calendar, feed; staff lists (evcat) -----------


CATALOGUE_PAGE_SIZE = 12
CALENDAR_MAX_DAYS = 100
FEED_PAST_DAYS = 90
FEED_FUTURE_DAYS = 400
FEED_MAX_SESSIONS = 5000


@dataclass(frozen=True)
class CatalogueFilters:
    """What a visitor narrows the catalogue to. Dates are local days, both included."""

    kinds: tuple[str, ...] = ()
    site: str = ""
    age: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1

    @property
    def is_narrowed(self) -> bool:
        return bool(
            self.kinds or self.site or self.age is not None or self.date_from or self.date_to
        )


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _sessions_window(filters: CatalogueFilters, *, now: datetime) -> Q:
    """Sessions still to come within the filters' days (as a condition on Session)."""
    lower = now
    if filters.date_from is not None:
        lower = max(lower, _day_start(filters.date_from))
    window = Q(status=SessionStatus.SCHEDULED, ends_at__gt=lower)
    if filters.date_from is not None:
        window &= Q(starts_at__gte=_day_start(filters.date_from))
    if filters.date_to is not None:
        window &= Q(starts_at__lt=_day_start(filters.date_to + timedelta(days=1)))
    return window


def _event_conditions(filters: CatalogueFilters) -> Q:
    condition = Q()
    if filters.kinds:
        condition &= Q(kind__in=filters.kinds)
    if filters.site:
        condition &= Q(site__slug=filters.site)
    if filters.age is not None:
        condition &= Q(age_min__isnull=True) | Q(age_min__lte=filters.age)
        condition &= Q(age_max__isnull=True) | Q(age_max__gte=filters.age)
    return condition


def _prefixed(condition: Q, prefix: str) -> Q:
    """The same condition seen from a related model (`sessions__…`)."""
    clone = Q(*(), _connector=condition.connector, _negated=condition.negated)
    for child in condition.children:
        if isinstance(child, Q):
            clone.children.append(_prefixed(child, prefix))
        else:
            name, value = child
            clone.children.append((f"{prefix}{name}", value))
    return clone


def catalogue_events(*, filters: CatalogueFilters, now: datetime | None = None) -> QuerySet:
    """Published events with at least one session to come within the filters, soonest
    first; each carries `upcoming` (its matching sessions, in order) and `next_start`."""
    now = now or timezone.now()
    window = _sessions_window(filters, now=now)
    return (
        Event.objects.filter(_event_conditions(filters), status=EventStatus.PUBLISHED)
        .annotate(next_start=Min("sessions__starts_at", filter=_prefixed(window, "sessions__")))
        .filter(next_start__isnull=False)
        .select_related("site")
        .prefetch_related(
            Prefetch(
                "sessions",
                queryset=Session.objects.filter(window).order_by("starts_at", "pk"),
                to_attr="upcoming",
            ),
            "ticket_categories",
        )
        .order_by("next_start", "slug")
    )


def catalogue_page(*, filters: CatalogueFilters, now: datetime | None = None) -> Page:
    """One page of the catalogue; each event carries `price_from` (its cheapest ticket,
    None without tickets) and `all_free`, each of its sessions a `state`."""
    now = now or timezone.now()
    paginator = Paginator(catalogue_events(filters=filters, now=now), CATALOGUE_PAGE_SIZE)
    page = paginator.get_page(filters.page)
    page.object_list = list(page.object_list)
    for event in page.object_list:
        prices = [ticket.price for ticket in event.ticket_categories.all()]
        event.price_from = min(prices) if prices else None
        event.all_free = bool(prices) and not any(prices)
        for session in event.upcoming:
            session.state = session_state(session, now=now)
    return page


def catalogue_sites() -> list:
    from fabreck.fablab.models import Site

    return list(Site.objects.order_by("name").only("slug", "name"))


def session_state(session: Session, *, now: datetime) -> str:
    """What a visitor can do about a session now: over, cancelled, not_open (registration
    opens later), closed, full (the waitlist may still take them) or open."""
    if session.status == SessionStatus.CANCELLED:
        return "cancelled"
    if session.starts_at <= now:
        return "over"
    if session.registration_opens_at and session.registration_opens_at > now:
        return "not_open"
    if session.registration_closes_at and session.registration_closes_at <= now:
        return "closed"
    if session.is_full:
        return "full"
    return "open"


def event_public(*, slug: str, viewer: User) -> Event:
    """A published or cancelled event; a draft only for the people who run it (a preview),
    else 404, as if it did not exist."""
    event = get_object_or_404(
        Event.objects.select_related("site", "course", "organiser").prefetch_related(
            "ticket_categories"
        ),
        slug=slug,
    )
    if event.status == EventStatus.DRAFT and not user_manages_event(user=viewer, event=event):
        raise Http404
    return event


def event_sessions_public(*, event: Event, now: datetime | None = None) -> list[Session]:
    """The event's sessions still to come (cancelled ones too, marked), each with `state`."""
    now = now or timezone.now()
    sessions = list(event.sessions.filter(ends_at__gt=now).order_by("starts_at", "pk")[:200])
    for session in sessions:
        session.event = event
        session.state = session_state(session, now=now)
    return sessions


def session_public(*, pk: int, viewer: User) -> Session:
    session = get_object_or_404(Session.objects.select_related("event__site"), pk=pk)
    if session.event.status == EventStatus.DRAFT and not user_manages_event(
        user=viewer, event=session.event
    ):
        raise Http404
    return session


def calendar_sessions(
    *, starts_at: datetime, ends_at: datetime, filters: CatalogueFilters
) -> list[Session]:
    """The public sessions (published events, scheduled) between two moments."""
    if ends_at <= starts_at:
        raise ValidationError(_("The end must come after the start."))
    if ends_at - starts_at > timedelta(days=CALENDAR_MAX_DAYS):
        raise ValidationError(
            _("Ask for at most %(days)d days at once.") % {"days": CALENDAR_MAX_DAYS}
        )
    return list(
        Session.objects.filter(
            _prefixed(_event_conditions(filters), "event__"),
            event__status=EventStatus.PUBLISHED,
            status=SessionStatus.SCHEDULED,
            starts_at__lt=ends_at,
            ends_at__gt=starts_at,
        )
        .select_related("event__site")
        .order_by("starts_at", "pk")[:2000]
    )


def feed_sessions(*, now: datetime | None = None) -> list[Session]:
    """The public sessions of the ICS feed: a season back, a year ahead."""
    now = now or timezone.now()
    return list(
        Session.objects.filter(
            event__status=EventStatus.PUBLISHED,
            status=SessionStatus.SCHEDULED,
            ends_at__gt=now - timedelta(days=FEED_PAST_DAYS),
            starts_at__lt=now + timedelta(days=FEED_FUTURE_DAYS),
        )
        .select_related("event__site")
        .order_by("starts_at", "pk")[:FEED_MAX_SESSIONS]
    )


# Staff ------------------------------------------------------------------------------------


def user_may_run_events(user: User) -> bool:
    """Whether the staff pages of events are for this user at all (the menu entry)."""
    return bool(
        getattr(user, "is_authenticated", False)
        and (
            user.has_perm("accounts.run_site")
            or user.has_perm("accounts.manage_cluster")
            or user.has_perm("events.change_event")
        )
    )


def events_managed_by(*, user: User, now: datetime | None = None) -> QuerySet:
    """The events `user` runs (the mirror of user_manages_event as a query), each with its
    counts of sessions to come and of seats taken in them."""
    from fabreck.fablab.selectors import sites_run_by

    if not user_may_run_events(user):
        return Event.objects.none()
    now = now or timezone.now()
    rows = Event.objects.all()
    if not user.has_perm("events.change_event"):
        condition = Q(pk__in=[])
        if user.has_perm("accounts.manage_cluster"):
            condition |= Q(kind__in=CLUSTER_KINDS)
        sites = sites_run_by(user=user)
        if sites:
            condition |= Q(site__in=sites)
        rows = rows.filter(condition)
    upcoming = Q(sessions__ends_at__gt=now, sessions__status=SessionStatus.SCHEDULED)
    return (
        rows.select_related("site")
        .annotate(
            upcoming_count=Count("sessions", filter=upcoming),
            next_start=Min("sessions__starts_at", filter=upcoming),
        )
        .order_by(
            Case(
                When(status=EventStatus.DRAFT, then=0),
                When(status=EventStatus.PUBLISHED, then=1),
                default=2,
            ),
            F("next_start").asc(nulls_last=True),
            "slug",
        )
    )


def event_managed(*, user: User, slug: str) -> Event:
    """The event `slug` if `user` runs it: 404 when there is none, 403 when not theirs."""
    event = get_object_or_404(
        Event.objects.select_related("site", "course", "organiser"), slug=slug
    )
    if not user_manages_event(user=user, event=event):
        raise PermissionDenied(_("Only the people who run this event may manage it."))
    return event


def session_managed(*, user: User, pk: int) -> Session:
    session = get_object_or_404(
        Session.objects.select_related("event__site", "event__course"), pk=pk
    )
    if not user_manages_event(user=user, event=session.event):
        raise PermissionDenied(_("Only the people who run this event may manage it."))
    return session


def event_sessions_for_staff(*, event: Event) -> list[Session]:
    """Every session of an event, the counts of its queue with it."""
    return list(
        event.sessions.annotate(
            waitlisted=Count("registrations", filter=Q(registrations__status="waitlisted")),
            live=Count("registrations", filter=Q(registrations__status__in=LIVE_STATUSES)),
        ).order_by("starts_at", "pk")
    )


def session_live_count(*, session: Session) -> int:
    """How many registrations (confirmed, offered, waiting) a cancellation or a move
    reaches."""
    return Registration.objects.filter(session=session, status__in=LIVE_STATUSES).count()


def sites_for_event_form(*, user: User) -> list:
    """The sites `user` may choose for an event: the sites they run; every site for
    cluster managers (a talk may take place at a FabLab) and administrators."""
    from fabreck.fablab.models import Site
    from fabreck.fablab.selectors import sites_run_by

    if user.has_perm("events.change_event") or user.has_perm("accounts.manage_cluster"):
        return list(Site.objects.order_by("name"))
    return sites_run_by(user=user)


# --- registrations and the waitlist -------------------------------------------------------


def session_waitlist(*, session: Session) -> QuerySet[Registration]:
    """The queue of a session in order of arrival: people waiting, and those offered a freed
    seat who have not claimed it yet. For its staff only (children are named)."""
    return (
        Registration.objects.filter(
            session=session,
            status__in=[RegistrationStatus.WAITLISTED, RegistrationStatus.OFFERED],
        )
        .select_related("child", "attendee", "registered_by", "school")
        .order_by("queued_at", "pk")
    )


def waitlist_position(*, registration: Registration) -> int | None:
    """1 for the next in line; None when the registration is not waiting. (One plain
    statement: every waitlist notice of a rush asks it.)"""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    queued_at = connection.ops.adapt_datetimefield_value(registration.queued_at)
    with prepared_cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {Registration._meta.db_table}"  # noqa: S608  (a table name)
            " WHERE session_id = %s AND status = 'waitlisted'"
            " AND (queued_at < %s OR (queued_at = %s AND id < %s))",
            [registration.session_id, queued_at, queued_at, registration.pk],
        )
        return cursor.fetchone()[0] + 1


def user_is_cluster_member(*, user: User) -> bool:
    """The user belongs to an organisation that is a member of the cluster."""
    from fabreck.cluster.models import MembershipStatus
    from fabreck.cluster.selectors import organisations_of

    if not user.is_authenticated:
        return False
    return organisations_of(user=user).filter(organisation__status=MembershipStatus.MEMBER).exists()


# --- registration pages: my registrations, a registrant's view of a session (evweb) --------


def registration_own(*, user: User, pk: int) -> Registration:
    """One of the user's own registrations (made or attended), else 404 as if it did not
    exist (staff manage theirs from the staff pages)."""
    return get_object_or_404(registrations_of(user=user), pk=pk)


def registrations_with_positions(registrations) -> list[Registration]:
    """The registrations (from `registrations_of`), each waiting one with its `position`
    in the queue, worked out by the query."""
    rows = list(registrations)
    for registration in rows:
        registration.position = registration.waitlist_position
    return rows


def my_registrations(*, user: User, now: datetime | None = None) -> tuple[list, list]:
    """(upcoming, past) registrations of `user`, each waiting one with its position.
    Upcoming: sessions not ended yet, soonest first; past: the latest 100, latest first."""
    upcoming = registrations_of(user=user, when="upcoming", now=now)[:300]
    past = registrations_of(user=user, when="past", now=now)[:100]
    return registrations_with_positions(upcoming), list(past)


def session_registrations_of(*, user: User, session: Session) -> list[Registration]:
    """What `user` registered in one session (the page after registering)."""
    return registrations_with_positions(
        registrations_of(user=user).filter(session=session).order_by("-created_at", "pk")
    )


def children_for_session(*, guardian: User, session: Session) -> list[tuple[Child, int]]:
    """The guardian's children, each with their age on the session's day."""
    day = timezone.localdate(session.starts_at)
    return [(child, child.age_on(day)) for child in children_of(guardian=guardian)]


def waitlist_rows(*, session: Session) -> list[Registration]:
    """The staff's view of a session's queue: waiting entries numbered 1, 2… in order of
    arrival, open offers (position None) in their place."""
    return session_waitlist_view(session=session)["entries"]


def _queue_ahead() -> Subquery:
    """How many are waiting before the outer registration in its session's queue."""
    ahead = (
        Registration.objects.filter(
            session_id=OuterRef("session_id"), status=RegistrationStatus.WAITLISTED
        )
        .filter(
            Q(queued_at__lt=OuterRef("queued_at"))
            | Q(queued_at=OuterRef("queued_at"), pk__lt=OuterRef("pk"))
        )
        .order_by()
        .values("session_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Subquery(ahead, output_field=IntegerField())


def registrations_of(*, user: User, when: str = "", now: datetime | None = None) -> QuerySet:
    """The registrations `user` made or attends (children's, classes', their own), with the
    place of each waiting one in its queue (`waitlist_position`). `when`: "upcoming"
    (sessions not over, soonest first), "past" (latest first) or "" (everything, latest
    first)."""
    if not user.is_authenticated:
        return Registration.objects.none()
    now = now or timezone.now()
    rows = (
        Registration.objects.filter(Q(registered_by=user) | Q(attendee=user))
        .select_related(
            "session__event__site", "child", "attendee", "school__commune", "ticket_category"
        )
        .annotate(
            waitlist_position=Case(
                When(
                    status=RegistrationStatus.WAITLISTED,
                    then=Coalesce(_queue_ahead(), Value(0)) + 1,
                ),
                default=None,
                output_field=IntegerField(),
            )
        )
    )
    if when == "upcoming":
        return rows.filter(session__ends_at__gt=now).order_by("session__starts_at", "pk")
    if when == "past":
        rows = rows.filter(session__ends_at__lte=now)
    return rows.order_by("-session__starts_at", "-pk")


def registration_visible(*, user: User, pk) -> Registration:
    """A registration `user` may see (theirs, or of an event they run); 404 otherwise."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    registration = (
        Registration.objects.filter(pk=pk)
        .select_related("session__event__site", "child", "attendee", "school__commune")
        .first()
    )
    if registration is None or not user_sees_registration(user=user, registration=registration):
        raise Http404
    return registration


def session_waitlist_view(*, session: Session) -> dict:
    """A session's queue for its staff: entries in order of arrival, each waiting one with
    its position (open offers have none), and the counts."""
    entries = list(session_waitlist(session=session))
    position = 0
    for entry in entries:
        if entry.status == RegistrationStatus.WAITLISTED:
            position += 1
            entry.position = position
        else:
            entry.position = None
    return {
        "session": session,
        "waiting": position,
        "offered": len(entries) - position,
        "entries": entries,
    }


_row_reader = row_reader


_READERS: dict[tuple[str, type, str], tuple] = {}


def _reader(model, alias: str) -> tuple:
    """The plain SELECT's columns of `model` as `alias` and its row maker, worked out once
    per database."""
    key = (connection.vendor, model, alias)
    if key not in _READERS:
        _READERS[key] = _row_reader(model, alias)
    return _READERS[key]


def _session_made(row, session_reader, event_reader) -> Session:
    _sql, width, session_make = session_reader
    _sql, event_width, event_make = event_reader
    session = session_make(row[:width])
    Session.event.field.set_cached_value(session, event_make(row[width : width + event_width]))
    return session


def session_with_event(*, pk: int) -> Session | None:
    """The session with its event in one plain statement (a registration's first read: the
    ORM would spend longer building the query than the database answering it)."""
    session_reader, event_reader = _reader(Session, "s"), _reader(Event, "e")
    with prepared_cursor() as cursor:
        cursor.execute(
            f"SELECT {session_reader[0]}, {event_reader[0]} FROM {Session._meta.db_table} s"  # noqa: S608
            f" JOIN {Event._meta.db_table} e ON e.id = s.event_id WHERE s.id = %s",
            [pk],
        )
        row = cursor.fetchone()
    return None if row is None else _session_made(row, session_reader, event_reader)


def session_with_children(
    *, pk: int, guardian: User, ids: list[int]
) -> tuple[Session | None, dict[int, Child]]:
    """The session with its event and, of these child ids, the guardian's own children (not
    anonymised) by id: what a registration of children names, read in one plain statement
    (one row per child found, or one without a child)."""
    ids = [i for i in ids if 0 < i < 2**63]  # an id past the column's range names nobody
    if not ids:
        return session_with_event(pk=pk), {}
    session_reader, event_reader = _reader(Session, "s"), _reader(Event, "e")
    child_sql, _width, child_make = _reader(Child, "c")
    with prepared_cursor() as cursor:
        cursor.execute(
            f"SELECT {session_reader[0]}, {event_reader[0]}, {child_sql}"  # noqa: S608
            f" FROM {Session._meta.db_table} s JOIN {Event._meta.db_table} e ON e.id = s.event_id"
            f" LEFT JOIN {Child._meta.db_table} c ON c.guardian_id = %s"
            f" AND c.anonymised_at IS NULL AND c.id IN ({', '.join(['%s'] * len(ids))})"
            " WHERE s.id = %s",
            [guardian.pk, *ids, pk],
        )
        rows = cursor.fetchall()
    if not rows:
        return None, {}
    first_child = session_reader[1] + event_reader[1]
    children = [child_make(row[first_child:]) for row in rows if row[first_child] is not None]
    return (
        _session_made(rows[0], session_reader, event_reader),
        {child.pk: child for child in children},
    )
