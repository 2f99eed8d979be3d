#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: pgqueuer_probe
short_description: Show that PgQueuer workers are listening and consuming, on either broker
version_added: 0.1.0
description:
  - Jobs always live in PostgreSQL; the broker only wakes the workers up. This module looks at both sides.
  - PostgreSQL side, for both brokers. PgQueuer's schema is installed (tables C(pgqueuer) and C(pgqueuer_log), enum
    C(pgqueuer_status), the notify trigger), the queue depth per status and entrypoint, the jobs in flight and the
    stale ones.
  - Broker side. V(postgres), the workers' sessions listening on O(channel) (see O(sql_listeners) for how they are
    recognised), and a C(LISTEN)/C(NOTIFY) round trip on a private channel of the module's own session. V(redis),
    C(PUBSUB NUMSUB) of O(channel), and a C(PUBLISH) round trip on a private channel. Nothing is ever sent on the
    workers' channel except PgQueuer's own wake-up event, so no worker ever sees a payload it cannot parse.
  - With O(roundtrip_job) (or O(wait_for=consuming)) it proves that workers consume. It enqueues a no-op job of
    O(entrypoint) with a plain SQL C(INSERT), wakes the workers as the application does (the table trigger for
    V(postgres); a C(table_changed_event) published on O(channel) after commit for V(redis)), and waits for the job's
    C(pgqueuer_log) row to say V(successful). That is the end-to-end proof that a worker consumes through the broker,
    and it needs the application to register that entrypoint (see the notes).
  - The second proof needs nothing from the application. Jobs of any entrypoint that the workers finish during the
    wait (C(pgqueuer_log) rows with status V(successful) written after the wait began) show that workers consume
    while the broker has listeners; RV(consumption) says how many and of which entrypoints. It does not show that the
    wake-up itself travelled through the broker (a worker also finds jobs by its dequeue-timeout poll). With
    O(entrypoint) empty it is the only proof, and the module waits until a job finishes or O(timeout) passes.
  - When nothing listens on the broker the consumption check fails, whatever O(require) says. When listeners are
    present but neither proof came in time, O(require) decides. V(consuming) fails with RV(reason=assertion),
    V(listening) returns with a warning and V(proven=false) in RV(consumption). The message says what was and was
    not proven, for example C(no worker picked the probe job 'probe.noop' within 30s although 1 subscriber listens
    on Redis channel '0'), followed by C(the app may not register that entrypoint).
  - The probe job is consumed, or taken back when it is still queued at the timeout, so the module never reports a
    change.
extends_documentation_fragment:
  - revisbali.business_suite.attributes
  - revisbali.business_suite.postgres
  - revisbali.business_suite.redis.broker
attributes:
  check_mode:
    support: full
    details:
      - In check mode every read-only probe and the private-channel round trips run; the probe job is not enqueued
        and no consumption check runs (RV(consumption) is V(null)), and RV(msg) says so.
  diff_mode:
    support: none
  idempotent:
    support: full
    details:
      - The probe job is removed by the worker that runs it, or by the module on timeout while it is still queued;
        RV(ignore:changed) is always V(false).
