"""Two digest runs at once (cron and Celery beat overlapping) on PostgreSQL.

Both runs read what was sent before they start, so both think the call is new. The lock on
the organisation's consent makes the second run wait and then see what the first recorded:
it finishes cleanly and sends nothing. The control run, without the lock, shows the race:
the second run reaches the insert too and fails on the unique constraint.
"""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, connection
from django.utils import timezone

from fabreck.cluster import services
from fabreck.cluster.models import CallDigestConsent, CallDigestSent, Competence
from fabreck.cluster.services import CallData, call_create, call_digest_send, call_publish
from tests.factories import UserFactory, organisation_make

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrency is proven on PostgreSQL"
    ),
]


@pytest.fixture
def world():
    organisation = organisation_make(name="Holzwerk", competences=("carpentry",))
    CallDigestConsent.objects.create(organisation=organisation)
    manager = UserFactory(roles=["cluster_manager"])
    call = call_create(
        by=manager,
        data=CallData(
            kind="tender",
            funder="Fonds Belval",
            deadline=timezone.now() + timedelta(days=9),
            title_en="Library shelves",
            competences=Competence.objects.filter(slug="carpentry"),
        ),
    )
    call_publish(call=call, by=manager)
    mail.outbox.clear()
    return organisation


def run_twice_at_once(monkeypatch) -> list[BaseException]:
    """Two digest runs; each waits (up to a second) for the other before inserting."""
    arrived, ready = [0], threading.Condition()
    insert = CallDigestSent.objects.bulk_create

    def meet_then_insert(*args, **kwargs):
        with ready:
            arrived[0] += 1
            ready.notify_all()
            ready.wait_for(lambda: arrived[0] >= 2, timeout=1.0)
        return insert(*args, **kwargs)

    monkeypatch.setattr(CallDigestSent.objects, "bulk_create", meet_then_insert)
    errors: list[BaseException] = []

    def run():
        try:
            call_digest_send()
        except BaseException as error:  # reported to the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


def test_two_runs_at_once_send_the_call_once_and_both_finish(world, monkeypatch):
    errors = run_twice_at_once(monkeypatch)

    assert errors == []
    assert len(mail.outbox) == 1
    assert CallDigestSent.objects.filter(organisation=world).count() == 1


def test_control_without_the_lock_the_second_run_collides(world, monkeypatch):
    class Unlocked:
        """The consent model, with its row lock taken away."""

        class objects:
            @staticmethod
            def select_for_update():
                return CallDigestConsent.objects.all()

    monkeypatch.setattr(services, "CallDigestConsent", Unlocked)

    errors = run_twice_at_once(monkeypatch)

    assert [type(error) for error in errors] == [IntegrityError]
    assert len(mail.outbox) == 1  # the colliding run's mails were never committed
