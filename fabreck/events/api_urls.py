from django.urls import path

app_name = "events-api"

urlpatterns: list = []


# --- attendance (evkids) ---------------------------------------------------------------------

from fabreck.events import api as _attendance_api  # noqa: E402

urlpatterns += [
    path(
        "sessions/<int:pk>/attendance/",
        _attendance_api.SessionAttendanceView.as_view(),
        name="session-attendance",
    ),
    path(
        "sessions/<int:pk>/no-shows/",
        _attendance_api.SessionNoShowsView.as_view(),
        name="session-no-shows",
    ),
    path(
        "sessions/<int:pk>/registrations/<int:registration>/attendance/",
        _attendance_api.RegistrationAttendanceView.as_view(),
        name="registration-attendance",
    ),
    path(
        "sessions/<int:pk>/registrations/<int:registration>/result/",
        _attendance_api.RegistrationResultView.as_view(),
        name="registration-result",
    ),
]
