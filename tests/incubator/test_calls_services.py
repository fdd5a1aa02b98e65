"""Calls, their questions and criteria, and applications up to submission: the services."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from fabreck.incubator import selectors, services
from fabreck.incubator.models import Application, Cohort, IncubatorCall, Question, Review
from fabreck.incubator.services import (
    CallData,
    CriterionData,
    FounderData,
    QuestionData,
    application_save,
    application_submit,
    application_withdraw,
)
from tests.factories import UserFactory, organisation_make
from tests.incubator.calls_helpers import data_make, pdf, question
from tests.incubator.helpers import application_make, call_make, cohort_make

pytestmark = pytest.mark.django_db


def _call_data(cohort, **changes) -> CallData:
    now = timezone.now()
    fields = {
        "cohort": cohort,
        "slug": "spring-2027",
        "title_en": "Spring call",
        "opens_at": now,
        "closes_at": now + timedelta(days=30),
    }
    fields.update(changes)
    return CallData(**fields)


# Calls, questions and criteria ------------------------------------------------------------


def test_a_manager_creates_a_cohort_and_a_call_and_edits_it(manager):
    cohort = services.cohort_create(
        by=manager,
        data=services.CohortData(
            name="Cohort 2028", slug="", year=2028, starts_on=timezone.localdate()
        ),
    )
    assert cohort.slug == "cohort-2028"
    call = services.call_create(by=manager, data=_call_data(cohort, title_fr="Appel"))
    assert not call.published and call.created_by == manager
    services.call_update(
        call=call, by=manager, data=_call_data(cohort, title_fr="Appel", published=True)
    )
    call.refresh_from_db()
    assert call.published


def test_a_call_closing_before_it_opens_is_refused_and_nothing_is_stored(manager):
    cohort = cohort_make()
    now = timezone.now()
    with pytest.raises(ValidationError) as refused:
        services.call_create(
            by=manager, data=_call_data(cohort, opens_at=now, closes_at=now - timedelta(hours=1))
        )
    assert refused.value.message_dict["closes_at"] == ["The call must close after it opens."]
    assert not IncubatorCall.objects.exists()


def test_a_second_call_with_the_same_slug_is_refused(manager):
    cohort = cohort_make()
    services.call_create(by=manager, data=_call_data(cohort))
    with pytest.raises(ValidationError) as refused:
        services.call_create(by=manager, data=_call_data(cohort, title_en="Other"))
    assert "slug" in refused.value.message_dict
    assert IncubatorCall.objects.count() == 1


def test_only_managers_create_cohorts_calls_and_questions(manager):
    someone = UserFactory()
    cohort = cohort_make()
    with pytest.raises(PermissionDenied):
        services.call_create(by=someone, data=_call_data(cohort))
    with pytest.raises(PermissionDenied):
        services.cohort_create(
            by=someone,
            data=services.CohortData(name="X", slug="x", year=2027, starts_on=timezone.localdate()),
        )
    call = call_make(by=manager, cohort=cohort)
    with pytest.raises(PermissionDenied):
        services.question_add(
            call=call, by=someone, data=QuestionData(kind="short_text", label_en="Why?")
        )
    assert call.questions.count() == 2 and Cohort.objects.count() == 1


def test_a_choice_question_needs_options(manager):
    call = call_make(by=manager, questions=False)
    with pytest.raises(ValidationError) as refused:
        services.question_add(
            call=call, by=manager, data=QuestionData(kind="choice", label_en="Legal form?")
        )
    assert refused.value.message_dict["choices"] == [
        "A choice question needs its options, one per line."
    ]
    assert not call.questions.exists()
    asked = services.question_add(
        call=call,
        by=manager,
        data=QuestionData(kind="choice", label_en="Legal form?", choices=" SARL \n\nSA\n"),
    )
    assert asked.options == ["SARL", "SA"]


def test_questions_are_added_at_the_end_moved_and_removed(manager):
    call = call_make(by=manager)
    website = call.questions.get(label_en="Your website")
    revenue = services.question_add(
        call=call, by=manager, data=QuestionData(kind="number", label_en="Revenue last year")
    )
    assert revenue.position == 2
    services.question_move(question=revenue, by=manager, up=True)
    order = list(call.questions.order_by("position").values_list("label_en", flat=True))
    assert order == ["Your website", "Revenue last year", "Full time?"]
    services.question_move(question=website, by=manager, up=True)  # already first: stays
    services.question_remove(question=Question.objects.get(pk=revenue.pk), by=manager)
    assert list(call.questions.order_by("position").values_list("position", "label_en")) == [
        (0, "Your website"),
        (1, "Full time?"),
    ]


def test_criteria_are_weighted_and_a_weight_must_be_positive(manager):
    call = call_make(by=manager, criteria=())
    criterion = services.criterion_add(
        call=call, by=manager, data=CriterionData(label_en="Team", weight=Decimal("2"))
    )
    with pytest.raises(ValidationError) as refused:
        services.criterion_update(
            criterion=criterion, by=manager, data=CriterionData(label_en="Team", weight=Decimal(0))
        )
    assert "weight" in refused.value.message_dict
    criterion.refresh_from_db()
    assert criterion.weight == Decimal("2.00")


def test_questions_and_criteria_are_frozen_once_an_application_was_submitted(manager):
    call = call_make(by=manager)
    application_make(call=call, status="draft")
    # Drafts do not freeze the call.
    services.question_add(
        call=call, by=manager, data=QuestionData(kind="long_text", label_en="Why?")
    )
    application_make(call=call, startup_name="Sent", status="submitted")
    why = call.questions.get(label_en="Why?")
    criterion = call.criteria.first()
    attempts = [
        lambda: services.question_add(
            call=call, by=manager, data=QuestionData(kind="short_text", label_en="More?")
        ),
        lambda: services.question_update(
            question=why, by=manager, data=QuestionData(kind="short_text", label_en="Changed")
        ),
        lambda: services.question_move(question=why, by=manager, up=True),
        lambda: services.question_remove(question=why, by=manager),
        lambda: services.criterion_add(
            call=call, by=manager, data=CriterionData(label_en="Luck", weight=Decimal(1))
        ),
        lambda: services.criterion_update(
            criterion=criterion, by=manager, data=CriterionData(label_en="X", weight=Decimal(9))
        ),
        lambda: services.criterion_remove(criterion=criterion, by=manager),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as refused:
            attempt()
        assert "can no longer change" in refused.value.messages[0]
    assert call.questions.count() == 3 and call.criteria.count() == 3
    why.refresh_from_db()
    criterion.refresh_from_db()
    assert why.label_en == "Why?" and why.position == 2 and criterion.weight == Decimal("2.00")


# Applications --------------------------------------------------------------------------------


def test_a_founder_saves_a_draft_and_the_team_is_linked_to_accounts(manager):
    call = call_make(by=manager)
    founder = UserFactory(preferred_language="fr")
    partner = UserFactory(email="Marie@Example.lu")
    data = data_make(
        call,
        founders=(
            FounderData(name="Marie", email="marie@example.lu", role="CTO"),
            FounderData(name="Paul", email="paul@nowhere.lu"),
        ),
        complete=False,
    )
    application = application_save(call=call, by=founder, data=data)
    assert application.status == "draft" and application.submitted_at is None
    assert application.language == "fr"
    team = {f.email: f.user for f in application.founders.all()}
    # The applicant is always one of the founders.
    assert team == {founder.email: founder, "marie@example.lu": partner, "paul@nowhere.lu": None}
    assert [a.pk for a in selectors.applications_of(user=partner)] == [application.pk]
    # The linked founder edits the draft too.
    application_save(
        call=call,
        by=partner,
        data=data_make(call, startup_name="Pixel Loom SARL", complete=False),
        application=application,
    )
    application.refresh_from_db()
    assert application.startup_name == "Pixel Loom SARL"


def test_answers_are_parsed_by_kind(manager):
    call = call_make(by=manager)
    services.question_add(
        call=call, by=manager, data=QuestionData(kind="number", label_en="Revenue")
    )
    services.question_add(call=call, by=manager, data=QuestionData(kind="file", label_en="Plan"))
    revenue, plan = question(call, "Revenue"), question(call, "Plan")
    founder = UserFactory()
    application = application_save(
        call=call,
        by=founder,
        data=data_make(
            call,
            answers={
                question(call, "Full time?").pk: "No",
                revenue.pk: "12 500,5",
                plan.pk: pdf("plan.pdf"),
            },
        ),
    )
    answers = {a.question_id: a for a in application.answers.all()}
    assert answers[revenue.pk].number == Decimal("12500.50")
    assert answers[question(call, "Full time?").pk].text == "No"
    assert answers[plan.pk].file.name.endswith("/plan.pdf")


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("number", "a lot", "Enter a number, such as 12 or 12.5."),
        ("choice", "Maybe", "Choose one of the options."),
        ("file", "evil.exe", "files of this type are not accepted"),
        ("file", "huge.pdf", "is too large"),
    ],
)
def test_a_bad_answer_is_refused_and_nothing_is_stored(manager, settings, kind, value, message):
    settings.INCUBATOR_UPLOAD_MAX_BYTES = 1000
    call = call_make(by=manager)
    if kind == "choice":
        target = question(call, "Full time?")
    else:
        target = services.question_add(
            call=call, by=manager, data=QuestionData(kind=kind, label_en="Q")
        )
    if kind == "file":
        value = pdf(value, size=500 if value.endswith(".exe") else 5000)
    with pytest.raises(ValidationError) as refused:
        application_save(
            call=call, by=UserFactory(), data=data_make(call, answers={target.pk: value})
        )
    assert message in refused.value.message_dict[f"q_{target.pk}"][0]
    assert not Application.objects.exists()


def test_a_pitch_deck_of_a_refused_kind_is_refused(manager):
    call = call_make(by=manager)
    with pytest.raises(ValidationError) as refused:
        application_save(
            call=call, by=UserFactory(), data=data_make(call, pitch_deck=pdf("deck.html"))
        )
    assert "pitch_deck" in refused.value.message_dict
    assert not Application.objects.exists()


def test_one_application_per_founder_and_call(manager):
    call = call_make(by=manager)
    founder = UserFactory()
    application_save(call=call, by=founder, data=data_make(call))
    with pytest.raises(ValidationError) as refused:
        application_save(call=call, by=founder, data=data_make(call, startup_name="Again"))
    assert refused.value.code == "already_applied"
    assert Application.objects.count() == 1


def test_an_organisation_not_of_the_founder_is_refused(manager):
    call = call_make(by=manager)
    founder = UserFactory()
    theirs = organisation_make(name="Theirs")
    mine = organisation_make(name="Mine", owner=founder)
    with pytest.raises(ValidationError) as refused:
        application_save(call=call, by=founder, data=data_make(call, organisation=theirs))
    assert "organisation" in refused.value.message_dict
    partner = UserFactory(email="partner@example.lu")
    founders = (FounderData(name="Partner", email=partner.email),)
    application = application_save(
        call=call, by=founder, data=data_make(call, organisation=mine, founders=founders)
    )
    assert application.organisation == mine
    # A founder of the team who does not run the organisation keeps it when editing...
    application_save(
        call=call,
        by=partner,
        data=data_make(call, organisation=mine, founders=founders, idea="Better"),
        application=application,
    )
    # ...but cannot swap in another one.
    with pytest.raises(ValidationError):
        application_save(
            call=call,
            by=partner,
            data=data_make(call, organisation=theirs, founders=founders),
            application=application,
        )
    application.refresh_from_db()
    assert application.organisation == mine and application.idea == "Better"


def test_submission_checks_what_is_required_then_confirms_in_the_applicants_language(
    manager, django_capture_on_commit_callbacks
):
    call = call_make(by=manager)
    founder = UserFactory(preferred_language="de")
    draft = application_save(call=call, by=founder, data=data_make(call, complete=False))
    with pytest.raises(ValidationError) as refused:
        application_submit(application=draft, by=founder)
    missing = refused.value.message_dict
    assert set(missing) == {"idea", "market", "needs", f"q_{question(call, 'Full time?').pk}"}
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.submitted_at is None
    application_save(call=call, by=founder, data=data_make(call), application=draft)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        submitted = application_submit(application=draft, by=founder)
    assert submitted.status == "submitted" and submitted.submitted_at is not None
    assert submitted.language == "de"
    [confirmation] = mail.outbox
    assert confirmation.to == [founder.email]
    assert "Pixel Loom" in confirmation.subject
    assert f"/incubator/applications/{draft.pk}/" in confirmation.body


def test_after_submission_nothing_is_edited_or_submitted_again(manager):
    call = call_make(by=manager)
    founder = UserFactory()
    application = application_save(call=call, by=founder, data=data_make(call))
    application_submit(application=application, by=founder)
    with pytest.raises(ValidationError) as refused:
        application_save(
            call=call,
            by=founder,
            data=data_make(call, startup_name="Changed"),
            application=application,
        )
    assert refused.value.code == "not_draft"
    with pytest.raises(ValidationError):
        application_submit(application=application, by=founder)
    application.refresh_from_db()
    assert application.startup_name == "Pixel Loom"


def test_an_application_after_the_deadline_is_refused_and_nothing_changes(manager):
    call = call_make(by=manager)
    founder = UserFactory()
    draft = application_save(call=call, by=founder, data=data_make(call))
    IncubatorCall.objects.filter(pk=call.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    call.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        application_submit(application=draft, by=founder)
    assert refused.value.code == "call_closed"
    assert "no longer accepted" in refused.value.messages[0]
    with pytest.raises(ValidationError):
        application_save(
            call=call, by=founder, data=data_make(call, startup_name="Late"), application=draft
        )
    with pytest.raises(ValidationError):
        application_save(call=call, by=UserFactory(), data=data_make(call))
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.startup_name == "Pixel Loom"
    assert Application.objects.count() == 1


def test_a_call_not_yet_open_or_unpublished_takes_no_application(manager):
    upcoming = call_make(by=manager, slug="later", opens_in_days=3)
    with pytest.raises(ValidationError) as refused:
        application_save(call=upcoming, by=UserFactory(), data=data_make(upcoming))
    assert refused.value.code == "call_not_open"
    assert not Application.objects.exists()


def test_the_team_withdraws_and_others_may_not_touch_the_application(manager):
    call = call_make(by=manager)
    founder, stranger = UserFactory(), UserFactory()
    application = application_save(call=call, by=founder, data=data_make(call))
    for attempt in (
        lambda: application_save(
            call=call,
            by=stranger,
            data=data_make(call, startup_name="Mine"),
            application=application,
        ),
        lambda: application_submit(application=application, by=stranger),
        lambda: application_withdraw(application=application, by=stranger),
        lambda: application_withdraw(application=application, by=manager),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    application.refresh_from_db()
    assert application.status == "draft" and application.startup_name == "Pixel Loom"
    application_submit(application=application, by=founder)
    application_withdraw(application=application, by=founder)
    application.refresh_from_db()
    assert application.status == "withdrawn"
    with pytest.raises(ValidationError):
        application_withdraw(application=application, by=founder)


def test_who_reads_an_application(manager):
    call = call_make(by=manager)
    draft = application_make(call=call, status="draft")
    submitted = application_make(call=call, startup_name="Sent")
    founder = UserFactory()
    submitted.founders.create(name="F", email=founder.email, user=founder)
    reviewer, stranger = UserFactory(), UserFactory()
    Review.objects.create(application=submitted, reviewer=reviewer, assigned_by=manager)

    def reads(user, application) -> bool:
        try:
            selectors.application_visible_to(pk=application.pk, user=user)
        except Http404:
            return False
        return True

    assert reads(draft.applicant, draft) and not reads(manager, draft)
    assert not reads(stranger, draft) and not reads(reviewer, draft)
    for allowed in (submitted.applicant, founder, manager, reviewer):
        assert reads(allowed, submitted)
    assert not reads(stranger, submitted)
    # Only the team edits: a manager or a reviewer who reads it gets a 404 to edit.
    with pytest.raises(Http404):
        selectors.application_of_team(pk=submitted.pk, user=reviewer)
    assert selectors.application_of_team(pk=submitted.pk, user=founder) == submitted
