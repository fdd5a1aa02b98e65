"""The FabLab's demo data: two sites with a fleet, trainings and weeks of bookings that
keep every rule the booking service enforces."""

from datetime import datetime, time, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from fabreck.accounts.models import User
from fabreck.fablab.models import (
    Authorisation,
    Booking,
    Closure,
    MaterialUse,
    Occupancy,
    OpeningHours,
    Resource,
    Site,
    TrainingSession,
)
from fabreck.fablab.selectors import booking_quote, occupied_resource_ids, rule_violations

pytestmark = pytest.mark.django_db

STAFF = "site-staff@demo.fabreck.lu"
DEMO_MAKER = "maker@demo.fabreck.lu"


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seeded once for the tests that only read; emptied afterwards like a transactional
    test would leave it."""
    with django_db_blocker.unblock():
        call_command("seed", "--scale", "demo", "--fresh", stdout=StringIO())
        yield
        call_command("flush", interactive=False, verbosity=0)


def _codes(violations) -> set[str]:
    return {v.code for v in violations}


def test_demo_seed_builds_both_sites_with_their_fleet_trainings_and_bookings(seeded):
    esch, differdange = Site.objects.get(slug="esch"), Site.objects.get(slug="differdange")
    assert {esch.kind, differdange.kind} == {"prototyping", "industrial"}
    for site in (esch, differdange):
        assert site.staff.filter(email=STAFF).exists()
        assert site.opening_hours.exists() and site.closures.exists()
        assert site.description_en and site.description_fr and site.description_de
    assert esch.max_booking_minutes != differdange.max_booking_minutes  # rules per site

    assert Resource.objects.count() >= 20
    assert Resource.objects.filter(status="maintenance").count() == 1
    assert Resource.objects.filter(status="out_of_order").count() == 1
    hall = Resource.objects.get(slug="differdange-production-hall")
    assert hall.contents.filter(category__slug="waterjet").exists() and not hall.is_bookable
    room = Resource.objects.get(slug="differdange-workshop-room")
    assert room.contents.filter(category__slug="3d-printer").count() >= 2
    laser = Resource.objects.get(slug="esch-trotec-speedy-400")
    assert laser.required_courses.filter(slug="laser-safety").exists()
    assert laser.specs.count("\n") >= 2 and laser.documentation_url.startswith("https://")

    past_sessions = TrainingSession.objects.filter(ends_at__lt=timezone.now())
    assert past_sessions.count() >= 3
    assert all(s.instructor.email == STAFF for s in TrainingSession.objects.all())
    assert Authorisation.objects.filter(session__in=past_sessions).exists()

    now = timezone.now()
    bookings = Booking.objects.filter(kind="booking")
    assert bookings.filter(ends_at__lte=now, checked_out_at__isnull=False).count() > 100
    assert bookings.filter(no_show=True).exists()
    assert bookings.filter(status="cancelled").exists()
    upcoming = bookings.filter(starts_at__gt=now + timedelta(days=7), status="confirmed")
    assert upcoming.exists()
    assert not Booking.objects.filter(starts_at__gt=now + timedelta(days=15)).exclude(
        kind="maintenance"
    )
    assert Booking.objects.filter(kind="maintenance").exists()
    assert Booking.objects.filter(kind="block").exists()
    assert MaterialUse.objects.exists()


def test_no_two_occupancies_of_one_resource_overlap(seeded):
    overlapping = Occupancy.objects.filter(
        Exists(
            Occupancy.objects.filter(
                resource_id=OuterRef("resource_id"),
                starts_at__lt=OuterRef("ends_at"),
                ends_at__gt=OuterRef("starts_at"),
            ).exclude(pk=OuterRef("pk"))
        )
    )
    assert Occupancy.objects.count() > 1000
    assert not overlapping.exists()


def test_every_booking_holds_its_resource_and_what_stands_in_it_unless_cancelled(seeded):
    held = {}
    for booking_id, resource_id, starts_at, ends_at in Occupancy.objects.values_list(
        "booking_id", "resource_id", "starts_at", "ends_at"
    ):
        held.setdefault(booking_id, set()).add((resource_id, starts_at, ends_at))
    spaces_booked = 0
    for booking in Booking.objects.select_related("resource"):
        if booking.status == "cancelled":
            assert booking.pk not in held
            continue
        expected = {
            (pk, booking.starts_at, booking.ends_at)
            for pk in occupied_resource_ids(resource=booking.resource)
        }
        assert held.get(booking.pk) == expected, booking
        spaces_booked += len(expected) > 1
    assert spaces_booked  # a space booked with the machines inside it


def test_prices_are_the_quote_the_maker_was_shown(seeded):
    bookings = Booking.objects.filter(kind="booking").select_related(
        "resource", "user", "organisation"
    )
    checked = 0
    for booking in bookings.order_by("pk")[::4]:
        quote = booking_quote(
            resource=booking.resource,
            maker=booking.user,
            organisation=booking.organisation,
            starts_at=booking.starts_at,
            ends_at=booking.ends_at,
        )
        assert (booking.price_group_id, booking.hourly_rate, booking.price) == (
            quote.price_group.pk,
            quote.hourly_rate,
            quote.price,
        ), booking
        checked += 1
    assert checked > 100
    assert bookings.exclude(price_group__slug="public").exists()  # students, organisations
    assert bookings.filter(organisation__isnull=False).exists()


def test_upcoming_bookings_keep_every_rule_a_maker_would_meet(seeded):
    """Hours, closures, step, lengths, training, status, quota, organisation: the service
    would have accepted each of them."""
    upcoming = Booking.objects.filter(
        kind="booking",
        status="confirmed",
        rules_overridden=False,
        starts_at__gt=timezone.now() + timedelta(days=1),
    ).select_related("resource__site", "user", "organisation")
    assert upcoming.count() > 50
    for booking in upcoming.order_by("pk")[::2]:  # half of them: the rules are slow to ask
        violations = rule_violations(
            resource=booking.resource,
            starts_at=booking.starts_at,
            ends_at=booking.ends_at,
            maker=booking.user,
            organisation=booking.organisation,
            ignore_booking=booking,
        )
        assert violations == [], (booking, _codes(violations))


def test_every_booking_needing_a_training_was_made_by_a_maker_holding_it_then(seeded):
    held_then = Authorisation.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gte=OuterRef("ends_at")),
        user=OuterRef("user"),
        course__resources=OuterRef("resource"),
        issued_at__lte=OuterRef("created_at"),
        revoked_at__isnull=True,
    )
    needing = Booking.objects.filter(
        kind="booking", rules_overridden=False, resource__required_courses__isnull=False
    )
    assert needing.count() > 500
    assert not needing.exclude(Exists(held_then)).exists()


def _open_slot(site: Site, hour: int) -> tuple[datetime, datetime]:
    """An hour on an open day of `site` a few days ahead, not a holiday."""
    today = timezone.localdate()
    for offset in range(2, site.max_days_ahead):
        day = today + timedelta(days=offset)
        if OpeningHours.objects.filter(
            site=site, weekday=day.weekday(), opens__lte=time(hour), closes__gte=time(hour + 1)
        ).exists() and not Closure.objects.filter(site=site, starts_on__lte=day, ends_on__gte=day):
            starts = timezone.make_aware(datetime.combine(day, time(hour)))
            return starts, starts + timedelta(hours=1)
    raise AssertionError("no open day")


def test_the_demo_maker_is_refused_the_laser_for_lack_of_training_but_may_print(seeded):
    maker = User.objects.get(email=DEMO_MAKER)
    laser = Resource.objects.get(slug="esch-trotec-speedy-400")
    printer = Resource.objects.get(slug="esch-prusa-mk4-3")
    starts, ends = _open_slot(laser.site, 11)

    refused = rule_violations(resource=laser, starts_at=starts, ends_at=ends, maker=maker)
    allowed = rule_violations(resource=printer, starts_at=starts, ends_at=ends, maker=maker)

    assert _codes(refused) == {"training_required"}
    assert "Laser cutting" in str(refused[0].message)
    assert allowed == []
    assert maker.fablab_bookings.filter(starts_at__gt=timezone.now()).exists()


@pytest.mark.django_db(transaction=True)
def test_the_same_seed_gives_the_same_bookings():
    def snapshot():
        return list(
            Booking.objects.order_by("pk").values_list(
                "resource__slug", "starts_at", "ends_at", "user__email", "status", "price"
            )
        )

    call_command("seed", "--scale", "demo", "--seed", "3", "--fresh", stdout=StringIO())
    first = snapshot()
    call_command("seed", "--scale", "demo", "--seed", "3", "--fresh", stdout=StringIO())
    assert snapshot() == first
