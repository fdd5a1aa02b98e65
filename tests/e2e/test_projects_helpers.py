"""The booking slot of the projects' browser tests can be checked in whatever the hour."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from fabreck.fablab.selectors import CHECK_IN_EARLY
from tests.e2e.projects_helpers import slot_open_for_check_in

DAY = datetime(2026, 3, 12).date()


def _at(hour: int, minute: int, second: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(DAY, time(hour, minute, second)))


@pytest.mark.parametrize(
    ("now", "start", "end"),
    [
        (_at(0, 0), _at(0, 0), _at(1, 0)),
        (_at(10, 7, 30), _at(10, 0), _at(11, 0)),
        (_at(22, 59), _at(22, 45), _at(23, 45)),
        (_at(23, 10), _at(23, 0), _at(23, 59)),
        (_at(23, 44, 59), _at(23, 30), _at(23, 59)),
        (_at(23, 45), _at(0, 0) + timedelta(days=1), _at(1, 0) + timedelta(days=1)),
        (_at(23, 59, 59), _at(0, 0) + timedelta(days=1), _at(1, 0) + timedelta(days=1)),
    ],
)
def test_the_slot_lies_within_one_day_and_is_open_for_check_in(now, start, end):
    assert slot_open_for_check_in(now) == (start, end)
    local_start, local_end = timezone.localtime(start), timezone.localtime(end)
    assert local_start.date() == local_end.date()  # one date, two times on the form
    # The desk checks in from 15 minutes before the start to the end: open now, and
    # still open 14 minutes later.
    assert start - CHECK_IN_EARLY <= now
    assert now + timedelta(minutes=14) < end
