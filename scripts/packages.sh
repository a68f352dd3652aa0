# Sourced by the run, test and benchmark commands: the Debian packages zesd
# builds and runs with, and an installer that installs only what is missing
# (nothing at all when everything is there: fast, and fine offline).

ZES_BUILD_PKGS=(build-essential cmake pkg-config libevent-dev libpq-dev libssl-dev
	libjansson-dev libcmocka-dev libsystemd-dev postgresql postgresql-client curl)

# install_missing LOGDIR PKG...: apt-get install the packages not installed yet.
install_missing() {
	local logdir=$1 p st sudo= log
	shift
	local missing=()
	for p in "$@"; do
		st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		[ "$st" = "install ok installed" ] || missing+=("$p")
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	[ "$(id -u)" = 0 ] || sudo=sudo
	mkdir -p "$logdir"
	log=$logdir/apt.log
	echo "$(basename "$0"): installing ${missing[*]} (log: $log)" >&2
	export DEBIAN_FRONTEND=noninteractive
	# A fresh machine may have no package lists yet; a stale one may need new ones.
	if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e '^lock$' -e '^partial$' || true)" ]; then
		$sudo apt-get update -q >>"$log" 2>&1 || true
	fi
	if ! $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null >>"$log" 2>&1; then
		$sudo apt-get update -q >>"$log" 2>&1 || true
		if ! $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null >>"$log" 2>&1; then
			tail -n 20 "$log" >&2
			echo "$(basename "$0"): apt-get install failed" >&2
			return 1
		fi
	fi
}
