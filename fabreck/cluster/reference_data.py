"""The cluster's reference data, shipped as JSON in `data/`: sectors, NACE classes of the
creative-sector mapping, Luxembourg's communes, the competence taxonomy.

Loaded by a data migration, and again by `fabreck cluster_reference_load` after the files
change: rows are matched on their slug or code, so edits made by cluster managers to other
rows survive, and nothing is deleted.
"""

from __future__ import annotations

import json
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"

# (slug, English, French, German); the order is the order of display.
SECTORS = (
    ("architecture", "Architecture", "Architecture", "Architektur"),
    ("art-crafts", "Art crafts", "Métiers d'art", "Kunsthandwerk"),
    (
        "film-audiovisual",
        "Film and audiovisual",
        "Cinéma et audiovisuel",
        "Film und Audiovisuelles",
    ),
    ("design", "Design", "Design", "Design"),
    ("games", "Games", "Jeux vidéo", "Games"),
    (
        "marketing-communication",
        "Marketing and communication",
        "Marketing et communication",
        "Marketing und Kommunikation",
    ),
    ("fashion", "Fashion", "Mode", "Mode"),
    ("new-media", "New media", "Nouveaux médias", "Neue Medien"),
)


def _read(name: str) -> list[dict]:
    with (DATA_DIR / name).open(encoding="utf-8") as data_file:
        return json.load(data_file)


def _upsert(model, key: str, rows: list[dict]) -> dict:
    """Create missing rows and update changed ones in a few queries; returns {key: row}."""
    existing = {getattr(obj, key): obj for obj in model.objects.all()}
    fields = [name for name in rows[0] if name != key] if rows else []
    new, changed = [], []
    for row in rows:
        obj = existing.get(row[key])
        if obj is None:
            new.append(model(**row))
        elif any(getattr(obj, name) != row[name] for name in fields):
            for name in fields:
                setattr(obj, name, row[name])
            changed.append(obj)
    model.objects.bulk_create(new)
    if changed:
        model.objects.bulk_update(changed, fields)
    return {getattr(obj, key): obj for obj in model.objects.all()}


def reference_data_load(apps=None) -> dict[str, int]:
    """Create or update every reference row. `apps` is a migration's app registry."""
    if apps is None:
        from django.apps import apps
    Sector = apps.get_model("cluster", "Sector")
    NaceClass = apps.get_model("cluster", "NaceClass")
    NaceSector = apps.get_model("cluster", "NaceSector")
    Commune = apps.get_model("cluster", "Commune")
    Competence = apps.get_model("cluster", "Competence")
    languages = ("en", "fr", "de")

    sectors = _upsert(
        Sector,
        "slug",
        [
            {"slug": slug, "name_en": en, "name_fr": fr, "name_de": de, "position": position}
            for position, (slug, en, fr, de) in enumerate(SECTORS)
        ],
    )
    _upsert(Commune, "slug", _read("communes.json"))

    nace_rows = _read("nace.json")
    naces = _upsert(
        NaceClass,
        "code",
        [
            {
                "code": row["code"],
                "rev21_code": row.get("rev21", ""),
                **{f"label_{code}": row["label"][code] for code in languages},
            }
            for row in nace_rows
        ],
    )
    links = {(link.nace_class_id, link.sector_id): link for link in NaceSector.objects.all()}
    new_links, changed_links = [], []
    for row in nace_rows:
        for sector_slug, kind in row["sectors"].items():
            nace, sector = naces[row["code"]], sectors[sector_slug]
            link = links.get((nace.pk, sector.pk))
            if link is None:
                new_links.append(NaceSector(nace_class=nace, sector=sector, link=kind))
            elif link.link != kind:
                link.link = kind
                changed_links.append(link)
    NaceSector.objects.bulk_create(new_links)
    NaceSector.objects.bulk_update(changed_links, ["link"])

    competence_rows = _read("competences.json")
    competences = _upsert(
        Competence,
        "slug",
        [
            {
                "slug": row["slug"],
                "sector_id": sectors[row["sector"]].pk,
                **{f"label_{code}": row["label"][code] for code in languages},
                **{
                    f"synonyms_{code}": ", ".join(row["synonyms"].get(code, []))
                    for code in languages
                },
            }
            for row in competence_rows
        ],
    )
    through = Competence.related_sectors.through
    wanted = {
        (competences[row["slug"]].pk, sectors[slug].pk)
        for row in competence_rows
        for slug in row.get("also", [])
    }
    have = set(through.objects.values_list("competence_id", "sector_id"))
    through.objects.bulk_create(
        [through(competence_id=c, sector_id=s) for c, s in sorted(wanted - have)]
    )

    # The search's copies of the taxonomy (PostgreSQL's search table, the cached phrases).
    from fabreck.cluster.selectors import taxonomy_cache_clear
    from fabreck.cluster.services import competence_search_words_sync

    competence_search_words_sync(model=Competence)
    taxonomy_cache_clear()

    return {
        "sectors": len(sectors),
        "communes": Commune.objects.count(),
        "NACE classes": len(naces),
        "competences": len(competences),
    }


def reference_data_ensure(apps=None) -> None:
    """Load the reference data where it is missing (after a flush, e.g. between tests)."""
    if apps is None:
        from django.apps import apps
    if not apps.get_model("cluster", "Commune").objects.exists():
        reference_data_load(apps)
