from django.urls import path

from fabreck.projects import views

app_name = "projects"

urlpatterns: list = [
    path("projects/<int:pk>/", views.project_detail, name="detail"),
]

# --- requests, triage and timeline --------------------------------------------------------
urlpatterns += [
    path("projects/request/", views.project_request_create, name="request"),
    path("projects/mine/", views.projects_mine, name="mine"),
    path("projects/staff/", views.projects_staff, name="staff"),
    path("projects/<int:pk>/triage/", views.project_triage, name="triage"),
    # One address per move: no catch-all that would hide other capabilities' pages.
    *[
        path(
            f"projects/<int:pk>/{action}/",
            views.project_move,
            {"action": action},
            name=f"move-{action}",
        )
        for action in ("decline", "cancel", "deliver", "close")
    ],
    path("projects/<int:pk>/comments/", views.project_comment, name="comment"),
    path(
        "projects/<int:pk>/files/<int:attachment_pk>/",
        views.project_attachment,
        name="attachment",
    ),
]
