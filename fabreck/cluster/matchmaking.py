"""Matchmaking: which members cover a need, or complement an organisation — and why.

Reads only (a selector module of its own: the rules are long enough to deserve a room).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext as _

from fabreck.cluster.models import Competence, Organisation, Sector
from fabreck.cluster.selectors import directory_public, taxonomy_derived
from fabreck.core.text import search_normalize

# A word of the need matches a one-word label or synonym when it starts with that word
# less at most this many final letters: "animator" meets "animation", "Schreinerin"
# meets "Schreiner", "designer" meets "design". Short words must match whole.
STEM_SLACK = 3
MIN_STEM = 5
MAX_RESULTS = 20


@dataclass
class Match:
    organisation: Organisation
    score: float
    covered: list[Competence] = field(default_factory=list)  # of the need
    brings: list[Competence] = field(default_factory=list)  # that the asker lacks
    shared_sectors: list[Sector] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        reasons = []
        if self.covered:
            reasons.append(
                _("Covers %(list)s.") % {"list": ", ".join(c.label for c in self.covered)}
            )
        if self.brings:
            reasons.append(
                _("Brings %(list)s, which you do not list.")
                % {"list": ", ".join(c.label for c in self.brings[:4])}
            )
        if self.shared_sectors:
            reasons.append(
                _("Also works in %(list)s.")
                % {"list": ", ".join(s.name for s in self.shared_sectors)}
            )
        return reasons


def _phrase_in(phrase: list[str], words: list[str]) -> bool:
    """The rule, phrase by phrase (the index below finds the same competences faster)."""
    if len(phrase) == 1:
        word = phrase[0]
        if len(word) < MIN_STEM:
            return word in words
        stem = word[: max(MIN_STEM, len(word) - STEM_SLACK)]
        # ...but not a longer compound: "Webentwicklung" is no "Weben" (weaving).
        return any(w.startswith(stem) and len(w) <= len(word) + STEM_SLACK + 2 for w in words)
    size = len(phrase)
    return any(words[i : i + size] == phrase for i in range(len(words) - size + 1))


@dataclass(frozen=True)
class _PhraseIndex:
    """The taxonomy's phrases arranged so that reading a text costs a few dictionary
    look-ups per word instead of a pass over every phrase of every competence."""

    exact: dict[str, frozenset[int]]  # one short word: the text must contain it
    stems: dict[str, tuple[tuple[int, int], ...]]  # stem -> (longest text word, competence)
    phrases: dict[str, tuple[tuple[tuple[str, ...], int], ...]]  # first word -> (words, pk)
    always: frozenset[int]  # an empty phrase (a synonym of punctuation only) is in any text


def _phrase_index_build(phrases: dict[int, list[list[str]]]) -> _PhraseIndex:
    exact: dict[str, set[int]] = {}
    stems: dict[str, list[tuple[int, int]]] = {}
    multi: dict[str, list[tuple[tuple[str, ...], int]]] = {}
    always: set[int] = set()
    for pk, competence_phrases_ in phrases.items():
        for phrase in competence_phrases_:
            if len(phrase) == 1:
                word = phrase[0]
                if len(word) < MIN_STEM:
                    exact.setdefault(word, set()).add(pk)
                else:
                    stem = word[: max(MIN_STEM, len(word) - STEM_SLACK)]
                    stems.setdefault(stem, []).append((len(word) + STEM_SLACK + 2, pk))
            elif phrase:
                multi.setdefault(phrase[0], []).append((tuple(phrase), pk))
            else:
                always.add(pk)
    return _PhraseIndex(
        exact={w: frozenset(p) for w, p in exact.items()},
        stems={s: tuple(v) for s, v in stems.items()},
        phrases={w: tuple(v) for w, v in multi.items()},
        always=frozenset(always),
    )


def _competence_ids_in_words(index: _PhraseIndex, words: list[str]) -> set[int]:
    found = set(index.always)
    for i, word in enumerate(words):
        found.update(index.exact.get(word, ()))
        for length in range(MIN_STEM, len(word) + 1):
            for longest, pk in index.stems.get(word[:length], ()):
                if len(word) <= longest:
                    found.add(pk)
        for phrase, pk in index.phrases.get(word, ()):
            if tuple(words[i : i + len(phrase)]) == phrase:
                found.add(pk)
    return found


def competences_in_text(text: str) -> list[Competence]:
    """The taxonomy's competences that a free-text need names, in any of the languages."""
    index = taxonomy_derived("phrase-index", _phrase_index_build)
    found = _competence_ids_in_words(index, search_normalize(text).split())
    if not found:
        return []
    return list(Competence.objects.filter(pk__in=found).order_by("label_en"))


