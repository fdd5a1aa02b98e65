"""Writes of workshops and events, each in one transaction. Sections are appended per
capability: registrations and the waitlist; events and sessions; children, attendance."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from fabreck.events.models import Event, Registration, Session

User = get_user_model()

__all__ = ["Event", "Registration", "Session", "User", "ValidationError", "transaction"]
