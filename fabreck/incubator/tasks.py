from celery import shared_task

from fabreck.incubator import services

"""Periodic jobs of the incubator, run by Celery beat (and by cron through a command)."""

# --- kpis ---


@shared_task
def kpi_reminders_send() -> int:
    """Daily: remind startups of the last quarter's KPI update (due, then late), once each."""
    return services.kpi_reminders_send()
