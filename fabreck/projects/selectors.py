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
