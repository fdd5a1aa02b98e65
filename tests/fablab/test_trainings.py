"""Trainings: sessions run by site staff, places that never overflow, results that grant
(or, corrected, revoke) authorisations, direct grants, revocations, expiry reminders."""

from __future__ import annotations

import functools
import threading
import time
from datetime import timedelta
from io import StringIO

import pytest
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from fabreck.fablab import services
from fabreck.fablab.models import Authorisation, TrainingParticipant, TrainingSession
from fabreck.fablab.selectors import missing_courses
from fabreck.fablab.services import (
    authorisation_expiry_reminders_send,
    authorisation_grant,
    authorisation_revoke,
    participant_add,
    participant_remove,
    session_result_record,
    training_session_create,
)
from tests.concurrency import run_at_once
from tests.fablab.helpers import course_make, machine_make, site_make
from tests.factories import UserFactory


@pytest.fixture
def staff():
    return UserFactory(roles=["site_staff"])


@pytest.fixture
def site(staff):
    return site_make(staff=[staff])


@pytest.fixture
def course():
    return course_make()


@pytest.fixture
def maker():
    return UserFactory(roles=["maker"])


def session_make(site, staff, course, *, starts_in=timedelta(days=3), capacity=4):
    start = timezone.now() + starts_in
    return training_session_create(
        by=staff,
        site=site,
        course=course,
        instructor=staff,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=capacity,
    )


