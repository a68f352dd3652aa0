/*
 * Unit tests for core/compare.c, the comparison of exemption conditions
 * between municipalities, on the rule sets of tests/unit/data/compare/cases
 * (built so that each verdict has its case: equivalent rewrites; stricter
 * and looser both ways by a threshold, a longer validity, a quota, extra
 * evidence, an extra condition, review, relative dates, lists, an any;
 * incomparable by different fields, crossing thresholds, a not() that is
 * not analysed, single day against whole days; types not offered) and on
 * the real rules/ folder.  Every verdict is checked against the engine
 * too: random applications decided by core/evaluate.c for both sides must
 * never contradict a stricter or equivalent verdict, and the designed
 * stricter and crossing cases must show their difference.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rules_load.h"

#include "zes/compare.h"
#include "zes/engine.h"
#include "zes/period.h"
#include "zes/rulesdir.h"

#ifndef ZES_SOURCE_DIR
#error "ZES_SOURCE_DIR must name the repository"
#endif

#define T_CASES		ZES_SOURCE_DIR "/tests/unit/data/compare/cases"
#define T_RULES		ZES_SOURCE_DIR "/rules"
#define T_SAMPLES	800	/* random applications per type */
#define T_MUNIS_MAX	8
#define T_EXEMPTIONS	16

/* The types of the cases folder, and its municipalities. */
static const char *const t_types[] = {
	"threshold", "validity", "quota", "evidence", "extra", "review",
	"dates", "zonestart", "sets", "anyall", "limits", "absent", "when",
	"ints", "until", "local",
};
static const char *const t_munis[] = {
	"GM0001", "GM0002", "GM0003", "GM0004", "GM0005", "GM0006", "GM0007",
};
/* The real rules: the zoned municipalities and their types. */
static const char *const t_zoned[] = { "GM0503", "GM0518", "GM0599" };
static const char *const t_real_types[] = {
	"day_exemption", "long_delivery", "business_hardship",
	"grid_congestion", "hardship_clause", "special_vehicle",
};

static struct zes_rules	*t_cases;
static struct zes_rules	*t_real;

/* Group set-up: both folders, loaded once. */
static int
t_setup(void **state)
{
	(void)state;
	t_cases = t_load(T_CASES);
	t_real = t_load(T_RULES);
	return 0;
}

/* Group tear-down. */
static int
t_teardown(void **state)
{
	(void)state;
	zes_rules_unref(t_cases);
	zes_rules_unref(t_real);
	return 0;
}

/* A municipality that must exist. */
static const struct zes_municipality *
t_muni(const struct zes_rules *r, const char *code)
{
	const struct zes_municipality	*m = zes_rules_municipality(r, code);

	if (m == NULL)
		fail_msg("no municipality %s", code);
	return m;
}

/* The verdict (b, a) must read when (a, b) reads v. */
static enum zes_verdict
t_mirror(enum zes_verdict v)
{
	if (v == ZES_VERDICT_STRICTER)
		return ZES_VERDICT_LOOSER;
	if (v == ZES_VERDICT_LOOSER)
		return ZES_VERDICT_STRICTER;
	return v;
}

/* The verdict on (a, b); *because (when not NULL) gets the entries. */
static enum zes_verdict
t_pair(const struct zes_rules *r, const char *type, const char *a,
    const char *b, json_t **because)
{
	json_t			*bc = json_array();
	enum zes_verdict	 v;

	v = zes_compare_pair(r, type, t_muni(r, a), t_muni(r, b), bc);
	if (because != NULL)
		*because = bc;
	else
		json_decref(bc);
	return v;
}

/*
 * Expect verdict want on (a, b) and its mirror on (b, a); returns the
 * entries of (a, b) (the caller releases them).
 */
static json_t *
t_expect(const struct zes_rules *r, const char *type, const char *a,
    const char *b, enum zes_verdict want)
{
	json_t			*because, *back;
	enum zes_verdict	 v, w;
	char			*text;

	v = t_pair(r, type, a, b, &because);
	w = t_pair(r, type, b, a, &back);
	if (v != want || w != t_mirror(want)) {
		text = json_dumps(because, JSON_INDENT(1));
		print_message("%s (%s, %s): %s\n", type, a, b, text);
		free(text);
		fail_msg("%s: (%s, %s) is %s, (%s, %s) %s; want %s", type, a,
		    b, zes_verdict_name(v), b, a, zes_verdict_name(w),
		    zes_verdict_name(want));
	}
	assert_int_equal(json_array_size(because), json_array_size(back));
	json_decref(back);
	return because;
}

/* A string member of an entry, or NULL when null or absent. */
static const char *
t_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Is there an entry of kind and field with these texts (NULL: null), effect? */
static int
t_has_entry(const json_t *because, const char *kind, const char *field,
    const char *a, const char *b, const char *effect)
{
	const json_t	*e;
	size_t		 i;

	json_array_foreach(because, i, e) {
		if (strcmp(t_str(e, "kind"), kind) != 0 ||
		    strcmp(t_str(e, "field"), field) != 0 ||
		    strcmp(t_str(e, "effect"), effect) != 0)
			continue;
		if ((a == NULL) != (t_str(e, "a") == NULL) ||
		    (a != NULL && strcmp(a, t_str(e, "a")) != 0))
			continue;
		if ((b == NULL) != (t_str(e, "b") == NULL) ||
		    (b != NULL && strcmp(b, t_str(e, "b")) != 0))
			continue;
		if (t_str(e, "explanation") == NULL ||
		    strlen(t_str(e, "explanation")) < 10)
			fail_msg("entry %s %s has no explanation", kind, field);
		return 1;
	}
	return 0;
}

/* Assert such an entry, printing the entries when it is missing. */
static void
t_entry(const json_t *because, const char *kind, const char *field,
    const char *a, const char *b, const char *effect)
{
	char	*text;

	if (t_has_entry(because, kind, field, a, b, effect))
		return;
	text = json_dumps(because, JSON_INDENT(1));
	print_message("%s\n", text);
	free(text);
	fail_msg("no entry %s %s a=%s b=%s %s", kind, field, a ? a : "null",
	    b ? b : "null", effect);
}

