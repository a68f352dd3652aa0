/*
 * Unit tests for daemon/metrics.c, rendered into an evbuffer and read back as
 * Prometheus text: request counters per route template, method and code
 * summed across two workers' sets (one line per label set, "-" for no route
 * or an out-of-range index), latency histograms per route whose buckets are
 * cumulative, in increasing order, with inclusive upper bounds, ending with
 * le="+Inf" equal to _count, and _sum; routes never observed have no
 * histogram; a full table counts the dropped combinations; the extra gauges;
 * and a TYPE line before every family's samples.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>

#include "zes/metrics.h"
#include "zes/router.h"

/* The router must be built before sets are made (their size depends on it). */
static int
metrics_setup(void **state)
{
	(void)state;
	zes_router_init();
	return 0;
}

/* Index of the route with this method and path. */
static size_t
route_index(enum evhttp_cmd_type method, const char *path)
{
	size_t	i;

	for (i = 0; i < zes_router_count(); i++)
		if (zes_router_at(i)->method == method &&
		    strcmp(zes_router_at(i)->path, path) == 0)
			return i;
	fail_msg("no route %s", path);
	return 0;
}

/* Render sets into a NUL-terminated string (caller frees). */
static char *
render(struct zes_metrics *const *sets, size_t n,
    const struct zes_metrics_extra *x)
{
	struct evbuffer	*b = evbuffer_new();
	size_t		 len;
	char		*text;

	assert_non_null(b);
	zes_metrics_render(b, sets, n, x);
	len = evbuffer_get_length(b);
	text = malloc(len + 1);
	assert_non_null(text);
	assert_int_equal(evbuffer_remove(b, text, len), (int)len);
	text[len] = '\0';
	evbuffer_free(b);
	return text;
}

/*
 * The value of the sample whose name and labels are exactly `series`
 * (e.g. `zes_ready` or `x{a="b"}`); fails when absent or present twice.
 */
static double
sample(const char *text, const char *series)
{
	const char	*p = text, *line;
	size_t		 n = strlen(series), found = 0;
	double		 v = 0;

	while ((line = strstr(p, series)) != NULL) {
		if ((line == text || line[-1] == '\n') && line[n] == ' ') {
			v = strtod(line + n + 1, NULL);
			found++;
		}
		p = line + n;
	}
	if (found != 1)
		fail_msg("series %s found %zu times in:\n%s", series, found, text);
	return v;
}

/* Number of lines that start with prefix. */
static size_t
lines_starting(const char *text, const char *prefix)
{
	const char	*p;
	size_t		 n = 0, len = strlen(prefix);

	for (p = text; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, prefix, len) == 0)
			n++;
	return n;
}

/* Every sample's family has a TYPE line before it; lines are well formed. */
static void
check_format(const char *text)
{
	const char	*p = text, *nl, *sp;
	char		 line[512], name[128], typed[4096] = " ";
	size_t		 len, nlen;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (nl == NULL)
			fail_msg("last line without a newline: %s", p);
		len = (size_t)(nl - p);
		assert_true(len > 0 && len < sizeof(line));
		memcpy(line, p, len);
		line[len] = '\0';
		p = nl + 1;
		if (strncmp(line, "# TYPE ", 7) == 0) {
			sp = strchr(line + 7, ' ');
			assert_non_null(sp);
			snprintf(typed + strlen(typed), sizeof(typed) - strlen(typed),
			    "%.*s ", (int)(sp - line - 7), line + 7);
			continue;
		}
		if (strncmp(line, "# HELP ", 7) == 0)
			continue;
		if (line[0] == '#')
			fail_msg("unknown comment: %s", line);
		nlen = strcspn(line, "{ ");
		snprintf(name, sizeof(name), " %.*s ", (int)nlen, line);
		if (strstr(typed, name) == NULL) {
			/* A histogram's samples are named after the family. */
			char	*suffix;

			if ((suffix = strstr(name, "_bucket ")) != NULL ||
			    (suffix = strstr(name, "_sum ")) != NULL ||
			    (suffix = strstr(name, "_count ")) != NULL)
				strcpy(suffix, " ");
			if (strstr(typed, name) == NULL)
				fail_msg("sample without TYPE before it: %s", line);
		}
		sp = strrchr(line, ' ');
		assert_non_null(sp);
		if (sp[1] == '\0')
			fail_msg("sample without value: %s", line);
	}
}

