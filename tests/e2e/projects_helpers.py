"""Shared pieces of the prototyping projects' browser tests."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

from django.utils import timezone

# The FabLab desk checks a maker in from 15 minutes before the start until the end
# (fabreck.fablab.selectors.CHECK_IN_EARLY); a booking made on the project page lies
# within one day (a date, a start time and an end time).
LAST_END = timedelta(hours=23, minutes=59)
TOMORROW_FROM = timedelta(hours=23, minutes=45)


def slot_open_for_check_in(now: datetime | None = None) -> tuple[datetime, datetime]:
    """A local slot of one day, on 15-minute marks, that the desk lets staff check in to
    from now and for at least 14 more minutes, whatever the hour the test runs:
    the quarter hour under way for an hour (cut at 23:59), or, from 23:45 on, tomorrow
    00:00-01:00 (whose check-in has opened)."""
    now = timezone.localtime(now)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if now >= midnight + TOMORROW_FROM:
        start = midnight + timedelta(days=1)
        return start, start + timedelta(hours=1)
    start = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    return start, min(start + timedelta(hours=1), midnight + LAST_END)


def server_errors(context) -> list[str]:
    """Collects, for the whole browser context, every response of the live server that was
    a server error (5xx) or a page (document) that did not answer 2xx/3xx."""
    found: list[str] = []

    def seen(response) -> None:
        is_page = response.request.resource_type == "document"
        if response.status >= 500 or (is_page and response.status >= 400):
            found.append(f"{response.status} {response.request.method} {response.url}")

    context.on("response", seen)
    return found


def screenshot(page, tmp_path: Path, name: str) -> None:
    """A full-page screenshot, in $FABRECK_SCREENSHOTS when set (to look at the pages)."""
    folder = Path(os.environ.get("FABRECK_SCREENSHOTS", tmp_path))
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
