#!/bin/sh
# Check a zesd /metrics scrape with Prometheus's own linter.
#
#   scripts/check-metrics.sh URL|FILE
#
# URL   a running zesd's metrics, e.g. http://127.0.0.1:8080/metrics
# FILE  a scrape saved earlier (- for standard input)
#
# Runs `promtool check metrics` (Debian package prometheus) on it: the
# exposition must parse, and names, help texts, types and units must follow
# the Prometheus conventions.  Any complaint fails the run (exit 1); bad
# usage or a missing tool exits 2.
set -eu

prog=$(basename -- "$0")
[ $# -eq 1 ] || { echo "usage: $prog URL|FILE" >&2; exit 2; }
command -v promtool >/dev/null 2>&1 ||
	{ echo "$prog: promtool not found: apt-get install prometheus" >&2; exit 2; }

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
case $1 in
http://* | https://*)
	command -v curl >/dev/null 2>&1 || { echo "$prog: curl not found" >&2; exit 2; }
	curl -fsS --max-time 10 -o "$tmp" "$1" || { echo "$prog: cannot fetch $1" >&2; exit 1; }
	;;
-)
	cat >"$tmp"
	;;
*)
	[ -r "$1" ] || { echo "$prog: cannot read $1" >&2; exit 2; }
	cat -- "$1" >"$tmp"
	;;
esac
[ -s "$tmp" ] || { echo "$prog: the scrape is empty" >&2; exit 1; }
# promtool prints its complaints and exits non-zero on any of them.
if ! out=$(promtool check metrics <"$tmp" 2>&1); then
	printf '%s\n' "$out" >&2
	exit 1
fi
[ -z "$out" ] || printf '%s\n' "$out"
echo "$prog: $(grep -c '^# TYPE ' "$tmp") metric families pass promtool check metrics"
