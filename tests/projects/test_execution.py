"""Staff book the project's machines in the FabLab calendar, the desk records check-ins
and materials, staff record their time, and actual versus quoted shows on the project page
in a bounded number of queries."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fabreck.fablab.models import Booking
from fabreck.fablab.services import (
    SlotTaken,
    booking_cancel,
    booking_check_in,
    booking_check_out,
    booking_create,
    booking_no_show_mark,
    material_use_record,
)
from fabreck.projects.models import Project, ProjectBooking, StaffTime, StatusChange
from fabreck.projects.selectors import bookings_linkable, project_costs
from fabreck.projects.services import (
    QuoteLineInput,
    project_booking_create,
    project_booking_link,
    quote_accept,
    staff_time_record,
)
from tests.fablab.helpers import machine_make, next_weekday_at, site_make
from tests.factories import UserFactory
from tests.projects.quote_helpers import (
    laser_make,
    material_make,
    quote_make,
    standard_lines,
    triaged_project,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def laser(site):
    return laser_make(site)


@pytest.fixture
def acrylic(site):
    return material_make(site)


@pytest.fixture
def accepted(site, staff, laser, acrylic):
    """A project whose quote (399.40 before VAT) the requester accepted."""
    project = triaged_project(site, staff, status="requested")
    quote = quote_make(project, staff, standard_lines(laser, acrylic))
    quote_accept(quote=quote, by=project.requested_by)
    return Project.objects.get(pk=project.pk)


def _book(project, staff, resource, start, hours=2, **kwargs):
    return project_booking_create(
        project=project,
        by=staff,
        resource=resource,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        **kwargs,
    ).booking


def _status(project) -> str:
    return Project.objects.get(pk=project.pk).status


# --- Booking for a project ------------------------------------------------------------------


def test_the_first_booking_starts_the_project_and_sits_in_the_calendar(accepted, staff, laser):
    start = next_weekday_at(10)

    booking = _book(accepted, staff, laser, start)

    booking.refresh_from_db()
    assert (booking.user, booking.booked_by, booking.organisation) == (
        staff,
        staff,
        accepted.organisation,
    )
    assert booking.project_reference == accepted.reference
    assert booking.hourly_rate == Decimal("40.00")  # the organisation's group, not the lead's
    assert booking.occupancies.count() == 1  # it holds the machine in the calendar
    assert ProjectBooking.objects.get(booking=booking).project == accepted
    assert _status(accepted) == "in_progress"
    assert StatusChange.objects.filter(project=accepted).last().to_status == "in_progress"

    _book(accepted, staff, laser, start + timedelta(days=1))
    assert StatusChange.objects.filter(project=accepted, to_status="in_progress").count() == 1


def test_no_booking_before_the_quote_is_accepted(site, staff, laser, acrylic):
    project = triaged_project(site, staff)
    quote_make(project, staff, standard_lines(laser, acrylic))

    with pytest.raises(ValidationError) as refused:
        _book(project, staff, laser, next_weekday_at(10))

    assert "once its quote is accepted; this one is quoted" in refused.value.messages[0]
    assert not Booking.objects.exists() and not ProjectBooking.objects.exists()


def test_a_machine_of_another_site_is_refused(accepted, staff):
    mill = machine_make(site_make(slug="industrial"), name="Big mill", category="cnc-mill")
    with pytest.raises(ValidationError) as refused:
        _book(accepted, staff, mill, next_weekday_at(10))
    assert "is not a machine of FabLab Test" in refused.value.message_dict["resource"][0]
    assert not Booking.objects.exists()
    assert _status(accepted) == "accepted"


def test_a_taken_slot_links_nothing_and_leaves_the_project_accepted(accepted, staff, laser):
    start = next_weekday_at(10)
    booking_create(by=staff, resource=laser, starts_at=start, ends_at=start + timedelta(hours=3))

    with pytest.raises(SlotTaken):
        _book(accepted, staff, laser, start + timedelta(hours=1))

    assert not ProjectBooking.objects.exists()
    assert _status(accepted) == "accepted"
    assert not StatusChange.objects.filter(to_status="in_progress").exists()


def test_the_requester_as_operator_follows_the_makers_rules_unless_overridden(
    accepted, staff, laser
):
    evening = next_weekday_at(20)  # the site closes at 18:00

    with pytest.raises(ValidationError) as refused:
        _book(accepted, staff, laser, evening, operator="requester")
    assert not Booking.objects.exists()
    assert any("must fit within the opening hours" in m for m in refused.value.messages)

    booking = _book(accepted, staff, laser, evening, operator="requester", override=True)
    assert booking.user == accepted.requested_by
    # Staff work in the lead's name at the same hour is not held to the makers' rules.
    assert _book(accepted, staff, laser, evening + timedelta(days=7)).user == staff


def test_only_the_projects_staff_book_for_it(accepted, laser):
    with pytest.raises(PermissionDenied):
        _book(accepted, accepted.requested_by, laser, next_weekday_at(10))
    stranger_staff = UserFactory(roles=["site_staff"])
    site_make(slug="elsewhere", staff=[stranger_staff])
    with pytest.raises(PermissionDenied):
        _book(accepted, stranger_staff, laser, next_weekday_at(10))
    assert not Booking.objects.exists()


def test_an_existing_booking_of_the_site_can_count_for_the_project(accepted, staff, laser):
    start = next_weekday_at(10)
    existing = booking_create(
        by=staff,
        resource=laser,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        maker=accepted.requested_by,
        project_reference=accepted.reference,
        override=True,
    )
    assert bookings_linkable(project=accepted) == [existing]

    project_booking_link(project=accepted, by=staff, booking=existing)

    assert ProjectBooking.objects.get(booking=existing).project == accepted
    assert _status(accepted) == "in_progress"
    assert bookings_linkable(project=accepted) == []
    other = triaged_project(accepted.site, staff, status="accepted", title="Other project")
    with pytest.raises(ValidationError) as refused:
        project_booking_link(project=other, by=staff, booking=existing)
    assert f"already counts for project {accepted.reference}" in str(refused.value)


def test_a_cancelled_booking_or_one_of_another_site_cannot_be_linked(accepted, staff, laser):
    start = next_weekday_at(10)
    cancelled = booking_create(
        by=staff, resource=laser, starts_at=start, ends_at=start + timedelta(hours=1)
    )
    booking_cancel(booking=cancelled, by=staff)
    elsewhere_staff = UserFactory(roles=["site_staff"])
    elsewhere = machine_make(site_make(slug="elsewhere", staff=[elsewhere_staff]), name="Far laser")
    far = booking_create(
        by=elsewhere_staff, resource=elsewhere, starts_at=start, ends_at=start + timedelta(hours=1)
    )

    with pytest.raises(ValidationError, match="confirmed booking"):
        project_booking_link(project=accepted, by=staff, booking=cancelled)
    with pytest.raises(ValidationError, match="another site"):
        project_booking_link(project=accepted, by=staff, booking=far)
    assert not ProjectBooking.objects.exists()


# --- Staff time ------------------------------------------------------------------------------


def test_staff_time_at_the_default_or_a_typed_rate(accepted, staff):
    today = timezone.localdate()
    first = staff_time_record(project=accepted, by=staff, day=today, hours="3", note="Setup")
    second = staff_time_record(project=accepted, by=staff, day=today, hours="1,5", hourly_rate="30")
    assert (first.hours, first.hourly_rate, first.staff) == (
        Decimal("3.00"),
        Decimal("55.00"),
        staff,
    )
    assert (second.hours, second.hourly_rate) == (Decimal("1.50"), Decimal("30.00"))


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"hours": "0"}, "hours"),
        ({"hours": "24.5"}, "hours"),
        ({"hours": "-1"}, "hours"),
        ({"hours": "many"}, "hours"),
        ({"hours": "2", "hourly_rate": "-10"}, "hourly_rate"),
        ({"hours": "2", "day": "future"}, "day"),
    ],
)
def test_bad_staff_time_is_refused(accepted, staff, fields, field):
    day = timezone.localdate()
    if fields.pop("day", None) == "future":
        day += timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        staff_time_record(project=accepted, by=staff, day=day, **fields)
    assert field in refused.value.message_dict
    assert not StaffTime.objects.exists()


def test_staff_time_waits_for_the_acceptance_and_is_for_staff(site, staff):
    quoted = triaged_project(site, staff, status="quoted")
    with pytest.raises(ValidationError, match="once the quote is accepted"):
        staff_time_record(project=quoted, by=staff, day=timezone.localdate(), hours=1)
    with pytest.raises(PermissionDenied):
        staff_time_record(project=quoted, by=quoted.requested_by, day=timezone.localdate(), hours=1)
    assert not StaffTime.objects.exists()


# --- Actual versus quoted --------------------------------------------------------------------


def _worked(accepted, staff, laser, acrylic):
    """Four laser bookings: used 1.5 h; checked in but not out (2 h booked); a no-show; not
    checked in. Materials: 4.5 sheets. Staff: 3 h at 55 and 1 h at 30."""
    day = next_weekday_at(10)
    used = _book(accepted, staff, laser, day)
    booking_check_in(booking=used, by=staff, now=day)
    booking_check_out(booking=used, by=staff, now=day + timedelta(minutes=90))
    still_there = _book(accepted, staff, laser, day + timedelta(days=1))
    booking_check_in(booking=still_there, by=staff, now=still_there.starts_at)
    absent = _book(accepted, staff, laser, day + timedelta(hours=4), hours=1)
    booking_no_show_mark(booking=absent, by=staff, now=absent.starts_at + timedelta(minutes=20))
    _book(accepted, staff, laser, day + timedelta(hours=6), hours=1)
    material_use_record(booking=used, material=acrylic, quantity="2", by=staff)
    material_use_record(booking=still_there, material=acrylic, quantity="2.5", by=staff)
    today = timezone.localdate()
    staff_time_record(project=accepted, by=staff, day=today, hours="3")
    staff_time_record(project=accepted, by=staff, day=today, hours="1", hourly_rate="30")


def test_actual_versus_quoted(accepted, staff, laser, acrylic):
    _worked(accepted, staff, laser, acrylic)

    costs = project_costs(project=accepted)

    assert costs.quote.version == 1 and costs.quote.status == "accepted"
    [machine] = costs.machines
    assert (machine.label, machine.quoted_quantity, machine.quoted) == (
        "Laser cutter Trotec",
        Decimal("5.00"),
        Decimal("200.00"),
    )
    # 1.5 h used + 2 h booked while still there; the no-show and the absent count nothing.
    assert (machine.actual_quantity, machine.actual) == (Decimal("3.50"), Decimal("140.00"))
    assert machine.difference == Decimal("-60.00")
    [material] = costs.materials
    assert (material.quoted_quantity, material.quoted) == (Decimal("3.00"), Decimal("73.50"))
    assert (material.actual_quantity, material.actual) == (Decimal("4.50"), Decimal("110.25"))
    assert (costs.staff.quoted_quantity, costs.staff.quoted) == (
        Decimal("2.00"),
        Decimal("110.00"),
    )
    assert (costs.staff.actual_quantity, costs.staff.actual) == (
        Decimal("4.00"),
        Decimal("195.00"),
    )
    assert (costs.other.quoted, costs.other.actual) == (Decimal("15.90"), Decimal("0.00"))
    assert (costs.quoted.net, costs.actual.net, costs.difference) == (
        Decimal("399.40"),
        Decimal("445.25"),
        Decimal("45.85"),
    )


def test_a_machine_not_quoted_shows_with_nothing_quoted(accepted, staff, laser):
    printer = machine_make(accepted.site, name="Prusa MK4", category="3d-printer", rate="10")
    start = next_weekday_at(10)
    booking = _book(accepted, staff, printer, start, hours=1)
    booking_check_in(booking=booking, by=staff, now=start)
    booking_check_out(booking=booking, by=staff, now=start + timedelta(hours=1))

    costs = project_costs(project=accepted)

    row = next(row for row in costs.machines if row.label == "Prusa MK4")
    assert (row.quoted, row.actual_quantity, row.actual) == (
        Decimal("0.00"),
        Decimal("1.00"),
        Decimal("10.00"),
    )


def test_the_booking_keeps_the_rate_of_the_day_it_was_made(accepted, staff, laser):
    from fabreck.fablab.models import Rate

    start = next_weekday_at(10)
    booking = _book(accepted, staff, laser, start, hours=1)
    booking_check_in(booking=booking, by=staff, now=start)
    booking_check_out(booking=booking, by=staff, now=start + timedelta(hours=1))
    Rate.objects.filter(resource=laser).update(hourly_rate=Decimal("500.00"))

    assert project_costs(project=accepted).actual.machines == Decimal("40.00")


def test_costs_take_the_same_queries_for_one_booking_or_twelve(accepted, staff, laser, acrylic):
    start = next_weekday_at(8)
    first = _book(accepted, staff, laser, start, hours=1)
    material_use_record(booking=first, material=acrylic, quantity="1", by=staff)
    with CaptureQueriesContext(connection) as one:
        project_costs(project=accepted)
    for n in range(1, 12):
        booking = _book(accepted, staff, laser, start + timedelta(hours=2 * n), hours=1)
        material_use_record(booking=booking, material=acrylic, quantity="1", by=staff)
        staff_time_record(project=accepted, by=staff, day=timezone.localdate(), hours="1")
    with CaptureQueriesContext(connection) as twelve:
        costs = project_costs(project=accepted)
    assert len(one) == len(twelve) <= 5
    assert costs.materials[0].actual_quantity == Decimal("12.00")


def test_the_project_page_shows_work_and_costs_in_bounded_queries(
    client, accepted, staff, laser, acrylic, django_assert_max_num_queries
):
    _worked(accepted, staff, laser, acrylic)
    url = reverse("projects:detail", args=[accepted.pk])
    client.force_login(staff)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    start = next_weekday_at(8, days_ahead=10)
    for n in range(10):
        _book(accepted, staff, laser, start + timedelta(hours=2 * n), hours=1)

    with django_assert_max_num_queries(len(few)):
        page = client.get(url).content.decode()

    assert page.count('data-testid="project-booking"') == 14
    assert page.count('data-testid="desk-link"') == 14
    assert "445.25" in page and "+45.85" in page  # actual, and over the quote
    desk = reverse("fablab:desk", args=[accepted.site.slug])
    assert f"{desk}?day={next_weekday_at(10).date().isoformat()}#booking-" in page


def test_the_requester_sees_actual_versus_quoted_but_not_the_desk(client, accepted, staff, laser):
    acrylic = accepted.site.materials.get()
    _worked(accepted, staff, laser, acrylic)
    client.force_login(accepted.requested_by)

    page = client.get(reverse("projects:detail", args=[accepted.pk])).content.decode()

    assert 'data-testid="costs"' in page and "445.25" in page
    assert 'data-testid="desk-link"' not in page
    assert 'data-testid="booking-new"' not in page and "Setup" not in page


# --- Pages -----------------------------------------------------------------------------------


def test_staff_book_from_the_project_page(client, accepted, staff, laser):
    client.force_login(staff)
    url = reverse("projects:booking-new", args=[accepted.pk])
    assert client.get(url).status_code == 200
    start = next_weekday_at(10)

    response = client.post(
        url,
        {
            "resource": laser.pk,
            "date": start.date().isoformat(),
            "start": "10:00",
            "end": "12:30",
            "operator": "lead",
            "note": "Cut the stand",
        },
    )

    assert response.status_code == 302
    booking = ProjectBooking.objects.get(project=accepted).booking
    assert (booking.resource, booking.ends_at - booking.starts_at) == (
        laser,
        timedelta(hours=2, minutes=30),
    )
    assert _status(accepted) == "in_progress"


def test_the_booking_page_explains_a_refusal(client, site, staff, laser):
    project = triaged_project(site, staff, status="quoted")
    client.force_login(staff)
    start = next_weekday_at(10)
    response = client.post(
        reverse("projects:booking-new", args=[project.pk]),
        {
            "resource": laser.pk,
            "date": start.date().isoformat(),
            "start": "10:00",
            "end": "11:00",
            "operator": "lead",
        },
    )
    assert response.status_code == 200
    assert "once its quote is accepted" in response.content.decode()
    assert not Booking.objects.exists()


def test_staff_link_an_existing_booking_on_the_page(client, accepted, staff, laser):
    start = next_weekday_at(10)
    existing = booking_create(
        by=staff,
        resource=laser,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        maker=accepted.requested_by,
        organisation=accepted.organisation,
        override=True,
    )
    client.force_login(staff)
    page = client.get(reverse("projects:booking-new", args=[accepted.pk])).content.decode()
    assert f'value="{existing.pk}"' in page

    client.post(reverse("projects:booking-link", args=[accepted.pk]), {"booking": existing.pk})

    assert ProjectBooking.objects.get(booking=existing).project == accepted


def test_staff_record_time_on_the_page_and_the_requester_may_not(client, accepted, staff):
    url = reverse("projects:staff-time-new", args=[accepted.pk])
    client.force_login(accepted.requested_by)
    assert client.get(url).status_code == 403
    client.force_login(staff)

    bad = client.post(url, {"day": timezone.localdate().isoformat(), "hours": "30"})
    assert "at most 24" in bad.content.decode()
    client.post(
        url,
        {"day": timezone.localdate().isoformat(), "hours": "2.5", "hourly_rate": "55"},
    )

    assert StaffTime.objects.get(project=accepted).hours == Decimal("2.50")


def test_a_project_without_quote_or_work_shows_no_execution_panel(client, site, staff):
    project = triaged_project(site, staff)
    client.force_login(staff)
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert 'data-testid="execution-panel"' not in page
    assert 'data-testid="quote-new"' in page


def test_quote_lines_name_no_unknown_kind(site, staff, laser):
    project = triaged_project(site, staff)
    with pytest.raises(ValidationError, match="Line 1: choose machine hours"):
        quote_make(project, staff, [QuoteLineInput(kind="series", quantity="1")])
