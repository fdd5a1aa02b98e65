"""Writes of prototyping projects. Each runs in one transaction; e-mails leave on commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import uuid4

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from fabreck.cluster.models import Organisation, OrganisationKind, OrganisationSize
from fabreck.fablab.models import Booking, Material, Resource
from fabreck.fablab.selectors import hourly_rate_for, price_group_for, price_round
from fabreck.fablab.services import booking_create
from fabreck.projects.models import (
    Attachment,
    BudgetRange,
    Comment,
    Project,
    ProjectBooking,
    ProjectStatus,
    Quote,
    QuoteLine,
    QuoteLineKind,
    QuoteStatus,
    RequesterKind,
    StaffTime,
    StatusChange,
)
from fabreck.projects.selectors import (
    organisations_requesting_for,
    project_recipients,
    project_staff_people,
    user_is_project_staff,
    user_speaks_for_project,
)

if TYPE_CHECKING:
    from fabreck.accounts.models import User

# Who may make each move: staff run the project; the requester's side answers quotes and
# may withdraw a request that is not under way yet.
STAFF_MOVES = {"quoted", "declined", "in_progress", "delivered", "closed", "cancelled"}
REQUESTER_MOVES = {"accepted", "requested", "cancelled"}
REQUESTER_MAY_CANCEL_FROM = {"requested", "quoted"}


def project_locked(project: Project) -> Project:
    return (
        Project.objects.select_for_update(of=("self",))
        .select_related("organisation", "site", "lead", "requested_by")
        .get(pk=project.pk)
    )


def _ensure_may_move(project: Project, to: str, by: User) -> None:
    if to in STAFF_MOVES and user_is_project_staff(user=by, project=project):
        return
    if to in REQUESTER_MOVES and user_speaks_for_project(user=by, project=project):
        if to != "cancelled" or project.status in REQUESTER_MAY_CANCEL_FROM:
            return
    raise PermissionDenied(_("You may not change this project's status."))


def project_transition(
    *,
    project: Project,
    to: str,
    by: User,
    note: str = "",
    now: datetime | None = None,
    notify: bool = True,
    checked: bool = False,
) -> Project:
    """Move `project` to status `to` if the move is allowed and `by` may make it; record who
    and when; tell the project's people in their language.

    `checked=True` is for services that already hold the project's row lock inside their own
    transaction and have checked who acts (a quote acceptance moves the project itself)."""
    now = now or timezone.now()
    note = note.strip()
    if to not in ProjectStatus.values:
        raise ValidationError(_("Unknown status."), code="unknown_status")
    with transaction.atomic():
        if not checked:
            project = project_locked(project)
            _ensure_may_move(project, to, by)
        if not project.may_become(to):
            raise ValidationError(
                _("A project that is %(current)s cannot become %(target)s.")
                % {
                    "current": project.get_status_display().lower(),
                    "target": ProjectStatus(to).label.lower(),
                },
                code="transition_not_allowed",
            )
        if to == "declined" and not note:
            raise ValidationError(
                {"note": _("Say why the request is declined: the requester will read it.")},
                code="reason_required",
            )
        if to in ("quoted", "accepted", "in_progress", "delivered", "closed") and (
            project.site_id is None or project.lead_id is None
        ):
            raise ValidationError(
                _("Choose the site and the staff lead first."), code="not_triaged"
            )
        previous = project.status
        project.status = to
        project.status_changed_at = now
        fields = ["status", "status_changed_at", "updated_at"]
        if to == "declined":
            project.decline_reason = note
            fields.append("decline_reason")
        if to == "cancelled":
            project.cancel_reason = note
            fields.append("cancel_reason")
        if to == "delivered":
            project.delivered_at = now
            fields.append("delivered_at")
        project.save(update_fields=fields)
        StatusChange.objects.create(
            project=project,
            from_status=previous,
            to_status=to,
            changed_by=by,
            changed_at=now,
            note=note,
        )
        if notify:
            from fabreck.projects.mail import project_change_send

            project_change_send(
                project=project,
                actor=by,
                template="status_changed",
                context={"status_label": project.get_status_display(), "note": note},
            )
    return project


# --- requests, triage and timeline --------------------------------------------------------


PUBLIC_KINDS = {
    OrganisationKind.PUBLIC_BODY,
    OrganisationKind.SCHOOL,
    OrganisationKind.RESEARCH_BODY,
}
TRIAGE_STATUSES = ("requested", "quoted")


def requester_kind_of(organisation: Organisation | None) -> str:
    """How the statistics will count a request: the organisation's kind and size today."""
    if organisation is None:
        return RequesterKind.INDIVIDUAL
    if organisation.kind == OrganisationKind.NONPROFIT:
        return RequesterKind.NONPROFIT
    if (
        organisation.kind == OrganisationKind.LARGE_GROUP
        or organisation.size_band == OrganisationSize.LARGE
    ):
        return RequesterKind.LARGE_GROUP
    if organisation.kind == OrganisationKind.STARTUP:
        return RequesterKind.STARTUP
    if organisation.kind in PUBLIC_KINDS:
        return RequesterKind.PUBLIC
    return RequesterKind.SME


