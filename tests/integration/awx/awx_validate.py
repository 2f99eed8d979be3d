"""Offline validation of the AWX objects in templates/awx/.

No controller is needed: every object is checked against the argument spec of the awx.awx module
that applies it (taken from the module itself), every name it refers to against the data, every
playbook and inventory path against this repository, every survey with awx_surveys, and the launch
rules the cutover needs (no launch waits on Git, no job is sliced). Each check returns a list of
readable problems; an empty list means the data is valid.
"""

from __future__ import annotations

import copy
import importlib
from functools import cache
from pathlib import Path

import jinja2
import jinja2.meta
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from awx_data import MODULE_FOR_LIST, NODES_KEY, REPO, iter_objects, names_of
from awx_surveys import all_survey_problems, role_option_problems, survey_bool_problems

# A workflow node may set a launch field only when its job template prompts for it.
NODE_PROMPTS = {
    "job_type": "ask_job_type_on_launch",
    "limit": "ask_limit_on_launch",
    "inventory": "ask_inventory_on_launch",
    "credentials": "ask_credential_on_launch",
    "diff_mode": "ask_diff_mode_on_launch",
    "verbosity": "ask_verbosity_on_launch",
    "scm_branch": "ask_scm_branch_on_launch",
    "job_tags": "ask_tags_on_launch",
    "skip_tags": "ask_skip_tags_on_launch",
    "execution_environment": "ask_execution_environment_on_launch",
    "forks": "ask_forks_on_launch",
    "labels": "ask_labels_on_launch",
    "timeout": "ask_timeout_on_launch",
    "instance_groups": "ask_instance_groups_on_launch",
    "job_slice_count": "ask_job_slice_count_on_launch",
}

# Names the configure playbook's templating provides beyond the data itself.
TEMPLATE_GLOBALS = {"lookup", "query", "q", "omit"}


class _SpecCaptured(Exception):
    pass


class _CaptureSpec:
    """Stands in for ControllerAPIModule: stops main() at the point it hands over its spec."""

    def __init__(self, argument_spec, **_kwargs):
        raise _SpecCaptured(argument_spec)


@cache
def module_argument_spec(module_name: str) -> dict:
    """The full argument spec of awx.awx.<module_name>, as its main() builds it, plus the auth options."""
    module = importlib.import_module(f"ansible_collections.awx.awx.plugins.modules.{module_name}")
    api = importlib.import_module("ansible_collections.awx.awx.plugins.module_utils.controller_api")
    original = module.ControllerAPIModule
    module.ControllerAPIModule = _CaptureSpec
    try:
        module.main()
    except _SpecCaptured as captured:
        return {**api.ControllerModule.AUTH_ARGSPEC, **captured.args[0]}
    finally:
        module.ControllerAPIModule = original
    raise RuntimeError(f"awx.awx.{module_name} did not build a ControllerAPIModule")


def _option(spec: dict, key: str) -> dict | None:
    if key in spec:
        return spec[key]
    return next((option for option in spec.values() if key in option.get("aliases", ())), None)


def spec_problems(module_name: str, params: dict, label: str) -> list[str]:
    """Every key, type and choice of params against awx.awx.<module_name>'s argument spec."""
    spec = module_argument_spec(module_name)
    result = ArgumentSpecValidator(spec).validate(copy.deepcopy(params))
    problems = [f"{label}: {error}" for error in result.errors if type(error).__name__ != "UnsupportedError"]
    problems += [
        f"{label}: '{key}' is not an option of awx.awx.{module_name}" for key in sorted(result.unsupported_parameters)
    ]
    # The module would quietly turn a number or a YAML boolean into a string; the data must not rely on it.
    for key, value in params.items():
        option = _option(spec, key)
        if option is not None and option.get("type", "str") == "str" and not isinstance(value, str):
            problems.append(f"{label}: '{key}' must be a string, not {type(value).__name__}")
    return problems


