#!/usr/bin/env bash
# The enforcement benchmark of zesd: one command, 5 to 15 minutes.
#
#   tests/bench/run.sh [--vehicles N] [--exemptions N] [--duration S]
#                      [--rounds N] [--grants N] [--agreements N] [--wrk-threads T]
#                      [--blocks N] [--pairs N] [--pair-duration S] [--quick] [--profile]
#
# Installs what it needs (wrk and the build dependencies, from Debian) when
# missing, builds zesd Release into build-bench/, makes a private PostgreSQL
# cluster there (scripts/pg.sh, PG_FAST=1), loads N generated vehicles
# (tests/bench/gen_rdw.py, then zesctl import-rdw) and M exemptions, starts
# zesd (threads=2, log_level=warn) and the ceiling responder
# (tests/bench/ceiling.c), and measures, with wrk and checks.lua:
#   - single checks against zesd and the ceiling, alternately, R rounds each
#   - batches of 1,000 checks (decisions/s)
#   - the lag from committing a grant to the first check that sees it
#   - single checks and batches with signing on, beside `openssl speed ed25519`
#   - start-up time to /readyz 200, RSS, index bytes per vehicle
#   - with agreements (the default), what they cost: single checks and
#     batches against a zesd with them and a zesd on a copy of the database
#     made before they were inserted, in pairs of short runs
# and prints one table with every figure, its target and the ratio.  It
# stops everything it started, however it ends.  The targets are reported,
# never asserted: the exit status is 0 when every step ran.
#
# Defaults: 2,000,000 vehicles, 200,000 exemptions, 400 recognition
# agreements (--agreements 0 for none, and no comparison), 3 rounds of 10 s,
# 1,000 grants, 4 blocks of 6 pairs of 3 s.  --quick: 100,000 vehicles,
# 10,000 exemptions, 3 s runs, 100 grants, 2 blocks of 2 pairs of 2 s
# (about two minutes).
# --profile adds a perf profile of zesd under single checks and under
# batches (build-bench/perf-*.txt).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BENCH=$ROOT/tests/bench
B=$ROOT/build-bench
LOGDIR=$B/log
PGDIR=$B/pgdata
PGPORT=54339
PY=/usr/bin/python3

say() { echo "bench: $*" >&2; }
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }
die() { say "$*"; exit 1; }
. "$ROOT/tests/bench/lib.sh"
usage() { sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

VEHICLES='' EXEMPTIONS='' DURATION='' ROUNDS='' GRANTS='' AGREEMENTS=400 QUICK=0 PROFILE=0 WRK_THREADS=2
BLOCKS='' PAIRS='' PAIR_S=''
while [ $# -gt 0 ]; do
	case "$1" in
	--vehicles) VEHICLES=${2:?}; shift ;;
	--exemptions) EXEMPTIONS=${2:?}; shift ;;
	--duration) DURATION=${2:?}; shift ;;
	--rounds) ROUNDS=${2:?}; shift ;;
	--grants) GRANTS=${2:?}; shift ;;
	--agreements) AGREEMENTS=${2:?}; shift ;;
	--blocks) BLOCKS=${2:?}; shift ;;
	--pairs) PAIRS=${2:?}; shift ;;
	--pair-duration) PAIR_S=${2:?}; shift ;;
	--wrk-threads) WRK_THREADS=${2:?}; shift ;;
	--quick) QUICK=1 ;;
	--profile) PROFILE=1 ;;
	-h|--help) usage ;;
	*) say "unknown argument $1"; usage ;;
	esac
	shift
done
if [ "$QUICK" = 1 ]; then
	: "${VEHICLES:=100000}" "${EXEMPTIONS:=10000}" "${DURATION:=3}" "${GRANTS:=100}"
	: "${BLOCKS:=2}" "${PAIRS:=2}" "${PAIR_S:=2}"
fi
: "${VEHICLES:=2000000}" "${EXEMPTIONS:=200000}" "${DURATION:=10}" "${ROUNDS:=3}" "${GRANTS:=1000}"
: "${BLOCKS:=4}" "${PAIRS:=6}" "${PAIR_S:=3}"
INSTR_SINGLES=3000 INSTR_BATCHES=20
for v in VEHICLES EXEMPTIONS DURATION ROUNDS GRANTS WRK_THREADS BLOCKS PAIRS PAIR_S; do
	if ! [[ "${!v}" =~ ^[0-9]+$ ]] || [ "${!v}" -lt 1 ]; then
		die "--${v,,} must be a positive integer"
	fi
