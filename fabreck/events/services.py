"""Writes of workshops and events, each in one transaction. Sections are appended per
capability: registrations and the waitlist; events and sessions; children, attendance."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from fabreck.events.models import Event, Registration, Session

User = get_user_model()

__all__ = ["Event", "Registration", "Session", "User", "ValidationError", "transaction"]


# --- registrations and the waitlist -------------------------------------------------------
#
# Decisions:
# - Seats are taken by moving Session.seats_taken under the session's row lock
#   (`session_for_update`), in the transaction that writes the registration: registrations
#   for one session queue on that lock, so the seats never run out twice and the waitlist
#   keeps the order in which the lock was won (queued_at is stamped under it, ids follow).
#   The check constraint seats_taken <= capacity is the backstop.
# - What needs no lock is checked before it (session open, window, the children, their
#   ages); the registrant's own limit and duplicates are counted, and the ticket found, in
#   the one statement that locks the registrant's user row (FOR NO KEY UPDATE: foreign keys
#   to the user still insert), then the session is locked for two statements only: insert,
#   move the counter. A registration is a handful of statements; the lock order is always
#   user, then session.
# - Every change of a registration's status takes the session lock first, so registrations
#   need no row locks of their own.
# - While a session's waitlist is not empty, all of its seats are held: whatever frees a
#   seat (cancel, expiry) offers it to the next in line in the same transaction, so a
#   newcomer never jumps the queue. A service that raises a capacity calls `waitlist_fill`.
# - An offer holds its seat (counted in seats_taken) until claimed (confirmed), cancelled
#   or expired; it lasts event.offer_hours, never past the session's start. The claim link
#   carries a random token; only its digest is stored and kept after use, so a second use
#   or a late one gets its own message.
# - E-mails are rendered after commit (fabreck.events.mail via transaction.on_commit),
#   never under the lock.
# - The per-registrant limit (event.max_per_registrant) counts the live child and adult
#   registrations a person made across the event's sessions; school classes do not count
#   (a class is limited by the seats left).

import secrets  # noqa: E402
from collections.abc import Iterable  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402
from functools import partial  # noqa: E402
from typing import NamedTuple  # noqa: E402

from django.core.exceptions import PermissionDenied  # noqa: E402
from django.db import IntegrityError, connection  # noqa: E402
from django.utils import formats, timezone  # noqa: E402
from django.utils.translation import gettext as _  # noqa: E402
from django.utils.translation import ngettext  # noqa: E402

from fabreck.core.secrets import secret_digest  # noqa: E402
from fabreck.events import mail as events_mail  # noqa: E402
from fabreck.events.models import (  # noqa: E402
    CHILDREN_KINDS,
    CLUSTER_KINDS,
    LIVE_STATUSES,
    Child,
    EventKind,
    EventStatus,
    RegistrationKind,
    RegistrationStatus,
    School,
    SessionStatus,
    TicketCategory,
)
from fabreck.events.selectors import (  # noqa: E402
    session_for_update,
    user_is_cluster_member,
    user_manages_event,
)

Status = RegistrationStatus
OFFER_TOKEN_BYTES = 32


def _moment_text(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _day_text(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATE_FORMAT")


def _session_open_check(session: Session, now: datetime) -> None:
    """Registration is open: event published, session scheduled and not started, inside its
    registration window."""
    event = session.event
    if event.status != EventStatus.PUBLISHED:
        raise ValidationError(
            _("“%(event)s” is not open for registration.") % {"event": event.title},
            code="not_published",
        )
    if session.status != SessionStatus.SCHEDULED:
        raise ValidationError(
            _("This session of “%(event)s” is cancelled.") % {"event": event.title},
            code="session_cancelled",
        )
    if session.starts_at <= now:
        raise ValidationError(
            _("This session has started: registration is closed."), code="started"
        )
    if session.registration_opens_at is not None and now < session.registration_opens_at:
        raise ValidationError(
            _("Registration for this session opens on %(when)s.")
            % {"when": _moment_text(session.registration_opens_at)},
            code="not_open",
        )
    if session.registration_closes_at is not None and now >= session.registration_closes_at:
        raise ValidationError(
            _("Registration for this session closed on %(when)s.")
            % {"when": _moment_text(session.registration_closes_at)},
            code="closed",
        )


def _ticket(event: Event, ticket_category) -> TicketCategory | None:
    """The ticket chosen (a TicketCategory or its id), or the event's first one; None when
    the event has no ticket categories (free)."""
    if ticket_category is None:
        return event.ticket_categories.order_by("position", "pk").first()
    if not isinstance(ticket_category, TicketCategory):
        try:
            ticket_category = TicketCategory.objects.filter(pk=int(ticket_category)).first()
        except (TypeError, ValueError):
            raise _ticket_refusal(event) from None
    if ticket_category is None or ticket_category.event_id != event.pk:
        raise _ticket_refusal(event)
    return ticket_category


def _ticket_refusal(event: Event) -> ValidationError:
    return ValidationError(
        _("This ticket is not one of “%(event)s”.") % {"event": event.title}, code="ticket"
    )


def _age_range(event: Event) -> str:
    if event.age_min is not None and event.age_max is not None:
        return _("%(min)d to %(max)d") % {"min": event.age_min, "max": event.age_max}
    if event.age_min is not None:
        return _("%(min)d and over") % {"min": event.age_min}
    return _("up to %(max)d") % {"max": event.age_max}


def _child_refusal(child: Child, session: Session, today) -> ValidationError | None:
    """Why this child may not attend this session, if so; its age is checked on the day."""
    if child.birth_date > today:
        return ValidationError(
            _("%(name)s's birth date is in the future: correct it in the child's profile.")
            % {"name": child.first_name},
            code="birth_date_future",
        )
    day = timezone.localdate(session.starts_at)
    age = child.age_on(day)
    if not session.event.age_accepts(age):
        return ValidationError(
            ngettext(
                "%(name)s will be %(age)d year old on %(date)s: “%(event)s” is for ages %(range)s.",
                "%(name)s will be %(age)d years old on %(date)s: “%(event)s” is for ages "
                "%(range)s.",
                age,
            )
            % {
                "name": child.first_name,
                "age": age,
                "date": _day_text(session.starts_at),
                "event": session.event.title,
                "range": _age_range(session.event),
            },
            code="age",
        )
    return None


class _Registrant(NamedTuple):
    held: int  # live child and adult registrations they made for the event's sessions
    duplicates: int  # of the people being registered, those already live in this session
    ticket_id: int | None
    price: Decimal


# The hot path of a registration runs in plain SQL: the ORM spends more time building these
# few statements than the database spends running them (about a millisecond each on a
# small server, and a rush is made of them). Table names come from the models; the
# statements run on PostgreSQL and SQLite alike (row locks where the database has them).
# Only table names (from the models) and constants are written into them; every value is a
# parameter (hence the S608 waivers).

_REGISTRATION = Registration._meta.db_table
_SESSION = Session._meta.db_table
_EVENT = Event._meta.db_table
_TICKET = TicketCategory._meta.db_table
_USER = User._meta.db_table
_LIVE_SQL = ", ".join(f"'{status}'" for status in LIVE_STATUSES)  # constants


def _sql_row(sql: str, params: list) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _decimal(value) -> Decimal:
    """A price as read by a plain statement (SQLite gives numbers, PostgreSQL decimals)."""
    if value is None:
        return Decimal(0)
    return value if isinstance(value, Decimal) else Decimal(str(value)).quantize(Decimal("0.01"))


def _registrant_locked(
    *, user: User, session: Session, ticket_category, children: list[Child] | None = None
) -> _Registrant:
    """In one statement: lock the registrant's row (FOR NO KEY UPDATE: one registration at
    a time per person, so their limit and duplicates are counted once; foreign keys to the
    user still insert), count what they hold for the event and the duplicates in this
    session (of `children`, or of themselves as an adult), and find the ticket (the one
    chosen by id, or the event's first) with its price."""
    event = session.event
    columns = [
        f"(SELECT COUNT(*) FROM {_REGISTRATION} r JOIN {_SESSION} s ON s.id = r.session_id"  # noqa: S608
        f" WHERE s.event_id = %s AND r.registered_by_id = %s AND r.status IN ({_LIVE_SQL})"
        " AND r.kind IN ('child', 'adult'))"
    ]
    params: list = [event.pk, user.pk]
    if children is None:
        columns.append(
            f"(SELECT COUNT(*) FROM {_REGISTRATION} WHERE session_id = %s"  # noqa: S608
            f" AND status IN ({_LIVE_SQL}) AND kind = 'adult' AND attendee_id = %s)"
        )
        params += [session.pk, user.pk]
    else:
        columns.append(
            f"(SELECT COUNT(*) FROM {_REGISTRATION} WHERE session_id = %s"  # noqa: S608
            f" AND status IN ({_LIVE_SQL})"
            f" AND child_id IN ({', '.join(['%s'] * len(children)) or 'NULL'}))"
        )
        params += [session.pk, *(c.pk for c in children)]
    ticket_id, price = None, Decimal(0)
    if isinstance(ticket_category, TicketCategory):
        if ticket_category.event_id != event.pk:
            raise _ticket_refusal(event)
        ticket_id, price = ticket_category.pk, ticket_category.price
    else:
        where, where_params = "event_id = %s", [event.pk]
        if ticket_category is not None:
            chosen = _int_or_none(ticket_category)
            if chosen is None:
                raise _ticket_refusal(event)
            where, where_params = where + " AND id = %s", [event.pk, chosen]
        for column in ("id", "price"):
            columns.append(
                f"(SELECT {column} FROM {_TICKET} WHERE {where} ORDER BY position, id LIMIT 1)"  # noqa: S608
            )
            params += where_params
    features = connection.features
    lock = (
        " FOR NO KEY UPDATE"
        if features.has_select_for_no_key_update
        else " FOR UPDATE"
        if features.has_select_for_update
        else ""
    )
    row = _sql_row(
        f"SELECT {', '.join(columns)} FROM {_USER} WHERE id = %s{lock}",  # noqa: S608
        [*params, user.pk],
    )
    if len(row) == 4:
        if ticket_category is not None and row[2] is None:
            raise _ticket_refusal(event)
        ticket_id, price = row[2], _decimal(row[3])
    return _Registrant(row[0], row[1], ticket_id, price)


def _limit_check(event: Event, held: int, adding: int) -> None:
    if held + adding > event.max_per_registrant:
        left = max(0, event.max_per_registrant - held)
        raise ValidationError(
            ngettext(
                "You may register at most %(max)d person for “%(event)s”",
                "You may register at most %(max)d people for “%(event)s”",
                event.max_per_registrant,
            )
            % {"max": event.max_per_registrant, "event": event.title}
            + ngettext(
                " and have %(left)d place left.",
                " and have %(left)d places left.",
                left,
            )
            % {"left": left},
            code="limit",
        )


# The seams of the seat guard, kept apart so the concurrency tests can take the guard away
# and show the race it prevents.


def _session_lock_clause() -> str:
    return " FOR UPDATE" if connection.features.has_select_for_update else ""


def _session_seats_locked(session: Session, now: datetime) -> bool:
    """Lock the session row (registrations for one session queue here), read its capacity
    and seats taken into `session`, and say whether registration is still open as it was
    checked before the lock: event published, session scheduled, not moved, not started,
    inside its registration window."""
    adapt = connection.ops.adapt_datetimefield_value
    row = _sql_row(
        f"SELECT capacity, seats_taken, (status = 'scheduled' AND starts_at = %s"  # noqa: S608
        " AND starts_at > %s"
        " AND (registration_opens_at IS NULL OR registration_opens_at <= %s)"
        " AND (registration_closes_at IS NULL OR registration_closes_at > %s)"
        f" AND EXISTS (SELECT 1 FROM {_EVENT} e WHERE e.id = event_id AND e.status = 'published'))"
        f" FROM {_SESSION} WHERE id = %s{_session_lock_clause()}",
        [adapt(session.starts_at), adapt(now), adapt(now), adapt(now), session.pk],
    )
    session.capacity, session.seats_taken = row[0], row[1]
    return bool(row[2])


def _session_locked(session_id: int) -> Session:
    """The session with its event, its row locked (every change of a registration's status
    happens under this lock)."""
    return session_for_update(session_id=session_id)


def _seats_left(session: Session) -> int:
    return session.capacity - session.seats_taken


def _seats_move(session: Session, delta: int) -> None:
    if delta:
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {_SESSION} SET seats_taken = seats_taken + %s WHERE id = %s",  # noqa: S608
                [delta, session.pk],
            )
        session.seats_taken += delta


