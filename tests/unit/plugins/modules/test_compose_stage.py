"""The compose_stage module, run as Ansible runs it, against a stand-in `docker` CLI that keeps what compose was
given on stdin and answers as `docker compose config` does: valid, or a message quoting (part of) a value. The
real compose's messages are exercised by tests/faults/test_compose_error_masking.py."""

import pytest

from . import module_run
from .module_run import fake_docker

COMPOSE = "services:\n  bs-core:\n    image: bs-app:1\n"
SECRET = "s3cr3t-Ek5447Qo"
LIVE_ONLY = "old-redis-password"
# Keeps its stdin and argv; exits with $ANSWER's rc, printing $ANSWER's message on stderr.
CONFIG = """
cat > "$(dirname "$0")/stdin"
echo "$@" > "$(dirname "$0")/argv"
[ -z "$COMPOSE_ERROR" ] || { printf '%s\\n' "$COMPOSE_ERROR" >&2; exit 1; }
"""


@pytest.fixture
def files(tmp_path):
    stage = tmp_path / "staging"
    stage.mkdir()
    (stage / ".env").write_text(f'SECRET_KEY="{SECRET}"\nDEBUG=off\n')
    (tmp_path / "live.env").write_text(f"REDIS_PASSWORD={LIVE_ONLY}\nSECRET_KEY=other-value-1234\n")
    return stage


def run(tmp_path, files, error="", check=False, **args):
    bin_dir = fake_docker(tmp_path, f"COMPOSE_ERROR='{error}'\n" + CONFIG)
    params = dict(
        dest=str(files / "docker-compose.yml"), env_file=str(files / ".env"), mask_from=[str(tmp_path / "live.env")],
        project_dir=str(tmp_path), project_name="business_suite",
    )  # fmt: skip
    params.update(args)
    return module_run.run_module(tmp_path, "compose_stage", check=check, bin_dir=bin_dir, **params), bin_dir


def test_valid_text_is_validated_as_compose_reads_it_then_written_0600(tmp_path, files):
    result, bin_dir = run(tmp_path, files, content=COMPOSE)
    assert result["changed"] is True and "failed" not in result
    staged = files / "docker-compose.yml"
    assert staged.read_text() == COMPOSE and staged.stat().st_mode & 0o777 == 0o600
    assert (bin_dir / "stdin").read_text() == COMPOSE
    argv = (bin_dir / "argv").read_text().split()
    assert argv == ["compose", "--project-directory", str(tmp_path), "--project-name", "business_suite",
                    "--env-file", str(files / ".env"), "--file", "-", "config", "--quiet"]  # fmt: skip
    again = run(tmp_path, files, content=COMPOSE)[0]
    assert again["changed"] is False


def test_a_snapshot_copy_is_staged_from_src(tmp_path, files):
    kept = tmp_path / "snapshot-compose.yml"
    kept.write_text(COMPOSE)
    result = run(tmp_path, files, src=str(kept))[0]
    assert result["changed"] is True and (files / "docker-compose.yml").read_text() == COMPOSE
    # The text comes back, so that the caller puts it in place without reading the staged copy again.
    assert result["content"] == COMPOSE


def test_check_mode_validates_and_writes_nothing(tmp_path, files):
    result, bin_dir = run(tmp_path, files, check=True, content=COMPOSE)
    assert result["changed"] is True and (bin_dir / "stdin").read_text() == COMPOSE
    assert not (files / "docker-compose.yml").exists()
    # The caller gave the text: it does not come back (masked, it could differ from what was staged).
    assert "content" not in result


