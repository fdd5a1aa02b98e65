"""Pages of workshops and events. Sections are appended per capability."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from fabreck.events.services import registration_offer_claim

# --- registrations and the waitlist -------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def offer_claim(request: HttpRequest, token: str) -> HttpResponse:
    """The claim link of a freed seat. Opening it asks for a click (a link checker that
    opens it claims nothing); the click claims the seat."""
    if request.method == "POST":
        try:
            registration = registration_offer_claim(token=token, user=request.user)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, " ".join(getattr(error, "messages", None) or [str(error)]))
        else:
            messages.success(
                request,
                _("The seat is yours: %(who)s is registered for “%(event)s”.")
                % {
                    "who": registration.attendee_label,
                    "event": registration.session.event.title,
                },
            )
        return redirect("core:home")
    return render(request, "events/offer_claim.html", {"token": token})
