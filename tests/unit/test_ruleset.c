/*
 * Unit tests for core/ruleset.c and rulesdir.c: the real rules/ folder
 * loads with the content of DOMAIN.md (the exemption types of §5 too);
 * every kind of error is reported at its file and JSON pointer (a table of
 * text snippets, malformed type definitions included); several errors at
 * once are all listed; the rules folders of tests/unit/data/rules; zone
 * calendars at local midnight; references (leaks show under LSan).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "rules_load.h"
#include <openssl/evp.h>

#include "zes/period.h"
#include "zes/rulesdir.h"
#include "zes/ruleset.h"

#ifndef ZES_SOURCE_DIR
#error "ZES_SOURCE_DIR must name the repository"
#endif

#define T_RULES		ZES_SOURCE_DIR "/rules"
#define T_DATA		ZES_SOURCE_DIR "/tests/unit/data/rules"

/* Parse a date the test knows to be good. */
static int64_t
t_day(const char *s)
{
	int64_t	day = 0;

	if (zes_date_parse(s, strlen(s), &day) != 0)
		fail_msg("date %s refused", s);
	return day;
}

/* Parse an RFC 3339 instant the test knows to be good. */
static int64_t
t_time(const char *s)
{
	int64_t	t = 0;

	if (zes_time_parse_rfc3339(s, strlen(s), &t) != 0)
		fail_msg("time %s refused", s);
	return t;
}

