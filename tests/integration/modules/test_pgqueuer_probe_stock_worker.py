"""pgqueuer_probe against a REAL, stock PgQueuer worker: ``pgq run`` over a factory built the way
RevisBaliCRM's ``business_suite/pgqueue.py`` (commit 154a9356) builds its worker, with
``PgQueuer.from_psycopg_connection`` on one autocommit psycopg ``AsyncConnection`` (stock_pgqueuer_worker.py),
against a real PostgreSQL 15.

The worker runs in its own process, from an interpreter that has pgqueuer: the test interpreter when it
has it, or each of STOCK_PGQUEUER_PYTHON (paths joined by ``os.pathsep``), so several PgQueuer releases
can be tried in one run (the sandbox pins 1.6.0, the app at 154a9356 pins 0.25.3).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest

from ansible_collections.revisbali.business_suite.plugins.module_utils import pgqueuer_postgres

from .ansible_run import run_module, run_tasks

pytestmark = pytest.mark.servers

HERE = Path(__file__).parent
INSTALL_HINT = (
    "no interpreter with pgqueuer: install it beside the tests (pip install pgqueuer==1.6.0 typer==0.28.0, "
    "the sandbox's pins) or set STOCK_PGQUEUER_PYTHON=/path/to/python[:/other/python]"
)


def _version(python: str) -> str | None:
    proc = subprocess.run(
        [python, "-c", "import importlib.metadata as m; print(m.version('pgqueuer'))"],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    return proc.stdout.strip() if proc.returncode == 0 else None


def _interpreters() -> list:
    listed = [p for p in os.environ.get("STOCK_PGQUEUER_PYTHON", "").split(os.pathsep) if p]
    found = []
    for python in listed or [sys.executable]:
        version = _version(python)
        if version is None and listed:
            found.append(pytest.param(python, id=python, marks=pytest.mark.skip(f"{python} has no pgqueuer")))
        elif version is not None:
            found.append(pytest.param(python, id=f"pgqueuer-{version}"))
    return found or [pytest.param(None, id="no-pgqueuer", marks=pytest.mark.skip(INSTALL_HINT))]


@pytest.fixture(scope="module", params=_interpreters())
def stock_python(request) -> str:
    return request.param


@pytest.fixture
def stock_db(postgres):
    """A fresh database owned by ``app``, without PgQueuer's schema: the worker installs it, as the app's does."""
    name = f"stock_{uuid.uuid4().hex[:12]}"
    postgres.sql(f"CREATE DATABASE {name} OWNER app")
    try:
        yield name
    finally:
        postgres.sql(f"DROP DATABASE {name} WITH (FORCE)")


class StockWorker:
    """``python -m pgqueuer run stock_pgqueuer_worker:factory`` (what ``pgq run`` runs), stopped by SIGTERM
    as ``docker stop`` does."""

    def __init__(self, python: str, dsn: str, log: Path, entrypoints: tuple[str, ...], install: bool):
        self.python, self.dsn, self.log, self.entrypoints, self.install = python, dsn, log, entrypoints, install
        self.process: subprocess.Popen | None = None
        self.exit_code: int | None = None

    def start(self) -> StockWorker:
        env = dict(
            os.environ,
            PYTHONPATH=str(HERE),
            STOCK_WORKER_DSN=self.dsn,
            STOCK_WORKER_ENTRYPOINTS=",".join(self.entrypoints),
            STOCK_WORKER_INSTALL="1" if self.install else "0",
        )
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [self.python, "-m", "pgqueuer", "run", "stock_pgqueuer_worker:factory"],
                env=env, stdout=out, stderr=subprocess.STDOUT, cwd=HERE,
            )  # fmt: skip
        return self

    def stop(self) -> int:
        if self.process and self.exit_code is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.exit_code = self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.exit_code = self.process.wait(timeout=10)
        return self.exit_code

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def __enter__(self) -> StockWorker:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@pytest.fixture
def worker_factory(stock_python, stock_db, postgres, tmp_path):
    started = []

    def make(entrypoints=("app.task",)) -> StockWorker:
        dsn, log = postgres.dsn(dbname=stock_db), tmp_path / f"worker{len(started)}.log"
        started.append(StockWorker(stock_python, dsn, log, tuple(entrypoints), install=not started))
        return started[-1]

    yield make
    for worker in started:
        worker.stop()


def params(postgres, stock_db, **extra) -> dict:
    return dict(postgres.params(dbname=stock_db), **extra)


def enqueue_sql(postgres, stock_db, entrypoint: str, count: int = 1) -> None:
    """Jobs as a producer enqueues them (the table trigger notifies the workers)."""
    with psycopg.connect(postgres.dsn(dbname=stock_db), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO pgqueuer (priority, entrypoint, payload, execute_after, status)"
            " SELECT 0, %s, NULL, now(), 'queued' FROM generate_series(1, %s)",
            (entrypoint, count),
        )


# The probe took its log mark: its job is queued, or (no probe job) it asks for finished jobs.
PROBE_JOB_QUEUED = "SELECT count(*) FROM pgqueuer WHERE entrypoint = 'probe.noop'"
PROBE_WAITS_FOR_JOBS = (
    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgqueuer_probe' AND query LIKE '%pgqueuer_log%'"
    " AND query LIKE '%successful%'"
)


def enqueue_during_the_wait(postgres, stock_db, signal_sql: str, count: int) -> threading.Thread:
    """Enqueues ``count`` app.task jobs once ``signal_sql`` counts something, so they finish during the
    probe's wait and never before it began."""

    def run():
        with psycopg.connect(postgres.dsn(dbname=stock_db), autocommit=True) as conn:
            deadline = time.monotonic() + 30
            while not conn.execute(signal_sql).fetchone()[0] and time.monotonic() < deadline:
                time.sleep(0.02)
        enqueue_sql(postgres, stock_db, "app.task", count)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def log_statuses(postgres, stock_db, entrypoint: str) -> list[str]:
    with psycopg.connect(postgres.dsn(dbname=stock_db), autocommit=True) as conn:
        rows = conn.execute("SELECT status::text FROM pgqueuer_log WHERE entrypoint = %s ORDER BY id", (entrypoint,))
        return [row[0] for row in rows.fetchall()]


