"""The staff's pages for events: their list, an event's form (picture checked by Pillow),
tickets through htmx, weekly or hand-picked dates, a date's seats, and cancelling or
moving a date only after a confirmation that says who will be told."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from io import BytesIO

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from fabreck.events.models import Event, Registration, Session
from tests.events.helpers import child_make, event_make, registration_make, session_make
from tests.fablab.helpers import site_make
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    person = UserFactory(roles=["site_staff"])
    client.force_login(person)
    return person


@pytest.fixture
def site(staff):
    return site_make(slug="esch", name="FabLab Esch", staff=[staff])


@pytest.fixture
def workshop(site, staff):
    return event_make(slug="robots", site=site, organiser=staff, status="draft")


def _text(response) -> str:
    return response.content.decode()


def _png() -> SimpleUploadedFile:
    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (16, 16), "orange").save(buffer, "PNG")
    return SimpleUploadedFile("kids.png", buffer.getvalue(), content_type="image/png")


def _event_post(**changes) -> dict:
    return {
        "kind": "children_workshop", "title_en": "Kids code", "title_fr": "", "title_de": "",
        "description_en": "Scratch and robots.", "site": "esch", "venue": "",
        "audience": "children", "age_min": "6", "age_max": "12", "course": "",
        "max_per_registrant": "4", "offer_hours": "24",
    } | changes  # fmt: skip


def test_staff_see_the_events_they_run_and_nobody_else_gets_in(client, staff, site, workshop):
    event_make(slug="elsewhere", site=site_make(slug="other"), title_en="Elsewhere")
    event_make(slug="talk", kind="talk", venue="Rotondes", title_en="A talk")

    response = client.get(reverse("events:manage"))

    assert response.status_code == 200
    assert re.findall(r'data-testid="managed-event" data-slug="([^"]+)"', _text(response)) == [
        "robots"
    ]
    client.force_login(UserFactory(roles=["cluster_manager"]))
    assert "talk" in _text(client.get(reverse("events:manage")))
    assert client.get(reverse("events:manage-event", args=["robots"])).status_code == 403
    client.force_login(UserFactory(roles=["guardian"]))
    assert client.get(reverse("events:manage")).status_code == 403
    assert client.get(reverse("events:manage-create")).status_code == 403
    client.logout()
    assert client.get(reverse("events:manage")).status_code == 302  # to the login page


def test_creating_an_event_with_a_picture_then_publishing_it(
    client, staff, site, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path

    response = client.post(reverse("events:manage-create"), _event_post(picture=_png()))

    event = Event.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("events:manage-event", args=[event.slug])
    assert (event.slug, event.status, event.site, event.age_max) == ("kids-code", "draft", site, 12)
    assert event.picture.name == "events/kids-code.png"
    page = client.get(response["Location"])
    assert page.status_code == 200 and 'data-testid="publish"' in _text(page)

    client.post(reverse("events:manage-publish", args=[event.slug]))
    event.refresh_from_db()
    assert event.status == "published"


def test_the_event_form_shows_the_services_refusals_on_their_fields(client, staff, site):
    fake = SimpleUploadedFile("x.png", b"not an image at all", content_type="image/png")

    bad_picture = client.post(reverse("events:manage-create"), _event_post(picture=fake))
    bad_ages = client.post(reverse("events:manage-create"), _event_post(age_min="10", age_max="7"))
    no_course = client.post(reverse("events:manage-create"), _event_post(kind="training"))

    assert bad_picture.status_code == bad_ages.status_code == no_course.status_code == 200
    assert "This file is not an image" in _text(bad_picture)
    assert "The maximum age cannot be below the minimum age." in _text(bad_ages)
    assert "Choose the FabLab course this training leads to." in _text(no_course)
    assert not Event.objects.exists()


def test_a_site_one_does_not_run_is_refused_on_the_form(client, staff, site):
    other = site_make(slug="differdange", name="FabLab Differdange")
    client.force_login(UserFactory(roles=["cluster_manager"]))  # may choose any site

    response = client.post(reverse("events:manage-create"), _event_post(site=other.slug))

    assert response.status_code == 200
    assert "Only the staff of the event's FabLab site may manage this event." in _text(
        response
    ).replace("&#x27;", "'")
    assert not Event.objects.exists()


def test_editing_an_event(client, staff, workshop):
    response = client.post(
        reverse("events:manage-event", args=["robots"]),
        _event_post(title_en="Robots II", title_de="Roboter II", age_min="7"),
    )

    assert response.status_code == 302
    workshop.refresh_from_db()
    assert (workshop.title_en, workshop.title_de, workshop.age_min) == (
        "Robots II",
        "Roboter II",
        7,
    )
    assert workshop.slug == "robots"  # the address stays


def test_tickets_are_added_edited_and_refused_through_htmx(client, staff, workshop):
    url = reverse("events:manage-ticket-add", args=["robots"])
    htmx = {"HTTP_HX_REQUEST": "true"}

    added = client.post(url, {"name_en": "Adult", "price": "8.50"}, **htmx)
    negative = client.post(url, {"name_en": "Cheat", "price": "-2"}, **htmx)

    assert added.status_code == 200 and "<html" not in _text(added)
    assert workshop.ticket_categories.filter(name_en="Adult", price="8.50").exists()
    assert _text(negative).count('data-testid="ticket-row"') == 2  # Child, Adult
    assert "invalid-feedback" in _text(negative)
    assert not workshop.ticket_categories.filter(name_en="Cheat").exists()
    adult = workshop.ticket_categories.get(name_en="Adult")
    client.post(
        reverse("events:manage-ticket-edit", args=["robots", adult.pk]),
        {"name_en": "Grown-up", "name_fr": "Adulte", "name_de": "", "price": "0"},
        **htmx,
    )
    adult.refresh_from_db()
    assert (adult.name_en, adult.name_fr, adult.is_free) == ("Grown-up", "Adulte", True)


def _next(weekday: int, days_ahead: int = 3):
    day = timezone.localdate() + timedelta(days=days_ahead)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day


def test_adding_weekly_dates_and_hand_picked_dates(client, staff, workshop):
    url = reverse("events:manage-sessions-add", args=["robots"])
    first = _next(2)

    weekly = client.post(url, {"mode": "weekly", "w-first_date": first.isoformat(),
                               "w-start": "14:00", "w-end": "16:00", "w-weeks": "8",
                               "w-capacity": "12", "w-closes_hours_before": "24"})  # fmt: skip
    picked = [_next(5, 10), _next(5, 24)]
    dates = client.post(url, {"mode": "dates", "d-dates": [d.isoformat() for d in picked] + [""],
                              "d-start": "10:00", "d-end": "12:30",
                              "d-capacity": "20"})  # fmt: skip

    assert weekly.status_code == dates.status_code == 302
    sessions = list(Session.objects.order_by("starts_at"))
    assert len(sessions) == 10
    weekly_ones = [s for s in sessions if s.capacity == 12]
    assert len(weekly_ones) == 8
    assert {timezone.localtime(s.starts_at).time() for s in weekly_ones} == {time(14)}
    saturdays = [s for s in sessions if s.capacity == 20]
    assert [timezone.localtime(s.starts_at).date() for s in saturdays] == picked
    assert all(s.ends_at - s.starts_at == timedelta(hours=2, minutes=30) for s in saturdays)


def test_bad_dates_come_back_on_the_form_and_nothing_is_added(client, staff, workshop):
    url = reverse("events:manage-sessions-add", args=["robots"])
    past = timezone.localdate() - timedelta(days=2)

    in_the_past = client.post(url, {"mode": "weekly", "w-first_date": past.isoformat(),
                                    "w-start": "14:00", "w-end": "16:00", "w-weeks": "3",
                                    "w-capacity": "12"})  # fmt: skip
    backwards = client.post(url, {"mode": "dates", "d-dates": [_next(1).isoformat()],
                                  "d-start": "16:00", "d-end": "14:00",
                                  "d-capacity": "5"})  # fmt: skip
    no_date = client.post(url, {"mode": "dates", "d-dates": ["", ""], "d-start": "10:00",
                                "d-end": "11:00", "d-capacity": "5"})  # fmt: skip

    assert in_the_past.status_code == backwards.status_code == no_date.status_code == 400
    assert "is in the past" in _text(in_the_past)
    assert "The end must come after the start." in _text(backwards)
    assert "Give at least one date." in _text(no_date)
    assert not Session.objects.exists()


def test_the_capacity_cannot_be_set_below_the_seats_taken_on_the_page(client, staff, workshop):
    session = session_make(workshop, capacity=6)
    guardian = UserFactory(roles=["guardian"])
    for name in ("Lea", "Max", "Tom"):
        registration_make(session, child=child_make(guardian, first_name=name))

    response = client.post(
        reverse("events:manage-session", args=[session.pk]),
        {"capacity": "2", "opens_at": "", "closes_at": ""},
    )

    assert response.status_code == 200
    assert "3 seats are already taken" in _text(response)
    session.refresh_from_db()
    assert session.capacity == 6


def test_cancelling_a_date_asks_for_a_confirmation_then_tells_everyone(
    client, staff, workshop, django_capture_on_commit_callbacks
):
    session = session_make(workshop)
    guardian = UserFactory(roles=["guardian"], preferred_language="de")
    registration_make(session, child=child_make(guardian, first_name="Emma"))
    url = reverse("events:manage-session-cancel", args=[session.pk])

    confirm = client.get(url)
    assert 'data-testid="confirm-cancel"' in _text(confirm)
    assert "1 registration" in _text(confirm)
    assert Session.objects.get().status == "scheduled"
    without_reason = client.post(url, {"reason": ""})
    assert without_reason.status_code == 200 and Session.objects.get().status == "scheduled"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {"reason": "Kursleiter krank"})

    assert done.status_code == 302
    assert Session.objects.get().status == "cancelled"
    assert Registration.objects.get().status == "cancelled"
    (message,) = mail.outbox
    assert message.to == [guardian.email] and "Bau einen Roboter" in message.subject


def test_moving_a_date_shows_what_changes_then_moves_on_confirmation(
    client, staff, workshop, django_capture_on_commit_callbacks
):
    session = session_make(workshop, days_ahead=10)
    registration_make(session, user=UserFactory())
    url = reverse("events:manage-session-move", args=[session.pk])
    day = timezone.localdate(session.starts_at) + timedelta(days=1)
    params = {"date": day.isoformat(), "start": "09:00", "end": "11:00"}

    preview = client.post(url, params)
    assert 'data-testid="confirm-move"' in _text(preview)
    session.refresh_from_db()
    assert timezone.localtime(session.starts_at).date() != day  # nothing moved yet
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        moved = client.post(url, {**params, "confirm": "1"})

    assert moved.status_code == 302
    session.refresh_from_db()
    assert timezone.localtime(session.starts_at) == timezone.make_aware(
        datetime.combine(day, time(9))
    )
    assert len(mail.outbox) == 1 and mail.outbox[0].attachments
