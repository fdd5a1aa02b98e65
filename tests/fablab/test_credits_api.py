"""Prepaid hours in the API: the quote and the booking say how many hours are used; the
organisation's people read the account and its movements; staff grant and adjust."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from fabreck.fablab.models import PrepaidAccount, PrepaidMovement
from tests.fablab.credits_helpers import member_add, startup_with_hours
from tests.fablab.helpers import machine_make, next_weekday_at, site_make
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def laser():
    return machine_make(site_make(), rate="40")


@pytest.fixture
def staff():
    return UserFactory(roles=["site_staff"])


def _api(client, user):
    from fabreck.accounts.services import api_token_create

    _token, secret = api_token_create(user=user, name="script")
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {secret}"
    return client


def _slot(start, hours=1):
    return {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=hours)).isoformat()}


def test_a_startup_quotes_books_and_cancels_with_its_prepaid_hours(client, laser):
    startup, owner = startup_with_hours(hours="1.5")
    api = _api(client, owner)
    payload = {
        "resource": laser.slug,
        "organisation": startup.slug,
        **_slot(next_weekday_at(10), 2),
    }

    quote = api.post("/api/v1/fablab/quote/", payload, content_type="application/json").json()
    assert (quote["price"], quote["prepaid_hours"], quote["price_to_pay"]) == (
        "80.00",
        "1.50",
        "20.00",
    )

    created = api.post("/api/v1/fablab/bookings/", payload, content_type="application/json")
    assert created.status_code == 201, created.content
    booking = created.json()
    assert (booking["prepaid_hours"], booking["price"]) == ("1.50", "20.00")

    account = api.get(f"/api/v1/fablab/prepaid/{startup.slug}/").json()
    assert account == {
        "organisation": startup.slug,
        "organisation_name": startup.name,
        "balance_hours": "0.00",
    }

    api.post(
        f"/api/v1/fablab/bookings/{booking['id']}/cancel/", {}, content_type="application/json"
    )
    movements = api.get(f"/api/v1/fablab/prepaid/{startup.slug}/movements/").json()
    assert [(m["kind"], m["hours"], m["booking"]) for m in movements["results"]] == [
        ("refund", "1.50", booking["id"]),
        ("use", "-1.50", booking["id"]),
        ("grant", "1.50", None),
    ]
    assert movements["results"][0]["kind_label"] == "Given back by a cancellation"
    assert api.get(f"/api/v1/fablab/prepaid/{startup.slug}/").json()["balance_hours"] == "1.50"


def test_a_personal_quote_uses_no_prepaid_hours(client, laser):
    _startup, owner = startup_with_hours(hours="3")

    quote = (
        _api(client, owner)
        .post(
            "/api/v1/fablab/quote/",
            {"resource": laser.slug, **_slot(next_weekday_at(10), 1)},
            content_type="application/json",
        )
        .json()
    )

    assert (quote["prepaid_hours"], quote["price_to_pay"]) == ("0.00", "40.00")


def test_members_read_outsiders_get_a_404(client):
    startup, _owner = startup_with_hours(hours="3")
    colleague = member_add(startup, UserFactory())
    assert _api(client, colleague).get(f"/api/v1/fablab/prepaid/{startup.slug}/").status_code == 200

    outsider = _api(client, UserFactory())
    for url in (
        f"/api/v1/fablab/prepaid/{startup.slug}/",
        f"/api/v1/fablab/prepaid/{startup.slug}/movements/",
    ):
        response = outsider.get(url)
        assert response.status_code == 404
        assert "error" in response.json()


def test_anonymous_requests_are_refused(client):
    startup, _owner = startup_with_hours(hours="3")

    assert client.get(f"/api/v1/fablab/prepaid/{startup.slug}/").status_code in (401, 403)


def test_staff_grant_and_adjust(client, staff):
    startup, _owner = startup_with_hours(hours="3")
    api = _api(client, staff)
    url = f"/api/v1/fablab/prepaid/{startup.slug}/movements/"

    granted = api.post(
        url, {"kind": "grant", "hours": "10", "note": "Year two"}, content_type="application/json"
    )
    adjusted = api.post(
        url,
        {"kind": "adjustment", "hours": "-0.5", "note": "Rounding"},
        content_type="application/json",
    )

    assert granted.status_code == adjusted.status_code == 201
    assert (granted.json()["hours"], granted.json()["by"]) == ("10.00", staff.display_name)
    assert PrepaidAccount.objects.get(organisation=startup).balance_hours == D("12.50")


def test_staff_see_an_organisation_without_account_as_zero(client, staff):
    startup, _owner = startup_with_hours(hours=None)

    account = _api(client, staff).get(f"/api/v1/fablab/prepaid/{startup.slug}/").json()

    assert account["balance_hours"] == "0.00"


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ({"kind": "adjustment", "hours": "-5", "note": "Too much"}, "hours", "3.00 hours left"),
        ({"kind": "grant", "hours": "x", "note": "Words"}, "hours", "as a number"),
        ({"kind": "grant", "hours": "2", "note": ""}, "note", "Say why"),
        ({"kind": "use", "hours": "2", "note": "Use"}, "kind", ""),
    ],
)
def test_bad_changes_are_a_400_naming_the_field_and_change_nothing(
    client, staff, payload, field, words
):
    startup, _owner = startup_with_hours(hours="3")

    response = _api(client, staff).post(
        f"/api/v1/fablab/prepaid/{startup.slug}/movements/",
        payload,
        content_type="application/json",
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert field in error["fields"]
    assert words in " ".join(error["fields"][field])
    assert PrepaidAccount.objects.get(organisation=startup).balance_hours == D("3.00")
    assert PrepaidMovement.objects.count() == 1


def test_people_of_the_organisation_cannot_grant_hours(client):
    startup, owner = startup_with_hours(hours="3")

    response = _api(client, owner).post(
        f"/api/v1/fablab/prepaid/{startup.slug}/movements/",
        {"kind": "grant", "hours": "100", "note": "Free"},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert PrepaidAccount.objects.get(organisation=startup).balance_hours == D("3.00")
