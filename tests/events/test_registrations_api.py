"""The registrations API: guardians register their children, teachers their class, adults
themselves, with a token; refusals come back in the API's error shape with the services'
words and store nothing; a registration is seen by its registrant and the event's staff
only; the staff see and manage the waitlist."""

from __future__ import annotations

import pytest
from django.core import mail

from fabreck.accounts.services import api_token_create
from fabreck.events.models import Registration, School, Session
from fabreck.events.selectors import waitlist_position
from tests.events.helpers import child_make, event_make, registration_make, session_make
from tests.events.registration_helpers import claim_token, family_make, guardian_make
from tests.fablab.helpers import site_make
from tests.factories import UserFactory

# E-mails (claim links) leave when the services' transactions commit.
pytestmark = pytest.mark.django_db(transaction=True)

BASE = "/api/v1/events"


def _auth(user) -> dict:
    _token, secret = api_token_create(user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _post(client, path: str, user, data: dict | None = None):
    return client.post(f"{BASE}/{path}", data or {}, content_type="application/json", **_auth(user))


def _get(client, path: str, user, **params):
    return client.get(f"{BASE}/{path}", params, **_auth(user))


@pytest.fixture
def staff():
    return UserFactory(roles=["site_staff"])


@pytest.fixture
def site(staff):
    return site_make(slug="esch", name="FabLab Esch", staff=[staff])


@pytest.fixture
def workshop(site):
    """A children's workshop (ages 6 to 12) with one session of 2 seats."""
    return session_make(event_make(slug="robots", site=site), capacity=2)


def _seats(session: Session) -> int:
    session.refresh_from_db()
    return session.seats_taken


def test_a_guardian_registers_two_children_and_the_second_waits_when_one_seat_is_left(
    client, workshop
):
    registration_make(workshop, child=child_make(guardian_make(), first_name="Zoe"))
    guardian, (lea, max_) = family_make(names=("Lea", "Max"))

    response = _post(
        client, "registrations/", guardian, {"session": workshop.pk, "children": [lea.pk, max_.pk]}
    )

    assert response.status_code == 201, response.json()
    lea_row, max_row = response.json()
    assert (lea_row["attendee"], lea_row["kind"], lea_row["status"]) == (
        "Lea",
        "child",
        "confirmed",
    )
    assert lea_row["waitlist_position"] is None
    assert (max_row["attendee"], max_row["status"], max_row["waitlist_position"]) == (
        "Max",
        "waitlisted",
        1,
    )
    assert lea_row["price"] == "0.00" and lea_row["seats"] == 1
    assert lea_row["event"] == "robots" and lea_row["session"] == workshop.pk
    assert _seats(workshop) == 2
    assert [m.to for m in mail.outbox] == [[guardian.email], [guardian.email]]


def test_children_joining_a_queue_are_told_their_places_behind_those_already_waiting(
    client, workshop
):
    ahead = [
        ("Zoe", "confirmed"),
        ("Yan", "confirmed"),
        ("Xia", "waitlisted"),
        ("Wim", "waitlisted"),
    ]
    for name, status in ahead:
        registration_make(
            workshop, child=child_make(guardian_make(), first_name=name), status=status
        )
    guardian, (lea, max_) = family_make(names=("Lea", "Max"))

    response = _post(
        client, "registrations/", guardian, {"session": workshop.pk, "children": [lea.pk, max_.pk]}
    )

    assert response.status_code == 201, response.json()
    assert [(r["attendee"], r["status"], r["waitlist_position"]) for r in response.json()] == [
        ("Lea", "waitlisted", 3),
        ("Max", "waitlisted", 4),
    ]
    mine = Registration.objects.filter(registered_by=guardian).order_by("pk")
    assert [waitlist_position(registration=r) for r in mine] == [3, 4]
    assert _seats(workshop) == 2
    # one waitlist notice for both children, in the outbox and sent
    assert [m.to for m in mail.outbox][-1:] == [[guardian.email]]
    assert "Lea" in mail.outbox[-1].body and "Max" in mail.outbox[-1].body


def test_an_adult_registers_themselves_when_neither_children_nor_school_are_given(client, site):
    talk = session_make(event_make(slug="open", kind="public_workshop", site=site), capacity=5)
    adult = UserFactory(first_name="Ada", last_name="Lux")

    response = _post(client, "registrations/", adult, {"session": talk.pk})

    assert response.status_code == 201, response.json()
    (row,) = response.json()
    assert (row["kind"], row["status"], row["attendee"]) == ("adult", "confirmed", "Ada Lux")
    assert Registration.objects.get(pk=row["id"]).attendee == adult


def test_a_teacher_registers_a_class_naming_a_new_school(client, site):
    session = session_make(
        event_make(slug="class", site=site, accepts_school_classes=True), capacity=30
    )
    teacher = guardian_make()

    response = _post(
        client,
        "registrations/",
        teacher,
        {"session": session.pk, "school_name": "École du Brill", "grade": "C3", "pupils": 18},
    )

    assert response.status_code == 201, response.json()
    (row,) = response.json()
    assert (row["kind"], row["status"], row["seats"]) == ("school_class", "confirmed", 18)
    assert row["attendee"] == "École du Brill C3"
    assert _seats(session) == 18


def test_a_class_larger_than_the_seats_left_is_a_conflict_and_creates_no_school(client, site):
    session = session_make(
        event_make(slug="class", site=site, accepts_school_classes=True), capacity=10
    )

    response = _post(
        client,
        "registrations/",
        guardian_make(),
        {"session": session.pk, "school_name": "New school", "grade": "C2", "pupils": 18},
    )

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "full"
    assert "larger than the 10 seats left" in error["message"]
    assert not School.objects.exists()
    assert not Registration.objects.exists()


def test_refusals_name_every_child_refused_and_store_nothing(client, site):
    session = session_make(event_make(slug="robots", site=site, age_min=8, age_max=12))
    guardian = guardian_make()
    small = child_make(guardian, first_name="Tom", age=5)
    fine = child_make(guardian, first_name="Lea", age=9)
    tiny = child_make(guardian, first_name="Ida", age=4)

    response = _post(
        client,
        "registrations/",
        guardian,
        {"session": session.pk, "children": [small.pk, fine.pk, tiny.pk]},
    )

    assert response.status_code == 400
    problems = response.json()["error"]["problems"]
    assert [p["code"] for p in problems] == ["age", "age"]
    assert "Tom" in problems[0]["message"] and "Ida" in problems[1]["message"]
    assert not Registration.objects.exists()
    assert _seats(session) == 0
    assert not mail.outbox


def test_someone_elses_child_is_refused_without_telling_whose(client, workshop):
    guardian, (own,) = family_make(names=("Lea",))
    other = child_make(guardian_make(), first_name="Secret")

    response = _post(
        client, "registrations/", guardian, {"session": workshop.pk, "children": [own.pk, other.pk]}
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["problems"][0]["code"] == "not_your_child"
    assert "Secret" not in str(error)
    assert not Registration.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"session": "abc"},
        {"session": 999999},
        {"session": None, "children": ["x"]},
        {"session": 1, "children": "not a list"},
        {"session": 1, "school": "x", "pupils": 3},
        {"session": 1, "school_name": "A school"},  # no pupils
        {"session": 1, "children": [1], "school_name": "A school", "pupils": 3},
        {"session": 1, "ticket_category": "cheap"},
    ],
)
def test_junk_input_is_a_400_with_the_error_shape(client, workshop, payload):
    if payload.get("session") == 1:
        payload = {**payload, "session": workshop.pk}

    response = _post(client, "registrations/", guardian_make(), payload)

    assert response.status_code == 400, response.content
    assert response.json()["error"]["message"]
    assert not Registration.objects.exists()


