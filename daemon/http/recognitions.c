/*
 * Mutual recognition over HTTP (API.md, "Mutual recognition"; issue 5):
 * agreements between municipalities (create, with `mutual` one each way;
 * list; get with an ETag; PATCH with If-Match; DELETE ends one now) and the
 * recognition matrix at an instant.  Admins write, desk and assessor read.
 *
 * The table's triggers (schema/0004_recognition.sql) keep the history,
 * the terms the access index loads, change_log and the audit trail, so a
 * handler only inserts or updates the agreement.  PATCH and DELETE read the
 * row FOR UPDATE, decide in C (version, state, types against the rules) and
 * write, in one interactive transaction.  docs/recognition.md has the model.
 */

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "zes/bodies.h"
#include "zes/cursor.h"
#include "zes/http.h"
#include "zes/json.h"
#include "zes/period.h"
#include "zes/recognition.h"
#include "zes/routes.h"
#include "zes/ruleset.h"
#include "zes/store.h"
#include "zes/worker.h"
#include "zes/xmalloc.h"

#define AGR_LIMIT_DEFAULT	50
#define AGR_LIMIT_MAX		500
#define AGR_NOTE_MAX		2000	/* characters of a note */
#define AGR_TYPES_MAX		64	/* types of one agreement (the schema's bound) */
#define AGR_TXN_PARAMS		8

#define AGR_READERS	(ZES_ROLE_DESK | ZES_ROLE_ASSESSOR | ZES_ROLE_ADMIN)

static void	agr_create(struct zes_req *);
static void	agr_list(struct zes_req *);
static void	agr_get(struct zes_req *);
static void	agr_patch(struct zes_req *);
static void	agr_delete(struct zes_req *);
static void	agr_matrix(struct zes_req *);

const struct zes_route zes_routes_recognitions[] = {
	{ .method = EVHTTP_REQ_POST, .path = "/v1/recognition-agreements",
	  .roles = ZES_ROLE_ADMIN, .body = ZES_BODY_JSON,
	  .handler = agr_create },
	{ .method = EVHTTP_REQ_GET, .path = "/v1/recognition-agreements",
	  .roles = AGR_READERS, .handler = agr_list },
	{ .method = EVHTTP_REQ_GET, .path = "/v1/recognition-agreements/{id}",
	  .roles = AGR_READERS, .handler = agr_get },
	{ .method = EVHTTP_REQ_PATCH, .path = "/v1/recognition-agreements/{id}",
	  .roles = ZES_ROLE_ADMIN, .body = ZES_BODY_JSON,
	  .handler = agr_patch },
	{ .method = EVHTTP_REQ_DELETE, .path = "/v1/recognition-agreements/{id}",
	  .roles = ZES_ROLE_ADMIN, .handler = agr_delete },
	{ .method = EVHTTP_REQ_GET, .path = "/v1/recognition-matrix",
	  .roles = AGR_READERS, .handler = agr_matrix },
	{ 0 }
};

/* An instant column as RFC 3339 UTC, whole seconds. */
#define AGR_TIME(col) \
    "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/*
 * The state at the statement's instant: ended (by a DELETE or past its
 * last day), scheduled (not started), else active.
 */
#define AGR_STATUS \
    "CASE WHEN a.ended_at IS NOT NULL OR a.valid_until <= now() THEN 'ended'" \
    " WHEN a.valid_from > now() THEN 'scheduled' ELSE 'active' END"

/* The columns agr_item() reads, in this order (enum agr_col). */
#define AGR_COLUMNS \
    "a.id::text, a.issuer, a.recognizer, array_to_json(a.types)::text, " \
    AGR_TIME("a.valid_from") ", " AGR_TIME("a.valid_until") ", a.note, " \
    "a.counterpart_id::text, a.version::text, " AGR_TIME("a.created_at") \
    ", a.created_by, " AGR_TIME("a.updated_at") ", " AGR_TIME("a.ended_at") \
    ", a.ended_by, " AGR_STATUS ", " \
    "((extract(epoch FROM a.created_at) * 1000000)::bigint)::text, " \
    "floor(extract(epoch FROM a.valid_from))::bigint::text"

enum agr_col {
	COL_ID = 0, COL_ISSUER, COL_RECOGNIZER, COL_TYPES, COL_VALID_FROM,
	COL_VALID_UNTIL, COL_NOTE, COL_COUNTERPART, COL_VERSION,
	COL_CREATED_AT, COL_CREATED_BY, COL_UPDATED_AT, COL_ENDED_AT,
	COL_ENDED_BY, COL_STATUS, COL_CREATED_US, COL_FROM_EPOCH,
	COL_N
};

static const char agr_get_sql[] =
    "SELECT " AGR_COLUMNS " FROM recognition_agreements a WHERE a.id = $1::uuid";

static const char agr_lock_sql[] =
    "SELECT " AGR_COLUMNS " FROM recognition_agreements a"
    " WHERE a.id = $1::uuid FOR UPDATE";

/*
 * Newest first; the cursor is the (created_at, id) of the last row of the
 * page.  With `at`, the agreements that recognised anything at that
 * instant (their terms: what held then, whatever changed since).
 */
static const char agr_list_sql[] =
    "SELECT " AGR_COLUMNS " FROM recognition_agreements a"
    " WHERE ($1::text IS NULL OR a.issuer = $1)"
    " AND ($2::text IS NULL OR a.recognizer = $2)"
    " AND ($3::bigint IS NULL OR EXISTS (SELECT 1 FROM recognition_terms t"
    " WHERE t.agreement_id = a.id AND tstzrange(t.valid_from, t.valid_until,"
    " '[)') @> to_timestamp($3::bigint)))"
    " AND ($4::bigint IS NULL OR (a.created_at, a.id) <"
    " (timestamptz 'epoch' + $4::bigint * interval '1 microsecond', $5::uuid))"
    " ORDER BY a.created_at DESC, a.id DESC LIMIT $6::int";

