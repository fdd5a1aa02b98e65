from django.urls import path

from fabreck.projects import views

app_name = "projects"

urlpatterns: list = [
    path("projects/<int:pk>/", views.project_detail, name="detail"),
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