/* Lower-case hex SHA-256 of a file, computed apart from the loader. */
static void
t_file_sha256(const char *path, char out[65])
{
	unsigned char	 md[32], buf[4096];
	unsigned int	 mdlen = 0, i;
	EVP_MD_CTX	*ctx;
	FILE		*f;
	size_t		 n;

	assert_non_null(f = fopen(path, "rb"));
	assert_non_null(ctx = EVP_MD_CTX_new());
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		assert_int_equal(EVP_DigestUpdate(ctx, buf, n), 1);
	assert_int_equal(EVP_DigestFinal_ex(ctx, md, &mdlen), 1);
	EVP_MD_CTX_free(ctx);
	fclose(f);
	for (i = 0; i < 32; i++)
		(void)snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* The repository's rules folder: DOMAIN.md §1-§4, §6 and §9. */
static void
test_real_rules(void **state)
{
	static const char *const	 codes[] = {
		"GM0489", "GM0502", "GM0503", "GM0518", "GM0542", "GM0556",
		"GM0597", "GM0599", "GM0603", "GM0606", "GM0613", "GM0622",
		"GM0629", "GM0637", "GM1621", "GM1783", "GM1842", "GM1916",
		"GM1926", "GM1930", "GM1992",
	};
	static const char *const	 transition[] = {
		"transition_van_ek5", "transition_van_ek6",
		"transition_tractor_ek6", "transition_rigid_ek6_young",
		"transition_rigid_ek6_old",
	};
	static const char *const	 before[] = {
		"2027-01-01", "2029-01-01", "2030-01-01", "2030-01-01",
		"2028-01-01",
	};
	static const char *const	 automatic[] = {
		"oldtimer", "wheelchair_accessible", "special_body",
	};
	static const char *const	 refusals[] = {
		"registered_after_cutoff", "emission_class_unknown",
		"emission_class_too_low", "registered_before_window",
		"transition_expired",
	};
	static const char *const	 kinds[] = { "van", "tractor", "rigid" };
	const struct zes_national	*n;
	const struct zes_municipality	*m;
	struct zes_rules		*r;
	size_t				 i, zones = 0;
	char				 sha[65];

	(void)state;
	r = t_load(T_RULES);
	n = &r->national;

	assert_string_equal(r->national_info.name, "Rijk");
	assert_non_null(r->national_info.version);
	assert_non_null(r->national_info.doc);
	t_file_sha256(T_RULES "/national.json", sha);
	assert_string_equal(r->national_info.sha256, sha);

	/* The scope, typed: category in a list of strings. */
	assert_int_equal(n->scope.kind, ZES_COND_CMP);
	assert_int_equal(n->scope.field, ZES_F_CATEGORY);
	assert_int_equal(n->scope.op, ZES_OP_IN);
	assert_int_equal(n->scope.value.type, ZES_V_STRSET);
	assert_int_equal(n->scope.value.u.ss.n, 3);
	assert_int_equal(n->nze_classes, 1);
	assert_string_equal(n->ze_classes[0], "Z");
	assert_int_equal(n->nze_fuels, 2);
	assert_string_equal(n->ze_fuels[0], "Elektriciteit");
	assert_string_equal(n->ze_fuels[1], "Waterstof");

	assert_int_equal(n->nkinds, ZES_NELEM(kinds));
	for (i = 0; i < ZES_NELEM(kinds); i++)
		assert_string_equal(n->kinds[i].kind, kinds[i]);
	assert_int_equal(n->ntransition, ZES_NELEM(transition));
	for (i = 0; i < ZES_NELEM(transition); i++) {
		assert_string_equal(n->transition[i].ground, transition[i]);
		assert_int_equal(n->transition[i].from.n, 0);
		assert_int_equal(n->transition[i].before.n, 1);
		assert_int_equal(n->transition[i].before.v[0].field, -1);
		assert_int_equal(n->transition[i].before.v[0].day,
		    t_day(before[i]));
	}
	assert_int_equal(n->nautomatic, ZES_NELEM(automatic));
	for (i = 0; i < ZES_NELEM(automatic); i++)
		assert_string_equal(n->automatic[i].ground, automatic[i]);
	/* oldtimer from DET + 40; special_body before min(DET + 13, 2030). */
	assert_int_equal(n->automatic[0].from.n, 1);
	assert_int_equal(n->automatic[0].from.v[0].field, ZES_F_FIRST_ADMISSION);
	assert_int_equal(n->automatic[0].from.v[0].plus_years, 40);
	assert_int_equal(n->automatic[2].before.n, 2);
	assert_int_equal(n->automatic[2].before.v[0].field,
	    ZES_F_FIRST_ADMISSION);
	assert_int_equal(n->automatic[2].before.v[0].plus_years, 13);
	assert_int_equal(n->automatic[2].before.v[1].day, t_day("2030-01-01"));
	assert_int_equal(n->nrefusals, ZES_NELEM(refusals));
	for (i = 0; i < ZES_NELEM(refusals); i++)
		assert_string_equal(n->refusals[i].ground, refusals[i]);

	assert_int_equal(n->nstatutes, 1);
	assert_int_equal(n->statutes[0].ntypes, 2);
	assert_string_equal(n->statutes[0].types[0], "business_hardship");
	assert_string_equal(n->statutes[0].types[1], "grid_congestion");
	assert_int_equal(n->statutes[0].granted_from_day, t_day("2026-01-01"));
	assert_int_equal(n->statutes[0].from_day, t_day("2026-01-01"));

	/* The 21 MRDH municipalities, sorted; three zones from 2025-01-01. */
	assert_int_equal(r->nmunis, ZES_NELEM(codes));
	for (i = 0; i < ZES_NELEM(codes); i++) {
		m = &r->munis[i];
		assert_string_equal(m->code, codes[i]);
		assert_ptr_equal(zes_rules_municipality(r, codes[i]), m);
		assert_string_equal(m->info->issuer, codes[i]);
		assert_int_equal(strlen(m->info->sha256), 64);
		assert_non_null(m->info->doc);
		if (!m->has_zone) {
			assert_int_equal(m->nperiods, 0);
			continue;
		}
		zones++;
		assert_true(strcmp(m->code, "GM0503") == 0 ||
		    strcmp(m->code, "GM0518") == 0 ||
		    strcmp(m->code, "GM0599") == 0);
		assert_non_null(m->zone_name);
		assert_int_equal(m->nperiods, 1);
		assert_int_equal(m->periods[0].from_day, t_day("2025-01-01"));
		assert_int_equal(m->periods[0].before_day, ZES_DAY_NONE);
	}
	assert_int_equal(zones, 3);
	assert_string_equal(zes_rules_municipality(r, "GM0518")->info->name,
	    "Den Haag");
	assert_string_equal(zes_rules_municipality(r, "GM0599")->info->name,
	    "Rotterdam");
	assert_null(zes_rules_municipality(r, "GM0363"));
	assert_null(zes_rules_municipality(r, "GM05"));
	assert_null(zes_rules_municipality(r, "national"));
	zes_rules_unref(r);
}

/* The national issuer fits its field (include/zes/ruleset.h). */
static void
test_national_issuer(void **state)
{
	struct zes_rules	*r;
	char			 issuer[sizeof(r->national_info.issuer)];

	(void)state;
	r = t_load(T_RULES);
	memcpy(issuer, r->national_info.issuer, sizeof(issuer));
	zes_rules_unref(r);
	assert_string_equal(issuer, "national");
}

/* Facts of a vehicle with the given raw and derived values. */
static void
t_facts(struct zes_value f[ZES_F_VEHICLE_END], const char *category,
    int mass, int cls, const char *det)
{
	memset(f, 0, ZES_F_VEHICLE_END * sizeof(*f));
	f[ZES_F_CATEGORY].type = ZES_V_STRING;
	f[ZES_F_CATEGORY].u.s = category;
	f[ZES_F_MASS_KG].type = ZES_V_INT;
	f[ZES_F_MASS_KG].u.i = mass;
	if (cls >= 0) {
		f[ZES_F_EMISSION_CLASS].type = ZES_V_INT;
		f[ZES_F_EMISSION_CLASS].u.i = cls;
	}
	f[ZES_F_ZERO_EMISSION].type = ZES_V_BOOL;
	f[ZES_F_ZERO_EMISSION].u.i = 0;
	f[ZES_F_FIRST_ADMISSION].type = ZES_V_DATE;
	f[ZES_F_FIRST_ADMISSION].u.i = t_day(det);
	f[ZES_F_SPECIAL_CODES].type = ZES_V_INTSET;
	f[ZES_F_FUELS].type = ZES_V_STRSET;
}

/* The kind the national rules give, set into the facts; NULL for none. */
static const char *
t_kind(const struct zes_national *n, struct zes_value f[ZES_F_VEHICLE_END])
{
	size_t	i;

	for (i = 0; i < n->nkinds; i++) {
		if (zes_cond_eval(&n->kinds[i].when, f)) {
			f[ZES_F_KIND].type = ZES_V_STRING;
			f[ZES_F_KIND].u.s = n->kinds[i].kind;
			return n->kinds[i].kind;
		}
	}
	return NULL;
}

/* The ground of the first transition rule whose condition holds, or "". */
static const char *
t_transition(const struct zes_national *n, const struct zes_value *f)
{
	size_t	i;

	for (i = 0; i < n->ntransition; i++)
		if (zes_cond_eval(&n->transition[i].when, f))
			return n->transition[i].ground;
	return "";
}

/* The typed trees of national.json decide as DOMAIN.md §1 and §3 say. */
static void
test_real_rules_decide(void **state)
{
	struct zes_value	 f[ZES_F_VEHICLE_END];
	struct zes_rules	*r;
	const struct zes_national *n;

	(void)state;
	r = t_load(T_RULES);
	n = &r->national;

	t_facts(f, "N1", 3500, 5, "2020-05-01");
	assert_true(zes_cond_eval(&n->scope, f));
	assert_string_equal(t_kind(n, f), "van");
	assert_string_equal(t_transition(n, f), "transition_van_ek5");

	t_facts(f, "N1", 3500, 6, "2024-12-31");
	assert_string_equal(t_kind(n, f), "van");
	assert_string_equal(t_transition(n, f), "transition_van_ek6");

	t_facts(f, "N1", 3500, 6, "2025-01-01");
	(void)t_kind(n, f);
	assert_string_equal(t_transition(n, f), "");
	assert_true(zes_cond_eval(&n->refusals[0].when, f));

	t_facts(f, "N3", 18000, 6, "2018-03-01");
	f[ZES_F_BODY_DESCRIPTION].type = ZES_V_STRING;
	f[ZES_F_BODY_DESCRIPTION].u.s = "opleggertrekker";
	assert_string_equal(t_kind(n, f), "tractor");
	assert_string_equal(t_transition(n, f), "transition_tractor_ek6");

	t_facts(f, "N2", 7500, 6, "2018-03-01");
	assert_string_equal(t_kind(n, f), "rigid");
	assert_string_equal(t_transition(n, f), "transition_rigid_ek6_old");

	t_facts(f, "N2", 7500, 6, "2016-12-31");
	(void)t_kind(n, f);
	assert_string_equal(t_transition(n, f), "");
	assert_true(zes_cond_eval(&n->refusals[3].when, f));

	t_facts(f, "N2", 7500, -1, "2016-12-31");
	(void)t_kind(n, f);
	assert_true(zes_cond_eval(&n->refusals[1].when, f));

	t_facts(f, "M1", 1500, 5, "2013-05-17");
	assert_false(zes_cond_eval(&n->scope, f));

	/* wheelchair_accessible: a special code from the list. */
	t_facts(f, "N1", 3000, 4, "2010-01-01");
	(void)t_kind(n, f);
	{
		static const int64_t	codes[] = { 12, 146 };

		f[ZES_F_SPECIAL_CODES].u.is.v = codes;
		f[ZES_F_SPECIAL_CODES].u.is.n = 2;
		assert_true(zes_cond_eval(&n->automatic[1].when, f));
		f[ZES_F_SPECIAL_CODES].u.is.n = 1;
		assert_false(zes_cond_eval(&n->automatic[1].when, f));
	}
	zes_rules_unref(r);
}

/* Zone calendars at local midnight, Europe/Amsterdam. */
static void
test_zone_in_force(void **state)
{
	const struct zes_municipality	*m;
	struct zes_rules		*r;

	(void)state;
	r = t_load(T_RULES);
	m = zes_rules_municipality(r, "GM0599");
	assert_non_null(m);
	assert_false(zes_zone_in_force(m, t_time("2024-12-31T22:59:59Z")));
	assert_true(zes_zone_in_force(m, t_time("2024-12-31T23:00:00Z")));
	assert_true(zes_zone_in_force(m, t_time("2099-06-01T12:00:00Z")));
	assert_false(zes_zone_in_force(zes_rules_municipality(r, "GM0613"),
	    t_time("2026-06-01T12:00:00Z")));
	assert_false(zes_zone_in_force(NULL, t_time("2026-06-01T12:00:00Z")));
	zes_rules_unref(r);

	/* Periods given out of order are sorted; a gap is not in force. */
	r = t_load(T_DATA "/good");
	m = zes_rules_municipality(r, "GM0599");
	assert_non_null(m);
	assert_int_equal(m->nperiods, 2);
	assert_int_equal(m->periods[0].from_day, t_day("2025-01-01"));
	assert_int_equal(m->periods[0].before_day, t_day("2026-01-01"));
	assert_int_equal(m->periods[1].from_day, t_day("2027-01-01"));
	assert_false(zes_zone_in_force(m, t_time("2024-12-31T22:59:59Z")));
	assert_true(zes_zone_in_force(m, t_time("2024-12-31T23:00:00Z")));
	/* 2025-12-31 ends at 23:00 UTC (CET). */
	assert_true(zes_zone_in_force(m, t_time("2025-12-31T22:59:59Z")));
	assert_false(zes_zone_in_force(m, t_time("2025-12-31T23:00:00Z")));
	assert_false(zes_zone_in_force(m, t_time("2026-07-01T00:00:00Z")));
	assert_true(zes_zone_in_force(m, t_time("2026-12-31T23:00:00Z")));
	zes_rules_unref(r);
}

/*
 * A national.json built from slots; a NULL slot takes the default, which
 * is valid.  top is inserted before the first member.
 */
struct t_national {
	const char	*top;
	const char	*head;		/* format, issuer, name, version */
	const char	*scope;
	const char	*kinds;
	const char	*transition;
	const char	*automatic;
	const char	*refusals;
	const char	*recognition;
};

#define T_DEF_HEAD	"\"format\": 1, \"issuer\": \"national\", " \
	"\"name\": \"Rijk\", \"version\": \"t\""
#define T_DEF_SCOPE	"{\"field\": \"vehicle.category\", \"op\": \"in\", " \
	"\"value\": [\"N1\"]}"
#define T_DEF_KINDS	"[{\"kind\": \"van\", \"when\": {\"field\": " \
	"\"vehicle.massKg\", \"op\": \"le\", \"value\": 3500}}, " \
	"{\"kind\": \"rigid\", \"when\": {\"all\": []}}]"
#define T_DEF_TRANSITION "[{\"ground\": \"t_one\", \"when\": {\"field\": " \
	"\"vehicle.kind\", \"op\": \"eq\", \"value\": \"van\"}, " \
	"\"before\": \"2027-01-01\"}]"
#define T_DEF_AUTOMATIC	"[{\"ground\": \"a_one\", \"when\": {\"all\": []}, " \
	"\"from\": {\"field\": \"vehicle.firstAdmission\", \"plusYears\": 40}, " \
	"\"before\": \"2030-01-01\"}]"
#define T_DEF_REFUSALS	"[{\"ground\": \"r_one\", \"when\": {\"field\": " \
	"\"vehicle.transitionCovered\", \"op\": \"eq\", \"value\": true}}]"
#define T_DEF_RECOGNITION "[{\"types\": [\"business_hardship\"], " \
	"\"grantedFrom\": \"2026-01-01\", \"from\": \"2026-01-01\"}]"

/* Write the national text of the slots into buf. */
static const char *
t_national_text(const struct t_national *s, char *buf, size_t len)
{
	int	n;

	n = snprintf(buf, len, "{%s%s, \"vehicle\": {\"scope\": "
	    "%s, \"zeroEmission\": {\"emissionClasses\": [\"Z\"], "
	    "\"fuelsWhenNoClass\": [\"Elektriciteit\"]}, \"kinds\": %s}, "
	    "\"access\": {\"transition\": %s, \"automaticExemptions\": %s, "
	    "\"refusals\": %s}, \"recognition\": %s}",
	    s->top ? s->top : "",
	    s->head ? s->head : T_DEF_HEAD,
	    s->scope ? s->scope : T_DEF_SCOPE,
	    s->kinds ? s->kinds : T_DEF_KINDS,
	    s->transition ? s->transition : T_DEF_TRANSITION,
	    s->automatic ? s->automatic : T_DEF_AUTOMATIC,
	    s->refusals ? s->refusals : T_DEF_REFUSALS,
	    s->recognition ? s->recognition : T_DEF_RECOGNITION);
	assert_true(n > 0 && (size_t)n < len);
	return buf;
}

#define T_GM(issuer, zone) "{\"format\": 1, \"issuer\": \"" issuer "\", " \
	"\"name\": \"x\", \"version\": \"t\", \"zone\": " zone "}"
#define T_ZONE(periods) "{\"name\": \"z\", \"periods\": " periods "}"
#define T_OPEN		"[{\"from\": \"2025-01-01\", \"before\": null}]"

/* A municipality file with types, and one type t1 with members of slots. */
#define T_GMT(types) "{\"format\": 1, \"issuer\": \"GM0599\", \"name\": " \
	"\"x\", \"version\": \"t\", \"zone\": " T_ZONE(T_OPEN) ", \"types\": " \
	types "}"
#define T_TYPE_HEAD	"\"offered\": true, \"scope\": \"municipal\", " \
	"\"label\": \"T\""
#define T_TY(rest)	T_GMT("{\"t1\": {" T_TYPE_HEAD ", " rest "}}")
#define T_GRANT		"\"outcome\": {\"decision\": \"grant\"}"
#define T_REVIEW	"\"outcome\": {\"decision\": \"review\", \"reason\": " \
	"\"r\", \"message\": \"m\"}"
#define T_YEAR		"\"validity\": {\"length\": {\"years\": 1}}"
#define T_EV		"\"evidence\": {\"d\": {\"type\": \"date\"}, \"n\": " \
	"{\"type\": \"integer\"}, \"k\": {\"type\": \"string\", \"enum\": " \
	"[\"a\", \"b\"]}}"
#define T_NAT_SV	"\"types\": {\"sv\": {\"offered\": true, \"scope\": " \
	"\"national\", \"label\": \"S\", " T_GRANT ", \"validity\": " \
	"{\"before\": \"2030-01-01\"}}}, "
#define T_C1(r)		"{\"reason\": \"" r "\", \"message\": \"m\", " \
	"\"require\": {\"all\": []}}"
#define T_C3		T_C1("r") ", " T_C1("r") ", " T_C1("r")
#define T_40		"0123456789012345678901234567890123456789"
#define T_240		T_40 T_40 T_40 T_40 T_40 T_40

/*
 * One error case: the national slots (or a whole national text), and a
 * second file; the build must fail with exactly one error, at where, whose
 * message contains msg.
 */
struct t_case {
	const char		*label;
	struct t_national	 nat;
	const char		*national;	/* the whole text, instead of slots */
	const char		*file;		/* a second file, or NULL */
	const char		*text;
	const char		*where;
	const char		*msg;
};

static const struct t_case t_cases[] = {
	/* Members and types, anywhere. */
	{ "unknown member", .nat.top = "\"colour\": 1, ",
	  .where = "national.json#/colour", .msg = "unknown member \"colour\"" },
	{ "pointer escaping", .nat.top = "\"a/b~c\": 1, ",
	  .where = "national.json#/a~1b~0c", .msg = "unknown member" },
	{ "note must be text", .nat.top = "\"note\": 1, ",
	  .where = "national.json#/note", .msg = "must be a string" },
	{ "unknown member deep", .nat.recognition = "[{\"types\": [\"x\"], "
	  "\"grantedFrom\": \"2026-01-01\", \"from\": \"2026-01-01\", "
	  "\"until\": \"2027-01-01\"}]",
	  .where = "national.json#/recognition/0/until",
	  .msg = "unknown member \"until\"" },
	{ "missing member", .national = "{\"format\": 1, \"issuer\": "
	  "\"national\", \"name\": \"Rijk\", \"version\": \"t\", \"vehicle\": "
	  "{\"scope\": {\"all\": []}, \"zeroEmission\": {\"emissionClasses\": "
	  "[\"Z\"], \"fuelsWhenNoClass\": [\"E\"]}, \"kinds\": []}, \"access\": "
	  "{\"transition\": [], \"automaticExemptions\": [], \"refusals\": []}}",
	  .where = "national.json#/recognition",
	  .msg = "missing required member \"recognition\"" },
	{ "format type", .nat.head = "\"format\": \"1\", \"issuer\": "
	  "\"national\", \"name\": \"Rijk\", \"version\": \"t\"",
	  .where = "national.json#/format", .msg = "must be an integer" },
	{ "$ members are ignored", .nat.top = "\"$comment\": {\"x\": 1}, "
	  "\"note\": \"n\", ", .where = NULL },
	{ "wrong type", .nat.kinds = "{}",
	  .where = "national.json#/vehicle/kinds", .msg = "must be an array, "
	  "not an object" },
	{ "empty list", .nat.recognition = "[{\"types\": [], "
	  "\"grantedFrom\": \"2026-01-01\", \"from\": \"2026-01-01\"}]",
	  .where = "national.json#/recognition/0/types",
	  .msg = "must not be empty" },
	{ "listed twice", .nat.recognition = "[{\"types\": [\"a\", \"a\"], "
	  "\"grantedFrom\": \"2026-01-01\", \"from\": \"2026-01-01\"}]",
	  .where = "national.json#/recognition/0/types/1",
	  .msg = "listed twice" },
	{ "bad date", .nat.recognition = "[{\"types\": [\"a\"], "
	  "\"grantedFrom\": \"2026-02-29\", \"from\": \"2026-01-01\"}]",
	  .where = "national.json#/recognition/0/grantedFrom",
	  .msg = "\"2026-02-29\" is not a date" },
	{ "date type", .nat.recognition = "[{\"types\": [\"a\"], "
	  "\"grantedFrom\": 20260101, \"from\": \"2026-01-01\"}]",
	  .where = "national.json#/recognition/0/grantedFrom",
	  .msg = "must be a date \"YYYY-MM-DD\", not an integer" },

	/* Conditions. */
	{ "unknown field", .nat.scope = "{\"field\": \"vehicle.colour\", "
	  "\"op\": \"eq\", \"value\": \"red\"}",
	  .where = "national.json#/vehicle/scope/field",
	  .msg = "unknown field \"vehicle.colour\"" },
	{ "unknown op", .nat.scope = "{\"field\": \"vehicle.category\", "
	  "\"op\": \"equals\", \"value\": \"N1\"}",
	  .where = "national.json#/vehicle/scope/op",
	  .msg = "unknown op \"equals\"" },
	{ "op for the type", .nat.scope = "{\"field\": \"vehicle.category\", "
	  "\"op\": \"lt\", \"value\": \"N1\"}",
	  .where = "national.json#/vehicle/scope/op",
	  .msg = "op \"lt\" does not apply to vehicle.category" },
	{ "intersects a scalar", .nat.scope = "{\"field\": "
	  "\"vehicle.bodyCode\", \"op\": \"intersects\", \"value\": [1]}",
	  .where = "national.json#/vehicle/scope/op",
	  .msg = "does not apply to vehicle.bodyCode" },
	{ "ordered set", .nat.scope = "{\"field\": \"vehicle.fuels\", "
	  "\"op\": \"eq\", \"value\": \"Diesel\"}",
	  .where = "national.json#/vehicle/scope/op",
	  .msg = "its ops are intersects, exists" },
	{ "value type", .nat.scope = "{\"field\": \"vehicle.massKg\", "
	  "\"op\": \"le\", \"value\": \"3500\"}",
	  .where = "national.json#/vehicle/scope/value",
	  .msg = "must be an integer (vehicle.massKg is an integer), not a "
	  "string" },
	{ "fraction is no integer", .nat.scope = "{\"field\": "
	  "\"vehicle.massKg\", \"op\": \"le\", \"value\": 3500.0}",
	  .where = "national.json#/vehicle/scope/value",
	  .msg = "not a fractional number" },
	{ "null only for eq", .nat.scope = "{\"field\": \"vehicle.massKg\", "
	  "\"op\": \"lt\", \"value\": null}",
	  .where = "national.json#/vehicle/scope/value",
	  .msg = "not null" },
	{ "list element", .nat.scope = "{\"field\": \"vehicle.bodyCode\", "
	  "\"op\": \"in\", \"value\": [15, \"16\"]}",
	  .where = "national.json#/vehicle/scope/value/1",
	  .msg = "every element must be an integer" },
	{ "set element", .nat.scope = "{\"field\": \"vehicle.fuels\", "
	  "\"op\": \"intersects\", \"value\": [\"Diesel\", 1]}",
	  .where = "national.json#/vehicle/scope/value/1",
	  .msg = "every element must be a string (vehicle.fuels is a set of "
	  "strings)" },
	{ "in needs a list", .nat.scope = "{\"field\": \"vehicle.category\", "
	  "\"op\": \"in\", \"value\": \"N1\"}",
	  .where = "national.json#/vehicle/scope/value",
	  .msg = "must be a list of strings" },
	{ "exists takes a boolean", .nat.scope = "{\"field\": "
	  "\"vehicle.category\", \"op\": \"exists\", \"value\": 1}",
	  .where = "national.json#/vehicle/scope/value",
	  .msg = "exists takes true or false" },
	{ "date value", .nat.automatic = "[{\"ground\": \"a\", \"when\": "
	  "{\"field\": \"vehicle.firstAdmission\", \"op\": \"lt\", "
	  "\"value\": \"2025-13-01\"}, \"before\": \"2030-01-01\"}]",
	  .where = "national.json#/access/automaticExemptions/0/when/value",
	  .msg = "\"2025-13-01\" is not a date" },
	{ "date value type", .nat.automatic = "[{\"ground\": \"a\", \"when\": "
	  "{\"field\": \"vehicle.firstAdmission\", \"op\": \"lt\", "
	  "\"value\": 2025}, \"before\": \"2030-01-01\"}]",
	  .where = "national.json#/access/automaticExemptions/0/when/value",
	  .msg = "must be a date" },
	{ "missing value", .nat.scope = "{\"field\": \"vehicle.category\", "
	  "\"op\": \"eq\"}",
	  .where = "national.json#/vehicle/scope/value",
	  .msg = "missing required member \"value\"" },
	{ "no form", .nat.scope = "{}",
	  .where = "national.json#/vehicle/scope",
	  .msg = "a condition has \"all\", \"any\", \"not\"" },
	{ "two forms", .nat.scope = "{\"all\": [], \"any\": []}",
	  .where = "national.json#/vehicle/scope/any",
	  .msg = "unknown member \"any\"" },
	{ "condition type", .nat.scope = "[]",
	  .where = "national.json#/vehicle/scope",
	  .msg = "must be an object, not an array" },
	{ "nested pointer", .nat.scope = "{\"all\": [{\"all\": []}, {\"not\": "
	  "{\"any\": [{\"field\": \"vehicle.category\", \"op\": \"eq\", "
	  "\"value\": 1}]}}]}",
	  .where = "national.json#/vehicle/scope/all/1/not/any/0/value",
	  .msg = "must be a string" },
	{ "scope uses raw fields", .nat.scope = "{\"field\": \"vehicle.kind\", "
	  "\"op\": \"eq\", \"value\": \"van\"}",
	  .where = "national.json#/vehicle/scope/field",
	  .msg = "vehicle.scope may use the raw fields only" },
	{ "scope and zero-emission", .nat.scope = "{\"not\": {\"field\": "
	  "\"vehicle.zeroEmission\", \"op\": \"eq\", \"value\": true}}",
	  .where = "national.json#/vehicle/scope/not/field",
	  .msg = "raw fields only" },
	{ "kind from itself", .nat.kinds = "[{\"kind\": \"van\", \"when\": "
	  "{\"field\": \"vehicle.kind\", \"op\": \"exists\", \"value\": true}}]",
	  .where = "national.json#/vehicle/kinds/0/when/field",
	  .msg = "derived from vehicle.kinds" },
	{ "transition from itself", .nat.transition = "[{\"ground\": \"t\", "
	  "\"when\": {\"field\": \"vehicle.transitionCovered\", \"op\": "
	  "\"eq\", \"value\": false}, \"before\": \"2027-01-01\"}]",
	  .where = "national.json#/access/transition/0/when/field",
	  .msg = "derived from access.transition" },
	{ "undeclared kind", .nat.transition = "[{\"ground\": \"t\", "
	  "\"when\": {\"field\": \"vehicle.kind\", \"op\": \"in\", "
	  "\"value\": [\"van\", \"vna\"]}, \"before\": \"2027-01-01\"}]",
	  .where = "national.json#/access/transition/0/when/value/1",
	  .msg = "\"vna\" is not one of the kinds" },

	/* Kinds, grounds, day expressions. */
	{ "kind twice", .nat.kinds = "[{\"kind\": \"van\", \"when\": "
	  "{\"all\": []}}, {\"kind\": \"van\", \"when\": {\"all\": []}}]",
	  .where = "national.json#/vehicle/kinds/1/kind",
	  .msg = "kind \"van\" is declared twice" },
	{ "kind too long", .nat.kinds = "[{\"kind\": \"van\", \"when\": "
	  "{\"all\": []}}, {\"kind\": \"abcdefghijklmnop\", \"when\": "
	  "{\"all\": []}}]",
	  .where = "national.json#/vehicle/kinds/1/kind",
	  .msg = "is not a valid kind" },
	{ "ground twice", .nat.refusals = "[{\"ground\": \"t_one\", "
	  "\"when\": {\"all\": []}}]",
	  .where = "national.json#/access/refusals/0/ground",
	  .msg = "ground \"t_one\" is used already at #/access/transition/0" },
	{ "ground syntax", .nat.refusals = "[{\"ground\": \"Too-Low\", "
	  "\"when\": {\"all\": []}}]",
	  .where = "national.json#/access/refusals/0/ground",
	  .msg = "\"Too-Low\" is not a valid ground" },
	{ "ground too long", .nat.refusals = "[{\"ground\": "
	  "\"abcdefghijklmnopqrstuvwxyz_abcdefghijklm\", \"when\": "
	  "{\"all\": []}}]",
	  .where = "national.json#/access/refusals/0/ground",
	  .msg = "1 to 39 of a-z" },
	{ "transition has no from", .nat.transition = "[{\"ground\": \"t\", "
	  "\"when\": {\"all\": []}, \"from\": \"2025-01-01\", "
	  "\"before\": \"2027-01-01\"}]",
	  .where = "national.json#/access/transition/0/from",
	  .msg = "unknown member \"from\"" },
	{ "transition needs before", .nat.transition = "[{\"ground\": \"t\", "
	  "\"when\": {\"all\": []}}]",
	  .where = "national.json#/access/transition/0/before",
	  .msg = "missing required member \"before\"" },
	{ "from not before before", .nat.automatic = "[{\"ground\": \"a\", "
	  "\"when\": {\"all\": []}, \"from\": \"2030-01-01\", "
	  "\"before\": \"2030-01-01\"}]",
	  .where = "national.json#/access/automaticExemptions/0/before",
	  .msg = "must be after from: the rule would never hold" },
	{ "from after a listed before", .nat.automatic = "[{\"ground\": "
	  "\"a\", \"when\": {\"all\": []}, \"from\": {\"field\": "
	  "\"vehicle.firstAdmission\", \"plusYears\": 13}, \"before\": "
	  "[\"2030-01-01\", {\"field\": \"vehicle.firstAdmission\", "
	  "\"plusYears\": 13}]}]",
	  .where = "national.json#/access/automaticExemptions/0/before",
	  .msg = "must be after from: the rule would never hold" },
	{ "empty bound", .nat.automatic = "[{\"ground\": \"a\", \"when\": "
	  "{\"all\": []}, \"before\": []}]",
	  .where = "national.json#/access/automaticExemptions/0/before",
	  .msg = "must not be an empty list" },
	{ "plusYears range", .nat.automatic = "[{\"ground\": \"a\", \"when\": "
	  "{\"all\": []}, \"from\": {\"field\": \"vehicle.firstAdmission\", "
	  "\"plusYears\": 201}, \"before\": \"2030-01-01\"}]",
	  .where = "national.json#/access/automaticExemptions/0/from/plusYears",
	  .msg = "201 is out of range: plusYears is from -200 to 200" },
	{ "plusDays range", .nat.automatic = "[{\"ground\": \"a\", \"when\": "
	  "{\"all\": []}, \"from\": {\"field\": \"vehicle.firstAdmission\", "
	  "\"plusDays\": -73001}, \"before\": \"2030-01-01\"}]",
	  .where = "national.json#/access/automaticExemptions/0/from/plusDays",
	  .msg = "-73001 is out of range: plusDays is from -73000 to 73000" },
	{ "plusMonths in a bound", .nat.automatic = "[{\"ground\": \"a\", "
	  "\"when\": {\"all\": []}, \"from\": {\"field\": "
	  "\"vehicle.firstAdmission\", \"plusYears\": 40, \"plusMonths\": 6, "
	  "\"plusDays\": -1}, \"before\": \"2030-01-01\"}]", .where = NULL },
	{ "from after before, by months", .nat.automatic = "[{\"ground\": "
	  "\"a\", \"when\": {\"all\": []}, \"from\": {\"field\": "
	  "\"vehicle.firstAdmission\", \"plusYears\": 13, \"plusMonths\": 1}, "
	  "\"before\": {\"field\": \"vehicle.firstAdmission\", \"plusYears\": "
	  "13}}]",
	  .where = "national.json#/access/automaticExemptions/0/before",
	  .msg = "must be after from" },
	{ "application field in a vehicle rule", .nat.scope = "{\"field\": "
	  "\"application.periodFrom\", \"op\": \"ge\", \"value\": "
	  "\"2026-01-01\"}",
	  .where = "national.json#/vehicle/scope/field",
	  .msg = "is not a vehicle field" },
	{ "registered in a vehicle rule", .nat.refusals = "[{\"ground\": "
	  "\"r\", \"when\": {\"field\": \"vehicle.registered\", \"op\": "
	  "\"eq\", \"value\": true}}]",
	  .where = "national.json#/access/refusals/0/when/field",
	  .msg = "is not a vehicle field" },
	{ "evidence in a vehicle rule", .nat.scope = "{\"field\": "
	  "\"evidence.kind\", \"op\": \"eq\", \"value\": \"x\"}",
	  .where = "national.json#/vehicle/scope/field",
	  .msg = "unknown field \"evidence.kind\"" },
	{ "day expression value in a vehicle rule", .nat.refusals = "[{"
	  "\"ground\": \"r\", \"when\": {\"field\": "
	  "\"vehicle.firstAdmission\", \"op\": \"lt\", \"value\": "
	  "{\"field\": \"vehicle.firstAdmission\", \"plusDays\": 1}}}]",
	  .where = NULL },
	{ "day of a non-date", .nat.automatic = "[{\"ground\": \"a\", "
	  "\"when\": {\"all\": []}, \"before\": [\"2030-01-01\", "
	  "{\"field\": \"vehicle.massKg\"}]}]",
	  .where = "national.json#/access/automaticExemptions/0/before/1/field",
	  .msg = "vehicle.massKg is an integer: a day expression needs a date "
	  "field" },
	{ "day expression type", .nat.automatic = "[{\"ground\": \"a\", "
	  "\"when\": {\"all\": []}, \"before\": 2030}]",
	  .where = "national.json#/access/automaticExemptions/0/before",
	  .msg = "must be a date \"YYYY-MM-DD\" or {\"field\", \"plusYears\", "
	  "\"plusMonths\", \"plusDays\"}" },

	/* Files. */
	{ "format 2", .nat.head = "\"format\": 2, \"issuer\": "
	  "\"national\", \"name\": \"Rijk\", \"version\": \"t\"",
	  .where = "national.json#/format",
	  .msg = "format 2 is not known: this zesd reads format 1" },
	{ "not JSON", .national = "{\"format\": 1,",
	  .where = "national.json#", .msg = "not valid JSON (line 1" },
	{ "duplicate key", .national = "{\"format\": 1, \"format\": 1}",
	  .where = "national.json#", .msg = "duplicate object key" },
	{ "not an object", .national = "[]",
	  .where = "national.json#", .msg = "must be a JSON object, not an array" },
	{ "a good municipality", .file = "GM0599.json",
	  .text = T_GM("GM0599", "null"), .where = NULL },
	{ "national.json's issuer", .nat.head = "\"format\": 1, \"issuer\": "
	  "\"GM0599\", \"name\": \"Rijk\", \"version\": \"t\"",
	  .where = "national.json#/issuer", .msg = "its issuer is \"national\"" },
	{ "national issuer elsewhere", .file = "GM0599.json", .text = T_GM("national", "null"),
	  .where = "GM0599.json#/issuer",
	  .msg = "the national rules belong in national.json" },
	{ "issuer differs", .file = "GM0599.json",
	  .text = T_GM("GM0518", "null"), .where = "GM0599.json#/issuer",
	  .msg = "\"GM0518\" differs from the file name GM0599.json" },
	{ "issuer not a code", .file = "Rotterdam.json",
	  .text = T_GM("Rotterdam", "null"), .where = "Rotterdam.json#/issuer",
	  .msg = "\"Rotterdam\" is not a CBS municipality code" },
	{ "not *.json", .file = "GM0599.JSON", .text = T_GM("GM0599", "null"),
	  .where = "GM0599.JSON#", .msg = "not a rule file" },
	{ "two national files", .file = "national.json", .text = "{}",
	  .where = "national.json#", .msg = "given twice" },
	{ "municipality member", .file = "GM0599.json",
	  .text = "{\"format\": 1, \"issuer\": \"GM0599\", \"name\": \"x\", "
	  "\"version\": \"t\", \"zone\": null, \"vehicle\": {}}",
	  .where = "GM0599.json#/vehicle", .msg = "unknown member \"vehicle\"" },
	{ "version empty", .file = "GM0599.json",
	  .text = "{\"format\": 1, \"issuer\": \"GM0599\", \"name\": \"x\", "
	  "\"version\": \"\", \"zone\": null}",
	  .where = "GM0599.json#/version", .msg = "must not be empty" },
	{ "zone missing", .file = "GM0599.json",
	  .text = "{\"format\": 1, \"issuer\": \"GM0599\", \"name\": \"x\", "
	  "\"version\": \"t\"}",
	  .where = "GM0599.json#/zone", .msg = "missing required member" },
	{ "zone type", .file = "GM0599.json", .text = T_GM("GM0599", "true"),
	  .where = "GM0599.json#/zone", .msg = "or null for no zone" },
	{ "no periods", .file = "GM0599.json",
	  .text = T_GM("GM0599", T_ZONE("[]")),
	  .where = "GM0599.json#/zone/periods", .msg = "must not be empty" },
	{ "period needs before", .file = "GM0599.json",
	  .text = T_GM("GM0599", T_ZONE("[{\"from\": \"2025-01-01\"}]")),
	  .where = "GM0599.json#/zone/periods/0/before",
	  .msg = "missing required member \"before\"" },
	{ "period date", .file = "GM0599.json",
	  .text = T_GM("GM0599", T_ZONE("[{\"from\": \"2025-1-1\", "
	  "\"before\": null}]")),
	  .where = "GM0599.json#/zone/periods/0/from", .msg = "is not a date" },
	{ "period ends at its start", .file = "GM0599.json",
	  .text = T_GM("GM0599", T_ZONE("[{\"from\": \"2025-01-01\", "
	  "\"before\": \"2025-01-01\"}]")),
	  .where = "GM0599.json#/zone/periods/0/before",
	  .msg = "must be after from (2025-01-01)" },
	{ "periods overlap", .file = "GM0599.json",
	  .text = T_GM("GM0599", T_ZONE("[{\"from\": \"2025-01-01\", "
	  "\"before\": null}, {\"from\": \"2024-01-01\", "
	  "\"before\": \"2025-01-02\"}]")),
	  .where = "GM0599.json#/zone/periods/1",
	  .msg = "overlaps period 0 (from 2025-01-01, open-ended)" },
	{ "periods touch", .file = "GM0599.json",
	  .text = T_GM("GM0599", T_ZONE("[{\"from\": \"2026-01-01\", "
	  "\"before\": null}, {\"from\": \"2025-01-01\", "
	  "\"before\": \"2026-01-01\"}]")), .where = NULL },
	{ "change member", .file = "GM0599.json",
	  .text = T_GM("GM0599", "{\"name\": \"z\", \"periods\": " T_OPEN ", "
	  "\"changes\": [{\"from\": \"2026-01-01\", \"to\": \"coast\"}]}"),
	  .where = "GM0599.json#/zone/changes/0/to",
	  .msg = "unknown member \"to\"" },
	{ "zone name", .file = "GM0599.json",
	  .text = T_GM("GM0599", "{\"name\": 5, \"periods\": " T_OPEN "}"),
	  .where = "GM0599.json#/zone/name", .msg = "must be a string" },
	/* Exemption types (rules/README.md, "Exemption types"). */
	{ "a good type", .file = "GM0599.json", .text = T_TY(T_EV ", "
	  T_GRANT ", " T_YEAR ", \"feeEur\": 12.5, \"quota\": "
	  "{\"perPlatePerCalendarYear\": 3}, \"conditions\": [{\"reason\": "
	  "\"r1\", \"message\": \"m\", \"when\": {\"field\": \"evidence.k\", "
	  "\"op\": \"eq\", \"value\": \"a\"}, \"require\": {\"field\": "
	  "\"evidence.d\", \"op\": \"le\", \"value\": {\"field\": "
	  "\"application.submittedOn\", \"plusMonths\": -12}}}, {\"reason\": "
	  "\"r2\", \"message\": \"m\", \"require\": {\"field\": "
	  "\"vehicle.kind\", \"op\": \"eq\", \"value\": \"van\"}}]"),
	  .where = NULL },
	{ "types of a zoneless municipality", .file = "GM0599.json",
	  .text = "{\"format\": 1, \"issuer\": \"GM0599\", \"name\": \"x\", "
	  "\"version\": \"t\", \"zone\": null, \"types\": {\"note\": \"n\"}}",
	  .where = NULL },
	{ "types type", .file = "GM0599.json", .text = T_GMT("[]"),
	  .where = "GM0599.json#/types", .msg = "must be an object" },
	{ "types note", .file = "GM0599.json", .text = T_GMT("{\"note\": 1}"),
	  .where = "GM0599.json#/types/note", .msg = "must be a string" },
	{ "type member", .file = "GM0599.json", .text = T_TY(T_GRANT ", "
	  T_YEAR ", \"colour\": 1"),
	  .where = "GM0599.json#/types/t1/colour",
	  .msg = "unknown member \"colour\"" },
	{ "type code", .file = "GM0599.json", .text = T_GMT("{\"T-1\": {}}"),
	  .where = "GM0599.json#/types/T-1", .msg = "is not a valid type code" },
	{ "type code length", .file = "GM0599.json", .text = T_GMT(
	  "{\"abcdefghijklmnopqrstuvwxyz_abcdefghijklm\": {}}"),
	  .where = "GM0599.json#/types/abcdefghijklmnopqrstuvwxyz_abcdefghijklm",
	  .msg = "1 to 39" },
	{ "type offered", .file = "GM0599.json", .text = T_GMT("{\"t1\": {"
	  "\"scope\": \"municipal\", \"label\": \"T\", " T_GRANT ", " T_YEAR
	  "}}"),
	  .where = "GM0599.json#/types/t1/offered",
	  .msg = "missing required member \"offered\"" },
	{ "offered type", .file = "GM0599.json", .text = T_GMT("{\"t1\": {"
	  "\"offered\": \"yes\", \"scope\": \"municipal\", \"label\": \"T\", "
	  T_GRANT ", " T_YEAR "}}"),
	  .where = "GM0599.json#/types/t1/offered", .msg = "true or false" },
	{ "municipal file, national scope", .file = "GM0599.json",
	  .text = T_GMT("{\"t1\": {\"offered\": true, \"scope\": \"national\", "
	  "\"label\": \"T\", " T_GRANT ", " T_YEAR "}}"),
	  .where = "GM0599.json#/types/t1/scope",
	  .msg = "a municipality declares municipal types only" },
	{ "national file, municipal scope", .nat.top = "\"types\": {\"t1\": "
	  "{" T_TYPE_HEAD ", " T_GRANT ", " T_YEAR "}}, ",
	  .where = "national.json#/types/t1/scope",
	  .msg = "national.json declares national types only" },
	{ "scope value", .file = "GM0599.json", .text = T_GMT("{\"t1\": {"
	  "\"offered\": true, \"scope\": \"regional\", \"label\": \"T\", "
	  T_GRANT ", " T_YEAR "}}"),
	  .where = "GM0599.json#/types/t1/scope",
	  .msg = "\"national\" or \"municipal\"" },
	{ "a national code in a municipality", .nat.top = T_NAT_SV,
	  .file = "GM0599.json", .text = T_GMT("{\"sv\": {}}"),
	  .where = "GM0599.json#/types/sv",
	  .msg = "is a national type (national.json#/types/sv)" },
	{ "zone start in a national type", .nat.top = "\"types\": {\"sv\": {"
	  "\"offered\": true, \"scope\": \"national\", \"label\": \"S\", "
	  T_GRANT ", " T_YEAR ", \"conditions\": [{\"reason\": \"r\", "
	  "\"message\": \"m\", \"require\": {\"field\": "
	  "\"application.periodFrom\", \"op\": \"ge\", \"value\": {\"field\": "
	  "\"municipality.zoneStart\"}}}]}}, ",
	  .where = "national.json#/types/sv/conditions/0/require/value/field",
	  .msg = "names a municipality's zone" },

	/* Evidence. */
	{ "evidence type", .file = "GM0599.json", .text = T_TY(T_GRANT ", "
	  T_YEAR ", \"evidence\": []"),
	  .where = "GM0599.json#/types/t1/evidence", .msg = "must be an object" },
	{ "evidence name", .file = "GM0599.json", .text = T_TY(T_GRANT ", "
	  T_YEAR ", \"evidence\": {\"Order-date\": {\"type\": \"date\"}}"),
	  .where = "GM0599.json#/types/t1/evidence/Order-date",
	  .msg = "is not a valid evidence field name" },
	{ "evidence field type", .file = "GM0599.json", .text = T_TY(T_GRANT
	  ", " T_YEAR ", \"evidence\": {\"x\": {\"type\": \"money\"}}"),
	  .where = "GM0599.json#/types/t1/evidence/x/type",
	  .msg = "must be one of string, date, integer, boolean, postcode and "
	  "kvk" },
	{ "evidence field needs a type", .file = "GM0599.json",
	  .text = T_TY(T_GRANT ", " T_YEAR ", \"evidence\": {\"x\": "
	  "{\"label\": \"X\"}}"),
	  .where = "GM0599.json#/types/t1/evidence/x/type",
	  .msg = "missing required member \"type\"" },
	{ "enum of an integer", .file = "GM0599.json", .text = T_TY(T_GRANT
	  ", " T_YEAR ", \"evidence\": {\"x\": {\"type\": \"integer\", "
	  "\"enum\": [\"1\"]}}"),
	  .where = "GM0599.json#/types/t1/evidence/x/enum",
	  .msg = "applies to string fields only" },
	{ "minimum of a string", .file = "GM0599.json", .text = T_TY(T_GRANT
	  ", " T_YEAR ", \"evidence\": {\"x\": {\"type\": \"string\", "
	  "\"minimum\": 1}}"),
	  .where = "GM0599.json#/types/t1/evidence/x/minimum",
	  .msg = "applies to integer fields only" },
	{ "maxLength below minLength", .file = "GM0599.json", .text = T_TY(
	  T_GRANT ", " T_YEAR ", \"evidence\": {\"x\": {\"type\": \"string\", "
	  "\"minLength\": 20, \"maxLength\": 19}}"),
	  .where = "GM0599.json#/types/t1/evidence/x/maxLength",
	  .msg = "must be at least minLength (20)" },
	{ "maximum below minimum", .file = "GM0599.json", .text = T_TY(
	  T_GRANT ", " T_YEAR ", \"evidence\": {\"x\": {\"type\": \"integer\", "
	  "\"minimum\": 20, \"maximum\": 19}}"),
	  .where = "GM0599.json#/types/t1/evidence/x/maximum",
	  .msg = "must be at least minimum (20)" },
	{ "required and requiredWhen", .file = "GM0599.json", .text = T_TY(
	  T_GRANT ", " T_YEAR ", \"evidence\": {\"k\": {\"type\": "
	  "\"boolean\"}, \"x\": {\"type\": \"date\", \"required\": true, "
	  "\"requiredWhen\": {\"field\": \"evidence.k\", \"op\": \"eq\", "
	  "\"value\": true}}}"),
	  .where = "GM0599.json#/types/t1/evidence/x/required",
	  .msg = "leave required out" },
	{ "requiredWhen names the vehicle", .file = "GM0599.json", .text = T_TY(
	  T_GRANT ", " T_YEAR ", \"evidence\": {\"x\": {\"type\": \"date\", "
	  "\"requiredWhen\": {\"field\": \"vehicle.registered\", \"op\": "
	  "\"eq\", \"value\": true}}}"),
	  .where = "GM0599.json#/types/t1/evidence/x/requiredWhen/field",
	  .msg = "is not an evidence field" },
	{ "requiredWhen names a later field", .file = "GM0599.json",
	  .text = T_TY(T_GRANT ", " T_YEAR ", \"evidence\": {\"x\": {\"type\": "
	  "\"date\", \"requiredWhen\": {\"field\": \"evidence.y\", \"op\": "
	  "\"eq\", \"value\": \"b\"}}, \"y\": {\"type\": \"string\", \"enum\": "
	  "[\"a\", \"b\"]}}"), .where = NULL },

	/* Conditions. */
	{ "condition names undeclared evidence", .file = "GM0599.json",
	  .text = T_TY(T_EV ", " T_GRANT ", " T_YEAR ", \"conditions\": "
	  "[{\"reason\": \"r\", \"message\": \"m\", \"require\": {\"field\": "
	  "\"evidence.orderDate\", \"op\": \"exists\", \"value\": true}}]"),
	  .where = "GM0599.json#/types/t1/conditions/0/require/field",
	  .msg = "the type declares no such evidence field" },
	{ "condition value outside the enum", .file = "GM0599.json",
	  .text = T_TY(T_EV ", " T_GRANT ", " T_YEAR ", \"conditions\": "
	  "[{\"reason\": \"r\", \"message\": \"m\", \"require\": {\"field\": "
	  "\"evidence.k\", \"op\": \"in\", \"value\": [\"a\", \"c\"]}}]"),
	  .where = "GM0599.json#/types/t1/conditions/0/require/value/1",
	  .msg = "\"c\" is not one of the values of evidence.k" },
	{ "condition value type", .file = "GM0599.json",
	  .text = T_TY(T_EV ", " T_GRANT ", " T_YEAR ", \"conditions\": "
	  "[{\"reason\": \"r\", \"message\": \"m\", \"require\": {\"field\": "
	  "\"evidence.n\", \"op\": \"ge\", \"value\": {\"field\": "
	  "\"evidence.d\"}}}]"),
	  .where = "GM0599.json#/types/t1/conditions/0/require/value",
	  .msg = "must be an integer (evidence.n is an integer), not an object" },
	{ "day expression of an integer", .file = "GM0599.json",
	  .text = T_TY(T_EV ", " T_GRANT ", " T_YEAR ", \"conditions\": "
	  "[{\"reason\": \"r\", \"message\": \"m\", \"require\": {\"field\": "
	  "\"evidence.d\", \"op\": \"le\", \"value\": {\"field\": "
	  "\"evidence.n\"}}}]"),
	  .where = "GM0599.json#/types/t1/conditions/0/require/value/field",
	  .msg = "evidence.n is an integer: a day expression needs a date" },
	{ "day expression plusMonths", .file = "GM0599.json",
	  .text = T_TY(T_EV ", " T_GRANT ", " T_YEAR ", \"conditions\": "
	  "[{\"reason\": \"r\", \"message\": \"m\", \"require\": {\"field\": "
	  "\"evidence.d\", \"op\": \"le\", \"value\": {\"field\": "
	  "\"application.submittedOn\", \"plusMonths\": 2401}}}]"),
	  .where = "GM0599.json#/types/t1/conditions/0/require/value/plusMonths",
	  .msg = "plusMonths is from -2400 to 2400" },
	{ "a reason of the common checks", .file = "GM0599.json",
	  .text = T_TY(T_GRANT ", " T_YEAR ", \"conditions\": [{\"reason\": "
	  "\"quota_exhausted\", \"message\": \"m\", \"require\": "
	  "{\"all\": []}}]"),
	  .where = "GM0599.json#/types/t1/conditions/0/reason",
	  .msg = "a reason of zesd's common checks" },
	{ "a reason twice", .file = "GM0599.json",
	  .text = T_TY(T_GRANT ", " T_YEAR ", \"conditions\": [{\"reason\": "
	  "\"r\", \"message\": \"m\", \"require\": {\"all\": []}}, {\"reason\": "
	  "\"r\", \"message\": \"m\", \"require\": {\"all\": []}}]"),
	  .where = "GM0599.json#/types/t1/conditions/1/reason",
	  .msg = "given by condition 0 already" },
	{ "a reason's syntax", .file = "GM0599.json",
	  .text = T_TY(T_GRANT ", " T_YEAR ", \"conditions\": [{\"reason\": "
	  "\"Too Old\", \"message\": \"m\", \"require\": {\"all\": []}}]"),
	  .where = "GM0599.json#/types/t1/conditions/0/reason",
	  .msg = "is not a valid reason code" },
	{ "a message too long", .file = "GM0599.json",
	  .text = T_TY(T_GRANT ", " T_YEAR ", \"conditions\": [{\"reason\": "
	  "\"r\", \"message\": \"" T_240 "\", \"require\": {\"all\": []}}]"),
	  .where = "GM0599.json#/types/t1/conditions/0/message",
	  .msg = "is 240 bytes long: a message has at most 239" },
	{ "a condition needs require", .file = "GM0599.json",
	  .text = T_TY(T_GRANT ", " T_YEAR ", \"conditions\": [{\"reason\": "
	  "\"r\", \"message\": \"m\", \"when\": {\"all\": []}}]"),
	  .where = "GM0599.json#/types/t1/conditions/0/require",
	  .msg = "missing required member \"require\"" },
	{ "too many conditions", .file = "GM0599.json",
	  .text = T_TY(T_GRANT ", " T_YEAR ", \"conditions\": [" T_C3 ", "
	  T_C3 ", " T_C3 ", " T_C3 ", " T_C3 "]"),
	  .where = "GM0599.json#/types/t1/conditions",
	  .msg = "has 15 conditions: at most 14" },

	/* Outcome, validity, quota, fee. */
	{ "a review needs a reason", .file = "GM0599.json",
	  .text = T_TY(T_YEAR ", \"outcome\": {\"decision\": \"review\", "
	  "\"message\": \"m\"}"),
	  .where = "GM0599.json#/types/t1/outcome/reason",
	  .msg = "a review gives its reason" },
	{ "a grant has no reason", .file = "GM0599.json",
	  .text = T_TY(T_YEAR ", \"outcome\": {\"decision\": \"grant\", "
	  "\"reason\": \"r\"}"),
	  .where = "GM0599.json#/types/t1/outcome/reason",
	  .msg = "only a review has a reason" },
	{ "a decision", .file = "GM0599.json",
	  .text = T_TY(T_YEAR ", \"outcome\": {\"decision\": \"maybe\"}"),
	  .where = "GM0599.json#/types/t1/outcome/decision",
	  .msg = "must be \"grant\" or \"review\"" },
	{ "validity forms exclude each other", .file = "GM0599.json",
	  .text = T_TY(T_GRANT ", \"validity\": {\"length\": {\"years\": 1}, "
	  "\"singleDay\": {\"endsNextDayAt\": \"06:00\"}}"),
	  .where = "GM0599.json#/types/t1/validity",
	  .msg = "exclude each other" },
	{ "validity must end", .file = "GM0599.json",
	  .text = T_TY(T_GRANT ", \"validity\": {\"maxLength\": {\"years\": "
	  "1}}"),
	  .where = "GM0599.json#/types/t1/validity",
	  .msg = "a validity must end" },
	{ "validity until a day only", .file = "GM0599.json",
	  .text = T_TY(T_GRANT ", \"validity\": {\"before\": \"2030-01-01\"}"),
	  .where = NULL },
	{ "an assessor's validity needs a maximum", .file = "GM0599.json",
	  .text = T_TY(T_REVIEW ", \"validity\": {\"assessor\": true}"),
	  .where = "GM0599.json#/types/t1/validity",
	  .msg = "needs a maxLength" },
	{ "the assessor decides reviews only", .file = "GM0599.json",
	  .text = T_TY(T_GRANT ", \"validity\": {\"assessor\": true, "
	  "\"maxLength\": {\"months\": 12}}"),
	  .where = "GM0599.json#/types/t1/validity/assessor",
	  .msg = "only a type an assessor decides" },
	{ "a review's validity without register data", .file = "GM0599.json",
	  .text = T_TY(T_REVIEW ", \"validity\": {\"length\": {\"years\": 1}, "
	  "\"before\": {\"field\": \"vehicle.firstAdmission\", \"plusYears\": "
	  "13}}"),
	  .where = "GM0599.json#/types/t1/validity/before/field",
	  .msg = "is register data" },
	{ "a grant's validity with register data", .file = "GM0599.json",
	  .text = T_TY(T_GRANT ", \"validity\": {\"length\": {\"years\": 1}, "
	  "\"before\": {\"field\": \"vehicle.firstAdmission\", \"plusYears\": "
	  "13}}"), .where = NULL },
	{ "through a non-date", .file = "GM0599.json",
	  .text = T_TY(T_EV ", " T_GRANT ", \"validity\": {\"through\": "
	  "{\"field\": \"evidence.k\"}}"),
	  .where = "GM0599.json#/types/t1/validity/through/field",
	  .msg = "evidence.k is a string: a day expression needs a date" },
	{ "a time of day", .file = "GM0599.json",
	  .text = T_TY(T_GRANT ", \"validity\": {\"singleDay\": "
	  "{\"endsNextDayAt\": \"6:00\"}}"),
	  .where = "GM0599.json#/types/t1/validity/singleDay/endsNextDayAt",
	  .msg = "\"HH:MM\"" },
	{ "a time of day 24:00", .file = "GM0599.json",
	  .text = T_TY(T_GRANT ", \"validity\": {\"singleDay\": "
	  "{\"endsNextDayAt\": \"24:00\"}}"),
	  .where = "GM0599.json#/types/t1/validity/singleDay/endsNextDayAt",
	  .msg = "from 00:00 to 23:59" },
	{ "a single day has no maxLength", .file = "GM0599.json",
	  .text = T_TY(T_GRANT ", \"validity\": {\"singleDay\": "
	  "{\"endsNextDayAt\": \"06:00\"}, \"maxLength\": {\"days\": 2}}"),
	  .where = "GM0599.json#/types/t1/validity/maxLength",
	  .msg = "needs no maxLength" },
	{ "an empty length", .file = "GM0599.json",
	  .text = T_TY(T_GRANT ", \"validity\": {\"length\": {}}"),
	  .where = "GM0599.json#/types/t1/validity/length",
	  .msg = "must not be empty" },
	{ "a negative length", .file = "GM0599.json",
	  .text = T_TY(T_GRANT ", \"validity\": {\"length\": {\"months\": "
	  "-1}}"),
	  .where = "GM0599.json#/types/t1/validity/length/months",
	  .msg = "out of range" },
	{ "a quota of 0", .file = "GM0599.json",
	  .text = T_TY(T_GRANT ", " T_YEAR ", \"quota\": "
	  "{\"perPlatePerCalendarYear\": 0}"),
	  .where = "GM0599.json#/types/t1/quota/perPlatePerCalendarYear",
	  .msg = "out of range: from 1 to 1000" },
	{ "a quota member", .file = "GM0599.json",
	  .text = T_TY(T_GRANT ", " T_YEAR ", \"quota\": "
	  "{\"perPlatePerCalendarYear\": 12, \"perYear\": 12}"),
	  .where = "GM0599.json#/types/t1/quota/perYear",
	  .msg = "unknown member" },
	{ "a fee in tenths of cents", .file = "GM0599.json",
	  .text = T_TY(T_GRANT ", " T_YEAR ", \"feeEur\": 12.345"),
	  .where = "GM0599.json#/types/t1/feeEur",
	  .msg = "more than two decimals" },
	{ "a fee as text", .file = "GM0599.json",
	  .text = T_TY(T_GRANT ", " T_YEAR ", \"feeEur\": \"30\""),
	  .where = "GM0599.json#/types/t1/feeEur",
	  .msg = "must be a number of euros" },
	{ "a negative fee", .file = "GM0599.json",
	  .text = T_TY(T_GRANT ", " T_YEAR ", \"feeEur\": -0.01"),
	  .where = "GM0599.json#/types/t1/feeEur", .msg = "out of range" },
};

/* Every error case of t_cases[]: exactly its one error, or none. */
static void
test_error_cases(void **state)
{
	struct zes_rule_errors	 errs;
	struct zes_rule_text	 files[2];
	struct zes_rules	*r;
	const struct t_case	*c;
	char			 buf[8192];
	size_t			 i, nfiles;
	int			 bad = 0;

	(void)state;
	for (i = 0; i < ZES_NELEM(t_cases); i++) {
		c = &t_cases[i];
		files[0].name = "national.json";
		files[0].data = c->national != NULL ? c->national :
		    t_national_text(&c->nat, buf, sizeof(buf));
		files[0].len = strlen(files[0].data);
		nfiles = 1;
		if (c->file != NULL) {
			files[1].name = c->file;
			files[1].data = c->text;
			files[1].len = strlen(c->text);
			nfiles = 2;
		}
		errs.v = NULL;
		errs.n = 0;
		r = zes_rules_build(files, nfiles, &errs);
		if (c->where == NULL) {
			if (r == NULL || errs.n != 0) {
				print_message("case \"%s\": should load\n",
				    c->label);
				t_print_errors(&errs);
				bad++;
			}
		} else if (r != NULL || errs.n != 1 ||
		    strcmp(errs.v[0].where, c->where) != 0 ||
		    strstr(errs.v[0].message, c->msg) == NULL) {
			print_message("case \"%s\": want %s: ...%s...\n",
			    c->label, c->where, c->msg);
			t_print_errors(&errs);
			bad++;
		}
		zes_rules_unref(r);
		zes_rule_errors_free(&errs);
	}
	assert_int_equal(bad, 0);
}

/* Errors in several places and files are all listed, in file order. */
static void
test_many_errors(void **state)
{
	static const struct t_national	 nat = {
		.top = "\"colour\": 1, ",
		.scope = "{\"field\": \"vehicle.kind\", \"op\": \"eq\", "
		    "\"value\": \"van\"}",
		.refusals = "[{\"ground\": \"a_one\", \"when\": {\"field\": "
		    "\"vehicle.massKg\", \"op\": \"in\", \"value\": [\"x\"]}}]",
	};
	static const char *const	 want[][2] = {
		{ "notes.txt#", "not a rule file" },
		{ "GM0001.json#", "not valid JSON" },
		{ "national.json#/colour", "unknown member" },
		{ "national.json#/vehicle/scope/field", "raw fields only" },
		{ "national.json#/access/refusals/0/ground", "used already" },
		{ "national.json#/access/refusals/0/when/value/0",
		  "must be an integer" },
		{ "GM0599.json#/issuer", "differs from the file name" },
		{ "GM0599.json#/zone/periods/0/from", "is not a date" },
		{ "GM0599.json#/zone/periods/1/before", "must be after from" },
	};
	struct zes_rule_errors		 errs = { NULL, 0 };
	struct zes_rule_text		 files[4];
	char				 buf[8192];
	const char			*gm = T_GM("GM0518", T_ZONE("[{\"from\": "
					    "\"2025-02-30\", \"before\": null}, "
					    "{\"from\": \"2026-01-01\", \"before\": "
					    "\"2025-01-01\"}]"));
	size_t				 i;

	(void)state;
	files[0] = (struct zes_rule_text){ "notes.txt", "hello", 5 };
	files[1] = (struct zes_rule_text){ "GM0599.json", gm, strlen(gm) };
	files[2] = (struct zes_rule_text){ "GM0001.json", "{", 1 };
	files[3].name = "national.json";
	files[3].data = t_national_text(&nat, buf, sizeof(buf));
	files[3].len = strlen(files[3].data);
	assert_null(zes_rules_build(files, 4, &errs));
	if (errs.n != ZES_NELEM(want))
		t_print_errors(&errs);
	assert_int_equal(errs.n, ZES_NELEM(want));
	for (i = 0; i < ZES_NELEM(want); i++) {
		assert_string_equal(errs.v[i].where, want[i][0]);
		assert_non_null(strstr(errs.v[i].message, want[i][1]));
	}
	zes_rule_errors_free(&errs);
	assert_null(errs.v);
	assert_int_equal(errs.n, 0);
}

/* Conditions nest at most 64 deep; the 65th level is an error. */
static void
test_depth(void **state)
{
	struct zes_rule_errors	 errs = { NULL, 0 };
	struct zes_rule_text	 f;
	struct t_national	 nat;
	struct zes_rules	*r;
	char			 scope[1024], text[8192], want[1024];
	size_t			 i, len;

	(void)state;
	for (i = 0, len = 0; i < 63; i++)
		len += (size_t)snprintf(scope + len, sizeof(scope) - len,
		    "{\"not\": ");
	len += (size_t)snprintf(scope + len, sizeof(scope) - len, "{\"all\": []}");
	for (i = 0; i < 63; i++)
		scope[len++] = '}';
	scope[len] = '\0';
	memset(&nat, 0, sizeof(nat));
	nat.scope = scope;
	f.name = "national.json";
	f.data = t_national_text(&nat, text, sizeof(text));
	f.len = strlen(f.data);
	assert_non_null(r = zes_rules_build(&f, 1, &errs));
	zes_rules_unref(r);

	/* One level more. */
	memmove(scope + 8, scope, len + 1);
	memcpy(scope, "{\"not\": ", 8);
	len += 8;
	scope[len++] = '}';
	scope[len] = '\0';
	f.data = t_national_text(&nat, text, sizeof(text));
	f.len = strlen(f.data);
	assert_null(zes_rules_build(&f, 1, &errs));
	assert_int_equal(errs.n, 1);
	len = (size_t)snprintf(want, sizeof(want), "national.json#/vehicle/scope");
	for (i = 0; i < 64; i++)
		len += (size_t)snprintf(want + len, sizeof(want) - len, "/not");
	assert_string_equal(errs.v[0].where, want);
	assert_non_null(strstr(errs.v[0].message, "deeper than 64"));
	zes_rule_errors_free(&errs);
}

/* No national.json, or nothing at all: said once. */
static void
test_missing_national(void **state)
{
	struct zes_rule_errors	 errs = { NULL, 0 };
	struct zes_rule_text	 gm = { "GM0599.json", T_GM("GM0599", "null"),
				    sizeof(T_GM("GM0599", "null")) - 1 };

	(void)state;
	assert_null(zes_rules_build(&gm, 1, &errs));
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.v[0].where, "national.json#");
	assert_non_null(strstr(errs.v[0].message, "missing"));
	zes_rule_errors_free(&errs);

	assert_null(zes_rules_build(NULL, 0, &errs));
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.v[0].where, "national.json#");
	zes_rule_errors_free(&errs);

	/* errs may be NULL: the build still fails. */
	assert_null(zes_rules_build(&gm, 1, NULL));
}

