/*
 * Unit tests for daemon/http/router.c with the real route tables of
 * daemon/http/ops.c and daemon/http/audit.c: zes_router_init collects every
 * route, each route matches its own path (with {} segments filled and copied
 * into params), FOUND / NO_PATH / NO_METHOD with the allow mask, HEAD matching
 * a GET route, a trailing or doubled slash and a different case being 404,
 * repeated init, method names and comma-separated method lists (truncated
 * safely in a small buffer).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "zes/router.h"
#include "zes/routes.h"

#define GET_HEAD	(EVHTTP_REQ_GET | EVHTTP_REQ_HEAD)

/* Build the table once for the group. */
static int
router_setup(void **state)
{
	(void)state;
	zes_router_init();
	return 0;
}

/* Is route r in the router's table? */
static int
router_has(const struct zes_route *r)
{
	size_t	i;

	for (i = 0; i < zes_router_count(); i++)
		if (zes_router_at(i) == r)
			return 1;
	return 0;
}

/* Every route of both tables is in the router, in table order. */
static void
test_init(void **state)
{
	static const struct zes_route *const tables[] = {
		zes_routes_ops, zes_routes_audit,
	};
	const struct zes_route	*r;
	size_t			 i, n = 0, prev = 0, at;
	int			 first = 1;

	(void)state;
	for (i = 0; i < ZES_NELEM(tables); i++) {
		for (r = tables[i]; r->path != NULL; r++) {
			if (!router_has(r))
				fail_msg("route %s %s is not in the router",
				    zes_method_name(r->method), r->path);
			for (at = 0; zes_router_at(at) != r; at++)
				;
			if (!first && at <= prev)
				fail_msg("route %s is out of table order", r->path);
			prev = at;
			first = 0;
			n++;
		}
	}
	assert_true(n >= 7);
	assert_true(zes_router_count() >= n);
	for (i = 0; i < zes_router_count(); i++) {
		r = zes_router_at(i);
		assert_non_null(r->path);
		assert_non_null(r->handler);
		assert_int_equal(r->path[0], '/');
	}

	/* Init again (a test or a restart): the same table, not twice as long. */
	n = zes_router_count();
	zes_router_init();
	assert_int_equal(zes_router_count(), n);
}

/* Fill each {} segment of tmpl with "p<i>"; returns the number filled. */
static int
fill_template(const char *tmpl, char *out, size_t size, char vals[][16])
{
	size_t	o = 0;
	int	n = 0;

	while (*tmpl != '\0' && o + 16 < size) {
		if (*tmpl == '{') {
			snprintf(vals[n], 16, "p%d-x", n);
			o += (size_t)snprintf(out + o, size - o, "%s", vals[n]);
			n++;
			tmpl = strchr(tmpl, '}');
			assert_non_null(tmpl);
			tmpl++;
		} else
			out[o++] = *tmpl++;
	}
	out[o] = '\0';
	return n;
}

/* Each route matches its own path (and its HEAD when it is a GET). */
static void
test_every_route_matches(void **state)
{
	const struct zes_route	*r, *got;
	size_t			 i, idx;
	char			 path[256], vals[ZES_ROUTE_MAX_PARAMS][16];
	char			*params[ZES_ROUTE_MAX_PARAMS];
	unsigned		 allow;
	int			 n, j;
	enum zes_match		 m;

	(void)state;
	for (i = 0; i < zes_router_count(); i++) {
		r = zes_router_at(i);
		n = fill_template(r->path, path, sizeof(path), vals);
		assert_true(n <= ZES_ROUTE_MAX_PARAMS);
		memset(params, 0, sizeof(params));
		idx = 9999;
		m = zes_router_match(r->method, path, &got, &idx, params, &allow);
		if (m != ZES_MATCH_FOUND)
			fail_msg("%s %s: match %d", zes_method_name(r->method), path, m);
		assert_ptr_equal(zes_router_at(idx), got);
		assert_int_equal(got->method, r->method);
		assert_true(allow & (unsigned)r->method);
		if (got == r) {
			for (j = 0; j < n; j++) {
				assert_non_null(params[j]);
				assert_string_equal(params[j], vals[j]);
			}
		}
		for (j = 0; j < ZES_ROUTE_MAX_PARAMS; j++)
			free(params[j]);
		if (r->method == EVHTTP_REQ_GET) {
			memset(params, 0, sizeof(params));
			m = zes_router_match(EVHTTP_REQ_HEAD, path, &got, &idx,
			    params, &allow);
			assert_int_equal(m, ZES_MATCH_FOUND);
			assert_int_equal(got->method, EVHTTP_REQ_GET);
			assert_true(allow & EVHTTP_REQ_HEAD);
			for (j = 0; j < ZES_ROUTE_MAX_PARAMS; j++)
				free(params[j]);
		}
	}
}

