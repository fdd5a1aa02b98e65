"""Building blocks for events tests: a workshop with a session, children, registrations
made straight in the database (the services are tested on their own)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from fabreck.events.models import Child, Event, Registration, School, Session, TicketCategory
from tests.factories import UserFactory


def event_make(*, slug: str = "robots", kind: str = "children_workshop", **fields) -> Event:
    fields.setdefault("organiser", fields.pop("organiser", None) or UserFactory())
    if "site" not in fields and "venue" not in fields:
        fields["venue"] = "FabLab, 1 rue du Test, Esch-sur-Alzette"
    if kind == "children_workshop":
        fields.setdefault("age_min", 6)
        fields.setdefault("age_max", 12)
    event = Event.objects.create(
        slug=slug,
        kind=kind,
        status=fields.pop("status", "published"),
        title_en=fields.pop("title_en", "Build a robot"),
        title_fr=fields.pop("title_fr", "Construis un robot"),
        title_de=fields.pop("title_de", "Bau einen Roboter"),
        **fields,
    )
    TicketCategory.objects.create(event=event, name_en="Child", name_fr="Enfant", name_de="Kind")
    return event


def session_make(event: Event, *, days_ahead: int = 14, capacity: int = 12, **fields) -> Session:
    day = timezone.localdate() + timedelta(days=days_ahead)
    starts = timezone.make_aware(datetime.combine(day, time(14)))
    return Session.objects.create(
        event=event,
        starts_at=fields.pop("starts_at", starts),
        ends_at=fields.pop("ends_at", starts + timedelta(hours=2)),
        capacity=capacity,
        **fields,
    )


def child_make(guardian, *, first_name: str = "Lea", age: int = 8, **fields) -> Child:
    today = timezone.localdate()
    born = fields.pop("birth_date", None) or date(today.year - age, 1, 15)
    return Child.objects.create(guardian=guardian, first_name=first_name, birth_date=born, **fields)


def school_make(*, name: str = "École du Brill", commune=None) -> School:
    return School.objects.create(name=name, commune=commune)


def registration_make(session: Session, *, child: Child | None = None, user=None, **fields):
    """A confirmed registration written directly, moving the seat counter as the services do."""
    status = fields.pop("status", "confirmed")
    if child is not None:
        fields.update(kind="child", child=child, registered_by=child.guardian)
        fields.setdefault("child_age", child.age_on(session.starts_at.date()))
    elif "school" in fields:
        fields.update(kind="school_class", seats=fields["pupils"], registered_by=user)
    else:
        user = user or UserFactory()
        fields.update(kind="adult", attendee=user, registered_by=user)
    now = timezone.now()
    if status in ("waitlisted", "offered"):
        fields.setdefault("queued_at", now)
    if status == "confirmed":
        fields.setdefault("confirmed_at", now)
    registration = Registration.objects.create(session=session, status=status, **fields)
    if status in ("confirmed", "offered"):
        Session.objects.filter(pk=session.pk).update(
            seats_taken=session.seats_taken + registration.seats
        )
        session.refresh_from_db()
    return registration
