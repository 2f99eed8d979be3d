"""PostgreSQL for pgqueuer_probe: connection options, error classification, the queries over a
scripted connection, and which pg_stat_activity sessions count as listeners on the SQL broker."""

from __future__ import annotations

import re

import pytest

from ansible_collections.revisbali.business_suite.plugins.module_utils import deps, pgqueuer_postgres
from ansible_collections.revisbali.business_suite.plugins.module_utils.errors import InputError, ProbeError
from tests.unit.plugins.module_utils.scripted_conn import ScriptedConn


def params(**overrides):
    values = {name: spec.get("default") for name, spec in pgqueuer_postgres.POSTGRES_CONNECTION_SPEC.items()}
    values.update(overrides)
    return values


def test_options_become_libpq_keywords():
    conninfo = pgqueuer_postgres.resolve_conninfo(
        params(db_host="db", db_name="app", db_user="app", db_password="pw", sslmode="require"), "probe"
    )
    assert conninfo == dict(host="db", port=5432, dbname="app", user="app", password="pw", sslmode="require",
                            connect_timeout=5, application_name="probe")  # fmt: skip
    assert pgqueuer_postgres.describe(conninfo) == "db:5432 db app"


def test_db_env_file_gives_the_credentials_the_options_do_not(tmp_path):
    env = tmp_path / ".env"
    env.write_text("DB_HOST=db\nDB_NAME=crm\nDB_USER=crm\nDB_PASS='s3cr3t'\n")
    conninfo = pgqueuer_postgres.resolve_conninfo(params(db_host="10.0.0.2", db_env_file=str(env), db_user="ops"), "p")
    assert (conninfo["host"], conninfo["dbname"], conninfo["user"], conninfo["password"]) == (
        "10.0.0.2",
        "crm",
        "ops",
        "s3cr3t",
    )


@pytest.mark.parametrize(
    ("content", "reason", "message"),
    [
        (None, "file", "^db_env_file: cannot read .*: No such file or directory$"),
        (b"DB_PASS=s3cr3t\nnot an assignment s3cr3t\n", "format", "^db_env_file: .*/.env: line 2 is not KEY=VALUE"),
        (b"DB_PASS=\xff\n", "format", "^db_env_file: .*/.env is not UTF-8 text$"),
    ],
)
def test_db_env_file_that_cannot_be_read(tmp_path, content, reason, message):
    env = tmp_path / ".env"
    if content is not None:
        env.write_bytes(content)
    with pytest.raises(ProbeError) as caught:
        pgqueuer_postgres.resolve_conninfo(params(db_env_file=str(env)), "probe")
    assert caught.value.reason == reason and re.search(message, caught.value.msg) and "s3cr3t" not in caught.value.msg


@pytest.mark.parametrize(
    "dsn",
    ["postgresql://app:pw@db:5433/app?sslmode=disable", "host=db port=5433 dbname=app user=app password=pw"],
)
def test_dsn_forms(dsn):
    conninfo = pgqueuer_postgres.resolve_conninfo(params(dsn=dsn, db_host=None, db_port=None), "probe")
    assert conninfo["host"] == "db" and conninfo["port"] == "5433" and conninfo["password"] == "pw"
    assert conninfo["connect_timeout"] == 5


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (dict(dsn="host=db password=s3cret port"), "dsn: is not a valid libpq connection string"),
        (dict(dsn="postgresql://app:s3cret@db/app?bogus=1"), "dsn: is not a valid"),
        (dict(db_port=70000), "db_port: 70000 is outside 1-65535"),
        (dict(connect_timeout=0), "connect_timeout: must be greater than 0"),
    ],
)
def test_bad_input_names_the_field_never_the_secret(overrides, message):
    with pytest.raises(InputError) as raised:
        pgqueuer_postgres.resolve_conninfo(params(**overrides), "probe")
    assert message in raised.value.msg and "s3cret" not in raised.value.msg


class FakePgError(deps.psycopg.OperationalError):
    def __init__(self, message, sqlstate=None):
        self._state = sqlstate
        super().__init__(message)

    @property
    def sqlstate(self):
        return self._state


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (FakePgError('password authentication failed for user "app"', "28P01"), "auth"),
        (FakePgError('connection failed: FATAL:  password authentication failed for user "app"'), "auth"),
        (FakePgError("no pg_hba.conf entry for host", "28000"), "auth"),
        (FakePgError("permission denied for table pgqueuer", "42501"), "acl"),
        (FakePgError('relation "pgqueuer" does not exist', "42P01"), "backend"),
        (FakePgError("connection to server at 127.0.0.1, port 1 failed: Connection refused"), "unreachable"),
        (FakePgError('database "nope" does not exist', "3D000"), "unreachable"),
    ],
)
def test_classify_error(exc, reason):
    assert pgqueuer_postgres.classify_error(exc) == reason


# PgQueuer's tables.


