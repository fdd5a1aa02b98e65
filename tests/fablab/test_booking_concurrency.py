"""Bookings never collide, proven on PostgreSQL with 32 makers booking at the same moment.

The control tests take the guards away one at a time and show the race they prevent:
without the row locks the exclusion constraint alone still refuses every double booking,
and without the constraint too, the same rush stores overlapping bookings.
"""

from __future__ import annotations

import functools
import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from fabreck.fablab import services
from fabreck.fablab.models import Booking, Occupancy
from fabreck.fablab.services import SlotTaken, booking_create
from tests.concurrency import run_at_once
from tests.fablab.helpers import machine_make, next_weekday_at, site_make, space_make
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrency is proven on PostgreSQL"
    ),
]

THREADS = 32


def _rush(attempts):
    """Book each (maker, kwargs) at once, each from its own connection."""
    return run_at_once(
        [functools.partial(booking_create, by=maker, **kwargs) for maker, kwargs in attempts]
    )


def _overlapping_pairs() -> int:
    """Pairs of occupancies of one resource that share time, counted by the database."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM fablab_occupancy a JOIN fablab_occupancy b
              ON a.resource_id = b.resource_id AND a.id < b.id
             AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
            """
        )
        return cursor.fetchone()[0]


@pytest.fixture
def makers():
    return [UserFactory(roles=["maker"]) for _ in range(THREADS)]


def test_32_makers_rushing_one_slot_get_one_booking(makers):
    laser = machine_make(site_make())
    start = next_weekday_at(10)
    slot = {"resource": laser, "starts_at": start, "ends_at": start + timedelta(hours=1)}

    outcomes = _rush([(maker, slot) for maker in makers])

    won = [o for o in outcomes if isinstance(o, Booking)]
    lost = [o for o in outcomes if not isinstance(o, Booking)]
    assert len(won) == 1
    assert all(isinstance(o, SlotTaken) for o in lost), lost
    assert "was just taken" in lost[0].messages[0]
    assert Booking.objects.count() == Occupancy.objects.count() == 1


def test_overlapping_rushes_on_machines_and_their_space_never_collide(makers):
    site = site_make()
    room = space_make(site)
    machines = [
        machine_make(site, name=f"Printer {n}", category="3d-printer", space=room) for n in range(3)
    ]
    start = next_weekday_at(10)
    attempts = []
    for n, maker in enumerate(makers):
        resource = room if n % 4 == 0 else machines[n % 3]
        offset = timedelta(minutes=15 * (n % 5))
        attempts.append(
            (
                maker,
                {
                    "resource": resource,
                    "starts_at": start + offset,
                    "ends_at": start + offset + timedelta(hours=1),
                },
            )
        )

    outcomes = _rush(attempts)

    assert any(isinstance(o, Booking) for o in outcomes)
    assert all(isinstance(o, Booking | SlotTaken) for o in outcomes), outcomes
    assert _overlapping_pairs() == 0


def _check_then_wait(barrier):
    """Every racer checks for overlaps before anyone inserts: the widest race window."""
    original = services.overlapping_occupancies

    def racing(**kwargs):
        found = original(**kwargs).exists()
        barrier.wait(timeout=30)
        return found

    return racing


def test_control_without_row_locks_the_constraint_alone_refuses_double_bookings(
    makers, monkeypatch
):
    laser = machine_make(site_make())
    start = next_weekday_at(10)
    slot = {"resource": laser, "starts_at": start, "ends_at": start + timedelta(hours=1)}
    monkeypatch.setattr(services, "_lock", lambda resource_ids, user: None)
    monkeypatch.setattr(
        services, "overlapping_occupancies", _check_then_wait(threading.Barrier(THREADS))
    )

    outcomes = _rush([(maker, slot) for maker in makers])

    assert sum(isinstance(o, Booking) for o in outcomes) == 1
    # Every loser passed the check, so it was the database that refused them.
    assert sum(isinstance(o, SlotTaken) for o in outcomes) == THREADS - 1
    assert _overlapping_pairs() == 0


def test_control_without_any_guard_the_rush_double_books(makers, monkeypatch):
    laser = machine_make(site_make())
    start = next_weekday_at(10)
    slot = {"resource": laser, "starts_at": start, "ends_at": start + timedelta(hours=1)}
    monkeypatch.setattr(services, "_lock", lambda resource_ids, user: None)
    monkeypatch.setattr(
        services, "overlapping_occupancies", _check_then_wait(threading.Barrier(THREADS))
    )
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE fablab_occupancy DROP CONSTRAINT fablab_occupancy_no_overlap")
    try:
        outcomes = _rush([(maker, slot) for maker in makers])
        booked = sum(isinstance(o, Booking) for o in outcomes)
        pairs = _overlapping_pairs()
    finally:
        Occupancy.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute(
                "ALTER TABLE fablab_occupancy ADD CONSTRAINT fablab_occupancy_no_overlap "
                "EXCLUDE USING gist (resource_id WITH =, "
                "tstzrange(starts_at, ends_at, '[)') WITH &&)"
            )

    assert booked > 1, "without the guards the race should double-book"
    assert pairs > 0
    assert not any(isinstance(o, ValidationError) for o in outcomes if not isinstance(o, Booking))
