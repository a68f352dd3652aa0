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

#include <event2/buffer.h>
#include <event2/event.h>

#include "zes/admit.h"
#include "zes/bodies.h"
#include "zes/canon.h"
#include "zes/checkscan.h"
#include "zes/http.h"
#include "zes/index.h"
#include "zes/json.h"
#include "zes/metrics.h"
#include "zes/period.h"
#include "zes/plate.h"
#include "zes/routes.h"
#include "zes/signing.h"
#include "zes/worker.h"
#include "zes/xmalloc.h"

#define ACCESS_MAX_CHECKS	1000
/* Results signed per turn of the loop (see access_sign_cb). */
#define ACCESS_SIGN_SLICE	32

static void	access_checks_run(struct zes_req *);

const struct zes_route zes_routes_access[] = {
	{ .method = EVHTTP_REQ_POST, .path = "/v1/access-checks",
	  .roles = ZES_ROLE_ENFORCEMENT, .body = ZES_BODY_JSON_RAW, .body_factor = 4,
	  .safe = 1, .handler = access_checks_run },
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

/* splitmix64's finaliser: a bijection of 64-bit values that mixes well. */
static uint64_t
access_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

/*
 * A decision id, shaped as a version 4 UUID: the worker's counter mixed
 * with its random key.  The mix is a bijection, so ids of one worker never
 * repeat; the keys are random per worker and start, so ids of different
 * workers or runs collide no more often than random ones.  RAND_bytes per
 * decision cost more than the decision itself.
 */
static void
access_decision_id(struct zes_worker *w, char out[37])
{
	uint64_t	n = w->did_next++, a, b;
	uint8_t		id[16];
	int		i;

	a = access_mix(w->did_key[0] + n);
	b = access_mix(w->did_key[1] ^ access_mix(n + 0x9e3779b97f4a7c15ull));
	for (i = 0; i < 8; i++) {
		id[i] = (uint8_t)(a >> (56 - 8 * i));
		id[8 + i] = (uint8_t)(b >> (56 - 8 * i));
	}
	id[6] = (uint8_t)((id[6] & 0x0f) | 0x40);
	id[8] = (uint8_t)((id[8] & 0x3f) | 0x80);
	access_uuid_text(id, out);
}

/*
 * The answer being written.  Results are written as RFC 8785 canonical JSON
 * (members in sorted order, compact), so the bytes sent are the bytes
 * signed: a result is stored as its text without "signature", with `splice`
 * the offset where the signature member belongs ("plate" < "signature" <
 * "validUntil").  Problems in place of invalid items are stored as they are.
 */
struct access_item {
	size_t	off, len;	/* in out.buf */
	size_t	splice;		/* offset within the item; 0: not a decision */
	char	sig[ZES_SIGNATURE_B64_LEN + 1];
};

struct access_batch {
	char			*buf;
	size_t			 len, cap;
	struct access_item	*items;
	size_t			 nitems;
	size_t			 next;		/* next item to sign */
	struct event		*ev;		/* the next slice of signatures */
	unsigned		 bases[ZES_METRICS_BASES];	/* decisions by basis */
};

/* Append bytes to the batch text. */
static void
access_put(struct access_batch *b, const char *s, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 256;
		b->buf = xrealloc(b->buf, b->cap);
	}
	memcpy(b->buf + b->len, s, n);
	b->len += n;
}

/* Append a NUL-terminated string. */
static void
access_puts(struct access_batch *b, const char *s)
{
	access_put(b, s, strlen(s));
}

/* The put callback of zes_canon_string for a batch. */
static void
access_put_cb(void *arg, const char *s, size_t n)
{
	access_put(arg, s, n);
}

/*
 * Append ,"key":"value" (or {"key":... for the first member).  The values
 * written here come from checked alphabets (normalised plates, CBS codes,
 * hex ids, RFC 3339 digits, base64url, grounds of [a-z0-9_]), so they are
 * copied as they are; one that would need escaping goes through the JCS
 * escaper all the same.
 */
