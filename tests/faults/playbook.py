"""Run the collection's playbooks against the sandbox inventory as an operator would, keeping all output.

`run()` reads the live output line by line; with `kill_after` it sends SIGKILL to the whole process group
(ansible-playbook, its forks and the docker/compose commands they started) as soon as the task named
`kill_after` has finished, i.e. when the next task's banner appears.
"""

from __future__ import annotations

import functools
import json
import os
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.integration.modules.ansible_run import ansible_env
from tests.lib import sandbox
from tests.lib.sandbox import REPO, SANDBOX_DIR

# `TASK [revisbali.business_suite.redis_cutover : Converge | Put the staged .env in place ...] ***`
BANNER = re.compile(r"^TASK \[(?:[^\]:]+ : )?(?P<name>.*)\] \*+")
RECAP = "PLAY RECAP"
JSON_OUTPUT = ("ANSIBLE_STDOUT_CALLBACK", "ANSIBLE_CALLBACKS_ENABLED")
# Every fault run keeps the role's waits short (its own timeouts, not ours).
SHORT_TIMEOUTS = {
    "redis_cutover_wait_timeout": 60,
    "redis_cutover_verify_timeout": 20,
    "redis_cutover_drain_timeout": 60,
}


@dataclass
class Run:
    argv: list[str]
    output: str = field(repr=False)  # stdout and stderr, interleaved as printed (a leaked secret stays out of reports)
    seconds: float
    rc: int | None  # None when killed
    killed_after: str | None = None  # the task that had finished when the kill was sent
    tasks: list[str] = field(default_factory=list)  # task names in the order they started
    log: Path | None = None  # where the output was written

    def __str__(self) -> str:
        return f"{' '.join(self.argv)} (rc {self.rc}, {self.seconds:.0f} s, output in {self.log})"

    @property
    def failure(self) -> str:
        """The messages of the failed tasks, as the operator reads them (empty when none failed); a message
        continued on the next lines (the argument spec's) is kept whole, up to its `Origin:` or a blank line."""
        return "\n".join(re.findall(r"^\[ERROR\]: (.*(?:\n(?!Origin:).+)*)", self.output, re.MULTILINE))

    def started(self, prefix: str) -> bool:
        return any(name.startswith(prefix) for name in self.tasks)

    def assert_no_secrets(self, secrets: Secrets) -> None:
        """No value of `secrets` (value -> key name) appears in the output; the failure names keys, not values."""
        leaked = sorted({key for value, key in secrets.items() if value in self.output})
        assert not leaked, f"the output of {self} shows the value of {leaked}"


class Secrets(dict):
    """Secret values of .env (value -> key name); its repr shows only the key names, so a failing test's
    report never prints a value."""

    def __repr__(self) -> str:
        return f"<secret values of {sorted(self.values())}>"


def secrets() -> Secrets:
    """The secret values of the project's .env now, as the collection defines a secret."""
    env = sandbox.read_env()
    values = set(sandbox.secret_values(env))
    return Secrets({value: key for key, value in env.items() if value in values})


def environment() -> dict[str, str]:
    """The module tests' Ansible environment (checkout as collection path, the venv first on PATH), with the
    operator's default output instead of their JSON callback."""
    env = {key: value for key, value in ansible_env().items() if key not in JSON_OUTPUT}
    env.update(
        ANSIBLE_FORCE_COLOR="0",
        PYTHONUNBUFFERED="1",  # banners must arrive as they are printed, or the kill lands late
        SANDBOX_DIR=str(SANDBOX_DIR),
    )
    return env


def run(
    playbook: str = "rollout",
    extra_vars: dict | None = None,
    *,
    verbose: int = 0,
    check: bool = False,
    tags: str | None = None,
    kill_after: str | None = None,
    log: Path | None = None,
    timeout: float = 900,
) -> Run:
    """ansible-playbook playbooks/<playbook>.yml -i inventories/sandbox -e <extra_vars> [--check --diff]
    [--tags <tags>]; output also in `log`."""
    argv = ["ansible-playbook", f"playbooks/{playbook}.yml", "-i", "inventories/sandbox"]
    argv += ["-e", json.dumps({**SHORT_TIMEOUTS, **(extra_vars or {})})] + (["-" + "v" * verbose] if verbose else [])
    argv += ["--check", "--diff"] if check else []
    argv += ["--tags", tags] if tags else []
    started = time.monotonic()
    process = subprocess.Popen(
        argv,
        cwd=REPO,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, so one killpg reaches every child
    )
    kill = functools.partial(os.killpg, process.pid, signal.SIGKILL)  # also the watchdog's callback
    watchdog = threading.Timer(timeout, kill)
    watchdog.start()
    lines, tasks, killed_after, armed = [], [], None, False
    try:
        for line in process.stdout:
            lines.append(line)
            banner = BANNER.match(line)
            if armed and killed_after is None and (banner or line.startswith(RECAP)):
                kill()
                killed_after = tasks[-1]
            if banner:
                tasks.append(banner["name"])
                armed = armed or bool(kill_after and banner["name"].startswith(kill_after))
        rc = process.wait()
    finally:
        watchdog.cancel()
    seconds = time.monotonic() - started
    if log:
        log.write_text("".join(lines))
    assert seconds < timeout, f"{' '.join(argv)} ran longer than {timeout} s; output:\n{''.join(lines[-40:])}"
    return Run(argv, "".join(lines), seconds, None if killed_after else rc, killed_after, tasks, log)
