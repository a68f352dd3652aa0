/*
 * Fuzz the rules loader (daemon/core/ruleset.c: zes_rules_build) over one
 * or more files, and the engine over what it builds.
 *
 * Input: the texts of a rules folder, each file after a line
 * "=== NAME" (NAME may be anything: names are checked too).  Text before
 * the first such line is national.json; when no part is national.json,
 * the repository's national.json is added, so that a municipality's file
 * alone is fuzzed against the real national rules.  At most
 * RULES_MAX_FILES parts are read.
 *
 * Invariants: the build fails exactly when it reports errors, each with a
 * place and a message.  Built rules hold one reference, each file's
 * SHA-256 in hex, the municipalities sorted by distinct valid codes and
 * each found by its code, zone periods sorted, non-empty and not
 * overlapping, and every exemption type found by its code.  Then, for each
 * type (up to RULES_MAX_TYPES), an application with a value of the
 * declared type for each evidence field is parsed and, when accepted,
 * decided without and with a register entry (fuzz_decide's checks).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "zes/engine.h"
#include "zes/period.h"
#include "zes/ruleset.h"
#include "zes/xmalloc.h"

#include "fuzz.h"

#define RULES_MAX_FILES	8
#define RULES_MAX_TYPES	16
#define RULES_MARK	"=== "

static char	*rules_national;	/* the repository's national.json */
static size_t	 rules_national_len;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	rules_national = fuzz_rules_file("national.json", &rules_national_len);
	return 0;
}

/* Error callback of zes_app_parse: only counted. */
static void
rules_err_cb(void *arg, const char *field, const char *message)
{
	FUZZ_ASSERT(field != NULL && message != NULL);
	(*(size_t *)arg)++;
}

/* A value of the evidence field's type that its own bounds allow. */
static json_t *
rules_evidence_value(const struct zes_evidence_def *e)
{
	char	buf[64];
	int64_t	n;
	size_t	len;

	switch (e->type) {
	case ZES_EV_STRING:
		if (e->nvalues > 0)
			return json_string(e->values[0]);
		len = e->min_length > 0 && e->min_length < 60 ?
		    (size_t)e->min_length : 1;
		memset(buf, 'x', len);
		buf[len] = '\0';
		return json_string(buf);
	case ZES_EV_DATE:
		return json_string("2026-06-01");
	case ZES_EV_INTEGER:
		n = e->minimum > 0 ? e->minimum : 0;
		if (n > e->maximum)
			n = e->maximum;
		return json_integer(n);
	case ZES_EV_BOOLEAN:
		return json_true();
	case ZES_EV_POSTCODE:
		return json_string("1234AB");
	case ZES_EV_KVK:
		return json_string("12345678");
	}
	return json_null();
}

/* Apply for type t of m (NULL: national) and decide when accepted. */
static void
rules_apply(const struct zes_rules *r, const struct zes_municipality *m,
    const struct zes_type *t)
{
	struct zes_app		 a;
	struct zes_vehicle	 v;
	json_t			*body, *ev;
	int64_t			 today, now;
	size_t			 i, nerr = 0, n;

	ev = json_object();
	for (i = 0; i < t->nevidence; i++)
		(void)json_object_set_new(ev, t->evidence[i].name,
		    rules_evidence_value(&t->evidence[i]));
	body = json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:{s:s}, s:o}",
	    "scope", m == NULL ? "national" : "municipal",
	    "type", t->code,
	    "plate", "V123FB",
	    "applicant", "kvk", "12345678", "name", "Fuzz BV",
	    "email", "fuzz@example.nl",
	    "period", "from", "2026-06-15",
	    "evidence", ev);
	FUZZ_ASSERT(body != NULL);
	if (m != NULL)
		(void)json_object_set_new(body, "municipality",
		    json_string(m->code));
	today = zes_date_from_ymd(2026, 6, 15);
	n = zes_app_parse(body, r, today, &a, rules_err_cb, &nerr);
	json_decref(body);
	FUZZ_ASSERT(n == nerr);
	if (n > 0)
		return;
	now = zes_time_local_midnight(today) + 10 * 3600;
	fuzz_decide(r, &a, NULL, NULL, 0, now);
	fuzz_vehicle(&v, a.plate.text);
	fuzz_decide(r, &a, &v, NULL, 0, now);
	zes_app_clear(&a);
}

/* 1 when s is 64 lower-case hex digits. */
static int
rules_hex64(const char *s)
{
	size_t	i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}

