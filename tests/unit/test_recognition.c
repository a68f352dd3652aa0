/*
 * Unit tests for core/recognition.c and the agreements in core/admit.c
 * (DOMAIN.md §2 and §6, issue 5 "Access checks"), against the real rules/
 * folder: an exemption of one municipality checked in another, with and
 * without agreements, for each combination the issue lists.  Also the
 * agreement terms of the access index (daemon/index/snapshot.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "zes/admit.h"
#include "zes/index.h"
#include "zes/period.h"
#include "zes/recognition.h"
#include "zes/ruleset.h"
#include "zes/rulesdir.h"

#define RDAM	"GM0599"
#define DHAAG	"GM0518"
#define DELFT	"GM0503"

static struct zes_rules	*t_rules;

/* Parse an instant the test knows to be good. */
static int64_t
t_at(const char *s)
{
	int64_t	t = 0;

	if (zes_time_parse_rfc3339(s, strlen(s), &t) != 0)
		fail_msg("instant %s refused", s);
	return t;
}

/* Load rules/ once for the group. */
static int
t_setup(void **state)
{
	struct zes_rule_errors	errs = { NULL, 0 };
	size_t			i;

	(void)state;
	t_rules = zes_rules_load_dir(ZES_SOURCE_DIR "/rules", &errs);
	for (i = 0; i < errs.n; i++)
		print_error("%s: %s\n", errs.v[i].where, errs.v[i].message);
	zes_rule_errors_free(&errs);
	return t_rules == NULL ? -1 : 0;
}

/* Drop the rules. */
static int
t_teardown(void **state)
{
	(void)state;
	zes_rules_unref(t_rules);
	return 0;
}

/* A term: recognizer honours issuer's `type` in [from, until) (until NULL: open). */
static struct zes_recognition
t_term(int agreement, const char *issuer, const char *recognizer,
    const char *type, const char *from, const char *until)
{
	struct zes_recognition	t;

	memset(&t, 0, sizeof(t));
	t.agreement[15] = (uint8_t)agreement;
	strcpy(t.issuer, issuer);
	strcpy(t.recognizer, recognizer);
	strcpy(t.type, type);
	t.valid_from = t_at(from);
	t.valid_until = until != NULL ? t_at(until) : INT64_MAX;
	return t;
}

/* An exemption of issuer, valid [from, until), granted at from. */
static struct zes_exemption
t_ex(int id, const char *type, const char *issuer, const char *from,
    const char *until)
{
	struct zes_exemption	e;

	memset(&e, 0, sizeof(e));
	e.id[15] = (uint8_t)id;
	strcpy(e.type, type);
	strcpy(e.issuer, issuer);
	e.valid_from = t_at(from);
	e.valid_until = t_at(until);
	e.granted_at = e.valid_from;
	e.revoked_at = INT64_MAX;
	return e;
}

/* The terms of a test, sorted as the index keeps them. */
struct t_set {
	struct zes_recognition	v[8];
	struct zes_recognitions	set;
};

/* Sort the first n terms of s into its set. */
static const struct zes_recognitions *
t_sorted(struct t_set *s, size_t n)
{
	zes_recognitions_sort(s->v, n);
	s->set.v = s->v;
	s->set.n = n;
	return &s->set;
}

/* Decide one plate not in the register holding `ex` (n), in `muni` at `at`. */
static void
t_decide(const char *muni, const char *at, const struct zes_exemption *ex,
    size_t n, const struct zes_recognitions *rec, struct zes_admit_result *res)
{
	struct zes_admit_query	q;

	memset(&q, 0, sizeof(q));
	q.rules = t_rules;
	q.municipality = zes_rules_municipality(t_rules, muni);
	assert_non_null(q.municipality);
	q.at = t_at(at);
	q.exemptions = ex;
	q.nexemptions = n;
	q.recognitions = rec;
	memset(res, 0xa5, sizeof(*res));
	zes_admit(&q, res);
}

/* Refused: a plate not in the register with nothing honoured. */
static void
t_refused(const struct zes_admit_result *res)
{
	assert_int_equal(res->basis, ZES_BASIS_UNKNOWN_VEHICLE);
	assert_false(res->allowed);
	assert_null(res->exemption);
	assert_null(res->issuer);
	assert_null(res->recognition);
}

