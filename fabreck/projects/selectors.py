"""Reads of prototyping projects: who may see and act on a project, and its pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.http import Http404

from fabreck.cluster.models import OrganisationPerson
from fabreck.projects.models import Project

if TYPE_CHECKING:
    from fabreck.accounts.models import User

MANAGING_ROLES = (OrganisationPerson.Role.OWNER, OrganisationPerson.Role.ADMIN)


def user_is_project_staff(*, user: User, project: Project) -> bool:
    """Staff of the project's site; before triage (no site yet) any FabLab staff; and
    administrators, who run every site."""
    if not user.is_authenticated or not user.has_perm("accounts.run_site"):
        return False
    if project.site_id is None or user.has_perm("fablab.change_site"):
        return True
    return project.site.staff.filter(pk=user.pk).exists()


def user_speaks_for_project(*, user: User, project: Project) -> bool:
    """The requester, or an owner or admin of the requesting organisation: the people who
    may accept a quote, comment, or cancel the request."""
    if not user.is_authenticated:
        return False
    if project.requested_by_id == user.pk:
        return True
    return (
        project.organisation_id is not None
        and OrganisationPerson.objects.filter(
            organisation_id=project.organisation_id, user=user, role__in=MANAGING_ROLES
        ).exists()
    )


def user_sees_project(*, user: User, project: Project) -> bool:
    """The project's people, any member of its organisation, and its staff."""
    if not user.is_authenticated:
        return False
    if user_speaks_for_project(user=user, project=project):
        return True
    if (
        project.organisation_id is not None
        and OrganisationPerson.objects.filter(
            organisation_id=project.organisation_id, user=user
        ).exists()
    ):
        return True
    return user_is_project_staff(user=user, project=project)


def project_visible_to(*, pk: int, user: User) -> Project:
    """A project for those who may see it; a 404 for anyone else (not even its title)."""
    project = (
        Project.objects.select_related("organisation", "site", "lead", "requested_by")
        .filter(pk=pk)
        .first()
    )
    if project is None or not user_sees_project(user=user, project=project):
        raise Http404
    return project


def projects_of(*, user: User) -> QuerySet[Project]:
    """The requests `user` made or that their organisations made, newest first."""
    return (
        Project.objects.filter(Q(requested_by=user) | Q(organisation__memberships__user=user))
        .distinct()
        .select_related("organisation", "site")
    )


def project_recipients(*, project: Project) -> list[User]:
    """Who hears of a project's changes: the requester, the organisation's owners and
    admins, and the staff lead (each once)."""
    people: dict[int, User] = {project.requested_by_id: project.requested_by}
    if project.organisation_id is not None:
        for membership in OrganisationPerson.objects.filter(
            organisation_id=project.organisation_id, role__in=MANAGING_ROLES
        ).select_related("user"):
            people.setdefault(membership.user_id, membership.user)
    if project.lead_id is not None:
        people.setdefault(project.lead_id, project.lead)
    return [person for person in people.values() if person.is_active and person.email]


# --- gallery: documentations and the public gallery ----------------------------------------
# Imports of this section stay here so that the section merges as one block.
import uuid  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.paginator import Page, Paginator  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import (  # noqa: E402
    Case,
    Exists,
    FloatField,
    OuterRef,
    Value,
    When,
)
from django.urls import reverse  # noqa: E402
from django.utils.text import slugify  # noqa: E402
from django.utils.translation import get_language  # noqa: E402
from django.utils.translation import gettext_lazy as _lazy  # noqa: E402

from fabreck.cluster.models import Sector  # noqa: E402
from fabreck.core.text import is_short, search_terms, term_variants  # noqa: E402
from fabreck.fablab.models import MachineCategory, Material, Resource, Site  # noqa: E402
from fabreck.projects.models import (  # noqa: E402
    Collaborator,
    Documentation,
    DocumentationStatus,
    Licence,
)

