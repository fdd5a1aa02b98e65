"""The staff pages (site desk, sessions, makers, blocks, machines, kiosk) and the makers'
trainings pages: who may open them, what they show, in three languages, in a bounded
number of queries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from fabreck.fablab.models import (
    Authorisation,
    Booking,
    MakerProfile,
    Material,
    MaterialUse,
    PriceGroup,
    TrainingParticipant,
)
from fabreck.fablab.services import (
    authorisation_grant,
    authorisation_revoke,
    booking_create,
    participant_add,
    training_session_create,
)
from tests.fablab.helpers import course_make, machine_make, next_weekday_at, site_make
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return UserFactory(roles=["site_staff"])


@pytest.fixture
def site(staff):
    return site_make(staff=[staff])


@pytest.fixture
def maker():
    return UserFactory(roles=["maker"])


@pytest.fixture
def course():
    return course_make()


@pytest.fixture
def laser(site):
    return machine_make(site)


@pytest.fixture
def plywood(site):
    return Material.objects.create(
        site=site, name_en="Plywood", name_fr="Contreplaqué", name_de="Sperrholz",
        unit="sheet", unit_price=Decimal("4.50"),
    )  # fmt: skip


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def session_make(site, staff, course, *, starts_in=timedelta(days=3), capacity=4):
    start = timezone.now() + starts_in
    return training_session_create(
        by=staff, site=site, course=course, instructor=staff, starts_at=start,
        ends_at=start + timedelta(hours=2), capacity=capacity,
    )  # fmt: skip


def booked(staff, maker, resource, *, starts_in, minutes=60) -> Booking:
    start = (timezone.now() + starts_in).replace(microsecond=0)
    return booking_create(
        by=staff, maker=maker, resource=resource, starts_at=start,
        ends_at=start + timedelta(minutes=minutes), override=True,
    )  # fmt: skip


def _text(response) -> str:
    return response.content.decode()


def _desk_pages(site):
    return [
        reverse("fablab:desk", args=[site.slug]),
        reverse("fablab:desk-sessions", args=[site.slug]),
        reverse("fablab:desk-maker", args=[site.slug]),
        reverse("fablab:desk-grant", args=[site.slug]),
        reverse("fablab:desk-blocks", args=[site.slug]),
        reverse("fablab:desk-resources", args=[site.slug]),
        reverse("fablab:kiosk", args=[site.slug]),
    ]


# --- Who may open what ------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "fr", "de"])
def test_every_staff_page_opens_in_three_languages(
    client, staff, site, course, laser, plywood, maker, language
):
    session = session_make(site, staff, course)
    participant_add(session=session, by=maker, user=maker)
    booked(staff, maker, laser, starts_in=timedelta(minutes=5))
    staff.preferred_language = language
    staff.save(update_fields=["preferred_language"])
    client.force_login(staff)
    pages = [
        *_desk_pages(site),
        reverse("fablab:desk-session", args=[site.slug, session.pk]),
        reverse("fablab:desk-maker", args=[site.slug]) + f"?email={maker.email}",
        reverse("fablab:desk-home"),
        reverse("fablab:trainings"),
        reverse("fablab:my-trainings"),
    ]

    for page in pages:
        response = client.get(page)
        assert response.status_code in (200, 302), page
        if response.status_code == 200:
            assert f'<html lang="{language}">' in _text(response), page


def test_makers_get_403_anonymous_visitors_the_login_page(client, site, maker):
    for page in _desk_pages(site):
        anonymous = client.get(page)
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    client.force_login(maker)
    for page in _desk_pages(site):
        assert client.get(page).status_code == 403, page
    assert client.get(reverse("fablab:desk-home")).status_code == 403


def test_the_staff_of_one_site_cannot_run_another(client, site):
    other_staff = UserFactory(roles=["site_staff"])
    site_make(slug="other", staff=[other_staff])
    client.force_login(other_staff)

    for page in _desk_pages(site):
        assert client.get(page).status_code == 403, page


def test_the_site_desk_entry_shows_for_staff_and_my_trainings_for_everyone_logged_in(
    client, staff, site, maker
):
    client.force_login(maker)
    page = _text(client.get(reverse("fablab:trainings")))
    assert "My trainings" in page and "Site desk" not in page

    client.force_login(staff)
    page = _text(client.get(reverse("fablab:trainings")))
    assert "Site desk" in page
    assert client.get(reverse("fablab:desk-home"))["Location"] == reverse(
        "fablab:desk", args=[site.slug]
    )


def test_site_staff_use_the_admin_for_the_catalogue_but_run_only_their_sites(client, staff, site):
    from fabreck.fablab.selectors import user_runs_site

    client.force_login(staff)
    for model in ("resource", "course", "trainingsession", "material", "rate", "authorisation"):
        assert client.get(reverse(f"admin:fablab_{model}_changelist")).status_code == 200, model
    assert client.get(reverse("admin:fablab_site_change", args=[site.pk])).status_code == 200
    other = site_make(slug="other")
    assert user_runs_site(user=staff, site=site)
    assert not user_runs_site(user=staff, site=other)


# --- Trainings, for makers ----------------------------------------------------------------


def test_the_trainings_page_lists_places_left_and_registers_a_maker(
    client, staff, site, course, maker
):
    session = session_make(site, staff, course, capacity=2)
    full = session_make(site, staff, course, capacity=1, starts_in=timedelta(days=5))
    participant_add(session=full, by=staff, user=UserFactory(roles=["maker"]))
    client.force_login(maker)

    page = _text(client.get(reverse("fablab:trainings")))
    assert "2 places left" in page and "Full" in page and "Laser cutting basics" in page

    response = client.post(reverse("fablab:training-register", args=[session.pk]), follow=True)
    assert "You are registered for Laser cutting basics" in _text(response)
    assert "1 place left" in _text(response) and "You are registered" in _text(response)
    assert TrainingParticipant.objects.filter(session=session, user=maker).exists()

    response = client.post(reverse("fablab:training-register", args=[full.pk]), follow=True)
    assert "This session is full" in _text(response)
    assert full.participants.count() == 1


def test_my_trainings_shows_valid_expiring_expired_and_revoked_with_the_reason(
    client, staff, site, maker
):
    now = timezone.now()
    courses = [course_make(slug=f"c{n}", months=None) for n in range(4)]
    valid = authorisation_grant(user=maker, course=courses[0], by=staff, site=site, evidence="x")
    Authorisation.objects.create(user=maker, course=courses[1], issued_at=now - timedelta(days=350),
                                 expires_at=now + timedelta(days=10))  # fmt: skip
    Authorisation.objects.create(user=maker, course=courses[2], issued_at=now - timedelta(days=400),
                                 expires_at=now - timedelta(days=10))  # fmt: skip
    revoked = authorisation_grant(user=maker, course=courses[3], by=staff, site=site, evidence="x")
    authorisation_revoke(authorisation=revoked, by=staff, site=site, reason="Left the laser alone")
    client.force_login(maker)

    page = _text(client.get(reverse("fablab:my-trainings")))

    for state in ('data-state="valid"', 'data-state="expiring"', 'data-state="expired"',
                  'data-state="revoked"'):  # fmt: skip
        assert state in page
    assert "Left the laser alone" in page
    assert valid.course.name in page


def test_a_maker_cancels_a_registration_from_my_trainings(client, staff, site, course, maker):
    session = session_make(site, staff, course)
    participant_add(session=session, by=maker, user=maker)
    client.force_login(maker)

    response = client.post(reverse("fablab:training-unregister", args=[session.pk]), follow=True)

    assert "You are no longer registered" in _text(response)
    assert not session.participants.exists()


# --- Sessions -----------------------------------------------------------------------------


def test_staff_schedule_a_session_from_the_page(staff_client, staff, site, course):
    start = next_weekday_at(14)
    response = staff_client.post(
        reverse("fablab:desk-sessions", args=[site.slug]),
        {
            "course": course.pk,
            "instructor": staff.pk,
            "starts_at": timezone.localtime(start).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": timezone.localtime(start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "capacity": 5,
        },
        follow=True,
    )

    assert "The session has been scheduled." in _text(response)
    assert site.training_sessions.get().starts_at == start


def test_a_session_ending_before_it_starts_is_refused_on_the_page(
    staff_client, staff, site, course
):
    start = next_weekday_at(14)
    response = staff_client.post(
        reverse("fablab:desk-sessions", args=[site.slug]),
        {
            "course": course.pk,
            "instructor": staff.pk,
            "starts_at": timezone.localtime(start).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": timezone.localtime(start - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "capacity": 5,
        },
    )

    assert response.status_code == 200
    assert "The end must come after the start." in _text(response)
    assert not site.training_sessions.exists()


def test_the_session_page_registers_by_email_and_names_an_unknown_address(
    staff_client, staff, site, course, maker
):
    session = session_make(site, staff, course)
    url = reverse("fablab:desk-session", args=[site.slug, session.pk])

    unknown = staff_client.post(url, {"email": "ghost@example.lu"})
    assert "No account uses the address “ghost@example.lu”" in _text(unknown)
    assert not session.participants.exists()

    known = staff_client.post(url, {"email": maker.email}, follow=True)
    assert f"{maker.display_name} is registered." in _text(known)
    assert session.participants.get().user == maker


def test_a_result_recorded_on_the_page_grants_the_authorisation(
    staff_client, staff, site, course, maker
):
    session = session_make(site, staff, course, starts_in=-timedelta(hours=2))
    participant = participant_add(session=session, by=staff, user=maker)

    response = staff_client.post(
        reverse("fablab:desk-result", args=[site.slug, session.pk, participant.pk]),
        {"result": "passed"},
        follow=True,
    )

    assert f"{maker.display_name}: Passed." in _text(response)
    assert Authorisation.objects.get(user=maker).session == session


def test_the_session_page_takes_a_bounded_number_of_queries(
    staff_client, staff, site, course, django_assert_max_num_queries
):
    def queries_with(participants: int) -> int:
        session = session_make(site, staff, course, starts_in=-timedelta(hours=1), capacity=20)
        for _ in range(participants):
            participant_add(session=session, by=staff, user=UserFactory(roles=["maker"]))
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert (
                staff_client.get(
                    reverse("fablab:desk-session", args=[site.slug, session.pk])
                ).status_code
                == 200
            )
        return len(captured)

    few, many = queries_with(2), queries_with(15)
    assert few == many
    session = site.training_sessions.first()
    with django_assert_max_num_queries(10):
        staff_client.get(reverse("fablab:desk-session", args=[site.slug, session.pk]))


# --- Makers: authorisations and price groups ----------------------------------------------


def test_revoking_on_the_page_needs_a_reason(staff_client, staff, site, course, maker):
    granted = authorisation_grant(user=maker, course=course, by=staff, site=site, evidence="x")
    url = reverse("fablab:desk-revoke", args=[site.slug, granted.pk])

    response = staff_client.post(url, {"reason": ""}, follow=True)
    assert "Give a reason: the maker reads it." in _text(response)
    granted.refresh_from_db()
    assert granted.revoked_at is None

    response = staff_client.post(url, {"reason": "Unsafe"}, follow=True)
    assert "is revoked" in _text(response)
    granted.refresh_from_db()
    assert granted.revoke_reason == "Unsafe"


def test_granting_on_the_page_finds_the_maker_by_email(staff_client, site, course, maker):
    url = reverse("fablab:desk-grant", args=[site.slug])

    unknown = staff_client.post(
        url, {"email": "ghost@example.lu", "course": course.pk, "evidence": "Certificate"}
    )
    assert "No account uses the address" in _text(unknown)
    no_evidence = staff_client.post(url, {"email": maker.email, "course": course.pk})
    assert "Say how the maker proved their experience." in _text(no_evidence)
    assert not Authorisation.objects.exists()

    granted = staff_client.post(
        url, {"email": maker.email, "course": course.pk, "evidence": "Certificate"}, follow=True
    )
    assert "may now use the machines" in _text(granted)
    assert Authorisation.objects.get(user=maker).evidence == "Certificate"


def test_staff_set_the_price_group_on_the_makers_page(staff_client, site, maker):
    student = PriceGroup.objects.get(slug="student")
    url = reverse("fablab:desk-price-group", args=[site.slug, maker.pk])

    refused = staff_client.post(url, {"price_group": student.pk, "note": ""}, follow=True)
    assert "Say which proof you checked" in _text(refused)
    assert not MakerProfile.objects.exists()

    saved = staff_client.post(url, {"price_group": student.pk, "note": "Card 2026"}, follow=True)
    assert "now pays the" in _text(saved) and "Card 2026" in _text(saved)


# --- The desk -----------------------------------------------------------------------------


def test_the_desk_lists_todays_bookings_and_checks_in_with_htmx(
    staff_client, staff, site, laser, maker
):
    booking = booked(staff, maker, laser, starts_in=timedelta(minutes=5))
    desk = reverse("fablab:desk", args=[site.slug])

    page = _text(staff_client.get(desk))
    assert maker.display_name in page and "Expected" in page

    response = staff_client.post(
        reverse("fablab:desk-usage", args=[site.slug, booking.pk, "check-in"]),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Here since" in _text(response) and "<html" not in _text(response)
    booking.refresh_from_db()
    assert booking.checked_in_at is not None


def test_a_refused_desk_action_shows_why_in_the_card(staff_client, staff, site, laser, maker):
    booking = booked(staff, maker, laser, starts_in=timedelta(hours=2))

    response = staff_client.post(
        reverse("fablab:desk-usage", args=[site.slug, booking.pk, "check-in"]),
        HTTP_HX_REQUEST="true",
    )
    assert "Check-in opens 15 minutes before the start" in _text(response)

    without_htmx = staff_client.post(
        reverse("fablab:desk-usage", args=[site.slug, booking.pk, "no-show"]), follow=True
    )
    assert "A no-show can be marked from" in _text(without_htmx)
    booking.refresh_from_db()
    assert booking.checked_in_at is None and not booking.no_show


def test_materials_from_the_desk(staff_client, staff, site, laser, maker, plywood):
    booking = booked(staff, maker, laser, starts_in=-timedelta(minutes=5))
    url = reverse("fablab:desk-material-add", args=[site.slug, booking.pk])

    refused = staff_client.post(
        url, {"material": plywood.pk, "quantity": "-1"}, HTTP_HX_REQUEST="true"
    )
    assert "Enter a quantity above zero." in _text(refused)
    assert not MaterialUse.objects.exists()

    added = staff_client.post(
        url, {"material": plywood.pk, "quantity": "2"}, HTTP_HX_REQUEST="true"
    )
    assert "Plywood" in _text(added) and "9.00 €" in _text(added)
    use = MaterialUse.objects.get()

    staff_client.post(
        reverse("fablab:desk-material-delete", args=[site.slug, booking.pk, use.pk]),
        HTTP_HX_REQUEST="true",
    )
    assert not MaterialUse.objects.exists()


def test_the_desk_takes_the_same_queries_for_2_or_12_bookings(
    staff_client, staff, site, plywood, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fabreck.fablab.services import material_use_record

    desk = reverse("fablab:desk", args=[site.slug])

    def add_bookings(count: int, offset: int) -> None:
        for n in range(count):
            machine = machine_make(site, name=f"Machine {offset + n}", category="3d-printer")
            booking = booked(staff, UserFactory(roles=["maker"]), machine, starts_in=timedelta(0))
            material_use_record(booking=booking, material=plywood, quantity=1, by=staff)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(desk).status_code == 200
        return len(captured)

    add_bookings(2, 0)
    few = count()
    add_bookings(10, 2)
    many = count()

    assert few == many
    with django_assert_max_num_queries(12):
        staff_client.get(desk)


# --- Blocks and machines ------------------------------------------------------------------


def test_staff_block_a_machine_and_remove_the_block_from_the_page(staff_client, site, laser):
    start = next_weekday_at(10)
    url = reverse("fablab:desk-blocks", args=[site.slug])
    fields = {
        "resource": laser.pk,
        "kind": "maintenance",
        "starts_at": timezone.localtime(start).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": timezone.localtime(start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
    }

    refused = staff_client.post(url, {**fields, "reason": ""})
    assert "Give a reason: makers see why the time is taken." in _text(refused)
    assert not Booking.objects.exists()

    page = _text(staff_client.post(url, {**fields, "reason": "New lens"}, follow=True))
    assert "The time is blocked." in page and "New lens" in page
    block = Booking.objects.get()
    assert block.kind == "maintenance"

    response = staff_client.post(
        reverse("fablab:desk-block-remove", args=[site.slug, block.pk]), follow=True
    )
    assert "the time is free again" in _text(response)
    block.refresh_from_db()
    assert block.status == "cancelled"


def test_staff_set_a_machines_status_from_the_page(staff_client, site, laser):
    url = reverse("fablab:desk-resource-status", args=[site.slug, laser.pk])

    response = staff_client.post(url, {"status": "out_of_order"}, follow=True)

    assert "Out of order" in _text(response)
    laser.refresh_from_db()
    assert laser.status == "out_of_order"
    staff_client.post(url, {"status": "melted"})
    laser.refresh_from_db()
    assert laser.status == "out_of_order"


# --- The kiosk ----------------------------------------------------------------------------


def test_a_maker_checks_in_and_out_at_the_kiosk(staff_client, staff, site, laser, maker):
    booking = booked(staff, maker, laser, starts_in=timedelta(minutes=5))
    kiosk = reverse("fablab:kiosk", args=[site.slug])

    page = _text(staff_client.post(kiosk, {"email": maker.email.upper()}))
    assert laser.name in page and "Check in" in page
    assert "Site desk" not in page and "Log out" not in page  # makers use the tablet

    page = _text(
        staff_client.post(
            reverse("fablab:kiosk-usage", args=[site.slug, booking.pk, "check-in"]),
            {"email": maker.email},
        )
    )
    assert "Welcome! You are checked in" in page and "Check out" in page
    staff_client.post(
        reverse("fablab:kiosk-usage", args=[site.slug, booking.pk, "check-out"]),
        {"email": maker.email},
    )
    booking.refresh_from_db()
    assert booking.checked_in_at and booking.checked_out_at


def test_the_kiosk_tells_nothing_about_unknown_addresses_or_others_bookings(
    staff_client, staff, site, laser, maker
):
    booking = booked(staff, maker, laser, starts_in=timedelta(minutes=5))
    other = UserFactory(roles=["maker"])
    kiosk = reverse("fablab:kiosk", args=[site.slug])

    unknown = _text(staff_client.post(kiosk, {"email": "ghost@example.lu"}))
    known_without = _text(staff_client.post(kiosk, {"email": other.email}))
    assert (
        'data-testid="kiosk-nothing"' in unknown and 'data-testid="kiosk-nothing"' in known_without
    )

    response = staff_client.post(
        reverse("fablab:kiosk-usage", args=[site.slug, booking.pk, "check-in"]),
        {"email": other.email},
    )
    assert response.status_code == 404
    booking.refresh_from_db()
    assert booking.checked_in_at is None
