/*
 * Fuzz the canonical JSON writer (daemon/core/canon.c: zes_canon_json) on
 * member names jansson did not check: canon.h promises -1 for invalid
 * UTF-8 in a key, and jansson's *_nocheck setters can put any bytes there.
 *
 * Input: up to CANONKEYS_MAX member names separated by line feeds (each
 * ends at its first NUL), made the members of one object, with integer
 * values, by json_object_set_new_nocheck().
 *
 * Invariants: the writer answers within the time limit; it refuses the
 * object exactly when a name is not UTF-8 (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF; checked by our own decoder); an
 * accepted object's text decodes, duplicates refused, to an equal object.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "zes/canon.h"
#include "zes/xmalloc.h"

#include "fuzz.h"

#define CANONKEYS_MAX	4

/* 1 when s is UTF-8 by RFC 3629. */
static int
canonkeys_utf8(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	uint32_t		 cp, min;
	int			 more;

	while (*p != '\0') {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0) {
			cp = *p & 0x1f;
			more = 1;
			min = 0x80;
		} else if ((*p & 0xf0) == 0xe0) {
			cp = *p & 0x0f;
			more = 2;
			min = 0x800;
		} else if ((*p & 0xf8) == 0xf0) {
			cp = *p & 0x07;
			more = 3;
			min = 0x10000;
		} else
			return 0;
		for (p++; more > 0; more--, p++) {
			if ((*p & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (*p & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t	 err;
	json_t		*o, *back;
	char		*text, *key, *nl, *out;
	size_t		 len, n = 0;
	int		 valid = 1;

	text = fuzz_strndup(data, size);
	o = json_object();
	FUZZ_ASSERT(o != NULL);
	for (key = text; key != NULL && n < CANONKEYS_MAX; n++) {
		if ((nl = memchr(key, '\n', size - (size_t)(key - text))) != NULL)
			*nl = '\0';
		if (!canonkeys_utf8(key))
			valid = 0;
		FUZZ_ASSERT(json_object_set_new_nocheck(o, key,
		    json_integer((json_int_t)n)) == 0);
		key = nl != NULL ? nl + 1 : NULL;
	}

	if (zes_canon_json(o, &out, &len) == -1) {
		FUZZ_ASSERT(!valid);
	} else {
		FUZZ_ASSERT(valid);
		back = json_loadb(out, len, JSON_REJECT_DUPLICATES, &err);
		FUZZ_ASSERT(back != NULL && json_equal(back, o));
		json_decref(back);
		free(out);
	}
	json_decref(o);
	free(text);
	return 0;
}