def test_a_draft_events_session_does_not_exist_for_the_public(client, site):
    draft = session_make(event_make(slug="draft", site=site, status="draft"))
    guardian, (child,) = family_make()

    response = _post(
        client, "registrations/", guardian, {"session": draft.pk, "children": [child.pk]}
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["session"] == ["This session does not exist."]


def test_a_second_registration_of_the_same_child_is_refused(client, workshop):
    guardian, (child,) = family_make()
    body = {"session": workshop.pk, "children": [child.pk]}

    assert _post(client, "registrations/", guardian, body).status_code == 201
    again = _post(client, "registrations/", guardian, body)

    assert again.status_code == 400
    assert again.json()["error"]["problems"][0]["code"] == "duplicate"
    assert Registration.objects.count() == 1


def test_an_unknown_ticket_is_refused(client, workshop):
    guardian, (child,) = family_make()

    response = _post(
        client,
        "registrations/",
        guardian,
        {"session": workshop.pk, "children": [child.pk], "ticket_category": 987654},
    )

    assert response.status_code == 400
    assert response.json()["error"]["problems"][0]["code"] == "ticket"


def test_registering_needs_a_token(client, workshop):
    response = client.post(
        f"{BASE}/registrations/", {"session": workshop.pk}, content_type="application/json"
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_the_list_shows_only_the_callers_registrations_upcoming_or_past(client, site, workshop):
    guardian, (lea,) = family_make(names=("Lea",))
    mine = registration_make(workshop, child=lea)
    past = session_make(workshop.event, days_ahead=-7)
    old = registration_make(past, child=lea)
    registration_make(workshop, child=child_make(guardian_make(), first_name="Other"))
    queued = registration_make(
        workshop, child=child_make(guardian, first_name="Max"), status="waitlisted"
    )

    everything = _get(client, "registrations/", guardian).json()
    upcoming = _get(client, "registrations/", guardian, when="upcoming").json()
    gone = _get(client, "registrations/", guardian, when="past").json()

    assert everything["count"] == 3
    assert {r["id"] for r in upcoming["results"]} == {mine.pk, queued.pk}
    assert [r["id"] for r in gone["results"]] == [old.pk]
    waiting = next(r for r in upcoming["results"] if r["id"] == queued.pk)
    assert waiting["waitlist_position"] == 1


def test_a_registration_is_seen_by_its_guardian_and_the_staff_only(client, workshop, staff):
    guardian, (lea,) = family_make(names=("Lea",))
    registration = registration_make(workshop, child=lea)
    path = f"registrations/{registration.pk}/"

    assert _get(client, path, guardian).json()["attendee"] == "Lea"
    assert _get(client, path, staff).status_code == 200
    assert _get(client, path, guardian_make()).status_code == 404
    assert _get(client, f"registrations/{registration.pk + 1000}/", guardian).status_code == 404


def test_cancelling_frees_the_seat_for_the_next_in_line_who_claims_it(client, site):
    session = session_make(event_make(slug="robots", site=site), capacity=1)
    first, (ana,) = family_make(names=("Ana",))
    second, (ben,) = family_make(names=("Ben",))
    (ana_row,) = _post(
        client, "registrations/", first, {"session": session.pk, "children": [ana.pk]}
    ).json()
    (ben_row,) = _post(
        client, "registrations/", second, {"session": session.pk, "children": [ben.pk]}
    ).json()
    assert ben_row["status"] == "waitlisted"

    stranger = _post(client, f"registrations/{ana_row['id']}/cancel/", second)
    cancelled = _post(client, f"registrations/{ana_row['id']}/cancel/", first)
    again = _post(client, f"registrations/{ana_row['id']}/cancel/", first)

    assert stranger.status_code == 404
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert again.status_code == 400
    assert again.json()["error"]["problems"][0]["code"] == "already_cancelled"
    token = claim_token(second)
    assert _post(client, "offers/claim/", first, {"token": token}).status_code == 403
    claimed = _post(client, "offers/claim/", second, {"token": token})
    assert claimed.status_code == 200, claimed.json()
    assert claimed.json()["status"] == "confirmed"
    used = _post(client, "offers/claim/", second, {"token": token})
    assert used.json()["error"]["problems"][0]["code"] == "offer_used"
    bad = _post(client, "offers/claim/", second, {"token": "nonsense"})
    assert bad.status_code == 400
    assert bad.json()["error"]["problems"][0]["code"] == "offer_invalid"
    assert _seats(session) == 1


def test_the_staff_see_the_waitlist_in_order_and_offer_the_next_seat(client, site, staff):
    session = session_make(event_make(slug="robots", site=site), capacity=1)
    holder = registration_make(session, child=child_make(guardian_make(), first_name="Ana"))
    waiting = [
        registration_make(session, child=child_make(guardian_make(), first_name=name),
                          status="waitlisted")
        for name in ("Ben", "Cleo")
    ]  # fmt: skip

    full = _post(client, f"sessions/{session.pk}/waitlist/offer-next/", staff)
    Registration.objects.filter(pk=holder.pk).update(status="cancelled")
    Session.objects.filter(pk=session.pk).update(seats_taken=0)
    offered = _post(client, f"sessions/{session.pk}/waitlist/offer-next/", staff)
    queue = _get(client, f"sessions/{session.pk}/waitlist/", staff).json()

    assert full.status_code == 409
    assert offered.status_code == 200
    assert (offered.json()["id"], offered.json()["status"]) == (waiting[0].pk, "offered")
    assert [(e["attendee"], e["status"], e["position"]) for e in queue["entries"]] == [
        ("Ben", "offered", None),
        ("Cleo", "waitlisted", 1),
    ]
    assert (queue["waiting"], queue["offered"], queue["seats_taken"]) == (1, 1, 1)


def test_the_staff_take_someone_off_the_waitlist(client, site, staff):
    session = session_make(event_make(slug="robots", site=site), capacity=1)
    registration_make(session, child=child_make(guardian_make(), first_name="Ana"))
    guardian, (ben,) = family_make(names=("Ben",))
    waiting = registration_make(session, child=ben, status="waitlisted")
    path = f"registrations/{waiting.pk}/waitlist-remove/"

    by_guardian = _post(client, path, guardian)
    removed = _post(client, path, staff)

    assert by_guardian.status_code == 403
    assert removed.status_code == 200 and removed.json()["status"] == "cancelled"
    assert _get(client, f"sessions/{session.pk}/waitlist/", staff).json()["entries"] == []


def test_the_waitlist_is_hidden_from_everyone_but_the_staff(client, workshop):
    guardian, (child,) = family_make()
    registration_make(workshop, child=child, status="waitlisted")

    for user in (guardian, UserFactory(roles=["site_staff"])):
        assert _get(client, f"sessions/{workshop.pk}/waitlist/", user).status_code == 404
        assert _post(client, f"sessions/{workshop.pk}/waitlist/offer-next/", user).status_code == (
            404
        )


def test_the_lean_representation_matches_the_declared_fields(workshop):
    from rest_framework import serializers

    from fabreck.events.selectors import session_with_event
    from fabreck.events.serializers import RegistrationSerializer

    _guardian, (lea,) = family_make(names=("Lea",))
    registration = registration_make(workshop, child=lea, status="waitlisted")
    registration = Registration.objects.select_related("session__event", "child").get(
        pk=registration.pk
    )

    lean = RegistrationSerializer(registration).data
    declared = serializers.Serializer.to_representation(RegistrationSerializer(), registration)

    assert lean == declared
    assert lean["waitlist_position"] == 1
    read = session_with_event(pk=workshop.pk)
    assert (read.starts_at, read.capacity, read.event.title) == (
        workshop.starts_at,
        workshop.capacity,
        "Build a robot",
    )
    assert session_with_event(pk=workshop.pk + 1000) is None


def test_a_registrations_reads_come_in_one_statement_with_only_the_guardians_own_children(
    workshop, django_assert_num_queries
):
    from fabreck.events.selectors import session_with_children
    from fabreck.events.services import child_delete

    guardian, (lea, max_, old) = family_make(names=("Lea", "Max", "Old"))
    _other, (zoe,) = family_make(names=("Zoe",))
    child_delete(guardian=guardian, child=old)  # anonymised

    with django_assert_num_queries(1):
        session, own = session_with_children(
            pk=workshop.pk, guardian=guardian, ids=[lea.pk, max_.pk, old.pk, zoe.pk, 2**70]
        )

    assert (session.pk, session.event.title) == (workshop.pk, "Build a robot")
    assert {pk: child.first_name for pk, child in own.items()} == {lea.pk: "Lea", max_.pk: "Max"}
    session, own = session_with_children(pk=workshop.pk, guardian=guardian, ids=[zoe.pk])
    assert session.pk == workshop.pk and own == {}
    assert session_with_children(pk=workshop.pk + 1000, guardian=guardian, ids=[lea.pk]) == (
        None,
        {},
    )
