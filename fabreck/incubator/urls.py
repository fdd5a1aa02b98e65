"""Pages of the incubator, under /incubator/."""

from django.urls import path
from django.urls import path as _startups_path
from django.urls import path as kpis_path

from fabreck.incubator import views
from fabreck.incubator import views as _startups_views
from fabreck.incubator import views as kpis_views

app_name = "incubator"

urlpatterns: list = []


# --- startups ---


urlpatterns += [
    _startups_path("startups/", _startups_views.startups_list, name="startups"),
    _startups_path("startups/<int:pk>/", _startups_views.startup_detail, name="startup"),
    _startups_path("startups/<int:pk>/phase/", _startups_views.startup_phase, name="startup-phase"),
    _startups_path(
        "startups/<int:pk>/hosting/", _startups_views.startup_hosting, name="startup-hosting"
    ),
    _startups_path(
        "startups/<int:pk>/competences/",
        _startups_views.startup_competences,
        name="startup-competences",
    ),
    _startups_path(
        "startups/<int:pk>/milestones/new/",
        _startups_views.startup_milestone_new,
        name="startup-milestone-new",
    ),
    _startups_path(
        "startups/<int:pk>/checklist/new/",
        _startups_views.startup_checklist_add,
        name="startup-checklist-add",
    ),
    _startups_path(
        "startups/<int:pk>/sessions/new/",
        _startups_views.startup_session_new,
        name="startup-session-new",
    ),
    _startups_path(
        "startups/milestones/<int:pk>/edit/",
        _startups_views.startup_milestone_edit,
        name="startup-milestone-edit",
    ),
    _startups_path(
        "startups/milestones/<int:pk>/evidence/",
        _startups_views.startup_milestone_evidence,
        name="startup-milestone-evidence",
    ),
    _startups_path(
        "startups/milestones/<int:pk>/file/",
        _startups_views.startup_milestone_file,
        name="startup-milestone-file",
    ),
    _startups_path(
        "startups/checklist/<int:pk>/check/",
        _startups_views.startup_checklist_check,
        name="startup-checklist-check",
    ),
    _startups_path(
        "startups/<int:pk>/defaults/", _startups_views.startup_defaults, name="startup-defaults"
    ),
    _startups_path("mentoring/", _startups_views.mentoring, name="mentoring"),
    _startups_path("my-startup/", _startups_views.my_startup, name="my-startup"),
    _startups_path("mentors/", _startups_views.mentors_pool, name="mentors"),
    _startups_path("mentors/<int:pk>/edit/", _startups_views.mentor_edit, name="mentor-edit"),
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
