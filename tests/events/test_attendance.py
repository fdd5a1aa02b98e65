"""Attendance: the staff of a session check attendees in on a tablet (children with what the
staff must know, school classes, adults), record no-shows, and for a training record who
passed, which records the FabLab authorisation of the course. Same through the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fabreck.cluster.models import Commune
from fabreck.events.models import Registration
from fabreck.events.services import (
    attendance_record,
    session_no_shows_mark,
    training_result_record,
)
from fabreck.fablab.models import Authorisation
from tests.events.helpers import (
    child_make,
    event_make,
    registration_make,
    school_make,
    session_make,
)
from tests.fablab.helpers import course_make, site_make
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return UserFactory(roles=["site_staff"])


@pytest.fixture
def site(staff):
    return site_make(staff=[staff])


@pytest.fixture
def guardian():
    return UserFactory(roles=["guardian"])


def _session_in(event, *, minutes: int, **fields):
    starts = timezone.now() + timedelta(minutes=minutes)
    return session_make(event, starts_at=starts, ends_at=starts + timedelta(hours=2), **fields)


@pytest.fixture
def started(site):
    """A children's workshop that started ten minutes ago."""
    return _session_in(event_make(site=site, accepts_school_classes=True), minutes=-10)


def _htmx(client, url, data):
    return client.post(url, data, HTTP_HX_REQUEST="true")


# --- the check-in list ---------------------------------------------------------------------