_INSERTED_FIELDS = [f for f in Registration._meta.concrete_fields if not f.primary_key]


def _insert(registrations: list[Registration]) -> None:
    """INSERT the registrations in one statement and read their ids back: what bulk_create
    does, with the statement built from the model's fields without the query machinery."""
    fields = _INSERTED_FIELDS
    if not connection.features.can_return_rows_from_bulk_insert:  # pragma: no cover
        Registration.objects.bulk_create(registrations)
        return
    values = [
        [f.get_db_prep_save(f.pre_save(r, True), connection) for f in fields] for r in registrations
    ]
    row = f"({', '.join(['%s'] * len(fields))})"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_REGISTRATION} ({', '.join(f.column for f in fields)})"  # noqa: S608
            f" VALUES {', '.join([row] * len(values))} RETURNING id",
            [value for row_values in values for value in row_values],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
    for registration, pk in zip(registrations, ids, strict=True):
        registration.pk = pk
        registration._state.adding = False
        registration._state.db = connection.alias


def _session_recheck(session: Session, now: datetime, children: list[Child] = ()) -> Session:
    """Under the lock, registration turned out closed or the session moved: read it again
    and give the reason (or check the children's ages on its new date)."""
    fresh = Session.objects.select_related("event").get(pk=session.pk)
    _session_open_check(fresh, now)
    today = timezone.localdate(now)
    errors = list(filter(None, (_child_refusal(child, fresh, today) for child in children)))
    if errors:
        raise ValidationError(errors)
    return fresh


