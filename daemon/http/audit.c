/*
 * The audit trail over HTTP (auditor, admin): list and search entries in seq
 * order with cursors, and verify the whole hash chain with the core's
 * zes_auditchain_hash(), independently of the SQL that wrote it.  Only
 * linked entries are listed and verified: those still pending (committed,
 * not linked into the chain yet, schema/0005_audit_link.sql) have no seq;
 * verification counts them.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zes/auditchain.h"
#include "zes/bodies.h"
#include "zes/http.h"
#include "zes/json.h"
#include "zes/plate.h"
#include "zes/routes.h"
#include "zes/store.h"
#include "zes/worker.h"
#include "zes/xmalloc.h"

#define AUDIT_LIMIT_DEFAULT	50
#define AUDIT_LIMIT_MAX		500
#define AUDIT_VERIFY_PAGE	"1000"

static void	audit_list(struct zes_req *);
static void	audit_search(struct zes_req *);
static void	audit_verify(struct zes_req *);

const struct zes_route zes_routes_audit[] = {
	{ .method = EVHTTP_REQ_GET, .path = "/v1/audit-entries",
	  .roles = ZES_ROLE_AUDITOR | ZES_ROLE_ADMIN, .handler = audit_list },
	{ .method = EVHTTP_REQ_POST, .path = "/v1/audit-entries/_search",
	  .roles = ZES_ROLE_AUDITOR | ZES_ROLE_ADMIN, .body = ZES_BODY_JSON,
	  .safe = 1, .handler = audit_search },
	{ .method = EVHTTP_REQ_GET, .path = "/v1/audit-verification",
	  .roles = ZES_ROLE_AUDITOR | ZES_ROLE_ADMIN, .handler = audit_verify },
	{ 0 }
};

/* The first column is seq as text: ORDER BY must name audit_entries.seq, not it. */
#define AUDIT_COLUMNS \
    "seq::text, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')," \
    " actor, action, object, detail::text, encode(hash, 'hex'), encode(prev_hash, 'hex')"

static const char audit_list_sql[] =
    "SELECT " AUDIT_COLUMNS " FROM audit_entries"
    " WHERE seq > $1::bigint"
    " AND ($2::text IS NULL OR object = $2)"
    " AND ($3::text IS NULL OR action = $3)"
    " AND ($4::text IS NULL OR actor = $4)"
    " AND ($6::text IS NULL OR (detail ? 'plateHash'"
    "  AND detail->>'plateHash' = zes_plate_hash($7::text, $6::text)))"
    " ORDER BY audit_entries.seq LIMIT $5::int";

static const char audit_verify_sql[] =
    "SELECT " AUDIT_COLUMNS " FROM audit_entries"
    " WHERE seq > $1::bigint ORDER BY audit_entries.seq LIMIT " AUDIT_VERIFY_PAGE;

static const char audit_pending_sql[] =
    "SELECT count(*) FROM audit_entries WHERE seq IS NULL";

/* A broken chain was not walked to its end: count its entries too. */
static const char audit_counts_sql[] =
    "SELECT count(*) FILTER (WHERE seq IS NULL),"
    " count(*) FILTER (WHERE seq IS NOT NULL) FROM audit_entries";

/* A list request, decoded. */
struct audit_query {
	long long	 since;
	long long	 limit;
	const char	*object, *action, *actor;	/* borrowed from the request */
	struct zes_plate plate;		/* the search's, when has_plate */
	int		 has_plate;
};

/* Cursor text: "a" + the last seq in decimal, so a cursor is opaque but tiny. */
static void
audit_cursor(long long seq, char *buf, size_t size)
{
	snprintf(buf, size, "a%lld", seq);
}

/* Decode a cursor; 0 ok. */
static int
audit_cursor_parse(const char *c, long long *seq)
{
	const char	*errstr;

	if (c == NULL || c[0] != 'a')
		return -1;
	return zes_strtonum(c + 1, 0, INT64_MAX, seq, &errstr);
}

/* Run the list query and answer from audit_list_done(). */
static void audit_list_done(const struct zes_store_result *, void *);