done
[[ "$AGREEMENTS" =~ ^[0-9]+$ ]] || die "--agreements must be 0 or a positive integer"
CONNS=64
BATCH=1000
BATCH_CONNS=16
WARMUP=2

mkdir -p "$B" "$LOGDIR"
T_START=$(date +%s)

# ---------------------------------------------------------------- packages
. "$ROOT/scripts/packages.sh"
PKGS=("${ZES_BUILD_PKGS[@]}" wrk python3 openssl valgrind)
[ "$PROFILE" = 1 ] && PKGS+=(linux-perf)
install_missing "$LOGDIR" "${PKGS[@]}" || die "apt-get install failed"

# ---------------------------------------------------------------- build
# shellcheck disable=SC2119  # no extra build commands
bench_build
# shellcheck disable=SC2046
cc -O2 -Wall -o "$B/ceiling" "$BENCH/ceiling.c" $(pkg-config --cflags --libs libevent) -lpthread ||
	die "cannot build the ceiling responder"

# ---------------------------------------------------------------- clean-up
ZPID='' CPID='' MAIN_PID='' AW_PID='' AO_PID=''
# shellcheck disable=SC2317  # run by the EXIT trap bench_on_exit sets
cleanup() {
	trap - EXIT INT TERM
	stop_pid "$ZPID"
	stop_pid "$MAIN_PID"
	stop_pid "$AW_PID"
	stop_pid "$AO_PID"
	stop_pid "$CPID"
	"$ROOT/scripts/pg.sh" stop "$PGDIR" >/dev/null 2>&1 || true
}
bench_on_exit cleanup

# ---------------------------------------------------------------- database
say "PostgreSQL: private cluster in $PGDIR with PG_FAST=1 (fsync, synchronous_commit, full_page_writes off)"
PG_FAST=1 "$ROOT/scripts/pg.sh" stop "$PGDIR" >/dev/null 2>&1 || true
PG_FAST=1 "$ROOT/scripts/pg.sh" start "$PGDIR" "$PGPORT" 2>>"$LOGDIR/pg.log"
PGSOCK=$(sed -n 's/^export ZES_TEST_PGHOST=//p' <("$ROOT/scripts/pg.sh" env "$PGDIR" "$PGPORT"))
DBURL=$("$ROOT/scripts/pg.sh" url "$PGDIR" "$PGPORT")
DBURL_PLAIN=$("$ROOT/scripts/pg.sh" url "$PGDIR" "$PGPORT" zesd_plain)
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h "$PGSOCK" -p "$PGPORT" -U postgres)
"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS zesd" -c "DROP DATABASE IF EXISTS zesd_plain" \
	-c "CREATE DATABASE zesd"
export ZES_SCHEMA_DIR=$ROOT/schema
ctl() { "$B/zesctl" --database-url "$DBURL" "$@"; }
ctl migrate >"$LOGDIR/migrate.log"

# ---------------------------------------------------------------- data
DATA=$B/data/v$VEHICLES-seed1
if [ ! -f "$DATA/.complete" ]; then
	say "generating $VEHICLES vehicles (tests/bench/gen_rdw.py, kept in $DATA for later runs)"
	t0=$(date +%s.%N)
	rm -rf "$DATA"
	mkdir -p "$DATA"
	"$PY" "$BENCH/gen_rdw.py" -n "$VEHICLES" --seed 1 --fixtures --out "$DATA" >"$LOGDIR/gen.log" 2>&1 ||
		{ tail "$LOGDIR/gen.log" >&2; die "gen_rdw.py failed"; }
	touch "$DATA/.complete"
	say "  generated in $(since "$t0") s"
fi
say "loading $VEHICLES vehicles with zesctl import-rdw"
t0=$(date +%s.%N)
ctl import-rdw --vehicles "$DATA/vehicles.csv" --fuels "$DATA/fuels.csv" --bodies "$DATA/bodies.csv" \
	--body-codes "$DATA/body-codes.csv" --specials "$DATA/specials.csv" >"$LOGDIR/import.log" 2>&1 ||
	{ tail "$LOGDIR/import.log" >&2; die "zesctl import-rdw failed (log: $LOGDIR/import.log)"; }
