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


def test_only_runs_the_named_seeders_on_top_of_what_is_there():
    from fabreck.cluster.models import Organisation, PortfolioItem
    from fabreck.fablab.models import Booking, Site

    call_command("seed", "--only", "accounts", "--fresh")
    assert User.objects.exists()
    assert not Organisation.objects.exists() and not Site.objects.exists()

    call_command("seed", "--only", "fablab")  # the users are there: no --fresh needed

    assert Site.objects.count() == 2 and Booking.objects.exists()
    assert not Organisation.objects.exists()

    call_command("seed", "--only", "cluster")  # and its portfolio seeder with it
    assert Organisation.objects.exists() and PortfolioItem.objects.exists()


def test_only_refuses_unknown_names_and_seeding_an_app_twice():
    with pytest.raises(CommandError, match=r"Unknown seeder.*nope.*available: accounts"):
        call_command("seed", "--only", "accounts,nope", "--fresh")
    assert not User.objects.exists()

    call_command("seed", "--only", "accounts,fablab", "--fresh")
    with pytest.raises(CommandError, match="already"):
        call_command("seed", "--only", "fablab")
    with pytest.raises(CommandError, match="--fresh"):
        call_command("seed", "--only", "accounts")
