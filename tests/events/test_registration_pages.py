"""The registration pages: guardians register their children (or put them on the waitlist),
teachers their classes, adults themselves; "My registrations" with cancelling; the staff's
waitlist page; the seats added to a session going to its waitlist."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from fabreck.cluster.models import Commune
from fabreck.events.models import Registration, School, TicketCategory
from fabreck.events.services import registration_children_create, session_update
from tests.events.helpers import (
    child_make,
    event_make,
    registration_make,
    school_make,
    session_make,
)
from tests.events.registration_helpers import family_make, guardian_make
from tests.fablab.helpers import site_make
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _register_url(session) -> str:
    return reverse("events:register", args=[session.pk])


@pytest.fixture
def workshop():
    """A children's workshop for ages 6 to 12 with one session of 12 seats."""
    return session_make(event_make(slug="robots"), capacity=12)


# Guardians and their children ---------------------------------------------------------------


def test_a_guardian_registers_two_children_and_sees_both_confirmed(client, workshop):
    guardian, (lea, tom) = family_make(names=("Lea", "Tom"), age=8)
    client.force_login(guardian)

    form = client.get(_register_url(workshop), {"kind": "children"})
    assert form.status_code == 200
    assert "Lea (8 years old on the day)" in _text(form)
    assert reverse("events:child-add") in _text(form)

    response = client.post(
        _register_url(workshop), {"kind": "children", "children": [lea.pk, tom.pk]}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("events:registered", args=[workshop.pk])
    page = _text(client.get(response["Location"]))
    assert page.count('data-status="confirmed"') == 4  # two rows, two badges
    assert "Lea" in page and "Tom" in page
    workshop.refresh_from_db()
    assert workshop.seats_taken == 2


def test_a_child_too_old_is_refused_by_name_and_nothing_is_stored(client, workshop):
    guardian, (lea,) = family_make(names=("Lea",), age=8)
    max_ = child_make(guardian, first_name="Max", age=14)
    client.force_login(guardian)

    response = client.post(
        _register_url(workshop), {"kind": "children", "children": [lea.pk, max_.pk]}
    )

    assert response.status_code == 400
    page = _text(response)
    assert 'data-testid="refusal"' in page
    assert "Max will be 14 years old on" in page
    assert "is for ages 6 to 12" in page
    assert not Registration.objects.exists()
    workshop.refresh_from_db()
    assert workshop.seats_taken == 0


def test_registering_no_child_says_so(client, workshop):
    guardian, _children = family_make()
    client.force_login(guardian)
    response = client.post(_register_url(workshop), {"kind": "children"})
    assert response.status_code == 400
    assert "Choose at least one child to register." in _text(response)


def test_a_full_session_puts_children_on_the_waitlist_with_their_position(client):
    session = session_make(event_make(), capacity=1)
    registration_make(session, child=family_make(names=("Ana",))[1][0])
    first_waiting = family_make(names=("Ben",))[1][0]
    registration_children_create(
        guardian=first_waiting.guardian, session=session, children=[first_waiting]
    )
    guardian, (lea,) = family_make(names=("Lea",))
    client.force_login(guardian)

    detail = _text(client.get(reverse("events:detail", args=[session.event.slug])))
    assert "Join the waitlist" in detail
    response = client.post(_register_url(session), {"kind": "children", "children": [lea.pk]})

    page = _text(client.get(response["Location"]))
    assert "On the waitlist, position 2" in page
    assert Registration.objects.get(child=lea).status == "waitlisted"


def test_another_guardians_child_is_not_found_and_nothing_is_stored(client, workshop):
    guardian, _mine = family_make(names=("Lea",))
    _other, (theirs,) = family_make(names=("Zoe",))
    client.force_login(guardian)
    response = client.post(_register_url(workshop), {"kind": "children", "children": [theirs.pk]})
    assert response.status_code == 404
    response = client.post(_register_url(workshop), {"kind": "children", "children": ["x"]})
    assert response.status_code == 404
    assert not Registration.objects.exists()


def test_bad_input_never_breaks_the_page(client, workshop):
    guardian, (lea,) = family_make()
    client.force_login(guardian)
    assert client.get(reverse("events:register", args=[999999])).status_code == 404
    assert client.post(_register_url(workshop), {"kind": "nonsense"}).status_code == 400
    TicketCategory.objects.create(event=workshop.event, name_en="Sibling", price=3)
    bad_ticket = {"kind": "children", "children": [lea.pk], "ticket_category": "abc"}
    assert client.post(_register_url(workshop), bad_ticket).status_code == 400
    assert not Registration.objects.exists()


def test_a_closed_session_refuses_with_the_services_message(client):
    session = session_make(event_make(), registration_closes_at=timezone.now() - timedelta(hours=1))
    guardian, (lea,) = family_make()
    client.force_login(guardian)
    detail = _text(client.get(reverse("events:detail", args=[session.event.slug])))
    assert 'data-testid="register-children"' not in detail
    response = client.post(_register_url(session), {"kind": "children", "children": [lea.pk]})
    assert response.status_code == 400
    assert "Registration for this session closed on" in _text(response)
    assert not Registration.objects.exists()


def test_the_event_page_loads_the_childrens_form_with_htmx(client, workshop):
    guardian, _children = family_make(names=("Lea",))
    client.force_login(guardian)
    detail = _text(client.get(reverse("events:detail", args=["robots"])))
    assert f'hx-get="{_register_url(workshop)}?kind=children"' in detail
    assert f'id="register-{workshop.pk}"' in detail
    partial = client.get(_register_url(workshop), {"kind": "children"}, HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode()
    assert 'data-testid="children-form"' in partial.content.decode()


# Visitors, adults, school classes -----------------------------------------------------------


def test_a_visitor_is_asked_to_log_in(client, workshop):
    detail = _text(client.get(reverse("events:detail", args=["robots"])))
    assert "Log in to register" in detail
    assert f"{reverse('account_login')}?next=/events/robots/" in detail
    response = client.get(_register_url(workshop))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_an_adult_registers_with_one_click_and_joins_the_waitlist_when_full(client):
    event = event_make(slug="laser", kind="public_workshop")
    session = session_make(event, capacity=1)
    first, second = UserFactory(), UserFactory()
    client.force_login(first)
    detail = _text(client.get(reverse("events:detail", args=["laser"])))
    assert 'data-testid="register-adult"' in detail
    response = client.post(_register_url(session), {"kind": "adult"})
    assert response.status_code == 302
    assert "Confirmed" in _text(client.get(response["Location"]))

    client.force_login(second)
    assert "Join the waitlist" in _text(client.get(reverse("events:detail", args=["laser"])))
    client.post(_register_url(session), {"kind": "adult"})
    page = _text(client.get(reverse("events:registered", args=[session.pk])))
    assert "On the waitlist, position 1" in page
    again = client.post(_register_url(session), {"kind": "adult"})
    assert again.status_code == 400
    assert "You are already registered for this session" in _text(again)


def _class_event(capacity: int = 20):
    event = event_make(slug="school-robots", accepts_school_classes=True)
    return session_make(event, capacity=capacity)


def test_a_class_too_large_is_refused_with_the_seats_left_and_no_school_is_created(client):
    session = _class_event(capacity=20)
    teacher = guardian_make()
    client.force_login(teacher)
    response = client.post(
        _register_url(session),
        {
            "kind": "school_class",
            "class-school_name": "École Brouch",
            "class-school_commune": Commune.objects.get(slug="esch-sur-alzette").pk,
            "class-grade": "C3.1",
            "class-pupils": 24,
            "class-accompanying_adults": 2,
        },
    )
    assert response.status_code == 400
    assert "A class of 24 pupils is larger than the 20 seats left in this session." in _text(
        response
    )
    assert not Registration.objects.exists()
    assert not School.objects.filter(name="École Brouch").exists()


def test_a_teacher_registers_a_class_of_a_new_school_then_of_a_listed_one(client):
    session = _class_event(capacity=40)
    teacher = guardian_make()
    client.force_login(teacher)
    form = _text(client.get(_register_url(session), {"kind": "school_class"}))
    assert "Register a school class" in form
    esch = Commune.objects.get(slug="esch-sur-alzette")
    response = client.post(
        _register_url(session),
        {
            "kind": "school_class",
            "class-school_name": "École Brouch",
            "class-school_commune": esch.pk,
            "class-grade": "C3.1",
            "class-pupils": 18,
            "class-accompanying_adults": 2,
        },
    )
    assert response.status_code == 302
    school = School.objects.get(name="École Brouch", commune=esch)
    listed = school_make(name="Lycée du Nord")
    client.post(
        _register_url(session),
        {
            "kind": "school_class",
            "class-school": listed.pk,
            "class-grade": "5e",
            "class-pupils": 10,
            "class-accompanying_adults": 1,
        },
    )
    registrations = Registration.objects.filter(kind="school_class").order_by("pk")
    assert [(r.school, r.pupils, r.status) for r in registrations] == [
        (school, 18, "confirmed"),
        (listed, 10, "confirmed"),
    ]
    session.refresh_from_db()
    assert session.seats_taken == 28


def test_a_class_needs_a_school(client):
    session = _class_event()
    client.force_login(guardian_make())
    response = client.post(
        _register_url(session),
        {"kind": "school_class", "class-grade": "C1", "class-pupils": 5},
    )
    assert response.status_code == 400
    assert "Choose the class&#x27;s school or type its name." in _text(response)


# My registrations ---------------------------------------------------------------------------


def test_my_registrations_lists_them_and_cancelling_offers_the_seat_to_the_next(client):
    session = session_make(event_make(), capacity=1)
    guardian, (lea,) = family_make(names=("Lea",))
    registration_children_create(guardian=guardian, session=session, children=[lea])
    waiting_guardian, (ben,) = family_make(names=("Ben",))
    registration_children_create(guardian=waiting_guardian, session=session, children=[ben])
    past = session_make(session.event, days_ahead=-30)
    registration_make(past, child=lea)
    client.force_login(guardian)

    page = _text(client.get(reverse("events:my")))
    assert "My registrations" in page
    assert page.count('data-testid="my-registration"') == 1
    assert page.count('data-testid="past-registration"') == 1
    mine = Registration.objects.get(child=lea, session=session)
    cancel_url = reverse("events:registration-cancel", args=[mine.pk])
    assert cancel_url in page

    confirm = _text(client.get(cancel_url))
    assert "Cancel the registration of Lea" in confirm
    mine.refresh_from_db()
    assert mine.status == "confirmed"  # not before confirming

    response = client.post(cancel_url)
    assert response["Location"] == reverse("events:my")
    mine.refresh_from_db()
    assert mine.status == "cancelled"
    assert Registration.objects.get(child=ben).status == "offered"

    client.force_login(waiting_guardian)
    assert "A seat is offered to you until" in _text(client.get(reverse("events:my")))


def test_the_waitlist_position_shows_in_my_registrations(client):
    session = session_make(event_make(), capacity=1)
    registration_make(session, child=family_make(names=("Ana",))[1][0])
    guardian, (lea,) = family_make(names=("Lea",))
    registration_children_create(guardian=guardian, session=session, children=[lea])
    client.force_login(guardian)
    page = _text(client.get(reverse("events:my")))
    assert "On the waitlist, position 1" in page
    assert "Leave the waitlist" in page


def test_someone_elses_registration_is_not_found(client, workshop):
    _guardian, (lea,) = family_make(names=("Lea",))
    registration = registration_make(workshop, child=lea)
    client.force_login(guardian_make())
    url = reverse("events:registration-cancel", args=[registration.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    registration.refresh_from_db()
    assert registration.status == "confirmed"
    assert "Lea" not in _text(client.get(reverse("events:my")))


def test_my_registrations_needs_an_account_and_is_in_the_user_menu(client):
    assert client.get(reverse("events:my")).status_code == 302
    client.force_login(UserFactory())
    assert f'href="{reverse("events:my")}"' in _text(client.get(reverse("events:list")))


# The staff's waitlist -----------------------------------------------------------------------


@pytest.fixture
def staffed():
    """A site's workshop of 1 seat: Ana holds it, Ben and Cleo wait."""
    staff = UserFactory(roles=["site_staff"])
    site = site_make(slug="esch", staff=[staff])
    session = session_make(event_make(site=site), capacity=1)
    queue = []
    for name in ("Ana", "Ben", "Cleo"):
        guardian, (child,) = family_make(names=(name,))
        queue += registration_children_create(guardian=guardian, session=session, children=[child])
    return staff, session, queue


def test_staff_see_the_queue_in_order_and_reach_it_from_the_session_page(client, staffed):
    staff, session, _queue = staffed
    client.force_login(staff)
    session_page = _text(client.get(reverse("events:manage-session", args=[session.pk])))
    assert reverse("events:session-waitlist", args=[session.pk]) in session_page
    assert reverse("events:session-attendance", args=[session.pk]) in session_page

    page = _text(client.get(reverse("events:session-waitlist", args=[session.pk])))
    assert page.count('data-testid="waitlist-row"') == 2
    assert page.index("Ben") < page.index("Cleo")
    assert "guardian:" in page


def test_staff_offer_the_next_seat_and_remove_an_entry(client, staffed):
    staff, session, (ana, ben, cleo) = staffed
    client.force_login(staff)
    offer_url = reverse("events:session-waitlist-offer", args=[session.pk])

    full = client.post(offer_url, follow=True)
    assert "No seat is free in this session" in _text(full)

    # A seat freed without passing it on (as before seats added were offered at once).
    Registration.objects.filter(pk=ana.pk).update(status="cancelled")
    type(session).objects.filter(pk=session.pk).update(seats_taken=0)
    offered = client.post(offer_url, follow=True)
    assert "A seat is offered to Ben" in _text(offered)
    ben.refresh_from_db()
    assert ben.status == "offered"
    assert 'data-testid="offer"' in _text(offered)

    remove_url = reverse("events:session-waitlist-remove", args=[session.pk, cleo.pk])
    removed = client.post(remove_url, follow=True)
    assert "Cleo is off the waitlist." in _text(removed)
    cleo.refresh_from_db()
    assert cleo.status == "cancelled"
    again = client.post(remove_url, follow=True)
    assert "This registration is not on the waitlist." in _text(again)
    assert (
        client.post(
            reverse("events:session-waitlist-remove", args=[session.pk, 999999])
        ).status_code
        == 404
    )


def test_the_waitlist_is_for_its_staff_only(client, staffed):
    _staff, session, (_ana, ben, _cleo) = staffed
    url = reverse("events:session-waitlist", args=[session.pk])
    assert client.get(url).status_code == 302  # visitors log in first
    client.force_login(ben.registered_by)
    assert client.get(url).status_code == 403
    other_staff = UserFactory(roles=["site_staff"])
    site_make(slug="other", staff=[other_staff])
    client.force_login(other_staff)
    assert client.get(url).status_code == 403
    offer = client.post(reverse("events:session-waitlist-offer", args=[session.pk]))
    assert offer.status_code == 403
    remove = reverse("events:session-waitlist-remove", args=[session.pk, ben.pk])
    assert client.post(remove).status_code == 403
    ben.refresh_from_db()
    assert ben.status == "waitlisted"
    assert client.get(reverse("events:session-waitlist", args=[999999])).status_code == 404


# Seats added go to the waitlist ---------------------------------------------------------------


def test_raising_the_capacity_offers_the_new_seats_to_the_waitlist(
    client, staffed, django_capture_on_commit_callbacks
):
    staff, session, (_ana, ben, cleo) = staffed
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("events:manage-session", args=[session.pk]), {"capacity": 2})
    assert response.status_code == 302
    ben.refresh_from_db()
    cleo.refresh_from_db()
    assert (ben.status, cleo.status) == ("offered", "waitlisted")
    session.refresh_from_db()
    assert (session.capacity, session.seats_taken) == (2, 2)
    offers = [m for m in mail.outbox if ben.registered_by.email in m.to]
    assert any("/events/claim/" in m.body for m in offers)


def test_lowering_or_keeping_the_capacity_offers_nothing(staffed):
    staff, session, (_ana, ben, _cleo) = staffed
    session_update(session=session, by=staff, capacity=1)
    ben.refresh_from_db()
    assert ben.status == "waitlisted"


def test_the_ticket_chosen_is_the_one_paid(client, workshop):
    sibling = TicketCategory.objects.create(
        event=workshop.event, name_en="Sibling", price=3, position=1
    )
    guardian, (lea,) = family_make()
    client.force_login(guardian)
    form = _text(client.get(_register_url(workshop), {"kind": "children"}))
    assert "Sibling — 3.00 EUR" in form
    client.post(
        _register_url(workshop),
        {"kind": "children", "children": [lea.pk], "ticket_category": sibling.pk},
    )
    registration = Registration.objects.get(child=lea)
    assert (registration.ticket_category, registration.price) == (sibling, 3)


def test_adding_a_child_from_the_registration_form_comes_back_to_it(client, workshop):
    guardian, _children = family_make()
    client.force_login(guardian)
    back = _register_url(workshop) + "?kind=children"
    child = {"first_name": "Nora", "birth_date": "2018-03-04"}
    added = client.post(reverse("events:child-add") + "?next=" + back, child)
    assert added["Location"] == back
    assert "Nora (" in _text(client.get(back))
    elsewhere = client.post(
        reverse("events:child-add") + "?next=https://evil.example/", {**child, "first_name": "Ida"}
    )
    assert elsewhere["Location"] == reverse("events:children")