def _integrity_refusal(error: IntegrityError) -> ValidationError:
    """The database refused what the checks let through (the guards' backstop)."""
    text = str(error)
    if "events_session_not_oversold" in text:
        return ValidationError(_("This session is full."), code="full")
    if "_once" in text or "UNIQUE constraint failed" in text:  # PostgreSQL, SQLite
        return ValidationError(
            _("Already registered for this session (or on its waitlist)."), code="duplicate"
        )
    raise error


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _on_commit(function, **kwargs) -> None:
    transaction.on_commit(partial(function, **kwargs))


def registration_children_create(
    *,
    guardian: User,
    session: Session,
    children: Iterable[Child | int],
    ticket_category: TicketCategory | int | None = None,
) -> list[Registration]:
    """Register one or more of the guardian's children for a session. Give Child objects
    as read from the database (a view's query of the guardian's children: they are not read
    again) or their ids (read here).

    Each child gets a confirmed seat while seats are left; the others join the waitlist in
    the order given. Returns the registrations in that order; their `status` says which is
    which (confirmed or waitlisted). Any refusal refuses them all, with one message per
    child refused (ValidationError codes: not_published, session_cancelled, started,
    not_open, closed, children_not_admitted, no_child, not_your_child, birth_date_future,
    age, duplicate, limit, ticket)."""
    now = timezone.now()
    event = session.event
    _session_open_check(session, now)
    if event.kind in CLUSTER_KINDS or event.kind == EventKind.TRAINING:
        raise ValidationError(
            _("“%(event)s” is not for children.") % {"event": event.title},
            code="children_not_admitted",
        )
    given = list(children)
    if any(not isinstance(c, Child) for c in given):  # ids: the children are read
        ids = [c.pk if isinstance(c, Child) else _int_or_none(c) for c in given]
        found = {c.pk: c for c in Child.objects.filter(pk__in=[i for i in ids if i])}
        given = [found.get(pk) for pk in ids]
    chosen = list({c.pk: c for c in given if c is not None}.values())  # each child once
    if not given:
        raise ValidationError(_("Choose at least one child to register."), code="no_child")
    errors: list[ValidationError] = []
    if None in given or any(
        c.guardian_id != guardian.pk or c.anonymised_at is not None for c in chosen
    ):
        errors.append(
            ValidationError(
                _("You may only register your own children: one of those chosen is not."),
                code="not_your_child",
            )
        )
        chosen = [c for c in chosen if c.guardian_id == guardian.pk and c.anonymised_at is None]
    today = timezone.localdate(now)
    errors += filter(None, (_child_refusal(child, session, today) for child in chosen))
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            registrant = _registrant_locked(
                user=guardian, session=session, ticket_category=ticket_category, children=chosen
            )
            if registrant.duplicates:
                already = set(
                    Registration.objects.filter(
                        session=session,
                        status__in=LIVE_STATUSES,
                        child_id__in=[c.pk for c in chosen],
                    ).values_list("child_id", flat=True)
                )
                raise ValidationError(
                    [
                        ValidationError(
                            _(
                                "%(name)s is already registered for this session (or on its "
                                "waitlist)."
                            )
                            % {"name": child.first_name},
                            code="duplicate",
                        )
                        for child in chosen
                        if child.pk in already
                    ]
                )
            _limit_check(event, registrant.held, len(chosen))

            if not _session_seats_locked(session, timezone.now()):
                session = _session_recheck(session, timezone.now(), chosen)
            now = timezone.now()  # stamped under the lock: the queue's order is the lock's
            day = timezone.localdate(session.starts_at)
            left = _seats_left(session)
            registrations = []
            for child in chosen:
                seated = left > 0
                left -= seated
                registrations.append(
                    Registration(
                        session=session,
                        kind=RegistrationKind.CHILD,
                        status=Status.CONFIRMED if seated else Status.WAITLISTED,
                        registered_by=guardian,
                        child=child,
                        child_age=child.age_on(day),
                        ticket_category_id=registrant.ticket_id,
                        price=registrant.price,
                        confirmed_at=now if seated else None,
                        queued_at=None if seated else now,
                    )
                )
            _insert(registrations)
            _seats_move(session, sum(r.status == Status.CONFIRMED for r in registrations))
            _on_commit(events_mail.registrations_created_send, registrations=registrations)
    except IntegrityError as error:
        raise _integrity_refusal(error) from error
    return registrations


