"""The project page writes a booking's machine hours the same way in the booking list and
in "actual versus quoted": rounded half up to the hundredth (as the statistics do)."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from fabreck.fablab.services import booking_check_in, booking_check_out
from fabreck.projects.services import project_booking_create, quote_accept
from tests.fablab.helpers import next_weekday_at
from tests.factories import PASSWORD
from tests.projects.quote_helpers import (
    laser_make,
    material_make,
    quote_make,
    standard_lines,
    triaged_project,
)

pytestmark = pytest.mark.django_db


def _page_after(client, site, staff, used: timedelta) -> str:
    """The project page once the laser (40 €/h) was used for `used`."""
    laser, acrylic = laser_make(site), material_make(site)
    project = triaged_project(site, staff)
    quote_accept(
        quote=quote_make(project, staff, standard_lines(laser, acrylic)),
        by=project.requested_by,
    )
    start = next_weekday_at(10)
    booking = project_booking_create(
        project=project, by=staff, resource=laser, starts_at=start,
        ends_at=start + timedelta(hours=1),
    ).booking  # fmt: skip
    booking_check_in(booking=booking, by=staff, now=start)
    booking_check_out(booking=booking, by=staff, now=start + used)
    client.login(email=staff.email, password=PASSWORD)
    response = client.get(reverse("projects:detail", args=[project.pk]))
    assert response.status_code == 200
    # Any run of white space (no-break ones too) as one space.
    # Tags out, any run of white space (no-break spaces too) as one space.
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_an_eighth_of_an_hour_reads_0_13_h_on_the_booking_and_in_the_costs(client, site, staff):
    text = _page_after(client, site, staff, timedelta(minutes=7, seconds=30))

    assert "Used 0.13 h" in text
    assert "5 h · 200.00 € 0.13 h · 5.00 €" in text  # quoted, then actual


def test_a_few_seconds_read_0_h_on_the_booking_as_in_the_costs(client, site, staff):
    text = _page_after(client, site, staff, timedelta(seconds=9))

    assert "Used 0 h" in text
    assert "5 h · 200.00 € 0 h · 0.10 €" in text
