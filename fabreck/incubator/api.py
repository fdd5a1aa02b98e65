"""The incubator's API endpoints: thin views over the services and selectors."""

from __future__ import annotations

import json

# --- startups ---
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fabreck.core.api import Pagination, service_error
from fabreck.core.http import file_download
from fabreck.incubator import selectors, services
from fabreck.incubator.models import (
    Application,
    ApplicationStatus,
    ChecklistItem,
    Cohort,
    Criterion,
    Incubation,
    IncubatorCall,
    Mentor,
    MentorSession,
    Milestone,
    PhaseChange,
    Question,
    StartupStatus,
)
from fabreck.incubator.serializers import (
    AssignInputSerializer,
    CallsApplicationListSerializer,
    CallsApplicationSerializer,
    CallsApplicationWriteSerializer,
    CallsCallSerializer,
    CallsCallWriteSerializer,
    CohortDashboardSerializer,
    ConflictInputSerializer,
    DecisionInputSerializer,
    DecisionSerializer,
    IncubatorOverviewSerializer,
    KpiUpdateInputSerializer,
    KpiUpdateSerializer,
    ManagerReviewSerializer,
    RankingSerializer,
    ReviewDetailSerializer,
    ReviewSerializer,
    ScoresInputSerializer,
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
        if selectors.user_manages_incubator(user=request.user):
            rows = selectors.startups_list(
                cohort=request.query_params.get("cohort", ""), phase=phase
            )
        else:
            rows = selectors.startups_of_user(user=request.user).select_related("hosting_site")
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
        selectors.startup_visible_to(pk=pk, user=request.user)
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
        incubation = selectors.startup_managed(pk=pk, user=request.user)
        data = StartupsPhaseMoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _startups_call(
            services.incubation_phase_move,
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
        incubation = selectors.startup_visible_to(pk=pk, user=request.user)
        rows = incubation.milestones.order_by("due_on", "pk")
        return Response(StartupsMilestoneSerializer(rows, many=True).data)

    @extend_schema(
        request=StartupsMilestoneInputSerializer,
        responses={201: StartupsMilestoneSerializer},
        operation_id="incubator_startups_milestones_create",
    )
    def post(self, request: Request, pk: int) -> Response:
        """Add a milestone (managers)."""
        incubation = selectors.startup_managed(pk=pk, user=request.user)
        data = StartupsMilestoneInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        milestone = _startups_call(
            services.milestone_create,
            incubation=incubation,
            by=request.user,
            data=services.MilestoneData(**data.validated_data),
        )
        return Response(StartupsMilestoneSerializer(milestone).data, status=status.HTTP_201_CREATED)


class StartupsMilestoneView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=StartupsMilestoneSerializer, operation_id="incubator_milestones_retrieve"
    )
    def get(self, request: Request, pk: int) -> Response:
        milestone = selectors.milestone_visible_to(pk=pk, user=request.user)
        return Response(StartupsMilestoneSerializer(milestone).data)

    @extend_schema(
        request=StartupsMilestoneInputSerializer,
        responses=StartupsMilestoneSerializer,
        operation_id="incubator_milestones_update",
        description="Change a milestone (managers; the fields not sent stay as they are).",
    )
    def patch(self, request: Request, pk: int) -> Response:
        if not selectors.user_manages_incubator(user=request.user):
            raise Http404
        milestone = selectors.milestone_visible_to(pk=pk, user=request.user)
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
            services.milestone_update,
            milestone=milestone,
            by=request.user,
            data=services.MilestoneData(**values),
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
        milestone = selectors.milestone_visible_to(pk=pk, user=request.user)
        data = StartupsMilestoneDoneSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        milestone = _startups_call(
            services.milestone_done,
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
        milestone = selectors.milestone_visible_to(pk=pk, user=request.user)
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
        incubation = selectors.startup_visible_to(pk=pk, user=request.user)
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
        incubation = selectors.startup_visible_to(pk=pk, user=request.user)
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
            services.mentor_session_log,
            incubation=incubation,
            by=request.user,
            mentor=mentor,
            data=services.MentorSessionData(**values),
        )
        session = MentorSession.objects.select_related("mentor__user", "logged_by").get(
            pk=session.pk
        )
        return Response(
            StartupsMentorSessionSerializer(session).data, status=status.HTTP_201_CREATED
        )


# --- calls ---


CALLS_PARSERS = [JSONParser, MultiPartParser, FormParser]


def _calls_service(function, /, **kwargs):
    """Run a service; its refusals become the API's errors (PermissionDenied → 403)."""
    try:
        return function(**kwargs)
    except DjangoValidationError as error:
        raise service_error(error) from error


def _calls_ensure_manager(user) -> None:
    if not selectors.user_manages_incubator(user=user):
        raise exceptions.PermissionDenied(_("Only the incubator's managers may do this."))


def _calls_queryset():
    return IncubatorCall.objects.select_related("cohort").prefetch_related(
        Prefetch("questions", queryset=Question.objects.order_by("position", "pk")),
        Prefetch("criteria", queryset=Criterion.objects.order_by("position", "pk")),
    )


def _call_out(call: IncubatorCall) -> dict:
    call = _calls_queryset().get(pk=call.pk)
    return CallsCallSerializer(call, context={"now": timezone.now()}).data


def _call_write(request: Request, call: IncubatorCall | None) -> IncubatorCall:
    """Parse a call (PATCH: the fields left out keep their value) and save it."""
    partial = call is not None and request.method == "PATCH"
    incoming = CallsCallWriteSerializer(data=request.data, partial=partial)
    incoming.is_valid(raise_exception=True)
    given = incoming.validated_data
    fields = {}
    for name in services.CallData.__dataclass_fields__:
        if name in given:
            fields[name] = given[name]
        elif call is not None:
            fields[name] = getattr(call, name)
    data = services.CallData(**fields)
    questions = criteria = None
    if "questions" in given:
        questions = [
            services.QuestionItem(
                pk=row.get("id"),
                data=services.QuestionData(
                    kind=row["kind"],
                    label_en=row.get("label_en", ""),
                    label_fr=row.get("label_fr", ""),
                    label_de=row.get("label_de", ""),
                    help_text=row.get("help_text", ""),
                    choices="\n".join(row.get("options") or []),
                    required=row.get("required", True),
                ),
            )
            for row in given["questions"]
        ]
    if "criteria" in given:
        criteria = [
            services.CriterionItem(
                pk=row.get("id"),
                data=services.CriterionData(
                    label_en=row.get("label_en", ""),
                    weight=row["weight"],
                    label_fr=row.get("label_fr", ""),
                    label_de=row.get("label_de", ""),
                    description=row.get("description", ""),
                ),
            )
            for row in given["criteria"]
        ]
    return _calls_service(
        services.call_save,
        by=request.user,
        data=data,
        call=call,
        questions=questions,
        criteria=criteria,
    )


class CallsListView(APIView):
    """Calls for applications: the published ones for everyone (managers see all)."""

    permission_classes = [AllowAny]

    def get_permissions(self):
        return [IsAuthenticated()] if self.request.method == "POST" else [AllowAny()]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "state",
                str,
                enum=["open", "upcoming", "closed"],
                description="Only the calls open now, not open yet, or closed.",
            ),
            OpenApiParameter("cohort", str, description="A cohort's slug."),
            OpenApiParameter("page", int),
        ],
        responses=CallsCallSerializer(many=True),
        operation_id="incubator_calls_list",
    )
    def get(self, request: Request) -> Response:
        now = timezone.now()
        rows = _calls_queryset().order_by("-opens_at", "pk")
        if not selectors.user_manages_incubator(user=request.user):
            rows = rows.filter(published=True)
        state = request.query_params.get("state")
        if state == "open":
            rows = rows.filter(opens_at__lte=now, closes_at__gt=now)
        elif state == "upcoming":
            rows = rows.filter(opens_at__gt=now)
        elif state == "closed":
            rows = rows.filter(closes_at__lte=now)
        elif state:
            raise exceptions.ValidationError({"state": [_("Choose open, upcoming or closed.")]})
        if request.query_params.get("cohort"):
            rows = rows.filter(cohort__slug=request.query_params["cohort"])
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(
            CallsCallSerializer(page, many=True, context={"now": now}).data
        )

    @extend_schema(
        request=CallsCallWriteSerializer,
        responses={201: CallsCallSerializer},
        operation_id="incubator_calls_create",
        description="Managers create a call with its questions and criteria.",
    )
    def post(self, request: Request) -> Response:
        _calls_ensure_manager(request.user)
        call = _call_write(request, None)
        return Response(_call_out(call), status=status.HTTP_201_CREATED)


