"""Collaboration requests: members post what they seek or offer, see the members that
match, and write to each other through the platform; messages are relayed by e-mail
without any address, and a flood is refused with a clear message and nothing stored."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone, translation

from fabreck.cluster.models import (
    CollaborationMessage,
    CollaborationRequest,
    Competence,
    OrganisationPerson,
)
from fabreck.cluster.selectors import CollaborationFilters, collaboration_requests_open
from fabreck.cluster.services import (
    CollaborationRequestData,
    collaboration_message_send,
    collaboration_request_close,
    collaboration_request_post,
    collaboration_request_reopen,
    collaboration_request_update,
)
from tests.factories import UserFactory, organisation_make

pytestmark = pytest.mark.django_db

EMAIL_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


def competences(*slugs: str) -> list[Competence]:
    return list(Competence.objects.filter(slug__in=slugs))


def post(
    user,
    organisation,
    *,
    title: str = "Sound for a museum installation",
    kind: str = "seek",
    slugs: tuple[str, ...] = ("sound-design",),
    description: str = "A 3D film for the Casino; we need its sound.",
    deadline=None,
) -> CollaborationRequest:
    return collaboration_request_post(
        user=user,
        organisation=organisation,
        data=CollaborationRequestData(
            kind=kind,
            title=title,
            description=description,
            competences=competences(*slugs),
            deadline=deadline,
        ),
    )


@pytest.fixture
def world():
    """Studio Alpha (animation) seeks sound design; Sound Atelier has it, Wood Works not."""
    author = UserFactory(first_name="Anna", last_name="Weber", email="anna@alpha.lu")
    alpha = organisation_make(
        owner=author, name="Studio Alpha", sectors=("film-audiovisual",),
        competences=("animation-3d",), email="contact@alpha.lu",
    )  # fmt: skip
    sound_owner = UserFactory(
        first_name="Bruno", last_name="Faber", email="bruno@sound.lu", preferred_language="fr"
    )
    sound = organisation_make(
        owner=sound_owner, name="Sound Atelier", sectors=("film-audiovisual",),
        competences=("sound-design",), email="hello@sound.lu",
    )  # fmt: skip
    sound_admin = UserFactory(first_name="Clara", email="clara@sound.lu", preferred_language="de")
    OrganisationPerson.objects.create(organisation=sound, user=sound_admin, role="admin")
    sound_member = UserFactory(first_name="Dan", email="dan@sound.lu")
    OrganisationPerson.objects.create(organisation=sound, user=sound_member, role="member")
    wood_owner = UserFactory(first_name="Eva", email="eva@wood.lu")
    wood = organisation_make(
        owner=wood_owner, name="Wood Works", sectors=("art-crafts",), competences=("carpentry",)
    )
    request = post(author, alpha)
    mail.outbox.clear()
    return {
        "author": author, "alpha": alpha, "sound": sound, "sound_owner": sound_owner,
        "sound_admin": sound_admin, "sound_member": sound_member, "wood": wood,
        "wood_owner": wood_owner, "request": request,
    }  # fmt: skip


def send(**fields) -> CollaborationMessage:
    """Send as a view would: the relayed e-mails leave when the transaction commits."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return collaboration_message_send(**fields)


def contact(world, body: str = "Would you design the sound of our film?", **kwargs):
    fields = {
        "sender": world["author"],
        "sender_organisation": world["alpha"],
        "request": world["request"],
        "recipient_organisation": world["sound"],
        "body": body,
    } | kwargs
    return send(**fields)


# --- posting ------------------------------------------------------------------------------


