"""The two cutover methods and what the benchmark reads from the sandbox stack around them.

Runs under the caller's /tmp/bs-sandbox.lock (the Makefile's bench targets take it): nothing here
takes it again. Builds on tests/lib/sandbox.py for the stack itself.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from ansible_collections.revisbali.business_suite.plugins.module_utils import dotenv
from tests.lib import sandbox

REPO = sandbox.REPO
SEED_SCRIPT = REPO / "bench/seed_runbook.sh"
RECAP_RE = re.compile(r"^\S+\s*:\s*ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.MULTILINE)
SEED_STEP_RE = re.compile(r"^seed: step (\d) done \+([\d.]+) s$", re.MULTILINE)
FAILED_RE = re.compile(r"ROLLOUT FAILED at [^\n]*")
# The service containers a cutover touches or must leave alone (bs-alloy sits behind a profile).
CONTAINERS = ("postgres-srv", "memcached", "bs-redis", "bs-core", "bs-frontend", "bs-worker")
LIFECYCLE = ("create", "start", "kill", "die", "destroy")
EVENT_FORMAT = "{{.TimeNano}} {{.Action}} {{.Actor.Attributes.name}}"


def tool_env() -> dict[str, str]:
    """The environment `make` gives its targets, so the harness also runs outside make."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    env.setdefault("ANSIBLE_CONFIG", str(REPO / "ansible.cfg"))
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", str(REPO / "collections"))
    env["SANDBOX_DIR"] = str(sandbox.SANDBOX_DIR)
    env["ANSIBLE_NOCOLOR"] = "1"
    return env


def run_logged(argv: list[str], log: Path, *, timeout: float = 900) -> tuple[int, float, str]:
    """Run a command with its output in `log`; returns (exit code, wall seconds, output)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with log.open("w") as out:
        out.write(f"$ {' '.join(argv)}\n")
        out.flush()
        try:
            rc = subprocess.run(
                argv, cwd=REPO, env=tool_env(), stdout=out, stderr=subprocess.STDOUT, timeout=timeout, check=False
            ).returncode
        except subprocess.TimeoutExpired:
            rc = 124
    wall = time.monotonic() - started
    return rc, wall, log.read_text()


def reset() -> None:
    """The pre-cutover state every run starts from: a fresh memcached stack (new volumes, new secrets)."""
    sandbox.up("memcached", fresh=True)


def rollout(log: Path) -> dict:
    """The collection's rollout, as its users run it."""
    rc, wall, output = run_logged(["ansible-playbook", "playbooks/rollout.yml", "-i", "inventories/sandbox"], log)
    recap = RECAP_RE.search(output)
    failure = FAILED_RE.search(output)
    return {
        "rc": rc,
        "wall_s": wall,
        "changed": int(recap.group(1)) if recap else None,
        "error": None if rc == 0 else (failure.group(0) if failure else f"ansible-playbook exited {rc}, see {log}"),
    }


def seed_runbook(new_env: Path, new_compose: Path, log: Path) -> dict:
    """The seed runbook's production rollout (bench/seed_runbook.sh)."""
    argv = [str(SEED_SCRIPT), str(sandbox.SANDBOX_DIR), str(new_env), str(new_compose)]
    rc, wall, output = run_logged(argv, log)
    steps = {f"step{n}": float(at) for n, at in SEED_STEP_RE.findall(output)}
    return {
        "rc": rc,
        "wall_s": wall,
        "steps_s": steps,
        "error": None if rc == 0 else f"seed runbook exited {rc}, see {log}",
    }


def live_files() -> dict[str, str]:
    return {name: (sandbox.SANDBOX_DIR / name).read_text() for name in (".env", "docker-compose.yml")}


def rekey(rendered: str, rendered_from: str, current: str) -> str:
    """The .env `rendered` was made from the .env `rendered_from`; return what it would be for `current`.

    Every fresh stack is written from one template with new random values (secrets, and a comment that
    holds one too), so the two source files match entry for entry. Entries that differ between them take
    the current stack's text; everything else, the role's own keys above all, stays as rendered. A key the
    rendering changed *and* the stacks differ in cannot be carried over and raises ValueError."""
    before, now = dotenv.parse(rendered_from), dotenv.parse(current)
    if [e.key for e in before] != [e.key for e in now]:
        raise ValueError("the two stacks' .env files do not have the same entries")
    carried = {old.raw: new.raw for old, new in zip(before, now, strict=True) if old.raw != new.raw}
    changed_keys = {old.key: old.raw for old, new in zip(before, now, strict=True) if old.key and old.raw != new.raw}
    lines = []
    for entry in dotenv.parse(rendered):
        if entry.key in changed_keys and entry.raw != changed_keys[entry.key]:
            raise ValueError(f"{entry.key} differs between the stacks and was changed by the rendering")
        lines.append(carried.get(entry.raw, entry.raw))
    return "".join(lines)


