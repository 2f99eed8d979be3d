"""Running a module as Ansible runs it (a JSON args file, a fresh Python), and a stand-in ``docker`` CLI for the
modules that ask the engine: a shell script on PATH printing what the real CLI prints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[4]
PACKAGE = "ansible_collections.revisbali.business_suite.plugins.modules."


def run_module(tmp_path, module, check=False, diff=False, bin_dir=None, **args):
    """The module's JSON result. ``bin_dir`` (from fake_docker) is put first on PATH; without it, PATH holds no
    command at all (a host without the docker CLI)."""
    args_file = tmp_path / "args.json"
    module_args = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": module_args}))
    env = dict(os.environ, PATH=f"{bin_dir}:/usr/bin:/bin" if bin_dir else str(tmp_path / "nothing"))
    proc = subprocess.run(
        [sys.executable, "-m", PACKAGE + module, str(args_file)],
        cwd=REPO / "collections", capture_output=True, text=True, check=False, env=env,
    )  # fmt: skip
    return json.loads(proc.stdout)


def fake_docker(tmp_path, script):
    """A directory holding a ``docker`` that runs ``script`` (sh); an empty script is a CLI that answers nothing."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    docker = bin_dir / "docker"
    docker.write_text("#!/bin/sh\n" + script)
    docker.chmod(0o755)
    return bin_dir
