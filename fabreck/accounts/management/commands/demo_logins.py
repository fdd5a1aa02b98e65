from django.core.management.base import BaseCommand

from fabreck.accounts.seeding import DEMO_PASSWORD, demo_logins


class Command(BaseCommand):
    help = "Print the demo login of each role."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for label, email in demo_logins():
            self.stdout.write(f"  {label:<22} {email}")
        self.stdout.write("Open http://127.0.0.1:8000/")
