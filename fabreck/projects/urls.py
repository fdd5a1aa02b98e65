from django.urls import path

from fabreck.projects import views

app_name = "projects"

urlpatterns: list = [
    path("projects/<int:pk>/", views.project_detail, name="detail"),
]

# --- statistics (projstats) ---------------------------------------------------------------

from django.urls import re_path  # noqa: E402

urlpatterns += [
    path("projects/statistics/", views.project_statistics, name="statistics"),
    re_path(
        r"^projects/statistics/export\.(?P<fmt>csv|xlsx)$",
        views.project_statistics_export,
        name="statistics-export",
    ),
]
