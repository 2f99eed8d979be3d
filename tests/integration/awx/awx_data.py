"""The AWX objects of templates/awx/ and the role they launch, loaded the way the configure playbook
and the controller see them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[3]
DATA_DIR = REPO / "templates" / "awx"
ROLE_DIR = REPO / "roles" / "redis_cutover"
ROLE_ARGUMENT_SPECS = ROLE_DIR / "meta" / "argument_specs.yml"

# Which awx.awx module applies each list of objects (the infra.aap_configuration list names).
MODULE_FOR_LIST = {
    "controller_execution_environments": "execution_environment",
    "controller_projects": "project",
    "controller_credentials": "credential",
    "controller_inventories": "inventory",
    "controller_inventory_sources": "inventory_source",
    "controller_templates": "job_template",
    "controller_workflows": "workflow_job_template",
}
NODES_KEY = "simplified_workflow_nodes"
NODE_MODULE = "workflow_job_template_node"


def load_data(data_dir: Path = DATA_DIR) -> dict:
    """All data files merged, as include_vars(dir=...) loads them; a key defined twice is an error."""
    data: dict = {}
    for path in sorted(data_dir.glob("*.yml")):
        content = yaml.safe_load(path.read_text()) or {}
        twice = sorted(set(content) & set(data))
        if twice:
            raise ValueError(f"{path.name} defines {', '.join(twice)} again")
        data.update(content)
    return data


def load_role_options(path: Path = ROLE_ARGUMENT_SPECS) -> dict[str, dict]:
    """Entry point -> its options, from a role's meta/argument_specs.yml."""
    specs = yaml.safe_load(path.read_text())["argument_specs"]
    return {entry: spec.get("options") or {} for entry, spec in specs.items()}


def iter_objects(data: dict) -> Iterator[tuple[str, str, dict]]:
    """(module, label, parameters) for every object, workflow nodes included, as the playbook sends them."""
    for list_name, module_name in MODULE_FOR_LIST.items():
        for item in data.get(list_name) or []:
            label = f"{list_name}[{item.get('name')}]"
            yield module_name, label, {key: value for key, value in item.items() if key != NODES_KEY}
            for node in item.get(NODES_KEY) or []:
                node_label = f"{label}.{NODES_KEY}[{node.get('identifier')}]"
                yield NODE_MODULE, node_label, {**node, "workflow_job_template": item.get("name")}


def surveys(data: dict) -> Iterator[tuple[str, dict]]:
    """(label, survey spec) of every job template and workflow that has a survey."""
    for list_name in ("controller_templates", "controller_workflows"):
        for item in data.get(list_name) or []:
            if item.get("survey_spec"):
                yield f"{list_name}[{item.get('name')}]", item["survey_spec"]


def names_of(data: dict, list_name: str, key: str = "name") -> set:
    return {item.get(key) for item in data.get(list_name) or []}
