/*
 * Unit tests for core/evaluate.c, the rules engine, against the real
 * rules/ folder (every type of every rule set, for each of Rotterdam, Den
 * Haag and Delft) and the custom folder of tests/unit/data/evaluate (a
 * municipality's own type, with no change in C): parsing with every error
 * at once, each condition on both sides of its threshold, date boundaries
 * (the day before, at, after; summer-time days), quotas, duplicates, the
 * validity of each type, the assessor's period, and every reason code of
 * DOMAIN.md §5 (the last test checks that each was produced).
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

#include "zes/engine.h"
#include "zes/period.h"
#include "zes/rulesdir.h"

#ifndef ZES_SOURCE_DIR
#error "ZES_SOURCE_DIR must name the repository"
#endif

#define T_RULES		ZES_SOURCE_DIR "/rules"
#define T_CUSTOM	ZES_SOURCE_DIR "/tests/unit/data/evaluate/custom"
#define T_TODAY		"2026-03-02"
#define T_ERRS_MAX	48
#define T_EX_MAX	32

/* The zoned municipalities of DOMAIN.md §9, each offering the five types. */
static const char *const t_zoned[] = { "GM0599", "GM0518", "GM0503" };

/* The reason codes of DOMAIN.md §5, and whether a test produced each. */
static const char *const t_codes[] = {
	"municipality_without_zone", "type_not_offered", "duplicate_exemption",
	"date_out_of_range", "quota_exhausted", "emission_class_too_low",
	"vehicle_unknown", "exemption_not_needed", "order_date_in_future",
	"delivery_date_passed", "replacement_not_zero_emission",
	"registered_after_zone_start", "not_active_before_zone_start",
	"too_few_zone_entries", "alternative_available",
	"annual_accounts_insufficient", "fleet_list_missing",
	"financial_assessment_required", "grid_statement_outdated",
	"electrification_request_in_future", "case_by_case_assessment",
	"not_a_truck", "vehicle_too_old", "crane_below_threshold",
};
static int		 t_reached[ZES_NELEM(t_codes)];

static struct zes_rules	*t_real;
static struct zes_rules	*t_custom;

/* Parse a date the test knows to be good. */
static int64_t
t_day(const char *s)
{
	int64_t	day = 0;

	if (zes_date_parse(s, strlen(s), &day) != 0)
		fail_msg("date %s refused", s);
	return day;
}

/* Parse an instant the test knows to be good. */
static int64_t
t_at(const char *s)
{
	int64_t	t = 0;

	if (zes_time_parse_rfc3339(s, strlen(s), &t) != 0)
		fail_msg("instant %s refused", s);
	return t;
}

/* Group set-up: both folders, loaded once. */
static int
t_setup(void **state)
{
	(void)state;
	t_real = t_load(T_RULES);
	t_custom = t_load(T_CUSTOM);
	return 0;
}

/* Group tear-down. */
static int
t_teardown(void **state)
{
	(void)state;
	zes_rules_unref(t_real);
	zes_rules_unref(t_custom);
	return 0;
}

/* The errors of one parse, by field. */
struct t_errs {
	size_t	n;
	char	field[T_ERRS_MAX][64];
	char	msg[T_ERRS_MAX][200];
};

/* zes_app_error_fn that keeps the errors. */
static void
t_err_cb(void *arg, const char *field, const char *message)
{
	struct t_errs	*e = arg;

	if (e->n == T_ERRS_MAX)
		fail_msg("more than %d errors", T_ERRS_MAX);
	(void)snprintf(e->field[e->n], sizeof(e->field[0]), "%s", field);
	(void)snprintf(e->msg[e->n], sizeof(e->msg[0]), "%s", message);
	e->n++;
}

/* Parse a body text with `today`; returns the number of errors, kept in *e. */
static size_t
t_parse(const struct zes_rules *r, const char *text, const char *today,
    struct zes_app *a, struct t_errs *e)
{
	json_error_t	 jerr;
	json_t		*body;
	size_t		 n;

	memset(e, 0, sizeof(*e));
	if ((body = json_loads(text, JSON_REJECT_DUPLICATES, &jerr)) == NULL)
		fail_msg("test body is not JSON (%s): %s", jerr.text, text);
	n = zes_app_parse(body, r, t_day(today), a, t_err_cb, e);
	json_decref(body);
	assert_int_equal(n, e->n);
	return n;
}

/* Parse a body that must be accepted. */
static void
t_parse_ok(const struct zes_rules *r, const char *text, const char *today,
    struct zes_app *a)
{
	struct t_errs	e;
	size_t		i;

	if (t_parse(r, text, today, a, &e) != 0) {
		for (i = 0; i < e.n; i++)
			print_message("  %s: %s\n", e.field[i], e.msg[i]);
		fail_msg("refused: %s", text);
	}
	assert_non_null(a->body);
}

/* Does the parse have an error on field (whose message contains msg, when given)? */
static int
t_has_error(const struct t_errs *e, const char *field, const char *msg)
{
	size_t	i;

	for (i = 0; i < e->n; i++)
		if (strcmp(e->field[i], field) == 0 &&
		    (msg == NULL || strstr(e->msg[i], msg) != NULL))
			return 1;
	return 0;
}

/* Exactly one error, on field, its message containing msg. */
static void
t_one_error(const struct zes_rules *r, const char *text, const char *today,
    const char *field, const char *msg)
{
	struct zes_app	a;
	struct t_errs	e;
	size_t		i;

	if (t_parse(r, text, today, &a, &e) != 1 ||
	    !t_has_error(&e, field, msg)) {
		for (i = 0; i < e.n; i++)
			print_message("  %s: %s\n", e.field[i], e.msg[i]);
		zes_app_clear(&a);
		fail_msg("want one error on %s (%s): %s", field, msg, text);
	}
	assert_null(a.body);
}

/*
 * A body: scope from municipality (NULL: national), country (NULL: none
 * given), period and evidence as JSON texts (NULL: left out).
 */
static const char *
t_body(char *buf, size_t len, const char *type, const char *muni,
    const char *plate, const char *country, const char *period,
    const char *evidence)
{
	int	n;

	n = snprintf(buf, len, "{\"scope\": \"%s\", \"type\": \"%s\", "
	    "%s%s%s\"plate\": \"%s\", %s%s%s\"applicant\": {\"kvk\": "
	    "\"12345678\", \"name\": \"Bakkerij Jansen\", \"email\": "
	    "\"info@example.nl\"}%s%s%s%s}",
	    muni != NULL ? "municipal" : "national", type,
	    muni != NULL ? "\"municipality\": \"" : "", muni != NULL ? muni : "",
	    muni != NULL ? "\", " : "", plate,
	    country != NULL ? "\"country\": \"" : "",
	    country != NULL ? country : "", country != NULL ? "\", " : "",
	    period != NULL ? ", \"period\": " : "", period != NULL ? period : "",
	    evidence != NULL ? ", \"evidence\": " : "",
	    evidence != NULL ? evidence : "");
	assert_true(n > 0 && (size_t)n < len);
	return buf;
}

/* A register record: one fuel row (class "" for none). */
static struct zes_vehicle
t_vehicle(const char *category, int mass, const char *body, const char *det,
    const char *fuel, const char *cls)
{
	struct zes_vehicle	v;

	memset(&v, 0, sizeof(v));
	(void)snprintf(v.plate, sizeof(v.plate), "V123FB");
	(void)snprintf(v.category, sizeof(v.category), "%s", category);
	(void)snprintf(v.vehicle_type, sizeof(v.vehicle_type), "%s",
	    category[0] == 'N' ? "Bedrijfsauto" : "Bus");
	(void)snprintf(v.body_description, sizeof(v.body_description), "%s",
	    body);
	v.body_code = -1;
	v.first_admission = det != NULL ? t_day(det) : ZES_DAY_NONE;
	v.mass_kg = mass;
	v.nfuels = 1;
	(void)snprintf(v.fuels[0].name, sizeof(v.fuels[0].name), "%s", fuel);
	(void)snprintf(v.fuels[0].emission_class,
	    sizeof(v.fuels[0].emission_class), "%s", cls);
	return v;
}

/* A diesel van of class 6, first admitted det. */
static struct zes_vehicle
t_van(const char *det)
{
	return t_vehicle("N1", 3000, "gesloten opbouw", det, "Diesel", "6");
}

/* A rigid diesel truck of class 6. */
static struct zes_vehicle
t_truck(const char *det)
{
	return t_vehicle("N2", 12000, "bakwagen", det, "Diesel", "6");
}

/*
 * An exemption held by the plate: from the first day through the last
 * (for a day exemption pass NULL: until 06:00 the next day), revoked or
 * not.
 */
static struct zes_exemption
t_ex(const char *type, const char *issuer, const char *first,
    const char *last, int revoked)
{
	static uint8_t		 serial;
	struct zes_exemption	 e;

	memset(&e, 0, sizeof(e));
	e.id[15] = ++serial;
	(void)snprintf(e.type, sizeof(e.type), "%s", type);
	(void)snprintf(e.issuer, sizeof(e.issuer), "%s", issuer);
	e.valid_from = zes_time_local_midnight(t_day(first));
	e.valid_until = last != NULL ? zes_period_day_end(t_day(last)) :
	    zes_time_local_midnight(t_day(first) + 1) + 6 * 3600;
	/* Granted (and revoked) before the tests' days of submission. */
	e.granted_at = e.valid_from - ZES_SECONDS_PER_DAY;
	if (e.granted_at > t_at("2024-12-01T09:00:00Z"))
		e.granted_at = t_at("2024-12-01T09:00:00Z");
	e.revoked_at = revoked ? e.granted_at + 3600 : INT64_MAX;
	return e;
}

/* Decide, at 10:00 local of the application's day; record the reasons seen. */
static void
t_eval(const struct zes_rules *r, const struct zes_app *a,
    const struct zes_vehicle *v, const struct zes_exemption *ex, size_t nex,
    struct zes_decision *d)
{
	struct zes_engine_input	in;
	size_t			i, j;

	memset(&in, 0, sizeof(in));
	in.rules = r;
	in.app = a;
	in.vehicle = v;
	in.exemptions = ex;
	in.nexemptions = nex;
	in.now = zes_time_local_midnight(a->today) + 10 * 3600;
	memset(d, 0xa5, sizeof(*d));
	zes_engine_evaluate(&in, d);
	assert_true(d->nreasons <= ZES_REASONS_MAX);
	for (i = 0; i < d->nreasons; i++) {
		assert_true(d->reasons[i].message[0] != '\0');
		for (j = 0; j < ZES_NELEM(t_codes); j++)
			if (strcmp(d->reasons[i].code, t_codes[j]) == 0)
				t_reached[j] = 1;
	}
	assert_non_null(d->ruleset);
	if (d->outcome == ZES_OUTCOME_REJECTED) {
		assert_true(d->nreasons >= 1);
		assert_true(d->valid_from == 0 && d->valid_until == 0);
	} else
		assert_true(d->valid_from < d->valid_until);
}

/* Parse (must be accepted) and decide: the outcome and the reason codes. */
static void
t_decide(const struct zes_rules *r, const char *text, const char *today,
    const struct zes_vehicle *v, const struct zes_exemption *ex, size_t nex,
    struct zes_decision *d)
{
	struct zes_app	a;

	t_parse_ok(r, text, today, &a);
	t_eval(r, &a, v, ex, nex, d);
	zes_app_clear(&a);
}

/* The reason codes of a decision, comma-separated. */
static const char *
t_codes_of(const struct zes_decision *d, char *buf, size_t len)
{
	size_t	i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < d->nreasons && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? "," : "",
		    d->reasons[i].code);
	return buf;
}

