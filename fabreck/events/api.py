"""The events API. Thin: parse, call one service or selector, serialize. Sections are
appended per capability."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fabreck.core.api import Pagination, service_error
from fabreck.events import selectors, services
from fabreck.events import selectors as _attendance_selectors
from fabreck.events import services as _attendance_services
from fabreck.events.forms import catalogue_filters_from
from fabreck.events.models import Session
from fabreck.events.serializers import (
    AttendanceMarkSerializer,
    AttendanceRowSerializer,
    AttendanceSheetSerializer,
    EventCreateSerializer,
    EventDetailSerializer,
    EventSerializer,
    NoShowsMarkedSerializer,
    SessionCancelSerializer,
    SessionMoveSerializer,
    SessionsCreateSerializer,
    SessionSerializer,
    SessionUpdateSerializer,
    TrainingResultSerializer,
)

# --- attendance (evkids) ---------------------------------------------------------------------


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


"""The events API. Thin: parse, call one service or selector, serialize. Sections are
appended per capability."""


# --- events, tickets and sessions (evcat) -------------------------------------------------


def _call(function, /, **kwargs):
    """Run a service; its refusals become the API's errors."""
    try:
        return function(**kwargs)
    except DjangoValidationError as error:
        raise service_error(error) from error


EVENT_FILTERS = [
    OpenApiParameter("kind", str, many=True, description="Event kind (repeat for several)"),
    OpenApiParameter("site", str, description="FabLab site slug"),
    OpenApiParameter("age", int, description="Age of the participant"),
    OpenApiParameter("from", OpenApiTypes.DATE, description="Sessions on or after this day"),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Sessions on or before this day"),
]


class EventListCreateView(APIView):
    """Published events with sessions to come (soonest first); staff create events."""

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(
        parameters=EVENT_FILTERS,
        responses=EventSerializer(many=True),
        operation_id="events_list",
    )
    def get(self, request: Request) -> Response:
        rows = selectors.catalogue_events(filters=catalogue_filters_from(request.query_params))
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(EventSerializer(page, many=True).data)

    @extend_schema(
        request=EventCreateSerializer,
        responses={201: EventDetailSerializer},
        operation_id="events_create",
    )
    def post(self, request: Request) -> Response:
        data = EventCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        tickets = values.pop("ticket_categories")
        with transaction.atomic():
            event = _call(services.event_create, by=request.user, **values)
            for position, ticket in enumerate(tickets):
                _call(
                    services.ticket_category_create,
                    event=event,
                    by=request.user,
                    position=position,
                    **ticket,
                )
        return Response(
            EventDetailSerializer(event, context={"sessions": []}).data,
            status=status.HTTP_201_CREATED,
        )


class EventDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=EventDetailSerializer, operation_id="events_retrieve")
    def get(self, request: Request, slug: str) -> Response:
        event = selectors.event_public(slug=slug, viewer=request.user)
        sessions = selectors.event_sessions_public(event=event)
        return Response(EventDetailSerializer(event, context={"sessions": sessions}).data)


class EventPublishView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=EventSerializer, operation_id="events_publish")
    def post(self, request: Request, slug: str) -> Response:
        event = selectors.event_managed(user=request.user, slug=slug)
        event = _call(services.event_publish, event=event, by=request.user)
        return Response(EventSerializer(event).data)


class EventSessionsCreateView(APIView):
    """Staff add sessions: every week for N weeks, or on hand-picked starts."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=SessionsCreateSerializer,
        responses={201: SessionSerializer(many=True)},
        operation_id="events_sessions_create",
    )
    def post(self, request: Request, slug: str) -> Response:
        event = selectors.event_managed(user=request.user, slug=slug)
        data = SessionsCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        hours = values.get("closes_hours_before")
        common = {
            "event": event,
            "by": request.user,
            "duration": timedelta(minutes=values["duration_minutes"]),
            "capacity": values["capacity"],
            "opens_at": values.get("registration_opens_at"),
            "closes_at": values.get("registration_closes_at"),
            "closes_before": timedelta(hours=hours) if hours is not None else None,
        }
        if "starts" in values:
            sessions = _call(
                services.sessions_create_on_dates, starts_list=values["starts"], **common
            )
        else:
            sessions = _call(
                services.sessions_create_weekly,
                first_starts_at=values["first_starts_at"],
                weeks=values["weeks"],
                **common,
            )
        return Response(SessionSerializer(sessions, many=True).data, status=status.HTTP_201_CREATED)


class SessionDetailView(APIView):
    """A session with its seats left; its staff change its seats or registration window."""

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(responses=SessionSerializer, operation_id="events_sessions_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        return Response(
            SessionSerializer(selectors.session_public(pk=pk, viewer=request.user)).data
        )

    @extend_schema(
        request=SessionUpdateSerializer,
        responses=SessionSerializer,
        operation_id="events_sessions_update",
    )
    def patch(self, request: Request, pk: int) -> Response:
        session = selectors.session_managed(user=request.user, pk=pk)
        data = SessionUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        changes = {"capacity": values.get("capacity")}
        if "registration_opens_at" in values:
            changes["opens_at"] = values["registration_opens_at"]
        if "registration_closes_at" in values:
            changes["closes_at"] = values["registration_closes_at"]
        session = _call(services.session_update, session=session, by=request.user, **changes)
        return Response(SessionSerializer(session).data)


class SessionCancelView(APIView):
    """Cancel a session: every registration with it, each registrant told by e-mail."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=SessionCancelSerializer, responses=SessionSerializer)
    def post(self, request: Request, pk: int) -> Response:
        session = selectors.session_managed(user=request.user, pk=pk)
        data = SessionCancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = _call(
            services.session_cancel, session=session, by=request.user, **data.validated_data
        )
        return Response(SessionSerializer(session).data)


class SessionMoveView(APIView):
    """Move a session: registrations stay, each registrant gets the new time by e-mail."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=SessionMoveSerializer, responses=SessionSerializer)
    def post(self, request: Request, pk: int) -> Response:
        session = selectors.session_managed(user=request.user, pk=pk)
        data = SessionMoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = _call(
            services.session_move, session=session, by=request.user, **data.validated_data
        )
        return Response(SessionSerializer(get_object_or_404(Session, pk=session.pk)).data)
