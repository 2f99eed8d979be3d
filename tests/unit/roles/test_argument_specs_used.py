"""Every option the role's argument specs document is read somewhere: an option nothing reads is a promise
the code does not keep (as redis_cutover_snapshots_keep once was). The defaults file and the specs themselves
only declare options, so they do not count as readers; the playbooks do (serial, max_fail_percentage)."""

import functools
import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
ROLE = REPO / "roles" / "redis_cutover"
READERS = [ROLE / "tasks", ROLE / "templates", ROLE / "vars", ROLE / "handlers", ROLE / "files", REPO / "playbooks"]


def documented_options():
    specs = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    return sorted({name for entry in specs.values() for name in entry.get("options", {})})


@functools.lru_cache(maxsize=1)
def reader_text():
    return "\n".join(
        path.read_text()
        for folder in READERS
        if folder.is_dir()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    )


def test_the_specs_document_options():
    assert len(documented_options()) > 50


@pytest.mark.parametrize("option", documented_options())
def test_the_option_is_read_by_the_role(option):
    assert re.search(r"\b%s\b" % re.escape(option), reader_text()), (
        f"{option} is documented in meta/argument_specs.yml but no task, template, var file or playbook reads it"
    )
