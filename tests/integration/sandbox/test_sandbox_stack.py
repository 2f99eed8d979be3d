"""The sandbox stack in both releases, against the real containers `sandbox/up.sh` brings up.

Each release's stack is brought up once (module-scoped, parametrized fixture: pytest runs every
test of one release before it switches to the other). Run under the sandbox lock:
`flock /tmp/bs-sandbox.lock .venv/bin/pytest tests/integration/sandbox`.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import stat
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.lib import sandbox

pytestmark = pytest.mark.sandbox

SMOKE = sandbox.RUNBOOK_SMOKE
REDIS_KEYS = {
    "REDIS_URL": "redis://bs-redis:6379/1",
    "REDIS_HOST": "bs-redis",
    "REDIS_PORT": "6379",
    "PGQUEUE_CHANNEL": "0",
    "CACHE_KEY_PREFIX": "revisbali",
}
# Far below PgQueuer's 30 s dequeue timeout: only a wake-up through the broker is this fast.
WAKEUP_LATENCY = 10.0
CODE = "/usr/src/app"  # the real image's code path (WORKDIR), where ./backend is mounted
BACKUP_NAME = re.compile(r"^business_suite-\d{8}T\d{6}Z\.sql\.gz$")
# Containers of both releases, with (True) or without (False) a healthcheck: the app's file has one on db
# (and redis) only; the frontend and stub images bring their own.
COMMON = {"postgres-srv": True, "bs-core": False, "bs-worker": False, "bs-frontend": True}
SANDBOX_ONLY = {"bs-proxy": True, "bs-backup": False}


@dataclass(frozen=True)
class Release:
    name: str
    cache_backend: str
    cache_container: str
    cache_healthcheck: bool
    absent_container: str
    image_var: str

    @property
    def containers(self) -> dict[str, bool]:
        return {**COMMON, self.cache_container: self.cache_healthcheck, **SANDBOX_ONLY}


RELEASES = {
    "memcached": Release(
        "memcached", sandbox.CACHE_BACKENDS["memcached"], "memcached", False, "bs-redis", "APP_MEMCACHED_IMAGE"
    ),
    "redis": Release("redis", sandbox.CACHE_BACKENDS["redis"], "bs-redis", True, "memcached", "APP_REDIS_IMAGE"),
}


@pytest.fixture(scope="module", params=sorted(RELEASES))
def stack(request) -> Release:
    sandbox.up(request.param)
    return RELEASES[request.param]


def shell(command: str) -> str:
    """Last line printed by `manage.py shell -c` in bs-core (Django 5.2 prints an auto-import note first)."""
    out = sandbox.compose("exec", "-T", "bs-core", "python", "manage.py", "shell", "-c", command).stdout
    return out.strip().splitlines()[-1]


def mounts(container: str) -> dict[str, dict]:
    """The container's mounts by destination."""
    data = json.loads(sandbox.run(["docker", "inspect", "--type", "container", container]).stdout)[0]
    return {mount["Destination"]: mount for mount in data["Mounts"]}


def test_every_service_is_up(stack):
    for name, healthcheck in stack.containers.items():
        state = sandbox.container(name)
        assert (state.status, state.health) == ("running", "healthy" if healthcheck else None), name
    for name in (stack.absent_container, "bs-alloy"):  # bs-alloy only starts with --profile alloy
        assert sandbox.run(["docker", "inspect", name], check=False).returncode != 0, name


def test_compose_file_follows_the_app(stack):
    text = (sandbox.SANDBOX_DIR / "docker-compose.yml").read_text()
    assert "healthz" not in text, "nothing in the compose file may use the stand-in's /healthz"
    services = sandbox.compose("config", "--format", "json").stdout
    config = json.loads(services)["services"]
    assert "healthcheck" not in config["bs-core"] and "healthcheck" not in config["bs-worker"]
    assert config["bs-worker"]["command"] == ["pgq", "run", "business_suite.pgqueue:factory"]
    assert config["bs-worker"]["stop_grace_period"] == "2m0s"
    assert set(config["bs-core"]["depends_on"]) == {stack.cache_container.removeprefix("bs-"), "db"}
    assert set(config["bs-worker"]["depends_on"]) == {"db", "bs-core"} | ({"redis"} if stack.name == "redis" else set())
    assert "ports" not in config["bs-frontend"]
    assert sandbox.run(["docker", "port", "bs-frontend"]).stdout.strip() == "", "bs-frontend publishes no port"
    assert sandbox.drift() == [], "a plain `docker compose up -d` would change containers"