/* The outcomes of matching, with the allow mask. */
static void
test_match_table(void **state)
{
	static const struct {
		enum evhttp_cmd_type	 method;
		const char		*path;
		enum zes_match		 want;
		const char		*route;		/* on FOUND */
		unsigned		 allow;
	} cases[] = {
		{ EVHTTP_REQ_GET, "/healthz", ZES_MATCH_FOUND, "/healthz", GET_HEAD },
		{ EVHTTP_REQ_HEAD, "/healthz", ZES_MATCH_FOUND, "/healthz", GET_HEAD },
		{ EVHTTP_REQ_GET, "/readyz", ZES_MATCH_FOUND, "/readyz", GET_HEAD },
		{ EVHTTP_REQ_GET, "/metrics", ZES_MATCH_FOUND, "/metrics", GET_HEAD },
		{ EVHTTP_REQ_GET, "/v1/openapi.json", ZES_MATCH_FOUND, "/v1/openapi.json", GET_HEAD },
		{ EVHTTP_REQ_GET, "/v1/audit-entries", ZES_MATCH_FOUND, "/v1/audit-entries", GET_HEAD },
		{ EVHTTP_REQ_HEAD, "/v1/audit-verification", ZES_MATCH_FOUND,
		  "/v1/audit-verification", GET_HEAD },
		{ EVHTTP_REQ_POST, "/v1/audit-entries/_search", ZES_MATCH_FOUND,
		  "/v1/audit-entries/_search", EVHTTP_REQ_POST },
		{ EVHTTP_REQ_POST, "/healthz", ZES_MATCH_NO_METHOD, NULL, GET_HEAD },
		{ EVHTTP_REQ_PUT, "/metrics", ZES_MATCH_NO_METHOD, NULL, GET_HEAD },
		{ EVHTTP_REQ_DELETE, "/v1/audit-entries", ZES_MATCH_NO_METHOD, NULL, GET_HEAD },
		{ EVHTTP_REQ_OPTIONS, "/healthz", ZES_MATCH_NO_METHOD, NULL, GET_HEAD },
		{ EVHTTP_REQ_PATCH, "/v1/audit-verification", ZES_MATCH_NO_METHOD, NULL, GET_HEAD },
		{ EVHTTP_REQ_GET, "/v1/audit-entries/_search", ZES_MATCH_NO_METHOD, NULL,
		  EVHTTP_REQ_POST },
		{ EVHTTP_REQ_HEAD, "/v1/audit-entries/_search", ZES_MATCH_NO_METHOD, NULL,
		  EVHTTP_REQ_POST },
		{ EVHTTP_REQ_GET, "/healthz/", ZES_MATCH_NO_PATH, NULL, 0 },
		{ EVHTTP_REQ_POST, "/healthz/", ZES_MATCH_NO_PATH, NULL, 0 },
		{ EVHTTP_REQ_GET, "/v1/audit-entries/", ZES_MATCH_NO_PATH, NULL, 0 },
		{ EVHTTP_REQ_POST, "/v1/audit-entries/_search/", ZES_MATCH_NO_PATH, NULL, 0 },
		{ EVHTTP_REQ_GET, "//healthz", ZES_MATCH_NO_PATH, NULL, 0 },
		{ EVHTTP_REQ_GET, "/v1//audit-entries", ZES_MATCH_NO_PATH, NULL, 0 },
		{ EVHTTP_REQ_GET, "/HEALTHZ", ZES_MATCH_NO_PATH, NULL, 0 },
		{ EVHTTP_REQ_GET, "/health", ZES_MATCH_NO_PATH, NULL, 0 },
		{ EVHTTP_REQ_GET, "/healthzz", ZES_MATCH_NO_PATH, NULL, 0 },
		{ EVHTTP_REQ_GET, "/healthz.json", ZES_MATCH_NO_PATH, NULL, 0 },
		{ EVHTTP_REQ_GET, "healthz", ZES_MATCH_NO_PATH, NULL, 0 },
		{ EVHTTP_REQ_GET, "/", ZES_MATCH_NO_PATH, NULL, 0 },
		{ EVHTTP_REQ_GET, "", ZES_MATCH_NO_PATH, NULL, 0 },
		{ EVHTTP_REQ_GET, "/v1", ZES_MATCH_NO_PATH, NULL, 0 },
		{ EVHTTP_REQ_GET, "/v1/", ZES_MATCH_NO_PATH, NULL, 0 },
		{ EVHTTP_REQ_GET, "/v2/openapi.json", ZES_MATCH_NO_PATH, NULL, 0 },
		{ EVHTTP_REQ_GET, "/nope", ZES_MATCH_NO_PATH, NULL, 0 },
		{ EVHTTP_REQ_DELETE, "/nope", ZES_MATCH_NO_PATH, NULL, 0 },
	};
	const struct zes_route	*got;
	size_t			 i, idx;
	char			*params[ZES_ROUTE_MAX_PARAMS];
	unsigned		 allow;
	enum zes_match		 m;
	char			 list[128];

	(void)state;
	for (i = 0; i < ZES_NELEM(cases); i++) {
		memset(params, 0, sizeof(params));
		allow = 0xdead;
		got = (const struct zes_route *)&allow;
		idx = 9999;
		m = zes_router_match(cases[i].method, cases[i].path, &got, &idx,
		    params, &allow);
		zes_method_list(allow, list, sizeof(list));
		if (m != cases[i].want || allow != cases[i].allow)
			fail_msg("case %zu %s %s: match %d allow \"%s\" (%#x), want "
			    "%d allow %#x", i, zes_method_name(cases[i].method),
			    cases[i].path, m, list, allow, cases[i].want,
			    cases[i].allow);
		if (m == ZES_MATCH_FOUND) {
			assert_non_null(got);
			assert_string_equal(got->path, cases[i].route);
			assert_ptr_equal(zes_router_at(idx), got);
			assert_int_equal(got->method, cases[i].method ==
			    EVHTTP_REQ_HEAD ? EVHTTP_REQ_GET : cases[i].method);
		} else {
			assert_null(got);
			assert_int_equal(idx, 9999);
		}
		assert_null(params[0]);		/* no template has {} */
		assert_null(params[1]);
	}
}