/* Recognised by agreement term `term` through exemption `e`. */
static void
t_recognised(const struct zes_admit_result *res, const struct zes_exemption *e,
    const char *issuer, const struct zes_recognition *term)
{
	assert_int_equal(res->basis, ZES_BASIS_RECOGNIZED_EXEMPTION);
	assert_true(res->allowed);
	assert_ptr_equal(res->exemption, e);
	assert_string_equal(res->issuer, issuer);
	assert_string_equal(res->ground, e->type);
	assert_ptr_equal(res->recognition, term);
}

/* Without any agreement a long_delivery exemption of Rotterdam is refused in Delft. */
static void
test_no_agreement(void **state)
{
	struct zes_exemption	e = t_ex(1, "long_delivery", RDAM,
	    "2027-01-01T00:00:00+01:00", "2028-01-01T00:00:00+01:00");
	struct zes_admit_result	res;
	struct t_set		s;

	(void)state;
	t_decide(DELFT, "2027-06-01T10:00:00Z", &e, 1, NULL, &res);
	t_refused(&res);
	t_decide(DELFT, "2027-06-01T10:00:00Z", &e, 1, t_sorted(&s, 0), &res);
	t_refused(&res);
	/* where it was issued it counts, of course */
	t_decide(RDAM, "2027-06-01T10:00:00Z", &e, 1, NULL, &res);
	assert_int_equal(res.basis, ZES_BASIS_MUNICIPAL_EXEMPTION);
}

/* An agreement for the type: recognised, with issuer, and ending with the earlier end. */
static void
test_agreement_for_type(void **state)
{
	struct zes_exemption	e = t_ex(1, "long_delivery", RDAM,
	    "2027-01-01T00:00:00+01:00", "2028-01-01T00:00:00+01:00");
	struct zes_admit_result	res;
	struct t_set		s;
	const struct zes_recognitions *rec;

	(void)state;
	s.v[0] = t_term(1, RDAM, DELFT, "hardship_clause",
	    "2027-01-01T00:00:00+01:00", NULL);
	s.v[1] = t_term(1, RDAM, DELFT, "long_delivery",
	    "2027-01-01T00:00:00+01:00", NULL);
	rec = t_sorted(&s, 2);
	t_decide(DELFT, "2027-06-01T10:00:00Z", &e, 1, rec, &res);
	t_recognised(&res, &e, RDAM, &rec->v[1]);
	assert_string_equal(res.recognition->type, "long_delivery");
	/* open-ended agreement: the exemption's end */
	assert_true(res.valid_until == e.valid_until);

	/* an agreement ending first ends the decision's validity first */
	s.v[1].valid_until = t_at("2027-09-01T00:00:00+02:00");
	t_decide(DELFT, "2027-06-01T10:00:00Z", &e, 1, rec, &res);
	assert_int_equal(res.basis, ZES_BASIS_RECOGNIZED_EXEMPTION);
	assert_true(res.valid_until == t_at("2027-09-01T00:00:00+02:00"));
}

/* An agreement of another type recognises nothing of this one. */
static void
test_agreement_other_type(void **state)
{
	struct zes_exemption	e = t_ex(1, "long_delivery", RDAM,
	    "2027-01-01T00:00:00+01:00", "2028-01-01T00:00:00+01:00");
	struct zes_admit_result	res;
	struct t_set		s;

	(void)state;
	s.v[0] = t_term(1, RDAM, DELFT, "hardship_clause",
	    "2027-01-01T00:00:00+01:00", NULL);
	s.v[1] = t_term(2, RDAM, DELFT, "grid_congestion",
	    "2027-01-01T00:00:00+01:00", NULL);
	t_decide(DELFT, "2027-06-01T10:00:00Z", &e, 1, t_sorted(&s, 2), &res);
	t_refused(&res);
}

