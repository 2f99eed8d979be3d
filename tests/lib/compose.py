"""Compose's canonical form of a project's file, to compare two versions of it on meaning rather than text."""

from __future__ import annotations

import json
from pathlib import Path

from tests.lib import sandbox


def config(compose_file: Path, project_dir: Path = sandbox.SANDBOX_DIR) -> dict:
    """`docker compose config` of `compose_file` in `project_dir`, every profile on, ${VAR}s and env files left
    unresolved: the result does not depend on .env and holds no secret."""
    argv = ["docker", "compose", "--project-directory", str(project_dir), "--file", str(compose_file), "--profile", "*"]
    out = sandbox.run([*argv, "config", "--no-interpolate", "--no-env-resolution", "--format", "json"])
    return json.loads(out.stdout)


def changed_keys(old: dict, new: dict) -> dict[str, list[str]]:
    """Per service present in both configs, the top-level keys whose values differ (only services with some)."""
    changed = {}
    for name in sorted(set(old["services"]) & set(new["services"])):
        before, after = old["services"][name], new["services"][name]
        keys = sorted(key for key in {*before, *after} if before.get(key) != after.get(key))
        if keys:
            changed[name] = keys
    return changed
