/*
 * Fuzz the canonical JSON writer (daemon/core/canon.c: zes_canon_json,
 * RFC 8785) with whatever jansson decodes.
 *
 * Input: JSON text of any value (JSON_DECODE_ANY; strings may hold NUL
 * with JSON_ALLOW_NUL).
 *
 * Invariants: the writer refuses a value exactly when it holds a real
 * number or an integer beyond +-2^53.  Its output has no byte below 0x20,
 * decodes (duplicates refused) to a value equal to the input, lists the
 * members of every object in strictly increasing order of their UTF-16
 * code units (checked by a conversion of our own), and canonicalises to
 * the same bytes again.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "zes/canon.h"

#include "fuzz.h"

#define CANON_SAFE	9007199254740992LL	/* 2^53 */

/* Does v hold anything RFC 8785 output cannot carry exactly here? */
static int
canon_unsafe(const json_t *v)
{
	const char	*k;
	json_t		*m;
	size_t		 i;

	switch (json_typeof(v)) {
	case JSON_REAL:
		return 1;
	case JSON_INTEGER:
		return json_integer_value(v) > CANON_SAFE ||
		    json_integer_value(v) < -CANON_SAFE;
	case JSON_ARRAY:
		for (i = 0; i < json_array_size(v); i++)
			if (canon_unsafe(json_array_get(v, i)))
				return 1;
		return 0;
	case JSON_OBJECT:
		json_object_foreach((json_t *)v, k, m)
			if (canon_unsafe(m))
				return 1;
		return 0;
	default:
		return 0;
	}
}

/*
 * The UTF-16 code units of a valid UTF-8 string, into u (room for n, which
 * is enough: a string never has more units than bytes).  Returns the count.
 */
static size_t
canon_utf16(const char *s, uint16_t *u)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n = 0;
	uint32_t		 cp;
	int			 more;

	while (*p != '\0') {
		if (*p < 0x80) {
			cp = *p;
			more = 0;
		} else if ((*p & 0xe0) == 0xc0) {
			cp = *p & 0x1f;
			more = 1;
		} else if ((*p & 0xf0) == 0xe0) {
			cp = *p & 0x0f;
			more = 2;
		} else {
			cp = *p & 0x07;
			more = 3;
		}
		for (p++; more > 0; more--, p++) {
			FUZZ_ASSERT((*p & 0xc0) == 0x80);
			cp = (cp << 6) | (*p & 0x3f);
		}
		if (cp >= 0x10000) {
			cp -= 0x10000;
			u[n++] = (uint16_t)(0xd800 + (cp >> 10));
			u[n++] = (uint16_t)(0xdc00 + (cp & 0x3ff));
		} else
			u[n++] = (uint16_t)cp;
	}
	return n;
}

/* Compare two member names by UTF-16 code units. */
static int
canon_cmp16(const char *a, const char *b)
{
	uint16_t	*ua, *ub;
	size_t		 na, nb, i;
	int		 rc = 0;

	ua = calloc(strlen(a) + 1, sizeof(*ua));
	ub = calloc(strlen(b) + 1, sizeof(*ub));
	FUZZ_ASSERT(ua != NULL && ub != NULL);
	na = canon_utf16(a, ua);
	nb = canon_utf16(b, ub);
	for (i = 0; i < na && i < nb && rc == 0; i++)
		if (ua[i] != ub[i])
			rc = ua[i] < ub[i] ? -1 : 1;
	if (rc == 0)
		rc = na < nb ? -1 : na > nb ? 1 : 0;
	free(ua);
	free(ub);
	return rc;
}

/* Members in strictly increasing order, everywhere (decoded order). */
static void
canon_check_order(const json_t *v)
{
	const char	*k, *prev;
	json_t		*m;
	size_t		 i;

	if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v); i++)
			canon_check_order(json_array_get(v, i));
		return;
	}
	if (!json_is_object(v))
		return;
	prev = NULL;
	json_object_foreach((json_t *)v, k, m) {
		if (prev != NULL)
			FUZZ_ASSERT(canon_cmp16(prev, k) < 0);
		prev = k;
		canon_check_order(m);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t	 err;
	json_t		*v, *back;
	char		*out, *again;
	size_t		 len, len2, i;

	v = json_loadb((const char *)data, size, JSON_DECODE_ANY |
	    JSON_ALLOW_NUL, &err);
	if (v == NULL)
		return 0;
	if (zes_canon_json(v, &out, &len) == -1) {
		FUZZ_ASSERT(out == NULL && len == 0);
		FUZZ_ASSERT(canon_unsafe(v));
		json_decref(v);
		return 0;
	}
	FUZZ_ASSERT(!canon_unsafe(v));
	FUZZ_ASSERT(out != NULL && strlen(out) <= len && out[len] == '\0');
	for (i = 0; i < len; i++)
		FUZZ_ASSERT((unsigned char)out[i] >= 0x20);

	back = json_loadb(out, len, JSON_DECODE_ANY | JSON_ALLOW_NUL |
	    JSON_REJECT_DUPLICATES, &err);
	FUZZ_ASSERT(back != NULL);
	FUZZ_ASSERT(json_equal(v, back));
	canon_check_order(back);
	FUZZ_ASSERT(zes_canon_json(back, &again, &len2) == 0);
	FUZZ_ASSERT(len2 == len && memcmp(again, out, len) == 0);

	free(again);
	free(out);
	json_decref(back);
	json_decref(v);
	return 0;
}
