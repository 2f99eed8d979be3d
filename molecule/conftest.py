"""What every scenario's testinfra tests share: the records the scenario's steps left, and checks on bs-core.

The steps write to <ephemeral directory>/state (private: the .env copy holds every secret):
before/.env and before/docker-compose.yml (prepare, before any cutover), jobs/*.json (ids of the jobs
queued before and during the converge), and scenario-specific records (containers.txt, rollout_failure.txt).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.lib import sandbox

# Far below PgQueuer's 30 s dequeue-timeout poll: a job processed this fast was woken through the broker.
WAKEUP_TIMEOUT = 10.0
CACHE_BACKEND = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"


@pytest.fixture(scope="session")
def state_dir() -> Path:
    return Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "state"


@pytest.fixture(scope="session")
def before(state_dir: Path) -> dict[str, bytes]:
    """The live .env and docker-compose.yml as prepare copied them, before any cutover."""
    return {name: (state_dir / "before" / name).read_bytes() for name in (".env", "docker-compose.yml")}


@pytest.fixture(scope="session")
def queued_jobs(state_dir: Path) -> list[int]:
    """Ids of every job the scenario's steps queued through bs-core."""
    return sorted({job_id for path in (state_dir / "jobs").glob("*.json") for job_id in json.loads(path.read_text())})


@pytest.fixture(scope="session")
def runbook_keys() -> Callable[[str], dict[str, str]]:
    """The runbook's five .env keys for apps reaching Redis at `host` (bs-redis in a container, else localhost)."""

    def keys(host: str) -> dict[str, str]:
        return {
            "REDIS_URL": f"redis://{host}:6379/1",
            "REDIS_HOST": host,
            "REDIS_PORT": "6379",
            "PGQUEUE_CHANNEL": "0",
            "CACHE_KEY_PREFIX": "revisbali",
        }

    return keys


@pytest.fixture(scope="session")
def core_cache_backend() -> str:
    """The Django cache backend bs-core runs with, read inside the container."""
    return sandbox.exec_in("bs-core", "python", "-c", CACHE_BACKEND).stdout.strip()


@pytest.fixture
def process_new_job() -> Callable[[], list[dict]]:
    """Queue one bench.record job through bs-core and return its bench_job_record row once a worker ran it."""

    def run() -> list[dict]:
        ids = sandbox.enqueue("bench.record", [{"seq": 0}])
        return sandbox.wait_for_bench_records(ids, timeout=WAKEUP_TIMEOUT)

    return run
