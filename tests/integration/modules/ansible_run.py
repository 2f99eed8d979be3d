"""Drive the collection's modules through real Ansible (argument specs and no_log apply)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
COLLECTION = "revisbali.business_suite"
# The interpreter the modules run with on the "managed host"; point it at another environment
# (e.g. one with Debian 12's redis 4.3 / psycopg 3.1 / docker 5.0) to test those libraries.
MODULE_PYTHON = os.environ.get("MODULE_PYTHON", sys.executable)


@dataclass
class AnsibleRun:
    results: list[dict]  # one per task, in order
    output: str  # everything Ansible printed (stdout + stderr), for secret checks
    seconds: float


def ansible_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=str(REPO / "collections"),
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_CALLBACKS_ENABLED="ansible.posix.json",  # only the JSON report on stdout (no profile_tasks)
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_LOCALHOST_WARNING="0",
        PATH=f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
    )
    return env


def run_tasks(tasks: list[tuple[str, dict]], check: bool = False, timeout: float = 300) -> AnsibleRun:
    """Runs ``(module, args)`` tasks in one play on localhost; failures are kept, not raised."""
    play = [
        {
            "hosts": "localhost",
            "gather_facts": False,
            "vars": {"ansible_python_interpreter": MODULE_PYTHON},
            "tasks": [
                {"name": f"task {i}", f"{COLLECTION}.{module}": args, "ignore_errors": True, "check_mode": check}
                for i, (module, args) in enumerate(tasks)
            ],
        }
    ]
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as playbook:
        json.dump(play, playbook)
    started = time.monotonic()
    try:
        proc = subprocess.run(
            ["ansible-playbook", "-i", "localhost,", "-c", "local", playbook.name],
            capture_output=True,
            text=True,
            env=ansible_env(),
            cwd=REPO,
            timeout=timeout,
            check=False,  # the JSON report says what failed
        )
    finally:
        os.unlink(playbook.name)
    seconds = time.monotonic() - started
    report = json.loads(proc.stdout[proc.stdout.index("{") :])
    results = [task["hosts"]["localhost"] for task in report["plays"][0]["tasks"]]
    assert len(results) == len(tasks), proc.stdout + proc.stderr
    return AnsibleRun(results=results, output=proc.stdout + proc.stderr, seconds=seconds)


def run_module(module: str, args: dict, check: bool = False) -> dict:
    """One module call through ansible-playbook; returns its result."""
    return run_tasks([(module, args)], check=check).results[0]


def run_module_file(module: str, args: dict, check: bool = False) -> tuple[dict, float]:
    """The module as Ansible runs it on the host, minus Ansible's own start-up: ``python module.py args.json``.

    Returns (result, wall seconds), to measure what one call costs.
    """
    payload = dict(args, _ansible_check_mode=check)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": payload}, handle)
    env = dict(os.environ, PYTHONPATH=str(REPO / "collections"))
    started = time.monotonic()
    try:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                f"ansible_collections.revisbali.business_suite.plugins.modules.{module}",
                handle.name,
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,  # a failing module exits non-zero with its JSON result
        )
    finally:
        os.unlink(handle.name)
    return json.loads(proc.stdout), time.monotonic() - started
