/*
 * The RDW open-data CSV exports, pure: an RFC 4180 reader fed in chunks,
 * the header matching of DOMAIN.md section 8 and the validation of one row
 * of each file.  Reading files and loading the database is
 * store/import_rdw.c's job.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "zes/period.h"
#include "zes/rdwcsv.h"

/* Reader states (struct zes_csv.state). */
enum {
	CSV_FIELD = 0,		/* at the start of a field */
	CSV_UNQUOTED,		/* inside a field that did not start with a quote */
	CSV_QUOTED,		/* inside a quoted field */
	CSV_QUOTE,		/* after a quote inside a quoted field */
};

/* The UTF-8 byte-order mark some exporters put first (Excel does). */
static const unsigned char csv_bom[3] = { 0xef, 0xbb, 0xbf };

/*
 * Vehicle mass bounds of the category fallback: EU categories N1 (up to
 * 3,500 kg), N2 (up to 12,000 kg) and N3 (above), Directive 2007/46/EC
 * Annex II; DOMAIN.md section 1 names the fallback.
 */
#define RDW_N1_MAX_KG		3500
#define RDW_N2_MAX_KG		12000

/* Longest header name we compare (the longest RDW name has 53 bytes). */
#define RDW_NAME_MAX		96

/* Largest body or special code: they are two- and three-digit codes. */
#define RDW_CODE_MAX		99999

static void	csv_reset(struct zes_csv *);

/* Prepare a reader for the first byte of a file. */
void
zes_csv_init(struct zes_csv *c)
{
	c->line = 0;
	c->last_cr = 0;
	c->bom = 0;
	c->cur_line = 1;
	csv_reset(c);
}

/* Start a new record when the previous one was handed out. */
static void
csv_reset(struct zes_csv *c)
{
	c->error = ZES_CSV_OK;
	c->nfields = 0;
	c->state = CSV_FIELD;
	c->in_record = 0;
	c->returned = 0;
	c->raw = 0;
	c->len = 0;
	c->field_start = 0;
}

/* Count n more bytes of the record and flag it when it grows too long. */
static void
csv_count(struct zes_csv *c, size_t n)
{
	c->raw += n;
	if (c->raw > ZES_CSV_MAX_RECORD && c->error == ZES_CSV_OK)
		c->error = ZES_CSV_TOO_LONG;
}

/* Keep a byte of field data, while there is room. */
static void
csv_put(struct zes_csv *c, char ch)
{
	if (c->len < sizeof(c->buf))
		c->buf[c->len++] = ch;
}

/* End the field being read. */
static void
csv_end_field(struct zes_csv *c)
{
	if (c->nfields == ZES_CSV_MAX_FIELDS) {
		if (c->error == ZES_CSV_OK)
			c->error = ZES_CSV_TOO_MANY_FIELDS;
	} else {
		c->fields[c->nfields].p = c->buf + c->field_start;
		c->fields[c->nfields].len = c->len - c->field_start;
		c->nfields++;
	}
	c->field_start = c->len;
}

/* End the record: it is handed out by the caller of csv_byte(). */
static int
csv_end_record(struct zes_csv *c)
{
	csv_end_field(c);
	c->state = CSV_FIELD;
	c->returned = 1;
	return 1;
}

/*
 * Feed one byte.  Returns 1 when it ended a record.  A line break counts a
 * line wherever it is (a CR LF pair once), so that line numbers are those
 * of an editor even with line breaks inside quoted fields.
 */
