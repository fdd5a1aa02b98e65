"""PostgreSQL: one member firing a flood of messages at once stores no more than the
relay limit. The limit is counted from stored messages, so two sends in flight could both
count before either is written; a row lock on the sender serialises them. The control
test takes the lock away and shows the limit overrun, under the same timing."""

from __future__ import annotations

import threading
import time

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection

from fabreck.cluster import services
from fabreck.cluster.models import CollaborationMessage, Competence
from fabreck.cluster.services import (
    CollaborationRequestData,
    collaboration_message_send,
    collaboration_request_post,
)
from tests.factories import UserFactory, organisation_make

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks and concurrent writers are proven on PostgreSQL",
    ),
    pytest.mark.django_db(transaction=True),
]

THREADS = 24
LIMIT = 5  # the default: 5 messages in 10 minutes
# Widens the window between counting and writing, in both tests alike, so that without
# the lock every thread counts before any has written: the race is certain, not lucky.
WINDOW_SECONDS = 0.2


@pytest.fixture
def flood(monkeypatch):
    """Sends THREADS messages from one member at the same instant; returns the outcomes."""
    author = UserFactory()
    alpha = organisation_make(owner=author, name="Studio Alpha", competences=("animation-3d",))
    sender = UserFactory()
    sound = organisation_make(owner=sender, name="Sound Atelier", competences=("sound-design",))
    request = collaboration_request_post(
        user=author,
        organisation=alpha,
        data=CollaborationRequestData(
            kind="seek",
            title="Sound for a film",
            competences=list(Competence.objects.filter(slug="sound-design")),
        ),
    )
    mail.outbox.clear()

    count_then_wait = services._relay_limit_check

    def slow_check(sender):
        count_then_wait(sender)  # raises when over the limit
        time.sleep(WINDOW_SECONDS)

    monkeypatch.setattr(services, "_relay_limit_check", slow_check)

    def run() -> list[str]:
        start = threading.Barrier(THREADS)
        outcomes: list[str] = []
        guard = threading.Lock()

        def worker(n: int) -> None:
            try:
                start.wait()
                try:
                    collaboration_message_send(
                        sender=sender,
                        sender_organisation=sound,
                        request=request,
                        recipient_organisation=alpha,
                        body=f"Message {n}",
                    )
                    outcome = "sent"
                except ValidationError as error:
                    outcome = (
                        "refused" if "limit of 5 messages" in error.messages[0] else str(error)
                    )
                except Exception as error:  # reported, then asserted on
                    outcome = repr(error)
                with guard:
                    outcomes.append(outcome)
            finally:
                connection.close()  # each thread has its own connection

        workers = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join(timeout=120)
        assert not any(t.is_alive() for t in workers), "a sender is stuck"
        return outcomes

    return run


def test_a_flood_sent_at_once_stores_no_more_than_the_limit(flood):
    outcomes = flood()

    assert sorted(set(outcomes)) == ["refused", "sent"], outcomes
    assert outcomes.count("sent") == LIMIT
    assert outcomes.count("refused") == THREADS - LIMIT
    assert CollaborationMessage.objects.count() == LIMIT
    assert len(mail.outbox) == LIMIT  # one relayed e-mail per stored message, no more


def test_control_without_the_lock_the_flood_overruns_the_limit(flood, monkeypatch):
    monkeypatch.setattr(services, "_sender_lock", lambda user: None)

    outcomes = flood()

    stored = CollaborationMessage.objects.count()
    assert stored == outcomes.count("sent")
    assert stored > LIMIT, f"no race without the lock ({stored} stored): the test proves nothing"
