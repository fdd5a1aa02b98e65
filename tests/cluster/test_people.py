"""An organisation's own people: editing the profile, inviting colleagues, roles,
the portfolio, and changing the profile through the API."""

import io
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from fabreck.cluster.models import Organisation, OrganisationInvitation, OrganisationPerson
from tests.factories import UserFactory, organisation_make

pytestmark = pytest.mark.django_db(transaction=True)  # invitations are mailed on commit

Role = OrganisationPerson.Role


def _png(size=(8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, "PNG")
    return buffer.getvalue()


def _with_person(organisation, role, **user_fields):
    user = UserFactory(**user_fields)
    OrganisationPerson.objects.create(organisation=organisation, user=user, role=role)
    return user


def _profile_form(organisation, **overrides):
    data = {
        "name": organisation.name,
        "slug": organisation.slug,
        "kind": organisation.kind,
        "size_band": organisation.size_band,
        "commune": organisation.commune.slug,
        "sectors": ["design"],
        "primary_nace": "74.10",
        "competences": ["graphic-design", "branding"],
        "description_en": "We design identities.",
        "directory_consent": "on",
        "show_address": "on",
    }
    data.update(overrides)
    return data


# --- Editing the profile -------------------------------------------------------------


def test_an_admin_edits_the_profile_and_search_finds_the_new_words(client):
    owner = UserFactory()
    organisation = organisation_make(owner=owner, name="Pixel Studio", competences=("photography",))
    client.force_login(owner)

    form_page = client.get(reverse("cluster:edit", args=["pixel-studio"]))
    assert 'value="Pixel Studio"' in form_page.content.decode()  # the form shows what is there

    response = client.post(
        reverse("cluster:edit", args=["pixel-studio"]),
        _profile_form(organisation, linkedin="https://www.linkedin.com/company/pixel"),
    )

    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.description_en == "We design identities."
    assert set(organisation.competences.values_list("slug", flat=True)) == {
        "graphic-design",
        "branding",
    }
    assert organisation.status == Organisation.Status.MEMBER  # membership is not the editor's
    found = client.get(reverse("cluster:directory"), {"q": "graphiste"}).content.decode()
    assert "Pixel Studio" in found  # cross-language search sees the new competence
    profile = client.get(reverse("cluster:profile", args=["pixel-studio"])).content.decode()
    assert "https://www.linkedin.com/company/pixel" in profile


def test_a_plain_member_or_a_stranger_cannot_edit(client):
    organisation = organisation_make(name="Pixel Studio")
    member = _with_person(organisation, Role.MEMBER)

    for user in (member, UserFactory()):
        client.force_login(user)
        response = client.post(
            reverse("cluster:edit", args=["pixel-studio"]),
            _profile_form(organisation, name="Hijacked"),
        )
        assert response.status_code == 404
    assert Organisation.objects.get().name == "Pixel Studio"


def test_taking_another_organisations_address_is_refused(client):
    owner = UserFactory()
    organisation = organisation_make(owner=owner, name="Pixel Studio")
    organisation_make(name="Taken")
    client.force_login(owner)

    response = client.post(
        reverse("cluster:edit", args=["pixel-studio"]), _profile_form(organisation, slug="taken")
    )

    assert "The address “taken” is already taken." in response.content.decode()
    assert Organisation.objects.filter(slug="pixel-studio").exists()


# --- Invitations ---------------------------------------------------------------------


def _invite(client, organisation, email, role="member"):
    return client.post(
        reverse("cluster:people", args=[organisation.slug]), {"email": email, "role": role}
    )


def _link_in_last_mail() -> str:
    return re.search(r"https?://\S+/cluster/invitations/\S+/", mail.outbox[-1].body).group(0)


def test_an_invited_colleague_joins_with_the_role_through_the_link(client):
    owner = UserFactory()
    organisation = organisation_make(owner=owner, name="Pixel Studio")
    colleague = UserFactory(email="lea@pixel.lu", preferred_language="fr")
    client.force_login(owner)

    response = _invite(client, organisation, "Lea@Pixel.lu", role="admin")

    assert response.status_code == 302
    assert mail.outbox[-1].to == ["lea@pixel.lu"]
    assert "Pixel Studio" in mail.outbox[-1].subject
    assert "Rejoignez" in mail.outbox[-1].subject  # in the invitee's language
    link = _link_in_last_mail()
    assert OrganisationInvitation.objects.get().digest not in link  # only the digest is kept

    client.force_login(colleague)
    path = link.split("://", 1)[1].split("/", 1)[1]
    assert "Pixel Studio" in client.get("/" + path).content.decode()
    client.post("/" + path)

    person = organisation.memberships.get(user=colleague)
    assert person.role == Role.ADMIN
    # The link is spent.
    again = client.post("/" + path)
    assert again.status_code == 400
    assert "Cette invitation a déjà été acceptée." in again.content.decode()  # in her language


def test_an_invitation_is_only_for_the_address_it_was_sent_to(client):
    owner = UserFactory()
    organisation = organisation_make(owner=owner, name="Pixel Studio")
    client.force_login(owner)
    _invite(client, organisation, "lea@pixel.lu")
    path = "/" + _link_in_last_mail().split("://", 1)[1].split("/", 1)[1]

    client.force_login(UserFactory(email="someone@else.lu"))
    response = client.post(path)

    assert response.status_code == 400
    assert "This invitation was sent to lea@pixel.lu" in response.content.decode()
    assert organisation.memberships.count() == 1


@pytest.mark.parametrize(
    ("email", "role", "message"),
    [
        ("not-an-address", "member", "Enter a valid email address."),
        ("owner@pixel.lu", "member", "owner@pixel.lu already belongs to this organisation."),
        ("lea@pixel.lu", "owner", "Select a valid choice."),
    ],
)
def test_bad_invitations_are_explained_and_nothing_is_sent(client, email, role, message):
    owner = UserFactory(email="owner@pixel.lu")
    organisation = organisation_make(owner=owner, name="Pixel Studio")
    client.force_login(owner)
    mail.outbox.clear()  # the approval of the organisation

    response = _invite(client, organisation, email, role=role)

    assert message in response.content.decode()
    assert not OrganisationInvitation.objects.exists()
    assert mail.outbox == []


def test_inviting_twice_is_refused_until_the_first_expires(client):
    owner = UserFactory()
    organisation = organisation_make(owner=owner, name="Pixel Studio")
    client.force_login(owner)
    mail.outbox.clear()  # the approval of the organisation
    _invite(client, organisation, "lea@pixel.lu")

    second = _invite(client, organisation, "lea@pixel.lu")
    assert "lea@pixel.lu has already been invited." in second.content.decode()
    assert len(mail.outbox) == 1

    OrganisationInvitation.objects.update(expires_at=timezone.now())
    assert _invite(client, organisation, "lea@pixel.lu").status_code == 302
    assert len(mail.outbox) == 2


def test_an_expired_or_withdrawn_invitation_cannot_be_used(client):
    owner = UserFactory()
    organisation = organisation_make(owner=owner, name="Pixel Studio")
    lea = UserFactory(email="lea@pixel.lu")
    client.force_login(owner)
    _invite(client, organisation, "lea@pixel.lu")
    path = "/" + _link_in_last_mail().split("://", 1)[1].split("/", 1)[1]
    invitation = OrganisationInvitation.objects.get()
    client.post(reverse("cluster:invitation-revoke", args=["pixel-studio", invitation.pk]))

    client.force_login(lea)
    response = client.post(path)

    assert response.status_code == 400
    assert "This invitation has been withdrawn." in response.content.decode()
    assert not organisation.memberships.filter(user=lea).exists()


def test_only_owners_invite_admins(client):
    organisation = organisation_make(name="Pixel Studio")
    admin = _with_person(organisation, Role.ADMIN)
    client.force_login(admin)

    response = _invite(client, organisation, "lea@pixel.lu", role="admin")

    assert "Only owners may invite admins." in response.content.decode()
    assert not OrganisationInvitation.objects.exists()


# --- Roles and leaving -----------------------------------------------------------------


def test_the_last_owner_can_neither_leave_nor_be_demoted(client):
    owner = UserFactory()
    organisation = organisation_make(owner=owner, name="Pixel Studio")
    person = organisation.memberships.get(user=owner)
    client.force_login(owner)

    client.post(
        reverse("cluster:person-role", args=["pixel-studio", person.pk]), {"role": "member"}
    )
    response = client.post(
        reverse("cluster:person-remove", args=["pixel-studio", person.pk]), follow=True
    )

    assert "An organisation needs at least one owner" in response.content.decode()
    assert organisation.memberships.get().role == Role.OWNER


def test_an_owner_hands_over_and_then_leaves(client):
    owner = UserFactory()
    organisation = organisation_make(owner=owner, name="Pixel Studio")
    successor = _with_person(organisation, Role.MEMBER)
    successor_person = organisation.memberships.get(user=successor)
    client.force_login(owner)

    client.post(
        reverse("cluster:person-role", args=["pixel-studio", successor_person.pk]),
        {"role": "owner"},
    )
    me = organisation.memberships.get(user=owner)
    response = client.post(reverse("cluster:person-remove", args=["pixel-studio", me.pk]))

    assert response.url == reverse("cluster:my-organisations")
    assert list(organisation.memberships.values_list("user_id", "role")) == [
        (successor.pk, Role.OWNER)
    ]


def test_an_admin_cannot_make_themselves_owner(client):
    organisation = organisation_make(name="Pixel Studio")
    admin = _with_person(organisation, Role.ADMIN)
    person = organisation.memberships.get(user=admin)
    client.force_login(admin)

    response = client.post(
        reverse("cluster:person-role", args=["pixel-studio", person.pk]),
        {"role": "owner"},
        follow=True,
    )

    assert "Only owners may give or take the owner role." in response.content.decode()
    assert organisation.memberships.get(user=admin).role == Role.ADMIN


def test_a_member_sees_the_people_but_cannot_manage_them(client):
    organisation = organisation_make(name="Pixel Studio")
    member = _with_person(organisation, Role.MEMBER)
    other = _with_person(organisation, Role.MEMBER)
    client.force_login(member)

    page = client.get(reverse("cluster:people", args=["pixel-studio"])).content.decode()
    assert "Invite someone" not in page
    response = client.post(
        reverse(
            "cluster:person-remove",
            args=["pixel-studio", organisation.memberships.get(user=other).pk],
        )
    )

    assert response.status_code == 403
    assert organisation.memberships.filter(user=other).exists()
    assert client.get(reverse("cluster:people", args=["pixel-studio"])).status_code == 200
    client.force_login(UserFactory())
    assert client.get(reverse("cluster:people", args=["pixel-studio"])).status_code == 404


# --- Portfolio -----------------------------------------------------------------------------


def test_a_portfolio_item_with_an_image_appears_on_the_profile(client, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    owner = UserFactory()
    organisation_make(owner=owner, name="Pixel Studio")
    client.force_login(owner)

    response = client.post(
        reverse("cluster:portfolio", args=["pixel-studio"]),
        {
            "title": "Festival identity",
            "year": "2025",
            "link": "https://pixel.lu/festival",
            "image": SimpleUploadedFile("festival.png", _png()),
        },
    )

    assert response.status_code == 302
    client.logout()
    profile = client.get(reverse("cluster:profile", args=["pixel-studio"])).content.decode()
    assert "Festival identity" in profile
    assert "https://pixel.lu/festival" in profile
    assert len(list((tmp_path / "cluster" / "portfolio").iterdir())) == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": ""}, "This field is required."),
        ({"year": "1850"}, "Ensure this value is greater than or equal to 1900."),
        ({"image": ("evil.png", b"MZ not an image")}, "This file is not an image."),
    ],
)
def test_bad_portfolio_items_are_refused(client, settings, tmp_path, fields, message):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    owner = UserFactory()
    organisation = organisation_make(owner=owner, name="Pixel Studio")
    client.force_login(owner)
    data = {"title": "Work", **fields}
    if "image" in fields:
        data["image"] = SimpleUploadedFile(*fields["image"])

    response = client.post(reverse("cluster:portfolio", args=["pixel-studio"]), data)

    assert message in response.content.decode()
    assert not organisation.portfolio_items.exists()
    assert list(tmp_path.iterdir()) == []


