"""The roles of Fabreck, as Django groups with permissions.

A role is a group whose permissions say what its members may do; `roles_sync` (run after
every migrate) makes the groups match this table, so adding a permission here is enough.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Role:
    slug: str
    label: str
    description: str
    permissions: tuple[str, ...]  # "app_label.codename"; "*" means every permission
    is_staff: bool = False  # may log into the Django admin


ROLES: tuple[Role, ...] = (
    Role(
        "maker",
        _("Maker"),
        _("Gets trained, books machines, registers for workshops, documents projects."),
        ("accounts.book_machines",),
    ),
    Role(
        "guardian",
        _("Guardian or teacher"),
        _("Registers children aged 6 to 12 or a whole school class for workshops."),
        ("accounts.register_children",),
    ),
    Role(
        "organisation_admin",
        _("Organisation admin"),
        _("Manages the organisation's profile, people, requests, bookings and invoices."),
        ("accounts.manage_organisation", "accounts.book_machines"),
    ),
    Role(
        "site_staff",
        _("Site staff"),
        _("Runs a FabLab site: machines, trainings, bookings, usage, workshops, projects."),
        (
            "accounts.run_site",
            "accounts.book_machines",
            "accounts.view_user",
            # the FabLab's catalogue through the admin. Not fablab.change_site: holding it
            # means running every site (fablab.selectors.user_runs_site).
            "fablab.view_site",
            "fablab.view_openinghours",
            "fablab.add_openinghours",
            "fablab.change_openinghours",
            "fablab.delete_openinghours",
            "fablab.view_closure",
            "fablab.add_closure",
            "fablab.change_closure",
            "fablab.delete_closure",
            "fablab.view_machinecategory",
            "fablab.view_resource",
            "fablab.add_resource",
            "fablab.change_resource",
            "fablab.view_course",
            "fablab.add_course",
            "fablab.change_course",
            "fablab.view_trainingsession",
            "fablab.add_trainingsession",
            "fablab.change_trainingsession",
            "fablab.view_trainingparticipant",
            "fablab.view_authorisation",
            "fablab.change_authorisation",
            "fablab.view_pricegroup",
            "fablab.view_rate",
            "fablab.add_rate",
            "fablab.change_rate",
            "fablab.view_makerprofile",
            "fablab.change_makerprofile",
            "fablab.view_material",
            "fablab.add_material",
            "fablab.change_material",
            "fablab.view_materialuse",
            "fablab.view_booking",
        ),
        is_staff=True,
    ),
    Role(
        "incubator_manager",
        _("Incubator manager"),
        _("Runs calls for startups, juries, cohorts, incubation phases, mentors and KPIs."),
        ("accounts.manage_incubator", "accounts.view_user"),
        is_staff=True,
    ),
    Role(
        "cluster_manager",
        _("Cluster manager"),
        _("Approves members, publishes calls and events, reads the impact dashboard."),
        (
            "accounts.manage_cluster",
            "accounts.view_user",
            "accounts.change_user",
            # the competence taxonomy and the organisations, through the admin
            "cluster.view_organisation",
            "cluster.change_organisation",
            "cluster.view_organisationperson",
            "cluster.view_competence",
            "cluster.add_competence",
            "cluster.change_competence",
            "cluster.view_sector",
            "cluster.view_naceclass",
            "cluster.view_commune",
        ),
        is_staff=True,
    ),
    Role(
        "administrator",
        _("Administrator"),
        _("Administers the whole platform."),
        ("*",),
        is_staff=True,
    ),
)

ROLES_BY_SLUG: dict[str, Role] = {role.slug: role for role in ROLES}
