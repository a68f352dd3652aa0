/*
 * A register record turned into facts and into the compact profile the
 * access index keeps (pure): raw fields, then the derived emission class,
 * zero-emission, scope, kind and transition cover of rules/README.md.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "zes/admit.h"

/* A string fact, absent when the register left it empty. */
static void
vehicle_str(struct zes_value *f, const char *s)
{
	if (s[0] == '\0') {
		f->type = ZES_V_ABSENT;
		return;
	}
	f->type = ZES_V_STRING;
	f->u.s = s;
}

/* An integer-valued fact of type t. */
static void
vehicle_int(struct zes_value *f, enum zes_vtype t, int64_t i)
{
	f->type = t;
	f->u.i = i;
}

/* Is s one of the n strings of v? */
static int
vehicle_listed(const char *s, const char *const *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(s, v[i]) == 0)
			return 1;
	return 0;
}

/*
 * The numeric emission class of a fuel row ("0".."6"), or -1 when it has
 * none ("", "Z" or anything not all digits).
 */
static int
vehicle_class(const char *s)
{
	size_t	i;
	int	v = 0;

	if (s[0] == '\0')
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 3)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* The number of fuel rows, within the array whatever nfuels says. */
static size_t
vehicle_nfuels(const struct zes_vehicle *v)
{
	if (v->nfuels <= 0)
		return 0;
	if (v->nfuels > ZES_VEHICLE_MAX_FUELS)
		return ZES_VEHICLE_MAX_FUELS;
	return (size_t)v->nfuels;
}

/*
 * vehicle.emissionClass: the lowest numeric class over the combustion rows
 * (fuel not in fuelsWhenNoClass); -1 when no such row has one.
 */
static int
vehicle_emission_class(const struct zes_vehicle *v, const struct zes_national *n)
{
	size_t	i, nf = vehicle_nfuels(v);
	int	c, best = -1;

	for (i = 0; i < nf; i++) {
		if (vehicle_listed(v->fuels[i].name, n->ze_fuels, n->nze_fuels))
			continue;
		c = vehicle_class(v->fuels[i].emission_class);
		if (c >= 0 && (best < 0 || c < best))
			best = c;
	}
	return best;
}

/*
 * vehicle.zeroEmission, row by row: a row with a class must have one of
 * emissionClasses, a row without one a fuel of fuelsWhenNoClass.  Without
 * any fuel row nothing shows the vehicle is emission-free: it is not.
 */
static int
vehicle_zero_emission(const struct zes_vehicle *v, const struct zes_national *n)
{
	const struct zes_fuel	*f;
	size_t			 i, nf = vehicle_nfuels(v);

	if (nf == 0)
		return 0;
	for (i = 0; i < nf; i++) {
		f = &v->fuels[i];
		if (f->emission_class[0] != '\0') {
			if (!vehicle_listed(f->emission_class, n->ze_classes,
			    n->nze_classes))
				return 0;
		} else if (!vehicle_listed(f->name, n->ze_fuels, n->nze_fuels))
			return 0;
	}
	return 1;
}

/*
 * Fill the facts of a vehicle.  A derived fact is absent until computed,
 * and they are computed in this order, each condition seeing only the
 * facts before it:
 *
 *   1. raw fields (category ... massKg, fuels, specialCodes);
 *   2. emissionClass and zeroEmission (fuel rows and the national lists);
 *   3. inScope (vehicle.scope; README: raw fields only);
 *   4. kind (vehicle.kinds: may use 1-3);
 *   5. transitionCovered (access.transition `when`s: may use 1-4).
 *
 * Sets are always present, empty when the register lists nothing.
 */
void
zes_vehicle_facts(const struct zes_vehicle *v, const struct zes_national *n,
    struct zes_facts_store *store, struct zes_value facts[ZES_F_VEHICLE_END])
{
	size_t	i, k, nf, ns;
	int	c;

	for (i = 0; i < ZES_F_VEHICLE_END; i++)
		facts[i].type = ZES_V_ABSENT;

	vehicle_str(&facts[ZES_F_CATEGORY], v->category);
	vehicle_str(&facts[ZES_F_VEHICLE_TYPE], v->vehicle_type);
	vehicle_str(&facts[ZES_F_BODY_DESCRIPTION], v->body_description);
	vehicle_str(&facts[ZES_F_BODY_TYPE], v->body_type);
	if (v->body_code >= 0)
		vehicle_int(&facts[ZES_F_BODY_CODE], ZES_V_INT, v->body_code);
	if (v->first_admission != ZES_DAY_NONE)
		vehicle_int(&facts[ZES_F_FIRST_ADMISSION], ZES_V_DATE,
		    v->first_admission);
	if (v->mass_kg >= 0)
		vehicle_int(&facts[ZES_F_MASS_KG], ZES_V_INT, v->mass_kg);

