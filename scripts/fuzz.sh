#!/usr/bin/env bash
# Build the libFuzzer harnesses of tests/fuzz with clang into build-fuzz/ and
# run each for a while (tests/fuzz/README.md).
#
#   scripts/fuzz.sh [SECONDS] [HARNESS...]
#
# SECONDS each harness runs (default 60; 0 only builds).  HARNESS names are
# those of tests/fuzz/fuzz_NAME.c (plate, json, rules, ...); default all.
# Environment: FUZZ_RUNS=N also stops each harness after N executions;
# FUZZ_JOBS=N runs N harnesses at a time (default 1); FUZZ_FORK=N runs each
# as N worker processes (tests/fuzz/run.sh); ZES_FUZZ_BUILD=DIR builds in DIR
# instead of build-fuzz/.
# What each run learns is kept in build-fuzz/runs/NAME/corpus, so the next
# run goes on from there; findings are saved in build-fuzz/runs/NAME/artifacts.
# The last lines are one per harness: executions, rate, corpus and findings.
# The exit status is 0 only when every harness ran and found nothing.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${ZES_FUZZ_BUILD:-$ROOT/build-fuzz}
SECS=${1:-60}
[ $# -gt 0 ] && shift
RUNS=${FUZZ_RUNS:-}
JOBS=${FUZZ_JOBS:-1}

say() { echo "fuzz.sh: $*" >&2; }

case $SECS in
''|*[!0-9]*) say "SECONDS must be a whole number: $SECS"; exit 2 ;;
esac
if [ $# -gt 0 ]; then
	NAMES=("$@")
else
	NAMES=()
	for f in tests/fuzz/fuzz_*.c; do
		f=${f##*/fuzz_}
		NAMES+=("${f%.c}")
	done
fi
for n in "${NAMES[@]}"; do
	if [ ! -f "tests/fuzz/fuzz_$n.c" ]; then
		say "no harness $n (tests/fuzz/fuzz_$n.c)"
		exit 2
	fi
done

# Install what is missing: the build's libraries, clang and libFuzzer.
. "$ROOT/scripts/packages.sh"
install_missing "$BUILD/log" "${ZES_BUILD_PKGS[@]}" clang libclang-rt-dev

# Warnings are the gcc build's business (-Werror there); clang's are logged.
mkdir -p "$BUILD/log"
if ! CC=clang cmake -S "$ROOT" -B "$BUILD" -DZES_FUZZ=ON -DZES_TESTS=OFF \
    -DZES_WERROR=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$BUILD/log/build.log" 2>&1 ||
    ! cmake --build "$BUILD" -j"$(nproc)" --target zes_fuzz >>"$BUILD/log/build.log" 2>&1; then
	tail -n 30 "$BUILD/log/build.log" >&2
	say "the build failed (log: $BUILD/log/build.log)"
	exit 1
fi
[ "$SECS" -gt 0 ] || { say "built in $BUILD"; exit 0; }

# Run, JOBS at a time; each run's summary line goes to its own file.
mkdir -p "$BUILD/runs"
rc=0
pids=()
for n in "${NAMES[@]}"; do
	say "running $n for ${SECS} s${RUNS:+ or $RUNS executions}"
	"$ROOT/tests/fuzz/run.sh" "$BUILD" "$n" "$SECS" "$BUILD/runs/$n" $RUNS \
	    >"$BUILD/runs/$n.out" 2>&1 &
	pids+=($!)
	if [ ${#pids[@]} -ge "$JOBS" ]; then
		wait "${pids[0]}" || rc=1
		pids=("${pids[@]:1}")
	fi
done
for p in "${pids[@]}"; do
	wait "$p" || rc=1
done

# The reports of failed runs first, then one line per harness.
for n in "${NAMES[@]}"; do
	if ! tail -n 1 "$BUILD/runs/$n.out" | grep -q 'findings 0$'; then
		echo "--- $n" >&2
		sed '$d' "$BUILD/runs/$n.out" >&2
	fi
done
for n in "${NAMES[@]}"; do
	tail -n 1 "$BUILD/runs/$n.out"
done
exit "$rc"
