"""Periodic jobs of workshops and events. Each calls one service and is also a management
command for cron. Sections are appended per capability."""

from celery import shared_task

# --- children's data retention (evkids) ----------------------------------------------------
from fabreck.events import services as _children_services


@shared_task
def children_anonymise_expired() -> int:
    """Daily: anonymise the children whose last session ended past the retention period."""
    return _children_services.children_anonymise_expired()
