"""The prototyping projects API. Thin: parse, call one service or selector, serialize.
Sections are appended per capability."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, status
from rest_framework import serializers as drf_serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fabreck.core.api import Pagination, Refused, service_error
from fabreck.core.http import file_download
from fabreck.projects import selectors, services
from fabreck.projects import selectors as gallery_selectors
from fabreck.projects import services as gallery_services
from fabreck.projects.forms import CommentForm, ProjectRequestForm, ProjectStatisticsFilterForm
from fabreck.projects.models import (
    Attachment,
    Collaborator,
    Comment,
    Licence,
    Project,
    StatusChange,
    Step,
)
from fabreck.projects.serializers import (
    CollaboratorInviteSerializer,
    CollaboratorSerializer,
    CommentInputSerializer,
    CommentSerializer,
    DocumentationCreateSerializer,
    DocumentationDetailSerializer,
    DocumentationSummarySerializer,
    DocumentationWriteSerializer,
    GalleryCardSerializer,
    ProjectDetailSerializer,
    ProjectListSerializer,
    ProjectRequestInputSerializer,
    ProjectStatisticsSerializer,
    PublishSerializer,
    QuoteRejectSerializer,
    QuoteSerializer,
    StatusChangeInputSerializer,
    StepPatchSerializer,
    StepSerializer,
    StepsOrderSerializer,
    StepWriteSerializer,
)
from fabreck.projects.views import statistics_allowed

# --- requests, status changes and comments -------------------------------------------------


PARSERS = [JSONParser, MultiPartParser, FormParser]
PROJECT_FILTERS = [
    OpenApiParameter(
        "scope",
        str,
        enum=["mine", "staff"],
        description="mine (default): your requests and your organisations'; staff: the staff "
        "queue (FabLab staff only)",
    ),
    OpenApiParameter("status", str, description="A status, or `open` (staff scope)"),
    OpenApiParameter("site", str, description="Site slug, or `none` for not triaged (staff)"),
    OpenApiParameter("mine", bool, description="Only the projects you lead (staff scope)"),
    OpenApiParameter("q", str, description="Words of the title or a reference (staff scope)"),
    OpenApiParameter("page", int),
]


def _call(function, /, **kwargs):
    """Run a service; its refusals become the API's errors (PermissionDenied → 403)."""
    try:
        return function(**kwargs)
    except DjangoValidationError as error:
        raise service_error(error) from error


def _form_data(request: Request, multiple: tuple[str, ...]) -> dict:
    data = request.data
    if hasattr(data, "getlist"):
        return {k: data.getlist(k) if k in multiple else data.get(k) for k in data}
    if not isinstance(data, dict):
        raise exceptions.ValidationError({"non_field_errors": [_("Send an object.")]})
    return dict(data)


def _project_detail(pk: int, user) -> Project:
    project = selectors.project_visible_to(pk=pk, user=user)
    return (
        Project.objects.select_related("organisation", "site", "lead")
        .prefetch_related(
            "machine_categories",
            "competences",
            Prefetch("attachments", queryset=Attachment.objects.order_by("uploaded_at", "pk")),
            Prefetch(
                "status_changes",
                queryset=StatusChange.objects.select_related("changed_by").order_by(
                    "changed_at", "pk"
                ),
            ),
        )
        .get(pk=project.pk)
    )


class ProjectListCreateView(APIView):
    """Your prototyping requests (or the staff queue); POST a new request."""

    permission_classes = [IsAuthenticated]
    parser_classes = PARSERS

    @extend_schema(
        parameters=PROJECT_FILTERS,
        responses=ProjectListSerializer(many=True),
        operation_id="projects_list",
    )
    def get(self, request: Request) -> Response:
        if request.query_params.get("scope") == "staff":
            if not selectors.user_runs_projects(user=request.user):
                raise exceptions.PermissionDenied()
            from fabreck.projects.forms import StaffQueueForm

            form = StaffQueueForm(request.query_params, user=request.user)
            if not form.is_valid():
                raise exceptions.ValidationError(form.errors)
            rows = selectors.projects_staff_rows(user=request.user, filters=form.filters(1))
        else:
            rows = selectors.projects_of(user=request.user).select_related("lead")
            rows = rows.order_by("-created_at", "-pk")
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(ProjectListSerializer(page, many=True).data)

    @extend_schema(
        request={
            "multipart/form-data": ProjectRequestInputSerializer,
            "application/json": ProjectRequestInputSerializer,
        },
        responses={201: ProjectDetailSerializer},
        operation_id="projects_create",
        description="Ask for a prototype. Files (`attachments`, several) need multipart; "
        "each must be of an accepted type and size, or nothing is stored.",
    )
    def post(self, request: Request) -> Response:
        form = ProjectRequestForm(
            data=_form_data(request, ("machine_categories", "competences")),
            files=request.FILES or None,
            user=request.user,
        )
        if not form.is_valid():
            raise exceptions.ValidationError(form.errors)
        project = _call(
            services.project_request,
            by=request.user,
            organisation=form.chosen_organisation,
            data=form.request_data(),
            files=form.cleaned_data.get("attachments") or [],
        )
        return Response(
            ProjectDetailSerializer(_project_detail(project.pk, request.user)).data,
            status=status.HTTP_201_CREATED,
        )


class ProjectDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ProjectDetailSerializer, operation_id="projects_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        """A project, for its people and its staff (404 for anyone else)."""
        return Response(ProjectDetailSerializer(_project_detail(pk, request.user)).data)


class ProjectStatusView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = PARSERS

    @extend_schema(
        request=StatusChangeInputSerializer,
        responses=ProjectDetailSerializer,
        operation_id="projects_status_change",
        description="Move the project through the status machine: 403 if you may not make "
        "this move, 400 if the move is not allowed from the current status.",
    )
    def post(self, request: Request, pk: int) -> Response:
        project = selectors.project_visible_to(pk=pk, user=request.user)
        data = StatusChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _call(
            services.project_transition,
            project=project,
            to=data.validated_data["to"],
            by=request.user,
            note=data.validated_data.get("note", ""),
        )
        return Response(ProjectDetailSerializer(_project_detail(pk, request.user)).data)


class ProjectCommentsView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = PARSERS

    @extend_schema(responses=CommentSerializer(many=True), operation_id="projects_comments_list")
    def get(self, request: Request, pk: int) -> Response:
        """The project's messages, oldest first (staff-only notes for staff only)."""
        project = selectors.project_visible_to(pk=pk, user=request.user)
        rows = Comment.objects.filter(project=project).select_related("author")
        rows = rows.prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.order_by("uploaded_at", "pk"))
        ).order_by("created_at", "pk")
        if not selectors.user_is_project_staff(user=request.user, project=project):
            rows = rows.filter(internal=False)
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(CommentSerializer(page, many=True).data)

    @extend_schema(
        request={
            "multipart/form-data": CommentInputSerializer,
            "application/json": CommentInputSerializer,
        },
        responses={201: CommentSerializer},
        operation_id="projects_comments_create",
    )
    def post(self, request: Request, pk: int) -> Response:
        project = selectors.project_visible_to(pk=pk, user=request.user)
        staff = selectors.user_is_project_staff(user=request.user, project=project)
        form = CommentForm(data=_form_data(request, ()), files=request.FILES or None, staff=True)
        if not form.is_valid():
            raise exceptions.ValidationError(form.errors)
        internal = bool(form.cleaned_data.get("internal"))
        if internal and not staff:
            raise exceptions.PermissionDenied()
        comment = _call(
            services.project_comment,
            project=project,
            by=request.user,
            body=form.cleaned_data["body"],
            internal=internal,
            files=form.cleaned_data.get("attachments") or [],
        )
        comment = (
            Comment.objects.select_related("author")
            .prefetch_related("attachments")
            .get(pk=comment.pk)
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class ProjectAttachmentView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
        operation_id="projects_attachment_download",
    )
    def get(self, request: Request, pk: int, attachment_pk: int) -> FileResponse:
        """A file of the project, for those who may see it (404 for anyone else)."""
        attachment = selectors.project_attachment_for(
            project_pk=pk, attachment_pk=attachment_pk, user=request.user
        )
        return file_download(attachment.file, name=attachment.name)


# --- Quotes and execution -------------------------------------------------------------------


def _answer(function, /, **kwargs):
    """Run a quote service; its refusals keep their code ("already_accepted", …)."""
    try:
        return function(**kwargs)
    except DjangoValidationError as error:
        if hasattr(error, "error_dict"):
            raise service_error(error) from error
        raise Refused(error, code=error.error_list[0].code or "refused") from error


class ProjectQuoteListView(APIView):
    """Every version of a project's quote, newest first, for those who see the project."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=QuoteSerializer(many=True), operation_id="projects_quotes_list")
    def get(self, request: Request, pk: int) -> Response:
        project = selectors.project_visible_to(pk=pk, user=request.user)
        quotes = selectors.quotes_of(project=project)
        return Response(QuoteSerializer(quotes, many=True, context={"request": request}).data)


class QuoteAcceptView(APIView):
    """The requester's side accepts the current version awaiting an answer."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=QuoteSerializer, operation_id="projects_quote_accept")
    def post(self, request: Request, pk: int) -> Response:
        quote = selectors.quote_visible_to(pk=pk, user=request.user)
        quote = _answer(services.quote_accept, quote=quote, by=request.user)
        quote = selectors.quote_of(project=quote.project, version=quote.version)
        return Response(QuoteSerializer(quote, context={"request": request}).data)


