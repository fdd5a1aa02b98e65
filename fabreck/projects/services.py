"""Writes of prototyping projects. Each runs in one transaction; e-mails leave on commit."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fabreck.projects.models import Project, ProjectStatus, StatusChange
from fabreck.projects.selectors import user_is_project_staff, user_speaks_for_project

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
from dataclasses import dataclass, field  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402
from uuid import uuid4  # noqa: E402

from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import UploadedFile  # noqa: E402

from fabreck.cluster.models import Organisation, OrganisationKind, OrganisationSize  # noqa: E402
from fabreck.projects.models import (  # noqa: E402
    Attachment,
    BudgetRange,
    Comment,
    RequesterKind,
)
from fabreck.projects.selectors import (  # noqa: E402
    organisations_requesting_for,
    project_recipients,
    project_staff_people,
)

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