/* Not yet in force, in force from its first instant, no longer in force. */
static void
test_agreement_in_force(void **state)
{
	struct zes_exemption	e = t_ex(1, "long_delivery", RDAM,
	    "2027-01-01T00:00:00+01:00", "2028-01-01T00:00:00+01:00");
	struct zes_admit_result	res;
	struct t_set		s;
	const struct zes_recognitions *rec;

	(void)state;
	/* from local midnight of 2027-07-01 through 2027-09-30 */
	s.v[0] = t_term(1, RDAM, DELFT, "long_delivery",
	    "2027-07-01T00:00:00+02:00", "2027-10-01T00:00:00+02:00");
	rec = t_sorted(&s, 1);
	t_decide(DELFT, "2027-06-30T21:59:59Z", &e, 1, rec, &res);
	t_refused(&res);
	t_decide(DELFT, "2027-06-30T22:00:00Z", &e, 1, rec, &res);
	t_recognised(&res, &e, RDAM, &rec->v[0]);
	assert_true(res.valid_until == t_at("2027-10-01T00:00:00+02:00"));
	t_decide(DELFT, "2027-09-30T21:59:59Z", &e, 1, rec, &res);
	t_recognised(&res, &e, RDAM, &rec->v[0]);
	t_decide(DELFT, "2027-09-30T22:00:00Z", &e, 1, rec, &res);
	t_refused(&res);

	/*
	 * History: the agreement ended by a DELETE at an instant, then
	 * another from a later day.  Each `at` gets the answer of its time.
	 */
	s.v[0] = t_term(1, RDAM, DELFT, "long_delivery",
	    "2027-01-01T00:00:00+01:00", "2027-03-10T12:00:00Z");
	s.v[1] = t_term(2, RDAM, DELFT, "long_delivery",
	    "2027-05-01T00:00:00+02:00", NULL);
	rec = t_sorted(&s, 2);
	t_decide(DELFT, "2027-03-10T11:59:59Z", &e, 1, rec, &res);
	t_recognised(&res, &e, RDAM, &rec->v[0]);
	assert_true(res.valid_until == t_at("2027-03-10T12:00:00Z"));
	t_decide(DELFT, "2027-03-10T12:00:00Z", &e, 1, rec, &res);
	t_refused(&res);
	t_decide(DELFT, "2027-04-30T21:59:59Z", &e, 1, rec, &res);
	t_refused(&res);
	t_decide(DELFT, "2027-04-30T22:00:00Z", &e, 1, rec, &res);
	t_recognised(&res, &e, RDAM, &rec->v[1]);
}

/* The exemption itself must be valid: expired or revoked ones are not recognised. */
static void
test_exemption_expired_or_revoked(void **state)
{
	struct zes_exemption	e = t_ex(1, "long_delivery", RDAM,
	    "2027-01-01T00:00:00+01:00", "2027-06-01T00:00:00+02:00");
	struct zes_admit_result	res;
	struct t_set		s;
	const struct zes_recognitions *rec;

	(void)state;
	s.v[0] = t_term(1, RDAM, DELFT, "long_delivery",
	    "2027-01-01T00:00:00+01:00", NULL);
	rec = t_sorted(&s, 1);
	t_decide(DELFT, "2027-05-31T21:59:59Z", &e, 1, rec, &res);
	t_recognised(&res, &e, RDAM, &rec->v[0]);
	t_decide(DELFT, "2027-05-31T22:00:00Z", &e, 1, rec, &res);
	t_refused(&res);
	/* not yet valid */
	t_decide(DELFT, "2026-12-31T22:59:59Z", &e, 1, rec, &res);
	t_refused(&res);

	e.revoked_at = t_at("2027-03-01T09:00:00Z");
	t_decide(DELFT, "2027-03-01T08:59:59Z", &e, 1, rec, &res);
	t_recognised(&res, &e, RDAM, &rec->v[0]);
	assert_true(res.valid_until == e.revoked_at);
	t_decide(DELFT, "2027-03-01T09:00:00Z", &e, 1, rec, &res);
	t_refused(&res);
}

/* A one-way agreement works its way only. */
static void
test_one_way(void **state)
{
	struct zes_exemption	rdam = t_ex(1, "long_delivery", RDAM,
	    "2027-01-01T00:00:00+01:00", "2028-01-01T00:00:00+01:00");
	struct zes_exemption	delft = t_ex(2, "long_delivery", DELFT,
	    "2027-01-01T00:00:00+01:00", "2028-01-01T00:00:00+01:00");
	struct zes_admit_result	res;
	struct t_set		s;
	const struct zes_recognitions *rec;

	(void)state;
	/* Delft's exemptions are valid in Rotterdam: not the other way. */
	s.v[0] = t_term(1, DELFT, RDAM, "long_delivery",
	    "2027-01-01T00:00:00+01:00", NULL);
	rec = t_sorted(&s, 1);
	t_decide(DELFT, "2027-06-01T10:00:00Z", &rdam, 1, rec, &res);
	t_refused(&res);
	t_decide(RDAM, "2027-06-01T10:00:00Z", &delft, 1, rec, &res);
	t_recognised(&res, &delft, DELFT, &rec->v[0]);
}

