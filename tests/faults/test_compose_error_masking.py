"""A compose file that `docker compose config` rejects with a message quoting a secret from .env, without naming
the env file: the rollout must stop before any change and show the error with the value named by its key, never
the value itself (nor the part of it compose quoted)."""

from __future__ import annotations

import re

import pytest

from tests.faults import host, playbook
from tests.faults.test_rejected_inputs import check_rejected

pytestmark = pytest.mark.sandbox


def secret_as_cpus(text: str) -> str:
    """bs-core's cpus set from SECRET_KEY: compose quotes the whole interpolated value."""
    return re.sub(r"^  bs-core:\n", "  bs-core:\n    cpus: ${SECRET_KEY}\n", text, count=1, flags=re.MULTILINE)


def secret_as_mem_limit(text: str) -> str:
    """bs-core's mem_limit set from SECRET_KEY: compose quotes only the part of the value it could parse."""
    return re.sub(r"^  bs-core:\n", "  bs-core:\n    mem_limit: ${SECRET_KEY}\n", text, count=1, flags=re.MULTILINE)


CASES = {
    "secret quoted whole": (secret_as_cpus, r"<value of SECRET_KEY>"),
    "secret quoted in part": (secret_as_mem_limit, r"<(part of the )?value of SECRET_KEY>"),
}


@pytest.mark.parametrize("case", CASES)
def test_compose_error_quoting_a_secret_is_masked(memcached_host, row, tmp_path, case):
    change, masked = CASES[case]
    row.fault, row.injected = case, change.__doc__.strip()
    secrets = playbook.secrets()
    secret_key = next(value for value, key in secrets.items() if key == "SECRET_KEY")
    with host.compose_file_changed(memcached_host, change):
        broken = host.take()
        result = playbook.run("rollout", {}, verbose=1, log=tmp_path / "run.log")
        check_rejected(row, broken, result, r"compose file fails `docker compose config`", secrets)
    # compose's message goes on over several lines: the value is named there by its key.
    assert re.search(masked, result.output), f"compose's message is not shown with the value masked: {result}"
    # Nothing of the value either: compose quoted a prefix of it in the mem_limit case.
    quoted = re.findall(r'"([^"]{4,})"', result.output)
    assert not [fragment for fragment in quoted if fragment in secret_key], "a part of SECRET_KEY is shown"
    assert not host.problems(host.MEMCACHED, memcached_host)
