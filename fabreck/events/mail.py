"""E-mails of workshops and events, one per recipient, each in its recipient's language,
sent after the transaction commits. Sections are appended per capability."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from fabreck.core.ics import IcsEvent, ics_calendar
from fabreck.core.mail import email_send_on_commit
from fabreck.events.models import Event, Registration, RegistrationStatus, Session
from fabreck.events.selectors import waitlist_position

# --- session notices: cancelled or moved by the staff (evcat) -----------------------------


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


# --- registrations and the waitlist -------------------------------------------------------
#
# Called after the registration's transaction commits (transaction.on_commit), never while
# the session row is locked: rendering is the slow part of an e-mail. One e-mail per
# recipient and session: a guardian who registers two children gets one confirmation
# naming both, with one calendar entry.


def _grouped(registrations: Iterable[Registration]):
    """(recipient, session, [registrations]) in the order first met; registrations whose
    registrant's account is gone are skipped (nobody to write to)."""
    groups: dict[tuple[int, int], tuple[object, Session, list[Registration]]] = {}
    for registration in registrations:
        recipient = registration.registered_by
        if recipient is None or not recipient.email:
            continue
        key = (recipient.pk, registration.session_id)
        if key not in groups:
            groups[key] = (recipient, registration.session, [])
        groups[key][2].append(registration)
    return list(groups.values())


def _letter_message(
    *, recipient, subject: str, template: str, context: dict, ics: Session | None = None
) -> EmailMessage:
    """Render one e-mail in the recipient's language (subject is a callable so that it is
    translated in that language too)."""
    with translation.override(recipient.preferred_language):
        context = {"recipient": recipient, "site_url": settings.SITE_URL, **context}
        if "session" in context:
            context.setdefault("event", context["session"].event)
            context.setdefault("place", event_place(context["session"].event))
        message = EmailMessage(
            subject=subject(context),
            body=render_to_string(template, context),
            to=[recipient.email],
        )
        if ics is not None:
            message.attach(
                "event.ics",
                ics_calendar([session_ics_event(ics)], method="PUBLISH"),
                "text/calendar",
            )
    return message


def _letter_send(
    *, recipient, subject: str, template: str, context: dict, ics: Session | None = None
):
    """Render and queue one e-mail in the recipient's language."""
    email_send_on_commit(
        _letter_message(
            recipient=recipient, subject=subject, template=template, context=context, ics=ics
        )
    )


def _confirmation_message(recipient, session: Session, group: list[Registration]) -> EmailMessage:
    return _letter_message(
        recipient=recipient,
        subject=lambda c: (
            _("[Fabreck] Registration confirmed: %(event)s") % {"event": c["event"].title}
        ),
        template="events/email/registration_confirmed.txt",
        context={"session": session, "registrations": group},
        ics=session,
    )


def _waitlist_message(recipient, session: Session, group: list[Registration]) -> EmailMessage:
    for registration in group:
        registration.waitlist_position = waitlist_position(registration=registration)
    return _letter_message(
        recipient=recipient,
        subject=lambda c: _("[Fabreck] On the waitlist: %(event)s") % {"event": c["event"].title},
        template="events/email/waitlist_joined.txt",
        context={"session": session, "registrations": group},
    )


def registration_confirmation_send(*, registrations: list[Registration]) -> None:
    """The confirmation of seats in one session for one registrant, with a calendar entry."""
    for recipient, session, group in _grouped(registrations):
        email_send_on_commit(_confirmation_message(recipient, session, group))


def waitlist_joined_send(*, registrations: list[Registration]) -> None:
    """The notice that a full session put these registrations on its waitlist, with their
    places in the queue."""
    for recipient, session, group in _grouped(registrations):
        email_send_on_commit(_waitlist_message(recipient, session, group))


def registration_notice_message(
    *, kind: str, registrations: list[Registration]
) -> EmailMessage | None:
    """The letter of an outbox row (RegistrationNotice): a confirmation or a waitlist
    notice for `registrations`, those of the row still in the state it announces (None
    when none is left, or nobody to write to)."""
    groups = _grouped(registrations)
    if not groups:
        return None
    recipient, session, group = groups[0]
    if kind == RegistrationStatus.CONFIRMED:
        return _confirmation_message(recipient, session, group)
    return _waitlist_message(recipient, session, group)


def claim_url(token: str) -> str:
    return settings.SITE_URL + reverse("events:claim", kwargs={"token": token})


def seat_offered_send(*, registration: Registration, token: str) -> None:
    """The offer of a freed seat to the next in line: the claim link and until when."""
    for recipient, session, group in _grouped([registration]):
        _letter_send(
            recipient=recipient,
            subject=lambda c: (
                _("[Fabreck] A seat is free for you: %(event)s") % {"event": c["event"].title}
            ),
            template="events/email/seat_offered.txt",
            context={
                "session": session,
                "registration": group[0],
                "claim_url": claim_url(token),
                "expires_at": registration.offer_expires_at,
            },
        )


def registration_reminders_send(*, registrations: list[Registration]) -> None:
    """The reminder before a session, one per registrant and session."""
    for recipient, session, group in _grouped(registrations):
        _letter_send(
            recipient=recipient,
            subject=lambda c: (
                _("[Fabreck] Reminder: %(event)s on %(date)s")
                % {"event": c["event"].title, "date": _day_text(c["session"].starts_at)}
            ),
            template="events/email/reminder.txt",
            context={"session": session, "registrations": group},
            ics=session,
        )


def _day_text(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATE_FORMAT")
