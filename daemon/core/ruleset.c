/*
 * Rule sets (rules/README.md): the JSON texts of a rules folder, checked
 * against the language with every error collected, then built into one
 * immutable, reference-counted struct that lives in one arena.  The
 * exemption types (national.json's and each municipality's `types`) are
 * read with the same condition and day-expression machinery as the access
 * rules, in a context that adds the application's fields and the type's
 * evidence.  Pure: the caller reads the files (daemon/rulesdir.c).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "zes/period.h"
#include "zes/ruleset.h"

#define RULESET_FORMAT		1	/* the language version this loader reads */
#define RULESET_CHUNK_BYTES	8192	/* the arena grows by at least this */
#define RULESET_ERRORS_MAX	1000	/* errors listed per build; the rest are counted */
#define RULESET_PLUS_YEARS_MAX	200	/* bound of |plusYears| in a day expression */
#define RULESET_PLUS_MONTHS_MAX	2400	/* bound of |plusMonths| */
#define RULESET_PLUS_DAYS_MAX	73000	/* bound of |plusDays| */
#define RULESET_TYPES_MAX	64	/* exemption types per file */
#define RULESET_QUOTA_MAX	1000	/* bound of a quota per year */
#define RULESET_FEE_CENTS_MAX	10000000	/* 100,000 euro */
#define RULESET_DEPTH_MAX	64	/* nesting of conditions: bounds the recursion */
#define RULESET_SUFFIX		".json"

/* What the conditions of a part of the rules may name (see ruleset_field_ok). */
enum ruleset_ctx {
	RULESET_CTX_SCOPE,		/* vehicle.scope: raw fields only */
	RULESET_CTX_KINDS,		/* vehicle.kinds: not kind, transitionCovered */
	RULESET_CTX_TRANSITION,		/* access.transition: not transitionCovered */
	RULESET_CTX_VEHICLE,		/* the other vehicle rules: every vehicle field */
	RULESET_CTX_TYPE,		/* a type's conditions: every field */
	RULESET_CTX_EVIDENCE,		/* requiredWhen: the type's evidence fields */
	RULESET_CTX_VALIDITY,		/* a type's validity: no register data for review types */
};

/* One block of the arena; allocations are carved from data in order. */
struct ruleset_chunk {
	struct ruleset_chunk	*next;
	size_t			 size;		/* bytes in data */
	size_t			 used;		/* bytes handed out */
	max_align_t		 data[];
};

/* A member an object may have. */
struct ruleset_member {
	const char	*name;
	int		 required;
};

/* The state of one build: arena, errors, and where in which file we are. */
struct ruleset_build {
	struct ruleset_chunk		*arena;
	struct zes_rule_errors		*errs;		/* may be NULL: count only */
	size_t				 nerrs;		/* errors found, listed or not */
	const char			*file;		/* name of the file being read */
	char				*path;		/* JSON pointer of the value being read */
	size_t				 pathlen;
	size_t				 pathcap;
	enum ruleset_ctx		 ctx;
	int				 depth;		/* of the condition being read */
	const struct zes_kind_rule	*kinds;		/* national kinds, when kinds_known */
	size_t				 nkinds;
	int				 kinds_known;
	const struct zes_type		*nat_types;	/* national types, once read */
	size_t				 nnat_types;
	/* The exemption type being read (RULESET_CTX_TYPE ... _VALIDITY). */
	const struct zes_evidence_def	*evidence;
	size_t				 nevidence;
	int				 type_national;
	int				 type_review;
	char				 fname[ZES_EVIDENCE_NAME_LEN + 16];
};

/* A ground already used in national.json, to report duplicates. */
struct ruleset_ground_seen {
	const char	*ground;
	char		*where;		/* its pointer, for the message */
};

static const char *const ruleset_op_names[] = {
	[ZES_OP_EQ] = "eq", [ZES_OP_NE] = "ne", [ZES_OP_LT] = "lt",
	[ZES_OP_LE] = "le", [ZES_OP_GT] = "gt", [ZES_OP_GE] = "ge",
	[ZES_OP_IN] = "in", [ZES_OP_NOT_IN] = "notIn",
	[ZES_OP_INTERSECTS] = "intersects", [ZES_OP_EXISTS] = "exists",
};

/* Out of memory is not a rule error: stop, like xmalloc does. */
static void *
ruleset_malloc(size_t n)
{
	void	*p;

	if ((p = malloc(n == 0 ? 1 : n)) == NULL)
		abort();
	return p;
}

/* realloc that stops on failure. */
static void *
ruleset_realloc(void *old, size_t n)
{
	void	*p;

	if ((p = realloc(old, n == 0 ? 1 : n)) == NULL)
		abort();
	return p;
}

/* n zeroed bytes from the arena, aligned for any type. */
static void *
ruleset_alloc(struct ruleset_chunk **arena, size_t n)
{
	struct ruleset_chunk	*c = *arena;
	size_t			 align = sizeof(max_align_t), size;
	void			*p;

	if (n > SIZE_MAX - align)
		abort();
	n = (n + align - 1) / align * align;
	if (c == NULL || c->size - c->used < n) {
		size = n > RULESET_CHUNK_BYTES ? n : RULESET_CHUNK_BYTES;
		if ((c = calloc(1, sizeof(*c) + size)) == NULL)
			abort();
		c->size = size;
		c->next = *arena;
		*arena = c;
	}
	p = (char *)c->data + c->used;
	c->used += n;
	return p;
}

/* An arena array of n elements of size bytes, zeroed; overflow stops. */
static void *
ruleset_array(struct ruleset_chunk **arena, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		abort();
	return ruleset_alloc(arena, n * size);
}

/* A copy of s in the arena. */
static char *
ruleset_strdup(struct ruleset_chunk **arena, const char *s)
{
	size_t	 n = strlen(s) + 1;
	char	*p;

	p = ruleset_alloc(arena, n);
	memcpy(p, s, n);
	return p;
}

/* Free every chunk of an arena. */
static void
ruleset_arena_free(struct ruleset_chunk *c)
{
	struct ruleset_chunk	*next;

	for (; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
}

/* vsnprintf into a new malloc'd string. */
static char * ZES_PRINTF(1, 0)
ruleset_vformat(const char *fmt, va_list ap)
{
	va_list	 ap2;
	char	*s;
	int	 n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		abort();
	s = ruleset_malloc((size_t)n + 1);
	(void)vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

/* snprintf into a new malloc'd string. */
static char * ZES_PRINTF(1, 2)
ruleset_format(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	s = ruleset_vformat(fmt, ap);
	va_end(ap);
	return s;
}

/* Append one error (taking where and message) to the caller's list. */
static void
ruleset_append(struct zes_rule_errors *errs, char *where, char *message)
{
	errs->v = ruleset_realloc(errs->v, (errs->n + 1) * sizeof(*errs->v));
	errs->v[errs->n].where = where;
	errs->v[errs->n].message = message;
	errs->n++;
}

/*
 * Record an error at the current pointer of the current file.  Past
 * RULESET_ERRORS_MAX the errors are only counted (the build fails all the
 * same), so that a hostile file cannot make the list huge.
 */
static void ZES_PRINTF(2, 3)
ruleset_error(struct ruleset_build *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	b->nerrs++;
	if (b->errs == NULL || b->nerrs > RULESET_ERRORS_MAX + 1)
		return;
	if (b->nerrs == RULESET_ERRORS_MAX + 1) {
		ruleset_append(b->errs, ruleset_format("%s#", b->file),
		    ruleset_format("more errors: only the first %d are listed",
		    RULESET_ERRORS_MAX));
		return;
	}
	va_start(ap, fmt);
	msg = ruleset_vformat(fmt, ap);
	va_end(ap);
	ruleset_append(b->errs, ruleset_format("%s#%s", b->file,
	    b->path != NULL ? b->path : ""), msg);
}

/* Make room for n more bytes of path (and its NUL). */
static void
ruleset_path_grow(struct ruleset_build *b, size_t n)
{
	if (b->pathlen + n + 1 <= b->pathcap)
		return;
	while (b->pathlen + n + 1 > b->pathcap)
		b->pathcap = b->pathcap == 0 ? 128 : b->pathcap * 2;
	b->path = ruleset_realloc(b->path, b->pathcap);
}

/*
 * Append "/" and a member name to the pointer, escaped as RFC 6901 says
 * ("~" is "~0", "/" is "~1").  Returns the length to restore with
 * ruleset_pop().
 */
static size_t
ruleset_push(struct ruleset_build *b, const char *key)
{
	size_t		 mark = b->pathlen;
	const char	*p;

	ruleset_path_grow(b, 2 * strlen(key) + 1);
	b->path[b->pathlen++] = '/';
	for (p = key; *p != '\0'; p++) {
		if (*p == '~' || *p == '/') {
			b->path[b->pathlen++] = '~';
			b->path[b->pathlen++] = *p == '~' ? '0' : '1';
		} else
			b->path[b->pathlen++] = *p;
	}
	b->path[b->pathlen] = '\0';
	return mark;
}

/* Append "/i" to the pointer; returns the length to restore. */
static size_t
ruleset_push_index(struct ruleset_build *b, size_t i)
{
	char	num[32];

	(void)snprintf(num, sizeof(num), "%zu", i);
	return ruleset_push(b, num);
}

/* Go back to the pointer of length mark. */
static void
ruleset_pop(struct ruleset_build *b, size_t mark)
{
	b->pathlen = mark;
	if (b->path != NULL)
		b->path[mark] = '\0';
}

/* "a string", "an integer"...: the JSON type of v, for messages. */
static const char *
ruleset_type(const json_t *v)
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
		return "true";
	case JSON_FALSE:
		return "false";
	case JSON_NULL:
		return "null";
	}
	return "a JSON value";
}

/* How a field's type is named in messages. */
static const char *
ruleset_vtype(enum zes_vtype t)
{
	switch (t) {
	case ZES_V_STRING:
		return "a string";
	case ZES_V_INT:
		return "an integer";
	case ZES_V_BOOL:
		return "a boolean";
	case ZES_V_DATE:
		return "a date";
	case ZES_V_STRSET:
		return "a set of strings";
	case ZES_V_INTSET:
		return "a set of integers";
	case ZES_V_ABSENT:
		break;
	}
	return "untyped";
}

/*
 * Report the members of object o that are not in m[0..n) (names starting
 * with "$" are ignored, "note" must be a string), and the required members
 * it lacks, each at the pointer of the member.
 */
static void
ruleset_members(struct ruleset_build *b, json_t *o,
    const struct ruleset_member *m, size_t n)
{
	const char	*key;
	json_t		*v;
	size_t		 i, mark;

	json_object_foreach(o, key, v) {
		if (key[0] == '$')
			continue;
		mark = ruleset_push(b, key);
		if (strcmp(key, "note") == 0) {
			if (!json_is_string(v))
				ruleset_error(b, "must be a string, not %s",
				    ruleset_type(v));
		} else {
			for (i = 0; i < n; i++)
				if (strcmp(key, m[i].name) == 0)
					break;
			if (i == n)
				ruleset_error(b, "unknown member \"%s\"", key);
		}
		ruleset_pop(b, mark);
	}
	for (i = 0; i < n; i++) {
		if (!m[i].required || json_object_get(o, m[i].name) != NULL)
			continue;
		mark = ruleset_push(b, m[i].name);
		ruleset_error(b, "missing required member \"%s\"", m[i].name);
		ruleset_pop(b, mark);
	}
}

/*
 * The member key of o, with the pointer moved onto it (restore with
 * ruleset_pop(b, *mark)); NULL, and the pointer unchanged, when absent.
 */
static json_t *
ruleset_enter(struct ruleset_build *b, json_t *o, const char *key, size_t *mark)
{
	json_t	*v;

	/* Absent: the mark is where the path is, so popping it changes nothing. */
	*mark = b->pathlen;
	if ((v = json_object_get(o, key)) == NULL)
		return NULL;
	*mark = ruleset_push(b, key);
	return v;
}

/* Is v an object?  If not, report it. */
static int
ruleset_want_object(struct ruleset_build *b, const json_t *v)
{
	if (json_is_object(v))
		return 1;
	ruleset_error(b, "must be an object, not %s", ruleset_type(v));
	return 0;
}