static void
audit_run(struct zes_req *r, const struct audit_query *q)
{
	char		 since[24], limit[24];
	const char	*params[7];
	struct zes_store_stmt	 stmts[2];
	int			 n = 0;

	snprintf(since, sizeof(since), "%lld", q->since);
	snprintf(limit, sizeof(limit), "%lld", q->limit + 1);
	params[0] = since;
	params[1] = q->object;
	params[2] = q->action;
	params[3] = q->actor;
	params[4] = limit;
	params[5] = q->has_plate ? q->plate.text : NULL;
	params[6] = q->has_plate ? q->plate.country : NULL;
	memset(stmts, 0, sizeof(stmts));
	r->data = xmalloc(sizeof(long long));
	*(long long *)r->data = q->limit;
	r->data_free = free;
	/*
	 * Link what is pending first, in the same transaction: an entry whose
	 * change committed before this request is listed now, not only after
	 * the linker's next turn.  A read_only zesd (on a standby) writes
	 * nothing: it lists what the primary's linker has linked.
	 */
	if (!r->cfg->read_only)
		stmts[n++].sql = "SELECT zes_audit_link(10000)";
	stmts[n].sql = audit_list_sql;
	stmts[n].nparams = 7;
	stmts[n].params = params;
	r->job = zes_store_tx(r->w->store, stmts, n + 1, audit_list_done, r);
	if (r->job == NULL)
		zes_http_unavailable(r, "the database is unavailable");
}

/* One row of AUDIT_COLUMNS as an entry object. */
static json_t *
audit_entry(const PGresult *res, int i)
{
	json_t		*detail;
	json_error_t	 err;
	long long	 seq;
	const char	*errstr;

	if (zes_strtonum(PQgetvalue(res, i, 0), 0, INT64_MAX, &seq, &errstr) != 0)
		seq = -1;
	detail = json_loads(PQgetvalue(res, i, 5), JSON_DECODE_ANY, &err);
	if (detail == NULL)
		detail = json_string(PQgetvalue(res, i, 5));
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:s, s:s}",
	    "seq", (json_int_t)seq, "at", PQgetvalue(res, i, 1),
	    "actor", PQgetvalue(res, i, 2), "action", PQgetvalue(res, i, 3),
	    "object", PQgetvalue(res, i, 4), "detail", detail,
	    "hash", PQgetvalue(res, i, 6), "prevHash", PQgetvalue(res, i, 7));
}

/* The list query finished: answer a page. */
static void
audit_list_done(const struct zes_store_result *res, void *arg)
{
	struct zes_req	*r = arg;
	long long	 limit = *(long long *)r->data;
	const PGresult	*rows;
	json_t		*items;
	int		 i, n;
	char		 cursor[32];

	r->job = NULL;
	if (res->status != ZES_STORE_OK) {
		zes_http_store_failed(r, res);
		return;
	}
	rows = res->res[res->nres - 1];
	n = PQntuples(rows);
	items = json_array();
	for (i = 0; i < n && i < limit; i++)
		json_array_append_new(items, audit_entry(rows, i));
	if (n > limit) {
		audit_cursor(strtoll(PQgetvalue(rows, (int)limit - 1, 0),
		    NULL, 10), cursor, sizeof(cursor));
		zes_http_reply_json(r, 200, json_pack("{s:o, s:s}", "items",
		    items, "nextCursor", cursor));
	} else
		zes_http_reply_json(r, 200, json_pack("{s:o, s:n}", "items",
		    items, "nextCursor"));
}

/* Apply a cursor on top of sinceSeq. */
static void
audit_apply_cursor(struct zes_req *r, struct audit_query *q, const char *cursor)
{
	long long	seq;

	if (cursor == NULL)
		return;
	if (audit_cursor_parse(cursor, &seq) != 0)
		zes_req_error(r, "cursor", "not a cursor this server gave");
	else if (seq > q->since)
		q->since = seq;
}

/* GET /v1/audit-entries?sinceSeq=&limit=&cursor= */
static void
audit_list(struct zes_req *r)
{
	static const char *const allowed[] = { "sinceSeq", "limit", "cursor", NULL };
	struct audit_query	 q = { 0, AUDIT_LIMIT_DEFAULT, NULL, NULL, NULL,
				    { "", "", 0, "", 0 }, 0 };
	const char		*v, *errstr;

	zes_req_query_check(r, allowed);
	if ((v = zes_req_query(r, "sinceSeq")) != NULL &&
	    zes_strtonum(v, 0, INT64_MAX, &q.since, &errstr) != 0)
		zes_req_error(r, "sinceSeq", "must be an integer of 0 or more");
	if ((v = zes_req_query(r, "limit")) != NULL &&
	    zes_strtonum(v, 1, AUDIT_LIMIT_MAX, &q.limit, &errstr) != 0)
		zes_req_error(r, "limit", "must be an integer from 1 to %d",
		    AUDIT_LIMIT_MAX);
	audit_apply_cursor(r, &q, zes_req_query(r, "cursor"));
	if (r->nerrors > 0) {
		zes_http_invalid(r);
		return;
	}
	audit_run(r, &q);
}

