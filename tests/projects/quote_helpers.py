"""Building blocks for the quotes and execution tests: a site with priced machines and a
catalogue, triaged projects, quotes sent through the service."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from fabreck.fablab.models import Material, PriceGroup, Rate
from fabreck.projects.services import QuoteLineInput, quote_send
from tests.fablab.helpers import machine_make
from tests.projects.helpers import project_make


def laser_make(site, *, member_rate: str = "40.00", public_rate: str = "60.00", **fields):
    """A laser cutter at 60 €/h for the public and 40 €/h for cluster members."""
    laser = machine_make(site, rate=public_rate, **fields)
    Rate.objects.create(
        price_group=PriceGroup.objects.get(slug="cluster-member"),
        resource=laser,
        hourly_rate=Decimal(member_rate),
    )
    return laser


def material_make(
    site, *, name: str = "Acrylic sheet 3 mm", unit: str = "sheet", price: str = "24.50", **kw
):
    return Material.objects.create(
        site=site,
        name_en=name,
        name_fr=kw.pop("name_fr", f"{name} (fr)"),
        name_de=kw.pop("name_de", f"{name} (de)"),
        unit=unit,
        unit_price=Decimal(price),
        **kw,
    )


def triaged_project(site, lead, *, status: str = "requested", **fields):
    return project_make(status=status, site=site, lead=lead, **fields)


def standard_lines(laser, acrylic) -> list[QuoteLineInput]:
    """5 h of laser (200.00 for a member), 3 sheets (73.50), 2 staff hours at the default
    55.00 (110.00) and 15.90 of shipping: 399.40 before VAT, 67.90 VAT, 467.30 in all."""
    return [
        QuoteLineInput(kind="machine", resource=laser, quantity="5"),
        QuoteLineInput(kind="material", material=acrylic, quantity="3"),
        QuoteLineInput(kind="staff", quantity="2", description="Design check"),
        QuoteLineInput(kind="other", quantity="1", description="Shipping", unit_price="15.90"),
    ]


def quote_make(project, by, lines, **kwargs):
    kwargs.setdefault("valid_until", timezone.localdate() + timedelta(days=30))
    return quote_send(project=project, by=by, lines=lines, **kwargs)
