"""Makers of the startups lane's tests: an incubated startup with its defaults, a mentor."""

from __future__ import annotations

from fabreck.cluster.models import Competence
from fabreck.incubator.models import Incubation, Mentor
from fabreck.incubator.services import incubation_defaults_create, incubation_start
from tests.factories import UserFactory
from tests.incubator.helpers import application_make, call_make


def startup_make(
    *, manager, name: str = "Pixel Loom", call=None, applicant=None, slug: str = "call-2027"
) -> Incubation:
    """An accepted application admitted into the cohort, with default milestones and
    checklist."""
    call = call or call_make(by=manager, slug=slug)
    application = application_make(
        call=call, startup_name=name, status="accepted", applicant=applicant
    )
    incubation = incubation_start(application=application, by=manager)
    incubation_defaults_create(incubation=incubation)
    return incubation


def competences(count: int = 3) -> list[Competence]:
    return list(Competence.objects.order_by("pk")[:count])


def mentor_make(*, competence_list=(), active: bool = True, **user_fields) -> Mentor:
    mentor = Mentor.objects.create(
        user=UserFactory(**user_fields), bio="Twenty years in product design.", active=active
    )
    mentor.competences.set(competence_list)
    return mentor
