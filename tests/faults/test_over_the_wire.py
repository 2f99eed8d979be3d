"""Faults of real servers reached over SSH (sandbox/remote/hosts.sh: two hosts, each its own Docker engine):
the link dropping mid-cutover, a second run on the same host, a failure on the second host of a fleet, a
deploy user without sudo, a host without the compose plugin, and a controller without Docker."""

from __future__ import annotations

import json
import re

import pytest

from tests.faults import remote

pytestmark = [
    pytest.mark.remote,
    pytest.mark.skipif(not remote.up(), reason="the remote test hosts are not up: run `make remote-up`"),
]

# bs-worker alone on a closed Redis port (a compose override: the user's file, merged into every command).
WORKER_ON_A_CLOSED_PORT = "services:\n  bs-worker:\n    environment:\n      REDIS_URL: redis://bs-redis:6390/1\n"


@pytest.fixture
def fresh_hosts():
    """Both servers on a fresh memcached stack before the test, and again after it."""
    remote.reset()
    yield
    remote.reset()


def on(host: str, release: str) -> list[str]:
    """Why `host` is not fully on `release` (empty when it is)."""
    want = {"redis": (remote.REDIS_BACKEND, ["bs-redis"]), "memcached": (remote.MEMCACHED_BACKEND, ["memcached"])}
    backend, servers = want[release]
    problems = []
    if (found := remote.backend(host)) != backend:
        problems.append(f"{host}: cache backend {found}")
    if (running := remote.cache_servers(host)) != servers:
        problems.append(f"{host}: cache servers {running}")
    return problems


def test_ssh_link_dropped_during_the_drain_converges_on_the_next_run(fresh_hosts, row, tmp_path):
    host = "bs-host-1"
    row.fault, row.injected = "SSH link dropped", "every sshd session of deploy on bs-host-1 killed during the drain"
    # A job in flight when the drain starts (the worker holds it for 60 s: the drain is still waiting on a slow
    # machine), and jobs queued meanwhile.
    remote.enqueue(host, "demo.sleep", payload={"seconds": 60})
    seqs = list(range(1, 21))
    remote.enqueue(host, "bench.record", count=len(seqs), seq_from=seqs[0])

    def drop_the_link():
        # Only once the drain's module runs on the host (its become shell carries Ansible's BECOME-SUCCESS marker):
        # a kill that lands before the task's SSH command starts is healed by the next connection, unnoticed.
        # [B], [s]: the patterns must not match this very shell's command line.
        remote.sh(
            host,
            "for i in $(seq 150); do pgrep -f '[B]ECOME-SUCCESS' >/dev/null && break; sleep 0.1; done;"
            " pkill -KILL -f '[s]shd: deploy'",
        )

    dropped = remote.run(
        "rollout",
        limit=host,
        on_task=("Worker | Wait for in-flight jobs to finish", drop_the_link),
        log=tmp_path / "dropped.log",
    )
    assert dropped.fired, f"the drain never started: {dropped}"
    assert dropped.rc != 0 and "UNREACHABLE" in dropped.output, f"the link drop went unnoticed: {dropped}"
    rerun = remote.run("rollout", limit=host, log=tmp_path / "rerun.log")
    row.seconds, row.outcome = dropped.seconds + rerun.seconds, f"rerun rc {rerun.rc}"
    assert rerun.rc == 0, f"the next run did not converge: {rerun}"
    assert "broke the lock of" in rerun.output, "the dead run's lock was not broken"
    assert not on(host, "redis")
    done = remote.sql(host, "SELECT count(*), count(DISTINCT seq) FROM bench_job_record")
    assert done == f"{len(seqs)}|{len(seqs)}", f"bench.record jobs processed (rows|distinct seqs): {done}"
    left = remote.sh(
        host, f"ls -d {remote.PROJECT}/.cutover/staging-* {remote.PROJECT}/.cutover/lock 2>/dev/null || true"
    )
    assert not left, f"left on the host: {left}"


def test_second_run_on_a_host_is_refused_by_its_lock(fresh_hosts, row, tmp_path):
    host = "bs-host-2"
    row.fault, row.injected = "concurrent run", "the host's lock held by an AWX job on another controller"
    lock = f"{remote.PROJECT}/.cutover/lock"
    holder = "controller=awx-ee-7f9c pid=12 user=awx flow=rollout since=20261203T020000Z awx_job=4711"
    remote.sh(host, f"mkdir -p {lock} && echo '{holder}' | tr ' ' '\\n' > {lock}/holder && echo other > {lock}/token")
    before = remote.sh(host, f"sha256sum {remote.PROJECT}/.env {remote.PROJECT}/docker-compose.yml")
    refused = remote.run("rollout", limit=host, log=tmp_path / "refused.log")
    assert refused.rc != 0 and "another cutover run holds this host's lock" in refused.output, str(refused)
    assert "controller=awx-ee-7f9c" in refused.output and "awx_job=4711" in refused.output, "the holder is not named"
    assert remote.sh(host, f"sha256sum {remote.PROJECT}/.env {remote.PROJECT}/docker-compose.yml") == before
    assert not on(host, "memcached")
    # The same lock two hours later: stale, so it no longer blocks (a check run sees the host as free).
    remote.sh(host, f"touch -d '2 hours ago' {lock}/token {lock}")
    stale = remote.run("rollout", limit=host, check=True, log=tmp_path / "stale.log")
    row.seconds, row.outcome = refused.seconds + stale.seconds, "refused, then free once stale"
    assert stale.rc == 0, f"a stale lock still blocks: {stale}"


