"""The prototyping projects' API. Thin: parse, call one service or selector, serialize.
Sections are appended per capability."""

from __future__ import annotations

# --- gallery: documentations and the public gallery ---------------------------------------
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fabreck.core.api import Pagination, service_error
from fabreck.projects import selectors as gallery_selectors
from fabreck.projects import services as gallery_services
from fabreck.projects.models import Collaborator, Licence, Step
from fabreck.projects.serializers import (
    CollaboratorInviteSerializer,
    CollaboratorSerializer,
    DocumentationCreateSerializer,
    DocumentationDetailSerializer,
    DocumentationSummarySerializer,
    DocumentationWriteSerializer,
    GalleryCardSerializer,
    PublishSerializer,
    StepPatchSerializer,
    StepSerializer,
    StepsOrderSerializer,
    StepWriteSerializer,
)

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
