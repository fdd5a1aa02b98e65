"""Reads of prototyping projects: who may see and act on a project, and its pages."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import NotSupportedError, connection, transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Coalesce, ExtractYear, RowNumber
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from fabreck.cluster.models import Organisation, OrganisationPerson, Sector
from fabreck.core.text import is_short, search_terms, term_variants
from fabreck.fablab.models import Booking, MachineCategory, Material, MaterialUse, Resource, Site
from fabreck.fablab.selectors import price_round
from fabreck.projects.models import (
    TRANSITIONS,
    Attachment,
    Collaborator,
    Comment,
    Documentation,
    DocumentationStatus,
    Licence,
    Project,
    ProjectBooking,
    Quote,
    QuoteLine,
    QuoteStatus,
    RequesterKind,
    StaffTime,
    StatusChange,
)

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


# --- requests, triage and timeline --------------------------------------------------------


STAFF_QUEUE_PAGE_SIZE = 25
MY_PROJECTS_PAGE_SIZE = 25
REFERENCE_RE = re.compile(r"^\s*(?:P?\d{4}-)?0*(\d{1,9})\s*$", re.IGNORECASE)


def organisations_requesting_for(*, user: User) -> QuerySet[Organisation]:
    """The organisations on whose behalf `user` may ask for a prototype: those they own or
    administer (not a refused application)."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    return (
        Organisation.objects.filter(memberships__user=user, memberships__role__in=MANAGING_ROLES)
        .exclude(status=Organisation.Status.REFUSED)
        .order_by("name")
        .distinct()
    )


def site_staff_everywhere() -> list[User]:
    """Every active staff member of any FabLab site (each once)."""
    return list(
        get_user_model()
        .objects.filter(fablab_sites__isnull=False, is_active=True)
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


def project_staff_people(*, project: Project) -> list[User]:
    """The staff who hear of a project's internal notes: its lead; before a lead is
    named, the staff of its site, or of every site before triage."""
    if project.lead_id is not None:
        lead = project.lead
        return [lead] if lead.is_active and lead.email else []
    if project.site_id is not None:
        return list(project.site.staff.filter(is_active=True).exclude(email="").order_by("pk"))
    return site_staff_everywhere()


def user_runs_projects(*, user: User) -> bool:
    """FabLab staff (and administrators): the people of the staff queue."""
    return bool(user.is_authenticated and user.has_perm("accounts.run_site"))


def staff_sites_of(*, user: User):
    """The sites whose projects `user` handles: all of them for administrators."""
    from fabreck.fablab.models import Site

    if not user_runs_projects(user=user):
        return Site.objects.none()
    if user.has_perm("fablab.change_site"):
        return Site.objects.order_by("name")
    return Site.objects.filter(staff=user).order_by("name")


@dataclass(frozen=True)
class StaffQueueFilters:
    status: str = ""
    site: str = ""  # slug
    mine: bool = False
    q: str = ""
    page: int | str = 1


def project_reference_pk(text: str) -> int | None:
    """The number of a reference as people type it: "P2026-00042", "2026-42", "42"."""
    match = REFERENCE_RE.match(text or "")
    return int(match.group(1)) if match else None


def projects_staff_queue(*, user: User, filters: StaffQueueFilters) -> Page:
    """The staff queue, one page at a time."""
    rows = projects_staff_rows(user=user, filters=filters)
    return Paginator(rows, STAFF_QUEUE_PAGE_SIZE).get_page(filters.page)


def projects_staff_rows(*, user: User, filters: StaffQueueFilters) -> QuerySet[Project]:
    """Projects staff handle: those of the sites they run and every request not triaged
    yet (all projects for administrators), newest first."""
    from fabreck.projects.models import ProjectStatus

    rows = Project.objects.select_related("organisation", "site", "lead", "requested_by")
    if not user_runs_projects(user=user):
        rows = rows.none()
    elif not user.has_perm("fablab.change_site"):
        rows = rows.filter(Q(site__isnull=True) | Q(site_id__in=user.fablab_sites.values("pk")))
    if filters.status in ProjectStatus.values:
        rows = rows.filter(status=filters.status)
    elif filters.status == "open":
        from fabreck.projects.models import OPEN_STATUSES

        rows = rows.filter(status__in=OPEN_STATUSES)
    if filters.site == "none":
        rows = rows.filter(site__isnull=True)
    elif filters.site:
        rows = rows.filter(site__slug=filters.site)
    if filters.mine:
        rows = rows.filter(lead=user)
    text = (filters.q or "").strip()
    if text:
        condition = Q(title__icontains=text)
        pk = project_reference_pk(text)
        if pk is not None:
            condition |= Q(pk=pk)
        rows = rows.filter(condition)
    return rows.order_by("-created_at", "-pk")


def projects_of_page(*, user: User, page: int | str = 1) -> Page:
    """ "My projects", one page at a time."""
    rows = projects_of(user=user).order_by("-created_at", "-pk")
    return Paginator(rows, MY_PROJECTS_PAGE_SIZE).get_page(page)


@dataclass
class TimelineEntry:
    kind: str  # "status", "comment" or "file"
    at: datetime
    by: User | None
    status_change: StatusChange | None = None
    comment: Comment | None = None
    files: list[Attachment] = field(default_factory=list)


def project_timeline(*, project: Project, user: User) -> list[TimelineEntry]:
    """Status changes, comments (internal notes for staff only) and the request's files,
    oldest first. Three queries whatever the length."""
    staff = user_is_project_staff(user=user, project=project)
    entries: list[TimelineEntry] = [
        TimelineEntry("status", change.changed_at, change.changed_by, status_change=change)
        for change in StatusChange.objects.filter(project=project).select_related("changed_by")
    ]
    comments = (
        Comment.objects.filter(project=project)
        .select_related("author")
        .prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.order_by("uploaded_at", "pk"))
        )
    )
    if not staff:
        comments = comments.filter(internal=False)
    entries += [
        TimelineEntry(
            "comment",
            comment.created_at,
            comment.author,
            comment=comment,
            files=list(comment.attachments.all()),
        )
        for comment in comments
    ]
    request_files = list(
        Attachment.objects.filter(project=project, comment__isnull=True).select_related(
            "uploaded_by"
        )
    )
    if request_files:
        entries.append(
            TimelineEntry(
                "file",
                request_files[0].uploaded_at,
                request_files[0].uploaded_by,
                files=request_files,
            )
        )
    order = {"status": 0, "file": 1, "comment": 2}
    entries.sort(key=lambda entry: (entry.at, order[entry.kind]))
    return entries


