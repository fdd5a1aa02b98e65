"""`fabreck events_children_anonymise`: anonymise children's profiles past their retention
period (for cron; Celery beat runs the same service daily)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from fabreck.events.services import children_anonymise_expired


class Command(BaseCommand):
    help = (
        "Anonymise the children whose last session ended more than the retention period ago "
        "(and unused profiles older than it). Statistics keep counting them."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--months",
            type=int,
            default=None,
            help=(
                "Retention in months (default: EVENTS_CHILD_RETENTION_MONTHS, "
                f"{settings.EVENTS_CHILD_RETENTION_MONTHS})."
            ),
        )

    def handle(self, *args, months: int | None, **options) -> None:
        count = children_anonymise_expired(months=months)
        self.stdout.write(f"{count} child profile(s) anonymised.")
