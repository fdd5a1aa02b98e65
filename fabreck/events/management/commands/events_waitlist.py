"""`fabreck events_waitlist`: expire unclaimed seat offers and pass them on (for cron)."""

from django.core.management.base import BaseCommand

from fabreck.events.services import registration_offers_expire


class Command(BaseCommand):
    help = "Expire the seat offers not claimed in time; their seats go to the next in line."

    def handle(self, *args, **options) -> None:
        expired = registration_offers_expire()
        self.stdout.write(f"{expired} offer(s) expired.")
