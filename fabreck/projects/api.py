"""The projects' API. Thin: parse, call one service or selector, serialize. Sections are
appended per capability."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fabreck.projects import selectors
from fabreck.projects.forms import ProjectStatisticsFilterForm
from fabreck.projects.serializers import ProjectStatisticsSerializer
from fabreck.projects.views import statistics_allowed

# --- statistics (projstats) ---------------------------------------------------------------


def _statistics_data(stats: selectors.ProjectStatistics) -> dict:
    """The figures in the shape of ProjectStatisticsSerializer."""
    kinds, slugs = stats.kinds, stats.site_slugs
    names = dict(stats.sites)

    def requests(row: selectors.KindYear) -> dict:
        return {
            "year": row.year,
            "by_kind": [
                {"kind": kind, "label": label, "projects": row.counts[kind]}
                for kind, label in kinds
            ],
            "total": row.total,
        }

    def hours(row: selectors.HoursYear) -> dict:
        return {
            "year": row.year,
            "by_site": [
                {"site": slugs[pk], "name": names[pk], "hours": value}
                for pk, value in row.hours.items()
            ],
            "total": row.total,
        }

    def delivery(row: selectors.DeliveryYear) -> dict:
        return {
            "year": row.year,
            "delivered": row.delivered,
            "average_days": row.average_days,
            "median_days": row.median_days,
        }

    def cost(row: selectors.CostRow) -> dict:
        return {
            "year": row.year,
            "site": slugs.get(row.site_id),
            "projects": row.projects,
            "quoted": row.quoted,
            "actual": row.actual,
            "difference": row.difference,
            "over_quote": row.over_quote,
            "over_quote_share": row.over_quote_share,
        }

    return {
        "first_year": stats.first_year,
        "last_year": stats.last_year,
        "site": stats.site.slug if stats.site is not None else None,
        "requests": [requests(row) for row in stats.requests],
        "requests_total": requests(stats.requests_total),
        "machine_hours": [hours(row) for row in stats.hours],
        "machine_hours_total": hours(stats.hours_total),
        "delivery": [delivery(row) for row in stats.delivery],
        "delivery_total": delivery(stats.delivery_total),
        "costs": [cost(row) for row in stats.costs],
        "costs_by_year": [cost(row) for row in stats.costs_by_year],
        "costs_total": cost(stats.costs_total),
    }


class ProjectStatisticsView(APIView):
    """The projects' statistics (as on the statistics page), for site staff and cluster
    managers."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="projects_statistics",
        parameters=[
            OpenApiParameter("first_year", OpenApiTypes.INT, description="default: 9 years ago"),
            OpenApiParameter("last_year", OpenApiTypes.INT, description="default: this year"),
            OpenApiParameter("site", OpenApiTypes.STR, description="a FabLab site's slug"),
        ],
        responses=ProjectStatisticsSerializer,
    )
    def get(self, request: Request) -> Response:
        if not statistics_allowed(request.user):
            raise exceptions.PermissionDenied(
                _("Only staff and cluster managers read the statistics.")
            )
        first, last = selectors.statistics_year_span()
        form = ProjectStatisticsFilterForm(
            request.query_params, first_year=max(first, last - 9), last_year=last
        )
        if not form.is_valid():
            raise exceptions.ValidationError(
                {
                    "non_field_errors" if name == "__all__" else name: list(errors)
                    for name, errors in form.errors.items()
                }
            )
        chosen = form.filters()
        stats = selectors.project_statistics(
            first_year=chosen["first_year"], last_year=chosen["last_year"], site=chosen["site"]
        )
        return Response(ProjectStatisticsSerializer(_statistics_data(stats)).data)
