"""After the rollout and an idempotent second run: the host is on Redis, its .env carries the runbook's keys
and nothing else changed, the worker consumes through Redis, nothing was restarted, the snapshot is private."""

from __future__ import annotations

import json

import pytest

from tests.lib import compose, sandbox

STATE_DIR = sandbox.SANDBOX_DIR / ".cutover"


def env_key(line: str) -> str | None:
    name, sep, _value = line.partition("=")
    return name.strip() if sep and not line.lstrip().startswith("#") else None


def test_bs_redis_is_running_and_healthy():
    state = sandbox.container("bs-redis")
    assert (state.status, state.health) == ("running", "healthy")


def test_no_memcached_container_is_left(host):
    assert host.docker.get_containers(name="^memcached$") == []


@pytest.fixture(scope="module")
def redis_keys(runbook_keys) -> dict[str, str]:
    return runbook_keys("bs-redis")


def test_env_has_the_redis_keys_and_no_memcached_key(redis_keys):
    env = sandbox.read_env()
    assert {key: env.get(key) for key in redis_keys} == redis_keys
    assert "MEMCACHED_HOST" not in env


def test_env_keeps_every_other_line_in_order(before, redis_keys):
    before_lines = before[".env"].decode().splitlines()
    after_lines = (sandbox.SANDBOX_DIR / ".env").read_text().splitlines()
    added = [line for line in after_lines if env_key(line) in redis_keys or line not in before_lines]
    assert [line for line in after_lines if line not in added] == [
        line for line in before_lines if env_key(line) != "MEMCACHED_HOST"
    ]
    # The five keys, and at most the role's one comment line above them.
    assert sorted(filter(None, map(env_key, added))) == sorted(redis_keys)
    assert len(added) <= len(redis_keys) + 1


def test_env_is_private(host):
    assert host.file(str(sandbox.SANDBOX_DIR / ".env")).mode == 0o600


def test_bs_core_caches_in_redis(core_cache_backend):
    assert core_cache_backend == "django_redis.cache.RedisCache"


def test_worker_subscribes_to_the_redis_channel(redis_keys):
    assert sandbox.redis_numsub(redis_keys["PGQUEUE_CHANNEL"]) >= 1


def test_worker_processes_a_new_job(process_new_job):
    assert process_new_job()


def test_idempotent_run_restarted_nothing(state_dir):
    # containers.txt: "/name id started_at" per container, recorded once, right after the first converge.
    recorded = {}
    for line in (state_dir / "containers.txt").read_text().splitlines():
        name, container_id, started_at = line.split()
        recorded[name.lstrip("/")] = (container_id, started_at)
    assert recorded, "the converge recorded no container"
    now = {}
    for name in recorded:
        state = sandbox.container(name)
        now[name] = (state.id, state.started_at)
    assert now == recorded
    label = "label=com.docker.compose.project=business_suite"
    running = sandbox.run(["docker", "ps", "--quiet", "--no-trunc", "--filter", label]).stdout.split()
    assert sorted(running) == sorted(container_id for container_id, _started_at in recorded.values())


def test_snapshot_is_private(host):
    snapshots = host.file(str(STATE_DIR / "snapshots"))
    assert (snapshots.is_directory, snapshots.mode) == (True, 0o700)
    assert snapshots.listdir(), "no snapshot was taken"
    for name in snapshots.listdir():
        snapshot = host.file(f"{snapshots.path}/{name}")
        assert snapshot.mode == 0o700, name
        assert {"env", "docker-compose.yml", "manifest.json"} <= set(snapshot.listdir()), name
        for file in snapshot.listdir():
            assert host.file(f"{snapshot.path}/{file}").mode == 0o600, f"{name}/{file}"


def test_retention_pruned_the_oldest_snapshot_and_its_rollback_tag():
    # prepare left five earlier snapshots (20260101..05, bs-app:rollback-<id>); the default keeps five.
    snapshots = sorted(path.name for path in (STATE_DIR / "snapshots").iterdir())
    assert snapshots[:4] == [f"2026010{day}T000000Z" for day in range(2, 6)]
    assert len(snapshots) == 5 and snapshots[4] > "2026010", snapshots
    tags = sandbox.run(["docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}"]).stdout.split()
    assert "bs-app:rollback-20260101T000000Z" not in tags
    assert {f"bs-app:rollback-2026010{day}T000000Z" for day in range(2, 6)} <= set(tags)
    manifest = json.loads((STATE_DIR / "snapshots" / snapshots[4] / "manifest.json").read_text())
    assert {image["rollback_tag"] for image in manifest["images"].values()} <= set(tags)


@pytest.mark.parametrize("name", ["latest.json", "latest.txt"])
def test_report_exists(host, name):
    assert host.file(str(STATE_DIR / "reports" / name)).exists


def test_report_names_the_rollout():
    report = json.loads((STATE_DIR / "reports/latest.json").read_text())
    assert (report["flow"], report["outcome"]) == ("rollout", "cut over to Redis")
    assert report["db_drift"] == [], "the new file describes the running database differently"


def test_the_next_plain_compose_up_recreates_nothing():
    # The files the rollout left describe what runs, the database included: a later deploy restarts nothing.
    assert sandbox.drift() == []


def test_compose_config_changed_only_what_the_cutover_changes(before, tmp_path):
    before_file = tmp_path / "docker-compose.yml"
    before_file.write_bytes(before["docker-compose.yml"])
    old, new = compose.config(before_file), compose.config(sandbox.SANDBOX_DIR / "docker-compose.yml")
    assert sorted(set(old["services"]) - set(new["services"])) == ["memcached"]
    assert sorted(set(new["services"]) - set(old["services"])) == ["redis"]
    assert compose.changed_keys(old, new) == {"bs-core": ["depends_on", "image"], "bs-worker": ["depends_on", "image"]}
    for name in ("bs-core", "bs-worker"):
        assert "memcached" in old["services"][name]["depends_on"] or name == "bs-worker"
        assert "memcached" not in new["services"][name]["depends_on"]
        assert "redis" in new["services"][name]["depends_on"]
    assert new["services"]["redis"]["container_name"] == "bs-redis"
    assert {key: value for key, value in new.items() if key not in ("services", "volumes")} == {
        key: value for key, value in old.items() if key not in ("services", "volumes")
    }
    assert sorted(set(new.get("volumes", {})) - set(old.get("volumes", {}))) == ["redis_data"]
    assert {key: new["volumes"][key] for key in old.get("volumes", {})} == old.get("volumes", {})


def test_lines_outside_the_cutover_are_unchanged(before):
    # Comments (the commented-out service among them), the proxy, the backup job and the x- anchor: every line
    # of the file before that is not in a service the cutover changed is still there.
    touched = ("memcached:", "bs-core:", "bs-worker:")
    kept, skipping = [], False
    for line in before["docker-compose.yml"].decode().splitlines():
        if line.startswith("  ") and not line.startswith("   ") and line.strip() and not line.lstrip().startswith("#"):
            skipping = line.strip() in touched
        elif not line.startswith(" "):
            skipping = False
        if not skipping:
            kept.append(line)
    after = (sandbox.SANDBOX_DIR / "docker-compose.yml").read_text().splitlines()
    missing = [line for line in kept if line not in after]
    assert missing == []
