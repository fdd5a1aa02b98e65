"""`fabreck fablab_no_shows`: mark bookings that ended without a check-in (for cron)."""

from datetime import timedelta

from django.core.management.base import BaseCommand

from fabreck.fablab.services import bookings_no_show_mark_ended


class Command(BaseCommand):
    help = "Mark as no-shows the makers' bookings that ended without a check-in."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=7,
            help="Look at bookings that ended within this many days (default 7).",
        )

    def handle(self, *args, days: int, **options) -> None:
        marked = bookings_no_show_mark_ended(look_back=timedelta(days=days))
        self.stdout.write(f"{marked} booking(s) marked as no-shows.")
