# -*- coding: utf-8 -*-
# Copyright (c) 2026, RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which PostgreSQL sessions are PgQueuer workers listening on the SQL broker's channel.

PostgreSQL shows no session the channels another session LISTENs on; ``pg_stat_activity`` only
shows each session's current or last statement (its first ``track_activity_query_size`` bytes,
1024 by default). Two kinds of worker connections follow from PgQueuer's drivers:

- a connection of its own that only LISTENs (PgQueuer's asyncpg pool driver, the sandbox's
  stand-in): its last statement stays ``LISTEN <channel>``;
- PgQueuer's stock psycopg driver (``PgQueuer.from_psycopg_connection``, as RevisBaliCRM's worker
  is built) LISTENs on the one connection that also runs its dequeue loop, its heartbeats and the
  scheduler, so its last statement is nearly always one of those, and the LISTEN only just after
  the start.

``worker`` counting takes both: sessions whose statement is the LISTEN, and sessions whose
statement is one only a PgQueuer worker sends (:data:`WORKER_STATEMENTS`, read from PgQueuer
1.6.0's and 0.25.3's query builders). A worker statement from a client (address and user) that
also has a LISTEN session is that worker's query connection, not a second listener.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import time
from collections import OrderedDict

HIDDEN = "<insufficient privilege>"

# Statement -> pattern over its text with comments dropped, whitespace collapsed and lower-cased, anchored
# at the start (the part pg_stat_activity always keeps). Only statements PgQueuer's worker process sends:
# its QueueManager, the buffers that log finished jobs and heartbeats, and the SchedulerManager that
# `pgq run` starts on the same connection. PgQueuer 0.x's NOTIFY on the channel is matched in classify().
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


def classify(query, channel):
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
        kind = classify(query, channel)
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
