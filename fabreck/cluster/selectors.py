"""Reads of the cluster: the public directory with search and facets, profiles, queues."""

from __future__ import annotations

import bisect
import itertools
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import ClassVar, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    Expression,
    F,
    FloatField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
    prefetch_related_objects,
)
from django.http import Http404
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from fabreck.accounts.models import User
from fabreck.cluster.models import (
    Commune,
    Competence,
    Organisation,
    OrganisationNace,
    OrganisationPerson,
    Sector,
    competence_phrases_of,
    competence_search_token,
)
from fabreck.core.i18n import localized
from fabreck.core.text import is_short, search_terms, term_variants

T = TypeVar("T")

PAGE_SIZE = 20
FACET_SIZE = 12  # the competences and communes shown: the most frequent, and the chosen
SORTS = ("relevance", "name", "newest")
# Weights of a query word found in each part of the profile (SQLite's ranking).
FIELD_WEIGHTS = (
    ("search_name", 1.0),
    ("search_competences", 0.4),
    ("search_keywords", 0.4),
    ("search_description", 0.2),
)


@dataclass(frozen=True)
class DirectoryFilters:
    query: str = ""
    sectors: tuple[str, ...] = ()
    competences: tuple[str, ...] = ()
    communes: tuple[str, ...] = ()
    sizes: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    sort: str = "relevance"
    page: int = 1


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Facet:
    name: str  # the query parameter
    options: list[FacetOption] = field(default_factory=list)


@dataclass
class DirectoryResult:
    page: Page
    facets: list[Facet]
    filters: DirectoryFilters
    terms: list[str]


def directory_public() -> QuerySet[Organisation]:
    """Organisations the public may see: members who consented to the directory.

    On PostgreSQL, cluster_directory_entry (migration 0007) holds exactly these: its
    refresh function says the same (status 'member' and consent); change both together."""
    return Organisation.objects.filter(status=Organisation.Status.MEMBER, directory_consent=True)


class OrganisationSearchVector(Expression):
    """The PostgreSQL-only `search_vector` column, under whatever alias the query gives it."""

    def __init__(self) -> None:
        from django.contrib.postgres.search import SearchVectorField

        super().__init__(output_field=SearchVectorField())

    def as_sql(self, compiler, connection):
        alias = compiler.query.get_initial_alias()
        return f"{compiler.quote_name_unless_alias(alias)}.search_vector", []


TAXONOMY_CACHE_KEY = "cluster:competence-phrases"
# A new random token each time the phrases are rebuilt: lets each process keep what it
# derives from them (indexes) without unpickling the whole taxonomy on every search.
TAXONOMY_VERSION_KEY = "cluster:competence-phrases:version"
TAXONOMY_CACHE_SECONDS = 300


def _competence_phrases_build() -> dict[int, list[list[str]]]:
    return {c.pk: competence_phrases_of(c) for c in Competence.objects.filter(is_active=True)}


def _taxonomy_load() -> tuple[str, dict[int, list[list[str]]]]:
    """(version, phrases): the version is read first and written last, so the phrases
    read with a version are never older than it."""
    version = cache.get(TAXONOMY_VERSION_KEY)
    phrases = cache.get(TAXONOMY_CACHE_KEY)
    if phrases is None or version is None:
        phrases = _competence_phrases_build()
        version = uuid.uuid4().hex
        cache.set(TAXONOMY_CACHE_KEY, phrases, TAXONOMY_CACHE_SECONDS)
        cache.set(TAXONOMY_VERSION_KEY, version, TAXONOMY_CACHE_SECONDS)
    return version, phrases


def competence_phrases() -> dict[int, list[list[str]]]:
    """Each active competence's labels and synonyms (all languages) as lists of normalised
    words, cached: normalising the whole taxonomy costs more than a search itself. Saving
    or deleting a competence clears the cache (taxonomy_cache_clear)."""
    return _taxonomy_load()[1]


def taxonomy_cache_clear() -> None:
    cache.delete_many([TAXONOMY_CACHE_KEY, TAXONOMY_VERSION_KEY])


@dataclass
class _TaxonomyMemo:
    version: str | None = None
    phrases: dict[int, list[list[str]]] = field(default_factory=dict)
    derived: dict[str, object] = field(default_factory=dict)


class _TaxonomyMemoHolder:
    """The process's memo (shared by its threads: it is only ever replaced whole)."""

    current = _TaxonomyMemo()


_taxonomy_memo_lock = threading.Lock()


