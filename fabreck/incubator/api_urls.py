"""The incubator's API, under /api/v1/incubator/."""

from django.urls import path  # noqa: F401

from fabreck.incubator import api  # noqa: F401

urlpatterns: list = []


# --- reviews ---
# ruff: noqa: RUF100  (the section's imports are hoisted when the lanes merge)
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
