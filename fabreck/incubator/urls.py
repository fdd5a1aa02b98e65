"""Pages of the incubator, under /incubator/."""

from django.urls import path

from fabreck.incubator import views

app_name = "incubator"

urlpatterns: list = []


# --- startups ---


urlpatterns += [
    path("startups/", views.startups_list, name="startups"),
    path("startups/<int:pk>/", views.startup_detail, name="startup"),
    path("startups/<int:pk>/phase/", views.startup_phase, name="startup-phase"),
    path("startups/<int:pk>/hosting/", views.startup_hosting, name="startup-hosting"),
    path(
        "startups/<int:pk>/competences/",
        views.startup_competences,
        name="startup-competences",
    ),
    path(
        "startups/<int:pk>/milestones/new/",
        views.startup_milestone_new,
        name="startup-milestone-new",
    ),
    path(
        "startups/<int:pk>/checklist/new/",
        views.startup_checklist_add,
        name="startup-checklist-add",
    ),
    path(
        "startups/<int:pk>/sessions/new/",
        views.startup_session_new,
        name="startup-session-new",
    ),
    path(
        "startups/milestones/<int:pk>/edit/",
        views.startup_milestone_edit,
        name="startup-milestone-edit",
    ),
    path(
        "startups/milestones/<int:pk>/evidence/",
        views.startup_milestone_evidence,
        name="startup-milestone-evidence",
    ),
    path(
        "startups/milestones/<int:pk>/file/",
        views.startup_milestone_file,
        name="startup-milestone-file",
    ),
    path(
        "startups/checklist/<int:pk>/check/",
        views.startup_checklist_check,
        name="startup-checklist-check",
    ),
    path("startups/<int:pk>/defaults/", views.startup_defaults, name="startup-defaults"),
    path("mentoring/", views.mentoring, name="mentoring"),
    path("my-startup/", views.my_startup, name="my-startup"),
    path("mentors/", views.mentors_pool, name="mentors"),
    path("mentors/<int:pk>/edit/", views.mentor_edit, name="mentor-edit"),
]


# --- calls ---
urlpatterns += [
    path("calls/", views.calls_list, name="calls"),
    path("calls/<slug:slug>/", views.call_detail, name="call"),
    path("calls/<slug:slug>/apply/", views.call_apply, name="call-apply"),
    path("applications/", views.applications_mine, name="applications-mine"),
    path("applications/<int:pk>/", views.application_detail, name="application"),
    path("applications/<int:pk>/edit/", views.application_edit, name="application-edit"),
    path("applications/<int:pk>/submit/", views.application_submit, name="application-submit"),
    path(
        "applications/<int:pk>/withdraw/", views.application_withdraw, name="application-withdraw"
    ),
    path(
        "applications/<int:pk>/pitch-deck/",
        views.application_pitch_deck,
        name="application-pitch-deck",
    ),
    path(
        "applications/<int:pk>/answers/<int:answer_pk>/file/",
        views.application_answer_file,
        name="application-answer-file",
    ),
    path("manage/calls/", views.calls_manage, name="calls-manage"),
    path("manage/cohorts/new/", views.cohort_create, name="cohort-create"),
    path("manage/calls/new/", views.call_create, name="call-create"),
    path("manage/calls/<slug:slug>/", views.call_manage, name="call-manage"),
    path("manage/calls/<slug:slug>/edit/", views.call_edit, name="call-edit"),
    path(
        "manage/calls/<slug:slug>/applications/",
        views.call_applications,
        name="call-applications",
    ),
    path("manage/calls/<slug:slug>/questions/new/", views.question_add, name="question-add"),
    path("manage/questions/<int:pk>/edit/", views.question_edit, name="question-edit"),
    path("manage/questions/<int:pk>/move/", views.question_move, name="question-move"),
    path("manage/questions/<int:pk>/remove/", views.question_remove, name="question-remove"),
    path("manage/calls/<slug:slug>/criteria/new/", views.criterion_add, name="criterion-add"),
    path("manage/criteria/<int:pk>/edit/", views.criterion_edit, name="criterion-edit"),
    path("manage/criteria/<int:pk>/remove/", views.criterion_remove, name="criterion-remove"),
]


# --- reviews ---
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


# --- kpis ---


urlpatterns += [
    path("quarterly-update/", views.kpis_update, name="kpis-update"),
    path("dashboards/", views.kpis_overview, name="kpis-overview"),
    path(
        "dashboards/kpis.<str:fmt>",
        views.kpis_export,
        name="kpis-export",
    ),
    path("dashboards/<slug:slug>/", views.kpis_cohort, name="kpis-cohort"),
    path(
        "dashboards/<slug:slug>/kpis.<str:fmt>",
        views.kpis_export,
        name="kpis-cohort-export",
    ),
]
