"""`fabreck events_mails`: send the registration e-mails waiting in the outbox."""

from django.core.management.base import BaseCommand

from fabreck.events.services import registration_notices_send


class Command(BaseCommand):
    help = (
        "Send the registration e-mails waiting in the outbox (confirmations, waitlist "
        "notices), and retry those whose send failed. Run it every minute from cron on a "
        "site without a Celery broker."
    )

    def handle(self, *args, **options) -> None:
        sent = 0
        while True:  # in batches, until nothing due is left
            batch = registration_notices_send()
            sent += batch
            if batch == 0:
                break
        self.stdout.write(f"{sent} e-mail(s) sent.")
