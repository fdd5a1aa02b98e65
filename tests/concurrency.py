"""Running calls at the same moment, each on its own database connection, for the
PostgreSQL concurrency tests."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connections


def run_at_once(calls: list[Callable[[], object]]) -> list[object]:
    """Start every call together (behind a barrier), each in its own thread and so its own
    connection; return each call's result or the exception it raised, in order."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=60)
            outcomes[index] = call()
        except Exception as error:  # collected: the tests assert on them
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes
