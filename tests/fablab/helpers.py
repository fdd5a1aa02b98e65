"""Building blocks for FabLab tests: a site open Monday to Saturday, machines, courses."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from fabreck.fablab.models import (
    Course,
    MachineCategory,
    OpeningHours,
    PriceGroup,
    Rate,
    Resource,
    Site,
)


def site_make(*, slug: str = "fablab-test", staff=(), **rules) -> Site:
    site = Site.objects.create(
        slug=slug,
        name=rules.pop("name", "FabLab Test"),
        kind=Site.Kind.PROTOTYPING,
        street="1, rue du Test",
        postcode="L-4365",
        locality="Esch-sur-Alzette",
        **rules,
    )
    for weekday in range(5):
        OpeningHours.objects.create(site=site, weekday=weekday, opens=time(9), closes=time(18))
    OpeningHours.objects.create(site=site, weekday=5, opens=time(10), closes=time(16))
    site.staff.add(*staff)
    return site


def machine_make(
    site: Site,
    *,
    name: str = "Laser cutter Trotec",
    category: str = "laser-cutter",
    space: Resource | None = None,
    courses=(),
    rate: str | None = None,
    **fields,
) -> Resource:
    from django.utils.text import slugify

    machine = Resource.objects.create(
        site=site,
        kind=Resource.Kind.MACHINE,
        category=MachineCategory.objects.get(slug=category),
        name=name,
        slug=fields.pop("slug", slugify(f"{site.slug}-{name}")),
        space=space,
        **fields,
    )
    machine.required_courses.set(courses)
    if rate is not None:
        Rate.objects.create(
            price_group=PriceGroup.objects.get(slug="public"),
            resource=machine,
            hourly_rate=Decimal(rate),
        )
    return machine


def space_make(site: Site, *, name: str = "Workshop room", **fields) -> Resource:
    from django.utils.text import slugify

    return Resource.objects.create(
        site=site,
        kind=Resource.Kind.SPACE,
        name=name,
        slug=slugify(f"{site.slug}-{name}"),
        **fields,
    )


def course_make(*, slug: str = "laser-basics", category: str = "laser-cutter", months=12):
    return Course.objects.create(
        slug=slug,
        category=MachineCategory.objects.get(slug=category),
        name_en="Laser cutting basics",
        name_fr="Bases de la découpe laser",
        name_de="Grundlagen Laserschneiden",
        validity_months=months,
    )


def next_weekday_at(hour: int, minute: int = 0, *, days_ahead: int = 3, weekday: int = 1):
    """A local time on the first `weekday` (0 = Monday) at least `days_ahead` days away:
    inside the test site's opening hours and the booking window."""
    day = timezone.localdate() + timedelta(days=days_ahead)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))