def test_the_classifier_knows_the_installed_pgqueuers_statements(stock_python):
    """Every statement the installed PgQueuer's worker sends, rendered by PgQueuer's own query builders and
    cut as pg_stat_activity cuts it, is recognised; a producer's and a reader's are not."""
    proc = subprocess.run(
        [stock_python, str(HERE / "pgqueuer_statements.py")], capture_output=True, text=True, check=True, timeout=60
    )
    statements = json.loads(proc.stdout)
    assert any(name.startswith("dequeue") for name in statements["worker"]), statements["worker"]
    unknown = {
        name
        for name, sql in statements["worker"].items()
        if not pgqueuer_postgres.classify_statement(sql, "ch_pgqueuer")
    }
    assert unknown == set(), "worker statements the probe would not see"
    counted = {
        name for name, sql in statements["other"].items() if pgqueuer_postgres.classify_statement(sql, "ch_pgqueuer")
    }
    assert counted == set(), "statements that are not a worker's"


def test_wait_for_listening_sees_the_stock_worker_and_then_its_absence(postgres, stock_db, worker_factory):
    worker = worker_factory().start()
    listening = run_module("pgqueuer_probe", params(postgres, stock_db, wait_for="listening", timeout=60))
    assert not listening.get("failed"), (listening["msg"], worker.output())
    assert listening["broker"]["listeners"] == 1, listening["broker"]
    assert listening["broker"]["match"] == "worker"
    [session] = listening["broker"]["sessions"]
    assert session["statement"] in pgqueuer_postgres.WORKER_STATEMENTS or session["statement"] in ("listen", "notify")

    # It really listens: a job is taken at once through NOTIFY, not by the 30 s dequeue-timeout poll.
    started = time.monotonic()
    enqueue_sql(postgres, stock_db, "app.task")
    while "successful" not in log_statuses(postgres, stock_db, "app.task"):
        assert time.monotonic() - started < 10, worker.output()
        time.sleep(0.05)

    run = run_tasks(
        [
            ("pgqueuer_probe", params(postgres, stock_db)),
            ("pgqueuer_probe", params(postgres, stock_db, sql_listeners="listen")),
        ]
    )
    looked_once, by_listen_only = run.results
    assert looked_once["broker"]["listeners"] == 1, looked_once["broker"]
    # What the probe counted before: a stock worker's LISTEN is hardly ever its last statement.
    assert by_listen_only["broker"]["listeners"] == 0, by_listen_only["broker"]

    assert worker.stop() == 0, worker.output()
    run = run_tasks(
        [
            ("pgqueuer_probe", params(postgres, stock_db)),
            ("pgqueuer_probe", params(postgres, stock_db, wait_for="listening", timeout=0)),
        ]
    )
    after, waited = run.results
    assert not after.get("failed"), after["msg"]
    assert after["broker"]["listeners"] == 0 and after["broker"]["sessions"] == []
    assert waited["failed"] and waited["reason"] == "assertion"
    assert "no LISTEN session on 'ch_pgqueuer' after" in waited["msg"], waited["msg"]


