"""Calls for projects: publishing, documents, interest, consortia, the digest, the API."""

import io
import random
import zipfile
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from fabreck.cluster.models import (
    Call,
    CallDigestConsent,
    CallDigestSent,
    CallDocument,
    CallInterest,
    Competence,
    Consortium,
    ConsortiumMembership,
    OrganisationPerson,
    Sector,
)
from fabreck.cluster.services import (
    CallData,
    call_close,
    call_create,
    call_digest_consent_set,
    call_digest_send,
    call_document_add,
    call_interest_declare,
    call_interest_withdraw,
    call_publish,
    consortium_create,
    consortium_dissolve,
    consortium_invite,
    consortium_lead_hand_over,
    consortium_leave,
    consortium_respond,
    membership_decide,
)
from tests.factories import UserFactory, organisation_make

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def manager():
    return UserFactory(roles=["cluster_manager"])


def call_make(
    *,
    manager=None,
    title_en="Museum signage",
    status="published",
    competences=(),
    sectors=(),
    days=30,
    **fields,
) -> Call:
    """A call made through the services, published unless told otherwise."""
    manager = manager or UserFactory(roles=["cluster_manager"])
    data = CallData(
        kind=fields.pop("kind", "tender"),
        funder=fields.pop("funder", "Ville de Luxembourg"),
        deadline=timezone.now() + timedelta(days=days),
        title_en=title_en,
        competences=Competence.objects.filter(slug__in=competences),
        sectors=Sector.objects.filter(slug__in=sectors),
        **fields,
    )
    call = call_create(by=manager, data=data)
    if status in {"published", "closed"}:
        call = call_publish(call=call, by=manager)
    if status == "closed":
        call = call_close(call=call, by=manager)
    return call


