/*
 * Exemptions (ontheffingen) over HTTP: one by id, lists with filters and
 * cursors, the search by plate (in the body: plates never travel in a URI),
 * and revocation, which writes the exemption, its change_log row (the
 * table's trigger) and the audit entry in one statement, hence one
 * transaction.  Granting is the applications' business.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zes/bodies.h"
#include "zes/cursor.h"
#include "zes/http.h"
#include "zes/json.h"
#include "zes/plate.h"
#include "zes/routes.h"
#include "zes/store.h"
#include "zes/worker.h"
#include "zes/xmalloc.h"

#define EXEMPTIONS_LIMIT_DEFAULT	50
#define EXEMPTIONS_LIMIT_MAX		500
#define EXEMPTIONS_REASON_MAX		2000	/* characters of a reason */

#define EXEMPTIONS_READERS	(ZES_ROLE_DESK | ZES_ROLE_ASSESSOR | ZES_ROLE_ADMIN)

static void	exemptions_get(struct zes_req *);
static void	exemptions_list(struct zes_req *);
static void	exemptions_search(struct zes_req *);
static void	exemptions_revoke(struct zes_req *);

const struct zes_route zes_routes_exemptions[] = {
	{ .method = EVHTTP_REQ_GET, .path = "/v1/exemptions",
	  .roles = EXEMPTIONS_READERS, .handler = exemptions_list },
	{ .method = EVHTTP_REQ_POST, .path = "/v1/exemptions/_search",
	  .roles = EXEMPTIONS_READERS, .body = ZES_BODY_JSON,
	  .safe = 1, .handler = exemptions_search },
	{ .method = EVHTTP_REQ_GET, .path = "/v1/exemptions/{id}",
	  .roles = EXEMPTIONS_READERS, .handler = exemptions_get },
	{ .method = EVHTTP_REQ_POST, .path = "/v1/exemptions/{id}/revocation",
	  .roles = ZES_ROLE_ASSESSOR | ZES_ROLE_ADMIN, .body = ZES_BODY_JSON,
	  .handler = exemptions_revoke },
	{ 0 }
};

/* An instant column as RFC 3339 UTC, whole seconds. */
#define EXEMPTIONS_TIME(col) \
    "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/*
 * The status at the statement's instant: revoked, else expired once
 * validUntil has passed, else active (a period that starts later included:
 * docs/decisions.md).
 */
#define EXEMPTIONS_STATUS \
    "CASE WHEN e.revoked_at IS NOT NULL THEN 'revoked'" \
    " WHEN e.valid_until <= now() THEN 'expired' ELSE 'active' END"

/* The columns exemptions_item() reads, in this order (enum exemptions_col). */
#define EXEMPTIONS_COLUMNS \
    "e.id::text, e.plate, e.country, e.scope, e.type, e.issuer, " \
    EXEMPTIONS_TIME("e.valid_from") ", " EXEMPTIONS_TIME("e.valid_until") \
    ", " EXEMPTIONS_STATUS ", e.application_id::text, " \
    EXEMPTIONS_TIME("e.granted_at") ", " EXEMPTIONS_TIME("e.revoked_at") \
    ", e.revoke_reason," \
    " ((extract(epoch FROM e.granted_at) * 1000000)::bigint)::text"

enum exemptions_col {
	COL_ID = 0, COL_PLATE, COL_COUNTRY, COL_SCOPE, COL_TYPE, COL_ISSUER,
	COL_VALID_FROM, COL_VALID_UNTIL, COL_STATUS, COL_APPLICATION,
	COL_GRANTED_AT, COL_REVOKED_AT, COL_REASON, COL_GRANTED_US,
	COL_N
};

static const char exemptions_get_sql[] =
    "SELECT " EXEMPTIONS_COLUMNS " FROM exemptions e WHERE e.id = $1::uuid";