def test_two_stock_workers_count_twice(postgres, stock_db, worker_factory):
    first = worker_factory().start()
    result = run_module("pgqueuer_probe", params(postgres, stock_db, wait_for="listening", timeout=60))
    assert not result.get("failed"), (result["msg"], first.output())
    second = worker_factory().start()
    result = run_module("pgqueuer_probe", params(postgres, stock_db, wait_for="listening", min_listeners=2, timeout=60))
    assert not result.get("failed"), (result["msg"], second.output())
    assert result["broker"]["listeners"] == 2
    assert len({session["pid"] for session in result["broker"]["sessions"]}) == 2


def test_a_worker_that_registers_the_probe_entrypoint_consumes_it(postgres, stock_db, worker_factory):
    worker = worker_factory(entrypoints=("app.task", "probe.noop")).start()
    run_module("pgqueuer_probe", params(postgres, stock_db, wait_for="listening", timeout=60))
    result = run_module("pgqueuer_probe", params(postgres, stock_db, wait_for="consuming", timeout=20))
    assert not result.get("failed"), (result["msg"], worker.output())
    assert result["job"]["status"] == "successful"
    assert result["job"]["latency_ms"] < 10_000  # woken by NOTIFY, not the 30 s poll
    assert result["consumption"]["proven"] and result["consumption"]["by"] == "probe_job"
    assert log_statuses(postgres, stock_db, "probe.noop") == ["queued", "picked", "successful"]


def test_without_the_probe_entrypoint_it_says_what_was_proven(postgres, stock_db, worker_factory):
    worker = worker_factory(entrypoints=("app.task",)).start()
    assert not run_module("pgqueuer_probe", params(postgres, stock_db, wait_for="listening", timeout=60)).get("failed")
    unregistered = (
        "no worker picked the probe job 'probe.noop' within 2s although 1 session listens on 'ch_pgqueuer': "
        "the app may not register that entrypoint (see redis_cutover_probe_entrypoint); removed it from the queue"
    )

    run = run_tasks(
        [
            ("pgqueuer_probe", params(postgres, stock_db, wait_for="consuming", timeout=2)),
            ("pgqueuer_probe", params(postgres, stock_db, wait_for="consuming", timeout=2, require="listening")),
        ]
    )
    required, only_listening = run.results
    assert required["failed"] and required["reason"] == "assertion", required
    assert required["msg"] == unregistered + "; no other job finished during the wait, so consumption is not proven"
    assert required["job"]["status"] == "deleted"
    assert not only_listening.get("failed"), only_listening["msg"]
    assert only_listening["consumption"]["proven"] is False
    assert any(unregistered in warning for warning in only_listening["warnings"]), only_listening.get("warnings")
    assert "consumption not proven (require=listening)" in only_listening["msg"]
    assert log_statuses(postgres, stock_db, "probe.noop") == ["queued", "deleted"] * 2

    # The app's own jobs finishing during the wait prove consumption, with or without a probe job.
    producer = enqueue_during_the_wait(postgres, stock_db, PROBE_JOB_QUEUED, 3)
    result = run_module("pgqueuer_probe", params(postgres, stock_db, wait_for="consuming", timeout=4))
    producer.join()
    assert not result.get("failed"), (result["msg"], worker.output())
    assert result["consumption"]["by"] == "finished_jobs"
    assert result["consumption"]["finished_entrypoints"] == {"app.task": 3}
    assert any(unregistered.replace("2s", "4s") in warning for warning in result["warnings"]), result["warnings"]

    producer = enqueue_during_the_wait(postgres, stock_db, PROBE_WAITS_FOR_JOBS, 1)
    started = time.monotonic()
    result = run_module("pgqueuer_probe", params(postgres, stock_db, wait_for="consuming", entrypoint="", timeout=30))
    producer.join()
    assert not result.get("failed"), result["msg"]
    assert time.monotonic() - started < 25, "the wait ends when a job finished"
    assert result["job"] is None
    assert result["consumption"]["by"] == "finished_jobs" and result["consumption"]["finished_jobs"] == 1
    assert "consumption proven by 1 finished job(s), not by a probe job" in result["msg"]
