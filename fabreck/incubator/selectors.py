"""Reads of the incubator: who may do what, calls, applications, reviews, startups, KPIs."""

from __future__ import annotations

from fabreck.accounts.models import User
from fabreck.incubator.models import Incubation


def user_manages_incubator(*, user: User) -> bool:
    """Incubator managers (and administrators, who hold every permission)."""
    return user.is_authenticated and user.has_perm("accounts.manage_incubator")


def user_speaks_for_startup(*, user: User, incubation: Incubation) -> bool:
    """The startup's people (its organisation's owners, admins and members)."""
    return user.is_authenticated and incubation.organisation.memberships.filter(user=user).exists()


# --- kpis ---
from collections import defaultdict  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import date, timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum  # noqa: E402
from django.http import Http404  # noqa: E402
from django.utils import timezone  # noqa: E402

from fabreck.incubator.models import (  # noqa: E402
    WORKING_PHASES,
    Cohort,
    IncubatorCall,
    KpiUpdate,
    Phase,
)

# A startup that left keeps being reminded (and counted as missing an update) this long.
KPI_REPORTING_YEARS_AFTER_EXIT = 3
SURVIVAL_YEARS = (1, 3)
SURVIVING_STATUSES = ("active", "acquired")


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_first_day(year: int, quarter: int) -> date:
    return date(year, 3 * (quarter - 1) + 1, 1)


def quarter_last_day(year: int, quarter: int) -> date:
    if quarter == 4:
        return date(year, 12, 31)
    return quarter_first_day(year, quarter + 1) - timedelta(days=1)


def quarter_previous(year: int, quarter: int) -> tuple[int, int]:
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


def quarter_next(year: int, quarter: int) -> tuple[int, int]:
    return (year + 1, 1) if quarter == 4 else (year, quarter + 1)


def quarter_last_finished(today: date | None = None) -> tuple[int, int]:
    """The last quarter that has ended (today's quarter has not)."""
    return quarter_previous(*quarter_of(today or timezone.localdate()))


def quarters_between(first: tuple[int, int], last: tuple[int, int]) -> list[tuple[int, int]]:
    quarters, current = [], first
    while current <= last:
        quarters.append(current)
        current = quarter_next(*current)
    return quarters


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def kpi_startups_of(*, user) -> list[Incubation]:
    """The incubations (running or left) whose organisation the user speaks for."""
    if not user.is_authenticated:
        return []
    return list(
        Incubation.objects.filter(organisation__memberships__user=user)
        .select_related("organisation", "cohort")
        .distinct()
        .order_by("organisation__name")
    )


def kpi_incubation_for(*, pk: int, user) -> Incubation:
    """A startup whose KPIs the user may read and report: its people and managers; 404
    for anyone else."""
    incubation = Incubation.objects.select_related("organisation", "cohort").filter(pk=pk).first()
    if incubation is None or not (
        user_manages_incubator(user=user)
        or user_speaks_for_startup(user=user, incubation=incubation)
    ):
        raise Http404
    return incubation


def kpi_updates_visible_to(
    *,
    user,
    incubation: Incubation | None = None,
    cohort: Cohort | None = None,
    year: int | None = None,
    quarter: int | None = None,
    status: str | None = None,
) -> QuerySet[KpiUpdate]:
    """KPI updates a user may read: managers all, founders their startups' only."""
    updates = KpiUpdate.objects.select_related(
        "incubation__organisation", "incubation__cohort", "submitted_by"
    )
    if not user_manages_incubator(user=user):
        updates = updates.filter(incubation__organisation__memberships__user=user)
    if incubation is not None:
        updates = updates.filter(incubation=incubation)
    if cohort is not None:
        updates = updates.filter(incubation__cohort=cohort)
    if year is not None:
        updates = updates.filter(year=year)
    if quarter is not None:
        updates = updates.filter(quarter=quarter)
    if status:
        updates = updates.filter(status=status)
    return updates.order_by("incubation__organisation__name", "-year", "-quarter", "pk")


