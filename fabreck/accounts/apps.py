from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles(sender, **kwargs) -> None:
    from fabreck.accounts.services import roles_sync

    roles_sync()


class AccountsConfig(AppConfig):
    name = "fabreck.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from fabreck.accounts import seeding  # noqa: F401  (registers the seeder)
        from fabreck.core.navigation import NavEntry, authenticated, everyone, nav_register

        # After every app migrates (idempotent), so permissions added later are granted too.
        post_migrate.connect(_sync_roles, dispatch_uid="accounts.roles_sync")

        def is_staff(user) -> bool:
            return bool(getattr(user, "is_staff", False))

        nav_register(NavEntry("home", _("Home"), "core:home", everyone, order=0))
        nav_register(NavEntry("api-docs", _("API"), "api-docs", authenticated, order=900))
        nav_register(
            NavEntry("profile", _("My profile"), "accounts:profile", authenticated, 10, "user")
        )
        nav_register(
            NavEntry("tokens", _("API tokens"), "accounts:tokens", authenticated, 20, "user")
        )
        nav_register(NavEntry("admin", _("Administration"), "admin:index", is_staff, 950, "main"))
