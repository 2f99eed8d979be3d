"""The compose edits against the app's own files (tests/fixtures/business_suite, see SOURCE.md there):
67e4e985 is the memcached era, 10205e1a the app's own memcached -> Redis change, 154a9356 the Redis
era the runbook describes. Compared on the parsed data, on the text, and on `docker compose config`
when the compose plugin is installed (it needs no Docker engine)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ansible_collections.revisbali.business_suite.plugins.plugin_utils.compose_edit import (
    ComposeEditError,
    to_memcached,
    to_redis,
)

from .compose_text import changed_lines, diff_paths, load, service_blocks

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "business_suite"
MEMCACHED_ERA, REDIS_CHANGE, PGQUEUER_ERA = "67e4e985", "10205e1a", "154a9356"
FILES = ("docker-compose.yml", "docker-compose-local.yml")
TOUCHED = ("memcached", "redis", "bs-core", "bs-worker")

# What the rollout touches in a memcached-era file, and nothing else.
ROLLOUT_PATHS = {
    "services.memcached",
    "services.redis",
    "services.bs-core.depends_on",
    "services.bs-worker.depends_on",
    "volumes.redis_data",
}
# Where the rollout of 67e4e985 differs from the app's own commit 10205e1a, on purpose: that commit
# changed more than the cache service in the same go, and the cutover only moves the cache.
REDIS_SETTINGS = {  # the app's Redis settings: the role writes them to .env (dotenv module), not to compose
    "services.bs-core.environment.REDIS_HOST",
    "services.bs-core.environment.REDIS_PORT",
    "services.bs-core.environment.HUEY_REDIS_DB",  # RedisHuey's db: gone again at 154a9356 (PgQueuer)
    "services.bs-worker.environment.REDIS_HOST",
    "services.bs-worker.environment.REDIS_PORT",
    "services.bs-worker.environment.HUEY_REDIS_DB",
}
OTEL = {
    "OTEL_SERVICE_NAME",
    "OTEL_TRACES_EXPORTER",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_PROPAGATORS",
    "OTEL_RESOURCE_ATTRIBUTES",
}
INTENTIONAL = {
    "docker-compose.yml": REDIS_SETTINGS
    | {"services.bs-core.environment.REDIS_URL"}  # only bs-core got a URL, with a bs-redis default
    # OpenTelemetry tracing, added by the same commit and unrelated to the cache:
    | {
        "services.%s.environment.%s" % (service, key)
        for service in ("bs-core", "bs-worker", "bs-frontend")
        for key in OTEL
    }
    | {"services.bs-alloy.ports"},  # bs-alloy publishes 4318 to receive those traces
    "docker-compose-local.yml": REDIS_SETTINGS
    | {"services.pgadmin"}  # the commit dropped pgadmin from the local stack
    # ... and put the app behind profile "app" (local development runs it on the host):
    | {"services.%s.profiles" % service for service in ("bs-core", "bs-worker", "bs-frontend")},
}
# The role's own Redis (its defaults) against the app's at 10205e1a: its own address, since memcached
# keeps 192.168.2.62 until every client has moved (the app gave Redis memcached's old address), and no
# port published on every interface without a password (the app published 6379:6379).
ROLE_REDIS = {
    "container_name": "bs-redis",
    "image": "redis:7-alpine",
    "restart": "unless-stopped",
    "command": [
        "redis-server",
        "--save",
        "300",
        "10",
        "--appendonly",
        "no",
        "--maxmemory",
        "200mb",
        "--maxmemory-policy",
        "allkeys-lru",
        "--tcp-keepalive",
        "60",
    ],
    "healthcheck": {"test": ["CMD", "redis-cli", "ping"], "interval": "10s", "timeout": "5s", "retries": 5},
    "volumes": ["redis_data:/data"],
    "networks": {"dockernet": {"ipv4_address": "192.168.2.64"}},
    "deploy": {"resources": {"limits": {"memory": "256M", "cpus": "0.5"}}},
}
ROLE_REDIS_DIFFERENCES = {"services.redis.networks.dockernet.ipv4_address", "services.redis.ports"}


def read(commit, name):
    return (FIXTURES / commit / name).read_text()


def app_service(commit, name, service):
    return load(read(commit, name))["services"][service]


def rollout(name, redis_service=None):
    """The memcached-era file rolled out with a Redis service like the app's own at 10205e1a."""
    return to_redis(
        read(MEMCACHED_ERA, name),
        redis_service=redis_service or app_service(REDIS_CHANGE, name, "redis"),
        memcached_service=app_service(MEMCACHED_ERA, name, "memcached"),
    )


