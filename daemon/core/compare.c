/*
 * The comparison of exemption conditions between municipalities (pure):
 * each side's rules for one type are broken into restrictions ("atoms":
 * one conjunct of a condition, an evidence requirement, an end of the
 * validity, the quota, an assessor's review), and a is stricter than b when
 * every restriction of b is implied by one of a's.  Implication is decided
 * only where it can be proven (docs/comparisons.md); what cannot be
 * proven never counts as implied, so a verdict is never a guess.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zes/compare.h"
#include "zes/period.h"
#include "zes/xmalloc.h"

#define CMP_SET_SPAN_MAX	64	/* a range implies a list of at most this many values */
#define CMP_CACHE_MAX		64	/* offset comparisons remembered per comparison */
#define CMP_FIELDS_MAX		32	/* fields named in the key of an any/not condition */
#define CMP_DEPTH_MAX		32	/* recursion of implication (the loader nests less) */

static const char *const cmp_op_names[] = {
	"eq", "ne", "lt", "le", "gt", "ge", "in", "notIn", "intersects",
	"exists",
};

/* One side of a pair: a municipality and its declaration of the type. */
struct cmp_side {
	const struct zes_municipality	*m;
	const struct zes_type		*t;	/* NULL: the rule set does not declare it */
	const json_t			*doc;	/* the type's object in the rule file */
	int64_t				 zone_start;	/* municipality.zoneStart; ZES_DAY_NONE */
};

/*
 * A day for comparison: a fixed day, or a field plus years, months, days
 * (applied in that order).  municipality.zoneStart is resolved to the
 * side's fixed day, since it differs between municipalities.
 */
struct cmp_day {
	int	field;		/* -1: the fixed `day` */
	int64_t	day;		/* ZES_DAY_NONE: unknown (no zone start) */
	int	years;
	int	months;
	int	days;
};

/* Offset comparisons already decided by enumeration. */
struct cmp_ctx {
	struct {
		int	a[3];
		int	b[3];
		int	le;
	}	cache[CMP_CACHE_MAX];
	size_t	ncache;
};

/* A growing text. */
struct cmp_buf {
	char	*s;
	size_t	 len;
	size_t	 cap;
};

/* What an atom restricts, in the order `because` lists them. */
enum cmp_akind {
	CMP_A_REVIEW = 0,	/* the outcome: an assessor decides */
	CMP_A_COND,		/* a condition: when -> one conjunct of require */
	CMP_A_REQUIRED,		/* an evidence field is required (always or when) */
	CMP_A_RANGE,		/* an integer evidence field's minimum/maximum */
	CMP_A_LENGTH,		/* a string evidence field's lengths */
	CMP_A_ENUM,		/* a string evidence field's enumeration */
	CMP_A_SINGLE,		/* single day: until a time of the next day */
	CMP_A_BOUND,		/* an end of the validity */
	CMP_A_QUOTA,		/* at most N a calendar year */
	CMP_A_KINDS,
};

/* One restriction of a side. */
struct cmp_atom {
	enum cmp_akind			 kind;
	const struct zes_type_condition	*tc;	/* COND */
	const struct zes_cond		*req;	/* COND: one conjunct of require */
	const struct zes_evidence_def	*ev;	/* REQUIRED, RANGE, LENGTH, ENUM */
	struct cmp_day			 bound;	/* BOUND: the first day no longer valid */
	char				*key;	/* atoms with equal keys are paired first */
	char				*group;	/* then atoms with equal groups */
	char				*fkeys;	/* COND: ",field,field,": then atoms sharing a field */
	char				*field;	/* what it is about, for `because` */
	char				*text;	/* the rule, for `because` */
	int				 opaque;	/* COND: an any/not part */
	int				 covered;	/* implied by an atom of the other side */
	size_t				 pair;	/* its partner on the other side; SIZE_MAX none */
};

struct cmp_atoms {
	struct cmp_atom	*v;
	size_t		 n;
	size_t		 cap;
};

/* Kinds of predicates a comparison reduces to. */
enum cmp_pkind {
	CMP_P_OPAQUE = 0,	/* not analysed: implied only by an equal one */
	CMP_P_NONE,		/* no present value */
	CMP_P_ALL,		/* every present value */
	CMP_P_RANGE,		/* integers (dates, booleans) lo..hi */
	CMP_P_SET,		/* one of vals */
	CMP_P_COSET,		/* none of vals */
	CMP_P_MEETS,		/* a set sharing an element with vals */
	CMP_P_REL,		/* a date relative to another field */
};

/*
 * What one comparison lets through: the present values of its kind, and
 * whether it holds for an absent fact.
 */
struct cmp_pred {
	enum cmp_pkind		 kind;
	int			 absent_ok;
	int64_t			 lo;	/* RANGE, inclusive */
	int64_t			 hi;
	struct zes_value	 vals;	/* SET, COSET, MEETS: a scalar or a list */
	int			 dir;	/* REL: -1 at most, 1 at least, 0 equal to */
	struct cmp_day		 rel;	/* REL */
};

static int	cmp_implies(struct cmp_ctx *, const struct cmp_side *,
		    const struct zes_cond *, const struct cmp_side *,
		    const struct zes_cond *, int);

/* "equivalent", "stricter", "looser", "incomparable". */
const char *
zes_verdict_name(enum zes_verdict v)
{
	switch (v) {
	case ZES_VERDICT_EQUIVALENT:
		return "equivalent";
	case ZES_VERDICT_STRICTER:
		return "stricter";
	case ZES_VERDICT_LOOSER:
		return "looser";
	case ZES_VERDICT_INCOMPARABLE:
		break;
	}
	return "incomparable";
}

/* Append formatted text. */
static void ZES_PRINTF(2, 3)
cmp_add(struct cmp_buf *b, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s == NULL ? NULL : b->s + b->len,
		    b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			abort();	/* a bad format: a bug */
		if (b->s != NULL && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		b->cap = b->len + (size_t)n + 64 + b->cap;
		b->s = xrealloc(b->s, b->cap);
	}
}

/* The text so far, handed to the caller (who frees it); b is empty again. */
static char *
cmp_take(struct cmp_buf *b)
{
	char	*s = b->s != NULL ? b->s : xstrdup("");

	memset(b, 0, sizeof(*b));
	return s;
}

/* day + years, then months, then days (as zes_dayexpr_eval does). */
static int64_t
cmp_day_add(int64_t day, int years, int months, int days)
{
	if (years != 0)
		day = zes_date_add_years(day, years);
	if (months != 0)
		day = zes_date_add_months(day, months);
	return day + days;
}

/* A day expression of side s for comparison (zoneStart resolved). */
static void
cmp_day_of(const struct cmp_side *s, const struct zes_dayexpr *e,
    struct cmp_day *d)
{
	memset(d, 0, sizeof(*d));
	d->field = e->field;
	d->day = e->day;
	d->years = e->plus_years;
	d->months = e->plus_months;
	d->days = e->plus_days;
	if (e->field == ZES_F_ZONE_START) {
		d->field = -1;
		d->day = s->zone_start == ZES_DAY_NONE ? ZES_DAY_NONE :
		    cmp_day_add(s->zone_start, d->years, d->months, d->days);
		d->years = d->months = d->days = 0;
	}
}

/* The evidence field f of side s, or NULL for another field. */
static const struct zes_evidence_def *
cmp_evidence(const struct cmp_side *s, int f)
{
	size_t	i;

	if (f < ZES_F_EVIDENCE || s->t == NULL)
		return NULL;
	i = (size_t)(f - ZES_F_EVIDENCE);
	return i < s->t->nevidence ? &s->t->evidence[i] : NULL;
}

/*
 * Are field fa of side a and fb of side b the same fact?  Evidence fields
 * are numbered per type, so they are matched by name and evidence type.
 */
static int
cmp_same_field(const struct cmp_side *sa, int fa, const struct cmp_side *sb,
    int fb)
{
	const struct zes_evidence_def	*ea, *eb;

	if (fa < 0 || fb < 0)
		return 0;
	if (fa < ZES_F_EVIDENCE || fb < ZES_F_EVIDENCE)
		return fa == fb;
	ea = cmp_evidence(sa, fa);
	eb = cmp_evidence(sb, fb);
	return ea != NULL && eb != NULL && strcmp(ea->name, eb->name) == 0 &&
	    ea->type == eb->type;
}

/* The value type of field f of side s. */
static enum zes_vtype
cmp_field_vtype(const struct cmp_side *s, int f)
{
	const struct zes_evidence_def	*e;

	if (f < ZES_F_EVIDENCE)
		return zes_field_type((enum zes_field)f);
	if ((e = cmp_evidence(s, f)) == NULL)
		return ZES_V_ABSENT;
	switch (e->type) {
	case ZES_EV_DATE:
		return ZES_V_DATE;
	case ZES_EV_INTEGER:
		return ZES_V_INT;
	case ZES_EV_BOOLEAN:
		return ZES_V_BOOL;
	default:
		return ZES_V_STRING;
	}
}

/* The name of field f of side s ("evidence.orderDate"). */
static void
cmp_field_text(struct cmp_buf *b, const struct cmp_side *s, int f)
{
	const struct zes_evidence_def	*e;
	const char			*name;

	if (f >= ZES_F_EVIDENCE) {
		e = cmp_evidence(s, f);
		cmp_add(b, "evidence.%s", e != NULL ? e->name : "?");
		return;
	}
	name = f >= 0 ? zes_field_name((enum zes_field)f) : NULL;
	cmp_add(b, "%s", name != NULL ? name : "?");
}

