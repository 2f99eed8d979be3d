"""Job template launches as AWX performs them, through ansible-runner: what a survey sends, which
ansible-playbook options a launch turns into, and a check-mode rollout against the sandbox stack
(run it under the sandbox lock: `flock /tmp/bs-sandbox.lock .venv/bin/pytest tests/integration`)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import awx_data as d
import pytest
from awx_runner_job import launch_cmdline, places_showing, prepare_job, run_job, survey_extravars

from tests.lib import sandbox

DATA = d.load_data()
TEMPLATES = {item["name"]: item for item in DATA["controller_templates"]}
ROLLOUT = TEMPLATES["Redis cutover: rollout"]
ROLLBACK = TEMPLATES["Redis cutover: rollback"]
SANDBOX_INVENTORY = d.REPO / "inventories" / "sandbox"
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
    assert (job / "project").resolve() == d.REPO
    assert (job / "inventory").resolve() == inventory
    assert json.loads((job / "env" / "extravars").read_text())["redis_cutover_drain_timeout"] == 60
    assert (job / "env" / "cmdline").read_text() == "--check --diff"


def sandbox_files() -> dict[str, str]:
    """Checksums of the files a cutover rewrites."""
    return {
        name: hashlib.sha256((sandbox.SANDBOX_DIR / name).read_bytes()).hexdigest()
        for name in (".env", "docker-compose.yml")
    }


@pytest.mark.sandbox
@pytest.mark.skipif(
    not all((d.REPO / path).exists() for path in SANDBOX_NEEDS), reason=f"needs {', '.join(SANDBOX_NEEDS)}"
)
def test_a_check_launch_of_the_rollout_predicts_and_changes_nothing(tmp_path):
    sandbox.up()
    before, image_before = sandbox_files(), sandbox.container("bs-core").image
    runner = run_job(tmp_path / "job", ROLLOUT, inventory=SANDBOX_INVENTORY, job_type="check")
    assert runner.status == "successful", runner.stdout.read()
    assert sum(runner.stats["changed"].values()) > 0, "check mode should predict the cutover's changes"
    assert sandbox_files() == before
    assert sandbox.container("bs-core").image == image_before
    assert sandbox.container("memcached").status == "running"
    assert places_showing(runner, sandbox.secret_values()) == [], "a .env secret is in the job output"