def test_a_member_posts_a_request_and_the_members_that_match_are_listed_with_reasons(client, world):
    client.force_login(world["author"])

    html = client.get(reverse("cluster:collaboration-detail", args=[world["request"].pk]))

    text = html.content.decode()
    assert "Sound for a museum installation" in text and "Sound design" in text
    assert "Sound Atelier" in text and "Covers Sound design." in text
    assert "Wood Works" not in text  # no sound design there
    conversation = reverse(
        "cluster:collaboration-conversation", args=[world["request"].pk, "sound-atelier"]
    )
    assert f'href="{conversation}"' in text  # the "Contact" button of the match


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"deadline": -1}, "deadline",
         "The deadline is in the past: choose today or a later date."),
        ({"slugs": (), "description": " "}, "__all__",
         "Name at least one competence or describe what you seek or offer."),
        ({"title": "  "}, "title", "Give the request a title."),
        ({"kind": "buy"}, "kind", "Say whether you seek or offer something."),
        ({"description": "x" * 5001}, "description",
         "The description is too long: at most 5000 characters (it has 5001)."),
    ],
)  # fmt: skip
def test_a_bad_request_is_refused_with_a_clear_message_and_nothing_stored(
    world, change, field, message
):
    if "deadline" in change:
        change = {"deadline": timezone.localdate() + timedelta(days=change["deadline"])}

    with pytest.raises(ValidationError) as error:
        post(world["author"], world["alpha"], **change)

    assert error.value.message_dict[field] == [message]
    assert CollaborationRequest.objects.count() == 1  # the fixture's only


def test_only_people_of_a_member_organisation_post():
    applicant = UserFactory()
    pending = organisation_make(owner=applicant, name="Pending", status="applied")
    member = organisation_make(name="Member Org")
    stranger = UserFactory()

    for user, organisation in ((applicant, pending), (stranger, member)):
        with pytest.raises(ValidationError) as error:
            post(user, organisation)
        assert error.value.message_dict["organisation"] == [
            "Only people of a member organisation can post a collaboration request for it."
        ]
    assert not CollaborationRequest.objects.exists()


def test_only_the_requests_people_change_close_and_reopen_it(world):
    request, author = world["request"], world["author"]
    data = CollaborationRequestData(
        kind="offer", title="Animation on offer", competences=competences("animation-3d")
    )

    with pytest.raises(PermissionDenied):
        collaboration_request_update(request=request, user=world["sound_owner"], data=data)
    with pytest.raises(PermissionDenied):
        collaboration_request_close(request=request, user=world["sound_owner"])

    request = collaboration_request_update(request=request, user=author, data=data)
    assert (request.kind, request.title) == ("offer", "Animation on offer")
    assert [c.slug for c in request.competences.all()] == ["animation-3d"]
    # A title is one line (it becomes the subject of the relayed e-mails).
    data = CollaborationRequestData(kind="offer", title="Two\nlines\r\n", description="x")
    request = collaboration_request_update(request=request, user=author, data=data)
    assert request.title == "Two lines"

    request = collaboration_request_close(request=request, user=author)
    assert request.status == "closed" and request.closed_at is not None
    with pytest.raises(ValidationError, match="already closed"):
        collaboration_request_close(request=request, user=author)
    request = collaboration_request_reopen(request=request, user=author)
    assert request.status == "open" and request.closed_at is None


def test_a_request_whose_deadline_passed_is_reopened_only_with_a_new_deadline(world):
    request, author = world["request"], world["author"]
    collaboration_request_close(request=request, user=author)
    CollaborationRequest.objects.filter(pk=request.pk).update(
        deadline=timezone.localdate() - timedelta(days=2)
    )
    request.refresh_from_db()

    with pytest.raises(ValidationError) as error:
        collaboration_request_reopen(request=request, user=author)
    assert error.value.message_dict["deadline"] == [
        "The deadline has passed: set a new one before reopening."
    ]
    # Editing other fields keeps the old deadline; only a new past date is refused.
    data = CollaborationRequestData(
        kind="seek", title="Still sound", competences=competences("sound-design"),
        deadline=request.deadline,
    )  # fmt: skip
    collaboration_request_update(request=request, user=author, data=data)
    request.refresh_from_db()
    assert request.status == "closed" and request.title == "Still sound"


def test_the_database_refuses_an_unknown_kind_or_a_closed_request_without_date(world):
    from django.db import IntegrityError, transaction

    for change in ({"kind": "sell"}, {"status": "closed"}, {"status": "archived"}):
        with pytest.raises(IntegrityError), transaction.atomic():
            CollaborationRequest.objects.filter(pk=world["request"].pk).update(**change)


