/*
 * Unit tests for daemon/http/json.c: zes_json_path; the zes_json_duplicates
 * scanner (every duplicated key once, with its path through objects and
 * arrays, none across different objects, strings that look like JSON, stop at
 * the first syntax error, nesting depth, long keys, never reading past len);
 * zes_json_decode on a zeroed struct zes_req (object accepted, each duplicate
 * reported as its own field error, syntax errors with line and column, not an
 * object); and zes_json_check (unknown, missing, wrongly typed and null
 * fields, the path prefix, and its return value).
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

#include "zes/http.h"
#include "zes/json.h"

/* The paths reported by the scanner, joined by '|'. */
struct found {
	char	text[2048];
	size_t	calls;
};

/* Callback of zes_json_duplicates: append the path. */
static void
found_cb(const char *path, void *arg)
{
	struct found	*f = arg;
	size_t		 len = strlen(f->text);

	snprintf(f->text + len, sizeof(f->text) - len, "%s%s", len ? "|" : "",
	    path);
	f->calls++;
}

/* Scan a copy of text of exactly its length (no NUL, so overreads show). */
static size_t
scan(const char *text, size_t len, struct found *f)
{
	char	*copy = malloc(len ? len : 1);
	size_t	 n;

	assert_non_null(copy);
	memcpy(copy, text, len);
	memset(f, 0, sizeof(*f));
	n = zes_json_duplicates(copy, len, found_cb, f);
	free(copy);
	assert_int_equal(n, f->calls);
	return n;
}

/* Free the errors collected on a request. */
static void
req_clear(struct zes_req *r)
{
	size_t	i;

	for (i = 0; i < r->nerrors; i++) {
		free(r->errors[i].field);
		free(r->errors[i].message);
	}
	free(r->errors);
	r->errors = NULL;
	r->nerrors = 0;
}

/* Is there an error with this field whose message starts with msg? */
static int
req_has(const struct zes_req *r, const char *field, const char *msg)
{
	size_t	i;

	for (i = 0; i < r->nerrors; i++) {
		if (strcmp(r->errors[i].field, field) == 0 &&
		    strncmp(r->errors[i].message, msg, strlen(msg)) == 0)
			return 1;
	}
	return 0;
}

/* Print the errors of r (for failure messages). */
static void
req_dump(const struct zes_req *r)
{
	size_t	i;

	for (i = 0; i < r->nerrors; i++)
		print_error("  error %zu: field \"%s\": %s\n", i,
		    r->errors[i].field, r->errors[i].message);
}

/* Joining paths. */
static void
test_path(void **state)
{
	static const struct {
		const char	*path, *name, *want;
		size_t		 size;
	} cases[] = {
		{ "", "a", "a", 64 },
		{ "x", "a", "x.a", 64 },
		{ "x.y", "z", "x.y.z", 64 },
		{ "items[2]", "c", "items[2].c", 64 },
		{ "", "", "", 64 },
		{ "abc", "def", "abc.d", 6 },
	};
	char	buf[64];
	size_t	i;

	(void)state;
	for (i = 0; i < ZES_NELEM(cases); i++) {
		memset(buf, 'Z', sizeof(buf));
		assert_ptr_equal(zes_json_path(buf, cases[i].size, cases[i].path,
		    cases[i].name), buf);
		assert_string_equal(buf, cases[i].want);
		if (cases[i].size < sizeof(buf))
			assert_int_equal(buf[cases[i].size], 'Z');
	}
}

