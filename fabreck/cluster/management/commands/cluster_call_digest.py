from django.core.management.base import BaseCommand

from fabreck.cluster.services import call_digest_send


class Command(BaseCommand):
    help = (
        "E-mail member organisations the open calls that match them and that no digest "
        "listed before (for cron; running it twice sends nothing new)."
    )

    def handle(self, *args, **options) -> None:
        report = call_digest_send()
        self.stdout.write(
            f"Call digest: {report.emails} e-mail(s) to {report.organisations} "
            f"organisation(s), {report.calls} call(s) listed."
        )