/*
 * Newest grant first; the cursor is the (granted_at, id) of the last row
 * of the page, so rows granted meanwhile never shift a later page.
 */
static const char exemptions_list_sql[] =
    "SELECT " EXEMPTIONS_COLUMNS " FROM exemptions e"
    " WHERE ($1::text IS NULL OR e.issuer = $1)"
    " AND ($2::text IS NULL OR e.type = $2)"
    " AND ($3::text IS NULL OR " EXEMPTIONS_STATUS " = $3)"
    " AND ($4::text IS NULL OR e.scope = $4)"
    " AND ($5::text IS NULL OR (e.plate = $5 AND e.country = $6))"
    " AND ($7::bigint IS NULL OR (e.granted_at, e.id) <"
    " (timestamptz 'epoch' + $7::bigint * interval '1 microsecond', $8::uuid))"
    " ORDER BY e.granted_at DESC, e.id DESC LIMIT $9::int";

/*
 * Revoke in one statement: the update (only when not revoked yet and, for
 * an assessor, of its own municipality; its trigger writes change_log) and
 * the audit entry (with the plate's keyed hash, schema/0006) commit
 * together or not at all.  The first columns tell the caller what
 * happened: the issuer (no row: unknown id) and the audit seq (NULL:
 * nothing was revoked); then the exemption as revoked.
 */
static const char exemptions_revoke_sql[] =
    "WITH t AS (SELECT issuer FROM exemptions WHERE id = $1::uuid),"
    " u AS (UPDATE exemptions e SET revoked_at = now(), revoke_reason = $2"
    " WHERE e.id = $1::uuid AND e.revoked_at IS NULL"
    " AND ($3::text IS NULL OR e.issuer = $3) RETURNING e.*),"
    " a AS (SELECT zes_audit_append($4, 'exemption.revoke',"
    " 'exemption/' || u.id::text, jsonb_build_object('type', u.type,"
    " 'scope', u.scope, 'issuer', u.issuer, 'reason', $2::text,"
    " 'plateHash', zes_plate_hash(u.country, u.plate))) AS seq"
    " FROM u)"
    " SELECT t.issuer, a.seq::text, " EXEMPTIONS_COLUMNS
    " FROM t LEFT JOIN u e ON true LEFT JOIN a ON true";

/* A list or search request, decoded. */
struct exemptions_query {
	const char		*issuer, *type, *status, *scope;	/* borrowed */
	struct zes_plate	 plate;		/* when has_plate */
	int			 has_plate;
	char			 cursor_us[24];	/* granted_at in microseconds */
	char			 cursor_id[ZES_UUID_LEN + 1];
	int			 has_cursor;
	long long		 limit;
};

/* A text column, or NULL when it is SQL NULL. */
static const char *
exemptions_col(const PGresult *res, int i, int col)
{
	return PQgetisnull(res, i, col) ? NULL : PQgetvalue(res, i, col);
}

/* One row of EXEMPTIONS_COLUMNS, starting at column `base`, as an exemption. */
static json_t *
exemptions_item(const PGresult *res, int i, int base)
{
	struct zes_plate	 p;
	const char		*plate = PQgetvalue(res, i, base + COL_PLATE);
	const char		*country = PQgetvalue(res, i, base + COL_COUNTRY);
	const char		*why, *display = plate;
	int			 national;
	json_t			*item;

	/* Stored plates are normalised; one that fits no sidecode shows as stored. */
	if (zes_plate_parse(plate, strlen(plate), country, &p, &why) == 0)
		display = p.display;
	national = strcmp(PQgetvalue(res, i, base + COL_SCOPE), "national") == 0;
	item = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s, s:s, s:s,"
	    " s:s?, s:s, s:s?, s:s?}",
	    "id", PQgetvalue(res, i, base + COL_ID),
	    "plate", plate, "plateDisplay", display, "country", country,
	    "scope", PQgetvalue(res, i, base + COL_SCOPE),
	    "type", PQgetvalue(res, i, base + COL_TYPE),
	    "municipality", national ? NULL : PQgetvalue(res, i, base + COL_ISSUER),
	    "validFrom", PQgetvalue(res, i, base + COL_VALID_FROM),
	    "validUntil", PQgetvalue(res, i, base + COL_VALID_UNTIL),
	    "status", PQgetvalue(res, i, base + COL_STATUS),
	    "applicationId", exemptions_col(res, i, base + COL_APPLICATION),
	    "grantedAt", PQgetvalue(res, i, base + COL_GRANTED_AT),
	    "revokedAt", exemptions_col(res, i, base + COL_REVOKED_AT),
	    "revocationReason", exemptions_col(res, i, base + COL_REASON));
	if (item == NULL)
		zes_fatalx("json_pack of an exemption failed");
	return item;
}

