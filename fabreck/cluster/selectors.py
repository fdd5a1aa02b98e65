"""Reads of the cluster: the public directory with search and facets, profiles, queues."""

from __future__ import annotations

import bisect
import functools
import itertools
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import ClassVar, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection, connections
from django.db.models import (
    Case,
    Count,
    Exists,
    Expression,
    F,
    FloatField,
    Model,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.signals import post_init, pre_init
from django.http import Http404
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.translation import get_language, override
from django.utils.translation import gettext_lazy as _

from fabreck.accounts.models import User
from fabreck.cluster.models import (
    ORGANISATION_PROFILE_FIELDS,
    Commune,
    Competence,
    Organisation,
    OrganisationInvitation,
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
    # Only the startups the incubator hosts now (Organisation.incubated).
    incubated: bool = False


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool


# Each facet's heading on the directory page (one look-up, not a chain of template tests).
FACET_LEGENDS = {
    "sector": _("Sector"),
    "competence": _("Competence"),
    "commune": _("Commune"),
    "size": _("Size"),
    "kind": _("Kind"),
}


@dataclass
class Facet:
    name: str  # the query parameter
    options: list[FacetOption] = field(default_factory=list)

    @property
    def legend(self) -> str:
        return FACET_LEGENDS[self.name]


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
    if filters.incubated:  # not a facet: it narrows every count
        qs = qs.filter(incubated=True)
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
            "portfolio_items",
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


def organisation_is_managed_by(*, organisation: Organisation, user: User) -> bool:
    if not user.is_authenticated:
        return False
    return organisation.memberships.filter(
        user=user, role__in=[OrganisationPerson.Role.OWNER, OrganisationPerson.Role.ADMIN]
    ).exists()


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


# --- Editing a profile and its people ------------------------------------------------


def organisation_form_initial(*, organisation: Organisation) -> dict[str, object]:
    """The profile as the application form's fields: to edit it, or to patch it by API."""
    initial: dict[str, object] = {
        name: getattr(organisation, name)
        for name in ORGANISATION_PROFILE_FIELDS
        if name != "commune"
    }
    links = list(organisation.organisationnace_set.values_list("nace_class__code", "is_primary"))
    return initial | {
        "slug": organisation.slug,
        "commune": organisation.commune.slug,
        "sectors": list(organisation.sectors.values_list("slug", flat=True)),
        "competences": list(organisation.competences.values_list("slug", flat=True)),
        "primary_nace": next((code for code, primary in links if primary), None),
        "secondary_nace": [code for code, primary in links if not primary],
    }


@dataclass
class OrganisationPeople:
    people: list[OrganisationPerson]
    pending_invitations: list[OrganisationInvitation]
    viewer_role: str


def organisation_people(*, organisation: Organisation, viewer: User) -> OrganisationPeople:
    """Who belongs to the organisation and who is invited; for its own people only."""
    people = list(organisation.memberships.select_related("user").order_by("role", "user__email"))
    viewer_role = next((p.role for p in people if p.user_id == viewer.pk), None)
    if viewer_role is None:
        raise Http404
    pending = list(
        organisation.invitations.filter(
            accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
        ).select_related("invited_by")
    )
    return OrganisationPeople(people=people, pending_invitations=pending, viewer_role=viewer_role)


# --- Collaboration requests (issue 3, item 6) -------------------------------------------
# Imports of this section stay here so that the section merges as one block.
from datetime import datetime  # noqa: E402

from django.db.models import Max  # noqa: E402

from fabreck.cluster.models import CollaborationMessage, CollaborationRequest  # noqa: E402

COLLABORATION_PAGE_SIZE = 20
CONVERSATION_PAGE_SIZE = 20
THREAD_MAX_MESSAGES = 500


@dataclass(frozen=True)
class CollaborationFilters:
    kind: str = ""
    competences: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    query: str = ""
    own: bool = False  # only the requests of the viewer's organisations, closed ones too
    page: int = 1


def _collaboration_matching(qs: QuerySet, terms: list[str]) -> QuerySet:
    """Requests whose title or description has every word (as a word prefix), or that
    name a competence the word designates in any language."""
    if not terms:
        return qs
    through = CollaborationRequest.competences.through
    expansions = competences_matching(terms)
    for term in terms:
        found = Q(pk__in=[])
        for variant in term_variants(term):
            found |= _sqlite_found("search_text", variant)
        if expansions[term]:
            found |= Exists(
                through.objects.filter(
                    collaborationrequest_id=OuterRef("pk"), competence_id__in=expansions[term]
                )
            )
        qs = qs.filter(found)
    return qs


def collaboration_requests_open(*, filters: CollaborationFilters, viewer: User) -> Page:
    """Open requests of member organisations whose deadline has not passed (or, with
    `own`, every request of the viewer's organisations), newest first, one page."""
    through = CollaborationRequest.competences.through
    qs = CollaborationRequest.objects.all()
    if filters.own:
        qs = qs.filter(organisation__memberships__user=viewer)
    else:
        qs = qs.filter(
            Q(deadline__isnull=True) | Q(deadline__gte=timezone.localdate()),
            status=CollaborationRequest.Status.OPEN,
            organisation__status=Organisation.Status.MEMBER,
        )
    if filters.kind in CollaborationRequest.Kind.values:
        qs = qs.filter(kind=filters.kind)
    if filters.competences:
        qs = qs.filter(
            Exists(
                through.objects.filter(
                    collaborationrequest_id=OuterRef("pk"), competence__slug__in=filters.competences
                )
            )
        )
    if filters.sectors:
        # A request belongs to the sectors of the competences it names.
        qs = qs.filter(
            Exists(
                through.objects.filter(
                    collaborationrequest_id=OuterRef("pk"),
                    competence__sector__slug__in=filters.sectors,
                )
            )
        )
    qs = _collaboration_matching(qs, search_terms(filters.query)[:8])
    qs = (
        qs.select_related("organisation")
        .prefetch_related(Prefetch("competences", queryset=Competence.objects.order_by("label_en")))
        .order_by("-created_at", "-pk")
    )
    return Paginator(qs, COLLABORATION_PAGE_SIZE).get_page(filters.page)


def organisation_ids_of(*, user: User) -> set[int]:
    """The organisations `user` belongs to, whatever their role."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(
        OrganisationPerson.objects.filter(user=user).values_list("organisation_id", flat=True)
    )


def collaboration_request_detail(*, pk: int, viewer: User) -> CollaborationRequest:
    """A request as its page shows it. Open requests of members are seen by every
    logged-in user; closed ones by the request's people, those who wrote about it and
    cluster managers. 404 for anyone else."""
    request = (
        CollaborationRequest.objects.select_related("organisation", "author")
        .prefetch_related(
            Prefetch(
                "competences",
                queryset=Competence.objects.select_related("sector").order_by("label_en"),
            )
        )
        .filter(pk=pk)
        .first()
    )
    if request is None or not getattr(viewer, "is_authenticated", False):
        raise Http404
    public = request.is_open and request.organisation.status == Organisation.Status.MEMBER
    if not public and not viewer.has_perm("accounts.manage_cluster"):
        mine = organisation_ids_of(user=viewer)
        if request.organisation_id not in mine and not (
            CollaborationMessage.objects.filter(request=request)
            .filter(Q(sender_organisation_id__in=mine) | Q(recipient_organisation_id__in=mine))
            .exists()
        ):
            raise Http404
    return request


@dataclass
class Conversation:
    """The messages between a request's organisation and one other organisation."""

    request: CollaborationRequest
    counterpart: Organisation  # the organisation that is not the request's
    messages: int
    last_at: datetime
    last: CollaborationMessage | None = None

    def other_side(self, organisation_ids: set[int]) -> Organisation:
        """The organisation a reader from `organisation_ids` talks to."""
        if self.counterpart.pk in organisation_ids:
            return self.request.organisation
        return self.counterpart


def _conversation_rows(messages: QuerySet[CollaborationMessage]) -> QuerySet:
    """Messages grouped by conversation (request, counterpart), latest first: one
    aggregate query, then the requests, organisations and last messages in three."""
    counterpart = Case(
        When(
            sender_organisation_id=F("request__organisation_id"),
            then=F("recipient_organisation_id"),
        ),
        default=F("sender_organisation_id"),
    )
    return (
        messages.annotate(counterpart=counterpart)
        .values("request_id", "counterpart")
        .annotate(n=Count("pk"), last_at=Max("created_at"), last_id=Max("pk"))
        .order_by("-last_at", "-last_id")
    )


def _conversations_load(rows: list[dict]) -> list[Conversation]:
    requests = CollaborationRequest.objects.select_related("organisation").in_bulk(
        {row["request_id"] for row in rows}
    )
    organisations = Organisation.objects.in_bulk({row["counterpart"] for row in rows})
    last = CollaborationMessage.objects.select_related("sender_organisation").in_bulk(
        {row["last_id"] for row in rows}
    )
    return [
        Conversation(
            request=requests[row["request_id"]],
            counterpart=organisations[row["counterpart"]],
            messages=row["n"],
            last_at=row["last_at"],
            last=last.get(row["last_id"]),
        )
        for row in rows
    ]


def collaboration_inbox(*, viewer: User, page: int = 1) -> tuple[Page, set[int]]:
    """The conversations of every organisation the viewer belongs to, latest first, one
    page; and the ids of those organisations (to tell the other side)."""
    mine = organisation_ids_of(user=viewer)
    messages = CollaborationMessage.objects.filter(
        Q(sender_organisation_id__in=mine) | Q(recipient_organisation_id__in=mine)
    )
    paginated = Paginator(_conversation_rows(messages), CONVERSATION_PAGE_SIZE)
    result = paginated.get_page(page)
    result.object_list = _conversations_load(list(result.object_list))
    return result, mine


def collaboration_request_conversations(
    *, request: CollaborationRequest, viewer: User
) -> list[Conversation]:
    """The conversations about a request that the viewer's organisations take part in
    (all of them, for the request's own people)."""
    mine = organisation_ids_of(user=viewer)
    messages = CollaborationMessage.objects.filter(request=request)
    if request.organisation_id not in mine:
        messages = messages.filter(
            Q(sender_organisation_id__in=mine) | Q(recipient_organisation_id__in=mine)
        )
    return _conversations_load(list(_conversation_rows(messages)[:100]))


@dataclass
class Thread:
    request: CollaborationRequest
    counterpart: Organisation  # the organisation that is not the request's
    me: Organisation  # the side the viewer writes for
    other: Organisation  # the side the viewer writes to
    messages: list[CollaborationMessage]


def collaboration_thread(*, request_pk: int, counterpart_slug: str, viewer: User) -> Thread:
    """A conversation as one of its two sides sees it; 404 for anyone else. The request's
    people may open one with an organisation of the directory to contact it."""
    request = (
        CollaborationRequest.objects.select_related("organisation").filter(pk=request_pk).first()
    )
    counterpart = Organisation.objects.filter(slug=counterpart_slug).first()
    if request is None or counterpart is None or counterpart.pk == request.organisation_id:
        raise Http404
    mine = organisation_ids_of(user=viewer)
    if counterpart.pk in mine:
        me, other = counterpart, request.organisation
    elif request.organisation_id in mine:
        me, other = request.organisation, counterpart
    else:
        raise Http404
    messages = list(
        CollaborationMessage.objects.filter(request=request)
        .filter(Q(sender_organisation=counterpart) | Q(recipient_organisation=counterpart))
        .select_related("sender", "sender_organisation", "recipient_organisation")
        .order_by("-created_at", "-pk")[:THREAD_MAX_MESSAGES]
    )
    messages.reverse()
    if not messages and me.pk == request.organisation_id and not counterpart.is_public:
        raise Http404  # no conversation yet, and not in the directory: nothing to show
    return Thread(request=request, counterpart=counterpart, me=me, other=other, messages=messages)


def collaboration_answer_organisations(
    *, request: CollaborationRequest, viewer: User
) -> list[Organisation]:
    """The viewer's member organisations that may answer the request (not its own)."""
    if not getattr(viewer, "is_authenticated", False):
        return []
    return list(
        Organisation.objects.filter(memberships__user=viewer, status=Organisation.Status.MEMBER)
        .exclude(pk=request.organisation_id)
        .order_by("name")
    )


def collaboration_poster_organisations(*, user: User) -> QuerySet[Organisation]:
    """The member organisations `user` may post collaboration requests for."""
    return Organisation.objects.filter(
        memberships__user=user, status=Organisation.Status.MEMBER
    ).order_by("name")


def collaboration_messages_visible(
    *, request: CollaborationRequest, viewer: User
) -> QuerySet[CollaborationMessage]:
    """The messages about a request that the viewer may read: all of them for the
    request's people, those of their own conversations for anyone else."""
    mine = organisation_ids_of(user=viewer)
    messages = CollaborationMessage.objects.filter(request=request)
    if request.organisation_id not in mine:
        messages = messages.filter(
            Q(sender_organisation_id__in=mine) | Q(recipient_organisation_id__in=mine)
        )
    return messages.select_related(
        "sender", "sender_organisation", "recipient_organisation"
    ).order_by("created_at", "pk")


# --- Calls for projects and consortia ------------------------------------------------


from fabreck.cluster.models import (  # noqa: E402
    Call,
    CallDocument,
    CallInterest,
    Consortium,
    ConsortiumMembership,
)

CALL_PAGE_SIZE = 20
MANAGING_ROLES = (OrganisationPerson.Role.OWNER, OrganisationPerson.Role.ADMIN)


@dataclass(frozen=True)
class CallFilters:
    query: str = ""
    kinds: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    competences: tuple[str, ...] = ()
    open_only: bool = True
    page: int = 1


def calls_public() -> QuerySet[Call]:
    """Calls anyone may read: published ones, open or past, and closed ones."""
    return Call.objects.filter(status__in=[Call.Status.PUBLISHED, Call.Status.CLOSED])


def calls_open(*, now: datetime | None = None) -> QuerySet[Call]:
    """Published calls whose deadline is still ahead."""
    return Call.objects.filter(status=Call.Status.PUBLISHED, deadline__gt=now or timezone.now())


def _call_text_matching(qs: QuerySet[Call], terms: list[str]) -> QuerySet[Call]:
    """Every word starts a word of the title, summary or funder (any language), or names
    one of the call's competences through the taxonomy ("menuisier" finds carpentry)."""
    if not terms:
        return qs
    expansions = competences_matching(terms)
    through = Call.competences.through
    for term in terms:
        found = Q(pk__in=[])
        for variant in term_variants(term):
            found |= _sqlite_found("search_text", variant)
        if expansions[term]:
            found |= Q(
                Exists(
                    through.objects.filter(
                        call_id=OuterRef("pk"), competence_id__in=expansions[term]
                    )
                )
            )
        qs = qs.filter(found)
    return qs


def _calls_filtered(qs: QuerySet[Call], filters: CallFilters) -> QuerySet[Call]:
    if filters.kinds:
        qs = qs.filter(kind__in=filters.kinds)
    if filters.sectors:
        qs = qs.filter(
            Exists(
                Call.sectors.through.objects.filter(
                    call_id=OuterRef("pk"), sector__slug__in=filters.sectors
                )
            )
        )
    if filters.competences:
        qs = qs.filter(
            Exists(
                Call.competences.through.objects.filter(
                    call_id=OuterRef("pk"), competence__slug__in=filters.competences
                )
            )
        )
    return _call_text_matching(qs, search_terms(filters.query)[:8])


def calls_search(*, filters: CallFilters, now: datetime | None = None) -> Page:
    """The public list of calls: open ones soonest deadline first, or every published call
    latest deadline first. One page, with sectors and competences prefetched."""
    if filters.open_only:
        qs = calls_open(now=now).order_by("deadline", "slug")
    else:
        qs = calls_public().order_by("-deadline", "slug")
    qs = (
        _calls_filtered(qs, filters)
        .annotate(
            interested=Count("interests", distinct=True),
            consortia_count=Count("consortia", distinct=True),
        )
        .prefetch_related(
            "sectors", Prefetch("competences", queryset=Competence.objects.order_by("label_en"))
        )
    )
    return Paginator(qs, CALL_PAGE_SIZE).get_page(filters.page)


def call_filter_choices() -> dict[str, list]:
    """What the filters of the calls page offer: every sector, and the competences some
    public call asks for."""
    return {
        "kinds": Call.Kind.choices,
        "sectors": list(Sector.objects.all()),
        "competences": list(
            Competence.objects.filter(
                Exists(
                    Call.competences.through.objects.filter(
                        competence_id=OuterRef("pk"),
                        call__status__in=[Call.Status.PUBLISHED, Call.Status.CLOSED],
                    )
                )
            ).order_by("label_en")
        ),
    }


def call_is_open(call: Call, *, now: datetime | None = None) -> bool:
    return call.status == Call.Status.PUBLISHED and call.deadline > (now or timezone.now())


def call_detail(*, slug: str, viewer: User | None = None) -> Call:
    """A published or closed call with its documents, the member organisations interested
    (those in the public directory) and its consortia with their accepted members. Drafts
    only for cluster managers."""
    call = (
        Call.objects.filter(slug=slug)
        .prefetch_related(
            "sectors",
            Prefetch("competences", queryset=Competence.objects.order_by("label_en")),
            Prefetch("documents", queryset=CallDocument.objects.order_by("uploaded_at", "pk")),
            Prefetch(
                "interests",
                queryset=CallInterest.objects.filter(
                    organisation__status=Organisation.Status.MEMBER,
                    organisation__directory_consent=True,
                )
                .select_related("organisation")
                .order_by("organisation__name"),
                to_attr="public_interests",
            ),
            Prefetch(
                "consortia",
                queryset=Consortium.objects.select_related("lead")
                .prefetch_related(
                    Prefetch(
                        "memberships",
                        queryset=ConsortiumMembership.objects.filter(
                            status=ConsortiumMembership.Status.ACCEPTED
                        )
                        .select_related("organisation")
                        .order_by("organisation__name"),
                        to_attr="accepted",
                    )
                )
                .order_by("name"),
                to_attr="consortia_list",
            ),
        )
        .first()
    )
    if call is None:
        raise Http404
    if call.status == Call.Status.DRAFT and not _may_see_drafts(viewer):
        raise Http404
    return call


def _may_see_drafts(viewer: User | None) -> bool:
    return bool(
        viewer is not None
        and viewer.is_authenticated
        and viewer.has_perm("accounts.manage_cluster")
    )


def call_document_for(*, slug: str, pk: int, viewer: User | None) -> CallDocument:
    """A document of a call the viewer may read (a draft's only for cluster managers)."""
    document = CallDocument.objects.select_related("call").filter(call__slug=slug, pk=pk).first()
    if document is None or (
        document.call.status == Call.Status.DRAFT and not _may_see_drafts(viewer)
    ):
        raise Http404
    return document


def calls_managed(*, status: str = "") -> QuerySet[Call]:
    """Every call, drafts included, for the cluster managers' list."""
    qs = Call.objects.annotate(
        interested=Count("interests", distinct=True),
        consortia_count=Count("consortia", distinct=True),
        documents_count=Count("documents", distinct=True),
    ).order_by("-created_at", "pk")
    if status in Call.Status.values:
        qs = qs.filter(status=status)
    return qs


def call_match(
    *,
    call_competences: set[int],
    call_sectors: set[int],
    organisation_competences: set[int],
    organisation_sectors: set[int],
) -> bool:
    """Whether a call is for an organisation. A call that names competences is for the
    organisations that have one of them; a call that names only sectors is for the
    organisations working in one of them; a call that names neither is for no one in
    particular (it is on the public list)."""
    if call_competences:
        return bool(call_competences & organisation_competences)
    return bool(call_sectors & organisation_sectors)


def calls_matching_organisations(
    *, organisations: QuerySet[Organisation] | list[Organisation], now: datetime | None = None
) -> dict[int, list[Call]]:
    """For each organisation (by id), the open calls that match it, soonest deadline first.

    A fixed number of queries whatever the number of organisations and calls: the open
    calls are few, and the links of both sides are read in one query each.
    """
    if isinstance(organisations, list):
        organisation_ids: object = [o.pk for o in organisations]
    else:
        organisation_ids = organisations.values("pk")
    calls = list(calls_open(now=now).order_by("deadline", "slug"))
    if not calls:
        return {}
    call_ids = [call.pk for call in calls]
    call_competences: dict[int, set[int]] = {}
    for call_id, competence_id in Call.competences.through.objects.filter(
        call_id__in=call_ids
    ).values_list("call_id", "competence_id"):
        call_competences.setdefault(call_id, set()).add(competence_id)
    call_sectors: dict[int, set[int]] = {}
    for call_id, sector_id in Call.sectors.through.objects.filter(call_id__in=call_ids).values_list(
        "call_id", "sector_id"
    ):
        call_sectors.setdefault(call_id, set()).add(sector_id)
    own_competences: dict[int, set[int]] = {}
    for org_id, competence_id in Organisation.competences.through.objects.filter(
        organisation_id__in=organisation_ids
    ).values_list("organisation_id", "competence_id"):
        own_competences.setdefault(org_id, set()).add(competence_id)
    own_sectors: dict[int, set[int]] = {}
    for org_id, sector_id in Organisation.sectors.through.objects.filter(
        organisation_id__in=organisation_ids
    ).values_list("organisation_id", "sector_id"):
        own_sectors.setdefault(org_id, set()).add(sector_id)
    result: dict[int, list[Call]] = {}
    for org_id in own_competences.keys() | own_sectors.keys():
        matching = [
            call
            for call in calls
            if call_match(
                call_competences=call_competences.get(call.pk, set()),
                call_sectors=call_sectors.get(call.pk, set()),
                organisation_competences=own_competences.get(org_id, set()),
                organisation_sectors=own_sectors.get(org_id, set()),
            )
        ]
        if matching:
            result[org_id] = matching
    return result


def organisations_answering_for(*, user: User) -> list[Organisation]:
    """The member organisations `user` owns or administers: those they may answer calls for."""
    return list(
        Organisation.objects.filter(
            status=Organisation.Status.MEMBER,
            memberships__user=user,
            memberships__role__in=MANAGING_ROLES,
        ).order_by("name")
    )


@dataclass
class CallViewerOrganisation:
    organisation: Organisation
    interested: bool
    consortium: Consortium | None  # the one it leads for this call


def call_viewer_organisations(*, call: Call, user: User | None) -> list[CallViewerOrganisation]:
    """For the call page: the viewer's member organisations, whether each declared its
    interest and which consortium it leads. Three queries at most."""
    if user is None or not user.is_authenticated:
        return []
    mine = organisations_answering_for(user=user)
    if not mine:
        return []
    interested = set(
        CallInterest.objects.filter(call=call, organisation__in=mine).values_list(
            "organisation_id", flat=True
        )
    )
    led = {c.lead_id: c for c in Consortium.objects.filter(call=call, lead__in=mine)}
    return [CallViewerOrganisation(o, o.pk in interested, led.get(o.pk)) for o in mine]


def consortium_detail(*, pk: int, viewer: User) -> Consortium:
    """A consortium with all its memberships (invitations included), for the people of the
    organisations involved and for cluster managers; 404 for anyone else."""
    consortium = (
        Consortium.objects.select_related("call", "lead")
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=ConsortiumMembership.objects.select_related("organisation").order_by(
                    "invited_at", "pk"
                ),
                to_attr="all_memberships",
            )
        )
        .filter(pk=pk)
        .first()
    )
    if consortium is None or not viewer.is_authenticated:
        raise Http404
    involved = {m.organisation_id for m in consortium.all_memberships}
    if not (
        viewer.has_perm("accounts.manage_cluster")
        or OrganisationPerson.objects.filter(user=viewer, organisation_id__in=involved).exists()
    ):
        raise Http404
    return consortium


