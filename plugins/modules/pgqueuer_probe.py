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
  - Broker side. V(postgres), the sessions that C(LISTEN) on O(channel), and a C(LISTEN)/C(NOTIFY) round trip on a
    private channel of the module's own session. V(redis), C(PUBSUB NUMSUB) of O(channel), and a C(PUBLISH) round
    trip on a private channel. Nothing is ever sent on the workers' channel except PgQueuer's own wake-up event, so no
    worker ever sees a payload it cannot parse.
  - With O(roundtrip_job) (or O(wait_for=consuming)) it enqueues a no-op job with a plain SQL C(INSERT), wakes the
    workers as the application does (the table trigger for V(postgres); a C(table_changed_event) published on
    O(channel) after commit for V(redis)), and waits for the job's C(pgqueuer_log) row to say V(successful). That is
    the end-to-end proof that a worker consumes through the broker.
  - The probe job is consumed (or taken back when no worker took it), so the module never reports a change.
author:
  - RevisBali operations (@revisbali)
extends_documentation_fragment:
  - revisbali.business_suite.attributes
  - revisbali.business_suite.postgres
  - revisbali.business_suite.redis.broker
attributes:
  check_mode:
    support: full
    details:
      - In check mode every read-only probe and the private-channel round trips run; the probe job is not enqueued,
        and RV(msg) says so.
  diff_mode:
    support: none
  idempotent:
    support: full
    details:
      - The probe job is removed by the worker that runs it, or by the module on timeout; RV(ignore:changed) is
        always V(false).
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
      - Enqueue a no-op job and wait up to O(timeout) until a worker ran it successfully.
    type: bool
    default: false
  entrypoint:
    description:
      - Entrypoint of the probe job; the workers must have it registered and it must do nothing.
    type: str
    default: probe.noop
  wait_for:
    description:
      - V(none) looks once.
      - V(drained) waits until no job is picked (in flight), for example before stopping workers.
      - V(listening) waits until at least O(min_listeners) sessions listen (V(postgres)) or connections subscribe
        (V(redis)) on O(channel).
      - V(consuming) waits until the probe job succeeds; the same as O(roundtrip_job=true).
      - When the condition is not met within O(timeout) the module fails with RV(reason=assertion), saying what it saw.
    type: str
    choices: [none, drained, listening, consuming]
    default: none
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
      the probe job ended other than V(successful)), V(assertion) (O(wait_for) or the probe job did not finish within
      O(timeout)), V(input) (a parameter is invalid; nothing was contacted), V(dependency) (a Python library is
      missing on the managed host).
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
  description: Picked jobs, with the age of their heartbeat in seconds.
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
    - V(name) and V(channel) of the broker, V(listeners) (C(LISTEN) sessions or pub/sub subscribers on the channel,
      after any wait) and V(roundtrip_ms) of the private-channel round trip.
  returned: success
  type: dict
  sample: {"name": "redis", "channel": "0", "listeners": 1, "roundtrip_ms": 0.42}
job:
  description:
    - The probe job, V(null) when none ran. V(id), V(entrypoint), V(status) (V(successful); on failure the last
      status seen, V(deleted) when the module took it back), V(latency_ms) from enqueue to its log row, and
      V(wakeup_receivers), the subscribers that received the Redis wake-up (V(null) for V(postgres)).
  returned: success, and on a probe job failure
  type: dict
  sample: {"id": 4712, "entrypoint": "probe.noop", "status": "successful", "latency_ms": 14.8, "wakeup_receivers": 1}
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

from ansible_collections.revisbali.business_suite.plugins.module_utils import pgqueuer_checks
from ansible_collections.revisbali.business_suite.plugins.module_utils.postgres_connection import (
    POSTGRES_CONNECTION_SPEC,
    POSTGRES_MUTUALLY_EXCLUSIVE,
)
from ansible_collections.revisbali.business_suite.plugins.module_utils.probe import ProbeModule
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
        wait_for=dict(type="str", choices=["none", "drained", "listening", "consuming"], default="none"),
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
    module.run(pgqueuer_checks.run)


if __name__ == "__main__":
    main()
