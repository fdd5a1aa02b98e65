"""`fabreck seed --scale demo|large`: deterministic, coherent data for every model."""

from __future__ import annotations

import time

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from fabreck.core.seeding import SCALES, seed_rng, seeders


class Command(BaseCommand):
    help = "Fill the database with demo data (demo) or benchmark data (large)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--scale", choices=SCALES, default="demo")
        parser.add_argument("--seed", type=int, default=2026, help="random seed")
        parser.add_argument(
            "--fresh", action="store_true", help="empty the database first (asks no question)"
        )

    def handle(self, *args, scale: str, seed: int, fresh: bool, **options) -> None:
        if fresh:
            call_command("flush", interactive=False, verbosity=0)
            call_command("migrate", verbosity=0)  # re-creates the roles' groups
        elif get_user_model().objects.exists():
            raise CommandError(
                "The database already holds users; run with --fresh to replace them."
            )
        started = time.monotonic()
        for seeder in seeders():
            t0 = time.monotonic()
            counts = seeder.run(
                scale=scale, rng=seed_rng(seed=seed, name=seeder.name), stdout=self.stdout
            )
            summary = ", ".join(f"{n:,} {label}" for label, n in counts.items())
            self.stdout.write(f"  {seeder.name}: {summary} ({time.monotonic() - t0:.1f} s)")
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded scale '{scale}' (seed {seed}) in {time.monotonic() - started:.1f} s."
            )
        )