def consortium_managed_organisations(*, consortium: Consortium, user: User) -> set[int]:
    """Which organisations of the consortium `user` may act for (owner or admin)."""
    involved = [m.organisation_id for m in consortium.all_memberships]
    return set(
        OrganisationPerson.objects.filter(
            user=user, organisation_id__in=involved, role__in=MANAGING_ROLES
        ).values_list("organisation_id", flat=True)
    )


def consortia_of(*, user: User) -> list[ConsortiumMembership]:
    """The consortia the user's organisations are in or invited to, invitations first."""
    return list(
        ConsortiumMembership.objects.filter(
            organisation__memberships__user=user,
            status__in=[ConsortiumMembership.Status.INVITED, ConsortiumMembership.Status.ACCEPTED],
        )
        .select_related("consortium__call", "consortium__lead", "organisation")
        # "invited" sorts after "accepted": descending puts the invitations first.
        .order_by("-status", "consortium__call__deadline", "pk")
    )


def member_consortia_candidates(*, consortium: Consortium) -> QuerySet[Organisation]:
    """Member organisations the lead may invite: members not already in or invited."""
    return (
        Organisation.objects.filter(status=Organisation.Status.MEMBER)
        .exclude(
            Exists(
                ConsortiumMembership.objects.filter(
                    organisation_id=OuterRef("pk"),
                    consortium=consortium,
                    status__in=[
                        ConsortiumMembership.Status.INVITED,
                        ConsortiumMembership.Status.ACCEPTED,
                    ],
                )
            )
        )
        .order_by("name")
    )


