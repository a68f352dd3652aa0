#!/usr/bin/env bash
# A private PostgreSQL 15 cluster for development and tests.
#
#   pg.sh start   DATADIR PORT          create the cluster if missing, start it, create database zesd
#   pg.sh stop    DATADIR               fast shutdown (quiet; fine when it is not running)
#   pg.sh status  DATADIR               exit 0 when running (prints the port), else 3
#   pg.sh url     DATADIR PORT [DBNAME] print a libpq conninfo (dbname defaults to zesd)
#   pg.sh env     DATADIR PORT          print export lines for the integration tests
#   pg.sh destroy DATADIR               stop and delete the cluster
#
# Layout: DATADIR/data is the cluster, DATADIR/sock the unix socket directory,
# DATADIR/postgresql.log the server log.  The server listens on no TCP address
# (listen_addresses=''), only on the socket; PORT names the socket file.
#
# As root, initdb and the server run as the `postgres` system user (initdb
# refuses root).  That user must be able to traverse every directory above
# DATADIR; when it cannot (a checkout under /root, say), the cluster lives in
# /tmp/zes-pg-<hash of DATADIR> instead, and DATADIR/RELOCATED names it.  When
# DATADIR/sock would make a socket path longer than unix sockets allow (about
# 100 bytes) or holds characters a conninfo would need quoted, the socket
# directory is /tmp/zes-pg-<hash>.sock.  Both choices depend only on DATADIR,
# so `stop`, `url` and `env` find the cluster again in a later invocation.
# Parent directories are never chmod'ed.
#
# PG_FAST=1 turns off fsync, synchronous_commit and full_page_writes: for
# throw-away test clusters only.
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PROG=pg.sh