def rollback(text, name):
    return to_memcached(text, memcached_service=app_service(MEMCACHED_ERA, name, "memcached"))


@pytest.fixture(scope="session")
def compose_config(tmp_path_factory):
    """`docker compose config` as data; skipped when the compose plugin is missing. DOCKER_HOST points
    nowhere: config needs no engine. Every variable the fixtures use gets a dummy value from .env, the
    same for every file (services with env_file: ./.env read it too)."""
    docker = shutil.which("docker")
    version = None
    if docker:
        version = subprocess.run([docker, "compose", "version"], capture_output=True, text=True, check=False)
    if version is None or version.returncode != 0:
        pytest.skip("the docker compose CLI plugin is not installed: compose config comparisons skipped")
    project = tmp_path_factory.mktemp("compose-project")
    variables = sorted({var for path in FIXTURES.glob("*/*.yml") for var in re.findall(r"\$\{(\w+)", path.read_text())})
    (project / ".env").write_text("".join("%s=dummy-%s\n" % (var, var.lower()) for var in variables))

    def config(text):
        (project / "compose.yml").write_text(text)
        env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_") and k not in variables}
        env["DOCKER_HOST"] = "unix:///nonexistent"
        out = subprocess.run(
            [docker, "compose", "-f", "compose.yml", "--project-directory", ".", "-p", "fixture", "--profile", "*",
             "config", "--format", "json"],
            capture_output=True, text=True, cwd=project, env=env, timeout=60, check=True,
        )  # fmt: skip
        return json.loads(out.stdout)

    return config


# --- (a) the memcached era rolled out ----------------------------------------------------------


@pytest.mark.parametrize("name", FILES)
def test_rollout_matches_the_apps_own_redis_service_and_depends_on(name):
    out, app = load(rollout(name).text), load(read(REDIS_CHANGE, name))
    assert out["services"]["redis"] == app["services"]["redis"]
    assert {s: out["services"][s].get("depends_on") for s in out["services"] if s in app["services"]} == {
        s: app["services"][s].get("depends_on") for s in out["services"] if s in app["services"]
    }
    assert "redis_data" in out["volumes"] and out["volumes"]["redis_data"] is None  # as 10205e1a declares it
    assert diff_paths(out, load(read(MEMCACHED_ERA, name))) == ROLLOUT_PATHS
    assert diff_paths(out, app) == INTENTIONAL[name]


@pytest.mark.parametrize("name", FILES)
def test_rollout_keeps_every_line_of_the_untouched_services(name):
    before, result = read(MEMCACHED_ERA, name), rollout(name)
    old_blocks, new_blocks = service_blocks(before), service_blocks(result.text)
    assert [s for s in new_blocks if s != "redis"] == [s for s in old_blocks if s != "memcached"]
    assert list(new_blocks).index("redis") == list(old_blocks).index("memcached")
    for service in old_blocks:
        if service not in TOUCHED:
            assert new_blocks[service] == old_blocks[service], service
    removed, added = changed_lines(before, result.text)
    assert set(removed) <= {*old_blocks["memcached"], "      - memcached"}
    assert set(added) <= {*new_blocks["redis"], "      - redis", "  redis_data:"}
    assert removed.count("      - memcached") == 1 and added.count("      - redis") == 2
    assert result.changes == [
        "removed service memcached",
        "added service redis (bs-redis)",
        "declared volume redis_data",
        "bs-core: depends_on memcached -> redis",
        "bs-worker: depends_on redis added",
    ]


def test_the_local_files_memcached_publishes_a_port_the_role_must_know():
    # 67e4e985's local memcached publishes 11211 on every interface: only a rollback that can put
    # that back (the role's memcached definition holds it) may remove it.
    text = read(MEMCACHED_ERA, "docker-compose-local.yml")
    with pytest.raises(ComposeEditError, match=r"service 'memcached' has ports, which the role's memcached"):
        to_redis(text, redis_service=app_service(REDIS_CHANGE, "docker-compose-local.yml", "redis"))


