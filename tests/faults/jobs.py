"""Jobs that must survive a fault: bench.record jobs queued through bs-core (POST /api/jobs) before and during
a run, and the proof afterwards that each one ran, none twice without a reason, and older rows are intact.

While bs-core is recreated a request can fail. A request refused before it reached the app is retried with
the same seq; one that failed after it was sent may or may not have queued the job, so its seq is retried
too and noted as doubtful: that seq may then show twice (two jobs), which is reported, not failed.
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
from collections import Counter
from dataclasses import dataclass, field

from tests.lib import sandbox

ENTRYPOINT = "bench.record"
RETRY_FOR = 180  # seconds one job keeps being retried (bs-core may be recreated twice by a restore)
# Workers poll every 30 s even when no wake-up reaches them, so a queued job runs within this.
PROCESS_WITHIN = 90


def refused(error: BaseException) -> bool:
    """True when the request certainly never reached the app (nothing can have been queued): bs-core refused
    the connection, or had no address yet (missing container, not yet on the network)."""
    reason = getattr(error, "reason", error)
    return isinstance(reason, ConnectionRefusedError | socket.gaierror) or any(
        text in str(error) for text in ("No such container", "no host given")
    )


@dataclass
class Feeder:
    """Queues jobs with increasing seq numbers: in batches, or one every `interval` s from a thread."""

    next_seq: int
    interval: float = 0.5
    jobs: dict[int, list[int]] = field(default_factory=dict)  # seq -> job ids the app answered with
    doubtful: set[int] = field(default_factory=set)  # seqs whose first request may have queued a job unanswered
    errors: Counter = field(default_factory=Counter)  # what the retried requests ran into, by kind
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _failure: BaseException | None = None

    @classmethod
    def after_existing(cls) -> Feeder:
        last = sandbox.query("SELECT coalesce(max(seq), 0) AS n FROM bench_job_record")[0]["n"]
        return cls(next_seq=last + 1)

    def batch(self, count: int) -> list[int]:
        seqs = list(range(self.next_seq, self.next_seq + count))
        self.next_seq += count
        ids = self._send(seqs)
        for seq, job_id in zip(seqs, ids, strict=True):
            self.jobs[seq] = [job_id]
        return ids

    def _send(self, seqs: list[int]) -> list[int]:
        deadline = time.monotonic() + RETRY_FOR
        while True:
            try:
                return sandbox.enqueue(ENTRYPOINT, [{"seq": seq} for seq in seqs])
            except (OSError, urllib.error.URLError, AssertionError) as error:
                self.errors[type(getattr(error, "reason", error)).__name__] += 1
                if not refused(error):
                    self.doubtful.update(seqs)
                if time.monotonic() > deadline:
                    raise AssertionError(f"bs-core did not take job(s) {seqs} for {RETRY_FOR} s: {error}") from error
                time.sleep(0.3)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._feed, name="job-feeder", daemon=True)
        self._thread.start()

    def _feed(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                self.batch(1)
        except BaseException as error:  # handed to stop(), which the test calls
            self._failure = error

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(RETRY_FOR + 10)
            assert not self._thread.is_alive(), "the job feeder did not stop"
        failure, self._failure = self._failure, None
        if failure:
            raise failure

    @property
    def job_ids(self) -> list[int]:
        return [job_id for ids in self.jobs.values() for job_id in ids]


@dataclass
class Outcome:
    jobs: int
    rerun: list[int]  # job ids recorded more than once (run again after a kill)
    doubled: list[int]  # seqs queued twice because an unanswered request was retried
    request_errors: dict[str, int]

    def summary(self) -> str:
        text = f"{self.jobs} jobs all ran"
        if self.rerun:
            text += f"; job(s) run twice: {self.rerun}"
        if self.doubled:
            text += f"; seq(s) queued twice after an unanswered request: {self.doubled}"
        if self.request_errors:
            text += f"; retried requests: {dict(self.request_errors)}"
        return text


def all_rows() -> list[dict]:
    return sandbox.query("SELECT * FROM bench_job_record ORDER BY id")


def check(feeder: Feeder, rows_before: list[dict], *, rerun_allowed: bool) -> Outcome:
    """Every queued job ran; no job ran twice unless `rerun_allowed`; rows from before are unchanged."""
    ids = feeder.job_ids
    sandbox.wait_for_bench_records(ids, timeout=PROCESS_WITHIN)
    rows = sandbox.query("SELECT job_id, seq FROM bench_job_record WHERE seq >= %s", [min(feeder.jobs)])
    runs = Counter(row["job_id"] for row in rows)
    jobs_per_seq = Counter(seq for seq, _job_id in {(row["seq"], row["job_id"]) for row in rows})
    rerun = sorted(job_id for job_id, n in runs.items() if n > 1)
    doubled = sorted(seq for seq, n in jobs_per_seq.items() if n > 1)
    assert set(jobs_per_seq) <= set(feeder.jobs), (
        f"rows for seqs nobody queued: {sorted(set(jobs_per_seq) - set(feeder.jobs))}"
    )
    assert not rerun or rerun_allowed, f"job(s) ran twice: {rerun}"
    unexplained = sorted(set(doubled) - feeder.doubtful)
    assert not unexplained, f"seq(s) queued twice without a retried request: {unexplained}"
    by_id = {row["id"]: row for row in all_rows()}
    changed = [row["id"] for row in rows_before if by_id.get(row["id"]) != row]
    assert not changed, f"bench_job_record rows from before the run changed or vanished: ids {changed}"
    return Outcome(len(ids), rerun, doubled, dict(feeder.errors))
