from django.core.management.base import BaseCommand
from django.db import transaction

from fabreck.cluster.reference_data import reference_data_load


class Command(BaseCommand):
    help = "Create or update the cluster's sectors, NACE classes, communes and competences."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            counts = reference_data_load()
        self.stdout.write(", ".join(f"{n} {label}" for label, n in counts.items()))
