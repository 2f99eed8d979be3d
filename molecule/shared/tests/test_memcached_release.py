"""Back on the memcached release, its files byte for byte as before the rollout (rollback, auto_rollback)."""

from __future__ import annotations

import pytest

from tests.lib import sandbox

MEMCACHED_STACK = ("postgres-srv", "memcached", "bs-core", "bs-worker", "bs-frontend")


@pytest.mark.parametrize("name", MEMCACHED_STACK)
def test_memcached_stack_is_running_and_healthy(name):
    # health is None for a service whose file defines no healthcheck (the app's bs-core and memcached have none).
    state = sandbox.container(name)
    assert (state.status, state.health in (None, "healthy")) == ("running", True)


def test_bs_redis_is_gone(host):
    assert host.docker.get_containers(name="^bs-redis$") == []


def test_bs_core_caches_in_memcached(core_cache_backend):
    assert core_cache_backend == "django.core.cache.backends.memcached.PyMemcacheCache"


def test_worker_listens_through_postgres():
    assert sandbox.listener_sessions() >= 1


def test_worker_processes_a_new_job(process_new_job):
    assert process_new_job()


@pytest.mark.parametrize("name", [".env", "docker-compose.yml"])
def test_files_are_back_byte_for_byte(before, name):
    assert (sandbox.SANDBOX_DIR / name).read_bytes() == before[name]