/* GET /v1/exemptions/{id}: the row arrived. */
static void
exemptions_get_done(const struct zes_store_result *res, void *arg)
{
	struct zes_req	*r = arg;

	r->job = NULL;
	if (res->status != ZES_STORE_OK) {
		zes_http_store_failed(r, res);
		return;
	}
	if (PQntuples(res->res[0]) == 0) {
		zes_http_problem(r, 404, "Not found", "no exemption has this id");
		return;
	}
	zes_http_reply_json(r, 200, exemptions_item(res->res[0], 0, 0));
}

/* GET /v1/exemptions/{id} */
static void
exemptions_get(struct zes_req *r)
{
	zes_http_get_by_id(r, "exemption", NULL, exemptions_get_sql,
	    exemptions_get_done);
}

/* Check one filter value (a query parameter or a body member of the same name). */
static void
exemptions_filter(struct zes_req *r, struct exemptions_query *q,
    const char *name, const char *v)
{
	size_t	i, n;

	if (v == NULL)
		return;
	if (strcmp(name, "municipality") == 0) {
		if (!zes_municipality_code_valid(v))
			zes_req_error(r, name, "must be a CBS municipality code, "
			    "GM and four digits");
		q->issuer = v;
	} else if (strcmp(name, "type") == 0) {
		n = strlen(v);
		for (i = 0; i < n; i++)
			if (!((v[i] >= 'a' && v[i] <= 'z') ||
			    (v[i] >= '0' && v[i] <= '9') || v[i] == '_'))
				break;
		if (n == 0 || n >= ZES_GROUND_LEN || i < n)
			zes_req_error(r, name, "must be an exemption type code: "
			    "1 to %d of a-z, 0-9 and _", ZES_GROUND_LEN - 1);
		q->type = v;
	} else if (strcmp(name, "status") == 0) {
		if (strcmp(v, "active") != 0 && strcmp(v, "expired") != 0 &&
		    strcmp(v, "revoked") != 0)
			zes_req_error(r, name, "must be active, expired or revoked");
		q->status = v;
	} else if (strcmp(name, "scope") == 0) {
		if (strcmp(v, "national") != 0 && strcmp(v, "municipal") != 0)
			zes_req_error(r, name, "must be national or municipal");
		q->scope = v;
	}
}

/* Decode a cursor ("g" granted-at microseconds "." id) into q. */
static void
exemptions_cursor(struct zes_req *r, struct exemptions_query *q, const char *c)
{
	struct zes_cursor	cur;

	if (c == NULL)
		return;
	if (zes_cursor_parse(c, 'g', &cur) != 0 || cur.at < 0 ||
	    cur.at > ZES_CURSOR_MAX_S * 1000000) {
		zes_req_error(r, "cursor", "not a cursor this server gave");
		return;
	}
	snprintf(q->cursor_us, sizeof(q->cursor_us), "%" PRId64, cur.at);
	memcpy(q->cursor_id, cur.id, sizeof(q->cursor_id));
	q->has_cursor = 1;
}