def data_spec_problems(data: dict) -> list[str]:
    unknown = [key for key in data if key.startswith("controller_") and key not in MODULE_FOR_LIST]
    problems = [f"{key}: no awx.awx module applies this list" for key in unknown]
    for module_name, label, params in iter_objects(data):
        problems += spec_problems(module_name, params, label)
    return problems


def reference_problems(data: dict) -> list[str]:
    """Every name an object refers to is defined in the data, so the controller can resolve it."""
    refs = {
        ("controller_projects", "default_environment"): names_of(data, "controller_execution_environments"),
        ("controller_inventory_sources", "inventory"): names_of(data, "controller_inventories"),
        ("controller_inventory_sources", "source_project"): names_of(data, "controller_projects"),
        ("controller_templates", "project"): names_of(data, "controller_projects"),
        ("controller_templates", "inventory"): names_of(data, "controller_inventories"),
        ("controller_templates", "credentials"): names_of(data, "controller_credentials"),
    }
    problems = []
    for (list_name, key), known in refs.items():
        for item in data.get(list_name) or []:
            value = item.get(key)
            for name in value if isinstance(value, list) else [value] if value is not None else []:
                if name not in known:
                    problems.append(f"{list_name}[{item.get('name')}]: {key} '{name}' is not defined in the data")
    job_templates = {item.get("name"): item for item in data.get("controller_templates") or []}
    templates = set(job_templates) | names_of(data, "controller_workflows")
    for workflow in data.get("controller_workflows") or []:
        nodes = workflow.get(NODES_KEY) or []
        identifiers = [node.get("identifier") for node in nodes]
        label = f"controller_workflows[{workflow.get('name')}]"
        if len(set(identifiers)) != len(identifiers):
            problems.append(f"{label}: node identifiers are not unique: {identifiers}")
        for node in nodes:
            if node.get("unified_job_template") not in templates:
                problems.append(
                    f"{label}: node {node.get('identifier')} runs unknown '{node.get('unified_job_template')}'"
                )
            runs = job_templates.get(node.get("unified_job_template"), {})
            problems += [
                f"{label}: node {node.get('identifier')} sets {field}; its template needs {ask}: true"
                for field, ask in NODE_PROMPTS.items()
                if field in node and runs and not runs.get(ask)
            ]
            for link in ("success_nodes", "failure_nodes", "always_nodes"):
                problems += [
                    f"{label}: node {node.get('identifier')} {link} -> unknown node '{target}'"
                    for target in node.get(link) or []
                    if target not in identifiers
                ]
    return problems


def repo_path_problems(data: dict, repo: Path = REPO) -> list[str]:
    """Playbooks and inventory sources name paths that exist in the project (this repository)."""
    problems = [
        f"controller_templates[{item.get('name')}]: playbook {item.get('playbook')} does not exist in the project"
        for item in data.get("controller_templates") or []
        if not (repo / str(item.get("playbook"))).is_file()
    ]
    problems += [
        f"controller_inventory_sources[{item.get('name')}]: {item.get('source_path')} does not exist in the project"
        for item in data.get("controller_inventory_sources") or []
        if item.get("source") == "scm" and not (repo / str(item.get("source_path"))).exists()
    ]
    return problems