/* An empty set: headers, no request samples, the extra gauges. */
static void
test_empty(void **state)
{
	struct zes_metrics		*m = zes_metrics_new();
	struct zes_metrics_extra	 x = {
		.db_connected = 3, .db_connections = 5, .db_errors_total = 12345678901ULL,
		.db_reconnects_total = 7, .db_queued = 9, .inflight = 2,
		.tokens = 42, .ready = 1,
	};
	static const struct {
		const char	*series;
		double		 want;
	} gauges[] = {
		{ "zes_http_metrics_dropped_total", 0 },
		{ "zes_http_requests_in_flight", 2 },
		{ "zes_db_connected", 3 },
		{ "zes_db_connections", 5 },
		{ "zes_db_queued_jobs", 9 },
		{ "zes_db_errors_total", 12345678901.0 },
		{ "zes_db_reconnects_total", 7 },
		{ "zes_auth_tokens", 42 },
		{ "zes_ready", 1 },
	};
	char	*text;
	size_t	 i;

	(void)state;
	text = render(&m, 1, &x);
	check_format(text);
	assert_non_null(strstr(text, "# TYPE zes_http_requests_total counter\n"));
	assert_non_null(strstr(text, "# TYPE zes_http_request_duration_seconds histogram\n"));
	assert_int_equal(lines_starting(text, "zes_http_requests_total{"), 0);
	assert_int_equal(lines_starting(text, "zes_http_request_duration_seconds_"), 0);
	for (i = 0; i < ZES_NELEM(gauges); i++) {
		double v = sample(text, gauges[i].series);

		if (v != gauges[i].want)
			fail_msg("%s = %g, want %g", gauges[i].series, v, gauges[i].want);
	}
	free(text);

	/* No sets at all, and not ready. */
	x.ready = 0;
	text = render(NULL, 0, &x);
	check_format(text);
	assert_true(sample(text, "zes_ready") == 0);
	assert_int_equal(lines_starting(text, "zes_http_requests_total{"), 0);
	free(text);
	zes_metrics_free(m);
	zes_metrics_free(NULL);
}

