"""Shared bits of the registration and waitlist tests."""

from __future__ import annotations

import re

from django.core import mail
from django.core.exceptions import ValidationError

from tests.events.helpers import child_make
from tests.factories import UserFactory

CLAIM_LINK = re.compile(r"https?://\S+/events/claim/([^/\s]+)/")


def codes(error: ValidationError) -> list[str]:
    return [e.code for e in error.error_list]


def guardian_make(*, language: str = "en", **fields):
    return UserFactory(roles=["guardian"], preferred_language=language, **fields)


def family_make(*, language: str = "en", names=("Lea",), age: int = 8):
    """A guardian and their children of `age`."""
    guardian = guardian_make(language=language)
    return guardian, [child_make(guardian, first_name=name, age=age) for name in names]


def claim_token(recipient) -> str:
    """The token of the last claim link e-mailed to `recipient`."""
    for message in reversed(mail.outbox):
        if recipient.email in message.to:
            found = CLAIM_LINK.search(message.body)
            if found:
                return found.group(1)
    raise AssertionError(f"no claim link e-mailed to {recipient.email}")