T_IMPORT=$(since "$t0")
say "  $(tail -n 1 "$LOGDIR/import.log") in $T_IMPORT s"

say "inserting $EXEMPTIONS exemptions (generate_series over the goods vehicles of the register)"
t0=$(date +%s.%N)
# Types, issuers and periods in the proportions a desk could see: day
# exemptions most often (a 30-hour period on one day), long deliveries,
# business hardship, grid congestion and hardship clauses of Rotterdam, Den
# Haag and Delft, national special-vehicle exemptions; validity starting
# between mid-2025 and mid-2027, so some are past, most current or future;
# granted up to 20 days before they start; one in 33 revoked.  A plate may
# hold several when there are more exemptions than goods vehicles.
"${PSQL[@]}" -d zesd -v n_exemptions="$EXEMPTIONS" >"$LOGDIR/exemptions.log" 2>&1 <<'EOF' ||
CREATE TEMP TABLE bench_plates AS
	SELECT row_number() OVER (ORDER BY md5(plate)) AS n, plate
	FROM vehicles WHERE category IN ('N1', 'N2', 'N3');
SELECT count(*) AS goods_vehicles FROM bench_plates \gset
INSERT INTO exemptions (plate, country, scope, type, issuer, valid_from, valid_until,
	granted_at, revoked_at, revoke_reason)
SELECT b.plate, 'NL', x.scope, x.type, x.issuer, x.vf,
	CASE x.type
	WHEN 'day_exemption' THEN x.vf + interval '30 hours'
	WHEN 'long_delivery' THEN x.vf + (3 + g % 10) * interval '1 month'
	WHEN 'business_hardship' THEN x.vf + interval '1 year'
	WHEN 'grid_congestion' THEN x.vf + interval '2 years'
	WHEN 'hardship_clause' THEN x.vf + (1 + g % 12) * interval '1 month'
	ELSE least(x.vf + interval '5 years', timestamptz '2030-01-01 00:00+01') END,
	x.vf - (g % 20) * interval '1 day',
	CASE WHEN g % 33 = 0 THEN x.vf + interval '2 days' END,
	CASE WHEN g % 33 = 0 THEN 'bench: revoked' END
FROM generate_series(1, :n_exemptions) AS g
JOIN bench_plates b ON b.n = 1 + (g - 1) % :goods_vehicles
CROSS JOIN LATERAL (SELECT
	CASE WHEN g % 100 < 40 THEN 'day_exemption'
	     WHEN g % 100 < 60 THEN 'long_delivery'
	     WHEN g % 100 < 75 THEN 'business_hardship'
	     WHEN g % 100 < 85 THEN 'grid_congestion'
	     WHEN g % 100 < 90 THEN 'hardship_clause'
	     ELSE 'special_vehicle' END AS type,
	CASE WHEN g % 100 >= 90 THEN 'national' ELSE 'municipal' END AS scope,
	CASE WHEN g % 100 >= 90 THEN 'national'
	     ELSE (ARRAY['GM0599', 'GM0599', 'GM0518', 'GM0518', 'GM0503'])[1 + g * 7 % 5] END AS issuer,
	(date '2025-06-01' + (g * 7919 % 700))::timestamp AT TIME ZONE 'Europe/Amsterdam' AS vf
) x;
EOF
	{ cat "$LOGDIR/exemptions.log" >&2; die "inserting the exemptions failed"; }
T_EXEMPT=$(since "$t0")
say "  $("${PSQL[@]}" -d zesd -tA -c "SELECT count(*) FROM exemptions") exemptions in $T_EXEMPT s"

# The token exists in the copy too.
TOKEN=$(ctl token create --role enforcement --name "bench-$(date +%Y%m%d%H%M%S)-$$")

# The comparison's copy: the same vehicles, exemptions and token, no
# agreement.  A file copy of the database (CREATE DATABASE ... TEMPLATE), so
# both zesd load byte-for-byte the same register.
if [ "$AGREEMENTS" -gt 0 ]; then
	"${PSQL[@]}" -d postgres -c "CREATE DATABASE zesd_plain TEMPLATE zesd" >>"$LOGDIR/exemptions.log" 2>&1 ||
		{ tail "$LOGDIR/exemptions.log" >&2; die "copying the database failed"; }