def attachments_check(files) -> None:
    """Every file of a request or a comment must be of an accepted kind and not too large;
    the message names the file. Nothing is stored before all of them pass."""
    allowed = {extension.lower() for extension in settings.PROJECTS_ATTACHMENT_EXTENSIONS}
    limit = settings.PROJECTS_ATTACHMENT_MAX_BYTES
    problems = []
    for upload in files:
        name = Path(upload.name or "").name
        extension = Path(name).suffix.lower().lstrip(".")
        if extension not in allowed:
            problems.append(
                ValidationError(
                    _("“%(name)s”: files of this type are not accepted (accepted: %(kinds)s).")
                    % {"name": name, "kinds": ", ".join(sorted(allowed))},
                    code="file_type",
                )
            )
        elif upload.size is None or upload.size > limit:
            problems.append(
                ValidationError(
                    _("“%(name)s” is too large: at most %(limit)s MB per file.")
                    % {"name": name, "limit": f"{limit / 2**20:.0f}"},
                    code="file_too_large",
                )
            )
        elif upload.size == 0:
            problems.append(
                ValidationError(_("“%(name)s” is empty.") % {"name": name}, code="file_empty")
            )
    if problems:
        raise ValidationError({"attachments": problems})


def _attachments_store(
    *, project: Project, comment: Comment | None, by: User, files, stored: list[str]
) -> None:
    """Save the files in private storage; `stored` collects their names so that a failed
    transaction can remove them from disk."""
    for upload in files:
        name = Path(upload.name).name[:200]
        attachment = Attachment(
            project=project,
            comment=comment,
            name=name,
            size=upload.size,
            content_type=(getattr(upload, "content_type", "") or "")[:100],
            uploaded_by=by,
        )
        # A random name on disk: the original one is kept for downloads only.
        attachment.file.save(f"{uuid4().hex}{Path(name).suffix.lower()}", upload, save=False)
        stored.append(attachment.file.name)
        attachment.save()


def _stored_files_remove(names: list[str]) -> None:
    storage = Attachment._meta.get_field("file").storage
    for name in names:
        storage.delete(name)


@dataclass(frozen=True)
class ProjectRequestData:
    title: str
    goal: str
    description: str
    machine_categories: list = field(default_factory=list)
    competences: list = field(default_factory=list)
    materials: str = ""
    quantity: int = 1
    deadline: date | None = None
    budget_range: str = BudgetRange.UNKNOWN
    confidential: bool = False


