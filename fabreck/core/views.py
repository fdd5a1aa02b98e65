"""Pages that belong to no domain: home, health check, error pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET

# The eight creative sectors the cluster groups (labels only; the cluster app owns the data).
CREATIVE_SECTORS = (
    _lazy("Architecture"),
    _lazy("Art crafts"),
    _lazy("Film and audiovisual"),
    _lazy("Design"),
    _lazy("Games"),
    _lazy("Marketing and communication"),
    _lazy("Fashion"),
    _lazy("New media"),
)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"sectors": CREATIVE_SECTORS})


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness probe for load balancers; also the benchmark's ceiling (no DB, no template)."""
    return HttpResponse("ok", content_type="text/plain")


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _error(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"error": {"code": code, "message": message}}, status=status)
    context = {"status": status, "message": message}
    try:
        return render(request, f"{status}.html", context, status=status)
    except Exception:  # the error page must never fail in turn
        return HttpResponse(message, status=status, content_type="text/plain")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, "bad_request", _("The request could not be understood."))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 403, "permission_denied", _("You are not allowed to see this page."))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, "not_found", _("This page does not exist."))


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(request, 500, "server_error", _("Something went wrong on our side."))
