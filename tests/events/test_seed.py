"""The events seeder: a demo term that keeps every rule the services enforce, and the
large scale's history (here over three years instead of ten) with seat counters the
database accepts, children aged on the day within each workshop's range, returning
children, and the unseen ones anonymised."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import ExtractYear
from django.urls import reverse
from django.utils import timezone

from fabreck.accounts.models import User
from fabreck.events.models import Child, Event, Registration, School, Session
from fabreck.events.seeding import seed_large_history
from fabreck.events.selectors import CatalogueFilters, catalogue_events
from fabreck.fablab.models import Authorisation

pytestmark = pytest.mark.django_db

GUARDIAN = "guardian@demo.fabreck.lu"


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seeded once for the tests that only read; emptied afterwards."""
    with django_db_blocker.unblock():
        call_command("seed", "--scale", "demo", "--fresh", stdout=StringIO())
        yield
        call_command("flush", interactive=False, verbosity=0)


def _inconsistent_sessions(sessions=None):
    """Sessions whose counter is not the seats of their confirmed and offered
    registrations, or above their capacity."""
    rows = (sessions if sessions is not None else Session.objects.all()).annotate(
        held=Sum(
            "registrations__seats", filter=Q(registrations__status__in=["confirmed", "offered"])
        )
    )
    return [s for s in rows if s.seats_taken != (s.held or 0) or s.seats_taken > s.capacity]


def _children_out_of_range(registrations):
    return registrations.filter(kind="child").filter(
        Q(child_age__lt=F("session__event__age_min"))
        | Q(child_age__gt=F("session__event__age_max"))
    )


def test_a_demo_term_of_every_kind_of_event(seeded):
    today = timezone.localdate()
    published = Event.objects.filter(status="published")

    kinds = set(published.values_list("kind", flat=True))
    assert kinds == {"children_workshop", "teen_workshop", "public_workshop", "training",
                     "talk", "networking", "open_day"}  # fmt: skip
    children = published.filter(kind="children_workshop", age_min=6, age_max=12)
    assert set(children.values_list("site__slug", flat=True)) == {"esch", "differdange"}
    assert published.filter(kind="training", course__slug="laser-safety").exists()
    assert published.filter(accepts_school_classes=True, audience="schools").count() == 2
    assert Event.objects.filter(status="draft").exists()
    weekly = Session.objects.filter(event__kind="children_workshop", event__age_min=6,
                                    event__age_max=12, event__site__slug="esch",
                                    event__accepts_school_classes=False)  # fmt: skip
    days = sorted(timezone.localtime(s.starts_at).date() for s in weekly)
    assert len(days) >= 11
    assert 21 <= (today - days[0]).days <= 35 and 42 <= (days[-1] - today).days <= 63
    assert School.objects.filter(commune__isnull=False).count() == School.objects.count() >= 6


def test_seat_counters_are_the_seats_their_registrations_hold(seeded):
    assert Registration.objects.count() > 400
    assert _inconsistent_sessions() == []
    assert Session.objects.filter(seats_taken=F("capacity")).exists()  # some are full


def test_demo_registrations_keep_the_rules_of_the_services(seeded):
    now = timezone.now()
    registrations = Registration.objects.select_related("session__event")

    assert not _children_out_of_range(registrations).exists()
    for registration in registrations.exclude(status="waitlisted"):
        session = registration.session
        if session.registration_opens_at:
            assert registration.created_at >= session.registration_opens_at, registration.pk
        if session.registration_closes_at:
            assert registration.created_at <= session.registration_closes_at, registration.pk
        assert registration.created_at <= now
    classes = registrations.filter(kind="school_class")
    assert classes.exists()
    assert not classes.filter(Q(seats__gt=F("session__capacity")) | ~Q(seats=F("pupils")))
    per_guardian = defaultdict(set)
    for event_id, by, child in registrations.filter(kind="child").values_list(
        "session__event", "registered_by", "child"
    ):
        per_guardian[(event_id, by)].add(child)
    limits = dict(Event.objects.values_list("pk", "max_per_registrant"))
    assert all(len(kids) <= limits[event] for (event, _by), kids in per_guardian.items())


def test_demo_attendance_waitlists_offers_and_cancellations(seeded):
    now = timezone.now()
    confirmed = Registration.objects.filter(status="confirmed", session__status="scheduled")
    past = confirmed.filter(session__ends_at__lte=now)
    counts = dict(past.values_list("attendance").annotate(n=Count("id")))

    assert set(counts) == {"present", "no_show"} and counts["no_show"] < counts["present"] / 4
    assert not past.filter(attendance="present", checked_in_at__isnull=True).exists()
    assert set(
        confirmed.filter(session__starts_at__gt=now).values_list("attendance", flat=True)
    ) == {"unknown"}
    waiting = Registration.objects.filter(status="waitlisted")
    assert waiting.exists() and not waiting.filter(session__starts_at__lte=now).exists()
    assert not waiting.filter(queued_at__isnull=True).exists()
    # A queue forms only behind a full session.
    assert not waiting.filter(session__seats_taken__lt=F("session__capacity")).exists()
    offered = Registration.objects.filter(status="offered")
    assert offered.exists()
    assert not offered.filter(Q(offer_expires_at__lte=now) | Q(offer_token_digest="")).exists()
    assert Registration.objects.filter(status="cancelled", cancelled_at__isnull=False).exists()


