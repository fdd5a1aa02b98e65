from django.urls import path

app_name = "events"

urlpatterns: list = []


# --- the catalogue: listing, calendar, feed, detail; the staff's pages (evcat) -------------
# `events/<event_slug:slug>/` matches only the slug of an existing event (converters.py),
# so the other sections' `events/<word>/` pages resolve whatever order the patterns come in.

from fabreck.events import converters  # noqa: E402, F401  (registers <event_slug:…>)
from fabreck.events import views as catalogue_views  # noqa: E402

urlpatterns += [
    path("events/", catalogue_views.event_list, name="list"),
    path("events/calendar/", catalogue_views.event_calendar, name="calendar"),
    path(
        "events/calendar/sessions/",
        catalogue_views.calendar_sessions,
        name="calendar-sessions",
    ),
    path("events/feed.ics", catalogue_views.feed_ics, name="feed"),
    path("events/manage/", catalogue_views.manage_list, name="manage"),
    path("events/manage/new/", catalogue_views.manage_create, name="manage-create"),
    path(
        "events/manage/sessions/<int:pk>/",
        catalogue_views.manage_session,
        name="manage-session",
    ),
    path(
        "events/manage/sessions/<int:pk>/move/",
        catalogue_views.manage_session_move,
        name="manage-session-move",
    ),
    path(
        "events/manage/sessions/<int:pk>/cancel/",
        catalogue_views.manage_session_cancel,
        name="manage-session-cancel",
    ),
    path("events/manage/<slug:slug>/", catalogue_views.manage_event, name="manage-event"),
    path(
        "events/manage/<slug:slug>/publish/",
        catalogue_views.manage_publish,
        name="manage-publish",
    ),
    path(
        "events/manage/<slug:slug>/cancel/",
        catalogue_views.manage_event_cancel,
        name="manage-cancel",
    ),
    path(
        "events/manage/<slug:slug>/tickets/",
        catalogue_views.manage_ticket_add,
        name="manage-ticket-add",
    ),
    path(
        "events/manage/<slug:slug>/tickets/<int:pk>/",
        catalogue_views.manage_ticket_edit,
        name="manage-ticket-edit",
    ),
    path(
        "events/manage/<slug:slug>/tickets/<int:pk>/delete/",
        catalogue_views.manage_ticket_delete,
        name="manage-ticket-delete",
    ),
    path(
        "events/manage/<slug:slug>/sessions/new/",
        catalogue_views.manage_sessions_add,
        name="manage-sessions-add",
    ),
    path("events/<event_slug:slug>/", catalogue_views.event_detail, name="detail"),
]
