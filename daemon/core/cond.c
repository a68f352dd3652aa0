/*
 * The condition language of rules/README.md (pure): the table of the fields
 * conditions may name, the evaluation of a condition over a facts array,
 * and day expressions ("DET + 40 years", "the submission day + 365 days")
 * evaluated over the facts.
 */
#include <string.h>

#include "zes/period.h"
#include "zes/ruleset.h"

/*
 * Every field a rule may name, with its type: rules/README.md, "Vehicle
 * fields" and "Application fields".  The one place field names live: the
 * loader resolves a name through zes_field_name(), and a facts array is
 * indexed by position here.  ZES_F_VEHICLE_END names nothing; evidence
 * fields are named by their type's declaration, not here.
 */
static const struct {
	const char	*name;
	enum zes_vtype	 type;
} cond_fields[ZES_F_APPLICATION_END] = {
	[ZES_F_CATEGORY] =		{ "vehicle.category",		ZES_V_STRING },
	[ZES_F_VEHICLE_TYPE] =		{ "vehicle.vehicleType",	ZES_V_STRING },
	[ZES_F_BODY_DESCRIPTION] =	{ "vehicle.bodyDescription",	ZES_V_STRING },
	[ZES_F_BODY_TYPE] =		{ "vehicle.bodyType",		ZES_V_STRING },
	[ZES_F_BODY_CODE] =		{ "vehicle.bodyCode",		ZES_V_INT },
	[ZES_F_SPECIAL_CODES] =		{ "vehicle.specialCodes",	ZES_V_INTSET },
	[ZES_F_FUELS] =			{ "vehicle.fuels",		ZES_V_STRSET },
	[ZES_F_EMISSION_CLASS] =	{ "vehicle.emissionClass",	ZES_V_INT },
	[ZES_F_ZERO_EMISSION] =		{ "vehicle.zeroEmission",	ZES_V_BOOL },
	[ZES_F_FIRST_ADMISSION] =	{ "vehicle.firstAdmission",	ZES_V_DATE },
	[ZES_F_MASS_KG] =		{ "vehicle.massKg",		ZES_V_INT },
	[ZES_F_KIND] =			{ "vehicle.kind",		ZES_V_STRING },
	[ZES_F_IN_SCOPE] =		{ "vehicle.inScope",		ZES_V_BOOL },
	[ZES_F_TRANSITION_COVERED] =	{ "vehicle.transitionCovered",	ZES_V_BOOL },
	[ZES_F_VEHICLE_END] =		{ NULL,				ZES_V_ABSENT },
	[ZES_F_REGISTERED] =		{ "vehicle.registered",		ZES_V_BOOL },
	[ZES_F_PERIOD_FROM] =		{ "application.periodFrom",	ZES_V_DATE },
	[ZES_F_PERIOD_UNTIL] =		{ "application.periodUntil",	ZES_V_DATE },
	[ZES_F_SUBMITTED_ON] =		{ "application.submittedOn",	ZES_V_DATE },
	[ZES_F_COUNTRY] =		{ "application.country",	ZES_V_STRING },
	[ZES_F_ZONE_START] =		{ "municipality.zoneStart",	ZES_V_DATE },
};

/* Name of a field ("vehicle.kind"); NULL for the separator and past the end. */
const char *
zes_field_name(enum zes_field f)
{
	if ((int)f < 0 || f >= ZES_F_APPLICATION_END)
		return NULL;
	return cond_fields[f].name;
}

/* Type of a field; ZES_V_ABSENT for the separator and past the end. */
enum zes_vtype
zes_field_type(enum zes_field f)
{
	if ((int)f < 0 || f >= ZES_F_APPLICATION_END)
		return ZES_V_ABSENT;
	return cond_fields[f].type;
}

/* 1 for the types whose value is the integer u.i. */
static int
cond_is_int(enum zes_vtype t)
{
	return t == ZES_V_INT || t == ZES_V_BOOL || t == ZES_V_DATE;
}

/*
 * Do two present scalars compare equal?  The loader types every value as
 * its field, so differing types are a loader bug; they compare unequal
 * rather than stop the daemon at every check.
 */
static int
cond_equal(const struct zes_value *a, const struct zes_value *b)
{
	if (a->type != b->type)
		return 0;
	if (a->type == ZES_V_STRING)
		return strcmp(a->u.s, b->u.s) == 0;
	if (cond_is_int(a->type))
		return a->u.i == b->u.i;
	return 0;
}

/* Is scalar a one of the list's members (STRSET for a string, INTSET else)? */
static int
cond_member(const struct zes_value *a, const struct zes_value *list)
{
	size_t	i;

	if (a->type == ZES_V_STRING && list->type == ZES_V_STRSET) {
		for (i = 0; i < list->u.ss.n; i++)
			if (strcmp(a->u.s, list->u.ss.v[i]) == 0)
				return 1;
	} else if (cond_is_int(a->type) && list->type == ZES_V_INTSET) {
		for (i = 0; i < list->u.is.n; i++)
			if (a->u.i == list->u.is.v[i])
				return 1;
	}
	return 0;
}

/* Do two sets of the same kind share an element? */
static int
cond_intersects(const struct zes_value *set, const struct zes_value *list)
{
	size_t	i, j;

	if (set->type == ZES_V_STRSET && list->type == ZES_V_STRSET) {
		for (i = 0; i < set->u.ss.n; i++)
			for (j = 0; j < list->u.ss.n; j++)
				if (strcmp(set->u.ss.v[i], list->u.ss.v[j]) == 0)
					return 1;
	} else if (set->type == ZES_V_INTSET && list->type == ZES_V_INTSET) {
		for (i = 0; i < set->u.is.n; i++)
			for (j = 0; j < list->u.is.n; j++)
				if (set->u.is.v[i] == list->u.is.v[j])
					return 1;
	}
	return 0;
}

