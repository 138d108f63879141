#!/usr/bin/env bash
# The staging stack without Docker (DESIGN.md, "Environments and ports"):
# the same topology as docker-compose.staging.yml, from native processes on
# 127.0.0.1 with the staging host ports, all kept in one state directory.
#
#   scripts/staging_local.sh up       build, start every component, wait until each is healthy
#   scripts/staging_local.sh down     stop what `up` started, delete its data and the state directory
#   scripts/staging_local.sh status   each component up / unhealthy / down (exit 1 unless all are up)
#   scripts/staging_local.sh logs [COMPONENT]   the last LOG_LINES (50) lines of each log
#   scripts/staging_local.sh stop COMPONENT     stop one component (to see the smoke test fail); `up` restarts it
#
# | component      | listens on                                      | from                          |
# |----------------|-------------------------------------------------|-------------------------------|
# | postgres       | 127.0.0.1:15432 (TCP only, no socket)           | initdb of the postgresql package, run as user postgres when root |
# | redis          | 127.0.0.1:16379 (no persistence)                | redis-server                  |
# | store-api-mock | 127.0.0.1:18081                                 | go build ./cmd/store-api-mock |
# | call-processor | 127.0.0.1:18080 (HTTP), 127.0.0.1:19092 (AudioSocket) | go build ./cmd/call-processor |
# | alertmanager   | 127.0.0.1:19093 (no clustering)                 | prometheus-alertmanager, monitoring/alertmanager/alertmanager.staging.yml |
# | prometheus     | 127.0.0.1:19090                                 | prometheus, monitoring/prometheus/prometheus.staging-native.yml |
#
# Grafana and Asterisk are not run natively (Debian does not ship them);
# the compose stack has them.
#
# State directory: STAGING_DIR (default ${TMPDIR:-/tmp}/tirevoice-staging)
# holds bin/ (our binaries), postgres/ (the cluster), redis/, spool/ (the
# processor's record spool), prometheus/ and alertmanager/ (their storage),
# and NAME.pid and NAME.log per component. `down` deletes it; it refuses a
# directory that this script did not create (it has no .tirevoice-staging
# marker). Nothing is written outside it: the PostgreSQL cluster is a
# private initdb, not a pg_createcluster one, and the default servers on
# 5432 and 6379 are never touched.
#
# Values: the credentials, database name, providers, log level and LLM
# limits come from .env.staging (then .env.staging.local if present), with
# the shell environment first, as `docker compose --env-file .env.staging
# [--env-file .env.staging.local]` reads them; the addresses are 127.0.0.1
# and the staging host ports instead of the compose service names.
# call-processor gets exactly the compose stack's variables (the Redis key
# prefix tirevoice-staging: too), plus the variables of .env.staging.local
# (its env_file there), and nothing else from the calling shell but PATH
# and HOME, with these native differences:
# AUDIOSOCKET_ALLOWED_NETS is 127.0.0.0/8 (callsim on loopback plays
# Asterisk), RECORD_SPOOL_DIR is in the state directory, and READY_REQUIRED
# lists every dependency, so that readiness is strict.
#
# As root on Debian, installs what is missing: postgresql, postgresql-client,
# redis-server, redis-tools, prometheus, prometheus-alertmanager, curl.
# (Installing a server package may start its default service, as Debian does.)
#
# Environment: STAGING_DIR, STAGING_TIMEOUT (seconds each component may take
# to become healthy; default 60), LOG_LINES (for logs; default 50).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
state=${STAGING_DIR:-${TMPDIR:-/tmp}/tirevoice-staging}
timeout_s=${STAGING_TIMEOUT:-60}
marker=.tirevoice-staging

# Host ports (DESIGN.md: staging = dev + 10000).
pg_port=15432
redis_port=16379
store_port=18081
http_port=18080
audiosocket_port=19092
prometheus_port=19090
alertmanager_port=19093

# Start order; `down` stops them in reverse.
components=(postgres redis store-api-mock call-processor alertmanager prometheus)

say() { printf 'staging: %s\n' "$*"; }
die() {
	printf 'staging: %s\n' "$*" >&2
	exit 1
}
as_root() { [ "$(id -u)" = 0 ]; }

usage() {
	sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
}

# --- values from .env.staging ------------------------------------------

declare -A envfile=()   # .env.staging, then .env.staging.local
declare -A localfile=() # .env.staging.local alone (call-processor's env_file)

