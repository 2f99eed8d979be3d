"""No job lost: every job queued before and during the converge ran (sandbox scenarios)."""

from __future__ import annotations

from tests.lib import sandbox

# Jobs queued while the worker was being replaced may wait for PgQueuer's 30 s dequeue-timeout poll.
PROCESSED_TIMEOUT = 45.0


def test_every_queued_job_was_processed(queued_jobs):
    assert queued_jobs, "the scenario queued no jobs, so nothing would be checked"
    rows = sandbox.wait_for_bench_records(queued_jobs, timeout=PROCESSED_TIMEOUT)
    assert {row["job_id"] for row in rows} == set(queued_jobs)


def test_no_queued_job_is_left_in_the_queue(queued_jobs):
    left = sandbox.query("SELECT id, status FROM pgqueuer WHERE id = ANY(%s)", [queued_jobs])
    assert left == []