static int
csv_byte(struct zes_csv *c, unsigned char ch)
{
	int	was_cr = c->last_cr;

	c->last_cr = ch == '\r';
	if (ch == '\r' || (ch == '\n' && !was_cr))
		c->cur_line++;

	switch (c->state) {
	case CSV_FIELD:
		if (ch == '\n' || ch == '\r') {
			if (!c->in_record)
				return 0;	/* an empty line, or the LF of CR LF */
			return csv_end_record(c);
		}
		if (!c->in_record) {
			c->in_record = 1;
			c->line = c->cur_line;
		}
		csv_count(c, 1);
		if (ch == '"')
			c->state = CSV_QUOTED;
		else if (ch == ',')
			csv_end_field(c);
		else {
			csv_put(c, (char)ch);
			c->state = CSV_UNQUOTED;
		}
		return 0;
	case CSV_UNQUOTED:
		if (ch == '\n' || ch == '\r')
			return csv_end_record(c);
		csv_count(c, 1);
		if (ch == ',') {
			csv_end_field(c);
			c->state = CSV_FIELD;
		} else
			csv_put(c, (char)ch);	/* a stray quote is data */
		return 0;
	case CSV_QUOTED:
		csv_count(c, 1);
		if (ch == '"')
			c->state = CSV_QUOTE;
		else
			csv_put(c, (char)ch);
		return 0;
	case CSV_QUOTE:
		if (ch == '\n' || ch == '\r')
			return csv_end_record(c);
		csv_count(c, 1);
		if (ch == '"') {
			csv_put(c, '"');
			c->state = CSV_QUOTED;
		} else if (ch == ',') {
			csv_end_field(c);
			c->state = CSV_FIELD;
		} else {
			/* "ab"c: not RFC 4180; read on as "abc" would be. */
			csv_put(c, (char)ch);
			c->state = CSV_UNQUOTED;
		}
		return 0;
	}
	return 0;
}

/* 1 for the bytes that end a run of plain data in state CSV_UNQUOTED. */
static int
csv_unquoted_special(unsigned char ch)
{
	return ch == ',' || ch == '\n' || ch == '\r';
}

/* 1 for the bytes that end a run of plain data in state CSV_QUOTED. */
static int
csv_quoted_special(unsigned char ch)
{
	return ch == '"' || ch == '\n' || ch == '\r';
}

/* Read on from buf (see zes/rdwcsv.h). */
int
zes_csv_next(struct zes_csv *c, const char *buf, size_t len, int eof,
    size_t *used)
{
	const unsigned char	*p = (const unsigned char *)buf;
	size_t			 i = 0, j, n, k;

	if (c->returned)
		csv_reset(c);
	while (i < len) {
		if (c->bom < 3) {
			if (p[i] == csv_bom[c->bom]) {
				c->bom++;
				i++;
				continue;
			}
			/* Not a BOM after all: what matched of it is data. */
			k = c->bom;
			c->bom = 3;
			for (j = 0; j < k; j++)
				(void)csv_byte(c, csv_bom[j]);
		}
		/* Runs of plain bytes inside a field are copied at once. */
		if (c->state == CSV_UNQUOTED || c->state == CSV_QUOTED) {
			j = i;
			if (c->state == CSV_UNQUOTED) {
				while (j < len && !csv_unquoted_special(p[j]))
					j++;
			} else {
				while (j < len && !csv_quoted_special(p[j]))
					j++;
			}
			if ((n = j - i) > 0) {
				k = sizeof(c->buf) - c->len;
				memcpy(c->buf + c->len, p + i, n < k ? n : k);
				c->len += n < k ? n : k;
				csv_count(c, n);
				c->last_cr = 0;
				i = j;
				continue;
			}
		}
		if (csv_byte(c, p[i++])) {
			*used = i;
			return 1;
		}
	}
	*used = len;
	if (!eof)
		return 0;
	if (c->bom > 0 && c->bom < 3) {
		k = c->bom;
		c->bom = 3;
		for (j = 0; j < k; j++)
			(void)csv_byte(c, csv_bom[j]);
	}
	if (!c->in_record || c->returned)
		return 0;
	if (c->state == CSV_QUOTED && c->error == ZES_CSV_OK)
		c->error = ZES_CSV_UNTERMINATED;
	return csv_end_record(c);
}

/* A short phrase for a record error; "" for OK. */
const char *
zes_csv_error_text(enum zes_csv_error e)
{
	switch (e) {
	case ZES_CSV_OK:
		return "";
	case ZES_CSV_TOO_LONG:
		return "line too long (over 65536 bytes)";
	case ZES_CSV_TOO_MANY_FIELDS:
		return "too many fields (over 1024)";
	case ZES_CSV_UNTERMINATED:
		return "unterminated quote (the file ends inside a quoted field)";
	}
	return "bad CSV";
}

/*
 * A column of an export: its API name (DOMAIN.md section 8), another name
 * it is known by, and whether a file without it is refused.  The display
 * names are the API names with spaces for underscores, which the matching
 * treats as equal; the RDW's portal labels emissiecode_omschrijving
 * "Emissieklasse", hence its alias.
 */
