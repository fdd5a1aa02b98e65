"""The incubator's API endpoints: thin views over the services and selectors."""

from __future__ import annotations

# --- startups ---
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fabreck.core.api import Pagination, service_error
from fabreck.core.http import file_download
from fabreck.incubator import selectors as startups_selectors
from fabreck.incubator import services as startups_services
from fabreck.incubator.models import (
    ChecklistItem,
    Incubation,
    Mentor,
    MentorSession,
    Milestone,
    PhaseChange,
)
from fabreck.incubator.serializers import (
    StartupsDetailSerializer,
    StartupsListSerializer,
    StartupsMentorSessionInputSerializer,
    StartupsMentorSessionSerializer,
    StartupsMilestoneDoneSerializer,
    StartupsMilestoneInputSerializer,
    StartupsMilestoneSerializer,
    StartupsPhaseMoveSerializer,
)

STARTUPS_PARSERS = [JSONParser, MultiPartParser, FormParser]


def _startups_call(function, /, **kwargs):
    """Run a service; its refusals become the API's errors (PermissionDenied → 403)."""
    try:
        return function(**kwargs)
    except DjangoValidationError as error:
        raise service_error(error) from error


def _startups_detail(pk: int) -> Incubation:
    return (
        Incubation.objects.select_related("organisation", "cohort", "hosting_site")
        .prefetch_related(
            "needed_competences",
            Prefetch("milestones", queryset=Milestone.objects.order_by("due_on", "pk")),
            Prefetch(
                "checklist", queryset=ChecklistItem.objects.order_by("phase", "position", "pk")
            ),
            Prefetch("phase_changes", queryset=PhaseChange.objects.order_by("at", "pk")),
        )
        .get(pk=pk)
    )


