"""PgQueuer probes: the wake-up payload, the broker messages, the waits and the job round trip's
verdicts, over a scripted connection."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from ansible_collections.revisbali.business_suite.plugins.module_utils import pgqueuer, pgqueuer_postgres
from ansible_collections.revisbali.business_suite.plugins.module_utils.errors import InputError, ProbeError
from tests.unit.plugins.module_utils.scripted_conn import ScriptedConn


def test_wakeup_payload_is_pgqueuers_trigger_event():
    now = datetime(2026, 11, 26, 2, 0, 0, 123456, tzinfo=UTC)
    payload = pgqueuer.wakeup_payload(now)
    assert payload == (
        '{"channel": "ch_pgqueuer", "operation": "insert", "sent_at": "2026-11-26T02:00:00.123456+00:00", '
        '"table": "pgqueuer", "type": "table_changed_event"}'
    )
    assert datetime.fromisoformat(json.loads(pgqueuer.wakeup_payload())["sent_at"]).tzinfo is not None


def test_poll_checks_at_least_once_and_stops_at_the_deadline():
    calls = []
    value, waited = pgqueuer.poll(lambda: calls.append(1), 0, 0.01)
    assert value is None and len(calls) == 1 and waited >= 0

    started = time.monotonic()
    value, waited = pgqueuer.poll(lambda: False, 0.2, 0.05)
    # Upper bounds are loose: this is about stopping at all, not about speed on a loaded machine.
    assert value is False and 0.2 <= waited < 5 and time.monotonic() - started < 5

    answers = iter([0, 0, "ready"])
    assert pgqueuer.poll(lambda: next(answers), 5, 0.01)[0] == "ready"


def params(**overrides):
    values = dict(broker="postgres", channel=None, timeout=30.0, poll_interval=0.5, stale_after=300.0, min_listeners=1,
                  entrypoint="probe.noop", redis=None, roundtrip_job=False, wait_for="none", require="consuming",
                  sql_listeners="worker", on_timeout="fail")  # fmt: skip
    values.update(overrides)
    return values


def test_validate_defaults_the_sql_channel_and_requires_the_redis_one():
    assert pgqueuer.validate(params()) == "ch_pgqueuer"
    assert pgqueuer.validate(params(channel="my.channel-1")) == "my.channel-1"
    assert pgqueuer.validate(params(broker="redis", channel="0")) == "0"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (dict(timeout=-1), "timeout: must be >= 0"),
        (dict(poll_interval=0), "poll_interval: must be greater than 0"),
        (dict(stale_after=-5), "stale_after: must be >= 0"),
        (dict(min_listeners=0), "min_listeners: must be at least 1"),
        (dict(on_timeout="warn", wait_for="listening"), "on_timeout: warn is for wait_for=drained only"),
        (dict(entrypoint=" probe.noop"), "entrypoint: ' probe.noop' has leading or trailing blanks"),
        (dict(broker="redis"), "channel: is required with broker=redis"),
        (dict(channel="bad channel; DROP"), "channel: 'bad channel; DROP' is not a PgQueuer channel name"),
    ],
)
def test_validate_rejects(overrides, message):
    with pytest.raises(InputError) as raised:
        pgqueuer.validate(params(**overrides))
    assert message in raised.value.msg


class FakeBroker(pgqueuer.RedisBroker):
    """The Redis broker's wording, with counts the test sets."""

    def __init__(self, listeners=0, receivers=0):
        super().__init__(handle=None, channel="0", timeout=1)
        self.count, self.receivers = listeners, receivers

    def listeners(self):
        return self.count

    def wake(self):
        return self.receivers


class FakeModule:
    def __init__(self, **overrides):
        self.params = params(wait_for="consuming", timeout=0.0, poll_interval=0.01, require="consuming")
        self.params.update(overrides)
        self.warnings = []

    def warn(self, text):
        self.warnings.append(text)


