"""Pages of the incubator, under /incubator/."""

from django.urls import path  # noqa: F401

from fabreck.incubator import views  # noqa: F401

app_name = "incubator"

urlpatterns: list = []


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
