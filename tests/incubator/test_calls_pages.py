"""The calls lane's pages: public calls, applying, "My applications", the managers' pages."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from fabreck.cluster.models import Sector
from fabreck.incubator.models import Application, IncubatorCall, Review
from tests.factories import UserFactory
from tests.incubator.calls_helpers import pdf, question
from tests.incubator.helpers import application_make, call_make, cohort_make

pytestmark = pytest.mark.django_db


def _form(call, **changes) -> dict:
    data = {
        "startup_name": "Pixel Loom",
        "sector": Sector.objects.get(slug="design").pk,
        "stage": "idea",
        "idea": "Woven textiles that light up.",
        "market": "Interior designers",
        "needs": "Laser cutting",
        f"q_{question(call, 'Full time?').pk}": "Yes",
        "founders-TOTAL_FORMS": "2",
        "founders-INITIAL_FORMS": "0",
        "founders-0-name": "Ana Founder",
        "founders-0-email": "ana@example.lu",
        "founders-0-role": "CEO",
        "founders-1-name": "",
        "founders-1-email": "",
        "founders-1-role": "",
    }
    data.update(changes)
    return data


def test_the_public_list_shows_open_and_upcoming_calls_only(
    client, manager, django_assert_max_num_queries
):
    cohort = cohort_make()
    call_make(by=manager, cohort=cohort, slug="open-now")
    call_make(by=manager, cohort=cohort, slug="soon", opens_in_days=5, closes_in_days=40)
    call_make(by=manager, cohort=cohort, slug="over", opens_in_days=-40, closes_in_days=-1)
    hidden = call_make(by=manager, cohort=cohort, slug="hidden")
    IncubatorCall.objects.filter(pk=hidden.pk).update(published=False)
    for n in range(8):
        call_make(by=manager, cohort=cohort, slug=f"more-{n}", questions=False, criteria=())
    with django_assert_max_num_queries(6):
        response = client.get(reverse("incubator:calls"))
    assert response.status_code == 200
    shown = {card["data-call"] for card in _cards(response)}
    assert {"open-now", "soon"} <= shown
    assert not {"over", "hidden"} & shown
    assert 'data-testid="upcoming-calls"' in response.content.decode()


def _cards(response):
    import re

    return [
        {"data-call": slug}
        for slug in re.findall(
            r'data-testid="call-card" data-call="([^"]+)"', response.content.decode()
        )
    ]


def test_a_calls_page_shows_its_questions_and_an_apply_button_only_when_open(client, manager):
    call = call_make(by=manager)
    response = client.get(reverse("incubator:call", args=[call.slug]))
    page = response.content.decode()
    assert "Full time?" in page and "Founders based in Luxembourg" in page
    assert 'data-testid="apply-button"' in page
    later = call_make(by=manager, cohort=call.cohort, slug="later", opens_in_days=3)
    page = client.get(reverse("incubator:call", args=[later.slug])).content.decode()
    assert 'data-testid="apply-button"' not in page and "Full time?" in page
    IncubatorCall.objects.filter(pk=later.pk).update(published=False)
    assert client.get(reverse("incubator:call", args=[later.slug])).status_code == 404


def test_a_founder_applies_saves_a_draft_then_submits_with_a_pitch_deck(
    client, manager, django_capture_on_commit_callbacks
):
    call = call_make(by=manager)
    founder = UserFactory(email="ana@example.lu", preferred_language="fr")
    client.force_login(founder)
    url = reverse("incubator:call-apply", args=[call.slug])
    assert client.get(url).status_code == 200
    response = client.post(url, _form(call, idea="", save="1"))
    draft = Application.objects.get()
    assert response.status_code == 302 and draft.status == "draft" and draft.idea == ""
    page = client.get(reverse("incubator:application", args=[draft.pk])).content.decode()
    # The founder reads French: what is missing is said in French.
    assert 'data-testid="missing"' in page and "Décrivez l&#x27;idée." in page
    edit = reverse("incubator:application-edit", args=[draft.pk])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(edit, _form(call, pitch_deck=pdf("Pitch Deck.pdf"), submit="1"))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "submitted" and draft.submitted_at is not None
    assert [m.to for m in mail.outbox] == [[founder.email]]
    # The deck is downloaded under its own name, by the team and the managers only.
    deck = reverse("incubator:application-pitch-deck", args=[draft.pk])
    download = client.get(deck)
    assert download.status_code == 200
    # Stored under a random folder, downloaded under the founder's (sanitised) name.
    assert 'filename="Pitch_Deck.pdf"' in download["Content-Disposition"]
    client.force_login(manager)
    assert client.get(deck).status_code == 200
    client.force_login(UserFactory())
    assert client.get(deck).status_code == 404
    # After submission, the edit page sends back to the read-only page.
    client.force_login(founder)
    assert client.get(edit).status_code == 302
    client.post(edit, _form(call, startup_name="Changed", save="1"))
    draft.refresh_from_db()
    assert draft.startup_name == "Pixel Loom"


def test_bad_input_on_the_form_is_shown_and_nothing_is_stored(client, manager, settings):
    settings.INCUBATOR_UPLOAD_MAX_BYTES = 1000
    call = call_make(by=manager)
    client.force_login(UserFactory())
    response = client.post(
        reverse("incubator:call-apply", args=[call.slug]),
        _form(call, pitch_deck=pdf("deck.pdf", size=5000), save="1"),
    )
    assert response.status_code == 400
    assert "is too large" in response.content.decode()
    assert not Application.objects.exists()


def test_submitting_an_incomplete_draft_keeps_the_draft_and_says_what_is_missing(client, manager):
    call = call_make(by=manager)
    client.force_login(UserFactory())
    response = client.post(
        reverse("incubator:call-apply", args=[call.slug]), _form(call, market="", submit="1")
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Describe the market." in page
    assert "Your draft is saved, but it cannot be submitted yet." in page
    draft = Application.objects.get()
    assert draft.status == "draft"
    # The form now posts to the draft's edit page, not to a second application.
    assert f'action="/incubator/applications/{draft.pk}/edit/"' in page


def test_an_application_after_the_deadline_is_refused(client, manager):
    call = call_make(by=manager)
    founder = UserFactory()
    client.force_login(founder)
    client.post(reverse("incubator:call-apply", args=[call.slug]), _form(call, save="1"))
    draft = Application.objects.get()
    IncubatorCall.objects.filter(pk=call.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    response = client.post(reverse("incubator:application-submit", args=[draft.pk]), follow=True)
    assert "no longer accepted" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.submitted_at is None
    # A new applicant cannot even open the form.
    client.force_login(UserFactory())
    response = client.post(reverse("incubator:call-apply", args=[call.slug]), _form(call, save="1"))
    assert response.status_code == 302
    assert Application.objects.count() == 1


def test_a_founder_cannot_read_or_edit_another_teams_application(client, manager):
    call = call_make(by=manager)
    theirs = application_make(call=call, status="draft")
    client.force_login(UserFactory())
    for name in ("incubator:application", "incubator:application-edit"):
        assert client.get(reverse(name, args=[theirs.pk])).status_code == 404
    for name in ("incubator:application-submit", "incubator:application-withdraw"):
        assert client.post(reverse(name, args=[theirs.pk])).status_code == 404
    assert (
        client.post(
            reverse("incubator:application-edit", args=[theirs.pk]), _form(call)
        ).status_code
        == 404
    )
    theirs.refresh_from_db()
    assert theirs.status == "draft" and theirs.startup_name == "Pixel Loom"


def test_a_reviewer_and_a_manager_read_a_submitted_application(client, manager):
    call = call_make(by=manager)
    application = application_make(call=call)
    reviewer = UserFactory()
    Review.objects.create(application=application, reviewer=reviewer, assigned_by=manager)
    for reader in (reviewer, manager):
        client.force_login(reader)
        response = client.get(reverse("incubator:application", args=[application.pk]))
        assert response.status_code == 200
        assert 'data-testid="application-actions"' not in response.content.decode()


def test_my_applications_lists_them_with_their_status_in_bounded_queries(
    client, manager, django_assert_max_num_queries
):
    founder = UserFactory()
    cohort = cohort_make()
    for n in range(6):
        call = call_make(by=manager, cohort=cohort, slug=f"c{n}", questions=False)
        application_make(call=call, applicant=founder, status="submitted" if n % 2 else "draft")
    other = application_make(call=call, startup_name="Not mine")
    client.force_login(founder)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("incubator:applications-mine"))
    page = response.content.decode()
    assert page.count('data-testid="my-application"') == 6
    assert page.count('data-status="submitted"') == 3 and page.count('data-status="draft"') == 3
    assert f'data-application="{other.pk}"' not in page


def test_managers_pages_are_refused_to_others(client, manager):
    call = call_make(by=manager)
    client.force_login(UserFactory())
    for url in (
        reverse("incubator:calls-manage"),
        reverse("incubator:call-create"),
        reverse("incubator:cohort-create"),
    ):
        assert client.get(url).status_code == 403
    for url in (
        reverse("incubator:call-manage", args=[call.slug]),
        reverse("incubator:call-applications", args=[call.slug]),
        reverse("incubator:question-add", args=[call.slug]),
    ):
        assert client.get(url).status_code == 404


def test_a_manager_creates_a_call_and_is_told_when_it_closes_before_it_opens(client, manager):
    cohort = cohort_make()
    client.force_login(manager)
    data = {
        "cohort": cohort.pk,
        "slug": "autumn",
        "title_en": "Autumn call",
        "opens_at": "2027-03-01T09:00",
        "closes_at": "2027-02-01T09:00",
        "score_max": "5",
    }
    response = client.post(reverse("incubator:call-create"), data)
    assert response.status_code == 400
    assert "The call must close after it opens." in response.content.decode()
    assert not IncubatorCall.objects.exists()
    response = client.post(
        reverse("incubator:call-create"), {**data, "closes_at": "2027-04-01T18:00"}
    )
    call = IncubatorCall.objects.get()
    assert response.status_code == 302
    # Luxembourg time, stored in UTC.
    assert call.closes_at.isoformat() == "2027-04-01T16:00:00+00:00"


def test_a_manager_adds_questions_and_is_refused_a_choice_without_options(client, manager):
    call = call_make(by=manager, questions=False)
    client.force_login(manager)
    url = reverse("incubator:question-add", args=[call.slug])
    response = client.post(url, {"kind": "choice", "label_en": "Legal form?", "required": "on"})
    assert response.status_code == 400
    assert "needs its options" in response.content.decode()
    client.post(url, {"kind": "choice", "label_en": "Legal form?", "choices": "SARL\nSA"})
    client.post(url, {"kind": "number", "label_en": "Revenue"})
    revenue = call.questions.get(label_en="Revenue")
    client.post(reverse("incubator:question-move", args=[revenue.pk]), {"direction": "up"})
    assert list(call.questions.order_by("position").values_list("label_en", flat=True)) == [
        "Revenue",
        "Legal form?",
    ]
    page = client.get(reverse("incubator:call-manage", args=[call.slug])).content.decode()
    assert page.count('data-testid="question"') == 2


def test_editing_questions_after_a_submission_is_refused_with_the_reason(client, manager):
    call = call_make(by=manager)
    application_make(call=call)
    client.force_login(manager)
    page = client.get(reverse("incubator:call-manage", args=[call.slug])).content.decode()
    assert 'data-testid="locked"' in page
    target = call.questions.first()
    response = client.post(reverse("incubator:question-remove", args=[target.pk]), follow=True)
    assert "can no longer change" in response.content.decode()
    assert call.questions.count() == 2


def test_a_calls_applications_filter_by_status_with_counts_in_bounded_queries(
    client, manager, django_assert_max_num_queries
):
    call = call_make(by=manager)
    for n in range(12):
        application_make(
            call=call, startup_name=f"S{n}", status=("submitted", "draft", "withdrawn")[n % 3]
        )
    client.force_login(manager)
    url = reverse("incubator:call-applications", args=[call.slug])
    with django_assert_max_num_queries(12):
        response = client.get(url, {"status": "submitted"})
    page = response.content.decode()
    assert page.count('data-testid="call-application"') == 4
    assert 'data-status="submitted">Submitted <span class="badge text-bg-light border">4' in page
    assert client.get(url).content.decode().count('data-testid="call-application"') == 12
    response = client.get(url, {"status": "nonsense"})
    assert response.status_code == 200


def test_manager_overview_lists_cohorts_and_calls_in_bounded_queries(
    client, manager, django_assert_max_num_queries
):
    for year in (2025, 2026, 2027):
        cohort = cohort_make(name=f"Cohort {year}", year=year)
        for n in range(3):
            call = call_make(by=manager, cohort=cohort, slug=f"c{year}-{n}", questions=False)
            application_make(call=call)
    client.force_login(manager)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("incubator:calls-manage"))
    page = response.content.decode()
    assert page.count('data-testid="cohort"') == 3 and page.count('data-testid="managed-call"') == 9


def test_a_calls_page_and_an_application_page_issue_a_bounded_number_of_queries(
    client, manager, django_assert_max_num_queries
):
    from fabreck.incubator.services import QuestionData, question_add

    call = call_make(by=manager)
    for n in range(10):
        question_add(call=call, by=manager, data=QuestionData(kind="short_text", label_en=f"Q{n}"))
    application = application_make(call=call)
    for n in range(10):
        application.answers.create(question=question(call, f"Q{n}"), text=f"A{n}")
        application.founders.create(name=f"F{n}", email=f"f{n}@example.lu")
    client.force_login(application.applicant)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("incubator:call", args=[call.slug]))
    assert response.content.decode().count('data-testid="call-question"') == 12
    with django_assert_max_num_queries(14):
        response = client.get(reverse("incubator:application", args=[application.pk]))
    page = response.content.decode()
    assert "A9" in page and "f9@example.lu" in page


def test_the_team_withdraws_from_the_application_page(client, manager):
    call = call_make(by=manager)
    application = application_make(call=call)
    client.force_login(application.applicant)
    page = client.get(reverse("incubator:application", args=[application.pk])).content.decode()
    assert "Withdraw the application" in page
    response = client.post(
        reverse("incubator:application-withdraw", args=[application.pk]), follow=True
    )
    assert "Your application is withdrawn." in response.content.decode()
    application.refresh_from_db()
    assert application.status == "withdrawn"


def test_a_manager_edits_a_call_and_adds_a_criterion(client, manager):
    call = call_make(by=manager, criteria=())
    client.force_login(manager)
    edit = reverse("incubator:call-edit", args=[call.slug])
    form = client.get(edit).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        cohort=call.cohort.pk,
        title_de="Kreativ",
        opens_at="2027-01-01T09:00",
        closes_at="2027-02-01T09:00",
        published="on",
    )
    response = client.post(edit, data)
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.title_de == "Kreativ"
    url = reverse("incubator:criterion-add", args=[call.slug])
    response = client.post(url, {"label_en": "Team", "weight": "0"})
    assert response.status_code == 400 and not call.criteria.exists()
    client.post(url, {"label_en": "Team", "weight": "2.5"})
    assert str(call.criteria.get().weight) == "2.50"


def test_the_menu_offers_calls_to_everyone_and_the_managers_their_page(client, manager):
    home = client.get("/").content.decode()
    assert 'href="/incubator/calls/"' in home and "/incubator/applications/" not in home
    client.force_login(UserFactory())
    page = client.get("/").content.decode()
    assert 'href="/incubator/applications/"' in page and "/incubator/manage/calls/" not in page
    client.force_login(manager)
    assert 'href="/incubator/manage/calls/"' in client.get("/").content.decode()


def test_a_file_answer_is_uploaded_and_read_by_the_team_and_the_reviewers_only(client, manager):
    from fabreck.incubator.services import QuestionData, question_add

    call = call_make(by=manager)
    plan = question_add(
        call=call, by=manager, data=QuestionData(kind="file", label_en="Business plan")
    )
    founder = UserFactory()
    client.force_login(founder)
    response = client.post(
        reverse("incubator:call-apply", args=[call.slug]),
        _form(call, **{f"q_{plan.pk}": pdf("plan.pdf"), "submit": "1"}),
    )
    assert response.status_code == 302
    application = Application.objects.get()
    answer = application.answers.get(question=plan)
    url = reverse("incubator:application-answer-file", args=[application.pk, answer.pk])
    page = client.get(reverse("incubator:application", args=[application.pk])).content.decode()
    assert url in page
    assert client.get(url).status_code == 200
    reviewer = UserFactory()
    Review.objects.create(application=application, reviewer=reviewer, assigned_by=manager)
    client.force_login(reviewer)
    assert client.get(url).status_code == 200
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("language", "title"), [("fr", "Startups créatives 2027"), ("de", "Kreative Startups 2027")]
)
def test_a_call_reads_in_the_visitors_language(client, manager, language, title):
    call = call_make(by=manager)
    IncubatorCall.objects.filter(pk=call.pk).update(eligibility_en="")
    url = reverse("incubator:call", args=[call.slug])
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert f'<h1 class="h3">{title}</h1>' in response.content.decode()


def test_a_founder_with_an_organisation_may_apply_with_it_and_the_team_keeps_it(client, manager):
    from tests.factories import organisation_make

    call = call_make(by=manager)
    founder = UserFactory(email="ana@example.lu")
    partner = UserFactory(email="bo@example.lu")
    mine = organisation_make(name="Loom SARL", owner=founder)
    client.force_login(partner)
    form = client.get(reverse("incubator:call-apply", args=[call.slug])).context["form"]
    assert "organisation" not in form.fields  # nothing to choose from
    client.force_login(founder)
    team = {"founders-1-name": "Bo", "founders-1-email": partner.email}
    client.post(
        reverse("incubator:call-apply", args=[call.slug]),
        _form(call, organisation=mine.pk, save="1", **team),
    )
    application = Application.objects.get()
    assert application.organisation == mine
    client.force_login(partner)
    edit = reverse("incubator:application-edit", args=[application.pk])
    assert client.get(edit).context["form"].initial["organisation"] == mine.pk
    response = client.post(
        edit, _form(call, organisation=mine.pk, idea="Sharper", save="1", **team)
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.organisation == mine and application.idea == "Sharper"