/* A -> B and B -> C do not make A's exemptions valid in C. */
static void
test_not_transitive(void **state)
{
	struct zes_exemption	e = t_ex(1, "long_delivery", RDAM,
	    "2027-01-01T00:00:00+01:00", "2028-01-01T00:00:00+01:00");
	struct zes_admit_result	res;
	struct t_set		s;
	const struct zes_recognitions *rec;

	(void)state;
	s.v[0] = t_term(1, RDAM, DHAAG, "long_delivery",
	    "2027-01-01T00:00:00+01:00", NULL);
	s.v[1] = t_term(2, DHAAG, DELFT, "long_delivery",
	    "2027-01-01T00:00:00+01:00", NULL);
	rec = t_sorted(&s, 2);
	t_decide(DHAAG, "2027-06-01T10:00:00Z", &e, 1, rec, &res);
	assert_int_equal(res.basis, ZES_BASIS_RECOGNIZED_EXEMPTION);
	assert_string_equal(res.recognition->recognizer, DHAAG);
	t_decide(DELFT, "2027-06-01T10:00:00Z", &e, 1, rec, &res);
	t_refused(&res);
}

/* Day exemptions only where the agreement lists day_exemption. */
static void
test_day_exemption(void **state)
{
	struct zes_exemption	e = t_ex(1, "day_exemption", RDAM,
	    "2027-06-01T00:00:00+02:00", "2027-06-02T06:00:00+02:00");
	struct zes_admit_result	res;
	struct t_set		s;
	const struct zes_recognitions *rec;

	(void)state;
	s.v[0] = t_term(1, RDAM, DELFT, "long_delivery",
	    "2027-01-01T00:00:00+01:00", NULL);
	s.v[1] = t_term(1, RDAM, DELFT, "hardship_clause",
	    "2027-01-01T00:00:00+01:00", NULL);
	rec = t_sorted(&s, 2);
	t_decide(DELFT, "2027-06-01T10:00:00Z", &e, 1, rec, &res);
	t_refused(&res);
	s.v[2] = t_term(2, RDAM, DELFT, "day_exemption",
	    "2027-01-01T00:00:00+01:00", NULL);
	rec = t_sorted(&s, 3);
	t_decide(DELFT, "2027-06-01T10:00:00Z", &e, 1, rec, &res);
	assert_int_equal(res.basis, ZES_BASIS_RECOGNIZED_EXEMPTION);
	assert_string_equal(res.ground, "day_exemption");
	assert_string_equal(res.recognition->type, "day_exemption");
	assert_true(res.valid_until == e.valid_until);
}

/*
 * Statute and agreement both answer recognized_exemption; the statute, open
 * as long as the exemption, is reported without an agreement term.  The
 * order of DOMAIN.md §2 stays: an own exemption wins over a recognised one.
 */
static void
test_statute_and_order(void **state)
{
	struct zes_exemption	e[2];
	struct zes_admit_result	res;
	struct t_set		s;
	const struct zes_recognitions *rec;

	(void)state;
	e[0] = t_ex(1, "business_hardship", RDAM, "2026-02-01T00:00:00+01:00",
	    "2027-02-01T00:00:00+01:00");
	s.v[0] = t_term(1, RDAM, DELFT, "business_hardship",
	    "2026-01-01T00:00:00+01:00", "2026-09-01T00:00:00+02:00");
	rec = t_sorted(&s, 1);
	t_decide(DELFT, "2026-06-01T10:00:00Z", e, 1, rec, &res);
	assert_int_equal(res.basis, ZES_BASIS_RECOGNIZED_EXEMPTION);
	assert_null(res.recognition);
	assert_true(res.valid_until == e[0].valid_until);
	assert_string_equal(res.issuer, RDAM);

	/* granted before the statute's grantedFrom: only the agreement */
	e[0].granted_at = t_at("2025-12-01T00:00:00Z");
	t_decide(DELFT, "2026-06-01T10:00:00Z", e, 1, rec, &res);
	t_recognised(&res, &e[0], RDAM, &rec->v[0]);
	assert_true(res.valid_until == t_at("2026-09-01T00:00:00+02:00"));

	/* Delft's own exemption comes first (municipal before recognised). */
	e[1] = t_ex(2, "hardship_clause", DELFT, "2026-05-01T00:00:00+02:00",
	    "2026-07-01T00:00:00+02:00");
	t_decide(DELFT, "2026-06-01T10:00:00Z", e, 2, rec, &res);
	assert_int_equal(res.basis, ZES_BASIS_MUNICIPAL_EXEMPTION);
	assert_ptr_equal(res.exemption, &e[1]);
	assert_null(res.recognition);
}

