"""Services outside the cutover (db, the reverse proxy, the backup job, bs-alloy under its profile)
keep the container they had before the scenario: same id, same start time, still running (sandbox scenarios)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lib import sandbox

BACKUP = "before-scenario.txt"  # written by prepare from inside bs-core, into its /backups bind mount


def recorded(state_dir) -> dict[str, tuple[str, str]]:
    """untouched.txt, written by prepare: "/name id started_at" per container."""
    lines = (state_dir / "untouched.txt").read_text().split("\n")
    return {name.lstrip("/"): (cid, started) for name, cid, started in (line.split() for line in lines if line)}


def test_prepare_recorded_the_untouched_services(state_dir):
    assert set(recorded(state_dir)) == {"postgres-srv", "bs-proxy", "bs-backup", "bs-alloy"}


@pytest.mark.parametrize("name", ["postgres-srv", "bs-proxy", "bs-backup", "bs-alloy"])
def test_container_was_never_recreated_or_restarted(state_dir, name):
    state = sandbox.container(name)
    assert state.status == "running"
    assert (state.id, state.started_at) == recorded(state_dir)[name]


def test_a_backup_written_before_is_on_the_host_and_in_the_new_bs_core():
    host_path = Path(sandbox.read_env()["BACKUPS_PATH"]) / BACKUP
    assert host_path.read_text() == "written before the scenario\n"
    assert sandbox.exec_in("bs-core", "cat", f"/backups/{BACKUP}").stdout == "written before the scenario\n"


def test_the_backup_job_kept_writing_dumps(state_dir):
    # Prepare's record is older than the scenario's changes; bs-backup dumps every BACKUP_INTERVAL (30 s).
    dumps = [dump.stat().st_mtime for dump in Path(sandbox.read_env()["BACKUPS_PATH"]).glob("*.sql.gz")]
    assert dumps and max(dumps) > (state_dir / "untouched.txt").stat().st_mtime
