"""Menu entries of prototyping projects, registered once from ProjectsConfig.ready().
Sections are appended per capability."""

from django.utils.translation import gettext_lazy as _

from fabreck.core.navigation import NavEntry, nav_register

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
