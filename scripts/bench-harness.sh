#!/usr/bin/env bash
# The harness's speed targets (issue 8): the standard suite, 20 trials per
# arm, at least 18 trials per second from start to end, and a median harness
# overhead per trial (time outside the executor) of at most 10 ms. Prints the
# measured figures beside the targets; a slow machine gets a report, not a
# failure.
set -euo pipefail
bin=${FAULTBENCH_BIN:-.build/release/faultbench}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
start=$(date +%s.%N)
"$bin" run --trials "${TRIALS:-20}" --results "$out" >"$out/log" 2>&1 || { cat "$out/log"; exit 1; }
end=$(date +%s.%N)
result=$(ls "$out"/*.json | grep -v journal | head -1)
python3 - "$result" "$start" "$end" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
t = r["timing"]
n = len(r["trials"])
wall = float(sys.argv[3]) - float(sys.argv[2])
print(f"scenarios {len(r['scenarios'])}, trials {n} (warm-ups included), jobs {r['options']['jobs']}")
print(f"{'figure':<40} {'measured':>10} {'target':>10}")
print(f"{'trials/s, run loop':<40} {t['trialsPerSecond']:>10.1f} {'>= 18':>10}")
print(f"{'trials/s, whole command (build excluded)':<40} {n / wall:>10.1f} {'>= 18':>10}")
print(f"{'harness overhead per trial, median ms':<40} {t['overheadMedian'] * 1000:>10.2f} {'<= 10':>10}")
print(f"{'harness overhead per trial, p90 ms':<40} {t['overheadP90'] * 1000:>10.2f} {'':>10}")
PY
