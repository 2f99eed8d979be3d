# -*- coding: utf-8 -*-
# Copyright (c) 2026, RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL for pgqueuer_probe: the connection (argument spec, validation, psycopg 3 from 3.1 on
Debian 12 up to 3.3, the classification of its errors), the SQL it runs against PgQueuer's tables
(schema of PgQueuer 1.x, default object names; jobs always live in PostgreSQL, whichever broker wakes
the workers), and which sessions are PgQueuer workers listening on the SQL broker's channel."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import time
from collections import OrderedDict

from ansible_collections.revisbali.business_suite.plugins.module_utils import deps, dotenv
from ansible_collections.revisbali.business_suite.plugins.module_utils.errors import InputError, ProbeError
from ansible_collections.revisbali.business_suite.plugins.module_utils.input_checks import (
    require_port,
    require_positive,
)

SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")

# Documented in doc_fragments/postgres.py.
POSTGRES_CONNECTION_SPEC = dict(
    dsn=dict(type="str", no_log=True),
    db_host=dict(type="str", default="localhost"),
    db_port=dict(type="int", default=5432),
    db_name=dict(type="str"),
    db_user=dict(type="str"),
    db_password=dict(type="str", no_log=True),
    db_env_file=dict(type="path"),
    sslmode=dict(type="str", choices=list(SSLMODES)),
    connect_timeout=dict(type="int", default=5),
)

POSTGRES_MUTUALLY_EXCLUSIVE = [
    ("dsn", name) for name in ("db_host", "db_port", "db_name", "db_user", "db_password", "db_env_file")
]

# The stack's .env keys for the options db_env_file fills (business_suite's .env.example and compose file).
ENV_FILE_KEYS = (("db_name", "DB_NAME"), ("db_user", "DB_USER"), ("db_password", "DB_PASS"))


def env_file_credentials(path):
    """db_name, db_user and db_password from the .env at path, for the keys it sets."""
    try:
        found = dotenv.load_values(path)
    except dotenv.DotenvFileError as exc:
        raise ProbeError(exc.reason, "db_env_file: %s" % exc) from None
    return dict((option, found[key]) for option, key in ENV_FILE_KEYS if key in found)


def resolve_conninfo(params, application_name):
    """libpq keywords for ``psycopg.connect``, or InputError naming the field. Needs psycopg."""
    require_positive(params, ("connect_timeout",))
    if params.get("dsn"):
        try:
            conninfo = deps.psycopg_conninfo.conninfo_to_dict(params["dsn"])
        except deps.psycopg.Error:
            # libpq's message quotes the string, and the string may hold a password.
            raise InputError("dsn", "is not a valid libpq connection string or postgresql:// URL") from None
    else:
        require_port(params, "db_port")
        given = env_file_credentials(params["db_env_file"]) if params.get("db_env_file") else {}
        given.update((option, params[option]) for option, _key in ENV_FILE_KEYS if params.get(option) is not None)
        conninfo = dict(
            host=params["db_host"],
            port=params["db_port"],
            dbname=given.get("db_name"),
            user=given.get("db_user"),
            password=given.get("db_password"),
        )
    conninfo.update(connect_timeout=params["connect_timeout"], application_name=application_name)
    if params.get("sslmode"):
        conninfo["sslmode"] = params["sslmode"]
    return dict((k, v) for k, v in conninfo.items() if v is not None)


def describe(conninfo):
    """Where the probe connects, for messages: never credentials, and not URL-shaped (a URL
    equal to the secret dsn option would be masked)."""
    return "%s:%s db %s" % (
        conninfo.get("host", "localhost"),
        conninfo.get("port", 5432),
        conninfo.get("dbname", conninfo.get("user", "")),
    )


def connect(conninfo):
    """An autocommit session: every probe statement commits (and notifies) on its own."""
    try:
        return deps.psycopg.connect(autocommit=True, **conninfo)
    except deps.psycopg.Error as e:
        raise postgres_failure(e, conninfo, "connect") from e


def classify_error(exc):
    """Failure ``reason`` for a psycopg error."""
    sqlstate = getattr(exc, "sqlstate", None) or ""
    message = str(exc)
    if sqlstate.startswith("28") or "password authentication failed" in message or "no password supplied" in message:
        return "auth"
    if sqlstate == "42501" or "permission denied" in message:
        return "acl"
    if sqlstate.startswith(("42P01", "42704")):  # undefined table / object: PgQueuer is not installed
        return "backend"
    return "unreachable"