@dataclass
class CallsForOrganisation:
    organisation: Organisation
    calls: list[Call]
    more: int  # matching calls not listed
    can_manage: bool
    digest: bool  # the organisation asked for the digest


def calls_dashboard(*, user: User, limit: int = 5) -> list[CallsForOrganisation]:
    """ "Calls for you": for each member organisation of the user, the open calls that match
    it (soonest deadline first) and whether it receives the digest."""
    from fabreck.cluster.models import CallDigestConsent

    people = list(
        OrganisationPerson.objects.filter(
            user=user, organisation__status=Organisation.Status.MEMBER
        )
        .select_related("organisation")
        .order_by("organisation__name")
    )
    if not people:
        return []
    organisations = [p.organisation for p in people]
    matches = calls_matching_organisations(organisations=organisations)
    consenting = set(
        CallDigestConsent.objects.filter(organisation__in=organisations).values_list(
            "organisation_id", flat=True
        )
    )
    return [
        CallsForOrganisation(
            organisation=p.organisation,
            calls=matches.get(p.organisation_id, [])[:limit],
            more=max(0, len(matches.get(p.organisation_id, [])) - limit),
            can_manage=p.can_manage,
            digest=p.organisation_id in consenting,
        )
        for p in people
    ]


def consortia_involving(*, user: User, call_slug: str | None = None) -> QuerySet[Consortium]:
    """Consortia that the user's organisations are in or invited to (optionally for one
    call), with every membership: two queries whatever their number."""
    qs = Consortium.objects.filter(
        Exists(
            ConsortiumMembership.objects.filter(
                consortium_id=OuterRef("pk"),
                organisation__memberships__user=user,
                status__in=[
                    ConsortiumMembership.Status.INVITED,
                    ConsortiumMembership.Status.ACCEPTED,
                ],
            )
        )
    )
    if call_slug:
        qs = qs.filter(call__slug=call_slug)
    return (
        qs.select_related("call", "lead")
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=ConsortiumMembership.objects.select_related("organisation").order_by(
                    "invited_at", "pk"
                ),
                to_attr="all_memberships",
            )
        )
        .order_by("call__deadline", "name")
    )


