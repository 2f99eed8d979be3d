"""A host that is not ready for the cutover: preflight must say so plainly, with what to do, before any change,
and the run's failure summary must be the last word (nothing in the rescue may hide it)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.faults import host, playbook
from tests.faults.test_rejected_inputs import check_rejected

pytestmark = pytest.mark.sandbox


@pytest.fixture
def read_only_dir(tmp_path):
    """A directory on a read-only bind mount: writes fail with EROFS even for root, as on a read-only volume."""
    path = tmp_path / "state-ro"
    path.mkdir()
    subprocess.run(["mount", "--bind", str(path), str(path)], check=True)
    subprocess.run(["mount", "-o", "remount,bind,ro", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=True)


def test_read_only_state_dir_is_refused_in_preflight(memcached_host, row, tmp_path, read_only_dir):
    row.fault, row.injected = "read-only state dir", f"redis_cutover_state_dir on a read-only mount ({read_only_dir})"
    result = playbook.run(
        "rollout", {"redis_cutover_state_dir": str(read_only_dir)}, verbose=1, log=tmp_path / "run.log"
    )
    pattern = rf"{read_only_dir} is\s+not writable by .*Nothing was changed.*become"
    check_rejected(row, memcached_host, result, pattern, playbook.secrets())
    assert not [task for task in result.tasks if task.startswith("Lock |")], "not refused by preflight"
    assert not list(Path(read_only_dir).iterdir())
    assert not host.problems(host.MEMCACHED, memcached_host)
