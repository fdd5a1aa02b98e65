"""The founders' "Quarterly update" page and the managers' dashboards and exports."""

from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone

from fabreck.incubator.models import KpiUpdate
from fabreck.incubator.selectors import quarter_last_finished
from tests.factories import UserFactory
from tests.incubator.helpers import application_make, call_make
from tests.incubator.kpis_helpers import kpi_make, kpis_cohort_make, startup_make

pytestmark = pytest.mark.django_db

UPDATE_URL = reverse("incubator:kpis-update")
OVERVIEW_URL = reverse("incubator:kpis-overview")


def _founder(incubation):
    return incubation.organisation.memberships.get(role="owner").user


def _form(**overrides) -> dict:
    year, quarter = quarter_last_finished()
    data = {
        "quarter": f"{year}-Q{quarter}",
        "headcount": "6",
        "revenue": "18000.00",
        "funds_raised": "0",
        "customers": "11",
        "status": "active",
        "note": "",
    }
    data.update(overrides)
    return data


def test_a_founder_sends_the_last_quarter_and_sees_it_in_the_history(client):
    incubation = startup_make(cohort=kpis_cohort_make(), started_on=date(2024, 2, 1))
    client.force_login(_founder(incubation))
    page = client.get(UPDATE_URL)
    assert page.status_code == 200
    assert b'data-testid="kpi-form"' in page.content
    assert "are expected" in page.content.decode()

    response = client.post(UPDATE_URL, _form())
    assert response.status_code == 302
    year, quarter = quarter_last_finished()
    update = KpiUpdate.objects.get()
    assert (update.year, update.quarter, update.headcount) == (year, quarter, 6)
    page = client.get(response.url)
    text = page.content.decode()
    assert "are recorded" in text
    assert "is reported" in text
    assert f"{year} Q{quarter}" in text and "18000.00" in text


def test_a_correction_prefills_the_form_and_updates_the_same_quarter(client):
    incubation = startup_make(cohort=kpis_cohort_make(), started_on=date(2024, 2, 1))
    year, quarter = quarter_last_finished()
    kpi_make(incubation, year, quarter, headcount=2)
    client.force_login(_founder(incubation))
    page = client.get(UPDATE_URL, {"startup": incubation.pk, "quarter": f"{year}-Q{quarter}"})
    assert b'name="headcount" value="2"' in page.content

    client.post(UPDATE_URL, _form(headcount="3"))
    assert KpiUpdate.objects.get().headcount == 3
    assert KpiUpdate.objects.count() == 1


def test_negative_headcount_is_shown_on_the_page_and_nothing_is_stored(client):
    incubation = startup_make(cohort=kpis_cohort_make(), started_on=date(2024, 2, 1))
    client.force_login(_founder(incubation))
    response = client.post(UPDATE_URL, _form(headcount="-1"))
    assert response.status_code == 400
    assert "The headcount cannot be negative." in response.content.decode()
    assert not KpiUpdate.objects.exists()


def test_a_quarter_not_offered_is_refused(client):
    incubation = startup_make(cohort=kpis_cohort_make(), started_on=date(2024, 2, 1))
    client.force_login(_founder(incubation))
    this_year, this_quarter = quarter_last_finished(timezone.localdate() + timedelta(days=100))
    response = client.post(UPDATE_URL, _form(quarter=f"{this_year}-Q{this_quarter}"))
    assert response.status_code == 400
    assert not KpiUpdate.objects.exists()


def test_another_teams_startup_is_not_found_and_people_without_startup_are_told(client):
    cohort = kpis_cohort_make()
    mine = startup_make(cohort=cohort, started_on=date(2024, 2, 1))
    theirs = startup_make(cohort=cohort, name="Their Team", started_on=date(2024, 2, 1))
    client.force_login(_founder(mine))
    assert client.get(UPDATE_URL, {"startup": theirs.pk}).status_code == 404
    assert client.post(UPDATE_URL, {**_form(), "startup": theirs.pk}).status_code == 404
    assert client.get(UPDATE_URL, {"startup": "x"}).status_code == 404
    assert not KpiUpdate.objects.exists()

    client.force_login(UserFactory())
    page = client.get(UPDATE_URL)
    assert page.status_code == 200 and b'data-testid="no-startup"' in page.content


def test_a_manager_enters_an_update_for_a_startup(client, manager):
    incubation = startup_make(cohort=kpis_cohort_make(), started_on=date(2024, 2, 1))
    client.force_login(manager)
    response = client.post(UPDATE_URL, {**_form(), "startup": incubation.pk})
    assert response.status_code == 302
    assert KpiUpdate.objects.get().submitted_by == manager


