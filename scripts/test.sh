#!/usr/bin/env bash
# Build zesd with AddressSanitizer and UBSan into build-test/, start a private
# PostgreSQL cluster for the integration tests, and run every test with ctest.
# ctest's summary is the last thing printed; the exit status is ctest's.
# Running it again reuses the build and the cluster directory (a cluster left
# running by a killed run is stopped first).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=$ROOT/build-test
PGDATA_DIR=$BUILD/pgdata
PG=$ROOT/scripts/pg.sh

say() { echo "test.sh: $*" >&2; }

# Install what is missing (scripts/packages.sh).
. "$ROOT/scripts/packages.sh"
PKGS=("${ZES_BUILD_PKGS[@]}" python3-pytest python3-jsonschema tzdata clang libclang-rt-dev
	systemd groff-base chromium chromium-driver python3-selenium prometheus)
command -v npm >/dev/null 2>&1 || PKGS+=(nodejs npm)
install_missing "$BUILD/log" "${PKGS[@]}"

cmake -S "$ROOT" -B "$BUILD" -DZES_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug \
	-DZES_FUZZ_BUILD="$BUILD/fuzz" >/dev/null
cmake --build "$BUILD" -j2
# The optimised build of the run command: gcc warns of more at -O2, and
# -Werror makes a warning there a broken README command.
cmake -S "$ROOT" -B "$BUILD/release" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZES_TESTS=OFF >/dev/null
cmake --build "$BUILD/release" -j2 >/dev/null
# The libFuzzer harnesses (tests/fuzz/README.md), built with clang; ctest
# runs each briefly (label fuzz).  A failed build shows there, as failed
# fuzz tests, rather than stopping the other tests.
mkdir -p "$BUILD/log"
if ! CC=clang cmake -S "$ROOT" -B "$BUILD/fuzz" -DZES_FUZZ=ON -DZES_TESTS=OFF \
	-DZES_WERROR=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$BUILD/log/fuzz-build.log" 2>&1 ||
	! cmake --build "$BUILD/fuzz" -j2 --target zes_fuzz >>"$BUILD/log/fuzz-build.log" 2>&1; then
	say "the fuzzing build failed; see $BUILD/log/fuzz-build.log"
fi

# Pre-install Spectral (the lint itself is a ctest test).
mkdir -p "$BUILD/log"
if [ -x "$ROOT/scripts/lint-openapi.sh" ]; then
	"$ROOT/scripts/lint-openapi.sh" "$BUILD/tools" >"$BUILD/log/lint-openapi.log" 2>&1 ||
		say "lint-openapi.sh failed; see $BUILD/log/lint-openapi.log"
fi

# The cluster: stop whatever a killed run left, start on a free port.  From
# here on, every exit stops it, with its output in a log so that ctest's
# summary stays the last lines printed.
PGLOG=$BUILD/log/pg.log
"$PG" stop "$PGDATA_DIR" >"$PGLOG" 2>&1 || true
trap '"$PG" stop "$PGDATA_DIR" >>"$PGLOG" 2>&1 || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
PORT=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if ! PG_FAST=1 "$PG" start "$PGDATA_DIR" "$PORT" >>"$PGLOG" 2>&1; then
	# A throw-away cluster (fsync off) may not survive a crash: make a new one.
	say "the test cluster did not start; recreating it (see $PGLOG)"
	"$PG" destroy "$PGDATA_DIR" >>"$PGLOG" 2>&1 || true
	if ! PG_FAST=1 "$PG" start "$PGDATA_DIR" "$PORT" >>"$PGLOG" 2>&1; then
		tail -n 30 "$PGLOG" >&2
		exit 1
	fi
fi
eval "$("$PG" env "$PGDATA_DIR" "$PORT")"
# Databases that killed runs left behind.
"$ZES_TEST_PGBIN/psql" -X -q -tA -h "$ZES_TEST_PGHOST" -p "$ZES_TEST_PGPORT" -U postgres -d postgres \
	-c "SELECT quote_ident(datname) FROM pg_database WHERE datname LIKE 'zt\_%'" |
	while read -r db; do
		"$ZES_TEST_PGBIN/psql" -X -q -h "$ZES_TEST_PGHOST" -p "$ZES_TEST_PGPORT" -U postgres \
			-d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >>"$PGLOG" 2>&1 || true
	done

rc=0
ctest --test-dir "$BUILD" --output-on-failure || rc=$?
exit "$rc"
