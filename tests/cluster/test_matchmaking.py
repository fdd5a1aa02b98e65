"""Matchmaking: members ranked by how much of a need they cover, complements, reasons."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fabreck.cluster.matchmaking import competences_in_text, complements_of, matches_for_need
from tests.factories import UserFactory, organisation_make

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("need", "expected"),
    [
        ("We need a 3D animator and a sound designer for a museum installation",
         {"animation-3d", "animation-2d", "sound-design"}),
        ("Nous cherchons un menuisier et un graphiste", {"carpentry", "graphic-design"}),
        ("Wir suchen eine Schreinerin für Möbel", {"carpentry", "furniture-design"}),
        ("Wir brauchen Webentwicklung", {"web-development"}),  # not hand weaving ("Weben")
        ("Just a nice day", set()),
    ],
)  # fmt: skip
def test_a_need_is_read_in_any_language(need, expected):
    assert {c.slug for c in competences_in_text(need)} == expected


def test_members_are_ranked_by_the_share_of_the_need_they_cover_and_say_why():
    organisation_make(name="Both", competences=("animation-3d", "sound-design"))
    organisation_make(name="Sound only", competences=("sound-design", "carpentry"))
    organisation_make(name="Unrelated", competences=("carpentry",))
    organisation_make(name="Not listed", competences=("sound-design",), directory_consent=False)

    needed, matches = matches_for_need(text="un animateur 3D et du sound design")

    assert {c.slug for c in needed} >= {"animation-3d", "sound-design"}
    assert [m.organisation.name for m in matches] == ["Both", "Sound only"]
    assert matches[0].reasons == ["Covers 3D animation, Sound design."]


def test_complements_bring_what_the_asker_lacks_in_its_sectors():
    asker = organisation_make(name="Film Co", sectors=("film-audiovisual",),
                              competences=("film-directing",))  # fmt: skip
    organisation_make(name="Same Trade", sectors=("film-audiovisual",),
                      competences=("film-directing",))  # fmt: skip
    organisation_make(name="Sound Partner", sectors=("film-audiovisual",),
                      competences=("sound-design", "colour-grading"))  # fmt: skip
    organisation_make(name="Far Away", sectors=("fashion",), competences=("knitwear",))

    matches = complements_of(organisation=asker)

    assert [m.organisation.name for m in matches] == ["Sound Partner"]
    assert "Brings Colour grading, Sound design, which you do not list." in matches[0].reasons


def test_the_page_shows_matches_and_complements_with_bounded_queries(client):
    user = UserFactory()
    organisation_make(owner=user, name="Mine", sectors=("film-audiovisual",),
                      competences=("film-directing",))  # fmt: skip
    for n in range(6):
        organisation_make(name=f"Partner {n}", sectors=("film-audiovisual",),
                          competences=("sound-design",))  # fmt: skip
    client.force_login(user)

    html = client.get(reverse("cluster:matchmaking"), {"need": "sound design"}).content.decode()
    assert "Partner 0" in html and "Covers Sound design." in html
    html = client.get(reverse("cluster:my-organisations")).content.decode()
    assert "Organisations that complement Mine" in html and "Partner 0" in html

    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("cluster:matchmaking"), {"need": "sound design", "for": "mine"})
    assert len(ctx.captured_queries) <= 12


def test_a_need_without_known_competence_says_so(client):
    client.force_login(UserFactory())

    html = client.get(reverse("cluster:matchmaking"), {"need": "something vague"}).content
    assert "No competence of the taxonomy was recognised in your need." in html.decode()