/* The key of a field for pairing: its name, and for evidence its type too. */
static void
cmp_field_key(struct cmp_buf *b, const struct cmp_side *s, int f)
{
	const struct zes_evidence_def	*e;

	cmp_field_text(b, s, f);
	if ((e = cmp_evidence(s, f)) != NULL)
		cmp_add(b, ":%s", zes_evidence_type_name(e->type));
}

/* "1 year 6 months", "12 months", "30 days". */
static void
cmp_span_text(struct cmp_buf *b, int years, int months, int days)
{
	const char	*sep = "";

	if (years != 0) {
		cmp_add(b, "%d year%s", years, years == 1 ? "" : "s");
		sep = " ";
	}
	if (months != 0) {
		cmp_add(b, "%s%d month%s", sep, months, months == 1 ? "" : "s");
		sep = " ";
	}
	if (days != 0 || *sep == '\0')
		cmp_add(b, "%s%d day%s", sep, days, days == 1 ? "" : "s");
}

/* " + 13 years - 12 months": the plus members of a day expression. */
static void
cmp_plus_text(struct cmp_buf *b, int years, int months, int days)
{
	if (years != 0)
		cmp_add(b, " %c %d year%s", years < 0 ? '-' : '+', abs(years),
		    abs(years) == 1 ? "" : "s");
	if (months != 0)
		cmp_add(b, " %c %d month%s", months < 0 ? '-' : '+',
		    abs(months), abs(months) == 1 ? "" : "s");
	if (days != 0)
		cmp_add(b, " %c %d day%s", days < 0 ? '-' : '+', abs(days),
		    abs(days) == 1 ? "" : "s");
}

/* A day as written: a date, or a field and its plus members. */
static void
cmp_dayexpr_text(struct cmp_buf *b, const struct cmp_side *s,
    const struct zes_dayexpr *e)
{
	char	d[ZES_DATE_TEXT_LEN + 1];

	if (e->field == -1) {
		zes_date_format(e->day, d);
		cmp_add(b, "%s", d);
		return;
	}
	cmp_field_text(b, s, e->field);
	if (e->field == ZES_F_ZONE_START) {
		if (s->zone_start == ZES_DAY_NONE)
			cmp_add(b, " (none)");
		else {
			zes_date_format(s->zone_start, d);
			cmp_add(b, " (%s)", d);
		}
	}
	cmp_plus_text(b, e->plus_years, e->plus_months, e->plus_days);
}

/* A value of a comparison: null, "text", 13, true, 2025-01-01, [a, b]. */
static void
cmp_value_text(struct cmp_buf *b, const struct zes_value *v)
{
	char	d[ZES_DATE_TEXT_LEN + 1];
	size_t	i;

	switch (v->type) {
	case ZES_V_ABSENT:
		cmp_add(b, "null");
		break;
	case ZES_V_STRING:
		cmp_add(b, "\"%s\"", v->u.s);
		break;
	case ZES_V_INT:
		cmp_add(b, "%" PRId64, v->u.i);
		break;
	case ZES_V_BOOL:
		cmp_add(b, "%s", v->u.i ? "true" : "false");
		break;
	case ZES_V_DATE:
		zes_date_format(v->u.i, d);
		cmp_add(b, "%s", d);
		break;
	case ZES_V_STRSET:
		cmp_add(b, "[");
		for (i = 0; i < v->u.ss.n; i++)
			cmp_add(b, "%s\"%s\"", i == 0 ? "" : ", ", v->u.ss.v[i]);
		cmp_add(b, "]");
		break;
	case ZES_V_INTSET:
		cmp_add(b, "[");
		for (i = 0; i < v->u.is.n; i++)
			cmp_add(b, "%s%" PRId64, i == 0 ? "" : ", ", v->u.is.v[i]);
		cmp_add(b, "]");
		break;
	}
}

/* The op and value of a comparison: "ge 13". */
static void
cmp_opvalue_text(struct cmp_buf *b, const struct cmp_side *s,
    const struct zes_cond *c)
{
	cmp_add(b, "%s ", (size_t)c->op < ZES_NELEM(cmp_op_names) ?
	    cmp_op_names[c->op] : "?");
	if (c->day != NULL && c->op != ZES_OP_EXISTS)
		cmp_dayexpr_text(b, s, c->day);
	else
		cmp_value_text(b, &c->value);
}

/* A condition in the rule language's words: "all(a ge 1, not(b eq true))". */
static void
cmp_cond_text(struct cmp_buf *b, const struct cmp_side *s,
    const struct zes_cond *c)
{
	size_t	i;

	switch (c->kind) {
	case ZES_COND_ALL:
	case ZES_COND_ANY:
		if (c->kind == ZES_COND_ALL && c->nkids == 0) {
			cmp_add(b, "true");
			return;
		}
		cmp_add(b, "%s(", c->kind == ZES_COND_ALL ? "all" : "any");
		for (i = 0; i < c->nkids; i++) {
			if (i > 0)
				cmp_add(b, ", ");
			cmp_cond_text(b, s, &c->kids[i]);
		}
		cmp_add(b, ")");
		return;
	case ZES_COND_NOT:
		cmp_add(b, "not(");
		if (c->nkids == 1)
			cmp_cond_text(b, s, &c->kids[0]);
		cmp_add(b, ")");
		return;
	case ZES_COND_CMP:
		cmp_field_text(b, s, c->field);
		cmp_add(b, " ");
		cmp_opvalue_text(b, s, c);
		return;
	}
}

/* Does the condition hold whatever the facts (an empty "all")? */
static int
cmp_cond_true(const struct zes_cond *c)
{
	return c->kind == ZES_COND_ALL && c->nkids == 0;
}

/* Number of values of a scalar or list. */
static size_t
cmp_nvals(const struct zes_value *v)
{
	switch (v->type) {
	case ZES_V_STRSET:
		return v->u.ss.n;
	case ZES_V_INTSET:
		return v->u.is.n;
	case ZES_V_ABSENT:
		return 0;
	default:
		return 1;
	}
}

/* Are the values strings? */
static int
cmp_vals_str(const struct zes_value *v)
{
	return v->type == ZES_V_STRING || v->type == ZES_V_STRSET;
}

/* The i-th string of a scalar or list. */
static const char *
cmp_val_s(const struct zes_value *v, size_t i)
{
	return v->type == ZES_V_STRSET ? v->u.ss.v[i] : v->u.s;
}

/* The i-th integer of a scalar or list. */
static int64_t
cmp_val_i(const struct zes_value *v, size_t i)
{
	return v->type == ZES_V_INTSET ? v->u.is.v[i] : v->u.i;
}

/* Is the i-th value of `from` one of `set`'s? */
static int
cmp_has(const struct zes_value *set, const struct zes_value *from, size_t i)
{
	size_t	j, n = cmp_nvals(set);

	if (cmp_vals_str(set) != cmp_vals_str(from))
		return 0;
	for (j = 0; j < n; j++)
		if (cmp_vals_str(set) ? strcmp(cmp_val_s(set, j),
		    cmp_val_s(from, i)) == 0 : cmp_val_i(set, j) ==
		    cmp_val_i(from, i))
			return 1;
	return 0;
}

/* Is the integer v one of `set`'s? */
static int
cmp_has_int(const struct zes_value *set, int64_t v)
{
	struct zes_value	x;

	x.type = ZES_V_INT;
	x.u.i = v;
	return cmp_has(set, &x, 0);
}

/* Are two values (scalars or lists, in order) the same? */
static int
cmp_value_equal(const struct zes_value *a, const struct zes_value *b)
{
	size_t	i;

	if (a->type != b->type || cmp_nvals(a) != cmp_nvals(b))
		return 0;
	if (a->type == ZES_V_ABSENT)
		return 1;
	for (i = 0; i < cmp_nvals(a); i++)
		if (cmp_vals_str(a) ? strcmp(cmp_val_s(a, i),
		    cmp_val_s(b, i)) != 0 : cmp_val_i(a, i) != cmp_val_i(b, i))
			return 0;
	return 1;
}

/*
 * Is x + a <= x + b for every day x zesd can meet (the years
 * ZES_DATE_YEAR_MIN to ZES_DATE_YEAR_MAX, outside which no date parses)?
 * Each step (years, months, days) is monotonic in its amount and in the
 * day it starts from, so a <= b member by member proves it at once, and
 * so does the sum of years and months when each side has only one.  Else
 * every month is tried: years and months keep the day of the month,
 * capped at the last day of the months they pass (at least 28), so from
 * the days 1 to 28 of one month both sides move alike and only the days
 * from the 28th on can differ.  Decided once per pair of offsets.
 */
