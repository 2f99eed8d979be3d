# -*- coding: utf-8 -*-
# Copyright (c) 2026, RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""pgqueuer_probe from start to verdict: PostgreSQL side (schema, depth, jobs in flight),
broker side (listeners, private round trip), the optional probe job and the waits."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import time

from ansible_collections.revisbali.business_suite.plugins.module_utils import (
    deps,
    pgqueuer_queries,
    postgres_connection,
    redis_connection,
)
from ansible_collections.revisbali.business_suite.plugins.module_utils.pgqueuer_broker import (
    PostgresBroker,
    RedisBroker,
)
from ansible_collections.revisbali.business_suite.plugins.module_utils.probe import (
    InputError,
    ProbeError,
    Stopwatch,
    elapsed_ms,
    poll,
    require_positive,
    require_text,
)

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
    require_text(params, ("entrypoint",))
    channel = params.get("channel")
    if params["broker"] == "redis":
        if not channel:
            raise InputError("channel", "is required with broker=redis: the application's PGQUEUE_CHANNEL")
        return channel
    channel = channel or DEFAULT_SQL_CHANNEL
    if not SQL_CHANNEL.match(channel):
        raise InputError("channel", "%r is not a PgQueuer channel name (letters, digits, _ . -)" % channel)
    return channel


def _listening(module, broker, timeout):
    wanted = module.params["min_listeners"]
    found, waited = poll(lambda: broker.listeners() >= wanted, timeout, module.params["poll_interval"])
    if found:
        return waited
    count = broker.listeners()
    seen = broker.some(count) if count else broker.nobody()
    raise ProbeError("assertion", "%s after %.1f s, expected at least %d" % (seen, waited, wanted), waited_s=waited)


def _drained(module, conn, timeout):
    drained, waited = poll(lambda: not pgqueuer_queries.in_flight(conn), timeout, module.params["poll_interval"])
    if drained:
        return waited
    jobs = pgqueuer_queries.in_flight(conn)
    names = ", ".join("%s #%s" % (job["entrypoint"], job["id"]) for job in jobs[:10])
    message = "%d job(s) still picked after %.1f s: %s" % (len(jobs), waited, names)
    raise ProbeError("assertion", message, waited_s=waited, in_flight=jobs)


def roundtrip_job(conn, broker, entrypoint, timeout):
    """Enqueue a no-op job, wake the workers, wait for its log row; returns (job facts, seconds waited)."""
    started = time.monotonic()
    job_id = pgqueuer_queries.enqueue(conn, entrypoint)
    job = dict(id=job_id, entrypoint=entrypoint, wakeup_receivers=broker.wake())
    states = []

    def finished():
        states.append(pgqueuer_queries.job_state(conn, job_id))
        return states[-1][1] in pgqueuer_queries.TERMINAL_STATUSES

    done, waited = poll(finished, timeout, JOB_POLL_S)
    queue_status, log_status = states[-1]
    job.update(latency_ms=elapsed_ms(started), status=log_status if done else queue_status)
    if done and log_status == "successful":
        return job, waited
    if done:
        raise ProbeError("mismatch", "probe job %d (%s) ended %r" % (job_id, entrypoint, log_status), job=job)
    raise ProbeError("assertion", _job_timeout_message(conn, broker, job, waited), job=job, waited_s=waited)


def _job_timeout_message(conn, broker, job, waited):
    """Says what was seen, and takes the job back if no worker holds it, so it does not linger."""
    head = "probe job %d (%s) still %s after %.1f s" % (job["id"], job["entrypoint"], job["status"], waited)
    if job["status"] != "queued":
        return head + "; a worker holds it, left in place"
    count = broker.listeners()
    seen = broker.nobody()
    if count:
        seen = "%s, none took it (is %r registered?)" % (broker.some(count), job["entrypoint"])
    if pgqueuer_queries.remove_if_queued(conn, job["id"]):
        job["status"] = "deleted"
        return "%s: %s; removed it from the queue" % (head, seen)
    return "%s: %s; a worker picked it just now, left in place" % (head, seen)


def _wants_job(params):
    return params["roundtrip_job"] or params["wait_for"] == "consuming"


def _open_broker(params, conn, channel, redis_settings, watch):
    if redis_settings is None:
        return PostgresBroker(conn, channel, params["connect_timeout"])
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
    missing = watch.time("schema", pgqueuer_queries.schema_missing, conn)
    if missing:
        message = "PgQueuer schema incomplete: missing %s" % ", ".join(missing)
        raise ProbeError("backend", message, schema_present=False, schema_missing=missing)
    broker = _open_broker(params, conn, channel, redis_settings, watch)
    try:
        roundtrip_ms = watch.time("broker_roundtrip", broker.roundtrip)
        waited, job = 0.0, None
        if params["wait_for"] == "listening":
            waited = _listening(module, broker, params["timeout"])
        elif params["wait_for"] == "drained":
            waited = _drained(module, conn, params["timeout"])
        if _wants_job(params) and not module.check_mode:
            job, waited = watch.time("job", roundtrip_job, conn, broker, params["entrypoint"], params["timeout"])
        jobs = watch.time("queue", pgqueuer_queries.in_flight, conn)
        depth = pgqueuer_queries.depth(conn)
        listeners = broker.listeners()
        broker_facts = dict(name=broker.name, channel=broker.channel, listeners=listeners, roundtrip_ms=roundtrip_ms)
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
        stale=pgqueuer_queries.stale(jobs, params["stale_after"]),
        broker=broker_facts,
        job=job,
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
    conninfo = postgres_connection.resolve_conninfo(params, "pgqueuer_probe")
    module.hide(conninfo.get("password"))

    watch = Stopwatch()
    conn = watch.time("connect", postgres_connection.connect, conninfo)
    try:
        result = _probe(module, conn, channel, redis_settings, watch)
    except deps.psycopg.Error as e:
        raise postgres_connection.postgres_failure(e, conninfo, "the PgQueuer probe") from e
    except redis_connection.redis_error_types() as e:
        raise redis_connection.redis_failure(e, redis_settings, "the broker probe") from e
    finally:
        conn.close()
    result["msg"] = _summary(result, _wants_job(params) and module.check_mode)
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
    if result["job"]:
        text += "; probe job %d successful in %.1f ms" % (result["job"]["id"], result["job"]["latency_ms"])
    elif job_skipped:
        text += "; check mode: the probe job was not enqueued"
    return text