/* The decision has this outcome and exactly these reasons (comma-separated). */
static void
t_want(const struct zes_decision *d, enum zes_outcome o, const char *codes)
{
	char	got[512];

	(void)t_codes_of(d, got, sizeof(got));
	if (d->outcome != o || strcmp(got, codes) != 0)
		fail_msg("want %s [%s], got %s [%s]", zes_outcome_name(o), codes,
		    zes_outcome_name(d->outcome), got);
}

/* The validity is [from, until), both RFC 3339 UTC. */
static void
t_valid(const struct zes_decision *d, const char *from, const char *until)
{
	char	f[ZES_TIME_TEXT_LEN + 1], u[ZES_TIME_TEXT_LEN + 1];

	zes_time_format_utc(d->valid_from, f);
	zes_time_format_utc(d->valid_until, u);
	if (d->valid_from != t_at(from) || d->valid_until != t_at(until))
		fail_msg("want validity [%s, %s), got [%s, %s)", from, until,
		    f, u);
}

/* A period text {"from": from[, "until": until]}. */
static const char *
t_period(char *buf, size_t len, const char *from, const char *until)
{
	if (until == NULL)
		(void)snprintf(buf, len, "{\"from\": \"%s\"}", from);
	else
		(void)snprintf(buf, len, "{\"from\": \"%s\", \"until\": \"%s\"}",
		    from, until);
	return buf;
}

#define T_LD_EVIDENCE(order, delivery, zero) "{\"orderDate\": \"" order \
	"\", \"expectedDeliveryDate\": \"" delivery "\", \"orderReference\": " \
	"\"PO-1234\", \"replacementZeroEmission\": " zero "}"
#define T_BH_EVIDENCE(reg, active, entries, alt, years, fleet) \
	"{\"registeredToApplicantSince\": \"" reg "\", \"activeInZoneSince\": " \
	"\"" active "\", \"zoneEntriesPerYear\": " entries ", " \
	"\"alternativeAvailable\": " alt ", \"annualAccountsYears\": " years \
	", \"fleetListProvided\": " fleet "}"
#define T_GC_EVIDENCE(stmt, req) "{\"postcode\": \"3011 ab\", " \
	"\"gridOperatorStatementDate\": \"" stmt "\", " \
	"\"electrificationRequestDate\": \"" req "\"}"
#define T_HC_EVIDENCE	"{\"motivation\": \"Our only refrigerated van " \
	"serves the hospital kitchen.\"}"

/* A body is normalised: plate, display, country, default period.from, postcode. */
static void
test_parse_normalised(void **state)
{
	struct zes_app	 a;
	char		 buf[2048];
	json_t		*b;

	(void)state;
	t_parse_ok(t_real, t_body(buf, sizeof(buf), "grid_congestion",
	    "GM0599", "v-123-fb", NULL, NULL,
	    T_GC_EVIDENCE("2026-01-15", "2026-02-01")), T_TODAY, &a);
	b = a.body;
	assert_false(a.national);
	assert_string_equal(a.type, "grid_congestion");
	assert_non_null(a.municipality);
	assert_string_equal(a.municipality->code, "GM0599");
	assert_non_null(a.def);
	assert_string_equal(a.def->code, "grid_congestion");
	assert_string_equal(a.plate.text, "V123FB");
	assert_string_equal(a.plate.country, "NL");
	assert_int_equal(a.from_day, t_day(T_TODAY));
	assert_true(a.until_day == ZES_DAY_NONE);
	assert_int_equal(a.today, t_day(T_TODAY));
	assert_string_equal(a.kvk, "12345678");
	assert_string_equal(json_string_value(json_object_get(b, "plate")),
	    "V123FB");
	assert_string_equal(json_string_value(json_object_get(b,
	    "plateDisplay")), "V-123-FB");
	assert_string_equal(json_string_value(json_object_get(b, "country")),
	    "NL");
	assert_string_equal(json_string_value(json_object_get(json_object_get(b,
	    "period"), "from")), T_TODAY);
	assert_null(json_object_get(json_object_get(b, "period"), "until"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(b,
	    "evidence"), "postcode")), "3011AB");
	/* The evidence facts, in declaration order, typed. */
	assert_int_equal(a.evidence[0].type, ZES_V_STRING);
	assert_string_equal(a.evidence[0].u.s, "3011AB");
	assert_int_equal(a.evidence[1].type, ZES_V_DATE);
	assert_int_equal(a.evidence[1].u.i, t_day("2026-01-15"));
	assert_int_equal(a.evidence[2].u.i, t_day("2026-02-01"));
	zes_app_clear(&a);
	assert_null(a.body);

	/* A national application; a foreign plate keeps its country. */
	t_parse_ok(t_real, t_body(buf, sizeof(buf), "special_vehicle", NULL,
	    "b-ab 123", "DE", "{\"from\": \"2026-04-01\", \"until\": "
	    "\"2026-12-31\"}", "{\"kind\": \"removal_van\", "
	    "\"removalCompanyKvk\": \"87654321\"}"), T_TODAY, &a);
	assert_true(a.national);
	assert_null(a.municipality);
	assert_string_equal(a.plate.text, "BAB123");
	assert_string_equal(a.plate.country, "DE");
	assert_int_equal(a.until_day, t_day("2026-12-31"));
	assert_null(json_object_get(a.body, "municipality"));
	assert_string_equal(json_string_value(json_object_get(a.body,
	    "plateDisplay")), "BAB123");
	zes_app_clear(&a);

	/* A normalised body parses again to itself (an assessor's decision). */
	{
		struct zes_app	 again;
		struct t_errs	 e;
		char		*text;

		t_parse_ok(t_real, t_body(buf, sizeof(buf), "grid_congestion",
		    "GM0599", "v-123-fb", NULL, NULL,
		    T_GC_EVIDENCE("2026-01-15", "2026-02-01")), T_TODAY, &a);
		text = json_dumps(a.body, JSON_COMPACT);
		assert_non_null(text);
		t_parse_ok(t_real, text, T_TODAY, &again);
		assert_true(json_equal(a.body, again.body));
		assert_int_equal(again.evidence[1].u.i, t_day("2026-01-15"));
		zes_app_clear(&again);
		free(text);
		/* plateDisplay must then be the plate's. */
		json_object_set_new(a.body, "plateDisplay",
		    json_string("V1-23-FB"));
		text = json_dumps(a.body, JSON_COMPACT);
		assert_int_equal(t_parse(t_real, text, T_TODAY, &again, &e), 1);
		assert_true(t_has_error(&e, "plateDisplay", "V-123-FB"));
		free(text);
		zes_app_clear(&a);
	}

	/* No kvk: a foreign applicant has none. */
	t_parse_ok(t_real, "{\"scope\": \"municipal\", \"type\": "
	    "\"day_exemption\", \"municipality\": \"GM0503\", \"plate\": "
	    "\"V123FB\", \"applicant\": {\"name\": \"Transports Dupont\", "
	    "\"email\": \"dupont@example.fr\"}}", T_TODAY, &a);
	assert_string_equal(a.kvk, "");
	assert_null(json_object_get(json_object_get(a.body, "applicant"),
	    "kvk"));
	assert_non_null(json_object_get(a.body, "evidence"));
	zes_app_clear(&a);
}

/* Every error of a bad body at once, each on its field. */
static void
test_parse_all_errors(void **state)
{
	static const char *const	 want[] = {
		"colour", "plate", "applicant.kvk", "applicant.email",
		"applicant.name", "applicant.phone", "period.from",
		"period.until", "evidence.orderDate", "evidence.orderReference",
		"evidence.replacementZeroEmission", "evidence.colour",
		"evidence.expectedDeliveryDate",
	};
	struct zes_app			 a;
	struct t_errs			 e;
	size_t				 i;

	(void)state;
	assert_int_equal(t_parse(t_real, "{\"scope\": \"municipal\", "
	    "\"type\": \"long_delivery\", \"municipality\": \"GM0599\", "
	    "\"plate\": \"V-123-FBX\", \"colour\": \"red\", \"applicant\": "
	    "{\"kvk\": \"1234567\", \"name\": \"\", \"email\": "
	    "\"info@@example\", \"phone\": \"010\"}, \"period\": {\"from\": "
	    "\"2026-03-01\", \"until\": \"2026-02-30\"}, \"evidence\": "
	    "{\"orderDate\": \"yesterday\", \"orderReference\": \"\", "
	    "\"replacementZeroEmission\": \"yes\", \"colour\": 1}}", T_TODAY,
	    &a, &e), ZES_NELEM(want));
	for (i = 0; i < ZES_NELEM(want); i++)
		if (!t_has_error(&e, want[i], NULL))
			fail_msg("no error on %s", want[i]);
	assert_true(t_has_error(&e, "period.from", "lies before today "
	    "(2026-03-02)"));
	assert_true(t_has_error(&e, "evidence.expectedDeliveryDate",
	    "is required"));
	assert_true(t_has_error(&e, "evidence.orderReference", "1 to 200"));
	assert_null(a.body);

	/* Not an object; required members missing. */
	assert_int_equal(t_parse(t_real, "[]", T_TODAY, &a, &e), 1);
	assert_string_equal(e.field[0], "");
	assert_int_equal(t_parse(t_real, "{}", T_TODAY, &a, &e), 4);
	assert_true(t_has_error(&e, "scope", "is required"));
	assert_true(t_has_error(&e, "type", "is required"));
	assert_true(t_has_error(&e, "plate", "is required"));
	assert_true(t_has_error(&e, "applicant", "is required"));
}

/* scope, type and municipality belong together. */
static void
test_parse_scope_type(void **state)
{
	char	buf[2048];
	struct zes_app	a;
	struct t_errs	e;

	(void)state;
	t_one_error(t_real, t_body(buf, sizeof(buf), "special_vehicle",
	    "GM0599", "V123FB", NULL, NULL, "{\"kind\": \"removal_van\", "
	    "\"removalCompanyKvk\": \"87654321\"}"), T_TODAY, "type",
	    "is a national exemption type");
	t_one_error(t_real, "{\"scope\": \"national\", \"type\": "
	    "\"day_exemption\", \"plate\": \"V123FB\", \"applicant\": "
	    "{\"name\": \"x\", \"email\": \"a@b.nl\"}}", T_TODAY, "type",
	    "is a municipal exemption type");
	t_one_error(t_real, t_body(buf, sizeof(buf), "night_delivery",
	    "GM0599", "V123FB", NULL, NULL, NULL), T_TODAY, "type",
	    "not an exemption type the rules know");
	t_one_error(t_real, "{\"scope\": \"national\", \"type\": "
	    "\"special_vehicle\", \"municipality\": \"GM0599\", \"plate\": "
	    "\"V123FB\", \"applicant\": {\"name\": \"x\", \"email\": "
	    "\"a@b.nl\"}, \"evidence\": {\"kind\": \"loading_crane\", "
	    "\"craneCapacityTonneMetres\": 40}}", T_TODAY, "municipality",
	    "must be absent");
	t_one_error(t_real, "{\"scope\": \"regional\", \"type\": "
	    "\"day_exemption\", \"municipality\": \"GM0599\", \"plate\": "
	    "\"V123FB\", \"applicant\": {\"name\": \"x\", \"email\": "
	    "\"a@b.nl\"}}", T_TODAY, "scope", "national or municipal");
	t_one_error(t_real, t_body(buf, sizeof(buf), "day_exemption",
	    "GM0599", "V123FB", "nl", NULL, NULL), T_TODAY, "country",
	    "ISO 3166-1");
	t_one_error(t_real, t_body(buf, sizeof(buf), "day_exemption",
	    "GM0599", "B-AB-123", NULL, NULL, NULL), T_TODAY, "plate",
	    "sidecode");
	/* An unknown municipality: the evidence is still checked. */
	assert_int_equal(t_parse(t_real, t_body(buf, sizeof(buf),
	    "hardship_clause", "GM0363", "V123FB", NULL, NULL,
	    "{\"motivation\": \"short\"}"), T_TODAY, &a, &e), 2);
	assert_true(t_has_error(&e, "municipality", "GM0363"));
	assert_true(t_has_error(&e, "evidence.motivation", "20 to 4000"));
	assert_int_equal(t_parse(t_real, t_body(buf, sizeof(buf),
	    "day_exemption", "GM05", "V123FB", NULL, NULL, NULL), T_TODAY,
	    &a, &e), 1);
	assert_true(t_has_error(&e, "municipality", "CBS code"));

	/* A municipality without the type: accepted, to be rejected. */
	t_parse_ok(t_real, t_body(buf, sizeof(buf), "day_exemption",
	    "GM0613", "V123FB", NULL, NULL, "{\"anything\": 1}"), T_TODAY, &a);
	assert_null(a.def);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    a.body, "evidence"), "anything")), 1);
	zes_app_clear(&a);
}

