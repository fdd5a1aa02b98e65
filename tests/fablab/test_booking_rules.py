"""Every booking rule, enforced by the service: a message naming the rule, nothing stored."""

from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fabreck.fablab.models import Booking, Closure, MakerProfile, Occupancy, PriceGroup, Rate
from fabreck.fablab.services import (
    SlotTaken,
    authorisation_grant,
    authorisation_revoke,
    booking_cancel,
    booking_create,
    booking_reschedule,
)
from tests.fablab.helpers import (
    course_make,
    machine_make,
    next_weekday_at,
    site_make,
    space_make,
)
from tests.factories import UserFactory, organisation_make

pytestmark = pytest.mark.django_db(transaction=True)  # confirmations are mailed on commit


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
    return machine_make(site, rate="30.00")


def _codes(error: ValidationError) -> set[str]:
    return {e.code for e in error.error_list}


def _refused(**kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        booking_create(**kwargs)
    assert not Booking.objects.exists()
    assert not Occupancy.objects.exists()
    return caught.value


def test_a_maker_books_a_free_slot_sees_the_price_and_gets_an_ics(maker, laser):
    start = next_weekday_at(10)

    booking = booking_create(
        by=maker, resource=laser, starts_at=start, ends_at=start + timedelta(hours=1, minutes=30)
    )

    assert booking.user == maker and booking.status == "confirmed"
    assert booking.price == Decimal("45.00")  # 1.5 h at the public 30 €/h
    assert booking.price_group.slug == "public"
    assert Occupancy.objects.filter(booking=booking, resource=laser).count() == 1
    message = mail.outbox[-1]
    assert message.to == [maker.email]
    (name, content, mimetype) = message.attachments[0]
    assert (name, mimetype) == ("booking.ics", "text/calendar")
    assert "BEGIN:VEVENT" in content
    assert f"DTSTART:{start.astimezone(UTC):%Y%m%dT%H%M%SZ}" in content


@pytest.mark.parametrize(
    ("start_hour", "minutes", "code", "words"),
    [
        (10, 0, "end_before_start", "The end must come after the start."),
        (10, -30, "end_before_start", "The end must come after the start."),
        (10, 15, "too_short", "at least 30 minutes"),
        (10, 300, "too_long", "at most 240 minutes"),
        (17, 120, "outside_opening_hours", "must fit within the opening hours"),
        (7, 60, "outside_opening_hours", "09:00"),
    ],
)
def test_bad_times_are_refused_with_the_rule_named(maker, laser, start_hour, minutes, code, words):
    start = next_weekday_at(start_hour)

    error = _refused(
        by=maker, resource=laser, starts_at=start, ends_at=start + timedelta(minutes=minutes)
    )

    assert code in _codes(error)
    assert any(words in m for m in error.messages), error.messages


def test_off_step_times_are_refused(maker, laser):
    start = next_weekday_at(10, 7)
    error = _refused(by=maker, resource=laser, starts_at=start, ends_at=start + timedelta(hours=1))
    assert _codes(error) == {"off_step"}


def test_the_past_too_late_and_too_far_ahead_are_refused(maker, laser, site):
    past = timezone.now().replace(second=0, microsecond=0) - timedelta(days=1)
    assert "in_the_past" in _codes(
        _refused(by=maker, resource=laser, starts_at=past, ends_at=past + timedelta(hours=1))
    )
    far = next_weekday_at(10, days_ahead=site.max_days_ahead + 1)
    assert "too_far_ahead" in _codes(
        _refused(by=maker, resource=laser, starts_at=far, ends_at=far + timedelta(hours=1))
    )


def test_sunday_is_closed_and_so_are_closure_days(maker, laser, site):
    sunday = next_weekday_at(11, weekday=6)
    error = _refused(
        by=maker, resource=laser, starts_at=sunday, ends_at=sunday + timedelta(hours=1)
    )
    assert _codes(error) == {"outside_opening_hours"}
    assert "is closed on Sunday" in error.messages[0]

    tuesday = next_weekday_at(10)
    Closure.objects.create(
        site=site, starts_on=tuesday.date(), ends_on=tuesday.date(), reason_en="Inventory"
    )
    error = _refused(
        by=maker, resource=laser, starts_at=tuesday, ends_at=tuesday + timedelta(hours=1)
    )
    assert _codes(error) == {"site_closed"}
    assert "(Inventory)" in error.messages[0]


def test_a_machine_in_maintenance_or_out_of_order_is_refused(maker, laser):
    start = next_weekday_at(10)
    for status, words in (("maintenance", "in maintenance"), ("out_of_order", "out of order")):
        laser.status = status
        laser.save()
        error = _refused(
            by=maker, resource=laser, starts_at=start, ends_at=start + timedelta(hours=1)
        )
        assert _codes(error) == {"unavailable"}
        assert words in error.messages[0].lower()


def test_a_machine_needs_a_valid_authorisation(maker, site, staff):
    course = course_make(months=12)
    laser = machine_make(site, courses=[course])
    start = next_weekday_at(10)

    error = _refused(by=maker, resource=laser, starts_at=start, ends_at=start + timedelta(hours=1))
    assert _codes(error) == {"training_required"}
    assert "Laser cutting basics" in error.messages[0]

    granted = authorisation_grant(
        user=maker, course=course, by=staff, site=site, evidence="Trained at TUM makerspace"
    )
    assert granted.expires_at > timezone.now() + timedelta(days=360)
    booking = booking_create(
        by=maker, resource=laser, starts_at=start, ends_at=start + timedelta(hours=1)
    )
    booking_cancel(booking=booking, by=staff)

    authorisation_revoke(
        authorisation=granted, by=staff, site=site, reason="Unsafe use of the laser"
    )
    later = start + timedelta(hours=2)
    assert "training_required" in _codes(
        _refused_after_first(
            by=maker, resource=laser, starts_at=later, ends_at=later + timedelta(hours=1)
        )
    )


def _refused_after_first(**kwargs) -> ValidationError:
    before = Booking.objects.count()
    with pytest.raises(ValidationError) as caught:
        booking_create(**kwargs)
    assert Booking.objects.count() == before
    return caught.value


def test_an_authorisation_expiring_before_the_end_does_not_count(maker, site, staff):
    course = course_make(months=1)
    laser = machine_make(site, courses=[course])
    start = next_weekday_at(10, days_ahead=10)
    authorisation_grant(
        user=maker, course=course, by=staff, site=site, evidence="Prior experience",
        issued_at=start - timedelta(days=31),
    )  # fmt: skip

    error = _refused(by=maker, resource=laser, starts_at=start, ends_at=start + timedelta(hours=1))

    assert _codes(error) == {"training_required"}


def test_only_staff_grant_and_direct_grants_need_evidence(maker, site, staff):
    course = course_make()
    with pytest.raises(PermissionDenied):
        authorisation_grant(user=maker, course=course, by=maker, site=site, evidence="I know it")
    with pytest.raises(ValidationError, match="Say how the maker proved"):
        authorisation_grant(user=maker, course=course, by=staff, site=site, evidence=" ")


def test_the_weekly_quota_counts_the_week_of_the_site(maker, laser, site):
    site.weekly_quota_hours = 3
    site.save()
    monday = next_weekday_at(9, weekday=0)
    booking_create(by=maker, resource=laser, starts_at=monday, ends_at=monday + timedelta(hours=2))
    wednesday = monday + timedelta(days=2, hours=1)

    error = _refused_after_first(
        by=maker, resource=laser, starts_at=wednesday, ends_at=wednesday + timedelta(hours=2)
    )

    assert _codes(error) == {"weekly_quota"}
    assert "4 hours" in error.messages[0] and "quota is 3 hours" in error.messages[0]
    next_week = monday + timedelta(days=7, hours=1)
    booking_create(
        by=maker, resource=laser, starts_at=next_week, ends_at=next_week + timedelta(hours=2)
    )


def test_an_overlap_is_refused_but_touching_slots_are_fine(maker, laser):
    start = next_weekday_at(10)
    booking_create(by=maker, resource=laser, starts_at=start, ends_at=start + timedelta(hours=1))
    other = UserFactory(roles=["maker"])

    with pytest.raises(SlotTaken, match="was just taken"):
        booking_create(
            by=other,
            resource=laser,
            starts_at=start + timedelta(minutes=30),
            ends_at=start + timedelta(hours=2),
        )
    booking_create(
        by=other,
        resource=laser,
        starts_at=start + timedelta(hours=1),
        ends_at=start + timedelta(hours=2),
    )
    assert Booking.objects.count() == 2


def test_a_space_blocks_its_machines_and_a_machine_blocks_its_space(maker, site, staff):
    room = space_make(site)
    printer = machine_make(site, name="Prusa MK4", category="3d-printer", space=room)
    start = next_weekday_at(10)
    booking_create(by=maker, resource=printer, starts_at=start, ends_at=start + timedelta(hours=1))
    other = UserFactory(roles=["maker"])

    with pytest.raises(SlotTaken):
        booking_create(by=other, resource=room, starts_at=start, ends_at=start + timedelta(hours=2))

    later = start + timedelta(hours=3)
    booking_create(by=other, resource=room, starts_at=later, ends_at=later + timedelta(hours=2))
    with pytest.raises(SlotTaken):
        booking_create(
            by=maker,
            resource=printer,
            starts_at=later + timedelta(hours=1),
            ends_at=later + timedelta(hours=2),
        )


def test_maintenance_blocks_bookings_and_only_staff_set_it(maker, laser, staff):
    start = next_weekday_at(10)
    with pytest.raises(PermissionDenied):
        booking_create(
            by=maker,
            resource=laser,
            starts_at=start,
            ends_at=start + timedelta(hours=4),
            kind="maintenance",
        )
    booking_create(
        by=staff,
        resource=laser,
        starts_at=start,
        ends_at=start + timedelta(hours=4),
        kind="maintenance",
    )

    with pytest.raises(SlotTaken):
        booking_create(
            by=maker,
            resource=laser,
            starts_at=start + timedelta(hours=1),
            ends_at=start + timedelta(hours=2),
        )


def test_staff_override_the_makers_rules_but_never_an_overlap(maker, laser, staff):
    sunday = next_weekday_at(11, weekday=6)

    booking = booking_create(
        by=staff,
        maker=maker,
        resource=laser,
        starts_at=sunday,
        ends_at=sunday + timedelta(hours=6),
        override=True,
    )

    assert booking.rules_overridden and booking.user == maker and booking.booked_by == staff
    with pytest.raises(SlotTaken):
        booking_create(
            by=staff,
            maker=maker,
            resource=laser,
            starts_at=sunday,
            ends_at=sunday + timedelta(hours=1),
            override=True,
        )
    with pytest.raises(PermissionDenied):
        booking_create(
            by=maker,
            resource=laser,
            starts_at=sunday,
            ends_at=sunday + timedelta(hours=1),
            override=True,
        )


def test_makers_cannot_book_for_someone_else(maker, laser):
    start = next_weekday_at(10)
    with pytest.raises(PermissionDenied):
        booking_create(
            by=maker,
            maker=UserFactory(),
            resource=laser,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
        )


def test_prices_follow_the_group_of_the_maker_or_the_organisation(maker, laser):
    student = PriceGroup.objects.get(slug="student")
    member = PriceGroup.objects.get(slug="cluster-member")
    Rate.objects.create(price_group=student, category=laser.category, hourly_rate=Decimal("10"))
    Rate.objects.create(price_group=member, resource=laser, hourly_rate=Decimal("20"))
    MakerProfile.objects.create(user=maker, price_group=student)
    organisation = organisation_make(owner=maker, name="Pixel Studio")
    start = next_weekday_at(10)

    personal = booking_create(
        by=maker, resource=laser, starts_at=start, ends_at=start + timedelta(hours=2)
    )
    for_organisation = booking_create(
        by=maker, resource=laser, organisation=organisation,
        starts_at=start + timedelta(hours=2), ends_at=start + timedelta(hours=3),
    )  # fmt: skip

    assert (personal.price_group.slug, personal.price) == ("student", Decimal("20.00"))
    assert (for_organisation.price_group.slug, for_organisation.price) == (
        "cluster-member",
        Decimal("20.00"),
    )


def test_one_books_only_for_an_organisation_one_belongs_to(maker, laser):
    stranger = organisation_make(name="Not Mine")
    start = next_weekday_at(10)
    error = _refused(
        by=maker,
        resource=laser,
        organisation=stranger,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
    )
    assert _codes(error) == {"not_in_organisation"}


def test_cancelling_frees_the_slot_until_the_deadline(maker, laser, site, staff):
    start = next_weekday_at(10)
    booking = booking_create(
        by=maker, resource=laser, starts_at=start, ends_at=start + timedelta(hours=1)
    )

    booking_cancel(booking=booking, by=maker, reason="Plans changed")

    booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.cancelled_by == maker
    assert not Occupancy.objects.exists()
    again = booking_create(
        by=UserFactory(roles=["maker"]),
        resource=laser,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
    )

    site.cancellation_hours = 24 * 30
    site.save()
    with pytest.raises(ValidationError, match="up to 720 hours before"):
        booking_cancel(booking=again, by=again.user)
    booking_cancel(booking=again, by=staff)  # staff may, always
    with pytest.raises(ValidationError, match="already cancelled"):
        booking_cancel(booking=again, by=staff)


def test_rescheduling_moves_the_occupancy_and_reprices(maker, laser):
    start = next_weekday_at(10)
    booking = booking_create(
        by=maker, resource=laser, starts_at=start, ends_at=start + timedelta(hours=1)
    )
    blocker = booking_create(
        by=UserFactory(roles=["maker"]),
        resource=laser,
        starts_at=start + timedelta(hours=3),
        ends_at=start + timedelta(hours=4),
    )

    with pytest.raises(SlotTaken):
        booking_reschedule(
            booking=booking, by=maker, starts_at=blocker.starts_at, ends_at=blocker.ends_at
        )
    moved = booking_reschedule(
        booking=booking,
        by=maker,
        starts_at=start + timedelta(minutes=30),
        ends_at=start + timedelta(hours=2, minutes=30),
    )

    assert moved.price == Decimal("60.00")
    assert list(Occupancy.objects.filter(booking=booking).values_list("starts_at", flat=True)) == [
        start + timedelta(minutes=30)
    ]
    with pytest.raises(PermissionDenied):
        booking_reschedule(
            booking=booking,
            by=UserFactory(roles=["maker"]),
            starts_at=start,
            ends_at=start + timedelta(hours=1),
        )
