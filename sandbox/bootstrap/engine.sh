#!/usr/bin/env bash
# Makes sure a Docker engine answers, and says which storage driver it runs.
#
#   sandbox/bootstrap/engine.sh          reuse the running engine, or start Debian's dockerd
#   sandbox/bootstrap/engine.sh stop     stop the dockerd this script started (containers stop with it)
#
# A running engine is reused as it is. Otherwise, as root on Debian, dockerd is started with the
# storage driver this host supports best: overlay2 (what production Docker hosts run) when a test
# overlay mount works in the data root's filesystem, vfs (every container a full copy of its
# image: slow, but works everywhere) when it does not. SANDBOX_STORAGE_DRIVER=overlay2|vfs forces
# the choice. Each driver keeps its own images in the data root, so switching back finds them again.
set -euo pipefail

LOG=${DOCKERD_LOG:-/var/log/dockerd-sandbox.log}
WAIT=${DOCKERD_WAIT:-60}
DATA_ROOT=${DOCKERD_DATA_ROOT:-/var/lib/docker}
PIDFILE=${DOCKERD_PIDFILE:-/var/run/dockerd-sandbox.pid}
FORCED=${SANDBOX_STORAGE_DRIVER:-}

say() { printf 'engine: %s\n' "$*"; }
die() { printf 'engine: %s\n' "$*" >&2; exit 1; }

case $FORCED in
  "" | overlay2 | vfs) ;;
  *) die "SANDBOX_STORAGE_DRIVER must be overlay2 or vfs, not '$FORCED'" ;;
esac

# Tries an overlay mount (with a write through it) in the filesystem that holds $1. Prints why on
# failure; the mount and its directories are removed either way.
overlay_works() {
  local root=$1 dir out rc=0
  mkdir -p "$root"
  dir=$(mktemp -d "$root/.overlay-probe.XXXXXX")
  mkdir "$dir"/{lower,upper,work,merged}
  echo probe >"$dir/lower/file"
  if out=$(mount -t overlay overlay -o "lowerdir=$dir/lower,upperdir=$dir/upper,workdir=$dir/work" \
    "$dir/merged" 2>&1); then
    if ! echo written >"$dir/merged/file" 2>/dev/null || [ "$(cat "$dir/upper/file" 2>/dev/null)" != written ]; then
      out="a write through the overlay did not reach its upper directory"
      rc=1
    fi
    umount "$dir/merged" 2>/dev/null || true
  else
    rc=1
  fi
  rm -rf "$dir"
  [ $rc -eq 0 ] || printf '%s\n' "${out:-mount failed}"
  return $rc
}

# Sets $choice and $why: the driver to start with on this host, and the reason.
pick_driver() {
  local failure
  if [ -n "$FORCED" ]; then
    choice=$FORCED why="forced by SANDBOX_STORAGE_DRIVER=$FORCED"
  elif failure=$(overlay_works "$DATA_ROOT"); then
    choice=overlay2 why="an overlay mount works in $DATA_ROOT's filesystem ($(stat -f -c %T "$DATA_ROOT"))"
  else
    choice=vfs why="no overlay mount in $DATA_ROOT's filesystem: $failure"
  fi
}

running_driver() { docker info --format '{{.Driver}}' 2>/dev/null; }

stop_engine() {
  local pid
  pid=$(cat "$PIDFILE" 2>/dev/null) || { say "no dockerd started by this script (no $PIDFILE)"; return 0; }
  if kill -0 "$pid" 2>/dev/null; then
    say "stopping dockerd (pid $pid)"
    kill "$pid"
    for _ in $(seq 1 "$WAIT"); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -0 "$pid" 2>/dev/null && die "dockerd (pid $pid) did not stop within ${WAIT}s"
  fi
  rm -f "$PIDFILE"
  say "stopped"
}

# Starts dockerd with driver $1 and waits until it answers; returns 1 (log tail printed) if not.
start_engine() {
  local driver=$1 pid
  say "starting dockerd --storage-driver=$driver --data-root $DATA_ROOT (log: $LOG)"
  # setsid: the daemon must outlive the make recipe that starts it.
  setsid nohup dockerd --storage-driver="$driver" --data-root "$DATA_ROOT" --pidfile "$PIDFILE" \
    >"$LOG" 2>&1 </dev/null &
  pid=$!
  for _ in $(seq 1 "$WAIT"); do
    if docker info >/dev/null 2>&1; then
      say "ready: $(docker info --format '{{.ServerVersion}}, storage driver {{.Driver}}')"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  say "dockerd --storage-driver=$driver did not answer; last log lines:" >&2
  tail -n 20 "$LOG" >&2
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  return 1
}

if [ "${1:-}" = stop ]; then
  stop_engine
  exit 0
fi
[ $# -eq 0 ] || die "unknown argument $1 (usage: engine.sh [stop])"

if docker info >/dev/null 2>&1; then
  driver=$(running_driver)
  say "reusing the running engine: $(docker info --format '{{.ServerVersion}}'), storage driver $driver"
  switch="stop it (sandbox/bootstrap/engine.sh stop, or however it was started), then rerun with"
  if [ -n "$FORCED" ] && [ "$FORCED" != "$driver" ]; then
    die "SANDBOX_STORAGE_DRIVER=$FORCED, but the running engine uses $driver: $switch SANDBOX_STORAGE_DRIVER=$FORCED"
  fi
  if [ -z "$FORCED" ] && [ "$(id -u)" -eq 0 ]; then
    pick_driver
    if [ "$choice" != "$driver" ]; then
      say "note: this host could run $choice ($why); to switch, $switch SANDBOX_STORAGE_DRIVER=$choice"
    fi
  fi
  exit 0
fi

if [ "$(id -u)" -ne 0 ] || [ ! -r /etc/debian_version ]; then
  die "no Docker engine answers and this is not a root Debian host. Start Docker yourself (docker info must work), then rerun."
fi
command -v dockerd >/dev/null || die "dockerd is missing; run 'make host-packages' (installs docker.io)"

pick_driver
say "storage driver $choice: $why"
start_engine "$choice" && exit 0
if [ "$choice" = overlay2 ] && [ -z "$FORCED" ]; then
  say "falling back to vfs: dockerd did not start with overlay2 although the test mount worked"
  start_engine vfs && exit 0
fi
die "no engine started (log: $LOG)"
