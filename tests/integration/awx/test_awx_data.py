"""The AWX objects in templates/awx/ against the awx.awx modules, the AWX survey rules, the repo and the role."""

from __future__ import annotations

import copy

import awx_data as d
import awx_surveys as s
import awx_validate as v
import pytest
import yaml

DATA = d.load_data()
ROLE_OPTIONS = d.load_role_options()
OBJECTS = list(d.iter_objects(DATA))


def template(data: dict, name: str) -> dict:
    return next(item for item in data["controller_templates"] if item["name"] == name)


@pytest.fixture
def data() -> dict:
    """A private copy of the data for a test to break."""
    return copy.deepcopy(DATA)


@pytest.mark.parametrize(("module", "label", "params"), OBJECTS, ids=[label for module, label, params in OBJECTS])
def test_object_matches_the_awx_module_argument_spec(module, label, params):
    assert v.spec_problems(module, params, label) == []


def test_every_object_list_has_a_module_and_every_name_resolves():
    assert v.data_spec_problems(DATA) + v.reference_problems(DATA) == []


def test_job_templates_and_inventory_sources_name_paths_in_the_project():
    assert v.repo_path_problems(DATA) == []


def test_surveys_follow_the_awx_api_rules():
    assert s.all_survey_problems(DATA) == []


def test_survey_variables_are_options_of_the_role_entry_points():
    assert s.role_option_problems(DATA, ROLE_OPTIONS) == []


def test_role_conditionals_read_yes_no_answers_through_bool():
    assert s.survey_bool_problems(DATA, ROLE_OPTIONS) == []


def test_every_template_variable_is_defined_in_the_data():
    assert v.template_variable_problems(DATA) == []


def test_the_whole_data_set_validates():
    assert v.validate(DATA, ROLE_OPTIONS) == []


def test_templates_prompt_for_limit_and_job_type_and_never_run_twice_at_once():
    for item in DATA["controller_templates"]:
        assert item["ask_limit_on_launch"] is True
        assert item["ask_job_type_on_launch"] is True
        assert item["allow_simultaneous"] is False
        assert item["diff_mode"] is True
        assert item["verbosity"] in (0, 1)
    assert all(item["allow_simultaneous"] is False for item in DATA["controller_workflows"])


def test_the_workflow_runs_the_rollback_when_the_rollout_fails():
    (workflow,) = DATA["controller_workflows"]
    nodes = {node["identifier"]: node for node in workflow["simplified_workflow_nodes"]}
    by_template = {node["unified_job_template"]: node for node in nodes.values()}
    rollout = by_template["Redis cutover: rollout"]
    rollback = by_template["Redis cutover: rollback"]
    assert rollout["failure_nodes"] == [rollback["identifier"]]
    assert not rollout.get("success_nodes") and not rollout.get("always_nodes")
    # Inside the workflow both jobs change the host, whatever the templates default to.
    assert rollout["job_type"] == rollback["job_type"] == "run"


def test_the_rollback_launches_when_the_git_server_is_down():
    assert v.launch_scm_problems(DATA, "Redis cutover: rollback") == []


def test_the_workflow_launches_when_the_git_server_is_down():
    (workflow,) = DATA["controller_workflows"]
    assert v.launch_scm_problems(DATA, workflow["name"]) == []
    assert v.launch_scm_problems(DATA, "Redis cutover: rollout") == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda data: data["controller_inventory_sources"][0].update(update_on_launch=True),
            "inventory source inventories/production of RevisBaliCRM production is not update_on_launch: false",
        ),
        (
            lambda data: data["controller_inventory_sources"][0].pop("update_on_launch"),
            "is not update_on_launch: false",
        ),
        (
            lambda data: data["controller_projects"][0].update(scm_update_on_launch=True),
            "project revisbali.business_suite is not scm_update_on_launch: false",
        ),
        (
            lambda data: template(data, "Redis cutover: rollback").update(ask_scm_branch_on_launch=True),
            "a branch chosen for the job is checked out from Git at launch",
        ),
        (
            lambda data: data["controller_workflows"][0]["simplified_workflow_nodes"].append(
                {"identifier": "sync", "unified_job_template": "revisbali.business_suite"}
            ),
            "node sync syncs revisbali.business_suite from Git",
        ),
    ],
    ids=["inventory-on-launch", "inventory-unset", "project-on-launch", "branch-prompt", "sync-node"],
)
def test_a_launch_time_git_dependency_is_reported(data, change, message):
    change(data)
    problems = v.launch_scm_problems(data, data["controller_workflows"][0]["name"])
    assert any(message in problem for problem in problems), problems


