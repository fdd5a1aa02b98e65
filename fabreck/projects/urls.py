from django.urls import path, re_path

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


# --- Quotes and execution -------------------------------------------------------------------

urlpatterns += [
    path("projects/<int:pk>/quotes/new/", views.quote_new, name="quote-new"),
    path("projects/<int:pk>/quotes/<int:version>.pdf", views.quote_pdf_view, name="quote-pdf"),
    path(
        "projects/<int:pk>/quotes/<int:version>/accept/",
        views.quote_accept_view,
        name="quote-accept",
    ),
    path(
        "projects/<int:pk>/quotes/<int:version>/reject/",
        views.quote_reject_view,
        name="quote-reject",
    ),
    path("projects/<int:pk>/bookings/new/", views.project_booking_new, name="booking-new"),
    path("projects/<int:pk>/bookings/link/", views.project_booking_link_view, name="booking-link"),
    path("projects/<int:pk>/staff-time/new/", views.staff_time_new, name="staff-time-new"),
]

# --- statistics (projstats) ---------------------------------------------------------------


urlpatterns += [
    path("projects/statistics/", views.project_statistics, name="statistics"),
    re_path(
        r"^projects/statistics/export\.(?P<fmt>csv|xlsx)$",
        views.project_statistics_export,
        name="statistics-export",
    ),
]