static void
access_member(struct access_batch *b, int *first, const char *key,
    const char *value)
{
	size_t	kl = strlen(key), vl = 0;
	int	plain = 1;
	char	*p;

	for (; value[vl] != '\0'; vl++)
		if ((unsigned char)value[vl] < 0x20 || value[vl] == '"' ||
		    value[vl] == '\\')
			plain = 0;
	if (b->len + kl + vl + 8 > b->cap) {
		b->cap = (b->len + kl + vl + 8) * 2 + 256;
		b->buf = xrealloc(b->buf, b->cap);
	}
	p = b->buf + b->len;
	*p++ = *first ? '{' : ',';
	*first = 0;
	*p++ = '"';
	memcpy(p, key, kl);
	p += kl;
	*p++ = '"';
	*p++ = ':';
	if (plain) {
		*p++ = '"';
		memcpy(p, value, vl);
		p += vl;
		*p++ = '"';
		b->len = (size_t)(p - b->buf);
	} else {
		b->len = (size_t)(p - b->buf);
		zes_canon_string(access_put_cb, b, value, vl);
	}
}

/* Start an item at the end of the text. */
static struct access_item *
access_item_begin(struct access_batch *b)
{
	struct access_item	*it;

	if (b->nitems > 0)
		access_put(b, ",", 1);
	it = &b->items[b->nitems++];
	memset(it, 0, sizeof(*it));
	it->off = b->len;
	return it;
}

/*
 * Move the errors r collected since `from` into a problem written in the
 * item's place (API.md: an invalid item gets a problem, not a failed request).
 */
static void
access_item_problem(struct zes_req *r, struct access_batch *b, size_t from)
{
	struct access_item	*it = access_item_begin(b);
	json_t			*errs = json_array(), *p;
	char			*text;
	size_t			 i;

	for (i = from; i < r->nerrors; i++) {
		json_array_append_new(errs, json_pack("{s:s, s:s}", "field",
		    r->errors[i].field, "message", r->errors[i].message));
		free(r->errors[i].field);
		free(r->errors[i].message);
	}
	r->nerrors = from;
	p = json_pack("{s:s, s:s, s:i, s:s, s:o}",
	    "type", "https://zesd.example.nl/problems/invalid-input",
	    "title", "Invalid input", "status", 400,
	    "detail", "this check is invalid", "errors", errs);
	text = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(p);
	if (text == NULL)
		zes_fatalx("json_dumps of an item problem failed");
	access_puts(b, text);
	free(text);
	it->len = b->len - it->off;
}

/* The field name of check i's member, for an error ("checks[3].plate"). */
static const char *
access_field(char buf[64], size_t i, const char *member)
{
	snprintf(buf, 64, "checks[%zu]%s%s", i, *member ? "." : "", member);
	return buf;
}

/*
 * A check decoded the strict way (a body the fast reader declined): type
 * errors become errors of r, and c gets the members that are strings.
 */
static void
access_item_json(struct zes_req *r, const json_t *item, size_t i,
    struct zes_check_text *c)
{
	char	 path[64];
	json_t	*v;

	memset(c, 0, sizeof(*c));
	if (!json_is_object(item)) {
		zes_req_error(r, access_field(path, i, ""), "must be an object");
		return;
	}
	zes_json_check(r, item, access_field(path, i, ""),
	    zes_body_access_item);
	if (json_is_string(v = json_object_get(item, "plate"))) {
		c->plate = json_string_value(v);
		c->plate_len = json_string_length(v);
	}
	if (json_is_string(v = json_object_get(item, "municipality")))
		c->municipality = json_string_value(v);
	if (json_is_string(v = json_object_get(item, "at"))) {
		c->at = json_string_value(v);
		c->at_len = json_string_length(v);
	}
	if (json_is_string(v = json_object_get(item, "country")))
		c->country = json_string_value(v);
}

/*
 * Decide check i and write its result; -1 when it is invalid, its errors
 * (with those r collected since nerr) added to r.
 */
static int
access_check_one(struct zes_req *r, const struct zes_index *idx,
    const struct zes_check_text *c, size_t i, size_t nerr, int64_t now,
    struct access_batch *b)
{
	const struct zes_rules		*rules = zes_index_rules(idx);
	const struct zes_municipality	*m = NULL;
	const struct zes_exemption	*ex;
	const struct zes_signer		*signer = r->w->srv->signer;
	struct zes_admit_query		 q;
	struct zes_admit_result		 res;
	struct zes_plate		 plate;
	struct access_item		*it;
	const char			*why;
	char				 field[64], atbuf[24], idbuf[37];
	char				 until[24], decision[37];
	size_t				 nex;
	int64_t				 at = now;
	int				 first = 1;