static int
cmp_offset_le(struct cmp_ctx *x, const struct cmp_day *a,
    const struct cmp_day *b)
{
	int64_t	day;
	size_t	i;
	int	y, m, d, le = 1;

	if (a->years <= b->years && a->months <= b->months &&
	    a->days <= b->days)
		return 1;
	/* n years are 12n months (zes_date_add_years) when taken alone. */
	if ((a->years == 0 || a->months == 0) &&
	    (b->years == 0 || b->months == 0) &&
	    12 * (int64_t)a->years + a->months <=
	    12 * (int64_t)b->years + b->months && a->days <= b->days)
		return 1;
	for (i = 0; i < x->ncache; i++)
		if (x->cache[i].a[0] == a->years &&
		    x->cache[i].a[1] == a->months &&
		    x->cache[i].a[2] == a->days &&
		    x->cache[i].b[0] == b->years &&
		    x->cache[i].b[1] == b->months &&
		    x->cache[i].b[2] == b->days)
			return x->cache[i].le;
	for (y = ZES_DATE_YEAR_MIN; le && y <= ZES_DATE_YEAR_MAX; y++)
		for (m = 1; le && m <= 12; m++)
			for (d = 28; le && d <= zes_date_days_in_month(y, m);
			    d++) {
				day = zes_date_from_ymd(y, m, d);
				if (cmp_day_add(day, a->years, a->months,
				    a->days) > cmp_day_add(day, b->years,
				    b->months, b->days))
					le = 0;
			}
	if (x->ncache < CMP_CACHE_MAX) {
		i = x->ncache++;
		x->cache[i].a[0] = a->years;
		x->cache[i].a[1] = a->months;
		x->cache[i].a[2] = a->days;
		x->cache[i].b[0] = b->years;
		x->cache[i].b[1] = b->months;
		x->cache[i].b[2] = b->days;
		x->cache[i].le = le;
	}
	return le;
}

/*
 * Is day a of side sa never after day b of side sb, whatever the facts?
 * Decided for two fixed days, and for the same field with offsets.  An
 * unknown fixed day (no zone start) is a bound that leaves nothing.
 */
static int
cmp_day_le(struct cmp_ctx *x, const struct cmp_side *sa,
    const struct cmp_day *a, const struct cmp_side *sb,
    const struct cmp_day *b)
{
	if (a->field == -1 && b->field == -1)
		return a->day == ZES_DAY_NONE || (b->day != ZES_DAY_NONE &&
		    a->day <= b->day);
	if (a->field == -1 || b->field == -1)
		return 0;
	return cmp_same_field(sa, a->field, sb, b->field) &&
	    cmp_offset_le(x, a, b);
}

/* The day a comparison's value stands for (fixed when it is a date). */
static void
cmp_cond_day(const struct cmp_side *s, const struct zes_cond *c,
    struct cmp_day *d)
{
	if (c->day != NULL) {
		cmp_day_of(s, c->day, d);
		return;
	}
	memset(d, 0, sizeof(*d));
	d->field = -1;
	d->day = c->value.type == ZES_V_DATE ? c->value.u.i : ZES_DAY_NONE;
}

/* Are two conditions written the same (fields matched across the sides)? */
static int
cmp_cond_equal(const struct cmp_side *sa, const struct zes_cond *a,
    const struct cmp_side *sb, const struct zes_cond *b)
{
	struct cmp_day	da, db;
	size_t		i;

	if (a->kind != b->kind || a->nkids != b->nkids)
		return 0;
	if (a->kind != ZES_COND_CMP) {
		for (i = 0; i < a->nkids; i++)
			if (!cmp_cond_equal(sa, &a->kids[i], sb, &b->kids[i]))
				return 0;
		return 1;
	}
	if (!cmp_same_field(sa, a->field, sb, b->field) || a->op != b->op)
		return 0;
	if ((a->day != NULL || b->day != NULL) && a->op != ZES_OP_EXISTS) {
		cmp_cond_day(sa, a, &da);
		cmp_cond_day(sb, b, &db);
		if (da.field == -1 || db.field == -1)
			return da.field == db.field && da.day == db.day;
		return cmp_same_field(sa, da.field, sb, db.field) &&
		    da.years == db.years && da.months == db.months &&
		    da.days == db.days;
	}
	return cmp_value_equal(&a->value, &b->value);
}

/*
 * The predicate of one comparison of side s (rules/README.md,
 * "Conditions"): an absent fact satisfies only ne, notIn, exists false and
 * eq null; a day expression whose field is absent compares as an absent
 * fact; booleans are the integers 0 and 1.
 */
static void
cmp_pred_of(const struct cmp_side *s, const struct zes_cond *c,
    struct cmp_pred *p)
{
	struct cmp_day	d;
	int64_t		v = 0;
	int		ints;

	memset(p, 0, sizeof(*p));
	p->kind = CMP_P_OPAQUE;
	p->vals = c->value;
	ints = c->value.type == ZES_V_INT || c->value.type == ZES_V_BOOL ||
	    c->value.type == ZES_V_DATE;
	if (ints)
		v = c->value.u.i;
	if (c->day != NULL && c->op != ZES_OP_EXISTS) {
		cmp_day_of(s, c->day, &d);
		if (d.field == -1 && d.day == ZES_DAY_NONE) {
			/* Nothing to compare with: as an absent fact. */
			p->kind = c->op == ZES_OP_NE ? CMP_P_ALL : CMP_P_NONE;
			p->absent_ok = c->op == ZES_OP_NE;
			return;
		}
		if (d.field != -1) {
			p->kind = CMP_P_REL;
			p->rel = d;
			switch (c->op) {
			case ZES_OP_LT:
				p->dir = -1;
				p->rel.days--;
				break;
			case ZES_OP_LE:
				p->dir = -1;
				break;
			case ZES_OP_GT:
				p->dir = 1;
				p->rel.days++;
				break;
			case ZES_OP_GE:
				p->dir = 1;
				break;
			case ZES_OP_EQ:
				p->dir = 0;
				break;
			default:
				p->kind = CMP_P_OPAQUE;
				break;
			}
			return;
		}
		ints = 1;
		v = d.day;
		p->vals.type = ZES_V_DATE;
		p->vals.u.i = v;
	}

	switch (c->op) {
	case ZES_OP_EQ:
		if (c->value.type == ZES_V_ABSENT && c->day == NULL) {
			p->kind = CMP_P_NONE;
			p->absent_ok = 1;
		} else if (ints) {
			p->kind = CMP_P_RANGE;
			p->lo = p->hi = v;
		} else
			p->kind = CMP_P_SET;
		break;
	case ZES_OP_NE:
		if (c->value.type == ZES_V_ABSENT && c->day == NULL)
			p->kind = CMP_P_ALL;
		else {
			p->kind = CMP_P_COSET;
			p->absent_ok = 1;
		}
		break;
	case ZES_OP_LT:
	case ZES_OP_LE:
	case ZES_OP_GT:
	case ZES_OP_GE:
		if (!ints)
			break;
		p->kind = CMP_P_RANGE;
		p->lo = INT64_MIN;
		p->hi = INT64_MAX;
		if (c->op == ZES_OP_LT) {
			p->hi = v - (v != INT64_MIN);
			if (v == INT64_MIN)
				p->lo = 1, p->hi = 0;
		} else if (c->op == ZES_OP_LE)
			p->hi = v;
		else if (c->op == ZES_OP_GT) {
			p->lo = v + (v != INT64_MAX);
			if (v == INT64_MAX)
				p->lo = 1, p->hi = 0;
		} else
			p->lo = v;
		break;
	case ZES_OP_IN:
		p->kind = CMP_P_SET;
		break;
	case ZES_OP_NOT_IN:
		p->kind = CMP_P_COSET;
		p->absent_ok = 1;
		break;
	case ZES_OP_INTERSECTS:
		p->kind = CMP_P_MEETS;
		break;
	case ZES_OP_EXISTS:
		if (c->value.type == ZES_V_BOOL && c->value.u.i)
			p->kind = CMP_P_ALL;
		else {
			p->kind = CMP_P_NONE;
			p->absent_ok = 1;
		}
		break;
	}

	/* Booleans: the values 0 and 1, so that ne true is eq false. */
	if (cmp_field_vtype(s, c->field) == ZES_V_BOOL) {
		if (p->kind == CMP_P_ALL) {
			p->kind = CMP_P_RANGE;
			p->lo = 0;
			p->hi = 1;
		} else if (p->kind == CMP_P_COSET && cmp_nvals(&p->vals) == 1) {
			p->kind = CMP_P_RANGE;
			p->lo = p->hi = 1 - (cmp_val_i(&p->vals, 0) != 0);
		} else if (p->kind == CMP_P_RANGE) {
			if (p->lo < 0)
				p->lo = 0;
			if (p->hi > 1)
				p->hi = 1;
		}
	}
}

/* Does a present value of kind q hold for the i-th value of p->vals? */
static int
cmp_pred_takes(const struct cmp_pred *q, const struct cmp_pred *p, size_t i)
{
	int64_t	v;

	switch (q->kind) {
	case CMP_P_RANGE:
		if (cmp_vals_str(&p->vals))
			return 0;
		v = cmp_val_i(&p->vals, i);
		return v >= q->lo && v <= q->hi;
	case CMP_P_SET:
		return cmp_has(&q->vals, &p->vals, i);
	case CMP_P_COSET:
		return cmp_vals_str(&q->vals) == cmp_vals_str(&p->vals) &&
		    !cmp_has(&q->vals, &p->vals, i);
	default:
		return 0;
	}
}

/*
 * Does predicate p of side sa imply q of side sb (the same field): every
 * fact p lets through, q does too?  1 only when proven.
 */
