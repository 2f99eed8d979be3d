"""The remote test hosts of `make remote-up` (sandbox/remote/hosts.sh), checked over real SSH.

Two containers on the network bs-remote, each a separate Docker server: deploy reaches the engine only
through sudo, ops through the docker group, sshd takes keys only, each host's engine is its own and runs
the pre-cutover sandbox stack, and Ansible run from sandbox/remote/controller.sh (no Docker there) reaches
both. Skipped, with the reason, when the hosts are not up. Traffic goes only to the hosts' addresses.
"""

from __future__ import annotations

import fcntl
import os
import re
import shlex
import socket
import subprocess
import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
import yaml

from tests.lib import sandbox

pytestmark = pytest.mark.remote

REPO = Path(__file__).resolve().parents[3]
CACHE = REPO / ".cache/remote"
SSH_CONFIG = CACHE / "ssh_config"
CONTROLLER = REPO / "sandbox/remote/controller.sh"
LOCK_FILE = os.environ.get("REMOTE_LOCK_FILE", "/tmp/bs-remote.lock")
LOCK_WAIT = 1800
# The stack's containers (sandbox/host/docker-compose.yml; bs-alloy stays behind its profile) and whether
# each has a healthcheck.
STACK = {
    "postgres-srv": True,
    "memcached": False,
    "bs-core": False,
    "bs-worker": False,
    "bs-frontend": True,
    "bs-proxy": True,
    "bs-backup": False,
}


@cache
def host_ips() -> dict[str, str]:
    """The hosts and their addresses, as sandbox/remote/lib.sh (which hosts.sh uses) defines them."""
    text = (REPO / "sandbox/remote/lib.sh").read_text()
    return dict(re.findall(r"\[(bs-host-\d+)\]=([\d.]+)", text))


HOSTS = sorted(host_ips())


def why_not_up() -> str:
    """Empty when both hosts' sshd answer and hosts.sh has written the SSH files, else what is missing."""
    for path in (CACHE / "id_ed25519", SSH_CONFIG, CACHE / "known_hosts"):
        if not path.exists():
            return f"{path} is missing"
    for host, ip in host_ips().items():
        try:
            socket.create_connection((ip, 22), timeout=1).close()
        except OSError as exc:
            return f"{host} ({ip}:22) does not answer: {exc}"
    return ""


@pytest.fixture(scope="module")
def hosts_up() -> Iterator[None]:
    """Holds the remote hosts' lock (the Makefile's REMOTE_LOCK) while the tests use them: a suite that runs a
    cutover on them, or a reset, waits, and so do these tests for it."""
    with open(LOCK_FILE, "a") as lock:
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    pytest.fail(f"{LOCK_FILE} was held for {LOCK_WAIT} s by another suite using the remote hosts")
                time.sleep(1)
        reason = why_not_up()
        if reason:
            pytest.skip(f"remote test hosts are not up ({reason}): run `make remote-up`")
        yield


def ssh(user: str, host: str, command: str, *, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["ssh", "-F", str(SSH_CONFIG), f"{user}@{host}", command],
        capture_output=True,
        text=True,
        timeout=60,
        check=check,
    )


def groups(user: str, host: str) -> list[str]:
    return ssh(user, host, "id -nG").stdout.split()


@pytest.mark.parametrize("host", HOSTS)
def test_deploy_reaches_docker_only_through_sudo(hosts_up, host):
    assert "docker" not in groups("deploy", host)
    names = ssh("deploy", host, "sudo -n docker ps --format '{{.Names}}'").stdout.split()
    assert "bs-core" in names
    plain = ssh("deploy", host, "docker ps", check=False)
    assert plain.returncode != 0
    assert "permission denied" in plain.stderr


@pytest.mark.parametrize("host", HOSTS)
def test_ops_runs_docker_without_sudo_and_has_no_sudo(hosts_up, host):
    assert "docker" in groups("ops", host)
    assert "bs-core" in ssh("ops", host, "docker ps --format '{{.Names}}'").stdout.split()
    assert ssh("ops", host, "sudo -n true", check=False).returncode != 0


@pytest.mark.parametrize("host", HOSTS)
def test_sshd_takes_keys_only_and_no_root(hosts_up, host):
    settings = set(ssh("deploy", host, "sudo -n sshd -T").stdout.splitlines())
    assert {"passwordauthentication no", "kbdinteractiveauthentication no", "permitrootlogin no"} <= settings
    assert ssh("root", host, "true", check=False).returncode == 255


