#!/usr/bin/env bash
# Two test "production servers" reached over SSH: containers bs-host-1 / bs-host-2 on the network bs-remote,
# each with its own Docker engine (data on its own volume), sshd with key-only logins, the users deploy
# (sudo, not in the docker group), ops (docker group, no sudo) and appuser, and inside it the pre-cutover
# memcached sandbox stack in /srv/business_suite, brought up by the host's own copy of sandbox/up.sh.
#
#   sandbox/remote/hosts.sh up [--fresh]   create or reuse the hosts, load images, bring the stacks up
#   sandbox/remote/hosts.sh reset          the same as up --fresh: both stacks back to a new memcached stack
#   sandbox/remote/hosts.sh status         the hosts, their engines, stacks and disk use (exit 1 if not up)
#   sandbox/remote/hosts.sh down           remove the hosts, their volumes and the network
#
# Idempotent and offline: a second `up` reuses the hosts, loads only images whose id differs inside and lets
# up.sh reuse an unchanged stack. SSH: ssh -F .cache/remote/ssh_config deploy@bs-host-1 (the key pair in
# .cache/remote is made once; known_hosts is written from the hosts' own keys, read through docker exec).
# The local sandbox stack, its lock and the outer engine's other containers are never touched.
set -euo pipefail
LOG_TAG=remote
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

WAIT=${REMOTE_WAIT:-60}
started=$SECONDS

usage() { sed -n '2,15p' "$0"; }

# The container's label value, or nothing when there is no such container.
label_of_container() { docker inspect -f "{{index .Config.Labels \"$REMOTE_LABEL\"}}" "$1" 2>/dev/null || true; }
label_of_network() { docker network inspect -f "{{index .Labels \"$REMOTE_LABEL\"}}" "$1" 2>/dev/null || true; }
label_of_volume() { docker volume inspect -f "{{index .Labels \"$REMOTE_LABEL\"}}" "$1" 2>/dev/null || true; }