def launch_scm_problems(data: dict, name: str) -> list[str]:
    """What would make a launch of the job template or workflow `name` reach the Git server: a project or
    inventory source that syncs on launch, a branch chosen at launch, or a workflow node that is itself a sync.
    Empty means the launch runs from what the controller already holds, Git up or down."""
    by_name = {
        list_name: {item.get("name"): item for item in data.get(list_name) or []}
        for list_name in ("controller_templates", "controller_workflows", "controller_projects")
    }
    sources = data.get("controller_inventory_sources") or []

    def inventory_problems(label: str, inventory: str) -> list[str]:
        return [
            f"{label}: inventory source {source.get('name')} of {inventory} is not update_on_launch: false,"
            " so a launch would import it from the project's Git repository first"
            for source in sources
            if source.get("inventory") == inventory and source.get("update_on_launch") is not False
        ]

    def problems_of(name: str, label: str, seen: frozenset) -> list[str]:
        if name in by_name["controller_templates"]:
            template = by_name["controller_templates"][name]
            label = f"{label}controller_templates[{name}]"
            problems = []
            project = by_name["controller_projects"].get(template.get("project"))
            if project is not None and project.get("scm_update_on_launch") is not False:
                problems.append(
                    f"{label}: project {project.get('name')} is not scm_update_on_launch: false,"
                    " so a launch would sync it from Git first"
                )
            if template.get("scm_branch") or template.get("ask_scm_branch_on_launch"):
                problems.append(f"{label}: a branch chosen for the job is checked out from Git at launch")
            return problems + inventory_problems(label, template.get("inventory"))
        if name in by_name["controller_workflows"] and name not in seen:
            workflow = by_name["controller_workflows"][name]
            label = f"{label}controller_workflows[{name}]"
            problems = inventory_problems(label, workflow["inventory"]) if workflow.get("inventory") else []
            for node in workflow.get(NODES_KEY) or []:
                runs = node.get("unified_job_template")
                if runs in by_name["controller_projects"] or runs in {source.get("name") for source in sources}:
                    problems.append(f"{label}: node {node.get('identifier')} syncs {runs} from Git")
                else:
                    problems += problems_of(runs, f"{label} node {node.get('identifier')} -> ", seen | {name})
            return problems
        return []

    return problems_of(name, "", frozenset())


def slicing_problems(data: dict) -> list[str]:
    """Every job template runs as one job (job_slice_count: 1, set explicitly so a value typed into the UI is
    reset) and no launch or workflow node can slice it: slices run in parallel, each with its own serial
    batches, and their set_stats artifacts are merged key by key, so one slice's redis_cutover_hosts wins."""
    problems = []
    for template in data.get("controller_templates") or []:
        label = f"controller_templates[{template.get('name')}]"
        if template.get("job_slice_count") != 1:
            problems.append(f"{label}: job_slice_count is {template.get('job_slice_count')!r}, not 1")
        if template.get("ask_job_slice_count_on_launch"):
            problems.append(f"{label}: a launch may choose a job slice count")
    for workflow in data.get("controller_workflows") or []:
        problems += [
            f"controller_workflows[{workflow.get('name')}]: node {node.get('identifier')} sets job_slice_count"
            for node in workflow.get(NODES_KEY) or []
            if "job_slice_count" in node
        ]
    return problems


def template_variables(data) -> set[str]:
    """Every variable the Jinja expressions in the data refer to."""
    if isinstance(data, dict):
        return set().union(*(template_variables(value) for value in data.values()))
    if isinstance(data, list):
        return set().union(*(template_variables(value) for value in data))
    if isinstance(data, str) and "{{" in data:
        return jinja2.meta.find_undeclared_variables(jinja2.Environment(autoescape=True).parse(data))
    return set()


def template_variable_problems(data: dict) -> list[str]:
    undefined = template_variables(data) - set(data) - TEMPLATE_GLOBALS
    return [f"the data refers to {name}, which no data file defines" for name in sorted(undefined)]


def validate(data: dict, role_options: dict[str, dict], repo: Path = REPO) -> list[str]:
    """Every check above; an empty list means the data can be applied as it is."""
    return (
        data_spec_problems(data)
        + reference_problems(data)
        + repo_path_problems(data, repo)
        + all_survey_problems(data)
        + role_option_problems(data, role_options, repo)
        + survey_bool_problems(data, role_options)
        + template_variable_problems(data)
        + slicing_problems(data)
        + [
            problem
            for list_name in ("controller_templates", "controller_workflows")
            for item in data.get(list_name) or []
            for problem in launch_scm_problems(data, item.get("name"))
        ]
    )