/* A new agreement; the triggers write its terms, history, change_log and audit. */
static const char agr_insert_sql[] =
    "INSERT INTO recognition_agreements AS a (id, issuer, recognizer, types,"
    " valid_from, valid_until, note, counterpart_id, created_by, updated_by)"
    " VALUES ($1::uuid, $2, $3, $4::text[], to_timestamp($5::bigint),"
    " to_timestamp($6::bigint), $7, $8::uuid, $9, $9)"
    " RETURNING " AGR_COLUMNS;

/*
 * A PATCH: each of types ($2), validUntil ($3, NULL open-ended) and note
 * ($4) is set when its flag ($5, $6, $7) says it was given.
 */
static const char agr_patch_sql[] =
    "UPDATE recognition_agreements AS a SET"
    " types = CASE WHEN $5::boolean THEN $2::text[] ELSE a.types END,"
    " valid_until = CASE WHEN $6::boolean THEN to_timestamp($3::bigint)"
    " ELSE a.valid_until END,"
    " note = CASE WHEN $7::boolean THEN $4 ELSE a.note END,"
    " updated_by = $8"
    " WHERE a.id = $1::uuid RETURNING " AGR_COLUMNS;

/*
 * A DELETE ends the agreement at the instant of the request (to the
 * second: zes_agreement_now()); one not started yet ends empty.
 */
static const char agr_end_sql[] =
    "UPDATE recognition_agreements AS a SET"
    " ended_at = zes_agreement_now(), ended_by = $2, updated_by = $2,"
    " valid_until = greatest(a.valid_from, zes_agreement_now())"
    " WHERE a.id = $1::uuid RETURNING " AGR_COLUMNS;

/* What recognised anything at an instant, for the matrix. */
static const char agr_matrix_sql[] =
    "SELECT t.issuer, t.recognizer, t.type, t.agreement_id::text"
    " FROM recognition_terms t WHERE tstzrange(t.valid_from, t.valid_until,"
    " '[)') @> to_timestamp($1::bigint)"
    " ORDER BY t.issuer, t.recognizer, t.type, t.agreement_id";

/* A random (version 4) UUID as text; -1 when the generator failed. */
static int
agr_uuid_new(char out[ZES_UUID_LEN + 1])
{
	static const char	hex[] = "0123456789abcdef";
	uint8_t			b[16];
	int			i, o = 0;

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -1;
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[o] = '\0';
	return 0;
}

/* The number of characters (UTF-8 code points) of s. */
static size_t
agr_chars(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* A text column, or NULL when it is SQL NULL. */
static const char *
agr_col(const PGresult *res, int i, int col)
{
	return PQgetisnull(res, i, col) ? NULL : PQgetvalue(res, i, col);
}

/* One row of AGR_COLUMNS as an agreement. */
static json_t *
agr_item(const PGresult *res, int i)
{
	json_t		*item, *types;
	json_error_t	 err;
	long long	 version;
	const char	*errstr;

	types = json_loads(PQgetvalue(res, i, COL_TYPES), 0, &err);
	if (types == NULL)
		types = json_array();
	if (zes_strtonum(PQgetvalue(res, i, COL_VERSION), 1, INT32_MAX,
	    &version, &errstr) != 0)
		version = 0;
	item = json_pack("{s:s, s:s, s:s, s:o, s:s, s:s?, s:s?, s:s, s:s?,"
	    " s:I, s:s, s:s, s:s, s:s?, s:s?}",
	    "id", PQgetvalue(res, i, COL_ID),
	    "issuer", PQgetvalue(res, i, COL_ISSUER),
	    "recognizer", PQgetvalue(res, i, COL_RECOGNIZER),
	    "types", types,
	    "validFrom", PQgetvalue(res, i, COL_VALID_FROM),
	    "validUntil", agr_col(res, i, COL_VALID_UNTIL),
	    "note", agr_col(res, i, COL_NOTE),
	    "status", PQgetvalue(res, i, COL_STATUS),
	    "counterpartId", agr_col(res, i, COL_COUNTERPART),
	    "version", (json_int_t)version,
	    "createdAt", PQgetvalue(res, i, COL_CREATED_AT),
	    "createdBy", PQgetvalue(res, i, COL_CREATED_BY),
	    "updatedAt", PQgetvalue(res, i, COL_UPDATED_AT),
	    "endedAt", agr_col(res, i, COL_ENDED_AT),
	    "endedBy", agr_col(res, i, COL_ENDED_BY));
	if (item == NULL)
		zes_fatalx("json_pack of an agreement failed");
	return item;
}

/* The ETag of a row: its version, quoted (a strong validator). */
static void
agr_etag(const PGresult *res, int i, char *buf, size_t size)
{
	snprintf(buf, size, "\"%s\"", PQgetvalue(res, i, COL_VERSION));
}

/*
 * Does an If-Match header (RFC 9110 §13.1.1) match the entity tag?  "*"
 * matches any; otherwise a list of entity tags compared strongly (weak
 * ones, W/"...", never match).
 */
static int
agr_if_match(const char *hdr, const char *etag)
{
	const char	*p = hdr, *end;
	size_t		 n = strlen(etag);

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			return 0;
		if (*p == '*')
			return 1;
		if (*p == 'W' && p[1] == '/') {
			p += 2;
			if (*p == '"' && (end = strchr(p + 1, '"')) != NULL)
				p = end + 1;
			else
				return 0;
			continue;
		}
		if (*p != '"' || (end = strchr(p + 1, '"')) == NULL)
			return 0;
		if ((size_t)(end + 1 - p) == n && strncmp(p, etag, n) == 0)
			return 1;
		p = end + 1;
	}
}