# --- Search on PostgreSQL: one statement over the directory's postings -------------------
#
# cluster_directory_posting (migration 0009, kept by triggers from the search table of
# migration 0007) holds, for each word of the documents and each facet option, the sorted
# ids of the organisations it finds. The statement unites the postings of each query word
# (a prefix matches several words), intersects the words, intersects each chosen facet,
# and counts every option of every facet with one intersection each: set algebra in C
# (intarray), where grouping thousands of rows cost several times more. Only the page's
# results are then read, ranked by ts_rank on cluster_organisation.search_vector with the
# taxonomy expansion as before. It returns ids and counts: the names of sectors,
# competences and communes are the same for every search (_ReferenceLabels).

DIRECTORY_SQL = """
WITH chosen AS MATERIALIZED (
    SELECT
        ARRAY(SELECT id::text FROM cluster_sector WHERE slug = ANY(%(sectors)s)) AS s,
        ARRAY(SELECT id::text FROM cluster_competence WHERE slug = ANY(%(competences)s)) AS p,
        ARRAY(SELECT id::text FROM cluster_commune WHERE slug = ANY(%(communes)s)) AS c,
        %(sizes)s::text[] AS z,
        %(kinds)s::text[] AS k
),
matched AS MATERIALIZED (SELECT {matched} AS ids),
-- The matches among each chosen facet's options (within a facet the choices add up).
passing AS MATERIALIZED (SELECT matched.ids{passing} FROM matched, chosen),
-- The results, and per facet the organisations its options are counted among: those
-- passing every other chosen facet.
counted AS MATERIALIZED (SELECT {hits} AS hits, {bases} FROM passing),
counts AS MATERIALIZED (
    SELECT x.facet, x.value,
        icount(CASE x.facet WHEN 's' THEN {among_s} WHEN 'p' THEN {among_p}
                            WHEN 'c' THEN {among_c} WHEN 'z' THEN {among_z}
                            ELSE {among_k} END) AS n
    FROM cluster_directory_posting x, counted b
    WHERE x.facet IN ('s', 'p', 'c', 'z', 'k')
),
number AS (
    SELECT total, CASE WHEN %(page)s BETWEEN 1 AND pages THEN %(page)s ELSE pages END
        AS number
    FROM (SELECT icount(hits) AS total,
                 greatest(1, ceil(icount(hits) / %(per_page)s::numeric))::int AS pages
          FROM counted) t
),
-- Only the page's rows are kept in order (a top-N sort, not a sort of every result).
page AS (
    {page}
    ORDER BY {order}
    LIMIT %(per_page)s OFFSET (SELECT (number - 1) * %(per_page)s FROM number)
)
SELECT 'page', id, NULL, NULL::bigint, row_number() OVER (ORDER BY {order}), rank,
    sector_ids, competence_ids{card_columns}
FROM (SELECT page.*, e.sector_ids, e.competence_ids{card_fields}
      FROM page JOIN cluster_directory_entry e ON e.organisation_id = page.id
      JOIN cluster_organisation o ON o.id = page.id
      JOIN cluster_commune c ON c.id = o.commune_id) shown
UNION ALL
SELECT 'total', number, NULL, total, NULL, NULL, NULL, NULL{no_card} FROM number
UNION ALL
-- The chosen options are shown, counted or not.
SELECT 'sector', value::bigint, NULL, n, NULL, NULL, NULL, NULL{no_card} FROM counts
WHERE facet = 's' AND (n > 0 OR value = ANY((SELECT s FROM chosen)::text[]))
UNION ALL
(SELECT 'competence', value::bigint, NULL, n, NULL, NULL, NULL, NULL{no_card} FROM counts
 WHERE facet = 'p' AND n > 0 ORDER BY n DESC, value::bigint LIMIT %(facet_size)s)
UNION ALL
SELECT 'competence', value::bigint, NULL, n, NULL, NULL, NULL, NULL{no_card} FROM counts
WHERE facet = 'p' AND value = ANY((SELECT p FROM chosen)::text[])
UNION ALL
(SELECT 'commune', value::bigint, NULL, n, NULL, NULL, NULL, NULL{no_card} FROM counts
 WHERE facet = 'c' AND n > 0 ORDER BY n DESC, value::bigint LIMIT %(facet_size)s)
UNION ALL
SELECT 'commune', value::bigint, NULL, n, NULL, NULL, NULL, NULL{no_card} FROM counts
WHERE facet = 'c' AND value = ANY((SELECT c FROM chosen)::text[])
UNION ALL
SELECT 'size', NULL, value, n, NULL, NULL, NULL, NULL{no_card} FROM counts
WHERE facet = 'z' AND n > 0
UNION ALL
SELECT 'kind', NULL, value, n, NULL, NULL, NULL, NULL{no_card} FROM counts
WHERE facet = 'k' AND n > 0
"""
# Ranking reads the wide table, for the results only; sorting by name or date does not.
PAGE_BY_RELEVANCE = """
    SELECT o.id, o.name, o.member_since,
        ts_rank(o.search_vector, to_tsquery('simple', %(rank_query)s)) AS rank
    FROM cluster_organisation o WHERE o.id = ANY((SELECT hits FROM counted)::bigint[])
"""
PAGE_BY_COLUMNS = """
    SELECT e.organisation_id AS id, e.name, e.member_since, NULL::real AS rank
    FROM cluster_directory_entry e
    WHERE e.organisation_id = ANY((SELECT hits FROM counted)::bigint[])
"""
# Every organisation of the directory (no words, no choice): read in the order of an index.
PAGE_OF_EVERY_ORGANISATION = """
    SELECT e.organisation_id AS id, e.name, e.member_since, NULL::real AS rank
    FROM cluster_directory_entry e
"""
ORDERS = {
    "relevance": "rank DESC, name, id",
    "name": "name, id",
    "newest": "member_since DESC NULLS LAST, name, id",
}
# The facets' letters in the postings (migration 0009), with the filter choosing them.
POSTING_FACETS = {"s": "sectors", "p": "competences", "c": "communes", "z": "sizes", "k": "kinds"}
EVERY_ORGANISATION = (
    "(SELECT coalesce((SELECT ids FROM cluster_directory_posting"
    " WHERE facet = 'a' AND value = ''), '{}'))"
)
# Incubation is read live from the organisation, not copied into the postings: the filter
# stays right without a trigger, and costs nothing when unused.
INCUBATED_ONLY = (
    " & (SELECT coalesce(sort(array_agg(id::int)), '{}') FROM cluster_organisation WHERE incubated)"
)
# Normalised words are [0-9a-z] (core.text): every word starting with a prefix sorts
# before the prefix followed by "~", in the postings' byte order.
PAST_PREFIX = "~"


