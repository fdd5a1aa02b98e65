"""Three languages: switcher, per-user preference, complete catalogues, Luxembourg time."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone, translation

from tests.factories import UserFactory

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"


@pytest.mark.parametrize("language", ["fr", "de"])
def test_every_message_of_the_platform_is_translated(language):
    with (LOCALE_DIR / language / "LC_MESSAGES" / "django.po").open("rb") as po_file:
        catalog = read_po(po_file)
    missing = [
        message.id
        for message in catalog
        if message.id and (not all(message.string) if message.pluralizable else not message.string)
    ]
    fuzzy = [message.id for message in catalog if message.id and message.fuzzy]

    assert missing == []
    assert fuzzy == []


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "fr", "de"])
def test_the_home_page_follows_the_browser_language(client, language):
    response = client.get(reverse("core:home"), HTTP_ACCEPT_LANGUAGE=language)

    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    with translation.override(language):
        expected = translation.gettext("The cluster")
    assert expected in html
    if language != "en":
        assert expected != "The cluster"


@pytest.mark.django_db
def test_the_switcher_remembers_the_language_of_a_visitor(client):
    response = client.post(reverse("accounts:language-switch"), {"language": "de", "next": "/"})

    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    assert '<html lang="de">' in client.get("/").content.decode()


@pytest.mark.django_db
def test_the_switcher_stores_a_users_preference_for_every_device(client):
    user = UserFactory(preferred_language="en")
    client.force_login(user)

    client.post(reverse("accounts:language-switch"), {"language": "fr", "next": "/"})

    user.refresh_from_db()
    assert user.preferred_language == "fr"
    other_device = type(client)()
    other_device.force_login(user)
    assert '<html lang="fr">' in other_device.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()


@pytest.mark.django_db
def test_an_unknown_language_code_is_refused_with_a_message(client):
    user = UserFactory(preferred_language="de")
    client.force_login(user)

    response = client.post(
        reverse("accounts:language-switch"), {"language": "xx", "next": "/"}, follow=True
    )

    user.refresh_from_db()
    assert user.preferred_language == "de"
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    with translation.override("de"):
        expected = translation.gettext("Unknown language. Choose English, French or German.")
    assert expected in response.content.decode()


@pytest.mark.django_db
def test_the_switcher_never_redirects_to_another_site(client):
    response = client.post(
        reverse("accounts:language-switch"), {"language": "fr", "next": "https://evil.example/"}
    )

    assert response["Location"] == reverse("core:home")


def test_times_are_shown_in_luxembourg_time_and_localised():
    moment = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)

    local = timezone.localtime(moment)
    assert local.hour == 12  # CEST, UTC+2
    with translation.override("de"):
        assert formats.date_format(local, "DATE_FORMAT") == "1. Juli 2026"
    with translation.override("fr"):
        assert formats.date_format(local, "DATE_FORMAT") == "1 juillet 2026"
        assert formats.number_format(1234.5, 1, use_l10n=True, force_grouping=True) == "1\xa0234,5"