def registration_adult_create(
    *,
    user: User,
    session: Session,
    ticket_category: TicketCategory | int | None = None,
) -> Registration:
    """An adult registers themselves: a confirmed seat, or the waitlist when the session is
    full (the returned registration's `status` says which). Codes: not_published,
    session_cancelled, started, not_open, closed, children_only, members_only, duplicate,
    limit, ticket."""
    now = timezone.now()
    event = session.event
    _session_open_check(session, now)
    if event.kind in CHILDREN_KINDS:
        raise ValidationError(
            _("“%(event)s” is a workshop for children: register a child instead.")
            % {"event": event.title},
            code="children_only",
        )
    if event.members_only and not user_is_cluster_member(user=user):
        raise ValidationError(
            _(
                "“%(event)s” is for people of the cluster's member organisations: your account "
                "belongs to none."
            )
            % {"event": event.title},
            code="members_only",
        )
    try:
        with transaction.atomic():
            registrant = _registrant_locked(
                user=user, session=session, ticket_category=ticket_category
            )
            if registrant.duplicates:
                raise ValidationError(
                    _("You are already registered for this session (or on its waitlist)."),
                    code="duplicate",
                )
            _limit_check(event, registrant.held, 1)

            if not _session_seats_locked(session, timezone.now()):
                session = _session_recheck(session, timezone.now())
            now = timezone.now()  # stamped under the lock: the queue's order is the lock's
            seated = _seats_left(session) > 0
            registration = Registration(
                session=session,
                kind=RegistrationKind.ADULT,
                status=Status.CONFIRMED if seated else Status.WAITLISTED,
                registered_by=user,
                attendee=user,
                ticket_category_id=registrant.ticket_id,
                price=registrant.price,
                confirmed_at=now if seated else None,
                queued_at=None if seated else now,
            )
            _insert([registration])
            _seats_move(session, 1 if seated else 0)
            _on_commit(events_mail.registrations_created_send, registrations=[registration])
    except IntegrityError as error:
        raise _integrity_refusal(error) from error
    return registration


