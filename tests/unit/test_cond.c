/*
 * Unit tests for core/cond.c: the field table against rules/README.md,
 * every op on every field type with the field present and absent (a table
 * of cases), null values, all/any/not and their nesting, day bounds
 * (latest/earliest, unknown dates, plusYears across 29 February), the
 * fields of applications, and comparisons with a day expression of the
 * facts (plusYears, plusMonths, plusDays).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "zes/period.h"
#include "zes/ruleset.h"

#define T_LIST_MAX	8

/* A value parsed from a test's text, with the storage its lists point into. */
struct t_val {
	struct zes_value	 v;
	const char		*sv[T_LIST_MAX];
	int64_t			 iv[T_LIST_MAX];
	char			 buf[128];
};

/* Parse a date the test knows to be good. */
static int64_t
t_day(const char *s)
{
	int64_t	day = 0;

	if (zes_date_parse(s, strlen(s), &day) != 0)
		fail_msg("date %s refused", s);
	return day;
}

/*
 * A value from text: "null", "s:N1", "i:23", "b:1", "d:2020-06-01",
 * "S:N1,N2" (string list or set), "I:15,23" (integer list or set); "S:"
 * and "I:" are empty.
 */
static void
t_val(const char *spec, struct t_val *out)
{
	char	*p, *tok, *save = NULL;
	size_t	 n = 0;

	memset(out, 0, sizeof(*out));
	if (strcmp(spec, "null") == 0) {
		out->v.type = ZES_V_ABSENT;
		return;
	}
	assert_true(strlen(spec) >= 2 && spec[1] == ':');
	assert_true(strlen(spec + 2) < sizeof(out->buf));
	strcpy(out->buf, spec + 2);
	switch (spec[0]) {
	case 's':
		out->v.type = ZES_V_STRING;
		out->v.u.s = out->buf;
		return;
	case 'i':
		out->v.type = ZES_V_INT;
		out->v.u.i = strtoll(out->buf, NULL, 10);
		return;
	case 'b':
		out->v.type = ZES_V_BOOL;
		out->v.u.i = strtoll(out->buf, NULL, 10);
		return;
	case 'd':
		out->v.type = ZES_V_DATE;
		out->v.u.i = t_day(out->buf);
		return;
	case 'S':
	case 'I':
		for (p = out->buf; (tok = strtok_r(p, ",", &save)) != NULL;
		    p = NULL) {
			assert_true(n < T_LIST_MAX);
			out->sv[n] = tok;
			out->iv[n] = strtoll(tok, NULL, 10);
			n++;
		}
		if (spec[0] == 'S') {
			out->v.type = ZES_V_STRSET;
			out->v.u.ss.v = out->sv;
			out->v.u.ss.n = n;
		} else {
			out->v.type = ZES_V_INTSET;
			out->v.u.is.v = out->iv;
			out->v.u.is.n = n;
		}
		return;
	}
	fail_msg("bad value spec %s", spec);
}

/* The fields and types of rules/README.md, "Vehicle fields", copied. */
static const struct {
	enum zes_field	 f;
	const char	*name;
	enum zes_vtype	 type;
} readme_fields[] = {
	{ ZES_F_CATEGORY,		"vehicle.category",		ZES_V_STRING },
	{ ZES_F_VEHICLE_TYPE,		"vehicle.vehicleType",		ZES_V_STRING },
	{ ZES_F_BODY_DESCRIPTION,	"vehicle.bodyDescription",	ZES_V_STRING },
	{ ZES_F_BODY_TYPE,		"vehicle.bodyType",		ZES_V_STRING },
	{ ZES_F_BODY_CODE,		"vehicle.bodyCode",		ZES_V_INT },
	{ ZES_F_SPECIAL_CODES,		"vehicle.specialCodes",		ZES_V_INTSET },
	{ ZES_F_FUELS,			"vehicle.fuels",		ZES_V_STRSET },
	{ ZES_F_EMISSION_CLASS,		"vehicle.emissionClass",	ZES_V_INT },
	{ ZES_F_ZERO_EMISSION,		"vehicle.zeroEmission",		ZES_V_BOOL },
	{ ZES_F_FIRST_ADMISSION,	"vehicle.firstAdmission",	ZES_V_DATE },
	{ ZES_F_MASS_KG,		"vehicle.massKg",		ZES_V_INT },
	{ ZES_F_KIND,			"vehicle.kind",			ZES_V_STRING },
	{ ZES_F_IN_SCOPE,		"vehicle.inScope",		ZES_V_BOOL },
	{ ZES_F_TRANSITION_COVERED,	"vehicle.transitionCovered",	ZES_V_BOOL },
};

/* Every field has the README's name and type, and nothing lies past the end. */
static void
test_field_table(void **state)
{
	size_t	i, j;

	(void)state;
	assert_int_equal(ZES_NELEM(readme_fields), ZES_F_VEHICLE_END);
	for (i = 0; i < ZES_NELEM(readme_fields); i++) {
		assert_int_equal(readme_fields[i].f, i);
		assert_non_null(zes_field_name(readme_fields[i].f));
		assert_string_equal(zes_field_name(readme_fields[i].f),
		    readme_fields[i].name);
		assert_int_equal(zes_field_type(readme_fields[i].f),
		    readme_fields[i].type);
		for (j = 0; j < i; j++)
			assert_string_not_equal(zes_field_name(readme_fields[j].f),
			    zes_field_name(readme_fields[i].f));
	}
	assert_null(zes_field_name(ZES_F_VEHICLE_END));
	assert_int_equal(zes_field_type(ZES_F_VEHICLE_END), ZES_V_ABSENT);
	assert_null(zes_field_name((enum zes_field)-1));
	assert_int_equal(zes_field_type((enum zes_field)-1), ZES_V_ABSENT);
}

