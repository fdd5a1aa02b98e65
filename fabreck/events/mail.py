"""E-mails of workshops and events, one per recipient, each in its recipient's language.
Sections are appended per capability."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from fabreck.core.ics import IcsEvent, ics_calendar
from fabreck.core.mail import email_send_on_commit
from fabreck.events.models import Event, Registration, RegistrationStatus, Session
from fabreck.events.selectors import waitlist_position

# --- registrations and the waitlist -------------------------------------------------------
#
# Called after the registration's transaction commits (transaction.on_commit), never while
# the session row is locked: rendering is the slow part of an e-mail. One e-mail per
# recipient and session: a guardian who registers two children gets one confirmation
# naming both, with one calendar entry.


def _registration_place(event: Event) -> str:
    """Where the event happens, in one line: its venue, else its site's address."""
    if event.venue or event.site_id is None:
        return event.venue
    site = event.site
    return f"{site.name}, {site.street}, {site.postcode} {site.locality}"


def _registration_ics(session: Session) -> IcsEvent:
    """The session as a calendar entry, one UID per session (as the notices of a moved or
    cancelled session use: they update the same entry). Call it in the recipient's
    language."""
    event = session.event
    return IcsEvent(
        uid=f"events-session-{session.pk}@fabreck",
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        summary=event.title,
        description=event.description,
        location=_registration_place(event),
        url=settings.SITE_URL,
        cancelled=session.status == Session.Status.CANCELLED,
        sequence=int(session.updated_at.timestamp()) % 2_000_000_000,
        updated_at=session.updated_at,
    )


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


def _letter_send(
    *, recipient, subject: str, template: str, context: dict, ics: Session | None = None
):
    """Render and queue one e-mail in the recipient's language (subject is a callable so
    that it is translated in that language too)."""
    with translation.override(recipient.preferred_language):
        context = {"recipient": recipient, "site_url": settings.SITE_URL, **context}
        if "session" in context:
            context.setdefault("event", context["session"].event)
            context.setdefault("place", _registration_place(context["session"].event))
        message = EmailMessage(
            subject=subject(context),
            body=render_to_string(template, context),
            to=[recipient.email],
        )
        if ics is not None:
            message.attach(
                "event.ics",
                ics_calendar([_registration_ics(ics)], method="PUBLISH"),
                "text/calendar",
            )
    email_send_on_commit(message)


def registration_confirmation_send(*, registrations: list[Registration]) -> None:
    """The confirmation of seats in one session for one registrant, with a calendar entry."""
    for recipient, session, group in _grouped(registrations):
        _letter_send(
            recipient=recipient,
            subject=lambda c: (
                _("[Fabreck] Registration confirmed: %(event)s") % {"event": c["event"].title}
            ),
            template="events/email/registration_confirmed.txt",
            context={"session": session, "registrations": group},
            ics=session,
        )


def waitlist_joined_send(*, registrations: list[Registration]) -> None:
    """The notice that a full session put these registrations on its waitlist, with their
    places in the queue."""
    for recipient, session, group in _grouped(registrations):
        for registration in group:
            registration.waitlist_position = waitlist_position(registration=registration)
        _letter_send(
            recipient=recipient,
            subject=lambda c: (
                _("[Fabreck] On the waitlist: %(event)s") % {"event": c["event"].title}
            ),
            template="events/email/waitlist_joined.txt",
            context={"session": session, "registrations": group},
        )


def registrations_created_send(*, registrations: list[Registration]) -> None:
    """What a registration call produced: confirmations and waitlist notices."""
    registration_confirmation_send(
        registrations=[r for r in registrations if r.status == RegistrationStatus.CONFIRMED]
    )
    waitlist_joined_send(
        registrations=[r for r in registrations if r.status == RegistrationStatus.WAITLISTED]
    )


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
