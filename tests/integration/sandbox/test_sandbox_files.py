"""The sandbox's Redis-era file is what the role's edit makes of its memcached-era one, and back: the stack
`up.sh --release redis` brings up is the one a rollout leaves, and a rollback without a snapshot gives back
the memcached-era stack. Compared on compose's canonical form (no engine needed; the images' @NAMES@ are
the same placeholders on both sides)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.lib import compose

ROOT = Path(__file__).resolve().parents[3]
HOST_FILES = ROOT / "sandbox" / "host"
PLACEHOLDERS = {
    "redis_cutover_redis_image": "@REDIS_IMAGE@",
    "redis_cutover_memcached_image": "@MEMCACHED_IMAGE@",
    "redis_cutover_app_image": "@APP_REDIS_IMAGE@",
    "redis_cutover_previous_app_image": "@APP_MEMCACHED_IMAGE@",
}


@pytest.fixture(scope="module")
def edited(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("edited")
    playbook = Path(__file__).with_name("edit_sandbox_files.yml")
    extra = json.dumps({**PLACEHOLDERS, "out_dir": str(out)})
    subprocess.run(["ansible-playbook", str(playbook), "-e", extra], cwd=ROOT, check=True, capture_output=True)
    return out


@pytest.mark.parametrize(
    ("result", "expected"),
    [("rolled-out.yml", "docker-compose.redis.yml"), ("rolled-back.yml", "docker-compose.yml")],
)
def test_the_role_edit_gives_the_other_sandbox_file(edited, tmp_path, result, expected):
    assert compose.config(edited / result, tmp_path) == compose.config(HOST_FILES / expected, tmp_path)
