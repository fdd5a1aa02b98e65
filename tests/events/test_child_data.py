"""A child's data belongs to their guardian: exported (JSON, CSV), deleted (anonymised at
once, refused while the child holds an upcoming place), and anonymised by the retention job
after the last session; the workshops' statistics give the same figures afterwards."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from io import StringIO

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from fabreck.cluster.models import Commune
from fabreck.events import tasks
from fabreck.events.models import Child, Registration
from fabreck.events.selectors import statistics_for
from fabreck.events.services import child_delete, children_anonymise_expired
from tests.events.helpers import (
    child_make,
    event_make,
    registration_make,
    school_make,
    session_make,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def guardian():
    return UserFactory(roles=["guardian"])


def _session_ago(event, **ago):
    starts = timezone.now() - relativedelta(**ago)
    return session_make(event, starts_at=starts, ends_at=starts + timedelta(hours=2))


def _content(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8-sig")


# --- export --------------------------------------------------------------------------------


def test_the_guardian_downloads_the_profile_and_every_registration_as_json(client, guardian):
    child = child_make(
        guardian,
        commune=Commune.objects.get(slug="esch-sur-alzette"),
        photo_consent=True,
        pickup_persons="Grandma",
        notes="Glasses",
    )
    event = event_make()
    past = _session_ago(event, months=2)
    attended = registration_make(past, child=child, attendance="present")
    upcoming = registration_make(session_make(event, days_ahead=10), child=child)
    client.force_login(guardian)

    response = client.get(reverse("events:child-export-json", args=[child.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["child"]["first_name"] == "Lea"
    assert data["child"]["birth_date"] == child.birth_date.isoformat()
    assert data["child"]["commune"] == "Esch-sur-Alzette"
    assert data["child"]["pickup_persons"] == "Grandma" and data["child"]["notes"] == "Glasses"
    rows = {row["id"]: row for row in data["registrations"]}
    assert set(rows) == {attended.pk, upcoming.pk}
    assert rows[attended.pk]["event"] == "Build a robot"
    assert rows[attended.pk]["attendance"] == "present"
    assert rows[attended.pk]["status"] == "confirmed"
    assert rows[attended.pk]["session_starts_at"].startswith(
        timezone.localtime(past.starts_at).date().isoformat()
    )


def test_the_guardian_downloads_the_same_as_csv(client, guardian):
    child = child_make(guardian)
    registration_make(session_make(event_make()), child=child)
    client.force_login(guardian)

    response = client.get(reverse("events:child-export-csv", args=[child.pk]))

    rows = list(csv.reader(io.StringIO(_content(response))))
    assert rows[0][:2] == ["First name", "Birth date"]
    assert len(rows) == 2
    assert rows[1][0] == "Lea" and "Build a robot" in rows[1]


def test_a_child_without_registrations_exports_one_csv_line(client, guardian):
    child = child_make(guardian)
    client.force_login(guardian)

    rows = list(
        csv.reader(
            io.StringIO(_content(client.get(reverse("events:child-export-csv", args=[child.pk]))))
        )
    )

    assert len(rows) == 2 and rows[1][0] == "Lea"


# --- delete --------------------------------------------------------------------------------


def test_deleting_a_child_with_an_upcoming_place_is_refused_with_the_sessions(guardian):
    child = child_make(guardian)
    registration_make(session_make(event_make(), days_ahead=5), child=child)

    with pytest.raises(ValidationError) as caught:
        child_delete(guardian=guardian, child=child)

    message = " ".join(caught.value.messages)
    assert "Lea is still registered for: Build a robot on" in message
    assert "Cancel these registrations first" in message
    child.refresh_from_db()
    assert child.first_name == "Lea" and child.anonymised_at is None


def test_a_waitlisted_place_also_holds_the_profile(guardian):
    child = child_make(guardian)
    registration_make(session_make(event_make()), child=child, status="waitlisted")

    with pytest.raises(ValidationError):
        child_delete(guardian=guardian, child=child)


def test_deleting_anonymises_the_child_and_keeps_what_statistics_need(guardian):
    commune = Commune.objects.get(slug="differdange")
    child = child_make(guardian, commune=commune, pickup_persons="Dad", notes="Asthma")
    past = registration_make(_session_ago(event_make(), months=1), child=child)
    registration_make(session_make(event_make(slug="later")), child=child, status="cancelled")
    birth_year = child.birth_year

    child_delete(guardian=guardian, child=child)

    child.refresh_from_db()
    assert child.anonymised_at is not None
    assert (child.first_name, child.birth_date, child.guardian) == ("", None, None)
    assert (child.pickup_persons, child.notes) == ("", "")
    assert (child.birth_year, child.commune) == (birth_year, commune)
    past.refresh_from_db()
    assert past.child_id == child.pk and past.child_age == 8
    assert past.registered_by is None  # the registration no longer leads to the guardian


def test_the_delete_page_removes_the_child_from_the_guardians_list(client, guardian):
    child = child_make(guardian)
    client.force_login(guardian)

    confirm = client.get(reverse("events:child-delete", args=[child.pk]))
    response = client.post(reverse("events:child-delete", args=[child.pk]), follow=True)

    assert confirm.status_code == 200
    html = response.content.decode()
    assert "data was deleted" in html and 'data-testid="child"' not in html
    assert client.get(reverse("events:child-edit", args=[child.pk])).status_code == 404


def test_the_delete_page_lists_the_registrations_to_cancel_first(client, guardian):
    child = child_make(guardian)
    registration_make(session_make(event_make()), child=child)
    client.force_login(guardian)

    response = client.post(reverse("events:child-delete", args=[child.pk]))

    assert response.status_code == 400
    assert "Cancel these registrations first" in response.content.decode()
    assert Child.objects.get(pk=child.pk).anonymised_at is None


# --- retention -----------------------------------------------------------------------------


def test_the_retention_job_anonymises_children_whose_last_session_is_old(guardian):
    event = event_make()
    old = child_make(guardian, first_name="Old")
    registration_make(_session_ago(event, months=25), child=old)
    recent = child_make(guardian, first_name="Recent")
    registration_make(_session_ago(event, months=25), child=recent)
    registration_make(_session_ago(event, months=23), child=recent)
    coming_back = child_make(guardian, first_name="Back")
    registration_make(_session_ago(event, months=30), child=coming_back)
    registration_make(session_make(event, days_ahead=3), child=coming_back)
    never = child_make(guardian, first_name="Never")
    Child.objects.filter(pk=never.pk).update(created_at=timezone.now() - relativedelta(months=25))
    new = child_make(guardian, first_name="New")

    count = children_anonymise_expired()

    assert count == 2
    kept = set(
        Child.objects.filter(anonymised_at__isnull=True).values_list("first_name", flat=True)
    )
    assert kept == {"Recent", "Back", "New"}
    assert Child.objects.filter(pk__in=[old.pk, never.pk], first_name="").count() == 2
    assert new.pk


def test_the_retention_period_is_a_setting(guardian, settings):
    settings.EVENTS_CHILD_RETENTION_MONTHS = 6
    child = child_make(guardian)
    registration_make(_session_ago(event_make(), months=7), child=child)

    assert children_anonymise_expired() == 1
    assert children_anonymise_expired() == 0  # already anonymised


def test_the_command_and_the_celery_task_run_the_job(guardian):
    event = event_make()
    for name in ("A", "B"):
        registration_make(
            _session_ago(event, months=30), child=child_make(guardian, first_name=name)
        )
    out = StringIO()

    call_command("events_children_anonymise", "--months", "36", stdout=out)
    assert "0 child profile(s) anonymised." in out.getvalue()
    call_command("events_children_anonymise", stdout=out)
    assert "2 child profile(s) anonymised." in out.getvalue()
    assert tasks.children_anonymise_expired.delay().get() == 0


def test_the_retention_job_is_scheduled_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["events-children-retention"]

    assert entry["task"] == "fabreck.events.tasks.children_anonymise_expired"


def test_statistics_give_the_same_figures_after_anonymisation(guardian):
    esch = Commune.objects.get(slug="esch-sur-alzette")
    event = event_make()
    first, second = _session_ago(event, months=27), _session_ago(event, months=26)
    lea = child_make(guardian, first_name="Lea", age=8, commune=esch)
    tom = child_make(UserFactory(roles=["guardian"]), first_name="Tom", age=10)
    registration_make(first, child=lea, attendance="present")
    registration_make(second, child=lea, attendance="present")
    registration_make(first, child=tom, attendance="no_show")
    registration_make(second, child=tom)
    registration_make(first, school=school_make(commune=esch), grade="4e", pupils=5)
    year = timezone.localtime(first.starts_at).year
    other_year = timezone.localtime(second.starts_at).year
    years = sorted({year, other_year})
    before = [statistics_for(year=y) for y in years]

    assert children_anonymise_expired() == 2
    assert Child.objects.filter(anonymised_at__isnull=False).count() == 2

    after = [statistics_for(year=y) for y in years]
    assert after == before
    assert sum(stats.reach.children for stats in after) >= 2  # Tom's no-show not counted
    assert sum(stats.reach.pupils for stats in after) == 5
    ages = {age for stats in after for age, _ in stats.by_age}
    assert ages >= {8}
    assert Registration.objects.filter(child__isnull=False).count() == 4
