/*
 * Unit tests for core/rdwcsv.c: the CSV reader (quotes, doubled quotes,
 * CRLF, lone CR, BOM, empty lines, a last line without a line break, the
 * record bounds, input fed in chunks of every size), header matching (API
 * and display names, case, order, extra and missing columns, duplicates),
 * every reason a vehicles row is rejected, the Bedrijfsauto fallback of
 * DOMAIN.md section 1, the detail files, and the real fixture rows TT601D
 * and VTV69T of DOMAIN.md section 8.
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
#include "zes/rdwcsv.h"

#define MAX_RECS	16
#define JOINED_MAX	512

/* A record as the tests compare it: its fields joined with '|'. */
struct rec {
	uint64_t		line;
	enum zes_csv_error	error;
	size_t			nfields;
	char			joined[JOINED_MAX];
};

/* Copy the record the reader handed out into r. */
static void
collect(const struct zes_csv *c, struct rec *r)
{
	size_t	i, w = 0;

	r->line = c->line;
	r->error = c->error;
	r->nfields = c->nfields;
	for (i = 0; i < c->nfields; i++) {
		if (w + 1 + c->fields[i].len >= JOINED_MAX)
			break;
		if (i > 0)
			r->joined[w++] = '|';
		memcpy(r->joined + w, c->fields[i].p, c->fields[i].len);
		w += c->fields[i].len;
	}
	r->joined[w] = '\0';
}

/*
 * Read all of in, chunk bytes at a time (0: all at once), into recs.
 * Returns the number of records.
 */
static size_t
read_all(const char *in, size_t len, size_t chunk, struct rec *recs,
    size_t max)
{
	struct zes_csv	*c;
	size_t		 off = 0, n = 0, take, rest, used;
	const char	*p;

	c = malloc(sizeof(*c));
	assert_non_null(c);
	zes_csv_init(c);
	if (chunk == 0)
		chunk = len > 0 ? len : 1;
	while (off < len) {
		take = len - off < chunk ? len - off : chunk;
		p = in + off;
		rest = take;
		while (zes_csv_next(c, p, rest, 0, &used) == 1) {
			assert_true(n < max);
			assert_true(used <= rest);
			collect(c, &recs[n++]);
			p += used;
			rest -= used;
		}
		assert_int_equal(used, rest);
		off += take;
	}
	while (zes_csv_next(c, in + len, 0, 1, &used) == 1) {
		assert_true(n < max);
		collect(c, &recs[n++]);
	}
	free(c);
	return n;
}

/* Cases for the reader: input, and the records it gives. */
static const struct {
	const char	*name;
	const char	*in;
	size_t		 nrecs;
	struct {
		uint64_t		 line;
		enum zes_csv_error	 error;
		const char		*joined;
	}		 recs[4];
} csv_cases[] = {
	{ "plain LF", "a,b,c\n1,2,3\n", 2,
	    { { 1, ZES_CSV_OK, "a|b|c" }, { 2, ZES_CSV_OK, "1|2|3" } } },
	{ "CRLF", "a,b\r\nc,d\r\n", 2,
	    { { 1, ZES_CSV_OK, "a|b" }, { 2, ZES_CSV_OK, "c|d" } } },
	{ "lone CR", "a,b\rc,d\r", 2,
	    { { 1, ZES_CSV_OK, "a|b" }, { 2, ZES_CSV_OK, "c|d" } } },
	{ "no final line break", "a\nb,c", 2,
	    { { 1, ZES_CSV_OK, "a" }, { 2, ZES_CSV_OK, "b|c" } } },
	{ "final CRLF only once", "a\r\n", 1,
	    { { 1, ZES_CSV_OK, "a" } } },
	{ "quotes", "\"a,b\",\"c\"\"d\",e\n", 1,
	    { { 1, ZES_CSV_OK, "a,b|c\"d|e" } } },
	{ "quoted empty and only quotes", "\"\",\"\"\"\"\n", 1,
	    { { 1, ZES_CSV_OK, "|\"" } } },
	{ "quoted line breaks count as lines",
	    "\"x\ny\",z\r\n\"p\r\nq\"\nlast\n", 3,
	    { { 1, ZES_CSV_OK, "x\ny|z" }, { 3, ZES_CSV_OK, "p\r\nq" },
	      { 5, ZES_CSV_OK, "last" } } },
	{ "empty lines are skipped but counted", "a\n\n\r\n\nb\n", 2,
	    { { 1, ZES_CSV_OK, "a" }, { 5, ZES_CSV_OK, "b" } } },
	{ "empty fields", ",,\nx,\n", 2,
	    { { 1, ZES_CSV_OK, "||" }, { 2, ZES_CSV_OK, "x|" } } },
	{ "BOM", "\xef\xbb\xbfkenteken,b\nX,Y\n", 2,
	    { { 1, ZES_CSV_OK, "kenteken|b" }, { 2, ZES_CSV_OK, "X|Y" } } },
	{ "half a BOM is data", "\xef\xbbx\n", 1,
	    { { 1, ZES_CSV_OK, "\xef\xbbx" } } },
	{ "BOM only later is data", "a\n\xef\xbb\xbf\n", 2,
	    { { 1, ZES_CSV_OK, "a" }, { 2, ZES_CSV_OK, "\xef\xbb\xbf" } } },
	{ "stray quote inside an unquoted field", "ab\"c,d\n", 1,
	    { { 1, ZES_CSV_OK, "ab\"c|d" } } },
	{ "text after a closing quote", "\"ab\"c,d\n", 1,
	    { { 1, ZES_CSV_OK, "abc|d" } } },
	{ "unterminated quote", "a\n\"b,c\nd", 2,
	    { { 1, ZES_CSV_OK, "a" },
	      { 2, ZES_CSV_UNTERMINATED, "b,c\nd" } } },
	{ "empty input", "", 0, { { 0, ZES_CSV_OK, NULL } } },
	{ "only line breaks", "\n\r\n\n", 0, { { 0, ZES_CSV_OK, NULL } } },
	{ "spaces are data", " a , b \n", 1,
	    { { 1, ZES_CSV_OK, " a | b " } } },
};