def job_conn(states, removed=True, finished=()):
    return ScriptedConn(
        {
            pgqueuer_postgres.LOG_MARK_SQL: [[(100,)]],
            pgqueuer_postgres.ENQUEUE_SQL: [[(41,)]],
            pgqueuer_postgres.JOB_STATE_SQL: [[state] for state in states],
            pgqueuer_postgres.REMOVE_QUEUED_SQL: [[(41,)] if removed else []],
            pgqueuer_postgres.FINISHED_SQL: [list(finished)],
        }
    )


def consume(conn, broker, **overrides):
    module = FakeModule(**overrides)
    job, facts, _listeners, _waited = pgqueuer.consume(module, conn, broker)
    return job, facts, module.warnings


def test_probe_job_success():
    conn = job_conn([("queued", "queued"), ("picked", "picked"), (None, "successful")])
    job, facts, warnings = consume(conn, FakeBroker(1, 1), timeout=5.0)
    assert job["status"] == "successful" and job["id"] == 41 and job["wakeup_receivers"] == 1
    assert facts["proven"] and facts["by"] == "probe_job" and facts["finished_jobs"] == 0
    assert warnings == []
    assert conn.executed[-1] == (pgqueuer_postgres.FINISHED_SQL, dict(after=100, probe=41))


def test_job_that_ends_in_exception_is_a_mismatch():
    conn = job_conn([(None, "exception")])
    with pytest.raises(ProbeError) as raised:
        consume(conn, FakeBroker(1, 1), timeout=5.0)
    assert raised.value.reason == "mismatch" and "ended 'exception'" in raised.value.msg


@pytest.mark.parametrize("require", ["consuming", "listening"])
def test_job_timeout_without_subscriber_takes_the_job_back_and_fails(require):
    conn = job_conn([("queued", "queued")])
    with pytest.raises(ProbeError) as raised:
        consume(conn, FakeBroker(0, 0), require=require)
    assert raised.value.reason == "assertion"
    assert raised.value.msg == (
        "probe job 41 (probe.noop) still queued after 0.0 s: no subscriber on Redis channel '0'; "
        "removed it from the queue; no job finished within 0s"
    )
    assert raised.value.facts["job"]["status"] == "deleted"
    assert raised.value.facts["consumption"]["proven"] is False


UNREGISTERED = (
    "no worker picked the probe job 'probe.noop' within 0s although 2 subscribers listen on Redis channel '0': "
    "the app may not register that entrypoint (see redis_cutover_probe_entrypoint); removed it from the queue"
)


def test_unregistered_probe_entrypoint_fails_when_consumption_is_required():
    conn = job_conn([("queued", "queued")])
    with pytest.raises(ProbeError) as raised:
        consume(conn, FakeBroker(2, 2))
    assert raised.value.reason == "assertion"
    assert raised.value.msg == UNREGISTERED + "; no other job finished during the wait, so consumption is not proven"
    assert raised.value.facts["job"]["status"] == "deleted"


def test_unregistered_probe_entrypoint_only_warns_with_require_listening():
    conn = job_conn([("queued", "queued")])
    job, facts, warnings = consume(conn, FakeBroker(2, 2), require="listening")
    assert job["status"] == "deleted"
    assert facts["proven"] is False and facts["by"] is None
    assert warnings == ["consumption not proven (require=listening): " + facts["msg"]]
    assert facts["msg"].startswith(UNREGISTERED)


def test_the_apps_own_finished_jobs_prove_consumption():
    conn = job_conn([("queued", "queued")], finished=[("app.ocr", 2), ("app.sync", 1)])
    _job, facts, warnings = consume(conn, FakeBroker(2, 2))
    assert facts["proven"] and facts["by"] == "finished_jobs" and facts["finished_jobs"] == 3
    assert facts["finished_entrypoints"] == {"app.ocr": 2, "app.sync": 1}
    assert facts["msg"] == UNREGISTERED + (
        "; 3 job(s) finished during the wait (app.ocr: 2, app.sync: 1): the workers consume"
    )
    assert warnings == [facts["msg"]], "the probe job's timeout is still said"