/* One exemption of a list page. */
static json_t *
exemptions_list_item(const PGresult *p, int i)
{
	return exemptions_item(p, i, 0);
}

/* The page arrived: answer it with the cursor of its last row when more follow. */
static void
exemptions_list_done(const struct zes_store_result *res, void *arg)
{
	struct zes_req			*r = arg;
	const struct exemptions_query	*q = r->data;

	r->job = NULL;
	if (res->status != ZES_STORE_OK) {
		zes_http_store_failed(r, res);
		return;
	}
	zes_http_reply_page(r, res->res[0], q->limit, exemptions_list_item, 'g',
	    COL_GRANTED_US, COL_ID);
}

/* Run the list query of q (owned by r->data from here on). */
static void
exemptions_run(struct zes_req *r, struct exemptions_query *q)
{
	const char	*params[9];
	char		 limit[24];

	snprintf(limit, sizeof(limit), "%lld", q->limit + 1);
	params[0] = q->issuer;
	params[1] = q->type;
	params[2] = q->status;
	params[3] = q->scope;
	params[4] = q->has_plate ? q->plate.text : NULL;
	params[5] = q->has_plate ? q->plate.country : NULL;
	params[6] = q->has_cursor ? q->cursor_us : NULL;
	params[7] = q->has_cursor ? q->cursor_id : NULL;
	params[8] = limit;
	r->job = zes_store_query(r->w->store, exemptions_list_sql, 9, params,
	    exemptions_list_done, r);
	if (r->job == NULL)
		zes_http_unavailable(r, "the database is unavailable");
}

/* A new query in r->data, freed with the request. */
static struct exemptions_query *
exemptions_query_new(struct zes_req *r)
{
	struct exemptions_query	*q = xcalloc(1, sizeof(*q));

	q->limit = EXEMPTIONS_LIMIT_DEFAULT;
	r->data = q;
	r->data_free = free;
	return q;
}

/* GET /v1/exemptions?municipality=&type=&status=&scope=&limit=&cursor= */
static void
exemptions_list(struct zes_req *r)
{
	static const char *const allowed[] = { "municipality", "type", "status",
	    "scope", "limit", "cursor", NULL };
	struct exemptions_query	*q = exemptions_query_new(r);
	const char		*v, *errstr;
	size_t			 i;

	zes_req_query_check(r, allowed);
	for (i = 0; i < 4; i++)
		exemptions_filter(r, q, allowed[i], zes_req_query(r, allowed[i]));
	if ((v = zes_req_query(r, "limit")) != NULL &&
	    zes_strtonum(v, 1, EXEMPTIONS_LIMIT_MAX, &q->limit, &errstr) != 0)
		zes_req_error(r, "limit", "must be an integer from 1 to %d",
		    EXEMPTIONS_LIMIT_MAX);
	exemptions_cursor(r, q, zes_req_query(r, "cursor"));
	if (r->nerrors > 0) {
		zes_http_invalid(r);
		return;
	}
	exemptions_run(r, q);
}

/* POST /v1/exemptions/_search {"plate","country"?, and the filters of the list} */
static void
exemptions_search(struct zes_req *r)
{
	static const char *const filters[] = { "municipality", "type", "status",
	    "scope" };
	struct exemptions_query	*q = exemptions_query_new(r);
	const char		*country, *why;
	json_t			*v;
	size_t			 i;

	zes_req_query_check(r, (const char *const[]){ NULL });
	zes_json_check(r, r->body, "", zes_body_exemption_search);
	/* Values are read only where their type was right; the check listed the rest. */
	country = json_string_value(json_object_get(r->body, "country"));
	if (country != NULL && !zes_plate_country_valid(country))
		zes_req_error(r, "country",
		    "must be an ISO 3166-1 alpha-2 code such as \"DE\"");
	else if (json_is_string(v = json_object_get(r->body, "plate"))) {
		if (zes_plate_parse(json_string_value(v), json_string_length(v),
		    country, &q->plate, &why) != 0)
			zes_req_error(r, "plate", "%s", why);
		else
			q->has_plate = 1;
	}
	for (i = 0; i < ZES_NELEM(filters); i++)
		exemptions_filter(r, q, filters[i],
		    json_string_value(json_object_get(r->body, filters[i])));
	if (json_is_integer(v = json_object_get(r->body, "limit")) &&
	    ((q->limit = json_integer_value(v)) < 1 ||
	    q->limit > EXEMPTIONS_LIMIT_MAX))
		zes_req_error(r, "limit", "must be from 1 to %d",
		    EXEMPTIONS_LIMIT_MAX);
	exemptions_cursor(r, q, json_string_value(json_object_get(r->body,
	    "cursor")));
	if (r->nerrors > 0) {
		zes_http_invalid(r);
		return;
	}
	exemptions_run(r, q);
}