# --- the list and its filters --------------------------------------------------------------


def test_the_list_filters_by_kind_competence_sector_words_and_own(world):
    author, alpha = world["author"], world["alpha"]
    wood_owner, wood = world["wood_owner"], world["wood"]
    post(
        wood_owner, wood, kind="offer", title="Spare workshop hours", slugs=("carpentry",),
        description="Our CNC router is free on Fridays.",
    )  # fmt: skip
    closed = post(author, alpha, title="An old need", slugs=("graphic-design",))
    collaboration_request_close(request=closed, user=author)
    expired = post(author, alpha, title="Expired", slugs=("carpentry",))
    CollaborationRequest.objects.filter(pk=expired.pk).update(
        deadline=timezone.localdate() - timedelta(days=1)
    )

    def titles(viewer=author, **filters) -> list[str]:
        page = collaboration_requests_open(filters=CollaborationFilters(**filters), viewer=viewer)
        return [r.title for r in page.object_list]

    assert titles() == ["Spare workshop hours", "Sound for a museum installation"]
    assert titles(kind="offer") == ["Spare workshop hours"]
    assert titles(competences=("sound-design",)) == ["Sound for a museum installation"]
    assert titles(sectors=("art-crafts",)) == ["Spare workshop hours"]
    assert titles(query="menuisier") == ["Spare workshop hours"]  # French, via the taxonomy
    assert titles(query="fridays cnc") == ["Spare workshop hours"]  # words of the description
    assert titles(query="museum sound") == ["Sound for a museum installation"]
    assert titles(query="nothing-like-it") == []
    assert titles(own=True) == ["Expired", "An old need", "Sound for a museum installation"]
    assert titles(viewer=wood_owner, own=True) == ["Spare workshop hours"]


def test_the_list_page_and_the_api_use_the_same_filters(client, world):
    post(world["wood_owner"], world["wood"], kind="offer", title="Spare workshop hours",
         slugs=("carpentry",))  # fmt: skip
    client.force_login(world["sound_owner"])

    html = client.get(reverse("cluster:collaboration"), {"sector": "art-crafts"}).content.decode()
    api = client.get("/api/v1/collaboration-requests/", {"sector": "art-crafts"}).json()

    assert "Spare workshop hours" in html and "Sound for a museum installation" not in html
    assert [r["title"] for r in api["results"]] == ["Spare workshop hours"]
    assert api["count"] == 1 and api["results"][0]["competences"] == ["carpentry"]


