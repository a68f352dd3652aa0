/*
 * Keyset cursors of the list routes, and the UUID text form their rows are
 * named by.  A cursor is a tag letter (one per route, so a cursor of one list
 * is refused by another), the sort key of the last row given (a time in
 * microseconds, decimal) and that row's id: "g1767225600000000.3f2a...".
 * Pure: no I/O.
 */
#ifndef ZES_CURSOR_H
#define ZES_CURSOR_H

#include <stddef.h>
#include <stdint.h>

#include "zes/common.h"

#define ZES_UUID_LEN	36			/* 8-4-4-4-12 hex digits */
#define ZES_CURSOR_MAX	(1 + 20 + 1 + ZES_UUID_LEN + 1)	/* with the NUL */
/*
 * The last second a cursor's time may name, 9999-12-31T23:59:59Z: the
 * database's timestamps go further, but its arithmetic on them does not,
 * and a cursor past this was not made by this server.
 */
#define ZES_CURSOR_MAX_S	253402300799LL

/* A position in a keyset-paged list. */
struct zes_cursor {
	int64_t	at;				/* the last row's sort key */
	char	id[ZES_UUID_LEN + 1];		/* the last row's id */
};

/* 1 when s is a UUID in its 8-4-4-4-12 hexadecimal form, else 0. */
int	zes_uuid_valid(const char *s);

/* Read a cursor of this tag; 0, or -1 when s is not one this server makes. */
int	zes_cursor_parse(const char *s, char tag, struct zes_cursor *) ZES_MUSTCHECK;

/*
 * Write the cursor of tag, at (decimal text, as a query returns it) and id
 * into buf of at least ZES_CURSOR_MAX bytes; 0, or -1 (buf "") when at or
 * id could not be read back by zes_cursor_parse.
 */
int	zes_cursor_format(char *buf, size_t size, char tag, const char *at,
	    const char *id) ZES_MUSTCHECK;

#endif
