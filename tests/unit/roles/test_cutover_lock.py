"""files/cutover_lock.sh, run by sh in a temporary state directory: the lock a run takes comes with its own
staging directory, a dropped run's staging directories go when the next run takes the lock, and release removes
only a staging directory of the state directory, then the lock if the token is ours."""

import stat
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[3] / "roles" / "redis_cutover" / "files" / "cutover_lock.sh"


def lock(action, state, token, last="holder=test"):
    done = subprocess.run(
        ["sh", str(SCRIPT), action, str(state / "lock"), "3600", token, last],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stdout.splitlines()


def staging_of(lines):
    return Path(next(line.split("=", 1)[1] for line in lines if line.startswith("staging=")))


def test_take_makes_a_private_staging_directory_beside_the_lock(tmp_path):
    state = tmp_path / ".cutover"
    rc, lines = lock("take", state, "run-1")
    assert rc == 0 and "taken" in lines
    staging = staging_of(lines)
    assert staging.parent == state and staging.name.startswith("staging-")
    assert stat.S_IMODE(staging.stat().st_mode) == 0o700
    assert stat.S_IMODE(state.stat().st_mode) == 0o700


def test_a_held_lock_refuses_and_leaves_the_holders_staging_alone(tmp_path):
    state = tmp_path / ".cutover"
    staging = staging_of(lock("take", state, "run-1")[1])
    rc, lines = lock("take", state, "run-2")
    assert rc == 3 and "holder=test" in lines
    assert staging.is_dir()
    assert not any(line.startswith("staging=") for line in lines)


def test_check_makes_nothing(tmp_path):
    state = tmp_path / ".cutover"
    state.mkdir()
    rc, lines = lock("check", state, "run-1")
    assert (rc, lines) == (0, ["free"])
    assert list(state.iterdir()) == []


def test_breaking_a_dead_runs_lock_removes_the_staging_it_left(tmp_path):
    state = tmp_path / ".cutover"
    left = staging_of(lock("take", state, "run-1")[1])
    (left / ".env").write_text("SECRET_KEY=x\n")
    rc, lines = lock("force", state, "run-2")
    assert rc == 0 and f"removed_staging={left}" in lines
    assert not left.exists()
    assert staging_of(lines).is_dir()


def test_release_removes_this_runs_staging_then_the_lock(tmp_path):
    state = tmp_path / ".cutover"
    staging = staging_of(lock("take", state, "run-1")[1])
    assert lock("release", state, "run-1", str(staging)) == (0, ["released"])
    assert list(state.iterdir()) == []


def test_release_never_removes_a_path_outside_the_state_directory(tmp_path):
    state = tmp_path / ".cutover"
    lock("take", state, "run-1")
    theirs = tmp_path / "staging-theirs"
    theirs.mkdir()
    assert lock("release", state, "run-1", str(theirs)) == (0, ["released"])
    assert theirs.is_dir()


def test_release_never_follows_dot_dot_out_of_a_staging_path(tmp_path):
    state = tmp_path / ".cutover"
    staging = staging_of(lock("take", state, "run-1")[1])
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    assert lock("release", state, "run-1", f"{staging}/../../theirs") == (0, ["released"])
    assert theirs.is_dir() and staging.is_dir()


def test_release_leaves_another_runs_lock(tmp_path):
    state = tmp_path / ".cutover"
    lock("take", state, "run-1")
    assert lock("release", state, "run-2", "") == (0, ["not ours"])
    assert (state / "lock").is_dir()