def test_requests_are_for_logged_in_users_only(client, world):
    for url in (
        reverse("cluster:collaboration"),
        reverse("cluster:collaboration-detail", args=[world["request"].pk]),
        reverse("cluster:collaboration-inbox"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get("/api/v1/collaboration-requests/").status_code in {401, 403}


def test_a_closed_request_is_hidden_from_others_but_not_from_its_conversations(client, world):
    contact(world)
    collaboration_request_close(request=world["request"], user=world["author"])
    url = reverse("cluster:collaboration-detail", args=[world["request"].pk])

    client.force_login(world["wood_owner"])
    assert client.get(url).status_code == 404
    client.force_login(world["sound_admin"])
    assert client.get(url).status_code == 200


# --- messages and their relay ----------------------------------------------------------------


def test_contacting_a_match_relays_the_message_without_any_address(world):
    contact(world, body="Would you design the sound of our film? Budget 4,000 €.")

    message = CollaborationMessage.objects.get()
    assert (message.sender_organisation, message.recipient_organisation) == (
        world["alpha"], world["sound"]
    )  # fmt: skip
    # The owner and the admin of Sound Atelier; not its plain member.
    assert sorted(m.to[0] for m in mail.outbox) == ["bruno@sound.lu", "clara@sound.lu"]
    url = settings.SITE_URL + reverse(
        "cluster:collaboration-conversation", args=[world["request"].pk, "sound-atelier"]
    )
    for sent in mail.outbox:
        assert sent.from_email == settings.DEFAULT_FROM_EMAIL
        assert sent.reply_to == [] and sent.cc == [] and sent.bcc == []
        assert "Would you design the sound of our film? Budget 4,000 €." in sent.body
        assert url in sent.body
        addresses_shown = set(EMAIL_ADDRESS.findall(sent.body + sent.subject))
        assert addresses_shown == set(), addresses_shown
        headers = str(sent.message())
        assert "anna@alpha.lu" not in headers and "contact@alpha.lu" not in headers
    # Each reads it in their language: Bruno in French, Clara in German.
    by_person = {m.to[0]: m for m in mail.outbox}
    with translation.override("fr"):
        hello_fr = translation.gettext("Read the conversation and answer on Fabreck:")
    with translation.override("de"):
        hello_de = translation.gettext("Read the conversation and answer on Fabreck:")
    assert hello_fr in by_person["bruno@sound.lu"].body
    assert hello_de in by_person["clara@sound.lu"].body
    assert "Anna Weber" in by_person["bruno@sound.lu"].body  # a name, not an address


def test_a_sender_without_a_name_is_shown_by_their_organisation_not_their_address(world):
    nameless = UserFactory(first_name="", last_name="", email="nameless@alpha.lu")
    OrganisationPerson.objects.create(organisation=world["alpha"], user=nameless, role="member")

    contact(world, sender=nameless)

    for sent in mail.outbox:
        assert "nameless@alpha.lu" not in sent.body and "@" not in sent.body
        assert "Studio Alpha" in sent.body


def test_the_recipient_answers_on_the_platform_and_the_sender_gets_it_relayed(client, world):
    # A plain member of Alpha writes; the reply reaches them although they manage nothing.
    writer = UserFactory(first_name="Gil", email="gil@alpha.lu")
    OrganisationPerson.objects.create(organisation=world["alpha"], user=writer, role="member")
    first = contact(world, sender=writer)
    mail.outbox.clear()
    client.force_login(world["sound_member"])
    url = reverse("cluster:collaboration-conversation", args=[world["request"].pk, "sound-atelier"])

    page = client.get(url).content.decode()
    assert "Would you design the sound of our film?" in page and "gil@alpha.lu" not in page
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url, {"body": "Yes, gladly. When can we meet?"}, follow=True)

    assert "Your message was sent to Studio Alpha." in response.content.decode()
    reply = CollaborationMessage.objects.latest("pk")
    assert (reply.sender_organisation, reply.recipient_organisation, reply.parent) == (
        world["sound"], world["alpha"], first
    )  # fmt: skip
    assert sorted(m.to[0] for m in mail.outbox) == ["anna@alpha.lu", "gil@alpha.lu"]
    for sent in mail.outbox:
        assert "Yes, gladly. When can we meet?" in sent.body
        assert "@" not in sent.body


def test_who_may_write_to_whom(world):
    # The author may not contact an organisation that does not match...
    with pytest.raises(ValidationError) as error:
        contact(world, recipient_organisation=world["wood"])
    assert error.value.message_dict["recipient_organisation"] == [
        "You can contact the organisations that match your request, and answer those who "
        "wrote to you."
    ]
    # ...but any other member may answer the request, and then be answered.
    send(
        sender=world["wood_owner"], sender_organisation=world["wood"], request=world["request"],
        recipient_organisation=world["alpha"], body="We could build the set.",
    )  # fmt: skip
    contact(world, recipient_organisation=world["wood"], body="Tell us more.")
    # Nobody writes to their own organisation or for an organisation they do not belong to.
    with pytest.raises(ValidationError, match="your own organisation"):
        contact(world, recipient_organisation=world["alpha"])
    with pytest.raises(PermissionDenied):
        contact(world, sender=world["wood_owner"])
    # Two other organisations do not talk about Alpha's request behind its back.
    with pytest.raises(ValidationError, match="always with the organisation that posted it"):
        send(
            sender=world["wood_owner"], sender_organisation=world["wood"],
            request=world["request"], recipient_organisation=world["sound"], body="Psst",
        )  # fmt: skip
    assert CollaborationMessage.objects.count() == 2


def test_a_closed_request_takes_no_new_conversation_but_running_ones_go_on(world):
    contact(world)
    collaboration_request_close(request=world["request"], user=world["author"])

    with pytest.raises(ValidationError, match="closed: it takes no new conversations"):
        send(
            sender=world["wood_owner"], sender_organisation=world["wood"],
            request=world["request"], recipient_organisation=world["alpha"], body="Hello",
        )  # fmt: skip
    send(
        sender=world["sound_owner"], sender_organisation=world["sound"],
        request=world["request"], recipient_organisation=world["alpha"], body="Still on?",
    )  # fmt: skip
    assert CollaborationMessage.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Write a message."),
        ("   \n ", "Write a message."),
        ("x" * 5001, "The message is too long: at most 5000 characters (it has 5001)."),
    ],
)
def test_an_empty_or_too_long_message_is_refused_and_nothing_is_stored(world, body, message):
    with pytest.raises(ValidationError) as error:
        contact(world, body=body)

    assert error.value.message_dict["body"] == [message]
    assert not CollaborationMessage.objects.exists() and mail.outbox == []