/*
 * POST /v1/audit-entries/_search {"object","action","actor","plate","country",
 * "sinceSeq","limit","cursor"}: a plate finds the entries whose detail holds
 * its keyed hash (schema/0006), hashed here by the database.
 */
static void
audit_search(struct zes_req *r)
{
	struct audit_query	 q = { 0, AUDIT_LIMIT_DEFAULT, NULL, NULL, NULL,
				    { "", "", 0, "", 0 }, 0 };
	const char		*country, *why;
	json_t			*v;

	zes_req_query_check(r, (const char *const[]){ NULL });
	zes_json_check(r, r->body, "", zes_body_audit_search);
	/* Values are read only where their type was right; the check listed the rest. */
	if (json_is_string(v = json_object_get(r->body, "object")))
		q.object = json_string_value(v);
	if (json_is_string(v = json_object_get(r->body, "action")))
		q.action = json_string_value(v);
	if (json_is_string(v = json_object_get(r->body, "actor")))
		q.actor = json_string_value(v);
	country = json_string_value(json_object_get(r->body, "country"));
	if (country != NULL && !zes_plate_country_valid(country))
		zes_req_error(r, "country",
		    "must be an ISO 3166-1 alpha-2 code such as \"DE\"");
	else if (country != NULL && json_object_get(r->body, "plate") == NULL)
		zes_req_error(r, "country", "is given with a plate only");
	else if (json_is_string(v = json_object_get(r->body, "plate"))) {
		if (zes_plate_parse(json_string_value(v), json_string_length(v),
		    country, &q.plate, &why) != 0)
			zes_req_error(r, "plate", "%s", why);
		else
			q.has_plate = 1;
	}
	if (json_is_integer(v = json_object_get(r->body, "sinceSeq")) &&
	    (q.since = json_integer_value(v)) < 0)
		zes_req_error(r, "sinceSeq", "must be 0 or more");
	if (json_is_integer(v = json_object_get(r->body, "limit")) &&
	    ((q.limit = json_integer_value(v)) < 1 || q.limit > AUDIT_LIMIT_MAX))
		zes_req_error(r, "limit", "must be from 1 to %d", AUDIT_LIMIT_MAX);
	if (json_is_string(v = json_object_get(r->body, "cursor")))
		audit_apply_cursor(r, &q, json_string_value(v));
	if (r->nerrors > 0) {
		zes_http_invalid(r);
		return;
	}
	audit_run(r, &q);
}

/*
 * Where a chain walk stands between pages, and its outcome.  The walk is
 * one read-only REPEATABLE READ transaction, so that the entries verified
 * and the pending count describe the same moment: a linker committing
 * meanwhile is seen entirely or not at all.
 */
struct audit_walk {
	long long	last_seq;
	uint8_t		prev[ZES_AUDIT_HASH_LEN];
	long long	entries;
	long long	broken;		/* the first broken seq, 0: none */
	long long	pending;	/* -1 until counted */
	int		stage;		/* statements answered so far */
	int		counting;	/* the statement in flight counts pending */
	char		since[24];	/* the parameter of the page in flight */
	const char	*params[1];
};

/*
 * Check one page of the chain against the core's hashes.  Returns 1 when
 * the walk goes on with another page, 0 when it is over (the last page, or
 * a break: wk->broken).
 */
static int
audit_verify_page(struct audit_walk *wk, const PGresult *p)
{
	struct zes_audit_entry	 e;
	uint8_t			 h[ZES_AUDIT_HASH_LEN], stored[ZES_AUDIT_HASH_LEN],
				 prev[ZES_AUDIT_HASH_LEN];
	const char		*errstr;
	long long		 seq;
	int			 i, n;

	n = PQntuples(p);
	for (i = 0; i < n; i++) {
		if (zes_strtonum(PQgetvalue(p, i, 0), 1, INT64_MAX, &seq,
		    &errstr) != 0)
			seq = 0;
		e.seq = seq;
		e.at = PQgetvalue(p, i, 1);
		e.actor = PQgetvalue(p, i, 2);
		e.action = PQgetvalue(p, i, 3);
		e.object = PQgetvalue(p, i, 4);
		e.detail = PQgetvalue(p, i, 5);
		zes_auditchain_hash(wk->prev, &e, h);
		/* A gap, a changed field, a changed link or a changed hash all break it. */
		if (seq != wk->last_seq + 1 ||
		    zes_auditchain_unhex(PQgetvalue(p, i, 6), stored) != 0 ||
		    zes_auditchain_unhex(PQgetvalue(p, i, 7), prev) != 0 ||
		    memcmp(prev, wk->prev, sizeof(prev)) != 0 ||
		    memcmp(h, stored, sizeof(h)) != 0) {
			wk->broken = seq ? seq : wk->last_seq + 1;
			return 0;
		}
		memcpy(wk->prev, h, sizeof(h));
		wk->last_seq = seq;
	}
	wk->entries += n;
	return n == atoi(AUDIT_VERIFY_PAGE);
}

