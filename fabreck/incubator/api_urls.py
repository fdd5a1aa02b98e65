"""The incubator's API, under /api/v1/incubator/."""

from django.urls import path
from django.urls import path as _startups_path
from django.urls import path as kpis_path

from fabreck.incubator import api
from fabreck.incubator import api as _startups_api
from fabreck.incubator import api as kpis_api

urlpatterns: list = []


# --- startups ---


urlpatterns += [
    _startups_path(
        "startups/", _startups_api.StartupsListView.as_view(), name="api-incubator-startups"
    ),
    _startups_path(
        "startups/<int:pk>/",
        _startups_api.StartupsDetailView.as_view(),
        name="api-incubator-startup",
    ),
    _startups_path(
        "startups/<int:pk>/phase/",
        _startups_api.StartupsPhaseView.as_view(),
        name="api-incubator-startup-phase",
    ),
    _startups_path(
        "startups/<int:pk>/milestones/",
        _startups_api.StartupsMilestonesView.as_view(),
        name="api-incubator-startup-milestones",
    ),
    _startups_path(
        "startups/<int:pk>/mentor-sessions/",
        _startups_api.StartupsSessionsView.as_view(),
        name="api-incubator-startup-sessions",
    ),
    _startups_path(
        "milestones/<int:pk>/",
        _startups_api.StartupsMilestoneView.as_view(),
        name="api-incubator-milestone",
    ),
    _startups_path(
        "milestones/<int:pk>/done/",
        _startups_api.StartupsMilestoneDoneView.as_view(),
        name="api-incubator-milestone-done",
    ),
    _startups_path(
        "milestones/<int:pk>/file/",
        _startups_api.StartupsMilestoneFileView.as_view(),
        name="api-incubator-milestone-file",
    ),
]


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


# --- reviews ---
urlpatterns += [
    path("reviews/", api.ReviewListView.as_view(), name="api-incubator-reviews"),
    path("reviews/<int:pk>/", api.ReviewDetailView.as_view(), name="api-incubator-review"),
    path(
        "reviews/<int:pk>/conflict/",
        api.ReviewConflictView.as_view(),
        name="api-incubator-review-conflict",
    ),
    path(
        "reviews/<int:pk>/scores/",
        api.ReviewScoresView.as_view(),
        name="api-incubator-review-scores",
    ),
    path(
        "calls/<int:pk>/ranking/",
        api.CallRankingView.as_view(),
        name="api-incubator-call-ranking",
    ),
    path(
        "applications/<int:pk>/decision/",
        api.ApplicationDecisionView.as_view(),
        name="api-incubator-application-decision",
    ),
    path(
        "applications/<int:pk>/reviews/",
        api.ApplicationReviewsView.as_view(),
        name="api-incubator-application-reviews",
    ),
]


# --- kpis ---


urlpatterns += [
    kpis_path("kpi-updates/", kpis_api.KpiUpdateListCreateView.as_view(), name="kpi-updates"),
    kpis_path("kpis/overview/", kpis_api.IncubatorOverviewView.as_view(), name="kpi-overview"),
    kpis_path(
        "cohorts/<slug:slug>/dashboard/",
        kpis_api.CohortDashboardView.as_view(),
        name="cohort-dashboard",
    ),
]
