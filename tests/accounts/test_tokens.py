"""Personal API tokens: shown once, stored hashed, revocable, and the API behind them."""

import pytest
from django.urls import reverse

from fabreck.accounts.models import ApiToken
from fabreck.accounts.services import api_token_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return UserFactory(first_name="Ana", roles=["maker"])


def test_a_new_token_is_shown_once_and_only_its_digest_is_kept(client, user):
    client.force_login(user)

    response = client.post(reverse("accounts:tokens"), {"name": "laptop script"})

    secret = response.context["new_secret"]
    assert secret.startswith("fbk_") and secret in response.content.decode()
    token = ApiToken.objects.get(user=user)
    assert token.digest != secret and secret not in token.digest
    assert secret.startswith(token.prefix)
    again = client.get(reverse("accounts:tokens")).content.decode()
    assert "laptop script" in again and secret not in again


def test_a_token_without_a_name_is_refused(client, user):
    client.force_login(user)

    response = client.post(reverse("accounts:tokens"), {"name": "   "})

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_the_api_knows_the_token_owner(client, user):
    _token, secret = api_token_create(user=user, name="ci")

    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert response.status_code == 200
    body = response.json()
    assert body["email"] == user.email and body["roles"] == ["maker"]
    assert ApiToken.objects.get().last_used_at is not None


def test_a_revoked_token_no_longer_opens_the_api(client, user):
    token, secret = api_token_create(user=user, name="old")
    client.force_login(user)

    client.post(reverse("accounts:token-revoke", args=[token.pk]))
    client.logout()
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Invalid or revoked API token."


def test_nobody_revokes_another_users_token(client, user):
    token, _secret = api_token_create(user=user, name="mine")
    client.force_login(UserFactory())

    response = client.post(reverse("accounts:token-revoke", args=[token.pk]), follow=True)

    assert "This token does not exist." in response.content.decode()
    token.refresh_from_db()
    assert token.is_active


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer not-a-token", "Bearer fbk_short", "Token fbk_" + "é" * 43, "Bearer a b"],
)
def test_a_malformed_token_gets_a_clear_json_error(client, header):
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert "Malformed API token" in response.json()["error"]["message"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_malformed_token_is_explained_in_french(client):
    response = client.get(
        "/api/v1/me/", HTTP_AUTHORIZATION="Bearer nope", HTTP_ACCEPT_LANGUAGE="fr"
    )

    message = response.json()["error"]["message"]
    assert message != "Malformed API token." and "API" in message


def test_an_unknown_well_formed_token_is_refused(client):
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION="Bearer fbk_" + "A" * 43)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_a_tokens_last_use_is_recorded_at_most_once_a_minute(client, user):
    from datetime import timedelta

    from django.utils import timezone

    _token, secret = api_token_create(user=user, name="ci")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

    client.get("/api/v1/me/", **auth)
    first = ApiToken.objects.get().last_used_at
    client.get("/api/v1/me/", **auth)
    assert ApiToken.objects.get().last_used_at == first  # no write within the minute

    ApiToken.objects.update(last_used_at=first - timedelta(minutes=5))
    assert client.get("/api/v1/me/", **auth).status_code == 200
    assert ApiToken.objects.get().last_used_at > timezone.now() - timedelta(minutes=1)
