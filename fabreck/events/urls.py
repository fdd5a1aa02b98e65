from django.urls import path

app_name = "events"

urlpatterns: list = []


# --- children's profiles, their data, attendance, statistics (evkids) ---------------------

from django.urls import re_path  # noqa: E402

from fabreck.events import views as _kids_views  # noqa: E402

urlpatterns += [
    path("events/children/", _kids_views.children, name="children"),
    path("events/children/add/", _kids_views.child_add, name="child-add"),
    path("events/children/<int:pk>/edit/", _kids_views.child_edit, name="child-edit"),
    path(
        "events/children/<int:pk>/export.json",
        _kids_views.child_export_json,
        name="child-export-json",
    ),
    path(
        "events/children/<int:pk>/export.csv",
        _kids_views.child_export_csv,
        name="child-export-csv",
    ),
    path("events/children/<int:pk>/delete/", _kids_views.child_delete, name="child-delete"),
    path("events/manage/check-in/", _kids_views.check_in_home, name="check-in"),
    path(
        "events/manage/sessions/<int:pk>/attendance/",
        _kids_views.session_attendance,
        name="session-attendance",
    ),
    path(
        "events/manage/sessions/<int:pk>/attendance/<int:registration>/",
        _kids_views.attendance_mark,
        name="attendance-mark",
    ),
    path(
        "events/manage/sessions/<int:pk>/attendance/<int:registration>/result/",
        _kids_views.training_result,
        name="training-result",
    ),
    path(
        "events/manage/sessions/<int:pk>/no-shows/",
        _kids_views.session_no_shows,
        name="session-no-shows",
    ),
    path("events/statistics/", _kids_views.statistics, name="statistics"),
    re_path(
        r"^events/statistics/export\.(?P<fmt>csv|xlsx)$",
        _kids_views.statistics_export,
        name="statistics-export",
    ),
]