/* GM0003 writes every type of GM0001 differently: equivalent, no entries. */
static void
test_equivalent_rewrites(void **state)
{
	json_t	*because;
	size_t	 i;

	(void)state;
	for (i = 0; i < ZES_NELEM(t_types); i++) {
		if (strcmp(t_types[i], "local") == 0)
			continue;
		because = t_expect(t_cases, t_types[i], "GM0003", "GM0001",
		    ZES_VERDICT_EQUIVALENT);
		assert_int_equal(json_array_size(because), 0);
		json_decref(because);
		/* And a rule set compared with itself. */
		because = t_expect(t_cases, t_types[i], "GM0001", "GM0001",
		    ZES_VERDICT_EQUIVALENT);
		assert_int_equal(json_array_size(because), 0);
		json_decref(because);
	}
	/* A fixed date equal to the resolved municipality.zoneStart. */
	because = t_expect(t_cases, "zonestart", "GM0002", "GM0001",
	    ZES_VERDICT_EQUIVALENT);
	json_decref(because);
	/* GM0005 has no zone, but its rules are GM0001's. */
	because = t_expect(t_cases, "threshold", "GM0005", "GM0001",
	    ZES_VERDICT_EQUIVALENT);
	json_decref(because);
}

/* A higher threshold is stricter; the reverse reads looser. */
static void
test_threshold(void **state)
{
	json_t	*because;

	(void)state;
	because = t_expect(t_cases, "threshold", "GM0002", "GM0001",
	    ZES_VERDICT_STRICTER);
	assert_int_equal(json_array_size(because), 1);
	t_entry(because, "condition", "evidence.entries", "ge 13", "ge 10",
	    "a stricter");
	json_decref(because);
	because = t_expect(t_cases, "threshold", "GM0001", "GM0002",
	    ZES_VERDICT_LOOSER);
	t_entry(because, "condition", "evidence.entries", "ge 10", "ge 13",
	    "a looser");
	json_decref(because);
	/* gt 9 and ge 10 are the same integers. */
	because = t_expect(t_cases, "threshold", "GM0002", "GM0003",
	    ZES_VERDICT_STRICTER);
	t_entry(because, "condition", "evidence.entries", "ge 13", "gt 9",
	    "a stricter");
	json_decref(because);
}

/* A shorter maximum validity is stricter, a longer one looser. */
static void
test_validity(void **state)
{
	json_t	*because;

	(void)state;
	because = t_expect(t_cases, "validity", "GM0002", "GM0001",
	    ZES_VERDICT_STRICTER);
	assert_int_equal(json_array_size(because), 1);
	t_entry(because, "validity", "validity", "maxLength 6 months",
	    "maxLength 12 months", "a stricter");
	json_decref(because);
	because = t_expect(t_cases, "validity", "GM0001", "GM0002",
	    ZES_VERDICT_LOOSER);
	json_decref(because);
	/* 12 months and 1 year are the same length from every day. */
	because = t_expect(t_cases, "validity", "GM0003", "GM0002",
	    ZES_VERDICT_LOOSER);
	t_entry(because, "validity", "validity", "maxLength 1 year",
	    "maxLength 6 months", "a looser");
	json_decref(because);
	/* 365 days never outlast 12 months (and are shorter from most days). */
	because = t_expect(t_cases, "validity", "GM0004", "GM0001",
	    ZES_VERDICT_STRICTER);
	t_entry(because, "validity", "validity", "maxLength 365 days",
	    "maxLength 12 months", "a stricter");
	json_decref(because);
	because = t_expect(t_cases, "validity", "GM0004", "GM0003",
	    ZES_VERDICT_STRICTER);
	json_decref(because);
}

/* Fixed last days: the earlier is stricter; the earliest of a list counts. */
static void
test_fixed_last_day(void **state)
{
	json_t	*because;

	(void)state;
	because = t_expect(t_cases, "until", "GM0007", "GM0001",
	    ZES_VERDICT_STRICTER);
	assert_int_equal(json_array_size(because), 1);
	t_entry(because, "validity", "validity", "before 2029-01-01",
	    "before 2030-01-01", "a stricter");
	json_decref(because);
	because = t_expect(t_cases, "until", "GM0004", "GM0003",
	    ZES_VERDICT_LOOSER);
	json_decref(because);
}

/* A smaller quota is stricter; none at all would be looser still. */
static void
test_quota(void **state)
{
	json_t	*because;

	(void)state;
	because = t_expect(t_cases, "quota", "GM0002", "GM0001",
	    ZES_VERDICT_STRICTER);
	assert_int_equal(json_array_size(because), 1);
	t_entry(because, "quota", "quota.perPlatePerCalendarYear",
	    "10 per plate per calendar year", "12 per plate per calendar year",
	    "a stricter");
	json_decref(because);
	because = t_expect(t_cases, "quota", "GM0001", "GM0002",
	    ZES_VERDICT_LOOSER);
	json_decref(because);
}

/* Requiring more evidence is stricter. */
static void
test_evidence(void **state)
{
	json_t	*because;

	(void)state;
	because = t_expect(t_cases, "evidence", "GM0002", "GM0001",
	    ZES_VERDICT_STRICTER);
	assert_int_equal(json_array_size(because), 1);
	t_entry(because, "evidence", "evidence.fleetList",
	    "required, boolean", "not required", "a stricter");
	json_decref(because);
	because = t_expect(t_cases, "evidence", "GM0001", "GM0002",
	    ZES_VERDICT_LOOSER);
	t_entry(because, "evidence", "evidence.fleetList", "not required",
	    "required, boolean", "a looser");
	json_decref(because);
	/* The same field, required only when another is true on one side. */
	because = t_expect(t_cases, "evidence", "GM0007", "GM0001",
	    ZES_VERDICT_LOOSER);
	assert_int_equal(json_array_size(because), 1);
	t_entry(because, "evidence", "evidence.motivation",
	    "required, string, when evidence.fleetList eq true",
	    "required, string", "a looser");
	json_decref(because);
}