/* Order a and b (-1, 0, 1); both INT or both DATE, checked by the caller. */
static int
cond_order(const struct zes_value *a, const struct zes_value *b)
{
	return (a->u.i > b->u.i) - (a->u.i < b->u.i);
}

/*
 * One comparison.  An absent fact makes every op false except ne, notIn
 * and exists:false; eq/ne against a value of type ABSENT (JSON null) ask
 * whether the fact is absent / present.  A value that is a day expression
 * is computed from the facts first; when its field is absent the
 * comparison is decided as if the fact were absent (nothing is known to
 * compare with).
 */
static int
cond_cmp(const struct zes_cond *c, const struct zes_value *fact,
    const struct zes_value *facts)
{
	const struct zes_value	*v = &c->value;
	struct zes_value	 day;
	int			 absent = fact->type == ZES_V_ABSENT;

	if (c->day != NULL && c->op != ZES_OP_EXISTS) {
		day.type = ZES_V_DATE;
		day.u.i = zes_dayexpr_eval(c->day, facts);
		if (day.u.i == ZES_DAY_NONE)
			absent = 1;
		v = &day;
	}

	switch (c->op) {
	case ZES_OP_EQ:
		if (v->type == ZES_V_ABSENT)
			return absent;
		return !absent && cond_equal(fact, v);
	case ZES_OP_NE:
		if (v->type == ZES_V_ABSENT)
			return !absent;
		return absent || !cond_equal(fact, v);
	case ZES_OP_LT:
	case ZES_OP_LE:
	case ZES_OP_GT:
	case ZES_OP_GE:
		if (absent || fact->type != v->type ||
		    (fact->type != ZES_V_INT && fact->type != ZES_V_DATE))
			return 0;
		switch (c->op) {
		case ZES_OP_LT:
			return cond_order(fact, v) < 0;
		case ZES_OP_LE:
			return cond_order(fact, v) <= 0;
		case ZES_OP_GT:
			return cond_order(fact, v) > 0;
		default:
			return cond_order(fact, v) >= 0;
		}
	case ZES_OP_IN:
		return !absent && cond_member(fact, v);
	case ZES_OP_NOT_IN:
		return absent || !cond_member(fact, v);
	case ZES_OP_INTERSECTS:
		return !absent && cond_intersects(fact, v);
	case ZES_OP_EXISTS:
		if (v->type != ZES_V_BOOL)
			return 0;
		return v->u.i ? !absent : absent;
	}
	return 0;
}

/* Does the condition hold for these facts (indexed by field)? */
int
zes_cond_eval(const struct zes_cond *c, const struct zes_value *facts)
{
	size_t	i;

	switch (c->kind) {
	case ZES_COND_ALL:
		for (i = 0; i < c->nkids; i++)
			if (!zes_cond_eval(&c->kids[i], facts))
				return 0;
		return 1;
	case ZES_COND_ANY:
		for (i = 0; i < c->nkids; i++)
			if (zes_cond_eval(&c->kids[i], facts))
				return 1;
		return 0;
	case ZES_COND_NOT:
		return c->nkids >= 1 && !zes_cond_eval(&c->kids[0], facts);
	case ZES_COND_CMP:
		if (c->field < 0)
			return 0;
		return cond_cmp(c, &facts[c->field], facts);
	}
	return 0;
}

/*
 * The day of one expression: its date, or its field's day plus whole
 * years, then calendar months (the last day of a shorter month where the
 * day does not exist), then days.  ZES_DAY_NONE when it names a field that
 * is absent (or, a loader bug, not a date).  A fixed date takes no plus:
 * the loader allows them with fields only.
 */
int64_t
zes_dayexpr_eval(const struct zes_dayexpr *e, const struct zes_value *facts)
{
	const struct zes_value	*f;
	int64_t			 day;

	if (e->field < 0)
		return e->day;
	f = &facts[e->field];
	if (f->type != ZES_V_DATE || f->u.i == ZES_DAY_NONE)
		return ZES_DAY_NONE;
	day = f->u.i;
	if (e->plus_years != 0)
		day = zes_date_add_years(day, e->plus_years);
	if (e->plus_months != 0)
		day = zes_date_add_months(day, e->plus_months);
	return day + e->plus_days;
}

/*
 * Evaluate a bound: the latest (latest != 0) or earliest of its days.  A
 * bound with an unknown day is unknown as a whole, not the bound of the
 * days that are known: a window must never widen because the register
 * lacks a date.
 */
static int64_t
cond_bound(const struct zes_daybound *b, const struct zes_value *facts,
    int latest)
{
	int64_t	day, best;
	size_t	i;

	if (b->n == 0)
		return ZES_DAY_NONE;
	best = 0;
	for (i = 0; i < b->n; i++) {
		day = zes_dayexpr_eval(&b->v[i], facts);
		if (day == ZES_DAY_NONE)
			return ZES_DAY_NONE;
		if (i == 0 || (latest ? day > best : day < best))
			best = day;
	}
	return best;
}

/* `from`: the latest of its days; ZES_DAY_NONE when none or unknown. */
int64_t
zes_daybound_from(const struct zes_daybound *b, const struct zes_value *facts)
{
	return cond_bound(b, facts, 1);
}

/* `before`: the earliest of its days; ZES_DAY_NONE when none or unknown. */
int64_t
zes_daybound_before(const struct zes_daybound *b, const struct zes_value *facts)
{
	return cond_bound(b, facts, 0);
}