	if (c->country != NULL && !zes_plate_country_valid(c->country))
		zes_req_error(r, access_field(field, i, "country"),
		    "must be an ISO 3166-1 alpha-2 code such as \"DE\"");
	else if (c->plate != NULL && zes_plate_parse(c->plate, c->plate_len,
	    c->country, &plate, &why) != 0)
		zes_req_error(r, access_field(field, i, "plate"), "%s", why);
	if (c->municipality != NULL) {
		if (!zes_municipality_code_valid(c->municipality))
			zes_req_error(r, access_field(field, i, "municipality"),
			    "must be a CBS code: GM and four digits");
		else if ((m = zes_rules_municipality(rules, c->municipality)) == NULL)
			zes_req_error(r, access_field(field, i, "municipality"),
			    "is not a municipality zesd knows");
	}
	if (c->at != NULL && zes_time_parse_rfc3339(c->at, c->at_len, &at) != 0)
		zes_req_error(r, access_field(field, i, "at"),
		    "must be an RFC 3339 date-time with an offset");
	if (r->nerrors > nerr || c->plate == NULL || m == NULL)
		return -1;

	memset(&q, 0, sizeof(q));
	q.rules = rules;
	q.municipality = m;
	q.at = at;
	q.vehicle = strcmp(plate.country, "NL") == 0 ?
	    zes_index_vehicle(idx, plate.text) : NULL;
	nex = zes_index_exemptions(idx, plate.country, plate.text, &ex);
	q.exemptions = ex;
	q.nexemptions = nex;
	q.recognitions = zes_index_recognitions(idx);
	zes_admit(&q, &res);
	if ((size_t)res.basis < ZES_METRICS_BASES)
		b->bases[res.basis]++;

	/* Members in RFC 8785 order: the text is canonical as written. */
	zes_time_format_utc(at, atbuf);
	access_decision_id(r->w, decision);
	it = access_item_begin(b);
	access_puts(b, res.allowed ? "{\"allowed\":true" : "{\"allowed\":false");
	first = 0;
	access_member(b, &first, "at", atbuf);
	access_member(b, &first, "basis", zes_basis_name(res.basis));
	if (strcmp(plate.country, "NL") != 0)
		access_member(b, &first, "country", plate.country);
	access_member(b, &first, "decisionId", decision);
	if (res.exemption != NULL) {
		access_uuid_text(res.exemption->id, idbuf);
		access_member(b, &first, "exemptionId", idbuf);
	}
	access_member(b, &first, "ground", res.ground);
	if (res.exemption != NULL)
		access_member(b, &first, "issuer", res.issuer);
	if (signer != NULL)
		access_member(b, &first, "kid", zes_signer_kid(signer));
	access_member(b, &first, "municipality", m->code);
	access_member(b, &first, "plate", plate.text);
	it->splice = b->len - it->off;
	if (res.allowed && res.valid_until != INT64_MAX) {
		zes_time_format_utc(res.valid_until, until);
		access_member(b, &first, "validUntil", until);
	}
	access_put(b, "}", 1);
	it->len = b->len - it->off;
	return 0;
}

/* Free the batch (also when the deadline answered first). */
static void
access_batch_free(void *arg)
{
	struct access_batch	*b = arg;

	if (b->ev != NULL)
		event_free(b->ev);
	free(b->buf);
	free(b->items);
	free(b);
}

/* evbuffer cleanup of a batch text handed over to the answer. */
static void
access_text_free(const void *data, size_t len, void *extra)
{
	(void)len;
	(void)extra;
	free((void *)data);
}

/*
 * Send the answer: the batch text is the whole body already; signatures
 * are spliced in where they belong.  Unsigned, the text is handed to the
 * answer without a copy.
 */
static void
access_reply(struct zes_req *r, struct access_batch *b)
{
	struct evbuffer	*out = evbuffer_new();
	size_t		 i, at = 0, cut;

	access_put(b, "]}", 2);
	if (r->w->srv->signer == NULL) {
		evbuffer_add_reference(out, b->buf, b->len, access_text_free, NULL);
		b->buf = NULL;
	} else {
		evbuffer_expand(out, b->len + b->nitems * (ZES_SIGNATURE_B64_LEN + 16));
		for (i = 0; i < b->nitems; i++) {
			const struct access_item *it = &b->items[i];

			if (it->sig[0] == '\0')
				continue;
			cut = it->off + it->splice;
			evbuffer_add(out, b->buf + at, cut - at);
			evbuffer_add(out, ",\"signature\":\"", 14);
			evbuffer_add(out, it->sig, ZES_SIGNATURE_B64_LEN);
			evbuffer_add(out, "\"", 1);
			at = cut;
		}
		evbuffer_add(out, b->buf + at, b->len - at);
	}
	zes_http_reply_evbuffer(r, 200, "application/json", out);
	evbuffer_free(out);
}

