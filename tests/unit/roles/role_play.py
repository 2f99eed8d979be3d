"""Run a few of the role's own tasks (or templates) on localhost with the role's defaults and vars, for the unit
tests that judge what a task decides from a host report without a host: one ansible-playbook run per test module."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[3]
ROLE = REPO / "roles/redis_cutover"


def task(file: str, name: str) -> dict:
    """The task called `name` in tasks/<file>, as the role ships it."""
    (found,) = [item for item in yaml.safe_load((ROLE / "tasks" / file).read_text()) if item["name"] == name]
    return found


def run(work: Path, tasks: list[dict], extra: dict) -> None:
    """Run `tasks` in `work` (where templates/ is the role's) with the role's defaults and vars as the play's vars
    files (so that a task's own vars override them, as in the role), and `extra` as extra vars."""
    play = {"hosts": "localhost", "gather_facts": False, "vars_files": ["defaults.yml", "vars.yml"], "tasks": tasks}
    (work / "play.yml").write_text(yaml.safe_dump([play], sort_keys=False))
    (work / "defaults.yml").write_text((ROLE / "defaults/main.yml").read_text())
    (work / "vars.yml").write_text((ROLE / "vars/main.yml").read_text())
    (work / "templates").symlink_to(ROLE / "templates")
    extra = {"ansible_python_interpreter": sys.executable, **extra}
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_COLLECTIONS_PATH=str(REPO / "collections"))
    argv = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local", "play.yml"]
    argv += ["-e", json.dumps(extra)]
    proc = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]


def write_out(expression: str) -> dict:
    """A task that writes the value of `expression` as JSON to {{ out }}."""
    return {
        "name": "Write the results",
        "ansible.builtin.copy": {"content": f"{{{{ {expression} | to_json }}}}", "dest": "{{ out }}", "mode": "0600"},
    }
