"""Staff run the catalogue: events with their rules, tickets, weekly or hand-picked dates,
seats that never drop below what is taken; cancelling or moving a date tells everyone
registered, each in their own language, with a calendar entry that follows."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from fabreck.events.models import Event, Registration, Session, TicketCategory
from fabreck.events.services import (
    event_cancel,
    event_create,
    event_publish,
    event_update,
    session_cancel,
    session_move,
    session_update,
    sessions_create_on_dates,
    sessions_create_weekly,
    ticket_category_create,
    ticket_category_delete,
    ticket_category_update,
)
from tests.events.helpers import child_make, event_make, registration_make, session_make
from tests.fablab.helpers import course_make, site_make
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return UserFactory(roles=["site_staff"])


@pytest.fixture
def site(staff):
    return site_make(slug="esch", name="FabLab Esch", staff=[staff])


@pytest.fixture
def workshop(site, staff):
    return event_make(slug="robots", site=site, organiser=staff)


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _next_weekday(weekday: int, *, days_ahead: int = 3) -> date:
    day = timezone.localdate() + timedelta(days=days_ahead)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day


def _errors(error: pytest.ExceptionInfo) -> dict:
    return error.value.message_dict


# Events ---------------------------------------------------------------------------------


def test_site_staff_create_a_draft_workshop_with_an_address_made_from_its_title(site, staff):
    event = event_create(
        by=staff, kind="children_workshop", title_en="Build a Robot!", title_fr="Robot",
        site=site, age_min=6, age_max=12, audience="children",
    )  # fmt: skip
    again = event_create(
        by=staff, kind="children_workshop", title_en="Build a robot", site=site,
        age_min=8, age_max=10,
    )  # fmt: skip

    assert event.status == "draft" and event.organiser == staff
    assert (event.slug, again.slug) == ("build-a-robot", "build-a-robot-2")
    with translation.override("fr"):
        assert event.title == "Robot"


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"age_min": 12, "age_max": 6}, "age_max"),
        ({"age_min": None, "age_max": None}, "age_min"),
        ({"kind": "training"}, "course"),
        ({"site": None, "venue": ""}, "venue"),
        ({"title_en": "   "}, "title_en"),
        ({"max_per_registrant": 0}, "max_per_registrant"),
    ],
)
def test_bad_events_are_refused_with_a_message_on_the_field_and_nothing_stored(
    site, staff, fields, field
):
    values = {"kind": "children_workshop", "title_en": "Robots", "site": site, "age_min": 6,
              "age_max": 12} | fields  # fmt: skip

    with pytest.raises(ValidationError) as error:
        event_create(by=staff, **values)

    assert field in _errors(error)
    assert all(message and "Constraint" not in message for message in _errors(error)[field])
    assert not Event.objects.exists()


def test_a_training_names_its_course_and_only_a_training_does(site, staff):
    course = course_make()

    training = event_create(by=staff, kind="training", title_en="Laser", site=site, course=course)
    with pytest.raises(ValidationError) as error:
        event_create(by=staff, kind="public_workshop", title_en="X", site=site, course=course)

    assert training.course == course
    assert "course" in _errors(error)


def test_only_the_staff_of_the_site_and_cluster_managers_for_cluster_events_may_create(site):
    other_staff = UserFactory(roles=["site_staff"])  # staff of no site here
    manager = UserFactory(roles=["cluster_manager"])
    guardian = UserFactory(roles=["guardian"])
    workshop = {"kind": "public_workshop", "title_en": "Sewing", "site": site}

    for person in (other_staff, manager, guardian):
        with pytest.raises(PermissionDenied):
            event_create(by=person, **workshop)
    talk = event_create(
        by=manager, kind="talk", title_en="Design talk", venue="Rotondes, Luxembourg"
    )
    with pytest.raises(PermissionDenied):
        event_create(by=other_staff, kind="talk", title_en="Talk", venue="Somewhere")

    assert talk.site is None and Event.objects.count() == 1


def test_updating_checks_the_rules_again_and_a_kind_no_longer_changes_after_registrations(
    workshop, staff
):
    session = session_make(workshop)
    registration_make(session, child=child_make(UserFactory(roles=["guardian"])))

    with pytest.raises(ValidationError) as error:
        event_update(event=workshop, by=staff, age_min=14)
    assert "age_max" in _errors(error)
    with pytest.raises(ValidationError) as error:
        event_update(event=workshop, by=staff, kind="public_workshop")
    assert "kind" in _errors(error)
    event_update(event=workshop, by=staff, title_de="Roboterbau", age_max=11)

    workshop.refresh_from_db()
    assert (workshop.kind, workshop.age_min, workshop.age_max) == ("children_workshop", 6, 11)
    assert workshop.title_de == "Roboterbau"


def test_a_picture_must_be_a_real_image(site, staff, settings, tmp_path):
    from io import BytesIO

    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    buffer = BytesIO()
    Image.new("RGB", (8, 8), "purple").save(buffer, "PNG")
    fake = SimpleUploadedFile("robot.png", b"<?php echo 1; ?>", content_type="image/png")
    real = SimpleUploadedFile("robot.png", buffer.getvalue(), content_type="image/png")
    values = {"kind": "public_workshop", "title_en": "Robots", "site": site}

    with pytest.raises(ValidationError) as error:
        event_create(by=staff, picture=fake, **values)
    assert "picture" in _errors(error) and not Event.objects.exists()
    event = event_create(by=staff, picture=real, **values)

    assert event.picture.name == "events/robots.png"
    assert (tmp_path / "events" / "robots.png").exists()


def test_publishing_makes_a_draft_public_but_a_cancelled_event_stays_cancelled(site, staff):
    event = event_create(by=staff, kind="open_day", title_en="Open day", site=site)
    event_publish(event=event, by=staff)
    event.refresh_from_db()
    assert event.status == "published"

    event_cancel(event=event, by=staff, reason="Building works")
    with pytest.raises(ValidationError, match="cancelled"):
        event_publish(event=event, by=staff)


# Tickets ----------------------------------------------------------------------------------


def test_tickets_may_be_free_never_negative(workshop, staff):
    free = ticket_category_create(event=workshop, by=staff, name_en="Child", price=0)
    paid = ticket_category_create(event=workshop, by=staff, name_en="Adult", price="12.50")

    for price in ("-1", "1.234", "abc"):
        with pytest.raises(ValidationError) as error:
            ticket_category_create(event=workshop, by=staff, name_en="Bad", price=price)
        assert "price" in _errors(error)
    ticket_category_update(category=paid, by=staff, price=Decimal("15"))

    assert free.is_free and TicketCategory.objects.get(pk=paid.pk).price == Decimal("15.00")
    assert workshop.ticket_categories.count() == 3  # with the helper's "Child"


def test_a_ticket_someone_registered_with_is_not_deleted(workshop, staff):
    ticket = workshop.ticket_categories.get()
    registration_make(session_make(workshop), ticket_category=ticket)

    with pytest.raises(ValidationError, match="registered with this ticket"):
        ticket_category_delete(category=ticket, by=staff)
    assert TicketCategory.objects.filter(pk=ticket.pk).exists()


# Sessions ---------------------------------------------------------------------------------


def test_weekly_sessions_keep_the_local_time_across_daylight_saving_changes(workshop, staff):
    first = _local(_next_weekday(2), 14)  # a Wednesday, 14:00 in Luxembourg

    sessions = sessions_create_weekly(
        event=workshop, by=staff, first_starts_at=first, duration=timedelta(hours=2),
        weeks=30, capacity=12, closes_before=timedelta(hours=24),
    )  # fmt: skip

    assert len(sessions) == Session.objects.filter(event=workshop).count() == 30
    local = [timezone.localtime(s.starts_at) for s in Session.objects.order_by("starts_at")]
    assert {(t.weekday(), t.hour, t.minute) for t in local} == {(2, 14, 0)}
    assert len({t.utcoffset() for t in local}) == 2  # 30 weeks cross a clock change
    assert [(b.date() - a.date()).days for a, b in pairwise(local)] == [7] * 29
    assert all(s.ends_at - s.starts_at == timedelta(hours=2) for s in sessions)
    assert all(s.registration_closes_at == s.starts_at - timedelta(days=1) for s in sessions)


def test_sessions_on_hand_picked_dates_with_a_registration_window(workshop, staff):
    days = [_next_weekday(5, days_ahead=d) for d in (10, 24, 40)]
    opens = timezone.now() + timedelta(days=2)

    sessions = sessions_create_on_dates(
        event=workshop, by=staff, starts_list=[_local(d, 10) for d in days],
        duration=timedelta(hours=3), capacity=20, opens_at=opens,
    )  # fmt: skip

    assert [timezone.localtime(s.starts_at).date() for s in sessions] == days
    assert all(s.capacity == 20 and s.registration_opens_at == opens for s in sessions)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"starts_list": "twice"}, "starts_at"),
        ({"starts_list": "past"}, "starts_at"),
        ({"capacity": 0}, "capacity"),
        ({"duration": timedelta(hours=-1)}, "ends_at"),
        ({"duration": timedelta(hours=30)}, "ends_at"),
        ({"opens_at": "after the start"}, "opens_at"),
    ],
)
def test_bad_dates_are_refused_and_no_session_is_stored(workshop, staff, change, field):
    good = _local(_next_weekday(1, days_ahead=10), 14)
    values = {"starts_list": [good], "duration": timedelta(hours=2), "capacity": 12}
    if change.get("starts_list") == "twice":
        change = {"starts_list": [_local(_next_weekday(1), 9), good, good]}
    elif change.get("starts_list") == "past":
        change = {"starts_list": [good, timezone.now() - timedelta(days=1)]}
    elif change.get("opens_at"):
        change = {"opens_at": good + timedelta(hours=1)}

    with pytest.raises(ValidationError) as error:
        sessions_create_on_dates(event=workshop, by=staff, **(values | change))

    assert field in _errors(error)
    assert not Session.objects.exists()


def test_weeks_are_counted_sensibly_and_a_date_is_not_doubled(workshop, staff):
    first = _local(_next_weekday(2), 14)
    for weeks in (0, 53):
        with pytest.raises(ValidationError) as error:
            sessions_create_weekly(
                event=workshop, by=staff, first_starts_at=first, duration=timedelta(hours=2),
                weeks=weeks, capacity=10,
            )  # fmt: skip
        assert "weeks" in _errors(error)
    sessions_create_weekly(
        event=workshop, by=staff, first_starts_at=first, duration=timedelta(hours=2), weeks=2,
        capacity=10,
    )  # fmt: skip

    with pytest.raises(ValidationError, match="already has a session"):
        sessions_create_on_dates(
            event=workshop, by=staff, starts_list=[first + timedelta(weeks=1)],
            duration=timedelta(hours=1), capacity=5,
        )  # fmt: skip
    assert Session.objects.count() == 2


def test_someone_who_does_not_run_the_event_adds_no_session(workshop):
    with pytest.raises(PermissionDenied):
        sessions_create_on_dates(
            event=workshop, by=UserFactory(roles=["site_staff"]),
            starts_list=[_local(_next_weekday(1), 14)], duration=timedelta(hours=2), capacity=5,
        )  # fmt: skip
    assert not Session.objects.exists()


def test_the_capacity_never_goes_below_the_seats_taken(workshop, staff):
    session = session_make(workshop, capacity=12)
    guardian = UserFactory(roles=["guardian"])
    for name in ("Lea", "Max", "Noah", "Mia", "Tom"):
        registration_make(session, child=child_make(guardian, first_name=name))
    registration_make(session, school=_school(), pupils=4, grade="C3")  # a class counts its size
    session.refresh_from_db()
    assert session.seats_taken == 9

    with pytest.raises(ValidationError) as error:
        session_update(session=session, by=staff, capacity=8)

    assert "9 seats are already taken" in _errors(error)["capacity"][0]
    session.refresh_from_db()
    assert session.capacity == 12
    session_update(session=session, by=staff, capacity=9)
    session.refresh_from_db()
    assert (session.capacity, session.seats_taken) == (9, 9)


def _school():
    from tests.events.helpers import school_make

    return school_make()


# Cancelling and moving tell every registrant, in their language -------------------------


@pytest.fixture
def full_house(workshop):
    """A session with a French guardian (two children), a German guardian, an English
    adult and a waitlisted French family."""
    session = session_make(workshop, capacity=4, days_ahead=20)
    french = UserFactory(roles=["guardian"], preferred_language="fr", first_name="Claire")
    german = UserFactory(roles=["guardian"], preferred_language="de", first_name="Jonas")
    english = UserFactory(preferred_language="en")
    waiting = UserFactory(roles=["guardian"], preferred_language="fr")
    registration_make(session, child=child_make(french, first_name="Lou"))
    registration_make(session, child=child_make(french, first_name="Paul"))
    registration_make(session, child=child_make(german, first_name="Emma"))
    registration_make(session, user=english)
    registration_make(session, child=child_make(waiting, first_name="Zoé"), status="waitlisted")
    session.refresh_from_db()
    return session, french, german, english, waiting


def _ics(message) -> str:
    (name, content, mimetype), = message.attachments  # fmt: skip
    assert mimetype == "text/calendar" and name.endswith(".ics")
    return content if isinstance(content, str) else content.decode()


def test_cancelling_a_session_cancels_every_registration_and_tells_each_person_in_their_language(
    full_house, staff, django_capture_on_commit_callbacks
):
    session, french, german, english, waiting = full_house
    assert session.seats_taken == 4
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        session_cancel(session=session, by=staff, reason="Le formateur est malade")

    session.refresh_from_db()
    assert (session.status, session.seats_taken) == ("cancelled", 0)
    assert session.cancelled_reason == "Le formateur est malade"
    statuses = set(Registration.objects.values_list("status", "cancelled_by"))
    assert statuses == {("cancelled", staff.pk)}
    by_address = {m.to[0]: m for m in mail.outbox}
    assert len(mail.outbox) == 4  # one letter per person, the French family's two children in one
    assert set(by_address) == {french.email, german.email, english.email, waiting.email}

    fr, de, en = by_address[french.email], by_address[german.email], by_address[english.email]
    assert "Construis un robot" in fr.subject and "Lou" in fr.body and "Paul" in fr.body
    assert "Bau einen Roboter" in de.subject and "Emma" in de.body
    assert "Build a robot" in en.subject
    day = timezone.localtime(session.starts_at)
    for message, language in ((fr, "fr"), (de, "de"), (en, "en")):
        with translation.override(language):
            from django.utils.formats import date_format

            assert date_format(day, "l j F Y") in message.body  # weekday, month in their words
            signature = translation.gettext("The Fabreck team")
        assert signature in message.body
        assert "Le formateur est malade" in message.body
        ics = _ics(message)
        assert "STATUS:CANCELLED" in ics and f"UID:events-session-{session.pk}@fabreck" in ics
    assert "SUMMARY:Construis un robot" in _ics(fr) and "SUMMARY:Bau einen Roboter" in _ics(de)
    assert "Zoé" in by_address[waiting.email].body
    assert not by_address[waiting.email].attachments  # no seat, no calendar entry


def test_a_session_is_cancelled_only_with_a_reason_by_its_staff_and_not_twice(full_house, staff):
    session, *_people = full_house

    with pytest.raises(ValidationError) as error:
        session_cancel(session=session, by=staff, reason="  ")
    assert "reason" in _errors(error)
    with pytest.raises(PermissionDenied):
        session_cancel(session=session, by=UserFactory(roles=["site_staff"]), reason="No")
    assert Registration.objects.filter(status="confirmed").count() == 4

    session_cancel(session=session, by=staff, reason="Flood")
    with pytest.raises(ValidationError, match="already cancelled"):
        session_cancel(session=session, by=staff, reason="Flood")


def test_moving_a_session_sends_everyone_the_new_time_with_an_updated_calendar_entry(
    full_house, staff, django_capture_on_commit_callbacks
):
    session, french, german, english, waiting = full_house
    old_starts = session.starts_at
    new_day = timezone.localdate(old_starts) + timedelta(days=3)
    starts, ends = _local(new_day, 9, 30), _local(new_day, 11, 30)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        session_move(session=session, by=staff, starts_at=starts, ends_at=ends)

    session.refresh_from_db()
    assert (session.starts_at, session.ends_at, session.seats_taken) == (starts, ends, 4)
    assert Registration.objects.filter(status="confirmed").count() == 4  # all stay valid
    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {french.email, german.email, english.email, waiting.email}
    stamp = starts.astimezone(timezone.get_fixed_timezone(0)).strftime("%Y%m%dT%H%M%SZ")
    for message, language in ((by_address[french.email], "fr"), (by_address[german.email], "de")):
        ics = _ics(message)
        assert f"DTSTART:{stamp}" in ics and "STATUS:CONFIRMED" in ics
        assert f"UID:events-session-{session.pk}@fabreck" in ics
        with translation.override(language):
            from django.utils.formats import date_format

            assert date_format(timezone.localtime(starts), "l j F Y, H:i") in message.body
            assert date_format(timezone.localtime(old_starts), "l j F Y, H:i") in message.body
    assert "Construis un robot" in by_address[french.email].subject


def test_moving_keeps_each_childs_age_on_the_new_day(workshop, staff):
    session = session_make(workshop, days_ahead=5)
    guardian = UserFactory(roles=["guardian"])
    day = timezone.localdate(session.starts_at)
    born = date(day.year - 9, day.month, day.day) + timedelta(days=10)  # 9 in ten days
    child = child_make(guardian, birth_date=born)
    registration = registration_make(session, child=child)
    assert registration.child_age == 8

    session_move(
        session=session, by=staff, starts_at=session.starts_at + timedelta(days=14),
        ends_at=session.ends_at + timedelta(days=14),
    )  # fmt: skip

    registration.refresh_from_db()
    assert registration.child_age == 9


def test_a_move_to_the_past_or_of_a_cancelled_session_is_refused(full_house, staff):
    session, *_people = full_house
    before = (session.starts_at, session.ends_at)

    with pytest.raises(ValidationError) as error:
        session_move(
            session=session, by=staff, starts_at=timezone.now() - timedelta(hours=3),
            ends_at=timezone.now() - timedelta(hours=1),
        )  # fmt: skip
    assert "starts_at" in _errors(error)
    session.refresh_from_db()
    assert (session.starts_at, session.ends_at) == before

    session_cancel(session=session, by=staff, reason="Storm")
    with pytest.raises(ValidationError, match="cancelled"):
        session_move(
            session=session, by=staff, starts_at=before[0] + timedelta(days=1),
            ends_at=before[1] + timedelta(days=1),
        )  # fmt: skip


def test_cancelling_an_event_cancels_its_dates_to_come_and_tells_their_registrants(
    full_house, staff, django_capture_on_commit_callbacks
):
    session, *_people = full_house
    event = session.event
    later = session_make(event, days_ahead=40)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        event_cancel(event=event, by=staff, reason="The FabLab moves")

    event.refresh_from_db()
    assert event.status == "cancelled"
    assert set(event.sessions.values_list("status", flat=True)) == {"cancelled"}
    assert later.pk in event.sessions.values_list("pk", flat=True)
    assert len(mail.outbox) == 4 and not Registration.objects.exclude(status="cancelled")
    with pytest.raises(ValidationError, match="no new sessions"):
        sessions_create_on_dates(
            event=event, by=staff, starts_list=[_local(_next_weekday(1), 14)],
            duration=timedelta(hours=1), capacity=5,
        )  # fmt: skip
