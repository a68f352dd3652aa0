/*
 * Fuzz the RDW CSV reader and row validation (daemon/core/rdwcsv.c).
 *
 * Input: a CSV file.  It is read twice: in one piece, and in chunks of
 * sizes drawn from the input itself (down to single bytes).  The first
 * record is matched as the header of each of the five exports; every
 * further record is validated as a row of each export whose header
 * matched, and a valid vehicle row gets its facts computed with the
 * repository's national rules (daemon/core/vehicle.c).
 *
 * Invariants: both readings give the same records (line, error, fields,
 * bytes); no record has more than ZES_CSV_MAX_FIELDS fields, no field is
 * longer than the input, and the fields of a record together are not
 * longer than it either (each lies inside the reader's buffer); line
 * numbers never go down.  A matched header names fields the rows must
 * have; a refused header or row says why.  A valid row has a valid Dutch
 * plate, as normalised text; a valid vehicle a category; a detail row a
 * known emission class and codes in range; vehicle facts are of their
 * field's type or absent.
 */
#include <string.h>

#include "zes/admit.h"
#include "zes/rdwcsv.h"
#include "zes/ruleset.h"

#include "fuzz.h"

/* Two readers of about 80 KiB each: static, not on the stack. */
static struct zes_csv	rdw_whole, rdw_chunked;

/* FNV-1a over bytes, continuing from h. */
static uint64_t
rdw_hash(uint64_t h, const void *p, size_t n)
{
	const unsigned char	*b = p;
	size_t			 i;

	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ull;
	}
	return h;
}

/* A summary of what a reading returned, to compare two readings. */
struct rdw_sum {
	uint64_t	hash;
	size_t		records;
};

/* The headers that matched the first record. */
struct rdw_files {
	int			seen_header;
	int			match[ZES_RDW_NFILES];
	struct zes_rdw_header	h[ZES_RDW_NFILES];
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	(void)fuzz_rules();
	return 0;
}

/* A valid row's plate: six characters that parse as that Dutch plate. */
static void
rdw_check_plate(const char *plate)
{
	struct zes_plate	p;

	FUZZ_ASSERT(strlen(plate) == ZES_PLATE_NL_LEN);
	FUZZ_ASSERT(zes_plate_parse(plate, strlen(plate), "NL", &p, NULL) == 0);
	FUZZ_ASSERT(strcmp(p.text, plate) == 0);
}

/* Validate one record as a row of every matched export. */
static void
rdw_rows(const struct rdw_files *f, const struct zes_csv *c)
{
	const struct zes_rules	*rules = fuzz_rules();
	struct zes_vehicle	 v;
	struct zes_rdw_detail	 d;
	struct zes_facts_store	 store;
	struct zes_value	 facts[ZES_F_VEHICLE_END];
	char			 why[ZES_RDW_WHY_LEN];
	const char		*cls;
	int			 k;
	size_t			 i;

	for (k = 0; k < ZES_RDW_NFILES; k++) {
		if (!f->match[k])
			continue;
		if (k == ZES_RDW_VEHICLES) {
			if (zes_rdw_vehicle(&f->h[k], c->fields, c->nfields, &v,
			    why) == -1) {
				FUZZ_ASSERT(why[0] != '\0');
				continue;
			}
			rdw_check_plate(v.plate);
			FUZZ_ASSERT(v.category[0] != '\0');
			FUZZ_ASSERT(v.mass_kg >= -1);
			zes_vehicle_facts(&v, &rules->national, &store, facts);
			for (i = 0; i < ZES_F_VEHICLE_END; i++)
				FUZZ_ASSERT(facts[i].type == ZES_V_ABSENT ||
				    facts[i].type == zes_field_type((int)i));
			continue;
		}
		if (zes_rdw_detail(&f->h[k], c->fields, c->nfields, &d,
		    why) == -1) {
			FUZZ_ASSERT(why[0] != '\0');
			continue;
		}
		rdw_check_plate(d.plate);
		FUZZ_ASSERT(d.seq >= 0 && d.seq <= INT32_MAX);
		FUZZ_ASSERT(d.code >= -1 && d.code <= 99999);
		cls = d.fuel.emission_class;
		FUZZ_ASSERT(cls[0] == '\0' || (cls[1] == '\0' &&
		    (cls[0] == 'Z' || (cls[0] >= '0' && cls[0] <= '6'))));
	}
}