/* Every duplicated key, once, with its path. */
static void
test_duplicates(void **state)
{
	static const struct {
		const char	*json;
		const char	*want;		/* paths joined by '|' */
	} cases[] = {
		{ "{}", "" },
		{ "[]", "" },
		{ "1", "" },
		{ "\"a\"", "" },
		{ "{\"a\":1,\"b\":2}", "" },
		{ "{\"a\":1,\"a\":2}", "a" },
		{ "{\"a\":1,\"a\":2,\"a\":3,\"a\":4}", "a" },
		{ "{\"a\":1,\"b\":2,\"a\":3,\"b\":4}", "a|b" },
		{ "{\"b\":1,\"a\":2,\"a\":3,\"b\":4}", "a|b" },
		{ "{\"x\":{\"b\":1,\"b\":2}}", "x.b" },
		{ "{\"x\":{\"y\":{\"z\":true,\"z\":false}}}", "x.y.z" },
		{ "{\"a\":{\"k\":1},\"b\":{\"k\":2}}", "" },
		{ "{\"k\":{\"k\":{\"k\":1}}}", "" },
		{ "{\"items\":[{\"c\":1},{\"c\":1},{\"c\":1,\"c\":2}]}", "items[2].c" },
		{ "{\"items\":[{\"c\":1,\"c\":2},{\"d\":1,\"d\":2}]}", "items[0].c|items[1].d" },
		{ "[{\"a\":1,\"a\":1}]", "[0].a" },
		{ "[1,2,{\"a\":1,\"a\":1}]", "[2].a" },
		{ "{\"a\":[[{\"z\":1,\"z\":2}]]}", "a[0][0].z" },
		{ "{\"o\":{\"p\":1,\"p\":2},\"o\":3}", "o.p|o" },
		{ "{\"o\":1,\"o\":{\"p\":1,\"p\":2}}", "o|o.p" },
		{ " {\n \"a\" : 1 ,\r\n\t\"a\" : [ ] } ", "a" },
		{ "{\"a\\\"b\":1,\"a\\\"b\":2}", "a\\\"b" },
		{ "{\"a\\\\\":1,\"a\\\\\":2}", "a\\\\" },
		{ "{\"a\":1,\"A\":2}", "" },
		{ "{\"a\":1,\"a \":2}", "" },
		{ "{\"s\":\"{\\\"a\\\":1,\\\"a\\\":2}\",\"t\":\"]}\"}", "" },
		{ "{\"s\":\"x\",\"s\":\"}\"}", "s" },
		{ "{\"n\":null,\"n\":-1.5e3,\"m\":true}", "n" },
		/* Stops quietly at the first syntax error, keeping what it found. */
		{ "{\"a\":1,\"a\":2,", "a" },
		{ "{\"a\":1,\"a\":2,\"b\":3 \"b\":4}", "a" },
		{ "{\"a\":1 \"a\":2}", "" },
		{ "{\"a\" 1,\"a\":2}", "" },
		{ "{\"a\":1,\"a\"", "a" },
		{ "{\"a", "" },
		{ "{\"a\\", "" },
		{ "{", "" },
		{ "[", "" },
		{ "", "" },
	};
	struct found	 f;
	size_t		 i, n, want_n;
	const char	*p;

	(void)state;
	for (i = 0; i < ZES_NELEM(cases); i++) {
		want_n = cases[i].want[0] != '\0';
		for (p = cases[i].want; *p != '\0'; p++)
			want_n += *p == '|';
		n = scan(cases[i].json, strlen(cases[i].json), &f);
		if (strcmp(f.text, cases[i].want) != 0 || n != want_n)
			fail_msg("case %zu %s: found %zu \"%s\", want %zu \"%s\"",
			    i, cases[i].json, n, f.text, want_n, cases[i].want);
	}
	/* The empty key "" twice is a duplicate too: its path is empty. */
	assert_int_equal(scan("{\"\":1,\"\":2,\"\":3}", 16, &f), 1);
	assert_string_equal(f.text, "");
	assert_int_equal(scan("{\"x\":{\"\":1,\"\":2}}", 17, &f), 1);
	assert_string_equal(f.text, "x.");
}

/* The scan reads only len bytes: a duplicate after len is not seen. */
static void
test_duplicates_len(void **state)
{
	static const char	text[] = "{\"a\":1,\"b\":{\"c\":1,\"c\":2},\"a\":2}";
	struct found		f;
	size_t			len;

	(void)state;
	assert_int_equal(scan(text, strlen(text), &f), 2);
	assert_string_equal(f.text, "b.c|a");
	/* Cut before the second "a": only b.c. */
	len = (size_t)(strstr(text, ",\"a\":2") - text);
	assert_int_equal(scan(text, len, &f), 1);
	assert_string_equal(f.text, "b.c");
	/* Cut inside the second "c": nothing. */
	len = (size_t)(strstr(text, "\"c\":2") - text) + 2;
	assert_int_equal(scan(text, len, &f), 0);
	/* Every prefix scans without reading past it (ASan checks). */
	for (len = 0; len <= strlen(text); len++)
		(void)scan(text, len, &f);
}

/* Deep nesting stops the scan instead of the stack. */
static void
test_duplicates_deep(void **state)
{
	char		*text;
	size_t		 depth, i, len;
	struct found	 f;

	(void)state;
	for (depth = 60; depth <= 10000; depth = depth < 100 ? depth + 1 : depth * 10) {
		text = malloc(2 * depth + 32);
		assert_non_null(text);
		len = 0;
		for (i = 0; i < depth; i++)
			text[len++] = '[';
		memcpy(text + len, "{\"a\":1,\"a\":2}", 13);
		len += 13;
		for (i = 0; i < depth; i++)
			text[len++] = ']';
		(void)scan(text, len, &f);
		if (depth < 63 && strlen(f.text) == 0)
			fail_msg("duplicate at depth %zu not found", depth);
		free(text);
	}
}

/*
 * Keys are compared in full: two equal long keys are a duplicate, two long
 * keys with a common beginning are not.
 */
