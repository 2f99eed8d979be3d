"""The modules against the real sandbox stack, in each release: what the cutover role sees.

Run under the sandbox lock: `flock /tmp/bs-sandbox.lock .venv/bin/pytest -m sandbox tests/integration`.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass

import pytest

from tests.lib import sandbox

from .ansible_run import run_module, run_tasks

pytestmark = pytest.mark.sandbox

REDIS_CACHE = sandbox.CACHE_BACKENDS["redis"]
MEMCACHED_CACHE = sandbox.CACHE_BACKENDS["memcached"]


@dataclass(frozen=True)
class Release:
    name: str
    backend: str
    broker: str


RELEASES = {
    "memcached": Release("memcached", MEMCACHED_CACHE, "postgres"),
    "redis": Release("redis", REDIS_CACHE, "redis"),
}


# Redis first: the sandbox stack tests that run after this file start with memcached, so the
# engine switches releases twice instead of three times.
@pytest.fixture(scope="module", params=["redis", "memcached"])
def stack(request) -> Release:
    sandbox.up(request.param)
    return RELEASES[request.param]


def probe_params(release: Release, **extra) -> dict:
    """pgqueuer_probe's arguments for the release's broker, as the role passes them."""
    return sandbox.probe_params(release.broker, **extra)


def assert_no_secret(output: str) -> None:
    for secret in sandbox.secret_values():
        assert secret not in output, "a .env secret leaked into Ansible's output"


def test_django_mode_round_trip_through_the_app_settings(stack):
    run = run_tasks(
        [
            ("redis_smoke", dict(mode="django", expect_backend=stack.backend)),
            ("redis_smoke", dict(mode="django", expect_backend=REDIS_CACHE)),
        ]
    )
    ok, expect_redis = run.results
    assert not ok.get("failed"), ok["msg"]
    assert ok["backend"] == stack.backend
    assert ok["values"] == {"set": 1, "incr": 2, "get": 2, "delete": None}
    assert set(ok["latency_ms"]) >= {"set", "incr", "get", "delete", "total"}, ok["latency_ms"]
    if stack.name == "memcached":
        assert expect_redis["failed"] and expect_redis["reason"] == "backend"
        assert MEMCACHED_CACHE in expect_redis["msg"] and REDIS_CACHE in expect_redis["msg"]
    else:
        assert not expect_redis.get("failed"), expect_redis["msg"]
    assert_no_secret(run.output)


def test_django_mode_check_mode_reads_only_the_backend(stack):
    result = run_module("redis_smoke", dict(mode="django"), check=True)
    assert not result.get("failed"), result["msg"]
    assert result["backend"] == stack.backend and result["values"] == {}


def test_direct_mode_against_the_sandbox_redis(stack):
    if stack.name != "redis":
        pytest.skip("the memcached release has no Redis")
    args = dict(host=sandbox.container_ip("bs-redis"), db=1, expect_maxmemory_policy="allkeys-lru",
                min_free_memory="64mb", min_version="7.0")  # fmt: skip
    result = run_module("redis_smoke", args)
    assert not result.get("failed"), result["msg"]
    assert result["server"]["maxmemory"] == 200 * 1024 * 1024
    assert result["values"] == {"set": True, "incr": 2, "get": "2", "eval": 1, "delete": 1}
    assert result["latency_ms"]["total"] > 0, result["latency_ms"]


def test_missing_container_is_reported(stack):
    result = run_module("redis_smoke", dict(mode="django", container="bs-no-such-container"))
    assert result["failed"] and result["reason"] == "container"
    assert "'bs-no-such-container' does not exist" in result["msg"]


def test_the_release_worker_consumes_through_its_broker(stack):
    run = run_tasks(
        [
            ("pgqueuer_probe", probe_params(stack, wait_for="listening", timeout=30)),
            ("pgqueuer_probe", probe_params(stack, wait_for="consuming", timeout=20)),
        ]
    )
    listening, consuming = run.results
    assert not listening.get("failed"), listening["msg"]
    assert not consuming.get("failed"), consuming["msg"]
    assert consuming["broker"]["name"] == stack.broker and consuming["broker"]["listeners"] >= 1
    job = consuming["job"]
    print(f"\n[{stack.name}] probe job through the {stack.broker} broker: {job['latency_ms']:.1f} ms")
    assert job["status"] == "successful"
    # Well below PgQueuer's 30 s dequeue timeout, so the wake-up came through the broker, not a poll
    # (typical: a few ms; bench/module_calls.py measures the calls' cost).
    assert job["latency_ms"] < 10_000, job
    if stack.broker == "redis":
        assert job["wakeup_receivers"] >= 1
    assert sandbox.query("SELECT count(*) AS n FROM pgqueuer WHERE id = %s", [job["id"]])[0]["n"] == 0
    assert_no_secret(run.output)


def test_with_the_worker_stopped_the_probe_fails_in_time_and_says_why(stack):
    sandbox.compose("stop", "bs-worker")
    try:
        started = time.monotonic()
        result = run_module("pgqueuer_probe", probe_params(stack, wait_for="consuming", timeout=5))
        elapsed = time.monotonic() - started
    finally:
        sandbox.compose("up", "-d", "--wait", "bs-worker")
    assert result["failed"] and result["reason"] == "assertion"
    assert elapsed < 5 + 10, f"took {elapsed:.1f} s for a 5 s timeout"
    if stack.broker == "redis":
        assert "no subscriber on Redis channel '0'" in result["msg"]
    else:
        assert "no LISTEN session on 'ch_pgqueuer'" in result["msg"]
    assert "removed it from the queue" in result["msg"]
    assert sandbox.query("SELECT count(*) AS n FROM pgqueuer WHERE id = %s", [result["job"]["id"]])[0]["n"] == 0

    restored = run_module("pgqueuer_probe", probe_params(stack, wait_for="consuming", timeout=30))
    assert not restored.get("failed"), restored["msg"]


def test_stack_facts_reads_the_stack_as_docker_inspect_does(stack):
    infra = "bs-redis" if stack.name == "redis" else "memcached"
    names = ["postgres-srv", "bs-core", "bs-worker", infra, "bs-no-such-container"]
    env_path = sandbox.SANDBOX_DIR / ".env"
    result = run_module(
        "stack_facts",
        dict(
            paths={"env": str(env_path)},
            dotenv=["env"],
            free_space=[str(sandbox.SANDBOX_DIR)],
            network=sandbox.NETWORK,
            containers=names,
            # bs-worker runs the worker command itself; bs-core runs none (no handoff worker outside a swap).
            processes={name: ["pgq", "run", "business_suite.pgqueue:factory"] for name in names[1:3] + names[-1:]},
            images=["bs-sandbox/postgres:15", "docker.io/bs-sandbox/postgres:15", "bs-sandbox/no-such-image:1"],
        ),
        check=True,
    )
    assert result["changed"] is False and "failed" not in result, result
    worker_pids = sandbox.run(["docker", "top", "bs-worker", "-o", "pid"]).stdout.split()[1:]
    assert result["processes"]["bs-worker"] and {str(p) for p in result["processes"]["bs-worker"]} <= set(worker_pids)
    assert result["processes"]["bs-core"] == [] and result["processes"]["bs-no-such-container"] == []
    db_image = result["containers"]["postgres-srv"]["container"]["Image"]
    assert result["images"]["bs-sandbox/postgres:15"] == {"exists": True, "Id": db_image}
    assert result["images"]["docker.io/bs-sandbox/postgres:15"] == {"exists": True, "Id": db_image}
    assert result["images"]["bs-sandbox/no-such-image:1"] == {"exists": False, "Id": ""}
    assert result["engine"]["rc"] == 0 and result["compose"]["rc"] == 0
    assert result["paths"]["env"]["exists"] and result["paths"]["env"]["mode"] == "%04o" % (
        env_path.stat().st_mode & 0o7777
    )
    env_keys = [line for line in env_path.read_text().splitlines() if re.match(r"^[A-Za-z_][A-Za-z0-9_.-]*=", line)]
    assert result["paths"]["env"]["dotenv"] == {"keys": len(env_keys), "error": ""}
    assert result["containers"]["bs-no-such-container"] == {"exists": False, "container": {}}
    for name in names[:-1]:
        seen = result["containers"][name]["container"]
        inspected = sandbox.run(["docker", "container", "inspect", name]).stdout
        real = json.loads(inspected)[0]
        assert seen["Image"] == real["Image"] and seen["Config"]["Image"] == real["Config"]["Image"]
        assert seen["Config"]["Labels"] == real["Config"]["Labels"]
        assert seen["NetworkSettings"]["Networks"][sandbox.NETWORK]["IPAddress"] == sandbox.container_ip(name)
        members = {c["Name"] for c in result["network"]["containers"].values()}
        assert name in members
    assert_no_secret(str(result))


def test_release_snapshot_keeps_the_running_images_under_real_tags(stack, tmp_path):
    infra = "bs-redis" if stack.name == "redis" else "memcached"
    images = {}
    for name in ("bs-core", infra):
        doc = json.loads(sandbox.run(["docker", "container", "inspect", name]).stdout)[0]
        tag = f"bs-snapshot-test-{name}:rollback-1"
        images[name] = {"image": doc["Config"]["Image"], "id": doc["Image"], "rollback_tag": tag}
    tags = sorted(image["rollback_tag"] for image in images.values())
    args = dict(
        snapshots_dir=str(tmp_path / "snapshots"),
        name="1",
        files={"env": str(sandbox.SANDBOX_DIR / ".env")},
        images=images,
        manifest={"release": stack.name},
    )
    try:
        written = run_module("release_snapshot", args)
        again = run_module("release_snapshot", args)
        for image in images.values():
            tagged = json.loads(sandbox.run(["docker", "image", "inspect", image["rollback_tag"]]).stdout)[0]
            assert tagged["Id"] == image["id"]
    finally:
        sandbox.run(["docker", "image", "rm", *tags], check=False)
    assert written["changed"] is True and sorted(written["tagged"]) == tags
    assert (again["changed"], again["tagged"]) == (False, [])
    assert (tmp_path / "snapshots" / "1" / "env").read_bytes() == (sandbox.SANDBOX_DIR / ".env").read_bytes()
    assert_no_secret(str(written))
