"""The PgQueuer worker of the stand-in app: `pgq run business_suite.pgqueue:factory`.

Entrypoints: `probe.noop` (does nothing; probes), `bench.record` (payload {"seq": N}; one
bench_job_record row), `demo.sleep` (payload {"seconds": S}; for drain tests).

The broker follows the release. The previous release builds PgQueuer the way the real app's
pgqueue.py does (commit 154a9356): one autocommit psycopg connection and
`PgQueuer.from_psycopg_connection(connection)`, i.e. PgQueuer's stock psycopg driver, which LISTENs
on the same connection it dequeues on. The Redis release with REDIS_URL set keeps SQL on that
connection and carries wake-ups over Redis pub/sub (business_suite.broker).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from contextlib import asynccontextmanager

log = logging.getLogger(__name__)

CONNECT_WAIT = 120  # seconds to wait for the database at start (bs-worker starts beside it)


async def probe_noop(job) -> None:
    """Nothing: a probe only needs the job to reach `successful`."""


async def bench_record(job) -> None:
    from asgiref.sync import sync_to_async

    await sync_to_async(_record)(job.id, json.loads(job.payload)["seq"], job.entrypoint)


async def demo_sleep(job) -> None:
    await asyncio.sleep(float(json.loads(job.payload)["seconds"]))


def _record(job_id: int, seq: int, entrypoint: str) -> None:
    from django.conf import settings
    from django.db import close_old_connections

    from business_suite.models import BenchJobRecord

    close_old_connections()  # a connection broken by a database restart is replaced, not reused
    BenchJobRecord.objects.create(job_id=job_id, seq=seq, entrypoint=entrypoint, release=settings.RELEASE)


ENTRYPOINTS = {"probe.noop": probe_noop, "bench.record": bench_record, "demo.sleep": demo_sleep}


async def connect(*, wait: float = 0):
    """An autocommit psycopg connection with the Django database settings, as the real worker opens it.

    With `wait`, connection failures are retried for that many seconds: compose's list-form depends_on only
    orders the starts, so the worker may start while PostgreSQL is still initialising.
    """
    import psycopg
    from django.conf import settings

    database = settings.DATABASES["default"]
    deadline = time.monotonic() + wait
    while True:
        try:
            return await psycopg.AsyncConnection.connect(
                dbname=database["NAME"],
                user=database["USER"],
                password=database["PASSWORD"],
                host=database["HOST"],
                port=database["PORT"],
                autocommit=True,
            )
        except psycopg.OperationalError as error:
            if time.monotonic() > deadline:
                raise
            log.info("waiting for the database: %s", str(error).strip().splitlines()[-1])
            await asyncio.sleep(1)


async def ensure_schema(connection) -> None:
    """Install PgQueuer's schema if absent, then upgrade it; concurrent callers wait in turn."""
    from pgqueuer.queries import Queries

    queries = Queries.from_psycopg_connection(connection)
    async with queries.schema_lock():  # a session lock: upgrade() takes it again, which is fine
        if not await queries.schema_is_installed():
            log.info("installing the PgQueuer schema")
            await queries.install()
        await queries.upgrade()


@asynccontextmanager
async def factory():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "business_suite.settings.prod")
    import django

    django.setup()
    # `pgq run` gives PgQueuer's logger handlers of its own: without this every line shows twice.
    logging.getLogger("pgqueuer").propagate = False

    from django.conf import settings
    from pgqueuer import PgQueuer

    connection = await connect(wait=CONNECT_WAIT)
    try:
        await ensure_schema(connection)
        if settings.PGQUEUE_BROKER == "redis":
            from pgqueuer.db import PsycopgDriver

            from business_suite.broker import BrokerDriver, RedisPubSub

            transport = RedisPubSub(settings.REDIS_URL, settings.PGQUEUE_CHANNEL)
            pgq = PgQueuer(BrokerDriver(PsycopgDriver(connection), transport))
            wakeups = transport.description
        else:
            pgq = PgQueuer.from_psycopg_connection(connection)
            wakeups = f'PostgreSQL LISTEN "{pgq.channel}" (PgQueuer\'s psycopg driver)'
        for name, function in ENTRYPOINTS.items():
            pgq.entrypoint(name)(function)
        log.info("worker ready: release %s, wake-ups over %s", settings.RELEASE, wakeups)
        yield pgq
    finally:
        await connection.close()
