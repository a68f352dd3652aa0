#!/bin/sh
# Fails when any object of the given static libraries (the daemon's code) refers
# to a libpq function that blocks.  zesctl's own library (migrate, import) is
# not passed here: it may block.  One object of the daemon may, and is named
# here: the access index's builder (daemon/index/builder.c) runs on a thread of
# its own that serves no request, and the workers only hand it work through a
# pipe and read its figures under a mutex.
allowed_objects='builder.c.o'

set -eu
blocking='PQexec|PQexecParams|PQexecPrepared|PQprepare|PQdescribePrepared|PQdescribePortal|PQconnectdb|PQconnectdbParams|PQsetdbLogin|PQreset|PQcancel|PQrequestCancel|PQping|PQpingParams|PQgetCancel|PQfn'
status=0
for lib in "$@"; do
	found=$(nm -u -A "$lib" | awk '{print $1, $NF}' | grep -E " ($blocking)\$" |
		grep -v -E "[:/]($allowed_objects):" || true)
	if [ -n "$found" ]; then
		printf 'blocking libpq calls in %s:\n%s\n' "$lib" "$found"
		status=1
	else
		printf '%s: %s libpq functions used, none of them blocking\n' \
		    "$(basename "$lib")" "$(nm -u "$lib" | grep -c ' U PQ' || true)"
	fi
done
exit $status
