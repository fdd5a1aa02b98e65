"""Sign-up, e-mail verification and login, through allauth and our adapter."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from fabreck.accounts.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)  # e-mails leave on commit


def signup(client, **overrides):
    data = {
        "email": "new.maker@example.lu",
        "first_name": "Léa",
        "last_name": "Muller",
        "preferred_language": "fr",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **overrides,
    }
    return client.post(reverse("account_signup"), data, HTTP_ACCEPT_LANGUAGE="en")


def test_signup_creates_a_maker_and_mails_a_confirmation_link(client):
    response = signup(client)

    assert response.status_code == 302
    user = User.objects.get(email="new.maker@example.lu")
    assert (user.first_name, user.last_name, user.preferred_language) == ("Léa", "Muller", "fr")
    assert [g.name for g in user.groups.all()] == ["maker"]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.maker@example.lu"]
    assert re.search(r"/accounts/confirm-email/[^/\s]+/", mail.outbox[0].body)


def test_login_waits_for_the_confirmation_then_works(client):
    signup(client)
    login = {"login": "new.maker@example.lu", "password": PASSWORD}

    client.post(reverse("account_login"), login)
    assert "_auth_user_id" not in client.session

    link = re.search(r"(/accounts/confirm-email/[^/\s]+/)", mail.outbox[0].body).group(1)
    client.post(link)
    response = client.post(reverse("account_login"), login)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get().pk)


def test_signup_with_an_address_already_taken_says_so_and_stores_nothing(client):
    UserFactory(email="taken@example.lu")

    response = signup(client, email="Taken@Example.lu")

    assert response.status_code == 200
    assert "A user is already registered with this email address." in response.content.decode()
    assert User.objects.count() == 1
    assert mail.outbox == []


def test_signup_error_speaks_the_visitor_language(client):
    UserFactory(email="taken@example.lu")

    response = client.post(
        reverse("account_signup"),
        {"email": "taken@example.lu", "password1": PASSWORD, "password2": PASSWORD,
         "preferred_language": "fr"},
        HTTP_ACCEPT_LANGUAGE="fr",
    )  # fmt: skip

    assert "Un autre utilisateur utilise déjà cette adresse e-mail." in response.content.decode()


@pytest.mark.parametrize("weak", ["123", "password", "12345678901"])
def test_a_weak_password_is_refused_and_nothing_is_stored(client, weak):
    response = signup(client, password1=weak, password2=weak)

    assert response.status_code == 200
    assert 'class="invalid-feedback' in response.content.decode()
    assert not User.objects.exists()


def test_an_unknown_language_is_refused_on_signup(client):
    response = signup(client, preferred_language="xx")

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not User.objects.exists()


def test_a_forgotten_password_is_reset_through_a_mailed_link(client):
    user = UserFactory(email="forgetful@example.lu")

    client.post(reverse("account_reset_password"), {"email": "forgetful@example.lu"})
    assert mail.outbox[0].to == ["forgetful@example.lu"]
    link = re.search(r"(/accounts/password/reset/key/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link)["Location"]  # allauth moves the key into the session
    client.post(form_url, {"password1": "new-Secret-phrase-9", "password2": "new-Secret-phrase-9"})

    user.refresh_from_db()
    assert user.check_password("new-Secret-phrase-9")