/* A flood of errors is cut after 1000, and says so. */
static void
test_error_cap(void **state)
{
	struct zes_rule_errors	 errs = { NULL, 0 };
	struct zes_rule_text	 f;
	struct t_national	 nat;
	char			*top, *text;
	size_t			 i, len = 0;

	(void)state;
	top = malloc(1500 * 16);
	text = malloc(1500 * 16 + 8192);
	assert_non_null(top);
	assert_non_null(text);
	for (i = 0; i < 1500; i++)
		len += (size_t)sprintf(top + len, "\"x%04zu\": 1, ", i);
	memset(&nat, 0, sizeof(nat));
	nat.top = top;
	f.name = "national.json";
	f.data = t_national_text(&nat, text, 1500 * 16 + 8192);
	f.len = strlen(f.data);
	assert_null(zes_rules_build(&f, 1, &errs));
	assert_int_equal(errs.n, 1001);
	assert_string_equal(errs.v[999].where, "national.json#/x0999");
	assert_non_null(strstr(errs.v[1000].message, "only the first 1000"));
	zes_rule_errors_free(&errs);
	free(top);
	free(text);
}

/* tests/unit/data/rules/good: skips README.md, *.schema.json, folders. */
static void
test_dir_good(void **state)
{
	struct zes_rules	*r;

	(void)state;
	r = t_load(T_DATA "/good");
	assert_string_equal(r->national_info.version, "test.1");
	assert_int_equal(r->nmunis, 2);
	assert_string_equal(r->munis[0].code, "GM0363");
	assert_false(r->munis[0].has_zone);
	assert_string_equal(r->munis[1].code, "GM0599");
	assert_string_equal(r->munis[1].info->version, "test.2");
	assert_string_equal(r->munis[1].zone_name, "test zone");
	zes_rules_unref(r);
}

