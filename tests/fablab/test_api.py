"""The FabLab API: the same rules as the pages, errors that name them, JSON always."""

from datetime import timedelta

import pytest

from fabreck.fablab.models import Authorisation, Booking
from tests.fablab.helpers import course_make, machine_make, next_weekday_at, site_make
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff():
    return UserFactory(roles=["site_staff"])


@pytest.fixture
def site(staff):
    return site_make(staff=[staff])


@pytest.fixture
def laser(site):
    return machine_make(site, rate="30.00")


def _api(client, user):
    from fabreck.accounts.services import api_token_create

    _token, secret = api_token_create(user=user, name="script")
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {secret}"
    return client


def _slot(start, hours=1):
    return {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=hours)).isoformat()}


def test_a_maker_quotes_books_reschedules_and_cancels(client, laser):
    maker = UserFactory(roles=["maker"])
    api = _api(client, maker)
    start = next_weekday_at(10)

    quote = api.post(
        "/api/v1/fablab/quote/",
        {"resource": laser.slug, **_slot(start, 2)},
        content_type="application/json",
    ).json()
    assert (quote["price"], quote["bookable"], quote["problems"]) == ("60.00", True, [])

    created = api.post(
        "/api/v1/fablab/bookings/",
        {"resource": laser.slug, **_slot(start, 2)},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    booking = created.json()
    assert (booking["price"], booking["maker"], booking["status"]) == (
        "60.00",
        maker.email,
        "confirmed",
    )

    moved = api.post(
        f"/api/v1/fablab/bookings/{booking['id']}/reschedule/",
        _slot(start + timedelta(hours=3)),
        content_type="application/json",
    )
    assert moved.status_code == 200 and moved.json()["price"] == "30.00"

    cancelled = api.post(
        f"/api/v1/fablab/bookings/{booking['id']}/cancel/",
        {"reason": "ill"},
        content_type="application/json",
    )
    assert cancelled.json()["status"] == "cancelled"
    assert [b["id"] for b in api.get("/api/v1/fablab/bookings/").json()["results"]] == [
        booking["id"]
    ]


def test_a_refused_booking_names_every_rule_and_stores_nothing(client, site):
    course = course_make()
    laser = machine_make(site, courses=[course])
    api = _api(client, UserFactory(roles=["maker"]))
    sunday = next_weekday_at(11, weekday=6)

    response = api.post(
        "/api/v1/fablab/bookings/",
        {"resource": laser.slug, **_slot(sunday, 5)},
        content_type="application/json",
    )

    assert response.status_code == 400
    error = response.json()["error"]
    codes = {p["code"] for p in error["problems"]}
    assert codes == {"too_long", "outside_opening_hours", "training_required"}
    assert error["message"] == error["problems"][0]["message"]
    assert not Booking.objects.exists()


def test_a_taken_slot_is_a_409(client, laser):
    start = next_weekday_at(10)
    _api(client, UserFactory(roles=["maker"])).post(
        "/api/v1/fablab/bookings/",
        {"resource": laser.slug, **_slot(start)},
        content_type="application/json",
    )

    response = _api(client, UserFactory(roles=["maker"])).post(
        "/api/v1/fablab/bookings/",
        {"resource": laser.slug, **_slot(start)},
        content_type="application/json",
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "slot_taken"
    assert Booking.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"resource": "no-such-machine"}, "resource"),
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"organisation": "not-mine"}, "organisation"),
    ],
)
def test_bad_input_is_a_field_error(client, laser, payload, field):
    start = next_weekday_at(10)
    body = {"resource": laser.slug, **_slot(start), **payload}

    response = _api(client, UserFactory(roles=["maker"])).post(
        "/api/v1/fablab/bookings/", body, content_type="application/json"
    )

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Booking.objects.exists()


def test_availability_of_a_machine_and_of_a_category(client, site, laser):
    machine_make(site, name="Epilog", slug="epilog")
    start = next_weekday_at(9)
    end = start.replace(hour=18)
    _api(client, UserFactory(roles=["maker"])).post(
        "/api/v1/fablab/bookings/",
        {"resource": laser.slug, **_slot(start.replace(hour=10))},
        content_type="application/json",
    )
    client.defaults.pop("HTTP_AUTHORIZATION")

    one = client.get(
        "/api/v1/fablab/availability/",
        {"resource": laser.slug, "start": start.isoformat(), "end": end.isoformat()},
    ).json()
    category = client.get(
        "/api/v1/fablab/availability/",
        {"category": "laser-cutter", "start": start.isoformat(), "end": end.isoformat()},
    ).json()

    assert len(one["resources"][0]["free"]) == 2  # 9-10 and 11-18
    assert {r["resource"] for r in category["resources"]} == {laser.slug, "epilog"}
    too_long = client.get(
        "/api/v1/fablab/availability/",
        {
            "resource": laser.slug,
            "start": start.isoformat(),
            "end": (start + timedelta(days=90)).isoformat(),
        },
    )
    assert too_long.status_code == 400


