"""Menu entries of the incubator, registered once from IncubatorConfig.ready()."""

from django.utils.translation import gettext_lazy as _

from fabreck.core.navigation import NavEntry, authenticated, everyone, has_perm, nav_register


def _roles(user: object):
    from fabreck.incubator.selectors import incubator_menu_roles

    return incubator_menu_roles(user=user)


def _speaks_for_a_startup(user: object) -> bool:
    return authenticated(user) and _roles(user).speaks_for_a_startup


def _mentors(user: object) -> bool:
    return authenticated(user) and _roles(user).mentors


def _reviews(user: object) -> bool:
    return authenticated(user) and _roles(user).reviews


_manages = has_perm("accounts.manage_incubator")

# Everyone
nav_register(NavEntry("incubator-calls", _("Incubator calls"), "incubator:calls", everyone, 40))

# Founders, reviewers and mentors (one query per request for all of them)
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
        "incubator-my-startup",
        _("My startup"),
        "incubator:my-startup",
        _speaks_for_a_startup,
        27,
        "user",
    )
)
nav_register(
    NavEntry(
        "incubator-kpis-update",
        _("Quarterly update"),
        "incubator:kpis-update",
        _speaks_for_a_startup,
        27,
        "user",
    )
)
nav_register(
    NavEntry("incubator-reviews", _("My reviews"), "incubator:reviews-mine", _reviews, 27, "user")
)
nav_register(
    NavEntry("incubator-mentoring", _("Mentoring"), "incubator:mentoring", _mentors, 28, "user")
)

# Incubator managers
for key, label, url_name, order in (
    ("incubator-calls-manage", _("Calls and cohorts"), "incubator:calls-manage", 64),
    ("incubator-juries", _("Juries"), "incubator:review-calls", 64),
    ("incubator-startups", _("Startups"), "incubator:startups", 64),
    ("incubator-kpis-dashboards", _("Cohort dashboards"), "incubator:kpis-overview", 64),
    ("incubator-mentors", _("Mentors"), "incubator:mentors", 65),
):
    nav_register(NavEntry(key, label, url_name, _manages, order, "user"))
