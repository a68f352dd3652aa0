/*
 * The rules engine (DOMAIN.md §5, rules/README.md "Exemption types"), pure:
 * an application body is checked against API.md and its type's evidence
 * list (every error at once), then decided with the type's conditions over
 * the facts of the application, its evidence and the vehicle, and the
 * plate's exemptions.  No I/O, no clock: the caller gives `today` and
 * `now`.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "zes/engine.h"
#include "zes/period.h"

#define ENGINE_NAME_MAX		200	/* characters of applicant.name */
#define ENGINE_EMAIL_MAX	254	/* bytes of applicant.email (RFC 5321) */
#define ENGINE_EMAIL_LOCAL_MAX	64
#define ENGINE_NATIONAL		"national"	/* the issuer of national exemptions */

/*
 * The members of a body and of its parts.  plateDisplay is what
 * zes_app_parse() adds: a stored body parses again as it is.
 */
static const char *const engine_top[] = {
	"scope", "type", "municipality", "plate", "plateDisplay", "country",
	"applicant", "period", "evidence",
};
static const char *const engine_applicant[] = { "kvk", "name", "email" };
static const char *const engine_period[] = { "from", "until" };

/* The state of one parse: where errors go, and how many there were. */
struct engine_parse {
	zes_app_error_fn	*err;
	void			*arg;
	size_t			 n;
};

/* Report one input error on field. */
static void ZES_PRINTF(3, 4)
engine_error(struct engine_parse *p, const char *field, const char *fmt, ...)
{
	va_list	ap;
	char	msg[512];

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->n++;
	p->err(p->arg, field, msg);
}

/* "granted", "rejected", "in_review". */
const char *
zes_outcome_name(enum zes_outcome o)
{
	return o == ZES_OUTCOME_GRANTED ? "granted" :
	    o == ZES_OUTCOME_REJECTED ? "rejected" : "in_review";
}

/* "a string", "null", ...: the JSON type of v, for messages. */
static const char *
engine_jtype(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a fractional number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "a JSON value";
}

/* Report the members of o not in names[0..n), each as prefix + name. */
static void
engine_unknown(struct engine_parse *p, const json_t *o, const char *prefix,
    const char *const *names, size_t n)
{
	const char	*key;
	json_t		*v;
	size_t		 i;
	char		 field[128];

	json_object_foreach((json_t *)o, key, v) {
		for (i = 0; i < n; i++)
			if (strcmp(key, names[i]) == 0)
				break;
		if (i < n)
			continue;
		(void)snprintf(field, sizeof(field), "%s%s", prefix, key);
		engine_error(p, field, "unknown field");
	}
}

/* Characters (UTF-8 code points; jansson checked the encoding) of s. */
static size_t
engine_utf8_len(const char *s, size_t bytes)
{
	size_t	i, n = 0;

	for (i = 0; i < bytes; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

/* 1 when s (len bytes) is exactly n ASCII digits. */
static int
engine_digits(const char *s, size_t len, size_t n)
{
	size_t	i;

	if (len != n)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* 1 when c may stand in a domain label. */
static int
engine_label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

/*
 * A practical check of an e-mail address: one "@", a local part of 1 to
 * 64 printable ASCII characters other than space, "@", quotes and
 * brackets, and a domain of at least two dot-separated labels of letters,
 * digits and hyphens (not at a label's ends).  NULL when good, else why.
 */
static const char *
engine_email_why(const char *s, size_t len)
{
	const char	*at, *d;
	size_t		 i, label;

	if (len < 3 || len > ENGINE_EMAIL_MAX)
		return "must be an e-mail address of 3 to 254 characters";
	if ((at = memchr(s, '@', len)) == NULL ||
	    memchr(at + 1, '@', len - (size_t)(at - s) - 1) != NULL)
		return "must be an e-mail address with exactly one @";
	if (at == s || (size_t)(at - s) > ENGINE_EMAIL_LOCAL_MAX)
		return "must have 1 to 64 characters before the @";
	for (i = 0; s + i < at; i++)
		if (s[i] <= ' ' || s[i] > '~' || strchr("\"(),:;<>[\\]",
		    s[i]) != NULL)
			return "has a character before the @ that an e-mail "
			    "address cannot have";
	d = at + 1;
	if (memchr(d, '.', len - (size_t)(d - s)) == NULL)
		return "must have a domain with a dot after the @";
	label = 0;
	for (i = 0; d + i < s + len; i++) {
		if (d[i] == '.') {
			if (label == 0 || d[i - 1] == '-')
				return "has an empty or malformed domain label";
			label = 0;
		} else if (!engine_label_char(d[i]))
			return "has a character in its domain that a domain "
			    "name cannot have";
		else if (label++ == 0 && d[i] == '-')
			return "has a domain label that starts with a hyphen";
	}
	if (label == 0 || d[i - 1] == '-')
		return "has an empty or malformed domain label";
	return NULL;
}

/* A required or optional string member key of o; NULL when absent or bad (reported). */
static const json_t *
engine_string(struct engine_parse *p, const json_t *o, const char *key,
    const char *field, int required)
{
	const json_t	*v;

	if ((v = json_object_get(o, key)) == NULL) {
		if (required)
			engine_error(p, field, "is required");
		return NULL;
	}
	if (!json_is_string(v)) {
		engine_error(p, field, "must be a string, not %s",
		    engine_jtype(v));
		return NULL;
	}
	return v;
}

/* A date member: 0 with *day, 1 when absent, -1 when bad (reported). */
static int
engine_date(struct engine_parse *p, const json_t *o, const char *key,
    const char *field, int64_t *day)
{
	const json_t	*v;

	if ((v = engine_string(p, o, key, field, 0)) == NULL)
		return json_object_get(o, key) == NULL ? 1 : -1;
	if (zes_date_parse(json_string_value(v), json_string_length(v),
	    day) != 0) {
		engine_error(p, field, "must be a date YYYY-MM-DD, a real day "
		    "of the years %d to %d", ZES_DATE_YEAR_MIN,
		    ZES_DATE_YEAR_MAX);
		return -1;
	}
	return 0;
}

/* Copy a Dutch postcode "1234AB" (any case, one optional space) into out; 0 or -1. */
static int
engine_postcode(const char *s, size_t len, char out[7])
{
	size_t	i, k = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == ' ' && k == 4 && i == 4)
			continue;
		if (k == 6)
			return -1;
		out[k++] = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 32) :
		    s[i];
	}
	out[k] = '\0';
	if (k != 6 || out[0] < '1' || out[0] > '9')
		return -1;
	for (i = 1; i < 4; i++)
		if (out[i] < '0' || out[i] > '9')
			return -1;
	for (i = 4; i < 6; i++)
		if (out[i] < 'A' || out[i] > 'Z')
			return -1;
	return 0;
}

