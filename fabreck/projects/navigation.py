"""Menu entries of prototyping projects, registered once from ProjectsConfig.ready()."""

from django.utils.translation import gettext_lazy as _

from fabreck.core.navigation import NavEntry, authenticated, everyone, has_perm, nav_register

# --- requests, triage and timeline --------------------------------------------------------

nav_register(
    NavEntry(
        "projects-request", _("Request a prototype"), "projects:request", authenticated, 26, "user"
    )
)
nav_register(
    NavEntry("projects-mine", _("My projects"), "projects:mine", authenticated, 25, "user")
)
nav_register(
    NavEntry(
        "projects-staff",
        _("Prototyping projects"),
        "projects:staff",
        has_perm("accounts.run_site"),
        62,
        "user",
    )
)


# --- statistics (projstats) ---------------------------------------------------------------


def _reads_project_statistics(user: object) -> bool:
    from fabreck.projects.views import statistics_allowed

    return statistics_allowed(user)


nav_register(
    NavEntry(
        "projects-statistics",
        _("Project statistics"),
        "projects:statistics",
        _reads_project_statistics,
        62,
        "user",
    )
)


# --- gallery: the public gallery and the documentation editor -----------------------------


nav_register(NavEntry("gallery", _("Project gallery"), "projects:gallery", everyone, 36))
nav_register(
    NavEntry(
        "gallery-mine", _("My documentations"), "projects:gallery-mine", authenticated, 26, "user"
    )
)