@pytest.mark.parametrize(
    "error, shown",
    [
        (f'parsing "{SECRET}": invalid syntax', 'parsing "<value of SECRET_KEY>": invalid syntax'),
        ('parsing "s3cr3t-E": invalid syntax', 'parsing "<part of the value of SECRET_KEY>": invalid syntax'),
        (f"cannot use {LIVE_ONLY} here", "cannot use <value of REDIS_PASSWORD> here"),
        ('parsing "off": invalid', 'parsing "off": invalid'),  # shorter than 4: not taken for a value
    ],
)
def test_a_rejection_names_values_by_key_and_writes_nothing(tmp_path, files, error, shown):
    result = run(tmp_path, files, error=error, content=COMPOSE)[0]
    assert result["failed"] is True and result["reason"] == "format"
    assert result["msg"] == "the staged compose file fails `docker compose config`: " + shown
    assert SECRET not in str(result) and LIVE_ONLY not in str(result) and "s3cr3t-E" not in result["msg"]
    assert not (files / "docker-compose.yml").exists()


def test_an_env_file_compose_cannot_read_hides_every_quoted_fragment(tmp_path, files):
    (files / ".env").write_text('SECRET_KEY="unclosed\nNEXT=1\n')
    error = f'failed to read {files}/.env: line 1: unterminated quoted value "unclosed'
    result = run(tmp_path, files, error=error, content=COMPOSE)[0]
    assert result["msg"].endswith('failed to read .env: line 1: unterminated quoted value "<hidden>"')
    assert "unclosed" not in result["msg"]


@pytest.mark.parametrize(
    "args, reason",
    [
        ({"content": COMPOSE, "src": "/etc/hostname"}, "input"),
        ({}, "input"),
        ({"content": COMPOSE, "dest": "/nonexistent-dir/docker-compose.yml"}, "input"),
        ({"src": "/nonexistent-dir/docker-compose.yml"}, "file"),
    ],
)
def test_bad_input_is_rejected_before_compose_is_asked(tmp_path, files, args, reason):
    result, bin_dir = run(tmp_path, files, **args)
    assert result["failed"] is True and result["reason"] == reason
    assert not (bin_dir / "stdin").exists()


def test_no_docker_cli_fails_with_a_reason(tmp_path, files):
    params = dict(content=COMPOSE, dest=str(files / "c.yml"), env_file=str(files / ".env"), project_dir=str(tmp_path),
                  project_name="p")  # fmt: skip
    result = module_run.run_module(tmp_path, "compose_stage", **params)
    assert result["failed"] is True and result["reason"] == "format" and "no docker CLI" in result["msg"]


# The .env staged in the same call: compose is asked beside its content (a temporary copy it keeps here) before
# either file is written.
KEEP_ENV = (
    CONFIG
    + """
while [ $# -gt 0 ]; do [ "$1" = --env-file ] && cat "$2" > "$(dirname "$0")/env-seen"; shift; done
"""
)
LIVE_ENV = f"# app\nSECRET_KEY={SECRET}\nMEMCACHED_LOCATION=bs-memcached:11211\n"
REDIS_KEYS = {"REDIS_HOST": "bs-redis", "REDIS_URL": "redis://:pa55-w0rd-x@bs-redis:6379/1"}


def run_env(tmp_path, files, env, error="", check=False, again=False):
    (tmp_path / "live.env").write_text(LIVE_ENV)
    if not again:
        (files / ".env").unlink()  # the fixture's: with env, the module makes it
    bin_dir = fake_docker(tmp_path, f"COMPOSE_ERROR='{error}'\n" + KEEP_ENV)
    params = dict(
        content=COMPOSE, dest=str(files / "docker-compose.yml"), env_file=str(files / ".env"),
        env=dict({"path": str(tmp_path / "live.env")}, **env), mask_from=[str(tmp_path / "live.env")],
        project_dir=str(tmp_path), project_name="business_suite",
    )  # fmt: skip
    return module_run.run_module(tmp_path, "compose_stage", check=check, bin_dir=bin_dir, **params), bin_dir