static void
test_duplicates_long_keys(void **state)
{
	static const size_t	lens[] = { 1, 61, 62, 63, 64, 80, 200, 255, 300 };
	char			key[400], key2[400], text[1024];
	struct found		f;
	size_t			i, bad = 0;

	(void)state;
	for (i = 0; i < ZES_NELEM(lens); i++) {
		memset(key, 'k', lens[i]);
		key[lens[i]] = '\0';
		snprintf(key2, sizeof(key2), "%s", key);
		key2[lens[i] - 1] = 'q';	/* differs in the last byte */

		snprintf(text, sizeof(text), "{\"%s\":1,\"%s\":2}", key, key2);
		(void)scan(text, strlen(text), &f);
		if (f.calls != 0) {
			print_error("keys of %zu bytes differing in the last byte "
			    "reported as a duplicate\n", lens[i]);
			bad++;
		}

		snprintf(text, sizeof(text), "{\"%s\":1,\"%s\":2}", key, key);
		(void)scan(text, strlen(text), &f);
		if (f.calls != 1 || strncmp(f.text, key, 64) != 0) {
			print_error("duplicated key of %zu bytes: %zu reports, "
			    "\"%.70s\"\n", lens[i], f.calls, f.text);
			bad++;
		}
	}
	if (bad != 0)
		fail_msg("%zu long-key cases wrong", bad);
}

/* Decoding: an object passes; anything else becomes field errors. */
static void
test_decode(void **state)
{
	static const struct {
		const char	*body;
		const char	*field[3];	/* expected error fields, or none */
		const char	*msg;		/* start of the first error's message */
	} cases[] = {
		{ "{}", { NULL }, NULL },
		{ " {\"a\":[1,{\"b\":null}]} \n", { NULL }, NULL },
		{ "{\"a\":1,\"a\":2}", { "a" }, "duplicate key" },
		{ "{\"a\":1,\"b\":{\"c\":1,\"c\":2},\"a\":2}", { "b.c", "a" }, "duplicate key" },
		{ "{\"l\":[{\"x\":1,\"x\":2,\"x\":3}]}", { "l[0].x" }, "duplicate key" },
		{ "[1,2]", { "" }, "the body must be a JSON object" },
		{ "[{\"a\":1,\"a\":2}]", { "[0].a" }, "duplicate key" },
		{ "{\"a\":1,}", { "" }, "malformed JSON at line 1 column" },
		{ "{\"a\":1}\n{", { "" }, "malformed JSON at line 2" },
		{ "{\n\"a\":\n", { "" }, "malformed JSON at line" },
		{ "", { "" }, "malformed JSON" },
		{ "nul", { "" }, "malformed JSON" },
		{ "{'a':1}", { "" }, "malformed JSON" },
		{ "{\"a\":1} x", { "" }, "malformed JSON" },
	};
	struct zes_req	 r;
	json_t		*o;
	size_t		 i, j, nwant;
	char		*copy;

	(void)state;
	for (i = 0; i < ZES_NELEM(cases); i++) {
		size_t len = strlen(cases[i].body);

		memset(&r, 0, sizeof(r));
		copy = malloc(len ? len : 1);
		assert_non_null(copy);
		memcpy(copy, cases[i].body, len);
		o = zes_json_decode(&r, copy, len);
		free(copy);
		for (nwant = 0; nwant < 3 && cases[i].field[nwant] != NULL; nwant++)
			;
		if (nwant == 0) {
			if (o == NULL || r.nerrors != 0) {
				req_dump(&r);
				fail_msg("case %zu refused", i);
			}
			assert_true(json_is_object(o));
			json_decref(o);
			continue;
		}
		if (o != NULL) {
			json_decref(o);
			fail_msg("case %zu (%s) accepted", i, cases[i].body);
		}
		if (r.nerrors != nwant) {
			req_dump(&r);
			fail_msg("case %zu (%s): %zu errors, want %zu", i,
			    cases[i].body, r.nerrors, nwant);
		}
		for (j = 0; j < nwant; j++) {
			if (!req_has(&r, cases[i].field[j], cases[i].msg)) {
				req_dump(&r);
				fail_msg("case %zu (%s): no error \"%s\": %s...", i,
				    cases[i].body, cases[i].field[j], cases[i].msg);
			}
		}
		req_clear(&r);
	}
}

/* Errors add up on the same request. */
static void
test_decode_accumulates(void **state)
{
	struct zes_req	 r;
	json_t		*o;

	(void)state;
	memset(&r, 0, sizeof(r));
	zes_req_error(&r, "limit", "must be a number");
	o = zes_json_decode(&r, "{\"q\":1,\"q\":2}", 13);
	assert_null(o);
	assert_int_equal(r.nerrors, 2);
	assert_string_equal(r.errors[0].field, "limit");
	assert_string_equal(r.errors[1].field, "q");
	assert_string_equal(r.errors[1].message, "duplicate key");
	req_clear(&r);
}