/* The route flags the shell relies on. */
static void
test_route_flags(void **state)
{
	const struct zes_route	*got;
	size_t			 idx;
	char			*params[ZES_ROUTE_MAX_PARAMS] = { NULL };
	unsigned		 allow;

	(void)state;
	assert_int_equal(zes_router_match(EVHTTP_REQ_GET, "/v1/openapi.json",
	    &got, &idx, params, &allow), ZES_MATCH_FOUND);
	assert_true(got->cors_any);
	assert_int_equal(got->roles, ZES_ROLE_NONE);
	assert_int_equal(zes_router_match(EVHTTP_REQ_GET, "/healthz",
	    &got, &idx, params, &allow), ZES_MATCH_FOUND);
	assert_false(got->cors_any);
	assert_int_equal(got->roles, ZES_ROLE_NONE);
	assert_int_equal(got->body, ZES_BODY_NONE);
	assert_int_equal(zes_router_match(EVHTTP_REQ_POST, "/v1/audit-entries/_search",
	    &got, &idx, params, &allow), ZES_MATCH_FOUND);
	assert_int_equal(got->body, ZES_BODY_JSON);
	assert_int_equal(got->roles, ZES_ROLE_AUDITOR | ZES_ROLE_ADMIN);
	assert_int_equal(zes_router_match(EVHTTP_REQ_GET, "/v1/audit-entries",
	    &got, &idx, params, &allow), ZES_MATCH_FOUND);
	assert_int_equal(got->roles, ZES_ROLE_AUDITOR | ZES_ROLE_ADMIN);
	assert_false(got->roles & ZES_ROLE_DESK);
}

/*
 * Which routes write (refused by a read_only zesd, drawn from the write
 * rate limit): every one but GET, except the POSTs that change nothing: the
 * searches, access checks and evaluations.  A new route falls on the
 * writing side unless it is marked safe, and this pins the safe set.
 */