def registration_school_class_create(
    *,
    teacher: User,
    session: Session,
    school: School | int,
    grade: str,
    pupils: int,
    accompanying_adults: int = 0,
    ticket_category: TicketCategory | int | None = None,
) -> Registration:
    """A teacher registers a school class: it takes `pupils` seats, confirmed at once, or it
    is refused (no waitlist for classes). The price stored is the ticket's price per pupil
    times the pupils. Codes: not_published, session_cancelled, started, not_open, closed,
    no_school_classes, pupils, accompanying_adults, school, full, class_too_large,
    duplicate, ticket; PermissionDenied without the guardian-or-teacher role."""
    now = timezone.now()
    event = session.event
    _session_open_check(session, now)
    if not event.accepts_school_classes:
        raise ValidationError(
            _("“%(event)s” does not take school classes.") % {"event": event.title},
            code="no_school_classes",
        )
    if not teacher.has_perm("accounts.register_children"):
        raise PermissionDenied(_("Only teachers and guardians may register a school class."))
    errors: dict[str, ValidationError] = {}
    if not isinstance(pupils, int) or pupils < 1:
        errors["pupils"] = ValidationError(_("A class has at least one pupil."), code="pupils")
    if not isinstance(accompanying_adults, int) or accompanying_adults < 0:
        errors["accompanying_adults"] = ValidationError(
            _("The number of accompanying adults cannot be negative."),
            code="accompanying_adults",
        )
    if not isinstance(school, School):
        school = School.objects.filter(pk=school).first()
        if school is None:
            errors["school"] = ValidationError(_("Choose the class's school."), code="school")
    if errors:
        raise ValidationError(errors)
    grade = (grade or "").strip()[: Registration._meta.get_field("grade").max_length]
    ticket = _ticket(event, ticket_category)
    with transaction.atomic():
        session = _session_locked(session.pk)
        now = timezone.now()
        _session_open_check(session, now)
        if Registration.objects.filter(
            session=session,
            kind=RegistrationKind.SCHOOL_CLASS,
            school=school,
            grade__iexact=grade,
            status__in=LIVE_STATUSES,
        ).exists():
            raise ValidationError(
                _("%(school)s %(grade)s is already registered for this session.")
                % {"school": school.name, "grade": grade},
                code="duplicate",
            )
        left = _seats_left(session)
        if left <= 0:
            raise ValidationError(
                _("This session is full: a class cannot join its waitlist."), code="full"
            )
        if pupils > left:
            raise ValidationError(
                ngettext(
                    "A class of %(pupils)d pupils is larger than the %(left)d seat left in this "
                    "session.",
                    "A class of %(pupils)d pupils is larger than the %(left)d seats left in this "
                    "session.",
                    left,
                )
                % {"pupils": pupils, "left": left},
                code="class_too_large",
            )
        registration = Registration.objects.create(
            session=session,
            kind=RegistrationKind.SCHOOL_CLASS,
            status=Status.CONFIRMED,
            registered_by=teacher,
            school=school,
            grade=grade,
            pupils=pupils,
            accompanying_adults=accompanying_adults,
            seats=pupils,
            ticket_category=ticket,
            price=(ticket.price if ticket is not None else 0) * pupils,
            confirmed_at=now,
        )
        _seats_move(session, pupils)
        _on_commit(events_mail.registrations_created_send, registrations=[registration])
    return registration


