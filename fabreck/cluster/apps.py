from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_reference_data(sender, **kwargs) -> None:
    from fabreck.cluster.reference_data import reference_data_ensure

    reference_data_ensure()


def _competence_changed(sender, instance, **kwargs) -> None:
    from fabreck.cluster.services import competence_changed

    competence_changed(competence_id=instance.pk)


class ClusterConfig(AppConfig):
    name = "fabreck.cluster"
    label = "cluster"
    verbose_name = _("Cluster")

    def ready(self) -> None:
        # After a flush (tests, `seed --fresh`) the data migration does not run again.
        post_migrate.connect(_ensure_reference_data, sender=self, dispatch_uid="cluster.reference")
        from fabreck.cluster import seeding  # noqa: F401  (registers the seeder)
        from fabreck.core.navigation import (
            NavEntry,
            authenticated,
            everyone,
            has_perm,
            nav_register,
        )

        nav_register(NavEntry("directory", _("Directory"), "cluster:directory", everyone, 10))
        nav_register(
            NavEntry(
                "my-organisations",
                _("My organisations"),
                "cluster:my-organisations",
                authenticated,
                15,
                "user",
            )
        )
        nav_register(
            NavEntry("matchmaking", _("Find partners"), "cluster:matchmaking", authenticated, 12)
        )
        nav_register(
            NavEntry(
                "cluster-summary",
                _("Cluster profile"),
                "cluster:summary",
                has_perm("accounts.manage_cluster"),
                25,
            )
        )
        nav_register(
            NavEntry(
                "applications",
                _("Applications"),
                "cluster:applications",
                has_perm("accounts.manage_cluster"),
                20,
            )
        )
        # Calls for projects and consortia
        nav_register(NavEntry("calls", _("Calls"), "cluster:calls", everyone, 11))
        nav_register(
            NavEntry(
                "calls-manage",
                _("Manage calls"),
                "cluster:calls-manage",
                has_perm("accounts.manage_cluster"),
                22,
            )
        )

        # Search: a saved or deleted competence is searched with its new words at once.
        from django.db.models.signals import post_delete, post_save

        competence = self.get_model("Competence")
        post_save.connect(_competence_changed, sender=competence, dispatch_uid="cluster.competence")
        post_delete.connect(
            _competence_changed, sender=competence, dispatch_uid="cluster.competence-deleted"
        )
        _collaboration_nav()
        _directory_labels_signals(self)


# --- Collaboration requests (issue 3, item 6) -------------------------------------------
def _collaboration_nav() -> None:
    from fabreck.core.navigation import NavEntry, authenticated, nav_register

    nav_register(
        NavEntry("collaboration", _("Collaboration"), "cluster:collaboration", authenticated, 13)
    )


# --- Directory search: the names of sectors and communes --------------------------------
def _reference_changed(sender, **kwargs) -> None:
    from fabreck.cluster.selectors import taxonomy_cache_clear

    taxonomy_cache_clear()  # the directory reads their names once per taxonomy version


def _directory_labels_signals(config: AppConfig) -> None:
    from django.db.models.signals import post_delete, post_save

    for name in ("Sector", "Commune"):
        model = config.get_model(name)
        post_save.connect(_reference_changed, sender=model, dispatch_uid=f"cluster.{name}")
        post_delete.connect(
            _reference_changed, sender=model, dispatch_uid=f"cluster.{name}-deleted"
        )