GALLERY_PAGE_SIZE = 18
GALLERY_MAX_TERMS = 8
# Short names for cards and badges, and the licences' deeds.
LICENCE_SHORT = {
    "cc-by": "CC BY 4.0",
    "cc-by-sa": "CC BY-SA 4.0",
    "cc-by-nc": "CC BY-NC 4.0",
    "cc-by-nc-sa": "CC BY-NC-SA 4.0",
    "cc-by-nd": "CC BY-ND 4.0",
    "cc-by-nc-nd": "CC BY-NC-ND 4.0",
    "cc0": "CC0 1.0",
    "all-rights-reserved": _lazy("All rights reserved"),
}
LICENCE_URL = {
    "cc-by": "https://creativecommons.org/licenses/by/4.0/",
    "cc-by-sa": "https://creativecommons.org/licenses/by-sa/4.0/",
    "cc-by-nc": "https://creativecommons.org/licenses/by-nc/4.0/",
    "cc-by-nc-sa": "https://creativecommons.org/licenses/by-nc-sa/4.0/",
    "cc-by-nd": "https://creativecommons.org/licenses/by-nd/4.0/",
    "cc-by-nc-nd": "https://creativecommons.org/licenses/by-nc-nd/4.0/",
    "cc0": "https://creativecommons.org/publicdomain/zero/1.0/",
}


def user_is_documentation_author(*, user: User, documentation: Documentation) -> bool:
    return bool(user.is_authenticated and documentation.author_id == user.pk)


def user_edits_documentation(*, user: User, documentation: Documentation) -> bool:
    """The author and the collaborators who accepted their invitation."""
    if not user.is_authenticated:
        return False
    if documentation.author_id == user.pk:
        return True
    return Collaborator.objects.filter(
        documentation_id=documentation.pk, user=user, accepted_at__isnull=False
    ).exists()


def documentation_editable(
    *, user: User, slug: str | None = None, pk: int | None = None
) -> Documentation:
    """A documentation (by slug or id) for its author and collaborators; a 404 for anyone
    else."""
    lookup = {"slug": slug} if slug is not None else {"pk": pk}
    documentation = (
        Documentation.objects.select_related("project", "organisation", "site", "sector", "author")
        .filter(**lookup)
        .first()
    )
    if documentation is None or not user_edits_documentation(
        user=user, documentation=documentation
    ):
        raise Http404
    return documentation


def documentation_editor_data(*, documentation: Documentation) -> dict:
    """What the editor page lists: steps, files, collaborators, machines, materials."""
    return {
        "steps": list(documentation.steps.order_by("position")),
        "files": list(documentation.files.all()),
        "collaborators": list(documentation.collaborators.select_related("user")),
        "machines": list(documentation.machines.select_related("site", "category")),
        "materials": list(documentation.materials.select_related("site")),
    }


def documentations_of(*, user: User) -> QuerySet[Documentation]:
    """The documentations `user` writes, as author or accepted collaborator, latest first."""
    if not user.is_authenticated:
        return Documentation.objects.none()
    collaborations = Collaborator.objects.filter(
        documentation_id=OuterRef("pk"), user=user, accepted_at__isnull=False
    )
    return (
        Documentation.objects.filter(Q(author=user) | Exists(collaborations))
        .select_related("site", "project")
        .defer("search_text")
        .order_by("-updated_at", "-pk")
    )


def projects_documentable_by(*, user: User) -> QuerySet[Project]:
    """Delivered or closed projects `user` speaks for that have no documentation yet."""
    if not user.is_authenticated:
        return Project.objects.none()
    managed = OrganisationPerson.objects.filter(user=user, role__in=MANAGING_ROLES).values(
        "organisation_id"
    )
    return (
        Project.objects.filter(
            Q(requested_by=user) | Q(organisation_id__in=managed),
            status__in=("delivered", "closed"),
            documentation__isnull=True,
        )
        .select_related("organisation")
        .order_by("-delivered_at", "-pk")
    )