/*
 * The steps of a verification: REPEATABLE READ, the chain page by page,
 * then the count of entries not linked yet (committed after the linker
 * last ran, or left by a zesd that died), then COMMIT.
 */
static enum zes_step
audit_verify_step(const struct zes_store_result *prev,
    struct zes_store_stmt *next, void *arg)
{
	struct zes_req		*r = arg;
	struct audit_walk	*wk = r->data;

	switch (wk->stage++) {
	case 0:
		next->sql = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ,"
		    " READ ONLY";
		return ZES_STEP_NEXT;
	case 1:
		break;
	default:
		if (wk->counting) {
			wk->pending = strtoll(PQgetvalue(prev->res[0], 0, 0),
			    NULL, 10);
			if (PQnfields(prev->res[0]) == 2)
				wk->entries = strtoll(PQgetvalue(prev->res[0],
				    0, 1), NULL, 10);
			return ZES_STEP_COMMIT;
		}
		if (!audit_verify_page(wk, prev->res[0])) {
			wk->counting = 1;
			next->name = wk->broken ? "audit_counts" :
			    "audit_pending";
			next->sql = wk->broken ? audit_counts_sql :
			    audit_pending_sql;
			return ZES_STEP_NEXT;
		}
		break;
	}
	snprintf(wk->since, sizeof(wk->since), "%lld", wk->last_seq);
	wk->params[0] = wk->since;
	next->name = "audit_verify";
	next->sql = audit_verify_sql;
	next->nparams = 1;
	next->params = wk->params;
	return ZES_STEP_NEXT;
}

/* The verification's transaction ended: answer what it found. */
static void
audit_verify_done(const struct zes_store_result *res, void *arg)
{
	struct zes_req		*r = arg;
	struct audit_walk	*wk = r->data;

	r->job = NULL;
	if (res->status != ZES_STORE_OK || wk->pending < 0) {
		zes_http_store_failed(r, res);
		return;
	}
	if (wk->broken != 0)
		zes_http_reply_json(r, 200, json_pack("{s:b, s:I, s:I, s:I}",
		    "ok", 0, "entries", (json_int_t)wk->entries,
		    "firstBrokenSeq", (json_int_t)wk->broken,
		    "pending", (json_int_t)wk->pending));
	else
		zes_http_reply_json(r, 200, json_pack("{s:b, s:I, s:I}",
		    "ok", 1, "entries", (json_int_t)wk->entries,
		    "pending", (json_int_t)wk->pending));
}

/* The pending entries are linked: walk the chain. */
static void
audit_verify_linked(const struct zes_store_result *res, void *arg)
{
	struct zes_req	*r = arg;

	r->job = NULL;
	if (res->status != ZES_STORE_OK) {
		zes_http_store_failed(r, res);
		return;
	}
	r->job = zes_store_txn(r->w->store, audit_verify_step,
	    audit_verify_done, r);
	if (r->job == NULL)
		zes_http_unavailable(r, "the database is unavailable");
}

/* GET /v1/audit-verification: link what is pending, then walk the whole chain. */
static void
audit_verify(struct zes_req *r)
{
	struct audit_walk	*wk;

	if (zes_req_query_check(r, (const char *const[]){ NULL }) > 0) {
		zes_http_invalid(r);
		return;
	}
	wk = xcalloc(1, sizeof(*wk));
	wk->pending = -1;
	r->data = wk;
	r->data_free = free;
	/*
	 * Link what is pending first (the walk itself is a read-only
	 * snapshot), so that changes committed before this request count.
	 * A read_only zesd links nothing: entries the primary has not linked
	 * yet count as pending.
	 */
	if (r->cfg->read_only)
		r->job = zes_store_txn(r->w->store, audit_verify_step,
		    audit_verify_done, r);
	else
		r->job = zes_store_query(r->w->store,
		    "SELECT zes_audit_link(10000)", 0, NULL, audit_verify_linked, r);
	if (r->job == NULL)
		zes_http_unavailable(r, "the database is unavailable");
}
