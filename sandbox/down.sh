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
    # An engine can refuse ("has active endpoints") while it lists no container: it is still releasing the
    # endpoints of those just removed, or it kept one of a container killed mid-start (only restarting dockerd
    # drops that). up.sh reuses a network with the sandbox's subnet, so such a network is kept, and said.
    removed=""
    for _ in 1 2 3 4 5; do
      if error=$(docker network rm "$NETWORK" 2>&1 >/dev/null); then removed=yes; break; fi
      sleep 1
    done
    if [ -n "$removed" ]; then
      log "removed network $NETWORK"
    else
      log "WARNING: kept network $NETWORK: no container uses it, but the engine refuses to remove it ($error);" \
        "up.sh reuses it, restarting dockerd clears it"
    fi
  else
    log "kept network $NETWORK (still used by: $users)"
  fi
fi
