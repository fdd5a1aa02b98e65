"""The requester of a delivered project documents it from the project page: a step with
its picture, a collaborator invited by e-mail who accepts with the link, publication with
consent; the project then appears in the public gallery's search, and its page shows it."""

from __future__ import annotations

import io
import re

import pytest

from fabreck.projects.models import Collaborator, Documentation
from tests.e2e.test_cluster_flow import _log_in
from tests.e2e.test_signup_flow import _mails
from tests.fablab.helpers import machine_make, site_make
from tests.factories import UserFactory
from tests.projects.helpers import project_make

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _png(tmp_path):
    from PIL import Image

    path = tmp_path / "cutting.png"
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), "orange").save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


def test_a_delivered_project_is_documented_and_appears_in_the_gallery(
    browser_page, live_server, settings, tmp_path
):
    from playwright.sync_api import expect

    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(mail_dir)
    settings.MEDIA_ROOT = tmp_path / "media"
    base = live_server.url
    settings.SITE_URL = base
    staff = UserFactory(roles=["site_staff"])
    site = site_make(slug="esch", name="FabLab Esch", staff=[staff])
    machine_make(site, name="Trotec Speedy 400", category="laser-cutter")
    owner = UserFactory(first_name="Nora", last_name="Klein")
    project = project_make(
        requested_by=owner, status="delivered", site=site, lead=staff, title="Shop-window stand"
    )
    lea = UserFactory(first_name="Léa", last_name="Muller", email="lea@atelier.lu")
    for path in mail_dir.iterdir():
        path.unlink()

    # 1. From the project page, "document this project": a draft prefilled from it.
    page = browser_page
    _log_in(page, base, owner)
    page.goto(f"{base}/projects/{project.pk}/")
    page.get_by_test_id("document-project").click()
    expect(page).to_have_url(re.compile(r"/gallery/shop-window-stand/edit/$"))
    expect(page.locator("#id_title")).to_have_value("Shop-window stand")
    expect(page.get_by_test_id("documentation-status")).to_have_attribute("data-status", "draft")

    # 2. The machine used, a step with its picture.
    page.locator("#id_machines").select_option(label="Trotec Speedy 400 (FabLab Esch)")
    page.locator("#id_licence").select_option("cc-by")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".alert-success")).to_have_text("The documentation is saved.")
    page.locator("#id_step-title").fill("Cut the acrylic")
    page.locator("#id_step-body").fill("Cut 3 mm cast acrylic on the laser, film on.")
    page.locator("#id_step-image").set_input_files(str(_png(tmp_path)))
    page.get_by_role("button", name="Add the step").click()
    expect(page.get_by_test_id("step")).to_have_count(1)

    # 3. A collaborator invited by e-mail accepts with the link.
    page.locator("#id_invite-email").fill("lea@atelier.lu")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_test_id("collaborator")).to_have_attribute("data-email", "lea@atelier.lu")
    [(to, body)] = _mails(mail_dir)
    assert "lea@atelier.lu" in to
    link = re.search(rf"{re.escape(base)}/gallery/invitations/\S+/", body).group(0)
    page.context.clear_cookies()
    _log_in(page, base, lea)
    page.goto(link)
    page.get_by_test_id("accept-invitation").click()
    expect(page).to_have_url(re.compile(r"/gallery/shop-window-stand/edit/$"))
    assert Collaborator.objects.get().user == lea

    # 4. The author publishes: the consent box first.
    page.context.clear_cookies()
    _log_in(page, base, owner)
    page.goto(f"{base}/gallery/shop-window-stand/edit/")
    page.get_by_test_id("publish").click()
    expect(page.locator("#id_publish-consent-errors")).to_contain_text("Tick the box")
    assert Documentation.objects.get().status == "draft"
    page.locator("#id_publish-consent").check()
    page.get_by_test_id("publish").click()
    expect(page).to_have_url(re.compile(r"/gallery/shop-window-stand/$"))
    expect(page.get_by_test_id("draft-banner")).to_have_count(0)

    # 5. Anyone finds it in the gallery with a search and a filter.
    page.context.clear_cookies()
    page.goto(f"{base}/gallery/")
    page.locator("#g-q").fill("acrylic")
    page.locator("#g-machine").select_option("laser-cutter")
    page.locator("#g-q").press("Enter")
    card = page.get_by_test_id("gallery-card")
    expect(card).to_have_count(1)
    expect(card).to_have_attribute("data-slug", "shop-window-stand")
    card.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Shop-window stand")
    expect(page.get_by_test_id("step")).to_have_count(1)
    expect(page.get_by_test_id("licence")).to_have_attribute("data-licence", "cc-by")
    expect(page.get_by_text("Léa Muller")).to_be_visible()
