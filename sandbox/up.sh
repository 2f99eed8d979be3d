#!/usr/bin/env bash
# Brings up the sandbox RevisBaliCRM host in $SANDBOX_DIR (default /srv/business_suite) and
# returns once every service is healthy or running, bs-core serves with a working cache and the
# worker has run a probe job (bs-alloy stays behind its profile, as in production).
#
#   sandbox/up.sh [--release memcached|redis] [--fresh]
#
# --release memcached (default): the pre-cutover production stack (sandbox/host/docker-compose.yml).
# --release redis: a test fixture, the post-cutover shape (docker-compose.redis.yml, Redis keys in .env).
# --fresh: remove the project (containers, volumes, $SANDBOX_DIR) first.
#
# Idempotent: when $SANDBOX_DIR still holds exactly what this script wrote for the same release
# (and sandbox/app/backend is unchanged), it only runs `docker compose up -d --wait` (no container
# is recreated). Anything else (another release, files changed by hand or by the cutover role, a
# half-removed project) starts afresh. Images come from `make images` (sandbox/images/build.sh).
#
# $SANDBOX_DIR/backend is a copy of sandbox/app/backend: the compose file bind-mounts ./backend over
# the image's code, as the app's does; both releases run this code (the release is the image's
# libraries).
set -euo pipefail
LOG_TAG=up
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
load_images

release=memcached
fresh=0
while [ $# -gt 0 ]; do
  case $1 in
    --release) release=${2:-}; shift 2 ;;
    --release=*) release=${1#*=}; shift ;;
    --fresh) fresh=1; shift ;;
    -h | --help) sed -n '2,20p' "$0"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
case $release in
  memcached) template=$SANDBOX_ROOT/host/docker-compose.yml ;;
  redis) template=$SANDBOX_ROOT/host/docker-compose.redis.yml ;;
  *) die "--release must be memcached or redis, not '$release'" ;;
esac
STAMP=$SANDBOX_DIR/.sandbox-stamp
started=$SECONDS

for var in POSTGRES_IMAGE MEMCACHED_IMAGE REDIS_IMAGE APP_MEMCACHED_IMAGE APP_REDIS_IMAGE FRONTEND_IMAGE STUB_IMAGE; do
  docker image inspect "${!var}" >/dev/null 2>&1 || die "image ${!var} is missing: run 'make images' first"
done

# The release, a hash of the files as this script wrote them and one of the app code it copied.
stamp_now() {
  printf '%s %s %s\n' "$release" "$(cat "$SANDBOX_DIR/docker-compose.yml" "$SANDBOX_DIR/.env" | sha256sum)" \
    "$(tree_hash "$SANDBOX_ROOT/app/backend")"
}

ensure_network() {
  local ipam
  ipam=$(docker network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{.IPRange}}{{end}}' "$NETWORK" 2>/dev/null || true)
  [ "$ipam" = "$SUBNET $IP_RANGE" ] && return
  if [ -n "$ipam" ]; then
    [ -z "$(docker network inspect -f '{{range .Containers}}{{.Name}} {{end}}' "$NETWORK")" ] ||
      die "network $NETWORK has subnet/range $ipam (want $SUBNET $IP_RANGE) and containers attached; remove them first"
    log "network $NETWORK has subnet/range $ipam; recreating it with $SUBNET $IP_RANGE"
    docker network rm "$NETWORK" >/dev/null
  fi
  log "creating network $NETWORK ($SUBNET, dynamic addresses from $IP_RANGE)"
  docker network create --driver bridge --subnet "$SUBNET" --ip-range "$IP_RANGE" "$NETWORK" >/dev/null
}

# The app's file declares le-certs external: it must exist before `up`. Empty in the sandbox.
ensure_volume() {
  docker volume inspect le-certs >/dev/null 2>&1 && return
  log "creating external volume le-certs"
  docker volume create le-certs >/dev/null
}

# The app's file mounts ${DB_PATH} and ./backend with rslave propagation, which dockerd only accepts
# from a shared or slave mount. Production hosts run systemd, which makes / shared; where the mount
# holding $SANDBOX_DIR is private (as on these machines), $SANDBOX_DIR becomes a shared bind mount of
# itself (teardown unmounts it).
ensure_shared_mount() {
  case $(findmnt -no PROPAGATION -T "$SANDBOX_DIR") in
    *shared* | *slave*) return ;;
  esac
  log "the mount holding $SANDBOX_DIR is private: making $SANDBOX_DIR a shared bind mount of itself (rslave mounts)"
  mount --bind "$SANDBOX_DIR" "$SANDBOX_DIR"
  mount --make-shared "$SANDBOX_DIR"
}

