"""The data generator's registry. Each app registers a seeder for the models it owns.

Seeders run in `order`, each given the scale ("demo" or "large") and a seeded random
generator, so the same command always produces the same data.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

SCALES = ("demo", "large")


@dataclass(frozen=True)
class Seeder:
    name: str
    run: Callable[..., dict[str, int]]  # run(*, scale, rng, stdout) -> {label: rows created}
    order: int


_seeders: dict[str, Seeder] = {}


def seeder_register(*, name: str, order: int) -> Callable:
    def decorator(func: Callable[..., dict[str, int]]) -> Callable[..., dict[str, int]]:
        _seeders[name] = Seeder(name=name, run=func, order=order)
        return func

    return decorator


def seeders() -> list[Seeder]:
    return sorted(_seeders.values(), key=lambda s: (s.order, s.name))


def seed_rng(*, seed: int, name: str) -> random.Random:
    # One generator per seeder: adding a seeder never shifts another one's data.
    return random.Random(f"{seed}:{name}")
