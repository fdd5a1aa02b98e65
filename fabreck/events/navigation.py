"""Menu entries of workshops and events, registered once from EventsConfig.ready()."""

from django.utils.translation import gettext_lazy as _

from fabreck.core.navigation import NavEntry, authenticated, everyone, has_perm, nav_register

# --- children's profiles, check-in, statistics (evkids) -----------------------------------


def _runs_workshops(user: object) -> bool:
    return authenticated(user) and (
        user.has_perm("accounts.run_site") or user.has_perm("accounts.manage_cluster")  # type: ignore[attr-defined]
    )


nav_register(
    NavEntry(
        "events-children",
        _("My children"),
        "events:children",
        has_perm("accounts.register_children"),
        24,
        "user",
    )
)
nav_register(
    NavEntry(
        "events-check-in", _("Workshop check-in"), "events:check-in", _runs_workshops, 60, "user"
    )
)
nav_register(
    NavEntry(
        "events-statistics",
        _("Workshop statistics"),
        "events:statistics",
        _runs_workshops,
        61,
        "user",
    )
)


# --- the catalogue and its staff (evcat) ---------------------------------------------------


def _runs_events(user: object) -> bool:
    from fabreck.events.selectors import user_may_run_events

    return user_may_run_events(user)


nav_register(NavEntry("events", _("Workshops & events"), "events:list", everyone, 34))
# In the account menu: the top bar of staff is full already.
nav_register(
    NavEntry("events-manage", _("Manage events"), "events:manage", _runs_events, 24, "user")
)


# --- registration pages (evweb) ------------------------------------------------------------

nav_register(NavEntry("events-my", _("My registrations"), "events:my", authenticated, 23, "user"))
