"""Offline validation of the AWX objects in templates/awx/.

No controller is needed: every object is checked against the argument spec of the awx.awx module
that applies it (taken from the module itself), every survey against the rules the AWX API enforces
when a survey is saved, every job template against the playbooks in this repository, and every
survey variable against the role's meta/argument_specs.yml. Each check returns a list of readable
problems; an empty list means the data is valid.
"""

from __future__ import annotations

import copy
import importlib
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import jinja2
import jinja2.meta
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

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

# AWX API rules for survey questions (JobTemplateSurveySpec): question type -> type of its default.
SURVEY_DEFAULT_TYPES = {
    "text": str,
    "textarea": str,
    "password": str,
    "multiplechoice": str,
    "multiselect": str,
    "integer": int,
    "float": (float, int),
}
# Role option types a survey answer of each question type can feed.
SURVEY_TYPE_FITS = {
    "text": {"str", "path", "raw"},
    "textarea": {"str", "raw"},
    "password": {"str", "raw"},
    "integer": {"int", "float", "raw"},
    "float": {"float", "raw"},
    "multiplechoice": {"str", "bool", "int", "path", "raw"},
    "multiselect": {"list"},
}
# Task keywords whose value is a bare conditional expression.
CONDITIONAL_KEYS = ("when", "that", "failed_when", "changed_when", "until")
# Names the configure playbook's templating provides beyond the data itself.
TEMPLATE_GLOBALS = {"lookup", "query", "q", "omit"}


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


def iter_objects(data: dict) -> Iterator[tuple[str, str, dict]]:
    """(module, label, parameters) for every object, workflow nodes included, as the playbook sends them."""
    for list_name, module_name in MODULE_FOR_LIST.items():
        for item in data.get(list_name) or []:
            label = f"{list_name}[{item.get('name')}]"
            yield module_name, label, {key: value for key, value in item.items() if key != NODES_KEY}
            for node in item.get(NODES_KEY) or []:
                node_label = f"{label}.{NODES_KEY}[{node.get('identifier')}]"
                yield NODE_MODULE, node_label, {**node, "workflow_job_template": item.get("name")}


def data_spec_problems(data: dict) -> list[str]:
    unknown = [key for key in data if key.startswith("controller_") and key not in MODULE_FOR_LIST]
    problems = [f"{key}: no awx.awx module applies this list" for key in unknown]
    for module_name, label, params in iter_objects(data):
        problems += spec_problems(module_name, params, label)
    return problems


def _names(data: dict, list_name: str, key: str = "name") -> set:
    return {item.get(key) for item in data.get(list_name) or []}


def reference_problems(data: dict) -> list[str]:
    """Every name an object refers to is defined in the data, so the controller can resolve it."""
    refs = {
        ("controller_projects", "default_environment"): _names(data, "controller_execution_environments"),
        ("controller_inventory_sources", "inventory"): _names(data, "controller_inventories"),
        ("controller_inventory_sources", "source_project"): _names(data, "controller_projects"),
        ("controller_templates", "project"): _names(data, "controller_projects"),
        ("controller_templates", "inventory"): _names(data, "controller_inventories"),
        ("controller_templates", "credentials"): _names(data, "controller_credentials"),
    }
    problems = []
    for (list_name, key), known in refs.items():
        for item in data.get(list_name) or []:
            value = item.get(key)
            for name in value if isinstance(value, list) else [value] if value is not None else []:
                if name not in known:
                    problems.append(f"{list_name}[{item.get('name')}]: {key} '{name}' is not defined in the data")
    job_templates = {item.get("name"): item for item in data.get("controller_templates") or []}
    templates = set(job_templates) | _names(data, "controller_workflows")
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


