#!/bin/sh
# The host-side lock that keeps two cutover runs (a laptop and an AWX job, say) off one host at a time.
#
#   cutover_lock.sh take|force|check LOCK_DIR STALE_AFTER_S TOKEN HOLDER
#   cutover_lock.sh release LOCK_DIR STALE_AFTER_S TOKEN STAGING_DIR
#
# The lock is a directory (mkdir is atomic): LOCK_DIR/holder says who holds it, LOCK_DIR/token which run.
# take:    0 taken; 0 and "broke stale ..." when the lock was older than STALE_AFTER_S; 3 held (holder on stdout).
# force:   take it whoever holds it (the role decided the holder is dead, or was told to break it).
# check:   0 free (or stale), 3 held; creates nothing (check mode).
# release: remove STAGING_DIR (this run's, from take), then the lock if TOKEN is ours; someone else's lock is
#          left alone.
# A run that holds the lock gets its staging directory here, beside the lock: take and force first remove the
# staging-* directories runs that lost their connection left (each holds a copy of .env), then make a new one
# (mktemp: 0700) and say "staging=<path>".
# Only a new state directory gets mode 0700; an existing one keeps its mode and owner.
set -eu
action=$1 lock=$2 stale=$3 token=$4 holder=${5:-}
state=$(dirname "$lock")
now=$(date +%s)

age() { echo $((now - $(stat -c %Y "$lock/token" 2>/dev/null || stat -c %Y "$lock"))); }
show() { cat "$lock/holder" 2>/dev/null || echo "holder=unknown (no holder file)"; echo "age_s=$(age)"; }
write() {
  printf '%s\n' "$holder" | tr ' ' '\n' >"$lock/holder"
  printf '%s\n' "$token" >"$lock/token"
  for left in "$state"/staging-*; do
    [ -d "$left" ] || continue
    rm -rf "$left"; echo "removed_staging=$left"
  done
  echo "staging=$(mktemp -d "$state/staging-XXXXXXXX")"
}

case $action in
  release)
    # Only a directory take made: a staging-* entry of the state directory itself (no further /, so no ..).
    case ${5:-} in "$state"/staging-*/*) ;; "$state"/staging-*) rm -rf "$5" ;; esac
    if [ "$(cat "$lock/token" 2>/dev/null)" = "$token" ]; then rm -rf "$lock"; echo released; else echo "not ours"; fi
    exit 0 ;;
  check)
    if [ -d "$lock" ] && [ "$(age)" -lt "$stale" ]; then show; exit 3; fi
    echo free; exit 0 ;;
  force)
    [ ! -d "$lock" ] || { echo "broke the lock of:"; show; rm -rf "$lock"; }
    mkdir "$lock" && write && echo taken; exit 0 ;;
  take)
    # The project directory above it exists: preflight checked it.
    [ -d "$state" ] || mkdir -m 0700 "$state"
    if mkdir "$lock" 2>/dev/null; then write; echo taken; exit 0; fi
    if [ "$(age)" -ge "$stale" ]; then
      echo "broke a stale lock (older than ${stale} s) of:"; show
      rm -rf "$lock"
      mkdir "$lock" && write && exit 0
    fi
    show; exit 3 ;;
  *) echo "unknown action $action" >&2; exit 2 ;;
esac