/* Evidence of every type: good and bad values, lengths, enums, requiredWhen. */
static void
test_parse_evidence(void **state)
{
	char		buf[8192], text[5000];
	struct zes_app	a;
	struct t_errs	e;
	size_t		i;

	(void)state;
	/* kind is an enumeration; requiredWhen follows it. */
	t_one_error(t_real, t_body(buf, sizeof(buf), "special_vehicle", NULL,
	    "V123FB", NULL, NULL, "{\"kind\": \"tow_truck\"}"), T_TODAY,
	    "evidence.kind", "must be one of removal_van, loading_crane");
	t_one_error(t_real, t_body(buf, sizeof(buf), "special_vehicle", NULL,
	    "V123FB", NULL, NULL, "{\"kind\": \"removal_van\"}"), T_TODAY,
	    "evidence.removalCompanyKvk", "is required");
	t_one_error(t_real, t_body(buf, sizeof(buf), "special_vehicle", NULL,
	    "V123FB", NULL, NULL, "{\"kind\": \"loading_crane\"}"), T_TODAY,
	    "evidence.craneCapacityTonneMetres", "is required");
	t_one_error(t_real, t_body(buf, sizeof(buf), "special_vehicle", NULL,
	    "V123FB", NULL, NULL, "{\"kind\": \"removal_van\", "
	    "\"removalCompanyKvk\": \"8765432A\"}"), T_TODAY,
	    "evidence.removalCompanyKvk", "8 digits");
	t_one_error(t_real, t_body(buf, sizeof(buf), "special_vehicle", NULL,
	    "V123FB", NULL, NULL, "{\"kind\": \"loading_crane\", "
	    "\"craneCapacityTonneMetres\": 35.5}"), T_TODAY,
	    "evidence.craneCapacityTonneMetres", "must be an integer");
	t_one_error(t_real, t_body(buf, sizeof(buf), "special_vehicle", NULL,
	    "V123FB", NULL, NULL, "{\"kind\": \"loading_crane\", "
	    "\"craneCapacityTonneMetres\": -1}"), T_TODAY,
	    "evidence.craneCapacityTonneMetres", "at least 0");
	t_one_error(t_real, t_body(buf, sizeof(buf), "special_vehicle", NULL,
	    "V123FB", NULL, NULL, "{}"), T_TODAY, "evidence.kind",
	    "is required");
	t_one_error(t_real, t_body(buf, sizeof(buf), "special_vehicle", NULL,
	    "V123FB", NULL, NULL, "[]"), T_TODAY, "evidence", "an object");
	/* The other kind's field is optional, and kept when given. */
	t_parse_ok(t_real, t_body(buf, sizeof(buf), "special_vehicle", NULL,
	    "V123FB", NULL, NULL, "{\"kind\": \"removal_van\", "
	    "\"removalCompanyKvk\": \"87654321\", "
	    "\"craneCapacityTonneMetres\": 10}"), T_TODAY, &a);
	zes_app_clear(&a);

	/* Booleans, dates, postcodes. */
	t_one_error(t_real, t_body(buf, sizeof(buf), "long_delivery",
	    "GM0599", "V123FB", NULL, NULL, "{\"orderDate\": \"2026-02-01\", "
	    "\"expectedDeliveryDate\": \"2026-09-01\", \"orderReference\": "
	    "\"PO-1\", \"replacementZeroEmission\": 1}"), T_TODAY,
	    "evidence.replacementZeroEmission", "true or false");
	t_one_error(t_real, t_body(buf, sizeof(buf), "long_delivery",
	    "GM0599", "V123FB", NULL, NULL, "{\"orderDate\": \"2026-02-29\", "
	    "\"expectedDeliveryDate\": \"2026-09-01\", \"orderReference\": "
	    "\"PO-1\", \"replacementZeroEmission\": true}"), T_TODAY,
	    "evidence.orderDate", "a real day");
	t_one_error(t_real, t_body(buf, sizeof(buf), "grid_congestion",
	    "GM0518", "V123FB", NULL, NULL, "{\"postcode\": \"0123AB\", "
	    "\"gridOperatorStatementDate\": \"2026-01-01\", "
	    "\"electrificationRequestDate\": \"2026-01-01\"}"), T_TODAY,
	    "evidence.postcode", "Dutch postcode");
	t_one_error(t_real, t_body(buf, sizeof(buf), "grid_congestion",
	    "GM0518", "V123FB", NULL, NULL, "{\"postcode\": \"1234 A1\", "
	    "\"gridOperatorStatementDate\": \"2026-01-01\", "
	    "\"electrificationRequestDate\": \"2026-01-01\"}"), T_TODAY,
	    "evidence.postcode", "Dutch postcode");
	t_one_error(t_real, t_body(buf, sizeof(buf), "grid_congestion",
	    "GM0518", "V123FB", NULL, NULL, "{\"postcode\": \"2511CV\", "
	    "\"gridOperatorStatementDate\": null, "
	    "\"electrificationRequestDate\": \"2026-01-01\"}"), T_TODAY,
	    "evidence.gridOperatorStatementDate", "must be a date");

	/* motivation: 20 to 4,000 characters, counted as characters. */
	for (i = 0; i < 19; i++)
		text[i] = 'x';
	text[19] = '\0';
	(void)snprintf(buf, sizeof(buf), "{\"motivation\": \"%s\"}", text);
	{
		char	body[8192];

		t_one_error(t_real, t_body(body, sizeof(body),
		    "hardship_clause", "GM0503", "V123FB", NULL, NULL, buf),
		    T_TODAY, "evidence.motivation", "20 to 4000 characters");
		/* 19 characters of which one takes two bytes: still 19. */
		(void)snprintf(buf, sizeof(buf), "{\"motivation\": "
		    "\"\\u00e9%.18s\"}", text);
		t_one_error(t_real, t_body(body, sizeof(body),
		    "hardship_clause", "GM0503", "V123FB", NULL, NULL, buf),
		    T_TODAY, "evidence.motivation", "20 to 4000 characters");
		(void)snprintf(buf, sizeof(buf), "{\"motivation\": "
		    "\"\\u00e9%.19s\"}", text);
		t_parse_ok(t_real, t_body(body, sizeof(body), "hardship_clause",
		    "GM0503", "V123FB", NULL, NULL, buf), T_TODAY, &a);
		zes_app_clear(&a);
		memset(text, 'y', 4000);
		text[4000] = '\0';
		(void)snprintf(buf, sizeof(buf), "{\"motivation\": \"%s\"}",
		    text);
		t_parse_ok(t_real, t_body(body, sizeof(body), "hardship_clause",
		    "GM0503", "V123FB", NULL, NULL, buf), T_TODAY, &a);
		zes_app_clear(&a);
		(void)snprintf(buf, sizeof(buf), "{\"motivation\": \"%sy\"}",
		    text);
		t_one_error(t_real, t_body(body, sizeof(body),
		    "hardship_clause", "GM0503", "V123FB", NULL, NULL, buf),
		    T_TODAY, "evidence.motivation", "20 to 4000 characters");
	}
	/* Every field of business_hardship missing: each is listed. */
	assert_int_equal(t_parse(t_real, t_body(buf, sizeof(buf),
	    "business_hardship", "GM0599", "V123FB", NULL, NULL, NULL),
	    T_TODAY, &a, &e), 6);
	/* orderReference is required, non-empty text. */
	t_one_error(t_real, t_body(buf, sizeof(buf), "long_delivery",
	    "GM0599", "V123FB", NULL, NULL, "{\"orderDate\": \"2026-02-01\", "
	    "\"expectedDeliveryDate\": \"2026-09-01\", "
	    "\"replacementZeroEmission\": true}"), T_TODAY,
	    "evidence.orderReference", "is required");
}

/* period: from defaults to today, not before it; until not before from. */
static void
test_parse_period(void **state)
{
	char		buf[2048], p[128];
	struct zes_app	a;

	(void)state;
	t_one_error(t_real, t_body(buf, sizeof(buf), "day_exemption", "GM0599",
	    "V123FB", NULL, t_period(p, sizeof(p), "2026-03-01", NULL), NULL),
	    T_TODAY, "period.from", "before today");
	t_parse_ok(t_real, t_body(buf, sizeof(buf), "day_exemption", "GM0599",
	    "V123FB", NULL, t_period(p, sizeof(p), "2026-03-02", NULL), NULL),
	    T_TODAY, &a);
	assert_int_equal(a.from_day, t_day("2026-03-02"));
	zes_app_clear(&a);
	/* A day exemption: until absent or equal to from. */
	t_parse_ok(t_real, t_body(buf, sizeof(buf), "day_exemption", "GM0599",
	    "V123FB", NULL, t_period(p, sizeof(p), "2026-03-05", "2026-03-05"),
	    NULL), T_TODAY, &a);
	assert_int_equal(a.until_day, t_day("2026-03-05"));
	zes_app_clear(&a);
	t_one_error(t_real, t_body(buf, sizeof(buf), "day_exemption", "GM0599",
	    "V123FB", NULL, t_period(p, sizeof(p), "2026-03-05", "2026-03-06"),
	    NULL), T_TODAY, "period.until", "covers one day");
	/* Other types: until may equal from, not precede it. */
	t_one_error(t_real, t_body(buf, sizeof(buf), "hardship_clause",
	    "GM0599", "V123FB", NULL, t_period(p, sizeof(p), "2026-03-05",
	    "2026-03-04"), T_HC_EVIDENCE), T_TODAY, "period.until",
	    "lies before period.from");
	t_parse_ok(t_real, t_body(buf, sizeof(buf), "hardship_clause",
	    "GM0599", "V123FB", NULL, t_period(p, sizeof(p), "2026-03-05",
	    "2026-03-05"), T_HC_EVIDENCE), T_TODAY, &a);
	zes_app_clear(&a);
	t_one_error(t_real, t_body(buf, sizeof(buf), "hardship_clause",
	    "GM0599", "V123FB", NULL, "{\"from\": \"2026-03-05\", \"to\": "
	    "\"2026-04-01\"}", T_HC_EVIDENCE), T_TODAY, "period.to",
	    "unknown field");
	t_one_error(t_real, t_body(buf, sizeof(buf), "hardship_clause",
	    "GM0599", "V123FB", NULL, "\"2026-03-05\"", T_HC_EVIDENCE), T_TODAY,
	    "period", "must be an object");
	/* A stored application is parsed again with its own day. */
	t_parse_ok(t_real, t_body(buf, sizeof(buf), "hardship_clause",
	    "GM0599", "V123FB", NULL, t_period(p, sizeof(p), "2026-03-05",
	    NULL), T_HC_EVIDENCE), "2026-03-05", &a);
	zes_app_clear(&a);
}