def _messages(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- Sessions -------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_schedule_a_session_taught_by_their_staff(site, staff, course):
    session = session_make(site, staff, course, capacity=6)

    assert session.site == site and session.instructor == staff and session.capacity == 6


@pytest.mark.django_db
def test_only_the_staff_of_the_site_schedule_its_sessions(site, course, maker):
    other_staff = UserFactory(roles=["site_staff"])
    site_make(slug="other", staff=[other_staff])

    for outsider in (maker, other_staff):
        with pytest.raises(PermissionDenied):
            session_make(site, outsider, course)
    assert not TrainingSession.objects.exists()


@pytest.mark.django_db
def test_a_session_needs_an_instructor_of_the_site_an_end_after_its_start_and_places(
    site, staff, course
):
    stranger = UserFactory(roles=["site_staff"])  # staff, but of no site
    start = timezone.now() + timedelta(days=2)

    with pytest.raises(ValidationError) as caught:
        training_session_create(
            by=staff,
            site=site,
            course=course,
            instructor=stranger,
            starts_at=start,
            ends_at=start - timedelta(hours=1),
            capacity=0,
        )

    errors = caught.value.message_dict
    assert "only its staff teach its sessions" in errors["instructor"][0]
    assert errors["ends_at"] == ["The end must come after the start."]
    assert "between 1 and 100 places" in errors["capacity"][0]
    assert not TrainingSession.objects.exists()


# --- Places ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_maker_registers_for_an_upcoming_session(site, staff, course, maker):
    session = session_make(site, staff, course)

    participant = participant_add(session=session, by=maker, user=maker)

    assert participant.user == maker and participant.result == "registered"
    assert participant.registered_by == maker


@pytest.mark.django_db
def test_a_full_session_refuses_one_more_and_stores_nothing(site, staff, course):
    session = session_make(site, staff, course, capacity=2)
    for _ in range(2):
        participant_add(session=session, by=staff, user=UserFactory(roles=["maker"]))
    late = UserFactory(roles=["maker"])

    with pytest.raises(ValidationError) as caught:
        participant_add(session=session, by=late, user=late)

    assert caught.value.code == "full"
    assert "This session is full: all 2 places are taken." in _messages(caught.value)
    assert session.participants.count() == 2


@pytest.mark.django_db
def test_registering_twice_is_refused_with_a_clear_message(site, staff, course, maker):
    session = session_make(site, staff, course)
    participant_add(session=session, by=maker, user=maker)

    with pytest.raises(ValidationError) as mine:
        participant_add(session=session, by=maker, user=maker)
    with pytest.raises(ValidationError) as theirs:
        participant_add(session=session, by=staff, email=maker.email.upper())

    assert _messages(mine.value) == "You are already registered for this session."
    assert f"{maker.display_name} is already registered" in _messages(theirs.value)
    assert session.participants.count() == 1


@pytest.mark.django_db
def test_staff_register_a_maker_by_email_and_an_unknown_address_is_named(site, staff, course):
    session = session_make(site, staff, course)
    maker = UserFactory(email="Ada.Lovelace@example.lu", roles=["maker"])

    participant_add(session=session, by=staff, email="  ada.lovelace@EXAMPLE.lu ")
    with pytest.raises(ValidationError) as caught:
        participant_add(session=session, by=staff, email="nobody@example.lu")

    assert session.participants.get().user == maker
    assert caught.value.message_dict["email"] == [
        "No account uses the address “nobody@example.lu”: the maker signs up first."
    ]


@pytest.mark.django_db
def test_a_maker_cannot_register_someone_else(site, staff, course, maker):
    session = session_make(site, staff, course)
    friend = UserFactory(roles=["maker"])

    with pytest.raises(PermissionDenied):
        participant_add(session=session, by=maker, user=friend)
    assert not session.participants.exists()


@pytest.mark.django_db
def test_registration_closes_when_the_session_starts_but_staff_add_walk_ins(
    site, staff, course, maker
):
    session = session_make(site, staff, course, starts_in=-timedelta(minutes=10))

    with pytest.raises(ValidationError) as caught:
        participant_add(session=session, by=maker, user=maker)
    assert "registration is closed" in _messages(caught.value)

    participant_add(session=session, by=staff, user=maker)
    assert session.participants.count() == 1


@pytest.mark.django_db
def test_an_account_that_cannot_book_machines_cannot_register(site, staff, course):
    guardian = UserFactory(roles=["guardian"])
    session = session_make(site, staff, course)

    with pytest.raises(ValidationError) as caught:
        participant_add(session=session, by=guardian, user=guardian)

    assert caught.value.code == "not_a_maker"
    assert not session.participants.exists()


@pytest.mark.django_db
def test_a_maker_leaves_before_the_start_and_frees_the_place(site, staff, course, maker):
    session = session_make(site, staff, course, capacity=1)
    participant = participant_add(session=session, by=maker, user=maker)

    participant_remove(participant=participant, by=maker)

    other = UserFactory(roles=["maker"])
    participant_add(session=session, by=other, user=other)
    assert list(session.participants.values_list("user", flat=True)) == [other.pk]


# --- Results ---------------------------------------------------------------------------


@pytest.fixture
def held(site, staff, course, maker):
    """A session that started an hour ago, with the maker on its list."""
    session = session_make(site, staff, course, starts_in=-timedelta(hours=1))
    return participant_add(session=session, by=staff, user=maker)


@pytest.mark.django_db
def test_passing_records_an_authorisation_with_issuer_session_expiry_and_evidence(
    held, staff, course, maker
):
    session_result_record(participant=held, result="passed", by=staff)

    authorisation = Authorisation.objects.get(user=maker)
    assert authorisation.course == course and authorisation.session == held.session
    assert authorisation.issued_by == staff
    assert authorisation.evidence.startswith("Passed session ")
    # the course is valid 12 months
    assert authorisation.expires_at == authorisation.issued_at + relativedelta(months=12)
    held.refresh_from_db()
    assert held.result == "passed" and held.recorded_by == staff and held.recorded_at


@pytest.mark.django_db
def test_the_evidence_is_written_in_the_makers_language(site, staff, course):
    maker = UserFactory(roles=["maker"], preferred_language="fr")
    session = session_make(site, staff, course, starts_in=-timedelta(hours=1))
    participant = participant_add(session=session, by=staff, user=maker)

    session_result_record(participant=participant, result="passed", by=staff)

    evidence = Authorisation.objects.get(user=maker).evidence
    month_fr = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
                "septembre", "octobre", "novembre", "décembre"]  # fmt: skip
    assert month_fr[timezone.localtime(session.starts_at).month - 1] in evidence


@pytest.mark.django_db
def test_recording_the_same_result_twice_grants_once(held, staff, maker):
    session_result_record(participant=held, result="passed", by=staff)
    session_result_record(participant=held, result="passed", by=staff)

    assert Authorisation.objects.filter(user=maker).count() == 1


