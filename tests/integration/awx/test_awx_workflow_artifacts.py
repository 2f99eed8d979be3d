"""The workflow hands the rollout's set_stats artifacts to the rollback node unchanged: per host, keyed by
inventory hostname, and nothing in the data (a survey answer, a default, extra vars) sends a value of its own
for the variables the rollback reads from them."""

from __future__ import annotations

import copy

import awx_data as d
import pytest
from awx_runner_job import workflow_node_extravars

DATA = d.load_data()
(WORKFLOW,) = DATA["controller_workflows"]
NODES = {node["identifier"]: node for node in WORKFLOW["simplified_workflow_nodes"]}
(ROLLBACK_NODE,) = [node for node in NODES.values() if node["unified_job_template"] == "Redis cutover: rollback"]
# What the rollout publishes for a fleet of two (set_stats, aggregate: dicts merge across hosts and batches).
ARTIFACTS = {
    "redis_cutover_hosts": {
        "crm-1": {"snapshot": "20261203T062619Z", "changed": True, "outcome": "rolled back", "release": "memcached"},
        "crm-2": {"snapshot": "20261203T062620Z", "changed": True, "outcome": "failed", "release": "redis"},
    },
    "redis_cutover_reports": {"crm-1": {"outcome": "rolled back"}, "crm-2": {"outcome": "failed"}},
}
# Only the rollout's results decide what the rollback touches; a value from anywhere else would override them
# (redis_cutover_snapshot wins over each host's own snapshot in the role).
ARTIFACT_VARIABLES = ("redis_cutover_hosts", "redis_cutover_snapshot")
ALL_ANSWERS = {"redis_cutover_previous_app_image": "registry.example/bs-app:1.41", "redis_cutover_drain_timeout": 600}


def rollback_vars(data: dict, artifacts: dict | None, answers: dict | None = None) -> dict:
    return workflow_node_extravars(data, WORKFLOW["name"], ROLLBACK_NODE["identifier"], artifacts, answers)


def artifact_override_problems(data: dict) -> list[str]:
    """Variables the rollback reads from the artifacts that reach it from anywhere but the artifacts."""
    problems = []
    for answers in ({}, ALL_ANSWERS):
        for artifacts in ({}, ARTIFACTS):
            got = rollback_vars(data, artifacts, answers)
            for name in ARTIFACT_VARIABLES:
                if got.get(name, "<absent>") != artifacts.get(name, "<absent>"):
                    problems.append(
                        f"with artifacts {sorted(artifacts)} the rollback node gets {name}={got.get(name)!r}"
                    )
    return sorted(set(problems))


@pytest.fixture
def data() -> dict:
    return copy.deepcopy(DATA)


def test_the_rollback_node_is_reached_from_the_rollout_so_it_inherits_its_artifacts():
    parents = [
        node["identifier"] for node in NODES.values() if ROLLBACK_NODE["identifier"] in node.get("failure_nodes", [])
    ]
    assert [NODES[parent]["unified_job_template"] for parent in parents] == ["Redis cutover: rollout"]


@pytest.mark.parametrize("answers", [{}, ALL_ANSWERS], ids=["unanswered", "answered"])
def test_the_rollback_node_gets_every_hosts_results_intact(answers):
    extravars = rollback_vars(DATA, ARTIFACTS, answers)
    assert extravars["redis_cutover_hosts"] == ARTIFACTS["redis_cutover_hosts"]
    assert "redis_cutover_snapshot" not in extravars
    # The workflow's answers reach the rollback too; the volume question of its own survey keeps its default.
    assert {key: extravars[key] for key in answers} == answers
    assert extravars["redis_cutover_remove_redis_volume"] == "no"


def test_without_artifacts_the_rollback_node_gets_no_host_list_and_no_snapshot():
    """A rollout that died before its stats (cancelled, its container lost) hands over nothing."""
    extravars = rollback_vars(DATA, {})
    assert not set(ARTIFACT_VARIABLES) & set(extravars)


def test_nothing_in_the_data_overrides_the_artifacts():
    assert artifact_override_problems(DATA) == []


# The check must catch each way a value could get in, or the test above proves nothing.


def test_a_workflow_survey_question_for_an_artifact_variable_is_reported(data):
    data["controller_workflows"][0]["survey_spec"] = copy.deepcopy(WORKFLOW["survey_spec"])
    data["controller_workflows"][0]["survey_spec"]["spec"].append(
        {
            "question_name": "Snapshot",
            "variable": "redis_cutover_snapshot",
            "type": "text",
            "required": False,
            "default": "",
        }
    )
    problems = artifact_override_problems(data)
    assert "with artifacts [] the rollback node gets redis_cutover_snapshot=''" in problems
    assert any(
        p.endswith("the rollback node gets redis_cutover_snapshot=''") and "redis_cutover_hosts" in p for p in problems
    )


def test_workflow_extra_vars_over_the_artifacts_are_reported(data):
    data["controller_workflows"][0]["extra_vars"] = {"redis_cutover_hosts": {}}
    problems = artifact_override_problems(data)
    assert any("gets redis_cutover_hosts={}" in problem for problem in problems)


def test_a_node_or_template_value_the_rollback_would_prefer_is_reported(data):
    nodes = data["controller_workflows"][0]["simplified_workflow_nodes"]
    next(node for node in nodes if node["identifier"] == ROLLBACK_NODE["identifier"])["extra_data"] = {
        "redis_cutover_snapshot": "20261126T020000Z"
    }
    assert any("redis_cutover_snapshot='20261126T020000Z'" in problem for problem in artifact_override_problems(data))


def test_a_survey_default_of_the_rollback_template_is_reported(data):
    rollback = next(item for item in data["controller_templates"] if item["name"] == "Redis cutover: rollback")
    next(q for q in rollback["survey_spec"]["spec"] if q["variable"] == "redis_cutover_snapshot")["default"] = ""
    assert any("gets redis_cutover_snapshot=''" in problem for problem in artifact_override_problems(data))