/*
 * One evidence value v of field d: checked, and its normalised JSON value
 * returned (a new reference), or NULL (reported).
 */
static json_t *
engine_evidence_value(struct engine_parse *p, const struct zes_evidence_def *d,
    const json_t *v, const char *field)
{
	const char	*s;
	size_t		 len, chars, i;
	int64_t		 day;
	char		 pc[7];

	switch (d->type) {
	case ZES_EV_STRING:
	case ZES_EV_POSTCODE:
	case ZES_EV_KVK:
		if (!json_is_string(v)) {
			engine_error(p, field, "must be a string, not %s",
			    engine_jtype(v));
			return NULL;
		}
		break;
	case ZES_EV_DATE:
		if (!json_is_string(v) || zes_date_parse(json_string_value(v),
		    json_string_length(v), &day) != 0) {
			engine_error(p, field, "must be a date YYYY-MM-DD, a "
			    "real day of the years %d to %d", ZES_DATE_YEAR_MIN,
			    ZES_DATE_YEAR_MAX);
			return NULL;
		}
		return json_deep_copy(v);
	case ZES_EV_INTEGER:
		if (!json_is_integer(v)) {
			engine_error(p, field, "must be an integer, not %s",
			    engine_jtype(v));
			return NULL;
		}
		if (json_integer_value(v) < d->minimum ||
		    json_integer_value(v) > d->maximum) {
			if (d->maximum == INT64_MAX)
				engine_error(p, field, "must be at least %"
				    PRId64, d->minimum);
			else if (d->minimum == INT64_MIN)
				engine_error(p, field, "must be at most %"
				    PRId64, d->maximum);
			else
				engine_error(p, field, "must be from %" PRId64
				    " to %" PRId64, d->minimum, d->maximum);
			return NULL;
		}
		return json_deep_copy(v);
	case ZES_EV_BOOLEAN:
		if (!json_is_boolean(v)) {
			engine_error(p, field, "must be true or false, not %s",
			    engine_jtype(v));
			return NULL;
		}
		return json_deep_copy(v);
	}
	s = json_string_value(v);
	len = json_string_length(v);
	if (d->type == ZES_EV_KVK) {
		if (!engine_digits(s, len, 8)) {
			engine_error(p, field, "must be a KvK number: 8 digits");
			return NULL;
		}
		return json_deep_copy(v);
	}
	if (d->type == ZES_EV_POSTCODE) {
		if (engine_postcode(s, len, pc) != 0) {
			engine_error(p, field, "must be a Dutch postcode: four "
			    "digits and two letters, as 1234AB");
			return NULL;
		}
		return json_string(pc);
	}
	if (d->nvalues > 0) {
		for (i = 0; i < d->nvalues; i++)
			if (strcmp(s, d->values[i]) == 0)
				break;
		if (i == d->nvalues) {
			char	list[256];
			size_t	k, w = 0;

			list[0] = '\0';
			for (k = 0; k < d->nvalues && w < sizeof(list); k++)
				w += (size_t)snprintf(list + w,
				    sizeof(list) - w, "%s%s", k == 0 ? "" :
				    ", ", d->values[k]);
			engine_error(p, field, "must be one of %s", list);
			return NULL;
		}
	}
	chars = engine_utf8_len(s, len);
	if ((int64_t)chars < d->min_length || (int64_t)chars > d->max_length) {
		if (d->max_length == INT64_MAX)
			engine_error(p, field, "must be at least %" PRId64
			    " characters long", d->min_length);
		else
			engine_error(p, field, "must be %" PRId64 " to %" PRId64
			    " characters long", d->min_length, d->max_length);
		return NULL;
	}
	return json_deep_copy(v);
}