def deadline_passes(call: Call) -> None:
    """Time goes by: the call's deadline is now behind us."""
    Call.objects.filter(pk=call.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    call.refresh_from_db()


def admin_of(organisation, *, language="en", role="admin"):
    user = UserFactory(preferred_language=language)
    OrganisationPerson.objects.create(organisation=organisation, user=user, role=role)
    return user


def pdf(name="rules.pdf", size=None) -> SimpleUploadedFile:
    content = b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n"
    if size:
        content += b"0" * (size - len(content))
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def zipped(name: str, members: dict[str, bytes]) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    return SimpleUploadedFile(name, buffer.getvalue())


# --- managers publish calls -------------------------------------------------------------


def test_a_manager_drafts_publishes_and_closes_a_call_seen_by_the_public_only_once_published(
    client, manager
):
    client.force_login(manager)
    response = client.post(
        reverse("cluster:call-new"),
        {
            "kind": "grant", "title_en": "Export grant", "title_fr": "Aide à l'export",
            "funder": "Kultur:LX", "budget": "25000", "sectors": ["design"],
            "competences": ["graphic-design"],
            "deadline": (timezone.localtime() + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M"),
        },
    )  # fmt: skip
    call = Call.objects.get()
    assert response.status_code == 302
    assert (call.slug, call.status, call.budget) == ("export-grant", "draft", Decimal("25000"))
    visitor = type(client)()
    assert visitor.get(reverse("cluster:call", args=[call.slug])).status_code == 404
    assert "Export grant" not in visitor.get(reverse("cluster:calls")).content.decode()

    client.post(reverse("cluster:call-publish", args=[call.slug]))
    call.refresh_from_db()
    assert call.status == "published" and call.published_at is not None
    assert "Export grant" in visitor.get(reverse("cluster:calls")).content.decode()
    html_fr = visitor.get(reverse("cluster:call", args=[call.slug]), HTTP_ACCEPT_LANGUAGE="fr")
    assert "Aide à l&#x27;export" in html_fr.content.decode()

    client.post(reverse("cluster:call-close", args=[call.slug]))
    call.refresh_from_db()
    assert call.status == "closed"
    assert "Export grant" not in visitor.get(reverse("cluster:calls")).content.decode()
    assert "Export grant" in visitor.get(reverse("cluster:calls"), {"open": "0"}).content.decode()


def test_a_manager_edits_a_call_and_its_address_stays(client, manager):
    call = call_make(manager=manager, title_en="Old title")
    client.force_login(manager)
    data = {
        "kind": "tender", "title_en": "New title", "funder": "Fonds Belval",
        "deadline": timezone.localtime(call.deadline).strftime("%Y-%m-%dT%H:%M"),
    }  # fmt: skip

    assert client.post(reverse("cluster:call-edit", args=[call.slug]), data).status_code == 302

    call.refresh_from_db()
    assert (call.slug, call.title, call.funder) == ("old-title", "New title", "Fonds Belval")
    assert "new title" in call.search_text


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title_en": ""}, "Give the call a title in at least one language."),
        ({"budget": "-5"}, "Ensure this value is greater than or equal to 0."),
        ({"deadline": "2001-01-01T10:00"}, "The deadline must be in the future."),
        ({"deadline": "next week"}, "Enter a valid date/time."),
        ({"kind": "lottery"}, "Select a valid choice."),
        ({"sectors": ["underwater-basket"]}, "Select a valid choice."),
    ],
)
def test_bad_call_input_is_explained_and_nothing_is_stored(client, manager, overrides, message):
    client.force_login(manager)
    data = {
        "kind": "tender", "title_en": "Signage", "funder": "Ville",
        "deadline": (timezone.localtime() + timedelta(days=9)).strftime("%Y-%m-%dT%H:%M"),
        **overrides,
    }  # fmt: skip

    response = client.post(reverse("cluster:call-new"), data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Call.objects.exists()


def test_a_call_whose_deadline_passed_cannot_be_published(manager):
    call = call_make(manager=manager, status="draft")
    deadline_passes(call)

    with pytest.raises(ValidationError, match="move it to the future"):
        call_publish(call=call, by=manager)
    call.refresh_from_db()
    assert call.status == "draft"


def test_a_closed_call_cannot_be_changed_or_closed_again(manager):
    call = call_make(manager=manager, status="closed")

    with pytest.raises(ValidationError, match="Only a published call can be closed"):
        call_close(call=call, by=manager)
    with pytest.raises(ValidationError, match="Only a draft can be published"):
        call_publish(call=call, by=manager)


def test_only_cluster_managers_manage_calls(client):
    call = call_make(status="draft")
    maker = UserFactory(roles=["maker", "organisation_admin"])
    client.force_login(maker)

    assert client.get(reverse("cluster:calls-manage")).status_code == 403
    assert client.get(reverse("cluster:call-new")).status_code == 403
    assert client.post(reverse("cluster:call-publish", args=[call.slug])).status_code == 403
    upload = client.post(reverse("cluster:call-document-add", args=[call.slug]), {"file": pdf()})
    assert upload.status_code == 403
    with pytest.raises(PermissionDenied):
        call_create(by=maker, data=CallData(kind="tender", funder="x",
                                            deadline=call.deadline, title_en="x"))  # fmt: skip
    call.refresh_from_db()
    assert call.status == "draft" and Call.objects.count() == 1


def test_the_database_refuses_an_unknown_kind_or_status(manager):
    call = call_make(manager=manager)
    with pytest.raises(IntegrityError), transaction.atomic():
        Call.objects.filter(pk=call.pk).update(kind="lottery")
    with pytest.raises(IntegrityError), transaction.atomic():
        Call.objects.filter(pk=call.pk).update(status="archived")


# --- documents --------------------------------------------------------------------------


def test_a_manager_attaches_a_document_that_anyone_downloads(client, manager, _media):
    call = call_make(manager=manager)
    client.force_login(manager)

    response = client.post(
        reverse("cluster:call-document-add", args=[call.slug]),
        {"title": "Rules", "file": pdf("Règlement 2026.pdf")},
    )

    assert response.status_code == 302
    document = CallDocument.objects.get()
    assert (document.title, document.filename, document.extension) == (
        "Rules", "Règlement 2026.pdf", "pdf",
    )  # fmt: skip
    visitor = type(client)()
    page = visitor.get(reverse("cluster:call", args=[call.slug])).content.decode()
    url = reverse("cluster:call-document", args=[call.slug, document.pk])
    assert url in page
    download = visitor.get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    assert "attachment" in download["Content-Disposition"]


def docx_fake() -> SimpleUploadedFile:
    return zipped("offer.docx", {"hello.txt": b"not a word document"})


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: pdf(size=10 * 1024 * 1024 + 1), "The file is too large (10.0 MB): at most 10 MB."),
        (lambda: SimpleUploadedFile("setup.exe", b"MZ\x90\x00"),
         "This type of file is not accepted: upload a PDF, DOCX, XLSX, ODT or ZIP."),
        (lambda: SimpleUploadedFile("notes", b"%PDF-1.4"),
         "This type of file is not accepted: upload a PDF, DOCX, XLSX, ODT or ZIP."),
        (lambda: SimpleUploadedFile("rules.pdf", b"<html>a web page</html>"),
         "This file is not a valid PDF file."),
        (docx_fake, "This file is not a valid DOCX file."),
        (lambda: SimpleUploadedFile("table.xlsx", b"PK\x03\x04broken"),
         "This file is not a valid XLSX file."),
    ],
)  # fmt: skip
def test_a_document_too_large_or_of_the_wrong_type_is_refused_and_nothing_is_stored(
    client, manager, _media, upload, message
):
    call = call_make(manager=manager)
    client.force_login(manager)

    response = client.post(
        reverse("cluster:call-document-add", args=[call.slug]), {"title": "x", "file": upload()}
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CallDocument.objects.exists()
    assert not any(p.is_file() for p in _media.rglob("*")) if _media.exists() else True


@pytest.mark.parametrize(
    "upload",
    [
        lambda: zipped("offer.docx", {"word/document.xml": b"<w/>"}),
        lambda: zipped("budget.xlsx", {"xl/workbook.xml": b"<x/>"}),
        lambda: zipped("note.odt", {"mimetype": b"application/vnd.oasis.opendocument.text"}),
        lambda: zipped("annexes.zip", {"a.txt": b"a"}),
    ],
)
def test_office_documents_and_archives_are_accepted(manager, upload):
    call = call_make(manager=manager)

    document = call_document_add(call=call, by=manager, title="", file=upload())

    assert document.pk and document.title == document.filename.rsplit(".", 1)[0]


def test_a_drafts_documents_are_not_public(client, manager):
    call = call_make(manager=manager, status="draft")
    document = call_document_add(call=call, by=manager, title="Rules", file=pdf())

    url = reverse("cluster:call-document", args=[call.slug, document.pk])
    assert client.get(url).status_code == 404
    client.force_login(manager)
    assert client.get(url).status_code == 200


# --- interest ---------------------------------------------------------------------------


def test_a_member_organisations_admin_declares_and_withdraws_interest(client):
    call = call_make()
    owner = UserFactory()
    organisation = organisation_make(owner=owner, name="Atelier Nova")
    client.force_login(owner)
    url = reverse("cluster:call-interest", args=[call.slug])

    client.post(url, {"organisation": "atelier-nova", "action": "declare"})
    client.post(url, {"organisation": "atelier-nova", "action": "declare"})  # no change

    assert CallInterest.objects.get().organisation == organisation
    page = client.get(reverse("cluster:call", args=[call.slug])).content.decode()
    assert "Withdraw interest" in page
    assert 'href="/directory/atelier-nova/">Atelier Nova</a>' in page

    client.post(url, {"organisation": "atelier-nova", "action": "withdraw"})
    assert not CallInterest.objects.exists()


def test_an_organisation_that_is_not_a_member_cannot_declare_interest():
    call = call_make()
    owner = UserFactory()
    pending = organisation_make(owner=owner, name="Pending Studio", status="applied")

    with pytest.raises(ValidationError, match="Pending Studio is not a member of the cluster"):
        call_interest_declare(call=call, organisation=pending, by=owner)
    assert not CallInterest.objects.exists()


def test_only_owners_and_admins_speak_for_their_organisation():
    call = call_make()
    organisation = organisation_make(name="Atelier Nova")
    plain_member = admin_of(organisation, role="member")

    with pytest.raises(PermissionDenied):
        call_interest_declare(call=call, organisation=organisation, by=plain_member)
    with pytest.raises(PermissionDenied):
        call_interest_declare(call=call, organisation=organisation, by=UserFactory())
    assert call_interest_declare(call=call, organisation=organisation, by=admin_of(organisation))


def test_no_interest_after_the_deadline_nor_in_a_closed_call(client):
    owner = UserFactory()
    organisation = organisation_make(owner=owner)
    late = call_make(title_en="Late")
    deadline_passes(late)
    closed = call_make(title_en="Closed", status="closed")

    with pytest.raises(ValidationError, match="The deadline of this call has passed"):
        call_interest_declare(call=late, organisation=organisation, by=owner)
    with pytest.raises(ValidationError, match="This call is not open"):
        call_interest_declare(call=closed, organisation=organisation, by=owner)
    client.force_login(owner)
    response = client.post(
        reverse("cluster:call-interest", args=[late.slug]),
        {"organisation": organisation.slug, "action": "declare"},
        follow=True,
    )
    assert "The deadline of this call has passed." in response.content.decode()
    assert not CallInterest.objects.exists()


def test_withdrawing_needs_an_interest_and_no_consortium():
    call = call_make()
    owner = UserFactory()
    organisation = organisation_make(owner=owner, name="Lead Co")

    with pytest.raises(ValidationError, match="has not declared interest"):
        call_interest_withdraw(call=call, organisation=organisation, by=owner)
    consortium_create(call=call, lead=organisation, name="Team", by=owner)
    with pytest.raises(ValidationError, match="Lead Co is in a consortium for this call"):
        call_interest_withdraw(call=call, organisation=organisation, by=owner)


# --- consortia --------------------------------------------------------------------------


@pytest.fixture
def team():
    """A call, a lead organisation with its owner, and a member organisation to invite
    whose owner reads French."""
    call = call_make(title_en="Library furniture", title_fr="Mobilier de bibliothèque")
    lead_owner = UserFactory()
    lead = organisation_make(owner=lead_owner, name="Lead Studio")
    partner_owner = UserFactory(preferred_language="fr")
    partner = organisation_make(owner=partner_owner, name="Holzwerk")
    return call, lead, lead_owner, partner, partner_owner


def test_forming_a_consortium_declares_the_leads_interest(client, team):
    call, lead, lead_owner, _partner, _ = team
    client.force_login(lead_owner)

    response = client.post(
        reverse("cluster:consortium-new", args=[call.slug]),
        {"lead": lead.slug, "name": "Team Minett"},
    )

    consortium = Consortium.objects.get()
    assert response.url == reverse("cluster:consortium", args=[consortium.pk])
    assert (consortium.name, consortium.lead) == ("Team Minett", lead)
    assert CallInterest.objects.filter(call=call, organisation=lead).exists()
    member = consortium.memberships.get()
    assert (member.organisation, member.status) == (lead, "accepted")
    with pytest.raises(ValidationError, match="Lead Studio already leads a consortium"):
        consortium_create(call=call, lead=lead, name="Another", by=lead_owner)


def test_an_invitation_is_mailed_to_the_invited_admins_in_their_language(
    client, team, django_capture_on_commit_callbacks
):
    call, lead, lead_owner, partner, partner_owner = team
    partner_admin = admin_of(partner, language="de")
    admin_of(partner, role="member")  # plain members are not asked
    consortium = consortium_create(call=call, lead=lead, name="Team Minett", by=lead_owner)
    client.force_login(lead_owner)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("cluster:consortium-invite", args=[consortium.pk]), {"organisation": "holzwerk"}
        )

    assert response.status_code == 302
    assert consortium.memberships.get(organisation=partner).status == "invited"
    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {partner_owner.email, partner_admin.email}
    french, german = by_address[partner_owner.email], by_address[partner_admin.email]
    assert "Lead Studio" in french.subject and "Holzwerk" in french.subject
    assert "Mobilier de bibliothèque" in french.body and "Library furniture" in german.body
    link = f"/consortia/{consortium.pk}/"
    assert link in french.body and link in german.body
    with translation.override("fr"):
        signature = translation.gettext("The Fabreck team")
    assert signature != "The Fabreck team" and signature in french.body


