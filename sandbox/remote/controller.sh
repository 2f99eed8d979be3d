#!/usr/bin/env bash
# Runs Ansible from a throwaway container on the network bs-remote that has no Docker: no docker CLI, no
# /var/run/docker.sock. A rollout that works from here reached the hosts' engines over SSH only.
#
#   sandbox/remote/controller.sh [ansible-playbook args...]
#   sandbox/remote/controller.sh --cmd PROGRAM [args...]    e.g. --cmd ansible -i inventories/remote all -m ping
#
# The checkout (so .cache/remote's key and known_hosts too) and its .venv are bind-mounted at their own
# paths, so the venv's interpreter link resolves; when the venv was made from a Python outside /usr (pyenv),
# that installation is mounted read-only at its path as well. ANSIBLE_CONFIG and ANSIBLE_COLLECTIONS_PATH
# default to the Makefile's; other ANSIBLE_* variables of the caller pass through. The working directory is
# the caller's when it is inside the checkout, else the checkout.
set -euo pipefail
LOG_TAG=controller
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

VENV=${VENV:-$REPO_ROOT/.venv}
program=ansible-playbook
if [ "${1:-}" = --cmd ]; then
  [ $# -ge 2 ] || die "--cmd needs a program"
  program=$2
  shift 2
fi

[ -x "$VENV/bin/$program" ] || die "no $VENV/bin/$program (the program runs from the venv): run 'make venv'"
docker image inspect "$CONTROLLER_IMAGE" >/dev/null 2>&1 || die "image $CONTROLLER_IMAGE is missing: run 'make images'"
docker network inspect "$REMOTE_NETWORK" >/dev/null 2>&1 || die "network $REMOTE_NETWORK is missing: run 'make remote-up'"

mounts=(-v "$REPO_ROOT:$REPO_ROOT")
case $VENV in "$REPO_ROOT"/*) ;; *) mounts+=(-v "$VENV:$VENV:ro") ;; esac
base=$("$VENV/bin/python" -c 'import sys; print(sys.base_prefix)')
if [ "$base" = /usr ]; then
  # The venv links to /usr/bin/python3.X: the image's own Debian python must be the same release.
  want=$("$VENV/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  have=$(docker run --rm --entrypoint python3 "$CONTROLLER_IMAGE" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  [ "$want" = "$have" ] || die "$VENV runs Python $want, $CONTROLLER_IMAGE has $have"
else
  mounts+=(-v "$base:$base:ro")
fi

workdir=$REPO_ROOT
case $PWD/ in "$REPO_ROOT"/*) workdir=$PWD ;; esac
env=(-e "ANSIBLE_CONFIG=${ANSIBLE_CONFIG:-$REPO_ROOT/ansible.cfg}"
  -e "ANSIBLE_COLLECTIONS_PATH=${ANSIBLE_COLLECTIONS_PATH:-$REPO_ROOT/collections}"
  -e "PATH=$VENV/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" -e PYTHONDONTWRITEBYTECODE=1)
while IFS= read -r name; do
  case $name in ANSIBLE_CONFIG | ANSIBLE_COLLECTIONS_PATH) ;; *) env+=(-e "$name") ;; esac
done < <(compgen -e | grep '^ANSIBLE_' || true)
tty=()
[ -t 0 ] && [ -t 1 ] && tty=(-t)

# The check runs inside, right before ansible: it is the container ansible runs in that has no Docker.
# shellcheck disable=SC2016 # expanded inside the container
check='if command -v docker >/dev/null 2>&1; then echo "controller: a docker CLI is present: $(command -v docker)" >&2; exit 97; fi
for sock in /var/run/docker.sock /run/docker.sock; do
  if [ -e "$sock" ]; then echo "controller: $sock is present" >&2; exit 97; fi
done
echo "controller: no docker CLI, no docker socket; running $1" >&2
exec "$@"'
exec docker run --rm -i "${tty[@]}" --init --network "$REMOTE_NETWORK" --label "$REMOTE_LABEL=controller" \
  "${mounts[@]}" "${env[@]}" -w "$workdir" --entrypoint bash "$CONTROLLER_IMAGE" -c "$check" controller "$program" "$@"
