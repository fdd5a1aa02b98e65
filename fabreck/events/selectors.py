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


# --- registrations and the waitlist -------------------------------------------------------

from django.db import connection  # noqa: E402
from django.db.models import QuerySet  # noqa: E402

from fabreck.events.models import RegistrationStatus  # noqa: E402


def session_waitlist(*, session: Session) -> QuerySet[Registration]:
    """The queue of a session in order of arrival: people waiting, and those offered a freed
    seat who have not claimed it yet. For its staff only (children are named)."""
    return (
        Registration.objects.filter(
            session=session,
            status__in=[RegistrationStatus.WAITLISTED, RegistrationStatus.OFFERED],
        )
        .select_related("child", "attendee", "registered_by", "school")
        .order_by("queued_at", "pk")
    )


def waitlist_position(*, registration: Registration) -> int | None:
    """1 for the next in line; None when the registration is not waiting. (One plain
    statement: every waitlist notice of a rush asks it.)"""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    queued_at = connection.ops.adapt_datetimefield_value(registration.queued_at)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {Registration._meta.db_table}"  # noqa: S608  (a table name)
            " WHERE session_id = %s AND status = 'waitlisted'"
            " AND (queued_at < %s OR (queued_at = %s AND id < %s))",
            [registration.session_id, queued_at, queued_at, registration.pk],
        )
        return cursor.fetchone()[0] + 1


def user_is_cluster_member(*, user: User) -> bool:
    """The user belongs to an organisation that is a member of the cluster."""
    from fabreck.cluster.models import MembershipStatus
    from fabreck.cluster.selectors import organisations_of

    if not user.is_authenticated:
        return False
    return organisations_of(user=user).filter(organisation__status=MembershipStatus.MEMBER).exists()