/* The facts every comparison case runs against, when present. */
static const char *const t_present[ZES_F_VEHICLE_END] = {
	[ZES_F_CATEGORY] =		"s:N1",
	[ZES_F_VEHICLE_TYPE] =		"s:Bedrijfsauto",
	[ZES_F_BODY_DESCRIPTION] =	"s:gesloten opbouw",
	[ZES_F_BODY_TYPE] =		"s:BB",
	[ZES_F_BODY_CODE] =		"i:23",
	[ZES_F_SPECIAL_CODES] =		"I:70,145",
	[ZES_F_FUELS] =			"S:Diesel,Elektriciteit",
	[ZES_F_EMISSION_CLASS] =	"i:0",
	[ZES_F_ZERO_EMISSION] =		"b:0",
	[ZES_F_FIRST_ADMISSION] =	"d:2020-06-01",
	[ZES_F_MASS_KG] =		"i:3500",
	[ZES_F_KIND] =			"s:van",
	[ZES_F_IN_SCOPE] =		"b:1",
	[ZES_F_TRANSITION_COVERED] =	"b:1",
};

/*
 * One comparison: the result with the field as t_present has it, and with
 * the field absent.
 */
static const struct {
	enum zes_field		 f;
	enum zes_cond_op	 op;
	const char		*value;
	int			 present;
	int			 absent;
} cmp_cases[] = {
	/* string */
	{ ZES_F_CATEGORY,	ZES_OP_EQ,	"s:N1",		1, 0 },
	{ ZES_F_CATEGORY,	ZES_OP_EQ,	"s:N2",		0, 0 },
	{ ZES_F_CATEGORY,	ZES_OP_EQ,	"s:n1",		0, 0 },
	{ ZES_F_CATEGORY,	ZES_OP_EQ,	"s:N",		0, 0 },
	{ ZES_F_CATEGORY,	ZES_OP_EQ,	"s:N12",	0, 0 },
	{ ZES_F_CATEGORY,	ZES_OP_EQ,	"null",		0, 1 },
	{ ZES_F_CATEGORY,	ZES_OP_NE,	"s:N1",		0, 1 },
	{ ZES_F_CATEGORY,	ZES_OP_NE,	"s:N2",		1, 1 },
	{ ZES_F_CATEGORY,	ZES_OP_NE,	"null",		1, 0 },
	{ ZES_F_CATEGORY,	ZES_OP_IN,	"S:N1,N2,N3",	1, 0 },
	{ ZES_F_CATEGORY,	ZES_OP_IN,	"S:N3,N1",	1, 0 },
	{ ZES_F_CATEGORY,	ZES_OP_IN,	"S:N2,N3",	0, 0 },
	{ ZES_F_CATEGORY,	ZES_OP_IN,	"S:",		0, 0 },
	{ ZES_F_CATEGORY,	ZES_OP_NOT_IN,	"S:N1,N2",	0, 1 },
	{ ZES_F_CATEGORY,	ZES_OP_NOT_IN,	"S:N2,N3",	1, 1 },
	{ ZES_F_CATEGORY,	ZES_OP_NOT_IN,	"S:",		1, 1 },
	{ ZES_F_CATEGORY,	ZES_OP_EXISTS,	"b:1",		1, 0 },
	{ ZES_F_CATEGORY,	ZES_OP_EXISTS,	"b:0",		0, 1 },
	{ ZES_F_BODY_DESCRIPTION, ZES_OP_EQ,	"s:gesloten opbouw", 1, 0 },
	{ ZES_F_BODY_TYPE,	ZES_OP_IN,	"S:SB,SF,SH",	0, 0 },
	{ ZES_F_KIND,		ZES_OP_EQ,	"s:van",	1, 0 },
	{ ZES_F_KIND,		ZES_OP_NE,	"s:van",	0, 1 },
	{ ZES_F_VEHICLE_TYPE,	ZES_OP_EQ,	"s:Bedrijfsauto", 1, 0 },
	/* string: ops the loader refuses for strings never hold */
	{ ZES_F_CATEGORY,	ZES_OP_LT,	"s:N2",		0, 0 },
	{ ZES_F_CATEGORY,	ZES_OP_GE,	"s:N1",		0, 0 },
	{ ZES_F_CATEGORY,	ZES_OP_INTERSECTS, "S:N1",	0, 0 },
	{ ZES_F_CATEGORY,	ZES_OP_IN,	"I:1",		0, 0 },

	/* integer */
	{ ZES_F_BODY_CODE,	ZES_OP_EQ,	"i:23",		1, 0 },
	{ ZES_F_BODY_CODE,	ZES_OP_EQ,	"i:24",		0, 0 },
	{ ZES_F_BODY_CODE,	ZES_OP_EQ,	"null",		0, 1 },
	{ ZES_F_BODY_CODE,	ZES_OP_NE,	"i:23",		0, 1 },
	{ ZES_F_BODY_CODE,	ZES_OP_NE,	"i:22",		1, 1 },
	{ ZES_F_BODY_CODE,	ZES_OP_NE,	"null",		1, 0 },
	{ ZES_F_BODY_CODE,	ZES_OP_LT,	"i:24",		1, 0 },
	{ ZES_F_BODY_CODE,	ZES_OP_LT,	"i:23",		0, 0 },
	{ ZES_F_BODY_CODE,	ZES_OP_LE,	"i:23",		1, 0 },
	{ ZES_F_BODY_CODE,	ZES_OP_LE,	"i:22",		0, 0 },
	{ ZES_F_BODY_CODE,	ZES_OP_GT,	"i:22",		1, 0 },
	{ ZES_F_BODY_CODE,	ZES_OP_GT,	"i:23",		0, 0 },
	{ ZES_F_BODY_CODE,	ZES_OP_GE,	"i:23",		1, 0 },
	{ ZES_F_BODY_CODE,	ZES_OP_GE,	"i:24",		0, 0 },
	{ ZES_F_BODY_CODE,	ZES_OP_IN,	"I:15,16,19,23", 1, 0 },
	{ ZES_F_BODY_CODE,	ZES_OP_IN,	"I:15,16,19",	0, 0 },
	{ ZES_F_BODY_CODE,	ZES_OP_NOT_IN,	"I:15,23",	0, 1 },
	{ ZES_F_BODY_CODE,	ZES_OP_NOT_IN,	"I:15",		1, 1 },
	{ ZES_F_BODY_CODE,	ZES_OP_EXISTS,	"b:1",		1, 0 },
	{ ZES_F_BODY_CODE,	ZES_OP_EXISTS,	"b:0",		0, 1 },
	{ ZES_F_BODY_CODE,	ZES_OP_IN,	"S:23",		0, 0 },
	{ ZES_F_BODY_CODE,	ZES_OP_INTERSECTS, "I:23",	0, 0 },
	{ ZES_F_MASS_KG,	ZES_OP_LE,	"i:3500",	1, 0 },
	{ ZES_F_MASS_KG,	ZES_OP_GT,	"i:3500",	0, 0 },
	{ ZES_F_MASS_KG,	ZES_OP_GT,	"i:3499",	1, 0 },
	{ ZES_F_EMISSION_CLASS,	ZES_OP_EQ,	"i:0",		1, 0 },
	{ ZES_F_EMISSION_CLASS,	ZES_OP_LE,	"i:4",		1, 0 },
	{ ZES_F_EMISSION_CLASS,	ZES_OP_GE,	"i:0",		1, 0 },
	{ ZES_F_EMISSION_CLASS,	ZES_OP_GT,	"i:-1",		1, 0 },
	{ ZES_F_EMISSION_CLASS,	ZES_OP_LT,	"i:0",		0, 0 },

	/* boolean */
	{ ZES_F_ZERO_EMISSION,	ZES_OP_EQ,	"b:0",		1, 0 },
	{ ZES_F_ZERO_EMISSION,	ZES_OP_EQ,	"b:1",		0, 0 },
	{ ZES_F_ZERO_EMISSION,	ZES_OP_NE,	"b:1",		1, 1 },
	{ ZES_F_ZERO_EMISSION,	ZES_OP_NE,	"b:0",		0, 1 },
	{ ZES_F_ZERO_EMISSION,	ZES_OP_EQ,	"null",		0, 1 },
	{ ZES_F_ZERO_EMISSION,	ZES_OP_NE,	"null",		1, 0 },
	{ ZES_F_ZERO_EMISSION,	ZES_OP_EXISTS,	"b:1",		1, 0 },
	{ ZES_F_ZERO_EMISSION,	ZES_OP_EXISTS,	"b:0",		0, 1 },
	{ ZES_F_IN_SCOPE,	ZES_OP_EQ,	"b:1",		1, 0 },
	{ ZES_F_IN_SCOPE,	ZES_OP_EQ,	"b:0",		0, 0 },
	{ ZES_F_TRANSITION_COVERED, ZES_OP_EQ,	"b:1",		1, 0 },
	{ ZES_F_IN_SCOPE,	ZES_OP_GT,	"b:0",		0, 0 },
	{ ZES_F_IN_SCOPE,	ZES_OP_IN,	"I:1",		1, 0 },
	{ ZES_F_IN_SCOPE,	ZES_OP_EQ,	"i:1",		0, 0 },

	/* date */
	{ ZES_F_FIRST_ADMISSION, ZES_OP_EQ,	"d:2020-06-01",	1, 0 },
	{ ZES_F_FIRST_ADMISSION, ZES_OP_EQ,	"d:2020-06-02",	0, 0 },
	{ ZES_F_FIRST_ADMISSION, ZES_OP_EQ,	"null",		0, 1 },
	{ ZES_F_FIRST_ADMISSION, ZES_OP_NE,	"d:2020-06-01",	0, 1 },
	{ ZES_F_FIRST_ADMISSION, ZES_OP_NE,	"d:2020-05-31",	1, 1 },
	{ ZES_F_FIRST_ADMISSION, ZES_OP_NE,	"null",		1, 0 },
	{ ZES_F_FIRST_ADMISSION, ZES_OP_LT,	"d:2020-06-02",	1, 0 },
	{ ZES_F_FIRST_ADMISSION, ZES_OP_LT,	"d:2020-06-01",	0, 0 },
	{ ZES_F_FIRST_ADMISSION, ZES_OP_LE,	"d:2020-06-01",	1, 0 },
	{ ZES_F_FIRST_ADMISSION, ZES_OP_LE,	"d:2020-05-31",	0, 0 },
	{ ZES_F_FIRST_ADMISSION, ZES_OP_GT,	"d:2020-05-31",	1, 0 },
	{ ZES_F_FIRST_ADMISSION, ZES_OP_GT,	"d:2020-06-01",	0, 0 },
	{ ZES_F_FIRST_ADMISSION, ZES_OP_GE,	"d:2020-06-01",	1, 0 },
	{ ZES_F_FIRST_ADMISSION, ZES_OP_GE,	"d:2020-06-02",	0, 0 },
	{ ZES_F_FIRST_ADMISSION, ZES_OP_GE,	"d:1970-01-01",	1, 0 },
	{ ZES_F_FIRST_ADMISSION, ZES_OP_LT,	"d:1969-12-31",	0, 0 },
	{ ZES_F_FIRST_ADMISSION, ZES_OP_EXISTS,	"b:1",		1, 0 },
	{ ZES_F_FIRST_ADMISSION, ZES_OP_EXISTS,	"b:0",		0, 1 },
	/* a date never equals the integer of its day number */
	{ ZES_F_FIRST_ADMISSION, ZES_OP_EQ,	"i:18414",	0, 0 },
	{ ZES_F_FIRST_ADMISSION, ZES_OP_GE,	"i:0",		0, 0 },

	/* set of strings */
	{ ZES_F_FUELS,		ZES_OP_INTERSECTS, "S:Elektriciteit,Waterstof", 1, 0 },
	{ ZES_F_FUELS,		ZES_OP_INTERSECTS, "S:Diesel",	1, 0 },
	{ ZES_F_FUELS,		ZES_OP_INTERSECTS, "S:Waterstof,Benzine", 0, 0 },
	{ ZES_F_FUELS,		ZES_OP_INTERSECTS, "S:diesel",	0, 0 },
	{ ZES_F_FUELS,		ZES_OP_INTERSECTS, "S:",	0, 0 },
	{ ZES_F_FUELS,		ZES_OP_INTERSECTS, "I:1",	0, 0 },
	{ ZES_F_FUELS,		ZES_OP_EXISTS,	"b:1",		1, 0 },
	{ ZES_F_FUELS,		ZES_OP_EXISTS,	"b:0",		0, 1 },
	{ ZES_F_FUELS,		ZES_OP_EQ,	"s:Diesel",	0, 0 },
	{ ZES_F_FUELS,		ZES_OP_IN,	"S:Diesel",	0, 0 },
	{ ZES_F_FUELS,		ZES_OP_EQ,	"null",		0, 1 },
	{ ZES_F_FUELS,		ZES_OP_NE,	"null",		1, 0 },

	/* set of integers */
	{ ZES_F_SPECIAL_CODES,	ZES_OP_INTERSECTS, "I:145,146,147", 1, 0 },
	{ ZES_F_SPECIAL_CODES,	ZES_OP_INTERSECTS, "I:70",	1, 0 },
	{ ZES_F_SPECIAL_CODES,	ZES_OP_INTERSECTS, "I:146,147,149", 0, 0 },
	{ ZES_F_SPECIAL_CODES,	ZES_OP_INTERSECTS, "I:",	0, 0 },
	{ ZES_F_SPECIAL_CODES,	ZES_OP_INTERSECTS, "S:70",	0, 0 },
	{ ZES_F_SPECIAL_CODES,	ZES_OP_EXISTS,	"b:1",		1, 0 },
	{ ZES_F_SPECIAL_CODES,	ZES_OP_EXISTS,	"b:0",		0, 1 },
	{ ZES_F_SPECIAL_CODES,	ZES_OP_LT,	"i:1000",	0, 0 },
	{ ZES_F_SPECIAL_CODES,	ZES_OP_IN,	"I:70,145",	0, 0 },

	/* exists with a value that is not a boolean never holds */
	{ ZES_F_CATEGORY,	ZES_OP_EXISTS,	"i:1",		0, 0 },
};

