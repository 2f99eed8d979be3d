"""No phase file branches on which flow included it: what differs between callers (the snapshot to pick, whether
the stack runs already, what a failed restore was part of) is an input the caller passes in `vars:`. Only the
entry points set the flow, the frame (run.yml) picks the flow's steps by it, and the report names itself after
it, as data."""

import re
from pathlib import Path

import pytest

TASKS = Path(__file__).resolve().parents[3] / "roles" / "redis_cutover" / "tasks"
FRAME = {"main.yml", "rollout.yml", "rollback.yml", "local_dev.yml", "run.yml"}
FLOW = "__redis_cutover_flow"
# A comparison with the flow, or a condition that reads it.
BRANCH = re.compile(r"%s\s*(==|!=|\bin\b|\bis\b)|\b(when|that):.*%s|\bif\b[^}]*%s" % (FLOW, FLOW, FLOW))


def phase_files():
    return sorted(path.name for path in TASKS.glob("*.yml") if path.name not in FRAME)


def test_there_are_phase_files():
    assert {"preflight.yml", "snapshot_pick.yml", "restore.yml", "converge.yml"} <= set(phase_files())


@pytest.mark.parametrize("name", phase_files())
def test_the_phase_does_not_branch_on_its_caller(name):
    text = (TASKS / name).read_text()
    branches = [line.strip() for line in text.splitlines() if BRANCH.search(line)]
    assert not branches, f"{name} branches on the flow that included it (pass an input instead): {branches}"


@pytest.mark.parametrize("name", sorted(set(phase_files()) - {"report.yml"}))
def test_only_the_report_reads_the_flow(name):
    assert FLOW not in (TASKS / name).read_text(), f"{name} reads {FLOW}: pass what it needs as an input"