# read_env_file FILE ARRAY: KEY=VALUE lines of a compose env file into the
# associative array ARRAY; comments, blank lines and quotes are handled.
read_env_file() {
	local file=$1 line key val
	local -n into=$2
	[ -f "$file" ] || return 0
	while IFS= read -r line || [ -n "$line" ]; do
		[[ $line =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
		key=${BASH_REMATCH[2]}
		val=${BASH_REMATCH[3]}
		if [[ $val =~ ^\"(.*)\"[[:space:]]*$ || $val =~ ^\'(.*)\'[[:space:]]*$ ]]; then
			val=${BASH_REMATCH[1]}
		else
			val=${val%%[[:space:]]#*}
			val=${val%"${val##*[![:space:]]}"}
		fi
		# shellcheck disable=SC2034 # into is a nameref to the caller's array
		into["$key"]=$val
	done <"$file"
}

read_env_file "$repo/.env.staging" envfile
read_env_file "$repo/.env.staging.local" envfile
read_env_file "$repo/.env.staging.local" localfile

# staging_value NAME [DEFAULT]: the shell's NAME, else the env files', else DEFAULT.
staging_value() {
	local name=$1
	if [ -n "${!name:-}" ]; then
		printf '%s' "${!name}"
	elif [ -n "${envfile[$name]:-}" ]; then
		printf '%s' "${envfile[$name]}"
	else
		printf '%s' "${2:-}"
	fi
}

pg_user=$(staging_value STAGING_POSTGRES_USER tirevoice_staging)
pg_password=$(staging_value STAGING_POSTGRES_PASSWORD staging-postgres-password)
pg_db=$(staging_value STAGING_POSTGRES_DB tirevoice_staging)
redis_password=$(staging_value STAGING_REDIS_PASSWORD staging-redis-password)
store_token=$(staging_value STAGING_STORE_API_TOKEN staging-store-token)
store_admin_token=$(staging_value STAGING_STORE_API_ADMIN_TOKEN staging-store-admin-token)
api_token=$(staging_value STAGING_API_TOKEN staging-api-token)
log_level=$(staging_value LOG_LEVEL info)

database_url="postgres://$pg_user:$pg_password@127.0.0.1:$pg_port/$pg_db?sslmode=disable"
redis_url="redis://:$redis_password@127.0.0.1:$redis_port/0"

# call-processor's environment: docker-compose.staging.yml's x-processor-env
# with loopback addresses, plus the native differences named at the top.
processor_env=(
	ENVIRONMENT=staging
	"LOG_LEVEL=$log_level"
	"HTTP_ADDR=127.0.0.1:$http_port"
	"AUDIOSOCKET_ADDR=127.0.0.1:$audiosocket_port"
	AUDIOSOCKET_ALLOWED_NETS=127.0.0.0/8
	"DIALPLAN_ALLOWED_NETS=127.0.0.0/8,::1"
	"API_TOKEN=$api_token"
	"STT_PROVIDER=$(staging_value STT_PROVIDER mock)"
	"TTS_PROVIDER=$(staging_value TTS_PROVIDER mock)"
	"RESPONDER=$(staging_value RESPONDER rules)"
	"ANTHROPIC_API_KEY=$(staging_value ANTHROPIC_API_KEY)"
	"CLAUDE_MAX_TOKENS=$(staging_value CLAUDE_MAX_TOKENS 150)"
	"LLM_REQUESTS_PER_MINUTE=$(staging_value LLM_REQUESTS_PER_MINUTE 20)"
	"LLM_TOKENS_PER_DAY=$(staging_value LLM_TOKENS_PER_DAY 50000)"
	"STORE_API_URL=http://127.0.0.1:$store_port"
	"STORE_API_TOKEN=$store_token"
	"DATABASE_URL=$database_url"
	DATABASE_MIGRATE_ON_START=true
	"RECORD_SPOOL_DIR=$state/spool"
	"REDIS_URL=$redis_url"
	REDIS_PREFIX=tirevoice-staging:
	"READY_REQUIRED=database,redis,store_api,stt,tts,responder"
)

# --- packages ------------------------------------------------------------

pg_bindir() { # the newest installed PostgreSQL server binaries
	local d
	d=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
	if [ -n "$d" ] && [ -x "$d/initdb" ]; then
		printf '%s' "$d"
	elif command -v initdb >/dev/null 2>&1; then
		dirname "$(command -v initdb)"
	fi
}

alertmanager_bin() { # Debian calls it prometheus-alertmanager
	command -v prometheus-alertmanager 2>/dev/null || command -v alertmanager 2>/dev/null || true
}

ensure_packages() {
	local missing=()
	[ -n "$(pg_bindir)" ] || missing+=(postgresql)
	command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
	command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
	command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
	command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
	[ -n "$(alertmanager_bin)" ] || missing+=(prometheus-alertmanager)
	command -v curl >/dev/null 2>&1 || missing+=(curl)
	command -v go >/dev/null 2>&1 || die "go is not on PATH: install Go (go.mod names the version)"
	[ ${#missing[@]} -eq 0 ] && return 0
	if ! as_root || ! command -v apt-get >/dev/null 2>&1; then
		die "missing Debian packages: ${missing[*]} (install them, or run this as root on Debian)"
	fi
	say "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
}

# --- processes -------------------------------------------------------------

# start_time PID: the process's start time in clock ticks since boot
# (/proc/PID/stat field 22), which with the PID names one process for good:
# a recycled PID has another start time. Fails for a process that has
# exited but not been reaped yet (a zombie: init reaps our detached
# processes, in its own time).
start_time() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	awk '$1 != "Z" && $1 != "X" { print $20; found = 1 } END { exit !found }' <<<"$stat"
}

record_pid() { # record_pid NAME PID
	printf '%s %s\n' "$2" "$(start_time "$2")" >"$state/$1.pid"
}

# pid_of NAME: the PID of the component this script started, if it still runs.
pid_of() {
	local pid started
	[ -f "$state/$1.pid" ] || return 1
	read -r pid started <"$state/$1.pid" || return 1
	[ -n "$pid" ] && [ "$(start_time "$pid" 2>/dev/null)" = "$started" ] || return 1
	printf '%s' "$pid"
}

running() { pid_of "$1" >/dev/null; }

port_taken() { # port_taken PORT: something accepts TCP connections on it
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# spawn NAME COMMAND...: runs COMMAND in its own session, detached from
# this shell, with its output in NAME.log and its PID in NAME.pid.
spawn() {
	local name=$1
	shift
	setsid "$@" >>"$state/$name.log" 2>&1 </dev/null &
	record_pid "$name" "$!"
}

# as_postgres COMMAND...: PostgreSQL refuses to run as root, so as root the
# cluster belongs to the postgres user.
as_postgres() {
	if as_root; then
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

http_ok() { # http_ok URL: answers 2xx within 2 s
	curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null
}

healthy() { # healthy NAME: the component's own health check passes
	case $1 in
	postgres) "$(pg_bindir)/pg_isready" -q -h 127.0.0.1 -p "$pg_port" -t 2 ;;
	redis) [ "$(REDISCLI_AUTH=$redis_password timeout 2 redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null)" = PONG ] ;;
	store-api-mock) http_ok "http://127.0.0.1:$store_port/health" ;;
	call-processor) http_ok "http://127.0.0.1:$http_port/health/ready" ;;
	alertmanager) http_ok "http://127.0.0.1:$alertmanager_port/-/ready" ;;
	prometheus) http_ok "http://127.0.0.1:$prometheus_port/-/ready" ;;
	esac
}

port_of() {
	case $1 in
	postgres) echo "$pg_port" ;;
	redis) echo "$redis_port" ;;
	store-api-mock) echo "$store_port" ;;
	call-processor) echo "$http_port $audiosocket_port" ;;
	alertmanager) echo "$alertmanager_port" ;;
	prometheus) echo "$prometheus_port" ;;
	esac
}