/* A request header, or NULL. */
static const char *
agr_header(struct zes_req *r, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(r->ev), name);
}

/*
 * A municipality code parameter or member, well formed and known; NULL
 * otherwise, with the error added.
 */
static const struct zes_municipality *
agr_municipality(struct zes_req *r, const struct zes_rules *rules,
    const char *field, const char *code)
{
	const struct zes_municipality	*m;

	if (!zes_municipality_code_valid(code)) {
		zes_req_error(r, field, "must be a CBS municipality code, GM "
		    "and four digits");
		return NULL;
	}
	if ((m = zes_rules_municipality(rules, code)) == NULL)
		zes_req_error(r, field, "is not a municipality zesd knows");
	return m;
}

/*
 * An instant parameter: an RFC 3339 date-time, or a date meaning its local
 * midnight.  0 ok; -1 after adding an error.
 */
static int
agr_instant(struct zes_req *r, const char *field, const char *v, int64_t *at)
{
	int64_t	day;

	switch (zes_time_parse_day_or_instant(v, strlen(v), &day, at)) {
	case 1:
		*at = zes_time_local_midnight(day);
		return 0;
	case 0:
		return 0;
	}
	zes_req_error(r, field, "must be an RFC 3339 date-time with an offset, "
	    "or a date YYYY-MM-DD (its local midnight)");
	return -1;
}

/* A date member: "YYYY-MM-DD"; 0 ok, -1 after adding an error. */
static int
agr_date(struct zes_req *r, const char *field, const json_t *v, int64_t *day)
{
	if (json_string_length(v) != ZES_DATE_TEXT_LEN ||
	    zes_date_parse(json_string_value(v), ZES_DATE_TEXT_LEN, day) != 0) {
		zes_req_error(r, field, "must be a real date YYYY-MM-DD");
		return -1;
	}
	return 0;
}

/* Today, the local day of the wall clock. */
static int64_t
agr_today(void)
{
	return zes_time_local_day((int64_t)time(NULL));
}

/* Order type codes (qsort). */
static int
agr_strcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Check a types member: 1 to AGR_TYPES_MAX distinct type codes, each one a
 * municipal type that every municipality of `offer` (n of them, NULL ones
 * skipped: their code was wrong already) offers.  On success *lit is a
 * Postgres array literal of the codes, sorted (the caller frees it).
 */
static void
agr_types(struct zes_req *r, const struct zes_rules *rules, const json_t *v,
    const struct zes_municipality *const *offer, size_t noffer, char **lit)
{
	const char	*codes[AGR_TYPES_MAX], *why, *s;
	char		 field[32];
	size_t		 i, j, n, len = 2, nerr = r->nerrors;

	*lit = NULL;
	n = json_array_size(v);
	if (n < 1 || n > AGR_TYPES_MAX) {
		zes_req_error(r, "types", "must list 1 to %d exemption types",
		    AGR_TYPES_MAX);
		return;
	}
	for (i = 0; i < n; i++) {
		snprintf(field, sizeof(field), "types[%zu]", i);
		codes[i] = NULL;
		if (!json_is_string(json_array_get(v, i))) {
			zes_req_error(r, field, "must be a string");
			continue;
		}
		s = json_string_value(json_array_get(v, i));
		for (j = 0; s[j] != '\0'; j++)
			if (!((s[j] >= 'a' && s[j] <= 'z') ||
			    (s[j] >= '0' && s[j] <= '9') || s[j] == '_'))
				break;
		if (j == 0 || j >= ZES_GROUND_LEN || s[j] != '\0' ||
		    j != json_string_length(json_array_get(v, i))) {
			zes_req_error(r, field, "must be an exemption type code: "
			    "1 to %d of a-z, 0-9 and _", ZES_GROUND_LEN - 1);
			continue;
		}
		for (j = 0; j < i; j++)
			if (codes[j] != NULL && strcmp(codes[j], s) == 0)
				break;
		if (j < i) {
			zes_req_error(r, field, "is listed twice");
			continue;
		}
		codes[i] = s;
		for (j = 0; j < noffer; j++)
			if (offer[j] != NULL && !zes_recognition_type_offered(rules,
			    offer[j], s, &why))
				zes_req_error(r, field, "%s: %s %s", offer[j]->code,
				    s, why);
		len += strlen(s) + 1;
	}
	if (r->nerrors > nerr)
		return;
	qsort(codes, n, sizeof(codes[0]), agr_strcmp);
	*lit = xmalloc(len + 1);
	(*lit)[0] = '{';
	(*lit)[1] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(*lit, ",");
		strcat(*lit, codes[i]);
	}
	strcat(*lit, "}");
}

/* A note member (string or null): at most AGR_NOTE_MAX characters, no NUL. */
static void
agr_note(struct zes_req *r, const json_t *v)
{
	if (json_is_string(v) && (agr_chars(json_string_value(v)) > AGR_NOTE_MAX ||
	    strlen(json_string_value(v)) != json_string_length(v)))
		zes_req_error(r, "note", "must be text of at most %d characters "
		    "without NUL", AGR_NOTE_MAX);
}

