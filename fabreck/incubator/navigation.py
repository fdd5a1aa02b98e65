"""Menu entries of the incubator, registered once from IncubatorConfig.ready()."""

# --- startups ---
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_lazy as _kpis_lazy

from fabreck.core.navigation import (
    NavEntry,
    authenticated,
    everyone,
    has_perm,
    nav_register,
)


def _startups_is_founder(user: object) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    # One query per request at most: the answer is kept on the request's user.
    known = getattr(user, "_startups_has_startup", None)
    if known is None:
        from fabreck.incubator.selectors import user_has_startup

        known = user_has_startup(user=user)
        user._startups_has_startup = known  # type: ignore[attr-defined]
    return known


nav_register(
    NavEntry(
        "incubator-my-startup",
        _("My startup"),
        "incubator:my-startup",
        _startups_is_founder,
        27,
        "user",
    )
)
nav_register(
    NavEntry(
        "incubator-startups",
        _("Startups"),
        "incubator:startups",
        has_perm("accounts.manage_incubator"),
        64,
        "user",
    )
)
nav_register(
    NavEntry(
        "incubator-mentors",
        _("Mentors"),
        "incubator:mentors",
        has_perm("accounts.manage_incubator"),
        65,
        "user",
    )
)


def _startups_is_mentor(user: object) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    known = getattr(user, "_startups_is_mentor", None)
    if known is None:
        from fabreck.incubator.models import Mentor

        known = Mentor.objects.filter(user=user, active=True).exists()
        user._startups_is_mentor = known  # type: ignore[attr-defined]
    return known


nav_register(
    NavEntry(
        "incubator-mentoring",
        _("Mentoring"),
        "incubator:mentoring",
        _startups_is_mentor,
        28,
        "user",
    )
)


# --- calls ---


nav_register(NavEntry("incubator-calls", _("Incubator calls"), "incubator:calls", everyone, 40))
nav_register(
    NavEntry(
        "incubator-applications-mine",
        _("My applications"),
        "incubator:applications-mine",
        authenticated,
        27,
        "user",
    )
)
nav_register(
    NavEntry(
        "incubator-calls-manage",
        _("Calls and cohorts"),
        "incubator:calls-manage",
        has_perm("accounts.manage_incubator"),
        64,
        "user",
    )
)


# --- reviews ---


def _has_reviews(user: object) -> bool:
    from fabreck.incubator.selectors import user_has_reviews

    if not getattr(user, "is_authenticated", False):
        return False
    # One query per request at most, however often the menu is drawn.
    if not hasattr(user, "_incubator_has_reviews"):
        user._incubator_has_reviews = user_has_reviews(user=user)
    return user._incubator_has_reviews


nav_register(
    NavEntry(
        "incubator-reviews", _("My reviews"), "incubator:reviews-mine", _has_reviews, 27, "user"
    )
)
nav_register(
    NavEntry(
        "incubator-juries",
        _("Juries"),
        "incubator:review-calls",
        has_perm("accounts.manage_incubator"),
        64,
        "user",
    )
)


# --- kpis ---


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
