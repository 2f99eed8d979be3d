"""Bad inputs: each must stop the rollout with a message naming the problem before anything on the host
changes (same containers with the same start times, byte-identical files, no snapshot, no secret shown)."""

from __future__ import annotations

import re

import pytest

from tests.faults import hooks, host, playbook
from tests.lib import sandbox

pytestmark = pytest.mark.sandbox

MISSING_DIR = "/srv/business_suite-does-not-exist"
# name: (inventory overrides, a pattern the error message must match)
BAD_VARS = {
    "REDIS_URL not a URL": ({"redis_cutover_redis_url": "bs-redis:6379"}, r"REDIS_URL must look like redis://"),
    "REDIS_URL port 99999": (
        {"redis_cutover_redis_url": "redis://bs-redis:99999/1"},
        r"REDIS_URL .*port between 1 and 65535",
    ),
    "Redis port 0": ({"redis_cutover_redis_port": 0}, r"redis_cutover_redis_port must be between 1 and 65535, got 0\b"),
    "Redis port 70000": (
        {"redis_cutover_redis_port": 70000},
        r"redis_cutover_redis_port must be between 1 and 65535, got 70000",
    ),
    "snapshots_keep 0": (
        {"redis_cutover_snapshots_keep": 0},
        r"redis_cutover_snapshots_keep must be 1 or more .*got '0'",
    ),
    "hook path relative": (
        {"redis_cutover_hooks": {"after_converge": ["hooks/notify.yml"]}},
        r"redis_cutover_hooks.after_converge: 'hooks/notify.yml' is not an absolute path",
    ),
    "hook point unknown": (
        {"redis_cutover_hooks": {"before_deploy": ["/etc/hostname"]}},
        r"redis_cutover_hooks\.before_deploy\. Supported parameters include: after_converge",
    ),
    "missing project dir": (
        {"redis_cutover_project_dir": MISSING_DIR},
        re.escape(MISSING_DIR) + r" must be a directory",
    ),
    "compose file invalid": (
        {"redis_cutover_healthcheck_interval": "every 2s"},
        r"compose file fails `docker compose config`",
    ),
}
# name: (a line put into the middle of .env, next to secrets; the pattern the error message must match)
BAD_ENV_LINES = {
    ".env line not KEY=VALUE": (b"this line is not an assignment\n", r"line \d+ is not KEY=VALUE"),
    ".env quote never closed": (
        b'UNCLOSED="starts a value and never ends\n',
        # The role's parser may stop it, or compose's when the staged files are validated: either names the line.
        r"line \d+ opens a quoted value that is never closed|\.env: line \d+",
    ),
}


def check_rejected(row, before: host.Snapshot, result: playbook.Run, pattern: str, secrets: playbook.Secrets) -> None:
    after = host.take()
    row.seconds = result.seconds
    changes = before.changes_to(after)
    row.outcome = "rejected before change" if result.rc and not changes else f"rc {result.rc}, changed: {changes}"
    assert result.rc, f"the rollout accepted the bad input: {result}"
    assert re.search(pattern, result.failure), f"the error does not name the problem ({pattern}): {result}"
    live_steps = [task for task in result.tasks if task.startswith(("Snapshot |", "Converge |"))]
    assert not live_steps, f"the run went past preflight to {live_steps[0]!r}: {result}"
    assert not changes, f"the rejected run changed the host: {changes}"
    result.assert_no_secrets(secrets)


@pytest.mark.parametrize("case", BAD_VARS)
def test_bad_variable_is_rejected(memcached_host, row, tmp_path, case):
    overrides, pattern = BAD_VARS[case]
    row.fault, row.injected = case, ", ".join(f"{key}={value}" for key, value in overrides.items())
    result = playbook.run("rollout", overrides, verbose=1, log=tmp_path / "run.log")
    check_rejected(row, memcached_host, result, pattern, playbook.secrets())
    assert not host.problems(host.MEMCACHED, memcached_host)


