from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from fabreck.incubator.models import Incubation, MentorSession, Milestone
from tests.factories import UserFactory
from tests.incubator.startups_helpers import competences, mentor_make, startup_make

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_managers_list_all_startups_founders_their_own(manager):
    mine = startup_make(manager=manager)
    other = startup_make(manager=manager, name="Other Co", call=mine.application.call)
    everyone = _api(manager).get("/api/v1/incubator/startups/").json()
    assert {row["id"] for row in everyone["results"]} == {mine.pk, other.pk}
    own = _api(mine.application.applicant).get("/api/v1/incubator/startups/").json()
    assert [row["id"] for row in own["results"]] == [mine.pk]
    assert own["results"][0]["phase"] == "idea_validation"
    detail = _api(mine.application.applicant).get(f"/api/v1/incubator/startups/{mine.pk}/")
    assert detail.status_code == 200
    assert len(detail.json()["milestones"]) == 6 and detail.json()["phase_changes"]
    assert (
        _api(mine.application.applicant).get(f"/api/v1/incubator/startups/{other.pk}/").status_code
        == 404
    )


def test_phase_moves_for_managers_only_with_the_shared_error_shape(manager):
    incubation = startup_make(manager=manager)
    url = f"/api/v1/incubator/startups/{incubation.pk}/phase/"
    founder = _api(incubation.application.applicant)
    assert founder.post(url, {"to_phase": "realisation"}, format="json").status_code == 404
    refused = _api(manager).post(url, {"to_phase": "market"}, format="json")
    assert refused.status_code == 400 and refused.json()["error"]["message"]
    assert Incubation.objects.get(pk=incubation.pk).phase == "idea_validation"
    moved = _api(manager).post(url, {"to_phase": "realisation"}, format="json")
    assert moved.status_code == 200 and moved.json()["phase"] == "realisation"


def test_milestones_created_updated_and_done_through_the_api(manager):
    incubation = startup_make(manager=manager)
    due = (timezone.localdate() + timedelta(days=40)).isoformat()
    url = f"/api/v1/incubator/startups/{incubation.pk}/milestones/"
    founder = _api(incubation.application.applicant)
    assert founder.post(url, {"phase": "market", "title": "x", "due_on": due}).status_code == 404
    created = _api(manager).post(
        url, {"phase": "market", "title": "Distributor", "due_on": due}, format="json"
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    patched = _api(manager).patch(
        f"/api/v1/incubator/milestones/{pk}/", {"title": "Two distributors"}, format="json"
    )
    assert patched.json()["title"] == "Two distributors" and patched.json()["phase"] == "market"
    assert founder.patch(f"/api/v1/incubator/milestones/{pk}/", {"title": "x"}).status_code == 404
    empty = founder.post(f"/api/v1/incubator/milestones/{pk}/done/", {}, format="json")
    assert empty.status_code == 400 and "evidence" in empty.json()["error"]["fields"]
    done = founder.post(
        f"/api/v1/incubator/milestones/{pk}/done/",
        {"evidence": "Contract", "evidence_file": SimpleUploadedFile("c.pdf", b"%PDF")},
        format="multipart",
    )
    assert done.status_code == 200 and done.json()["done_on"] == timezone.localdate().isoformat()
    assert done.json()["evidence_file_url"].endswith(f"/milestones/{pk}/file/")
    download = founder.get(f"/api/v1/incubator/milestones/{pk}/file/")
    assert b"".join(download.streaming_content) == b"%PDF"
    assert _api(UserFactory()).get(f"/api/v1/incubator/milestones/{pk}/file/").status_code == 404
    assert Milestone.objects.get(pk=pk).evidence == "Contract"


def test_mentor_sessions_listed_and_created_with_bad_hours_refused(manager):
    incubation = startup_make(manager=manager)
    mentor = mentor_make(competence_list=competences(1))
    incubation.needed_competences.set(mentor.competences.all())  # the startup needs them
    url = f"/api/v1/incubator/startups/{incubation.pk}/mentor-sessions/"
    today = timezone.localdate().isoformat()
    bad = _api(mentor.user).post(
        url, {"held_on": today, "hours": "0", "topics": "Legal"}, format="json"
    )
    assert bad.status_code == 400 and "hours" in bad.json()["error"]["fields"]
    assert not MentorSession.objects.exists()
    made = _api(mentor.user).post(
        url, {"held_on": today, "hours": "1.5", "topics": "Legal"}, format="json"
    )
    assert made.status_code == 201 and made.json()["mentor"]["id"] == mentor.pk
    by_manager = _api(manager).post(
        url, {"mentor": mentor.pk, "held_on": today, "hours": "1", "topics": "IP"}, format="json"
    )
    assert by_manager.status_code == 201
    listed = _api(incubation.application.applicant).get(url).json()
    assert [row["topics"] for row in listed] == ["IP", "Legal"]
    founder_logs = _api(incubation.application.applicant).post(
        url, {"held_on": today, "hours": "1", "topics": "x"}, format="json"
    )
    assert founder_logs.status_code == 403
    assert MentorSession.objects.count() == 2


def test_the_schema_of_the_startups_endpoints_has_no_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))
    text = (tmp_path / "s.yml").read_text()
    assert "/api/v1/incubator/startups/{id}/mentor-sessions/" in text