@pytest.mark.django_db
def test_failing_or_absent_grants_nothing(site, staff, course):
    session = session_make(site, staff, course, starts_in=-timedelta(hours=1))
    failed, absent = UserFactory(roles=["maker"]), UserFactory(roles=["maker"])
    for user, result in ((failed, "failed"), (absent, "absent")):
        participant = participant_add(session=session, by=staff, user=user)
        session_result_record(participant=participant, result=result, by=staff)

    assert not Authorisation.objects.exists()
    assert set(session.participants.values_list("result", flat=True)) == {"failed", "absent"}


@pytest.mark.django_db
def test_a_pass_corrected_to_a_fail_revokes_its_authorisation_and_a_new_pass_grants_again(
    held, site, staff, course, maker
):
    laser = machine_make(site, courses=[course])
    until = timezone.now() + timedelta(days=3)
    session_result_record(participant=held, result="passed", by=staff)
    assert missing_courses(maker=maker, resource=laser, until=until) == []

    session_result_record(participant=held, result="failed", by=staff)

    revoked = Authorisation.objects.get(user=maker)
    assert revoked.revoked_at and revoked.revoked_by == staff
    assert "was corrected to “Not passed”" in revoked.revoke_reason
    assert missing_courses(maker=maker, resource=laser, until=until) == [course]

    session_result_record(participant=held, result="passed", by=staff)
    assert Authorisation.objects.filter(user=maker).count() == 2
    assert missing_courses(maker=maker, resource=laser, until=until) == []


@pytest.mark.django_db
def test_results_wait_for_the_session_and_take_known_values_from_its_staff(
    site, staff, course, maker
):
    upcoming = participant_add(session=session_make(site, staff, course), by=maker, user=maker)
    with pytest.raises(ValidationError) as early:
        session_result_record(participant=upcoming, result="passed", by=staff)
    assert "once the session has started" in _messages(early.value)

    started = session_make(site, staff, course, starts_in=-timedelta(hours=1))
    participant = participant_add(session=started, by=staff, user=maker)
    with pytest.raises(ValidationError) as unknown:
        session_result_record(participant=participant, result="brilliant", by=staff)
    assert "Choose passed, not passed or absent." in _messages(unknown.value)
    with pytest.raises(PermissionDenied):
        session_result_record(participant=participant, result="passed", by=maker)

    assert not Authorisation.objects.exists()
    assert set(TrainingParticipant.objects.values_list("result", flat=True)) == {"registered"}


# --- Direct grants and revocations -----------------------------------------------------


@pytest.mark.django_db
def test_staff_grant_directly_with_evidence_only(site, staff, course, maker):
    with pytest.raises(ValidationError) as caught:
        authorisation_grant(user=maker, course=course, by=staff, site=site, evidence="  ")
    assert "Say how the maker proved their experience." in _messages(caught.value)
    assert not Authorisation.objects.exists()

    granted = authorisation_grant(
        user=maker, course=course, by=staff, site=site, evidence="Certificate from Hackerspace"
    )
    assert granted.session is None and granted.evidence == "Certificate from Hackerspace"


@pytest.mark.django_db
def test_revoking_needs_a_reason_and_changes_nothing_without_one(site, staff, course, maker):
    granted = authorisation_grant(user=maker, course=course, by=staff, site=site, evidence="x")

    with pytest.raises(ValidationError) as caught:
        authorisation_revoke(authorisation=granted, by=staff, site=site, reason="   ")
    assert "Give a reason: the maker reads it." in _messages(caught.value)
    granted.refresh_from_db()
    assert granted.revoked_at is None

    authorisation_revoke(authorisation=granted, by=staff, site=site, reason="Unsafe use")
    granted.refresh_from_db()
    assert granted.revoked_at and granted.revoke_reason == "Unsafe use"


# --- Expiry reminders ------------------------------------------------------------------


def _authorisation(maker, course, *, expires_in, **fields):
    now = timezone.now()
    return Authorisation.objects.create(
        user=maker,
        course=course,
        issued_at=now - timedelta(days=300),
        expires_at=now + expires_in,
        evidence="test",
        **fields,
    )


