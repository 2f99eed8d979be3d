#!/usr/bin/env bash
# Builds every sandbox image from this repository only (no registry pull), in dependency order.
# An image is skipped when a hash of its Dockerfile, build context, build arguments and parent
# image id equals the hash label on the image already present, so a second run takes seconds
# and a changed parent rebuilds its children. Caches (rootfs tarball, wheels, build contexts,
# build logs) live under .cache/.
set -euo pipefail
LOG_TAG=images
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
load_images

IMAGES=$SANDBOX_ROOT/images
APP=$SANDBOX_ROOT/app
LABEL=org.revisbali.sandbox.hash
SUITE=bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
PYTHON=${PYTHON:-$REPO_ROOT/.venv/bin/python}
[ -x "$PYTHON" ] || PYTHON=python3
export DOCKER_BUILDKIT=0 # the classic builder: no buildx plugin needed, talks to engine API 1.41
mkdir -p "$CACHE_DIR"/{rootfs,wheels,contexts,logs}
started=$SECONDS

# Each storage driver keeps its own image store: images built under another driver are not visible
# to this one, so the hash labels below find nothing and everything is built again.
driver=$(docker info --format '{{.Driver}}')
if [ -z "$(docker image ls -q --filter "label=$LABEL")" ]; then
  others=$(find "$(docker info --format '{{.DockerRootDir}}')/image" -mindepth 1 -maxdepth 1 -type d \
    ! -name "$driver" -printf '%f ' 2>/dev/null || true)
  [ -z "$others" ] || others=" (those built under ${others% } stay in the store of that driver)"
  log "no sandbox images under storage driver $driver$others: building them"
else
  log "storage driver $driver"
fi

sha() { sha256sum | cut -c1-64; }
label_of() { docker image inspect -f "{{index .Config.Labels \"$LABEL\"}}" "$1" 2>/dev/null || true; }
id_of() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null || true; }

debian() {
  local hash tar dir t0=$SECONDS
  hash=$({ cat "$IMAGES/debian/rootfs.sh"; echo "$SUITE $MIRROR"; } | sha)
  if [ "$(label_of "$DEBIAN_IMAGE")" = "$hash" ]; then log "skip  $DEBIAN_IMAGE (unchanged)"; return; fi
  tar=$CACHE_DIR/rootfs/debian-$SUITE-${hash:0:12}.tar
  if [ ! -f "$tar" ]; then
    log "debootstrap --variant=minbase $SUITE from $MIRROR (log: $CACHE_DIR/logs/debian.log)"
    dir=$(mktemp -d "$CACHE_DIR/rootfs/build.XXXXXX")
    if ! "$IMAGES/debian/rootfs.sh" "$dir/root" "$SUITE" "$MIRROR" >"$CACHE_DIR/logs/debian.log" 2>&1; then
      tail -n 30 "$CACHE_DIR/logs/debian.log" >&2
      umount -R "$dir/root/proc" "$dir/root/sys" 2>/dev/null || true
      die "debootstrap failed; left $dir for inspection"
    fi
    find "$CACHE_DIR/rootfs" -maxdepth 1 -name "debian-$SUITE-*.tar" -delete
    tar -C "$dir/root" --numeric-owner -cf "$tar.partial" . && mv "$tar.partial" "$tar"
    rm -rf "$dir"
  fi
  docker import --change "LABEL $LABEL=$hash" --change 'CMD ["bash"]' "$tar" "$DEBIAN_IMAGE" >/dev/null
  log "built $DEBIAN_IMAGE in $((SECONDS - t0)) s"
}

# build IMAGE_VAR PARENT_VAR CONTEXT_DIR DOCKERFILE [NAME=VALUE build args...]
build() {
  local var=$1 parent=$2 context=$3 dockerfile=$4 hash args=() t0=$SECONDS
  shift 4
  local image=${!var} logf=$CACHE_DIR/logs/${var,,}.log
  hash=$({ id_of "${!parent}"; tree_hash "$context"; cat "$dockerfile"; printf '%s\n' "$@"; } | sha)
  if [ "$(label_of "$image")" = "$hash" ]; then log "skip  $image (unchanged)"; return; fi
  for arg in "BASE=${!parent}" "$@"; do args+=(--build-arg "$arg"); done
  log "build $image (log: $logf)"
  if ! docker build --network host --label "$LABEL=$hash" "${args[@]}" -f "$dockerfile" -t "$image" "$context" \
    >"$logf" 2>&1; then
    tail -n 40 "$logf" >&2
    die "building $image failed (full log: $logf)"
  fi
  log "built $image in $((SECONDS - t0)) s"
}