def test_failure_on_the_second_host_stops_the_fleet_and_restores_only_it(fresh_hosts, row, tmp_path):
    row.fault, row.injected = "fleet failure", "bs-host-2's worker on a closed Redis port (compose override)"
    remote.sh("bs-host-2", f"printf '{WORKER_ON_A_CLOSED_PORT}' > {remote.PROJECT}/docker-compose.override.yml")
    try:
        rollout = remote.run(
            "rollout",
            # The JSON callback, with the set_stats data (profile_tasks' lines around it are skipped below).
            env={"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json", "ANSIBLE_SHOW_CUSTOM_STATS": "true"},
            log=tmp_path / "rollout.json",
        )
    finally:
        remote.sh("bs-host-2", f"rm -f {remote.PROJECT}/docker-compose.override.yml")
    assert rollout.rc != 0, "the rollout succeeded although bs-host-2 was broken"
    result, _end = json.JSONDecoder().raw_decode(rollout.output[rollout.output.index("{") :])
    hosts = result["global_custom_stats"]["redis_cutover_hosts"]
    assert hosts["bs-host-1"]["release"] == "redis" and hosts["bs-host-1"]["changed"], hosts
    assert hosts["bs-host-2"]["release"] == "memcached", hosts
    assert re.fullmatch(r"\d{8}T\d{6}Z", hosts["bs-host-2"]["snapshot"]), "snapshot ids mixed up between hosts"
    assert "bs-host-1: redis" in rollout.output and "bs-host-2: memcached" in rollout.output, (
        "no where-each-host-stands"
    )
    assert not on("bs-host-1", "redis") and not on("bs-host-2", "memcached")
    # The workflow's rollback node gets these artifacts: it rolls back bs-host-1 only.
    rollback = remote.run("rollback", {"redis_cutover_hosts": hosts}, log=tmp_path / "rollback.log")
    row.seconds, row.outcome = rollout.seconds + rollback.seconds, "host 2 restored itself; rollback acted on host 1"
    assert rollback.rc == 0, str(rollback)
    words = " ".join(rollback.output.split())  # the yaml callback wraps long messages
    assert "bs-host-2: the rollout already restored this host to memcached; leaving it as it is" in words
    assert re.search(r"bs-host-2 +: ok=\d+ +changed=0 ", rollback.output), "the rollback touched bs-host-2"
    assert not on("bs-host-1", "memcached") and not on("bs-host-2", "memcached")


def test_deploy_user_without_sudo(fresh_hosts, row, tmp_path):
    host = "bs-host-2"
    row.fault, row.injected = "no sudo", "ops: in the docker group, no sudo, project owned by root"
    as_ops = {"ansible_user": "ops", "ansible_become": False, "redis_cutover_module_deps": "none"}
    refused = remote.run("rollout", as_ops, limit=host, log=tmp_path / "refused.log")
    assert refused.rc != 0 and re.search(r"not writable by user ops.*Nothing was changed", refused.output), str(refused)
    assert not on(host, "memcached")
    files = f"{remote.PROJECT} {remote.PROJECT}/.env {remote.PROJECT}/docker-compose.yml"
    # ops owns them but they stay in group root: ops could not write .env back in that group.
    remote.sh(host, f"chown ops {files}")
    foreign_group = remote.run("rollout", as_ops, limit=host, log=tmp_path / "foreign-group.log")
    assert foreign_group.rc != 0, str(foreign_group)
    refusal = r"user ops cannot write back .*\.env.*same owner and group.*Nothing was changed"
    assert re.search(refusal, foreign_group.output), str(foreign_group)
    assert not on(host, "memcached")
    remote.sh(host, f"chown ops:ops {files}")
    rollout = remote.run("rollout", as_ops, limit=host, log=tmp_path / "rollout.log")
    assert rollout.rc == 0, str(rollout)
    assert not on(host, "redis")
    assert remote.sh(host, f"stat -c '%U:%G %a' {remote.PROJECT}/.env") == "ops:ops 600"
    rollback = remote.run("rollback", as_ops, limit=host, log=tmp_path / "rollback.log")
    row.seconds = refused.seconds + foreign_group.seconds + rollout.seconds + rollback.seconds
    row.outcome = "refused twice (not writable, foreign group), then cut over and back"
    assert rollback.rc == 0, str(rollback)
    assert not on(host, "memcached")


def test_host_without_the_compose_plugin_is_refused(row, tmp_path):
    host = "bs-host-2"
    row.fault, row.injected = "no compose plugin", "docker-compose removed from the CLI plugins of bs-host-2"
    plugin = "/usr/libexec/docker/cli-plugins/docker-compose"
    remote.sh(host, f"mv {plugin} {plugin}.away")
    try:
        result = remote.run("rollout", limit=host, check=True, log=tmp_path / "run.log")
    finally:
        remote.sh(host, f"mv {plugin}.away {plugin}")
    row.seconds, row.outcome = result.seconds, f"rc {result.rc}"
    assert result.rc != 0 and "the docker compose v2 plugin is not installed" in result.output, str(result)


def test_controller_without_docker_runs_the_rollout_check(row, tmp_path):
    row.fault, row.injected = "no Docker on the controller", "ansible-playbook in a container without docker"
    started = remote.time.monotonic()
    proc = remote.subprocess.run(
        [
            str(remote.REPO / "sandbox/remote/controller.sh"),
            "playbooks/rollout.yml",
            "-i",
            "inventories/remote",
            "--check",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    (tmp_path / "run.log").write_text(proc.stdout + proc.stderr)
    row.seconds, row.outcome = remote.time.monotonic() - started, f"rc {proc.returncode}"
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert re.search(r"bs-host-1 +: ok=\d+ +changed=\d+ +unreachable=0 +failed=0", proc.stdout)