def _directory_statement(
    filters: DirectoryFilters, terms: list[str], sort: str
) -> tuple[str, dict[str, object]]:
    """The statement for these filters, and its word parameters: every query word must
    start a word of the document (or be one, when short); each of its spellings adds up."""
    params: dict[str, object] = {}
    unions = []
    for i, term in enumerate(terms):
        words = []
        for j, variant in enumerate(term_variants(term)):
            key = f"w{i}_{j}"
            if is_short(variant):
                words.append(f"value = %({key})s")
                params[key] = variant
            else:
                words.append(f"(value >= %({key})s AND value < %({key}_end)s)")
                params[key], params[f"{key}_end"] = variant, variant + PAST_PREFIX
        unions.append(
            "(SELECT cluster_int_union(ids) FROM cluster_directory_posting"  # noqa: S608
            f" WHERE facet = 'w' AND ({' OR '.join(words)}))"
        )
    matched = " & ".join(unions) if unions else EVERY_ORGANISATION
    if filters.incubated:
        matched += INCUBATED_ONLY
    chosen = [f for f, name in POSTING_FACETS.items() if getattr(filters, name)]
    passing = "".join(
        f", matched.ids & (SELECT cluster_int_union(x.ids) FROM cluster_directory_posting x"  # noqa: S608
        f" WHERE x.facet = '{f}' AND x.value = ANY(chosen.{f})) AS {f}"
        for f in chosen
    )

    def among(facets: list[str]) -> str:
        return " & ".join(facets) if facets else "ids"

    # Without words or incubation, a facet no other facet narrows counts among every
    # organisation: its options' postings are counted whole, not intersected (at the
    # directory's size, intersecting every option costs more than the rest together).
    everyone = not terms and not filters.incubated
    among_all = {f: everyone and not [c for c in chosen if c != f] for f in POSTING_FACETS}
    if sort == "relevance":
        page = PAGE_BY_RELEVANCE
    else:
        page = PAGE_OF_EVERY_ORGANISATION if everyone and not chosen else PAGE_BY_COLUMNS
    sql = DIRECTORY_SQL.format(
        matched=matched,
        passing=passing,
        hits=among(chosen),
        bases=", ".join(f"{among([c for c in chosen if c != f])} AS {f}" for f in POSTING_FACETS),
        **{f"among_{f}": "x.ids" if whole else f"x.ids & b.{f}" for f, whole in among_all.items()},
        page=page,
        order=ORDERS[sort],
        **_card_sql(connection.alias),
    )
    return sql, params


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


