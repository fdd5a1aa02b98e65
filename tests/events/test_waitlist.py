"""The waitlist: order of arrival, a freed seat offered to the next in line with a claim
link, claims, expiry passing the seat on, and the staff managing the queue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fabreck.core.secrets import secret_digest
from fabreck.events.models import Registration
from fabreck.events.selectors import session_waitlist, waitlist_position
from fabreck.events.services import (
    registration_adult_create,
    registration_cancel,
    registration_children_create,
    registration_offer_claim,
    registration_offers_expire,
    waitlist_entry_remove,
    waitlist_fill,
    waitlist_offer_next,
)
from tests.events.helpers import event_make, session_make
from tests.events.registration_helpers import claim_token, codes, family_make
from tests.factories import UserFactory

# E-mails (with the claim links) leave when the service's transaction commits.
pytestmark = pytest.mark.django_db(transaction=True)


def _register(session, name: str):
    guardian, (child,) = family_make(names=(name,))
    (registration,) = registration_children_create(
        guardian=guardian, session=session, children=[child]
    )
    return registration


def _offer(registration) -> str:
    """The token of the claim link e-mailed for this offer."""
    return claim_token(registration.registered_by)


@pytest.fixture
def full():
    """A session of 1 seat: Ana holds it, Ben, Cleo and Dan wait in that order."""
    session = session_make(event_make(offer_hours=24), capacity=1)
    ana, ben, cleo, dan = (_register(session, name) for name in ("Ana", "Ben", "Cleo", "Dan"))
    return session, ana, ben, cleo, dan


def _fresh(*registrations):
    for registration in registrations:
        registration.refresh_from_db()


def _seats(session) -> int:
    session.refresh_from_db()
    return session.seats_taken


def test_a_full_session_queues_people_in_order_of_arrival(full):
    session, ana, ben, cleo, dan = full

    assert ana.status == "confirmed"
    assert [r.status for r in (ben, cleo, dan)] == ["waitlisted"] * 3
    assert list(session_waitlist(session=session)) == [ben, cleo, dan]
    assert [waitlist_position(registration=r) for r in (ben, cleo, dan)] == [1, 2, 3]
    assert waitlist_position(registration=ana) is None


def test_a_cancellation_offers_the_seat_to_the_next_in_line(full):
    session, ana, ben, cleo, dan = full
    before = timezone.now()

    registration_cancel(registration=ana, by=ana.registered_by)

    _fresh(ana, ben, cleo)
    assert ana.status == "cancelled" and ana.cancelled_by == ana.registered_by
    assert ben.status == "offered"
    assert before + timedelta(hours=24) <= ben.offer_expires_at
    assert ben.offer_expires_at <= timezone.now() + timedelta(hours=24)
    assert ben.offer_token_digest == secret_digest(_offer(ben))
    assert cleo.status == "waitlisted"
    assert _seats(session) == 1  # the offer holds the seat
    assert [waitlist_position(registration=r) for r in (cleo, dan)] == [1, 2]


def test_the_offer_never_lasts_past_the_session_start():
    session = session_make(
        event_make(offer_hours=48), capacity=1, starts_at=timezone.now() + timedelta(hours=5)
    )
    ana, ben = _register(session, "Ana"), _register(session, "Ben")

    registration_cancel(registration=ana, by=ana.registered_by)

    ben.refresh_from_db()
    assert ben.offer_expires_at == session.starts_at


def test_claiming_within_the_window_confirms_the_seat(full):
    session, ana, ben, *_ = full
    registration_cancel(registration=ana, by=ana.registered_by)

    claimed = registration_offer_claim(token=_offer(ben), user=ben.registered_by)

    assert claimed == ben
    assert (claimed.status, claimed.confirmed_at is not None) == ("confirmed", True)
    assert _seats(session) == 1


def test_a_claim_link_used_twice_is_refused_the_second_time(full):
    session, ana, ben, *_ = full
    registration_cancel(registration=ana, by=ana.registered_by)
    token = _offer(ben)
    registration_offer_claim(token=token, user=ben.registered_by)

    with pytest.raises(ValidationError) as caught:
        registration_offer_claim(token=token, user=ben.registered_by)

    assert codes(caught.value) == ["offer_used"]
    assert caught.value.messages == ["This link has already been used: the seat was claimed."]
    assert _seats(session) == 1


def test_an_expired_claim_link_is_refused_and_the_seat_passes_to_the_next(full):
    session, ana, ben, cleo, dan = full
    registration_cancel(registration=ana, by=ana.registered_by)
    token = _offer(ben)
    ben.refresh_from_db()
    late = ben.offer_expires_at + timedelta(seconds=1)

    with pytest.raises(ValidationError) as caught:
        registration_offer_claim(token=token, user=ben.registered_by, now=late)

    assert codes(caught.value) == ["offer_expired"]
    assert caught.value.messages[0].startswith("This offer expired on ")
    assert "the seat went to the next person in line." in caught.value.messages[0]
    _fresh(ben, cleo, dan)
    assert (ben.status, cleo.status, dan.status) == ("expired", "offered", "waitlisted")
    assert _seats(session) == 1
    # Once expired, the link says so again, and the next offer is Cleo's to claim.
    with pytest.raises(ValidationError) as again:
        registration_offer_claim(token=token, user=ben.registered_by, now=late)
    assert codes(again.value) == ["offer_expired"]
    registration_offer_claim(token=_offer(cleo), user=cleo.registered_by, now=late)
    cleo.refresh_from_db()
    assert cleo.status == "confirmed"


def test_someone_else_cannot_claim_an_offer(full):
    _session, ana, ben, cleo, _ = full
    registration_cancel(registration=ana, by=ana.registered_by)

    with pytest.raises(PermissionDenied):
        registration_offer_claim(token=_offer(ben), user=cleo.registered_by)

    _fresh(ben)
    assert ben.status == "offered"


def test_an_unknown_claim_link_is_refused():
    with pytest.raises(ValidationError) as caught:
        registration_offer_claim(token="not-a-token", user=UserFactory())

    assert codes(caught.value) == ["offer_invalid"]


def test_a_cancelled_offer_cannot_be_claimed_and_its_seat_passes_on(full):
    session, ana, ben, cleo, _ = full
    registration_cancel(registration=ana, by=ana.registered_by)
    token = _offer(ben)

    registration_cancel(registration=ben, by=ben.registered_by)  # Ben declines

    with pytest.raises(ValidationError) as caught:
        registration_offer_claim(token=token, user=ben.registered_by)
    assert codes(caught.value) == ["offer_cancelled"]
    cleo.refresh_from_db()
    assert cleo.status == "offered"
    assert _seats(session) == 1


def test_expiring_offers_passes_each_to_the_next_and_runs_once(full):
    session, ana, ben, cleo, dan = full
    registration_cancel(registration=ana, by=ana.registered_by)
    later = timezone.now() + timedelta(hours=25)

    assert registration_offers_expire(now=later) == 1
    assert registration_offers_expire(now=later) == 0  # nothing left to expire

    _fresh(ben, cleo, dan)
    assert (ben.status, cleo.status, dan.status) == ("expired", "offered", "waitlisted")
    assert cleo.offer_expires_at == later + timedelta(hours=24)
    assert _seats(session) == 1
    assert len([m for m in mail.outbox if cleo.registered_by.email in m.to]) == 2  # queued, offer


def test_an_expired_offer_with_nobody_waiting_frees_the_seat():
    session = session_make(event_make(), capacity=1)
    ana, _ben = _register(session, "Ana"), _register(session, "Ben")
    registration_cancel(registration=ana, by=ana.registered_by)

    registration_offers_expire(now=timezone.now() + timedelta(days=2))

    assert _seats(session) == 0
    newcomer = _register(session, "Eva")
    assert newcomer.status == "confirmed"


def test_offers_not_yet_due_stay(full):
    _session, ana, ben, *_ = full
    registration_cancel(registration=ana, by=ana.registered_by)

    assert registration_offers_expire(now=timezone.now() + timedelta(hours=23)) == 0
    ben.refresh_from_db()
    assert ben.status == "offered"


def test_a_newcomer_does_not_jump_the_queue_when_a_seat_frees(full):
    session, ana, ben, *_ = full
    registration_cancel(registration=ana, by=ana.registered_by)

    eva = _register(session, "Eva")

    assert eva.status == "waitlisted"
    assert next(iter(session_waitlist(session=session))) == Registration.objects.get(pk=ben.pk)


def test_leaving_the_waitlist_frees_no_seat_and_offers_nothing(full):
    session, _ana, ben, cleo, _dan = full

    registration_cancel(registration=ben, by=ben.registered_by)

    _fresh(ben, cleo)
    assert ben.status == "cancelled"
    assert cleo.status == "waitlisted"
    assert waitlist_position(registration=cleo) == 1
    assert _seats(session) == 1


def test_cancelling_frees_the_seat_for_a_newcomer_when_nobody_waits():
    session = session_make(event_make(), capacity=2)
    ana = _register(session, "Ana")

    registration_cancel(registration=ana, by=ana.registered_by)

    assert _seats(session) == 0
    assert Registration.objects.get(pk=ana.pk).cancelled_at is not None


def test_a_registration_is_cancelled_once(full):
    session, ana, *_ = full
    registration_cancel(registration=ana, by=ana.registered_by)

    with pytest.raises(ValidationError) as caught:
        registration_cancel(registration=ana, by=ana.registered_by)

    assert codes(caught.value) == ["already_cancelled"]
    assert _seats(session) == 1  # the seat went once to Ben, not freed twice


def test_only_the_registrant_or_the_staff_cancel(full):
    _session, ana, ben, *_ = full

    with pytest.raises(PermissionDenied):
        registration_cancel(registration=ana, by=ben.registered_by)

    ana.refresh_from_db()
    assert ana.status == "confirmed"


@pytest.fixture
def talk():
    """A cluster talk of 1 seat, run by the cluster managers."""
    return session_make(event_make(kind="talk", slug="talk", age_min=None), capacity=1)


@pytest.fixture
def manager():
    return UserFactory(roles=["cluster_manager"])


def test_the_staff_cancel_anyones_registration_even_once_started(talk, manager):
    ana, ben = UserFactory(), UserFactory()
    seat = registration_adult_create(user=ana, session=talk)
    registration_adult_create(user=ben, session=talk)
    type(talk).objects.filter(pk=talk.pk).update(
        starts_at=timezone.now() - timedelta(minutes=10),
        ends_at=timezone.now() + timedelta(hours=1),
    )

    with pytest.raises(ValidationError) as caught:
        registration_cancel(registration=seat, by=ana)
    assert codes(caught.value) == ["started"]

    registration_cancel(registration=seat, by=manager)
    seat.refresh_from_db()
    assert (seat.status, seat.cancelled_by) == ("cancelled", manager)
    # The session has started: the freed seat is offered to nobody.
    assert not Registration.objects.filter(status="offered").exists()


def test_the_staff_see_the_queue_with_offers_first(talk, manager):
    ana, ben, cleo = UserFactory(), UserFactory(), UserFactory()
    seat = registration_adult_create(user=ana, session=talk)
    second = registration_adult_create(user=ben, session=talk)
    third = registration_adult_create(user=cleo, session=talk)
    registration_cancel(registration=seat, by=manager)

    queue = list(session_waitlist(session=talk))

    assert [(r.attendee, r.status) for r in queue] == [(ben, "offered"), (cleo, "waitlisted")]
    assert queue == [second, third]


def test_the_staff_offer_the_next_a_seat_once_one_is_free(talk, manager):
    ana, ben, cleo = UserFactory(), UserFactory(), UserFactory()
    registration_adult_create(user=ana, session=talk)
    second = registration_adult_create(user=ben, session=talk)
    registration_adult_create(user=cleo, session=talk)

    with pytest.raises(ValidationError) as caught:
        waitlist_offer_next(session=talk, by=manager)
    assert codes(caught.value) == ["full"]

    type(talk).objects.filter(pk=talk.pk).update(capacity=3)  # the staff add two seats
    offered = waitlist_offer_next(session=talk, by=manager)

    assert offered == second and offered.status == "offered"
    assert Registration.objects.filter(status="waitlisted").count() == 1  # only the next one
    assert _seats(talk) == 2


def test_offering_with_nobody_waiting_says_so(talk, manager):
    with pytest.raises(ValidationError) as caught:
        waitlist_offer_next(session=talk, by=manager)

    assert codes(caught.value) == ["waitlist_empty"]


def test_only_the_staff_manage_the_queue(talk):
    outsider = UserFactory()
    registration_adult_create(user=UserFactory(), session=talk)
    waiting = registration_adult_create(user=UserFactory(), session=talk)

    with pytest.raises(PermissionDenied):
        waitlist_offer_next(session=talk, by=outsider)
    with pytest.raises(PermissionDenied):
        waitlist_entry_remove(registration=waiting, by=outsider)


def test_the_staff_remove_an_offered_entry_and_the_seat_passes_on(talk, manager):
    ana, ben, cleo = UserFactory(), UserFactory(), UserFactory()
    seat = registration_adult_create(user=ana, session=talk)
    second = registration_adult_create(user=ben, session=talk)
    third = registration_adult_create(user=cleo, session=talk)
    registration_cancel(registration=seat, by=ana)

    waitlist_entry_remove(registration=second, by=manager)

    _fresh(second, third)
    assert (second.status, second.cancelled_by) == ("cancelled", manager)
    assert third.status == "offered"
    with pytest.raises(ValidationError) as caught:
        waitlist_entry_remove(registration=second, by=manager)
    assert codes(caught.value) == ["not_waiting"]


def test_raising_a_capacity_and_filling_offers_every_free_seat(full):
    session, _ana, ben, cleo, dan = full
    type(session).objects.filter(pk=session.pk).update(capacity=3)

    offered = waitlist_fill(session=session)

    assert offered == [ben, cleo]
    assert _seats(session) == 3
    dan.refresh_from_db()
    assert dan.status == "waitlisted"


# --- the claim link ----------------------------------------------------------------------


def test_the_claim_link_asks_to_sign_in_then_for_a_click_that_claims_the_seat(full, client):
    _session, ana, ben, *_ = full
    registration_cancel(registration=ana, by=ana.registered_by)
    url = f"/events/claim/{_offer(ben)}/"

    assert client.get(url).status_code == 302  # to the sign-in page, and back
    client.force_login(ben.registered_by)
    page = client.get(url)
    assert page.status_code == 200 and b'data-testid="claim"' in page.content
    ben.refresh_from_db()
    assert ben.status == "offered"  # opening the link claims nothing

    answer = client.post(url, follow=True)

    ben.refresh_from_db()
    assert ben.status == "confirmed"
    assert "The seat is yours: Ben is registered for “Build a robot”." in answer.content.decode()
    again = client.post(url, follow=True)
    assert "This link has already been used" in again.content.decode()


def test_a_claim_link_of_someone_else_shows_why_and_claims_nothing(full, client):
    _session, ana, ben, cleo, _ = full
    registration_cancel(registration=ana, by=ana.registered_by)
    client.force_login(cleo.registered_by)

    answer = client.post(f"/events/claim/{_offer(ben)}/", follow=True)

    assert answer.status_code == 200
    assert "This seat was offered to someone else" in answer.content.decode()
    ben.refresh_from_db()
    assert ben.status == "offered"
