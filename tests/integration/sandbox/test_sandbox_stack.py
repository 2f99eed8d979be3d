"""The sandbox stack in both releases, against the real containers `sandbox/up.sh` brings up.

Each release's stack is brought up once (module-scoped, parametrized fixture: pytest runs every
test of one release before it switches to the other). Run under the sandbox lock:
`flock /tmp/bs-sandbox.lock .venv/bin/pytest tests/integration/sandbox`.
"""

from __future__ import annotations

import json
import os
import stat
import time
import urllib.request
import uuid
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Release:
    name: str
    cache_backend: str
    cache_container: str
    absent_container: str


RELEASES = {
    "memcached": Release("memcached", sandbox.CACHE_BACKENDS["memcached"], "memcached", "bs-redis"),
    "redis": Release("redis", sandbox.CACHE_BACKENDS["redis"], "bs-redis", "memcached"),
}


@pytest.fixture(scope="module", params=sorted(RELEASES))
def stack(request) -> Release:
    sandbox.up(request.param)
    return RELEASES[request.param]


def shell(command: str) -> str:
    """Last line printed by `manage.py shell -c` in bs-core (Django 5.2 prints an auto-import note first)."""
    out = sandbox.compose("exec", "-T", "bs-core", "python", "manage.py", "shell", "-c", command).stdout
    return out.strip().splitlines()[-1]


def test_every_service_is_healthy(stack):
    for name in ("postgres-srv", stack.cache_container, "bs-core", "bs-worker", "bs-frontend"):
        assert sandbox.container(name).health == "healthy", name
    assert sandbox.run(["docker", "inspect", stack.absent_container], check=False).returncode != 0


def test_env_is_private_and_holds_the_release_keys(stack):
    env_file = sandbox.SANDBOX_DIR / ".env"
    assert stat.S_IMODE(os.stat(env_file).st_mode) == 0o600
    env = sandbox.read_env()
    if stack.name == "memcached":
        assert env["MEMCACHED_LOCATION"] == "memcached:11211"
        assert not set(REDIS_KEYS) & set(env)
    else:
        assert {key: env.get(key) for key in REDIS_KEYS} == REDIS_KEYS
        assert "MEMCACHED_LOCATION" not in env
    secrets = sandbox.secret_values(env)
    assert len(secrets) >= 10
    assert len(set(secrets)) == len(secrets), "every secret is generated separately"
    assert all(len(value) >= 20 for value in secrets)
    assert "CACHE_KEY_PREFIX" not in {key for key, value in env.items() if value in secrets}


def test_seed_smoke_command_prints_2(stack):
    assert shell(SMOKE) == "2"


def test_cache_roundtrip_endpoint_uses_the_release_backend(stack):
    assert sandbox.http("GET", "/api/cache/roundtrip") == (200, {"backend": stack.cache_backend, "value": 2})


def test_frontend_proxies_the_api_on_loopback(stack):
    url = "http://127.0.0.1:4000/api/cache/roundtrip"
    with urllib.request.urlopen(url, timeout=10) as response:
        assert (response.status, json.loads(response.read())["backend"]) == (200, stack.cache_backend)


def test_worker_is_woken_through_the_release_broker(stack):
    if stack.name == "memcached":
        assert sandbox.listener_sessions() == 1
    else:
        assert sandbox.redis_numsub(sandbox.read_env()["PGQUEUE_CHANNEL"]) >= 1
        assert sandbox.listener_sessions() == 0, "the Redis broker must not LISTEN in PostgreSQL"
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
        sandbox.up(stack.name)
    # Healthy again must mean subscribed again (not a heartbeat left by the stopped process).
    assert_jobs_woken_at_once(stack)


def test_up_again_recreates_nothing(stack):
    names = ("postgres-srv", stack.cache_container, "bs-core", "bs-worker", "bs-frontend")
    before = [sandbox.container(name) for name in names]
    sandbox.up(stack.name)
    assert [sandbox.container(name) for name in names] == before