/* day_exemption in each zone: the day, 00:00 until 06:00 the next day; the fee. */
static void
test_day_exemption(void **state)
{
	static const struct {
		const char	*day, *from, *until;
	} days[] = {
		{ "2026-06-10", "2026-06-09T22:00:00Z", "2026-06-11T04:00:00Z" },
		/* Summer time starts on Sunday 2026-03-29: 29 hours. */
		{ "2026-03-28", "2026-03-27T23:00:00Z", "2026-03-29T04:00:00Z" },
		{ "2026-03-29", "2026-03-28T23:00:00Z", "2026-03-30T04:00:00Z" },
		{ "2026-03-30", "2026-03-29T22:00:00Z", "2026-03-31T04:00:00Z" },
		/* It ends on Sunday 2026-10-25: 31 hours. */
		{ "2026-10-24", "2026-10-23T22:00:00Z", "2026-10-25T05:00:00Z" },
		{ "2026-10-25", "2026-10-24T22:00:00Z", "2026-10-26T05:00:00Z" },
		{ "2026-12-31", "2026-12-30T23:00:00Z", "2027-01-01T05:00:00Z" },
	};
	struct zes_decision	d;
	struct zes_vehicle	v = t_van("2019-05-01");
	char			buf[2048], p[128];
	size_t			i, k;

	(void)state;
	for (k = 0; k < ZES_NELEM(t_zoned); k++) {
		for (i = 0; i < ZES_NELEM(days); i++) {
			t_decide(t_real, t_body(buf, sizeof(buf),
			    "day_exemption", t_zoned[k], "V123FB", NULL,
			    t_period(p, sizeof(p), days[i].day, NULL), NULL),
			    T_TODAY, &v, NULL, 0, &d);
			t_want(&d, ZES_OUTCOME_GRANTED, "");
			t_valid(&d, days[i].from, days[i].until);
			assert_int_equal(d.fee_cents, 3000);
			assert_string_equal(d.ruleset->issuer, t_zoned[k]);
		}
		/* Today counts, and 365 days ahead; 366 is out of range. */
		t_decide(t_real, t_body(buf, sizeof(buf), "day_exemption",
		    t_zoned[k], "V123FB", NULL, NULL, NULL), T_TODAY, &v, NULL,
		    0, &d);
		t_want(&d, ZES_OUTCOME_GRANTED, "");
		t_valid(&d, "2026-03-01T23:00:00Z", "2026-03-03T05:00:00Z");
		t_decide(t_real, t_body(buf, sizeof(buf), "day_exemption",
		    t_zoned[k], "V123FB", NULL, t_period(p, sizeof(p),
		    "2027-03-01", NULL), NULL), T_TODAY, &v, NULL, 0, &d);
		t_want(&d, ZES_OUTCOME_GRANTED, "");
		t_decide(t_real, t_body(buf, sizeof(buf), "day_exemption",
		    t_zoned[k], "V123FB", NULL, t_period(p, sizeof(p),
		    "2027-03-02", "2027-03-02"), NULL), T_TODAY, &v, NULL, 0,
		    &d);
		t_want(&d, ZES_OUTCOME_GRANTED, "");
		t_decide(t_real, t_body(buf, sizeof(buf), "day_exemption",
		    t_zoned[k], "V123FB", NULL, t_period(p, sizeof(p),
		    "2027-03-03", NULL), NULL), T_TODAY, &v, NULL, 0, &d);
		t_want(&d, ZES_OUTCOME_REJECTED, "date_out_of_range");
		assert_int_equal(d.fee_cents, 3000);
		/* Any vehicle: unknown, foreign, old, zero-emission. */
		t_decide(t_real, t_body(buf, sizeof(buf), "day_exemption",
		    t_zoned[k], "WX12345", "PL", NULL, NULL), T_TODAY, NULL,
		    NULL, 0, &d);
		t_want(&d, ZES_OUTCOME_GRANTED, "");
		v = t_vehicle("N1", 2800, "", "1990-01-01", "Diesel", "0");
		t_decide(t_real, t_body(buf, sizeof(buf), "day_exemption",
		    t_zoned[k], "V123FB", NULL, NULL, NULL), T_TODAY, &v, NULL,
		    0, &d);
		t_want(&d, ZES_OUTCOME_GRANTED, "");
		v = t_van("2019-05-01");
	}
}

/* 12 day exemptions a plate a municipality a calendar year of D. */
static void
test_day_quota(void **state)
{
	struct zes_exemption	ex[T_EX_MAX];
	struct zes_decision	d;
	char			buf[2048], p[128], day[16];
	size_t			i, n;

	(void)state;
	for (i = 0; i < 12; i++) {
		(void)snprintf(day, sizeof(day), "2026-01-%02zu", i + 5);
		ex[i] = t_ex("day_exemption", "GM0599", day, NULL, 0);
	}
	n = 12;
	/* The 13th in 2026 is refused... */
	t_decide(t_real, t_body(buf, sizeof(buf), "day_exemption", "GM0599",
	    "V123FB", NULL, t_period(p, sizeof(p), "2026-06-10", NULL), NULL),
	    T_TODAY, NULL, ex, n, &d);
	t_want(&d, ZES_OUTCOME_REJECTED, "quota_exhausted");
	assert_non_null(strstr(d.reasons[0].message, "12"));
	/* ...also on the last day of the year... */
	t_decide(t_real, t_body(buf, sizeof(buf), "day_exemption", "GM0599",
	    "V123FB", NULL, t_period(p, sizeof(p), "2026-12-31", NULL), NULL),
	    T_TODAY, NULL, ex, n, &d);
	t_want(&d, ZES_OUTCOME_REJECTED, "quota_exhausted");
	/* ...but not in 2027, nor by another municipality. */
	t_decide(t_real, t_body(buf, sizeof(buf), "day_exemption", "GM0599",
	    "V123FB", NULL, t_period(p, sizeof(p), "2027-01-01", NULL), NULL),
	    T_TODAY, NULL, ex, n, &d);
	t_want(&d, ZES_OUTCOME_GRANTED, "");
	t_decide(t_real, t_body(buf, sizeof(buf), "day_exemption", "GM0518",
	    "V123FB", NULL, t_period(p, sizeof(p), "2026-06-10", NULL), NULL),
	    T_TODAY, NULL, ex, n, &d);
	t_want(&d, ZES_OUTCOME_GRANTED, "");
	t_decide(t_real, t_body(buf, sizeof(buf), "day_exemption", "GM0503",
	    "V123FB", NULL, t_period(p, sizeof(p), "2026-06-10", NULL), NULL),
	    T_TODAY, NULL, ex, n, &d);
	t_want(&d, ZES_OUTCOME_GRANTED, "");
	/* A revoked one does not count: 11 + 1 revoked leaves one. */
	ex[3].revoked_at = ex[3].granted_at + 60;
	t_decide(t_real, t_body(buf, sizeof(buf), "day_exemption", "GM0599",
	    "V123FB", NULL, t_period(p, sizeof(p), "2026-06-10", NULL), NULL),
	    T_TODAY, NULL, ex, n, &d);
	t_want(&d, ZES_OUTCOME_GRANTED, "");
	/* ...and taking it makes 12 again. */
	ex[n++] = t_ex("day_exemption", "GM0599", "2026-06-10", NULL, 0);
	t_decide(t_real, t_body(buf, sizeof(buf), "day_exemption", "GM0599",
	    "V123FB", NULL, t_period(p, sizeof(p), "2026-06-11", NULL), NULL),
	    T_TODAY, NULL, ex, n, &d);
	t_want(&d, ZES_OUTCOME_REJECTED, "quota_exhausted");
	/* Exemptions of other years, issuers and types do not count. */
	for (i = 0; i < 12; i++) {
		(void)snprintf(day, sizeof(day), "2025-12-%02zu", i + 10);
		ex[i] = t_ex("day_exemption", "GM0599", day, NULL, 0);
	}
	ex[12] = t_ex("day_exemption", "GM0518", "2026-02-01", NULL, 0);
	ex[13] = t_ex("long_delivery", "GM0599", "2026-02-01", "2026-02-28", 0);
	t_decide(t_real, t_body(buf, sizeof(buf), "day_exemption", "GM0599",
	    "V123FB", NULL, t_period(p, sizeof(p), "2026-06-10", NULL), NULL),
	    T_TODAY, NULL, ex, 14, &d);
	t_want(&d, ZES_OUTCOME_GRANTED, "");
	/* The year is the local one: 2025-12-31 is 2025 though it starts at 23:00Z. */
	for (i = 0; i < 11; i++) {
		(void)snprintf(day, sizeof(day), "2026-01-%02zu", i + 5);
		ex[i] = t_ex("day_exemption", "GM0599", day, NULL, 0);
	}
	ex[11] = t_ex("day_exemption", "GM0599", "2025-12-31", NULL, 0);
	t_decide(t_real, t_body(buf, sizeof(buf), "day_exemption", "GM0599",
	    "V123FB", NULL, t_period(p, sizeof(p), "2026-06-10", NULL), NULL),
	    T_TODAY, NULL, ex, 12, &d);
	t_want(&d, ZES_OUTCOME_GRANTED, "");
	ex[11] = t_ex("day_exemption", "GM0599", "2026-01-01", NULL, 0);
	t_decide(t_real, t_body(buf, sizeof(buf), "day_exemption", "GM0599",
	    "V123FB", NULL, t_period(p, sizeof(p), "2026-06-10", NULL), NULL),
	    T_TODAY, NULL, ex, 12, &d);
	t_want(&d, ZES_OUTCOME_REJECTED, "quota_exhausted");
}

/* Day exemptions duplicate by plate, municipality and day. */
static void
test_day_duplicate(void **state)
{
	struct zes_exemption	ex[2];
	struct zes_decision	d;
	char			buf[2048], p[128];

	(void)state;
	ex[0] = t_ex("day_exemption", "GM0599", "2026-06-10", NULL, 0);
	t_decide(t_real, t_body(buf, sizeof(buf), "day_exemption", "GM0599",
	    "V123FB", NULL, t_period(p, sizeof(p), "2026-06-10", NULL), NULL),
	    T_TODAY, NULL, ex, 1, &d);
	t_want(&d, ZES_OUTCOME_REJECTED, "duplicate_exemption");
	/* The next day overlaps from 00:00 to 06:00, and is another day. */
	t_decide(t_real, t_body(buf, sizeof(buf), "day_exemption", "GM0599",
	    "V123FB", NULL, t_period(p, sizeof(p), "2026-06-11", NULL), NULL),
	    T_TODAY, NULL, ex, 1, &d);
	t_want(&d, ZES_OUTCOME_GRANTED, "");
	t_decide(t_real, t_body(buf, sizeof(buf), "day_exemption", "GM0599",
	    "V123FB", NULL, t_period(p, sizeof(p), "2026-06-09", NULL), NULL),
	    T_TODAY, NULL, ex, 1, &d);
	t_want(&d, ZES_OUTCOME_GRANTED, "");
	/* Another municipality's day is no duplicate; a revoked one neither. */
	t_decide(t_real, t_body(buf, sizeof(buf), "day_exemption", "GM0518",
	    "V123FB", NULL, t_period(p, sizeof(p), "2026-06-10", NULL), NULL),
	    T_TODAY, NULL, ex, 1, &d);
	t_want(&d, ZES_OUTCOME_GRANTED, "");
	ex[0].revoked_at = ex[0].granted_at + 1;
	t_decide(t_real, t_body(buf, sizeof(buf), "day_exemption", "GM0599",
	    "V123FB", NULL, t_period(p, sizeof(p), "2026-06-10", NULL), NULL),
	    T_TODAY, NULL, ex, 1, &d);
	t_want(&d, ZES_OUTCOME_GRANTED, "");
	/* A duplicate is found before the quota is counted. */
	ex[0].revoked_at = INT64_MAX;
	ex[1] = t_ex("day_exemption", "GM0599", "2026-06-10", NULL, 0);
	t_decide(t_real, t_body(buf, sizeof(buf), "day_exemption", "GM0599",
	    "V123FB", NULL, t_period(p, sizeof(p), "2026-06-10", NULL), NULL),
	    T_TODAY, NULL, ex, 2, &d);
	t_want(&d, ZES_OUTCOME_REJECTED, "duplicate_exemption");
}