struct rdw_column {
	int		 slot;
	const char	*name;
	const char	*alias;
	int		 optional;
};

static const struct rdw_column rdw_vehicle_columns[] = {
	{ ZES_RDW_PLATE, "kenteken", NULL, 0 },
	{ ZES_RDW_V_TYPE, "voertuigsoort", NULL, 0 },
	{ ZES_RDW_V_CATEGORY, "europese_voertuigcategorie", NULL, 0 },
	{ ZES_RDW_V_MASS, "toegestane_maximum_massa_voertuig", NULL, 0 },
	{ ZES_RDW_V_FIRST_ADMISSION, "datum_eerste_toelating", NULL, 0 },
	/* Without it a tractor is known by its body type (--bodies) alone. */
	{ ZES_RDW_V_BODY_DESCRIPTION, "inrichting", NULL, 1 },
};

static const struct rdw_column rdw_fuel_columns[] = {
	{ ZES_RDW_PLATE, "kenteken", NULL, 0 },
	{ ZES_RDW_F_SEQ, "brandstof_volgnummer", NULL, 0 },
	{ ZES_RDW_F_NAME, "brandstof_omschrijving", NULL, 0 },
	{ ZES_RDW_F_CLASS, "emissiecode_omschrijving", "emissieklasse", 0 },
	{ ZES_RDW_F_EURO, "uitlaatemissieniveau", NULL, 1 },
};

static const struct rdw_column rdw_body_columns[] = {
	{ ZES_RDW_PLATE, "kenteken", NULL, 0 },
	{ ZES_RDW_B_SEQ, "carrosserie_volgnummer", NULL, 1 },
	{ ZES_RDW_B_TYPE, "carrosserietype", NULL, 0 },
};

static const struct rdw_column rdw_body_code_columns[] = {
	{ ZES_RDW_PLATE, "kenteken", NULL, 0 },
	{ ZES_RDW_C_SEQ, "carrosserie_volgnummer", NULL, 1 },
	{ ZES_RDW_C_CODE, "carrosseriecode", NULL, 0 },
};

static const struct rdw_column rdw_special_columns[] = {
	{ ZES_RDW_PLATE, "kenteken", NULL, 0 },
	{ ZES_RDW_S_SEQ, "bijzonderheid_volgnummer", NULL, 1 },
	{ ZES_RDW_S_CODE, "bijzonderheid_code", NULL, 0 },
};

static const struct {
	const char		*name;
	const struct rdw_column	*columns;
	size_t			 ncolumns;
} rdw_files[ZES_RDW_NFILES] = {
	{ "vehicles", rdw_vehicle_columns, ZES_NELEM(rdw_vehicle_columns) },
	{ "fuels", rdw_fuel_columns, ZES_NELEM(rdw_fuel_columns) },
	{ "bodies", rdw_body_columns, ZES_NELEM(rdw_body_columns) },
	{ "body-codes", rdw_body_code_columns, ZES_NELEM(rdw_body_code_columns) },
	{ "specials", rdw_special_columns, ZES_NELEM(rdw_special_columns) },
};

/* The file's name in messages. */
const char *
zes_rdw_file_name(enum zes_rdw_file file)
{
	if ((unsigned)file >= ZES_RDW_NFILES)
		return "?";
	return rdw_files[file].name;
}

/* 1 for the blanks trimmed around values and names. */
static int
rdw_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Drop blanks at both ends of *p[0 .. *n). */
static void
rdw_trim(const char **p, size_t *n)
{
	while (*n > 0 && rdw_blank((*p)[0])) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && rdw_blank((*p)[*n - 1]))
		(*n)--;
}

