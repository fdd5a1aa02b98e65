"""The projects' demo data: a dozen projects, one at least in every status, whose stories
keep the rules the services enforce (allowed moves by the people allowed to make them,
one accepted quote priced from the FabLab's rates, machine sessions in free time within
opening hours), and a large scale (here two years instead of ten) just as coherent."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from io import StringIO
from itertools import pairwise

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db.models import Exists, OuterRef
from django.utils import timezone

from fabreck.fablab.models import Booking, Occupancy, PriceGroup
from fabreck.fablab.selectors import hourly_rate_for, price_round
from fabreck.projects.models import (
    TRANSITIONS,
    Project,
    ProjectBooking,
    Quote,
    StaffTime,
)
from fabreck.projects.selectors import project_statistics, user_speaks_for_project

pytestmark = pytest.mark.django_db

STAFF_MOVES = {"quoted", "declined", "in_progress", "delivered", "closed"}
REQUESTER_MOVES = {"accepted", "requested"}


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seeded once for the tests that only read; emptied afterwards."""
    with django_db_blocker.unblock():
        call_command("seed", "--scale", "demo", "--fresh", stdout=StringIO())
        yield
        call_command("flush", interactive=False, verbosity=0)


def _check_stories(projects) -> None:
    """Each project's moves follow TRANSITIONS from its request to its status, in time,
    each made by someone who may make it; its quotes and sessions fit its story."""
    now = timezone.now()
    for project in projects.select_related("site", "organisation", "requested_by"):
        changes = list(project.status_changes.order_by("changed_at", "pk"))
        assert changes[0].from_status == "" and changes[0].to_status == "requested"
        assert changes[0].changed_at == project.created_at
        assert changes[0].changed_by_id == project.requested_by_id
        for before, after in pairwise(changes):
            assert after.from_status == before.to_status, project
            assert after.to_status in TRANSITIONS[after.from_status], project
            assert before.changed_at < after.changed_at <= now
        for change in changes[1:]:
            if change.to_status in STAFF_MOVES:
                assert change.changed_by.has_perm("accounts.run_site"), project
            elif change.to_status in REQUESTER_MOVES:
                assert user_speaks_for_project(user=change.changed_by, project=project)
        assert changes[-1].to_status == project.status
        if len(changes) > 1:
            assert project.status_changed_at == changes[-1].changed_at
        if project.status == "declined":
            assert project.decline_reason and changes[-1].note == project.decline_reason
        moved = {c.to_status: c.changed_at for c in changes}
        if "delivered" in moved:
            assert project.delivered_at == moved["delivered"]

        quotes = list(project.quotes.order_by("version"))
        accepted = [q for q in quotes if q.status == "accepted"]
        reached_acceptance = "accepted" in moved
        assert len(accepted) == (1 if reached_acceptance else 0), project
        if reached_acceptance:
            assert accepted[0] == quotes[-1]
            assert accepted[0].decided_at == moved["accepted"]
        assert [q.version for q in quotes] == list(range(1, len(quotes) + 1))
        if "quoted" in moved:
            assert quotes and project.site_id and project.lead_id

        links = ProjectBooking.objects.filter(project=project).select_related("booking")
        if links:
            assert "in_progress" in moved or project.status == "accepted"
        for link in links:
            booking = link.booking
            assert booking.project_reference == project.reference
            assert booking.resource.site_id == project.site_id
            assert booking.status == "confirmed" and booking.kind == "booking"
            assert booking.organisation_id == project.organisation_id
            if "in_progress" in moved:
                assert booking.starts_at > moved["in_progress"]
            if project.delivered_at:
                assert booking.ends_at < project.delivered_at
            if booking.starts_at > now:
                assert booking.checked_in_at is None
            assert booking.occupancies.filter(resource=booking.resource).exists()


def test_the_demo_has_a_dozen_projects_in_every_status(seeded):
    projects = Project.objects.all()

    assert 12 <= projects.count() <= 15
    assert set(projects.values_list("status", flat=True)) == set(TRANSITIONS)
    kinds = set(projects.values_list("requester_kind", flat=True))
    assert {"nonprofit", "sme", "large_group", "startup", "individual"} <= kinds
    assert set(projects.values_list("site__slug", flat=True)) >= {"esch", "differdange"}
    assert projects.filter(confidential=True).count() == 1
    individual = projects.get(requester_kind="individual")
    assert individual.organisation is None
    assert individual.requested_by.email == "maker@demo.fabreck.lu"
    admin = projects.filter(requested_by__email="organisation-admin@demo.fabreck.lu")
    assert admin.count() == 2
    assert projects.get(status="declined").decline_reason.startswith("A series production")


def test_the_demo_stories_keep_the_rules(seeded):
    _check_stories(Project.objects.all())


def test_quotes_are_versioned_and_priced_from_the_fablab_rates(seeded):
    statuses = set(Quote.objects.values_list("status", flat=True))
    assert statuses == {"sent", "accepted", "superseded", "rejected"}
    vat = Decimal(settings.PROJECTS_VAT_RATE)
    for quote in Quote.objects.prefetch_related("lines__resource", "lines__material"):
        lines = list(quote.lines.all())
        assert {line.kind for line in lines} >= {"machine", "staff"}
        assert quote.net_total == sum(line.total for line in lines)
        assert quote.vat_total == price_round(quote.net_total * vat / 100)
        assert quote.gross_total == quote.net_total + quote.vat_total
        group = PriceGroup.objects.get(pk=quote.price_group_id)
        for line in lines:
            assert line.total == price_round(line.quantity * line.unit_price) > 0
            if line.kind == "machine":
                assert line.unit_price == hourly_rate_for(resource=line.resource, price_group=group)
                assert line.resource.site_id == quote.project.site_id
            elif line.kind == "material":
                assert line.unit_price == line.material.unit_price
                assert line.material.site_id == quote.project.site_id
            else:
                assert line.unit_price == Decimal(settings.PROJECTS_STAFF_HOURLY_RATE)


