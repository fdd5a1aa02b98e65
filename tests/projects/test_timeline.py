"""The project's timeline: messages and files between the organisation and staff, staff-only
notes the organisation never sees nor hears of, and the merged history. Files come from
private storage, only to those who may see them."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from fabreck.cluster.models import OrganisationPerson
from fabreck.projects.models import Attachment, Comment, StatusChange
from fabreck.projects.selectors import project_timeline
from fabreck.projects.services import project_comment
from tests.factories import UserFactory
from tests.projects.helpers import project_make
from tests.projects.requests_fixtures import private_dir_make, stored_files, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def private_dir(tmp_path, monkeypatch):
    return private_dir_make(tmp_path, monkeypatch)


@pytest.fixture
def project(site, staff):
    requester = UserFactory(preferred_language="fr", first_name="Claire")
    return project_make(requested_by=requester, status="quoted", site=site, lead=staff)


def _comment(client, project, data, capture):
    with capture(execute=True):
        return client.post(reverse("projects:comment", args=[project.pk]), data)


def _page(client, project):
    return client.get(reverse("projects:detail", args=[project.pk]))


def test_the_requester_writes_with_a_file_and_the_lead_hears_of_it(
    client, project, staff, private_dir, django_capture_on_commit_callbacks
):
    client.force_login(project.requested_by)

    response = _comment(
        client,
        project,
        {"body": "Here is the revised drawing.", "attachments": [upload("v2.dxf", b"0\nSECTION")]},
        django_capture_on_commit_callbacks,
    )

    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"#comment-{comment.pk}")
    assert [a.name for a in comment.attachments.all()] == ["v2.dxf"]
    [to_lead] = [m for m in mail.outbox if m.to == [staff.email]]
    assert "Here is the revised drawing." in to_lead.body
    assert not [m for m in mail.outbox if m.to == [project.requested_by.email]]

    client.force_login(staff)
    html = _page(client, project).content.decode()
    assert "Here is the revised drawing." in html and "v2.dxf" in html
    download = client.get(
        reverse("projects:attachment", args=[project.pk, comment.attachments.get().pk])
    )
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"0\nSECTION"
    assert 'filename="v2.dxf"' in download["Content-Disposition"]


def test_staff_answer_and_the_organisation_hears_in_each_ones_language(
    client, project, staff, django_capture_on_commit_callbacks
):
    admin_de = UserFactory(preferred_language="de")
    OrganisationPerson.objects.create(
        organisation=project.organisation, user=admin_de, role=OrganisationPerson.Role.ADMIN
    )
    client.force_login(staff)

    _comment(
        client, project, {"body": "The acrylic arrives Monday."}, django_capture_on_commit_callbacks
    )

    [to_requester] = [m for m in mail.outbox if m.to == [project.requested_by.email]]
    [to_admin] = [m for m in mail.outbox if m.to == [admin_de.email]]
    assert to_requester.body.startswith("Bonjour Claire")
    assert to_admin.body.startswith("Guten Tag")
    assert "The acrylic arrives Monday." in to_admin.body
    assert not [m for m in mail.outbox if m.to == [staff.email]], "not to the author"


def test_a_staff_only_note_is_never_shown_nor_sent_to_the_organisation(
    client, site, project, staff, private_dir, django_capture_on_commit_callbacks
):
    colleague = UserFactory(roles=["site_staff"], preferred_language="de")
    site.staff.add(colleague)
    client.force_login(colleague)

    _comment(
        client,
        project,
        {
            "body": "Their budget is tight: quote the cheaper acrylic.",
            "internal": "on",
            "attachments": [upload("costs.csv", b"item,price")],
        },
        django_capture_on_commit_callbacks,
    )

    note = Comment.objects.get()
    assert note.internal
    file = note.attachments.get()
    [to_lead] = mail.outbox
    assert to_lead.to == [staff.email]
    assert "budget is tight" in to_lead.body

    client.force_login(project.requested_by)
    html = _page(client, project).content.decode()
    assert "budget is tight" not in html and "costs.csv" not in html
    files = reverse("projects:attachment", args=[project.pk, file.pk])
    assert client.get(files).status_code == 404

    client.force_login(staff)
    assert "budget is tight" in _page(client, project).content.decode()
    assert client.get(files).status_code == 200


def test_only_staff_write_staff_only_notes(client, project):
    client.force_login(project.requested_by)
    form = _page(client, project).content.decode()
    assert 'name="internal"' not in form

    with pytest.raises(Exception) as refused, translation.override("en"):
        project_comment(project=project, by=project.requested_by, body="psst", internal=True)
    assert "Only staff" in str(refused.value)
    assert not Comment.objects.exists()


def test_a_member_who_does_not_manage_the_organisation_reads_but_does_not_write(client, project):
    reader = UserFactory()
    OrganisationPerson.objects.create(
        organisation=project.organisation, user=reader, role=OrganisationPerson.Role.MEMBER
    )
    client.force_login(reader)

    page = _page(client, project)
    response = client.post(reverse("projects:comment", args=[project.pk]), {"body": "Hello"})

    assert page.status_code == 200 and 'data-testid="comment-form"' not in page.content.decode()
    assert response.status_code == 403
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        # The requester reads French.
        ("macro.docm", b"PK", "ce type de fichier n"),
        ("scan.png", b"x" * 2001, "est trop volumineux"),
    ],
)
def test_a_bad_file_keeps_the_whole_message_out(
    client, project, settings, private_dir, name, content, message
):
    settings.PROJECTS_ATTACHMENT_MAX_BYTES = 2000
    client.force_login(project.requested_by)
    mail.outbox.clear()

    response = client.post(
        reverse("projects:comment", args=[project.pk]),
        {"body": "Two files", "attachments": [upload("fine.pdf"), upload(name, content)]},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and name in page
    assert not Comment.objects.exists() and not Attachment.objects.exists()
    assert stored_files(private_dir) == []
    assert mail.outbox == []


def test_a_confidential_project_is_a_404_for_a_stranger_page_and_files(
    client, site, staff, private_dir
):
    project = project_make(title="Secret drone frame", confidential=True)
    project_comment(project=project, by=project.requested_by, body="Frame v1", files=[upload()])
    file = Attachment.objects.get()
    client.force_login(UserFactory())

    page = _page(client, project)
    download = client.get(reverse("projects:attachment", args=[project.pk, file.pk]))
    comment = client.post(reverse("projects:comment", args=[project.pk]), {"body": "hi"})

    assert (page.status_code, download.status_code, comment.status_code) == (404, 404, 404)
    assert "Secret drone frame" not in page.content.decode()


def test_a_file_is_only_served_under_its_own_project(client, site, staff, private_dir):
    mine = project_make(title="Mine")
    other = project_make(title="Other")
    project_comment(project=other, by=other.requested_by, body="file", files=[upload()])
    file = Attachment.objects.get()
    client.force_login(mine.requested_by)

    response = client.get(reverse("projects:attachment", args=[mine.pk, file.pk]))

    assert response.status_code == 404


def test_the_timeline_merges_status_changes_messages_and_files_in_order(site, staff):
    project = project_make(site=site, lead=staff)
    start = timezone.now() - timedelta(days=3)
    StatusChange.objects.create(
        project=project, from_status="", to_status="requested", changed_by=project.requested_by,
        changed_at=start,
    )  # fmt: skip
    first = project_comment(project=project, by=staff, body="Which thickness?")
    second = project_comment(project=project, by=project.requested_by, body="5 mm")
    Comment.objects.filter(pk=first.pk).update(created_at=start + timedelta(hours=1))
    Comment.objects.filter(pk=second.pk).update(created_at=start + timedelta(hours=2))
    StatusChange.objects.create(
        project=project, from_status="requested", to_status="quoted", changed_by=staff,
        changed_at=start + timedelta(hours=3),
    )  # fmt: skip

    entries = project_timeline(project=project, user=project.requested_by)

    assert [
        (e.kind, e.comment.body if e.comment else e.status_change.to_status) for e in entries
    ] == [
        ("status", "requested"),
        ("comment", "Which thickness?"),
        ("comment", "5 mm"),
        ("status", "quoted"),
    ]


def test_the_project_page_issues_a_bounded_number_of_queries(
    client, project, staff, private_dir, django_assert_max_num_queries
):
    project_comment(project=project, by=staff, body="First", files=[upload()])
    client.force_login(project.requested_by)
    with django_assert_max_num_queries(40) as few:
        assert _page(client, project).status_code == 200
    baseline = len(few.captured_queries)

    for number in range(20):
        project_comment(
            project=project,
            by=staff if number % 2 else project.requested_by,
            body=f"Message {number}",
            internal=False,
            files=[upload(f"f{number}.pdf")],
        )
    with django_assert_max_num_queries(baseline):
        response = _page(client, project)
    assert "Message 19" in response.content.decode()