/* The field check: unknown, missing, wrongly typed, null. */
static void
test_check(void **state)
{
	static const struct zes_json_field fields[] = {
		{ "name", ZES_JSON_STRING, 1, 0 },
		{ "count", ZES_JSON_INTEGER, 0, 0 },
		{ "ratio", ZES_JSON_NUMBER, 0, 0 },
		{ "flag", ZES_JSON_BOOLEAN, 0, 0 },
		{ "tags", ZES_JSON_ARRAY, 0, 1 },
		{ "meta", ZES_JSON_OBJECT, 0, 1 },
		{ "note", ZES_JSON_STRING, 1, 1 },
		{ NULL, 0, 0, 0 },
	};
	static const struct {
		const char	*path;
		const char	*json;
		const char	*want[5];	/* "field: message" */
	} cases[] = {
		{ "", "{\"name\":\"x\",\"note\":null}", { NULL } },
		{ "", "{\"name\":\"x\",\"note\":\"n\",\"count\":-3,\"ratio\":1,"
		  "\"flag\":false,\"tags\":[],\"meta\":{}}", { NULL } },
		{ "", "{\"name\":\"x\",\"note\":\"\",\"ratio\":0.5,\"tags\":null,"
		  "\"meta\":null}", { NULL } },
		{ "", "{\"name\":\"x\",\"note\":null,\"extra\":1}", { "extra: unknown field" } },
		{ "", "{}", { "name: is required", "note: is required" } },
		{ "", "{\"note\":1}", { "note: must be a string", "name: is required" } },
		{ "", "{\"name\":null,\"note\":null}", { "name: must be a string" } },
		{ "", "{\"name\":\"x\",\"note\":null,\"count\":1.5}", { "count: must be an integer" } },
		{ "", "{\"name\":\"x\",\"note\":null,\"count\":\"1\"}", { "count: must be an integer" } },
		{ "", "{\"name\":\"x\",\"note\":null,\"count\":null}", { "count: must be an integer" } },
		{ "", "{\"name\":\"x\",\"note\":null,\"ratio\":\"1\"}", { "ratio: must be a number" } },
		{ "", "{\"name\":\"x\",\"note\":null,\"flag\":\"true\"}", { "flag: must be true or false" } },
		{ "", "{\"name\":\"x\",\"note\":null,\"flag\":1}", { "flag: must be true or false" } },
		{ "", "{\"name\":\"x\",\"note\":null,\"tags\":{}}", { "tags: must be an array" } },
		{ "", "{\"name\":\"x\",\"note\":null,\"meta\":[]}", { "meta: must be an object" } },
		{ "", "{\"name\":[\"x\"],\"note\":null}", { "name: must be a string" } },
		{ "", "{\"name\":1,\"count\":\"2\",\"zz\":0,\"Name\":\"x\"}",
		  { "name: must be a string", "count: must be an integer",
		    "zz: unknown field", "Name: unknown field", "note: is required" } },
		{ "filter", "{\"extra\":1}",
		  { "filter.extra: unknown field", "filter.name: is required",
		    "filter.note: is required" } },
		{ "items[3]", "{\"name\":true,\"note\":null}",
		  { "items[3].name: must be a string" } },
	};
	struct zes_req	 r;
	json_t		*o;
	json_error_t	 err;
	size_t		 i, j, nwant;
	int		 n;
	char		 field[64];
	const char	*colon;

	(void)state;
	for (i = 0; i < ZES_NELEM(cases); i++) {
		memset(&r, 0, sizeof(r));
		o = json_loads(cases[i].json, 0, &err);
		assert_non_null(o);
		n = zes_json_check(&r, o, cases[i].path, fields);
		json_decref(o);
		for (nwant = 0; nwant < 5 && cases[i].want[nwant] != NULL; nwant++)
			;
		if ((size_t)n != nwant || r.nerrors != nwant) {
			req_dump(&r);
			fail_msg("case %zu (%s): returned %d, %zu errors, want %zu",
			    i, cases[i].json, n, r.nerrors, nwant);
		}
		for (j = 0; j < nwant; j++) {
			colon = strstr(cases[i].want[j], ": ");
			snprintf(field, sizeof(field), "%.*s",
			    (int)(colon - cases[i].want[j]), cases[i].want[j]);
			if (!req_has(&r, field, colon + 2)) {
				req_dump(&r);
				fail_msg("case %zu: no error \"%s\"", i, cases[i].want[j]);
			}
		}
		req_clear(&r);
	}
}

/* Run the tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_duplicates_len),
		cmocka_unit_test(test_duplicates_deep),
		cmocka_unit_test(test_duplicates_long_keys),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_decode_accumulates),
		cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
