"""Building blocks for prototyping-project tests."""

from __future__ import annotations

from fabreck.projects.models import Project
from tests.factories import UserFactory, organisation_make


def project_make(
    *,
    requested_by=None,
    organisation=None,
    status: str = "requested",
    site=None,
    lead=None,
    title: str = "Acrylic display stand",
    **fields,
) -> Project:
    """A project as it stands in `status` (written straight to the table: the tests of
    the transitions themselves go through the services)."""
    if organisation is None and fields.get("requester_kind", "sme") != "individual":
        organisation = organisation_make(owner=requested_by, name=f"{title} SA")
        requested_by = requested_by or organisation.memberships.get().user
    requested_by = requested_by or UserFactory()
    fields.setdefault("requester_kind", "sme")
    if status == "declined":
        fields.setdefault("decline_reason", "Series production")
    if status in ("delivered", "closed"):
        from django.utils import timezone

        fields.setdefault("delivered_at", timezone.now())
    return Project.objects.create(
        title=title,
        goal="A stand for our shop window",
        description="Laser-cut acrylic, 40 x 30 cm.",
        requested_by=requested_by,
        organisation=organisation,
        status=status,
        site=site,
        lead=lead,
        **fields,
    )
