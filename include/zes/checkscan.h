/*
 * The fast reader of access-check bodies: {"checks":[{"plate":"…",
 * "municipality":"…","at":"…","country":"…"}, …]} read in place, without
 * building a tree or allocating.
 *
 * It accepts only the plain form of that shape: JSON white space anywhere,
 * one top-level member "checks" holding 1 to `max` objects, each with the
 * members plate and municipality and optionally at and country, each at most
 * once, every value a string of printable ASCII without escapes.  Every
 * body it accepts is one the strict decoder (zes_json_decode and
 * zes_json_check) accepts with the same values; anything else, valid or
 * not, it declines, and the caller decodes the body the strict way, which
 * also gives the exact errors.  Pure; no I/O.
 */
#ifndef ZES_CHECKSCAN_H
#define ZES_CHECKSCAN_H

#include <stddef.h>

/* One check as written; strings point into the body, NUL-terminated. */
struct zes_check_text {
	const char	*plate;
	const char	*municipality;
	const char	*at;		/* NULL when absent */
	const char	*country;	/* NULL when absent */
	size_t		 plate_len;
	size_t		 at_len;
};

/*
 * Read buf[0..len) into out[0..max).  On success returns the number of
 * checks (1..max) and ends each string in buf with a NUL in place of its
 * closing quote.  Returns 0, leaving buf as it was, when the body is not of
 * the plain form.
 */
size_t	zes_checks_scan(char *buf, size_t len, struct zes_check_text *out,
	    size_t max);

#endif