/* ASCII lower case of ch. */
static char
rdw_lower(char ch)
{
	return (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
}

/* ASCII upper case of ch. */
static char
rdw_upper(char ch)
{
	return (ch >= 'a' && ch <= 'z') ? (char)(ch - 'a' + 'A') : ch;
}

/* 1 for an ASCII letter or digit. */
static int
rdw_alnum(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
	    (ch >= 'A' && ch <= 'Z');
}

/*
 * Put a header name in the form we compare: blanks around dropped, lower
 * case, spaces as underscores.  0, or -1 when it is too long to be ours.
 */
static int
rdw_header_name(const struct zes_csv_field *f, char out[RDW_NAME_MAX + 1])
{
	const char	*p = f->p;
	size_t		 n = f->len, i;

	rdw_trim(&p, &n);
	if (n > RDW_NAME_MAX)
		return -1;
	for (i = 0; i < n; i++)
		out[i] = p[i] == ' ' ? '_' : rdw_lower(p[i]);
	out[n] = '\0';
	return 0;
}

/* Append text to err[0 .. errlen) after what is there. */
static void
rdw_append(char *err, size_t errlen, const char *text)
{
	size_t	n = strlen(err);

	if (n + 1 < errlen)
		(void)snprintf(err + n, errlen - n, "%s", text);
}

/* Match the header record of a file (see zes/rdwcsv.h). */
int
zes_rdw_header_parse(enum zes_rdw_file file, const struct zes_csv_field *f,
    size_t nfields, struct zes_rdw_header *h, char *err, size_t errlen)
{
	const struct rdw_column	*cols;
	char			 name[RDW_NAME_MAX + 1];
	size_t			 ncols, i, j, missing = 0;

	if (errlen > 0)
		err[0] = '\0';
	if ((unsigned)file >= ZES_RDW_NFILES) {
		(void)snprintf(err, errlen, "unknown file kind");
		return -1;
	}
	cols = rdw_files[file].columns;
	ncols = rdw_files[file].ncolumns;
	h->file = file;
	h->need = 0;
	for (j = 0; j < ZES_RDW_MAX_COLUMNS; j++)
		h->col[j] = -1;

	for (i = 0; i < nfields; i++) {
		if (rdw_header_name(&f[i], name) == -1)
			continue;
		for (j = 0; j < ncols; j++) {
			if (strcmp(name, cols[j].name) != 0 &&
			    (cols[j].alias == NULL ||
			    strcmp(name, cols[j].alias) != 0))
				continue;
			if (h->col[cols[j].slot] != -1) {
				(void)snprintf(err, errlen, "column %s appears "
				    "twice (columns %d and %zu)", cols[j].name,
				    h->col[cols[j].slot] + 1, i + 1);
				return -1;
			}
			h->col[cols[j].slot] = (int)i;
			if (i + 1 > h->need)
				h->need = i + 1;
		}
	}

	for (j = 0; j < ncols; j++) {
		if (h->col[cols[j].slot] == -1 && !cols[j].optional)
			missing++;
	}
	if (missing == 0)
		return 0;
	(void)snprintf(err, errlen, "missing column%s ", missing > 1 ? "s" : "");
	for (i = 0, j = 0; j < ncols; j++) {
		if (h->col[cols[j].slot] != -1 || cols[j].optional)
			continue;
		if (i++ > 0)
			rdw_append(err, errlen, ", ");
		rdw_append(err, errlen, cols[j].name);
	}
	rdw_append(err, errlen, " (display names such as 'Datum eerste "
	    "toelating' are accepted too)");
	return -1;
}

/* 1 when p[0 .. n) is well-formed UTF-8 (no overlongs, no surrogates). */
static int
rdw_utf8(const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, k, need;
	unsigned		 cp, min;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			need = 1;
			cp = p[i] & 0x1f;
			min = 0x80;
		} else if ((p[i] & 0xf0) == 0xe0) {
			need = 2;
			cp = p[i] & 0x0f;
			min = 0x800;
		} else if ((p[i] & 0xf8) == 0xf0) {
			need = 3;
			cp = p[i] & 0x07;
			min = 0x10000;
		} else
			return 0;
		if (n - i <= need)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += need + 1;
	}
	return 1;
}

/*
 * Copy a text value into out[0 .. size): blanks around dropped, control
 * characters (a line break inside quotes) as spaces, ASCII lower-cased when
 * lower is set.  0, or -1 with why ("bad text (...)") when it is not UTF-8
 * or does not fit.
 */