/* ne true lets an absent fact through, eq false does not. */
static void
test_absent_fact(void **state)
{
	json_t	*because;

	(void)state;
	because = t_expect(t_cases, "absent", "GM0007", "GM0001",
	    ZES_VERDICT_LOOSER);
	assert_int_equal(json_array_size(because), 1);
	t_entry(because, "condition", "evidence.flag", "ne true", "eq false",
	    "a looser");
	json_decref(because);
}

/* Narrower limits on evidence values are stricter; crossing ones not. */
static void
test_evidence_limits(void **state)
{
	json_t	*because;

	(void)state;
	because = t_expect(t_cases, "limits", "GM0002", "GM0001",
	    ZES_VERDICT_STRICTER);
	assert_int_equal(json_array_size(because), 2);
	t_entry(because, "evidence", "evidence.count",
	    "minimum 1, maximum 50", "minimum 0, maximum 100", "a stricter");
	t_entry(because, "evidence", "evidence.size", "one of [\"x\", \"y\"]",
	    "one of [\"x\", \"y\", \"z\"]", "a stricter");
	json_decref(because);
	because = t_expect(t_cases, "limits", "GM0004", "GM0001",
	    ZES_VERDICT_INCOMPARABLE);
	t_entry(because, "evidence", "evidence.count", "minimum 0, maximum 200",
	    "minimum 0, maximum 100", "a looser");
	t_entry(because, "evidence", "evidence.size", "one of [\"x\"]",
	    "one of [\"x\", \"y\", \"z\"]", "a stricter");
	json_decref(because);
}

/* An extra condition is stricter; both its conjuncts are named. */
static void
test_extra_condition(void **state)
{
	json_t	*because;

	(void)state;
	because = t_expect(t_cases, "extra", "GM0002", "GM0001",
	    ZES_VERDICT_STRICTER);
	assert_int_equal(json_array_size(because), 2);
	t_entry(because, "condition", "vehicle.inScope",
	    "eq true, when vehicle.registered eq true", NULL, "a stricter");
	t_entry(because, "condition", "vehicle.zeroEmission",
	    "eq false, when vehicle.registered eq true", NULL, "a stricter");
	json_decref(because);
	because = t_expect(t_cases, "extra", "GM0003", "GM0002",
	    ZES_VERDICT_LOOSER);
	json_decref(because);
}

/* Review is stricter than grant; two different reviews are incomparable. */
static void
test_review(void **state)
{
	json_t	*because;

	(void)state;
	because = t_expect(t_cases, "review", "GM0002", "GM0001",
	    ZES_VERDICT_STRICTER);
	t_entry(because, "outcome", "outcome",
	    "review (case_by_case_assessment)", "grant", "a stricter");
	json_decref(because);
	because = t_expect(t_cases, "review", "GM0002", "GM0004",
	    ZES_VERDICT_INCOMPARABLE);
	t_entry(because, "outcome", "outcome",
	    "review (case_by_case_assessment)",
	    "review (technical_inspection_required)", "incomparable");
	json_decref(because);
}

/* Days relative to other fields: nearer bounds are stricter. */
static void
test_relative_dates(void **state)
{
	json_t	*because;

	(void)state;
	because = t_expect(t_cases, "dates", "GM0002", "GM0001",
	    ZES_VERDICT_STRICTER);
	assert_int_equal(json_array_size(because), 2);
	t_entry(because, "condition", "evidence.statementDate",
	    "ge application.submittedOn - 6 months",
	    "ge application.submittedOn - 12 months", "a stricter");
	t_entry(because, "condition", "application.periodFrom",
	    "le application.submittedOn + 30 days",
	    "le application.submittedOn + 365 days", "a stricter");
	json_decref(because);
	/* One day more. */
	because = t_expect(t_cases, "dates", "GM0007", "GM0001",
	    ZES_VERDICT_LOOSER);
	assert_int_equal(json_array_size(because), 1);
	t_entry(because, "condition", "application.periodFrom",
	    "le application.submittedOn + 366 days",
	    "le application.submittedOn + 365 days", "a looser");
	json_decref(because);
}

/* A when on other fields cannot be compared; an all of one is the one. */
static void
test_when(void **state)
{
	json_t	*because;

	(void)state;
	because = t_expect(t_cases, "when", "GM0007", "GM0001",
	    ZES_VERDICT_INCOMPARABLE);
	assert_int_equal(json_array_size(because), 1);
	t_entry(because, "condition", "evidence.count",
	    "ge 5, when all(vehicle.inScope eq true, vehicle.zeroEmission eq "
	    "false)", "ge 5, when vehicle.registered eq true", "incomparable");
	json_decref(because);
}

/* An integer against a list of them. */
static void
test_ints(void **state)
{
	json_t	*because;

	(void)state;
	because = t_expect(t_cases, "ints", "GM0007", "GM0001",
	    ZES_VERDICT_STRICTER);
	assert_int_equal(json_array_size(because), 1);
	t_entry(because, "condition", "evidence.count", "eq 4",
	    "in [3, 4, 5]", "a stricter");
	json_decref(because);
	because = t_expect(t_cases, "ints", "GM0004", "GM0001",
	    ZES_VERDICT_INCOMPARABLE);
	t_entry(because, "condition", "evidence.count", "eq 7",
	    "in [3, 4, 5]", "incomparable");
	json_decref(because);
}

