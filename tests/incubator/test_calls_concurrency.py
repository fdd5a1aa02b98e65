"""Applications and the call's questions at once, proven on PostgreSQL.

A manager adding a required question while a team submits must not leave a submitted
application that never saw the question: either the question comes first (and the
submission is refused, the answer missing) or the submission does (and the call's questions
are frozen). The call's row lock makes them take turns; the control test takes it away and
shows both going through. Founders of one team submitting at once get one submission and
one confirmation.
"""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection

from fabreck.incubator import services
from fabreck.incubator.models import Application, Question
from fabreck.incubator.services import (
    FounderData,
    QuestionData,
    application_save,
    application_submit,
    question_add,
)
from tests.concurrency import run_at_once
from tests.factories import UserFactory
from tests.incubator.calls_helpers import data_make
from tests.incubator.helpers import call_make, cohort_make

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrency is proven on PostgreSQL"
    ),
]


def _required_question() -> QuestionData:
    return QuestionData(kind="long_text", label_en="Your competitors", required=True)


def _submitted_without_an_answer(application: Application) -> bool:
    application = Application.objects.get(pk=application.pk)
    return application.status == "submitted" and bool(
        services.application_submit_problems(application=application)
    )


def test_a_new_required_question_and_a_submission_take_turns(manager):
    cohort = cohort_make()
    for round_ in range(6):
        call = call_make(by=manager, cohort=cohort, slug=f"turns-{round_}")
        founder = UserFactory()
        draft = application_save(call=call, by=founder, data=data_make(call))

        outcomes = run_at_once(
            [
                lambda d=draft, f=founder: application_submit(application=d, by=f),
                lambda c=call: question_add(call=c, by=manager, data=_required_question()),
            ]
        )

        submitted, added = outcomes
        assert not (isinstance(submitted, Application) and isinstance(added, Question)), (
            "both went through"
        )
        assert any(isinstance(o, ValidationError) for o in outcomes), outcomes
        assert not _submitted_without_an_answer(draft)


def test_control_without_the_call_lock_a_submission_misses_the_new_question(manager, monkeypatch):
    call = call_make(by=manager)
    founder = UserFactory()
    draft = application_save(call=call, by=founder, data=data_make(call))
    barrier = threading.Barrier(2)
    problems, editable = services.application_submit_problems, services._ensure_structure_editable

    def problems_then_wait(*, application):
        found = problems(application=application)
        barrier.wait(timeout=30)  # both have checked before either writes
        return found

    def editable_then_wait(call):
        editable(call)
        barrier.wait(timeout=30)

    monkeypatch.setattr(
        services, "call_locked", lambda pk: services.IncubatorCall.objects.get(pk=pk)
    )
    monkeypatch.setattr(services, "application_submit_problems", problems_then_wait)
    monkeypatch.setattr(services, "_ensure_structure_editable", editable_then_wait)

    outcomes = run_at_once(
        [
            lambda: application_submit(application=draft, by=founder),
            lambda: question_add(call=call, by=manager, data=_required_question()),
        ]
    )

    assert isinstance(outcomes[0], Application) and isinstance(outcomes[1], Question), outcomes
    monkeypatch.undo()
    assert _submitted_without_an_answer(draft), "without the lock the submission missed it"


def test_founders_of_one_team_submitting_at_once_submit_once(
    manager, django_capture_on_commit_callbacks
):
    call = call_make(by=manager)
    founder = UserFactory()
    partners = [UserFactory() for _ in range(5)]
    draft = application_save(
        call=call,
        by=founder,
        data=data_make(
            call,
            founders=tuple(
                FounderData(name=f"P{n}", email=p.email) for n, p in enumerate(partners)
            ),
        ),
    )
    mail.outbox.clear()

    outcomes = run_at_once(
        [
            lambda who=who: application_submit(application=draft, by=who)
            for who in [founder, *partners]
        ]
    )

    won = [o for o in outcomes if isinstance(o, Application)]
    lost = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(won) == 1 and len(lost) == 5, outcomes
    assert all(error.code == "not_draft" for error in lost)
    assert Application.objects.get(pk=draft.pk).status == "submitted"
    assert len(mail.outbox) == 1


def test_a_founder_starting_twice_at_once_gets_one_application(manager):
    call = call_make(by=manager)
    founder = UserFactory()

    outcomes = run_at_once(
        [lambda: application_save(call=call, by=founder, data=data_make(call)) for _ in range(4)]
    )

    assert sum(isinstance(o, Application) for o in outcomes) == 1, outcomes
    assert all(
        isinstance(o, Application)
        or (isinstance(o, ValidationError) and o.code == "already_applied")
        for o in outcomes
    ), outcomes
    assert Application.objects.filter(call=call).count() == 1