/* Present facts parsed from t_present, and the same all absent. */
struct t_facts {
	struct t_val		 val[ZES_F_VEHICLE_END];
	struct zes_value	 present[ZES_F_VEHICLE_END];
	struct zes_value	 absent[ZES_F_VEHICLE_END];
};

/* Build the two fact arrays of a t_facts. */
static void
t_facts_init(struct t_facts *tf)
{
	size_t	i;

	for (i = 0; i < ZES_F_VEHICLE_END; i++) {
		t_val(t_present[i], &tf->val[i]);
		tf->present[i] = tf->val[i].v;
		assert_int_equal(tf->present[i].type,
		    zes_field_type((enum zes_field)i));
		tf->absent[i].type = ZES_V_ABSENT;
	}
}

/* Every comparison case, with the field present and then absent. */
static void
test_cmp_table(void **state)
{
	struct t_facts	*tf;
	struct t_val	 v;
	struct zes_cond	 c;
	size_t		 i;

	(void)state;
	tf = calloc(1, sizeof(*tf));
	assert_non_null(tf);
	t_facts_init(tf);
	for (i = 0; i < ZES_NELEM(cmp_cases); i++) {
		t_val(cmp_cases[i].value, &v);
		memset(&c, 0, sizeof(c));
		c.kind = ZES_COND_CMP;
		c.op = cmp_cases[i].op;
		c.field = (int)cmp_cases[i].f;
		c.value = v.v;
		if (zes_cond_eval(&c, tf->present) != cmp_cases[i].present)
			fail_msg("case %zu: %s op %d %s present: want %d", i,
			    zes_field_name(cmp_cases[i].f), cmp_cases[i].op,
			    cmp_cases[i].value, cmp_cases[i].present);
		if (zes_cond_eval(&c, tf->absent) != cmp_cases[i].absent)
			fail_msg("case %zu: %s op %d %s absent: want %d", i,
			    zes_field_name(cmp_cases[i].f), cmp_cases[i].op,
			    cmp_cases[i].value, cmp_cases[i].absent);
	}
	free(tf);
}