/* municipality.zoneStart is each side's own day. */
static void
test_zone_start(void **state)
{
	json_t	*because;

	(void)state;
	because = t_expect(t_cases, "zonestart", "GM0001", "GM0004",
	    ZES_VERDICT_STRICTER);
	t_entry(because, "condition", "evidence.registeredSince",
	    "lt municipality.zoneStart (2025-01-01)",
	    "lt municipality.zoneStart (2026-01-01)", "a stricter");
	json_decref(because);
	because = t_expect(t_cases, "zonestart", "GM0004", "GM0002",
	    ZES_VERDICT_LOOSER);
	t_entry(because, "condition", "evidence.registeredSince",
	    "lt municipality.zoneStart (2026-01-01)", "lt 2025-01-01",
	    "a looser");
	json_decref(because);
}

/* Lists: a sub-list is stricter, crossing lists incomparable. */
static void
test_sets(void **state)
{
	json_t	*because;

	(void)state;
	because = t_expect(t_cases, "sets", "GM0002", "GM0001",
	    ZES_VERDICT_STRICTER);
	t_entry(because, "condition", "evidence.kind", "in [\"a\"]",
	    "in [\"a\", \"b\"]", "a stricter");
	json_decref(because);
	because = t_expect(t_cases, "sets", "GM0004", "GM0001",
	    ZES_VERDICT_INCOMPARABLE);
	t_entry(because, "condition", "evidence.kind", "in [\"a\", \"c\"]",
	    "in [\"a\", \"b\"]", "incomparable");
	json_decref(because);
}

/* An any: one branch is stricter, a wider any looser. */
static void
test_any(void **state)
{
	json_t	*because;

	(void)state;
	because = t_expect(t_cases, "anyall", "GM0002", "GM0001",
	    ZES_VERDICT_STRICTER);
	assert_int_equal(json_array_size(because), 1);
	json_decref(because);
	because = t_expect(t_cases, "anyall", "GM0004", "GM0001",
	    ZES_VERDICT_LOOSER);
	assert_int_equal(json_array_size(because), 1);
	json_decref(because);
	because = t_expect(t_cases, "anyall", "GM0002", "GM0004",
	    ZES_VERDICT_STRICTER);
	json_decref(because);
}

/* Different fields: neither implies the other. */
static void
test_incomparable_fields(void **state)
{
	json_t	*because;

	(void)state;
	because = t_expect(t_cases, "threshold", "GM0004", "GM0001",
	    ZES_VERDICT_INCOMPARABLE);
	t_entry(because, "condition", "evidence.trips", "ge 10", NULL,
	    "a stricter");
	t_entry(because, "condition", "evidence.entries", NULL, "ge 10",
	    "a looser");
	t_entry(because, "evidence", "evidence.trips", "required, integer",
	    "not required", "a stricter");
	json_decref(because);
}

/* Stricter on one condition, looser on another: incomparable. */
static void
test_incomparable_crossing(void **state)
{
	json_t	*because;

	(void)state;
	because = t_expect(t_cases, "dates", "GM0004", "GM0001",
	    ZES_VERDICT_INCOMPARABLE);
	t_entry(because, "condition", "evidence.statementDate",
	    "ge application.submittedOn - 6 months",
	    "ge application.submittedOn - 12 months", "a stricter");
	t_entry(because, "condition", "application.periodFrom",
	    "le application.submittedOn + 400 days",
	    "le application.submittedOn + 365 days", "a looser");
	json_decref(because);
	because = t_expect(t_cases, "quota", "GM0004", "GM0001",
	    ZES_VERDICT_INCOMPARABLE);
	t_entry(because, "validity", "validity",
	    "singleDay, until 04:00 the next day",
	    "singleDay, until 06:00 the next day", "a stricter");
	t_entry(because, "quota", "quota.perPlatePerCalendarYear",
	    "14 per plate per calendar year", "12 per plate per calendar year",
	    "a looser");
	json_decref(because);
	because = t_expect(t_cases, "evidence", "GM0004", "GM0001",
	    ZES_VERDICT_INCOMPARABLE);
	t_entry(because, "evidence", "evidence.motivation",
	    "10 to 4000 characters", "20 to 4000 characters", "a looser");
	t_entry(because, "evidence", "evidence.fleetList",
	    "required, boolean", "not required", "a stricter");
	json_decref(because);
}

/* A not() against a comparison is not analysed: incomparable, and said so. */
static void
test_incomparable_unanalysed(void **state)
{
	json_t	*because;

	(void)state;
	because = t_expect(t_cases, "extra", "GM0004", "GM0001",
	    ZES_VERDICT_INCOMPARABLE);
	assert_int_equal(json_array_size(because), 1);
	t_entry(because, "condition", "vehicle.registered",
	    "not(vehicle.registered eq false)", "eq true", "incomparable");
	assert_non_null(strstr(t_str(json_array_get(because, 0),
	    "explanation"), "any/not"));
	json_decref(because);
	/* A single day until 06:00 against one whole day. */
	because = t_expect(t_cases, "quota", "GM0007", "GM0001",
	    ZES_VERDICT_INCOMPARABLE);
	assert_int_equal(json_array_size(because), 1);
	t_entry(because, "validity", "validity", "whole days", "singleDay",
	    "incomparable");
	json_decref(because);
}

/* A type not offered grants nothing: stricter than any that is offered. */
static void
test_not_offered(void **state)
{
	json_t	*because;

	(void)state;
	because = t_expect(t_cases, "threshold", "GM0006", "GM0001",
	    ZES_VERDICT_STRICTER);
	assert_int_equal(json_array_size(because), 1);
	t_entry(because, "offered", "offered", "not offered", "offered",
	    "a stricter");
	json_decref(because);
	/* Not declared at all. */
	because = t_expect(t_cases, "extra", "GM0006", "GM0004",
	    ZES_VERDICT_STRICTER);
	json_decref(because);
	/* Neither grants it. */
	because = t_expect(t_cases, "local", "GM0002", "GM0006",
	    ZES_VERDICT_EQUIVALENT);
	t_entry(because, "offered", "offered", "not offered", "not offered",
	    "equivalent");
	json_decref(because);
	because = t_expect(t_cases, "local", "GM0002", "GM0001",
	    ZES_VERDICT_STRICTER);
	json_decref(because);
}

