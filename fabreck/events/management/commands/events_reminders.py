"""`fabreck events_reminders`: remind registrants of sessions starting within 48 hours."""

from django.core.management.base import BaseCommand

from fabreck.events.services import registration_reminders_send


class Command(BaseCommand):
    help = "E-mail the reminders of the sessions starting within 48 hours, once per registration."

    def handle(self, *args, **options) -> None:
        reminded = registration_reminders_send()
        self.stdout.write(f"{reminded} registration(s) reminded.")
