"""Pages issue a bounded number of SQL queries whatever the data size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fabreck.accounts.services import api_token_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_home_page_needs_no_query_for_a_visitor(client):
    assert queries_for(client, reverse("core:home")) == 0


@pytest.mark.parametrize("url_name", ["core:home", "accounts:profile", "accounts:tokens"])
def test_member_pages_cost_the_same_with_one_token_or_fifty(client, url_name):
    user = UserFactory(roles=["maker", "guardian"])
    client.force_login(user)
    api_token_create(user=user, name="first")
    few = queries_for(client, reverse(url_name))

    for n in range(49):
        api_token_create(user=user, name=f"token {n}")
    many = queries_for(client, reverse(url_name))

    assert many == few
    assert few <= 8


def test_me_api_costs_a_bounded_number_of_queries(client):
    user = UserFactory(roles=["maker", "guardian", "site_staff"])
    _token, secret = api_token_create(user=user, name="bench")
    client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {secret}")  # records last use

    with CaptureQueriesContext(connection) as ctx:
        client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert len(ctx.captured_queries) <= 3  # token + user, roles; no write within a minute
