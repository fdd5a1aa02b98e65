"""API building blocks: pagination and one JSON shape for every error."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


def _first_message(detail: Any) -> str:
    if isinstance(detail, list | tuple) and detail:
        return _first_message(detail[0])
    if isinstance(detail, dict) and detail:
        return _first_message(next(iter(detail.values())))
    return str(detail)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """Errors come back as {"error": {"code", "message", "fields"?}} in the user's language."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    error: dict[str, Any] = {"code": getattr(exc, "default_code", "error")}
    if isinstance(exc, exceptions.ValidationError):
        error["code"] = "invalid"
        error["message"] = _("Some fields are not valid.")
        error["fields"] = response.data
        if isinstance(response.data, list):
            error["message"] = _first_message(response.data)
            del error["fields"]
    else:
        detail = getattr(exc, "detail", response.data)
        error["message"] = _first_message(detail)
        if isinstance(detail, exceptions.ErrorDetail):
            error["code"] = detail.code
    response.data = {"error": error}
    return response