def project_request(
    *,
    by: User,
    organisation: Organisation | None,
    data: ProjectRequestData,
    files: list[UploadedFile] | tuple = (),
    now: datetime | None = None,
) -> Project:
    """`by` asks the FabLab to prototype something, for one of the organisations they own
    or administer (or as an individual maker). Records the first status, stores the files
    in private storage, confirms to the requester and tells the staff of every site."""
    now = now or timezone.now()
    files = list(files or ())
    if (
        organisation is not None
        and not organisations_requesting_for(user=by).filter(pk=organisation.pk).exists()
    ):
        raise ValidationError(
            {"organisation": _("You may only ask on behalf of an organisation you manage.")},
            code="not_manager",
        )
    if data.deadline is not None and data.deadline < timezone.localdate(now):
        raise ValidationError(
            {"deadline": _("The deadline cannot be in the past.")}, code="deadline_past"
        )
    attachments_check(files)
    project = Project(
        title=(data.title or "").strip(),
        goal=(data.goal or "").strip(),
        description=(data.description or "").strip(),
        requested_by=by,
        organisation=organisation,
        requester_kind=requester_kind_of(organisation),
        materials=(data.materials or "").strip(),
        quantity=data.quantity,
        deadline=data.deadline,
        budget_range=data.budget_range,
        confidential=bool(data.confidential),
        status=ProjectStatus.REQUESTED,
        status_changed_at=now,
    )
    project.full_clean(exclude=["site", "lead"])
    stored: list[str] = []
    try:
        with transaction.atomic():
            project.save()
            project.machine_categories.set(data.machine_categories)
            project.competences.set(data.competences)
            StatusChange.objects.create(
                project=project,
                from_status="",
                to_status=ProjectStatus.REQUESTED,
                changed_by=by,
                changed_at=now,
            )
            _attachments_store(project=project, comment=None, by=by, files=files, stored=stored)
            from fabreck.projects.mail import project_request_mail

            project_request_mail(project=project)
    except BaseException:
        _stored_files_remove(stored)
        raise
    return project


def project_triage(
    *, project: Project, by: User, site, lead: User, note: str = "", now: datetime | None = None
) -> Project:
    """Staff choose the site that fits the request and name its staff lead (again, while the
    request waits for a quote or its answer). The choice is written on the timeline and the
    project's people are told."""
    from fabreck.fablab.models import Site

    note = (note or "").strip()
    with transaction.atomic():
        project = project_locked(project)
        if not user_is_project_staff(user=by, project=project):
            raise PermissionDenied(_("Only the FabLab's staff may triage a request."))
        if project.status not in TRIAGE_STATUSES:
            raise ValidationError(
                _("A project that is %(current)s can no longer change its site or its lead.")
                % {"current": project.get_status_display().lower()},
                code="triage_closed",
            )
        if not isinstance(site, Site):
            raise ValidationError({"site": _("Choose a site.")}, code="site_required")
        if (
            lead is None
            or not lead.is_active
            or not site.staff.filter(pk=lead.pk).exists()
            or not lead.has_perm("accounts.run_site")
        ):
            raise ValidationError(
                {"lead": _("The staff lead must be a staff member of %(site)s.") % {"site": site}},
                code="lead_not_site_staff",
            )
        changed = project.site_id != site.pk or project.lead_id != lead.pk
        if not changed and not note:
            return project
        project.site = site
        project.lead = lead
        project.save(update_fields=["site", "lead", "updated_at"])
        lead_name = lead.get_full_name() or lead.email
        body = _("Site: %(site)s. Staff lead: %(lead)s.") % {"site": site.name, "lead": lead_name}
        if note:
            body = f"{body}\n{note}"
        Comment.objects.create(project=project, author=by, body=body, internal=False)
        from fabreck.projects.mail import project_change_send

        project_change_send(
            project=project,
            actor=by,
            template="triaged",
            context={"site": site, "lead_name": lead_name, "note": note},
        )
    return project