def gallery_public() -> QuerySet[Documentation]:
    """Documentations everyone may see: published (hence with consent and never
    confidential, as the database holds), and whose project is not confidential now."""
    confidential_project = Project.objects.filter(pk=OuterRef("project_id"), confidential=True)
    return Documentation.objects.filter(
        ~Exists(confidential_project), status=DocumentationStatus.PUBLISHED, confidential=False
    )


def documentation_page(*, slug: str, viewer: User) -> tuple[Documentation, bool]:
    """A documentation's page and whether `viewer` writes it. The public sees published
    ones only; a draft or a withdrawn one is a 404 for anyone but its writers."""
    documentation = (
        Documentation.objects.select_related("site", "sector", "organisation", "author", "project")
        .defer("search_text")
        .filter(slug=slug)
        .first()
    )
    if documentation is None:
        raise Http404
    writes = user_edits_documentation(user=viewer, documentation=documentation)
    public = documentation.is_public and not documentation.confidential
    if public and documentation.project_id is not None:
        public = not documentation.project.confidential
    if not public and not writes:
        raise Http404
    return documentation, writes


def documentation_page_data(*, documentation: Documentation) -> dict:
    return {
        "steps": list(documentation.steps.order_by("position")),
        "files": list(documentation.files.all()),
        "machines": list(documentation.machines.select_related("category", "site")),
        "materials": list(documentation.materials.select_related("site")),
        "collaborators": list(
            documentation.collaborators.filter(accepted_at__isnull=False).select_related("user")
        ),
        "licence_short": LICENCE_SHORT.get(documentation.licence, ""),
        "licence_url": LICENCE_URL.get(documentation.licence, ""),
    }


def documentation_file_visible(*, slug: str, pk: int, viewer: User):
    """A shared file of a documentation the viewer may see (404 otherwise)."""
    documentation, _writes = documentation_page(slug=slug, viewer=viewer)
    shared = documentation.files.filter(pk=pk).first()
    if shared is None:
        raise Http404
    return shared


# The public gallery -----------------------------------------------------------------------


@dataclass(frozen=True)
class GalleryFilters:
    query: str = ""
    machine: str = ""  # a machine category's slug, or one machine's (resource) slug
    material: str = ""  # a material's key: the slug of its English name (any site)
    sector: str = ""  # a sector's slug
    licence: str = ""
    site: str = ""  # a FabLab site's slug
    page: int = 1

    @property
    def is_narrowed(self) -> bool:
        return any((self.query, self.machine, self.material, self.sector, self.licence, self.site))


@dataclass(frozen=True)
class GalleryOption:
    value: str
    label: str


@dataclass
class GalleryOptions:
    """The choices of the gallery's filters, and what their values stand for."""

    machines: list[GalleryOption] = field(default_factory=list)
    materials: list[GalleryOption] = field(default_factory=list)
    sectors: list[GalleryOption] = field(default_factory=list)
    licences: list[GalleryOption] = field(default_factory=list)
    sites: list[GalleryOption] = field(default_factory=list)
    resource_ids: dict[str, list[int]] = field(default_factory=dict)  # machine value -> ids
    category_ids: dict[str, int] = field(default_factory=dict)
    material_ids: dict[str, list[int]] = field(default_factory=dict)
    sector_ids: dict[str, int] = field(default_factory=dict)
    site_ids: dict[str, int] = field(default_factory=dict)
    resource_labels: dict[str, str] = field(default_factory=dict)


def material_key(material: Material) -> str:
    return slugify(material.name_en) or str(material.pk)


GALLERY_OPTIONS_SECONDS = 300
GALLERY_OPTIONS_VERSION_KEY = "projects:gallery-options:version"


def gallery_options_forget() -> None:
    """After a change of machines, materials, sectors or sites (signals.py): the options
    are built again at the next search."""
    cache.delete(GALLERY_OPTIONS_VERSION_KEY)


