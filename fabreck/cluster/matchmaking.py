"""Matchmaking: which members cover a need, or complement an organisation — and why.

Reads only (a selector module of its own: the rules are long enough to deserve a room).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
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


CANDIDATES = MAX_RESULTS * 3

# PostgreSQL: the links' index (competence_id, organisation_id) counts, the directory's
# search table (migration 0007: exactly the public members) keeps the public ones; the
# same statement says which of the asked competences each has, how many of `own` it
# shares, and its name for the final order.
CANDIDATES_SQL = """
WITH g AS MATERIALIZED (
    SELECT t.organisation_id AS id, count(*) AS n
    FROM cluster_organisation_competences t
    WHERE t.competence_id = ANY(%(competences)s)
      AND t.organisation_id IS DISTINCT FROM %(exclude)s
    GROUP BY t.organisation_id
),
c AS MATERIALIZED (
    -- Best first, then whether public: one look-up per candidate until enough are found.
    SELECT s.id, s.n FROM (SELECT id, n FROM g ORDER BY n DESC, id OFFSET 0) s
    WHERE EXISTS (SELECT 1 FROM cluster_directory_entry e WHERE e.organisation_id = s.id)
    ORDER BY s.n DESC, s.id
    LIMIT %(limit)s
)
SELECT c.id, c.n, e.name,
    ARRAY(SELECT x FROM unnest(e.competence_ids) x WHERE x = ANY(%(competences)s)),
    cardinality(ARRAY(SELECT x FROM unnest(e.competence_ids) x WHERE x = ANY(%(own)s)))
FROM c JOIN cluster_directory_entry e ON e.organisation_id = c.id
ORDER BY c.n DESC, c.id
"""


def _candidates(competence_ids: list[int], *, exclude: int | None) -> list[tuple[int, int]]:
    """(organisation id, competences of the list it has), best first, public members only."""
    if connection.vendor == "postgresql":
        return [(row.id, row.n) for row in _candidate_rows(competence_ids, exclude=exclude)]
    through = Organisation.competences.through
    rows = (
        through.objects.filter(
            competence_id__in=competence_ids, organisation_id__in=directory_public().values("pk")
        )
        .exclude(organisation_id=exclude)
        .values_list("organisation_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "organisation_id")[:CANDIDATES]
    )
    return list(rows)


@dataclass(frozen=True)
class _Candidate:
    id: int
    n: int  # competences of the list it has
    name: str
    covered: frozenset[int]  # which ones
    overlap: int  # competences it shares with `own`


def _candidate_rows(
    competence_ids: list[int], *, exclude: int | None, own: frozenset[int] = frozenset()
) -> list[_Candidate]:
    """The candidates of `_candidates`, in its order, with what ranking them needs."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                CANDIDATES_SQL,
                {
                    "competences": list(competence_ids),
                    "exclude": exclude,
                    "own": sorted(own),
                    "limit": CANDIDATES,
                },
            )
            return [
                _Candidate(pk, n, name, frozenset(covered), overlap)
                for pk, n, name, covered, overlap in cursor.fetchall()
            ]
    rows = _candidates(competence_ids, exclude=exclude)
    ids = [pk for pk, _n in rows]
    links: dict[int, set[int]] = {pk: set() for pk in ids}
    for pk, competence_id in Organisation.competences.through.objects.filter(
        organisation_id__in=ids
    ).values_list("organisation_id", "competence_id"):
        links[pk].add(competence_id)
    names = dict(Organisation.objects.filter(pk__in=ids).values_list("pk", "name"))
    asked = set(competence_ids)
    return [
        _Candidate(pk, n, names[pk], frozenset(links[pk] & asked), len(links[pk] & own))
        for pk, n in rows
    ]


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
    """Members ranked by the share of the need's competences they cover.

    Only the shown matches are loaded (with their commune): what they cover comes from
    the ranking itself."""
    needed = competences_in_text(text)
    if not needed:
        return needed, []
    needed_ids = {c.pk for c in needed}
    rows = _candidate_rows(sorted(needed_ids), exclude=exclude.pk if exclude else None)
    best = sorted(rows, key=lambda r: (-r.n, r.name))[:MAX_RESULTS]
    loaded = Organisation.objects.select_related("commune").in_bulk([r.id for r in best])
    return needed, [
        Match(
            loaded[r.id],
            score=r.n / len(needed_ids),
            covered=[c for c in needed if c.pk in r.covered],
        )
        for r in best
    ]


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
    rows = _candidate_rows(sorted(wanted), exclude=organisation.pk, own=frozenset(own))
    # What they add counts; doing the same things as the asker counts against.
    best = sorted(rows, key=lambda r: (-(r.n - 0.5 * r.overlap), r.name))[:limit]
    loaded = _load([r.id for r in best])
    matches = []
    for row in best:
        candidate = loaded[row.id]
        brings = [c for c in candidate.competences.all() if c.pk in wanted]
        shared = [s for s in candidate.sectors.all() if s.pk in sector_ids]
        score = row.n - 0.5 * row.overlap
        matches.append(Match(candidate, score=score, brings=brings, shared_sectors=shared))
    return matches


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


# --- Collaboration requests (issue 3, item 6) -------------------------------------------


def matches_for_competences(
    *, competence_ids: list[int], exclude: Organisation | None = None
) -> list[Match]:
    """Members ranked by the share of these competences they cover (a collaboration
    request's), each with its reasons. Public members only, as for a free-text need."""
    wanted = set(competence_ids)
    if not wanted:
        return []
    rows = _candidates(sorted(wanted), exclude=exclude.pk if exclude else None)
    loaded = _load([pk for pk, _n in rows])
    matches = []
    for pk, _n in rows:
        organisation = loaded[pk]
        covered = [c for c in organisation.competences.all() if c.pk in wanted]
        matches.append(Match(organisation, score=len(covered) / len(wanted), covered=covered))
    matches.sort(key=lambda m: (-m.score, m.organisation.name))
    return matches[:MAX_RESULTS]
