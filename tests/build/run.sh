#!/usr/bin/env bash
# Builds the collection tarball, checks what it ships (no sandbox, bench, CI or test-only files), installs it
# into a scratch collections path and resolves its modules, role and playbooks from there.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=build/collection
rm -rf "$out"
mkdir -p "$out/installed"

version=$(awk '/^version:/ {print $2}' galaxy.yml)
ansible-galaxy collection build --force --output-path "$out" . >/dev/null
tarball=$out/revisbali-business_suite-$version.tar.gz
echo "build: $tarball ($(du -h "$tarball" | cut -f1))"

listing=$(tar -tzf "$tarball")
for unwanted in sandbox/ bench/ .ci/ collections/ .venv/ .cache/ Makefile requirements-dev.txt; do
  if grep -q "^$unwanted" <<<"$listing"; then
    echo "build: $unwanted must not be in the tarball (galaxy.yml build_ignore)" >&2
    exit 1
  fi
done
for wanted in plugins/modules/redis_smoke.py plugins/modules/pgqueuer_probe.py plugins/modules/dotenv.py \
              roles/redis_cutover/meta/argument_specs.yml playbooks/rollout.yml playbooks/rollback.yml \
              meta/runtime.yml meta/execution-environment.yml; do
  grep -qx "$wanted" <<<"$listing" || { echo "build: $wanted is missing from the tarball" >&2; exit 1; }
done

# Resolve from the installed copy, not the checkout (community.* still come from the ansible package).
export ANSIBLE_COLLECTIONS_PATH="$PWD/$out/installed"
printf '[defaults]\n' >"$out/ansible.cfg"
export ANSIBLE_CONFIG="$PWD/$out/ansible.cfg"
# Dependencies come from the ansible package here (no Galaxy server), so install without them.
ansible-galaxy collection install --force --no-deps -p "$out/installed" "$tarball" >/dev/null
installed=$(ansible-galaxy collection list revisbali.business_suite --format json)
grep -q "$out/installed" <<<"$installed" || { echo "build: installed collection not found" >&2; exit 1; }
ansible-doc -t module revisbali.business_suite.redis_smoke >/dev/null
ansible-doc -t role revisbali.business_suite.redis_cutover >/dev/null
(cd /tmp && ansible-playbook --syntax-check revisbali.business_suite.rollout >/dev/null)
echo "build: installed from $tarball and resolved modules, role and playbooks"
