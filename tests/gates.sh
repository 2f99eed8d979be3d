#!/usr/bin/env bash
# Runs every gate of `make test`, times each, and prints a table of wall times with the engine's
# storage driver and the total at the end, also when a gate fails (the gates after it show "not run").
#
#   tests/gates.sh            what `make test` runs
#
# The sandbox images build in the background while the gates that need no engine (lint, sanity,
# unit, build) run, so the two cores are busy while apt and debootstrap wait on the network.
# The background build's output goes to build/gates/images.log (its tail is printed if it fails).
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
MAKE=${MAKE:-make}
LOGS=build/gates
mkdir -p "$LOGS"
started=$SECONDS
names=() times=() results=()

record() { names+=("$1"); times+=("$2"); results+=("$3"); }

fmt() { if [ -n "$1" ]; then printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); else printf -- -; fi; }

table() {
  local i driver
  driver=$(docker info --format '{{.Driver}}' 2>/dev/null) || driver="no engine"
  printf '\n%-26s %9s  %s\n' gate "wall time" result
  for i in "${!names[@]}"; do
    printf '%-26s %9s  %s\n' "${names[$i]}" "$(fmt "${times[$i]}")" "${results[$i]}"
  done
  printf '%-26s %9s\n' "total" "$(fmt $((SECONDS - started)))"
  printf 'storage driver: %s\n' "$driver"
}

# Prints the gates that never ran, then the table; runs on every exit.
planned=(setup lint sanity unit build images integration molecule faults remote bench-smoke)
images_pid=""
finish() {
  local gate seen
  # A gate failed while the images were still building: stop the build with the suite.
  if [ -n "$images_pid" ]; then
    kill "$images_pid" 2>/dev/null || true
    record "images (beside lint..build)" "" stopped
  fi
  for gate in "${planned[@]}"; do
    seen=0
    for name in "${names[@]}"; do [ "${name%% *}" = "$gate" ] && seen=1; done
    [ $seen = 1 ] || record "$gate" "" "not run"
  done
  table
}
trap finish EXIT

# gate NAME MAKE-TARGET...: runs the targets in the foreground; returns 1 when they fail.
gate() {
  local name=$1 t0=$SECONDS
  shift
  echo "=== gate $name"
  if "$MAKE" --no-print-directory "$@"; then
    record "$name" $((SECONDS - t0)) passed
  else
    record "$name" $((SECONDS - t0)) FAILED
    echo "=== gate $name FAILED" >&2
    return 1
  fi
}

gate setup venv host-packages || exit 1

# The image build runs beside the static gates and writes its own duration (the wait below may
# come long after it finished).
rm -f "$LOGS/images.seconds"
(
  t0=$SECONDS
  "$MAKE" --no-print-directory images >"$LOGS/images.log" 2>&1
  rc=$?
  echo $((SECONDS - t0)) >"$LOGS/images.seconds"
  exit $rc
) &
images_pid=$!
echo "=== gate images: building in the background (log: $LOGS/images.log)"

for static in lint sanity unit build; do
  gate "$static" "$static" || exit 1
done

echo "=== gate images: waiting for the background build"
images_rc=0
wait "$images_pid" || images_rc=$?
images_pid=""
images_s=$(cat "$LOGS/images.seconds" 2>/dev/null || echo 0)
if [ $images_rc -eq 0 ]; then
  record "images (beside lint..build)" "$images_s" passed
  grep -E '^(engine|compose|images): ' "$LOGS/images.log" | grep -vE ': (skip|build) ' || true
else
  record "images (beside lint..build)" "$images_s" FAILED
  tail -n 40 "$LOGS/images.log" >&2
  exit 1
fi

for engine_gate in integration molecule faults remote bench-smoke; do
  gate "$engine_gate" "$engine_gate" || exit 1
done
echo "make test: all gates passed"
