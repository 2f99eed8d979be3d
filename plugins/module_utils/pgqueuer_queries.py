# -*- coding: utf-8 -*-
# Copyright (c) 2026, RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SQL pgqueuer_probe runs against PgQueuer's tables (schema of PgQueuer 1.x, default
object names). Jobs always live in PostgreSQL, whichever broker wakes the workers."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

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
# PgQueuer workers listening on the SQL broker is pgqueuer_sessions' call. Sessions of other roles show
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
