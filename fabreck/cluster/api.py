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
    OpenApiParameter("incubated", bool, description="Only the startups the incubator hosts"),
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


# --- Collaboration requests (issue 3, item 6) -------------------------------------------
# Imports of this section stay here so that the section merges as one block.
from django.core.exceptions import NON_FIELD_ERRORS  # noqa: E402
from rest_framework import exceptions, status  # noqa: E402
from rest_framework.permissions import IsAuthenticated  # noqa: E402

from fabreck.cluster.forms import collaboration_filters_from  # noqa: E402
from fabreck.cluster.matchmaking import matches_for_competences  # noqa: E402
from fabreck.cluster.selectors import (  # noqa: E402
    collaboration_messages_visible,
    collaboration_poster_organisations,
    collaboration_request_detail,
    collaboration_requests_open,
    organisation_ids_of,
)
from fabreck.cluster.serializers import (  # noqa: E402
    CollaborationMatchSerializer,
    CollaborationMessageInputSerializer,
    CollaborationMessageSerializer,
    CollaborationRequestInputSerializer,
    CollaborationRequestSerializer,
)
from fabreck.cluster.services import (  # noqa: E402
    CollaborationRequestData,
    collaboration_message_send,
    collaboration_request_close,
    collaboration_request_post,
    collaboration_request_reopen,
    collaboration_request_update,
)

COLLABORATION_PARAMETERS = [
    OpenApiParameter("q", str, description="Words to find (any language; accents ignored)"),
    OpenApiParameter("kind", str, enum=["seek", "offer"]),
    OpenApiParameter("competence", str, many=True, description="Competence slugs (any)"),
    OpenApiParameter("sector", str, many=True, description="Sector slugs of the competences"),
    OpenApiParameter("own", bool, description="Only your organisations' requests, closed too"),
    OpenApiParameter("page", int),
]


def _service_error(error: DjangoValidationError) -> exceptions.ValidationError:
    """A service's ValidationError as DRF's, so the handler answers a JSON 400."""
    if hasattr(error, "error_dict"):
        return exceptions.ValidationError(
            {
                ("non_field_errors" if field == NON_FIELD_ERRORS else field): messages
                for field, messages in error.message_dict.items()
            }
        )
    return exceptions.ValidationError(error.messages)


class CollaborationRequestPatchSerializer(CollaborationRequestInputSerializer):
    organisation = None  # a request stays with the organisation that posted it


class CollaborationRequestListView(APIView):
    """Collaboration requests, for logged-in users; members post them."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=COLLABORATION_PARAMETERS,
        responses=OpenApiTypes.OBJECT,
        operation_id="collaboration_requests_list",
        description="Open requests, with the same filters as the page.",
    )
    def get(self, request: Request) -> Response:
        page = collaboration_requests_open(
            filters=collaboration_filters_from(request.query_params), viewer=request.user
        )
        return Response(
            {
                "count": page.paginator.count,
                "page": page.number,
                "pages": page.paginator.num_pages,
                "results": CollaborationRequestSerializer(page.object_list, many=True).data,
            }
        )

    @extend_schema(
        request=CollaborationRequestInputSerializer,
        responses={201: CollaborationRequestSerializer},
        operation_id="collaboration_requests_create",
    )
    def post(self, request: Request) -> Response:
        serializer = CollaborationRequestInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            posted = collaboration_request_post(
                user=request.user,
                organisation=data["organisation"],
                data=CollaborationRequestData(
                    kind=data["kind"],
                    title=data["title"],
                    description=data["description"],
                    competences=data.get("competences", []),
                    deadline=data["deadline"],
                ),
            )
        except DjangoValidationError as error:
            raise _service_error(error) from error
        return Response(CollaborationRequestSerializer(posted).data, status=status.HTTP_201_CREATED)


class CollaborationRequestDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="collaboration_requests_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        """The request and the members that match it, with the reasons."""
        collaboration = collaboration_request_detail(pk=pk, viewer=request.user)
        matches = matches_for_competences(
            competence_ids=[c.pk for c in collaboration.competences.all()],
            exclude=collaboration.organisation,
        )
        return Response(
            {
                **CollaborationRequestSerializer(collaboration).data,
                "matches": CollaborationMatchSerializer(matches, many=True).data,
            }
        )

    @extend_schema(
        request=CollaborationRequestPatchSerializer,
        responses=CollaborationRequestSerializer,
        operation_id="collaboration_requests_partial_update",
    )
    def patch(self, request: Request, pk: int) -> Response:
        """The request's organisation changes it (only the fields sent)."""
        collaboration = collaboration_request_detail(pk=pk, viewer=request.user)
        serializer = CollaborationRequestPatchSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            updated = collaboration_request_update(
                request=collaboration,
                user=request.user,
                data=CollaborationRequestData(
                    kind=data.get("kind", collaboration.kind),
                    title=data.get("title", collaboration.title),
                    description=data.get("description", collaboration.description),
                    competences=data.get("competences", list(collaboration.competences.all())),
                    deadline=data.get("deadline", collaboration.deadline),
                ),
            )
        except DjangoValidationError as error:
            raise _service_error(error) from error
        return Response(CollaborationRequestSerializer(updated).data)


