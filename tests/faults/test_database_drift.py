"""A live file whose db differs from the running database (an edit never applied): the rollout never moves db,
but the next plain `docker compose up -d` would recreate it, so the operator is told before anything changes."""

from __future__ import annotations

import re

import pytest

from tests.faults import host, playbook

pytestmark = pytest.mark.sandbox


def drift_db(text: str) -> str:
    """db's data mount on another target than the running postgres-srv has: compose's config hash differs."""
    return re.sub(
        r"^(\s+target: )/var/lib/postgresql$", r"\1/var/lib/postgresql-elsewhere", text, count=1, flags=re.MULTILINE
    )


def test_check_mode_warns_that_the_next_deploy_would_recreate_the_database(memcached_host, row, tmp_path):
    row.fault, row.injected = "db described differently", "the live file's db mounted elsewhere (not applied), --check"
    with host.compose_file_changed(memcached_host, drift_db):
        before = host.take()
        result = playbook.run("rollout", check=True, log=tmp_path / "run.log")
        changes = before.changes_to(host.take())
    row.seconds = result.seconds
    row.outcome = "warned, nothing changed" if result.rc == 0 and not changes else f"rc {result.rc}, {changes}"
    assert result.rc == 0, f"the check-mode rollout failed: {result}\n{result.failure}"
    said = " ".join(result.output.split())  # the callback wraps long messages
    assert "WARNING: the new docker-compose.yml describes service db differently" in said, result
    assert "the next plain `docker compose up -d` would recreate it" in said, result
    assert not changes, f"a check-mode run changed the host: {changes}"
    result.assert_no_secrets(playbook.secrets())
