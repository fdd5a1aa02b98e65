"""Building blocks for the prepaid-hours (credits) tests: a startup with hours to spend."""

from __future__ import annotations

from decimal import Decimal

from fabreck.fablab.services import prepaid_hours_grant
from tests.factories import UserFactory, organisation_make


def startup_with_hours(*, hours: str | None = "3", name: str = "Startup Hours", owner=None):
    """An organisation (its owner books for it) holding `hours` prepaid hours."""
    owner = owner or UserFactory(roles=["maker"])
    organisation = organisation_make(owner=owner, name=name, kind="startup")
    if hours is not None:
        prepaid_hours_grant(organisation=organisation, hours=Decimal(hours), by=None, note="Grant")
    return organisation, owner


def member_add(organisation, user, role: str = "member"):
    from fabreck.cluster.models import OrganisationPerson

    OrganisationPerson.objects.create(organisation=organisation, user=user, role=role)
    return user
