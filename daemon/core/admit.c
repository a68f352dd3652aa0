/*
 * The access decision of DOMAIN.md §2 (pure, allocation-free): a vehicle's
 * profile, the plate's exemptions, statutory recognition, the agreements
 * between municipalities and the zone calendar at an instant give the first
 * basis that holds.
 */
#include <stdint.h>
#include <string.h>

#include "zes/admit.h"
#include "zes/period.h"

#define ADMIT_NATIONAL	"national"	/* the issuer of national exemptions */

/* API.md, Enforcement: `basis`, indexed by enum zes_basis. */
static const char *const admit_basis_names[] = {
	[ZES_BASIS_NO_ZONE] =			"no_zone",
	[ZES_BASIS_OUT_OF_SCOPE] =		"out_of_scope",
	[ZES_BASIS_ZERO_EMISSION] =		"zero_emission",
	[ZES_BASIS_TRANSITION_SCHEME] =		"transition_scheme",
	[ZES_BASIS_NATIONAL_EXEMPTION] =	"national_exemption",
	[ZES_BASIS_MUNICIPAL_EXEMPTION] =	"municipal_exemption",
	[ZES_BASIS_RECOGNIZED_EXEMPTION] =	"recognized_exemption",
	[ZES_BASIS_NONE] =			"none",
	[ZES_BASIS_UNKNOWN_VEHICLE] =		"unknown_vehicle",
};

/* The name of a basis as API.md spells it; NULL for a value outside the enum. */
const char *
zes_basis_name(enum zes_basis b)
{
	if ((int)b < 0 || (size_t)b >= ZES_NELEM(admit_basis_names))
		return NULL;
	return admit_basis_names[b];
}

/*
 * Local midnight of a day, with the ends of the range kept as ends:
 * ZES_DAY_NONE or INT32_MAX (a profile's "no bound") is INT64_MAX, and a
 * day too far out for seconds is clamped rather than overflowed.
 */
static int64_t
admit_midnight(int64_t day)
{
	if (day >= INT32_MAX)
		return INT64_MAX;
	if (day <= INT32_MIN)
		return INT64_MIN;
	return zes_time_local_midnight(day);
}

/* Is the exemption valid at `at`: in [valid_from, valid_until), not yet revoked? */
static int
admit_valid(const struct zes_exemption *e, int64_t at)
{
	return e->valid_from <= at && at < e->valid_until && at < e->revoked_at;
}

/* The instant an exemption stops: its end, or its revocation when earlier. */
static int64_t
admit_end(const struct zes_exemption *e)
{
	return e->revoked_at < e->valid_until ? e->revoked_at : e->valid_until;
}

/* Does a municipality recognise e at `at` by statute (DOMAIN.md §6)? */
static int
admit_statute(const struct zes_national *n, const struct zes_exemption *e,
    int64_t at)
{
	const struct zes_statute	*s;
	size_t				 i, j;

	for (i = 0; i < n->nstatutes; i++) {
		s = &n->statutes[i];
		if (!zes_statute_in_force(s, at) ||
		    e->granted_at < admit_midnight(s->granted_from_day))
			continue;
		for (j = 0; j < s->ntypes; j++)
			if (strcmp(e->type, s->types[j]) == 0)
				return 1;
	}
	return 0;
}

/*
 * Is e national?  The compare stops at the end of the issuer array, so an
 * array filled without a NUL is read no further.
 */
static int
admit_national(const struct zes_exemption *e)
{
	return strncmp(e->issuer, ADMIT_NATIONAL, sizeof(e->issuer)) == 0;
}

/*
 * Does exemption e count for basis b in the query's municipality?  1 with
 * *end the instant the basis ends through e, and *rec the agreement term
 * that recognises it (NULL for any other reason); else 0.
 *
 * Recognition (DOMAIN.md §6) of another municipality's exemption: by
 * statute, which holds as long as the exemption; else by an agreement
 * issuer -> this municipality for its type in force at `at`, which holds
 * until the exemption or the agreement ends, whichever is first.  Only a
 * direct agreement counts: recognition is not transitive, and a day
 * exemption needs an agreement that lists day_exemption (no statute does).
 */
