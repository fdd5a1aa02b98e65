"""Periodic jobs of workshops and events. Each calls one service; each is also a management
command for cron. Sections are appended per capability."""

from __future__ import annotations

from celery import shared_task

from fabreck.events import services

# --- registrations and the waitlist -------------------------------------------------------


@shared_task
def registration_offers_expire() -> int:
    """Every few minutes: offers not claimed in time pass to the next in line."""
    return services.registration_offers_expire()


@shared_task
def registration_reminders_send() -> int:
    """Hourly: reminders for the sessions starting within 48 hours."""
    return services.registration_reminders_send()