# --- the waitlist: offers, claims, expiry --------------------------------------------------


def _offers_make(session: Session, now: datetime, *, limit: int | None = None) -> list:
    """Offer the free seats of a LOCKED session to the first in line whose seats fit, in
    order of arrival; each offer holds its seats. E-mails with the claim links go on
    commit. Returns the registrations offered."""
    left = _seats_left(session)
    if left <= 0 or session.status != SessionStatus.SCHEDULED or session.starts_at <= now:
        return []
    queue = (
        Registration.objects.filter(session=session, status=Status.WAITLISTED)
        .select_related("registered_by", "child", "attendee", "school")
        .order_by("queued_at", "pk")
    )
    expires_at = min(now + timedelta(hours=session.event.offer_hours), session.starts_at)
    offered, taken = [], 0
    for registration in queue[: left if limit is None else min(left, limit)]:
        if registration.seats > left - taken:
            continue
        token = secrets.token_urlsafe(OFFER_TOKEN_BYTES)
        registration.status = Status.OFFERED
        registration.offered_at = now
        registration.offer_expires_at = expires_at
        registration.offer_token_digest = secret_digest(token)
        registration.session = session
        registration.save(
            update_fields=[
                "status",
                "offered_at",
                "offer_expires_at",
                "offer_token_digest",
                "updated_at",
            ]
        )
        taken += registration.seats
        offered.append(registration)
        _on_commit(events_mail.seat_offered_send, registration=registration, token=token)
    _seats_move(session, taken)
    return offered


