"""The directory shows incubated startups with a badge and filters them, on SQLite and on
PostgreSQL (where the search statement reads the narrow search table)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from fabreck.cluster.services import organisation_incubated_set
from fabreck.incubator import services
from tests.factories import organisation_make
from tests.incubator.startups_helpers import startup_make

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    return sorted(o.name for o in response.context["result"].page.object_list)


def test_incubated_startups_get_a_badge_and_a_filter(client, manager):
    organisation_make(name="Design Works")
    incubation = startup_make(manager=manager, name="Loom Lab")
    page = client.get(reverse("cluster:directory"))
    assert names(page) == ["Design Works", "Loom Lab"]
    html = page.content.decode()
    assert html.count('data-testid="incubated"') == 1 and "Incubated startups only" in html
    only = client.get(reverse("cluster:directory"), {"incubated": "1"})
    assert names(only) == ["Loom Lab"]
    assert names(client.get(reverse("cluster:directory"), {"incubated": "1", "q": "loom"})) == [
        "Loom Lab"
    ]
    assert names(client.get(reverse("cluster:directory"), {"incubated": "1", "q": "design"})) == []
    profile = client.get(reverse("cluster:profile", args=[incubation.organisation.slug]))
    assert 'data-testid="incubated"' in profile.content.decode()
    # Leaving the incubator takes the badge away and the startup out of the filter.
    services.incubation_phase_move(
        incubation=incubation, to_phase="left", by=manager, note="Closed"
    )
    assert names(client.get(reverse("cluster:directory"), {"incubated": "1"})) == []
    profile = client.get(reverse("cluster:profile", args=[incubation.organisation.slug]))
    assert 'data-testid="incubated"' not in profile.content.decode()


def test_the_facets_count_only_incubated_startups_when_filtered(client):
    organisation_make(name="Plain Co", kind="company")
    startup = organisation_make(name="Young Co", kind="startup")
    organisation_incubated_set(organisation=startup, incubated=True)
    page = client.get(reverse("cluster:directory"), {"incubated": "1"})
    kinds = {o.value: o.count for o in page.context["result"].facets[-1].options if o.count}
    assert kinds == {"startup": 1}


def test_the_api_filters_and_tells_which_are_incubated(manager):
    organisation_make(name="Design Works")
    startup_make(manager=manager, name="Loom Lab")
    api = APIClient()
    everyone = api.get("/api/v1/organisations/").json()
    flags = {row["name"]: row["incubated"] for row in everyone["results"]}
    assert flags == {"Design Works": False, "Loom Lab": True}
    only = api.get("/api/v1/organisations/", {"incubated": "true"}).json()
    assert [row["name"] for row in only["results"]] == ["Loom Lab"] and only["count"] == 1


def test_the_filter_costs_the_same_queries_with_few_or_many_startups(client):
    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(reverse("cluster:directory"), {"incubated": "1"}).status_code == 200
        return len(context)

    for n in range(2):
        organisation_incubated_set(organisation=organisation_make(name=f"S {n}"), incubated=True)
    queries()  # fills the taxonomy cache
    few = queries()
    for n in range(2, 12):
        organisation_incubated_set(organisation=organisation_make(name=f"S {n}"), incubated=True)
    assert queries() == few <= 15