class CallsDetailView(APIView):
    permission_classes = [AllowAny]

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(responses=CallsCallSerializer, operation_id="incubator_calls_retrieve")
    def get(self, request: Request, slug: str) -> Response:
        """A published call with its questions and criteria (404 if unpublished)."""
        call = selectors.call_public_get(slug=slug, user=request.user)
        return Response(CallsCallSerializer(call, context={"now": timezone.now()}).data)

    @extend_schema(
        request=CallsCallWriteSerializer,
        responses=CallsCallSerializer,
        operation_id="incubator_calls_update",
        description="Managers change a call. Questions and criteria, when sent, are the "
        "full lists; they cannot change once applications were submitted.",
    )
    def put(self, request: Request, slug: str) -> Response:
        _calls_ensure_manager(request.user)
        call = selectors.call_managed_get(slug=slug, user=request.user)
        return Response(_call_out(_call_write(request, call)))

    @extend_schema(
        request=CallsCallWriteSerializer,
        responses=CallsCallSerializer,
        operation_id="incubator_calls_partial_update",
    )
    def patch(self, request: Request, slug: str) -> Response:
        _calls_ensure_manager(request.user)
        call = selectors.call_managed_get(slug=slug, user=request.user)
        return Response(_call_out(_call_write(request, call)))


