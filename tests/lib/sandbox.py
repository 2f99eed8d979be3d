"""Helpers for tests that run against the sandbox stack (`sandbox/up.sh`, see docs/ARCHITECTURE.md).

Bring a release up, read its .env, run `docker compose` or `docker exec` in it, look at containers,
talk HTTP to bs-core, enqueue jobs and wait for their results, count broker listeners.

Callers hold /tmp/bs-sandbox.lock for the whole run (`flock /tmp/bs-sandbox.lock pytest ...`):
the engine fits one stack. Traffic goes only to the stack's containers, at their dockernet
addresses, never to other hosts.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ansible_collections.revisbali.business_suite.plugins.module_utils import dotenv

REPO = Path(__file__).resolve().parents[2]
SANDBOX_DIR = Path(os.environ.get("SANDBOX_DIR", "/srv/business_suite"))
NETWORK = "dockernet"
CHANNEL = "ch_pgqueuer"  # PgQueuer's wake-up channel (its PGQUEUER_CHANNEL default)
LISTEN_QUERY = f'LISTEN "{CHANNEL}"'  # what a SQL-broker worker runs once, on the connection it then dequeues on
# Every PgQueuer queue manager checks its listener every 10 s with a health_check_event NOTIFY, sent over its
# driver: a stock (SQL-broker) worker sends it from the very session that LISTENs.
HEALTH_CHECK_PERIOD = 10.0
# In the statement PgQueuer's scheduler polls with about once a second, on every worker's connection (both brokers).
SCHEDULER_POLL = "FROM pgqueuer_schedules"
# The Django cache backend each release runs with.
CACHE_BACKENDS = {
    "memcached": "django.core.cache.backends.memcached.PyMemcacheCache",
    "redis": "django_redis.cache.RedisCache",
}
# The seed runbook's smoke command, verbatim (`manage.py shell -c` inside bs-core; it prints 2).
RUNBOOK_SMOKE = (
    "from django.core.cache import cache; cache.set('redis_smoke', 1, 60); "
    "cache.incr('redis_smoke'); print(cache.get('redis_smoke'))"
)
DRY_RUN_CHANGE_RE = re.compile(r"DRY-RUN MODE -\s+Container (\S+)\s+(?:Recreate|Create)$", re.MULTILINE)


def images() -> dict[str, str]:
    """Image names from sandbox/images/images.env; an environment variable of the same name wins."""
    names = {}
    for line in (REPO / "sandbox/images/images.env").read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not key.startswith("#"):
            names[key] = os.environ.get(key, value)
    return names


def up(release: str = "memcached", *, fresh: bool = False) -> None:
    """Bring the stack up in `release` ("memcached" or "redis") and wait until it is healthy."""
    run([str(REPO / "sandbox/up.sh"), "--release", release, *(["--fresh"] if fresh else [])])


def down() -> None:
    run([str(REPO / "sandbox/down.sh")])


def run(argv: Sequence[str], *, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run a command; on failure the exception message carries its output."""
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def compose(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """`docker compose ARGS` in the project directory."""
    return run(["docker", "compose", "--project-directory", str(SANDBOX_DIR), *args], check=check)


def drift() -> list[str]:
    """Containers that do not match the compose file on disk: the next plain `docker compose up -d`
    (a deploy, a reboot script) would create or recreate them. Asks compose itself (--dry-run)."""
    result = compose("--dry-run", "up", "-d")
    return sorted(set(DRY_RUN_CHANGE_RE.findall(result.stdout + result.stderr)))


def exec_in(container: str, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """`docker exec CONTAINER COMMAND...`."""
    return run(["docker", "exec", container, *command], check=check)


def read_env(path: Path | None = None) -> dict[str, str]:
    """The project's .env as a dict (values unquoted, comments dropped)."""
    return dotenv.values(dotenv.parse((path or SANDBOX_DIR / ".env").read_text()))


def secret_values(env: dict[str, str] | None = None) -> list[str]:
    """Values that must never appear in output (the collection's own definition of a secret)."""
    env = read_env() if env is None else env
    return [value for key, value in env.items() if value and dotenv.is_secret(key, value)]


@dataclass(frozen=True)
class Container:
    id: str
    status: str  # running, exited, restarting, ...
    health: str | None  # healthy, unhealthy, starting, or None without a healthcheck
    started_at: str
    image: str


def container(name: str) -> Container:
    """State of a container by name (raises AssertionError when it does not exist)."""
    data = json.loads(run(["docker", "inspect", "--type", "container", name]).stdout)[0]
    state = data["State"]
    return Container(
        id=data["Id"],
        status=state["Status"],
        health=(state.get("Health") or {}).get("Status"),
        started_at=state["StartedAt"],
        image=data["Config"]["Image"],
    )


def container_ip(name: str, network: str = NETWORK) -> str:
    template = f"{{{{(index .NetworkSettings.Networks {json.dumps(network)}).IPAddress}}}}"
    return run(["docker", "inspect", "-f", template, name]).stdout.strip()


def http(method: str, path: str, body: object = None, *, timeout: float = 10) -> tuple[int, object]:
    """A request to bs-core (Django on :8000); returns (status, JSON body, or text when not JSON)."""
    request = urllib.request.Request(
        f"http://{container_ip('bs-core')}:8000{path}",
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http to a test container
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode()


def enqueue(entrypoint: str, payloads: list[dict]) -> list[int]:
    """Queue jobs through the app's own path (POST /api/jobs); returns their ids."""
    status, body = http("POST", "/api/jobs", {"entrypoint": entrypoint, "payloads": payloads})
    assert status == 201, f"POST /api/jobs answered {status}: {body}"
    return body["ids"]


def probe_params(broker: str = "postgres", **extra) -> dict:
    """pgqueuer_probe's arguments for the stack's database and `broker`, as the role passes them: the
    credentials are read by the module from the live .env (db_env_file)."""
    env = read_env()
    params = dict(
        db_host=container_ip("postgres-srv"),
        db_port=int(env["DB_PORT"]),
        db_env_file=str(SANDBOX_DIR / ".env"),
        **extra,
    )
    if broker == "redis":
        params.update(broker="redis", channel=env["PGQUEUE_CHANNEL"], redis=dict(host=container_ip("bs-redis"), db=1))
    return params


def pg_connect():
    """psycopg connection (autocommit) to the stack's PostgreSQL with the .env credentials."""
    import psycopg

    env = read_env()
    return psycopg.connect(
        host=container_ip("postgres-srv"),
        port=int(env["DB_PORT"]),
        dbname=env["DB_NAME"],
        user=env["DB_USER"],
        password=env["DB_PASS"],
        autocommit=True,
        connect_timeout=5,
    )


def query(sql: str, params: Sequence[object] = ()) -> list[dict]:
    from psycopg.rows import dict_row

    with pg_connect() as connection, connection.cursor(row_factory=dict_row) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def wait_for_rows(
    sql: str, params: Sequence[object], done: Callable[[list[dict]], bool], *, timeout: float = 10
) -> list[dict]:
    """Poll `sql` every 50 ms until `done(rows)`; AssertionError with the last rows after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        rows = query(sql, params)
        if done(rows) or time.monotonic() > deadline:
            assert done(rows), f"after {timeout} s: {rows}"
            return rows
        time.sleep(0.05)


def wait_for_bench_records(job_ids: list[int], *, timeout: float = 10) -> list[dict]:
    """The bench_job_record rows of `job_ids`, once there is one for each."""
    return wait_for_rows(
        "SELECT * FROM bench_job_record WHERE job_id = ANY(%s) ORDER BY job_id",
        [job_ids],
        lambda rows: {row["job_id"] for row in rows} >= set(job_ids),
        timeout=timeout,
    )


def wait_for_log(job_ids: list[int], status: str = "successful", *, timeout: float = 10) -> list[dict]:
    """The pgqueuer_log rows of `job_ids` with `status`, once there is one for each."""
    return wait_for_rows(
        "SELECT * FROM pgqueuer_log WHERE job_id = ANY(%s) AND status = %s ORDER BY job_id",
        [job_ids, status],
        lambda rows: {row["job_id"] for row in rows} >= set(job_ids),
        timeout=timeout,
    )


def listeners(window: float = HEALTH_CHECK_PERIOD + 2) -> dict[int, str | None]:
    """The sessions that LISTEN for PgQueuer wake-ups in PostgreSQL (the SQL broker's workers), one per backend
    pid: {pid: client address}.

    pg_stat_activity only shows a session's last statement, and a stock worker LISTENs on the connection it
    dequeues and polls on, so its LISTEN shows only until its next statement. What does show it: its listener
    health check, a health_check_event NOTIFY from that session every 10 s. So this LISTENs itself and takes
    the senders of those (and any session whose last statement still is the LISTEN) for up to `window`
    seconds, and returns early once every PgQueuer worker session seen (the ones running the scheduler poll)
    is among them. A Redis-broker worker sends its health checks over Redis: it is never counted, and a
    stack with one takes the whole window.
    """
    found: set[int] = set()
    workers: set[int] = set()
    sessions = (
        "SELECT pid, host(client_addr) AS addr, query FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    with pg_connect() as connection:
        connection.execute(LISTEN_QUERY)
        deadline = time.monotonic() + window
        while True:
            for pid, _addr, statement in connection.execute(sessions).fetchall():
                if statement == LISTEN_QUERY:
                    found.add(pid)
                if SCHEDULER_POLL in statement:
                    workers.add(pid)
            remaining = deadline - time.monotonic()
            if (found and workers <= found) or remaining <= 0:
                break
            for note in connection.notifies(timeout=min(remaining, 0.5)):
                if _is_health_check(note.payload):
                    found.add(note.pid)
        alive = {pid: addr for pid, addr, _statement in connection.execute(sessions).fetchall()}
    return {pid: alive[pid] for pid in sorted(found) if pid in alive}


def _is_health_check(payload: str) -> bool:
    try:
        return json.loads(payload).get("type") == "health_check_event"
    except (ValueError, AttributeError):
        return False


def listener_sessions(window: float = HEALTH_CHECK_PERIOD + 2) -> int:
    """How many sessions LISTEN for PgQueuer wake-ups in PostgreSQL (see `listeners`)."""
    return len(listeners(window))


@cache
def redis_client(db: int = 0):
    import redis

    return redis.Redis(host=container_ip("bs-redis"), port=6379, db=db, socket_timeout=5, decode_responses=True)


def redis_numsub(channel: str) -> int:
    """PUBSUB NUMSUB: how many connections subscribe to `channel` (the Redis broker's workers)."""
    return dict(redis_client().pubsub_numsub(channel)).get(channel, 0)
