"""A project moves only along the allowed paths, by the people allowed to move it; each
move is recorded and told to the project's people in their language."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from fabreck.projects.models import Project, StatusChange
from fabreck.projects.services import project_transition
from tests.factories import UserFactory
from tests.projects.helpers import project_make

pytestmark = pytest.mark.django_db


def test_staff_decline_with_reason_is_recorded_and_the_requester_told_in_french(
    site, staff, django_capture_on_commit_callbacks
):
    requester = UserFactory(preferred_language="fr")
    project = project_make(requested_by=requester)

    with django_capture_on_commit_callbacks(execute=True):
        project_transition(
            project=project, to="declined", by=staff, note="Production en série : hors charte."
        )

    project.refresh_from_db()
    assert project.status == "declined"
    assert project.decline_reason == "Production en série : hors charte."
    change = StatusChange.objects.get(project=project)
    assert (change.from_status, change.to_status, change.changed_by) == (
        "requested",
        "declined",
        staff,
    )
    [message] = [m for m in mail.outbox if requester.email in m.to]
    assert message.body.startswith("Bonjour")
    assert "hors charte" in message.body


def test_a_decline_without_reason_changes_nothing(site, staff):
    project = project_make()
    with pytest.raises(ValidationError):
        project_transition(project=project, to="declined", by=staff, note="  ")
    project.refresh_from_db()
    assert project.status == "requested"
    assert not StatusChange.objects.exists()


def test_delivering_before_acceptance_is_refused(site, staff):
    project = project_make(status="quoted", site=site, lead=staff)
    with pytest.raises(ValidationError) as refused:
        project_transition(project=project, to="delivered", by=staff)
    assert "cannot become delivered" in str(refused.value)
    assert Project.objects.get(pk=project.pk).status == "quoted"


def test_the_requester_may_not_deliver_nor_a_stranger_cancel(site, staff):
    project = project_make(status="in_progress", site=site, lead=staff)
    with pytest.raises(PermissionDenied):
        project_transition(project=project, to="delivered", by=project.requested_by)
    project_requested = project_make(title="Other")
    with pytest.raises(PermissionDenied):
        project_transition(project=project_requested, to="cancelled", by=UserFactory())
    assert Project.objects.get(pk=project.pk).status == "in_progress"
    assert Project.objects.get(pk=project_requested.pk).status == "requested"


def test_the_requester_may_withdraw_a_request_but_not_a_project_under_way(site, staff):
    waiting = project_make()
    project_transition(project=waiting, to="cancelled", by=waiting.requested_by, note="No budget")
    assert Project.objects.get(pk=waiting.pk).cancel_reason == "No budget"

    running = project_make(status="in_progress", site=site, lead=staff, title="Running")
    with pytest.raises(PermissionDenied):
        project_transition(project=running, to="cancelled", by=running.requested_by)


def test_delivery_stamps_the_time_and_closing_follows(site, staff):
    project = project_make(status="in_progress", site=site, lead=staff)
    project_transition(project=project, to="delivered", by=staff)
    project.refresh_from_db()
    assert project.delivered_at is not None
    project_transition(project=project, to="closed", by=staff)
    assert list(
        StatusChange.objects.filter(project=project).values_list("to_status", flat=True)
    ) == ["delivered", "closed"]


def test_quoting_needs_a_site_and_a_lead(staff):
    project = project_make()
    with pytest.raises(ValidationError) as refused:
        project_transition(project=project, to="quoted", by=staff)
    assert "site and the staff lead" in str(refused.value)


def test_the_status_e_mail_is_plain_text_not_html_escaped(
    site, staff, django_capture_on_commit_callbacks
):
    project = project_make(title='Stand "Bâtiment & Co"')
    with django_capture_on_commit_callbacks(execute=True):
        project_transition(project=project, to="declined", by=staff, note="Series <production>")
    [message] = [m for m in mail.outbox if project.requested_by.email in m.to]
    assert '"Stand "Bâtiment & Co""' in message.body
    assert "Series <production>" in message.body