@dataclass
class StartupKpiRow:
    incubation: Incubation
    last: KpiUpdate | None
    reported: int
    expected: int
    last_quarter_missing: bool

    @property
    def missing(self) -> int:
        return max(self.expected - self.reported, 0)


@dataclass
class QuarterTotals:
    year: int
    quarter: int
    reports: int
    headcount: int
    revenue: Decimal
    funds_raised: Decimal
    customers: int
    headcount_change: int | None = None
    revenue_change: Decimal | None = None

    @property
    def label(self) -> str:
        return f"{self.year} Q{self.quarter}"


@dataclass
class CallFigures:
    call: IncubatorCall
    applications: int
    submitted: int
    accepted: int
    waitlisted: int
    declined: int

    @property
    def acceptance_rate(self) -> Decimal | None:
        if not self.submitted:
            return None
        return (Decimal(100) * self.accepted / self.submitted).quantize(Decimal("0.1"))


@dataclass
class CohortDashboard:
    cohort: Cohort
    last_quarter: tuple[int, int]
    startups: list[StartupKpiRow]
    quarters: list[QuarterTotals]
    calls: list[CallFigures]
    phases: dict[str, int] = field(default_factory=dict)

    @property
    def missing_last_quarter(self) -> int:
        return sum(1 for row in self.startups if row.last_quarter_missing)


def _expected_quarters(
    incubation: Incubation, last: tuple[int, int], closed_at: tuple[int, int] | None
) -> list[tuple[int, int]]:
    """The quarters a startup is asked to report: from the one it started in to the last
    finished one; after it left, for KPI_REPORTING_YEARS_AFTER_EXIT years; never after it
    reported itself closed."""
    end = last
    if incubation.left_on is not None:
        end = min(
            end,
            quarter_of(_years_after(incubation.left_on, KPI_REPORTING_YEARS_AFTER_EXIT)),
        )
    if closed_at is not None:
        end = min(end, closed_at)
    return quarters_between(quarter_of(incubation.started_on), end)


def kpi_startup_rows(
    *, incubations: list[Incubation], updates: list[KpiUpdate], today: date
) -> list[StartupKpiRow]:
    last = quarter_last_finished(today)
    by_startup: dict[int, list[KpiUpdate]] = defaultdict(list)
    for update in updates:
        by_startup[update.incubation_id].append(update)
    rows = []
    for incubation in incubations:
        own = sorted(by_startup.get(incubation.pk, []), key=lambda u: (u.year, u.quarter))
        closed = next(((u.year, u.quarter) for u in own if u.status == "closed"), None)
        expected = set(_expected_quarters(incubation, last, closed))
        reported = {(u.year, u.quarter) for u in own}
        rows.append(
            StartupKpiRow(
                incubation=incubation,
                last=own[-1] if own else None,
                reported=len(reported & expected),
                expected=len(expected),
                last_quarter_missing=last in expected and last not in reported,
            )
        )
    return rows