/* long_delivery: every condition on both sides, validity, duplicates. */
static void
test_long_delivery(void **state)
{
	struct zes_exemption	ex[1];
	struct zes_decision	d;
	struct zes_vehicle	v = t_van("2019-05-01"), w;
	char			buf[2048], p[128];
	const char		*pe;
	size_t			k;

	(void)state;
	pe = t_period(p, sizeof(p), "2026-04-01", NULL);
	for (k = 0; k < ZES_NELEM(t_zoned); k++) {
		/* Granted through the expected delivery day. */
		t_decide(t_real, t_body(buf, sizeof(buf), "long_delivery",
		    t_zoned[k], "V123FB", NULL, pe, T_LD_EVIDENCE("2026-02-01",
		    "2026-09-15", "true")), T_TODAY, &v, NULL, 0, &d);
		t_want(&d, ZES_OUTCOME_GRANTED, "");
		t_valid(&d, "2026-03-31T22:00:00Z", "2026-09-15T22:00:00Z");
		assert_int_equal(d.fee_cents, 0);
		/* At most 12 months: delivery on the last day, or later. */
		t_decide(t_real, t_body(buf, sizeof(buf), "long_delivery",
		    t_zoned[k], "V123FB", NULL, pe, T_LD_EVIDENCE("2026-02-01",
		    "2027-03-31", "true")), T_TODAY, &v, NULL, 0, &d);
		t_valid(&d, "2026-03-31T22:00:00Z", "2027-03-31T22:00:00Z");
		t_decide(t_real, t_body(buf, sizeof(buf), "long_delivery",
		    t_zoned[k], "V123FB", NULL, pe, T_LD_EVIDENCE("2026-02-01",
		    "2027-06-01", "true")), T_TODAY, &v, NULL, 0, &d);
		t_valid(&d, "2026-03-31T22:00:00Z", "2027-03-31T22:00:00Z");
		t_decide(t_real, t_body(buf, sizeof(buf), "long_delivery",
		    t_zoned[k], "V123FB", NULL, pe, T_LD_EVIDENCE("2026-02-01",
		    "2027-03-30", "true")), T_TODAY, &v, NULL, 0, &d);
		t_valid(&d, "2026-03-31T22:00:00Z", "2027-03-30T22:00:00Z");
		/* period.until only shortens. */
		t_decide(t_real, t_body(buf, sizeof(buf), "long_delivery",
		    t_zoned[k], "V123FB", NULL, t_period(p, sizeof(p),
		    "2026-04-01", "2026-06-30"), T_LD_EVIDENCE("2026-02-01",
		    "2026-09-15", "true")), T_TODAY, &v, NULL, 0, &d);
		t_valid(&d, "2026-03-31T22:00:00Z", "2026-06-30T22:00:00Z");
		t_decide(t_real, t_body(buf, sizeof(buf), "long_delivery",
		    t_zoned[k], "V123FB", NULL, t_period(p, sizeof(p),
		    "2026-04-01", "2027-12-31"), T_LD_EVIDENCE("2026-02-01",
		    "2026-09-15", "true")), T_TODAY, &v, NULL, 0, &d);
		t_valid(&d, "2026-03-31T22:00:00Z", "2026-09-15T22:00:00Z");
		pe = t_period(p, sizeof(p), "2026-04-01", NULL);

		/* order date: the submission day holds, the next does not. */
		t_decide(t_real, t_body(buf, sizeof(buf), "long_delivery",
		    t_zoned[k], "V123FB", NULL, pe, T_LD_EVIDENCE("2026-03-02",
		    "2026-09-15", "true")), T_TODAY, &v, NULL, 0, &d);
		t_want(&d, ZES_OUTCOME_GRANTED, "");
		t_decide(t_real, t_body(buf, sizeof(buf), "long_delivery",
		    t_zoned[k], "V123FB", NULL, pe, T_LD_EVIDENCE("2026-03-03",
		    "2026-09-15", "true")), T_TODAY, &v, NULL, 0, &d);
		t_want(&d, ZES_OUTCOME_REJECTED, "order_date_in_future");
		/* delivery: after period.from, not on it. */
		t_decide(t_real, t_body(buf, sizeof(buf), "long_delivery",
		    t_zoned[k], "V123FB", NULL, pe, T_LD_EVIDENCE("2026-02-01",
		    "2026-04-02", "true")), T_TODAY, &v, NULL, 0, &d);
		t_want(&d, ZES_OUTCOME_GRANTED, "");
		t_valid(&d, "2026-03-31T22:00:00Z", "2026-04-02T22:00:00Z");
		t_decide(t_real, t_body(buf, sizeof(buf), "long_delivery",
		    t_zoned[k], "V123FB", NULL, pe, T_LD_EVIDENCE("2026-02-01",
		    "2026-04-01", "true")), T_TODAY, &v, NULL, 0, &d);
		t_want(&d, ZES_OUTCOME_REJECTED, "delivery_date_passed");
		t_decide(t_real, t_body(buf, sizeof(buf), "long_delivery",
		    t_zoned[k], "V123FB", NULL, pe, T_LD_EVIDENCE("2026-02-01",
		    "2026-09-15", "false")), T_TODAY, &v, NULL, 0, &d);
		t_want(&d, ZES_OUTCOME_REJECTED, "replacement_not_zero_emission");
		/* Every failing condition is listed, in the file's order. */
		t_decide(t_real, t_body(buf, sizeof(buf), "long_delivery",
		    t_zoned[k], "V123FB", NULL, pe, T_LD_EVIDENCE("2026-03-03",
		    "2026-03-31", "false")), T_TODAY, &v, NULL, 0, &d);
		t_want(&d, ZES_OUTCOME_REJECTED, "order_date_in_future,"
		    "delivery_date_passed,replacement_not_zero_emission");
		/* The register: unknown, foreign, out of scope, zero-emission. */
		t_decide(t_real, t_body(buf, sizeof(buf), "long_delivery",
		    t_zoned[k], "V123FB", NULL, pe, T_LD_EVIDENCE("2026-02-01",
		    "2026-09-15", "true")), T_TODAY, NULL, NULL, 0, &d);
		t_want(&d, ZES_OUTCOME_REJECTED, "vehicle_unknown");
		t_decide(t_real, t_body(buf, sizeof(buf), "long_delivery",
		    t_zoned[k], "V123FB", "BE", pe, T_LD_EVIDENCE("2026-02-01",
		    "2026-09-15", "true")), T_TODAY, &v, NULL, 0, &d);
		t_want(&d, ZES_OUTCOME_REJECTED, "vehicle_unknown");
		w = t_vehicle("M1", 1500, "", "2013-05-17", "Diesel", "5");
		t_decide(t_real, t_body(buf, sizeof(buf), "long_delivery",
		    t_zoned[k], "V123FB", NULL, pe, T_LD_EVIDENCE("2026-02-01",
		    "2026-09-15", "true")), T_TODAY, &w, NULL, 0, &d);
		t_want(&d, ZES_OUTCOME_REJECTED, "exemption_not_needed");
		w = t_vehicle("N1", 3500, "gesloten opbouw", "2024-05-01",
		    "Elektriciteit", "Z");
		t_decide(t_real, t_body(buf, sizeof(buf), "long_delivery",
		    t_zoned[k], "V123FB", NULL, pe, T_LD_EVIDENCE("2026-03-03",
		    "2026-09-15", "true")), T_TODAY, &w, NULL, 0, &d);
		t_want(&d, ZES_OUTCOME_REJECTED, "exemption_not_needed,"
		    "order_date_in_future");

		/* Duplicates: the same type and issuer, overlapping. */
		ex[0] = t_ex("long_delivery", t_zoned[k], "2026-01-01",
		    "2026-03-31", 0);
		t_decide(t_real, t_body(buf, sizeof(buf), "long_delivery",
		    t_zoned[k], "V123FB", NULL, pe, T_LD_EVIDENCE("2026-02-01",
		    "2026-09-15", "true")), T_TODAY, &v, ex, 1, &d);
		t_want(&d, ZES_OUTCOME_GRANTED, "");
		ex[0] = t_ex("long_delivery", t_zoned[k], "2026-01-01",
		    "2026-04-01", 0);
		t_decide(t_real, t_body(buf, sizeof(buf), "long_delivery",
		    t_zoned[k], "V123FB", NULL, pe, T_LD_EVIDENCE("2026-02-01",
		    "2026-09-15", "true")), T_TODAY, &v, ex, 1, &d);
		t_want(&d, ZES_OUTCOME_REJECTED, "duplicate_exemption");
		/* Without until the period is open: a later one overlaps. */
		ex[0] = t_ex("long_delivery", t_zoned[k], "2027-01-01",
		    "2027-02-01", 0);
		t_decide(t_real, t_body(buf, sizeof(buf), "long_delivery",
		    t_zoned[k], "V123FB", NULL, pe, T_LD_EVIDENCE("2026-02-01",
		    "2026-09-15", "true")), T_TODAY, &v, ex, 1, &d);
		t_want(&d, ZES_OUTCOME_REJECTED, "duplicate_exemption");
		t_decide(t_real, t_body(buf, sizeof(buf), "long_delivery",
		    t_zoned[k], "V123FB", NULL, t_period(p, sizeof(p),
		    "2026-04-01", "2026-12-31"), T_LD_EVIDENCE("2026-02-01",
		    "2026-09-15", "true")), T_TODAY, &v, ex, 1, &d);
		t_want(&d, ZES_OUTCOME_GRANTED, "");
		pe = t_period(p, sizeof(p), "2026-04-01", NULL);
		/* Another issuer's, or a revoked one, is no duplicate. */
		ex[0] = t_ex("long_delivery", strcmp(t_zoned[k], "GM0599") == 0 ?
		    "GM0518" : "GM0599", "2026-01-01", "2026-12-31", 0);
		t_decide(t_real, t_body(buf, sizeof(buf), "long_delivery",
		    t_zoned[k], "V123FB", NULL, pe, T_LD_EVIDENCE("2026-02-01",
		    "2026-09-15", "true")), T_TODAY, &v, ex, 1, &d);
		t_want(&d, ZES_OUTCOME_GRANTED, "");
		ex[0] = t_ex("long_delivery", t_zoned[k], "2026-01-01",
		    "2026-12-31", 1);
		t_decide(t_real, t_body(buf, sizeof(buf), "long_delivery",
		    t_zoned[k], "V123FB", NULL, pe, T_LD_EVIDENCE("2026-02-01",
		    "2026-09-15", "true")), T_TODAY, &v, ex, 1, &d);
		t_want(&d, ZES_OUTCOME_GRANTED, "");
	}
}

