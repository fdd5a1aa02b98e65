"""The cluster over 20,000 organisations on PostgreSQL, measured in-process:
- directory search with two facets, the SQL plus the page render (Django's test client);
- matchmaking: ranking partners for one free-text need, and complements of a member.

    .venv/bin/python bench/run.py cluster
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

from harness import (
    BenchError,
    Figure,
    benchmark_main,
    log,
    report,
    site_env,
)

# Queries a member types (in the three languages), each with two facets: a sector and a
# commune. Several are cross-language (the taxonomy's synonyms do the work).
QUERIES = (
    ("design", "design", "luxembourg"),
    ("menuisier", "art-crafts", "luxembourg"),
    ("Schreiner", "art-crafts", "esch-sur-alzette"),
    ("son", "film-audiovisual", "luxembourg"),
    ("sound design", "film-audiovisual", "differdange"),
    ("animation 3D", "film-audiovisual", "luxembourg"),
    ("architecte", "architecture", "luxembourg"),
    ("Innenarchitektur", "architecture", "strassen"),
    ("branding", "marketing-communication", "luxembourg"),
    ("réseaux sociaux", "marketing-communication", "esch-sur-alzette"),
    ("game", "games", "luxembourg"),
    ("mode", "fashion", "luxembourg"),
    ("studio", "new-media", "luxembourg"),
    ("impression 3D", "new-media", "differdange"),
    ("Webentwicklung", "new-media", "luxembourg"),
    ("photo", "design", "hesperange"),
)
ROUNDS = 15  # every query this many times: 240 timed requests
NEEDS = (
    "We need a 3D animator and a sound designer for a museum installation",
    "Nous cherchons un menuisier et un graphiste pour un stand d'exposition",
    "Wir suchen Webentwicklung und Grafikdesign für eine neue Marke",
    "branding, copywriting and social media for a festival",
    "une styliste et une modéliste pour une collection capsule",
    "Innenarchitektur und Lichtplanung für ein Café",
    "game design, level design et développement Unity",
    "photography and video editing for a corporate film",
)
WARMUP_ROUNDS = 2


def measure(var_dir: Path) -> int:
    os.environ.update(
        site_env(
            var_dir=var_dir,
            STATICFILES_STORAGE="django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from fabreck.cluster.selectors import DirectoryFilters, directory_search

    call_command("migrate", verbosity=0)
    log("seed --scale large (20,000 organisations)")
    call_command("seed", scale="large", only="accounts,cluster", stdout=open(os.devnull, "w"))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    client = Client(HTTP_HOST="127.0.0.1")
    found = {}
    for query, sector, commune in QUERIES:
        params = {"q": query, "sector": sector, "commune": commune}
        response = client.get("/directory/", params)
        if response.status_code != 200:
            raise BenchError(f"/directory/ {params}: HTTP {response.status_code}")
        filters = DirectoryFilters(query=query, sectors=(sector,), communes=(commune,))
        found[query] = directory_search(filters=filters).page.paginator.count
    log("results per query: " + ", ".join(f"{q!r} {n}" for q, n in found.items()))
    if sum(found.values()) == 0:
        raise BenchError("no query found anything: the benchmark would time empty pages")

    with CaptureQueriesContext(connection) as ctx:
        client.get("/directory/", {"q": "design", "sector": "design", "commune": "luxembourg"})
    queries_per_page = len(ctx.captured_queries)

    timings = []
    for round_number in range(WARMUP_ROUNDS + ROUNDS):
        for query, sector, commune in QUERIES:
            started = time.perf_counter()
            response = client.get("/directory/", {"q": query, "sector": sector, "commune": commune})
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise BenchError(f"HTTP {response.status_code} for {query!r}")
            if round_number >= WARMUP_ROUNDS:
                timings.append(elapsed)
    timings.sort()

    from fabreck.cluster.matchmaking import complements_of, matches_for_need
    from fabreck.cluster.models import Organisation

    need_timings, complement_timings = [], []
    members = list(Organisation.objects.filter(status="member").order_by("pk")[:: 20_000 // 40])
    for round_number in range(WARMUP_ROUNDS + ROUNDS):
        for need in NEEDS:
            started = time.perf_counter()
            _needed, matches = matches_for_need(text=need)
            elapsed = (time.perf_counter() - started) * 1000
            if not matches:
                raise BenchError(f"no partner found for {need!r}")
            if round_number >= WARMUP_ROUNDS:
                need_timings.append(elapsed)
    for member in members:
        started = time.perf_counter()
        complements_of(organisation=member)
        complement_timings.append((time.perf_counter() - started) * 1000)
    need_timings.sort()
    complement_timings.sort()

    def percentile(q: float, values: list[float] | None = None) -> float:
        values = timings if values is None else values
        return values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))]

    detail = {"requests": len(timings), "organisations": 20_000, "queries": len(QUERIES)}
    need_detail = {"needs": len(NEEDS), "runs": len(need_timings), "organisations": 20_000}
    report(
        "cluster",
        [
            Figure("directory_search_p50_ms", statistics.median(timings), "ms", "<=", 15, detail),
            Figure("directory_search_p95_ms", percentile(95), "ms", "<=", 30, detail),
            Figure("directory_queries_per_page", queries_per_page, "queries", "<=", 15, detail),
            Figure(
                "matchmaking_p50_ms", statistics.median(need_timings), "ms", "<=", 50, need_detail
            ),
            Figure(
                "matchmaking_p95_ms", percentile(95, need_timings), "ms", "<=", 100, need_detail
            ),
            Figure(
                "complements_p95_ms",
                percentile(95, complement_timings),
                "ms",
                "<=",
                100,
                {"members": len(complement_timings)},
            ),
        ],
    )
    return 0


if __name__ == "__main__":
    sys.exit(benchmark_main(__file__, "cluster", measure))
