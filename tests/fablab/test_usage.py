"""Usage: check-in and check-out by staff or at the kiosk, no-shows, materials from the
site's catalogue at their price; staff blocks, machine status and price groups."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from fabreck.fablab.models import Booking, MakerProfile, Material, MaterialUse, PriceGroup
from fabreck.fablab.selectors import price_group_for
from fabreck.fablab.services import (
    booking_cancel,
    booking_check_in,
    booking_check_out,
    booking_create,
    booking_no_show_mark,
    bookings_no_show_mark_ended,
    machine_status_set,
    maker_price_group_set,
    material_use_delete,
    material_use_record,
    resource_block,
)
from tests.fablab.helpers import machine_make, next_weekday_at, site_make
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return UserFactory(roles=["site_staff"])


@pytest.fixture
def site(staff):
    return site_make(staff=[staff])


@pytest.fixture
def maker():
    return UserFactory(roles=["maker"])


@pytest.fixture
def laser(site):
    return machine_make(site)


def booked(staff, maker, resource, *, starts_in, minutes=60) -> Booking:
    """A booking at any time, made by staff for the maker (staff may book the past)."""
    start = (timezone.now() + starts_in).replace(microsecond=0)
    return booking_create(
        by=staff,
        maker=maker,
        resource=resource,
        starts_at=start,
        ends_at=start + timedelta(minutes=minutes),
        override=True,
    )


def _message(error: ValidationError) -> str:
    return " ".join(error.messages)


def _refused(action, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        action(**kwargs)
    return caught.value


# --- Check-in and check-out -----------------------------------------------------------


def test_check_in_opens_15_minutes_before_the_start(staff, maker, laser):
    booking = booked(staff, maker, laser, starts_in=timedelta(minutes=10))

    booking = booking_check_in(booking=booking, by=staff)

    assert booking.checked_in_at is not None
    booking.refresh_from_db()
    assert booking.checked_in_at is not None


def test_check_in_too_early_or_after_the_end_is_refused(staff, maker, laser):
    early = booked(staff, maker, laser, starts_in=timedelta(minutes=30))
    over = booked(staff, maker, laser, starts_in=-timedelta(hours=2))

    assert "Check-in opens 15 minutes before the start" in _message(
        _refused(booking_check_in, booking=early, by=staff)
    )
    assert "it can no longer be checked in" in _message(
        _refused(booking_check_in, booking=over, by=staff)
    )
    assert not Booking.objects.filter(checked_in_at__isnull=False).exists()


def test_check_in_boundaries(staff, maker, laser):
    booking = booked(staff, maker, laser, starts_in=timedelta(hours=5))
    opens = booking.starts_at - timedelta(minutes=15)

    _refused(booking_check_in, booking=booking, by=staff, now=opens - timedelta(seconds=1))
    _refused(booking_check_in, booking=booking, by=staff, now=booking.ends_at)
    assert booking_check_in(booking=booking, by=staff, now=opens).checked_in_at == opens


def test_a_cancelled_booking_cannot_be_checked_in_or_out(staff, maker, laser):
    booking = booked(staff, maker, laser, starts_in=timedelta(minutes=5))
    booking_cancel(booking=booking, by=staff)

    for action in (booking_check_in, booking_check_out, booking_no_show_mark):
        error = _refused(action, booking=booking, by=staff)
        assert error.code == "cancelled"
        assert "This booking is cancelled" in _message(error)
    booking.refresh_from_db()
    assert booking.checked_in_at is None and not booking.no_show


def test_blocks_have_no_check_in(staff, laser):
    start = timezone.now().replace(microsecond=0)
    block = booking_create(
        by=staff, resource=laser, starts_at=start, ends_at=start + timedelta(hours=1), kind="block"
    )

    assert _refused(booking_check_in, booking=block, by=staff).code == "not_a_booking"


def test_only_the_staff_of_the_site_record_usage(staff, maker, laser):
    booking = booked(staff, maker, laser, starts_in=timedelta(minutes=5))
    other_staff = UserFactory(roles=["site_staff"])
    site_make(slug="other", staff=[other_staff])

    for outsider in (maker, other_staff):
        with pytest.raises(PermissionDenied):
            booking_check_in(booking=booking, by=outsider)
    booking.refresh_from_db()
    assert booking.checked_in_at is None


def test_checking_in_or_out_twice_keeps_the_first_time(staff, maker, laser):
    booking = booked(staff, maker, laser, starts_in=-timedelta(minutes=5))
    now = timezone.now()

    first = booking_check_in(booking=booking, by=staff, now=now).checked_in_at
    again = booking_check_in(booking=booking, by=staff, now=now + timedelta(minutes=3))
    assert again.checked_in_at == first == now

    out = booking_check_out(booking=booking, by=staff, now=now + timedelta(minutes=20))
    out_again = booking_check_out(booking=booking, by=staff, now=now + timedelta(minutes=30))
    assert out_again.checked_out_at == out.checked_out_at == now + timedelta(minutes=20)


def test_check_out_needs_a_check_in(staff, maker, laser):
    booking = booked(staff, maker, laser, starts_in=-timedelta(minutes=5))

    error = _refused(booking_check_out, booking=booking, by=staff)

    assert "Check in first" in _message(error)
    booking.refresh_from_db()
    assert booking.checked_out_at is None


# --- No-shows -------------------------------------------------------------------------


def test_a_no_show_is_marked_after_the_grace_period_only(staff, maker, laser):
    booking = booked(staff, maker, laser, starts_in=-timedelta(minutes=10))

    assert "15 minutes after the start" in _message(
        _refused(booking_no_show_mark, booking=booking, by=staff)
    )
    marked = booking_no_show_mark(
        booking=booking, by=staff, now=booking.starts_at + timedelta(minutes=15)
    )
    assert marked.no_show


def test_a_maker_who_checked_in_is_no_no_show_and_a_late_one_lifts_the_mark(staff, maker, laser):
    here = booked(staff, maker, laser, starts_in=-timedelta(minutes=30))
    booking_check_in(booking=here, by=staff)
    assert "this is not a no-show" in _message(
        _refused(booking_no_show_mark, booking=here, by=staff)
    )

    printer = machine_make(laser.site, name="Printer", category="3d-printer")
    late = booked(staff, maker, printer, starts_in=-timedelta(minutes=30))
    booking_no_show_mark(booking=late, by=staff)
    late = booking_check_in(booking=late, by=staff)
    assert late.checked_in_at and not late.no_show


def test_bookings_that_ended_without_check_in_are_marked_by_the_command(staff, maker, laser):
    printer = machine_make(laser.site, name="Printer", category="3d-printer")
    missed = booked(staff, maker, laser, starts_in=-timedelta(hours=3))
    came = booked(staff, maker, printer, starts_in=-timedelta(hours=3))
    booking_check_in(booking=came, by=staff, now=came.starts_at)
    running = booked(staff, maker, laser, starts_in=-timedelta(minutes=30))
    cancelled = booked(staff, maker, printer, starts_in=-timedelta(hours=6))
    booking_cancel(booking=cancelled, by=staff)
    start = timezone.now().replace(microsecond=0) - timedelta(hours=8)
    block = booking_create(
        by=staff, resource=laser, starts_at=start, ends_at=start + timedelta(hours=1), kind="block"
    )
    out = StringIO()

    call_command("fablab_no_shows", stdout=out)

    assert "1 booking(s) marked as no-shows." in out.getvalue()
    no_shows = set(Booking.objects.filter(no_show=True).values_list("pk", flat=True))
    assert no_shows == {missed.pk}
    assert {running.pk, came.pk, cancelled.pk, block.pk}.isdisjoint(no_shows)
    assert bookings_no_show_mark_ended() == 0  # already marked


# --- Materials ------------------------------------------------------------------------


@pytest.fixture
def plywood(site):
    return Material.objects.create(
        site=site,
        name_en="Plywood 3 mm",
        name_fr="Contreplaqué 3 mm",
        name_de="Sperrholz 3 mm",
        unit="sheet",
        unit_price=Decimal("4.50"),
    )


def test_a_material_is_recorded_at_the_catalogue_price_of_the_moment(staff, maker, laser, plywood):
    booking = booked(staff, maker, laser, starts_in=-timedelta(minutes=5))

    use = material_use_record(booking=booking, material=plywood, quantity="1,5", by=staff)
    plywood.unit_price = Decimal("6.00")
    plywood.save()

    use.refresh_from_db()
    assert use.quantity == Decimal("1.50") and use.unit_price == Decimal("4.50")
    assert use.total == Decimal("6.75") and use.recorded_by == staff


@pytest.mark.parametrize(
    "quantity,message",
    [
        ("-2", "Enter a quantity above zero."),
        ("0", "Enter a quantity above zero."),
        ("a lot", "Enter the quantity as a number"),
        ("0.125", "at most two decimals"),
        ("NaN", "Enter a quantity above zero."),
    ],
)
def test_a_bad_quantity_is_refused_and_nothing_stored(
    staff, maker, laser, plywood, quantity, message
):
    booking = booked(staff, maker, laser, starts_in=-timedelta(minutes=5))

    error = _refused(
        material_use_record, booking=booking, material=plywood, quantity=quantity, by=staff
    )

    assert message in error.message_dict["quantity"][0]
    assert not MaterialUse.objects.exists()


def test_a_material_of_another_site_or_off_sale_is_refused(staff, maker, laser, plywood):
    other = site_make(slug="other", name="FabLab Other")
    acrylic = Material.objects.create(
        site=other, name_en="Acrylic", name_fr="Acrylique", name_de="Acryl",
        unit="sheet", unit_price=Decimal("9"),
    )  # fmt: skip
    booking = booked(staff, maker, laser, starts_in=-timedelta(minutes=5))

    error = _refused(material_use_record, booking=booking, material=acrylic, quantity=1, by=staff)
    assert error.message_dict["material"] == ["Acrylic is not sold at FabLab Test."]

    plywood.is_active = False
    plywood.save()
    error = _refused(material_use_record, booking=booking, material=plywood, quantity=1, by=staff)
    assert error.message_dict["material"] == ["Plywood 3 mm is no longer on sale."]
    assert not MaterialUse.objects.exists()


def test_materials_need_staff_and_a_live_booking(staff, maker, laser, plywood):
    booking = booked(staff, maker, laser, starts_in=-timedelta(minutes=5))
    with pytest.raises(PermissionDenied):
        material_use_record(booking=booking, material=plywood, quantity=1, by=maker)

    booking_cancel(booking=booking, by=staff)
    error = _refused(material_use_record, booking=booking, material=plywood, quantity=1, by=staff)
    assert error.code == "cancelled"
    assert not MaterialUse.objects.exists()


def test_staff_remove_a_material_recorded_by_mistake(staff, maker, laser, plywood):
    booking = booked(staff, maker, laser, starts_in=-timedelta(minutes=5))
    use = material_use_record(booking=booking, material=plywood, quantity=2, by=staff)

    with pytest.raises(PermissionDenied):
        material_use_delete(use=use, by=maker)
    material_use_delete(use=use, by=staff)

    assert not MaterialUse.objects.exists()


# --- Blocks and maintenance -----------------------------------------------------------


def test_a_staff_block_keeps_makers_off_and_its_removal_frees_the_time(staff, maker, laser):
    start = next_weekday_at(10)

    block = resource_block(
        by=staff,
        resource=laser,
        starts_at=start,
        ends_at=start + timedelta(hours=4),
        kind="maintenance",
        reason="Lens cleaning",
    )
    assert block.kind == "maintenance" and block.note == "Lens cleaning" and block.user is None

    with pytest.raises(ValidationError) as caught:
        booking_create(
            by=maker, resource=laser, starts_at=start, ends_at=start + timedelta(hours=1)
        )
    assert "was just taken" in _message(caught.value)

    booking_cancel(booking=block, by=staff)
    booking_create(by=maker, resource=laser, starts_at=start, ends_at=start + timedelta(hours=1))


def test_a_block_needs_a_reason_a_kind_and_staff(staff, maker, laser):
    start = next_weekday_at(10)
    slot = {"resource": laser, "starts_at": start, "ends_at": start + timedelta(hours=1)}

    error = _refused(resource_block, by=staff, kind="holiday", reason=" ", **slot)
    assert error.message_dict == {
        "kind": ["Choose a block or maintenance."],
        "reason": ["Give a reason: makers see why the time is taken."],
    }
    with pytest.raises(PermissionDenied):
        resource_block(by=maker, kind="block", reason="mine", **slot)
    assert not Booking.objects.exists()


# --- Machine status -------------------------------------------------------------------


def test_a_machine_in_maintenance_cannot_be_booked_until_available_again(staff, maker, laser):
    start = next_weekday_at(10)
    slot = {"resource": laser, "starts_at": start, "ends_at": start + timedelta(hours=1)}

    machine_status_set(resource=laser, status="maintenance", by=staff)
    laser.refresh_from_db()
    error = _refused(booking_create, by=maker, **slot)
    assert "unavailable" in {e.code for e in error.error_list}

    machine_status_set(resource=laser, status="available", by=staff)
    laser.refresh_from_db()
    assert booking_create(by=maker, **slot).pk


def test_the_status_must_be_known_and_set_by_staff(staff, maker, laser):
    error = _refused(machine_status_set, resource=laser, status="broken", by=staff)
    assert "Choose available, in maintenance or out of order." in _message(error)
    with pytest.raises(PermissionDenied):
        machine_status_set(resource=laser, status="out_of_order", by=maker)
    laser.refresh_from_db()
    assert laser.status == "available"


# --- Price groups ---------------------------------------------------------------------


def test_staff_set_a_makers_price_group_with_the_proof_checked(site, staff, maker):
    student = PriceGroup.objects.get(slug="student")

    error = _refused(
        maker_price_group_set, maker=maker, price_group=student, note=" ", by=staff, site=site
    )
    assert "Say which proof you checked" in error.message_dict["note"][0]
    assert not MakerProfile.objects.exists()
    with pytest.raises(PermissionDenied):
        maker_price_group_set(maker=maker, price_group=student, note="card", by=maker, site=site)

    maker_price_group_set(
        maker=maker, price_group=student, note="Student card until 2026", by=staff, site=site
    )
    assert price_group_for(maker=maker) == student
    assert MakerProfile.objects.get(user=maker).price_group_note == "Student card until 2026"