/* business_hardship: in review after its conditions; each on both sides. */
static void
test_business_hardship(void **state)
{
	static const struct {
		const char	*evidence;
		const char	*codes;
	} cases[] = {
		{ T_BH_EVIDENCE("2024-12-31", "2024-12-31", "13", "false", "3",
		  "true"), "financial_assessment_required" },
		{ T_BH_EVIDENCE("2025-01-01", "2024-12-31", "13", "false", "3",
		  "true"), "registered_after_zone_start" },
		{ T_BH_EVIDENCE("2024-12-31", "2025-01-01", "13", "false", "3",
		  "true"), "not_active_before_zone_start" },
		{ T_BH_EVIDENCE("2024-12-31", "2024-12-31", "12", "false", "3",
		  "true"), "too_few_zone_entries" },
		{ T_BH_EVIDENCE("2024-12-31", "2024-12-31", "13", "true", "3",
		  "true"), "alternative_available" },
		{ T_BH_EVIDENCE("2024-12-31", "2024-12-31", "13", "false", "2",
		  "true"), "annual_accounts_insufficient" },
		{ T_BH_EVIDENCE("2024-12-31", "2024-12-31", "13", "false", "3",
		  "false"), "fleet_list_missing" },
		{ T_BH_EVIDENCE("2010-01-01", "1999-12-31", "400", "false", "30",
		  "true"), "financial_assessment_required" },
		{ T_BH_EVIDENCE("2025-01-01", "2026-01-01", "0", "true", "0",
		  "false"), "registered_after_zone_start,"
		  "not_active_before_zone_start,too_few_zone_entries,"
		  "alternative_available,annual_accounts_insufficient,"
		  "fleet_list_missing" },
	};
	struct zes_decision	d;
	char			buf[2048], p[128];
	size_t			i, k;

	(void)state;
	for (k = 0; k < ZES_NELEM(t_zoned); k++) {
		for (i = 0; i < ZES_NELEM(cases); i++) {
			t_decide(t_real, t_body(buf, sizeof(buf),
			    "business_hardship", t_zoned[k], "V123FB", NULL,
			    t_period(p, sizeof(p), "2026-04-01", NULL),
			    cases[i].evidence), T_TODAY, NULL, NULL, 0, &d);
			t_want(&d, i == 0 || i == 7 ? ZES_OUTCOME_IN_REVIEW :
			    ZES_OUTCOME_REJECTED, cases[i].codes);
			if (d.outcome == ZES_OUTCOME_IN_REVIEW)
				t_valid(&d, "2026-03-31T22:00:00Z",
				    "2027-03-31T22:00:00Z");
		}
		/* One year from a 29 February ends on 28 February. */
		t_decide(t_real, t_body(buf, sizeof(buf), "business_hardship",
		    t_zoned[k], "V123FB", NULL, t_period(p, sizeof(p),
		    "2028-02-29", NULL), cases[0].evidence), T_TODAY, NULL,
		    NULL, 0, &d);
		t_valid(&d, "2028-02-28T23:00:00Z", "2029-02-27T23:00:00Z");
	}
}

/* grid_congestion: the statement's age and the request's day. */
static void
test_grid_congestion(void **state)
{
	struct zes_decision	d;
	char			buf[2048], p[128];
	const char		*pe;
	size_t			k;

	(void)state;
	pe = t_period(p, sizeof(p), "2026-04-01", NULL);
	for (k = 0; k < ZES_NELEM(t_zoned); k++) {
		t_decide(t_real, t_body(buf, sizeof(buf), "grid_congestion",
		    t_zoned[k], "V123FB", NULL, pe, T_GC_EVIDENCE("2025-03-02",
		    "2026-03-02")), T_TODAY, NULL, NULL, 0, &d);
		t_want(&d, ZES_OUTCOME_GRANTED, "");
		t_valid(&d, "2026-03-31T22:00:00Z", "2028-03-31T22:00:00Z");
		t_decide(t_real, t_body(buf, sizeof(buf), "grid_congestion",
		    t_zoned[k], "V123FB", NULL, pe, T_GC_EVIDENCE("2025-03-01",
		    "2026-03-02")), T_TODAY, NULL, NULL, 0, &d);
		t_want(&d, ZES_OUTCOME_REJECTED, "grid_statement_outdated");
		t_decide(t_real, t_body(buf, sizeof(buf), "grid_congestion",
		    t_zoned[k], "V123FB", NULL, pe, T_GC_EVIDENCE("2025-03-03",
		    "2026-03-01")), T_TODAY, NULL, NULL, 0, &d);
		t_want(&d, ZES_OUTCOME_GRANTED, "");
		t_decide(t_real, t_body(buf, sizeof(buf), "grid_congestion",
		    t_zoned[k], "V123FB", NULL, pe, T_GC_EVIDENCE("2025-03-03",
		    "2026-03-03")), T_TODAY, NULL, NULL, 0, &d);
		t_want(&d, ZES_OUTCOME_REJECTED,
		    "electrification_request_in_future");
		t_decide(t_real, t_body(buf, sizeof(buf), "grid_congestion",
		    t_zoned[k], "V123FB", NULL, pe, T_GC_EVIDENCE("2020-01-01",
		    "2027-01-01")), T_TODAY, NULL, NULL, 0, &d);
		t_want(&d, ZES_OUTCOME_REJECTED, "grid_statement_outdated,"
		    "electrification_request_in_future");
	}
	/* 12 months before 31 March 2026 is 31 March 2025. */
	t_decide(t_real, t_body(buf, sizeof(buf), "grid_congestion", "GM0599",
	    "V123FB", NULL, NULL, T_GC_EVIDENCE("2025-03-31", "2026-03-31")),
	    "2026-03-31", NULL, NULL, 0, &d);
	t_want(&d, ZES_OUTCOME_GRANTED, "");
	t_decide(t_real, t_body(buf, sizeof(buf), "grid_congestion", "GM0599",
	    "V123FB", NULL, NULL, T_GC_EVIDENCE("2025-03-30", "2026-03-31")),
	    "2026-03-31", NULL, NULL, 0, &d);
	t_want(&d, ZES_OUTCOME_REJECTED, "grid_statement_outdated");
}

/* hardship_clause: in review for 12 months at most; the assessor sets the end. */
static void
test_hardship_clause(void **state)
{
	struct zes_decision	d;
	struct zes_app		a;
	char			buf[2048], p[128];
	const char		*why;
	int64_t			from, until;
	size_t			k;

	(void)state;
	for (k = 0; k < ZES_NELEM(t_zoned); k++) {
		t_parse_ok(t_real, t_body(buf, sizeof(buf), "hardship_clause",
		    t_zoned[k], "V123FB", NULL, t_period(p, sizeof(p),
		    "2026-04-01", NULL), T_HC_EVIDENCE), T_TODAY, &a);
		t_eval(t_real, &a, NULL, NULL, 0, &d);
		t_want(&d, ZES_OUTCOME_IN_REVIEW, "case_by_case_assessment");
		t_valid(&d, "2026-03-31T22:00:00Z", "2027-03-31T22:00:00Z");

		why = NULL;
		assert_int_equal(zes_engine_assessor_period(t_real, &a,
		    ZES_DAY_NONE, &from, &until, &why), -1);
		assert_non_null(strstr(why, "is required"));
		assert_int_equal(zes_engine_assessor_period(t_real, &a,
		    t_day("2026-03-31"), &from, &until, &why), -1);
		assert_non_null(strstr(why, "before period.from"));
		assert_int_equal(zes_engine_assessor_period(t_real, &a,
		    t_day("2026-04-01"), &from, &until, &why), 0);
		assert_true(from == t_at("2026-03-31T22:00:00Z"));
		assert_true(until == t_at("2026-04-01T22:00:00Z"));
		assert_int_equal(zes_engine_assessor_period(t_real, &a,
		    t_day("2027-03-31"), &from, &until, &why), 0);
		assert_true(until == t_at("2027-03-31T22:00:00Z"));
		assert_int_equal(zes_engine_assessor_period(t_real, &a,
		    t_day("2027-04-01"), &from, &until, &why), -1);
		assert_non_null(strstr(why, "beyond"));
		zes_app_clear(&a);

		/* period.until caps what the assessor may set. */
		t_parse_ok(t_real, t_body(buf, sizeof(buf), "hardship_clause",
		    t_zoned[k], "V123FB", NULL, t_period(p, sizeof(p),
		    "2026-04-01", "2026-09-30"), T_HC_EVIDENCE), T_TODAY, &a);
		t_eval(t_real, &a, NULL, NULL, 0, &d);
		t_valid(&d, "2026-03-31T22:00:00Z", "2026-09-30T22:00:00Z");
		assert_int_equal(zes_engine_assessor_period(t_real, &a,
		    t_day("2026-09-30"), &from, &until, &why), 0);
		assert_int_equal(zes_engine_assessor_period(t_real, &a,
		    t_day("2026-10-01"), &from, &until, &why), -1);
		zes_app_clear(&a);
	}
}

/* business_hardship granted by an assessor: the rules' year, or shorter. */
static void
test_assessor_period(void **state)
{
	struct zes_app	a;
	char		buf[2048], p[128];
	const char	*why;
	int64_t		from, until;

	(void)state;
	t_parse_ok(t_real, t_body(buf, sizeof(buf), "business_hardship",
	    "GM0518", "V123FB", NULL, t_period(p, sizeof(p), "2026-04-01",
	    NULL), T_BH_EVIDENCE("2024-12-31", "2024-12-31", "13", "false",
	    "3", "true")), T_TODAY, &a);
	assert_int_equal(zes_engine_assessor_period(t_real, &a, ZES_DAY_NONE,
	    &from, &until, &why), 0);
	assert_true(from == t_at("2026-03-31T22:00:00Z"));
	assert_true(until == t_at("2027-03-31T22:00:00Z"));
	assert_int_equal(zes_engine_assessor_period(t_real, &a,
	    t_day("2026-12-31"), &from, &until, &why), 0);
	assert_true(until == t_at("2026-12-31T23:00:00Z"));
	assert_int_equal(zes_engine_assessor_period(t_real, &a,
	    t_day("2027-03-31"), &from, &until, &why), 0);
	assert_int_equal(zes_engine_assessor_period(t_real, &a,
	    t_day("2027-04-01"), &from, &until, &why), -1);
	assert_non_null(strstr(why, "beyond"));
	zes_app_clear(&a);

	/* Rebuilt from the stored body on a later day, with the submission day. */
	t_parse_ok(t_real, t_body(buf, sizeof(buf), "business_hardship",
	    "GM0518", "V123FB", NULL, t_period(p, sizeof(p), "2026-04-01",
	    NULL), T_BH_EVIDENCE("2024-12-31", "2024-12-31", "13", "false",
	    "3", "true")), "2026-04-01", &a);
	assert_int_equal(zes_engine_assessor_period(t_real, &a, ZES_DAY_NONE,
	    &from, &until, &why), 0);
	zes_app_clear(&a);

	/* A type the municipality does not declare has no period. */
	t_parse_ok(t_real, t_body(buf, sizeof(buf), "hardship_clause",
	    "GM0613", "V123FB", NULL, NULL, "{}"), T_TODAY, &a);
	assert_int_equal(zes_engine_assessor_period(t_real, &a,
	    t_day("2026-04-01"), &from, &until, &why), -1);
	zes_app_clear(&a);
}

#define T_SV_CRANE(n)	"{\"kind\": \"loading_crane\", " \
	"\"craneCapacityTonneMetres\": " n "}"
#define T_SV_REMOVAL	"{\"kind\": \"removal_van\", " \
	"\"removalCompanyKvk\": \"87654321\"}"

