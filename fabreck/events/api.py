"""The events API. Thin: parse, call one service or selector, serialize. Sections are
appended per capability."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

# --- attendance (evkids) ---------------------------------------------------------------------
from fabreck.core.api import service_error
from fabreck.events import selectors as _attendance_selectors
from fabreck.events import services as _attendance_services
from fabreck.events.serializers import (
    AttendanceMarkSerializer,
    AttendanceRowSerializer,
    AttendanceSheetSerializer,
    NoShowsMarkedSerializer,
    TrainingResultSerializer,
)


def _attendance_call(function, /, **kwargs):
    try:
        return function(**kwargs)
    except DjangoValidationError as error:
        raise service_error(error) from error


class SessionAttendanceView(APIView):
    """The check-in list of a session, for the staff of its event (404 for anyone else)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=AttendanceSheetSerializer, operation_id="events_session_attendance")
    def get(self, request: Request, pk: int) -> Response:
        session = _attendance_selectors.session_managed_by(user=request.user, pk=pk)
        count = _attendance_selectors.attendance_count(session=session)
        sheet = {
            "session": session,
            "present": count.present,
            "no_show": count.no_show,
            "expected": count.expected,
            "registrations": _attendance_selectors.session_attendance_rows(session=session),
        }
        return Response(AttendanceSheetSerializer(sheet).data)


class RegistrationAttendanceView(APIView):
    """Record that a confirmed attendee is present or a no-show (unknown undoes)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=AttendanceMarkSerializer,
        responses=AttendanceRowSerializer,
        operation_id="events_registration_attendance",
    )
    def post(self, request: Request, pk: int, registration: int) -> Response:
        session = _attendance_selectors.session_managed_by(user=request.user, pk=pk)
        row = _attendance_selectors.registration_of_session(session=session, pk=registration)
        data = AttendanceMarkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = _attendance_call(
            _attendance_services.attendance_record,
            registration=row,
            by=request.user,
            attendance=data.validated_data["attendance"],
        )
        row = _attendance_selectors.registration_of_session(session=session, pk=row.pk)
        return Response(AttendanceRowSerializer(row).data)


class RegistrationResultView(APIView):
    """Record whether an attendee passed a training (a pass authorises the course)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=TrainingResultSerializer,
        responses=AttendanceRowSerializer,
        operation_id="events_registration_result",
    )
    def post(self, request: Request, pk: int, registration: int) -> Response:
        session = _attendance_selectors.session_managed_by(user=request.user, pk=pk)
        row = _attendance_selectors.registration_of_session(session=session, pk=registration)
        data = TrainingResultSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = _attendance_call(
            _attendance_services.training_result_record,
            registration=row,
            by=request.user,
            **data.validated_data,
        )
        row = _attendance_selectors.registration_of_session(session=session, pk=row.pk)
        return Response(AttendanceRowSerializer(row).data)


class SessionNoShowsView(APIView):
    """Once the session has started, mark every confirmed attendee not checked in."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None, responses=NoShowsMarkedSerializer, operation_id="events_session_no_shows"
    )
    def post(self, request: Request, pk: int) -> Response:
        session = _attendance_selectors.session_managed_by(user=request.user, pk=pk)
        marked = _attendance_call(
            _attendance_services.session_no_shows_mark, session=session, by=request.user
        )
        return Response({"marked": marked})
