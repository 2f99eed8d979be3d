"""Faults that make a step of the rollout fail after the snapshot: the role must restore the memcached release
by itself, fail with the reason, lose no job and leave the files byte-identical to what they were."""

from __future__ import annotations

import re

import pytest

from ansible_collections.revisbali.business_suite.plugins.filter.phase_steps import POINTS
from tests.faults import hooks, host, playbook
from tests.lib import sandbox

pytestmark = pytest.mark.sandbox

# bs-worker alone on a closed Redis port, through a compose override file (the user's, never the role's: compose
# merges it into every command the role runs); the memcached release ignores REDIS_URL.
WORKER_ON_A_CLOSED_PORT = "services:\n  bs-worker:\n    environment:\n      REDIS_URL: redis://bs-redis:6390/1\n"
OVERRIDE_FILE = sandbox.SANDBOX_DIR / "docker-compose.override.yml"

# name: (inventory overrides, what they break, the step expected to fail, verbosity of the run, override file)
FAULTS = {
    "Redis never healthy": (
        {"redis_cutover_redis_extra_args": ["--no-such-option", "x"]},
        "redis-server gets an unknown option and exits at every start",
        "Converge | Start the cache server",
        0,
        None,
    ),
    "worker cannot subscribe": (
        {},
        "bs-worker alone gets REDIS_URL on a port where nothing listens (docker-compose.override.yml)",
        "Worker",
        1,
        WORKER_ON_A_CLOSED_PORT,
    ),
    "Django smoke fails": (
        {"redis_cutover_redis_url": "redis://bs-redis:6390/1"},
        "REDIS_URL in .env names a closed port; the direct check uses the container address and passes",
        "Verify | Django cache round trip",
        1,
        None,
    ),
}


# Every hook point of the rollout, recorded on the first fault: a failure in converge shows where hooks run on
# the way out (the automatic restore's own restore and converge, towards memcached) and where they do not.
HOOKS_RAN = [
    *(
        f"{when}_{phase} rollout redis"
        for phase in ("preflight", "render", "images", "snapshot")
        for when in ("before", "after")
    ),
    "before_converge rollout redis",  # converge fails: no after_converge towards Redis, no prune, no report
    "before_restore rollout memcached",
    "after_restore rollout memcached",
    "before_converge rollout memcached",
    "after_converge rollout memcached",
]


@pytest.mark.parametrize("fault", FAULTS)
def test_failed_step_restores_memcached(scenario, fault, tmp_path):
    overrides, injected, failing_step, verbose, override_file = FAULTS[fault]
    hooked = fault == "Redis never healthy"
    if hooked:
        hook_overrides, hooks_ran = hooks.recorder(tmp_path, list(POINTS))
        overrides = {**overrides, **hook_overrides}
    scenario.row.fault, scenario.row.injected = fault, f"{injected} ({', '.join(overrides)})" if overrides else injected
    if override_file:
        OVERRIDE_FILE.write_text(override_file)
    try:
        result = scenario.run(overrides, verbose=verbose)
    finally:
        OVERRIDE_FILE.unlink(missing_ok=True)
    assert result.rc != 0, "the rollout succeeded although the fault was injected"
    assert f"ROLLOUT FAILED at '{failing_step}" in result.failure, f"unexpected failure:\n{result.failure}"
    assert "The host is back on memcached" in result.failure, f"no restore reported:\n{result.failure}"
    if hooked:
        assert hooks_ran() == HOOKS_RAN, hooks_ran()
    scenario.finish(host.MEMCACHED)


# A restore that fails (here a before_restore hook of the user's) must not hide the first failure: the message
# names both, where the snapshot is and the rollback command that finishes the job, which then must work.
FAILING_RESTORE_HOOK = """---
- name: Hook | Fail as a broken restore would
  ansible.builtin.fail:
    msg: no space left on the snapshot's disk
"""


def test_failed_restore_names_both_failures_and_the_rollback_it_names_recovers(scenario, tmp_path):
    hook = tmp_path / "restore-fails.yml"
    hook.write_text(FAILING_RESTORE_HOOK)
    overrides = {**FAULTS["Redis never healthy"][0], "redis_cutover_hooks": {"before_restore": [str(hook)]}}
    scenario.row.fault = "the automatic restore fails too"
    scenario.row.injected = "Redis never healthy, then a before_restore hook fails; then the rollback the message names"
    result = scenario.run(overrides)
    assert result.rc != 0, "the rollout succeeded although the fault was injected"
    failure = " ".join(result.failure.split())
    assert "ROLLOUT FAILED at 'Converge | Start the cache server" in failure, failure
    assert (
        "AND THE AUTOMATIC RESTORE FAILED at 'Hook | Fail as a broken restore would' "
        "(no space left on the snapshot's disk)" in failure
    ), failure
    named = re.search(r"run playbooks/rollback\.yml with -e redis_cutover_snapshot=(\w+)", failure)
    assert named, f"the failure does not name the rollback to run: {failure}"
    rollback = playbook.run("rollback", {"redis_cutover_snapshot": named[1]}, log=scenario.logs / "rollback.log")
    scenario.runs.append(rollback)
    scenario.row.seconds += rollback.seconds
    rollback.assert_no_secrets(scenario.secrets)
    assert rollback.rc == 0, rollback
    scenario.finish(host.MEMCACHED)
