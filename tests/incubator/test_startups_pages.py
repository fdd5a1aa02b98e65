from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from fabreck.incubator import services
from fabreck.incubator.models import Incubation, Mentor, MentorSession, Milestone
from fabreck.incubator.services import MentorSessionData
from tests.factories import UserFactory
from tests.incubator.startups_helpers import competences, mentor_make, startup_make

pytestmark = pytest.mark.django_db


def test_founder_sees_my_startup_with_overdue_milestones_and_suggested_mentors(client, manager):
    incubation = startup_make(manager=manager)
    founder = incubation.application.applicant
    milestone = incubation.milestones.first()
    Milestone.objects.filter(pk=milestone.pk).update(
        due_on=timezone.localdate() - timedelta(days=3)
    )
    a, b = competences(2)
    incubation.needed_competences.set([a, b])
    mentor = mentor_make(competence_list=[a], first_name="Mara", last_name="Mentor")
    client.force_login(founder)
    page = client.get(reverse("incubator:my-startup"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Pixel Loom" in html and 'data-phase="idea_validation"' in html
    assert 'data-testid="overdue"' in html
    assert f'data-mentor="{mentor.pk}"' in html and a.label in html
    # The menu offers "My startup" to the founder.
    assert reverse("incubator:my-startup") in html


def test_other_startups_are_404_and_the_managers_lists_403_to_founders_and_strangers(
    client, manager
):
    mine = startup_make(manager=manager)
    other = startup_make(manager=manager, name="Other Co", call=mine.application.call)
    client.force_login(mine.application.applicant)
    assert client.get(reverse("incubator:startup", args=[other.pk])).status_code == 404
    assert client.get(reverse("incubator:startup", args=[mine.pk])).status_code == 200
    milestone = other.milestones.first()
    url = reverse("incubator:startup-milestone-evidence", args=[milestone.pk])
    assert client.post(url, {"evidence": "mine now"}).status_code == 404
    assert Milestone.objects.get(pk=milestone.pk).done_on is None
    client.force_login(UserFactory())
    assert client.get(reverse("incubator:startup", args=[mine.pk])).status_code == 404
    assert client.get(reverse("incubator:startups")).status_code == 403
    assert client.get(reverse("incubator:mentors")).status_code == 403


def test_founder_submits_evidence_with_a_file_downloaded_through_the_checking_view(client, manager):
    incubation = startup_make(manager=manager)
    founder = incubation.application.applicant
    milestone = incubation.milestones.first()
    client.force_login(founder)
    url = reverse("incubator:startup-milestone-evidence", args=[milestone.pk])
    refused = client.post(url, {"evidence": ""})
    assert refused.status_code == 400 and "Describe the evidence" in refused.content.decode()
    bad = client.post(url, {"evidence_file": SimpleUploadedFile("x.exe", b"MZ")})
    assert bad.status_code == 400 and "not accepted" in bad.content.decode()
    assert Milestone.objects.get(pk=milestone.pk).done_on is None
    done = client.post(
        url,
        {"evidence": "20 interviews", "evidence_file": SimpleUploadedFile("notes.pdf", b"%PDF")},
    )
    assert done.status_code == 302
    milestone.refresh_from_db()
    assert milestone.done_on and milestone.evidence == "20 interviews"
    download = client.get(reverse("incubator:startup-milestone-file", args=[milestone.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF"
    client.force_login(UserFactory())
    stranger = client.get(reverse("incubator:startup-milestone-file", args=[milestone.pk]))
    assert stranger.status_code == 404


def test_manager_moves_the_phase_and_a_startup_leaves_with_a_note(client, manager):
    incubation = startup_make(manager=manager)
    client.force_login(manager)
    url = reverse("incubator:startup-phase", args=[incubation.pk])
    today = timezone.localdate().isoformat()
    assert client.post(url, {"to_phase": "realisation", "on": today}).status_code == 302
    refused = client.post(url, {"to_phase": "left", "on": today, "note": ""})
    assert "Say why and how" in refused.content.decode()
    assert Incubation.objects.get(pk=incubation.pk).phase == "realisation"
    assert (
        client.post(url, {"to_phase": "left", "on": today, "note": "Moved abroad"}).status_code
        == 302
    )
    incubation.refresh_from_db()
    assert incubation.phase == "left" and not incubation.organisation.incubated
    page = client.get(reverse("incubator:startup", args=[incubation.pk])).content.decode()
    assert "Moved abroad" in page and 'data-testid="phase-form"' not in page


def test_manager_sets_hosting_milestones_checklist_and_competences(client, manager):
    from tests.fablab.helpers import site_make

    incubation = startup_make(manager=manager)
    site = site_make()
    client.force_login(manager)
    hosting = reverse("incubator:startup-hosting", args=[incubation.pk])
    refused = client.post(hosting, {"hosting": "office", "site": site.pk, "monthly_fee": "-5"})
    assert "cannot be negative" in refused.content.decode()
    client.post(hosting, {"hosting": "office", "site": site.pk, "monthly_fee": "300"})
    incubation.refresh_from_db()
    assert incubation.hosting == "office" and incubation.hosting_site == site
    new = reverse("incubator:startup-milestone-new", args=[incubation.pk])
    due = (timezone.localdate() + timedelta(days=60)).isoformat()
    client.post(new, {"phase": "realisation", "title": "Tooling ready", "due_on": due})
    assert incubation.milestones.filter(title="Tooling ready").exists()
    add = reverse("incubator:startup-checklist-add", args=[incubation.pk])
    client.post(add, {"phase": "market", "label": "Trade fair booked"})
    assert incubation.checklist.filter(label="Trade fair booked").exists()
    chosen = competences(2)
    client.post(
        reverse("incubator:startup-competences", args=[incubation.pk]),
        {"competences": [c.pk for c in chosen]},
    )
    assert set(incubation.needed_competences.all()) == set(chosen)


def test_founder_ticks_the_checklist(client, manager):
    incubation = startup_make(manager=manager)
    item = incubation.checklist.first()
    client.force_login(incubation.application.applicant)
    client.post(reverse("incubator:startup-checklist-check", args=[item.pk]), {"done": "1"})
    item.refresh_from_db()
    assert item.done_at is not None


def test_mentor_logs_a_session_the_founder_reads_it(client, manager):
    incubation = startup_make(manager=manager)
    mentor = mentor_make(competence_list=competences(1))
    client.force_login(mentor.user)
    url = reverse("incubator:startup-session-new", args=[incubation.pk])
    # A mentor follows the startups that need their competences, not the others.
    assert client.get(reverse("incubator:startup", args=[incubation.pk])).status_code == 404
    incubation.needed_competences.set(mentor.competences.all())
    today = timezone.localdate().isoformat()
    refused = client.post(url, {"held_on": today, "hours": "30", "topics": "Pricing"})
    assert "at most 24 hours" in refused.content.decode()
    assert not MentorSession.objects.exists()
    client.post(
        url, {"held_on": today, "hours": "2", "topics": "Pricing", "next_steps": "Test prices"}
    )
    assert MentorSession.objects.get().mentor == mentor
    client.force_login(incubation.application.applicant)
    page = client.get(reverse("incubator:my-startup")).content.decode()
    assert "Pricing" in page and "Test prices" in page
    # A founder is no mentor: no logging.
    assert client.get(url).status_code == 404


def test_manager_adds_and_deactivates_a_mentor(client, manager):
    person = UserFactory(email="mentor@example.lu")
    chosen = competences(2)
    client.force_login(manager)
    url = reverse("incubator:mentors")
    unknown = client.post(url, {"email": "nobody@example.lu", "competences": [chosen[0].pk]})
    assert "No account has this e-mail" in unknown.content.decode()
    client.post(
        url,
        {
            "email": person.email,
            "bio": "Sales",
            "competences": [c.pk for c in chosen],
            "active": "on",
        },
    )
    mentor = Mentor.objects.get(user=person)
    assert mentor.active and mentor.competences.count() == 2
    again = client.post(url, {"email": person.email, "competences": [chosen[0].pk]})
    assert "already in the mentor pool" in again.content.decode()
    client.post(
        reverse("incubator:mentor-edit", args=[mentor.pk]),
        {"bio": "Sales", "competences": [chosen[0].pk]},
    )
    mentor.refresh_from_db()
    assert not mentor.active and mentor.competences.count() == 1


def test_pages_issue_a_bounded_number_of_queries(client, manager, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(url) -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        return len(context)

    def grow(incubation, n: int) -> None:
        chosen = competences(3)
        incubation.needed_competences.set(chosen)
        for k in range(n):
            mentor = mentor_make(competence_list=chosen[: 1 + k % 3])
            services.mentor_session_log(
                incubation=incubation,
                by=mentor.user,
                data=MentorSessionData(held_on=timezone.localdate(), hours=1, topics=f"T{k}"),
            )
            services.checklist_item_add(
                incubation=incubation, by=manager, phase="market", label=f"Item {k}"
            )

    first = startup_make(manager=manager)
    call = first.application.call
    client.force_login(manager)
    urls = [
        reverse("incubator:startups"),
        reverse("incubator:startup", args=[first.pk]),
        reverse("incubator:mentors"),
    ]
    grow(first, 1)
    for url in urls:
        count(url)  # warms the caches
    few = [count(url) for url in urls]
    for n in range(5):
        startup_make(manager=manager, name=f"Startup {n}", call=call)
    grow(first, 6)
    many = [count(url) for url in urls]
    assert many == few, (few, many)
    assert max(many) <= 20
    client.force_login(first.application.applicant)
    with django_assert_max_num_queries(20):
        assert client.get(reverse("incubator:my-startup")).status_code == 200


def test_manager_adds_the_defaults_to_a_startup_without_a_plan(client, manager):
    from fabreck.incubator.services import incubation_start
    from tests.incubator.helpers import application_make, call_make

    application = application_make(call=call_make(by=manager), status="accepted")
    incubation = incubation_start(application=application, by=manager)
    # An incubation starts with the default plan; one whose plan was cleared gets it back.
    assert incubation.milestones.count() == 6 and incubation.checklist.count() == 9
    incubation.milestones.all().delete()
    incubation.checklist.all().delete()
    client.force_login(manager)
    page = client.get(reverse("incubator:startup", args=[incubation.pk])).content.decode()
    assert 'data-testid="defaults-form"' in page
    client.post(reverse("incubator:startup-defaults", args=[incubation.pk]))
    assert incubation.milestones.count() == 6 and incubation.checklist.count() == 9
    page = client.get(reverse("incubator:startup", args=[incubation.pk])).content.decode()
    assert 'data-testid="defaults-form"' not in page
    client.force_login(application.applicant)
    assert (
        client.post(reverse("incubator:startup-defaults", args=[incubation.pk])).status_code == 404
    )


def test_a_mentor_finds_the_startups_needing_them_first(client, manager):
    first = startup_make(manager=manager, name="Alpha")
    second = startup_make(manager=manager, name="Beta", call=first.application.call)
    third = startup_make(manager=manager, name="Gamma", call=first.application.call)
    a, b, c = competences(3)
    first.needed_competences.set([b])
    second.needed_competences.set([a, b])
    third.needed_competences.set([c])
    mentor = mentor_make(competence_list=[a, b])
    client.force_login(mentor.user)
    page = client.get(reverse("incubator:mentoring"))
    # Gamma needs nothing this mentor brings: not theirs to follow.
    assert [row.pk for row in page.context["rows"]] == [second.pk, first.pk]
    assert reverse("incubator:mentoring") in page.content.decode()  # in the menu
    services.incubation_phase_move(incubation=first, to_phase="left", by=manager, note="x")
    page = client.get(reverse("incubator:mentoring"))
    assert [row.pk for row in page.context["rows"]] == [second.pk]
    client.force_login(first.application.applicant)
    assert client.get(reverse("incubator:mentoring")).status_code == 404
    Mentor.objects.filter(pk=mentor.pk).update(active=False)
    client.force_login(mentor.user)
    assert client.get(reverse("incubator:mentoring")).status_code == 404