def project_comment(
    *,
    project: Project,
    by: User,
    body: str,
    internal: bool = False,
    files: list[UploadedFile] | tuple = (),
) -> Comment:
    """A message on the project's timeline, with files. The requester's side and staff
    write; internal notes are for staff only and never e-mailed to the organisation."""
    body = (body or "").strip()
    files = list(files or ())
    is_staff = user_is_project_staff(user=by, project=project)
    if not is_staff and not user_speaks_for_project(user=by, project=project):
        raise PermissionDenied(_("You may not write on this project's timeline."))
    if internal and not is_staff:
        raise PermissionDenied(_("Only staff may write internal notes."))
    if not body:
        raise ValidationError({"body": _("Write a message.")}, code="body_required")
    if len(body) > Comment._meta.get_field("body").max_length:
        raise ValidationError({"body": _("The message is too long.")}, code="body_too_long")
    attachments_check(files)
    stored: list[str] = []
    try:
        with transaction.atomic():
            comment = Comment.objects.create(
                project=project, author=by, body=body, internal=bool(internal)
            )
            _attachments_store(project=project, comment=comment, by=by, files=files, stored=stored)
            from fabreck.projects.mail import project_change_send, project_staff_mail

            context = {"comment": comment, "files": [Path(f.name).name for f in files]}
            if not comment.internal:
                # The requester's side and the lead.
                project_change_send(
                    project=project, actor=by, template="comment_added", context=context
                )
            if comment.internal or project.lead_id is None:
                # Staff only: the lead, or before triage the staff who will pick it up.
                told = (
                    set()
                    if comment.internal
                    else {p.pk for p in project_recipients(project=project)}
                )
                project_staff_mail(
                    project=project,
                    recipients=[
                        p for p in project_staff_people(project=project) if p.pk not in told
                    ],
                    actor=by,
                    template="comment_internal" if comment.internal else "comment_added",
                    context=context,
                )
    except BaseException:
        _stored_files_remove(stored)
        raise
    return comment


# --- Quotes and execution -------------------------------------------------------------------
#
# Decisions worth knowing:
# - Prices are copied into the lines when a quote is sent: machine hours at the rate of the
#   project's price group (the organisation's, or an individual maker's own), materials at
#   the site catalogue's price, staff hours at settings.PROJECTS_STAFF_HOURLY_RATE unless
#   staff type another rate. A later change of rates never changes a quote already sent.
# - A new version supersedes the one awaiting an answer. Only the current version awaiting
#   an answer may be accepted or rejected, by the requester's side, under the project's row
#   lock: two people answering at once get one answer and one clear refusal (proven on
#   PostgreSQL in tests/projects/test_quotes_concurrency.py).
# - Staff book machines for an accepted project; the first booking starts it (in progress).
#   A booking in the staff lead's name is staff work: the maker's rules (trainings, quota,
#   opening hours, membership of the organisation) do not apply, overlaps still do. A
#   booking in the requester's name follows the maker's rules unless staff override them.


QUOTABLE_STATUSES = ("requested", "quoted")
EXECUTION_STATUSES = ("accepted", "in_progress")
STAFF_TIME_STATUSES = ("accepted", "in_progress", "delivered")
MAX_QUOTE_LINES = 50
MAX_LINE_QUANTITY = Decimal("10000")
MAX_UNIT_PRICE = Decimal("99999.99")
MAX_QUOTE_TOTAL = Decimal("9999999999.99")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class QuoteLineInput:
    """One line as staff typed it. Machine and material lines take their price from the
    rates and the catalogue; staff lines from the settings unless `unit_price` is given;
    other lines need a description and a price."""

    kind: str
    quantity: Decimal | str | int | None
    resource: Resource | None = None
    material: Material | None = None
    description: str = ""
    unit_price: Decimal | str | int | None = None


def _decimal(value) -> Decimal | None:
    """A number typed by someone (a dot or a comma), or None when it is not one."""
    if value is None:
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _two_decimals(number: Decimal) -> bool:
    return number == number.quantize(CENT)


def _ensure_project_staff(user: User, project: Project, message: str) -> None:
    if not user_is_project_staff(user=user, project=project):
        raise PermissionDenied(message)