def project_attachment_for(*, project_pk: int, attachment_pk: int, user: User) -> Attachment:
    """A file for those who may see its project; a file of an internal note for staff
    only. A 404 for anyone else."""
    project = project_visible_to(pk=project_pk, user=user)
    attachment = (
        Attachment.objects.select_related("comment")
        .filter(pk=attachment_pk, project=project)
        .first()
    )
    if attachment is None:
        raise Http404
    if attachment.comment is not None and attachment.comment.internal:
        if not user_is_project_staff(user=user, project=project):
            raise Http404
    return attachment


@dataclass(frozen=True)
class ProjectMoves:
    """What the viewer may do with a project right now (the page shows only these)."""

    staff: bool = False
    speaks_for: bool = False
    triage: bool = False
    decline: bool = False
    cancel: bool = False
    deliver: bool = False
    close: bool = False
    comment: bool = False
    internal: bool = False

    @property
    def any(self) -> bool:
        return self.triage or self.decline or self.cancel or self.deliver or self.close


def project_moves_for(*, project: Project, user: User) -> ProjectMoves:
    """The moves of the requests and timeline capability `user` may make, as the status
    machine (models.TRANSITIONS) and the who-may-move rules of services allow them."""
    from fabreck.projects.services import REQUESTER_MAY_CANCEL_FROM

    staff = user_is_project_staff(user=user, project=project)
    speaks_for = user_speaks_for_project(user=user, project=project)
    allowed = TRANSITIONS[project.status]
    return ProjectMoves(
        staff=staff,
        speaks_for=speaks_for,
        triage=staff and project.status in ("requested", "quoted"),
        decline=staff and "declined" in allowed,
        cancel="cancelled" in allowed
        and (staff or (speaks_for and project.status in REQUESTER_MAY_CANCEL_FROM)),
        deliver=staff and "delivered" in allowed,
        close=staff and "closed" in allowed,
        comment=staff or speaks_for,
        internal=staff,
    )


def triage_leads(*, sites) -> list[tuple[object, list[User]]]:
    """For each site, its active staff (the possible leads), in one query."""
    sites = list(sites)
    through = get_user_model().fablab_sites.through
    links = (
        through.objects.filter(site__in=sites, user__is_active=True)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__email")
    )
    people: dict[int, list[User]] = {site.pk: [] for site in sites}
    for link in links:
        people[link.site_id].append(link.user)
    return [(site, people[site.pk]) for site in sites]


# --- Quotes and execution -------------------------------------------------------------------


ZERO = Decimal("0.00")
LINKABLE_BOOKINGS = 100  # the link form offers this many of the site's bookings at most


def quotes_of(*, project: Project) -> list[Quote]:
    """Every version of a project's quote, newest first, with their lines."""
    return list(
        Quote.objects.filter(project=project)
        .select_related("created_by", "decided_by", "price_group")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=QuoteLine.objects.select_related("resource", "material").order_by(
                    "position", "pk"
                ),
            )
        )
        .order_by("-version")
    )


