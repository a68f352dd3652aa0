/*
 * Applications over HTTP (API.md, Applications): submission decided by the
 * rules engine in one interactive transaction with Idempotency-Key, reads,
 * lists and searches with cursors, assessors' decisions, withdrawals and dry
 * runs.  docs/applications.md tells the lifecycle and the transaction.
 */

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>
#include <openssl/evp.h>

#include "zes/bodies.h"
#include "zes/engine.h"
#include "zes/cursor.h"
#include "zes/http.h"
#include "zes/json.h"
#include "zes/period.h"
#include "zes/plate.h"
#include "zes/routes.h"
#include "zes/store.h"
#include "zes/metrics.h"
#include "zes/worker.h"
#include "zes/xmalloc.h"

#define APP_LIMIT_DEFAULT	50
#define APP_LIMIT_MAX		500
#define APP_KEY_MAX		255	/* Idempotency-Key: visible ASCII */
#define APP_REASON_MAX		4000	/* an assessor's reason (characters) */
#define APP_TXN_PARAMS		24

static void	applications_create(struct zes_req *);
static void	applications_get(struct zes_req *);
static void	applications_list(struct zes_req *);
static void	applications_search(struct zes_req *);
static void	applications_decide(struct zes_req *);
static void	applications_withdraw(struct zes_req *);
static void	applications_evaluate(struct zes_req *);

#define APP_READERS	(ZES_ROLE_DESK | ZES_ROLE_ASSESSOR | ZES_ROLE_ADMIN)

const struct zes_route zes_routes_applications[] = {
	{ .method = EVHTTP_REQ_POST, .path = "/v1/applications",
	  .roles = ZES_ROLE_DESK, .body = ZES_BODY_JSON,
	  .handler = applications_create },
	{ .method = EVHTTP_REQ_GET, .path = "/v1/applications",
	  .roles = APP_READERS, .handler = applications_list },
	{ .method = EVHTTP_REQ_POST, .path = "/v1/applications/_search",
	  .roles = APP_READERS, .body = ZES_BODY_JSON,
	  .safe = 1, .handler = applications_search },
	{ .method = EVHTTP_REQ_GET, .path = "/v1/applications/{id}",
	  .roles = APP_READERS, .handler = applications_get },
	{ .method = EVHTTP_REQ_POST, .path = "/v1/applications/{id}/decision",
	  .roles = ZES_ROLE_ASSESSOR | ZES_ROLE_ADMIN, .body = ZES_BODY_JSON,
	  .handler = applications_decide },
	{ .method = EVHTTP_REQ_POST, .path = "/v1/applications/{id}/withdrawal",
	  .roles = ZES_ROLE_DESK, .body = ZES_BODY_JSON_OPTIONAL,
	  .handler = applications_withdraw },
	{ .method = EVHTTP_REQ_POST, .path = "/v1/evaluations",
	  .roles = APP_READERS, .body = ZES_BODY_JSON,
	  .safe = 1, .handler = applications_evaluate },
	{ 0 }
};

/*
 * The columns of an application row with its exemption, in the order of
 * enum app_col; FROM names the tables as a and e.
 */
#define APP_COLUMNS \
    "a.id::text, a.status, a.body::text," \
    " floor(extract(epoch FROM a.submitted_at))::bigint, a.decision::text," \
    " e.id::text, floor(extract(epoch FROM e.valid_from))::bigint," \
    " floor(extract(epoch FROM e.valid_until))::bigint, a.fee_cents," \
    " floor(extract(epoch FROM a.withdrawn_at))::bigint, a.scope, a.type," \
    " a.municipality, a.plate, a.country"
#define APP_FROM \
    " FROM applications a LEFT JOIN exemptions e ON e.id = a.exemption_id"

enum app_col {
	APP_C_ID = 0,
	APP_C_STATUS,
	APP_C_BODY,
	APP_C_SUBMITTED,
	APP_C_DECISION,
	APP_C_EX_ID,
	APP_C_EX_FROM,
	APP_C_EX_UNTIL,
	APP_C_FEE,
	APP_C_WITHDRAWN,
	APP_C_SCOPE,
	APP_C_TYPE,
	APP_C_MUNICIPALITY,
	APP_C_PLATE,
	APP_C_COUNTRY,
	APP_C_END,
};

static const char app_get_sql[] =
    "SELECT " APP_COLUMNS APP_FROM " WHERE a.id = $1::uuid";

/* A decision or withdrawal locks the row first; the last column is a fresh id. */
static const char app_lock_row_sql[] =
    "SELECT " APP_COLUMNS ", gen_random_uuid()::text" APP_FROM
    " WHERE a.id = $1::uuid FOR UPDATE OF a";

/*
 * A submission's first statement: the locks (the caller's Idempotency-Key,
 * then the plate), then, after them, what the engine needs about the plate,
 * the caller's live Idempotency-Key record and two fresh ids
 * (zes_application_begin() and zes_application_read() of schema/0005).
 * $1 token, $2 Idempotency-Key or NULL, $3 country, $4 plate.
 */
static const char app_begin_sql[] =
    "SELECT * FROM zes_application_begin($1::uuid, $2, $3, $4)";

/* The same read without locks, for a dry run: $1 plate, $2 country. */
static const char app_read_sql[] =
    "SELECT * FROM zes_application_read($1, $2, NULL, NULL)";

/*
 * A submission's writes and audit entries in one statement: the exemption
 * when granted ($2 not NULL), the application, the Idempotency-Key record
 * when a key was given ($17 not NULL), and the audit entries, inserted
 * pending as zes_audit_append() does (schema/0005_audit_link.sql: no lock,
 * the linker chains them after COMMIT), written out here to spare two
 * function calls per submission; the submission's entry first.
 */
static const char app_insert_sql[] =
    "WITH ex AS (INSERT INTO exemptions (id, plate, country, scope, type,"
    "  issuer, valid_from, valid_until, granted_at, application_id)"
    "  SELECT $2::uuid, $5, $6, $3, $4, coalesce($7, 'national'),"
    "  to_timestamp($12::bigint), to_timestamp($13::bigint),"
    "  to_timestamp($10::bigint), $1::uuid WHERE $2::uuid IS NOT NULL"
    "  RETURNING id),"
    " app AS (INSERT INTO applications (id, status, scope, type, municipality,"
    "  plate, country, kvk, body, fee_cents, submitted_at, submitted_by,"
    "  decision, decided_at, exemption_id)"
    "  VALUES ($1::uuid, $8, $3, $4, $7, $5, $6, $9, $11::jsonb, $14::bigint,"
    "  to_timestamp($10::bigint), $15::uuid, $16::jsonb,"
    "  CASE WHEN $8 IN ('granted', 'rejected') THEN to_timestamp($10::bigint) END,"
    "  $2::uuid) RETURNING id),"
    " idem AS (INSERT INTO idempotency_keys (token_id, key, request_hash,"
    "  status, application_id, location, body)"
    "  SELECT $15::uuid, $17, decode($18, 'hex'), 201, $1::uuid,"
    "  '/v1/applications/' || $1, $19 WHERE $17::text IS NOT NULL RETURNING 1),"
    " aud AS (INSERT INTO audit_entries (at, actor, action, object, detail)"
    "  SELECT clock_timestamp(), $20, v.action, v.object, v.detail"
    "  FROM (VALUES (1, 'application.submit', 'application/' || $1, $21::jsonb"
    "  || jsonb_build_object('plateHash', zes_plate_hash($6, $5))),"
    "  (2, 'exemption.grant', 'exemption/' || $2, $22::jsonb"
    "  || jsonb_build_object('plateHash', zes_plate_hash($6, $5))))"
    "  v (n, action, object, detail)"
    "  WHERE v.object IS NOT NULL ORDER BY v.n RETURNING 1)"
    " SELECT (SELECT count(*) FROM app), (SELECT count(*) FROM ex),"
    " (SELECT count(*) FROM idem), (SELECT count(*) FROM aud)";