/* Every case, read at once and in chunks of 1 to 7 bytes, gives the same. */
static void
test_csv_cases(void **state)
{
	struct rec	recs[MAX_RECS];
	size_t		i, j, n, chunk;

	(void)state;
	for (i = 0; i < ZES_NELEM(csv_cases); i++) {
		for (chunk = 0; chunk <= 7; chunk++) {
			n = read_all(csv_cases[i].in, strlen(csv_cases[i].in),
			    chunk, recs, MAX_RECS);
			if (n != csv_cases[i].nrecs)
				fail_msg("%s (chunk %zu): %zu records, not %zu",
				    csv_cases[i].name, chunk, n,
				    csv_cases[i].nrecs);
			for (j = 0; j < n; j++) {
				if (recs[j].line != csv_cases[i].recs[j].line ||
				    recs[j].error != csv_cases[i].recs[j].error ||
				    strcmp(recs[j].joined,
				    csv_cases[i].recs[j].joined) != 0)
					fail_msg("%s (chunk %zu) record %zu: line "
					    "%llu error %d '%s'", csv_cases[i].name,
					    chunk, j, (unsigned long long)recs[j].line,
					    (int)recs[j].error, recs[j].joined);
			}
		}
	}
}

/* A record over 64 KiB is flagged, cut short, and the next one reads fine. */
static void
test_csv_long_line(void **state)
{
	struct rec	 recs[MAX_RECS];
	size_t		 len, n, chunk;
	char		*in;

	(void)state;
	len = 2 * ZES_CSV_MAX_RECORD + 100;
	in = malloc(len + 1);
	assert_non_null(in);
	memcpy(in, "a,b\n", 4);
	/* Line 2: 64 KiB + 1 bytes, a quoted field with a line break in it. */
	in[4] = '"';
	memset(in + 5, 'x', ZES_CSV_MAX_RECORD - 1);
	in[5 + 100] = '\n';
	in[4 + ZES_CSV_MAX_RECORD] = '"';
	memcpy(in + 5 + ZES_CSV_MAX_RECORD, "\nc,d\n", 5);
	len = 10 + ZES_CSV_MAX_RECORD;
	in[len] = '\0';
	for (chunk = 0; chunk < 3; chunk++) {
		n = read_all(in, len, chunk == 0 ? 0 : chunk == 1 ? 1 : 4096,
		    recs, MAX_RECS);
		assert_int_equal(n, 3);
		assert_int_equal(recs[0].error, ZES_CSV_OK);
		assert_int_equal(recs[1].line, 2);
		assert_int_equal(recs[1].error, ZES_CSV_TOO_LONG);
		assert_int_equal(recs[2].line, 4);
		assert_int_equal(recs[2].error, ZES_CSV_OK);
		assert_string_equal(recs[2].joined, "c|d");
	}

	/* Exactly 64 KiB is still fine. */
	memset(in, 'y', ZES_CSV_MAX_RECORD);
	in[ZES_CSV_MAX_RECORD] = '\n';
	n = read_all(in, ZES_CSV_MAX_RECORD + 1, 0, recs, MAX_RECS);
	assert_int_equal(n, 1);
	assert_int_equal(recs[0].error, ZES_CSV_OK);

	/* A file that is one endless unquoted line: flagged, no crash. */
	memset(in, 'z', 2 * ZES_CSV_MAX_RECORD);
	n = read_all(in, 2 * ZES_CSV_MAX_RECORD, 1000, recs, MAX_RECS);
	assert_int_equal(n, 1);
	assert_int_equal(recs[0].error, ZES_CSV_TOO_LONG);
	free(in);
}