def quote_of(*, project: Project, version: int) -> Quote:
    quote = (
        Quote.objects.filter(project=project, version=version)
        .select_related("price_group", "created_by", "decided_by")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=QuoteLine.objects.select_related("resource", "material").order_by(
                    "position", "pk"
                ),
            )
        )
        .first()
    )
    if quote is None:
        raise Http404
    return quote


def quote_visible_to(*, pk: int, user: User) -> Quote:
    """A quote for those who see its project; a 404 for anyone else."""
    quote = (
        Quote.objects.select_related(
            "project__organisation", "project__site", "project__lead", "project__requested_by"
        )
        .filter(pk=pk)
        .first()
    )
    if quote is None or not user_sees_project(user=user, project=quote.project):
        raise Http404
    return quote


def quote_current(*, project: Project) -> Quote | None:
    """The version that counts: the accepted one, else the one awaiting an answer."""
    return (
        Quote.objects.filter(project=project, status__in=[QuoteStatus.ACCEPTED, QuoteStatus.SENT])
        .order_by("-version")
        .first()
    )


def quote_line_label(line: QuoteLine) -> str:
    """What a line is, in the reader's language where the catalogue has it."""
    if line.kind == "machine" and line.resource_id is not None:
        return line.resource.name
    if line.kind == "material" and line.material_id is not None:
        return line.material.name
    if line.kind == "staff":
        return (
            _("Staff hours: %(what)s") % {"what": line.description}
            if line.description
            else _("Staff hours")
        )
    return line.description


def project_bookings(*, project: Project) -> list[ProjectBooking]:
    return list(
        ProjectBooking.objects.filter(project=project)
        .select_related("booking__resource__site", "booking__user")
        .order_by("booking__starts_at", "pk")
    )


def staff_times_of(*, project: Project) -> list[StaffTime]:
    return list(StaffTime.objects.filter(project=project).select_related("staff"))


def bookings_linkable(*, project: Project) -> list[Booking]:
    """Confirmed makers' bookings of the project's site that may count for it: those
    naming its reference, or made for its organisation or by its requester, and not yet
    counting for a project. Newest first."""
    if project.site_id is None:
        return []
    who = Q(project_reference=project.reference) | Q(user_id=project.requested_by_id)
    if project.organisation_id is not None:
        who |= Q(organisation_id=project.organisation_id)
    return list(
        Booking.objects.filter(
            who,
            resource__site_id=project.site_id,
            kind=Booking.Kind.BOOKING,
            status=Booking.Status.CONFIRMED,
            project_link__isnull=True,
        )
        .select_related("resource", "user")
        .order_by("-starts_at")[:LINKABLE_BOOKINGS]
    )


def booking_hours(booking: Booking) -> Decimal:
    """Machine hours a booking used: check-in to check-out; the booked duration when the
    maker checked in but not out; nothing for a no-show, a booking not checked in, or a
    cancelled one."""
    if (
        booking.status != Booking.Status.CONFIRMED
        or booking.no_show
        or booking.checked_in_at is None
    ):
        return Decimal(0)
    if booking.checked_out_at is not None:
        seconds = (booking.checked_out_at - booking.checked_in_at).total_seconds()
    else:
        seconds = (booking.ends_at - booking.starts_at).total_seconds()
    return Decimal(max(int(seconds), 0)) / Decimal(3600)


@dataclass
class CostRow:
    """One thing quoted or used (a machine, a material, staff time, other): quantity and
    amount on each side. Quantities are hours for machines and staff."""

    kind: str
    label: str
    unit: str = ""
    quoted_quantity: Decimal = ZERO
    quoted: Decimal = ZERO
    actual_quantity: Decimal = ZERO
    actual: Decimal = ZERO

    @property
    def quantity_difference(self) -> Decimal:
        return self.actual_quantity - self.quoted_quantity

    @property
    def difference(self) -> Decimal:
        return self.actual - self.quoted


@dataclass
class CostSide:
    machine_hours: Decimal = ZERO
    machines: Decimal = ZERO
    materials: Decimal = ZERO
    staff_hours: Decimal = ZERO
    staff: Decimal = ZERO
    other: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.machines + self.materials + self.staff + self.other


@dataclass
class ProjectCosts:
    """Actual versus quoted, before VAT. `quote` is the accepted version, else the one
    awaiting an answer (None when there is neither)."""

    quote: Quote | None
    quoted: CostSide
    actual: CostSide
    machines: list[CostRow] = field(default_factory=list)
    materials: list[CostRow] = field(default_factory=list)
    staff: CostRow | None = None
    other: CostRow | None = None

    @property
    def rows(self) -> list[CostRow]:
        return [*self.machines, *self.materials, self.staff, self.other]

    @property
    def difference(self) -> Decimal:
        return self.actual.net - self.quoted.net

    @property
    def has_any(self) -> bool:
        return self.quote is not None or any(row.actual or row.actual_quantity for row in self.rows)


