"""Building blocks for the gallery's tests: two FabLab sites with machines and materials,
and documentations written (and published) through the services."""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from fabreck.cluster.models import Sector
from fabreck.fablab.models import Material, Resource, Site
from fabreck.projects import services
from fabreck.projects.models import Documentation
from tests.fablab.helpers import machine_make, site_make
from tests.factories import UserFactory


@dataclass
class World:
    esch: Site
    differdange: Site
    laser: Resource
    printer: Resource
    waterjet: Resource
    plywood: Material
    pla_esch: Material
    pla_differdange: Material
    steel: Material


def material_make(site: Site, en: str, fr: str, de: str) -> Material:
    return Material.objects.create(
        site=site, name_en=en, name_fr=fr, name_de=de, unit="sheet", unit_price=Decimal("5.00")
    )


def world_make() -> World:
    esch = site_make(slug="esch", name="FabLab Esch")
    differdange = site_make(slug="differdange", name="FabLab Differdange")
    return World(
        esch=esch,
        differdange=differdange,
        laser=machine_make(esch, name="Trotec Speedy 400", category="laser-cutter"),
        printer=machine_make(esch, name="Prusa MK4", category="3d-printer"),
        waterjet=machine_make(differdange, name="Flow Mach 500", category="waterjet"),
        plywood=material_make(
            esch, "Poplar plywood 3 mm", "Contreplaqué peuplier 3 mm", "Pappelsperrholz 3 mm"
        ),
        pla_esch=material_make(esch, "PLA filament", "Filament PLA", "PLA-Filament"),
        pla_differdange=material_make(differdange, "PLA filament", "Filament PLA", "PLA-Filament"),
        steel=material_make(differdange, "Steel sheet 3 mm", "Tôle acier 3 mm", "Stahlblech 3 mm"),
    )


def documentation_make(
    *,
    author=None,
    title: str = "Plywood desk lamp",
    summary: str = "A lamp cut from poplar plywood.",
    site: Site | None = None,
    machines=(),
    materials=(),
    sector: str | None = None,
    licence: str = "cc-by-sa",
    steps=(("Cut", "Cut the parts on the laser."),),
    publish: bool = True,
    **fields,
) -> Documentation:
    author = author or UserFactory()
    documentation = services.documentation_create(
        by=author,
        title=title,
        summary=summary,
        site=site,
        machines=list(machines),
        materials=list(materials),
        sector=Sector.objects.get(slug=sector) if sector else None,
        licence=licence,
        **fields,
    )
    for step_title, body in steps:
        services.step_add(documentation=documentation, by=author, title=step_title, body=body)
    if publish:
        documentation = services.documentation_publish(
            documentation=documentation, by=author, consent=True
        )
    documentation.refresh_from_db()
    return documentation


def png_upload(name: str = "picture.png", size=(8, 6)) -> SimpleUploadedFile:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")