static int
rdw_text(const struct zes_csv_field *f, char *out, size_t size, int lower,
    const char *column, char *why)
{
	const char	*p = f->p;
	size_t		 n = f->len, i;
	char		 ch;

	rdw_trim(&p, &n);
	if (!rdw_utf8(p, n)) {
		(void)snprintf(why, ZES_RDW_WHY_LEN, "bad text (%s is not "
		    "UTF-8)", column);
		return -1;
	}
	if (n >= size) {
		(void)snprintf(why, ZES_RDW_WHY_LEN, "bad text (%s has more "
		    "than %zu bytes)", column, size - 1);
		return -1;
	}
	for (i = 0; i < n; i++) {
		ch = p[i];
		if ((unsigned char)ch < 0x20 || ch == 0x7f)
			ch = ' ';
		out[i] = lower ? rdw_lower(ch) : ch;
	}
	out[n] = '\0';
	/* Controls at an end became blanks: trim those too. */
	while (n > 0 && out[n - 1] == ' ')
		out[--n] = '\0';
	if (n > 0 && out[0] == ' ') {
		for (i = 0; out[i] == ' '; i++)
			;
		memmove(out, out + i, n - i + 1);
	}
	return 0;
}

/*
 * Parse a non-negative decimal integer of at most max from all of the
 * trimmed field.  1 ok, 0 when the field is empty, -1 when it is not such
 * a number.
 */
static int
rdw_uint(const struct zes_csv_field *f, long long max, long long *out)
{
	const char	*p = f->p;
	size_t		 n = f->len, i;
	long long	 v = 0;

	rdw_trim(&p, &n);
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		if (v > (max - (p[i] - '0')) / 10)
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return 1;
}

/*
 * A short code (category, body type): blanks around dropped, 1 to size - 1
 * ASCII letters or digits, upper-cased.  1 ok, 0 when empty, -1 otherwise.
 */
static int
rdw_code(const struct zes_csv_field *f, char *out, size_t size)
{
	const char	*p = f->p;
	size_t		 n = f->len, i;

	rdw_trim(&p, &n);
	if (n == 0)
		return 0;
	if (n >= size)
		return -1;
	for (i = 0; i < n; i++) {
		if (!rdw_alnum(p[i]))
			return -1;
		out[i] = rdw_upper(p[i]);
	}
	out[n] = '\0';
	return 1;
}

/* Parse the plate field as a Dutch plate into out; 0, or -1 with why. */
static int
rdw_plate(const struct zes_csv_field *f, char out[ZES_PLATE_MAX + 1],
    char *why)
{
	struct zes_plate	 pl;
	const char		*pwhy = NULL;

	if (f->len == 0) {
		(void)snprintf(why, ZES_RDW_WHY_LEN, "bad plate (kenteken is "
		    "empty)");
		return -1;
	}
	if (zes_plate_parse(f->p, f->len, "NL", &pl, &pwhy) == -1) {
		(void)snprintf(why, ZES_RDW_WHY_LEN, "bad plate (%s)",
		    pwhy != NULL ? pwhy : "not a Dutch plate");
		return -1;
	}
	memcpy(out, pl.text, sizeof(pl.text));
	return 0;
}

/* 1 when s equals word, ignoring ASCII case. */
static int
rdw_equals(const char *s, const char *word)
{
	size_t	i;

	for (i = 0; s[i] != '\0' && word[i] != '\0'; i++) {
		if (rdw_lower(s[i]) != rdw_lower(word[i]))
			return 0;
	}
	return s[i] == '\0' && word[i] == '\0';
}

