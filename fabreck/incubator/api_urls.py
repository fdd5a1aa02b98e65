"""The incubator's API, under /api/v1/incubator/."""

from django.urls import path  # noqa: F401

from fabreck.incubator import api  # noqa: F401

urlpatterns: list = []


# --- calls ---
urlpatterns += [
    path("calls/", api.CallsListView.as_view(), name="api-incubator-calls"),
    path("calls/<slug:slug>/", api.CallsDetailView.as_view(), name="api-incubator-call"),
    path(
        "calls/<slug:slug>/applications/",
        api.CallsApplicationsOfCallView.as_view(),
        name="api-incubator-call-applications",
    ),
    path("applications/", api.CallsApplicationsView.as_view(), name="api-incubator-applications"),
    path(
        "applications/<int:pk>/",
        api.CallsApplicationDetailView.as_view(),
        name="api-incubator-application",
    ),
    path(
        "applications/<int:pk>/submit/",
        api.CallsApplicationSubmitView.as_view(),
        name="api-incubator-application-submit",
    ),
    path(
        "applications/<int:pk>/withdraw/",
        api.CallsApplicationWithdrawView.as_view(),
        name="api-incubator-application-withdraw",
    ),
    path(
        "applications/<int:pk>/pitch-deck/",
        api.CallsApplicationPitchDeckView.as_view(),
        name="api-incubator-application-pitch-deck",
    ),
]