/*
 * The README's absent rule, checked over the table: with the field absent
 * only ne, notIn and exists:false (and eq null) may hold.
 */
static void
test_cmp_absent_rule(void **state)
{
	size_t	i;
	int	may;

	(void)state;
	for (i = 0; i < ZES_NELEM(cmp_cases); i++) {
		may = cmp_cases[i].op == ZES_OP_NE ||
		    cmp_cases[i].op == ZES_OP_NOT_IN ||
		    (cmp_cases[i].op == ZES_OP_EXISTS &&
		    strcmp(cmp_cases[i].value, "b:0") == 0) ||
		    (cmp_cases[i].op == ZES_OP_EQ &&
		    strcmp(cmp_cases[i].value, "null") == 0);
		if (cmp_cases[i].absent && !may)
			fail_msg("case %zu holds on an absent field", i);
	}
}

/* Empty sets are present and share nothing. */
static void
test_empty_sets(void **state)
{
	struct zes_value	facts[ZES_F_VEHICLE_END];
	struct t_val		v;
	struct zes_cond		c;

	(void)state;
	memset(facts, 0, sizeof(facts));
	facts[ZES_F_FUELS].type = ZES_V_STRSET;
	facts[ZES_F_SPECIAL_CODES].type = ZES_V_INTSET;
	memset(&c, 0, sizeof(c));
	c.kind = ZES_COND_CMP;

	c.field = ZES_F_FUELS;
	c.op = ZES_OP_INTERSECTS;
	t_val("S:Diesel", &v);
	c.value = v.v;
	assert_false(zes_cond_eval(&c, facts));
	c.op = ZES_OP_EXISTS;
	t_val("b:1", &v);
	c.value = v.v;
	assert_true(zes_cond_eval(&c, facts));

	c.field = ZES_F_SPECIAL_CODES;
	c.op = ZES_OP_INTERSECTS;
	t_val("I:145", &v);
	c.value = v.v;
	assert_false(zes_cond_eval(&c, facts));
	c.op = ZES_OP_EXISTS;
	t_val("b:0", &v);
	c.value = v.v;
	assert_false(zes_cond_eval(&c, facts));
}

/* A comparison node on field f (kept in the caller's storage). */
static struct zes_cond
t_cmp(enum zes_field f, enum zes_cond_op op, const struct t_val *v)
{
	struct zes_cond	c;

	memset(&c, 0, sizeof(c));
	c.kind = ZES_COND_CMP;
	c.field = (int)f;
	c.op = op;
	c.value = v->v;
	return c;
}

