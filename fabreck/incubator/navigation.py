"""Menu entries of the incubator, registered once from IncubatorConfig.ready()."""

# --- kpis ---
from django.utils.translation import gettext_lazy as _kpis_lazy  # noqa: E402, RUF100

from fabreck.core.navigation import NavEntry, has_perm, nav_register  # noqa: E402, RUF100


def _kpis_speaks_for_a_startup(user: object) -> bool:
    """One query per request at most (remembered on the request's user)."""
    from fabreck.incubator.models import Incubation

    if not getattr(user, "is_authenticated", False):
        return False
    known = getattr(user, "_kpis_speaks_for_startup", None)
    if known is None:
        known = Incubation.objects.filter(organisation__memberships__user=user).exists()
        user._kpis_speaks_for_startup = known  # type: ignore[attr-defined]
    return known


nav_register(
    NavEntry(
        "incubator-kpis-update",
        _kpis_lazy("Quarterly update"),
        "incubator:kpis-update",
        _kpis_speaks_for_a_startup,
        27,
        "user",
    )
)
nav_register(
    NavEntry(
        "incubator-kpis-dashboards",
        _kpis_lazy("Cohort dashboards"),
        "incubator:kpis-overview",
        has_perm("accounts.manage_incubator"),
        64,
        "user",
    )
)
