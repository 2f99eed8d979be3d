"""Wake-ups for PgQueuer workers over Redis (the Redis release).

PgQueuer only knows PostgreSQL's LISTEN/NOTIFY; the previous release uses it as it comes (the stock
psycopg driver, see business_suite.pgqueue). `BrokerDriver` keeps every query on PgQueuer's own
PsycopgDriver and carries notify/add_listener/remove_listener over a transport instead:
`RedisPubSub`, SUBSCRIBE / PUBLISH on PGQUEUE_CHANNEL, so the worker issues no LISTEN in Postgres.
This is the collection's contract with the app, not code of the real app (it has no Redis broker).

One reader task pumps the transport. When the transport fails it logs an error, reconnects with
a short back-off and, once subscribed again, wakes the worker once, since wake-ups sent in
between are lost (pub/sub is at-most-once).
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from typing import Protocol

from pgqueuer.core.tm import TaskManager, cancel_and_wait
from pgqueuer.db import PsycopgDriver
from pgqueuer.domain.settings import db_settings
from pgqueuer.ports.driver import Driver, NotifyCallback

log = logging.getLogger(__name__)

READ_TIMEOUT = 1.0  # seconds a read waits
SUBSCRIBE_WAIT = 10.0  # seconds the worker waits for its first subscription before going on


def wakeup_payload() -> str:
    """A wake-up in exactly the format of PgQueuer's own insert trigger."""
    return json.dumps(
        {
            "channel": db_settings().channel,
            "operation": "insert",
            "sent_at": datetime.now(UTC).isoformat(),
            "table": "pgqueuer",
            "type": "table_changed_event",
        }
    )


class Transport(Protocol):
    description: str

    async def subscribe(self) -> None:
        """(Re)connect and return once the subscription is confirmed."""

    async def read(self, timeout: float) -> list[str | bytes]:
        """Payloads received within `timeout` seconds (empty when none)."""

    async def publish(self, payload: str) -> None: ...

    async def close(self) -> None: ...


class RedisPubSub:
    def __init__(self, url: str, channel: str):
        import redis.asyncio  # only the Redis release has redis-py

        self.description = f"Redis pub/sub channel {channel!r}"
        self._channel = channel
        # health_check_interval: a PING now and then finds a subscriber connection that died quietly.
        self._client = redis.asyncio.Redis.from_url(
            url, socket_connect_timeout=5, socket_timeout=5, health_check_interval=10
        )
        self._pubsub = None

    async def subscribe(self) -> None:
        await self._drop_subscription()
        self._pubsub = self._client.pubsub()
        await self._pubsub.subscribe(self._channel)
        for _ in range(5):
            message = await self._pubsub.get_message(timeout=1.0)
            if message and message["type"] == "subscribe":
                return
        raise ConnectionError(f"Redis did not confirm SUBSCRIBE {self._channel}")

    async def read(self, timeout: float) -> list[str | bytes]:
        # Polling get_message (rather than listen()) keeps an idle subscriber clear of socket timeouts.
        message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=timeout)
        return [message["data"]] if message and message["type"] == "message" else []

    async def publish(self, payload: str) -> None:
        await self._client.publish(self._channel, payload)

    async def _drop_subscription(self) -> None:
        if self._pubsub is not None:
            pubsub, self._pubsub = self._pubsub, None
            await pubsub.aclose()

    async def close(self) -> None:
        await self._drop_subscription()
        await self._client.aclose()


class BrokerDriver(Driver):
    """A PgQueuer driver: SQL on `queries`, wake-ups over `transport`."""

    def __init__(self, queries: PsycopgDriver, transport: Transport):
        self._queries = queries
        self._transport = transport
        self._callbacks: dict[str, list[NotifyCallback]] = {}
        self._subscribed = asyncio.Event()
        self._reader: asyncio.Task | None = None
        self._entered = 0

    @property
    def shutdown(self) -> asyncio.Event:
        return self._queries.shutdown

    @property
    def tm(self) -> TaskManager:
        return self._queries.tm

    async def fetch(self, query: str, *args: object) -> list[dict[str, object]]:
        return await self._queries.fetch(query, *args)

    async def execute(self, query: str, *args: object) -> str:
        return await self._queries.execute(query, *args)

    async def notify(self, channel: str, payload: str) -> None:
        # PgQueuer sends its first health probe before it listens: a probe sent before the
        # subscription is confirmed would be lost and the probe would fail.
        await self._wait_subscribed()
        await self._transport.publish(payload)

    async def add_listener(self, channel: str, callback: NotifyCallback) -> None:
        self._callbacks.setdefault(channel, []).append(callback)
        if self._reader is None:
            self._reader = asyncio.create_task(self._read_forever(), name="wake-up reader")
        if not await self._wait_subscribed():
            log.error(
                "no subscription to %s after %.0f s: starting anyway, polling every dequeue timeout until it connects",
                self._transport.description,
                SUBSCRIBE_WAIT,
            )

    async def remove_listener(self, channel: str, callback: NotifyCallback) -> None:
        callbacks = self._callbacks.get(channel, [])
        if callback in callbacks:
            callbacks.remove(callback)

    async def _wait_subscribed(self) -> bool:
        try:
            await asyncio.wait_for(self._subscribed.wait(), SUBSCRIBE_WAIT)
        except TimeoutError:
            return False
        return True

    def _deliver(self, payload: str | bytes) -> None:
        # One transport carries one channel: every callback gets every payload.
        for callbacks in list(self._callbacks.values()):
            for callback in list(callbacks):
                callback(payload)

    async def _read_forever(self) -> None:
        failures = 0
        while True:
            try:
                if not self._subscribed.is_set():
                    await self._transport.subscribe()
                    self._subscribed.set()
                    log.info("worker subscribed to %s", self._transport.description)
                    if failures:
                        # Wake-ups sent while we were away are gone: look at the queue now.
                        self._deliver(wakeup_payload())
                    failures = 0
                for payload in await self._transport.read(READ_TIMEOUT):
                    self._deliver(payload)
            except Exception as error:
                self._subscribed.clear()
                failures += 1
                log.error(
                    "wake-up reader lost %s (%s: %s); jobs wait for the dequeue-timeout poll until it "
                    "reconnects (attempt %d)",
                    self._transport.description,
                    type(error).__name__,
                    error,
                    failures,
                )
                await asyncio.sleep(min(failures, 5))  # subscribe() then drops what is left

    async def __aenter__(self) -> BrokerDriver:
        # PgQueuer.run enters the driver from two managers: only the last exit stops the reader.
        self._entered += 1
        await self._queries.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._entered -= 1
        if self._entered == 0 and self._reader is not None:
            await cancel_and_wait(self._reader)
            try:
                await self._transport.close()
            except Exception:
                log.debug("closing %s raised", self._transport.description, exc_info=True)
            self._reader = None
            self._subscribed.clear()
            self._callbacks.clear()
        await self._queries.__aexit__(*exc)
