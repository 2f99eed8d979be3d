"""The stack_facts module, run as Ansible runs it (a JSON args file), against real paths in a temp dir and a
stand-in `docker` CLI on PATH (a shell script printing what the real CLI prints), so each engine answer can be
given: up, down, denied, a missing container, a daemon error. tests/integration/modules reads the real engine."""

import json
import os

import pytest

from . import module_run
from .module_run import fake_docker

DB = {
    "Id": "3f2a",
    "Name": "/bs-db",
    "Image": "sha256:1c0d",
    "Config": {
        "Image": "postgres:16",
        "Env": ["POSTGRES_PASSWORD=topsecret"],
        "Labels": {"com.docker.compose.service": "db"},
    },
    "State": {"Status": "running", "Pid": 42},
    "NetworkSettings": {"Networks": {"dockernet": {"IPAddress": "172.28.0.2", "MacAddress": "02:42"}}},
}
APP_IMAGE = {"Id": "sha256:5994", "RepoTags": ["bs-app:release-redis"]}
NETWORK = {
    "Name": "dockernet",
    "Containers": {"3f2a": {"Name": "bs-db", "IPv4Address": "172.28.0.2/16", "MacAddress": "x"}},
}
# What `docker top bs-core -o pid,args` prints while a handoff worker runs beside gunicorn.
TOP = """PID                 COMMAND
18944               /opt/venv/bin/python3 /opt/venv/bin/gunicorn business_suite.wsgi:application --workers 2
20117               /opt/venv/bin/python3 /opt/venv/bin/pgq run business_suite.pgqueue:factory
20200               sh -c echo pgq run business_suite.pgqueue:factory2 > /tmp/x"""
UP = f"""
TOP='{TOP}'

case "$1 $2" in
  "info --format") printf '24.0.7\\t/var/lib/docker\\n' ;;
  "compose version") echo 2.24.5 ;;
  "network inspect") [ "$3" = dockernet ] && echo '{json.dumps(NETWORK)}' ||
    {{ echo "Error response from daemon: network $3 not found" >&2; exit 1; }} ;;
  "image inspect") [ "$3" = bs-app:release-redis ] && echo '{json.dumps(APP_IMAGE)}' ||
    {{ echo "Error response from daemon: No such image: $3" >&2; exit 1; }} ;;
  "top bs-core") printf '%s\n' "$TOP" ;;
  "top bs-worker") echo "Error response from daemon: Container 9e1f is not running" >&2; exit 1 ;;
  "top bs-gone") echo "Error response from daemon: No such container: bs-gone" >&2; exit 1 ;;
  "container inspect") shift 2; rc=0
    for name in "$@"; do case "$name" in
      bs-db) echo '{json.dumps(DB)}' ;;
      --format|'{{{{json .}}}}') ;;
      *) echo "Error: No such container: $name" >&2; rc=1 ;;
    esac; done; exit $rc ;;
esac
"""


def run_module(tmp_path, bin_dir, check=False, **args):
    return module_run.run_module(tmp_path, "stack_facts", check=check, bin_dir=bin_dir, **args)


@pytest.fixture
def up(tmp_path):
    return fake_docker(tmp_path, UP)


def test_paths_and_user_are_what_the_host_says(tmp_path, up):
    env = tmp_path / ".env"
    env.write_text("A=1\n")
    env.chmod(0o640)
    result = run_module(tmp_path, up, paths={"dir": str(tmp_path), "env": str(env), "gone": str(tmp_path / "nope")})
    assert result["changed"] is False and "failed" not in result
    paths = result["paths"]
    assert paths["env"] == {
        "path": str(env), "exists": True, "isdir": False, "writeable": True, "uid": os.getuid(), "gid": os.getgid(),
        "mode": "0640", "pw_name": paths["env"]["pw_name"], "gr_name": paths["env"]["gr_name"],
    }  # fmt: skip
    assert paths["dir"]["isdir"] is True
    assert paths["gone"] == {"path": str(tmp_path / "nope"), "exists": False, "isdir": False}
    assert result["user"]["uid"] == os.geteuid() and os.getegid() in result["user"]["gids"]


