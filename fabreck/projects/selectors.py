"""Reads of prototyping projects: who may see and act on a project, and its pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.http import Http404

from fabreck.cluster.models import OrganisationPerson
from fabreck.projects.models import Project

if TYPE_CHECKING:
    from fabreck.accounts.models import User

MANAGING_ROLES = (OrganisationPerson.Role.OWNER, OrganisationPerson.Role.ADMIN)


def user_is_project_staff(*, user: User, project: Project) -> bool:
    """Staff of the project's site; before triage (no site yet) any FabLab staff; and
    administrators, who run every site."""
    if not user.is_authenticated or not user.has_perm("accounts.run_site"):
        return False
    if project.site_id is None or user.has_perm("fablab.change_site"):
        return True
    return project.site.staff.filter(pk=user.pk).exists()


def user_speaks_for_project(*, user: User, project: Project) -> bool:
    """The requester, or an owner or admin of the requesting organisation: the people who
    may accept a quote, comment, or cancel the request."""
    if not user.is_authenticated:
        return False
    if project.requested_by_id == user.pk:
        return True
    return (
        project.organisation_id is not None
        and OrganisationPerson.objects.filter(
            organisation_id=project.organisation_id, user=user, role__in=MANAGING_ROLES
        ).exists()
    )


def user_sees_project(*, user: User, project: Project) -> bool:
    """The project's people, any member of its organisation, and its staff."""
    if not user.is_authenticated:
        return False
    if user_speaks_for_project(user=user, project=project):
        return True
    if (
        project.organisation_id is not None
        and OrganisationPerson.objects.filter(
            organisation_id=project.organisation_id, user=user
        ).exists()
    ):
        return True
    return user_is_project_staff(user=user, project=project)


def project_visible_to(*, pk: int, user: User) -> Project:
    """A project for those who may see it; a 404 for anyone else (not even its title)."""
    project = (
        Project.objects.select_related("organisation", "site", "lead", "requested_by")
        .filter(pk=pk)
        .first()
    )
    if project is None or not user_sees_project(user=user, project=project):
        raise Http404
    return project


def projects_of(*, user: User) -> QuerySet[Project]:
    """The requests `user` made or that their organisations made, newest first."""
    return (
        Project.objects.filter(Q(requested_by=user) | Q(organisation__memberships__user=user))
        .distinct()
        .select_related("organisation", "site")
    )


def project_recipients(*, project: Project) -> list[User]:
    """Who hears of a project's changes: the requester, the organisation's owners and
    admins, and the staff lead (each once)."""
    people: dict[int, User] = {project.requested_by_id: project.requested_by}
    if project.organisation_id is not None:
        for membership in OrganisationPerson.objects.filter(
            organisation_id=project.organisation_id, role__in=MANAGING_ROLES
        ).select_related("user"):
            people.setdefault(membership.user_id, membership.user)
    if project.lead_id is not None:
        people.setdefault(project.lead_id, project.lead)
    return [person for person in people.values() if person.is_active and person.email]


# --- statistics (projstats) ---------------------------------------------------------------
# Every figure is an SQL aggregate over the years asked for: the page issues the same few
# queries whatever the number of projects. A year is the calendar year in Luxembourg time:
# of the request (projects per kind), of the booking's start (machine hours), of the
# delivery (time to delivery, quoted versus actual).
# - Machine hours: the project bookings' time on the machine: check-out minus check-in;
#   the booked time when the maker checked in without checking out; nothing for a
#   no-show, a cancelled booking or one nobody checked in to (yet).
# - Actual cost of a project: its machine hours at each booking's hourly rate, plus the
#   materials used during its bookings, plus staff hours at their rate. Quoted: the net
#   total (before VAT) of its accepted quote. Counted for projects delivered (or closed
#   since) in the year: an open project's costs are not complete yet.

from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import datetime  # noqa: E402
from decimal import ROUND_HALF_UP, Decimal  # noqa: E402