/* A combination node. */
static struct zes_cond
t_node(enum zes_cond_kind k, const struct zes_cond *kids, size_t n)
{
	struct zes_cond	c;

	memset(&c, 0, sizeof(c));
	c.kind = k;
	c.kids = kids;
	c.nkids = n;
	return c;
}

/* all/any/not, empty and with true and false children. */
static void
test_combinators(void **state)
{
	struct zes_value	facts[ZES_F_VEHICLE_END];
	struct t_val		n1, n2;
	struct zes_cond		yes, no, kids[2], c, inner;

	(void)state;
	memset(facts, 0, sizeof(facts));
	facts[ZES_F_CATEGORY].type = ZES_V_STRING;
	facts[ZES_F_CATEGORY].u.s = "N1";
	t_val("s:N1", &n1);
	t_val("s:N2", &n2);
	yes = t_cmp(ZES_F_CATEGORY, ZES_OP_EQ, &n1);
	no = t_cmp(ZES_F_CATEGORY, ZES_OP_EQ, &n2);
	assert_true(zes_cond_eval(&yes, facts));
	assert_false(zes_cond_eval(&no, facts));

	c = t_node(ZES_COND_ALL, NULL, 0);
	assert_true(zes_cond_eval(&c, facts));
	c = t_node(ZES_COND_ANY, NULL, 0);
	assert_false(zes_cond_eval(&c, facts));

	kids[0] = yes;
	kids[1] = yes;
	c = t_node(ZES_COND_ALL, kids, 2);
	assert_true(zes_cond_eval(&c, facts));
	c = t_node(ZES_COND_ANY, kids, 2);
	assert_true(zes_cond_eval(&c, facts));
	kids[1] = no;
	c = t_node(ZES_COND_ALL, kids, 2);
	assert_false(zes_cond_eval(&c, facts));
	c = t_node(ZES_COND_ANY, kids, 2);
	assert_true(zes_cond_eval(&c, facts));
	kids[0] = no;
	c = t_node(ZES_COND_ANY, kids, 2);
	assert_false(zes_cond_eval(&c, facts));
	c = t_node(ZES_COND_ALL, kids, 2);
	assert_false(zes_cond_eval(&c, facts));

	c = t_node(ZES_COND_NOT, &yes, 1);
	assert_false(zes_cond_eval(&c, facts));
	c = t_node(ZES_COND_NOT, &no, 1);
	assert_true(zes_cond_eval(&c, facts));
	inner = t_node(ZES_COND_NOT, &no, 1);
	c = t_node(ZES_COND_NOT, &inner, 1);
	assert_false(zes_cond_eval(&c, facts));
	/* a "not" without its child (never loaded) does not hold */
	c = t_node(ZES_COND_NOT, NULL, 0);
	assert_false(zes_cond_eval(&c, facts));
	/* neither does a comparison without a field */
	c = yes;
	c.field = -1;
	assert_false(zes_cond_eval(&c, facts));
}

/*
 * "not eq" and "ne" differ on absent fields only through null: not(eq N1)
 * holds when absent, as ne N1 does; not(exists) is exists:false.
 */
static void
test_not_absent(void **state)
{
	struct zes_value	facts[ZES_F_VEHICLE_END];
	struct t_val		n1, yes;
	struct zes_cond		eq, ex, c;

	(void)state;
	memset(facts, 0, sizeof(facts));
	t_val("s:N1", &n1);
	t_val("b:1", &yes);
	eq = t_cmp(ZES_F_CATEGORY, ZES_OP_EQ, &n1);
	ex = t_cmp(ZES_F_CATEGORY, ZES_OP_EXISTS, &yes);
	c = t_node(ZES_COND_NOT, &eq, 1);
	assert_true(zes_cond_eval(&c, facts));
	c = t_node(ZES_COND_NOT, &ex, 1);
	assert_true(zes_cond_eval(&c, facts));
	facts[ZES_F_CATEGORY].type = ZES_V_STRING;
	facts[ZES_F_CATEGORY].u.s = "N1";
	assert_false(zes_cond_eval(&c, facts));
}

/*
 * A nested rule of the shape national.json uses, the tractor of DOMAIN.md
 * §1: all[category in N2,N3; any[bodyDescription eq opleggertrekker;
 * bodyType eq BC]; not(massKg le 3500)], over several vehicles.
 */
static void
test_nesting(void **state)
{
	static const struct {
		const char	*category, *desc, *body;
		int		 mass;
		int		 want;
	} vehicles[] = {
		{ "N3", "opleggertrekker",	"",	18000,	1 },
		{ "N2", "",			"BC",	12000,	1 },
		{ "N3", "opleggertrekker",	"BC",	-1,	1 },
		{ "N3", "gesloten opbouw",	"BB",	18000,	0 },
		{ "N1", "opleggertrekker",	"BC",	18000,	0 },
		{ "",	"opleggertrekker",	"BC",	18000,	0 },
		{ "N3", "opleggertrekker",	"BC",	3500,	0 },
		{ "N3", "opleggertrekker",	"BC",	3501,	1 },
		{ "N3", "",			"",	18000,	0 },
	};
	struct t_val		cats, ol, bc, m;
	struct zes_cond		body[2], top[3], any, notm, cmpm, c;
	struct zes_value	facts[ZES_F_VEHICLE_END];
	size_t			i;

	(void)state;
	t_val("S:N2,N3", &cats);
	t_val("s:opleggertrekker", &ol);
	t_val("s:BC", &bc);
	t_val("i:3500", &m);
	body[0] = t_cmp(ZES_F_BODY_DESCRIPTION, ZES_OP_EQ, &ol);
	body[1] = t_cmp(ZES_F_BODY_TYPE, ZES_OP_EQ, &bc);
	any = t_node(ZES_COND_ANY, body, 2);
	cmpm = t_cmp(ZES_F_MASS_KG, ZES_OP_LE, &m);
	notm = t_node(ZES_COND_NOT, &cmpm, 1);
	top[0] = t_cmp(ZES_F_CATEGORY, ZES_OP_IN, &cats);
	top[1] = any;
	top[2] = notm;
	c = t_node(ZES_COND_ALL, top, 3);
	for (i = 0; i < ZES_NELEM(vehicles); i++) {
		memset(facts, 0, sizeof(facts));
		if (vehicles[i].category[0] != '\0') {
			facts[ZES_F_CATEGORY].type = ZES_V_STRING;
			facts[ZES_F_CATEGORY].u.s = vehicles[i].category;
		}
		if (vehicles[i].desc[0] != '\0') {
			facts[ZES_F_BODY_DESCRIPTION].type = ZES_V_STRING;
			facts[ZES_F_BODY_DESCRIPTION].u.s = vehicles[i].desc;
		}
		if (vehicles[i].body[0] != '\0') {
			facts[ZES_F_BODY_TYPE].type = ZES_V_STRING;
			facts[ZES_F_BODY_TYPE].u.s = vehicles[i].body;
		}
		if (vehicles[i].mass >= 0) {
			facts[ZES_F_MASS_KG].type = ZES_V_INT;
			facts[ZES_F_MASS_KG].u.i = vehicles[i].mass;
		}
		if (zes_cond_eval(&c, facts) != vehicles[i].want)
			fail_msg("vehicle %zu: want %d", i, vehicles[i].want);
	}
}

