#!/bin/bash
# Runs redis-server as the redis user. Like the official image, protected mode is off by default
# (the container network is the boundary); an explicit --protected-mode later on the command
# line still wins, and a config file given first stays first.
set -euo pipefail
if [ "${1:-}" != redis-server ]; then exec "$@"; fi
shift
if [ -n "${1:-}" ] && [ "${1#-}" = "$1" ]; then
  conf=$1
  shift
  set -- "$conf" --protected-mode no "$@"
else
  set -- --protected-mode no "$@"
fi
exec setpriv --reuid=redis --regid=redis --init-groups redis-server "$@"
