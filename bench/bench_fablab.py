"""The FabLab on PostgreSQL with ten years of bookings (`seed --scale large`):
- availability: free slots of every machine of one site over one week, through the API
  (request, selector, JSON), in-process;
- a booking rush: 32 clients booking overlapping slots of a few machines at once through
  the HTTP API under gunicorn; afterwards the database is asked for overlapping bookings;
- bookings/s through the service against the floor of bare INSERTs into the same tables
  under the same constraint.

    .venv/bin/python bench/run.py fablab
"""

from __future__ import annotations

import http.client
import json
import os
import random
import statistics
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

from harness import (
    BenchError,
    Figure,
    benchmark_main,
    gunicorn,
    log,
    report,
    site_env,
)

AVAILABILITY_ROUNDS = 40
RUSH_CLIENTS = 32
RUSH_SECONDS = 20
RUSH_MACHINES = 4
FLOOR_BOOKINGS = 400


def _percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))]


def _overlapping_pairs(connection, resource_ids: list[int]) -> int:
    """Pairs of occupancies of one resource sharing time, counted by the database."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM fablab_occupancy a JOIN fablab_occupancy b
              ON a.resource_id = b.resource_id AND a.id < b.id
             AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
             WHERE a.resource_id = ANY(%s)
            """,
            [resource_ids],
        )
        return cursor.fetchone()[0]