# --- The API: members edit their own organisation -------------------------------------------


def _token_client(client, user):
    from fabreck.accounts.services import api_token_create

    _token, secret = api_token_create(user=user, name="script")
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {secret}"
    return client


def test_an_admin_patches_the_profile_by_api(client):
    owner = UserFactory()
    organisation_make(owner=owner, name="Pixel Studio", competences=("photography",))
    api = _token_client(client, owner)

    response = api.patch(
        "/api/v1/organisations/pixel-studio/",
        {"description_fr": "Studio de design.", "competences": ["branding", "photography"]},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["description_fr"] == "Studio de design."
    assert sorted(body["competences"]) == ["branding", "photography"]
    assert body["name"] == "Pixel Studio"  # untouched fields keep their value


@pytest.mark.parametrize(
    ("patch", "field", "message"),
    [
        ({"primary_nace": "99.99"}, "primary_nace", "Unknown NACE code."),
        ({"commune": "atlantis"}, "commune", "Unknown commune."),
        ({"status": "member"}, "status", "This field cannot be changed here."),
    ],
)
def test_bad_api_patches_are_explained_and_change_nothing(client, patch, field, message):
    owner = UserFactory()
    organisation_make(owner=owner, name="Pixel Studio")
    api = _token_client(client, owner)

    response = api.patch(
        "/api/v1/organisations/pixel-studio/", patch, content_type="application/json"
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert message in " ".join(error["fields"][field])
    organisation = Organisation.objects.get()
    assert (organisation.commune.slug, organisation.status) == ("luxembourg", "member")


def test_others_cannot_patch_an_organisation(client):
    organisation = organisation_make(name="Pixel Studio")
    member = _with_person(organisation, Role.MEMBER)

    anonymous = client.patch(
        "/api/v1/organisations/pixel-studio/", {"name": "X"}, content_type="application/json"
    )
    assert anonymous.status_code in (401, 403)
    response = _token_client(client, member).patch(
        "/api/v1/organisations/pixel-studio/", {"name": "X"}, content_type="application/json"
    )
    assert response.status_code == 404
    assert Organisation.objects.get().name == "Pixel Studio"


def test_edit_pages_render_in_the_three_languages(client):
    owner = UserFactory()
    organisation_make(owner=owner, name="Pixel Studio")
    client.force_login(owner)
    for language, word in (("en", "People"), ("fr", "Personnes"), ("de", "Personen")):
        owner.preferred_language = language  # what the pages follow for a signed-in user
        owner.save(update_fields=["preferred_language"])
        for name in ("cluster:edit", "cluster:people", "cluster:portfolio"):
            response = client.get(reverse(name, args=["pixel-studio"]))
            assert response.status_code == 200
            assert word in response.content.decode(), (language, name)