/*
 * An assessor's decision: the exemption when granted ($2 not NULL), the
 * application's new state, and the audit entries (only for what changed:
 * the row is locked, so it always changes).
 */
static const char app_decide_sql[] =
    "WITH ex AS (INSERT INTO exemptions (id, plate, country, scope, type,"
    "  issuer, valid_from, valid_until, granted_at, application_id)"
    "  SELECT $2::uuid, a.plate, a.country, a.scope, a.type, a.issuer,"
    "  to_timestamp($10::bigint), to_timestamp($11::bigint),"
    "  to_timestamp($5::bigint), a.id FROM applications a"
    "  WHERE a.id = $1::uuid AND $2::uuid IS NOT NULL RETURNING id),"
    " app AS (UPDATE applications SET status = $3, decision = $4::jsonb,"
    "  decided_at = to_timestamp($5::bigint), decided_by = $6::uuid,"
    "  exemption_id = $2::uuid WHERE id = $1::uuid AND status = 'in_review'"
    "  RETURNING id, jsonb_build_object('plateHash',"
    "  zes_plate_hash(country, plate)) AS h)"
    " SELECT (SELECT count(*) FROM app), (SELECT count(*) FROM ex),"
    " CASE WHEN EXISTS (SELECT FROM app) THEN zes_audit_append($7,"
    "  'application.decide', 'application/' || $1,"
    "  $8::jsonb || (SELECT h FROM app)) END,"
    " CASE WHEN EXISTS (SELECT FROM ex) THEN zes_audit_append($7,"
    "  'exemption.grant', 'exemption/' || $2,"
    "  $9::jsonb || (SELECT h FROM app)) END";

static const char app_withdraw_sql[] =
    "WITH app AS (UPDATE applications SET status = 'withdrawn',"
    "  withdrawn_at = to_timestamp($2::bigint), withdrawn_by = $3::uuid"
    "  WHERE id = $1::uuid AND status = 'in_review' RETURNING id,"
    "  jsonb_build_object('plateHash', zes_plate_hash(country, plate)) AS h)"
    " SELECT (SELECT count(*) FROM app),"
    " CASE WHEN EXISTS (SELECT FROM app) THEN zes_audit_append($4,"
    "  'application.withdraw', 'application/' || $1,"
    "  $5::jsonb || (SELECT h FROM app)) END";

/* Every filter is optional (NULL); newest first, keyset on (submitted_at, id). */
static const char app_list_sql[] =
    "SELECT " APP_COLUMNS APP_FROM
    " WHERE ($1::text IS NULL OR a.municipality = $1)"
    " AND ($2::text IS NULL OR a.status = $2)"
    " AND ($3::text IS NULL OR a.type = $3)"
    " AND ($4::text IS NULL OR a.scope = $4)"
    " AND ($5::bigint IS NULL OR a.submitted_at >= to_timestamp($5::bigint))"
    " AND ($6::bigint IS NULL OR a.submitted_at < to_timestamp($6::bigint))"
    " AND ($7::text IS NULL OR (a.plate = $7 AND a.country = $8))"
    " AND ($9::text IS NULL OR a.kvk = $9)"
    " AND ($10::bigint IS NULL OR (a.submitted_at, a.id) <"
    "  (to_timestamp($10::bigint), $11::uuid))"
    " ORDER BY a.submitted_at DESC, a.id DESC LIMIT $12::int";

/* ---------------------------------------------------------------------- */
/* Small helpers */

/* 16 bytes from 32 hex digits; -1 when s is not that. */
static int
app_hex16(const char *s, uint8_t out[16])
{
	static const char	hex[] = "0123456789abcdef";
	const char		*hi, *lo;
	int			 i;

	if (s == NULL || strlen(s) != 32)
		return -1;
	for (i = 0; i < 16; i++) {
		if ((hi = strchr(hex, s[2 * i])) == NULL || s[2 * i] == '\0' ||
		    (lo = strchr(hex, s[2 * i + 1])) == NULL || s[2 * i + 1] == '\0')
			return -1;
		out[i] = (uint8_t)(((hi - hex) << 4) | (lo - hex));
	}
	return 0;
}

/* An instant as RFC 3339 UTC text in a new JSON string. */
static json_t *
app_time_json(int64_t t)
{
	char	buf[ZES_TIME_TEXT_LEN + 1];

	zes_time_format_utc(t, buf);
	return json_string(buf);
}

/* A fee in cents as euros: an integer when whole, else a number. */
static json_t *
app_fee_json(int64_t cents)
{
	if (cents % 100 == 0)
		return json_integer((json_int_t)(cents / 100));
	return json_real((double)cents / 100.0);
}

