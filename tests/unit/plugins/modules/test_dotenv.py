"""The dotenv module, run as Ansible runs it (a JSON args file), against real files in a temp dir."""

import json
import os
import stat

import pytest

from . import module_run

ENV = "# settings\nSECRET_KEY=topsecret\nMEMCACHED_LOCATION=memcached:11211\nDEBUG=False\n"


def run_module(tmp_path, check=False, **args):
    return module_run.run_module(tmp_path, "dotenv", check=check, diff=True, **args)


@pytest.fixture
def env_file(tmp_path):
    path = tmp_path / ".env"
    path.write_text(ENV)
    path.chmod(0o644)
    return path


def test_check_mode_predicts_and_writes_nothing(tmp_path, env_file):
    result = run_module(tmp_path, check=True, path=str(env_file), set={"REDIS_HOST": "bs-redis"})
    assert result["changed"] is True
    assert env_file.read_text() == ENV
    assert "topsecret" not in json.dumps(result)


def test_sets_removes_keeps_the_rest_and_keeps_the_mode(tmp_path, env_file):
    env_file.chmod(0o640)  # readable by an app group, as hosts often have it
    result = run_module(
        tmp_path, path=str(env_file), set={"REDIS_HOST": "bs-redis"}, remove=["MEMCACHED_LOCATION"], header="# Redis"
    )
    assert result["changed"] is True
    assert env_file.read_text() == "# settings\nSECRET_KEY=topsecret\nDEBUG=False\n# Redis\nREDIS_HOST=bs-redis\n"
    assert stat.S_IMODE(os.stat(env_file).st_mode) == 0o640
    assert "topsecret" not in json.dumps(result)
    again = run_module(
        tmp_path, path=str(env_file), set={"REDIS_HOST": "bs-redis"}, remove=["MEMCACHED_LOCATION"], header="# Redis"
    )
    assert again["changed"] is False


def test_src_restores_a_file_byte_for_byte(tmp_path, env_file):
    snapshot = tmp_path / "snapshot.env"
    snapshot.write_text(ENV)
    env_file.write_text("SECRET_KEY=topsecret\nREDIS_HOST=bs-redis\n")
    result = run_module(tmp_path, path=str(env_file), src=str(snapshot), show_keys=["REDIS_HOST"])
    assert result["changed"] is True
    assert env_file.read_bytes() == snapshot.read_bytes()
    assert result["removed_keys"] == ["REDIS_HOST"]
    assert "topsecret" not in json.dumps(result)


def test_malformed_file_fails_before_writing(tmp_path, env_file):
    env_file.write_text("A=1\nnot a key value line with secret hunter2\n")
    result = run_module(tmp_path, path=str(env_file), set={"B": "2"})
    assert result["failed"] is True
    assert "line 2" in result["msg"]
    assert "hunter2" not in result["msg"]
    assert env_file.read_text() == "A=1\nnot a key value line with secret hunter2\n"


def test_dest_stages_without_touching_the_source(tmp_path, env_file):
    dest = tmp_path / "staged.env"
    result = run_module(tmp_path, path=str(env_file), dest=str(dest), set={"REDIS_HOST": "bs-redis"})
    assert result["changed"] is True
    assert env_file.read_text() == ENV
    assert dest.read_text().endswith("REDIS_HOST=bs-redis\n")
    assert result["differs_from_path"] is True


def test_dest_says_whether_the_staged_content_equals_the_source(tmp_path, env_file):
    # What a rerun's plan reads: the live file already has the keys, so staging it again would change nothing,
    # even though writing a fresh staging file is itself a change.
    dest = tmp_path / "staged.env"
    result = run_module(tmp_path, path=str(env_file), dest=str(dest), set={"DEBUG": "False"})
    assert (result["changed"], result["differs_from_path"]) == (True, False)
    assert dest.read_bytes() == env_file.read_bytes()


def test_a_created_file_gets_0600_and_mode_is_enforced_when_given(tmp_path):
    created = tmp_path / "new.env"
    result = run_module(tmp_path, path=str(created), set={"REDIS_HOST": "bs-redis"}, create=True)
    assert result["changed"] is True
    assert stat.S_IMODE(os.stat(created).st_mode) == 0o600
    again = run_module(tmp_path, path=str(created), set={"REDIS_HOST": "bs-redis"}, mode="0640")
    assert again["changed"] is True
    assert stat.S_IMODE(os.stat(created).st_mode) == 0o640


@pytest.mark.parametrize(
    "case, reason",
    [
        ("missing file", "file"),
        ("malformed file", "format"),
        ("bad key", "input"),
        ("unknown option", "input"),
        ("src and set together", "input"),
        ("missing directory", "file"),
        ("unknown owner", "file"),
    ],
)
def test_every_failure_carries_a_reason(tmp_path, env_file, case, reason):
    args = {
        "missing file": dict(path=str(tmp_path / "absent.env"), set={"A": "1"}),
        "malformed file": dict(path=str(env_file), set={"A": "1"}),
        "bad key": dict(path=str(env_file), set={"NOT A KEY": "1"}),
        "unknown option": dict(path=str(env_file), sett={"A": "1"}),
        "src and set together": dict(path=str(env_file), src=str(env_file), set={"A": "1"}),
        "missing directory": dict(path=str(env_file), dest=str(tmp_path / "absent" / ".env"), set={"A": "1"}),
        "unknown owner": dict(path=str(env_file), set={"A": "1"}, owner="no-such-user-here"),
    }[case]
    if case == "malformed file":
        env_file.write_text("not a key value line\n")
    result = run_module(tmp_path, **args)
    assert result["failed"] is True
    assert result["reason"] == reason, result["msg"]