	ns = v->nspecial <= 0 ? 0 : (size_t)v->nspecial;
	if (ns > ZES_VEHICLE_MAX_SPECIALS)
		ns = ZES_VEHICLE_MAX_SPECIALS;
	for (i = 0; i < ns; i++)
		store->specials[i] = v->special_codes[i];
	facts[ZES_F_SPECIAL_CODES].type = ZES_V_INTSET;
	facts[ZES_F_SPECIAL_CODES].u.is.v = store->specials;
	facts[ZES_F_SPECIAL_CODES].u.is.n = ns;

	nf = vehicle_nfuels(v);
	for (i = k = 0; i < nf; i++)
		if (v->fuels[i].name[0] != '\0')
			store->fuels[k++] = v->fuels[i].name;
	facts[ZES_F_FUELS].type = ZES_V_STRSET;
	facts[ZES_F_FUELS].u.ss.v = store->fuels;
	facts[ZES_F_FUELS].u.ss.n = k;

	if ((c = vehicle_emission_class(v, n)) >= 0)
		vehicle_int(&facts[ZES_F_EMISSION_CLASS], ZES_V_INT, c);
	vehicle_int(&facts[ZES_F_ZERO_EMISSION], ZES_V_BOOL,
	    vehicle_zero_emission(v, n));

	vehicle_int(&facts[ZES_F_IN_SCOPE], ZES_V_BOOL,
	    zes_cond_eval(&n->scope, facts));

	for (i = 0; i < n->nkinds; i++) {
		if (zes_cond_eval(&n->kinds[i].when, facts)) {
			vehicle_str(&facts[ZES_F_KIND], n->kinds[i].kind);
			break;
		}
	}

	c = 0;
	for (i = 0; i < n->ntransition && !c; i++)
		c = zes_cond_eval(&n->transition[i].when, facts);
	vehicle_int(&facts[ZES_F_TRANSITION_COVERED], ZES_V_BOOL, c);
}

/* A day as the profile keeps it; none is the given end of the int32 range. */
static int32_t
vehicle_day32(int64_t day, int32_t none)
{
	if (day == ZES_DAY_NONE)
		return none;
	if (day <= INT32_MIN)
		return INT32_MIN;
	if (day >= INT32_MAX)
		return INT32_MAX;
	return (int32_t)day;
}

/*
 * Evaluate a rule's window.  -1 when a bound that exists depends on a date
 * the register does not know: such a window cannot be judged, and a rule
 * must not give access because a date is missing.
 */
static int
vehicle_window(const struct zes_access_rule *r, const struct zes_value *facts,
    int32_t *from, int32_t *before)
{
	int64_t	f, b;

	f = zes_daybound_from(&r->from, facts);
	b = zes_daybound_before(&r->before, facts);
	if ((r->from.n > 0 && f == ZES_DAY_NONE) ||
	    (r->before.n > 0 && b == ZES_DAY_NONE))
		return -1;
	*from = vehicle_day32(f, INT32_MIN);
	*before = vehicle_day32(b, INT32_MAX);
	return 0;
}

/*
 * The profile the index keeps.  Rule indexes are stored in a byte, so only
 * the rules a byte can name are looked at (the loader keeps lists far
 * shorter).  The covering transition rule is the first whose `when` holds;
 * when its window cannot be judged (a `from` or `before` on an unknown
 * date) it still covers the vehicle, with the empty window from
 * INT32_MAX: never in force, and no last day to show.  Automatic rules
 * with such a window, or with an empty one (an oldtimer rule for a
 * vehicle that turns 40 after the rule ends), are left out.  At most
 * ZES_PROFILE_MAX_AUTO automatic rules are kept, the first in rule order;
 * more would mean the rules grant one vehicle more automatic exemptions
 * than DOMAIN.md §4 has grounds, a bug in the rules, and the rest are
 * dropped.
 */
void
zes_vehicle_profile(const struct zes_vehicle *v, const struct zes_national *n,
    struct zes_profile *out)
{
	struct zes_facts_store	 store;
	struct zes_value	 facts[ZES_F_VEHICLE_END];
	const struct zes_access_rule *r;
	size_t			 i;
	int32_t			 from, before;

