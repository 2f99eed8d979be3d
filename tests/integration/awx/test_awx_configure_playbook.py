"""playbooks/awx_configure.yml: it parses, lints clean, sends every field of the data, and a real run
(ansible-runner, real templating and loops) hands the awx.awx modules valid arguments in dependency
order without printing a secret. No controller exists here, so the run uses a stand-in awx.awx
collection whose modules record their arguments instead of calling an API, and whose controller_api
lookup answers from a JSON file of the objects the controller is said to hold; the recorded
arguments are then checked against the real modules' argument specs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import awx_data as d
import awx_validate as v
import pytest
import yaml
from awx_runner_job import places_showing, run_job

BIN = Path(sys.executable).parent
PLAYBOOK = d.REPO / "playbooks" / "awx_configure.yml"
LINTED = ["playbooks/awx_configure.yml", "templates/awx", "execution-environment.yml", "meta/execution-environment.yml"]
# The order objects must be created in: each one refers only to objects created before it.
CREATION_ORDER = [
    "execution_environment",
    "project",
    "credential",
    "inventory",
    "inventory_source",
    "inventory_source_update",
    "job_template",
    "workflow_job_template",
    "workflow_job_template_node",
]
RECORDER = '''#!/usr/bin/python
"""Stand-in for awx.awx.{name}: records its arguments instead of calling a controller."""
import json
import os

from ansible.module_utils.basic import AnsibleModule, _load_params


def main():
    names = [key for key in _load_params() if not key.startswith("_ansible_")]
    module = AnsibleModule(argument_spec=dict((key, dict(type="raw")) for key in names))
    params = dict((key, module.params[key]) for key in names)
    with open(os.environ["AWX_RECORD_FILE"], "a") as record:
        record.write(json.dumps({{"module": "{name}", "params": params}}) + "\\n")
    module.exit_json(changed=False)


if __name__ == "__main__":
    main()
'''

LOOKUP = '''"""Stand-in for the awx.awx.controller_api lookup: answers from the objects in $AWX_FAKE_CONTROLLER."""
import json
import os

from ansible.plugins.lookup import LookupBase


def value_at(item, key):
    for part in key.split("__"):
        item = item.get(part) if isinstance(item, dict) else None
    return item


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        with open(os.environ["AWX_FAKE_CONTROLLER"]) as held:
            objects = json.load(held).get(terms[0].strip("/"), [])
        params = kwargs.get("query_params") or {}
        return [item for item in objects if all(value_at(item, key) == want for key, want in params.items())]
'''

SSH_KEY_SENTINEL = "-----BEGIN OPENSSH PRIVATE KEY-----\nsentinel-7f3a9c\n-----END OPENSSH PRIVATE KEY-----"
VAULT_SENTINEL = "vault-sentinel-51c0de"
MACHINE = "RevisBaliCRM hosts (SSH)"
VAULT = "RevisBaliCRM inventory vault"


class RecordedRun(NamedTuple):
    calls: list[dict]  # {"module": ..., "params": ...} per module call, in order
    key_shown_in: list[str]  # where the job output shows the private key or the vault password
    stdout: str
    held: dict  # what the stand-in controller held before the run: endpoint -> objects


def object_key(params: dict) -> str:
    """What the controller looks an object up by: its name, or a workflow node's identifier."""
    return params.get("name") or params["identifier"]


def playbook_module_args() -> dict[str, set[str]]:
    """awx.awx module -> every argument some task of the playbook passes to it."""
    (play,) = yaml.safe_load(PLAYBOOK.read_text())
    passed: dict[str, set[str]] = {}
    for task in play["tasks"]:
        for key, args in task.items():
            if key.startswith("awx.awx."):
                passed.setdefault(key.removeprefix("awx.awx."), set()).update(args)
    return passed


def test_syntax_check():
    subprocess.run(
        [BIN / "ansible-playbook", "--syntax-check", PLAYBOOK], cwd=d.REPO, check=True, capture_output=True, timeout=120
    )