class StartupsListView(APIView):
    """Startups: the managers see every one, founders their own."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("cohort", str, description="Cohort slug (managers)"),
            OpenApiParameter(
                "phase", str, description="A phase, or `running` for the working phases"
            ),
            OpenApiParameter("page", int),
        ],
        responses=StartupsListSerializer(many=True),
        operation_id="incubator_startups_list",
    )
    def get(self, request: Request) -> Response:
        phase = request.query_params.get("phase", "")
        if startups_selectors.user_manages_incubator(user=request.user):
            rows = startups_selectors.startups_list(
                cohort=request.query_params.get("cohort", ""), phase=phase
            )
        else:
            rows = startups_selectors.startups_of_user(user=request.user).select_related(
                "hosting_site"
            )
            if phase == "running":
                rows = rows.filter(phase__in=("idea_validation", "realisation", "market"))
            elif phase:
                rows = rows.filter(phase=phase)
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(StartupsListSerializer(page, many=True).data)


class StartupsDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=StartupsDetailSerializer, operation_id="incubator_startups_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        """A startup with its milestones, checklist and phase history: its people, the
        managers and the mentors (404 for anyone else)."""
        startups_selectors.startup_visible_to(pk=pk, user=request.user)
        return Response(StartupsDetailSerializer(_startups_detail(pk)).data)


class StartupsPhaseView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=StartupsPhaseMoveSerializer,
        responses=StartupsDetailSerializer,
        operation_id="incubator_startups_phase",
        description="Move to the next phase, or graduate or leave (with a note). Managers "
        "only (404 otherwise); 400 when the move is not allowed.",
    )
    def post(self, request: Request, pk: int) -> Response:
        incubation = startups_selectors.startup_managed(pk=pk, user=request.user)
        data = StartupsPhaseMoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _startups_call(
            startups_services.incubation_phase_move,
            incubation=incubation,
            by=request.user,
            to_phase=data.validated_data["to_phase"],
            on=data.validated_data.get("on"),
            note=data.validated_data["note"],
        )
        return Response(StartupsDetailSerializer(_startups_detail(pk)).data)


class StartupsMilestonesView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=StartupsMilestoneSerializer(many=True),
        operation_id="incubator_startups_milestones_list",
    )
    def get(self, request: Request, pk: int) -> Response:
        incubation = startups_selectors.startup_visible_to(pk=pk, user=request.user)
        rows = incubation.milestones.order_by("due_on", "pk")
        return Response(StartupsMilestoneSerializer(rows, many=True).data)

    @extend_schema(
        request=StartupsMilestoneInputSerializer,
        responses={201: StartupsMilestoneSerializer},
        operation_id="incubator_startups_milestones_create",
    )
    def post(self, request: Request, pk: int) -> Response:
        """Add a milestone (managers)."""
        incubation = startups_selectors.startup_managed(pk=pk, user=request.user)
        data = StartupsMilestoneInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        milestone = _startups_call(
            startups_services.milestone_create,
            incubation=incubation,
            by=request.user,
            data=startups_services.MilestoneData(**data.validated_data),
        )
        return Response(StartupsMilestoneSerializer(milestone).data, status=status.HTTP_201_CREATED)


class StartupsMilestoneView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=StartupsMilestoneSerializer, operation_id="incubator_milestones_retrieve"
    )
    def get(self, request: Request, pk: int) -> Response:
        milestone = startups_selectors.milestone_visible_to(pk=pk, user=request.user)
        return Response(StartupsMilestoneSerializer(milestone).data)

    @extend_schema(
        request=StartupsMilestoneInputSerializer,
        responses=StartupsMilestoneSerializer,
        operation_id="incubator_milestones_update",
        description="Change a milestone (managers; the fields not sent stay as they are).",
    )
    def patch(self, request: Request, pk: int) -> Response:
        if not startups_selectors.user_manages_incubator(user=request.user):
            raise Http404
        milestone = startups_selectors.milestone_visible_to(pk=pk, user=request.user)
        data = StartupsMilestoneInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = {
            "phase": milestone.phase,
            "title": milestone.title,
            "description": milestone.description,
            "due_on": milestone.due_on,
            **{k: v for k, v in data.validated_data.items() if k in request.data},
        }
        milestone = _startups_call(
            startups_services.milestone_update,
            milestone=milestone,
            by=request.user,
            data=startups_services.MilestoneData(**values),
        )
        return Response(StartupsMilestoneSerializer(milestone).data)


class StartupsMilestoneDoneView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = STARTUPS_PARSERS

    @extend_schema(
        request={
            "multipart/form-data": StartupsMilestoneDoneSerializer,
            "application/json": StartupsMilestoneDoneSerializer,
        },
        responses=StartupsMilestoneSerializer,
        operation_id="incubator_milestones_done",
        description="Mark a milestone done with its evidence (a text, a file, or both): the "
        "startup's people or a manager.",
    )
    def post(self, request: Request, pk: int) -> Response:
        milestone = startups_selectors.milestone_visible_to(pk=pk, user=request.user)
        data = StartupsMilestoneDoneSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        milestone = _startups_call(
            startups_services.milestone_done,
            milestone=milestone,
            by=request.user,
            evidence=data.validated_data["evidence"],
            evidence_file=data.validated_data["evidence_file"],
            done_on=data.validated_data["done_on"],
        )
        return Response(StartupsMilestoneSerializer(milestone).data)


class StartupsMilestoneFileView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
        operation_id="incubator_milestones_file",
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        """The milestone's evidence file, for the startup's people, managers and mentors."""
        milestone = startups_selectors.milestone_visible_to(pk=pk, user=request.user)
        if not milestone.evidence_file:
            raise Http404
        return file_download(
            milestone.evidence_file, name=milestone.evidence_file.name.rsplit("/", 1)[-1]
        )


class StartupsSessionsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=StartupsMentorSessionSerializer(many=True),
        operation_id="incubator_startups_sessions_list",
    )
    def get(self, request: Request, pk: int) -> Response:
        """The startup's mentoring sessions, newest first."""
        incubation = startups_selectors.startup_visible_to(pk=pk, user=request.user)
        rows = (
            MentorSession.objects.filter(incubation=incubation)
            .select_related("mentor__user", "logged_by")
            .order_by("-held_on", "-pk")
        )
        return Response(StartupsMentorSessionSerializer(rows, many=True).data)

    @extend_schema(
        request=StartupsMentorSessionInputSerializer,
        responses={201: StartupsMentorSessionSerializer},
        operation_id="incubator_startups_sessions_create",
        description="Log a session: a mentor for themselves, a manager for a mentor named by "
        "`mentor` (its id).",
    )
    def post(self, request: Request, pk: int) -> Response:
        incubation = startups_selectors.startup_visible_to(pk=pk, user=request.user)
        data = StartupsMentorSessionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        mentor = None
        mentor_id = values.pop("mentor")
        if mentor_id is not None:
            mentor = Mentor.objects.filter(pk=mentor_id).first()
            if mentor is None:
                raise exceptions.ValidationError({"mentor": [_("No such mentor.")]})
        session = _startups_call(
            startups_services.mentor_session_log,
            incubation=incubation,
            by=request.user,
            mentor=mentor,
            data=startups_services.MentorSessionData(**values),
        )
        session = MentorSession.objects.select_related("mentor__user", "logged_by").get(
            pk=session.pk
        )
        return Response(
            StartupsMentorSessionSerializer(session).data, status=status.HTTP_201_CREATED
        )