def test_schema_missing_names_each_part():
    conn = ScriptedConn({pgqueuer_postgres.SCHEMA_SQL: [[(True, False, True, False)]]})
    assert pgqueuer_postgres.schema_missing(conn) == ["table pgqueuer_log", "notify trigger on pgqueuer"]


def test_depth_in_flight_and_stale():
    conn = ScriptedConn(
        {
            pgqueuer_postgres.DEPTH_SQL: [[("queued", "bench.record", 3, 1.5)]],
            pgqueuer_postgres.IN_FLIGHT_SQL: [[(7, "demo.sleep", 2.0), (8, "demo.sleep", 301.0)]],
        }
    )
    assert pgqueuer_postgres.depth(conn) == [
        dict(status="queued", entrypoint="bench.record", count=3, oldest_age_s=1.5)
    ]
    jobs = pgqueuer_postgres.in_flight(conn)
    assert [job["id"] for job in pgqueuer_postgres.stale(jobs, 300)] == [8]
    assert pgqueuer_postgres.stale(jobs, 0) == jobs


def test_sessions_and_finished_jobs_queries():
    conn = ScriptedConn(
        {
            pgqueuer_postgres.SESSIONS_SQL: [[(7, "app", "10.0.0.5", 'LISTEN "ch_pgqueuer"')]],
            pgqueuer_postgres.LOG_MARK_SQL: [[(120,)]],
            pgqueuer_postgres.FINISHED_SQL: [[("app.ocr", 2), ("app.sync", 1)]],
        }
    )
    assert pgqueuer_postgres.sessions(conn) == [(7, "app", "10.0.0.5", 'LISTEN "ch_pgqueuer"')]
    assert pgqueuer_postgres.sessions(conn, [7, 9])
    assert [call[1] for call in conn.executed] == [dict(pids=None), dict(pids=[7, 9])]
    assert pgqueuer_postgres.log_mark(conn) == 120
    assert pgqueuer_postgres.finished_jobs(conn, 120, 41) == {"app.ocr": 2, "app.sync": 1}
    assert conn.executed[-1][1] == dict(after=120, probe=41)


# Which pg_stat_activity sessions count as listeners on the SQL broker: the LISTEN itself, the
# statements only a PgQueuer worker sends (the beginnings of PgQueuer 1.x's and 0.x's own statements,
# as pg_stat_activity shows them), and nothing a producer, an operator or the probe sends.

CH = "ch_pgqueuer"

WORKER = {
    "dequeue": [
        "WITH\n-- No entrypoint carries a concurrency limit; all are available.\navailable AS (\n"
        "    SELECT UNNEST($2::text[]) AS entrypoint\n),\n\n-- New queued jobs\nnext_queued AS (",
        "WITH\n-- Unpack per-entrypoint parameters.\nparams AS (\n    SELECT\n"
        "        UNNEST($2::text[]) AS entrypoint,\n        UNNEST($5::bigint[]) AS concurrency_limit\n),\npicked AS (",
        "WITH\n    entrypoint_execution_params AS (\n        SELECT\n"
        "            UNNEST($1::text[])      AS entrypoint,\n            UNNEST($2::interval[])  AS retry_after,",
    ],
    "queue check": [
        "\n        SELECT COUNT(*) AS queued_work\n        FROM (\n            SELECT 1\n            FROM pgqueuer",
        "SELECT execute_after - NOW() AS eta\n        FROM pgqueuer\n        WHERE status = 'queued'",
    ],
    "heartbeat": [
        "UPDATE pgqueuer SET heartbeat = NOW() WHERE id = ANY($1::bigint[])",
        "UPDATE pgqueuer SET heartbeat = NOW() WHERE id = ANY($1::integer[])",
        'UPDATE "jobs".pgqueuer SET heartbeat = NOW() WHERE id = ANY($1::bigint[])',
    ],
    "job log": [
        "WITH job_status AS (\n            SELECT\n                UNNEST($1::bigint[])      AS id,\n"
        "                UNNEST($2::pgqueuer_status[]) AS status,\n",
        "WITH deleted AS (\n            DELETE FROM pgqueuer\n            WHERE id = ANY($1::integer[])\n"
        "            RETURNING id, entrypoint, priority\n        ), job_status AS (",
    ],
    "log aggregation": [
        "WITH guard AS (\n   SELECT pg_try_advisory_xact_lock(hashtext('pgqueuer_statistics')) AS proceed"
    ],
    "scheduler": [
        "WITH params AS (\n        SELECT UNNEST($1::text[])       AS expression,\n               UNNEST($2::text[])"
        "       AS entrypoint,\n               UNNEST($3::interval[])   AS delay\n    ), picked_jobs AS (",
        "UPDATE pgqueuer_schedules SET heartbeat = NOW(), updated = NOW() WHERE id = ANY($1);",
        "UPDATE pgqueuer_schedules SET status = 'queued', last_run = NOW(), updated = NOW() WHERE id = ANY($1);",
    ],
    "notify": ["SELECT pg_notify('ch_pgqueuer', $1)"],
    "listen": ['LISTEN "ch_pgqueuer"', "LISTEN ch_pgqueuer;", ' LISTEN "ch_pgqueuer";\n'],
}

