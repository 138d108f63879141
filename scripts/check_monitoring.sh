#!/usr/bin/env bash
# Checks monitoring/ (monitoring/README.md): the Prometheus configs and
# rules (promtool check config, check rules, test rules), the Alertmanager
# configs (amtool check-config) and their routing (amtool config routes
# test), and the Go checks that hold rules and dashboards to the metrics
# call-processor exports (internal/monitoringtest). Runs every check, then
# exits 1 if any failed.
#
# promtool comes in the Debian package prometheus, amtool in
# prometheus-alertmanager; run as root on Debian, this installs them when
# missing.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

failed=()

check() { # check DESCRIPTION COMMAND...: run it, remember a failure
	local what=$1
	shift
	if ! "$@"; then
		echo "FAILED: $what" >&2
		failed+=("$what")
	fi
}

# route_test CONFIG RECEIVER LABEL=VALUE...: an alert with these labels
# goes to RECEIVER alone.
route_test() {
	local config=$1 want=$2 out
	shift 2
	if out=$(amtool config routes test --config.file="$config" --verify.receivers="$want" "$@" 2>&1); then
		printf '%s: %s -> %s\n' "$(basename "$config")" "$*" "$want"
	else
		printf '%s: %s: want %s, got:\n%s\n' "$(basename "$config")" "$*" "$want" "$out" >&2
		return 1
	fi
}

need_pkg promtool prometheus
need_pkg amtool prometheus-alertmanager
promtool --version 2>&1 | head -1
amtool --version 2>&1 | head -1

prom=monitoring/prometheus
am=monitoring/alertmanager

step "promtool check config"
check "promtool check config" promtool check config "$prom/prometheus.yml" "$prom/prometheus.staging-native.yml"

step "promtool check rules"
check "promtool check rules" promtool check rules "$prom"/rules/*.yml

step "promtool test rules"
check "promtool test rules" promtool test rules "$prom"/tests/*.yml

step "amtool check-config"
check "amtool check-config" amtool check-config "$am/alertmanager.yml" "$am/alertmanager.staging.yml"

step "Alertmanager routing"
check "routing: production critical" route_test "$am/alertmanager.yml" critical \
	alertname=CallprocTargetDown severity=critical environment=production
check "routing: production warning" route_test "$am/alertmanager.yml" warning \
	alertname=CallprocRecordsWaiting severity=warning environment=production
check "routing: production without severity" route_test "$am/alertmanager.yml" warning \
	alertname=SomethingNew environment=production
check "routing: staging critical" route_test "$am/alertmanager.staging.yml" staging-sink \
	alertname=CallprocTargetDown severity=critical environment=staging
check "routing: staging warning" route_test "$am/alertmanager.staging.yml" staging-sink \
	alertname=CallprocRecordsWaiting severity=warning environment=staging

step "rules and dashboards against the exported metrics (go test)"
check "go test ./internal/monitoringtest" go test -count=1 ./internal/monitoringtest/...

if [ ${#failed[@]} -gt 0 ]; then
	printf '\n%d check(s) failed:\n' "${#failed[@]}" >&2
	printf '  %s\n' "${failed[@]}" >&2
	exit 1
fi
step "monitoring checks passed"