/* Of two recognised exemptions, the one holding the longest wins, in any order. */
static void
test_longest_recognised(void **state)
{
	struct zes_exemption	e[2], sw;
	struct zes_admit_result	res;
	struct t_set		s;
	const struct zes_recognitions *rec;

	(void)state;
	/* a long exemption under a short agreement, a shorter one under an open one */
	e[0] = t_ex(1, "long_delivery", RDAM, "2027-01-01T00:00:00+01:00",
	    "2028-01-01T00:00:00+01:00");
	e[1] = t_ex(2, "hardship_clause", DHAAG, "2027-01-01T00:00:00+01:00",
	    "2027-10-01T00:00:00+02:00");
	s.v[0] = t_term(1, RDAM, DELFT, "long_delivery",
	    "2027-01-01T00:00:00+01:00", "2027-08-01T00:00:00+02:00");
	s.v[1] = t_term(2, DHAAG, DELFT, "hardship_clause",
	    "2027-01-01T00:00:00+01:00", NULL);
	rec = t_sorted(&s, 2);
	t_decide(DELFT, "2027-06-01T10:00:00Z", e, 2, rec, &res);
	assert_ptr_equal(res.exemption, &e[1]);
	assert_string_equal(res.issuer, DHAAG);
	assert_true(res.valid_until == e[1].valid_until);
	sw = e[0];
	e[0] = e[1];
	e[1] = sw;
	t_decide(DELFT, "2027-06-01T10:00:00Z", e, 2, rec, &res);
	assert_ptr_equal(res.exemption, &e[0]);
	assert_string_equal(res.issuer, DHAAG);
}

/* The lookup: sorted terms, exact keys, bounded strings, boundaries. */
static void
test_find(void **state)
{
	struct t_set			 s;
	const struct zes_recognitions	*rec;
	const struct zes_recognition	*t;
	char				 issuer[16], type[ZES_GROUND_LEN];
	int64_t				 at = t_at("2027-06-01T10:00:00Z");
	size_t				 i;

	(void)state;
	s.v[0] = t_term(3, "GM0600", DELFT, "long_delivery",
	    "2027-01-01T00:00:00Z", NULL);
	s.v[1] = t_term(1, RDAM, DELFT, "long_delivery",
	    "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z");
	s.v[2] = t_term(2, RDAM, DELFT, "long_delivery",
	    "2027-01-01T00:00:00Z", NULL);
	s.v[3] = t_term(4, RDAM, DELFT, "long_deliver",
	    "2020-01-01T00:00:00Z", NULL);
	s.v[4] = t_term(5, RDAM, DHAAG, "long_delivery",
	    "2020-01-01T00:00:00Z", NULL);
	s.v[5] = t_term(6, "GM0598", DELFT, "long_delivery",
	    "2020-01-01T00:00:00Z", NULL);
	rec = t_sorted(&s, 6);
	for (i = 1; i < rec->n; i++)
		assert_true(zes_recognition_cmp(&rec->v[i - 1], &rec->v[i]) < 0);

	t = zes_recognition_find(rec, DELFT, RDAM, 7, "long_delivery", 14, at);
	assert_non_null(t);
	assert_int_equal(t->agreement[15], 2);
	t = zes_recognition_find(rec, DELFT, RDAM, 7, "long_delivery", 14,
	    t_at("2026-12-31T23:59:59Z"));
	assert_non_null(t);
	assert_int_equal(t->agreement[15], 1);
	assert_null(zes_recognition_find(rec, DELFT, RDAM, 7, "long_delivery",
	    14, t_at("2025-12-31T23:59:59Z")));
	/* neither a prefix nor an extension of a type matches */
	assert_null(zes_recognition_find(rec, DELFT, RDAM, 7, "long_deliveryx",
	    15, at));
	t = zes_recognition_find(rec, DELFT, RDAM, 7, "long_deliver", 13, at);
	assert_non_null(t);
	assert_int_equal(t->agreement[15], 4);
	assert_null(zes_recognition_find(rec, DELFT, "GM059", 6,
	    "long_delivery", 14, at));
	assert_null(zes_recognition_find(rec, RDAM, DELFT, 7, "long_delivery",
	    14, at));
	assert_null(zes_recognition_find(NULL, DELFT, RDAM, 7, "long_delivery",
	    14, at));

	/* issuer and type arrays without a NUL are read to their size only */
	memset(issuer, 'Z', sizeof(issuer));
	memcpy(issuer, RDAM, 6);
	memset(type, 'Z', sizeof(type));
	memcpy(type, "long_delivery", 13);
	assert_null(zes_recognition_find(rec, DELFT, issuer, sizeof(issuer),
	    "long_delivery", 14, at));
	issuer[6] = '\0';
	assert_null(zes_recognition_find(rec, DELFT, issuer, sizeof(issuer),
	    type, sizeof(type), at));
	type[13] = '\0';
	t = zes_recognition_find(rec, DELFT, issuer, sizeof(issuer), type,
	    sizeof(type), at);
	assert_non_null(t);
	assert_int_equal(t->agreement[15], 2);
}

