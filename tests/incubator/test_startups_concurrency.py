"""Phase moves at once, proven on PostgreSQL: managers moving the same startup at the same
moment give one move and clear refusals, and one phase history entry.

The control test takes the guard away (the incubation's row lock) and shows the race: every
racer passes the transition check before anyone writes, and the history records the same
move several times."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from fabreck.incubator import services
from fabreck.incubator.models import Incubation, PhaseChange
from tests.concurrency import run_at_once
from tests.factories import UserFactory
from tests.incubator.startups_helpers import startup_make

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrency is proven on PostgreSQL"
    ),
]


def _moves(incubation, to_phase: str) -> int:
    return PhaseChange.objects.filter(incubation=incubation, to_phase=to_phase).count()


def test_eight_managers_moving_a_startup_at_once_give_one_move():
    managers = [UserFactory(roles=["incubator_manager"]) for _ in range(8)]
    incubation = startup_make(manager=managers[0])

    outcomes = run_at_once(
        [
            lambda who=who: services.incubation_phase_move(
                incubation=incubation, to_phase="realisation", by=who
            )
            for who in managers
        ]
    )

    won = [o for o in outcomes if isinstance(o, Incubation)]
    lost = [o for o in outcomes if not isinstance(o, Incubation)]
    assert len(won) == 1, outcomes
    assert all(isinstance(o, ValidationError) for o in lost), outcomes
    assert _moves(incubation, "realisation") == 1
    assert Incubation.objects.get(pk=incubation.pk).phase == "realisation"


def test_leaving_and_moving_on_at_once_give_one_outcome():
    managers = [UserFactory(roles=["incubator_manager"]) for _ in range(2)]
    incubation = startup_make(manager=managers[0])

    outcomes = run_at_once(
        [
            lambda: services.incubation_phase_move(
                incubation=incubation, to_phase="left", by=managers[0], note="Stopped"
            ),
            lambda: services.incubation_phase_move(
                incubation=incubation, to_phase="realisation", by=managers[1]
            ),
        ]
    )

    # Serialised: either "left" went first and the move on is refused, or the startup moved
    # on and then left. The history is one chain and the directory flag agrees with it.
    refused = [o for o in outcomes if not isinstance(o, Incubation)]
    assert all(isinstance(o, ValidationError) for o in refused), outcomes
    stored = Incubation.objects.select_related("organisation").get(pk=incubation.pk)
    history = list(
        PhaseChange.objects.filter(incubation=incubation)
        .order_by("at", "pk")
        .values_list("from_phase", "to_phase")
    )
    assert history in (
        [("", "idea_validation"), ("idea_validation", "left")],
        [("", "idea_validation"), ("idea_validation", "realisation"), ("realisation", "left")],
    ), history
    assert len(history) - 1 == len(outcomes) - len(refused)
    assert stored.phase == "left" and not stored.organisation.incubated


def test_control_without_the_row_lock_the_same_move_is_recorded_twice(monkeypatch):
    managers = [UserFactory(roles=["incubator_manager"]) for _ in range(2)]
    incubation = startup_make(manager=managers[0])
    barrier = threading.Barrier(len(managers))
    checked = services._startups_phase_check

    def check_then_wait(incubation, **kwargs):
        checked(incubation, **kwargs)
        barrier.wait(timeout=30)  # every racer has passed the check before anyone writes

    monkeypatch.setattr(
        services,
        "_startups_incubation_locked",
        lambda pk: Incubation.objects.select_related("organisation").get(pk=pk),
    )
    monkeypatch.setattr(services, "_startups_phase_check", check_then_wait)

    outcomes = run_at_once(
        [
            lambda who=who: services.incubation_phase_move(
                incubation=incubation, to_phase="realisation", by=who
            )
            for who in managers
        ]
    )

    assert all(isinstance(o, Incubation) for o in outcomes), outcomes
    assert _moves(incubation, "realisation") == 2, "without the lock both moves go through"