def test_a_message_of_exactly_5000_characters_goes(world):
    contact(world, body="y" * 5000)
    assert CollaborationMessage.objects.get().body == "y" * 5000


# --- the relay limit -------------------------------------------------------------------------


def test_a_flood_is_refused_with_a_clear_message_and_nothing_stored(world):
    for n in range(5):
        contact(world, body=f"Message {n}")
    mail.outbox.clear()

    with pytest.raises(ValidationError) as error:
        contact(world, body="One too many")

    assert error.value.messages == [
        "You have reached the limit of 5 messages in 10 minutes. Nothing was sent: please try "
        "again later."
    ]
    assert CollaborationMessage.objects.count() == 5 and mail.outbox == []
    # Ten minutes later the window has moved on.
    CollaborationMessage.objects.update(created_at=timezone.now() - timedelta(minutes=11))
    contact(world, body="Back again")
    assert CollaborationMessage.objects.count() == 6


def test_the_day_limit_counts_too_and_the_limits_come_from_the_settings(world, settings):
    settings.CLUSTER_RELAY_LIMITS = ((2, 600), (3, 24 * 3600))
    for n in range(2):
        contact(world, body=f"Morning {n}")
    CollaborationMessage.objects.update(created_at=timezone.now() - timedelta(hours=3))
    contact(world, body="Afternoon")

    with pytest.raises(ValidationError, match="limit of 3 messages in 24 hours"):
        contact(world, body="Evening")
    assert CollaborationMessage.objects.count() == 3


def test_the_limit_is_per_sender(world):
    for n in range(5):
        contact(world, body=f"Message {n}")

    send(
        sender=world["sound_owner"], sender_organisation=world["sound"],
        request=world["request"], recipient_organisation=world["alpha"], body="My turn",
    )  # fmt: skip
    assert CollaborationMessage.objects.count() == 6


def test_the_page_says_so_when_the_limit_is_reached(client, world):
    for n in range(5):
        contact(world, body=f"Message {n}")
    client.force_login(world["author"])
    url = reverse("cluster:collaboration-conversation", args=[world["request"].pk, "sound-atelier"])

    response = client.post(url, {"body": "Flood"})

    assert response.status_code == 200
    assert "You have reached the limit of 5 messages in 10 minutes." in response.content.decode()
    assert CollaborationMessage.objects.count() == 5


# --- pages ----------------------------------------------------------------------------------


def test_posting_through_the_page(client, world):
    client.force_login(world["author"])
    deadline = timezone.localdate() + timedelta(days=30)

    response = client.post(
        reverse("cluster:collaboration-post"),
        {
            "organisation": "studio-alpha",
            "kind": "seek",
            "title": "A joiner for a set",
            "competences": ["carpentry"],
            "deadline": deadline.isoformat(),
            "description": "",
        },
        follow=True,
    )

    request = CollaborationRequest.objects.get(title="A joiner for a set")
    assert response.redirect_chain[-1][0] == reverse(
        "cluster:collaboration-detail", args=[request.pk]
    )
    assert request.deadline == deadline and request.author == world["author"]
    text = response.content.decode()
    assert "Your request is posted." in text and "Wood Works" in text


