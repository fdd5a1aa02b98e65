"""An SME asks for a prototype with a drawing; the staff find it in their queue, choose the
site and the lead and leave a staff-only note; the SME sees the triage on the timeline,
never the note, and downloads its drawing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.storage import FileSystemStorage
from django.utils import timezone

from fabreck.projects.models import Attachment, Project
from tests.e2e.test_cluster_flow import _log_in
from tests.e2e.test_fablab_flow import _messages
from tests.fablab.helpers import site_make
from tests.factories import UserFactory, organisation_make

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _log_out(page) -> None:
    page.locator("#user-menu").click()
    page.get_by_test_id("logout").click()


def test_an_sme_requests_a_prototype_and_staff_triage_it(
    browser_page, live_server, settings, tmp_path, monkeypatch
):
    from playwright.sync_api import expect

    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(mail_dir)
    private = tmp_path / "private"
    monkeypatch.setattr(
        Attachment._meta.get_field("file"), "storage", FileSystemStorage(location=private)
    )
    staff = UserFactory(roles=["site_staff"], first_name="Sam", last_name="Staff")
    site = site_make(staff=[staff], name="FabLab Esch")
    owner = UserFactory(first_name="Claire", last_name="Bijou")
    organisation_make(owner=owner, name="Bijoux Lux", kind="company", size_band="10-49")
    drawing = tmp_path / "stand.pdf"
    drawing.write_bytes(b"%PDF-1.4 the stand")
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 1600})
    base = live_server.url

    # 1. The SME's owner asks for a prototype from the account menu.
    _log_in(page, base, owner)
    page.locator("#user-menu").click()
    page.get_by_role("link", name="Request a prototype").click()
    form = page.get_by_test_id("request-form")
    form.get_by_label("On behalf of").select_option(label="Bijoux Lux")
    form.get_by_label("Title").fill("Acrylic display stand")
    form.get_by_label("Goal").fill("Show our jewellery in the shop window")
    form.get_by_label("Description").fill("Laser-cut acrylic, 40 x 30 cm, three shelves.")
    form.get_by_label("Laser cutter").check()
    form.get_by_label("Quantity").fill("3")
    deadline = (timezone.localdate() + timedelta(days=30)).isoformat()
    form.get_by_label("Deadline").fill(deadline)
    form.get_by_label("Confidential (under NDA): never shown in public").check()
    form.get_by_label("Files").set_input_files(str(drawing))
    form.get_by_role("button", name="Send the request").click()

    project = Project.objects.get()
    expect(page.get_by_test_id("project-status")).to_have_attribute("data-status", "requested")
    expect(page.get_by_test_id("timeline")).to_contain_text("stand.pdf")
    assert project.requester_kind == "sme" and project.confidential
    assert any(owner.email in m["To"] for m in _messages(mail_dir))
    _log_out(page)

    # 2. Staff find it in their queue, choose the site and lead, and leave a note.
    _log_in(page, base, staff)
    page.goto(base + "/projects/staff/")
    page.get_by_label("Status").select_option("requested")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name="Acrylic display stand").click()
    triage = page.get_by_test_id("triage")
    triage.get_by_label("Site").select_option(label="FabLab Esch")
    triage.get_by_label("Staff lead").select_option(label="Sam Staff")
    triage.get_by_role("button", name="Save the triage").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("Staff lead: Sam Staff")
    comment = page.get_by_test_id("comment-form")
    comment.get_by_label("Message").fill("Quote the 5 mm acrylic.")
    comment.get_by_label("Staff only: the organisation never sees this note").check()
    comment.get_by_role("button", name="Send").click()
    expect(page.locator("[data-internal]")).to_contain_text("Quote the 5 mm acrylic.")
    project.refresh_from_db()
    assert (project.site, project.lead) == (site, staff)
    _log_out(page)

    # 3. The SME sees the triage, not the note, and downloads its drawing.
    _log_in(page, base, owner)
    page.goto(base + f"/projects/{project.pk}/")
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("Staff lead: Sam Staff")
    expect(timeline).not_to_contain_text("Quote the 5 mm acrylic.")
    with page.expect_download() as download:
        timeline.get_by_role("link", name="stand.pdf").click()
    assert download.value.suggested_filename == "stand.pdf"
