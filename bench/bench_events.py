"""A registration rush on PostgreSQL: 1,000 guardians register their child for one
children's workshop session of 300 seats at once, through the HTTP API under gunicorn
(2 workers, 32 client threads sharing the 1,000 attempts). Afterwards the database is
asked whether the session was oversold, whether its seat counter matches its
registrations, and whether its waitlist keeps the order of arrival.

    .venv/bin/python bench/run.py events
"""

from __future__ import annotations

import http.client
import io
import itertools
import json
import os
import secrets
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

from harness import BenchError, Figure, benchmark_main, gunicorn, log, report, site_env

GUARDIANS = 1_000
CAPACITY = 300
RUSH_CLIENTS = 32
CHILD_AGE = 8
PATH = "/api/v1/events/registrations/"


def _percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))]


def _setup() -> tuple[int, list[tuple[str, int]]]:
    """A published children's workshop with one open session of CAPACITY seats, and
    GUARDIANS guardians each with one child of CHILD_AGE and an API token. Returns the
    session's id and (token, child id) per guardian."""
    from django.contrib.auth.models import Group
    from django.db import connection, transaction
    from django.utils import timezone

    from fabreck.accounts.models import ApiToken, User
    from fabreck.accounts.services import (
        TOKEN_PREFIX,
        TOKEN_SHOWN_PREFIX_LENGTH,
        api_token_digest,
        roles_sync,
    )
    from fabreck.events.models import Child, Event, Session, TicketCategory

    roles_sync()
    guardian_group = Group.objects.get(name="guardian")
    with transaction.atomic():
        organiser = User.objects.create(email="organiser@bench.test", first_name="Orga")
        event = Event.objects.create(
            slug="bench-robots",
            kind="children_workshop",
            status="published",
            title_en="Build a robot",
            title_fr="Construis un robot",
            title_de="Bau einen Roboter",
            venue="FabLab, 1 rue du Bench, Esch-sur-Alzette",
            audience="children",
            age_min=6,
            age_max=12,
            organiser=organiser,
            max_per_registrant=4,
        )
        TicketCategory.objects.create(event=event, name_en="Child", price=0)
        starts = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=14)
        session = Session.objects.create(
            event=event,
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            capacity=CAPACITY,
            registration_opens_at=timezone.now() - timedelta(days=1),
        )
        now = timezone.now()
        guardians = User.objects.bulk_create(
            [
                User(
                    email=f"guardian{n:04d}@bench.test",
                    first_name=f"Parent{n}",
                    password="!",  # unusable: they only use tokens  # noqa: S106
                    preferred_language=("en", "fr", "de")[n % 3],
                    date_joined=now,
                )
                for n in range(GUARDIANS)
            ]
        )
        User.groups.through.objects.bulk_create(
            [User.groups.through(user_id=g.pk, group_id=guardian_group.pk) for g in guardians]
        )
        today = timezone.localdate()
        born = date(today.year - CHILD_AGE, 1, 15)
        children = Child.objects.bulk_create(
            [
                Child(
                    guardian=g,
                    first_name=f"Kid{n}",
                    birth_date=born,
                    birth_year=born.year,
                    created_at=now,
                    updated_at=now,
                )
                for n, g in enumerate(guardians)
            ]
        )
        secrets_ = [TOKEN_PREFIX + secrets.token_urlsafe(32) for _ in guardians]
        ApiToken.objects.bulk_create(
            [
                ApiToken(
                    user=g,
                    name="bench",
                    prefix=secret[:TOKEN_SHOWN_PREFIX_LENGTH],
                    digest=api_token_digest(secret),
                )
                for g, secret in zip(guardians, secrets_, strict=True)
            ]
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return session.pk, [(s, c.pk) for s, c in zip(secrets_, children, strict=True)]


def _rush(port: int, session_id: int, attempts: list[tuple[str, int]]) -> dict:
    """RUSH_CLIENTS threads share the attempts, each guardian registering their child once.
    Every answer is timed; a 5xx or a broken connection fails the benchmark."""
    lock = threading.Lock()
    state = {"next": 0}
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []
    bad_refusals: list[str] = []

    def client(barrier: threading.Barrier) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        barrier.wait()
        while True:
            with lock:
                index = state["next"]
                state["next"] += 1
            if index >= len(attempts):
                break
            secret, child_id = attempts[index]
            body = json.dumps({"session": session_id, "children": [child_id]})
            headers = {"Authorization": f"Token {secret}", "Content-Type": "application/json"}
            t0 = time.perf_counter()
            try:
                conn.request("POST", PATH, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
                continue
            elapsed = time.perf_counter() - t0
            with lock:
                statuses[response.status] = statuses.get(response.status, 0) + 1
                if response.status == 201 or (
                    400 <= response.status < 500 and _is_error_shape(payload)
                ):
                    latencies.append(elapsed)
                elif len(bad_refusals) < 5:
                    bad_refusals.append(f"HTTP {response.status}: {payload[:200]!r}")
                else:
                    bad_refusals.append("…")
        conn.close()

    barrier = threading.Barrier(RUSH_CLIENTS + 1)
    threads = [
        threading.Thread(target=client, args=(barrier,), daemon=True) for _ in range(RUSH_CLIENTS)
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if errors or bad_refusals:
        raise BenchError(
            f"the rush had failures: answers {statuses}, {len(errors)} connection errors "
            f"{errors[:3]}, unanswered {bad_refusals[:3]}"
        )
    return {"seconds": seconds, "latencies": latencies, "statuses": statuses}


def _baseline(port: int, attempts: list[tuple[str, int]]) -> float:
    """The same clients each GET /api/v1/me/ once per guardian (token auth, DRF, a tiny
    answer): the floor a registration's cost is compared with. Returns the seconds."""
    lock = threading.Lock()
    state = {"next": 0}
    failures: list[str] = []

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                index = state["next"]
                state["next"] += 1
            if index >= len(attempts):
                break
            conn.request(
                "GET", "/api/v1/me/", headers={"Authorization": f"Token {attempts[index][0]}"}
            )
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                failures.append(str(response.status))
        conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(RUSH_CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise BenchError(f"GET /api/v1/me/ failed: {failures[:5]}")
    return time.perf_counter() - started


def _processes() -> list[tuple[int, int, str]]:
    """(pid, parent pid, command line) of every process we can read."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        found.append((int(entry.name), parent, cmdline))
    return found


def _server_pids(port: int) -> dict[str, list[int]]:
    """The gunicorn processes serving `port` and the PostgreSQL processes of the throwaway
    server (by its port), so their CPU time can be read around the rush."""
    db_port = os.environ["DATABASE_URL"].rsplit(":", 1)[-1].split("/")[0]
    processes = _processes()
    masters = []
    for pid, _parent, cmdline in processes:
        if "gunicorn" in cmdline or "fabreck" in cmdline:
            try:
                environ = Path(f"/proc/{pid}/environ").read_bytes()
            except OSError:
                continue
            if f"FABRECK_BIND=127.0.0.1:{port}".encode() in environ:
                masters.append(pid)
    postmasters = [
        pid
        for pid, _p, cmdline in processes
        if "postgres" in cmdline and f"-p {db_port}" in cmdline
    ]
    return {
        "gunicorn": [pid for pid, parent, _c in processes if parent in masters or pid in masters],
        "postgres": [
            pid for pid, parent, _c in processes if parent in postmasters or pid in postmasters
        ],
    }


def _cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def _is_error_shape(payload: bytes) -> bool:
    try:
        error = json.loads(payload)["error"]
    except (ValueError, KeyError, TypeError):
        return False
    return isinstance(error, dict) and "code" in error and "message" in error


def _audit(session_id: int) -> dict:
    """What the database says after the rush."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT capacity, seats_taken FROM events_session WHERE id = %s", [session_id]
        )
        capacity, seats_taken = cursor.fetchone()
        cursor.execute(
            "SELECT status, count(*), coalesce(sum(seats), 0) FROM events_registration"
            " WHERE session_id = %s GROUP BY status",
            [session_id],
        )
        by_status = {status: (count, seats) for status, count, seats in cursor.fetchall()}
        cursor.execute(
            "SELECT queued_at, id FROM events_registration"
            " WHERE session_id = %s AND status = 'waitlisted' ORDER BY id",
            [session_id],
        )
        queue = cursor.fetchall()
        cursor.execute(
            "SELECT count(*) - count(DISTINCT child_id) FROM events_registration"
            " WHERE session_id = %s AND status IN ('confirmed', 'waitlisted', 'offered')",
            [session_id],
        )
        duplicates = cursor.fetchone()[0]
    seated = sum(by_status.get(s, (0, 0))[1] for s in ("confirmed", "offered"))
    # In order of the ids (the order of the inserts), the arrival times strictly increase:
    # the queue's order (queued_at, id) is the order in which the session lock was won.
    out_of_order = sum(1 for a, b in itertools.pairwise(queue) if not a[0] < b[0])
    return {
        "capacity": capacity,
        "seats_taken": seats_taken,
        "seated": seated,
        "by_status": {status: count for status, (count, _seats) in by_status.items()},
        "waitlisted": len(queue),
        "queue_out_of_order": out_of_order,
        "duplicates": duplicates,
    }


def measure(var_dir: Path) -> int:
    env = site_env(
        var_dir=var_dir,
        STATICFILES_STORAGE="django.contrib.staticfiles.storage.StaticFilesStorage",
        # The rush measures registrations, not the API's per-user throttle.
        API_THROTTLE_USER="1000000/minute",
        API_THROTTLE_ANON="1000000/minute",
    )
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    session_id, attempts = _setup()
    log(f"{GUARDIANS} guardians, children and tokens in {time.perf_counter() - t0:.1f} s")

    log(f"rush: {RUSH_CLIENTS} clients, {GUARDIANS} registrations, {CAPACITY} seats")
    with gunicorn(env=env, log_path=var_dir / "gunicorn.log", workers=2) as port:
        # A few reads first, so the rush does not time the workers' imports.
        for _ in range(6):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", PATH, headers={"Authorization": f"Token {attempts[0][0]}"})
            if conn.getresponse().status != 200:
                raise BenchError("the warm-up read of the registrations failed")
            conn.close()
        pids = _server_pids(port)
        cpu_before = {name: _cpu_seconds(group) for name, group in pids.items()}
        rush = _rush(port, session_id, attempts)
        cpu = {
            name: round((_cpu_seconds(group) - cpu_before[name]) * 1000 / GUARDIANS, 2)
            for name, group in pids.items()
        }
        log(f"CPU per registration (ms): {cpu}, processes {pids}")
        cpu_before = {name: _cpu_seconds(group) for name, group in pids.items()}
        baseline_seconds = _baseline(port, attempts)
        baseline_cpu = {
            name: round((_cpu_seconds(group) - cpu_before[name]) * 1000 / GUARDIANS, 2)
            for name, group in pids.items()
        }
        log(
            f"baseline GET /api/v1/me/: {GUARDIANS / baseline_seconds:.0f} req/s,"
            f" CPU per request (ms) {baseline_cpu}"
        )
    audit = _audit(session_id)
    # The e-mails wait in the outbox (no Celery broker here): the periodic job sends them,
    # outside the requests. Every registrant must get exactly one.
    from django.core import mail
    from django.core.management import call_command

    t0 = time.perf_counter()
    call_command("events_mails", stdout=io.StringIO())
    letters = len(getattr(mail, "outbox", []))
    seconds = time.perf_counter() - t0
    log(f"outbox: {letters} e-mails sent by `fabreck events_mails` in {seconds:.1f} s")
    if letters != rush["statuses"].get(201, 0):
        raise BenchError(f"{letters} e-mails sent for {rush['statuses'].get(201, 0)} registrations")
    answered = len(rush["latencies"])
    log(f"rush answers {dict(sorted(rush['statuses'].items()))} in {rush['seconds']:.1f} s")
    log(f"database: {audit}")
    if audit["seats_taken"] != audit["seated"]:
        raise BenchError(
            f"seats_taken {audit['seats_taken']} differs from the seats of confirmed and "
            f"offered registrations {audit['seated']}"
        )
    if audit["queue_out_of_order"]:
        raise BenchError(f"{audit['queue_out_of_order']} waitlist entries out of arrival order")
    if audit["duplicates"]:
        raise BenchError(f"{audit['duplicates']} children registered twice")
    if rush["statuses"].get(201, 0) == 0:
        raise BenchError("the rush registered nobody: it measured refusals only")

    detail = {
        "guardians": GUARDIANS,
        "capacity": CAPACITY,
        "clients": RUSH_CLIENTS,
        "gunicorn_workers": 2,
        "seconds": round(rush["seconds"], 2),
        "answers": {str(k): v for k, v in sorted(rush["statuses"].items())},
        "cpu_ms_per_request": cpu,
        "baseline_me_rps": round(GUARDIANS / baseline_seconds, 1),
        "baseline_me_cpu_ms_per_request": baseline_cpu,
        "load_avg_1m": os.getloadavg()[0],
        **audit,
    }
    report(
        "events",
        [
            Figure(
                "registration_rush_oversold",
                max(0, audit["seated"] - audit["capacity"]),
                "seats",
                "<=",
                0,
                detail,
            ),
            Figure("registration_rush_rps", answered / rush["seconds"], "req/s", ">=", 150, detail),
            Figure(
                "registration_rush_p95_ms",
                _percentile(rush["latencies"], 95) * 1000,
                "ms",
                "<=",
                250,
                detail,
            ),
        ],
    )
    return 0


if __name__ == "__main__":
    sys.exit(benchmark_main(__file__, "events", measure))
