#!/usr/bin/env bash
# 10,000 idle connections and a slow-loris client beside a normal client
# (issue 6): the normal client's p99 must stay within twice its unloaded
# value, the idle connections must all be served and kept, and zesd's own
# timeouts must close the slow-loris connection.  About 2 minutes.
#
#   tests/bench/connections.sh [--idle N] [--duration S] [--rate R]
#                              [--rounds N] [--pg-port P]
#
# Run as root from the repository root (it raises the open-file limit).
# Installs what it needs from Debian when missing, builds zesd Release into
# build-bench-conns/ and the clients (tests/bench/conns.c), makes a private
# PostgreSQL cluster there (scripts/pg.sh, PG_FAST=1, port P, default
# 54341), migrates, loads the demo register, starts zesd with threads = 2,
# and after a 2 s warm-up runs N rounds (default 3) of two runs, alternately
# first and second:
#   alone:  the normal client: one keep-alive connection posting a single
#           access check, R requests a second (default 1000) for S seconds
#           (default 12), latency taken from each request's due time;
#   loaded: N idle connections are opened (default 10,000: each sends one
#           GET /healthz, reads the answer and stays open and silent), one
#           slow-loris client starts (one header byte a second, a header
#           that never ends), the normal client runs again the same way;
#           then the slow-loris connection must be closed by zesd within
#           request_read_timeout_ms (+2 s), and every idle connection must
#           still be open; they are closed before the next run.
# It prints every run (p50/p90/p99/p99.9/max, zesd's CPU and any other CPU
# on the machine), the median p99 of each kind and their ratio, and exits 1
# when a check fails (the ratio above 2 included), 0 otherwise.  It stops
# everything it started, however it ends.
#
# zesd runs with its defaults except: threads = 2, log_level = warn, and
# read_timeout_ms = 120000 (the idle keep-alive bound, 30 s by default, so
# that the idle connections outlive a round); max_connections_per_worker is
# left at 0: derived from the open-file limit, which this script raises to
# 65536 (or to the hard limit when that is lower; 20,000 gives 9,960 per
# worker), and printed.  request_read_timeout_ms keeps its default of 15000:
# that is the bound the slow-loris client meets.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BENCH=$ROOT/tests/bench
B=$ROOT/build-bench-conns
LOGDIR=$B/log
PGDIR=$B/pgdata
THREADS=2
READ_TIMEOUT_MS=120000
REQUEST_READ_TIMEOUT_MS=15000
NOFILE=65536

say() { echo "connections: $*" >&2; }
die() { say "$*"; exit 1; }
. "$ROOT/tests/bench/lib.sh"
usage() { sed -n '2,39p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

IDLE=10000 DURATION=12 RATE=1000 PGPORT=54341 ROUNDS=3
while [ $# -gt 0 ]; do
	case "$1" in
	--idle) IDLE=${2:?}; shift ;;
	--duration) DURATION=${2:?}; shift ;;
	--rate) RATE=${2:?}; shift ;;
	--rounds) ROUNDS=${2:?}; shift ;;
	--pg-port) PGPORT=${2:?}; shift ;;
	-h|--help) usage ;;
	*) say "unknown argument $1"; usage ;;
	esac
	shift
done
for v in IDLE DURATION RATE PGPORT ROUNDS; do
	if ! [[ "${!v}" =~ ^[0-9]+$ ]] || [ "${!v}" -lt 1 ]; then
		die "--${v,,} must be a positive integer"
	fi
done
# The slow-loris client must still be running at the end of the loaded run.
[ "$DURATION" -lt $((REQUEST_READ_TIMEOUT_MS / 1000)) ] ||
	die "--duration must be below $((REQUEST_READ_TIMEOUT_MS / 1000)) s (the slow-loris bound)"
[ "$IDLE" -le 50000 ] || die "--idle must be at most 50000 (local ports)"
[ "$ROUNDS" -le 20 ] || die "--rounds must be at most 20"

