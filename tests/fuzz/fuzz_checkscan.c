/*
 * Fuzz the fast reader of access-check bodies (daemon/core/checkscan.c:
 * zes_checks_scan), differentially against the strict decoder, as the
 * differential test of tests/unit/test_checkscan.c does with its own
 * mutations.
 *
 * Input: a request body.  It is read from a buffer of exactly its size, so
 * a read past the end is an ASan finding.
 *
 * Invariants: a declined body leaves the buffer unchanged; an accepted one
 * holds 1..max checks whose strings lie inside the buffer, end with the NUL
 * put in place of their closing quote, have the lengths given, and are the
 * values zes_json_decode + zes_json_check (with the field lists of
 * daemon/http/access.c) read from the same body without any error.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "zes/checkscan.h"
#include "zes/http.h"
#include "zes/json.h"
#include "zes/xmalloc.h"

#include "fuzz.h"

/* Small, so that "more than max" is reached often. */
#define CHECKS_MAX	4

/* A string the reader gave: inside buf and ended by a NUL there. */
static void
check_in_buf(const char *s, const char *buf, size_t len)
{
	FUZZ_ASSERT(s >= buf && s < buf + len);
	FUZZ_ASSERT(memchr(s, '\0', len - (size_t)(s - buf)) != NULL);
}

/* Does member key of item hold the string s (NULL: is it absent)? */
static void
check_member(const json_t *item, const char *key, const char *s)
{
	json_t	*v = json_object_get(item, key);

	if (s == NULL) {
		FUZZ_ASSERT(v == NULL);
		return;
	}
	FUZZ_ASSERT(json_is_string(v));
	FUZZ_ASSERT(json_string_length(v) == strlen(s));
	FUZZ_ASSERT(strcmp(json_string_value(v), s) == 0);
}

/* The strict decoder reads text as the reader read it. */
static void
check_agree(const char *text, size_t len, const struct zes_check_text *c,
    size_t n)
{
	static const struct zes_json_field top[] = {
		{ "checks", ZES_JSON_ARRAY, 1, 0 }, { NULL, 0, 0, 0 }
	};
	static const struct zes_json_field item[] = {
		{ "plate", ZES_JSON_STRING, 1, 0 },
		{ "municipality", ZES_JSON_STRING, 1, 0 },
		{ "at", ZES_JSON_STRING, 0, 0 },
		{ "country", ZES_JSON_STRING, 0, 0 },
		{ NULL, 0, 0, 0 }
	};
	struct zes_req	 r;
	json_t		*root, *checks, *it;
	size_t		 i;

	memset(&r, 0, sizeof(r));
	root = zes_json_decode(&r, text, len);
	FUZZ_ASSERT(root != NULL);
	FUZZ_ASSERT(zes_json_check(&r, root, "", top) == 0);
	checks = json_object_get(root, "checks");
	FUZZ_ASSERT(json_array_size(checks) == n);
	for (i = 0; i < n; i++) {
		it = json_array_get(checks, i);
		FUZZ_ASSERT(json_is_object(it));
		FUZZ_ASSERT(zes_json_check(&r, it, "checks[i]", item) == 0);
		check_member(it, "plate", c[i].plate);
		FUZZ_ASSERT(strlen(c[i].plate) == c[i].plate_len);
		check_member(it, "municipality", c[i].municipality);
		check_member(it, "at", c[i].at);
		FUZZ_ASSERT(c[i].at == NULL ? c[i].at_len == 0 :
		    strlen(c[i].at) == c[i].at_len);
		check_member(it, "country", c[i].country);
	}
	FUZZ_ASSERT(r.nerrors == 0);
	json_decref(root);
	fuzz_req_clear(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zes_check_text	 c[CHECKS_MAX];
	char			*buf;
	size_t			 n, i;

	/* Exactly size bytes (at least one for malloc), no NUL after. */
	buf = xmalloc(size > 0 ? size : 1);
	if (size > 0)
		memcpy(buf, data, size);
	n = zes_checks_scan(buf, size, c, CHECKS_MAX);
	if (n == 0) {
		FUZZ_ASSERT(size == 0 || memcmp(buf, data, size) == 0);
		free(buf);
		return 0;
	}
	FUZZ_ASSERT(n <= CHECKS_MAX);
	for (i = 0; i < n; i++) {
		FUZZ_ASSERT(c[i].plate != NULL && c[i].municipality != NULL);
		check_in_buf(c[i].plate, buf, size);
		check_in_buf(c[i].municipality, buf, size);
		if (c[i].at != NULL)
			check_in_buf(c[i].at, buf, size);
		if (c[i].country != NULL)
			check_in_buf(c[i].country, buf, size);
	}
	check_agree((const char *)data, size, c, n);
	free(buf);
	return 0;
}
