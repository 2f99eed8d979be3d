"""Queue bench.record jobs through bs-core's POST /api/jobs, one every --interval seconds, until --stop-file exists.

Runs in the background while a converge changes the stack under it. A request that fails (bs-core is being
replaced) is counted and not retried: only jobs bs-core accepted exist. Their ids go to --ids-file (a JSON list,
replaced after each accepted job), so a verifier can check that every accepted job was processed.
"""

from __future__ import annotations

import argparse
import json
import time
import urllib.request
from pathlib import Path


def enqueue(url: str, seq: int, timeout: float) -> list[int]:
    body = json.dumps({"entrypoint": "bench.record", "payloads": [{"seq": seq}]}).encode()
    # The URL is the scenario's own http:// address of bs-core (a sandbox container), never user input.
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return json.load(response)["ids"]


def write_ids(path: Path, ids: list[int]) -> None:
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(ids) + "\n")
    partial.replace(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--ids-file", type=Path, required=True)
    parser.add_argument("--stop-file", type=Path, required=True)
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--max-seconds", type=float, default=900, help="stop even if nobody creates the stop file")
    args = parser.parse_args()

    ids: list[int] = []
    failed = 0
    write_ids(args.ids_file, ids)
    deadline = time.monotonic() + args.max_seconds
    seq = 0
    while not args.stop_file.exists() and time.monotonic() < deadline:
        seq += 1
        try:
            ids += enqueue(args.url, seq, timeout=5)
        except (OSError, ValueError):
            failed += 1
        else:
            write_ids(args.ids_file, ids)
        time.sleep(args.interval)  # the pace of arriving work, not a wait for a condition
    print(json.dumps({"accepted": len(ids), "failed": failed}))


if __name__ == "__main__":
    main()
