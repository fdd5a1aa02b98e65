"""Prepaid hours in the pages: the preview and the booking say how many hours are used and
what is left to pay; the organisation's people read the balance and history; the FabLab
staff read every account and grant or adjust hours."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from fabreck.fablab.models import Booking, PrepaidAccount, PrepaidMovement
from fabreck.fablab.services import booking_cancel, booking_create, prepaid_hours_grant
from tests.fablab.credits_helpers import member_add, startup_with_hours
from tests.fablab.helpers import machine_make, next_weekday_at, site_make
from tests.factories import UserFactory, organisation_make

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def laser():
    return machine_make(site_make(), rate="40")


@pytest.fixture
def staff():
    return UserFactory(roles=["site_staff"])


def _params(resource, start, minutes, **extra):
    local = timezone.localtime(start)
    end = local + timedelta(minutes=minutes)
    return {
        "resource": resource.slug,
        "date": local.date().isoformat(),
        "start": f"{local:%H:%M}",
        "end": f"{end:%H:%M}",
        **extra,
    }


def _text(response) -> str:
    return response.content.decode()


def _book(maker, machine, organisation, *, hour=10, hours=2):
    start = next_weekday_at(hour)
    return booking_create(
        by=maker,
        resource=machine,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        organisation=organisation,
    )


def test_the_preview_shows_the_prepaid_hours_then_the_booking_uses_them(client, laser):
    startup, owner = startup_with_hours(hours="1.5")
    client.force_login(owner)
    params = _params(laser, next_weekday_at(10), 120, organisation=startup.slug)

    preview = _text(client.get(reverse("fablab:book"), params))

    assert 'data-testid="preview-prepaid"' in preview
    assert "1.50 hours from your organisation" in preview
    assert 'data-testid="preview-to-pay">20.00 €' in preview
    assert not PrepaidMovement.objects.filter(kind="use").exists()  # a preview uses nothing

    confirmed = client.post(reverse("fablab:book"), params)

    booking = Booking.objects.get()
    assert (booking.prepaid_hours, booking.price) == (D("1.50"), D("20.00"))
    detail = _text(client.get(confirmed["Location"]))
    assert 'data-testid="booking-prepaid"' in detail
    assert "1.50 hours paid from the organisation" in detail
    assert reverse("fablab:credits-account", args=[startup.slug]) in detail


def test_a_personal_booking_preview_mentions_no_prepaid_hours(client, laser):
    _startup, owner = startup_with_hours(hours="3")
    client.force_login(owner)

    preview = _text(client.get(reverse("fablab:book"), _params(laser, next_weekday_at(10), 60)))

    assert "80.00" not in preview and "40.00 €" in preview
    assert 'data-testid="preview-prepaid"' not in preview


def test_the_move_preview_shows_the_hours_the_new_time_uses(client, laser):
    startup, owner = startup_with_hours(hours="2")
    booking = _book(owner, laser, startup, hours=1)
    client.force_login(owner)

    page = _text(
        client.get(
            reverse("fablab:booking-move", args=[booking.pk]),
            _params(laser, next_weekday_at(13), 180),
        )
    )

    assert "2.00 hours from your organisation" in page
    assert 'data-testid="preview-to-pay">40.00 €' in page


def test_my_bookings_links_the_accounts_of_my_organisations(client, laser):
    startup, owner = startup_with_hours(hours="3")
    organisation_make(owner=owner, name="No hours company")
    client.force_login(owner)

    page = _text(client.get(reverse("fablab:my-bookings")))

    assert 'data-testid="prepaid-accounts"' in page
    assert reverse("fablab:credits-account", args=[startup.slug]) in page
    assert "Startup Hours: 3.00 hours left" in page
    assert "No hours company" not in page


def test_a_maker_without_accounts_sees_no_prepaid_box(client):
    maker = UserFactory(roles=["maker"])
    client.force_login(maker)

    assert 'data-testid="prepaid-accounts"' not in _text(client.get(reverse("fablab:my-bookings")))


def test_the_organisations_people_read_the_balance_and_every_movement(client, laser):
    startup, owner = startup_with_hours(hours="3")
    colleague = member_add(startup, UserFactory(roles=["maker"]))
    booking = _book(owner, laser, startup, hours=2)
    booking_cancel(booking=booking, by=owner)
    _book(owner, laser, startup, hour=13, hours=1)
    client.force_login(colleague)

    response = client.get(reverse("fablab:credits-account", args=[startup.slug]))

    page = _text(response)
    assert response.status_code == 200
    assert 'data-testid="balance">2.00 hours left' in page
    assert page.count('data-testid="movement"') == 4  # grant, use, refund, use
    for label in ("Hours granted", "Used by a booking", "Given back by a cancellation"):
        assert label in page
    assert "+3.00" in page and "-2.00" in page and "+2.00" in page
    assert reverse("fablab:booking", args=[booking.pk]) in page
    assert 'data-testid="change-form"' not in page
    # the colleague may open the booking the history links to (read only)
    detail = client.get(reverse("fablab:booking", args=[booking.pk]))
    assert detail.status_code == 200


def test_outsiders_get_a_404_and_members_of_an_organisation_without_account_too(client):
    startup, _owner = startup_with_hours(hours="3")
    no_account, other_owner = startup_with_hours(hours=None, name="No account yet")
    client.force_login(UserFactory(roles=["maker"]))
    assert client.get(reverse("fablab:credits-account", args=[startup.slug])).status_code == 404
    client.force_login(other_owner)
    assert client.get(reverse("fablab:credits-account", args=[no_account.slug])).status_code == 404
    assert client.get(reverse("fablab:credits-account", args=["nobody"])).status_code == 404


def test_visitors_are_asked_to_log_in(client):
    startup, _owner = startup_with_hours(hours="3")

    response = client.get(reverse("fablab:credits-account", args=[startup.slug]))

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_staff_grant_hours_on_the_page(client, staff):
    startup, _owner = startup_with_hours(hours="3")
    client.force_login(staff)
    url = reverse("fablab:credits-account", args=[startup.slug])
    assert 'data-testid="change-form"' in _text(client.get(url))

    response = client.post(url, {"kind": "grant", "hours": "5", "note": "Second year"})

    assert response.status_code == 302
    assert PrepaidAccount.objects.get(organisation=startup).balance_hours == D("8.00")
    page = _text(client.get(url))
    assert "Second year" in page and staff.display_name in page
    assert "5.00 hours recorded" in page


def test_a_refused_adjustment_says_why_and_changes_nothing(client, staff):
    startup, _owner = startup_with_hours(hours="3")
    client.force_login(staff)
    url = reverse("fablab:credits-account", args=[startup.slug])

    response = client.post(url, {"kind": "adjustment", "hours": "-4", "note": "Oops"})

    assert response.status_code == 400
    assert "has 3.00 hours left: an adjustment cannot take away more" in _text(response)
    assert PrepaidAccount.objects.get(organisation=startup).balance_hours == D("3.00")
    assert PrepaidMovement.objects.count() == 1


def test_the_adjustment_page_is_shown_in_french(client, staff):
    startup, _owner = startup_with_hours(hours="3")
    staff.preferred_language = "fr"
    staff.save(update_fields=["preferred_language"])
    client.force_login(staff)

    response = client.post(
        reverse("fablab:credits-account", args=[startup.slug]),
        {"kind": "grant", "hours": "abc", "note": "x"},
        HTTP_ACCEPT_LANGUAGE="fr",
    )

    assert response.status_code == 400
    assert 'lang="fr"' in _text(response)


def test_people_of_the_organisation_cannot_grant_themselves_hours(client):
    startup, owner = startup_with_hours(hours="3")
    client.force_login(owner)

    response = client.post(
        reverse("fablab:credits-account", args=[startup.slug]),
        {"kind": "grant", "hours": "100", "note": "Free hours"},
    )

    assert response.status_code == 403
    assert PrepaidAccount.objects.get(organisation=startup).balance_hours == D("3.00")


def test_staff_list_accounts_and_find_an_organisation_without_one(client, staff):
    startup_with_hours(hours="3", name="Alpha Robotics")
    startup_with_hours(hours=None, name="Alpha Textiles")
    client.force_login(staff)

    page = _text(client.get(reverse("fablab:credits"), {"q": "alpha"}))

    assert page.count('data-testid="account-row"') == 1
    assert "Alpha Robotics" in page and "3.00 h" in page
    assert 'data-testid="without-account"' in page and "Alpha Textiles" in page


def test_staff_grant_a_first_account_from_the_search(client, staff):
    startup, _owner = startup_with_hours(hours=None)
    client.force_login(staff)
    url = reverse("fablab:credits-account", args=[startup.slug])
    assert "0.00 hours left" in _text(client.get(url))

    client.post(url, {"kind": "grant", "hours": "20", "note": "Incubation"})

    assert PrepaidAccount.objects.get(organisation=startup).balance_hours == D("20.00")


def test_a_maker_sees_only_their_organisations_accounts_in_the_list(client):
    startup_with_hours(hours="3", name="Someone Else")
    _mine, owner = startup_with_hours(hours="2", name="My Startup")
    client.force_login(owner)

    page = _text(client.get(reverse("fablab:credits")))

    assert "My Startup" in page and "Someone Else" not in page


def test_the_account_page_costs_the_same_queries_with_many_movements(
    client, laser, django_assert_max_num_queries
):
    startup, owner = startup_with_hours(hours="500")
    for _n in range(60):
        prepaid_hours_grant(organisation=startup, hours=D("1"), by=owner, note="top-up")
    for hour in (9, 11, 13, 15):
        _book(owner, laser, startup, hour=hour, hours=1)
    client.force_login(owner)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("fablab:credits-account", args=[startup.slug]))

    assert response.status_code == 200
    assert _text(response).count('data-testid="movement"') == 50  # a page at a time
    second = _text(client.get(reverse("fablab:credits-account", args=[startup.slug]), {"page": 2}))
    assert second.count('data-testid="movement"') == 15


def test_the_staff_list_costs_the_same_queries_with_many_accounts(
    client, staff, django_assert_max_num_queries
):
    for n in range(8):
        startup_with_hours(hours="1", name=f"Startup {n}")
    client.force_login(staff)

    with django_assert_max_num_queries(10):
        response = client.get(reverse("fablab:credits"))

    assert _text(response).count('data-testid="account-row"') == 8


def test_the_site_desk_shows_the_prepaid_hours_a_booking_uses(client, staff):
    site = site_make(staff=[staff])
    laser = machine_make(site, rate="40")
    startup, owner = startup_with_hours(hours="1.5")
    booking = _book(owner, laser, startup, hours=2)
    client.force_login(staff)

    page = _text(
        client.get(
            reverse("fablab:desk", args=[site.slug]),
            {"day": timezone.localdate(booking.starts_at).isoformat()},
        )
    )

    assert 'data-testid="desk-prepaid"' in page
    assert "1.50 prepaid hours used · 20.00 € left to pay" in page