def postgres_failure(exc, conninfo, doing):
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ProbeError(classify_error(exc), "PostgreSQL at %s: %s failed: %s" % (describe(conninfo), doing, message))


# PgQueuer's tables.

TERMINAL_STATUSES = ("successful", "exception", "canceled", "deleted", "failed")

SCHEMA_SQL = """
SELECT to_regclass('pgqueuer') IS NOT NULL,
       to_regclass('pgqueuer_log') IS NOT NULL,
       to_regtype('pgqueuer_status') IS NOT NULL,
       EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
               WHERE t.tgrelid = to_regclass('pgqueuer') AND NOT t.tgisinternal
                 AND p.prosrc LIKE '%pg_notify%')
"""
SCHEMA_PARTS = ("table pgqueuer", "table pgqueuer_log", "enum pgqueuer_status", "notify trigger on pgqueuer")

DEPTH_SQL = """
SELECT status::text, entrypoint, count(*),
       round(extract(epoch FROM now() - min(created))::numeric, 3)::float8
FROM pgqueuer GROUP BY 1, 2 ORDER BY 1, 2
"""

IN_FLIGHT_SQL = """
SELECT id, entrypoint, round(extract(epoch FROM now() - heartbeat)::numeric, 3)::float8
FROM pgqueuer WHERE status = 'picked' ORDER BY id
"""

# Every other client session of this database with its last (or current) statement; which of them are
# PgQueuer workers listening on the SQL broker is count_listeners()'s call. Sessions of other roles show
# '<insufficient privilege>' unless the probe's role may read them. ``pids`` narrows it to those sessions.
SESSIONS_SQL = """
SELECT pid, usename::text, host(client_addr), query
FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
  AND (%(pids)s::int[] IS NULL OR pid = ANY(%(pids)s::int[]))
ORDER BY pid
"""

# The newest log row before a wait: rows after it were written during the wait (the primary key keeps
# this cheap on a long log).
LOG_MARK_SQL = "SELECT coalesce(max(id), 0) FROM pgqueuer_log"

# Jobs that finished successfully after the mark, per entrypoint, the probe job aside.
FINISHED_SQL = """
SELECT entrypoint, count(*)
FROM pgqueuer_log
WHERE id > %(after)s AND status = 'successful' AND job_id IS DISTINCT FROM %(probe)s
GROUP BY entrypoint ORDER BY entrypoint
"""

# A plain enqueue, as PgQueuer's own does it: the queue row plus its 'queued' log row. The
# statement trigger notifies SQL-broker workers when it commits.
ENQUEUE_SQL = """
WITH job AS (
    INSERT INTO pgqueuer (priority, entrypoint, payload, execute_after, status)
    VALUES (0, %(entrypoint)s, NULL, now(), 'queued')
    RETURNING id, entrypoint, priority
), logged AS (
    INSERT INTO pgqueuer_log (job_id, status, entrypoint, priority)
    SELECT id, 'queued', entrypoint, priority FROM job
)
SELECT id FROM job
"""

JOB_STATE_SQL = """
SELECT (SELECT status::text FROM pgqueuer WHERE id = %(id)s),
       (SELECT status::text FROM pgqueuer_log WHERE job_id = %(id)s ORDER BY id DESC LIMIT 1)
"""

# Take the probe job back only while no worker holds it; logged as PgQueuer logs a deletion.
REMOVE_QUEUED_SQL = """
WITH removed AS (
    DELETE FROM pgqueuer WHERE id = %(id)s AND status = 'queued'
    RETURNING id, entrypoint, priority
)
INSERT INTO pgqueuer_log (job_id, status, entrypoint, priority)
SELECT id, 'deleted', entrypoint, priority FROM removed
RETURNING job_id
"""


def _rows(conn, query, params=None):
    return conn.execute(query, params).fetchall()


def schema_missing(conn):
    """The parts of PgQueuer's schema that are absent (empty when it is installed)."""
    present = _rows(conn, SCHEMA_SQL)[0]
    return [part for index, part in enumerate(SCHEMA_PARTS) if not present[index]]


def depth(conn):
    return [
        dict(status=status, entrypoint=entrypoint, count=count, oldest_age_s=age)
        for status, entrypoint, count, age in _rows(conn, DEPTH_SQL)
    ]


def in_flight(conn):
    return [dict(id=job_id, entrypoint=ep, heartbeat_age_s=age) for job_id, ep, age in _rows(conn, IN_FLIGHT_SQL)]


