"""The project gallery over 20,000 published documentations on PostgreSQL, measured
in-process:
- gallery search: words typed by a visitor, each with one filter (machine, material,
  sector, licence or site), through the selector (`gallery_search`: its options, the count
  and one page of cards) — the figure the issue sets a target for;
- the same searches as the HTML page (Django's test client: SQL plus rendering), and the
  number of queries a page issues.

The data: the FabLab's large fleet (79 machines and spaces, their materials; no booking
history, which the gallery never reads), the large accounts and cluster (200,000 makers,
20,000 organisations), then the gallery's large seed: 20,000 published documentations over
ten years with their steps, machine and material links.

    .venv/bin/python bench/run.py projects
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from pathlib import Path

from harness import BenchError, Figure, benchmark_main, log, report, site_env

# (words, filter, value): value None = the first option of that filter whose key starts
# with the given prefix (material keys are slugs of the catalogue's names).
QUERIES = (
    ("lamp", "machine", "laser-cutter"),
    ("plywood", "site", "esch"),
    ("enclosure", "material", "aluminium-sheet"),
    ("festival", "licence", "cc-by-sa"),
    ("modular stand", "sector", "architecture"),
    ("cafe", "machine", "3d-printer"),
    ("birch", "machine", "large-cnc"),
    ("museum model", "site", "differdange"),
    ("stool", "material", "oak-board"),
    ("print", "licence", "cc0"),
    ("découpe laser", "sector", "design"),
    ("Schrank", "site", "esch"),
    ("box", "material", "pla-filament"),
    ("school", "machine", "waterjet"),
    ("foldable", "licence", "cc-by-nc-sa"),
    ("acrylic sign", "sector", "marketing-communication"),
    ("drone frame", "material", "petg-filament"),
    ("game", "sector", "games"),
    ("clock", "site", "differdange"),
    ("parametric", "machine", "vinyl-cutter"),
)
ROUNDS = 15
WARMUP_ROUNDS = 2
TARGET_P95_MS = 30


def _seed(stdout) -> dict[str, int]:
    """The FabLab's fleet first (no users yet: its seeder then builds sites, machines and
    materials only), then the large accounts, cluster and gallery."""
    from fabreck.core.seeding import seed_rng, seeders

    by_name = {seeder.name: seeder for seeder in seeders()}
    counts: dict[str, int] = {}
    for name in ("fablab", "accounts", "cluster", "gallery"):
        started = time.perf_counter()
        result = by_name[name].run(scale="large", rng=seed_rng(seed=2026, name=name), stdout=stdout)
        log(f"seed {name}: {result} ({time.perf_counter() - started:.0f} s)")
        counts.update({f"{name}: {label}": n for label, n in result.items()})
    return counts


def _resolve(options, name: str, value: str) -> str:
    if name != "material":
        return value
    for option in options.materials:
        if option.value.startswith(value):
            return option.value
    raise BenchError(f"no material starts with {value!r}")


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

    from fabreck.projects.models import Documentation
    from fabreck.projects.selectors import GalleryFilters, gallery_options, gallery_search

    call_command("migrate", verbosity=0)
    log("seed: FabLab fleet, 200,000 makers, 20,000 organisations, 20,000 documentations")
    _seed(open(os.devnull, "w"))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    published = Documentation.objects.filter(status="published").count()
    if published < 20_000:
        raise BenchError(f"only {published} published documentations: the seed did not run")

    options = gallery_options()
    queries = [(q, name, _resolve(options, name, value)) for q, name, value in QUERIES]

    def filters_of(q: str, name: str, value: str) -> GalleryFilters:
        return GalleryFilters(query=q, **{name: value})

    found = {}
    for q, name, value in queries:
        found[f"{q} + {name}"] = gallery_search(
            filters=filters_of(q, name, value)
        ).page.paginator.count
    log("results per query: " + ", ".join(f"{k!r} {n}" for k, n in found.items()))
    if sum(1 for n in found.values() if n) < len(found) // 2:
        raise BenchError("most queries found nothing: the benchmark would time empty pages")

    client = Client(HTTP_HOST="127.0.0.1")
    q, name, value = queries[0]
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/gallery/", {"q": q, name: value})
    if response.status_code != 200:
        raise BenchError(f"/gallery/: HTTP {response.status_code}")
    queries_per_page = len(ctx.captured_queries)

    rng = random.Random(7)
    selector_timings, page_timings = [], []
    for round_number in range(WARMUP_ROUNDS + ROUNDS):
        order = list(queries)
        rng.shuffle(order)
        for q, name, value in order:
            started = time.perf_counter()
            result = gallery_search(filters=filters_of(q, name, value))
            _count = result.page.paginator.count
            elapsed = (time.perf_counter() - started) * 1000
            started = time.perf_counter()
            response = client.get("/gallery/", {"q": q, name: value})
            page_elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise BenchError(f"HTTP {response.status_code} for {q!r} + {name}")
            if round_number >= WARMUP_ROUNDS:
                selector_timings.append(elapsed)
                page_timings.append(page_elapsed)
    selector_timings.sort()
    page_timings.sort()

    def percentile(values: list[float], q: float) -> float:
        # Nearest rank: a time some search really took.
        rank = max(1, -(-len(values) * q // 100))
        return values[int(rank) - 1]

    detail = {
        "searches": len(selector_timings),
        "queries": len(queries),
        "documentations": published,
        "what": "gallery_search(): options, count and one page of 18 cards, one filter each",
    }
    page_detail = {**detail, "what": "GET /gallery/ through Django's test client"}
    report(
        "projects",
        [
            Figure(
                "gallery_search_p95_ms",
                percentile(selector_timings, 95),
                "ms",
                "<=",
                TARGET_P95_MS,
                detail,
            ),
            Figure(
                "gallery_search_p50_ms",
                statistics.median(selector_timings),
                "ms",
                "<=",
                15,
                detail,
            ),
            Figure(
                "gallery_page_p95_ms", percentile(page_timings, 95), "ms", "<=", 60, page_detail
            ),
            Figure("gallery_queries_per_page", queries_per_page, "queries", "<=", 12, page_detail),
        ],
    )
    return 0


if __name__ == "__main__":
    sys.exit(benchmark_main(__file__, "projects", measure))