/* More than ZES_CSV_MAX_FIELDS fields is an error of that record only. */
static void
test_csv_too_many_fields(void **state)
{
	struct rec	 recs[MAX_RECS];
	char		*in;
	size_t		 n, len = ZES_CSV_MAX_FIELDS + 10;

	(void)state;
	in = malloc(len);
	assert_non_null(in);
	memset(in, ',', ZES_CSV_MAX_FIELDS);	/* MAX_FIELDS + 1 fields */
	memcpy(in + ZES_CSV_MAX_FIELDS, "\nok,1\n", 6);
	n = read_all(in, ZES_CSV_MAX_FIELDS + 6, 0, recs, MAX_RECS);
	assert_int_equal(n, 2);
	assert_int_equal(recs[0].error, ZES_CSV_TOO_MANY_FIELDS);
	assert_int_equal(recs[0].nfields, ZES_CSV_MAX_FIELDS);
	assert_int_equal(recs[1].error, ZES_CSV_OK);
	assert_string_equal(recs[1].joined, "ok|1");

	memset(in, ',', ZES_CSV_MAX_FIELDS - 1);	/* exactly MAX_FIELDS */
	in[ZES_CSV_MAX_FIELDS - 1] = '\n';
	n = read_all(in, ZES_CSV_MAX_FIELDS, 0, recs, MAX_RECS);
	assert_int_equal(n, 1);
	assert_int_equal(recs[0].error, ZES_CSV_OK);
	assert_int_equal(recs[0].nfields, ZES_CSV_MAX_FIELDS);
	free(in);
	assert_string_equal(zes_csv_error_text(ZES_CSV_OK), "");
	assert_non_null(strstr(zes_csv_error_text(ZES_CSV_TOO_LONG),
	    "line too long"));
}

/* Split a header or row line into fields (no quotes in test rows). */
static size_t
split(const char *line, char *store, struct zes_csv_field *f, size_t max)
{
	size_t	n = 0;
	char	*p, *q;

	strcpy(store, line);
	for (p = store;; p = q + 1) {
		assert_true(n < max);
		q = strchr(p, ',');
		f[n].p = p;
		f[n].len = q != NULL ? (size_t)(q - p) : strlen(p);
		n++;
		if (q == NULL)
			break;
	}
	return n;
}

/* Match a header line; 0 or -1 with the message in err. */
static int
header(enum zes_rdw_file file, const char *line, struct zes_rdw_header *h,
    char *err, size_t errlen)
{
	char			store[1024];
	struct zes_csv_field	f[64];
	size_t			n;

	n = split(line, store, f, 64);
	return zes_rdw_header_parse(file, f, n, h, err, errlen);
}

#define VEH_API	"kenteken,voertuigsoort,merk,europese_voertuigcategorie," \
		"toegestane_maximum_massa_voertuig,datum_eerste_toelating," \
		"inrichting"

/* API names, display names, case, order and extra columns. */
static void
test_header_match(void **state)
{
	struct zes_rdw_header	h;
	char			err[512];

	(void)state;
	assert_int_equal(header(ZES_RDW_VEHICLES, VEH_API, &h, err,
	    sizeof(err)), 0);
	assert_int_equal(h.col[ZES_RDW_PLATE], 0);
	assert_int_equal(h.col[ZES_RDW_V_TYPE], 1);
	assert_int_equal(h.col[ZES_RDW_V_CATEGORY], 3);
	assert_int_equal(h.col[ZES_RDW_V_MASS], 4);
	assert_int_equal(h.col[ZES_RDW_V_FIRST_ADMISSION], 5);
	assert_int_equal(h.col[ZES_RDW_V_BODY_DESCRIPTION], 6);
	assert_int_equal(h.need, 7);

	/* Display names, another order, other case, blanks, extras. */
	assert_int_equal(header(ZES_RDW_VEHICLES, "Merk,Datum eerste toelating,"
	    " Inrichting ,KENTEKEN,Toegestane maximum massa voertuig,"
	    "Europese_Voertuigcategorie,Voertuigsoort,Handelsbenaming",
	    &h, err, sizeof(err)), 0);
	assert_int_equal(h.col[ZES_RDW_PLATE], 3);
	assert_int_equal(h.col[ZES_RDW_V_FIRST_ADMISSION], 1);
	assert_int_equal(h.col[ZES_RDW_V_BODY_DESCRIPTION], 2);
	assert_int_equal(h.col[ZES_RDW_V_TYPE], 6);
	assert_int_equal(h.need, 7);

	/* Fuels: the optional column may be absent; the portal's label. */
	assert_int_equal(header(ZES_RDW_FUELS, "Kenteken,Brandstof volgnummer,"
	    "Brandstof omschrijving,Emissieklasse", &h, err, sizeof(err)), 0);
	assert_int_equal(h.col[ZES_RDW_F_CLASS], 3);
	assert_int_equal(h.col[ZES_RDW_F_EURO], -1);
	assert_int_equal(header(ZES_RDW_FUELS, "kenteken,brandstof_volgnummer,"
	    "brandstof_omschrijving,emissiecode_omschrijving,"
	    "uitlaatemissieniveau", &h, err, sizeof(err)), 0);
	assert_int_equal(h.col[ZES_RDW_F_EURO], 4);

	assert_int_equal(header(ZES_RDW_BODIES, "kenteken,carrosserietype",
	    &h, err, sizeof(err)), 0);
	assert_int_equal(h.col[ZES_RDW_B_SEQ], -1);
	assert_int_equal(header(ZES_RDW_BODY_CODES, "Kenteken,Carrosserie "
	    "volgnummer,Carrosseriecode", &h, err, sizeof(err)), 0);
	assert_int_equal(h.col[ZES_RDW_C_CODE], 2);
	/* bijzonderheid_code_1 (the description) is another column. */
	assert_int_equal(header(ZES_RDW_SPECIALS, "kenteken,"
	    "bijzonderheid_code_1,bijzonderheid_code", &h, err, sizeof(err)), 0);
	assert_int_equal(h.col[ZES_RDW_S_CODE], 2);
}