	memset(out, 0, sizeof(*out));
	out->transition_from = INT32_MIN;
	out->transition_before = INT32_MAX;
	zes_vehicle_facts(v, n, &store, facts);

	if (facts[ZES_F_IN_SCOPE].u.i)
		out->flags |= ZES_PROFILE_IN_SCOPE;
	if (facts[ZES_F_ZERO_EMISSION].u.i)
		out->flags |= ZES_PROFILE_ZERO_EMISSION;

	for (i = 0; i < n->ntransition && i < UINT8_MAX; i++) {
		r = &n->transition[i];
		if (!zes_cond_eval(&r->when, facts))
			continue;
		out->transition = (uint8_t)(i + 1);
		if (vehicle_window(r, facts, &from, &before) == -1)
			from = before = INT32_MAX;
		out->transition_from = from;
		out->transition_before = before;
		break;
	}

	for (i = 0; i < n->nautomatic && i <= UINT8_MAX; i++) {
		r = &n->automatic[i];
		if (!zes_cond_eval(&r->when, facts) ||
		    vehicle_window(r, facts, &from, &before) == -1 ||
		    from >= before)
			continue;
		if (out->nauto == ZES_PROFILE_MAX_AUTO)
			break;
		out->auto_[out->nauto].rule = (uint8_t)i;
		out->auto_[out->nauto].from = from;
		out->auto_[out->nauto].before = before;
		out->nauto++;
	}

	for (i = 0; i < n->nrefusals && i < UINT8_MAX; i++) {
		if (zes_cond_eval(&n->refusals[i].when, facts)) {
			out->refusal = (uint8_t)(i + 1);
			break;
		}
	}
}

/* Element i of a JSON array as a string; "" when it is none (SQL NULL). */
static const char *
vehicle_json_str(const json_t *a, size_t i)
{
	const char	*s = json_string_value(json_array_get(a, i));

	return s != NULL ? s : "";
}

/* A register row as a JSON array into *v. */
int
zes_vehicle_from_json(const char *text, struct zes_vehicle *v)
{
	json_t	*a, *codes, *names, *classes;
	size_t	 i;
	int	 rc = -1;

	if ((a = json_loads(text, 0, NULL)) == NULL)
		return -1;
	if (!json_is_array(a) || json_array_size(a) != 11 ||
	    !json_is_string(json_array_get(a, 0)))
		goto out;
	memset(v, 0, sizeof(*v));
	snprintf(v->plate, sizeof(v->plate), "%s", vehicle_json_str(a, 0));
	snprintf(v->category, sizeof(v->category), "%s", vehicle_json_str(a, 1));
	snprintf(v->vehicle_type, sizeof(v->vehicle_type), "%s",
	    vehicle_json_str(a, 2));
	snprintf(v->body_description, sizeof(v->body_description), "%s",
	    vehicle_json_str(a, 3));
	snprintf(v->body_type, sizeof(v->body_type), "%s", vehicle_json_str(a, 4));
	v->body_code = json_is_integer(json_array_get(a, 5)) ?
	    (int)json_integer_value(json_array_get(a, 5)) : -1;
	codes = json_array_get(a, 6);
	for (i = 0; i < json_array_size(codes) &&
	    v->nspecial < ZES_VEHICLE_MAX_SPECIALS; i++)
		v->special_codes[v->nspecial++] =
		    (int)json_integer_value(json_array_get(codes, i));
	names = json_array_get(a, 7);
	classes = json_array_get(a, 8);
	for (i = 0; i < json_array_size(names) &&
	    v->nfuels < ZES_VEHICLE_MAX_FUELS; i++) {
		snprintf(v->fuels[i].name, sizeof(v->fuels[i].name), "%s",
		    vehicle_json_str(names, i));
		snprintf(v->fuels[i].emission_class,
		    sizeof(v->fuels[i].emission_class), "%s",
		    vehicle_json_str(classes, i));
		v->nfuels++;
	}
	v->first_admission = json_is_integer(json_array_get(a, 9)) ?
	    (int64_t)json_integer_value(json_array_get(a, 9)) : ZES_DAY_NONE;
	v->mass_kg = json_is_integer(json_array_get(a, 10)) ?
	    (int)json_integer_value(json_array_get(a, 10)) : -1;
	rc = 0;
out:
	json_decref(a);
	return rc;
}
