"""pgqueuer_probe, through ansible-playbook, against a real PostgreSQL 15 with PgQueuer's
schema and a real redis-server, with a stand-in worker woken only through the broker."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from ansible_collections.revisbali.business_suite.plugins.module_utils import pgqueuer_postgres

from .ansible_run import run_module, run_tasks
from .conftest import PG_APP_PASSWORD, PG_OUTSIDER_PASSWORD
from .servers import free_port
from .standin_worker import StandinWorker

pytestmark = [pytest.mark.servers, pytest.mark.usefixtures("clean_queue")]


def redis_broker(redis_plain, **extra) -> dict:
    return dict(broker="redis", channel="0", redis=dict(host="127.0.0.1", port=redis_plain.port, db=1), **extra)


def queue_rows(postgres, entrypoint="probe.noop") -> list[tuple]:
    with psycopg.connect(postgres.dsn(), autocommit=True) as conn:
        return conn.execute("SELECT id, status::text FROM pgqueuer WHERE entrypoint = %s", (entrypoint,)).fetchall()


def log_statuses(postgres, job_id) -> list[str]:
    with psycopg.connect(postgres.dsn(), autocommit=True) as conn:
        rows = conn.execute("SELECT status::text FROM pgqueuer_log WHERE job_id = %s ORDER BY id", (job_id,))
        return [row[0] for row in rows.fetchall()]


def once_the_probe_polls(postgres, *statements) -> threading.Thread:
    """Runs ``statements`` 0.3 s apart once another session has read the picked jobs (a drain wait polls)."""
    polling = "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query = %s"

    def run():
        with psycopg.connect(postgres.dsn(), autocommit=True) as conn:
            while not conn.execute(polling, (pgqueuer_postgres.IN_FLIGHT_SQL,)).fetchone()[0]:
                time.sleep(0.05)
            for statement in statements:
                time.sleep(0.3)
                conn.execute(statement)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_idle_queue_on_the_sql_broker(postgres):
    result = run_module("pgqueuer_probe", postgres.params())
    assert not result.get("failed"), result["msg"]
    assert result["changed"] is False
    assert result["schema_present"] is True
    assert result["depth"] == [] and result["in_flight"] == [] and result["stale"] == []
    assert result["broker"]["name"] == "postgres" and result["broker"]["channel"] == "ch_pgqueuer"
    assert result["broker"]["listeners"] == 0
    assert result["broker"]["roundtrip_ms"] > 0
    assert result["job"] is None and result["waited_s"] == 0


def test_credentials_from_the_hosts_env_file(postgres, tmp_path):
    """The stack's .env gives DB_NAME, DB_USER and DB_PASS; the password shows nowhere in the output."""
    env = tmp_path / ".env"
    env.write_text(f"# the stack's settings\nDB_HOST=db\nDB_NAME=app\nDB_USER=app\nDB_PASS='{PG_APP_PASSWORD}'\n")
    env.chmod(0o600)
    wrong = tmp_path / "wrong.env"
    wrong.write_text("DB_NAME=app\nDB_USER=app\nDB_PASS=wrong-pg-password\n")
    run = run_tasks(
        [
            ("pgqueuer_probe", dict(db_host="127.0.0.1", db_port=postgres.port, db_env_file=str(env))),
            ("pgqueuer_probe", dict(db_host="127.0.0.1", db_port=postgres.port, db_env_file=str(wrong))),
            ("pgqueuer_probe", dict(db_host="127.0.0.1", db_port=postgres.port, db_env_file=str(tmp_path / "none"))),
        ]
    )
    found, wrong_password, missing = run.results
    assert not found.get("failed"), found["msg"]
    assert found["schema_present"] is True
    assert wrong_password["reason"] == "auth", wrong_password["msg"]
    assert missing["reason"] == "file" and "db_env_file" in missing["msg"], missing["msg"]
    for secret in (PG_APP_PASSWORD, "wrong-pg-password"):
        assert secret not in run.output


def test_sql_broker_worker_consumes_the_probe_job(postgres):
    with StandinWorker(postgres.dsn()) as worker:
        run = run_tasks([("pgqueuer_probe", dict(postgres.params(), wait_for="consuming", timeout=10))])
    result = run.results[0]
    assert not result.get("failed"), result["msg"]
    job = result["job"]
    assert job["status"] == "successful" and job["entrypoint"] == "probe.noop"
    assert job["wakeup_receivers"] is None
    assert job["id"] in worker.consumed
    assert job["latency_ms"] < 10_000  # woken by NOTIFY, not the 30 s dequeue poll
    assert result["broker"]["listeners"] == 1
    assert log_statuses(postgres, job["id"]) == ["queued", "picked", "successful"]
    assert queue_rows(postgres) == []
    assert worker.problems == [], "the probe sent a payload a worker cannot parse"
    assert PG_APP_PASSWORD not in run.output