class CallsApplicationsOfCallView(APIView):
    """A call's applications, for the managers, optionally in one status."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=ApplicationStatus.values),
            OpenApiParameter("page", int),
        ],
        responses=CallsApplicationListSerializer(many=True),
        operation_id="incubator_call_applications_list",
    )
    def get(self, request: Request, slug: str) -> Response:
        _calls_ensure_manager(request.user)
        call = selectors.call_managed_get(slug=slug, user=request.user)
        wanted = request.query_params.get("status", "")
        if wanted and wanted not in ApplicationStatus.values:
            raise exceptions.ValidationError({"status": [_("This is not a known status.")]})
        rows = selectors.call_applications(call=call, status=wanted).select_related("call")
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(
            CallsApplicationListSerializer(page, many=True).data
        )


def _application_input(request: Request) -> dict:
    """The request's fields; in multipart, `answers` and `founders` come as JSON text and
    files of answers as `answer_<question id>`."""
    data = request.data
    if hasattr(data, "getlist"):
        plain = {key: data.get(key) for key in data if not key.startswith("answer_")}
        if "needed_competences" in data:
            plain["needed_competences"] = data.getlist("needed_competences")
        for key in ("answers", "founders"):
            if isinstance(plain.get(key), str):
                try:
                    plain[key] = json.loads(plain[key])
                except ValueError as error:
                    raise exceptions.ValidationError({key: [_("Send JSON.")]}) from error
        return plain
    if not isinstance(data, dict):
        raise exceptions.ValidationError({"non_field_errors": [_("Send an object.")]})
    return dict(data)


def _application_data(request: Request, application=None):
    incoming = CallsApplicationWriteSerializer(data=_application_input(request))
    incoming.is_valid(raise_exception=True)
    given = incoming.validated_data
    answers: dict = dict(given.get("answers") or {})
    for key, upload in request.FILES.items():
        if key.startswith("answer_"):
            answers[key.removeprefix("answer_")] = upload

    def pick(name, default):
        if name in given:
            return given[name]
        return getattr(application, name) if application is not None else default

    if application is not None:
        founders = [
            services.FounderData(name=f.name, email=f.email, role=f.role)
            for f in application.founders.all()
        ]
        competences = list(application.needed_competences.all())
    else:
        founders, competences = [], []
    if "founders" in given:
        founders = [services.FounderData(**row) for row in given["founders"]]
    data = services.ApplicationData(
        startup_name=pick("startup_name", ""),
        sector=pick("sector", None),
        commune=pick("commune", None),
        stage=pick("stage", "idea"),
        idea=pick("idea", ""),
        market=pick("market", ""),
        needs=pick("needs", ""),
        needed_competences=list(given.get("needed_competences", competences)),
        founders=founders,
        organisation=pick("organisation", None),
        answers=answers,
        pitch_deck=given.get("pitch_deck"),
    )
    return given, data


def _application_out(pk: int, user) -> dict:
    return CallsApplicationSerializer(selectors.application_visible_to(pk=pk, user=user)).data


class CallsApplicationsView(APIView):
    """Your applications (as applicant or founder); POST starts a draft."""

    permission_classes = [IsAuthenticated]
    parser_classes = CALLS_PARSERS

    @extend_schema(
        parameters=[OpenApiParameter("page", int)],
        responses=CallsApplicationListSerializer(many=True),
        operation_id="incubator_applications_list",
    )
    def get(self, request: Request) -> Response:
        rows = selectors.applications_of(user=request.user).select_related("applicant")
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(
            CallsApplicationListSerializer(page, many=True).data
        )

    @extend_schema(
        request={
            "application/json": CallsApplicationWriteSerializer,
            "multipart/form-data": CallsApplicationWriteSerializer,
        },
        responses={201: CallsApplicationSerializer},
        operation_id="incubator_applications_create",
        description="Start a draft application to an open call (`call` is required).",
    )
    def post(self, request: Request) -> Response:
        given, data = _application_data(request)
        if "call" not in given:
            raise exceptions.ValidationError({"call": [_("Name the call (its slug).")]})
        call = given["call"]
        if not call.published:
            raise exceptions.NotFound()
        application = _calls_service(
            services.application_save, call=call, by=request.user, data=data
        )
        return Response(
            _application_out(application.pk, request.user), status=status.HTTP_201_CREATED
        )


class CallsApplicationDetailView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = CALLS_PARSERS

    @extend_schema(
        responses=CallsApplicationSerializer, operation_id="incubator_applications_retrieve"
    )
    def get(self, request: Request, pk: int) -> Response:
        """An application for its team, the managers and its reviewers (404 for others)."""
        return Response(_application_out(pk, request.user))

    @extend_schema(
        request={
            "application/json": CallsApplicationWriteSerializer,
            "multipart/form-data": CallsApplicationWriteSerializer,
        },
        responses=CallsApplicationSerializer,
        operation_id="incubator_applications_partial_update",
        description="Change a draft while the call is open (the team only).",
    )
    def patch(self, request: Request, pk: int) -> Response:
        application = selectors.application_of_team(pk=pk, user=request.user)
        _given, data = _application_data(request, application)
        _calls_service(
            services.application_save,
            call=application.call,
            by=request.user,
            data=data,
            application=application,
        )
        return Response(_application_out(pk, request.user))


class CallsApplicationSubmitView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses=CallsApplicationSerializer,
        operation_id="incubator_applications_submit",
        description="Submit a complete draft before the call closes: 400 naming what is "
        "missing, or that the call is closed.",
    )
    def post(self, request: Request, pk: int) -> Response:
        application = selectors.application_of_team(pk=pk, user=request.user)
        _calls_service(services.application_submit, application=application, by=request.user)
        return Response(_application_out(pk, request.user))


class CallsApplicationWithdrawView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses=CallsApplicationSerializer,
        operation_id="incubator_applications_withdraw",
    )
    def post(self, request: Request, pk: int) -> Response:
        application = selectors.application_of_team(pk=pk, user=request.user)
        _calls_service(services.application_withdraw, application=application, by=request.user)
        return Response(_application_out(pk, request.user))


class CallsApplicationPitchDeckView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
        operation_id="incubator_applications_pitch_deck",
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        """The pitch deck, for those who may read the application (404 for others)."""
        application = selectors.application_visible_to(pk=pk, user=request.user)
        if not application.pitch_deck:
            raise exceptions.NotFound()
        return file_download(
            application.pitch_deck, name=application.pitch_deck.name.rsplit("/", 1)[-1]
        )


# --- reviews ---


REVIEW_PARSERS = [JSONParser, MultiPartParser, FormParser]


def _reviews_call(function, /, **kwargs):
    """Run a service; its refusals become the API's errors (PermissionDenied → 403)."""
    try:
        return function(**kwargs)
    except DjangoValidationError as error:
        raise service_error(error) from error


