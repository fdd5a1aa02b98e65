"""A maker without training cannot book a laser cutter and is told why; the staff record
the training at their desk; the maker then books a slot by dragging over free time in the calendar's
week view, sees the price, receives an e-mail with the booking as an ICS attachment, and
cancels."""

from __future__ import annotations

import email
import re
from datetime import UTC, timedelta
from email import policy
from pathlib import Path

import pytest

from fabreck.fablab.models import Authorisation, Booking
from tests.e2e.test_cluster_flow import _log_in
from tests.fablab.helpers import course_make, machine_make, next_weekday_at, site_make
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _messages(mail_dir: Path) -> list[email.message.EmailMessage]:
    """Every message the file e-mail backend wrote."""
    found = []
    for path in sorted(mail_dir.glob("*.log")):
        for raw in re.split(rb"\n-{79}\n", path.read_bytes()):
            if raw.strip():
                found.append(email.message_from_bytes(raw, policy=policy.default))
    return found


def _drag(page, day: str, start: str, end: str) -> None:
    """Drag in the week view from `start` to `end` (HH:MM, 15-minute marks) on `day`.
    Slots last 30 minutes and snap to 15: aim at the quarter of the row that holds the
    wanted quarter-hour."""

    def y_of(moment: str, *, ending: bool) -> float:
        hour, minute = (int(part) for part in moment.split(":"))
        if ending:  # the selection ends after the quarter-hour that holds the mouse
            total = hour * 60 + minute - 15
            hour, minute = divmod(total, 60)
        row_time = f"{hour:02d}:{minute - minute % 30:02d}:00"
        row = page.locator(f"td.fc-timegrid-slot-lane[data-time='{row_time}']")
        box = row.bounding_box()
        quarter = 0.25 if minute % 30 == 0 else 0.75
        return box["y"] + box["height"] * quarter

    column = page.locator(f"td.fc-timegrid-col[data-date='{day}']").bounding_box()
    x = column["x"] + column["width"] / 2
    page.mouse.move(x, y_of(start, ending=False))
    page.mouse.down()
    page.mouse.move(x, y_of(start, ending=False) + 5, steps=3)
    page.mouse.move(x, y_of(end, ending=True), steps=10)
    page.mouse.up()


def test_a_maker_is_told_to_train_then_books_from_the_calendar_and_cancels(
    browser_page, live_server, settings, tmp_path
):
    from playwright.sync_api import expect

    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(mail_dir)
    staff = UserFactory(roles=["site_staff"])
    site = site_make(staff=[staff], name="FabLab Esch")
    course = course_make()
    laser = machine_make(site, rate="30.00", courses=[course])
    maker = UserFactory(roles=["maker"], first_name="Léa", last_name="Muller")
    start = next_weekday_at(10)
    day = start.date().isoformat()
    page = browser_page
    page.set_viewport_size({"width": 1400, "height": 1800})
    base = live_server.url

    # 1. The maker finds the laser cutter through the FabLab pages.
    _log_in(page, base, maker)
    page.locator("header nav").get_by_role("link", name="FabLab", exact=True).click()
    page.get_by_role("link", name="FabLab Esch", exact=True).first.click()
    page.get_by_test_id("resource-link").filter(has_text="Laser cutter Trotec").click()
    expect(page.get_by_test_id("trainings")).to_contain_text("Laser cutting basics")
    expect(page.get_by_test_id("trainings")).to_contain_text("you still need it")
    expect(page.get_by_test_id("hourly-rate")).to_contain_text("30.00 € per hour")

    # 2. Without the training, a slot chosen in the calendar cannot be booked, and says why.
    page.goto(f"{base}/fablab/calendar/?resource={laser.slug}&date={day}")
    expect(page.locator(".fc-bg-event").first).to_be_attached()
    _drag(page, day, "10:00", "11:30")
    expect(page).to_have_url(re.compile(r"/fablab/book/\?"))
    violations = page.get_by_test_id("rule-violations")
    expect(violations).to_contain_text(
        "A valid authorisation from the training “Laser cutting basics” is needed"
    )
    expect(page.get_by_test_id("missing-training")).to_contain_text("Laser cutting basics")
    expect(page.get_by_test_id("confirm")).to_have_count(0)
    assert not Booking.objects.exists()

    # 3. The staff record the training at their desk, in a browser of their own.
    staff_context = page.context.browser.new_context()
    staff_page = staff_context.new_page()
    _log_in(staff_page, base, staff)
    staff_page.goto(f"{base}/fablab/{site.slug}/desk/authorisations/grant/")
    staff_page.get_by_label("E-mail of the maker").fill(maker.email)
    staff_page.get_by_label("Course").select_option(label="Laser cutting basics")
    staff_page.get_by_label("Evidence of prior experience").fill("Course passed in 2024")
    staff_page.get_by_role("button", name="Grant the authorisation").click()
    expect(staff_page.locator(".alert-success")).to_be_visible()
    staff_context.close()
    assert Authorisation.objects.filter(user=maker, course=course, issued_by=staff).exists()

    # 4. The maker drags over the same free time again: the preview shows the price.
    page.goto(f"{base}/fablab/calendar/?resource={laser.slug}&date={day}")
    expect(page.locator(".fc-bg-event").first).to_be_attached()
    _drag(page, day, "10:00", "11:30")
    expect(page.get_by_test_id("preview-when")).to_contain_text("10:00 \u2013 11:30")
    expect(page.get_by_test_id("preview-price")).to_contain_text("45.00 €")
    expect(page.get_by_test_id("rule-violations")).to_have_count(0)
    page.get_by_test_id("confirm").click()

    # 5. Booked: the page shows the price; the confirmation carries the ICS attachment.
    expect(page).to_have_url(re.compile(r"/fablab/bookings/\d+/$"))
    expect(page.get_by_test_id("booking-status")).to_have_text("Confirmed")
    expect(page.get_by_test_id("booking-price")).to_contain_text("45.00 €")
    booking = Booking.objects.get()
    assert (booking.user, booking.starts_at, booking.ends_at) == (
        maker,
        start,
        start + timedelta(minutes=90),
    )
    [message] = [m for m in _messages(mail_dir) if m["To"] == maker.email]
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "booking.ics"
    assert attachment.get_content_type() == "text/calendar"
    ics = attachment.get_content()
    ics = ics.decode() if isinstance(ics, bytes) else ics
    assert f"DTSTART:{start.astimezone(UTC):%Y%m%dT%H%M%SZ}" in ics

    # 6. The calendar now shows the booking as the maker's own.
    page.goto(f"{base}/fablab/calendar/?resource={laser.slug}&date={day}")
    expect(page.locator(".fc-event").filter(has_text="Your booking")).to_be_visible()

    # 7. The maker cancels from the booking's page.
    page.goto(f"{base}/fablab/bookings/{booking.pk}/")
    expect(page.get_by_test_id("change-deadline")).to_contain_text("for free until")
    page.get_by_test_id("cancel").click()
    expect(page.get_by_test_id("booking-status")).to_have_text("Cancelled")
    booking.refresh_from_db()
    assert booking.status == "cancelled"
