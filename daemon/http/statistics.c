/*
 * Statistics for the impact analysis (auditor, admin): the applications
 * submitted in a window of days, counted by current status per
 * municipality and type, with the median time to a decision.
 */

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zes/http.h"
#include "zes/period.h"
#include "zes/routes.h"
#include "zes/store.h"
#include "zes/worker.h"
#include "zes/xmalloc.h"

static void	statistics_get(struct zes_req *);

const struct zes_route zes_routes_statistics[] = {
	{ .method = EVHTTP_REQ_GET, .path = "/v1/statistics",
	  .roles = ZES_ROLE_AUDITOR | ZES_ROLE_ADMIN, .handler = statistics_get },
	{ 0 }
};

/*
 * Per municipality (NULL: national) and type, for submissions in
 * [$1, $2) (instants; NULL: no bound on that side): counts by current
 * status, and the median of decided_at - submitted_at over those granted
 * or rejected (the rules' instant decisions count with 0 seconds).
 */
static const char statistics_sql[] =
    "SELECT municipality, type, count(*),"
    " count(*) FILTER (WHERE status = 'granted'),"
    " count(*) FILTER (WHERE status = 'rejected'),"
    " count(*) FILTER (WHERE status = 'in_review'),"
    " count(*) FILTER (WHERE status = 'withdrawn'),"
    " percentile_cont(0.5) WITHIN GROUP"
    "  (ORDER BY extract(epoch FROM decided_at - submitted_at))"
    "  FILTER (WHERE decided_at IS NOT NULL)"
    " FROM applications"
    " WHERE ($1::bigint IS NULL OR submitted_at >= to_timestamp($1::bigint))"
    " AND ($2::bigint IS NULL OR submitted_at < to_timestamp($2::bigint))"
    " GROUP BY municipality, type"
    " ORDER BY municipality NULLS FIRST, type";

/* The window asked for, as days (r->data); a bound not given is not set. */
struct statistics_window {
	int64_t	from_day, until_day;
	int	has_from, has_until;
};

/* A count column. */
static json_t *
statistics_count(const PGresult *res, int i, int col)
{
	return json_integer((json_int_t)strtoll(PQgetvalue(res, i, col), NULL, 10));
}

/* The median column: null when nothing was decided, whole seconds as an integer. */
static json_t *
statistics_median(const PGresult *res, int i, int col)
{
	double	v;

	if (PQgetisnull(res, i, col))
		return json_null();
	v = strtod(PQgetvalue(res, i, col), NULL);
	if (v == floor(v) && fabs(v) < 9007199254740992.0)
		return json_integer((json_int_t)v);
	return json_real(v);
}

/* The groups arrived: answer them. */
static void
statistics_done(const struct zes_store_result *res, void *arg)
{
	struct zes_req			*r = arg;
	const struct statistics_window	*w = r->data;
	const PGresult			*p;
	json_t				*items;
	char				 from[ZES_DATE_TEXT_LEN + 1];
	char				 until[ZES_DATE_TEXT_LEN + 1];
	int				 i;

	r->job = NULL;
	if (res->status != ZES_STORE_OK) {
		zes_http_store_failed(r, res);
		return;
	}
	p = res->res[0];
	items = json_array();
	for (i = 0; i < PQntuples(p); i++)
		json_array_append_new(items, json_pack(
		    "{s:s?, s:s, s:o, s:o, s:o, s:o, s:o, s:o}",
		    "municipality", PQgetisnull(p, i, 0) ? NULL : PQgetvalue(p, i, 0),
		    "type", PQgetvalue(p, i, 1),
		    "submitted", statistics_count(p, i, 2),
		    "granted", statistics_count(p, i, 3),
		    "rejected", statistics_count(p, i, 4),
		    "inReview", statistics_count(p, i, 5),
		    "withdrawn", statistics_count(p, i, 6),
		    "medianDecisionSeconds", statistics_median(p, i, 7)));
	if (w->has_from)
		zes_date_format(w->from_day, from);
	if (w->has_until)
		zes_date_format(w->until_day, until);
	zes_http_reply_json(r, 200, json_pack("{s:s?, s:s?, s:o}",
	    "from", w->has_from ? from : NULL,
	    "until", w->has_until ? until : NULL, "items", items));
}

/*
 * An optional date parameter: 1 when given (in *day), 0 when not, -1 after
 * adding the error.
 */
static int
statistics_day(struct zes_req *r, const char *name, int64_t *day)
{
	const char	*v = zes_req_query(r, name);

	if (v == NULL)
		return 0;
	if (zes_date_parse(v, strlen(v), day) != 0) {
		zes_req_error(r, name, "must be a date YYYY-MM-DD");
		return -1;
	}
	return 1;
}

/*
 * GET /v1/statistics?from=&until= (dates of submission, inclusive,
 * Europe/Amsterdam; either may be left out for no bound on that side)
 */
static void
statistics_get(struct zes_req *r)
{
	static const char *const allowed[] = { "from", "until", NULL };
	struct statistics_window	*w;
	char				 lo[24], hi[24];
	const char			*params[2];
	int				 from, until;

	w = xcalloc(1, sizeof(*w));
	r->data = w;
	r->data_free = free;
	zes_req_query_check(r, allowed);
	from = statistics_day(r, "from", &w->from_day);
	until = statistics_day(r, "until", &w->until_day);
	if (from == 1 && until == 1 && w->until_day < w->from_day)
		zes_req_error(r, "until", "must not lie before from");
	if (r->nerrors > 0) {
		zes_http_invalid(r);
		return;
	}
	w->has_from = from == 1;
	w->has_until = until == 1;
	snprintf(lo, sizeof(lo), "%" PRId64, zes_time_local_midnight(w->from_day));
	snprintf(hi, sizeof(hi), "%" PRId64, zes_period_day_end(w->until_day));
	params[0] = w->has_from ? lo : NULL;
	params[1] = w->has_until ? hi : NULL;
	r->job = zes_store_query(r->w->store, statistics_sql, 2, params,
	    statistics_done, r);
	if (r->job == NULL)
		zes_http_unavailable(r, "the database is unavailable");
}
