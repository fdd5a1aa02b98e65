"""What the speed-ups of search and matchmaking must not change: the indexes find exactly
what the plain rules find, and a change to the taxonomy is seen by the next search."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection

from fabreck.cluster.matchmaking import (
    _competence_ids_in_words,
    _phrase_in,
    _phrase_index_build,
    competences_in_text,
)
from fabreck.cluster.models import Competence, competence_search_words
from fabreck.cluster.selectors import (
    TAXONOMY_CACHE_KEY,
    competence_phrases,
    competences_matching,
    directory_public,
    taxonomy_cache_clear,
)
from fabreck.core.text import is_short, search_normalize, term_variants
from tests.cluster.test_relevance import CASES, corpus  # noqa: F401  (the fixture)
from tests.factories import organisation_make

pytestmark = pytest.mark.django_db

NEEDS = (
    "We need a 3D animator and a sound designer for a museum installation",
    "Nous cherchons un menuisier et un graphiste pour un stand d'exposition",
    "Wir suchen Webentwicklung und Grafikdesign für eine neue Marke",
    "Wir suchen eine Schreinerin für Möbel",
    "branding, copywriting and social media for a festival",
    "une styliste et une modéliste pour une collection capsule",
    "Innenarchitektur und Lichtplanung für ein Café",
    "game design, level design et développement Unity",
    "photography and video editing for a corporate film",
    "Just a nice day",
    "",
)


def _by_rule(words: list[str], taxonomy: dict[int, list[list[str]]]) -> set[int]:
    return {
        pk
        for pk, phrases in taxonomy.items()
        if any(_phrase_in(phrase, words) for phrase in phrases)
    }


def _texts() -> list[str]:
    """The needs above and, for one phrase of the taxonomy in seven, the phrase inside a
    sentence and (one-word phrases) with endings added or letters cut, where stems decide.
    (A sample: the rule is slow, which is why there is an index.)"""
    texts = list(NEEDS)
    phrases = sorted({" ".join(p) for ps in competence_phrases().values() for p in ps})
    for joined in phrases[::7]:
        texts.append(f"we need {joined} for a project")
        if " " not in joined:
            texts += [joined + suffix for suffix in ("s", "ungen", "xxxxxx")]
            texts += [joined[:cut] for cut in (4, 5, 6, len(joined) - 1)]
    return texts


def test_the_phrase_index_reads_a_need_as_the_rule_does():
    taxonomy = competence_phrases()
    index = _phrase_index_build(taxonomy)
    for text in _texts():
        words = search_normalize(text).split()
        assert _competence_ids_in_words(index, words) == _by_rule(words, taxonomy), text


def test_an_empty_phrase_is_found_in_any_text_as_by_the_rule():
    index = _phrase_index_build({1: [[]], 2: [["carpentry"]]})
    assert _competence_ids_in_words(index, []) == {1}
    assert _competence_ids_in_words(index, ["carpentry"]) == {1, 2}


def _expansion_by_rule(term: str, words_of: dict[int, set[str]]) -> list[int]:
    found = set()
    for pk, words in words_of.items():
        for variant in term_variants(term):
            if any(w == variant if is_short(variant) else w.startswith(variant) for w in words):
                found.add(pk)
    return sorted(found)


def test_query_words_expand_to_the_competences_the_rule_gives():
    words = sorted({w for phrases in competence_phrases().values() for p in phrases for w in p})
    terms = {w[:cut] for w in words[::2] for cut in (1, 2, 3, 4, 5, 7, len(w))}
    terms |= {"toepferei", "schreiner", "menuisier", "design", "zzz", "a", "ar", "cad"}
    expansions = competences_matching(sorted(terms))
    words_of = {pk: {w for p in ps for w in p} for pk, ps in competence_phrases().items()}
    for term in sorted(terms):
        assert expansions[term] == _expansion_by_rule(term, words_of), term


@pytest.mark.parametrize("clear", ["admin", "all"])
def test_a_new_synonym_is_used_by_the_next_search_and_need(clear):
    assert competences_matching(["zorblax"]) == {"zorblax": []}
    assert competences_in_text("we need a zorblax") == []

    carpentry = Competence.objects.get(slug="carpentry")
    carpentry.synonyms_en += ", zorblax"
    carpentry.save()
    if clear == "admin":
        cache.delete(TAXONOMY_CACHE_KEY)  # what the competence admin does
    else:
        taxonomy_cache_clear()

    assert competences_matching(["zorblax"]) == {"zorblax": [carpentry.pk]}
    assert [c.slug for c in competences_in_text("we need a zorblax")] == ["carpentry"]


def test_a_deactivated_competence_is_no_longer_found_once_the_cache_is_cleared():
    assert "carpentry" in {c.slug for c in competences_in_text("un menuisier")}
    Competence.objects.filter(slug="carpentry").update(is_active=False)
    taxonomy_cache_clear()

    assert "carpentry" not in {c.slug for c in competences_in_text("un menuisier")}


# --- PostgreSQL: the directory's search table follows every write ------------------------

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the search table exists on PostgreSQL only"
)


def _entries() -> dict[int, tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT organisation_id, commune_id, size_band, kind, name, member_since,"
            " sector_ids, competence_ids, document::text FROM cluster_directory_entry"
        )
        return {row[0]: row[1:] for row in cursor.fetchall()}


def _expected_entries() -> dict[int, tuple]:
    """What the table must hold, computed from the organisations themselves."""
    expected = {}
    words_of = {c.pk: competence_search_words(c) for c in Competence.objects.filter(is_active=True)}
    for o in directory_public().prefetch_related("sectors", "competences"):
        competence_ids = sorted(c.pk for c in o.competences.all())
        text = " ".join(
            [o.search_name, o.search_keywords, o.search_description]
            + [words_of[pk] for pk in competence_ids if pk in words_of]
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT strip(to_tsvector('simple', %s))::text", [text])
            document = " ".join(sorted(cursor.fetchone()[0].split()))
        expected[o.pk] = (
            o.commune_id, o.size_band, o.kind, o.name, o.member_since,
            sorted(s.pk for s in o.sectors.all()), competence_ids, document,
        )  # fmt: skip
    return expected


def _postings() -> dict[tuple[str, str], list[int]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT facet, value, ids FROM cluster_directory_posting")
        # A key no organisation has any more stays, empty, until the next rebuild.
        return {(facet, value): ids for facet, value, ids in cursor.fetchall() if ids}


def _expected_postings(entries: dict[int, tuple]) -> dict[tuple[str, str], list[int]]:
    """Every key that finds an entry, with the sorted ids it finds (migration 0009)."""
    found: dict[tuple[str, str], set[int]] = {}
    for pk, (
        commune_id,
        size_band,
        kind,
        _name,
        _since,
        sectors,
        competences,
        words,
    ) in entries.items():
        keys = [("a", ""), ("c", str(commune_id)), ("z", size_band), ("k", kind)]
        keys += [("s", str(s)) for s in sectors] + [("p", str(c)) for c in competences]
        keys += [("w", word.strip("'")) for word in words.split()]
        for key in keys:
            found.setdefault(key, set()).add(pk)
    return {key: sorted(ids) for key, ids in found.items()}


def _assert_in_step() -> None:
    entries = _entries()
    for pk, row in entries.items():
        # PostgreSQL sorts a tsvector's lexemes by length then bytes; compare as sets.
        entries[pk] = (*row[:7], " ".join(sorted(row[7].split())))
    assert entries == _expected_entries()
    assert _postings() == _expected_postings(entries)


@postgres_only
def test_the_search_table_follows_every_write_to_organisations_and_their_links():
    from fabreck.cluster.models import Organisation, Sector
    from fabreck.cluster.services import organisation_search_text_refresh

    a = organisation_make(name="Atelier Alpha", competences=("carpentry",))
    b = organisation_make(name="Beta Studio", competences=("graphic-design", "ceramics"))
    organisation_make(name="Applicant Gamma", status="applied", competences=("carpentry",))
    shy = organisation_make(name="Shy Delta", directory_consent=False)
    _assert_in_step()

    b.competences.remove(Competence.objects.get(slug="ceramics"))  # a link removed
    a.competences.add(Competence.objects.get(slug="ceramics"))  # a link added
    a.sectors.set(Sector.objects.filter(slug__in=["games", "fashion"]))
    _assert_in_step()

    a.name, a.keywords = "Atelier Omega", "zorblax, marquetry"  # renamed, new keywords
    a.save()
    organisation_search_text_refresh(organisation=a)
    _assert_in_step()

    shy.directory_consent = True  # consents: appears
    shy.save()
    Organisation.objects.filter(pk=b.pk).update(status="suspended")  # bulk: disappears
    _assert_in_step()
    assert set(_entries()) == {a.pk, shy.pk}

    Organisation.objects.filter(pk=b.pk).update(status="member")
    a.delete()
    _assert_in_step()
    assert set(_entries()) == {b.pk, shy.pk}


@postgres_only
def test_a_changed_competence_reaches_the_search_table_and_the_next_search():
    from fabreck.cluster.selectors import DirectoryFilters, directory_search

    org = organisation_make(name="Holzwerk Kremer", competences=("carpentry",))

    def found(query: str) -> list[str]:
        result = directory_search(filters=DirectoryFilters(query=query))
        return [o.name for o in result.page.object_list]

    assert found("zorblax") == []
    carpentry = Competence.objects.get(slug="carpentry")
    carpentry.synonyms_fr += ", zorblax"
    carpentry.save()  # as the admin does
    _assert_in_step()
    assert found("zorblax") == [org.name]

    carpentry.is_active = False
    carpentry.save()
    _assert_in_step()
    assert found("zorblax") == []
    assert found("menuisier") == []


@postgres_only
def test_the_search_table_is_emptied_with_the_organisations():
    organisation_make(name="Atelier Alpha", competences=("carpentry",))
    with connection.cursor() as cursor:
        # A flush truncates outside any transaction; inside the test's, the deferred
        # foreign-key checks must run first.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE cluster_organisation CASCADE")
    assert _entries() == {}


@postgres_only
@pytest.mark.usefixtures("corpus")
def test_the_search_table_finds_and_ranks_as_the_weighted_vector_did():
    """Every query of the relevance set, plus facets and sorts: the statement over the
    search table gives the same organisations in the same order as the query set over
    cluster_organisation (the former PostgreSQL path, still the CSV export's)."""
    from fabreck.cluster.selectors import (
        DirectoryFilters,
        _matching,
        _results,
        directory_search,
    )
    from fabreck.core.text import search_terms

    queries = [*sorted({case.query for case in CASES}), "", "design studio", "zzzz"]
    variants = [
        {},
        {"sectors": ("art-crafts", "design")},
        {"communes": ("luxembourg",), "sizes": ("1", "2-9")},
        {"kinds": ("freelancer",), "sort": "name"},
        {"competences": ("carpentry",), "sort": "newest"},
    ]
    for query in queries:
        for variant in variants:
            filters = DirectoryFilters(query=query, **variant)
            terms = search_terms(query)[:8]
            expected = list(_results(_matching(directory_public(), terms), filters, terms))
            result = directory_search(filters=filters)
            assert result.page.paginator.count == len(expected), (query, variant)
            got = [o.pk for o in result.page.object_list]
            assert got == [o.pk for o in expected[:20]], (query, variant)


@postgres_only
def test_a_bulk_load_rebuilds_the_search_table_once_at_its_end():
    from fabreck.cluster.models import Organisation
    from fabreck.cluster.services import directory_search_table_deferred

    gone = organisation_make(name="Leaving Soon", competences=("carpentry",))
    with directory_search_table_deferred():
        kept = organisation_make(name="Atelier Alpha", competences=("ceramics",))
        Organisation.objects.filter(pk=gone.pk).delete()
        assert set(_entries()) == {gone.pk}  # the triggers wait...
    assert set(_entries()) == {kept.pk}  # ...and the end catches up
    _assert_in_step()
    kept.competences.add(Competence.objects.get(slug="carpentry"))  # triggers are back
    _assert_in_step()


def test_directory_results_read_their_relations_with_one_query_per_relation_for_the_page():
    from django.test.utils import CaptureQueriesContext

    from fabreck.cluster.selectors import DirectoryFilters, directory_search

    for n in range(5):
        organisation_make(
            name=f"Org {n}", competences=("carpentry", "ceramics"), sectors=("design", "games")
        )
    page = directory_search(filters=DirectoryFilters(query="org")).page.object_list
    assert [o.name for o in page] == [f"Org {n}" for n in range(5)]

    with CaptureQueriesContext(connection) as ctx:
        sectors = [sorted(s.slug for s in o.sectors.all()) for o in page]
        competences = [[c.slug for c in o.competences.all()] for o in page]
    assert sectors == [["design", "games"]] * 5
    assert competences == [["carpentry", "ceramics"]] * 5  # by English label
    assert len(ctx.captured_queries) <= 2  # (SQLite's path prefetches them at once)


def test_the_api_directory_costs_the_same_with_3_or_25_members(client):
    from django.test.utils import CaptureQueriesContext

    def api_queries() -> tuple[int, list]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/api/v1/organisations/", {"q": "org"})
        assert response.status_code == 200
        return len(ctx.captured_queries), response.json()["results"]

    for n in range(3):
        organisation_make(name=f"Org {n}", competences=("carpentry",))
    api_queries()  # fills the taxonomy cache
    few, results = api_queries()
    assert results[0]["competences"] == ["carpentry"] and results[0]["sectors"] == ["design"]
    for n in range(3, 25):
        organisation_make(name=f"Org {n}", competences=("carpentry",))
    many, results = api_queries()
    assert len(results) == 20
    assert many == few <= 15


def test_a_renamed_sector_commune_or_competence_is_shown_by_the_next_search(client):
    """The directory keeps the names of sectors, communes and competences between
    searches: a change is shown at once, even one this process was not told about."""
    from fabreck.cluster.models import Commune, Organisation, Sector

    organisation_make(name="Holzwerk", competences=("carpentry",), sectors=("design",))
    url, params = "/directory/", {"q": "holzwerk"}
    assert "Carpentry" in client.get(url, params).content.decode()

    design = Sector.objects.get(slug="design")
    design.name_en = "Design and crafts"
    design.save()  # as the admin does
    assert "Design and crafts" in client.get(url, params).content.decode()
    commune = Commune.objects.get(slug="luxembourg")
    commune.name = "Luxembourg-Ville"
    commune.save()
    assert "Luxembourg-Ville" in client.get(url, params).content.decode()
    carpentry = Competence.objects.get(slug="carpentry")
    carpentry.label_en = "Joinery"
    carpentry.save()
    assert "Joinery" in client.get(url, params).content.decode()

    # A competence added elsewhere (no signal here): found by its id, named at once.
    new = Competence.objects.bulk_create(
        [Competence(slug="zorblaxing", label_en="Zorblaxing", sector=design)]
    )[0]
    Organisation.objects.get(name="Holzwerk").competences.add(new)
    html = client.get(url, {**params, "competence": "zorblaxing"}).content.decode()
    assert html.count("Zorblaxing") == 2  # the facet option and the card


@postgres_only
def test_a_competence_deleted_during_a_search_is_left_out_not_an_error(client, monkeypatch):
    from fabreck.cluster import selectors

    organisation_make(name="Holzwerk", competences=("carpentry", "ceramics"))
    build = selectors._reference_labels_build

    def without_carpentry(phrases):
        labels = build(phrases)
        del labels.competences[Competence.objects.get(slug="carpentry").pk]
        return labels

    monkeypatch.setattr(selectors, "_reference_labels_build", without_carpentry)
    response = client.get("/directory/", {"q": "holzwerk"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Ceramics" in html and "Carpentry" not in html
