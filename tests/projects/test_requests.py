"""An organisation (or a maker) asks for a prototype: the request, its files in private
storage, the e-mails, "My projects" and the staff queue. Bad input changes nothing."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from fabreck.cluster.models import OrganisationPerson
from fabreck.projects.models import Attachment, Project, StatusChange
from fabreck.projects.services import ProjectRequestData, project_request
from tests.fablab.helpers import site_make
from tests.factories import UserFactory, organisation_make
from tests.projects.helpers import project_make
from tests.projects.requests_fixtures import private_dir_make, stored_files, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def private_dir(tmp_path, monkeypatch):
    return private_dir_make(tmp_path, monkeypatch)


def _form(organisation=None, **changes) -> dict:
    data = {
        "title": "Acrylic display stand",
        "goal": "Show our jewellery in the shop window",
        "description": "Laser-cut acrylic, 40 x 30 cm, three shelves.",
        "machine_categories": ["laser-cutter"],
        "competences": [],
        "materials": "Clear acrylic 5 mm",
        "quantity": "3",
        "deadline": (timezone.localdate() + timedelta(days=30)).isoformat(),
        "budget_range": "1k_5k",
        "confidential": "on",
    }
    if organisation is not None:
        data["organisation"] = organisation.slug
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_an_sme_asks_for_a_prototype_with_files_and_everyone_hears_in_their_language(
    client, site, staff, private_dir, django_capture_on_commit_callbacks
):
    owner = UserFactory(preferred_language="fr", first_name="Claire")
    sme = organisation_make(owner=owner, name="Bijoux Lux", kind="company", size_band="10-49")
    staff_de = UserFactory(roles=["site_staff"], preferred_language="de")
    site_make(slug="industrial", name="FabLab Industrie", staff=[staff_de])
    client.force_login(owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("projects:request"),
            {
                **_form(sme, competences=["carpentry"]),
                "attachments": [upload("stand.pdf"), upload("stand.STL", b"solid stand")],
            },
        )

    project = Project.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:detail", args=[project.pk])
    assert (project.organisation, project.requester_kind, project.status) == (
        sme,
        "sme",
        "requested",
    )
    assert project.confidential and project.quantity == 3
    assert [c.slug for c in project.machine_categories.all()] == ["laser-cutter"]
    assert [c.slug for c in project.competences.all()] == ["carpentry"]
    change = StatusChange.objects.get(project=project)
    assert (change.from_status, change.to_status, change.changed_by) == ("", "requested", owner)
    assert sorted(Attachment.objects.values_list("name", flat=True)) == ["stand.STL", "stand.pdf"]
    assert len(stored_files(private_dir)) == 2
    # Stored out of the public media, under a name that does not reveal the original.
    assert all("stand" not in path.name for path in stored_files(private_dir))

    [confirmation] = [m for m in mail.outbox if m.to == [owner.email]]
    assert confirmation.body.startswith("Bonjour Claire")
    assert project.reference in confirmation.subject
    [notice_en] = [m for m in mail.outbox if m.to == [staff.email]]
    [notice_de] = [m for m in mail.outbox if m.to == [staff_de.email]]
    assert notice_en.body.startswith("Hello")
    assert notice_de.body.startswith("Guten Tag")
    assert "Bijoux Lux" in notice_de.body

    page = client.get(response["Location"])
    assert "stand.pdf" in page.content.decode()


@pytest.mark.parametrize(
    ("kind", "size_band", "expected"),
    [
        ("nonprofit", "2-9", "nonprofit"),
        ("large_group", "250+", "large_group"),
        ("company", "250+", "large_group"),
        ("startup", "2-9", "startup"),
        ("school", "50-249", "public"),
        ("research_body", "10-49", "public"),
        ("company", "10-49", "sme"),
        ("freelancer", "1", "sme"),
    ],
)
def test_the_kind_of_requester_is_kept_as_it_was_at_request_time(kind, size_band, expected):
    owner = UserFactory()
    organisation = organisation_make(owner=owner, kind=kind, size_band=size_band)
    project = project_request(
        by=owner,
        organisation=organisation,
        data=ProjectRequestData(title="Stand", goal="Goal", description="Description"),
    )
    assert project.requester_kind == expected

    organisation.kind = "large_group"
    organisation.save()
    project.refresh_from_db()
    assert project.requester_kind == expected


def test_a_maker_asks_as_an_individual(client, site, private_dir):
    maker = UserFactory()
    client.force_login(maker)
    form_page = client.get(reverse("projects:request"))
    assert 'name="organisation"' not in form_page.content.decode()

    response = client.post(reverse("projects:request"), _form())

    project = Project.objects.get()
    assert response.status_code == 302
    assert (project.organisation, project.requester_kind, project.requested_by) == (
        None,
        "individual",
        maker,
    )


def test_an_owner_may_still_ask_as_an_individual_maker(client, site):
    owner = UserFactory()
    organisation_make(owner=owner)
    client.force_login(owner)
    assert 'name="organisation"' in client.get(reverse("projects:request")).content.decode()

    client.post(reverse("projects:request"), _form(organisation=None))

    assert Project.objects.get().requester_kind == "individual"


def test_the_request_page_needs_a_login(client):
    response = client.get(reverse("projects:request"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("forbidden_type", "“setup.exe”: files of this type are not accepted"),
        ("too_big", "“huge.pdf” is too large"),
        ("deadline_past", "The deadline cannot be in the past."),
        ("quantity_zero", "Ensure this value is greater than or equal to 1."),
        ("not_my_organisation", "Select a valid choice."),
        ("only_a_member", "Select a valid choice."),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_stored(
    client, site, settings, private_dir, case, message, django_capture_on_commit_callbacks
):
    settings.PROJECTS_ATTACHMENT_MAX_BYTES = 1000
    owner = UserFactory()
    mine = organisation_make(owner=owner, name="Mine")
    other = organisation_make(name="Someone else's")
    member_of = organisation_make(name="Where I am a member")
    OrganisationPerson.objects.create(
        organisation=member_of, user=owner, role=OrganisationPerson.Role.MEMBER
    )
    data = _form(mine)
    files = [upload("good.pdf")]
    if case == "forbidden_type":
        files.append(upload("setup.exe", b"MZ"))
    elif case == "too_big":
        files.append(upload("huge.pdf", b"x" * 1001))
    elif case == "deadline_past":
        data["deadline"] = (timezone.localdate() - timedelta(days=1)).isoformat()
    elif case == "quantity_zero":
        data["quantity"] = "0"
    elif case == "not_my_organisation":
        data["organisation"] = other.slug
    elif case == "only_a_member":
        data["organisation"] = member_of.slug
    client.force_login(owner)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("projects:request"), {**data, "attachments": files})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Project.objects.exists()
    assert not Attachment.objects.exists()
    assert not StatusChange.objects.exists()
    assert stored_files(private_dir) == []
    assert mail.outbox == []


def test_the_service_refuses_an_organisation_the_user_does_not_manage(site):
    owner = UserFactory()
    other = organisation_make(name="Other")
    with pytest.raises(Exception) as refused:
        project_request(
            by=owner,
            organisation=other,
            data=ProjectRequestData(title="Stand", goal="Goal", description="Description"),
        )
    assert "organisation you manage" in str(refused.value)
    assert not Project.objects.exists()


def test_files_already_written_are_removed_when_the_request_fails_later(
    site, private_dir, monkeypatch
):
    owner = UserFactory()

    def broken_mail(**kwargs):
        raise RuntimeError("mail server on fire")

    monkeypatch.setattr("fabreck.projects.mail.project_request_mail", broken_mail)
    with pytest.raises(RuntimeError):
        project_request(
            by=owner,
            organisation=None,
            data=ProjectRequestData(title="Stand", goal="Goal", description="Description"),
            files=[upload("a.pdf"), upload("b.png", b"\x89PNG")],
        )
    assert not Project.objects.exists()
    assert stored_files(private_dir) == []


def test_my_projects_lists_mine_and_my_organisations_but_no_one_elses(client, site):
    owner = UserFactory()
    organisation = organisation_make(owner=owner, name="Atelier")
    colleague = UserFactory()
    OrganisationPerson.objects.create(
        organisation=organisation, user=colleague, role=OrganisationPerson.Role.MEMBER
    )
    ours = project_make(requested_by=owner, organisation=organisation, title="Ours")
    project_make(title="Theirs")
    solo = project_make(requested_by=colleague, requester_kind="individual", title="Solo")

    client.force_login(colleague)
    html = client.get(reverse("projects:mine")).content.decode()

    assert "Ours" in html and ours.reference in html
    assert "Solo" in html and solo.reference in html
    assert "Theirs" not in html


def _queue(client, **params):
    return client.get(reverse("projects:staff"), params)


def test_the_staff_queue_shows_its_sites_and_untriaged_requests_with_filters(client, site, staff):
    other_staff = UserFactory(roles=["site_staff"])
    other_site = site_make(slug="elsewhere", name="Elsewhere", staff=[other_staff])
    waiting = project_make(title="Waiting for triage")
    ours = project_make(title="Our laser job", status="quoted", site=site, lead=staff)
    theirs = project_make(
        title="Their milling job", status="quoted", site=other_site, lead=other_staff
    )
    client.force_login(staff)

    def shown(**params) -> set[int]:
        response = _queue(client, **params)
        assert response.status_code == 200
        return {p.pk for p in response.context["page"].object_list}

    assert shown() == {waiting.pk, ours.pk}
    assert theirs.pk not in shown(site=other_site.slug)
    assert shown(status="requested") == {waiting.pk}
    assert shown(site="none") == {waiting.pk}
    assert shown(mine="on") == {ours.pk}
    assert shown(q="laser") == {ours.pk}
    assert shown(q=ours.reference) == {ours.pk}
    assert shown(q="nothing like it") == set()


def test_the_staff_queue_is_for_staff_only(client):
    client.force_login(UserFactory())
    assert _queue(client).status_code == 403


def test_the_staff_queue_issues_a_bounded_number_of_queries(
    client, site, staff, django_assert_max_num_queries
):
    for number in range(3):
        project_make(title=f"Project {number}", status="quoted", site=site, lead=staff)
    client.force_login(staff)
    with django_assert_max_num_queries(14) as few:
        assert _queue(client).status_code == 200
    baseline = len(few.captured_queries)

    for number in range(40):
        project_make(title=f"More {number}", status="quoted", site=site, lead=staff)
    with django_assert_max_num_queries(baseline):
        response = _queue(client)
    assert len(response.context["page"].object_list) == 25


def test_every_projects_model_is_in_the_admin_and_a_project_opens_with_its_history(
    client, site, staff, private_dir
):
    from django.apps import apps
    from django.contrib import admin

    models = apps.get_app_config("projects").get_models()
    assert [m.__name__ for m in models if m not in admin.site._registry] == []

    owner = UserFactory()
    project = project_request(
        by=owner,
        organisation=organisation_make(owner=owner),
        data=ProjectRequestData(title="Stand", goal="Goal", description="Description"),
        files=[upload("plan.pdf")],
    )
    client.force_login(UserFactory(roles=["administrator"], is_superuser=True))

    page = client.get(reverse("admin:projects_project_change", args=[project.pk]))

    html = page.content.decode()
    assert page.status_code == 200
    assert project.reference in html and "plan.pdf" in html
    assert 'name="status"' not in html, "the status moves only through the status machine"


@pytest.mark.parametrize("language", ["en", "fr", "de"])
def test_every_screen_opens_in_each_language(client, site, staff, language):
    staff.preferred_language = language
    staff.save()
    project = project_make(status="in_progress", site=site, lead=staff)
    client.force_login(staff)

    for url in [
        reverse("projects:request"),
        reverse("projects:mine"),
        reverse("projects:staff"),
        reverse("projects:detail", args=[project.pk]),
        reverse("projects:triage", args=[project.pk]),
        reverse("projects:move-cancel", args=[project.pk]),
        reverse("projects:move-deliver", args=[project.pk]),
        reverse("projects:comment", args=[project.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert f'<html lang="{language}">' in response.content.decode(), url
