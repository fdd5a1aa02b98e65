"""Registration e-mails go through an outbox: the registration's transaction writes which
letters are due, and they are rendered and sent outside the request (on commit where the
site says so, else by the periodic job `fabreck events_mails`). Each is sent once, in
the recipient's language; a failed send is retried later."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.utils import timezone

from fabreck.events.models import RegistrationNotice
from fabreck.events.services import registration_children_create, registration_notices_send
from tests.events.helpers import event_make, session_make
from tests.events.registration_helpers import family_make

pytestmark = pytest.mark.django_db(transaction=True)  # e-mails leave on commit


@pytest.fixture
def session():
    return session_make(event_make(), capacity=1)


@pytest.fixture
def by_the_job(settings):
    """A production site without a Celery broker: nothing is sent during the request."""
    settings.EMAIL_OUTBOX_SEND_ON_COMMIT = False


def _sent(output: StringIO) -> str:
    return output.getvalue().strip()


def test_without_a_broker_the_periodic_job_sends_each_letter_once_in_its_language(
    session, by_the_job
):
    seated, (lea,) = family_make(language="fr", names=("Lea",))
    waiting, (tom,) = family_make(language="de", names=("Tom",))
    registration_children_create(guardian=seated, session=session, children=[lea])
    registration_children_create(guardian=waiting, session=session, children=[tom])
    assert mail.outbox == []  # the requests rendered nothing

    output = StringIO()
    call_command("events_mails", stdout=output)

    assert _sent(output) == "2 e-mail(s) sent."
    confirmation, notice = sorted(mail.outbox, key=lambda m: m.to[0] != seated.email)
    assert confirmation.to == [seated.email]
    assert "Construis un robot" in confirmation.subject  # French, with its calendar file
    assert [a[0] for a in confirmation.attachments] == ["event.ics"]
    assert notice.to == [waiting.email]
    assert "Tom: Nummer 1 in der Warteschlange" in notice.body
    # Sent once: the next run finds nothing left.
    call_command("events_mails", stdout=StringIO())
    assert len(mail.outbox) == 2
    assert not RegistrationNotice.objects.filter(sent_at__isnull=True).exists()


def test_on_commit_the_letter_is_sent_at_once_and_not_again_by_the_job(session):
    guardian, (lea,) = family_make(names=("Lea",))

    registration_children_create(guardian=guardian, session=session, children=[lea])

    (message,) = mail.outbox
    assert message.to == [guardian.email]
    assert registration_notices_send() == 0
    assert len(mail.outbox) == 1


def test_a_failed_send_is_kept_and_retried_later_without_failing_the_registration(session):
    guardian, (lea,) = family_make(names=("Lea",))
    with mock.patch.object(EmailBackend, "send_messages", side_effect=OSError("mail server down")):
        (registration,) = registration_children_create(
            guardian=guardian, session=session, children=[lea]
        )
    assert registration.pk and mail.outbox == []
    notice = RegistrationNotice.objects.get()
    assert notice.sent_at is None and notice.attempts == 1
    assert "mail server down" in notice.last_error

    assert registration_notices_send() == 0  # not before its retry time
    assert registration_notices_send(now=timezone.now() + timedelta(minutes=3)) == 1

    (message,) = mail.outbox
    assert message.to == [guardian.email]
    notice.refresh_from_db()
    assert notice.sent_at is not None


def test_a_letter_whose_registration_was_cancelled_meanwhile_is_not_sent(session, by_the_job):
    from fabreck.events.services import registration_cancel

    guardian, (lea,) = family_make(names=("Lea",))
    (registration,) = registration_children_create(
        guardian=guardian, session=session, children=[lea]
    )
    registration_cancel(registration=registration, by=guardian)
    mail.outbox.clear()

    assert registration_notices_send() == 0

    assert mail.outbox == []
    assert not RegistrationNotice.objects.filter(sent_at__isnull=True).exists()