/* Is v an array (non-empty when nonempty)?  If not, report it. */
static int
ruleset_want_array(struct ruleset_build *b, const json_t *v, int nonempty)
{
	if (!json_is_array(v)) {
		ruleset_error(b, "must be an array, not %s", ruleset_type(v));
		return 0;
	}
	if (nonempty && json_array_size(v) == 0) {
		ruleset_error(b, "must not be empty");
		return 0;
	}
	return 1;
}

/* A non-empty string copied to the arena, or NULL (reported). */
static const char *
ruleset_text(struct ruleset_build *b, const json_t *v)
{
	if (!json_is_string(v)) {
		ruleset_error(b, "must be a string, not %s", ruleset_type(v));
		return NULL;
	}
	if (json_string_length(v) == 0) {
		ruleset_error(b, "must not be empty");
		return NULL;
	}
	return ruleset_strdup(&b->arena, json_string_value(v));
}

/* Parse a "YYYY-MM-DD" string into *day; 0 ok, -1 reported. */
static int
ruleset_date(struct ruleset_build *b, const json_t *v, int64_t *day)
{
	if (!json_is_string(v)) {
		ruleset_error(b, "must be a date \"YYYY-MM-DD\", not %s",
		    ruleset_type(v));
		return -1;
	}
	if (zes_date_parse(json_string_value(v), json_string_length(v),
	    day) != 0) {
		ruleset_error(b, "\"%s\" is not a date: YYYY-MM-DD, a real day "
		    "of the years %d to %d", json_string_value(v),
		    ZES_DATE_YEAR_MIN, ZES_DATE_YEAR_MAX);
		return -1;
	}
	return 0;
}

/* 1 when s is 1 to max characters of [a-z0-9_]. */
static int
ruleset_code_ok(const char *s, size_t max)
{
	size_t	n;

	for (n = 0; s[n] != '\0'; n++) {
		if (!((s[n] >= 'a' && s[n] <= 'z') ||
		    (s[n] >= '0' && s[n] <= '9') || s[n] == '_'))
			return 0;
	}
	return n >= 1 && n <= max;
}

