/*
 * Enforcement: POST /v1/access-checks answers, from the access index in
 * memory, whether each plate may enter a municipality's zone at an instant
 * and why.  No database, no lock; a bad item gets a problem in its place.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/rand.h>

#include "zes/admit.h"
#include "zes/canon.h"
#include "zes/http.h"
#include "zes/index.h"
#include "zes/json.h"
#include "zes/period.h"
#include "zes/plate.h"
#include "zes/routes.h"
#include "zes/signing.h"
#include "zes/worker.h"
#include "zes/xmalloc.h"

#define ACCESS_MAX_CHECKS	1000
/*
 * Results signed per turn of the loop.  An Ed25519 signature costs tens of
 * microseconds, so a batch of 1,000 is signed in slices with the loop free
 * between them: other connections of this worker are not held up.
 */
#define ACCESS_SIGN_SLICE	32

/* A batch being signed. */
struct access_signing {
	json_t		*results;	/* owned */
	size_t		 next;
	struct event	*ev;		/* the next slice */
};

static void	access_checks_run(struct zes_req *);

const struct zes_route zes_routes_access[] = {
	{ .method = EVHTTP_REQ_POST, .path = "/v1/access-checks",
	  .roles = ZES_ROLE_ENFORCEMENT, .body = ZES_BODY_JSON, .body_factor = 4,
	  .handler = access_checks_run },
	{ 0 }
};

/* Lower-case hex of 16 bytes as a UUID. */
static void
access_uuid_text(const uint8_t id[16], char out[37])
{
	static const char	hex[] = "0123456789abcdef";
	int			i, o = 0;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[id[i] >> 4];
		out[o++] = hex[id[i] & 15];
	}
	out[o] = '\0';
}

/* A fresh random (version 4) UUID for a decision. */
static void
access_decision_id(char out[37])
{
	uint8_t	id[16];

	if (RAND_bytes(id, sizeof(id)) != 1)
		zes_fatalx("RAND_bytes failed");
	id[6] = (uint8_t)((id[6] & 0x0f) | 0x40);
	id[8] = (uint8_t)((id[8] & 0x3f) | 0x80);
	access_uuid_text(id, out);
}

/*
 * Move the errors r collected since `from` into a problem object for one
 * item (API.md: an invalid item gets a problem in its place).
 */
static json_t *
access_item_problem(struct zes_req *r, size_t from)
{
	json_t	*errs = json_array();
	size_t	 i;

	for (i = from; i < r->nerrors; i++) {
		json_array_append_new(errs, json_pack("{s:s, s:s}", "field",
		    r->errors[i].field, "message", r->errors[i].message));
		free(r->errors[i].field);
		free(r->errors[i].message);
	}
	r->nerrors = from;
	return json_pack("{s:s, s:s, s:i, s:s, s:o}",
	    "type", "https://zesd.example.nl/problems/invalid-input",
	    "title", "Invalid input", "status", 400,
	    "detail", "this check is invalid", "errors", errs);
}

/* Decide one check; NULL after adding its errors to r. */
static json_t *
access_check_one(struct zes_req *r, const struct zes_index *idx,
    const json_t *item, size_t i, int64_t now)
{
	static const struct zes_json_field fields[] = {
		{ "plate", ZES_JSON_STRING, 1, 0 },
		{ "municipality", ZES_JSON_STRING, 1, 0 },
		{ "at", ZES_JSON_STRING, 0, 0 },
		{ "country", ZES_JSON_STRING, 0, 0 },
		{ NULL, 0, 0, 0 }
	};
	const struct zes_rules		*rules = zes_index_rules(idx);
	const struct zes_municipality	*m = NULL;
	const struct zes_exemption	*ex;
	struct zes_admit_query		 q;
	struct zes_admit_result		 res;
	struct zes_plate		 plate;
	const char			*why, *s, *country;
	char				 path[48], field[64], atbuf[24], idbuf[37];
	char				 until[24], decision[37];
	size_t				 nerr = r->nerrors, nex;
	int64_t				 at = now;
	json_t				*out, *v;

	snprintf(path, sizeof(path), "checks[%zu]", i);
	if (!json_is_object(item)) {
		zes_req_error(r, path, "must be an object");
		return NULL;
	}
	zes_json_check(r, item, path, fields);
	country = json_string_value(json_object_get(item, "country"));
	if (country != NULL && !zes_plate_country_valid(country)) {
		snprintf(field, sizeof(field), "%s.country", path);
		zes_req_error(r, field, "must be an ISO 3166-1 alpha-2 code such as \"DE\"");
	} else if (json_is_string(v = json_object_get(item, "plate")) &&
	    zes_plate_parse(json_string_value(v), json_string_length(v),
	    country, &plate, &why) != 0) {
		snprintf(field, sizeof(field), "%s.plate", path);
		zes_req_error(r, field, "%s", why);
	}
	if (json_is_string(v = json_object_get(item, "municipality"))) {
		s = json_string_value(v);
		snprintf(field, sizeof(field), "%s.municipality", path);
		if (!zes_municipality_code_valid(s))
			zes_req_error(r, field, "must be a CBS code: GM and four digits");
		else if ((m = zes_rules_municipality(rules, s)) == NULL)
			zes_req_error(r, field, "is not a municipality zesd knows");
	}
	if (json_is_string(v = json_object_get(item, "at")) &&
	    zes_time_parse_rfc3339(json_string_value(v), json_string_length(v),
	    &at) != 0) {
		snprintf(field, sizeof(field), "%s.at", path);
		zes_req_error(r, field, "must be an RFC 3339 date-time with an offset");
	}
	if (r->nerrors > nerr)
		return NULL;

	memset(&q, 0, sizeof(q));
	q.rules = rules;
	q.municipality = m;
	q.at = at;
	q.vehicle = strcmp(plate.country, "NL") == 0 ?
	    zes_index_vehicle(idx, plate.text) : NULL;
	nex = zes_index_exemptions(idx, plate.country, plate.text, &ex);
	q.exemptions = ex;
	q.nexemptions = nex;
	zes_admit(&q, &res);

	zes_time_format_utc(at, atbuf);
	access_decision_id(decision);
	out = json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:s}",
	    "plate", plate.text, "municipality", m->code, "at", atbuf,
	    "allowed", res.allowed, "basis", zes_basis_name(res.basis),
	    "ground", res.ground, "decisionId", decision);
	if (strcmp(plate.country, "NL") != 0)
		json_object_set_new(out, "country", json_string(plate.country));
	if (res.exemption != NULL) {
		access_uuid_text(res.exemption->id, idbuf);
		json_object_set_new(out, "exemptionId", json_string(idbuf));
		json_object_set_new(out, "issuer", json_string(res.issuer));
	}
	if (res.allowed && res.valid_until != INT64_MAX) {
		zes_time_format_utc(res.valid_until, until);
		json_object_set_new(out, "validUntil", json_string(until));
	}
	return out;
}