def measure(var_dir: Path) -> int:
    env = site_env(
        var_dir=var_dir,
        STATICFILES_STORAGE="django.contrib.staticfiles.storage.StaticFilesStorage",
        # The rush measures bookings, not the API's per-user throttle.
        API_THROTTLE_USER="1000000/minute",
        API_THROTTLE_ANON="1000000/minute",
    )
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    log("seed --scale large --only accounts,cluster,fablab (ten years of bookings)")
    call_command(
        "seed", scale="large", only="accounts,cluster,fablab", stdout=open(os.devnull, "w")
    )
    seed_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    from fabreck.accounts.models import User
    from fabreck.accounts.services import api_token_create
    from fabreck.fablab.models import Authorisation, Booking, Occupancy, Resource, Site
    from fabreck.fablab.services import booking_create

    bookings_total = Booking.objects.count()
    log(f"{bookings_total:,} bookings seeded in {seed_seconds:.0f} s")
    if bookings_total < 100_000:
        raise BenchError(f"only {bookings_total} bookings: the large seed did not run")

    # --- availability of a whole site over one week ---------------------------------------
    client = Client(HTTP_HOST="127.0.0.1")
    rng = random.Random(7)
    sites = list(Site.objects.order_by("slug"))
    today = timezone.localdate()
    timings, slots_found = [], 0
    for round_number in range(AVAILABILITY_ROUNDS + 4):
        site = sites[round_number % len(sites)]
        # Weeks spread over the ten years of history, and the weeks to come.
        monday = today - timedelta(days=today.weekday() + 7 * rng.randint(-4, 520))
        start = timezone.make_aware(datetime.combine(monday, datetime.min.time()))
        params = {
            "site": site.slug,
            "start": start.isoformat(),
            "end": (start + timedelta(days=7)).isoformat(),
        }
        t0 = time.perf_counter()
        response = client.get("/api/v1/fablab/availability/", params)
        elapsed = (time.perf_counter() - t0) * 1000
        if response.status_code != 200:
            raise BenchError(f"availability {params}: HTTP {response.status_code}")
        if round_number >= 4:
            timings.append(elapsed)
            slots_found += sum(len(r["free"]) for r in response.json()["resources"])
    machines_per_site = Resource.objects.filter(site=sites[0]).count()

    # --- the rush through gunicorn ------------------------------------------------------
    site = sites[0]
    site.weekly_quota_hours = 500  # the rush is about collisions, not about quotas
    site.max_days_ahead = 60
    site.save()
    # A few machines of the site's largest category: makers want the same printers.
    available = Resource.objects.filter(
        site=site, kind="machine", status="available", is_bookable=True
    ).order_by("pk")
    counts: dict[int, int] = {}
    for category_id in available.values_list("category_id", flat=True):
        counts[category_id] = counts.get(category_id, 0) + 1
    category_id = max(counts, key=counts.get)
    machines = list(available.filter(category_id=category_id)[:RUSH_MACHINES])
    if len(machines) < 2:
        raise BenchError("the seeded site has fewer than two machines of one category")
    makers = list(User.objects.filter(groups__name="maker").order_by("pk")[:RUSH_CLIENTS])
    tokens = [api_token_create(user=maker, name="bench")[1] for maker in makers]
    # The rush is about collisions: every client holds the trainings these machines need.
    courses = {course for machine in machines for course in machine.required_courses.all()}
    Authorisation.objects.bulk_create(
        [
            Authorisation(user=maker, course=course, evidence="bench", issued_at=timezone.now())
            for maker in makers
            for course in courses
        ]
    )
    hours = list(site.opening_hours.all())
    candidate_slots = []
    for day_offset in range(15, 45):
        day = today + timedelta(days=day_offset)
        closed = site.closures.filter(starts_on__lte=day, ends_on__gte=day).exists()
        for interval in hours:
            if interval.weekday != day.weekday() or closed:
                continue
            opens = timezone.make_aware(datetime.combine(day, interval.opens))
            closes = timezone.make_aware(datetime.combine(day, interval.closes))
            slot = opens
            while slot + timedelta(hours=1) <= closes:
                candidate_slots.append(slot)
                slot += timedelta(minutes=30)  # 1-hour slots every 30 min: they overlap
    before = Booking.objects.filter(resource__in=machines, status="confirmed").count()

    statuses: dict[int, int] = {}
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def rush_client(index: int, port: int, barrier: threading.Barrier) -> None:
        own_rng = random.Random(index)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Token {tokens[index]}", "Content-Type": "application/json"}
        barrier.wait()
        deadline = time.perf_counter() + RUSH_SECONDS
        while time.perf_counter() < deadline:
            start = own_rng.choice(candidate_slots)
            body = json.dumps(
                {
                    "resource": own_rng.choice(machines).slug,
                    "starts_at": start.isoformat(),
                    "ends_at": (start + timedelta(hours=1)).isoformat(),
                }
            )
            t0 = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/fablab/bookings/", body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
                continue
            with lock:
                latencies.append(time.perf_counter() - t0)
                statuses[response.status] = statuses.get(response.status, 0) + 1
                if response.status >= 500 and len(errors) < 5:
                    errors.append(f"HTTP {response.status}: {payload[:200]!r}")
        conn.close()

    log(f"rush: {RUSH_CLIENTS} clients, {len(machines)} machines, {RUSH_SECONDS} s")
    with gunicorn(env=env, log_path=var_dir / "gunicorn.log", workers=4) as port:
        barrier = threading.Barrier(RUSH_CLIENTS)
        threads = [
            threading.Thread(target=rush_client, args=(i, port, barrier), daemon=True)
            for i in range(RUSH_CLIENTS)
        ]
        rush_started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        rush_seconds = time.perf_counter() - rush_started
    if errors or any(code >= 500 for code in statuses):
        raise BenchError(f"the rush had failures: {statuses} {errors[:5]}")
    double_bookings = _overlapping_pairs(connection, [m.pk for m in machines])
    booked = Booking.objects.filter(resource__in=machines, status="confirmed").count() - before
    log(f"rush answers {dict(sorted(statuses.items()))}, {booked} bookings made")
    if booked == 0:
        raise BenchError("the rush booked nothing: it measured refusals only")

    # --- service against the floor of bare inserts -----------------------------------
    floor_machine = Resource.objects.create(
        site=site, kind="machine", category=machines[0].category, name="Bench floor",
        slug="bench-floor", is_bookable=True,
    )  # fmt: skip
    service_machine = Resource.objects.create(
        site=site, kind="machine", category=machines[0].category, name="Bench service",
        slug="bench-service", is_bookable=True,
    )  # fmt: skip
    staff = makers[0]
    staff.is_superuser = True  # staff override: the sequence runs day and night
    staff.save()
    first = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=400)
    from django.db import transaction

    t0 = time.perf_counter()
    for n in range(FLOOR_BOOKINGS):
        start = first + timedelta(hours=n)
        with transaction.atomic():
            booking = Booking.objects.create(
                resource=floor_machine, kind="block", starts_at=start,
                ends_at=start + timedelta(hours=1), booked_by=staff,
            )  # fmt: skip
            Occupancy.objects.create(
                booking=booking, resource=floor_machine, starts_at=start,
                ends_at=start + timedelta(hours=1),
            )  # fmt: skip
    floor_rate = FLOOR_BOOKINGS / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for n in range(FLOOR_BOOKINGS):
        start = first + timedelta(hours=n)
        booking_create(
            by=staff, maker=makers[1], resource=service_machine, starts_at=start,
            ends_at=start + timedelta(hours=1), override=True,
        )  # fmt: skip
    service_rate = FLOOR_BOOKINGS / (time.perf_counter() - t0)

    requests_made = sum(statuses.values())
    rush_detail = {
        "clients": RUSH_CLIENTS,
        "machines": len(machines),
        "seconds": round(rush_seconds, 1),
        "requests": requests_made,
        "answers": {str(k): v for k, v in sorted(statuses.items())},
        "bookings_made": booked,
        "gunicorn_workers": 4,
    }
    report(
        "fablab",
        [
            Figure(
                "availability_week_p50_ms",
                statistics.median(timings),
                "ms",
                "<=",
                10,
                {
                    "rounds": len(timings),
                    "resources_per_site": machines_per_site,
                    "bookings": bookings_total,
                    "free_slots_returned": slots_found,
                },
            ),
            Figure(
                "availability_week_p95_ms",
                _percentile(timings, 95),
                "ms",
                "<=",
                20,
                {"rounds": len(timings), "bookings": bookings_total},
            ),
            Figure("booking_rush_double_bookings", double_bookings, "pairs", "<=", 0, rush_detail),
            Figure(
                "booking_rush_rps", requests_made / rush_seconds, "req/s", ">=", 50, rush_detail
            ),
            Figure(
                "booking_rush_p95_ms",
                _percentile(latencies, 95) * 1000,
                "ms",
                "<=",
                500,
                rush_detail,
            ),
            Figure(
                "booking_vs_insert_floor",
                service_rate / floor_rate,
                "ratio",
                ">=",
                0.1,
                {
                    "service_bookings_per_s": round(service_rate, 1),
                    "bare_inserts_per_s": round(floor_rate, 1),
                    "bookings": FLOOR_BOOKINGS,
                },
            ),
        ],
    )
    return 0


if __name__ == "__main__":
    sys.exit(benchmark_main(__file__, "fablab", measure))
