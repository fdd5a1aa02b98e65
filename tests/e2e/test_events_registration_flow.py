"""Issue 5, "Done when": a guardian registers two children for a workshop, one refused for
age with a clear message and the other registered; the session is full, so another
guardian's child lands on the waitlist; the first guardian cancels on "My registrations",
the second receives a claim link by e-mail, opens it and claims the seat. Every e-mail
(confirmation, waitlist, offer, claim confirmation) is in the file backend."""

from __future__ import annotations

import email
import re
from email import policy
from pathlib import Path

import pytest

from fabreck.events.models import Registration
from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.test_cluster_flow import _log_in
from tests.events.helpers import child_make, event_make, session_make
from tests.fablab.helpers import site_make
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CLAIM_LINK = re.compile(r"https?://\S+(/events/claim/[^/\s]+/)")


def _mails(mail_dir: Path) -> list[tuple[str, str, str]]:
    """(recipients, subject, plain-text body) of every message the file backend wrote."""
    mails = []
    for path in sorted(mail_dir.glob("*.log")):
        # The backend separates the messages of one connection with a line of 79 dashes.
        for raw in re.split(rb"\n-{79}\n", path.read_bytes()):
            if not raw.strip():
                continue
            message = email.message_from_bytes(raw, policy=policy.default)
            part = message.get_body(preferencelist=("plain",))
            body = part.get_content() if part is not None else ""
            mails.append((str(message["To"]), str(message["Subject"]), body))
    return mails


def _subjects(mail_dir: Path, person) -> list[str]:
    return [subject for to, subject, _body in _mails(mail_dir) if to == person.email]


def _new_page(browser):
    context = browser.new_context(locale="en-GB", extra_http_headers={"Accept-Language": "en"})
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context.new_page()


def test_children_register_a_full_session_fills_a_cancellation_offers_the_seat_to_the_waitlist(
    browser_page, live_server, settings, tmp_path
):
    from playwright.sync_api import expect

    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(mail_dir)
    settings.SITE_URL = live_server.url
    base = live_server.url

    staff = UserFactory(roles=["site_staff"])
    site = site_make(slug="esch", name="FabLab Esch", staff=[staff])
    event = event_make(slug="robots", title_en="Robots for kids", site=site, venue="")
    session = session_make(event, capacity=1)
    anna = UserFactory(roles=["guardian"], first_name="Anna", last_name="Weber")
    lea = child_make(anna, first_name="Lea", age=8)
    child_make(anna, first_name="Max", age=14)
    bruno = UserFactory(roles=["guardian"], first_name="Bruno", last_name="Klein")
    ben = child_make(bruno, first_name="Ben", age=9)

    # 1. Visitors are asked to log in; Anna does, then opens the children's form (htmx).
    page = browser_page
    page.goto(f"{base}/events/robots/")
    expect(page.get_by_test_id("login-to-register")).to_be_visible()
    _log_in(page, base, anna)
    page.goto(f"{base}/events/robots/")
    expect(page.get_by_test_id("session-state")).to_have_text("1 seat left")
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_test_id("register-children").click()
    form = page.get_by_test_id("children-form")
    expect(form).to_be_visible()
    assert page.evaluate("window.stillTheSamePage") is True  # loaded in place

    # 2. Both children: Max is too old, so nothing is stored and the message names him.
    form.get_by_label(re.compile(r"^Lea \(8 years old")).check()
    form.get_by_label(re.compile(r"^Max \(14 years old")).check()
    page.get_by_test_id("submit-children").click()
    expect(page.get_by_test_id("refusal")).to_contain_text("Max will be 14 years old on")
    expect(page.get_by_test_id("refusal")).to_contain_text("is for ages 6 to 12")
    assert not Registration.objects.exists()
    page.screenshot(path=str(tmp_path / "refused.png"), full_page=True)

    # 3. Lea alone: confirmed; she takes the only seat.
    page.get_by_label(re.compile(r"^Max")).uncheck()
    page.get_by_test_id("submit-children").click()
    expect(page.get_by_test_id("registration")).to_have_count(1)
    expect(page.get_by_test_id("registration")).to_contain_text("Lea")
    expect(page.get_by_test_id("status").first).to_have_text("Confirmed")
    page.goto(f"{base}/events/robots/")
    expect(page.get_by_test_id("session-state")).to_have_text("Full")

    # 4. Bruno finds the session full: Ben joins the waitlist, first in line.
    other = _new_page(page.context.browser)
    try:
        _log_in(other, base, bruno)
        other.goto(f"{base}/events/robots/")
        waitlist_button = other.get_by_test_id("register-children")
        expect(waitlist_button).to_have_text("Join the waitlist")
        waitlist_button.click()
        other.get_by_label(re.compile(r"^Ben")).check()
        other.get_by_test_id("submit-children").click()
        expect(other.get_by_test_id("status")).to_have_text("On the waitlist, position 1")

        # 5. Anna cancels on "My registrations", after confirming.
        page.locator("#user-menu").click()
        page.get_by_role("link", name="My registrations").click()
        row = page.get_by_test_id("my-registration")
        expect(row).to_contain_text("Robots for kids")
        expect(row).to_contain_text("Lea")
        row.get_by_test_id("cancel").click()
        page.get_by_test_id("confirm-cancel").click()
        expect(page.get_by_role("status")).to_contain_text(
            "The registration of Lea for “Robots for kids” is cancelled."
        )
        expect(row.get_by_test_id("status")).to_have_text("Cancelled")
        expect(row.get_by_test_id("cancel")).to_have_count(0)
        page.screenshot(path=str(tmp_path / "my-registrations.png"), full_page=True)

        # 6. Bruno has the claim link by e-mail; his page says a seat is offered.
        [offer] = [b for to, s, b in _mails(mail_dir) if to == bruno.email and "free" in s]
        path = CLAIM_LINK.search(offer).group(1)
        other.goto(f"{base}/events/my/")
        expect(other.get_by_test_id("status")).to_contain_text("A seat is offered to you until")
        other.goto(base + path)
        other.get_by_test_id("claim").click()
        expect(other.get_by_role("status")).to_contain_text(
            "The seat is yours: Ben is registered for “Robots for kids”."
        )
        expect(other.get_by_test_id("status")).to_have_text("Confirmed")
    finally:
        other.context.close()

    assert Registration.objects.get(child=ben).status == "confirmed"
    assert Registration.objects.get(child=lea).status == "cancelled"
    session.refresh_from_db()
    assert session.seats_taken == 1
    assert _subjects(mail_dir, anna) == ["[Fabreck] Registration confirmed: Robots for kids"]
    assert sorted(_subjects(mail_dir, bruno)) == [
        "[Fabreck] A seat is free for you: Robots for kids",
        "[Fabreck] On the waitlist: Robots for kids",
        "[Fabreck] Registration confirmed: Robots for kids",
    ]
    [waiting] = [b for to, s, b in _mails(mail_dir) if to == bruno.email and "waitlist" in s]
    assert "Ben: number 1 in the queue" in waiting
