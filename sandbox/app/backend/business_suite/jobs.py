"""The enqueue path (POST /api/jobs, `manage.py enqueue_jobs`): PgQueuer rows in PostgreSQL,
then, after commit, a wake-up for the workers on the release's broker."""

import functools
import json
import logging

from django.conf import settings
from django.db import connection, transaction
from pgqueuer.db import SyncPsycopgDriver
from pgqueuer.queries import SyncQueries

from business_suite.broker import wakeup_payload
from business_suite.pgqueue import ENTRYPOINTS

log = logging.getLogger(__name__)


def enqueue(entrypoint: str, payloads: list[dict]) -> list[int]:
    """Queue one job per payload; raises ValueError on an unknown entrypoint or a non-object payload."""
    if entrypoint not in ENTRYPOINTS:
        raise ValueError(f"unknown entrypoint {entrypoint!r}; known: {', '.join(sorted(ENTRYPOINTS))}")
    if not payloads or not all(isinstance(p, dict) for p in payloads):
        raise ValueError("payloads must be a non-empty list of JSON objects")
    connection.ensure_connection()
    # Django's connection is in autocommit outside atomic blocks, as PgQueuer requires.
    queries = SyncQueries(SyncPsycopgDriver(connection.connection))
    count = len(payloads)
    ids = queries.enqueue([entrypoint] * count, [json.dumps(p).encode() for p in payloads], [0] * count)
    transaction.on_commit(wake_workers)
    return [int(i) for i in ids]


def wake_workers() -> None:
    """PostgreSQL's insert trigger already NOTIFYs the SQL broker; the Redis broker needs a publish.

    Runs after commit: a worker woken earlier would find nothing and sleep a whole dequeue timeout.
    A failed publish loses no job (the rows are committed); workers then find them at their next poll.
    """
    if settings.PGQUEUE_BROKER != "redis":
        return
    try:
        _redis().publish(settings.PGQUEUE_CHANNEL, wakeup_payload())
    except Exception:
        log.exception("wake-up publish to Redis failed; the jobs are stored and wait for the workers' poll")


@functools.cache
def _redis():
    import redis  # only the Redis release has redis-py

    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=5, socket_timeout=5)
