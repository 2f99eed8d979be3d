"""PgQueuer probes: queries over a scripted connection, the wake-up payload, the broker
messages and the job round trip's verdicts."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from ansible_collections.revisbali.business_suite.plugins.module_utils import (
    pgqueuer_broker,
    pgqueuer_checks,
    pgqueuer_queries,
)
from ansible_collections.revisbali.business_suite.plugins.module_utils.probe import InputError, ProbeError


class Rows:
    def __init__(self, rows):
        self.rows = rows

    def fetchall(self):
        return self.rows


class ScriptedConn:
    """Answers each SQL constant with the rows the test scripted for it, in call order."""

    def __init__(self, answers):
        self.answers = {query: list(rows) for query, rows in answers.items()}
        self.executed = []

    def execute(self, query, params=None):
        self.executed.append((query, params))
        queue = self.answers[query]
        return Rows(queue.pop(0) if len(queue) > 1 else queue[0])


def test_schema_missing_names_each_part():
    conn = ScriptedConn({pgqueuer_queries.SCHEMA_SQL: [[(True, False, True, False)]]})
    assert pgqueuer_queries.schema_missing(conn) == ["table pgqueuer_log", "notify trigger on pgqueuer"]


def test_depth_in_flight_and_stale():
    conn = ScriptedConn(
        {
            pgqueuer_queries.DEPTH_SQL: [[("queued", "bench.record", 3, 1.5)]],
            pgqueuer_queries.IN_FLIGHT_SQL: [[(7, "demo.sleep", 2.0), (8, "demo.sleep", 301.0)]],
        }
    )
    assert pgqueuer_queries.depth(conn) == [dict(status="queued", entrypoint="bench.record", count=3, oldest_age_s=1.5)]
    jobs = pgqueuer_queries.in_flight(conn)
    assert [job["id"] for job in pgqueuer_queries.stale(jobs, 300)] == [8]
    assert pgqueuer_queries.stale(jobs, 0) == jobs


def test_listen_sessions_match_both_spellings_of_the_channel():
    conn = ScriptedConn({pgqueuer_queries.LISTENERS_SQL: [[(2, 1)]]})
    assert pgqueuer_queries.listen_sessions(conn, "ch_pgqueuer") == (2, 1)
    assert conn.executed[0][1] == dict(quoted='LISTEN "ch_pgqueuer"', bare="LISTEN ch_pgqueuer")


def test_wakeup_payload_is_pgqueuers_trigger_event():
    now = datetime(2026, 11, 26, 2, 0, 0, 123456, tzinfo=UTC)
    payload = pgqueuer_broker.wakeup_payload(now)
    assert payload == (
        '{"channel": "ch_pgqueuer", "operation": "insert", "sent_at": "2026-11-26T02:00:00.123456+00:00", '
        '"table": "pgqueuer", "type": "table_changed_event"}'
    )
    assert datetime.fromisoformat(json.loads(pgqueuer_broker.wakeup_payload())["sent_at"]).tzinfo is not None


def params(**overrides):
    values = dict(broker="postgres", channel=None, timeout=30.0, poll_interval=0.5, stale_after=300.0, min_listeners=1,
                  entrypoint="probe.noop", redis=None, roundtrip_job=False, wait_for="none")  # fmt: skip
    values.update(overrides)
    return values


def test_validate_defaults_the_sql_channel_and_requires_the_redis_one():
    assert pgqueuer_checks.validate(params()) == "ch_pgqueuer"
    assert pgqueuer_checks.validate(params(channel="my.channel-1")) == "my.channel-1"
    assert pgqueuer_checks.validate(params(broker="redis", channel="0")) == "0"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (dict(timeout=-1), "timeout: must be >= 0"),
        (dict(poll_interval=0), "poll_interval: must be greater than 0"),
        (dict(stale_after=-5), "stale_after: must be >= 0"),
        (dict(min_listeners=0), "min_listeners: must be at least 1"),
        (dict(entrypoint=""), "entrypoint: must not be empty"),
        (dict(broker="redis"), "channel: is required with broker=redis"),
        (dict(channel="bad channel; DROP"), "channel: 'bad channel; DROP' is not a PgQueuer channel name"),
    ],
)
def test_validate_rejects(overrides, message):
    with pytest.raises(InputError) as raised:
        pgqueuer_checks.validate(params(**overrides))
    assert message in raised.value.msg


class FakeBroker(pgqueuer_broker.RedisBroker):
    """The Redis broker's wording, with counts the test sets."""

    def __init__(self, listeners=0, receivers=0):
        super().__init__(handle=None, channel="0", timeout=1)
        self.count, self.receivers = listeners, receivers

    def listeners(self):
        return self.count

    def wake(self):
        return self.receivers