def stale(jobs, stale_after):
    """The picked jobs whose heartbeat is older than ``stale_after`` seconds."""
    return [job for job in jobs if job["heartbeat_age_s"] > stale_after]


def sessions(conn, pids=None):
    """``(pid, user, client address, statement)`` of the database's other client sessions (only ``pids``)."""
    return [tuple(row) for row in _rows(conn, SESSIONS_SQL, dict(pids=list(pids) if pids is not None else None))]


def log_mark(conn):
    return _rows(conn, LOG_MARK_SQL)[0][0]


def finished_jobs(conn, after, probe_id=None):
    """``{entrypoint: count}`` of the jobs logged successful after log row ``after``, the probe job aside."""
    return dict(
        (entrypoint, count) for entrypoint, count in _rows(conn, FINISHED_SQL, dict(after=after, probe=probe_id))
    )


def enqueue(conn, entrypoint):
    return _rows(conn, ENQUEUE_SQL, dict(entrypoint=entrypoint))[0][0]


def job_state(conn, job_id):
    """``(status in pgqueuer or None once it left, latest pgqueuer_log status)``."""
    return tuple(_rows(conn, JOB_STATE_SQL, dict(id=job_id))[0])


def remove_if_queued(conn, job_id):
    """True when the job was still queued and is now removed."""
    return bool(_rows(conn, REMOVE_QUEUED_SQL, dict(id=job_id)))


# Which PostgreSQL sessions are PgQueuer workers listening on the SQL broker's channel.
#
# PostgreSQL shows no session the channels another session LISTENs on; ``pg_stat_activity`` only
# shows each session's current or last statement (its first ``track_activity_query_size`` bytes,
# 1024 by default). Two kinds of worker connections follow from PgQueuer's drivers:
#
# - a connection of its own that only LISTENs (PgQueuer's asyncpg pool driver, the sandbox's
#   stand-in): its last statement stays ``LISTEN <channel>``;
# - PgQueuer's stock psycopg driver (``PgQueuer.from_psycopg_connection``, as RevisBaliCRM's worker
#   is built) LISTENs on the one connection that also runs its dequeue loop, its heartbeats and the
#   scheduler, so its last statement is nearly always one of those, and the LISTEN only just after
#   the start.
#
# ``worker`` counting takes both: sessions whose statement is the LISTEN, and sessions whose
# statement is one only a PgQueuer worker sends (``WORKER_STATEMENTS``, read from PgQueuer
# 1.6.0's and 0.25.3's query builders). A worker statement from a client (address and user) that
# also has a LISTEN session is that worker's query connection, not a second listener.

HIDDEN = "<insufficient privilege>"

# Statement -> pattern over its text with comments dropped, whitespace collapsed and lower-cased, anchored
# at the start (the part pg_stat_activity always keeps). Only statements PgQueuer's worker process sends:
# its QueueManager, the buffers that log finished jobs and heartbeats, and the SchedulerManager that
# `pgq run` starts on the same connection. PgQueuer 0.x's NOTIFY on the channel is matched in
# classify_statement().
# <queue> and <schedules> stand for PgQueuer's tables (default names, optionally schema-qualified).
WORKER_STATEMENTS = OrderedDict(
    [
        # The dequeue: 1.x without, then with per-entrypoint concurrency limits; 0.x.
        ("dequeue", r"with (available as \( select unnest\(\$\d+::text\[\]\) as entrypoint \)"
                    r"|params as \( select unnest\(\$\d+::text\[\]\) as entrypoint,"
                    r" unnest\(\$\d+::bigint\[\]\) as concurrency_limit \)"
                    r"|entrypoint_execution_params as \( select unnest\(\$\d+::text\[\]\) as entrypoint,)"),
        # What the 1.x loop asks before it sleeps (0.x: its drain check).
        ("queue check", r"select (count\(\*\) as queued_work from "
                        r"|execute_after - now\(\) as eta from <queue> where )"),
        ("heartbeat", r"update <queue> set heartbeat = now\(\) where id = any\(\$1::(bigint|integer)\[\]\)"),
        # The finished jobs' log rows: 1.x, 0.x.
        ("job log", r"with (job_status as \( select unnest\(\$1::bigint\[\]\) as id,"
                    r" unnest\(\$2::[^)]*pgqueuer_status\[\]\) as status"
                    r"|deleted as \( delete from <queue> where id = any\(\$1::integer\[\]\)"
                    r" returning id, entrypoint, priority \), job_status as \()"),
        # 1.x's periodic log aggregation: the advisory-locked variant, which only the worker runs.
        ("log aggregation", r"with guard as \( select pg_try_advisory_xact_lock"
                            r"\(hashtext\('[^']*pgqueuer_statistics'\)\)"),
        # The scheduler: due schedules, their heartbeat, their release.
        ("scheduler", r"with params as \( select unnest\(\$1::text\[\]\) as expression,"
                      r" unnest\(\$2::text\[\]\) as entrypoint, unnest\(\$3::interval\[\]\) as delay \),"
                      r" picked_jobs as \("
                      r"|update <schedules> set (heartbeat = now\(\), updated = now\(\) where id = any\(\$1\)"
                      r"|status = 'queued', last_run = now\(\), updated = now\(\) where id = any\(\$1\))"),
    ]
)  # fmt: skip
_TABLE = r'(?:"?[a-z0-9_$]+"?\.)?"?%s"?'


