"""Menu entries of workshops and events, registered once from EventsConfig.ready()."""

from django.utils.translation import gettext_lazy as _

from fabreck.core.navigation import NavEntry, authenticated, everyone, has_perm, nav_register

__all__ = ["NavEntry", "_", "authenticated", "everyone", "has_perm", "nav_register"]


# --- the catalogue and its staff (evcat) ---------------------------------------------------


def _runs_events(user: object) -> bool:
    from fabreck.events.selectors import user_may_run_events

    return user_may_run_events(user)


nav_register(NavEntry("events", _("Workshops & events"), "events:list", everyone, 34))
# In the account menu: the top bar of staff is full already.
nav_register(
    NavEntry("events-manage", _("Manage events"), "events:manage", _runs_events, 24, "user")
)