def test_the_roles_redis_differs_from_the_apps_in_address_and_published_port_only():
    out = load(rollout("docker-compose.yml", redis_service=ROLE_REDIS).text)
    app = load(read(REDIS_CHANGE, "docker-compose.yml"))
    assert diff_paths(out, app) == INTENTIONAL["docker-compose.yml"] | ROLE_REDIS_DIFFERENCES


@pytest.mark.parametrize("name", FILES)
def test_rollout_and_rollback_give_the_memcached_era_file_back(name):
    back = rollback(rollout(name).text, name)
    assert back.text == read(MEMCACHED_ERA, name)  # byte for byte, even
    assert rollout(name).changes and to_redis(rollout(name).text, redis_service=ROLE_REDIS).changes == []


@pytest.mark.parametrize("name", FILES)
def test_compose_config_of_the_rollout_against_the_apps_redis_change(name, compose_config):
    ours, app = compose_config(rollout(name).text), compose_config(read(REDIS_CHANGE, name))
    assert ours["services"]["redis"] == app["services"]["redis"]
    assert diff_paths(ours, app) == INTENTIONAL[name]
    memcached_era = compose_config(read(MEMCACHED_ERA, name))
    assert compose_config(rollback(rollout(name).text, name).text) == memcached_era


# --- (b) the Redis era ----------------------------------------------------------------------------


REDIS_ERA = [(commit, name) for commit in (REDIS_CHANGE, PGQUEUER_ERA) for name in FILES]


@pytest.mark.parametrize(("commit", "name"), REDIS_ERA)
def test_rollout_of_a_redis_era_file_only_sets_the_always_set_items(commit, name):
    text = read(commit, name)
    # The role's Redis differs from the app's (address, port): the app's redis service is kept as it is.
    assert to_redis(text, redis_service=ROLE_REDIS) == (text, [])
    assert to_redis(text, redis_service=ROLE_REDIS, app_image="bs-app:web").changes == []  # already runs it
    result = to_redis(text, redis_service=ROLE_REDIS, app_image="bs-app:2026.03", worker_stop_grace_period="120s")
    assert result.changes == [
        "bs-core: image bs-app:web -> bs-app:2026.03",
        "bs-worker: image bs-app:web -> bs-app:2026.03",
        "bs-worker: stop_grace_period 120s set (the worker drains in-flight jobs on SIGTERM)",
    ]
    assert changed_lines(text, result.text) == (
        ["    image: bs-app:web"] * 2,
        ["    image: bs-app:2026.03", "    image: bs-app:2026.03", "    stop_grace_period: 120s"],
    )


@pytest.mark.parametrize(("commit", "name"), REDIS_ERA)
def test_rollback_of_a_redis_era_file_gives_the_memcached_services(commit, name):
    text = read(commit, name)
    result = rollback(text, name)
    out, memcached_era = load(result.text), load(read(MEMCACHED_ERA, name))
    assert "redis" not in out["services"]
    assert out["services"]["memcached"] == memcached_era["services"]["memcached"]
    for service in ("bs-core", "bs-worker"):
        assert out["services"][service]["depends_on"] == memcached_era["services"][service]["depends_on"]
    assert out["volumes"] == memcached_era["volumes"]
    assert list(out["services"]).index("memcached") == list(load(text)["services"]).index("redis")
    old_blocks, new_blocks = service_blocks(text), service_blocks(result.text)
    for service in old_blocks:
        if service not in TOUCHED:
            assert new_blocks[service] == old_blocks[service], service


@pytest.mark.parametrize(("commit", "name"), REDIS_ERA)
def test_compose_config_of_the_rollback_in_the_services_the_cutover_touches(commit, name, compose_config):
    ours, memcached_era = (
        compose_config(rollback(read(commit, name), name).text),
        compose_config(read(MEMCACHED_ERA, name)),
    )
    assert ours["services"]["memcached"] == memcached_era["services"]["memcached"]
    assert "redis" not in ours["services"]
    for service in ("bs-core", "bs-worker"):
        assert ours["services"][service]["depends_on"] == memcached_era["services"][service]["depends_on"]
    assert ours["volumes"] == memcached_era["volumes"]