fi

# Recognition agreements (issue 5): ordered pairs of the 21 MRDH
# municipalities, the pairs of the three zones first, two types each, in
# force from today, so checks in one zone of another zone's exemptions look
# them up.  Inserted as the API leaves them (the triggers write terms,
# change_log and audit).
if [ "$AGREEMENTS" -gt 0 ]; then
	say "inserting $AGREEMENTS recognition agreements"
	"${PSQL[@]}" -d zesd -v n="$AGREEMENTS" >>"$LOGDIR/exemptions.log" 2>&1 <<'EOF' ||
WITH m(code) AS (SELECT unnest('{GM0489,GM0502,GM0503,GM0518,GM0542,GM0556,GM0597,GM0599,GM0603,GM0606,GM0613,GM0622,GM0629,GM0637,GM1621,GM1783,GM1842,GM1916,GM1926,GM1930,GM1992}'::text[]))
INSERT INTO recognition_agreements (id, issuer, recognizer, types, valid_from, created_by, updated_by)
SELECT gen_random_uuid(), i.code, r.code, '{hardship_clause,long_delivery}',
	date_trunc('day', now()), 'bench', 'bench'
FROM m i, m r
WHERE i.code <> r.code
ORDER BY (i.code IN ('GM0503', 'GM0518', 'GM0599') AND r.code IN ('GM0503', 'GM0518', 'GM0599')) DESC,
	i.code, r.code
LIMIT :n;
EOF
		{ tail "$LOGDIR/exemptions.log" >&2; die "inserting the agreements failed"; }
	say "  $("${PSQL[@]}" -d zesd -tA -c "SELECT count(*) FROM recognition_agreements") agreements"
fi
# Settle the cluster, so that no autovacuum or checkpoint of the load runs
# during the measurements.
"${PSQL[@]}" -d zesd -c "VACUUM (ANALYZE)" -c "CHECKPOINT" >>"$LOGDIR/exemptions.log" 2>&1
if [ "$AGREEMENTS" -gt 0 ]; then
	"${PSQL[@]}" -d zesd_plain -c "VACUUM (ANALYZE)" -c "CHECKPOINT" >>"$LOGDIR/exemptions.log" 2>&1
fi

KEY=$B/signing.pem
(umask 077 && openssl genpkey -algorithm ed25519 -out "$KEY" 2>/dev/null)

PLATES=$B/plates.txt
"$PY" "$BENCH/bench.py" plates --vehicles "$DATA/vehicles.csv" --out "$PLATES" \
	--count "$((VEHICLES < 200000 ? VEHICLES / 2 : 100000))" --unknown 0.1 2>>"$LOGDIR/bench.log"