def _review_detail(review) -> dict:
    criteria = selectors.call_criteria(call=review.application.call)
    review = selectors.review_of_reviewer(pk=review.pk, user=review.reviewer)
    return ReviewDetailSerializer(review, context={"criteria": criteria}).data


class ReviewListView(APIView):
    """The applications you were asked to review (yours only)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ReviewSerializer(many=True), operation_id="incubator_reviews_list")
    def get(self, request: Request) -> Response:
        paginator = Pagination()
        page = paginator.paginate_queryset(
            selectors.reviews_of(user=request.user), request, view=self
        )
        return paginator.get_paginated_response(ReviewSerializer(page, many=True).data)


class ReviewDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ReviewDetailSerializer, operation_id="incubator_reviews_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        """One of your reviews: the application, the criteria and your scores (404 for
        anyone but its reviewer)."""
        review = selectors.review_of_reviewer(pk=pk, user=request.user)
        return Response(_review_detail(review))


class ReviewConflictView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = REVIEW_PARSERS

    @extend_schema(
        request=ConflictInputSerializer,
        responses=ReviewDetailSerializer,
        operation_id="incubator_reviews_conflict",
        description="Declare a conflict of interest and abstain, saying why. Final: any "
        "scores you gave are withdrawn.",
    )
    def post(self, request: Request, pk: int) -> Response:
        review = selectors.review_of_reviewer(pk=pk, user=request.user)
        data = ConflictInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = _reviews_call(
            services.review_conflict_declare,
            review=review,
            by=request.user,
            reason=data.validated_data["reason"],
        )
        return Response(_review_detail(review))


class ReviewScoresView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = REVIEW_PARSERS

    @extend_schema(
        request=ScoresInputSerializer,
        responses=ReviewDetailSerializer,
        operation_id="incubator_reviews_score",
        description="Score every criterion of the call from 0 to its `score_max`, with "
        "comments. Submitting again replaces your scores until the round closes. A score "
        "outside the scale or a missing criterion: 400, nothing stored.",
    )
    def post(self, request: Request, pk: int) -> Response:
        review = selectors.review_of_reviewer(pk=pk, user=request.user)
        data = ScoresInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = _reviews_call(
            services.review_submit,
            review=review,
            by=request.user,
            scores=[
                services.ScoreInput(
                    criterion_id=item["criterion"],
                    value=item["value"],
                    comment=item.get("comment") or "",
                )
                for item in data.validated_data["scores"]
            ],
            comment=data.validated_data.get("comment") or "",
        )
        return Response(_review_detail(review))


class CallRankingView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=RankingSerializer, operation_id="incubator_calls_ranking")
    def get(self, request: Request, pk: int) -> Response:
        """The call's applications ranked by the jury's weighted mean, with the spread
        between reviewers, and the call's acceptance rate. For the incubator's managers
        (and the call's reviewers once the round is closed); 404 for anyone else."""
        call = IncubatorCall.objects.filter(pk=pk).first()
        if call is None or not selectors.user_sees_call_ranking(user=request.user, call=call):
            raise Http404
        return Response(
            RankingSerializer(
                {
                    "call": call,
                    "acceptance": selectors.call_acceptance_rate(call=call),
                    "rows": selectors.call_ranking(call=call),
                }
            ).data
        )


class ApplicationDecisionView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = REVIEW_PARSERS

    @extend_schema(
        request=DecisionInputSerializer,
        responses=DecisionSerializer,
        operation_id="incubator_applications_decide",
        description="Accept, waitlist or decline a submitted application (a waitlisted one "
        "may later be accepted or declined). The founders are e-mailed in the application's "
        "language; accepting starts the incubation. Managers only (404 for anyone else).",
    )
    def post(self, request: Request, pk: int) -> Response:
        application = selectors.application_for_decision(pk=pk, user=request.user)
        data = DecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _reviews_call(
            services.application_decide,
            application=application,
            decision=data.validated_data["decision"],
            message=data.validated_data.get("message") or "",
            by=request.user,
        )
        application = Application.objects.select_related("incubation").get(pk=application.pk)
        return Response(DecisionSerializer(application).data)


class ApplicationReviewsView(APIView):
    """An application's reviews with every score (managers only; 404 for anyone else);
    POST assigns a reviewer."""

    permission_classes = [IsAuthenticated]
    parser_classes = REVIEW_PARSERS

    @extend_schema(
        responses=ManagerReviewSerializer(many=True),
        operation_id="incubator_applications_reviews_list",
    )
    def get(self, request: Request, pk: int) -> Response:
        application = selectors.application_for_decision(pk=pk, user=request.user)
        return Response(ManagerReviewSerializer(application.reviews.all(), many=True).data)

    @extend_schema(
        request=AssignInputSerializer,
        responses={201: ManagerReviewSerializer},
        operation_id="incubator_applications_reviews_assign",
        description="Assign a reviewer, given by `email` (any active account) or by user "
        "`reviewer` id, to a submitted application. Refused: a founder of the team, a "
        "reviewer already assigned, a closed round.",
    )
    def post(self, request: Request, pk: int) -> Response:
        application = selectors.application_for_decision(pk=pk, user=request.user)
        data = AssignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        email, reviewer_id = data.validated_data.get("email"), data.validated_data.get("reviewer")
        reviewer = None
        if email:
            reviewer = selectors.reviewer_by_email(email=email)
        elif reviewer_id:
            reviewer = selectors.User.objects.filter(pk=reviewer_id, is_active=True).first()
        if reviewer is None:
            raise exceptions.ValidationError(
                {"email": [_("No active account uses this e-mail address.")]}
                if email or not reviewer_id
                else {"reviewer": [_("No active account has this id.")]}
            )
        review = _reviews_call(
            services.review_assign,
            application=application,
            reviewer=reviewer,
            by=request.user,
        )
        return Response(ManagerReviewSerializer(review).data, status=status.HTTP_201_CREATED)


# --- kpis ---


def _kpis_int(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError as error:
        raise exceptions.ValidationError({name: [_kpis_msg("Give a whole number.")]}) from error


def _kpis_msg(message: str) -> str:
    from django.utils.translation import gettext

    return gettext(message)


def _kpis_managers_only(request: Request) -> None:
    if not selectors.user_manages_incubator(user=request.user):
        raise exceptions.PermissionDenied(
            _kpis_msg("Only the incubator's managers read the dashboards.")
        )


class KpiUpdateListCreateView(APIView):
    """Quarterly KPI updates: founders their startups', managers every startup's."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("startup", int, description="An incubation's id"),
            OpenApiParameter("cohort", str, description="A cohort's slug"),
            OpenApiParameter("year", int),
            OpenApiParameter("quarter", int),
            OpenApiParameter("status", str, enum=StartupStatus.values),
            OpenApiParameter("page", int),
        ],
        responses=KpiUpdateSerializer(many=True),
        operation_id="incubator_kpi_updates_list",
    )
    def get(self, request: Request) -> Response:
        startup = _kpis_int(request, "startup")
        incubation = None
        if startup is not None:
            incubation = selectors.kpi_incubation_for(pk=startup, user=request.user)
        cohort_slug = request.query_params.get("cohort")
        cohort = get_object_or_404(Cohort, slug=cohort_slug) if cohort_slug else None
        status_wanted = request.query_params.get("status") or None
        if status_wanted and status_wanted not in StartupStatus.values:
            raise exceptions.ValidationError(
                {"status": [_kpis_msg("Choose active, acquired or closed.")]}
            )
        rows = selectors.kpi_updates_visible_to(
            user=request.user,
            incubation=incubation,
            cohort=cohort,
            year=_kpis_int(request, "year"),
            quarter=_kpis_int(request, "quarter"),
            status=status_wanted,
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(KpiUpdateSerializer(page, many=True).data)

    @extend_schema(
        request=KpiUpdateInputSerializer,
        responses={201: KpiUpdateSerializer, 200: KpiUpdateSerializer},
        operation_id="incubator_kpi_updates_submit",
        description="Report a finished quarter (the last one by default): 201 when new, 200 "
        "when it corrects the quarter's update. 400 for negative figures or a quarter not "
        "ended or before the incubation started; 404 for a startup that is not yours.",
    )
    def post(self, request: Request) -> Response:
        data = KpiUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        incubation: Incubation = selectors.kpi_incubation_for(
            pk=values["startup"], user=request.user
        )
        try:
            update, created = services.kpi_update_submit(
                incubation=incubation,
                by=request.user,
                year=values.get("year"),
                quarter=values.get("quarter"),
                figures=services.KpiFigures(
                    headcount=values["headcount"],
                    revenue=values["revenue"],
                    funds_raised=values["funds_raised"],
                    customers=values["customers"],
                    status=values["status"],
                    note=values["note"],
                ),
            )
        except DjangoValidationError as error:
            raise service_error(error) from error
        update = selectors.kpi_updates_visible_to(user=request.user).filter(pk=update.pk).get()
        return Response(
            KpiUpdateSerializer(update).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class CohortDashboardView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=CohortDashboardSerializer, operation_id="incubator_cohort_dashboard")
    def get(self, request: Request, slug: str) -> Response:
        """A cohort's figures (managers): startups with their last update and missing ones,
        totals per quarter, the calls' acceptance rates."""
        _kpis_managers_only(request)
        cohort = get_object_or_404(Cohort, slug=slug)
        return Response(CohortDashboardSerializer(selectors.cohort_dashboard(cohort=cohort)).data)


class IncubatorOverviewView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=IncubatorOverviewSerializer, operation_id="incubator_kpi_overview")
    def get(self, request: Request) -> Response:
        """The incubator at a glance (managers): startups by phase, survival one and three
        years after leaving, cohorts, calls."""
        _kpis_managers_only(request)
        return Response(IncubatorOverviewSerializer(selectors.incubator_overview()).data)