def quote_vat_rate_checked(vat_rate) -> Decimal:
    """The VAT rate of a quote: the settings' rate when none is given, else 0 to 100 %."""
    if _blank(vat_rate):
        return Decimal(str(settings.PROJECTS_VAT_RATE)).quantize(CENT)
    rate = _decimal(vat_rate)
    if rate is None or rate < 0 or rate > 100 or not _two_decimals(rate):
        raise ValidationError(
            {"vat_rate": _("Enter a VAT rate between 0 and 100 %, such as 17 or 8.5.")},
            code="vat_rate",
        )
    return rate.quantize(CENT)


def _line_priced(
    project: Project, number: int, line: QuoteLineInput, price_group
) -> tuple[QuoteLine | None, list[str]]:
    """The line with its copied price, or what is wrong with it (each problem names the
    line: staff see at once which one to fix)."""
    problems: list[str] = []

    def refuse(message: str) -> None:
        problems.append(_("Line %(number)d: %(problem)s") % {"number": number, "problem": message})

    if line.kind not in QuoteLineKind.values:
        refuse(_("choose machine hours, a material, staff hours or other."))
        return None, problems
    quantity = _decimal(line.quantity)
    if quantity is None:
        refuse(_("enter the quantity as a number, such as 2 or 0.5."))
    elif quantity <= 0:
        refuse(_("the quantity must be above zero."))
    elif quantity > MAX_LINE_QUANTITY or not _two_decimals(quantity):
        refuse(_("enter a quantity up to 10000 with at most two decimals."))
    typed_price = None
    if not _blank(line.unit_price):
        typed_price = _decimal(line.unit_price)
        if typed_price is None:
            refuse(_("enter the price as a number, such as 120 or 45.50."))
        elif typed_price < 0:
            refuse(_("a price cannot be negative."))
        elif typed_price > MAX_UNIT_PRICE or not _two_decimals(typed_price):
            refuse(_("enter a price up to 99999.99 with at most two decimals."))
    description = (line.description or "").strip()
    if len(description) > 200:
        refuse(_("keep the description under 200 characters."))
    unit, unit_price = "", None
    resource = material = None
    if line.kind == QuoteLineKind.MACHINE:
        resource = line.resource
        if resource is None:
            refuse(_("choose the machine."))
        elif resource.site_id != project.site_id:
            refuse(
                _("%(machine)s is not a machine of %(site)s.")
                % {"machine": resource.name, "site": project.site.name}
            )
        else:
            unit, description = "h", resource.name
            unit_price = hourly_rate_for(resource=resource, price_group=price_group)
    elif line.kind == QuoteLineKind.MATERIAL:
        material = line.material
        if material is None:
            refuse(_("choose the material."))
        elif material.site_id != project.site_id:
            refuse(
                _("%(material)s is not sold at %(site)s.")
                % {"material": material.name, "site": project.site.name}
            )
        elif not material.is_active:
            refuse(_("%(material)s is no longer on sale.") % {"material": material.name})
        else:
            unit, description = material.unit, material.name
            unit_price = material.unit_price
    elif line.kind == QuoteLineKind.STAFF:
        unit = "h"
        unit_price = (
            typed_price
            if typed_price is not None
            else Decimal(str(settings.PROJECTS_STAFF_HOURLY_RATE))
        )
    else:
        if not description:
            refuse(_("describe what the price is for."))
        if _blank(line.unit_price):
            refuse(_("enter the price."))
        unit_price = typed_price
    if problems or unit_price is None or quantity is None:
        return None, problems
    unit_price = Decimal(unit_price).quantize(CENT)
    return (
        QuoteLine(
            position=number,
            kind=line.kind,
            resource=resource,
            material=material,
            description=description[:200],
            quantity=quantity.quantize(CENT),
            unit=unit[:20],
            unit_price=unit_price,
            total=price_round(quantity * unit_price),
        ),
        problems,
    )


def quote_price_group(*, project: Project):
    """The price group of a project's machine hours: its organisation's; an individual
    maker's own (public unless staff recorded another)."""
    if project.organisation_id is not None:
        return price_group_for(maker=None, organisation=project.organisation)
    return price_group_for(maker=project.requested_by)


