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
