"""Faults that make a step of the rollout fail after the snapshot: the role must restore the memcached release
by itself, fail with the reason, lose no job and leave the files byte-identical to what they were."""

from __future__ import annotations

import pytest

from tests.faults import host

pytestmark = pytest.mark.sandbox

# name: (inventory overrides, what they break, the step expected to fail, verbosity of the run)
FAULTS = {
    "Redis never healthy": (
        {"redis_cutover_redis_extra_args": ["--no-such-option", "x"]},
        "redis-server gets an unknown option and exits at every start",
        "Converge | Start the cache server",
        0,
    ),
    "worker cannot subscribe": (
        {"redis_cutover_worker_environment": {"REDIS_URL": "redis://bs-redis:6390/1"}},
        "bs-worker alone gets REDIS_URL on a port where nothing listens",
        "Worker",
        1,
    ),
    "Django smoke fails": (
        {"redis_cutover_redis_url": "redis://bs-redis:6390/1"},
        "REDIS_URL in .env names a closed port; the direct check uses the container address and passes",
        "Verify | Django cache round trip",
        1,
    ),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_failed_step_restores_memcached(scenario, fault):
    overrides, injected, failing_step, verbose = FAULTS[fault]
    scenario.row.fault, scenario.row.injected = fault, f"{injected} ({', '.join(overrides)})"
    result = scenario.run(overrides, verbose=verbose)
    assert result.rc != 0, "the rollout succeeded although the fault was injected"
    assert f"ROLLOUT FAILED at '{failing_step}" in result.failure, f"unexpected failure:\n{result.failure}"
    assert "The host is back on memcached" in result.failure, f"no restore reported:\n{result.failure}"
    scenario.finish(host.MEMCACHED)