def test_code_and_data_are_the_apps_bind_mounts(stack):
    env = sandbox.read_env()
    core = mounts("bs-core")
    assert core[CODE]["Source"] == str(sandbox.SANDBOX_DIR / "backend")
    assert core[CODE]["Propagation"] == "rslave"
    assert core[f"{CODE}/.env"]["RW"] is False
    assert core["/backups"]["Source"] == env["BACKUPS_PATH"]
    assert core["/etc/letsencrypt"]["Name"] == "le-certs"
    assert {"/media", "/db", "/logs", "/staticfiles"} <= set(core)
    assert mounts("bs-worker")[CODE]["Source"] == str(sandbox.SANDBOX_DIR / "backend")
    db = mounts("postgres-srv")["/var/lib/postgresql"]
    assert (db["Type"], db["Source"], db["Propagation"]) == ("bind", env["DB_PATH"], "rslave")


def test_env_is_private_and_holds_the_release_keys(stack):
    env_file = sandbox.SANDBOX_DIR / ".env"
    assert stat.S_IMODE(os.stat(env_file).st_mode) == 0o600
    env = sandbox.read_env()
    if stack.name == "memcached":
        assert env["MEMCACHED_HOST"] == "memcached"
        assert not set(REDIS_KEYS) & set(env)
    else:
        assert {key: env.get(key) for key in REDIS_KEYS} == REDIS_KEYS
        assert "MEMCACHED_HOST" not in env
    assert "MEMCACHED_LOCATION" not in env
    assert Path(env["BACKUPS_PATH"]).parent == sandbox.SANDBOX_DIR
    secrets = sandbox.secret_values(env)
    assert len(secrets) >= 10
    assert len(set(secrets)) == len(secrets), "every secret is generated separately"
    assert all(len(value) >= 20 for value in secrets)
    assert "CACHE_KEY_PREFIX" not in {key for key, value in env.items() if value in secrets}


def test_app_runs_the_prod_settings_of_its_release(stack):
    assert (
        sandbox.exec_in("bs-core", "printenv", "DJANGO_SETTINGS_MODULE").stdout.strip()
        == "business_suite.settings.prod"
    )
    assert sandbox.exec_in("bs-core", "pwd").stdout.strip() == CODE
    printed = shell("from django.conf import settings; print(settings.SETTINGS_MODULE, settings.RELEASE)")
    assert printed == f"business_suite.settings.prod {stack.name}"
    location = shell("from django.conf import settings; print(settings.CACHES['default']['LOCATION'])")
    assert location == ("memcached:11211" if stack.name == "memcached" else REDIS_KEYS["REDIS_URL"])


def test_image_carries_the_code_without_the_mount(stack):
    image = sandbox.images()[stack.image_var]
    command = "from django.conf import settings; print(settings.SETTINGS_MODULE, settings.RELEASE)"
    run = ["docker", "run", "--rm", "--network", "none", "-e", "SECRET_KEY=x", image]
    out = sandbox.run([*run, "python", "manage.py", "shell", "-c", command]).stdout
    assert out.strip().splitlines()[-1] == f"business_suite.settings.prod {stack.name}"


def test_seed_smoke_command_prints_2(stack):
    assert shell(SMOKE) == "2"


def test_cache_roundtrip_endpoint_uses_the_release_backend(stack):
    assert sandbox.http("GET", "/api/cache/roundtrip") == (200, {"backend": stack.cache_backend, "value": 2})