def test_redis_broker_worker_consumes_the_probe_job(postgres, redis_plain):
    url = f"redis://127.0.0.1:{redis_plain.port}/1"
    with StandinWorker(postgres.dsn(), broker="redis", channel="0", redis_url=url) as worker:
        result = run_module("pgqueuer_probe", dict(postgres.params(), **redis_broker(redis_plain, roundtrip_job=True)))
    assert not result.get("failed"), result["msg"]
    assert result["job"]["status"] == "successful"
    assert result["job"]["wakeup_receivers"] == 1
    assert result["job"]["id"] in worker.consumed
    assert result["broker"] == dict(
        name="redis", channel="0", listeners=1, roundtrip_ms=result["broker"]["roundtrip_ms"]
    )
    assert worker.problems == [] and len(worker.payloads) == 1, worker.payloads
    assert queue_rows(postgres) == []


def test_without_a_worker_the_probe_says_so_and_takes_its_job_back(postgres, redis_plain):
    started = time.monotonic()
    run = run_tasks(
        [
            ("pgqueuer_probe", dict(postgres.params(), wait_for="consuming", timeout=1)),
            ("pgqueuer_probe", dict(postgres.params(), **redis_broker(redis_plain, wait_for="consuming", timeout=1))),
        ]
    )
    assert time.monotonic() - started < 15
    sql_broker, redis_broker_result = run.results
    for result in run.results:
        assert result["failed"] and result["reason"] == "assertion", result
        assert "still queued after" in result["msg"] and "removed it from the queue" in result["msg"]
        assert result["job"]["status"] == "deleted"
        assert log_statuses(postgres, result["job"]["id"]) == ["queued", "deleted"]
    assert "no LISTEN session on 'ch_pgqueuer'" in sql_broker["msg"]
    assert "no subscriber on Redis channel '0'" in redis_broker_result["msg"]
    assert redis_broker_result["job"]["wakeup_receivers"] == 0
    assert queue_rows(postgres) == []


def test_a_listener_that_does_not_run_the_entrypoint_is_named(postgres):
    with StandinWorker(postgres.dsn(), entrypoints=("bench.record",)):
        result = run_module("pgqueuer_probe", dict(postgres.params(), roundtrip_job=True, timeout=1))
    assert result["reason"] == "assertion"
    assert result["msg"].startswith(
        "no worker picked the probe job 'probe.noop' within 1s although 1 session listens on 'ch_pgqueuer': "
        "the app may not register that entrypoint (see redis_cutover_probe_entrypoint); removed it from the queue"
    ), result["msg"]
    assert result["job"]["status"] == "deleted" and result["consumption"]["proven"] is False


def test_wait_for_listening(postgres, redis_plain):
    worker = StandinWorker(postgres.dsn())
    late_start = threading.Timer(0.7, worker.__enter__)  # starts listening while the probe waits
    late_start.start()
    try:
        result = run_module("pgqueuer_probe", dict(postgres.params(), wait_for="listening", timeout=15))
    finally:
        late_start.join()
        worker.__exit__(None, None, None)
    assert not result.get("failed"), result["msg"]
    assert result["broker"]["listeners"] == 1 and result["waited_s"] > 0

    result = run_module(
        "pgqueuer_probe", dict(postgres.params(), **redis_broker(redis_plain, wait_for="listening", timeout=0.5))
    )
    assert result["reason"] == "assertion"
    assert "no subscriber on Redis channel '0' after" in result["msg"] and "expected at least 1" in result["msg"]


def test_depth_in_flight_stale_and_drained(postgres):
    postgres.sql(
        "INSERT INTO pgqueuer (priority, entrypoint, status, created) VALUES"
        " (0, 'bench.record', 'queued', now() - interval '5 seconds'), (0, 'bench.record', 'queued', now());"
        "INSERT INTO pgqueuer (priority, entrypoint, status, heartbeat) VALUES"
        " (0, 'demo.sleep', 'picked', now()), (0, 'demo.sleep', 'picked', now() - interval '400 seconds');"
    )
    result = run_module("pgqueuer_probe", dict(postgres.params(), wait_for="drained", timeout=0.3))
    assert result["reason"] == "assertion" and "2 job(s) still picked after" in result["msg"]
    assert len(result["in_flight"]) == 2
    # A caller that stops the workers anyway: the same wait succeeds and warns, naming the jobs.
    result = run_module("pgqueuer_probe", dict(postgres.params(), wait_for="drained", timeout=0.3, on_timeout="warn"))
    assert not result.get("failed"), result["msg"]
    assert [w for w in result["warnings"] if "2 job(s) still picked after" in w and "demo.sleep #" in w]
    assert len(result["in_flight"]) == 2

    result = run_module("pgqueuer_probe", postgres.params())
    depth = {(row["status"], row["entrypoint"]): row for row in result["depth"]}
    assert depth[("queued", "bench.record")]["count"] == 2
    assert depth[("queued", "bench.record")]["oldest_age_s"] >= 5
    assert depth[("picked", "demo.sleep")]["count"] == 2
    assert [job["heartbeat_age_s"] >= 400 for job in result["in_flight"]] == [False, True]
    assert len(result["stale"]) == 1 and result["stale"][0]["heartbeat_age_s"] >= 400
    assert "2 queued, 2 picked (1 stale)" in result["msg"]

    finish = once_the_probe_polls(postgres, "DELETE FROM pgqueuer WHERE status = 'picked'")
    result = run_module("pgqueuer_probe", dict(postgres.params(), wait_for="drained", timeout=15, poll_interval=0.1))
    finish.join(5)
    assert not result.get("failed"), result["msg"]
    assert result["in_flight"] == [] and result["waited_s"] > 0


