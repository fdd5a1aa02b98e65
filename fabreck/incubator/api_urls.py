"""The incubator's API, under /api/v1/incubator/."""

from django.urls import path

from fabreck.incubator import api

urlpatterns: list = []


# --- startups ---


urlpatterns += [
    path("startups/", api.StartupsListView.as_view(), name="api-incubator-startups"),
    path(
        "startups/<int:pk>/",
        api.StartupsDetailView.as_view(),
        name="api-incubator-startup",
    ),
    path(
        "startups/<int:pk>/phase/",
        api.StartupsPhaseView.as_view(),
        name="api-incubator-startup-phase",
    ),
    path(
        "startups/<int:pk>/milestones/",
        api.StartupsMilestonesView.as_view(),
        name="api-incubator-startup-milestones",
    ),
    path(
        "startups/<int:pk>/mentor-sessions/",
        api.StartupsSessionsView.as_view(),
        name="api-incubator-startup-sessions",
    ),
    path(
        "milestones/<int:pk>/",
        api.StartupsMilestoneView.as_view(),
        name="api-incubator-milestone",
    ),
    path(
        "milestones/<int:pk>/done/",
        api.StartupsMilestoneDoneView.as_view(),
        name="api-incubator-milestone-done",
    ),
    path(
        "milestones/<int:pk>/file/",
        api.StartupsMilestoneFileView.as_view(),
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
    path("kpi-updates/", api.KpiUpdateListCreateView.as_view(), name="kpi-updates"),
    path("kpis/overview/", api.IncubatorOverviewView.as_view(), name="kpi-overview"),
    path(
        "cohorts/<slug:slug>/dashboard/",
        api.CohortDashboardView.as_view(),
        name="cohort-dashboard",
    ),
]
