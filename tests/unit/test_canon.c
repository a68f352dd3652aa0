/*
 * RFC 8785 canonical JSON (daemon/core/canon.c): member order by UTF-16 code
 * units, string escaping, integers, nesting, and the values it refuses.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "zes/canon.h"
#include "zes/common.h"

/* Canonicalise the JSON text `in` and compare with `want` (NULL: refused). */
static void
check(const char *in, const char *want)
{
	json_error_t	 err;
	json_t		*v = json_loads(in, JSON_DECODE_ANY, &err);
	char		*out = NULL;
	size_t		 len = 0;
	int		 rc;

	if (v == NULL)
		fail_msg("bad test input %s: %s", in, err.text);
	rc = zes_canon_json(v, &out, &len);
	json_decref(v);
	if (want == NULL) {
		assert_int_equal(rc, -1);
		assert_null(out);
		return;
	}
	assert_int_equal(rc, 0);
	if (strcmp(out, want) != 0)
		fail_msg("%s gave %s, want %s", in, out, want);
	assert_int_equal(len, strlen(want));
	free(out);
}

/* Members sorted, no white space, nesting kept. */
static void
test_order_and_spacing(void **state)
{
	(void)state;
	check("{ \"b\" : 1, \"a\" : [ true , false, null ] }",
	    "{\"a\":[true,false,null],\"b\":1}");
	check("{\"allowed\":true,\"basis\":\"zero_emission\",\"at\":\"2026-01-01T00:00:00Z\"}",
	    "{\"allowed\":true,\"at\":\"2026-01-01T00:00:00Z\",\"basis\":\"zero_emission\"}");
	check("{\"z\":{\"y\":1,\"x\":2},\"a\":{}}", "{\"a\":{},\"z\":{\"x\":2,\"y\":1}}");
	check("[]", "[]");
	check("{\"aa\":1,\"a\":2,\"B\":3}", "{\"B\":3,\"a\":2,\"aa\":1}");
}

/*
 * RFC 8785 §3.2.3: a name with U+1F600 (surrogates D83D DE00) sorts before
 * one with U+FB33 (UTF-16 FB33), although its UTF-8 bytes sort after.
 */
static void
test_utf16_order(void **state)
{
	(void)state;
	check("{\"\\ufb33\":1,\"\\ud83d\\ude00\":2}",
	    "{\"\xf0\x9f\x98\x80\":2,\"\xef\xac\xb3\":1}");
	check("{\"\\u00e9\":1,\"e\":2}", "{\"e\":2,\"\xc3\xa9\":1}");
}

/* Escapes as JSON.stringify writes them; other characters verbatim. */
static void
test_escapes(void **state)
{
	(void)state;
	check("\"a\\\"b\\\\c/d\"", "\"a\\\"b\\\\c/d\"");
	check("\"\\b\\t\\n\\f\\r\"", "\"\\b\\t\\n\\f\\r\"");
	check("\"\\u0001\\u001f\"", "\"\\u0001\\u001f\"");
	check("\"\\u00e9\\u20ac\"", "\"\xc3\xa9\xe2\x82\xac\"");
	check("\"\\u007f\"", "\"\x7f\"");
}

/* Integers exact within +-2^53; reals and larger integers refused. */
static void
test_numbers(void **state)
{
	(void)state;
	check("[0,-1,42,9007199254740992,-9007199254740992]",
	    "[0,-1,42,9007199254740992,-9007199254740992]");
	check("[9007199254740993]", NULL);
	check("{\"a\":[1.5]}", NULL);
	check("1.0", NULL);
}

/*
 * Member names that are not UTF-8 (RFC 3629), reachable only through
 * jansson's *_nocheck setters: -1, never a hang (two invalid names used to
 * loop forever in the sort) and never bytes that are not UTF-8 in the text.
 * The fuzzing harness canonkeys found these (tests/fuzz/crashes/canonkeys).
 */
static void
test_invalid_member_names(void **state)
{
	static const char *const bad[] = {
		"\xff\xff", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
		"\xe2\x82", "\x80",
	};
	json_t	*o;
	char	*out = NULL;
	size_t	 len, i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o = json_object();
		json_object_set_new_nocheck(o, bad[i], json_true());
		json_object_set_new_nocheck(o, "\xf0", json_false());
		json_object_set_new_nocheck(o, "ok", json_null());
		assert_int_equal(zes_canon_json(o, &out, &len), -1);
		free(out);
		out = NULL;
		json_decref(o);
	}
	/*
	 * The largest code point and the first after the surrogates are fine,
	 * and sort by UTF-16: U+10FFFF (DBFF DFFF) before U+E000.
	 */
	o = json_object();
	json_object_set_new_nocheck(o, "\xf4\x8f\xbf\xbf", json_true());
	json_object_set_new_nocheck(o, "\xee\x80\x80", json_false());
	assert_int_equal(zes_canon_json(o, &out, &len), 0);
	assert_string_equal(out, "{\"\xf4\x8f\xbf\xbf\":true,\"\xee\x80\x80\":false}");
	free(out);
	json_decref(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_spacing),
		cmocka_unit_test(test_utf16_order),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_invalid_member_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
