"""Overlapping runs of the KPI reminders, proven on PostgreSQL: many runs at the same
moment send each startup's reminder once (the unique KpiReminder row is written before the
e-mails, in the same transaction).

The control test takes the guard away (check first, send, then record, ignoring
conflicts) and shows the race it prevents: the same people get the same reminder several
times."""

from __future__ import annotations

import time
from datetime import date

import pytest
from django.core import mail
from django.db import connection, transaction

from fabreck.incubator import services
from fabreck.incubator.models import KpiReminder
from fabreck.incubator.selectors import kpi_reminder_targets
from fabreck.incubator.services import kpi_reminders_send
from tests.concurrency import run_at_once
from tests.incubator.kpis_helpers import kpis_cohort_make, startup_make

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrency is proven on PostgreSQL"
    ),
]

TODAY = date(2026, 4, 2)
RUNS = 12


def _startups(n: int) -> list:
    cohort = kpis_cohort_make()
    return [startup_make(cohort=cohort, name=f"Startup {i}") for i in range(n)]


def test_overlapping_runs_send_each_reminder_once():
    startups = _startups(4)
    mail.outbox.clear()

    outcomes = run_at_once([lambda: kpi_reminders_send(today=TODAY) for _ in range(RUNS)])

    assert all(isinstance(o, int) for o in outcomes), outcomes
    assert sum(outcomes) == len(startups)
    assert KpiReminder.objects.filter(kind="due").count() == len(startups)
    recipients = [m.to[0] for m in mail.outbox]
    assert len(recipients) == len(startups)
    assert len(set(recipients)) == len(recipients)


def _naive_reminders_send(*, today: date) -> int:
    """The reminder without its guard: look, send, record (conflicts ignored)."""
    year, quarter = 2026, 1
    sent = 0
    for incubation in kpi_reminder_targets(today=today):
        if KpiReminder.objects.filter(
            incubation=incubation, year=year, quarter=quarter, kind="due"
        ).exists():
            continue
        with transaction.atomic():
            services._kpi_reminder_mail(
                incubation=incubation, year=year, quarter=quarter, kind="due"
            )
            time.sleep(0.05)  # the time a real run spends rendering and queueing mail
            KpiReminder.objects.bulk_create(
                [KpiReminder(incubation=incubation, year=year, quarter=quarter, kind="due")],
                ignore_conflicts=True,
            )
        sent += 1
    return sent


def test_control_without_the_guard_the_same_reminder_goes_several_times():
    startups = _startups(2)
    mail.outbox.clear()

    outcomes = run_at_once([lambda: _naive_reminders_send(today=TODAY) for _ in range(RUNS)])

    assert all(isinstance(o, int) for o in outcomes), outcomes
    assert KpiReminder.objects.count() == len(startups)  # the rows look right...
    recipients = [m.to[0] for m in mail.outbox]
    assert len(recipients) > len(startups)  # ...but people got the reminder several times
