"""A rendered file whose db differs from the running database: the rollout never moves db, but the next
plain `docker compose up -d` would recreate it, so the operator is told before anything changes."""

from __future__ import annotations

import pytest

from tests.faults import host, playbook

pytestmark = pytest.mark.sandbox

# Another mount target than the running postgres-srv has: compose's config hash of db differs.
DRIFTED = {"redis_cutover_db_volumes": ["${DB_PATH}:/var/lib/postgresql-elsewhere"]}


def test_check_mode_warns_that_the_next_deploy_would_recreate_the_database(memcached_host, row, tmp_path):
    row.fault, row.injected = "db described differently", "redis_cutover_db_volumes with another target, --check"
    result = playbook.run("rollout", DRIFTED, check=True, log=tmp_path / "run.log")
    row.seconds = result.seconds
    changes = memcached_host.changes_to(host.take())
    row.outcome = "warned, nothing changed" if result.rc == 0 and not changes else f"rc {result.rc}, {changes}"
    assert result.rc == 0, f"the check-mode rollout failed: {result}\n{result.failure}"
    said = " ".join(result.output.split())  # the callback wraps long messages
    assert "WARNING: the new docker-compose.yml describes service db differently" in said, result
    assert "the next plain `docker compose up -d` would recreate it" in said, result
    assert not changes, f"a check-mode run changed the host: {changes}"
    result.assert_no_secrets(playbook.secrets())