/* Copy a ground or type code ([a-z0-9_], 1 to len - 1) into out; 0 or -1 reported. */
static int
ruleset_code(struct ruleset_build *b, const json_t *v, char *out, size_t len,
    const char *what)
{
	if (!json_is_string(v)) {
		ruleset_error(b, "must be a string, not %s", ruleset_type(v));
		return -1;
	}
	if (!ruleset_code_ok(json_string_value(v), len - 1)) {
		ruleset_error(b, "\"%s\" is not a valid %s: 1 to %zu of a-z, "
		    "0-9 and _", json_string_value(v), what, len - 1);
		return -1;
	}
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

/*
 * A non-empty array of non-empty, distinct strings, copied to the arena
 * into *out and *n.  When code is set, each must be a type code.
 */
static void
ruleset_strings(struct ruleset_build *b, const json_t *v, int code,
    const char *const **out, size_t *n)
{
	const char	**s;
	const json_t	 *e;
	size_t		  i, j, k, mark;
	char		  buf[ZES_GROUND_LEN];

	*out = NULL;
	*n = 0;
	if (!ruleset_want_array(b, v, 1))
		return;
	s = ruleset_array(&b->arena, json_array_size(v), sizeof(*s));
	k = 0;
	json_array_foreach(v, i, e) {
		mark = ruleset_push_index(b, i);
		if (code ? ruleset_code(b, e, buf, sizeof(buf), "type") == 0 :
		    (s[k] = ruleset_text(b, e)) != NULL) {
			if (code)
				s[k] = ruleset_strdup(&b->arena, buf);
			for (j = 0; j < k; j++)
				if (strcmp(s[j], s[k]) == 0)
					break;
			if (j < k)
				ruleset_error(b, "\"%s\" is listed twice", s[k]);
			else
				k++;
		}
		ruleset_pop(b, mark);
	}
	*out = s;
	*n = k;
}

/*
 * Look a field up by name in cond.c's table.  The table continues after
 * ZES_F_VEHICLE_END with the fields of the applications issue, so every
 * id is tried up to the first without a name.  -1 when unknown.
 */
static int
ruleset_field(const char *name)
{
	const char	*s;
	int		 f;

	for (f = 0; ; f++) {
		if (f == ZES_F_VEHICLE_END)
			continue;
		if ((s = zes_field_name((enum zes_field)f)) == NULL)
			return -1;
		if (strcmp(s, name) == 0)
			return f;
	}
}

/* The type of an evidence field's values in conditions. */
static enum zes_vtype
ruleset_evidence_vtype(enum zes_evidence_type t)
{
	switch (t) {
	case ZES_EV_DATE:
		return ZES_V_DATE;
	case ZES_EV_INTEGER:
		return ZES_V_INT;
	case ZES_EV_BOOLEAN:
		return ZES_V_BOOL;
	case ZES_EV_STRING:
	case ZES_EV_POSTCODE:
	case ZES_EV_KVK:
		break;
	}
	return ZES_V_STRING;
}

/* The evidence field of id f in the type being read, or NULL. */
static const struct zes_evidence_def *
ruleset_evidence_of(const struct ruleset_build *b, int f)
{
	if (f < ZES_F_EVIDENCE || b->evidence == NULL ||
	    (size_t)(f - ZES_F_EVIDENCE) >= b->nevidence)
		return NULL;
	return &b->evidence[f - ZES_F_EVIDENCE];
}

/* Type of field f, evidence fields of the type being read included. */
static enum zes_vtype
ruleset_ftype(const struct ruleset_build *b, int f)
{
	const struct zes_evidence_def	*e;

	if ((e = ruleset_evidence_of(b, f)) != NULL)
		return ruleset_evidence_vtype(e->type);
	return zes_field_type((enum zes_field)f);
}

/* Name of field f for messages ("evidence.orderDate" too). */
static const char *
ruleset_fname(struct ruleset_build *b, int f)
{
	const struct zes_evidence_def	*e;
	const char			*s;

	if ((e = ruleset_evidence_of(b, f)) != NULL) {
		(void)snprintf(b->fname, sizeof(b->fname), "evidence.%s",
		    e->name);
		return b->fname;
	}
	s = zes_field_name((enum zes_field)f);
	return s != NULL ? s : "?";
}

/* Is context ctx one of a type's (where application fields exist)? */
static int
ruleset_ctx_type(enum ruleset_ctx ctx)
{
	return ctx == RULESET_CTX_TYPE || ctx == RULESET_CTX_EVIDENCE ||
	    ctx == RULESET_CTX_VALIDITY;
}

/* The id of the evidence field `name` of the type being read, or -1. */
static int
ruleset_evidence_field(const struct ruleset_build *b, const char *name)
{
	size_t	i;

	for (i = 0; b->evidence != NULL && i < b->nevidence; i++)
		if (strcmp(b->evidence[i].name, name) == 0)
			return ZES_F_EVIDENCE + (int)i;
	return -1;
}

/*
 * NULL when field f may be named in the current part of the rules, else
 * why not.  The derived vehicle fields are computed in order (scope; kind;
 * transition cover: daemon/core/vehicle.c), so a rule may not use a field
 * derived from itself or from a later rule.  A type's evidence conditions
 * (requiredWhen) are checked with the request, before the register is
 * read: evidence fields only.  A type an assessor decides has its validity
 * computed again from the application alone when the assessor grants
 * (zes_engine_assessor_period): no register data in its validity.
 */
static const char *
ruleset_field_ok(const struct ruleset_build *b, int f)
{
	if (ruleset_ctx_type(b->ctx)) {
		if (b->ctx == RULESET_CTX_EVIDENCE && f < ZES_F_EVIDENCE)
			return "is not an evidence field: requiredWhen names "
			    "the type's evidence fields only";
		if (f == ZES_F_ZONE_START && b->type_national)
			return "names a municipality's zone: a national type "
			    "has none";
		if (b->ctx == RULESET_CTX_VALIDITY && b->type_review &&
		    (f < ZES_F_VEHICLE_END || f == ZES_F_REGISTERED))
			return "is register data: the validity of a type an "
			    "assessor decides is computed from the "
			    "application alone";
		return NULL;
	}
	if (f >= ZES_F_VEHICLE_END)
		return "is not a vehicle field: vehicle rules name vehicle.* "
		    "fields of the register only";
	switch (b->ctx) {
	case RULESET_CTX_SCOPE:
		if (f == ZES_F_KIND || f == ZES_F_IN_SCOPE ||
		    f == ZES_F_ZERO_EMISSION || f == ZES_F_TRANSITION_COVERED)
			return "is derived: vehicle.scope may use the raw "
			    "fields only";
		break;
	case RULESET_CTX_KINDS:
		if (f == ZES_F_KIND || f == ZES_F_TRANSITION_COVERED)
			return "is derived from vehicle.kinds: a kind's "
			    "condition cannot use it";
		break;
	case RULESET_CTX_TRANSITION:
		if (f == ZES_F_TRANSITION_COVERED)
			return "is derived from access.transition: a "
			    "transition rule cannot use it";
		break;
	case RULESET_CTX_VEHICLE:
	case RULESET_CTX_TYPE:
	case RULESET_CTX_EVIDENCE:
	case RULESET_CTX_VALIDITY:
		break;
	}
	return NULL;
}

/* Resolve a field member: its id, or -1 (reported). */
static int
ruleset_field_member(struct ruleset_build *b, const json_t *v)
{
	const char	*why;
	int		 f;

	if (!json_is_string(v)) {
		ruleset_error(b, "must be a field name, not %s",
		    ruleset_type(v));
		return -1;
	}
	if (strncmp(json_string_value(v), "evidence.", 9) == 0 &&
	    ruleset_ctx_type(b->ctx)) {
		if ((f = ruleset_evidence_field(b, json_string_value(v) + 9)) ==
		    -1) {
			ruleset_error(b, "unknown field \"%s\": the type "
			    "declares no such evidence field",
			    json_string_value(v));
			return -1;
		}
	} else if ((f = ruleset_field(json_string_value(v))) == -1) {
		ruleset_error(b, "unknown field \"%s\"", json_string_value(v));
		return -1;
	}
	if ((why = ruleset_field_ok(b, f)) != NULL) {
		ruleset_error(b, "%s %s", json_string_value(v), why);
		return -1;
	}
	return f;
}

/* Does op apply to a field of type t (rules/README.md, the table of ops)? */
static int
ruleset_op_applies(enum zes_cond_op op, enum zes_vtype t)
{
	switch (op) {
	case ZES_OP_EQ:
	case ZES_OP_NE:
		return t == ZES_V_STRING || t == ZES_V_INT || t == ZES_V_BOOL ||
		    t == ZES_V_DATE;
	case ZES_OP_LT:
	case ZES_OP_LE:
	case ZES_OP_GT:
	case ZES_OP_GE:
		return t == ZES_V_INT || t == ZES_V_DATE;
	case ZES_OP_IN:
	case ZES_OP_NOT_IN:
		return t == ZES_V_STRING || t == ZES_V_INT;
	case ZES_OP_INTERSECTS:
		return t == ZES_V_STRSET || t == ZES_V_INTSET;
	case ZES_OP_EXISTS:
		return 1;
	}
	return 0;
}

/* The ops that apply to type t, for messages ("eq, ne, in, notIn, exists"). */
static void
ruleset_ops_for(enum zes_vtype t, char *out, size_t len)
{
	size_t	op, n = 0;
	int	w;

	out[0] = '\0';
	for (op = 0; op < ZES_NELEM(ruleset_op_names); op++) {
		if (!ruleset_op_applies((enum zes_cond_op)op, t))
			continue;
		w = snprintf(out + n, len - n, "%s%s", n == 0 ? "" : ", ",
		    ruleset_op_names[op]);
		if (w < 0 || (size_t)w >= len - n)
			return;
		n += (size_t)w;
	}
}

/* Is s a kind that vehicle.kinds declares? (1 when the kinds are unknown.) */
static int
ruleset_kind_declared(const struct ruleset_build *b, const char *s)
{
	size_t	i;

	if (!b->kinds_known)
		return 1;
	for (i = 0; i < b->nkinds; i++)
		if (strcmp(b->kinds[i].kind, s) == 0)
			return 1;
	return 0;
}

/* Is s a value of an evidence field's enumeration (1 when it has none)? */
static int
ruleset_enum_declared(const struct zes_evidence_def *e, const char *s)
{
	size_t	i;

	if (e == NULL || e->nvalues == 0)
		return 1;
	for (i = 0; i < e->nvalues; i++)
		if (strcmp(e->values[i], s) == 0)
			return 1;
	return 0;
}

/*
 * One scalar of field f (type t) from v into *out; 0 or -1 reported.  A
 * value of vehicle.kind must be a kind national.json declares, and one of
 * an evidence field with an enumeration one of its values, so that a
 * misspelling is an error and not a rule that never holds.
 */
static int
ruleset_scalar(struct ruleset_build *b, const json_t *v, int f,
    enum zes_vtype t, struct zes_value *out, const char *what)
{
	const char	*name = ruleset_fname(b, f);

	switch (t) {
	case ZES_V_STRING:
		if (!json_is_string(v))
			break;
		if (f == ZES_F_KIND &&
		    !ruleset_kind_declared(b, json_string_value(v))) {
			ruleset_error(b, "\"%s\" is not one of the kinds of "
			    "national.json#/vehicle/kinds", json_string_value(v));
			return -1;
		}
		if (!ruleset_enum_declared(ruleset_evidence_of(b, f),
		    json_string_value(v))) {
			ruleset_error(b, "\"%s\" is not one of the values of "
			    "%s (its enum)", json_string_value(v), name);
			return -1;
		}
		out->type = ZES_V_STRING;
		out->u.s = ruleset_strdup(&b->arena, json_string_value(v));
		return 0;
	case ZES_V_INT:
		if (!json_is_integer(v))
			break;
		out->type = ZES_V_INT;
		out->u.i = json_integer_value(v);
		return 0;
	case ZES_V_BOOL:
		if (!json_is_boolean(v))
			break;
		out->type = ZES_V_BOOL;
		out->u.i = json_is_true(v);
		return 0;
	case ZES_V_DATE:
		if (!json_is_string(v))
			break;
		out->type = ZES_V_DATE;
		return ruleset_date(b, v, &out->u.i);
	default:
		break;
	}
	ruleset_error(b, "%s must be %s (%s is %s), not %s", what,
	    ruleset_vtype(t), name, ruleset_vtype(ruleset_ftype(b, f)),
	    ruleset_type(v));
	return -1;
}

/*
 * A list value (in, notIn, intersects) of elements of type elem: typed
 * STRSET or INTSET into *out.
 */
static void
ruleset_list(struct ruleset_build *b, const json_t *v, int f,
    enum zes_vtype elem, struct zes_value *out)
{
	struct zes_value	  one;
	const json_t		 *e;
	const char		**ss = NULL;
	int64_t			 *is = NULL;
	size_t			  i, k = 0, mark;

	if (!json_is_array(v)) {
		ruleset_error(b, "must be a list of %s, not %s",
		    elem == ZES_V_STRING ? "strings" : "integers",
		    ruleset_type(v));
		return;
	}
	if (elem == ZES_V_STRING)
		ss = ruleset_array(&b->arena, json_array_size(v), sizeof(*ss));
	else
		is = ruleset_array(&b->arena, json_array_size(v), sizeof(*is));
	json_array_foreach(v, i, e) {
		mark = ruleset_push_index(b, i);
		if (ruleset_scalar(b, e, f, elem, &one, "every element") == 0) {
			if (elem == ZES_V_STRING)
				ss[k++] = one.u.s;
			else
				is[k++] = one.u.i;
		}
		ruleset_pop(b, mark);
	}
	if (elem == ZES_V_STRING) {
		out->type = ZES_V_STRSET;
		out->u.ss.v = ss;
		out->u.ss.n = k;
	} else {
		out->type = ZES_V_INTSET;
		out->u.is.v = is;
		out->u.is.n = k;
	}
}

static int	ruleset_dayexpr(struct ruleset_build *, json_t *,
		    struct zes_dayexpr *);

/*
 * Type the value of a comparison of field f with op (both known good)
 * into c.  A date field's value may be a day expression, computed from
 * the facts when the condition is evaluated ("the submission day + 365
 * days").
 */
static void
ruleset_cmp_value(struct ruleset_build *b, json_t *v, int f,
    enum zes_cond_op op, struct zes_cond *c)
{
	struct zes_value	*out = &c->value;
	struct zes_dayexpr	*e;
	enum zes_vtype		 t = ruleset_ftype(b, f);

	if (t == ZES_V_DATE && json_is_object(v) && op != ZES_OP_EXISTS &&
	    op != ZES_OP_IN && op != ZES_OP_NOT_IN) {
		e = ruleset_alloc(&b->arena, sizeof(*e));
		if (ruleset_dayexpr(b, v, e) == 0 && e->field != -1) {
			out->type = ZES_V_DATE;
			out->u.i = ZES_DAY_NONE;
			c->day = e;
		}
		return;
	}

	switch (op) {
	case ZES_OP_EXISTS:
		if (!json_is_boolean(v)) {
			ruleset_error(b, "exists takes true or false, not %s",
			    ruleset_type(v));
			return;
		}
		out->type = ZES_V_BOOL;
		out->u.i = json_is_true(v);
		return;
	case ZES_OP_IN:
	case ZES_OP_NOT_IN:
		ruleset_list(b, v, f, t, out);
		return;
	case ZES_OP_INTERSECTS:
		ruleset_list(b, v, f, t == ZES_V_STRSET ? ZES_V_STRING :
		    ZES_V_INT, out);
		return;
	case ZES_OP_EQ:
	case ZES_OP_NE:
		/* null asks whether the field is absent (rules/README.md). */
		if (json_is_null(v)) {
			out->type = ZES_V_ABSENT;
			return;
		}
		/* FALLTHROUGH */
	default:
		(void)ruleset_scalar(b, v, f, t, out, "the value");
		return;
	}
}

/* A comparison {"field", "op", "value"} into c. */
static void
ruleset_cmp(struct ruleset_build *b, json_t *o, struct zes_cond *c)
{
	static const struct ruleset_member	 m[] = {
		{ "field", 1 }, { "op", 1 }, { "value", 1 },
	};
	json_t					*v;
	size_t					 mark, op;
	int					 f = -1, have_op = 0;
	char					 ops[128];

	c->kind = ZES_COND_CMP;
	c->field = -1;
	ruleset_members(b, o, m, ZES_NELEM(m));
	if ((v = ruleset_enter(b, o, "field", &mark)) != NULL) {
		f = ruleset_field_member(b, v);
		ruleset_pop(b, mark);
	}
	if ((v = ruleset_enter(b, o, "op", &mark)) != NULL) {
		for (op = 0; json_is_string(v) &&
		    op < ZES_NELEM(ruleset_op_names); op++)
			if (strcmp(json_string_value(v),
			    ruleset_op_names[op]) == 0)
				break;
		if (!json_is_string(v))
			ruleset_error(b, "must be an op name, not %s",
			    ruleset_type(v));
		else if (op == ZES_NELEM(ruleset_op_names))
			ruleset_error(b, "unknown op \"%s\" (the ops are eq, ne, "
			    "lt, le, gt, ge, in, notIn, intersects and exists)",
			    json_string_value(v));
		else {
			c->op = (enum zes_cond_op)op;
			have_op = 1;
			if (f != -1 && !ruleset_op_applies(c->op,
			    ruleset_ftype(b, f))) {
				ruleset_ops_for(ruleset_ftype(b, f), ops,
				    sizeof(ops));
				ruleset_error(b, "op \"%s\" does not apply to %s, "
				    "%s (its ops are %s)", ruleset_op_names[op],
				    ruleset_fname(b, f),
				    ruleset_vtype(ruleset_ftype(b, f)), ops);
				have_op = 0;
			}
		}
		ruleset_pop(b, mark);
	}
	if (f == -1 || !have_op)
		return;
	c->field = f;
	if ((v = ruleset_enter(b, o, "value", &mark)) != NULL) {
		ruleset_cmp_value(b, v, f, c->op, c);
		ruleset_pop(b, mark);
	}
}

static void	ruleset_cond(struct ruleset_build *, json_t *, struct zes_cond *);

/* The list of an "all" or "any" condition into c. */
static void
ruleset_cond_list(struct ruleset_build *b, json_t *o, const char *key,
    struct zes_cond *c)
{
	const struct ruleset_member	 m[] = { { key, 1 } };
	struct zes_cond			*kids;
	json_t				*v, *e;
	size_t				 i, mark, mark2;

	c->kind = strcmp(key, "all") == 0 ? ZES_COND_ALL : ZES_COND_ANY;
	ruleset_members(b, o, m, 1);
	v = ruleset_enter(b, o, key, &mark);
	if (!ruleset_want_array(b, v, 0)) {
		ruleset_pop(b, mark);
		return;
	}
	kids = ruleset_array(&b->arena, json_array_size(v), sizeof(*kids));
	json_array_foreach(v, i, e) {
		mark2 = ruleset_push_index(b, i);
		ruleset_cond(b, e, &kids[i]);
		ruleset_pop(b, mark2);
	}
	c->kids = kids;
	c->nkids = json_array_size(v);
	ruleset_pop(b, mark);
}

/* A condition (rules/README.md, "Conditions") from v into c, typed. */
static void
ruleset_cond(struct ruleset_build *b, json_t *v, struct zes_cond *c)
{
	static const struct ruleset_member	 mnot[] = { { "not", 1 } };
	struct zes_cond				*kid;
	size_t					 mark;

	memset(c, 0, sizeof(*c));
	c->field = -1;
	if (!ruleset_want_object(b, v))
		return;
	if (b->depth == RULESET_DEPTH_MAX) {
		ruleset_error(b, "conditions nest deeper than %d levels",
		    RULESET_DEPTH_MAX);
		return;
	}
	b->depth++;
	if (json_object_get(v, "all") != NULL)
		ruleset_cond_list(b, v, "all", c);
	else if (json_object_get(v, "any") != NULL)
		ruleset_cond_list(b, v, "any", c);
	else if (json_object_get(v, "not") != NULL) {
		c->kind = ZES_COND_NOT;
		ruleset_members(b, v, mnot, 1);
		kid = ruleset_alloc(&b->arena, sizeof(*kid));
		mark = ruleset_push(b, "not");
		ruleset_cond(b, json_object_get(v, "not"), kid);
		ruleset_pop(b, mark);
		c->kids = kid;
		c->nkids = 1;
	} else if (json_object_get(v, "field") != NULL ||
	    json_object_get(v, "op") != NULL ||
	    json_object_get(v, "value") != NULL)
		ruleset_cmp(b, v, c);
	else
		ruleset_error(b, "a condition has \"all\", \"any\", \"not\", or "
		    "\"field\", \"op\" and \"value\"");
	b->depth--;
}

/* The condition member key of o, read in context ctx, into c. */
static void
ruleset_cond_member(struct ruleset_build *b, json_t *o, const char *key,
    enum ruleset_ctx ctx, struct zes_cond *c)
{
	json_t	*v;
	size_t	 mark;

	if ((v = ruleset_enter(b, o, key, &mark)) == NULL)
		return;
	b->ctx = ctx;
	ruleset_cond(b, v, c);
	ruleset_pop(b, mark);
}

/*
 * The plus member key of a day expression (an integer of at most max in
 * absolute value) into *out; 0, or -1 reported.
 */
static int
ruleset_plus(struct ruleset_build *b, json_t *v, const char *key, int max,
    int *out)
{
	json_t	*x;
	size_t	 mark;
	int	 rc = 0;

	*out = 0;
	if ((x = ruleset_enter(b, v, key, &mark)) == NULL)
		return 0;
	if (!json_is_integer(x)) {
		ruleset_error(b, "must be an integer, not %s", ruleset_type(x));
		rc = -1;
	} else if (json_integer_value(x) < -max ||
	    json_integer_value(x) > max) {
		ruleset_error(b, "%" JSON_INTEGER_FORMAT " is out of range: %s "
		    "is from %d to %d", json_integer_value(x), key, -max, max);
		rc = -1;
	} else
		*out = (int)json_integer_value(x);
	ruleset_pop(b, mark);
	return rc;
}

/*
 * One day expression: a date, or {"field", "plusYears", "plusMonths",
 * "plusDays"} (a date field of the current context, then whole years,
 * calendar months and days, each may be negative); 0 or -1 reported.
 */
static int
ruleset_dayexpr(struct ruleset_build *b, json_t *v, struct zes_dayexpr *e)
{
	static const struct ruleset_member	 m[] = {
		{ "field", 1 }, { "plusYears", 0 }, { "plusMonths", 0 },
		{ "plusDays", 0 },
	};
	json_t					*fv;
	size_t					 mark;
	int					 f, rc = 0;

	memset(e, 0, sizeof(*e));
	e->field = -1;
	if (json_is_string(v))
		return ruleset_date(b, v, &e->day);
	if (!json_is_object(v)) {
		ruleset_error(b, "must be a date \"YYYY-MM-DD\" or {\"field\", "
		    "\"plusYears\", \"plusMonths\", \"plusDays\"}, not %s",
		    ruleset_type(v));
		return -1;
	}
	ruleset_members(b, v, m, ZES_NELEM(m));
	if ((fv = ruleset_enter(b, v, "field", &mark)) != NULL) {
		if ((f = ruleset_field_member(b, fv)) == -1)
			rc = -1;
		else if (ruleset_ftype(b, f) != ZES_V_DATE) {
			ruleset_error(b, "%s is %s: a day expression needs a "
			    "date field", json_string_value(fv),
			    ruleset_vtype(ruleset_ftype(b, f)));
			rc = -1;
		} else
			e->field = f;
		ruleset_pop(b, mark);
	} else
		rc = -1;
	if (ruleset_plus(b, v, "plusYears", RULESET_PLUS_YEARS_MAX,
	    &e->plus_years) == -1)
		rc = -1;
	if (ruleset_plus(b, v, "plusMonths", RULESET_PLUS_MONTHS_MAX,
	    &e->plus_months) == -1)
		rc = -1;
	if (ruleset_plus(b, v, "plusDays", RULESET_PLUS_DAYS_MAX,
	    &e->plus_days) == -1)
		rc = -1;
	return rc;
}

/*
 * A `from` or `before` bound: a day expression or a non-empty list of
 * them, into *d.  Returns 0, or -1 when anything was reported.
 */
static int
ruleset_daybound(struct ruleset_build *b, json_t *v, struct zes_daybound *d)
{
	struct zes_dayexpr	*e;
	json_t			*x;
	size_t			 i, mark;
	int			 rc = 0;

	d->v = NULL;
	d->n = 0;
	if (!json_is_array(v)) {
		e = ruleset_alloc(&b->arena, sizeof(*e));
		if (ruleset_dayexpr(b, v, e) == -1)
			return -1;
		d->v = e;
		d->n = 1;
		return 0;
	}
	if (json_array_size(v) == 0) {
		ruleset_error(b, "must not be an empty list (leave the member "
		    "out for no bound)");
		return -1;
	}
	e = ruleset_array(&b->arena, json_array_size(v), sizeof(*e));
	json_array_foreach(v, i, x) {
		mark = ruleset_push_index(b, i);
		if (ruleset_dayexpr(b, x, &e[i]) == -1)
			rc = -1;
		ruleset_pop(b, mark);
	}
	d->v = e;
	d->n = json_array_size(v);
	return rc;
}

/*
 * Can day expression a never be before b?  Only decidable when both are
 * dates, or both the same field with every plus of a at least b's (each
 * step is monotonic in its amount).
 */
static int
ruleset_day_not_before(const struct zes_dayexpr *a, const struct zes_dayexpr *b)
{
	if (a->field == -1 && b->field == -1)
		return a->day >= b->day;
	if (a->field != -1 && a->field == b->field)
		return a->plus_years >= b->plus_years &&
		    a->plus_months >= b->plus_months &&
		    a->plus_days >= b->plus_days;
	return 0;
}

/*
 * Report a rule whose `from` can never be before its `before`: the latest
 * of from is at least each from expression, the earliest of before at most
 * each before expression, so one comparable pair with from >= before is
 * enough to know the rule never holds.  The pointer is at `before`.
 */
static void
ruleset_bound_order(struct ruleset_build *b, const struct zes_daybound *from,
    const struct zes_daybound *before)
{
	size_t	i, j;

	for (i = 0; i < from->n; i++)
		for (j = 0; j < before->n; j++)
			if (ruleset_day_not_before(&from->v[i], &before->v[j])) {
				ruleset_error(b, "must be after from: the rule "
				    "would never hold");
				return;
			}
}

/*
 * The ground member of rule o into out, checked against every ground used
 * before in national.json.
 */
static void
ruleset_ground(struct ruleset_build *b, json_t *o, char out[ZES_GROUND_LEN],
    struct ruleset_ground_seen *seen, size_t *nseen)
{
	json_t	*v;
	size_t	 i, mark;

	if ((v = ruleset_enter(b, o, "ground", &mark)) == NULL)
		return;
	if (ruleset_code(b, v, out, ZES_GROUND_LEN, "ground") == 0) {
		for (i = 0; i < *nseen; i++)
			if (strcmp(seen[i].ground, out) == 0)
				break;
		if (i < *nseen)
			ruleset_error(b, "ground \"%s\" is used already at "
			    "#%s", out, seen[i].where);
		else {
			seen[*nseen].ground = out;
			seen[*nseen].where = ruleset_format("%.*s",
			    (int)mark, b->path);
			(*nseen)++;
		}
	}
	ruleset_pop(b, mark);
}

/*
 * The rules of access.transition or access.automaticExemptions (an array)
 * into *out, *n.  automatic: `from` is allowed.
 */
static void
ruleset_access_rules(struct ruleset_build *b, json_t *v, int automatic,
    const struct zes_access_rule **out, size_t *n,
    struct ruleset_ground_seen *seen, size_t *nseen)
{
	static const struct ruleset_member	 mt[] = {
		{ "ground", 1 }, { "when", 1 }, { "before", 1 },
	};
	static const struct ruleset_member	 ma[] = {
		{ "ground", 1 }, { "when", 1 }, { "from", 0 }, { "before", 1 },
	};
	struct zes_access_rule			*r;
	json_t					*o, *x;
	size_t					 i, mark, mark2;
	int					 ok;

	if (!ruleset_want_array(b, v, 0))
		return;
	r = ruleset_array(&b->arena, json_array_size(v), sizeof(*r));
	json_array_foreach(v, i, o) {
		mark = ruleset_push_index(b, i);
		if (!ruleset_want_object(b, o)) {
			ruleset_pop(b, mark);
			continue;
		}
		if (automatic)
			ruleset_members(b, o, ma, ZES_NELEM(ma));
		else
			ruleset_members(b, o, mt, ZES_NELEM(mt));
		ruleset_ground(b, o, r[i].ground, seen, nseen);
		ruleset_cond_member(b, o, "when", automatic ?
		    RULESET_CTX_VEHICLE : RULESET_CTX_TRANSITION, &r[i].when);
		b->ctx = RULESET_CTX_VEHICLE;
		ok = 1;
		if (automatic && (x = ruleset_enter(b, o, "from", &mark2)) !=
		    NULL) {
			ok = ruleset_daybound(b, x, &r[i].from) == 0;
			ruleset_pop(b, mark2);
		}
		if ((x = ruleset_enter(b, o, "before", &mark2)) != NULL) {
			if (ruleset_daybound(b, x, &r[i].before) == 0 && ok)
				ruleset_bound_order(b, &r[i].from,
				    &r[i].before);
			ruleset_pop(b, mark2);
		}
		ruleset_pop(b, mark);
	}
	*out = r;
	*n = json_array_size(v);
}

/* access.refusals into n. */
static void
ruleset_refusals(struct ruleset_build *b, json_t *v, struct zes_national *n,
    struct ruleset_ground_seen *seen, size_t *nseen)
{
	static const struct ruleset_member	 m[] = {
		{ "ground", 1 }, { "when", 1 },
	};
	struct zes_refusal_rule			*r;
	json_t					*o;
	size_t					 i, mark;

	if (!ruleset_want_array(b, v, 0))
		return;
	r = ruleset_array(&b->arena, json_array_size(v), sizeof(*r));
	json_array_foreach(v, i, o) {
		mark = ruleset_push_index(b, i);
		if (ruleset_want_object(b, o)) {
			ruleset_members(b, o, m, ZES_NELEM(m));
			ruleset_ground(b, o, r[i].ground, seen, nseen);
			ruleset_cond_member(b, o, "when", RULESET_CTX_VEHICLE,
			    &r[i].when);
		}
		ruleset_pop(b, mark);
	}
	n->refusals = r;
	n->nrefusals = json_array_size(v);
}

/* national.json#/access into n; grounds must be distinct over its lists. */
static void
ruleset_access(struct ruleset_build *b, json_t *o, struct zes_national *n)
{
	static const struct ruleset_member	 m[] = {
		{ "transition", 1 }, { "automaticExemptions", 1 },
		{ "refusals", 1 },
	};
	struct ruleset_ground_seen		*seen;
	size_t					 nseen = 0, mark, i, cap = 0;
	json_t					*v;

	if (!ruleset_want_object(b, o))
		return;
	ruleset_members(b, o, m, ZES_NELEM(m));
	for (i = 0; i < ZES_NELEM(m); i++)
		if ((v = json_object_get(o, m[i].name)) != NULL &&
		    json_is_array(v))
			cap += json_array_size(v);
	seen = ruleset_malloc((cap == 0 ? 1 : cap) * sizeof(*seen));
	if ((v = ruleset_enter(b, o, "transition", &mark)) != NULL) {
		ruleset_access_rules(b, v, 0, &n->transition, &n->ntransition,
		    seen, &nseen);
		ruleset_pop(b, mark);
	}
	if ((v = ruleset_enter(b, o, "automaticExemptions", &mark)) != NULL) {
		ruleset_access_rules(b, v, 1, &n->automatic, &n->nautomatic,
		    seen, &nseen);
		ruleset_pop(b, mark);
	}
	if ((v = ruleset_enter(b, o, "refusals", &mark)) != NULL) {
		ruleset_refusals(b, v, n, seen, &nseen);
		ruleset_pop(b, mark);
	}
	for (i = 0; i < nseen; i++)
		free(seen[i].where);
	free(seen);
}

/* national.json#/vehicle/kinds into n; kinds must be distinct. */
static void
ruleset_kinds(struct ruleset_build *b, json_t *v, struct zes_national *n)
{
	static const struct ruleset_member	 m[] = {
		{ "kind", 1 }, { "when", 1 },
	};
	struct zes_kind_rule			*k;
	json_t					*o, *x;
	size_t					 i, j, nk = 0, mark, mark2;
	int					 good;

	if (!ruleset_want_array(b, v, 0))
		return;
	k = ruleset_array(&b->arena, json_array_size(v), sizeof(*k));
	json_array_foreach(v, i, o) {
		mark = ruleset_push_index(b, i);
		if (!ruleset_want_object(b, o)) {
			ruleset_pop(b, mark);
			continue;
		}
		ruleset_members(b, o, m, ZES_NELEM(m));
		good = 0;
		if ((x = ruleset_enter(b, o, "kind", &mark2)) != NULL) {
			if (ruleset_code(b, x, k[nk].kind,
			    sizeof(k[nk].kind), "kind") == 0) {
				for (j = 0; j < nk; j++)
					if (strcmp(k[j].kind, k[nk].kind) == 0)
						break;
				if (j < nk)
					ruleset_error(b, "kind \"%s\" is "
					    "declared twice", k[nk].kind);
				else
					good = 1;
			}
			ruleset_pop(b, mark2);
		}
		ruleset_cond_member(b, o, "when", RULESET_CTX_KINDS,
		    &k[nk].when);
		/* Only good kinds are kept: values of vehicle.kind name them. */
		if (good)
			nk++;
		else
			memset(&k[nk], 0, sizeof(k[nk]));
		ruleset_pop(b, mark);
	}
	n->kinds = k;
	n->nkinds = nk;
	b->kinds = k;
	b->nkinds = nk;
	b->kinds_known = 1;
}

/* national.json#/vehicle into n. */
static void
ruleset_vehicle(struct ruleset_build *b, json_t *o, struct zes_national *n)
{
	static const struct ruleset_member	 m[] = {
		{ "scope", 1 }, { "zeroEmission", 1 }, { "kinds", 1 },
	};
	static const struct ruleset_member	 mz[] = {
		{ "emissionClasses", 1 }, { "fuelsWhenNoClass", 1 },
	};
	json_t					*v, *x;
	size_t					 mark, mark2;

	if (!ruleset_want_object(b, o))
		return;
	ruleset_members(b, o, m, ZES_NELEM(m));
	ruleset_cond_member(b, o, "scope", RULESET_CTX_SCOPE, &n->scope);
	if ((v = ruleset_enter(b, o, "zeroEmission", &mark)) != NULL) {
		if (ruleset_want_object(b, v)) {
			ruleset_members(b, v, mz, ZES_NELEM(mz));
			if ((x = ruleset_enter(b, v, "emissionClasses",
			    &mark2)) != NULL) {
				ruleset_strings(b, x, 0, &n->ze_classes,
				    &n->nze_classes);
				ruleset_pop(b, mark2);
			}
			if ((x = ruleset_enter(b, v, "fuelsWhenNoClass",
			    &mark2)) != NULL) {
				ruleset_strings(b, x, 0, &n->ze_fuels,
				    &n->nze_fuels);
				ruleset_pop(b, mark2);
			}
		}
		ruleset_pop(b, mark);
	}
	if ((v = ruleset_enter(b, o, "kinds", &mark)) != NULL) {
		ruleset_kinds(b, v, n);
		ruleset_pop(b, mark);
	}
}

/* national.json#/recognition (DOMAIN.md §6) into n. */
static void
ruleset_recognition(struct ruleset_build *b, json_t *v, struct zes_national *n)
{
	static const struct ruleset_member	 m[] = {
		{ "types", 1 }, { "grantedFrom", 1 }, { "from", 1 },
	};
	struct zes_statute			*s;
	json_t					*o, *x;
	size_t					 i, mark, mark2;

	if (!ruleset_want_array(b, v, 0))
		return;
	s = ruleset_array(&b->arena, json_array_size(v), sizeof(*s));
	json_array_foreach(v, i, o) {
		mark = ruleset_push_index(b, i);
		if (ruleset_want_object(b, o)) {
			ruleset_members(b, o, m, ZES_NELEM(m));
			if ((x = ruleset_enter(b, o, "types", &mark2)) != NULL) {
				ruleset_strings(b, x, 1, &s[i].types,
				    &s[i].ntypes);
				ruleset_pop(b, mark2);
			}
			if ((x = ruleset_enter(b, o, "grantedFrom", &mark2)) !=
			    NULL) {
				(void)ruleset_date(b, x, &s[i].granted_from_day);
				ruleset_pop(b, mark2);
			}
			if ((x = ruleset_enter(b, o, "from", &mark2)) != NULL) {
				(void)ruleset_date(b, x, &s[i].from_day);
				ruleset_pop(b, mark2);
			}
		}
		ruleset_pop(b, mark);
	}
	n->statutes = s;
	n->nstatutes = json_array_size(v);
}

/* The evidence types of rules/README.md, indexed by enum zes_evidence_type. */
static const char *const ruleset_evidence_types[] = {
	[ZES_EV_STRING] = "string", [ZES_EV_DATE] = "date",
	[ZES_EV_INTEGER] = "integer", [ZES_EV_BOOLEAN] = "boolean",
	[ZES_EV_POSTCODE] = "postcode", [ZES_EV_KVK] = "kvk",
};

/*
 * The reasons zesd gives itself in the common checks of DOMAIN.md §5: a
 * type's condition may not take them, so that a code always means one
 * thing.
 */
static const char *const ruleset_engine_reasons[] = {
	"municipality_without_zone", "type_not_offered", "duplicate_exemption",
	"quota_exhausted",
};

/* The name of an evidence type as the rule files spell it. */
const char *
zes_evidence_type_name(enum zes_evidence_type t)
{
	if ((int)t < 0 || (size_t)t >= ZES_NELEM(ruleset_evidence_types))
		return NULL;
	return ruleset_evidence_types[t];
}

/* A boolean into *out; 0, or -1 reported. */
static int
ruleset_bool(struct ruleset_build *b, const json_t *v, int *out)
{
	if (!json_is_boolean(v)) {
		ruleset_error(b, "must be true or false, not %s",
		    ruleset_type(v));
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

/* An integer from min to max into *out; 0, or -1 reported. */
static int
ruleset_int(struct ruleset_build *b, const json_t *v, int64_t min,
    int64_t max, int64_t *out)
{
	if (!json_is_integer(v)) {
		ruleset_error(b, "must be an integer, not %s", ruleset_type(v));
		return -1;
	}
	if (json_integer_value(v) < min || json_integer_value(v) > max) {
		ruleset_error(b, "%" JSON_INTEGER_FORMAT " is out of range: "
		    "from %" PRId64 " to %" PRId64, json_integer_value(v), min,
		    max);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

/* A message of a reason: text of at most ZES_REASON_TEXT_MAX bytes. */
static const char *
ruleset_message(struct ruleset_build *b, const json_t *v)
{
	if (json_is_string(v) && json_string_length(v) > ZES_REASON_TEXT_MAX) {
		ruleset_error(b, "is %zu bytes long: a message has at most %d",
		    json_string_length(v), ZES_REASON_TEXT_MAX);
		return NULL;
	}
	return ruleset_text(b, v);
}

/* 1 when s is an evidence field name: [a-z][A-Za-z0-9]*, at most 39. */
static int
ruleset_evidence_name_ok(const char *s)
{
	size_t	n;

	if (s[0] < 'a' || s[0] > 'z')
		return 0;
	for (n = 1; s[n] != '\0'; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') ||
		    (s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= '0' && s[n] <= '9')))
			return 0;
	return n < ZES_EVIDENCE_NAME_LEN;
}

/* 1 for the members of an object that are not entries ("$..." and note). */
static int
ruleset_not_entry(const char *key)
{
	return key[0] == '$' || strcmp(key, "note") == 0;
}

/* An object keyed by entries may have a note: it must be a string. */
static void
ruleset_entries_note(struct ruleset_build *b, json_t *o)
{
	json_t	*x;
	size_t	 mark;

	if ((x = ruleset_enter(b, o, "note", &mark)) == NULL)
		return;
	if (!json_is_string(x))
		ruleset_error(b, "must be a string, not %s", ruleset_type(x));
	ruleset_pop(b, mark);
}

/*
 * The constraints of one evidence field (its type known) from o into d:
 * enum, lengths (strings), minimum and maximum (integers), required.
 */
static void
ruleset_evidence_limits(struct ruleset_build *b, json_t *o,
    struct zes_evidence_def *d)
{
	json_t	*x;
	size_t	 mark;
	int	 string = d->type == ZES_EV_STRING;
	int	 integer = d->type == ZES_EV_INTEGER;

	if ((x = ruleset_enter(b, o, "label", &mark)) != NULL) {
		d->label = ruleset_text(b, x);
		ruleset_pop(b, mark);
	}
	if ((x = ruleset_enter(b, o, "required", &mark)) != NULL) {
		if (ruleset_bool(b, x, &d->required) == 0 && d->required &&
		    json_object_get(o, "requiredWhen") != NULL)
			ruleset_error(b, "a field with requiredWhen is required "
			    "only when it holds: leave required out");
		ruleset_pop(b, mark);
	} else
		d->required = json_object_get(o, "requiredWhen") == NULL;
	if ((x = ruleset_enter(b, o, "enum", &mark)) != NULL) {
		if (!string)
			ruleset_error(b, "enum applies to string fields only");
		else
			ruleset_strings(b, x, 0, &d->values, &d->nvalues);
		ruleset_pop(b, mark);
	}
	if ((x = ruleset_enter(b, o, "minLength", &mark)) != NULL) {
		if (!string)
			ruleset_error(b, "minLength applies to string fields only");
		else
			(void)ruleset_int(b, x, 0, 100000, &d->min_length);
		ruleset_pop(b, mark);
	}
	if ((x = ruleset_enter(b, o, "maxLength", &mark)) != NULL) {
		if (!string)
			ruleset_error(b, "maxLength applies to string fields only");
		else if (ruleset_int(b, x, 1, 100000, &d->max_length) == 0 &&
		    d->max_length < d->min_length)
			ruleset_error(b, "must be at least minLength (%" PRId64
			    ")", d->min_length);
		ruleset_pop(b, mark);
	}
	if ((x = ruleset_enter(b, o, "minimum", &mark)) != NULL) {
		if (!integer)
			ruleset_error(b, "minimum applies to integer fields only");
		else
			(void)ruleset_int(b, x, INT64_MIN, INT64_MAX,
			    &d->minimum);
		ruleset_pop(b, mark);
	}
	if ((x = ruleset_enter(b, o, "maximum", &mark)) != NULL) {
		if (!integer)
			ruleset_error(b, "maximum applies to integer fields only");
		else if (ruleset_int(b, x, INT64_MIN, INT64_MAX,
		    &d->maximum) == 0 && d->maximum < d->minimum)
			ruleset_error(b, "must be at least minimum (%" PRId64 ")",
			    d->minimum);
		ruleset_pop(b, mark);
	}
}

/*
 * A type's evidence: an object keyed by field name into t.  Names and
 * types come first, so that a requiredWhen may name any field of the type,
 * and the fields become the type's evidence.* while its rules are read.
 */
static void
ruleset_evidence(struct ruleset_build *b, json_t *o, struct zes_type *t)
{
	static const struct ruleset_member	 m[] = {
		{ "type", 1 }, { "label", 0 }, { "required", 0 },
		{ "requiredWhen", 0 }, { "enum", 0 }, { "minLength", 0 },
		{ "maxLength", 0 }, { "minimum", 0 }, { "maximum", 0 },
	};
	struct zes_evidence_def			*d, *def;
	const char				*key;
	json_t					*e, *x;
	size_t					 i, n = 0, k, mark, mark2;
	int					 f;

	if (!ruleset_want_object(b, o))
		return;
	json_object_foreach(o, key, e)
		if (!ruleset_not_entry(key))
			n++;
	if (n > ZES_EVIDENCE_MAX) {
		ruleset_error(b, "declares %zu evidence fields: at most %d", n,
		    ZES_EVIDENCE_MAX);
		return;
	}
	ruleset_entries_note(b, o);
	d = ruleset_array(&b->arena, n, sizeof(*d));
	i = 0;
	json_object_foreach(o, key, e) {
		if (ruleset_not_entry(key))
			continue;
		mark = ruleset_push(b, key);
		def = &d[i];
		def->min_length = 0;
		def->max_length = INT64_MAX;
		def->minimum = INT64_MIN;
		def->maximum = INT64_MAX;
		if (!ruleset_evidence_name_ok(key)) {
			ruleset_error(b, "\"%s\" is not a valid evidence field "
			    "name: a lower-case letter, then letters and digits, "
			    "at most %d", key, ZES_EVIDENCE_NAME_LEN - 1);
			ruleset_pop(b, mark);
			continue;
		}
		if (!ruleset_want_object(b, e)) {
			ruleset_pop(b, mark);
			continue;
		}
		memcpy(def->name, key, strlen(key) + 1);
		ruleset_members(b, e, m, ZES_NELEM(m));
		if ((x = ruleset_enter(b, e, "type", &mark2)) != NULL) {
			for (k = 0; json_is_string(x) &&
			    k < ZES_NELEM(ruleset_evidence_types); k++)
				if (strcmp(json_string_value(x),
				    ruleset_evidence_types[k]) == 0)
					break;
			if (!json_is_string(x) ||
			    k == ZES_NELEM(ruleset_evidence_types))
				ruleset_error(b, "must be one of string, date, "
				    "integer, boolean, postcode and kvk");
			else
				def->type = (enum zes_evidence_type)k;
			ruleset_pop(b, mark2);
		}
		ruleset_evidence_limits(b, e, def);
		i++;
		ruleset_pop(b, mark);
	}
	t->evidence = d;
	t->nevidence = i;
	b->evidence = d;
	b->nevidence = i;

	/* requiredWhen, now that every field of the type is known. */
	json_object_foreach(o, key, e) {
		if (ruleset_not_entry(key) || !json_is_object(e) ||
		    json_object_get(e, "requiredWhen") == NULL ||
		    (f = ruleset_evidence_field(b, key)) == -1)
			continue;
		mark = ruleset_push(b, key);
		def = &d[f - ZES_F_EVIDENCE];
		ruleset_cond_member(b, e, "requiredWhen", RULESET_CTX_EVIDENCE,
		    &def->required_when);
		def->has_required_when = 1;
		ruleset_pop(b, mark);
	}
}

/* A type's conditions (an array) into t. */
static void
ruleset_type_conditions(struct ruleset_build *b, json_t *v,
    struct zes_type *t)
{
	static const struct ruleset_member	 m[] = {
		{ "reason", 1 }, { "message", 1 }, { "when", 0 },
		{ "require", 1 },
	};
	struct zes_type_condition		*c;
	json_t					*o, *x;
	size_t					 i, j, mark, mark2;

	if (!ruleset_want_array(b, v, 0))
		return;
	if (json_array_size(v) > ZES_TYPE_CONDITIONS_MAX) {
		ruleset_error(b, "has %zu conditions: at most %d",
		    json_array_size(v), ZES_TYPE_CONDITIONS_MAX);
		return;
	}
	c = ruleset_array(&b->arena, json_array_size(v), sizeof(*c));
	json_array_foreach(v, i, o) {
		mark = ruleset_push_index(b, i);
		if (!ruleset_want_object(b, o)) {
			ruleset_pop(b, mark);
			continue;
		}
		ruleset_members(b, o, m, ZES_NELEM(m));
		if ((x = ruleset_enter(b, o, "reason", &mark2)) != NULL) {
			if (ruleset_code(b, x, c[i].reason, ZES_GROUND_LEN,
			    "reason code") == 0) {
				for (j = 0; j < ZES_NELEM(ruleset_engine_reasons);
				    j++)
					if (strcmp(c[i].reason,
					    ruleset_engine_reasons[j]) == 0)
						ruleset_error(b, "\"%s\" is a "
						    "reason of zesd's common "
						    "checks: a condition cannot "
						    "give it", c[i].reason);
				for (j = 0; j < i; j++)
					if (strcmp(c[j].reason, c[i].reason) ==
					    0) {
						ruleset_error(b, "reason \"%s\" is "
						    "given by condition %zu "
						    "already", c[i].reason, j);
						break;
					}
			}
			ruleset_pop(b, mark2);
		}
		if ((x = ruleset_enter(b, o, "message", &mark2)) != NULL) {
			c[i].message = ruleset_message(b, x);
			ruleset_pop(b, mark2);
		}
		ruleset_cond_member(b, o, "when", RULESET_CTX_TYPE, &c[i].when);
		ruleset_cond_member(b, o, "require", RULESET_CTX_TYPE,
		    &c[i].require);
		ruleset_pop(b, mark);
	}
	t->conditions = c;
	t->nconditions = json_array_size(v);
}

/* A type's outcome: {"decision": "grant"} or a review with its reason. */
static void
ruleset_outcome(struct ruleset_build *b, json_t *o, struct zes_type *t)
{
	static const struct ruleset_member	 m[] = {
		{ "decision", 1 }, { "reason", 0 }, { "message", 0 },
	};
	json_t					*x;
	size_t					 mark;
	const char				*s;

	if (!ruleset_want_object(b, o))
		return;
	ruleset_members(b, o, m, ZES_NELEM(m));
	if ((x = ruleset_enter(b, o, "decision", &mark)) != NULL) {
		s = json_string_value(x);
		if (s != NULL && strcmp(s, "review") == 0)
			t->review = 1;
		else if (s == NULL || strcmp(s, "grant") != 0)
			ruleset_error(b, "must be \"grant\" or \"review\"");
		ruleset_pop(b, mark);
	}
	if ((x = ruleset_enter(b, o, "reason", &mark)) != NULL) {
		if (!t->review)
			ruleset_error(b, "only a review has a reason");
		else
			(void)ruleset_code(b, x, t->review_reason,
			    ZES_GROUND_LEN, "reason code");
		ruleset_pop(b, mark);
	} else if (t->review) {
		mark = ruleset_push(b, "reason");
		ruleset_error(b, "missing required member \"reason\": a review "
		    "gives its reason");
		ruleset_pop(b, mark);
	}
	if ((x = ruleset_enter(b, o, "message", &mark)) != NULL) {
		if (!t->review)
			ruleset_error(b, "only a review has a message");
		else
			t->review_message = ruleset_message(b, x);
		ruleset_pop(b, mark);
	} else if (t->review) {
		mark = ruleset_push(b, "message");
		ruleset_error(b, "missing required member \"message\": a review "
		    "gives its reason's message");
		ruleset_pop(b, mark);
	}
}

/* A length {"years", "months", "days"} (not all 0) into *s; 0, or -1 reported. */
static int
ruleset_span(struct ruleset_build *b, json_t *o, struct zes_span *s)
{
	static const struct ruleset_member	 m[] = {
		{ "years", 0 }, { "months", 0 }, { "days", 0 },
	};
	json_t					*x;
	int64_t					 n;
	size_t					 mark;
	int					 rc = 0;

	memset(s, 0, sizeof(*s));
	if (!ruleset_want_object(b, o))
		return -1;
	ruleset_members(b, o, m, ZES_NELEM(m));
	if ((x = ruleset_enter(b, o, "years", &mark)) != NULL) {
		if (ruleset_int(b, x, 0, RULESET_PLUS_YEARS_MAX, &n) == 0)
			s->years = (int)n;
		else
			rc = -1;
		ruleset_pop(b, mark);
	}
	if ((x = ruleset_enter(b, o, "months", &mark)) != NULL) {
		if (ruleset_int(b, x, 0, RULESET_PLUS_MONTHS_MAX, &n) == 0)
			s->months = (int)n;
		else
			rc = -1;
		ruleset_pop(b, mark);
	}
	if ((x = ruleset_enter(b, o, "days", &mark)) != NULL) {
		if (ruleset_int(b, x, 0, RULESET_PLUS_DAYS_MAX, &n) == 0)
			s->days = (int)n;
		else
			rc = -1;
		ruleset_pop(b, mark);
	}
	if (rc == 0 && s->years == 0 && s->months == 0 && s->days == 0) {
		ruleset_error(b, "must not be empty: give years, months or "
		    "days");
		rc = -1;
	}
	return rc;
}

/* "HH:MM" into minutes after midnight; 0, or -1 reported. */
static int
ruleset_clock(struct ruleset_build *b, const json_t *v, int *minutes)
{
	const char	*s = json_string_value(v);

	if (s == NULL || json_string_length(v) != 5 || s[2] != ':' ||
	    s[0] < '0' || s[0] > '2' || s[1] < '0' || s[1] > '9' ||
	    s[3] < '0' || s[3] > '5' || s[4] < '0' || s[4] > '9' ||
	    (s[0] == '2' && s[1] > '3')) {
		ruleset_error(b, "must be a time of day \"HH:MM\" from 00:00 "
		    "to 23:59");
		return -1;
	}
	*minutes = ((s[0] - '0') * 10 + (s[1] - '0')) * 60 +
	    (s[3] - '0') * 10 + (s[4] - '0');
	return 0;
}

/*
 * A type's validity into t (rules/README.md): one of singleDay, length,
 * through and assessor, or only before; maxLength caps (required with
 * assessor); before bounds every form.
 */
static void
ruleset_validity(struct ruleset_build *b, json_t *o, struct zes_type *t)
{
	static const struct ruleset_member	 m[] = {
		{ "singleDay", 0 }, { "length", 0 }, { "through", 0 },
		{ "assessor", 0 }, { "maxLength", 0 }, { "before", 0 },
	};
	static const struct ruleset_member	 md[] = {
		{ "endsNextDayAt", 1 },
	};
	struct zes_validity			*v = &t->validity;
	json_t					*x, *y;
	size_t					 mark, mark2;
	int					 forms = 0, max = 0;

	if (!ruleset_want_object(b, o))
		return;
	ruleset_members(b, o, m, ZES_NELEM(m));
	b->ctx = RULESET_CTX_VALIDITY;
	if ((x = ruleset_enter(b, o, "singleDay", &mark)) != NULL) {
		forms++;
		if (ruleset_want_object(b, x)) {
			ruleset_members(b, x, md, ZES_NELEM(md));
			v->single_day = 1;
			if ((y = ruleset_enter(b, x, "endsNextDayAt", &mark2)) !=
			    NULL) {
				(void)ruleset_clock(b, y, &v->next_day_minutes);
				ruleset_pop(b, mark2);
			}
		}
		ruleset_pop(b, mark);
	}
	if ((x = ruleset_enter(b, o, "length", &mark)) != NULL) {
		forms++;
		(void)ruleset_span(b, x, &v->length);
		ruleset_pop(b, mark);
	}
	if ((x = ruleset_enter(b, o, "through", &mark)) != NULL) {
		forms++;
		(void)ruleset_daybound(b, x, &v->through);
		ruleset_pop(b, mark);
	}
	if ((x = ruleset_enter(b, o, "assessor", &mark)) != NULL) {
		if (ruleset_bool(b, x, &v->assessor) == 0 && v->assessor) {
			forms++;
			if (!t->review)
				ruleset_error(b, "only a type an assessor "
				    "decides (outcome review) can have its "
				    "last day set by the assessor");
		}
		ruleset_pop(b, mark);
	}
	if ((x = ruleset_enter(b, o, "maxLength", &mark)) != NULL) {
		max = 1;
		if (v->single_day)
			ruleset_error(b, "a single day needs no maxLength");
		else
			(void)ruleset_span(b, x, &v->max_length);
		ruleset_pop(b, mark);
	}
	if ((x = ruleset_enter(b, o, "before", &mark)) != NULL) {
		(void)ruleset_daybound(b, x, &v->before);
		ruleset_pop(b, mark);
	}
	if (forms > 1)
		ruleset_error(b, "singleDay, length, through and assessor "
		    "exclude each other: give one");
	else if (forms == 0 && json_object_get(o, "before") == NULL)
		ruleset_error(b, "a validity must end: give singleDay, length, "
		    "through, assessor or before");
	else if (v->assessor && !max)
		ruleset_error(b, "an assessor's validity needs a maxLength");
	b->ctx = RULESET_CTX_TYPE;
}

/* feeEur: euros, at most two decimals, into cents; 0, or -1 reported. */
static int
ruleset_fee(struct ruleset_build *b, const json_t *v, int64_t *cents)
{
	double		c;
	long long	r;

	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0 ||
		    json_integer_value(v) > RULESET_FEE_CENTS_MAX / 100)
			goto range;
		*cents = json_integer_value(v) * 100;
		return 0;
	}
	if (!json_is_real(v)) {
		ruleset_error(b, "must be a number of euros, not %s",
		    ruleset_type(v));
		return -1;
	}
	c = json_real_value(v) * 100.0;
	if (!(c >= 0.0 && c <= (double)RULESET_FEE_CENTS_MAX))
		goto range;
	r = (long long)(c + 0.5);
	if (c - (double)r > 1e-6 || (double)r - c > 1e-6) {
		ruleset_error(b, "%g has more than two decimals: a fee is in "
		    "euros and cents", json_real_value(v));
		return -1;
	}
	*cents = r;
	return 0;
range:
	ruleset_error(b, "is out of range: a fee is from 0 to %d euros",
	    RULESET_FEE_CENTS_MAX / 100);
	return -1;
}

/*
 * One exemption type (code, the object o) into t.  The parts are read in
 * an order that lets each use what came before: evidence (the fields the
 * conditions name), conditions, outcome (a review's validity may not use
 * register data), validity.
 */
static void
ruleset_exemption_type(struct ruleset_build *b, const char *code, json_t *o,
    int national, struct zes_type *t)
{
	static const struct ruleset_member	 m[] = {
		{ "offered", 1 }, { "scope", 1 }, { "label", 1 },
		{ "feeEur", 0 }, { "evidence", 0 }, { "conditions", 0 },
		{ "outcome", 1 }, { "validity", 1 }, { "quota", 0 },
	};
	static const struct ruleset_member	 mq[] = {
		{ "perPlatePerCalendarYear", 1 },
	};
	json_t					*x, *y;
	size_t					 mark, mark2;
	int64_t					 n;
	const char				*s;

	memcpy(t->code, code, strlen(code) + 1);
	t->national = national;
	if (!ruleset_want_object(b, o))
		return;
	ruleset_members(b, o, m, ZES_NELEM(m));
	b->evidence = NULL;
	b->nevidence = 0;
	b->type_national = national;
	b->type_review = 0;
	b->ctx = RULESET_CTX_TYPE;
	if ((x = ruleset_enter(b, o, "offered", &mark)) != NULL) {
		(void)ruleset_bool(b, x, &t->offered);
		ruleset_pop(b, mark);
	}
	if ((x = ruleset_enter(b, o, "scope", &mark)) != NULL) {
		s = json_string_value(x);
		if (s == NULL || (strcmp(s, "national") != 0 &&
		    strcmp(s, "municipal") != 0))
			ruleset_error(b, "must be \"national\" or \"municipal\"");
		else if (national && strcmp(s, "national") != 0)
			ruleset_error(b, "national.json declares national types "
			    "only: municipal types belong in a municipality's "
			    "file");
		else if (!national && strcmp(s, "municipal") != 0)
			ruleset_error(b, "a municipality declares municipal "
			    "types only: national types belong in "
			    "national.json");
		ruleset_pop(b, mark);
	}
	if ((x = ruleset_enter(b, o, "label", &mark)) != NULL) {
		t->label = ruleset_text(b, x);
		ruleset_pop(b, mark);
	}
	if ((x = ruleset_enter(b, o, "feeEur", &mark)) != NULL) {
		(void)ruleset_fee(b, x, &t->fee_cents);
		ruleset_pop(b, mark);
	}
	if ((x = ruleset_enter(b, o, "evidence", &mark)) != NULL) {
		ruleset_evidence(b, x, t);
		ruleset_pop(b, mark);
	}
	if ((x = ruleset_enter(b, o, "conditions", &mark)) != NULL) {
		ruleset_type_conditions(b, x, t);
		ruleset_pop(b, mark);
	}
	if ((x = ruleset_enter(b, o, "outcome", &mark)) != NULL) {
		ruleset_outcome(b, x, t);
		b->type_review = t->review;
		ruleset_pop(b, mark);
	}
	if ((x = ruleset_enter(b, o, "validity", &mark)) != NULL) {
		ruleset_validity(b, x, t);
		ruleset_pop(b, mark);
	}
	if ((x = ruleset_enter(b, o, "quota", &mark)) != NULL) {
		if (ruleset_want_object(b, x)) {
			ruleset_members(b, x, mq, ZES_NELEM(mq));
			if ((y = ruleset_enter(b, x, "perPlatePerCalendarYear",
			    &mark2)) != NULL) {
				if (ruleset_int(b, y, 1, RULESET_QUOTA_MAX,
				    &n) == 0)
					t->quota_per_year = (int)n;
				ruleset_pop(b, mark2);
			}
		}
		ruleset_pop(b, mark);
	}
	b->evidence = NULL;
	b->nevidence = 0;
	b->ctx = RULESET_CTX_VEHICLE;
}

/*
 * A file's types: an object keyed by type code, into *out and *n.  A
 * municipality cannot declare a code national.json declares.
 */
static void
ruleset_types(struct ruleset_build *b, json_t *v, int national,
    const struct zes_type **out, size_t *n)
{
	struct zes_type	*t;
	const char	*key;
	json_t		*o;
	size_t		 k = 0, count = 0, i, mark;

	*out = NULL;
	*n = 0;
	if (!ruleset_want_object(b, v))
		return;
	json_object_foreach(v, key, o)
		if (!ruleset_not_entry(key))
			count++;
	if (count > RULESET_TYPES_MAX) {
		ruleset_error(b, "declares %zu types: at most %d", count,
		    RULESET_TYPES_MAX);
		return;
	}
	ruleset_entries_note(b, v);
	t = ruleset_array(&b->arena, count, sizeof(*t));
	json_object_foreach(v, key, o) {
		if (ruleset_not_entry(key))
			continue;
		mark = ruleset_push(b, key);
		if (!ruleset_code_ok(key, ZES_GROUND_LEN - 1)) {
			ruleset_error(b, "\"%s\" is not a valid type code: 1 to "
			    "%d of a-z, 0-9 and _", key, ZES_GROUND_LEN - 1);
			ruleset_pop(b, mark);
			continue;
		}
		for (i = 0; !national && i < b->nnat_types; i++)
			if (strcmp(b->nat_types[i].code, key) == 0)
				break;
		if (!national && i < b->nnat_types) {
			ruleset_error(b, "\"%s\" is a national type "
			    "(national.json#/types/%s): a municipality cannot "
			    "declare it", key, key);
			ruleset_pop(b, mark);
			continue;
		}
		ruleset_exemption_type(b, key, o, national, &t[k++]);
		ruleset_pop(b, mark);
	}
	*out = t;
	*n = k;
}

/* The members every file has (format, name, version) into info. */
static void
ruleset_common(struct ruleset_build *b, json_t *doc,
    struct zes_ruleset_info *info)
{
	json_t	*v;
	size_t	 mark;

	if ((v = ruleset_enter(b, doc, "format", &mark)) != NULL) {
		if (!json_is_integer(v))
			ruleset_error(b, "must be an integer, not %s",
			    ruleset_type(v));
		else if (json_integer_value(v) != RULESET_FORMAT)
			ruleset_error(b, "format %" JSON_INTEGER_FORMAT " is not "
			    "known: this zesd reads format %d",
			    json_integer_value(v), RULESET_FORMAT);
		ruleset_pop(b, mark);
	}
	if ((v = ruleset_enter(b, doc, "name", &mark)) != NULL) {
		info->name = ruleset_text(b, v);
		ruleset_pop(b, mark);
	}
	if ((v = ruleset_enter(b, doc, "version", &mark)) != NULL) {
		info->version = ruleset_text(b, v);
		ruleset_pop(b, mark);
	}
}

/* Copy an issuer into info->issuer, cutting what does not fit. */
static void
ruleset_issuer_copy(struct zes_ruleset_info *info, const char *issuer)
{
	size_t	n = strlen(issuer);

	if (n >= sizeof(info->issuer))
		n = sizeof(info->issuer) - 1;
	memcpy(info->issuer, issuer, n);
	info->issuer[n] = '\0';
}

/* national.json into info and n. */
static void
ruleset_national(struct ruleset_build *b, json_t *doc,
    struct zes_ruleset_info *info, struct zes_national *n)
{
	static const struct ruleset_member	 m[] = {
		{ "format", 1 }, { "issuer", 1 }, { "name", 1 },
		{ "version", 1 }, { "vehicle", 1 }, { "access", 1 },
		{ "recognition", 1 }, { "types", 0 },
	};
	json_t					*v;
	size_t					 mark;

	ruleset_members(b, doc, m, ZES_NELEM(m));
	ruleset_common(b, doc, info);
	if ((v = ruleset_enter(b, doc, "issuer", &mark)) != NULL) {
		if (!json_is_string(v) ||
		    strcmp(json_string_value(v), "national") != 0)
			ruleset_error(b, "national.json holds the national "
			    "rules: its issuer is \"national\"");
		ruleset_pop(b, mark);
	}
	ruleset_issuer_copy(info, "national");
	if ((v = ruleset_enter(b, doc, "vehicle", &mark)) != NULL) {
		ruleset_vehicle(b, v, n);
		ruleset_pop(b, mark);
	}
	if ((v = ruleset_enter(b, doc, "access", &mark)) != NULL) {
		ruleset_access(b, v, n);
		ruleset_pop(b, mark);
	}
	if ((v = ruleset_enter(b, doc, "recognition", &mark)) != NULL) {
		ruleset_recognition(b, v, n);
		ruleset_pop(b, mark);
	}
	if ((v = ruleset_enter(b, doc, "types", &mark)) != NULL) {
		ruleset_types(b, v, 1, &n->types, &n->ntypes);
		ruleset_pop(b, mark);
	}
	b->nat_types = n->types;
	b->nnat_types = n->ntypes;
}

/* Order zone periods by from_day, for qsort. */
static int
ruleset_period_cmp(const void *a, const void *b)
{
	const struct zes_zone_period	*p = a, *q = b;

	return (p->from_day > q->from_day) - (p->from_day < q->from_day);
}

/* "from 2025-01-01, before 2026-01-01" (or "open-ended") into out. */
static const char *
ruleset_period_text(const struct zes_zone_period *p, char *out, size_t len)
{
	char	from[ZES_DATE_TEXT_LEN + 1], before[ZES_DATE_TEXT_LEN + 1];

	zes_date_format(p->from_day, from);
	if (p->before_day == ZES_DAY_NONE)
		(void)snprintf(out, len, "from %s, open-ended", from);
	else {
		zes_date_format(p->before_day, before);
		(void)snprintf(out, len, "from %s, before %s", from, before);
	}
	return out;
}

/*
 * zone.periods into m: each {from, before (a date or null)}, from before
 * before, and no two overlapping.  Kept sorted by from.
 */
static void
ruleset_periods(struct ruleset_build *b, json_t *v, struct zes_municipality *m)
{
	static const struct ruleset_member	 mp[] = {
		{ "from", 1 }, { "before", 1 },
	};
	struct zes_zone_period			*p;
	size_t					*idx;
	json_t					*o, *x;
	size_t					 i, j, np = 0, mark, mark2;
	int					 ok;
	char					 text[64];

	if (!ruleset_want_array(b, v, 1))
		return;
	p = ruleset_array(&b->arena, json_array_size(v), sizeof(*p));
	idx = ruleset_malloc(json_array_size(v) * sizeof(*idx));
	json_array_foreach(v, i, o) {
		mark = ruleset_push_index(b, i);
		if (!ruleset_want_object(b, o)) {
			ruleset_pop(b, mark);
			continue;
		}
		ruleset_members(b, o, mp, ZES_NELEM(mp));
		ok = json_object_get(o, "from") != NULL &&
		    json_object_get(o, "before") != NULL;
		p[np].before_day = ZES_DAY_NONE;
		if ((x = ruleset_enter(b, o, "from", &mark2)) != NULL) {
			if (ruleset_date(b, x, &p[np].from_day) == -1)
				ok = 0;
			ruleset_pop(b, mark2);
		}
		if ((x = ruleset_enter(b, o, "before", &mark2)) != NULL) {
			if (!json_is_null(x) &&
			    ruleset_date(b, x, &p[np].before_day) == -1)
				ok = 0;
			else if (ok && p[np].before_day <= p[np].from_day) {
				zes_date_format(p[np].from_day, text);
				ruleset_error(b, "must be after from (%s)", text);
				ok = 0;
			}
			ruleset_pop(b, mark2);
		}
		if (ok)
			idx[np++] = i;
		ruleset_pop(b, mark);
	}
	/* Overlaps, by pairs: the calendars are a handful of periods. */
	for (i = 0; i < np; i++) {
		for (j = 0; j < i; j++) {
			if (p[i].from_day < p[j].before_day &&
			    p[j].from_day < p[i].before_day) {
				mark = ruleset_push_index(b, idx[i]);
				ruleset_error(b, "overlaps period %zu (%s)",
				    idx[j], ruleset_period_text(&p[j], text,
				    sizeof(text)));
				ruleset_pop(b, mark);
				break;
			}
		}
	}
	free(idx);
	qsort(p, np, sizeof(*p), ruleset_period_cmp);
	m->periods = p;
	m->nperiods = np;
}

/* zone.changes: each {from} (its note says what changed). */
static void
ruleset_changes(struct ruleset_build *b, json_t *v)
{
	static const struct ruleset_member	 m[] = { { "from", 1 } };
	json_t					*o, *x;
	int64_t					 day;
	size_t					 i, mark, mark2;

	if (!ruleset_want_array(b, v, 0))
		return;
	json_array_foreach(v, i, o) {
		mark = ruleset_push_index(b, i);
		if (ruleset_want_object(b, o)) {
			ruleset_members(b, o, m, ZES_NELEM(m));
			if ((x = ruleset_enter(b, o, "from", &mark2)) != NULL) {
				(void)ruleset_date(b, x, &day);
				ruleset_pop(b, mark2);
			}
		}
		ruleset_pop(b, mark);
	}
}

/* A municipality's zone: null, or {name, periods, changes}. */
static void
ruleset_zone(struct ruleset_build *b, json_t *o, struct zes_municipality *m)
{
	static const struct ruleset_member	 mz[] = {
		{ "name", 1 }, { "periods", 1 }, { "changes", 0 },
	};
	json_t					*v;
	size_t					 mark;

	if (json_is_null(o))
		return;
	if (!json_is_object(o)) {
		ruleset_error(b, "must be an object, or null for no zone, not %s",
		    ruleset_type(o));
		return;
	}
	m->has_zone = 1;
	ruleset_members(b, o, mz, ZES_NELEM(mz));
	if ((v = ruleset_enter(b, o, "name", &mark)) != NULL) {
		m->zone_name = ruleset_text(b, v);
		ruleset_pop(b, mark);
	}
	if ((v = ruleset_enter(b, o, "periods", &mark)) != NULL) {
		ruleset_periods(b, v, m);
		ruleset_pop(b, mark);
	}
	if ((v = ruleset_enter(b, o, "changes", &mark)) != NULL) {
		ruleset_changes(b, v);
		ruleset_pop(b, mark);
	}
}

/*
 * A municipality file (base: its file name without ".json") into m and
 * info.  Its issuer is a CBS code equal to the file name.
 */
static void
ruleset_municipality(struct ruleset_build *b, const char *base, json_t *doc,
    struct zes_ruleset_info *info, struct zes_municipality *m)
{
	static const struct ruleset_member	 mm[] = {
		{ "format", 1 }, { "issuer", 1 }, { "name", 1 },
		{ "version", 1 }, { "zone", 1 }, { "types", 0 },
	};
	const char				*s;
	json_t					*v;
	size_t					 mark;

	ruleset_members(b, doc, mm, ZES_NELEM(mm));
	ruleset_common(b, doc, info);
	if ((v = ruleset_enter(b, doc, "issuer", &mark)) != NULL) {
		s = json_string_value(v);
		if (!json_is_string(v))
			ruleset_error(b, "must be a string, not %s",
			    ruleset_type(v));
		else if (strcmp(s, "national") == 0)
			ruleset_error(b, "the national rules belong in "
			    "national.json, not %s.json", base);
		else if (!zes_municipality_code_valid(s))
			ruleset_error(b, "\"%s\" is not a CBS municipality code "
			    "(GM and four digits, as GM0599)", s);
		else if (strcmp(s, base) != 0)
			ruleset_error(b, "\"%s\" differs from the file name "
			    "%s.json: a municipality's file is named after its "
			    "CBS code", s, base);
		else {
			memcpy(m->code, s, ZES_MUNICIPALITY_LEN + 1);
			ruleset_issuer_copy(info, s);
		}
		ruleset_pop(b, mark);
	}
	m->info = info;
	if ((v = ruleset_enter(b, doc, "zone", &mark)) != NULL) {
		ruleset_zone(b, v, m);
		ruleset_pop(b, mark);
	}
	if ((v = ruleset_enter(b, doc, "types", &mark)) != NULL) {
		ruleset_types(b, v, 0, &m->types, &m->ntypes);
		ruleset_pop(b, mark);
	}
}

/* Lower-case hex SHA-256 of len bytes into out. */
static void
ruleset_sha256(const char *data, size_t len, char out[65])
{
	static const char	digits[] = "0123456789abcdef";
	unsigned char		md[EVP_MAX_MD_SIZE];
	unsigned int		mdlen = 0, i;

	/* OpenSSL fails here only when it cannot allocate: like xmalloc, stop. */
	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		abort();
	for (i = 0; i < mdlen; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 0x0f];
	}
	out[64] = '\0';
}

/* Order municipalities by code, for qsort and bsearch. */
static int
ruleset_muni_cmp(const void *a, const void *b)
{
	const struct zes_municipality	*p = a, *q = b;

	return strcmp(p->code, q->code);
}

/*
 * Parse one file's text (a *.json name) into *doc; 0, or -1 reported.
 * Duplicate keys are errors: the second would silently win.
 */
static int
ruleset_parse(struct ruleset_build *b, const struct zes_rule_text *f,
    json_t **doc)
{
	json_error_t	jerr;

	*doc = json_loadb(f->data != NULL ? f->data : "", f->len,
	    JSON_REJECT_DUPLICATES, &jerr);
	if (*doc == NULL) {
		ruleset_error(b, "not valid JSON (line %d, column %d): %s",
		    jerr.line, jerr.column, jerr.text);
		return -1;
	}
	if (!json_is_object(*doc)) {
		ruleset_error(b, "must be a JSON object, not %s",
		    ruleset_type(*doc));
		json_decref(*doc);
		*doc = NULL;
		return -1;
	}
	return 0;
}

/* 1 when name is "<something>.json" with no "/" in it. */
static int
ruleset_json_name(const char *name)
{
	size_t	n = strlen(name), sn = strlen(RULESET_SUFFIX);

	return n > sn && strcmp(name + n - sn, RULESET_SUFFIX) == 0 &&
	    strchr(name, '/') == NULL;
}

/*
 * Build the rules from the texts of a folder: every file is checked, every
 * error of every file is appended to errs, and nothing is returned unless
 * there are none.  The caller frees errs with zes_rule_errors_free().
 */
struct zes_rules *
zes_rules_build(const struct zes_rule_text *files, size_t n,
    struct zes_rule_errors *errs)
{
	struct ruleset_build		 b;
	struct zes_rules		*r;
	struct zes_municipality		*munis;
	struct zes_ruleset_info		*infos;
	json_t				**docs;
	char				*base;
	size_t				 i, j, nat = SIZE_MAX, nm = 0, len;

	memset(&b, 0, sizeof(b));
	b.errs = errs;
	r = ruleset_alloc(&b.arena, sizeof(*r));
	munis = ruleset_array(&b.arena, n, sizeof(*munis));
	infos = ruleset_array(&b.arena, n, sizeof(*infos));
	docs = calloc(n == 0 ? 1 : n, sizeof(*docs));
	if (docs == NULL)
		abort();

	/* Names first, and every file's text: one bad file stops no other. */
	for (i = 0; i < n; i++) {
		b.file = files[i].name;
		if (!ruleset_json_name(files[i].name)) {
			ruleset_error(&b, "not a rule file: rule files are "
			    "named *.json");
			continue;
		}
		for (j = 0; j < i; j++)
			if (strcmp(files[j].name, files[i].name) == 0)
				break;
		if (j < i) {
			ruleset_error(&b, "given twice");
			continue;
		}
		if (strcmp(files[i].name, "national.json") == 0)
			nat = i;
		if (ruleset_parse(&b, &files[i], &docs[i]) == 0)
			ruleset_sha256(files[i].data != NULL ? files[i].data :
			    "", files[i].len, infos[i].sha256);
	}

	/* The national rules come first: their kinds type the others' conditions. */
	if (nat == SIZE_MAX) {
		b.file = "national.json";
		ruleset_error(&b, "missing: a rules folder has the national "
		    "rules in national.json");
	} else if (docs[nat] != NULL) {
		b.file = files[nat].name;
		ruleset_national(&b, docs[nat], &infos[nat], &r->national);
		infos[nat].doc = docs[nat];
		r->national_info = infos[nat];
	}
	for (i = 0; i < n; i++) {
		if (i == nat || docs[i] == NULL)
			continue;
		b.file = files[i].name;
		b.ctx = RULESET_CTX_VEHICLE;
		len = strlen(files[i].name) - strlen(RULESET_SUFFIX);
		base = ruleset_format("%.*s", (int)len, files[i].name);
		infos[i].doc = docs[i];
		ruleset_municipality(&b, base, docs[i], &infos[i], &munis[nm]);
		free(base);
		nm++;
	}
	free(b.path);

	if (b.nerrs > 0) {
		for (i = 0; i < n; i++)
			json_decref(docs[i]);
		free(docs);
		ruleset_arena_free(b.arena);
		return NULL;
	}
	free(docs);
	qsort(munis, nm, sizeof(*munis), ruleset_muni_cmp);
	r->munis = munis;
	r->nmunis = nm;
	atomic_init(&r->refs, 1);
	r->arena = b.arena;
	return r;
}

/* Take a reference; returns r. */
struct zes_rules *
zes_rules_ref(struct zes_rules *r)
{
	atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
	return r;
}

/*
 * Drop a reference; the last one frees the documents and the arena, which
 * holds the struct itself and everything it points to.
 */
void
zes_rules_unref(struct zes_rules *r)
{
	size_t	i;

	if (r == NULL ||
	    atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) != 1)
		return;
	json_decref(r->national_info.doc);
	for (i = 0; i < r->nmunis; i++)
		json_decref(r->munis[i].info->doc);
	ruleset_arena_free(r->arena);
}