def test_inviting_a_non_member_is_refused_clearly_and_nothing_is_stored(
    client, team, django_capture_on_commit_callbacks
):
    call, lead, lead_owner, _partner, _ = team
    organisation_make(name="Applicant Co", status="applied")
    suspended = organisation_make(name="Suspended Co")
    membership_decide(organisation=suspended, status="suspended", by=UserFactory(), reason="dues")
    consortium = consortium_create(call=call, lead=lead, name="Team", by=lead_owner)
    client.force_login(lead_owner)
    mail.outbox.clear()
    url = reverse("cluster:consortium-invite", args=[consortium.pk])

    with django_capture_on_commit_callbacks(execute=True):
        pending = client.post(url, {"organisation": "applicant-co"})
        suspended = client.post(url, {"organisation": "suspended-co"})
        unknown = client.post(url, {"organisation": "nobody-here"})

    assert pending.status_code == suspended.status_code == unknown.status_code == 400
    assert (
        "Applicant Co is not a member of the cluster: only members can join a consortium."
        in pending.content.decode()
    )
    assert "Suspended Co is not a member of the cluster" in suspended.content.decode()
    assert "No organisation has the address “nobody-here”." in unknown.content.decode()
    assert consortium.memberships.count() == 1  # the lead only
    assert mail.outbox == []


