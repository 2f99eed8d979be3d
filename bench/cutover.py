"""Cutover benchmark: the seed runbook (bench/seed_runbook.sh) vs the collection's rollout, side by side.

Each run starts from a fresh memcached stack (sandbox/up.sh --fresh), puts the same load on bs-core
(jobs through POST /api/jobs and cache round trips, at fixed rates), runs one method, keeps the load
on a few seconds more, then drains and counts: the worker gap, lost and duplicated jobs, HTTP errors,
the method's wall time and, for the collection, an idempotent re-run. Methods alternate (C S S C C S ...).

    .venv/bin/python bench/cutover.py --runs 3            # make bench (takes the sandbox lock)
    .venv/bin/python bench/cutover.py --runs 1 --short    # make bench-smoke: proves the harness works
    .venv/bin/python bench/cutover.py --markdown build/bench/latest.json   # the tables again, no runs

Results go to build/bench/cutover-<time>.json, with its timeline picture (bench/timeline.py) beside it
as cutover-<time>.png; --png PATH writes the picture there too ({driver} in PATH: the storage driver;
make bench refreshes docs/images/cutover-timeline-<driver>.png this way).

Run it under the sandbox lock: `flock /tmp/bs-sandbox.lock .venv/bin/python bench/cutover.py ...`.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The checkout is the collection (collections/ansible_collections/...) and holds the test helpers.
sys.path[:0] = [str(REPO), str(REPO / "collections")]

from bench.harness import main  # noqa: E402 - importable only once the paths above are set

if __name__ == "__main__":
    sys.exit(main(description=__doc__))