/* A store failure: 409 for an overlap, else as every route answers. */
static void
agr_store_failed(struct zes_req *r, const struct zes_store_result *res)
{
	if (res->status == ZES_STORE_ERROR && strcmp(res->sqlstate, "23P01") == 0) {
		/* The trigger's message names the agreement in the way. */
		if (strncmp(res->message, "agreement ", 10) == 0)
			zes_http_problem(r, 409, "Conflict", "%s", res->message);
		else
			zes_http_problem(r, 409, "Conflict", "another agreement "
			    "recognises one of these types from the same issuer "
			    "in the same municipality during this period");
		return;
	}
	zes_http_store_failed(r, res);
}

/* ---------------------------------------------------------------------- */
/* POST /v1/recognition-agreements */

/* The parameters of the insert statements, owned by the request. */
struct agr_create_state {
	char		 id[2][ZES_UUID_LEN + 1];
	char		 from[24], until[24];
	char		*types;
	const char	*params[2][9];
};

/* Free the state of a creation. */
static void
agr_create_free(void *arg)
{
	struct agr_create_state	*c = arg;

	if (c != NULL)
		free(c->types);
	free(c);
}

/* The insert(s) committed: 201 with the agreements, or why not. */
static void
agr_create_done(const struct zes_store_result *res, void *arg)
{
	struct zes_req	*r = arg;
	json_t		*items;
	int		 i;

	r->job = NULL;
	if (res->status != ZES_STORE_OK) {
		agr_store_failed(r, res);
		return;
	}
	items = json_array();
	for (i = 0; i < res->nres; i++)
		if (PQntuples(res->res[i]) == 1)
			json_array_append_new(items, agr_item(res->res[i], 0));
	zes_http_reply_json(r, 201, json_pack("{s:o}", "items", items));
}

/*
 * POST /v1/recognition-agreements {"issuer","recognizer","types",
 * "validFrom","validUntil"?,"mutual"?,"note"?}
 */
static void
agr_create(struct zes_req *r)
{
	const struct zes_rules		*rules = r->w->rules;
	const struct zes_municipality	*issuer = NULL, *recognizer = NULL;
	const struct zes_municipality	*offer[2];
	struct agr_create_state		*c;
	struct zes_store_stmt		 stmts[2];
	json_t				*v, *body = r->body;
	int64_t				 from_day = 0, until_day = 0, today;
	int				 mutual, have_from = 0, have_until = 0, k;
	const char			*note = NULL;

	zes_req_query_check(r, (const char *const[]){ NULL });
	zes_json_check(r, body, "", zes_body_agreement);
	mutual = json_is_true(json_object_get(body, "mutual"));
	if (json_is_string(v = json_object_get(body, "issuer")))
		issuer = agr_municipality(r, rules, "issuer", json_string_value(v));
	if (json_is_string(v = json_object_get(body, "recognizer")))
		recognizer = agr_municipality(r, rules, "recognizer",
		    json_string_value(v));
	if (issuer != NULL && recognizer != NULL && issuer == recognizer) {
		zes_req_error(r, "recognizer", "must differ from issuer: a "
		    "municipality honours its own exemptions already");
		issuer = recognizer = NULL;	/* no type errors on top */
	}
	offer[0] = issuer;
	offer[1] = mutual ? recognizer : NULL;
	c = xcalloc(1, sizeof(*c));
	r->data = c;
	r->data_free = agr_create_free;
	if (json_is_array(v = json_object_get(body, "types")))
		agr_types(r, rules, v, offer, 2, &c->types);
	today = agr_today();
	if (json_is_string(v = json_object_get(body, "validFrom")) &&
	    agr_date(r, "validFrom", v, &from_day) == 0) {
		if (from_day < today)
			zes_req_error(r, "validFrom", "must be today or later: "
			    "agreements are never backdated");
		else
			have_from = 1;
	}
	if (json_is_string(v = json_object_get(body, "validUntil")) &&
	    agr_date(r, "validUntil", v, &until_day) == 0) {
		if (have_from && until_day < from_day)
			zes_req_error(r, "validUntil", "must not be before validFrom "
			    "(it is the last day the agreement holds)");
		else
			have_until = 1;
	}
	v = json_object_get(body, "note");
	agr_note(r, v);
	if (json_is_string(v))
		note = json_string_value(v);
	if (r->nerrors > 0) {
		zes_http_invalid(r);
		return;
	}
	if (agr_uuid_new(c->id[0]) != 0 || agr_uuid_new(c->id[1]) != 0) {
		zes_http_internal(r, "RAND_bytes failed");
		return;
	}
	snprintf(c->from, sizeof(c->from), "%" PRId64,
	    zes_time_local_midnight(from_day));
	if (have_until)
		snprintf(c->until, sizeof(c->until), "%" PRId64,
		    zes_period_day_end(until_day));
	for (k = 0; k < (mutual ? 2 : 1); k++) {
		c->params[k][0] = c->id[k];
		c->params[k][1] = k == 0 ? issuer->code : recognizer->code;
		c->params[k][2] = k == 0 ? recognizer->code : issuer->code;
		c->params[k][3] = c->types;
		c->params[k][4] = c->from;
		c->params[k][5] = have_until ? c->until : NULL;
		c->params[k][6] = note;
		c->params[k][7] = mutual ? c->id[1 - k] : NULL;
		c->params[k][8] = r->who.name;
		stmts[k].sql = agr_insert_sql;
		stmts[k].nparams = 9;
		stmts[k].params = c->params[k];
		stmts[k].name = NULL;
	}
	r->job = zes_store_tx(r->w->store, stmts, mutual ? 2 : 1,
	    agr_create_done, r);
	if (r->job == NULL)
		zes_http_unavailable(r, "the database is unavailable");
}

