# shellcheck shell=bash
# Helpers that scripts/test.sh, scripts/check_monitoring.sh and
# scripts/services.sh source; it defines functions and runs nothing.

step() { printf '\n==> %s\n' "$*"; }

as_root() { [ "$(id -u)" = 0 ]; }

# can_install: this machine installs Debian packages for us (root, apt-get).
can_install() { as_root && command -v apt-get >/dev/null 2>&1; }

apt_install() { # apt_install PACKAGE...: quietly; on a failure, apt-get update and again
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null ||
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; }
}

need_pkg() { # need_pkg COMMAND PACKAGE: install PACKAGE when COMMAND is missing
	command -v "$1" >/dev/null 2>&1 && return 0
	if can_install; then
		step "installing $2"
		apt_install "$2"
	else
		echo "missing $1: install the Debian package $2" >&2
		return 1
	fi
}