/* The revocation statement finished: 200, or why nothing was revoked. */
static void
exemptions_revoke_done(const struct zes_store_result *res, void *arg)
{
	struct zes_req	*r = arg;
	const PGresult	*p;
	const char	*issuer;

	r->job = NULL;
	if (res->status != ZES_STORE_OK) {
		zes_http_store_failed(r, res);
		return;
	}
	p = res->res[0];
	if (PQntuples(p) == 0) {
		zes_http_problem(r, 404, "Not found", "no exemption has this id");
		return;
	}
	if (!PQgetisnull(p, 0, 1)) {
		zes_http_reply_json(r, 200, exemptions_item(p, 0, 2));
		return;
	}
	issuer = PQgetvalue(p, 0, 0);
	if (r->who.role != ZES_ROLE_ADMIN &&
	    strcmp(issuer, r->who.municipality) != 0) {
		zes_http_problem(r, 403, "Forbidden", strcmp(issuer,
		    "national") == 0 ? "only an admin may revoke a national "
		    "exemption" : "an assessor may revoke only the exemptions "
		    "of its own municipality");
		return;
	}
	zes_http_problem(r, 409, "Conflict", "the exemption is revoked already");
}

/* The number of characters (UTF-8 code points) of s. */
static size_t
exemptions_chars(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* POST /v1/exemptions/{id}/revocation {"reason"} */
static void
exemptions_revoke(struct zes_req *r)
{
	const char	*params[4], *reason = NULL, *s;
	json_t		*v;

	zes_req_query_check(r, (const char *const[]){ NULL });
	zes_json_check(r, r->body, "", zes_body_revocation);
	if (json_is_string(v = json_object_get(r->body, "reason"))) {
		reason = json_string_value(v);
		for (s = reason; *s == ' ' || *s == '\t' || *s == '\n' ||
		    *s == '\r'; s++)
			;
		if (*s == '\0')
			zes_req_error(r, "reason", "must not be empty");
		else if (exemptions_chars(reason) > EXEMPTIONS_REASON_MAX)
			zes_req_error(r, "reason", "must have at most %d characters",
			    EXEMPTIONS_REASON_MAX);
		else if (strlen(reason) != json_string_length(v))
			zes_req_error(r, "reason", "must not contain NUL");
	}
	if (r->nerrors > 0) {
		zes_http_invalid(r);
		return;
	}
	if (!zes_uuid_valid(r->params[0])) {
		zes_http_problem(r, 404, "Not found", "no exemption has this id");
		return;
	}
	params[0] = r->params[0];
	params[1] = reason;
	/* Admins revoke anything; an assessor only its own municipality's. */
	params[2] = r->who.role == ZES_ROLE_ADMIN ? NULL : r->who.municipality;
	params[3] = r->who.name;
	r->job = zes_store_query(r->w->store, exemptions_revoke_sql, 4, params,
	    exemptions_revoke_done, r);
	if (r->job == NULL)
		zes_http_unavailable(r, "the database is unavailable");
}