def waitlist_fill(*, session: Session, now: datetime | None = None) -> list[Registration]:
    """Offer whatever seats are free to the waitlist (after a capacity was raised, say).
    Returns the registrations offered a seat."""
    now = now or timezone.now()
    with transaction.atomic():
        return _offers_make(_session_locked(session.pk), now)


def _waitlist_staff_check(user: User, event: Event) -> None:
    if not user_manages_event(user=user, event=event):
        raise PermissionDenied(
            _("Only the people who run “%(event)s” may manage its waitlist.")
            % {"event": event.title}
        )


def registration_cancel(
    *, registration: Registration, by: User, now: datetime | None = None
) -> Registration:
    """Cancel a registration: by its registrant before the session starts, or by the staff
    of the event at any time. Its seats (if it held any) are freed and offered to the next
    in line; a waitlisted entry just leaves the queue. Codes: already_cancelled, started;
    PermissionDenied for anyone else."""
    now = now or timezone.now()
    own = by.pk is not None and by.pk in (registration.registered_by_id, registration.attendee_id)
    staff = not own and user_manages_event(user=by, event=registration.session.event)
    if not own and not staff:
        raise PermissionDenied(_("This registration is not yours to cancel."))
    with transaction.atomic():
        session = _session_locked(registration.session_id)
        registration = Registration.objects.get(pk=registration.pk)
        registration.session = session
        if registration.status not in LIVE_STATUSES:
            raise ValidationError(
                _("This registration is already cancelled."), code="already_cancelled"
            )
        if (
            own
            and session.starts_at <= now
            and not user_manages_event(user=by, event=session.event)
        ):
            raise ValidationError(
                _("This session has started: ask its staff to cancel your registration."),
                code="started",
            )
        held = registration.holds_seats
        registration.status = Status.CANCELLED
        registration.cancelled_at = now
        registration.cancelled_by = by
        registration.save(update_fields=["status", "cancelled_at", "cancelled_by", "updated_at"])
        if held:
            _seats_move(session, -registration.seats)
            _offers_make(session, now)
    return registration


def waitlist_entry_remove(
    *, registration: Registration, by: User, now: datetime | None = None
) -> Registration:
    """Staff take an entry off a session's queue (waiting, or offered a seat: the seat then
    goes to the next in line). Code: not_waiting."""
    _waitlist_staff_check(by, registration.session.event)
    if registration.status not in (Status.WAITLISTED, Status.OFFERED):
        raise ValidationError(_("This registration is not on the waitlist."), code="not_waiting")
    return registration_cancel(registration=registration, by=by, now=now)


def waitlist_offer_next(*, session: Session, by: User, now: datetime | None = None) -> Registration:
    """Staff offer a free seat to the next in line. Codes: waitlist_empty, full."""
    _waitlist_staff_check(by, session.event)
    now = now or timezone.now()
    with transaction.atomic():
        session = _session_locked(session.pk)
        if not Registration.objects.filter(session=session, status=Status.WAITLISTED).exists():
            raise ValidationError(_("Nobody is waiting for this session."), code="waitlist_empty")
        if session.status != SessionStatus.SCHEDULED or session.starts_at <= now:
            raise ValidationError(
                _("This session is cancelled or has started: no seat can be offered."),
                code="started",
            )
        offered = _offers_make(session, now, limit=1)
        if not offered:
            raise ValidationError(
                _("No seat is free in this session: cancel a registration or add seats first."),
                code="full",
            )
    return offered[0]


def _offer_expire(session: Session, registration: Registration) -> None:
    registration.status = Status.EXPIRED
    registration.save(update_fields=["status", "updated_at"])
    _seats_move(session, -registration.seats)


