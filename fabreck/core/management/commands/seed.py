"""`fabreck seed --scale demo|large`: deterministic, coherent data for every model.

`--only fablab` (or `--only accounts,cluster`) runs just those seeders, e.g. to benchmark
one app without waiting for another's large data; what they need must be seeded already.
A name also selects its app's other seeders: `cluster` runs `cluster-portfolio` too.
"""

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
        parser.add_argument(
            "--only",
            default="",
            metavar="NAME[,NAME]",
            help="run only these seeders (comma-separated); their dependencies are yours",
        )

    def handle(self, *args, scale: str, seed: int, fresh: bool, only: str, **options) -> None:
        chosen = seeders()
        if only:
            names = [name.strip() for name in only.split(",") if name.strip()]

            def selected(seeder_name: str, name: str) -> bool:
                return seeder_name == name or seeder_name.startswith(f"{name}-")

            unknown = [n for n in names if not any(selected(s.name, n) for s in chosen)]
            if unknown or not names:
                raise CommandError(
                    f"Unknown seeder(s): {', '.join(unknown) or '(none given)'}; "
                    f"available: {', '.join(s.name for s in chosen)}."
                )
            chosen = [s for s in chosen if any(selected(s.name, n) for n in names)]
        if fresh:
            call_command("flush", interactive=False, verbosity=0)
            call_command("migrate", verbosity=0)  # re-creates the roles' groups
        elif any(s.name == "accounts" for s in chosen) and get_user_model().objects.exists():
            raise CommandError(
                "The database already holds users; run with --fresh to replace them."
            )
        started = time.monotonic()
        for seeder in chosen:
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
