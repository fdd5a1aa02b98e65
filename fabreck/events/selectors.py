"""Reads of workshops and events. Sections are appended per capability."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from fabreck.events.models import Event, Registration, Session

User = get_user_model()


# --- who manages what ---------------------------------------------------------------------


def user_manages_event(*, user: User, event: Event) -> bool:
    """The people who run an event and may see its attendees (children included): the staff
    of its FabLab site, cluster managers for cluster events, and administrators."""
    from fabreck.fablab.selectors import user_runs_site

    if not user.is_authenticated:
        return False
    if user.has_perm("events.change_event"):
        return True  # administrators
    if event.is_cluster_event and user.has_perm("accounts.manage_cluster"):
        return True
    return event.site_id is not None and user_runs_site(user=user, site=event.site)


def user_sees_registration(*, user: User, registration: Registration) -> bool:
    """A registration (a child's above all) is seen by whoever registered it and by the
    people who run its event; nobody else."""
    if not user.is_authenticated:
        return False
    if registration.registered_by_id == user.pk or registration.attendee_id == user.pk:
        return True
    return user_manages_event(user=user, event=registration.session.event)


def session_for_update(*, session_id: int) -> Session:
    """The session row, locked: its seat counter moves only under this lock."""
    return Session.objects.select_for_update().select_related("event").get(pk=session_id)


# --- the catalogue: public listing, detail, calendar, feed; staff lists (evcat) -----------

from dataclasses import dataclass  # noqa: E402
from datetime import date, datetime, time, timedelta  # noqa: E402

from django.core.exceptions import PermissionDenied, ValidationError  # noqa: E402
from django.core.paginator import Page, Paginator  # noqa: E402
from django.db.models import Case, Count, F, Min, Prefetch, Q, QuerySet, When  # noqa: E402
from django.http import Http404  # noqa: E402
from django.shortcuts import get_object_or_404  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.translation import gettext as _  # noqa: E402

from fabreck.events.models import (  # noqa: E402
    CLUSTER_KINDS,
    LIVE_STATUSES,
    EventStatus,
    SessionStatus,
)

CATALOGUE_PAGE_SIZE = 12
CALENDAR_MAX_DAYS = 100
FEED_PAST_DAYS = 90
FEED_FUTURE_DAYS = 400
FEED_MAX_SESSIONS = 5000


@dataclass(frozen=True)
class CatalogueFilters:
    """What a visitor narrows the catalogue to. Dates are local days, both included."""

    kinds: tuple[str, ...] = ()
    site: str = ""
    age: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1

    @property
    def is_narrowed(self) -> bool:
        return bool(
            self.kinds or self.site or self.age is not None or self.date_from or self.date_to
        )


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _sessions_window(filters: CatalogueFilters, *, now: datetime) -> Q:
    """Sessions still to come within the filters' days (as a condition on Session)."""
    lower = now
    if filters.date_from is not None:
        lower = max(lower, _day_start(filters.date_from))
    window = Q(status=SessionStatus.SCHEDULED, ends_at__gt=lower)
    if filters.date_from is not None:
        window &= Q(starts_at__gte=_day_start(filters.date_from))
    if filters.date_to is not None:
        window &= Q(starts_at__lt=_day_start(filters.date_to + timedelta(days=1)))
    return window


def _event_conditions(filters: CatalogueFilters) -> Q:
    condition = Q()
    if filters.kinds:
        condition &= Q(kind__in=filters.kinds)
    if filters.site:
        condition &= Q(site__slug=filters.site)
    if filters.age is not None:
        condition &= Q(age_min__isnull=True) | Q(age_min__lte=filters.age)
        condition &= Q(age_max__isnull=True) | Q(age_max__gte=filters.age)
    return condition


def _prefixed(condition: Q, prefix: str) -> Q:
    """The same condition seen from a related model (`sessions__…`)."""
    clone = Q(*(), _connector=condition.connector, _negated=condition.negated)
    for child in condition.children:
        if isinstance(child, Q):
            clone.children.append(_prefixed(child, prefix))
        else:
            name, value = child
            clone.children.append((f"{prefix}{name}", value))
    return clone


def catalogue_events(*, filters: CatalogueFilters, now: datetime | None = None) -> QuerySet:
    """Published events with at least one session to come within the filters, soonest
    first; each carries `upcoming` (its matching sessions, in order) and `next_start`."""
    now = now or timezone.now()
    window = _sessions_window(filters, now=now)
    return (
        Event.objects.filter(_event_conditions(filters), status=EventStatus.PUBLISHED)
        .annotate(next_start=Min("sessions__starts_at", filter=_prefixed(window, "sessions__")))
        .filter(next_start__isnull=False)
        .select_related("site")
        .prefetch_related(
            Prefetch(
                "sessions",
                queryset=Session.objects.filter(window).order_by("starts_at", "pk"),
                to_attr="upcoming",
            ),
            "ticket_categories",
        )
        .order_by("next_start", "slug")
    )


def catalogue_page(*, filters: CatalogueFilters, now: datetime | None = None) -> Page:
    """One page of the catalogue; each event carries `price_from` (its cheapest ticket,
    None without tickets) and `all_free`, each of its sessions a `state`."""
    now = now or timezone.now()
    paginator = Paginator(catalogue_events(filters=filters, now=now), CATALOGUE_PAGE_SIZE)
    page = paginator.get_page(filters.page)
    page.object_list = list(page.object_list)
    for event in page.object_list:
        prices = [ticket.price for ticket in event.ticket_categories.all()]
        event.price_from = min(prices) if prices else None
        event.all_free = bool(prices) and not any(prices)
        for session in event.upcoming:
            session.state = session_state(session, now=now)
    return page


def catalogue_sites() -> list:
    from fabreck.fablab.models import Site

    return list(Site.objects.order_by("name").only("slug", "name"))


def session_state(session: Session, *, now: datetime) -> str:
    """What a visitor can do about a session now: over, cancelled, not_open (registration
    opens later), closed, full (the waitlist may still take them) or open."""
    if session.status == SessionStatus.CANCELLED:
        return "cancelled"
    if session.starts_at <= now:
        return "over"
    if session.registration_opens_at and session.registration_opens_at > now:
        return "not_open"
    if session.registration_closes_at and session.registration_closes_at <= now:
        return "closed"
    if session.is_full:
        return "full"
    return "open"


def event_public(*, slug: str, viewer: User) -> Event:
    """A published or cancelled event; a draft only for the people who run it (a preview),
    else 404, as if it did not exist."""
    event = get_object_or_404(
        Event.objects.select_related("site", "course", "organiser").prefetch_related(
            "ticket_categories"
        ),
        slug=slug,
    )
    if event.status == EventStatus.DRAFT and not user_manages_event(user=viewer, event=event):
        raise Http404
    return event


def event_sessions_public(*, event: Event, now: datetime | None = None) -> list[Session]:
    """The event's sessions still to come (cancelled ones too, marked), each with `state`."""
    now = now or timezone.now()
    sessions = list(event.sessions.filter(ends_at__gt=now).order_by("starts_at", "pk")[:200])
    for session in sessions:
        session.event = event
        session.state = session_state(session, now=now)
    return sessions


def session_public(*, pk: int, viewer: User) -> Session:
    session = get_object_or_404(Session.objects.select_related("event__site"), pk=pk)
    if session.event.status == EventStatus.DRAFT and not user_manages_event(
        user=viewer, event=session.event
    ):
        raise Http404
    return session


def calendar_sessions(
    *, starts_at: datetime, ends_at: datetime, filters: CatalogueFilters
) -> list[Session]:
    """The public sessions (published events, scheduled) between two moments."""
    if ends_at <= starts_at:
        raise ValidationError(_("The end must come after the start."))
    if ends_at - starts_at > timedelta(days=CALENDAR_MAX_DAYS):
        raise ValidationError(
            _("Ask for at most %(days)d days at once.") % {"days": CALENDAR_MAX_DAYS}
        )
    return list(
        Session.objects.filter(
            _prefixed(_event_conditions(filters), "event__"),
            event__status=EventStatus.PUBLISHED,
            status=SessionStatus.SCHEDULED,
            starts_at__lt=ends_at,
            ends_at__gt=starts_at,
        )
        .select_related("event__site")
        .order_by("starts_at", "pk")[:2000]
    )


def feed_sessions(*, now: datetime | None = None) -> list[Session]:
    """The public sessions of the ICS feed: a season back, a year ahead."""
    now = now or timezone.now()
    return list(
        Session.objects.filter(
            event__status=EventStatus.PUBLISHED,
            status=SessionStatus.SCHEDULED,
            ends_at__gt=now - timedelta(days=FEED_PAST_DAYS),
            starts_at__lt=now + timedelta(days=FEED_FUTURE_DAYS),
        )
        .select_related("event__site")
        .order_by("starts_at", "pk")[:FEED_MAX_SESSIONS]
    )


# Staff ------------------------------------------------------------------------------------


def user_may_run_events(user: User) -> bool:
    """Whether the staff pages of events are for this user at all (the menu entry)."""
    return bool(
        getattr(user, "is_authenticated", False)
        and (
            user.has_perm("accounts.run_site")
            or user.has_perm("accounts.manage_cluster")
            or user.has_perm("events.change_event")
        )
    )


def events_managed_by(*, user: User, now: datetime | None = None) -> QuerySet:
    """The events `user` runs (the mirror of user_manages_event as a query), each with its
    counts of sessions to come and of seats taken in them."""
    from fabreck.fablab.selectors import sites_run_by

    if not user_may_run_events(user):
        return Event.objects.none()
    now = now or timezone.now()
    rows = Event.objects.all()
    if not user.has_perm("events.change_event"):
        condition = Q(pk__in=[])
        if user.has_perm("accounts.manage_cluster"):
            condition |= Q(kind__in=CLUSTER_KINDS)
        sites = sites_run_by(user=user)
        if sites:
            condition |= Q(site__in=sites)
        rows = rows.filter(condition)
    upcoming = Q(sessions__ends_at__gt=now, sessions__status=SessionStatus.SCHEDULED)
    return (
        rows.select_related("site")
        .annotate(
            upcoming_count=Count("sessions", filter=upcoming),
            next_start=Min("sessions__starts_at", filter=upcoming),
        )
        .order_by(
            Case(
                When(status=EventStatus.DRAFT, then=0),
                When(status=EventStatus.PUBLISHED, then=1),
                default=2,
            ),
            F("next_start").asc(nulls_last=True),
            "slug",
        )
    )


def event_managed(*, user: User, slug: str) -> Event:
    """The event `slug` if `user` runs it: 404 when there is none, 403 when not theirs."""
    event = get_object_or_404(
        Event.objects.select_related("site", "course", "organiser"), slug=slug
    )
    if not user_manages_event(user=user, event=event):
        raise PermissionDenied(_("Only the people who run this event may manage it."))
    return event


def session_managed(*, user: User, pk: int) -> Session:
    session = get_object_or_404(
        Session.objects.select_related("event__site", "event__course"), pk=pk
    )
    if not user_manages_event(user=user, event=session.event):
        raise PermissionDenied(_("Only the people who run this event may manage it."))
    return session


def event_sessions_for_staff(*, event: Event) -> list[Session]:
    """Every session of an event, the counts of its queue with it."""
    return list(
        event.sessions.annotate(
            waitlisted=Count("registrations", filter=Q(registrations__status="waitlisted")),
            live=Count("registrations", filter=Q(registrations__status__in=LIVE_STATUSES)),
        ).order_by("starts_at", "pk")
    )


def session_live_count(*, session: Session) -> int:
    """How many registrations (confirmed, offered, waiting) a cancellation or a move
    reaches."""
    return Registration.objects.filter(session=session, status__in=LIVE_STATUSES).count()


def sites_for_event_form(*, user: User) -> list:
    """The sites `user` may choose for an event: the sites they run; every site for
    cluster managers (a talk may take place at a FabLab) and administrators."""
    from fabreck.fablab.models import Site
    from fabreck.fablab.selectors import sites_run_by

    if user.has_perm("events.change_event") or user.has_perm("accounts.manage_cluster"):
        return list(Site.objects.order_by("name"))
    return sites_run_by(user=user)
