"""An organisation applies, a cluster manager approves it, and a visitor finds it in the
directory by searching in French for what its German profile calls "Schreinerei"."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import pytest

from fabreck.cluster.models import Organisation
from tests.e2e.test_signup_flow import _mails
from tests.factories import PASSWORD, UserFactory, organisation_make

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NAME = "Schreinerei Kremer"
DESCRIPTION_DE = "Wir bauen Möbel nach Maß aus heimischem Holz."
CONSENT = "Show our profile in the public directory once we are members"
# A member that is public from the start but has nothing to do with carpentry: the
# directory lists it until the search narrows the results down to the carpenters.
DECOY = "Studio Pixel"
TIMEOUT_MS = 10_000  # as conftest.py gives `browser_page`


@contextmanager
def _visitor(page) -> Iterator[object]:
    """A page in another fresh context of the same browser (its own cookies, so anonymous
    until it logs in), set up like conftest's `browser_page` and closed afterwards."""
    context = page.context.browser.new_context(
        locale="en-GB", extra_http_headers={"Accept-Language": "en"}
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def _htmx_directory_call(**params: str):
    """Matches the directory's htmx request (or its response) carrying exactly these values
    for these query parameters."""

    def matches(message) -> bool:
        request = getattr(message, "request", message)  # a Response, or the Request itself
        url = urlsplit(request.url)
        query = parse_qs(url.query)
        return (
            url.path == "/directory/"
            and request.headers.get("hx-request") == "true"
            and all(query.get(name) == [value] for name, value in params.items())
        )

    return matches


def _log_in(page, base_url: str, user) -> None:
    from playwright.sync_api import expect

    page.goto(base_url + "/accounts/login/")
    page.locator("#id_login").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#user-menu")).to_have_text(user.display_name)


def test_an_organisation_applies_is_approved_and_is_found_across_languages(
    browser_page, live_server, settings, tmp_path
):
    from playwright.sync_api import expect

    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(mail_dir)
    base = live_server.url
    applicant = UserFactory()
    manager = UserFactory(roles=["cluster_manager"])
    organisation_make(
        name=DECOY,
        sectors=("design",),
        competences=("graphic-design",),
        description_en="Posters and visual identities.",
    )

    # 1. The applicant logs in and applies with their workshop.
    page = browser_page
    _log_in(page, base, applicant)
    expect(page.locator("header nav").get_by_role("link", name="Applications")).to_have_count(0)
    page.goto(base + "/cluster/apply/")
    expect(page.get_by_role("heading", name="Apply for membership")).to_be_visible()
    page.locator("#id_name").fill(NAME)
    page.locator("#id_kind").select_option(label="Company")
    page.locator("#id_size_band").select_option(label="2 to 9 people")
    page.locator("#id_commune").select_option("esch-sur-alzette")
    page.locator("#id_sectors").select_option(["art-crafts"])
    page.locator("#id_primary_nace").select_option("16.29")
    page.locator("#id_competences").select_option(["carpentry"])
    page.locator("#id_description_de").fill(DESCRIPTION_DE)
    page.get_by_label(CONSENT).check()
    page.get_by_role("button", name="Send the application").click()
    expect(page).to_have_url(re.compile(r"/cluster/my-organisations/$"))
    expect(page.locator(".alert-success")).to_have_text(
        f"Thank you: the application of {NAME} has been sent to the cluster managers."
    )
    expect(page.get_by_role("heading", name="My organisations")).to_be_visible()
    row = page.locator("li.list-group-item", has_text=NAME)
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("status")).to_have_text("Applied")
    organisation = Organisation.objects.get(name=NAME)
    assert (organisation.status, organisation.directory_consent) == ("applied", True)
    assert organisation.memberships.get().user == applicant

    with _visitor(page) as visitor:
        # 2. Not a member yet: the public directory does not know it, by name or search.
        visitor.goto(base + "/directory/")
        results = visitor.get_by_test_id("result")
        expect(results.filter(has_text=DECOY)).to_have_count(1)
        expect(results).to_have_count(1)
        visitor.goto(base + "/directory/?q=menuisier")
        expect(visitor.locator("#directory-q")).to_have_value("menuisier")
        expect(visitor.locator("#results-title")).to_have_text("0 organisations")
        expect(results).to_have_count(0)
        expect(visitor.get_by_text(NAME)).to_have_count(0)
        response = visitor.goto(base + f"/directory/{organisation.slug}/")
        assert response.status == 404, "the profile is public before the approval"

    with _visitor(page) as manager_page:
        # 3. A cluster manager approves the application from the queue.
        _log_in(manager_page, base, manager)
        manager_page.locator("header nav").get_by_role(
            "link", name="Applications", exact=True
        ).click()
        expect(manager_page).to_have_url(re.compile(r"/cluster/applications/$"))
        card = manager_page.get_by_test_id("application").filter(has_text=NAME)
        expect(card).to_have_count(1)
        expect(card).to_contain_text("Esch-sur-Alzette")
        card.get_by_role("button", name="Approve", exact=True).click()
        expect(manager_page.locator(".alert-success")).to_have_text(f"{NAME} is now “Member”.")
        expect(manager_page.get_by_test_id("application").filter(has_text=NAME)).to_have_count(0)

    organisation.refresh_from_db()
    assert organisation.status == "member"
    mails = _mails(mail_dir)  # the decoy's owner was told of its approval too
    to_applicant = [body for to, body in mails if to == applicant.email]
    assert len(to_applicant) == 1, f"mails sent: {mails}"
    assert f"The membership of {NAME} in the cluster is now: Member." in to_applicant[0]
    assert f"/directory/{organisation.slug}/" in to_applicant[0]

    with _visitor(page) as visitor:
        # 4. A visitor searches in French; htmx updates the results in place.
        visitor.goto(base + "/directory/")
        results = visitor.get_by_test_id("result")
        expect(results).to_have_count(2)
        # A full page load would start a new window object and lose this mark.
        visitor.evaluate("window.fabreckNoReload = true")
        search = visitor.locator("#directory-q")
        search.click()
        with visitor.expect_request(_htmx_directory_call(q="menuisier")):
            search.press_sequentially("menuisier")
        expect(visitor).to_have_url(re.compile(r"/directory/\?(.*&)?q=menuisier(&|$)"))
        result = results.filter(has_text=NAME)
        expect(result).to_have_count(1)
        expect(results).to_have_count(1)
        expect(visitor.locator("#results-title")).to_have_text("1 organisation")
        expect(result).to_contain_text(DESCRIPTION_DE)
        expect(result).to_contain_text("Carpentry")
        assert visitor.evaluate("window.fabreckNoReload === true"), "the page reloaded"

        # Straight from the search box, narrow to the Art crafts sector (leaving the box
        # must not send a request that would redraw the facets and lose the tick): the
        # result stays, the facet counts it.
        art_crafts = visitor.locator("#directory-results fieldset", has_text="Sector").locator(
            ".form-check", has_text="Art crafts"
        )
        with visitor.expect_response(
            _htmx_directory_call(q="menuisier", sector="art-crafts")
        ) as response_info:
            art_crafts.get_by_role("checkbox").check()
        assert response_info.value.ok
        expect(visitor).to_have_url(re.compile(r"[?&]sector=art-crafts(&|$)"))
        expect(visitor).to_have_url(re.compile(r"[?&]q=menuisier(&|$)"))
        # Only the server's rendering marks the box `checked` in the HTML: the swap is done.
        expect(art_crafts.get_by_role("checkbox")).to_have_attribute("checked", "")
        expect(art_crafts.get_by_test_id("count")).to_have_text("1")
        expect(results).to_have_count(1)
        expect(result).to_have_count(1)
        expect(visitor.locator("#results-title")).to_have_text("1 organisation")
        expect(search).to_have_value("menuisier")
        assert visitor.evaluate("window.fabreckNoReload === true"), "the page reloaded"

        # The result leads to the profile, written in German only.
        result.get_by_role("link", name=NAME).click()
        expect(visitor).to_have_url(re.compile(rf"/directory/{organisation.slug}/$"))
        expect(visitor.get_by_role("heading", level=1)).to_have_text(NAME)
        expect(visitor.locator("main")).to_contain_text(DESCRIPTION_DE)
        competences = visitor.locator("main ul.list-inline")
        expect(competences.get_by_text("Carpentry", exact=True)).to_be_visible()
        expect(visitor.get_by_text("This profile is not public")).to_have_count(0)