# Wheels for one release, fetched on the host (pip inside a container cannot verify TLS here).
wheels() {
  local release=$1 dest=$CACHE_DIR/wheels/$1 stamp
  stamp=$(cat "$APP/requirements-memcached.txt" "$APP/requirements-$release.txt" | sha)
  [ "$(cat "$dest/.stamp" 2>/dev/null)" = "$stamp" ] && return
  log "pip download wheels for release $release into $dest (log: $CACHE_DIR/logs/wheels-$release.log)"
  rm -rf "$dest"
  if ! "$PYTHON" -m pip download --disable-pip-version-check --no-deps --only-binary :all: \
    --python-version 3.11 --implementation cp --abi cp311 \
    --platform "manylinux2014_$(uname -m)" --platform "manylinux_2_17_$(uname -m)" \
    --platform "manylinux_2_28_$(uname -m)" \
    --dest "$dest" -r "$APP/requirements-$release.txt" >"$CACHE_DIR/logs/wheels-$release.log" 2>&1; then
    tail -n 20 "$CACHE_DIR/logs/wheels-$release.log" >&2
    die "downloading wheels for release $release failed"
  fi
  echo "$stamp" >"$dest/.stamp"
}

# The app context: requirements, the backend and the release's wheels, copied side by side.
app() {
  local release=$1 var=$2 context=$CACHE_DIR/contexts/app-$1
  wheels "$release"
  mkdir -p "$context"
  rsync -a --delete --exclude __pycache__ "$APP/backend/" "$context/backend/"
  rsync -a --delete --exclude .stamp "$CACHE_DIR/wheels/$release/" "$context/wheels/"
  cp "$APP/requirements-memcached.txt" "$context/"
  [ "$release" = memcached ] || cp "$APP/requirements-$release.txt" "$context/"
  build "$var" PYTHON_IMAGE "$context" "$IMAGES/app/Dockerfile" "RELEASE=$release"
}

debian
build PYTHON_IMAGE DEBIAN_IMAGE "$IMAGES/python" "$IMAGES/python/Dockerfile"
build POSTGRES_IMAGE DEBIAN_IMAGE "$IMAGES/postgres" "$IMAGES/postgres/Dockerfile"
build MEMCACHED_IMAGE DEBIAN_IMAGE "$IMAGES/memcached" "$IMAGES/memcached/Dockerfile"
build REDIS_IMAGE DEBIAN_IMAGE "$IMAGES/redis" "$IMAGES/redis/Dockerfile"
app memcached APP_MEMCACHED_IMAGE
app redis APP_REDIS_IMAGE
build FRONTEND_IMAGE PYTHON_IMAGE "$IMAGES/web" "$IMAGES/web/Dockerfile" PORT=4000
build STUB_IMAGE PYTHON_IMAGE "$IMAGES/web" "$IMAGES/web/Dockerfile" PORT=8080
# The remote-host tests' server and Docker-free controller (sandbox/remote/). The server's context gets the
# pinned compose binary that bootstrap/compose.sh installs (its pin, read from that script, stays the only one).
remote_host() {
  local context=$CACHE_DIR/contexts/remote-host binary
  binary=$("$SANDBOX_ROOT/remote/compose-binary.sh") || die "no pinned compose binary for $REMOTE_HOST_IMAGE"
  mkdir -p "$context"
  rsync -a --delete --exclude docker-compose "$IMAGES/remote-host/" "$context/"
  install -m 0755 "$binary" "$context/docker-compose"
  build REMOTE_HOST_IMAGE DEBIAN_IMAGE "$context" "$IMAGES/remote-host/Dockerfile"
}
remote_host
build CONTROLLER_IMAGE PYTHON_IMAGE "$IMAGES/controller" "$IMAGES/controller/Dockerfile"

# Images these builds replaced are ours and dangling now (unless a container still runs one).
docker image prune --force --filter "label=$LABEL" >/dev/null
log "done in $((SECONDS - started)) s"
for var in DEBIAN_IMAGE PYTHON_IMAGE POSTGRES_IMAGE MEMCACHED_IMAGE REDIS_IMAGE APP_MEMCACHED_IMAGE \
  APP_REDIS_IMAGE FRONTEND_IMAGE STUB_IMAGE REMOTE_HOST_IMAGE CONTROLLER_IMAGE; do
  docker image ls --format '  {{.Repository}}:{{.Tag}}  {{.Size}}' "${!var}"
done