options:
  broker:
    description:
      - How the workers are woken. V(postgres) is PgQueuer's own C(LISTEN)/C(NOTIFY); V(redis) is the application's
        Redis pub/sub driver.
    type: str
    choices: [postgres, redis]
    default: postgres
  channel:
    description:
      - The wake-up channel. For V(postgres) PgQueuer's channel, V(ch_pgqueuer) when not set.
      - For V(redis) the application's E(PGQUEUE_CHANNEL) value (for example V("0")); required.
    type: str
  roundtrip_job:
    description:
      - Prove consumption (see the description), waiting up to O(timeout), by the probe job of O(entrypoint) and the
        application's jobs that finish meanwhile.
    type: bool
    default: false
  entrypoint:
    description:
      - Entrypoint of the probe job; the workers must have it registered and it must do nothing (see the notes).
      - Empty (V("")) enqueues no probe job; consumption is then proven only by the application's own jobs finishing
        during the wait, so an idle queue proves nothing (pair it with O(require=listening)).
    type: str
    default: probe.noop
  require:
    description:
      - What the consumption check (O(wait_for=consuming), O(roundtrip_job)) must show to succeed.
      - V(consuming), that workers consume, by the probe job or by the application's jobs finishing; otherwise the
        module fails with RV(reason=assertion).
      - V(listening), only that the broker has at least one listener; an unproven consumption is a warning and
        V(proven=false) in RV(consumption), never a failure. Use it when the application may not register
        O(entrypoint).
      - Either way a broker without listeners fails, and a probe job that ends other than V(successful) fails with
        RV(reason=mismatch).
    type: str
    choices: [consuming, listening]
    default: consuming
  sql_listeners:
    description:
      - V(postgres). How the sessions listening on O(channel) are recognised. PostgreSQL shows no session the channels
        another one listens on; C(pg_stat_activity) only shows each session's current or last statement. Only
        sessions of this database with C(backend_type) V(client backend), other than the module's own, are looked at,
        each counted once (by backend PID).
      - V(worker) (for PgQueuer's stock psycopg driver, C(PgQueuer.from_psycopg_connection), as RevisBaliCRM builds its
        worker). That driver LISTENs on the one connection that also runs its dequeue loop, so that session's last
        statement is nearly always another one. Counted are the sessions whose statement is C(LISTEN) on O(channel),
        or one that only a PgQueuer worker sends (PgQueuer 1.x and 0.x). The dequeue, the worker's queue checks
        (C(AS queued_work), C(AS eta)), the job heartbeat update, the finished jobs' log insert, the advisory-locked
        log aggregation, the scheduler's fetch, heartbeat and release of schedules, and 0.x's C(pg_notify) on
        O(channel). A session showing C(SELECT pg_notify($1, $2)), PgQueuer 1.x's listener health check every 10 s,
        is looked at again for up to 2 s until it shows another statement. A worker statement from a client (address
        and user) that also has a C(LISTEN) session is that worker's query connection, not a listener of its own.
      - V(listen), only sessions whose statement is C(LISTEN) on O(channel). Exact for drivers that LISTEN on a
        connection of their own (PgQueuer's asyncpg pool driver, the sandbox's stand-in app), blind to the stock
        psycopg driver.
      - Limits of V(worker). It counts PgQueuer worker connections, not LISTENs. A driver that keeps PgQueuer's SQL on
        PostgreSQL but takes its wake-ups elsewhere (a Redis pub/sub driver) is counted too, so while such workers
        run, a V(postgres) count is too high; use V(listen) then, or rely on the consumption check. A worker
        connection that runs no marked statement at that moment (starting up, or a statement PgQueuer adds in a later
        release) is missed. A producer cancelling jobs sends the 1.x job log insert and is counted for that moment.
        Tables other than PgQueuer's default names are not recognised.
      - Ignored with V(redis).
    type: str
    choices: [worker, listen]
    default: worker
  wait_for:
    description:
      - V(none) looks once.
      - V(drained) waits until the jobs picked (in flight) when the call starts are no longer picked, for example
        before stopping workers. Jobs picked meanwhile are not waited for, so a busy queue does not hold the wait
        until O(timeout); a worker stopped with SIGTERM finishes those in its grace period.
      - V(listening) waits until at least O(min_listeners) sessions listen (V(postgres), see O(sql_listeners)) or
        connections subscribe (V(redis)) on O(channel).
      - V(consuming) proves that workers consume (see the description); the same as O(roundtrip_job=true).
      - When the condition is not met within O(timeout) the module fails with RV(reason=assertion), saying what it saw;
        for V(consuming), O(require) decides when listeners are present.
    type: str
    choices: [none, drained, listening, consuming]
    default: none
  on_timeout:
    description:
      - What O(wait_for=drained) does when jobs it waits for are still picked after O(timeout). V(fail) fails with
        RV(reason=assertion). V(warn) succeeds with a warning that names them (RV(in_flight) lists every picked job),
        for a caller that stops the workers anyway and leaves the jobs to their SIGTERM grace period.
      - V(warn) is accepted with O(wait_for=drained) only; the other waits are gates.
    type: str
    choices: [fail, warn]
    default: fail
  timeout:
    description:
      - Seconds O(wait_for) and O(roundtrip_job) may wait, 0 or more; 0 checks once.
    type: float
    default: 30
  poll_interval:
    description:
      - Seconds between checks while waiting for V(drained) or V(listening), greater than 0. The probe job's state is
        read every 20 ms, so its latency is exact.
    type: float
    default: 0.5
  min_listeners:
    description:
      - How many listeners O(wait_for=listening) waits for, 1 or more.
    type: int
    default: 1
  stale_after:
    description:
      - A picked job whose heartbeat is older than this many seconds is reported in RV(stale).
    type: float
    default: 300