def gallery_options() -> GalleryOptions:
    """The filters' choices in the reader's language, from the cache (five small queries
    when they must be built again)."""
    version = cache.get(GALLERY_OPTIONS_VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        cache.set(GALLERY_OPTIONS_VERSION_KEY, version, None)
    key = f"projects:gallery-options:{version}:{get_language() or settings.LANGUAGE_CODE}"
    options = cache.get(key)
    if options is None:
        options = _gallery_options_build()
        cache.set(key, options, GALLERY_OPTIONS_SECONDS)
    return options


def _gallery_options_build() -> GalleryOptions:
    options = GalleryOptions()
    categories = list(MachineCategory.objects.order_by("position", "slug"))
    by_category: dict[int, list[int]] = {}
    for pk, slug, name, category_id in Resource.objects.values_list(
        "pk", "slug", "name", "category_id"
    ):
        options.resource_ids[slug] = [pk]
        options.resource_labels[slug] = name
        if category_id is not None:
            by_category.setdefault(category_id, []).append(pk)
    for category in categories:
        options.resource_ids[category.slug] = by_category.get(category.pk, [])
        options.category_ids[category.slug] = category.pk
        options.machines.append(GalleryOption(category.slug, category.name))
    labels: dict[str, str] = {}
    for material in Material.objects.order_by("name_en"):
        key = material_key(material)
        options.material_ids.setdefault(key, []).append(material.pk)
        labels.setdefault(key, material.name)
    options.materials = sorted(
        (GalleryOption(key, label) for key, label in labels.items()), key=lambda o: o.label
    )
    for sector in Sector.objects.order_by("position", "slug"):
        options.sector_ids[sector.slug] = sector.pk
        options.sectors.append(GalleryOption(sector.slug, sector.name))
    for site in Site.objects.order_by("name"):
        options.site_ids[site.slug] = site.pk
        options.sites.append(GalleryOption(site.slug, site.name))
    options.licences = [GalleryOption(value, str(label)) for value, label in Licence.choices]
    return options


def _tsquery_word(term: str) -> str:
    return term if is_short(term) else f"{term}:*"


def _like_found(term: str) -> Q:
    """`term` starts a word of search_text (or is a whole word of it, when short)."""
    if is_short(term):
        return (
            Q(search_text=term)
            | Q(search_text__startswith=f"{term} ")
            | Q(search_text__endswith=f" {term}")
            | Q(search_text__contains=f" {term} ")
        )
    return Q(search_text__startswith=term) | Q(search_text__contains=f" {term}")


def _gallery_matching(qs: QuerySet[Documentation], terms: list[str]) -> QuerySet[Documentation]:
    """SQLite: documentations with every word (as a word prefix; short words whole), with
    `rank` 1 when a word is in the title (PostgreSQL: `_gallery_search_postgres`)."""
    if not terms:
        return qs
    rank = Value(0.0, output_field=FloatField())
    for term in terms:
        found = Q(pk__in=[])
        for variant in term_variants(term):
            found |= _like_found(variant)
        qs = qs.filter(found)
        rank = rank + Case(When(title__icontains=term, then=Value(1.0)), default=Value(0.1))
    return qs.annotate(rank=rank)


def _gallery_filtered(
    qs: QuerySet[Documentation], filters: GalleryFilters, options: GalleryOptions
) -> QuerySet[Documentation]:
    """An unknown value finds nothing (not everything)."""
    nothing = Documentation.objects.none()
    if filters.machine:
        ids = options.resource_ids.get(filters.machine)
        if not ids:
            return nothing
        qs = qs.filter(
            Exists(
                Documentation.machines.through.objects.filter(
                    documentation_id=OuterRef("pk"), resource_id__in=ids
                )
            )
        )
    if filters.material:
        ids = options.material_ids.get(filters.material)
        if not ids:
            return nothing
        qs = qs.filter(
            Exists(
                Documentation.materials.through.objects.filter(
                    documentation_id=OuterRef("pk"), material_id__in=ids
                )
            )
        )
    if filters.sector:
        if filters.sector not in options.sector_ids:
            return nothing
        qs = qs.filter(sector_id=options.sector_ids[filters.sector])
    if filters.site:
        if filters.site not in options.site_ids:
            return nothing
        qs = qs.filter(site_id=options.site_ids[filters.site])
    if filters.licence:
        if filters.licence not in Licence.values:
            return nothing
        qs = qs.filter(licence=filters.licence)
    return qs


@dataclass
class GalleryResult:
    page: Page
    filters: GalleryFilters
    options: GalleryOptions
    terms: list[str]
    machine_label: str = ""  # the name of one machine chosen (a link from a page)


CARD_FIELDS = (
    "slug",
    "title",
    "summary",
    "cover",
    "licence",
    "published_at",
    "site__name",
    "site__slug",
)


def gallery_search(
    *, filters: GalleryFilters, options: GalleryOptions | None = None
) -> GalleryResult:
    """One page of the public gallery: words found (title matches first, then summary
    matches, then the rest) and filters, newest first otherwise. On PostgreSQL two queries
    on the search table and one for the cards; plus the options' five."""
    options = options or gallery_options()
    terms = search_terms(filters.query)[:GALLERY_MAX_TERMS]
    if connection.vendor == "postgresql":
        page = _gallery_search_postgres(filters, options, terms)
    else:
        qs = _gallery_filtered(_gallery_matching(gallery_public(), terms), filters, options)
        ordering = ["-published_at", "-pk"]
        if terms:
            ordering = ["-rank", *ordering]
        qs = qs.select_related("site").only(*CARD_FIELDS)
        page = Paginator(qs.order_by(*ordering), GALLERY_PAGE_SIZE).get_page(filters.page)
        page.object_list = list(page.object_list)
    _cards_prepare(page.object_list)
    machine_label = ""
    if filters.machine and filters.machine not in {o.value for o in options.machines}:
        machine_label = options.resource_labels.get(filters.machine, "")
    return GalleryResult(
        page=page, filters=filters, options=options, terms=terms, machine_label=machine_label
    )


CARD_SUMMARY_CHARS = 200


def _cards_prepare(documentations: list[Documentation]) -> None:
    """What a card shows, computed once here rather than by filters for every card."""
    base = reverse("projects:gallery")
    for documentation in documentations:
        documentation.licence_short = LICENCE_SHORT.get(documentation.licence, "")
        documentation.card_url = f"{base}{documentation.slug}/"
        summary = documentation.summary
        if len(summary) > CARD_SUMMARY_CHARS:
            summary = summary[: CARD_SUMMARY_CHARS - 1].rsplit(" ", 1)[0] + "…"
        documentation.card_summary = summary


def _filter_tokens(filters: GalleryFilters, options: GalleryOptions) -> list[str] | None:
    """The tokens of the search table (migration 0004) the filters ask for; None when a
    filter names nothing known (then nothing is found)."""
    tokens = []
    if filters.machine in options.category_ids:
        tokens.append(f"zzcategory{options.category_ids[filters.machine]}")
    elif filters.machine:
        ids = options.resource_ids.get(filters.machine)
        if not ids:
            return None
        tokens.append(f"zzmachine{ids[0]}")
    if filters.material:
        ids = options.material_ids.get(filters.material)
        if not ids:
            return None
        tokens.append("(" + " | ".join(f"zzmaterial{pk}" for pk in ids) + ")")
    if filters.sector:
        if filters.sector not in options.sector_ids:
            return None
        tokens.append(f"zzsector{options.sector_ids[filters.sector]}")
    if filters.site:
        if filters.site not in options.site_ids:
            return None
        tokens.append(f"zzsite{options.site_ids[filters.site]}")
    if filters.licence:
        if filters.licence not in Licence.values:
            return None
        tokens.append("zzlicence" + filters.licence.replace("-", ""))
    return tokens


class _Counted:
    """What Paginator needs of a page whose rows are loaded and whose total is known."""

    def __init__(self, total: int, offset: int, rows: list) -> None:
        self.total, self.offset, self.rows = total, offset, rows

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, index: slice) -> list:
        return self.rows[index.start - self.offset : index.stop - self.offset]


