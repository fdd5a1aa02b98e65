"""In the browser: staff quote a triaged project line by line, the requester accepts it,
staff book the laser for the project and check the maker in at the desk, and the project
page shows actual versus quoted."""

from __future__ import annotations

import pytest

from fabreck.projects.models import Project, Quote
from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.projects_helpers import screenshot, slot_open_for_check_in
from tests.e2e.test_cluster_flow import _log_in
from tests.fablab.helpers import site_make
from tests.factories import UserFactory
from tests.projects.quote_helpers import laser_make, material_make, triaged_project

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_staff_quote_the_requester_accepts_staff_book_and_costs_show(
    browser_page, live_server, tmp_path
):
    from playwright.sync_api import expect

    staff = UserFactory(roles=["site_staff"], first_name="Sam", last_name="Staff")
    site = site_make(staff=[staff])
    laser = laser_make(site)
    material_make(site)
    project = triaged_project(site, staff, title="Shop window stand")
    requester = project.requested_by
    page, base = browser_page, live_server.url

    # Staff write the quote: 5 h of laser, 3 sheets, 2 staff hours.
    _log_in(page, base, staff)
    page.goto(f"{base}/projects/{project.pk}/")
    page.get_by_test_id("quote-new").click()
    rows = page.get_by_test_id("quote-line")
    rows.nth(0).locator("select[name$=kind]").select_option("machine")
    rows.nth(0).locator("select[name$=resource]").select_option(label=laser.name)
    rows.nth(0).locator("input[name$=quantity]").fill("5")
    rows.nth(1).locator("select[name$=kind]").select_option("material")
    rows.nth(1).locator("select[name$=material]").select_option(
        label="Acrylic sheet 3 mm (24.50 € / sheet)"
    )
    rows.nth(1).locator("input[name$=quantity]").fill("3")
    rows.nth(2).locator("select[name$=kind]").select_option("staff")
    rows.nth(2).locator("input[name$=quantity]").fill("2")
    screenshot(page, tmp_path, "quote-builder")
    page.get_by_test_id("quote-send").click()
    expect(page.get_by_test_id("project-status")).to_have_attribute("data-status", "quoted")
    expect(page.get_by_test_id("quote-gross")).to_have_text("448.70\xa0€")  # 383.50 + 65.20 VAT
    screenshot(page, tmp_path, "project-quoted-staff")

    # The requester accepts it, in a browser of their own.
    context = page.context.browser.new_context(
        locale="en-GB", extra_http_headers={"Accept-Language": "en"}
    )
    context.set_default_timeout(TIMEOUT_MS)
    theirs = context.new_page()
    try:
        _log_in(theirs, base, requester)
        theirs.goto(f"{base}/projects/{project.pk}/")
        screenshot(theirs, tmp_path, "project-quoted-requester")
        theirs.get_by_test_id("quote-accept").click()
        expect(theirs.get_by_test_id("project-status")).to_have_attribute("data-status", "accepted")
        expect(theirs.get_by_role("status")).to_contain_text("You accepted version 1")
    finally:
        context.close()
    assert Quote.objects.get(project=project).status == "accepted"

    # Staff book the laser for the project, at a time the desk can check in now, and check
    # the maker in.
    start, end = slot_open_for_check_in()
    page.goto(f"{base}/projects/{project.pk}/")
    page.get_by_test_id("booking-new").click()
    page.get_by_label("Machine or space").select_option(label=laser.name)
    page.get_by_label("Date").fill(start.date().isoformat())
    page.get_by_label("Start time").fill(start.strftime("%H:%M"))
    page.get_by_label("End time").fill(end.strftime("%H:%M"))
    screenshot(page, tmp_path, "project-booking")
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.get_by_test_id("project-status")).to_have_attribute("data-status", "in_progress")
    expect(page.get_by_test_id("project-booking")).to_contain_text("Expected")
    page.get_by_test_id("desk-link").click()
    booking = Project.objects.get(pk=project.pk).bookings.get().booking
    page.locator(f"#booking-{booking.pk}").get_by_role("button", name="Check in").click()
    expect(page.locator(f"#booking-{booking.pk}").get_by_test_id("usage-state")).to_contain_text(
        "Here since"
    )

    # Actual versus quoted: the booked hour at the organisation's 40.00 €/h so far.
    page.goto(f"{base}/projects/{project.pk}/")
    expect(page.get_by_test_id("project-booking")).to_contain_text("Here since")
    hours = (end - start).total_seconds() / 3600
    actual = f"{40 * hours:,.2f}\xa0€"
    expect(page.get_by_test_id("cost-actual")).to_have_text(actual)
    expect(page.get_by_test_id("cost-quoted")).to_have_text("383.50\xa0€")
    screenshot(page, tmp_path, "project-costs")
