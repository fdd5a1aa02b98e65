"""Prepaid hours: bookings for an organisation use them first; cancelling gives them back;
moving recomputes; staff grant and adjust with a note; the balance never goes below zero."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fabreck.fablab.models import Booking, PrepaidAccount, PrepaidMovement
from fabreck.fablab.selectors import booking_preview
from fabreck.fablab.services import (
    booking_cancel,
    booking_create,
    booking_reschedule,
    prepaid_hours_change,
)
from tests.fablab.credits_helpers import startup_with_hours
from tests.fablab.helpers import machine_make, next_weekday_at, site_make
from tests.factories import UserFactory, organisation_make

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def laser():
    return machine_make(site_make(), rate="40")


def _book(maker, machine, organisation, *, hour=10, hours=2, **extra):
    start = next_weekday_at(hour)
    return booking_create(
        by=maker,
        resource=machine,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        organisation=organisation,
        **extra,
    )


def _balance(organisation) -> Decimal:
    return PrepaidAccount.objects.get(organisation=organisation).balance_hours


def test_a_booking_within_the_balance_is_free_and_uses_its_hours(laser):
    startup, owner = startup_with_hours(hours="3")

    booking = _book(owner, laser, startup, hours=2)

    assert booking.prepaid_hours == D("2.00")
    assert booking.price == D("0.00")
    assert _balance(startup) == D("1.00")
    use = PrepaidMovement.objects.get(booking=booking)
    assert (use.kind, use.hours, use.by) == ("use", D("-2.00"), owner)


def test_a_booking_beyond_the_balance_pays_only_the_hours_not_prepaid(laser):
    startup, owner = startup_with_hours(hours="0.5")

    booking = _book(owner, laser, startup, hours=2)

    assert booking.prepaid_hours == D("0.50")
    assert booking.price == D("60.00")  # 1.5 h at 40 €
    assert _balance(startup) == D("0.00")


def test_personal_bookings_and_other_organisations_leave_the_hours_alone(laser):
    startup, owner = startup_with_hours(hours="3")
    other = organisation_make(owner=owner, name="Other company")

    personal = _book(owner, laser, None, hour=9, hours=1)
    for_other = _book(owner, laser, other, hour=13, hours=1)

    assert personal.prepaid_hours == for_other.prepaid_hours == D("0.00")
    assert personal.price == for_other.price == D("40.00")
    assert _balance(startup) == D("3.00")
    assert not PrepaidAccount.objects.filter(organisation=other).exists()


def test_an_empty_account_changes_nothing(laser):
    startup, owner = startup_with_hours(hours="1")
    _book(owner, laser, startup, hour=9, hours=1)

    second = _book(owner, laser, startup, hour=13, hours=1)

    assert second.prepaid_hours == D("0.00")
    assert second.price == D("40.00")
    assert PrepaidMovement.objects.filter(booking=second).count() == 0


def test_a_refused_booking_uses_nothing(laser):
    startup, owner = startup_with_hours(hours="3")
    _book(owner, laser, startup, hour=10, hours=2)

    with pytest.raises(ValidationError):
        _book(owner, laser, startup, hour=11, hours=1)  # overlaps

    assert _balance(startup) == D("1.00")
    assert Booking.objects.count() == 1


def test_cancelling_gives_the_hours_back_once(laser):
    startup, owner = startup_with_hours(hours="3")
    booking = _book(owner, laser, startup, hours=2)

    booking_cancel(booking=booking, by=owner)

    assert _balance(startup) == D("3.00")
    refund = PrepaidMovement.objects.get(booking=booking, kind="refund")
    assert refund.hours == D("2.00")
    with pytest.raises(ValidationError):
        booking_cancel(booking=booking, by=owner)
    assert _balance(startup) == D("3.00")
    assert PrepaidMovement.objects.filter(booking=booking, kind="refund").count() == 1


def test_moving_to_a_longer_slot_uses_more_hours_up_to_the_balance(laser):
    startup, owner = startup_with_hours(hours="3")
    booking = _book(owner, laser, startup, hour=10, hours=2)
    start = next_weekday_at(13)

    moved = booking_reschedule(
        booking=booking, by=owner, starts_at=start, ends_at=start + timedelta(hours=4)
    )

    assert moved.prepaid_hours == D("3.00")
    assert moved.price == D("40.00")  # 1 h left to pay
    assert _balance(startup) == D("0.00")
    move = PrepaidMovement.objects.get(booking=booking, kind="move")
    assert move.hours == D("-1.00")


def test_moving_twice_keeps_a_readable_history_and_a_right_balance(laser):
    startup, owner = startup_with_hours(hours="3")
    booking = _book(owner, laser, startup, hour=10, hours=2)
    start = next_weekday_at(13)
    booking_reschedule(
        booking=booking, by=owner, starts_at=start, ends_at=start + timedelta(hours=1)
    )
    booking_reschedule(
        booking=booking, by=owner, starts_at=start, ends_at=start + timedelta(hours=3)
    )
    booking.refresh_from_db()

    assert booking.prepaid_hours == D("3.00")
    assert _balance(startup) == D("0.00")
    kinds = list(
        PrepaidMovement.objects.filter(booking=booking).order_by("pk").values_list("kind", "hours")
    )
    assert kinds == [("use", D("-2.00")), ("move", D("1.00")), ("move", D("-2.00"))]

    booking_cancel(booking=booking, by=owner)
    assert _balance(startup) == D("3.00")


def test_moving_to_the_same_length_records_nothing(laser):
    startup, owner = startup_with_hours(hours="3")
    booking = _book(owner, laser, startup, hour=10, hours=2)
    start = next_weekday_at(13)

    booking_reschedule(
        booking=booking, by=owner, starts_at=start, ends_at=start + timedelta(hours=2)
    )

    assert PrepaidMovement.objects.filter(booking=booking).count() == 1
    assert _balance(startup) == D("1.00")


def test_the_preview_says_how_many_hours_it_uses_and_what_is_left_to_pay(laser):
    startup, owner = startup_with_hours(hours="1.5")
    start = next_weekday_at(10)

    preview = booking_preview(
        resource=laser,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        maker=owner,
        organisation=startup,
    )

    assert preview.prepaid_hours == D("1.50")
    assert preview.price_to_pay == D("20.00")
    assert preview.quote.price == D("80.00")


def test_the_move_preview_counts_the_bookings_own_hours_as_available(laser):
    startup, owner = startup_with_hours(hours="2")
    booking = _book(owner, laser, startup, hour=10, hours=2)
    start = next_weekday_at(13)

    preview = booking_preview(
        resource=laser,
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        maker=owner,
        organisation=startup,
        ignore_booking=booking,
    )

    assert preview.prepaid_hours == D("2.00")
    assert preview.price_to_pay == D("40.00")


# --- Staff grants and adjustments ---------------------------------------------------------


@pytest.fixture
def staff():
    return UserFactory(roles=["site_staff"])


def test_staff_grant_hours_to_an_organisation_without_an_account(staff):
    startup, _owner = startup_with_hours(hours=None)

    movement = prepaid_hours_change(
        organisation=startup, kind="grant", hours="10", note="Incubation grant", by=staff
    )

    assert (movement.kind, movement.hours, movement.by, movement.note) == (
        "grant",
        D("10.00"),
        staff,
        "Incubation grant",
    )
    assert _balance(startup) == D("10.00")


def test_staff_adjust_down_within_the_balance(staff):
    startup, _owner = startup_with_hours(hours="3")

    prepaid_hours_change(
        organisation=startup, kind="adjustment", hours="-2.5", note="Fix", by=staff
    )

    assert _balance(startup) == D("0.50")


@pytest.mark.parametrize(
    ("kind", "hours", "note", "field", "words"),
    [
        ("adjustment", "-3.01", "Too much", "hours", "has 3.00 hours left"),
        ("grant", "-1", "Negative grant", "hours", "above zero"),
        ("grant", "0", "Zero", "hours", "above zero"),
        ("adjustment", "0", "Zero", "hours", "other than zero"),
        ("grant", "ten", "Words", "hours", "as a number"),
        ("grant", "1.005", "Three decimals", "hours", "two decimals"),
        ("grant", "10000", "Too many", "hours", "9999.99"),
        ("grant", "1", "  ", "note", "Say why"),
        ("expiry", "1", "Unknown kind", "kind", "grant or an adjustment"),
    ],
)
def test_bad_changes_are_refused_with_a_message_and_change_nothing(
    staff, kind, hours, note, field, words
):
    startup, _owner = startup_with_hours(hours="3")

    with pytest.raises(ValidationError) as refused:
        prepaid_hours_change(organisation=startup, kind=kind, hours=hours, note=note, by=staff)

    assert words in " ".join(refused.value.message_dict[field])
    assert _balance(startup) == D("3.00")
    assert PrepaidMovement.objects.count() == 1


def test_a_refused_first_change_creates_no_account(staff):
    startup, _owner = startup_with_hours(hours=None)

    with pytest.raises(ValidationError):
        prepaid_hours_change(
            organisation=startup, kind="adjustment", hours="-1", note="x", by=staff
        )

    assert not PrepaidAccount.objects.filter(organisation=startup).exists()


def test_only_fablab_staff_grant_hours():
    startup, owner = startup_with_hours(hours="3")

    with pytest.raises(PermissionDenied):
        prepaid_hours_change(organisation=startup, kind="grant", hours="5", note="Me", by=owner)

    assert _balance(startup) == D("3.00")
