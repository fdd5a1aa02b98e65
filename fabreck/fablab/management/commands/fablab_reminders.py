"""`fabreck fablab_reminders`: e-mail makers whose authorisations expire soon (for cron)."""

from django.core.management.base import BaseCommand

from fabreck.fablab.services import authorisation_expiry_reminders_send


class Command(BaseCommand):
    help = "E-mail makers whose FabLab authorisations expire soon, once per authorisation."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--days-before",
            type=int,
            default=30,
            help="Remind of authorisations expiring within this many days (default 30).",
        )

    def handle(self, *args, days_before: int, **options) -> None:
        sent = authorisation_expiry_reminders_send(days_before=days_before)
        self.stdout.write(f"{sent} expiry reminder(s) sent.")
