"""Live compose files the role does not know how to change safely: each must stop the rollout with a message
that names the service and what to set, before anything on the host changes (the check of test_rejected_inputs)."""

from __future__ import annotations

import re

import pytest

from tests.faults import host, playbook
from tests.faults.test_rejected_inputs import check_rejected

pytestmark = pytest.mark.sandbox


def rename_memcached(text: str) -> str:
    """The memcached service under another name, every reference to it following."""
    text = re.sub(r"^  memcached:$", "  cache:", text, flags=re.MULTILINE)
    return re.sub(r"^(\s+- )memcached$", r"\1cache", text, flags=re.MULTILINE)


def publish_memcached(text: str) -> str:
    """memcached with a published port: a setting the reverse change could not give back."""
    return re.sub(
        r"^  memcached:\n", '  memcached:\n    ports:\n      - "127.0.0.1:11211:11211"\n', text, flags=re.MULTILINE
    )


def foreign_redis(text: str) -> str:
    """A redis service of the user's own, with another container name and image than the role's."""
    service = "  redis:\n    container_name: other-redis\n    image: redis:6-alpine\n"
    return re.sub(r"^services:\n", "services:\n" + service, text, count=1, flags=re.MULTILINE)


# name: (how the live file is changed, inventory overrides, the pattern the error message must match)
CASES = {
    "memcached renamed": (rename_memcached, {}, r"service 'cache'.*redis_cutover_memcached_service_name"),
    "memcached customised": (publish_memcached, {}, r"memcached.*\bports\b"),
    "foreign redis service": (foreign_redis, {}, r"redis.*other-redis.*redis_cutover_take_over_redis"),
}


@pytest.mark.parametrize("case", CASES)
def test_unknown_compose_file_is_refused(memcached_host, row, tmp_path, case):
    change, overrides, pattern = CASES[case]
    row.fault, row.injected = case, change.__doc__.strip()
    with host.compose_file_changed(memcached_host, change):
        broken = host.take()
        result = playbook.run("rollout", overrides, verbose=1, log=tmp_path / "run.log")
        check_rejected(row, broken, result, pattern, playbook.secrets())
    assert not host.problems(host.MEMCACHED, memcached_host)