def env_differences(expected: str, actual: str) -> list[str]:
    """Lines where two .env texts differ, named by line number and key only (values are secrets)."""
    pairs = itertools.zip_longest(expected.splitlines(), actual.splitlines(), fillvalue="")
    return [
        f"line {n}: {match.group(1) if match else '(comment or blank)'}"
        for n, (a, b) in enumerate(pairs, 1)
        if a != b
        for match in [dotenv.KEY_RE.match(a or b)]
    ]


def containers() -> dict[str, dict]:
    """Each sandbox container that exists: image, id and start time (a restart changes the last two)."""
    found = {}
    for name in CONTAINERS:
        result = sandbox.run(["docker", "inspect", "--type", "container", name], check=False)
        if result.returncode == 0:
            data = json.loads(result.stdout)[0]
            found[name] = {
                "image": data["Config"]["Image"],
                "id": data["Id"][:12],
                "started": data["State"]["StartedAt"],
            }
    return found


def restarted(before: dict[str, dict], after: dict[str, dict]) -> list[str]:
    """Containers that were there before and were replaced or restarted since."""
    return sorted(
        name
        for name in before
        if name in after
        and (before[name]["id"], before[name]["started"]) != (after[name]["id"], after[name]["started"])
    )


def end_state() -> dict:
    """What a finished cutover must show, whichever method made it."""
    status, body = sandbox.http("GET", "/api/cache/roundtrip")
    env = sandbox.read_env()
    return {
        "containers": {name: c["image"] for name, c in containers().items()},
        "cache_backend": body.get("backend") if isinstance(body, dict) and status == 200 else f"HTTP {status}",
        "worker_subscribers": sandbox.redis_numsub(env.get("PGQUEUE_CHANNEL", "")),
        "env_keys": sorted(env),
    }


class ContainerEvents:
    """Records the engine's lifecycle events of the sandbox containers while it runs (the engine's own
    history is too short: healthchecks fill it within a minute), to see where a pause came from."""

    def __init__(self) -> None:
        filters = [f"--filter=event={action}" for action in LIFECYCLE]
        self._process = subprocess.Popen(
            ["docker", "events", "--filter=type=container", *filters, "--format", EVENT_FORMAT],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )

    def stop(self) -> list[dict]:
        """Stop recording; the events as {"t": unix time, "container": name, "action": ...}."""
        self._process.terminate()
        output, _ = self._process.communicate(timeout=10)
        events = []
        for line in output.splitlines():
            nanos, action, name = line.split(" ", 2)
            name = name.split("_")[-1]  # a recreated container is created as <id>_<name>, then renamed
            if name in CONTAINERS:
                events.append({"t": int(nanos) / 1e9, "container": name, "action": action})
        return events


def processed_jobs() -> list[tuple[int, float]]:
    """(seq, processed_at) of every bench.record job the worker processed."""
    rows = sandbox.query("SELECT seq, extract(epoch FROM processed_at)::float8 AS at FROM bench_job_record")
    return [(row["seq"], row["at"]) for row in rows]


def wait_processed(seqs: set[int], timeout: float) -> list[tuple[int, float]]:
    """Poll until every seq in `seqs` was processed or `timeout` passes; returns what was processed."""
    deadline = time.monotonic() + timeout
    while True:
        processed = processed_jobs()
        if seqs <= {seq for seq, _ in processed} or time.monotonic() > deadline:
            return processed
        time.sleep(0.5)


def role_report() -> dict | None:
    """The collection's own report of its last run (phases and the worker gap it measured itself)."""
    latest = sandbox.SANDBOX_DIR / ".cutover/reports/latest.json"
    return json.loads(latest.read_text()) if latest.exists() else None


def drop_rollback_tags(report: dict | None) -> list[str]:
    """Remove the rollback-<id> tags the run's snapshot added, only where the image keeps another tag
    (so no image is deleted): fresh stacks never roll back to them and they would pile up run after run."""
    if not report or not report.get("snapshot"):
        return []
    manifest = Path(report["snapshot"]) / "manifest.json"
    if not manifest.exists():
        return []
    dropped = []
    for image in json.loads(manifest.read_text()).get("images", {}).values():
        tag = image.get("rollback_tag")
        inspect = sandbox.run(["docker", "image", "inspect", "-f", "{{json .RepoTags}}", tag], check=False)
        if inspect.returncode == 0 and len(json.loads(inspect.stdout)) > 1:
            sandbox.run(["docker", "image", "rm", tag])
            dropped.append(tag)
    return dropped
