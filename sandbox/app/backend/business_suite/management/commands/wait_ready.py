import json
import time
import urllib.error
import urllib.request

import psycopg
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection

from business_suite.jobs import enqueue

URL = "http://127.0.0.1:8000/api/cache/roundtrip"


class Command(BaseCommand):
    help = (
        "Run inside bs-core (sandbox/up.sh does): wait until this container serves with a working cache, "
        "then until the worker has consumed a probe.noop job queued through the app's enqueue path."
    )

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=180, help="seconds for both steps (default 180)")

    def handle(self, *args, timeout, **options):
        deadline = time.monotonic() + timeout
        self._until(deadline, "bs-core to serve with a working cache", self._serving)
        (job,) = self._until(deadline, "the probe job to be queued", lambda: enqueue("probe.noop", [{}]))
        self._until(deadline, f"the worker to run probe job {job}", lambda: self._done(job))
        self.stdout.write(f"bs-core serves and the worker ran probe job {job}")

    @staticmethod
    def _until(deadline, what, attempt):
        last = "no attempt yet"
        while time.monotonic() < deadline:
            try:
                if result := attempt():
                    return result
                last = "not yet"
            except (OSError, ValueError, DatabaseError, psycopg.Error) as error:
                last = f"{type(error).__name__}: {str(error).strip()[:200]}"
            time.sleep(0.2)
        raise CommandError(f"gave up waiting for {what}: {last}")

    @staticmethod
    def _serving():
        try:
            with urllib.request.urlopen(URL, timeout=5) as response:
                return json.loads(response.read()).get("value") == 2
        except urllib.error.HTTPError as error:
            raise ValueError(f"{URL} answered {error.code}: {error.read()[:200]!r}") from error

    @staticmethod
    def _done(job):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pgqueuer_log WHERE job_id = %s AND status = 'successful'", [job])
            return cursor.fetchone() is not None
