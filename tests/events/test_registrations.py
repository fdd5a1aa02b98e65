"""Registering children, adults and school classes: every rule gives its own translated
message and a refusal stores nothing (no registration, no seat taken)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone, translation

from fabreck.events.models import Child, Registration, TicketCategory
from fabreck.events.services import (
    registration_adult_create,
    registration_children_create,
    registration_school_class_create,
)
from tests.events.helpers import child_make, event_make, school_make, session_make
from tests.events.registration_helpers import codes, family_make, guardian_make
from tests.factories import UserFactory, organisation_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def workshop():
    return event_make()  # children's workshop, ages 6 to 12, one free ticket


@pytest.fixture
def session(workshop):
    return session_make(workshop, capacity=3)


def _nothing_stored(session, seats_taken: int = 0) -> None:
    session.refresh_from_db()
    assert session.seats_taken == seats_taken
    assert not Registration.objects.filter(session=session).exists()


def _born_turning(age: int, on: date) -> date:
    """A birth date whose `age`th birthday is `on`."""
    try:
        return on.replace(year=on.year - age)
    except ValueError:  # 29 February
        return (on + timedelta(days=1)).replace(year=on.year - age)


# --- children --------------------------------------------------------------------------


def test_a_guardian_registers_two_children_with_confirmed_seats(session):
    guardian, (lea, tom) = family_make(names=("Lea", "Tom"), age=8)

    registrations = registration_children_create(
        guardian=guardian, session=session, children=[lea, tom]
    )

    assert [r.child for r in registrations] == [lea, tom]
    assert all(r.status == "confirmed" and r.confirmed_at for r in registrations)
    assert all(r.registered_by == guardian and r.kind == "child" for r in registrations)
    assert [r.child_age for r in registrations] == [8, 8]
    assert registrations[0].ticket_category == session.event.ticket_categories.get()
    session.refresh_from_db()
    assert session.seats_taken == 2


def test_children_may_be_given_by_id(session):
    guardian, (lea,) = family_make()

    (registration,) = registration_children_create(
        guardian=guardian, session=session, children=[lea.pk]
    )

    assert registration.child == lea


def test_the_children_past_the_seats_left_join_the_waitlist(session):
    first, children = family_make(names=("Ana", "Ben"))
    registration_children_create(guardian=first, session=session, children=children)
    guardian, (lea, tom) = family_make(names=("Lea", "Tom"))

    seated, waiting = registration_children_create(
        guardian=guardian, session=session, children=[lea, tom]
    )

    assert seated.status == "confirmed" and seated.queued_at is None
    assert waiting.status == "waitlisted" and waiting.queued_at and waiting.confirmed_at is None
    session.refresh_from_db()
    assert session.seats_taken == 3 == session.capacity  # the waitlist holds no seat


def test_the_age_is_checked_on_the_session_date_and_refuses_all_with_the_childs_name(session):
    day = timezone.localdate(session.starts_at)
    guardian = guardian_make()
    # 12 today, 13 on the day of the session: too old for ages 6 to 12.
    older = child_make(guardian, first_name="Max", birth_date=_born_turning(13, day - timedelta(3)))
    # 5 today, 6 on the day: welcome.
    younger = child_make(guardian, first_name="Ida", birth_date=_born_turning(6, day))
    assert older.age_on(timezone.localdate()) == 12

    with pytest.raises(ValidationError) as caught:
        registration_children_create(guardian=guardian, session=session, children=[younger, older])

    assert codes(caught.value) == ["age"]
    (message,) = caught.value.messages
    assert message.startswith("Max will be 13 years old on ")
    assert "“Build a robot” is for ages 6 to 12." in message
    _nothing_stored(session)  # Ida, who could come, is not registered alone either

    (registration,) = registration_children_create(
        guardian=guardian, session=session, children=[younger]
    )
    assert registration.child_age == 6


def test_every_child_refused_gets_a_message(session):
    guardian = guardian_make()
    small = child_make(guardian, first_name="Zoe", age=4)
    big = child_make(guardian, first_name="Sam", age=15)

    with pytest.raises(ValidationError) as caught:
        registration_children_create(guardian=guardian, session=session, children=[small, big])

    assert codes(caught.value) == ["age", "age"]
    assert "Zoe will be 4 years old" in caught.value.messages[0]
    assert "Sam will be 15 years old" in caught.value.messages[1]


def test_age_messages_are_translated(session):
    guardian = guardian_make()
    small = child_make(guardian, first_name="Zoe", age=4)

    with translation.override("fr"), pytest.raises(ValidationError) as caught:
        registration_children_create(guardian=guardian, session=session, children=[small])

    assert codes(caught.value) == ["age"]
    assert "Zoe" in caught.value.messages[0]


def test_an_event_with_open_ages_takes_any_child():
    session = session_make(event_make(kind="public_workshop", slug="open", age_min=None))
    guardian, (baby,) = family_make(age=1)

    (registration,) = registration_children_create(
        guardian=guardian, session=session, children=[baby]
    )

    assert registration.child_age == 1


def test_a_birth_date_in_the_future_is_refused(session):
    guardian = guardian_make()
    child = Child.objects.create(
        guardian=guardian, first_name="Noa", birth_date=timezone.localdate() + timedelta(days=3)
    )

    with pytest.raises(ValidationError) as caught:
        registration_children_create(guardian=guardian, session=session, children=[child])

    assert codes(caught.value) == ["birth_date_future"]
    assert "Noa's birth date is in the future" in caught.value.messages[0]
    _nothing_stored(session)


def test_registration_before_opening_or_after_closing_is_refused(workshop):
    now = timezone.now()
    early = session_make(workshop, registration_opens_at=now + timedelta(days=2))
    late = session_make(
        workshop,
        registration_opens_at=now - timedelta(days=5),
        registration_closes_at=now - timedelta(minutes=1),
    )
    guardian, children = family_make()

    with pytest.raises(ValidationError) as not_open:
        registration_children_create(guardian=guardian, session=early, children=children)
    with pytest.raises(ValidationError) as closed:
        registration_children_create(guardian=guardian, session=late, children=children)

    assert codes(not_open.value) == ["not_open"]
    assert not_open.value.messages[0].startswith("Registration for this session opens on ")
    assert codes(closed.value) == ["closed"]
    assert closed.value.messages[0].startswith("Registration for this session closed on ")
    _nothing_stored(early)
    _nothing_stored(late)


def test_inside_the_window_registration_is_open(workshop):
    now = timezone.now()
    session = session_make(
        workshop,
        registration_opens_at=now - timedelta(minutes=1),
        registration_closes_at=now + timedelta(days=1),
    )
    guardian, children = family_make()

    (registration,) = registration_children_create(
        guardian=guardian, session=session, children=children
    )

    assert registration.status == "confirmed"


def test_a_draft_event_a_cancelled_or_started_session_take_no_registration(workshop):
    guardian, children = family_make()
    draft = session_make(event_make(slug="draft", status="draft"))
    cancelled = session_make(workshop, status="cancelled")
    started = session_make(workshop, starts_at=timezone.now() - timedelta(minutes=5))

    outcomes = {}
    for name, session in (("draft", draft), ("cancelled", cancelled), ("started", started)):
        with pytest.raises(ValidationError) as caught:
            registration_children_create(guardian=guardian, session=session, children=children)
        outcomes[name] = (codes(caught.value), caught.value.messages[0])

    assert outcomes["draft"] == (
        ["not_published"],
        "“Build a robot” is not open for registration.",
    )
    assert outcomes["cancelled"] == (
        ["session_cancelled"],
        "This session of “Build a robot” is cancelled.",
    )
    assert outcomes["started"] == (
        ["started"],
        "This session has started: registration is closed.",
    )
    assert not Registration.objects.exists()


def test_what_changed_since_the_page_was_read_is_checked_again_under_the_lock(workshop):
    """The view read the session a moment ago; meanwhile its staff moved, cancelled or
    unpublished it. The registration is judged on what the database holds."""
    guardian = guardian_make()
    session = session_make(workshop)
    day = timezone.localdate(session.starts_at)
    # 12 on the session's day, 13 a month later.
    max_ = child_make(guardian, first_name="Max", birth_date=_born_turning(13, day + timedelta(15)))
    stale = type(session).objects.select_related("event").get(pk=session.pk)
    type(session).objects.filter(pk=session.pk).update(
        starts_at=session.starts_at + timedelta(days=30), ends_at=session.ends_at + timedelta(30)
    )

    with pytest.raises(ValidationError) as moved:
        registration_children_create(guardian=guardian, session=stale, children=[max_])
    type(session).objects.filter(pk=session.pk).update(status="cancelled")
    with pytest.raises(ValidationError) as cancelled:
        registration_children_create(guardian=guardian, session=stale, children=[max_])
    type(session).objects.filter(pk=session.pk).update(status="scheduled")
    type(workshop).objects.filter(pk=workshop.pk).update(status="draft")
    with pytest.raises(ValidationError) as draft:
        registration_children_create(guardian=guardian, session=stale, children=[max_])
    assert codes(moved.value) == ["age"] and "Max will be 13" in moved.value.messages[0]
    assert codes(cancelled.value) == ["session_cancelled"]
    assert codes(draft.value) == ["not_published"]
    _nothing_stored(session)


def test_a_session_moved_meanwhile_still_registers_when_the_ages_fit(workshop):
    guardian, children = family_make()
    session = session_make(workshop)
    stale = type(session).objects.select_related("event").get(pk=session.pk)
    type(session).objects.filter(pk=session.pk).update(
        starts_at=session.starts_at + timedelta(days=7), ends_at=session.ends_at + timedelta(7)
    )

    (registration,) = registration_children_create(
        guardian=guardian, session=stale, children=children
    )

    assert registration.status == "confirmed"
    session.refresh_from_db()
    assert session.seats_taken == 1


def test_a_guardian_registers_only_their_own_children(session):
    guardian, (mine,) = family_make()
    _other, (theirs,) = family_make(names=("Eva",))

    with pytest.raises(ValidationError) as caught:
        registration_children_create(guardian=guardian, session=session, children=[mine, theirs])

    assert codes(caught.value) == ["not_your_child"]
    assert "Eva" not in caught.value.messages[0]  # another family's child is not named
    _nothing_stored(session)


def test_an_anonymised_child_cannot_be_registered(session):
    guardian, (child,) = family_make()
    Child.objects.filter(pk=child.pk).update(
        guardian=None, first_name="", birth_date=None, anonymised_at=timezone.now()
    )

    with pytest.raises(ValidationError) as caught:
        registration_children_create(guardian=guardian, session=session, children=[child.pk])

    assert codes(caught.value) == ["not_your_child"]
    _nothing_stored(session)


def test_no_child_chosen_is_refused(session):
    guardian = guardian_make()

    with pytest.raises(ValidationError) as caught:
        registration_children_create(guardian=guardian, session=session, children=[])

    assert codes(caught.value) == ["no_child"]


def test_the_same_child_twice_in_a_session_is_refused_with_its_name(session):
    guardian, (lea, tom) = family_make(names=("Lea", "Tom"))
    registration_children_create(guardian=guardian, session=session, children=[lea])

    with pytest.raises(ValidationError) as caught:
        registration_children_create(guardian=guardian, session=session, children=[tom, lea])

    assert codes(caught.value) == ["duplicate"]
    assert caught.value.messages == [
        "Lea is already registered for this session (or on its waitlist)."
    ]
    assert Registration.objects.filter(session=session).count() == 1  # Tom not added either
    session.refresh_from_db()
    assert session.seats_taken == 1


def test_a_child_on_the_waitlist_is_a_duplicate_too():
    session = session_make(event_make(), capacity=1)
    first, children = family_make(names=("Ana",))
    registration_children_create(guardian=first, session=session, children=children)
    guardian, (lea,) = family_make()
    registration_children_create(guardian=guardian, session=session, children=[lea])

    with pytest.raises(ValidationError) as caught:
        registration_children_create(guardian=guardian, session=session, children=[lea])

    assert codes(caught.value) == ["duplicate"]


def test_listing_a_child_twice_in_one_call_registers_it_once(session):
    guardian, (lea,) = family_make()

    registrations = registration_children_create(
        guardian=guardian, session=session, children=[lea, lea.pk]
    )

    assert len(registrations) == 1


def test_the_limit_per_guardian_counts_live_registrations_across_the_events_sessions():
    event = event_make(max_per_registrant=2)
    monday, tuesday = session_make(event, days_ahead=7), session_make(event, days_ahead=8)
    guardian, (a, b, c) = family_make(names=("Ana", "Ben", "Cleo"))
    registration_children_create(guardian=guardian, session=monday, children=[a, b])

    with pytest.raises(ValidationError) as caught:
        registration_children_create(guardian=guardian, session=tuesday, children=[c])

    assert codes(caught.value) == ["limit"]
    assert caught.value.messages == [
        "You may register at most 2 people for “Build a robot” and have 0 places left."
    ]
    _nothing_stored(tuesday)


def test_cancelled_registrations_do_not_count_towards_the_limit():
    event = event_make(max_per_registrant=1)
    session = session_make(event)
    guardian, (a, b) = family_make(names=("Ana", "Ben"))
    (first,) = registration_children_create(guardian=guardian, session=session, children=[a])
    from fabreck.events.services import registration_cancel

    registration_cancel(registration=first, by=guardian)

    (second,) = registration_children_create(guardian=guardian, session=session, children=[b])
    assert second.status == "confirmed"


def test_the_limit_refuses_a_call_that_would_pass_it():
    session = session_make(event_make(max_per_registrant=2))
    guardian, children = family_make(names=("Ana", "Ben", "Cleo"))

    with pytest.raises(ValidationError) as caught:
        registration_children_create(guardian=guardian, session=session, children=children)

    assert codes(caught.value) == ["limit"]
    assert "and have 2 places left" in caught.value.messages[0]
    _nothing_stored(session)


def test_the_price_comes_from_the_ticket_chosen_or_the_events_first(workshop, session):
    member = TicketCategory.objects.create(
        event=workshop, name_en="Member child", price=Decimal("12.50"), position=1
    )
    guardian, (lea, tom) = family_make(names=("Lea", "Tom"))

    (free,) = registration_children_create(guardian=guardian, session=session, children=[lea])
    (paid,) = registration_children_create(
        guardian=guardian, session=session, children=[tom], ticket_category=member.pk
    )

    assert free.price == 0 and free.ticket_category.name_en == "Child"
    assert paid.price == Decimal("12.50") and paid.ticket_category == member
    stored = Registration.objects.get(pk=paid.pk)
    assert (stored.price, stored.ticket_category_id) == (Decimal("12.50"), member.pk)
    assert stored.created_at and stored.confirmed_at and stored.attendance == "unknown"


def test_a_ticket_of_another_event_is_refused(session):
    other = event_make(slug="other")
    guardian, children = family_make()

    with pytest.raises(ValidationError) as caught:
        registration_children_create(
            guardian=guardian,
            session=session,
            children=children,
            ticket_category=other.ticket_categories.get(),
        )

    assert codes(caught.value) == ["ticket"]
    _nothing_stored(session)


def test_children_are_not_registered_for_cluster_events():
    talk = session_make(event_make(kind="talk", slug="talk", age_min=None))
    guardian, children = family_make()

    with pytest.raises(ValidationError) as caught:
        registration_children_create(guardian=guardian, session=talk, children=children)

    assert codes(caught.value) == ["children_not_admitted"]


def test_registering_a_child_takes_a_handful_of_statements(session, django_assert_num_queries):
    guardian, (lea, tom) = family_make(names=("Lea", "Tom"))
    session = type(session).objects.select_related("event").get(pk=session.pk)

    # savepoint; the registrant locked with their count, duplicates and ticket; the session
    # locked; insert, counter and the letter to send (outbox): one statement on PostgreSQL,
    # three elsewhere; release. Ids instead of children: one more, to read them. (The
    # e-mail is rendered outside: on commit.)
    writes = 1 if connection.vendor == "postgresql" else 3
    with django_assert_num_queries(4 + writes):
        registration_children_create(guardian=guardian, session=session, children=[lea])
    with django_assert_num_queries(5 + writes):
        registration_children_create(guardian=guardian, session=session, children=[tom.pk])


def test_a_ticket_given_by_an_id_of_another_event_or_no_id_is_refused(session):
    other = event_make(slug="other")
    guardian, children = family_make()

    for ticket in (other.ticket_categories.get().pk, "not-a-number"):
        with pytest.raises(ValidationError) as caught:
            registration_children_create(
                guardian=guardian, session=session, children=children, ticket_category=ticket
            )
        assert codes(caught.value) == ["ticket"]
    _nothing_stored(session)


def test_children_given_by_unknown_ids_are_refused(session):
    guardian, children = family_make()

    with pytest.raises(ValidationError) as caught:
        registration_children_create(
            guardian=guardian, session=session, children=[children[0].pk, 999999, "x"]
        )

    assert codes(caught.value) == ["not_your_child"]
    _nothing_stored(session)


# --- adults ----------------------------------------------------------------------------


@pytest.fixture
def public_session():
    return session_make(event_make(kind="public_workshop", slug="laser-night"), capacity=1)


def test_an_adult_registers_themselves_and_the_next_waits(public_session):
    ana, ben = UserFactory(), UserFactory()

    first = registration_adult_create(user=ana, session=public_session)
    second = registration_adult_create(user=ben, session=public_session)

    assert (first.status, first.attendee, first.registered_by) == ("confirmed", ana, ana)
    assert second.status == "waitlisted" and second.queued_at
    public_session.refresh_from_db()
    assert public_session.seats_taken == 1


def test_an_adult_is_refused_on_childrens_workshops(session):
    with pytest.raises(ValidationError) as caught:
        registration_adult_create(user=UserFactory(), session=session)

    assert codes(caught.value) == ["children_only"]
    assert caught.value.messages == [
        "“Build a robot” is a workshop for children: register a child instead."
    ]
    _nothing_stored(session)


def test_an_adult_registers_once_per_session(public_session):
    ana = UserFactory()
    registration_adult_create(user=ana, session=public_session)

    with pytest.raises(ValidationError) as caught:
        registration_adult_create(user=ana, session=public_session)

    assert codes(caught.value) == ["duplicate"]
    assert caught.value.messages == [
        "You are already registered for this session (or on its waitlist)."
    ]
    assert Registration.objects.count() == 1


def test_members_only_events_need_a_member_organisation():
    session = session_make(
        event_make(kind="networking", slug="apero", members_only=True), capacity=10
    )
    outsider, member, applicant = UserFactory(), UserFactory(), UserFactory()
    organisation_make(owner=member, name="Atelier Membre")
    organisation_make(owner=applicant, name="Atelier Candidat", status="applied")

    for user in (outsider, applicant):
        with pytest.raises(ValidationError) as caught:
            registration_adult_create(user=user, session=session)
        assert codes(caught.value) == ["members_only"]
        assert (
            "“Build a robot” is for people of the cluster's member organisations"
            in (caught.value.messages[0])
        )
    registration = registration_adult_create(user=member, session=session)

    assert registration.status == "confirmed"
    assert Registration.objects.count() == 1


# --- school classes --------------------------------------------------------------------


@pytest.fixture
def visit():
    """A school visit: 25 seats, classes welcome, 3 EUR per pupil."""
    event = event_make(slug="visit", accepts_school_classes=True)
    event.ticket_categories.update(price=Decimal("3.00"))
    return session_make(event, capacity=25)


@pytest.fixture
def teacher():
    return UserFactory(roles=["guardian"])


def test_a_teacher_registers_a_class_which_takes_its_pupils_seats(visit, teacher):
    school = school_make()

    registration = registration_school_class_create(
        teacher=teacher, session=visit, school=school, grade=" C3.1 ", pupils=18,
        accompanying_adults=2,
    )  # fmt: skip

    assert registration.status == "confirmed"
    assert (registration.school, registration.grade) == (school, "C3.1")
    assert registration.pupils == registration.seats == 18
    assert registration.accompanying_adults == 2
    assert registration.price == Decimal("54.00")
    visit.refresh_from_db()
    assert visit.seats_taken == 18


def test_a_class_larger_than_the_seats_left_is_refused_with_the_seats_left(visit, teacher):
    registration_school_class_create(
        teacher=teacher, session=visit, school=school_make(), grade="C2", pupils=20
    )

    with pytest.raises(ValidationError) as caught:
        registration_school_class_create(
            teacher=teacher, session=visit, school=school_make(name="École Nord"), grade="C4",
            pupils=6,
        )  # fmt: skip

    assert codes(caught.value) == ["class_too_large"]
    assert caught.value.messages == [
        "A class of 6 pupils is larger than the 5 seats left in this session."
    ]
    visit.refresh_from_db()
    assert visit.seats_taken == 20
    assert Registration.objects.filter(session=visit).count() == 1  # no waitlist for classes


def test_a_class_that_fits_exactly_fills_the_session_and_the_next_finds_it_full(visit, teacher):
    registration_school_class_create(
        teacher=teacher, session=visit, school=school_make(), grade="C2", pupils=25
    )

    with pytest.raises(ValidationError) as caught:
        registration_school_class_create(
            teacher=teacher, session=visit, school=school_make(name="École Nord"), grade="C4",
            pupils=1,
        )  # fmt: skip

    assert codes(caught.value) == ["full"]


def test_a_class_has_at_least_one_pupil_and_no_negative_adults(visit, teacher):
    with pytest.raises(ValidationError) as caught:
        registration_school_class_create(
            teacher=teacher, session=visit, school=school_make(), grade="C2", pupils=0,
            accompanying_adults=-1,
        )  # fmt: skip

    assert set(caught.value.message_dict) == {"pupils", "accompanying_adults"}
    assert caught.value.message_dict["pupils"] == ["A class has at least one pupil."]
    _nothing_stored(visit)


def test_the_same_class_is_registered_once(visit, teacher):
    school = school_make()
    registration_school_class_create(
        teacher=teacher, session=visit, school=school, grade="C2", pupils=10
    )

    with pytest.raises(ValidationError) as caught:
        registration_school_class_create(
            teacher=teacher, session=visit, school=school.pk, grade="c2", pupils=10
        )

    assert codes(caught.value) == ["duplicate"]
    visit.refresh_from_db()
    assert visit.seats_taken == 10


def test_classes_only_where_the_event_takes_them(session, teacher):
    with pytest.raises(ValidationError) as caught:
        registration_school_class_create(
            teacher=teacher, session=session, school=school_make(), grade="C2", pupils=10
        )

    assert codes(caught.value) == ["no_school_classes"]
    assert caught.value.messages == ["“Build a robot” does not take school classes."]
    _nothing_stored(session)


def test_only_teachers_and_guardians_register_classes(visit):
    with pytest.raises(PermissionDenied):
        registration_school_class_create(
            teacher=UserFactory(), session=visit, school=school_make(), grade="C2", pupils=10
        )
    _nothing_stored(visit)
