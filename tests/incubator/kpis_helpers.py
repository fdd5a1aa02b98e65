"""Makers of the KPI tests: an incubated startup (its organisation, people and incubation)
and its quarterly figures, written directly."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fabreck.incubator.models import Cohort, Incubation, KpiUpdate
from tests.factories import UserFactory, organisation_make


def kpis_cohort_make(*, name: str = "Cohort 2025", year: int = 2025, starts_on=None) -> Cohort:
    return Cohort.objects.create(
        name=name,
        slug=name.lower().replace(" ", "-"),
        year=year,
        starts_on=starts_on or date(year, 1, 15),
    )


def startup_make(
    *,
    cohort: Cohort,
    name: str = "Pixel Loom",
    founder=None,
    started_on: date = date(2025, 1, 15),
    phase: str = "idea_validation",
    left_on: date | None = None,
) -> Incubation:
    """An incubated startup whose owner is `founder` (a new user unless given)."""
    founder = founder or UserFactory(preferred_language="en")
    organisation = organisation_make(
        owner=founder, name=name, kind="startup", slug=name.lower().replace(" ", "-")
    )
    return Incubation.objects.create(
        organisation=organisation,
        cohort=cohort,
        started_on=started_on,
        phase=phase,
        phase_since=left_on or started_on,
        left_on=left_on,
    )


def kpi_make(
    incubation: Incubation,
    year: int,
    quarter: int,
    *,
    headcount: int = 3,
    revenue: str = "1000",
    funds: str = "0",
    customers: int = 2,
    status: str = "active",
    by=None,
) -> KpiUpdate:
    return KpiUpdate.objects.create(
        incubation=incubation,
        year=year,
        quarter=quarter,
        headcount=headcount,
        revenue=Decimal(revenue),
        funds_raised=Decimal(funds),
        customers=customers,
        status=status,
        submitted_by=by or incubation.organisation.memberships.first().user,
    )