def test_a_bad_post_shows_the_services_message_on_the_page(client, world):
    client.force_login(world["author"])

    response = client.post(
        reverse("cluster:collaboration-post"),
        {"organisation": "studio-alpha", "kind": "seek", "title": "Vague",
         "deadline": (timezone.localdate() - timedelta(days=1)).isoformat()},
    )  # fmt: skip

    text = response.content.decode()
    assert response.status_code == 200
    assert "The deadline is in the past: choose today or a later date." in text
    assert "Name at least one competence or describe what you seek or offer." in text
    assert not CollaborationRequest.objects.filter(title="Vague").exists()


def test_someone_without_a_member_organisation_is_told_how_to_post(client):
    client.force_login(UserFactory())

    text = client.get(reverse("cluster:collaboration-post")).content.decode()

    assert "Only people of a member organisation can post a collaboration request." in text
    response = client.post(
        reverse("cluster:collaboration-post"),
        {"organisation": "nowhere", "kind": "seek", "title": "x", "description": "y"},
    )
    assert "Only people of a member organisation can post" in response.content.decode()
    assert not CollaborationRequest.objects.exists()


def test_answering_from_the_request_page(client, world):
    client.force_login(world["wood_owner"])
    detail = reverse("cluster:collaboration-detail", args=[world["request"].pk])
    assert "Your message to Studio Alpha" in client.get(detail).content.decode()

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            reverse("cluster:collaboration-answer", args=[world["request"].pk]),
            {"organisation": "wood-works", "body": "We build sets."},
            follow=True,
        )

    assert response.redirect_chain[-1][0] == reverse(
        "cluster:collaboration-conversation", args=[world["request"].pk, "wood-works"]
    )
    assert "We build sets." in response.content.decode()
    assert [m.to[0] for m in mail.outbox] == ["anna@alpha.lu"]


def test_editing_and_closing_are_for_the_requests_people(client, world):
    edit = reverse("cluster:collaboration-edit", args=[world["request"].pk])
    close = reverse("cluster:collaboration-close", args=[world["request"].pk])
    client.force_login(world["sound_owner"])
    assert client.get(edit).status_code == 403
    assert client.post(close).status_code == 403

    client.force_login(world["author"])
    assert client.get(edit).status_code == 200
    response = client.post(
        edit,
        {"kind": "seek", "title": "Sound, urgently", "competences": ["sound-design"]},
        follow=True,
    )
    assert "The request is updated." in response.content.decode()
    response = client.post(close, follow=True)
    assert "The request is closed: it takes no new conversations." in response.content.decode()
    world["request"].refresh_from_db()
    assert (world["request"].title, world["request"].status) == ("Sound, urgently", "closed")


def test_a_stranger_cannot_read_a_conversation(client, world):
    contact(world)
    client.force_login(world["wood_owner"])

    url = reverse("cluster:collaboration-conversation", args=[world["request"].pk, "sound-atelier"])
    assert client.get(url).status_code == 404
    assert client.post(url, {"body": "Let me in"}).status_code == 404
    assert CollaborationMessage.objects.count() == 1


@pytest.mark.parametrize("language", ["en", "fr", "de"])
def test_every_page_renders_in_each_language(client, world, language):
    contact(world)
    for user in (world["author"], world["sound_owner"]):
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])
    pk = world["request"].pk
    pages = {
        world["author"]: [
            reverse("cluster:collaboration"),
            reverse("cluster:collaboration") + "?own=1&kind=seek&q=son&sector=games",
            reverse("cluster:collaboration-post"),
            reverse("cluster:collaboration-detail", args=[pk]),
            reverse("cluster:collaboration-edit", args=[pk]),
            reverse("cluster:collaboration-inbox"),
            reverse("cluster:collaboration-conversation", args=[pk, "sound-atelier"]),
        ],
        world["sound_owner"]: [
            reverse("cluster:collaboration-detail", args=[pk]),
            reverse("cluster:collaboration-inbox"),
            reverse("cluster:collaboration-conversation", args=[pk, "sound-atelier"]),
        ],
    }
    with translation.override(language):
        heading = translation.gettext("Collaboration requests")
        nav = translation.gettext("Collaboration")
    for user, urls in pages.items():
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            text = response.content.decode()
            assert f'<html lang="{language}">' in text, url
            assert f">{nav}</a>" in text, url  # the navigation entry
    list_page = client.get(reverse("cluster:collaboration")).content.decode()
    assert heading in list_page


