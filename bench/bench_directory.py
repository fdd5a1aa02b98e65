"""Directory search over 20,000 organisations on PostgreSQL: a query with two facets, the
SQL plus the page render, measured in-process through Django's test client.

    .venv/bin/python bench/run.py directory
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from harness import (
    BenchError,
    Figure,
    log,
    postgres_available,
    report,
    run_under_postgres,
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
WARMUP_ROUNDS = 2


def main() -> int:
    if not postgres_available():
        print("bench_directory: skipped: no PostgreSQL server binaries")
        return 0
    exit_code = run_under_postgres(__file__)
    if exit_code is not None:
        return exit_code
    with tempfile.TemporaryDirectory(prefix="fabreck-bench-") as tmp:
        return measure(Path(tmp))


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
    call_command("seed", scale="large", stdout=open(os.devnull, "w"))
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

    def percentile(q: float) -> float:
        return timings[min(len(timings) - 1, round(q / 100 * (len(timings) - 1)))]

    detail = {"requests": len(timings), "organisations": 20_000, "queries": len(QUERIES)}
    report(
        "directory",
        [
            Figure("directory_search_p50_ms", statistics.median(timings), "ms", "<=", 15, detail),
            Figure("directory_search_p95_ms", percentile(95), "ms", "<=", 30, detail),
            Figure("directory_queries_per_page", queries_per_page, "queries", "<=", 15, detail),
        ],
    )
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench_directory: FAILED: {exc}", file=sys.stderr)
        sys.exit(1)