@pytest.mark.parametrize("host", HOSTS)
def test_compose_and_the_module_dependencies_are_on_the_host(hosts_up, host):
    assert ssh("ops", host, "docker compose version --short").stdout.strip().lstrip("v") == "2.40.3"
    assert ssh("deploy", host, "sudo -n docker compose version --short").returncode == 0
    ssh("deploy", host, "/usr/bin/python3 -c 'import docker, psycopg, redis'")
    # The apt lists are kept, so the role's OS-package checks answer offline.
    policy = ssh("deploy", host, "apt-cache policy python3-redis").stdout
    assert re.search(r"Installed: (?!\(none\))\S+", policy), policy


def test_each_host_has_its_own_engine_and_stack(hosts_up):
    engines = {host: ssh("ops", host, "docker info --format '{{.ID}}'").stdout.strip() for host in HOSTS}
    cores = {host: ssh("ops", host, "docker inspect -f '{{.Id}}' bs-core").stdout.strip() for host in HOSTS}
    outer = subprocess.run(["docker", "info", "--format", "{{.ID}}"], capture_output=True, text=True, check=False)
    assert len(set(engines.values())) == len(HOSTS), engines
    assert len(set(cores.values())) == len(HOSTS), cores
    assert outer.stdout.strip() not in engines.values()


@pytest.mark.parametrize("host", HOSTS)
def test_the_stack_is_up_on_memcached_and_healthy(hosts_up, host):
    fmt = "{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}} {{.Config.Image}}"
    out = ssh("ops", host, shlex.join(["docker", "inspect", "-f", fmt, *STACK])).stdout
    states = dict(line.lstrip("/").split(" ", 1) for line in out.splitlines())
    for name, healthcheck in STACK.items():
        state, *rest = states[name].split()
        assert state == "running", (name, states[name])
        assert (rest[0] == "healthy") if healthcheck else (len(rest) == 1), (name, states[name])
    assert states["bs-core"].split()[-1] == sandbox.images()["APP_MEMCACHED_IMAGE"]
    backend = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    assert django_shell(host, backend) == sandbox.CACHE_BACKENDS["memcached"]
    assert django_shell(host, sandbox.RUNBOOK_SMOKE) == "2"


def django_shell(host: str, command: str) -> str:
    """Last line `manage.py shell -c` prints in the host's bs-core (Django prints an auto-import note first)."""
    manage = ["docker", "exec", "bs-core", "python", "manage.py", "shell", "-c", command]
    return ssh("ops", host, shlex.join(manage)).stdout.splitlines()[-1]


def controller(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(CONTROLLER), *args], capture_output=True, text=True, timeout=120, check=False, cwd=REPO)


def test_the_controller_has_no_docker_and_reaches_both_engines(hosts_up):
    probe = "import os, shutil; print(shutil.which('docker'), os.path.exists('/var/run/docker.sock'))"
    run = controller("--cmd", "python", "-c", probe)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["None", "False"]
    run = controller(
        "--cmd", "ansible", "-i", "inventories/remote", "business_suite", "-m", "ansible.builtin.command",
        "-a", "docker ps -q", "--become",
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "no docker CLI, no docker socket" in run.stderr
    for host in HOSTS:
        assert re.search(rf"^{host} \| CHANGED \| rc=0", run.stdout, re.MULTILINE), run.stdout


def load_group_vars(inventory: str) -> dict:
    values = {}
    for path in sorted((REPO / "inventories" / inventory / "group_vars/business_suite").glob("*.yml")):
        values.update(yaml.safe_load(path.read_text()))
    return values


def test_the_remote_inventory_points_at_the_hosts_with_the_sandbox_values():
    """No hosts needed: the inventory's addresses are hosts.sh's and its role values the sandbox's."""
    inventory = yaml.safe_load((REPO / "inventories/remote/hosts.yml").read_text())["business_suite"]
    assert {host: v["ansible_host"] for host, v in inventory["hosts"].items()} == host_ips()
    assert "ansible_python_interpreter" not in inventory["vars"]
    remote, local = load_group_vars("remote"), load_group_vars("sandbox")
    # What only the local sandbox needs: its controller is its host, and its project dir follows SANDBOX_DIR.
    local_only = {"redis_cutover_module_deps", "redis_cutover_module_python", "redis_cutover_project_dir"}
    assert remote["redis_cutover_project_dir"] == "/srv/business_suite"
    assert {k: v for k, v in remote.items() if k != "redis_cutover_project_dir"} == {
        k: v for k, v in local.items() if k not in local_only
    }