@dataclass
class _ReferenceLabels:
    """Every sector, competence and commune as the directory names and orders them: read
    once per process and taxonomy version (saving or deleting any of them clears the
    taxonomy cache, apps.py), not by every search."""

    # id -> (position in the order shown, slug, labels)
    sectors: dict[int, tuple[int, str, _Labels]]  # by position, slug
    competences: dict[int, tuple[int, str, _Labels]]  # by English label
    communes: dict[int, tuple[str, str]]  # id -> (slug, name)
    _names: dict[tuple[str, str], dict[int, str]] = field(default_factory=dict)

    def names(self, facet: str, language: str) -> dict[int, str]:
        """id -> label in `language`, for "sector" or "competence"."""
        names = self._names.get((facet, language))
        if names is None:
            rows = self.sectors if facet == "sector" else self.competences
            names = {pk: localized(row[2], "label", language=language) for pk, row in rows.items()}
            self._names[(facet, language)] = names  # (a race computes it twice, no harm)
        return names

    @staticmethod
    def ordered(rows: dict[int, tuple], ids: list[int]) -> list[int]:
        """`ids` in the order shown, without any unknown one."""
        return sorted((pk for pk in ids if pk in rows), key=lambda pk: rows[pk][0])

    def knows(self, ids: dict[str, set[int]]) -> bool:
        return (
            ids["sector"] <= self.sectors.keys()
            and ids["competence"] <= self.competences.keys()
            and ids["commune"] <= self.communes.keys()
        )


