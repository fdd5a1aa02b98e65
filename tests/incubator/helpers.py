"""Shared makers of incubator tests: a cohort, a call with questions and criteria, an
application submitted by a founder."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from fabreck.cluster.models import Commune, Sector
from fabreck.incubator.models import (
    Application,
    Cohort,
    Criterion,
    Founder,
    IncubatorCall,
    Question,
)
from tests.factories import UserFactory


def cohort_make(*, name: str = "Cohort 2027", year: int = 2027) -> Cohort:
    return Cohort.objects.create(
        name=name, slug=name.lower().replace(" ", "-"), year=year, starts_on=timezone.localdate()
    )


def call_make(
    *,
    by=None,
    cohort: Cohort | None = None,
    slug: str = "call-2027",
    opens_in_days: int = -10,
    closes_in_days: int = 20,
    score_max: int = 5,
    criteria: tuple[tuple[str, str], ...] = (("Team", "2"), ("Market", "1"), ("Idea", "1")),
    questions: bool = True,
) -> IncubatorCall:
    """A published call, open now unless told otherwise, with weighted criteria."""
    now = timezone.now()
    call = IncubatorCall.objects.create(
        cohort=cohort or cohort_make(),
        slug=slug,
        title_en="Creative startups 2027",
        title_fr="Startups créatives 2027",
        title_de="Kreative Startups 2027",
        eligibility_en="Founders based in Luxembourg with a creative idea.",
        opens_at=now + timedelta(days=opens_in_days),
        closes_at=now + timedelta(days=closes_in_days),
        score_max=score_max,
        published=True,
        created_by=by or UserFactory(roles=["incubator_manager"]),
    )
    for position, (label, weight) in enumerate(criteria):
        Criterion.objects.create(
            call=call, position=position, label_en=label, weight=Decimal(weight)
        )
    if questions:
        Question.objects.create(
            call=call, position=0, kind="short_text", label_en="Your website", required=False
        )
        Question.objects.create(
            call=call,
            position=1,
            kind="choice",
            label_en="Full time?",
            choices="Yes\nNo",
            required=True,
        )
    return call


def application_make(
    *,
    call: IncubatorCall,
    applicant=None,
    startup_name: str = "Pixel Loom",
    status: str = "submitted",
    sector: str = "design",
    language: str = "en",
) -> Application:
    """An application written directly (services are tested on their own)."""
    applicant = applicant or UserFactory(preferred_language=language)
    application = Application.objects.create(
        call=call,
        applicant=applicant,
        startup_name=startup_name,
        sector=Sector.objects.get(slug=sector),
        commune=Commune.objects.get(slug="luxembourg"),
        idea="Woven textiles that light up.",
        market="Interior designers",
        needs="Laser cutting and a sales mentor",
        status=status,
        language=language,
        submitted_at=None if status in ("draft", "withdrawn") else timezone.now(),
        decided_at=timezone.now() if status in ("accepted", "waitlisted", "declined") else None,
    )
    Founder.objects.create(
        application=application,
        name=applicant.get_full_name() or applicant.email,
        email=applicant.email,
        role="CEO",
        user=applicant,
    )
    return application
