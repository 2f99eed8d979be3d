"""The local-development infrastructure: five containers up, Redis reachable from the host on 127.0.0.1:6379
only, the host-run values in .env next to the developer's own keys, a valid docker-compose-local.yml."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest
import redis

from tests.lib import sandbox

PROJECT_DIR = Path(os.environ["BS_PROJECT_DIR"])
COMPOSE_FILE = PROJECT_DIR / "docker-compose-local.yml"
SERVICES = {
    "db": "postgres-srv",
    "redis": "bs-redis",
    "bs-loki": "bs-loki",
    "bs-grafana": "bs-grafana",
    "bs-alloy": "bs-alloy",
}
DEVELOPER_KEYS = {
    "DB_NAME": "business_suite",
    "DB_USER": "revisbali",
    "DB_HOST": "localhost",
    "APP_DOMAIN": "localhost",
}


def compose(*args: str) -> str:
    """`docker compose ARGS` on the local project's docker-compose-local.yml."""
    argv = ["docker", "compose", "--project-directory", str(PROJECT_DIR), "--file", str(COMPOSE_FILE), *args]
    return sandbox.run(argv).stdout


def inspect(name: str, field: str) -> object:
    """One field of `docker inspect NAME`, as JSON."""
    return json.loads(sandbox.run(["docker", "inspect", "--format", f"{{{{json {field}}}}}", name]).stdout)


@pytest.mark.parametrize("name", sorted(SERVICES.values()))
def test_container_runs_in_the_local_project(name):
    state = sandbox.container(name)
    assert state.status == "running"
    assert state.health in (None, "healthy")
    assert inspect(name, ".Config.Labels")["com.docker.compose.project.working_dir"] == str(PROJECT_DIR)


def test_redis_is_published_on_loopback_only(host):
    assert inspect("bs-redis", ".HostConfig.PortBindings") == {
        "6379/tcp": [{"HostIp": "127.0.0.1", "HostPort": "6379"}]
    }
    assert host.socket("tcp://127.0.0.1:6379").is_listening
    assert not host.socket("tcp://0.0.0.0:6379").is_listening


def test_redis_round_trip_from_the_host():
    client = redis.Redis(host="127.0.0.1", port=6379, db=1, socket_timeout=5)
    key = f"molecule:{uuid.uuid4().hex}"
    try:
        assert client.set(key, 1, ex=60)
        assert client.incr(key) == 2
        assert client.get(key) == b"2"
    finally:
        client.delete(key)


def test_env_has_the_host_run_values_and_keeps_the_developers_keys(host, runbook_keys):
    env = sandbox.read_env(PROJECT_DIR / ".env")
    host_run_keys = runbook_keys("localhost")
    assert {key: env.get(key) for key in host_run_keys} == host_run_keys
    assert {key: env.get(key) for key in DEVELOPER_KEYS} == DEVELOPER_KEYS
    assert env["DB_PASS"] and env["SECRET_KEY"]
    assert host.file(str(PROJECT_DIR / ".env")).mode == 0o600


def test_compose_local_file_is_valid_and_holds_the_infrastructure():
    compose("config", "--quiet")
    assert set(compose("config", "--services").split()) == set(SERVICES)
