#!/usr/bin/env bash
# Debian packages the sandbox and the test suite need on this machine. Idempotent: installs only
# what is missing, so a second run costs a dpkg query.
set -euo pipefail

packages=(
  docker.io          # engine (20.10) when none is running
  debootstrap        # the base image is built from Debian's archive, not pulled
  redis-server redis-tools  # integration tests start their own redis-server on loopback
  memcached          # integration tests start their own memcached on loopback
  postgresql-15      # integration tests start their own PostgreSQL on loopback
  openssl            # TLS certificates for the Redis TLS tests
  shellcheck         # ansible-test sanity runs it on shell scripts
  rsync
  openssh-client     # ssh, ssh-keygen: the remote test hosts (sandbox/remote) are reached over SSH
)

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && { echo "host-packages: all present"; exit 0; }

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "host-packages: missing ${missing[*]}; install them (needs root on Debian/Ubuntu)" >&2
  exit 1
fi
echo "host-packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The distribution's services are not wanted: tests start their own servers on ephemeral ports.
for svc in redis-server memcached postgresql; do
  if command -v systemctl >/dev/null && systemctl is-active --quiet "$svc" 2>/dev/null; then
    systemctl stop "$svc" || true
  fi
done
echo "host-packages: done"
