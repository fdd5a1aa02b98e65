"""Writes of prototyping projects. Each runs in one transaction; e-mails leave on commit."""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import uuid4

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from fabreck.cluster.models import (
    Organisation,
    OrganisationKind,
    OrganisationPerson,
    OrganisationSize,
    Sector,
)
from fabreck.core.i18n import LANGUAGE_CODES
from fabreck.core.mail import email_send_on_commit
from fabreck.core.secrets import secret_digest
from fabreck.core.text import search_normalize
from fabreck.fablab.models import Booking, Material, Resource, Site
from fabreck.fablab.selectors import hourly_rate_for, price_group_for, price_round
from fabreck.fablab.services import booking_create
from fabreck.projects.models import (
    Attachment,
    BudgetRange,
    Collaborator,
    Comment,
    Documentation,
    DocumentationFile,
    DocumentationStatus,
    Licence,
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
    Step,
)
from fabreck.projects.selectors import (
    MANAGING_ROLES,
    organisations_requesting_for,
    project_recipients,
    project_staff_people,
    user_edits_documentation,
    user_is_documentation_author,
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


# --- gallery: documentations, steps, files, collaborators, publishing ----------------------
# Imports of this section stay here so that the section merges as one block.


DOCUMENTABLE_STATUSES = ("delivered", "closed")
# Slugs the gallery's own pages use: no documentation may take them.
GALLERY_RESERVED_SLUGS = frozenset({"mine", "new", "invitations", "from-project"})
GALLERY_IMAGE_MAX_BYTES = 5 * 2**20
GALLERY_IMAGE_FORMATS = {"PNG", "JPEG", "WEBP"}
GALLERY_MAX_STEPS = 60
GALLERY_MAX_FILES = 30
GALLERY_MAX_MACHINES = 30
GALLERY_MAX_MATERIALS = 30
GALLERY_MAX_COLLABORATORS = 20
SEARCH_PART_SEPARATOR = " | "  # search_normalize never leaves a "|": migration 0004 splits on it


def documentation_search_text_build(
    *,
    title: str,
    summary: str = "",
    organisation: str = "",
    machines: Iterable[str] = (),
    materials: Iterable[str] = (),
    steps: Iterable[str] = (),
) -> str:
    """The normalised text the gallery searches, in four parts weighted A, B, C and D on
    PostgreSQL (migration 0004): title | summary, organisation | machines, materials | steps.
    """
    return SEARCH_PART_SEPARATOR.join(
        search_normalize(" ".join(part))
        for part in ([title], [summary, organisation], [*machines, *materials], steps)
    )


@contextmanager
def gallery_search_table_deferred() -> Iterator[None]:
    """For bulk loads (the seeder): inside, the gallery search table's triggers wait; at
    the end, in the same transaction, the table is rebuilt once (PostgreSQL)."""
    from django.db import connection

    if connection.vendor != "postgresql" or (
        "projects_gallery_entry" not in connection.introspection.table_names()
    ):
        with transaction.atomic():
            yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL fabreck.gallery_refresh = 'deferred'")
        yield
        cursor.execute("SET LOCAL fabreck.gallery_refresh = 'immediate'")
        cursor.execute("SELECT projects_gallery_rebuild()")


def machine_search_words(resource: Resource) -> list[str]:
    """A machine is found by its name and its category's name in every language."""
    words = [resource.name]
    if resource.category is not None:
        words += [getattr(resource.category, f"name_{code}") for code in LANGUAGE_CODES]
    return words


def material_search_words(material: Material) -> list[str]:
    return [getattr(material, f"name_{code}") for code in LANGUAGE_CODES]


def documentation_search_text_refresh(*, documentation: Documentation) -> None:
    """Rebuild `search_text` from the documentation, its machines, materials and steps."""
    machines = documentation.machines.select_related("category")
    text = documentation_search_text_build(
        title=documentation.title,
        summary=documentation.summary,
        organisation=documentation.organisation.name if documentation.organisation_id else "",
        machines=[word for machine in machines for word in machine_search_words(machine)],
        materials=[
            word
            for material in documentation.materials.all()
            for word in material_search_words(material)
        ],
        steps=[
            f"{title} {body}" for title, body in documentation.steps.values_list("title", "body")
        ],
    )
    Documentation.objects.filter(pk=documentation.pk).update(search_text=text)
    documentation.search_text = text


def _ensure_edits(documentation: Documentation, by: User) -> None:
    if not user_edits_documentation(user=by, documentation=documentation):
        raise PermissionDenied(
            _("Only the author and the collaborators may change this documentation.")
        )


def _ensure_author(documentation: Documentation, by: User) -> None:
    if not user_is_documentation_author(user=by, documentation=documentation):
        raise PermissionDenied(_("Only the author of this documentation may do this."))


def _documentation_locked(documentation: Documentation) -> Documentation:
    return (
        Documentation.objects.select_for_update(of=("self",))
        .select_related("project", "organisation")
        .get(pk=documentation.pk)
    )


def _image_checked(image: UploadedFile, *, field: str) -> None:
    """Pillow opens the file: what is not a PNG, JPEG or WebP image of 5 MB at most is
    refused."""
    from PIL import Image, UnidentifiedImageError

    not_an_image = _("This file is not an image. Upload a PNG, JPEG or WebP file.")
    if image.size and image.size > GALLERY_IMAGE_MAX_BYTES:
        raise ValidationError({field: _("The image is too large: at most 5 MB.")})
    try:
        image.seek(0)
        with Image.open(io.BytesIO(image.read())) as opened:
            image_format = opened.format
            opened.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        raise ValidationError({field: not_an_image}) from error
    finally:
        image.seek(0)
    if image_format not in GALLERY_IMAGE_FORMATS:
        raise ValidationError({field: not_an_image})


def _image_name(image: UploadedFile) -> str:
    """A name nobody guesses: the media folder is public, drafts are not."""
    suffix = Path(image.name or "").suffix.lower()[:8]
    return f"{secrets.token_urlsafe(12)}{suffix}"


def _slug_for(title: str) -> str:
    base = slugify(title)[:80].strip("-") or "project"
    if base in GALLERY_RESERVED_SLUGS:
        base = f"{base}-project"
    taken = set(Documentation.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _text(value: str, *, field: str, label: str, max_length: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: _("Give the %(label)s.") % {"label": label}})
    if len(value) > max_length:
        raise ValidationError({field: _("At most %(n)d characters, please.") % {"n": max_length}})
    return value


def _organisation_checked(organisation: Organisation | None, by: User) -> None:
    if organisation is None:
        return
    if not OrganisationPerson.objects.filter(
        organisation=organisation, user=by, role__in=MANAGING_ROLES
    ).exists():
        raise ValidationError(
            {
                "organisation": _(
                    "Only an owner or admin of %(name)s may document a project in its name."
                )
                % {"name": organisation.name}
            }
        )


def _links_checked(machines: Iterable, materials: Iterable) -> tuple[list, list]:
    machines, materials = list(dict.fromkeys(machines)), list(dict.fromkeys(materials))
    if len(machines) > GALLERY_MAX_MACHINES:
        raise ValidationError(
            {"machines": _("At most %(n)d machines, please.") % {"n": GALLERY_MAX_MACHINES}}
        )
    if len(materials) > GALLERY_MAX_MATERIALS:
        raise ValidationError(
            {"materials": _("At most %(n)d materials, please.") % {"n": GALLERY_MAX_MATERIALS}}
        )
    return machines, materials


def documentation_create(
    *,
    by: User,
    title: str,
    summary: str,
    licence: str = Licence.CC_BY_SA,
    site: Site | None = None,
    sector: Sector | None = None,
    organisation: Organisation | None = None,
    machines: Iterable[Resource] = (),
    materials: Iterable[Material] = (),
    project: Project | None = None,
    cover: UploadedFile | None = None,
) -> Documentation:
    """A draft documentation written by `by`. With a `project`, its confidentiality is
    copied (a confidential project can be documented, privately: never published)."""
    title = _text(title, field="title", label=_("title"), max_length=160)
    summary = _text(summary, field="summary", label=_("summary"), max_length=1000)
    if licence not in Licence.values:
        raise ValidationError({"licence": _("Choose one of the licences offered.")})
    machines, materials = _links_checked(machines, materials)
    if project is not None:
        _project_documentable_checked(project, by)
        organisation = project.organisation
    else:
        _organisation_checked(organisation, by)
    if cover:
        _image_checked(cover, field="cover")
    with transaction.atomic():
        documentation = Documentation(
            slug=_slug_for(title),
            title=title,
            summary=summary,
            author=by,
            organisation=organisation,
            project=project,
            site=site,
            sector=sector,
            licence=licence,
            confidential=bool(project is not None and project.confidential),
        )
        if cover:
            documentation.cover.save(_image_name(cover), cover, save=False)
        try:
            with transaction.atomic():
                documentation.save()
        except IntegrityError as error:
            if project is not None and Documentation.objects.filter(project=project).exists():
                raise ValidationError(
                    _("This project is documented already: edit its documentation.")
                ) from error
            raise ValidationError(
                {"title": _("Another documentation took this address just now: try again.")}
            ) from error
        documentation.machines.set(machines)
        documentation.materials.set(materials)
        documentation_search_text_refresh(documentation=documentation)
    return documentation


def _project_documentable_checked(project: Project, by: User) -> None:
    if not user_speaks_for_project(user=by, project=project):
        raise PermissionDenied(_("Only the people who speak for the project may document it."))
    if project.status not in DOCUMENTABLE_STATUSES:
        raise ValidationError(_("A project can be documented once it is delivered."))
    if Documentation.objects.filter(project=project).exists():
        raise ValidationError(_("This project is documented already: edit its documentation."))


def documentation_from_project(*, project: Project, by: User) -> Documentation:
    """ "Document this project": a draft prefilled with the project's title, goal, site, and
    the machines and materials of its bookings (if any)."""
    from fabreck.fablab.models import Booking, MaterialUse

    _project_documentable_checked(project, by)
    bookings = project.bookings.values_list("booking_id", flat=True)
    machines = Resource.objects.filter(
        pk__in=Booking.objects.filter(pk__in=bookings)
        .exclude(status="cancelled")
        .values("resource_id")
    ).order_by("pk")
    materials = (
        Material.objects.filter(
            pk__in=MaterialUse.objects.filter(booking_id__in=bookings).values("material_id")
        )
        .distinct()
        .order_by("pk")
    )
    return documentation_create(
        by=by,
        title=project.title,
        summary=(project.goal or project.description)[:1000],
        site=project.site,
        project=project,
        machines=list(machines),
        materials=list(materials),
    )


DOCUMENTATION_EDITABLE = (
    "title",
    "summary",
    "licence",
    "site",
    "sector",
    "organisation",
    "machines",
    "materials",
    "cover",
)


def documentation_update(*, documentation: Documentation, by: User, **changes) -> Documentation:
    """Change what is given of DOCUMENTATION_EDITABLE. `cover=None` keeps the picture,
    `cover=False` removes it. A published documentation stays published."""
    unknown = set(changes) - set(DOCUMENTATION_EDITABLE)
    if unknown:
        raise TypeError(f"not editable: {', '.join(sorted(unknown))}")
    _ensure_edits(documentation, by)
    if "title" in changes:
        changes["title"] = _text(changes["title"], field="title", label=_("title"), max_length=160)
    if "summary" in changes:
        changes["summary"] = _text(
            changes["summary"], field="summary", label=_("summary"), max_length=1000
        )
    if "licence" in changes and changes["licence"] not in Licence.values:
        raise ValidationError({"licence": _("Choose one of the licences offered.")})
    if "machines" in changes or "materials" in changes:
        machines, materials = _links_checked(
            changes.get("machines", ()), changes.get("materials", ())
        )
    cover = changes.pop("cover", None)
    if cover:
        _image_checked(cover, field="cover")
    old_cover = ""
    with transaction.atomic():
        documentation = _documentation_locked(documentation)
        if "organisation" in changes:
            if documentation.project_id is not None:
                changes.pop("organisation")  # the project's organisation, always
            elif changes["organisation"] != documentation.organisation:
                _organisation_checked(changes["organisation"], by)
        fields = ["updated_at"]
        for name in ("title", "summary", "licence", "site", "sector", "organisation"):
            if name in changes:
                setattr(documentation, name, changes[name])
                fields.append(name)
        if cover is False and documentation.cover:
            old_cover = documentation.cover.name
            documentation.cover = ""
            fields.append("cover")
        elif cover:
            old_cover = documentation.cover.name if documentation.cover else ""
            documentation.cover.save(_image_name(cover), cover, save=False)
            fields.append("cover")
        documentation.save(update_fields=fields)
        if "machines" in changes:
            documentation.machines.set(machines)
        if "materials" in changes:
            documentation.materials.set(materials)
        documentation_search_text_refresh(documentation=documentation)
        if old_cover:
            storage = documentation.cover.storage
            transaction.on_commit(lambda: storage.delete(old_cover))
    return documentation


def documentation_delete(*, documentation: Documentation, by: User) -> None:
    """The author removes the documentation with its steps, files and invitations."""
    _ensure_author(documentation, by)
    names = [documentation.cover.name] if documentation.cover else []
    names += [s.image.name for s in documentation.steps.all() if s.image]
    names += [f.file.name for f in documentation.files.all() if f.file]
    storage = documentation.cover.storage
    with transaction.atomic():
        documentation.delete()
        transaction.on_commit(lambda: [storage.delete(name) for name in names])


def documentation_confidential_sync(*, project: Project) -> Documentation | None:
    """Copy the project's confidentiality to its documentation; a documentation that is
    published when its project becomes confidential is withdrawn at once. For the services
    that change a project's confidentiality (the database refuses a published
    confidential documentation anyway)."""
    with transaction.atomic():
        documentation = (
            Documentation.objects.select_for_update().filter(project_id=project.pk).first()
        )
        if documentation is None:
            return None
        confidential = Project.objects.filter(pk=project.pk, confidential=True).exists()
        if documentation.confidential != confidential:
            documentation.confidential = confidential
            fields = ["confidential", "updated_at"]
            if confidential and documentation.status == DocumentationStatus.PUBLISHED:
                documentation.status = DocumentationStatus.WITHDRAWN
                fields.append("status")
            documentation.save(update_fields=fields)
    return documentation


def documentation_project_link(
    *, documentation: Documentation, project: Project, by: User
) -> Documentation:
    """Tie a documentation written from scratch to the project it tells: the author must
    speak for the delivered project; the project's confidentiality and organisation follow."""
    _ensure_author(documentation, by)
    _project_documentable_checked(project, by)
    with transaction.atomic():
        documentation = _documentation_locked(documentation)
        if documentation.project_id is not None:
            raise ValidationError(_("This documentation already tells a project."))
        project = Project.objects.select_for_update().get(pk=project.pk)
        documentation.project = project
        documentation.organisation = project.organisation
        documentation.confidential = project.confidential
        fields = ["project", "organisation", "confidential", "updated_at"]
        if project.confidential and documentation.status == DocumentationStatus.PUBLISHED:
            documentation.status = DocumentationStatus.WITHDRAWN
            fields.append("status")
        try:
            with transaction.atomic():
                documentation.save(update_fields=fields)
        except IntegrityError as error:
            raise ValidationError(
                _("This project is documented already: edit its documentation.")
            ) from error
        documentation_search_text_refresh(documentation=documentation)
    return documentation


def documentation_publish(
    *, documentation: Documentation, by: User, consent: bool, now: datetime | None = None
) -> Documentation:
    """Show the documentation in the public gallery. Only its author may, only with their
    consent to publish it under the licence chosen, and never a confidential project's."""
    _ensure_author(documentation, by)
    if not consent:
        raise ValidationError(
            {
                "consent": _(
                    "Tick the box to agree to publish this documentation publicly under the"
                    " licence chosen."
                )
            },
            code="consent_required",
        )
    now = now or timezone.now()
    with transaction.atomic():
        documentation = _documentation_locked(documentation)
        project_confidential = documentation.project_id is not None and (
            Project.objects.filter(pk=documentation.project_id, confidential=True).exists()
        )
        if documentation.confidential or project_confidential:
            raise ValidationError(
                _(
                    "This project is confidential (under NDA): its documentation can never be"
                    " published."
                ),
                code="confidential",
            )
        if documentation.status == DocumentationStatus.PUBLISHED:
            raise ValidationError(_("This documentation is published already."), code="published")
        documentation.status = DocumentationStatus.PUBLISHED
        documentation.consent_at = now
        documentation.published_at = now
        documentation.save(update_fields=["status", "consent_at", "published_at", "updated_at"])
    return documentation


def documentation_withdraw(*, documentation: Documentation, by: User) -> Documentation:
    """Take the documentation out of the public gallery (its author; or an administrator,
    for a documentation that should not be there)."""
    if not by.has_perm("projects.change_documentation"):
        _ensure_author(documentation, by)
    with transaction.atomic():
        documentation = _documentation_locked(documentation)
        if documentation.status != DocumentationStatus.PUBLISHED:
            raise ValidationError(_("This documentation is not published."), code="not_published")
        documentation.status = DocumentationStatus.WITHDRAWN
        documentation.save(update_fields=["status", "updated_at"])
    return documentation


# Steps -----------------------------------------------------------------------------------


def step_add(
    *,
    documentation: Documentation,
    by: User,
    title: str,
    body: str,
    image: UploadedFile | None = None,
) -> Step:
    _ensure_edits(documentation, by)
    title = _text(title, field="title", label=_("title of the step"), max_length=160)
    body = _text(body, field="body", label=_("description of the step"), max_length=10000)
    if image:
        _image_checked(image, field="image")
    with transaction.atomic():
        documentation = _documentation_locked(documentation)
        if documentation.steps.count() >= GALLERY_MAX_STEPS:
            raise ValidationError(
                _("A documentation has at most %(n)d steps.") % {"n": GALLERY_MAX_STEPS}
            )
        last = documentation.steps.aggregate(last=Max("position"))["last"] or 0
        step = Step(documentation=documentation, position=last + 1, title=title, body=body)
        if image:
            step.image.save(_image_name(image), image, save=False)
        step.save()
        documentation.save(update_fields=["updated_at"])
        documentation_search_text_refresh(documentation=documentation)
    return step


def step_update(
    *,
    step: Step,
    by: User,
    title: str | None = None,
    body: str | None = None,
    image: UploadedFile | bool | None = None,
) -> Step:
    """Change a step; `image=False` removes its picture, `None` keeps it."""
    _ensure_edits(step.documentation, by)
    if title is not None:
        title = _text(title, field="title", label=_("title of the step"), max_length=160)
    if body is not None:
        body = _text(body, field="body", label=_("description of the step"), max_length=10000)
    if image:
        _image_checked(image, field="image")
    with transaction.atomic():
        documentation = _documentation_locked(step.documentation)
        step = Step.objects.select_for_update().get(pk=step.pk)
        old_image = ""
        if title is not None:
            step.title = title
        if body is not None:
            step.body = body
        if image is False and step.image:
            old_image, step.image = step.image.name, ""
        elif image:
            old_image = step.image.name if step.image else ""
            step.image.save(_image_name(image), image, save=False)
        step.save()
        documentation.save(update_fields=["updated_at"])
        documentation_search_text_refresh(documentation=documentation)
        if old_image:
            storage = step.image.storage
            transaction.on_commit(lambda: storage.delete(old_image))
    return step


def _positions_write(documentation: Documentation, ordered_ids: list[int]) -> None:
    """Number the steps 1, 2, 3… in this order (moved out of the way first: the database
    holds one step per position)."""
    steps = documentation.steps
    steps.update(position=F("position") + 10000)
    for position, pk in enumerate(ordered_ids, start=1):
        steps.filter(pk=pk).update(position=position)


def steps_reorder(*, documentation: Documentation, by: User, order: list[int]) -> None:
    """Put the steps in the order of `order` (every step's id, once)."""
    _ensure_edits(documentation, by)
    with transaction.atomic():
        documentation = _documentation_locked(documentation)
        current = list(documentation.steps.values_list("pk", flat=True))
        if sorted(order) != sorted(current) or len(set(order)) != len(order):
            raise ValidationError(
                {"order": _("Give every step of this documentation once, in the new order.")}
            )
        _positions_write(documentation, list(order))
        documentation.save(update_fields=["updated_at"])


def step_move(*, step: Step, by: User, direction: str) -> None:
    """One place up or down (nothing happens at either end)."""
    if direction not in ("up", "down"):
        raise ValidationError(_("Move a step up or down."))
    documentation = step.documentation
    _ensure_edits(documentation, by)
    with transaction.atomic():
        documentation = _documentation_locked(documentation)
        order = list(documentation.steps.order_by("position").values_list("pk", flat=True))
        if step.pk not in order:
            raise ValidationError(_("This step has been removed meanwhile."))
        i = order.index(step.pk)
        j = i - 1 if direction == "up" else i + 1
        if 0 <= j < len(order):
            order[i], order[j] = order[j], order[i]
            _positions_write(documentation, order)


def step_delete(*, step: Step, by: User) -> None:
    documentation = step.documentation
    _ensure_edits(documentation, by)
    with transaction.atomic():
        documentation = _documentation_locked(documentation)
        image = step.image.name if step.image else ""
        storage = step.image.storage
        Step.objects.filter(pk=step.pk).delete()
        _positions_write(
            documentation,
            list(documentation.steps.order_by("position").values_list("pk", flat=True)),
        )
        documentation.save(update_fields=["updated_at"])
        documentation_search_text_refresh(documentation=documentation)
        if image:
            transaction.on_commit(lambda: storage.delete(image))


# Files -----------------------------------------------------------------------------------


def documentation_file_checked(upload: UploadedFile) -> None:
    """The type (by extension) and the size the projects accept for attachments."""
    name = Path(upload.name or "").name
    extension = Path(name).suffix.lower().lstrip(".")
    allowed = settings.PROJECTS_ATTACHMENT_EXTENSIONS
    if not name or extension not in allowed:
        raise ValidationError(
            {
                "file": _("Files of this type are not accepted. Accepted: %(types)s.")
                % {"types": ", ".join(allowed)}
            }
        )
    limit = settings.PROJECTS_ATTACHMENT_MAX_BYTES
    if not upload.size:
        raise ValidationError({"file": _("The file is empty.")})
    if upload.size > limit:
        raise ValidationError(
            {"file": _("The file is too large: at most %(mb)s MB.") % {"mb": f"{limit / 2**20:g}"}}
        )


def documentation_file_add(
    *, documentation: Documentation, by: User, upload: UploadedFile
) -> DocumentationFile:
    """A file shared with the documentation (public with it once published)."""
    _ensure_edits(documentation, by)
    documentation_file_checked(upload)
    name = Path(upload.name).name[:200]
    with transaction.atomic():
        documentation = _documentation_locked(documentation)
        if documentation.files.count() >= GALLERY_MAX_FILES:
            raise ValidationError(
                _("A documentation shares at most %(n)d files.") % {"n": GALLERY_MAX_FILES}
            )
        shared = DocumentationFile(documentation=documentation, name=name, size=upload.size)
        # A folder nobody guesses: the media folder is public, drafts are not.
        shared.file.save(f"{secrets.token_urlsafe(12)}/{slugify_filename(name)}", upload, False)
        shared.save()
        documentation.save(update_fields=["updated_at"])
    return shared


def slugify_filename(name: str) -> str:
    stem, suffix = Path(name).stem, Path(name).suffix.lower()
    return f"{slugify(stem)[:80] or 'file'}{suffix[:10]}"


def documentation_file_delete(*, shared: DocumentationFile, by: User) -> None:
    _ensure_edits(shared.documentation, by)
    name, storage = shared.file.name, shared.file.storage
    with transaction.atomic():
        DocumentationFile.objects.filter(pk=shared.pk).delete()
        if name:
            transaction.on_commit(lambda: storage.delete(name))


# Collaborators ---------------------------------------------------------------------------


def collaborator_invite(
    *, documentation: Documentation, by: User, email: str
) -> tuple[Collaborator, str]:
    """The author invites someone by e-mail to write with them; returns the invitation and
    its secret link's token (sent by e-mail, stored only as its digest)."""
    _ensure_author(documentation, by)
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid e-mail address.")}) from None
    if email == (documentation.author.email or "").lower():
        raise ValidationError({"email": _("The author writes this documentation already.")})
    already = _("%(email)s has already been invited.") % {"email": email}
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        documentation = _documentation_locked(documentation)
        if documentation.collaborators.filter(email=email).exists():
            raise ValidationError({"email": already})
        if documentation.collaborators.count() >= GALLERY_MAX_COLLABORATORS:
            raise ValidationError(
                {
                    "email": _("A documentation has at most %(n)d collaborators.")
                    % {"n": GALLERY_MAX_COLLABORATORS}
                }
            )
        try:
            with transaction.atomic():
                collaborator = Collaborator.objects.create(
                    documentation=documentation,
                    email=email,
                    invited_by=by,
                    token_digest=secret_digest(secret),
                )
        except IntegrityError as error:
            raise ValidationError({"email": already}) from error
        _collaborator_invitation_mail(collaborator=collaborator, secret=secret)
    return collaborator, secret


def _collaborator_invitation_mail(*, collaborator: Collaborator, secret: str) -> None:
    # Someone with an account reads it in their language; others in the inviter's.
    from fabreck.accounts.models import User as UserModel

    invitee = UserModel.objects.filter(email__iexact=collaborator.email).first()
    language = (invitee or collaborator.invited_by).preferred_language
    with translation.override(language):
        text = render_to_string(
            "projects/email/collaborator_invitation.txt",
            {
                "documentation": collaborator.documentation,
                "inviter": collaborator.invited_by,
                "accept_url": settings.SITE_URL
                + reverse("projects:gallery-invitation", args=[secret]),
            },
        )
        subject, _blank, body = text.strip().partition("\n")
        subject = _("[Fabreck] %(subject)s") % {"subject": subject.strip()}
    email_send_on_commit(EmailMessage(subject=subject, body=body.lstrip(), to=[collaborator.email]))


def collaborator_find(*, secret: str) -> Collaborator:
    """The pending invitation of a secret link, or a clear message why it is not usable."""
    collaborator = (
        Collaborator.objects.select_related("documentation", "invited_by")
        .filter(token_digest=secret_digest(secret or ""))
        .first()
    )
    if collaborator is None:
        raise ValidationError(
            _("This invitation link is not valid (or the author withdrew the invitation)."),
            code="invalid",
        )
    if collaborator.accepted_at is not None:
        raise ValidationError(_("This invitation has already been used."), code="used")
    return collaborator


def collaborator_accept(*, secret: str, user: User) -> Collaborator:
    """The invited person joins the documentation's writers. The link works once, and only
    for an account with the invited address verified."""
    from allauth.account.models import EmailAddress

    with transaction.atomic():
        collaborator = collaborator_find(secret=secret)
        collaborator = Collaborator.objects.select_for_update().get(pk=collaborator.pk)
        if collaborator.accepted_at is not None:
            raise ValidationError(_("This invitation has already been used."), code="used")
        if not EmailAddress.objects.filter(
            user=user, email__iexact=collaborator.email, verified=True
        ).exists():
            raise ValidationError(
                _(
                    "This invitation was sent to %(email)s. Sign in with an account where this"
                    " address is verified to accept it."
                )
                % {"email": collaborator.email},
                code="other_address",
            )
        if collaborator.documentation.author_id == user.pk:
            raise ValidationError(_("You are the author of this documentation."), code="author")
        collaborator.user = user
        collaborator.accepted_at = timezone.now()
        collaborator.save(update_fields=["user", "accepted_at"])
    return collaborator


def collaborator_remove(*, collaborator: Collaborator, by: User) -> None:
    """The author removes a collaborator or withdraws a pending invitation (its link stops
    working)."""
    _ensure_author(collaborator.documentation, by)
    Collaborator.objects.filter(pk=collaborator.pk).delete()
