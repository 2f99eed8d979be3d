"""Worker healthcheck (`python -m business_suite.healthcheck`): healthy while the wake-up reader
keeps touching its heartbeat file, i.e. while the worker is subscribed to its broker."""

import sys
import time
from pathlib import Path

HEARTBEAT = Path("/tmp/bs-worker.heartbeat")  # noqa: S108 - per-container file, read by the healthcheck
MAX_AGE = 15  # seconds; the reader touches the file at least once a second while subscribed


def main() -> int:
    try:
        age = time.time() - HEARTBEAT.stat().st_mtime
    except FileNotFoundError:
        print("wake-up reader: no heartbeat yet")
        return 1
    print(f"wake-up reader: last heartbeat {age:.1f} s ago")
    return 0 if age < MAX_AGE else 1


if __name__ == "__main__":
    sys.exit(main())
