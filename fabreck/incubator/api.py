"""The incubator's API endpoints: thin views over the services and selectors."""

from __future__ import annotations

# --- kpis ---
from django.core.exceptions import ValidationError as DjangoValidationError  # noqa: E402, RUF100
from django.shortcuts import get_object_or_404  # noqa: E402, RUF100
from drf_spectacular.utils import OpenApiParameter, extend_schema  # noqa: E402, RUF100
from rest_framework import exceptions as kpis_exceptions  # noqa: E402, RUF100
from rest_framework import status as kpis_status  # noqa: E402, RUF100
from rest_framework.permissions import IsAuthenticated  # noqa: E402, RUF100
from rest_framework.request import Request  # noqa: E402, RUF100
from rest_framework.response import Response  # noqa: E402, RUF100
from rest_framework.views import APIView  # noqa: E402, RUF100

from fabreck.core.api import Pagination, service_error  # noqa: E402, RUF100
from fabreck.incubator import selectors as kpis_selectors  # noqa: E402, RUF100
from fabreck.incubator import services as kpis_services  # noqa: E402, RUF100
from fabreck.incubator.models import Cohort, Incubation, StartupStatus  # noqa: E402, RUF100
from fabreck.incubator.serializers import (  # noqa: E402, RUF100
    CohortDashboardSerializer,
    IncubatorOverviewSerializer,
    KpiUpdateInputSerializer,
    KpiUpdateSerializer,
)


def _kpis_int(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError as error:
        raise kpis_exceptions.ValidationError(
            {name: [_kpis_msg("Give a whole number.")]}
        ) from error


def _kpis_msg(message: str) -> str:
    from django.utils.translation import gettext

    return gettext(message)


def _kpis_managers_only(request: Request) -> None:
    if not kpis_selectors.user_manages_incubator(user=request.user):
        raise kpis_exceptions.PermissionDenied(
            _kpis_msg("Only the incubator's managers read the dashboards.")
        )


class KpiUpdateListCreateView(APIView):
    """Quarterly KPI updates: founders their startups', managers every startup's."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("startup", int, description="An incubation's id"),
            OpenApiParameter("cohort", str, description="A cohort's slug"),
            OpenApiParameter("year", int),
            OpenApiParameter("quarter", int),
            OpenApiParameter("status", str, enum=StartupStatus.values),
            OpenApiParameter("page", int),
        ],
        responses=KpiUpdateSerializer(many=True),
        operation_id="incubator_kpi_updates_list",
    )
    def get(self, request: Request) -> Response:
        startup = _kpis_int(request, "startup")
        incubation = None
        if startup is not None:
            incubation = kpis_selectors.kpi_incubation_for(pk=startup, user=request.user)
        cohort_slug = request.query_params.get("cohort")
        cohort = get_object_or_404(Cohort, slug=cohort_slug) if cohort_slug else None
        status_wanted = request.query_params.get("status") or None
        if status_wanted and status_wanted not in StartupStatus.values:
            raise kpis_exceptions.ValidationError(
                {"status": [_kpis_msg("Choose active, acquired or closed.")]}
            )
        rows = kpis_selectors.kpi_updates_visible_to(
            user=request.user,
            incubation=incubation,
            cohort=cohort,
            year=_kpis_int(request, "year"),
            quarter=_kpis_int(request, "quarter"),
            status=status_wanted,
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(KpiUpdateSerializer(page, many=True).data)

    @extend_schema(
        request=KpiUpdateInputSerializer,
        responses={201: KpiUpdateSerializer, 200: KpiUpdateSerializer},
        operation_id="incubator_kpi_updates_submit",
        description="Report a finished quarter (the last one by default): 201 when new, 200 "
        "when it corrects the quarter's update. 400 for negative figures or a quarter not "
        "ended or before the incubation started; 404 for a startup that is not yours.",
    )
    def post(self, request: Request) -> Response:
        data = KpiUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        incubation: Incubation = kpis_selectors.kpi_incubation_for(
            pk=values["startup"], user=request.user
        )
        try:
            update, created = kpis_services.kpi_update_submit(
                incubation=incubation,
                by=request.user,
                year=values.get("year"),
                quarter=values.get("quarter"),
                figures=kpis_services.KpiFigures(
                    headcount=values["headcount"],
                    revenue=values["revenue"],
                    funds_raised=values["funds_raised"],
                    customers=values["customers"],
                    status=values["status"],
                    note=values["note"],
                ),
            )
        except DjangoValidationError as error:
            raise service_error(error) from error
        update = kpis_selectors.kpi_updates_visible_to(user=request.user).filter(pk=update.pk).get()
        return Response(
            KpiUpdateSerializer(update).data,
            status=kpis_status.HTTP_201_CREATED if created else kpis_status.HTTP_200_OK,
        )


class CohortDashboardView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=CohortDashboardSerializer, operation_id="incubator_cohort_dashboard")
    def get(self, request: Request, slug: str) -> Response:
        """A cohort's figures (managers): startups with their last update and missing ones,
        totals per quarter, the calls' acceptance rates."""
        _kpis_managers_only(request)
        cohort = get_object_or_404(Cohort, slug=slug)
        return Response(
            CohortDashboardSerializer(kpis_selectors.cohort_dashboard(cohort=cohort)).data
        )


class IncubatorOverviewView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=IncubatorOverviewSerializer, operation_id="incubator_kpi_overview")
    def get(self, request: Request) -> Response:
        """The incubator at a glance (managers): startups by phase, survival one and three
        years after leaving, cohorts, calls."""
        _kpis_managers_only(request)
        return Response(IncubatorOverviewSerializer(kpis_selectors.incubator_overview()).data)
