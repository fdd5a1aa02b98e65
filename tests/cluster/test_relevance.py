"""Relevance of the directory search, on a hand-labelled set of queries in three languages.

A small, realistic corpus of members (each describing itself in one language only) and a
list of queries with the organisations a person typing them expects at the top, and those
they must not see. The corpus is built once and every case is checked, so a failure lists
every query that went wrong at once. Known relevance bugs stay in the list, each marked as
a strict expected failure with the reason: fixing the bug makes the suite say so.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import connection

from fabreck.cluster.selectors import DirectoryFilters, directory_search
from tests.factories import organisation_make

pytestmark = pytest.mark.django_db

# Shown to no one: one member without directory consent, one applicant.
SHY = "Shy Joinery"
PENDING = "Pending Woodworks"
HIDDEN = (SHY, PENDING)

# name -> what organisation_make receives. Descriptions are in one language each.
CORPUS: dict[str, dict] = {
    # Art crafts
    "Holzwerk Kremer": {
        "description_de": "Schreinerei für Maßmöbel und Innenausbau aus heimischer Eiche.",
        "competences": ("carpentry", "furniture-design"),
        "sectors": ("art-crafts", "design"),
        "commune": "esch-sur-alzette",
        "nace": "31.09",
    },
    "Atelier Bois d'Ébène": {
        "description_fr": (
            "Ébéniste d'art : restauration de meubles anciens, marqueterie et tournage sur bois."
        ),
        "competences": ("carpentry", "woodturning-carving"),
        "sectors": ("art-crafts",),
        "commune": "diekirch",
        "nace": "16.29",
        "kind": "freelancer",
        "size_band": "1",
    },
    "Tischlerei Weber": {
        "description_de": "Tischlerei in dritter Generation: Treppen, Fenster und Küchen nach Maß.",
        "competences": ("carpentry",),
        "sectors": ("art-crafts",),
        "commune": "ettelbruck",
        "nace": "16.29",
        "size_band": "10-49",
    },
    "Terre & Feu": {
        "description_fr": (
            "Céramiste à Nospelt : grès tourné, vaisselle et pièces uniques, cours de poterie."
        ),
        "competences": ("ceramics",),
        "sectors": ("art-crafts",),
        "commune": "kehlen",
        "nace": "23.41",
        "kind": "freelancer",
        "size_band": "1",
    },
    "Töpferei Thill": {
        "description_de": (
            "Töpferei mit Kursen für Kinder und Erwachsene, Steinzeug und Raku-Brand."
        ),
        "competences": ("ceramics",),
        "sectors": ("art-crafts",),
        "commune": "vianden",
        "nace": "23.41",
    },
    "Maison Hoffmann Joaillerie": {
        "description_fr": (
            "Joaillier créateur : bagues de fiançailles, alliances et bijoux sur mesure "
            "en or recyclé."
        ),
        "competences": ("jewellery-making",),
        "sectors": ("art-crafts",),
        "nace": "32.12",
    },
    "Webatelier Lenert": {
        "description_de": "Handweberei: Teppiche, Wandbehänge und Workshops am Webstuhl.",
        "competences": ("hand-weaving",),
        "sectors": ("art-crafts", "fashion"),
        "commune": "clervaux",
        "nace": "13.20",
    },
    # Design
    "Pixelgarten": {
        "description_de": (
            "Grafikdesign und Corporate Design für Handwerksbetriebe und Vereine: Logos, "
            "Plakate, Geschäftsausstattung."
        ),
        "competences": ("graphic-design", "visual-identity"),
        "sectors": ("design",),
        "commune": "differdange",
    },
    "Studio Mosaïque": {
        "description_fr": (
            "Studio de graphisme : identités visuelles, affiches et mise en page d'ouvrages."
        ),
        "competences": ("graphic-design", "editorial-design"),
        "sectors": ("design",),
    },
    "Northwind UX": {
        "description_en": (
            "User research, usability testing and interface design for banks and public services."
        ),
        "competences": ("ux-design", "ui-design"),
        "sectors": ("design", "new-media"),
        "size_band": "10-49",
    },
    "Clarté Numérique": {
        "description_fr": "Ergonomie web et conception d'interfaces pour les administrations.",
        "competences": ("ux-design",),
        "sectors": ("design",),
        "commune": "strassen",
    },
    # Film and audiovisual
    "Anima Nord": {
        "description_en": (
            "2D and 3D animation studio producing series for children and explainer films."
        ),
        "competences": ("animation-2d", "animation-3d"),
        "sectors": ("film-audiovisual",),
        "nace": "59.11",
        "size_band": "10-49",
    },
    "Trickfabrik": {
        "description_de": "Zeichentrickfilme und Stop-Motion für Werbung und Fernsehen.",
        "competences": ("animation-2d", "stop-motion"),
        "sectors": ("film-audiovisual",),
        "nace": "59.11",
    },
    "Lumière Films": {
        "description_fr": (
            "Société de production audiovisuelle : documentaires, courts métrages et films "
            "institutionnels."
        ),
        "competences": ("film-production", "documentary-filmmaking", "corporate-video"),
        "sectors": ("film-audiovisual",),
        "nace": "59.11",
    },
    "Greenbox Studios": {
        "description_en": (
            "Compositing, CGI and green screen shoots for feature films and commercials."
        ),
        "competences": ("visual-effects",),
        "sectors": ("film-audiovisual",),
        "nace": "59.12",
    },
    "Objektiv Kamerateam": {
        "description_de": (
            "Kameramann und Kamerafrau für Dokumentationen, Imagefilme und Live-Events, "
            "auch mit Drohne."
        ),
        "competences": ("cinematography", "drone-filming"),
        "sectors": ("film-audiovisual",),
        "commune": "mersch",
        "nace": "59.11",
    },
    # Architecture
    "Bureau Modulo Architectes": {
        "description_fr": "Bureau d'architecture : logements, écoles et maquette numérique BIM.",
        "competences": ("architectural-design", "bim-modelling"),
        "sectors": ("architecture",),
        "nace": "71.11",
    },
    "Raumwerk Architekten": {
        "description_de": "Architekturbüro für Wohnbau und Sanierung, Planung mit Revit.",
        "competences": ("architectural-design", "bim-modelling"),
        "sectors": ("architecture",),
        "commune": "grevenmacher",
        "nace": "71.11",
    },
    "Zeechebüro Linden": {
        "description_en": "AutoCAD plans and permit drawings for builders and craftsmen.",
        "competences": ("technical-drawing-cad",),
        "sectors": ("architecture",),
        "nace": "71.12",
        "kind": "freelancer",
        "size_band": "1",
    },
    # Games and new media
    "Spectre Lab": {
        "description_fr": (
            "Applications mobiles en réalité augmentée et filtres AR pour musées et commerces."
        ),
        "competences": ("ar-development", "mobile-app-development"),
        "sectors": ("games", "new-media"),
        "nace": "62.01",
        "kind": "startup",
    },
    "Immersia": {
        "description_fr": "Expériences en réalité virtuelle pour la formation et le tourisme.",
        "competences": ("vr-development", "serious-games"),
        "sectors": ("games",),
        "nace": "62.01",
        "kind": "startup",
    },
    "Level Up Games": {
        "description_en": "Indie studio making pixel-art adventure games for PC and consoles.",
        "keywords": "Nintendo Switch, Steam",
        "competences": ("game-design", "game-programming"),
        "sectors": ("games",),
        "nace": "58.21",
        "kind": "startup",
    },
    "FabLab Minett": {
        "description_fr": (
            "Atelier de fabrication numérique ouvert à tous : impression 3D, découpe laser, "
            "ateliers pour enfants."
        ),
        "competences": ("fablab-facilitation", "3d-printing", "laser-cutting"),
        "sectors": ("new-media",),
        "commune": "esch-sur-alzette",
        "nace": "85.52",
        "kind": "nonprofit",
    },
    # Marketing and communication
    "Wortwerk": {
        "description_de": (
            "Werbetexte, Übersetzungen und Lektorat in Deutsch, Französisch und Englisch."
        ),
        "competences": ("copywriting", "translation-localisation"),
        "sectors": ("marketing-communication",),
        "nace": "73.11",
        "kind": "freelancer",
        "size_band": "1",
    },
    "Référence Web": {
        "description_fr": "Référencement naturel, Google Ads et stratégie de contenu pour PME.",
        "competences": ("seo", "digital-marketing"),
        "sectors": ("marketing-communication",),
        "nace": "73.11",
    },
    "Brightline Agency": {
        "description_en": "Full-service advertising agency: campaigns, branding, media buying.",
        "competences": ("advertising", "branding"),
        "sectors": ("marketing-communication",),
        "nace": "73.11",
        "size_band": "10-49",
    },
    # Fashion
    "Nadel & Faden": {
        "description_de": "Maßschneiderei für Damen und Herren, Änderungen und Brautmode.",
        "competences": ("tailoring",),
        "sectors": ("fashion",),
        "nace": "14.13",
    },
    "Maison de Mode Reuter": {
        "description_fr": "Robes de mariée et tenues de soirée sur mesure.",
        "competences": ("fashion-design",),
        "sectors": ("fashion",),
        "nace": "14.13",
    },
    "Kleedchen": {
        # German compounds: one prefix, many words.
        "description_de": (
            "Modedesign, Modeberatung und Modenschauen: Kollektionen, Modefotografie, "
            "Modeschmuck und Modetrends aus Luxemburg."
        ),
        "competences": ("fashion-design",),
        "sectors": ("fashion",),
        "nace": "14.13",
    },
    # Not in the directory, though they match carpentry queries.
    SHY: {
        "description_en": "Joinery and carpentry workshop.",
        "competences": ("carpentry",),
        "sectors": ("art-crafts",),
        "directory_consent": False,
    },
    PENDING: {
        "description_en": "Carpentry and joinery.",
        "competences": ("carpentry",),
        "sectors": ("art-crafts",),
        "status": "applied",
    },
}

CARPENTERS = ("Holzwerk Kremer", "Atelier Bois d'Ébène", "Tischlerei Weber")
POTTERS = ("Terre & Feu", "Töpferei Thill")
GRAPHIC = ("Pixelgarten", "Studio Mosaïque")
ANIMATORS = ("Anima Nord", "Trickfabrik")
BIM_ARCHITECTS = ("Bureau Modulo Architectes", "Raumwerk Architekten")


@dataclass(frozen=True)
class Case:
    id: str
    query: str
    top: tuple[str, ...] = ()  # the first len(top) results, in any order...
    ordered: bool = False  # ...or in exactly this order
    include: tuple[str, ...] = ()  # also found, anywhere after the top
    only: bool = False  # nothing but top and include is found
    absent: tuple[str, ...] = ()  # never found
    bug: str = ""  # a known relevance bug: a strict expected failure, with this reason
    bug_on: tuple[str, ...] = ("sqlite", "postgresql")  # ...on these databases

    def known_bug_here(self) -> bool:
        return bool(self.bug) and connection.vendor in self.bug_on


CASES = [
    # Job titles and synonyms of the taxonomy, across languages.
    Case("fr-menuisier-finds-de-and-fr-carpenters", "menuisier", CARPENTERS, only=True,
         absent=HIDDEN),
    Case("de-schreiner-finds-fr-carpenter", "Schreiner", CARPENTERS, only=True, absent=HIDDEN),
    Case("de-tischler-name-match-first", "Tischler", ("Tischlerei Weber",), ordered=True,
         include=("Holzwerk Kremer", "Atelier Bois d'Ébène"), only=True),
    Case("en-carpentry-finds-de-and-fr", "carpentry", CARPENTERS, only=True, absent=HIDDEN),
    Case("en-joinery-never-shows-hidden-members", "joinery", CARPENTERS, only=True,
         absent=HIDDEN),
    Case("fr-graphiste-finds-de-profile", "graphiste", GRAPHIC, only=True,
         absent=("Northwind UX",)),
    Case("de-grafikdesign-finds-fr-profile", "Grafikdesign", GRAPHIC, only=True),
    Case("en-graphic-designer-both-words", "graphic designer", GRAPHIC, only=True,
         absent=("Northwind UX", "Clarté Numérique")),
    Case("de-trickfilm-finds-en-profile", "Trickfilm", ANIMATORS, only=True),
    Case("fr-dessin-anime-finds-en-and-de", "dessin animé", ANIMATORS, only=True,
         absent=("Zeechebüro Linden",)),
    Case("fr-cadreur-finds-de-camera-team", "cadreur", ("Objektiv Kamerateam",), only=True),
    Case("fr-traducteur-finds-de-translator", "traducteur", ("Wortwerk",), only=True),
    Case("fr-couturiere-finds-de-tailor", "couturière", ("Nadel & Faden",), only=True),
    Case("de-lasercutter-finds-fr-fablab", "Lasercutter", ("FabLab Minett",), only=True),
    Case("de-suchmaschinenoptimierung-finds-fr", "Suchmaschinenoptimierung",
         ("Référence Web",), only=True),
    Case("en-pottery-finds-fr-and-de", "pottery", POTTERS, only=True),
    Case("fr-ergonomie-own-description-first", "ergonomie",
         ("Clarté Numérique", "Northwind UX"), ordered=True, only=True),
    Case("en-brand-name-revit-finds-fr-and-de", "Revit", BIM_ARCHITECTS, only=True,
         absent=("Zeechebüro Linden",)),
    # Accents and case.
    Case("accents-ebeniste-with-accents", "ébéniste", ("Atelier Bois d'Ébène",), ordered=True,
         include=("Holzwerk Kremer", "Tischlerei Weber"), only=True),
    Case("accents-ebeniste-without-accents", "ebeniste", ("Atelier Bois d'Ébène",),
         ordered=True, include=("Holzwerk Kremer", "Tischlerei Weber"), only=True),
    Case("accents-ebeniste-upper-case", "ÉBÉNISTE", ("Atelier Bois d'Ébène",), ordered=True,
         include=("Holzwerk Kremer", "Tischlerei Weber"), only=True),
    Case("accents-toepferei-umlaut", "Töpferei", ("Töpferei Thill", "Terre & Feu"),
         ordered=True, only=True),
    Case("accents-eszett-as-ss-upper-case", "MASSSCHNEIDEREI", ("Nadel & Faden",), only=True),
    Case("accents-eszett", "Maßschneiderei", ("Nadel & Faden",), only=True),
    Case(
        "accents-umlaut-typed-as-oe", "Toepferei", ("Töpferei Thill", "Terre & Feu"),
        ordered=True, only=True,
    ),
    Case(
        "accents-ligature-oe-typed-as-two-letters", "maîtrise d'oeuvre", BIM_ARCHITECTS,
        only=True,
    ),
    # Multi-word queries: every word must match.
    Case("multi-maquette-numerique-finds-de", "maquette numérique", BIM_ARCHITECTS, only=True),
    Case("multi-fr-effets-visuels-finds-en", "effets visuels", ("Greenbox Studios",), only=True),
    Case("multi-de-virtuelle-realitat-finds-fr", "virtuelle Realität", ("Immersia",),
         only=True, absent=("Spectre Lab",)),
    Case("multi-impression-3d", "impression 3D", ("FabLab Minett",), only=True,
         absent=("Anima Nord",)),
    Case("multi-own-words-rank-first", "céramique poterie", ("Terre & Feu", "Töpferei Thill"),
         ordered=True, only=True),
    Case("multi-every-word-must-match", "céramique cours", ("Terre & Feu",), only=True,
         absent=("Töpferei Thill", "Lumière Films")),
    Case(
        "multi-en-stop-word-and", "carpentry and furniture", ("Holzwerk Kremer",), only=True,
    ),
    # Names rank above descriptions and competences; prefixes.
    Case("name-weber-above-weaver-competence", "Weber",
         ("Tischlerei Weber", "Webatelier Lenert"), ordered=True, only=True),
    Case("name-pixel-above-description", "pixel", ("Pixelgarten", "Level Up Games"),
         ordered=True, only=True),
    Case(
        "name-mode-above-many-description-compounds", "mode", ("Maison de Mode Reuter",),
        ordered=True, include=("Kleedchen",),
    ),
    Case("prefix-anim-finds-animation", "anim", ("Anima Nord",), ordered=True,
         include=("Trickfabrik",)),
    Case("keywords-nintendo", "nintendo", ("Level Up Games",), only=True),
    # Abbreviations of the taxonomy.
    Case("abbr-vfx", "VFX", ("Greenbox Studios",), only=True, absent=("Anima Nord",)),
    Case("abbr-bim", "BIM", BIM_ARCHITECTS, only=True, absent=("Zeechebüro Linden",)),
    Case("abbr-ux-name-first", "UX", ("Northwind UX", "Clarté Numérique"), ordered=True,
         only=True, absent=("Pixelgarten",)),
    Case("abbr-seo-finds-fr", "SEO", ("Référence Web",), only=True),
    Case(
        "abbr-cad-not-camera-operators", "CAD", ("Zeechebüro Linden",), only=True,
        absent=("Objektiv Kamerateam",),
    ),
    Case(
        "abbr-ar-not-architects", "AR", ("Spectre Lab",), ordered=True,
        absent=(*BIM_ARCHITECTS, "Atelier Bois d'Ébène"),
    ),
    # Internal tokens are not words of a profile.
    Case(
        "internal-competence-tokens-are-not-searchable", "cmp", (), only=True,
    ),
]  # fmt: skip


@pytest.fixture
def corpus():
    for name, fields in CORPUS.items():
        organisation_make(name=name, **fields)


def found(query: str) -> list[str]:
    result = directory_search(filters=DirectoryFilters(query=query))
    return [organisation.name for organisation in result.page.object_list]


def problems(case: Case, got: list[str]) -> list[str]:
    """What is wrong with the results `got` for `case`; empty when they are as expected."""
    wrong = []
    head = got[: len(case.top)]
    if case.ordered and head != list(case.top):
        wrong.append(f"first results should be, in order, {list(case.top)}")
    elif not case.ordered and sorted(head) != sorted(case.top):
        wrong.append(f"first results should be, in any order, {sorted(case.top)}")
    missing = [name for name in case.include if name not in got]
    if missing:
        wrong.append(f"should also find {missing}")
    if case.only:
        extra = [name for name in got if name not in case.top + case.include]
        if extra:
            wrong.append(f"should find nothing else, but found {extra}")
    unwanted = [name for name in case.absent if name in got]
    if unwanted:
        wrong.append(f"must not find {unwanted}")
    return wrong


def test_the_cases_are_consistent():
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
    for case in CASES:
        named = case.top + case.include + case.absent
        assert set(named) <= set(CORPUS), case.id
        assert not set(case.top + case.include) & set(case.absent), case.id
    assert len(CASES) >= 24


def test_search_relevance(corpus):
    failures = []
    for case in CASES:
        if case.known_bug_here():
            continue
        got = found(case.query)
        for wrong in problems(case, got):
            failures.append(f"{case.id} (q={case.query!r}): {wrong}; got {got}")
    assert not failures, "\n".join(["", *failures])


KNOWN_BUGS = [
    pytest.param(case, id=case.id, marks=pytest.mark.xfail(strict=True, reason=case.bug))
    for case in CASES
    if case.known_bug_here()
]

# Defined only while some case is a known bug here: an empty parametrisation would show as
# a skipped test and hide nothing worth seeing.
if KNOWN_BUGS:

    @pytest.mark.parametrize("case", KNOWN_BUGS)
    def test_known_relevance_bug(corpus, case):
        got = found(case.query)
        assert not problems(case, got), f"q={case.query!r}: {problems(case, got)}; got {got}"
