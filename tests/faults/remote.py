"""The remote test servers of sandbox/remote/hosts.sh, for the faults over the wire: playbook runs against
inventories/remote over SSH (with an action fired when a task starts, e.g. dropping the link), and reads of each
server's state. The tests read and break the servers through `docker exec` (the test harness's own access);
the runs under test reach them only over SSH."""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.faults.playbook import BANNER, SHORT_TIMEOUTS, environment
from tests.lib.sandbox import REPO

HOSTS = ("bs-host-1", "bs-host-2")
HOSTS_SH = REPO / "sandbox/remote/hosts.sh"
PROJECT = "/srv/business_suite"
BACKEND = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
REDIS_BACKEND = "django_redis.cache.RedisCache"
MEMCACHED_BACKEND = "django.core.cache.backends.memcached.PyMemcacheCache"


def up() -> bool:
    return subprocess.run([HOSTS_SH, "status"], capture_output=True, check=False).returncode == 0


def reset() -> None:
    """Both servers' stacks back to a fresh memcached stack."""
    subprocess.run([HOSTS_SH, "reset"], check=True, capture_output=True, text=True)


def sh(host: str, script: str, check: bool = True) -> str:
    """A shell script run as root on the server (not over SSH: the harness's own way in)."""
    proc = subprocess.run(["docker", "exec", host, "sh", "-c", script], capture_output=True, text=True, check=False)
    if check and proc.returncode:
        raise AssertionError(f"{host}: {script!r} failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


def backend(host: str) -> str:
    """The Django cache backend bs-core runs with (the shell's last line: Django 5 says what it imported first)."""
    return sh(host, f'docker exec bs-core python manage.py shell -c "{BACKEND}"').splitlines()[-1]


def cache_servers(host: str) -> list[str]:
    return sh(host, "docker ps --format '{{.Names}}' --filter name=^bs-redis$ --filter name=^memcached$").split()


def sql(host: str, query: str) -> str:
    return sh(host, f'docker exec postgres-srv psql -U revisbali -d business_suite -tAc "{query}"')


def enqueue(
    host: str, entrypoint: str, count: int = 1, payload: dict | None = None, seq_from: int | None = None
) -> list[int]:
    args = f"{entrypoint} --count {count} --payload '{json.dumps(payload or {})}'"
    args += f" --seq-from {seq_from}" if seq_from is not None else ""
    return json.loads(sh(host, f"docker exec bs-core python manage.py enqueue_jobs {args}"))["ids"]


@dataclass
class Run:
    argv: list[str]
    output: str = field(repr=False)
    rc: int
    seconds: float
    tasks: list[str] = field(default_factory=list)
    fired: str | None = None  # the task at whose start the action ran

    def __str__(self) -> str:
        tail = "\n".join(self.output.splitlines()[-40:])
        return f"rc {self.rc} after {self.seconds:.0f} s, {len(self.tasks)} tasks; output ends:\n{tail}"


def run(
    playbook: str,
    extra_vars: dict | None = None,
    *,
    limit: str | None = None,
    check: bool = False,
    on_task: tuple[str, Callable[[], None]] | None = None,
    env: dict | None = None,
    log: Path | None = None,
    timeout: float = 900,
) -> Run:
    """ansible-playbook playbooks/<playbook>.yml -i inventories/remote over SSH; `on_task` = (task name prefix,
    action) runs the action once, in the background, when a task with that name starts."""
    argv = ["ansible-playbook", f"playbooks/{playbook}.yml", "-i", "inventories/remote"]
    argv += ["-e", json.dumps({**SHORT_TIMEOUTS, **(extra_vars or {})})]
    argv += (["--limit", limit] if limit else []) + (["--check", "--diff"] if check else [])
    started = time.monotonic()
    process = subprocess.Popen(
        argv,
        cwd=REPO,
        env={**environment(), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    watchdog = threading.Timer(timeout, functools.partial(os.killpg, process.pid, signal.SIGKILL))
    watchdog.start()
    lines, tasks, fired = [], [], None
    try:
        for line in process.stdout:
            lines.append(line)
            banner = BANNER.match(line)
            if banner:
                tasks.append(banner["name"])
                if on_task and fired is None and banner["name"].startswith(on_task[0]):
                    fired = banner["name"]
                    threading.Thread(target=on_task[1], daemon=True).start()
        rc = process.wait()
    finally:
        watchdog.cancel()
    output = "".join(lines)
    if log:
        log.write_text(output)
    return Run(argv, output, rc, time.monotonic() - started, tasks, fired)