/* tests/unit/data/rules/bad: every file's error, the stray file's too. */
static void
test_dir_bad(void **state)
{
	static const char *const	 want[][2] = {
		{ "notes.txt#", "not a rule file" },
		{ "national.json#/access/refusals/0/when/value",
		  "must be an integer" },
		{ "GM0599.json#/issuer", "differs from the file name" },
	};
	struct zes_rule_errors		 errs = { NULL, 0 };
	size_t				 i;

	(void)state;
	assert_null(zes_rules_load_dir(T_DATA "/bad", &errs));
	if (errs.n != ZES_NELEM(want))
		t_print_errors(&errs);
	assert_int_equal(errs.n, ZES_NELEM(want));
	for (i = 0; i < ZES_NELEM(want); i++) {
		assert_string_equal(errs.v[i].where, want[i][0]);
		assert_non_null(strstr(errs.v[i].message, want[i][1]));
	}
	zes_rule_errors_free(&errs);

	assert_null(zes_rules_load_dir(T_DATA "/none", &errs));
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.v[0].where, T_DATA "/none");
	assert_non_null(strstr(errs.v[0].message, "cannot open"));
	zes_rule_errors_free(&errs);
}

/* Write len bytes of s to dir/name. */
static void
t_write(const char *dir, const char *name, const char *s, size_t len)
{
	char	 path[512];
	FILE	*f;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(s, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Remove dir/name. */
static void
t_remove(const char *dir, const char *name)
{
	char	path[512];

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(unlink(path), 0);
}

/* A file of 1 MiB loads; one byte more is an error and is not read. */
static void
test_dir_size_bound(void **state)
{
	struct zes_rule_errors	 errs = { NULL, 0 };
	struct zes_rules	*r;
	char			 dir[] = "/tmp/zes_ruleset_XXXXXX";
	char			 nat[8192], *big;
	struct t_national	 slots;
	const char		*gm = T_GM("GM0599", "null");
	size_t			 glen = strlen(gm);

	(void)state;
	assert_non_null(mkdtemp(dir));
	memset(&slots, 0, sizeof(slots));
	(void)t_national_text(&slots, nat, sizeof(nat));
	t_write(dir, "national.json", nat, strlen(nat));

	/* The municipality's text padded with spaces to exactly the bound. */
	big = malloc(ZES_RULES_FILE_MAX + 1);
	assert_non_null(big);
	memset(big, ' ', ZES_RULES_FILE_MAX + 1);
	memcpy(big, gm, glen);
	t_write(dir, "GM0599.json", big, ZES_RULES_FILE_MAX);
	r = t_load(dir);
	assert_int_equal(r->nmunis, 1);
	zes_rules_unref(r);

	t_write(dir, "GM0599.json", big, ZES_RULES_FILE_MAX + 1);
	assert_null(zes_rules_load_dir(dir, &errs));
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.v[0].where, "GM0599.json#");
	assert_non_null(strstr(errs.v[0].message, "larger than 1048576"));
	zes_rule_errors_free(&errs);

	t_remove(dir, "GM0599.json");
	t_remove(dir, "national.json");
	assert_int_equal(rmdir(dir), 0);
	free(big);
}

/* The exemption types of rules/: DOMAIN.md §5, typed by the loader. */
static void
test_real_types(void **state)
{
	static const char *const	 codes[] = {
		"day_exemption", "long_delivery", "business_hardship",
		"grid_congestion", "hardship_clause",
	};
	static const char *const	 sv_reasons[] = {
		"vehicle_unknown", "not_a_truck", "vehicle_too_old",
		"crane_below_threshold",
	};
	static const char *const	 bh_reasons[] = {
		"registered_after_zone_start", "not_active_before_zone_start",
		"too_few_zone_entries", "alternative_available",
		"annual_accounts_insufficient", "fleet_list_missing",
	};
	static const char *const	 zoned[] = { "GM0503", "GM0518", "GM0599" };
	const struct zes_municipality	*m;
	const struct zes_type		*t;
	const struct zes_cond		*c;
	struct zes_rules		*r;
	size_t				 i, k, ntyped = 0;

	(void)state;
	r = t_load(T_RULES);

	/* special_vehicle, the national type. */
	assert_int_equal(r->national.ntypes, 1);
	t = &r->national.types[0];
	assert_ptr_equal(zes_rules_type(r, NULL, "special_vehicle"), t);
	assert_true(t->national && t->offered && !t->review);
	assert_int_equal(t->fee_cents, 0);
	assert_int_equal(t->quota_per_year, 0);
	assert_int_equal(t->nevidence, 3);
	assert_string_equal(t->evidence[0].name, "kind");
	assert_int_equal(t->evidence[0].type, ZES_EV_STRING);
	assert_true(t->evidence[0].required);
	assert_int_equal(t->evidence[0].nvalues, 2);
	assert_string_equal(t->evidence[0].values[0], "removal_van");
	assert_string_equal(t->evidence[0].values[1], "loading_crane");
	assert_string_equal(t->evidence[1].name, "removalCompanyKvk");
	assert_int_equal(t->evidence[1].type, ZES_EV_KVK);
	assert_false(t->evidence[1].required);
	assert_true(t->evidence[1].has_required_when);
	assert_int_equal(t->evidence[1].required_when.field, ZES_F_EVIDENCE);
	assert_int_equal(t->evidence[2].type, ZES_EV_INTEGER);
	assert_int_equal(t->evidence[2].minimum, 0);
	assert_int_equal(t->nconditions, ZES_NELEM(sv_reasons));
	for (i = 0; i < ZES_NELEM(sv_reasons); i++) {
		assert_string_equal(t->conditions[i].reason, sv_reasons[i]);
		assert_true(strlen(t->conditions[i].message) > 0);
	}
	/* periodFrom lt DET + 13 years: a day expression as the value. */
	c = &t->conditions[2].require;
	assert_int_equal(c->field, ZES_F_PERIOD_FROM);
	assert_int_equal(c->op, ZES_OP_LT);
	assert_non_null(c->day);
	assert_int_equal(c->day->field, ZES_F_FIRST_ADMISSION);
	assert_int_equal(c->day->plus_years, 13);
	assert_int_equal(t->conditions[3].require.field, ZES_F_EVIDENCE + 2);
	assert_int_equal(t->validity.before.n, 2);
	assert_int_equal(t->validity.before.v[0].field, ZES_F_FIRST_ADMISSION);
	assert_int_equal(t->validity.before.v[0].plus_years, 13);
	assert_int_equal(t->validity.before.v[1].day, t_day("2030-01-01"));
	assert_false(t->validity.single_day || t->validity.assessor);
	assert_int_equal(t->validity.through.n, 0);

	for (i = 0; i < r->nmunis; i++) {
		m = &r->munis[i];
		if (!m->has_zone) {
			assert_int_equal(m->ntypes, 0);
			continue;
		}
		assert_string_equal(m->code, zoned[ntyped++]);
		assert_int_equal(m->ntypes, ZES_NELEM(codes));
		for (k = 0; k < ZES_NELEM(codes); k++) {
			assert_string_equal(m->types[k].code, codes[k]);
			assert_ptr_equal(zes_rules_type(r, m, codes[k]),
			    &m->types[k]);
			assert_true(m->types[k].offered);
			assert_false(m->types[k].national);
			assert_non_null(m->types[k].label);
		}
		/* day_exemption: €30, 12 a year, 00:00 until 06:00 next day. */
		t = &m->types[0];
		assert_int_equal(t->fee_cents, 3000);
		assert_int_equal(t->quota_per_year, 12);
		assert_true(t->validity.single_day);
		assert_int_equal(t->validity.next_day_minutes, 6 * 60);
		assert_int_equal(t->nevidence, 0);
		assert_int_equal(t->nconditions, 1);
		assert_string_equal(t->conditions[0].reason, "date_out_of_range");
		c = &t->conditions[0].require;
		assert_int_equal(c->field, ZES_F_PERIOD_FROM);
		assert_int_equal(c->op, ZES_OP_LE);
		assert_int_equal(c->day->field, ZES_F_SUBMITTED_ON);
		assert_int_equal(c->day->plus_days, 365);
		/* long_delivery: through the delivery day, at most 12 months. */
		t = &m->types[1];
		assert_false(t->review);
		assert_int_equal(t->validity.through.n, 1);
		assert_int_equal(t->validity.through.v[0].field,
		    ZES_F_EVIDENCE + 1);
		assert_int_equal(t->validity.max_length.months, 12);
		assert_int_equal(t->nconditions, 5);
		assert_int_equal(t->evidence[2].min_length, 1);
		/* business_hardship: a year, in review. */
		t = &m->types[2];
		assert_true(t->review);
		assert_string_equal(t->review_reason,
		    "financial_assessment_required");
		assert_int_equal(t->validity.length.years, 1);
		assert_int_equal(t->nconditions, ZES_NELEM(bh_reasons));
		for (k = 0; k < ZES_NELEM(bh_reasons); k++)
			assert_string_equal(t->conditions[k].reason,
			    bh_reasons[k]);
		assert_int_equal(t->conditions[0].require.day->field,
		    ZES_F_ZONE_START);
		/* grid_congestion: two years; the statement 12 months back. */
		t = &m->types[3];
		assert_false(t->review);
		assert_int_equal(t->validity.length.years, 2);
		assert_int_equal(t->evidence[0].type, ZES_EV_POSTCODE);
		assert_int_equal(t->conditions[0].require.day->plus_months, -12);
		/* hardship_clause: the assessor's last day, at most 12 months. */
		t = &m->types[4];
		assert_true(t->review);
		assert_string_equal(t->review_reason, "case_by_case_assessment");
		assert_true(t->validity.assessor);
		assert_int_equal(t->validity.max_length.months, 12);
		assert_int_equal(t->evidence[0].min_length, 20);
		assert_int_equal(t->evidence[0].max_length, 4000);
		assert_int_equal(t->nconditions, 0);
	}
	assert_int_equal(ntyped, ZES_NELEM(zoned));
	assert_ptr_equal(zes_rules_type_declarer(r, "day_exemption"),
	    zes_rules_municipality(r, "GM0503"));
	assert_null(zes_rules_type_declarer(r, "special_vehicle"));
	assert_null(zes_rules_type(r, zes_rules_municipality(r, "GM0613"),
	    "day_exemption"));
	assert_null(zes_rules_type(r, NULL, "day_exemption"));
	assert_null(zes_rules_type(NULL, NULL, "special_vehicle"));
	assert_string_equal(zes_evidence_type_name(ZES_EV_POSTCODE), "postcode");
	assert_null(zes_evidence_type_name((enum zes_evidence_type)99));
	assert_true(zes_zone_start(zes_rules_municipality(r, "GM0599")) ==
	    t_day("2025-01-01"));
	assert_true(zes_zone_start(zes_rules_municipality(r, "GM0613")) ==
	    ZES_DAY_NONE);
	zes_rules_unref(r);
}

/* A type declares at most 24 evidence fields. */
static void
test_evidence_max(void **state)
{
	struct zes_rule_errors	 errs = { NULL, 0 };
	struct zes_rule_text	 files[2];
	struct zes_rules	*r;
	struct t_national	 slots;
	char			 nat[8192], gm[8192], ev[4096];
	size_t			 i, n, len;

	(void)state;
	memset(&slots, 0, sizeof(slots));
	files[0].name = "national.json";
	files[0].data = t_national_text(&slots, nat, sizeof(nat));
	files[0].len = strlen(nat);
	for (n = ZES_EVIDENCE_MAX; n <= ZES_EVIDENCE_MAX + 1; n++) {
		len = 0;
		for (i = 0; i < n; i++)
			len += (size_t)snprintf(ev + len, sizeof(ev) - len,
			    "%s\"f%zu\": {\"type\": \"date\"}", i ? ", " : "",
			    i);
		(void)snprintf(gm, sizeof(gm), T_GMT("{\"t1\": {" T_TYPE_HEAD
		    ", " T_GRANT ", " T_YEAR ", \"evidence\": {%s}}}"), ev);
		files[1] = (struct zes_rule_text){ "GM0599.json", gm,
		    strlen(gm) };
		r = zes_rules_build(files, 2, &errs);
		if (n == ZES_EVIDENCE_MAX) {
			assert_non_null(r);
			assert_int_equal(r->munis[0].types[0].nevidence, n);
			zes_rules_unref(r);
			continue;
		}
		assert_null(r);
		assert_int_equal(errs.n, 1);
		assert_string_equal(errs.v[0].where,
		    "GM0599.json#/types/t1/evidence");
		assert_non_null(strstr(errs.v[0].message, "at most 24"));
		zes_rule_errors_free(&errs);
	}
}

/* Errors in several types and files are all listed. */
static void
test_type_errors_all(void **state)
{
	static const char *const	 want[][2] = {
		{ "national.json#/types/sv/scope", "national types only" },
		{ "GM0599.json#/types/a/feeEur", "more than two decimals" },
		{ "GM0599.json#/types/a/conditions/0/require/field",
		  "unknown field" },
		{ "GM0599.json#/types/b/outcome/decision", "\"grant\" or" },
		{ "GM0599.json#/types/b/validity", "a validity must end" },
	};
	struct zes_rule_errors		 errs = { NULL, 0 };
	struct zes_rule_text		 files[2];
	struct t_national		 slots;
	char				 nat[8192];
	const char			*gm = T_GMT("{\"a\": {" T_TYPE_HEAD
					    ", " T_GRANT ", " T_YEAR ", "
					    "\"feeEur\": 0.001, \"conditions\": "
					    "[{\"reason\": \"r\", \"message\": "
					    "\"m\", \"require\": {\"field\": "
					    "\"evidence.x\", \"op\": \"exists\", "
					    "\"value\": true}}]}, \"b\": {"
					    T_TYPE_HEAD ", \"outcome\": "
					    "{\"decision\": \"deny\"}, "
					    "\"validity\": {}}}");
	size_t				 i;

	(void)state;
	memset(&slots, 0, sizeof(slots));
	slots.top = "\"types\": {\"sv\": {\"offered\": true, \"scope\": "
	    "\"municipal\", \"label\": \"S\", " T_GRANT ", " T_YEAR "}}, ";
	files[0] = (struct zes_rule_text){ "national.json",
	    t_national_text(&slots, nat, sizeof(nat)), 0 };
	files[0].len = strlen(nat);
	files[1] = (struct zes_rule_text){ "GM0599.json", gm, strlen(gm) };
	assert_null(zes_rules_build(files, 2, &errs));
	if (errs.n != ZES_NELEM(want))
		t_print_errors(&errs);
	assert_int_equal(errs.n, ZES_NELEM(want));
	for (i = 0; i < ZES_NELEM(want); i++) {
		assert_string_equal(errs.v[i].where, want[i][0]);
		assert_non_null(strstr(errs.v[i].message, want[i][1]));
	}
	zes_rule_errors_free(&errs);
}

/* References: the last unref frees everything (LSan checks). */
static void
test_ref_unref(void **state)
{
	struct zes_rules	*r, *r2;

	(void)state;
	r = t_load(T_RULES);
	r2 = zes_rules_ref(r);
	assert_ptr_equal(r, r2);
	assert_int_equal(atomic_load(&r->refs), 2);
	zes_rules_unref(r);
	assert_int_equal(atomic_load(&r2->refs), 1);
	assert_string_equal(r2->munis[0].code, "GM0489");
	zes_rules_unref(r2);
	zes_rules_unref(NULL);
	zes_rule_errors_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_real_rules),
		cmocka_unit_test(test_national_issuer),
		cmocka_unit_test(test_real_rules_decide),
		cmocka_unit_test(test_zone_in_force),
		cmocka_unit_test(test_error_cases),
		cmocka_unit_test(test_many_errors),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_missing_national),
		cmocka_unit_test(test_error_cap),
		cmocka_unit_test(test_dir_good),
		cmocka_unit_test(test_dir_bad),
		cmocka_unit_test(test_dir_size_bound),
		cmocka_unit_test(test_ref_unref),
		cmocka_unit_test(test_real_types),
		cmocka_unit_test(test_evidence_max),
		cmocka_unit_test(test_type_errors_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