/* Which types an agreement may name: the issuer's offered municipal types. */
static void
test_type_offered(void **state)
{
	const struct zes_municipality	*rdam, *schiedam;
	struct zes_municipality		 copy;
	struct zes_type			 types[16];
	const char			*why;
	size_t				 i;

	(void)state;
	rdam = zes_rules_municipality(t_rules, RDAM);
	schiedam = zes_rules_municipality(t_rules, "GM0606");
	assert_non_null(rdam);
	assert_non_null(schiedam);
	assert_true(zes_recognition_type_offered(t_rules, rdam, "long_delivery",
	    &why));
	assert_null(why);
	assert_true(zes_recognition_type_offered(t_rules, rdam, "day_exemption",
	    &why));
	assert_false(zes_recognition_type_offered(t_rules, rdam,
	    "special_vehicle", &why));
	assert_non_null(strstr(why, "national"));
	assert_false(zes_recognition_type_offered(t_rules, rdam, "no_such_type",
	    &why));
	assert_non_null(why);
	/* a municipality without a zone offers nothing */
	assert_false(zes_recognition_type_offered(t_rules, schiedam,
	    "long_delivery", &why));
	assert_false(zes_recognition_type_offered(t_rules, NULL,
	    "long_delivery", &why));

	/* declared but not offered */
	assert_true(rdam->ntypes > 0 && rdam->ntypes <= ZES_NELEM(types));
	copy = *rdam;
	memcpy(types, rdam->types, rdam->ntypes * sizeof(*types));
	for (i = 0; i < copy.ntypes; i++)
		if (strcmp(types[i].code, "long_delivery") == 0)
			types[i].offered = 0;
	copy.types = types;
	assert_false(zes_recognition_type_offered(t_rules, &copy,
	    "long_delivery", &why));
	assert_non_null(strstr(why, "not offered"));
	assert_true(zes_recognition_type_offered(t_rules, &copy,
	    "hardship_clause", &why));
}

/* A statute is in force from local midnight of its first day. */
static void
test_statute_in_force(void **state)
{
	const struct zes_statute	*s;

	(void)state;
	assert_true(t_rules->national.nstatutes > 0);
	s = &t_rules->national.statutes[0];
	assert_false(zes_statute_in_force(s, t_at("2025-12-31T22:59:59Z")));
	assert_true(zes_statute_in_force(s, t_at("2025-12-31T23:00:00Z")));
}

/*
 * The index keeps the terms beside vehicles and exemptions: built,
 * replaced per agreement, carried along by exemption and vehicle deltas.
 */