class CollaborationRequestStatusView(APIView):
    permission_classes = [IsAuthenticated]
    transition = "close"

    @extend_schema(request=None, responses=CollaborationRequestSerializer)
    def post(self, request: Request, pk: int) -> Response:
        collaboration = collaboration_request_detail(pk=pk, viewer=request.user)
        change = (
            collaboration_request_close
            if self.transition == "close"
            else collaboration_request_reopen
        )
        try:
            changed = change(request=collaboration, user=request.user)
        except DjangoValidationError as error:
            raise _service_error(error) from error
        return Response(CollaborationRequestSerializer(changed).data)


class CollaborationMessageListView(APIView):
    """Messages about a request: read your conversations, send a relayed message."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=CollaborationMessageSerializer(many=True),
        operation_id="collaboration_messages_list",
    )
    def get(self, request: Request, pk: int) -> Response:
        collaboration = collaboration_request_detail(pk=pk, viewer=request.user)
        messages = collaboration_messages_visible(request=collaboration, viewer=request.user)
        return Response(CollaborationMessageSerializer(messages[:500], many=True).data)

    @extend_schema(
        request=CollaborationMessageInputSerializer,
        responses={201: CollaborationMessageSerializer},
        operation_id="collaboration_messages_create",
        description="Relayed by e-mail to the recipient's people, without any e-mail address; "
        "rate-limited per sender.",
    )
    def post(self, request: Request, pk: int) -> Response:
        collaboration = collaboration_request_detail(pk=pk, viewer=request.user)
        serializer = CollaborationMessageInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        sender_organisation = data.get("sender_organisation")
        if sender_organisation is None:
            if collaboration.organisation_id in organisation_ids_of(user=request.user):
                sender_organisation = collaboration.organisation
            else:
                candidates = list(collaboration_poster_organisations(user=request.user))
                if len(candidates) != 1:
                    raise exceptions.ValidationError(
                        {"sender_organisation": [_("Say which of your organisations writes.")]}
                    )
                sender_organisation = candidates[0]
        recipient = data.get("recipient_organisation")
        if recipient is None:
            if sender_organisation.pk == collaboration.organisation_id:
                raise exceptions.ValidationError(
                    {"recipient_organisation": [_("Say which organisation you write to.")]}
                )
            recipient = collaboration.organisation
        try:
            message = collaboration_message_send(
                sender=request.user,
                sender_organisation=sender_organisation,
                request=collaboration,
                recipient_organisation=recipient,
                body=data["body"],
                parent=data.get("parent"),
            )
        except DjangoValidationError as error:
            raise _service_error(error) from error
        return Response(
            CollaborationMessageSerializer(message).data, status=status.HTTP_201_CREATED
        )


# --- Calls for projects and consortia ------------------------------------------------

from dataclasses import replace  # noqa: E402

from django.core.exceptions import PermissionDenied  # noqa: E402
from django.shortcuts import get_object_or_404  # noqa: E402
from rest_framework.permissions import IsAuthenticated  # noqa: E402

from fabreck.cluster.forms import call_filters_from  # noqa: E402
from fabreck.cluster.models import Call  # noqa: E402
from fabreck.cluster.selectors import (  # noqa: E402
    call_detail,
    calls_search,
    consortia_involving,
    consortium_detail,
)
from fabreck.cluster.serializers import (  # noqa: E402
    CallDetailSerializer,
    CallListSerializer,
    CallWriteSerializer,
    ConsortiumCreateSerializer,
    ConsortiumRespondSerializer,
    ConsortiumSerializer,
    OrganisationChoiceSerializer,
)
from fabreck.cluster.services import (  # noqa: E402
    CallData,
    call_close,
    call_create,
    call_data_of,
    call_interest_declare,
    call_interest_withdraw,
    call_publish,
    call_update,
    consortium_create,
    consortium_invite,
    consortium_leave,
    consortium_respond,
)

CALL_PARAMETERS = [
    OpenApiParameter("q", str, description="Words of the title, summary or funder, any language"),
    OpenApiParameter("kind", str, many=True, enum=Call.Kind.values),
    OpenApiParameter("sector", str, many=True, description="Sector slugs (any of them)"),
    OpenApiParameter("competence", str, many=True, description="Competence slugs"),
    OpenApiParameter("open", str, enum=["1", "0"], description="1 (default): open calls only"),
    OpenApiParameter("page", int),
]


def _service(service, **kwargs):
    """Run a service; its refusals become the API's error shape (400 / 403)."""
    try:
        return service(**kwargs)
    except DjangoValidationError as error:
        if hasattr(error, "error_dict"):
            raise exceptions.ValidationError(error.message_dict) from error
        raise exceptions.ValidationError(error.messages) from error
    except PermissionDenied as error:
        raise exceptions.PermissionDenied(str(error) or None) from error


