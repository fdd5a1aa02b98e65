"""Menu entries of prototyping projects, registered once from ProjectsConfig.ready()."""

from __future__ import annotations

# --- gallery: the public gallery and the documentation editor -----------------------------
from django.utils.translation import gettext_lazy as _

from fabreck.core.navigation import NavEntry, authenticated, everyone, nav_register

nav_register(NavEntry("gallery", _("Project gallery"), "projects:gallery", everyone, 36))
nav_register(
    NavEntry(
        "gallery-mine", _("My documentations"), "projects:gallery-mine", authenticated, 26, "user"
    )
)