def test_the_check_in_list_shows_what_the_staff_must_know(client, staff, started, guardian):
    lea = child_make(
        guardian,
        first_name="Lea",
        age=8,
        photo_consent=False,
        pickup_persons="Grandma Anne 621 111 111",
        notes="Allergic to nuts",
    )
    registration_make(started, child=lea)
    school = school_make(
        name="École du Brill", commune=Commune.objects.get(slug="esch-sur-alzette")
    )
    registration_make(started, school=school, grade="3e", pupils=6, accompanying_adults=2)
    adult = UserFactory(first_name="Marie", last_name="Weber")
    registration_make(started, user=adult)
    registration_make(started, child=child_make(guardian, first_name="Zoe"), status="waitlisted")
    client.force_login(staff)

    response = client.get(reverse("events:session-attendance", args=[started.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Lea" in html and "8 years old" in html and 'data-testid="no-photos"' in html
    assert "Grandma Anne 621 111 111" in html and "Allergic to nuts" in html
    assert "École du Brill" in html and "3e" in html and "6 pupils" in html and "2 adults" in html
    assert "Marie Weber" in html
    assert "Zoe" not in html  # the waitlist is not on the check-in list
    assert html.count('data-testid="attendee"') == 3
    assert 'data-present="0" data-expected="8"' in html


def test_marking_present_with_htmx_returns_the_row_and_the_new_count(client, staff, started):
    registration = registration_make(started, child=child_make(UserFactory(roles=["guardian"])))
    registration_make(started, user=UserFactory())
    client.force_login(staff)

    response = _htmx(
        client,
        reverse("events:attendance-mark", args=[started.pk, registration.pk]),
        {"attendance": "present"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="registration-{registration.pk}"' in html
    assert 'data-attendance="present"' in html
    assert 'hx-swap-oob="true"' in html and 'data-present="1" data-expected="2"' in html
    registration.refresh_from_db()
    assert registration.attendance == "present" and registration.checked_in_at is not None


def test_without_htmx_the_page_comes_back(client, staff, started):
    registration = registration_make(started, user=UserFactory())
    client.force_login(staff)

    response = client.post(
        reverse("events:attendance-mark", args=[started.pk, registration.pk]),
        {"attendance": "no_show"},
    )

    assert response.status_code == 302
    assert Registration.objects.get(pk=registration.pk).attendance == "no_show"


def test_a_refusal_shows_in_the_row_and_changes_nothing(client, staff, site):
    later = _session_in(event_make(site=site), minutes=30)
    registration = registration_make(later, user=UserFactory())
    client.force_login(staff)

    response = _htmx(
        client,
        reverse("events:attendance-mark", args=[later.pk, registration.pk]),
        {"attendance": "no_show"},
    )

    assert "A no-show can be recorded once the session has started." in response.content.decode()
    assert Registration.objects.get(pk=registration.pk).attendance == "unknown"


def test_check_in_opens_an_hour_before_the_start(staff, site):
    soon = _session_in(event_make(site=site), minutes=45)
    later = _session_in(event_make(site=site, slug="later"), minutes=90)
    early = registration_make(soon, user=UserFactory())
    too_early = registration_make(later, user=UserFactory())

    attendance_record(registration=early, by=staff, attendance="present")
    with pytest.raises(ValidationError) as caught:
        attendance_record(registration=too_early, by=staff, attendance="present")

    assert "Check-in opens an hour before the session starts." in caught.value.messages
    assert Registration.objects.get(pk=too_early.pk).attendance == "unknown"


def test_only_confirmed_registrations_have_an_attendance(staff, started):
    waiting = registration_make(started, user=UserFactory(), status="waitlisted")

    with pytest.raises(ValidationError) as caught:
        attendance_record(registration=waiting, by=staff, attendance="present")

    assert "Only confirmed registrations have an attendance" in caught.value.messages[0]


def test_undo_returns_to_not_recorded(staff, started):
    registration = registration_make(started, user=UserFactory())
    attendance_record(registration=registration, by=staff, attendance="present")

    attendance_record(registration=registration, by=staff, attendance="unknown")

    registration.refresh_from_db()
    assert (registration.attendance, registration.checked_in_at) == ("unknown", None)


def test_no_shows_are_marked_for_everyone_not_checked_in_once_started(staff, started, site):
    came = registration_make(started, user=UserFactory())
    missing = registration_make(started, user=UserFactory())
    waiting = registration_make(started, user=UserFactory(), status="waitlisted")
    attendance_record(registration=came, by=staff, attendance="present")
    upcoming = _session_in(event_make(site=site, slug="upcoming"), minutes=30)

    marked = session_no_shows_mark(session=started, by=staff)
    with pytest.raises(ValidationError):
        session_no_shows_mark(session=upcoming, by=staff)

    assert marked == 1
    states = dict(
        Registration.objects.filter(pk__in=[came.pk, missing.pk, waiting.pk]).values_list(
            "pk", "attendance"
        )
    )
    assert states == {came.pk: "present", missing.pk: "no_show", waiting.pk: "unknown"}


def test_the_no_show_button_marks_them(client, staff, started):
    registration_make(started, user=UserFactory())
    client.force_login(staff)

    response = client.post(reverse("events:session-no-shows", args=[started.pk]), follow=True)

    assert "1 attendee(s) marked as no-shows." in response.content.decode()


def test_nobody_but_the_staff_of_the_event_records_attendance(client, started, guardian):
    registration = registration_make(started, child=child_make(guardian))
    other_staff = UserFactory(roles=["site_staff"])
    site_make(slug="elsewhere", name="Elsewhere", staff=[other_staff])
    url = reverse("events:attendance-mark", args=[started.pk, registration.pk])

    with pytest.raises(PermissionDenied):
        attendance_record(registration=registration, by=other_staff, attendance="present")
    for user in (other_staff, guardian):
        client.force_login(user)
        assert client.post(url, {"attendance": "present"}).status_code == 404
        assert (
            client.get(reverse("events:session-attendance", args=[started.pk])).status_code == 404
        )
    client.logout()
    assert client.post(url, {"attendance": "present"}).status_code == 404
    assert Registration.objects.get(pk=registration.pk).attendance == "unknown"


def test_the_check_in_list_issues_a_bounded_number_of_queries(client, staff, site, guardian):
    started = _session_in(event_make(site=site), minutes=-10, capacity=40)
    client.force_login(staff)
    url = reverse("events:session-attendance", args=[started.pk])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    for index in range(2):
        registration_make(started, child=child_make(guardian, first_name=f"A{index}"))
    few = queries()
    for index in range(8):
        registration_make(started, child=child_make(guardian, first_name=f"B{index}"))
        registration_make(started, user=UserFactory())

    assert queries() == few


def test_the_check_in_home_lists_the_days_sessions_of_the_staffs_site(client, staff, site):
    mine = _session_in(event_make(site=site), minutes=60)
    elsewhere = site_make(slug="elsewhere", name="Elsewhere")
    _session_in(event_make(site=elsewhere, slug="theirs", title_en="Their workshop"), minutes=60)
    client.force_login(staff)

    html = client.get(
        reverse("events:check-in") + f"?day={timezone.localtime(mine.starts_at).date()}"
    ).content.decode()

    assert reverse("events:session-attendance", args=[mine.pk]) in html
    assert "Their workshop" not in html


# --- trainings -----------------------------------------------------------------------------


@pytest.fixture
def training(site):
    event = event_make(slug="laser", kind="training", site=site, course=course_make(months=12))
    return _session_in(event, minutes=-90)


def test_passing_a_training_records_the_authorisation_of_its_course(staff, training):
    maker = UserFactory(roles=["maker"])
    registration = registration_make(training, user=maker)

    training_result_record(registration=registration, by=staff, passed=True, evidence="Cut a box")

    registration.refresh_from_db()
    assert registration.passed is True and registration.attendance == "present"
    authorisation = Authorisation.objects.get(user=maker)
    assert authorisation.course == training.event.course
    assert authorisation.issued_by == staff
    assert authorisation.issued_at == training.starts_at
    assert authorisation.expires_at.year == training.starts_at.year + 1
    assert "Build a robot" in authorisation.evidence and "Cut a box" in authorisation.evidence


def test_recording_a_pass_twice_grants_once_and_a_correction_revokes(staff, training):
    maker = UserFactory(roles=["maker"])
    registration = registration_make(training, user=maker)

    training_result_record(registration=registration, by=staff, passed=True)
    training_result_record(registration=registration, by=staff, passed=True)
    assert Authorisation.objects.filter(user=maker).count() == 1

    training_result_record(registration=registration, by=staff, passed=False)

    authorisation = Authorisation.objects.get(user=maker)
    assert authorisation.revoked_at is not None and authorisation.revoked_by == staff
    assert "was corrected" in authorisation.revoke_reason
    assert Registration.objects.get(pk=registration.pk).passed is False


def test_a_passed_attendee_cannot_be_marked_absent(staff, training):
    registration = registration_make(training, user=UserFactory())
    training_result_record(registration=registration, by=staff, passed=True)

    with pytest.raises(ValidationError):
        attendance_record(registration=registration, by=staff, attendance="no_show")


def test_only_trainings_have_a_result(staff, started):
    registration = registration_make(started, user=UserFactory())

    with pytest.raises(ValidationError) as caught:
        training_result_record(registration=registration, by=staff, passed=True)

    assert "Only trainings have a result." in caught.value.messages
    assert not Authorisation.objects.exists()


def test_a_training_result_waits_for_the_start(staff, site):
    event = event_make(slug="cnc", kind="training", site=site, course=course_make(slug="cnc"))
    registration = registration_make(_session_in(event, minutes=30), user=UserFactory())

    with pytest.raises(ValidationError):
        training_result_record(registration=registration, by=staff, passed=True)
    assert not Authorisation.objects.exists()


def test_the_pass_button_on_the_check_in_list(client, staff, training):
    maker = UserFactory(roles=["maker"])
    registration = registration_make(training, user=maker)
    client.force_login(staff)
    page = client.get(reverse("events:session-attendance", args=[training.pk])).content.decode()

    response = _htmx(
        client,
        reverse("events:training-result", args=[training.pk, registration.pk]),
        {"passed": "1"},
    )

    assert 'data-testid="training-result"' in page
    assert 'data-passed="1"' in response.content.decode()
    assert Authorisation.objects.filter(user=maker, revoked_at__isnull=True).exists()


# --- API -----------------------------------------------------------------------------------


def test_the_api_gives_the_check_in_list_to_the_staff_only(client, staff, started, guardian):
    registration_make(started, child=child_make(guardian, notes="Asthma"))
    registration_make(started, user=UserFactory(), status="waitlisted")
    url = reverse("events-api:session-attendance", args=[started.pk])

    client.force_login(staff)
    data = client.get(url).json()
    client.force_login(UserFactory(roles=["site_staff"]))
    stranger = client.get(url)
    client.force_login(guardian)
    parent = client.get(url)

    assert (data["expected"], data["present"], data["no_show"]) == (1, 0, 0)
    [row] = data["registrations"]
    assert row["kind"] == "child" and row["child"]["first_name"] == "Lea"
    assert row["child"]["notes"] == "Asthma" and row["child_age"] == 8
    assert stranger.status_code == 404 and parent.status_code == 404
    assert stranger.json()["error"]["code"] == "not_found"


def test_the_api_records_attendance(client, staff, started):
    registration = registration_make(started, user=UserFactory())
    url = reverse("events-api:registration-attendance", args=[started.pk, registration.pk])
    client.force_login(staff)

    response = client.post(url, {"attendance": "present"}, content_type="application/json")

    assert response.status_code == 200
    assert response.json()["attendance"] == "present"
    assert response.json()["checked_in_at"]


def test_the_api_explains_a_refusal(client, staff, started):
    waiting = registration_make(started, user=UserFactory(), status="waitlisted")
    client.force_login(staff)

    refused = client.post(
        reverse("events-api:registration-attendance", args=[started.pk, waiting.pk]),
        {"attendance": "present"},
        content_type="application/json",
    )
    invalid = client.post(
        reverse("events-api:registration-attendance", args=[started.pk, waiting.pk]),
        {"attendance": "maybe"},
        content_type="application/json",
    )

    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["problems"][0]["code"] == "not_confirmed"
    assert "Only confirmed registrations" in error["message"]
    assert invalid.status_code == 400 and "attendance" in invalid.json()["error"]["fields"]


def test_the_api_marks_no_shows_and_records_training_results(client, staff, training):
    maker = UserFactory(roles=["maker"])
    passed = registration_make(training, user=maker)
    registration_make(training, user=UserFactory())
    client.force_login(staff)

    result = client.post(
        reverse("events-api:registration-result", args=[training.pk, passed.pk]),
        {"passed": True},
        content_type="application/json",
    )
    no_shows = client.post(reverse("events-api:session-no-shows", args=[training.pk]))

    assert result.status_code == 200 and result.json()["passed"] is True
    assert no_shows.json() == {"marked": 1}
    assert Authorisation.objects.filter(user=maker).exists()