def test_every_template_runs_as_one_job_never_sliced():
    assert v.slicing_problems(DATA) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda data: template(data, "Redis cutover: rollout").pop("job_slice_count"), "job_slice_count is None"),
        (lambda data: template(data, "Redis cutover: rollback").update(job_slice_count=3), "job_slice_count is 3"),
        (
            lambda data: template(data, "Redis cutover: rollout").update(ask_job_slice_count_on_launch=True),
            "a launch may choose a job slice count",
        ),
        (
            lambda data: data["controller_workflows"][0]["simplified_workflow_nodes"][0].update(job_slice_count=2),
            "node rollout sets job_slice_count",
        ),
    ],
    ids=["unset", "three", "asked", "node"],
)
def test_slicing_is_reported(data, change, message):
    change(data)
    assert any(message in problem for problem in v.slicing_problems(data))


def test_optional_questions_have_no_default_so_the_inventory_value_stands():
    for label, survey in d.surveys(DATA):
        for question in survey["spec"]:
            assert question["required"] or "default" not in question, f"{label}: {question['variable']}"


def test_the_rollout_template_predicts_unless_told_to_run():
    assert template(DATA, "Redis cutover: rollout")["job_type"] == "check"


def test_credentials_carry_placeholders_only():
    for credential in DATA["controller_credentials"]:
        for key, value in credential.get("inputs", {}).items():
            assert value.startswith("{{") and value.endswith("}}"), f"{credential['name']}: {key} holds a literal"


def test_the_project_points_at_this_collections_repository():
    galaxy = yaml.safe_load((d.REPO / "galaxy.yml").read_text())
    (project,) = DATA["controller_projects"]
    assert project["scm_url"] == "{{ awx_project_scm_url }}"
    assert DATA["awx_project_scm_url"].removesuffix(".git") == galaxy["repository"]


# The validator must catch each kind of mistake, or the checks above prove nothing.


def test_a_missing_playbook_is_reported(data):
    template(data, "Redis cutover: rollout")["playbook"] = "playbooks/no_such_playbook.yml"
    assert any("playbooks/no_such_playbook.yml does not exist" in problem for problem in v.validate(data, ROLE_OPTIONS))


def test_a_survey_variable_the_role_does_not_accept_is_reported(data):
    question = template(data, "Redis cutover: rollback")["survey_spec"]["spec"][0]
    question["variable"] = "redis_cutover_no_such_option"
    problems = s.role_option_problems(data, ROLE_OPTIONS)
    assert "redis_cutover_no_such_option is not an option of the role's rollback entry point" in " ".join(problems)


def test_a_rollback_only_variable_in_the_rollout_survey_is_reported(data):
    rollout = template(data, "Redis cutover: rollout")
    rollout["survey_spec"] = copy.deepcopy(rollout["survey_spec"])
    snapshot = next(
        question
        for question in template(data, "Redis cutover: rollback")["survey_spec"]["spec"]
        if question["variable"] == "redis_cutover_snapshot"
    )
    rollout["survey_spec"]["spec"].append(snapshot)
    problems = s.role_option_problems(data, ROLE_OPTIONS)
    assert any("redis_cutover_snapshot is not an option of the role's rollout entry point" in p for p in problems)