def registration_offer_claim(
    *, token: str, user: User, now: datetime | None = None
) -> Registration:
    """Claim the seat offered by the link's token: the registration is confirmed (and a
    confirmation e-mailed). Codes: offer_invalid, offer_expired (the seat then passes to
    the next in line), offer_used, offer_cancelled, session_cancelled; PermissionDenied
    when the offer went to someone else."""
    now = now or timezone.now()
    found = (
        Registration.objects.filter(offer_token_digest=secret_digest(token or ""))
        .only("pk", "session_id", "registered_by_id", "attendee_id")
        .first()
        if token
        else None
    )
    if found is None:
        raise ValidationError(
            _("This link is not valid: check that you copied it whole."), code="offer_invalid"
        )
    if user.pk not in (found.registered_by_id, found.attendee_id):
        raise PermissionDenied(
            _("This seat was offered to someone else: sign in with the account that received it.")
        )
    with transaction.atomic():
        session = _session_locked(found.session_id)
        registration = Registration.objects.select_related(
            "registered_by", "child", "attendee", "school"
        ).get(pk=found.pk)
        registration.session = session
        if registration.status == Status.OFFERED:
            if session.status != SessionStatus.SCHEDULED:
                raise ValidationError(
                    _("This session of “%(event)s” is cancelled.") % {"event": session.event.title},
                    code="session_cancelled",
                )
            if registration.offer_expires_at > now:
                registration.status = Status.CONFIRMED
                registration.confirmed_at = now
                registration.save(update_fields=["status", "confirmed_at", "updated_at"])
                _on_commit(events_mail.registration_confirmation_send, registrations=[registration])
                return registration
            # Expired and not yet swept: expire it now and pass the seat on.
            _offer_expire(session, registration)
            _offers_make(session, now)
    if registration.confirmed_at is not None:
        raise ValidationError(
            _("This link has already been used: the seat was claimed."), code="offer_used"
        )
    if registration.status == Status.EXPIRED:
        raise ValidationError(
            _("This offer expired on %(when)s: the seat went to the next person in line.")
            % {"when": _moment_text(registration.offer_expires_at)},
            code="offer_expired",
        )
    raise ValidationError(_("This offer was cancelled."), code="offer_cancelled")


def registration_offers_expire(*, now: datetime | None = None) -> int:
    """Expire the offers not claimed in time; their seats go to the next in line (one
    transaction per session). Safe to run twice at once: the second finds nothing left
    under the session lock. Returns how many offers expired."""
    now = now or timezone.now()
    session_ids = list(
        Registration.objects.filter(status=Status.OFFERED, offer_expires_at__lte=now)
        .order_by("session_id")
        .values_list("session_id", flat=True)
        .distinct()
    )
    expired = 0
    for session_id in session_ids:
        with transaction.atomic():
            session = _session_locked(session_id)
            due = list(
                Registration.objects.filter(
                    session=session, status=Status.OFFERED, offer_expires_at__lte=now
                )
            )
            for registration in due:
                _offer_expire(session, registration)
            _offers_make(session, now)
            expired += len(due)
    return expired


# --- reminders -----------------------------------------------------------------------------

REMINDER_HOURS = 48


def registration_reminders_send(*, now: datetime | None = None) -> int:
    """Remind the registrants of confirmed seats in sessions starting within 48 hours, once
    per registration (one e-mail per registrant and session). Two runs at once remind once:
    the rows are claimed with SKIP LOCKED and marked in the same transaction. Returns how
    many registrations were reminded."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Registration.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(
                status=Status.CONFIRMED,
                reminder_sent_at__isnull=True,
                registered_by__isnull=False,
                session__status=SessionStatus.SCHEDULED,
                session__event__status=EventStatus.PUBLISHED,
                session__starts_at__gt=now,
                session__starts_at__lte=now + timedelta(hours=REMINDER_HOURS),
            )
            .select_related("session__event__site", "registered_by", "child", "attendee", "school")
            .order_by("session_id", "registered_by_id", "pk")
        )
        Registration.objects.filter(pk__in=[r.pk for r in due]).update(reminder_sent_at=now)
        _on_commit(events_mail.registration_reminders_send, registrations=due)
    return len(due)