/*
 * The evidence object ev (may be NULL: none given) against the type's
 * declaration d (NULL: the municipality declares no such type, so any
 * object is taken as it is).  Returns the normalised evidence (a new
 * object) or NULL when anything was reported.
 */
static json_t *
engine_evidence(struct engine_parse *p, const json_t *ev,
    const struct zes_type *d, const char *code)
{
	struct zes_value	 facts[ZES_F_FACTS_MAX];
	const struct zes_evidence_def *e;
	json_t			*out, *vals[ZES_EVIDENCE_MAX], *x;
	const char		*key;
	size_t			 i, n0 = p->n;
	char			 field[ZES_EVIDENCE_NAME_LEN + 16];

	if (ev != NULL && !json_is_object(ev)) {
		engine_error(p, "evidence", "must be an object, not %s",
		    engine_jtype(ev));
		return NULL;
	}
	if (d == NULL)
		return ev != NULL ? json_deep_copy(ev) : json_object();

	memset(vals, 0, sizeof(vals));
	for (i = 0; i < ZES_F_FACTS_MAX; i++)
		facts[i].type = ZES_V_ABSENT;
	if (ev != NULL) {
		json_object_foreach((json_t *)ev, key, x) {
			(void)snprintf(field, sizeof(field), "evidence.%s", key);
			for (i = 0; i < d->nevidence; i++)
				if (strcmp(d->evidence[i].name, key) == 0)
					break;
			if (i == d->nevidence) {
				engine_error(p, field, "unknown field: the type "
				    "%s has no such evidence", code);
				continue;
			}
			vals[i] = engine_evidence_value(p, &d->evidence[i], x,
			    field);
		}
	}
	/* Facts of the good values, for requiredWhen. */
	for (i = 0; i < d->nevidence; i++) {
		if (vals[i] == NULL)
			continue;
		e = &d->evidence[i];
		switch (e->type) {
		case ZES_EV_DATE:
			if (zes_date_parse(json_string_value(vals[i]),
			    json_string_length(vals[i]),
			    &facts[ZES_F_EVIDENCE + i].u.i) == 0)
				facts[ZES_F_EVIDENCE + i].type = ZES_V_DATE;
			break;
		case ZES_EV_INTEGER:
			facts[ZES_F_EVIDENCE + i].type = ZES_V_INT;
			facts[ZES_F_EVIDENCE + i].u.i = json_integer_value(vals[i]);
			break;
		case ZES_EV_BOOLEAN:
			facts[ZES_F_EVIDENCE + i].type = ZES_V_BOOL;
			facts[ZES_F_EVIDENCE + i].u.i = json_is_true(vals[i]);
			break;
		case ZES_EV_STRING:
		case ZES_EV_POSTCODE:
		case ZES_EV_KVK:
			facts[ZES_F_EVIDENCE + i].type = ZES_V_STRING;
			facts[ZES_F_EVIDENCE + i].u.s = json_string_value(vals[i]);
			break;
		}
	}
	for (i = 0; i < d->nevidence; i++) {
		e = &d->evidence[i];
		if (ev != NULL && json_object_get(ev, e->name) != NULL)
			continue;
		if (e->required || (e->has_required_when &&
		    zes_cond_eval(&e->required_when, facts))) {
			(void)snprintf(field, sizeof(field), "evidence.%s",
			    e->name);
			engine_error(p, field, e->required ? "is required" :
			    "is required here (see the type's evidence)");
		}
	}
	if (p->n != n0) {
		for (i = 0; i < d->nevidence; i++)
			json_decref(vals[i]);
		return NULL;
	}
	out = json_object();
	for (i = 0; i < d->nevidence; i++)
		if (vals[i] != NULL)
			(void)json_object_set_new(out, d->evidence[i].name,
			    vals[i]);
	return out;
}

/* Fill app->evidence from the normalised evidence of the body. */
static void
engine_app_evidence(struct zes_app *a, const json_t *ev)
{
	const struct zes_evidence_def	*e;
	struct zes_value		*f;
	const json_t			*v;
	size_t				 i;

	for (i = 0; i < ZES_EVIDENCE_MAX; i++)
		a->evidence[i].type = ZES_V_ABSENT;
	for (i = 0; a->def != NULL && i < a->def->nevidence; i++) {
		e = &a->def->evidence[i];
		f = &a->evidence[i];
		if ((v = json_object_get(ev, e->name)) == NULL)
			continue;
		switch (e->type) {
		case ZES_EV_DATE:
			if (zes_date_parse(json_string_value(v),
			    json_string_length(v), &f->u.i) == 0)
				f->type = ZES_V_DATE;
			break;
		case ZES_EV_INTEGER:
			f->type = ZES_V_INT;
			f->u.i = json_integer_value(v);
			break;
		case ZES_EV_BOOLEAN:
			f->type = ZES_V_BOOL;
			f->u.i = json_is_true(v);
			break;
		case ZES_EV_STRING:
		case ZES_EV_POSTCODE:
		case ZES_EV_KVK:
			f->type = ZES_V_STRING;
			f->u.s = json_string_value(v);
			break;
		}
	}
}

