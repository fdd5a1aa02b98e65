"""The public gallery: only published documentations, with their author's consent, never a
confidential project's; search and filters; a page per project; bounded queries."""

import re

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from fabreck.projects import services
from fabreck.projects.models import Documentation, Project
from fabreck.projects.selectors import GalleryFilters, gallery_search
from tests.factories import UserFactory
from tests.projects.gallery_helpers import documentation_make, world_make
from tests.projects.helpers import project_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return world_make()


def _slugs(response) -> list[str]:
    return re.findall(r'data-testid="gallery-card" data-slug="([^"]+)"', response.content.decode())


def _found(**filters) -> list[str]:
    return [d.slug for d in gallery_search(filters=GalleryFilters(**filters)).page]


def test_publishing_needs_the_authors_consent(client, world):
    documentation = documentation_make(publish=False)
    client.force_login(documentation.author)
    response = client.post(f"/gallery/{documentation.slug}/publish/", {})
    assert response.status_code == 400
    assert b"Tick the box to agree to publish this documentation" in response.content
    documentation.refresh_from_db()
    assert (documentation.status, documentation.consent_at) == ("draft", None)
    assert _found() == []

    response = client.post(f"/gallery/{documentation.slug}/publish/", {"publish-consent": "on"})
    assert response["Location"] == f"/gallery/{documentation.slug}/"
    documentation.refresh_from_db()
    assert documentation.status == "published"
    assert documentation.consent_at is not None and documentation.published_at is not None
    assert _slugs(client.get("/gallery/")) == [documentation.slug]


def _confidential_documentation(world):
    staff = UserFactory(roles=["site_staff"])
    project = project_make(status="delivered", site=world.esch, lead=staff, confidential=True)
    return services.documentation_from_project(project=project, by=project.requested_by)


def test_a_confidential_projects_documentation_is_never_published(client, world):
    documentation = _confidential_documentation(world)
    author = documentation.author
    with pytest.raises(Exception) as refused:
        services.documentation_publish(documentation=documentation, by=author, consent=True)
    assert "confidential (under NDA)" in str(refused.value)

    client.force_login(author)
    page = client.get(f"/gallery/{documentation.slug}/edit/")
    assert b'data-testid="confidential-banner"' in page.content
    assert b'data-testid="publish-form"' not in page.content
    response = client.post(f"/gallery/{documentation.slug}/publish/", {"publish-consent": "on"})
    assert response.status_code == 400
    assert b"can never be published" in response.content

    # The database refuses it too, whoever writes the row.
    with pytest.raises(IntegrityError), transaction.atomic():
        Documentation.objects.filter(pk=documentation.pk).update(
            status="published", consent_at=timezone.now(), published_at=timezone.now()
        )
    documentation.refresh_from_db()
    assert documentation.status == "draft"
    client.logout()
    assert client.get(f"/gallery/{documentation.slug}/").status_code == 404


def test_a_project_that_becomes_confidential_leaves_the_gallery(client, world):
    staff = UserFactory(roles=["site_staff"])
    project = project_make(status="closed", site=world.esch, lead=staff)
    documentation = services.documentation_from_project(project=project, by=project.requested_by)
    services.documentation_publish(
        documentation=documentation, by=project.requested_by, consent=True
    )
    assert _slugs(client.get("/gallery/")) == [documentation.slug]

    # Flagged confidential by a write that did not tell the gallery: hidden all the same.
    Project.objects.filter(pk=project.pk).update(confidential=True)
    assert _slugs(client.get("/gallery/")) == []
    assert client.get(f"/gallery/{documentation.slug}/").status_code == 404
    assert client.get(f"/api/v1/projects/gallery/{documentation.slug}/").status_code == 404

    # The sync then withdraws it and copies the flag, so it cannot be published again.
    services.documentation_confidential_sync(project=project)
    documentation.refresh_from_db()
    assert (documentation.status, documentation.confidential) == ("withdrawn", True)


def test_a_draft_and_a_withdrawn_documentation_are_404_for_the_public_and_shown_to_writers(
    client, world
):
    draft = documentation_make(publish=False, title="Secret lamp")
    published = documentation_make(title="Public stool")
    services.documentation_withdraw(documentation=published, by=published.author)
    for documentation, status in ((draft, "draft"), (published, "withdrawn")):
        client.logout()
        assert client.get(f"/gallery/{documentation.slug}/").status_code == 404
        client.force_login(UserFactory())
        assert client.get(f"/gallery/{documentation.slug}/").status_code == 404
        client.force_login(documentation.author)
        page = client.get(f"/gallery/{documentation.slug}/")
        assert page.status_code == 200
        assert f'data-testid="draft-banner" data-status="{status}"'.encode() in page.content
    client.logout()
    listing = client.get("/gallery/", {"q": "lamp"})
    assert b"Secret lamp" not in listing.content
    assert _found() == []


