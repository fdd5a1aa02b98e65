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
    PortfolioItem,
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
            " cluster_organisationperson, cluster_directory_entry, cluster_directory_posting"
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


PORTFOLIO_TITLES = (
    "Festival identity", "Museum installation", "Exhibition stand", "Corporate film",
    "Capsule collection", "Shop interior", "Mobile game", "Brand campaign", "Signage system",
    "Concert visuals", "Furniture series", "Documentary", "Web platform", "Packaging range",
)  # fmt: skip


@seeder_register(name="cluster-portfolio", order=21)
def seed_cluster_portfolio(*, scale: str, rng: random.Random, stdout) -> dict[str, int]:
    """Work shown by about a third of the members: titles, years and links (no images)."""
    members = Organisation.objects.filter(status=Organisation.Status.MEMBER).values_list(
        "pk", "slug", "founded_year"
    )
    this_year = timezone.localdate().year
    items = []
    for pk, slug, founded in members.order_by("pk").iterator():
        if rng.random() >= 0.35:
            continue
        for position in range(rng.randint(1, 3)):
            title = rng.choice(PORTFOLIO_TITLES)
            items.append(
                PortfolioItem(
                    organisation_id=pk,
                    title=title,
                    year=rng.randint(max(founded or 2000, 2000), this_year),
                    link=f"https://www.{slug}.lu/work/{slugify(title)}",
                    position=position,
                )
            )
    PortfolioItem.objects.bulk_create(items, batch_size=5000)
    return {"portfolio items": len(items)}


# --- Collaboration requests (issue 3, item 6) -------------------------------------------
# Imports of this section stay here so that the section merges as one block.
from fabreck.cluster.models import CollaborationMessage, CollaborationRequest  # noqa: E402

SCALE_COLLABORATION = {"demo": 12, "large": 2_000}
SCALE_CONVERSATIONS = {"demo": 4, "large": 600}
COLLABORATION_TEXTS = {
    ("seek", "en"): ("Looking for {competences}", "For a project starting soon we need "
                     "{competences}. Tell us about similar work you have done."),
    ("seek", "fr"): ("Recherche : {competences}", "Pour un projet qui démarre bientôt, nous "
                     "cherchons {competences}. Parlez-nous de vos références."),
    ("seek", "de"): ("Gesucht: {competences}", "Für ein Projekt, das bald beginnt, suchen wir "
                     "{competences}. Erzählen Sie uns von ähnlichen Arbeiten."),
    ("offer", "en"): ("We offer {competences}", "Our team has capacity for {competences} in the "
                      "coming months, for members' projects."),
    ("offer", "fr"): ("Nous proposons : {competences}", "Notre équipe est disponible pour "
                      "{competences} dans les prochains mois."),
    ("offer", "de"): ("Wir bieten {competences}", "Unser Team hat in den nächsten Monaten "
                      "Kapazität für {competences}."),
}  # fmt: skip
CONVERSATION_OPENERS = (
    "Hello, we have done this kind of work before and would be glad to talk about it.",
    "Bonjour, nous avons une expérience proche et serions ravis d'en discuter.",
    "Guten Tag, wir haben Erfahrung damit und würden uns über ein Gespräch freuen.",
)
CONVERSATION_REPLIES = (
    "Thank you! Could we meet next week?",
    "Merci ! Pouvons-nous nous voir la semaine prochaine ?",
    "Danke! Können wir uns nächste Woche treffen?",
)