def test_ansible_lint_production_profile_is_clean():
    lint = subprocess.run(
        [BIN / "ansible-lint", "--offline", *LINTED],
        cwd=d.REPO,
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_every_field_of_the_data_reaches_its_module():
    passed = playbook_module_args()
    for module, label, params in d.iter_objects(d.load_data()):
        assert set(params) <= passed.get(module, set()), f"{label}: the playbook drops {set(params) - passed[module]}"


def configure_run(
    root: Path, env: dict | None = None, extravars: dict | None = None, held: dict | None = None
) -> RecordedRun:
    """One real run of the configure playbook against the stand-in collection and a controller holding `held`."""
    plugins = root / "collections" / "ansible_collections" / "awx" / "awx" / "plugins"
    (plugins / "modules").mkdir(parents=True)
    for name in CREATION_ORDER:
        (plugins / "modules" / f"{name}.py").write_text(RECORDER.format(name=name))
    (plugins / "lookup").mkdir()
    (plugins / "lookup" / "controller_api.py").write_text(LOOKUP)
    controller = root / "controller.json"
    controller.write_text(json.dumps(held or {}))
    inventory = root / "inventory"
    inventory.write_text("localhost ansible_connection=local\n")
    record = root / "record.jsonl"
    runner = run_job(
        root / "job",
        {"name": "AWX configuration", "playbook": "playbooks/awx_configure.yml"},
        inventory=inventory,
        envvars={
            "ANSIBLE_COLLECTIONS_PATH": f"{root / 'collections'}:{d.REPO / 'collections'}",
            "AWX_RECORD_FILE": str(record),
            "AWX_FAKE_CONTROLLER": str(controller),
            "BS_AWX_SSH_USER": "",
            "BS_AWX_SSH_PRIVATE_KEY": SSH_KEY_SENTINEL,
            "BS_AWX_VAULT_PASSWORD": VAULT_SENTINEL,
            **(env or {}),
        },
        extravars=extravars,
    )
    # Without colour codes, which ansible-runner keeps in stdout.
    stdout = re.sub(r"\x1b\[[0-9;]*m", "", (Path(runner.config.artifact_dir) / "stdout").read_text())
    assert runner.status == "successful", stdout
    calls = [json.loads(line) for line in record.read_text().splitlines()]
    shown = places_showing(runner, [SSH_KEY_SENTINEL.splitlines()[1], VAULT_SENTINEL])
    return RecordedRun(calls, shown, stdout, held or {})


@pytest.fixture(scope="module")
def recorded_run(tmp_path_factory) -> RecordedRun:
    """A first run on an empty controller with every secret given."""
    return configure_run(tmp_path_factory.mktemp("awx-configure"))


def words(text: str) -> str:
    """The job output as one line: YAML output folds a long message over several lines."""
    return " ".join(text.split())


def attached(run: RecordedRun) -> dict[str, list[str]]:
    """Job template -> the credentials the run attaches to it."""
    return {
        call["params"]["name"]: call["params"]["credentials"] for call in run.calls if call["module"] == "job_template"
    }


def launch_prompts(run: RecordedRun) -> list[str]:
    """Attached credentials a launch would have to prompt for: one sent with an ASK input, or one neither
    sent by the run nor held by the controller (AWX refuses to attach what does not exist)."""
    sent = {call["params"]["name"]: call["params"]["inputs"] for call in run.calls if call["module"] == "credential"}
    held = {item["name"]: item.get("inputs", {}) for item in run.held.get("credentials", [])}
    prompts = []
    for template, credentials in attached(run).items():
        for name in credentials:
            inputs = sent.get(name, held.get(name))
            if inputs is None:
                prompts.append(f"{template}: {name} is attached but neither created nor on the controller")
            elif "ASK" in inputs.values():
                prompts.append(f"{template}: {name} asks for {[k for k, v in inputs.items() if v == 'ASK']} at launch")
    return prompts


def sync_calls(data: dict) -> set[tuple[str, str]]:
    """The syncs a configure run starts beside creating the objects: one import per inventory source."""
    return {("inventory_source_update", source["name"]) for source in data["controller_inventory_sources"]}


def test_the_run_sends_valid_arguments_for_every_object(recorded_run):
    calls = recorded_run.calls
    problems = []
    for index, call in enumerate(calls):
        problems += v.spec_problems(call["module"], call["params"], f"call {index} ({call['module']})")
    assert problems == []
    data = d.load_data()
    expected = {(module, object_key(params)) for module, label, params in d.iter_objects(data)} | sync_calls(data)
    assert {(call["module"], object_key(call["params"])) for call in calls} == expected


def test_objects_are_created_before_anything_refers_to_them(recorded_run):
    calls = recorded_run.calls
    modules = [call["module"] for call in calls]
    assert modules == sorted(modules, key=CREATION_ORDER.index)


def test_workflow_nodes_exist_before_they_are_linked(recorded_run):
    calls = recorded_run.calls
    nodes = [call["params"] for call in calls if call["module"] == "workflow_job_template_node"]
    created, linked = nodes[: len(nodes) // 2], nodes[len(nodes) // 2 :]
    assert all("unified_job_template" in node and "failure_nodes" not in node for node in created)
    links = {node["identifier"]: node["failure_nodes"] for node in linked}
    assert links == {"rollout": ["rollback"], "rollback": []}


def test_credentials_take_secrets_from_the_environment_and_never_print_them(recorded_run):
    calls = recorded_run.calls
    inputs = {call["params"]["name"]: call["params"]["inputs"] for call in calls if call["module"] == "credential"}
    assert inputs[MACHINE] == {"ssh_key_data": SSH_KEY_SENTINEL}
    assert inputs[VAULT] == {"vault_password": VAULT_SENTINEL}
    assert all(call["params"]["update_secrets"] is False for call in calls if call["module"] == "credential")
    assert recorded_run.key_shown_in == []


def test_with_the_vault_password_both_templates_attach_both_credentials(recorded_run):
    assert attached(recorded_run) == {
        "Redis cutover: rollout": [MACHINE, VAULT],
        "Redis cutover: rollback": [MACHINE, VAULT],
    }
    assert launch_prompts(recorded_run) == []
    assert "BS_AWX_VAULT_PASSWORD is empty" not in recorded_run.stdout


def test_without_the_vault_password_the_vault_credential_is_neither_created_nor_attached(tmp_path):
    run = configure_run(tmp_path, env={"BS_AWX_VAULT_PASSWORD": ""})
    assert [call["params"]["name"] for call in run.calls if call["module"] == "credential"] == [MACHINE]
    assert attached(run) == {"Redis cutover: rollout": [MACHINE], "Redis cutover: rollback": [MACHINE]}
    assert launch_prompts(run) == [], "a launch (the workflow's rollback node) would stop to ask for a password"
    problems = [p for i, c in enumerate(run.calls) for p in v.spec_problems(c["module"], c["params"], f"call {i}")]
    assert problems == []
    note = words(run.stdout)
    assert f"BS_AWX_VAULT_PASSWORD is empty, so {VAULT} was not created and is not attached" in note
    assert "will not decrypt" in note
    assert "until BS_AWX_VAULT_PASSWORD is set and this playbook is run again" in note


def held_vault(password: str) -> dict:
    """A controller that holds the vault credential as the API shows it: a stored secret as $encrypted$."""
    return {
        "credentials": [{"name": VAULT, "organization": {"name": "Default"}, "inputs": {"vault_password": password}}]
    }


def test_a_vault_credential_the_controller_holds_with_a_password_stays_attached_untouched(tmp_path):
    """A later run without the variable must not take the vault away from the rollback."""
    run = configure_run(tmp_path, env={"BS_AWX_VAULT_PASSWORD": ""}, held=held_vault("$encrypted$"))
    assert VAULT not in [call["params"]["name"] for call in run.calls if call["module"] == "credential"]
    assert attached(run) == {"Redis cutover: rollout": [MACHINE, VAULT], "Redis cutover: rollback": [MACHINE, VAULT]}
    assert launch_prompts(run) == []
    note = words(run.stdout)
    assert f"{VAULT} already holds a password on the controller, so it stays attached" in note
    assert "was not created" not in note


def test_an_ask_vault_credential_on_the_controller_is_not_attached(tmp_path):
    """What an earlier version created without the password: attaching it would make every launch prompt."""
    run = configure_run(tmp_path, env={"BS_AWX_VAULT_PASSWORD": ""}, held=held_vault("ASK"))
    assert attached(run) == {"Redis cutover: rollout": [MACHINE], "Redis cutover: rollback": [MACHINE]}
    assert launch_prompts(run) == []
    assert f"{VAULT} was not created" in words(run.stdout)


def test_the_prompt_check_sees_an_ask_password(recorded_run):
    """launch_prompts must catch the old behaviour, or the tests above prove nothing."""
    calls = [
        {**call, "params": {**call["params"], "inputs": {"vault_password": "ASK"}}}
        if call["module"] == "credential" and call["params"]["name"] == VAULT
        else call
        for call in recorded_run.calls
    ]
    prompts = launch_prompts(recorded_run._replace(calls=calls))
    assert f"Redis cutover: rollback: {VAULT} asks for ['vault_password'] at launch" in prompts


def test_the_run_syncs_the_project_then_imports_the_inventory_launches_never_do(recorded_run):
    """update_on_launch is off everywhere, so the configure run is what refreshes the project and the inventory."""
    calls = recorded_run.calls
    (project,) = [call["params"] for call in calls if call["module"] == "project"]
    assert project["update_project"] is True
    assert project["wait"] is True
    modules = [call["module"] for call in calls]
    updates = [call["params"] for call in calls if call["module"] == "inventory_source_update"]
    assert {update["name"] for update in updates} == {s["name"] for s in d.load_data()["controller_inventory_sources"]}
    assert all(update["wait"] is True for update in updates)
    # The import reads the project's files: after the project sync and the source, before any template.
    first_update = modules.index("inventory_source_update")
    assert modules.index("project") < modules.index("inventory_source") < first_update < modules.index("job_template")


def test_the_syncs_can_be_left_out(tmp_path):
    run = configure_run(tmp_path, extravars={"awx_sync_sources": False})
    (project,) = [call["params"] for call in run.calls if call["module"] == "project"]
    assert project["update_project"] is False
    assert "inventory_source_update" not in {call["module"] for call in run.calls}


def test_the_templates_are_sent_as_one_job_each(recorded_run):
    templates = [call["params"] for call in recorded_run.calls if call["module"] == "job_template"]
    assert len(templates) == 2
    assert all(t["job_slice_count"] == 1 and t["ask_job_slice_count_on_launch"] is False for t in templates)