die() { echo "$PROG: $*" >&2; exit 1; }
note() { echo "$PROG: $*" >&2; }
usage() {
	sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

[ -x "$PGBIN/pg_ctl" ] || die "PostgreSQL 15 binaries not found in $PGBIN (apt-get install postgresql-15)"

IS_ROOT=0
[ "$(id -u)" = 0 ] && IS_ROOT=1

# Run a command as the cluster's owner.
as_pg() {
	if [ "$IS_ROOT" = 1 ]; then
		# From /: the caller's directory may be closed to postgres (all paths are absolute).
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

# Absolute path without requiring it to exist.
abspath() {
	case "$1" in
	/*) realpath -m -- "$1" ;;
	*) realpath -m -- "$PWD/$1" ;;
	esac
}

hash_of() { printf '%s' "$1" | sha256sum | cut -c1-12; }

# mkdir a private directory in /tmp, refusing one that someone else made.
private_tmp_dir() {
	local d=$1 owner
	owner=$([ "$IS_ROOT" = 1 ] && echo postgres || id -un)
	if [ ! -e "$d" ]; then
		mkdir -m 700 -- "$d"
		[ "$IS_ROOT" = 1 ] && chown postgres:postgres -- "$d"
	fi
	[ -d "$d" ] && [ ! -L "$d" ] || die "$d exists and is not a directory"
	[ "$(stat -c %U -- "$d")" = "$owner" ] || die "$d exists and is not owned by $owner"
}

# Sets BASE (where data/ and the log live) and SOCK (the socket directory)
# from DATADIR alone.
resolve() {
	local want parent h
	want=$(abspath "$1")
	h=$(hash_of "$want")
	BASE=$want
	RELOCATED=0
	if [ -f "$want/RELOCATED" ]; then
		BASE=$(cat -- "$want/RELOCATED")
		RELOCATED=1
	elif [ "$IS_ROOT" = 1 ]; then
		parent=$(dirname -- "$want")
		# The nearest existing ancestor is what postgres must traverse.
		while [ ! -d "$parent" ]; do parent=$(dirname -- "$parent"); done
		if ! runuser -u postgres -- test -x "$parent"; then
			BASE=/tmp/zes-pg-$h
			RELOCATED=1
		fi
	fi
	SOCK=$BASE/sock
	# ".s.PGSQL.65535" plus the slash is 15 bytes; keep the whole under 100.
	if [ $(( ${#SOCK} + 15 )) -gt 100 ] || [[ ! "$SOCK" =~ ^[A-Za-z0-9/._-]+$ ]]; then
		SOCK=/tmp/zes-pg-$h.sock
	fi
	DATA=$BASE/data
	LOG=$BASE/postgresql.log
	WANT=$want
}

check_port() {
	[[ "${1:-}" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ] || die "bad port '${1:-}'"
}

# The port of the running postmaster (line 4 of postmaster.pid), or nothing.
running_port() {
	if as_pg "$PGBIN/pg_ctl" status -D "$DATA" >/dev/null 2>&1; then
		sed -n 4p "$DATA/postmaster.pid" 2>/dev/null || true
	fi
}

conninfo() {
	printf 'host=%s port=%s user=postgres dbname=%s\n' "$SOCK" "$1" "${2:-zesd}"
}

cmd_start() {
	local port=$1 cur
	check_port "$port"
	if [ "$RELOCATED" = 1 ]; then
		if [ ! -f "$WANT/RELOCATED" ]; then
			note "postgres cannot traverse the directories above $WANT; using $BASE instead"
			mkdir -p -- "$WANT"
			printf '%s\n' "$BASE" >"$WANT/RELOCATED"
		fi
		[ "$BASE" = "/tmp/zes-pg-$(hash_of "$WANT")" ] && private_tmp_dir "$BASE"
	fi
	mkdir -p -- "$BASE"
	# DATADIR itself belongs to the cluster's owner (never its parents).
	[ "$IS_ROOT" = 1 ] && chown postgres:postgres -- "$BASE"
	if [ "$SOCK" = "$BASE/sock" ]; then
		[ -d "$SOCK" ] || { as_pg mkdir -m 700 -- "$SOCK"; }
	else
		private_tmp_dir "$SOCK"
	fi

	if [ ! -f "$DATA/PG_VERSION" ]; then
		[ -e "$DATA" ] && [ -n "$(ls -A -- "$DATA" 2>/dev/null)" ] &&
			die "$DATA exists, is not empty, and is not a cluster"
		note "creating a cluster in $DATA"
		if ! as_pg "$PGBIN/initdb" -D "$DATA" -U postgres --auth=trust --nosync \
			-E UTF8 --locale=C >"$BASE/initdb.log" 2>&1; then
			cat "$BASE/initdb.log" >&2
			die "initdb failed"
		fi
	fi

	cur=$(running_port)
	if [ -n "$cur" ]; then
		if [ "$cur" = "$port" ]; then
			note "already running on port $port ($DATA)"
			ensure_db "$port"
			return 0
		fi
		note "running on port $cur; restarting on port $port"
		as_pg "$PGBIN/pg_ctl" stop -D "$DATA" -m fast -w >/dev/null 2>&1 || true
	fi

	local opts="-p $port -k $SOCK -c listen_addresses= -c unix_socket_permissions=0700"
	opts+=" -c max_connections=200 -c log_min_messages=warning"
	if [ "${PG_FAST:-0}" = 1 ]; then
		opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	fi
	if ! as_pg "$PGBIN/pg_ctl" start -D "$DATA" -l "$LOG" -w -t 60 -s -o "$opts"; then
		tail -n 20 "$LOG" >&2 || true
		die "the server did not start (log: $LOG)"
	fi
	ensure_db "$port"
	note "running on port $port, socket directory $SOCK, log $LOG"
}

ensure_db() {
	local port=$1 have
	have=$("$PGBIN/psql" -X -q -tA -h "$SOCK" -p "$port" -U postgres -d postgres \
		-c "SELECT 1 FROM pg_database WHERE datname = 'zesd'")
	if [ "$have" != 1 ]; then
		"$PGBIN/createdb" -h "$SOCK" -p "$port" -U postgres zesd
	fi
}

cmd_stop() {
	if [ -f "$DATA/PG_VERSION" ] && [ -n "$(running_port)" ]; then
		as_pg "$PGBIN/pg_ctl" stop -D "$DATA" -m fast -w -s >/dev/null 2>&1 ||
			die "could not stop the server in $DATA (log: $LOG)"
	fi
	return 0
}

cmd_destroy() {
	cmd_stop
	rm -rf -- "$DATA" "$LOG" "$BASE/initdb.log" "$SOCK"
	if [ "$RELOCATED" = 1 ]; then
		rm -rf -- "$BASE" "$WANT/RELOCATED"
	fi
	rmdir -- "$WANT" 2>/dev/null || true
}

[ $# -ge 2 ] || usage
cmd=$1
resolve "$2"
case "$cmd" in
start)
	[ $# -eq 3 ] || usage
	cmd_start "$3"
	;;
stop)
	[ $# -ge 2 ] && [ $# -le 3 ] || usage
	cmd_stop
	;;
status)
	p=$(running_port)
	[ -n "$p" ] || exit 3
	echo "$p"
	;;
url)
	[ $# -eq 3 ] || [ $# -eq 4 ] || usage
	check_port "$3"
	conninfo "$3" "${4:-zesd}"
	;;
env)
	[ $# -eq 3 ] || usage
	check_port "$3"
	printf 'export ZES_TEST_PGHOST=%s\n' "$SOCK"
	printf 'export ZES_TEST_PGPORT=%s\n' "$3"
	printf 'export ZES_TEST_PGUSER=postgres\n'
	printf 'export ZES_TEST_PGBIN=%s\n' "$PGBIN"
	;;
destroy)
	cmd_destroy
	;;
*)
	usage
	;;
esac
