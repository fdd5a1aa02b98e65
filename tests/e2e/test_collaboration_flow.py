"""A member posts a collaboration request needing sound design, sees a matching
organisation listed, contacts it; the match's admin gets the message by e-mail without
the sender's address, follows the link, answers on the platform, and the answer is
relayed back to the sender the same way."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from fabreck.cluster.models import CollaborationMessage, CollaborationRequest
from tests.e2e.test_cluster_flow import _log_in, _visitor
from tests.e2e.test_signup_flow import _mails
from tests.factories import UserFactory, organisation_make

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "Sound for a museum installation"
FIRST = "Hello! Would you design the sound of our 3D film for the Casino? Budget 4,000 EUR."
ANSWER = "Gladly. We scored two museum films last year. Shall we meet on Tuesday?"
EMAIL_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


def _link_to_conversation(body: str, base: str) -> str:
    links = re.findall(rf"{re.escape(base)}/cluster/collaboration/\d+/with/[\w-]+/", body)
    assert links, f"no conversation link in: {body}"
    return links[0]


def test_a_member_posts_a_request_and_contacts_a_match_who_answers(
    browser_page, live_server, settings, tmp_path
):
    from playwright.sync_api import expect

    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(mail_dir)
    base = live_server.url
    settings.SITE_URL = base  # links in the relayed e-mails lead to this server
    author = UserFactory(first_name="Anna", last_name="Weber", email="anna.weber@alpha.lu")
    organisation_make(
        owner=author, name="Studio Alpha", sectors=("film-audiovisual",),
        competences=("animation-3d",), email="contact@alpha.lu", show_email=True,
    )  # fmt: skip
    admin = UserFactory(first_name="Bruno", last_name="Faber", email="bruno.faber@sound.lu")
    sound = organisation_make(
        owner=admin, name="Sound Atelier", sectors=("film-audiovisual",),
        competences=("sound-design", "music-composition"), email="hello@sound.lu",
    )  # fmt: skip
    organisation_make(name="Wood Works", sectors=("art-crafts",), competences=("carpentry",))
    deadline = timezone.localdate() + timedelta(days=45)
    for path in mail_dir.iterdir():  # the membership decisions of the setup
        path.unlink()

    # 1. The member posts a request from the Collaboration page.
    page = browser_page
    _log_in(page, base, author)
    page.locator("header nav").get_by_role("link", name="Collaboration", exact=True).click()
    expect(page).to_have_url(re.compile(r"/cluster/collaboration/$"))
    expect(page.get_by_role("heading", name="Collaboration requests")).to_be_visible()
    page.get_by_role("link", name="Post a request").click()
    page.locator("#id_kind").select_option("seek")
    page.locator("#id_title").fill(TITLE)
    page.locator("#id_competences").select_option(["sound-design"])
    page.locator("#id_deadline").fill(deadline.isoformat())
    page.locator("#id_description").fill("A 3D film for the Casino needs its soundscape.")
    page.get_by_role("button", name="Post the request").click()
    expect(page).to_have_url(re.compile(r"/cluster/collaboration/\d+/$"))
    expect(page.locator(".alert-success")).to_have_text("Your request is posted.")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    request = CollaborationRequest.objects.get(title=TITLE)
    assert (request.kind, request.deadline, request.author) == ("seek", deadline, author)
    assert [c.slug for c in request.competences.all()] == ["sound-design"]

    # 2. The matching organisation is listed, with the reason; the carpenters are not.
    matches = page.get_by_test_id("match")
    match = matches.filter(has_text="Sound Atelier")
    expect(match).to_have_count(1)
    expect(matches).to_have_count(1)
    expect(match).to_contain_text("Covers Sound design.")

    # 3. Contact it: write a message, send it.
    match.get_by_role("link", name="Contact").click()
    expect(page).to_have_url(
        re.compile(rf"/cluster/collaboration/{request.pk}/with/sound-atelier/$")
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Conversation with Sound Atelier")
    page.get_by_label("Your message").fill(FIRST)
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".alert-success")).to_have_text("Your message was sent to Sound Atelier.")
    expect(page.get_by_test_id("message")).to_have_count(1)
    expect(page.get_by_test_id("message")).to_contain_text(FIRST)
    assert CollaborationMessage.objects.get().recipient_organisation == sound

    # 4. The match's admin receives it by e-mail, without anyone's address.
    to_admin = [body for to, body in _mails(mail_dir) if to == admin.email]
    assert len(to_admin) == 1, _mails(mail_dir)
    assert FIRST in to_admin[0] and "Anna Weber" in to_admin[0]
    assert EMAIL_ADDRESS.findall(to_admin[0]) == []  # neither anna.weber@… nor contact@…
    link = _link_to_conversation(to_admin[0], base)

    # 5. The admin follows the link, reads the message and answers on the platform.
    with _visitor(page) as admin_page:
        _log_in(admin_page, base, admin)
        admin_page.goto(link)
        expect(admin_page.get_by_role("heading", level=1)).to_have_text(
            "Conversation with Studio Alpha"
        )
        expect(admin_page.get_by_test_id("message")).to_contain_text(FIRST)
        expect(admin_page.locator("main")).not_to_contain_text("anna.weber@alpha.lu")
        admin_page.get_by_label("Your message").fill(ANSWER)
        admin_page.get_by_role("button", name="Send").click()
        expect(admin_page.locator(".alert-success")).to_have_text(
            "Your message was sent to Studio Alpha."
        )
        expect(admin_page.get_by_test_id("message")).to_have_count(2)

    # 6. The answer is relayed to the sender the same way; the link shows the thread.
    to_author = [body for to, body in _mails(mail_dir) if to == author.email]
    assert len(to_author) == 1, _mails(mail_dir)
    assert ANSWER in to_author[0] and "Bruno Faber" in to_author[0]
    assert EMAIL_ADDRESS.findall(to_author[0]) == []
    page.goto(_link_to_conversation(to_author[0], base))
    messages = page.get_by_test_id("message")
    expect(messages).to_have_count(2)
    expect(messages.nth(1)).to_contain_text(ANSWER)
    reply = CollaborationMessage.objects.latest("pk")
    assert (reply.sender, reply.parent) == (admin, CollaborationMessage.objects.earliest("pk"))