/* ---------------------------------------------------------------------- */
/* GET /v1/recognition-agreements/{id} and the list */

/* The row arrived: 200 with its ETag, or 404. */
static void
agr_get_done(const struct zes_store_result *res, void *arg)
{
	struct zes_req	*r = arg;
	char		 etag[24];

	r->job = NULL;
	if (res->status != ZES_STORE_OK) {
		zes_http_store_failed(r, res);
		return;
	}
	if (PQntuples(res->res[0]) == 0) {
		zes_http_problem(r, 404, "Not found", "no agreement has this id");
		return;
	}
	agr_etag(res->res[0], 0, etag, sizeof(etag));
	zes_req_header(r, "ETag", etag);
	zes_http_reply_json(r, 200, agr_item(res->res[0], 0));
}

/* GET /v1/recognition-agreements/{id} */
static void
agr_get(struct zes_req *r)
{
	zes_http_get_by_id(r, "agreement", NULL, agr_get_sql, agr_get_done);
}

/* A list request, decoded. */
struct agr_query {
	long long	limit;
	char		at[24];
	int		has_at;
	char		cursor_us[24];
	char		cursor_id[ZES_UUID_LEN + 1];
	int		has_cursor;
};

/* Decode a cursor ("c" created-at microseconds "." id) into q. */
static void
agr_cursor(struct zes_req *r, struct agr_query *q, const char *c)
{
	struct zes_cursor	cur;

	if (c == NULL)
		return;
	if (zes_cursor_parse(c, 'c', &cur) != 0 || cur.at < 0 ||
	    cur.at > ZES_CURSOR_MAX_S * 1000000) {
		zes_req_error(r, "cursor", "not a cursor this server gave");
		return;
	}
	snprintf(q->cursor_us, sizeof(q->cursor_us), "%" PRId64, cur.at);
	memcpy(q->cursor_id, cur.id, sizeof(q->cursor_id));
	q->has_cursor = 1;
}

/* The page arrived: answer it with the cursor of its last row when more follow. */
static void
agr_list_done(const struct zes_store_result *res, void *arg)
{
	struct zes_req		*r = arg;
	const struct agr_query	*q = r->data;

	r->job = NULL;
	if (res->status != ZES_STORE_OK) {
		zes_http_store_failed(r, res);
		return;
	}
	zes_http_reply_page(r, res->res[0], q->limit, agr_item, 'c',
	    COL_CREATED_US, COL_ID);
}

/* GET /v1/recognition-agreements?issuer=&recognizer=&at=&limit=&cursor= */
static void
agr_list(struct zes_req *r)
{
	static const char *const allowed[] = { "issuer", "recognizer", "at",
	    "limit", "cursor", NULL };
	const struct zes_rules	*rules = r->w->rules;
	struct agr_query	*q = xcalloc(1, sizeof(*q));
	const char		*v, *errstr, *params[6];
	char			 limit[24];
	int64_t			 at;

	r->data = q;
	r->data_free = free;
	q->limit = AGR_LIMIT_DEFAULT;
	zes_req_query_check(r, allowed);
	if ((v = zes_req_query(r, "issuer")) != NULL)
		(void)agr_municipality(r, rules, "issuer", v);
	if ((v = zes_req_query(r, "recognizer")) != NULL)
		(void)agr_municipality(r, rules, "recognizer", v);
	if ((v = zes_req_query(r, "at")) != NULL && agr_instant(r, "at", v,
	    &at) == 0) {
		snprintf(q->at, sizeof(q->at), "%" PRId64, at);
		q->has_at = 1;
	}
	if ((v = zes_req_query(r, "limit")) != NULL &&
	    zes_strtonum(v, 1, AGR_LIMIT_MAX, &q->limit, &errstr) != 0)
		zes_req_error(r, "limit", "must be an integer from 1 to %d",
		    AGR_LIMIT_MAX);
	agr_cursor(r, q, zes_req_query(r, "cursor"));
	if (r->nerrors > 0) {
		zes_http_invalid(r);
		return;
	}
	snprintf(limit, sizeof(limit), "%lld", q->limit + 1);
	params[0] = zes_req_query(r, "issuer");
	params[1] = zes_req_query(r, "recognizer");
	params[2] = q->has_at ? q->at : NULL;
	params[3] = q->has_cursor ? q->cursor_us : NULL;
	params[4] = q->has_cursor ? q->cursor_id : NULL;
	params[5] = limit;
	r->job = zes_store_query(r->w->store, agr_list_sql, 6, params,
	    agr_list_done, r);
	if (r->job == NULL)
		zes_http_unavailable(r, "the database is unavailable");
}

/* ---------------------------------------------------------------------- */
/* PATCH and DELETE: read FOR UPDATE, decide, write */

enum agr_kind {
	AGR_PATCH = 0,
	AGR_DELETE,
};

/*
 * One request's interactive transaction.  Owned by the request (r->data):
 * when the request ends early the store abandons the job and never calls
 * the step or done again, so nothing here outlives r.
 */
struct agr_txn {
	struct zes_req		*r;
	struct zes_rules	*rules;		/* our own reference: reloads may swap the worker's */
	enum agr_kind		 kind;
	int			 stage;
	char			 id[ZES_UUID_LEN + 1];
	char			*if_match;	/* the header, or NULL */
	const char		*params[AGR_TXN_PARAMS];
	char			*owned[AGR_TXN_PARAMS];
	/* PATCH: what was given (json_t members of the body, borrowed). */
	const json_t		*types, *until, *note;
	/* The answer, decided in the transaction and sent from the done callback. */
	struct zes_txn_answer	 ans;
};

