#!/usr/bin/env bash
# Builds a small Debian root filesystem into DIR: debootstrap minbase plus the settings Debian's
# own container images carry (no services started by package scripts, no docs/man/locales, no
# recommends, no apt caches). build.sh hashes this file: editing it rebuilds every image.
# Usage: rootfs.sh DIR SUITE MIRROR
set -euo pipefail
dir=$1 suite=$2 mirror=$3

debootstrap --variant=minbase "$suite" "$dir" "$mirror"

# Package scripts must not try to start daemons inside an image build.
printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
chmod 0755 "$dir/usr/sbin/policy-rc.d"

cat >"$dir/etc/dpkg/dpkg.cfg.d/01-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
EOF
cat >"$dir/etc/apt/apt.conf.d/01-slim" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };
EOF

find "$dir/usr/share/doc" -type f ! -name copyright -delete
rm -rf "$dir"/usr/share/man/* "$dir"/usr/share/locale/* "$dir"/usr/share/info/*
rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb "$dir"/tmp/*
find "$dir/var/log" -type f -delete
