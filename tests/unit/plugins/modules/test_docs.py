"""Both modules' documentation renders through ansible-doc, shared options included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[4]
CONNECTION_OPTIONS = {"url", "host", "port", "db", "username", "password", "tls", "validate_certs", "ca_cert",
                      "client_cert", "client_key", "connect_timeout"}  # fmt: skip


def ansible_doc(*args):
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_COLLECTIONS_PATH=str(REPO / "collections"))
    return subprocess.run(
        [str(Path(sys.executable).parent / "ansible-doc"), "-t", "module", *args],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=120, check=True,
    ).stdout  # fmt: skip


@pytest.fixture(scope="module")
def docs():
    names = ["revisbali.business_suite.redis_smoke", "revisbali.business_suite.pgqueuer_probe"]
    return json.loads(ansible_doc("--json", *names))


def test_redis_smoke_documents_the_shared_connection_options(docs):
    doc = docs["revisbali.business_suite.redis_smoke"]["doc"]
    assert set(doc["options"]) >= CONNECTION_OPTIONS
    assert doc["options"]["url"]["type"] == "str"
    assert set(doc["attributes"]) == {"check_mode", "diff_mode", "idempotent"}
    assert docs["revisbali.business_suite.redis_smoke"]["return"]["reason"]


def test_pgqueuer_probe_takes_them_as_redis_suboptions(docs):
    doc = docs["revisbali.business_suite.pgqueuer_probe"]["doc"]
    assert set(doc["options"]["redis"]["suboptions"]) == CONNECTION_OPTIONS
    assert {"dsn", "db_host", "db_port", "db_name", "db_user", "db_password", "sslmode"} <= set(doc["options"])
    assert set(doc["attributes"]) == {"check_mode", "diff_mode", "idempotent"}


@pytest.mark.parametrize("module", ["redis_smoke", "pgqueuer_probe"])
def test_text_rendering(module):
    text = ansible_doc(f"revisbali.business_suite.{module}")
    assert "EXAMPLES:" in text and "RETURN VALUES:" in text
