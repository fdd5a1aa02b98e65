"""The registration rush, proven on PostgreSQL: dozens of guardians, teachers and
cancellations at the same moment never put more seats in a session than it has, and the
waitlist keeps the order in which the session lock was won.

The control tests take the guard away and show the race it prevents: without the session
lock and its counter the same rush oversells the session; without the lock but with the
counter, the check constraint alone refuses the excess (as errors: the waitlist is lost).
"""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from fabreck.events import services
from fabreck.events.models import Registration
from fabreck.events.services import (
    registration_cancel,
    registration_children_create,
    registration_offers_expire,
    registration_reminders_send,
    registration_school_class_create,
)
from tests.concurrency import run_at_once
from tests.events.helpers import event_make, school_make, session_make
from tests.events.registration_helpers import family_make
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrency is proven on PostgreSQL"
    ),
]

THREADS = 40


def _child_call(session, guardian, child):
    return lambda: registration_children_create(
        guardian=guardian, session=session, children=[child]
    )[0]


@pytest.fixture
def families():
    return [family_make(names=(f"Kid{n}",)) for n in range(THREADS)]


def _seated(session) -> int:
    """Seats of the registrations that hold some, counted by the database."""
    return sum(
        Registration.objects.filter(
            session=session, status__in=["confirmed", "offered"]
        ).values_list("seats", flat=True)
    )


def _queue_follows_the_lock(session) -> None:
    """Everyone seated won the lock before anyone queued, and the queue's order (queued_at,
    then id) is the order of the inserts: the order in which the lock was won."""
    confirmed = Registration.objects.filter(session=session, status="confirmed")
    queue = list(Registration.objects.filter(session=session, status="waitlisted"))
    by_arrival = sorted(queue, key=lambda r: (r.queued_at, r.pk))
    assert by_arrival == sorted(queue, key=lambda r: r.pk)
    if queue and confirmed:
        assert max(r.confirmed_at for r in confirmed) <= by_arrival[0].queued_at


@pytest.fixture
def slow_seats(monkeypatch):
    """A wide window between reading the seats left and taking them."""
    original = services._seats_left

    def slow(session):
        left = original(session)
        time.sleep(0.003)
        return left

    monkeypatch.setattr(services, "_seats_left", slow)


def test_40_guardians_rushing_8_seats_fill_them_and_queue_the_rest_in_order(families, slow_seats):
    session = session_make(event_make(), capacity=8)

    outcomes = run_at_once([_child_call(session, g, c) for g, (c,) in families])

    assert all(isinstance(o, Registration) for o in outcomes), outcomes
    assert sum(o.status == "confirmed" for o in outcomes) == 8
    assert sum(o.status == "waitlisted" for o in outcomes) == THREADS - 8
    session.refresh_from_db()
    assert session.seats_taken == _seated(session) == session.capacity
    _queue_follows_the_lock(session)
    # One e-mail each; the waitlist notices give every place in the queue once.
    assert len(mail.outbox) == THREADS
    places = [int(n) for m in mail.outbox for n in re.findall(r"number (\d+) in the queue", m.body)]
    assert sorted(places) == list(range(1, THREADS - 8 + 1))


def test_school_classes_racing_guardians_never_overfill_the_session(families, slow_seats):
    session = session_make(event_make(accepts_school_classes=True), capacity=30)
    teachers = [UserFactory(roles=["guardian"]) for _ in range(3)]
    calls = [_child_call(session, g, c) for g, (c,) in families[:32]]
    for n, teacher in enumerate(teachers):
        calls.insert(
            n * 11,
            lambda teacher=teacher, n=n: registration_school_class_create(
                teacher=teacher,
                session=session,
                school=school_make(name=f"School {n}"),
                grade="C3",
                pupils=12,
            ),
        )

    outcomes = run_at_once(calls)

    classes = [o for o in outcomes if isinstance(o, Registration) and o.kind == "school_class"]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert all(isinstance(o, Registration | ValidationError) for o in outcomes), outcomes
    assert len(classes) + len(refused) == 3
    assert all(c.status == "confirmed" for c in classes)  # classes never queue
    assert {e.code for e in refused} <= {"full", "class_too_large"}
    session.refresh_from_db()
    # 32 children want seats too, so every seat goes; never one more.
    assert session.seats_taken == _seated(session) == 30
    _queue_follows_the_lock(session)