@seeder_register(name="cluster-collaboration", order=21)
def seed_collaboration(*, scale: str, rng: random.Random, stdout) -> dict[str, int]:
    """Requests of member organisations, written by one of their people, in one of the
    three languages; a few conversations with members that have the competences."""
    people: dict[int, int] = {}  # member organisation -> a person of it
    for organisation_id, user_id in (
        OrganisationPerson.objects.filter(organisation__status=Organisation.Status.MEMBER)
        .order_by("organisation_id", "role", "user_id")
        .values_list("organisation_id", "user_id")
    ):
        people.setdefault(organisation_id, user_id)
    if not people:
        return {"collaboration requests": 0, "collaboration messages": 0}
    through = Organisation.competences.through
    own: dict[int, list[int]] = {}
    holders: dict[int, list[int]] = {}  # competence -> member organisations that have it
    for organisation_id, competence_id in (
        through.objects.filter(organisation_id__in=list(people))
        .order_by("organisation_id", "competence_id")
        .values_list("organisation_id", "competence_id")
    ):
        own.setdefault(organisation_id, []).append(competence_id)
        holders.setdefault(competence_id, []).append(organisation_id)
    competences = list(Competence.objects.filter(is_active=True).order_by("pk"))
    labels = {
        code: {c.pk: getattr(c, f"label_{code}") for c in competences}
        for code in ("en", "fr", "de")
    }
    organisation_ids = sorted(people)
    demo_admin = (
        OrganisationPerson.objects.filter(user__email__startswith="organisation-admin@")
        .filter(organisation_id__in=organisation_ids)
        .values_list("organisation_id", flat=True)
        .first()
    )
    today = timezone.localdate()
    now = timezone.now()
    requests, links = [], []
    for n in range(SCALE_COLLABORATION[scale]):
        organisation_id = demo_admin if n == 0 and demo_admin else rng.choice(organisation_ids)
        kind = "offer" if own.get(organisation_id) and rng.random() < 0.3 else "seek"
        pool = own[organisation_id] if kind == "offer" else [c.pk for c in competences]
        chosen = sorted(set(rng.sample(pool, min(len(pool), rng.randint(1, 2)))))
        language = rng.choice(("en", "fr", "de"))
        # German nouns keep their capital.
        named = _join(
            [labels[language][pk] if language == "de" else labels[language][pk].lower()
             for pk in chosen]
        )  # fmt: skip
        title_text, description_text = COLLABORATION_TEXTS[(kind, language)]
        title = title_text.format(competences=named)[:200]
        description = description_text.format(competences=named)
        closed = rng.random() < 0.15
        requests.append(
            CollaborationRequest(
                organisation_id=organisation_id,
                author_id=people[organisation_id],
                kind=kind,
                title=title,
                description=description,
                deadline=None
                if rng.random() < 0.4
                else today + timedelta(days=rng.randint(7, 120)),
                status="closed" if closed else "open",
                closed_at=now - timedelta(days=rng.randint(1, 60)) if closed else None,
                search_text=search_normalize(f"{title} {description}"),
            )
        )
        links.append(chosen)

    with transaction.atomic():
        CollaborationRequest.objects.bulk_create(requests, batch_size=1000)
        through_request = CollaborationRequest.competences.through
        through_request.objects.bulk_create(
            [
                through_request(collaborationrequest_id=request.pk, competence_id=pk)
                for request, chosen in zip(requests, links, strict=True)
                for pk in chosen
            ],
            batch_size=5000,
        )
        # Conversations: a member that has a sought competence answers, and is answered.
        messages = []
        candidates = [
            (request, chosen)
            for request, chosen in zip(requests, links, strict=True)
            if request.kind == "seek" and request.status == "open"
        ]
        for request, chosen in candidates[: SCALE_CONVERSATIONS[scale]]:
            answering = [
                o for pk in chosen for o in holders.get(pk, []) if o != request.organisation_id
            ]
            if not answering:
                continue
            other = rng.choice(answering)
            at = now - timedelta(days=rng.randint(2, 20), minutes=rng.randint(0, 600))
            language = rng.randrange(3)
            messages.append(
                CollaborationMessage(
                    request=request, sender_id=people[other], sender_organisation_id=other,
                    recipient_organisation_id=request.organisation_id,
                    body=CONVERSATION_OPENERS[language], created_at=at,
                )
            )  # fmt: skip
            messages.append(
                CollaborationMessage(
                    request=request, sender_id=request.author_id,
                    sender_organisation_id=request.organisation_id,
                    recipient_organisation_id=other, body=CONVERSATION_REPLIES[language],
                    created_at=at + timedelta(hours=rng.randint(1, 30)),
                )
            )  # fmt: skip
        CollaborationMessage.objects.bulk_create(messages, batch_size=1000)
    return {"collaboration requests": len(requests), "collaboration messages": len(messages)}


