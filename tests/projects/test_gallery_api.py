"""The gallery's API: the public search and pages, and documentations written through it
(errors in the API's one shape, translated; nothing stored on a refusal)."""

import pytest
from allauth.account.models import EmailAddress
from rest_framework.test import APIClient

from fabreck.projects import services
from fabreck.projects.models import Documentation, Step
from tests.factories import UserFactory
from tests.projects.gallery_helpers import documentation_make, world_make
from tests.projects.helpers import project_make

pytestmark = pytest.mark.django_db

API = "/api/v1/projects"


@pytest.fixture
def world(db):
    return world_make()


@pytest.fixture
def api():
    return APIClient()


def test_the_public_gallery_searches_and_filters(api, world):
    lamp = documentation_make(
        title="Plywood lamp", site=world.esch, machines=[world.laser], licence="cc0"
    )
    documentation_make(title="Steel base", site=world.differdange, machines=[world.waterjet])
    documentation_make(title="Plywood draft", site=world.esch, publish=False)

    body = api.get(f"{API}/gallery/", {"q": "plywood", "machine": "laser-cutter"}).json()
    assert (body["count"], body["page"], body["pages"]) == (1, 1, 1)
    [card] = body["results"]
    assert card["slug"] == lamp.slug
    assert card["licence"] == "cc0" and card["licence_short"] == "CC0 1.0"
    assert card["site"] == {"slug": "esch", "name": "FabLab Esch"}
    assert card["url"] == f"/gallery/{lamp.slug}/"
    assert api.get(f"{API}/gallery/", {"site": "differdange"}).json()["count"] == 1
    assert api.get(f"{API}/gallery/", {"licence": "nonsense"}).json()["count"] == 0