def test_the_inbox_lists_the_conversations_of_my_organisations(client, world):
    contact(world, body="About the sound")
    send(
        sender=world["wood_owner"], sender_organisation=world["wood"], request=world["request"],
        recipient_organisation=world["alpha"], body="About the set",
    )  # fmt: skip

    client.force_login(world["author"])
    text = client.get(reverse("cluster:collaboration-inbox")).content.decode()
    assert "Sound Atelier" in text and "Wood Works" in text and "About the set" in text

    client.force_login(world["sound_admin"])
    text = client.get(reverse("cluster:collaboration-inbox")).content.decode()
    assert "Studio Alpha" in text and "About the sound" in text
    assert "About the set" not in text  # Wood Works' conversation is none of theirs


# --- bounded queries --------------------------------------------------------------------------


def _grow(world, n: int, *, start: int = 0) -> None:
    """`n` more requests and `n` more answering members, each with a conversation."""
    for i in range(start, start + n):
        post(world["author"], world["alpha"], title=f"Need {i}",
             slugs=("sound-design", "carpentry"))  # fmt: skip
        member = organisation_make(name=f"Partner {i}", sectors=("film-audiovisual",),
                                   competences=("sound-design",))  # fmt: skip
        owner = member.memberships.get().user
        send(
            sender=owner, sender_organisation=member, request=world["request"],
            recipient_organisation=world["alpha"], body=f"Answer {i}",
        )  # fmt: skip