def test_cancellations_racing_newcomers_hand_the_seats_to_the_queue_first():
    session = session_make(event_make(max_per_registrant=4), capacity=10)
    seated = [family_make(names=(f"Seat{n}",)) for n in range(10)]
    waiting = [family_make(names=(f"Wait{n}",)) for n in range(10)]
    for guardian, children in seated + waiting:
        registration_children_create(guardian=guardian, session=session, children=children)
    newcomers = [family_make(names=(f"New{n}",)) for n in range(20)]
    calls = [
        lambda r=r: registration_cancel(registration=r, by=r.registered_by)
        for r in Registration.objects.filter(session=session, status="confirmed")
    ] + [_child_call(session, g, c) for g, (c,) in newcomers]

    outcomes = run_at_once(calls)

    assert all(isinstance(o, Registration) for o in outcomes), outcomes
    session.refresh_from_db()
    assert session.seats_taken == _seated(session) == 10
    # The ten who waited before the rush hold the freed seats; every newcomer queues.
    offered = Registration.objects.filter(session=session, status="offered")
    assert sorted(r.child.first_name for r in offered) == sorted(f"Wait{n}" for n in range(10))
    assert Registration.objects.filter(
        session=session, status="waitlisted", child__first_name__startswith="New"
    ).count() == len(newcomers)


def test_overlapping_expiry_runs_expire_each_offer_once_and_pass_it_on_once():
    session = session_make(event_make(), capacity=5)
    people = [family_make(names=(f"Kid{n}",)) for n in range(15)]
    for guardian, children in people:
        registration_children_create(guardian=guardian, session=session, children=children)
    for registration in Registration.objects.filter(session=session, status="confirmed"):
        registration_cancel(registration=registration, by=registration.registered_by)
    later = timezone.now() + timedelta(days=2)
    mail.outbox.clear()

    outcomes = run_at_once([lambda: registration_offers_expire(now=later) for _ in range(8)])

    assert sum(outcomes) == 5, outcomes
    assert Registration.objects.filter(session=session, status="expired").count() == 5
    assert Registration.objects.filter(session=session, status="offered").count() == 5
    session.refresh_from_db()
    assert session.seats_taken == _seated(session) == 5
    assert len(mail.outbox) == 5  # one offer e-mail each to the next five


def test_overlapping_reminder_runs_remind_each_registration_once():
    session = session_make(
        event_make(), capacity=20, starts_at=timezone.now() + timedelta(hours=20)
    )
    for n in range(12):
        guardian, children = family_make(names=(f"Kid{n}",))
        registration_children_create(guardian=guardian, session=session, children=children)
    mail.outbox.clear()

    outcomes = run_at_once([registration_reminders_send for _ in range(8)])

    assert sum(outcomes) == 12, outcomes
    assert len(mail.outbox) == 12
    assert not Registration.objects.filter(reminder_sent_at__isnull=True).exists()


# --- Controls: the race the guard prevents ------------------------------------------------


def test_control_without_the_lock_and_the_counter_the_rush_oversells(families, monkeypatch):
    """The same service with the guard taken out: no session lock, the seats counted from
    the confirmed registrations (so the counter and its check constraint never engage),
    every racer counting before anyone inserts."""
    session = session_make(event_make(), capacity=5)
    barrier = threading.Barrier(THREADS)

    def count_then_wait(session):
        left = (
            session.capacity
            - Registration.objects.filter(session_id=session.pk, status="confirmed").count()
        )
        barrier.wait(timeout=60)
        return left

    monkeypatch.setattr(services, "_session_lock_clause", lambda: "")  # no FOR UPDATE
    monkeypatch.setattr(services, "_seats_left", count_then_wait)
    monkeypatch.setattr(services, "_seats_move_sql", lambda session, delta: None)  # no counter

    outcomes = run_at_once([_child_call(session, g, c) for g, (c,) in families])

    assert all(isinstance(o, Registration) for o in outcomes), outcomes
    confirmed = Registration.objects.filter(session=session, status="confirmed").count()
    assert confirmed == THREADS > session.capacity, "without the guard the rush should oversell"


def test_control_without_the_lock_the_check_constraint_alone_refuses_the_excess(
    families, monkeypatch
):
    """No session lock, but the counter moves: the database's check constraint refuses
    every seat past the capacity. Nothing is oversold, yet the losers get an error instead
    of a place in the queue: the lock is what keeps the waitlist."""
    session = session_make(event_make(), capacity=5)
    barrier = threading.Barrier(THREADS)
    original = services._seats_left

    def read_then_wait(session):
        left = original(session)
        barrier.wait(timeout=60)
        return left

    monkeypatch.setattr(services, "_session_lock_clause", lambda: "")  # no FOR UPDATE
    monkeypatch.setattr(services, "_seats_left", read_then_wait)

    outcomes = run_at_once([_child_call(session, g, c) for g, (c,) in families])

    won = [o for o in outcomes if isinstance(o, Registration)]
    lost = [o for o in outcomes if not isinstance(o, Registration)]
    assert len(won) == 5 and all(o.status == "confirmed" for o in won)
    assert len(lost) == THREADS - 5
    assert all(isinstance(o, ValidationError) and o.code == "full" for o in lost), lost
    session.refresh_from_db()
    assert session.seats_taken == _seated(session) == 5
    assert not Registration.objects.filter(status="waitlisted").exists()