/* Free the signing state (also when the deadline answered first). */
static void
access_signing_free(void *arg)
{
	struct access_signing	*st = arg;

	if (st->ev != NULL)
		event_free(st->ev);
	json_decref(st->results);
	free(st);
}

/*
 * Sign one result: the key id goes in first, then the signature over the
 * canonical JSON of everything but the signature (API.md, Enforcement).
 */
static int
access_sign_one(const struct zes_signer *signer, json_t *res)
{
	char	*canon, sig[ZES_SIGNATURE_B64_LEN + 1];
	size_t	 len;
	int	 rc;

	json_object_set_new(res, "kid", json_string(zes_signer_kid(signer)));
	if (zes_canon_json(res, &canon, &len) != 0)
		return -1;
	rc = zes_signer_sign(signer, canon, len, sig);
	free(canon);
	if (rc == 0)
		json_object_set_new(res, "signature", json_string(sig));
	return rc;
}

/* Sign the next slice; answer when every result is signed. */
static void
access_sign_cb(evutil_socket_t fd, short what, void *arg)
{
	struct zes_req		*r = arg;
	struct access_signing	*st = r->data;
	const struct zes_signer	*signer = r->w->srv->signer;
	size_t			 end, n = json_array_size(st->results);
	struct timeval		 now = { 0, 0 };
	json_t			*res;

	(void)fd;
	(void)what;
	end = st->next + ACCESS_SIGN_SLICE < n ? st->next + ACCESS_SIGN_SLICE : n;
	for (; st->next < end; st->next++) {
		res = json_array_get(st->results, st->next);
		/* Problems in place of invalid items are not decisions: not signed. */
		if (json_object_get(res, "decisionId") == NULL)
			continue;
		if (access_sign_one(signer, res) != 0) {
			zes_http_internal(r, "signing an access decision failed");
			return;
		}
	}
	if (st->next < n) {
		evtimer_add(st->ev, &now);
		return;
	}
	res = json_pack("{s:O}", "results", st->results);
	zes_http_reply_json(r, 200, res);
}

/* POST /v1/access-checks {"checks":[...]} */
static void
access_checks_run(struct zes_req *r)
{
	static const struct zes_json_field fields[] = {
		{ "checks", ZES_JSON_ARRAY, 1, 0 },
		{ NULL, 0, 0, 0 }
	};
	const struct zes_index	*idx = r->w->index;
	const json_t		*checks;
	json_t			*results, *one;
	size_t			 i, n, nerr;
	struct timespec		 ts;

	zes_req_query_check(r, (const char *const[]){ NULL });
	if (zes_json_check(r, r->body, "", fields) == 0) {
		checks = json_object_get(r->body, "checks");
		n = json_array_size(checks);
		if (n < 1 || n > ACCESS_MAX_CHECKS)
			zes_req_error(r, "checks", "must hold 1 to %d checks",
			    ACCESS_MAX_CHECKS);
	}
	if (r->nerrors > 0) {
		zes_http_invalid(r);
		return;
	}
	if (idx == NULL) {
		zes_http_unavailable(r, "the access index is not loaded yet");
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	checks = json_object_get(r->body, "checks");
	n = json_array_size(checks);
	results = json_array();
	for (i = 0; i < n; i++) {
		nerr = r->nerrors;
		one = access_check_one(r, idx, json_array_get(checks, i), i,
		    (int64_t)ts.tv_sec);
		if (one == NULL)
			one = access_item_problem(r, nerr);
		json_array_append_new(results, one);
	}
	if (r->w->srv->signer != NULL) {
		struct access_signing *st = xcalloc(1, sizeof(*st));

		st->results = results;
		st->ev = evtimer_new(r->w->base, access_sign_cb, r);
		r->data = st;
		r->data_free = access_signing_free;
		access_sign_cb(-1, 0, r);
		return;
	}
	zes_http_reply_json(r, 200, json_pack("{s:o}", "results", results));
}