def test_staff_grant_and_revoke_authorisations_makers_cannot(client, site, staff):
    course = course_make()
    maker = UserFactory(roles=["maker"], email="lea@example.lu")
    body = {
        "user": "lea@example.lu",
        "course": course.slug,
        "site": site.slug,
        "evidence": "Fab Academy 2024",
    }

    refused = _api(client, maker).post(
        "/api/v1/fablab/authorisations/", body, content_type="application/json"
    )
    assert refused.status_code == 403
    assert "Only the staff of FabLab Test" in refused.json()["error"]["message"]

    granted = _api(client, staff).post(
        "/api/v1/fablab/authorisations/", body, content_type="application/json"
    )
    assert granted.status_code == 201 and granted.json()["is_valid"] is True
    pk = granted.json()["id"]
    no_reason = client.post(
        f"/api/v1/fablab/authorisations/{pk}/revoke/",
        {"site": site.slug},
        content_type="application/json",
    )
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["error"]["fields"]
    revoked = client.post(
        f"/api/v1/fablab/authorisations/{pk}/revoke/",
        {"site": site.slug, "reason": "Unsafe"},
        content_type="application/json",
    )
    assert revoked.json()["is_valid"] is False
    assert Authorisation.objects.get().revoke_reason == "Unsafe"


def test_only_staff_see_a_sites_bookings(client, site, staff):
    maker = UserFactory(roles=["maker"])
    assert (
        _api(client, maker).get("/api/v1/fablab/bookings/", {"site": site.slug}).status_code == 403
    )
    assert (
        _api(client, staff).get("/api/v1/fablab/bookings/", {"site": site.slug}).status_code == 200
    )


def test_the_catalogue_is_public(client, site, laser):
    assert [s["slug"] for s in client.get("/api/v1/fablab/sites/").json()] == [site.slug]
    detail = client.get(f"/api/v1/fablab/sites/{site.slug}/").json()
    assert len(detail["opening_hours"]) == 6 and detail["rules"]["slot_minutes"] == 15
    resources = client.get("/api/v1/fablab/resources/", {"site": site.slug}).json()["results"]
    assert [r["slug"] for r in resources] == [laser.slug]


def test_makers_see_upcoming_sessions_and_take_the_last_place(client, site, staff):
    from fabreck.fablab.services import training_session_create

    course = course_make()
    start = next_weekday_at(14)
    session = training_session_create(
        by=staff, site=site, course=course, instructor=staff, starts_at=start,
        ends_at=start + timedelta(hours=2), capacity=1,
    )  # fmt: skip
    first, second = UserFactory(roles=["maker"]), UserFactory(roles=["maker"])

    listed = client.get("/api/v1/fablab/training-sessions/", {"course": course.slug}).json()
    assert [(s["id"], s["places_left"]) for s in listed] == [(session.pk, 1)]

    taken = _api(client, first).post(f"/api/v1/fablab/training-sessions/{session.pk}/register/")
    assert taken.status_code == 201
    full = _api(client, second).post(f"/api/v1/fablab/training-sessions/{session.pk}/register/")
    assert full.status_code == 400
    assert full.json()["error"]["message"]
    mine = client.get("/api/v1/fablab/training-sessions/").json()
    assert mine[0]["places_left"] == 0 and mine[0]["mine"] is False  # `second` holds none


def test_availability_of_an_unknown_machine_site_or_category_is_a_404(client, site, laser):
    window = {"start": next_weekday_at(9).isoformat(), "end": next_weekday_at(18).isoformat()}

    for unknown in ({"resource": "no-such-machine"}, {"site": "nowhere"}, {"category": "nope"}):
        response = client.get("/api/v1/fablab/availability/", {**unknown, **window})

        assert response.status_code == 404, unknown
        assert response.json()["error"]["code"] == "not_found"