def test_the_env_is_made_from_the_live_one_and_validated_with_the_compose_file(tmp_path, files):
    edit = {"set": REDIS_KEYS, "remove": ["MEMCACHED_LOCATION"], "header": "# Redis"}
    result, bin_dir = run_env(tmp_path, files, edit)
    assert result["changed"] is True and result["env_differs"] is True
    staged = files / ".env"
    expected = (
        f"# app\nSECRET_KEY={SECRET}\n# Redis\nREDIS_HOST=bs-redis\nREDIS_URL=redis://:pa55-w0rd-x@bs-redis:6379/1\n"
    )
    assert staged.read_text() == expected and staged.stat().st_mode & 0o777 == 0o600
    assert (bin_dir / "env-seen").read_text() == expected
    assert str(staged) not in (bin_dir / "argv").read_text().split()  # compose read a temporary copy ...
    assert sorted(p.name for p in files.iterdir()) == [".env", "docker-compose.yml"]  # ... which is gone
    assert "pa55-w0rd-x" not in str(result)
    again = run_env(tmp_path, files, edit, again=True)[0]
    assert again["changed"] is False and again["env_differs"] is True


def test_a_snapshot_env_is_staged_byte_for_byte(tmp_path, files):
    kept = tmp_path / "snapshot.env"
    kept.write_text(LIVE_ENV)
    result = run_env(tmp_path, files, {"src": str(kept)})[0]
    assert result["changed"] is True and result["env_differs"] is False
    assert (files / ".env").read_text() == LIVE_ENV


def test_a_snapshot_env_is_staged_when_the_live_one_does_not_parse(tmp_path, files):
    kept = tmp_path / "snapshot.env"
    kept.write_text(LIVE_ENV)
    (tmp_path / "live.env").write_text('SECRET_KEY="unclosed\n')
    (files / ".env").unlink()
    params = dict(content=COMPOSE, dest=str(files / "c.yml"), env_file=str(files / ".env"),
                  env={"path": str(tmp_path / "live.env"), "src": str(kept)}, project_dir=str(tmp_path),
                  project_name="p")  # fmt: skip
    result = module_run.run_module(tmp_path, "compose_stage", bin_dir=fake_docker(tmp_path, CONFIG), **params)
    assert "failed" not in result and result["env_differs"] is True
    assert (files / ".env").read_text() == LIVE_ENV


def test_check_mode_with_the_env_validates_it_and_writes_nothing(tmp_path, files):
    result, bin_dir = run_env(tmp_path, files, {"set": REDIS_KEYS}, check=True)
    assert result["changed"] is True and "REDIS_HOST=bs-redis" in (bin_dir / "env-seen").read_text()
    assert list(files.iterdir()) == []


def test_a_rejection_with_the_env_writes_neither_file_and_names_values_by_key(tmp_path, files):
    result = run_env(tmp_path, files, {"set": REDIS_KEYS}, error=f'parsing "{SECRET}": invalid syntax')[0]
    assert result["failed"] is True and result["reason"] == "format"
    assert result["msg"].endswith('parsing "<value of SECRET_KEY>": invalid syntax')
    assert list(files.iterdir()) == []


@pytest.mark.parametrize(
    "env, live, reason",
    [
        ({"set": {"NOT A KEY": "1"}}, LIVE_ENV, "input"),
        ({"set": {"A": "it's"}}, LIVE_ENV, "input"),  # a value .env cannot hold
        ({"src": "/etc/hostname", "set": {"A": "1"}}, LIVE_ENV, "input"),
        ({"set": {"A": "1"}}, 'SECRET_KEY="unclosed\n', "format"),
        ({"src": "/nonexistent-dir/env"}, LIVE_ENV, "file"),
        ({"set": {"A": "1"}}, None, "file"),
    ],
)
def test_a_bad_env_is_rejected_before_compose_is_asked(tmp_path, files, env, live, reason):
    bin_dir = fake_docker(tmp_path, CONFIG)
    live_env = tmp_path / "live.env"
    if live is None:
        live_env.unlink()
    else:
        live_env.write_text(live)
    params = dict(content=COMPOSE, dest=str(files / "c.yml"), env_file=str(files / "new.env"),
                  env=dict({"path": str(live_env)}, **env), project_dir=str(tmp_path), project_name="p")  # fmt: skip
    result = module_run.run_module(tmp_path, "compose_stage", bin_dir=bin_dir, **params)
    assert result["failed"] is True and result["reason"] == reason, result
    assert "unclosed" not in result["msg"]
    assert not (bin_dir / "stdin").exists() and not (files / "new.env").exists()