/* special_vehicle (national): a truck younger than 13; crane threshold. */
static void
test_special_vehicle(void **state)
{
	struct zes_exemption	ex[1];
	struct zes_decision	d;
	struct zes_vehicle	v = t_truck("2020-03-01"), w;
	char			buf[2048], p[128];
	const char		*pe;

	(void)state;
	pe = t_period(p, sizeof(p), "2026-04-01", NULL);
	t_decide(t_real, t_body(buf, sizeof(buf), "special_vehicle", NULL,
	    "V123FB", NULL, pe, T_SV_REMOVAL), T_TODAY, &v, NULL, 0, &d);
	t_want(&d, ZES_OUTCOME_GRANTED, "");
	assert_string_equal(d.ruleset->issuer, "national");
	t_valid(&d, "2026-03-31T22:00:00Z", "2029-12-31T23:00:00Z");
	/* DET + 13 years before 2030. */
	v = t_truck("2015-06-01");
	t_decide(t_real, t_body(buf, sizeof(buf), "special_vehicle", NULL,
	    "V123FB", NULL, pe, T_SV_CRANE("35")), T_TODAY, &v, NULL, 0, &d);
	t_want(&d, ZES_OUTCOME_GRANTED, "");
	t_valid(&d, "2026-03-31T22:00:00Z", "2028-05-31T22:00:00Z");
	t_decide(t_real, t_body(buf, sizeof(buf), "special_vehicle", NULL,
	    "V123FB", NULL, pe, T_SV_CRANE("34")), T_TODAY, &v, NULL, 0, &d);
	t_want(&d, ZES_OUTCOME_REJECTED, "crane_below_threshold");
	/* 13 years old on period.from: too old; a day younger: one day left. */
	v = t_truck("2013-04-01");
	t_decide(t_real, t_body(buf, sizeof(buf), "special_vehicle", NULL,
	    "V123FB", NULL, pe, T_SV_REMOVAL), T_TODAY, &v, NULL, 0, &d);
	t_want(&d, ZES_OUTCOME_REJECTED, "vehicle_too_old");
	v = t_truck("2013-04-02");
	t_decide(t_real, t_body(buf, sizeof(buf), "special_vehicle", NULL,
	    "V123FB", NULL, pe, T_SV_REMOVAL), T_TODAY, &v, NULL, 0, &d);
	t_want(&d, ZES_OUTCOME_GRANTED, "");
	t_valid(&d, "2026-03-31T22:00:00Z", "2026-04-01T22:00:00Z");
	v = t_truck("2013-03-31");
	t_decide(t_real, t_body(buf, sizeof(buf), "special_vehicle", NULL,
	    "V123FB", NULL, pe, T_SV_CRANE("20")), T_TODAY, &v, NULL, 0, &d);
	t_want(&d, ZES_OUTCOME_REJECTED, "vehicle_too_old,"
	    "crane_below_threshold");
	/* A tractor is a truck; a van, a bus and an unknown mass van are not. */
	w = t_vehicle("N3", 18000, "opleggertrekker", "2021-01-01", "Diesel",
	    "6");
	t_decide(t_real, t_body(buf, sizeof(buf), "special_vehicle", NULL,
	    "V123FB", NULL, pe, T_SV_REMOVAL), T_TODAY, &w, NULL, 0, &d);
	t_want(&d, ZES_OUTCOME_GRANTED, "");
	w = t_vehicle("N1", 3500, "gesloten opbouw", "2021-01-01", "Diesel",
	    "6");
	t_decide(t_real, t_body(buf, sizeof(buf), "special_vehicle", NULL,
	    "V123FB", NULL, pe, T_SV_REMOVAL), T_TODAY, &w, NULL, 0, &d);
	t_want(&d, ZES_OUTCOME_REJECTED, "not_a_truck");
	w = t_vehicle("N2", 3501, "bakwagen", "2021-01-01", "Diesel", "6");
	t_decide(t_real, t_body(buf, sizeof(buf), "special_vehicle", NULL,
	    "V123FB", NULL, pe, T_SV_REMOVAL), T_TODAY, &w, NULL, 0, &d);
	t_want(&d, ZES_OUTCOME_GRANTED, "");
	w = t_vehicle("M3", 18000, "", "2021-01-01", "Diesel", "6");
	t_decide(t_real, t_body(buf, sizeof(buf), "special_vehicle", NULL,
	    "V123FB", NULL, pe, T_SV_REMOVAL), T_TODAY, &w, NULL, 0, &d);
	t_want(&d, ZES_OUTCOME_REJECTED, "not_a_truck");
	/* Not in the register, or a foreign plate: vehicle_unknown only. */
	t_decide(t_real, t_body(buf, sizeof(buf), "special_vehicle", NULL,
	    "V123FB", NULL, pe, T_SV_REMOVAL), T_TODAY, NULL, NULL, 0, &d);
	t_want(&d, ZES_OUTCOME_REJECTED, "vehicle_unknown");
	t_decide(t_real, t_body(buf, sizeof(buf), "special_vehicle", NULL,
	    "HH-AB-1234", "DE", pe, T_SV_CRANE("40")), T_TODAY, &v, NULL, 0,
	    &d);
	t_want(&d, ZES_OUTCOME_REJECTED, "vehicle_unknown");
	/* From 2030 nothing is left of the validity. */
	v = t_truck("2024-01-01");
	t_decide(t_real, t_body(buf, sizeof(buf), "special_vehicle", NULL,
	    "V123FB", NULL, t_period(p, sizeof(p), "2029-12-31", NULL),
	    T_SV_REMOVAL), T_TODAY, &v, NULL, 0, &d);
	t_want(&d, ZES_OUTCOME_GRANTED, "");
	t_valid(&d, "2029-12-30T23:00:00Z", "2029-12-31T23:00:00Z");
	t_decide(t_real, t_body(buf, sizeof(buf), "special_vehicle", NULL,
	    "V123FB", NULL, t_period(p, sizeof(p), "2030-01-01", NULL),
	    T_SV_REMOVAL), T_TODAY, &v, NULL, 0, &d);
	t_want(&d, ZES_OUTCOME_REJECTED, "date_out_of_range");
	/* National duplicates: issuer "national". */
	pe = t_period(p, sizeof(p), "2026-04-01", NULL);
	ex[0] = t_ex("special_vehicle", "national", "2026-01-01", "2026-12-31",
	    0);
	t_decide(t_real, t_body(buf, sizeof(buf), "special_vehicle", NULL,
	    "V123FB", NULL, pe, T_SV_REMOVAL), T_TODAY, &v, ex, 1, &d);
	t_want(&d, ZES_OUTCOME_REJECTED, "duplicate_exemption");
	ex[0] = t_ex("special_vehicle", "GM0599", "2026-01-01", "2026-12-31",
	    0);
	t_decide(t_real, t_body(buf, sizeof(buf), "special_vehicle", NULL,
	    "V123FB", NULL, pe, T_SV_REMOVAL), T_TODAY, &v, ex, 1, &d);
	t_want(&d, ZES_OUTCOME_GRANTED, "");
}

/* The common checks: zone on period.from, offered, in this order. */
static void
test_common_checks(void **state)
{
	struct zes_decision	d;
	struct zes_exemption	ex[1];
	char			buf[2048], p[128];

	(void)state;
	/* The zones start on 2025-01-01. */
	t_decide(t_real, t_body(buf, sizeof(buf), "day_exemption", "GM0599",
	    "V123FB", NULL, t_period(p, sizeof(p), "2024-12-31", NULL), NULL),
	    "2024-12-30", NULL, NULL, 0, &d);
	t_want(&d, ZES_OUTCOME_REJECTED, "municipality_without_zone");
	t_decide(t_real, t_body(buf, sizeof(buf), "day_exemption", "GM0599",
	    "V123FB", NULL, t_period(p, sizeof(p), "2025-01-01", NULL), NULL),
	    "2024-12-30", NULL, NULL, 0, &d);
	t_want(&d, ZES_OUTCOME_GRANTED, "");
	t_valid(&d, "2024-12-31T23:00:00Z", "2025-01-02T05:00:00Z");
	/* The 18 municipalities without a zone: the first check fails first. */
	ex[0] = t_ex("day_exemption", "GM0613", "2026-06-10", NULL, 0);
	t_decide(t_real, t_body(buf, sizeof(buf), "day_exemption", "GM0613",
	    "V123FB", NULL, t_period(p, sizeof(p), "2026-06-10", NULL), NULL),
	    T_TODAY, NULL, ex, 1, &d);
	t_want(&d, ZES_OUTCOME_REJECTED, "municipality_without_zone");
	assert_string_equal(d.ruleset->issuer, "GM0613");
	assert_non_null(strstr(d.reasons[0].message, "2026-06-10"));
	/* A type declared and not offered, or not declared: type_not_offered. */
	t_decide(t_custom, t_body(buf, sizeof(buf), "hardship_clause",
	    "GM0518", "V123FB", NULL, NULL, T_HC_EVIDENCE), T_TODAY, NULL,
	    NULL, 0, &d);
	t_want(&d, ZES_OUTCOME_REJECTED, "type_not_offered");
	t_decide(t_custom, t_body(buf, sizeof(buf), "day_exemption", "GM0518",
	    "V123FB", NULL, NULL, NULL), T_TODAY, NULL, NULL, 0, &d);
	t_want(&d, ZES_OUTCOME_REJECTED, "type_not_offered");
	assert_int_equal(d.fee_cents, 0);
	/* Offered-ness is checked before duplicates. */
	ex[0] = t_ex("hardship_clause", "GM0518", "2026-01-01", "2026-12-31",
	    0);
	t_decide(t_custom, t_body(buf, sizeof(buf), "hardship_clause",
	    "GM0518", "V123FB", NULL, NULL, T_HC_EVIDENCE), T_TODAY, NULL, ex,
	    1, &d);
	t_want(&d, ZES_OUTCOME_REJECTED, "type_not_offered");
}

