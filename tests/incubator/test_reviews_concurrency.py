"""Two managers deciding the same application at once, proven on PostgreSQL: one decision,
one incubation, one round of e-mails; the others are refused.

The control test takes the guard away (the application's row lock) and shows the race:
both managers pass the checks before either writes, so the team is told twice, and an
accept and a decline both go through.
"""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection

from fabreck.cluster.models import Organisation
from fabreck.incubator import services
from fabreck.incubator.models import Application, Incubation
from fabreck.incubator.services import application_decide
from tests.concurrency import run_at_once
from tests.factories import UserFactory
from tests.incubator.helpers import application_make, call_make, cohort_make

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrency is proven on PostgreSQL"
    ),
]


def _decision_mails():
    return [m for m in mail.outbox if "incubator" in m.subject or "application" in m.subject]


def _managers(n: int):
    return [UserFactory(roles=["incubator_manager"]) for _ in range(n)]


def test_many_managers_accepting_at_once_give_one_decision_and_one_incubation():
    managers = _managers(8)
    application = application_make(call=call_make(by=managers[0]))
    mail.outbox.clear()

    outcomes = run_at_once(
        [
            lambda who=who: application_decide(application=application, decision="accepted", by=who)
            for who in managers
        ]
    )

    won = [o for o in outcomes if isinstance(o, Application)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(won) == 1 and len(refused) == 7, outcomes
    assert {error.code for error in refused} == {"already_decided"}
    assert Incubation.objects.filter(application=application).count() == 1
    assert Organisation.objects.filter(kind="startup").count() == 1
    assert Application.objects.get(pk=application.pk).decided_by == won[0].decided_by
    assert len(_decision_mails()) == 1


def test_accept_and_decline_at_once_give_one_answer():
    cohort = cohort_make()
    for round_ in range(4):
        first, second = _managers(2)
        application = application_make(
            call=call_make(by=first, slug=f"race-{round_}", cohort=cohort),
            startup_name=f"Race {round_}",
        )

        outcomes = run_at_once(
            [
                lambda a=application, who=first: application_decide(
                    application=a, decision="accepted", by=who
                ),
                lambda a=application, who=second: application_decide(
                    application=a, decision="declined", by=who
                ),
            ]
        )

        answered = [o for o in outcomes if isinstance(o, Application)]
        refused = [o for o in outcomes if isinstance(o, ValidationError)]
        assert len(answered) == 1 and len(refused) == 1, outcomes
        stored = Application.objects.get(pk=application.pk)
        assert stored.status == answered[0].status
        incubated = Incubation.objects.filter(application=application).count()
        assert incubated == (1 if stored.status == "accepted" else 0)


def test_control_without_the_row_lock_both_decisions_go_through(monkeypatch):
    first, second = _managers(2)
    application = application_make(call=call_make(by=first))
    barrier = threading.Barrier(2)
    checked = services._ensure_decidable

    def check_then_wait(application, decision):
        checked(application, decision)
        barrier.wait(timeout=30)  # both have passed the checks before either writes

    monkeypatch.setattr(
        services,
        "application_locked",
        lambda application: Application.objects.select_related("call__cohort", "applicant").get(
            pk=application.pk
        ),
    )
    monkeypatch.setattr(services, "_ensure_decidable", check_then_wait)
    mail.outbox.clear()

    outcomes = run_at_once(
        [
            lambda: application_decide(application=application, decision="waitlisted", by=first),
            lambda: application_decide(application=application, decision="declined", by=second),
        ]
    )

    assert all(isinstance(o, Application) for o in outcomes), outcomes
    assert len(_decision_mails()) == 2, "without the lock the team hears two decisions"