# Runs "$@" HOST for every host at once, each line prefixed with the host; fails if any of them failed.
on_hosts() {
  local host i pids=() failed=()
  for host in "${HOSTS[@]}"; do
    ("$@" "$host" 2>&1 | sed -u "s/^/[$host] /") &
    pids+=("$!")
  done
  for i in "${!pids[@]}"; do wait "${pids[$i]}" || failed+=("${HOSTS[$i]}"); done
  [ ${#failed[@]} -eq 0 ] || die "$1 failed on ${failed[*]} (see the lines above)"
}

check_images() {
  local var missing=()
  for var in REMOTE_HOST_IMAGE "${STACK_IMAGES[@]}"; do
    docker image inspect "${!var}" >/dev/null 2>&1 || missing+=("${!var}")
  done
  [ ${#missing[@]} -eq 0 ] || die "missing image(s) ${missing[*]}: run 'make images' first"
}

ensure_key() {
  mkdir -p "$REMOTE_CACHE"
  chmod 0700 "$REMOTE_CACHE"
  [ -f "$KEY" ] && return
  log "generating the SSH key pair $KEY"
  ssh-keygen -q -t ed25519 -N '' -C "bs-remote-tests" -f "$KEY"
}

ensure_network() {
  local ipam
  ipam=$(docker network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{.IPRange}}{{end}}' "$REMOTE_NETWORK" 2>/dev/null ||
    true)
  [ "$ipam" = "$REMOTE_SUBNET $REMOTE_IP_RANGE" ] && return
  if [ -n "$ipam" ]; then
    [ -n "$(label_of_network "$REMOTE_NETWORK")" ] ||
      die "network $REMOTE_NETWORK exists with $ipam and was not made by this script; remove it first"
    die "network $REMOTE_NETWORK has $ipam (want $REMOTE_SUBNET $REMOTE_IP_RANGE): run '$0 down' first"
  fi
  log "creating network $REMOTE_NETWORK ($REMOTE_SUBNET, hosts at ${HOST_IP[*]})"
  docker network create --driver bridge --subnet "$REMOTE_SUBNET" --ip-range "$REMOTE_IP_RANGE" \
    --label "$REMOTE_LABEL=network" "$REMOTE_NETWORK" >/dev/null
}

# The flags that let a container run its own dockerd here (no --privileged: the kernel withholds
# CAP_SYS_RESOURCE, see docs/ARCHITECTURE.md). No restart policy: tests decide when a host runs.
run_host() {
  local host=$1 volume
  volume=$(volume_of "$host")
  if [ -z "$(label_of_volume "$volume")" ]; then
    docker volume inspect "$volume" >/dev/null 2>&1 && die "volume $volume exists but was not made by this script"
    docker volume create --label "$REMOTE_LABEL=volume" "$volume" >/dev/null
  fi
  docker run -d --name "$host" --hostname "$host" --label "$REMOTE_LABEL=host" \
    --network "$REMOTE_NETWORK" --ip "${HOST_IP[$host]}" --restart no --stop-timeout 30 \
    --cap-add ALL --cap-drop SYS_RESOURCE --security-opt seccomp=unconfined \
    --security-opt apparmor=unconfined --security-opt systempaths=unconfined \
    -v /sys/fs/cgroup:/sys/fs/cgroup -v "$volume:/var/lib/docker" "$REMOTE_HOST_IMAGE" >/dev/null
}

# Creates the host, starts a stopped one, or recreates one whose image or address is not the wanted one
# (the engine's volume, with its images, is kept).
ensure_host() {
  local host=$1 label have want
  label=$(label_of_container "$host")
  if [ -z "$label" ]; then
    docker inspect "$host" >/dev/null 2>&1 && die "container $host exists but was not made by this script"
    log "creating $host at ${HOST_IP[$host]}"
    run_host "$host"
    return
  fi
  # Image, network and configured address (kept while the container is stopped, unlike .IPAddress).
  want="$(docker image inspect -f '{{.Id}}' "$REMOTE_HOST_IMAGE") $(docker network inspect -f '{{.Id}}' "$REMOTE_NETWORK")"
  want+=" ${HOST_IP[$host]}"
  have=$(docker inspect -f "{{.Image}} {{with index .NetworkSettings.Networks \"$REMOTE_NETWORK\"}}{{.NetworkID}} \
{{with .IPAMConfig}}{{.IPv4Address}}{{end}}{{end}}" "$host")
  if [ "$have" != "$want" ]; then
    log "recreating $host (its image, network or address changed; its engine's volume stays)"
    docker rm -f "$host" >/dev/null
    run_host "$host"
  elif [ "$(docker inspect -f '{{.State.Status}}' "$host")" != running ]; then
    log "starting $host (was $(docker inspect -f '{{.State.Status}}' "$host"))"
    docker start "$host" >/dev/null
  fi
}

# Waits until the host's engine answers and its sshd accepts connections from this machine.
wait_host() {
  local host=$1 i
  for ((i = 0; i < WAIT * 2; i++)); do
    if docker exec "$host" docker info >/dev/null 2>&1 && timeout 1 bash -c "</dev/tcp/${HOST_IP[$host]}/22" 2>/dev/null; then
      return 0
    fi
    if [ "$(docker inspect -f '{{.State.Running}}' "$host")" != true ]; then
      # The entrypoint logs nothing itself: its engine's and sshd's logs are in the stopped container.
      docker logs --tail 20 "$host" >&2
      docker cp "$host:/var/log/dockerd.log" - 2>/dev/null | tar -xO 2>/dev/null | tail -n 30 >&2 || true
      docker cp "$host:/var/log/sshd.log" - 2>/dev/null | tar -xO 2>/dev/null | tail -n 10 >&2 || true
      die "$host exited with status $(docker inspect -f '{{.State.ExitCode}}' "$host") (its logs above)"
    fi
    sleep 0.5
  done
  docker exec "$host" tail -n 20 /var/log/dockerd.log /var/log/sshd.log >&2 || true
  die "$host: its dockerd or sshd did not answer within ${WAIT}s (logs above)"
}

authorize() {
  local host=$1
  # shellcheck disable=SC2016 # expanded by the host's shell
  docker exec "$host" sh -c 'for user in deploy ops; do
      install -d -m 0700 -o "$user" -g "$user" "/home/$user/.ssh"
      printf "%s\n" "$1" >"/home/$user/.ssh/authorized_keys"
      chown "$user:$user" "/home/$user/.ssh/authorized_keys"
      chmod 0600 "/home/$user/.ssh/authorized_keys"
    done' sh "$(cat "$KEY.pub")"
}

# known_hosts from each host's own key (docker exec is the trusted channel), so ssh can check strictly;
# rewritten on every up, since a recreated host has new keys.
write_ssh_files() {
  local host key tmp
  tmp=$(mktemp "$REMOTE_CACHE/.known_hosts.XXXXXX")
  for host in "${HOSTS[@]}"; do
    key=$(docker exec "$host" cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub)
    printf '%s,%s %s\n' "$host" "${HOST_IP[$host]}" "$key" >>"$tmp"
  done
  mv "$tmp" "$KNOWN_HOSTS"
  {
    echo "# Written by sandbox/remote/hosts.sh up: ssh -F $SSH_CONFIG deploy@bs-host-1"
    for host in "${HOSTS[@]}"; do
      printf 'Host %s %s\n  HostName %s\n' "$host" "${HOST_IP[$host]}" "${HOST_IP[$host]}"
    done
    printf 'Host *\n'
    printf '  %s\n' "IdentityFile $KEY" "IdentitiesOnly yes" "UserKnownHostsFile $KNOWN_HOSTS" \
      "GlobalKnownHostsFile /dev/null" "StrictHostKeyChecking yes" "BatchMode yes" "ConnectTimeout 5"
  } >"$SSH_CONFIG"
}

# Loads into the host's engine every stack image whose id differs there, in one `docker save` stream
# (shared layers go once).
load_stack_images() {
  local host=$1 var inside missing=() t0=$SECONDS
  inside=$(docker exec "$host" docker images --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}')
  for var in "${STACK_IMAGES[@]}"; do
    grep -qxF "${!var} $(docker image inspect -f '{{.Id}}' "${!var}")" <<<"$inside" || missing+=("${!var}")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "images up to date"
    return
  fi
  log "loading ${missing[*]}"
  docker save "${missing[@]}" | docker exec -i "$host" docker load -q >/dev/null
  # Images the load replaced: everything in this engine is ours.
  docker exec "$host" docker image prune -f >/dev/null
  log "loaded ${#missing[@]} image(s) in $((SECONDS - t0)) s"
}

# The host's copy of sandbox/ (up.sh, lib.sh, the compose templates, the app code), replaced whole.
sync_sandbox() {
  local host=$1
  tar -C "$REPO_ROOT" --exclude=__pycache__ -cf - sandbox | docker exec -i "$host" sh -c "
    rm -rf $HOST_SANDBOX.new && mkdir -p $HOST_SANDBOX.new &&
    tar -C $HOST_SANDBOX.new --strip-components=1 -xf - &&
    rm -rf $HOST_SANDBOX && mv $HOST_SANDBOX.new $HOST_SANDBOX"
}

# up.sh inside the host, with this machine's image names; --fresh also drops the rollback-* tags a
# rollout's snapshot leaves, so the host looks as it did before any cutover.
stack_up() {
  local fresh=$1 host=$2 var env=(-e "SANDBOX_DIR=$HOST_STACK_DIR") tags
  for var in "${STACK_IMAGES[@]}"; do env+=(-e "$var=${!var}"); done
  if [ "$fresh" = 1 ]; then
    tags=$(docker exec "$host" docker images --format '{{.Repository}}:{{.Tag}}' | grep ':rollback-' || true)
    # shellcheck disable=SC2086 # one tag a word
    [ -z "$tags" ] || { log "removing rollback tags: ${tags//$'\n'/ }"; docker exec "$host" docker rmi $tags >/dev/null; }
    docker exec "${env[@]}" "$host" "$HOST_SANDBOX/up.sh" --fresh
  else
    docker exec "${env[@]}" "$host" "$HOST_SANDBOX/up.sh"
  fi
}

# step WHAT COMMAND...: runs the command and says how long WHAT took.
step() {
  local what=$1 t0=$SECONDS
  shift
  "$@"
  log "$what: $((SECONDS - t0)) s"
}

up() {
  local fresh=$1 host
  check_images
  ensure_key
  ensure_network
  for host in "${HOSTS[@]}"; do ensure_host "$host"; done
  for host in "${HOSTS[@]}"; do wait_host "$host"; done
  for host in "${HOSTS[@]}"; do authorize "$host"; done
  write_ssh_files
  step "images" on_hosts load_stack_images
  for host in "${HOSTS[@]}"; do sync_sandbox "$host"; done
  step "stacks" on_hosts stack_up "$fresh"
  log "hosts ${HOSTS[*]} up in $((SECONDS - started)) s: ssh -F $SSH_CONFIG deploy@bs-host-1"
}

# Prints each host's state; returns 1 unless both hosts run, their engines answer and their stacks'
# containers are all running (and healthy where they have a healthcheck).
status() {
  local host ok=0 volume ps bad line
  for host in "${HOSTS[@]}"; do
    volume=$(volume_of "$host")
    if [ "$(docker inspect -f '{{.State.Running}}' "$host" 2>/dev/null)" != true ]; then
      log "$host: not running"
      ok=1
      continue
    fi
    log "$host: running at ${HOST_IP[$host]}, engine $(docker exec "$host" docker info --format '{{.ID}}' 2>/dev/null ||
      echo 'not answering'), volume $volume $(docker exec "$host" du -sxh /var/lib/docker 2>/dev/null | cut -f1)"
    ps=$(docker exec "$host" docker ps -a --filter "label=com.docker.compose.project=$PROJECT" \
      --format '{{.Names}} {{.Status}}' 2>/dev/null | sort || true)
    [ -n "$ps" ] || { log "$host: no stack"; ok=1; continue; }
    while IFS= read -r line; do printf '    %s\n' "$line"; done <<<"$ps"
    bad=$(grep -vE '^\S+ Up ' <<<"$ps" || true)$(grep -E '\((unhealthy|health: starting)\)$' <<<"$ps" || true)
    [ -z "$bad" ] || { log "$host: stack not healthy"; ok=1; }
  done
  return $ok
}

down() {
  local host ids
  ids=$(docker ps -aq --filter "label=$REMOTE_LABEL")
  # shellcheck disable=SC2086 # one id a word
  [ -z "$ids" ] || docker rm -f $ids >/dev/null
  for host in "${HOSTS[@]}"; do
    [ -z "$(label_of_volume "$(volume_of "$host")")" ] || docker volume rm "$(volume_of "$host")" >/dev/null
    # The hosts' engines made cgroups in this machine's hierarchy (--cgroup-parent=/<host>): empty now.
    find /sys/fs/cgroup/"$host" /sys/fs/cgroup/*/"$host" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
  if [ -n "$(label_of_network "$REMOTE_NETWORK")" ]; then
    docker network rm "$REMOTE_NETWORK" >/dev/null
  fi
  rm -f "$KNOWN_HOSTS" "$SSH_CONFIG"
  log "removed ${HOSTS[*]}, their volumes and network $REMOTE_NETWORK in $((SECONDS - started)) s (key pair kept in $REMOTE_CACHE)"
}

# One hosts.sh at a time changes the hosts (suites that use them take /tmp/bs-remote.lock, see the Makefile;
# this is a different file, so a suite holding that one can still call reset).
case ${1:-} in
  up | reset | down)
    exec 9>"${REMOTE_HOSTS_LOCK:-/tmp/bs-remote-hosts.lock}"
    flock -w 600 9 || die "another hosts.sh has held ${REMOTE_HOSTS_LOCK:-/tmp/bs-remote-hosts.lock} for 10 minutes"
    ;;
esac
case ${1:-} in
  up)
    case ${2:-} in
      "") up 0 ;;
      --fresh) up 1 ;;
      *) die "unknown argument $2 (usage: $0 up [--fresh])" ;;
    esac
    ;;
  reset) up 1 ;;
  status) status ;;
  down) down ;;
  -h | --help) usage ;;
  *)
    usage >&2
    exit 2
    ;;
esac
