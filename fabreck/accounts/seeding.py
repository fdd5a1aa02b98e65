"""Demo and benchmark data for accounts: one login per role, then many makers."""

from __future__ import annotations

import random

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction

from fabreck.accounts.models import ApiToken, User
from fabreck.accounts.roles import ROLES
from fabreck.accounts.services import api_token_digest, user_create
from fabreck.core.seeding import seeder_register

DEMO_PASSWORD = "fabreck-demo"  # noqa: S105  (printed by `make demo`; demo data only)
DEMO_DOMAIN = "demo.fabreck.lu"
MAKERS_DOMAIN = f"makers.{DEMO_DOMAIN}"

FIRST_NAMES = (
    "Anne", "Ben", "Carla", "David", "Elsa", "Fernand", "Gilles", "Hélène", "Inès", "Jang",
    "Kim", "Laura", "Marc", "Nadia", "Olivier", "Paula", "Quentin", "Rita", "Sven", "Tessy",
    "Ulrich", "Vera", "Wim", "Xavier", "Yasmine", "Zoé", "Luc", "Mia", "Noah", "Léa",
)  # fmt: skip
LAST_NAMES = (
    "Weber", "Schmit", "Muller", "Wagner", "Hoffmann", "Thill", "Klein", "Schroeder", "Reuter",
    "Da Silva", "Pereira", "Ferreira", "Rodrigues", "Martin", "Dupont", "Kieffer", "Lentz",
    "Bernard", "Meyer", "Schneider", "Becker", "Kremer", "Faber", "Steffen", "Majerus",
)  # fmt: skip
LANGUAGE_SHARE = (("fr", 0.45), ("de", 0.25), ("en", 0.30))

SCALE_MAKERS = {"demo": 40, "large": 200_000}
SCALE_TOKENS = {"demo": 5, "large": 40_000}


def demo_logins() -> list[tuple[str, str]]:
    """(role label, e-mail) of the demo login of each role."""
    return [(str(role.label), f"{role.slug.replace('_', '-')}@{DEMO_DOMAIN}") for role in ROLES]


def _language(rng: random.Random) -> str:
    roll, total = rng.random(), 0.0
    for code, share in LANGUAGE_SHARE:
        total += share
        if roll < total:
            return code
    return "en"


def _phone(rng: random.Random) -> str:
    return f"+352 6{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(100, 999)}"


@seeder_register(name="accounts", order=10)
def seed_accounts(*, scale: str, rng: random.Random, stdout) -> dict[str, int]:
    with transaction.atomic():
        role_users = []
        for role, (_label, email) in zip(ROLES, demo_logins(), strict=True):
            role_users.append(
                user_create(
                    email=email,
                    password=DEMO_PASSWORD,
                    first_name=rng.choice(FIRST_NAMES),
                    last_name=rng.choice(LAST_NAMES),
                    preferred_language="en",
                    roles=(role.slug,),
                )
            )
        admin = role_users[-1]
        admin.is_superuser = True
        admin.save(update_fields=["is_superuser"])

        # Bulk rows share one password hash: hashing 200,000 times would take an hour.
        password = make_password(DEMO_PASSWORD)
        makers = [
            User(
                email=f"maker{n:06d}@{MAKERS_DOMAIN}",
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice(LAST_NAMES),
                phone=_phone(rng),
                preferred_language=_language(rng),
                password=password,
            )
            for n in range(1, SCALE_MAKERS[scale] + 1)
        ]
        User.objects.bulk_create(makers, batch_size=5000)
        makers = list(User.objects.filter(email__endswith=f"@{MAKERS_DOMAIN}").only("pk", "email"))
        maker_group = Group.objects.get(name="maker")
        through = User.groups.through
        through.objects.bulk_create(
            [through(user_id=u.pk, group_id=maker_group.pk) for u in makers], batch_size=5000
        )
        everyone = role_users + makers
        EmailAddress.objects.bulk_create(
            [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in everyone],
            batch_size=5000,
        )
        token_owners = rng.sample(makers, min(SCALE_TOKENS[scale], len(makers)))
        ApiToken.objects.bulk_create(
            [
                ApiToken(
                    user=u,
                    name="seeded token",
                    prefix=f"fbk_seed{i:04d}"[:12],
                    digest=api_token_digest(f"seed-token-{i}"),
                )
                for i, u in enumerate(token_owners)
            ],
            batch_size=5000,
        )
    return {
        "users": len(everyone),
        "user roles": len(makers) + len(role_users),
        "e-mail addresses": len(everyone),
        "API tokens": len(token_owners),
    }