fail_with_log() { # fail_with_log NAME REASON
	{
		printf 'staging: %s %s\n' "$1" "$2"
		printf 'staging: last 40 lines of %s:\n' "$state/$1.log"
		tail -n 40 "$state/$1.log" 2>/dev/null | sed 's/^/    /'
		printf 'staging: "%s status" shows the rest; "%s down" stops it\n' "$0" "$0"
	} >&2
	exit 1
}

wait_healthy() { # wait_healthy NAME: up to STAGING_TIMEOUT seconds
	local name=$1 deadline=$((SECONDS + timeout_s))
	while ! healthy "$name"; do
		running "$name" || fail_with_log "$name" "exited before it became healthy"
		[ "$SECONDS" -lt "$deadline" ] || fail_with_log "$name" "is running but not healthy after ${timeout_s}s"
		sleep 0.2
	done
}

# --- components ------------------------------------------------------------

start_postgres() {
	local bin data=$state/postgres/data
	bin=$(pg_bindir)
	mkdir -p "$state/postgres"
	touch "$state/postgres.log"
	if as_root; then
		chown postgres: "$state/postgres" "$state/postgres.log"
		runuser -u postgres -- test -w "$state/postgres" ||
			die "the postgres user cannot reach $state: choose a STAGING_DIR under a directory it can enter (e.g. /tmp)"
	fi
	chmod 700 "$state/postgres"
	if [ ! -f "$data/PG_VERSION" ]; then
		as_postgres "$bin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
			--no-sync >>"$state/postgres.log" 2>&1 || fail_with_log postgres "initdb failed"
		# Loopback TCP only, trusted: a throwaway cluster that nothing else reaches.
		printf 'host all all 127.0.0.1/32 trust\n' >"$data/pg_hba.conf"
		cat >>"$data/postgresql.conf" <<-EOF

			# scripts/staging_local.sh: the native staging cluster.
			listen_addresses = '127.0.0.1'
			port = $pg_port
			unix_socket_directories = ''
			# Deleted by 'down': durability buys nothing here.
			fsync = off
			synchronous_commit = off
			full_page_writes = off
		EOF
	fi
	as_postgres "$bin/pg_ctl" -D "$data" -l "$state/postgres.log" -w -t "$timeout_s" start >/dev/null ||
		fail_with_log postgres "did not start"
	record_pid postgres "$(head -n 1 "$data/postmaster.pid")"
	wait_healthy postgres
	# The staging role and database, as the postgres image creates them.
	"$bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -q -v ON_ERROR_STOP=1 \
		-v user="$pg_user" -v password="$pg_password" -v db="$pg_db" >/dev/null <<-'EOF' ||
			SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'user', :'password')
			  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'user') \gexec
			SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'user')
			  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
		EOF
		fail_with_log postgres "refused the staging role or database"
}