def test_inviting_an_organisation_already_in_is_refused(team):
    call, lead, lead_owner, partner, _ = team
    consortium = consortium_create(call=call, lead=lead, name="Team", by=lead_owner)
    consortium_invite(consortium=consortium, organisation=partner, by=lead_owner)

    with pytest.raises(ValidationError, match="Holzwerk is already in this consortium"):
        consortium_invite(consortium=consortium, organisation=partner, by=lead_owner)
    with pytest.raises(ValidationError, match="Lead Studio is already in this consortium"):
        consortium_invite(consortium=consortium, organisation=lead, by=lead_owner)
    assert consortium.memberships.count() == 2


def test_only_the_leads_admins_invite(team):
    call, lead, lead_owner, _partner, partner_owner = team
    consortium = consortium_create(call=call, lead=lead, name="Team", by=lead_owner)
    third = organisation_make(name="Third")

    with pytest.raises(PermissionDenied):
        consortium_invite(consortium=consortium, organisation=third, by=partner_owner)
    assert consortium.memberships.count() == 1


def test_the_invited_accept_on_the_consortium_page_and_the_lead_is_told(
    client, team, django_capture_on_commit_callbacks
):
    call, lead, lead_owner, partner, partner_owner = team
    consortium = consortium_create(call=call, lead=lead, name="Team", by=lead_owner)
    consortium_invite(consortium=consortium, organisation=partner, by=lead_owner)
    client.force_login(partner_owner)
    page = client.get(reverse("cluster:consortium", args=[consortium.pk]))
    assert page.status_code == 200 and "Accept" in page.content.decode()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("cluster:consortium-respond", args=[consortium.pk]),
            {"organisation": "holzwerk", "decision": "accept"},
        )

    membership = consortium.memberships.get(organisation=partner)
    assert membership.status == "accepted" and membership.responded_by == partner_owner
    assert CallInterest.objects.filter(call=call, organisation=partner).exists()
    assert [m.to for m in mail.outbox] == [[lead_owner.email]]
    with translation.override("en"), pytest.raises(ValidationError, match="already been answered"):
        consortium_respond(membership=membership, accept=False, by=partner_owner)
    public = type(client)().get(reverse("cluster:call", args=[call.slug])).content.decode()
    assert "Team" in public and ">Holzwerk</a>" in public


def test_declining_and_being_invited_again(team):
    call, lead, lead_owner, partner, partner_owner = team
    consortium = consortium_create(call=call, lead=lead, name="Team", by=lead_owner)
    membership = consortium_invite(consortium=consortium, organisation=partner, by=lead_owner)

    with pytest.raises(PermissionDenied):
        consortium_respond(membership=membership, accept=True, by=lead_owner)
    membership = consortium_respond(membership=membership, accept=False, by=partner_owner)
    assert membership.status == "declined"

    again = consortium_invite(consortium=consortium, organisation=partner, by=lead_owner)
    assert again.pk == membership.pk and again.status == "invited" and again.responded_at is None


