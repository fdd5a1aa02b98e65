"""Periodic work of the cluster, run by Celery beat (and by cron through a command)."""

from __future__ import annotations

from celery import shared_task

from fabreck.cluster.services import call_digest_send


@shared_task
def call_digest() -> dict[str, int]:
    """Send the digest of matching calls; safe to run again (nothing is sent twice)."""
    report = call_digest_send()
    return {"organisations": report.organisations, "emails": report.emails, "calls": report.calls}