/* Free every error of a list and empty it. */
void
zes_rule_errors_free(struct zes_rule_errors *errs)
{
	size_t	i;

	if (errs == NULL)
		return;
	for (i = 0; i < errs->n; i++) {
		free(errs->v[i].where);
		free(errs->v[i].message);
	}
	free(errs->v);
	errs->v = NULL;
	errs->n = 0;
}

/* A municipality by CBS code; NULL when the rules have no file for it. */
const struct zes_municipality *
zes_rules_municipality(const struct zes_rules *r, const char *code)
{
	struct zes_municipality	key;

	if (r == NULL || code == NULL || !zes_municipality_code_valid(code))
		return NULL;
	memset(&key, 0, sizeof(key));
	memcpy(key.code, code, ZES_MUNICIPALITY_LEN + 1);
	return bsearch(&key, r->munis, r->nmunis, sizeof(*r->munis),
	    ruleset_muni_cmp);
}

/* Is the zone in force at instant t: its local day within some period? */
int
zes_zone_in_force(const struct zes_municipality *m, int64_t t)
{
	return zes_zone_in_force_day(m, zes_time_local_day(t));
}

/* The first day of the municipality's first zone period, or ZES_DAY_NONE. */
int64_t
zes_zone_start(const struct zes_municipality *m)
{
	if (m == NULL || !m->has_zone || m->nperiods == 0)
		return ZES_DAY_NONE;
	return m->periods[0].from_day;
}

