"""Periodic FabLab jobs. Each calls one service; each is also a management command for cron
(`fabreck fablab_reminders`, `fabreck fablab_no_shows`)."""

from celery import shared_task

from fabreck.fablab import services


@shared_task
def authorisation_expiry_reminders() -> int:
    return services.authorisation_expiry_reminders_send()


@shared_task
def bookings_no_show_mark() -> int:
    return services.bookings_no_show_mark_ended()