# ---------------------------------------------------------------- zesd
# start_zesd NAME [signing|copy]: starts zesd, sets ZPID, ZURL, READY
# (seconds from the start to the first /readyz 200) and READY_CPU (zesd's
# CPU-s by then).  copy: on the copy of the database without agreements.
# ZESD_WRAP: a command zesd runs under (valgrind), none by default.
ZESD_WRAP=()
start_zesd() {
	local name=$1 conf=$B/zesd-$1.conf t0 url=$DBURL
	[ "${2:-}" = copy ] && url=$DBURL_PLAIN
	{
		echo "# Written by tests/bench/run.sh"
		echo "listen = 127.0.0.1:0"
		echo "port_file = $B/zesd.port"
		echo "database_url = $url"
		echo "threads = 2"
		echo "log_level = warn"
		# One token drives the whole benchmark: no per-token rate limits.
		echo "rate_read_per_s = 0"; echo "rate_write_per_s = 0"; echo "rate_enforcement_per_s = 0"
		echo "rules_dir = $ROOT/rules"
		[ "${2:-}" = signing ] && echo "signing_key = $KEY"
	} >"$conf"
	rm -f "$B/zesd.port"
	t0=$(date +%s.%N)
	"${ZESD_WRAP[@]}" "$B/zesd" --config "$conf" >"$LOGDIR/zesd-$name.log" 2>&1 &
	ZPID=$!
	for _ in $(seq 3000); do	# 30 s: valgrind starts slowly
		[ -s "$B/zesd.port" ] && break
		kill -0 "$ZPID" 2>/dev/null || { tail "$LOGDIR/zesd-$name.log" >&2; die "zesd exited"; }
		sleep 0.01
	done
	ZURL=http://127.0.0.1:$(cat "$B/zesd.port")
	READY=$("$PY" "$BENCH/bench.py" ready --url "$ZURL" --since "$t0" --timeout 120 --pid "$ZPID") ||
		{ tail "$LOGDIR/zesd-$name.log" >&2; die "zesd did not become ready"; }
	READY_CPU=${READY#* }
	READY=${READY% *}
}

say "starting zesd (threads=2, log_level=warn)"
start_zesd plain
READY1=$READY
READY1_CPU=$READY_CPU
say "  ready in $READY1 s (start to /readyz 200, $VEHICLES vehicles; zesd used $READY1_CPU CPU-s)"

# One real answer: its body is what the ceiling sends.
check_body() {	# "PLATE MUNICIPALITY", a line of the plate list
	local plate=${1%% *} muni=${1#* }
	printf '{"checks":[{"plate":"%s","municipality":"%s"}]}' "$plate" "$muni"
}
SAMPLE=$(head -n 1 "$PLATES")
curl -sf -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
	-d "$(check_body "$SAMPLE")" "$ZURL/v1/access-checks" -o "$B/answer.json" ||
	die "the sample access check failed"
grep -q '"basis"' "$B/answer.json" || die "the sample access check has no basis: $(cat "$B/answer.json")"
say "  sample answer ($(wc -c <"$B/answer.json") bytes): $(cat "$B/answer.json")"

rm -f "$B/ceiling.port"
"$B/ceiling" --port 0 --threads 2 --port-file "$B/ceiling.port" --body-file "$B/answer.json" \
	2>"$LOGDIR/ceiling.log" &
CPID=$!
for _ in $(seq 200); do [ -s "$B/ceiling.port" ] && break; sleep 0.01; done
[ -s "$B/ceiling.port" ] || die "the ceiling responder did not start (log: $LOGDIR/ceiling.log)"
CURL=http://127.0.0.1:$(cat "$B/ceiling.port")

RESULTS=$B/results.jsonl
: >"$RESULTS"
WARM=$B/warmup.jsonl
: >"$WARM"
run_wrk() {	# name pid url round duration results [extra bench.py args]
	local name=$1 pid=$2 url=$3 round=$4 dur=$5 res=$6
	shift 6
	"$PY" "$BENCH/bench.py" wrk --results "$res" --name "$name" --round "$round" --pid "$pid" \
		--url "$url" --plates "$PLATES" --token "$TOKEN" --threads "$WRK_THREADS" \
		--connections "$CONNS" --duration "$dur" "$@"
}

# proc_field PID KEY: a number of `bench.py proc` (rss_kb, huge_kb), or nothing.
proc_field() { "$PY" "$BENCH/bench.py" proc --pid "$1" | sed -n "s/.*\"$2\": \([0-9]*\).*/\1/p"; }

# rounds ROUND DURATION RESULTS [extra run_wrk args] < contenders: one run
# of each contender (a line "NAME PID URL"), in the order given in odd
# rounds and backwards in even ones, so no one always follows another.
rounds() {
	local r=$1 dur=$2 res=$3 c name pid url
	shift 3
	local -a list=()
	mapfile -t list
	if [ $((r % 2)) = 0 ]; then
		local -a rev=()
		for ((i = ${#list[@]} - 1; i >= 0; i--)); do rev+=("${list[i]}"); done
		list=("${rev[@]}")
	fi
	for c in "${list[@]}"; do
		read -r name pid url <<<"$c"
		run_wrk "$name" "$pid" "$url" "$r" "$dur" "$res" "$@"
	done
}

SINGLE=("zesd $ZPID $ZURL" "ceiling $CPID $CURL")
say "warm-up ($WARMUP s each)"
printf '%s\n' "${SINGLE[@]}" | rounds 1 "$WARMUP" "$WARM"

say "single checks: zesd and the ceiling alternately, $ROUNDS rounds of $DURATION s, wrk -t$WRK_THREADS -c$CONNS"
say "  (wrk runs on the same 2 cores as the server: compare the ratios, not the absolute figures)"
for r in $(seq "$ROUNDS"); do
	printf '%s\n' "${SINGLE[@]}" | rounds "$r" "$DURATION" "$RESULTS"
done

say "batches of $BATCH checks, $ROUNDS rounds of $DURATION s, wrk -t$WRK_THREADS -c$BATCH_CONNS"
run_wrk zesd-batch "$ZPID" "$ZURL" 0 "$WARMUP" "$WARM" --batch "$BATCH" --connections "$BATCH_CONNS"
for r in $(seq "$ROUNDS"); do
	run_wrk zesd-batch "$ZPID" "$ZURL" "$r" "$DURATION" "$RESULTS" --batch "$BATCH" --connections "$BATCH_CONNS"
done

if [ "$PROFILE" = 1 ]; then
	for kind in single batch; do
		say "profiling zesd under $kind checks (perf record, $DURATION s)"
		extra=()
		[ $kind = batch ] && extra=(--batch "$BATCH" --connections "$BATCH_CONNS")
		# DWARF call graphs: the Release build has no frame pointers.
		perf record -q -F 499 --call-graph dwarf,16384 -p "$ZPID" -o "$B/perf-$kind.data" \
			-- sleep "$((DURATION + 1))" >"$LOGDIR/perf-$kind.log" 2>&1 &
		ppid=$!
		run_wrk "profile-$kind" "$ZPID" "$ZURL" 0 "$DURATION" "$WARM" "${extra[@]}"
		wait "$ppid" || true
		{
			echo "# perf profile of zesd under $kind checks: by library"
			perf report -i "$B/perf-$kind.data" --stdio --no-children --sort dso -g none 2>/dev/null |
				grep -E '^ +[0-9]'
			echo "# functions, inclusive (children) and self, at least 1%"
			perf report -i "$B/perf-$kind.data" --stdio --children --sort symbol \
				--percent-limit 1 -g none 2>/dev/null | grep -E '^ +[0-9]' | grep -v '\] 0x' |
				sed 's/ *- *- *$//'
		} >"$B/perf-$kind.txt" || true
		say "  $B/perf-$kind.txt (zesd's own functions, inclusive):"
		grep -E 'access_|zes_|server_|json_|RAND_|EVP_' "$B/perf-$kind.txt" | head -n 20 >&2 || true
	done
fi

# What the agreements cost: a zesd with them beside a zesd on the copy
# without them, before the lag test adds grants to one database only (the
# main zesd idles meanwhile).  The machine's speed drifts by 10-20% within
# minutes (neighbours on the host), and two processes of the same binary on
# the same data differ by a few percent (where their memory landed), so:
#   - the two run in pairs of short runs, back to back, the order turned
#     every pair, and a figure is compared with its pair's;
#   - both are started afresh for every block of pairs, the one started
#     first alternating, so no process's luck counts for every pair;
#   - the report judges the median of the pairs' ratios.
# block_start NAME [copy]: starts zesd, appends its ready time to RESULTS.
block_start() {
	start_zesd "$1" "${2:-}"
	printf '{"name": "%s-ready", "round": %s, "ready_s": %s, "ready_cpu_s": %s}\n' \
		"$1" "$blk" "$READY" "$READY_CPU" >>"$RESULTS"
	say "  block $blk: $1 ready in $READY s"
}
if [ "$AGREEMENTS" -gt 0 ]; then
	say "agreements: $BLOCKS blocks of $PAIRS pairs of $PAIR_S s runs (single checks, then batches)," \
		"zesd with and without agreements in turn, both restarted every block"
	MAIN_PID=$ZPID MAIN_URL=$ZURL
	for blk in $(seq "$BLOCKS"); do
		if [ $((blk % 2)) = 1 ]; then
			block_start agr-with; AW_PID=$ZPID AW_URL=$ZURL
			block_start agr-without copy; AO_PID=$ZPID AO_URL=$ZURL
		else
			block_start agr-without copy; AO_PID=$ZPID AO_URL=$ZURL
			block_start agr-with; AW_PID=$ZPID AW_URL=$ZURL
		fi
		ZPID=
		PAIR=("agr-with $AW_PID $AW_URL" "agr-without $AO_PID $AO_URL")
		printf '%s\n' "${PAIR[@]}" | rounds 1 "$WARMUP" "$WARM"
		for p in $(seq "$PAIRS"); do
			printf '%s\n' "${PAIR[@]}" | rounds "$(((blk - 1) * PAIRS + p))" "$PAIR_S" "$RESULTS"
		done
		PAIR=("agr-with-batch $AW_PID $AW_URL" "agr-without-batch $AO_PID $AO_URL")
		for p in $(seq "$PAIRS"); do
			printf '%s\n' "${PAIR[@]}" | rounds "$(((blk - 1) * PAIRS + p))" "$PAIR_S" "$RESULTS" \
				--batch "$BATCH" --connections "$BATCH_CONNS"
		done
		# The last block's memory figures, each after the same runs.
		CMP_MEM=$(printf '"with": {"rss_kb": %s, "index": %s}, "without": {"rss_kb": %s, "index": %s}' \
			"$(proc_field "$AW_PID" rss_kb)" "$("$PY" "$BENCH/bench.py" metrics --url "$AW_URL")" \
			"$(proc_field "$AO_PID" rss_kb)" "$("$PY" "$BENCH/bench.py" metrics --url "$AO_URL")")
		stop_pid "$AW_PID"
		stop_pid "$AO_PID"
		AW_PID='' AO_PID=''
	done

	# The same cost counted exactly: instructions (callgrind) for the same
	# requests in the same order, SINGLES single checks and BATCHES
	# batches, each zesd under valgrind with counting off until it is ready.
	# No drift, no luck of memory placement: what the agreements add to the
	# work, and how much of it is the agreement lookup itself.
	say "agreements: instructions for $INSTR_SINGLES single checks and $INSTR_BATCHES batches of $BATCH" \
		"(callgrind), with and without agreements"
	for name in agr-with agr-without; do
		ZESD_WRAP=(valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$B/callgrind-$name.out")
		rm -f "$B/callgrind-$name.out"*
		if [ $name = agr-with ]; then start_zesd "$name-instr"; else start_zesd "$name-instr" copy; fi
		ZESD_WRAP=()
		callgrind_control -i on "$ZPID" >/dev/null 2>&1
		req=$("$PY" "$BENCH/bench.py" fixed --url "$ZURL" --token "$TOKEN" --plates "$PLATES" \
			--singles "$INSTR_SINGLES" --batches "$INSTR_BATCHES" --batch "$BATCH")
		callgrind_control -d "$ZPID" >/dev/null 2>&1
		stop_pid "$ZPID"
		ZPID=
		dump=$B/callgrind-$name.out.1
		[ -s "$dump" ] || die "callgrind wrote no dump for $name"
		ir=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$dump")
		rec=$(callgrind_annotate --threshold=100 "$dump" 2>/dev/null |
			awk '/zes_recognition_find/ { gsub(",", "", $1); s += $1 } END { print s + 0 }')
		printf '{"name": "%s-instr", "round": 1, "ir": %s, "recognition_ir": %s, %s\n' \
			"$name" "$ir" "$rec" "${req#\{}" >>"$RESULTS"
		say "  $name: $ir instructions, of them $rec in zes_recognition_find ($req)"
	done
	ZPID=$MAIN_PID ZURL=$MAIN_URL MAIN_PID=''
fi

RSS_KB=$(proc_field "$ZPID" rss_kb)
HUGE_KB=$(proc_field "$ZPID" huge_kb)
INDEX=$("$PY" "$BENCH/bench.py" metrics --url "$ZURL")

say "grant-to-visible lag: $GRANTS grants, each committed then polled every 1 ms until a check sees it"
"$PY" "$BENCH/bench.py" lag --url "$ZURL" --token "$TOKEN" --pghost "$PGSOCK" --pgport "$PGPORT" \
	--grants "$GRANTS" --out "$B/lag.json"

say "restarting zesd with signing on"
stop_pid "$ZPID"
ZPID=
start_zesd signed signing
READY2=$READY
say "  ready in $READY2 s"
curl -sf -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
	-d "$(check_body "$SAMPLE")" "$ZURL/v1/access-checks" | grep -q '"signature"' ||
	die "signed zesd answers without a signature"

# openssl_round NAME ROUND: `openssl speed ed25519` (one process) right
# after a signed round, so each round has its own reference in the same
# conditions; zesd idles meanwhile.
openssl_round() {
	printf '{"name": "%s", "round": %s, %s\n' "$1" "$2" \
		"$(openssl speed -seconds 3 ed25519 2>/dev/null | "$PY" "$BENCH/bench.py" speed | sed 's/^{//')" \
		>>"$RESULTS"
}
say "single checks with signing, $ROUNDS rounds of $DURATION s, each followed by openssl speed ed25519 (3 s)"
run_wrk zesd-signed "$ZPID" "$ZURL" 0 "$WARMUP" "$WARM"
for r in $(seq "$ROUNDS"); do
	run_wrk zesd-signed "$ZPID" "$ZURL" "$r" "$DURATION" "$RESULTS"
	openssl_round openssl "$r"
done
say "batches of $BATCH checks with signing, $ROUNDS rounds of $DURATION s, wrk -t$WRK_THREADS -c$BATCH_CONNS"
run_wrk zesd-signed-batch "$ZPID" "$ZURL" 0 "$WARMUP" "$WARM" --batch "$BATCH" --connections "$BATCH_CONNS"
for r in $(seq "$ROUNDS"); do
	run_wrk zesd-signed-batch "$ZPID" "$ZURL" "$r" "$DURATION" "$RESULTS" --batch "$BATCH" \
		--connections "$BATCH_CONNS"
	openssl_round openssl-batch "$r"
done
stop_pid "$ZPID"
ZPID=
stop_pid "$CPID"
CPID=

say "openssl speed -seconds 3 ed25519 (one process, nothing else running)"
SPEED=$(openssl speed -seconds 3 ed25519 2>/dev/null | "$PY" "$BENCH/bench.py" speed)
NCPU=$(nproc)
say "openssl speed -multi $NCPU -seconds 3 ed25519 (every core)"
SPEED_ALL=$(openssl speed -multi "$NCPU" -seconds 3 ed25519 2>/dev/null | "$PY" "$BENCH/bench.py" speed)

T_TOTAL=$(( $(date +%s) - T_START ))
cat >"$B/meta.json" <<EOF
{"vehicles": $VEHICLES, "exemptions": $EXEMPTIONS, "rounds": $ROUNDS, "duration": $DURATION,
 "wrk_threads": $WRK_THREADS, "connections": $CONNS, "batch_connections": $BATCH_CONNS,
 "ready_s": $READY1, "ready_cpu_s": $READY1_CPU, "ready2_s": $READY2, "rss_kb": $RSS_KB,
 "huge_kb": ${HUGE_KB:-null}, "index": $INDEX,
 "lag": $(cat "$B/lag.json"), "openssl": $SPEED, "openssl_all": $SPEED_ALL, "ncpu": $NCPU,
 "agreements": $AGREEMENTS, "blocks": $BLOCKS, "pairs": $PAIRS, "pair_s": $PAIR_S,
 "cmp": {${CMP_MEM:-}},
 "import_s": $T_IMPORT, "exemptions_s": $T_EXEMPT, "total_s": $T_TOTAL,
 "notes": [
  "$VEHICLES vehicles (zesctl import-rdw, $T_IMPORT s), $EXEMPTIONS exemptions ($T_EXEMPT s), $AGREEMENTS recognition agreements; plates drawn 90% from the register, 10% unknown; zones GM0599/GM0518/GM0503.",
  "PostgreSQL: private cluster with PG_FAST=1 (fsync, synchronous_commit, full_page_writes off): commits are cheaper than in production.",
  "wrk -t$WRK_THREADS shares the 2 cores with the server (and zesd's builder thread): the ratios against the ceiling, measured the same way and alternately, are what matter.",
  "server CPU = utime+stime of every thread of the server process (/proc/PID/stat) over the run / requests answered.",
  "signed vs openssl: the target compares signed checks/s with the sign/s that \`openssl speed ed25519\` prints (one process); beside it the rate of every core (-multi) and zesd's signed checks per CPU-second.",
  "batches: wrk -c$BATCH_CONNS, $BATCH checks per request; decisions/s = requests/s x $BATCH.",
  "other CPU: busy time of the whole machine (/proc/stat) minus the server's and wrk's during the runs; other processes disturb the figures.",
  "lag: one grant at a time (2-10 ms apart), committed on its own connection, then one check every 1 ms on a keep-alive connection."
 ]}
EOF
"$PY" "$BENCH/bench.py" report --results "$RESULTS" --meta "$B/meta.json" | tee "$B/report.txt"
say "total $T_TOTAL s; results in $RESULTS, $B/meta.json and $B/report.txt"
