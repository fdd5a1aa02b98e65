"""The events API. Thin: parse, call one service or selector, serialize. Sections are
appended per capability."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fabreck.core.api import Pagination, Refused, service_error
from fabreck.events import selectors, services
from fabreck.events import selectors as _attendance_selectors
from fabreck.events import services as _attendance_services
from fabreck.events.forms import catalogue_filters_from
from fabreck.events.models import RegistrationKind, Session
from fabreck.events.serializers import (
    AttendanceMarkSerializer,
    AttendanceRowSerializer,
    AttendanceSheetSerializer,
    EventCreateSerializer,
    EventDetailSerializer,
    EventSerializer,
    NoShowsMarkedSerializer,
    OfferClaimSerializer,
    RegistrationCreateSerializer,
    RegistrationSerializer,
    SessionCancelSerializer,
    SessionMoveSerializer,
    SessionsCreateSerializer,
    SessionSerializer,
    SessionUpdateSerializer,
    SessionWaitlistSerializer,
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


# --- registrations and the waitlist (evapi) -------------------------------------------------


# Refusals with these codes mean "no room": the API answers 409 Conflict (as a taken slot
# of the FabLab does); every other refusal is a 400.
_CONFLICT_CODES = frozenset({"full", "class_too_large"})


def _registration_call(function, /, **kwargs):
    """Run a registration service; its refusals become the API's errors."""
    try:
        return function(**kwargs)
    except DjangoValidationError as error:
        if not hasattr(error, "error_dict") and any(
            item.code in _CONFLICT_CODES for item in error.error_list
        ):
            raise Refused(error, code="full", status=status.HTTP_409_CONFLICT) from error
        raise service_error(error) from error


def _session_for_registration(request: Request, session: Session | None) -> Session:
    """The session to register for, as read with its event (the services read nothing
    else); a draft event's sessions do not exist for those who do not run it."""
    if session is None or (
        session.event.status == "draft"
        and not selectors.user_manages_event(user=request.user, event=session.event)
    ):
        raise exceptions.ValidationError({"session": [_("This session does not exist.")]})
    return session


REGISTRATION_FILTERS = [
    OpenApiParameter(
        "when",
        str,
        enum=["upcoming", "past"],
        description="Sessions not over yet (soonest first) or over (latest first)",
    ),
]


class RegistrationListCreateView(APIView):
    """Your registrations; register your children, your school class, or yourself."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=REGISTRATION_FILTERS,
        responses=RegistrationSerializer(many=True),
        operation_id="events_registrations_list",
    )
    def get(self, request: Request) -> Response:
        when = request.query_params.get("when", "")
        rows = selectors.registrations_of(
            user=request.user, when=when if when in ("upcoming", "past") else ""
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(RegistrationSerializer(page, many=True).data)

    @extend_schema(
        request=RegistrationCreateSerializer,
        responses={201: RegistrationSerializer(many=True)},
        operation_id="events_registrations_create",
    )
    def post(self, request: Request) -> Response:
        data = RegistrationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        user = request.user
        ticket = values.get("ticket_category")
        kind = values["kind"]
        if kind == RegistrationKind.CHILD:
            ids = list(dict.fromkeys(values["children"]))
            read, own = selectors.session_with_children(
                pk=values["session"], guardian=user, ids=ids
            )
            session = _session_for_registration(request, read)
            # Someone else's child (or none) stays an id: the service refuses it in its
            # own words, without telling whether it exists.
            children = [own.get(pk, pk) for pk in ids]
            registrations = _registration_call(
                services.registration_children_create,
                guardian=user,
                session=session,
                children=children,
                ticket_category=ticket,
            )
        elif kind == RegistrationKind.SCHOOL_CLASS:
            session = _session_for_registration(
                request, selectors.session_with_event(pk=values["session"])
            )
            with transaction.atomic():  # a refused class leaves no new school behind
                school = _registration_call(
                    services.registration_school_resolve,
                    school=values.get("school"),
                    name=values.get("school_name", ""),
                    commune=values.get("commune", ""),
                )
                registrations = [
                    _registration_call(
                        services.registration_school_class_create,
                        teacher=user,
                        session=session,
                        school=school,
                        grade=values.get("grade", ""),
                        pupils=values["pupils"],
                        accompanying_adults=values["accompanying_adults"],
                        ticket_category=ticket,
                    )
                ]
        else:
            session = _session_for_registration(
                request, selectors.session_with_event(pk=values["session"])
            )
            registrations = [
                _registration_call(
                    services.registration_adult_create,
                    user=user,
                    session=session,
                    ticket_category=ticket,
                )
            ]
        return Response(
            RegistrationSerializer(registrations, many=True).data,
            status=status.HTTP_201_CREATED,
        )


class RegistrationDetailView(APIView):
    """One registration: yours, or of an event you run (404 for anyone else)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=RegistrationSerializer, operation_id="events_registrations_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        registration = selectors.registration_visible(user=request.user, pk=pk)
        return Response(RegistrationSerializer(registration).data)


class RegistrationCancelView(APIView):
    """Cancel a registration (yours before the session starts; the staff's at any time):
    its seat goes to the next in line."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None, responses=RegistrationSerializer, operation_id="events_registrations_cancel"
    )
    def post(self, request: Request, pk: int) -> Response:
        registration = selectors.registration_visible(user=request.user, pk=pk)
        registration = _registration_call(
            services.registration_cancel, registration=registration, by=request.user
        )
        return Response(
            RegistrationSerializer(selectors.registration_visible(user=request.user, pk=pk)).data
        )


class RegistrationWaitlistRemoveView(APIView):
    """Staff take an entry off the waitlist (an open offer's seat goes to the next)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses=RegistrationSerializer,
        operation_id="events_registrations_waitlist_remove",
    )
    def post(self, request: Request, pk: int) -> Response:
        registration = selectors.registration_visible(user=request.user, pk=pk)
        _registration_call(
            services.waitlist_entry_remove, registration=registration, by=request.user
        )
        return Response(
            RegistrationSerializer(selectors.registration_visible(user=request.user, pk=pk)).data
        )


class OfferClaimView(APIView):
    """Claim the seat offered to you by e-mail (the token of the claim link)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=OfferClaimSerializer,
        responses=RegistrationSerializer,
        operation_id="events_offers_claim",
    )
    def post(self, request: Request) -> Response:
        data = OfferClaimSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        registration = _registration_call(
            services.registration_offer_claim,
            token=data.validated_data["token"],
            user=request.user,
        )
        return Response(
            RegistrationSerializer(
                selectors.registration_visible(user=request.user, pk=registration.pk)
            ).data
        )


class SessionWaitlistView(APIView):
    """A session's queue in order of arrival, with the open offers (its staff only: 404 for
    anyone else, children are named)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=SessionWaitlistSerializer, operation_id="events_session_waitlist")
    def get(self, request: Request, pk: int) -> Response:
        session = selectors.session_managed_by(user=request.user, pk=pk)
        return Response(
            SessionWaitlistSerializer(selectors.session_waitlist_view(session=session)).data
        )


class SessionWaitlistOfferNextView(APIView):
    """Offer a free seat to the next in line (an e-mail with a claim link)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses=RegistrationSerializer,
        operation_id="events_session_waitlist_offer_next",
    )
    def post(self, request: Request, pk: int) -> Response:
        session = selectors.session_managed_by(user=request.user, pk=pk)
        offered = _registration_call(services.waitlist_offer_next, session=session, by=request.user)
        return Response(
            RegistrationSerializer(
                selectors.registration_visible(user=request.user, pk=offered.pk)
            ).data
        )
