# -*- coding: utf-8 -*-
# Copyright (c) 2026, RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The broker side of pgqueuer_probe: who listens for wake-ups, a round trip on a private
channel (never the workers' one), and PgQueuer's wake-up event for the Redis broker."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import select
import time
import uuid
from collections import OrderedDict
from datetime import datetime, timezone

from ansible_collections.revisbali.business_suite.plugins.module_utils import deps, pgqueuer_queries, pgqueuer_sessions
from ansible_collections.revisbali.business_suite.plugins.module_utils.probe import ProbeError, elapsed_ms

# PgQueuer's trigger payload, field for field; workers parse it strictly and log CRITICAL on
# anything else, so only this exact shape is ever sent on a workers' channel.
WAKEUP_CHANNEL_FIELD = "ch_pgqueuer"


def wakeup_payload(now=None):
    """The ``table_changed_event`` a committed INSERT into pgqueuer announces (timezone-aware)."""
    sent_at = (now or datetime.now(timezone.utc)).isoformat()
    return json.dumps(
        OrderedDict(
            [
                ("channel", WAKEUP_CHANNEL_FIELD),
                ("operation", "insert"),
                ("sent_at", sent_at),
                ("table", "pgqueuer"),
                ("type", "table_changed_event"),
            ]
        )
    )


def _probe_name():
    return "pgqueuer_probe_%s" % uuid.uuid4().hex[:16]


def postgres_roundtrip(conn, timeout):
    """LISTEN on a private channel, NOTIFY it from the same session, time the delivery (ms)."""
    channel, token = _probe_name(), uuid.uuid4().hex
    received = []

    def on_notify(notify):
        if notify.channel == channel:
            received.append(notify.payload)

    conn.add_notify_handler(on_notify)
    try:
        conn.execute(deps.psycopg_sql.SQL("LISTEN {}").format(deps.psycopg_sql.Identifier(channel)))
        started = time.monotonic()
        conn.execute("SELECT pg_notify(%s, %s)", (channel, token))
        deadline = started + timeout
        # Notifications are handed to the handler while psycopg reads any result; psycopg 3.1
        # has no notifies(timeout=), so wait for the socket and let a no-op query drain it.
        while not received and time.monotonic() < deadline:
            if select.select([conn.fileno()], [], [], max(deadline - time.monotonic(), 0))[0]:
                conn.execute("SELECT 1")
        latency = elapsed_ms(started)
        conn.execute(deps.psycopg_sql.SQL("UNLISTEN {}").format(deps.psycopg_sql.Identifier(channel)))
    finally:
        conn.remove_notify_handler(on_notify)
    if received != [token]:
        raise ProbeError("mismatch", "LISTEN/NOTIFY on a private channel got %r within %s s" % (received, timeout))
    return latency


def redis_subscribers(client, channel):
    """PUBSUB NUMSUB: how many connections are subscribed to ``channel``."""
    return int(dict(client.pubsub_numsub(channel)).get(channel, 0))


def redis_roundtrip(client, timeout):
    """SUBSCRIBE a private channel, PUBLISH to it, time the delivery (ms)."""
    channel, token = _probe_name(), uuid.uuid4().hex
    pubsub = client.pubsub()
    try:
        pubsub.subscribe(channel)
        deadline = time.monotonic() + timeout
        # The confirmation first: a publish before it could race the subscription.
        if not _next_message(pubsub, "subscribe", deadline):
            raise ProbeError("mismatch", "Redis did not confirm the SUBSCRIBE within %s s" % timeout)
        started = time.monotonic()
        client.publish(channel, token)
        message = _next_message(pubsub, "message", deadline)
        latency = elapsed_ms(started)
        pubsub.unsubscribe(channel)
    finally:
        pubsub.close()
    got = message and message["data"]
    if got != token:
        raise ProbeError("mismatch", "Redis PUBLISH on a private channel got %r within %s s" % (got, timeout))
    return latency


def _next_message(pubsub, kind, deadline):
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=max(deadline - time.monotonic(), 0.01))
        if message and message["type"] == kind:
            return message
    return None


class Broker(object):
    """What both brokers answer: who listens on the workers' channel, a private round trip,
    the wake-up after an enqueue, and how to say who listens."""

    name = listener = short = where = None  # set by each broker

    def __init__(self, handle, channel, timeout):
        self.handle, self.channel, self.timeout = handle, channel, timeout
        self.hidden_sessions = 0  # sessions whose statement the probe may not see (SQL broker)

    def listeners(self):
        raise NotImplementedError

    def roundtrip(self):
        raise NotImplementedError

    def wake(self):
        raise NotImplementedError

    def nobody(self):
        return "no %s on %s%r" % (self.listener, self.where, self.channel)

    def some(self, count):
        return "%d %s%s on %s%r" % (count, self.listener, "" if count == 1 else "s", self.where, self.channel)

    def listening(self, count):
        """``1 subscriber listens on Redis channel '0'``, ``2 sessions listen on 'ch_pgqueuer'``."""
        plural = count != 1
        return "%d %s%s %s on %s%r" % (
            count,
            self.short,
            "s" if plural else "",
            "listen" if plural else "listens",
            self.where,
            self.channel,
        )

    def facts(self):
        """What the result's ``broker`` says beyond name, channel and count."""
        return {}

    def close(self):
        pass


class PostgresBroker(Broker):
    """PgQueuer's own LISTEN/NOTIFY: the queue table's trigger wakes the workers.

    PostgreSQL shows no session which channels others LISTEN on; ``match`` says how listeners are
    recognised in pg_stat_activity (pgqueuer_sessions): ``listen`` by their LISTEN statement, ``worker``
    also by the statements a PgQueuer worker sends on the connection it LISTENs on.
    """

    name, listener, short, where = "postgres", "LISTEN session", "session", ""

    def __init__(self, handle, channel, timeout, match="worker"):
        super(PostgresBroker, self).__init__(handle, channel, timeout)
        self.match = match
        self.sessions = []

    def listeners(self):
        count, self.hidden_sessions, self.sessions, _again = pgqueuer_sessions.settle(
            lambda pids: pgqueuer_queries.sessions(self.handle, pids), self.channel, self.match
        )
        return count

    def facts(self):
        return dict(sessions=self.sessions, match=self.match)

    def roundtrip(self):
        return postgres_roundtrip(self.handle, self.timeout)

    def wake(self):
        """Nothing to send: the INSERT's trigger already notified at commit."""
        return None


class RedisBroker(Broker):
    """The application's Redis broker: SQL stays on PostgreSQL, wake-ups travel over pub/sub."""

    name, listener, short, where = "redis", "subscriber", "subscriber", "Redis channel "

    def listeners(self):
        return redis_subscribers(self.handle, self.channel)

    def roundtrip(self):
        return redis_roundtrip(self.handle, self.timeout)

    def wake(self):
        """Publish PgQueuer's wake-up after the enqueue committed; returns how many received it."""
        return self.handle.publish(self.channel, wakeup_payload())

    def close(self):
        self.handle.close()
