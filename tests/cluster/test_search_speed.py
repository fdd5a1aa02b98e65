"""What the speed-ups of search and matchmaking must not change: the indexes find exactly
what the plain rules find, and a change to the taxonomy is seen by the next search."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from fabreck.cluster.matchmaking import (
    _competence_ids_in_words,
    _phrase_in,
    _phrase_index_build,
    competences_in_text,
)
from fabreck.cluster.models import Competence
from fabreck.cluster.selectors import (
    TAXONOMY_CACHE_KEY,
    competence_phrases,
    competences_matching,
    taxonomy_cache_clear,
)
from fabreck.core.text import is_short, search_normalize, term_variants

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