def test_the_page_of_a_published_documentation(client, world):
    documentation = documentation_make(
        title="Laser-cut lamp",
        site=world.esch,
        machines=[world.laser],
        materials=[world.plywood],
        sector="design",
        licence="cc-by-nc",
        steps=(("Draw", "Draw it."), ("Cut", "Cut it.")),
    )
    page = client.get(f"/gallery/{documentation.slug}/")
    assert page.status_code == 200
    content = page.content.decode()
    assert 'data-testid="draft-banner"' not in content
    assert content.count('data-testid="step"') == 2
    assert "Trotec Speedy 400" in content and "Poplar plywood 3 mm" in content
    assert 'data-licence="cc-by-nc"' in content
    assert "https://creativecommons.org/licenses/by-nc/4.0/" in content
    assert f"?machine={world.laser.slug}" in content


@pytest.fixture
def catalogue(world):
    """Five published documentations across both sites, and a draft."""
    return {
        "lamp": documentation_make(
            title="Plywood lamp",
            site=world.esch,
            machines=[world.laser],
            materials=[world.plywood],
            sector="design",
            licence="cc-by-sa",
        ),
        "mount": documentation_make(
            title="Bike light mount",
            summary="Printed in one piece.",
            site=world.esch,
            machines=[world.printer],
            materials=[world.pla_esch],
            sector="design",
            licence="cc-by",
            steps=(("Slice", "Slice with supports."),),
        ),
        "sculpture": documentation_make(
            title="Sculpture base",
            summary="A heavy base for a public sculpture.",
            site=world.differdange,
            machines=[world.waterjet],
            materials=[world.steel],
            sector="art-crafts",
            licence="cc0",
            steps=(("Cut", "Cut the steel on the waterjet."),),
        ),
        "enclosure": documentation_make(
            title="Sensor enclosure",
            summary="Weatherproof.",
            site=world.differdange,
            machines=[world.waterjet],
            materials=[world.pla_differdange],
            licence="all-rights-reserved",
            steps=(("Print the gasket", "Print it in PLA."),),
        ),
        "boite": documentation_make(
            title="Boîte gravée",
            summary="Des boîtes pour un atelier de céramique.",
            site=world.esch,
            machines=[world.laser],
            materials=[world.plywood],
            sector="art-crafts",
            licence="cc-by-nc-sa",
            steps=(("Graver", "Graver le logo."),),
        ),
        "draft": documentation_make(
            title="Plywood shelf",
            site=world.esch,
            machines=[world.laser],
            materials=[world.plywood],
            publish=False,
        ),
    }


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"machine": "laser-cutter"}, {"lamp", "boite"}),  # a machine category
        ({"machine": "waterjet"}, {"sculpture", "enclosure"}),
        ({"machine": "esch-prusa-mk4"}, {"mount"}),  # one machine (a link from a page)
        ({"material": "pla-filament"}, {"mount", "enclosure"}),  # the same at both sites
        ({"material": "steel-sheet-3-mm"}, {"sculpture"}),
        ({"sector": "art-crafts"}, {"sculpture", "boite"}),
        ({"licence": "cc0"}, {"sculpture"}),
        ({"site": "differdange"}, {"sculpture", "enclosure"}),
        ({"site": "esch", "sector": "design"}, {"lamp", "mount"}),
        ({"machine": "no-such-machine"}, set()),  # unknown: nothing, not everything
        ({"licence": "gpl"}, set()),
    ],
)
def test_filters(client, catalogue, filters, expected):
    slugs = {catalogue[key].slug for key in expected}
    assert set(_found(**filters)) == slugs
    response = client.get("/gallery/", filters)
    assert response.status_code == 200
    assert set(_slugs(response)) == slugs
    api = client.get("/api/v1/projects/gallery/", filters).json()
    assert {row["slug"] for row in api["results"]} == slugs


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("plywood", {"lamp", "boite"}),  # a material; the draft "Plywood shelf" never shows
        ("PLYWOOD lamp", {"lamp"}),  # every word, any case
        ("boite gravee", {"boite"}),  # accents ignored
        ("céram", {"boite"}),  # a word's beginning
        ("pappelsperrholz", {"lamp", "boite"}),  # the material's German name
        ("découpeuse laser", {"lamp", "boite"}),  # the machine category's French name
        ("waterjet", {"sculpture", "enclosure"}),  # the machine's category, in English
        ("gasket", {"enclosure"}),  # a step
        ("lamp enclosure", set()),
    ],
)
def test_search(client, catalogue, query, expected):
    assert set(_found(query=query)) == {catalogue[key].slug for key in expected}


def test_a_title_match_ranks_first(catalogue, world):
    # "waterjet" is in both: only in the steps and machines of one, in the other's title.
    documentation_make(
        title="Waterjet-cut sign",
        site=world.differdange,
        machines=[world.waterjet],
        steps=(("Cut", "Cut it."),),
    )
    first = gallery_search(filters=GalleryFilters(query="waterjet")).page.object_list[0]
    assert first.title == "Waterjet-cut sign"


