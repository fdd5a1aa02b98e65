from django.urls import path, re_path

from fabreck.events import (
    converters,  # noqa: F401  (registers <event_slug:…>)
    views,
)

app_name = "events"

urlpatterns: list = []


# --- children's profiles, their data, attendance, statistics (evkids) ---------------------


urlpatterns += [
    path("events/children/", views.children, name="children"),
    path("events/children/add/", views.child_add, name="child-add"),
    path("events/children/<int:pk>/edit/", views.child_edit, name="child-edit"),
    path(
        "events/children/<int:pk>/export.json",
        views.child_export_json,
        name="child-export-json",
    ),
    path(
        "events/children/<int:pk>/export.csv",
        views.child_export_csv,
        name="child-export-csv",
    ),
    path("events/children/<int:pk>/delete/", views.child_delete, name="child-delete"),
    path("events/manage/check-in/", views.check_in_home, name="check-in"),
    path(
        "events/manage/sessions/<int:pk>/attendance/",
        views.session_attendance,
        name="session-attendance",
    ),
    path(
        "events/manage/sessions/<int:pk>/attendance/<int:registration>/",
        views.attendance_mark,
        name="attendance-mark",
    ),
    path(
        "events/manage/sessions/<int:pk>/attendance/<int:registration>/result/",
        views.training_result,
        name="training-result",
    ),
    path(
        "events/manage/sessions/<int:pk>/no-shows/",
        views.session_no_shows,
        name="session-no-shows",
    ),
    path("events/statistics/", views.statistics, name="statistics"),
    re_path(
        r"^events/statistics/export\.(?P<fmt>csv|xlsx)$",
        views.statistics_export,
        name="statistics-export",
    ),
]


# --- the catalogue: listing, calendar, feed, detail; the staff's pages (evcat) -------------
# `events/<event_slug:slug>/` matches only the slug of an existing event (converters.py),
# so the other sections' `events/<word>/` pages resolve whatever order the patterns come in.


urlpatterns += [
    path("events/", views.event_list, name="list"),
    path("events/calendar/", views.event_calendar, name="calendar"),
    path(
        "events/calendar/sessions/",
        views.calendar_sessions,
        name="calendar-sessions",
    ),
    path("events/feed.ics", views.feed_ics, name="feed"),
    path("events/manage/", views.manage_list, name="manage"),
    path("events/manage/new/", views.manage_create, name="manage-create"),
    path(
        "events/manage/sessions/<int:pk>/",
        views.manage_session,
        name="manage-session",
    ),
    path(
        "events/manage/sessions/<int:pk>/move/",
        views.manage_session_move,
        name="manage-session-move",
    ),
    path(
        "events/manage/sessions/<int:pk>/cancel/",
        views.manage_session_cancel,
        name="manage-session-cancel",
    ),
    path("events/manage/<slug:slug>/", views.manage_event, name="manage-event"),
    path(
        "events/manage/<slug:slug>/publish/",
        views.manage_publish,
        name="manage-publish",
    ),
    path(
        "events/manage/<slug:slug>/cancel/",
        views.manage_event_cancel,
        name="manage-cancel",
    ),
    path(
        "events/manage/<slug:slug>/tickets/",
        views.manage_ticket_add,
        name="manage-ticket-add",
    ),
    path(
        "events/manage/<slug:slug>/tickets/<int:pk>/",
        views.manage_ticket_edit,
        name="manage-ticket-edit",
    ),
    path(
        "events/manage/<slug:slug>/tickets/<int:pk>/delete/",
        views.manage_ticket_delete,
        name="manage-ticket-delete",
    ),
    path(
        "events/manage/<slug:slug>/sessions/new/",
        views.manage_sessions_add,
        name="manage-sessions-add",
    ),
    path("events/<event_slug:slug>/", views.event_detail, name="detail"),
]

# --- registrations and the waitlist -------------------------------------------------------


urlpatterns += [
    path("events/claim/<str:token>/", views.offer_claim, name="claim"),
]


# --- registration pages: register, my registrations, the staff's waitlist (evweb) ---------


urlpatterns += [
    path("events/sessions/<int:pk>/register/", views.session_register, name="register"),
    path("events/sessions/<int:pk>/registered/", views.session_registered, name="registered"),
    path("events/my/", views.my_registrations, name="my"),
    path(
        "events/my/<int:pk>/cancel/",
        views.my_registration_cancel,
        name="registration-cancel",
    ),
    path(
        "events/manage/sessions/<int:pk>/waitlist/",
        views.session_waitlist,
        name="session-waitlist",
    ),
    path(
        "events/manage/sessions/<int:pk>/waitlist/offer/",
        views.session_waitlist_offer,
        name="session-waitlist-offer",
    ),
    path(
        "events/manage/sessions/<int:pk>/waitlist/<int:registration>/remove/",
        views.session_waitlist_remove,
        name="session-waitlist-remove",
    ),
]