def test_a_page_is_public_once_published_and_a_draft_is_404(api, world):
    published = documentation_make(
        site=world.esch,
        machines=[world.laser],
        materials=[world.plywood],
        steps=(("Draw", "In CAD."), ("Cut", "On the laser.")),
    )
    draft = documentation_make(title="Secret", publish=False)
    body = api.get(f"{API}/gallery/{published.slug}/").json()
    assert [s["title"] for s in body["steps"]] == ["Draw", "Cut"]
    assert body["machines"] == [
        {"slug": world.laser.slug, "name": "Trotec Speedy 400", "category": "laser-cutter"}
    ]
    assert body["materials"][0]["id"] == world.plywood.pk
    assert body["status"] == "published"

    response = api.get(f"{API}/gallery/{draft.slug}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    api.force_authenticate(draft.author)
    assert api.get(f"{API}/gallery/{draft.slug}/").json()["status"] == "draft"


def test_an_author_writes_steps_orders_them_and_publishes_with_consent(api, world):
    author = UserFactory()
    api.force_authenticate(author)
    response = api.post(
        f"{API}/documentations/",
        {
            "title": "Bike light mount",
            "summary": "PETG, no supports.",
            "licence": "cc-by",
            "site": "esch",
            "sector": "design",
            "machines": [world.printer.slug],
            "materials": [world.pla_esch.pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    pk = created["id"]
    assert created["status"] == "draft" and created["sector"] == "design"

    for title in ("Model", "Print", "Test"):
        response = api.post(
            f"{API}/documentations/{pk}/steps/", {"title": title, "body": "..."}, format="json"
        )
        assert response.status_code == 201
    ids = [s["id"] for s in api.get(f"{API}/documentations/{pk}/steps/").json()]
    response = api.post(
        f"{API}/documentations/{pk}/steps/order/", {"order": ids[::-1]}, format="json"
    )
    assert [s["title"] for s in response.json()] == ["Test", "Print", "Model"]
    response = api.patch(
        f"{API}/documentations/{pk}/steps/{ids[0]}/", {"body": "In FreeCAD."}, format="json"
    )
    assert response.json()["body"] == "In FreeCAD."
    assert api.delete(f"{API}/documentations/{pk}/steps/{ids[1]}/").status_code == 204

    refused = api.post(f"{API}/documentations/{pk}/publish/", {"consent": False}, format="json")
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["fields"]["consent"] == [
        "Tick the box to agree to publish this documentation publicly under the licence chosen."
    ]
    assert Documentation.objects.get(pk=pk).status == "draft"

    published = api.post(f"{API}/documentations/{pk}/publish/", {"consent": True}, format="json")
    assert published.status_code == 200
    assert published.json()["status"] == "published"
    assert [d["id"] for d in api.get(f"{API}/documentations/").json()["results"]] == [pk]
    withdrawn = api.post(f"{API}/documentations/{pk}/withdraw/")
    assert withdrawn.json()["status"] == "withdrawn"


def test_refusals_change_nothing(api, world):
    author = UserFactory()
    api.force_authenticate(author)
    response = api.post(
        f"{API}/documentations/",
        {"title": "Lamp", "summary": "A lamp.", "machines": ["no-such-machine"]},
        format="json",
    )
    assert response.status_code == 400
    assert "machines" in response.json()["error"]["fields"]
    response = api.post(f"{API}/documentations/", {"title": "Lamp"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["summary"] == ["This field is required."]
    assert not Documentation.objects.exists()


def test_a_confidential_projects_documentation_is_refused_publication(api, world):
    staff = UserFactory(roles=["site_staff"])
    project = project_make(status="delivered", site=world.esch, lead=staff, confidential=True)
    api.force_authenticate(project.requested_by)
    response = api.post(f"{API}/documentations/", {"project": project.pk}, format="json")
    assert response.status_code == 201
    created = response.json()
    assert created["confidential"] is True and created["title"] == project.title
    refused = api.post(
        f"{API}/documentations/{created['id']}/publish/", {"consent": True}, format="json"
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["problems"][0]["code"] == "confidential"
    assert "can never be published" in refused.json()["error"]["message"]
    assert Documentation.objects.get().status == "draft"


def test_strangers_see_nothing_and_collaborators_do_not_publish(api, world):
    documentation = documentation_make(publish=False)
    pk = documentation.pk
    api.force_authenticate(UserFactory())
    assert api.get(f"{API}/documentations/{pk}/").status_code == 404
    assert (
        api.patch(f"{API}/documentations/{pk}/", {"title": "x"}, format="json").status_code == 404
    )
    assert (
        api.post(f"{API}/documentations/{pk}/steps/", {"title": "x", "body": "y"}).status_code
        == 404
    )
    assert Step.objects.filter(documentation=documentation).count() == 1

    api.force_authenticate(documentation.author)
    response = api.post(
        f"{API}/documentations/{pk}/collaborators/", {"email": "lea@example.lu"}, format="json"
    )
    assert response.status_code == 201
    again = api.post(
        f"{API}/documentations/{pk}/collaborators/", {"email": "lea@example.lu"}, format="json"
    )
    assert again.status_code == 400
    assert again.json()["error"]["fields"]["email"] == ["lea@example.lu has already been invited."]

    lea = UserFactory(email="lea@example.lu")
    api.force_authenticate(lea)
    assert api.get(f"{API}/documentations/{pk}/").status_code == 404  # not accepted yet
    _collaborator, secret = services.collaborator_invite(
        documentation=documentation, by=documentation.author, email="lea.pro@example.lu"
    )
    EmailAddress.objects.create(user=lea, email="lea.pro@example.lu", verified=True)
    services.collaborator_accept(secret=secret, user=lea)
    response = api.patch(f"{API}/documentations/{pk}/", {"title": "Better lamp"}, format="json")
    assert response.json()["title"] == "Better lamp"
    refused = api.post(f"{API}/documentations/{pk}/publish/", {"consent": True}, format="json")
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == (
        "Only the author of this documentation may do this."
    )
    assert Documentation.objects.get(pk=pk).status == "draft"


def test_anonymous_writes_are_refused(api, world):
    response = api.post(f"{API}/documentations/", {"title": "x", "summary": "y"}, format="json")
    assert response.status_code in (401, 403)
    assert not Documentation.objects.exists()