static void
test_route_writes(void **state)
{
	const struct zes_route	*rt;
	size_t			 i, n, len, safe = 0;
	int			 want;

	(void)state;
	for (i = 0, n = zes_router_count(); i < n; i++) {
		rt = zes_router_at(i);
		len = strlen(rt->path);
		want = rt->method != EVHTTP_REQ_GET &&
		    !(len > 8 && strcmp(rt->path + len - 8, "/_search") == 0) &&
		    strcmp(rt->path, "/v1/access-checks") != 0 &&
		    strcmp(rt->path, "/v1/evaluations") != 0;
		if (zes_route_writes(rt) != want)
			fail_msg("%s %s: writes %d, want %d",
			    zes_method_name(rt->method), rt->path,
			    zes_route_writes(rt), want);
		safe += rt->method != EVHTTP_REQ_GET && !want;
	}
	assert_true(safe >= 6);	/* the searches, access checks, evaluations */
}

/* Method names. */
static void
test_method_name(void **state)
{
	static const struct {
		enum evhttp_cmd_type	 m;
		const char		*want;
	} cases[] = {
		{ EVHTTP_REQ_GET, "GET" }, { EVHTTP_REQ_HEAD, "HEAD" },
		{ EVHTTP_REQ_POST, "POST" }, { EVHTTP_REQ_PUT, "PUT" },
		{ EVHTTP_REQ_PATCH, "PATCH" }, { EVHTTP_REQ_DELETE, "DELETE" },
		{ EVHTTP_REQ_OPTIONS, "OPTIONS" }, { EVHTTP_REQ_TRACE, "TRACE" },
		{ EVHTTP_REQ_CONNECT, "CONNECT" },
		{ (enum evhttp_cmd_type)0, "-" },
		{ (enum evhttp_cmd_type)(EVHTTP_REQ_GET | EVHTTP_REQ_POST), "-" },
		{ (enum evhttp_cmd_type)(1 << 20), "-" },
	};
	size_t	i;

	(void)state;
	for (i = 0; i < ZES_NELEM(cases); i++)
		assert_string_equal(zes_method_name(cases[i].m), cases[i].want);
}

/* Method lists, in a fixed order, cut safely when the buffer is small. */
static void
test_method_list(void **state)
{
	static const struct {
		unsigned	 allow;
		size_t		 size;
		const char	*want;
	} cases[] = {
		{ 0, 64, "" },
		{ EVHTTP_REQ_GET, 64, "GET" },
		{ GET_HEAD, 64, "GET, HEAD" },
		{ EVHTTP_REQ_POST | GET_HEAD, 64, "GET, HEAD, POST" },
		{ EVHTTP_REQ_DELETE | EVHTTP_REQ_PUT, 64, "PUT, DELETE" },
		{ EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
		  EVHTTP_REQ_PATCH | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
		  EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT, 128,
		  "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, TRACE, CONNECT" },
		{ 1u << 20, 64, "" },
		{ GET_HEAD | EVHTTP_REQ_POST, 8, "GET, HE" },
		{ GET_HEAD | EVHTTP_REQ_POST, 4, "GET" },
		{ GET_HEAD | EVHTTP_REQ_POST, 3, "GE" },
		{ GET_HEAD | EVHTTP_REQ_POST, 1, "" },
		{ GET_HEAD, 9, "GET, HEA" },
		{ GET_HEAD, 10, "GET, HEAD" },
	};
	size_t	 i;
	char	*buf;

	(void)state;
	for (i = 0; i < ZES_NELEM(cases); i++) {
		buf = malloc(cases[i].size);	/* exact size: ASan sees overflows */
		assert_non_null(buf);
		zes_method_list(cases[i].allow, buf, cases[i].size);
		if (strcmp(buf, cases[i].want) != 0)
			fail_msg("case %zu: \"%s\", want \"%s\"", i, buf, cases[i].want);
		free(buf);
	}
}

/* Run the tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_every_route_matches),
		cmocka_unit_test(test_match_table),
		cmocka_unit_test(test_route_flags),
		cmocka_unit_test(test_route_writes),
		cmocka_unit_test(test_method_name),
		cmocka_unit_test(test_method_list),
	};

	return cmocka_run_group_tests(tests, router_setup, NULL);
}
