#!/usr/bin/env bash
# The submission benchmark of zesd: durable submissions per second beside
# pgbench running a single-row insert transaction on the same database, in
# the same run.  One command, about 2 minutes (--quick: under 1 minute).
#
#   tests/bench/submit.sh [--duration S] [--rounds N] [--connections C]
#                         [--pg-port P] [--quick]
#
# Installs what it needs (wrk, PostgreSQL with pgbench, the build
# dependencies, from Debian) when missing, builds zesd Release into
# build-bench-submit/, makes a private PostgreSQL cluster there with durable
# commits (scripts/pg.sh without PG_FAST: fsync, synchronous_commit and
# full_page_writes on, checked before measuring), migrates, loads the demo
# register (tests/data/rdw-demo), starts zesd (threads=2, log_level=warn) and
# measures, alternately, N rounds of S seconds each:
#   - wrk with submit.lua: POST /v1/applications on C keep-alive connections,
#     every request a distinct valid application with its own
#     Idempotency-Key (all granted at once by the rules);
#   - pgbench with submit.sql: BEGIN; one INSERT into bench_applications, a
#     copy of applications' columns, constraints and indexes; COMMIT; with 2
#     clients, as many as zesd has connections for requests (one per worker).
# It prints durable submissions/s (201 answers/s), p50/p99, pgbench's tps
# (without the initial connection time) and their ratio (target >= 0.5),
# medians over the rounds, and checks that every 201 of the run is a row of
# applications.  It stops everything it started, however it ends.  The
# target is reported, never asserted: the exit status is 0 when every step
# ran and no 201 is missing from the database.
#
# Defaults: 3 rounds of 10 s, 8 connections, port 54340.  --quick: 2 rounds
# of 4 s.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BENCH=$ROOT/tests/bench
B=$ROOT/build-bench-submit
LOGDIR=$B/log
PGDIR=$B/pgdata
PY=/usr/bin/python3
THREADS=2	# zesd workers, each with one database connection for requests

say() { echo "submit: $*" >&2; }
die() { say "$*"; exit 1; }
. "$ROOT/tests/bench/lib.sh"
usage() { sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

DURATION='' ROUNDS='' CONNS=8 PGPORT=54340 QUICK=0
while [ $# -gt 0 ]; do
	case "$1" in
	--duration) DURATION=${2:?}; shift ;;
	--rounds) ROUNDS=${2:?}; shift ;;
	--connections) CONNS=${2:?}; shift ;;
	--pg-port) PGPORT=${2:?}; shift ;;
	--quick) QUICK=1 ;;
	-h|--help) usage ;;
	*) say "unknown argument $1"; usage ;;
	esac
	shift
done
if [ "$QUICK" = 1 ]; then
	: "${DURATION:=4}" "${ROUNDS:=2}"
fi
: "${DURATION:=10}" "${ROUNDS:=3}"
for v in DURATION ROUNDS CONNS PGPORT; do
	if ! [[ "${!v}" =~ ^[0-9]+$ ]] || [ "${!v}" -lt 1 ]; then
		die "--${v,,} must be a positive integer"
	fi
done
[ "$ROUNDS" -ge 2 ] || die "--rounds must be at least 2 (the runs alternate)"
[ "$ROUNDS" -le 20 ] || die "--rounds must be at most 20"
WARMUP=2

mkdir -p "$B" "$LOGDIR"
T_START=$(date +%s)

# ---------------------------------------------------------------- packages
# pgbench is in the postgresql-15 package on Debian 12 (postgresql pulls it).
. "$ROOT/scripts/packages.sh"
install_missing "$LOGDIR" "${ZES_BUILD_PKGS[@]}" wrk python3 || die "apt-get install failed"
PGBIN=/usr/lib/postgresql/15/bin
[ -x "$PGBIN/pgbench" ] || die "no pgbench in $PGBIN"

# ---------------------------------------------------------------- build
# shellcheck disable=SC2119  # no extra build commands
bench_build

# ---------------------------------------------------------------- clean-up
ZPID=''
# shellcheck disable=SC2317  # run by the EXIT trap bench_on_exit sets
cleanup() {
	trap - EXIT INT TERM
	stop_pid "$ZPID"
	"$ROOT/scripts/pg.sh" stop "$PGDIR" >/dev/null 2>&1 || true
}
bench_on_exit cleanup

# ---------------------------------------------------------------- database
say "PostgreSQL: private cluster in $PGDIR, port $PGPORT, durable commits (no PG_FAST)"
# A cluster left running (by an earlier run, perhaps with other settings) is
# restarted, so the settings below are the ones it runs with.
"$ROOT/scripts/pg.sh" stop "$PGDIR" >/dev/null 2>&1 || true
env -u PG_FAST "$ROOT/scripts/pg.sh" start "$PGDIR" "$PGPORT" 2>>"$LOGDIR/pg.log"
PGSOCK=$(sed -n 's/^export ZES_TEST_PGHOST=//p' <("$ROOT/scripts/pg.sh" env "$PGDIR" "$PGPORT"))
DBURL=$("$ROOT/scripts/pg.sh" url "$PGDIR" "$PGPORT")
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h "$PGSOCK" -p "$PGPORT" -U postgres)
SETTINGS=$("${PSQL[@]}" -d postgres -tA -F ' ' -c "SELECT name, setting FROM pg_settings
	WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method',
	'shared_buffers', 'max_wal_size') ORDER BY name" | tr '\n' ' ')