def project_costs(*, project: Project) -> ProjectCosts:
    """The quoted and the actual cost of a project, machine by machine and material by
    material, in five queries whatever the number of bookings.

    Actual machine cost: each booking's hours (see `booking_hours`) at the booking's own
    hourly rate (the snapshot taken when it was made). Materials: what staff recorded on
    the project's bookings, at the price of the day. Staff: hours x each entry's rate."""
    quote = quote_current(project=project)
    quoted, actual = CostSide(), CostSide()
    machines: dict[int, CostRow] = {}
    materials: dict[int, CostRow] = {}
    staff = CostRow(kind="staff", label=_("Staff time"), unit="h")
    other = CostRow(kind="other", label=_("Other"))

    def machine_row(resource: Resource) -> CostRow:
        return machines.setdefault(
            resource.pk, CostRow(kind="machine", label=resource.name, unit="h")
        )

    def material_row(material: Material) -> CostRow:
        return materials.setdefault(
            material.pk, CostRow(kind="material", label=material.name, unit=material.unit)
        )

    if quote is not None:
        for line in QuoteLine.objects.filter(quote=quote).select_related("resource", "material"):
            if line.kind == "machine" and line.resource_id is not None:
                row = machine_row(line.resource)
                quoted.machine_hours += line.quantity
                quoted.machines += line.total
            elif line.kind == "material" and line.material_id is not None:
                row = material_row(line.material)
                quoted.materials += line.total
            elif line.kind == "staff":
                row = staff
                quoted.staff_hours += line.quantity
                quoted.staff += line.total
            else:
                row = other
                quoted.other += line.total
                row.quoted += line.total
                continue
            row.quoted_quantity += line.quantity
            row.quoted += line.total

    for link in ProjectBooking.objects.filter(project=project).select_related("booking__resource"):
        booking = link.booking
        hours = booking_hours(booking)
        amount = price_round(hours * (booking.hourly_rate or ZERO))
        row = machine_row(booking.resource)
        row.actual_quantity += hours
        row.actual += amount
        actual.machine_hours += hours
        actual.machines += amount

    for use in MaterialUse.objects.filter(booking__project_link__project=project).select_related(
        "material"
    ):
        amount = price_round(use.quantity * use.unit_price)
        row = material_row(use.material)
        row.actual_quantity += use.quantity
        row.actual += amount
        actual.materials += amount

    for hours, rate in StaffTime.objects.filter(project=project).values_list(
        "hours", "hourly_rate"
    ):
        amount = price_round(hours * rate)
        staff.actual_quantity += hours
        staff.actual += amount
        actual.staff_hours += hours
        actual.staff += amount

    for row in [*machines.values(), *materials.values(), staff]:
        row.actual_quantity = row.actual_quantity.quantize(Decimal("0.01"), ROUND_HALF_UP)
    actual.machine_hours = actual.machine_hours.quantize(Decimal("0.01"), ROUND_HALF_UP)
    return ProjectCosts(
        quote=quote,
        quoted=quoted,
        actual=actual,
        machines=sorted(machines.values(), key=lambda row: row.label.lower()),
        materials=sorted(materials.values(), key=lambda row: row.label.lower()),
        staff=staff,
        other=other,
    )


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
class CostsByYear:
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
    costs: list[CostsByYear] = field(default_factory=list)  # per year and site
    costs_by_year: list[CostsByYear] = field(default_factory=list)  # per year, every site
    costs_total: CostsByYear | None = None


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