def test_dotenv_files_give_their_key_count_or_why_they_cannot_be_read_never_their_content(tmp_path, up):
    good, bad, unreadable = tmp_path / "good.env", tmp_path / "bad.env", tmp_path / "unreadable.env"
    good.write_text("# comment\nA=1\nDB_PASS='s3cr3t-value'\n")
    bad.write_text("A=1\nDB_PASS=s3cr3t-value\nnot an assignment s3cr3t-value\n")
    unreadable.write_text("A=1\n")
    unreadable.chmod(0)
    paths = {"good": str(good), "bad": str(bad), "unreadable": str(unreadable), "gone": str(tmp_path / "nope")}
    result = run_module(tmp_path, up, paths=paths, dotenv=["good", "bad", "unreadable", "gone"])
    facts = result["paths"]
    assert facts["good"]["dotenv"] == {"keys": 2, "error": ""}
    assert facts["bad"]["dotenv"] == {
        "keys": 0,
        "error": "%s: line 3 is not KEY=VALUE, a comment or a blank line (content not shown)" % bad,
    }
    if os.geteuid() != 0:  # root reads a 0000 file
        assert facts["unreadable"]["dotenv"]["error"] == "cannot read %s: Permission denied" % unreadable
    assert "dotenv" not in facts["gone"]
    assert "s3cr3t" not in json.dumps(result)


def test_text_files_give_their_text_or_why_they_cannot_be_read(tmp_path, up):
    compose, latin1, unreadable = tmp_path / "docker-compose.yml", tmp_path / "latin1.yml", tmp_path / "unreadable.yml"
    compose.write_text("# the user's comment\nservices:\n  bs-core: {image: 'bs-app:web'}  # é\n")
    latin1.write_bytes(b"services: {}\n# caf\xe9\n")
    unreadable.write_text("services: {}\n")
    unreadable.chmod(0)
    paths = {name: str(path) for name, path in [("compose", compose), ("latin1", latin1), ("unreadable", unreadable)]}
    paths.update(gone=str(tmp_path / "nope"), dir=str(tmp_path), env=str(tmp_path / "nope.env"))
    result = run_module(tmp_path, up, check=True, paths=paths, text=["compose", "latin1", "unreadable", "gone", "dir"])
    facts = result["paths"]
    assert facts["compose"]["text"] == compose.read_text() and facts["compose"]["text_error"] == ""
    assert facts["latin1"] == {**facts["latin1"], "text": "", "text_error": "%s is not UTF-8 text (byte 18)" % latin1}
    if os.geteuid() != 0:  # root reads a 0000 file
        assert facts["unreadable"]["text_error"] == "%s cannot be read: Permission denied" % unreadable
    assert all("text" not in facts[name] for name in ("gone", "dir", "env"))


def test_engine_network_and_containers_without_their_environment(tmp_path, up):
    result = run_module(
        tmp_path, up, check=True, free_space=[str(tmp_path)], network="dockernet", containers=["bs-db", "bs-gone"]
    )
    assert result["engine"] == {"cli": True, "rc": 0, "version": "24.0.7", "root_dir": "/var/lib/docker", "error": ""}
    assert result["compose"] == {"rc": 0, "version": "2.24.5", "error": ""}
    assert result["network"] == {
        "exists": True,
        "containers": {"3f2a": {"Name": "bs-db", "IPv4Address": "172.28.0.2/16"}},
    }
    assert result["containers"]["bs-gone"] == {"exists": False, "container": {}}
    db = result["containers"]["bs-db"]
    assert db["exists"] is True
    assert db["container"] == {
        "Id": "3f2a", "Name": "/bs-db", "Image": "sha256:1c0d",
        "Config": {"Image": "postgres:16", "Labels": {"com.docker.compose.service": "db"}},
        "State": {"Status": "running"}, "NetworkSettings": {"Networks": {"dockernet": {"IPAddress": "172.28.0.2"}}},
    }  # fmt: skip
    assert "topsecret" not in json.dumps(result)
    assert set(result["free_mb"]) >= {str(tmp_path)}
    assert all(isinstance(v, int) and v >= 0 for v in result["free_mb"].values())


