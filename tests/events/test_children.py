"""Children's profiles: a guardian keeps them (first name, birth date, commune, consents,
pickup persons, notes); bad input gets a clear message and stores nothing; nobody but the
guardian (and the staff of the child's sessions) ever sees them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from fabreck.cluster.models import Commune
from fabreck.events.models import Child
from fabreck.events.services import child_create, child_update
from tests.events.helpers import child_make, event_make, registration_make, session_make
from tests.fablab.helpers import site_make
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def guardian():
    return UserFactory(roles=["guardian"])


def _refused(**kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        child_create(**kwargs)
    return caught.value


# --- the service ---------------------------------------------------------------------------


def test_a_guardian_adds_a_child_with_consents_and_commune(guardian):
    esch = Commune.objects.get(slug="esch-sur-alzette")

    child = child_create(
        guardian=guardian,
        first_name="  Lea ",
        birth_date=date(2017, 3, 21),
        commune=esch,
        photo_consent=True,
        pickup_persons="Grandma Anne, 621 000 000",
        notes="Allergic to nuts",
    )

    child.refresh_from_db()
    assert (child.first_name, child.birth_year, child.commune) == ("Lea", 2017, esch)
    assert child.guardian == guardian and child.photo_consent
    assert child.pickup_persons == "Grandma Anne, 621 000 000"


@pytest.mark.parametrize(
    ("first_name", "birth_date", "field", "message"),
    [
        ("", date(2017, 3, 21), "first_name", "Give the child's first name."),
        ("   ", date(2017, 3, 21), "first_name", "Give the child's first name."),
        ("Lea", None, "birth_date", "Give the child's birth date."),
        (
            "Lea",
            timezone.localdate() + timedelta(days=1),
            "birth_date",
            "The birth date cannot be in the future.",
        ),
        (
            "Lea",
            date(timezone.localdate().year - 18, 1, 1),
            "birth_date",
            "Children's profiles are for children under 18",
        ),
    ],
)
def test_bad_input_gets_a_message_and_stores_nothing(
    guardian, first_name, birth_date, field, message
):
    error = _refused(guardian=guardian, first_name=first_name, birth_date=birth_date)

    assert message in " ".join(error.message_dict[field])
    assert not Child.objects.exists()


def test_a_child_born_today_is_accepted(guardian):
    child = child_create(guardian=guardian, first_name="Noah", birth_date=timezone.localdate())

    assert child.age_on(timezone.localdate()) == 0


def test_only_guardians_keep_children(guardian):
    maker = UserFactory(roles=["maker"])

    with pytest.raises(PermissionDenied):
        child_create(guardian=maker, first_name="Lea", birth_date=date(2017, 3, 21))


def test_a_guardian_cannot_change_another_guardians_child(guardian):
    child = child_make(UserFactory(roles=["guardian"]))

    with pytest.raises(PermissionDenied):
        child_update(guardian=guardian, child=child, first_name="Mine", birth_date=date(2017, 1, 1))
    child.refresh_from_db()
    assert child.first_name == "Lea"


def test_a_new_birth_date_moves_the_age_kept_on_upcoming_registrations(guardian):
    child = child_make(guardian, age=8)
    session = session_make(event_make())
    registration = registration_make(session, child=child)
    today = timezone.localdate()

    child_update(
        guardian=guardian, child=child, first_name="Lea", birth_date=date(today.year - 10, 1, 1)
    )

    registration.refresh_from_db()
    child.refresh_from_db()
    assert registration.child_age == child.age_on(session.starts_at.date()) == 10


def test_a_birth_date_that_leaves_the_workshops_ages_is_refused(guardian):
    child = child_make(guardian, age=8)
    session = session_make(event_make(age_min=6, age_max=12))
    registration_make(session, child=child)
    born = child.birth_date

    with pytest.raises(ValidationError) as caught:
        child_update(
            guardian=guardian,
            child=child,
            first_name="Lea",
            birth_date=date(timezone.localdate().year - 4, 1, 1),
        )

    text = " ".join(caught.value.message_dict["birth_date"])
    assert "outside its ages" in text and "Build a robot" in text
    assert "Cancel that registration first" in text
    child.refresh_from_db()
    assert child.birth_date == born


# --- the pages -----------------------------------------------------------------------------


def test_the_guardian_sees_only_their_children(client, guardian):
    child_make(guardian, first_name="Lea")
    child_make(UserFactory(roles=["guardian"]), first_name="Zoe")
    client.force_login(guardian)

    html = client.get(reverse("events:children")).content.decode()

    assert "Lea" in html and "Zoe" not in html


def test_a_guardian_adds_a_child_through_the_form(client, guardian):
    client.force_login(guardian)

    response = client.post(
        reverse("events:child-add"),
        {
            "first_name": "Lea",
            "birth_date": "2017-03-21",
            "commune": Commune.objects.get(slug="luxembourg").pk,
            "photo_consent": "on",
            "pickup_persons": "Dad",
            "notes": "",
        },
    )

    assert response.status_code == 302
    child = Child.objects.get()
    assert (child.guardian, child.first_name, child.photo_consent) == (guardian, "Lea", True)


def test_a_birth_date_in_the_future_is_refused_on_the_page(client, guardian):
    client.force_login(guardian)
    tomorrow = timezone.localdate() + timedelta(days=1)

    response = client.post(
        reverse("events:child-add"), {"first_name": "Lea", "birth_date": tomorrow.isoformat()}
    )

    assert response.status_code == 400
    assert "The birth date cannot be in the future." in response.content.decode()
    assert not Child.objects.exists()


def test_the_guardian_edits_a_child(client, guardian):
    child = child_make(guardian)
    client.force_login(guardian)

    page = client.get(reverse("events:child-edit", args=[child.pk]))
    response = client.post(
        reverse("events:child-edit", args=[child.pk]),
        {"first_name": "Léa", "birth_date": child.birth_date.isoformat(), "notes": "Glasses"},
    )

    assert page.status_code == 200 and 'value="Lea"' in page.content.decode()
    assert response.status_code == 302
    child.refresh_from_db()
    assert (child.first_name, child.notes) == ("Léa", "Glasses")


@pytest.mark.parametrize(
    ("name", "post"),
    [
        ("events:child-edit", True),
        ("events:child-export-json", False),
        ("events:child-export-csv", False),
        ("events:child-delete", True),
    ],
)
def test_another_guardian_and_anonymous_visitors_get_404(client, guardian, name, post):
    child = child_make(guardian)
    url = reverse(name, args=[child.pk])

    assert client.get(url).status_code == 404  # anonymous
    client.force_login(UserFactory(roles=["guardian"]))
    assert client.get(url).status_code == 404
    if post:
        data = {"first_name": "X", "birth_date": "2017-01-01"}
        assert client.post(url, data).status_code == 404
    client.force_login(UserFactory(roles=["site_staff"]))
    assert client.get(url).status_code == 404
    child.refresh_from_db()
    assert child.first_name == "Lea" and child.anonymised_at is None


def test_a_user_who_is_not_a_guardian_is_refused_the_list(client):
    client.force_login(UserFactory(roles=["maker"]))

    assert client.get(reverse("events:children")).status_code == 403
    assert client.get(reverse("events:child-add")).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("events:children"))

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_user_menu_offers_my_children_to_guardians_only(client, guardian):
    url = reverse("events:children")
    client.force_login(guardian)
    assert url in client.get("/").content.decode()

    client.force_login(UserFactory(roles=["maker"]))
    assert url not in client.get("/").content.decode()


def test_staff_of_another_site_cannot_see_a_childs_data(client, guardian):
    staff_here, staff_elsewhere = (
        UserFactory(roles=["site_staff"]),
        UserFactory(roles=["site_staff"]),
    )
    site = site_make(staff=[staff_here])
    site_make(slug="other", name="Other FabLab", staff=[staff_elsewhere])
    session = session_make(event_make(site=site))
    registration_make(session, child=child_make(guardian, notes="Allergic to nuts"))
    url = reverse("events:session-attendance", args=[session.pk])

    client.force_login(staff_elsewhere)
    refused = client.get(url)
    client.force_login(staff_here)
    shown = client.get(url)

    assert refused.status_code == 404 and "Allergic" not in refused.content.decode()
    assert shown.status_code == 200 and "Allergic to nuts" in shown.content.decode()
