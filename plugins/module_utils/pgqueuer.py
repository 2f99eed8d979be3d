# -*- coding: utf-8 -*-
# Copyright (c) 2026, RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""pgqueuer_probe from start to verdict: PostgreSQL side (schema, depth, jobs in flight), broker side
(who listens for wake-ups, a round trip on a private channel, never the workers' one, and PgQueuer's
wake-up event for the Redis broker), the optional probe job and the waits."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re
import select
import time
import uuid
from collections import OrderedDict
from datetime import datetime, timezone

from ansible_collections.revisbali.business_suite.plugins.module_utils import deps, pgqueuer_postgres, redis_connection
from ansible_collections.revisbali.business_suite.plugins.module_utils.errors import InputError, ProbeError
from ansible_collections.revisbali.business_suite.plugins.module_utils.input_checks import require_positive
from ansible_collections.revisbali.business_suite.plugins.module_utils.probe_module import Stopwatch, elapsed_ms

DEFAULT_SQL_CHANNEL = "ch_pgqueuer"
# PgQueuer's own rule for channel names (they end up in LISTEN and pg_notify).
SQL_CHANNEL = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
# The probe job's state is read this often, so its latency is exact to a few ms.
JOB_POLL_S = 0.02


def validate(params):
    """Checks the argument spec cannot express; returns the channel. InputError names the field."""
    if params["timeout"] < 0:
        raise InputError("timeout", "must be >= 0 seconds, got %s" % params["timeout"])
    if params["stale_after"] < 0:
        raise InputError("stale_after", "must be >= 0 seconds, got %s" % params["stale_after"])
    require_positive(params, ("poll_interval",))
    if params["min_listeners"] < 1:
        raise InputError("min_listeners", "must be at least 1, got %s" % params["min_listeners"])
    if params["on_timeout"] == "warn" and params["wait_for"] != "drained":
        raise InputError("on_timeout", "warn is for wait_for=drained only, got wait_for=%s" % params["wait_for"])
    entrypoint = params.get("entrypoint")
    if entrypoint and entrypoint.strip() != entrypoint:
        raise InputError("entrypoint", "%r has leading or trailing blanks" % entrypoint)
    channel = params.get("channel")
    if params["broker"] == "redis":
        if not channel:
            raise InputError("channel", "is required with broker=redis: the application's PGQUEUE_CHANNEL")
        return channel
    channel = channel or DEFAULT_SQL_CHANNEL
    if not SQL_CHANNEL.match(channel):
        raise InputError("channel", "%r is not a PgQueuer channel name (letters, digits, _ . -)" % channel)
    return channel