def taxonomy_derived(name: str, build: Callable[[dict[int, list[list[str]]]], T]) -> T:
    """`build(phrases)`, computed once per process and taxonomy version.

    Two cheap cache reads per call (the version, and whether the phrases are still there:
    code that deletes only TAXONOMY_CACHE_KEY invalidates too)."""
    memo = _TaxonomyMemoHolder.current
    if (
        memo.version is None
        or cache.get(TAXONOMY_VERSION_KEY) != memo.version
        or not cache.has_key(TAXONOMY_CACHE_KEY)
    ):
        version, phrases = _taxonomy_load()
        memo = _TaxonomyMemo(version=version, phrases=phrases)
        _TaxonomyMemoHolder.current = memo
    value = memo.derived.get(name)
    if value is None:
        with _taxonomy_memo_lock:
            value = memo.derived.get(name)
            if value is None:
                value = build(memo.phrases)
                memo.derived[name] = value
    return value  # type: ignore[return-value]


@dataclass(frozen=True)
class _WordIndex:
    """Every word of the taxonomy's phrases, sorted (prefix search by bisection), with the
    competences using it."""

    words: list[str]
    competences: dict[str, tuple[int, ...]]


def _word_index_build(phrases: dict[int, list[list[str]]]) -> _WordIndex:
    competences: dict[str, set[int]] = {}
    for pk, competence_phrases_ in phrases.items():
        for phrase in competence_phrases_:
            for word in phrase:
                competences.setdefault(word, set()).add(pk)
    return _WordIndex(
        words=sorted(competences), competences={w: tuple(sorted(p)) for w, p in competences.items()}
    )


def _competences_with_word(index: _WordIndex, term: str) -> set[int]:
    """Competences having a word starting with `term` (equal to it, for short words)."""
    if is_short(term):
        return set(index.competences.get(term, ()))
    found: set[int] = set()
    start = bisect.bisect_left(index.words, term)
    for word in itertools.islice(index.words, start, None):
        if not word.startswith(term):
            break
        found.update(index.competences[word])
    return found


def competences_matching(terms: list[str]) -> dict[str, list[int]]:
    """For each query word, the competences whose label or synonym (any language) has a
    word starting with it (equal to it, for short words such as "AR"): how "menuisier"
    reaches an organisation that wrote "Schreinerei"."""
    index = taxonomy_derived("word-index", _word_index_build)
    return {
        term: sorted(
            set().union(
                *(_competences_with_word(index, variant) for variant in term_variants(term))
            )
        )
        for term in terms
    }


def _tsquery_word(term: str) -> str:
    # Profile words are weights A (name), C (keywords) and D (description); B holds the
    # competence tokens, which a typed word must never reach ("cmp" finds no "cmp12").
    return f"{term}:ACD" if is_short(term) else f"{term}:*ACD"


def _sqlite_found(column: str, term: str) -> Q:
    """`term` starts a word of `column` (or is a whole word of it, when short)."""
    if is_short(term):
        return (
            Q(**{column: term})
            | Q(**{f"{column}__startswith": f"{term} "})
            | Q(**{f"{column}__endswith": f" {term}"})
            | Q(**{f"{column}__contains": f" {term} "})
        )
    return Q(**{f"{column}__startswith": term}) | Q(**{f"{column}__contains": f" {term}"})


def _matching(qs: QuerySet[Organisation], terms: list[str]) -> QuerySet[Organisation]:
    """Organisations matching every word (as a word prefix, or through a competence of the
    taxonomy), annotated with `rank`."""
    if not terms:
        return qs.annotate(rank=Value(0.0, output_field=FloatField()))
    expansions = competences_matching(terms)
    if connection.vendor == "postgresql":
        # A weighted tsvector column, generated from the normalised search columns and
        # indexed with GIN (migration 0003).
        from django.contrib.postgres.search import SearchQuery, SearchRank

        alternatives = [
            " | ".join(
                [
                    *(_tsquery_word(variant) for variant in term_variants(term)),
                    *(f"{competence_search_token(pk)}:B" for pk in expansions[term]),
                ]
            )
            for term in terms
        ]
        query = SearchQuery(
            " & ".join(f"({words})" for words in alternatives), search_type="raw", config="simple"
        )
        return (
            qs.alias(search_vector=OrganisationSearchVector())
            .filter(search_vector=query)
            .annotate(rank=SearchRank(OrganisationSearchVector(), query))
        )
    # SQLite: every word must start a word of a column, or name one of the organisation's
    # competences; rank by where it was found.
    rank = Value(0.0, output_field=FloatField())
    for term in terms:
        found_any = Q()
        for column, weight in FIELD_WEIGHTS:
            found = Q(pk__in=[])
            if column == "search_competences":
                for pk in expansions[term]:
                    found |= Q(search_competences__contains=f"{competence_search_token(pk)} ")
            else:
                for variant in term_variants(term):
                    found |= _sqlite_found(column, variant)
            found_any |= found
            rank = rank + Case(When(found, then=Value(weight)), default=Value(0.0))
        qs = qs.filter(found_any)
    return qs.annotate(rank=rank)