static void
test_index_agreements(void **state)
{
	struct zes_recognition		 rows[4];
	struct zes_index_vbuild		*vb;
	struct zes_index_vehicles	*veh;
	struct zes_index_exemptions	*exs;
	struct zes_index_agreements	*a1, *a2;
	struct zes_index		*x0, *x1, *x2, *x3;
	struct zes_index_exrow		 ex;
	struct zes_index_stats		 st;
	const struct zes_recognitions	*rec;
	uint8_t				 ids[1][16];
	int64_t				 at = t_at("2027-06-01T10:00:00Z");

	(void)state;
	vb = zes_index_vbuild_new(t_rules, 0);
	veh = zes_index_vbuild_finish(vb);
	exs = zes_index_exemptions_build(NULL, 0);
	x0 = zes_index_new(t_rules, veh, exs, 1);
	zes_index_vehicles_unref(veh);
	zes_index_exemptions_unref(exs);
	rec = zes_index_recognitions(x0);
	assert_non_null(rec);
	assert_int_equal(rec->n, 0);
	assert_null(zes_index_agreements_of(x0));

	rows[0] = t_term(1, RDAM, DELFT, "long_delivery",
	    "2027-01-01T00:00:00Z", NULL);
	rows[1] = t_term(1, RDAM, DELFT, "hardship_clause",
	    "2027-01-01T00:00:00Z", NULL);
	rows[2] = t_term(2, DELFT, RDAM, "long_delivery",
	    "2027-01-01T00:00:00Z", NULL);
	/* an empty term (cut before it started) is left out */
	rows[3] = t_term(3, RDAM, DHAAG, "long_delivery",
	    "2027-01-01T00:00:00Z", "2027-01-01T00:00:00Z");
	a1 = zes_index_agreements_build(rows, 4);
	x1 = zes_index_with_agreements(x0, a1, 2);
	zes_index_agreements_unref(a1);
	rec = zes_index_recognitions(x1);
	assert_int_equal(rec->n, 3);
	assert_non_null(zes_recognition_find(rec, DELFT, RDAM, 7,
	    "long_delivery", 14, at));
	zes_index_get_stats(x1, &st);
	assert_int_equal(st.recognitions, 3);
	assert_int_equal(st.seq, 2);

	/* agreement 1 ended: its terms now, replacing the old ones */
	rows[0].valid_until = t_at("2027-03-01T00:00:00Z");
	rows[1].valid_until = t_at("2027-03-01T00:00:00Z");
	memset(ids, 0, sizeof(ids));
	ids[0][15] = 1;
	a2 = zes_index_agreements_update(zes_index_agreements_of(x1),
	    (const uint8_t (*)[16])ids, 1, rows, 2);
	x2 = zes_index_with_agreements(x1, a2, 3);
	zes_index_agreements_unref(a2);
	rec = zes_index_recognitions(x2);
	assert_int_equal(rec->n, 3);
	assert_null(zes_recognition_find(rec, DELFT, RDAM, 7, "long_delivery",
	    14, at));
	assert_non_null(zes_recognition_find(rec, DELFT, RDAM, 7,
	    "long_delivery", 14, t_at("2027-02-01T00:00:00Z")));
	assert_non_null(zes_recognition_find(rec, RDAM, DELFT, 7,
	    "long_delivery", 14, at));
	/* the older snapshot still answers as it did */
	assert_non_null(zes_recognition_find(zes_index_recognitions(x1), DELFT,
	    RDAM, 7, "long_delivery", 14, at));

	/* an exemption delta keeps the terms */
	memset(&ex, 0, sizeof(ex));
	strcpy(ex.country, "NL");
	strcpy(ex.plate, "12ABC3");
	ex.ex = t_ex(9, "long_delivery", RDAM, "2027-01-01T00:00:00Z",
	    "2028-01-01T00:00:00Z");
	x3 = zes_index_apply(x2, &ex, 1, 4, 0);
	assert_ptr_equal(zes_index_recognitions(x3)->v,
	    zes_index_recognitions(x2)->v);
	zes_index_unref(x2);
	x2 = zes_index_with_vehicles(x3, (struct zes_index_vehicles *)
	    zes_index_vehicles_of(x3), 5);
	assert_ptr_equal(zes_index_recognitions(x2)->v,
	    zes_index_recognitions(x3)->v);

	zes_index_unref(x0);
	zes_index_unref(x1);
	zes_index_unref(x2);
	zes_index_unref(x3);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_no_agreement),
		cmocka_unit_test(test_agreement_for_type),
		cmocka_unit_test(test_agreement_other_type),
		cmocka_unit_test(test_agreement_in_force),
		cmocka_unit_test(test_exemption_expired_or_revoked),
		cmocka_unit_test(test_one_way),
		cmocka_unit_test(test_not_transitive),
		cmocka_unit_test(test_day_exemption),
		cmocka_unit_test(test_statute_and_order),
		cmocka_unit_test(test_longest_recognised),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_type_offered),
		cmocka_unit_test(test_statute_in_force),
		cmocka_unit_test(test_index_agreements),
	};

	return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