def quote_send(
    *,
    project: Project,
    by: User,
    lines: list[QuoteLineInput],
    vat_rate=None,
    valid_until: date | None = None,
    note: str = "",
) -> Quote:
    """Staff send version N+1 of the project's quote. The version awaiting an answer is
    superseded; a requested project becomes quoted; the project's people are told, each in
    their language. Bad lines: every problem named, nothing stored."""
    _ensure_project_staff(by, project, _("Only the project's staff may send a quote."))
    vat = quote_vat_rate_checked(vat_rate)
    note = (note or "").strip()
    if len(note) > 3000:
        raise ValidationError({"note": _("Keep the note under 3000 characters.")}, code="note")
    if valid_until is not None and valid_until < timezone.localdate():
        raise ValidationError(
            {"valid_until": _("The validity date is in the past.")}, code="valid_until"
        )
    lines = list(lines)
    if not lines:
        raise ValidationError(_("Add at least one line to the quote."), code="empty_quote")
    if len(lines) > MAX_QUOTE_LINES:
        raise ValidationError(
            _("A quote has at most %(count)d lines.") % {"count": MAX_QUOTE_LINES},
            code="too_many_lines",
        )
    with transaction.atomic():
        project = project_locked(project)
        _ensure_project_staff(by, project, _("Only the project's staff may send a quote."))
        if project.site_id is None or project.lead_id is None:
            raise ValidationError(
                _("Choose the site and the staff lead first."), code="not_triaged"
            )
        if project.status not in QUOTABLE_STATUSES:
            raise ValidationError(
                _("A project that is %(status)s gets no new quote.")
                % {"status": project.get_status_display().lower()},
                code="not_quotable",
            )
        price_group = quote_price_group(project=project)
        priced: list[QuoteLine] = []
        problems: list[str] = []
        for number, line in enumerate(lines, start=1):
            row, found = _line_priced(project, number, line, price_group)
            problems.extend(found)
            if row is not None:
                priced.append(row)
        if problems:
            raise ValidationError(problems, code="bad_lines")
        net = sum((row.total for row in priced), Decimal("0.00"))
        vat_total = price_round(net * vat / Decimal(100))
        gross = net + vat_total
        if gross > MAX_QUOTE_TOTAL:
            raise ValidationError(_("This quote's total is too large."), code="too_large")
        version = (project.quotes.aggregate(last=Max("version"))["last"] or 0) + 1
        project.quotes.filter(status=QuoteStatus.SENT).update(status=QuoteStatus.SUPERSEDED)
        quote = Quote.objects.create(
            project=project,
            version=version,
            status=QuoteStatus.SENT,
            price_group=price_group,
            vat_rate=vat,
            net_total=net,
            vat_total=vat_total,
            gross_total=gross,
            valid_until=valid_until,
            note=note,
            created_by=by,
        )
        for row in priced:
            row.quote = quote
        QuoteLine.objects.bulk_create(priced)
        if project.status == "requested":
            project = project_transition(
                project=project, to="quoted", by=by, checked=True, notify=False
            )
        from fabreck.projects.mail import project_change_send

        project_change_send(
            project=project, actor=by, template="quote_sent", context={"quote": quote}
        )
    quote.project = project
    return quote


def _ensure_answerable(quote: Quote, project: Project) -> None:
    """Only the current version awaiting an answer, of a project still quoted."""
    if quote.status == QuoteStatus.ACCEPTED:
        raise ValidationError(_("This quote is already accepted."), code="already_accepted")
    if quote.status == QuoteStatus.REJECTED:
        raise ValidationError(
            _("This quote was rejected: wait for the staff's new version."), code="rejected"
        )
    latest = project.quotes.aggregate(last=Max("version"))["last"]
    if quote.status == QuoteStatus.SUPERSEDED or quote.version != latest:
        raise ValidationError(
            _("Version %(old)d was replaced by version %(new)d: answer the current version.")
            % {"old": quote.version, "new": latest},
            code="superseded",
        )
    if project.status != "quoted":
        raise ValidationError(
            _("This project is %(status)s: its quote can no longer be answered.")
            % {"status": project.get_status_display().lower()},
            code="not_quoted",
        )