def cohort_dashboard(*, cohort: Cohort, today: date | None = None) -> CohortDashboard:
    """A cohort's figures for its managers, in a fixed number of queries: its startups with
    their phase, last update and missing ones; totals per quarter; its calls' figures."""
    today = today or timezone.localdate()
    incubations = list(
        Incubation.objects.filter(cohort=cohort)
        .select_related("organisation")
        .order_by("organisation__name", "pk")
    )
    updates = list(
        KpiUpdate.objects.filter(incubation__cohort=cohort).order_by("year", "quarter", "pk")
    )
    rows = kpi_startup_rows(incubations=incubations, updates=updates, today=today)
    for row in rows:
        if row.last is not None:
            row.last.incubation = row.incubation
    totals = (
        KpiUpdate.objects.filter(incubation__cohort=cohort)
        .values("year", "quarter")
        .annotate(
            reports=Count("pk"),
            headcount_sum=Sum("headcount"),
            revenue_sum=Sum("revenue"),
            funds_sum=Sum("funds_raised"),
            customers_sum=Sum("customers"),
        )
        .order_by("year", "quarter")
    )
    quarters: list[QuarterTotals] = []
    for item in totals:
        entry = QuarterTotals(
            year=item["year"],
            quarter=item["quarter"],
            reports=item["reports"],
            headcount=item["headcount_sum"] or 0,
            revenue=item["revenue_sum"] or Decimal("0"),
            funds_raised=item["funds_sum"] or Decimal("0"),
            customers=item["customers_sum"] or 0,
        )
        if quarters:
            entry.headcount_change = entry.headcount - quarters[-1].headcount
            entry.revenue_change = entry.revenue - quarters[-1].revenue
        quarters.append(entry)
    calls = [
        CallFigures(
            call=call,
            applications=call.n_all,
            submitted=call.n_submitted,
            accepted=call.n_accepted,
            waitlisted=call.n_waitlisted,
            declined=call.n_declined,
        )
        for call in _calls_with_counts(IncubatorCall.objects.filter(cohort=cohort))
    ]
    phases: dict[str, int] = {value: 0 for value in Phase.values}
    for incubation in incubations:
        phases[incubation.phase] += 1
    return CohortDashboard(
        cohort=cohort,
        last_quarter=quarter_last_finished(today),
        startups=rows,
        quarters=quarters,
        calls=calls,
        phases=phases,
    )


def _calls_with_counts(calls: QuerySet[IncubatorCall]) -> QuerySet[IncubatorCall]:
    decided_or_waiting = ("submitted", "accepted", "waitlisted", "declined")
    return calls.annotate(
        n_all=Count("applications", filter=~Q(applications__status="draft")),
        n_submitted=Count("applications", filter=Q(applications__status__in=decided_or_waiting)),
        n_accepted=Count("applications", filter=Q(applications__status="accepted")),
        n_waitlisted=Count("applications", filter=Q(applications__status="waitlisted")),
        n_declined=Count("applications", filter=Q(applications__status="declined")),
    ).order_by("opens_at", "pk")


@dataclass
class Survival:
    years: int
    left: int  # startups that left at least `years` ago
    survived: int
    closed: int
    unknown: int  # no report from after they left up to then

    @property
    def known(self) -> int:
        return self.survived + self.closed

    @property
    def rate(self) -> Decimal | None:
        """The share surviving among those whose status is known, in per cent."""
        if not self.known:
            return None
        return (Decimal(100) * self.survived / self.known).quantize(Decimal("0.1"))


@dataclass
class CohortSummary:
    cohort: Cohort
    startups: int
    running: int
    left: int


@dataclass
class IncubatorOverview:
    phases: list[tuple[str, str, int]]
    survival: list[Survival]
    cohorts: list[CohortSummary]
    calls: list[CallFigures]


def kpi_survival(
    *, exits: list[tuple[int, date]], updates: list[tuple[int, int, int, str]], today: date
) -> list[Survival]:
    """Survival one and three years after leaving. `exits` are (incubation, left on);
    `updates` (incubation, year, quarter, status). A startup counts for N years when it
    left at least N years ago; its status then is that of its latest update for a quarter
    ending after it left and no later than N years after; with none, it is unknown."""
    by_startup: dict[int, list[tuple[date, str]]] = defaultdict(list)
    for incubation_id, year, quarter, status in updates:
        by_startup[incubation_id].append((quarter_last_day(year, quarter), status))
    for reports in by_startup.values():
        reports.sort()
    result = []
    for years in SURVIVAL_YEARS:
        figures = Survival(years=years, left=0, survived=0, closed=0, unknown=0)
        for incubation_id, left_on in exits:
            anniversary = _years_after(left_on, years)
            if anniversary > today:
                continue
            figures.left += 1
            window = [
                status
                for ends_on, status in by_startup.get(incubation_id, [])
                if left_on <= ends_on and quarter_of(ends_on) <= quarter_of(anniversary)
            ]
            if not window:
                figures.unknown += 1
            elif window[-1] in SURVIVING_STATUSES:
                figures.survived += 1
            else:
                figures.closed += 1
        result.append(figures)
    return result


