import json

from django.core.management.base import BaseCommand, CommandError

from business_suite.jobs import enqueue
from business_suite.pgqueue import ENTRYPOINTS


class Command(BaseCommand):
    help = "Queue jobs through the app's enqueue path (the same as POST /api/jobs); prints their ids."

    def add_arguments(self, parser):
        parser.add_argument("entrypoint", choices=sorted(ENTRYPOINTS))
        parser.add_argument("--count", type=int, default=1, help="number of jobs (default 1)")
        parser.add_argument("--payload", type=json.loads, default={}, help="JSON object given to every job")
        parser.add_argument("--seq-from", type=int, help="add seq=N, N+1, ... to the payloads (bench.record)")

    def handle(self, *args, entrypoint, count, payload, seq_from, **options):
        payloads = [dict(payload) for _ in range(count)]
        if seq_from is not None:
            for offset, job_payload in enumerate(payloads):
                job_payload["seq"] = seq_from + offset
        try:
            ids = enqueue(entrypoint, payloads)
        except ValueError as error:
            raise CommandError(error) from error
        self.stdout.write(json.dumps({"ids": ids}))
