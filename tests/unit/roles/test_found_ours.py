"""A container the role counts as its own (an interrupted run's memcached, a failed restore's bs-redis) or removes
by name must be this project's service: one of that name that belongs to something else is the user's."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.unit.roles.test_snapshot_image_refs import render

VARS = yaml.safe_load((Path(__file__).resolve().parents[3] / "roles/redis_cutover/vars/main.yml").read_text())


def found(labels):
    return {"exists": True, "container": {"Config": {"Labels": labels}}}


OURS = {"com.docker.compose.project": "business_suite", "com.docker.compose.service": "redis"}


@pytest.mark.parametrize(
    "result, ours",
    [
        (found(OURS), True),
        (found({**OURS, "com.docker.compose.project": "another_app"}), False),
        (found({**OURS, "com.docker.compose.service": "cache"}), False),
        (found(None), False),  # started by hand: no labels at all
        ({"exists": False, "container": {}}, False),
        ({"skipped": True, "changed": False}, False),  # the look-up did not run
    ],
)
def test_only_this_projects_service_is_ours(result, ours):
    value = render(
        VARS["__redis_cutover_found_ours"],
        __redis_cutover_found=result,
        __redis_cutover_found_service="redis",
        __redis_cutover_project_name="business_suite",
    )
    assert str(value).strip() == str(ours)