/* Every pair of every type: (b, a) mirrors (a, b), entry by entry. */
static void
test_mirror(void **state)
{
	json_t		*ab, *ba, *e;
	const char	*eff, *want;
	size_t		 t, i, j, k;
	enum zes_verdict v, w;

	(void)state;
	for (t = 0; t < ZES_NELEM(t_types); t++)
		for (i = 0; i < ZES_NELEM(t_munis); i++)
			for (j = 0; j < ZES_NELEM(t_munis); j++) {
				v = t_pair(t_cases, t_types[t], t_munis[i],
				    t_munis[j], &ab);
				w = t_pair(t_cases, t_types[t], t_munis[j],
				    t_munis[i], &ba);
				if (w != t_mirror(v))
					fail_msg("%s: (%s, %s) %s but (%s, %s) "
					    "%s", t_types[t], t_munis[i],
					    t_munis[j], zes_verdict_name(v),
					    t_munis[j], t_munis[i],
					    zes_verdict_name(w));
				assert_int_equal(json_array_size(ab),
				    json_array_size(ba));
				assert_true((v == ZES_VERDICT_EQUIVALENT) ==
				    (json_array_size(ab) == 0 ||
				    strcmp(t_str(json_array_get(ab, 0),
				    "effect"), "equivalent") == 0));
				/* Each effect of (a, b) appears mirrored in (b, a). */
				json_array_foreach(ab, k, e) {
					eff = t_str(e, "effect");
					want = strcmp(eff, "a stricter") == 0 ?
					    "a looser" : strcmp(eff, "a looser") ==
					    0 ? "a stricter" : eff;
					if (!t_has_entry(ba, t_str(e, "kind"),
					    t_str(e, "field"), t_str(e, "b"),
					    t_str(e, "a"), want))
						fail_msg("%s: (%s, %s) entry %zu "
						    "(%s) has no mirror in (%s, "
						    "%s)", t_types[t], t_munis[i],
						    t_munis[j], k, t_str(e,
						    "field"), t_munis[j],
						    t_munis[i]);
				}
				json_decref(ab);
				json_decref(ba);
			}
}

/* The whole answer for one type: columns, pairs, texts. */
static void
test_compare_type(void **state)
{
	const char	*zoned[] = { "GM0001", "GM0002", "GM0003", "GM0004",
			    "GM0006", "GM0007" };
	json_t		*doc, *munis, *pairs, *m, *p, *c, *ev;
	size_t		 i, j, k;

	(void)state;
	assert_null(zes_compare_type(t_cases, "no_such_type"));
	assert_false(zes_compare_type_known(t_cases, "no_such_type"));
	assert_true(zes_compare_type_known(t_cases, "local"));
	assert_true(zes_compare_type_known(t_real, "special_vehicle"));

	doc = zes_compare_type(t_cases, "threshold");
	assert_non_null(doc);
	assert_string_equal(t_str(doc, "type"), "threshold");
	assert_string_equal(t_str(doc, "scope"), "municipal");
	assert_string_equal(t_str(doc, "label"), "Threshold (test)");
	munis = json_object_get(doc, "municipalities");
	pairs = json_object_get(doc, "pairs");
	/* GM0005 has no zone: not in the comparison. */
	assert_int_equal(json_array_size(munis), ZES_NELEM(zoned));
	for (i = 0; i < ZES_NELEM(zoned); i++)
		assert_string_equal(t_str(json_array_get(munis, i),
		    "municipality"), zoned[i]);
	assert_int_equal(json_array_size(pairs),
	    ZES_NELEM(zoned) * (ZES_NELEM(zoned) - 1));
	k = 0;
	for (i = 0; i < ZES_NELEM(zoned); i++)
		for (j = 0; j < ZES_NELEM(zoned); j++) {
			if (i == j)
				continue;
			p = json_array_get(pairs, k++);
			assert_string_equal(t_str(p, "a"), zoned[i]);
			assert_string_equal(t_str(p, "b"), zoned[j]);
			assert_string_equal(t_str(p, "verdict"),
			    zes_verdict_name(t_pair(t_cases, "threshold",
			    zoned[i], zoned[j], NULL)));
			assert_true(json_is_array(json_object_get(p,
			    "because")));
		}

	m = json_array_get(munis, 0);
	assert_string_equal(t_str(m, "name"), "Base (test)");
	assert_true(json_is_true(json_object_get(m, "offered")));
	assert_true(json_is_true(json_object_get(m, "declared")));
	assert_string_equal(t_str(json_object_get(m, "ruleSet"), "version"),
	    "compare.1");
	assert_string_equal(t_str(json_object_get(m, "outcome"), "decision"),
	    "grant");
	c = json_array_get(json_object_get(m, "conditions"), 0);
	assert_string_equal(t_str(c, "reason"), "too_few_entries");
	assert_string_equal(t_str(c, "text"), "evidence.entries ge 10");
	assert_string_equal(t_str(json_object_get(c, "require"), "op"), "ge");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(c,
	    "require"), "value")), 10);
	assert_string_equal(t_str(json_object_get(m, "maxDuration"), "text"),
	    "1 year from period.from; ends with period.until when that is "
	    "earlier");
	ev = json_array_get(json_object_get(m, "evidence"), 0);
	assert_string_equal(t_str(ev, "name"), "entries");
	assert_string_equal(t_str(ev, "type"), "integer");
	assert_true(json_is_true(json_object_get(ev, "required")));
	assert_string_equal(t_str(ev, "limits"), "minimum 0");
	assert_int_equal(json_integer_value(json_object_get(m, "feeEur")), 0);
	assert_true(json_is_null(json_object_get(m, "quota")));
	m = json_array_get(munis, 4);
	assert_string_equal(t_str(m, "municipality"), "GM0006");
	assert_true(json_is_false(json_object_get(m, "offered")));
	assert_true(json_is_true(json_object_get(m, "declared")));
	json_decref(doc);

	/* A type one side does not declare; a quota and a single day. */
	doc = zes_compare_type(t_cases, "quota");
	munis = json_object_get(doc, "municipalities");
	m = json_array_get(munis, 4);
	assert_string_equal(t_str(m, "municipality"), "GM0006");
	assert_true(json_is_false(json_object_get(m, "declared")));
	assert_true(json_is_null(json_object_get(m, "maxDuration")));
	assert_int_equal(json_array_size(json_object_get(m, "conditions")), 0);
	m = json_array_get(munis, 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(m,
	    "quota"), "perPlatePerCalendarYear")), 12);
	assert_int_equal(json_integer_value(json_object_get(m, "feeEur")), 30);
	assert_string_equal(t_str(json_object_get(m, "maxDuration"), "text"),
	    "period.from only, until 06:00 the next day");
	json_decref(doc);
}