from django.db import NotSupportedError, connection, transaction  # noqa: E402
from django.db.models import (  # noqa: E402
    Case,
    Count,
    F,
    FloatField,
    Func,
    Min,
    OuterRef,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Coalesce, ExtractYear, RowNumber  # noqa: E402
from django.utils import timezone  # noqa: E402

from fabreck.projects.models import (  # noqa: E402
    ProjectBooking,
    Quote,
    RequesterKind,
    StaffTime,
)

STATISTICS_MAX_YEARS = 30  # a longer range is a typing mistake


class _Seconds(Func):
    """The seconds between two moments (`end` minus `start`) as a plain number, so that hours
    can be summed and multiplied by a rate in SQL on either database."""

    output_field = FloatField()

    def __init__(self, end, start) -> None:
        super().__init__(end, start)

    def as_sql(self, compiler, connection, **extra):  # pragma: no cover - other databases
        raise NotSupportedError("Project statistics need PostgreSQL or SQLite.")

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(
            compiler,
            connection,
            template="EXTRACT(EPOCH FROM (%(expressions)s))::double precision",
            arg_joiner=" - ",
            **extra,
        )

    def as_sqlite(self, compiler, connection, **extra):
        # Django's own SQLite function for datetime differences: microseconds.
        return super().as_sql(
            compiler,
            connection,
            template="(django_timestamp_diff(%(expressions)s) / 1000000.0)",
            arg_joiner=", ",
            **extra,
        )


def _machine_seconds(prefix: str = "") -> Case:
    """Seconds a booking (reached through `prefix`) counts as time on the machine."""
    p = prefix
    return Case(
        When(**{f"{p}status": "cancelled"}, then=Value(0.0)),
        When(**{f"{p}no_show": True}, then=Value(0.0)),
        When(**{f"{p}checked_in_at__isnull": True}, then=Value(0.0)),
        When(
            **{f"{p}checked_out_at__isnull": False},
            then=_Seconds(F(f"{p}checked_out_at"), F(f"{p}checked_in_at")),
        ),
        default=_Seconds(F(f"{p}ends_at"), F(f"{p}starts_at")),
        output_field=FloatField(),
    )


def _year_start(year: int) -> datetime:
    return timezone.make_aware(datetime(year, 1, 1))


def _money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _one_decimal(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class KindYear:
    """Projects requested in a year, per kind of requester."""

    year: int | None  # None: the total over the years
    counts: dict[str, int]
    total: int


@dataclass
class HoursYear:
    year: int | None
    hours: dict[int, Decimal]  # site pk -> hours on the machines
    total: Decimal


@dataclass
class DeliveryYear:
    year: int | None
    delivered: int
    average_days: Decimal | None
    median_days: Decimal | None


@dataclass
class CostRow:
    year: int | None
    site_id: int | None  # None: every site
    site_name: str
    projects: int
    quoted: Decimal
    actual: Decimal
    over_quote: int

    @property
    def difference(self) -> Decimal:
        return self.actual - self.quoted

    @property
    def over_quote_share(self) -> Decimal | None:
        if not self.projects:
            return None
        return _one_decimal(100 * Decimal(self.over_quote) / self.projects)


@dataclass
class ProjectStatistics:
    first_year: int
    last_year: int
    site: object | None  # a fablab Site, or None for every site
    years: list[int]
    kinds: list[tuple[str, str]]  # (value, label)
    sites: list[tuple[int, str]]  # (pk, name) of the columns of machine hours
    site_slugs: dict[int, str]
    requests: list[KindYear] = field(default_factory=list)
    requests_total: KindYear | None = None
    hours: list[HoursYear] = field(default_factory=list)
    hours_total: HoursYear | None = None
    delivery: list[DeliveryYear] = field(default_factory=list)
    delivery_total: DeliveryYear | None = None
    costs: list[CostRow] = field(default_factory=list)  # per year and site
    costs_by_year: list[CostRow] = field(default_factory=list)  # per year, every site
    costs_total: CostRow | None = None


def statistics_year_span() -> tuple[int, int]:
    """The first year with a request (this year when there is none) and this year."""
    this_year = timezone.localdate().year
    first = Project.objects.aggregate(first=Min("created_at"))["first"]
    return (timezone.localtime(first).year if first else this_year), this_year


def _median(values: list[float]) -> float | None:
    values = sorted(values)
    if not values:
        return None
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def _delivery_figures(delivered, years: list[int]) -> tuple[list[DeliveryYear], DeliveryYear]:
    """Days from request to delivery per year of delivery and overall: the averages from
    one grouped sum, the medians from one query that keeps only the middle row(s) of each
    year and of the whole range (window functions), whatever the number of projects."""
    seconds = _Seconds(F("delivered_at"), F("created_at"))
    sums = {
        row["year"]: row
        for row in delivered.annotate(year=ExtractYear("delivered_at"))
        .values("year")
        .annotate(n=Count("pk"), seconds=Sum(seconds))
        .order_by()
    }
    year = ExtractYear("delivered_at")
    middle = (
        delivered.annotate(
            year=year,
            seconds=seconds,
            rank_in_year=Window(RowNumber(), partition_by=[year], order_by=[seconds.asc()]),
            count_in_year=Window(Count("pk"), partition_by=[year]),
            rank=Window(RowNumber(), order_by=[seconds.asc()]),
            count=Window(Count("pk")),
        )
        .filter(
            Q(rank_in_year=(F("count_in_year") + 1) / 2)
            | Q(rank_in_year=(F("count_in_year") + 2) / 2)
            | Q(rank=(F("count") + 1) / 2)
            | Q(rank=(F("count") + 2) / 2)
        )
        .values_list("year", "seconds", "rank_in_year", "count_in_year", "rank", "count")
    )
    in_year: dict[int, list[float]] = {}
    overall: list[float] = []
    for each, secs, rank_in_year, count_in_year, rank, count in middle:
        if rank_in_year in ((count_in_year + 1) // 2, (count_in_year + 2) // 2):
            in_year.setdefault(each, []).append(secs)
        if rank in ((count + 1) // 2, (count + 2) // 2):
            overall.append(secs)

    def days(seconds_value) -> Decimal | None:
        return None if seconds_value is None else _one_decimal(seconds_value / 86400)

    rows = []
    for each in years:
        row = sums.get(each)
        n = row["n"] if row else 0
        rows.append(
            DeliveryYear(
                year=each,
                delivered=n,
                average_days=days(row["seconds"] / n) if n else None,
                median_days=days(_median(in_year.get(each, []))),
            )
        )
    n_all = sum(row["n"] for row in sums.values())
    total_seconds = sum(row["seconds"] or 0 for row in sums.values())
    total = DeliveryYear(
        year=None,
        delivered=n_all,
        average_days=days(total_seconds / n_all) if n_all else None,
        median_days=days(_median(overall)),
    )
    return rows, total


def _cost_figures(delivered, site_names: dict[int, str]) -> list[CostRow]:
    """Quoted against actual per year of delivery and site: one grouped query over the
    delivered projects, each project's quote and costs from correlated sums (index
    lookups through the project's bookings, materials and staff time)."""
    from fabreck.fablab.models import MaterialUse

    machine = (
        ProjectBooking.objects.filter(project=OuterRef("pk"))
        .order_by()
        .values("project")
        .annotate(
            cost=Sum(
                _machine_seconds("booking__")
                / 3600.0
                * Cast(Coalesce(F("booking__hourly_rate"), Value(Decimal("0"))), FloatField()),
                output_field=FloatField(),
            )
        )
        .values("cost")
    )
    materials = (
        MaterialUse.objects.filter(
            booking_id__in=ProjectBooking.objects.filter(project=OuterRef(OuterRef("pk"))).values(
                "booking_id"
            )
        )
        .order_by()
        .annotate(group=Value(1))
        .values("group")
        .annotate(cost=Sum(F("quantity") * F("unit_price"), output_field=FloatField()))
        .values("cost")
    )
    staff = (
        StaffTime.objects.filter(project=OuterRef("pk"))
        .order_by()
        .values("project")
        .annotate(cost=Sum(F("hours") * F("hourly_rate"), output_field=FloatField()))
        .values("cost")
    )
    quoted = (
        Quote.objects.filter(project=OuterRef("pk"), status="accepted")
        .order_by()
        .values("net_total")[:1]
    )
    zero = Value(0.0)
    rows = (
        delivered.annotate(
            year=ExtractYear("delivered_at"),
            quoted_net=Coalesce(Subquery(quoted, output_field=FloatField()), zero),
            actual_cost=Coalesce(Subquery(machine, output_field=FloatField()), zero)
            + Coalesce(Subquery(materials, output_field=FloatField()), zero)
            + Coalesce(Subquery(staff, output_field=FloatField()), zero),
        )
        .values("year", "site_id")
        .annotate(
            n=Count("pk"),
            quoted=Sum("quoted_net"),
            actual=Sum("actual_cost"),
            over=Count("pk", filter=Q(actual_cost__gt=F("quoted_net") + 0.005)),  # to the cent
        )
        .order_by("year", "site_id")
    )
    return [
        CostRow(
            year=row["year"],
            site_id=row["site_id"],
            site_name=site_names.get(row["site_id"], ""),
            projects=row["n"],
            quoted=_money(row["quoted"]),
            actual=_money(row["actual"]),
            over_quote=row["over"],
        )
        for row in rows
    ]


@contextmanager
def _planned_for_few_rows() -> Iterator[None]:
    """PostgreSQL only. The statistics join a few thousand project rows to the FabLab's
    bookings (a million at the large scale) by their primary key. Left alone, the planner
    reads every booking for a hash join and JIT-compiles the queries for their estimated
    cost; with index lookups and no JIT they run several times faster (large seed: about
    0.2 s instead of 1 s). The settings are local to a transaction (a savepoint inside an
    outer one) and put back as they were."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('jit'), current_setting('enable_hashjoin'), "
            "current_setting('enable_mergejoin')"
        )
        before = cursor.fetchone()
        cursor.execute(
            "SELECT set_config('jit', 'off', true), set_config('enable_hashjoin', 'off', true), "
            "set_config('enable_mergejoin', 'off', true)"
        )
        yield
        cursor.execute(
            "SELECT set_config('jit', %s, true), set_config('enable_hashjoin', %s, true), "
            "set_config('enable_mergejoin', %s, true)",
            list(before),
        )


def project_statistics(*, first_year: int, last_year: int, site=None) -> ProjectStatistics:
    """The projects' figures for the years `first_year`..`last_year` (optionally of one
    FabLab site): projects requested per year and kind of requester; machine hours per
    year and site; days from request to delivery (average and median); quoted versus
    actual cost per year and site, with the share of projects that cost more than their
    quote. A fixed number of queries (six; three more on PostgreSQL for the planner's
    settings)."""
    with _planned_for_few_rows():
        return _project_statistics(first_year=first_year, last_year=last_year, site=site)


def _project_statistics(*, first_year: int, last_year: int, site=None) -> ProjectStatistics:
    from fabreck.fablab.models import Site

    if last_year < first_year:
        first_year, last_year = last_year, first_year
    first_year = max(first_year, last_year - STATISTICS_MAX_YEARS + 1)
    start, end = _year_start(first_year), _year_start(last_year + 1)
    years = list(range(first_year, last_year + 1))
    sites_rows = Site.objects.order_by("name").values_list("pk", "name", "slug")
    if site is not None:
        sites_rows = sites_rows.filter(pk=site.pk)
    site_rows = list(sites_rows)
    sites = [(pk, name) for pk, name, _slug in site_rows]
    site_names = dict(sites)
    kinds = [(value, str(label)) for value, label in RequesterKind.choices]
    stats = ProjectStatistics(
        first_year=first_year,
        last_year=last_year,
        site=site,
        years=years,
        kinds=kinds,
        sites=sites,
        site_slugs={pk: slug for pk, _name, slug in site_rows},
    )
    projects = Project.objects.all()
    if site is not None:
        projects = projects.filter(site=site)

    # (a) Requests per year and kind.
    counts: dict[tuple[int, str], int] = {
        (row["year"], row["requester_kind"]): row["n"]
        for row in projects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(year=ExtractYear("created_at"))
        .values("year", "requester_kind")
        .annotate(n=Count("pk"))
        .order_by()
    }
    for each in years:
        row = {kind: counts.get((each, kind), 0) for kind, _label in kinds}
        stats.requests.append(KindYear(year=each, counts=row, total=sum(row.values())))
    totals = {kind: sum(r.counts[kind] for r in stats.requests) for kind, _label in kinds}
    stats.requests_total = KindYear(year=None, counts=totals, total=sum(totals.values()))

    # (b) Machine hours per year and site.
    bookings = ProjectBooking.objects.filter(
        booking__starts_at__gte=start, booking__starts_at__lt=end
    )
    if site is not None:
        bookings = bookings.filter(booking__resource__site=site)
    seconds = {
        (row["year"], row["booking__resource__site"]): row["seconds"] or 0
        for row in bookings.annotate(year=ExtractYear("booking__starts_at"))
        .values("year", "booking__resource__site")
        .annotate(seconds=Sum(_machine_seconds("booking__")))
        .order_by()
    }
    for each in years:
        hours = {pk: _one_decimal(seconds.get((each, pk), 0) / 3600) for pk, _name in sites}
        total_seconds = sum(seconds.get((each, pk), 0) for pk, _name in sites)
        stats.hours.append(
            HoursYear(year=each, hours=hours, total=_one_decimal(total_seconds / 3600))
        )
    site_seconds = {pk: sum(v for (_y, s), v in seconds.items() if s == pk) for pk, _name in sites}
    stats.hours_total = HoursYear(
        year=None,
        hours={pk: _one_decimal(v / 3600) for pk, v in site_seconds.items()},
        total=_one_decimal(sum(site_seconds.values()) / 3600),
    )

    # (c) and (d): the projects delivered in the years.
    delivered = projects.filter(
        status__in=("delivered", "closed"), delivered_at__gte=start, delivered_at__lt=end
    )
    stats.delivery, stats.delivery_total = _delivery_figures(delivered, years)
    stats.costs = _cost_figures(delivered, site_names)
    for each in years:
        of_year = [row for row in stats.costs if row.year == each]
        stats.costs_by_year.append(_cost_sum(of_year, year=each))
    stats.costs_total = _cost_sum(stats.costs, year=None)
    return stats


def _cost_sum(rows: list[CostRow], *, year: int | None) -> CostRow:
    return CostRow(
        year=year,
        site_id=None,
        site_name="",
        projects=sum(r.projects for r in rows),
        quoted=sum((r.quoted for r in rows), Decimal("0.00")),
        actual=sum((r.actual for r in rows), Decimal("0.00")),
        over_quote=sum(r.over_quote for r in rows),
    )


def statistics_rows(stats: ProjectStatistics) -> list[dict]:
    """The four tables as one long table for CSV and XLSX: table, year, group, measure,
    value (a year "" is the total over the years, a group "" every kind or site)."""
    from django.utils.translation import gettext as _

    rows: list[dict] = []
    site_names = dict(stats.sites)

    def add(table: str, year: int | None, group: str, measure: str, value) -> None:
        rows.append(
            {
                "table": table,
                "year": "" if year is None else year,
                "group": group,
                "measure": measure,
                "value": "" if value is None else value,
            }
        )

    requests = _("Projects requested")
    for row in [*stats.requests, stats.requests_total]:
        for kind, label in stats.kinds:
            add(requests, row.year, label, _("Projects"), row.counts[kind])
        add(requests, row.year, "", _("Projects"), row.total)
    hours = _("Machine hours")
    for row in [*stats.hours, stats.hours_total]:
        for pk, hours_on_site in row.hours.items():
            add(hours, row.year, site_names[pk], _("Hours"), hours_on_site)
        add(hours, row.year, "", _("Hours"), row.total)
    delivery = _("Time from request to delivery")
    for row in [*stats.delivery, stats.delivery_total]:
        add(delivery, row.year, "", _("Projects delivered"), row.delivered)
        add(delivery, row.year, "", _("Average (days)"), row.average_days)
        add(delivery, row.year, "", _("Median (days)"), row.median_days)
    costs = _("Quoted versus actual")
    for row in [*stats.costs, *stats.costs_by_year, stats.costs_total]:
        add(costs, row.year, row.site_name, _("Projects delivered"), row.projects)
        add(costs, row.year, row.site_name, _("Quoted, before VAT (EUR)"), row.quoted)
        add(costs, row.year, row.site_name, _("Actual (EUR)"), row.actual)
        add(costs, row.year, row.site_name, _("Projects over their quote"), row.over_quote)
        add(costs, row.year, row.site_name, _("Over their quote (%)"), row.over_quote_share)
    return rows