start_redis() {
	mkdir -p "$state/redis"
	# A file rather than arguments keeps the password out of ps.
	(
		umask 077
		cat >"$state/redis/redis.conf" <<-EOF
			bind 127.0.0.1
			port $redis_port
			protected-mode yes
			requirepass $redis_password
			dir $state/redis
			save ""
			appendonly no
			maxmemory 384mb
			maxmemory-policy noeviction
			daemonize no
			logfile ""
		EOF
	)
	spawn redis redis-server "$state/redis/redis.conf"
	wait_healthy redis
}

start_store() {
	spawn store-api-mock env -i PATH="$PATH" \
		STORE_API_ADDR="127.0.0.1:$store_port" STORE_API_TOKEN="$store_token" \
		STORE_API_ADMIN_TOKEN="$store_admin_token" LOG_LEVEL="$log_level" \
		"$state/bin/store-api-mock"
	wait_healthy store-api-mock
}

start_processor() {
	local extra=() key
	for key in "${!localfile[@]}"; do
		extra+=("$key=${localfile[$key]}")
	done
	mkdir -p "$state/spool"
	# The listed variables come after .env.staging.local's, so they win,
	# as `environment:` wins over `env_file:` in compose.
	spawn call-processor env -i PATH="$PATH" HOME="${HOME:-/}" \
		"${extra[@]}" "${processor_env[@]}" "$state/bin/call-processor"
	wait_healthy call-processor
}

start_alertmanager() {
	mkdir -p "$state/alertmanager"
	spawn alertmanager "$(alertmanager_bin)" \
		--config.file="$repo/monitoring/alertmanager/alertmanager.staging.yml" \
		--web.listen-address="127.0.0.1:$alertmanager_port" \
		--cluster.listen-address= \
		--storage.path="$state/alertmanager"
	wait_healthy alertmanager
}

start_prometheus() {
	mkdir -p "$state/prometheus"
	# The config's rule_files resolve relative to the config file.
	spawn prometheus prometheus \
		--config.file="$repo/monitoring/prometheus/prometheus.staging-native.yml" \
		--web.listen-address="127.0.0.1:$prometheus_port" \
		--storage.tsdb.path="$state/prometheus" \
		--storage.tsdb.retention.time=15d
	wait_healthy prometheus
}

