"""The e-mails of registrations: one per recipient, in that recipient's language, sent once
the transaction commits; confirmations and reminders carry the session as an ICS file."""

from __future__ import annotations

from datetime import UTC, timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from fabreck.events.models import Registration
from fabreck.events.services import (
    registration_cancel,
    registration_children_create,
    registration_offer_claim,
    registration_reminders_send,
    registration_school_class_create,
)
from tests.events.helpers import child_make, event_make, school_make, session_make
from tests.events.registration_helpers import claim_token, family_make
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)  # e-mails leave on commit

MONTHS = {
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"],
    "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
           "September", "Oktober", "November", "Dezember"],
}  # fmt: skip


def _month(moment, language: str) -> str:
    return MONTHS[language][timezone.localtime(moment).month - 1]


def _to(user) -> list:
    return [m for m in mail.outbox if m.to == [user.email]]


def _ics(message) -> str:
    (attachment,) = [a for a in message.attachments if a[2] == "text/calendar"]
    return attachment[1]


@pytest.fixture
def session():
    return session_make(event_make(), capacity=2)


def test_two_children_get_one_confirmation_in_the_guardians_language_with_a_calendar_file(
    session,
):
    guardian, children = family_make(language="fr", names=("Lea", "Tom"))

    registration_children_create(guardian=guardian, session=session, children=children)

    (message,) = mail.outbox
    assert message.to == [guardian.email]
    assert "Construis un robot" in message.subject  # the French title of the event
    assert "- Lea\n" in message.body and "- Tom\n" in message.body
    assert _month(session.starts_at, "fr") in message.body
    assert "FabLab, 1 rue du Test, Esch-sur-Alzette" in message.body
    ics = _ics(message)
    assert "SUMMARY:Construis un robot" in ics
    assert f"DTSTART:{session.starts_at.astimezone(UTC):%Y%m%dT%H%M%SZ}" in ics
    assert "LOCATION:FabLab\\, 1 rue du Test\\, Esch-sur-Alzette" in ics
    # One entry per session: the notices of a moved or cancelled session update it.
    assert f"UID:events-session-{session.pk}@fabreck" in ics


def test_a_full_session_sends_the_waitlist_notice_with_each_childs_place(session):
    first, children = family_make(names=("Ana", "Ben"))
    registration_children_create(guardian=first, session=session, children=children)
    mail.outbox.clear()
    guardian, children = family_make(language="de", names=("Lea", "Tom"))

    registration_children_create(guardian=guardian, session=session, children=children)

    (message,) = mail.outbox
    assert message.to == [guardian.email]
    assert "Bau einen Roboter" in message.subject
    assert "Lea: Nummer 1 in der Warteschlange" in message.body
    assert "Tom: Nummer 2 in der Warteschlange" in message.body
    assert "24 Stunden" in message.body
    assert _month(session.starts_at, "de") in message.body
    assert message.attachments == []  # no calendar entry for a seat not held


def test_a_refused_registration_sends_nothing(session):
    guardian, children = family_make(age=3)

    with pytest.raises(ValidationError):
        registration_children_create(guardian=guardian, session=session, children=children)

    assert mail.outbox == []


def test_the_freed_seat_is_offered_in_the_next_ones_language_and_its_claim_confirmed(session):
    holder, children = family_make(language="en", names=("Ana", "Ben"))
    seats = registration_children_create(guardian=holder, session=session, children=children)
    waiting, (lea,) = family_make(language="de", names=("Lea",))
    registration_children_create(guardian=waiting, session=session, children=[lea])
    mail.outbox.clear()

    registration_cancel(registration=seats[0], by=holder)

    (offer,) = mail.outbox
    assert offer.to == [waiting.email]
    assert "Bau einen Roboter" in offer.subject
    assert "Er wird Lea angeboten" in offer.body
    offered = Registration.objects.get(child=lea)
    assert _month(offered.offer_expires_at, "de") in offer.body
    assert timezone.localtime(offered.offer_expires_at).strftime("%H:%M") in offer.body
    assert f"{settings.SITE_URL}/events/claim/" in offer.body

    registration_offer_claim(token=claim_token(waiting), user=waiting)

    confirmation = mail.outbox[-1]
    assert confirmation.to == [waiting.email]
    assert "Bau einen Roboter" in confirmation.subject and "- Lea\n" in confirmation.body
    assert "SUMMARY:Bau einen Roboter" in _ics(confirmation)


