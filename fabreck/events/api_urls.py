from django.urls import path

app_name = "events-api"

urlpatterns: list = []


# --- events, tickets and sessions (evcat) -------------------------------------------------

from fabreck.events import api as catalogue_api  # noqa: E402
from fabreck.events import converters  # noqa: E402, F401  (registers <event_slug:…>)

urlpatterns += [
    path("events/", catalogue_api.EventListCreateView.as_view(), name="events"),
    path("events/<event_slug:slug>/", catalogue_api.EventDetailView.as_view(), name="event"),
    path(
        "events/<event_slug:slug>/publish/",
        catalogue_api.EventPublishView.as_view(),
        name="event-publish",
    ),
    path(
        "events/<event_slug:slug>/sessions/",
        catalogue_api.EventSessionsCreateView.as_view(),
        name="event-sessions",
    ),
    path("sessions/<int:pk>/", catalogue_api.SessionDetailView.as_view(), name="session"),
    path(
        "sessions/<int:pk>/cancel/",
        catalogue_api.SessionCancelView.as_view(),
        name="session-cancel",
    ),
    path(
        "sessions/<int:pk>/move/",
        catalogue_api.SessionMoveView.as_view(),
        name="session-move",
    ),
]