def _by_facets(
    qs: QuerySet[Organisation], filters: DirectoryFilters, *, skip: str = ""
) -> QuerySet:
    """Within a facet the choices add up (any of them); facets narrow each other."""
    through_sector = Organisation.sectors.through
    through_competence = Organisation.competences.through
    if filters.sectors and skip != "sector":
        qs = qs.filter(
            Exists(
                through_sector.objects.filter(
                    organisation_id=OuterRef("pk"), sector__slug__in=filters.sectors
                )
            )
        )
    if filters.competences and skip != "competence":
        qs = qs.filter(
            Exists(
                through_competence.objects.filter(
                    organisation_id=OuterRef("pk"), competence__slug__in=filters.competences
                )
            )
        )
    if filters.communes and skip != "commune":
        qs = qs.filter(commune__slug__in=filters.communes)
    if filters.sizes and skip != "size":
        qs = qs.filter(size_band__in=filters.sizes)
    if filters.kinds and skip != "kind":
        qs = qs.filter(kind__in=filters.kinds)
    return qs


FacetCounts = dict[str, dict[str, int]]  # facet name -> option key -> organisations


def _facet_counts_orm(matching: QuerySet[Organisation], filters: DirectoryFilters) -> FacetCounts:
    """Portable counting, one query per facet (SQLite, the embedded default)."""

    def ids(skip: str) -> QuerySet:
        return _by_facets(matching, filters, skip=skip).values("pk")

    def grouped(qs: QuerySet, column: str) -> dict[str, int]:
        rows = qs.values_list(column).annotate(n=Count("pk")).order_by()
        return {str(key): n for key, n in rows}

    return {
        "sector": grouped(
            Organisation.sectors.through.objects.filter(organisation_id__in=ids("sector")),
            "sector_id",
        ),
        "competence": grouped(
            Organisation.competences.through.objects.filter(organisation_id__in=ids("competence")),
            "competence_id",
        ),
        "commune": grouped(Organisation.objects.filter(pk__in=ids("commune")), "commune_id"),
        "size": grouped(Organisation.objects.filter(pk__in=ids("size")), "size_band"),
        "kind": grouped(Organisation.objects.filter(pk__in=ids("kind")), "kind"),
    }


def _facets(counts: FacetCounts, filters: DirectoryFilters) -> list[Facet]:
    """Facet options with their labels, the chosen ones always shown."""

    def option(key: str, value: str, label: str, chosen: tuple[str, ...], facet: str):
        return FacetOption(value, label, counts[facet].get(key, 0), value in chosen)

    sectors = Facet(
        "sector",
        [
            option(str(s.pk), s.slug, s.name, filters.sectors, "sector")
            for s in Sector.objects.all()
        ],
    )
    top = sorted(counts["competence"].items(), key=lambda item: -item[1])[:FACET_SIZE]
    shown = Competence.objects.filter(
        Q(pk__in=[int(key) for key, _n in top]) | Q(slug__in=filters.competences)
    )
    competences = Facet(
        "competence",
        sorted(
            (option(str(c.pk), c.slug, c.label, filters.competences, "competence") for c in shown),
            key=lambda o: (-o.count, o.label),
        ),
    )
    top_communes = sorted(counts["commune"].items(), key=lambda item: -item[1])[:FACET_SIZE]
    communes = Facet(
        "commune",
        sorted(
            (
                option(str(c.pk), c.slug, c.name, filters.communes, "commune")
                for c in Commune.objects.filter(
                    Q(pk__in=[int(key) for key, _n in top_communes]) | Q(slug__in=filters.communes)
                )
            ),
            key=lambda o: (-o.count, o.label),
        ),
    )
    sizes = Facet(
        "size",
        [option(v, v, str(label), filters.sizes, "size") for v, label in Organisation.Size.choices],
    )
    kinds = Facet(
        "kind",
        [option(v, v, str(label), filters.kinds, "kind") for v, label in Organisation.Kind.choices],
    )
    return [sectors, competences, communes, sizes, kinds]


def _results(matching: QuerySet[Organisation], filters: DirectoryFilters, terms: list[str]):
    results = _by_facets(matching, filters)
    sort = filters.sort if filters.sort in SORTS else "relevance"
    if sort == "relevance" and terms:
        results = results.order_by("-rank", "name")
    elif sort == "newest":
        results = results.order_by(F("member_since").desc(nulls_last=True), "name")
    else:
        results = results.order_by("name")
    return results.select_related("commune").prefetch_related(
        "sectors", Prefetch("competences", queryset=Competence.objects.order_by("label_en"))
    )


