"""The public and maker pages of the FabLab: sites, machines, the calendar and its JSON,
booking with a preview, my bookings, cancelling and moving — through the test client."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from fabreck.fablab.models import (
    Booking,
    Closure,
    MakerProfile,
    Occupancy,
    PriceGroup,
    Rate,
)
from fabreck.fablab.services import authorisation_grant, booking_create
from tests.fablab.helpers import (
    course_make,
    machine_make,
    next_weekday_at,
    site_make,
    space_make,
)
from tests.factories import UserFactory, organisation_make

pytestmark = pytest.mark.django_db(transaction=True)  # confirmations are mailed on commit

LANGUAGES = ("en", "fr", "de")
MONDAY = {"en": "Monday", "fr": "lundi", "de": "Montag"}


@pytest.fixture
def staff():
    return UserFactory(roles=["site_staff"], first_name="Anna", last_name="Weber")


@pytest.fixture
def site(staff):
    return site_make(
        staff=[staff],
        description_en="Lasers and printers in Esch.",
        description_fr="Des lasers et des imprimantes à Esch.",
        description_de="Laser und Drucker in Esch.",
    )


@pytest.fixture
def maker():
    return UserFactory(roles=["maker"], first_name="Léa", last_name="Muller")


@pytest.fixture
def course():
    return course_make()


@pytest.fixture
def laser(site, course):
    return machine_make(
        site,
        rate="30.00",
        courses=[course],
        specs="Work area 1000 x 600 mm\nCO2 laser 100 W",
        documentation_url="https://docs.example.lu/trotec",
    )


@pytest.fixture
def printer(site):
    return machine_make(site, name="Prusa MK4", category="3d-printer", rate="8.00")


@pytest.fixture
def trained(maker, course, staff, site):
    authorisation_grant(user=maker, course=course, by=staff, site=site, evidence="Course 2024")
    return maker


def _in(client, user, language="en"):
    user.preferred_language = language
    user.save(update_fields=["preferred_language"])
    client.force_login(user)
    return client


def _text(response) -> str:
    return response.content.decode()


def _book_params(resource, start, minutes=60, **extra):
    local = timezone.localtime(start)
    end = local + timedelta(minutes=minutes)
    return {
        "resource": resource.slug,
        "date": local.date().isoformat(),
        "start": f"{local:%H:%M}",
        "end": f"{end:%H:%M}",
        **extra,
    }


# --- Public pages ------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_visitors_read_sites_machines_and_calendar_in_their_language(
    client, site, laser, printer, language
):
    Closure.objects.create(
        site=site,
        starts_on=timezone.localdate() + timedelta(days=10),
        ends_on=timezone.localdate() + timedelta(days=11),
        reason_en="Inventory",
        reason_fr="Inventaire",
        reason_de="Inventur",
    )
    headers = {"HTTP_ACCEPT_LANGUAGE": language}

    listing = client.get(reverse("fablab:sites"), **headers)
    page = client.get(reverse("fablab:site", args=[site.slug]), **headers)
    machine = client.get(reverse("fablab:resource", args=[laser.slug]), **headers)
    calendar = client.get(reverse("fablab:calendar") + f"?site={site.slug}", **headers)

    assert listing.status_code == page.status_code == machine.status_code == 200
    assert calendar.status_code == 200
    assert site.name in _text(listing)
    text = _text(page)
    description = {"en": site.description_en, "fr": site.description_fr, "de": site.description_de}
    assert description[language] in text
    assert MONDAY[language].lower() in text.lower()  # opening hours per weekday
    assert "09:00\u201318:00" in text and "10:00\u201316:00" in text
    assert {"en": "Inventory", "fr": "Inventaire", "de": "Inventur"}[language] in text
    assert "Anna Weber" in text  # staff names
    assert "Laser cutter Trotec" in text and "Prusa MK4" in text
    assert {"en": "Laser cutter", "fr": "Découpeuse laser", "de": "Laserschneider"}[
        language
    ] in text  # grouped by category
    assert f'href="{reverse("fablab:calendar")}?site={site.slug}"' in text
    machine_text = _text(machine)
    assert "Work area 1000 x 600 mm" in machine_text
    assert "https://docs.example.lu/trotec" in machine_text
    assert {"en": "Laser cutting basics", "fr": "Bases de la découpe laser"}.get(
        language, "Grundlagen Laserschneiden"
    ) in machine_text
    assert ("30.00" if language == "en" else "30,00") in machine_text  # the public rate
    calendar_text = _text(calendar)
    assert f'data-locale="{"en-gb" if language == "en" else language}"' in calendar_text
    assert "vendor/fullcalendar/core.min.js" in calendar_text


def test_a_signed_in_maker_reads_the_pages_in_their_preferred_language(client, maker, laser):
    _in(client, maker, "de")

    page = client.get(reverse("fablab:resource", args=[laser.slug]), HTTP_ACCEPT_LANGUAGE="fr")

    assert '<html lang="de">' in _text(page)
    assert "Grundlagen Laserschneiden" in _text(page)


def test_the_machine_page_shows_the_readers_rate_space_and_contents(client, site, maker):
    room = space_make(site, name="Textile room", capacity=6)
    sewing = machine_make(site, name="Bernina 790", category="textile", space=room, rate="12.00")
    student = PriceGroup.objects.get(slug="student")
    Rate.objects.create(price_group=student, resource=sewing, hourly_rate=Decimal("4.00"))
    MakerProfile.objects.create(user=maker, price_group=student)

    visitor = _text(client.get(reverse("fablab:resource", args=[sewing.slug])))
    space = _text(client.get(reverse("fablab:resource", args=[room.slug])))
    _in(client, maker)
    for_student = _text(client.get(reverse("fablab:resource", args=[sewing.slug])))

    assert "12.00 € per hour (Public rate)" in visitor
    assert "4.00 € per hour (Student rate)" in for_student
    assert "Textile room" in visitor  # the space it stands in
    assert "Bernina 790" in space  # what the space contains


def test_unknown_sites_and_machines_are_404(client, site):
    assert client.get("/fablab/no-such-site/").status_code == 404
    assert client.get("/fablab/machines/no-such-machine/").status_code == 404
    assert client.get("/fablab/calendar/?resource=nope").status_code == 404


def test_the_site_page_costs_the_same_queries_with_many_machines(
    client, site, django_assert_max_num_queries
):
    room = space_make(site)
    machine_make(site, name="Trotec")
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("fablab:site", args=[site.slug]))
    for n, category in enumerate(["3d-printer", "cnc-mill", "textile", "electronics"] * 5):
        machine_make(site, name=f"Machine {n}", category=category, space=room if n % 2 else None)
    for n in range(5):
        site.staff.add(UserFactory(roles=["site_staff"]))
        Closure.objects.create(
            site=site,
            starts_on=timezone.localdate() + timedelta(days=n + 1),
            ends_on=timezone.localdate() + timedelta(days=n + 1),
        )

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("fablab:site", args=[site.slug]))
    assert _text(response).count('data-testid="resource-link"') == 22


def test_navigation_offers_the_fablab_to_everyone_and_my_bookings_to_makers(client, maker):
    home = _text(client.get("/"))
    assert f'href="{reverse("fablab:sites")}"' in home
    assert f'href="{reverse("fablab:my-bookings")}"' not in home
    _in(client, maker)
    assert f'href="{reverse("fablab:my-bookings")}"' in _text(client.get("/"))


# --- Calendar JSON ---------------------------------------------------------------------


def _events(client, start, end, **scope):
    params = {"start": start.isoformat(), "end": end.isoformat(), **scope}
    response = client.get(reverse("fablab:calendar-events"), params)
    assert response.status_code == 200, response.content
    return response.json()


def test_the_calendar_shows_free_time_bookings_blocks_and_closures(
    client, site, staff, maker, trained, laser, printer
):
    ten = next_weekday_at(10)
    other = UserFactory(roles=["maker"], first_name="Otto", last_name="Secret")
    mine = booking_create(by=maker, resource=printer, starts_at=ten, ends_at=ten.replace(hour=11))
    booking_create(by=other, resource=printer, starts_at=ten.replace(hour=14),
                   ends_at=ten.replace(hour=15))  # fmt: skip
    booking_create(by=staff, resource=laser, kind="maintenance", starts_at=ten.replace(hour=9),
                   ends_at=ten.replace(hour=12))  # fmt: skip
    closed = (ten + timedelta(days=1)).date()
    Closure.objects.create(site=site, starts_on=closed, ends_on=closed, reason_en="Works")
    day = ten.replace(hour=0)
    _in(client, maker)

    events = _events(client, day.date(), (day + timedelta(days=2)).date(), site=site.slug)

    by_kind = {}
    for event in events:
        by_kind.setdefault(event["extendedProps"]["kind"], []).append(event)
    [own] = by_kind["own"]
    assert own["title"] == "Your booking · Prusa MK4"
    assert own["url"] == reverse("fablab:booking", args=[mine.pk])
    assert own["start"] == timezone.localtime(ten).isoformat()  # Luxembourg time, with offset
    [theirs] = by_kind["booked"]
    assert theirs["title"] == "Booked · Prusa MK4" and "url" not in theirs
    assert "Otto" not in str(events) and "Secret" not in str(events)
    [maintenance] = by_kind["maintenance"]
    assert maintenance["title"] == "Maintenance · Laser cutter Trotec"
    assert {e["start"] for e in by_kind["closure"]} == {closed.isoformat()}
    assert any("Works" in e.get("title", "") for e in by_kind["closure"])
    free = {(e["extendedProps"]["resource"], e["start"], e["end"]) for e in by_kind["free"]}
    assert all(e["display"] == "background" and e["groupId"] == "free" for e in by_kind["free"])
    local = timezone.localtime
    assert (laser.slug, local(ten.replace(hour=12)).isoformat(),
            local(ten.replace(hour=18)).isoformat()) in free  # fmt: skip
    assert (printer.slug, local(ten.replace(hour=11)).isoformat(),
            local(ten.replace(hour=14)).isoformat()) in free  # fmt: skip
    assert not any(start.startswith(closed.isoformat()) for _slug, start, _end in free)

    # The site's staff see who booked.
    client.force_login(staff)
    staff_view = _events(client, day.date(), (day + timedelta(days=2)).date(), site=site.slug)
    assert any(e["title"] == "Booked by Otto Secret · Prusa MK4" for e in staff_view)


def test_a_machine_in_a_booked_space_shows_the_space_booking(client, site, maker):
    room = space_make(site)
    printer = machine_make(site, name="Prusa MK4", category="3d-printer", space=room)
    ten = next_weekday_at(10)
    booking_create(by=maker, resource=room, starts_at=ten, ends_at=ten.replace(hour=12))

    events = _events(client, ten.replace(hour=0), ten.replace(hour=23), resource=printer.slug)

    assert [e["title"] for e in events if e["extendedProps"]["kind"] == "booked"] == [
        "Booked · Workshop room"
    ]
    free = [(e["start"], e["end"]) for e in events if e["extendedProps"]["kind"] == "free"]
    local = timezone.localtime
    assert free == [
        (local(ten.replace(hour=9)).isoformat(), local(ten).isoformat()),
        (local(ten.replace(hour=12)).isoformat(), local(ten.replace(hour=18)).isoformat()),
    ]


def test_the_calendar_json_costs_a_fixed_number_of_queries(
    client, site, maker, django_assert_max_num_queries
):
    machines = [machine_make(site, name=f"Printer {n}", category="3d-printer") for n in range(6)]
    ten = next_weekday_at(10)
    for n, machine in enumerate(machines):
        booking_create(
            by=UserFactory(roles=["maker"]),
            resource=machine,
            starts_at=ten + timedelta(hours=n % 3),
            ends_at=ten + timedelta(hours=3),
        )
    _in(client, maker)
    params = {"start": ten.date().isoformat(), "end": (ten + timedelta(days=7)).date().isoformat()}

    with django_assert_max_num_queries(14):
        response = client.get(reverse("fablab:calendar-events"), {**params, "site": site.slug})
    assert len([e for e in response.json() if e["extendedProps"]["kind"] == "booked"]) == 6
    with django_assert_max_num_queries(14):
        client.get(reverse("fablab:calendar-events"), {**params, "category": "3d-printer"})


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"end": "2030-01-08"}, 400, "Give the start and the end"),
        ({"start": "yesterday", "end": "2030-01-08"}, 400, "Give the start and the end"),
        ({"start": "2030-13-45", "end": "2030-01-08"}, 400, "Give the start and the end"),
        ({"start": "2030-01-08", "end": "2030-01-01"}, 400, "The end must come after the start."),
        ({"start": "2030-01-01", "end": "2030-06-01"}, 400, "62 days at most"),
        ({"start": "0001-01-01", "end": "0001-01-08"}, 400, "Choose dates between 2000 and 2100"),
        ({"start": "9999-12-25", "end": "9999-12-31"}, 400, "Choose dates between 2000 and 2100"),
        ({"start": "2030-01-01", "end": "2030-01-08", "resource": "nope"}, 404, "does not exist"),
        ({"start": "2030-01-01", "end": "2030-01-08", "site": "nope"}, 404, "does not exist"),
    ],
)
def test_bad_calendar_ranges_get_a_clear_message(client, laser, params, status, words):
    response = client.get(reverse("fablab:calendar-events"), params)

    assert response.status_code == status
    assert words in response.json()["error"]


def test_the_calendar_reads_fullcalendar_ranges_without_offset_as_local_time(client, laser):
    ten = next_weekday_at(10)
    events = _events(
        client, ten.replace(hour=0, tzinfo=None), ten.replace(hour=23, tzinfo=None),
        resource=laser.slug,
    )  # fmt: skip
    [free] = [e for e in events if e["extendedProps"]["kind"] == "free"]
    assert free["start"] == timezone.localtime(ten.replace(hour=9)).isoformat()


# --- Booking through the pages -----------------------------------------------------------


def test_a_trained_maker_previews_the_price_then_confirms(client, trained, laser):
    start = next_weekday_at(10)
    _in(client, trained)
    params = _book_params(laser, start, 90, project_reference="PR-12", note="Plywood 4 mm")

    preview = client.get(reverse("fablab:book"), params)

    assert preview.status_code == 200
    text = _text(preview)
    assert "45.00 € (30.00 € per hour, Public rate)" in text
    assert 'data-testid="confirm"' in text
    assert 'data-testid="rule-violations"' not in text
    assert not Booking.objects.exists()  # a preview stores nothing

    confirmed = client.post(reverse("fablab:book"), params)

    booking = Booking.objects.get()
    assert confirmed.status_code == 302
    assert confirmed["Location"] == reverse("fablab:booking", args=[booking.pk])
    assert (booking.user, booking.resource, booking.starts_at) == (trained, laser, start)
    assert booking.price == Decimal("45.00")
    assert (booking.project_reference, booking.note) == ("PR-12", "Plywood 4 mm")
    detail = _text(client.get(confirmed["Location"]))
    assert "45.00 €" in detail and "is confirmed" in detail
    assert mail.outbox[-1].to == [trained.email]
    assert mail.outbox[-1].attachments[0][0] == "booking.ics"


def test_a_maker_books_for_their_organisation_at_its_rate(client, trained, laser):
    organisation = organisation_make(owner=trained, name="Atelier Bois", kind="nonprofit")
    Rate.objects.create(
        price_group=PriceGroup.objects.get(slug="nonprofit"), resource=laser, hourly_rate=10
    )
    _in(client, trained)
    params = _book_params(laser, next_weekday_at(10), 60, organisation=organisation.slug)

    assert "10.00 € (10.00 € per hour, Nonprofit rate)" in _text(
        client.get(reverse("fablab:book"), params)
    )
    client.post(reverse("fablab:book"), params)

    assert Booking.objects.get().organisation == organisation


def test_without_training_the_preview_says_which_and_nothing_is_stored(
    client, maker, laser, course
):
    _in(client, maker)
    params = _book_params(laser, next_weekday_at(10))

    preview = _text(client.get(reverse("fablab:book"), params))
    posted = client.post(reverse("fablab:book"), params)

    message = (
        "A valid authorisation from the training “Laser cutting basics” is needed to "
        "book Laser cutter Trotec."
    )
    assert message in preview
    assert 'data-testid="confirm"' not in preview
    assert "Missing training:" in preview
    assert f'href="{reverse("fablab:resource", args=[laser.slug])}#trainings"' in preview
    assert posted.status_code == 200
    assert message in _text(posted)
    assert not Booking.objects.exists() and not Occupancy.objects.exists()


def test_a_refused_rule_is_shown_in_french(client, trained, laser):
    _in(client, trained, "fr")
    params = _book_params(laser, next_weekday_at(17), 120)  # past closing time

    response = _text(client.post(reverse("fablab:book"), params))

    assert '<html lang="fr">' in response
    assert not Booking.objects.exists()
    assert "18:00" in response  # the rule names the opening hours


def test_a_slot_taken_meanwhile_is_reported_as_just_taken(client, trained, laser):
    start = next_weekday_at(10)
    _in(client, trained)
    params = _book_params(laser, start)
    assert 'data-testid="confirm"' in _text(client.get(reverse("fablab:book"), params))
    rival = UserFactory(roles=["site_staff"])
    laser.site.staff.add(rival)
    booking_create(by=rival, resource=laser, starts_at=start, ends_at=start + timedelta(hours=1),
                   override=True)  # fmt: skip

    response = client.post(reverse("fablab:book"), params)

    assert response.status_code == 200
    assert "was just taken" in _text(response)
    assert Booking.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"date": "31/02/2030"}, "Enter a valid date."),
        ({"start": "25:00"}, "Enter a valid time."),
        ({"end": "09:00"}, "The end must come after the start."),
        ({"resource": "nope"}, "This machine or space does not exist."),
        ({"date": "0001-01-01"}, "Choose a date within a year from today."),
        ({"date": "9999-12-31"}, "Choose a date within a year from today."),
    ],
)
def test_bad_booking_input_gets_a_message_and_stores_nothing(client, trained, laser, change, words):
    _in(client, trained)
    params = {**_book_params(laser, next_weekday_at(10)), **change}

    shown = client.get(reverse("fablab:book"), params)
    posted = client.post(reverse("fablab:book"), params)

    assert shown.status_code == posted.status_code == 200
    assert words in _text(shown) and words in _text(posted)
    assert not Booking.objects.exists()


def test_visitors_are_asked_to_log_in_before_booking(client, laser):
    response = client.get(reverse("fablab:book"), _book_params(laser, next_weekday_at(10)))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_range_in_a_site_calendar_lists_the_machines_free_then(client, trained, site, laser):
    other = machine_make(site, name="Trotec Speedy", rate="30.00")
    start = next_weekday_at(10)
    booking_create(by=trained, resource=laser, starts_at=start, ends_at=start + timedelta(hours=1))
    _in(client, trained)
    params = _book_params(laser, start)
    del params["resource"]

    text = _text(client.get(reverse("fablab:book"), {**params, "site": site.slug}))

    assert text.count('data-testid="free-resource"') == 1
    assert f"?resource={other.slug}&amp;" in text


# --- My bookings, cancel and move ------------------------------------------------------


def test_my_bookings_lists_upcoming_and_past_with_price_and_status(
    client, trained, laser, printer, django_assert_max_num_queries
):
    start = next_weekday_at(10)
    booking_create(by=trained, resource=laser, starts_at=start, ends_at=start + timedelta(hours=1))
    old = booking_create(by=trained, resource=printer, starts_at=start.replace(hour=14),
                         ends_at=start.replace(hour=15))  # fmt: skip
    Booking.objects.filter(pk=old.pk).update(
        starts_at=old.starts_at - timedelta(days=30), ends_at=old.ends_at - timedelta(days=30)
    )
    _in(client, trained)

    with django_assert_max_num_queries(10) as few:
        response = client.get(reverse("fablab:my-bookings"))
    text = _text(response)
    upcoming, past = text.split('data-testid="past"')
    assert "Laser cutter Trotec" in upcoming and "30.00 €" in upcoming
    assert "Prusa MK4" in past and "8.00 €" in past
    assert "Confirmed" in upcoming
    for n in range(5):
        begin = start + timedelta(days=1, hours=n)
        booking_create(by=UserFactory(roles=["maker"]), resource=printer, starts_at=begin,
                       ends_at=begin + timedelta(minutes=30))  # fmt: skip
        booking_create(by=trained, resource=printer, starts_at=begin + timedelta(days=1),
                       ends_at=begin + timedelta(days=1, minutes=30))  # fmt: skip
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("fablab:my-bookings"))


def test_a_maker_cancels_before_the_deadline(client, trained, laser):
    start = next_weekday_at(10)
    booking = booking_create(by=trained, resource=laser, starts_at=start,
                             ends_at=start + timedelta(hours=1))  # fmt: skip
    _in(client, trained)
    detail = _text(client.get(reverse("fablab:booking", args=[booking.pk])))
    assert "You can cancel or move this booking for free until" in detail

    response = client.post(
        reverse("fablab:booking-cancel", args=[booking.pk]),
        {"reason": "Ill", "next": reverse("fablab:my-bookings")},
        follow=True,
    )

    booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.cancel_reason == "Ill"
    assert not booking.occupancies.exists()
    assert response.redirect_chain[-1][0] == reverse("fablab:my-bookings")
    assert "is cancelled" in _text(response)


def test_too_late_to_cancel_says_why_and_keeps_the_booking(client, trained, laser, site):
    start = next_weekday_at(10)
    booking = booking_create(by=trained, resource=laser, starts_at=start,
                             ends_at=start + timedelta(hours=1))  # fmt: skip
    site.cancellation_hours = 24 * 30
    site.save()
    _in(client, trained)

    detail = _text(client.get(reverse("fablab:booking", args=[booking.pk])))
    response = client.post(reverse("fablab:booking-cancel", args=[booking.pk]), follow=True)

    assert "Free cancellation ended on" in detail and 'data-testid="cancel"' not in detail
    assert "Bookings can be cancelled up to 720 hours before they start" in _text(response)
    booking.refresh_from_db()
    assert booking.status == "confirmed"


def test_others_cannot_see_or_cancel_a_booking(client, trained, laser):
    start = next_weekday_at(10)
    booking = booking_create(by=trained, resource=laser, starts_at=start,
                             ends_at=start + timedelta(hours=1))  # fmt: skip
    _in(client, UserFactory(roles=["maker"]))

    assert client.get(reverse("fablab:booking", args=[booking.pk])).status_code == 404
    assert client.post(reverse("fablab:booking-cancel", args=[booking.pk])).status_code == 404
    assert client.get(reverse("fablab:booking-move", args=[booking.pk])).status_code == 404
    booking.refresh_from_db()
    assert booking.status == "confirmed"


def test_a_maker_moves_a_booking_after_a_preview(client, trained, laser):
    start = next_weekday_at(10)
    booking = booking_create(by=trained, resource=laser, starts_at=start,
                             ends_at=start + timedelta(hours=1))  # fmt: skip
    _in(client, trained)
    url = reverse("fablab:booking-move", args=[booking.pk])
    later = _book_params(laser, start.replace(hour=14), 120)
    del later["resource"]

    form = _text(client.get(url))
    preview = _text(client.get(url, later))
    moved = client.post(url, later)

    assert 'value="10:00"' in form  # the form starts from the booking's times
    assert "60.00 € (30.00 € per hour, Public rate)" in preview
    assert moved.status_code == 302
    booking.refresh_from_db()
    assert booking.starts_at == start.replace(hour=14) and booking.price == Decimal("60.00")


def test_moving_onto_a_taken_or_closed_time_is_refused_with_the_reason(client, trained, laser):
    start = next_weekday_at(10)
    booking = booking_create(by=trained, resource=laser, starts_at=start,
                             ends_at=start + timedelta(hours=1))  # fmt: skip
    other = UserFactory(roles=["maker"])
    authorisation_grant(user=other, course=laser.required_courses.get(), evidence="x",
                        by=laser.site.staff.get(), site=laser.site)  # fmt: skip
    booking_create(by=other, resource=laser, starts_at=start.replace(hour=14),
                   ends_at=start.replace(hour=15))  # fmt: skip
    _in(client, trained)
    url = reverse("fablab:booking-move", args=[booking.pk])
    onto_other = {"date": start.date().isoformat(), "start": "14:00", "end": "15:00"}
    sunday = start + timedelta(days=(6 - start.weekday()))
    onto_sunday = {"date": sunday.date().isoformat(), "start": "10:00", "end": "11:00"}

    taken_preview = _text(client.get(url, onto_other))
    taken = _text(client.post(url, onto_other))
    closed = _text(client.post(url, onto_sunday))

    assert "This time is already booked" in taken_preview
    assert "was just taken" in taken
    assert "is closed on Sunday" in closed
    booking.refresh_from_db()
    assert booking.starts_at == start
