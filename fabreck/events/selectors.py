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
