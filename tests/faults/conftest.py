"""Fixtures of the fault suite: a healthy pre-cutover host (reused when the last test left one), a scenario
that queues jobs around the runs and checks what a fault may never leave behind, and the summary table.

The suite runs under the sandbox lock taken by its caller (`make faults`, or
`flock /tmp/bs-sandbox.lock .venv/bin/pytest -ra tests/faults`); it never takes the lock itself.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.faults import host, jobs, playbook
from tests.lib import sandbox

# Cheapest order: rejected inputs and check-mode runs change nothing, failed rollouts restore memcached (the
# host is reused), the rollback without a snapshot starts from that host and leaves memcached files the role
# wrote (the next test starts afresh), killed rollouts end on Redis (each needs a fresh memcached host).
ORDER = (
    "test_rejected_inputs",
    "test_unknown_compose",
    "test_database_drift",
    "test_failed_rollouts",
    "test_rollback_without_snapshot",
    "test_killed_rollouts",
)
ROWS = pytest.StashKey[list]()
ROW = pytest.StashKey["Row"]()


def pytest_collection_modifyitems(items):
    rank = {name: index for index, name in enumerate(ORDER)}
    items.sort(key=lambda item: rank.get(item.module.__name__.rsplit(".", 1)[-1], len(ORDER)))


@dataclass
class Row:
    """One line of the summary table."""

    fault: str
    injected: str = ""
    outcome: str = "not reached"
    seconds: float = 0.0  # time spent in ansible-playbook
    result: str = "?"
    notes: list[str] = field(default_factory=list)


@pytest.fixture
def row(request) -> Row:
    row = Row(fault=request.node.name)
    request.node.stash[ROW] = row
    request.config.stash.setdefault(ROWS, []).append(row)
    return row


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    row = item.stash.get(ROW, None)
    if row is not None and (report.when == "call" or report.failed):
        row.result = "FAIL" if report.failed else ("skip" if report.skipped else "pass")
    return report


def pytest_terminal_summary(terminalreporter):
    rows = terminalreporter.config.stash.get(ROWS, [])
    if not rows:
        return
    header = ("fault", "injected", "outcome", "ansible s", "result")
    cells = [header] + [(r.fault, r.injected, r.outcome, f"{r.seconds:.0f}", r.result) for r in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
    terminalreporter.write_sep("=", "fault injection summary")
    for index, line in enumerate(cells):
        terminalreporter.write_line(
            " | ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        )
        if index == 0:
            terminalreporter.write_line("-+-".join("-" * width for width in widths))
    for r in rows:
        for note in r.notes:
            terminalreporter.write_line(f"  {r.fault}: {note}")


def written_by_up() -> bool:
    """The project files are exactly what `sandbox/up.sh --release memcached` wrote (its own stamp)."""
    stamp = sandbox.SANDBOX_DIR / ".sandbox-stamp"
    if not stamp.is_file():
        return False
    digest = hashlib.sha256(host.read("docker-compose.yml") + host.read(".env")).hexdigest()
    return stamp.read_text() == f"memcached {digest}  -\n"


@pytest.fixture
def memcached_host() -> host.Snapshot:
    """A healthy pre-cutover host; the one the last test left is reused when it is exactly that."""
    if not (written_by_up() and not host.problems(host.MEMCACHED)):
        sandbox.up("memcached", fresh=True)
        found = host.problems(host.MEMCACHED)
        assert not found, f"sandbox/up.sh did not leave a healthy memcached host: {found}"
    return host.take()


@dataclass
class Scenario:
    """One fault: the host before, jobs queued before and during the runs, every run's output."""

    baseline: host.Snapshot
    row: Row
    secrets: playbook.Secrets  # from the .env before the run
    feeder: jobs.Feeder
    rows_before: list[dict]
    staging_before: set
    logs: Path
    runs: list[playbook.Run] = field(default_factory=list)

    def run(self, extra_vars: dict | None = None, **kwargs) -> playbook.Run:
        """A rollout run; its output (stdout and stderr) must not hold any secret of .env."""
        log = self.logs / f"run{len(self.runs) + 1}.log"
        result = playbook.run("rollout", extra_vars, log=log, **kwargs)
        self.runs.append(result)
        self.row.seconds += result.seconds
        result.assert_no_secrets(self.secrets)
        return result

    def finish(self, release: host.Release, *, rerun_allowed: bool = False) -> None:
        """The host is fully on `release`, every job ran, older rows and the database container are untouched.
        Every check runs, and the failure lists all that went wrong."""
        self.feeder.stop()
        assessment = self.note_outcome()
        failures = [f"not fully on {release.name}: {assessment[release.name]}"] if assessment[release.name] else []
        if host.find("postgres-srv") != self.baseline.containers["postgres-srv"]:
            failures.append("postgres-srv was recreated or restarted")
        try:
            self.row.notes.append(jobs.check(self.feeder, self.rows_before, rerun_allowed=rerun_allowed).summary())
        except AssertionError as error:
            failures.append(f"jobs: {error}")
        assert not failures, "\n".join(failures)

    def note_outcome(self) -> dict[str, list[str]]:
        assessment = host.assess(self.baseline)
        where = host.verdict(assessment)
        self.row.outcome = {"memcached": "restored to memcached", "redis": "completed on Redis"}.get(where, where)
        return assessment

    def note_leftovers(self) -> None:
        """Staging directories (each holds a copy of .env) that the runs left in /tmp, removed after noting."""
        left = sorted(host.staging_dirs() - self.staging_before)
        if left:
            self.row.notes.append(f"{len(left)} staging dir(s) holding a copy of .env left in /tmp")
        for path in left:
            shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def scenario(memcached_host, row, tmp_path):
    """Jobs done before the run (the rows that must stay intact), jobs still queued when it starts, and
    jobs queued all through it."""
    feeder = jobs.Feeder.after_existing()
    sandbox.wait_for_bench_records(feeder.batch(10), timeout=jobs.PROCESS_WITHIN)
    rows_before = jobs.all_rows()
    feeder.batch(10)
    current = Scenario(
        baseline=memcached_host,
        row=row,
        secrets=playbook.secrets(),
        feeder=feeder,
        rows_before=rows_before,
        staging_before=host.staging_dirs(),
        logs=tmp_path,
    )
    feeder.start()
    yield current
    if current.row.outcome == "not reached":  # the test stopped before finish(): still say where the host is
        current.note_outcome()
    current.note_leftovers()
    feeder.stop()