@pytest.mark.parametrize(
    ("url_name", "max_queries"),
    [("list", 12), ("detail", 18), ("inbox", 12), ("conversation", 10)],
)
def test_pages_issue_a_bounded_number_of_queries(
    client, world, django_assert_max_num_queries, url_name, max_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pk = world["request"].pk
    urls = {
        "list": reverse("cluster:collaboration"),
        "detail": reverse("cluster:collaboration-detail", args=[pk]),
        "inbox": reverse("cluster:collaboration-inbox"),
        "conversation": reverse("cluster:collaboration-conversation", args=[pk, "sound-atelier"]),
    }
    contact(world)
    client.force_login(world["author"])

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(urls[url_name]).status_code == 200
        return len(ctx.captured_queries)

    _grow(world, 2)
    few = count()
    _grow(world, 12, start=2)
    with django_assert_max_num_queries(max_queries):
        assert client.get(urls[url_name]).status_code == 200
    assert count() == few


# --- API ----------------------------------------------------------------------------------------


def test_the_api_posts_a_request_for_a_member_only(client, world):
    body = {"organisation": "studio-alpha", "kind": "offer", "title": "3D on offer",
            "competences": ["animation-3d"]}  # fmt: skip
    url = "/api/v1/collaboration-requests/"

    client.force_login(world["wood_owner"])
    refused = client.post(url, body, content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"]["organisation"] == [
        "Only people of a member organisation can post a collaboration request for it."
    ]

    client.force_login(world["author"])
    created = client.post(url, body, content_type="application/json")
    assert created.status_code == 201
    assert created.json()["kind"] == "offer" and created.json()["competences"] == ["animation-3d"]

    bad = client.post(
        url,
        {**body, "competences": ["no-such-thing"], "deadline": "2000-01-01"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "competences" in bad.json()["error"]["fields"]
    past = client.post(url, {**body, "deadline": "2000-01-01"}, content_type="application/json")
    assert past.json()["error"]["fields"]["deadline"] == [
        "The deadline is in the past: choose today or a later date."
    ]
    assert CollaborationRequest.objects.filter(title="3D on offer").count() == 1


def test_the_api_detail_lists_matches_and_only_the_requests_people_patch_and_close(client, world):
    url = f"/api/v1/collaboration-requests/{world['request'].pk}/"
    client.force_login(world["wood_owner"])

    detail = client.get(url).json()
    assert [m["organisation"] for m in detail["matches"]] == ["sound-atelier"]
    assert detail["matches"][0]["reasons"] == ["Covers Sound design."]
    forbidden = client.patch(url, {"title": "Hijacked"}, content_type="application/json")
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "permission_denied"
    assert client.post(url + "close/").status_code == 403

    client.force_login(world["author"])
    patched = client.patch(url, {"title": "Sound, soon"}, content_type="application/json")
    assert patched.status_code == 200 and patched.json()["title"] == "Sound, soon"
    assert patched.json()["competences"] == ["sound-design"]  # unchanged
    assert patched.json()["description"] == "A 3D film for the Casino; we need its sound."
    assert client.post(url + "close/").json()["status"] == "closed"
    again = client.post(url + "close/")
    assert again.status_code == 400
    assert again.json()["error"]["message"] == "This request is already closed."
    assert client.post(url + "reopen/").json()["status"] == "open"


def test_the_api_relays_messages_with_the_same_rules_and_limit(client, world):
    url = f"/api/v1/collaboration-requests/{world['request'].pk}/messages/"
    client.force_login(world["author"])

    no_recipient = client.post(url, {"body": "Hi"}, content_type="application/json")
    assert no_recipient.status_code == 400
    assert "recipient_organisation" in no_recipient.json()["error"]["fields"]
    empty = client.post(
        url, {"body": " ", "recipient_organisation": "sound-atelier"},
        content_type="application/json",
    )  # fmt: skip
    assert empty.json()["error"]["fields"]["body"] == ["Write a message."]
    for n in range(5):
        sent = client.post(
            url, {"body": f"Hello {n}", "recipient_organisation": "sound-atelier"},
            content_type="application/json",
        )  # fmt: skip
        assert sent.status_code == 201, sent.json()
    assert "@" not in str(sent.json())  # the sender is shown by name
    flood = client.post(
        url, {"body": "Flood", "recipient_organisation": "sound-atelier"},
        content_type="application/json",
    )  # fmt: skip
    assert flood.status_code == 400
    assert flood.json()["error"]["message"].startswith("You have reached the limit of 5 messages")
    assert CollaborationMessage.objects.count() == 5

    # The recipient answers without naming anyone: it goes back to the request's organisation.
    client.force_login(world["sound_owner"])
    answer = client.post(url, {"body": "Gladly"}, content_type="application/json")
    assert answer.status_code == 201
    assert answer.json()["recipient_organisation"] == "studio-alpha"
    # A stranger reads none of it.
    client.force_login(world["wood_owner"])
    assert client.get(url).json() == []
    client.force_login(world["sound_admin"])
    assert len(client.get(url).json()) == 6


# --- demo data ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_demo_seed_posts_coherent_requests_and_conversations_deterministically():
    from django.core.management import call_command

    def snapshot() -> list[tuple]:
        return list(
            CollaborationRequest.objects.order_by("title", "organisation__slug").values_list(
                "organisation__slug", "kind", "title", "status"
            )
        )

    call_command("seed", "--scale", "demo", "--seed", "7", "--fresh")
    first = snapshot()
    assert len(first) == 12
    for request in CollaborationRequest.objects.prefetch_related("competences"):
        assert request.organisation.status == "member"
        assert request.organisation.memberships.filter(user=request.author).exists()
        assert request.competences.exists() and request.description
    messages = CollaborationMessage.objects.select_related("request")
    assert messages.exists()
    for message in messages:
        sides = {message.sender_organisation_id, message.recipient_organisation_id}
        assert len(sides) == 2 and message.request.organisation_id in sides
        assert message.created_at < timezone.now() - timedelta(hours=1)  # no limit reached
    call_command("seed", "--scale", "demo", "--seed", "7", "--fresh")
    assert snapshot() == first