random_secret() { head -c 24 /dev/urandom | base64 | tr '+/' '-_'; }

# The Redis release swaps the memcached key for the five keys of the runbook.
render_env() {
  local line
  while IFS= read -r line; do
    while [[ $line == *@SECRET@* ]]; do line=${line/@SECRET@/$(random_secret)}; done
    if [ "$release" = redis ] && [[ $line == MEMCACHED_HOST=* ]]; then
      printf '%s\n' REDIS_URL=redis://bs-redis:6379/1 REDIS_HOST=bs-redis REDIS_PORT=6379 PGQUEUE_CHANNEL=0 \
        CACHE_KEY_PREFIX=revisbali
    else
      printf '%s\n' "${line//@SANDBOX_DIR@/$SANDBOX_DIR}"
    fi
  done <"$SANDBOX_ROOT/host/env.template"
}

render() {
  local args=() var
  for var in POSTGRES_IMAGE MEMCACHED_IMAGE REDIS_IMAGE APP_MEMCACHED_IMAGE APP_REDIS_IMAGE FRONTEND_IMAGE STUB_IMAGE; do
    args+=(-e "s|@$var@|${!var}|g")
  done
  log "rendering $SANDBOX_DIR for release $release"
  # The long-syntax bind mounts need their sources to exist (compose does not create them).
  mkdir -p "$SANDBOX_DIR"/data/{postgres,media,db,logs,staticfiles} "$SANDBOX_DIR"/backups "$SANDBOX_DIR"/backend
  tar -C "$SANDBOX_ROOT/app/backend" --exclude=__pycache__ -cf - . | tar -C "$SANDBOX_DIR/backend" -xf -
  # bs-alloy's config (only read under --profile alloy; the stub ignores it): a file, not a directory
  # docker would create in its place.
  mkdir -p "$SANDBOX_DIR/grafana/alloy"
  printf '// sandbox: bs-alloy is a stub that reads no configuration\n' >"$SANDBOX_DIR/grafana/alloy/config-prod.alloy"
  sed "${args[@]}" "$template" >"$SANDBOX_DIR/docker-compose.yml"
  (
    umask 077
    render_env >"$SANDBOX_DIR/.env"
  )
  stamp_now >"$STAMP"
}

if [ "$fresh" = 1 ]; then
  log "--fresh: removing the project"
  teardown
elif [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(stamp_now 2>/dev/null)" ]; then
  log "reusing $SANDBOX_DIR (release $release, files unchanged)"
else
  [ -e "$SANDBOX_DIR" ] && log "$SANDBOX_DIR is not a $release stack written by this script; starting afresh"
  teardown
fi

# Containers of earlier runs (another project dir, a crashed run) would collide on the fixed names.
for name in "${CONTAINERS[@]}"; do
  dir=$(docker inspect -f '{{index .Config.Labels "com.docker.compose.project.working_dir"}}' "$name" 2>/dev/null) ||
    continue
  if [ "$dir" != "$SANDBOX_DIR" ]; then
    log "removing stale container $name (from ${dir:-no compose project})"
    docker rm -f "$name" >/dev/null
  fi
done

ensure_network
ensure_volume
[ -f "$STAMP" ] || render
ensure_shared_mount

if ! compose --progress quiet up -d --wait --wait-timeout 300; then
  compose ps -a >&2
  compose ps -a --format '{{.Service}} {{.State}} {{.Health}}' | while read -r service state health; do
    [ "$state" = running ] && [ "$health" != unhealthy ] && [ "$health" != starting ] && continue
    log "last log lines of $service ($state $health):" >&2
    compose logs --tail 30 "$service" >&2
  done
  die "the stack did not become healthy"
fi
# bs-core and bs-worker have no healthcheck (the app's file has none): `--wait` only saw them running.
if ! docker exec bs-core python manage.py wait_ready --timeout 180; then
  for service in bs-core bs-worker; do
    log "last log lines of $service:" >&2
    compose logs --tail 30 "$service" >&2
  done
  die "bs-core or bs-worker did not become ready"
fi
compose ps --format 'table {{.Name}}\t{{.Image}}\t{{.Status}}'
log "release $release up in $((SECONDS - started)) s (project dir $SANDBOX_DIR)"
