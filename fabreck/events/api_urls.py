from django.urls import path

from fabreck.events import (
    api,
    converters,  # noqa: F401  (registers <event_slug:…>)
)

app_name = "events-api"

urlpatterns: list = []


# --- attendance (evkids) ---------------------------------------------------------------------


urlpatterns += [
    path(
        "sessions/<int:pk>/attendance/",
        api.SessionAttendanceView.as_view(),
        name="session-attendance",
    ),
    path(
        "sessions/<int:pk>/no-shows/",
        api.SessionNoShowsView.as_view(),
        name="session-no-shows",
    ),
    path(
        "sessions/<int:pk>/registrations/<int:registration>/attendance/",
        api.RegistrationAttendanceView.as_view(),
        name="registration-attendance",
    ),
    path(
        "sessions/<int:pk>/registrations/<int:registration>/result/",
        api.RegistrationResultView.as_view(),
        name="registration-result",
    ),
]


# --- events, tickets and sessions (evcat) -------------------------------------------------


urlpatterns += [
    path("events/", api.EventListCreateView.as_view(), name="events"),
    path("events/<event_slug:slug>/", api.EventDetailView.as_view(), name="event"),
    path(
        "events/<event_slug:slug>/publish/",
        api.EventPublishView.as_view(),
        name="event-publish",
    ),
    path(
        "events/<event_slug:slug>/sessions/",
        api.EventSessionsCreateView.as_view(),
        name="event-sessions",
    ),
    path("sessions/<int:pk>/", api.SessionDetailView.as_view(), name="session"),
    path(
        "sessions/<int:pk>/cancel/",
        api.SessionCancelView.as_view(),
        name="session-cancel",
    ),
    path(
        "sessions/<int:pk>/move/",
        api.SessionMoveView.as_view(),
        name="session-move",
    ),
]


# --- registrations and the waitlist (evapi) -------------------------------------------------


urlpatterns += [
    path("registrations/", api.RegistrationListCreateView.as_view(), name="registrations"),
    path("registrations/<int:pk>/", api.RegistrationDetailView.as_view(), name="registration"),
    path(
        "registrations/<int:pk>/cancel/",
        api.RegistrationCancelView.as_view(),
        name="registration-cancel",
    ),
    path(
        "registrations/<int:pk>/waitlist-remove/",
        api.RegistrationWaitlistRemoveView.as_view(),
        name="registration-waitlist-remove",
    ),
    path("offers/claim/", api.OfferClaimView.as_view(), name="offer-claim"),
    path(
        "sessions/<int:pk>/waitlist/",
        api.SessionWaitlistView.as_view(),
        name="session-waitlist",
    ),
    path(
        "sessions/<int:pk>/waitlist/offer-next/",
        api.SessionWaitlistOfferNextView.as_view(),
        name="session-waitlist-offer-next",
    ),
]