static int
cmp_pred_implies(struct cmp_ctx *x, const struct cmp_side *sa,
    const struct cmp_pred *p, const struct cmp_side *sb,
    const struct cmp_pred *q)
{
	size_t	i;
	int64_t	v;

	if (p->kind == CMP_P_OPAQUE || q->kind == CMP_P_OPAQUE)
		return 0;
	if (p->absent_ok && !q->absent_ok)
		return 0;
	if (p->kind == CMP_P_NONE || (p->kind == CMP_P_RANGE && p->lo > p->hi) ||
	    (p->kind == CMP_P_SET && cmp_nvals(&p->vals) == 0))
		return 1;
	if (q->kind == CMP_P_ALL)
		return 1;
	switch (p->kind) {
	case CMP_P_RANGE:
		if (q->kind == CMP_P_RANGE)
			return p->lo >= q->lo && p->hi <= q->hi;
		if (q->kind == CMP_P_SET) {
			if ((uint64_t)p->hi - (uint64_t)p->lo >= CMP_SET_SPAN_MAX)
				return 0;
			for (v = p->lo;; v++) {
				if (!cmp_has_int(&q->vals, v))
					return 0;
				if (v == p->hi)
					return 1;
			}
		}
		if (q->kind == CMP_P_COSET) {
			if (cmp_vals_str(&q->vals))
				return 0;
			for (i = 0; i < cmp_nvals(&q->vals); i++) {
				v = cmp_val_i(&q->vals, i);
				if (v >= p->lo && v <= p->hi)
					return 0;
			}
			return 1;
		}
		return 0;
	case CMP_P_SET:
		for (i = 0; i < cmp_nvals(&p->vals); i++)
			if (!cmp_pred_takes(q, p, i))
				return 0;
		return 1;
	case CMP_P_COSET:
		if (q->kind != CMP_P_COSET)
			return 0;
		for (i = 0; i < cmp_nvals(&q->vals); i++)
			if (!cmp_has(&p->vals, &q->vals, i))
				return 0;
		return 1;
	case CMP_P_MEETS:
		if (q->kind != CMP_P_MEETS)
			return 0;
		for (i = 0; i < cmp_nvals(&p->vals); i++)
			if (!cmp_has(&q->vals, &p->vals, i))
				return 0;
		return 1;
	case CMP_P_REL:
		if (q->kind != CMP_P_REL ||
		    !cmp_same_field(sa, p->rel.field, sb, q->rel.field))
			return 0;
		if (q->dir < 0)
			return p->dir <= 0 && cmp_offset_le(x, &p->rel, &q->rel);
		if (q->dir > 0)
			return p->dir >= 0 && cmp_offset_le(x, &q->rel, &p->rel);
		return p->dir == 0 && cmp_offset_le(x, &p->rel, &q->rel) &&
		    cmp_offset_le(x, &q->rel, &p->rel);
	default:
		return 0;
	}
}

/*
 * Does condition p of side sa imply q of side sb?  Proven by: equal
 * writing; q an "all" (p implies each part); p an "any" (each part
 * implies q); p an "all" with a part that implies q; q an "any" with a
 * part p implies; not(x) implying not(y) when y implies x; and two
 * comparisons of the same field (cmp_pred_implies).  Anything else is not
 * proven.
 */
static int
cmp_implies(struct cmp_ctx *x, const struct cmp_side *sa,
    const struct zes_cond *p, const struct cmp_side *sb,
    const struct zes_cond *q, int depth)
{
	struct cmp_pred	pp, pq;
	size_t		i;

	if (depth > CMP_DEPTH_MAX)
		return 0;
	if (cmp_cond_equal(sa, p, sb, q))
		return 1;
	if (q->kind == ZES_COND_ALL) {
		for (i = 0; i < q->nkids; i++)
			if (!cmp_implies(x, sa, p, sb, &q->kids[i], depth + 1))
				return 0;
		return 1;
	}
	if (p->kind == ZES_COND_ANY) {
		for (i = 0; i < p->nkids; i++)
			if (!cmp_implies(x, sa, &p->kids[i], sb, q, depth + 1))
				return 0;
		return 1;
	}
	if (p->kind == ZES_COND_ALL)
		for (i = 0; i < p->nkids; i++)
			if (cmp_implies(x, sa, &p->kids[i], sb, q, depth + 1))
				return 1;
	if (q->kind == ZES_COND_ANY)
		for (i = 0; i < q->nkids; i++)
			if (cmp_implies(x, sa, p, sb, &q->kids[i], depth + 1))
				return 1;
	if (p->kind == ZES_COND_NOT && q->kind == ZES_COND_NOT &&
	    p->nkids == 1 && q->nkids == 1)
		return cmp_implies(x, sb, &q->kids[0], sa, &p->kids[0],
		    depth + 1);
	if (p->kind == ZES_COND_CMP && q->kind == ZES_COND_CMP &&
	    cmp_same_field(sa, p->field, sb, q->field)) {
		cmp_pred_of(sa, p, &pp);
		cmp_pred_of(sb, q, &pq);
		return cmp_pred_implies(x, sa, &pp, sb, &pq);
	}
	return 0;
}

/* Add an atom to a list; returns it, zeroed but for kind. */
static struct cmp_atom *
cmp_atom_new(struct cmp_atoms *l, enum cmp_akind kind)
{
	struct cmp_atom	*a;

	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 32 : l->cap * 2;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	a = &l->v[l->n++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->pair = SIZE_MAX;
	return a;
}

/* Free the atoms of a list. */
static void
cmp_atoms_free(struct cmp_atoms *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].group);
		free(l->v[i].fkeys);
		free(l->v[i].field);
		free(l->v[i].text);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Compare two strings through pointers (qsort). */
static int
cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Collect the fields a condition names (up to CMP_FIELDS_MAX), as keys
 * (keyed: evidence with its type) or as names.
 */
static void
cmp_cond_fields(const struct cmp_side *s, const struct zes_cond *c, int keyed,
    char **names, size_t *n)
{
	struct cmp_buf	b = { NULL, 0, 0 };
	size_t		i;

	if (c->kind != ZES_COND_CMP) {
		for (i = 0; i < c->nkids; i++)
			cmp_cond_fields(s, &c->kids[i], keyed, names, n);
		return;
	}
	if (*n == CMP_FIELDS_MAX)
		return;
	if (keyed)
		cmp_field_key(&b, s, c->field);
	else
		cmp_field_text(&b, s, c->field);
	names[(*n)++] = cmp_take(&b);
}