/*
 * scope, type and municipality into a: the type resolved against the rule
 * sets.  *evdef is the declaration to check the evidence against: the
 * deciding rule set's; when the municipality is unknown, the first
 * declaring municipality's, only so that evidence errors are listed with
 * the others; NULL when the type is unknown or the municipality does not
 * declare it (an application that is then rejected, type_not_offered).
 */
static void
engine_parse_type(struct engine_parse *p, const json_t *body,
    const struct zes_rules *rules, struct zes_app *a,
    const struct zes_type **evdef)
{
	const struct zes_municipality	*decl;
	const json_t			*v, *tv, *mv;
	const char			*s, *code = NULL;
	int				 scope = -1;	/* 1 national, 0 municipal */

	*evdef = NULL;
	if ((v = engine_string(p, body, "scope", "scope", 1)) != NULL) {
		s = json_string_value(v);
		if (strcmp(s, "national") == 0)
			scope = 1;
		else if (strcmp(s, "municipal") == 0)
			scope = 0;
		else
			engine_error(p, "scope", "must be national or municipal");
	}
	a->national = scope == 1;

	mv = json_object_get(body, "municipality");
	if (scope == 1 && mv != NULL)
		engine_error(p, "municipality", "must be absent: a national "
		    "exemption has no municipality");
	else if (scope != 1 && (mv = engine_string(p, body, "municipality",
	    "municipality", scope == 0)) != NULL) {
		s = json_string_value(mv);
		if (!zes_municipality_code_valid(s))
			engine_error(p, "municipality", "must be a CBS code: GM "
			    "and four digits, as GM0599");
		else if ((a->municipality = zes_rules_municipality(rules, s)) ==
		    NULL)
			engine_error(p, "municipality", "%s is not a "
			    "municipality the rules know", s);
	}

	if ((tv = engine_string(p, body, "type", "type", 1)) == NULL)
		return;
	code = json_string_value(tv);
	if (json_string_length(tv) >= ZES_GROUND_LEN ||
	    strlen(code) != json_string_length(tv)) {
		engine_error(p, "type", "is not an exemption type the rules "
		    "know");
		return;
	}
	memcpy(a->type, code, strlen(code) + 1);
	decl = zes_rules_type_declarer(rules, code);
	if (zes_rules_type(rules, NULL, code) != NULL) {
		if (scope == 0) {
			engine_error(p, "type", "%s is a national exemption "
			    "type: its scope is national", code);
			return;
		}
		a->def = zes_rules_type(rules, NULL, code);
		*evdef = a->def;
		return;
	}
	if (decl == NULL) {
		engine_error(p, "type", "%s is not an exemption type the rules "
		    "know", code);
		return;
	}
	if (scope == 1) {
		engine_error(p, "type", "%s is a municipal exemption type: its "
		    "scope is municipal", code);
		return;
	}
	if (a->municipality != NULL) {
		a->def = zes_rules_type(rules, a->municipality, code);
		*evdef = a->def;
	} else
		/* Only to list evidence errors with the others. */
		*evdef = zes_rules_type(rules, decl, code);
}

/* plate and country into a. */
static void
engine_parse_plate(struct engine_parse *p, const json_t *body,
    struct zes_app *a)
{
	const json_t	*pv, *cv, *dv;
	const char	*country = NULL, *why = NULL;

	cv = engine_string(p, body, "country", "country", 0);
	if (cv != NULL) {
		country = json_string_value(cv);
		if (!zes_plate_country_valid(country)) {
			engine_error(p, "country", "must be an ISO 3166-1 "
			    "alpha-2 code in upper case, as NL or DE");
			cv = NULL;
			country = NULL;
		}
	}
	if ((pv = engine_string(p, body, "plate", "plate", 1)) == NULL)
		return;
	if (json_object_get(body, "country") != NULL && cv == NULL)
		return;	/* the plate cannot be judged without its country */
	if (zes_plate_parse(json_string_value(pv), json_string_length(pv),
	    country, &a->plate, &why) != 0) {
		engine_error(p, "plate", "%s", why != NULL ? why :
		    "is not a licence plate");
		return;
	}
	if ((dv = json_object_get(body, "plateDisplay")) != NULL &&
	    (!json_is_string(dv) ||
	    strcmp(json_string_value(dv), a->plate.display) != 0))
		engine_error(p, "plateDisplay", "is derived from plate (%s): "
		    "leave it out", a->plate.display);
}

/* applicant into a: kvk (optional: foreign applicants have none), name, email. */
static void
engine_parse_applicant(struct engine_parse *p, const json_t *body,
    struct zes_app *a)
{
	const json_t	*o, *v;

