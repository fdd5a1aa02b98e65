"""E-mail is sent after the transaction that caused it commits, through a Celery task."""

from __future__ import annotations

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction


def email_send_on_commit(message: EmailMessage) -> None:
    """Queue `message` to go out once the current transaction commits (now, if none)."""
    from fabreck.core.tasks import email_send

    payload = {
        "subject": message.subject,
        "body": message.body,
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": dict(message.extra_headers),
        "alternatives": [
            [content, mimetype] for content, mimetype in getattr(message, "alternatives", [])
        ],
        "content_subtype": message.content_subtype,
        # Text attachments only (calendar invitations): the payload travels as JSON.
        "attachments": [
            [name, content, mimetype]
            for name, content, mimetype in message.attachments
            if isinstance(content, str)
        ],
    }
    transaction.on_commit(lambda: email_send.delay(payload))


def email_from_payload(payload: dict) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["body"],
        from_email=payload["from_email"],
        to=payload["to"],
        cc=payload["cc"],
        bcc=payload["bcc"],
        reply_to=payload["reply_to"],
        headers=payload["headers"],
    )
    for content, mimetype in payload["alternatives"]:
        message.attach_alternative(content, mimetype)
    message.content_subtype = payload["content_subtype"]
    for name, content, mimetype in payload.get("attachments", []):
        message.attach(name, content, mimetype)
    return message
