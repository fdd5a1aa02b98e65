from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "fabreck.events"
    label = "events"
    verbose_name = _("Workshops and events")

    def ready(self) -> None:
        from fabreck.events import (
            navigation,  # noqa: F401  (registers the menu entries)
            seeding,  # noqa: F401  (registers the seeder)
        )
