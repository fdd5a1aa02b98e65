"""Private ICS feeds by secret URL: a maker's bookings, or one machine's for its staff;
revocable, and only a digest of the secret is stored."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from fabreck.fablab.models import Booking, CalendarFeed
from fabreck.fablab.services import (
    FEEDS_PER_OWNER,
    booking_cancel,
    booking_create,
    feed_create,
    feed_revoke,
)
from tests.fablab.helpers import machine_make, next_weekday_at, site_make
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FEED_URL = re.compile(r'value="(http://testserver/fablab/feeds/[^"]+\.ics)"')


@pytest.fixture
def staff():
    return UserFactory(roles=["site_staff"])


@pytest.fixture
def site(staff):
    return site_make(staff=[staff])


@pytest.fixture
def maker():
    return UserFactory(roles=["maker"], first_name="Léa", last_name="Muller")


@pytest.fixture
def printer(site):
    return machine_make(site, name="Prusa MK4", category="3d-printer", rate="8.00")


def _utc(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _feed_url_from_page(client) -> str:
    response = client.post(reverse("fablab:feeds"), follow=True)
    [url] = FEED_URL.findall(response.content.decode())
    return url.removeprefix("http://testserver")


def test_a_maker_subscribes_to_their_bookings(client, maker, printer):
    start = next_weekday_at(10)
    mine = booking_create(by=maker, resource=printer, starts_at=start,
                          ends_at=start + timedelta(hours=1))  # fmt: skip
    gone = booking_create(by=maker, resource=printer, starts_at=start.replace(hour=14),
                          ends_at=start.replace(hour=15))  # fmt: skip
    booking_cancel(booking=gone, by=maker)
    someone = UserFactory(roles=["maker"])
    theirs = booking_create(by=someone, resource=printer, starts_at=start.replace(hour=16),
                            ends_at=start.replace(hour=17))  # fmt: skip
    client.force_login(maker)

    url = _feed_url_from_page(client)
    client.logout()  # calendar applications have no session
    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\n")
    assert "X-WR-CALNAME:Fabreck: my FabLab bookings" in body
    events = body.split("BEGIN:VEVENT")[1:]
    assert len(events) == 2
    by_uid = {re.search(r"UID:(\S+)", e).group(1): e for e in events}
    assert f"DTSTART:{_utc(mine.starts_at)}" in by_uid[f"booking-{mine.pk}@fabreck"]
    assert "STATUS:CONFIRMED" in by_uid[f"booking-{mine.pk}@fabreck"]
    assert "STATUS:CANCELLED" in by_uid[f"booking-{gone.pk}@fabreck"]
    assert f"booking-{theirs.pk}@fabreck" not in body


def test_the_secret_is_shown_once_and_only_its_digest_is_stored(client, maker):
    client.force_login(maker)

    url = _feed_url_from_page(client)
    again = client.get(reverse("fablab:feeds")).content.decode()

    secret = url.removeprefix("/fablab/feeds/").removesuffix(".ics")
    feed = CalendarFeed.objects.get()
    assert feed.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in again


def test_a_cancellation_leaves_the_feed_after_thirty_days(maker, printer, client):
    start = next_weekday_at(10)
    booking = booking_create(by=maker, resource=printer, starts_at=start,
                             ends_at=start + timedelta(hours=1))  # fmt: skip
    booking_cancel(booking=booking, by=maker)
    _feed, secret = feed_create(owner=maker)
    url = reverse("fablab:feed-ics", args=[secret])
    assert f"booking-{booking.pk}@fabreck" in client.get(url).content.decode()

    Booking.objects.filter(pk=booking.pk).update(cancelled_at=timezone.now() - timedelta(days=31))

    assert f"booking-{booking.pk}@fabreck" not in client.get(url).content.decode()


def test_a_revoked_or_unknown_feed_is_gone(client, maker, printer):
    feed, secret = feed_create(owner=maker)
    url = reverse("fablab:feed-ics", args=[secret])
    assert client.get(url).status_code == 200
    client.force_login(maker)

    response = client.post(reverse("fablab:feed-revoke", args=[feed.pk]), follow=True)

    assert "its address no longer works" in response.content.decode()
    client.logout()
    assert client.get(url).status_code == 404
    assert client.get(reverse("fablab:feed-ics", args=["not-a-secret"])).status_code == 404
    assert client.get("/fablab/feeds/.ics").status_code == 404


def test_nobody_else_revokes_a_feed(client, maker):
    feed, _secret = feed_create(owner=maker)
    other = UserFactory(roles=["maker"])
    client.force_login(other)

    assert client.post(reverse("fablab:feed-revoke", args=[feed.pk])).status_code == 404
    with pytest.raises(PermissionDenied):
        feed_revoke(feed=feed, by=other)
    feed.refresh_from_db()
    assert feed.revoked_at is None


def test_staff_subscribe_to_a_machine_and_lose_it_when_they_leave_the_site(
    client, staff, site, maker, printer
):
    start = next_weekday_at(10)
    booking_create(by=maker, resource=printer, starts_at=start,
                   ends_at=start + timedelta(hours=1))  # fmt: skip
    booking_create(by=staff, resource=printer, kind="maintenance",
                   starts_at=start.replace(hour=14), ends_at=start.replace(hour=16))  # fmt: skip
    client.force_login(staff)
    machine_page = client.get(reverse("fablab:resource", args=[printer.slug])).content.decode()
    assert "Create a calendar feed of this machine" in machine_page

    response = client.post(reverse("fablab:feeds"), {"resource": printer.slug}, follow=True)
    [url] = FEED_URL.findall(response.content.decode())
    body = client.get(url).content.decode()

    assert "X-WR-CALNAME:Fabreck: Prusa MK4" in body
    assert "SUMMARY:Prusa MK4: Léa Muller" in body
    assert "SUMMARY:Prusa MK4: Maintenance" in body
    site.staff.remove(staff)
    assert client.get(url).status_code == 404


def test_makers_cannot_subscribe_to_a_machine(client, maker, printer):
    client.force_login(maker)

    response = client.post(reverse("fablab:feeds"), {"resource": printer.slug})

    assert response.status_code == 403
    assert not CalendarFeed.objects.exists()
    assert client.post(reverse("fablab:feeds"), {"resource": "nope"}).status_code == 404


def test_a_maker_keeps_at_most_ten_feeds(client, maker):
    for _n in range(FEEDS_PER_OWNER):
        feed_create(owner=maker)
    client.force_login(maker)

    response = client.post(reverse("fablab:feeds"), follow=True)

    assert "You have 10 calendar feeds already: revoke one first." in response.content.decode()
    assert CalendarFeed.objects.count() == FEEDS_PER_OWNER
    with pytest.raises(ValidationError):
        feed_create(owner=maker)


def test_a_feed_costs_a_fixed_number_of_queries(
    client, maker, printer, django_assert_max_num_queries
):
    _feed, secret = feed_create(owner=maker)
    url = reverse("fablab:feed-ics", args=[secret])
    start = next_weekday_at(10)
    for n in range(4):
        booking_create(by=maker, resource=printer, starts_at=start + timedelta(days=n),
                       ends_at=start + timedelta(days=n, hours=1))  # fmt: skip

    with django_assert_max_num_queries(3):
        response = client.get(url)
    assert response.content.decode().count("BEGIN:VEVENT") == 4
