"""Public read API of the cluster: the directory (same filters as the page) and the
reference data. Thin: parse, call a selector, serialize."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fabreck.cluster.forms import directory_filters_from
from fabreck.cluster.models import Commune, Competence, NaceClass, Sector
from fabreck.cluster.selectors import directory_search, organisation_profile
from fabreck.cluster.serializers import (
    CommuneSerializer,
    CompetenceSerializer,
    NaceClassSerializer,
    OrganisationDetailSerializer,
    OrganisationListSerializer,
    SectorSerializer,
)

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


class OrganisationDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=OrganisationDetailSerializer, operation_id="organisations_retrieve")
    def get(self, request: Request, slug: str) -> Response:
        organisation = organisation_profile(slug=slug, viewer=request.user)
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