/* Free a transaction's state. */
static void
agr_txn_free(void *arg)
{
	struct agr_txn	*t = arg;
	int		 i;

	if (t == NULL)
		return;
	for (i = 0; i < AGR_TXN_PARAMS; i++)
		free(t->owned[i]);
	zes_rules_unref(t->rules);
	free(t->if_match);
	zes_txn_answer_clear(&t->ans);
	free(t);
}

/* Parameter i is a copy of s, or NULL. */
static void
agr_param(struct agr_txn *t, int i, const char *s)
{
	free(t->owned[i]);
	t->owned[i] = s != NULL ? xstrdup(s) : NULL;
	t->params[i] = t->owned[i];
}

/* Parameter i takes over s (allocated), or NULL. */
static void
agr_param_own(struct agr_txn *t, int i, char *s)
{
	free(t->owned[i]);
	t->owned[i] = s;
	t->params[i] = s;
}

/* End the transaction without writing and answer a problem afterwards. */
static enum zes_step
agr_refuse(struct agr_txn *t, int status, const char *fmt, ...)
    ZES_PRINTF(3, 4);

static enum zes_step
agr_refuse(struct agr_txn *t, int status, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	zes_txn_vrefuse(&t->ans, status, fmt, ap);
	va_end(ap);
	return ZES_STEP_ROLLBACK;
}

/*
 * The PATCH's new state, checked against the row: types the issuer offers,
 * a last day not before the first (not before today was checked before the
 * transaction, with the rest of the body).  Fills the update's parameters;
 * 400 when anything is wrong, listing the errors found before too.
 */
static enum zes_step
agr_patch_decide(struct agr_txn *t, const PGresult *row,
    struct zes_store_stmt *next)
{
	const struct zes_municipality	*issuer;
	struct zes_req			*r = t->r;
	char				*lit = NULL, num[24];
	const char			*errstr;
	long long			 from;
	int64_t				 day;
	int				 i;

	for (i = 0; i < AGR_TXN_PARAMS; i++)
		agr_param(t, i, NULL);
	agr_param(t, 0, t->id);
	agr_param(t, 4, t->types != NULL ? "true" : "false");
	agr_param(t, 5, t->until != NULL ? "true" : "false");
	agr_param(t, 6, t->note != NULL ? "true" : "false");
	agr_param(t, 7, r->who.name);
	if (t->types != NULL) {
		issuer = zes_rules_municipality(t->rules,
		    PQgetvalue(row, 0, COL_ISSUER));
		if (issuer == NULL)
			zes_req_error(r, "types", "the issuer %s is no longer in "
			    "the rules", PQgetvalue(row, 0, COL_ISSUER));
		else
			agr_types(r, t->rules, t->types, &issuer, 1, &lit);
		agr_param_own(t, 1, lit);
	}
	/* Its shape was checked (and any error listed) before the transaction. */
	if (json_is_string(t->until) &&
	    json_string_length(t->until) == ZES_DATE_TEXT_LEN &&
	    zes_date_parse(json_string_value(t->until), ZES_DATE_TEXT_LEN,
	    &day) == 0) {
		if (zes_strtonum(PQgetvalue(row, 0, COL_FROM_EPOCH), INT64_MIN,
		    INT64_MAX, &from, &errstr) != 0)
			return agr_refuse(t, 500, "a stored validFrom is not a number");
		if (day < zes_time_local_day(from) && day >= agr_today())
			zes_req_error(r, "validUntil", "must not be before validFrom "
			    "(it is the last day the agreement holds)");
		snprintf(num, sizeof(num), "%" PRId64, zes_period_day_end(day));
		agr_param(t, 2, num);
	}
	if (t->note != NULL && json_is_string(t->note))
		agr_param(t, 3, json_string_value(t->note));
	if (r->nerrors > 0) {
		t->ans.status = 400;
		t->ans.rolled_back = 1;
		return ZES_STEP_ROLLBACK;
	}
	next->sql = agr_patch_sql;
	next->nparams = 8;
	next->params = t->params;
	return ZES_STEP_NEXT;
}

/* The steps of a PATCH or DELETE. */
static enum zes_step
agr_txn_step(const struct zes_store_result *prev, struct zes_store_stmt *next,
    void *arg)
{
	struct zes_req	*r = arg;
	struct agr_txn	*t = r->data;
	const PGresult	*p;
	json_t		*item;
	char		 etag[24];

	switch (t->stage++) {
	case 0:
		agr_param(t, 0, t->id);
		next->sql = agr_lock_sql;
		next->nparams = 1;
		next->params = t->params;
		return ZES_STEP_NEXT;
	case 1:
		p = prev->res[0];
		if (PQntuples(p) == 0)
			return agr_refuse(t, 404, "no agreement has this id");
		agr_etag(p, 0, etag, sizeof(etag));
		if (t->if_match != NULL && !agr_if_match(t->if_match, etag))
			return agr_refuse(t, 412, "If-Match does not name the "
			    "agreement's current version; its ETag is %s", etag);
		if (strcmp(PQgetvalue(p, 0, COL_STATUS), "ended") == 0)
			return agr_refuse(t, 409, "the agreement has ended; "
			    "its history stays as it is");
		if (t->kind == AGR_PATCH)
			return agr_patch_decide(t, p, next);
		agr_param(t, 0, t->id);
		agr_param(t, 1, r->who.name);
		next->sql = agr_end_sql;
		next->nparams = 2;
		next->params = t->params;
		return ZES_STEP_NEXT;
	default:
		p = prev->res[0];
		if (PQntuples(p) != 1)
			return agr_refuse(t, 500, "the update returned no row");
		item = agr_item(p, 0);
		t->ans.text = json_dumps(item, JSON_COMPACT);
		json_decref(item);
		if (t->ans.text == NULL)
			zes_fatalx("json_dumps failed");
		agr_etag(p, 0, t->ans.etag, sizeof(t->ans.etag));
		t->ans.status = 200;
		return ZES_STEP_COMMIT;
	}
}

