/*
 * Unit tests for daemon/core/checkscan.c, the fast reader of access-check
 * bodies: the plain shape is read with every value and ended in place; each
 * departure from it (escapes, non-ASCII, unknown, duplicated or missing
 * members, other types, too many checks, trailing bytes, truncation) is
 * declined with the buffer unchanged; and, over a few hundred thousand
 * mutations of valid bodies, every body the reader accepts is one the strict
 * decoder (zes_json_decode + zes_json_check) accepts with the same values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "zes/checkscan.h"
#include "zes/http.h"
#include "zes/json.h"

#define MAXC	8

/* Scan a copy of text; the copy is returned for the caller to free. */
static size_t
scan(const char *text, struct zes_check_text *out, size_t max, char **copy)
{
	size_t	len = strlen(text);

	*copy = malloc(len + 1);
	memcpy(*copy, text, len + 1);
	return zes_checks_scan(*copy, len, out, max);
}

static void
test_plain(void **state)
{
	struct zes_check_text	c[MAXC];
	char			*buf;
	size_t			 n;

	(void)state;
	n = scan(" {\n\t\"checks\" : [ {\"plate\":\"v-123-fb\", \"municipality\":"
	    "\"GM0599\",\"at\":\"2026-01-01T00:00:00+01:00\"},\r\n{\"country\":"
	    "\"DE\",\"municipality\":\"GM0503\",\"plate\":\"B AB 123\"} ] } ",
	    c, MAXC, &buf);
	assert_int_equal(n, 2);
	assert_string_equal(c[0].plate, "v-123-fb");
	assert_int_equal(c[0].plate_len, 8);
	assert_string_equal(c[0].municipality, "GM0599");
	assert_string_equal(c[0].at, "2026-01-01T00:00:00+01:00");
	assert_int_equal(c[0].at_len, 25);
	assert_null(c[0].country);
	assert_string_equal(c[1].plate, "B AB 123");
	assert_string_equal(c[1].country, "DE");
	assert_null(c[1].at);
	assert_int_equal(c[1].at_len, 0);
	free(buf);

	/* Empty strings are strings: the strict path judges them later. */
	n = scan("{\"checks\":[{\"plate\":\"\",\"municipality\":\"\"}]}", c,
	    MAXC, &buf);
	assert_int_equal(n, 1);
	assert_string_equal(c[0].plate, "");
	assert_int_equal(c[0].plate_len, 0);
	assert_string_equal(c[0].municipality, "");
	free(buf);

	/* Exactly max checks. */
	n = scan("{\"checks\":[{\"plate\":\"a\",\"municipality\":\"b\"},"
	    "{\"plate\":\"c\",\"municipality\":\"d\"}]}", c, 2, &buf);
	assert_int_equal(n, 2);
	assert_string_equal(c[1].plate, "c");
	free(buf);
}

static void
test_declined(void **state)
{
	static const char *const bodies[] = {
		"",
		"   ",
		"[]",
		"{}",
		"{\"checks\":[]}",
		"{\"checks\":{}}",
		"{\"checks\":null}",
		"{\"checks\":[{}]}",
		"{\"checks\":[null]}",
		"{\"checks\":[{\"plate\":\"a\"}]}",
		"{\"checks\":[{\"municipality\":\"b\"}]}",
		"{\"checks\":[{\"plate\":\"a\",\"municipality\":\"b\",\"plate\":\"c\"}]}",
		"{\"checks\":[{\"plate\":\"a\",\"municipality\":\"b\",\"colour\":\"red\"}]}",
		"{\"checks\":[{\"plate\":1,\"municipality\":\"b\"}]}",
		"{\"checks\":[{\"plate\":\"a\",\"municipality\":null}]}",
		"{\"checks\":[{\"plate\":\"a\",\"municipality\":\"b\",\"at\":true}]}",
		"{\"checks\":[{\"plate\":\"a\\u0041\",\"municipality\":\"b\"}]}",
		"{\"checks\":[{\"pl\\u0061te\":\"a\",\"municipality\":\"b\"}]}",
		"{\"checks\":[{\"plate\":\"\xc3\xa9\",\"municipality\":\"b\"}]}",
		"{\"checks\":[{\"plate\":\"a\tb\",\"municipality\":\"b\"}]}",
		"{\"checks\":[{\"plate\":\"a\x7f\",\"municipality\":\"b\"}]}",
		"{\"checks\":[{\"plate\":\"a\",\"municipality\":\"b\"}],\"more\":1}",
		"{\"checks\":[{\"plate\":\"a\",\"municipality\":\"b\"}],\"checks\":[]}",
		"{\"checks\":[{\"plate\":\"a\",\"municipality\":\"b\"},]}",
		"{\"checks\":[{\"plate\":\"a\",\"municipality\":\"b\",}]}",
		"{\"checks\":[{\"plate\":\"a\",\"municipality\":\"b\"}]}x",
		"{\"checks\":[{\"plate\":\"a\",\"municipality\":\"b\"}]}{}",
		"{\"checks\":[{\"plate\":\"a\",\"municipality\":\"b\"}]",
		"{\"checks\":[{\"plate\":\"a\",\"municipality\":\"b",
		"{\"checks\":[{\"plate\":\"a\" \"municipality\":\"b\"}]}",
		"{\"checks\":[{\"plate\" \"a\",\"municipality\":\"b\"}]}",
		"{\"Checks\":[{\"plate\":\"a\",\"municipality\":\"b\"}]}",
		"{\"checks\":[{\"plate\":\"a\",\"municipality\":\"b\"},"
		    "{\"plate\":\"a\",\"municipality\":\"b\"},"
		    "{\"plate\":\"a\",\"municipality\":\"b\"}]}",
	};
	struct zes_check_text	c[2];
	char			*buf;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		if (scan(bodies[i], c, 2, &buf) != 0)
			fail_msg("accepted: %s", bodies[i]);
		/* Declined: the buffer is as it was. */
		assert_memory_equal(buf, bodies[i], strlen(bodies[i]) + 1);
		free(buf);
	}
}

