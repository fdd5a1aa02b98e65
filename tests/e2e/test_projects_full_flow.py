"""Issue 6, done when: in one browser session, an SME's admin asks for a prototype with a
drawing; staff triage it and quote it; the SME accepts the quote from the e-mail's link;
staff book the laser for the project, check the maker in and out at the desk, record the
acrylic used and their own time; the project page shows actual versus quoted; staff
deliver; the SME documents the project and publishes it; a visitor finds it in the
gallery by searching and filtering, and opens its page.

Only the fixtures (people, the organisation, the site with its machines, rates and
catalogue, and two other documented projects for the gallery) are made in Python; every
step of the flow goes through the pages. No page answers a server error."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.utils import timezone

from fabreck.cluster.models import OrganisationPerson
from fabreck.fablab.models import Booking, Site
from fabreck.fablab.selectors import price_round
from fabreck.projects.models import Documentation, Project
from tests.e2e.projects_helpers import screenshot, server_errors, slot_open_for_check_in
from tests.e2e.test_cluster_flow import _log_in
from tests.e2e.test_signup_flow import _mails
from tests.fablab.helpers import machine_make, site_make
from tests.factories import PASSWORD, UserFactory, organisation_make
from tests.projects.gallery_helpers import documentation_make
from tests.projects.quote_helpers import laser_make, material_make

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "Illuminated acrylic display"
ACRYLIC = "Acrylic sheet 3 mm"
EUR = "\xa0€"


def _png(tmp_path):
    from PIL import Image

    path = tmp_path / "engraving.png"
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), "teal").save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


def _as(page, base: str, user) -> None:
    """Whoever used the browser leaves it (cookies cleared), `user` logs in."""
    page.context.clear_cookies()
    _log_in(page, base, user)


def _status(page, status: str, label: str) -> None:
    from playwright.sync_api import expect

    badge = page.get_by_test_id("project-status")
    expect(badge).to_have_attribute("data-status", status)
    expect(badge).to_have_text(label)


def _cost_row(page, kind: str):
    """The quoted, actual and difference cells of one row of "actual versus quoted"."""
    cells = page.locator(f"[data-testid=cost-row][data-kind={kind}]").locator("td")
    return cells.nth(0), cells.nth(1), cells.nth(2)


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}{EUR}"


def _hours(hours: Decimal) -> str:
    """Hours as the pages write them, to the hundredth rounded half up: 5, 1.50, 0.42, 0."""
    hours = hours.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{hours:.0f}" if hours == hours.to_integral_value() else f"{hours}"


def test_an_sme_prototype_from_request_to_the_public_gallery(
    browser_page, live_server, settings, tmp_path
):
    from playwright.sync_api import expect

    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(mail_dir)
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    base = live_server.url
    settings.SITE_URL = base

    # Fixtures: the FabLab's staff and sites, the laser at 40 €/h for cluster members,
    # acrylic at 24.50 € a sheet; an SME of the cluster with its owner and an admin.
    staff = UserFactory(roles=["site_staff"], first_name="Sam", last_name="Staff")
    esch = site_make(slug="esch", name="FabLab Esch", staff=[staff])
    differdange = site_make(slug="differdange", name="FabLab Differdange")
    Site.objects.filter(pk=differdange.pk).update(kind=Site.Kind.INDUSTRIAL)
    laser = laser_make(esch, name="Trotec Speedy 400", slug="esch-trotec")
    printer = machine_make(esch, name="Prusa MK4", category="3d-printer")
    acrylic = material_make(esch, name=ACRYLIC)
    owner = UserFactory(first_name="Claire", last_name="Bijou")
    organisation = organisation_make(
        owner=owner, name="Bijoux Lux", kind="company", size_band="10-49", sectors=("design",)
    )
    admin = UserFactory(first_name="Marc", last_name="Weber", email="marc@bijoux.lu")
    OrganisationPerson.objects.create(organisation=organisation, user=admin, role="admin")
    # Already in the gallery, three other projects for the visitor's search and filters to
    # leave out: acrylic but printed; acrylic cut on the laser but under another licence;
    # cut on the laser but in plywood.
    documentation_make(
        title="Acrylic key rings", summary="Printed acrylic-look key rings.", site=esch,
        machines=[printer], licence="cc-by-nc", sector="design",
    )  # fmt: skip
    documentation_make(
        title="Acrylic coasters", summary="Coasters cut on the laser.", site=esch,
        machines=[laser], materials=[acrylic], licence="cc-by", sector="design",
    )  # fmt: skip
    documentation_make(
        title="Plywood shelf", summary="A shelf cut on the laser.", site=esch,
        machines=[laser], licence="cc-by-nc", sector="design",
    )  # fmt: skip
    drawing = tmp_path / "display.pdf"
    drawing.write_bytes(b"%PDF-1.4 the display")

    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 1600})
    errors = server_errors(page.context)

    # 1. The SME's admin asks for a prototype, with a drawing, from the account menu.
    _as(page, base, admin)
    page.locator("#user-menu").click()
    page.get_by_role("link", name="Request a prototype").click()
    form = page.get_by_test_id("request-form")
    form.get_by_label("On behalf of").select_option(label="Bijoux Lux")
    form.get_by_label("Title").fill(TITLE)
    form.get_by_label("Goal").fill("Show our jewellery lit from below in the shop window")
    form.get_by_label("Description").fill("Laser-cut acrylic, 40 x 30 cm, engraved logo.")
    form.get_by_label("Laser cutter").check()
    form.get_by_label("Quantity").fill("2")
    form.get_by_label("Deadline").fill((timezone.localdate() + timedelta(days=30)).isoformat())
    form.get_by_label("Files").set_input_files(str(drawing))
    form.get_by_role("button", name="Send the request").click()
    _status(page, "requested", "Requested")
    expect(page.get_by_test_id("timeline")).to_contain_text("display.pdf")
    project = Project.objects.get()
    assert (project.organisation, project.requester_kind) == (organisation, "sme")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)

    # 2. Staff find it in their queue, choose the site and the lead, and write the quote:
    #    5 h of laser, 3 sheets of acrylic, 2 staff hours.
    _as(page, base, staff)
    page.locator("#user-menu").click()
    page.get_by_role("link", name="Prototyping projects").click()
    page.get_by_label("Status").select_option("requested")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name=TITLE).click()
    triage = page.get_by_test_id("triage")
    triage.get_by_label("Site").select_option(label="FabLab Esch")
    triage.get_by_label("Staff lead").select_option(label="Sam Staff")
    triage.get_by_role("button", name="Save the triage").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("Staff lead: Sam Staff")
    _status(page, "requested", "Requested")
    page.get_by_test_id("quote-new").click()
    rows = page.get_by_test_id("quote-line")
    rows.nth(0).locator("select[name$=kind]").select_option("machine")
    rows.nth(0).locator("select[name$=resource]").select_option(label=laser.name)
    rows.nth(0).locator("input[name$=quantity]").fill("5")
    rows.nth(1).locator("select[name$=kind]").select_option("material")
    rows.nth(1).locator("select[name$=material]").select_option(
        label=f"{ACRYLIC} (24.50 € / sheet)"
    )
    rows.nth(1).locator("input[name$=quantity]").fill("3")
    rows.nth(2).locator("select[name$=kind]").select_option("staff")
    rows.nth(2).locator("input[name$=quantity]").fill("2")
    page.get_by_test_id("quote-send").click()
    _status(page, "quoted", "Quoted")
    expect(page.get_by_test_id("quote-line-row")).to_have_count(3)
    expect(page.get_by_test_id("quote-gross")).to_have_text(f"448.70{EUR}")  # 383.50 + VAT
    screenshot(page, tmp_path, "full-quoted-staff")

    # 3. The SME's admin reads the quote's e-mail, follows its link, logs in on the way
    #    and accepts the quote online.
    sent = f"sent version 1 of the quote for the prototyping project {project.reference}"
    [body] = [body for to, body in _mails(mail_dir) if admin.email in to and sent in body]
    assert f"Total with VAT: 448.70{EUR}" in body
    link = re.search(rf"{re.escape(base)}/projects/\d+/", body).group(0)
    page.context.clear_cookies()
    page.goto(link)
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/projects/\d+/$"))
    page.locator("#id_login").fill(admin.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(link)
    _status(page, "quoted", "Quoted")
    expect(page.get_by_test_id("quote-gross")).to_have_text(f"448.70{EUR}")
    page.get_by_test_id("quote-accept").click()
    _status(page, "accepted", "Accepted")
    expect(page.get_by_role("status")).to_contain_text("You accepted version 1")
    expect(page.get_by_test_id("quote-latest")).to_have_attribute("data-status", "accepted")
    screenshot(page, tmp_path, "full-accepted-sme")

    # 4. Staff book the laser for the project, in the admin's name (who comes to operate
    #    it), at a time the desk can check in now; the first booking starts the work.
    start, end = slot_open_for_check_in()
    _as(page, base, staff)
    page.goto(link)
    page.get_by_test_id("booking-new").click()
    booking_form = page.get_by_test_id("project-booking-form")
    booking_form.get_by_label("Machine or space").select_option(label=laser.name)
    booking_form.get_by_label("Date").fill(start.date().isoformat())
    booking_form.get_by_label("Start time").fill(start.strftime("%H:%M"))
    booking_form.get_by_label("End time").fill(end.strftime("%H:%M"))
    booking_form.get_by_label("Booked in the name of").select_option("requester")
    booking_form.get_by_label(re.compile("^Override the makers' rules")).check()
    booking_form.get_by_role("button", name="Book", exact=True).click()
    _status(page, "in_progress", "In progress")
    expect(page.get_by_test_id("project-booking")).to_contain_text("Trotec Speedy 400")
    expect(page.get_by_test_id("project-booking")).to_contain_text("Marc Weber")
    expect(page.get_by_test_id("project-booking")).to_contain_text("Expected")

    #    At the desk: the maker checks in, and uses two sheets of acrylic.
    page.get_by_test_id("desk-link").click()
    booking = Booking.objects.get(project_link__project=project)
    assert booking.project_reference == project.reference
    card = page.locator(f"#booking-{booking.pk}")
    expect(card).to_contain_text("Marc Weber")
    card.get_by_role("button", name="Check in").click()
    expect(card.get_by_test_id("usage-state")).to_contain_text("Here since")
    card.get_by_label("Material").select_option(label=f"{ACRYLIC} (24.50 €/sheet)")
    card.get_by_label("Quantity").fill("2")
    card.get_by_role("button", name="Add").click()
    expect(card.get_by_test_id("material-use")).to_contain_text(f"2 sheet · {ACRYLIC} · 49.00 €")
    screenshot(page, tmp_path, "full-desk")

    #    Staff record an hour and a half of their own time, back on the project page.
    page.goto(link)
    page.get_by_test_id("staff-time-new").click()
    time_form = page.get_by_test_id("staff-time-form")
    time_form.get_by_label("Hours").fill("1.5")
    time_form.get_by_label("What was done").fill("Set up the engraving")
    time_form.get_by_role("button", name="Record").click()
    expect(page.get_by_test_id("staff-times")).to_contain_text(f"1.50 h \u00d7 55.00{EUR}")

    # 5. Actual versus quoted, while the maker is at the laser: the booked time counts.
    booked = Decimal(int((end - start).total_seconds())) / 3600
    machine = price_round(booked * 40)
    actual = machine + Decimal("49.00") + Decimal("82.50")
    expect(page.get_by_test_id("project-booking")).to_contain_text("Here since")
    quoted, used, difference = _cost_row(page, "machine")
    expect(quoted).to_have_text(f"5 h · 200.00{EUR}")
    expect(used).to_have_text(f"{_hours(booked)} h · {_money(machine)}")
    quoted, used, difference = _cost_row(page, "material")
    expect(quoted).to_have_text(f"3 sheet · 73.50{EUR}")
    expect(used).to_have_text(f"2 sheet · 49.00{EUR}")
    expect(difference).to_have_text(f"\u221224.50{EUR}")
    quoted, used, difference = _cost_row(page, "staff")
    expect(quoted).to_have_text(f"2 h · 110.00{EUR}")
    expect(used).to_have_text(f"1.50 h · 82.50{EUR}")
    expect(page.get_by_test_id("cost-quoted")).to_have_text(f"383.50{EUR}")
    expect(page.get_by_test_id("cost-actual")).to_have_text(_money(actual))
    expect(page.get_by_test_id("cost-difference")).to_have_text(
        f"\u2212{_money(Decimal('383.50') - actual)}"
    )
    screenshot(page, tmp_path, "full-costs-while-there")

    #    The maker leaves: from then on the laser counts from check-in to check-out.
    page.get_by_test_id("desk-link").click()
    card = page.locator(f"#booking-{booking.pk}")
    card.get_by_role("button", name="Check out").click()
    expect(card.get_by_test_id("usage-state")).to_contain_text("Left at")
    booking.refresh_from_db()
    used_hours = Decimal(int((booking.checked_out_at - booking.checked_in_at).total_seconds()))
    used_hours /= 3600
    machine = price_round(used_hours * 40)
    page.goto(link)
    expect(page.get_by_test_id("project-booking")).to_contain_text(f"Used {_hours(used_hours)} h")
    quoted, used, difference = _cost_row(page, "machine")
    expect(used).to_have_text(f"{_hours(used_hours)} h · {_money(machine)}")
    expect(page.get_by_test_id("cost-quoted")).to_have_text(f"383.50{EUR}")
    expect(page.get_by_test_id("cost-actual")).to_have_text(
        _money(machine + Decimal("49.00") + Decimal("82.50"))
    )

    # 6. Staff deliver the prototype.
    page.get_by_test_id("deliver").get_by_role("button", name="Mark as delivered").click()
    _status(page, "delivered", "Delivered")
    expect(page.get_by_role("status")).to_contain_text("The project is now: Delivered.")
    delivered = f'The prototyping project {project.reference} "{TITLE}" is now: Delivered.'
    told = " ".join(to for to, body in _mails(mail_dir) if delivered in body)
    assert admin.email in told and owner.email in told
    screenshot(page, tmp_path, "full-delivered")
    statuses = page.get_by_test_id("timeline-status")
    expect(statuses).to_have_count(5)
    for status in ("requested", "quoted", "accepted", "in_progress", "delivered"):
        expect(page.locator(f"[data-testid=timeline-status][data-status={status}]")).to_have_count(
            1
        )

    #    The SME documents it from the project page: prefilled with the laser and the
    #    acrylic of its booking; a licence, the sector, a step with its picture.
    _as(page, base, admin)
    page.locator("#user-menu").click()
    page.get_by_role("link", name="My projects").click()
    row = page.get_by_test_id("my-project")
    expect(row.locator("[data-status]")).to_have_attribute("data-status", "delivered")
    row.get_by_role("link", name=TITLE).click()
    _status(page, "delivered", "Delivered")
    page.get_by_test_id("document-project").click()
    expect(page).to_have_url(re.compile(r"/gallery/illuminated-acrylic-display/edit/$"))
    expect(page.get_by_test_id("documentation-status")).to_have_attribute("data-status", "draft")
    expect(page.locator("#id_machines option:checked")).to_have_text(
        ["Trotec Speedy 400 (FabLab Esch)"]
    )
    expect(page.locator("#id_materials option:checked")).to_have_text([f"{ACRYLIC} (FabLab Esch)"])
    page.locator("#id_licence").select_option("cc-by-nc")
    page.locator("#id_sector").select_option(label="Design")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".alert-success")).to_have_text("The documentation is saved.")
    page.locator("#id_step-title").fill("Engrave the logo")
    page.locator("#id_step-body").fill("Engrave the acrylic from behind, then cut it out.")
    page.locator("#id_step-image").set_input_files(str(_png(tmp_path)))
    page.get_by_role("button", name="Add the step").click()
    expect(page.get_by_test_id("step")).to_have_count(1)

    #    It gives its consent and publishes.
    page.locator("#id_publish-consent").check()
    page.get_by_test_id("publish").click()
    expect(page).to_have_url(re.compile(r"/gallery/illuminated-acrylic-display/$"))
    expect(page.get_by_test_id("draft-banner")).to_have_count(0)
    assert Documentation.objects.get(project=project).status == "published"

    # 7. A visitor finds it in the gallery: a search, then filters, one by one.
    page.context.clear_cookies()
    page.goto(base + "/")
    page.get_by_role("link", name="Project gallery").first.click()
    count = page.get_by_test_id("gallery-count")
    expect(count).to_have_attribute("data-count", "4")
    page.locator("#g-q").fill("acrylic")
    page.locator("#g-q").press("Enter")
    expect(count).to_have_attribute("data-count", "3")
    page.locator("#g-machine").select_option("laser-cutter")
    expect(count).to_have_attribute("data-count", "2")
    page.locator("#g-material").select_option(label=ACRYLIC)
    expect(page).to_have_url(re.compile(r"material="))
    expect(count).to_have_attribute("data-count", "2")
    page.locator("#g-licence").select_option("cc-by-nc")
    expect(count).to_have_attribute("data-count", "1")
    page.locator("#g-site").select_option(label="FabLab Esch")
    page.locator("#g-sector").select_option(label="Design")
    expect(page).to_have_url(re.compile(r"q=acrylic.*sector=design"))
    card = page.get_by_test_id("gallery-card")
    expect(card).to_have_count(1)
    expect(card).to_have_attribute("data-slug", "illuminated-acrylic-display")
    expect(card).to_contain_text("FabLab Esch")
    screenshot(page, tmp_path, "full-gallery-search")
    card.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_test_id("draft-banner")).to_have_count(0)
    expect(page.get_by_test_id("step")).to_contain_text("Step 1: Engrave the logo")
    expect(page.get_by_test_id("licence")).to_have_attribute("data-licence", "cc-by-nc")
    expect(page.get_by_test_id("machine")).to_contain_text("Trotec Speedy 400")
    expect(page.get_by_test_id("material")).to_have_text(ACRYLIC)
    expect(page.get_by_text("Bijoux Lux")).to_be_visible()
    expect(page.locator("#user-menu")).to_have_count(0)  # a visitor indeed
    screenshot(page, tmp_path, "full-gallery-page")

    assert errors == [], errors
