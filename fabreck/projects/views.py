"""Pages of prototyping projects. Views stay thin: parse, call a service or a selector,
render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from fabreck.projects import selectors


@login_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The project's page for its people and staff: the request, the quotes, the work done
    and the timeline (each panel is a template tag of its own capability)."""
    project = selectors.project_visible_to(pk=pk, user=request.user)
    return render(
        request,
        "projects/detail.html",
        {
            "project": project,
            "is_staff": selectors.user_is_project_staff(user=request.user, project=project),
            "speaks_for": selectors.user_speaks_for_project(user=request.user, project=project),
        },
    )
