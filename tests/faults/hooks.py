"""Hooks that record where they ran: `recorder(tmp_path, points)` gives the overrides that point each hook point at
the shared recording hook (tests/lib/record_hook.yml), and a function that reads back what ran, as
`point flow release` lines in order."""

from __future__ import annotations

from pathlib import Path

from tests.lib.sandbox import REPO

RECORD_HOOK = REPO / "tests" / "lib" / "record_hook.yml"


def recorder(tmp_path: Path, points: list[str]):
    record = tmp_path / "hooks-ran.txt"
    overrides = {
        "hooks_ran_file": str(record),
        "redis_cutover_hooks": {point: [str(RECORD_HOOK)] for point in points},
    }

    def ran() -> list[str]:
        return record.read_text().splitlines() if record.exists() else []

    return overrides, ran