def test_a_member_leaves_but_the_lead_hands_over_or_dissolves(client, team):
    call, lead, lead_owner, partner, partner_owner = team
    consortium = consortium_create(call=call, lead=lead, name="Team", by=lead_owner)
    invitation = consortium_invite(consortium=consortium, organisation=partner, by=lead_owner)
    consortium_respond(membership=invitation, accept=True, by=partner_owner)

    client.force_login(lead_owner)
    response = client.post(
        reverse("cluster:consortium-leave", args=[consortium.pk]),
        {"organisation": lead.slug},
        follow=True,
    )
    assert "The lead organisation cannot leave its consortium" in response.content.decode()
    assert consortium.memberships.get(organisation=lead).status == "accepted"

    consortium_lead_hand_over(consortium=consortium, to=partner, by=lead_owner)
    consortium.refresh_from_db()
    assert consortium.lead == partner
    consortium_leave(consortium=consortium, organisation=lead, by=lead_owner)
    assert consortium.memberships.get(organisation=lead).status == "left"
    with pytest.raises(ValidationError, match="Lead Studio is not a member of this consortium"):
        consortium_leave(consortium=consortium, organisation=lead, by=lead_owner)

    with pytest.raises(PermissionDenied):
        consortium_dissolve(consortium=consortium, by=lead_owner)  # no longer the lead
    consortium_dissolve(consortium=consortium, by=partner_owner)
    assert not Consortium.objects.exists() and not ConsortiumMembership.objects.exists()


def test_the_lead_is_handed_only_to_a_member_that_accepted(team):
    call, lead, lead_owner, partner, _ = team
    consortium = consortium_create(call=call, lead=lead, name="Team", by=lead_owner)
    consortium_invite(consortium=consortium, organisation=partner, by=lead_owner)

    with pytest.raises(ValidationError, match="Only an organisation that accepted"):
        consortium_lead_hand_over(consortium=consortium, to=partner, by=lead_owner)


def test_no_invitation_nor_acceptance_after_the_deadline(team):
    call, lead, lead_owner, partner, partner_owner = team
    consortium = consortium_create(call=call, lead=lead, name="Team", by=lead_owner)
    invitation = consortium_invite(consortium=consortium, organisation=partner, by=lead_owner)
    deadline_passes(call)

    with pytest.raises(ValidationError, match="The deadline of this call has passed"):
        consortium_invite(consortium=consortium, organisation=organisation_make(name="Late"),
                          by=lead_owner)  # fmt: skip
    with pytest.raises(ValidationError, match="The deadline of this call has passed"):
        consortium_respond(membership=invitation, accept=True, by=partner_owner)
    assert consortium_respond(membership=invitation, accept=False, by=partner_owner)


def test_a_consortium_page_is_only_for_those_involved(client, team):
    call, lead, lead_owner, _partner, _ = team
    consortium = consortium_create(call=call, lead=lead, name="Team", by=lead_owner)
    url = reverse("cluster:consortium", args=[consortium.pk])

    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.force_login(UserFactory(roles=["cluster_manager"]))
    assert client.get(url).status_code == 200


# --- the digest -------------------------------------------------------------------------


@pytest.fixture
def digest_world(manager):
    """Members with and without consent, calls open, past, closed and drafts."""
    carpenters = organisation_make(name="Holzwerk", sectors=("art-crafts",),
                                   competences=("carpentry",))  # fmt: skip
    owner_fr = carpenters.memberships.get().user
    owner_fr.preferred_language = "fr"
    owner_fr.save()
    admin_de = admin_of(carpenters, language="de")
    admin_of(carpenters, role="member")  # not an admin: no digest
    designers = organisation_make(name="Pixel", sectors=("design",),
                                  competences=("graphic-design",))  # fmt: skip
    silent = organisation_make(name="Silent Carpentry", sectors=("art-crafts",),
                               competences=("carpentry",))  # fmt: skip
    pending = organisation_make(name="Pending Carpentry", status="applied",
                                competences=("carpentry",))  # fmt: skip
    for organisation in (carpenters, designers, pending):
        CallDigestConsent.objects.create(organisation=organisation)
    calls = {
        "wood": call_make(manager=manager, title_en="Library shelves",
                          title_fr="Étagères de bibliothèque", title_de="Bibliotheksregale",
                          competences=("carpentry",), sectors=("design",)),
        "design": call_make(manager=manager, title_en="Design week", sectors=("design",)),
        "past": call_make(manager=manager, title_en="Past tender", competences=("carpentry",)),
        "closed": call_make(manager=manager, title_en="Closed tender", status="closed",
                            competences=("carpentry",)),
        "draft": call_make(manager=manager, title_en="Draft tender", status="draft",
                           competences=("carpentry",)),
    }  # fmt: skip
    deadline_passes(calls["past"])
    return {
        "carpenters": carpenters, "owner_fr": owner_fr, "admin_de": admin_de,
        "designers": designers, "silent": silent, "calls": calls,
    }  # fmt: skip


