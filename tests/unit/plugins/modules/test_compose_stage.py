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


def test_check_mode_validates_and_writes_nothing(tmp_path, files):
    result, bin_dir = run(tmp_path, files, check=True, content=COMPOSE)
    assert result["changed"] is True and (bin_dir / "stdin").read_text() == COMPOSE
    assert not (files / "docker-compose.yml").exists()


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