/* The real rules: Rotterdam, Den Haag and Delft have the same defaults. */
static void
test_real_rules(void **state)
{
	json_t	*because, *doc, *p;
	size_t	 t, i, j;

	(void)state;
	for (t = 0; t < ZES_NELEM(t_real_types); t++) {
		for (i = 0; i < ZES_NELEM(t_zoned); i++)
			for (j = 0; j < ZES_NELEM(t_zoned); j++) {
				because = t_expect(t_real, t_real_types[t],
				    t_zoned[i], t_zoned[j],
				    ZES_VERDICT_EQUIVALENT);
				assert_int_equal(json_array_size(because), 0);
				json_decref(because);
			}
		doc = zes_compare_type(t_real, t_real_types[t]);
		assert_non_null(doc);
		assert_int_equal(json_array_size(json_object_get(doc,
		    "municipalities")), ZES_NELEM(t_zoned));
		assert_int_equal(json_array_size(json_object_get(doc, "pairs")),
		    6);
		json_array_foreach(json_object_get(doc, "pairs"), i, p)
			assert_string_equal(t_str(p, "verdict"), "equivalent");
		assert_string_equal(t_str(doc, "scope"),
		    strcmp(t_real_types[t], "special_vehicle") == 0 ?
		    "national" : "municipal");
		json_decref(doc);
	}
	/* A municipality without a zone declares no types: it grants none. */
	because = t_expect(t_real, "day_exemption", "GM0613", "GM0599",
	    ZES_VERDICT_STRICTER);
	json_decref(because);
}

/* --- The verdicts against the engine ----------------------------------- */

/* xorshift64*: a fixed sequence, so a failure can be replayed. */
static uint64_t
t_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* A number in [lo, hi]. */
static int64_t
t_between(uint64_t *s, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(t_rand(s) % (uint64_t)(hi - lo + 1));
}

/* One random application, the same facts whichever rule set decides it. */
struct t_world {
	uint64_t		 seed;		/* evidence values by field name */
	int64_t			 today;
	int64_t			 from;
	int64_t			 until;		/* ZES_DAY_NONE: not given */
	int			 vehicle;	/* -1: not in the register */
	int			 used;		/* exemptions of the type this year */
};

/* A register record: one fuel row. */
static void
t_vehicle(struct zes_vehicle *v, int which)
{
	static const struct {
		const char	*category;
		int		 mass;
		const char	*fuel;
		const char	*cls;
		const char	*body;
	} kinds[] = {
		{ "N1", 3000, "Diesel", "6", "BB" },
		{ "N1", 3000, "Diesel", "5", "BB" },
		{ "N1", 3000, "Elektriciteit", "Z", "BB" },
		{ "N2", 12000, "Diesel", "6", "SB" },
		{ "M1", 1500, "Benzine", "6", "" },
	};

	memset(v, 0, sizeof(*v));
	which %= (int)ZES_NELEM(kinds);
	(void)snprintf(v->plate, sizeof(v->plate), "V123FB");
	(void)snprintf(v->category, sizeof(v->category), "%s",
	    kinds[which].category);
	(void)snprintf(v->vehicle_type, sizeof(v->vehicle_type), "%s",
	    kinds[which].category[0] == 'N' ? "Bedrijfsauto" : "Personenauto");
	(void)snprintf(v->body_type, sizeof(v->body_type), "%s",
	    kinds[which].body);
	v->body_code = -1;
	v->first_admission = zes_date_from_ymd(2019, 5, 17);
	v->mass_kg = kinds[which].mass;
	v->nfuels = 1;
	(void)snprintf(v->fuels[0].name, sizeof(v->fuels[0].name), "%s",
	    kinds[which].fuel);
	(void)snprintf(v->fuels[0].emission_class,
	    sizeof(v->fuels[0].emission_class), "%s", kinds[which].cls);
}

/* A seed from the world's and a field name: equal names, equal values. */
static uint64_t
t_field_seed(const struct t_world *w, const char *name)
{
	uint64_t	h = w->seed ^ 1469598103934665603ULL;

	for (; *name != '\0'; name++)
		h = (h ^ (unsigned char)*name) * 1099511628211ULL;
	return h == 0 ? 1 : h;
}