/* A field id past the vehicle fields indexes a longer facts array. */
static void
test_later_field(void **state)
{
	struct zes_value	facts[ZES_F_VEHICLE_END + 2];
	struct t_val		v;
	struct zes_cond		c;

	(void)state;
	memset(facts, 0, sizeof(facts));
	facts[ZES_F_VEHICLE_END + 1].type = ZES_V_INT;
	facts[ZES_F_VEHICLE_END + 1].u.i = 13;
	t_val("i:13", &v);
	c = t_cmp(ZES_F_CATEGORY, ZES_OP_GE, &v);
	c.field = ZES_F_VEHICLE_END + 1;
	assert_true(zes_cond_eval(&c, facts));
	t_val("i:14", &v);
	c.value = v.v;
	assert_false(zes_cond_eval(&c, facts));
}

/* Facts with only vehicle.firstAdmission, on day det (ZES_DAY_NONE: absent). */
static void
t_det_facts(struct zes_value facts[ZES_F_VEHICLE_END], int64_t det)
{
	memset(facts, 0, sizeof(struct zes_value) * ZES_F_VEHICLE_END);
	if (det != ZES_DAY_NONE) {
		facts[ZES_F_FIRST_ADMISSION].type = ZES_V_DATE;
		facts[ZES_F_FIRST_ADMISSION].u.i = det;
	}
}

/* The day of a one-expression bound "DET + years". */
static int64_t
t_det_plus(const char *det, int years, int before)
{
	struct zes_value	facts[ZES_F_VEHICLE_END];
	struct zes_dayexpr	e = { ZES_F_FIRST_ADMISSION, 0, years, 0, 0 };
	struct zes_daybound	b = { &e, 1 };

	t_det_facts(facts, t_day(det));
	return before ? zes_daybound_before(&b, facts) :
	    zes_daybound_from(&b, facts);
}

/* plusYears: the same day, and 29 February to 28 February in a common year. */
static void
test_daybound_plus_years(void **state)
{
	static const struct {
		const char	*det;
		int		 years;
		const char	*want;
	} cases[] = {
		{ "1986-03-15", 40,	"2026-03-15" },
		{ "2015-06-01", 13,	"2028-06-01" },
		{ "2012-02-29", 13,	"2025-02-28" },	/* common year */
		{ "1988-02-29", 40,	"2028-02-29" },	/* leap year again */
		{ "2060-02-29", 40,	"2100-02-28" },	/* 2100 is not leap */
		{ "2096-02-29", 4,	"2100-02-28" },
		{ "2012-02-29", 1,	"2013-02-28" },
		{ "2012-02-29", 4,	"2016-02-29" },
		{ "2013-02-28", 13,	"2026-02-28" },
		{ "2012-03-01", 13,	"2025-03-01" },
		{ "2024-12-31", 0,	"2024-12-31" },
		{ "1985-12-31", 40,	"2025-12-31" },
	};
	size_t	i;

	(void)state;
	for (i = 0; i < ZES_NELEM(cases); i++) {
		if (t_det_plus(cases[i].det, cases[i].years, 0) !=
		    t_day(cases[i].want) ||
		    t_det_plus(cases[i].det, cases[i].years, 1) !=
		    t_day(cases[i].want))
			fail_msg("%s + %d years: want %s", cases[i].det,
			    cases[i].years, cases[i].want);
	}
}

/* from = latest, before = earliest, none for an empty list or unknown date. */
static void
test_daybound_lists(void **state)
{
	struct zes_value	facts[ZES_F_VEHICLE_END];
	struct zes_dayexpr	e[3];
	struct zes_daybound	b;

	(void)state;
	t_det_facts(facts, t_day("2015-06-01"));
	e[0] = (struct zes_dayexpr){ -1, t_day("2030-01-01"), 0, 0, 0 };
	e[1] = (struct zes_dayexpr){ ZES_F_FIRST_ADMISSION, 0, 13, 0, 0 };
	e[2] = (struct zes_dayexpr){ -1, t_day("2017-01-01"), 0, 0, 0 };

	b = (struct zes_daybound){ e, 0 };
	assert_true(zes_daybound_from(&b, facts) == ZES_DAY_NONE);
	assert_true(zes_daybound_before(&b, facts) == ZES_DAY_NONE);

	b = (struct zes_daybound){ e, 1 };
	assert_true(zes_daybound_from(&b, facts) == t_day("2030-01-01"));
	assert_true(zes_daybound_before(&b, facts) == t_day("2030-01-01"));

	b = (struct zes_daybound){ e, 2 };
	assert_true(zes_daybound_from(&b, facts) == t_day("2030-01-01"));
	assert_true(zes_daybound_before(&b, facts) == t_day("2028-06-01"));

	b = (struct zes_daybound){ e, 3 };
	assert_true(zes_daybound_from(&b, facts) == t_day("2030-01-01"));
	assert_true(zes_daybound_before(&b, facts) == t_day("2017-01-01"));

	b = (struct zes_daybound){ e + 1, 2 };
	assert_true(zes_daybound_from(&b, facts) == t_day("2028-06-01"));
	assert_true(zes_daybound_before(&b, facts) == t_day("2017-01-01"));

	/* DET + 13 after 2030 for a young vehicle: 2030 is earliest */
	t_det_facts(facts, t_day("2020-01-01"));
	b = (struct zes_daybound){ e, 2 };
	assert_true(zes_daybound_before(&b, facts) == t_day("2030-01-01"));
	assert_true(zes_daybound_from(&b, facts) == t_day("2033-01-01"));

	/* an unknown date makes the whole bound unknown, not the known rest */
	t_det_facts(facts, ZES_DAY_NONE);
	b = (struct zes_daybound){ e, 3 };
	assert_true(zes_daybound_from(&b, facts) == ZES_DAY_NONE);
	assert_true(zes_daybound_before(&b, facts) == ZES_DAY_NONE);
	b = (struct zes_daybound){ e, 1 };
	assert_true(zes_daybound_before(&b, facts) == t_day("2030-01-01"));

	/* a field that is not a date (a loader bug) counts as unknown */
	facts[ZES_F_FIRST_ADMISSION].type = ZES_V_INT;
	facts[ZES_F_FIRST_ADMISSION].u.i = t_day("2015-06-01");
	b = (struct zes_daybound){ e + 1, 1 };
	assert_true(zes_daybound_before(&b, facts) == ZES_DAY_NONE);
}