	if ((o = json_object_get(body, "applicant")) == NULL) {
		engine_error(p, "applicant", "is required");
		return;
	}
	if (!json_is_object(o)) {
		engine_error(p, "applicant", "must be an object, not %s",
		    engine_jtype(o));
		return;
	}
	engine_unknown(p, o, "applicant.", engine_applicant,
	    ZES_NELEM(engine_applicant));
	if ((v = engine_string(p, o, "kvk", "applicant.kvk", 0)) != NULL) {
		if (!engine_digits(json_string_value(v), json_string_length(v),
		    8))
			engine_error(p, "applicant.kvk", "must be a KvK number: "
			    "8 digits");
		else
			memcpy(a->kvk, json_string_value(v), 9);
	}
	if ((v = engine_string(p, o, "name", "applicant.name", 1)) != NULL) {
		size_t	 i, n = engine_utf8_len(json_string_value(v),
			    json_string_length(v));
		int	 blank = 1;

		for (i = 0; i < json_string_length(v); i++) {
			if ((unsigned char)json_string_value(v)[i] < ' ')
				break;
			if (json_string_value(v)[i] != ' ')
				blank = 0;
		}
		if (n == 0 || n > ENGINE_NAME_MAX || blank)
			engine_error(p, "applicant.name", "must be a name of 1 "
			    "to %d characters", ENGINE_NAME_MAX);
		else if (i < json_string_length(v))
			engine_error(p, "applicant.name", "must not hold "
			    "control characters");
	}
	if ((v = engine_string(p, o, "email", "applicant.email", 1)) != NULL) {
		const char	*why = engine_email_why(json_string_value(v),
				    json_string_length(v));

		if (why != NULL || strlen(json_string_value(v)) !=
		    json_string_length(v))
			engine_error(p, "applicant.email", "%s", why != NULL ?
			    why : "must be an e-mail address");
	}
}

/* period into a: from (default today, not before it), until (not before from). */
static void
engine_parse_period(struct engine_parse *p, const json_t *body,
    const struct zes_type *evdef, int64_t today, struct zes_app *a)
{
	const json_t	*o;
	char		 d[ZES_DATE_TEXT_LEN + 1];
	int		 rf = 1, ru = 1;

	a->from_day = today;
	a->until_day = ZES_DAY_NONE;
	if ((o = json_object_get(body, "period")) != NULL) {
		if (!json_is_object(o)) {
			engine_error(p, "period", "must be an object, not %s",
			    engine_jtype(o));
			return;
		}
		engine_unknown(p, o, "period.", engine_period,
		    ZES_NELEM(engine_period));
		rf = engine_date(p, o, "from", "period.from", &a->from_day);
		ru = engine_date(p, o, "until", "period.until", &a->until_day);
	}
	if (rf == 0 && a->from_day < today) {
		zes_date_format(today, d);
		engine_error(p, "period.from", "lies before today (%s)", d);
	}
	if (ru != 0) {
		a->until_day = ZES_DAY_NONE;
		return;
	}
	if (rf != -1 && a->until_day < a->from_day)
		engine_error(p, "period.until", "lies before period.from: it is "
		    "the last day of the period");
	else if (rf != -1 && evdef != NULL && evdef->validity.single_day &&
	    a->until_day != a->from_day)
		engine_error(p, "period.until", "must be absent or equal to "
		    "period.from: a %s covers one day", evdef->code);
}

/* The normalised body of a parsed application (owned by the caller). */
static json_t *
engine_body(const json_t *body, const struct zes_app *a, json_t *evidence)
{
	const json_t	*ap;
	json_t		*o, *x;
	char		 d[ZES_DATE_TEXT_LEN + 1];

	o = json_object();
	(void)json_object_set_new(o, "scope", json_string(a->national ?
	    "national" : "municipal"));
	(void)json_object_set_new(o, "type", json_string(a->type));
	if (a->municipality != NULL)
		(void)json_object_set_new(o, "municipality",
		    json_string(a->municipality->code));
	(void)json_object_set_new(o, "plate", json_string(a->plate.text));
	(void)json_object_set_new(o, "plateDisplay",
	    json_string(a->plate.display));
	(void)json_object_set_new(o, "country", json_string(a->plate.country));
	ap = json_object_get(body, "applicant");
	x = json_object();
	if (a->kvk[0] != '\0')
		(void)json_object_set_new(x, "kvk", json_string(a->kvk));
	(void)json_object_set_new(x, "name",
	    json_deep_copy(json_object_get(ap, "name")));
	(void)json_object_set_new(x, "email",
	    json_deep_copy(json_object_get(ap, "email")));
	(void)json_object_set_new(o, "applicant", x);
	x = json_object();
	zes_date_format(a->from_day, d);
	(void)json_object_set_new(x, "from", json_string(d));
	if (a->until_day != ZES_DAY_NONE) {
		zes_date_format(a->until_day, d);
		(void)json_object_set_new(x, "until", json_string(d));
	}
	(void)json_object_set_new(o, "period", x);
	(void)json_object_set_new(o, "evidence", evidence);
	return o;
}

/*
 * Parse and validate a submission (engine.h): every error is passed to
 * err, and the count returned; 0 fills *out.
 */
