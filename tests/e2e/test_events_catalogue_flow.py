"""Staff put a workshop online from a tablet-sized screen: the event, a ticket (htmx, no
reload), ten weekly dates, publishing; a visitor then finds it in the catalogue filtered by
age and in the calendar; staff move one date after checking what it changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fabreck.events.models import Event, Session
from tests.e2e.test_cluster_flow import _log_in
from tests.fablab.helpers import site_make
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_staff_publish_a_weekly_workshop_that_visitors_find_in_the_list_and_the_calendar(
    browser_page, live_server, tmp_path
):
    from playwright.sync_api import expect

    staff = UserFactory(roles=["site_staff"])
    site_make(slug="esch", name="FabLab Esch", staff=[staff])
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": 820, "height": 1180})  # a tablet
    _log_in(page, base, staff)

    page.goto(f"{base}/events/manage/new/")
    page.get_by_label("Kind").select_option("children_workshop")
    page.get_by_label("Title in English").fill("Robots for kids")
    page.get_by_label("Title in French").fill("Des robots pour les enfants")
    page.get_by_label("Audience").select_option("children")
    page.get_by_label("Minimum age").fill("6")
    page.get_by_label("Maximum age").fill("12")
    page.get_by_role("button", name="Save the draft").click()
    expect(page.get_by_test_id("status")).to_have_text("Draft")

    page.evaluate("window.stillTheSamePage = true")
    page.get_by_label("Name in English").last.fill("Child")
    page.get_by_label("Price (EUR)").last.fill("5")
    page.get_by_test_id("ticket-add").click()
    expect(page.get_by_test_id("ticket-row")).to_have_count(1)
    assert page.evaluate("window.stillTheSamePage") is True  # htmx swapped the tickets

    first = timezone.localdate() + timedelta(days=7)
    page.get_by_test_id("add-sessions").click()
    page.get_by_label("First date").fill(first.isoformat())
    page.get_by_label("Start time").fill("14:00")
    page.get_by_label("End time").fill("16:00")
    page.get_by_label("Number of weeks").fill("10")
    page.get_by_label("Seats", exact=True).fill("12")
    page.get_by_test_id("create-sessions").click()
    expect(page.get_by_test_id("staff-session")).to_have_count(10)
    page.get_by_test_id("publish").click()
    expect(page.get_by_test_id("status")).to_have_text("Published")
    page.screenshot(path=str(tmp_path / "manage.png"), full_page=True)

    page.goto(f"{base}/events/?age=14")
    expect(page.get_by_test_id("no-event")).to_be_visible()
    page.goto(f"{base}/events/?age=8")
    expect(page.get_by_test_id("event")).to_have_count(1)
    expect(page.get_by_test_id("event")).to_contain_text("12 seats left")
    page.goto(f"{base}/events/calendar/")
    expect(page.locator(".fc-event").filter(has_text="Robots for kids").first).to_be_visible()

    # Move the first date to the next day, after seeing what it changes.
    session = Session.objects.order_by("starts_at").first()
    page.goto(f"{base}/events/manage/sessions/{session.pk}/move/")
    page.get_by_label("New date").fill((first + timedelta(days=1)).isoformat())
    page.get_by_test_id("check").click()
    expect(page.get_by_test_id("confirm-move")).to_contain_text("0 registrations stay valid")
    session.refresh_from_db()
    assert timezone.localtime(session.starts_at).date() == first  # not before confirming
    page.get_by_test_id("confirm").click()
    expect(page.get_by_role("status")).to_contain_text("The session is moved")
    session.refresh_from_db()
    assert timezone.localtime(session.starts_at).date() == first + timedelta(days=1)
    assert Event.objects.get().ticket_categories.get().price == 5
