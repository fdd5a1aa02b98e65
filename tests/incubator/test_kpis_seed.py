"""The incubator's demo data and a reduced large scale: coherent with the models' rules
and the services' (scores within the scale, phases in order, KPI updates once per quarter
and never for a quarter not ended), and what a demo visitor needs to see."""

from __future__ import annotations

from io import StringIO
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.utils import timezone

import fabreck.incubator.seeding as seeding
from fabreck.cluster.models import Organisation
from fabreck.fablab.models import PrepaidAccount
from fabreck.fablab.selectors import price_group_for
from fabreck.incubator.models import (
    PHASE_TRANSITIONS,
    Application,
    Cohort,
    Incubation,
    IncubatorCall,
    KpiUpdate,
    Mentor,
    MentorSession,
    Review,
    Score,
)
from fabreck.incubator.selectors import (
    cohort_dashboard,
    incubator_overview,
    quarter_last_day,
    user_manages_incubator,
)

pytestmark = pytest.mark.django_db

PREREQUISITES = "accounts,cluster,fablab"


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command(
            "seed", "--scale", "demo", "--fresh", "--only", f"{PREREQUISITES},incubator",
            stdout=StringIO(),
        )  # fmt: skip
        yield
        call_command("flush", interactive=False, verbosity=0)


def _check_rules() -> None:
    today = timezone.localdate()
    for score in Score.objects.select_related("review__application__call"):
        assert 0 <= score.value <= score.review.application.call.score_max
    assert not Score.objects.exclude(review__status="submitted").exists()
    for incubation in Incubation.objects.prefetch_related("phase_changes"):
        changes = sorted(incubation.phase_changes.all(), key=lambda c: (c.on, c.pk))
        assert changes[0].from_phase == "" and changes[0].to_phase == "idea_validation"
        for before, after in pairwise(changes):
            assert after.from_phase == before.to_phase
            assert after.to_phase in PHASE_TRANSITIONS[before.to_phase], incubation
        assert changes[-1].to_phase == incubation.phase
        assert incubation.organisation.kind == "startup"
        assert incubation.organisation.incubated == incubation.is_running
    for update in KpiUpdate.objects.select_related("incubation"):
        assert quarter_last_day(update.year, update.quarter) < today
        assert quarter_last_day(update.year, update.quarter) >= update.incubation.started_on
    for application in Application.objects.filter(status="accepted"):
        assert application.incubation.organisation_id == application.organisation_id


def test_the_demo_has_an_open_call_a_running_cohort_and_past_ones(seeded):
    _check_rules()
    manager = seeding.User.objects.get(email=seeding.MANAGER_EMAIL)
    assert user_manages_incubator(user=manager)

    now = timezone.now()
    (open_call,) = [c for c in IncubatorCall.objects.all() if c.is_open_at(now)]
    applications = open_call.applications.all()
    assert applications.count() == 15
    assert {a.status for a in applications} == {"draft", "submitted"}
    reviews = Review.objects.filter(application__call=open_call)
    assert reviews.values("reviewer").distinct().count() == 2
    assert reviews.filter(status="conflict").exclude(conflict_reason="").exists()
    assert reviews.filter(status="submitted").exists()

    running = Incubation.objects.filter(phase__in=("idea_validation", "realisation", "market"))
    assert running.count() == 8
    assert set(running.values_list("phase", flat=True)) == {
        "idea_validation",
        "realisation",
        "market",
    }
    for incubation in running.select_related("organisation"):
        organisation = incubation.organisation
        assert organisation.status == "member" and organisation.incubated
        assert price_group_for(maker=None, organisation=organisation).slug == "incubated-startup"
        assert PrepaidAccount.objects.get(organisation=organisation).balance_hours > 0
        assert incubation.milestones.exists() and incubation.checklist.exists()
        assert incubation.kpi_updates.exists()
    assert running.filter(organisation__memberships__user__email=seeding.DEMO_MAKER_EMAIL).exists()

    assert running.filter(hosting__in=("desk", "office"), hosting_site__isnull=False).exists()
    assert Mentor.objects.count() == 3
    assert all(m.competences.exists() for m in Mentor.objects.all())
    assert MentorSession.objects.filter(incubation__in=running).exists()

    left = Incubation.objects.filter(left_on__isnull=False)
    assert set(left.values_list("phase", flat=True)) <= {"graduated", "left"}
    assert left.exists()
    assert KpiUpdate.objects.filter(incubation__in=left).exists()
    assert not Organisation.objects.filter(incubation__in=left, incubated=True).exists()

    overview = incubator_overview()
    assert overview.survival[0].left > 0
    for cohort in Cohort.objects.all():
        cohort_dashboard(cohort=cohort)


def test_the_demo_pages_open_for_the_manager_and_the_demo_maker(seeded, client):
    from django.urls import reverse

    client.force_login(seeding.User.objects.get(email=seeding.MANAGER_EMAIL))
    assert client.get(reverse("incubator:kpis-overview")).status_code == 200
    for cohort in Cohort.objects.all():
        assert client.get(reverse("incubator:kpis-cohort", args=[cohort.slug])).status_code == 200
    client.force_login(seeding.User.objects.get(email=seeding.DEMO_MAKER_EMAIL))
    page = client.get(reverse("incubator:kpis-update"))
    assert page.status_code == 200 and b'data-testid="kpi-form"' in page.content