def incubator_overview(*, today: date | None = None) -> IncubatorOverview:
    """The incubator at a glance for its managers (fixed number of queries): startups by
    phase, survival after leaving, the cohorts and the calls' acceptance rates."""
    today = today or timezone.localdate()
    counts = dict(
        Incubation.objects.values_list("phase").annotate(n=Count("pk")).values_list("phase", "n")
    )
    phases = [(value, str(label), counts.get(value, 0)) for value, label in Phase.choices]
    exits = list(Incubation.objects.filter(left_on__isnull=False).values_list("pk", "left_on"))
    updates = list(
        KpiUpdate.objects.filter(incubation__left_on__isnull=False).values_list(
            "incubation_id", "year", "quarter", "status"
        )
    )
    cohorts = [
        CohortSummary(cohort=c, startups=c.n_startups, running=c.n_running, left=c.n_left)
        for c in Cohort.objects.annotate(
            n_startups=Count("incubations"),
            n_running=Count("incubations", filter=Q(incubations__phase__in=WORKING_PHASES)),
            n_left=Count("incubations", filter=Q(incubations__left_on__isnull=False)),
        ).order_by("-starts_on", "name")
    ]
    calls = [
        CallFigures(
            call=call,
            applications=call.n_all,
            submitted=call.n_submitted,
            accepted=call.n_accepted,
            waitlisted=call.n_waitlisted,
            declined=call.n_declined,
        )
        for call in _calls_with_counts(IncubatorCall.objects.select_related("cohort")).reverse()
    ]
    return IncubatorOverview(
        phases=phases,
        survival=kpi_survival(exits=exits, updates=updates, today=today),
        cohorts=cohorts,
        calls=calls,
    )


KPI_EXPORT_KEYS = [
    "startup",
    "cohort",
    "phase",
    "year",
    "quarter",
    "headcount",
    "revenue",
    "funds_raised",
    "customers",
    "status",
    "note",
    "submitted_at",
]


def kpi_export_rows(*, cohort: Cohort | None = None) -> Iterator[dict]:
    """Every KPI update (of a cohort, or all), one row each, read in chunks."""
    updates = KpiUpdate.objects.select_related("incubation__organisation", "incubation__cohort")
    if cohort is not None:
        updates = updates.filter(incubation__cohort=cohort)
    phase_labels = dict(Phase.choices)
    status_labels = dict(KpiUpdate._meta.get_field("status").choices)
    for update in updates.order_by(
        "incubation__cohort__starts_on", "incubation__organisation__name", "year", "quarter"
    ).iterator(chunk_size=2000):
        incubation = update.incubation
        yield {
            "startup": incubation.organisation.name,
            "cohort": incubation.cohort.name,
            "phase": str(phase_labels.get(incubation.phase, incubation.phase)),
            "year": update.year,
            "quarter": update.quarter,
            "headcount": update.headcount,
            "revenue": update.revenue,
            "funds_raised": update.funds_raised,
            "customers": update.customers,
            "status": str(status_labels.get(update.status, update.status)),
            "note": update.note,
            "submitted_at": timezone.localtime(update.updated_at).strftime("%Y-%m-%d %H:%M"),
        }


def kpi_reminder_targets(*, today: date) -> list[Incubation]:
    """Startups asked for the last quarter's update: running ones that started by its end,
    and those that left within KPI_REPORTING_YEARS_AFTER_EXIT years and have not reported
    themselves closed; none of which has reported that quarter yet."""
    year, quarter = quarter_last_finished(today)
    ends_on = quarter_last_day(year, quarter)
    since = _years_after(quarter_first_day(year, quarter), -KPI_REPORTING_YEARS_AFTER_EXIT)
    return list(
        Incubation.objects.filter(started_on__lte=ends_on)
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=since))
        .exclude(
            Exists(KpiUpdate.objects.filter(incubation=OuterRef("pk"), year=year, quarter=quarter))
        )
        .exclude(Exists(KpiUpdate.objects.filter(incubation=OuterRef("pk"), status="closed")))
        .select_related("organisation")
        .order_by("pk")
    )