/* Missing columns are all named; a column twice is refused. */
static void
test_header_refused(void **state)
{
	struct zes_rdw_header	h;
	char			err[512];

	(void)state;
	assert_int_equal(header(ZES_RDW_VEHICLES, "kenteken,voertuigsoort,"
	    "europese_voertuigcategorie,toegestane_maximum_massa_voertuig",
	    &h, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "missing column datum_eerste_toelating "));

	assert_int_equal(header(ZES_RDW_FUELS, "kenteken,brandstof_volgnummer,"
	    "brandstof_omschrijving", &h, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "missing column emissiecode_omschrijving"));

	/* A data row instead of a header. */
	assert_int_equal(header(ZES_RDW_VEHICLES, "VTV69T,Bedrijfsauto,N1",
	    &h, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "kenteken"));

	/* Names must match whole: no prefixes, no other separators. */
	assert_int_equal(header(ZES_RDW_BODIES, "kenteken,carrosserie-type",
	    &h, err, sizeof(err)), -1);
	assert_int_equal(header(ZES_RDW_BODIES, "kentekens,carrosserietype",
	    &h, err, sizeof(err)), -1);

	assert_int_equal(header(ZES_RDW_BODIES, "kenteken,carrosserietype,"
	    "Carrosserietype", &h, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "carrosserietype appears twice "
	    "(columns 2 and 3)"));

	/* A tiny buffer is never overrun. */
	assert_int_equal(header(ZES_RDW_VEHICLES, "x", &h, err, 8), -1);
	assert_true(strlen(err) < 8);
	assert_string_equal(zes_rdw_file_name(ZES_RDW_BODY_CODES),
	    "body-codes");
}

/* Validate one vehicles row under the VEH_API header. */
static int
vehicle(const char *row, struct zes_vehicle *v, char *why)
{
	struct zes_rdw_header	h;
	char			err[512], store[1024];
	struct zes_csv_field	f[64];
	size_t			n;

	assert_int_equal(header(ZES_RDW_VEHICLES, VEH_API, &h, err,
	    sizeof(err)), 0);
	n = split(row, store, f, 64);
	return zes_rdw_vehicle(&h, f, n, v, why);
}

/* The real rows of DOMAIN.md section 8. */
static void
test_vehicle_fixtures(void **state)
{
	struct zes_vehicle	v;
	char			why[ZES_RDW_WHY_LEN];

	(void)state;
	assert_int_equal(vehicle("TT601D,Personenauto,SKODA,M1,2030,20130517,"
	    "MPV", &v, why), 0);
	assert_string_equal(v.plate, "TT601D");
	assert_string_equal(v.category, "M1");
	assert_string_equal(v.vehicle_type, "Personenauto");
	assert_string_equal(v.body_description, "mpv");
	assert_int_equal(v.first_admission, zes_date_from_ymd(2013, 5, 17));
	assert_int_equal(v.mass_kg, 2030);
	assert_string_equal(v.body_type, "");
	assert_int_equal(v.body_code, -1);
	assert_int_equal(v.nfuels, 0);
	assert_int_equal(v.nspecial, 0);

	assert_int_equal(vehicle("VTV69T,Bedrijfsauto,RENAULT,N1,3500,"
	    "20210614,gesloten opbouw", &v, why), 0);
	assert_string_equal(v.plate, "VTV69T");
	assert_string_equal(v.category, "N1");
	assert_string_equal(v.body_description, "gesloten opbouw");
	assert_int_equal(v.mass_kg, 3500);

	/* A plate with hyphens and lower case is normalised. */
	assert_int_equal(vehicle("vtv-69-t,Bedrijfsauto,,N1,3500,20210614,",
	    &v, why), 0);
	assert_string_equal(v.plate, "VTV69T");
	assert_string_equal(v.body_description, "");
	/* An empty DET and mass are unknown, not wrong. */
	assert_int_equal(vehicle("VTV69T,Bedrijfsauto,,n2,,,", &v, why), 0);
	assert_string_equal(v.category, "N2");
	assert_int_equal(v.first_admission, ZES_DAY_NONE);
	assert_int_equal(v.mass_kg, -1);
	/* Blanks around values are dropped. */
	assert_int_equal(vehicle(" VTV69T , Bedrijfsauto ,, N1 , 3500 , "
	    "20210614 , Gesloten Opbouw ", &v, why), 0);
	assert_string_equal(v.vehicle_type, "Bedrijfsauto");
	assert_string_equal(v.body_description, "gesloten opbouw");
	assert_int_equal(v.mass_kg, 3500);
}

