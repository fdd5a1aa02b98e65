"""Workshop statistics: unique children reached per year, pupils of school classes counted by
class size, by age, school and commune; fill rate and no-show rate per kind of event; a staff
page with CSV/XLSX export; a fixed number of queries whatever the number of registrations."""

from __future__ import annotations

import csv
import io
import time
from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fabreck.cluster.models import Commune
from fabreck.events.models import Child, Event, Registration, Session
from fabreck.events.selectors import statistics_for
from tests.events.helpers import (
    child_make,
    event_make,
    registration_make,
    school_make,
    session_make,
)
from tests.fablab.helpers import site_make
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year - 1  # a year entirely in the past


def _on(event, month: int, *, year: int = YEAR, capacity: int = 10, **fields) -> Session:
    starts = timezone.make_aware(datetime(year, month, 10, 14))
    return session_make(
        event, starts_at=starts, ends_at=starts + timedelta(hours=2), capacity=capacity, **fields
    )


def _child(guardian, name: str, age: int, commune: str | None = None, year: int = YEAR) -> Child:
    return child_make(
        guardian,
        first_name=name,
        birth_date=date(year - age, 1, 1),
        commune=Commune.objects.get(slug=commune) if commune else None,
    )


@pytest.fixture
def site():
    return site_make()


@pytest.fixture
def year_of_workshops(site):
    """Last year: two children's workshops, a teen workshop, a cancelled session; and one
    workshop two years ago."""
    guardian = UserFactory(roles=["guardian"])
    workshop = event_make(site=site, accepts_school_classes=True)
    teens = event_make(slug="teens", kind="teen_workshop", site=site, age_min=12, age_max=17)
    march, june = _on(workshop, 3), _on(workshop, 6)
    september = _on(teens, 9, capacity=5)
    cancelled = _on(workshop, 10, status="cancelled")
    older = _on(workshop, 5, year=YEAR - 1)

    lea = _child(guardian, "Lea", 8, "esch-sur-alzette")
    tom = _child(guardian, "Tom", 10, "differdange")
    max_ = _child(guardian, "Max", 9)
    zoe = _child(guardian, "Zoe", 13)
    ana = _child(guardian, "Ana", 7, "esch-sur-alzette", year=YEAR - 1)
    registration_make(march, child=lea, attendance="present")
    registration_make(june, child=lea)  # not recorded: expected, nobody said missing
    registration_make(march, child=tom, attendance="no_show")
    registration_make(june, child=tom, attendance="present")
    registration_make(march, child=max_, status="cancelled")
    registration_make(september, child=zoe, attendance="present")
    registration_make(september, user=UserFactory())
    brill = school_make(name="École du Brill", commune=Commune.objects.get(slug="esch-sur-alzette"))
    registration_make(june, school=brill, grade="3e", pupils=6, attendance="present")
    registration_make(march, school=school_make(name="Private school"), grade="2", pupils=3)
    registration_make(cancelled, child=_child(guardian, "Eva", 9))
    registration_make(older, child=ana, attendance="present")
    return {"march": march, "june": june}


def test_children_are_counted_once_and_pupils_by_class_size(year_of_workshops):
    stats = statistics_for(year=YEAR)

    # Lea (twice) and Tom (a no-show once, present once) and Zoe; not Max (cancelled), not
    # Eva (session cancelled), not Ana (another year).
    assert stats.reach.children == 3
    assert (stats.reach.pupils, stats.reach.classes, stats.reach.adults) == (9, 2, 1)
    assert [(row.year, row.children) for row in stats.per_year] == [(YEAR, 3), (YEAR - 1, 1)]


def test_children_by_age_school_and_commune(year_of_workshops):
    stats = statistics_for(year=YEAR)

    assert stats.by_age == [(8, 1), (10, 1), (13, 1)]
    assert stats.by_school == [
        {"name": "École du Brill", "commune": "Esch-sur-Alzette", "classes": 1, "pupils": 6},
        {"name": "Private school", "commune": "", "classes": 1, "pupils": 3},
    ]
    assert stats.by_commune == [
        {"name": "Esch-sur-Alzette", "children": 1, "pupils": 6},
        {"name": "Differdange", "children": 1, "pupils": 0},
        {"name": "", "children": 1, "pupils": 3},
    ]


