from django.urls import path

from fabreck.projects import api

app_name = "projects-api"

urlpatterns: list = []

# --- statistics (projstats) ---------------------------------------------------------------

urlpatterns += [
    path("statistics/", api.ProjectStatisticsView.as_view(), name="statistics"),
]