def test_the_digest_goes_once_to_matching_consenting_members_in_each_readers_language(
    digest_world, manager, django_capture_on_commit_callbacks
):
    w = digest_world
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        report = call_digest_send()

    by_address = {m.to[0]: m for m in mail.outbox}
    designer_owner = w["designers"].memberships.get().user
    assert set(by_address) == {w["owner_fr"].email, w["admin_de"].email, designer_owner.email}
    assert (report.organisations, report.emails, report.calls) == (2, 3, 2)
    french, german = by_address[w["owner_fr"].email], by_address[w["admin_de"].email]
    assert "Étagères de bibliothèque" in french.body and "Bibliotheksregale" in german.body
    assert "Holzwerk" in french.subject
    for message in (french, german):
        # The call asks for carpentry: the competence decides, not the sector "design".
        for other in ("Design week", "Past tender", "Closed tender", "Draft tender"):
            assert other not in message.body
        assert "/calls/library-shelves/" in message.body
    with translation.override("fr"):
        assert translation.gettext("The Fabreck team") in french.body
    with translation.override("de"):
        assert translation.gettext("The Fabreck team") in german.body
    assert "Design week" in by_address[designer_owner.email].body
    assert "Library shelves" not in by_address[designer_owner.email].body

    # Running again sends nothing; a new matching call is sent alone.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        again = call_digest_send()
    assert mail.outbox == [] and again.emails == 0
    call_make(manager=manager, title_en="Stage set", competences=("carpentry",))
    with django_capture_on_commit_callbacks(execute=True):
        call_digest_send()
    assert {m.to[0] for m in mail.outbox} == {w["owner_fr"].email, w["admin_de"].email}
    assert all("Stage set" in m.body and "Library shelves" not in m.body for m in mail.outbox)
    assert CallDigestSent.objects.filter(organisation=w["silent"]).count() == 0


def test_consent_is_given_and_withdrawn_by_the_organisations_admins(client, digest_world):
    silent = digest_world["silent"]
    owner = silent.memberships.get().user
    client.force_login(owner)
    url = reverse("cluster:call-digest-consent", args=[silent.slug])

    page = client.get(reverse("cluster:my-organisations")).content.decode()
    assert "Receive the weekly digest of calls" in page
    assert "Library shelves" in page  # "Calls for you" lists the matching call anyway
    client.post(url, {"consent": "1"})
    assert CallDigestConsent.objects.filter(organisation=silent).exists()
    client.post(url, {"consent": "0"})
    assert not CallDigestConsent.objects.filter(organisation=silent).exists()
    client.force_login(UserFactory())
    assert client.post(url, {"consent": "1"}).status_code == 404
    with pytest.raises(PermissionDenied):
        call_digest_consent_set(organisation=silent, by=UserFactory(), consent=True)


def test_the_command_and_the_periodic_task_send_the_digest(
    digest_world, settings, django_capture_on_commit_callbacks
):
    from fabreck.cluster.tasks import call_digest

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("cluster_call_digest", stdout=out)
    assert "Call digest: 3 e-mail(s) to 2 organisation(s), 2 call(s) listed." in out.getvalue()
    assert len(mail.outbox) == 3

    assert call_digest.apply().get() == {"organisations": 0, "emails": 0, "calls": 0}
    entry = settings.CELERY_BEAT_SCHEDULE["cluster-call-digest"]
    assert entry["task"] == call_digest.name


# --- pages ------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "fr", "de"])
def test_the_calls_pages_render_in_each_language(client, team, language):
    call, lead, lead_owner, partner, _ = team
    Call.objects.filter(pk=call.pk).update(title_de="Bibliotheksmöbel")
    consortium = consortium_create(call=call, lead=lead, name="Team", by=lead_owner)
    consortium_invite(consortium=consortium, organisation=partner, by=lead_owner)
    lead_owner.preferred_language = language  # a signed-in user's preference decides
    lead_owner.save()
    client.force_login(lead_owner)
    title = {"en": "Library furniture", "fr": "Mobilier de bibliothèque",
             "de": "Bibliotheksmöbel"}[language]  # fmt: skip

    for url in (
        reverse("cluster:calls"),
        reverse("cluster:call", args=[call.slug]),
        reverse("cluster:consortium", args=[consortium.pk]),
        reverse("cluster:my-organisations"),
    ):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        html = response.content.decode()
        assert response.status_code == 200, url
        assert f'<html lang="{language}">' in html
        assert title in html, url

    client.force_login(UserFactory(roles=["cluster_manager"], preferred_language=language))
    for url in (
        reverse("cluster:calls-manage"),
        reverse("cluster:call-new"),
        reverse("cluster:call-edit", args=[call.slug]),
    ):
        assert client.get(url, HTTP_ACCEPT_LANGUAGE=language).status_code == 200


def test_the_navigation_shows_calls_to_everyone_and_management_to_managers(client):
    assert reverse("cluster:calls") in client.get("/").content.decode()
    assert reverse("cluster:calls-manage") not in client.get("/").content.decode()
    client.force_login(UserFactory(roles=["cluster_manager"]))
    assert reverse("cluster:calls-manage") in client.get("/").content.decode()


