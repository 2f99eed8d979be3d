"""After the rollback: Redis's data volume is kept and the rollback's report is the latest."""

from __future__ import annotations

import json

from tests.lib import sandbox


def test_redis_volume_is_kept(host):
    assert host.run("docker volume inspect business_suite_redis_data").rc == 0


def test_report_names_the_rollback():
    report = json.loads((sandbox.SANDBOX_DIR / ".cutover/reports/latest.json").read_text())
    assert (report["flow"], report["outcome"]) == ("rollback", "rolled back to memcached")