/* The evidence object for a type declaration, from the world. */
static json_t *
t_evidence(const struct t_world *w, const struct zes_type *t)
{
	/* Every value of the cases' enums and lists, and one of none. */
	static const char *const pool[] = { "a", "b", "c", "d", "x", "y",
	    "z" };
	const struct zes_evidence_def	*e;
	json_t				*o = json_object(), *v;
	uint64_t			 s;
	char				 d[ZES_DATE_TEXT_LEN + 1], text[48];
	size_t				 i;
	int64_t				 n;

	for (i = 0; i < t->nevidence; i++) {
		e = &t->evidence[i];
		s = t_field_seed(w, e->name);
		if (t_between(&s, 0, 9) == 0)
			continue;	/* not given */
		switch (e->type) {
		case ZES_EV_INTEGER:
			/* Around the thresholds of the cases, sometimes large. */
			v = json_integer(t_between(&s, 0, 4) != 0 ?
			    t_between(&s, -1, 20) : t_between(&s, 40, 210));
			break;
		case ZES_EV_DATE:
			zes_date_format(w->today + t_between(&s, -800, 800), d);
			v = json_string(d);
			break;
		case ZES_EV_BOOLEAN:
			v = json_boolean(t_between(&s, 0, 1));
			break;
		case ZES_EV_POSTCODE:
			v = json_string("1234AB");
			break;
		case ZES_EV_KVK:
			v = json_string("12345678");
			break;
		default:
			if (e->nvalues > 0)
				v = json_string(pool[t_between(&s, 0,
				    (int64_t)ZES_NELEM(pool) - 1)]);
			else {
				n = t_between(&s, 0, 40);
				memset(text, 'x', (size_t)n);
				text[n] = '\0';
				v = json_string(text);
			}
			break;
		}
		json_object_set_new(o, e->name, v);
	}
	return o;
}

/* How one rule set decides the world's application. */
struct t_outcome {
	int	pass;		/* parsed, and granted or in review */
	int	granted;	/* granted at once */
	int64_t	until;		/* end of the validity when it passes */
};

/* zes_app_parse wants an error callback: the errors are not needed here. */
static void
t_ignore(void *arg, const char *field, const char *message)
{
	(void)arg;
	(void)field;
	(void)message;
}

/* Decide the world's application with municipality m's rules. */
static void
t_decide(const struct zes_rules *r, const char *type,
    const struct zes_municipality *m, const struct t_world *w,
    struct t_outcome *out)
{
	const struct zes_type	*t;
	struct zes_exemption	 ex[T_EXEMPTIONS];
	struct zes_vehicle	 v;
	struct zes_engine_input	 in;
	struct zes_decision	 dec;
	struct zes_app		 app;
	json_t			*body, *period;
	char			 d[ZES_DATE_TEXT_LEN + 1];
	int			 y, mo, dd, i, n;
	int64_t			 day;

	memset(out, 0, sizeof(*out));
	if ((t = zes_rules_type(r, NULL, type)) == NULL &&
	    (t = zes_rules_type(r, m, type)) == NULL)
		return;
	period = json_object();
	zes_date_format(w->from, d);
	json_object_set_new(period, "from", json_string(d));
	if (w->until != ZES_DAY_NONE) {
		zes_date_format(w->until, d);
		json_object_set_new(period, "until", json_string(d));
	}
	body = json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:o, s:o}",
	    "scope", t->national ? "national" : "municipal", "type", type,
	    "plate", "V123FB", "applicant", "kvk", "12345678", "name",
	    "Bakkerij Jansen", "email", "info@example.nl", "period", period,
	    "evidence", t_evidence(w, t));
	if (!t->national)
		json_object_set_new(body, "municipality", json_string(m->code));
	if (zes_app_parse(body, r, w->today, &app, t_ignore, NULL) != 0) {
		json_decref(body);
		return;
	}
	json_decref(body);
	/* Earlier exemptions of the type and issuer this year, before from. */
	zes_date_to_ymd(w->from, &y, &mo, &dd);
	n = 0;
	for (i = 0; i < w->used && i < T_EXEMPTIONS; i++) {
		day = zes_date_from_ymd(y, 1, 1) + i;
		if (day >= w->from)
			break;
		memset(&ex[n], 0, sizeof(ex[n]));
		(void)snprintf(ex[n].type, sizeof(ex[n].type), "%s", type);
		(void)snprintf(ex[n].issuer, sizeof(ex[n].issuer), "%s",
		    t->national ? "national" : m->code);
		ex[n].valid_from = zes_time_local_midnight(day);
		ex[n].valid_until = zes_time_local_midnight(day + 1) + 6 * 3600;
		ex[n].granted_at = ex[n].valid_from;
		ex[n].revoked_at = INT64_MAX;
		n++;
	}
	memset(&in, 0, sizeof(in));
	in.rules = r;
	in.app = &app;
	if (w->vehicle >= 0) {
		t_vehicle(&v, w->vehicle);
		in.vehicle = &v;
	}
	in.exemptions = ex;
	in.nexemptions = (size_t)n;
	in.now = zes_time_local_midnight(w->today) + 12 * 3600;
	zes_engine_evaluate(&in, &dec);
	out->pass = dec.outcome != ZES_OUTCOME_REJECTED;
	out->granted = dec.outcome == ZES_OUTCOME_GRANTED;
	out->until = dec.valid_until;
	zes_app_clear(&app);
}

/* A random world. */
static void
t_world(uint64_t *s, struct t_world *w, int single_day)
{
	w->seed = t_rand(s);
	w->today = zes_date_from_ymd(2026, 1, 1) + t_between(s, 0, 364);
	w->from = w->today + t_between(s, 0, 420);
	w->until = ZES_DAY_NONE;
	if (t_between(s, 0, 1) == 0)
		w->until = single_day ? w->from : w->from + t_between(s, 0, 800);
	w->vehicle = (int)t_between(s, -1, 4);
	w->used = (int)t_between(s, 0, 15);
}

/*
 * Is a's outcome within b's: when a passes, b passes with a validity at
 * least as long, and grants at once when a does (a review is an
 * assessor's condition on top of the rules: docs/comparisons.md)?
 */
static int
t_within(const struct t_outcome *a, const struct t_outcome *b)
{
	return !a->pass || (b->pass && a->until <= b->until &&
	    (!a->granted || b->granted));
}

/*
 * For every type and ordered pair of munis: sample applications and check
 * that no decision contradicts the verdict (stricter: a within b;
 * equivalent: both ways), and record which pairs showed a difference each
 * way (seen[i][j] bit 1: something a grants b does not, bit 2: the
 * reverse).
 */
