"""The rollout and rollback job templates launched for real through ansible-runner, the engine AWX uses,
with the extra vars their surveys send, against the sandbox stack (run under the sandbox lock)."""

from __future__ import annotations

import json
from pathlib import Path

import awx_data as d
import pytest
from awx_runner_job import places_showing, run_job

from tests.lib import sandbox

TEMPLATES = {item["name"]: item for item in d.load_data()["controller_templates"]}
SANDBOX_INVENTORY = d.REPO / "inventories" / "sandbox"


def artifact_data(runner) -> dict:
    """What set_stats handed to AWX: the data of the playbook_on_stats event in the runner artifacts."""
    for path in sorted(Path(runner.config.artifact_dir).glob("job_events/*.json")):
        event = json.loads(path.read_text())
        if event["event"] == "playbook_on_stats":
            return event["event_data"].get("artifact_data", {})
    raise AssertionError("no playbook_on_stats event in the artifacts")


@pytest.mark.sandbox
def test_rollout_then_rollback_launched_as_awx_does(tmp_path):
    sandbox.up(fresh=True)
    secrets = sandbox.secret_values()

    rollout = run_job(
        tmp_path / "rollout",
        TEMPLATES["Redis cutover: rollout"],
        inventory=SANDBOX_INVENTORY,
        answers={"redis_cutover_drain_timeout": 120},
        job_type="run",
    )
    assert rollout.status == "successful", rollout.stdout.read()
    artifacts = artifact_data(rollout)
    report = artifacts["redis_cutover_reports"]["sandbox"]
    assert report["outcome"] == "cut over to Redis"
    assert report["smoke"]["django_backend"] == "django_redis.cache.RedisCache"
    # Keyed by host, so AWX's aggregation of several hosts keeps each one's snapshot apart.
    assert artifacts["redis_cutover_hosts"]["sandbox"]["snapshot"] == report["release_id"]
    assert artifacts["redis_cutover_hosts"]["sandbox"]["changed"] is True
    assert "redis_cutover_snapshot" not in artifacts
    assert sandbox.container("bs-redis").health == "healthy"
    assert places_showing(rollout, secrets) == [], "a .env secret is in the rollout's job output"

    # The workflow's failure path: the rollback node gets the rollout's artifacts as extra vars.
    rollback = run_job(
        tmp_path / "rollback",
        TEMPLATES["Redis cutover: rollback"],
        inventory=SANDBOX_INVENTORY,
        extravars=artifacts,
        job_type="run",
    )
    assert rollback.status == "successful", rollback.stdout.read()
    rolled_back = artifact_data(rollback)["redis_cutover_reports"]["sandbox"]
    assert rolled_back["outcome"] == "rolled back to memcached"
    assert rolled_back["snapshot"].endswith(report["release_id"]), "the rollback restored another snapshot"
    assert sandbox.container("memcached").status == "running"
    assert places_showing(rollback, secrets) == [], "a .env secret is in the rollback's job output"