class QuoteRejectView(APIView):
    """The requester's side rejects the current version, saying why."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=QuoteRejectSerializer,
        responses=QuoteSerializer,
        operation_id="projects_quote_reject",
    )
    def post(self, request: Request, pk: int) -> Response:
        quote = selectors.quote_visible_to(pk=pk, user=request.user)
        data = QuoteRejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        quote = _answer(
            services.quote_reject,
            quote=quote,
            by=request.user,
            reason=data.validated_data["reason"],
        )
        quote = selectors.quote_of(project=quote.project, version=quote.version)
        return Response(QuoteSerializer(quote, context={"request": request}).data)


# --- statistics (projstats) ---------------------------------------------------------------


def _statistics_data(stats: selectors.ProjectStatistics) -> dict:
    """The figures in the shape of ProjectStatisticsSerializer."""
    kinds, slugs = stats.kinds, stats.site_slugs
    names = dict(stats.sites)

    def requests(row: selectors.KindYear) -> dict:
        return {
            "year": row.year,
            "by_kind": [
                {"kind": kind, "label": label, "projects": row.counts[kind]}
                for kind, label in kinds
            ],
            "total": row.total,
        }

    def hours(row: selectors.HoursYear) -> dict:
        return {
            "year": row.year,
            "by_site": [
                {"site": slugs[pk], "name": names[pk], "hours": value}
                for pk, value in row.hours.items()
            ],
            "total": row.total,
        }

    def delivery(row: selectors.DeliveryYear) -> dict:
        return {
            "year": row.year,
            "delivered": row.delivered,
            "average_days": row.average_days,
            "median_days": row.median_days,
        }

    def cost(row: selectors.CostsByYear) -> dict:
        return {
            "year": row.year,
            "site": slugs.get(row.site_id),
            "projects": row.projects,
            "quoted": row.quoted,
            "actual": row.actual,
            "difference": row.difference,
            "over_quote": row.over_quote,
            "over_quote_share": row.over_quote_share,
        }

    return {
        "first_year": stats.first_year,
        "last_year": stats.last_year,
        "site": stats.site.slug if stats.site is not None else None,
        "requests": [requests(row) for row in stats.requests],
        "requests_total": requests(stats.requests_total),
        "machine_hours": [hours(row) for row in stats.hours],
        "machine_hours_total": hours(stats.hours_total),
        "delivery": [delivery(row) for row in stats.delivery],
        "delivery_total": delivery(stats.delivery_total),
        "costs": [cost(row) for row in stats.costs],
        "costs_by_year": [cost(row) for row in stats.costs_by_year],
        "costs_total": cost(stats.costs_total),
    }


class ProjectStatisticsView(APIView):
    """The projects' statistics (as on the statistics page), for site staff and cluster
    managers."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="projects_statistics",
        parameters=[
            OpenApiParameter("first_year", OpenApiTypes.INT, description="default: 9 years ago"),
            OpenApiParameter("last_year", OpenApiTypes.INT, description="default: this year"),
            OpenApiParameter("site", OpenApiTypes.STR, description="a FabLab site's slug"),
        ],
        responses=ProjectStatisticsSerializer,
    )
    def get(self, request: Request) -> Response:
        if not statistics_allowed(request.user):
            raise exceptions.PermissionDenied(
                _("Only staff and cluster managers read the statistics.")
            )
        first, last = selectors.statistics_year_span()
        form = ProjectStatisticsFilterForm(
            request.query_params, first_year=max(first, last - 9), last_year=last
        )
        if not form.is_valid():
            raise exceptions.ValidationError(
                {
                    "non_field_errors" if name == "__all__" else name: list(errors)
                    for name, errors in form.errors.items()
                }
            )
        chosen = form.filters()
        stats = selectors.project_statistics(
            first_year=chosen["first_year"], last_year=chosen["last_year"], site=chosen["site"]
        )
        return Response(ProjectStatisticsSerializer(_statistics_data(stats)).data)


# --- gallery: documentations and the public gallery ---------------------------------------


