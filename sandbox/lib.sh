# Shared by sandbox/images/build.sh, sandbox/up.sh and sandbox/down.sh (sourced, not run).
# shellcheck shell=bash

SANDBOX_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(dirname "$SANDBOX_ROOT")
CACHE_DIR=${CACHE_DIR:-$REPO_ROOT/.cache}
SANDBOX_DIR=${SANDBOX_DIR:-/srv/business_suite}
PROJECT=business_suite
# shellcheck disable=SC2034 # used by the scripts that source this file
NETWORK=dockernet
# shellcheck disable=SC2034
SUBNET=172.29.62.0/24
# Docker assigns addresses to containers without a fixed one (db, bs-backup, bs-alloy) only from this
# range, so they can never take a fixed address (172.29.62.60-.69) that a service is not holding just now.
# shellcheck disable=SC2034
IP_RANGE=172.29.62.128/25
# Every fixed container name a sandbox stack (or an earlier run of one) may hold.
CONTAINERS=(postgres-srv memcached bs-redis bs-core bs-frontend bs-worker bs-alloy bs-proxy bs-backup)

log() { printf '%s: %s\n' "${LOG_TAG:-sandbox}" "$*"; }
die() { log "$*" >&2; exit 1; }

# images.env holds the defaults; a variable already set in the environment wins.
load_images() {
  local key value
  while IFS='=' read -r key value; do
    [[ $key =~ ^[A-Z_]+$ ]] || continue
    export "$key=${!key:-$value}"
  done <"$SANDBOX_ROOT/images/images.env"
}

compose() { docker compose --project-directory "$SANDBOX_DIR" "$@"; }

# A hash of the names, modes and contents of every file below $1 (bytecode caches left out).
tree_hash() {
  (
    cd "$1" || exit 1
    find . -type f ! -path '*/__pycache__/*' -printf '%P %m\n' | LC_ALL=C sort
    find . -type f ! -path '*/__pycache__/*' -print0 | LC_ALL=C sort -z | xargs -0r sha256sum
  ) | sha256sum | cut -c1-64
}

# Removes the project's containers and volumes (found by label, so it works whatever compose
# file is or is not on disk), containers of earlier runs that hold the fixed names, and
# $SANDBOX_DIR (after unmounting the bind mount up.sh may have made of it). Images, the network
# and the external volume le-certs stay.
teardown() {
  local ids name
  ids=$(
    docker ps -aq --filter "label=com.docker.compose.project=$PROJECT"
    for name in "${CONTAINERS[@]}"; do docker ps -aq --filter "name=^${name}\$"; done
  )
  # shellcheck disable=SC2046 # one id a word
  [ -z "$ids" ] || docker rm -f $(sort -u <<<"$ids") >/dev/null
  ids=$(docker volume ls -q --filter "label=com.docker.compose.project=$PROJECT")
  # shellcheck disable=SC2086
  [ -z "$ids" ] || docker volume rm $ids >/dev/null
  while sandbox_dir_is_self_bind; do umount "$SANDBOX_DIR"; done
  rm -rf "$SANDBOX_DIR"
}

# True when $SANDBOX_DIR is a bind mount of itself, which up.sh makes where the mount holding it is
# private: its root in the filesystem is the directory the parent mount shows at that path.
sandbox_dir_is_self_bind() {
  local fsroot parent parent_root
  fsroot=$(findmnt -no FSROOT --mountpoint "$SANDBOX_DIR" 2>/dev/null | tail -n 1) && [ -n "$fsroot" ] || return 1
  read -r parent parent_root < <(findmnt -no TARGET,FSROOT -T "$(dirname "$SANDBOX_DIR")")
  [ "$fsroot" = "${parent_root%/}${SANDBOX_DIR#"${parent%/}"}" ]
}
