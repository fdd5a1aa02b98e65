"""The profile page and /api/v1/me/: edits, bad input, content types."""

import json

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return UserFactory(first_name="Ana", last_name="Weber", phone="", roles=["guardian"])


def test_the_profile_page_saves_name_phone_and_language(client, user):
    client.force_login(user)

    response = client.post(
        reverse("accounts:profile"),
        {"first_name": "Anna", "last_name": "Weber", "phone": "+352 621 123 456",
         "preferred_language": "de"},
        follow=True,
    )  # fmt: skip

    user.refresh_from_db()
    assert (user.first_name, user.phone, user.preferred_language) == (
        "Anna", "+352 621 123 456", "de",
    )  # fmt: skip
    assert response.context["LANGUAGE_CODE"] == "de"
    assert '<html lang="de">' in response.content.decode()


def test_the_profile_refuses_a_bad_phone_and_keeps_the_old_values(client, user):
    client.force_login(user)

    response = client.post(
        reverse("accounts:profile"),
        {"first_name": "X", "last_name": "Y", "phone": "call me", "preferred_language": "en"},
    )

    assert "Enter a phone number such as +352 621 123 456." in response.content.decode()
    user.refresh_from_db()
    assert (user.first_name, user.phone) == ("Ana", "")


def test_the_profile_page_lists_the_roles(client, user):
    client.force_login(user)

    assert "Guardian or teacher" in client.get(reverse("accounts:profile")).content.decode()


def test_pages_for_members_send_visitors_to_login(client):
    response = client.get(reverse("accounts:profile"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_me_api_reads_and_updates_the_profile(client, user):
    client.force_login(user)

    response = client.patch(
        "/api/v1/me/", json.dumps({"first_name": "Anna"}), content_type="application/json"
    )

    assert response.status_code == 200
    assert response.json()["first_name"] == "Anna"
    assert response.json()["last_name"] == "Weber"
    user.refresh_from_db()
    assert user.first_name == "Anna"


def test_me_api_refuses_an_unknown_language_and_changes_nothing(client, user):
    client.force_login(user)

    response = client.patch(
        "/api/v1/me/",
        json.dumps({"preferred_language": "xx", "first_name": "Changed"}),
        content_type="application/json",
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"]["preferred_language"] == [
        "Unknown language “xx”. Choose English, French or German."
    ]
    user.refresh_from_db()
    assert (user.first_name, user.preferred_language) == ("Ana", "en")


def test_me_api_refuses_a_wrong_content_type(client, user):
    client.force_login(user)

    response = client.patch("/api/v1/me/", "first_name=Anna", content_type="text/plain")

    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert "text/plain" in response.json()["error"]["message"]
    user.refresh_from_db()
    assert user.first_name == "Ana"


def test_me_api_refuses_broken_json(client, user):
    client.force_login(user)

    response = client.patch("/api/v1/me/", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_me_api_answers_anonymous_callers_with_json_401(client):
    response = client.get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="de")

    assert response.status_code in (401, 403)
    assert response.json()["error"]["code"] == "not_authenticated"
    assert "Anmeldedaten" in response.json()["error"]["message"]
