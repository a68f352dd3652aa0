/*
 * Helpers of the libFuzzer harnesses (fuzz.h).  The rules folder is read
 * once per process, before any input: the harnesses themselves do no I/O.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zes/engine.h"
#include "zes/http.h"
#include "zes/period.h"
#include "zes/rulesdir.h"
#include "zes/xmalloc.h"

#include "fuzz.h"

static struct zes_rules	*fuzz_loaded;

/* Report a broken invariant and abort, so that libFuzzer keeps the input. */
void
fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: invariant failed: %s\n", file, line, what);
	abort();
}

/* The rules folder's path: $ZES_FUZZ_RULES_DIR, else the repository's. */
static const char *
fuzz_rules_dir(void)
{
	const char	*dir = getenv("ZES_FUZZ_RULES_DIR");

	return dir != NULL && dir[0] != '\0' ? dir : ZES_SOURCE_DIR "/rules";
}

/* The rules, loaded on first use. */
const struct zes_rules *
fuzz_rules(void)
{
	struct zes_rule_errors	errs = { NULL, 0 };
	size_t			i;

	if (fuzz_loaded != NULL)
		return fuzz_loaded;
	fuzz_loaded = zes_rules_load_dir(fuzz_rules_dir(), &errs);
	if (fuzz_loaded == NULL) {
		fprintf(stderr, "fuzz: the rules in %s do not load:\n",
		    fuzz_rules_dir());
		for (i = 0; i < errs.n; i++)
			fprintf(stderr, "  %s: %s\n", errs.v[i].where,
			    errs.v[i].message);
		zes_rule_errors_free(&errs);
		exit(1);
	}
	return fuzz_loaded;
}

/* Read one file of the rules folder. */
char *
fuzz_rules_file(const char *name, size_t *len)
{
	char	*path, *buf;
	FILE	*f;
	long	 size;

	if (xasprintf(&path, "%s/%s", fuzz_rules_dir(), name) == -1)
		abort();
	if ((f = fopen(path, "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
	    (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "fuzz: cannot read %s\n", path);
		exit(1);
	}
	buf = xmalloc((size_t)size + 1);
	if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
		fprintf(stderr, "fuzz: cannot read %s\n", path);
		exit(1);
	}
	buf[size] = '\0';
	fclose(f);
	free(path);
	*len = (size_t)size;
	return buf;
}

/* Free a request's collected errors. */
void
fuzz_req_clear(struct zes_req *r)
{
	size_t	i;

	for (i = 0; i < r->nerrors; i++) {
		free(r->errors[i].field);
		free(r->errors[i].message);
	}
	free(r->errors);
	r->errors = NULL;
	r->nerrors = 0;
}

/* A NUL-terminated copy of the input. */
char *
fuzz_strndup(const uint8_t *data, size_t size)
{
	char	*s = xmalloc(size + 1);

	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* A goods vehicle of the register. */
void
fuzz_vehicle(struct zes_vehicle *v, const char *plate)
{
	memset(v, 0, sizeof(*v));
	(void)snprintf(v->plate, sizeof(v->plate), "%s", plate);
	memcpy(v->category, "N2", 3);
	(void)snprintf(v->vehicle_type, sizeof(v->vehicle_type), "Bedrijfsauto");
	(void)snprintf(v->body_description, sizeof(v->body_description),
	    "gesloten opbouw");
	memcpy(v->body_type, "BB", 3);
	v->body_code = 3;
	v->nfuels = 1;
	(void)snprintf(v->fuels[0].name, sizeof(v->fuels[0].name), "Diesel");
	memcpy(v->fuels[0].emission_class, "5", 2);
	v->first_admission = zes_date_from_ymd(2016, 3, 1);
	v->mass_kg = 7500;
}

/* Decide and check the decision's shape. */
void
fuzz_decide(const struct zes_rules *rules, const struct zes_app *a,
    const struct zes_vehicle *v, const struct zes_exemption *ex, size_t nex,
    int64_t now)
{
	struct zes_engine_input	 in;
	struct zes_decision	 d;
	size_t			 i;

	memset(&in, 0, sizeof(in));
	in.rules = rules;
	in.app = a;
	in.vehicle = v;
	in.exemptions = ex;
	in.nexemptions = nex;
	in.now = now;
	zes_engine_evaluate(&in, &d);
	FUZZ_ASSERT(d.ruleset != NULL);
	FUZZ_ASSERT(d.nreasons <= ZES_REASONS_MAX);
	for (i = 0; i < d.nreasons; i++)
		FUZZ_ASSERT(d.reasons[i].code[0] != '\0');
	switch (d.outcome) {
	case ZES_OUTCOME_REJECTED:
		FUZZ_ASSERT(d.nreasons >= 1);
		FUZZ_ASSERT(d.valid_from == 0 && d.valid_until == 0);
		break;
	case ZES_OUTCOME_GRANTED:
		FUZZ_ASSERT(d.nreasons == 0);
		FUZZ_ASSERT(d.valid_from < d.valid_until);
		break;
	case ZES_OUTCOME_IN_REVIEW:
		FUZZ_ASSERT(d.nreasons == 1);
		FUZZ_ASSERT(d.valid_from < d.valid_until);
		break;
	default:
		fuzz_fail(__FILE__, __LINE__, "an outcome outside the enum");
	}
}
