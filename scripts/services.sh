#!/usr/bin/env bash
# Makes sure the PostgreSQL and Redis the tests use are running on loopback:
# finds them, starts them, or (as root on Debian) installs and starts them.
# The tests then create their own database and key prefix on them.
#
#   scripts/services.sh          ensure both
#
# Environment: TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)
# and TEST_REDIS_URL (default redis://127.0.0.1:6379/0) say where they are;
# when they point elsewhere this script only checks them.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

pg_url=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
redis_url=${TEST_REDIS_URL:-redis://127.0.0.1:6379/0}

say() { printf '%s\n' "$*" >&2; }

install_pkgs() { # install_pkgs PACKAGE...
	if ! can_install; then
		say "missing $*: install the Debian packages, or point TEST_POSTGRES_URL / TEST_REDIS_URL at running servers"
		return 1
	fi
	say "installing $*"
	apt_install "$@"
}

wait_for() { # wait_for WHAT COMMAND...: up to 30 s
	local what=$1
	shift
	for _ in $(seq 1 60); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	say "$what did not come up"
	return 1
}

pg_up() { pg_isready -q -d "$pg_url"; }

ensure_postgres() {
	command -v pg_isready >/dev/null 2>&1 || install_pkgs postgresql postgresql-client
	pg_up && return 0
	case "$pg_url" in
	*@127.0.0.1:5432/* | *@localhost:5432/*) ;;
	*)
		say "PostgreSQL at TEST_POSTGRES_URL is not answering"
		return 1
		;;
	esac
	if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
		install_pkgs postgresql
	fi
	local version
	version=$(find /etc/postgresql -mindepth 1 -maxdepth 1 -printf "%f\n" | sort -V | tail -1)
	say "starting PostgreSQL $version"
	if as_root; then
		# Trust local TCP connections for the test user, as CI machines do.
		local hba=/etc/postgresql/$version/main/pg_hba.conf
		if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
			sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
		fi
	fi
	pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
	wait_for PostgreSQL pg_up
}

redis_up() { redis-cli -u "$redis_url" ping | grep -q PONG; }

ensure_redis() {
	command -v redis-cli >/dev/null 2>&1 || install_pkgs redis-server redis-tools
	redis_up && return 0
	case "$redis_url" in
	redis://127.0.0.1:6379* | redis://localhost:6379*) ;;
	*)
		say "Redis at TEST_REDIS_URL is not answering"
		return 1
		;;
	esac
	command -v redis-server >/dev/null 2>&1 || install_pkgs redis-server
	say "starting Redis"
	local dir=/var/lib/redis log=/var/log/redis/ci.log
	if ! as_root; then
		dir=${TMPDIR:-/tmp}/tirevoice-redis
		log=$dir/redis.log
	fi
	mkdir -p "$dir" "$(dirname "$log")"
	redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir "$dir" --logfile "$log"
	wait_for Redis redis_up
}

ensure_postgres
ensure_redis
say "PostgreSQL and Redis are up"
