"""The flows read in one pass: each is a list of phases included one level deep, and no include chain from a
flow is more than two deep (a flow's phase may include one more, as the restore's converge does). A phase with
hook points is included through the phase_steps filter, which names the phase in the include's loop."""

import re
from pathlib import Path

import pytest
import yaml

from ansible_collections.revisbali.business_suite.plugins.filter.phase_steps import PHASES

TASKS = Path(__file__).resolve().parents[3] / "roles" / "redis_cutover" / "tasks"
FLOWS = ["rollout.yml", "rollback.yml", "local_dev.yml"]
INCLUDE = "ansible.builtin.include_tasks"
# The phase, its hooks and, for a phase that may have nothing to do, whether it is needed (its second argument).
HOOKED = re.compile(
    r"^\{\{ '(?P<phase>\w+)' \| revisbali\.business_suite\.phase_steps\(redis_cutover_hooks(, [^()]+)?\) \}\}$"
)
STEP_FILE = "{{ __redis_cutover_step.file }}"


def hooked(task):
    """The phase_steps match of a task's loop (a folded loop ends in a space or newline), or None."""
    return HOOKED.match(str(task.get("loop", "")).strip())


def tasks_of(items):
    for task in items or []:
        yield task
        for section in ("block", "rescue", "always"):
            yield from tasks_of(task.get(section))


def includes(name):
    """The task files a task file includes, in order."""
    found = []
    for task in tasks_of(yaml.safe_load((TASKS / name).read_text())):
        target = task.get(INCLUDE)
        if target is not None:
            target = target["file"] if isinstance(target, dict) else target
            phase = hooked(task)
            if target == STEP_FILE and phase:  # the phase with its hooks around it: the phase's own file
                target = PHASES[phase["phase"]]
            found.append(target)
    return found


def depth(name, seen=()):
    chain = (*seen, name)
    assert name not in seen, f"include cycle: {' -> '.join(chain)}"
    assert "{{" not in name, f"{seen[-1]} picks the file to include at run time ({name}): list the phase instead"
    children = includes(name)
    return 1 + max(depth(child, chain) for child in children) if children else 0


@pytest.mark.parametrize("flow", FLOWS)
def test_no_include_chain_is_more_than_two_deep(flow):
    assert depth(flow) <= 2


def test_the_rollout_shows_every_phase_in_order():
    assert includes("rollout.yml") == [
        "preflight.yml",
        "lock.yml",
        "module_deps.yml",
        "render.yml",
        "images.yml",
        "queue_depth.yml",
        "rollout_plan.yml",
        "snapshot.yml",
        "snapshot_pick.yml",
        "converge.yml",
        "restore.yml",
        "converge.yml",
        "report.yml",
        "snapshot_prune.yml",
        "verify_only.yml",
        "report.yml",
        "finish.yml",
    ]


def test_the_rollout_names_the_worker_swap_and_the_restore():
    text = (TASKS / "rollout.yml").read_text()
    assert "worker swapped through a handoff worker" in text
    assert "Put the snapshot's files and images back" in text


def test_every_task_file_is_used():
    used = {child for name in TASKS.glob("*.yml") for child in includes(name.name)}
    unused = {path.name for path in TASKS.glob("*.yml")} - used - set(FLOWS) - {"main.yml"}
    assert not unused, f"task files no flow includes: {sorted(unused)}"


def hooked_phases(name):
    return [hooked(task)["phase"] for task in tasks_of(yaml.safe_load((TASKS / name).read_text())) if hooked(task)]


def test_every_hook_point_is_reached_by_a_flow():
    reached = {phase for flow in FLOWS for phase in hooked_phases(flow)}
    assert reached == set(PHASES), f"hook points no flow reaches: {sorted(set(PHASES) - reached)}"


@pytest.mark.parametrize("flow", FLOWS)
def test_a_hooked_include_runs_the_phase_it_names(flow):
    for task in tasks_of(yaml.safe_load((TASKS / flow).read_text())):
        target = task.get(INCLUDE)
        target = target["file"] if isinstance(target, dict) else target
        if target == STEP_FILE:
            assert hooked(task), f"{task['name']} includes a step file without phase_steps"
            assert task["loop_control"]["loop_var"] == "__redis_cutover_step", task["name"]
