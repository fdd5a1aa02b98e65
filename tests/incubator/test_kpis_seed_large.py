"""The incubator's large scale, reduced (four years, 120 applications, 12 startups): as
coherent as the demo, with 7 to 10 % of the submitted applications accepted."""

from __future__ import annotations

import random
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, Max

import fabreck.incubator.seeding as seeding
from fabreck.incubator.models import Application, Cohort, Incubation, Score
from tests.incubator.test_kpis_seed import PREREQUISITES, _check_rules

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_reduced_large_scale_is_just_as_coherent(monkeypatch):
    # The accounts, cluster and FabLab it needs (committed; emptied after the test).
    call_command("seed", "--scale", "demo", "--only", PREREQUISITES, stdout=StringIO())
    monkeypatch.setattr(seeding, "LARGE_YEARS", 4)
    monkeypatch.setattr(seeding, "LARGE_APPLICATIONS", 120)
    monkeypatch.setattr(seeding, "LARGE_STARTUPS", 12)

    counts = seeding.seed_incubator(scale="large", rng=random.Random(7), stdout=StringIO())

    assert counts["startups"] == 12 and counts["applications"] == 120
    _check_rules()
    submitted = Application.objects.exclude(status__in=("draft", "withdrawn")).count()
    accepted = Application.objects.filter(status="accepted").count()
    assert 0.07 <= accepted / submitted <= 0.125
    assert Cohort.objects.count() == 4
    calls_per_cohort = Cohort.objects.annotate(n=Count("calls")).values_list("n", flat=True)
    assert set(calls_per_cohort) <= {1, 2} and 2 in set(calls_per_cohort)
    assert Incubation.objects.filter(left_on__isnull=False).exists()
    histories = Incubation.objects.annotate(n=Count("kpi_updates"), last=Max("kpi_updates__year"))
    assert all(row.n >= 1 for row in histories)
    assert Score.objects.exists()