def _compile(pattern):
    pattern = pattern.replace("<queue>", _TABLE % "pgqueuer").replace("<schedules>", _TABLE % "pgqueuer_schedules")
    return re.compile(pattern)


_WORKER = [(name, _compile(pattern)) for name, pattern in WORKER_STATEMENTS.items()]
_COMMENT = re.compile(r"--[^\n]*")
_SPACE = re.compile(r"\s+")


def normalize(query):
    """Comments dropped, whitespace collapsed, lower case."""
    return _SPACE.sub(" ", _COMMENT.sub(" ", query or "")).strip().lower()


def _listen_forms(channel):
    quoted = '"%s"' % channel.replace('"', '""')
    return ("LISTEN %s" % quoted, "LISTEN %s" % channel)


def classify_statement(query, channel):
    """``"listen"`` for the LISTEN on ``channel``, a :data:`WORKER_STATEMENTS` name, or None."""
    text = (query or "").strip(" \t\r\n;")
    if text in _listen_forms(channel):
        return "listen"
    # PgQueuer 0.x sends its notifications on its own channel with the name in the statement.
    flat = normalize(query)
    if flat == "select pg_notify('%s', $1)" % channel.lower().replace("'", "''"):
        return "notify"
    for name, pattern in _WORKER:
        if pattern.match(flat):
            return name
    return None


# PgQueuer 1.x's drivers send every NOTIFY (its listener health check every 10 s among them) as this
# statement, which any client may send too: a session showing it is looked at again (see settle()).
GENERIC_NOTIFY = "select pg_notify($1, $2)"


def count_listeners(rows, channel, match="worker"):
    """``(listeners, hidden sessions, matched sessions, pids to look at again)`` from
    ``(pid, user, client, statement)`` rows.

    ``match="listen"`` counts only LISTEN sessions; ``"worker"`` also the sessions whose statement is one
    only a PgQueuer worker sends, except those of a client (address and user) that has a LISTEN session.
    """
    hidden = 0
    listening, working, again = [], [], []
    for pid, user, client, query in rows:
        if query == HIDDEN:
            hidden += 1
            continue
        kind = classify_statement(query, channel)
        if kind == "listen":
            listening.append(dict(pid=pid, user=user, client=client, statement=kind))
        elif kind and match == "worker":
            working.append(dict(pid=pid, user=user, client=client, statement=kind))
        elif match == "worker" and normalize(query) == GENERIC_NOTIFY:
            again.append(pid)
    with_listen = set((s["user"], s["client"]) for s in listening)
    sessions = listening + [s for s in working if (s["user"], s["client"]) not in with_listen]
    sessions.sort(key=lambda s: s["pid"])
    return len(sessions), hidden, sessions, again


def settle(read, channel, match="worker", patience=2.0, interval=0.05):
    """count_listeners() over ``read(pids)``'s rows (``read(None)``: every session), where a session that
    shows PgQueuer 1.x's NOTIFY statement is read again until it shows another statement or ``patience``
    seconds pass: a 1.x worker sends its listener health check that way every 10 s, then goes on."""
    rows = dict((row[0], row) for row in read(None))
    result = count_listeners(rows.values(), channel, match)
    deadline = time.monotonic() + patience
    while result[3] and time.monotonic() < deadline:
        time.sleep(interval)
        again = set(result[3])
        for pid in again:
            rows.pop(pid)
        rows.update((row[0], row) for row in read(sorted(again)))
        result = count_listeners(rows.values(), channel, match)
    return result