def directory_search(*, filters: DirectoryFilters) -> DirectoryResult:
    terms = search_terms(filters.query)[:8]
    if connection.vendor == "postgresql":
        return _directory_search_postgres(filters, terms)
    matching = _matching(directory_public(), terms)
    counts = _facet_counts_orm(matching, filters)
    page = Paginator(_results(matching, filters, terms), PAGE_SIZE).get_page(filters.page)
    page.object_list = list(page.object_list)
    _cards_attach(page.object_list)
    return DirectoryResult(page=page, facets=_facets(counts, filters), filters=filters, terms=terms)


EXPORT_COLUMNS = (
    ("name", _("Name")),
    ("kind", _("Kind")),
    ("size", _("Size")),
    ("headcount", _("Headcount")),
    ("founded", _("Founding year")),
    ("commune", _("Commune")),
    ("canton", _("Canton")),
    ("sectors", _("Sectors")),
    ("nace", _("Main NACE class")),
    ("competences", _("Competences")),
    ("email", _("Contact e-mail")),
    ("phone", _("Contact phone")),
    ("website", _("Website")),
    ("member_since", _("Member since")),
    ("profile", _("Profile")),
)


def directory_export_rows(*, filters: DirectoryFilters) -> Iterator[dict[str, object]]:
    """Every organisation of the filtered directory (not one page), for cluster managers.

    Read in chunks with their relations prefetched: a bounded number of queries per chunk.
    """
    terms = search_terms(filters.query)[:8]
    results = (
        _by_facets(_matching(directory_public(), terms), filters)
        .order_by("name")
        .select_related("commune")
        .prefetch_related(
            "sectors",
            Prefetch("competences", queryset=Competence.objects.order_by("label_en")),
            Prefetch(
                "organisationnace_set",
                queryset=OrganisationNace.objects.filter(is_primary=True).select_related(
                    "nace_class"
                ),
            ),
        )
    )
    for organisation in results.iterator(chunk_size=1000):
        primary = next(iter(organisation.organisationnace_set.all()), None)
        yield {
            "name": organisation.name,
            "kind": organisation.get_kind_display(),
            "size": organisation.get_size_band_display(),
            "headcount": organisation.headcount,
            "founded": organisation.founded_year,
            "commune": organisation.commune.name,
            "canton": organisation.commune.canton,
            "sectors": ", ".join(s.name for s in organisation.sectors.all()),
            "nace": primary.nace_class.code if primary else "",
            "competences": ", ".join(c.label for c in organisation.competences.all()),
            "email": organisation.email,
            "phone": organisation.phone,
            "website": organisation.website,
            "member_since": organisation.member_since,
            "profile": reverse("cluster:profile", args=[organisation.slug]),
        }


@dataclass
class ClusterSummary:
    """The cluster's profile as the European Cluster Collaboration Platform asks for it."""

    members: int
    kinds_of_member: int
    by_kind: list[tuple[str, int]]
    by_sector: list[tuple[str, int]]
    by_size: list[tuple[str, int]]
    by_canton: list[tuple[str, int]]
    by_commune: list[tuple[str, int]]


