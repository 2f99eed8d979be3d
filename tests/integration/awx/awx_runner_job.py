"""Launch a job template the way AWX does, with ansible-runner and no controller.

AWX's task system writes a private data directory and hands it to ansible-runner: project/ (the
synced project), inventory/, env/extravars (survey answers), env/cmdline (job type, diff mode,
verbosity, limit) and env/envvars. prepare_job() writes the same directory from a job template of
templates/awx/, with this repository as the project.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import ansible_runner
from awx_data import REPO


def survey_extravars(survey: dict | None, answers: dict) -> dict:
    """The extra vars a survey sends: each answer, else the question's default; required questions need one."""
    questions = (survey or {}).get("spec") or []
    unknown = set(answers) - {question["variable"] for question in questions}
    if unknown:
        raise ValueError(f"the survey does not ask for {', '.join(sorted(unknown))}")
    extravars = {}
    for question in questions:
        variable = question["variable"]
        if variable in answers:
            extravars[variable] = answers[variable]
        elif question.get("default") not in (None, ""):
            extravars[variable] = question["default"]
        elif question.get("required"):
            raise ValueError(f"the survey requires an answer for {variable}")
        elif "default" in question:
            # AWX sends an empty default as it is; the role reads "" as "derive it" / "the latest".
            extravars[variable] = question["default"]
    return extravars


def workflow_node_extravars(
    data: dict, workflow_name: str, identifier: str, artifacts: dict | None = None, answers: dict | None = None
) -> dict:
    """The extra vars AWX gives the job a workflow node launches, lowest precedence first: the job template's
    extra_vars, its survey defaults (a workflow never asks a node's survey), the node's extra_data, the
    set_stats artifacts of the jobs before it, then the workflow's own extra_vars and survey answers, which
    win over everything (WorkflowJobNode.get_job_kwargs, then the template's _update_unified_job_kwargs)."""
    (workflow,) = [item for item in data.get("controller_workflows") or [] if item["name"] == workflow_name]
    (node,) = [node for node in workflow.get("simplified_workflow_nodes") or [] if node["identifier"] == identifier]
    (template,) = [item for item in data["controller_templates"] if item["name"] == node["unified_job_template"]]
    template_survey = template.get("survey_spec") if template.get("survey_enabled") else None
    workflow_survey = workflow.get("survey_spec") if workflow.get("survey_enabled") else None
    return {
        **(template.get("extra_vars") or {}),
        **survey_extravars(template_survey, {}),
        **(node.get("extra_data") or {}),
        **(artifacts or {}),
        **(workflow.get("extra_vars") or {}),
        **survey_extravars(workflow_survey, answers or {}),
    }


def launch_cmdline(template: dict, job_type: str | None = None, limit: str | None = None) -> list[str]:
    """ansible-playbook options for a launch; prompts the template does not ask for are refused, as AWX does."""
    if job_type and job_type != template.get("job_type", "run") and not template.get("ask_job_type_on_launch"):
        raise ValueError(f"{template['name']} does not prompt for the job type")
    if limit and not template.get("ask_limit_on_launch"):
        raise ValueError(f"{template['name']} does not prompt for a limit")
    args = []
    if (job_type or template.get("job_type", "run")) == "check":
        args.append("--check")
    if template.get("diff_mode"):
        args.append("--diff")
    if limit:
        args += ["--limit", limit]
    if template.get("verbosity"):
        args.append("-" + "v" * template["verbosity"])
    return args


def prepare_job(
    private_data_dir: Path,
    template: dict,
    *,
    inventory: Path,
    answers: dict | None = None,
    job_type: str | None = None,
    limit: str | None = None,
    envvars: dict | None = None,
    extravars: dict | None = None,
) -> dict:
    """Write the private data directory for one launch; returns the keyword arguments of ansible_runner.run.
    `extravars` are sent beside the survey's answers and over them, as a workflow sends its artifacts."""
    env = private_data_dir / "env"
    env.mkdir(parents=True, exist_ok=True)
    (private_data_dir / "project").symlink_to(REPO, target_is_directory=True)
    (private_data_dir / "inventory").symlink_to(inventory.resolve())
    survey = template.get("survey_spec") if template.get("survey_enabled") else None
    (env / "extravars").write_text(json.dumps({**survey_extravars(survey, answers or {}), **(extravars or {})}))
    (env / "cmdline").write_text(shlex.join(launch_cmdline(template, job_type, limit)))
    (env / "envvars").write_text(json.dumps(envvars or {}))
    return {"private_data_dir": str(private_data_dir), "playbook": template["playbook"], "quiet": True}


def run_job(private_data_dir: Path, template: dict, **launch) -> ansible_runner.Runner:
    """prepare_job() then run it; the Runner carries status, rc, stats and the job events."""
    return ansible_runner.run(**prepare_job(private_data_dir, template, **launch))


def places_showing(runner: ansible_runner.Runner, values: list[str]) -> list[str]:
    """Where a finished job shows any of `values`: its stdout, or the task of each job event AWX would
    store and show in its UI. Names the places, never the values."""
    values = [value for value in values if value]
    artifacts = Path(runner.config.artifact_dir)
    places = ["stdout"] if any(value in (artifacts / "stdout").read_text() for value in values) else []
    for path in sorted(artifacts.glob("job_events/*.json")):
        text = path.read_text()
        if any(value in text for value in values):
            event = json.loads(text)
            places.append(f"{event['event']}: {event.get('event_data', {}).get('task', '')}")
    return places