/* The distinct fields of a condition, sorted, joined by sep (caller frees). */
static char *
cmp_cond_field_list(const struct cmp_side *s, const struct zes_cond *c,
    int keyed, const char *sep)
{
	struct cmp_buf	 b = { NULL, 0, 0 };
	char		*names[CMP_FIELDS_MAX];
	size_t		 n = 0, i;

	cmp_cond_fields(s, c, keyed, names, &n);
	qsort(names, n, sizeof(names[0]), cmp_strp);
	for (i = 0; i < n; i++) {
		if (i == 0 || strcmp(names[i], names[i - 1]) != 0)
			cmp_add(&b, "%s%s", b.len == 0 ? "" : sep, names[i]);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	return cmp_take(&b);
}

/* The class of a comparison's predicate, for pairing: "min", "max", ... */
static void
cmp_class_text(struct cmp_buf *b, const struct cmp_side *s,
    const struct zes_cond *c)
{
	struct cmp_pred	p;

	cmp_pred_of(s, c, &p);
	switch (p.kind) {
	case CMP_P_RANGE:
		if (p.lo == p.hi)
			cmp_add(b, "eq");
		else if (p.lo == INT64_MIN)
			cmp_add(b, "max");
		else if (p.hi == INT64_MAX)
			cmp_add(b, "min");
		else
			cmp_add(b, "range");
		break;
	case CMP_P_SET:
		cmp_add(b, "in");
		break;
	case CMP_P_COSET:
		cmp_add(b, "notIn");
		break;
	case CMP_P_MEETS:
		cmp_add(b, "intersects");
		break;
	case CMP_P_NONE:
	case CMP_P_ALL:
		cmp_add(b, "exists");
		break;
	case CMP_P_REL:
		cmp_add(b, "%s:", p.dir < 0 ? "max" : p.dir > 0 ? "min" : "eq");
		cmp_field_key(b, s, p.rel.field);
		break;
	case CMP_P_OPAQUE:
		cmp_add(b, "op:%s", (size_t)c->op < ZES_NELEM(cmp_op_names) ?
		    cmp_op_names[c->op] : "?");
		break;
	}
}

/* Is there an any or not anywhere in c? */
static int
cmp_cond_opaque(const struct zes_cond *c)
{
	size_t	i;

	if (c->kind == ZES_COND_ANY || c->kind == ZES_COND_NOT)
		return 1;
	for (i = 0; c->kind == ZES_COND_ALL && i < c->nkids; i++)
		if (cmp_cond_opaque(&c->kids[i]))
			return 1;
	return 0;
}

/* One atom for a conjunct r of type condition tc. */
static void
cmp_cond_atom(struct cmp_atoms *l, const struct cmp_side *s,
    const struct zes_type_condition *tc, const struct zes_cond *r)
{
	struct cmp_atom	*a = cmp_atom_new(l, CMP_A_COND);
	struct cmp_buf	 b = { NULL, 0, 0 };
	char		*fields;

	a->tc = tc;
	a->req = r;
	a->opaque = cmp_cond_opaque(r) || cmp_cond_opaque(&tc->when);
	fields = cmp_cond_field_list(s, r, 1, ",");
	cmp_add(&b, ",%s,", fields);
	free(fields);
	a->fkeys = cmp_take(&b);
	if (r->kind == ZES_COND_CMP) {
		cmp_add(&b, "c|");
		cmp_field_key(&b, s, r->field);
		a->group = xstrdup(b.s);
		cmp_add(&b, "|");
		cmp_class_text(&b, s, r);
		a->key = cmp_take(&b);
		cmp_field_text(&b, s, r->field);
		a->field = cmp_take(&b);
		cmp_opvalue_text(&b, s, r);
	} else {
		fields = cmp_cond_field_list(s, r, 1, ",");
		cmp_add(&b, "c|%s|%s", r->kind == ZES_COND_ANY ? "any" :
		    "not", fields);
		free(fields);
		a->key = cmp_take(&b);
		a->group = xstrdup(a->key);
		a->field = cmp_cond_field_list(s, r, 0, ", ");
		cmp_cond_text(&b, s, r);
	}
	if (!cmp_cond_true(&tc->when)) {
		cmp_add(&b, ", when ");
		cmp_cond_text(&b, s, &tc->when);
	}
	a->text = cmp_take(&b);
}

/* The atoms of a condition's require: one per conjunct of its "all"s. */
static void
cmp_cond_atoms(struct cmp_atoms *l, const struct cmp_side *s,
    const struct zes_type_condition *tc, const struct zes_cond *r)
{
	size_t	i;

	if (r->kind == ZES_COND_ALL) {
		for (i = 0; i < r->nkids; i++)
			cmp_cond_atoms(l, s, tc, &r->kids[i]);
		return;
	}
	cmp_cond_atom(l, s, tc, r);
}

/* The key "<prefix>|evidence.<name>:<type>" into both key and group. */
static void
cmp_evidence_keys(struct cmp_atom *a, const char *prefix,
    const struct zes_evidence_def *e)
{
	struct cmp_buf	b = { NULL, 0, 0 };

	cmp_add(&b, "%s|%s:%s", prefix, e->name,
	    zes_evidence_type_name(e->type));
	a->key = cmp_take(&b);
	a->group = xstrdup(a->key);
	cmp_add(&b, "evidence.%s", e->name);
	a->field = cmp_take(&b);
}

/* The atoms of an evidence field: required, and its value's limits. */
static void
cmp_evidence_atoms(struct cmp_atoms *l, const struct cmp_side *s,
    const struct zes_evidence_def *e)
{
	struct cmp_atom	*a;
	struct cmp_buf	 b = { NULL, 0, 0 };
	size_t		 i;

	if (e->required || e->has_required_when) {
		a = cmp_atom_new(l, CMP_A_REQUIRED);
		a->ev = e;
		cmp_evidence_keys(a, "r", e);
		cmp_add(&b, "required, %s", zes_evidence_type_name(e->type));
		if (!e->required) {
			cmp_add(&b, ", when ");
			cmp_cond_text(&b, s, &e->required_when);
		}
		a->text = cmp_take(&b);
	}
	if (e->type == ZES_EV_INTEGER &&
	    (e->minimum != INT64_MIN || e->maximum != INT64_MAX)) {
		a = cmp_atom_new(l, CMP_A_RANGE);
		a->ev = e;
		cmp_evidence_keys(a, "n", e);
		if (e->minimum != INT64_MIN)
			cmp_add(&b, "minimum %" PRId64, e->minimum);
		if (e->maximum != INT64_MAX)
			cmp_add(&b, "%smaximum %" PRId64, b.len == 0 ? "" : ", ",
			    e->maximum);
		a->text = cmp_take(&b);
	}
	if (e->type == ZES_EV_STRING &&
	    (e->min_length > 0 || e->max_length != INT64_MAX)) {
		a = cmp_atom_new(l, CMP_A_LENGTH);
		a->ev = e;
		cmp_evidence_keys(a, "l", e);
		if (e->max_length == INT64_MAX)
			cmp_add(&b, "at least %" PRId64 " characters",
			    e->min_length);
		else
			cmp_add(&b, "%" PRId64 " to %" PRId64 " characters",
			    e->min_length, e->max_length);
		a->text = cmp_take(&b);
	}
	if (e->type == ZES_EV_STRING && e->nvalues > 0) {
		a = cmp_atom_new(l, CMP_A_ENUM);
		a->ev = e;
		cmp_evidence_keys(a, "e", e);
		cmp_add(&b, "one of [");
		for (i = 0; i < e->nvalues; i++)
			cmp_add(&b, "%s\"%s\"", i == 0 ? "" : ", ", e->values[i]);
		cmp_add(&b, "]");
		a->text = cmp_take(&b);
	}
}

/* A bound of the validity: the first day no longer valid. */
static void
cmp_bound_atom(struct cmp_atoms *l, const struct cmp_side *s,
    const struct cmp_day *d, const char *text)
{
	struct cmp_atom	*a = cmp_atom_new(l, CMP_A_BOUND);
	struct cmp_buf	 b = { NULL, 0, 0 };

	a->bound = *d;
	cmp_add(&b, "b|");
	if (d->field == -1)
		cmp_add(&b, "fixed");
	else
		cmp_field_key(&b, s, d->field);
	a->key = cmp_take(&b);
	a->group = xstrdup("b");
	a->field = xstrdup("validity");
	a->text = xstrdup(text);
}

/* A length from period.from as a bound. */
static void
cmp_span_atom(struct cmp_atoms *l, const struct cmp_side *s,
    const struct zes_span *sp, const char *member)
{
	struct cmp_buf	b = { NULL, 0, 0 };
	struct cmp_day	d;
	char		*text;

	memset(&d, 0, sizeof(d));
	d.field = ZES_F_PERIOD_FROM;
	d.years = sp->years;
	d.months = sp->months;
	d.days = sp->days;
	cmp_add(&b, "%s ", member);
	cmp_span_text(&b, sp->years, sp->months, sp->days);
	text = cmp_take(&b);
	cmp_bound_atom(l, s, &d, text);
	free(text);
}

/*
 * Bounds of a day bound list: `through` days end the day after (+1),
 * `before` days on the day itself; the earliest of a list counts, so
 * each of its days is a bound.
 */
static void
cmp_daybound_atoms(struct cmp_atoms *l, const struct cmp_side *s,
    const struct zes_daybound *db, const char *member, int plus)
{
	struct cmp_buf	b = { NULL, 0, 0 };
	struct cmp_day	d;
	char		*text;
	size_t		i;

	for (i = 0; i < db->n; i++) {
		cmp_day_of(s, &db->v[i], &d);
		if (d.field == -1) {
			if (d.day != ZES_DAY_NONE)
				d.day += plus;
		} else
			d.days += plus;
		cmp_add(&b, "%s ", member);
		cmp_dayexpr_text(&b, s, &db->v[i]);
		text = cmp_take(&b);
		cmp_bound_atom(l, s, &d, text);
		free(text);
	}
}

/* Is a length given? */
static int
cmp_span_set(const struct zes_span *sp)
{
	return sp->years != 0 || sp->months != 0 || sp->days != 0;
}

/*
 * Every restriction of a side's type, in the order of `because`: the
 * outcome, the conditions, the evidence, the validity, the quota.  A
 * single-day validity is one atom, its `before` bounds others.
 */
static void
cmp_atoms_of(struct cmp_atoms *l, const struct cmp_side *s)
{
	const struct zes_type		*t = s->t;
	const struct zes_validity	*v = &t->validity;
	struct cmp_atom			*a;
	struct cmp_buf			 b = { NULL, 0, 0 };
	size_t				 i;

	if (t->review) {
		a = cmp_atom_new(l, CMP_A_REVIEW);
		a->key = xstrdup("o");
		a->group = xstrdup("o");
		a->field = xstrdup("outcome");
		cmp_add(&b, "review (%s)", t->review_reason);
		a->text = cmp_take(&b);
	}
	for (i = 0; i < t->nconditions; i++)
		cmp_cond_atoms(l, s, &t->conditions[i],
		    &t->conditions[i].require);
	for (i = 0; i < t->nevidence; i++)
		cmp_evidence_atoms(l, s, &t->evidence[i]);
	if (v->single_day) {
		a = cmp_atom_new(l, CMP_A_SINGLE);
		a->key = xstrdup("s");
		a->group = xstrdup("s");
		a->field = xstrdup("validity");
		cmp_add(&b, "singleDay, until %02d:%02d the next day",
		    v->next_day_minutes / 60, v->next_day_minutes % 60);
		a->text = cmp_take(&b);
	} else {
		if (cmp_span_set(&v->length))
			cmp_span_atom(l, s, &v->length, "length");
		cmp_daybound_atoms(l, s, &v->through, "through", 1);
		if (cmp_span_set(&v->max_length))
			cmp_span_atom(l, s, &v->max_length, "maxLength");
	}
	cmp_daybound_atoms(l, s, &v->before, "before", 0);
	if (t->quota_per_year > 0) {
		a = cmp_atom_new(l, CMP_A_QUOTA);
		a->key = xstrdup("q");
		a->group = xstrdup("q");
		a->field = xstrdup("quota.perPlatePerCalendarYear");
		cmp_add(&b, "%d per plate per calendar year", t->quota_per_year);
		a->text = cmp_take(&b);
	}
}

/* Is a string in a list? */
static int
cmp_in_list(const char *s, const char *const *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(s, v[i]) == 0)
			return 1;
	return 0;
}

