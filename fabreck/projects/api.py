"""The prototyping projects' API. Thin: parse, call a service or a selector, serialize."""

# --- Quotes and execution -------------------------------------------------------------------

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fabreck.core.api import Refused, service_error
from fabreck.projects import selectors, services
from fabreck.projects.serializers import QuoteRejectSerializer, QuoteSerializer


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