NOT_WORKER = [
    "SELECT pg_notify($1, $2)",  # 1.x's health check, but any client may send it
    "SELECT pg_notify('other_channel', $1)",
    'LISTEN "other"',
    'LISTEN "pgqueuer_probe_0123456789abcdef"',
    "\n        WITH input AS MATERIALIZED (\n            SELECT nextval(",  # 1.x enqueue
    "INSERT INTO pgqueuer (priority, entrypoint, payload, execute_after, dedupe_key, headers, status)",
    "WITH guard AS (\n            SELECT TRUE AS proceed\n        ),",  # the statistics read, not the worker's
    "SELECT count(*) AS count, priority, entrypoint, status FROM pgqueuer GROUP BY entrypoint",
    "WITH picked AS (\n    UPDATE pgqueuer SET status = 'picked', heartbeat = now()",  # the test stand-in's
    "SELECT id, entrypoint FROM pgqueuer WHERE status = 'picked' ORDER BY id",
    "SELECT 1",
    "",
    None,
]


@pytest.mark.parametrize(("kind", "query"), [(kind, query) for kind, queries in WORKER.items() for query in queries])
def test_worker_statements_are_recognised(kind, query):
    assert pgqueuer_postgres.classify_statement(query, CH) == kind


@pytest.mark.parametrize("query", NOT_WORKER)
def test_other_statements_are_not(query):
    assert pgqueuer_postgres.classify_statement(query, CH) is None


def test_listen_on_a_channel_that_needs_quotes():
    assert pgqueuer_postgres.classify_statement('LISTEN "My.Channel"', "My.Channel") == "listen"
    assert pgqueuer_postgres.classify_statement('LISTEN "ch_pgqueuer"', "My.Channel") is None


def row(pid, query, client="10.0.0.63", user="app"):
    return (pid, user, client, query)


DEQUEUE = WORKER["dequeue"][0]
SCHEDULER = WORKER["scheduler"][0]


def test_stock_workers_count_once_each_by_pid():
    rows = [row(11, SCHEDULER), row(12, DEQUEUE, client="10.0.0.60"), row(13, "SELECT 1"), row(14, "COMMIT")]
    count, hidden, sessions, again = pgqueuer_postgres.count_listeners(rows, CH)
    assert (count, hidden, again) == (2, 0, [])
    assert [(s["pid"], s["statement"]) for s in sessions] == [(11, "scheduler"), (12, "dequeue")]
    assert pgqueuer_postgres.count_listeners(rows, CH, match="listen")[0] == 0


def test_a_worker_with_a_listen_connection_of_its_own_counts_once():
    rows = [row(21, 'LISTEN "ch_pgqueuer"'), row(22, DEQUEUE), row(23, SCHEDULER, client="10.0.0.60")]
    count, _hidden, sessions, _again = pgqueuer_postgres.count_listeners(rows, CH)
    assert count == 2 and [s["pid"] for s in sessions] == [21, 23]
    assert pgqueuer_postgres.count_listeners(rows, CH, match="listen")[0] == 1


def test_hidden_sessions_and_the_generic_notify():
    rows = [row(31, "<insufficient privilege>", client=None, user=None), row(32, "SELECT pg_notify($1, $2)")]
    assert pgqueuer_postgres.count_listeners(rows, CH) == (0, 1, [], [32])
    assert pgqueuer_postgres.count_listeners(rows, CH, match="listen") == (0, 1, [], [])


def test_settle_looks_again_at_a_session_that_showed_the_generic_notify():
    answers = [
        [row(41, "SELECT pg_notify($1, $2)"), row(42, DEQUEUE, client="10.0.0.60")],
        [row(41, "SELECT pg_notify($1, $2)")],
        [row(41, SCHEDULER)],
    ]
    asked = []

    def read(pids):
        asked.append(pids)
        return answers.pop(0)

    count, _hidden, sessions, again = pgqueuer_postgres.settle(read, CH, interval=0)
    assert count == 2 and again == [] and [s["pid"] for s in sessions] == [41, 42]
    assert asked == [None, [41], [41]]


def test_settle_gives_up_after_its_patience():
    def read(pids):
        return [row(51, "SELECT pg_notify($1, $2)")]

    assert pgqueuer_postgres.settle(read, CH, patience=0.05, interval=0.01)[:3] == (0, 0, [])


def test_settle_forgets_a_session_that_ended():
    answers = [[row(61, "SELECT pg_notify($1, $2)")], []]
    assert pgqueuer_postgres.settle(lambda pids: answers.pop(0), CH, interval=0) == (0, 0, [], [])
