"""`fabreck incubator_kpi_reminders`: remind startups of their quarterly KPI update (for cron;
Celery beat runs the same service daily)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_date

from fabreck.incubator.services import kpi_reminders_send


class Command(BaseCommand):
    help = (
        "E-mail the people of each running or recently-left startup that has not reported "
        "the last quarter: 'due' in the first days of a quarter, 'late' after 21 days. "
        "Each reminder is sent once."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--today", default=None, help="Run as if on this day (YYYY-MM-DD).")

    def handle(self, *args, today: str | None, **options) -> None:
        day = None
        if today:
            day = parse_date(today)
            if day is None:
                raise CommandError("--today must be a date such as 2027-04-02.")
        count = kpi_reminders_send(today=day)
        self.stdout.write(f"{count} startup(s) reminded.")
