"""At the site desk, staff check a maker in and record a material without leaving the
page (htmx swaps the booking's card); at the kiosk the maker checks out with big buttons."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from fabreck.fablab.models import Booking, Material, MaterialUse
from fabreck.fablab.services import booking_create
from tests.e2e.test_cluster_flow import _log_in
from tests.fablab.helpers import machine_make, site_make
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_staff_check_a_maker_in_at_the_desk_and_the_maker_checks_out_at_the_kiosk(
    browser_page, live_server, tmp_path
):
    from playwright.sync_api import expect

    staff = UserFactory(roles=["site_staff"])
    maker = UserFactory(roles=["maker"], first_name="Ada", last_name="Lovelace")
    site = site_make(staff=[staff])
    laser = machine_make(site)
    Material.objects.create(
        site=site, name_en="Plywood", name_fr="Contreplaqué", name_de="Sperrholz",
        unit="sheet", unit_price=Decimal("4.50"),
    )  # fmt: skip
    start = (timezone.now() + timedelta(minutes=5)).replace(second=0, microsecond=0)
    booking = booking_create(
        by=staff, maker=maker, resource=laser, starts_at=start,
        ends_at=start + timedelta(hours=1), override=True,
    )  # fmt: skip
    page, base = browser_page, live_server.url
    _log_in(page, base, staff)

    page.goto(f"{base}/fablab/{site.slug}/desk/")
    page.evaluate("window.stillTheSamePage = true")
    card = page.locator(f"#booking-{booking.pk}")
    expect(card).to_contain_text("Ada Lovelace")
    card.get_by_role("button", name="Check in").click()
    expect(card.get_by_test_id("usage-state")).to_contain_text("Here since")
    card.get_by_label("Quantity").fill("2")
    card.get_by_role("button", name="Add").click()
    expect(card.get_by_test_id("material-use")).to_contain_text("9.00 €")
    assert page.evaluate("window.stillTheSamePage") is True  # no reload: htmx swapped the card
    page.screenshot(path=str(tmp_path / "desk.png"), full_page=True)
    assert MaterialUse.objects.get(booking=booking).quantity == Decimal("2.00")

    page.goto(f"{base}/fablab/{site.slug}/kiosk/")
    page.get_by_label("Type the e-mail address of your account").fill(maker.email)
    page.get_by_role("button", name="Show my bookings of today").click()
    page.get_by_role("button", name="Check out").click()
    expect(page.get_by_role("status")).to_contain_text("Goodbye!")
    page.screenshot(path=str(tmp_path / "kiosk.png"), full_page=True)
    booking = Booking.objects.get(pk=booking.pk)
    assert booking.checked_in_at and booking.checked_out_at