/* A vehicles file without inrichting: rows read, body description empty. */
static void
test_vehicle_without_body_description(void **state)
{
	struct zes_rdw_header	h;
	struct zes_csv_field	f[64];
	struct zes_vehicle	v;
	char			err[512], store[1024], why[ZES_RDW_WHY_LEN];
	size_t			n;

	(void)state;
	assert_int_equal(header(ZES_RDW_VEHICLES, "kenteken,voertuigsoort,"
	    "europese_voertuigcategorie,toegestane_maximum_massa_voertuig,"
	    "datum_eerste_toelating", &h, err, sizeof(err)), 0);
	assert_int_equal(h.col[ZES_RDW_V_BODY_DESCRIPTION], -1);
	n = split("VTV69T,Bedrijfsauto,N1,3500,20210614", store, f, 64);
	assert_int_equal(zes_rdw_vehicle(&h, f, n, &v, why), 0);
	assert_string_equal(v.plate, "VTV69T");
	assert_string_equal(v.category, "N1");
	assert_int_equal(v.mass_kg, 3500);
	assert_int_equal(v.first_admission, zes_date_from_ymd(2021, 6, 14));
	assert_string_equal(v.body_description, "");
	/* Still every field the header needs. */
	n = split("VTV69T,Bedrijfsauto,N1,3500", store, f, 64);
	assert_int_equal(zes_rdw_vehicle(&h, f, n, &v, why), -1);
	assert_non_null(strstr(why, "too few fields"));
}

/* DOMAIN.md section 1: an empty category of a Bedrijfsauto comes from its mass. */
static void
test_vehicle_fallback(void **state)
{
	static const struct {
		const char	*row;
		const char	*category;
	} cases[] = {
		{ "AB1234,Bedrijfsauto,,,0,20200101,", "N1" },
		{ "AB1234,Bedrijfsauto,,,3500,20200101,", "N1" },
		{ "AB1234,Bedrijfsauto,,,3501,20200101,", "N2" },
		{ "AB1234,Bedrijfsauto,,,12000,20200101,", "N2" },
		{ "AB1234,Bedrijfsauto,,,12001,20200101,", "N3" },
		{ "AB1234,Bedrijfsauto,,,44000,20200101,opleggertrekker", "N3" },
		{ "AB1234,BEDRIJFSAUTO,,,2800,20200101,", "N1" },
		{ "AB1234, bedrijfsauto ,,,2800,20200101,", "N1" },
		/* A category given wins over the mass. */
		{ "AB1234,Bedrijfsauto,,N1,5000,20200101,", "N1" },
		{ "AB1234,Personenauto,,M1,,20200101,", "M1" },
		{ "AB1234,Motorfiets,,L3e,,20200101,", "L3E" },
	};
	struct zes_vehicle	v;
	char			why[ZES_RDW_WHY_LEN];
	size_t			i;

	(void)state;
	for (i = 0; i < ZES_NELEM(cases); i++) {
		if (vehicle(cases[i].row, &v, why) != 0)
			fail_msg("%s: %s", cases[i].row, why);
		assert_string_equal(v.category, cases[i].category);
	}
}