def test_the_list_filters_like_the_api(client, manager):
    call_make(manager=manager, title_en="Wood tender", kind="tender", competences=("carpentry",))
    call_make(manager=manager, title_en="Pixel grant", kind="grant", sectors=("games",))
    call_make(manager=manager, title_en="Closed competition", kind="competition", status="closed")

    def titles(**params):
        return {c["title"] for c in client.get("/api/v1/calls/", params).json()["results"]}

    def page_has(title, **params):
        return title in client.get(reverse("cluster:calls"), params).content.decode()

    assert titles() == {"Wood tender", "Pixel grant"}
    assert titles(kind="grant") == {"Pixel grant"} and page_has("Pixel grant", kind="grant")
    assert not page_has("Wood tender", kind="grant")
    assert titles(q="menuisier") == {"Wood tender"}  # the competence, in French
    assert page_has("Wood tender", q="menuisier") and not page_has("Pixel grant", q="menuisier")
    assert titles(sector="games") == {"Pixel grant"}
    assert titles(competence="carpentry") == {"Wood tender"}
    assert titles(open="0") == {"Wood tender", "Pixel grant", "Closed competition"}
    assert titles(q="ville pixel") == {"Pixel grant"}
    assert titles(kind="lottery", page="x") == {"Wood tender", "Pixel grant"}  # ignored


def test_the_list_and_the_detail_cost_a_bounded_number_of_queries(
    client, manager, django_assert_max_num_queries
):
    owner = UserFactory()
    organisations = [organisation_make(name=f"Member {n}", owner=owner) for n in range(6)]
    calls = [
        call_make(manager=manager, title_en=f"Call {n}",
                  competences=("carpentry", "graphic-design"), sectors=("design", "games"))
        for n in range(25)
    ]  # fmt: skip
    call = calls[0]
    for n in range(5):
        call_document_add(call=call, by=manager, title=f"Doc {n}", file=pdf())
    for organisation in organisations:
        call_interest_declare(call=call, organisation=organisation, by=owner)
    for organisation in organisations[:3]:
        consortium = consortium_create(call=call, lead=organisation, name=organisation.name,
                                       by=owner)  # fmt: skip
        for other in organisations[3:]:
            consortium_invite(consortium=consortium, organisation=other, by=owner)
    client.force_login(owner)

    with django_assert_max_num_queries(12):
        assert client.get(reverse("cluster:calls")).status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get(reverse("cluster:call", args=[call.slug])).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("cluster:consortium", args=[consortium.pk])).status_code == 200
    # "My organisations" (its complements are per organisation) costs no more with more
    # calls and consortia.
    with CaptureQueriesContext(connection) as before:
        assert client.get(reverse("cluster:my-organisations")).status_code == 200
    for n in range(10):
        more = call_make(manager=manager, title_en=f"More {n}", competences=("carpentry",))
        consortium_create(call=more, lead=organisations[0], name=f"More {n}", by=owner)
    with CaptureQueriesContext(connection) as after:
        assert client.get(reverse("cluster:my-organisations")).status_code == 200
    assert len(after.captured_queries) == len(before.captured_queries)
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/calls/").status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(f"/api/v1/calls/{call.slug}/").status_code == 200


# --- API --------------------------------------------------------------------------------


def api_call_payload(**overrides):
    return {
        "kind": "tender",
        "title_en": "Signage",
        "title_de": "Beschilderung",
        "funder": "Ville de Luxembourg",
        "budget": "12000.50",
        "deadline": (timezone.now() + timedelta(days=10)).isoformat(),
        "sectors": ["design"],
        "competences": ["graphic-design"],
        **overrides,
    }


