from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "fabreck.projects"
    label = "projects"
    verbose_name = _("Prototyping projects")

    def ready(self) -> None:
        from fabreck.projects import (
            navigation,  # noqa: F401  (registers the menu entries)
            seeding,  # noqa: F401  (registers the projects seeder)
            seeding_gallery,  # noqa: F401  (registers the gallery seeder)
            signals,  # noqa: F401  (connects the receivers)
        )