def survey_problems(survey: dict, label: str) -> list[str]:
    """The checks the AWX API makes when a survey spec is saved, plus sane defaults and limits."""
    problems = []
    for field, kind in (("name", str), ("description", str), ("spec", list)):
        if not isinstance(survey.get(field), kind):
            problems.append(f"{label}: survey '{field}' must be a {kind.__name__}")
    questions = survey.get("spec") if isinstance(survey.get("spec"), list) else []
    if not questions:
        problems.append(f"{label}: survey has no questions")
    seen = set()
    for index, question in enumerate(questions):
        where = f"{label}: survey question {index} ({question.get('variable')})"
        problems += [
            f"{where}: '{field}' must be a {kind.__name__}"
            for field, kind in (("type", str), ("question_name", str), ("variable", str), ("required", bool))
            if not isinstance(question.get(field), kind)
        ]
        if question.get("variable") in seen:
            problems.append(f"{where}: variable asked twice")
        seen.add(question.get("variable"))
        problems += _question_value_problems(question, where)
    return problems


def _question_value_problems(question: dict, where: str) -> list[str]:
    qtype = question.get("type")
    if qtype not in SURVEY_DEFAULT_TYPES:
        return [f"{where}: type {qtype} is not one of {', '.join(SURVEY_DEFAULT_TYPES)}"]
    problems = []
    default = question.get("default", "")
    has_default = default not in ("", None)
    if has_default and not isinstance(default, SURVEY_DEFAULT_TYPES[qtype]):
        problems.append(f"{where}: default {default!r} does not fit type {qtype}")
    low, high = question.get("min"), question.get("max")
    for key, limit in (("min", low), ("max", high)):
        if limit is not None and not isinstance(limit, int):
            problems.append(f"{where}: {key} must be an integer")
    if isinstance(low, int) and isinstance(high, int) and low > high:
        problems.append(f"{where}: min {low} is above max {high}")
    if qtype in ("multiplechoice", "multiselect"):
        choices = question.get("choices")
        choices = choices.splitlines() if isinstance(choices, str) else choices or []
        if not choices:
            problems.append(f"{where}: {qtype} needs choices")
        defaults = default.splitlines() if isinstance(default, str) else default or []
        if qtype == "multiplechoice" and len(defaults) > 1:
            problems.append(f"{where}: a multiplechoice question takes one default")
        problems += [f"{where}: default {item!r} is not a choice" for item in defaults if item not in choices]
    elif has_default and isinstance(low, int) and isinstance(high, int):
        measured = len(default) if isinstance(default, str) else default
        if not low <= measured <= high:
            problems.append(f"{where}: default {default!r} is outside min {low} / max {high}")
    return problems


def survey_answers(question: dict) -> list:
    """Every kind of value a question can send: its default, its choices, its limits."""
    qtype = question.get("type")
    if qtype in ("multiplechoice", "multiselect"):
        choices = question.get("choices") or []
        return [[choice] for choice in choices] if qtype == "multiselect" else list(choices)
    values = [question.get("default", "")]
    if qtype in ("integer", "float"):
        values = [value for value in (*values, question.get("min"), question.get("max")) if value not in ("", None)]
    return values


def role_entry_point(playbook: Path) -> str:
    """The redis_cutover entry point a playbook runs: the tasks_from of its role call, else the playbook's name."""
    if playbook.is_file():
        found = set(_values_of(yaml.safe_load(playbook.read_text()), "tasks_from"))
        if len(found) == 1:
            return found.pop()
    return playbook.stem


def _values_of(node, key: str) -> Iterator:
    if isinstance(node, dict):
        for name, value in node.items():
            if name == key:
                yield value
            yield from _values_of(value, key)
    elif isinstance(node, list):
        for value in node:
            yield from _values_of(value, key)


