"""The rollout killed with SIGKILL (ansible-playbook and every process it started) right after each phase,
then run again: the last run must finish the cutover, whatever the killed ones left half-done.

By default the kills follow each other: the run after a kill is itself killed after the next phase, so
every rerun starts from what the kill before it left, and one final run completes (one stack, ~5 min).
FAULTS_KILL_EACH=1 gives every kill point a stack of its own and a rerun that runs to the end (~13 min).
"""

from __future__ import annotations

import os

import pytest

from tests.faults import host

pytestmark = pytest.mark.sandbox

# (phase, the last task of that phase: the kill lands when the task after it starts). Names from
# roles/redis_cutover/tasks/*.yml; a renamed task shows up here as "never ran".
KILL_POINTS = [
    ("preflight and render", "Render | Stage and validate the .env and docker-compose.yml"),
    ("snapshot", "Snapshot | Keep .env, the compose files and the running images"),
    ("Redis up", "Converge | Start the cache server first"),
    ("files in place", "Converge | Put the staged docker-compose.yml in place"),
    ("bs-core moved", "Converge | Move the cache server, bs-core and bs-frontend"),
    ("handoff worker consuming", "Worker | The new release consumes a probe job"),
    ("worker replaced", "Worker | Replace bs-worker"),
    ("worker verified", "Verify | Worker consumes a probe job through the broker"),
]
# A kill before the first live change must leave containers and files exactly as they were.
BEFORE_ANY_CHANGE = {"preflight and render", "snapshot"}
SCHEDULES = [[point] for point in KILL_POINTS] if os.environ.get("FAULTS_KILL_EACH") else [KILL_POINTS]


def mid_cutover_state(baseline: host.Snapshot) -> str:
    """What a kill left, in a few words: which cache servers run, which release the files and bs-core are on."""
    now = host.take()
    running = [name for name in ("memcached", "bs-redis") if now.containers[name]]
    files = "memcached" if now.files == baseline.files else ("redis" if b"REDIS_URL=" in now.files[".env"] else "other")
    core = now.containers["bs-core"]
    release = "none" if core is None else ("redis" if core.image == host.REDIS.images()["bs-core"] else "memcached")
    return f"running {'+'.join(running) or 'no cache server'}, files {files}, bs-core {release}"


def schedule_id(schedule: list[tuple[str, str]]) -> str:
    return schedule[0][0] if len(schedule) == 1 else f"{len(schedule)} kills in turn"


@pytest.mark.parametrize("schedule", SCHEDULES, ids=[schedule_id(s) for s in SCHEDULES])
def test_rerun_after_kills_completes_on_redis(scenario, schedule):
    if len(schedule) == 1:
        scenario.row.fault, scenario.row.injected = (
            f"killed after {schedule[0][0]}",
            f"SIGKILL after '{schedule[0][1]}'",
        )
    else:
        scenario.row.fault = "killed after each phase"
        scenario.row.injected = f"SIGKILL after each of {len(schedule)} phases in turn (see notes)"
    scenario.row.injected += ", then a rerun"
    for phase, last_task in schedule:
        killed = scenario.run(kill_after=last_task)
        assert killed.killed_after, f"'{last_task}' never ran; the last tasks were {killed.tasks[-8:]}: {killed}"
        scenario.row.notes.append(f"after {phase}: {mid_cutover_state(scenario.baseline)}")
        if phase in BEFORE_ANY_CHANGE:
            changes = [c for c in scenario.baseline.changes_to(host.take()) if not c.startswith("new snapshots")]
            assert not changes, f"a run killed after {phase} changed the host: {changes}"
        changed_keys = host.foreign_keys_changed(scenario.baseline)  # .env is never left half-written
        assert not changed_keys, f"after a kill after {phase}: {changed_keys}"
    rerun = scenario.run(verbose=1)
    assert rerun.rc == 0, f"the rerun failed: {rerun}\n{rerun.failure}"
    scenario.finish(host.REDIS, rerun_allowed=True)