/* Check one record, fold it into the summary, and validate it. */
static void
rdw_record(const struct zes_csv *c, size_t size, struct rdw_sum *s,
    struct rdw_files *f, uint64_t *last_line)
{
	char	err[256];
	size_t	i, total = 0;
	int	k;

	FUZZ_ASSERT(c->nfields >= 1 && c->nfields <= ZES_CSV_MAX_FIELDS);
	FUZZ_ASSERT(c->error >= ZES_CSV_OK && c->error <= ZES_CSV_UNTERMINATED);
	FUZZ_ASSERT(c->line >= 1 && c->line >= *last_line);
	*last_line = c->line;
	for (i = 0; i < c->nfields; i++) {
		FUZZ_ASSERT(c->fields[i].len <= size);
		FUZZ_ASSERT(c->fields[i].p >= c->buf && c->fields[i].p +
		    c->fields[i].len <= c->buf + sizeof(c->buf));
		total += c->fields[i].len;
	}
	FUZZ_ASSERT(total <= size);

	s->records++;
	s->hash = rdw_hash(s->hash, &c->line, sizeof(c->line));
	s->hash = rdw_hash(s->hash, &c->error, sizeof(c->error));
	s->hash = rdw_hash(s->hash, &c->nfields, sizeof(c->nfields));
	for (i = 0; i < c->nfields; i++) {
		s->hash = rdw_hash(s->hash, &c->fields[i].len,
		    sizeof(c->fields[i].len));
		s->hash = rdw_hash(s->hash, c->fields[i].p, c->fields[i].len);
	}
	if (f == NULL || c->error != ZES_CSV_OK)
		return;

	if (!f->seen_header) {
		f->seen_header = 1;
		for (k = 0; k < ZES_RDW_NFILES; k++) {
			f->match[k] = zes_rdw_header_parse(k, c->fields,
			    c->nfields, &f->h[k], err, sizeof(err)) == 0;
			if (!f->match[k]) {
				FUZZ_ASSERT(err[0] != '\0');
				continue;
			}
			FUZZ_ASSERT(f->h[k].need >= 1 &&
			    f->h[k].need <= c->nfields);
			FUZZ_ASSERT(f->h[k].col[ZES_RDW_PLATE] >= 0);
			for (i = 0; i < ZES_RDW_MAX_COLUMNS; i++)
				FUZZ_ASSERT(f->h[k].col[i] < (int)f->h[k].need);
		}
		return;
	}
	rdw_rows(f, c);
}

/*
 * Read data with c in chunks: chunk sizes come from *seed (0: in one
 * piece).  Every record is checked and summed into *s; f, when not NULL,
 * validates the records as the exports' rows.
 */
static void
rdw_read(struct zes_csv *c, const uint8_t *data, size_t size, uint64_t seed,
    struct rdw_sum *s, struct rdw_files *f)
{
	const char	*buf = (const char *)data;
	size_t		 off = 0, chunk, used;
	uint64_t	 last_line = 0;
	int		 last;

	zes_csv_init(c);
	s->hash = 14695981039346656037ull;
	s->records = 0;
	for (;;) {
		chunk = size - off;
		if (seed != 0) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			/* Mostly small chunks, sometimes a large one. */
			chunk = (seed & 3) == 0 ? (size_t)(seed >> 8) % 4096 :
			    (size_t)(seed >> 8) % 8;
			if (chunk > size - off)
				chunk = size - off;
		}
		last = off + chunk == size;
		if (zes_csv_next(c, buf + off, chunk, last, &used) == 1) {
			FUZZ_ASSERT(used <= chunk);
			off += used;
			rdw_record(c, size, s, f, &last_line);
			continue;
		}
		FUZZ_ASSERT(used == chunk);
		off += used;
		if (last)
			break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rdw_sum		whole, chunked;
	struct rdw_files	files;

	memset(&files, 0, sizeof(files));
	rdw_read(&rdw_whole, data, size, 0, &whole, &files);
	rdw_read(&rdw_chunked, data, size, rdw_hash(1, data, size) | 1,
	    &chunked, NULL);
	FUZZ_ASSERT(whole.records == chunked.records);
	FUZZ_ASSERT(whole.hash == chunked.hash);
	return 0;
}