/* The fields of applications (rules/README.md, "Application fields"). */
static void
test_application_fields(void **state)
{
	static const struct {
		enum zes_field	 f;
		const char	*name;
		enum zes_vtype	 type;
	} fields[] = {
		{ ZES_F_REGISTERED,	"vehicle.registered",		ZES_V_BOOL },
		{ ZES_F_PERIOD_FROM,	"application.periodFrom",	ZES_V_DATE },
		{ ZES_F_PERIOD_UNTIL,	"application.periodUntil",	ZES_V_DATE },
		{ ZES_F_SUBMITTED_ON,	"application.submittedOn",	ZES_V_DATE },
		{ ZES_F_COUNTRY,	"application.country",		ZES_V_STRING },
		{ ZES_F_ZONE_START,	"municipality.zoneStart",	ZES_V_DATE },
	};
	size_t	i;

	(void)state;
	assert_int_equal(ZES_F_REGISTERED, ZES_F_VEHICLE_END + 1);
	assert_int_equal(ZES_NELEM(fields),
	    ZES_F_APPLICATION_END - ZES_F_VEHICLE_END - 1);
	for (i = 0; i < ZES_NELEM(fields); i++) {
		assert_int_equal(fields[i].f, ZES_F_REGISTERED + (int)i);
		assert_non_null(zes_field_name(fields[i].f));
		assert_string_equal(zes_field_name(fields[i].f),
		    fields[i].name);
		assert_int_equal(zes_field_type(fields[i].f), fields[i].type);
	}
	/* Evidence fields are named by their type, not here. */
	assert_null(zes_field_name(ZES_F_APPLICATION_END));
	assert_null(zes_field_name((enum zes_field)ZES_F_EVIDENCE));
	assert_int_equal(zes_field_type((enum zes_field)(ZES_F_EVIDENCE + 3)),
	    ZES_V_ABSENT);
	assert_int_equal(ZES_F_FACTS_MAX, ZES_F_EVIDENCE + ZES_EVIDENCE_MAX);
}

/*
 * A comparison whose value is a day expression of the facts: "period.from
 * le submittedOn + 365 days", "statement ge submittedOn - 12 months", "from
 * lt DET + 13 years", each on both sides, and an absent right side.
 */
