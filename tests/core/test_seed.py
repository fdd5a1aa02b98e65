"""`fabreck seed`: deterministic, coherent, with a login per role."""

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from fabreck.accounts.models import ApiToken, User
from fabreck.accounts.roles import ROLES
from fabreck.accounts.seeding import DEMO_PASSWORD, demo_logins

pytestmark = pytest.mark.django_db(transaction=True)


def snapshot() -> list[tuple]:
    return list(
        User.objects.order_by("email").values_list(
            "email", "first_name", "last_name", "phone", "preferred_language"
        )
    )


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data():
    call_command("seed", "--scale", "demo", "--seed", "7", "--fresh")
    first = snapshot()
    call_command("seed", "--scale", "demo", "--seed", "7", "--fresh")
    assert snapshot() == first

    call_command("seed", "--scale", "demo", "--seed", "8", "--fresh")
    assert snapshot() != first


def test_every_role_has_a_demo_login_that_works():
    call_command("seed", "--scale", "demo", "--fresh")

    for role, (_label, email) in zip(ROLES, demo_logins(), strict=True):
        user = authenticate(email=email, password=DEMO_PASSWORD)
        assert user is not None, email
        assert user.groups.filter(name=role.slug).exists()
        assert user.emailaddress_set.filter(verified=True).exists()
    assert User.objects.filter(groups__name="maker").count() >= 40
    assert ApiToken.objects.exists()


def test_seeding_twice_without_fresh_is_refused():
    call_command("seed", "--scale", "demo", "--fresh")

    with pytest.raises(CommandError, match="--fresh"):
        call_command("seed", "--scale", "demo")