size_t
zes_app_parse(const json_t *body, const struct zes_rules *rules, int64_t today,
    struct zes_app *out, zes_app_error_fn *err, void *arg)
{
	struct engine_parse	 p = { err, arg, 0 };
	const struct zes_type	*evdef;
	json_t			*ev;

	memset(out, 0, sizeof(*out));
	out->until_day = ZES_DAY_NONE;
	out->today = today;
	if (!json_is_object(body)) {
		engine_error(&p, "", "the body must be a JSON object");
		return p.n;
	}
	engine_unknown(&p, body, "", engine_top, ZES_NELEM(engine_top));
	engine_parse_type(&p, body, rules, out, &evdef);
	engine_parse_plate(&p, body, out);
	engine_parse_applicant(&p, body, out);
	engine_parse_period(&p, body, evdef, today, out);
	/* Without a declaration (unknown type, or one the municipality does
	 * not declare) the evidence can only be checked to be an object. */
	ev = engine_evidence(&p, json_object_get(body, "evidence"), evdef,
	    out->type);
	if (p.n > 0) {
		json_decref(ev);
		out->def = NULL;
		out->municipality = NULL;
		return p.n;
	}
	out->body = engine_body(body, out, ev);
	engine_app_evidence(out, json_object_get(out->body, "evidence"));
	return 0;
}

/* Release what zes_app_parse() made. */
void
zes_app_clear(struct zes_app *a)
{
	json_decref(a->body);
	a->body = NULL;
}

/* Add a reason (code and a formatted message) to a decision, if it fits. */
static void ZES_PRINTF(3, 4)
engine_reason(struct zes_decision *out, const char *code, const char *fmt, ...)
{
	struct zes_reason	*r;
	va_list			 ap;

	if (out->nreasons == ZES_REASONS_MAX)
		return;
	r = &out->reasons[out->nreasons++];
	(void)snprintf(r->code, sizeof(r->code), "%s", code);
	va_start(ap, fmt);
	(void)vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
}

/*
 * The facts of an application: the vehicle's (when it is in the register:
 * a Dutch plate the register knows), vehicle.registered, the application
 * fields, municipality.zoneStart and the evidence.
 */
static void
engine_facts(const struct zes_app *a, const struct zes_rules *r,
    const struct zes_vehicle *v, struct zes_facts_store *store,
    struct zes_value facts[ZES_F_FACTS_MAX])
{
	int64_t	start;
	size_t	i;
	int	registered;

	for (i = 0; i < ZES_F_FACTS_MAX; i++)
		facts[i].type = ZES_V_ABSENT;
	registered = v != NULL && strcmp(a->plate.country, "NL") == 0;
	if (registered)
		zes_vehicle_facts(v, &r->national, store, facts);
	facts[ZES_F_REGISTERED].type = ZES_V_BOOL;
	facts[ZES_F_REGISTERED].u.i = registered;
	facts[ZES_F_PERIOD_FROM].type = ZES_V_DATE;
	facts[ZES_F_PERIOD_FROM].u.i = a->from_day;
	if (a->until_day != ZES_DAY_NONE) {
		facts[ZES_F_PERIOD_UNTIL].type = ZES_V_DATE;
		facts[ZES_F_PERIOD_UNTIL].u.i = a->until_day;
	}
	facts[ZES_F_SUBMITTED_ON].type = ZES_V_DATE;
	facts[ZES_F_SUBMITTED_ON].u.i = a->today;
	facts[ZES_F_COUNTRY].type = ZES_V_STRING;
	facts[ZES_F_COUNTRY].u.s = a->plate.country;
	if (!a->national &&
	    (start = zes_zone_start(a->municipality)) != ZES_DAY_NONE) {
		facts[ZES_F_ZONE_START].type = ZES_V_DATE;
		facts[ZES_F_ZONE_START].u.i = start;
	}
	for (i = 0; a->def != NULL && i < a->def->nevidence &&
	    i < ZES_EVIDENCE_MAX; i++)
		facts[ZES_F_EVIDENCE + i] = a->evidence[i];
}

/* day + a length: years, then months, then days. */
static int64_t
engine_add_span(int64_t day, const struct zes_span *s)
{
	if (s->years != 0)
		day = zes_date_add_years(day, s->years);
	if (s->months != 0)
		day = zes_date_add_months(day, s->months);
	return day + s->days;
}

/* 1 when a length is given (not all 0). */
static int
engine_span_set(const struct zes_span *s)
{
	return s->years != 0 || s->months != 0 || s->days != 0;
}

