"""Prepaid hours under a rush, proven on PostgreSQL: many makers of one startup book
different machines at the same moment against a small balance. Under the account's row
lock the hours used add up to the grant at most, the balance never goes below zero, and
each booking's prepaid hours match its movement. The control test takes the lock away and
shows the race it prevents (lost updates: more hours used than granted)."""

from __future__ import annotations

import functools
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from fabreck.fablab import services
from fabreck.fablab.models import Booking, PrepaidAccount, PrepaidMovement
from fabreck.fablab.services import booking_create, prepaid_hours_change
from tests.concurrency import run_at_once
from tests.fablab.credits_helpers import member_add, startup_with_hours
from tests.fablab.helpers import machine_make, next_weekday_at, site_make
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrency is proven on PostgreSQL"
    ),
]

THREADS = 24
GRANT = Decimal("5.00")
D = Decimal


@pytest.fixture
def rush():
    """A startup with 5 prepaid hours, THREADS of its makers, one machine each."""
    startup, owner = startup_with_hours(hours=str(GRANT))
    site = site_make()
    makers = [owner] + [
        member_add(startup, UserFactory(roles=["maker"])) for _ in range(THREADS - 1)
    ]
    machines = [
        machine_make(site, name=f"Printer {n}", category="3d-printer", rate="10")
        for n in range(THREADS)
    ]
    start = next_weekday_at(10)
    calls = [
        functools.partial(
            booking_create,
            by=maker,
            resource=machine,
            starts_at=start,
            ends_at=start + timedelta(hours=1, minutes=30),
            organisation=startup,
        )
        for maker, machine in zip(makers, machines, strict=True)
    ]
    return startup, calls


def _used(startup) -> Decimal:
    return -(
        PrepaidMovement.objects.filter(account__organisation=startup).aggregate(
            used=Sum("hours", default=0)
        )["used"]
        - GRANT
    )


def test_a_rush_of_bookings_uses_at_most_the_grant_and_each_booking_matches_its_movement(rush):
    startup, calls = rush

    outcomes = run_at_once(calls)

    assert all(isinstance(o, Booking) for o in outcomes), outcomes
    account = PrepaidAccount.objects.get(organisation=startup)
    bookings = list(Booking.objects.filter(organisation=startup))
    assert len(bookings) == THREADS
    used = sum((b.prepaid_hours for b in bookings), D("0"))
    assert used == GRANT  # 1.5 + 1.5 + 1.5 + 0.5: everything, never more
    assert account.balance_hours == D("0.00")
    assert account.balance_hours == GRANT - used
    for booking in bookings:
        movement = PrepaidMovement.objects.filter(booking=booking).aggregate(s=Sum("hours"))[
            "s"
        ] or D("0")
        assert -movement == booking.prepaid_hours
        assert booking.price == (D("1.50") - booking.prepaid_hours) * 10
    assert sorted(b.prepaid_hours for b in bookings if b.prepaid_hours) == [
        D("0.50"),
        D("1.50"),
        D("1.50"),
        D("1.50"),
    ]


def test_a_staff_adjustment_racing_the_bookings_never_takes_the_balance_below_zero(rush):
    startup, calls = rush
    staff = UserFactory(roles=["site_staff"])
    take_all = functools.partial(
        prepaid_hours_change,
        organisation=startup,
        kind="adjustment",
        hours="-5",
        note="Taken back",
        by=staff,
    )

    outcomes = run_at_once([take_all, *calls])

    account = PrepaidAccount.objects.get(organisation=startup)
    assert account.balance_hours >= 0
    total = PrepaidMovement.objects.filter(account=account).aggregate(s=Sum("hours"))["s"]
    assert account.balance_hours == total  # the balance is exactly its history
    assert all(isinstance(o, Booking) for o in outcomes[1:]), outcomes
    bookings_used = sum(
        (b.prepaid_hours for b in Booking.objects.filter(organisation=startup)), D("0")
    )
    if isinstance(outcomes[0], PrepaidMovement):  # the adjustment came first: nothing left
        assert bookings_used == D("0.00")
    else:  # bookings came first: the adjustment is refused with a message
        assert "cannot take away more" in " ".join(outcomes[0].messages)
        assert bookings_used == GRANT


def test_control_without_the_account_lock_the_rush_uses_more_than_the_grant(rush, monkeypatch):
    startup, calls = rush

    def unlocked(*, organisation):  # reads the balance, then lets the others read it too
        account = PrepaidAccount.objects.get(organisation=organisation)
        time.sleep(0.2)
        return account

    monkeypatch.setattr(services, "prepaid_account_locked", unlocked)

    outcomes = run_at_once(calls)

    bookings = [o for o in outcomes if isinstance(o, Booking)]
    used = sum((b.prepaid_hours for b in bookings), D("0"))
    account = PrepaidAccount.objects.get(organisation=startup)
    # Lost updates: more hours used than granted, and a balance that is not its history.
    assert used > GRANT
    assert account.balance_hours != GRANT - used
