"""Menu entries of workshops and events, registered once from EventsConfig.ready()."""

from django.utils.translation import gettext_lazy as _

from fabreck.core.navigation import NavEntry, authenticated, everyone, has_perm, nav_register

__all__ = ["NavEntry", "_", "authenticated", "everyone", "has_perm", "nav_register"]
