"""The public catalogue: published events with dates to come, filtered by kind, site, age
and dates, page by page; an event's page with its tickets and the state of each date; a
calendar and an iCalendar feed of the public sessions. Drafts stay invisible."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from fabreck.events.models import TicketCategory
from fabreck.events.selectors import CATALOGUE_PAGE_SIZE
from tests.events.helpers import event_make, registration_make, session_make
from tests.fablab.helpers import site_make
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return UserFactory(roles=["site_staff"])


@pytest.fixture
def esch(staff):
    return site_make(slug="esch", name="FabLab Esch", staff=[staff])


@pytest.fixture
def differdange():
    return site_make(slug="differdange", name="FabLab Differdange")


def _text(response) -> str:
    return response.content.decode()


def _slugs(response) -> list[str]:
    return re.findall(r'data-testid="event" data-slug="([^"]+)"', _text(response))


@pytest.fixture
def catalogue(esch, differdange):
    robots = event_make(slug="robots", site=esch, age_min=6, age_max=12)
    session_make(robots, days_ahead=5)
    teens = event_make(slug="teens", kind="teen_workshop", site=differdange, age_min=12,
                       age_max=16, title_en="Drones")  # fmt: skip
    session_make(teens, days_ahead=20)
    talk = event_make(slug="talk", kind="talk", venue="Rotondes", title_en="Design talk")
    session_make(talk, days_ahead=40)
    draft = event_make(slug="secret", site=esch, status="draft", title_en="Secret plan")
    session_make(draft, days_ahead=6)
    past = event_make(slug="past", site=esch, title_en="Old workshop")
    session_make(past, days_ahead=-10)
    called_off = event_make(slug="called-off", site=esch, title_en="Called off")
    session_make(called_off, days_ahead=8, status="cancelled")
    return robots, teens, talk


# Listing -------------------------------------------------------------------------------


def test_the_listing_shows_published_events_with_dates_to_come_soonest_first(client, catalogue):
    response = client.get(reverse("events:list"))

    assert response.status_code == 200
    assert _slugs(response) == ["robots", "teens", "talk"]
    text = _text(response)
    assert "Secret plan" not in text and "Old workshop" not in text and "Called off" not in text
    assert "Ages 6\u201312" in text and "12 seats left" in text


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"kind": "children_workshop"}, ["robots"]),
        ({"kind": ["teen_workshop", "talk"]}, ["teens", "talk"]),
        ({"site": "differdange"}, ["teens"]),
        ({"age": "8"}, ["robots", "talk"]),  # the talk has no age limits
        ({"age": "12"}, ["robots", "teens", "talk"]),
        ({"age": "14"}, ["teens", "talk"]),
        ({"from": "+15", "to": "+30"}, ["teens"]),
        ({"from": "+30"}, ["talk"]),
        ({"to": "+10"}, ["robots"]),
        ({"kind": "talk", "age": "8", "site": "esch"}, []),
        ({"kind": "nonsense", "age": "old", "from": "yesterday", "page": "x"}, None),
    ],
)
def test_filters_narrow_the_listing(client, catalogue, params, expected):
    today = timezone.localdate()
    for key in ("from", "to"):
        if str(params.get(key, "")).startswith("+"):
            params[key] = (today + timedelta(days=int(params[key]))).isoformat()

    response = client.get(reverse("events:list"), params)

    assert response.status_code == 200
    assert _slugs(response) == (expected if expected is not None else ["robots", "teens", "talk"])


def test_the_listing_goes_page_by_page_and_htmx_gets_only_the_results(client, esch):
    for n in range(CATALOGUE_PAGE_SIZE + 2):
        session_make(event_make(slug=f"w{n:02d}", site=esch), days_ahead=3 + n)

    first = client.get(reverse("events:list"))
    second = client.get(reverse("events:list"), {"page": 2})
    partial = client.get(reverse("events:list"), {"page": 2}, HTTP_HX_REQUEST="true")

    assert len(_slugs(first)) == CATALOGUE_PAGE_SIZE and _slugs(second) == ["w12", "w13"]
    assert "Page 2 of 2" in _text(second)
    assert _slugs(partial) == ["w12", "w13"] and "<html" not in _text(partial)


def test_the_listing_costs_a_fixed_number_of_queries(client, esch, django_assert_max_num_queries):
    for n in range(CATALOGUE_PAGE_SIZE):
        event = event_make(slug=f"w{n:02d}", site=esch)
        for days in (3, 10, 17):
            session_make(event, days_ahead=days + n)

    with django_assert_max_num_queries(8):
        response = client.get(reverse("events:list"))
    assert len(_slugs(response)) == CATALOGUE_PAGE_SIZE


def test_everyone_finds_workshops_in_the_menu_and_only_staff_find_their_management(client, staff):
    page = _text(client.get(reverse("events:list")))
    assert f'href="{reverse("events:list")}"' in page
    assert f'href="{reverse("events:manage")}"' not in page

    client.force_login(UserFactory(roles=["guardian"]))
    assert f'href="{reverse("events:manage")}"' not in _text(client.get(reverse("events:list")))
    for person in (staff, UserFactory(roles=["cluster_manager"])):
        client.force_login(person)
        assert f'href="{reverse("events:manage")}"' in _text(client.get(reverse("events:list")))


# Detail --------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "fr", "de"])
def test_an_event_page_shows_its_details_tickets_and_the_state_of_each_date(client, esch, language):
    event = event_make(
        slug="robots",
        site=esch,
        description_en="Solder and code.",
        description_fr="Souder et coder.",
        description_de="Löten und coden.",
    )
    TicketCategory.objects.create(event=event, name_en="Adult", name_fr="Adulte",
                                  name_de="Erwachsene", price=Decimal("12.50"))  # fmt: skip
    open_one = session_make(event, days_ahead=4, capacity=10)
    registration_make(open_one, user=UserFactory())
    full = session_make(event, days_ahead=11, capacity=1)
    registration_make(full, user=UserFactory())
    later = session_make(
        event, days_ahead=18, registration_opens_at=timezone.now() + timedelta(days=3)
    )
    cancelled = session_make(event, days_ahead=25, status="cancelled", cancelled_reason="Flu")
    session_make(event, days_ahead=-3)  # over: not listed

    response = client.get(reverse("events:detail", args=["robots"]), HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 200
    text = _text(response)
    title = {"en": "Build a robot", "fr": "Construis un robot", "de": "Bau einen Roboter"}
    description = {"en": "Solder and code.", "fr": "Souder et coder.", "de": "Löten und coden."}
    assert title[language] in text and description[language] in text
    assert "FabLab Esch" in text and "Esch-sur-Alzette" in text
    assert "12.50 EUR" in text or "12,50 EUR" in text
    states = dict(re.findall(r'data-session="(\d+)" data-state="(\w+)"', text))
    assert states == {str(open_one.pk): "open", str(full.pk): "full",
                      str(later.pk): "not_open", str(cancelled.pk): "cancelled"}  # fmt: skip
    if language == "en":
        assert "Free" in text  # the helper's child ticket costs nothing
        assert "9 seats left" in text and "Registration opens on" in text and "Flu" in text


def test_a_draft_is_not_found_by_the_public_and_previewed_by_its_staff(client, esch, staff):
    event_make(slug="secret", site=esch, status="draft")
    url = reverse("events:detail", args=["secret"])

    assert client.get(url).status_code == 404
    client.force_login(UserFactory(roles=["site_staff"]))  # staff of another site
    assert client.get(url).status_code == 404
    client.force_login(staff)
    preview = client.get(url)
    assert preview.status_code == 200 and 'data-testid="draft-banner"' in _text(preview)


def test_unknown_events_and_page_words_are_not_taken_for_events(client):
    assert client.get("/events/nothing-here/").status_code == 404
    assert client.get(reverse("events:calendar")).status_code == 200


# Calendar and feed ---------------------------------------------------------------------


def _range(days_from: int, days_to: int) -> dict:
    today = timezone.localdate()
    return {
        "start": (today + timedelta(days=days_from)).isoformat(),
        "end": (today + timedelta(days=days_to)).isoformat(),
    }


def test_the_calendar_page_loads_fullcalendar_from_our_static_files(client):
    text = _text(
        client.get(reverse("events:calendar"), {"kind": "talk"}, HTTP_ACCEPT_LANGUAGE="fr")
    )

    assert "vendor/fullcalendar/core.min.js" in text and "events/calendar.js" in text
    assert 'data-locale="fr"' in text
    assert f'data-sessions-url="{reverse("events:calendar-sessions")}?kind=talk"' in text


def test_the_calendar_json_lists_public_sessions_in_the_range(client, catalogue):
    robots, _teens, _talk = catalogue

    response = client.get(reverse("events:calendar-sessions"), _range(0, 30))
    narrowed = client.get(
        reverse("events:calendar-sessions"), {**_range(0, 60), "site": "differdange"}
    )

    assert response.status_code == 200
    entries = response.json()
    assert [e["title"] for e in entries] == ["Build a robot", "Drones"]
    assert entries[0]["url"] == reverse("events:detail", args=["robots"])
    assert entries[0]["extendedProps"] == {"kind": "children_workshop", "place": "FabLab Esch",
                                           "seats_left": 12, "full": False}  # fmt: skip
    assert timezone.localtime(robots.sessions.get().starts_at).isoformat() == entries[0]["start"]
    assert [e["title"] for e in narrowed.json()] == ["Drones"]


@pytest.mark.parametrize(
    "params, words",
    [
        ({"end": "2030-01-08"}, "Give the start and the end"),
        ({"start": "soon", "end": "2030-01-08"}, "Give the start and the end"),
        ({"start": "0001-01-01", "end": "0001-02-01"}, "Give the start and the end"),
        ({"start": "2030-01-08", "end": "2030-01-01"}, "The end must come after the start."),
        ({"start": "2030-01-01", "end": "2030-12-01"}, "at most 100 days"),
    ],
)
def test_bad_calendar_ranges_get_a_clear_message(client, params, words):
    response = client.get(reverse("events:calendar-sessions"), params)

    assert response.status_code == 400
    assert words in response.json()["error"]


def test_the_feed_has_one_entry_per_scheduled_public_session(client, catalogue):
    robots, teens, talk = catalogue
    session_make(robots, days_ahead=12)

    response = client.get(reverse("events:feed"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    ics = _text(response)
    assert ics.startswith("BEGIN:VCALENDAR\r\n") and ics.endswith("END:VCALENDAR\r\n")
    uids = re.findall(r"UID:events-session-(\d+)@fabreck", ics)
    expected = [*robots.sessions.all(), *teens.sessions.all(), *talk.sessions.all()]
    # The past session of "past" is within the feed's season back: it stays in the feed.
    expected += list(robots.__class__.objects.get(slug="past").sessions.all())
    assert sorted(uids) == sorted(str(s.pk) for s in expected)
    assert "Secret plan" not in ics and "Called off" not in ics
    assert ics.count("BEGIN:VEVENT") == len(expected) == 5
    assert "LOCATION:Rotondes" in ics and "SUMMARY:Drones" in ics


def test_an_event_page_and_the_calendar_cost_a_fixed_number_of_queries(
    client, esch, django_assert_max_num_queries
):
    event = event_make(slug="robots", site=esch)
    for days in range(2, 60, 3):
        session_make(event, days_ahead=days)
    for n in range(5):
        session_make(event_make(slug=f"other{n}", site=esch), days_ahead=n + 3)

    with django_assert_max_num_queries(6):
        page = client.get(reverse("events:detail", args=["robots"]))
    with django_assert_max_num_queries(3):
        calendar = client.get(reverse("events:calendar-sessions"), _range(0, 62))

    assert _text(page).count('data-testid="session"') == 20
    assert len(calendar.json()) == 25
