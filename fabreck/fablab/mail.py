"""E-mails of the FabLab, each in its recipient's language, sent after commit."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from fabreck.core.ics import IcsEvent, ics_calendar
from fabreck.core.mail import email_send_on_commit
from fabreck.fablab.models import Booking


def booking_ics_event(booking: Booking) -> IcsEvent:
    site = booking.resource.site
    return IcsEvent(
        uid=f"booking-{booking.pk}@fabreck",
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        summary=f"{booking.resource.name}, {site.name}",
        location=f"{site.name}, {site.street}, {site.postcode} {site.locality}",
        url=settings.SITE_URL + reverse("fablab:booking", args=[booking.pk]),
        cancelled=booking.status == Booking.Status.CANCELLED,
        sequence=int(booking.updated_at.timestamp()) % 2_000_000_000,
        updated_at=booking.updated_at,
    )


def booking_confirmation_send(*, booking: Booking) -> None:
    """The maker's confirmation, with the slot as a calendar attachment."""
    maker = booking.user
    with translation.override(maker.preferred_language):
        context = {
            "booking": booking,
            "recipient": maker,
            "site": booking.resource.site,
            "booking_url": settings.SITE_URL + reverse("fablab:booking", args=[booking.pk]),
        }
        subject = _("[Fabreck] Booking confirmed: %(resource)s") % {
            "resource": booking.resource.name
        }
        body = render_to_string("fablab/email/booking_confirmed.txt", context)
    message = EmailMessage(subject=subject, body=body, to=[maker.email])
    message.attach(
        "booking.ics",
        ics_calendar([booking_ics_event(booking)], method="PUBLISH"),
        "text/calendar",
    )
    email_send_on_commit(message)
