"""Menu entries of the incubator, registered once from IncubatorConfig.ready()."""

# --- reviews ---
# ruff: noqa: RUF100  (the section's imports are hoisted when the lanes merge)
from django.utils.translation import gettext_lazy as _  # noqa: E402

from fabreck.core.navigation import NavEntry, has_perm, nav_register  # noqa: E402


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