/* The transaction ended: answer what the steps decided (200 only when it committed). */
static void
agr_txn_done(const struct zes_store_result *res, void *arg)
{
	struct zes_req	*r = arg;
	struct agr_txn	*t = r->data;

	r->job = NULL;
	(void)zes_http_txn_done(r, res, &t->ans, agr_store_failed);
}

/* Start the transaction of a PATCH or DELETE (its state in r->data). */
static void
agr_txn_start(struct zes_req *r)
{
	r->job = zes_store_txn(r->w->store, agr_txn_step, agr_txn_done, r);
	if (r->job == NULL)
		zes_http_unavailable(r, "the database is unavailable");
}

/* A new transaction state attached to the request. */
static struct agr_txn *
agr_txn_new(struct zes_req *r, enum agr_kind kind)
{
	struct agr_txn	*t = xcalloc(1, sizeof(*t));
	const char	*h;

	t->r = r;
	t->kind = kind;
	t->rules = zes_rules_ref(r->w->rules);
	snprintf(t->id, sizeof(t->id), "%s", r->params[0]);
	if ((h = agr_header(r, "If-Match")) != NULL)
		t->if_match = xstrdup(h);
	r->data = t;
	r->data_free = agr_txn_free;
	return t;
}

/*
 * PATCH /v1/recognition-agreements/{id} (merge patch: validUntil, types,
 * note; If-Match required).
 */
static void
agr_patch(struct zes_req *r)
{
	static const char *const fixed[] = { "issuer", "recognizer",
	    "validFrom", "mutual" };
	struct agr_txn	*t;
	json_t		*body = r->body, *v;
	size_t		 i;
	int64_t		 day;

	if (agr_header(r, "If-Match") == NULL) {
		zes_http_problem(r, 428, "Precondition required", "a PATCH needs "
		    "If-Match with the agreement's ETag (GET it first)");
		return;
	}
	zes_req_query_check(r, (const char *const[]){ NULL });
	/* Members that cannot change get a clearer word than "unknown". */
	for (i = 0; i < ZES_NELEM(fixed); i++)
		if (json_object_get(body, fixed[i]) != NULL) {
			zes_req_error(r, fixed[i], "cannot be changed: end this "
			    "agreement and make another");
			json_object_del(body, fixed[i]);
		}
	zes_json_check(r, body, "", zes_body_agreement_patch);
	if ((v = json_object_get(body, "types")) != NULL && json_is_null(v))
		zes_req_error(r, "types", "cannot be removed: list 1 or more types");
	if (json_is_string(v = json_object_get(body, "validUntil")) &&
	    agr_date(r, "validUntil", v, &day) == 0 && day < agr_today())
		zes_req_error(r, "validUntil", "must be today or later: the past "
		    "is not rewritten (DELETE ends an agreement now)");
	agr_note(r, json_object_get(body, "note"));
	if (!zes_uuid_valid(r->params[0])) {
		zes_http_problem(r, 404, "Not found", "no agreement has this id");
		return;
	}
	/*
	 * Even with errors the row is read: the types are checked against
	 * its issuer, so that one 400 lists everything (after 404, 412, 409).
	 */
	t = agr_txn_new(r, AGR_PATCH);
	if (json_is_array(v = json_object_get(body, "types")))
		t->types = v;
	if (json_is_string(v = json_object_get(body, "validUntil")) ||
	    json_is_null(v))
		t->until = v;
	if (json_is_string(v = json_object_get(body, "note")) || json_is_null(v))
		t->note = v;
	agr_txn_start(r);
}

/* DELETE /v1/recognition-agreements/{id}: end it now (If-Match optional). */
static void
agr_delete(struct zes_req *r)
{
	if (zes_req_query_check(r, (const char *const[]){ NULL }) > 0) {
		zes_http_invalid(r);
		return;
	}
	if (!zes_uuid_valid(r->params[0])) {
		zes_http_problem(r, 404, "Not found", "no agreement has this id");
		return;
	}
	(void)agr_txn_new(r, AGR_DELETE);
	agr_txn_start(r);
}

/* ---------------------------------------------------------------------- */
/* GET /v1/recognition-matrix?at= */

/* One entry of the matrix before it is grouped by pair. */
struct agr_entry {
	char		 issuer[ZES_MUNICIPALITY_LEN + 1];
	char		 recognizer[ZES_MUNICIPALITY_LEN + 1];
	const char	*type;		/* into the rules or the result */
	const char	*agreement;	/* NULL: statute */
	int64_t		 granted_from;	/* statute: its grantedFrom day */
};

/* The matrix request's state. */
struct agr_matrix_state {
	struct zes_rules	*rules;		/* our own reference */
	int64_t			 at;
};

/* Free the matrix state. */
static void
agr_matrix_free(void *arg)
{
	struct agr_matrix_state	*m = arg;

	if (m != NULL)
		zes_rules_unref(m->rules);
	free(m);
}

