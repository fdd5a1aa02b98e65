"""Roles are groups with permissions; the navigation shows what a role may do."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from fabreck.accounts.roles import ROLES
from fabreck.accounts.services import user_role_add, user_role_remove
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_every_role_is_a_group_holding_its_permissions():
    for role in ROLES:
        group = Group.objects.get(name=role.slug)
        granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        if role.permissions == ("*",):
            assert len(granted) == Permission.objects.count()
        else:
            assert granted == set(role.permissions)


@pytest.mark.parametrize(
    ("role", "may", "may_not"),
    [
        ("maker", "accounts.book_machines", "accounts.run_site"),
        ("guardian", "accounts.register_children", "accounts.book_machines"),
        ("organisation_admin", "accounts.manage_organisation", "accounts.manage_cluster"),
        ("site_staff", "accounts.run_site", "accounts.manage_incubator"),
        ("incubator_manager", "accounts.manage_incubator", "accounts.run_site"),
        ("cluster_manager", "accounts.manage_cluster", "accounts.manage_incubator"),
    ],
)
def test_a_role_grants_its_capabilities_and_no_other(role, may, may_not):
    user = UserFactory(roles=[role])

    assert user.has_perm(may)
    assert not user.has_perm(may_not)


def test_administrator_may_do_everything():
    user = UserFactory(roles=["administrator"])

    assert all(user.has_perm(f"accounts.{code}") for code in ("run_site", "manage_cluster"))
    assert user.is_staff


def test_staff_roles_open_the_administration_and_removing_them_closes_it():
    user = UserFactory(roles=["maker"])
    assert not user.is_staff

    user_role_add(user=user, role="site_staff")
    assert user.is_staff

    user_role_remove(user=user, role="site_staff")
    user.refresh_from_db()
    assert not user.is_staff


def _nav_links(client, user):
    client.force_login(user)
    return client.get(reverse("core:home")).content.decode()


def test_navigation_shows_administration_only_to_staff_roles(client):
    admin_url = reverse("admin:index")

    assert admin_url not in _nav_links(client, UserFactory(roles=["maker"]))
    assert admin_url in _nav_links(client, UserFactory(roles=["cluster_manager"]))


def test_a_cluster_manager_sees_users_in_the_administration_but_a_maker_is_turned_away(client):
    client.force_login(UserFactory(roles=["cluster_manager"]))
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 200

    client.force_login(UserFactory(roles=["maker"]))
    response = client.get(reverse("admin:accounts_user_changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_site_staff_may_view_users_but_not_change_them(client):
    target = UserFactory()
    client.force_login(UserFactory(roles=["site_staff"]))

    url = reverse("admin:accounts_user_change", args=[target.pk])
    response = client.post(url, {"email": "changed@example.lu"})

    assert response.status_code == 403
    target.refresh_from_db()
    assert target.email != "changed@example.lu"