# --- Calls for projects and consortia ------------------------------------------------

from decimal import Decimal  # noqa: E402

from fabreck.cluster.models import (  # noqa: E402
    Call,
    CallDigestConsent,
    CallInterest,
    Consortium,
    ConsortiumMembership,
)

SCALE_CALLS = {"demo": 6, "large": 300}
# (kind, funder, title en/fr/de, summary en) of the demo's calls; more are made from them.
CALL_SUBJECTS = (
    ("tender", "Ville de Luxembourg",
     ("Signage for the city's museums", "Signalétique des musées de la Ville",
      "Beschilderung der städtischen Museen"),
     "Design and make the wayfinding of four museums."),
    ("grant", "Kultur:LX",
     ("Export grant for creative studios", "Aide à l'export pour studios créatifs",
      "Exportförderung für Kreativstudios"),
     "Up to half of the cost of showing your work at a fair abroad."),
    ("competition", "Luxembourg Design Award",
     ("Young designers competition", "Concours des jeunes designers",
      "Wettbewerb für junge Designer"),
     "A prize and a residency for designers under 35."),
    ("tender", "Fonds Belval",
     ("Furniture for a university library", "Mobilier d'une bibliothèque universitaire",
      "Möbel für eine Universitätsbibliothek"),
     "Tables, shelving and reading chairs in solid wood."),
    ("grant", "Film Fund Luxembourg",
     ("Development aid for animated series", "Aide au développement de séries animées",
      "Entwicklungshilfe für Animationsserien"),
     "Writing and pilot of an animated series."),
    ("tender", "Luxinnovation",
     ("Video campaign on the circular economy", "Campagne vidéo sur l'économie circulaire",
      "Videokampagne zur Kreislaufwirtschaft"),
     "Six short videos and their social media cut-downs."),
)  # fmt: skip