def test_dashboards_are_for_managers_only(client):
    cohort = kpis_cohort_make()
    client.force_login(UserFactory())
    assert client.get(OVERVIEW_URL).status_code == 403
    assert client.get(reverse("incubator:kpis-cohort", args=[cohort.slug])).status_code == 403
    assert client.get(reverse("incubator:kpis-export", args=["csv"])).status_code == 403
    client.logout()
    assert client.get(OVERVIEW_URL).status_code == 302  # to sign in


def _cohort_with(startups: int, quarters: int = 4):
    cohort = kpis_cohort_make(name=f"Cohort {startups}")
    call = call_make(cohort=cohort, slug=f"call-{startups}")
    last = quarter_last_finished()
    for n in range(startups):
        incubation = startup_make(
            cohort=cohort, name=f"Startup {startups}-{n}", started_on=date(last[0] - 2, 1, 10)
        )
        year, quarter = last
        for _ in range(quarters):
            kpi_make(incubation, year, quarter, headcount=2, revenue="100", funds="10")
            year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
        application_make(call=call, startup_name=f"App {n}", status="accepted")
        application_make(call=call, startup_name=f"Declined {n}", status="declined")
    return cohort


def test_the_cohort_dashboard_shows_startups_totals_and_calls(client, manager):
    cohort = kpis_cohort_make()
    call = call_make(cohort=cohort)
    for n in range(8):
        application_make(call=call, startup_name=f"App {n}", status="declined" if n else "accepted")
    application_make(call=call, startup_name="Withdrawn", status="withdrawn")
    application_make(call=call, startup_name="Draft", status="draft")
    last = quarter_last_finished()
    before = (last[0] - 1, 4) if last[1] == 1 else (last[0], last[1] - 1)
    start = date(last[0] - 1, 1, 10)
    reporting = startup_make(cohort=cohort, name="Reporting Co", started_on=start)
    kpi_make(reporting, *before, headcount=3, revenue="1000", funds="500")
    kpi_make(reporting, *last, headcount=5, revenue="1500", funds="0", customers=9)
    silent = startup_make(cohort=cohort, name="Silent Co", started_on=start, phase="realisation")
    kpi_make(silent, *before, headcount=2, revenue="200")
    client.force_login(manager)

    page = client.get(reverse("incubator:kpis-cohort", args=[cohort.slug]))

    assert page.status_code == 200
    dashboard = page.context["dashboard"]
    rows = {row.incubation.organisation.name: row for row in dashboard.startups}
    assert (
        rows["Reporting Co"].last.headcount == 5 and not rows["Reporting Co"].last_quarter_missing
    )
    assert rows["Silent Co"].last_quarter_missing
    assert rows["Silent Co"].missing == rows["Silent Co"].expected - 1
    totals = {(q.year, q.quarter): q for q in dashboard.quarters}
    assert totals[before].headcount == 5 and totals[before].revenue == Decimal("1200")
    assert totals[last].headcount == 5 and totals[last].headcount_change == 0
    assert totals[last].revenue_change == Decimal("300")
    (figures,) = dashboard.calls
    assert (figures.submitted, figures.accepted, figures.acceptance_rate) == (
        8,
        1,
        Decimal("12.5"),
    )
    text = page.content.decode()
    assert "Silent Co" in text and "Realisation and prototyping" in text
    assert "12.50 %" in text
    assert "1 without their" in text


def test_dashboards_read_a_fixed_number_of_queries(client, manager, django_assert_max_num_queries):
    small = _cohort_with(1)
    big = _cohort_with(12)
    client.force_login(manager)
    client.get(OVERVIEW_URL)  # warm up the session and permission caches
    with django_assert_max_num_queries(12) as small_queries:
        client.get(reverse("incubator:kpis-cohort", args=[small.slug]))
    small_count = len(small_queries.captured_queries)  # read now: later requests reset the log
    assert small_count >= 4
    with django_assert_max_num_queries(small_count):
        page = client.get(reverse("incubator:kpis-cohort", args=[big.slug]))
    assert len(page.context["dashboard"].startups) == 12
    with django_assert_max_num_queries(12):
        page = client.get(OVERVIEW_URL)
    assert page.status_code == 200


