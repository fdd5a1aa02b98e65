"""Demo and benchmark data for the cluster: organisations with the sector's proportions."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.text import slugify

from fabreck.accounts.models import User
from fabreck.cluster.models import (
    Commune,
    Competence,
    NaceClass,
    NaceSector,
    Organisation,
    OrganisationNace,
    OrganisationPerson,
    Sector,
    competence_search_token,
)
from fabreck.cluster.services import directory_search_table_deferred
from fabreck.core.seeding import seeder_register
from fabreck.core.text import search_normalize

SCALE_ORGANISATIONS = {"demo": 60, "large": 20_000}
SCALE_PEOPLE = {"demo": 120, "large": 100_000}

# Share of companies per sector in the sector's mapping (architecture 27 %, marketing 18 %,
# audiovisual 15 %; the rest shared out).
SECTOR_SHARES = {
    "architecture": 27,
    "marketing-communication": 18,
    "film-audiovisual": 15,
    "design": 14,
    "new-media": 10,
    "art-crafts": 7,
    "games": 5,
    "fashion": 4,
}
KIND_SHARES = {
    "company": 52,
    "freelancer": 22,
    "startup": 9,
    "nonprofit": 7,
    "public_body": 3,
    "school": 2,
    "research_body": 2,
    "large_group": 3,
}
SIZE_SHARES = {"1": 30, "2-9": 45, "10-49": 18, "50-249": 5, "250+": 2}
HEADCOUNT = {"1": (1, 1), "2-9": (2, 9), "10-49": (10, 49), "50-249": (50, 249), "250+": (250, 900)}
# Most of the sector sits in and around the capital and the south.
COMMUNE_WEIGHTS = {
    "luxembourg": 40,
    "esch-sur-alzette": 8,
    "differdange": 6,
    "strassen": 3,
    "bertrange": 3,
    "hesperange": 3,
    "sanem": 3,
    "dudelange": 3,
    "mamer": 2,
}
STATUS_SHARES = {
    "member": 85,
    "applied": 5,
    "under_review": 3,
    "suspended": 2,
    "lapsed": 3,
    "refused": 2,
}
LEGAL_FORMS = {
    "company": ["Sàrl", "S.A.", "Sàrl-S"],
    "startup": ["Sàrl-S", "Sàrl"],
    "freelancer": ["Indépendant"],
    "nonprofit": ["a.s.b.l."],
    "large_group": ["S.A."],
    "public_body": ["Établissement public"],
    "school": ["Établissement public"],
    "research_body": ["Établissement public", "Fondation"],
}

NAME_HEADS = (
    "Atelier",
    "Studio",
    "Lab",
    "Maison",
    "Werkstatt",
    "Collective",
    "Agence",
    "Bureau",
    "Fabrik",
    "House",
    "Factory",
    "Works",
    "Kollektiv",
    "Forge",
    "Loft",
    "Hub",
)
NAME_TAILS = (
    "Moselle",
    "Minett",
    "Alzette",
    "Pétrusse",
    "Kirchberg",
    "Grund",
    "Belval",
    "Clausen",
    "Ösling",
    "Sûre",
    "Eisch",
    "Attert",
    "Nord",
    "Lumière",
    "Papillon",
    "Orange",
    "Blau",
    "Prism",
    "Pixel",
    "Echo",
    "Delta",
    "Atlas",
    "Nova",
    "Rocket",
    "Ginkgo",
    "Quartz",
    "Kiosk",
    "Mosaic",
    "Vertigo",
    "Cobalt",
    "Tango",
    "Aurora",
    "Hammer",
    "Kanal",
)

DESCRIPTION_TEMPLATES = {
    "en": "{name} is a {kind} based in {commune}, working in {sector}. We offer {competences}.",
    "fr": "{name} est une structure ({kind}) installée à {commune}, active en {sector}. "
    "Nous proposons : {competences}.",
    "de": "{name} ist ein Unternehmen ({kind}) aus {commune} im Bereich {sector}. "
    "Wir bieten {competences}.",
}
# Which languages a profile is written in: many write in one language only.
DESCRIPTION_LANGUAGES = (
    (("fr",), 35),
    (("de",), 20),
    (("en",), 15),
    (("fr", "en"), 15),
    (("fr", "de", "en"), 10),
    (("de", "en"), 5),
)


def _pick(rng: random.Random, shares: dict) -> str:
    return rng.choices(list(shares), weights=list(shares.values()))[0]


def _join(items: list[str]) -> str:
    return ", ".join(items[:-1]) + (" & " if len(items) > 1 else "") + items[-1]


@seeder_register(name="cluster", order=20)
def seed_cluster(*, scale: str, rng: random.Random, stdout) -> dict[str, int]:
    sectors = {s.slug: s for s in Sector.objects.all()}
    communes = list(Commune.objects.all())
    commune_weights = [COMMUNE_WEIGHTS.get(c.slug, 1) for c in communes]
    competences_by_sector: dict[int, list[Competence]] = {}
    for competence in Competence.objects.filter(is_active=True):
        competences_by_sector.setdefault(competence.sector_id, []).append(competence)
    core_nace: dict[int, list[int]] = {}
    for link in NaceSector.objects.filter(link=NaceSector.Link.CORE):
        core_nace.setdefault(link.sector_id, []).append(link.nace_class_id)
    all_nace = list(NaceClass.objects.values_list("pk", flat=True))
    labels: dict[str, dict] = {}
    for code in ("en", "fr", "de"):
        with translation.override(code):
            labels[code] = {
                "kind": {k: str(v) for k, v in Organisation.Kind.choices},
                "sector": {s.pk: s.name for s in sectors.values()},
                "competence": {c.pk: c.label for cs in competences_by_sector.values() for c in cs},
            }

    count = SCALE_ORGANISATIONS[scale]
    today = timezone.localdate()
    organisations, sector_links, competence_links, nace_links = [], [], [], []
    used_slugs: set[str] = set()
    for n in range(count):
        sector = sectors[_pick(rng, SECTOR_SHARES)]
        kind = _pick(rng, KIND_SHARES)
        size = "1" if kind == "freelancer" else _pick(rng, SIZE_SHARES)
        if kind == "large_group":
            size = rng.choice(["50-249", "250+"])
        name = f"{rng.choice(NAME_HEADS)} {rng.choice(NAME_TAILS)}"
        slug = slugify(name)
        if slug in used_slugs:
            name, slug = f"{name} {n + 1}", f"{slug}-{n + 1}"
        used_slugs.add(slug)
        commune = rng.choices(communes, weights=commune_weights)[0]
        own = competences_by_sector.get(sector.pk, [])
        chosen = rng.sample(own, min(len(own), rng.randint(2, 5)))
        if rng.random() < 0.3:  # many also work a neighbouring field
            other = competences_by_sector[rng.choice(list(competences_by_sector))]
            chosen.append(rng.choice(other))
        chosen = list(dict.fromkeys(chosen))
        status = _pick(rng, STATUS_SHARES)
        founded = rng.randint(1975, today.year)
        languages = rng.choices(
            [langs for langs, _ in DESCRIPTION_LANGUAGES],
            weights=[w for _, w in DESCRIPTION_LANGUAGES],
        )[0]
        descriptions = {}
        for code in languages:
            words = labels[code]
            descriptions[f"description_{code}"] = DESCRIPTION_TEMPLATES[code].format(
                name=name,
                kind=words["kind"][kind].lower(),
                commune=commune.name,
                sector=words["sector"][sector.pk],
                competences=_join([words["competence"][c.pk].lower() for c in chosen]),
            )
        member_since = None
        if status in {"member", "suspended", "lapsed"}:
            member_since = today - timedelta(days=rng.randint(30, 365 * 12))
        keywords = ", ".join(rng.sample(NAME_TAILS, 2)).lower()
        organisation = Organisation(
            name=name,
            slug=slug,
            legal_form=rng.choice(LEGAL_FORMS[kind]),
            kind=kind,
            size_band=size,
            headcount=rng.randint(*HEADCOUNT[size]),
            founded_year=founded,
            street=f"{rng.randint(1, 180)}, rue {rng.choice(NAME_TAILS)}",
            postcode=f"L-{rng.randint(1000, 9999)}",
            locality=commune.name,
            commune=commune,
            email=f"contact@{slug}.lu",
            phone=f"+352 {rng.randint(20, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
            website=f"https://www.{slug}.lu",
            keywords=keywords,
            status=status,
            status_changed_at=timezone.now() if status != "applied" else None,
            member_since=member_since
            if member_since is None
            else max(member_since, date(founded, 1, 1)),
            directory_consent=rng.random() < 0.9,
            show_email=rng.random() < 0.6,
            show_phone=rng.random() < 0.4,
            search_name=search_normalize(name),
            search_competences="".join(
                f"{competence_search_token(pk)} " for pk in sorted(c.pk for c in chosen)
            ),
            search_keywords=search_normalize(keywords),
            search_description=search_normalize(" ".join(descriptions.values())),
            **descriptions,
        )
        organisations.append(organisation)
        sector_links.append(
            (
                n,
                [sector.pk]
                + ([rng.choice(list(sectors.values())).pk] if rng.random() < 0.2 else []),
            )
        )
        competence_links.append((n, [c.pk for c in chosen]))
        primary = rng.choice(core_nace.get(sector.pk) or all_nace)
        secondary = {rng.choice(all_nace) for _ in range(rng.randint(0, 2))} - {primary}
        nace_links.append((n, primary, secondary))

    # One write per directory entry once all is in (PostgreSQL's search table).
    with transaction.atomic(), directory_search_table_deferred():
        Organisation.objects.bulk_create(organisations, batch_size=2000)
        ids = {
            o.slug: o.pk
            for o in Organisation.objects.filter(slug__in=used_slugs).only("pk", "slug")
        }
        pk_of = [ids[o.slug] for o in organisations]
        through_sector = Organisation.sectors.through
        through_sector.objects.bulk_create(
            [
                through_sector(organisation_id=pk_of[n], sector_id=s)
                for n, ss in sector_links
                for s in set(ss)
            ],
            batch_size=5000,
        )
        through_competence = Organisation.competences.through
        through_competence.objects.bulk_create(
            [
                through_competence(organisation_id=pk_of[n], competence_id=c)
                for n, cs in competence_links
                for c in cs
            ],
            batch_size=5000,
        )
        OrganisationNace.objects.bulk_create(
            [
                OrganisationNace(organisation_id=pk_of[n], nace_class_id=primary, is_primary=True)
                for n, primary, _ in nace_links
            ]
            + [
                OrganisationNace(organisation_id=pk_of[n], nace_class_id=s)
                for n, _, secondary in nace_links
                for s in secondary
            ],
            batch_size=5000,
        )
        people = _seed_people(rng=rng, organisation_ids=pk_of, count=SCALE_PEOPLE[scale])
    _vacuum_after_bulk_load()
    return {
        "organisations": len(organisations),
        "sector links": sum(len(set(s)) for _, s in sector_links),
        "competence links": sum(len(c) for _, c in competence_links),
        "people in organisations": people,
    }


def _vacuum_after_bulk_load() -> None:
    """On PostgreSQL, outside a transaction: vacuum and analyse what was just loaded, as
    the autovacuum would a little later (the visibility map lets index-only scans skip
    the table; the statistics give the planner the real sizes)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "VACUUM (ANALYZE) cluster_organisation, cluster_organisation_sectors,"
            " cluster_organisation_competences, cluster_organisationnace,"
            " cluster_organisationperson, cluster_directory_entry"
        )