/*
 * Does atom p of side sa restrict at least as much as atom q of side sb:
 * everything p lets through, q lets through?  1 only when proven.
 */
static int
cmp_atom_implies(struct cmp_ctx *x, const struct cmp_side *sa,
    const struct cmp_atom *p, const struct cmp_side *sb,
    const struct cmp_atom *q)
{
	size_t	i;

	if (p->kind != q->kind)
		return 0;
	switch (p->kind) {
	case CMP_A_REVIEW:
		return strcmp(sa->t->review_reason, sb->t->review_reason) == 0;
	case CMP_A_COND:
		/* (not Wp or Rp) implies (not Wq or Rq) when Wq => Wp, Rp => Rq. */
		return cmp_implies(x, sb, &q->tc->when, sa, &p->tc->when, 0) &&
		    cmp_implies(x, sa, p->req, sb, q->req, 0);
	case CMP_A_REQUIRED:
	case CMP_A_RANGE:
	case CMP_A_LENGTH:
	case CMP_A_ENUM:
		if (strcmp(p->ev->name, q->ev->name) != 0 ||
		    p->ev->type != q->ev->type)
			return 0;
		break;
	case CMP_A_SINGLE:
		return sa->t->validity.next_day_minutes <=
		    sb->t->validity.next_day_minutes;
	case CMP_A_BOUND:
		return cmp_day_le(x, sa, &p->bound, sb, &q->bound);
	case CMP_A_QUOTA:
		return sa->t->quota_per_year <= sb->t->quota_per_year;
	case CMP_A_KINDS:
		return 0;
	}
	switch (p->kind) {
	case CMP_A_REQUIRED:
		/* p requires the field wherever q does. */
		if (p->ev->required)
			return 1;
		if (q->ev->required)
			return 0;
		return cmp_implies(x, sb, &q->ev->required_when, sa,
		    &p->ev->required_when, 0);
	case CMP_A_RANGE:
		return p->ev->minimum >= q->ev->minimum &&
		    p->ev->maximum <= q->ev->maximum;
	case CMP_A_LENGTH:
		return p->ev->min_length >= q->ev->min_length &&
		    p->ev->max_length <= q->ev->max_length;
	case CMP_A_ENUM:
		for (i = 0; i < p->ev->nvalues; i++)
			if (!cmp_in_list(p->ev->values[i], q->ev->values,
			    q->ev->nvalues))
				return 0;
		return 1;
	default:
		return 0;
	}
}

/* A municipality's name for explanations: "Rotterdam (GM0599)". */
static void
cmp_who(struct cmp_buf *b, const struct cmp_side *s)
{
	if (s->m->info != NULL && s->m->info->name != NULL)
		cmp_add(b, "%s (%s)", s->m->info->name, s->m->code);
	else
		cmp_add(b, "%s", s->m->code);
}

/* What stands for a restriction a side does not have, by kind. */
static const char *
cmp_missing_text(enum cmp_akind k)
{
	switch (k) {
	case CMP_A_REVIEW:
		return "grant";
	case CMP_A_REQUIRED:
		return "not required";
	case CMP_A_RANGE:
		return "no minimum or maximum";
	case CMP_A_LENGTH:
		return "no length limits";
	case CMP_A_ENUM:
		return "any value";
	case CMP_A_QUOTA:
		return "no quota";
	default:
		return NULL;
	}
}

/* `kind` of a because entry. */
static const char *
cmp_kind_name(enum cmp_akind k)
{
	switch (k) {
	case CMP_A_REVIEW:
		return "outcome";
	case CMP_A_COND:
		return "condition";
	case CMP_A_REQUIRED:
	case CMP_A_RANGE:
	case CMP_A_LENGTH:
	case CMP_A_ENUM:
		return "evidence";
	case CMP_A_SINGLE:
	case CMP_A_BOUND:
		return "validity";
	case CMP_A_QUOTA:
		return "quota";
	case CMP_A_KINDS:
		break;
	}
	return "?";
}

/* Effects of a because entry on the verdict. */
enum cmp_effect {
	CMP_E_NONE = 0,		/* both sides grant nothing */
	CMP_E_STRICTER = 1,	/* a restricts more: "b within a" is unproven */
	CMP_E_LOOSER = 2,	/* b restricts more: "a within b" is unproven */
	CMP_E_INCOMPARABLE = 3,	/* both */
};

/* "a stricter", "a looser", "incomparable", "equivalent". */
static const char *
cmp_effect_name(int e)
{
	switch (e) {
	case CMP_E_STRICTER:
		return "a stricter";
	case CMP_E_LOOSER:
		return "a looser";
	case CMP_E_INCOMPARABLE:
		return "incomparable";
	default:
		return "equivalent";
	}
}

/* Append one entry to because. */
static void
cmp_entry(json_t *because, const char *kind, const char *field,
    const char *ta, const char *tb, int effect, const char *why)
{
	json_t	*e;

	if (because == NULL)
		return;
	e = json_object();
	json_object_set_new(e, "kind", json_string(kind));
	json_object_set_new(e, "field", json_string(field));
	json_object_set_new(e, "a", ta != NULL ? json_string(ta) : json_null());
	json_object_set_new(e, "b", tb != NULL ? json_string(tb) : json_null());
	json_object_set_new(e, "effect", json_string(cmp_effect_name(effect)));
	json_object_set_new(e, "explanation", json_string(why));
	json_array_append_new(because, e);
}

/*
 * The fields of two paired atoms: "a, b" lists merged, sorted, without
 * repeats, so that (a, b) and (b, a) name the same (freed by the caller).
 */
static char *
cmp_field_union(const char *x, const char *y)
{
	struct cmp_buf	 b = { NULL, 0, 0 };
	char		*names[2 * CMP_FIELDS_MAX], *copy, *p, *sep;
	const char	*list[2] = { x, y };
	size_t		 n = 0, i, k;

	for (k = 0; k < 2; k++) {
		copy = xstrdup(list[k]);
		for (p = copy; p != NULL && *p != '\0'; p = sep) {
			if ((sep = strstr(p, ", ")) != NULL) {
				*sep = '\0';
				sep += 2;
			}
			if (n < ZES_NELEM(names))
				names[n++] = xstrdup(p);
		}
		free(copy);
	}
	qsort(names, n, sizeof(names[0]), cmp_strp);
	for (i = 0; i < n; i++)
		if (i == 0 || strcmp(names[i], names[i - 1]) != 0)
			cmp_add(&b, "%s%s", b.len == 0 ? "" : ", ", names[i]);
	for (i = 0; i < n; i++)
		free(names[i]);
	return cmp_take(&b);
}

/*
 * The entry of an atom of a (pa) and/or of b (pb) that is not implied by
 * the other side, with its explanation.
 */
static void
cmp_atom_entry(json_t *because, const struct cmp_side *sa,
    const struct cmp_atom *pa, const struct cmp_side *sb,
    const struct cmp_atom *pb, int effect)
{
	const struct cmp_atom	*one = pa != NULL ? pa : pb;
	struct cmp_buf		 b = { NULL, 0, 0 };
	const char		*ta, *tb;
	char			*why, *field;

	if (because == NULL)
		return;
	ta = pa != NULL ? pa->text : cmp_missing_text(one->kind);
	tb = pb != NULL ? pb->text : cmp_missing_text(one->kind);
	if (pa != NULL && pb != NULL) {
		if (effect == CMP_E_INCOMPARABLE) {
			cmp_add(&b, "Neither rule implies the other: each of ");
			cmp_who(&b, sa);
			cmp_add(&b, " and ");
			cmp_who(&b, sb);
			cmp_add(&b, " may let through what the other refuses");
			if (pa->opaque || pb->opaque)
				cmp_add(&b, " (any/not combinations are "
				    "compared only part by part)");
			cmp_add(&b, ".");
		} else {
			cmp_add(&b, "The rule of ");
			cmp_who(&b, effect == CMP_E_STRICTER ? sa : sb);
			cmp_add(&b, " is the narrower: what it lets through, "
			    "the rule of ");
			cmp_who(&b, effect == CMP_E_STRICTER ? sb : sa);
			cmp_add(&b, " lets through too, not the other way "
			    "round.");
		}
	} else {
		cmp_add(&b, "Only ");
		cmp_who(&b, pa != NULL ? sa : sb);
		cmp_add(&b, " has this rule");
		if (one->opaque)
			cmp_add(&b, " (an any/not combination that no rule "
			    "of the other side implies)");
		cmp_add(&b, ": ");
		cmp_who(&b, pa != NULL ? sb : sa);
		cmp_add(&b, " may grant what it refuses.");
	}
	why = cmp_take(&b);
	field = pa != NULL && pb != NULL ? cmp_field_union(pa->field,
	    pb->field) : xstrdup(one->field);
	cmp_entry(because, cmp_kind_name(one->kind), field, ta, tb, effect,
	    why);
	free(field);
	free(why);
}

/* Do two atoms name a field in common (conditions only)? */
static int
cmp_share_field(const struct cmp_atom *a, const struct cmp_atom *b)
{
	struct cmp_buf	 w = { NULL, 0, 0 };
	const char	*p, *e;
	char		*needle;
	int		 found = 0;

	if (a->fkeys == NULL || b->fkeys == NULL)
		return 0;
	for (p = a->fkeys + 1; !found && (e = strchr(p, ',')) != NULL;
	    p = e + 1) {
		if (e == p)
			continue;
		cmp_add(&w, ",%.*s,", (int)(e - p), p);
		needle = cmp_take(&w);
		found = strstr(b->fkeys, needle) != NULL;
		free(needle);
	}
	return found;
}

