/*
 * Fuzz the application body parser of the rules engine (daemon/core/
 * evaluate.c: zes_app_parse) with the repository's rules, loaded once, and
 * the engine on every application it accepts.
 *
 * Input: a body of POST /v1/applications, decoded as the server does
 * (zes_json_decode: strict, no duplicate keys).  `today` is 2026-06-15.
 *
 * Invariants: the error callback is called exactly as often as the count
 * returned, each time with a field and a message; a refused body leaves no
 * application body; an accepted one has a valid plate, period.from not
 * before today and period.until not before it, and its normalised body
 * parses again, as it is and without plateDisplay (as an assessor's
 * decision re-reads it), to an equal body.  The engine then decides it
 * without and with a register entry and with an overlapping exemption:
 * a rejection has reasons and no validity, a grant no reason and a
 * non-empty validity, a review its reason and a non-empty validity; an
 * assessor's period is non-empty or refused with a reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "zes/engine.h"
#include "zes/http.h"
#include "zes/json.h"
#include "zes/period.h"

#include "fuzz.h"

/* What the error callback saw. */
struct app_errs {
	size_t	n;
};

/* zes_app_error_fn: count, and check what it is given. */
static void
app_err_cb(void *arg, const char *field, const char *message)
{
	struct app_errs	*e = arg;

	FUZZ_ASSERT(field != NULL);
	FUZZ_ASSERT(message != NULL && message[0] != '\0');
	e->n++;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	(void)fuzz_rules();
	return 0;
}

/* body parses again, to a body equal to want. */
static void
app_reparse(const json_t *body, const json_t *want, int64_t today)
{
	const struct zes_rules	*rules = fuzz_rules();
	struct zes_app		 b;
	struct app_errs		 e = { 0 };

	FUZZ_ASSERT(zes_app_parse(body, rules, today, &b, app_err_cb, &e) == 0);
	FUZZ_ASSERT(e.n == 0 && b.body != NULL);
	FUZZ_ASSERT(json_equal(b.body, want));
	zes_app_clear(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct zes_rules	*rules = fuzz_rules();
	struct zes_req		 r;
	struct zes_app		 a;
	struct zes_plate	 pl;
	struct zes_vehicle	 v;
	struct zes_exemption	 ex;
	struct app_errs		 e = { 0 };
	json_t			*body, *copy;
	int64_t			 today, now, from, until;
	const char		*why;
	size_t			 n;
	int			 rc;

	memset(&r, 0, sizeof(r));
	body = zes_json_decode(&r, (const char *)data, size);
	fuzz_req_clear(&r);
	if (body == NULL)
		return 0;
	today = zes_date_from_ymd(2026, 6, 15);
	n = zes_app_parse(body, rules, today, &a, app_err_cb, &e);
	json_decref(body);
	FUZZ_ASSERT(n == e.n);
	if (n > 0) {
		FUZZ_ASSERT(a.body == NULL);
		return 0;
	}

	FUZZ_ASSERT(json_is_object(a.body));
	FUZZ_ASSERT(a.national ? a.municipality == NULL :
	    a.municipality != NULL);
	FUZZ_ASSERT(zes_plate_parse(a.plate.text, strlen(a.plate.text),
	    a.plate.country, &pl, NULL) == 0);
	FUZZ_ASSERT(strcmp(pl.text, a.plate.text) == 0);
	FUZZ_ASSERT(a.from_day >= today);
	FUZZ_ASSERT(a.until_day == ZES_DAY_NONE || a.until_day >= a.from_day);
	FUZZ_ASSERT(a.kvk[0] == '\0' || strlen(a.kvk) == 8);

	/* A stored body parses again as it is, and without plateDisplay. */
	app_reparse(a.body, a.body, today);
	copy = json_deep_copy(a.body);
	FUZZ_ASSERT(copy != NULL);
	(void)json_object_del(copy, "plateDisplay");
	app_reparse(copy, a.body, today);
	json_decref(copy);

	/* The engine decides whatever the parser accepted. */
	now = zes_time_local_midnight(today) + 10 * 3600;
	fuzz_decide(rules, &a, NULL, NULL, 0, now);
	fuzz_vehicle(&v, a.plate.text);
	fuzz_decide(rules, &a, &v, NULL, 0, now);
	memset(&ex, 0, sizeof(ex));
	(void)snprintf(ex.type, sizeof(ex.type), "%s", a.type);
	(void)snprintf(ex.issuer, sizeof(ex.issuer), "%s", a.national ?
	    "national" : a.municipality->code);
	ex.valid_from = zes_time_local_midnight(a.from_day);
	ex.valid_until = ex.valid_from + 40 * ZES_SECONDS_PER_DAY;
	ex.granted_at = now - ZES_SECONDS_PER_DAY;
	ex.revoked_at = INT64_MAX;
	fuzz_decide(rules, &a, &v, &ex, 1, now);

	/* An assessor's period: non-empty, or refused with a reason. */
	why = NULL;
	rc = zes_engine_assessor_period(rules, &a, ZES_DAY_NONE, &from, &until,
	    &why);
	FUZZ_ASSERT(rc == 0 ? from < until : why != NULL);
	why = NULL;
	rc = zes_engine_assessor_period(rules, &a, a.from_day + 30, &from,
	    &until, &why);
	FUZZ_ASSERT(rc == 0 ? from < until : why != NULL);
	zes_app_clear(&a);
	return 0;
}