def job_conn(states, removed=True):
    return ScriptedConn(
        {
            pgqueuer_queries.ENQUEUE_SQL: [[(41,)]],
            pgqueuer_queries.JOB_STATE_SQL: [[state] for state in states],
            pgqueuer_queries.REMOVE_QUEUED_SQL: [[(41,)] if removed else []],
        }
    )


def test_job_round_trip_success():
    conn = job_conn([("queued", "queued"), ("picked", "picked"), (None, "successful")])
    job, waited = pgqueuer_checks.roundtrip_job(conn, FakeBroker(1, 1), "probe.noop", 5)
    assert job["status"] == "successful" and job["id"] == 41 and job["wakeup_receivers"] == 1
    assert waited < 5  # returned on success, not at the 5 s deadline


def test_job_that_ends_in_exception_is_a_mismatch():
    conn = job_conn([(None, "exception")])
    with pytest.raises(ProbeError) as raised:
        pgqueuer_checks.roundtrip_job(conn, FakeBroker(1, 1), "probe.noop", 5)
    assert raised.value.reason == "mismatch" and "ended 'exception'" in raised.value.msg


def test_job_timeout_without_subscriber_takes_the_job_back():
    conn = job_conn([("queued", "queued")])
    with pytest.raises(ProbeError) as raised:
        pgqueuer_checks.roundtrip_job(conn, FakeBroker(0, 0), "probe.noop", 0)
    assert raised.value.reason == "assertion"
    assert raised.value.msg == (
        "probe job 41 (probe.noop) still queued after 0.0 s: no subscriber on Redis channel '0'; "
        "removed it from the queue"
    )
    assert raised.value.facts["job"]["status"] == "deleted"


def test_job_timeout_with_a_subscriber_that_ignores_it():
    conn = job_conn([("queued", "queued")])
    with pytest.raises(ProbeError) as raised:
        pgqueuer_checks.roundtrip_job(conn, FakeBroker(2, 2), "probe.noop", 0)
    assert "2 subscribers on Redis channel '0', none took it (is 'probe.noop' registered?)" in raised.value.msg


def test_job_timeout_while_a_worker_holds_it_leaves_it_alone():
    conn = job_conn([("picked", "picked")])
    with pytest.raises(ProbeError) as raised:
        pgqueuer_checks.roundtrip_job(conn, FakeBroker(1, 1), "probe.noop", 0)
    assert "still picked" in raised.value.msg and "left in place" in raised.value.msg
    assert pgqueuer_queries.REMOVE_QUEUED_SQL not in [call[0] for call in conn.executed]


def test_job_picked_between_timeout_and_removal():
    conn = job_conn([("queued", "queued")], removed=False)
    with pytest.raises(ProbeError) as raised:
        pgqueuer_checks.roundtrip_job(conn, FakeBroker(1, 1), "probe.noop", 0)
    assert "a worker picked it just now, left in place" in raised.value.msg


def test_sql_broker_wording():
    broker = pgqueuer_broker.PostgresBroker(handle=None, channel="ch_pgqueuer", timeout=1)
    assert broker.nobody() == "no LISTEN session on 'ch_pgqueuer'"
    assert broker.some(1) == "1 LISTEN session on 'ch_pgqueuer'"
    assert broker.wake() is None, "the table trigger wakes SQL-broker workers"