/*
 * Pair a's atoms with b's for `because`: first by equal key (the same
 * field and kind of bound), then by equal group (the same field), then,
 * for conditions, by a field in common.
 */
static void
cmp_pair_atoms(struct cmp_atoms *la, struct cmp_atoms *lb)
{
	struct cmp_atom	*p, *q;
	size_t		 i, j;
	int		 phase, same;

	for (phase = 0; phase < 3; phase++)
		for (i = 0; i < la->n; i++) {
			p = &la->v[i];
			if (p->pair != SIZE_MAX)
				continue;
			for (j = 0; j < lb->n; j++) {
				q = &lb->v[j];
				if (q->pair != SIZE_MAX || p->kind != q->kind)
					continue;
				if (phase == 0)
					same = strcmp(p->key, q->key) == 0;
				else if (phase == 1)
					same = strcmp(p->group, q->group) == 0;
				else
					same = cmp_share_field(p, q);
				if (!same)
					continue;
				p->pair = j;
				q->pair = i;
				break;
			}
		}
}

/* The side of municipality m for a type. */
static void
cmp_side_init(const struct zes_rules *rules, const char *type,
    const struct zes_municipality *m, struct cmp_side *s)
{
	const json_t	*doc;

	memset(s, 0, sizeof(*s));
	s->m = m;
	s->zone_start = zes_zone_start(m);
	if ((s->t = zes_rules_type(rules, NULL, type)) != NULL)
		doc = rules->national_info.doc;
	else {
		s->t = zes_rules_type(rules, m, type);
		doc = m->info != NULL ? m->info->doc : NULL;
	}
	if (s->t != NULL && doc != NULL)
		s->doc = json_object_get(json_object_get(doc, "types"), type);
}

/* Compare the type of two sides that both offer it; the effects seen. */
static int
cmp_offered_pair(struct cmp_ctx *x, const struct cmp_side *sa,
    const struct cmp_side *sb, json_t *because)
{
	struct cmp_atoms	 la = { NULL, 0, 0 }, lb = { NULL, 0, 0 };
	struct cmp_atom		*p, *q;
	size_t			 i, j;
	int			 effects = 0, e, k, mixed;

	cmp_atoms_of(&la, sa);
	cmp_atoms_of(&lb, sb);

	/* An atom is covered when one of the other side's implies it. */
	for (j = 0; j < lb.n; j++)
		for (i = 0; i < la.n && !lb.v[j].covered; i++)
			lb.v[j].covered = cmp_atom_implies(x, sa, &la.v[i], sb,
			    &lb.v[j]);
	for (i = 0; i < la.n; i++)
		for (j = 0; j < lb.n && !la.v[i].covered; j++)
			la.v[i].covered = cmp_atom_implies(x, sb, &lb.v[j], sa,
			    &la.v[i]);
	cmp_pair_atoms(&la, &lb);

	mixed = sa->t->validity.single_day != sb->t->validity.single_day;
	for (k = 0; k < CMP_A_KINDS; k++) {
		if (mixed && (k == CMP_A_SINGLE || k == CMP_A_BOUND)) {
			if (k == CMP_A_BOUND)
				continue;
			/* A day until a time of the next, or whole days. */
			effects |= CMP_E_INCOMPARABLE;
			cmp_entry(because, "validity", "validity",
			    sa->t->validity.single_day ? "singleDay" :
			    "whole days", sb->t->validity.single_day ?
			    "singleDay" : "whole days", CMP_E_INCOMPARABLE,
			    "One validity is a single day ending at a time of "
			    "the next day, the other a period of whole days: "
			    "the two forms are not compared.");
			continue;
		}
		for (i = 0; i < la.n; i++) {
			p = &la.v[i];
			if ((int)p->kind != k)
				continue;
			q = p->pair != SIZE_MAX ? &lb.v[p->pair] : NULL;
			e = (p->covered ? 0 : CMP_E_STRICTER) |
			    (q == NULL || q->covered ? 0 : CMP_E_LOOSER);
			if (e != 0)
				cmp_atom_entry(because, sa, p, sb, q, e);
			effects |= e;
		}
		for (j = 0; j < lb.n; j++) {
			q = &lb.v[j];
			if ((int)q->kind != k || q->pair != SIZE_MAX ||
			    q->covered)
				continue;
			cmp_atom_entry(because, sa, NULL, sb, q, CMP_E_LOOSER);
			effects |= CMP_E_LOOSER;
		}
	}
	cmp_atoms_free(&la);
	cmp_atoms_free(&lb);
	return effects;
}

/* The verdict on (a, b) for a type, with the offsets decided so far in x. */
static enum zes_verdict
cmp_pair(struct cmp_ctx *x, const struct zes_rules *rules, const char *type,
    const struct zes_municipality *a, const struct zes_municipality *b,
    json_t *because)
{
	struct cmp_side	 sa, sb;
	struct cmp_buf	 w = { NULL, 0, 0 };
	char		*why;
	int		 oa, ob, effects;

	cmp_side_init(rules, type, a, &sa);
	cmp_side_init(rules, type, b, &sb);
	oa = sa.t != NULL && sa.t->offered;
	ob = sb.t != NULL && sb.t->offered;
	if (!oa || !ob) {
		/* A side that does not offer the type grants none of it. */
		if (because != NULL) {
			if (!oa && !ob)
				cmp_add(&w, "Neither grants this type.");
			else {
				cmp_who(&w, oa ? &sb : &sa);
				cmp_add(&w, " grants no exemption of this type, "
				    "so it grants nothing the other would "
				    "refuse.");
			}
			why = cmp_take(&w);
			cmp_entry(because, "offered", "offered",
			    oa ? "offered" : "not offered",
			    ob ? "offered" : "not offered",
			    oa ? CMP_E_LOOSER : ob ? CMP_E_STRICTER : CMP_E_NONE,
			    why);
			free(why);
		}
		if (!oa && !ob)
			return ZES_VERDICT_EQUIVALENT;
		return oa ? ZES_VERDICT_LOOSER : ZES_VERDICT_STRICTER;
	}

	effects = cmp_offered_pair(x, &sa, &sb, because);
	switch (effects) {
	case 0:
		return ZES_VERDICT_EQUIVALENT;
	case CMP_E_STRICTER:
		return ZES_VERDICT_STRICTER;
	case CMP_E_LOOSER:
		return ZES_VERDICT_LOOSER;
	default:
		return ZES_VERDICT_INCOMPARABLE;
	}
}

/* The verdict on (a, b) for a type (compare.h). */
enum zes_verdict
zes_compare_pair(const struct zes_rules *rules, const char *type,
    const struct zes_municipality *a, const struct zes_municipality *b,
    json_t *because)
{
	struct cmp_ctx		*x = xcalloc(1, sizeof(*x));
	enum zes_verdict	 v;

	v = cmp_pair(x, rules, type, a, b, because);
	free(x);
	return v;
}

/* Does some rule set declare the type (compare.h)? */
int
zes_compare_type_known(const struct zes_rules *rules, const char *type)
{
	return rules != NULL && type != NULL &&
	    (zes_rules_type(rules, NULL, type) != NULL ||
	    zes_rules_type_declarer(rules, type) != NULL);
}

/* A fee in cents as euros: an integer when whole. */
static json_t *
cmp_fee_json(int64_t cents)
{
	if (cents % 100 == 0)
		return json_integer((json_int_t)(cents / 100));
	return json_real((double)cents / 100.0);
}

/* A text made by cmp_buf as a JSON string (the text is freed). */
static json_t *
cmp_take_json(struct cmp_buf *b)
{
	char	*s = cmp_take(b);
	json_t	*v = json_string(s);

	free(s);
	return v != NULL ? v : json_string("");
}

/* How long a grant is valid, in words. */
static void
cmp_validity_text(struct cmp_buf *b, const struct cmp_side *s)
{
	const struct zes_validity	*v = &s->t->validity;
	size_t				 i;

	if (v->single_day)
		cmp_add(b, "period.from only, until %02d:%02d the next day",
		    v->next_day_minutes / 60, v->next_day_minutes % 60);
	else if (cmp_span_set(&v->length)) {
		cmp_span_text(b, v->length.years, v->length.months,
		    v->length.days);
		cmp_add(b, " from period.from");
	} else if (v->through.n > 0) {
		cmp_add(b, "through %s", v->through.n > 1 ?
		    "the earliest of " : "");
		for (i = 0; i < v->through.n; i++) {
			if (i > 0)
				cmp_add(b, ", ");
			cmp_dayexpr_text(b, s, &v->through.v[i]);
		}
	} else if (v->assessor)
		cmp_add(b, "through the last day the assessor sets");
	else
		cmp_add(b, "from period.from");
	if (cmp_span_set(&v->max_length)) {
		cmp_add(b, ", at most ");
		cmp_span_text(b, v->max_length.years, v->max_length.months,
		    v->max_length.days);
	}
	if (v->before.n > 0) {
		cmp_add(b, ", never on or after %s", v->before.n > 1 ?
		    "the earliest of " : "");
		for (i = 0; i < v->before.n; i++) {
			if (i > 0)
				cmp_add(b, ", ");
			cmp_dayexpr_text(b, s, &v->before.v[i]);
		}
	}
	if (!v->single_day)
		cmp_add(b, "; ends with period.until when that is earlier");
}

