"""The calls lane's API: calls for everyone, the managers' writes, founders' applications."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.utils import timezone

from fabreck.incubator.models import Application, IncubatorCall
from tests.factories import UserFactory
from tests.incubator.calls_helpers import pdf, question
from tests.incubator.helpers import application_make, call_make, cohort_make

pytestmark = pytest.mark.django_db

CALLS = "/api/v1/incubator/calls/"
APPLICATIONS = "/api/v1/incubator/applications/"


def _draft(call, **changes) -> dict:
    body = {
        "call": call.slug,
        "startup_name": "Pixel Loom",
        "sector": "design",
        "commune": "luxembourg",
        "stage": "prototype",
        "idea": "Woven textiles that light up.",
        "market": "Interior designers",
        "needs": "Laser cutting",
        "founders": [{"name": "Marie", "email": "marie@example.lu", "role": "CTO"}],
        "answers": {str(question(call, "Full time?").pk): "Yes"},
    }
    body.update(changes)
    return body


def test_everyone_reads_published_calls_with_their_questions(client, manager):
    cohort = cohort_make()
    open_call = call_make(by=manager, cohort=cohort)
    call_make(by=manager, cohort=cohort, slug="later", opens_in_days=4)
    hidden = call_make(by=manager, cohort=cohort, slug="hidden")
    IncubatorCall.objects.filter(pk=hidden.pk).update(published=False)
    listing = client.get(CALLS).json()
    assert {row["slug"] for row in listing["results"]} == {open_call.slug, "later"}
    assert [row["slug"] for row in client.get(CALLS, {"state": "open"}).json()["results"]] == [
        open_call.slug
    ]
    detail = client.get(f"{CALLS}{open_call.slug}/").json()
    assert detail["is_open"] is True
    assert [q["label"] for q in detail["questions"]] == ["Your website", "Full time?"]
    assert detail["questions"][1]["options"] == ["Yes", "No"]
    assert [c["weight"] for c in detail["criteria"]] == ["2.00", "1.00", "1.00"]
    assert client.get(f"{CALLS}hidden/").status_code == 404
    assert client.get(CALLS, {"state": "nonsense"}).status_code == 400


def test_a_manager_creates_a_call_with_questions_and_criteria(client, manager):
    cohort = cohort_make()
    client.force_login(manager)
    now = timezone.now()
    body = {
        "cohort": cohort.slug,
        "slug": "api-call",
        "title_en": "API call",
        "opens_at": now.isoformat(),
        "closes_at": (now + timedelta(days=20)).isoformat(),
        "published": True,
        "questions": [
            {"kind": "choice", "label_en": "Legal form?", "options": ["SARL", "SA"]},
            {"kind": "number", "label_en": "Revenue", "required": False},
        ],
        "criteria": [{"label_en": "Team", "weight": "2"}],
    }
    response = client.post(CALLS, body, content_type="application/json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert [q["kind"] for q in created["questions"]] == ["choice", "number"]
    # Reorder and change through PATCH with the full list.
    legal, revenue = created["questions"]
    response = client.patch(
        f"{CALLS}api-call/",
        {"questions": [{**revenue, "required": True}, legal]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    assert [(q["label_en"], q["required"]) for q in response.json()["questions"]] == [
        ("Revenue", True),
        ("Legal form?", True),
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"closes_at": "2020-01-01T00:00:00Z"}, "closes_at"),
        ({"questions": [{"kind": "choice", "label_en": "Which?"}]}, "questions"),
    ],
)
def test_a_bad_call_is_refused_with_the_shared_error_shape_and_nothing_changes(
    client, manager, change, field
):
    cohort = cohort_make()
    client.force_login(manager)
    now = timezone.now()
    body = {
        "cohort": cohort.slug,
        "slug": "bad",
        "title_en": "Bad",
        "opens_at": now.isoformat(),
        "closes_at": (now + timedelta(days=2)).isoformat(),
        **change,
    }
    response = client.post(CALLS, body, content_type="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"]
    assert not IncubatorCall.objects.exists()


def test_questions_cannot_change_through_the_api_once_applications_are_submitted(client, manager):
    call = call_make(by=manager)
    application_make(call=call)
    client.force_login(manager)
    response = client.patch(
        f"{CALLS}{call.slug}/",
        {"questions": [{"kind": "short_text", "label_en": "New"}]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "can no longer change" in response.json()["error"]["message"]
    assert call.questions.count() == 2
    # Sending the questions back unchanged, with another title, is fine.
    same = client.get(f"{CALLS}{call.slug}/").json()["questions"]
    response = client.patch(
        f"{CALLS}{call.slug}/",
        {"title_en": "Renamed", "questions": same},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["title_en"] == "Renamed"


def test_others_may_not_write_calls(client, manager):
    call = call_make(by=manager)
    client.force_login(UserFactory())
    assert client.post(CALLS, {}, content_type="application/json").status_code == 403
    assert (
        client.patch(
            f"{CALLS}{call.slug}/", {"title_en": "X"}, content_type="application/json"
        ).status_code
        == 403
    )
    assert client.get(f"{CALLS}{call.slug}/applications/").status_code == 403
    client.logout()
    assert client.post(CALLS, {}, content_type="application/json").status_code in (401, 403)


def test_a_founder_drafts_updates_and_submits_through_the_api(
    client, manager, django_capture_on_commit_callbacks
):
    call = call_make(by=manager)
    founder = UserFactory()
    partner = UserFactory(email="marie@example.lu")
    client.force_login(founder)
    response = client.post(APPLICATIONS, _draft(call, market=""), content_type="application/json")
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    assert response.json()["status"] == "draft"
    assert {f["email"]: f["has_account"] for f in response.json()["founders"]} == {
        founder.email: True,
        partner.email: True,
    }
    refused = client.post(f"{APPLICATIONS}{pk}/submit/")
    assert refused.status_code == 400
    assert "market" in refused.json()["error"]["fields"]
    # A pitch deck and a new market through multipart; the rest stays.
    response = client.generic(
        "PATCH",
        f"{APPLICATIONS}{pk}/",
        encode_multipart(BOUNDARY, {"market": "Hotels", "pitch_deck": pdf()}),
        content_type=MULTIPART_CONTENT,
    )
    assert response.status_code == 200, response.content
    assert response.json()["market"] == "Hotels" and response.json()["startup_name"] == "Pixel Loom"
    assert response.json()["pitch_deck"].endswith(f"/applications/{pk}/pitch-deck/")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{APPLICATIONS}{pk}/submit/")
    assert response.status_code == 200 and response.json()["status"] == "submitted"
    assert [m.to for m in mail.outbox] == [[founder.email]]
    after = client.patch(f"{APPLICATIONS}{pk}/", {"idea": "New"}, content_type="application/json")
    assert after.status_code == 400
    assert Application.objects.get(pk=pk).idea == "Woven textiles that light up."
    # The linked founder reads it in their list.
    client.force_login(partner)
    assert [row["id"] for row in client.get(APPLICATIONS).json()["results"]] == [pk]
    assert client.get(f"{APPLICATIONS}{pk}/pitch-deck/").status_code == 200


def test_a_bad_answer_or_a_late_application_is_refused_and_nothing_is_stored(client, manager):
    call = call_make(by=manager)
    client.force_login(UserFactory())
    bad = _draft(call, answers={str(question(call, "Full time?").pk): "Sometimes"})
    response = client.post(APPLICATIONS, bad, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"][f"q_{question(call, 'Full time?').pk}"] == [
        "Choose one of the options."
    ]
    IncubatorCall.objects.filter(pk=call.pk).update(closes_at=timezone.now() - timedelta(hours=1))
    response = client.post(APPLICATIONS, _draft(call), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["problems"][0]["code"] == "call_closed"
    assert not Application.objects.exists()


def test_a_founder_cannot_read_or_change_another_teams_application(client, manager):
    call = call_make(by=manager)
    theirs = application_make(call=call, status="draft")
    client.force_login(UserFactory())
    url = f"{APPLICATIONS}{theirs.pk}/"
    assert client.get(url).status_code == 404
    assert client.patch(url, {"idea": "Mine"}, content_type="application/json").status_code == 404
    assert client.post(f"{url}submit/").status_code == 404
    assert client.post(f"{url}withdraw/").status_code == 404
    assert client.get(APPLICATIONS).json()["results"] == []
    theirs.refresh_from_db()
    assert theirs.status == "draft" and theirs.idea == "Woven textiles that light up."


def test_managers_list_a_calls_applications_by_status(
    client, manager, django_assert_max_num_queries
):
    call = call_make(by=manager)
    for n in range(9):
        application_make(
            call=call, startup_name=f"S{n}", status=("submitted", "draft", "withdrawn")[n % 3]
        )
    client.force_login(manager)
    url = f"{CALLS}{call.slug}/applications/"
    with django_assert_max_num_queries(10):
        rows = client.get(url, {"status": "submitted"}).json()
    assert rows["count"] == 3 and {r["status"] for r in rows["results"]} == {"submitted"}
    assert client.get(url).json()["count"] == 9
    assert client.get(url, {"status": "lost"}).status_code == 400
    # A manager reads a submitted application, not a draft.
    submitted = Application.objects.filter(call=call, status="submitted").first()
    draft = Application.objects.filter(call=call, status="draft").first()
    assert client.get(f"{APPLICATIONS}{submitted.pk}/").status_code == 200
    assert client.get(f"{APPLICATIONS}{draft.pk}/").status_code == 404


def test_the_schema_describes_the_calls_endpoints():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    assert "/api/v1/incubator/applications/{id}/submit/" in paths
    assert set(paths["/api/v1/incubator/calls/{slug}/"]) >= {"get", "put", "patch"}
    assert "ApplicationStatusEnum" in schema["components"]["schemas"]
