"""Shared pieces of the benchmarks, so each `bench_*.py` only says what it measures.

- figures: `Figure`, `report()` prints `BENCH <name> <value> <unit> target <op><number>`
  lines and writes them as JSON to var/bench/<benchmark>.json; `load_results()` and
  `parse_line()` read them back.
- the site on a real stack: `run_under_postgres()` (a throwaway server through
  scripts/with_postgres.sh), `site_env()`, `fabreck()` (setup commands) and `gunicorn()`.
- load: `http_load()`, a small threaded HTTP client on 127.0.0.1 that measures rps and
  latency percentiles and fails loudly on any non-200 answer.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import operator
import os
import platform
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = PROJECT_DIR / "var" / "bench"
WITH_POSTGRES = PROJECT_DIR / "scripts" / "with_postgres.sh"
# Set by run_under_postgres() for the re-executed child: the database is ours to fill.
THROWAWAY_DB_MARK = "FABRECK_BENCH_THROWAWAY_DB"

OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
}


class BenchError(RuntimeError):
    """A benchmark could not measure what it claims (bad answer, server down, …)."""


def log(message: str) -> None:
    # Progress goes to stderr: stdout carries only the BENCH lines.
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- figures ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str  # ms, s, req/s, ratio, …
    op: str  # one of OPS
    target: float
    detail: dict = field(default_factory=dict)  # how it was measured; JSON only

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise ValueError(f"unknown target operator {self.op!r}")
        if " " in self.name or " " in self.unit:
            raise ValueError("names and units are single words (the BENCH line is split on spaces)")

    @property
    def shown(self) -> str:
        # Ratios need two decimals to be readable; everything else one is enough.
        return f"{self.value:.2f}" if self.unit == "ratio" else f"{self.value:.1f}"

    @property
    def met(self) -> bool:
        return OPS[self.op](float(self.shown), self.target)

    def line(self) -> str:
        return f"BENCH {self.name} {self.shown} {self.unit} target {self.op}{self.target:g}"


def parse_line(line: str) -> Figure | None:
    """The figure of a `BENCH …` line, or None for any other line."""
    parts = line.split()
    if len(parts) != 6 or parts[0] != "BENCH" or parts[4] != "target":
        return None
    op = next((op for op in sorted(OPS, key=len, reverse=True) if parts[5].startswith(op)), None)
    if op is None:
        return None
    return Figure(
        name=parts[1],
        value=float(parts[2]),
        unit=parts[3],
        op=op,
        target=float(parts[5][len(op) :]),
    )


def machine_info() -> dict:
    info: dict = {
        "hostname": platform.node(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "load_avg_1m": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["mem_total_mb"] = int(line.split()[1]) // 1024
                break
    return info


def report(benchmark: str, figures: Sequence[Figure]) -> Path:
    """Print one BENCH line per figure and write them to var/bench/<benchmark>.json."""
    timestamp = datetime.now(UTC).isoformat(timespec="seconds")
    machine = machine_info()
    records = []
    for figure in figures:
        print(figure.line(), flush=True)
        records.append(
            {
                "benchmark": benchmark,
                "name": figure.name,
                "value": float(figure.shown),  # the same number as the printed line
                "unit": figure.unit,
                "target_op": figure.op,
                "target": figure.target,
                "met": figure.met,
                "detail": figure.detail,
                "timestamp": timestamp,
                "machine": machine,
            }
        )
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{benchmark}.json"
    # Write then rename, so a reader never sees half a file.
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(records, indent=2, ensure_ascii=False) + "\n")
    tmp.replace(path)
    return path


def load_results(benchmark: str) -> list[dict]:
    """The records of a benchmark's last run ([] if it never ran)."""
    path = RESULTS_DIR / f"{benchmark}.json"
    return json.loads(path.read_text()) if path.exists() else []


# --- the site on PostgreSQL under gunicorn -----------------------------------------------


def postgres_available() -> bool:
    return any(Path("/usr/lib/postgresql").glob("*/bin/initdb"))