static int
admit_counts(const struct zes_admit_query *q, const struct zes_exemption *e,
    enum zes_basis b, int64_t *end, const struct zes_recognition **rec)
{
	const struct zes_recognition	*t;
	int				 national, own;

	national = admit_national(e);
	own = !national && strncmp(e->issuer, q->municipality->code,
	    sizeof(e->issuer)) == 0;
	*end = admit_end(e);
	*rec = NULL;
	switch (b) {
	case ZES_BASIS_NATIONAL_EXEMPTION:
		return national;
	case ZES_BASIS_MUNICIPAL_EXEMPTION:
		return own;
	case ZES_BASIS_RECOGNIZED_EXEMPTION:
		if (national || own)
			return 0;
		if (admit_statute(&q->rules->national, e, q->at))
			return 1;
		t = zes_recognition_find(q->recognitions, q->municipality->code,
		    e->issuer, sizeof(e->issuer), e->type, sizeof(e->type), q->at);
		if (t == NULL)
			return 0;
		*rec = t;
		if (t->valid_until < *end)
			*end = t->valid_until;
		return 1;
	default:
		return 0;
	}
}

/*
 * The exemption that gives basis b at `at`, or NULL.  When several do, the
 * one through which the basis holds the longest wins (the decision then
 * holds the longest), and of those the smallest id, so that the order the
 * store lists them in never changes an answer.  *end and *rec as
 * admit_counts() gives them for the winner.
 */
static const struct zes_exemption *
admit_pick(const struct zes_admit_query *q, enum zes_basis b, int64_t *end,
    const struct zes_recognition **rec)
{
	const struct zes_exemption	*e, *best = NULL;
	const struct zes_recognition	*t;
	int64_t				 until;
	size_t				 i;

	for (i = 0; i < q->nexemptions; i++) {
		e = &q->exemptions[i];
		if (!admit_valid(e, q->at) || !admit_counts(q, e, b, &until, &t))
			continue;
		if (best == NULL || until > *end || (until == *end &&
		    memcmp(e->id, best->id, sizeof(e->id)) < 0)) {
			best = e;
			*end = until;
			*rec = t;
		}
	}
	return best;
}

/*
 * Fill a result.  The issuer of a national exemption is the static
 * "national": a C string even where the exemption's array holds no NUL.
 */
static void
admit_set(struct zes_admit_result *r, enum zes_basis b, const char *ground,
    const struct zes_exemption *e, int64_t valid_until)
{
	r->basis = b;
	r->allowed = b != ZES_BASIS_NONE && b != ZES_BASIS_UNKNOWN_VEHICLE;
	r->ground = ground;
	r->exemption = e;
	r->recognition = NULL;
	r->issuer = NULL;
	if (e != NULL)
		r->issuer = admit_national(e) ? ADMIT_NATIONAL : e->issuer;
	r->valid_until = valid_until;
}

/* Fill a result from an exemption for basis b; 0 when none qualifies. */
static int
admit_exemption(const struct zes_admit_query *q, enum zes_basis b,
    struct zes_admit_result *r)
{
	const struct zes_exemption	*e;
	const struct zes_recognition	*rec = NULL;
	int64_t				 end = 0;

	if ((e = admit_pick(q, b, &end, &rec)) == NULL)
		return 0;
	admit_set(r, b, e->type, e, end);
	r->recognition = rec;
	return 1;
}

/*
 * The instant the zone next comes into force after `at`: when a no_zone
 * answer stops holding.  INT64_MAX when no period starts later.
 */
static int64_t
admit_zone_next(const struct zes_municipality *m, int64_t at)
{
	int64_t	start;
	size_t	i;

	if (!m->has_zone)
		return INT64_MAX;
	for (i = 0; i < m->nperiods; i++)
		if ((start = admit_midnight(m->periods[i].from_day)) > at)
			return start;
	return INT64_MAX;
}

