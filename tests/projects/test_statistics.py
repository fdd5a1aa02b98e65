"""The projects' statistics: exact figures on a small hand-made history (requests per kind,
machine hours per site, days to delivery, quoted versus actual), for staff and cluster
managers only, in a fixed number of queries, exported as CSV and XLSX, and as JSON."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from fabreck.fablab.models import Booking, Material, MaterialUse, PriceGroup
from fabreck.projects.models import Project, ProjectBooking, Quote, StaffTime
from fabreck.projects.selectors import project_statistics
from tests.fablab.helpers import machine_make, site_make
from tests.factories import PASSWORD, UserFactory
from tests.projects.helpers import project_make

pytestmark = pytest.mark.django_db


def at(year, month, day, hour=10, minute=0):
    """A Luxembourg time."""
    return timezone.make_aware(datetime(year, month, day, hour, minute))


class History:
    """Seven projects over 2023-2025 on two sites (E, small prototyping; D, industrial)."""

    def __init__(self, staff):
        self.staff = staff
        self.e = site_make(slug="esch-test", name="Esch test", staff=[staff])
        self.d = site_make(slug="diff-test", name="Differdange test", staff=[staff])
        self.laser = machine_make(self.e, name="Laser")
        self.waterjet = machine_make(self.d, name="Waterjet", category="waterjet")
        self.group = PriceGroup.objects.get(slug="sme")
        self.acrylic = Material.objects.create(
            site=self.e, name_en="Acrylic", name_fr="Acrylique", name_de="Acryl",
            unit="sheet", unit_price=Decimal("9.00"),
        )  # fmt: skip

        # P1, SME, E: 20 days; quoted 500 (a superseded 900 does not count); actual 323.
        self.p1 = self.project("P1", "sme", self.e, at(2024, 3, 1), at(2024, 3, 21), "closed")
        self.quote(self.p1, 1, "superseded", "900.00")
        self.quote(self.p1, 2, "accepted", "500.00")
        # 2.5 h at 40 = 100, with 2 sheets of acrylic (18)
        b = self.booking(self.p1, self.laser, at(2024, 3, 5, 10), at(2024, 3, 5, 13), "40.00",
                         checked_in=at(2024, 3, 5, 10),
                         checked_out=at(2024, 3, 5, 12, 30))  # fmt: skip
        MaterialUse.objects.create(booking=b, material=self.acrylic, quantity=2,
                                   unit_price=Decimal("9.00"))  # fmt: skip
        # a no-show: nothing
        self.booking(self.p1, self.laser, at(2024, 3, 6, 10), at(2024, 3, 6, 12), "40.00",
                     no_show=True)  # fmt: skip
        # checked in, never out: the booked hour, 40
        self.booking(self.p1, self.laser, at(2024, 3, 7, 10), at(2024, 3, 7, 11), "40.00",
                     checked_in=at(2024, 3, 7, 10, 5))  # fmt: skip
        # cancelled: nothing
        self.booking(self.p1, self.laser, at(2024, 3, 8, 10), at(2024, 3, 8, 12), "40.00",
                     status="cancelled")  # fmt: skip
        self.staff_time(self.p1, "3.00", "55.00")  # 165

        # P2, nonprofit, D: 10 days; quoted 200; actual 4 h at 30 + 2 h at 50 = 220: over.
        self.p2 = self.project("P2", "nonprofit", self.d, at(2024, 6, 1), at(2024, 6, 11),
                               "delivered")  # fmt: skip
        self.quote(self.p2, 1, "accepted", "200.00")
        self.booking(self.p2, self.waterjet, at(2024, 6, 3, 8), at(2024, 6, 3, 12), "30.00",
                     checked_in=at(2024, 6, 3, 8), checked_out=at(2024, 6, 3, 12))  # fmt: skip
        self.staff_time(self.p2, "2.00", "50.00")

        # P3, individual maker, E: 30 days (delivered in 2025); quoted 100; 1.5 h at 20 = 30.
        self.p3 = self.project("P3", "individual", self.e, at(2025, 1, 10), at(2025, 2, 9),
                               "delivered")  # fmt: skip
        self.quote(self.p3, 1, "rejected", "150.00")
        self.quote(self.p3, 2, "accepted", "100.00")
        self.booking(self.p3, self.laser, at(2025, 1, 20, 14), at(2025, 1, 20, 16), "20.00",
                     checked_in=at(2025, 1, 20, 14),
                     checked_out=at(2025, 1, 20, 15, 30))  # fmt: skip

        # P4, startup: requested in 2024, no site yet.
        self.p4 = self.project("P4", "startup", None, at(2024, 11, 1), None, "requested")
        # P5, large group: requested at 23:30 on New Year's Eve 2023 in Luxembourg
        # (22:30 UTC): a request of 2023.
        self.p5 = self.project("P5", "large_group", None, at(2023, 12, 31, 23, 30), None,
                               "declined")  # fmt: skip
        # P6, SME, D, in progress: its 2 h count as machine hours of 2025, not as costs.
        self.p6 = self.project("P6", "sme", self.d, at(2025, 5, 1), None, "in_progress")
        self.quote(self.p6, 1, "accepted", "1000.00")
        self.booking(self.p6, self.waterjet, at(2025, 5, 10, 8), at(2025, 5, 10, 10), "30.00",
                     checked_in=at(2025, 5, 10, 8), checked_out=at(2025, 5, 10, 10))  # fmt: skip
        # P7, SME, E: delivered in 2 days, no quote, no cost.
        self.p7 = self.project("P7", "sme", self.e, at(2024, 9, 1), at(2024, 9, 3), "delivered")

    def project(self, title, kind, site, created, delivered, status) -> Project:
        project = project_make(
            title=title, requester_kind=kind, site=site, status=status,
            lead=self.staff if site else None, delivered_at=delivered,
        )  # fmt: skip
        Project.objects.filter(pk=project.pk).update(created_at=created)
        project.created_at = created
        return project

    def quote(self, project, version, status, net) -> Quote:
        net = Decimal(net)
        decided = status in ("accepted", "rejected")
        return Quote.objects.create(
            project=project, version=version, status=status, price_group=self.group,
            vat_rate=Decimal("17.00"), net_total=net, vat_total=net * Decimal("0.17"),
            gross_total=net * Decimal("1.17"), created_by=self.staff,
            decided_by=project.requested_by if decided else None,
            decided_at=project.created_at if decided else None,
        )  # fmt: skip

    def booking(self, project, resource, starts, ends, rate, *, checked_in=None,
                checked_out=None, no_show=False, status="confirmed") -> Booking:  # fmt: skip
        booking = Booking.objects.create(
            resource=resource, starts_at=starts, ends_at=ends, user=project.requested_by,
            booked_by=self.staff, organisation=project.organisation, status=status,
            price_group=self.group, hourly_rate=Decimal(rate),
            checked_in_at=checked_in, checked_out_at=checked_out, no_show=no_show,
            cancelled_at=starts if status == "cancelled" else None,
        )  # fmt: skip
        ProjectBooking.objects.create(project=project, booking=booking)
        return booking

    def staff_time(self, project, hours, rate) -> None:
        StaffTime.objects.create(project=project, staff=self.staff, day=project.created_at,
                                 hours=Decimal(hours), hourly_rate=Decimal(rate))  # fmt: skip


@pytest.fixture
def history(staff):
    return History(staff)


def test_projects_per_year_and_kind_of_requester(history):
    stats = project_statistics(first_year=2023, last_year=2025)

    assert [row.year for row in stats.requests] == [2023, 2024, 2025]
    table = {row.year: {k: n for k, n in row.counts.items() if n} for row in stats.requests}
    assert table == {
        2023: {"large_group": 1},
        2024: {"sme": 2, "nonprofit": 1, "startup": 1},
        2025: {"individual": 1, "sme": 1},
    }
    assert [row.total for row in stats.requests] == [1, 4, 2]
    assert stats.requests_total.total == 7
    assert stats.requests_total.counts["sme"] == 3 and stats.requests_total.counts["public"] == 0


def test_machine_hours_count_check_in_to_check_out_booked_time_without_check_out_and_no_shows_as_nothing(  # noqa: E501
    history,
):
    stats = project_statistics(first_year=2024, last_year=2025)
    e, d = history.e.pk, history.d.pk

    hours = {row.year: row.hours for row in stats.hours}
    # 2024 at E: 2.5 h + the booked hour without check-out; the no-show and the
    # cancelled booking add nothing.
    assert hours[2024] == {e: Decimal("3.5"), d: Decimal("4.0")}
    assert hours[2025] == {e: Decimal("1.5"), d: Decimal("2.0")}
    assert [row.total for row in stats.hours] == [Decimal("7.5"), Decimal("3.5")]
    assert stats.hours_total.hours == {e: Decimal("5.0"), d: Decimal("6.0")}
    assert stats.hours_total.total == Decimal("11.0")


def test_days_from_request_to_delivery_average_and_median(history):
    stats = project_statistics(first_year=2024, last_year=2025)

    by_year = {row.year: row for row in stats.delivery}
    # 2024: 20, 10 and 2 days; 2025: 30 days
    assert (by_year[2024].delivered, by_year[2024].average_days, by_year[2024].median_days) == (
        3, Decimal("10.7"), Decimal("10.0"),
    )  # fmt: skip
    assert (by_year[2025].average_days, by_year[2025].median_days) == (
        Decimal("30.0"), Decimal("30.0"),
    )  # fmt: skip
    total = stats.delivery_total
    assert (total.delivered, total.average_days, total.median_days) == (
        4, Decimal("15.5"), Decimal("15.0"),
    )  # fmt: skip


def test_a_year_without_delivery_has_no_average(history):
    stats = project_statistics(first_year=2022, last_year=2023)

    assert [(r.delivered, r.average_days, r.median_days) for r in stats.delivery] == [
        (0, None, None),
        (0, None, None),
    ]
    assert stats.delivery_total.average_days is None


def test_quoted_versus_actual_per_year_and_site_with_the_share_over_the_quote(history):
    stats = project_statistics(first_year=2024, last_year=2025)
    e, d = history.e.pk, history.d.pk

    rows = {
        (r.year, r.site_id): (r.projects, r.quoted, r.actual, r.over_quote) for r in stats.costs
    }
    assert rows == {
        # P1: 100 + 40 machine, 18 material, 165 staff = 323 against 500; P7: nothing.
        (2024, e): (2, Decimal("500.00"), Decimal("323.00"), 0),
        # P2: 120 machine + 100 staff = 220 against 200: over.
        (2024, d): (1, Decimal("200.00"), Decimal("220.00"), 1),
        (2025, e): (1, Decimal("100.00"), Decimal("30.00"), 0),
    }
    year_2024 = stats.costs_by_year[0]
    assert (year_2024.projects, year_2024.quoted, year_2024.actual) == (
        3, Decimal("700.00"), Decimal("543.00"),
    )  # fmt: skip
    assert year_2024.over_quote_share == Decimal("33.3")
    total = stats.costs_total
    assert (total.projects, total.quoted, total.actual, total.over_quote) == (
        4, Decimal("800.00"), Decimal("573.00"), 1,
    )  # fmt: skip
    assert total.over_quote_share == Decimal("25.0")
    assert total.difference == Decimal("-227.00")


def test_one_site_only(history):
    stats = project_statistics(first_year=2023, last_year=2025, site=history.e)

    # requests that staff gave to E: P1 and P7 (2024), P3 (2025)
    assert [row.total for row in stats.requests] == [0, 2, 1]
    assert stats.sites == [(history.e.pk, "Esch test")]
    assert stats.hours_total.total == Decimal("5.0")
    assert {(r.year, r.site_id) for r in stats.costs} == {
        (2024, history.e.pk),
        (2025, history.e.pk),
    }
    assert stats.delivery_total.delivered == 3


def _client_for(client, user):
    client.login(email=user.email, password=PASSWORD)
    return client


def test_the_page_shows_the_figures_to_staff_and_cluster_managers(client, history):
    manager = UserFactory(roles=["cluster_manager"])
    _client_for(client, manager)

    response = client.get(reverse("projects:statistics"), {"first_year": 2024, "last_year": 2025})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="requests-total">6<' in html  # P5 was requested in 2023
    assert 'data-testid="hours-total">11.0<' in html
    assert 'data-testid="delivery-average">15.5<' in html
    assert 'data-testid="delivery-median">15.0<' in html
    assert 'data-testid="costs-over">1 (25.0 %)<' in html

    client.logout()
    _client_for(client, history.staff)
    assert client.get(reverse("projects:statistics")).status_code == 200


def test_makers_and_organisation_admins_are_refused(client, history):
    for roles in (["maker"], ["organisation_admin"]):
        _client_for(client, UserFactory(roles=roles))
        assert client.get(reverse("projects:statistics")).status_code == 403
        assert client.get(reverse("projects:statistics-export", args=["csv"])).status_code == 403
        client.logout()
    response = client.get(reverse("projects:statistics"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_wrong_filters_say_so_and_show_the_default_years(client, history):
    _client_for(client, history.staff)

    response = client.get(reverse("projects:statistics"), {"first_year": 2025, "last_year": 2020})
    assert response.status_code == 200
    assert "The first year comes after the last one." in response.content.decode()
    assert response.context["stats"].last_year == timezone.localdate().year

    response = client.get(reverse("projects:statistics"), {"first_year": "soon", "site": "nowhere"})
    assert response.status_code == 200
    assert 'data-testid="filter-errors"' in response.content.decode()


def test_the_page_issues_the_same_queries_whatever_the_number_of_projects(
    client, history, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _client_for(client, history.staff)
    url = reverse("projects:statistics")
    params = {"first_year": 2023, "last_year": 2025}
    client.get(url, params)  # sessions, permissions cached as usual
    with CaptureQueriesContext(connection) as before:
        client.get(url, params)

    for n in range(15):
        project = history.project(f"More {n}", "sme", history.d, at(2024, 2, 1 + n),
                                  at(2024, 4, 1 + n), "closed")  # fmt: skip
        history.quote(project, 1, "accepted", "300.00")
        history.booking(project, history.waterjet, at(2024, 3, 1 + n, 8), at(2024, 3, 1 + n, 9),
                        "30.00", checked_in=at(2024, 3, 1 + n, 8),
                        checked_out=at(2024, 3, 1 + n, 9))  # fmt: skip
        history.staff_time(project, "1.00", "55.00")

    with django_assert_num_queries(len(before.captured_queries)):
        response = client.get(url, params)
    assert response.context["stats"].costs_total.projects == 19
    assert len(before.captured_queries) <= 20  # PostgreSQL adds the planner settings


def test_csv_export_holds_the_tables(client, history):
    _client_for(client, history.staff)

    response = client.get(
        reverse("projects:statistics-export", args=["csv"]),
        {"first_year": 2024, "last_year": 2025, "site": "esch-test"},
    )

    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('"project-statistics-2024-2025-esch-test.csv"')
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Table", "Year", "Group", "Measure", "Value"]
    assert ["Projects requested", "2024", "SME", "Projects", "2"] in rows
    assert ["Machine hours", "2024", "Esch test", "Hours", "3.5"] in rows
    assert ["Time from request to delivery", "", "", "Median (days)", "20.0"] in rows
    assert ["Quoted versus actual", "2024", "Esch test", "Actual (EUR)", "323.00"] in rows
    assert ["Quoted versus actual", "", "", "Over their quote (%)", "0.0"] in rows
    assert not any("Differdange" in cell for row in rows for cell in row)


def test_xlsx_export_holds_the_same_rows(client, history):
    from openpyxl import load_workbook

    _client_for(client, history.staff)

    response = client.get(
        reverse("projects:statistics-export", args=["xlsx"]),
        {"first_year": 2024, "last_year": 2025},
    )

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["Table", "Year", "Group", "Measure", "Value"]
    assert [
        "Quoted versus actual",
        2024,
        "Differdange test",
        "Projects over their quote",
        1,
    ] in rows
    assert ["Machine hours", None, None, "Hours", 11] in rows or [
        "Machine hours", None, None, "Hours", 11.0,
    ] in rows  # fmt: skip


def test_the_api_gives_the_same_figures_to_staff_only(client, history):
    url = reverse("api-projects-statistics")
    _client_for(client, history.staff)

    data = client.get(url, {"first_year": 2024, "last_year": 2025}).json()

    assert (data["first_year"], data["last_year"], data["site"]) == (2024, 2025, None)
    assert data["requests_total"]["total"] == 6
    sme = next(k for k in data["requests"][0]["by_kind"] if k["kind"] == "sme")
    assert sme == {"kind": "sme", "label": "SME", "projects": 2}
    assert data["machine_hours_total"]["total"] == "11.0"
    assert {s["site"]: s["hours"] for s in data["machine_hours_total"]["by_site"]} == {
        "esch-test": "5.0",
        "diff-test": "6.0",
    }
    assert data["delivery_total"] == {
        "year": None, "delivered": 4, "average_days": "15.5", "median_days": "15.0",
    }  # fmt: skip
    assert data["costs_total"]["over_quote_share"] == "25.0"
    assert {(c["year"], c["site"], c["actual"]) for c in data["costs"]} == {
        (2024, "esch-test", "323.00"), (2024, "diff-test", "220.00"), (2025, "esch-test", "30.00"),
    }  # fmt: skip

    bad = client.get(url, {"first_year": 2025, "last_year": 2020})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid"

    client.logout()
    _client_for(client, UserFactory(roles=["maker"]))
    refused = client.get(url)
    assert refused.status_code == 403
    assert (
        refused.json()["error"]["message"] == "Only staff and cluster managers read the statistics."
    )


def test_the_account_menu_offers_the_statistics_to_staff_only(client, history):
    url = reverse("projects:statistics")
    _client_for(client, history.staff)
    assert f'href="{url}"' in client.get("/").content.decode()
    client.logout()

    _client_for(client, UserFactory(roles=["maker"]))
    assert f'href="{url}"' not in client.get("/").content.decode()


def test_on_postgresql_the_planner_settings_are_put_back_in_the_callers_transaction(history):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the statistics change planner settings on PostgreSQL only")

    def settings_now():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('jit'), current_setting('enable_hashjoin'), "
                "current_setting('enable_mergejoin')"
            )
            return cursor.fetchone()

    before = settings_now()  # the test runs inside a transaction, as a request might

    stats = project_statistics(first_year=2024, last_year=2025)

    assert stats.costs_total.projects == 4
    assert settings_now() == before