def test_without_a_probe_job_finished_jobs_are_awaited():
    conn = ScriptedConn(
        {
            pgqueuer_postgres.LOG_MARK_SQL: [[(100,)]],
            pgqueuer_postgres.FINISHED_SQL: [[], [], [("app.ocr", 1)]],
        }
    )
    job, facts, warnings = consume(conn, FakeBroker(1, 0), entrypoint="", timeout=5.0)
    assert job is None and facts["proven"] and facts["by"] == "finished_jobs" and warnings == []
    assert pgqueuer_postgres.ENQUEUE_SQL not in [call[0] for call in conn.executed], "no probe job"
    assert conn.executed[-1][1] == dict(after=100, probe=None)
    assert facts["msg"] == (
        "no probe job (entrypoint is empty) and 1 subscriber listens on Redis channel '0'; "
        "1 job(s) finished during the wait (app.ocr: 1): the workers consume"
    )


@pytest.mark.parametrize(("require", "fails"), [("consuming", True), ("listening", False)])
def test_without_a_probe_job_an_idle_queue_proves_nothing(require, fails):
    conn = ScriptedConn({pgqueuer_postgres.LOG_MARK_SQL: [[(100,)]], pgqueuer_postgres.FINISHED_SQL: [[]]})
    expected = (
        "no probe job (entrypoint is empty) and 1 subscriber listens on Redis channel '0': "
        "no job finished within 0s, so consumption is not proven"
    )
    if fails:
        with pytest.raises(ProbeError) as raised:
            consume(conn, FakeBroker(1, 0), entrypoint="", require=require)
        assert raised.value.reason == "assertion" and raised.value.msg == expected
    else:
        _job, facts, warnings = consume(conn, FakeBroker(1, 0), entrypoint="", require=require)
        assert facts["msg"] == expected and len(warnings) == 1


def test_without_a_probe_job_and_without_listeners_it_fails():
    conn = ScriptedConn({pgqueuer_postgres.LOG_MARK_SQL: [[(100,)]], pgqueuer_postgres.FINISHED_SQL: [[("a.b", 4)]]})
    with pytest.raises(ProbeError) as raised:
        consume(conn, FakeBroker(0, 0), entrypoint="", require="listening")
    assert raised.value.msg == (
        "no probe job (entrypoint is empty) and no subscriber on Redis channel '0'; "
        "4 job(s) finished during the wait (a.b: 4)"
    )


def test_job_timeout_while_a_worker_holds_it_leaves_it_alone():
    conn = job_conn([("picked", "picked")])
    with pytest.raises(ProbeError) as raised:
        consume(conn, FakeBroker(1, 1))
    assert "still picked" in raised.value.msg and "left in place" in raised.value.msg
    assert raised.value.facts["job"]["status"] == "picked"
    assert pgqueuer_postgres.REMOVE_QUEUED_SQL not in [call[0] for call in conn.executed]


def test_job_picked_between_timeout_and_removal():
    conn = job_conn([("queued", "queued")], removed=False)
    with pytest.raises(ProbeError) as raised:
        consume(conn, FakeBroker(1, 1))
    assert "a worker holds it, left in place" in raised.value.msg
    assert raised.value.facts["job"]["status"] == "picked"


def test_sql_broker_wording():
    broker = pgqueuer.PostgresBroker(handle=None, channel="ch_pgqueuer", timeout=1)
    assert broker.nobody() == "no LISTEN session on 'ch_pgqueuer'"
    assert broker.some(1) == "1 LISTEN session on 'ch_pgqueuer'"
    assert broker.listening(1) == "1 session listens on 'ch_pgqueuer'"
    assert broker.listening(2) == "2 sessions listen on 'ch_pgqueuer'"
    assert broker.wake() is None, "the table trigger wakes SQL-broker workers"