/* The conditions of a side: code, message, the rule as written, in words. */
static json_t *
cmp_conditions_json(const struct cmp_side *s)
{
	const struct zes_type_condition	*tc;
	const json_t			*docs, *d;
	struct cmp_buf			 b = { NULL, 0, 0 };
	json_t				*out = json_array(), *o;
	size_t				 i;

	docs = json_object_get(s->doc, "conditions");
	for (i = 0; i < s->t->nconditions; i++) {
		tc = &s->t->conditions[i];
		d = json_array_get(docs, i);
		o = json_object();
		json_object_set_new(o, "reason", json_string(tc->reason));
		json_object_set_new(o, "message", json_string(tc->message != NULL ?
		    tc->message : ""));
		if (!cmp_cond_true(&tc->when)) {
			cmp_add(&b, "when ");
			cmp_cond_text(&b, s, &tc->when);
			cmp_add(&b, ": ");
		}
		cmp_cond_text(&b, s, &tc->require);
		json_object_set_new(o, "text", cmp_take_json(&b));
		if (json_object_get(d, "when") != NULL)
			json_object_set_new(o, "when",
			    json_deep_copy(json_object_get(d, "when")));
		if (json_object_get(d, "require") != NULL)
			json_object_set_new(o, "require",
			    json_deep_copy(json_object_get(d, "require")));
		json_array_append_new(out, o);
	}
	return out;
}

/* The evidence of a side: name, type, label, required, limits in words. */
static json_t *
cmp_evidence_json(const struct cmp_side *s)
{
	const struct zes_evidence_def	*e;
	struct cmp_atoms		 l = { NULL, 0, 0 };
	struct cmp_buf			 b = { NULL, 0, 0 };
	json_t				*out = json_array(), *o;
	size_t				 i, k;

	for (i = 0; i < s->t->nevidence; i++) {
		e = &s->t->evidence[i];
		o = json_object();
		json_object_set_new(o, "name", json_string(e->name));
		json_object_set_new(o, "type",
		    json_string(zes_evidence_type_name(e->type)));
		if (e->label != NULL)
			json_object_set_new(o, "label", json_string(e->label));
		json_object_set_new(o, "required", json_boolean(e->required));
		if (e->has_required_when) {
			cmp_cond_text(&b, s, &e->required_when);
			json_object_set_new(o, "requiredWhen", cmp_take_json(&b));
		}
		cmp_evidence_atoms(&l, s, e);
		for (k = 0; k < l.n; k++)
			if (l.v[k].kind != CMP_A_REQUIRED)
				cmp_add(&b, "%s%s", b.len == 0 ? "" : "; ",
				    l.v[k].text);
		cmp_atoms_free(&l);
		if (b.len > 0)
			json_object_set_new(o, "limits", cmp_take_json(&b));
		json_array_append_new(out, o);
	}
	return out;
}

/* One municipality's column of the comparison. */
static json_t *
cmp_municipality_json(const struct cmp_side *s)
{
	const struct zes_ruleset_info	*info = s->m->info;
	struct cmp_buf			 b = { NULL, 0, 0 };
	json_t				*o = json_object(), *x;

	json_object_set_new(o, "municipality", json_string(s->m->code));
	json_object_set_new(o, "name", info != NULL && info->name != NULL ?
	    json_string(info->name) : json_null());
	if (info != NULL)
		json_object_set_new(o, "ruleSet", json_pack("{s:s?, s:s}",
		    "version", info->version, "sha256", info->sha256));
	json_object_set_new(o, "declared", json_boolean(s->t != NULL));
	json_object_set_new(o, "offered", json_boolean(s->t != NULL &&
	    s->t->offered));
	if (s->t == NULL) {
		json_object_set_new(o, "label", json_null());
		json_object_set_new(o, "outcome", json_null());
		json_object_set_new(o, "conditions", json_array());
		json_object_set_new(o, "maxDuration", json_null());
		json_object_set_new(o, "evidence", json_array());
		json_object_set_new(o, "feeEur", json_null());
		json_object_set_new(o, "quota", json_null());
		return o;
	}
	json_object_set_new(o, "label", s->t->label != NULL ?
	    json_string(s->t->label) : json_null());
	if (s->t->review)
		x = json_pack("{s:s, s:s}", "decision", "review", "reason",
		    s->t->review_reason);
	else
		x = json_pack("{s:s}", "decision", "grant");
	json_object_set_new(o, "outcome", x);
	json_object_set_new(o, "conditions", cmp_conditions_json(s));
	cmp_validity_text(&b, s);
	x = json_object();
	json_object_set_new(x, "text", cmp_take_json(&b));
	if (json_object_get(s->doc, "validity") != NULL)
		json_object_set_new(x, "validity",
		    json_deep_copy(json_object_get(s->doc, "validity")));
	json_object_set_new(o, "maxDuration", x);
	json_object_set_new(o, "evidence", cmp_evidence_json(s));
	json_object_set_new(o, "feeEur", cmp_fee_json(s->t->fee_cents));
	json_object_set_new(o, "quota", s->t->quota_per_year > 0 ?
	    json_pack("{s:i}", "perPlatePerCalendarYear",
	    s->t->quota_per_year) : json_null());
	return o;
}

/* What a verdict means for recognition, in a sentence. */
static json_t *
cmp_summary_json(const struct zes_municipality *ma,
    const struct zes_municipality *mb, enum zes_verdict v)
{
	struct cmp_side	sa, sb;
	struct cmp_buf	b = { NULL, 0, 0 };

	memset(&sa, 0, sizeof(sa));
	memset(&sb, 0, sizeof(sb));
	sa.m = ma;
	sb.m = mb;
	switch (v) {
	case ZES_VERDICT_EQUIVALENT:
		cmp_who(&b, &sa);
		cmp_add(&b, " and ");
		cmp_who(&b, &sb);
		cmp_add(&b, " grant the same applications of this type: each "
		    "can recognise the other's exemptions without admitting "
		    "more than its own rules would.");
		break;
	case ZES_VERDICT_STRICTER:
		cmp_add(&b, "Every application ");
		cmp_who(&b, &sa);
		cmp_add(&b, " grants, ");
		cmp_who(&b, &sb);
		cmp_add(&b, " would grant too: ");
		cmp_who(&b, &sb);
		cmp_add(&b, " can recognise its exemptions of this type "
		    "without admitting more than its own rules would.");
		break;
	case ZES_VERDICT_LOOSER:
		cmp_who(&b, &sa);
		cmp_add(&b, " grants applications ");
		cmp_who(&b, &sb);
		cmp_add(&b, " would refuse: recognising its exemptions of this "
		    "type, ");
		cmp_who(&b, &sb);
		cmp_add(&b, " would admit more than its own rules would.");
		break;
	case ZES_VERDICT_INCOMPARABLE:
		cmp_add(&b, "It cannot be shown that ");
		cmp_who(&b, &sb);
		cmp_add(&b, " would grant every application ");
		cmp_who(&b, &sa);
		cmp_add(&b, " grants, nor the reverse: see because.");
		break;
	}
	return cmp_take_json(&b);
}

/* The comparison of one type (compare.h). */
json_t *
zes_compare_type(const struct zes_rules *rules, const char *type)
{
	const struct zes_municipality	*ma, *mb, *decl;
	const struct zes_type		*t;
	struct cmp_ctx			*x;
	struct cmp_side			 s;
	json_t				*out, *munis, *pairs, *because;
	size_t				 i, j;
	enum zes_verdict		 v;
	int				 national;

	if (!zes_compare_type_known(rules, type))
		return NULL;
	national = zes_rules_type(rules, NULL, type) != NULL;
	t = national ? zes_rules_type(rules, NULL, type) :
	    ((decl = zes_rules_type_declarer(rules, type)) != NULL ?
	    zes_rules_type(rules, decl, type) : NULL);
	out = json_object();
	json_object_set_new(out, "type", json_string(type));
	json_object_set_new(out, "scope", json_string(national ? "national" :
	    "municipal"));
	json_object_set_new(out, "label", t != NULL && t->label != NULL ?
	    json_string(t->label) : json_null());
	munis = json_array();
	pairs = json_array();
	x = xcalloc(1, sizeof(*x));
	for (i = 0; i < rules->nmunis; i++) {
		ma = &rules->munis[i];
		if (!ma->has_zone)
			continue;
		cmp_side_init(rules, type, ma, &s);
		json_array_append_new(munis, cmp_municipality_json(&s));
		for (j = 0; j < rules->nmunis; j++) {
			mb = &rules->munis[j];
			if (j == i || !mb->has_zone)
				continue;
			because = json_array();
			v = cmp_pair(x, rules, type, ma, mb, because);
			json_array_append_new(pairs, json_pack("{s:s, s:s, s:s, "
			    "s:o, s:o}", "a", ma->code, "b", mb->code, "verdict",
			    zes_verdict_name(v), "summary", cmp_summary_json(ma,
			    mb, v), "because", because));
		}
	}
	free(x);
	json_object_set_new(out, "municipalities", munis);
	json_object_set_new(out, "pairs", pairs);
	return out;
}