class CallListView(APIView):
    """Published calls, with the filters of the calls page; cluster managers create."""

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(
        parameters=CALL_PARAMETERS,
        responses=CallListSerializer(many=True),
        operation_id="calls_list",
    )
    def get(self, request: Request) -> Response:
        page = calls_search(filters=call_filters_from(request.query_params))
        return Response(
            {
                "count": page.paginator.count,
                "page": page.number,
                "pages": page.paginator.num_pages,
                "results": CallListSerializer(page.object_list, many=True).data,
            }
        )

    @extend_schema(
        request=CallWriteSerializer, responses=CallDetailSerializer, operation_id="calls_create"
    )
    def post(self, request: Request) -> Response:
        if not request.user.has_perm("accounts.manage_cluster"):
            raise exceptions.PermissionDenied()
        serializer = CallWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        call = _service(call_create, by=request.user, data=CallData(**serializer.validated_data))
        return Response(
            CallDetailSerializer(call_detail(slug=call.slug, viewer=request.user)).data,
            status=status.HTTP_201_CREATED,
        )


class CallDetailView(APIView):
    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(responses=CallDetailSerializer, operation_id="calls_retrieve")
    def get(self, request: Request, slug: str) -> Response:
        return Response(CallDetailSerializer(call_detail(slug=slug, viewer=request.user)).data)

    @extend_schema(
        request=CallWriteSerializer, responses=CallDetailSerializer, operation_id="calls_update"
    )
    def patch(self, request: Request, slug: str) -> Response:
        if not request.user.has_perm("accounts.manage_cluster"):
            raise exceptions.PermissionDenied()
        call = get_object_or_404(Call, slug=slug)
        serializer = CallWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = {k: v for k, v in serializer.validated_data.items() if k != "slug"}
        data = replace(call_data_of(call), **changes)
        _service(call_update, call=call, by=request.user, data=data)
        return Response(CallDetailSerializer(call_detail(slug=slug, viewer=request.user)).data)


class CallStatusView(APIView):
    """POST publishes a draft or closes a published call (cluster managers)."""

    action = "publish"

    @extend_schema(request=None, responses=CallDetailSerializer)
    def post(self, request: Request, slug: str) -> Response:
        if not request.user.has_perm("accounts.manage_cluster"):
            raise exceptions.PermissionDenied()
        call = get_object_or_404(Call, slug=slug)
        service = call_publish if self.action == "publish" else call_close
        _service(service, call=call, by=request.user)
        return Response(CallDetailSerializer(call_detail(slug=slug, viewer=request.user)).data)