GALLERY_PARAMETERS = [
    OpenApiParameter("q", str, description="Words to find (any language; accents ignored)"),
    OpenApiParameter("machine", str, description="A machine category's slug, or a machine's"),
    OpenApiParameter("material", str, description="A material's key (slug of its name)"),
    OpenApiParameter("sector", str, description="A sector's slug"),
    OpenApiParameter("licence", str, enum=list(Licence.values)),
    OpenApiParameter("site", str, description="A FabLab site's slug"),
    OpenApiParameter("page", int),
]


def _gallery_call(function, /, **kwargs):
    """A service's refusal as the API's error (400 with its translated message)."""
    try:
        return function(**kwargs)
    except DjangoValidationError as error:
        raise service_error(error) from error


def _detail(documentation) -> dict:
    data = gallery_selectors.documentation_page_data(documentation=documentation)
    return DocumentationDetailSerializer(documentation, context={"data": data}).data


class GalleryListView(APIView):
    """The public gallery: published documentations, searched and filtered as on the page."""

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=GALLERY_PARAMETERS,
        responses=inline_serializer(
            "GalleryPage",
            {
                "count": drf_serializers.IntegerField(),
                "page": drf_serializers.IntegerField(),
                "pages": drf_serializers.IntegerField(),
                "results": GalleryCardSerializer(many=True),
            },
        ),
        operation_id="gallery_list",
    )
    def get(self, request: Request) -> Response:
        filters = gallery_selectors.gallery_filters_from(request.query_params)
        page = gallery_selectors.gallery_search(filters=filters).page
        return Response(
            {
                "count": page.paginator.count,
                "page": page.number,
                "pages": page.paginator.num_pages,
                "results": GalleryCardSerializer(page.object_list, many=True).data,
            }
        )


class GalleryDetailView(APIView):
    """A published documentation (a draft for its writers only; 404 for anyone else)."""

    permission_classes = [AllowAny]

    @extend_schema(responses=DocumentationDetailSerializer, operation_id="gallery_retrieve")
    def get(self, request: Request, slug: str) -> Response:
        documentation, _writes = gallery_selectors.documentation_page(
            slug=slug, viewer=request.user
        )
        return Response(_detail(documentation))


