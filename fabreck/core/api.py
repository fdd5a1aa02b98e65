"""API building blocks: pagination and one JSON shape for every error."""

from __future__ import annotations

import copy
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class FieldsBuiltOnce:
    """A serializer mixin for the hottest endpoints: the fields are built once per class and
    each serializer gets shallow copies. DRF deep-copies the declared fields for every
    serializer (and a ModelSerializer builds its fields from the model each time), which
    costs more than a small request's own work. Binding sets a copy's own name and parent;
    nothing else of a field changes while serializing or validating. Only for serializers
    whose fields do not depend on their instance or context."""

    def get_fields(self) -> dict:
        built = type(self).__dict__.get("_fields_built")
        if built is None:
            built = super().get_fields()
            type(self)._fields_built = built
        return {name: copy.copy(field) for name, field in built.items()}


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


class Refused(exceptions.APIException):
    """A service said no: every rule it named comes back as a problem with its code."""

    status_code = 400
    default_code = "refused"

    def __init__(self, error: DjangoValidationError, *, code: str = "refused", status: int = 400):
        self.status_code = status
        self.problems = [
            {"code": item.code or "invalid", "message": message}
            for item in error.error_list
            for message in item.messages
        ]
        super().__init__(detail=self.problems[0]["message"], code=code)


def service_error(error: DjangoValidationError) -> exceptions.APIException:
    """A Django ValidationError from a service, as the API's error: field errors stay
    field errors, rules become problems."""
    if hasattr(error, "error_dict"):
        return exceptions.ValidationError(error.message_dict)
    return Refused(error)


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
        # The service's own words ("Only the staff of … may do this.") when it gave some.
        exc = exceptions.PermissionDenied(str(exc) or None)
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
    if isinstance(exc, Refused):
        error["problems"] = exc.problems
    response.data = {"error": error}
    return response
