"""After the rollback: Redis's data volume is kept, the rollback's report is the latest, and the hooks ran
where the flows have them: the rollout in prepare, the rollback in converge, the rollback again (idempotence)."""

from __future__ import annotations

import json

import pytest

from tests.lib import sandbox


def test_redis_volume_is_kept(host):
    assert host.run("docker volume inspect business_suite_redis_data").rc == 0


def test_report_names_the_rollback():
    report = json.loads((sandbox.SANDBOX_DIR / ".cutover/reports/latest.json").read_text())
    assert (report["flow"], report["outcome"]) == ("rollback", "rolled back to memcached")


def around(phases, flow, release):
    return [f"{when}_{phase} {flow} {release}" for phase in phases for when in ("before", "after")]


ROLLOUT_HOOKS = around(["preflight", "render", "images", "snapshot", "converge", "prune", "report"], "rollout", "redis")
ROLLBACK_HOOKS = around(["preflight", "restore", "converge", "report"], "rollback", "memcached")
# On a host already on memcached, nothing is restored or converged.
ROLLBACK_AGAIN_HOOKS = around(["preflight", "report"], "rollback", "memcached")


@pytest.mark.parametrize(
    "step",
    ["prepare's rollout", "converge's rollback", "idempotence's rollback"],
)
def test_hooks_ran_around_the_phases(state_dir, step):
    ran = (state_dir / "hooks-ran.txt").read_text().splitlines()
    expected = {
        "prepare's rollout": (0, ROLLOUT_HOOKS),
        "converge's rollback": (len(ROLLOUT_HOOKS), ROLLBACK_HOOKS),
        "idempotence's rollback": (len(ROLLOUT_HOOKS) + len(ROLLBACK_HOOKS), ROLLBACK_AGAIN_HOOKS),
    }
    start, lines = expected[step]
    assert ran[start : start + len(lines)] == lines
    assert len(ran) == len(ROLLOUT_HOOKS) + len(ROLLBACK_HOOKS) + len(ROLLBACK_AGAIN_HOOKS)