/*
 * Sign the next slice of decisions; answer when all are signed.  An
 * Ed25519 signature costs tens of microseconds, so a large batch is signed
 * in slices with the worker's loop free between them.
 */
static void
access_sign_cb(evutil_socket_t fd, short what, void *arg)
{
	struct zes_req		*r = arg;
	struct access_batch	*b = r->data;
	struct zes_signer	*signer = r->w->srv->signer;
	size_t			 end;
	struct timeval		 now = { 0, 0 };

	(void)fd;
	(void)what;
	end = b->next + ACCESS_SIGN_SLICE < b->nitems ?
	    b->next + ACCESS_SIGN_SLICE : b->nitems;
	for (; b->next < end; b->next++) {
		struct access_item *it = &b->items[b->next];

		/* Problems in place of invalid items are not decisions: unsigned. */
		if (it->splice == 0)
			continue;
		if (zes_signer_sign(signer, r->w->id, b->buf + it->off, it->len,
		    it->sig) != 0) {
			zes_http_internal(r, "signing an access decision failed");
			return;
		}
	}
	if (b->next < b->nitems) {
		evtimer_add(b->ev, &now);
		return;
	}
	access_reply(r, b);
}

/*
 * The checks of the body: read in place by the fast reader, or decoded the
 * strict way when it declines (which also gives the exact errors).  Returns
 * the number of checks, 0 after adding the errors of the body to r.
 * *strict is set when the items still need the strict check of their types.
 */
static size_t
access_read(struct zes_req *r, struct zes_check_text *c, int *strict)
{
	size_t	n;

	*strict = 0;
	if ((n = zes_checks_scan(r->raw, r->rawlen, c, ACCESS_MAX_CHECKS)) > 0)
		return n;
	if (zes_req_decode(r) != 0 ||
	    zes_json_check(r, r->body, "", zes_body_access_checks) != 0)
		return 0;
	n = json_array_size(json_object_get(r->body, "checks"));
	if (n < 1 || n > ACCESS_MAX_CHECKS) {
		zes_req_error(r, "checks", "must hold 1 to %d checks",
		    ACCESS_MAX_CHECKS);
		return 0;
	}
	*strict = 1;
	return n;
}

/* POST /v1/access-checks {"checks":[...]} */
static void
access_checks_run(struct zes_req *r)
{
	const struct zes_index	*idx = r->w->index;
	struct zes_check_text	 checks[ACCESS_MAX_CHECKS];
	struct access_batch	*b;
	size_t			 i, n, nerr;
	int			 strict;
	struct timespec		 ts;

	zes_req_query_check(r, (const char *const[]){ NULL });
	n = access_read(r, checks, &strict);
	if (r->nerrors > 0) {
		zes_http_invalid(r);
		return;
	}
	if (idx == NULL) {
		zes_http_unavailable(r, "the access index is not loaded yet");
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	b = xcalloc(1, sizeof(*b));
	b->items = xcalloc(n, sizeof(*b->items));
	b->cap = n * 320 + 64;
	b->buf = xmalloc(b->cap);
	access_put(b, "{\"results\":[", 12);
	r->data = b;
	r->data_free = access_batch_free;
	for (i = 0; i < n; i++) {
		nerr = r->nerrors;
		if (strict)
			access_item_json(r, json_array_get(json_object_get(r->body,
			    "checks"), i), i, &checks[i]);
		if (access_check_one(r, idx, &checks[i], i, nerr,
		    (int64_t)ts.tv_sec, b) != 0)
			access_item_problem(r, b, nerr);
	}
	zes_metrics_decisions(r->w->metrics, b->bases, ZES_METRICS_BASES);
	if (r->w->srv->signer != NULL) {
		b->ev = evtimer_new(r->w->base, access_sign_cb, r);
		access_sign_cb(-1, 0, r);
		return;
	}
	access_reply(r, b);
}
