#!/usr/bin/env bash
# Run one libFuzzer harness for a while and say how it went (tests/fuzz/README.md).
#
#   tests/fuzz/run.sh FUZZ_BUILD NAME SECONDS WORKDIR [RUNS]
#
# FUZZ_BUILD is a -DZES_FUZZ=ON build (clang) holding tests/fuzz/fuzz_NAME.
# The harness starts from the committed seeds (tests/fuzz/corpus/NAME, and
# any inputs kept in tests/fuzz/crashes/NAME) and writes what it learns to
# WORKDIR/corpus only, so the repository is never changed; a finding (crash,
# leak, timeout, out of memory) is saved in WORKDIR/artifacts.  It stops after
# SECONDS, or after RUNS executions when RUNS is given.  With FUZZ_FORK=N
# (N > 1) it runs as N worker processes under libFuzzer's -fork=N: one run,
# its executions counted over all workers, for long runs on several cores.
# The last line is
#   fuzz NAME: EXECS executions in SECS s (RATE/s), corpus N, findings F
# (with ", exit status N" added when it stopped without a finding, as when
# interrupted); the exit status is 0 only when the harness ran and found nothing.
set -uo pipefail

if [ $# -lt 4 ] || [ $# -gt 5 ]; then
	echo "usage: $0 FUZZ_BUILD NAME SECONDS WORKDIR [RUNS]" >&2
	exit 2
fi
BUILD=$1 NAME=$2 SECS=$3 WORK=$4 RUNS=${5:-}
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$BUILD/tests/fuzz/fuzz_$NAME
SEEDS=$HERE/corpus/$NAME

case $SECS in
''|0|*[!0-9]*) echo "fuzz $NAME: SECONDS must be a whole number above 0" >&2; exit 2 ;;
esac
if [ ! -x "$BIN" ]; then
	echo "fuzz $NAME: no harness at $BIN (build it: scripts/fuzz.sh 0 $NAME)" >&2
	exit 1
fi
if [ ! -d "$SEEDS" ]; then
	echo "fuzz $NAME: no seed corpus at $SEEDS" >&2
	exit 1
fi
mkdir -p "$WORK/corpus" "$WORK/artifacts"
LOG=$WORK/fuzz.log

ARGS=(-max_total_time="$SECS" -print_final_stats=1 -timeout=10
	-rss_limit_mb=2048 -artifact_prefix="$WORK/artifacts/")
[ -n "$RUNS" ] && ARGS+=(-runs="$RUNS")
FORK=${FUZZ_FORK:-1}
case $FORK in
''|0|*[!0-9]*) echo "fuzz $NAME: FUZZ_FORK must be a whole number above 0" >&2; exit 2 ;;
esac
# Under -fork libFuzzer goes on after a timeout or an out-of-memory unless
# told not to; here every finding ends the run, as without it.
[ "$FORK" -gt 1 ] && ARGS+=(-fork="$FORK" -ignore_timeouts=0 -ignore_ooms=0)
[ -f "$HERE/$NAME.dict" ] && ARGS+=(-dict="$HERE/$NAME.dict")
DIRS=("$WORK/corpus" "$SEEDS")
[ -d "$HERE/crashes/$NAME" ] && DIRS+=("$HERE/crashes/$NAME")

# Findings of earlier runs in WORKDIR are not this run's.
rm -f "$WORK"/artifacts/crash-* "$WORK"/artifacts/leak-* \
	"$WORK"/artifacts/timeout-* "$WORK"/artifacts/oom-*

# Under -fork the seeds go through a merge that survives a crashing input,
# so a kept crash would pass unnoticed: replay those first, each once.
if [ "$FORK" -gt 1 ] && [ -d "$HERE/crashes/$NAME" ] &&
    [ -n "$(find "$HERE/crashes/$NAME" -type f)" ]; then
	if ! find "$HERE/crashes/$NAME" -type f -exec "$BIN" -timeout=10 \
	    -rss_limit_mb=2048 -artifact_prefix="$WORK/artifacts/" {} + \
	    >"$LOG" 2>&1; then
		grep -v -e '^INFO:' "$LOG" | tail -n 60 >&2
		echo "fuzz $NAME: an input kept in crashes/$NAME fails again, findings 1"
		exit 1
	fi
fi
start=$(date +%s)
"$BIN" "${ARGS[@]}" "${DIRS[@]}" >"$LOG" 2>&1
rc=$?
secs=$(( $(date +%s) - start ))

# libFuzzer's own count: the final statistics, else the last "#N DONE" line;
# under -fork the workers' statistics stay in their own logs and the
# parent's last "#N: cov: ..." line holds the sum.
if [ "$FORK" -gt 1 ]; then
	execs=$(sed -n 's/^#\([0-9]*\): cov:.*/\1/p' "$LOG" | tail -n 1)
else
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$LOG" | tail -n 1)
	[ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\)[[:space:]]*DONE.*/\1/p' "$LOG" | tail -n 1)
fi
[ -n "$execs" ] || execs=0
corpus=$(find "$WORK/corpus" -type f | wc -l)
findings=$(find "$WORK/artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' \
	-o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
rate=$(( secs > 0 ? execs / secs : execs ))

status=
if [ "$rc" -ne 0 ] || [ "$findings" -gt 0 ]; then
	# The report: libFuzzer's summary and the stack, from the log.
	grep -v -e '^#[0-9]' -e '^INFO:' "$LOG" | tail -n 60 >&2
	ls "$WORK"/artifacts/ >&2
	# Stopped without a finding (interrupted, a harness that did not start).
	[ "$findings" -gt 0 ] || status=", exit status $rc"
fi
echo "fuzz $NAME: $execs executions in $secs s ($rate/s), corpus $corpus, findings $findings$status"
[ "$rc" -eq 0 ] && [ "$findings" -eq 0 ]