/* Check what a successful build holds, and use it. */
static void
rules_check(struct zes_rules *r, size_t nfiles)
{
	const struct zes_municipality	*m;
	size_t				 i, j, ntried = 0;

	FUZZ_ASSERT(atomic_load(&r->refs) == 1);
	FUZZ_ASSERT(r->national_info.doc != NULL);
	FUZZ_ASSERT(rules_hex64(r->national_info.sha256));
	FUZZ_ASSERT(r->nmunis < nfiles);
	for (i = 0; i < r->nmunis; i++) {
		m = &r->munis[i];
		FUZZ_ASSERT(zes_municipality_code_valid(m->code));
		FUZZ_ASSERT(i == 0 || strcmp(r->munis[i - 1].code, m->code) < 0);
		FUZZ_ASSERT(zes_rules_municipality(r, m->code) == m);
		FUZZ_ASSERT(m->info != NULL && rules_hex64(m->info->sha256));
		FUZZ_ASSERT(m->has_zone || m->nperiods == 0);
		for (j = 0; j < m->nperiods; j++) {
			FUZZ_ASSERT(m->periods[j].from_day <
			    m->periods[j].before_day);
			FUZZ_ASSERT(j == 0 || m->periods[j - 1].before_day <=
			    m->periods[j].from_day);
		}
		if (m->has_zone && m->nperiods > 0)
			FUZZ_ASSERT(zes_zone_in_force_day(m,
			    m->periods[0].from_day));
		for (j = 0; j < m->ntypes; j++)
			FUZZ_ASSERT(zes_rules_type(r, m, m->types[j].code) ==
			    &m->types[j]);
	}
	for (j = 0; j < r->national.ntypes; j++)
		FUZZ_ASSERT(zes_rules_type(r, NULL, r->national.types[j].code) ==
		    &r->national.types[j]);

	FUZZ_ASSERT(zes_rules_ref(r) == r);
	zes_rules_unref(r);

	for (j = 0; j < r->national.ntypes && ntried < RULES_MAX_TYPES; j++) {
		rules_apply(r, NULL, &r->national.types[j]);
		ntried++;
	}
	for (i = 0; i < r->nmunis && ntried < RULES_MAX_TYPES; i++) {
		m = &r->munis[i];
		for (j = 0; j < m->ntypes && ntried < RULES_MAX_TYPES; j++) {
			rules_apply(r, m, &m->types[j]);
			ntried++;
		}
	}
}

/* Find the next line starting with the mark at or after p; NULL: none. */
static const char *
rules_next_mark(const char *p, const char *end)
{
	size_t	ml = strlen(RULES_MARK);

	for (; p != NULL && p + ml <= end; ) {
		if (memcmp(p, RULES_MARK, ml) == 0)
			return p;
		p = memchr(p, '\n', (size_t)(end - p));
		if (p != NULL)
			p++;
	}
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zes_rule_text	 files[RULES_MAX_FILES + 1];
	struct zes_rule_errors	 errs = { NULL, 0 };
	struct zes_rules	*r;
	char			*names[RULES_MAX_FILES];
	const char		*p = (const char *)data, *end = p + size;
	const char		*mark, *nl, *text;
	size_t			 n = 0, i, tlen;
	int			 have_national = 0;

	/* Text before the first mark: national.json, when there is any. */
	mark = rules_next_mark(p, end);
	tlen = (size_t)((mark != NULL ? mark : end) - p);
	if (tlen > 0) {
		names[n] = xstrdup("national.json");
		files[n].name = names[n];
		files[n].data = p;
		files[n].len = tlen;
		n++;
	}
	while (mark != NULL && n < RULES_MAX_FILES) {
		mark += strlen(RULES_MARK);
		nl = memchr(mark, '\n', (size_t)(end - mark));
		text = nl != NULL ? nl + 1 : end;
		names[n] = xstrndup(mark, (size_t)((nl != NULL ? nl : end) - mark));
		p = text;
		mark = rules_next_mark(p, end);
		files[n].name = names[n];
		files[n].data = p;
		/* Up to the line of the next mark. */
		files[n].len = (size_t)((mark != NULL ? mark : end) - p);
		n++;
	}
	for (i = 0; i < n; i++)
		if (strcmp(files[i].name, "national.json") == 0)
			have_national = 1;
	if (!have_national) {
		files[n].name = "national.json";
		files[n].data = rules_national;
		files[n].len = rules_national_len;
	}

	r = zes_rules_build(files, n + !have_national, &errs);
	FUZZ_ASSERT((r == NULL) == (errs.n > 0));
	for (i = 0; i < errs.n; i++) {
		FUZZ_ASSERT(errs.v[i].where != NULL && errs.v[i].where[0] != '\0');
		FUZZ_ASSERT(errs.v[i].message != NULL &&
		    errs.v[i].message[0] != '\0');
	}
	zes_rule_errors_free(&errs);
	if (r != NULL) {
		rules_check(r, n + !have_national);
		zes_rules_unref(r);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	return 0;
}