def test_fill_rate_and_no_show_rate_per_kind(year_of_workshops):
    rates = {row.kind: row for row in statistics_for(year=YEAR).by_kind}

    workshop = rates["children_workshop"]
    # March: Lea, Tom, a class of 3 = 5 seats; June: Lea, Tom, a class of 6 = 8 seats.
    assert (workshop.sessions, workshop.seats_taken, workshop.capacity) == (2, 13, 20)
    assert workshop.fill_rate == 65.0
    assert (workshop.no_show_seats, workshop.confirmed_seats) == (1, 13)
    assert workshop.no_show_rate == 7.7
    teens = rates["teen_workshop"]
    assert (teens.fill_rate, teens.no_show_rate) == (40.0, 0.0)
    assert set(rates) == {"children_workshop", "teen_workshop"}


def test_sessions_not_yet_over_do_not_count(site):
    guardian = UserFactory(roles=["guardian"])
    upcoming = session_make(event_make(site=site), days_ahead=2)
    registration_make(upcoming, child=child_make(guardian))

    stats = statistics_for(year=timezone.localtime(upcoming.starts_at).year)

    assert stats.reach.children == 0 and stats.by_kind == []


def test_one_site_at_a_time(year_of_workshops):
    other = site_make(slug="other", name="Other FabLab")
    session = _on(event_make(slug="elsewhere", site=other), 4)
    registration_make(session, child=child_make(UserFactory(roles=["guardian"]), first_name="Ida"))

    assert statistics_for(year=YEAR).reach.children == 4
    assert statistics_for(year=YEAR, site=other).reach.children == 1


# --- the page ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["site_staff", "cluster_manager", "administrator"])
def test_staff_and_cluster_managers_read_the_page(client, year_of_workshops, role):
    client.force_login(UserFactory(roles=[role]))

    response = client.get(reverse("events:statistics"), {"year": YEAR})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="children-reached">3<' in html
    assert 'data-testid="pupils-reached">9<' in html
    assert "65.0 %" in html and "École du Brill" in html


def test_the_year_selector_shows_another_year(client, year_of_workshops):
    client.force_login(UserFactory(roles=["site_staff"]))

    html = client.get(reverse("events:statistics"), {"year": YEAR - 1}).content.decode()

    assert 'data-testid="children-reached">1<' in html
    assert f'<option value="{YEAR - 1}" selected>' in html


def test_guardians_and_visitors_cannot_read_the_statistics(client):
    assert client.get(reverse("events:statistics")).status_code == 302
    client.force_login(UserFactory(roles=["guardian"]))
    assert client.get(reverse("events:statistics")).status_code == 403
    assert client.get(reverse("events:statistics-export", args=["csv"])).status_code == 403


def test_the_figures_export_to_csv_and_xlsx(client, year_of_workshops):
    from openpyxl import load_workbook

    client.force_login(UserFactory(roles=["site_staff"]))

    response = client.get(reverse("events:statistics-export", args=["csv"]), {"year": YEAR})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    workbook = client.get(reverse("events:statistics-export", args=["xlsx"]), {"year": YEAR})
    sheet = load_workbook(io.BytesIO(workbook.content)).active

    assert f"workshop-statistics-{YEAR}.csv" in response["Content-Disposition"]
    assert rows[0] == ["Year", "Measure", "Group", "Value"]
    assert [str(YEAR), "Children reached (unique)", "", "3"] in rows
    assert [str(YEAR), "Pupils by school", "École du Brill (Esch-sur-Alzette)", "6"] in rows
    assert [str(YEAR), "Fill rate (%)", "Children's workshop", "65.0"] in rows
    assert [cell.value for cell in next(sheet.iter_rows())] == ["Year", "Measure", "Group", "Value"]
    assert sheet.max_row == len(rows)


