"""Rollout over SSH vs local, on the same stack: the sandbox stack (the same images, compose file and .env shape)
on this machine's engine with a local connection, and on the remote test servers (sandbox/remote/hosts.sh: their
own engines, reached as deploy over SSH with become, the role's defaults), one host and the two-host fleet
(serial 1, the playbook's default; and serial 2, both hosts at once). Every run starts from a fresh memcached
stack and is followed by an idempotent re-run. Prints medians (min-max) and ratios to the local rollout of the
same go, and writes build/bench/remote-<time>.json.

    flock /tmp/bs-sandbox.lock flock /tmp/bs-remote.lock .venv/bin/python bench/remote.py --runs 3   # make bench-remote
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHORT = {"redis_cutover_wait_timeout": 120, "redis_cutover_verify_timeout": 60}
# name: (inventory, extra vars, limit, how to reset the stack first)
CASES = {
    "local (sandbox, connection local)": ("inventories/sandbox", {}, None, "local"),
    "ssh, one host (bs-host-1)": ("inventories/remote", {}, "bs-host-1", "remote"),
    "ssh, fleet of 2, serial 1": ("inventories/remote", {}, None, "remote"),
    "ssh, fleet of 2, serial 2": ("inventories/remote", {"redis_cutover_serial": 2}, None, "remote"),
}


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PATH=f"{REPO / '.venv/bin'}:{env.get('PATH', '')}",
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=str(REPO / "collections"),
        ANSIBLE_FORCE_COLOR="0",
    )
    return env


def reset(kind: str) -> None:
    script = ["sandbox/up.sh", "--fresh"] if kind == "local" else ["sandbox/remote/hosts.sh", "reset"]
    subprocess.run(script, cwd=REPO, check=True, capture_output=True)


def rollout(inventory: str, extra: dict, limit: str | None) -> float:
    argv = ["ansible-playbook", "playbooks/rollout.yml", "-i", inventory, "-e", json.dumps({**SHORT, **extra})]
    argv += ["--limit", limit] if limit else []
    started = time.monotonic()
    proc = subprocess.run(argv, cwd=REPO, env=environment(), capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    if proc.returncode:
        sys.exit(f"{' '.join(argv)} failed (rc {proc.returncode}):\n{proc.stdout[-3000:]}")
    return seconds


def figures(values: list[float]) -> str:
    return f"{statistics.median(values):6.1f} s ({min(values):.1f}-{max(values):.1f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results = {name: {"rollout_s": [], "rerun_s": []} for name in CASES}
    for run in range(args.runs):
        for name, (inventory, extra, limit, kind) in CASES.items():
            reset(kind)
            results[name]["rollout_s"].append(rollout(inventory, extra, limit))
            results[name]["rerun_s"].append(rollout(inventory, extra, limit))
            print(
                f"run {run + 1}/{args.runs} {name}: rollout {results[name]['rollout_s'][-1]:.1f} s, "
                f"re-run {results[name]['rerun_s'][-1]:.1f} s",
                flush=True,
            )
    reset("local")
    reset("remote")
    local = statistics.median(results[next(iter(CASES))]["rollout_s"])
    print(f"\n| case (N={args.runs}) | rollout | re-run (changed=0) | rollout / local |")
    print("| --- | ---: | ---: | ---: |")
    for name, figs in results.items():
        ratio = statistics.median(figs["rollout_s"]) / local
        print(f"| {name} | {figures(figs['rollout_s'])} | {figures(figs['rerun_s'])} | {ratio:.2f}x |")
    out = REPO / "build/bench" / f"remote-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"runs": args.runs, "results": results}, indent=2) + "\n")
    print(f"\nwrote {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