# Each idle connection is a descriptor in the client and one in zesd: raise
# the soft limit to NOFILE, or to the hard limit where that is lower (a
# container without CAP_SYS_RESOURCE cannot raise the hard one).
ulimit -n "$NOFILE" 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
if [ "$NOFILE" != unlimited ] && [ "$NOFILE" -lt $((IDLE + 1000)) ]; then
	die "the open-file limit is $NOFILE: $IDLE idle connections need $((IDLE + 1000)) (run as root, or raise the hard limit)"
fi
mkdir -p "$B" "$LOGDIR"
T_START=$(date +%s)

# ---------------------------------------------------------------- packages, build
. "$ROOT/scripts/packages.sh"
install_missing "$LOGDIR" "${ZES_BUILD_PKGS[@]}" python3 || die "apt-get install failed"
bench_build cc -O2 -Wall -Wextra -o "$B/conns" "$BENCH/conns.c"

# ---------------------------------------------------------------- clean-up
ZPID='' IDLE_PID='' LORIS_PID=''
# shellcheck disable=SC2317  # run by the EXIT trap bench_on_exit sets
cleanup() {
	trap - EXIT INT TERM
	stop_pid "$LORIS_PID"
	stop_pid "$IDLE_PID"
	stop_pid "$ZPID"
	"$ROOT/scripts/pg.sh" stop "$PGDIR" >/dev/null 2>&1 || true
}
bench_on_exit cleanup

# ---------------------------------------------------------------- database
say "PostgreSQL: private cluster in $PGDIR, port $PGPORT (PG_FAST=1)"
PG_FAST=1 "$ROOT/scripts/pg.sh" start "$PGDIR" "$PGPORT" 2>>"$LOGDIR/pg.log"
PGSOCK=$(sed -n 's/^export ZES_TEST_PGHOST=//p' <("$ROOT/scripts/pg.sh" env "$PGDIR" "$PGPORT"))
DBURL=$("$ROOT/scripts/pg.sh" url "$PGDIR" "$PGPORT")
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h "$PGSOCK" -p "$PGPORT" -U postgres)
"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS zesd" -c "CREATE DATABASE zesd"
export ZES_SCHEMA_DIR=$ROOT/schema
ctl() { "$B/zesctl" --database-url "$DBURL" "$@"; }
ctl migrate >"$LOGDIR/migrate.log"
DEMO=$ROOT/tests/data/rdw-demo
ctl import-rdw --vehicles "$DEMO/vehicles.csv" --fuels "$DEMO/fuels.csv" \
	--bodies "$DEMO/bodies.csv" --body-codes "$DEMO/body-codes.csv" \
	--specials "$DEMO/specials.csv" >"$LOGDIR/import.log" 2>&1 ||
	{ tail "$LOGDIR/import.log" >&2; die "zesctl import-rdw failed (log: $LOGDIR/import.log)"; }
TOKEN=$(ctl token create --role enforcement --name "bench-conns-$(date +%Y%m%d%H%M%S)-$$")
PLATE=VTV69T	# in the demo register: a zero-emission van

# ---------------------------------------------------------------- zesd
CONF=$B/zesd.conf
{
	echo "# Written by tests/bench/connections.sh"
	echo "listen = 127.0.0.1:0"
	echo "port_file = $B/zesd.port"
	echo "database_url = $DBURL"
	echo "threads = $THREADS"
	echo "log_level = warn"
	echo "rules_dir = $ROOT/rules"
	echo "read_timeout_ms = $READ_TIMEOUT_MS"
	echo "request_read_timeout_ms = $REQUEST_READ_TIMEOUT_MS"
} >"$CONF"
rm -f "$B/zesd.port"
"$B/zesd" --config "$CONF" >"$LOGDIR/zesd.log" 2>&1 &
ZPID=$!
for _ in $(seq 500); do
	[ -s "$B/zesd.port" ] && break
	kill -0 "$ZPID" 2>/dev/null || { tail "$LOGDIR/zesd.log" >&2; die "zesd exited"; }
	sleep 0.01
