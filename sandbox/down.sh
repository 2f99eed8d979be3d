#!/usr/bin/env bash
# Removes the sandbox stack: its containers, its volumes and $SANDBOX_DIR (default
# /srv/business_suite). Images stay; the network dockernet goes only when nothing else uses it.
set -euo pipefail
LOG_TAG=down
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

teardown
log "removed the project and $SANDBOX_DIR"
if docker network inspect "$NETWORK" >/dev/null 2>&1; then
  users=$(docker network inspect -f '{{range .Containers}}{{.Name}} {{end}}' "$NETWORK")
  if [ -z "$users" ]; then
    docker network rm "$NETWORK" >/dev/null
    log "removed network $NETWORK"
  else
    log "kept network $NETWORK (still used by: $users)"
  fi
fi