static void
t_simulate(const struct zes_rules *r, const char *type,
    const char *const *codes, size_t n, unsigned seen[T_MUNIS_MAX][T_MUNIS_MAX])
{
	const struct zes_municipality	*m[T_MUNIS_MAX];
	struct t_outcome		 o[T_MUNIS_MAX];
	enum zes_verdict		 v[T_MUNIS_MAX][T_MUNIS_MAX];
	struct t_world			 w;
	uint64_t			 s = 0x9e3779b97f4a7c15ULL;
	size_t				 i, j, k;
	int				 single = 0;

	assert_true(n <= T_MUNIS_MAX);
	for (i = 0; i < n; i++) {
		m[i] = t_muni(r, codes[i]);
		for (j = 0; j < n; j++) {
			v[i][j] = t_pair(r, type, codes[i], codes[j], NULL);
			seen[i][j] = 0;
		}
		if (zes_rules_type(r, m[i], type) != NULL &&
		    zes_rules_type(r, m[i], type)->validity.single_day)
			single = 1;
	}
	for (k = 0; k < T_SAMPLES; k++) {
		t_world(&s, &w, single && t_between(&s, 0, 3) != 0);
		for (i = 0; i < n; i++)
			t_decide(r, type, m[i], &w, &o[i]);
		for (i = 0; i < n; i++)
			for (j = 0; j < n; j++) {
				if (!t_within(&o[i], &o[j]))
					seen[i][j] |= 1;
				if (!t_within(&o[j], &o[i]))
					seen[i][j] |= 2;
				if ((v[i][j] == ZES_VERDICT_STRICTER ||
				    v[i][j] == ZES_VERDICT_EQUIVALENT) &&
				    !t_within(&o[i], &o[j]))
					fail_msg("%s: (%s, %s) is %s, but for "
					    "sample %zu %s grants what %s does "
					    "not", type, codes[i], codes[j],
					    zes_verdict_name(v[i][j]), k,
					    codes[i], codes[j]);
			}
	}
}

/* The index of a code in a list. */
static size_t
t_index(const char *const *codes, size_t n, const char *code)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(codes[i], code) == 0)
			return i;
	fail_msg("%s not in the list", code);
	return 0;
}

/*
 * The engine never contradicts a verdict on the cases folder (GM0005, with
 * no zone, is left out: the comparison does not look at zones), and the
 * designed differences show: GM0002 grants less than GM0001 for every
 * type but zonestart, and the crossing cases of GM0004 differ both ways.
 */
static void
test_engine_agrees_cases(void **state)
{
	static const char *const codes[] = { "GM0001", "GM0002", "GM0003",
	    "GM0004", "GM0006", "GM0007" };
	static const char *const crossing[] = { "threshold", "dates",
	    "quota", "evidence", "sets", "limits", "ints" };
	unsigned	seen[T_MUNIS_MAX][T_MUNIS_MAX];
	size_t		t, k, a, b, c;

	(void)state;
	a = t_index(codes, ZES_NELEM(codes), "GM0001");
	b = t_index(codes, ZES_NELEM(codes), "GM0002");
	c = t_index(codes, ZES_NELEM(codes), "GM0004");
	for (t = 0; t < ZES_NELEM(t_types); t++) {
		t_simulate(t_cases, t_types[t], codes, ZES_NELEM(codes), seen);
		if (strcmp(t_types[t], "zonestart") != 0 &&
		    strcmp(t_types[t], "local") != 0 && !(seen[a][b] & 1))
			fail_msg("%s: no sample where GM0001 grants what "
			    "GM0002 does not", t_types[t]);
		for (k = 0; k < ZES_NELEM(crossing); k++)
			if (strcmp(t_types[t], crossing[k]) == 0 &&
			    seen[c][a] != 3)
				fail_msg("%s: GM0004 and GM0001 should each "
				    "grant something the other does not",
				    t_types[t]);
	}
}

/* The real rules: the engine decides alike for the three zoned ones. */
static void
test_engine_agrees_real(void **state)
{
	unsigned	seen[T_MUNIS_MAX][T_MUNIS_MAX];
	size_t		t, i, j;

	(void)state;
	for (t = 0; t < ZES_NELEM(t_real_types); t++) {
		t_simulate(t_real, t_real_types[t], t_zoned,
		    ZES_NELEM(t_zoned), seen);
		for (i = 0; i < ZES_NELEM(t_zoned); i++)
			for (j = 0; j < ZES_NELEM(t_zoned); j++)
				if (seen[i][j] != 0)
					fail_msg("%s: %s and %s decided an "
					    "application differently",
					    t_real_types[t], t_zoned[i],
					    t_zoned[j]);
	}
}

/* The tests, with both rules folders loaded once. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equivalent_rewrites),
		cmocka_unit_test(test_threshold),
		cmocka_unit_test(test_validity),
		cmocka_unit_test(test_fixed_last_day),
		cmocka_unit_test(test_quota),
		cmocka_unit_test(test_evidence),
		cmocka_unit_test(test_evidence_limits),
		cmocka_unit_test(test_absent_fact),
		cmocka_unit_test(test_extra_condition),
		cmocka_unit_test(test_review),
		cmocka_unit_test(test_relative_dates),
		cmocka_unit_test(test_when),
		cmocka_unit_test(test_ints),
		cmocka_unit_test(test_zone_start),
		cmocka_unit_test(test_sets),
		cmocka_unit_test(test_any),
		cmocka_unit_test(test_incomparable_fields),
		cmocka_unit_test(test_incomparable_crossing),
		cmocka_unit_test(test_incomparable_unanalysed),
		cmocka_unit_test(test_not_offered),
		cmocka_unit_test(test_mirror),
		cmocka_unit_test(test_compare_type),
		cmocka_unit_test(test_real_rules),
		cmocka_unit_test(test_engine_agrees_cases),
		cmocka_unit_test(test_engine_agrees_real),
	};

	return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