def test_pages_of_eighteen_newest_first(client, world):
    for n in range(20):
        documentation_make(title=f"Lamp number {n}", site=world.esch)
    first = client.get("/gallery/")
    assert b'data-count="20"' in first.content
    slugs = _slugs(first)
    assert len(slugs) == 18 and slugs[0] == "lamp-number-19"
    second = client.get("/gallery/", {"page": 2})
    assert _slugs(second) == ["lamp-number-1", "lamp-number-0"]
    assert client.get("/gallery/", {"page": "nonsense"}).status_code == 200
    htmx = client.get("/gallery/", {"q": "lamp"}, headers={"HX-Request": "true"})
    assert b"<html" not in htmx.content and b'data-count="20"' in htmx.content


def test_the_gallery_and_a_page_issue_a_bounded_number_of_queries(
    client, world, django_assert_max_num_queries
):
    def load(n: int) -> None:
        for i in range(n):
            documentation_make(
                title=f"Stool {i}",
                site=world.esch if i % 2 else world.differdange,
                machines=[world.laser, world.printer] if i % 2 else [world.waterjet],
                materials=[world.plywood, world.pla_esch] if i % 2 else [world.steel],
                steps=(("Cut", "Cut."), ("Sand", "Sand.")),
            )

    def queries(path: str, params: dict) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path, params).status_code == 200
        return len(ctx.captured_queries)

    load(3)
    with django_assert_max_num_queries(8):  # the filters' options built: five more
        assert client.get("/gallery/").status_code == 200
    cases = [
        ("/gallery/", {}),
        ("/gallery/", {"q": "stool", "machine": "laser-cutter"}),
        ("/gallery/", {"material": "pla-filament", "site": "esch"}),
        ("/api/v1/projects/gallery/", {"q": "stool"}),
    ]
    few = [queries(path, params) for path, params in cases]
    load(30)
    many = [queries(path, params) for path, params in cases]
    assert many == few
    with django_assert_max_num_queries(8):
        client.get("/gallery/", {"q": "stool", "sector": "design", "licence": "cc-by-sa"})
    slug = Documentation.objects.filter(status="published").first().slug
    with django_assert_max_num_queries(9):
        assert client.get(f"/gallery/{slug}/").status_code == 200


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text search")
def test_postgresql_ranks_title_before_summary_before_the_rest(world):
    older_title = documentation_make(
        title="Laser harp", summary="A musical instrument.", site=world.esch
    )
    in_summary = documentation_make(
        title="Music box", summary="A harp-like box for children.", site=world.esch
    )
    in_steps = documentation_make(
        title="Wall art",
        summary="Strings on wood.",
        site=world.esch,
        steps=(("Tune", "Tune it like a harp."),),
    )
    found = gallery_search(filters=GalleryFilters(query="harp")).page.object_list
    # Title (A) before summary (B) before steps (D), though the title's is the oldest.
    assert [d.slug for d in found] == [older_title.slug, in_summary.slug, in_steps.slug]
    # Prefixes and accents; short words are whole words only.
    assert _found(query="HÄRP") == [d.slug for d in found]
    assert _found(query="har") == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL search table")
def test_postgresql_search_table_follows_every_write(world):
    """The triggers of migration 0004 keep one entry per public documentation, with its
    words and filter tokens, whatever writes the rows."""

    def entry(documentation):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT document::text FROM projects_gallery_entry WHERE documentation_id = %s",
                [documentation.pk],
            )
            row = cursor.fetchone()
        return row[0] if row else None

    draft = documentation_make(title="Oak stool", site=world.esch, publish=False)
    assert entry(draft) is None
    services.documentation_publish(documentation=draft, by=draft.author, consent=True)
    document = entry(draft)
    assert "'oak'" in document and f"'zzsite{world.esch.pk}'" in document
    services.documentation_update(documentation=draft, by=draft.author, machines=[world.laser])
    document = entry(draft)
    assert f"'zzmachine{world.laser.pk}'" in document
    assert f"'zzcategory{world.laser.category_id}'" in document
    assert _found(machine="laser-cutter") == [draft.slug]
    # A machine moved to another category, by any write.
    from fabreck.fablab.models import MachineCategory, Resource

    engraver = MachineCategory.objects.get(slug="3d-printer")
    Resource.objects.filter(pk=world.laser.pk).update(category=engraver)
    assert _found(machine="laser-cutter") == []
    assert _found(machine="3d-printer") == [draft.slug]
    services.documentation_withdraw(documentation=draft, by=draft.author)
    assert entry(draft) is None


def test_an_administrator_withdraws_a_documentation_from_the_admin(client, world):
    documentation = documentation_make(title="Off-topic lamp")
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    page = client.get(f"/admin/projects/documentation/{documentation.pk}/change/")
    assert page.status_code == 200
    response = client.post(
        "/admin/projects/documentation/",
        {"action": "documentation_withdraw_action", "_selected_action": [documentation.pk]},
    )
    assert response.status_code == 302
    documentation.refresh_from_db()
    assert documentation.status == "withdrawn"
    assert _found() == []
