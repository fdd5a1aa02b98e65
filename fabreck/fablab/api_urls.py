from django.urls import path

from fabreck.fablab import api

urlpatterns = [
    path("sites/", api.SiteListView.as_view(), name="api-fablab-sites"),
    path("sites/<slug:slug>/", api.SiteDetailView.as_view(), name="api-fablab-site"),
    path("resources/", api.ResourceListView.as_view(), name="api-fablab-resources"),
    path("resources/<slug:slug>/", api.ResourceDetailView.as_view(), name="api-fablab-resource"),
    path("courses/", api.CourseListView.as_view(), name="api-fablab-courses"),
    path(
        "training-sessions/",
        api.TrainingSessionListView.as_view(),
        name="api-fablab-training-sessions",
    ),
    path(
        "training-sessions/<int:pk>/register/",
        api.TrainingSessionRegisterView.as_view(),
        name="api-fablab-training-session-register",
    ),
    path("availability/", api.AvailabilityView.as_view(), name="api-fablab-availability"),
    path("quote/", api.QuoteView.as_view(), name="api-fablab-quote"),
    path("bookings/", api.BookingListCreateView.as_view(), name="api-fablab-bookings"),
    path("bookings/<int:pk>/", api.BookingDetailView.as_view(), name="api-fablab-booking"),
    path(
        "bookings/<int:pk>/reschedule/",
        api.BookingRescheduleView.as_view(),
        name="api-fablab-booking-reschedule",
    ),
    path(
        "bookings/<int:pk>/cancel/",
        api.BookingCancelView.as_view(),
        name="api-fablab-booking-cancel",
    ),
    path("authorisations/", api.AuthorisationListView.as_view(), name="api-fablab-authorisations"),
    path(
        "authorisations/<int:pk>/revoke/",
        api.AuthorisationRevokeView.as_view(),
        name="api-fablab-authorisation-revoke",
    ),
]

# === Prepaid hours (credits) =================================================================

urlpatterns += [
    path("prepaid/<slug:slug>/", api.PrepaidAccountView.as_view(), name="api-fablab-prepaid"),
    path(
        "prepaid/<slug:slug>/movements/",
        api.PrepaidMovementsView.as_view(),
        name="api-fablab-prepaid-movements",
    ),
]
