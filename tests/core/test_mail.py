"""E-mails leave only once the transaction that caused them has committed."""

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.db import transaction

from fabreck.core.mail import email_send_on_commit


class Rollback(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_a_mail_waits_for_the_commit():
    with transaction.atomic():
        email_send_on_commit(EmailMessage("Hello", "Body", to=["ana@example.lu"]))
        assert mail.outbox == []

    assert [m.subject for m in mail.outbox] == ["Hello"]
    assert mail.outbox[0].to == ["ana@example.lu"]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_sends_nothing():
    with pytest.raises(Rollback), transaction.atomic():
        email_send_on_commit(EmailMessage("Never", "Body", to=["ana@example.lu"]))
        raise Rollback

    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_html_alternatives_and_headers_survive_the_trip_through_the_task():
    from django.core.mail import EmailMultiAlternatives

    message = EmailMultiAlternatives(
        "Hi", "plain", to=["a@example.lu"], headers={"X-Fabreck": "1"}, reply_to=["r@example.lu"]
    )
    message.attach_alternative("<p>html</p>", "text/html")

    email_send_on_commit(message)

    sent = mail.outbox[0]
    assert sent.alternatives[0][0] == "<p>html</p>"
    assert sent.extra_headers["X-Fabreck"] == "1"
    assert sent.reply_to == ["r@example.lu"]
