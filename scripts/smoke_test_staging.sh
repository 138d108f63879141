#!/usr/bin/env bash
# Smoke test of a running staging stack, native (scripts/staging_local.sh)
# or compose (docker-compose.staging.yml): every component answers, and one
# real test call goes through AudioSocket.
#
#   scripts/smoke_test_staging.sh [--help]
#
# Prints one line per check, OK, FAIL or WARN (green, red, yellow on a
# terminal unless NO_COLOR is set), then "N passed, N failed, N warnings".
# Exit status: 0 when no check failed, 1 when one did, 2 for a usage error.
#
# Checks, in order:
#   call-processor  /health is 200 UP; /health/ready is 200 UP and every
#                   dependency is UP (one line each, with its latency)
#   PostgreSQL      SELECT 1 through call-processor (the readiness
#                   "database" dependency), and directly with psql if installed
#   Redis           PING answers PONG (redis-cli, else a plain TCP exchange)
#   store-api-mock  /health, and a tire search for 205/55 R16 with results
#   test call       callsim plays Asterisk and a caller through AudioSocket
#                   and checks the call record through the API
#   Prometheus      /-/ready, and every active scrape target up at its last
#                   scrape (waiting up to SMOKE_TARGET_WAIT for targets not
#                   scraped yet, or down, to come up)
#   Alertmanager    /-/healthy
#   Grafana         /api/health with database ok
#   Asterisk        `module show like audiosocket` shows app_audiosocket and
#                   res_audiosocket running, in ASTERISK_CONTAINER
# A component named in SMOKE_OPTIONAL that does not answer at all (nothing
# listens, or no ASTERISK_CONTAINER) is a WARN instead of a FAIL; one that
# answers wrongly still fails.
#
# Environment (defaults: the staging host ports on 127.0.0.1, DESIGN.md,
# and the STAGING_* credentials from the shell, else .env.staging.local,
# else .env.staging):
#   PROCESSOR_URL       http://127.0.0.1:18080
#   API_TOKEN           STAGING_API_TOKEN (call-processor API, for the call record)
#   AUDIOSOCKET_ADDR    127.0.0.1:19092
#   STORE_URL           http://127.0.0.1:18081
#   STORE_API_TOKEN     STAGING_STORE_API_TOKEN
#   REDIS_URL           redis://:STAGING_REDIS_PASSWORD@127.0.0.1:16379/0
#                       (or REDIS_HOST, REDIS_PORT, REDIS_PASSWORD)
#   DATABASE_URL        postgres://STAGING_POSTGRES_USER:STAGING_POSTGRES_PASSWORD@127.0.0.1:15432/STAGING_POSTGRES_DB?sslmode=disable
#   PROMETHEUS_URL      http://127.0.0.1:19090
#   ALERTMANAGER_URL    http://127.0.0.1:19093
#   GRAFANA_URL         http://127.0.0.1:13000
#   ASTERISK_CONTAINER  (empty) a container to run `asterisk -rx` in with docker exec
#   SMOKE_OPTIONAL      "grafana asterisk": may be absent (the native run has neither);
#                       set it empty to require both (the compose stack has them)
#   SMOKE_SCENARIO      scenarios/tire-search.yaml, the test call's scenario
#   CALLSIM             the callsim binary; default STAGING_DIR's bin/callsim
#                       (scripts/staging_local.sh) when present, else a fresh go build
#   SMOKE_HTTP_TIMEOUT  5 (seconds per HTTP request)
#   SMOKE_CALL_TIMEOUT  90 (seconds for the test call)
#   SMOKE_TARGET_WAIT   30 (seconds to wait for every Prometheus target to be up)
#   SMOKE_VERBOSE       1 prints the call's transcript even when it passes
#   NO_COLOR            set and non-empty: no colour
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)

usage() { sed -n '2,/^set -uo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

case ${1:-} in
"") ;;
-h | --help)
	usage
	exit 0
	;;
