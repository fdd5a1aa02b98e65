"""E-mails of workshops and events, one per recipient, each in its recipient's language,
sent after the transaction commits. Sections are appended per capability."""

from __future__ import annotations

# --- session notices: cancelled or moved by the staff (evcat) -----------------------------
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from fabreck.core.ics import IcsEvent, ics_calendar
from fabreck.core.mail import email_send_on_commit
from fabreck.events.models import Event, Registration, Session


def event_place(event: Event) -> str:
    """Where an event happens, in one line: its venue, else its site's address."""
    if event.venue:
        return event.venue
    site = event.site
    if site is None:
        return ""
    return f"{site.name}, {site.street}, {site.postcode} {site.locality}"


def event_url(event: Event) -> str:
    return settings.SITE_URL + reverse("events:detail", args=[event.slug])


def session_ics_event(session: Session) -> IcsEvent:
    """A session as a calendar entry. One UID per session: the confirmation, the notice of
    a new time and the notice of a cancellation all update the same entry (SEQUENCE grows
    with each change)."""
    event = session.event
    description = event.description
    if session.status == Session.Status.CANCELLED and session.cancelled_reason:
        # Outside the f-string, or makemessages never sees the text.
        cancelled = _("Cancelled:")
        description = f"{cancelled} {session.cancelled_reason}\n\n{description}".strip()
    return IcsEvent(
        uid=f"events-session-{session.pk}@fabreck",
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        summary=event.title,
        description=description,
        location=event_place(event),
        url=event_url(event),
        cancelled=session.status == Session.Status.CANCELLED,
        sequence=int(session.updated_at.timestamp()) % 2_000_000_000,
        updated_at=session.updated_at,
    )


def registration_recipient(registration: Registration):
    """Who hears about a registration: whoever made it, else the adult attendee, else the
    child's guardian (None when every one of them is gone)."""
    for person in (
        registration.registered_by,
        registration.attendee,
        registration.child.guardian if registration.child_id else None,
    ):
        if person is not None and person.email:
            return person
    return None


@dataclass
class _Letter:
    recipient: object
    registrations: list[Registration] = field(default_factory=list)


def _letters(registrations: Iterable[Registration]) -> list[_Letter]:
    """One letter per person, naming all the attendees they registered."""
    letters: dict[int, _Letter] = {}
    for registration in registrations:
        person = registration_recipient(registration)
        if person is None:
            continue
        letters.setdefault(person.pk, _Letter(person)).registrations.append(registration)
    return list(letters.values())


def _when(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _send(*, session: Session, letter: _Letter, template: str, subject: str, context: dict) -> None:
    person = letter.recipient
    body = render_to_string(
        template,
        {
            "recipient": person,
            "session": session,
            "event": session.event,
            "place": event_place(session.event),
            "event_url": event_url(session.event),
            "attendees": [r.attendee_label for r in letter.registrations],
            "waitlisted": all(r.status == "waitlisted" for r in letter.registrations),
            **context,
        },
    )
    message = EmailMessage(subject=subject, body=body, to=[person.email])
    if not all(r.status == "waitlisted" for r in letter.registrations):
        # The calendar entry of those holding a seat (the waitlist has none to update).
        message.attach(
            "session.ics",
            ics_calendar([session_ics_event(session)], method="PUBLISH"),
            "text/calendar",
        )
    email_send_on_commit(message)


def session_cancelled_notify(*, session: Session, registrations: Iterable[Registration]) -> None:
    """Tell everyone who was registered (or waiting) that the session is called off."""
    for letter in _letters(registrations):
        with translation.override(letter.recipient.preferred_language):
            subject = _("[Fabreck] Cancelled: %(event)s on %(when)s") % {
                "event": session.event.title,
                "when": _when(session.starts_at),
            }
            _send(
                session=session,
                letter=letter,
                template="events/email/session_cancelled.txt",
                subject=subject,
                context={"reason": session.cancelled_reason},
            )


def session_moved_notify(
    *,
    session: Session,
    registrations: Iterable[Registration],
    old_starts_at: datetime,
    old_ends_at: datetime,
) -> None:
    """Tell everyone registered (or waiting) the session's new time, with the updated
    calendar entry."""
    for letter in _letters(registrations):
        with translation.override(letter.recipient.preferred_language):
            subject = _("[Fabreck] New time: %(event)s on %(when)s") % {
                "event": session.event.title,
                "when": _when(session.starts_at),
            }
            _send(
                session=session,
                letter=letter,
                template="events/email/session_moved.txt",
                subject=subject,
                context={"old_starts_at": old_starts_at, "old_ends_at": old_ends_at},
            )