class CallInterestView(APIView):
    """A member organisation's admin declares (POST) or withdraws (DELETE) its interest."""

    @extend_schema(request=OrganisationChoiceSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, slug: str) -> Response:
        call = call_detail(slug=slug, viewer=request.user)
        serializer = OrganisationChoiceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organisation = serializer.validated_data["organisation"]
        _service(call_interest_declare, call=call, organisation=organisation, by=request.user)
        return Response(
            {"call": call.slug, "organisation": organisation.slug, "interested": True},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=OrganisationChoiceSerializer, responses=None)
    def delete(self, request: Request, slug: str) -> Response:
        call = call_detail(slug=slug, viewer=request.user)
        serializer = OrganisationChoiceSerializer(data=request.data or request.query_params)
        serializer.is_valid(raise_exception=True)
        organisation = serializer.validated_data["organisation"]
        _service(call_interest_withdraw, call=call, organisation=organisation, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConsortiumListView(APIView):
    """Consortia the caller's organisations are in or invited to; POST forms one."""

    @extend_schema(responses=ConsortiumSerializer(many=True), operation_id="consortia_list")
    def get(self, request: Request) -> Response:
        consortia = consortia_involving(
            user=request.user, call_slug=request.query_params.get("call")
        )
        return Response(ConsortiumSerializer(consortia, many=True).data)

    @extend_schema(request=ConsortiumCreateSerializer, responses=ConsortiumSerializer)
    def post(self, request: Request) -> Response:
        serializer = ConsortiumCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        consortium = _service(consortium_create, by=request.user, **serializer.validated_data)
        return Response(
            ConsortiumSerializer(consortium_detail(pk=consortium.pk, viewer=request.user)).data,
            status=status.HTTP_201_CREATED,
        )


class ConsortiumDetailView(APIView):
    @extend_schema(responses=ConsortiumSerializer, operation_id="consortia_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        return Response(ConsortiumSerializer(consortium_detail(pk=pk, viewer=request.user)).data)


class ConsortiumInvitationView(APIView):
    """The lead's admin invites a member organisation."""

    @extend_schema(request=OrganisationChoiceSerializer, responses=ConsortiumSerializer)
    def post(self, request: Request, pk: int) -> Response:
        consortium = consortium_detail(pk=pk, viewer=request.user)
        serializer = OrganisationChoiceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        _service(
            consortium_invite,
            consortium=consortium,
            organisation=serializer.validated_data["organisation"],
            by=request.user,
        )
        return Response(
            ConsortiumSerializer(consortium_detail(pk=pk, viewer=request.user)).data,
            status=status.HTTP_201_CREATED,
        )


class ConsortiumRespondView(APIView):
    """The invited organisation's admin accepts or declines."""

    @extend_schema(request=ConsortiumRespondSerializer, responses=ConsortiumSerializer)
    def post(self, request: Request, pk: int) -> Response:
        consortium = consortium_detail(pk=pk, viewer=request.user)
        serializer = ConsortiumRespondSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organisation = serializer.validated_data["organisation"]
        membership = next(
            (m for m in consortium.all_memberships if m.organisation_id == organisation.pk), None
        )
        if membership is None:
            raise exceptions.ValidationError(
                {"organisation": [_("This organisation is not invited to this consortium.")]}
            )
        _service(
            consortium_respond,
            membership=membership,
            accept=serializer.validated_data["accept"],
            by=request.user,
        )
        return Response(ConsortiumSerializer(consortium_detail(pk=pk, viewer=request.user)).data)


class ConsortiumLeaveView(APIView):
    @extend_schema(request=OrganisationChoiceSerializer, responses=ConsortiumSerializer)
    def post(self, request: Request, pk: int) -> Response:
        consortium = consortium_detail(pk=pk, viewer=request.user)
        serializer = OrganisationChoiceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        _service(
            consortium_leave,
            consortium=consortium,
            organisation=serializer.validated_data["organisation"],
            by=request.user,
        )
        return Response(ConsortiumSerializer(consortium_detail(pk=pk, viewer=request.user)).data)
