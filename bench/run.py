"""Run every benchmark `bench/bench_*.py` (or those named) and sum up.

    .venv/bin/python bench/run.py             # all of them (what `make bench` does)
    .venv/bin/python bench/run.py http        # only bench/bench_http.py
    .venv/bin/python bench/run.py --strict    # a missed target fails the run as well

Exits non-zero when a benchmark crashes (non-zero exit), or with --strict when a figure
misses its target. Each benchmark runs in its own process, so one cannot disturb another.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from harness import PROJECT_DIR, Figure, parse_line

BENCH_DIR = Path(__file__).resolve().parent


def run_one(path: Path) -> tuple[int, list[Figure]]:
    """Run one benchmark, echoing its output; its exit code and the figures it printed."""
    figures = []
    with subprocess.Popen(
        [sys.executable, str(path)], cwd=PROJECT_DIR, stdout=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            figure = parse_line(line)
            if figure is not None:
                figures.append(figure)
    return process.returncode, figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="benchmarks to run, e.g. http (default: all)")
    parser.add_argument("--strict", action="store_true", help="fail when a target is missed")
    args = parser.parse_args(argv)

    found = sorted(BENCH_DIR.glob("bench_*.py"))
    chosen = [p for p in found if not args.names or p.stem.removeprefix("bench_") in args.names]
    unknown = set(args.names) - {p.stem.removeprefix("bench_") for p in found}
    if unknown or not chosen:
        available = ", ".join(p.stem.removeprefix("bench_") for p in found) or "none"
        print(f"unknown benchmark(s): {', '.join(sorted(unknown))}; available: {available}")
        return 2

    crashed, missed = [], []
    for path in chosen:
        print(f"== {path.name}", flush=True)
        code, figures = run_one(path)
        if code != 0:
            crashed.append(f"{path.name} (exit code {code})")
        missed += [f.line() for f in figures if not f.met]

    print(f"== {len(chosen)} benchmark(s) run", flush=True)
    for line in missed:
        print(f"missed target: {line}")
    for name in crashed:
        print(f"CRASHED: {name}")
    return 1 if crashed or (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
