#!/usr/bin/env bash
# Install the zesd package on this machine and check it (as root):
#
#   bash scripts/check-package.sh [DEB] [--keep]
#
# DEB defaults to the one scripts/build-deb.sh left in build-deb/.  A zesd
# package already installed is purged first, so that this is a first
# installation.  Then, with `apt-get install ./zesd_*.deb`:
#   - the files: zesd, zesctl, man pages, schema, rules, the unit, the user
#     zesd, /etc/zesd/zesd.conf a conffile of mode 0640 root:zesd, a rules
#     folder that zesctl check-rules accepts;
#   - the unit as installed: `systemd-analyze verify` silent and
#     `systemd-analyze security --offline=true --threshold=20` (2.0);
#   - the daemon from the package as a plain process (systemd need not be
#     PID 1): as the user zesd, with the installed /etc/zesd/zesd.conf and a
#     private PostgreSQL cluster, migrated and given a token by the
#     installed zesctl; /readyz 200, an authenticated request, READY=1 on a
#     notify socket, RELOADING=1 and READY=1 on SIGHUP, STOPPING=1 and exit
#     0 on SIGTERM;
#   - and, unless --keep, `apt-get purge zesd` leaving no /etc/zesd.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PGBIN=/usr/lib/postgresql/15/bin
KEEP=0
DEB=
for a in "$@"; do
	case "$a" in
	--keep) KEEP=1 ;;
	-*) echo "usage: check-package.sh [DEB] [--keep]" >&2; exit 2 ;;
	*) DEB=$a ;;
	esac
done
if [ -z "$DEB" ]; then
	DEB=$(ls "$ROOT"/build-deb/zesd_*_"$(dpkg --print-architecture)".deb 2>/dev/null | tail -n 1 || true)
	[ -n "$DEB" ] || { echo "check-package.sh: no package: run scripts/build-deb.sh first" >&2; exit 2; }
fi
DEB=$(realpath -- "$DEB")
[ "$(id -u)" = 0 ] || { echo "check-package.sh: run it as root (it installs a package)" >&2; exit 2; }

say() { echo "check-package.sh: $*" >&2; }
fail() { say "FAIL: $*"; exit 1; }
ok() { say "ok: $*"; }

. "$ROOT/scripts/packages.sh"
install_missing "$ROOT/build-deb/log" postgresql curl python3 systemd man-db

T=$(mktemp -d)
chmod 755 "$T"
ZPID= LPID=
cleanup() {
	[ -n "$ZPID" ] && kill "$ZPID" 2>/dev/null || true
	[ -n "$LPID" ] && kill "$LPID" 2>/dev/null || true
	if [ -d "$T/pg" ]; then
		(cd / && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$T/pg" -m fast stop) >/dev/null 2>&1 || true
	fi
	rm -rf "$T"
}
trap cleanup EXIT
start=$(date +%s)

# 1. A first installation.
export DEBIAN_FRONTEND=noninteractive
if dpkg-query -W -f='${Status}' zesd 2>/dev/null | grep -q installed; then
	say "purging the zesd package installed before"
	apt-get purge -y -q zesd >"$T/apt-purge0.log" 2>&1 || { cat "$T/apt-purge0.log" >&2; fail "apt-get purge"; }
fi
apt-get install -y -q "$DEB" >"$T/apt.log" 2>&1 || { tail -n 30 "$T/apt.log" >&2; fail "apt-get install $DEB"; }
ok "apt-get install $DEB"

# 2. What it installed.
zesd --version | grep -q '^zesd ' || fail "zesd --version"
zesd --help | grep -q 'database_url' || fail "zesd --help lists no keys"
zesctl --version >/dev/null || fail "zesctl --version"
zesctl --help | grep -q 'check-rules' || fail "zesctl --help"
[ "$(command -v zesd)" = /usr/sbin/zesd ] || fail "zesd is not /usr/sbin/zesd"
[ "$(command -v zesctl)" = /usr/bin/zesctl ] || fail "zesctl is not /usr/bin/zesctl"
for m in zesd.8 zesctl.8 zesd.conf.5; do
	p=$(man -w "${m%.*}" 2>/dev/null | grep -F "/${m}" || true)
	[ -n "$p" ] || p=$(ls /usr/share/man/man"${m##*.}"/"$m".gz 2>/dev/null || true)
	[ -n "$p" ] || fail "no man page $m"
	w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$p" 2>&1 >/dev/null || true)
	[ -z "$w" ] || fail "man $m warns: $w"
done
ls /usr/share/zesd/schema/0001_*.sql /usr/share/zesd/openapi.json /usr/share/zesd/rules/national.json >/dev/null
getent passwd zesd >/dev/null || fail "no user zesd"
[ "$(stat -c '%U:%G %a' /etc/zesd/zesd.conf)" = "root:zesd 640" ] ||
	fail "/etc/zesd/zesd.conf is $(stat -c '%U:%G %a' /etc/zesd/zesd.conf), not root:zesd 640"
dpkg-query -W -f='${Conffiles}\n' zesd | grep -q '/etc/zesd/zesd.conf' || fail "zesd.conf is no conffile"
zesctl check-rules /etc/zesd/rules >"$T/rules.txt" || fail "zesctl check-rules /etc/zesd/rules"
ok "files, user zesd, /etc/zesd/zesd.conf root:zesd 0640, $(cat "$T/rules.txt")"

# 3. The unit as installed.
UNIT=/lib/systemd/system/zesd.service
v=$(systemd-analyze verify "$UNIT" 2>&1) || fail "systemd-analyze verify: $v"
[ -z "$v" ] || fail "systemd-analyze verify says: $v"
score=$(systemd-analyze security --offline=true --threshold=20 "$UNIT" 2>&1 | grep 'Overall exposure') ||
	fail "systemd-analyze security: over 2.0: $(systemd-analyze security --offline=true "$UNIT" 2>&1 | tail -n 1)"
ok "systemd-analyze verify $UNIT: silent; security --offline=true: ${score#*: }"

# 4. The daemon from the package, as a plain process.
mkdir "$T/pg" "$T/sock"
chown postgres:postgres "$T/pg" "$T/sock"
PGPORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
HPORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd / && runuser -u postgres -- "$PGBIN/initdb" -D "$T/pg" --auth=trust -U postgres) >"$T/initdb.log" 2>&1 ||
	{ cat "$T/initdb.log" >&2; fail "initdb"; }
