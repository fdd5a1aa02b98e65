"""Public read API of the cluster: the directory (same filters as the page) and the
reference data. Thin: parse, call a selector, serialize."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotAuthenticated, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fabreck.cluster.forms import ApplicationForm, directory_filters_from
from fabreck.cluster.models import Commune, Competence, NaceClass, Sector
from fabreck.cluster.selectors import (
    directory_search,
    organisation_form_initial,
    organisation_managed_by,
    organisation_profile,
)
from fabreck.cluster.serializers import (
    CommuneSerializer,
    CompetenceSerializer,
    NaceClassSerializer,
    OrganisationDetailSerializer,
    OrganisationListSerializer,
    OrganisationPatchSerializer,
    SectorSerializer,
)
from fabreck.cluster.services import OrganisationData, organisation_update

DIRECTORY_PARAMETERS = [
    OpenApiParameter("q", str, description="Words to find (any language; accents ignored)"),
    OpenApiParameter("sector", str, many=True, description="Sector slugs (any of them)"),
    OpenApiParameter("competence", str, many=True, description="Competence slugs"),
    OpenApiParameter("commune", str, many=True, description="Commune slugs"),
    OpenApiParameter("size", str, many=True, description="Size bands: 1, 2-9, 10-49, …"),
    OpenApiParameter("kind", str, many=True, description="Kinds: company, startup, …"),
    OpenApiParameter("sort", str, enum=["relevance", "name", "newest"]),
    OpenApiParameter("page", int),
]


class OrganisationListView(APIView):
    """Members of the cluster who appear in the public directory."""

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=DIRECTORY_PARAMETERS,
        responses=OpenApiTypes.OBJECT,
        operation_id="organisations_list",
        description="Search the directory. `facets` gives counts per option, as on the page.",
    )
    def get(self, request: Request) -> Response:
        result = directory_search(filters=directory_filters_from(request.query_params))
        page = result.page
        return Response(
            {
                "count": page.paginator.count,
                "page": page.number,
                "pages": page.paginator.num_pages,
                "results": OrganisationListSerializer(page.object_list, many=True).data,
                "facets": {
                    facet.name: [
                        {
                            "value": o.value,
                            "label": o.label,
                            "count": o.count,
                            "selected": o.selected,
                        }
                        for o in facet.options
                    ]
                    for facet in result.facets
                },
            }
        )


MULTIPLE_FIELDS = {"sectors", "competences", "secondary_nace"}


def _patch_of(request: Request) -> dict[str, object]:
    """The fields sent, lists kept whole whether the body is JSON or a form."""
    data = request.data
    if hasattr(data, "getlist"):
        return {k: data.getlist(k) if k in MULTIPLE_FIELDS else data.get(k) for k in data}
    return dict(data)


class OrganisationDetailView(APIView):
    """A member's profile; its owners and admins also change it with PATCH."""

    permission_classes = [AllowAny]

    @extend_schema(responses=OrganisationDetailSerializer, operation_id="organisations_retrieve")
    def get(self, request: Request, slug: str) -> Response:
        organisation = organisation_profile(slug=slug, viewer=request.user)
        return Response(OrganisationDetailSerializer(organisation).data)

    @extend_schema(
        request=OrganisationPatchSerializer,
        responses=OrganisationDetailSerializer,
        operation_id="organisations_partial_update",
        description="Change any of the profile's fields; the others keep their value. "
        "Relations are given by slug (sectors, competences, commune) or code (NACE).",
    )
    def patch(self, request: Request, slug: str) -> Response:
        if not request.user.is_authenticated:
            raise NotAuthenticated
        organisation = organisation_managed_by(user=request.user, slug=slug)
        if not isinstance(request.data, dict):
            raise ValidationError(_("Send an object with the fields to change."))
        # The page's form validates the API too: one set of rules and messages.
        unknown = set(request.data) - set(ApplicationForm.base_fields)
        if unknown:
            raise ValidationError(
                {name: [_("This field cannot be changed here.")] for name in sorted(unknown)}
            )
        form = ApplicationForm(
            data=organisation_form_initial(organisation=organisation) | _patch_of(request),
            files=request.FILES or None,
        )
        if not form.is_valid():
            raise ValidationError(form.errors)
        try:
            organisation = organisation_update(
                organisation=organisation,
                by=request.user,
                data=OrganisationData(**form.cleaned_data),
            )
        except DjangoValidationError as error:
            raise ValidationError(
                error.message_dict if hasattr(error, "error_dict") else error.messages
            ) from error
        organisation = organisation_profile(slug=organisation.slug, viewer=request.user)
        return Response(OrganisationDetailSerializer(organisation).data)


class ReferenceListView(generics.ListAPIView):
    """Reference lists are small and public: no pagination."""

    permission_classes = [AllowAny]
    pagination_class = None


class SectorListView(ReferenceListView):
    queryset = Sector.objects.all()
    serializer_class = SectorSerializer


class CommuneListView(ReferenceListView):
    queryset = Commune.objects.all()
    serializer_class = CommuneSerializer


class NaceClassListView(ReferenceListView):
    queryset = NaceClass.objects.all()
    serializer_class = NaceClassSerializer


class CompetenceListView(ReferenceListView):
    queryset = Competence.objects.filter(is_active=True).select_related("sector")
    serializer_class = CompetenceSerializer
