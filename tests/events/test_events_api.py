"""The events API: the public catalogue and an event's tickets and sessions with the seats
left; staff create events and sessions, change seats, cancel and move sessions, with a
token, and get the same refusals as on the pages."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from fabreck.accounts.services import api_token_create
from fabreck.events.models import Event, Registration, Session
from tests.events.helpers import child_make, event_make, registration_make, session_make
from tests.fablab.helpers import site_make
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/events"


def _token(user) -> dict:
    _token, secret = api_token_create(user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def staff():
    return UserFactory(roles=["site_staff"])


@pytest.fixture
def site(staff):
    return site_make(slug="esch", name="FabLab Esch", staff=[staff])


@pytest.fixture
def auth(staff):
    return _token(staff)


def _later(days: int, hour: int) -> str:
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(hour))).isoformat()


def test_the_catalogue_lists_published_events_with_filters_and_pages(client, site):
    robots = event_make(slug="robots", site=site)
    session_make(robots, days_ahead=3)
    talk = event_make(slug="talk", kind="talk", venue="Rotondes", title_en="Design talk")
    session_make(talk, days_ahead=9)
    session_make(event_make(slug="draft", site=site, status="draft"), days_ahead=4)

    everything = client.get(f"{BASE}/events/").json()
    for_eight = client.get(f"{BASE}/events/", {"age": 8, "kind": "children_workshop"}).json()
    later = client.get(f"{BASE}/events/", {"from": _later(6, 0)[:10]}).json()
    paged = client.get(f"{BASE}/events/", {"page_size": 1, "page": 2}).json()

    assert everything["count"] == 2
    assert [e["slug"] for e in everything["results"]] == ["robots", "talk"]
    first = everything["results"][0]
    assert first["site"] == "esch" and first["kind"] == "children_workshop"
    assert first["title"] == "Build a robot" and first["url"] == "/events/robots/"
    assert first["next_start"] is not None
    assert [e["slug"] for e in for_eight["results"]] == ["robots"]
    assert [e["slug"] for e in later["results"]] == ["talk"]
    assert [e["slug"] for e in paged["results"]] == ["talk"]


def test_an_event_comes_with_its_tickets_and_sessions_and_their_seats_left(client, site):
    event = event_make(slug="robots", site=site)
    session = session_make(event, capacity=3)
    registration_make(session, user=UserFactory())
    full = session_make(event, days_ahead=21, capacity=1)
    registration_make(full, user=UserFactory())

    response = client.get(f"{BASE}/events/robots/", HTTP_ACCEPT_LANGUAGE="fr")
    single = client.get(f"{BASE}/sessions/{session.pk}/").json()

    assert response.status_code == 200
    data = response.json()
    assert data["title"] == "Construis un robot"
    child = event.ticket_categories.get()
    assert data["ticket_categories"] == [{"id": child.pk, "name": "Enfant", "name_en": "Child",
                                          "name_fr": "Enfant", "name_de": "Kind", "price": "0.00",
                                          "is_free": True}]  # fmt: skip
    seats = {s["id"]: (s["seats_left"], s["is_full"], s["state"]) for s in data["sessions"]}
    assert seats == {session.pk: (2, False, "open"), full.pk: (0, True, "full")}
    assert single["event"] == "robots" and single["seats_left"] == 2 and single["capacity"] == 3


def test_a_draft_is_not_found_except_by_its_staff(client, site, auth):
    event = event_make(slug="secret", site=site, status="draft")
    session = session_make(event)

    assert client.get(f"{BASE}/events/secret/").status_code == 404
    assert client.get(f"{BASE}/sessions/{session.pk}/").status_code == 404
    assert client.get(f"{BASE}/events/nothing/").status_code == 404
    assert client.get(f"{BASE}/events/secret/", **auth).json()["status"] == "draft"


def test_staff_create_an_event_with_its_tickets_and_publish_it(client, site, auth):
    response = client.post(
        f"{BASE}/events/",
        {"kind": "public_workshop", "title_en": "Sewing bags", "title_fr": "Coudre des sacs",
         "site": "esch", "audience": "adults",
         "ticket_categories": [{"name_en": "Adult", "price": "15.00"},
                               {"name_en": "Member", "price": "0"}]},
        content_type="application/json",
        **auth,
    )  # fmt: skip

    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["slug"], data["status"]) == ("sewing-bags", "draft")
    assert [(t["name_en"], t["price"], t["is_free"]) for t in data["ticket_categories"]] == [
        ("Adult", "15.00", False),
        ("Member", "0.00", True),
    ]
    published = client.post(f"{BASE}/events/sewing-bags/publish/", **auth)
    assert published.status_code == 200 and published.json()["status"] == "published"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"age_min": 12, "age_max": 6}, "age_max"),
        ({"kind": "training"}, "course"),
        ({"site": None, "venue": ""}, "venue"),
        ({"site": "nowhere"}, "site"),
        ({"ticket_categories": [{"name_en": "Bad", "price": "-3"}]}, "ticket_categories"),
    ],
)
def test_bad_events_are_refused_with_the_field_named_and_nothing_stored(
    client, site, auth, body, field
):
    payload = {"kind": "children_workshop", "title_en": "Robots", "site": "esch", "age_min": 6,
               "age_max": 12} | body  # fmt: skip

    response = client.post(f"{BASE}/events/", payload, content_type="application/json", **auth)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"]
    assert not Event.objects.exists()


def test_who_may_not_run_an_event_gets_a_clear_refusal(client, site):
    payload = {"kind": "public_workshop", "title_en": "Sewing", "site": "esch"}

    anonymous = client.post(f"{BASE}/events/", payload, content_type="application/json")
    guardian = client.post(
        f"{BASE}/events/", payload, content_type="application/json",
        **_token(UserFactory(roles=["guardian"])),
    )  # fmt: skip

    assert anonymous.status_code in (401, 403)
    assert guardian.status_code == 403
    assert "staff" in guardian.json()["error"]["message"]
    assert not Event.objects.exists()


def test_staff_add_weekly_sessions_or_sessions_on_given_starts(client, site, auth):
    event_make(slug="robots", site=site)
    url = f"{BASE}/events/robots/sessions/"

    weekly = client.post(url, {"first_starts_at": _later(5, 14), "weeks": 6,
                               "duration_minutes": 120, "capacity": 12,
                               "closes_hours_before": 24}, content_type="application/json",
                         **auth)  # fmt: skip
    picked = client.post(url, {"starts": [_later(8, 10), _later(30, 10)],
                               "duration_minutes": 90, "capacity": 20},
                         content_type="application/json", **auth)  # fmt: skip
    both = client.post(url, {"starts": [_later(9, 10)], "weeks": 2, "duration_minutes": 60,
                             "capacity": 5}, content_type="application/json", **auth)  # fmt: skip
    past = client.post(url, {"starts": [_later(-2, 10)], "duration_minutes": 60, "capacity": 5},
                       content_type="application/json", **auth)  # fmt: skip

    assert weekly.status_code == picked.status_code == 201
    assert len(weekly.json()) == 6 and len(picked.json()) == 2
    assert {s["capacity"] for s in picked.json()} == {20}
    assert both.status_code == past.status_code == 400
    assert "starts_at" in past.json()["error"]["fields"]
    assert Session.objects.count() == 8


def test_the_capacity_is_not_set_below_the_seats_taken(client, site, auth):
    session = session_make(event_make(slug="robots", site=site), capacity=10)
    guardian = UserFactory(roles=["guardian"])
    for name in ("Lea", "Max", "Tom", "Mia"):
        registration_make(session, child=child_make(guardian, first_name=name))

    low = client.patch(f"{BASE}/sessions/{session.pk}/", {"capacity": 3},
                       content_type="application/json", **auth)  # fmt: skip
    ok = client.patch(f"{BASE}/sessions/{session.pk}/", {"capacity": 4},
                      content_type="application/json", **auth)  # fmt: skip

    assert low.status_code == 400
    assert "4 seats are already taken" in low.json()["error"]["fields"]["capacity"][0]
    assert ok.status_code == 200 and ok.json()["seats_left"] == 0


def test_staff_cancel_and_move_sessions_and_registrants_hear_of_it(
    client, site, auth, django_capture_on_commit_callbacks
):
    event = event_make(slug="robots", site=site)
    moving, cancelling = session_make(event, days_ahead=10), session_make(event, days_ahead=17)
    adult = UserFactory(preferred_language="de")
    registration_make(moving, user=adult)
    registration_make(cancelling, user=adult)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        moved = client.post(f"{BASE}/sessions/{moving.pk}/move/",
                            {"starts_at": _later(11, 9), "ends_at": _later(11, 11)},
                            content_type="application/json", **auth)  # fmt: skip
        cancelled = client.post(f"{BASE}/sessions/{cancelling.pk}/cancel/",
                                {"reason": "Kein Strom"}, content_type="application/json",
                                **auth)  # fmt: skip
    no_reason = client.post(f"{BASE}/sessions/{moving.pk}/cancel/", {},
                            content_type="application/json", **auth)  # fmt: skip
    stranger = client.post(f"{BASE}/sessions/{moving.pk}/cancel/", {"reason": "Because"},
                           content_type="application/json",
                           **_token(UserFactory(roles=["site_staff"])))  # fmt: skip

    assert moved.status_code == 200 and moved.json()["starts_at"].startswith(_later(11, 9)[:16])
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["seats_taken"] == 0 and cancelled.json()["state"] == "cancelled"
    assert Registration.objects.get(session=cancelling).status == "cancelled"
    assert len(mail.outbox) == 2 and all(m.to == [adult.email] for m in mail.outbox)
    assert all("Bau einen Roboter" in m.subject for m in mail.outbox)
    assert no_reason.status_code == 400
    assert stranger.status_code == 403
    assert Session.objects.get(pk=moving.pk).status == "scheduled"
