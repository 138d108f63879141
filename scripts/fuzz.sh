#!/usr/bin/env bash
# Runs every fuzz target in the module for a while each; findings land in
# the package's testdata/fuzz. Usage: scripts/fuzz.sh [DURATION] [PATTERN]
# (default 60s per target; PATTERN filters targets by name, e.g. Decoder).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

duration=${1:-60s}
pattern=${2:-}
# Shrinking a new input can take most of a short run; keep it short so the
# time goes to new inputs.
minimize=${FUZZ_MINIMIZE_TIME:-2s}

mapfile -t targets < <(grep -rl --include='*_test.go' '^func Fuzz' cmd internal |
	xargs grep -H '^func Fuzz' | sed -E 's|^(.*)/[^/]+:func (Fuzz[A-Za-z0-9_]*)\(.*|\1 \2|' | sort -u)
for t in "${targets[@]}"; do
	read -r dir name <<<"$t"
	[ -z "$pattern" ] || [[ $name == *"$pattern"* ]] || continue
	step "$dir $name ($duration)"
	go test "./$dir" -run '^$' -fuzz "^${name}\$" -fuzztime "$duration" -fuzzminimizetime "$minimize"
done
