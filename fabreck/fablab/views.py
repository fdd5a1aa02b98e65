"""FabLab pages. Thin: parse, call one service or selector, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from fabreck.fablab.selectors import booking_visible_to


@login_required
@require_GET
def booking_detail(request: HttpRequest, pk: int) -> HttpResponse:
    booking = booking_visible_to(pk=pk, user=request.user)
    return render(request, "fablab/booking.html", {"booking": booking})