static void
test_cmp_day_value(void **state)
{
	static const struct {
		enum zes_field	 f;
		enum zes_cond_op op;
		const char	*left;
		int		 field;
		int		 y, m, d;
		const char	*right;	/* the field's day; NULL absent */
		int		 want;
	} cases[] = {
		{ ZES_F_PERIOD_FROM, ZES_OP_LE, "2027-03-02", ZES_F_SUBMITTED_ON,
		  0, 0, 365, "2026-03-02", 1 },
		{ ZES_F_PERIOD_FROM, ZES_OP_LE, "2027-03-03", ZES_F_SUBMITTED_ON,
		  0, 0, 365, "2026-03-02", 0 },
		/* 365 days across 29 February 2024 end on 1 March. */
		{ ZES_F_PERIOD_FROM, ZES_OP_LE, "2024-03-02", ZES_F_SUBMITTED_ON,
		  0, 0, 365, "2023-03-02", 0 },
		{ ZES_F_PERIOD_FROM, ZES_OP_LE, "2024-03-01", ZES_F_SUBMITTED_ON,
		  0, 0, 365, "2023-03-02", 1 },
		{ ZES_F_PERIOD_FROM, ZES_OP_GE, "2025-03-02", ZES_F_SUBMITTED_ON,
		  0, -12, 0, "2026-03-02", 1 },
		{ ZES_F_PERIOD_FROM, ZES_OP_GE, "2025-03-01", ZES_F_SUBMITTED_ON,
		  0, -12, 0, "2026-03-02", 0 },
		{ ZES_F_PERIOD_FROM, ZES_OP_GE, "2025-02-28", ZES_F_SUBMITTED_ON,
		  0, -12, 0, "2026-02-28", 1 },
		{ ZES_F_PERIOD_FROM, ZES_OP_LT, "2026-03-31", ZES_F_FIRST_ADMISSION,
		  13, 0, 0, "2013-04-01", 1 },
		{ ZES_F_PERIOD_FROM, ZES_OP_LT, "2026-04-01", ZES_F_FIRST_ADMISSION,
		  13, 0, 0, "2013-04-01", 0 },
		{ ZES_F_PERIOD_FROM, ZES_OP_LT, "2025-02-28", ZES_F_FIRST_ADMISSION,
		  13, 0, 0, "2012-02-29", 0 },
		/* 2025-03-31 + 1 year + 1 month (30 April) - 1 day. */
		{ ZES_F_PERIOD_FROM, ZES_OP_EQ, "2026-04-29", ZES_F_SUBMITTED_ON,
		  1, 1, -1, "2025-03-31", 1 },
		{ ZES_F_PERIOD_FROM, ZES_OP_NE, "2026-04-29", ZES_F_SUBMITTED_ON,
		  1, 1, -1, "2025-03-31", 0 },
		{ ZES_F_PERIOD_FROM, ZES_OP_EQ, "2026-04-30", ZES_F_SUBMITTED_ON,
		  1, 1, -1, "2025-03-31", 0 },
		{ ZES_F_PERIOD_FROM, ZES_OP_GT, "2026-04-30", ZES_F_ZONE_START,
		  0, 0, 0, "2026-04-29", 1 },
		/* Nothing to compare with: like an absent fact. */
		{ ZES_F_PERIOD_FROM, ZES_OP_LT, "2026-04-30", ZES_F_ZONE_START,
		  0, 0, 0, NULL, 0 },
		{ ZES_F_PERIOD_FROM, ZES_OP_GE, "2026-04-30", ZES_F_ZONE_START,
		  0, 0, 0, NULL, 0 },
		{ ZES_F_PERIOD_FROM, ZES_OP_EQ, "2026-04-30", ZES_F_ZONE_START,
		  0, 0, 0, NULL, 0 },
		{ ZES_F_PERIOD_FROM, ZES_OP_NE, "2026-04-30", ZES_F_ZONE_START,
		  0, 0, 0, NULL, 1 },
		/* An absent left side. */
		{ ZES_F_PERIOD_UNTIL, ZES_OP_LE, NULL, ZES_F_SUBMITTED_ON,
		  0, 0, 0, "2026-03-02", 0 },
	};
	struct zes_value	facts[ZES_F_FACTS_MAX];
	struct zes_dayexpr	e;
	struct zes_cond		c;
	size_t			i;

	(void)state;
	for (i = 0; i < ZES_NELEM(cases); i++) {
		memset(facts, 0, sizeof(facts));
		if (cases[i].left != NULL) {
			facts[cases[i].f].type = ZES_V_DATE;
			facts[cases[i].f].u.i = t_day(cases[i].left);
		}
		if (cases[i].right != NULL) {
			facts[cases[i].field].type = ZES_V_DATE;
			facts[cases[i].field].u.i = t_day(cases[i].right);
		}
		e = (struct zes_dayexpr){ cases[i].field, 0, cases[i].y,
		    cases[i].m, cases[i].d };
		memset(&c, 0, sizeof(c));
		c.kind = ZES_COND_CMP;
		c.field = (int)cases[i].f;
		c.op = cases[i].op;
		c.value.type = ZES_V_DATE;
		c.value.u.i = ZES_DAY_NONE;
		c.day = &e;
		if (zes_cond_eval(&c, facts) != cases[i].want)
			fail_msg("case %zu: want %d", i, cases[i].want);
	}
}

/* Day expressions: years, then months (clamped), then days; none for absent. */
static void
test_dayexpr_plus(void **state)
{
	static const struct {
		const char	*day;
		int		 y, m, d;
		const char	*want;
	} cases[] = {
		{ "2026-03-02", 0, 0, 365,	"2027-03-02" },
		{ "2027-03-02", 0, 0, -365,	"2026-03-02" },
		{ "2026-03-31", 0, -1, 0,	"2026-02-28" },
		{ "2026-03-31", 0, -12, 0,	"2025-03-31" },
		{ "2028-02-29", 1, 0, 0,	"2029-02-28" },
		{ "2028-02-29", 0, 12, 0,	"2029-02-28" },
		{ "2028-01-31", 0, 1, 0,	"2028-02-29" },
		{ "2026-01-31", 1, 1, 1,	"2027-03-01" },
		{ "2026-01-31", 0, 13, 0,	"2027-02-28" },
		{ "2026-12-31", 0, 0, 1,	"2027-01-01" },
		{ "2026-03-02", -13, 0, 0,	"2013-03-02" },
	};
	struct zes_value	facts[ZES_F_FACTS_MAX];
	struct zes_dayexpr	e;
	size_t			i;

	(void)state;
	memset(facts, 0, sizeof(facts));
	for (i = 0; i < ZES_NELEM(cases); i++) {
		facts[ZES_F_SUBMITTED_ON].type = ZES_V_DATE;
		facts[ZES_F_SUBMITTED_ON].u.i = t_day(cases[i].day);
		e = (struct zes_dayexpr){ ZES_F_SUBMITTED_ON, 0, cases[i].y,
		    cases[i].m, cases[i].d };
		if (zes_dayexpr_eval(&e, facts) != t_day(cases[i].want))
			fail_msg("%s %+d y %+d m %+d d: want %s", cases[i].day,
			    cases[i].y, cases[i].m, cases[i].d, cases[i].want);
	}
	facts[ZES_F_SUBMITTED_ON].type = ZES_V_ABSENT;
	assert_true(zes_dayexpr_eval(&e, facts) == ZES_DAY_NONE);
	/* A fixed day is itself. */
	e = (struct zes_dayexpr){ -1, t_day("2030-01-01"), 0, 0, 0 };
	assert_true(zes_dayexpr_eval(&e, facts) == t_day("2030-01-01"));
	/* An evidence field is a field like any. */
	facts[ZES_F_EVIDENCE + 2].type = ZES_V_DATE;
	facts[ZES_F_EVIDENCE + 2].u.i = t_day("2027-04-15");
	e = (struct zes_dayexpr){ ZES_F_EVIDENCE + 2, 0, 0, 0, 1 };
	assert_true(zes_dayexpr_eval(&e, facts) == t_day("2027-04-16"));
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_field_table),
		cmocka_unit_test(test_cmp_table),
		cmocka_unit_test(test_cmp_absent_rule),
		cmocka_unit_test(test_empty_sets),
		cmocka_unit_test(test_combinators),
		cmocka_unit_test(test_not_absent),
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_later_field),
		cmocka_unit_test(test_daybound_plus_years),
		cmocka_unit_test(test_daybound_lists),
		cmocka_unit_test(test_application_fields),
		cmocka_unit_test(test_cmp_day_value),
		cmocka_unit_test(test_dayexpr_plus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