/* A municipality's own type and its own minimum emission class (no C change). */
static void
test_custom_type(void **state)
{
	struct zes_exemption	ex[2];
	struct zes_decision	d;
	struct zes_vehicle	v = t_van("2019-05-01"), w;
	const struct zes_type	*t;
	char			buf[2048], p[128];
	const char		*pe;

#define T_MT(market, stall, permit) "{\"market\": \"" market "\", " \
	"\"stallNumber\": " stall ", \"permitValidUntil\": \"" permit "\"}"

	(void)state;
	t = zes_rules_type(t_custom, zes_rules_municipality(t_custom, "GM0599"),
	    "market_trader");
	assert_non_null(t);
	assert_int_equal(t->fee_cents, 1250);
	assert_int_equal(t->quota_per_year, 2);
	assert_int_equal(t->nevidence, 4);
	assert_int_equal(t->evidence[3].type, ZES_EV_KVK);
	assert_false(t->evidence[3].required);
	assert_null(zes_rules_type(t_real, zes_rules_municipality(t_real,
	    "GM0599"), "market_trader"));

	pe = t_period(p, sizeof(p), "2026-04-01", NULL);
	t_decide(t_custom, t_body(buf, sizeof(buf), "market_trader", "GM0599",
	    "V123FB", NULL, pe, T_MT("binnenrotte", "12", "2026-10-31")),
	    T_TODAY, &v, NULL, 0, &d);
	t_want(&d, ZES_OUTCOME_GRANTED, "");
	t_valid(&d, "2026-03-31T22:00:00Z", "2026-10-31T23:00:00Z");
	assert_int_equal(d.fee_cents, 1250);
	assert_string_equal(d.ruleset->version, "custom.1");
	/* At most a year; never from 2030. */
	t_decide(t_custom, t_body(buf, sizeof(buf), "market_trader", "GM0599",
	    "V123FB", NULL, pe, T_MT("afrikaanderplein", "300", "2028-01-01")),
	    T_TODAY, &v, NULL, 0, &d);
	t_valid(&d, "2026-03-31T22:00:00Z", "2027-03-31T22:00:00Z");
	t_decide(t_custom, t_body(buf, sizeof(buf), "market_trader", "GM0599",
	    "V123FB", NULL, t_period(p, sizeof(p), "2029-06-01", NULL),
	    T_MT("afrikaanderplein", "3", "2031-01-01")), T_TODAY, &v, NULL, 0,
	    &d);
	t_valid(&d, "2029-05-31T22:00:00Z", "2029-12-31T23:00:00Z");
	/* Its conditions, and a guard on another field. */
	pe = t_period(p, sizeof(p), "2026-04-01", NULL);
	t_decide(t_custom, t_body(buf, sizeof(buf), "market_trader", "GM0599",
	    "V123FB", NULL, pe, T_MT("binnenrotte", "201", "2026-03-31")),
	    T_TODAY, &v, NULL, 0, &d);
	t_want(&d, ZES_OUTCOME_REJECTED, "permit_expired,saturday_market_only");
	t_decide(t_custom, t_body(buf, sizeof(buf), "market_trader", "GM0599",
	    "V123FB", NULL, pe, T_MT("afrikaanderplein", "201", "2026-04-01")),
	    T_TODAY, &v, NULL, 0, &d);
	t_want(&d, ZES_OUTCOME_GRANTED, "");
	w = t_truck("2020-01-01");
	t_decide(t_custom, t_body(buf, sizeof(buf), "market_trader", "GM0599",
	    "V123FB", NULL, pe, T_MT("binnenrotte", "1", "2026-12-31")),
	    T_TODAY, &w, NULL, 0, &d);
	t_want(&d, ZES_OUTCOME_REJECTED, "not_a_van");
	t_decide(t_custom, t_body(buf, sizeof(buf), "market_trader", "GM0599",
	    "V123FB", NULL, pe, T_MT("binnenrotte", "1", "2026-12-31")),
	    T_TODAY, NULL, NULL, 0, &d);
	t_want(&d, ZES_OUTCOME_REJECTED, "vehicle_unknown");
	/* Its evidence is checked like any: an enum, a range, a kvk. */
	t_one_error(t_custom, t_body(buf, sizeof(buf), "market_trader",
	    "GM0599", "V123FB", NULL, pe, "{\"market\": \"noordmolen\", "
	    "\"stallNumber\": 1, \"permitValidUntil\": \"2026-12-31\"}"),
	    T_TODAY, "evidence.market", "binnenrotte, afrikaanderplein");
	t_one_error(t_custom, t_body(buf, sizeof(buf), "market_trader",
	    "GM0599", "V123FB", NULL, pe, "{\"market\": \"binnenrotte\", "
	    "\"stallNumber\": 401, \"permitValidUntil\": \"2026-12-31\"}"),
	    T_TODAY, "evidence.stallNumber", "from 1 to 400");
	t_one_error(t_custom, t_body(buf, sizeof(buf), "market_trader",
	    "GM0599", "V123FB", NULL, pe, "{\"market\": \"binnenrotte\", "
	    "\"stallNumber\": 4, \"permitValidUntil\": \"2026-12-31\", "
	    "\"permitHolderKvk\": \"123\"}"), T_TODAY,
	    "evidence.permitHolderKvk", "8 digits");
	/* Its quota: 2 a year. */
	ex[0] = t_ex("market_trader", "GM0599", "2026-01-01", "2026-01-31", 0);
	ex[1] = t_ex("market_trader", "GM0599", "2026-02-01", "2026-02-28", 0);
	t_decide(t_custom, t_body(buf, sizeof(buf), "market_trader", "GM0599",
	    "V123FB", NULL, pe, T_MT("binnenrotte", "12", "2026-10-31")),
	    T_TODAY, &v, ex, 2, &d);
	t_want(&d, ZES_OUTCOME_REJECTED, "quota_exhausted");
	t_decide(t_custom, t_body(buf, sizeof(buf), "market_trader", "GM0599",
	    "V123FB", NULL, pe, T_MT("binnenrotte", "12", "2026-10-31")),
	    T_TODAY, &v, ex, 1, &d);
	t_want(&d, ZES_OUTCOME_GRANTED, "");

	/* A minimum emission class for day exemptions: 6 or zero-emission. */
	w = t_vehicle("N1", 3000, "", "2016-01-01", "Diesel", "5");
	t_decide(t_custom, t_body(buf, sizeof(buf), "day_exemption", "GM0599",
	    "V123FB", NULL, NULL, NULL), T_TODAY, &w, NULL, 0, &d);
	t_want(&d, ZES_OUTCOME_REJECTED, "emission_class_too_low");
	w = t_vehicle("N1", 3000, "", "2016-01-01", "Diesel", "6");
	t_decide(t_custom, t_body(buf, sizeof(buf), "day_exemption", "GM0599",
	    "V123FB", NULL, NULL, NULL), T_TODAY, &w, NULL, 0, &d);
	t_want(&d, ZES_OUTCOME_GRANTED, "");
	w = t_vehicle("N1", 3000, "", "2016-01-01", "Elektriciteit", "");
	t_decide(t_custom, t_body(buf, sizeof(buf), "day_exemption", "GM0599",
	    "V123FB", NULL, NULL, NULL), T_TODAY, &w, NULL, 0, &d);
	t_want(&d, ZES_OUTCOME_GRANTED, "");
	/* Unknown to the register: the guard leaves the class unchecked. */
	t_decide(t_custom, t_body(buf, sizeof(buf), "day_exemption", "GM0599",
	    "V123FB", NULL, NULL, NULL), T_TODAY, NULL, NULL, 0, &d);
	t_want(&d, ZES_OUTCOME_GRANTED, "");
	/* In the real rules there is no minimum. */
	w = t_vehicle("N1", 3000, "", "2016-01-01", "Diesel", "5");
	t_decide(t_real, t_body(buf, sizeof(buf), "day_exemption", "GM0599",
	    "V123FB", NULL, NULL, NULL), T_TODAY, &w, NULL, 0, &d);
	t_want(&d, ZES_OUTCOME_GRANTED, "");
#undef T_MT
}

/*
 * municipality.zoneStart is the first day of the first period (GM0363's
 * come out of order with a gap); a day expression with every plus.
 */
static void
test_zone_start(void **state)
{
	struct zes_decision	d;
	char			buf[2048], p[128];

	(void)state;
	assert_true(zes_zone_start(zes_rules_municipality(t_custom, "GM0363")) ==
	    t_day("2025-06-01"));
	assert_true(zes_zone_start(zes_rules_municipality(t_real, "GM0613")) ==
	    ZES_DAY_NONE);
	/* In the gap there is no zone. */
	t_decide(t_custom, t_body(buf, sizeof(buf), "business_hardship",
	    "GM0363", "V123FB", NULL, t_period(p, sizeof(p), "2026-06-01",
	    NULL), "{\"registeredToApplicantSince\": \"2025-05-31\"}"),
	    T_TODAY, NULL, NULL, 0, &d);
	t_want(&d, ZES_OUTCOME_REJECTED, "municipality_without_zone");
	t_decide(t_custom, t_body(buf, sizeof(buf), "business_hardship",
	    "GM0363", "V123FB", NULL, t_period(p, sizeof(p), "2027-01-01",
	    NULL), "{\"registeredToApplicantSince\": \"2025-05-31\"}"),
	    T_TODAY, NULL, NULL, 0, &d);
	t_want(&d, ZES_OUTCOME_IN_REVIEW, "financial_assessment_required");
	/* 6 months, but never on or after submittedOn + 1 year 1 month - 1 day. */
	t_valid(&d, "2026-12-31T23:00:00Z", "2027-03-31T22:00:00Z");
	t_decide(t_custom, t_body(buf, sizeof(buf), "business_hardship",
	    "GM0363", "V123FB", NULL, t_period(p, sizeof(p), "2027-01-01",
	    NULL), "{\"registeredToApplicantSince\": \"2025-06-01\"}"),
	    T_TODAY, NULL, NULL, 0, &d);
	t_want(&d, ZES_OUTCOME_REJECTED, "registered_after_zone_start");
	t_decide(t_custom, t_body(buf, sizeof(buf), "business_hardship",
	    "GM0363", "V123FB", NULL, t_period(p, sizeof(p), "2027-04-01",
	    NULL), "{\"registeredToApplicantSince\": \"2025-05-31\"}"),
	    T_TODAY, NULL, NULL, 0, &d);
	t_want(&d, ZES_OUTCOME_REJECTED, "date_out_of_range");
}

/* Every type of every rule set in rules/ decides with its own rule set. */
static void
test_every_type(void **state)
{
	static const struct {
		const char	*type, *evidence;
		enum zes_outcome outcome;
	} types[] = {
		{ "day_exemption", NULL, ZES_OUTCOME_GRANTED },
		{ "long_delivery", T_LD_EVIDENCE("2026-02-01", "2026-09-15",
		  "true"), ZES_OUTCOME_GRANTED },
		{ "business_hardship", T_BH_EVIDENCE("2024-12-31",
		  "2024-12-31", "13", "false", "3", "true"),
		  ZES_OUTCOME_IN_REVIEW },
		{ "grid_congestion", T_GC_EVIDENCE("2025-06-01", "2026-01-01"),
		  ZES_OUTCOME_GRANTED },
		{ "hardship_clause", T_HC_EVIDENCE, ZES_OUTCOME_IN_REVIEW },
	};
	const struct zes_municipality	*m;
	struct zes_decision		 d;
	struct zes_vehicle		 v = t_van("2019-05-01");
	char				 buf[2048], p[128];
	size_t				 i, k, seen;

	(void)state;
	for (i = 0; i < t_real->nmunis; i++) {
		m = &t_real->munis[i];
		seen = 0;
		for (k = 0; k < ZES_NELEM(types); k++) {
			t_decide(t_real, t_body(buf, sizeof(buf), types[k].type,
			    m->code, "V123FB", NULL, t_period(p, sizeof(p),
			    "2026-04-01", NULL), types[k].evidence), T_TODAY,
			    &v, NULL, 0, &d);
			assert_ptr_equal(d.ruleset, m->info);
			if (!m->has_zone) {
				t_want(&d, ZES_OUTCOME_REJECTED,
				    "municipality_without_zone");
				continue;
			}
			assert_int_equal(d.outcome, types[k].outcome);
			seen++;
		}
		assert_int_equal(m->ntypes, seen);
	}
	assert_int_equal(t_real->national.ntypes, 1);
}

/* Every reason code of DOMAIN.md §5 came out of some test above. */
static void
test_reason_codes_reached(void **state)
{
	size_t	i;
	int	missing = 0;

	(void)state;
	for (i = 0; i < ZES_NELEM(t_codes); i++) {
		if (!t_reached[i]) {
			print_message("never produced: %s\n", t_codes[i]);
			missing++;
		}
	}
	assert_int_equal(missing, 0);
}

/* The outcome names of API.md. */
static void
test_outcome_names(void **state)
{
	(void)state;
	assert_string_equal(zes_outcome_name(ZES_OUTCOME_GRANTED), "granted");
	assert_string_equal(zes_outcome_name(ZES_OUTCOME_REJECTED), "rejected");
	assert_string_equal(zes_outcome_name(ZES_OUTCOME_IN_REVIEW),
	    "in_review");
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_outcome_names),
		cmocka_unit_test(test_parse_normalised),
		cmocka_unit_test(test_parse_all_errors),
		cmocka_unit_test(test_parse_scope_type),
		cmocka_unit_test(test_parse_evidence),
		cmocka_unit_test(test_parse_period),
		cmocka_unit_test(test_day_exemption),
		cmocka_unit_test(test_day_quota),
		cmocka_unit_test(test_day_duplicate),
		cmocka_unit_test(test_long_delivery),
		cmocka_unit_test(test_business_hardship),
		cmocka_unit_test(test_grid_congestion),
		cmocka_unit_test(test_hardship_clause),
		cmocka_unit_test(test_assessor_period),
		cmocka_unit_test(test_special_vehicle),
		cmocka_unit_test(test_common_checks),
		cmocka_unit_test(test_custom_type),
		cmocka_unit_test(test_zone_start),
		cmocka_unit_test(test_every_type),
		/* Last: it reads what the tests above produced. */
		cmocka_unit_test(test_reason_codes_reached),
	};

	return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
