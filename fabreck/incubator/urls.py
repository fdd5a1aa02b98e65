"""Pages of the incubator, under /incubator/."""

from django.urls import path  # noqa: F401

from fabreck.incubator import views  # noqa: F401

app_name = "incubator"

urlpatterns: list = []


# --- reviews ---
# ruff: noqa: RUF100  (the section's imports are hoisted when the lanes merge)
urlpatterns += [
    path("reviews/", views.reviews_mine, name="reviews-mine"),
    path("reviews/<int:pk>/", views.review_detail, name="review"),
    path("reviews/<int:pk>/conflict/", views.review_conflict, name="review-conflict"),
    path("reviews/<int:pk>/scores/", views.review_scores, name="review-scores"),
    path("reviews/<int:pk>/unassign/", views.review_unassign, name="review-unassign"),
    path("reviews/calls/", views.review_calls, name="review-calls"),
    path("reviews/calls/<int:call_pk>/", views.review_board, name="review-board"),
    path("reviews/calls/<int:call_pk>/assign/", views.review_assign, name="review-assign"),
    path(
        "reviews/calls/<int:call_pk>/close/",
        views.review_round,
        {"action": "close"},
        name="review-round-close",
    ),
    path(
        "reviews/calls/<int:call_pk>/reopen/",
        views.review_round,
        {"action": "reopen"},
        name="review-round-reopen",
    ),
    path("reviews/calls/<int:call_pk>/ranking/", views.review_ranking, name="review-ranking"),
    path("reviews/applications/<int:pk>/", views.review_decision, name="review-application"),
]
