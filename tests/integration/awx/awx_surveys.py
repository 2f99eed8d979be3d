"""Survey checks: the rules the AWX API enforces when a survey is saved, and the contract with the role:
every survey variable is an option of the entry point the template's playbook runs, every answer the
survey can send is valid there, and yes/no answers (strings) are read through | bool."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from awx_data import NODES_KEY, REPO, ROLE_DIR, surveys

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
