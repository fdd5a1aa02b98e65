"""Friendly error pages in three languages; JSON errors under /api/."""

import pytest
from django.test import RequestFactory
from django.utils import translation

from fabreck.core.views import server_error
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["en", "fr", "de"])
def test_a_missing_page_is_a_friendly_404_in_the_visitor_language(client, language):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 404
    html = response.content.decode()
    with translation.override(language):
        assert translation.gettext("Page not found") in html
        assert translation.gettext("Back to the home page") in html


def test_a_missing_api_resource_is_json(client):
    response = client.get("/api/v1/nothing-here/")

    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "This page does not exist."}
    }


@pytest.mark.parametrize("language", ["en", "fr", "de"])
def test_the_500_page_is_friendly_and_translated(language):
    request = RequestFactory().get("/")
    with translation.override(language):
        response = server_error(request)
        expected = translation.gettext("Something went wrong on our side.")

    assert response.status_code == 500
    assert expected in response.content.decode()


def test_a_forbidden_action_gets_the_friendly_403_page(client):
    client.force_login(UserFactory(roles=["site_staff"]))  # may view users, not change them
    target = UserFactory()

    response = client.post(f"/admin/accounts/user/{target.pk}/change/", {"email": "x@y.lu"})

    assert response.status_code == 403
    html = response.content.decode()
    assert "Access denied" in html
    assert "Your role does not give access to this page." in html
