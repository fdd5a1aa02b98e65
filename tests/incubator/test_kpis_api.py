"""The KPI API: founders list and report their startup's quarters, managers all of them
with filters and the dashboards; refusals in the shared error shape, nothing changed."""

from datetime import date

import pytest
from rest_framework.test import APIClient

from fabreck.incubator.models import KpiUpdate
from fabreck.incubator.selectors import quarter_last_finished
from tests.factories import UserFactory
from tests.incubator.helpers import application_make, call_make
from tests.incubator.kpis_helpers import kpi_make, kpis_cohort_make, startup_make

pytestmark = pytest.mark.django_db

URL = "/api/v1/incubator/kpi-updates/"


def _founder(incubation):
    return incubation.organisation.memberships.get(role="owner").user


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _body(incubation, **overrides) -> dict:
    body = {
        "startup": incubation.pk,
        "headcount": 5,
        "revenue": "12000.00",
        "funds_raised": "25000.00",
        "customers": 8,
        "status": "active",
        "note": "Hired a designer",
    }
    body.update(overrides)
    return body


@pytest.fixture
def two_startups(db):
    cohort = kpis_cohort_make()
    mine = startup_make(cohort=cohort, name="Mine", started_on=date(2024, 1, 10))
    theirs = startup_make(cohort=cohort, name="Theirs", started_on=date(2024, 1, 10))
    kpi_make(mine, 2024, 1)
    kpi_make(theirs, 2024, 1)
    kpi_make(theirs, 2024, 2, status="acquired")
    return mine, theirs


def test_founders_list_only_their_startups_updates(two_startups):
    mine, theirs = two_startups
    response = _api(_founder(mine)).get(URL)
    assert response.status_code == 200
    assert [row["startup_name"] for row in response.json()["results"]] == ["Mine"]
    assert _api(_founder(mine)).get(URL, {"startup": theirs.pk}).status_code == 404


def test_managers_list_every_update_with_filters(two_startups, manager):
    mine, theirs = two_startups
    client = _api(manager)
    assert response_count(client.get(URL)) == 3
    assert response_count(client.get(URL, {"startup": theirs.pk})) == 2
    assert response_count(client.get(URL, {"status": "acquired"})) == 1
    assert response_count(client.get(URL, {"year": 2024, "quarter": 1})) == 2
    assert response_count(client.get(URL, {"cohort": mine.cohort.slug})) == 3
    bad = client.get(URL, {"year": "soon"})
    assert bad.status_code == 400 and bad.json()["error"]["fields"]["year"]
    assert client.get(URL, {"cohort": "nope"}).status_code == 404


def response_count(response) -> int:
    assert response.status_code == 200, response.content
    return response.json()["count"]


def test_a_founder_reports_then_corrects_the_last_quarter(two_startups):
    mine, _theirs = two_startups
    client = _api(_founder(mine))
    created = client.post(URL, _body(mine), format="json")
    assert created.status_code == 201, created.content
    year, quarter = quarter_last_finished()
    assert (created.json()["year"], created.json()["quarter"]) == (year, quarter)
    corrected = client.post(URL, _body(mine, headcount=6), format="json")
    assert corrected.status_code == 200 and corrected.json()["id"] == created.json()["id"]
    assert KpiUpdate.objects.get(pk=created.json()["id"]).headcount == 6


def test_bad_input_is_refused_in_the_shared_shape_and_nothing_changes(two_startups):
    mine, theirs = two_startups
    client = _api(_founder(mine))
    before = KpiUpdate.objects.count()

    negative = client.post(URL, _body(mine, headcount=-1), format="json")
    assert negative.status_code == 400
    assert negative.json()["error"]["fields"]["headcount"] == ["The headcount cannot be negative."]

    early = client.post(URL, _body(mine, year=2023, quarter=4), format="json")
    assert early.status_code == 400
    assert "before the incubation started" in early.json()["error"]["fields"]["quarter"][0]

    year, quarter = quarter_last_finished()
    next_quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    future = client.post(
        URL, _body(mine, year=next_quarter[0], quarter=next_quarter[1]), format="json"
    )
    assert future.status_code == 400

    half = client.post(URL, _body(mine, year=2024), format="json")
    assert half.status_code == 400

    other = client.post(URL, _body(theirs), format="json")
    assert other.status_code == 404

    assert KpiUpdate.objects.count() == before
    assert (
        UserFactory and _api(UserFactory()).post(URL, _body(mine), format="json").status_code == 404
    )


def test_a_manager_reports_for_a_startup(two_startups, manager):
    mine, _theirs = two_startups
    response = _api(manager).post(URL, _body(mine, year=2024, quarter=3), format="json")
    assert response.status_code == 201
    assert response.json()["submitted_by"] == manager.email


def test_dashboard_figures_are_for_managers(two_startups, manager):
    mine, _theirs = two_startups
    call = call_make(cohort=mine.cohort)
    application_make(call=call, status="accepted")
    application_make(call=call, startup_name="Second", status="declined")
    url = f"/api/v1/incubator/cohorts/{mine.cohort.slug}/dashboard/"
    assert _api(_founder(mine)).get(url).status_code == 403
    response = _api(manager).get(url)
    assert response.status_code == 200
    body = response.json()
    assert {row["name"] for row in body["startups"]} == {"Mine", "Theirs"}
    assert body["calls"][0]["acceptance_rate"] == "50.00"
    assert body["quarters"][0]["headcount"] == 6  # 2024 Q1: 3 + 3

    overview = _api(manager).get("/api/v1/incubator/kpis/overview/")
    assert overview.status_code == 200
    assert overview.json()["phases"]["idea_validation"] == 2
    assert [row["years"] for row in overview.json()["survival"]] == [1, 3]
    assert _api(_founder(mine)).get("/api/v1/incubator/kpis/overview/").status_code == 403