/* An exemption type of a municipality (national: m NULL) by code, or NULL. */
const struct zes_type *
zes_rules_type(const struct zes_rules *r, const struct zes_municipality *m,
    const char *code)
{
	const struct zes_type	*v;
	size_t			 i, n;

	if (r == NULL || code == NULL)
		return NULL;
	v = m == NULL ? r->national.types : m->types;
	n = m == NULL ? r->national.ntypes : m->ntypes;
	for (i = 0; i < n; i++)
		if (strcmp(v[i].code, code) == 0)
			return &v[i];
	return NULL;
}

/* The first municipality, by code, whose file declares the type, or NULL. */
const struct zes_municipality *
zes_rules_type_declarer(const struct zes_rules *r, const char *code)
{
	size_t	i;

	for (i = 0; r != NULL && i < r->nmunis; i++)
		if (zes_rules_type(r, &r->munis[i], code) != NULL)
			return &r->munis[i];
	return NULL;
}

/* Is the zone in force on a local day: within some period? */
int
zes_zone_in_force_day(const struct zes_municipality *m, int64_t day)
{
	size_t	i;

	if (m == NULL || !m->has_zone)
		return 0;
	for (i = 0; i < m->nperiods; i++)
		if (m->periods[i].from_day <= day &&
		    (m->periods[i].before_day == ZES_DAY_NONE ||
		    day < m->periods[i].before_day))
			return 1;
	return 0;
}