GALLERY_COUNT_SQL = "SELECT count(*) FROM projects_gallery_entry e WHERE {where}"
# The page's ids and the number of matches in one pass over the matches.
GALLERY_PAGE_SQL = """
SELECT e.documentation_id, count(*) OVER () FROM projects_gallery_entry e
WHERE {where}
ORDER BY {order}
LIMIT %(limit)s OFFSET %(offset)s
"""
GALLERY_BY_WEIGHT = (
    "CASE WHEN e.title_words @@ to_tsquery('simple', %(text)s) THEN 2"
    " WHEN e.summary_words @@ to_tsquery('simple', %(text)s) THEN 1 ELSE 0 END DESC, "
)
GALLERY_NEWEST = "e.published_at DESC, e.documentation_id DESC"


def _gallery_search_postgres(
    filters: GalleryFilters, options: GalleryOptions, terms: list[str]
) -> Page:
    """The search table answers (migration 0004): the page's ids, ranked by the heaviest
    weight a word is found with (title, summary, the rest) then newest, with the number of
    matches; then the cards of those ids. A page past the last one costs a count more."""

    def paginated(total: int, offset: int, rows: list) -> Paginator:
        return Paginator(_Counted(total, offset, rows), GALLERY_PAGE_SIZE)

    tokens = _filter_tokens(filters, options)
    if tokens is None:
        return paginated(0, 0, []).get_page(1)
    text = " & ".join(
        "(" + " | ".join(_tsquery_word(v) for v in term_variants(term)) + ")" for term in terms
    )
    match = " & ".join([text, *tokens] if text else tokens)
    where = "e.document @@ to_tsquery('simple', %(match)s)" if match else "true"
    sql = GALLERY_PAGE_SQL.format(
        where=where, order=(GALLERY_BY_WEIGHT if text else "") + GALLERY_NEWEST
    )
    params = {"match": match, "text": text, "limit": GALLERY_PAGE_SIZE}
    number = filters.page
    with connection.cursor() as cursor:
        cursor.execute(sql, {**params, "offset": (number - 1) * GALLERY_PAGE_SIZE})
        rows = cursor.fetchall()
        if rows:
            total = rows[0][1]
        else:  # no match, or a page past the last one: the last one
            cursor.execute(GALLERY_COUNT_SQL.format(where=where), params)
            total = cursor.fetchone()[0]
            number = max(1, -(-total // GALLERY_PAGE_SIZE))
            if total:
                cursor.execute(sql, {**params, "offset": (number - 1) * GALLERY_PAGE_SIZE})
                rows = cursor.fetchall()
    ids = [row[0] for row in rows]
    cards = {
        d.pk: d
        for d in Documentation.objects.filter(pk__in=ids).select_related("site").only(*CARD_FIELDS)
    }
    found = [cards[pk] for pk in ids if pk in cards]
    return paginated(total, (number - 1) * GALLERY_PAGE_SIZE, found).page(number)


def gallery_filters_from(params) -> GalleryFilters:
    """The filters of a query string (page or API); nonsense becomes the first page."""
    try:
        page = max(1, int(params.get("page") or 1))
    except (TypeError, ValueError):
        page = 1
    return GalleryFilters(
        query=(params.get("q") or "").strip()[:200],
        machine=(params.get("machine") or "").strip()[:80],
        material=(params.get("material") or "").strip()[:120],
        sector=(params.get("sector") or "").strip()[:50],
        licence=(params.get("licence") or "").strip()[:20],
        site=(params.get("site") or "").strip()[:50],
        page=min(page, 10_000),
    )
