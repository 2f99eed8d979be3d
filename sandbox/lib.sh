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
# Every fixed container name a sandbox stack (or an earlier run of one) may hold.
CONTAINERS=(postgres-srv memcached bs-redis bs-core bs-frontend bs-worker bs-alloy)

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

# Removes the project's containers and volumes (found by label, so it works whatever compose
# file is or is not on disk), containers of earlier runs that hold the fixed names, and
# $SANDBOX_DIR. Images and the network stay.
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
  rm -rf "$SANDBOX_DIR"
}