# The brokers.

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
    recognised in pg_stat_activity (pgqueuer_postgres.count_listeners): ``listen`` by their LISTEN statement, ``worker``
    also by the statements a PgQueuer worker sends on the connection it LISTENs on.
    """

    name, listener, short, where = "postgres", "LISTEN session", "session", ""

    def __init__(self, handle, channel, timeout, match="worker"):
        super(PostgresBroker, self).__init__(handle, channel, timeout)
        self.match = match
        self.sessions = []

    def listeners(self):
        count, self.hidden_sessions, self.sessions, _again = pgqueuer_postgres.settle(
            lambda pids: pgqueuer_postgres.sessions(self.handle, pids), self.channel, self.match
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


# The waits, the probe job and the verdict.


def poll(check, timeout, interval):
    """Call ``check()`` until it returns a true value or ``timeout`` seconds pass.

    Always checks at least once. Returns ``(last value, seconds waited)``.
    """
    started = time.monotonic()
    deadline = started + timeout
    while True:
        value = check()
        now = time.monotonic()
        if value or now >= deadline:
            return value, round(now - started, 3)
        time.sleep(min(interval, max(deadline - now, 0)))


def _listening(module, broker, timeout):
    wanted = module.params["min_listeners"]
    found, waited = poll(lambda: broker.listeners() >= wanted, timeout, module.params["poll_interval"])
    if found:
        return waited
    count = broker.listeners()
    seen = broker.some(count) if count else broker.nobody()
    raise ProbeError("assertion", "%s after %.1f s, expected at least %d" % (seen, waited, wanted), waited_s=waited)


def _drained(module, conn, timeout):
    """Waits until the jobs picked when the wait starts are no longer picked.

    Jobs picked meanwhile are not waited for: on a busy queue some job is nearly always in flight, and a
    worker stopped after this wait finishes its own in-flight jobs in its SIGTERM grace period.
    """
    waiting_for = set(job["id"] for job in pgqueuer_postgres.in_flight(conn))
    left = []

    def settled():
        left[:] = [job for job in pgqueuer_postgres.in_flight(conn) if job["id"] in waiting_for]
        return not left

    drained, waited = poll(settled, timeout, module.params["poll_interval"])
    if drained:
        return waited
    names = ", ".join("%s #%s" % (job["entrypoint"], job["id"]) for job in left[:10])
    message = "%d job(s) still picked after %.1f s: %s" % (len(left), waited, names)
    if module.params["on_timeout"] == "warn":
        module.warn(message)
        return waited
    raise ProbeError("assertion", message, waited_s=waited, in_flight=left)


def probe_job(conn, broker, entrypoint, timeout):
    """Enqueue a no-op job, wake the workers, wait for its log row; returns (job facts, seconds waited).

    A job that ends other than successful is a ``mismatch``. A job still queued at the timeout is taken
    back (status ``deleted``); one a worker holds is left in place (status ``picked``).
    """
    started = time.monotonic()
    job_id = pgqueuer_postgres.enqueue(conn, entrypoint)
    job = dict(id=job_id, entrypoint=entrypoint, wakeup_receivers=broker.wake())
    states = []

    def finished():
        states.append(pgqueuer_postgres.job_state(conn, job_id))
        return states[-1][1] in pgqueuer_postgres.TERMINAL_STATUSES

    done, waited = poll(finished, timeout, JOB_POLL_S)
    queue_status, log_status = states[-1]
    job.update(latency_ms=elapsed_ms(started), status=log_status if done else queue_status)
    if done and log_status != "successful":
        raise ProbeError("mismatch", "probe job %d (%s) ended %r" % (job_id, entrypoint, log_status), job=job)
    if not done and queue_status == "queued":
        # Taken back while no worker holds it; a worker that picked it just now keeps it.
        job["status"] = "deleted" if pgqueuer_postgres.remove_if_queued(conn, job_id) else "picked"
    return job, waited


def _finished_text(finished):
    """``3 job(s) finished during the wait (app.ocr: 2, app.sync: 1)``."""
    count = sum(finished.values())
    per = ", ".join("%s: %d" % item for item in sorted(finished.items()))
    return "%d job(s) finished during the wait (%s)" % (count, per)


def consumption_verdict(broker, listeners, job, finished, waited, timeout):
    """``(consumption facts, failure or None)``: what the wait proved, in one sentence.

    Proven: the probe job succeeded, or (with listeners present) jobs of the application finished
    during the wait. Without a listener nothing proves the broker works: always a failure. Otherwise an
    unproven consumption is returned as such; the caller applies ``require``.
    """
    total = sum(finished.values())
    facts = dict(proven=False, by=None, finished_jobs=total, finished_entrypoints=finished)
    others = "; %s" % _finished_text(finished) if total else ""
    if job is not None and job["status"] == "successful":
        facts.update(proven=True, by="probe_job")
        facts["msg"] = "probe job %d (%s) consumed in %.1f ms%s" % (
            job["id"],
            job["entrypoint"],
            job["latency_ms"],
            others,
        )
        return facts, None
    if job is not None:
        if job["status"] == "picked":
            text = "probe job %d (%s) still picked after %.1f s: a worker holds it, left in place" % (
                job["id"],
                job["entrypoint"],
                waited,
            )
        elif not listeners:
            text = "probe job %d (%s) still queued after %.1f s: %s; removed it from the queue" % (
                job["id"],
                job["entrypoint"],
                waited,
                broker.nobody(),
            )
        else:
            text = (
                "no worker picked the probe job %r within %ss although %s: the app may not register that "
                "entrypoint (see redis_cutover_probe_entrypoint); removed it from the queue"
                % (job["entrypoint"], _seconds(timeout), broker.listening(listeners))
            )
    elif not listeners:
        text = "no probe job (entrypoint is empty) and %s" % broker.nobody()
    else:
        text = "no probe job (entrypoint is empty) and %s" % broker.listening(listeners)
    if not listeners:
        if job is not None and job["status"] == "picked":
            text += "; %s" % broker.nobody()
        facts["msg"] = text + (others or "; no job finished within %ss" % _seconds(timeout))
        return facts, facts["msg"]
    if total:
        facts.update(proven=True, by="finished_jobs")
        facts["msg"] = "%s; %s: the workers consume" % (text, _finished_text(finished))
    elif job is not None:
        facts["msg"] = text + "; no other job finished during the wait, so consumption is not proven"
    else:
        facts["msg"] = text + ": no job finished within %ss, so consumption is not proven" % _seconds(timeout)
    return facts, None


def _seconds(value):
    return "%g" % value


def consume(module, conn, broker):
    """The consumption proof: the probe job (unless O(entrypoint) is empty) and the application's jobs
    that finished meanwhile. Returns (job, consumption facts, listeners, seconds waited)."""
    params = module.params
    entrypoint, timeout = params["entrypoint"], params["timeout"]
    mark = pgqueuer_postgres.log_mark(conn)
    job = None
    if entrypoint:
        job, waited = probe_job(conn, broker, entrypoint, timeout)
    else:
        _seen, waited = poll(lambda: pgqueuer_postgres.finished_jobs(conn, mark), timeout, params["poll_interval"])
    finished = pgqueuer_postgres.finished_jobs(conn, mark, job and job["id"])
    listeners = broker.listeners()
    facts, failure = consumption_verdict(broker, listeners, job, finished, waited, timeout)
    if failure:
        raise ProbeError("assertion", failure, job=job, consumption=facts, waited_s=waited)
    if not facts["proven"]:
        if params["require"] == "consuming":
            raise ProbeError("assertion", facts["msg"], job=job, consumption=facts, waited_s=waited)
        module.warn("consumption not proven (require=listening): " + facts["msg"])
    elif facts["by"] != "probe_job" and job is not None:
        module.warn(facts["msg"])
    return job, facts, listeners, waited


def _wants_consumption(params):
    return params["roundtrip_job"] or params["wait_for"] == "consuming"


def _open_broker(params, conn, channel, redis_settings, watch):
    if redis_settings is None:
        return PostgresBroker(conn, channel, params["connect_timeout"], params["sql_listeners"])
    broker = RedisBroker(redis_connection.connect(redis_settings), channel, redis_settings["connect_timeout"])
    try:
        watch.time("redis_connect", broker.handle.ping)
    except Exception:
        broker.close()
        raise
    return broker


def _probe(module, conn, channel, redis_settings, watch):
    """Everything after the PostgreSQL connection; returns the result without ``msg``."""
    params = module.params
    missing = watch.time("schema", pgqueuer_postgres.schema_missing, conn)
    if missing:
        message = "PgQueuer schema incomplete: missing %s" % ", ".join(missing)
        raise ProbeError("backend", message, schema_present=False, schema_missing=missing)
    broker = _open_broker(params, conn, channel, redis_settings, watch)
    try:
        roundtrip_ms = watch.time("broker_roundtrip", broker.roundtrip)
        waited, job, consumption, listeners = 0.0, None, None, None
        if params["wait_for"] == "listening":
            waited = _listening(module, broker, params["timeout"])
        elif params["wait_for"] == "drained":
            waited = _drained(module, conn, params["timeout"])
        if _wants_consumption(params) and not module.check_mode:
            job, consumption, listeners, waited = watch.time("job", consume, module, conn, broker)
        jobs = watch.time("queue", pgqueuer_postgres.in_flight, conn)
        depth = pgqueuer_postgres.depth(conn)
        if listeners is None:
            listeners = broker.listeners()
        broker_facts = dict(name=broker.name, channel=broker.channel, listeners=listeners, roundtrip_ms=roundtrip_ms)
        broker_facts.update(broker.facts())
    finally:
        broker.close()
    if broker.hidden_sessions:
        module.warn(
            "%d sessions of other roles are hidden from this user: LISTEN sessions may be undercounted "
            "(grant pg_read_all_stats to the probe's role)" % broker.hidden_sessions
        )
    return dict(
        schema_present=True,
        depth=depth,
        in_flight=jobs,
        stale=pgqueuer_postgres.stale(jobs, params["stale_after"]),
        broker=broker_facts,
        job=job,
        consumption=consumption,
        waited_s=waited,
        latency_ms=watch.total(),
    )


def run(module):
    params = module.params
    channel = validate(params)
    redis_settings = None
    if params["broker"] == "redis":
        redis_settings = redis_connection.resolve_settings(params["redis"], "redis.")
        module.hide(redis_settings["password"])
    elif params.get("redis"):
        module.warn("redis is ignored with broker=postgres")
    deps.require(module, "psycopg", *(["redis"] if redis_settings else []))
    conninfo = pgqueuer_postgres.resolve_conninfo(params, "pgqueuer_probe")
    module.hide(conninfo.get("password"))

    watch = Stopwatch()
    conn = watch.time("connect", pgqueuer_postgres.connect, conninfo)
    try:
        result = _probe(module, conn, channel, redis_settings, watch)
    except deps.psycopg.Error as e:
        raise pgqueuer_postgres.postgres_failure(e, conninfo, "the PgQueuer probe") from e
    except redis_connection.redis_error_types() as e:
        raise redis_connection.redis_failure(e, redis_settings, "the broker probe") from e
    finally:
        conn.close()
    result["msg"] = _summary(result, _wants_consumption(params) and module.check_mode)
    return result


def _summary(result, job_skipped):
    queued = sum(row["count"] for row in result["depth"] if row["status"] == "queued")
    broker = result["broker"]
    text = "PgQueuer: %d queued, %d picked (%d stale); %s broker on %r: %d listening, private round trip %.1f ms" % (
        queued,
        len(result["in_flight"]),
        len(result["stale"]),
        broker["name"],
        broker["channel"],
        broker["listeners"],
        broker["roundtrip_ms"],
    )
    consumption = result["consumption"]
    if consumption and consumption["by"] == "probe_job":
        text += "; probe job %d successful in %.1f ms" % (result["job"]["id"], result["job"]["latency_ms"])
    elif consumption and consumption["proven"]:
        text += "; consumption proven by %d finished job(s), not by a probe job" % consumption["finished_jobs"]
    elif consumption:
        text += "; consumption not proven (require=listening)"
    elif job_skipped:
        text += "; check mode: the probe job was not enqueued"
    return text
