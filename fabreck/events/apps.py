from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "fabreck.events"
    label = "events"
    verbose_name = _("Workshops and events")

    def ready(self) -> None:
        pass