*)
	echo "usage: scripts/smoke_test_staging.sh [--help] (unknown argument ${1}; the targets are set by environment)" >&2
	exit 2
	;;
esac

# env_value NAME DEFAULT: NAME from the shell, else .env.staging.local,
# else .env.staging, else DEFAULT (as docker compose and
# scripts/staging_local.sh read them).
env_value() {
	local name=$1 file line val=""
	if [ -n "${!name:-}" ]; then
		printf '%s' "${!name}"
		return
	fi
	for file in "$repo/.env.staging" "$repo/.env.staging.local"; do
		[ -f "$file" ] || continue
		while IFS= read -r line || [ -n "$line" ]; do
			[[ $line =~ ^[[:space:]]*(export[[:space:]]+)?$name=(.*)$ ]] || continue
			val=${BASH_REMATCH[2]}
			if [[ $val =~ ^\"(.*)\"[[:space:]]*$ || $val =~ ^\'(.*)\'[[:space:]]*$ ]]; then
				val=${BASH_REMATCH[1]}
			else
				val=${val%%[[:space:]]#*}
			fi
		done <"$file"
	done
	printf '%s' "${val:-$2}"
}

processor_url=${PROCESSOR_URL:-http://127.0.0.1:18080}
api_token=${API_TOKEN:-$(env_value STAGING_API_TOKEN staging-api-token)}
audiosocket_addr=${AUDIOSOCKET_ADDR:-127.0.0.1:19092}
store_url=${STORE_URL:-http://127.0.0.1:18081}
store_token=${STORE_API_TOKEN:-$(env_value STAGING_STORE_API_TOKEN staging-store-token)}
redis_password_default=$(env_value STAGING_REDIS_PASSWORD staging-redis-password)
database_url=${DATABASE_URL:-postgres://$(env_value STAGING_POSTGRES_USER tirevoice_staging):$(env_value STAGING_POSTGRES_PASSWORD staging-postgres-password)@127.0.0.1:15432/$(env_value STAGING_POSTGRES_DB tirevoice_staging)?sslmode=disable}
prometheus_url=${PROMETHEUS_URL:-http://127.0.0.1:19090}
alertmanager_url=${ALERTMANAGER_URL:-http://127.0.0.1:19093}
grafana_url=${GRAFANA_URL:-http://127.0.0.1:13000}
asterisk_container=${ASTERISK_CONTAINER:-}
optional=${SMOKE_OPTIONAL-grafana asterisk}
scenario=${SMOKE_SCENARIO:-scenarios/tire-search.yaml}
http_timeout=${SMOKE_HTTP_TIMEOUT:-5}
call_timeout=${SMOKE_CALL_TIMEOUT:-90}
target_wait=${SMOKE_TARGET_WAIT:-30}

for n in "$http_timeout" "$call_timeout" "$target_wait"; do
	[[ $n =~ ^[0-9]+$ ]] || {
		echo "smoke_test_staging.sh: SMOKE_HTTP_TIMEOUT, SMOKE_CALL_TIMEOUT and SMOKE_TARGET_WAIT are whole seconds, not \"$n\"" >&2
		exit 2
	}
done

# Redis: REDIS_URL, else REDIS_HOST / REDIS_PORT / REDIS_PASSWORD.
redis_host=${REDIS_HOST:-127.0.0.1}
redis_port=${REDIS_PORT:-16379}
redis_password=${REDIS_PASSWORD-$redis_password_default}
if [ -n "${REDIS_URL:-}" ]; then
	if [[ $REDIS_URL =~ ^redis://(([^:@/]*)(:([^@/]*))?@)?([^:/@]+)(:([0-9]+))?(/[0-9]*)?$ ]]; then
		redis_password=${BASH_REMATCH[4]}
		redis_host=${BASH_REMATCH[5]}
		redis_port=${BASH_REMATCH[7]:-6379}
	else
		echo "smoke_test_staging.sh: REDIS_URL: want redis://[:password@]host[:port][/db]" >&2
		exit 2
	fi
fi

# --- output ------------------------------------------------------------------

passed=0 failed=0 warned=0
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
	c_ok=$'\e[32m' c_fail=$'\e[31m' c_warn=$'\e[33m' c_off=$'\e[0m'
else
	c_ok="" c_fail="" c_warn="" c_off=""
fi

ok() {
	passed=$((passed + 1))
	printf '%sOK%s   %s\n' "$c_ok" "$c_off" "$*"
}
fail() {
	failed=$((failed + 1))
	printf '%sFAIL%s %s\n' "$c_fail" "$c_off" "$*"
}
warn() {
	warned=$((warned + 1))
	printf '%sWARN%s %s\n' "$c_warn" "$c_off" "$*"
}
detail() { sed 's/^/       | /'; } # indented lines under a check

is_optional() { [[ " $optional " == *" $1 "* ]]; }

# absent NAME WHAT: FAIL, or WARN when NAME is optional.
absent() {
	if is_optional "$1"; then
		warn "$2 (optional here: SMOKE_OPTIONAL)"
	else
		fail "$2"
	fi
}

# --- tools -------------------------------------------------------------------

need_pkg() { # need_pkg COMMAND PACKAGE: install it when root on Debian
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null 2>&1 ||
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null 2>&1; }
	fi
	command -v "$1" >/dev/null 2>&1
}

if ! need_pkg curl curl; then
	echo "smoke_test_staging.sh: needs curl (Debian package curl)" >&2
	exit 2
fi
command -v python3 >/dev/null 2>&1 || need_pkg jq jq || true # to read JSON

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# get URL [TOKEN]: GETs URL into $tmp/body; sets code (the HTTP status, 000
# when there was no answer) and curl_err (curl's message).
code="" curl_err=""
get() {
	local auth=()
	[ -n "${2:-}" ] && auth=(-H "Authorization: Bearer $2")
	code=$(curl -sS --connect-timeout 3 --max-time "$http_timeout" "${auth[@]}" \
		-o "$tmp/body" -w '%{http_code}' "$1" 2>"$tmp/curl.err")
	curl_err=$(head -c 300 "$tmp/curl.err")
	[ -n "$code" ] || code=000
}

# flat FILE: the JSON document as path=value lines (objects and arrays
# joined with /), so that grep and awk can read it: jq, else python3.
flat() {
	if command -v jq >/dev/null 2>&1; then
		jq -r 'paths(scalars) as $p | ($p | map(tostring) | join("/")) + "=" + (getpath($p) | tostring | gsub("\n"; " "))' "$1"
	elif command -v python3 >/dev/null 2>&1; then
		python3 -c '
import json, sys
def walk(v, path):
    if isinstance(v, dict):
        for k, x in v.items():
            walk(x, path + [str(k)])
    elif isinstance(v, list):
        for i, x in enumerate(v):
            walk(x, path + [str(i)])
    else:
        s = v if isinstance(v, str) else json.dumps(v)
        print("/".join(path) + "=" + s.replace("\n", " "))
walk(json.load(open(sys.argv[1])), [])
' "$1"
	else
		echo "neither jq nor python3 is installed to read JSON" >&2
		return 1
	fi
}

# field FLAT PATH: the value at PATH in flat output.
field() { awk -v p="$2=" 'index($0, p) == 1 { print substr($0, length(p) + 1); exit }' "$1"; }

# --- checks ------------------------------------------------------------------

echo "staging smoke test: call-processor $processor_url (AudioSocket $audiosocket_addr), store $store_url, Redis $redis_host:$redis_port, Prometheus $prometheus_url, Alertmanager $alertmanager_url, Grafana $grafana_url"

check_processor() {
	get "$processor_url/health"
	if [ "$code" = 200 ] && grep -q '"status":"UP"' "$tmp/body"; then
		ok "call-processor /health: 200 UP"
	else
		fail "call-processor /health: $code ${curl_err:-$(head -c 200 "$tmp/body")}"
	fi

	get "$processor_url/health/ready"
	if [ "$code" = 000 ]; then
		fail "call-processor /health/ready: no answer: $curl_err"
		fail "PostgreSQL SELECT 1 through call-processor: no readiness answer"
		return
	fi
	if ! flat "$tmp/body" >"$tmp/ready" 2>"$tmp/flat.err"; then
		fail "call-processor /health/ready: $code, unreadable: $(head -c 200 "$tmp/flat.err")"
		return
	fi
	local status
	status=$(field "$tmp/ready" status)
	if [ "$code" = 200 ] && [ "$status" = UP ]; then
		ok "call-processor /health/ready: 200 $status"
	else
		fail "call-processor /health/ready: $code ${status:-$(head -c 200 "$tmp/body")}"
	fi

	local names name st req lat err
	mapfile -t names < <(sed -n 's#^dependencies/\([^/]*\)/status=.*#\1#p' "$tmp/ready" | sort)
	[ ${#names[@]} -gt 0 ] || fail "call-processor /health/ready lists no dependencies"
	for name in "${names[@]}"; do
		st=$(field "$tmp/ready" "dependencies/$name/status")
		req=$(field "$tmp/ready" "dependencies/$name/required")
		lat=$(field "$tmp/ready" "dependencies/$name/latency_ms")
		err=$(field "$tmp/ready" "dependencies/$name/error")
		[ "$req" = true ] && req=required || req="not required"
		if [ "$st" = UP ]; then
			ok "  dependency $name: UP ($req, $lat ms)"
		else
			fail "  dependency $name: ${st:-missing} ($req, $lat ms)${err:+: $err}"
		fi
	done

	# call-processor answers readiness with a SELECT 1 on its pool.
	st=$(field "$tmp/ready" dependencies/database/status)
	lat=$(field "$tmp/ready" dependencies/database/latency_ms)
	err=$(field "$tmp/ready" dependencies/database/error)
	if [ "$st" = UP ]; then
		ok "PostgreSQL SELECT 1 through call-processor: UP in $lat ms"
	else
		fail "PostgreSQL SELECT 1 through call-processor: ${st:-no database dependency}${err:+: $err}"
	fi
}

check_postgres_direct() {
	local where out
	where=$(sed -E 's#^[a-z]+://([^:@/]*)(:[^@]*)?@#\1@#; s#\?.*##' <<<"$database_url")
	if ! command -v psql >/dev/null 2>&1; then
		warn "PostgreSQL SELECT 1 directly: psql is not installed (the check through call-processor stands)"
		return
	fi
	if out=$(PGCONNECT_TIMEOUT=5 timeout 10 psql "$database_url" -XAtq -c 'SELECT 1' 2>&1) && [ "$out" = 1 ]; then
		ok "PostgreSQL SELECT 1 directly (psql $where): 1"
	else
		fail "PostgreSQL SELECT 1 directly (psql $where): $(head -c 300 <<<"$out")"
	fi
}

# redis_ping_tcp: AUTH (if a password is set) and PING in RESP over bash's
# /dev/tcp, for machines without redis-cli; prints the first error reply,
# or the last reply.
redis_ping_tcp() {
	# shellcheck disable=SC2016 # the script's own expansions
	timeout 5 bash -c '
		exec 3<>"/dev/tcp/$0/$1" || exit 1
		n=1
		if [ -n "$2" ]; then
			printf "*2\r\n\$4\r\nAUTH\r\n\$%d\r\n%s\r\n" "${#2}" "$2" >&3
			n=2
		fi
		printf "*1\r\n\$4\r\nPING\r\n" >&3
		for _ in $(seq 1 "$n"); do
			read -r reply <&3 || exit 1
			reply=${reply%"$(printf "\r")"}
			case $reply in -*) break ;; esac # the first error is the one to show
		done
		printf "%s" "${reply#[+-]}"
	' "$redis_host" "$redis_port" "$redis_password" 2>&1
}

check_redis() {
	local out how
	if command -v redis-cli >/dev/null 2>&1; then
		how=redis-cli
		# The password goes in the environment, not on the command line.
		out=$(env ${redis_password:+REDISCLI_AUTH="$redis_password"} timeout 5 \
			redis-cli -h "$redis_host" -p "$redis_port" ping 2>&1 | tr '\n' ' ')
	else
		how="TCP, no redis-cli"
		out=$(redis_ping_tcp | tr '\n' ' ')
	fi
	out=${out% }
	if [ "$out" = PONG ]; then
		ok "Redis PING at $redis_host:$redis_port ($how): PONG"
	else
		fail "Redis PING at $redis_host:$redis_port ($how): ${out:-no answer}"
	fi
}

check_store() {
	get "$store_url/health" "$store_token"
	if [ "$code" = 200 ] && grep -q '"status":"UP"' "$tmp/body"; then
		ok "store-api-mock /health: 200 UP"
	else
		fail "store-api-mock /health: $code ${curl_err:-$(head -c 200 "$tmp/body")}"
	fi
	get "$store_url/api/v1/tires/search?width=205&profile=55&rim=16" "$store_token"
	local n
	if [ "$code" = 200 ] && flat "$tmp/body" >"$tmp/search" 2>/dev/null; then
		n=$(grep -c '^items/[0-9]*/id=' "$tmp/search")
		if [ "$n" -gt 0 ]; then
			ok "store-api-mock tire search 205/55 R16: 200, $n tires"
		else
			fail "store-api-mock tire search 205/55 R16: 200 but no tires: $(head -c 200 "$tmp/body")"
		fi
	else
		fail "store-api-mock tire search 205/55 R16: $code ${curl_err:-$(head -c 200 "$tmp/body")}"
	fi
}

callsim_bin() { # prints the callsim to use, building one if needed
	local state=${STAGING_DIR:-${TMPDIR:-/tmp}/tirevoice-staging}
	if [ -n "${CALLSIM:-}" ]; then
		printf '%s' "$CALLSIM"
	elif [ -x "$state/bin/callsim" ]; then
		printf '%s' "$state/bin/callsim"
	elif command -v go >/dev/null 2>&1 && (cd "$repo" && go build -o "$tmp/callsim" ./cmd/callsim) >"$tmp/build.log" 2>&1; then
		printf '%s' "$tmp/callsim"
	else
		return 1
	fi
}

check_call() {
	local sim file name what rc summary
	file=$scenario
	[ -f "$file" ] || file=$repo/$scenario
	name=$(basename "$scenario" .yaml)
	what="test call $name through AudioSocket $audiosocket_addr"
	if [ ! -f "$file" ]; then
		fail "$what: no scenario file $scenario"
		return
	fi
	if ! sim=$(callsim_bin); then
		fail "$what: no callsim (set CALLSIM, or install Go to build it)"
		[ -f "$tmp/build.log" ] && detail <"$tmp/build.log"
		return
	fi
	timeout "$call_timeout" "$sim" run --addr "$audiosocket_addr" --scenario "$file" \
		--api "$processor_url" --api-token "$api_token" >"$tmp/call.log" 2>&1
	rc=$?
	if [ "$rc" = 0 ]; then
		grep -q '^record:' "$file" && what="$what, call record checked"
		summary=$(sed -n '/^PASS/,$p' "$tmp/call.log" | awk 'NR > 1 { sub(/^ +/, ""); printf "%s%s", (NR > 2 ? "; " : ""), $0 }')
		ok "$what: PASS${summary:+ ($summary)}"
		[ "${SMOKE_VERBOSE:-}" = 1 ] && detail <"$tmp/call.log"
	else
		[ "$rc" = 124 ] && what="$what: timed out after ${call_timeout}s" || what="$what: callsim exit $rc"
		fail "$what"
		detail <"$tmp/call.log"
	fi
}

check_prometheus() {
	get "$prometheus_url/-/ready"
	if [ "$code" = 200 ]; then
		ok "Prometheus $prometheus_url ready"
	else
		fail "Prometheus $prometheus_url/-/ready: $code ${curl_err:-$(head -c 200 "$tmp/body")}"
		return
	fi
	# Targets not scraped yet are "unknown": the first scrape of a target
	# can come a whole scrape interval after start, and a target scraped
	# just before it started is down until the next one. So wait, bounded,
	# until every target is up.
	local deadline=$((SECONDS + target_wait)) pending
	while :; do
		get "$prometheus_url/api/v1/targets?state=active"
		if [ "$code" != 200 ] || ! flat "$tmp/body" >"$tmp/targets" 2>/dev/null; then
			fail "Prometheus targets: $code ${curl_err:-$(head -c 200 "$tmp/body")}"
			return
		fi
		pending=$(grep -c '^data/activeTargets/[0-9]*/health=' "$tmp/targets")
		pending=$((pending - $(grep -c '^data/activeTargets/[0-9]*/health=up$' "$tmp/targets")))
		[ "$pending" -eq 0 ] || [ "$SECONDS" -ge "$deadline" ] && break
		sleep 1
	done
	local i job instance health err targets
	mapfile -t targets < <(sed -n 's#^data/activeTargets/\([0-9]*\)/health=.*#\1#p' "$tmp/targets")
	for i in "${targets[@]}"; do
		job=$(field "$tmp/targets" "data/activeTargets/$i/labels/job")
		instance=$(field "$tmp/targets" "data/activeTargets/$i/labels/instance")
		health=$(field "$tmp/targets" "data/activeTargets/$i/health")
		err=$(field "$tmp/targets" "data/activeTargets/$i/lastError")
		if [ "$health" = up ]; then
			ok "  Prometheus target $job $instance: up"
		else
			fail "  Prometheus target $job $instance: $health${err:+: $err}"
		fi
	done
	[ ${#targets[@]} -gt 0 ] || fail "Prometheus has no active scrape targets"
}

check_alertmanager() {
	get "$alertmanager_url/-/healthy"
	if [ "$code" = 200 ]; then
		ok "Alertmanager $alertmanager_url healthy"
	else
		fail "Alertmanager $alertmanager_url/-/healthy: $code ${curl_err:-$(head -c 200 "$tmp/body")}"
	fi
}

check_grafana() {
	get "$grafana_url/api/health"
	if [ "$code" = 000 ]; then
		absent grafana "Grafana $grafana_url: no answer ($curl_err)"
	elif [ "$code" = 200 ] && flat "$tmp/body" >"$tmp/grafana" 2>/dev/null && [ "$(field "$tmp/grafana" database)" = ok ]; then
		ok "Grafana $grafana_url healthy (version $(field "$tmp/grafana" version), database ok)"
	else
		fail "Grafana $grafana_url/api/health: $code $(head -c 200 "$tmp/body")"
	fi
}

check_asterisk() {
	if [ -z "$asterisk_container" ]; then
		absent asterisk "Asterisk: not checked (set ASTERISK_CONTAINER to the staging Asterisk's container; the native run has none)"
		return
	fi
	local out
	if ! out=$(timeout 20 docker exec "$asterisk_container" asterisk -rx 'module show like audiosocket' 2>&1); then
		fail "Asterisk in $asterisk_container: asterisk -rx failed: $(head -c 300 <<<"$out")"
		return
	fi
	if grep -q 'app_audiosocket.so.*Running' <<<"$out" && grep -q 'res_audiosocket.so.*Running' <<<"$out"; then
		ok "Asterisk in $asterisk_container: app_audiosocket and res_audiosocket running"
	else
		fail "Asterisk in $asterisk_container: AudioSocket modules not running"
		detail <<<"$out"
	fi
}

check_processor
check_postgres_direct
check_redis
check_store
check_call
check_prometheus
check_alertmanager
check_grafana
check_asterisk

echo
echo "$passed passed, $failed failed, $warned warnings"
[ "$failed" -eq 0 ]