def _candidates(competence_ids: list[int], *, exclude: int | None) -> list[tuple[int, int]]:
    """(organisation id, competences of the list it has), best first, public members only."""
    through = Organisation.competences.through
    rows = (
        through.objects.filter(
            competence_id__in=competence_ids, organisation_id__in=directory_public().values("pk")
        )
        .exclude(organisation_id=exclude)
        .values_list("organisation_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "organisation_id")[: MAX_RESULTS * 3]
    )
    return list(rows)


def _load(ids: list[int]) -> dict[int, Organisation]:
    organisations = (
        Organisation.objects.filter(pk__in=ids)
        .select_related("commune")
        .prefetch_related(
            "sectors", Prefetch("competences", queryset=Competence.objects.order_by("label_en"))
        )
    )
    return {o.pk: o for o in organisations}


def matches_for_need(
    *, text: str, exclude: Organisation | None = None
) -> tuple[list[Competence], list[Match]]:
    """Members ranked by the share of the need's competences they cover."""
    needed = competences_in_text(text)
    if not needed:
        return needed, []
    needed_ids = {c.pk for c in needed}
    rows = _candidates(sorted(needed_ids), exclude=exclude.pk if exclude else None)
    loaded = _load([pk for pk, _n in rows])
    matches = []
    for pk, _n in rows:
        organisation = loaded[pk]
        covered = [c for c in organisation.competences.all() if c.pk in needed_ids]
        matches.append(Match(organisation, score=len(covered) / len(needed_ids), covered=covered))
    matches.sort(key=lambda m: (-m.score, m.organisation.name))
    return needed, matches[:MAX_RESULTS]


def complements_of(*, organisation: Organisation, limit: int = 5) -> list[Match]:
    """Members that work in the same sectors but bring competences `organisation` lacks:
    partners for a tender rather than competitors."""
    own = set(organisation.competences.values_list("pk", flat=True))
    sector_ids = list(organisation.sectors.values_list("pk", flat=True))
    # Competences of the same sectors (primary or related) that the organisation lacks.
    wanted = (
        set(
            Competence.objects.filter(
                Q(sector_id__in=sector_ids) | Q(related_sectors__in=sector_ids), is_active=True
            ).values_list("pk", flat=True)
        )
        - own
    )
    if not wanted:
        return []
    rows = _candidates(sorted(wanted), exclude=organisation.pk)
    loaded = _load([pk for pk, _n in rows])
    matches = []
    for pk, n in rows:
        candidate = loaded[pk]
        theirs = list(candidate.competences.all())
        overlap = sum(1 for c in theirs if c.pk in own)
        brings = [c for c in theirs if c.pk in wanted]
        # What they add counts; doing the same things as the asker counts against.
        score = n - 0.5 * overlap
        shared = [s for s in candidate.sectors.all() if s.pk in sector_ids]
        matches.append(Match(candidate, score=score, brings=brings, shared_sectors=shared))
    matches.sort(key=lambda m: (-m.score, m.organisation.name))
    return matches[:limit]


def organisations_for_matchmaking(*, user) -> list[Organisation]:
    """The user's member organisations, to look for partners on their behalf."""
    return (
        list(
            Organisation.objects.filter(
                memberships__user=user, status=Organisation.Status.MEMBER
            ).order_by("name")
        )
        if user.is_authenticated
        else []
    )