def test_a_missing_network_is_a_fact(tmp_path, up):
    assert run_module(tmp_path, up, network="othernet")["network"] == {"exists": False, "containers": {}}


def test_no_docker_cli_is_reported_not_failed(tmp_path):
    result = run_module(tmp_path, None, network="dockernet", containers=["bs-db"])
    assert "failed" not in result
    assert result["engine"]["cli"] is False and result["engine"]["rc"] is None
    assert result["containers"] == {"bs-db": {"exists": False, "container": {}}}
    assert result["network"]["exists"] is False and result["compose"]["rc"] is None


def test_an_engine_this_user_may_not_use_is_reported_and_not_read(tmp_path):
    denied = "permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock"
    bin_dir = fake_docker(
        tmp_path, f'case "$1" in info) echo "{denied}" >&2; exit 1 ;; compose) echo 2.24.5 ;; *) exit 99 ;; esac\n'
    )
    result = run_module(tmp_path, bin_dir, network="dockernet", containers=["bs-db"])
    assert result["engine"]["rc"] == 1 and denied in result["engine"]["error"]
    assert result["containers"] == {"bs-db": {"exists": False, "container": {}}}  # not asked (exit 99 would fail)
    assert "failed" not in result


def test_a_daemon_error_on_inspect_fails_with_reason_container(tmp_path):
    script = UP.replace(
        '"container inspect") shift 2',
        '"container inspect") echo "Error response from daemon: i/o timeout" >&2; exit 1; shift 2',
    )
    result = run_module(tmp_path, fake_docker(tmp_path, script), containers=["bs-db"])
    assert result["failed"] is True and result["reason"] == "container"
    assert "i/o timeout" in result["msg"]


def test_processes_running_a_command_are_found_by_pid_and_their_command_lines_not_returned(tmp_path, up):
    command = ["pgq", "run", "business_suite.pgqueue:factory"]
    result = run_module(tmp_path, up, processes={"bs-core": command, "bs-worker": command, "bs-gone": command})
    assert result["processes"] == {"bs-core": [20117], "bs-worker": [], "bs-gone": []}
    assert "gunicorn" not in json.dumps(result)


def test_images_are_found_by_reference(tmp_path, up):
    result = run_module(tmp_path, up, images=["bs-app:release-redis", "redis:7"])
    assert result["images"] == {
        "bs-app:release-redis": {"exists": True, "Id": "sha256:5994"},
        "redis:7": {"exists": False, "Id": ""},
    }


def test_a_daemon_error_on_top_fails_with_reason_container(tmp_path):
    failing = '"top bs-core") echo "Error response from daemon: EOF" >&2; exit 1; printf'
    script = UP.replace('"top bs-core") printf', failing)
    result = run_module(tmp_path, fake_docker(tmp_path, script), processes={"bs-core": ["pgq"]})
    assert result["failed"] is True and result["reason"] == "container" and "EOF" in result["msg"]


@pytest.mark.parametrize(
    "args",
    [
        {"paths": {"env": "relative/.env"}},
        {"containers": "not-a-list-of-names", "paths": []},
        {"processes": {"bs-core": "pgq run"}},
        {"processes": {"bs-core": []}},
        {"paths": {"env": "/srv/.env"}, "dotenv": ["compose"]},
        {"paths": {"env": "/srv/.env"}, "text": ["compose"]},
    ],
)
def test_bad_input_is_rejected_with_reason_input(tmp_path, up, args):
    result = run_module(tmp_path, up, **args)
    assert result["failed"] is True and result["reason"] == "input"