def _answer_locked(quote: Quote, by: User) -> tuple[Quote, Project]:
    project = project_locked(Project(pk=quote.project_id))
    if not user_speaks_for_project(user=by, project=project):
        raise PermissionDenied(
            _("Only the requester or the organisation's owners and admins may answer a quote.")
        )
    # Read again under the project's lock: every answer and every new version of the
    # project's quote waits for that lock, so what is read here cannot change before commit.
    quote = Quote.objects.get(pk=quote.pk)
    _ensure_answerable(quote, project)
    return quote, project


def quote_accept(*, quote: Quote, by: User, now: datetime | None = None) -> Quote:
    """The requester's side accepts the current version: the project becomes accepted and
    staff may book its machines. Accepting twice, or an old version: refused."""
    now = now or timezone.now()
    with transaction.atomic():
        quote, project = _answer_locked(quote, by)
        if quote.valid_until is not None and quote.valid_until < timezone.localdate(now):
            raise ValidationError(
                _("This quote expired on %(date)s: ask the staff for a new version.")
                % {"date": formats.date_format(quote.valid_until, "DATE_FORMAT")},
                code="expired",
            )
        quote.status = QuoteStatus.ACCEPTED
        quote.decided_by = by
        quote.decided_at = now
        quote.save(update_fields=["status", "decided_by", "decided_at"])
        project = project_transition(
            project=project, to="accepted", by=by, now=now, checked=True, notify=False
        )
        from fabreck.projects.mail import project_change_send

        project_change_send(
            project=project, actor=by, template="quote_accepted", context={"quote": quote}
        )
    quote.project = project
    return quote


