"""Issue 7, done when: in one browser session, a founder applies to the incubator's open
call (a draft, then the submission, confirmed by e-mail); the manager assigns two
reviewers; one declares a conflict of interest, the other scores every criterion without
seeing anyone else's scores; the manager reads the weighted ranking and accepts, and the
founder is told in their language; a visitor finds the startup in the cluster directory
as incubated; a mentor logs a session the founder reads on "My startup"; the founder sends
a quarterly update that the manager reads on the cohort's dashboard; the founder books a
FabLab machine for the startup, paid from its prepaid hours.

Only the fixtures (people, the cohort and its open call with criteria and questions, a
FabLab site with a machine and its rate, a mentor with competences) are made in Python;
every step of the flow goes through the pages. No page answers a server error."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext

from fabreck.cluster.models import Sector
from fabreck.fablab.models import Booking
from fabreck.fablab.selectors import prepaid_balance_of
from fabreck.incubator.models import Application, Incubation
from fabreck.incubator.selectors import quarter_last_finished
from tests.e2e.projects_helpers import screenshot, server_errors
from tests.e2e.test_cluster_flow import _log_in
from tests.e2e.test_signup_flow import _mails
from tests.fablab.helpers import machine_make, next_weekday_at, site_make
from tests.factories import UserFactory
from tests.incubator.helpers import call_make, cohort_make
from tests.incubator.startups_helpers import competences, mentor_make

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NAME = "Lumen Weave"
REASON = "I advise a competitor of this team."


def _french(text: str) -> str:
    with translation.override("fr"):
        return gettext(text)


def _as(page, base: str, user) -> None:
    """Whoever used the browser leaves it (cookies cleared), `user` logs in."""
    page.context.clear_cookies()
    _log_in(page, base, user)


def _number(value: str) -> re.Pattern:
    """A number as an English or French page may write it: 12500, 12,500.00, 12 500,00."""
    digits = r"[\s,.\u202f\xa0]?".join(value)
    return re.compile(rf"(?<![\d]){digits}([.,]0+)?(?![\d])")


def test_a_founder_applies_is_accepted_mentored_reports_and_books(
    browser_page, live_server, settings, tmp_path
):
    from playwright.sync_api import expect

    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(mail_dir)
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.INCUBATOR_PREPAID_HOURS = "40"
    base = live_server.url
    settings.SITE_URL = base

    # Fixtures: the incubator's manager, two reviewers, a mentor; the cohort's open call
    # (criteria Team x2, Market x1, Idea x1 on 0-5; an optional and a required question);
    # a French-speaking founder who may book machines; a FabLab site with a 3D printer at 10 €/h.
    manager = UserFactory(
        roles=["incubator_manager"], first_name="Ines", last_name="Manager", preferred_language="en"
    )
    reviewer_a = UserFactory(first_name="Anna", last_name="Abstains", preferred_language="en")
    reviewer_b = UserFactory(first_name="Bruno", last_name="Scores", preferred_language="en")
    mentor = mentor_make(
        competence_list=competences(2), first_name="Marta", last_name="Mentor",
        preferred_language="en",
    )  # fmt: skip
    founder = UserFactory(
        roles=["maker"], first_name="Léa", last_name="Dupont", preferred_language="fr"
    )
    cohort = cohort_make(name="Cohort 2027")
    call = call_make(by=manager, cohort=cohort)
    website = call.questions.get(label_en="Your website")
    full_time = call.questions.get(label_en="Full time?")
    criteria = list(call.criteria.order_by("position", "pk"))
    site = site_make(slug="esch", name="FabLab Esch")
    printer = machine_make(site, name="Prusa MK4", category="3d-printer", rate="10")

    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 1600})
    errors = server_errors(page.context)

    # 1. The founder (in French: the pages are found by their fields, not their words)
    #    opens the public call, applies, saves a draft, then submits.
    _as(page, base, founder)
    page.goto(f"{base}/incubator/calls/{call.slug}/")
    page.get_by_test_id("apply-button").click()
    form = page.get_by_test_id("application-form")
    form.locator("#id_startup_name").fill(NAME)
    form.locator("#id_sector").select_option(str(Sector.objects.get(slug="design").pk))
    form.locator("#id_stage").select_option("prototype")
    form.locator("#id_idea").fill("Woven wall panels that light up with the room's sound.")
    form.locator("#id_market").fill("Hotels and interior designers in the Greater Region.")
    form.locator("#id_needs").fill("Laser cutting, a textile loom and a sales mentor.")
    # The competences the team needs: the mentor brings them, so the mentor follows it.
    form.locator("#id_needed_competences").select_option(
        [str(pk) for pk in mentor.competences.values_list("pk", flat=True)]
    )
    form.locator("#id_founders-1-name").fill("Paul Martin")
    form.locator("#id_founders-1-email").fill("paul@lumenweave.lu")
    form.locator("#id_founders-1-role").fill("CTO")
    form.locator(f"#id_q_{website.pk}").fill("https://lumenweave.lu")
    form.locator("button[name=save]").click()
    status = page.get_by_test_id("application-status")
    expect(status).to_have_attribute("data-status", "draft")
    application = Application.objects.get()
    assert application.founders.count() == 2
    page.locator(f"a[href$='/incubator/applications/{application.pk}/edit/']").click()
    form = page.get_by_test_id("application-form")
    expect(form.locator("#id_startup_name")).to_have_value(NAME)
    form.locator(f"#id_q_{full_time.pk}").select_option("Yes")
    form.locator("button[name=submit]").click()
    expect(status).to_have_attribute("data-status", "submitted")
    page.goto(f"{base}/incubator/applications/")
    row = page.get_by_test_id("my-application")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(NAME)
    expect(row.get_by_test_id("application-status")).to_have_attribute("data-status", "submitted")
    application.refresh_from_db()
    assert application.language == "fr"
    submitted = [body for to, body in _mails(mail_dir) if founder.email in to]
    assert len(submitted) == 1 and NAME in submitted[0], submitted
    screenshot(page, tmp_path, "incubator-1-my-applications")

    # 2. The manager assigns the two reviewers on the call's review board.
    _as(page, base, manager)
    page.goto(f"{base}/incubator/reviews/calls/{call.pk}/")
    for reviewer in (reviewer_a, reviewer_b):
        assign = page.get_by_test_id("assign-form")
        assign.locator("#id_email").fill(reviewer.email)
        assign.locator("#id_application").select_option(label=NAME)
        assign.get_by_role("button", name="Assign").click()
        expect(
            page.get_by_test_id("board-review").filter(has_text=reviewer.first_name)
        ).to_have_count(1)
    expect(page.get_by_test_id("board-review")).to_have_count(2)

    # 3. Reviewer A declares a conflict of interest and abstains.
    _as(page, base, reviewer_a)
    page.goto(f"{base}/incubator/reviews/")
    page.get_by_test_id("my-review").get_by_role("link", name=NAME).click()
    conflict = page.get_by_test_id("conflict-form")
    conflict.locator("#id_reason").fill(REASON)
    page.once("dialog", lambda dialog: dialog.accept())
    conflict.get_by_role("button", name="Declare a conflict and abstain").click()
    expect(page.get_by_test_id("abstained")).to_contain_text(REASON)

    #    Reviewer B scores every criterion with a comment and submits; their page shows
    #    no one else's review (scores stay hidden until the round closes).
    _as(page, base, reviewer_b)
    page.goto(f"{base}/incubator/reviews/")
    page.get_by_test_id("my-review").get_by_role("link", name=NAME).click()
    expect(page.get_by_test_id("score-form")).to_be_visible()
    expect(page.get_by_test_id("review-card")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text(REASON)
    expect(page.locator("main")).not_to_contain_text("Anna Abstains")
    scores = page.get_by_test_id("score-form")
    for criterion, value in zip(criteria, (5, 4, 3), strict=True):
        scores.locator(f"#id_score_{criterion.pk}").fill(str(value))
        scores.locator(f"#id_comment_{criterion.pk}").fill(f"{criterion.label_en}: {value} of 5.")
    scores.locator("#id_comment").fill("A strong team; the market needs proof.")
    scores.get_by_role("button", name="Submit my scores").click()
    expect(page.get_by_role("status")).to_contain_text("Your scores are saved.")
    expect(scores.get_by_role("button", name="Save my new scores")).to_be_visible()
    expect(page.get_by_test_id("review-card")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text(REASON)
    screenshot(page, tmp_path, "incubator-3-review-b")

    # 4. The manager reads the ranking: B's weighted mean, (5 x 2 + 4 + 3) / 4 = 4.25, one
    #    reviewer scored, one abstained; then accepts with a message.
    _as(page, base, manager)
    page.goto(f"{base}/incubator/reviews/calls/{call.pk}/ranking/")
    ranked = page.get_by_test_id("ranking-row").filter(has_text=NAME)
    expect(ranked).to_have_count(1)
    expect(ranked.get_by_test_id("mean")).to_have_text(re.compile(r"^4\.25"))
    screenshot(page, tmp_path, "incubator-4-ranking")
    ranked.get_by_role("link", name=NAME).click()
    expect(page.get_by_test_id("review-card")).to_have_count(2)
    decision = page.get_by_test_id("decision-form")
    decision.get_by_label("Accept", exact=True).check()
    decision.locator("#id_message").fill("Welcome to the cohort: see you on Monday.")
    decision.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_role("status")).to_contain_text("The decision is recorded")
    expect(page.get_by_test_id("board-row").filter(has_text=NAME)).to_contain_text("Accepted")
    incubation = Incubation.objects.get(application=application)
    organisation = incubation.organisation
    assert (organisation.name, organisation.incubated) == (NAME, True)

    #    The founder is told in French (the application's language). The catalogue's
    #    decision strings are being translated in parallel: the greeting is French already,
    #    the congratulation is whatever the French catalogue says (English until then).
    [body] = [
        body
        for to, body in _mails(mail_dir)
        if founder.email in to and "Welcome to the cohort" in body
    ]
    assert _french("Hello,") == "Bonjour,"
    assert "Bonjour," in body
    with translation.override("fr"):
        congratulations = gettext(
            'Congratulations: the jury of the call "%(call)s" accepted %(name)s. Your startup '
            "joins the cohort %(cohort)s and is now a member of the cluster, with prepaid "
            "machine hours at the FabLab."
        ) % {"call": call.title_fr, "name": NAME, "cohort": cohort.name}
    assert congratulations in body, body
    assert "Welcome to the cohort: see you on Monday." in body
    told = [to for to, body in _mails(mail_dir) if "Welcome to the cohort" in body]
    assert any("paul@lumenweave.lu" in to for to in told), told

    # 5. A visitor finds the startup in the cluster directory, incubated.
    page.context.clear_cookies()
    page.goto(f"{base}/directory/")
    page.locator("#directory-q").fill(NAME)
    page.locator("#directory-q").press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]q=Lumen"))
    result = page.get_by_test_id("result").filter(has_text=NAME)
    expect(result).to_have_count(1)
    expect(result.get_by_test_id("incubated")).to_have_text("Incubated")
    page.locator("#f-incubated").check()
    expect(page).to_have_url(re.compile(r"[?&]incubated=1"))
    expect(result).to_have_count(1)
    expect(result.get_by_test_id("incubated")).to_be_visible()
    expect(page.locator("#user-menu")).to_have_count(0)
    screenshot(page, tmp_path, "incubator-5-directory")

    # 6. The mentor logs a session from their mentoring page; the founder reads it on
    #    "My startup".
    held_on = timezone.localdate()  # not before the incubation started (today)
    _as(page, base, mentor.user)
    page.goto(f"{base}/incubator/mentoring/")
    row = page.get_by_test_id("mentoring-row").filter(has_text=NAME)
    row.get_by_role("link", name="Log a session").click()
    page.locator("#id_held_on").fill(held_on.isoformat())
    page.locator("#id_hours").fill("1.5")
    page.locator("#id_topics").fill("Pricing of the wall panels")
    page.locator("#id_next_steps").fill("Call three hotel buyers")
    page.get_by_role("button", name="Log the session").click()
    expect(page.get_by_test_id("session")).to_contain_text("Pricing of the wall panels")
    _as(page, base, founder)
    page.goto(f"{base}/incubator/my-startup/")
    session = page.get_by_test_id("session")
    expect(session).to_have_count(1)
    expect(session).to_contain_text("Pricing of the wall panels")
    expect(session).to_contain_text("Call three hotel buyers")
    expect(session).to_contain_text("Marta Mentor")

    # 7. The founder sends a quarterly update. Only a quarter that ended since the
    #    incubation started can be reported; the startup was accepted today, so (the only
    #    step not through the pages) its start is moved to the last finished quarter.
    year, quarter = quarter_last_finished(timezone.localdate())
    Incubation.objects.filter(pk=incubation.pk).update(
        started_on=date(year, 3 * quarter - 2, 1), phase_since=date(year, 3 * quarter - 2, 1)
    )
    page.goto(f"{base}/incubator/quarterly-update/")
    kpis = page.get_by_test_id("kpi-form")
    expect(kpis.locator("#id_quarter")).to_have_value(f"{year}-Q{quarter}")
    kpis.locator("#id_headcount").fill("4")
    kpis.locator("#id_revenue").fill("12500")
    kpis.locator("#id_funds_raised").fill("50000")
    kpis.locator("#id_customers").fill("7")
    kpis.locator("#id_status").select_option("active")
    kpis.locator("button[type=submit]").click()
    expect(page.get_by_test_id("kpi-history")).to_contain_text(f"{year} Q{quarter}")
    update = incubation.kpi_updates.get()
    assert (update.headcount, update.revenue, update.customers) == (4, Decimal("12500"), 7)
    screenshot(page, tmp_path, "incubator-7-kpis")

    # 8. The manager opens the cohort's dashboard: the startup with that update.
    _as(page, base, manager)
    page.goto(f"{base}/incubator/dashboards/{cohort.slug}/")
    row = page.get_by_test_id("startup-row").filter(has_text=NAME)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(f"{year} Q{quarter}")
    cells = row.locator("td")
    expect(cells.nth(2)).to_have_text("4")
    expect(cells.nth(3)).to_have_text(_number("12500"))
    screenshot(page, tmp_path, "incubator-8-dashboard")

    # 9. The founder books the printer for the startup, two hours: the preview and the
    #    booking say they come from the prepaid hours, whose balance goes down by two.
    start = next_weekday_at(10)
    _as(page, base, founder)
    page.goto(f"{base}/fablab/book/")
    booking_form = page.get_by_test_id("booking-form")
    booking_form.locator("#id_resource").select_option(printer.slug)
    booking_form.locator("#id_organisation").select_option(label=NAME)
    booking_form.locator("#id_date").fill(start.date().isoformat())
    booking_form.locator("#id_start").fill("10:00")
    booking_form.locator("#id_end").fill("12:00")
    booking_form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("preview-prepaid")).to_contain_text(re.compile(r"\b2\b"))
    page.get_by_test_id("confirm").click()
    expect(page).to_have_url(re.compile(r"/fablab/bookings/\d+/$"))
    expect(page.get_by_test_id("booking-prepaid")).to_contain_text(re.compile(r"\b2\b"))
    screenshot(page, tmp_path, "incubator-9-booking")
    page.goto(f"{base}/fablab/prepaid-hours/{organisation.slug}/")
    expect(page.get_by_test_id("balance")).to_contain_text(_number("38"))
    booking = Booking.objects.get()
    assert (booking.organisation, booking.user, booking.prepaid_hours) == (
        organisation,
        founder,
        Decimal("2"),
    )
    assert prepaid_balance_of(organisation=organisation) == Decimal("38")

    assert errors == [], errors