/* Order entries by issuer, recognizer, type, then agreement before statute. */
static int
agr_entry_cmp(const void *a, const void *b)
{
	const struct agr_entry	*x = a, *y = b;
	int			 c;

	if ((c = strcmp(x->issuer, y->issuer)) != 0)
		return c;
	if ((c = strcmp(x->recognizer, y->recognizer)) != 0)
		return c;
	if ((c = strcmp(x->type, y->type)) != 0)
		return c;
	if ((x->agreement == NULL) != (y->agreement == NULL))
		return x->agreement == NULL ? 1 : -1;
	return x->agreement == NULL ? 0 : strcmp(x->agreement, y->agreement);
}

/* One entry as a matrix type object. */
static json_t *
agr_entry_json(const struct agr_entry *e)
{
	char	day[ZES_DATE_TEXT_LEN + 1];

	if (e->agreement != NULL)
		return json_pack("{s:s, s:s, s:s}", "type", e->type,
		    "source", "agreement", "agreementId", e->agreement);
	zes_date_format(e->granted_from, day);
	return json_pack("{s:s, s:s, s:s}", "type", e->type, "source",
	    "statute", "grantedFrom", day);
}

/* Has the municipality of this code a zone in the rules (a zone calendar)? */
static int
agr_matrix_zone(const struct zes_rules *rules, const char *code)
{
	const struct zes_municipality	*m;

	m = zes_rules_municipality(rules, code);
	return m != NULL && m->has_zone;
}

/* The terms in force arrived: add the statute, group by pair, answer. */
static void
agr_matrix_done(const struct zes_store_result *res, void *arg)
{
	struct zes_req			*r = arg;
	struct agr_matrix_state		*m = r->data;
	const struct zes_rules		*rules = m->rules;
	const struct zes_statute	*s;
	const PGresult			*p;
	struct agr_entry		*v;
	json_t				*items, *types = NULL;
	char				 at[ZES_TIME_TEXT_LEN + 1];
	size_t				 n = 0, cap, i, j, k, u;

	r->job = NULL;
	if (res->status != ZES_STORE_OK) {
		zes_http_store_failed(r, res);
		return;
	}
	p = res->res[0];
	cap = (size_t)PQntuples(p) + 1;
	for (u = 0; u < rules->national.nstatutes; u++)
		cap += rules->nmunis * rules->nmunis *
		    rules->national.statutes[u].ntypes;
	v = xcalloc(cap, sizeof(*v));
	for (i = 0; i < (size_t)PQntuples(p); i++) {
		/* API.md: pairs of municipalities with a ZE-zone only. */
		if (!agr_matrix_zone(rules, PQgetvalue(p, (int)i, 0)) ||
		    !agr_matrix_zone(rules, PQgetvalue(p, (int)i, 1)))
			continue;
		snprintf(v[n].issuer, sizeof(v[n].issuer), "%s",
		    PQgetvalue(p, (int)i, 0));
		snprintf(v[n].recognizer, sizeof(v[n].recognizer), "%s",
		    PQgetvalue(p, (int)i, 1));
		v[n].type = PQgetvalue(p, (int)i, 2);
		v[n].agreement = PQgetvalue(p, (int)i, 3);
		n++;
	}
	/* DOMAIN.md §6: every zone recognises the statute's types from any issuer. */
	for (u = 0; u < rules->national.nstatutes; u++) {
		s = &rules->national.statutes[u];
		if (!zes_statute_in_force(s, m->at))
			continue;
		for (i = 0; i < rules->nmunis; i++) {
			for (j = 0; j < rules->nmunis; j++) {
				if (i == j || !rules->munis[i].has_zone ||
				    !rules->munis[j].has_zone)
					continue;
				for (k = 0; k < s->ntypes; k++) {
					memcpy(v[n].issuer, rules->munis[i].code,
					    sizeof(v[n].issuer));
					memcpy(v[n].recognizer,
					    rules->munis[j].code,
					    sizeof(v[n].recognizer));
					v[n].type = s->types[k];
					v[n].agreement = NULL;
					v[n].granted_from = s->granted_from_day;
					n++;
				}
			}
		}
	}
	qsort(v, n, sizeof(*v), agr_entry_cmp);
	items = json_array();
	for (i = 0; i < n; i++) {
		if (i == 0 || strcmp(v[i].issuer, v[i - 1].issuer) != 0 ||
		    strcmp(v[i].recognizer, v[i - 1].recognizer) != 0) {
			types = json_array();
			json_array_append_new(items, json_pack("{s:s, s:s, s:o}",
			    "issuer", v[i].issuer, "recognizer", v[i].recognizer,
			    "types", types));
		}
		json_array_append_new(types, agr_entry_json(&v[i]));
	}
	free(v);
	zes_time_format_utc(m->at, at);
	zes_http_reply_json(r, 200, json_pack("{s:s, s:o}", "at", at,
	    "items", items));
}

/* GET /v1/recognition-matrix?at= */
static void
agr_matrix(struct zes_req *r)
{
	static const char *const allowed[] = { "at", NULL };
	struct agr_matrix_state	*m = xcalloc(1, sizeof(*m));
	const char		*v, *params[1];
	char			 at[24];

	r->data = m;
	r->data_free = agr_matrix_free;
	m->rules = zes_rules_ref(r->w->rules);
	m->at = (int64_t)time(NULL);
	zes_req_query_check(r, allowed);
	if ((v = zes_req_query(r, "at")) != NULL)
		(void)agr_instant(r, "at", v, &m->at);
	if (r->nerrors > 0) {
		zes_http_invalid(r);
		return;
	}
	snprintf(at, sizeof(at), "%" PRId64, m->at);
	params[0] = at;
	r->job = zes_store_query(r->w->store, agr_matrix_sql, 1, params,
	    agr_matrix_done, r);
	if (r->job == NULL)
		zes_http_unavailable(r, "the database is unavailable");
}
