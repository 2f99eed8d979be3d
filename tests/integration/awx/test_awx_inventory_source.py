"""The inventory source: the import AWX runs on inventories/production works without the vault password,
and it holds hosts for every play of the job templates' playbooks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import awx_data as d
import pytest
import yaml

BIN = Path(sys.executable).parent
DATA = d.load_data()
SOURCES = [item for item in DATA["controller_inventory_sources"] if item["source"] == "scm"]
PLAYS = [
    (template["name"], play["hosts"])
    for template in DATA["controller_templates"]
    for play in yaml.safe_load((d.REPO / template["playbook"]).read_text())
]


def run(*args: str) -> str:
    return subprocess.run(args, cwd=d.REPO, check=True, capture_output=True, text=True, timeout=120).stdout


@pytest.mark.parametrize("source", SOURCES, ids=[source["name"] for source in SOURCES])
def test_the_import_awx_runs_works_without_the_vault_password(source):
    inventory = json.loads(run(BIN / "ansible-inventory", "-i", source["source_path"], "--list", "--export"))
    assert inventory["_meta"]["hostvars"], f"{source['source_path']} has no hosts"


@pytest.mark.parametrize(("template", "pattern"), PLAYS, ids=[f"{name}: {hosts}" for name, hosts in PLAYS])
def test_every_play_of_the_templates_finds_hosts_in_the_inventory(template, pattern):
    (source,) = SOURCES
    listed = run(BIN / "ansible", pattern, "-i", source["source_path"], "--list-hosts")
    assert "hosts (0)" not in listed, f"{template}: no host of {source['source_path']} matches {pattern}"
