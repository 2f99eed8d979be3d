"""Job template launches as AWX performs them, through ansible-runner: what a survey sends, which
ansible-playbook options a launch turns into, and a check-mode rollout against the sandbox stack."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import subprocess
from pathlib import Path

import awx_validate as v
import pytest
from awx_runner_job import job_output, launch_cmdline, prepare_job, run_job, survey_extravars

DATA = v.load_data()
TEMPLATES = {item["name"]: item for item in DATA["controller_templates"]}
ROLLOUT = TEMPLATES["Redis cutover: rollout"]
ROLLBACK = TEMPLATES["Redis cutover: rollback"]
SANDBOX_INVENTORY = v.REPO / "inventories" / "sandbox"
SANDBOX_DIR = Path(os.environ.get("SANDBOX_DIR", "/srv/business_suite"))
SANDBOX_LOCK = "/tmp/bs-sandbox.lock"
SECRET_MARKERS = ("PASS", "SECRET", "TOKEN", "KEY")
# The sandbox launch waits for the role's rollout and the sandbox tooling to exist.
SANDBOX_NEEDS = ("roles/redis_cutover/tasks/rollout.yml", ROLLOUT["playbook"], "inventories/sandbox", "sandbox/up.sh")


def test_an_unanswered_survey_leaves_the_inventory_values_alone():
    assert survey_extravars(ROLLOUT["survey_spec"], {}) == {}
    assert survey_extravars(ROLLBACK["survey_spec"], {}) == {"redis_cutover_remove_redis_volume": "no"}


def test_answers_are_sent_as_given():
    answers = {"redis_cutover_snapshot": "20261126T020000Z", "redis_cutover_drain_timeout": 600}
    assert survey_extravars(ROLLBACK["survey_spec"], answers) == {**answers, "redis_cutover_remove_redis_volume": "no"}


def test_a_survey_refuses_variables_it_does_not_ask_for():
    with pytest.raises(ValueError, match="does not ask for redis_cutover_snapshot"):
        survey_extravars(ROLLOUT["survey_spec"], {"redis_cutover_snapshot": "x"})


def test_launch_options_follow_the_template_and_its_prompts():
    assert launch_cmdline(ROLLOUT) == ["--check", "--diff"]
    assert launch_cmdline(ROLLOUT, job_type="run", limit="crm-prod-1") == ["--diff", "--limit", "crm-prod-1"]
    assert launch_cmdline(ROLLBACK) == ["--diff"]
    with pytest.raises(ValueError, match="does not prompt for a limit"):
        launch_cmdline({**ROLLOUT, "ask_limit_on_launch": False}, limit="crm-prod-1")


def test_the_private_data_dir_has_the_layout_awx_writes(tmp_path):
    inventory = tmp_path / "hosts"
    inventory.write_text("localhost\n")
    launch = prepare_job(
        tmp_path / "job", ROLLOUT, inventory=inventory, answers={"redis_cutover_drain_timeout": 60}, job_type="check"
    )
    job = Path(launch["private_data_dir"])
    assert launch["playbook"] == "playbooks/rollout.yml"
    assert (job / "project").resolve() == v.REPO
    assert (job / "inventory").resolve() == inventory
    assert json.loads((job / "env" / "extravars").read_text())["redis_cutover_drain_timeout"] == 60
    assert (job / "env" / "cmdline").read_text() == "--check --diff"


def sandbox_files() -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in (SANDBOX_DIR / ".env", SANDBOX_DIR / "docker-compose.yml")
    }


def sandbox_secrets() -> list[str]:
    secrets = []
    for line in (SANDBOX_DIR / ".env").read_text().splitlines():
        key, value = line.split("=", 1) if "=" in line else (line, "")
        if any(marker in key for marker in SECRET_MARKERS) and key != "CACHE_KEY_PREFIX" and len(value) > 3:
            secrets.append(value)
    return secrets


def container_image(name: str) -> str:
    inspect = ["docker", "inspect", "--format", "{{.Config.Image}}", name]
    return subprocess.run(inspect, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def sandbox_stack():
    """The pre-cutover sandbox stack, held under the shared lock. up.sh starts afresh unless the stack is
    exactly as it wrote it; a check launch leaves it that way, so the next user finds it ready."""
    with open(SANDBOX_LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run([v.REPO / "sandbox" / "up.sh"], check=True, timeout=900)
        yield


@pytest.mark.sandbox
@pytest.mark.skipif(
    not all((v.REPO / path).exists() for path in SANDBOX_NEEDS), reason=f"needs {', '.join(SANDBOX_NEEDS)}"
)
def test_a_check_launch_of_the_rollout_predicts_and_changes_nothing(sandbox_stack, tmp_path):
    before, image_before = sandbox_files(), container_image("bs-core")
    runner = run_job(tmp_path / "job", ROLLOUT, inventory=SANDBOX_INVENTORY, job_type="check")
    stdout, events = job_output(runner)
    assert runner.status == "successful", stdout
    assert sum(runner.stats["changed"].values()) > 0, "check mode should predict the cutover's changes"
    assert sandbox_files() == before
    assert container_image("bs-core") == image_before
    assert container_image("memcached")
    assert not [secret for secret in sandbox_secrets() if secret in stdout + events]
