"""queue_reading: a registered pgqueuer_probe result as the report's reading of the queue, counts for the picked and
stale jobs, and a reason instead of figures when the probe could not read the queue or did not run."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.revisbali.business_suite.plugins.filter.queue_reading import queue_reading

DEPTH = [{"status": "queued", "entrypoint": "bench.record", "count": 12, "oldest_age_s": 0.8}]
PICKED = [{"id": 7, "heartbeat_age_s": 0.2}, {"id": 8, "heartbeat_age_s": 95.0}]


def test_a_reading_keeps_the_depth_and_counts_the_picked_and_stale_jobs():
    result = {"changed": False, "depth": DEPTH, "in_flight": PICKED, "stale": PICKED[1:]}
    assert queue_reading(result) == {"depth": DEPTH, "in_flight": 2, "stale": 1, "error": ""}


def test_an_empty_queue_reads_as_empty():
    assert queue_reading({"depth": [], "in_flight": [], "stale": []}) == {
        "depth": [],
        "in_flight": 0,
        "stale": 0,
        "error": "",
    }


def test_a_failed_probe_gives_its_message_and_no_figures():
    # Registered with failed_when=false: the result is not marked failed, but has no reading.
    result = {"failed": False, "reason": "connect", "msg": "cannot reach PostgreSQL at 10.0.0.2:5432: timeout\n"}
    assert queue_reading(result) == {
        "depth": [],
        "in_flight": 0,
        "stale": 0,
        "error": "cannot reach PostgreSQL at 10.0.0.2:5432: timeout",
    }


def test_a_skipped_probe_says_the_queue_was_not_read():
    reading = queue_reading({"skipped": True, "false_condition": "__redis_cutover_db_reachable"})
    assert reading["depth"] == [] and reading["error"].startswith("not read")


@pytest.mark.parametrize("bad", [None, "queued=3", {"depth": "queued=3"}])
def test_anything_but_a_probe_result_is_an_error(bad):
    with pytest.raises(AnsibleFilterError, match="queue_reading"):
        queue_reading(bad)