def _seed_people(*, rng: random.Random, organisation_ids: list[int], count: int) -> int:
    """Link seeded users to organisations: one owner each, then admins and members."""
    user_ids = list(
        User.objects.filter(email__contains="@makers.").order_by("pk").values_list("pk", flat=True)
    )
    if not user_ids:
        return 0
    rows, seen = [], set()
    demo_admin = User.objects.filter(email__startswith="organisation-admin@").first()
    if demo_admin and organisation_ids:
        rows.append(
            OrganisationPerson(organisation_id=organisation_ids[0], user=demo_admin, role="owner")
        )
        seen.add((organisation_ids[0], demo_admin.pk))
    for i, organisation_id in enumerate(organisation_ids):
        if len(rows) >= count:
            break
        user_id = user_ids[i % len(user_ids)]
        if (organisation_id, user_id) not in seen and not (i == 0 and demo_admin):
            rows.append(
                OrganisationPerson(organisation_id=organisation_id, user_id=user_id, role="owner")
            )
            seen.add((organisation_id, user_id))
    while len(rows) < count and len(seen) < len(organisation_ids) * len(user_ids):
        pair = (rng.choice(organisation_ids), rng.choice(user_ids))
        if pair in seen:
            continue
        seen.add(pair)
        role = "admin" if rng.random() < 0.2 else "member"
        rows.append(OrganisationPerson(organisation_id=pair[0], user_id=pair[1], role=role))
    OrganisationPerson.objects.bulk_create(rows, batch_size=5000)
    return len(rows)
