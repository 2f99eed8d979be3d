import time

from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError, connection


class Command(BaseCommand):
    help = "Wait until the database accepts connections (bs-core starts beside it, like the real start.sh waits)."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=120, help="seconds (default 120)")

    def handle(self, *args, timeout, **options):
        deadline = time.monotonic() + timeout
        while True:
            try:
                connection.ensure_connection()
                return
            except OperationalError as error:
                if time.monotonic() > deadline:
                    raise CommandError(f"no database after {timeout:.0f} s: {error}") from error
                self.stderr.write(f"database unavailable, waiting: {str(error).strip().splitlines()[-1]}")
                time.sleep(1)
