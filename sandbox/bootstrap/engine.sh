#!/usr/bin/env bash
# Makes sure a Docker engine answers. Reuses a running one; otherwise, as root on Debian, starts
# Debian's dockerd with the vfs storage driver (overlayfs is not available on these machines).
set -euo pipefail

LOG=${DOCKERD_LOG:-/var/log/dockerd-sandbox.log}
WAIT=${DOCKERD_WAIT:-60}

if docker info >/dev/null 2>&1; then
  echo "engine: reusing $(docker info --format '{{.ServerVersion}} ({{.Driver}})')"
  exit 0
fi

if [ "$(id -u)" -ne 0 ] || [ ! -r /etc/debian_version ]; then
  echo "engine: no Docker engine answers and this is not a root Debian host." >&2
  echo "engine: start Docker yourself (docker info must work), then rerun." >&2
  exit 1
fi
if ! command -v dockerd >/dev/null; then
  echo "engine: dockerd is missing; run 'make host-packages' (installs docker.io)" >&2
  exit 1
fi

echo "engine: starting dockerd --storage-driver=vfs (log: $LOG)"
# setsid: the daemon must outlive the make recipe that starts it.
setsid nohup dockerd --storage-driver=vfs >"$LOG" 2>&1 </dev/null &
for _ in $(seq 1 "$WAIT"); do
  if docker info >/dev/null 2>&1; then
    echo "engine: ready $(docker info --format '{{.ServerVersion}} ({{.Driver}})')"
    exit 0
  fi
  sleep 1
done
echo "engine: dockerd did not answer within ${WAIT}s; last log lines:" >&2
tail -n 20 "$LOG" >&2
exit 1