notes:
  - 'The contract an application meets for the full consumption proof: its workers register a no-op entrypoint named
    O(entrypoint) (V(probe.noop) by default), for example C(@pgq.entrypoint("probe.noop")) on an C(async def) that
    returns at once, in the same PgQueuer instance as its other entrypoints. The probe job has no payload (C(NULL)),
    priority 0 and no dedupe key. An application that does not register it gets the second proof only (its own jobs
    finishing while listeners are present), or a timeout; RevisBaliCRM at commit 154a9356 registers no such
    entrypoint.'
  - PostgreSQL shows the statement of other roles' sessions only to superusers and members of C(pg_read_all_stats).
    When sessions are hidden from the probe's role the module warns, because listeners may be undercounted.
  - The PgQueuer tables are looked up through the connection's C(search_path), with PgQueuer's default names.
  - Needs C(psycopg) (and C(redis) for V(redis)) on the managed host.
seealso:
  - module: revisbali.business_suite.redis_smoke
"""

EXAMPLES = r"""
- name: Workers drained before they are stopped
  revisbali.business_suite.pgqueuer_probe:
    db_host: 127.0.0.1
    db_name: business_suite
    db_user: business_suite
    db_password: "{{ vault_db_password }}"
    wait_for: drained
    timeout: 120
    on_timeout: warn  # the workers stop anyway; their SIGTERM grace period finishes what is left

- name: A worker on the Redis broker consumes a job end to end
  revisbali.business_suite.pgqueuer_probe:
    dsn: "postgresql://business_suite:{{ vault_db_password }}@127.0.0.1:5432/business_suite"
    broker: redis
    channel: "0"
    redis:
      url: "redis://127.0.0.1:6379/1"
    wait_for: consuming
    timeout: 30
  register: queue_check

- name: The app registers no probe entrypoint, so its own jobs are the proof, and an idle queue only warns
  revisbali.business_suite.pgqueuer_probe:
    dsn: "postgresql://business_suite:{{ vault_db_password }}@127.0.0.1:5432/business_suite"
    wait_for: consuming
    entrypoint: ""
    require: listening
    timeout: 60

- name: After a rollback, the SQL broker has its listener back
  revisbali.business_suite.pgqueuer_probe:
    db_host: 127.0.0.1
    db_name: business_suite
    db_user: business_suite
    db_password: "{{ vault_db_password }}"
    wait_for: listening
    timeout: 60
"""

RETURN = r"""
reason:
  description:
    - Why the module failed. V(unreachable), V(auth), V(acl) (a permission is missing in PostgreSQL or Redis),
      V(backend) (PgQueuer's schema is missing or incomplete), V(mismatch) (a private round trip lost its message, or
      the probe job ended other than V(successful)), V(assertion) (O(wait_for) was not met within O(timeout); for the
      consumption check, nothing listens, or consumption was not proven with O(require=consuming)), V(input) (a
      parameter is invalid; nothing was contacted), V(dependency) (a Python library is missing on the managed host).
  returned: failure
  type: str
  sample: assertion
schema_present:
  description: Whether PgQueuer's tables, enum and notify trigger exist.
  returned: success, or when the schema is incomplete
  type: bool
schema_missing:
  description: What is missing from PgQueuer's schema.
  returned: when the schema is incomplete
  type: list
  elements: str
  sample: ["notify trigger on pgqueuer"]
depth:
  description: Jobs in the queue table per status and entrypoint, with the age of the oldest in seconds.
  returned: success
  type: list
  elements: dict
  sample: [{"status": "queued", "entrypoint": "bench.record", "count": 12, "oldest_age_s": 0.8}]
in_flight:
  description:
    - Picked jobs, with the age of their heartbeat in seconds.
    - When O(wait_for=drained) timed out, the jobs it waited for that are still picked.
  returned: success, or when O(wait_for=drained) timed out
  type: list
  elements: dict
  sample: [{"id": 4711, "entrypoint": "demo.sleep", "heartbeat_age_s": 1.2}]
stale:
  description: The jobs of RV(in_flight) whose heartbeat is older than O(stale_after).
  returned: success
  type: list
  elements: dict