class DocumentationListCreateView(APIView):
    """The documentations the user writes; write a new one (from scratch, or from a
    delivered project with `project`)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=DocumentationSummarySerializer(many=True), operation_id="documentations_list"
    )
    def get(self, request: Request) -> Response:
        rows = gallery_selectors.documentations_of(user=request.user)
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(
            DocumentationSummarySerializer(page, many=True).data
        )

    @extend_schema(
        request=DocumentationCreateSerializer,
        responses={201: DocumentationDetailSerializer},
        operation_id="documentations_create",
    )
    def post(self, request: Request) -> Response:
        data = DocumentationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        project_pk = values.pop("project", None)
        if project_pk is not None:
            project = gallery_selectors.project_visible_to(pk=project_pk, user=request.user)
            documentation = _gallery_call(
                gallery_services.documentation_from_project, project=project, by=request.user
            )
            if values:
                documentation = _gallery_call(
                    gallery_services.documentation_update,
                    documentation=documentation,
                    by=request.user,
                    **values,
                )
        else:
            documentation = _gallery_call(
                gallery_services.documentation_create, by=request.user, **values
            )
        return Response(_detail(documentation), status=status.HTTP_201_CREATED)


class DocumentationDetailApiView(APIView):
    """A documentation for its writers: read, change, delete (the author)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=DocumentationDetailSerializer, operation_id="documentations_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        documentation = gallery_selectors.documentation_editable(user=request.user, pk=pk)
        return Response(_detail(documentation))

    @extend_schema(
        request=DocumentationWriteSerializer,
        responses=DocumentationDetailSerializer,
        operation_id="documentations_update",
    )
    def patch(self, request: Request, pk: int) -> Response:
        documentation = gallery_selectors.documentation_editable(user=request.user, pk=pk)
        data = DocumentationWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        documentation = _gallery_call(
            gallery_services.documentation_update,
            documentation=documentation,
            by=request.user,
            **data.validated_data,
        )
        return Response(_detail(documentation))

    @extend_schema(responses={204: None}, operation_id="documentations_destroy")
    def delete(self, request: Request, pk: int) -> Response:
        documentation = gallery_selectors.documentation_editable(user=request.user, pk=pk)
        gallery_services.documentation_delete(documentation=documentation, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DocumentationPublishView(APIView):
    """Publish in the gallery: the author, with `consent: true`; never a confidential one."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=PublishSerializer,
        responses=DocumentationDetailSerializer,
        operation_id="documentations_publish",
    )
    def post(self, request: Request, pk: int) -> Response:
        documentation = gallery_selectors.documentation_editable(user=request.user, pk=pk)
        data = PublishSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        documentation = _gallery_call(
            gallery_services.documentation_publish,
            documentation=documentation,
            by=request.user,
            consent=data.validated_data["consent"],
        )
        return Response(_detail(documentation))


class DocumentationWithdrawView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses=DocumentationDetailSerializer,
        operation_id="documentations_withdraw",
    )
    def post(self, request: Request, pk: int) -> Response:
        documentation = gallery_selectors.documentation_editable(user=request.user, pk=pk)
        documentation = _gallery_call(
            gallery_services.documentation_withdraw, documentation=documentation, by=request.user
        )
        return Response(_detail(documentation))


class DocumentationStepsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=StepSerializer(many=True), operation_id="documentations_steps_list")
    def get(self, request: Request, pk: int) -> Response:
        documentation = gallery_selectors.documentation_editable(user=request.user, pk=pk)
        return Response(StepSerializer(documentation.steps.order_by("position"), many=True).data)

    @extend_schema(
        request=StepWriteSerializer,
        responses={201: StepSerializer},
        operation_id="documentations_steps_create",
    )
    def post(self, request: Request, pk: int) -> Response:
        documentation = gallery_selectors.documentation_editable(user=request.user, pk=pk)
        data = StepWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        step = _gallery_call(
            gallery_services.step_add,
            documentation=documentation,
            by=request.user,
            **data.validated_data,
        )
        return Response(StepSerializer(step).data, status=status.HTTP_201_CREATED)


class DocumentationStepView(APIView):
    permission_classes = [IsAuthenticated]

    def _step(self, request: Request, pk: int, step_pk: int) -> Step:
        documentation = gallery_selectors.documentation_editable(user=request.user, pk=pk)
        step = get_object_or_404(Step, pk=step_pk, documentation=documentation)
        step.documentation = documentation
        return step

    @extend_schema(
        request=StepPatchSerializer,
        responses=StepSerializer,
        operation_id="documentations_steps_update",
    )
    def patch(self, request: Request, pk: int, step_pk: int) -> Response:
        step = self._step(request, pk, step_pk)
        data = StepPatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        step = _gallery_call(
            gallery_services.step_update, step=step, by=request.user, **data.validated_data
        )
        return Response(StepSerializer(step).data)

    @extend_schema(responses={204: None}, operation_id="documentations_steps_destroy")
    def delete(self, request: Request, pk: int, step_pk: int) -> Response:
        step = self._step(request, pk, step_pk)
        gallery_services.step_delete(step=step, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DocumentationStepsOrderView(APIView):
    """Put the steps in a new order: every step's id once."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=StepsOrderSerializer,
        responses=StepSerializer(many=True),
        operation_id="documentations_steps_order",
    )
    def post(self, request: Request, pk: int) -> Response:
        documentation = gallery_selectors.documentation_editable(user=request.user, pk=pk)
        data = StepsOrderSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _gallery_call(
            gallery_services.steps_reorder,
            documentation=documentation,
            by=request.user,
            order=data.validated_data["order"],
        )
        return Response(StepSerializer(documentation.steps.order_by("position"), many=True).data)


class DocumentationCollaboratorsView(APIView):
    """Who writes the documentation; the author invites someone by e-mail."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=CollaboratorSerializer(many=True),
        operation_id="documentations_collaborators_list",
    )
    def get(self, request: Request, pk: int) -> Response:
        documentation = gallery_selectors.documentation_editable(user=request.user, pk=pk)
        rows = documentation.collaborators.select_related("user")
        return Response(CollaboratorSerializer(rows, many=True).data)

    @extend_schema(
        request=CollaboratorInviteSerializer,
        responses={201: CollaboratorSerializer},
        operation_id="documentations_collaborators_invite",
    )
    def post(self, request: Request, pk: int) -> Response:
        documentation = gallery_selectors.documentation_editable(user=request.user, pk=pk)
        data = CollaboratorInviteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        collaborator, _secret = _gallery_call(
            gallery_services.collaborator_invite,
            documentation=documentation,
            by=request.user,
            email=data.validated_data["email"],
        )
        return Response(CollaboratorSerializer(collaborator).data, status=status.HTTP_201_CREATED)


class DocumentationCollaboratorView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None}, operation_id="documentations_collaborators_destroy")
    def delete(self, request: Request, pk: int, collaborator_pk: int) -> Response:
        documentation = gallery_selectors.documentation_editable(user=request.user, pk=pk)
        collaborator = get_object_or_404(
            Collaborator, pk=collaborator_pk, documentation=documentation
        )
        collaborator.documentation = documentation
        gallery_services.collaborator_remove(collaborator=collaborator, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