def _reference_labels_build(_phrases: object) -> _ReferenceLabels:
    sectors = Sector.objects.order_by("position", "slug").values_list(
        "pk", "slug", "name_en", "name_fr", "name_de"
    )
    competences = Competence.objects.order_by("label_en", "pk").values_list(
        "pk", "slug", "label_en", "label_fr", "label_de"
    )
    return _ReferenceLabels(
        sectors={pk: (i, slug, _Labels(*names)) for i, (pk, slug, *names) in enumerate(sectors)},
        competences={
            pk: (i, slug, _Labels(*labels)) for i, (pk, slug, *labels) in enumerate(competences)
        },
        communes={
            pk: (slug, name) for pk, slug, name in Commune.objects.values_list("pk", "slug", "name")
        },
    )


def _reference_labels(ids: dict[str, set[int]]) -> _ReferenceLabels:
    """The labels, covering `ids` (facet -> ids a search returned) unless one was deleted
    since: the search then leaves it out."""
    labels = taxonomy_derived("directory-labels", _reference_labels_build)
    if not labels.knows(ids):
        taxonomy_cache_clear()  # changed by another process since this one read them
        labels = taxonomy_derived("directory-labels", _reference_labels_build)
    return labels


FACETS = ("sector", "competence", "commune", "size", "kind")


def _directory_search_postgres(filters: DirectoryFilters, terms: list[str]) -> DirectoryResult:
    sort = filters.sort if filters.sort in SORTS else "relevance"
    if sort == "relevance" and not terms:
        sort = "name"
    sql, params = _directory_statement(filters, terms, sort)
    params.update({
        "rank_query": _rank_query(terms) if sort == "relevance" else "",
        "sectors": list(filters.sectors), "competences": list(filters.competences),
        "communes": list(filters.communes), "sizes": list(filters.sizes),
        "kinds": list(filters.kinds),
        "page": filters.page, "per_page": PAGE_SIZE, "facet_size": FACET_SIZE,
    })  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()

    # Rows: (what, id, key, count, position, rank, sector ids, competence ids, *card columns)
    page_rows = sorted((r for r in rows if r[0] == "page"), key=lambda r: r[4])
    number, total = next((r[1], r[3]) for r in rows if r[0] == "total")
    counts: dict[str, dict] = {facet: {} for facet in FACETS}
    for what, pk, key, n, *_rest in rows:
        if what in counts:
            counts[what][pk if key is None else key] = n
    labels = _reference_labels(
        {
            "sector": {*counts["sector"], *(pk for r in page_rows for pk in r[6])},
            "competence": {*counts["competence"], *(pk for r in page_rows for pk in r[7])},
            "commune": set(counts["commune"]),
        }
    )

    loaded = _page_organisations([r[8:] for r in page_rows])
    organisations = [loaded[r[1]] for r in page_rows]
    _relations_on_demand(organisations)
    card = _CardMaker()
    sector_names = labels.names("sector", card.language)
    competence_names = labels.names("competence", card.language)
    for organisation, row in zip(organisations, page_rows, strict=True):
        organisation.rank = row[5] if row[5] is not None else 0.0
        organisation.card = card(
            organisation,
            sectors=[sector_names[pk] for pk in labels.ordered(labels.sectors, row[6])],
            competences=[competence_names[pk] for pk in labels.ordered(labels.competences, row[7])],
        )
    paginator = Paginator(_LazyResults(filters, terms), PAGE_SIZE)
    paginator.__dict__["count"] = total  # counted by the statement
    page = Page(organisations, number, paginator)
    return DirectoryResult(
        page=page,
        facets=_facets_from_counts(counts, filters, labels, card),
        filters=filters,
        terms=terms,
    )


# What a directory result is read for: its card on the page, and the API's list
# (OrganisationListSerializer). Any other field is loaded on first access, one query per
# organisation: load it here if a card or the list starts to show it.
DIRECTORY_RESULT_FIELDS = (
    "id", "name", "slug", "kind", "size_band", "commune",
    "description_en", "description_fr", "description_de", "website", "member_since",
    "incubated",
)  # fmt: skip


@dataclass(frozen=True)
class _CardColumns:
    """The columns of a page's organisations and their communes that the directory's
    statement returns with each result, the fields they set, and the converters the ORM
    would apply to their values (none today; a JSON field would have one)."""

    selected: list[str]  # "o.<column>", then "c.<column>"
    names: list[str]
    commune_names: list[str]
    converters: list


@functools.cache
def _card_columns(alias: str) -> _CardColumns:
    db = connections[alias]
    # (from_db takes a subset of the columns in the model's order)
    fields = [f for f in Organisation._meta.concrete_fields if f.name in DIRECTORY_RESULT_FIELDS]
    commune_fields = Commune._meta.concrete_fields
    converters = [
        (i, col, found)
        for i, f in enumerate([*fields, *commune_fields])
        if (col := f.get_col(f.model._meta.db_table))
        and (found := db.ops.get_db_converters(col) + f.get_db_converters(db))
    ]
    return _CardColumns(
        selected=[f"o.{db.ops.quote_name(f.column)}" for f in fields]
        + [f"c.{db.ops.quote_name(f.column)}" for f in commune_fields],
        names=[f.attname for f in fields],
        commune_names=[f.attname for f in commune_fields],
        converters=converters,
    )


