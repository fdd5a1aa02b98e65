from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncubatorConfig(AppConfig):
    name = "fabreck.incubator"
    label = "incubator"
    verbose_name = _("Incubator")

    def ready(self) -> None:
        from fabreck.incubator import (
            navigation,  # noqa: F401  (registers the menu entries)
            seeding,  # noqa: F401  (registers the incubator seeder)
        )