/* Validate one row of the vehicles file (see zes/rdwcsv.h). */
int
zes_rdw_vehicle(const struct zes_rdw_header *h, const struct zes_csv_field *f,
    size_t nfields, struct zes_vehicle *out, char why[ZES_RDW_WHY_LEN])
{
	struct zes_vehicle		 v;
	const struct zes_csv_field	*d;
	const char			*p;
	size_t				 n;
	long long			 mass;
	int				 rc;

	why[0] = '\0';
	if (nfields < h->need) {
		(void)snprintf(why, ZES_RDW_WHY_LEN, "too few fields (%zu; "
		    "the columns read need %zu)", nfields, h->need);
		return -1;
	}
	memset(&v, 0, sizeof(v));
	v.body_code = -1;
	v.first_admission = ZES_DAY_NONE;
	v.mass_kg = -1;

	if (rdw_plate(&f[h->col[ZES_RDW_PLATE]], v.plate, why) == -1)
		return -1;

	d = &f[h->col[ZES_RDW_V_FIRST_ADMISSION]];
	p = d->p;
	n = d->len;
	rdw_trim(&p, &n);
	if (n > 0 && zes_date_parse_compact(p, n, &v.first_admission) == -1) {
		(void)snprintf(why, ZES_RDW_WHY_LEN, "bad date "
		    "(datum_eerste_toelating is not a date yyyymmdd)");
		return -1;
	}

	rc = rdw_uint(&f[h->col[ZES_RDW_V_MASS]], INT_MAX, &mass);
	if (rc == -1) {
		(void)snprintf(why, ZES_RDW_WHY_LEN, "bad mass "
		    "(toegestane_maximum_massa_voertuig is not a non-negative "
		    "integer)");
		return -1;
	}
	if (rc == 1)
		v.mass_kg = (int)mass;

	if (rdw_text(&f[h->col[ZES_RDW_V_TYPE]], v.vehicle_type,
	    sizeof(v.vehicle_type), 0, "voertuigsoort", why) == -1)
		return -1;
	if (h->col[ZES_RDW_V_BODY_DESCRIPTION] != -1 &&
	    rdw_text(&f[h->col[ZES_RDW_V_BODY_DESCRIPTION]], v.body_description,
	    sizeof(v.body_description), 1, "inrichting", why) == -1)
		return -1;

	rc = rdw_code(&f[h->col[ZES_RDW_V_CATEGORY]], v.category,
	    sizeof(v.category));
	if (rc == -1) {
		(void)snprintf(why, ZES_RDW_WHY_LEN, "bad category "
		    "(europese_voertuigcategorie is not 1 to 3 letters or "
		    "digits)");
		return -1;
	}
	if (rc == 0) {
		/* DOMAIN.md section 1: Bedrijfsauto is a goods vehicle. */
		if (!rdw_equals(v.vehicle_type, "Bedrijfsauto")) {
			(void)snprintf(why, ZES_RDW_WHY_LEN, "no category "
			    "(europese_voertuigcategorie is empty and "
			    "voertuigsoort is not Bedrijfsauto)");
			return -1;
		}
		if (v.mass_kg < 0) {
			(void)snprintf(why, ZES_RDW_WHY_LEN, "no category "
			    "(europese_voertuigcategorie and "
			    "toegestane_maximum_massa_voertuig are empty)");
			return -1;
		}
		if (v.mass_kg <= RDW_N1_MAX_KG)
			memcpy(v.category, "N1", 3);
		else if (v.mass_kg <= RDW_N2_MAX_KG)
			memcpy(v.category, "N2", 3);
		else
			memcpy(v.category, "N3", 3);
	}
	*out = v;
	return 0;
}

/*
 * The emission class an uitlaatemissieniveau names: "EURO 5 G" is 5,
 * "EURO VI C" 6.  Writes "0" to "6" into out, or "" when it names none.
 */
static void
rdw_euro_class(const struct zes_csv_field *f, char out[4])
{
	static const char *const	 roman[] = { "I", "II", "III", "IV",
					    "V", "VI" };
	const char			*p = f->p;
	size_t				 n = f->len, i, k;
	char				 word[4];

	out[0] = '\0';
	rdw_trim(&p, &n);
	if (n < 5 || rdw_lower(p[0]) != 'e' || rdw_lower(p[1]) != 'u' ||
	    rdw_lower(p[2]) != 'r' || rdw_lower(p[3]) != 'o')
		return;
	for (i = 4; i < n && (p[i] == ' ' || p[i] == '-'); i++)
		;
	if (i < n && p[i] >= '0' && p[i] <= '6' &&
	    (i + 1 == n || !rdw_alnum(p[i + 1]))) {
		out[0] = p[i];
		out[1] = '\0';
		return;
	}
	for (k = 0; i + k < n && k < 3 &&
	    (rdw_upper(p[i + k]) == 'I' || rdw_upper(p[i + k]) == 'V'); k++)
		word[k] = rdw_upper(p[i + k]);
	word[k] = '\0';
	if (k == 0 || (i + k < n && rdw_alnum(p[i + k])))
		return;
	for (i = 0; i < ZES_NELEM(roman); i++) {
		if (strcmp(word, roman[i]) == 0) {
			out[0] = (char)('1' + i);
			out[1] = '\0';
			return;
		}
	}
}

/* Read an optional volgnummer slot into *seq; 0 ok, -1 with why. */
static int
rdw_seq(const struct zes_rdw_header *h, const struct zes_csv_field *f,
    int slot, const char *column, int64_t *seq, char *why)
{
	long long	v;
	int		rc;

	*seq = 0;
	if (h->col[slot] == -1)
		return 0;
	if ((rc = rdw_uint(&f[h->col[slot]], INT32_MAX, &v)) == -1) {
		(void)snprintf(why, ZES_RDW_WHY_LEN, "bad %s (not a "
		    "non-negative integer)", column);
		return -1;
	}
	if (rc == 1)
		*seq = v;
	return 0;
}

