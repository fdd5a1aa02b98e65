"""Pages of the incubator, under /incubator/."""

from django.urls import path  # noqa: F401

from fabreck.incubator import views  # noqa: F401

app_name = "incubator"

urlpatterns: list = []


# --- kpis ---
from django.urls import path as kpis_path  # noqa: E402

from fabreck.incubator import views as kpis_views  # noqa: E402

urlpatterns += [
    kpis_path("quarterly-update/", kpis_views.kpis_update, name="kpis-update"),
    kpis_path("dashboards/", kpis_views.kpis_overview, name="kpis-overview"),
    kpis_path(
        "dashboards/kpis.<str:fmt>",
        kpis_views.kpis_export,
        name="kpis-export",
    ),
    kpis_path("dashboards/<slug:slug>/", kpis_views.kpis_cohort, name="kpis-cohort"),
    kpis_path(
        "dashboards/<slug:slug>/kpis.<str:fmt>",
        kpis_views.kpis_export,
        name="kpis-cohort-export",
    ),
]
