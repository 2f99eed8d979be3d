"""The PgQueuer worker of the stand-in app: `pgq run business_suite.pgqueue:factory`.

Entrypoints: `probe.noop` (does nothing; probes), `bench.record` (payload {"seq": N}; one
bench_job_record row), `demo.sleep` (payload {"seconds": S}; for drain tests). The broker follows
the release: PostgreSQL LISTEN/NOTIFY, or Redis pub/sub in the Redis release with REDIS_URL set.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from contextlib import asynccontextmanager

from business_suite.healthcheck import HEARTBEAT

log = logging.getLogger(__name__)


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


async def connect(application_name: str):
    """An autocommit psycopg connection with the Django database settings (as PgQueuer needs)."""
    import psycopg
    from django.conf import settings

    database = settings.DATABASES["default"]
    return await psycopg.AsyncConnection.connect(
        host=database["HOST"],
        port=database["PORT"],
        dbname=database["NAME"],
        user=database["USER"],
        password=database["PASSWORD"],
        application_name=application_name,
        autocommit=True,
    )


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
    # A heartbeat left by this container's previous run must not pass the healthcheck for this one.
    HEARTBEAT.unlink(missing_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "business_suite.settings")
    import django

    django.setup()
    # `pgq run` gives PgQueuer's logger handlers of its own: without this every line shows twice.
    logging.getLogger("pgqueuer").propagate = False

    from django.conf import settings
    from pgqueuer import PgQueuer
    from pgqueuer.db import PsycopgDriver
    from pgqueuer.domain.settings import db_settings

    from business_suite.broker import BrokerDriver, PgListen, RedisPubSub

    connection = await connect("bs-worker")
    try:
        await ensure_schema(connection)
        queries = PsycopgDriver(connection)
        if settings.PGQUEUE_BROKER == "redis":
            transport = RedisPubSub(settings.REDIS_URL, settings.PGQUEUE_CHANNEL)
        else:
            transport = PgListen(connect, db_settings().channel, queries)
        pgq = PgQueuer(BrokerDriver(queries, transport))
        for name, function in ENTRYPOINTS.items():
            pgq.entrypoint(name)(function)
        log.info("worker ready: release %s, wake-ups over %s", settings.RELEASE, transport.description)
        yield pgq
    finally:
        await connection.close()