/*
 * Decide, the first basis that holds winning (DOMAIN.md §2, API.md):
 *
 *   no_zone               no municipality, or its zone not in force at `at`
 *   out_of_scope          known vehicle outside vehicle.scope
 *   zero_emission         known vehicle, zero-emission
 *   transition_scheme     its covering rule's window holds on the local day
 *   national_exemption    an automatic exemption whose window holds (the
 *                         first in rule order), else a held exemption of
 *                         issuer "national" valid at `at`
 *   municipal_exemption   a held exemption of this municipality
 *   recognized_exemption  a held exemption of another municipality whose
 *                         type a statute, or an agreement of its issuer
 *                         with this municipality, recognises at `at`
 *   none                  known vehicle: ground = the first refusal rule
 *                         that holds, or "none" when no rule names one
 *   unknown_vehicle       a plate the register does not know
 *
 * Exemptions count for unknown plates too (DOMAIN.md §1).  ground points
 * into the rules, the exemption or static text: valid while the query's
 * rules and exemptions are.  valid_until is when the basis ends: the
 * exemption's end or revocation, the local midnight of a rule's `before`
 * day, the next start of the zone for no_zone, the end of the agreement
 * when that comes before the exemption's, INT64_MAX otherwise (a
 * refusal promises nothing about when it ends).  A profile built from
 * other rules than q->rules (rule indexes out of range) never gives access
 * through those indexes.
 */
void
zes_admit(const struct zes_admit_query *q, struct zes_admit_result *r)
{
	const struct zes_national	*n;
	const struct zes_profile	*p = q->vehicle;
	int64_t				 day;
	size_t				 i, k;

	if (q->municipality == NULL) {
		admit_set(r, ZES_BASIS_NO_ZONE, "no_zone", NULL, INT64_MAX);
		return;
	}
	if (!zes_zone_in_force(q->municipality, q->at)) {
		admit_set(r, ZES_BASIS_NO_ZONE, "no_zone", NULL,
		    admit_zone_next(q->municipality, q->at));
		return;
	}

	n = &q->rules->national;
	day = zes_time_local_day(q->at);
	if (p != NULL) {
		if (!(p->flags & ZES_PROFILE_IN_SCOPE)) {
			admit_set(r, ZES_BASIS_OUT_OF_SCOPE, "out_of_scope",
			    NULL, INT64_MAX);
			return;
		}
		if (p->flags & ZES_PROFILE_ZERO_EMISSION) {
			admit_set(r, ZES_BASIS_ZERO_EMISSION, "zero_emission",
			    NULL, INT64_MAX);
			return;
		}
		k = p->transition;
		if (k > 0 && k <= n->ntransition &&
		    p->transition_from <= day && day < p->transition_before) {
			admit_set(r, ZES_BASIS_TRANSITION_SCHEME,
			    n->transition[k - 1].ground, NULL,
			    admit_midnight(p->transition_before));
			return;
		}
		for (i = 0; i < p->nauto && i < ZES_PROFILE_MAX_AUTO; i++) {
			k = p->auto_[i].rule;
			if (k < n->nautomatic && p->auto_[i].from <= day &&
			    day < p->auto_[i].before) {
				admit_set(r, ZES_BASIS_NATIONAL_EXEMPTION,
				    n->automatic[k].ground, NULL,
				    admit_midnight(p->auto_[i].before));
				return;
			}
		}
	}

	if (admit_exemption(q, ZES_BASIS_NATIONAL_EXEMPTION, r) ||
	    admit_exemption(q, ZES_BASIS_MUNICIPAL_EXEMPTION, r) ||
	    admit_exemption(q, ZES_BASIS_RECOGNIZED_EXEMPTION, r))
		return;

	if (p == NULL) {
		admit_set(r, ZES_BASIS_UNKNOWN_VEHICLE, "unknown_vehicle", NULL,
		    INT64_MAX);
		return;
	}
	k = p->refusal;
	admit_set(r, ZES_BASIS_NONE,
	    k > 0 && k <= n->nrefusals ? n->refusals[k - 1].ground : "none",
	    NULL, INT64_MAX);
}