@seeder_register(name="cluster-calls", order=25)
def seed_calls(*, scale: str, rng: random.Random, stdout) -> dict[str, int]:
    """Calls (one closed, one draft at large scale), a few interests, one consortium,
    and the digest consent of some members."""
    now = timezone.now()
    manager = User.objects.filter(email__startswith="cluster-manager@").first()
    sectors = list(Sector.objects.all())
    competences_by_sector: dict[int, list[int]] = {}
    for pk, sector_id in Competence.objects.filter(is_active=True).values_list("pk", "sector_id"):
        competences_by_sector.setdefault(sector_id, []).append(pk)
    calls, links = [], []
    for n in range(SCALE_CALLS[scale]):
        kind, funder, titles, summary = CALL_SUBJECTS[n % len(CALL_SUBJECTS)]
        round_ = n // len(CALL_SUBJECTS)
        suffix = f" ({round_ + 1})" if round_ else ""
        closed = n == 2 or (scale == "large" and rng.random() < 0.2)
        status = Call.Status.CLOSED if closed else Call.Status.PUBLISHED
        if scale == "large" and not closed and rng.random() < 0.05:
            status = Call.Status.DRAFT
        deadline = now + timedelta(days=rng.randint(7, 120), hours=rng.randint(0, 23))
        if closed:
            deadline = now - timedelta(days=rng.randint(1, 200))
        sector = rng.choice(sectors)
        own = competences_by_sector.get(sector.pk, [])
        chosen = rng.sample(own, min(len(own), rng.randint(1, 3)))
        title_en, title_fr, title_de = (t + suffix for t in titles)
        calls.append(
            Call(
                slug=slugify(title_en)[:70] + (f"-{round_ + 1}" if round_ else ""),
                kind=kind,
                funder=funder,
                title_en=title_en,
                title_fr=title_fr,
                title_de=title_de,
                summary_en=summary,
                description_en=f"{summary}\n\nAnswers are expected in English or French.",
                budget=Decimal(rng.randint(5, 400) * 1000) if kind != "competition" else None,
                deadline=deadline,
                status=status,
                published_at=None if status == Call.Status.DRAFT else now - timedelta(days=30),
                closed_at=now - timedelta(days=1) if closed else None,
                created_by=manager,
                search_text=search_normalize(" ".join([funder, *titles, summary])),
            )
        )
        links.append((sector.pk, chosen))
    with transaction.atomic():
        Call.objects.bulk_create(calls, batch_size=1000)
        ids = dict(Call.objects.values_list("slug", "pk"))
        call_ids = [ids[c.slug] for c in calls]
        Call.sectors.through.objects.bulk_create(
            [
                Call.sectors.through(call_id=pk, sector_id=sector_id)
                for pk, (sector_id, _c) in zip(call_ids, links, strict=True)
            ]
        )
        Call.competences.through.objects.bulk_create(
            [
                Call.competences.through(call_id=pk, competence_id=competence_id)
                for pk, (_s, chosen) in zip(call_ids, links, strict=True)
                for competence_id in chosen
            ]
        )
        counts = _seed_call_answers(rng=rng, call_ids=call_ids, now=now)
    return {"calls": len(calls), **counts}


def _seed_call_answers(*, rng: random.Random, call_ids: list[int], now) -> dict[str, int]:
    members = list(
        Organisation.objects.filter(status=Organisation.Status.MEMBER)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    open_calls = list(
        Call.objects.filter(pk__in=call_ids, status=Call.Status.PUBLISHED, deadline__gt=now)
        .order_by("deadline")
        .values_list("pk", flat=True)
    )
    if len(members) < 3 or not open_calls:
        return {}
    consents = [CallDigestConsent(organisation_id=pk) for pk in members if rng.random() < 0.3]
    CallDigestConsent.objects.bulk_create(consents, batch_size=5000)
    # The demo organisation admin's organisation leads a consortium when it is a member.
    demo_admin = User.objects.filter(email__startswith="organisation-admin@").first()
    own = (
        OrganisationPerson.objects.filter(user=demo_admin, organisation__status="member")
        .values_list("organisation_id", flat=True)
        .first()
        if demo_admin
        else None
    )
    lead = own or members[0]
    partners = rng.sample([pk for pk in members if pk != lead], 2)
    call_id = open_calls[0]
    interests = {(call_id, lead), (call_id, partners[0]), (call_id, partners[1])}
    for other in open_calls[1:3]:
        interests.add((other, rng.choice(members)))
    CallInterest.objects.bulk_create(
        [CallInterest(call_id=c, organisation_id=o, declared_by=demo_admin) for c, o in interests]
    )
    consortium = Consortium.objects.create(
        call_id=call_id, lead_id=lead, name="Consortium Minett", created_by=demo_admin
    )
    ConsortiumMembership.objects.bulk_create(
        [
            ConsortiumMembership(
                consortium=consortium, organisation_id=lead, status="accepted",
                invited_by=demo_admin, responded_at=now, responded_by=demo_admin,
            ),
            ConsortiumMembership(
                consortium=consortium, organisation_id=partners[0], status="accepted",
                invited_by=demo_admin, responded_at=now,
            ),
            ConsortiumMembership(
                consortium=consortium, organisation_id=partners[1], status="invited",
                invited_by=demo_admin,
            ),
        ]
    )  # fmt: skip
    return {
        "interests in calls": len(interests),
        "consortia": 1,
        "digest consents": len(consents),
    }
