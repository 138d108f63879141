#!/usr/bin/env bash
# The whole test suite: formatting, vet, staticcheck, shellcheck, the Go
# tests (with the race detector), the scenario files against a running
# processor, and the README's demo. Installs what a fresh Debian machine
# lacks when run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

step "gofmt"
unformatted=$(gofmt -l cmd internal deploy)
if [ -n "$unformatted" ]; then
	echo "gofmt would change:" >&2
	echo "$unformatted" >&2
	exit 1
fi

step "go vet"
go vet ./...

step "staticcheck"
go tool staticcheck ./...

step "shellcheck"
need_pkg shellcheck shellcheck
shellcheck scripts/*.sh scripts/seed_staging .ci/run

step "actionlint"
go tool actionlint

step "monitoring: promtool and amtool"
scripts/check_monitoring.sh

step "PostgreSQL and Redis for the integration tests"
scripts/services.sh

step "go test -race"
go test -race -count=1 -timeout 18m ./...

step "staging from native processes: up, seed, smoke test, down"
scripts/staging_test.sh

step "demo (README's first command)"
scripts/demo.sh >/tmp/demo.$$.log 2>&1 || { cat /tmp/demo.$$.log; rm -f /tmp/demo.$$.log; exit 1; }
grep -q 'PASS' /tmp/demo.$$.log
rm -f /tmp/demo.$$.log

step "all checks passed"
