# shellcheck shell=bash
# Shell functions the benchmarks share; sourced by run.sh, submit.sh and
# connections.sh after they define say, die, ROOT, B and LOGDIR.

# Build zesd and zesctl (Release, no sanitizers) into $B, plus whatever
# extra commands are given (run after the build, in the same log); the
# build log is $LOGDIR/build.log.
bench_build() {
	say "building zesd (Release, no sanitizers) into $B"
	if ! { cmake -S "$ROOT" -B "$B" -DCMAKE_BUILD_TYPE=Release -DZES_SANITIZE=OFF \
		-DZES_TESTS=OFF -DZES_WERROR=OFF &&
		cmake --build "$B" -j"$(nproc)" --target zesd zesctl &&
		{ [ $# -eq 0 ] || "$@"; }; } >"$LOGDIR/build.log" 2>&1; then
		tail -n 30 "$LOGDIR/build.log" >&2
		die "the build failed (log: $LOGDIR/build.log)"
	fi
}

# Stop a process: SIGTERM, wait up to 10 s, then SIGKILL (no pid: nothing).
stop_pid() {
	local pid=$1
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

# Run the function named $1 however the script ends (it should begin with
# `trap - EXIT INT TERM`); Ctrl-C and SIGTERM end it with the usual status.
bench_on_exit() {
	# shellcheck disable=SC2064
	trap "$1" EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}