/* Read a code slot (carrosseriecode, bijzonderheid_code); 0 or -1 with why. */
static int
rdw_int_code(const struct zes_csv_field *f, const char *column, int *code,
    char *why)
{
	long long	v;
	int		rc;

	if ((rc = rdw_uint(f, RDW_CODE_MAX, &v)) != 1) {
		(void)snprintf(why, ZES_RDW_WHY_LEN, "bad %s (%s)", column,
		    rc == 0 ? "empty" : "not a number up to 99999");
		return -1;
	}
	*code = (int)v;
	return 0;
}

/* Validate one row of a fuels, bodies, body-codes or specials file. */
int
zes_rdw_detail(const struct zes_rdw_header *h, const struct zes_csv_field *f,
    size_t nfields, struct zes_rdw_detail *out, char why[ZES_RDW_WHY_LEN])
{
	struct zes_rdw_detail	 d;
	char			 cls[4];
	int			 rc;

	why[0] = '\0';
	if (nfields < h->need) {
		(void)snprintf(why, ZES_RDW_WHY_LEN, "too few fields (%zu; "
		    "the columns read need %zu)", nfields, h->need);
		return -1;
	}
	memset(&d, 0, sizeof(d));
	d.code = -1;
	if (rdw_plate(&f[h->col[ZES_RDW_PLATE]], d.plate, why) == -1)
		return -1;

	switch (h->file) {
	case ZES_RDW_FUELS:
		if (rdw_seq(h, f, ZES_RDW_F_SEQ, "brandstof_volgnummer",
		    &d.seq, why) == -1)
			return -1;
		if (rdw_text(&f[h->col[ZES_RDW_F_NAME]], d.fuel.name,
		    sizeof(d.fuel.name), 0, "brandstof_omschrijving",
		    why) == -1)
			return -1;
		rc = rdw_code(&f[h->col[ZES_RDW_F_CLASS]], cls, sizeof(cls));
		if (rc == 1 && strlen(cls) == 1 &&
		    (cls[0] == 'Z' || (cls[0] >= '0' && cls[0] <= '6')))
			memcpy(d.fuel.emission_class, cls, 2);
		else if (rc == 0 && h->col[ZES_RDW_F_EURO] != -1)
			rdw_euro_class(&f[h->col[ZES_RDW_F_EURO]],
			    d.fuel.emission_class);
		/* Anything else is a class we do not know: "". */
		break;
	case ZES_RDW_BODIES:
		if (rdw_seq(h, f, ZES_RDW_B_SEQ, "carrosserie_volgnummer",
		    &d.seq, why) == -1)
			return -1;
		rc = rdw_code(&f[h->col[ZES_RDW_B_TYPE]], d.body_type,
		    sizeof(d.body_type));
		if (rc != 1) {
			(void)snprintf(why, ZES_RDW_WHY_LEN, "bad "
			    "carrosserietype (%s)", rc == 0 ? "empty" :
			    "not 1 to 3 letters or digits");
			return -1;
		}
		break;
	case ZES_RDW_BODY_CODES:
		if (rdw_seq(h, f, ZES_RDW_C_SEQ, "carrosserie_volgnummer",
		    &d.seq, why) == -1)
			return -1;
		if (rdw_int_code(&f[h->col[ZES_RDW_C_CODE]], "carrosseriecode",
		    &d.code, why) == -1)
			return -1;
		break;
	case ZES_RDW_SPECIALS:
		if (rdw_seq(h, f, ZES_RDW_S_SEQ, "bijzonderheid_volgnummer",
		    &d.seq, why) == -1)
			return -1;
		if (rdw_int_code(&f[h->col[ZES_RDW_S_CODE]],
		    "bijzonderheid_code", &d.code, why) == -1)
			return -1;
		break;
	case ZES_RDW_VEHICLES:
	case ZES_RDW_NFILES:
		(void)snprintf(why, ZES_RDW_WHY_LEN, "not a detail file");
		return -1;
	}
	*out = d;
	return 0;
}
