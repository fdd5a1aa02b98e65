"""Periodic jobs of the incubator, run by Celery beat (and by cron through a command)."""

# --- kpis ---
from celery import shared_task  # noqa: E402, RUF100

from fabreck.incubator import services as _kpis_services  # noqa: E402, RUF100


@shared_task
def kpi_reminders_send() -> int:
    """Daily: remind startups of the last quarter's KPI update (due, then late), once each."""
    return _kpis_services.kpi_reminders_send()
