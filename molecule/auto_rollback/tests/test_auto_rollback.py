"""The failed rollout said why and that the host is back on memcached; jobs kept arriving throughout."""

from __future__ import annotations

import json

import pytest


@pytest.fixture(scope="module")
def failure(state_dir) -> str:
    return (state_dir / "rollout_failure.txt").read_text()


def test_failure_names_the_failed_step(failure):
    assert failure.startswith("ROLLOUT FAILED at '")


def test_failure_says_the_host_is_back_on_memcached(failure):
    assert "The host is back on memcached" in failure


def test_jobs_were_queued_during_the_rollout(state_dir):
    assert json.loads((state_dir / "jobs/during.json").read_text())