say "  settings: $SETTINGS"
for s in fsync synchronous_commit full_page_writes; do
	[[ " $SETTINGS " == *" $s on "* ]] || die "$s is not on: this benchmark measures durable commits"
done
PGPID=$(head -n 1 "$("${PSQL[@]}" -d postgres -tA -c "SHOW data_directory")/postmaster.pid")
"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS zesd" -c "CREATE DATABASE zesd"
export ZES_SCHEMA_DIR=$ROOT/schema
ctl() { "$B/zesctl" --database-url "$DBURL" "$@"; }
ctl migrate >"$LOGDIR/migrate.log"

DEMO=$ROOT/tests/data/rdw-demo
say "loading the demo register ($DEMO)"
ctl import-rdw --vehicles "$DEMO/vehicles.csv" --fuels "$DEMO/fuels.csv" \
	--bodies "$DEMO/bodies.csv" --body-codes "$DEMO/body-codes.csv" \
	--specials "$DEMO/specials.csv" >"$LOGDIR/import.log" 2>&1 ||
	{ tail "$LOGDIR/import.log" >&2; die "zesctl import-rdw failed (log: $LOGDIR/import.log)"; }
say "  $(tail -n 1 "$LOGDIR/import.log")"

# pgbench's table: the columns, defaults, generated column, checks and
# indexes of applications (not its foreign keys, which an insert of
# pgbench's could not satisfy).
"${PSQL[@]}" -d zesd -c "CREATE TABLE bench_applications (LIKE applications INCLUDING ALL)"

DESK_NAME="bench-desk-$(date +%Y%m%d%H%M%S)-$$"
DESK=$(ctl token create --role desk --name "$DESK_NAME")
DESK_ID=$("${PSQL[@]}" -d zesd -tA -c "SELECT id FROM tokens WHERE name = '$DESK_NAME'")

# The dates of the applications, in Europe/Amsterdam: the day exemptions are
# for tomorrow (inside every window, even across midnight).
DAY=$(TZ=Europe/Amsterdam date -d tomorrow +%F)
STATEMENT=$(TZ=Europe/Amsterdam date -d '30 days ago' +%F)
REQUESTED=$(TZ=Europe/Amsterdam date -d '60 days ago' +%F)

# ---------------------------------------------------------------- zesd
say "starting zesd (threads=$THREADS, log_level=warn)"
CONF=$B/zesd.conf
{
	echo "# Written by tests/bench/submit.sh"
	echo "listen = 127.0.0.1:0"
	echo "port_file = $B/zesd.port"
	echo "database_url = $DBURL"
	echo "threads = $THREADS"
	echo "log_level = warn"
	# One token drives the whole benchmark: no per-token rate limits.
	echo "rate_read_per_s = 0"; echo "rate_write_per_s = 0"; echo "rate_enforcement_per_s = 0"
	echo "rules_dir = $ROOT/rules"
} >"$CONF"
rm -f "$B/zesd.port"
T0=$(date +%s.%N)
"$B/zesd" --config "$CONF" >"$LOGDIR/zesd.log" 2>&1 &
ZPID=$!
for _ in $(seq 500); do
	[ -s "$B/zesd.port" ] && break
	kill -0 "$ZPID" 2>/dev/null || { tail "$LOGDIR/zesd.log" >&2; die "zesd exited"; }
	sleep 0.01
done
ZURL=http://127.0.0.1:$(cat "$B/zesd.port")
"$PY" "$BENCH/bench.py" ready --url "$ZURL" --since "$T0" --timeout 60 --pid "$ZPID" >/dev/null ||
	{ tail "$LOGDIR/zesd.log" >&2; die "zesd did not become ready"; }

# One submission by hand: a 201 with status granted, or nothing else works.
SAMPLE=$(printf '{"scope":"municipal","type":"day_exemption","municipality":"GM0599",'`
	`'"plate":"SAMPLE1","country":"DE","applicant":{"kvk":"12345678","name":"Spedition '`
	`'Beispiel GmbH","email":"dispo@example.de"},"period":{"from":"%s"},"evidence":{}}' "$DAY")
code=$(curl -s -o "$B/sample.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $DESK" \
	-H 'Content-Type: application/json' -H 'Idempotency-Key: bench-sample' -d "$SAMPLE" \
	"$ZURL/v1/applications") || true
if [ "$code" != 201 ] || ! grep -q '"status":"granted"' "$B/sample.json"; then
	die "the sample submission answered $code: $(head -c 500 "$B/sample.json")"
fi
say "  sample submission: 201, $(wc -c <"$B/sample.json") bytes"

