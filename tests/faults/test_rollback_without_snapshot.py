"""A rollback that finds no snapshot (removed by hand, or a host cut over by other means): the role applies the
reverse change to the live file, and compose's canonical form of the result equals the memcached-era file's."""

from __future__ import annotations

import shutil

import pytest

from tests.faults import host, playbook
from tests.lib import compose, sandbox

pytestmark = pytest.mark.sandbox


def test_rollback_without_snapshot_gives_back_the_memcached_file(memcached_host, row, tmp_path):
    row.fault, row.injected = "rollback, no snapshot", "rollout, then .cutover/snapshots removed, then rollback"
    before_file = tmp_path / "before-docker-compose.yml"
    before_file.write_bytes(memcached_host.files["docker-compose.yml"])
    secrets = playbook.secrets()
    rollout = playbook.run("rollout", log=tmp_path / "rollout.log")
    assert rollout.rc == 0, f"the rollout failed: {rollout}\n{rollout.failure}"
    shutil.rmtree(sandbox.SANDBOX_DIR / ".cutover/snapshots")
    rollback = playbook.run("rollback", log=tmp_path / "rollback.log")
    row.seconds = rollout.seconds + rollback.seconds
    found = host.problems(host.MEMCACHED)
    row.outcome = "back on memcached" if rollback.rc == 0 and not found else f"rc {rollback.rc}, {found}"
    assert rollback.rc == 0, f"the rollback failed: {rollback}\n{rollback.failure}"
    assert not found, found
    old, new = compose.config(before_file), compose.config(sandbox.SANDBOX_DIR / "docker-compose.yml")
    assert compose.changed_keys(old, new) == {}
    assert old == new
    for result in (rollout, rollback):
        result.assert_no_secrets(secrets)