def test_the_staff_cancelled_a_date_and_a_camp_opens_its_registration_soon(seeded):
    now = timezone.now()
    cancelled = Session.objects.get(status="cancelled")
    assert cancelled.cancelled_reason and cancelled.seats_taken == 0
    assert set(cancelled.registrations.values_list("status", flat=True)) == {"cancelled"}

    camp = Session.objects.filter(registration_opens_at__gt=now)
    assert camp.exists() and not Registration.objects.filter(session__in=camp).exists()


def test_the_guardian_login_has_two_children_registered_and_guardians_hold_their_role(seeded):
    guardian = User.objects.get(email=GUARDIAN)
    children = Child.objects.filter(guardian=guardian)

    assert children.count() == 2
    upcoming = Registration.objects.filter(
        child__in=children, status="confirmed", session__starts_at__gt=timezone.now()
    )
    assert upcoming.exists()
    parents = User.objects.filter(children__isnull=False).distinct()
    assert parents.count() > 20
    assert not parents.exclude(groups__name="guardian").exists()
    assert not Child.objects.filter(anonymised_at__isnull=False).exists()  # a single term


def test_passing_a_training_recorded_the_authorisation(seeded):
    passed = Registration.objects.filter(session__event__kind="training", passed=True)

    assert passed.exists()
    for registration in passed:
        assert Authorisation.objects.filter(
            user=registration.attendee, course=registration.session.event.course,
            issued_at=registration.session.ends_at,
        ).exists()  # fmt: skip


def test_the_seeded_catalogue_pages_open(seeded, client):
    listed = list(catalogue_events(filters=CatalogueFilters()))

    assert len(listed) >= 8 and all(e.status == "published" for e in listed)
    assert client.get(reverse("events:list")).status_code == 200
    for event in listed:
        assert client.get(reverse("events:detail", args=[event.slug])).status_code == 200
    feed = client.get(reverse("events:feed")).content.decode()
    assert feed.count("BEGIN:VEVENT") == Session.objects.filter(
        status="scheduled", event__status="published",
        starts_at__lt=timezone.now() + timedelta(days=400),
    ).count()  # fmt: skip


def test_the_large_history_over_three_years(seeded):
    """The large scale's generator, over three years here (ten at scale large)."""
    before = Registration.objects.count()
    first_event = Event.objects.order_by("-pk").values_list("pk", flat=True).first()

    counts = seed_large_history(rng=random.Random(5), years=3, weeks_ahead=4, on_top=True)

    events = Event.objects.filter(pk__gt=first_event)
    registrations = Registration.objects.filter(session__event__in=events)
    written = registrations.count()
    assert written == counts["registrations"] == Registration.objects.count() - before
    assert 14_000 < written < 22_000  # about 6,000 a year: 60,000 in ten years
    assert _inconsistent_sessions(Session.objects.filter(event__in=events)) == []
    assert not _children_out_of_range(registrations).exists()
    ages = set(registrations.filter(kind="child", session__event__kind="children_workshop")
               .values_list("child_age", flat=True))  # fmt: skip
    assert set(range(6, 13)) <= ages
    years = (
        registrations.filter(kind="child", status="confirmed")
        .values("child")
        .annotate(years=Count(ExtractYear("session__starts_at"), distinct=True))
    )
    returning = sum(1 for row in years if row["years"] >= 2)
    assert returning > len(years) / 5  # many come back another year
    anonymised = Child.objects.filter(registrations__session__event__in=events,
                                      anonymised_at__isnull=False).distinct()  # fmt: skip
    assert anonymised.exists()
    assert not anonymised.exclude(first_name="", birth_date__isnull=True, guardian__isnull=True)
    assert not anonymised.filter(commune__isnull=True).exists()  # statistics keep the commune
    assert not Registration.objects.filter(child__in=anonymised, child_age__isnull=True).exists()
    recent = timezone.now() - timedelta(days=700)
    assert not anonymised.filter(registrations__session__starts_at__gt=recent).exists()
    communes = registrations.filter(kind="child").values("child__commune").distinct().count()
    assert communes >= 10
    classes = registrations.filter(kind="school_class")
    assert classes.values("school").distinct().count() >= 15
