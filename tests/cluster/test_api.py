"""The cluster's public read API: same search and filters as the directory page."""

import pytest
from django.utils import translation

from tests.factories import organisation_make

pytestmark = pytest.mark.django_db


def test_the_api_searches_the_directory_with_the_page_filters(client):
    organisation_make(
        name="Holzwerk Kremer",
        competences=("carpentry",),
        sectors=("art-crafts",),
        description_de="Möbel nach Maß.",
    )
    organisation_make(name="Pixel Studio", competences=("graphic-design",))
    organisation_make(name="Hidden", directory_consent=False, competences=("carpentry",))

    body = client.get("/api/v1/organisations/", {"q": "menuisier", "sector": "art-crafts"}).json()

    assert body["count"] == 1
    assert [o["slug"] for o in body["results"]] == ["holzwerk-kremer"]
    assert body["results"][0]["competences"] == ["carpentry"]
    art = next(o for o in body["facets"]["sector"] if o["value"] == "art-crafts")
    assert art == {"value": "art-crafts", "label": "Art crafts", "count": 1, "selected": True}


def test_the_api_speaks_the_callers_language(client):
    organisation_make(name="Atelier", sectors=("art-crafts",), description_fr="Bonjour.")

    body = client.get("/api/v1/organisations/", HTTP_ACCEPT_LANGUAGE="de").json()

    with translation.override("de"):
        assert body["results"][0]["kind_label"] == translation.gettext("Company") != "Company"
    assert body["results"][0]["description"] == "Bonjour."  # the only language written


def test_a_profile_shows_only_the_contact_fields_chosen(client):
    organisation_make(
        name="Discreet", email="a@discreet.lu", phone="+352 11 22 33", show_email=False,
        show_phone=True, street="1, rue Haute", show_address=False,
    )  # fmt: skip

    contact = client.get("/api/v1/organisations/discreet/").json()["contact"]

    assert contact == {"commune": "Luxembourg", "phone": "+352 11 22 33"}


def test_a_non_public_profile_is_a_json_404(client):
    organisation_make(name="Pending", status="applied")

    response = client.get("/api/v1/organisations/pending/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_reference_lists_are_public_and_complete(client):
    assert len(client.get("/api/v1/sectors/").json()) == 8
    assert len(client.get("/api/v1/communes/").json()) == 100
    carpentry = next(
        c for c in client.get("/api/v1/competences/").json() if c["slug"] == "carpentry"
    )
    assert carpentry["label_fr"] == "Menuiserie" and "Schreiner" in carpentry["synonyms_de"]
    codes = [n["code"] for n in client.get("/api/v1/nace-classes/").json()]
    assert "59.11" in codes and codes == sorted(codes)


def test_managers_export_the_filtered_directory_as_csv_and_xlsx(client):
    import csv
    import io

    from openpyxl import load_workbook

    from tests.factories import UserFactory

    organisation_make(name="Café Créatif", sectors=("design",), competences=("graphic-design",))
    organisation_make(name="Games Lab", sectors=("games",))
    client.force_login(UserFactory(roles=["cluster_manager"]))

    response = client.get("/directory/export.csv", {"sector": "design"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["Name"] for r in rows] == ["Café Créatif"]
    assert rows[0]["Sectors"] == "Design" and rows[0]["Competences"] == "Graphic design"

    response = client.get("/directory/export.xlsx", {"q": "games"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert values[0][0] == "Name" and [row[0] for row in values[1:]] == ["Games Lab"]


def test_only_cluster_managers_export(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(roles=["maker", "site_staff"]))

    assert client.get("/directory/export.csv").status_code == 403
