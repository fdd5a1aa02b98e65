"""A newcomer signs up, confirms their e-mail, logs in, switches to French and logs out."""

from __future__ import annotations

import email
import re
from email import policy
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext

from fabreck.accounts.models import User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "lea.muller@example.lu"
PASSWORD = "Brass-lantern-2025!"
CONFIRM_LINK = re.compile(r"https?://\S+/accounts/confirm-email/[^/\s]+/")


def _mails(mail_dir: Path) -> list[tuple[str, str]]:
    """(recipients, plain-text body) of every message the file e-mail backend wrote."""
    mails = []
    for path in sorted(mail_dir.glob("*.log")):
        # The backend separates the messages of one connection with a line of 79 dashes.
        for raw in re.split(rb"\n-{79}\n", path.read_bytes()):
            if not raw.strip():
                continue
            message = email.message_from_bytes(raw, policy=policy.default)
            part = message.get_body(preferencelist=("plain",))
            if part is not None:
                mails.append((str(message["To"]), part.get_content()))
    return mails


def _french(text: str) -> str:
    with translation.override("fr"):
        return gettext(text)


def test_signup_confirm_login_switch_to_french_and_logout(
    browser_page, live_server, settings, tmp_path
):
    from playwright.sync_api import expect

    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(mail_dir)
    page = browser_page
    user_menu = page.locator("#user-menu")

    # 1. Sign up from the home page.
    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator("header nav").get_by_role("link", name="Sign up", exact=True).click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    page.locator("#id_email").fill(EMAIL)
    page.locator("#id_first_name").fill("Léa")
    page.locator("#id_last_name").fill("Muller")
    expect(page.locator("#id_preferred_language")).to_have_value("en")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    # Verification is mandatory: allauth says a mail was sent, and nobody is logged in.
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    expect(user_menu).to_have_count(0)
    user = User.objects.get(email=EMAIL)
    assert (user.first_name, user.last_name, user.preferred_language) == ("Léa", "Muller", "en")

    # 3a. Logging in before confirming the address does not get in.
    page.goto(live_server.url + "/accounts/login/")
    page.locator("#id_login").fill(EMAIL)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    expect(user_menu).to_have_count(0)

    # 2. The confirmation link arrives as a file; open it and confirm.
    links = [
        m.group(0)
        for to, body in _mails(mail_dir)
        if to == EMAIL
        for m in CONFIRM_LINK.finditer(body)
    ]
    assert links, f"no confirmation link in {sorted(p.name for p in mail_dir.iterdir())}"
    assert links[0].startswith(live_server.url)
    page.goto(links[0])
    page.get_by_role("button", name="Confirm", exact=True).click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(user_menu).to_have_count(0)
    assert user.emailaddress_set.get(email=EMAIL).verified

    # 3b. Now the login works and lands on the profile.
    page.locator("#id_login").fill(EMAIL)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(user_menu).to_have_text("Léa Muller")

    # 4. Switch to French with the navbar's selector (it submits its form on change).
    with page.expect_navigation():
        page.locator("#language-select").select_option("fr")
    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("#language-select")).to_have_value("fr")
    log_out_fr = _french("Log out")
    assert log_out_fr != "Log out", "no French catalogue translates “Log out”"
    user.refresh_from_db()
    assert user.preferred_language == "fr"

    # 5. Log out from the user menu; the logged-out navbar speaks French too.
    user_menu.click()
    logout = page.get_by_test_id("logout")
    expect(logout).to_be_visible()
    expect(logout).to_have_text(log_out_fr)
    logout.click()
    navbar = page.locator("header nav")
    expect(navbar.get_by_role("link", name=_french("Log in"), exact=True)).to_be_visible()
    expect(navbar.get_by_role("link", name=_french("Sign up"), exact=True)).to_be_visible()
    expect(user_menu).to_have_count(0)
    expect(page.locator("html")).to_have_attribute("lang", "fr")
