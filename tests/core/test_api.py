"""The API's frame: OpenAPI schema, docs without a CDN, throttling."""

import pytest
import yaml
from django.core.management import call_command
from rest_framework.settings import api_settings

from fabreck.accounts.services import api_token_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_openapi_schema_is_valid_and_describes_me(client, tmp_path):
    # --validate checks the schema against the OpenAPI 3 specification.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))

    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]["/api/v1/me/"]) == {"get", "patch"}
    assert schema["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"


def test_the_interactive_docs_load_their_assets_from_our_own_static_files(client):
    html = client.get("/api/docs/").content.decode()

    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()


def test_the_api_throttles_a_caller_who_sends_too_much(client, settings, monkeypatch):
    monkeypatch.setitem(api_settings.DEFAULT_THROTTLE_RATES, "user", "3/min")
    _token, secret = api_token_create(user=UserFactory(), name="loop")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

    statuses = [client.get("/api/v1/me/", **auth).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/me/", **auth)
    assert response.json()["error"]["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
