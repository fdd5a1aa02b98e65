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

        # --- Staff side: the site desk and trainings -----------------------------------------
        from fabreck.core.navigation import (
            NavEntry,
            authenticated,
            everyone,
            has_perm,
            nav_register,
        )

        nav_register(NavEntry("fablab-trainings", _("Trainings"), "fablab:trainings", everyone, 32))
        nav_register(
            NavEntry(
                "fablab-desk",
                _("Site desk"),
                "fablab:desk-home",
                has_perm("accounts.run_site"),
                30,
            )
        )
        nav_register(
            NavEntry(
                "fablab-my-trainings",
                _("My trainings"),
                "fablab:my-trainings",
                authenticated,
                22,
                "user",
            )
        )
        self._register_pages_navigation()
        from fabreck.fablab import seeding  # noqa: F401  (registers the seeder)

    # --- Public and maker pages (fablab-pages branch) ---------------------------------

    @staticmethod
    def _register_pages_navigation() -> None:
        from fabreck.core.navigation import NavEntry, authenticated, everyone, nav_register

        nav_register(NavEntry("fablab", _("FabLab"), "fablab:sites", everyone, 30))
        nav_register(
            NavEntry(
                "my-bookings", _("My bookings"), "fablab:my-bookings", authenticated, 20, "user"
            )
        )
