"""Free time of machines and spaces: opening hours, minus closures, minus bookings."""

from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from fabreck.fablab import selectors
from fabreck.fablab.models import Closure
from fabreck.fablab.selectors import availability
from fabreck.fablab.services import booking_create
from tests.fablab.helpers import machine_make, next_weekday_at, site_make, space_make
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _day(start):
    return start.replace(hour=0), start.replace(hour=0) + timedelta(days=1)


def test_free_time_is_opening_hours_minus_bookings():
    site = site_make()
    laser = machine_make(site)
    maker = UserFactory(roles=["maker"])
    ten = next_weekday_at(10)
    booking_create(by=maker, resource=laser, starts_at=ten, ends_at=ten + timedelta(hours=2))
    day_start, day_end = _day(ten)

    [laser_free] = availability(resources=[laser], starts_at=day_start, ends_at=day_end)

    nine, six = ten.replace(hour=9), ten.replace(hour=18)
    assert laser_free.free == [(nine, ten), (ten + timedelta(hours=2), six)]


def test_a_space_is_busy_when_a_machine_inside_is_booked_and_the_reverse():
    site = site_make()
    room = space_make(site)
    printer = machine_make(site, name="Prusa", category="3d-printer", space=room)
    other = machine_make(site, name="Trotec")
    maker = UserFactory(roles=["maker"])
    ten = next_weekday_at(10)
    booking_create(by=maker, resource=printer, starts_at=ten, ends_at=ten + timedelta(hours=1))
    two = ten.replace(hour=14)
    booking_create(by=maker, resource=room, starts_at=two, ends_at=two + timedelta(hours=1))

    free = {
        a.resource.pk: a.free
        for a in availability(
            resources=[room, printer, other], starts_at=ten, ends_at=ten.replace(hour=18)
        )
    }

    assert free[room.pk] == [
        (ten + timedelta(hours=1), two),
        (two + timedelta(hours=1), ten.replace(hour=18)),
    ]
    assert free[printer.pk] == [
        (ten + timedelta(hours=1), two),
        (two + timedelta(hours=1), ten.replace(hour=18)),
    ]
    assert free[other.pk] == [(ten, ten.replace(hour=18))]


def test_closures_sundays_and_unavailable_machines_have_no_free_time():
    site = site_make()
    laser = machine_make(site)
    broken = machine_make(site, name="Broken CNC", category="cnc-mill", status="out_of_order")
    tuesday = next_weekday_at(9)
    Closure.objects.create(site=site, starts_on=tuesday.date(), ends_on=tuesday.date())
    week_end = tuesday + timedelta(days=6)  # through Monday: Sunday has no hours

    laser_free, broken_free = availability(
        resources=[laser, broken], starts_at=tuesday, ends_at=week_end
    )

    assert broken_free.free == []
    days = {start.date() for start, _end in laser_free.free}
    assert tuesday.date() not in days
    assert all(start.weekday() != 6 for start, _end in laser_free.free)
    assert len(days) == 4  # Wednesday to Saturday


def test_availability_costs_a_fixed_number_of_queries(django_assert_max_num_queries):
    site = site_make()
    machines = [machine_make(site, name=f"Printer {n}", category="3d-printer") for n in range(8)]
    maker = UserFactory(roles=["maker"])
    ten = next_weekday_at(10)
    for n, machine in enumerate(machines):
        booking_create(
            by=maker if n < 3 else UserFactory(roles=["maker"]),
            resource=machine,
            starts_at=ten,
            ends_at=ten + timedelta(minutes=30 + 15 * (n % 3)),
        )

    with django_assert_max_num_queries(4):
        availability(resources=machines, starts_at=ten, ends_at=ten + timedelta(days=7))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="compares with PostgreSQL's path")
def test_postgresql_computes_the_same_free_time_as_python_across_a_clock_change():
    """The two paths (SQL on multiranges, Python on lists) must agree: nested spaces,
    closures, unavailable machines, bookings across both, and the week the clocks go back."""
    site = site_make()
    hall = space_make(site, name="Hall")
    room = space_make(site, name="Room", space=hall)
    printer = machine_make(site, name="Prusa", category="3d-printer", space=room)
    laser = machine_make(site)
    broken = machine_make(site, name="Broken", category="cnc-mill", status="maintenance")
    staff = UserFactory(roles=["site_staff"])
    site.staff.add(staff)
    # The last Sunday of October: Luxembourg leaves summer time that night.
    year = timezone.localdate().year + 1
    sunday = max(date(year, 10, d) for d in range(25, 32) if date(year, 10, d).weekday() == 6)
    monday_before = sunday - timedelta(days=6)
    start = timezone.make_aware(datetime.combine(monday_before, datetime.min.time()))
    for day, hour, resource in ((0, 10, printer), (1, 14, room), (2, 9, laser), (3, 16, hall)):
        at = start + timedelta(days=day, hours=hour)
        booking_create(
            by=staff, resource=resource, starts_at=at, ends_at=at + timedelta(hours=2), kind="block"
        )
    closed = monday_before + timedelta(days=4)
    Closure.objects.create(site=site, starts_on=closed, ends_on=closed)
    resources = [hall, room, printer, laser, broken]
    end = start + timedelta(days=9)  # into the week after the change

    available = [r for r in resources if r.status == "available"]
    on_postgres = selectors._free_on_postgres(available, start, end)
    in_python = selectors._free_in_python(available, start, end)

    assert on_postgres == in_python
    assert len(on_postgres[laser.pk]) >= 6  # not two empty answers agreeing
    assert on_postgres[printer.pk] != on_postgres[laser.pk]  # the nesting took effect

    # The API's one-statement path lists the same resources, in order, with the same time.
    listed = selectors.availability_listed(starts_at=start, ends_at=end, site_slug=site.slug)
    through_python = selectors.availability_serialised(
        resources=selectors.resources_for_availability(site_slug=site.slug),
        starts_at=start,
        ends_at=end,
    )
    assert listed == through_python
    assert [row["resource"] for row in listed] == [
        r.slug for r in sorted(resources, key=lambda r: (r.position, r.name))
    ]
    assert next(row for row in listed if row["resource"] == broken.slug)["free"] == []
    one = selectors.availability_listed(starts_at=start, ends_at=end, resource_slug=printer.slug)
    assert [row["resource"] for row in one] == [printer.slug]
    printers = selectors.availability_listed(
        starts_at=start, ends_at=end, category_slug="3d-printer"
    )
    assert [row["resource"] for row in printers] == [printer.slug]
