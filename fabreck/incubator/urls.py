"""Pages of the incubator, under /incubator/."""

from django.urls import path  # noqa: F401
from django.urls import path as _startups_path

from fabreck.incubator import views  # noqa: F401
from fabreck.incubator import views as _startups_views

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
