#!/usr/bin/env bash
# Runs the system on its embedded defaults (offline speech and dialog, the
# Store API mock, no database, no cloud keys) and makes one call to it with
# callsim, printing the conversation as the simulator heard it.
#
#   scripts/demo.sh [SCENARIO]     default: scenarios/tire-search.yaml
set -euo pipefail
cd "$(dirname "$0")/.."

scenario=${1:-scenarios/tire-search.yaml}
work=$(mktemp -d)
pids=()
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	for pid in "${pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT

# wait_for_log FILE MESSAGE FIELD: prints FIELD of the first log line with
# MESSAGE once it appears (the programs log their listen addresses).
wait_for_log() {
	local value=""
	for _ in $(seq 1 300); do
		value=$(sed -n "s/.*\"msg\":\"$2\".*\"$3\":\"\\([^\"]*\\)\".*/\\1/p" "$1" | head -n 1)
		if [ -n "$value" ]; then
			echo "$value"
			return 0
		fi
		sleep 0.1
	done
	echo "no \"$2\" in $1:" >&2
	cat "$1" >&2
	return 1
}

echo "building call-processor, store-api-mock and callsim..."
go build -o "$work/" ./cmd/call-processor ./cmd/store-api-mock ./cmd/callsim

# Port 0: the system picks free ports, and the start-up log lines say which.
STORE_API_ADDR=127.0.0.1:0 "$work/store-api-mock" >"$work/store.log" 2>&1 &
pids+=($!)
store=$(wait_for_log "$work/store.log" "store-api-mock started" addr)

token=demo-$RANDOM$RANDOM
API_TOKEN=$token STORE_API_URL="http://$store" HTTP_ADDR=127.0.0.1:0 AUDIOSOCKET_ADDR=127.0.0.1:0 \
	"$work/call-processor" >"$work/processor.log" 2>&1 &
pids+=($!)
addr=$(wait_for_log "$work/processor.log" "call-processor started" audiosocket_addr)
api=$(wait_for_log "$work/processor.log" "call-processor started" http_addr)

echo "call-processor is listening for AudioSocket on $addr (Store API mock on $store); calling it with $scenario"
echo

status=0
"$work/callsim" run --addr "$addr" --scenario "$scenario" --api "http://$api" --api-token "$token" || status=$?

echo
echo "call-processor's record of the call:"
grep '"msg":"call ended"' "$work/processor.log" || true
exit "$status"