def run_under_postgres(script: str) -> int | None:
    """Re-run `script` inside scripts/with_postgres.sh and return its exit code; None when
    already inside (then DATABASE_URL points at a throwaway server).

    The re-run happens even when DATABASE_URL is already a postgres URL: a benchmark fills
    the database with 200,000 users and must never do that to a database it was handed.
    """
    if os.environ.get(THROWAWAY_DB_MARK) == "1":
        if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
            raise BenchError("expected a postgres DATABASE_URL from scripts/with_postgres.sh")
        return None
    env = {**os.environ, THROWAWAY_DB_MARK: "1"}
    return subprocess.run([str(WITH_POSTGRES), sys.executable, script], env=env).returncode


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def site_env(*, var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a production-like site on plain HTTP at 127.0.0.1."""
    env = dict(os.environ)
    # Nothing from the caller's shell may redirect the benchmark elsewhere.
    for name in ("SECRET_KEY_FILE", "REDIS_URL", "STATICFILES_STORAGE", "CSRF_TRUSTED_ORIGINS"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="fabreck.config.settings",
        DEBUG="0",
        HTTPS="0",
        SECRET_KEY="bench-only",  # noqa: S106  (a throwaway site on 127.0.0.1)
        ALLOWED_HOSTS="127.0.0.1,localhost",
        FABRECK_VAR_DIR=str(var_dir),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        **extra,
    )
    return env


def fabreck_command() -> list[str]:
    script = Path(sys.executable).with_name("fabreck")  # the venv's console script
    return [str(script)] if script.exists() else [sys.executable, "-m", "fabreck"]


def fabreck(*args: str, env: dict[str, str]) -> str:
    """Run `fabreck <args>` and return its stdout; show everything and raise on failure."""
    result = subprocess.run(
        [*fabreck_command(), *args],
        env=env,
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise BenchError(f"`fabreck {' '.join(args)}` failed with exit code {result.returncode}")
    return result.stdout


@contextlib.contextmanager
def gunicorn(
    *, env: dict[str, str], log_path: Path, workers: int = 2, extra_args: Sequence[str] = ()
) -> Iterator[int]:
    """`fabreck serve` on a free port of 127.0.0.1; yields the port once /healthz answers,
    and stops the server afterwards whatever happens."""
    port = free_port()
    # The address goes through FABRECK_BIND: gunicorn's --bind accumulates, so an extra
    # --bind would be added to serve's default 127.0.0.1:8000 rather than replace it.
    # serve logs every request to stdout; a later --access-logfile wins over its "-".
    args = [*fabreck_command(), "serve", "--access-logfile", "/dev/null", *extra_args]
    with log_path.open("w") as log_file:
        server = subprocess.Popen(
            args,
            env={**env, "FABRECK_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers)},
            cwd=PROJECT_DIR,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_up(server, port=port, log_path=log_path)
            yield port
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _wait_until_up(server: subprocess.Popen, *, port: int, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.stderr.write(log_path.read_text())
            raise BenchError(f"gunicorn exited with code {server.returncode} on start")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except (OSError, http.client.HTTPException):
            pass  # not listening yet
        finally:
            conn.close()
        time.sleep(0.2)
    sys.stderr.write(log_path.read_text())
    raise BenchError("gunicorn did not answer /healthz within 60 s")


# --- load ----------------------------------------------------------------------------------


@dataclass
class LoadResult:
    path: str
    concurrency: int
    seconds: float
    latencies: list[float]  # seconds, of the successful requests, sorted
    rounds: int = 1

    @classmethod
    def combined(cls, results: Sequence[LoadResult]) -> LoadResult:
        """Several runs of the same load as one (all their requests, all their time)."""
        return cls(
            path=results[0].path,
            concurrency=results[0].concurrency,
            seconds=sum(r.seconds for r in results),
            latencies=sorted(latency for r in results for latency in r.latencies),
            rounds=sum(r.rounds for r in results),
        )

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile_ms(self, q: float) -> float:
        # Nearest rank: a latency some request really had, no interpolation.
        rank = max(1, math.ceil(q / 100 * len(self.latencies)))
        return self.latencies[rank - 1] * 1000

    def detail(self) -> dict:
        return {
            "path": self.path,
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "rounds": self.rounds,
            "concurrency": self.concurrency,
        }


def http_load(
    *,
    port: int,
    path: str,
    headers: Sequence[dict[str, str]] = ({},),
    concurrency: int = 8,
    warmup_s: float = 1.0,
    duration_s: float = 5.0,
    max_requests: int = 20_000,
    host: str = "127.0.0.1",
) -> LoadResult:
    """GET `path` from `concurrency` threads, each with its own persistent connection and
    headers[i % len(headers)]: a warm-up (if warmup_s), then a measurement bounded by
    `duration_s` and `max_requests`. Any answer but 200 (or a broken connection) raises
    BenchError: a failed request must never be timed as a fast one."""
    conns = [http.client.HTTPConnection(host, port, timeout=30) for _ in range(concurrency)]
    client_headers = [headers[i % len(headers)] for i in range(concurrency)]
    try:
        if warmup_s > 0:
            _load_phase(conns, path, client_headers, duration_s=warmup_s, max_requests=None)
        seconds, latencies = _load_phase(
            conns, path, client_headers, duration_s=duration_s, max_requests=max_requests
        )
    finally:
        for conn in conns:
            conn.close()
    if not latencies:
        raise BenchError(f"GET {path}: no request completed")
    return LoadResult(
        path=path, concurrency=concurrency, seconds=seconds, latencies=sorted(latencies)
    )


def _load_phase(
    conns: list[http.client.HTTPConnection],
    path: str,
    client_headers: list[dict[str, str]],
    *,
    duration_s: float,
    max_requests: int | None,
) -> tuple[float, list[float]]:
    lock = threading.Lock()
    state = {"start": 0.0, "issued": 0}
    latencies: list[list[float]] = [[] for _ in conns]
    errors: list[str] = []
    error_count = [0]

    def start_clock() -> None:  # runs once, when every client is ready
        state["start"] = time.perf_counter()

    barrier = threading.Barrier(len(conns), action=start_clock)

    def client(i: int) -> None:
        conn, headers, mine = conns[i], client_headers[i], latencies[i]
        barrier.wait()
        deadline = state["start"] + duration_s
        while time.perf_counter() < deadline:
            with lock:
                if max_requests is not None and state["issued"] >= max_requests:
                    return
                state["issued"] += 1
            t0 = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()  # the next request reconnects
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if response.status == 200:
                    mine.append(time.perf_counter() - t0)
                    continue
                problem = f"HTTP {response.status}: {body[:200]!r}"
            with lock:
                error_count[0] += 1
                if len(errors) < 5:
                    errors.append(problem)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(len(conns))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - state["start"]
    if error_count[0]:
        raise BenchError(
            f"GET {path}: {error_count[0]} of {state['issued']} requests failed, e.g. "
            + "; ".join(errors)
        )
    return seconds, [latency for mine in latencies for latency in mine]


def benchmark_main(script: str, name: str, measure) -> int:
    """The frame of a PostgreSQL benchmark: skip without PostgreSQL, re-run `script` inside
    a throwaway server, then call `measure(var_dir)` in a temporary folder."""
    import tempfile

    if not postgres_available():
        print(f"bench_{name}: skipped: no PostgreSQL server binaries (/usr/lib/postgresql)")
        return 0
    exit_code = run_under_postgres(script)
    if exit_code is not None:
        return exit_code
    try:
        with tempfile.TemporaryDirectory(prefix="fabreck-bench-") as tmp:
            return measure(Path(tmp))
    except BenchError as exc:
        print(f"bench_{name}: FAILED: {exc}", file=sys.stderr)
        return 1