def test_a_class_confirmation_names_the_class_and_its_size():
    visit = session_make(event_make(slug="visit", accepts_school_classes=True), capacity=30)
    teacher = UserFactory(roles=["guardian"], preferred_language="fr")

    registration_school_class_create(
        teacher=teacher, session=visit, school=school_make(), grade="C3", pupils=21,
        accompanying_adults=2,
    )  # fmt: skip

    (message,) = mail.outbox
    assert "École du Brill C3\u00a0: 21 élèves, 2 adultes accompagnateurs" in message.body
    assert "SUMMARY:Construis un robot" in _ics(message)


# --- reminders -------------------------------------------------------------------------


@pytest.fixture
def tomorrow():
    return session_make(
        event_make(slug="soon"), capacity=2, starts_at=timezone.now() + timedelta(hours=30)
    )


def test_a_reminder_goes_once_per_guardian_and_session_in_their_language(tomorrow):
    guardian, children = family_make(language="fr", names=("Lea", "Tom"))
    registration_children_create(guardian=guardian, session=tomorrow, children=children)
    mail.outbox.clear()

    assert registration_reminders_send() == 2
    assert registration_reminders_send() == 0

    (message,) = mail.outbox
    assert message.to == [guardian.email]
    assert "Construis un robot" in message.subject
    assert _month(tomorrow.starts_at, "fr") in message.body
    assert "- Lea\n" in message.body and "- Tom\n" in message.body
    assert "SUMMARY:Construis un robot" in _ics(message)
    assert all(r.reminder_sent_at for r in Registration.objects.all())


def test_no_reminder_for_the_waitlist_the_cancelled_or_far_and_started_sessions(tomorrow):
    seated, (lea, tom) = family_make(names=("Lea", "Tom"))
    registration_children_create(guardian=seated, session=tomorrow, children=[lea, tom])
    waiting, children = family_make(names=("Eva",))
    registration_children_create(guardian=waiting, session=tomorrow, children=children)
    registration_cancel(registration=Registration.objects.get(child=tom), by=seated)
    # Eva was offered Tom's seat: an offer is not a confirmed seat either.
    far = session_make(tomorrow.event, days_ahead=5)
    other, children = family_make(names=("Max",))
    registration_children_create(guardian=other, session=far, children=children)
    mail.outbox.clear()

    assert registration_reminders_send() == 1  # Lea only
    assert [m.to for m in mail.outbox] == [[seated.email]]
    assert "Tom" not in mail.outbox[0].body

    # Past the start, nothing is due any more.
    assert registration_reminders_send(now=tomorrow.starts_at + timedelta(minutes=1)) == 0
    # Two days before the far session, its reminder goes.
    assert registration_reminders_send(now=far.starts_at - timedelta(hours=47)) == 1


def test_the_reminder_and_offer_commands_and_tasks_run(tomorrow):
    guardian = family_make()[0]
    registration_children_create(
        guardian=guardian, session=tomorrow, children=[child_make(guardian, first_name="Ida")]
    )
    out = StringIO()

    call_command("events_reminders", stdout=out)
    call_command("events_waitlist", stdout=out)

    assert "1 registration(s) reminded." in out.getvalue()
    assert "0 offer(s) expired." in out.getvalue()
    from fabreck.events.tasks import registration_offers_expire, registration_reminders_send

    assert registration_reminders_send.delay().result == 0  # eager without a broker
    assert registration_offers_expire.delay().result == 0


def test_celery_beat_expires_offers_every_five_minutes_and_reminds_hourly():
    from fabreck.config.celery import app

    app.loader.import_default_modules()
    schedule = settings.CELERY_BEAT_SCHEDULE
    offers, reminders = schedule["events-offers-expire"], schedule["events-reminders"]
    assert offers["task"] == "fabreck.events.tasks.registration_offers_expire"
    assert reminders["task"] == "fabreck.events.tasks.registration_reminders_send"
    assert offers["schedule"].minute == set(range(0, 60, 5))
    assert reminders["schedule"].minute == {0} and len(reminders["schedule"].hour) == 24
    assert {offers["task"], reminders["task"]} <= set(app.tasks)