(cd / && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$T/pg" -l "$T/pg/log" -w -o \
	"-p $PGPORT -k $T/sock -c listen_addresses='' -c fsync=off" start) >/dev/null ||
	{ cat "$T/pg/log" >&2; fail "pg_ctl start"; }
psql() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$T/sock" -p "$PGPORT" -U postgres "$@"; }
psql -d postgres -c "CREATE ROLE zesd LOGIN" -c "CREATE DATABASE zesd OWNER zesd" >/dev/null
DBURL="host=$T/sock port=$PGPORT dbname=zesd"
as_zesd() { (cd / && runuser -u zesd -- "$@"); }
as_zesd zesctl --database-url "$DBURL" migrate >"$T/migrate.txt" || fail "zesctl migrate as zesd"
TOKEN=$(as_zesd zesctl --database-url "$DBURL" token create --role auditor --name package-check) ||
	fail "zesctl token create"

# A notify socket like systemd's, for the user zesd to write to.
cat >"$T/listen.py" <<'EOF'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o777)
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        out.write(s.recv(4096).decode().replace("\n", " ") + "\n")
EOF
python3 "$T/listen.py" "$T/notify" "$T/notify.txt" &
LPID=$!
for _ in $(seq 50); do [ -S "$T/notify" ] && break; sleep 0.1; done
(cd / && exec runuser -u zesd -- env ZES_DATABASE_URL="$DBURL" ZES_LISTEN="127.0.0.1:$HPORT" \
	NOTIFY_SOCKET="$T/notify" /usr/sbin/zesd --config /etc/zesd/zesd.conf) >"$T/zesd.log" 2>&1 &
ZPID=$!
ready=0
for _ in $(seq 300); do
	if curl -fsS "http://127.0.0.1:$HPORT/readyz" >/dev/null 2>&1; then ready=1; break; fi
	kill -0 "$ZPID" 2>/dev/null || { cat "$T/zesd.log" >&2; fail "zesd exited while starting"; }
	sleep 0.1
done
[ "$ready" = 1 ] || { tail -n 20 "$T/zesd.log" >&2; fail "/readyz never answered 200"; }
[ "$(ps -o user= -p "$(pgrep -P "$ZPID" -x zesd || echo "$ZPID")" | tr -d ' ')" = zesd ] ||
	fail "zesd does not run as the user zesd"
code=$(curl -s -o "$T/verify.json" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
	"http://127.0.0.1:$HPORT/v1/audit-verification")
[ "$code" = 200 ] || fail "GET /v1/audit-verification answered $code"
wait_line() {	# pattern: wait for a notify message matching it
	for _ in $(seq 100); do grep -q -- "$1" "$T/notify.txt" 2>/dev/null && return 0; sleep 0.1; done
	cat "$T/notify.txt" >&2; fail "no notify message matching '$1'"
}
wait_line '^READY=1'
ZMAIN=$(pgrep -P "$ZPID" -x zesd || echo "$ZPID")
kill -HUP "$ZMAIN"
wait_line '^RELOADING=1 MONOTONIC_USEC=[0-9]'
[ "$(grep -c '^READY=1' "$T/notify.txt")" -ge 1 ]
for _ in $(seq 100); do [ "$(grep -c '^READY=1' "$T/notify.txt")" -ge 2 ] && break; sleep 0.1; done
[ "$(grep -c '^READY=1' "$T/notify.txt")" -ge 2 ] || fail "no READY=1 after the reload"
kill -TERM "$ZMAIN"
rc=0
wait "$ZPID" || rc=$?
ZPID=
[ "$rc" = 0 ] || { tail -n 20 "$T/zesd.log" >&2; fail "zesd exited $rc after SIGTERM"; }
wait_line '^STOPPING=1'
ok "zesd from the package as the user zesd: /readyz 200, an authenticated request 200," \
	"notify: $(cut -d' ' -f1 "$T/notify.txt" | grep -v '^STATUS' | tr '\n' ' ')exit 0"

# 5. Removal.
if [ "$KEEP" = 0 ]; then
	apt-get purge -y -q zesd >"$T/apt-purge.log" 2>&1 || { cat "$T/apt-purge.log" >&2; fail "apt-get purge zesd"; }
	[ ! -e /etc/zesd ] || fail "/etc/zesd is left after the purge"
	[ ! -e /usr/sbin/zesd ] || fail "/usr/sbin/zesd is left after the purge"
	ok "apt-get purge zesd: nothing left in /etc/zesd"
fi
say "all checks passed in $(( $(date +%s) - start )) s"
