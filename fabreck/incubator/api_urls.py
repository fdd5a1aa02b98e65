"""The incubator's API, under /api/v1/incubator/."""

from django.urls import path  # noqa: F401

from fabreck.incubator import api  # noqa: F401

urlpatterns: list = []


# --- kpis ---
from django.urls import path as kpis_path  # noqa: E402

from fabreck.incubator import api as kpis_api  # noqa: E402

urlpatterns += [
    kpis_path("kpi-updates/", kpis_api.KpiUpdateListCreateView.as_view(), name="kpi-updates"),
    kpis_path("kpis/overview/", kpis_api.IncubatorOverviewView.as_view(), name="kpi-overview"),
    kpis_path(
        "cohorts/<slug:slug>/dashboard/",
        kpis_api.CohortDashboardView.as_view(),
        name="cohort-dashboard",
    ),
]