def test_managers_create_change_and_publish_calls_through_the_api(client, manager):
    manager.preferred_language = "de"
    manager.save()
    client.force_login(manager)

    created = client.post("/api/v1/calls/", api_call_payload(), content_type="application/json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["slug"], body["status"], body["budget"]) == ("signage", "draft", "12000.50")
    assert client.get("/api/v1/calls/signage/", HTTP_ACCEPT_LANGUAGE="de").json()["title"] == (
        "Beschilderung"
    )

    changed = client.patch(
        "/api/v1/calls/signage/", {"funder": "Fonds Belval"}, content_type="application/json"
    )
    assert changed.status_code == 200 and changed.json()["funder"] == "Fonds Belval"
    assert changed.json()["competences"] == ["graphic-design"]  # untouched fields kept

    published = client.post("/api/v1/calls/signage/publish/")
    assert published.json()["status"] == "published"
    assert [c["slug"] for c in type(client)().get("/api/v1/calls/").json()["results"]] == [
        "signage"
    ]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"budget": "-1"}, "budget", "Ensure this value is greater than or equal to 0."),
        ({"deadline": "2001-01-01T00:00:00Z"}, "deadline", "The deadline must be in the future."),
        ({"sectors": ["atlantis"]}, "sectors", "Object with slug=atlantis does not exist."),
        ({"title_en": "", "title_de": ""}, "title_en",
         "Give the call a title in at least one language."),
        ({"kind": "lottery"}, "kind", '"lottery" is not a valid choice.'),
    ],
)  # fmt: skip
def test_bad_call_input_through_the_api_is_a_400_with_the_reason(
    client, manager, overrides, field, message
):
    client.force_login(manager)

    response = client.post(
        "/api/v1/calls/", api_call_payload(**overrides), content_type="application/json"
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["fields"][field] == [message]
    assert not Call.objects.exists()


def test_only_managers_write_calls_through_the_api(client, manager):
    call = call_make(manager=manager, status="draft")
    payload = api_call_payload()

    assert client.post("/api/v1/calls/", payload, content_type="application/json").status_code in {
        401, 403,
    }  # fmt: skip
    client.force_login(UserFactory(roles=["organisation_admin"]))
    assert (
        client.post("/api/v1/calls/", payload, content_type="application/json").status_code == 403
    )
    patch = client.patch(f"/api/v1/calls/{call.slug}/", {"funder": "x"},
                         content_type="application/json")  # fmt: skip
    assert patch.status_code == 403
    assert client.post(f"/api/v1/calls/{call.slug}/publish/").status_code == 403
    assert client.get(f"/api/v1/calls/{call.slug}/").status_code == 404  # a draft
    assert Call.objects.count() == 1 and Call.objects.get().funder == "Ville de Luxembourg"


def test_interest_and_consortia_through_the_api(client, team, django_capture_on_commit_callbacks):
    call, lead, lead_owner, partner, partner_owner = team
    organisation_make(name="Applicant Co", status="applied")
    client.force_login(lead_owner)
    interest_url = f"/api/v1/calls/{call.slug}/interest/"

    declared = client.post(
        interest_url, {"organisation": lead.slug}, content_type="application/json"
    )
    assert declared.status_code == 201
    assert client.get(f"/api/v1/calls/{call.slug}/").json()["interested_organisations"] == [
        {"slug": lead.slug, "name": "Lead Studio"}
    ]
    not_mine = client.post(interest_url, {"organisation": partner.slug},
                           content_type="application/json")  # fmt: skip
    assert not_mine.status_code == 403
    withdrawn = client.delete(interest_url, {"organisation": lead.slug},
                              content_type="application/json")  # fmt: skip
    assert withdrawn.status_code == 204 and not CallInterest.objects.exists()

    created = client.post(
        "/api/v1/consortia/", {"call": call.slug, "lead": lead.slug, "name": "Team"},
        content_type="application/json",
    )  # fmt: skip
    assert created.status_code == 201
    pk = created.json()["id"]
    invitations = f"/api/v1/consortia/{pk}/invitations/"
    refused = client.post(invitations, {"organisation": "applicant-co"},
                          content_type="application/json")  # fmt: skip
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"]["organisation"] == [
        "Applicant Co is not a member of the cluster: only members can join a consortium."
    ]
    unknown = client.post(invitations, {"organisation": "ghost"}, content_type="application/json")
    assert unknown.json()["error"]["fields"]["organisation"] == [
        "No organisation has the address “ghost”."
    ]
    assert ConsortiumMembership.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        invited = client.post(invitations, {"organisation": partner.slug},
                              content_type="application/json")  # fmt: skip
    assert invited.status_code == 201
    assert [m["status"] for m in invited.json()["members"]] == ["accepted", "invited"]

    client.force_login(partner_owner)
    assert [c["id"] for c in client.get("/api/v1/consortia/").json()] == [pk]
    accepted = client.post(f"/api/v1/consortia/{pk}/respond/",
                           {"organisation": partner.slug, "accept": True},
                           content_type="application/json")  # fmt: skip
    assert [m["status"] for m in accepted.json()["members"]] == ["accepted", "accepted"]
    left = client.post(f"/api/v1/consortia/{pk}/leave/", {"organisation": partner.slug},
                       content_type="application/json")  # fmt: skip
    assert [m["status"] for m in left.json()["members"]] == ["accepted", "left"]

    client.force_login(lead_owner)
    lead_leaves = client.post(f"/api/v1/consortia/{pk}/leave/", {"organisation": lead.slug},
                              content_type="application/json")  # fmt: skip
    assert lead_leaves.status_code == 400
    assert "hand the lead over" in lead_leaves.json()["error"]["message"]

    client.force_login(UserFactory())
    assert client.get(f"/api/v1/consortia/{pk}/").status_code == 404


# --- admin and seeding ------------------------------------------------------------------


def test_every_calls_model_is_in_the_admin():
    from django.contrib import admin

    for model in (Call, CallDocument, CallInterest, Consortium, ConsortiumMembership,
                  CallDigestConsent, CallDigestSent):  # fmt: skip
        assert model in admin.site._registry, model


def test_the_demo_seeds_calls_interests_and_a_consortium():
    from fabreck.cluster.seeding import seed_calls

    for n in range(5):
        organisation_make(name=f"Member {n}")

    counts = seed_calls(scale="demo", rng=random.Random(1), stdout=None)

    assert counts["calls"] == 6 and Call.objects.count() == 6
    assert set(Call.objects.values_list("kind", flat=True)) == {"tender", "grant", "competition"}
    assert Call.objects.filter(status="closed").count() == 1
    consortium = Consortium.objects.get()
    assert sorted(consortium.memberships.values_list("status", flat=True)) == [
        "accepted", "accepted", "invited",
    ]  # fmt: skip
    assert CallInterest.objects.filter(call=consortium.call, organisation=consortium.lead).exists()


def test_the_large_scale_seeds_three_hundred_calls_in_bulk(django_assert_max_num_queries):
    from fabreck.cluster.seeding import seed_calls

    for n in range(4):
        organisation_make(name=f"Member {n}")

    with django_assert_max_num_queries(30):
        counts = seed_calls(scale="large", rng=random.Random(2), stdout=None)

    assert counts["calls"] == 300 == Call.objects.count()
    assert Call.objects.values("slug").distinct().count() == 300
    assert Call.objects.filter(status="closed").exists()
    assert Call.objects.filter(status="published").exists()
