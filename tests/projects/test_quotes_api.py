"""The quotes' API: those who see a project read its versions; the requester's side
accepts or rejects the current one; refusals come back as {"error": {...}}."""

import pytest
from rest_framework.test import APIClient

from fabreck.cluster.models import OrganisationPerson
from fabreck.projects.models import Project, Quote
from fabreck.projects.services import QuoteLineInput
from tests.factories import UserFactory
from tests.projects.quote_helpers import (
    laser_make,
    material_make,
    quote_make,
    standard_lines,
    triaged_project,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def quoted(site, staff):
    project = triaged_project(site, staff)
    laser = laser_make(site)
    first = quote_make(project, staff, [QuoteLineInput(kind="machine", resource=laser, quantity=9)])
    second = quote_make(project, staff, standard_lines(laser, material_make(site)))
    return first, second


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_requester_reads_every_version_newest_first(quoted):
    _first, second = quoted
    project = second.project

    response = _api(project.requested_by).get(f"/api/v1/projects/{project.pk}/quotes/")

    assert response.status_code == 200
    data = response.json()
    assert [(q["version"], q["status"]) for q in data] == [(2, "sent"), (1, "superseded")]
    latest = data[0]
    assert (latest["net_total"], latest["vat_rate"], latest["gross_total"]) == (
        "399.40",
        "17.00",
        "467.30",
    )
    assert latest["price_group"] == "cluster-member"
    assert [line["kind"] for line in latest["lines"]] == ["machine", "material", "staff", "other"]
    assert latest["lines"][0]["machine"] == "fablab-test-laser-cutter-trotec"
    assert latest["lines"][2]["label"] == "Staff hours: Design check"
    assert latest["pdf_url"].endswith(f"/projects/{project.pk}/quotes/2.pdf")


def test_a_member_of_the_organisation_reads_and_a_stranger_gets_a_404(quoted):
    project = quoted[1].project
    member = UserFactory()
    OrganisationPerson.objects.create(organisation=project.organisation, user=member, role="member")
    assert _api(member).get(f"/api/v1/projects/{project.pk}/quotes/").status_code == 200
    response = _api(UserFactory()).get(f"/api/v1/projects/{project.pk}/quotes/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert APIClient().get(f"/api/v1/projects/{project.pk}/quotes/").status_code in (401, 403)


def test_accept_then_accept_again_is_refused(quoted):
    _first, second = quoted
    api = _api(second.project.requested_by)

    response = api.post(f"/api/v1/projects/quotes/{second.pk}/accept/")

    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    assert Project.objects.get(pk=second.project_id).status == "accepted"
    again = api.post(f"/api/v1/projects/quotes/{second.pk}/accept/")
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "already_accepted"
    assert again.json()["error"]["message"] == "This quote is already accepted."


def test_a_superseded_version_is_refused(quoted):
    first, _second = quoted
    response = _api(first.project.requested_by).post(f"/api/v1/projects/quotes/{first.pk}/accept/")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "superseded"
    assert not Quote.objects.filter(status="accepted").exists()


def test_someone_outside_the_organisation_is_refused(quoted, staff):
    second = quoted[1]
    member = UserFactory()
    OrganisationPerson.objects.create(
        organisation=second.project.organisation, user=member, role="member"
    )

    refused = _api(member).post(f"/api/v1/projects/quotes/{second.pk}/accept/")
    assert refused.status_code == 403
    assert "owners and admins" in refused.json()["error"]["message"]
    assert _api(staff).post(f"/api/v1/projects/quotes/{second.pk}/accept/").status_code == 403
    hidden = _api(UserFactory()).post(f"/api/v1/projects/quotes/{second.pk}/accept/")
    assert hidden.status_code == 404
    assert Quote.objects.get(pk=second.pk).status == "sent"


def test_reject_needs_a_reason(quoted):
    second = quoted[1]
    api = _api(second.project.requested_by)

    missing = api.post(f"/api/v1/projects/quotes/{second.pk}/reject/", {}, format="json")
    assert missing.status_code == 400
    assert "reason" in missing.json()["error"]["fields"]
    blank = api.post(
        f"/api/v1/projects/quotes/{second.pk}/reject/", {"reason": "   "}, format="json"
    )
    assert blank.status_code == 400
    assert Quote.objects.get(pk=second.pk).status == "sent"

    response = api.post(
        f"/api/v1/projects/quotes/{second.pk}/reject/",
        {"reason": "Over our budget"},
        format="json",
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["decision_note"]) == (
        "rejected",
        "Over our budget",
    )
    assert Project.objects.get(pk=second.project_id).status == "requested"


def test_the_schema_names_the_quote_enums():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    assert "QuoteStatusEnum" in components and "QuoteLineKindEnum" in components
    assert "/api/v1/projects/quotes/{id}/accept/" in schema["paths"]
