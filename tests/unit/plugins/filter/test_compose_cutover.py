"""The compose_to_redis / compose_to_memcached filters: results as dicts, refusals as AnsibleFilterError,
documentation per filter, and a real template run (Ansible's own string and dict types)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.revisbali.business_suite.plugins.filter import compose_cutover

REPO = Path(__file__).resolve().parents[4]
FILE = (
    "services:\n  memcached:\n    image: memcached\n"
    "  bs-core:\n    depends_on: [memcached]\n  bs-worker:\n    image: a\n"
)
REDIS = {"container_name": "bs-redis", "image": "redis:7-alpine"}
MEMCACHED = {"container_name": "memcached", "image": "memcached"}


def ansible_env():
    return dict(
        os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_COLLECTIONS_PATH=str(REPO / "collections")
    )


def test_both_filters_are_registered():
    assert set(compose_cutover.FilterModule().filters()) == {"compose_to_redis", "compose_to_memcached"}


def test_compose_to_redis_returns_text_and_changes():
    result = compose_cutover.compose_to_redis(FILE, redis_service=REDIS)
    assert set(result) == {"text", "changes"}
    assert yaml.safe_load(result["text"])["services"]["bs-core"]["depends_on"] == ["redis"]
    assert result["changes"][0] == "removed service memcached"


def test_compose_to_memcached_reverses_it():
    rolled = compose_cutover.compose_to_redis(FILE, redis_service=REDIS)["text"]
    back = compose_cutover.compose_to_memcached(rolled, memcached_service=MEMCACHED)
    assert yaml.safe_load(back["text"])["services"]["bs-core"]["depends_on"] == ["memcached"]


def test_a_refusal_becomes_a_filter_error_with_the_same_message():
    with pytest.raises(AnsibleFilterError, match=r"^service 'memcached' has ports, which the role's memcached"):
        compose_cutover.compose_to_redis(
            FILE.replace("image: memcached", "image: m\n    ports: [1:1]"), redis_service=REDIS
        )


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: compose_cutover.compose_to_redis(FILE, redis_service=REDIS, no_such=1),
            r"compose_to_redis: .*no_such",
        ),
        (lambda: compose_cutover.compose_to_memcached(FILE), r"compose_to_memcached: .*memcached_service"),
        (
            lambda: compose_cutover.compose_to_redis(None, redis_service=REDIS),
            r"the input must be the compose file's text",
        ),
    ],
)
def test_bad_calls_name_what_is_wrong(call, match):
    with pytest.raises(AnsibleFilterError, match=match):
        call()


def test_subclassed_strings_and_mappings_are_written_as_plain_yaml():
    class Tagged(str):
        pass

    class Vars(dict):
        pass

    redis = Vars(container_name=Tagged("bs-redis"), image=Tagged("redis:7"), ports=[Tagged("1:1")])
    result = compose_cutover.compose_to_redis(
        Tagged(FILE), redis_service=redis, app_image=Tagged("bs-app:web"), dependents=[Tagged("bs-core")],
        worker_stop_grace_period=Tagged("2m"),
    )  # fmt: skip
    assert yaml.safe_load(result["text"])["services"]["redis"] == {"container_name": "bs-redis", "image": "redis:7",
                                                                   "ports": ["1:1"]}  # fmt: skip


def test_the_filters_run_in_a_template(tmp_path):
    playbook, written = tmp_path / "play.yml", tmp_path / "result.json"
    template = "{{ compose | revisbali.business_suite.compose_to_redis(redis_service=redis, app_image=img) | to_json }}"
    play = {
        "hosts": "localhost",
        "gather_facts": False,
        "vars": {"compose": FILE, "redis": REDIS},
        "tasks": [{"ansible.builtin.copy": {"content": template, "dest": str(written), "mode": "0600"}}],
    }
    playbook.write_text(yaml.safe_dump([play]))
    subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
         "-e", "img=bs-app:web", "-e", "ansible_python_interpreter=" + sys.executable, str(playbook)],
        capture_output=True, text=True, env=ansible_env(), cwd=REPO, timeout=120, check=True,
    )  # fmt: skip
    result = json.loads(written.read_text())
    assert "bs-core: image bs-app:web set" in result["changes"]
    assert yaml.safe_load(result["text"])["services"]["redis"] == REDIS


def test_each_filter_has_its_own_documentation():
    out = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-doc"), "-t", "filter", "--json",
         "revisbali.business_suite.compose_to_redis", "revisbali.business_suite.compose_to_memcached"],
        capture_output=True, text=True, env=ansible_env(), cwd=REPO, timeout=120, check=True,
    ).stdout  # fmt: skip
    docs = json.loads(out)
    to_redis = docs["revisbali.business_suite.compose_to_redis"]["doc"]
    to_memcached = docs["revisbali.business_suite.compose_to_memcached"]["doc"]
    assert to_redis["name"] == "compose_to_redis" and to_memcached["name"] == "compose_to_memcached"
    assert {"redis_service", "take_over_redis", "worker_stop_grace_period", "memcached_service"} <= set(
        to_redis["options"]
    )
    assert {"memcached_service", "redis_dependents", "redis_container"} <= set(to_memcached["options"])
    for name in docs:
        assert set(docs[name]["return"]["_value"]["contains"]) == {"text", "changes"}