def cluster_summary() -> ClusterSummary:
    """Counts over every member, listed in the directory or not (statistics, not profiles)."""
    members = Organisation.objects.filter(status=Organisation.Status.MEMBER)
    kinds = dict(Organisation.Kind.choices)
    sizes = dict(Organisation.Size.choices)
    by_kind = [
        (str(kinds[key]), n)
        for key, n in members.values_list("kind").annotate(n=Count("pk")).order_by("-n", "kind")
    ]
    by_size_counts = dict(members.values_list("size_band").annotate(n=Count("pk")).order_by())
    sector_counts = dict(
        Organisation.sectors.through.objects.filter(organisation__in=members)
        .values_list("sector_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    commune_rows = (
        members.values_list("commune__name", "commune__canton")
        .annotate(n=Count("pk"))
        .order_by("-n", "commune__name")
    )
    by_canton: dict[str, int] = {}
    for _name, canton, n in commune_rows:
        by_canton[canton] = by_canton.get(canton, 0) + n
    return ClusterSummary(
        members=members.count(),
        kinds_of_member=len(by_kind),
        by_kind=by_kind,
        by_sector=[(s.name, sector_counts.get(s.pk, 0)) for s in Sector.objects.all()],
        by_size=[(str(label), by_size_counts.get(key, 0)) for key, label in sizes.items()],
        by_canton=sorted(by_canton.items(), key=lambda item: (-item[1], item[0])),
        by_commune=[(name, n) for name, _canton, n in commune_rows],
    )


def organisation_profile(*, slug: str, viewer: User | None = None) -> Organisation:
    """A member's public profile; its own people and cluster managers also see it before."""
    organisation = (
        Organisation.objects.select_related("commune")
        .prefetch_related(
            "sectors",
            Prefetch("competences", queryset=Competence.objects.order_by("label_en")),
            Prefetch(
                "organisationnace_set",
                queryset=OrganisationNace.objects.select_related("nace_class").order_by(
                    "-is_primary", "nace_class__code"
                ),
            ),
        )
        .filter(slug=slug)
        .first()
    )
    if organisation is None or not organisation_visible_to(
        organisation=organisation, viewer=viewer
    ):
        raise Http404
    return organisation


def organisation_visible_to(*, organisation: Organisation, viewer: User | None) -> bool:
    if organisation.is_public:
        return True
    if viewer is None or not viewer.is_authenticated:
        return False
    return (
        viewer.has_perm("accounts.manage_cluster")
        or organisation.memberships.filter(user=viewer).exists()
    )


def organisation_managed_by(*, user: User, slug: str) -> Organisation:
    """An organisation `user` owns or administers; 404 for anyone else."""
    organisation = Organisation.objects.filter(
        slug=slug,
        memberships__user=user,
        memberships__role__in=[OrganisationPerson.Role.OWNER, OrganisationPerson.Role.ADMIN],
    ).first()
    if organisation is None:
        raise Http404
    return organisation


def organisation_export_data(*, organisation: Organisation) -> dict:
    """Everything Fabreck holds about an organisation, for its admins to take away."""
    fields = {
        field.name: getattr(organisation, field.attname)
        for field in Organisation._meta.concrete_fields
        if not field.name.startswith("search_") and field.name not in {"id", "logo", "commune"}
    }
    return {
        **fields,
        "logo": organisation.logo.name or None,
        "commune": organisation.commune.slug,
        "sectors": list(organisation.sectors.values_list("slug", flat=True)),
        "competences": list(organisation.competences.values_list("slug", flat=True)),
        "nace_classes": [
            {"code": code, "primary": primary}
            for code, primary in organisation.organisationnace_set.values_list(
                "nace_class__code", "is_primary"
            )
        ],
        "people": [
            {"email": email, "name": f"{first} {last}".strip(), "role": role, "joined_at": joined}
            for email, first, last, role, joined in organisation.memberships.values_list(
                "user__email", "user__first_name", "user__last_name", "role", "joined_at"
            ).order_by("joined_at")
        ],
    }


def organisations_of(*, user: User) -> QuerySet[OrganisationPerson]:
    return (
        OrganisationPerson.objects.filter(user=user)
        .select_related("organisation", "organisation__commune")
        .order_by("organisation__name")
    )


def membership_queue() -> QuerySet[Organisation]:
    """Applications waiting for a cluster manager's decision, oldest first."""
    return (
        Organisation.objects.filter(
            status__in=[Organisation.Status.APPLIED, Organisation.Status.UNDER_REVIEW]
        )
        .select_related("commune")
        .prefetch_related("sectors")
        .order_by("created_at")
    )


# --- Search on PostgreSQL: one statement over the narrow search table ---------------------
#
# cluster_directory_entry (migration 0007, kept by triggers) holds the public directory's
# organisations: the facet columns, the sort columns and one unweighted document holding
# every word that finds each one (its own and its competences' in every language). The
# statement matches once, counts every facet (each ignoring its own choices), counts the
# results, and ranks only them (ts_rank on cluster_organisation.search_vector, with the
# taxonomy expansion as before) to pick the page; reference labels come along.

DIRECTORY_SQL = """
WITH p AS MATERIALIZED (
    SELECT
        ARRAY(SELECT id FROM cluster_sector WHERE slug = ANY(%(sectors)s)) AS sector_ids,
        ARRAY(SELECT id FROM cluster_competence WHERE slug = ANY(%(competences)s))
            AS competence_ids,
        ARRAY(SELECT id FROM cluster_commune WHERE slug = ANY(%(communes)s)) AS commune_ids
),
m AS MATERIALIZED (
    SELECT * FROM (
        SELECT e.organisation_id AS id, e.commune_id, e.size_band, e.kind, e.name,
            e.member_since, e.sector_ids, e.competence_ids,
            (%(any_sector)s OR e.sector_ids && p.sector_ids) AS ok_sector,
            (%(any_competence)s OR e.competence_ids && p.competence_ids) AS ok_competence,
            (%(any_commune)s OR e.commune_id = ANY(p.commune_ids)) AS ok_commune,
            (%(any_size)s OR e.size_band = ANY(%(sizes)s)) AS ok_size,
            (%(any_kind)s OR e.kind = ANY(%(kinds)s)) AS ok_kind
        FROM cluster_directory_entry e CROSS JOIN p
        WHERE {match}
    ) x
    -- Failing two facets, an organisation counts nowhere.
    WHERE ok_sector::int + ok_competence::int + ok_commune::int + ok_size::int
        + ok_kind::int >= 4
),
hits AS MATERIALIZED (
    SELECT id, name, member_since, sector_ids, competence_ids FROM m
    WHERE ok_sector AND ok_competence AND ok_commune AND ok_size AND ok_kind
),
number AS (
    SELECT total, CASE WHEN %(page)s BETWEEN 1 AND pages THEN %(page)s ELSE pages END
        AS number
    FROM (SELECT count(*) AS total,
                 greatest(1, ceil(count(*) / %(per_page)s::numeric))::int AS pages
          FROM hits) t
),
ranked AS (
    SELECT id, rank, row_number() OVER (ORDER BY {order}) AS position FROM ({ranked}) r
),
page AS MATERIALIZED (
    SELECT ranked.id, ranked.position, ranked.rank, hits.sector_ids, hits.competence_ids
    FROM ranked JOIN hits ON hits.id = ranked.id, number
    WHERE ranked.position > (number.number - 1) * %(per_page)s
      AND ranked.position <= number.number * %(per_page)s
),
sector_counts AS (
    SELECT unnest(sector_ids) AS id, count(*) AS n FROM m
    WHERE ok_competence AND ok_commune AND ok_size AND ok_kind GROUP BY 1
),
competence_counts AS (
    SELECT unnest(competence_ids) AS id, count(*) AS n FROM m
    WHERE ok_sector AND ok_commune AND ok_size AND ok_kind GROUP BY 1
),
commune_counts AS (
    SELECT commune_id AS id, count(*) AS n FROM m
    WHERE ok_sector AND ok_competence AND ok_size AND ok_kind GROUP BY 1
)
SELECT 'page', id, NULL, NULL, NULL, NULL, 0::bigint, position, rank, sector_ids,
    competence_ids
FROM page
UNION ALL
SELECT 'total', number, NULL, NULL, NULL, NULL, total, NULL, NULL, NULL, NULL FROM number
UNION ALL
SELECT 'sector', s.id, s.slug, s.name_en, s.name_fr, s.name_de, coalesce(c.n, 0),
    row_number() OVER (ORDER BY s.position, s.slug), NULL, NULL, NULL
FROM cluster_sector s LEFT JOIN sector_counts c ON c.id = s.id
UNION ALL
-- The competences of the page's organisations, in the order their profiles list them.
SELECT 'label', k.id, k.slug, k.label_en, k.label_fr, k.label_de, NULL,
    row_number() OVER (ORDER BY k.label_en), NULL, NULL, NULL
FROM cluster_competence k
WHERE k.id IN (SELECT unnest(competence_ids) FROM page)
UNION ALL
SELECT 'competence', k.id, k.slug, k.label_en, k.label_fr, k.label_de, coalesce(c.n, 0),
    NULL, NULL, NULL, NULL
FROM cluster_competence k LEFT JOIN competence_counts c ON c.id = k.id
WHERE k.id IN (SELECT id FROM competence_counts ORDER BY n DESC, id LIMIT %(facet_size)s)
   OR k.slug = ANY(%(competences)s)
UNION ALL
SELECT 'commune', k.id, k.slug, k.name, NULL, NULL, coalesce(c.n, 0), NULL, NULL, NULL,
    NULL
FROM cluster_commune k LEFT JOIN commune_counts c ON c.id = k.id
WHERE k.id IN (SELECT id FROM commune_counts ORDER BY n DESC, id LIMIT %(facet_size)s)
   OR k.slug = ANY(%(communes)s)
UNION ALL
SELECT 'size', NULL, size_band, NULL, NULL, NULL, count(*), NULL, NULL, NULL, NULL FROM m
WHERE ok_sector AND ok_competence AND ok_commune AND ok_kind GROUP BY size_band
UNION ALL
SELECT 'kind', NULL, kind, NULL, NULL, NULL, count(*), NULL, NULL, NULL, NULL FROM m
WHERE ok_sector AND ok_competence AND ok_commune AND ok_size GROUP BY kind
"""
# Ranking reads the wide table, for the results only; sorting by name or date does not.
RANKED_BY_RELEVANCE = """
    SELECT hits.id, hits.name, hits.member_since,
        ts_rank(o.search_vector, to_tsquery('simple', %(rank_query)s)) AS rank
    FROM hits JOIN cluster_organisation o ON o.id = hits.id
"""
RANKED_BY_COLUMNS = "SELECT id, name, member_since, NULL::real AS rank FROM hits"
ORDERS = {
    "relevance": "rank DESC, name, id",
    "name": "name, id",
    "newest": "member_since DESC NULLS LAST, name, id",
}


def _document_query(terms: list[str]) -> str:
    """Every word must start a word of the document (or be one, when short)."""
    return " & ".join(
        "(" + " | ".join(v if is_short(v) else f"{v}:*" for v in term_variants(t)) + ")"
        for t in terms
    )


def _rank_query(terms: list[str]) -> str:
    """The weighted query the ranking has always used: typed words in the profile's own
    text (weights A, C, D), or the competences they name (B)."""
    expansions = competences_matching(terms)
    return " & ".join(
        "("
        + " | ".join(
            [
                *(_tsquery_word(variant) for variant in term_variants(term)),
                *(f"{competence_search_token(pk)}:B" for pk in expansions[term]),
            ]
        )
        + ")"
        for term in terms
    )


class _Labels:
    """A reference row's labels as `localized` reads them."""

    def __init__(self, en: str, fr: str | None, de: str | None) -> None:
        self.label_en, self.label_fr, self.label_de = en, fr or "", de or ""


def _directory_search_postgres(filters: DirectoryFilters, terms: list[str]) -> DirectoryResult:
    sort = filters.sort if filters.sort in SORTS else "relevance"
    if sort == "relevance" and not terms:
        sort = "name"
    sql = DIRECTORY_SQL.format(
        match="e.document @@ to_tsquery('simple', %(match)s)" if terms else "true",
        ranked=RANKED_BY_RELEVANCE if sort == "relevance" else RANKED_BY_COLUMNS,
        order=ORDERS[sort],
    )
    params = {
        "match": _document_query(terms),
        "rank_query": _rank_query(terms) if sort == "relevance" else "",
        "sectors": list(filters.sectors), "any_sector": not filters.sectors,
        "competences": list(filters.competences), "any_competence": not filters.competences,
        "communes": list(filters.communes), "any_commune": not filters.communes,
        "sizes": list(filters.sizes), "any_size": not filters.sizes,
        "kinds": list(filters.kinds), "any_kind": not filters.kinds,
        "page": filters.page, "per_page": PAGE_SIZE, "facet_size": FACET_SIZE,
    }  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()

    page_rows = sorted((r for r in rows if r[0] == "page"), key=lambda r: r[7])
    number, total = next((r[1], r[6]) for r in rows if r[0] == "total")
    loaded = Organisation.objects.select_related("commune").in_bulk([r[1] for r in page_rows])
    page_rows = [r for r in page_rows if r[1] in loaded]  # (deleted in between)
    organisations = [loaded[r[1]] for r in page_rows]
    _relations_on_demand(organisations)
    card = _CardMaker()
    language = card.language
    sectors = {
        r[1]: (r[7], localized(_Labels(*r[3:6]), "label", language=language))
        for r in rows
        if r[0] == "sector"
    }
    competences = {
        r[1]: (r[7], localized(_Labels(*r[3:6]), "label", language=language))
        for r in rows
        if r[0] == "label"
    }
    for organisation, row in zip(organisations, page_rows, strict=True):
        organisation.rank = row[8] if row[8] is not None else 0.0
        organisation.card = card(
            organisation,
            sectors=[sectors[pk][1] for pk in sorted(row[9], key=lambda pk: sectors[pk][0])],
            competences=[
                competences[pk][1] for pk in sorted(row[10], key=lambda pk: competences[pk][0])
            ],
        )
    paginator = Paginator(_LazyResults(filters, terms), PAGE_SIZE)
    paginator.__dict__["count"] = total  # counted by the statement
    page = Page(organisations, number, paginator)
    return DirectoryResult(
        page=page, facets=_facets_from_rows(rows, filters), filters=filters, terms=terms
    )


class _PrefetchOnDemand(dict):
    """An organisation's prefetch cache that fills itself, for the whole page at once, the
    first time anyone reads its sectors or competences (the API does, the page does not):
    such reads cost one query per relation for the page, as after prefetch_related."""

    lookups: ClassVar[dict[str, Callable[[], Prefetch]]] = {
        "sectors": lambda: Prefetch("sectors"),
        "competences": lambda: Prefetch(
            "competences", queryset=Competence.objects.order_by("label_en")
        ),
    }

    def __init__(self, page: list[Organisation], loading: set[str]) -> None:
        super().__init__()
        self.page, self.loading = page, loading  # both shared by the page's caches

    def __missing__(self, key: str):
        if key not in self.lookups or key in self.loading:
            raise KeyError(key)  # (while prefetching, Django asks for the plain query set)
        self.loading.add(key)
        try:
            prefetch_related_objects(
                [o for o in self.page if key not in o._prefetched_objects_cache],
                self.lookups[key](),
            )
        finally:
            self.loading.discard(key)
        return dict.__getitem__(self, key)


def _relations_on_demand(organisations: list[Organisation]) -> None:
    loading: set[str] = set()
    for organisation in organisations:
        organisation._prefetched_objects_cache = _PrefetchOnDemand(organisations, loading)


class _LazyResults:
    """The paginator's whole result list, built as a query set only if someone asks for
    another page than the one the statement picked."""

    def __init__(self, filters: DirectoryFilters, terms: list[str]) -> None:
        self._filters, self._terms, self._results = filters, terms, None

    def _get(self) -> QuerySet[Organisation]:
        if self._results is None:
            matching = _matching(directory_public(), self._terms)
            self._results = _results(matching, self._filters, self._terms)
        return self._results

    def __getitem__(self, item):
        return self._get()[item]

    def __len__(self) -> int:
        return self._get().count()

    ordered = True  # Paginator's check: the order is the query set's


def _facets_from_rows(rows: list[tuple], filters: DirectoryFilters) -> list[Facet]:
    def options(facet: str, chosen: tuple[str, ...], label) -> list[FacetOption]:
        return [FacetOption(r[2], label(r), r[6], r[2] in chosen) for r in rows if r[0] == facet]

    def by_count(facet_options: list[FacetOption]) -> list[FacetOption]:
        return sorted(facet_options, key=lambda o: (-o.count, o.label))

    sector_rows = sorted((r for r in rows if r[0] == "sector"), key=lambda r: r[7])
    sectors = [
        FacetOption(r[2], localized(_Labels(*r[3:6]), "label"), r[6], r[2] in filters.sectors)
        for r in sector_rows
    ]
    competences = options(
        "competence", filters.competences, lambda r: localized(_Labels(*r[3:6]), "label")
    )
    communes = options("commune", filters.communes, lambda r: r[3])
    size_counts = {r[2]: r[6] for r in rows if r[0] == "size"}
    kind_counts = {r[2]: r[6] for r in rows if r[0] == "kind"}
    return [
        Facet("sector", sectors),
        Facet("competence", by_count(competences)),
        Facet("commune", by_count(communes)),
        Facet(
            "size",
            [
                FacetOption(v, str(label), size_counts.get(v, 0), v in filters.sizes)
                for v, label in Organisation.Size.choices
            ],
        ),
        Facet(
            "kind",
            [
                FacetOption(v, str(label), kind_counts.get(v, 0), v in filters.kinds)
                for v, label in Organisation.Kind.choices
            ],
        ),
    ]


# --- Directory cards: what a result shows, in plain strings --------------------------------
#
# A page of results shows 20 organisations with their kind, size, sectors and first
# competences. Template look-ups through model methods (get_kind_display rebuilds its
# choices on every call, each label asks for the active language, each {% url %}
# resolves the URL) cost more than the search itself; so each page's cards are computed
# once here, in the reader's language.

CARD_COMPETENCES = 6


class _CardMaker:
    """Cards in the reader's language; what is the same for every card, computed once."""

    def __init__(self) -> None:
        self.language = get_language() or settings.LANGUAGE_CODE
        placeholder = "--slug--"
        prefix, _, suffix = reverse("cluster:profile", args=[placeholder]).partition(placeholder)
        self.url = (prefix, suffix)
        self.kinds = {value: str(label) for value, label in Organisation.Kind.choices}
        self.sizes = {value: str(label) for value, label in Organisation.Size.choices}

    def __call__(
        self, organisation: Organisation, *, sectors: list[str], competences: list[str]
    ) -> dict:
        return {
            "url": f"{self.url[0]}{organisation.slug}{self.url[1]}",
            "kind": self.kinds.get(organisation.kind, organisation.kind),
            "size": self.sizes.get(organisation.size_band, organisation.size_band),
            "sectors": sectors,
            "competences": competences[:CARD_COMPETENCES],
        }


def _cards_attach(organisations: list[Organisation]) -> None:
    """Give each organisation (sectors and competences prefetched) a `card` dict."""
    card = _CardMaker()
    for organisation in organisations:
        organisation.card = card(
            organisation,
            sectors=[
                localized(s, "name", language=card.language) for s in organisation.sectors.all()
            ],
            competences=[
                localized(c, "label", language=card.language)
                for c in organisation.competences.all()
            ],
        )