/* A small deterministic generator (xorshift64*). */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

/* Does the strict decoder read text as the scan did? */
static void
agree(const char *text, size_t len, const struct zes_check_text *c, size_t n)
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
	if (root == NULL)
		fail_msg("accepted what the decoder refuses: %.*s", (int)len, text);
	assert_int_equal(zes_json_check(&r, root, "", top), 0);
	checks = json_object_get(root, "checks");
	assert_int_equal(json_array_size(checks), n);
	for (i = 0; i < n; i++) {
		it = json_array_get(checks, i);
		assert_true(json_is_object(it));
		assert_int_equal(zes_json_check(&r, it, "x", item), 0);
		assert_string_equal(json_string_value(json_object_get(it, "plate")),
		    c[i].plate);
		assert_int_equal(strlen(c[i].plate), c[i].plate_len);
		assert_string_equal(json_string_value(json_object_get(it,
		    "municipality")), c[i].municipality);
		if (c[i].at == NULL)
			assert_null(json_object_get(it, "at"));
		else {
			assert_string_equal(json_string_value(json_object_get(it,
			    "at")), c[i].at);
			assert_int_equal(strlen(c[i].at), c[i].at_len);
		}
		if (c[i].country == NULL)
			assert_null(json_object_get(it, "country"));
		else
			assert_string_equal(json_string_value(json_object_get(it,
			    "country")), c[i].country);
	}
	assert_int_equal(r.nerrors, 0);
	json_decref(root);
}

/*
 * Mutate valid bodies (change, insert or delete bytes, splice in JSON
 * fragments); whatever the reader accepts, the strict decoder must accept
 * with the same values.  Declined bodies must come back unchanged.
 */
static void
test_differential(void **state)
{
	static const char *const seeds[] = {
		"{\"checks\":[{\"plate\":\"V123FB\",\"municipality\":\"GM0599\"}]}",
		"{ \"checks\" : [ { \"at\" : \"2026-03-29T02:30:00+02:00\" , "
		    "\"plate\" : \"tt-601-d\" , \"municipality\" : \"GM0503\" } , "
		    "{\"country\":\"BE\",\"plate\":\"1ABC234\",\"municipality\":"
		    "\"GM0518\"} ] }",
	};
	static const char *const frags[] = {
		"\"", "\\", ",", ":", "{", "}", "[", "]", " ", "\"at\":\"x\"",
		"\"plate\"", "\"country\":\"NL\",", "null", "1", "\\u0041",
		"\xc3\xa9", "\t", "\n", "\"checks\"",
		"{\"plate\":\"a\",\"municipality\":\"b\"},",
	};
	struct zes_check_text	c[MAXC];
	uint64_t		s = 0x9e3779b97f4a7c15ull;
	char			buf[512], keep[512];
	size_t			len, n, accepted = 0, round, k, pos, fl;
	int			edits;

	(void)state;
	for (round = 0; round < 300000; round++) {
		const char *seed = seeds[round % 2];

		len = strlen(seed);
		memcpy(buf, seed, len);
		for (edits = 1 + (int)(rnd(&s) % 3); edits > 0; edits--) {
			pos = len ? rnd(&s) % (len + 1) : 0;
			switch (rnd(&s) % 4) {
			case 0:	/* change a byte */
				if (pos < len)
					buf[pos] = (char)(rnd(&s) % 128);
				break;
			case 1:	/* delete a byte */
				if (pos < len) {
					memmove(buf + pos, buf + pos + 1, len - pos - 1);
					len--;
				}
				break;
			default:	/* insert a fragment */
				k = rnd(&s) % (sizeof(frags) / sizeof(frags[0]));
				fl = strlen(frags[k]);
				if (len + fl < sizeof(buf)) {
					memmove(buf + pos + fl, buf + pos, len - pos);
					memcpy(buf + pos, frags[k], fl);
					len += fl;
				}
				break;
			}
		}
		memcpy(keep, buf, len);
		n = zes_checks_scan(buf, len, c, MAXC);
		if (n == 0) {
			assert_memory_equal(buf, keep, len);
			continue;
		}
		accepted++;
		agree(keep, len, c, n);
	}
	/* The mutations must exercise both sides, or the test proves nothing. */
	assert_true(accepted > 1000);
	assert_true(accepted < round / 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_declined),
		cmocka_unit_test(test_differential),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