/* Counters per route, method and code, summed across two sets. */
static void
test_counters_summed(void **state)
{
	struct zes_metrics		*sets[2];
	struct zes_metrics_extra	 x = { 0 };
	size_t				 healthz, search, none, i;
	char				*text;
	static const struct {
		const char	*series;
		double		 want;
	} want[] = {
		{ "zes_http_requests_total{route=\"/healthz\",method=\"GET\",code=\"200\"}", 5 },
		{ "zes_http_requests_total{route=\"/healthz\",method=\"GET\",code=\"500\"}", 1 },
		{ "zes_http_requests_total{route=\"/healthz\",method=\"HEAD\",code=\"200\"}", 4 },
		{ "zes_http_requests_total{route=\"/v1/audit-entries/_search\",method=\"POST\",code=\"400\"}", 2 },
		{ "zes_http_requests_total{route=\"/v1/audit-entries/_search\",method=\"POST\",code=\"200\"}", 1 },
		{ "zes_http_requests_total{route=\"-\",method=\"GET\",code=\"404\"}", 6 },
		{ "zes_http_requests_total{route=\"-\",method=\"DELETE\",code=\"404\"}", 1 },
	};

	(void)state;
	healthz = route_index(EVHTTP_REQ_GET, "/healthz");
	search = route_index(EVHTTP_REQ_POST, "/v1/audit-entries/_search");
	none = zes_router_count();
	sets[0] = zes_metrics_new();
	sets[1] = zes_metrics_new();

	for (i = 0; i < 3; i++)
		zes_metrics_observe(sets[0], healthz, EVHTTP_REQ_GET, 200, 0.001);
	zes_metrics_observe(sets[0], healthz, EVHTTP_REQ_GET, 500, 0.001);
	zes_metrics_observe(sets[0], search, EVHTTP_REQ_POST, 400, 0.001);
	zes_metrics_observe(sets[0], search, EVHTTP_REQ_POST, 400, 0.001);
	zes_metrics_observe(sets[0], healthz, EVHTTP_REQ_HEAD, 200, 0.001);
	for (i = 0; i < 2; i++)
		zes_metrics_observe(sets[1], healthz, EVHTTP_REQ_GET, 200, 0.001);
	for (i = 0; i < 3; i++)
		zes_metrics_observe(sets[1], healthz, EVHTTP_REQ_HEAD, 200, 0.001);
	zes_metrics_observe(sets[1], search, EVHTTP_REQ_POST, 200, 0.001);
	for (i = 0; i < 5; i++)
		zes_metrics_observe(sets[1], none, EVHTTP_REQ_GET, 404, 0.001);
	/* Past the table: also "no route". */
	zes_metrics_observe(sets[0], none + 100, EVHTTP_REQ_GET, 404, 0.001);
	zes_metrics_observe(sets[1], (size_t)-1, EVHTTP_REQ_DELETE, 404, 0.001);

	text = render(sets, 2, &x);
	check_format(text);
	for (i = 0; i < ZES_NELEM(want); i++) {
		double v = sample(text, want[i].series);

		if (v != want[i].want)
			fail_msg("%s = %g, want %g", want[i].series, v, want[i].want);
	}
	assert_int_equal(lines_starting(text, "zes_http_requests_total{"), ZES_NELEM(want));
	/* Histograms: per route, both sets, both methods. */
	assert_true(sample(text, "zes_http_request_duration_seconds_count{route=\"/healthz\"}") == 10);
	assert_true(sample(text, "zes_http_request_duration_seconds_count{route=\"-\"}") == 7);
	assert_true(sample(text,
	    "zes_http_request_duration_seconds_count{route=\"/v1/audit-entries/_search\"}") == 3);
	assert_int_equal(lines_starting(text,
	    "zes_http_request_duration_seconds_count{route=\"/readyz\"}"), 0);
	assert_true(sample(text, "zes_http_metrics_dropped_total") == 0);
	free(text);

	/* Rendering again gives the same numbers: a scrape does not reset. */
	text = render(sets, 2, &x);
	assert_true(sample(text, want[0].series) == 5);
	free(text);
	/* One set alone. */
	text = render(sets + 1, 1, &x);
	assert_true(sample(text, want[0].series) == 2);
	assert_int_equal(lines_starting(text,
	    "zes_http_requests_total{route=\"/healthz\",method=\"GET\",code=\"500\"}"), 0);
	free(text);

	zes_metrics_free(sets[0]);
	zes_metrics_free(sets[1]);
}

/* One bucket line of a route: its le label and value, in order of appearance. */
struct bucket {
	char	le[16];
	double	value;
};

/* The bucket lines of route r in order; returns how many. */
static size_t
buckets_of(const char *text, const char *route, struct bucket *out, size_t max)
{
	char		 prefix[160];
	const char	*p = text, *q;
	size_t		 n = 0, plen;

	plen = (size_t)snprintf(prefix, sizeof(prefix),
	    "zes_http_request_duration_seconds_bucket{route=\"%s\",le=\"", route);
	while ((p = strstr(p, prefix)) != NULL) {
		if (p != text && p[-1] != '\n') {
			p += plen;
			continue;
		}
		p += plen;
		q = strchr(p, '"');
		assert_non_null(q);
		assert_true(n < max);
		snprintf(out[n].le, sizeof(out[n].le), "%.*s", (int)(q - p), p);
		assert_int_equal(q[1], '}');
		assert_int_equal(q[2], ' ');
		out[n].value = strtod(q + 3, NULL);
		n++;
	}
	return n;
}

