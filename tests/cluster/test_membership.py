"""Applying for membership and the cluster managers' decisions."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from fabreck.cluster.models import Organisation, OrganisationPerson
from tests.factories import UserFactory, organisation_make

pytestmark = pytest.mark.django_db(transaction=True)  # decisions are mailed on commit


def application(**overrides):
    data = {
        "name": "Schreinerei Weber",
        "kind": "company",
        "size_band": "2-9",
        "commune": "esch-sur-alzette",
        "sectors": ["art-crafts"],
        "primary_nace": "16.29",
        "competences": ["carpentry"],
        "description_de": "Wir bauen Möbel nach Maß.",
        "directory_consent": "on",
    }
    data.update(overrides)
    return data


def test_a_user_applies_and_becomes_owner_of_a_pending_organisation(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(reverse("cluster:apply"), application())

    assert response.status_code == 302
    organisation = Organisation.objects.get()
    assert (organisation.slug, organisation.status) == ("schreinerei-weber", "applied")
    assert organisation.memberships.get().user == user
    assert organisation.memberships.get().role == OrganisationPerson.Role.OWNER
    assert organisation.organisationnace_set.get(is_primary=True).nace_class.code == "16.29"
    assert "schreinerei" in organisation.search_name


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"commune": "atlantis"}, "Unknown commune. Choose one of Luxembourg&#x27;s communes."),
        ({"primary_nace": "99.99"}, "Unknown NACE code. Choose a class from the list."),
        ({"description_de": ""}, "Describe the organisation in at least one language."),
        ({"postcode": "12345"}, "A Luxembourg postcode has four digits, e.g. L-4365."),
        ({"founded_year": "1066"}, "Ensure this value is greater than or equal to 1800."),
    ],
)
def test_bad_input_is_explained_and_nothing_is_stored(client, overrides, message):
    client.force_login(UserFactory())

    response = client.post(reverse("cluster:apply"), application(**overrides))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Organisation.objects.exists()


def test_a_taken_profile_address_is_refused(client):
    organisation_make(name="Studio Nova")
    client.force_login(UserFactory())

    response = client.post(reverse("cluster:apply"), application(name="Studio Nova"))

    assert "The address “studio-nova” is already taken." in response.content.decode()
    assert Organisation.objects.count() == 1


def test_a_manager_approves_and_the_owner_is_told_in_their_language(client):
    owner = UserFactory(preferred_language="fr")
    organisation = organisation_make(owner=owner, status="applied", name="Atelier Lumière")
    mail.outbox.clear()
    client.force_login(UserFactory(roles=["cluster_manager"]))

    client.post(reverse("cluster:decide", args=[organisation.slug]), {"decision": "member"})

    organisation.refresh_from_db()
    assert organisation.status == "member" and organisation.member_since is not None
    assert [m.to for m in mail.outbox] == [[owner.email]]
    with translation.override("fr"):
        member_fr = translation.gettext("Member")
    assert member_fr != "Member" and member_fr in mail.outbox[0].body
    assert f"/directory/{organisation.slug}/" in mail.outbox[0].body


def test_refusing_needs_a_reason_which_is_mailed(client):
    organisation = organisation_make(status="applied")
    mail.outbox.clear()
    client.force_login(UserFactory(roles=["cluster_manager"]))
    url = reverse("cluster:decide", args=[organisation.slug])

    response = client.post(url, {"decision": "refused", "reason": " "}, follow=True)
    assert "Give a reason: it is sent to the organisation." in response.content.decode()
    organisation.refresh_from_db()
    assert organisation.status == "applied" and mail.outbox == []

    client.post(url, {"decision": "refused", "reason": "Outside the creative sector."})
    organisation.refresh_from_db()
    assert organisation.status == "refused"
    assert "Outside the creative sector." in mail.outbox[0].body


def test_a_decision_that_does_not_follow_is_refused(client):
    organisation = organisation_make(status="refused")
    client.force_login(UserFactory(roles=["cluster_manager"]))

    response = client.post(
        reverse("cluster:decide", args=[organisation.slug]), {"decision": "lapsed"}, follow=True
    )

    assert "cannot become" in response.content.decode()
    organisation.refresh_from_db()
    assert organisation.status == "refused"


def test_only_cluster_managers_see_and_decide_applications(client):
    organisation = organisation_make(status="applied")
    client.force_login(UserFactory(roles=["maker", "site_staff"]))

    assert client.get(reverse("cluster:applications")).status_code == 403
    response = client.post(
        reverse("cluster:decide", args=[organisation.slug]), {"decision": "member"}
    )
    assert response.status_code == 403
    organisation.refresh_from_db()
    assert organisation.status == "applied"


def test_the_queue_lists_pending_applications_only(client):
    organisation_make(name="Waiting Studio", status="applied")
    organisation_make(name="Member Studio")
    client.force_login(UserFactory(roles=["cluster_manager"]))

    html = client.get(reverse("cluster:applications")).content.decode()

    assert "Waiting Studio" in html and "Member Studio" not in html


def test_the_cluster_profile_counts_every_member_by_kind_sector_size_and_place(client):
    organisation_make(name="A", kind="company", sectors=("design",), commune="luxembourg")
    organisation_make(name="B", kind="research_body", sectors=("games", "design"),
                      commune="esch-sur-alzette", directory_consent=False)  # fmt: skip
    organisation_make(name="C", status="applied")
    client.force_login(UserFactory(roles=["cluster_manager"]))

    summary = client.get(reverse("cluster:summary")).context["summary"]

    assert summary.members == 2 and summary.kinds_of_member == 2
    assert dict(summary.by_sector)["Design"] == 2 and dict(summary.by_sector)["Games"] == 1
    assert dict(summary.by_canton) == {"Luxembourg": 1, "Esch-sur-Alzette": 1}
    assert dict(summary.by_kind) == {"Company": 1, "Research body": 1}


def test_only_cluster_managers_see_the_cluster_profile(client):
    client.force_login(UserFactory(roles=["incubator_manager"]))

    assert client.get(reverse("cluster:summary")).status_code == 403


def test_an_admin_exports_everything_about_the_organisation(client):
    owner = UserFactory(email="owner@kremer.lu")
    organisation_make(owner=owner, name="Kremer", competences=("carpentry",), keywords="oak")
    client.force_login(owner)

    response = client.get(reverse("cluster:organisation-export", args=["kremer"]))

    data = response.json()
    assert response["Content-Disposition"] == 'attachment; filename="kremer.json"'
    assert (data["name"], data["keywords"], data["competences"]) == ("Kremer", "oak", ["carpentry"])
    assert data["people"][0]["email"] == "owner@kremer.lu" and data["people"][0]["role"] == "owner"
    assert data["nace_classes"] == [{"code": "74.10", "primary": True}]


def test_a_plain_member_or_a_stranger_can_neither_export_nor_delete(client):
    organisation = organisation_make(name="Kremer")
    member = UserFactory()
    OrganisationPerson.objects.create(organisation=organisation, user=member, role="member")

    for user in (member, UserFactory()):
        client.force_login(user)
        assert (
            client.get(reverse("cluster:organisation-export", args=["kremer"])).status_code == 404
        )
        url = reverse("cluster:organisation-delete", args=["kremer"])
        assert client.post(url, {"confirmation": "Kremer"}).status_code == 404
    assert Organisation.objects.filter(slug="kremer").exists()


def test_deleting_needs_the_exact_name(client):
    owner = UserFactory()
    organisation_make(owner=owner, name="Kremer")
    client.force_login(owner)
    url = reverse("cluster:organisation-delete", args=["kremer"])

    response = client.post(url, {"confirmation": "kremer"})
    assert "Type the exact name of the organisation to confirm." in response.content.decode()
    assert Organisation.objects.filter(slug="kremer").exists()

    client.post(url, {"confirmation": "Kremer"})
    assert not Organisation.objects.filter(slug="kremer").exists()
    assert OrganisationPerson.objects.filter(user=owner).count() == 0


def _png(size: tuple[int, int] = (8, 8)) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, "purple").save(buffer, "PNG")
    return buffer.getvalue()


def test_a_logo_is_stored_and_shown_on_the_profile(client, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    client.force_login(UserFactory())

    logo = SimpleUploadedFile("logo.png", _png(), content_type="image/png")
    client.post(reverse("cluster:apply"), {**application(), "logo": logo})

    organisation = Organisation.objects.get()
    assert organisation.logo.name == "cluster/logos/schreinerei-weber.png"
    assert (tmp_path / organisation.logo.name).read_bytes().startswith(b"\x89PNG")
    html = client.get(reverse("cluster:profile", args=[organisation.slug])).content.decode()
    assert organisation.logo.url in html


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("logo.png", b"not an image at all", "This file is not an image."),
        ("logo.exe", None, "File extension “exe” is not allowed."),
        ("logo.gif", None, "File extension “gif” is not allowed."),
    ],
)
def test_a_logo_that_is_not_an_allowed_image_is_refused(
    client, settings, tmp_path, name, content, message
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    client.force_login(UserFactory())
    upload = SimpleUploadedFile(name, content if content is not None else _png())

    response = client.post(reverse("cluster:apply"), {**application(), "logo": upload})

    assert message in response.content.decode()
    assert not Organisation.objects.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_logo_over_2_mb_is_refused(client, settings, tmp_path, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fabreck.cluster import forms

    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(forms, "IMAGE_MAX_BYTES", 100)  # a real 2 MB image is slow to build
    client.force_login(UserFactory())

    upload = SimpleUploadedFile("logo.png", _png((64, 64)))
    response = client.post(reverse("cluster:apply"), {**application(), "logo": upload})

    assert "The image is too large: at most 2 MB." in response.content.decode()
    assert not Organisation.objects.exists()