@functools.cache
def _card_sql(alias: str) -> dict[str, str]:
    """The statement's parts carrying them: in the page's rows, NULL in the others (the
    same for every search: built once)."""
    selected = _card_columns(alias).selected
    return {
        "card_fields": "".join(f", {column} AS card_{i}" for i, column in enumerate(selected)),
        "card_columns": "".join(f", card_{i}" for i in range(len(selected))),
        "no_card": ", NULL" * len(selected),
    }


def _page_organisations(rows: list[tuple]) -> dict[int, Organisation]:
    """The page's organisations with their commune, from the columns the statement
    returned with them: for twenty rows, a query of their own (and compiling it through
    the ORM) cost more than the database's work."""
    columns = _card_columns(connection.alias)
    names, commune_names, converters = columns.names, columns.commune_names, columns.converters
    commune_field = Organisation._meta.get_field("commune")
    make_organisation = _instance_maker(Organisation, names)
    make_commune = _instance_maker(Commune, commune_names)
    loaded, communes = {}, {}
    for row in rows:
        if converters:
            row = list(row)
            for i, col, found in converters:
                for convert in found:
                    row[i] = convert(row[i], col, connection)
        organisation = make_organisation(connection.alias, names, row[: len(names)])
        commune = communes.get(organisation.commune_id)
        if commune is None:  # (one instance per commune, as prefetch_related gives)
            commune = make_commune(connection.alias, commune_names, row[len(names) :])
            communes[commune.pk] = commune
        commune_field.set_cached_value(organisation, commune)
        loaded[organisation.pk] = organisation
    return loaded


def _from_db_plain(model: type[Model], alias: str, names: list[str], values) -> Model:
    """What Model.from_db builds from these columns (the others deferred), without its
    per-field loop through __init__: for a page's rows, most of the Python time."""
    instance = model.__new__(model)
    instance.__dict__.update(zip(names, values, strict=True))
    state = instance._state = ModelState()
    state.adding, state.db = False, alias
    return instance


@functools.cache
def _assigned_plainly(model: type[Model], names: tuple[str, ...]) -> bool:
    """Whether __init__ would only store these fields' values: no custom __init__ or
    from_db, and no descriptor of theirs acting on assignment (a foreign key's id only
    clears a cached object, which a new instance has not)."""
    return (
        model.__init__ is Model.__init__
        and model.from_db.__func__ is Model.from_db.__func__
        and all(
            not hasattr(descriptor := getattr(model, name), "__set__")
            or type(descriptor).__set__ is ForeignKeyDeferredAttribute.__set__
            for name in names
        )
    )


def _instance_maker(model: type[Model], names: list[str]) -> Callable[..., Model]:
    """Model.from_db, or the same faster when nothing hooks into building an instance."""
    if _assigned_plainly(model, tuple(names)) and not (
        pre_init.has_listeners(model) or post_init.has_listeners(model)
    ):
        return functools.partial(_from_db_plain, model)
    return model.from_db


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


def _facets_from_counts(
    counts: dict[str, dict], filters: DirectoryFilters, labels: _ReferenceLabels, card: _CardMaker
) -> list[Facet]:
    def by_count(facet_options: list[FacetOption]) -> list[FacetOption]:
        return sorted(facet_options, key=lambda o: (-o.count, o.label))

    sector_names = labels.names("sector", card.language)
    competence_names = labels.names("competence", card.language)
    sectors = [
        FacetOption(slug, sector_names[pk], counts["sector"].get(pk, 0), slug in filters.sectors)
        for pk, (_position, slug, _labels) in labels.sectors.items()
    ]
    competences = []
    for pk, n in counts["competence"].items():
        if pk in labels.competences:
            slug = labels.competences[pk][1]
            competences.append(
                FacetOption(slug, competence_names[pk], n, slug in filters.competences)
            )
    communes = []
    for pk, n in counts["commune"].items():
        if pk in labels.communes:
            slug, name = labels.communes[pk]
            communes.append(FacetOption(slug, name, n, slug in filters.communes))
    return [
        Facet("sector", sectors),
        Facet("competence", by_count(competences)),
        Facet("commune", by_count(communes)),
        Facet(
            "size",
            [
                FacetOption(v, label, counts["size"].get(v, 0), v in filters.sizes)
                for v, label in card.sizes.items()
            ],
        ),
        Facet(
            "kind",
            [
                FacetOption(v, label, counts["kind"].get(v, 0), v in filters.kinds)
                for v, label in card.kinds.items()
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


@functools.lru_cache(maxsize=32)
def _card_words(
    language: str, script_prefix: str, urlconf: str | None
) -> tuple[tuple[str, str], dict[str, str], dict[str, str]]:
    """The profile URL around its slug, and the kinds' and sizes' names, in `language`:
    the same for every search while the process runs."""
    with override(language):
        placeholder = "--slug--"
        prefix, _, suffix = reverse("cluster:profile", args=[placeholder]).partition(placeholder)
        kinds = {value: str(label) for value, label in Organisation.Kind.choices}
        sizes = {value: str(label) for value, label in Organisation.Size.choices}
    return (prefix, suffix), kinds, sizes


class _CardMaker:
    """Cards in the reader's language; what is the same for every card, computed once."""

    def __init__(self) -> None:
        self.language = get_language() or settings.LANGUAGE_CODE
        self.url, self.kinds, self.sizes = _card_words(
            self.language, get_script_prefix(), get_urlconf()
        )
        self.incubated = str(_("Incubated"))

    def __call__(
        self, organisation: Organisation, *, sectors: list[str], competences: list[str]
    ) -> dict:
        return {
            "url": f"{self.url[0]}{organisation.slug}{self.url[1]}",
            "kind": self.kinds.get(organisation.kind, organisation.kind),
            "size": self.sizes.get(organisation.size_band, organisation.size_band),
            "description": localized(organisation, "description", language=self.language),
            "sectors": sectors,
            "competences": competences[:CARD_COMPETENCES],
            "incubated": self.incubated if organisation.incubated else "",
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
