"""The projects API: requests with files (same checks as the page), a project for those who
see it, status changes through the status machine, and the timeline's messages. Errors
come in the {"error": {...}} shape, in the caller's language; bad input stores nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from fabreck.accounts.services import api_token_create
from fabreck.cluster.models import OrganisationPerson
from fabreck.projects.models import Attachment, Comment, Project, StatusChange
from fabreck.projects.services import project_comment
from tests.factories import UserFactory, organisation_make
from tests.projects.helpers import project_make
from tests.projects.requests_fixtures import private_dir_make, stored_files, upload

pytestmark = pytest.mark.django_db

BASE = "/api/v1/projects"


@pytest.fixture
def private_dir(tmp_path, monkeypatch):
    return private_dir_make(tmp_path, monkeypatch)


def _token(user) -> dict:
    _unused, secret = api_token_create(user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _request_fields(organisation=None, **changes) -> dict:
    data = {
        "title": "Sensor housing",
        "goal": "Test a weatherproof housing for our air sensor",
        "description": "3D-printed PETG, two parts, gasket groove.",
        "machine_categories": ["3d-printer"],
        "quantity": "2",
        "deadline": (timezone.localdate() + timedelta(days=20)).isoformat(),
        "budget_range": "under_1k",
    }
    if organisation is not None:
        data["organisation"] = organisation.slug
    data.update(changes)
    return data


def test_a_startup_posts_a_request_with_files_and_reads_it_back(
    client, site, private_dir, django_capture_on_commit_callbacks
):
    owner = UserFactory()
    startup = organisation_make(owner=owner, name="AirLux", kind="startup")
    auth = _token(owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{BASE}/",
            {**_request_fields(startup), "attachments": [upload("housing.step", b"ISO-10303")]},
            **auth,
        )

    assert response.status_code == 201, response.content
    body = response.json()
    project = Project.objects.get()
    assert body["reference"] == project.reference
    assert (body["status"], body["requester_kind"], body["organisation"]["slug"]) == (
        "requested",
        "startup",
        startup.slug,
    )
    assert body["machine_categories"] == ["3d-printer"]
    assert [a["name"] for a in body["attachments"]] == ["housing.step"]
    assert [c["to_status"] for c in body["status_changes"]] == ["requested"]
    assert [m for m in mail.outbox if m.to == [owner.email]]

    download = client.get(body["attachments"][0]["url"].split("testserver")[-1], **auth)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"ISO-10303"

    listed = client.get(f"{BASE}/", **auth).json()
    assert [p["reference"] for p in listed["results"]] == [project.reference]


def test_a_json_request_without_files_works_too(client, site):
    maker = UserFactory()
    response = client.post(
        f"{BASE}/",
        json.dumps({**_request_fields(), "quantity": 1, "confidential": True}),
        content_type="application/json",
        **_token(maker),
    )
    assert response.status_code == 201, response.content
    assert response.json()["requester_kind"] == "individual"
    assert response.json()["confidential"] is True


@pytest.mark.parametrize(
    ("case", "field", "message"),
    [
        ("forbidden_type", "attachments", "“run.sh”: files of this type are not accepted"),
        ("too_big", "attachments", "“big.stl” is too large"),
        ("deadline_past", "deadline", "The deadline cannot be in the past."),
        ("quantity_zero", "quantity", "Ensure this value is greater than or equal to 1."),
        ("not_my_organisation", "organisation", "Select a valid choice."),
    ],
)
def test_bad_requests_get_a_400_with_the_field_and_nothing_is_stored(
    client, site, settings, private_dir, case, field, message, django_capture_on_commit_callbacks
):
    settings.PROJECTS_ATTACHMENT_MAX_BYTES = 100
    owner = UserFactory()
    mine = organisation_make(owner=owner, name="Mine")
    other = organisation_make(name="Other")
    data = _request_fields(mine)
    files = [upload("ok.pdf")]
    if case == "forbidden_type":
        files.append(upload("run.sh", b"#!/bin/sh"))
    elif case == "too_big":
        files.append(upload("big.stl", b"x" * 101))
    elif case == "deadline_past":
        data["deadline"] = (timezone.localdate() - timedelta(days=2)).isoformat()
    elif case == "quantity_zero":
        data["quantity"] = "0"
    elif case == "not_my_organisation":
        data["organisation"] = other.slug
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{BASE}/", {**data, "attachments": files}, **_token(owner))

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert any(message in text for text in error["fields"][field])
    assert not Project.objects.exists() and not Attachment.objects.exists()
    assert stored_files(private_dir) == []
    assert mail.outbox == []


def test_the_refusal_speaks_the_callers_language(client, site):
    response = client.post(
        f"{BASE}/",
        _request_fields(quantity="0"),
        HTTP_ACCEPT_LANGUAGE="fr",
        **_token(UserFactory()),
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"] == "Certains champs ne sont pas valides."
    assert error["fields"]["quantity"] == [
        "Assurez-vous que cette valeur est supérieure ou égale à 1."
    ]


def test_a_confidential_project_is_a_404_for_a_stranger_everywhere(client, site, private_dir):
    project = project_make(title="Secret drone frame", confidential=True)
    project_comment(project=project, by=project.requested_by, body="v1", files=[upload()])
    file = Attachment.objects.get()
    auth = _token(UserFactory())

    responses = [
        client.get(f"{BASE}/{project.pk}/", **auth),
        client.get(f"{BASE}/{project.pk}/comments/", **auth),
        client.get(f"{BASE}/{project.pk}/files/{file.pk}/", **auth),
        client.post(f"{BASE}/{project.pk}/comments/", {"body": "hi"}, **auth),
        client.post(f"{BASE}/{project.pk}/status/", {"to": "cancelled"}, **auth),
    ]

    assert [r.status_code for r in responses] == [404] * 5
    assert all("Secret" not in r.content.decode() for r in responses[:2])
    assert client.get(f"{BASE}/", **auth).json()["results"] == []
    assert Project.objects.get().status == "requested"


def test_status_changes_go_through_the_status_machine(
    client, site, staff, django_capture_on_commit_callbacks
):
    project = project_make(status="quoted", site=site, lead=staff)
    requester = _token(project.requested_by)
    by_staff = _token(staff)

    refused = client.post(f"{BASE}/{project.pk}/status/", {"to": "delivered"}, **requester)
    not_allowed = client.post(f"{BASE}/{project.pk}/status/", {"to": "delivered"}, **by_staff)
    no_reason = client.post(f"{BASE}/{project.pk}/status/", {"to": "declined"}, **by_staff)

    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "You may not change this project's status."
    assert not_allowed.status_code == 400
    assert "cannot become delivered" in not_allowed.json()["error"]["message"]
    assert no_reason.status_code == 400
    assert "Say why" in json.dumps(no_reason.json()["error"])
    assert not StatusChange.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        declined = client.post(
            f"{BASE}/{project.pk}/status/",
            {"to": "declined", "note": "Series production is outside the FabLab's charter."},
            **by_staff,
        )
    assert declined.status_code == 200
    assert declined.json()["status"] == "declined"
    assert [m for m in mail.outbox if m.to == [project.requested_by.email]]


def test_a_disallowed_move_names_the_rule_it_broke(client, site, staff):
    project = project_make(status="quoted", site=site, lead=staff)
    response = client.post(
        f"{BASE}/{project.pk}/status/",
        {"to": "delivered"},
        **_token(staff),
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"] == "A project that is quoted cannot become delivered."
    assert error["problems"][0]["code"] == "transition_not_allowed"


def test_comments_hide_staff_only_notes_from_the_organisation(client, site, staff):
    project = project_make(status="quoted", site=site, lead=staff)
    project_comment(project=project, by=staff, body="Public answer")
    project_comment(project=project, by=staff, body="Internal: tight budget", internal=True)

    as_requester = client.get(f"{BASE}/{project.pk}/comments/", **_token(project.requested_by))
    as_staff = client.get(f"{BASE}/{project.pk}/comments/", **_token(staff))

    assert [c["body"] for c in as_requester.json()["results"]] == ["Public answer"]
    assert [c["body"] for c in as_staff.json()["results"]] == [
        "Public answer",
        "Internal: tight budget",
    ]


def test_posting_comments(client, site, staff, private_dir, django_capture_on_commit_callbacks):
    project = project_make(status="quoted", site=site, lead=staff)
    requester = _token(project.requested_by)

    sneaky = client.post(
        f"{BASE}/{project.pk}/comments/", {"body": "psst", "internal": "true"}, **requester
    )
    with django_capture_on_commit_callbacks(execute=True):
        posted = client.post(
            f"{BASE}/{project.pk}/comments/",
            {"body": "New drawing", "attachments": [upload("v3.svg", b"<svg/>")]},
            **requester,
        )
    empty = client.post(f"{BASE}/{project.pk}/comments/", {"body": "  "}, **requester)

    assert sneaky.status_code == 403
    assert posted.status_code == 201
    assert posted.json()["attachments"][0]["name"] == "v3.svg"
    assert empty.status_code == 400
    assert list(Comment.objects.values_list("body", flat=True)) == ["New drawing"]
    assert [m for m in mail.outbox if m.to == [staff.email]]


def test_a_reader_of_the_organisation_may_not_move_the_project(client, site):
    project = project_make()
    reader = UserFactory()
    OrganisationPerson.objects.create(
        organisation=project.organisation, user=reader, role=OrganisationPerson.Role.MEMBER
    )
    auth = _token(reader)

    assert client.get(f"{BASE}/{project.pk}/", **auth).status_code == 200
    response = client.post(f"{BASE}/{project.pk}/status/", {"to": "cancelled", "note": "x"}, **auth)
    assert response.status_code == 403
    assert Project.objects.get().status == "requested"


def test_the_staff_scope_is_for_staff(client, site, staff):
    waiting = project_make(title="Waiting")
    assert client.get(f"{BASE}/", {"scope": "staff"}, **_token(UserFactory())).status_code == 403
    body = client.get(f"{BASE}/", {"scope": "staff", "status": "requested"}, **_token(staff))
    assert [p["id"] for p in body.json()["results"]] == [waiting.pk]
