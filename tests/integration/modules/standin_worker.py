"""A stand-in for a PgQueuer worker (`pgq run`), enough to exercise pgqueuer_probe against
real PostgreSQL and Redis: it is woken only through the broker (no polling, so a probe job is
consumed only if its wake-up really arrived), runs the registered entrypoints as no-ops, and
logs like PgQueuer (picked, then successful). It also checks that every wake-up it receives
is a well-formed PgQueuer ``table_changed_event``: a real worker logs CRITICAL otherwise."""

from __future__ import annotations

import json
import threading
from datetime import datetime

import psycopg
import redis

EVENT_KEYS = {"channel", "operation", "sent_at", "table", "type"}

PICK_SQL = """
WITH picked AS (
    UPDATE pgqueuer SET status = 'picked', heartbeat = now(), updated = now()
    WHERE id IN (
        SELECT id FROM pgqueuer
        WHERE status = 'queued' AND entrypoint = ANY(%s) AND execute_after <= now()
        ORDER BY priority DESC, id FOR UPDATE SKIP LOCKED
    )
    RETURNING id, entrypoint, priority
), logged AS (
    INSERT INTO pgqueuer_log (job_id, status, entrypoint, priority)
    SELECT id, 'picked', entrypoint, priority FROM picked
)
SELECT id FROM picked
"""

FINISH_SQL = """
WITH done AS (DELETE FROM pgqueuer WHERE id = ANY(%s) RETURNING id, entrypoint, priority)
INSERT INTO pgqueuer_log (job_id, status, entrypoint, priority)
SELECT id, 'successful', entrypoint, priority FROM done
"""


def malformed(payload: str) -> str | None:
    """Why ``payload`` is not a PgQueuer table_changed_event, or None when it is one."""
    try:
        event = json.loads(payload)
    except ValueError:
        return "not JSON"
    if set(event) != EVENT_KEYS or event["type"] != "table_changed_event":
        return f"unexpected shape {sorted(event)}"
    if datetime.fromisoformat(event["sent_at"]).tzinfo is None:
        return "sent_at has no timezone"
    return None


class StandinWorker:
    def __init__(self, dsn: str, broker: str = "postgres", channel: str = "ch_pgqueuer",
                 redis_url: str | None = None, entrypoints: tuple[str, ...] = ("probe.noop",)):  # fmt: skip
        self.dsn, self.broker, self.channel, self.redis_url = dsn, broker, channel, redis_url
        self.entrypoints = list(entrypoints)
        self.payloads: list[str] = []
        self.problems: list[str] = []
        self.consumed: list[int] = []
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> StandinWorker:
        self._thread.start()
        if not self._ready.wait(10):
            raise TimeoutError("stand-in worker did not start listening")
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(10)

    def _wake(self, work: psycopg.Connection, payload: str) -> None:
        self.payloads.append(payload)
        problem = malformed(payload)
        if problem:
            self.problems.append(f"{problem}: {payload!r}")
            return
        ids = [row[0] for row in work.execute(PICK_SQL, (self.entrypoints,)).fetchall()]
        if ids:
            work.execute(FINISH_SQL, (ids,))
            self.consumed.extend(ids)

    def _run(self) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as work:
            if self.broker == "postgres":
                self._listen_postgres(work)
            else:
                self._listen_redis(work)

    def _listen_postgres(self, work: psycopg.Connection) -> None:
        # A session of its own whose last statement stays the LISTEN, as PgQueuer's does.
        with psycopg.connect(self.dsn, autocommit=True) as listener:
            listener.execute(f'LISTEN "{self.channel}"')
            self._ready.set()
            while not self._stop.is_set():
                for notify in listener.notifies(timeout=0.1):
                    self._wake(work, notify.payload)

    def _listen_redis(self, work: psycopg.Connection) -> None:
        client = redis.Redis.from_url(self.redis_url, socket_timeout=None, decode_responses=True)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(self.channel)
        pubsub.get_message(timeout=5)  # the subscribe confirmation
        self._ready.set()
        try:
            while not self._stop.is_set():
                message = pubsub.get_message(timeout=0.1)
                if message and message["type"] == "message":
                    self._wake(work, message["data"])
        finally:
            pubsub.close()
            client.close()
