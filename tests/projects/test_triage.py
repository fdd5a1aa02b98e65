"""Staff triage a request (site and staff lead), decline it (series production is outside
the FabLab's charter), and cancel, deliver or close projects; the page offers only the
moves the viewer may make."""

import pytest
from django.core import mail
from django.urls import reverse

from fabreck.cluster.models import OrganisationPerson
from fabreck.projects.models import Comment, Project, StatusChange
from fabreck.projects.services import project_triage
from tests.fablab.helpers import site_make
from tests.factories import UserFactory
from tests.projects.helpers import project_make

pytestmark = pytest.mark.django_db


def _post(client, project, action, data, capture):
    with capture(execute=True):
        return client.post(reverse(f"projects:{action}", args=[project.pk]), data)


def test_staff_choose_the_site_and_lead_and_the_requester_hears_in_german(
    client, site, staff, django_capture_on_commit_callbacks
):
    requester = UserFactory(preferred_language="de")
    project = project_make(requested_by=requester)
    colleague = UserFactory(roles=["site_staff"], first_name="Lea", last_name="Weber")
    site.staff.add(colleague)
    client.force_login(staff)

    response = _post(
        client,
        project,
        "triage",
        {"site": site.slug, "lead": colleague.pk, "note": "Small job for the laser."},
        django_capture_on_commit_callbacks,
    )

    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.site, project.lead, project.status) == (site, colleague, "requested")
    entry = Comment.objects.get(project=project)
    assert "Lea Weber" in entry.body and not entry.internal
    [to_requester] = [m for m in mail.outbox if m.to == [requester.email]]
    assert to_requester.body.startswith("Guten Tag")
    assert "Lea Weber" in to_requester.body
    assert [m for m in mail.outbox if m.to == [colleague.email]], "the new lead is told too"
    assert "Lea Weber" in client.get(reverse("projects:detail", args=[project.pk])).content.decode()


def test_a_lead_who_is_not_staff_of_the_site_is_refused_and_nothing_changes(
    client, site, staff, django_capture_on_commit_callbacks
):
    elsewhere_staff = UserFactory(roles=["site_staff"])
    site_make(slug="industrial", name="Industrial", staff=[elsewhere_staff])
    project = project_make()
    client.force_login(staff)
    mail.outbox.clear()

    response = _post(
        client,
        project,
        "triage",
        {"site": site.slug, "lead": elsewhere_staff.pk},
        django_capture_on_commit_callbacks,
    )

    assert response.status_code == 400
    assert "must be a staff member of FabLab Test" in response.content.decode()
    project.refresh_from_db()
    assert project.site is None and project.lead is None
    assert not Comment.objects.exists()
    assert mail.outbox == []


def test_triage_is_for_staff_and_only_while_the_request_waits(site, staff, client):
    project = project_make()
    client.force_login(project.requested_by)
    assert client.get(reverse("projects:triage", args=[project.pk])).status_code == 403
    client.force_login(UserFactory())
    assert client.get(reverse("projects:triage", args=[project.pk])).status_code == 404

    running = project_make(title="Running", status="in_progress", site=site, lead=staff)
    with pytest.raises(Exception) as refused:
        project_triage(project=running, by=staff, site=site, lead=staff)
    assert "can no longer change its site or its lead" in str(refused.value)


def test_series_production_is_declined_with_the_prefilled_reason(
    client, site, staff, django_capture_on_commit_callbacks
):
    requester = UserFactory(preferred_language="fr")
    project = project_make(requested_by=requester, quantity=5000)
    client.force_login(staff)
    form = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert "Series production is outside the FabLab&#x27;s charter" in form

    response = _post(
        client,
        project,
        "move-decline",
        {"reason_choice": "series", "reason": "5,000 pieces: ask an injection moulder."},
        django_capture_on_commit_callbacks,
    )

    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == "declined"
    # Written in the requester's language, whoever declines.
    assert project.decline_reason.startswith("La production en série")
    assert "injection moulder" in project.decline_reason
    [message] = [m for m in mail.outbox if m.to == [requester.email]]
    assert message.body.startswith("Bonjour")
    assert "injection moulder" in message.body


def test_another_reason_must_be_written_and_nothing_changes_without_it(client, site, staff):
    project = project_make()
    client.force_login(staff)

    response = client.post(
        reverse("projects:move-decline", args=[project.pk]), {"reason_choice": "other"}
    )

    assert response.status_code == 400
    assert "Say why the request is declined" in response.content.decode()
    assert Project.objects.get(pk=project.pk).status == "requested"
    assert not StatusChange.objects.exists()


def test_the_requester_withdraws_a_waiting_request_with_a_reason(client, site):
    project = project_make()
    client.force_login(project.requested_by)

    assert client.post(reverse("projects:move-cancel", args=[project.pk]), {}).status_code == 400
    response = client.post(
        reverse("projects:move-cancel", args=[project.pk]), {"reason": "No budget this year"}
    )

    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.status, project.cancel_reason) == ("cancelled", "No budget this year")


def test_the_requester_may_not_cancel_a_project_under_way(client, site, staff):
    project = project_make(status="in_progress", site=site, lead=staff)
    client.force_login(project.requested_by)

    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    response = client.post(reverse("projects:move-cancel", args=[project.pk]), {"reason": "x"})

    assert 'data-testid="cancel"' not in page
    assert response.status_code == 403
    assert Project.objects.get(pk=project.pk).status == "in_progress"


def test_staff_mark_delivered_then_close(client, site, staff):
    project = project_make(status="in_progress", site=site, lead=staff)
    client.force_login(staff)
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert 'data-testid="deliver"' in page and 'data-testid="close"' not in page

    client.post(reverse("projects:move-deliver", args=[project.pk]), {"note": "Picked up"})
    project.refresh_from_db()
    assert project.status == "delivered" and project.delivered_at is not None
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert 'data-testid="close"' in page and 'data-testid="deliver"' not in page

    client.post(reverse("projects:move-close", args=[project.pk]), {})
    assert Project.objects.get(pk=project.pk).status == "closed"
    assert list(
        StatusChange.objects.filter(project=project).values_list("to_status", flat=True)
    ) == ["delivered", "closed"]


def test_delivering_a_quoted_project_is_refused_with_a_message(client, site, staff):
    project = project_make(status="quoted", site=site, lead=staff)
    client.force_login(staff)

    response = client.post(reverse("projects:move-deliver", args=[project.pk]), {})

    assert response.status_code == 400
    assert "cannot become delivered" in response.content.decode()
    assert Project.objects.get(pk=project.pk).status == "quoted"


def _actions(client, project) -> set[str]:
    html = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    return {
        name
        for name in ("triage", "decline", "cancel", "deliver", "close")
        if f'data-testid="{name}"' in html
    }


def test_the_page_offers_only_the_moves_the_viewer_may_make(client, site, staff):
    project = project_make()
    reader = UserFactory()
    OrganisationPerson.objects.create(
        organisation=project.organisation, user=reader, role=OrganisationPerson.Role.MEMBER
    )

    client.force_login(staff)
    assert _actions(client, project) == {"triage", "decline", "cancel"}
    client.force_login(project.requested_by)
    assert _actions(client, project) == {"cancel"}
    client.force_login(reader)
    assert _actions(client, project) == set()

    project.status, project.site, project.lead = "accepted", site, staff
    project.save()
    client.force_login(staff)
    assert _actions(client, project) == {"cancel"}
    client.force_login(project.requested_by)
    assert _actions(client, project) == set()

    project.status = "closed"
    project.delivered_at = project.created_at
    project.save()
    client.force_login(staff)
    assert _actions(client, project) == set()
