"""Menu entries of the incubator, registered once from IncubatorConfig.ready()."""

# --- calls ---
from django.utils.translation import gettext_lazy as _  # noqa: E402, RUF100

from fabreck.core.navigation import (  # noqa: E402, RUF100
    NavEntry,
    authenticated,
    everyone,
    has_perm,
    nav_register,
)

nav_register(NavEntry("incubator-calls", _("Incubator calls"), "incubator:calls", everyone, 40))
nav_register(
    NavEntry(
        "incubator-applications-mine",
        _("My applications"),
        "incubator:applications-mine",
        authenticated,
        27,
        "user",
    )
)
nav_register(
    NavEntry(
        "incubator-calls-manage",
        _("Calls and cohorts"),
        "incubator:calls-manage",
        has_perm("accounts.manage_incubator"),
        64,
        "user",
    )
)
