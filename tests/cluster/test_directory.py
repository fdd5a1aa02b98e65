"""The public directory: who appears, search across languages and accents, facets, queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import UserFactory, organisation_make

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    return [o.name for o in response.context["result"].page.object_list]


def search(client, **params):
    return client.get(reverse("cluster:directory"), params)


def test_only_consenting_members_are_public(client):
    organisation_make(name="Public Member")
    organisation_make(name="Shy Member", directory_consent=False)
    organisation_make(name="Applicant", status="applied")
    organisation_make(name="Refused One", status="refused")

    assert names(search(client)) == ["Public Member"]
    assert client.get(reverse("cluster:profile", args=["applicant"])).status_code == 404


def test_a_pending_profile_is_visible_to_its_own_people_and_to_managers(client):
    owner = UserFactory()
    organisation = organisation_make(owner=owner, name="Pending", status="applied")
    url = reverse("cluster:profile", args=[organisation.slug])

    client.force_login(owner)
    assert client.get(url).status_code == 200
    client.force_login(UserFactory(roles=["cluster_manager"]))
    assert client.get(url).status_code == 200
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404


def test_a_french_word_finds_a_german_profile_through_the_taxonomy(client):
    organisation_make(
        name="Holzwerk Kremer",
        competences=("carpentry",),
        sectors=("art-crafts",),
        description_de="Maßmöbel und Innenausbau aus Eiche.",
    )
    organisation_make(name="Pixel Studio", competences=("graphic-design",))

    assert names(search(client, q="menuisier")) == ["Holzwerk Kremer"]
    assert names(search(client, q="Schreiner")) == ["Holzwerk Kremer"]
    assert names(search(client, q="carpentry")) == ["Holzwerk Kremer"]


def test_search_ignores_accents_and_case(client):
    organisation_make(name="Café Créatif", description_fr="Éditions et graphisme.")

    assert names(search(client, q="CAFE creatif")) == ["Café Créatif"]
    assert names(search(client, q="editions")) == ["Café Créatif"]


def test_a_name_match_ranks_above_a_description_match(client):
    organisation_make(name="Mosaic Works", description_en="Ceramic tiles.")
    organisation_make(name="Tile Factory", description_en="We lay mosaic floors.")

    assert names(search(client, q="mosaic")) == ["Mosaic Works", "Tile Factory"]


def test_every_word_must_match(client):
    organisation_make(name="Studio Blau", description_en="Sound design for film.")
    organisation_make(name="Studio Rot", description_en="Sound recording.")

    assert names(search(client, q="sound design")) == ["Studio Blau"]


def test_facets_count_and_filter_within_and_across(client):
    organisation_make(name="A", sectors=("design",), commune="luxembourg", kind="company")
    organisation_make(name="B", sectors=("games",), commune="luxembourg", kind="startup")
    organisation_make(name="C", sectors=("games",), commune="differdange", kind="startup")

    response = search(client, sector=["games", "design"], commune="luxembourg")
    assert names(response) == ["A", "B"]
    facets = {
        f.name: {o.value: o.count for o in f.options} for f in response.context["result"].facets
    }
    # Each facet counts as if its own choice were not made.
    assert facets["commune"]["luxembourg"] == 2 and facets["commune"]["differdange"] == 1
    assert facets["sector"]["games"] == 1 and facets["sector"]["design"] == 1
    assert facets["kind"]["startup"] == 1 and facets["kind"]["company"] == 1


def test_unknown_filters_and_pages_are_ignored_not_errors(client):
    organisation_make(name="Only One")

    response = search(
        client, size="huge", kind="alien", page="abc", sort="drop table", sector="nope"
    )

    assert response.status_code == 200
    assert names(response) == []  # an unknown sector matches nothing
    assert names(search(client, page="999")) == ["Only One"]  # last page instead


def test_htmx_gets_only_the_results(client):
    organisation_make(name="Partial")

    response = client.get(reverse("cluster:directory"), {"q": "partial"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert "Partial" in html and "<html" not in html


def test_contact_fields_show_only_when_chosen(client):
    organisation = organisation_make(
        name="Private Contact",
        email="hello@private.lu",
        phone="+352 12 34 56",
        show_email=False,
        show_phone=True,
    )

    html = client.get(reverse("cluster:profile", args=[organisation.slug])).content.decode()

    assert "hello@private.lu" not in html
    assert "+352 12 34 56" in html


def queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx.captured_queries)


def test_directory_and_profile_cost_the_same_with_3_or_25_members(client):
    for n in range(3):
        organisation_make(name=f"Org {n}", competences=("carpentry", "graphic-design"))
    queries(client, reverse("cluster:directory"), {"q": "org"})  # fills the taxonomy cache
    few = queries(client, reverse("cluster:directory"), {"q": "org", "sector": "design"})
    profile_few = queries(client, reverse("cluster:profile", args=["org-0"]))

    for n in range(3, 25):
        organisation_make(name=f"Org {n}", competences=("carpentry", "graphic-design"))
    many = queries(client, reverse("cluster:directory"), {"q": "org", "sector": "design"})

    assert many == few <= 15
    assert queries(client, reverse("cluster:profile", args=["org-0"])) == profile_few <= 8
