from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_reference_data(sender, **kwargs) -> None:
    from fabreck.fablab.reference_data import reference_data_ensure

    reference_data_ensure()


class FablabConfig(AppConfig):
    name = "fabreck.fablab"
    label = "fablab"
    verbose_name = _("FabLab")

    def ready(self) -> None:
        post_migrate.connect(_ensure_reference_data, sender=self, dispatch_uid="fablab.reference")
        from fabreck.fablab import seeding  # noqa: F401  (registers the seeder)