def survey_role_problems(label: str, survey: dict, options: dict, entry: str) -> list[str]:
    """Each survey variable is an option of the role entry point, and every answer it can send is valid there."""
    problems = []
    for question in survey.get("spec") or []:
        variable, qtype = question.get("variable"), question.get("type")
        option = options.get(variable)
        if option is None:
            problems.append(f"{label}: survey variable {variable} is not an option of the role's {entry} entry point")
            continue
        option_type = option.get("type", "str")
        if option_type not in SURVEY_TYPE_FITS.get(qtype, set()):
            problems.append(f"{label}: {variable} is a {qtype} question but the role expects {option_type}")
        if option.get("no_log") and qtype != "password":
            problems.append(f"{label}: {variable} is a secret for the role; ask it with a password question")
        validator = ArgumentSpecValidator({variable: option})
        for answer in survey_answers(question):
            errors = validator.validate({variable: answer}).error_messages
            problems += [f"{label}: answer {answer!r} to {variable}: {error}" for error in errors]
    return problems


def role_option_problems(data: dict, role_options: dict[str, dict], repo: Path = REPO) -> list[str]:
    """Job template surveys against their playbook's entry point; workflow surveys against every node's."""
    problems = []
    entry_of_template = {}
    for template in data.get("controller_templates") or []:
        label = f"controller_templates[{template.get('name')}]"
        entry = role_entry_point(repo / str(template.get("playbook")))
        entry_of_template[template.get("name")] = entry
        if entry not in role_options:
            problems.append(f"{label}: the role has no entry point {entry} for {template.get('playbook')}")
        elif template.get("survey_spec"):
            problems += survey_role_problems(label, template["survey_spec"], role_options[entry], entry)
    for workflow in data.get("controller_workflows") or []:
        label = f"controller_workflows[{workflow.get('name')}]"
        # A workflow's survey answers reach every job the workflow launches.
        for node in workflow.get(NODES_KEY) or []:
            entry = entry_of_template.get(node.get("unified_job_template"))
            if entry in role_options and workflow.get("survey_spec"):
                problems += survey_role_problems(label, workflow["survey_spec"], role_options[entry], entry)
    return problems


def surveys(data: dict) -> Iterator[tuple[str, dict]]:
    """(label, survey spec) of every job template and workflow that has a survey."""
    for list_name in ("controller_templates", "controller_workflows"):
        for item in data.get(list_name) or []:
            if item.get("survey_spec"):
                yield f"{list_name}[{item.get('name')}]", item["survey_spec"]


def _conditionals(node) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in CONDITIONAL_KEYS:
                yield from [value] if isinstance(value, str) else value if isinstance(value, list) else []
            else:
                yield from _conditionals(value)
    elif isinstance(node, list):
        for value in node:
            yield from _conditionals(value)


def survey_bool_problems(data: dict, role_options: dict[str, dict], role_dir: Path = ROLE_DIR) -> list[str]:
    """AWX has no boolean question: a yes/no answer arrives as a string, and ansible-core refuses a string
    as a conditional. Every role conditional that tests such a variable must pass it through | bool."""
    bool_options = {
        name for options in role_options.values() for name, spec in options.items() if spec.get("type") == "bool"
    }
    asked = {question.get("variable") for label, survey in surveys(data) for question in survey.get("spec") or []}
    problems = []
    for path in sorted([*role_dir.glob("tasks/*.yml"), *role_dir.glob("handlers/*.yml")]):
        for expression in _conditionals(yaml.safe_load(path.read_text())):
            for variable in sorted(bool_options & asked):
                used = re.search(rf"\b{variable}\b", str(expression))
                as_bool = re.search(rf"\b{variable}\b(\s*\|\s*default\([^)]*\))?\s*\|\s*bool\b", str(expression))
                if used and not as_bool:
                    problems.append(
                        f"{role_dir.name}/{path.relative_to(role_dir)}: conditional '{expression}' tests {variable}"
                        " without | bool, but a survey sends it as a string"
                    )
    return problems


def all_survey_problems(data: dict) -> list[str]:
    problems = [
        f"{list_name}[{item.get('name')}]: survey_enabled and survey_spec disagree"
        for list_name in ("controller_templates", "controller_workflows")
        for item in data.get(list_name) or []
        if bool(item.get("survey_enabled")) != bool(item.get("survey_spec"))
    ]
    for label, survey in surveys(data):
        problems += survey_problems(survey, label)
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
    )
