"""Collaborators invited by e-mail: a link that works once, for the invited address only
(verified), kept as a digest; the author may withdraw an invitation or remove someone."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from fabreck.core.secrets import secret_digest
from fabreck.projects import services
from fabreck.projects.models import Collaborator
from tests.factories import UserFactory
from tests.projects.gallery_helpers import documentation_make

pytestmark = pytest.mark.django_db


def _link(message) -> str:
    return re.search(r"https?://\S+/gallery/invitations/\S+/", message.body).group(0)


def _path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def test_the_author_invites_by_e_mail_and_only_a_digest_of_the_link_is_kept(
    client, django_capture_on_commit_callbacks
):
    documentation = documentation_make(publish=False)
    client.force_login(documentation.author)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/gallery/{documentation.slug}/collaborators/", {"invite-email": "Lea@Example.lu"}
        )
    assert response.status_code == 302
    collaborator = Collaborator.objects.get()
    assert (collaborator.email, collaborator.accepted_at, collaborator.user) == (
        "lea@example.lu",
        None,
        None,
    )
    [message] = mail.outbox
    assert message.to == ["lea@example.lu"]
    assert documentation.title in message.subject
    secret = _link(message).rstrip("/").rsplit("/", 1)[1]
    assert collaborator.token_digest == secret_digest(secret)
    assert secret not in collaborator.token_digest


def test_inviting_the_same_address_twice_says_so_and_sends_nothing_more(
    client, django_capture_on_commit_callbacks
):
    documentation = documentation_make(publish=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.collaborator_invite(
            documentation=documentation, by=documentation.author, email="lea@example.lu"
        )
    client.force_login(documentation.author)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/gallery/{documentation.slug}/collaborators/", {"invite-email": "LEA@example.lu "}
        )
    assert response.status_code == 400
    assert b"lea@example.lu has already been invited." in response.content
    assert Collaborator.objects.count() == 1
    assert len(mail.outbox) == 1


def test_the_link_works_once_for_an_account_with_the_invited_address_verified(
    client, django_capture_on_commit_callbacks
):
    documentation = documentation_make(publish=False)
    lea = UserFactory(email="lea@example.lu")
    with django_capture_on_commit_callbacks(execute=True):
        services.collaborator_invite(
            documentation=documentation, by=documentation.author, email=lea.email
        )
    path = _path(_link(mail.outbox[0]))

    # Not signed in: the login page first.
    response = client.get(path)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    # Someone else who got hold of the link.
    client.force_login(UserFactory())
    response = client.post(path)
    assert response.status_code == 400
    assert b"This invitation was sent to lea@example.lu" in response.content
    assert Collaborator.objects.get().accepted_at is None

    client.force_login(lea)
    assert b"Accept the invitation" in client.get(path).content
    response = client.post(path)
    assert response["Location"] == f"/gallery/{documentation.slug}/edit/"
    collaborator = Collaborator.objects.get()
    assert collaborator.user == lea and collaborator.accepted_at is not None
    assert client.get(f"/gallery/{documentation.slug}/edit/").status_code == 200

    # The same link a second time.
    response = client.post(path)
    assert response.status_code == 400
    assert b"This invitation has already been used." in response.content


def test_an_unverified_address_does_not_accept(django_capture_on_commit_callbacks):
    documentation = documentation_make(publish=False)
    lea = UserFactory(email="lea@example.lu", verified=False)
    EmailAddress.objects.create(user=lea, email=lea.email, verified=False, primary=True)
    _collaborator, secret = services.collaborator_invite(
        documentation=documentation, by=documentation.author, email=lea.email
    )
    with pytest.raises(ValidationError, match="address is verified"):
        services.collaborator_accept(secret=secret, user=lea)
    # A second, verified address of the same account does.
    other = UserFactory(email="lea.work@example.lu")
    _collaborator, secret = services.collaborator_invite(
        documentation=documentation, by=documentation.author, email="lea.pro@example.lu"
    )
    EmailAddress.objects.create(user=other, email="lea.pro@example.lu", verified=True)
    assert services.collaborator_accept(secret=secret, user=other).user == other


def test_a_collaborator_edits_but_neither_publishes_nor_invites(client):
    documentation = documentation_make(publish=False)
    lea = UserFactory()
    _collaborator, secret = services.collaborator_invite(
        documentation=documentation, by=documentation.author, email=lea.email
    )
    services.collaborator_accept(secret=secret, user=lea)
    services.step_add(documentation=documentation, by=lea, title="Sand", body="Grit 180")
    services.documentation_update(documentation=documentation, by=lea, title="Better lamp")
    with pytest.raises(PermissionDenied):
        services.documentation_publish(documentation=documentation, by=lea, consent=True)
    with pytest.raises(PermissionDenied):
        services.collaborator_invite(documentation=documentation, by=lea, email="x@example.lu")
    client.force_login(lea)
    page = client.get(f"/gallery/{documentation.slug}/edit/")
    assert b"The author publishes the documentation when it is ready." in page.content
    assert b'data-testid="invite-form"' not in page.content
    assert b"Better lamp" in page.content


def test_the_author_removes_a_collaborator_and_withdraws_an_invitation(client):
    documentation = documentation_make(publish=False)
    lea, max_ = UserFactory(), UserFactory()
    accepted, secret = services.collaborator_invite(
        documentation=documentation, by=documentation.author, email=lea.email
    )
    services.collaborator_accept(secret=secret, user=lea)
    pending, pending_secret = services.collaborator_invite(
        documentation=documentation, by=documentation.author, email=max_.email
    )
    with pytest.raises(PermissionDenied):
        services.collaborator_remove(collaborator=pending, by=lea)

    client.force_login(documentation.author)
    for collaborator in (accepted, pending):
        response = client.post(
            f"/gallery/{documentation.slug}/collaborators/{collaborator.pk}/remove/"
        )
        assert response.status_code == 302
    assert not Collaborator.objects.exists()
    client.force_login(lea)
    assert client.get(f"/gallery/{documentation.slug}/edit/").status_code == 404
    with pytest.raises(ValidationError, match="not valid"):
        services.collaborator_accept(secret=pending_secret, user=max_)


def test_the_author_cannot_invite_themself_nor_a_bad_address():
    documentation = documentation_make(publish=False)
    for email in (documentation.author.email, "not an address"):
        with pytest.raises(ValidationError) as refused:
            services.collaborator_invite(
                documentation=documentation, by=documentation.author, email=email
            )
        assert "email" in refused.value.message_dict
    assert not Collaborator.objects.exists()