start() { # start NAME: unless it already runs
	local name=$1 pid
	if pid=$(pid_of "$name"); then
		wait_healthy "$name"
		say "$name already running (pid $pid)"
		return 0
	fi
	case $name in
	postgres) start_postgres ;;
	redis) start_redis ;;
	store-api-mock) start_store ;;
	call-processor) start_processor ;;
	alertmanager) start_alertmanager ;;
	prometheus) start_prometheus ;;
	esac
	say "$name up (pid $(pid_of "$name"), 127.0.0.1:$(port_of "$name" | sed 's/ /, 127.0.0.1:/g'))"
}

stop() { # stop NAME: TERM, then KILL after 20 s
	local name=$1 pid
	if ! pid=$(pid_of "$name"); then
		rm -f "$state/$name.pid"
		return 0
	fi
	if [ "$name" = postgres ]; then
		as_postgres "$(pg_bindir)/pg_ctl" -D "$state/postgres/data" -m fast -w -t 20 stop >/dev/null 2>&1 || true
	else
		kill -TERM "$pid" 2>/dev/null || true
	fi
	for _ in $(seq 1 100); do
		running "$name" || break
		sleep 0.2
	done
	if running "$name"; then
		say "$name (pid $pid) did not stop in 20 s: killing it"
		kill -KILL "$pid" 2>/dev/null || true
		sleep 0.2
	fi
	rm -f "$state/$name.pid"
	say "$name stopped"
}

# --- commands ----------------------------------------------------------------

cmd_up() {
	if [ -d "$state" ] && [ ! -f "$state/$marker" ] && [ -n "$(ls -A "$state")" ]; then
		die "$state exists and was not made by this script: set STAGING_DIR to another directory"
	fi
	mkdir -p "$state/bin"
	touch "$state/$marker"
	local name port
	# Every port first, so that nothing starts when one is taken.
	for name in "${components[@]}"; do
		running "$name" && continue
		for port in $(port_of "$name"); do
			if port_taken "$port"; then
				die "$name: 127.0.0.1:$port is taken by a process this script did not start (ss -ltnp 'sport = :$port' names it)"
			fi
		done
	done
	ensure_packages
	if ! running store-api-mock || ! running call-processor || [ ! -x "$state/bin/callsim" ]; then
		say "building call-processor, store-api-mock and callsim into $state/bin"
		(cd "$repo" && go build -o "$state/bin/" ./cmd/call-processor ./cmd/store-api-mock ./cmd/callsim)
	fi
	for name in "${components[@]}"; do
		start "$name"
	done
	say "all up in $state (seed: scripts/seed_staging; check: scripts/smoke_test_staging.sh)"
}

cmd_down() {
	if [ ! -e "$state" ]; then
		say "nothing to stop: $state does not exist"
		return 0
	fi
	[ -f "$state/$marker" ] || die "$state has no $marker marker: not deleting a directory this script did not create"
	local i
	for ((i = ${#components[@]} - 1; i >= 0; i--)); do
		stop "${components[i]}"
	done
	rm -rf "$state"
	say "removed $state"
}

cmd_status() {
	local name pid all=0 what
	for name in "${components[@]}"; do
		if pid=$(pid_of "$name"); then
			if healthy "$name"; then what="up"; else
				what="unhealthy"
				all=1
			fi
			printf '%-15s %-10s pid %-8s 127.0.0.1:%s\n' "$name" "$what" "$pid" "$(port_of "$name" | sed 's/ /, 127.0.0.1:/g')"
		else
			printf '%-15s %-10s\n' "$name" down
			all=1
		fi
	done
	printf '%-15s %-10s\n' grafana "absent (compose only)" asterisk "absent (compose only)"
	printf 'state: %s\n' "$state"
	return "$all"
}

cmd_logs() {
	local name lines=${LOG_LINES:-50}
	local names=("$@")
	[ ${#names[@]} -gt 0 ] || names=("${components[@]}")
	for name in "${names[@]}"; do
		[ -f "$state/$name.log" ] || {
			say "no log for $name in $state"
			continue
		}
		printf '==> %s <==\n' "$state/$name.log"
		tail -n "$lines" "$state/$name.log"
	done
}

case ${1:-} in
up) cmd_up ;;
stop)
	if [ $# -ne 2 ] || [[ " ${components[*]} " != *" $2 "* ]]; then
		die "stop needs one of: ${components[*]}"
	fi
	stop "$2"
	;;
down) cmd_down ;;
status) cmd_status ;;
logs)
	shift
	cmd_logs "$@"
	;;
-h | --help | help) usage ;;
*)
	usage >&2
	exit 2
	;;
esac