/* The smaller of two days, ZES_DAY_NONE (INT64_MAX) being no bound. */
static int64_t
engine_min(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/*
 * The instant of a wall-clock time (minutes after midnight) on a local day
 * in Europe/Amsterdam.  The offset at the result decides; a time inside
 * the hour skipped in spring does not exist and comes out an hour later,
 * one in the hour repeated in autumn comes out the first time.  Rules use
 * times such as 06:00, which exist once on every day.
 */
static int64_t
engine_local_time(int64_t day, int minutes)
{
	int64_t	wall, t;

	wall = day * ZES_SECONDS_PER_DAY + (int64_t)minutes * 60;
	t = wall - ZES_TIME_CET;
	t = wall - zes_time_utc_offset(t);
	return wall - zes_time_utc_offset(t);
}

/*
 * The validity of a type for an application, [*from, *until) instants,
 * with the last day an assessor set (ZES_DAY_NONE: none): the rules'
 * period from local midnight of period.from, shortened by last_day.
 * Returns 0; -1 when a bound depends on a fact that is absent (a date the
 * register lacks); 1 when nothing is left (the period ends before it
 * starts); 2 when last_day lies outside [period.from, the rules' end).
 */
static int
engine_validity(const struct zes_type *t, const struct zes_app *a,
    const struct zes_value *facts, int64_t last_day, int64_t *from,
    int64_t *until)
{
	const struct zes_validity	*v = &t->validity;
	int64_t				 end = ZES_DAY_NONE, d;

	*from = zes_time_local_midnight(a->from_day);
	*until = *from;
	if (v->before.n > 0) {
		if ((d = zes_daybound_before(&v->before, facts)) ==
		    ZES_DAY_NONE)
			return -1;
		end = d;
	}
	if (v->single_day) {
		if (last_day != ZES_DAY_NONE && last_day != a->from_day)
			return 2;
		if (end != ZES_DAY_NONE && end <= a->from_day)
			return 1;
		*until = engine_local_time(a->from_day + 1,
		    v->next_day_minutes);
		if (end != ZES_DAY_NONE &&
		    zes_time_local_midnight(end) < *until)
			*until = zes_time_local_midnight(end);
		return 0;
	}
	if (engine_span_set(&v->length))
		end = engine_min(end, engine_add_span(a->from_day, &v->length));
	if (v->through.n > 0) {
		if ((d = zes_daybound_before(&v->through, facts)) ==
		    ZES_DAY_NONE)
			return -1;
		end = engine_min(end, d + 1);
	}
	if (engine_span_set(&v->max_length))
		end = engine_min(end, engine_add_span(a->from_day,
		    &v->max_length));
	if (a->until_day != ZES_DAY_NONE)
		end = engine_min(end, a->until_day + 1);
	if (end == ZES_DAY_NONE || end <= a->from_day)
		return 1;
	if (last_day != ZES_DAY_NONE) {
		if (last_day < a->from_day || last_day + 1 > end)
			return 2;
		end = last_day + 1;
	}
	*until = zes_time_local_midnight(end);
	return 0;
}

/* The issuer of exemptions of this application: "national" or its municipality. */
static const char *
engine_issuer(const struct zes_app *a)
{
	return a->national ? ENGINE_NATIONAL : a->municipality->code;
}

/* Is e of this type and issuer, and not revoked by now? */
static int
engine_same(const struct zes_engine_input *in, const struct zes_exemption *e)
{
	const struct zes_app	*a = in->app;

	return strncmp(e->type, a->type, sizeof(e->type)) == 0 &&
	    strncmp(e->issuer, engine_issuer(a), sizeof(e->issuer)) == 0 &&
	    e->revoked_at > in->now;
}

/*
 * An exemption the application would duplicate (DOMAIN.md §5): of the same
 * type and issuer, not revoked, overlapping the period applied for
 * ([period.from, period.until], open-ended without until); for a
 * single-day type, one of the same day.  NULL when none.
 */
static const struct zes_exemption *
engine_duplicate(const struct zes_engine_input *in)
{
	const struct zes_app		*a = in->app;
	const struct zes_exemption	*e;
	struct zes_period		 want, have;
	size_t				 i;

	want.from = zes_time_local_midnight(a->from_day);
	want.until = a->until_day == ZES_DAY_NONE ? INT64_MAX :
	    zes_period_day_end(a->until_day);
	for (i = 0; i < in->nexemptions; i++) {
		e = &in->exemptions[i];
		if (!engine_same(in, e))
			continue;
		if (a->def->validity.single_day) {
			if (zes_time_local_day(e->valid_from) == a->from_day)
				return e;
			continue;
		}
		have.from = e->valid_from;
		have.until = e->valid_until;
		if (zes_period_overlaps(&want, &have))
			return e;
	}
	return NULL;
}

/* Exemptions of the type and issuer, not revoked, starting in the year of period.from. */
static int
engine_quota_used(const struct zes_engine_input *in)
{
	const struct zes_exemption	*e;
	size_t				 i;
	int				 y, ey, m, d, n = 0;

	zes_date_to_ymd(in->app->from_day, &y, &m, &d);
	for (i = 0; i < in->nexemptions; i++) {
		e = &in->exemptions[i];
		if (!engine_same(in, e))
			continue;
		zes_date_to_ymd(zes_time_local_day(e->valid_from), &ey, &m, &d);
		if (ey == y)
			n++;
	}
	return n;
}

/* The name of the deciding rule set, for messages. */
static const char *
engine_who(const struct zes_app *a)
{
	if (a->national)
		return "The national rules";
	return a->municipality->info != NULL &&
	    a->municipality->info->name != NULL ?
	    a->municipality->info->name : a->municipality->code;
}

/* Reject with no validity. */
static void
engine_reject(struct zes_decision *out)
{
	out->outcome = ZES_OUTCOME_REJECTED;
	out->valid_from = 0;
	out->valid_until = 0;
}

/* Decide an application (engine.h). */
void
zes_engine_evaluate(const struct zes_engine_input *in, struct zes_decision *out)
{
	const struct zes_app		*a = in->app;
	const struct zes_type		*t = a->def;
	const struct zes_type_condition	*c;
	const struct zes_exemption	*dup;
	struct zes_facts_store		 store;
	struct zes_value		 facts[ZES_F_FACTS_MAX];
	char				 d1[ZES_DATE_TEXT_LEN + 1];
	char				 d2[ZES_DATE_TEXT_LEN + 1];
	size_t				 i;
	int				 used, rc;

	memset(out, 0, sizeof(*out));
	out->ruleset = a->national ? &in->rules->national_info :
	    a->municipality->info;
	out->fee_cents = t != NULL ? t->fee_cents : 0;

	/* The common checks, in the order of DOMAIN.md §5. */
	zes_date_format(a->from_day, d1);
	if (!a->national &&
	    !zes_zone_in_force_day(a->municipality, a->from_day)) {
		engine_reason(out, "municipality_without_zone", "%s has no "
		    "zero-emission zone in force on %s.", engine_who(a), d1);
		engine_reject(out);
		return;
	}
	if (t == NULL || !t->offered) {
		engine_reason(out, "type_not_offered", "%s do%s not offer the "
		    "exemption type %s.", engine_who(a), a->national ? "" :
		    "es", a->type);
		engine_reject(out);
		return;
	}
	if ((dup = engine_duplicate(in)) != NULL) {
		zes_date_format(zes_time_local_day(dup->valid_from), d1);
		zes_date_format(zes_time_local_day(dup->valid_until - 1), d2);
		engine_reason(out, "duplicate_exemption", "The vehicle already "
		    "holds a %s exemption of %s, valid %s to %s, that "
		    "overlaps the period applied for.", a->type,
		    engine_issuer(a), d1, d2);
		engine_reject(out);
		return;
	}

	/* The type's conditions, each that fails giving its reason. */
	engine_facts(a, in->rules, in->vehicle, &store, facts);
	for (i = 0; i < t->nconditions; i++) {
		c = &t->conditions[i];
		if (zes_cond_eval(&c->when, facts) &&
		    !zes_cond_eval(&c->require, facts))
			engine_reason(out, c->reason, "%s", c->message);
	}
	if (t->quota_per_year > 0 &&
	    (used = engine_quota_used(in)) >= t->quota_per_year) {
		zes_date_format(a->from_day, d1);
		engine_reason(out, "quota_exhausted", "The vehicle already "
		    "holds %d %s exemptions of %s in %.4s: at most %d a "
		    "calendar year.", used, a->type, engine_issuer(a), d1,
		    t->quota_per_year);
	}
	if (out->nreasons > 0) {
		engine_reject(out);
		return;
	}

	rc = engine_validity(t, a, facts, ZES_DAY_NONE, &out->valid_from,
	    &out->valid_until);
	if (rc != 0) {
		zes_date_format(a->from_day, d1);
		engine_reason(out, "date_out_of_range", rc == -1 ?
		    "The validity cannot be computed: the vehicle register "
		    "lacks a date it depends on." :
		    "No validity is left: the rules end this exemption on or "
		    "before the first day of the period (%s).", d1);
		engine_reject(out);
		return;
	}
	if (t->review) {
		out->outcome = ZES_OUTCOME_IN_REVIEW;
		engine_reason(out, t->review_reason, "%s", t->review_message);
	} else
		out->outcome = ZES_OUTCOME_GRANTED;
}

/* An assessor's grant: the validity, shortened to last_day (engine.h). */
int
zes_engine_assessor_period(const struct zes_rules *rules,
    const struct zes_app *a, int64_t last_day, int64_t *from, int64_t *until,
    const char **why)
{
	struct zes_facts_store	store;
	struct zes_value	facts[ZES_F_FACTS_MAX];
	const struct zes_type	*t = a->def;

	if (t == NULL) {
		*why = "the rules do not declare this exemption type for the "
		    "municipality";
		return -1;
	}
	if (t->validity.assessor && last_day == ZES_DAY_NONE) {
		*why = "is required: the assessor sets the last day of this "
		    "exemption type";
		return -1;
	}
	engine_facts(a, rules, NULL, &store, facts);
	switch (engine_validity(t, a, facts, last_day, from, until)) {
	case 0:
		return 0;
	case -1:
		*why = "cannot be judged: the validity depends on register "
		    "data";
		return -1;
	case 1:
		*why = "cannot be given: the rules leave no validity from "
		    "period.from";
		return -1;
	default:
		*why = last_day < a->from_day ? "lies before period.from" :
		    "lies beyond the longest validity the rules allow for "
		    "this application";
		return -1;
	}
}