/* Every reason a vehicles row is rejected. */
static void
test_vehicle_rejects(void **state)
{
	static const struct {
		const char	*row;
		const char	*reason;	/* prefix of why */
	} cases[] = {
		{ ",Bedrijfsauto,,N1,3500,20200101,", "bad plate (kenteken is empty)" },
		{ "AB-12,Bedrijfsauto,,N1,3500,20200101,", "bad plate (has 4 characters" },
		{ "ABCDEF,Bedrijfsauto,,N1,3500,20200101,", "bad plate (fits no Dutch sidecode)" },
		{ "AB12345,Bedrijfsauto,,N1,3500,20200101,", "bad plate (has 7" },
		{ "AB#234,Bedrijfsauto,,N1,3500,20200101,", "bad plate" },
		{ "AB1234,Bedrijfsauto,,N1,3500,20201301,", "bad date" },
		{ "AB1234,Bedrijfsauto,,N1,3500,20230229,", "bad date" },
		{ "AB1234,Bedrijfsauto,,N1,3500,2020-01-01,", "bad date" },
		{ "AB1234,Bedrijfsauto,,N1,3500,2020011,", "bad date" },
		{ "AB1234,Bedrijfsauto,,N1,3500,18991231,", "bad date" },
		{ "AB1234,Bedrijfsauto,,N1,-5,20200101,", "bad mass" },
		{ "AB1234,Bedrijfsauto,,N1,3.5,20200101,", "bad mass" },
		{ "AB1234,Bedrijfsauto,,N1,12a,20200101,", "bad mass" },
		{ "AB1234,Bedrijfsauto,,N1,+3500,20200101,", "bad mass" },
		{ "AB1234,Bedrijfsauto,,N1,99999999999,20200101,", "bad mass" },
		{ "AB1234,Personenauto,,,1500,20200101,", "no category (europese_voertuigcategorie is empty and voertuigsoort is not Bedrijfsauto)" },
		{ "AB1234,,,,1500,20200101,", "no category" },
		{ "AB1234,Bedrijfsauto,,,,20200101,", "no category (europese_voertuigcategorie and toegestane_maximum_massa_voertuig are empty)" },
		{ "AB1234,Bedrijfsauto,,N1XX,3500,20200101,", "bad category" },
		{ "AB1234,Bedrijfsauto,,N-1,3500,20200101,", "bad category" },
		{ "AB1234,Bedrijfsauto\xff,,N1,3500,20200101,", "bad text (voertuigsoort is not UTF-8)" },
		{ "AB1234,Bedrijfsauto,,N1,3500,20200101,\xc3\x28", "bad text (inrichting is not UTF-8)" },
		{ "AB1234,Bedrijfsauto,,N1,3500,20200101,\xed\xa0\x80", "bad text (inrichting is not UTF-8)" },
		{ "AB1234,Bedrijfsauto,,N1,3500,20200101,\xc0\xaf", "bad text (inrichting is not UTF-8)" },
		{ "AB1234,Een voertuigsoort van meer dan 31 bytes,,N1,3500,20200101,", "bad text (voertuigsoort has more than 31 bytes)" },
		{ "AB1234,Bedrijfsauto,,N1,3500,20200101", "too few fields (6; the columns read need 7)" },
		{ "AB1234", "too few fields" },
		/* The first problem is the one reported: plate, date, mass, ... */
		{ "ABCDEF,Personenauto,,,x,2020,", "bad plate" },
		{ "AB1234,Personenauto,,,x,2020,", "bad date" },
		{ "AB1234,Personenauto,,,x,20200101,", "bad mass" },
	};
	struct zes_vehicle	v;
	char			why[ZES_RDW_WHY_LEN];
	size_t			i;

	(void)state;
	for (i = 0; i < ZES_NELEM(cases); i++) {
		memset(&v, 0x5a, sizeof(v));
		if (vehicle(cases[i].row, &v, why) != -1)
			fail_msg("accepted: %s", cases[i].row);
		if (strncmp(why, cases[i].reason, strlen(cases[i].reason)) != 0)
			fail_msg("%s: '%s', not '%s'", cases[i].row, why,
			    cases[i].reason);
		/* *out untouched on failure. */
		assert_int_equal(((unsigned char *)&v)[0], 0x5a);
	}
	/* UTF-8 and control characters that are fine. */
	assert_int_equal(vehicle("AB1234,Bedrijfsauto,,N1,3500,20200101,"
	    "voor rolstoelen toegankelijk voertuig", &v, why), 0);
	assert_int_equal(vehicle("AB1234,Bedrijfsauto,,N1,3500,20200101,"
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x9a", &v, why), 0);
	assert_string_equal(v.body_description,
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x9a");
	assert_int_equal(vehicle("AB1234,Bedrijfs\tauto,,N1,3500,20200101,"
	    "\tkipper\t", &v, why), 0);
	assert_string_equal(v.vehicle_type, "Bedrijfs auto");
	assert_string_equal(v.body_description, "kipper");
	/* 31 bytes fit. */
	assert_int_equal(vehicle("AB1234,Een voertuigsoort van 31 bytes!,,N1,"
	    "3500,20200101,", &v, why), 0);
}

/* Validate one detail row under a header. */
static int
detail(enum zes_rdw_file file, const char *hdr, const char *row,
    struct zes_rdw_detail *d, char *why)
{
	struct zes_rdw_header	h;
	char			err[512], store[1024];
	struct zes_csv_field	f[64];
	size_t			n;

	assert_int_equal(header(file, hdr, &h, err, sizeof(err)), 0);
	n = split(row, store, f, 64);
	return zes_rdw_detail(&h, f, n, d, why);
}

#define FUEL_HDR	"kenteken,brandstof_volgnummer,brandstof_omschrijving," \
			"emissiecode_omschrijving,uitlaatemissieniveau"

/* Fuel rows: classes as registered, the Euro fallback, unknown classes. */
static void
test_detail_fuels(void **state)
{
	static const struct {
		const char	*row;
		const char	*name;
		const char	*cls;
		int64_t		 seq;
	} cases[] = {
		{ "TT601D,1,Diesel,5,EURO 5 G", "Diesel", "5", 1 },
		{ "VTV69T,1,Elektriciteit,Z,", "Elektriciteit", "Z", 1 },
		{ "VTV69T,2,Elektriciteit,z,", "Elektriciteit", "Z", 2 },
		{ "AB1234,1,Diesel,,EURO VI C", "Diesel", "6", 1 },
		{ "AB1234,1,Diesel,,EURO 6 AR", "Diesel", "6", 1 },
		{ "AB1234,1,Diesel,,Euro-4", "Diesel", "4", 1 },
		{ "AB1234,1,Diesel,,EURO III", "Diesel", "3", 1 },
		{ "AB1234,1,Diesel,,EURO IIII", "Diesel", "", 1 },
		{ "AB1234,1,Diesel,,EURO 7", "Diesel", "", 1 },
		{ "AB1234,1,Diesel,,EURO 55", "Diesel", "", 1 },
		{ "AB1234,1,Diesel,,EUR 5", "Diesel", "", 1 },
		{ "AB1234,1,Diesel,,", "Diesel", "", 1 },
		/* The registered class wins over the Euro level. */
		{ "AB1234,1,Diesel,4,EURO 6", "Diesel", "4", 1 },
		/* A class that is not Z or 0-6 is unknown. */
		{ "AB1234,1,Diesel,X,", "Diesel", "", 1 },
		{ "AB1234,1,Diesel,55,", "Diesel", "", 1 },
		{ "AB1234,,Waterstof,,", "Waterstof", "", 0 },
	};
	struct zes_rdw_detail	d;
	char			why[ZES_RDW_WHY_LEN];
	size_t			i;

	(void)state;
	for (i = 0; i < ZES_NELEM(cases); i++) {
		if (detail(ZES_RDW_FUELS, FUEL_HDR, cases[i].row, &d, why) != 0)
			fail_msg("%s: %s", cases[i].row, why);
		assert_string_equal(d.fuel.name, cases[i].name);
		if (strcmp(d.fuel.emission_class, cases[i].cls) != 0)
			fail_msg("%s: class '%s', not '%s'", cases[i].row,
			    d.fuel.emission_class, cases[i].cls);
		assert_int_equal(d.seq, cases[i].seq);
	}
	/* Without uitlaatemissieniveau there is no fallback. */
	assert_int_equal(detail(ZES_RDW_FUELS, "kenteken,brandstof_volgnummer,"
	    "brandstof_omschrijving,emissiecode_omschrijving", "AB1234,1,"
	    "Diesel,", &d, why), 0);
	assert_string_equal(d.fuel.emission_class, "");

	assert_int_equal(detail(ZES_RDW_FUELS, FUEL_HDR, "AB1234,x,Diesel,5,",
	    &d, why), -1);
	assert_string_equal(why, "bad brandstof_volgnummer (not a non-negative "
	    "integer)");
	assert_int_equal(detail(ZES_RDW_FUELS, FUEL_HDR, "XX,1,Diesel,5,",
	    &d, why), -1);
	assert_true(strncmp(why, "bad plate", 9) == 0);
	assert_int_equal(detail(ZES_RDW_FUELS, FUEL_HDR, "AB1234,1,"
	    "Een brandstof met een lange naam!,5,", &d, why), -1);
	assert_true(strncmp(why, "bad text", 8) == 0);
	assert_int_equal(detail(ZES_RDW_FUELS, FUEL_HDR, "AB1234,1,Diesel",
	    &d, why), -1);
	assert_true(strncmp(why, "too few fields", 14) == 0);
}

/* Bodies, body codes and special codes. */
static void
test_detail_codes(void **state)
{
	struct zes_rdw_detail	d;
	char			why[ZES_RDW_WHY_LEN];

	(void)state;
	assert_int_equal(detail(ZES_RDW_BODIES, "kenteken,carrosserie_volgnummer,"
	    "carrosserietype,type_carrosserie_europese_omschrijving",
	    "VTV69T,1,BB,Bestelwagen", &d, why), 0);
	assert_string_equal(d.plate, "VTV69T");
	assert_string_equal(d.body_type, "BB");
	assert_int_equal(d.seq, 1);
	assert_int_equal(detail(ZES_RDW_BODIES, "kenteken,carrosserietype",
	    "AB1234,sh", &d, why), 0);
	assert_string_equal(d.body_type, "SH");
	assert_int_equal(d.seq, 0);
	assert_int_equal(detail(ZES_RDW_BODIES, "kenteken,carrosserietype",
	    "AB1234,", &d, why), -1);
	assert_string_equal(why, "bad carrosserietype (empty)");
	assert_int_equal(detail(ZES_RDW_BODIES, "kenteken,carrosserietype",
	    "AB1234,B-B", &d, why), -1);

	/* Codes may lack their leading zero: compared as integers. */
	assert_int_equal(detail(ZES_RDW_BODY_CODES, "kenteken,"
	    "carrosserie_volgnummer,carrosseriecode", "VTV69T,1,03", &d, why), 0);
	assert_int_equal(d.code, 3);
	assert_int_equal(detail(ZES_RDW_BODY_CODES, "kenteken,carrosseriecode",
	    "AB1234,3", &d, why), 0);
	assert_int_equal(d.code, 3);
	assert_int_equal(detail(ZES_RDW_BODY_CODES, "kenteken,carrosseriecode",
	    "AB1234,31", &d, why), 0);
	assert_int_equal(d.code, 31);
	assert_int_equal(detail(ZES_RDW_BODY_CODES, "kenteken,carrosseriecode",
	    "AB1234,X1", &d, why), -1);
	assert_string_equal(why, "bad carrosseriecode (not a number up to "
	    "99999)");
	assert_int_equal(detail(ZES_RDW_BODY_CODES, "kenteken,carrosseriecode",
	    "AB1234,", &d, why), -1);
	assert_string_equal(why, "bad carrosseriecode (empty)");

	assert_int_equal(detail(ZES_RDW_SPECIALS, "kenteken,"
	    "bijzonderheid_volgnummer,bijzonderheid_code,bijzonderheid_code_1",
	    "AB1234,2,0145,rolstoel", &d, why), 0);
	assert_int_equal(d.code, 145);
	assert_int_equal(d.seq, 2);
	assert_int_equal(detail(ZES_RDW_SPECIALS, "kenteken,bijzonderheid_code",
	    "AB1234,100000", &d, why), -1);
	assert_int_equal(detail(ZES_RDW_SPECIALS, "kenteken,bijzonderheid_code",
	    "AB1234,-1", &d, why), -1);
}

/* A whole vehicles file through the reader and the validation. */
static void
test_file_end_to_end(void **state)
{
	static const char	 file[] =
	    "\xef\xbb\xbf" "Kenteken,Voertuigsoort,Merk,Handelsbenaming,"
	    "Europese voertuigcategorie,Toegestane maximum massa voertuig,"
	    "Datum eerste toelating,Inrichting\r\n"
	    "TT601D,Personenauto,SKODA,\"OCTAVIA, COMBI\",M1,2030,20130517,"
	    "MPV\r\n"
	    "VTV69T,Bedrijfsauto,RENAULT,\"KANGOO \"\"Z.E.\"\"\",N1,3500,"
	    "20210614,gesloten opbouw\r\n"
	    "ABCDEF,Bedrijfsauto,X,Y,N1,3500,20210614,kipper\r\n"
	    "\r\n"
	    "BR12ST,Bedrijfsauto,DAF,\"XF\nline two\",,40000,20180301,"
	    "opleggertrekker";
	struct zes_csv		*c;
	struct zes_rdw_header	 h;
	struct zes_vehicle	 v[4];
	char			 err[512], why[ZES_RDW_WHY_LEN];
	size_t			 used, off = 0, nok = 0;
	uint64_t		 bad_line = 0;

	(void)state;
	c = malloc(sizeof(*c));
	assert_non_null(c);
	zes_csv_init(c);
	assert_int_equal(zes_csv_next(c, file, sizeof(file) - 1, 1, &used), 1);
	off += used;
	assert_int_equal(zes_rdw_header_parse(ZES_RDW_VEHICLES, c->fields,
	    c->nfields, &h, err, sizeof(err)), 0);
	while (zes_csv_next(c, file + off, sizeof(file) - 1 - off, 1,
	    &used) == 1) {
		off += used;
		assert_int_equal(c->error, ZES_CSV_OK);
		if (zes_rdw_vehicle(&h, c->fields, c->nfields, &v[nok],
		    why) == 0)
			nok++;
		else
			bad_line = c->line;
	}
	free(c);
	assert_int_equal(nok, 3);
	assert_int_equal(bad_line, 4);
	assert_string_equal(v[0].plate, "TT601D");
	assert_string_equal(v[1].plate, "VTV69T");
	assert_string_equal(v[2].plate, "BR12ST");
	assert_string_equal(v[2].category, "N3");
	assert_string_equal(v[2].body_description, "opleggertrekker");
}

/* Run the tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_cases),
		cmocka_unit_test(test_csv_long_line),
		cmocka_unit_test(test_csv_too_many_fields),
		cmocka_unit_test(test_header_match),
		cmocka_unit_test(test_header_refused),
		cmocka_unit_test(test_vehicle_fixtures),
		cmocka_unit_test(test_vehicle_without_body_description),
		cmocka_unit_test(test_vehicle_fallback),
		cmocka_unit_test(test_vehicle_rejects),
		cmocka_unit_test(test_detail_fuels),
		cmocka_unit_test(test_detail_codes),
		cmocka_unit_test(test_file_end_to_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