def _cost_figures(delivered, site_names: dict[int, str]) -> list[CostsByYear]:
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
        CostsByYear(
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


def _cost_sum(rows: list[CostsByYear], *, year: int | None) -> CostsByYear:
    return CostsByYear(
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


# --- gallery: documentations and the public gallery ----------------------------------------
# Imports of this section stay here so that the section merges as one block.


GALLERY_PAGE_SIZE = 18
GALLERY_MAX_TERMS = 8
# Short names for cards and badges, and the licences' deeds.
LICENCE_SHORT = {
    "cc-by": "CC BY 4.0",
    "cc-by-sa": "CC BY-SA 4.0",
    "cc-by-nc": "CC BY-NC 4.0",
    "cc-by-nc-sa": "CC BY-NC-SA 4.0",
    "cc-by-nd": "CC BY-ND 4.0",
    "cc-by-nc-nd": "CC BY-NC-ND 4.0",
    "cc0": "CC0 1.0",
    "all-rights-reserved": _lazy("All rights reserved"),
}
LICENCE_URL = {
    "cc-by": "https://creativecommons.org/licenses/by/4.0/",
    "cc-by-sa": "https://creativecommons.org/licenses/by-sa/4.0/",
    "cc-by-nc": "https://creativecommons.org/licenses/by-nc/4.0/",
    "cc-by-nc-sa": "https://creativecommons.org/licenses/by-nc-sa/4.0/",
    "cc-by-nd": "https://creativecommons.org/licenses/by-nd/4.0/",
    "cc-by-nc-nd": "https://creativecommons.org/licenses/by-nc-nd/4.0/",
    "cc0": "https://creativecommons.org/publicdomain/zero/1.0/",
}


def user_is_documentation_author(*, user: User, documentation: Documentation) -> bool:
    return bool(user.is_authenticated and documentation.author_id == user.pk)


def user_edits_documentation(*, user: User, documentation: Documentation) -> bool:
    """The author and the collaborators who accepted their invitation."""
    if not user.is_authenticated:
        return False
    if documentation.author_id == user.pk:
        return True
    return Collaborator.objects.filter(
        documentation_id=documentation.pk, user=user, accepted_at__isnull=False
    ).exists()


def documentation_editable(
    *, user: User, slug: str | None = None, pk: int | None = None
) -> Documentation:
    """A documentation (by slug or id) for its author and collaborators; a 404 for anyone
    else."""
    lookup = {"slug": slug} if slug is not None else {"pk": pk}
    documentation = (
        Documentation.objects.select_related("project", "organisation", "site", "sector", "author")
        .filter(**lookup)
        .first()
    )
    if documentation is None or not user_edits_documentation(
        user=user, documentation=documentation
    ):
        raise Http404
    return documentation


def documentation_editor_data(*, documentation: Documentation) -> dict:
    """What the editor page lists: steps, files, collaborators, machines, materials."""
    return {
        "steps": list(documentation.steps.order_by("position")),
        "files": list(documentation.files.all()),
        "collaborators": list(documentation.collaborators.select_related("user")),
        "machines": list(documentation.machines.select_related("site", "category")),
        "materials": list(documentation.materials.select_related("site")),
    }


def documentations_of(*, user: User) -> QuerySet[Documentation]:
    """The documentations `user` writes, as author or accepted collaborator, latest first."""
    if not user.is_authenticated:
        return Documentation.objects.none()
    collaborations = Collaborator.objects.filter(
        documentation_id=OuterRef("pk"), user=user, accepted_at__isnull=False
    )
    return (
        Documentation.objects.filter(Q(author=user) | Exists(collaborations))
        .select_related("site", "project")
        .defer("search_text")
        .order_by("-updated_at", "-pk")
    )


def projects_documentable_by(*, user: User) -> QuerySet[Project]:
    """Delivered or closed projects `user` speaks for that have no documentation yet."""
    if not user.is_authenticated:
        return Project.objects.none()
    managed = OrganisationPerson.objects.filter(user=user, role__in=MANAGING_ROLES).values(
        "organisation_id"
    )
    return (
        Project.objects.filter(
            Q(requested_by=user) | Q(organisation_id__in=managed),
            status__in=("delivered", "closed"),
            documentation__isnull=True,
        )
        .select_related("organisation")
        .order_by("-delivered_at", "-pk")
    )


def gallery_public() -> QuerySet[Documentation]:
    """Documentations everyone may see: published (hence with consent and never
    confidential, as the database holds), and whose project is not confidential now."""
    confidential_project = Project.objects.filter(pk=OuterRef("project_id"), confidential=True)
    return Documentation.objects.filter(
        ~Exists(confidential_project), status=DocumentationStatus.PUBLISHED, confidential=False
    )


def documentation_page(*, slug: str, viewer: User) -> tuple[Documentation, bool]:
    """A documentation's page and whether `viewer` writes it. The public sees published
    ones only; a draft or a withdrawn one is a 404 for anyone but its writers."""
    documentation = (
        Documentation.objects.select_related("site", "sector", "organisation", "author", "project")
        .defer("search_text")
        .filter(slug=slug)
        .first()
    )
    if documentation is None:
        raise Http404
    writes = user_edits_documentation(user=viewer, documentation=documentation)
    public = documentation.is_public and not documentation.confidential
    if public and documentation.project_id is not None:
        public = not documentation.project.confidential
    if not public and not writes:
        raise Http404
    return documentation, writes


def documentation_page_data(*, documentation: Documentation) -> dict:
    return {
        "steps": list(documentation.steps.order_by("position")),
        "files": list(documentation.files.all()),
        "machines": list(documentation.machines.select_related("category", "site")),
        "materials": list(documentation.materials.select_related("site")),
        "collaborators": list(
            documentation.collaborators.filter(accepted_at__isnull=False).select_related("user")
        ),
        "licence_short": LICENCE_SHORT.get(documentation.licence, ""),
        "licence_url": LICENCE_URL.get(documentation.licence, ""),
    }


def documentation_file_visible(*, slug: str, pk: int, viewer: User):
    """A shared file of a documentation the viewer may see (404 otherwise)."""
    documentation, _writes = documentation_page(slug=slug, viewer=viewer)
    shared = documentation.files.filter(pk=pk).first()
    if shared is None:
        raise Http404
    return shared


# The public gallery -----------------------------------------------------------------------


@dataclass(frozen=True)
class GalleryFilters:
    query: str = ""
    machine: str = ""  # a machine category's slug, or one machine's (resource) slug
    material: str = ""  # a material's key: the slug of its English name (any site)
    sector: str = ""  # a sector's slug
    licence: str = ""
    site: str = ""  # a FabLab site's slug
    page: int = 1

    @property
    def is_narrowed(self) -> bool:
        return any((self.query, self.machine, self.material, self.sector, self.licence, self.site))


@dataclass(frozen=True)
class GalleryOption:
    value: str
    label: str


@dataclass
class GalleryOptions:
    """The choices of the gallery's filters, and what their values stand for."""

    machines: list[GalleryOption] = field(default_factory=list)
    materials: list[GalleryOption] = field(default_factory=list)
    sectors: list[GalleryOption] = field(default_factory=list)
    licences: list[GalleryOption] = field(default_factory=list)
    sites: list[GalleryOption] = field(default_factory=list)
    resource_ids: dict[str, list[int]] = field(default_factory=dict)  # machine value -> ids
    category_ids: dict[str, int] = field(default_factory=dict)
    material_ids: dict[str, list[int]] = field(default_factory=dict)
    sector_ids: dict[str, int] = field(default_factory=dict)
    site_ids: dict[str, int] = field(default_factory=dict)
    resource_labels: dict[str, str] = field(default_factory=dict)


def material_key(material: Material) -> str:
    return slugify(material.name_en) or str(material.pk)


GALLERY_OPTIONS_SECONDS = 300
GALLERY_OPTIONS_VERSION_KEY = "projects:gallery-options:version"


def gallery_options_forget() -> None:
    """After a change of machines, materials, sectors or sites (signals.py): the options
    are built again at the next search."""
    cache.delete(GALLERY_OPTIONS_VERSION_KEY)


def gallery_options() -> GalleryOptions:
    """The filters' choices in the reader's language, from the cache (five small queries
    when they must be built again)."""
    version = cache.get(GALLERY_OPTIONS_VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        cache.set(GALLERY_OPTIONS_VERSION_KEY, version, None)
    key = f"projects:gallery-options:{version}:{get_language() or settings.LANGUAGE_CODE}"
    options = cache.get(key)
    if options is None:
        options = _gallery_options_build()
        cache.set(key, options, GALLERY_OPTIONS_SECONDS)
    return options


def _gallery_options_build() -> GalleryOptions:
    options = GalleryOptions()
    categories = list(MachineCategory.objects.order_by("position", "slug"))
    by_category: dict[int, list[int]] = {}
    for pk, slug, name, category_id in Resource.objects.values_list(
        "pk", "slug", "name", "category_id"
    ):
        options.resource_ids[slug] = [pk]
        options.resource_labels[slug] = name
        if category_id is not None:
            by_category.setdefault(category_id, []).append(pk)
    for category in categories:
        options.resource_ids[category.slug] = by_category.get(category.pk, [])
        options.category_ids[category.slug] = category.pk
        options.machines.append(GalleryOption(category.slug, category.name))
    labels: dict[str, str] = {}
    for material in Material.objects.order_by("name_en"):
        key = material_key(material)
        options.material_ids.setdefault(key, []).append(material.pk)
        labels.setdefault(key, material.name)
    options.materials = sorted(
        (GalleryOption(key, label) for key, label in labels.items()), key=lambda o: o.label
    )
    for sector in Sector.objects.order_by("position", "slug"):
        options.sector_ids[sector.slug] = sector.pk
        options.sectors.append(GalleryOption(sector.slug, sector.name))
    for site in Site.objects.order_by("name"):
        options.site_ids[site.slug] = site.pk
        options.sites.append(GalleryOption(site.slug, site.name))
    options.licences = [GalleryOption(value, str(label)) for value, label in Licence.choices]
    return options


def _tsquery_word(term: str) -> str:
    return term if is_short(term) else f"{term}:*"


def _like_found(term: str) -> Q:
    """`term` starts a word of search_text (or is a whole word of it, when short)."""
    if is_short(term):
        return (
            Q(search_text=term)
            | Q(search_text__startswith=f"{term} ")
            | Q(search_text__endswith=f" {term}")
            | Q(search_text__contains=f" {term} ")
        )
    return Q(search_text__startswith=term) | Q(search_text__contains=f" {term}")


def _gallery_matching(qs: QuerySet[Documentation], terms: list[str]) -> QuerySet[Documentation]:
    """SQLite: documentations with every word (as a word prefix; short words whole), with
    `rank` 1 when a word is in the title (PostgreSQL: `_gallery_search_postgres`)."""
    if not terms:
        return qs
    rank = Value(0.0, output_field=FloatField())
    for term in terms:
        found = Q(pk__in=[])
        for variant in term_variants(term):
            found |= _like_found(variant)
        qs = qs.filter(found)
        rank = rank + Case(When(title__icontains=term, then=Value(1.0)), default=Value(0.1))
    return qs.annotate(rank=rank)


def _gallery_filtered(
    qs: QuerySet[Documentation], filters: GalleryFilters, options: GalleryOptions
) -> QuerySet[Documentation]:
    """An unknown value finds nothing (not everything)."""
    nothing = Documentation.objects.none()
    if filters.machine:
        ids = options.resource_ids.get(filters.machine)
        if not ids:
            return nothing
        qs = qs.filter(
            Exists(
                Documentation.machines.through.objects.filter(
                    documentation_id=OuterRef("pk"), resource_id__in=ids
                )
            )
        )
    if filters.material:
        ids = options.material_ids.get(filters.material)
        if not ids:
            return nothing
        qs = qs.filter(
            Exists(
                Documentation.materials.through.objects.filter(
                    documentation_id=OuterRef("pk"), material_id__in=ids
                )
            )
        )
    if filters.sector:
        if filters.sector not in options.sector_ids:
            return nothing
        qs = qs.filter(sector_id=options.sector_ids[filters.sector])
    if filters.site:
        if filters.site not in options.site_ids:
            return nothing
        qs = qs.filter(site_id=options.site_ids[filters.site])
    if filters.licence:
        if filters.licence not in Licence.values:
            return nothing
        qs = qs.filter(licence=filters.licence)
    return qs


@dataclass
class GalleryResult:
    page: Page
    filters: GalleryFilters
    options: GalleryOptions
    terms: list[str]
    machine_label: str = ""  # the name of one machine chosen (a link from a page)


CARD_FIELDS = (
    "slug",
    "title",
    "summary",
    "cover",
    "licence",
    "published_at",
    "site__name",
    "site__slug",
)


def gallery_search(
    *, filters: GalleryFilters, options: GalleryOptions | None = None
) -> GalleryResult:
    """One page of the public gallery: words found (title matches first, then summary
    matches, then the rest) and filters, newest first otherwise. On PostgreSQL two queries
    on the search table and one for the cards; plus the options' five."""
    options = options or gallery_options()
    terms = search_terms(filters.query)[:GALLERY_MAX_TERMS]
    if connection.vendor == "postgresql":
        page = _gallery_search_postgres(filters, options, terms)
    else:
        qs = _gallery_filtered(_gallery_matching(gallery_public(), terms), filters, options)
        ordering = ["-published_at", "-pk"]
        if terms:
            ordering = ["-rank", *ordering]
        qs = qs.select_related("site").only(*CARD_FIELDS)
        page = Paginator(qs.order_by(*ordering), GALLERY_PAGE_SIZE).get_page(filters.page)
        page.object_list = list(page.object_list)
    _cards_prepare(page.object_list)
    machine_label = ""
    if filters.machine and filters.machine not in {o.value for o in options.machines}:
        machine_label = options.resource_labels.get(filters.machine, "")
    return GalleryResult(
        page=page, filters=filters, options=options, terms=terms, machine_label=machine_label
    )


CARD_SUMMARY_CHARS = 200


def _cards_prepare(documentations: list[Documentation]) -> None:
    """What a card shows, computed once here rather than by filters for every card."""
    base = reverse("projects:gallery")
    for documentation in documentations:
        documentation.licence_short = LICENCE_SHORT.get(documentation.licence, "")
        documentation.card_url = f"{base}{documentation.slug}/"
        summary = documentation.summary
        if len(summary) > CARD_SUMMARY_CHARS:
            summary = summary[: CARD_SUMMARY_CHARS - 1].rsplit(" ", 1)[0] + "…"
        documentation.card_summary = summary


def _filter_tokens(filters: GalleryFilters, options: GalleryOptions) -> list[str] | None:
    """The tokens of the search table (migration 0004) the filters ask for; None when a
    filter names nothing known (then nothing is found)."""
    tokens = []
    if filters.machine in options.category_ids:
        tokens.append(f"zzcategory{options.category_ids[filters.machine]}")
    elif filters.machine:
        ids = options.resource_ids.get(filters.machine)
        if not ids:
            return None
        tokens.append(f"zzmachine{ids[0]}")
    if filters.material:
        ids = options.material_ids.get(filters.material)
        if not ids:
            return None
        tokens.append("(" + " | ".join(f"zzmaterial{pk}" for pk in ids) + ")")
    if filters.sector:
        if filters.sector not in options.sector_ids:
            return None
        tokens.append(f"zzsector{options.sector_ids[filters.sector]}")
    if filters.site:
        if filters.site not in options.site_ids:
            return None
        tokens.append(f"zzsite{options.site_ids[filters.site]}")
    if filters.licence:
        if filters.licence not in Licence.values:
            return None
        tokens.append("zzlicence" + filters.licence.replace("-", ""))
    return tokens


class _Counted:
    """What Paginator needs of a page whose rows are loaded and whose total is known."""

    def __init__(self, total: int, offset: int, rows: list) -> None:
        self.total, self.offset, self.rows = total, offset, rows

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, index: slice) -> list:
        return self.rows[index.start - self.offset : index.stop - self.offset]


GALLERY_COUNT_SQL = "SELECT count(*) FROM projects_gallery_entry e WHERE {where}"
# The page's ids and the number of matches in one pass over the matches.
GALLERY_PAGE_SQL = """
SELECT e.documentation_id, count(*) OVER () FROM projects_gallery_entry e
WHERE {where}
ORDER BY {order}
LIMIT %(limit)s OFFSET %(offset)s
"""
GALLERY_BY_WEIGHT = (
    "CASE WHEN e.title_words @@ to_tsquery('simple', %(text)s) THEN 2"
    " WHEN e.summary_words @@ to_tsquery('simple', %(text)s) THEN 1 ELSE 0 END DESC, "
)
GALLERY_NEWEST = "e.published_at DESC, e.documentation_id DESC"


def _gallery_search_postgres(
    filters: GalleryFilters, options: GalleryOptions, terms: list[str]
) -> Page:
    """The search table answers (migration 0004): the page's ids, ranked by the heaviest
    weight a word is found with (title, summary, the rest) then newest, with the number of
    matches; then the cards of those ids. A page past the last one costs a count more."""

    def paginated(total: int, offset: int, rows: list) -> Paginator:
        return Paginator(_Counted(total, offset, rows), GALLERY_PAGE_SIZE)

    tokens = _filter_tokens(filters, options)
    if tokens is None:
        return paginated(0, 0, []).get_page(1)
    text = " & ".join(
        "(" + " | ".join(_tsquery_word(v) for v in term_variants(term)) + ")" for term in terms
    )
    match = " & ".join([text, *tokens] if text else tokens)
    where = "e.document @@ to_tsquery('simple', %(match)s)" if match else "true"
    sql = GALLERY_PAGE_SQL.format(
        where=where, order=(GALLERY_BY_WEIGHT if text else "") + GALLERY_NEWEST
    )
    params = {"match": match, "text": text, "limit": GALLERY_PAGE_SIZE}
    number = filters.page
    with connection.cursor() as cursor:
        cursor.execute(sql, {**params, "offset": (number - 1) * GALLERY_PAGE_SIZE})
        rows = cursor.fetchall()
        if rows:
            total = rows[0][1]
        else:  # no match, or a page past the last one: the last one
            cursor.execute(GALLERY_COUNT_SQL.format(where=where), params)
            total = cursor.fetchone()[0]
            number = max(1, -(-total // GALLERY_PAGE_SIZE))
            if total:
                cursor.execute(sql, {**params, "offset": (number - 1) * GALLERY_PAGE_SIZE})
                rows = cursor.fetchall()
    ids = [row[0] for row in rows]
    cards = {
        d.pk: d
        for d in Documentation.objects.filter(pk__in=ids).select_related("site").only(*CARD_FIELDS)
    }
    found = [cards[pk] for pk in ids if pk in cards]
    return paginated(total, (number - 1) * GALLERY_PAGE_SIZE, found).page(number)


def gallery_filters_from(params) -> GalleryFilters:
    """The filters of a query string (page or API); nonsense becomes the first page."""
    try:
        page = max(1, int(params.get("page") or 1))
    except (TypeError, ValueError):
        page = 1
    return GalleryFilters(
        query=(params.get("q") or "").strip()[:200],
        machine=(params.get("machine") or "").strip()[:80],
        material=(params.get("material") or "").strip()[:120],
        sector=(params.get("sector") or "").strip()[:50],
        licence=(params.get("licence") or "").strip()[:20],
        site=(params.get("site") or "").strip()[:50],
        page=min(page, 10_000),
    )
