#!/usr/bin/env bash
# Runs `molecule test` for every scenario in molecule/, in a fixed order, on this machine's Docker engine,
# and prints how long each took. Stops at the first failing scenario (its exit code is this script's).
#
#   tests/molecule/run.sh [scenario ...]     (default: default rollback auto_rollback local_dev)
#
# The scenarios use the sandbox stack (fixed container names): run this under the sandbox lock, as
# `make molecule` does (`flock /tmp/bs-sandbox.lock tests/molecule/run.sh`); it does not take the lock itself.
# Needs the images from `make images` and the venv from `make venv`.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VENV=${VENV:-$REPO_ROOT/.venv}
cd "$REPO_ROOT"
export PATH="$VENV/bin:$PATH"
# Scenarios live in molecule/ (not extensions/molecule/), next to the collection's roles.
export MOLECULE_GLOB='molecule/*/molecule.yml'
export PYTHONDONTWRITEBYTECODE=1

scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(default rollback auto_rollback local_dev)

total=$SECONDS
for scenario in "${scenarios[@]}"; do
  started=$SECONDS
  echo "molecule: scenario $scenario"
  if ! molecule test --scenario-name "$scenario"; then
    echo "molecule: scenario $scenario FAILED after $((SECONDS - started)) s" >&2
    exit 1
  fi
  echo "molecule: scenario $scenario passed in $((SECONDS - started)) s"
done
echo "molecule: ${#scenarios[@]} scenario(s) passed in $((SECONDS - total)) s"