def test_drained_waits_only_for_the_jobs_picked_when_it_starts(postgres):
    picked = "INSERT INTO pgqueuer (priority, entrypoint, status, heartbeat) VALUES (0, '%s', 'picked', now())"
    postgres.sql(picked % "demo.sleep")
    # Once the probe polls, a worker picks another job, then the first one finishes.
    queue = once_the_probe_polls(
        postgres,
        picked % "bench.record",
        "DELETE FROM pgqueuer WHERE entrypoint = 'demo.sleep'",
    )
    result = run_module("pgqueuer_probe", dict(postgres.params(), wait_for="drained", timeout=30, poll_interval=0.1))
    queue.join(5)
    assert not result.get("failed"), result["msg"]
    assert [job["entrypoint"] for job in result["in_flight"]] == ["bench.record"] and result["waited_s"] > 0


def test_check_mode_enqueues_nothing(postgres):
    result = run_module("pgqueuer_probe", dict(postgres.params(), wait_for="consuming"), check=True)
    assert not result.get("failed"), result["msg"]
    assert result["job"] is None and "check mode: the probe job was not enqueued" in result["msg"]
    assert queue_rows(postgres) == []


def test_connection_failures_are_classified(postgres, redis_plain, redis_acl):
    run = run_tasks(
        [
            ("pgqueuer_probe", postgres.params(password="wrong-pg-password")),
            ("pgqueuer_probe", postgres.params(user="outsider", password=PG_OUTSIDER_PASSWORD)),
            ("pgqueuer_probe", dict(postgres.params(), db_port=free_port(), connect_timeout=2)),
            ("pgqueuer_probe", postgres.params(dbname="empty")),
            ("pgqueuer_probe", dict(postgres.params(), **redis_broker(redis_plain) | {"redis": {"port": free_port()}})),
            ("pgqueuer_probe", dict(dsn=postgres.dsn(), broker="redis", channel="0",
                                    redis=dict(url=f"redis://:wrong-redis-pw@127.0.0.1:{redis_acl.port}/0"))),
        ]
    )  # fmt: skip
    wrong_password, outsider, closed, empty, redis_closed, redis_auth = run.results
    assert wrong_password["reason"] == "auth", wrong_password["msg"]
    assert outsider["reason"] == "acl", outsider["msg"]
    assert closed["reason"] == "unreachable", closed["msg"]
    assert empty["reason"] == "backend" and empty["schema_present"] is False
    assert set(empty["schema_missing"]) == {
        "table pgqueuer", "table pgqueuer_log", "enum pgqueuer_status", "notify trigger on pgqueuer"
    }  # fmt: skip
    assert redis_closed["reason"] == "unreachable", redis_closed["msg"]
    assert redis_auth["reason"] == "auth", redis_auth["msg"]
    for secret in ("wrong-pg-password", PG_OUTSIDER_PASSWORD, PG_APP_PASSWORD, "wrong-redis-pw"):
        assert secret not in run.output


def test_bad_input_is_rejected_naming_the_field(postgres):
    run = run_tasks(
        [
            ("pgqueuer_probe", dict(broker="kafka")),
            ("pgqueuer_probe", dict(broker="redis", redis=dict(port=6379))),
            ("pgqueuer_probe", dict(broker="redis", channel="0", redis=dict(url="redis://h:70000/1"))),
            ("pgqueuer_probe", dict(postgres.params(), timeout=-1)),
            ("pgqueuer_probe", dict(dsn=postgres.dsn(), db_host="127.0.0.1")),
            ("pgqueuer_probe", dict(dsn="host=127.0.0.1 password=in-bad-dsn port")),
            ("pgqueuer_probe", dict(db_port=70000)),
            ("pgqueuer_probe", dict(broker="redis", channel="0", redis=dict(url="redis://h/0", host="h"))),
        ]
    )
    fields = ["broker", "channel", "redis.url", "timeout", "dsn|db_host", "dsn", "db_port", "url|host"]
    for result, field in zip(run.results, fields, strict=True):
        assert result["failed"] and result["reason"] == "input", result
        assert field in result["msg"], (field, result["msg"])
    assert "in-bad-dsn" not in run.output