@pytest.mark.django_db(transaction=True)  # e-mails leave on commit
def test_a_reminder_goes_once_in_the_makers_language(course):
    maker = UserFactory(roles=["maker"], preferred_language="de")
    authorisation = _authorisation(maker, course, expires_in=timedelta(days=10))

    assert authorisation_expiry_reminders_send() == 1
    assert authorisation_expiry_reminders_send() == 0

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [maker.email]
    assert "Laser cutting basics" not in message.subject  # the German name of the course
    assert "Grundlagen Laserschneiden" in message.subject
    months_de = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
                 "September", "Oktober", "November", "Dezember"]  # fmt: skip
    month = months_de[timezone.localtime(authorisation.expires_at).month - 1]
    assert month in message.body
    assert "/fablab/trainings/" in message.body
    authorisation.refresh_from_db()
    assert authorisation.reminder_sent_at is not None


@pytest.mark.django_db(transaction=True)
def test_no_reminder_for_revoked_expired_distant_or_renewed_authorisations(course):
    revoked, expired, distant, renewed = (UserFactory(roles=["maker"]) for _ in range(4))
    _authorisation(
        revoked, course, expires_in=timedelta(days=5), revoked_at=timezone.now(),
        revoke_reason="unsafe",
    )  # fmt: skip
    _authorisation(expired, course, expires_in=-timedelta(days=1))
    _authorisation(distant, course, expires_in=timedelta(days=60))
    _authorisation(renewed, course, expires_in=timedelta(days=5))
    _authorisation(renewed, course, expires_in=timedelta(days=370))

    assert authorisation_expiry_reminders_send() == 0
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_the_reminder_command_and_task_run(course):
    _authorisation(UserFactory(roles=["maker"]), course, expires_in=timedelta(days=3))
    out = StringIO()

    call_command("fablab_reminders", stdout=out)

    assert "1 expiry reminder(s) sent." in out.getvalue()
    from fabreck.fablab.tasks import authorisation_expiry_reminders

    _authorisation(UserFactory(roles=["maker"]), course, expires_in=timedelta(days=4))
    assert authorisation_expiry_reminders.delay().result == 1  # eager without a broker
    assert len(mail.outbox) == 2


def test_celery_beat_runs_the_reminders_and_no_shows_daily():
    from fabreck.config.celery import app

    app.loader.import_default_modules()
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "fabreck.fablab.tasks.authorisation_expiry_reminders",
        "fabreck.fablab.tasks.bookings_no_show_mark",
    } <= tasks
    assert tasks <= set(app.tasks)


# --- The last places, under a rush (PostgreSQL) -----------------------------------------

THREADS = 16
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrency is proven on PostgreSQL"
)


def _rush(session, makers):
    return run_at_once(
        [
            functools.partial(participant_add, session=session, by=maker, user=maker)
            for maker in makers
        ]
    )


@pytest.fixture
def last_two_places(site, staff, course):
    """A session of 4 places, 2 taken, and 16 makers who want one."""
    session = session_make(site, staff, course, capacity=4)
    for _ in range(2):
        participant_add(session=session, by=staff, user=UserFactory(roles=["maker"]))
    return session, [UserFactory(roles=["maker"]) for _ in range(THREADS)]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_16_makers_rushing_for_the_last_2_places_never_overfill_the_session(
    last_two_places, monkeypatch
):
    session, makers = last_two_places
    original = services._places_taken

    def slow_count(session):  # a wide window between counting and inserting
        taken = original(session)
        time.sleep(0.02)
        return taken

    monkeypatch.setattr(services, "_places_taken", slow_count)

    outcomes = _rush(session, makers)

    won = [o for o in outcomes if isinstance(o, TrainingParticipant)]
    lost = [o for o in outcomes if not isinstance(o, TrainingParticipant)]
    assert len(won) == 2
    assert all(isinstance(o, ValidationError) and o.code == "full" for o in lost), lost
    assert session.participants.count() == session.capacity == 4


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_control_without_the_session_lock_the_rush_overfills_it(last_two_places, monkeypatch):
    session, makers = last_two_places
    barrier = threading.Barrier(THREADS)
    original = services._places_taken

    def count_then_wait(session):  # every racer counts before anyone inserts
        taken = original(session)
        barrier.wait(timeout=30)
        return taken

    monkeypatch.setattr(services, "_session_locked", lambda pk: TrainingSession.objects.get(pk=pk))
    monkeypatch.setattr(services, "_places_taken", count_then_wait)

    outcomes = _rush(session, makers)

    assert sum(isinstance(o, TrainingParticipant) for o in outcomes) == THREADS
    assert session.participants.count() == 2 + THREADS > session.capacity