RESULTS=$B/results.jsonl
WARM=$B/warmup.jsonl
IDS=$B/ids
: >"$RESULTS"
: >"$WARM"
rm -rf "$IDS" "$B/pgbench-log"
mkdir -p "$IDS"
TAGS=(A B C D E F G H I J K L M N O P Q R S T U V W X Y Z)
NRUN=0
run_zesd() {	# round results
	local tag=${TAGS[$NRUN]}
	NRUN=$((NRUN + 1))
	"${PSQL[@]}" -d zesd -c CHECKPOINT
	"$PY" "$BENCH/submit.py" wrk --results "$2" --name zesd --round "$1" --pid "$ZPID" \
		--url "$ZURL" --token "$DESK" --tag "$tag" --day "$DAY" --statement "$STATEMENT" \
		--requested "$REQUESTED" --ids "$IDS/$tag.txt" --pgpid "$PGPID" \
		--threads 2 --connections "$CONNS" --duration "$3"
}
run_pgbench() {	# round results duration
	"${PSQL[@]}" -d zesd -c CHECKPOINT
	"$PY" "$BENCH/submit.py" pgbench --results "$2" --name pgbench --round "$1" \
		--pghost "$PGSOCK" --pgport "$PGPORT" --dbname zesd --script "$BENCH/submit.sql" \
		--logdir "$B/pgbench-log" --clients "$THREADS" --duration "$3" --pgpid "$PGPID" \
		--set "token=$DESK_ID"
}

say "warm-up ($WARMUP s each)"
run_zesd 0 "$WARM" "$WARMUP"
run_pgbench 0 "$WARM" "$WARMUP"

say "zesd (wrk -t2 -c$CONNS, submit.lua) and pgbench (-c$THREADS -j$THREADS, submit.sql) alternately,"
say "  $ROUNDS rounds of $DURATION s, a CHECKPOINT before each run"
for r in $(seq "$ROUNDS"); do
	if [ $((r % 2)) = 1 ]; then
		run_zesd "$r" "$RESULTS" "$DURATION"
		run_pgbench "$r" "$RESULTS" "$DURATION"
	else
		run_pgbench "$r" "$RESULTS" "$DURATION"
		run_zesd "$r" "$RESULTS" "$DURATION"
	fi
done
ZRSS=$("$PY" "$BENCH/bench.py" proc --pid "$ZPID" | sed 's/.*"rss_kb": \([0-9]*\).*/\1/')
stop_pid "$ZPID"
ZPID=

# Every 201 of the run (warm-up and sample included) is a row of applications.
say "checking that every 201 answer is a row of applications"
SAMPLE_ID=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' "$B/sample.json")
[ -n "$SAMPLE_ID" ] || die "no id in the sample answer"
COUNTS=$({ echo "$SAMPLE_ID"; cat "$IDS"/*.txt; } | "${PSQL[@]}" -d zesd -tA -F ' ' \
	-c "CREATE TEMP TABLE bench_ids (id uuid)" \
	-c "\\copy bench_ids FROM pstdin" \
	-c "SELECT (SELECT count(*) FROM bench_ids),
		(SELECT count(*) FROM bench_ids b JOIN applications a ON a.id = b.id),
		(SELECT count(DISTINCT id) FROM bench_ids),
		(SELECT count(*) FROM applications)")
read -r ANSWERED FOUND DISTINCT ROWS <<<"$COUNTS"
[ "$DISTINCT" = "$ANSWERED" ] || die "$ANSWERED 201 answers but only $DISTINCT distinct ids"
MISSING=$((ANSWERED - FOUND))
say "  $ANSWERED 201 answers, $FOUND of them rows of applications, $ROWS applications in all"

T_TOTAL=$(( $(date +%s) - T_START ))
cat >"$B/meta.json" <<EOF
{"rounds": $ROUNDS, "duration": $DURATION, "connections": $CONNS, "threads": $THREADS,
 "count": {"answered": $ANSWERED, "found": $FOUND, "missing": $MISSING, "rows": $ROWS},
 "zesd_rss_kb": $ZRSS, "total_s": $T_TOTAL,
 "notes": [
  "PostgreSQL 15, private cluster, durable: $SETTINGS",
  "zesd: threads = $THREADS (one database connection per worker for requests), log_level = warn; wrk -t2 -c$CONNS keep-alive, submit.lua: every request a distinct application (3 in 4 day exemptions, 1 in 4 grid congestion, foreign plates, GM0599/GM0518/GM0503), its own Idempotency-Key, all granted: application, exemption, key record, 2 audit entries per transaction.",
  "pgbench: -c$THREADS -j$THREADS (as many clients as zesd's request connections) -M extended, submit.sql: BEGIN; one INSERT of an application-shaped row into bench_applications (LIKE applications INCLUDING ALL); COMMIT.",
  "runs alternate (zesd first in odd rounds, pgbench first in even ones), each after a CHECKPOINT and a $WARMUP s warm-up of each before round 1.",
  "CPU: zesd = utime+stime of the zesd process; PostgreSQL = the cluster's postmaster and every process under it; wrk and pgbench share the same 2 cores."
 ]}
EOF
"$PY" "$BENCH/submit.py" report --results "$RESULTS" --meta "$B/meta.json" | tee "$B/report.txt"
say "total $T_TOTAL s; results in $RESULTS, $B/meta.json and $B/report.txt"