broker:
  description:
    - V(name) and V(channel) of the broker, V(listeners) (listening sessions, see O(sql_listeners), or pub/sub
      subscribers on the channel, after any wait) and V(roundtrip_ms) of the private-channel round trip.
    - V(postgres) only, V(match), the O(sql_listeners) used, and V(sessions), the sessions counted, each with V(pid),
      V(user), V(client) (address, V(null) for a Unix socket) and V(statement), what it was recognised by (V(listen),
      V(dequeue), V(queue check), V(heartbeat), V(job log), V(log aggregation), V(scheduler), V(notify)).
  returned: success
  type: dict
  sample:
    name: postgres
    channel: ch_pgqueuer
    listeners: 1
    roundtrip_ms: 0.42
    match: worker
    sessions: [{"pid": 4711, "user": "business_suite", "client": "192.168.2.63", "statement": "scheduler"}]
job:
  description:
    - The probe job, V(null) when none ran (also with O(entrypoint) empty). V(id), V(entrypoint), V(status)
      (V(successful); otherwise the last status seen, V(deleted) when the module took it back, V(picked) when a worker
      holds it and it was left in place), V(latency_ms) from enqueue to its log row or the timeout, and
      V(wakeup_receivers), the subscribers that received the Redis wake-up (V(null) for V(postgres)).
  returned: success, and on a probe job failure
  type: dict
  sample: {"id": 4712, "entrypoint": "probe.noop", "status": "successful", "latency_ms": 14.8, "wakeup_receivers": 1}
consumption:
  description:
    - What the consumption check proved; V(null) when none ran (no O(wait_for=consuming) or O(roundtrip_job), or check
      mode).
    - V(proven), V(by) (V(probe_job), V(finished_jobs), or V(null) when not proven), V(finished_jobs), how many of the
      application's jobs were logged successful during the wait (the probe job aside), V(finished_entrypoints), the
      same per entrypoint, and V(msg), one sentence saying what was and was not proven.
  returned: success, and when the consumption check failed
  type: dict
  sample:
    proven: true
    by: finished_jobs
    finished_jobs: 3
    finished_entrypoints: {"core.run_ocr_job": 3}
    msg: >-
      no worker picked the probe job 'probe.noop' within 30s although 1 subscriber listens on Redis channel '0': the
      app may not register that entrypoint (see redis_cutover_probe_entrypoint); removed it from the queue; 3 job(s)
      finished during the wait (core.run_ocr_job: 3): the workers consume
waited_s:
  description: Seconds spent waiting for O(wait_for) or the probe job.
  returned: success, and when a wait timed out
  type: float
latency_ms:
  description:
    - Milliseconds per step, V(connect), V(schema), V(redis_connect), V(broker_roundtrip), V(job), V(queue), and
      V(total).
  returned: success
  type: dict
msg:
  description: One line saying what was seen.
  returned: always
  type: str
"""

from ansible_collections.revisbali.business_suite.plugins.module_utils import pgqueuer
from ansible_collections.revisbali.business_suite.plugins.module_utils.pgqueuer_postgres import (
    POSTGRES_CONNECTION_SPEC,
    POSTGRES_MUTUALLY_EXCLUSIVE,
)
from ansible_collections.revisbali.business_suite.plugins.module_utils.probe_module import ProbeModule
from ansible_collections.revisbali.business_suite.plugins.module_utils.redis_connection import (
    REDIS_CONNECTION_SPEC,
    REDIS_MUTUALLY_EXCLUSIVE,
)


def main():
    argument_spec = dict(
        broker=dict(type="str", choices=["postgres", "redis"], default="postgres"),
        channel=dict(type="str"),
        redis=dict(type="dict", options=REDIS_CONNECTION_SPEC, mutually_exclusive=REDIS_MUTUALLY_EXCLUSIVE),
        roundtrip_job=dict(type="bool", default=False),
        entrypoint=dict(type="str", default="probe.noop"),
        require=dict(type="str", choices=["consuming", "listening"], default="consuming"),
        sql_listeners=dict(type="str", choices=["worker", "listen"], default="worker"),
        wait_for=dict(type="str", choices=["none", "drained", "listening", "consuming"], default="none"),
        on_timeout=dict(type="str", choices=["fail", "warn"], default="fail"),
        timeout=dict(type="float", default=30.0),
        poll_interval=dict(type="float", default=0.5),
        min_listeners=dict(type="int", default=1),
        stale_after=dict(type="float", default=300.0),
    )
    argument_spec.update(POSTGRES_CONNECTION_SPEC)
    module = ProbeModule(
        argument_spec=argument_spec,
        mutually_exclusive=POSTGRES_MUTUALLY_EXCLUSIVE,
        required_if=[("broker", "redis", ("channel", "redis"))],
        supports_check_mode=True,
    )
    module.run(pgqueuer.run)


if __name__ == "__main__":
    main()
