"""Writing a documentation: from scratch or from a delivered project, its details, cover,
steps and files; only its author and accepted collaborators change it."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fabreck.fablab.models import Booking, MaterialUse
from fabreck.projects import services
from fabreck.projects.models import Documentation, DocumentationFile, ProjectBooking, Step
from tests.factories import UserFactory, organisation_make
from tests.projects.gallery_helpers import documentation_make, png_upload, world_make
from tests.projects.helpers import project_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return world_make()


def test_a_maker_starts_a_draft_from_the_page_and_lands_in_the_editor(client, world):
    maker = UserFactory()
    client.force_login(maker)
    response = client.post(
        "/gallery/new/",
        {
            "title": "Lampe de bureau en contreplaqué",
            "summary": "Découpée au laser, montée sans colle.",
            "licence": "cc-by",
            "site": world.esch.pk,
            "machines": [world.laser.pk],
            "materials": [world.plywood.pk],
        },
    )
    documentation = Documentation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/gallery/{documentation.slug}/edit/"
    assert documentation.slug == "lampe-de-bureau-en-contreplaque"
    assert (documentation.status, documentation.author, documentation.licence) == (
        "draft",
        maker,
        "cc-by",
    )
    assert list(documentation.machines.all()) == [world.laser]
    # Normalised for search: the title first, then what describes it (accents gone).
    assert documentation.search_text.startswith("lampe de bureau en contreplaque | ")
    assert "laser cutter" in documentation.search_text  # the machine's category, in English
    assert "pappelsperrholz" in documentation.search_text  # the material, in German
    editor = client.get(response["Location"])
    assert editor.status_code == 200
    assert b"Add a step" in editor.content


def test_a_draft_without_a_summary_is_refused_with_a_message_and_nothing_stored(client, world):
    client.force_login(UserFactory())
    response = client.post("/gallery/new/", {"title": "Lamp", "summary": "  ", "licence": "cc0"})
    assert response.status_code == 400
    assert b"This field is required." in response.content or b"Give the summary" in response.content
    assert not Documentation.objects.exists()
    with pytest.raises(ValidationError) as refused:
        services.documentation_create(by=UserFactory(), title="Lamp", summary="  ")
    assert "summary" in refused.value.message_dict


def _delivered_project_with_bookings(world, *, confidential=False):
    staff = UserFactory(roles=["site_staff"])
    project = project_make(
        status="delivered",
        site=world.esch,
        lead=staff,
        title="Shop-window stand",
        confidential=confidential,
    )
    start = timezone.now() - timedelta(days=10)
    used = Booking.objects.create(
        resource=world.laser,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        user=project.requested_by,
        booked_by=staff,
    )
    Booking.objects.create(  # cancelled: the machine was not used
        resource=world.printer,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        user=project.requested_by,
        booked_by=staff,
        status="cancelled",
        cancelled_at=start,
    )
    for booking in Booking.objects.all():
        ProjectBooking.objects.create(project=project, booking=booking)
    MaterialUse.objects.create(
        booking=used, material=world.plywood, quantity=Decimal("2"), unit_price=Decimal("4.50")
    )
    return project


def test_documenting_a_delivered_project_prefills_it_from_the_project_and_its_bookings(
    client, world
):
    project = _delivered_project_with_bookings(world)
    client.force_login(project.requested_by)
    listing = client.get("/gallery/mine/")
    assert f'data-project="{project.pk}"'.encode() in listing.content

    response = client.post(f"/gallery/from-project/{project.pk}/")

    documentation = Documentation.objects.get(project=project)
    assert response["Location"] == f"/gallery/{documentation.slug}/edit/"
    assert documentation.title == "Shop-window stand"
    assert documentation.summary == project.goal
    assert documentation.site == world.esch
    assert documentation.organisation == project.organisation
    assert list(documentation.machines.all()) == [world.laser]  # not the cancelled booking's
    assert list(documentation.materials.all()) == [world.plywood]
    assert not documentation.confidential
    # Once documented, the project is no longer offered; a second try says why.
    assert f'data-project="{project.pk}"'.encode() not in client.get("/gallery/mine/").content
    with pytest.raises(ValidationError, match="documented already"):
        services.documentation_from_project(project=project, by=project.requested_by)


def test_only_a_delivered_project_and_only_by_those_who_speak_for_it(world):
    staff = UserFactory(roles=["site_staff"])
    running = project_make(status="in_progress", site=world.esch, lead=staff)
    with pytest.raises(ValidationError, match="once it is delivered"):
        services.documentation_from_project(project=running, by=running.requested_by)
    delivered = project_make(status="delivered", site=world.esch, lead=staff, title="Other")
    with pytest.raises(PermissionDenied):
        services.documentation_from_project(project=delivered, by=UserFactory())
    assert not Documentation.objects.exists()


def test_a_confidential_project_is_documented_privately(world):
    project = _delivered_project_with_bookings(world, confidential=True)
    documentation = services.documentation_from_project(project=project, by=project.requested_by)
    assert documentation.confidential is True
    assert documentation.status == "draft"


def test_the_organisation_must_be_one_the_author_runs(world):
    maker = UserFactory()
    theirs = organisation_make(name="Atelier Voisin")
    with pytest.raises(ValidationError) as refused:
        services.documentation_create(
            by=maker, title="Lamp", summary="A lamp.", organisation=theirs
        )
    assert "organisation" in refused.value.message_dict
    mine = organisation_make(owner=maker, name="Atelier Moi")
    documentation = services.documentation_create(
        by=maker, title="Lamp", summary="A lamp.", organisation=mine
    )
    assert documentation.organisation == mine
    assert "atelier moi" in documentation.search_text


def test_a_file_that_is_not_an_image_is_refused_as_cover_and_nothing_changes(client, world):
    documentation = documentation_make(publish=False, site=world.esch)
    client.force_login(documentation.author)
    fake = SimpleUploadedFile("cover.png", b"%PDF-1.4 not a picture", content_type="image/png")
    response = client.post(
        f"/gallery/{documentation.slug}/edit/",
        {"title": "New title", "summary": "New summary", "licence": "cc0", "cover": fake},
    )
    assert response.status_code == 400
    assert b"This file is not an image" in response.content
    documentation.refresh_from_db()
    assert (documentation.title, documentation.cover.name) == ("Plywood desk lamp", "")

    response = client.post(
        f"/gallery/{documentation.slug}/edit/",
        {"title": "New title", "summary": "New summary", "licence": "cc0", "cover": png_upload()},
    )
    assert response.status_code == 302
    documentation.refresh_from_db()
    assert documentation.title == "New title"
    assert documentation.cover.name.startswith("gallery/")
    assert documentation.search_text.startswith("new title | new summary")


def test_steps_are_added_moved_reordered_and_removed_and_the_search_text_follows(world):
    author = UserFactory()
    documentation = documentation_make(author=author, publish=False, steps=())
    first = services.step_add(documentation=documentation, by=author, title="Draw", body="In CAD")
    second = services.step_add(
        documentation=documentation, by=author, title="Cut", body="On the laser"
    )
    third = services.step_add(
        documentation=documentation,
        by=author,
        title="Assemble",
        body="Glue",
        image=png_upload("step.png"),
    )
    assert [first.position, second.position, third.position] == [1, 2, 3]
    assert third.image.name

    def order():
        return list(documentation.steps.order_by("position").values_list("title", flat=True))

    services.step_move(step=third, by=author, direction="up")
    assert order() == ["Draw", "Assemble", "Cut"]
    services.steps_reorder(
        documentation=documentation, by=author, order=[second.pk, first.pk, third.pk]
    )
    assert order() == ["Cut", "Draw", "Assemble"]
    with pytest.raises(ValidationError):
        services.steps_reorder(documentation=documentation, by=author, order=[first.pk])
    assert order() == ["Cut", "Draw", "Assemble"]

    services.step_update(step=second, by=author, title="Cut", body="On the Trotec at 80 %")
    documentation.refresh_from_db()
    assert "trotec at 80" in documentation.search_text

    services.step_delete(step=first, by=author)
    assert list(documentation.steps.order_by("position").values_list("position", "title")) == [
        (1, "Cut"),
        (2, "Assemble"),
    ]
    documentation.refresh_from_db()
    assert "in cad" not in documentation.search_text


def test_steps_reorder_on_the_page(client, world):
    documentation = documentation_make(
        publish=False, steps=(("One", "1"), ("Two", "2"), ("Three", "3"))
    )
    client.force_login(documentation.author)
    last = documentation.steps.get(title="Three")
    response = client.post(
        f"/gallery/{documentation.slug}/steps/{last.pk}/move/", {"direction": "up"}
    )
    assert response.status_code == 302
    assert list(documentation.steps.values_list("title", flat=True)) == ["One", "Three", "Two"]
    response = client.post(
        f"/gallery/{documentation.slug}/steps/",
        {"step-title": "Four", "step-body": "Paint it"},
    )
    assert response.status_code == 302
    assert documentation.steps.get(title="Four").position == 4


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("setup.exe", b"MZ binary", b"Files of this type are not accepted"),
        ("drawing.dxf", b"x" * 2048, b"The file is too large: at most"),
        ("empty.stl", b"", b"The submitted file is empty."),
    ],
)
def test_files_of_a_forbidden_type_or_too_large_are_refused(
    client, world, settings, name, content, message
):
    settings.PROJECTS_ATTACHMENT_MAX_BYTES = 1024
    documentation = documentation_make(publish=False)
    client.force_login(documentation.author)
    upload = SimpleUploadedFile(name, content)
    response = client.post(f"/gallery/{documentation.slug}/files/", {"file-file": upload})
    assert response.status_code == 400
    assert message in response.content
    assert not DocumentationFile.objects.exists()


def test_a_shared_file_is_downloadable_once_published_and_hidden_before(client, world):
    documentation = documentation_make(publish=False)
    author = documentation.author
    services.documentation_file_add(
        documentation=documentation,
        by=author,
        upload=SimpleUploadedFile("Lamp parts.dxf", b"0\nSECTION\n"),
    )
    shared = DocumentationFile.objects.get()
    assert shared.name == "Lamp parts.dxf"
    assert shared.file.name.endswith("/lamp-parts.dxf")
    url = f"/gallery/{documentation.slug}/files/{shared.pk}/"
    assert client.get(url).status_code == 404
    services.documentation_publish(documentation=documentation, by=author, consent=True)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"0\nSECTION\n"
    assert 'filename="Lamp parts.dxf"' in response["Content-Disposition"]


def test_strangers_and_pending_collaborators_cannot_edit(client, world):
    documentation = documentation_make(publish=False)
    stranger = UserFactory()
    client.force_login(stranger)
    assert client.get(f"/gallery/{documentation.slug}/edit/").status_code == 404
    assert (
        client.post(
            f"/gallery/{documentation.slug}/edit/",
            {"title": "Hacked", "summary": "x", "licence": "cc0"},
        ).status_code
        == 404
    )
    with pytest.raises(PermissionDenied):
        services.documentation_update(documentation=documentation, by=stranger, title="Hacked")
    with pytest.raises(PermissionDenied):
        services.step_add(documentation=documentation, by=stranger, title="x", body="y")
    services.collaborator_invite(
        documentation=documentation, by=documentation.author, email=stranger.email
    )
    assert client.get(f"/gallery/{documentation.slug}/edit/").status_code == 404
    documentation.refresh_from_db()
    assert documentation.title == "Plywood desk lamp"
    assert Step.objects.filter(documentation=documentation).count() == 1


def test_the_author_deletes_the_documentation(client, world):
    documentation = documentation_make(publish=True)
    client.force_login(documentation.author)
    response = client.post(f"/gallery/{documentation.slug}/delete/")
    assert response.status_code == 302
    assert not Documentation.objects.exists()


def test_the_project_page_offers_to_document_a_delivered_project(client, world):
    staff = UserFactory(roles=["site_staff"])
    world.esch.staff.add(staff)
    running = project_make(status="in_progress", site=world.esch, lead=staff, title="Running")
    delivered = project_make(status="delivered", site=world.esch, lead=staff)
    client.force_login(delivered.requested_by)
    page = client.get(f"/projects/{delivered.pk}/")
    assert b'data-testid="document-project"' in page.content
    client.force_login(running.requested_by)
    assert b'data-testid="gallery-panel"' not in client.get(f"/projects/{running.pk}/").content

    client.force_login(delivered.requested_by)
    client.post(f"/gallery/from-project/{delivered.pk}/")
    page = client.get(f"/projects/{delivered.pk}/")
    assert b'data-testid="document-project"' not in page.content
    assert b'data-testid="edit-documentation"' in page.content
    # The site's staff see the project, not a way to document it for the requester.
    client.force_login(staff)
    page = client.get(f"/projects/{delivered.pk}/")
    assert page.status_code == 200
    assert b'data-testid="document-project"' not in page.content