@pytest.mark.parametrize("case", BAD_ENV_LINES)
def test_malformed_env_is_rejected(memcached_host, row, tmp_path, case):
    line, pattern = BAD_ENV_LINES[case]
    row.fault, row.injected = case, f"{line.decode().strip()!r} added to .env, between secrets"
    env_path = sandbox.SANDBOX_DIR / ".env"
    secrets = playbook.secrets()
    original = memcached_host.files[".env"]
    lines = original.splitlines(keepends=True)
    middle = len(lines) // 2
    env_path.write_bytes(b"".join([*lines[:middle], line, *lines[middle:]]))  # in place: same inode and mode
    try:
        broken = host.take()
        result = playbook.run("rollout", verbose=1, log=tmp_path / "run.log")
        check_rejected(row, broken, result, pattern, secrets)
    finally:
        env_path.write_bytes(original)
    restored = host.read(".env") == original  # compared outside assert: a failure must not print .env
    assert restored, ".env was not put back as it was"
    assert not host.problems(host.MEMCACHED, memcached_host)


@pytest.mark.parametrize("flow", ["rollout", "rollback"])
def test_tags_preflight_runs_only_the_checks(memcached_host, row, tmp_path, flow):
    release = {"rollout": "redis", "rollback": "memcached"}[flow]
    row.fault, row.injected = (
        f"{flow} --tags preflight",
        "a healthy memcached host; hooks around preflight and before converge",
    )
    overrides, hooks_ran = hooks.recorder(tmp_path, ["before_preflight", "after_preflight", "before_converge"])
    result = playbook.run(flow, overrides, tags="preflight", log=tmp_path / "run.log")
    row.seconds = result.seconds
    changes = memcached_host.changes_to(host.take())
    row.outcome = f"rc {result.rc}, changed: {changes or 'nothing'}"
    assert result.rc == 0, result
    assert re.search(r"ok=\d+\s+changed=0\s", result.output), result
    steps = {task.split(" | ")[0] for task in result.tasks if " | " in task}
    # Finish runs always and has nothing to do: no lock was taken, no staging directory made.
    assert steps <= {"Rollout", "Rollback", "Preflight", "Connections", "Module deps", "Finish", "Hook"}, steps
    # The preflight phase's hooks have its tags; a later phase's do not run.
    assert hooks_ran() == [f"before_preflight {flow} {release}", f"after_preflight {flow} {release}"]
    assert not changes, f"--tags preflight changed the host: {changes}"
    assert not host.problems(host.MEMCACHED, memcached_host)


def test_tags_verify_runs_only_the_checks_and_the_verification(memcached_host, row, tmp_path):
    row.fault, row.injected = (
        "--tags verify",
        "a healthy memcached host: rollback verifies it, rollout finds it not on Redis",
    )
    rollback = playbook.run("rollback", tags="verify", log=tmp_path / "rollback.log")
    rollout = playbook.run("rollout", tags="verify", log=tmp_path / "rollout.log")
    row.seconds = rollback.seconds + rollout.seconds
    changes = memcached_host.changes_to(host.take())
    row.outcome = f"rollback rc {rollback.rc}, rollout rc {rollout.rc}, changed: {changes or 'nothing'}"
    assert rollback.rc == 0, rollback
    assert re.search(r"ok=\d+\s+changed=0\s", rollback.output), rollback
    assert any(task.startswith("Verify | Worker consumes") for task in rollback.tasks), rollback.tasks
    assert rollout.rc != 0, f"--tags verify found a memcached host on Redis: {rollout}"
    assert "the host is not on redis: its docker-compose.yml describes the memcached release" in rollout.failure, (
        rollout
    )
    for result in (rollback, rollout):
        steps = {task.split(" | ")[0] for task in result.tasks if " | " in task}
        assert steps <= {
            "Rollout",
            "Rollback",
            "Preflight",
            "Connections",
            "Module deps",
            "Verify only",
            "Verify",
            "Finish",
        }, steps
    assert not changes, f"--tags verify changed the host: {changes}"
    assert not host.problems(host.MEMCACHED, memcached_host)


def test_rollback_to_a_snapshot_that_does_not_exist_is_refused(memcached_host, row, tmp_path):
    name = "20000101T000000Z"
    row.fault, row.injected = "unknown snapshot", f"rollback -e redis_cutover_snapshot={name}"
    result = playbook.run("rollback", {"redis_cutover_snapshot": name}, log=tmp_path / "run.log")
    check_rejected(row, memcached_host, result, rf"no memcached snapshot named '{name}' under ", playbook.secrets())
    assert not host.problems(host.MEMCACHED, memcached_host)