def test_work_done_shows_in_bookings_materials_and_staff_time(seeded):
    now = timezone.now()
    for project in Project.objects.filter(status__in=("in_progress", "delivered", "closed")):
        bookings = Booking.objects.filter(project_link__project=project)
        past = bookings.filter(ends_at__lte=now)
        assert past.exists(), project
        assert not past.filter(checked_in_at__isnull=True).exists()
        assert not past.filter(checked_out_at__isnull=True).exists()
        assert StaffTime.objects.filter(project=project).exists()
    delivered = Booking.objects.filter(project_link__project__status__in=("delivered", "closed"))
    assert delivered.filter(materials__isnull=False).exists()
    assert not delivered.filter(ends_at__gt=now).exists()
    ahead = Booking.objects.filter(project_link__project__status="accepted")
    assert ahead.exists() and not ahead.filter(starts_at__lte=now).exists()
    in_progress = Booking.objects.filter(project_link__project__status="in_progress")
    assert in_progress.filter(checked_out_at__isnull=False).exists()


def test_project_sessions_are_in_free_time_within_opening_hours(seeded):
    overlapping = Occupancy.objects.filter(
        Exists(
            Occupancy.objects.filter(
                resource_id=OuterRef("resource_id"),
                starts_at__lt=OuterRef("ends_at"),
                ends_at__gt=OuterRef("starts_at"),
            ).exclude(pk=OuterRef("pk"))
        )
    )
    assert not overlapping.exists()
    hours = defaultdict(list)
    from fabreck.fablab.models import Closure, OpeningHours

    for row in OpeningHours.objects.all():
        hours[(row.site_id, row.weekday)].append((row.opens, row.closes))
    closures = list(Closure.objects.values_list("site_id", "starts_on", "ends_on"))
    for booking in Booking.objects.filter(project_link__isnull=False).select_related("resource"):
        starts, ends = timezone.localtime(booking.starts_at), timezone.localtime(booking.ends_at)
        site = booking.resource.site_id
        assert starts.date() == ends.date()
        assert any(
            opens <= starts.time() and ends.time() <= closes
            for opens, closes in hours[(site, starts.weekday())]
        ), booking
        assert not any(s <= starts.date() <= e for pk, s, e in closures if pk == site)


def test_the_statistics_read_the_demo(seeded):
    year = timezone.localdate().year
    stats = project_statistics(first_year=year - 1, last_year=year)

    assert (
        stats.requests_total.total == Project.objects.filter(created_at__year__gte=year - 1).count()
    )
    assert stats.hours_total.total > 0
    done = Project.objects.filter(status__in=("delivered", "closed")).count()
    assert stats.costs_total.projects == done
    assert stats.costs_total.quoted > 0 and stats.costs_total.actual > 0
    assert stats.delivery_total.average_days > 0


def test_seeding_the_projects_twice_is_refused(seeded):
    before = Project.objects.count()

    with pytest.raises(CommandError, match="already"):
        call_command("seed", "--only", "projects", stdout=StringIO())

    assert Project.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_the_large_scale_over_two_years(monkeypatch):
    from fabreck.projects import seeding

    call_command("seed", "--only", "accounts,cluster,fablab", "--fresh", stdout=StringIO())
    monkeypatch.setattr(seeding, "LARGE_YEARS", 2)
    monkeypatch.setattr(seeding, "LARGE_PER_YEAR", (30, 40))

    call_command("seed", "--scale", "large", "--only", "projects", stdout=StringIO())

    projects = Project.objects.all()
    assert projects.count() == 70
    statuses = defaultdict(int)
    for status in projects.values_list("status", flat=True):
        statuses[status] += 1
    assert statuses["closed"] + statuses["delivered"] > 35
    assert statuses["declined"] and statuses["cancelled"]
    assert statuses["closed"] > statuses["delivered"]
    # the open ones are the recent ones
    oldest_open = projects.filter(status__in=("requested", "quoted", "accepted", "in_progress"))
    assert all((timezone.now() - p.created_at).days < 120 for p in oldest_open), (
        "an old project still open"
    )
    assert len(set(projects.values_list("requester_kind", flat=True))) >= 5
    # references follow the order of the requests
    ordered = list(projects.order_by("pk").values_list("created_at", flat=True))
    assert ordered == sorted(ordered)
    _check_stories(projects)
    assert ProjectBooking.objects.count() > 100
    overlapping = Occupancy.objects.filter(
        Exists(
            Occupancy.objects.filter(
                resource_id=OuterRef("resource_id"),
                starts_at__lt=OuterRef("ends_at"),
                ends_at__gt=OuterRef("starts_at"),
            ).exclude(pk=OuterRef("pk"))
        ),
        booking__project_link__isnull=False,
    )
    assert not overlapping.exists()