def test_the_page_issues_the_same_queries_for_more_registrations(client, year_of_workshops):
    client.force_login(UserFactory(roles=["site_staff"]))
    url = reverse("events:statistics")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, {"year": YEAR}).status_code == 200
        return len(captured)

    few = queries()
    guardian = UserFactory(roles=["guardian"])
    for month in (1, 2, 4, 5):
        session = _on(Event.objects.get(slug="robots"), month, capacity=30)
        for index in range(8):
            registration_make(session, child=_child(guardian, f"K{month}-{index}", 6 + index))
        registration_make(session, school=school_make(name=f"School {month}"), pupils=12)

    assert queries() == few <= 20


def _sql(statement: str, params: list) -> None:
    """Raw SQL that both SQLite and PostgreSQL read (`%%` is the modulo operator)."""
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_ten_years_of_60000_registrations_stay_fast():
    """The `large` seed's size: ten years, 600 sessions, 60,000 registrations (written by
    the database itself: building 60,000 model objects would take most of a minute)."""
    ops = connection.ops
    organiser = UserFactory()
    event = Event.objects.create(
        slug="many", kind="children_workshop", title_en="Many", venue="Here", organiser=organiser
    )
    this_year = timezone.localdate().year
    sessions = Session.objects.bulk_create(
        Session(
            event=event,
            starts_at=timezone.make_aware(
                datetime(this_year - 10 + index // 60, 1 + index % 60 // 5, 1 + index % 5, 14)
            ),
            ends_at=timezone.make_aware(
                datetime(this_year - 10 + index // 60, 1 + index % 60 // 5, 1 + index % 5, 16)
            ),
            capacity=100,
            seats_taken=100,
        )
        for index in range(600)
    )
    first_session = min(session.pk for session in sessions)
    assert max(session.pk for session in sessions) - first_session == 599
    now = ops.adapt_datetimefield_value(timezone.now())
    esch, diff = (Commune.objects.get(slug=slug).pk for slug in ("esch-sur-alzette", "differdange"))
    _sql(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 14999) "
        "INSERT INTO events_child (created_at, updated_at, guardian_id, first_name, birth_date, "
        "birth_year, commune_id, photo_consent, pickup_persons, notes, anonymised_at) "
        "SELECT %s, %s, %s, 'C' || i, %s, %s, CASE WHEN i %% 2 = 0 THEN %s ELSE %s END, "
        "FALSE, '', '', NULL FROM n",
        [now, now, organiser.pk, ops.adapt_datefield_value(date(this_year - 12, 1, 1)),
         this_year - 12, esch, diff],
    )  # fmt: skip
    children = Child.objects.filter(guardian=organiser)
    first_child = min(children.values_list("pk", flat=True))
    assert max(children.values_list("pk", flat=True)) - first_child == 14_999
    _sql(
        "WITH RECURSIVE k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j < 99) "
        "INSERT INTO events_registration (created_at, updated_at, session_id, kind, status, "
        "child_id, child_age, grade, accompanying_adults, seats, price, offer_token_digest, "
        "confirmed_at, attendance) "
        "SELECT %s, %s, s.id, 'child', 'confirmed', "
        "%s + ((s.id - %s) * 100 + j) %% 15000, 6 + j %% 6, '', 0, 1, 0, '', %s, "
        "CASE WHEN j %% 10 = 0 THEN 'no_show' ELSE 'present' END "
        "FROM events_session s CROSS JOIN k WHERE s.event_id = %s",
        [now, now, first_child, first_session, now, event.pk],
    )  # fmt: skip
    assert Registration.objects.count() == 60_000

    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        stats = statistics_for(year=this_year - 5)
        elapsed = time.perf_counter() - started

    assert stats.reach.children == 5400  # 60 sessions x 90 present, no child twice a year
    assert stats.by_kind[0].no_show_rate == 10.0 and stats.by_kind[0].fill_rate == 100.0
    assert [row.year for row in stats.per_year] == list(range(this_year - 1, this_year - 11, -1))
    assert {row["name"] for row in stats.by_commune} == {"Esch-sur-Alzette", "Differdange"}
    assert len(captured) <= 10
    assert elapsed < 5, f"statistics took {elapsed:.2f}s"