def through_proxy(method: str, path: str, body: object = None) -> tuple[int, dict]:
    """A request to the reverse proxy on the host's loopback (bs-proxy -> bs-frontend -> bs-core)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:8443{path}", data, {"Content-Type": "application/json"}, method=method
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - http to a test container
        return response.status, json.loads(response.read())


def test_proxy_on_loopback_reaches_bs_core_through_the_frontend(stack):
    status, body = through_proxy("GET", "/api/cache/roundtrip")
    assert (status, body["backend"]) == (200, stack.cache_backend)
    status, body = through_proxy("POST", "/api/jobs", {"entrypoint": "probe.noop", "payloads": [{}]})
    assert status == 201
    assert len(sandbox.wait_for_log(body["ids"])) == 1


def test_backup_job_writes_a_dump_within_its_period(stack):
    env = sandbox.read_env()
    backups, period = Path(env["BACKUPS_PATH"]), float(env["BACKUP_INTERVAL"])
    before = {path.name for path in backups.iterdir()}
    deadline = time.monotonic() + period + 15
    while not (new := sorted({path.name for path in backups.iterdir()} - before)):
        assert time.monotonic() < deadline, f"no new backup in {backups} after {period + 15:.0f} s"
        time.sleep(0.5)
    assert all(BACKUP_NAME.match(name) for name in new), new
    dump = gzip.decompress((backups / new[-1]).read_bytes()).decode()
    assert "PostgreSQL database dump complete" in dump
    assert "bench_job_record" in dump


def test_worker_is_woken_through_the_release_broker(stack):
    listeners = list(sandbox.listeners().values())  # one client address per listening session
    if stack.name == "memcached":
        assert listeners == [sandbox.container_ip("bs-worker")], "the stock worker, alone, LISTENs in PostgreSQL"
    else:
        assert sandbox.redis_numsub(sandbox.read_env()["PGQUEUE_CHANNEL"]) >= 1
        assert listeners == [], "the Redis broker must not LISTEN in PostgreSQL"
    assert_jobs_woken_at_once(stack)


def assert_jobs_woken_at_once(stack: Release) -> None:
    started = time.monotonic()
    ids = sandbox.enqueue("bench.record", [{"seq": seq} for seq in range(3)])
    records = sandbox.wait_for_bench_records(ids, timeout=10)
    waited = time.monotonic() - started
    assert [(r["seq"], r["release"]) for r in records] == [(seq, stack.name) for seq in range(3)]
    assert len(sandbox.wait_for_log(ids)) == len(ids)
    assert waited < WAKEUP_LATENCY, f"jobs took {waited:.1f} s: the worker was not woken by {stack.name}"


@pytest.mark.parametrize("stack", ["redis"], indirect=True)
def test_redis_cache_keys_live_in_db_1(stack):
    key = f"sandbox_{uuid.uuid4().hex}"
    assert shell(f"from django.core.cache import cache; cache.set('{key}', 41, 60); print(cache.incr('{key}'))") == "42"
    redis = sandbox.redis_client(db=1)
    assert redis.get(f"revisbali:1:{key}") == "42"
    assert 0 < redis.ttl(f"revisbali:1:{key}") <= 60


def test_stopping_the_worker_drains_the_job_in_flight(stack):
    (job,) = sandbox.enqueue("demo.sleep", [{"seconds": 3}])
    sandbox.wait_for_rows(
        "SELECT status FROM pgqueuer WHERE id = %s", [job], lambda rows: rows == [{"status": "picked"}]
    )
    try:
        sandbox.compose("stop", "bs-worker")  # SIGTERM; compose waits up to stop_grace_period (120 s)
        assert sandbox.query("SELECT status FROM pgqueuer_log WHERE job_id = %s AND status = 'successful'", [job])
        assert not sandbox.query("SELECT id FROM pgqueuer WHERE id = %s", [job]), "the job must not stay picked"
    finally:
        sandbox.up(stack.name)  # returns once the restarted worker has run a probe job
    assert_jobs_woken_at_once(stack)


def test_up_again_recreates_nothing(stack):
    names = tuple(stack.containers)
    before = [sandbox.container(name) for name in names]
    sandbox.up(stack.name)
    assert [sandbox.container(name) for name in names] == before
    assert sandbox.drift() == []
