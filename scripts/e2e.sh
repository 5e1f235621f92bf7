#!/usr/bin/env bash
# Runs the end-to-end test binaries, E2E_JOBS at a time (1 by default), the slowest first, each
# binary's output printed whole with how long it took. Every test takes free ports and temporary
# directories of its own, so binaries may run side by side on a machine with the cores for it — not
# on two: there two binaries' browsers starve each other (their timings fail; the whole is no faster).
# Arguments go to every binary (a name filter, say).
#   bash scripts/e2e.sh                 # all of them, one binary at a time
#   E2E_JOBS=3 bash scripts/e2e.sh      # three at a time (a machine with 8 cores or more)
#   bash scripts/e2e.sh studio          # only tests whose name holds "studio"
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${E2E_JOBS:-1}
export E2E_ARGS="$*"

# The test binaries, as cargo built them.
mapfile -t built < <(cargo test -q -p ivs-e2e --no-run --message-format=json 2>/dev/null \
  | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["kind"] in (["test"], ["lib"]):
        print(m["target"]["name"], m["executable"])
')
((${#built[@]})) || { echo "no end-to-end test binaries were built" >&2; exit 1; }

# Slowest first (seconds on a 2-core machine, one at a time), so the pool ends together.
order=(firefox chat polls controls layout vod playback ingest private locales studio site_server element stages webkit security)
queue=()
for name in "${order[@]}"; do
  for entry in "${built[@]}"; do [ "${entry%% *}" = "$name" ] && queue+=("$entry"); done
done
for entry in "${built[@]}"; do
  [[ " ${order[*]} " == *" ${entry%% *} "* ]] || queue+=("$entry")
done

lock=$(mktemp)
trap 'rm -f "$lock"' EXIT
export lock
one() {
  local name=$1 bin=$2 out status=0
  out=$(mktemp)
  local started=$SECONDS
  # shellcheck disable=SC2086 # the arguments, split as the caller gave them
  "$bin" --test-threads=1 $E2E_ARGS >"$out" 2>&1 || status=$?
  # Printed whole, under a lock, with the name cargo would have printed.
  flock "$lock" bash -c 'printf "\n     Running tests/%s.rs (%ss)\n" "$1" "$2"; cat "$3"' _ "$name" $((SECONDS - started)) "$out"
  rm -f "$out"
  return "$status"
}
export -f one
printf '%s\n' "${queue[@]}" | xargs -P "$jobs" -L 1 bash -c 'one "$0" "$1"'