def quote_reject(*, quote: Quote, by: User, reason: str, now: datetime | None = None) -> Quote:
    """The requester's side rejects the current version, saying why: the project goes back
    to requested until staff send a new version."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": _("Say why you reject the quote: the staff read it to prepare a new one.")},
            code="reason_required",
        )
    if len(reason) > 2000:
        raise ValidationError({"reason": _("Keep the reason under 2000 characters.")})
    with transaction.atomic():
        quote, project = _answer_locked(quote, by)
        quote.status = QuoteStatus.REJECTED
        quote.decided_by = by
        quote.decided_at = now
        quote.decision_note = reason
        quote.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        project = project_transition(
            project=project, to="requested", by=by, note=reason, now=now, checked=True,
            notify=False,
        )  # fmt: skip
        from fabreck.projects.mail import project_change_send

        project_change_send(
            project=project,
            actor=by,
            template="quote_rejected",
            context={"quote": quote, "reason": reason},
        )
    quote.project = project
    return quote


# --- Execution: bookings and staff time -----------------------------------------------------


def _ensure_executing(project: Project) -> None:
    if project.status not in EXECUTION_STATUSES:
        raise ValidationError(
            _(
                "Machines are booked for a project once its quote is accepted; this one is "
                "%(status)s."
            )
            % {"status": project.get_status_display().lower()},
            code="not_accepted",
        )


def _started(project: Project, by: User) -> Project:
    """The first booking of an accepted project starts the work."""
    if project.status == "accepted":
        return project_transition(project=project, to="in_progress", by=by, checked=True)
    return project


def project_booking_create(
    *,
    project: Project,
    by: User,
    resource: Resource,
    starts_at: datetime,
    ends_at: datetime,
    operator: str = "lead",
    override: bool = False,
    note: str = "",
) -> ProjectBooking:
    """Staff book a machine of the project's site for the project, in the FabLab calendar,
    in the staff lead's name (staff work) or the requester's (who comes to operate it)."""
    _ensure_project_staff(by, project, _("Only the project's staff may book for it."))
    if operator not in ("lead", "requester"):
        raise ValidationError({"operator": _("Choose the staff lead or the requester.")})
    with transaction.atomic():
        project = project_locked(project)
        _ensure_project_staff(by, project, _("Only the project's staff may book for it."))
        _ensure_executing(project)
        if resource.site_id != project.site_id:
            raise ValidationError(
                {
                    "resource": _("%(machine)s is not a machine of %(site)s.")
                    % {"machine": resource.name, "site": project.site.name}
                },
                code="other_site",
            )
        maker = project.lead if operator == "lead" else project.requested_by
        booking = booking_create(
            by=by,
            resource=resource,
            starts_at=starts_at,
            ends_at=ends_at,
            maker=maker,
            organisation=project.organisation,
            project_reference=project.reference,
            note=note,
            override=override or operator == "lead",
        )
        link = ProjectBooking.objects.create(project=project, booking=booking)
        link.project = _started(project, by)
    return link


def project_booking_link(*, project: Project, by: User, booking: Booking) -> ProjectBooking:
    """Staff count an existing booking of the project's site towards the project."""
    _ensure_project_staff(by, project, _("Only the project's staff may book for it."))
    with transaction.atomic():
        project = project_locked(project)
        _ensure_project_staff(by, project, _("Only the project's staff may book for it."))
        _ensure_executing(project)
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("resource")
            .get(pk=booking.pk)
        )
        if booking.resource.site_id != project.site_id:
            raise ValidationError(
                {"booking": _("This booking is at another site than the project.")},
                code="other_site",
            )
        if booking.kind != Booking.Kind.BOOKING or booking.status != Booking.Status.CONFIRMED:
            raise ValidationError(
                {"booking": _("Only a confirmed booking of a maker can count for a project.")},
                code="not_a_booking",
            )
        other = ProjectBooking.objects.filter(booking=booking).select_related("project").first()
        if other is not None:
            raise ValidationError(
                {
                    "booking": _("This booking already counts for project %(reference)s.")
                    % {"reference": other.project.reference}
                },
                code="already_linked",
            )
        link = ProjectBooking.objects.create(project=project, booking=booking)
        link.project = _started(project, by)
    return link


def staff_time_record(
    *,
    project: Project,
    by: User,
    day: date,
    hours,
    hourly_rate=None,
    note: str = "",
) -> StaffTime:
    """Staff record hours they spent on the project, at the settings' rate unless they
    type another. 0 < hours <= 24, a day that is not in the future."""
    _ensure_project_staff(by, project, _("Only the project's staff may record their time."))
    errors: dict[str, str] = {}
    number = _decimal(hours)
    if number is None or number <= 0 or number > 24 or not _two_decimals(number):
        errors["hours"] = _("Enter the hours, above 0 and at most 24, such as 1.5.")
    if _blank(hourly_rate):
        rate = Decimal(str(settings.PROJECTS_STAFF_HOURLY_RATE))
    else:
        rate = _decimal(hourly_rate)
        if rate is None or rate < 0 or rate > Decimal("999999.99") or not _two_decimals(rate):
            errors["hourly_rate"] = _("Enter an hourly rate of 0 or more, such as 55.")
    if day is None or day > timezone.localdate():
        errors["day"] = _("Time is recorded for today or a day before.")
    note = (note or "").strip()
    if len(note) > 300:
        errors["note"] = _("Keep the note under 300 characters.")
    if errors:
        raise ValidationError(errors, code="invalid")
    with transaction.atomic():
        project = project_locked(project)
        if project.status not in STAFF_TIME_STATUSES:
            raise ValidationError(
                _("Staff time is recorded once the quote is accepted; this project is %(status)s.")
                % {"status": project.get_status_display().lower()},
                code="not_accepted",
            )
        return StaffTime.objects.create(
            project=project,
            staff=by,
            day=day,
            hours=number.quantize(CENT),
            hourly_rate=rate.quantize(CENT),
            note=note,
        )
