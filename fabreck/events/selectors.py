"""Reads of workshops and events. Sections are appended per capability."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from fabreck.events.models import Event, Registration, Session

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

from dataclasses import dataclass, field  # noqa: E402
from datetime import date, datetime, timedelta  # noqa: E402

from django.db.models import Count, Q, QuerySet, Sum  # noqa: E402
from django.http import Http404  # noqa: E402
from django.utils import timezone  # noqa: E402

from fabreck.events.models import Child  # noqa: E402


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

from django.db.models import Max, Min  # noqa: E402

from fabreck.events.models import EventKind  # noqa: E402


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