def test_the_overview_shows_phases_and_survival(client, manager):
    cohort = kpis_cohort_make(name="Cohort 2018", year=2018)
    today = timezone.localdate()
    left = date(today.year - 4, 1, 20)
    survivor = startup_make(
        cohort=cohort, name="Survivor", started_on=date(today.year - 7, 1, 5),
        phase="graduated", left_on=left,
    )  # fmt: skip
    kpi_make(survivor, left.year + 1, 1, status="active")
    kpi_make(survivor, left.year + 2, 4, status="acquired")
    closed = startup_make(
        cohort=cohort, name="Gone", started_on=date(today.year - 7, 1, 5), phase="left",
        left_on=left,
    )  # fmt: skip
    kpi_make(closed, left.year, 4, status="active")
    kpi_make(closed, left.year + 2, 1, status="closed")
    startup_make(
        cohort=cohort, name="Quiet", started_on=date(today.year - 7, 1, 5), phase="graduated",
        left_on=left,
    )  # fmt: skip
    startup_make(cohort=cohort, name="Running", started_on=date(today.year, 1, 5), phase="market")
    client.force_login(manager)

    page = client.get(OVERVIEW_URL)

    overview = page.context["overview"]
    phases = {value: count for value, _label, count in overview.phases}
    assert phases["graduated"] == 2 and phases["left"] == 1 and phases["market"] == 1
    one, three = overview.survival
    assert (one.left, one.survived, one.closed, one.unknown) == (3, 2, 0, 1)
    assert (three.left, three.survived, three.closed, three.unknown) == (3, 1, 1, 1)
    text = page.content.decode()
    assert 'data-testid="survival-rate-3">50.0 %' in text
    assert "Cohort 2018" in text


def test_the_kpi_table_exports_as_csv_and_xlsx(client, manager):
    cohort = kpis_cohort_make()
    incubation = startup_make(cohort=cohort, name="Pixel Loom", started_on=date(2024, 1, 5))
    kpi_make(incubation, 2024, 2, headcount=4, revenue="2500.50")
    other = kpis_cohort_make(name="Cohort 2026", year=2026)
    kpi_make(startup_make(cohort=other, name="Elsewhere", started_on=date(2024, 1, 5)), 2024, 3)
    client.force_login(manager)

    response = client.get(reverse("incubator:kpis-cohort-export", args=[cohort.slug, "csv"]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("Startup,Cohort,Phase,Year,Quarter,Headcount")
    assert len(lines) == 2 and "Pixel Loom,Cohort 2025,Idea validation,2024,2,4,2500.50" in lines[1]

    response = client.get(reverse("incubator:kpis-export", args=["xlsx"]))
    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(response.content)).active
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == ["Pixel Loom", "Elsewhere"]
    assert client.get(reverse("incubator:kpis-export", args=["pdf"])).status_code == 404


def test_the_menu_offers_the_quarterly_update_to_founders_and_dashboards_to_managers(
    client, manager
):
    incubation = startup_make(cohort=kpis_cohort_make(), started_on=date(2024, 2, 1))
    update_link = f'href="{UPDATE_URL}"'.encode()
    dashboards_link = f'href="{OVERVIEW_URL}"'.encode()

    client.force_login(_founder(incubation))
    page = client.get("/")
    assert update_link in page.content and dashboards_link not in page.content

    client.force_login(manager)
    page = client.get("/")
    assert dashboards_link in page.content and update_link not in page.content

    client.force_login(UserFactory())
    page = client.get("/")
    assert update_link not in page.content and dashboards_link not in page.content


def test_the_quarterly_update_page_reads_a_fixed_number_of_queries(
    client, django_assert_max_num_queries
):
    cohort = kpis_cohort_make()
    few = startup_make(cohort=cohort, name="Few Co", started_on=date(2020, 1, 10))
    many = startup_make(cohort=cohort, name="Many Co", started_on=date(2020, 1, 10))
    kpi_make(few, 2020, 1)
    for year in range(2020, 2024):
        for quarter in (1, 2, 3, 4):
            kpi_make(many, year, quarter)
    client.force_login(_founder(few))
    client.get(UPDATE_URL)  # session and menu caches
    with django_assert_max_num_queries(15) as small:
        client.get(UPDATE_URL)
    small_count = len(small.captured_queries)  # read now: later requests reset the log
    client.force_login(_founder(many))
    client.get(UPDATE_URL)
    with django_assert_max_num_queries(small_count):
        page = client.get(UPDATE_URL)
    assert len(page.context["history"]) == 16
