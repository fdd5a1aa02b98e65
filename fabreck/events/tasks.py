"""Periodic jobs of workshops and events. Each calls one service and is also a management
command for cron. Sections are appended per capability."""

from __future__ import annotations

from celery import shared_task

from fabreck.events import services
from fabreck.events import services as _children_services

# --- children's data retention (evkids) ----------------------------------------------------


@shared_task
def children_anonymise_expired() -> int:
    """Daily: anonymise the children whose last session ended past the retention period."""
    return _children_services.children_anonymise_expired()


"""Periodic jobs of workshops and events. Each calls one service; each is also a management
command for cron. Sections are appended per capability."""


# --- registrations and the waitlist -------------------------------------------------------


@shared_task
def registration_offers_expire() -> int:
    """Every few minutes: offers not claimed in time pass to the next in line."""
    return services.registration_offers_expire()


@shared_task
def registration_reminders_send() -> int:
    """Hourly: reminders for the sessions starting within 48 hours."""
    return services.registration_reminders_send()


@shared_task
def registration_notices_send(ids: list[int] | None = None) -> int:
    """On commit of a registration (its letters), and every minute (whatever is left, and
    the retries of failed sends): send the registration e-mails."""
    return services.registration_notices_send(ids=ids)