/* A decimal integer column (may be NULL: then `none`). */
static int64_t
app_col_int(const PGresult *res, int row, int col, int64_t none)
{
	if (PQgetisnull(res, row, col))
		return none;
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* A text column, or NULL when SQL NULL. */
static const char *
app_col_text(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/* A JSON string's value, or "" when v is not a string. */
static const char *
app_str(const json_t *v)
{
	const char	*s = json_string_value(v);

	return s != NULL ? s : "";
}

/*
 * A new object with obj's members, those named in `order` first in that
 * order and the rest after them as they come (jsonb keeps its own order).
 */
static json_t *
app_ordered(const json_t *obj, const char *const *order)
{
	json_t		*out = json_object(), *v;
	const char	*key;
	size_t		 i;

	for (i = 0; order[i] != NULL; i++)
		if ((v = json_object_get(obj, order[i])) != NULL)
			json_object_set(out, order[i], v);
	json_object_foreach((json_t *)obj, key, v)
		if (json_object_get(out, key) == NULL)
			json_object_set(out, key, v);
	return out;
}

/* A decision object in the order API.md writes it. */
static json_t *
app_decision_ordered(const json_t *d)
{
	static const char *const order[] = { "outcome", "reasons", "ruleSet",
	    "decidedAt", "decidedBy", NULL };
	static const char *const rs_order[] = { "municipality", "version",
	    "sha256", NULL };
	json_t	*out = app_ordered(d, order), *rs;

	if (json_is_object(rs = json_object_get(d, "ruleSet")))
		json_object_set_new(out, "ruleSet", app_ordered(rs, rs_order));
	return out;
}

/* An application as answered (API.md): the view of one. */
struct app_view {
	const char	*id;
	const char	*status;
	const json_t	*body;		/* the normalised application */
	int64_t		 submitted_at;
	int64_t		 withdrawn_at;	/* INT64_MIN: not withdrawn */
	int64_t		 fee_cents;
	const json_t	*decision;
	const char	*exemption_id;	/* NULL: none */
	int64_t		 valid_from, valid_until;
};

/* The application's JSON (a new object). */
static json_t *
app_json(const struct app_view *v)
{
	static const char *const order[] = { "scope", "type", "municipality",
	    "plate", "plateDisplay", "country", "applicant", "period",
	    "evidence", NULL };
	json_t		*out, *body, *val;
	const char	*key;

	out = json_pack("{s:s, s:s}", "id", v->id, "status", v->status);
	body = app_ordered(v->body, order);
	json_object_foreach(body, key, val)
		json_object_set(out, key, val);
	json_decref(body);
	json_object_set_new(out, "submittedAt", app_time_json(v->submitted_at));
	if (v->withdrawn_at != INT64_MIN)
		json_object_set_new(out, "withdrawnAt",
		    app_time_json(v->withdrawn_at));
	json_object_set_new(out, "feeEur", app_fee_json(v->fee_cents));
	json_object_set_new(out, "decision", app_decision_ordered(v->decision));
	if (v->exemption_id != NULL)
		json_object_set_new(out, "exemption", json_pack("{s:s, s:o, s:o}",
		    "id", v->exemption_id, "validFrom", app_time_json(v->valid_from),
		    "validUntil", app_time_json(v->valid_until)));
	else
		json_object_set_new(out, "exemption", json_null());
	return out;
}

/* A row of APP_COLUMNS as a view; *body and *decision are new references. */
static int
app_row_view(const PGresult *res, int i, struct app_view *v, json_t **body,
    json_t **decision)
{
	*body = json_loads(PQgetvalue(res, i, APP_C_BODY), 0, NULL);
	*decision = json_loads(PQgetvalue(res, i, APP_C_DECISION), 0, NULL);
	if (!json_is_object(*body) || !json_is_object(*decision)) {
		json_decref(*body);
		json_decref(*decision);
		*body = *decision = NULL;
		return -1;
	}
	memset(v, 0, sizeof(*v));
	v->id = PQgetvalue(res, i, APP_C_ID);
	v->status = PQgetvalue(res, i, APP_C_STATUS);
	v->body = *body;
	v->submitted_at = app_col_int(res, i, APP_C_SUBMITTED, 0);
	v->withdrawn_at = app_col_int(res, i, APP_C_WITHDRAWN, INT64_MIN);
	v->fee_cents = app_col_int(res, i, APP_C_FEE, 0);
	v->decision = *decision;
	v->exemption_id = app_col_text(res, i, APP_C_EX_ID);
	v->valid_from = app_col_int(res, i, APP_C_EX_FROM, 0);
	v->valid_until = app_col_int(res, i, APP_C_EX_UNTIL, 0);
	return 0;
}

/* A row of APP_COLUMNS as the application's JSON, or NULL when it is damaged. */
static json_t *
app_row_json(const PGresult *res, int i)
{
	struct app_view	 v;
	json_t		*body, *decision, *out;

	if (app_row_view(res, i, &v, &body, &decision) != 0)
		return NULL;
	out = app_json(&v);
	json_decref(body);
	json_decref(decision);
	return out;
}

/* The rules' decision as answered (a new object). */
static json_t *
app_decision_json(const struct zes_decision *d,
    const struct zes_ruleset_info *rs, int64_t at)
{
	json_t	*reasons = json_array();
	size_t	 i;

	for (i = 0; i < d->nreasons && i < ZES_REASONS_MAX; i++)
		json_array_append_new(reasons, json_pack("{s:s, s:s}",
		    "code", d->reasons[i].code, "message", d->reasons[i].message));
	return json_pack("{s:s, s:o, s:{s:s, s:s, s:s}, s:o, s:s}",
	    "outcome", zes_outcome_name(d->outcome), "reasons", reasons,
	    "ruleSet", "municipality", rs->issuer, "version", rs->version,
	    "sha256", rs->sha256, "decidedAt", app_time_json(at),
	    "decidedBy", "rules");
}

/* The rule set that decides: the municipality's or the national one. */
static const struct zes_ruleset_info *
app_ruleset(const struct zes_rules *rules, const struct zes_app *a,
    const struct zes_decision *d)
{
	if (d != NULL && d->ruleset != NULL)
		return d->ruleset;
	if (a->municipality != NULL)
		return a->municipality->info;
	return &rules->national_info;
}

/* Receives zes_app_parse()'s errors as the request's field errors. */
static void
app_error_cb(void *arg, const char *field, const char *message)
{
	zes_req_error(arg, field, "%s", message);
}

/* Keeps zes_app_parse()'s first error as "field: message" in arg (256 bytes). */
static void
app_first_error_cb(void *arg, const char *field, const char *message)
{
	char	*first = arg;

	if (first[0] == '\0')
		snprintf(first, 256, "%s: %s", field, message);
}

/*
 * The plate's exemptions as read by zes_application_read() (a JSON array of
 * [id hex, type, issuer, from, until, granted, revoked|null]) into a new
 * array (*out, caller frees); -1 when malformed.
 */
static int
app_exemptions(const char *text, struct zes_exemption **out, size_t *n)
{
	json_t			*a, *e;
	struct zes_exemption	*v;
	size_t			 i;

	*out = NULL;
	*n = 0;
	if ((a = json_loads(text, 0, NULL)) == NULL)
		return -1;
	if (!json_is_array(a)) {
		json_decref(a);
		return -1;
	}
	v = xcalloc(json_array_size(a) + 1, sizeof(*v));
	json_array_foreach(a, i, e) {
		if (!json_is_array(e) || json_array_size(e) != 7 ||
		    app_hex16(json_string_value(json_array_get(e, 0)),
		    v[i].id) != 0) {
			free(v);
			json_decref(a);
			return -1;
		}
		snprintf(v[i].type, sizeof(v[i].type), "%s",
		    app_str(json_array_get(e, 1)));
		snprintf(v[i].issuer, sizeof(v[i].issuer), "%s",
		    app_str(json_array_get(e, 2)));
		v[i].valid_from = json_integer_value(json_array_get(e, 3));
		v[i].valid_until = json_integer_value(json_array_get(e, 4));
		v[i].granted_at = json_integer_value(json_array_get(e, 5));
		v[i].revoked_at = json_is_integer(json_array_get(e, 6)) ?
		    json_integer_value(json_array_get(e, 6)) : INT64_MAX;
	}
	*out = v;
	*n = json_array_size(a);
	json_decref(a);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Transactions: submission, decision, withdrawal */

enum app_kind {
	APP_SUBMIT = 0,
	APP_DECIDE,
	APP_WITHDRAW,
};

/*
 * One request's interactive transaction (zes_store_txn).  Owned by the
 * request (r->data): when the request ends early the store abandons the job
 * and never calls the step or done again, so nothing here outlives r.
 */
struct app_txn {
	struct zes_req		*r;
	struct zes_rules	*rules;		/* our own reference (reloads swap the worker's) */
	enum app_kind		 kind;
	int			 stage;		/* statements answered so far */
	/* The statement in flight: the store keeps them until the next step. */
	const char		*params[APP_TXN_PARAMS];
	char			*owned[APP_TXN_PARAMS];
	/* Submission. */
	struct zes_app		 app;
	int			 have_app;
	char			*key;		/* Idempotency-Key, or NULL */
	char			 hash[65];	/* SHA-256 of the request (hex) */
	/* Decision. */
	char			 id[ZES_UUID_LEN + 1];
	int			 grant;
	char			*reason;
	int64_t			 last_day;	/* validUntil, ZES_DAY_NONE when absent */
	/* The answer, decided in the transaction and sent from the done callback. */
	struct zes_txn_answer	 ans;
	int			 metric;	/* enum zes_metrics_app counted on commit, -1: none */
	int			 by_rules;
};

/* Free a transaction's state (the request's data_free). */
static void
app_txn_free(void *arg)
{
	struct app_txn	*t = arg;
	int		 i;

	if (t == NULL)
		return;
	for (i = 0; i < APP_TXN_PARAMS; i++)
		free(t->owned[i]);
	if (t->have_app)
		zes_app_clear(&t->app);
	zes_rules_unref(t->rules);
	free(t->key);
	free(t->reason);
	zes_txn_answer_clear(&t->ans);
	free(t);
}

/* A new transaction state attached to the request. */
static struct app_txn *
app_txn_new(struct zes_req *r, enum app_kind kind)
{
	struct app_txn	*t = xcalloc(1, sizeof(*t));

	t->r = r;
	t->kind = kind;
	t->rules = zes_rules_ref(r->w->rules);
	t->last_day = ZES_DAY_NONE;
	t->metric = -1;
	r->data = t;
	r->data_free = app_txn_free;
	return t;
}

/* Forget the previous statement's parameters. */
static void
app_params_reset(struct app_txn *t)
{
	int	i;

	for (i = 0; i < APP_TXN_PARAMS; i++) {
		free(t->owned[i]);
		t->owned[i] = NULL;
		t->params[i] = NULL;
	}
}

/* Parameter i (0-based) is a copy of s, or NULL. */
static void
app_param(struct app_txn *t, int i, const char *s)
{
	free(t->owned[i]);
	t->owned[i] = s != NULL ? xstrdup(s) : NULL;
	t->params[i] = t->owned[i];
}

/* Parameter i is a decimal integer. */
static void
app_param_int(struct app_txn *t, int i, int64_t v)
{
	char	buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	app_param(t, i, buf);
}

/* Parameter i is the compact text of a JSON value (the value is released). */
static void
app_param_json(struct app_txn *t, int i, json_t *v)
{
	free(t->owned[i]);
	t->owned[i] = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (t->owned[i] == NULL)
		zes_fatalx("json_dumps failed");
	t->params[i] = t->owned[i];
	json_decref(v);
}

/*
 * Fill the next statement from the parameters set.  Every statement of a
 * transaction here is a prepared one, named after its SQL's variable:
 * each runs with the same shape whatever the request, so the server's
 * generic plan serves, and it parses and plans it once per connection.
 */
static enum zes_step
app_next(struct app_txn *t, struct zes_store_stmt *next, const char *name,
    const char *sql, int nparams)
{
	next->name = name;
	next->sql = sql;
	next->nparams = nparams;
	next->params = t->params;
	return ZES_STEP_NEXT;
}

/* End the transaction without writing and answer a problem afterwards. */
static enum zes_step
app_refuse(struct app_txn *t, int status, const char *fmt, ...)
    ZES_PRINTF(3, 4);

static enum zes_step
app_refuse(struct app_txn *t, int status, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	zes_txn_vrefuse(&t->ans, status, fmt, ap);
	va_end(ap);
	return ZES_STEP_ROLLBACK;
}

/*
 * The transaction ended: answer what the steps decided, but a 200 or 201
 * only when COMMIT succeeded; a store failure otherwise.
 */
static void
app_txn_done(const struct zes_store_result *res, void *arg)
{
	struct zes_req		*r = arg;
	struct app_txn		*t = r->data;
	struct zes_metrics	*metrics = r->w->metrics;
	int			 metric = t->metric, by_rules = t->by_rules;

	r->job = NULL;
	/* Answering frees r and t: what the counter needs is read before. */
	if (zes_http_txn_done(r, res, &t->ans, zes_http_store_failed) && metric >= 0)
		zes_metrics_application(metrics, (enum zes_metrics_app)metric,
		    by_rules);
}

/* The SHA-256 of a submission (method, path, canonical body) as hex. */
static void
app_request_hash(const json_t *body, char out[65])
{
	static const char	hex[] = "0123456789abcdef";
	EVP_MD_CTX		*ctx;
	unsigned char		 md[32];
	unsigned int		 mdlen = 0;
	char			*canon;
	int			 i;

	/* Sorted keys, no whitespace: equal JSON values hash alike. */
	canon = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	if (canon == NULL || (ctx = EVP_MD_CTX_new()) == NULL)
		zes_fatalx("request hash: out of memory");
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, "POST /v1/applications\n", 22) != 1 ||
	    EVP_DigestUpdate(ctx, canon, strlen(canon)) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32)
		zes_fatalx("request hash: SHA-256 failed");
	EVP_MD_CTX_free(ctx);
	free(canon);
	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

/*
 * The Idempotency-Key read into the request's own copy (*key; NULL when
 * absent); an error of the request when it is malformed.
 */
static void
app_idempotency_key(struct zes_req *r, char **key)
{
	const char	*k;
	size_t		 i, n;

	*key = NULL;
	k = evhttp_find_header(evhttp_request_get_input_headers(r->ev),
	    "Idempotency-Key");
	if (k == NULL)
		return;
	n = strlen(k);
	for (i = 0; i < n; i++)
		if (k[i] < '!' || k[i] > '~')
			break;
	if (n == 0 || n > APP_KEY_MAX || i < n) {
		zes_req_error(r, "Idempotency-Key", "must be 1 to %d visible"
		    " ASCII characters", APP_KEY_MAX);
		return;
	}
	*key = xstrdup(k);
}

/*
 * The submission read what the database knows: answer a replay or a 422
 * for a known key, or decide with the engine and write everything.
 */
static enum zes_step
app_submit_decide(struct app_txn *t, const PGresult *res,
    struct zes_store_stmt *next)
{
	struct zes_req			*r = t->r;
	const struct zes_app		*a = &t->app;
	struct zes_vehicle		 vehicle;
	struct zes_exemption		*exs = NULL;
	size_t				 nexs = 0;
	struct zes_engine_input		 in;
	struct zes_decision		 d;
	const struct zes_ruleset_info	*rs;
	struct app_view			 view;
	const char			*status, *app_id, *ex_id = NULL;
	json_t				*rec, *decision, *answer;
	int64_t				 now;
	int				 have_vehicle;

	if (PQntuples(res) != 1 || PQnfields(res) != 5)
		return app_refuse(t, 500, "unexpected read result");
	/* A live record of this key: the first answer again, or 422. */
	if (!PQgetisnull(res, 0, 2)) {
		rec = json_loads(PQgetvalue(res, 0, 2), 0, NULL);
		if (!json_is_array(rec) || json_array_size(rec) != 4) {
			json_decref(rec);
			return app_refuse(t, 500, "damaged Idempotency-Key record");
		}
		if (strcmp(app_str(json_array_get(rec, 0)),
		    t->hash) != 0) {
			json_decref(rec);
			return app_refuse(t, 422, "this Idempotency-Key was used"
			    " with another request; use a new key for a new"
			    " application");
		}
		t->ans.status = (int)json_integer_value(json_array_get(rec, 1));
		t->ans.location = xstrdup(app_str(json_array_get(rec, 2)));
		t->ans.text = xstrdup(app_str(json_array_get(rec, 3)));
		t->ans.rolled_back = 1;
		json_decref(rec);
		return ZES_STEP_ROLLBACK;
	}
	have_vehicle = !PQgetisnull(res, 0, 0);
	if ((have_vehicle && zes_vehicle_from_json(PQgetvalue(res, 0, 0), &vehicle) != 0) ||
	    app_exemptions(PQgetvalue(res, 0, 1), &exs, &nexs) != 0)
		return app_refuse(t, 500, "unexpected register or exemption row");

	now = (int64_t)time(NULL);
	memset(&in, 0, sizeof(in));
	in.rules = t->rules;
	in.app = a;
	in.vehicle = have_vehicle ? &vehicle : NULL;
	in.exemptions = exs;
	in.nexemptions = nexs;
	in.now = now;
	zes_engine_evaluate(&in, &d);
	free(exs);

	rs = app_ruleset(t->rules, a, &d);
	status = zes_outcome_name(d.outcome);
	app_id = PQgetvalue(res, 0, 3);
	if (d.outcome == ZES_OUTCOME_GRANTED)
		ex_id = PQgetvalue(res, 0, 4);
	decision = app_decision_json(&d, rs, now);

	memset(&view, 0, sizeof(view));
	view.id = app_id;
	view.status = status;
	view.body = a->body;
	view.submitted_at = now;
	view.withdrawn_at = INT64_MIN;
	view.fee_cents = d.fee_cents;
	view.decision = decision;
	view.exemption_id = ex_id;
	view.valid_from = d.valid_from;
	view.valid_until = d.valid_until;
	answer = app_json(&view);
	t->ans.text = json_dumps(answer, JSON_COMPACT);
	json_decref(answer);
	if (t->ans.text == NULL)
		zes_fatalx("json_dumps failed");
	xasprintf(&t->ans.location, "/v1/applications/%s", app_id);
	t->ans.status = 201;
	t->metric = d.outcome == ZES_OUTCOME_GRANTED ? ZES_METRICS_APP_GRANTED :
	    d.outcome == ZES_OUTCOME_REJECTED ? ZES_METRICS_APP_REJECTED :
	    ZES_METRICS_APP_IN_REVIEW;
	t->by_rules = 1;

	app_params_reset(t);
	app_param(t, 0, app_id);
	app_param(t, 1, ex_id);
	app_param(t, 2, a->national ? "national" : "municipal");
	app_param(t, 3, a->type);
	app_param(t, 4, a->plate.text);
	app_param(t, 5, a->plate.country);
	app_param(t, 6, a->municipality != NULL ? a->municipality->code : NULL);
	app_param(t, 7, status);
	app_param(t, 8, a->kvk[0] != '\0' ? a->kvk : NULL);
	app_param_int(t, 9, now);
	app_param_json(t, 10, json_incref(a->body));
	if (ex_id != NULL) {
		app_param_int(t, 11, d.valid_from);
		app_param_int(t, 12, d.valid_until);
	}
	app_param_int(t, 13, d.fee_cents);
	app_param(t, 14, r->who.id);
	app_param_json(t, 15, decision);
	app_param(t, 16, t->key);
	app_param(t, 17, t->key != NULL ? t->hash : NULL);
	app_param(t, 18, t->key != NULL ? t->ans.text : NULL);
	app_param(t, 19, r->who.name);
	/*
	 * The audit trail holds no plate, KvK number or e-mail address: the
	 * statement adds the plate's keyed hash (schema/0006, zes_plate_hash).
	 */
	app_param_json(t, 20, json_pack("{s:s, s:s?, s:s, s:s?}",
	    "type", a->type, "municipality",
	    a->municipality != NULL ? a->municipality->code : NULL,
	    "outcome", status, "exemptionId", ex_id));
	app_param_json(t, 21, json_pack("{s:s, s:s, s:s}", "type", a->type,
	    "issuer", a->municipality != NULL ? a->municipality->code : "national",
	    "applicationId", app_id));
	return app_next(t, next, "app_insert", app_insert_sql, 22);
}

/* The steps of a submission: lock and read, decide and write, commit. */
static enum zes_step
app_submit_step(const struct zes_store_result *prev, struct zes_store_stmt *next,
    void *arg)
{
	struct zes_req	*r = arg;
	struct app_txn	*t = r->data;

	switch (t->stage++) {
	case 0:
		app_params_reset(t);
		app_param(t, 0, r->who.id);
		app_param(t, 1, t->key);
		app_param(t, 2, t->app.plate.country);
		app_param(t, 3, t->app.plate.text);
		return app_next(t, next, "app_begin", app_begin_sql, 4);
	case 1:
		return app_submit_decide(t, prev->res[0], next);
	case 2:
		/* One application, and an audit entry for it and its exemption. */
		if (PQntuples(prev->res[0]) != 1 || PQnfields(prev->res[0]) != 4 ||
		    strcmp(PQgetvalue(prev->res[0], 0, 0), "1") != 0 ||
		    atoi(PQgetvalue(prev->res[0], 0, 3)) !=
		    1 + atoi(PQgetvalue(prev->res[0], 0, 1)))
			return app_refuse(t, 500, "the application was not written");
		return ZES_STEP_COMMIT;
	default:
		zes_fatalx("submission: step %d", t->stage);
	}
}

/* POST /v1/applications */
static void
applications_create(struct zes_req *r)
{
	struct app_txn	*t;
	int64_t		 today;

	zes_req_query_check(r, (const char *const[]){ NULL });
	if (r->w->rules == NULL) {
		zes_http_unavailable(r, "the rules are not loaded");
		return;
	}
	t = app_txn_new(r, APP_SUBMIT);
	app_idempotency_key(r, &t->key);
	today = zes_time_local_day((int64_t)time(NULL));
	if (zes_app_parse(r->body, t->rules, today, &t->app, app_error_cb, r) == 0)
		t->have_app = 1;
	if (r->nerrors > 0) {
		zes_http_invalid(r);
		return;
	}
	if (t->key != NULL)
		app_request_hash(r->body, t->hash);
	r->job = zes_store_txn(r->w->store, app_submit_step, app_txn_done, r);
	if (r->job == NULL)
		zes_http_unavailable(r, "the database is unavailable");
}

/* ---------------------------------------------------------------------- */
/* Decision and withdrawal */

/*
 * The locked row of a decision or withdrawal: 404, 403 and 409 first.
 * Returns 0 to go on, or -1 with the transaction refused (*step set).
 */
static int
app_transition_check(struct app_txn *t, const PGresult *res, enum zes_step *step)
{
	const struct zes_principal	*who = &t->r->who;
	const char			*muni;

	if (PQntuples(res) == 0) {
		*step = app_refuse(t, 404, "no application has this id");
		return -1;
	}
	muni = app_col_text(res, 0, APP_C_MUNICIPALITY);
	/* An assessor decides for its own municipality only (admin everywhere). */
	if (t->kind == APP_DECIDE && who->role == ZES_ROLE_ASSESSOR &&
	    (muni == NULL || strcmp(muni, who->municipality) != 0)) {
		*step = app_refuse(t, 403, "an assessor of %s may not decide an"
		    " application for %s", who->municipality,
		    muni != NULL ? muni : "a national exemption");
		return -1;
	}
	if (strcmp(PQgetvalue(res, 0, APP_C_STATUS), "in_review") != 0) {
		*step = app_refuse(t, 409, "the application is %s, not in_review",
		    PQgetvalue(res, 0, APP_C_STATUS));
		return -1;
	}
	return 0;
}

/*
 * The validity an assessor's grant gives: the stored application parsed
 * again on its submission day, and the engine's assessor period.  Returns 0
 * with [*from, *until), or -1 with the transaction refused (*step set).
 */
static int
app_grant_period(struct app_txn *t, const PGresult *res, int64_t *from,
    int64_t *until, const struct zes_ruleset_info **rs, enum zes_step *step)
{
	struct zes_req	*r = t->r;
	json_t		*body;
	const char	*why = NULL;
	char		 first[256];
	size_t		 nerr;
	int64_t		 day;

	body = json_loads(PQgetvalue(res, 0, APP_C_BODY), 0, NULL);
	/* plateDisplay is derived, and the parser takes it from the plate. */
	if (json_is_object(body))
		json_object_del(body, "plateDisplay");
	day = zes_time_local_day(app_col_int(res, 0, APP_C_SUBMITTED, 0));
	first[0] = '\0';
	nerr = zes_app_parse(body, t->rules, day, &t->app, app_first_error_cb,
	    first);
	json_decref(body);
	if (nerr > 0) {
		/* The rules in force no longer accept what they accepted then. */
		*step = app_refuse(t, 409, "the application no longer fits the"
		    " rules in force (%s)", first);
		return -1;
	}
	t->have_app = 1;
	*rs = app_ruleset(t->rules, &t->app, NULL);
	if (zes_engine_assessor_period(t->rules, &t->app, t->last_day, from,
	    until, &why) != 0) {
		zes_req_error(r, "validUntil", "%s", why != NULL ? why :
		    "is not a validity this type allows");
		t->ans.status = 400;
		t->ans.rolled_back = 1;
		*step = ZES_STEP_ROLLBACK;
		return -1;
	}
	return 0;
}

/* The decision's row arrived: check, compute, write. */
static enum zes_step
app_decide_write(struct app_txn *t, const PGresult *res,
    struct zes_store_stmt *next)
{
	struct zes_req			*r = t->r;
	const struct zes_ruleset_info	*rs = NULL;
	struct zes_municipality const	*m;
	struct app_view			 view;
	json_t				*body, *decision, *answer, *old;
	enum zes_step			 step;
	int64_t				 now = (int64_t)time(NULL);
	int64_t				 from = 0, until = 0;
	const char			*muni, *ex_id = NULL;

	if (app_transition_check(t, res, &step) != 0)
		return step;
	muni = app_col_text(res, 0, APP_C_MUNICIPALITY);
	if (t->grant) {
		if (app_grant_period(t, res, &from, &until, &rs, &step) != 0)
			return step;
		ex_id = PQgetvalue(res, 0, APP_C_END);
	} else {
		m = muni != NULL ? zes_rules_municipality(t->rules, muni) : NULL;
		rs = m != NULL ? m->info : &t->rules->national_info;
	}
	decision = json_pack("{s:s, s:[{s:s, s:s}], s:{s:s, s:s, s:s}, s:o, s:s}",
	    "outcome", t->grant ? "granted" : "rejected",
	    "reasons", "code", t->grant ? "assessor_granted" : "assessor_rejected",
	    "message", t->reason,
	    "ruleSet", "municipality", rs->issuer, "version", rs->version,
	    "sha256", rs->sha256, "decidedAt", app_time_json(now),
	    "decidedBy", r->who.name);

	if (app_row_view(res, 0, &view, &body, &old) != 0) {
		json_decref(decision);
		return app_refuse(t, 500, "damaged application row");
	}
	view.status = t->grant ? "granted" : "rejected";
	view.decision = decision;
	view.exemption_id = ex_id;
	view.valid_from = from;
	view.valid_until = until;
	answer = app_json(&view);
	t->ans.text = json_dumps(answer, JSON_COMPACT);
	json_decref(answer);
	json_decref(body);
	json_decref(old);
	t->ans.status = 200;
	t->metric = t->grant ? ZES_METRICS_APP_GRANTED : ZES_METRICS_APP_REJECTED;
	snprintf(t->id, sizeof(t->id), "%s", PQgetvalue(res, 0, APP_C_ID));

	app_params_reset(t);
	app_param(t, 0, t->id);
	app_param(t, 1, ex_id);
	app_param(t, 2, view.status);
	app_param_json(t, 3, decision);
	app_param_int(t, 4, now);
	app_param(t, 5, r->who.id);
	app_param(t, 6, r->who.name);
	app_param_json(t, 7, json_pack("{s:s, s:s?, s:s, s:s?}",
	    "type", PQgetvalue(res, 0, APP_C_TYPE), "municipality", muni,
	    "outcome", view.status, "exemptionId", ex_id));
	app_param_json(t, 8, json_pack("{s:s, s:s, s:s}",
	    "type", PQgetvalue(res, 0, APP_C_TYPE),
	    "issuer", muni != NULL ? muni : "national", "applicationId", t->id));
	if (ex_id != NULL) {
		app_param_int(t, 9, from);
		app_param_int(t, 10, until);
	}
	return app_next(t, next, "app_decide", app_decide_sql, 11);
}

/* The withdrawal's row arrived: check and write. */
static enum zes_step
app_withdraw_write(struct app_txn *t, const PGresult *res,
    struct zes_store_stmt *next)
{
	struct zes_req	*r = t->r;
	struct app_view	 view;
	json_t		*body, *decision, *answer;
	enum zes_step	 step;
	int64_t		 now = (int64_t)time(NULL);

	if (app_transition_check(t, res, &step) != 0)
		return step;
	if (app_row_view(res, 0, &view, &body, &decision) != 0)
		return app_refuse(t, 500, "damaged application row");
	view.status = "withdrawn";
	view.withdrawn_at = now;
	answer = app_json(&view);
	t->ans.text = json_dumps(answer, JSON_COMPACT);
	json_decref(answer);
	json_decref(body);
	json_decref(decision);
	t->ans.status = 200;
	t->metric = ZES_METRICS_APP_WITHDRAWN;
	snprintf(t->id, sizeof(t->id), "%s", PQgetvalue(res, 0, APP_C_ID));

	app_params_reset(t);
	app_param(t, 0, t->id);
	app_param_int(t, 1, now);
	app_param(t, 2, r->who.id);
	app_param(t, 3, r->who.name);
	app_param_json(t, 4, json_pack("{s:s, s:s?}",
	    "type", PQgetvalue(res, 0, APP_C_TYPE), "municipality",
	    app_col_text(res, 0, APP_C_MUNICIPALITY)));
	return app_next(t, next, "app_withdraw", app_withdraw_sql, 5);
}

/* The steps of a decision or withdrawal: lock the row, check and write, commit. */
static enum zes_step
app_transition_step(const struct zes_store_result *prev,
    struct zes_store_stmt *next, void *arg)
{
	struct zes_req	*r = arg;
	struct app_txn	*t = r->data;

	switch (t->stage++) {
	case 0:
		app_params_reset(t);
		app_param(t, 0, t->id);
		return app_next(t, next, "app_lock_row", app_lock_row_sql, 1);
	case 1:
		if (PQnfields(prev->res[0]) != APP_C_END + 1)
			return app_refuse(t, 500, "unexpected row");
		return t->kind == APP_DECIDE ?
		    app_decide_write(t, prev->res[0], next) :
		    app_withdraw_write(t, prev->res[0], next);
	case 2:
		/* The row was locked: the update cannot have missed it. */
		if (PQntuples(prev->res[0]) != 1 ||
		    strcmp(PQgetvalue(prev->res[0], 0, 0), "1") != 0)
			return app_refuse(t, 409, "the application changed");
		return ZES_STEP_COMMIT;
	default:
		zes_fatalx("transition: step %d", t->stage);
	}
}

/* Start a decision's or withdrawal's transaction. */
static void
app_transition_start(struct zes_req *r)
{
	r->job = zes_store_txn(r->w->store, app_transition_step, app_txn_done, r);
	if (r->job == NULL)
		zes_http_unavailable(r, "the database is unavailable");
}

/* The {id} of the path: a UUID, else 404 (no resource can have it). */
static int
app_path_id(struct zes_req *r)
{
	if (!zes_uuid_valid(r->params[0])) {
		zes_http_problem(r, 404, "Not found", "no application has this id");
		return -1;
	}
	return 0;
}

/* POST /v1/applications/{id}/decision {"outcome","reason","validUntil"?} */
static void
applications_decide(struct zes_req *r)
{
	struct app_txn	*t;
	const char	*outcome, *reason, *until;
	json_t		*v;
	size_t		 len, chars, i;

	if (app_path_id(r) != 0)
		return;
	zes_req_query_check(r, (const char *const[]){ NULL });
	zes_json_check(r, r->body, "", zes_body_decision);
	if (r->w->rules == NULL) {
		zes_http_unavailable(r, "the rules are not loaded");
		return;
	}
	t = app_txn_new(r, APP_DECIDE);
	snprintf(t->id, sizeof(t->id), "%s", r->params[0]);
	outcome = json_string_value(json_object_get(r->body, "outcome"));
	if (outcome != NULL && strcmp(outcome, "granted") != 0 &&
	    strcmp(outcome, "rejected") != 0)
		zes_req_error(r, "outcome", "must be \"granted\" or \"rejected\"");
	t->grant = outcome != NULL && strcmp(outcome, "granted") == 0;
	reason = json_string_value(json_object_get(r->body, "reason"));
	if (reason != NULL) {
		len = json_string_length(json_object_get(r->body, "reason"));
		/* Characters, not bytes: count what is not a UTF-8 continuation. */
		for (chars = 0, i = 0; i < len; i++)
			if (((unsigned char)reason[i] & 0xc0) != 0x80)
				chars++;
		if (chars == 0 || chars > APP_REASON_MAX ||
		    strspn(reason, " \t\r\n") == len)
			zes_req_error(r, "reason", "must be 1 to %d characters,"
			    " not only blanks", APP_REASON_MAX);
		else if (memchr(reason, '\0', len) != NULL)
			zes_req_error(r, "reason", "must not hold a NUL character");
		else
			t->reason = xstrdup(reason);
	}
	if (json_is_string(v = json_object_get(r->body, "validUntil"))) {
		until = json_string_value(v);
		if (outcome != NULL && !t->grant)
			zes_req_error(r, "validUntil", "is given only when granting");
		else if (zes_date_parse(until, json_string_length(v),
		    &t->last_day) != 0)
			zes_req_error(r, "validUntil", "must be a date YYYY-MM-DD");
	}
	if (r->nerrors > 0) {
		zes_http_invalid(r);
		return;
	}
	app_transition_start(r);
}

/* POST /v1/applications/{id}/withdrawal (no body, or {}) */
static void
applications_withdraw(struct zes_req *r)
{
	struct app_txn	*t;

	if (app_path_id(r) != 0)
		return;
	zes_req_query_check(r, (const char *const[]){ NULL });
	if (r->body != NULL)
		zes_json_check(r, r->body, "", zes_body_empty);
	if (r->nerrors > 0) {
		zes_http_invalid(r);
		return;
	}
	if (r->w->rules == NULL) {
		zes_http_unavailable(r, "the rules are not loaded");
		return;
	}
	t = app_txn_new(r, APP_WITHDRAW);
	snprintf(t->id, sizeof(t->id), "%s", r->params[0]);
	app_transition_start(r);
}

/* ---------------------------------------------------------------------- */
/* Reads */

/* The row of GET /v1/applications/{id} arrived. */
static void
applications_get_done(const struct zes_store_result *res, void *arg)
{
	struct zes_req	*r = arg;
	json_t		*out;

	r->job = NULL;
	if (res->status != ZES_STORE_OK) {
		zes_http_store_failed(r, res);
		return;
	}
	if (PQntuples(res->res[0]) == 0) {
		zes_http_problem(r, 404, "Not found", "no application has this id");
		return;
	}
	if ((out = app_row_json(res->res[0], 0)) == NULL) {
		zes_http_internal(r, "damaged application row");
		return;
	}
	zes_http_reply_json(r, 200, out);
}

/* GET /v1/applications/{id} */
static void
applications_get(struct zes_req *r)
{
	zes_http_get_by_id(r, "application", "app_get", app_get_sql,
	    applications_get_done);
}

/* A list or search request, decoded (strings owned). */
struct app_query {
	char		*municipality, *status, *type, *scope;
	char		*plate, *country, *kvk;
	int64_t		 from, until;		/* instants; INT64_MIN: none */
	int64_t		 cursor_at;		/* INT64_MIN: first page */
	char		 cursor_id[ZES_UUID_LEN + 1];
	long long	 limit;
};

/* Free a query's strings (the request's data_free). */
static void
app_query_free(void *arg)
{
	struct app_query	*q = arg;

	if (q == NULL)
		return;
	free(q->municipality);
	free(q->status);
	free(q->type);
	free(q->scope);
	free(q->plate);
	free(q->country);
	free(q->kvk);
	free(q);
}

/*
 * Decode a cursor ("s" + the last item's submission second + "." + its id);
 * 0 ok.  The second must be one to_timestamp() takes (ZES_CURSOR_MAX_S).
 */
static int
app_cursor_parse(const char *c, struct app_query *q)
{
	struct zes_cursor	cur;

	if (zes_cursor_parse(c, 's', &cur) != 0 || cur.at < 0 ||
	    cur.at > ZES_CURSOR_MAX_S)
		return -1;
	q->cursor_at = cur.at;
	memcpy(q->cursor_id, cur.id, sizeof(q->cursor_id));
	return 0;
}

/* 1 when s is a type code's shape ([a-z0-9_], 1 to 39). */
static int
app_type_valid(const char *s)
{
	size_t	n = strlen(s);

	return n >= 1 && n < ZES_GROUND_LEN &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

/* Check and keep one filter value of a list or search (field names its error). */
static void
app_filter(struct zes_req *r, struct app_query *q, const char *field,
    const char *v)
{
	int64_t	day, t;
	int	from;

	if (v == NULL)
		return;
	if (strcmp(field, "municipality") == 0) {
		if (!zes_municipality_code_valid(v) ||
		    zes_rules_municipality(r->w->rules, v) == NULL)
			zes_req_error(r, field, "must be the CBS code of a"
			    " municipality zesd knows, such as GM0599");
		else
			q->municipality = xstrdup(v);
	} else if (strcmp(field, "status") == 0) {
		if (strcmp(v, "in_review") != 0 && strcmp(v, "granted") != 0 &&
		    strcmp(v, "rejected") != 0 && strcmp(v, "withdrawn") != 0)
			zes_req_error(r, field, "must be in_review, granted,"
			    " rejected or withdrawn");
		else
			q->status = xstrdup(v);
	} else if (strcmp(field, "type") == 0) {
		if (!app_type_valid(v))
			zes_req_error(r, field, "must be an exemption type code"
			    " ([a-z0-9_], at most 39 characters)");
		else
			q->type = xstrdup(v);
	} else if (strcmp(field, "scope") == 0) {
		if (strcmp(v, "national") != 0 && strcmp(v, "municipal") != 0)
			zes_req_error(r, field, "must be national or municipal");
		else
			q->scope = xstrdup(v);
	} else if (strcmp(field, "submittedFrom") == 0 ||
	    strcmp(field, "submittedUntil") == 0) {
		/*
		 * An Amsterdam day (from its midnight; until its end), or
		 * an instant (from it; until the end of its second).
		 */
		from = strcmp(field, "submittedFrom") == 0;
		switch (zes_time_parse_day_or_instant(v, strlen(v), &day, &t)) {
		case 1:
			t = from ? zes_time_local_midnight(day) :
			    zes_period_day_end(day);
			break;
		case 0:
			if (!from)
				t++;
			break;
		default:
			zes_req_error(r, field, "must be a date YYYY-MM-DD"
			    " or an RFC 3339 date-time");
			return;
		}
		if (from)
			q->from = t;
		else
			q->until = t;
	} else if (strcmp(field, "kvk") == 0) {
		if (strlen(v) != 8 || strspn(v, "0123456789") != 8)
			zes_req_error(r, field, "must be a KvK number of 8 digits");
		else
			q->kvk = xstrdup(v);
	} else if (strcmp(field, "cursor") == 0) {
		if (app_cursor_parse(v, q) != 0)
			zes_req_error(r, field, "not a cursor this server gave");
	}
}

/* A new query with nothing set, attached to the request. */
static struct app_query *
app_query_new(struct zes_req *r)
{
	struct app_query	*q = xcalloc(1, sizeof(*q));

	q->from = q->until = q->cursor_at = INT64_MIN;
	q->limit = APP_LIMIT_DEFAULT;
	r->data = q;
	r->data_free = app_query_free;
	return q;
}

/* A page of the list arrived. */
static void
applications_list_done(const struct zes_store_result *res, void *arg)
{
	struct zes_req		*r = arg;
	const struct app_query	*q = r->data;

	r->job = NULL;
	if (res->status != ZES_STORE_OK) {
		zes_http_store_failed(r, res);
		return;
	}
	zes_http_reply_page(r, res->res[0], q->limit, app_row_json, 's',
	    APP_C_SUBMITTED, APP_C_ID);
}

/* Run a list query (errors already answered). */
static void
app_list_run(struct zes_req *r, struct app_query *q)
{
	char		 from[24], until[24], cat[24], limit[24];
	const char	*params[12];

	if (q->from != INT64_MIN && q->until != INT64_MIN && q->from >= q->until) {
		zes_req_error(r, "submittedUntil",
		    "must not lie before submittedFrom");
		zes_http_invalid(r);
		return;
	}
	snprintf(from, sizeof(from), "%" PRId64, q->from);
	snprintf(until, sizeof(until), "%" PRId64, q->until);
	snprintf(cat, sizeof(cat), "%" PRId64, q->cursor_at);
	snprintf(limit, sizeof(limit), "%lld", q->limit + 1);
	params[0] = q->municipality;
	params[1] = q->status;
	params[2] = q->type;
	params[3] = q->scope;
	params[4] = q->from != INT64_MIN ? from : NULL;
	params[5] = q->until != INT64_MIN ? until : NULL;
	params[6] = q->plate;
	params[7] = q->country;
	params[8] = q->kvk;
	params[9] = q->cursor_at != INT64_MIN ? cat : NULL;
	params[10] = q->cursor_at != INT64_MIN ? q->cursor_id : NULL;
	params[11] = limit;
	r->job = zes_store_query(r->w->store, app_list_sql, 12, params,
	    applications_list_done, r);
	if (r->job == NULL)
		zes_http_unavailable(r, "the database is unavailable");
}

/*
 * GET /v1/applications?municipality=&status=&type=&scope=&submittedFrom=
 * &submittedUntil=&limit=&cursor=
 */
static void
applications_list(struct zes_req *r)
{
	static const char *const allowed[] = { "municipality", "status", "type",
	    "scope", "submittedFrom", "submittedUntil", "limit", "cursor", NULL };
	struct app_query	*q;
	const char		*v, *errstr;
	size_t			 i;

	if (r->w->rules == NULL) {
		zes_http_unavailable(r, "the rules are not loaded");
		return;
	}
	q = app_query_new(r);
	zes_req_query_check(r, allowed);
	for (i = 0; allowed[i] != NULL; i++)
		if (strcmp(allowed[i], "limit") != 0)
			app_filter(r, q, allowed[i], zes_req_query(r, allowed[i]));
	if ((v = zes_req_query(r, "limit")) != NULL &&
	    zes_strtonum(v, 1, APP_LIMIT_MAX, &q->limit, &errstr) != 0)
		zes_req_error(r, "limit", "must be an integer from 1 to %d",
		    APP_LIMIT_MAX);
	if (r->nerrors > 0) {
		zes_http_invalid(r);
		return;
	}
	app_list_run(r, q);
}

/* POST /v1/applications/_search: the list's filters plus plate, country and kvk. */
static void
applications_search(struct zes_req *r)
{
	static const char *const filters[] = { "municipality", "status", "type",
	    "scope", "submittedFrom", "submittedUntil", "kvk", "cursor", NULL };
	struct app_query	*q;
	struct zes_plate	 plate;
	const char		*country, *why;
	json_t			*v;
	size_t			 i;

	if (r->w->rules == NULL) {
		zes_http_unavailable(r, "the rules are not loaded");
		return;
	}
	q = app_query_new(r);
	zes_req_query_check(r, (const char *const[]){ NULL });
	zes_json_check(r, r->body, "", zes_body_application_search);
	for (i = 0; filters[i] != NULL; i++)
		app_filter(r, q, filters[i],
		    json_string_value(json_object_get(r->body, filters[i])));
	if (json_is_integer(v = json_object_get(r->body, "limit")) &&
	    ((q->limit = json_integer_value(v)) < 1 || q->limit > APP_LIMIT_MAX))
		zes_req_error(r, "limit", "must be from 1 to %d", APP_LIMIT_MAX);
	country = json_string_value(json_object_get(r->body, "country"));
	v = json_object_get(r->body, "plate");
	if (country != NULL && !zes_plate_country_valid(country))
		zes_req_error(r, "country",
		    "must be an ISO 3166-1 alpha-2 code such as \"DE\"");
	else if (country != NULL && !json_is_string(v))
		zes_req_error(r, "country", "is given only with plate");
	else if (json_is_string(v)) {
		if (zes_plate_parse(json_string_value(v), json_string_length(v),
		    country, &plate, &why) != 0)
			zes_req_error(r, "plate", "%s", why);
		else {
			q->plate = xstrdup(plate.text);
			q->country = xstrdup(plate.country);
		}
	}
	if (r->nerrors > 0) {
		zes_http_invalid(r);
		return;
	}
	app_list_run(r, q);
}

/* ---------------------------------------------------------------------- */
/* Dry runs */

/* The state of a dry run (r->data). */
struct app_eval {
	struct zes_rules	*rules;		/* our own reference */
	struct zes_app		 app;
	int			 have_app;
};

/* Free a dry run's state. */
static void
app_eval_free(void *arg)
{
	struct app_eval	*e = arg;

	if (e == NULL)
		return;
	if (e->have_app)
		zes_app_clear(&e->app);
	zes_rules_unref(e->rules);
	free(e);
}

/* The register and the plate's exemptions arrived: decide, answer, store nothing. */
static void
applications_evaluate_done(const struct zes_store_result *res, void *arg)
{
	struct zes_req		*r = arg;
	struct app_eval		*e = r->data;
	struct zes_vehicle	 vehicle;
	struct zes_exemption	*exs = NULL;
	size_t			 nexs = 0;
	struct zes_engine_input	 in;
	struct zes_decision	 d;
	const PGresult		*p;
	json_t			*ex;
	int64_t			 now = (int64_t)time(NULL);
	int			 have_vehicle;

	r->job = NULL;
	if (res->status != ZES_STORE_OK) {
		zes_http_store_failed(r, res);
		return;
	}
	p = res->res[0];
	have_vehicle = !PQgetisnull(p, 0, 0);
	if ((have_vehicle && zes_vehicle_from_json(PQgetvalue(p, 0, 0), &vehicle) != 0) ||
	    app_exemptions(PQgetvalue(p, 0, 1), &exs, &nexs) != 0) {
		zes_http_internal(r, "unexpected register or exemption row");
		return;
	}
	memset(&in, 0, sizeof(in));
	in.rules = e->rules;
	in.app = &e->app;
	in.vehicle = have_vehicle ? &vehicle : NULL;
	in.exemptions = exs;
	in.nexemptions = nexs;
	in.now = now;
	zes_engine_evaluate(&in, &d);
	free(exs);
	if (d.outcome == ZES_OUTCOME_GRANTED)
		ex = json_pack("{s:o, s:o}", "validFrom", app_time_json(d.valid_from),
		    "validUntil", app_time_json(d.valid_until));
	else
		ex = json_null();
	zes_http_reply_json(r, 200, json_pack("{s:o, s:o, s:o}", "decision",
	    app_decision_json(&d, app_ruleset(e->rules, &e->app, &d), now),
	    "exemption", ex, "feeEur", app_fee_json(d.fee_cents)));
}

/* POST /v1/evaluations: the body of an application; nothing is stored. */
static void
applications_evaluate(struct zes_req *r)
{
	struct app_eval	*e;
	const char	*params[2];
	int64_t		 today;

	zes_req_query_check(r, (const char *const[]){ NULL });
	if (r->w->rules == NULL) {
		zes_http_unavailable(r, "the rules are not loaded");
		return;
	}
	e = xcalloc(1, sizeof(*e));
	e->rules = zes_rules_ref(r->w->rules);
	r->data = e;
	r->data_free = app_eval_free;
	today = zes_time_local_day((int64_t)time(NULL));
	if (zes_app_parse(r->body, e->rules, today, &e->app, app_error_cb, r) == 0)
		e->have_app = 1;
	if (r->nerrors > 0) {
		zes_http_invalid(r);
		return;
	}
	params[0] = e->app.plate.text;
	params[1] = e->app.plate.country;
	r->job = zes_store_query_named(r->w->store, "app_read", app_read_sql, 2,
	    params, applications_evaluate_done, r);
	if (r->job == NULL)
		zes_http_unavailable(r, "the database is unavailable");
}