/* Histogram: cumulative buckets, inclusive bounds, +Inf last and equal to _count. */
static void
test_histogram(void **state)
{
	static const double	 obs[2][6] = {
		{ 0.0001, 0.0005, 0.0007, 0.2, 3, 20 },		/* set 0 */
		{ 0.003, 0.001, 10, 10.5, 0, -1 },		/* set 1 (-1: unused) */
	};
	static const struct {
		const char	*le;
		double		 want;
	} want[] = {
		{ "0.0005", 3 },	/* 0.0001, 0.0005 (on the bound), 0 */
		{ "0.001", 5 },		/* + 0.0007, 0.001 */
		{ "0.0025", 5 },
		{ "0.005", 6 },		/* + 0.003 */
		{ "0.01", 6 },
		{ "0.025", 6 },
		{ "0.05", 6 },
		{ "0.1", 6 },
		{ "0.25", 7 },		/* + 0.2 */
		{ "0.5", 7 },
		{ "1", 7 },
		{ "2.5", 7 },
		{ "5", 8 },		/* + 3 */
		{ "10", 9 },		/* + 10 (on the bound) */
		{ "+Inf", 11 },		/* + 20, 10.5 */
	};
	struct zes_metrics		*sets[2];
	struct zes_metrics_extra	 x = { 0 };
	struct bucket			 b[32];
	size_t				 r, i, j, n;
	double				 sum = 0, count, got_sum, prev = 0, le, prev_le = 0;
	char				*text;

	(void)state;
	r = route_index(EVHTTP_REQ_GET, "/metrics");
	sets[0] = zes_metrics_new();
	sets[1] = zes_metrics_new();
	for (i = 0; i < 2; i++) {
		for (j = 0; j < 6; j++) {
			if (obs[i][j] < 0)
				continue;
			zes_metrics_observe(sets[i], r, EVHTTP_REQ_GET, 200, obs[i][j]);
			sum += obs[i][j];
		}
	}
	text = render(sets, 2, &x);
	check_format(text);

	n = buckets_of(text, "/metrics", b, ZES_NELEM(b));
	if (n != ZES_NELEM(want))
		fail_msg("%zu bucket lines, want %zu:\n%s", n, ZES_NELEM(want), text);
	for (i = 0; i < n; i++) {
		if (strcmp(b[i].le, want[i].le) != 0 || b[i].value != want[i].want)
			fail_msg("bucket %zu: le=\"%s\" %g, want le=\"%s\" %g", i,
			    b[i].le, b[i].value, want[i].le, want[i].want);
		/* Cumulative and in increasing order of le. */
		assert_true(b[i].value >= prev);
		prev = b[i].value;
		if (i + 1 < n) {
			le = strtod(b[i].le, NULL);
			assert_true(i == 0 || le > prev_le);
			prev_le = le;
		}
	}
	assert_string_equal(b[n - 1].le, "+Inf");
	count = sample(text, "zes_http_request_duration_seconds_count{route=\"/metrics\"}");
	assert_true(count == 11);
	assert_true(b[n - 1].value == count);
	got_sum = sample(text, "zes_http_request_duration_seconds_sum{route=\"/metrics\"}");
	if (fabs(got_sum - sum) > 1e-6)
		fail_msg("_sum %f, want %f", got_sum, sum);
	/* The +Inf line comes right before _sum and _count. */
	assert_non_null(strstr(text,
	    "zes_http_request_duration_seconds_bucket{route=\"/metrics\",le=\"+Inf\"} 11\n"
	    "zes_http_request_duration_seconds_sum{route=\"/metrics\"} "));
	/* Only this route has a histogram. */
	assert_int_equal(lines_starting(text, "zes_http_request_duration_seconds_count{"), 1);
	free(text);
	zes_metrics_free(sets[0]);
	zes_metrics_free(sets[1]);
}

/* More distinct (route, method, code) than a set holds: the rest are counted as dropped. */
static void
test_dropped(void **state)
{
	struct zes_metrics		*m;
	struct zes_metrics_extra	 x = { 0 };
	size_t				 r, nlines;
	int				 code;
	char				*text;

	(void)state;
	r = route_index(EVHTTP_REQ_GET, "/healthz");
	m = zes_metrics_new();
	for (code = 0; code < 1100; code++)
		zes_metrics_observe(m, r, EVHTTP_REQ_GET, code, 0.01);
	zes_metrics_observe(m, r, EVHTTP_REQ_GET, 5, 0.01);	/* kept: already there */
	zes_metrics_observe(m, r, EVHTTP_REQ_GET, 1099, 0.01);	/* dropped again */
	text = render(&m, 1, &x);
	nlines = lines_starting(text, "zes_http_requests_total{");
	assert_int_equal(nlines, 1024);
	assert_true(sample(text, "zes_http_metrics_dropped_total") == 1100 - 1024 + 1);
	assert_true(sample(text,
	    "zes_http_requests_total{route=\"/healthz\",method=\"GET\",code=\"5\"}") == 2);
	/* Every request still counts in the histogram. */
	assert_true(sample(text, "zes_http_request_duration_seconds_count{route=\"/healthz\"}") == 1102);
	free(text);
	zes_metrics_free(m);
}

/* Run the tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_counters_summed),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_dropped),
	};

	return cmocka_run_group_tests(tests, metrics_setup, NULL);
}
