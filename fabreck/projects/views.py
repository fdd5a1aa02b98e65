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


# --- statistics (projstats) ---------------------------------------------------------------

from django.core.exceptions import PermissionDenied  # noqa: E402
from django.utils.translation import gettext as _  # noqa: E402
from django.views.decorators.http import require_GET  # noqa: E402

from fabreck.core.exports import csv_response, xlsx_response  # noqa: E402
from fabreck.projects.forms import ProjectStatisticsFilterForm  # noqa: E402


def statistics_allowed(user) -> bool:
    """Site staff and cluster managers read the projects' statistics."""
    return user.is_authenticated and (
        user.has_perm("accounts.run_site") or user.has_perm("accounts.manage_cluster")
    )


def _statistics_of(request: HttpRequest):
    if not statistics_allowed(request.user):
        raise PermissionDenied(_("Only staff and cluster managers read the statistics."))
    first, last = selectors.statistics_year_span()
    form = ProjectStatisticsFilterForm(
        request.GET or None, first_year=max(first, last - 9), last_year=last
    )
    chosen = form.filters()
    stats = selectors.project_statistics(
        first_year=chosen["first_year"], last_year=chosen["last_year"], site=chosen["site"]
    )
    return form, stats


@login_required
@require_GET
def project_statistics(request: HttpRequest) -> HttpResponse:
    form, stats = _statistics_of(request)
    return render(
        request,
        "projects/statistics.html",
        {"form": form, "stats": stats, "query": request.GET.urlencode()},
    )


@login_required
@require_GET
def project_statistics_export(request: HttpRequest, fmt: str) -> HttpResponse:
    stats = _statistics_of(request)[1]
    headers = [_("Table"), _("Year"), _("Group"), _("Measure"), _("Value")]
    keys = ["table", "year", "group", "measure", "value"]
    suffix = f"-{stats.site.slug}" if stats.site is not None else ""
    filename = f"project-statistics-{stats.first_year}-{stats.last_year}{suffix}.{fmt}"
    rows = selectors.statistics_rows(stats)
    if fmt == "xlsx":
        return xlsx_response(filename=filename, headers=headers, rows=rows, keys=keys)
    return csv_response(filename=filename, headers=headers, rows=rows, keys=keys)
