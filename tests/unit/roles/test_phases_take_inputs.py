"""No phase file branches on which flow included it: what differs between callers (the snapshot to pick, whether
the stack runs already, what a failed restore was part of) is an input the caller passes in `vars:`. Only the
entry points (the flows) set the flow, and the report names itself after it, as data."""

import re
from pathlib import Path

import pytest

TASKS = Path(__file__).resolve().parents[3] / "roles" / "redis_cutover" / "tasks"
FLOWS = {"main.yml", "rollout.yml", "rollback.yml", "local_dev.yml"}
FLOW = "__redis_cutover_flow"
# A comparison with the flow, or a condition that reads it.
BRANCH = re.compile(r"%s\s*(==|!=|\bin\b|\bis\b)|\b(when|that):.*%s|\bif\b[^}]*%s" % (FLOW, FLOW, FLOW))


def phase_files():
    return sorted(path.name for path in TASKS.glob("*.yml") if path.name not in FLOWS)


def test_there_are_phase_files():
    assert {"preflight.yml", "snapshot_pick.yml", "restore.yml", "converge.yml", "report.yml"} <= set(phase_files())


@pytest.mark.parametrize("name", sorted(set(phase_files()) - {"report.yml"}))
def test_only_the_report_reads_the_flow(name):
    assert FLOW not in (TASKS / name).read_text(), f"{name} reads {FLOW}: pass what it needs as an input"


def test_the_report_uses_the_flow_only_as_data():
    text = (TASKS / "report.yml").read_text()
    branches = [line.strip() for line in text.splitlines() if BRANCH.search(line)]
    assert not branches, f"report.yml branches on the flow that included it (pass an input instead): {branches}"