done
PORT=$(cat "$B/zesd.port")
for _ in $(seq 600); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz" || true)" = 200 ] && break
	kill -0 "$ZPID" 2>/dev/null || { tail "$LOGDIR/zesd.log" >&2; die "zesd exited"; }
	sleep 0.1
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz")" = 200 ] ||
	die "zesd did not become ready"
ZNOFILE=$(awk '/^Max open files/ {print $4}' "/proc/$ZPID/limits")
# daemon/worker.c: (limit - 64 reserved - 8 per worker) / workers.
PER_WORKER=$(( (ZNOFILE - 64 - 8 * THREADS) / THREADS ))
say "zesd on port $PORT (pid $ZPID, threads=$THREADS, open-file limit $ZNOFILE:"
say "  $PER_WORKER connections per worker)"
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$ZPID/status"; }

measure() {	# name [duration]: one run of the normal client into $B/name.json
	/usr/bin/python3 "$BENCH/connections.py" run --out "$B/$1.json" --zesd-pid "$ZPID" -- \
		"$B/conns" measure --port "$PORT" --token "$TOKEN" --plate "$PLATE" \
		--duration "${2:-$DURATION}" --rate "$RATE"
}

run_loaded() {	# round: idle connections, the slow-loris client, the normal client
	local ready=$B/idle.ready answered failed setup
	rm -f "$ready"
	"$B/conns" idle --port "$PORT" --count "$IDLE" --ready-file "$ready" \
		>"$B/idle-$1.json" 2>>"$LOGDIR/idle.log" &
	IDLE_PID=$!
	for _ in $(seq 1200); do
		[ -s "$ready" ] && break
		kill -0 "$IDLE_PID" 2>/dev/null || { tail "$LOGDIR/idle.log" >&2; die "the idle client exited"; }
		sleep 0.1
	done
	[ -s "$ready" ] || die "the idle connections were not set up within 120 s"
	read -r _ answered failed setup <"$ready"
	say "  $IDLE idle connections: $answered answered, $failed failed, in $setup s;" \
		"zesd RSS $(rss_kb) kB"
	sleep 1
	"$B/conns" loris --port "$PORT" --interval-ms 1000 --max-s 60 >"$B/loris-$1.json" \
		2>>"$LOGDIR/loris.log" &
	LORIS_PID=$!
	measure "loaded-$1"
	rss_kb >"$B/rss-$1"
	# zesd cuts the slow-loris connection; then the idle ones are let go.
	wait "$LORIS_PID" || true
	LORIS_PID=''
	stop_pid "$IDLE_PID"
	wait "$IDLE_PID" 2>/dev/null || true
	IDLE_PID=''
}

# ---------------------------------------------------------------- the runs
rm -f "$B"/alone-*.json "$B"/loaded-*.json "$B"/idle-*.json "$B"/loris-*.json "$B"/rss-*
say "warm-up (2 s)"
measure warmup 2
RSS0=$(rss_kb)
say "$ROUNDS rounds, alternately: the normal client alone, and beside $IDLE idle connections"
say "  and a slow-loris client ($RATE single access checks/s, $DURATION s each run)"
for r in $(seq "$ROUNDS"); do
	if [ $((r % 2)) = 1 ]; then
		measure "alone-$r"
		run_loaded "$r"
	else
		run_loaded "$r"
		measure "alone-$r"
	fi
done
CUT_LOGGED=$(grep -c '"slow_requests_cut":[1-9]' "$LOGDIR/zesd.log" || true)
stop_pid "$ZPID"
ZPID=''

rc=0
/usr/bin/python3 "$BENCH/connections.py" report --dir "$B" --rounds "$ROUNDS" --idle "$IDLE" \
	--rate "$RATE" --duration "$DURATION" --request-read-timeout-ms "$REQUEST_READ_TIMEOUT_MS" \
	--cut-logged "$CUT_LOGGED" --rss0 "$RSS0" --nofile "$ZNOFILE" --per-worker "$PER_WORKER" |
	tee "$B/report.txt" || rc=$?
say "total $(( $(date +%s) - T_START )) s; results in $B/*.json and $B/report.txt"
exit "$rc"