def test_a_survey_answer_of_the_wrong_type_for_the_role_is_reported(data):
    question = template(data, "Redis cutover: rollout")["survey_spec"]["spec"][1]
    question.update(type="text", default="five minutes", min=0, max=20)
    problems = s.role_option_problems(data, ROLE_OPTIONS)
    assert any("redis_cutover_drain_timeout is a text question but the role expects int" in p for p in problems)
    assert any("answer 'five minutes' to redis_cutover_drain_timeout" in p for p in problems)


def test_a_field_outside_the_module_argument_spec_is_reported(data):
    template(data, "Redis cutover: rollout")["ask_everything_on_launch"] = True
    problems = v.data_spec_problems(data)
    assert any("'ask_everything_on_launch' is not an option of awx.awx.job_template" in p for p in problems)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("job_type", "dry-run", "value of job_type must be one of: run, check"),
        ("verbosity", 9, "value of verbosity must be one of: 0, 1, 2, 3, 4, 5"),
        ("allow_simultaneous", "{{ maybe }}", "unable to convert to bool"),
        ("playbook", 42, "'playbook' must be a string"),
    ],
)
def test_a_wrong_type_or_choice_is_reported(data, field, value, message):
    template(data, "Redis cutover: rollout")[field] = value
    assert any(message in problem for problem in v.data_spec_problems(data))


def test_a_node_field_outside_the_node_module_spec_is_reported(data):
    data["controller_workflows"][0]["simplified_workflow_nodes"][0]["on_failure"] = ["rollback"]
    problems = v.data_spec_problems(data)
    assert any("'on_failure' is not an option of awx.awx.workflow_job_template_node" in p for p in problems)


def test_a_survey_the_awx_api_would_refuse_is_reported(data):
    question = template(data, "Redis cutover: rollback")["survey_spec"]["spec"][3]
    question["default"] = "maybe"
    del template(data, "Redis cutover: rollout")["survey_spec"]["spec"][0]["required"]
    problems = " ".join(s.all_survey_problems(data))
    assert "default 'maybe' is not a choice" in problems
    assert "'required' must be a bool" in problems


def test_a_link_to_an_unknown_node_or_template_is_reported(data):
    nodes = data["controller_workflows"][0]["simplified_workflow_nodes"]
    nodes[0]["failure_nodes"] = ["restore"]
    nodes[1]["unified_job_template"] = "Redis cutover: undo"
    problems = " ".join(v.reference_problems(data))
    assert "failure_nodes -> unknown node 'restore'" in problems
    assert "runs unknown 'Redis cutover: undo'" in problems


def test_an_undefined_template_variable_is_reported(data):
    data["controller_projects"][0]["scm_branch"] = "{{ awx_release_branch }}"
    assert v.template_variable_problems(data) == ["the data refers to awx_release_branch, which no data file defines"]


def test_a_yes_no_answer_tested_without_bool_is_reported(tmp_path):
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    (tasks / "rollback.yml").write_text(
        "- name: Remove the volume\n"
        "  ansible.builtin.debug:\n"
        "  when: redis_cutover_remove_redis_volume\n"
        "- name: Keep the volume\n"
        "  ansible.builtin.debug:\n"
        "  when: [not (redis_cutover_remove_redis_volume | default(false) | bool)]\n"
    )
    problems = s.survey_bool_problems(DATA, ROLE_OPTIONS, role_dir=tmp_path)
    assert len(problems) == 1
    assert (
        "conditional 'redis_cutover_remove_redis_volume' tests redis_cutover_remove_redis_volume without | bool"
        in problems[0]
    )


def test_a_node_prompt_its_template_does_not_ask_for_is_reported(data):
    template(data, "Redis cutover: rollback")["ask_job_type_on_launch"] = False
    (problem,) = v.reference_problems(data)
    assert problem.endswith("node rollback sets job_type; its template needs ask_job_type_on_launch: true")
