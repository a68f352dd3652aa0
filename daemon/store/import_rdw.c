/*
 * zesctl import-rdw: read the RDW exports with core/rdwcsv.c, COPY the rows
 * into temporary staging tables and build the register's records from them
 * with set-based SQL, all in one transaction (docs/register.md).  Blocking
 * libpq; zesctl only, never the daemon.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <openssl/evp.h>

#include "zes/import_rdw.h"
#include "zes/period.h"
#include "zes/plate.h"
#include "zes/ctlpg.h"
#include "zes/xmalloc.h"

/* Bytes read from a file at a time. */
#define RDW_CHUNK_BYTES		(1024 * 1024)

/* Staged COPY data is sent in pieces of about this size. */
#define RDW_COPY_FLUSH_BYTES	(256 * 1024)

/*
 * Transaction-level advisory lock that serialises imports, so two of them
 * never interleave their rows: 0x7a65735f72647769, the ASCII bytes
 * "zes_rdwi".  The audit chain uses "zes_audi", migrate "zes_migr".
 */
#define RDW_LOCK_KEY		"8819582299053258601"

/*
 * Session settings for the import.  Staging tables are temporary, so their
 * pages live in the backend's temp_buffers (8 MB by default): with 2
 * million vehicles they need a few hundred MB, and with the default they
 * would be written out and read back.  The memory is taken only as the
 * tables grow, and freed when zesctl disconnects.  work_mem lets the
 * aggregation of the detail rows hash or sort in memory.
 */
#define RDW_TEMP_BUFFERS	"SET temp_buffers = '1GB'"
#define RDW_WORK_MEM		"SET LOCAL work_mem = '256MB'"

/* JIT compilation costs more than it saves on these one-off statements. */
#define RDW_NO_JIT		"SET LOCAL jit = off"

/*
 * The per-vehicle subqueries come out sorted by vehicle id (they sort to
 * number or pick the rows), and the staging table is in that order too, so
 * merge joins cost nothing but a scan; the planner would build a hash table
 * of millions of rows for each.  Measured on 2 million vehicles: 6.5 s
 * instead of 10 s.
 */
#define RDW_NO_HASHJOIN		"SET LOCAL enable_hashjoin = off"

/*
 * Plates loaded from the vehicles file, so that the rows of the other files
 * can be matched to them: each gets a vehicle id, its ordinal in the
 * staging table, and the detail rows carry that id instead of the plate.
 * Joining and sorting on an integer is much cheaper for the server than on
 * text, which matters with millions of rows.
 */
struct plate_slot {
	uint32_t	key;		/* zes_plate_pack(); 0: empty slot */
	uint32_t	line;		/* of the row that loaded it */
	uint32_t	vid;		/* vehicle id: 0, 1, ... in loading order */
	uint8_t		nfuels;		/* fuel rows staged, saturating */
	uint8_t		nspecials;	/* special-code rows staged, saturating */
};

struct plate_set {
	struct plate_slot	*slots;
	size_t			 cap;		/* a power of two */
	size_t			 n;		/* used slots, at most 3/4 of cap */
};

/* One open export and the reader over it. */
struct rdw_reader {
	enum zes_rdw_file	 file;
	const char		*path;		/* as given; borrowed */
	FILE			*fp;
	struct zes_csv		*csv;
	struct zes_rdw_header	 hdr;
	char			*chunk;		/* RDW_CHUNK_BYTES */
	size_t			 len;		/* bytes in chunk */
	size_t			 off;		/* bytes of chunk consumed */
	int			 eof;		/* the file has been read to its end */
	int			 done;		/* and its last record handed out */
	EVP_MD_CTX		*md;		/* SHA-256 of the bytes read */
	uint64_t		 rows;		/* records after the header */
};

struct zes_import_rdw {
	struct rdw_reader	*readers[ZES_RDW_NFILES];	/* NULL: not given */
	struct plate_set	 plates;
};

/* COPY data being built for the server. */
struct copybuf {
	PGconn		*conn;
	char		*buf;
	size_t		 len;
	size_t		 cap;
};

/*
 * The staging tables, one per file.  Detail rows carry the vehicle id
 * (struct plate_slot) and what orders them: their volgnummer, then their
 * line in the file.
 */
static const char *const rdw_staging_sql =
    "CREATE TEMP TABLE rdw_vehicles ("
    " vid int, plate text COLLATE \"C\", category text, vehicle_type text,"
    " body_description text, first_admission date, mass_kg int)"
    " ON COMMIT DROP;"
    "CREATE TEMP TABLE rdw_fuels ("
    " vid int, seq bigint, line bigint, name text, class text)"
    " ON COMMIT DROP;"
    "CREATE TEMP TABLE rdw_bodies ("
    " vid int, seq bigint, line bigint, body_type text) ON COMMIT DROP;"
    "CREATE TEMP TABLE rdw_body_codes ("
    " vid int, seq bigint, line bigint, code int) ON COMMIT DROP;"
    "CREATE TEMP TABLE rdw_specials ("
    " vid int, seq bigint, line bigint, code int) ON COMMIT DROP";

static const char *const rdw_copy_sql[ZES_RDW_NFILES] = {
	"COPY rdw_vehicles (vid, plate, category, vehicle_type,"
	" body_description, first_admission, mass_kg) FROM STDIN",
	"COPY rdw_fuels (vid, seq, line, name, class) FROM STDIN",
	"COPY rdw_bodies (vid, seq, line, body_type) FROM STDIN",
	"COPY rdw_body_codes (vid, seq, line, code) FROM STDIN",
	"COPY rdw_specials (vid, seq, line, code) FROM STDIN",
};

/*
 * Build the records and write those that are new or differ from the
 * register; $1 is the change_log seq of the import.  The result is one row:
 * how many were inserted, how many updated.
 *
 * A record is the staged vehicle with its fuel rows in brandstof_volgnummer
 * order (then file order), the body type and body code of its lowest
 * carrosserie_volgnummer (then file order), and its distinct special codes
 * in ascending order, cut to the bounds of struct zes_vehicle (4 fuels, 8
 * codes).  The fuel arrays are pivoted from row numbers: array_agg(...
 * ORDER BY ...) would sort once per vehicle, and array_agg over a sorted
 * subquery keeps its order only by habit.
 *
 * The records are built on the vehicle id first (the OFFSET 0 keeps the
 * planner from joining the register in between, which would sort the wide
 * rows twice), then sorted once by plate and merged with the register's
 * primary key.  Records equal to the register's are left alone, so their
 * change_seq keeps naming the import that last changed them and the
 * daemon's index reloads only what changed.  They come out in plate order,
 * so new plates grow the primary key at its right edge; order matters only
 * for speed, which is why it is not asked again of the materialised rows,
 * where it would cost another sort.  New plates are inserted and known ones
 * updated: plain INSERT and UPDATE, because ON CONFLICT pays for a
 * speculative insertion on every row.  Only zesctl import-rdw writes
 * vehicles, and imports take RDW_LOCK_KEY, so no plate appears between the
 * two.
 */
static const char *const rdw_upsert_sql =
    "WITH n AS MATERIALIZED ("
    " SELECT r.*, o.plate IS NOT NULL AS known"
    " FROM (SELECT v.plate, v.category, v.vehicle_type, v.body_description,"
    "   coalesce(b.body_type, '') AS body_type, c.code AS body_code,"
    "   coalesce(s.codes, '{}') AS special_codes,"
    "   coalesce(f.names, '{}') AS fuel_names,"
    "   coalesce(f.classes, '{}') AS fuel_classes,"
    "   v.first_admission, v.mass_kg"
    "  FROM rdw_vehicles v"
    "  LEFT JOIN (SELECT vid,"
    "    array_remove(ARRAY[max(name) FILTER (WHERE pos = 1),"
    "     max(name) FILTER (WHERE pos = 2), max(name) FILTER (WHERE pos = 3),"
    "     max(name) FILTER (WHERE pos = 4)], NULL) AS names,"
    "    array_remove(ARRAY[max(class) FILTER (WHERE pos = 1),"
    "     max(class) FILTER (WHERE pos = 2), max(class) FILTER (WHERE pos = 3),"
    "     max(class) FILTER (WHERE pos = 4)], NULL) AS classes"
    "   FROM (SELECT vid, name, class, row_number() OVER"
    "     (PARTITION BY vid ORDER BY seq, line) AS pos FROM rdw_fuels) x"
    "   WHERE pos <= 4 GROUP BY vid) f ON f.vid = v.vid"
    "  LEFT JOIN (SELECT DISTINCT ON (vid) vid, body_type FROM rdw_bodies"
    "   ORDER BY vid, seq, line) b ON b.vid = v.vid"
    "  LEFT JOIN (SELECT DISTINCT ON (vid) vid, code FROM rdw_body_codes"
    "   ORDER BY vid, seq, line) c ON c.vid = v.vid"
    "  LEFT JOIN (SELECT vid, (array_agg(DISTINCT code ORDER BY code))[1:8]"
    "   AS codes FROM rdw_specials GROUP BY vid) s ON s.vid = v.vid"
    "  OFFSET 0) r"
    " LEFT JOIN vehicles o ON o.plate = r.plate"
    " WHERE o.plate IS NULL"
    "  OR (o.category, o.vehicle_type, o.body_description, o.body_type,"
    "   o.body_code, o.special_codes, o.fuel_names, o.fuel_classes,"
    "   o.first_admission, o.mass_kg)"
    "  IS DISTINCT FROM (r.category, r.vehicle_type, r.body_description,"
    "   r.body_type, r.body_code, r.special_codes, r.fuel_names,"
    "   r.fuel_classes, r.first_admission, r.mass_kg)"
    " ORDER BY r.plate),"
    " u AS (UPDATE vehicles t SET category = n.category,"
    "  vehicle_type = n.vehicle_type, body_description = n.body_description,"
    "  body_type = n.body_type, body_code = n.body_code,"
    "  special_codes = n.special_codes, fuel_names = n.fuel_names,"
    "  fuel_classes = n.fuel_classes, first_admission = n.first_admission,"
    "  mass_kg = n.mass_kg, change_seq = $1::bigint, updated_at = now()"
    "  FROM n WHERE n.known AND t.plate = n.plate RETURNING 1),"
    " i AS (INSERT INTO vehicles (plate, category, vehicle_type,"
    "  body_description, body_type, body_code, special_codes, fuel_names,"
    "  fuel_classes, first_admission, mass_kg, change_seq, updated_at)"
    "  SELECT plate, category, vehicle_type, body_description, body_type,"
    "   body_code, special_codes, fuel_names, fuel_classes, first_admission,"
    "   mass_kg, $1::bigint, now()"
    "  FROM n WHERE NOT n.known RETURNING 1)"
    " SELECT (SELECT count(*) FROM i), (SELECT count(*) FROM u)";



/*
 * Run a statement with text parameters; 0 when its status is COMMAND_OK or
 * TUPLES_OK (the result in *out when out is not NULL, else cleared), -1
 * with *err.
 */
static int
rdw_exec(PGconn *conn, const char *sql, int nparams, const char *const *params,
    PGresult **out, const char *what, char **err)
{
	PGresult	*res;

	res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK) {
		zes_ctlpg_error(err, "%s: %s", what, zes_ctlpg_message(conn, res));
		PQclear(res);
		return -1;
	}
	if (out != NULL)
		*out = res;
	else
		PQclear(res);
	return 0;
}


/* The slot of key: the one holding it, or the empty one it would go in. */
static struct plate_slot *
plate_slot(const struct plate_set *s, uint32_t key)
{
	size_t	i;

	i = (size_t)(((uint64_t)key * UINT64_C(0x9e3779b97f4a7c15)) >> 32) &
	    (s->cap - 1);
	while (s->slots[i].key != 0 && s->slots[i].key != key)
		i = (i + 1) & (s->cap - 1);
	return &s->slots[i];
}

/* Double the table (or make its first one). */
static void
plate_grow(struct plate_set *s)
{
	struct plate_slot	*old = s->slots;
	size_t			 oldcap = s->cap, i;

	s->cap = oldcap == 0 ? 1 << 16 : oldcap * 2;
	s->slots = xcalloc(s->cap, sizeof(*s->slots));
	for (i = 0; i < oldcap; i++) {
		if (old[i].key != 0)
			*plate_slot(s, old[i].key) = old[i];
	}
	free(old);
}

/*
 * Add a plate first seen on line, with the next vehicle id.  Returns NULL
 * when added, else the slot of the plate already there (its line says
 * where).
 */
static const struct plate_slot *
plate_add(struct plate_set *s, const char *six, uint64_t line)
{
	struct plate_slot	*slot;
	uint32_t		 key = zes_plate_pack(six);

	if ((s->n + 1) * 4 > s->cap * 3)
		plate_grow(s);
	slot = plate_slot(s, key);
	if (slot->key != 0)
		return slot;
	slot->key = key;
	slot->line = line > UINT32_MAX ? UINT32_MAX : (uint32_t)line;
	slot->vid = (uint32_t)s->n;
	s->n++;
	return NULL;
}

/* The slot of a plate, or NULL when the vehicles file did not load it. */
static struct plate_slot *
plate_find(const struct plate_set *s, const char *plate)
{
	struct plate_slot	*slot;
	uint32_t		 key = zes_plate_pack(plate);

	if (s->cap == 0 || key == 0)
		return NULL;
	slot = plate_slot(s, key);
	return slot->key != 0 ? slot : NULL;
}

/* Make room for n more bytes of COPY data. */
static void
copy_reserve(struct copybuf *cb, size_t n)
{
	if (cb->len + n <= cb->cap)
		return;
	while (cb->len + n > cb->cap)
		cb->cap = cb->cap == 0 ? 2 * RDW_COPY_FLUSH_BYTES : cb->cap * 2;
	cb->buf = xrealloc(cb->buf, cb->cap);
}

/* Append a text value in COPY's text format: \ tab LF CR escaped. */
static void
copy_text(struct copybuf *cb, const char *s)
{
	size_t	n = strlen(s), i;
	char	*w;

	copy_reserve(cb, 2 * n + 1);
	w = cb->buf + cb->len;
	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '\\':
			*w++ = '\\';
			*w++ = '\\';
			break;
		case '\t':
			*w++ = '\\';
			*w++ = 't';
			break;
		case '\n':
			*w++ = '\\';
			*w++ = 'n';
			break;
		case '\r':
			*w++ = '\\';
			*w++ = 'r';
			break;
		default:
			*w++ = s[i];
			break;
		}
	}
	cb->len = (size_t)(w - cb->buf);
}

/* Append a column separator, a NULL, or a number. */
static void
copy_tab(struct copybuf *cb)
{
	copy_reserve(cb, 1);
	cb->buf[cb->len++] = '\t';
}

static void
copy_null(struct copybuf *cb)
{
	copy_reserve(cb, 2);
	cb->buf[cb->len++] = '\\';
	cb->buf[cb->len++] = 'N';
}

static void
copy_int(struct copybuf *cb, int64_t v)
{
	char		digits[24];
	size_t		n = 0;
	uint64_t	u;

	/* printf is a tenth of the client's time on a large import. */
	u = v < 0 ? -(uint64_t)v : (uint64_t)v;
	do {
		digits[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	copy_reserve(cb, n + 1);
	if (v < 0)
		cb->buf[cb->len++] = '-';
	while (n > 0)
		cb->buf[cb->len++] = digits[--n];
}

/*
 * Wait until libpq has handed everything queued to the socket.  While
 * waiting, read what the server sends (an error ends a COPY early), as the
 * libpq manual asks of a non-blocking sender.  0 ok, -1 with *err.
 */
static int
copy_drain(PGconn *conn, char **err)
{
	struct pollfd	pfd;
	int		rc;

	while ((rc = PQflush(conn)) == 1) {
		pfd.fd = PQsocket(conn);
		pfd.events = POLLIN | POLLOUT;
		pfd.revents = 0;
		if (poll(&pfd, 1, -1) == -1 && errno != EINTR) {
			zes_ctlpg_error(err, "cannot send the rows: %s",
			    strerror(errno));
			return -1;
		}
		if ((pfd.revents & POLLIN) && PQconsumeInput(conn) == 0)
			break;
	}
	if (rc != 0) {
		zes_ctlpg_error(err, "cannot send the rows: %s", PQerrorMessage(conn));
		return -1;
	}
	return 0;
}

/*
 * Send what is buffered; 0 ok, -1 with *err.  The connection is
 * non-blocking during a COPY, so that the server works on one piece while
 * we read and check the next: only the piece before is waited for.
 */
static int
copy_flush(struct copybuf *cb, char **err)
{
	int	rc;

	if (cb->len == 0)
		return 0;
	if (copy_drain(cb->conn, err) == -1)
		return -1;
	if ((rc = PQputCopyData(cb->conn, cb->buf, (int)cb->len)) != 1) {
		zes_ctlpg_error(err, "cannot send the rows: %s", rc == 0 ?
		    "no buffer space" : PQerrorMessage(cb->conn));
		return -1;
	}
	if (PQflush(cb->conn) == -1) {
		zes_ctlpg_error(err, "cannot send the rows: %s",
		    PQerrorMessage(cb->conn));
		return -1;
	}
	cb->len = 0;
	return 0;
}

/* End a row, sending the buffer when it is big enough. */
static int
copy_end_row(struct copybuf *cb, char **err)
{
	copy_reserve(cb, 1);
	cb->buf[cb->len++] = '\n';
	if (cb->len >= RDW_COPY_FLUSH_BYTES)
		return copy_flush(cb, err);
	return 0;
}

/* Start COPY FROM STDIN; 0 ok, -1 with *err. */
static int
copy_begin(PGconn *conn, const char *sql, char **err)
{
	PGresult	*res;
	int		 rc = 0;

	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		zes_ctlpg_error(err, "cannot start loading: %s", zes_ctlpg_message(conn, res));
		rc = -1;
	} else if (PQsetnonblocking(conn, 1) == -1) {
		zes_ctlpg_error(err, "cannot start loading: %s", PQerrorMessage(conn));
		rc = -1;
	}
	PQclear(res);
	return rc;
}

/*
 * End the COPY: with errmsg NULL send the rest and wait for the server's
 * verdict (0 ok, -1 with *err); else make the server abandon it.
 */
static int
copy_end(struct copybuf *cb, const char *errmsg, char **err)
{
	PGresult	*res;
	int		 rc = 0;

	if (errmsg == NULL && copy_flush(cb, err) == -1)
		errmsg = "the import failed";
	/* Back to blocking, which needs everything sent, then the end. */
	if (copy_drain(cb->conn, err) == -1 ||
	    PQsetnonblocking(cb->conn, 0) == -1 ||
	    PQputCopyEnd(cb->conn, errmsg) != 1) {
		zes_ctlpg_error(err, "cannot end the load: %s",
		    PQerrorMessage(cb->conn));
		rc = -1;
	}
	while ((res = PQgetResult(cb->conn)) != NULL) {
		if (errmsg == NULL && PQresultStatus(res) != PGRES_COMMAND_OK) {
			zes_ctlpg_error(err, "cannot load the rows: %s",
			    zes_ctlpg_message(cb->conn, res));
			rc = -1;
		}
		PQclear(res);
	}
	cb->len = 0;
	return errmsg != NULL ? -1 : rc;
}

/* Close a reader and free it. */
static void
reader_free(struct rdw_reader *r)
{
	if (r == NULL)
		return;
	if (r->fp != NULL)
		(void)fclose(r->fp);
	EVP_MD_CTX_free(r->md);
	free(r->csv);
	free(r->chunk);
	free(r);
}

/*
 * Hand out the next record of the file in r->csv.  1 when there is one, 0
 * at the end of the file, -1 with *err when reading failed.
 */
static int
reader_next(struct rdw_reader *r, char **err)
{
	size_t	used;

	for (;;) {
		if (r->done)
			return 0;
		if (zes_csv_next(r->csv, r->chunk + r->off, r->len - r->off,
		    r->eof, &used) == 1) {
			r->off += used;
			return 1;
		}
		r->off += used;
		if (r->eof) {
			r->done = 1;
			return 0;
		}
		r->off = 0;
		r->len = fread(r->chunk, 1, RDW_CHUNK_BYTES, r->fp);
		if (r->len == 0) {
			if (ferror(r->fp)) {
				zes_ctlpg_error(err, "%s file %s: cannot read: %s",
				    zes_rdw_file_name(r->file), r->path,
				    strerror(errno));
				return -1;
			}
			r->eof = 1;
		} else if (EVP_DigestUpdate(r->md, r->chunk, r->len) != 1) {
			zes_ctlpg_error(err, "SHA-256 failed");
			return -1;
		}
	}
}

/* Open one export and match its header; NULL with *err. */
static struct rdw_reader *
reader_open(enum zes_rdw_file file, const char *path, char **err)
{
	struct rdw_reader	*r;
	char			 why[512];
	int			 rc;

	r = xcalloc(1, sizeof(*r));
	r->file = file;
	r->path = path;
	r->csv = xmalloc(sizeof(*r->csv));
	zes_csv_init(r->csv);
	r->chunk = xmalloc(RDW_CHUNK_BYTES);
	if ((r->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(r->md, EVP_sha256(), NULL) != 1) {
		zes_ctlpg_error(err, "cannot set up SHA-256");
		goto fail;
	}
	if ((r->fp = fopen(path, "rb")) == NULL) {
		zes_ctlpg_error(err, "%s file %s: %s", zes_rdw_file_name(file), path,
		    strerror(errno));
		goto fail;
	}
	if ((rc = reader_next(r, err)) == -1)
		goto fail;
	if (rc == 0) {
		zes_ctlpg_error(err, "%s file %s is empty: it has no header line",
		    zes_rdw_file_name(file), path);
		goto fail;
	}
	if (r->csv->error != ZES_CSV_OK) {
		zes_ctlpg_error(err, "%s file %s: the header line: %s",
		    zes_rdw_file_name(file), path,
		    zes_csv_error_text(r->csv->error));
		goto fail;
	}
	if (zes_rdw_header_parse(file, r->csv->fields, r->csv->nfields,
	    &r->hdr, why, sizeof(why)) == -1) {
		zes_ctlpg_error(err, "%s file %s: %s", zes_rdw_file_name(file), path,
		    why);
		goto fail;
	}
	return r;
fail:
	reader_free(r);
	return NULL;
}

/* Open the files and check their headers (see zes/import_rdw.h). */
struct zes_import_rdw *
zes_import_rdw_open(const char *const paths[ZES_RDW_NFILES], char **err)
{
	struct zes_import_rdw	*imp;
	int			 f;

	if (paths[ZES_RDW_VEHICLES] == NULL || paths[ZES_RDW_FUELS] == NULL) {
		zes_ctlpg_error(err, "the vehicles and fuels files are required");
		return NULL;
	}
	imp = xcalloc(1, sizeof(*imp));
	for (f = 0; f < ZES_RDW_NFILES; f++) {
		if (paths[f] == NULL)
			continue;
		if ((imp->readers[f] = reader_open((enum zes_rdw_file)f,
		    paths[f], err)) == NULL) {
			zes_import_rdw_free(imp);
			return NULL;
		}
	}
	return imp;
}

/* Close the files and free everything. */
void
zes_import_rdw_free(struct zes_import_rdw *imp)
{
	int	f;

	if (imp == NULL)
		return;
	for (f = 0; f < ZES_RDW_NFILES; f++)
		reader_free(imp->readers[f]);
	free(imp->plates.slots);
	free(imp);
}

/*
 * COPY the valid rows of the vehicles file, printing each rejected one on
 * out.  0 ok, -1 with *err (the COPY is then abandoned).
 */
static int
import_vehicles(struct zes_import_rdw *imp, struct copybuf *cb, FILE *out,
    struct zes_import_rdw_result *res, char **err)
{
	struct rdw_reader		*r = imp->readers[ZES_RDW_VEHICLES];
	const struct plate_slot		*dup;
	struct zes_vehicle		 v;
	char				 why[ZES_RDW_WHY_LEN];
	char				 day[ZES_DATE_TEXT_LEN + 1];
	int				 rc;

	if (copy_begin(cb->conn, rdw_copy_sql[ZES_RDW_VEHICLES], err) == -1)
		return -1;
	while ((rc = reader_next(r, err)) == 1) {
		r->rows++;
		if (r->csv->error != ZES_CSV_OK)
			(void)snprintf(why, sizeof(why), "%s",
			    zes_csv_error_text(r->csv->error));
		else if (zes_rdw_vehicle(&r->hdr, r->csv->fields,
		    r->csv->nfields, &v, why) == 0) {
			if ((dup = plate_add(&imp->plates, v.plate,
			    r->csv->line)) == NULL)
				why[0] = '\0';
			else
				(void)snprintf(why, sizeof(why), "duplicate "
				    "plate (loaded from line %" PRIu32 ")",
				    dup->line);
		}
		if (why[0] != '\0') {
			fprintf(out, "line %" PRIu64 ": %s\n", r->csv->line,
			    why);
			res->rejected++;
			continue;
		}
		copy_int(cb, (int64_t)(imp->plates.n - 1));
		copy_tab(cb);
		copy_text(cb, v.plate);
		copy_tab(cb);
		copy_text(cb, v.category);
		copy_tab(cb);
		copy_text(cb, v.vehicle_type);
		copy_tab(cb);
		copy_text(cb, v.body_description);
		copy_tab(cb);
		if (v.first_admission == ZES_DAY_NONE)
			copy_null(cb);
		else {
			zes_date_format(v.first_admission, day);
			copy_text(cb, day);
		}
		copy_tab(cb);
		if (v.mass_kg < 0)
			copy_null(cb);
		else
			copy_int(cb, v.mass_kg);
		if (copy_end_row(cb, err) == -1)
			break;
		res->loaded++;
	}
	res->read = r->rows;
	if (rc == -1 || (err != NULL && *err != NULL)) {
		(void)copy_end(cb, "the import failed", err);
		return -1;
	}
	return copy_end(cb, NULL, err);
}

/*
 * COPY the rows of a detail file whose plates the vehicles file loaded.
 * Rows that cannot be read are counted in the file's stats, not loaded.
 * 0 ok, -1 with *err.
 */
static int
import_details(struct zes_import_rdw *imp, enum zes_rdw_file file,
    struct copybuf *cb, struct zes_import_rdw_result *res, char **err)
{
	struct rdw_reader			*r = imp->readers[file];
	struct zes_import_rdw_file_stats	*st = &res->files[file];
	struct plate_slot			*slot;
	struct zes_rdw_detail			 d;
	char					 why[ZES_RDW_WHY_LEN];
	int					 rc;

	if (copy_begin(cb->conn, rdw_copy_sql[file], err) == -1)
		return -1;
	while ((rc = reader_next(r, err)) == 1) {
		r->rows++;
		if (r->csv->error != ZES_CSV_OK)
			(void)snprintf(why, sizeof(why), "%s",
			    zes_csv_error_text(r->csv->error));
		else if (zes_rdw_detail(&r->hdr, r->csv->fields,
		    r->csv->nfields, &d, why) == 0)
			why[0] = '\0';
		if (why[0] != '\0') {
			if (st->skipped++ == 0) {
				st->first_skipped_line = r->csv->line;
				memcpy(st->first_skipped_why, why, sizeof(why));
			}
			continue;
		}
		if ((slot = plate_find(&imp->plates, d.plate)) == NULL) {
			st->unmatched++;
			continue;
		}
		copy_int(cb, slot->vid);
		copy_tab(cb);
		copy_int(cb, d.seq);
		copy_tab(cb);
		copy_int(cb, (int64_t)r->csv->line);
		copy_tab(cb);
		switch (file) {
		case ZES_RDW_FUELS:
			copy_text(cb, d.fuel.name);
			copy_tab(cb);
			copy_text(cb, d.fuel.emission_class);
			if (slot->nfuels < UINT8_MAX)
				slot->nfuels++;
			break;
		case ZES_RDW_BODIES:
			copy_text(cb, d.body_type);
			break;
		case ZES_RDW_SPECIALS:
			if (slot->nspecials < UINT8_MAX)
				slot->nspecials++;
			/* FALLTHROUGH */
		default:
			copy_int(cb, d.code);
			break;
		}
		if (copy_end_row(cb, err) == -1)
			break;
	}
	st->rows = r->rows;
	if (rc == -1 || (err != NULL && *err != NULL)) {
		(void)copy_end(cb, "the import failed", err);
		return -1;
	}
	return copy_end(cb, NULL, err);
}

/* Count the vehicles whose fuel or special rows go over the struct's bounds. */
static int
import_count_cut(struct zes_import_rdw *imp, PGconn *conn,
    struct zes_import_rdw_result *res, char **err)
{
	const struct plate_set	*s = &imp->plates;
	PGresult		*pr;
	size_t			 i;
	int			 specials = 0;

	for (i = 0; i < s->cap; i++) {
		if (s->slots[i].key == 0)
			continue;
		if (s->slots[i].nfuels > ZES_VEHICLE_MAX_FUELS)
			res->fuels_cut++;
		if (s->slots[i].nspecials > ZES_VEHICLE_MAX_SPECIALS)
			specials = 1;
	}
	if (!specials)
		return 0;
	/* Only distinct codes count; rare, so asked only when it may be so. */
	if (rdw_exec(conn, "SELECT count(*) FROM (SELECT vid FROM rdw_specials"
	    " GROUP BY vid HAVING count(DISTINCT code) > 8) x", 0, NULL, &pr,
	    "cannot count the special codes", err) == -1)
		return -1;
	res->specials_cut = strtoull(PQgetvalue(pr, 0, 0), NULL, 10);
	PQclear(pr);
	return 0;
}

/*
 * The "files" member of the audit entry: per file given, its name as given,
 * the SHA-256 of its bytes and its rows.  A new JSON text; free it.
 */
static char *
import_files_json(struct zes_import_rdw *imp)
{
	struct rdw_reader	*r;
	json_t			*files, *name;
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0, i;
	char			 hex[2 * EVP_MAX_MD_SIZE + 1];
	char			*text;
	int			 f;

	files = json_object();
	for (f = 0; f < ZES_RDW_NFILES; f++) {
		if ((r = imp->readers[f]) == NULL)
			continue;
		hex[0] = '\0';
		if (EVP_DigestFinal_ex(r->md, md, &mdlen) == 1) {
			for (i = 0; i < mdlen; i++)
				(void)snprintf(hex + 2 * i, 3, "%02x", md[i]);
		}
		if ((name = json_string(r->path)) == NULL)
			name = json_string("(a name that is not UTF-8)");
		(void)json_object_set_new(files, zes_rdw_file_name(r->file),
		    json_pack("{s:o, s:s, s:I}", "name", name, "sha256", hex,
		    "rows", (json_int_t)r->rows));
	}
	text = json_dumps(files, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(files);
	if (text == NULL)
		text = xstrdup("{}");
	return text;
}

/* Load everything in one transaction (see zes/import_rdw.h). */
int
zes_import_rdw_run(struct zes_import_rdw *imp, PGconn *conn, FILE *out,
    struct zes_import_rdw_result *res, char **err)
{
	struct copybuf		 cb;
	PGresult		*pr = NULL;
	PGTransactionStatusType	 ts;
	const char		*params[4];
	char			 seq[24], nread[24], nloaded[24], nrejected[24];
	char			*files = NULL;
	int			 f, rc = -1;

	memset(res, 0, sizeof(*res));
	memset(&cb, 0, sizeof(cb));
	cb.conn = conn;

	if (zes_ctlpg_command(conn, RDW_TEMP_BUFFERS, "cannot set temp_buffers",
	    err) == -1)
		goto out;
	if (zes_ctlpg_command(conn, "BEGIN", "cannot begin a transaction", err) == -1)
		goto out;
	if (zes_ctlpg_command(conn, "SELECT pg_advisory_xact_lock(" RDW_LOCK_KEY ")",
	    "cannot take the import lock", err) == -1)
		goto out;
	if (zes_ctlpg_command(conn, RDW_WORK_MEM, "cannot set work_mem", err) == -1)
		goto out;
	if (zes_ctlpg_command(conn, RDW_NO_JIT, "cannot set jit", err) == -1)
		goto out;
	if (zes_ctlpg_command(conn, RDW_NO_HASHJOIN, "cannot set enable_hashjoin",
	    err) == -1)
		goto out;
	if (zes_ctlpg_command(conn, rdw_staging_sql, "cannot create the staging "
	    "tables", err) == -1)
		goto out;

	if (import_vehicles(imp, &cb, out, res, err) == -1)
		goto out;
	for (f = ZES_RDW_FUELS; f < ZES_RDW_NFILES; f++) {
		if (imp->readers[f] != NULL &&
		    import_details(imp, (enum zes_rdw_file)f, &cb, res,
		    err) == -1)
			goto out;
	}
	res->files[ZES_RDW_VEHICLES].rows = res->read;

	/* The planner knows nothing of freshly filled temporary tables. */
	if (zes_ctlpg_command(conn, "ANALYZE rdw_vehicles, rdw_fuels, rdw_bodies,"
	    " rdw_body_codes, rdw_specials", "cannot analyse the staging "
	    "tables", err) == -1)
		goto out;
	if (import_count_cut(imp, conn, res, err) == -1)
		goto out;

	if (rdw_exec(conn, "SELECT zes_change('vehicles', 'import', 'import')",
	    0, NULL, &pr, "cannot record the change", err) == -1)
		goto out;
	(void)snprintf(seq, sizeof(seq), "%s", PQgetvalue(pr, 0, 0));
	res->change_seq = strtoll(seq, NULL, 10);
	PQclear(pr);
	pr = NULL;

	params[0] = seq;
	if (rdw_exec(conn, rdw_upsert_sql, 1, params, &pr, "cannot write the "
	    "register", err) == -1)
		goto out;
	res->inserted = strtoull(PQgetvalue(pr, 0, 0), NULL, 10);
	res->updated = strtoull(PQgetvalue(pr, 0, 1), NULL, 10);
	if (res->inserted + res->updated > res->loaded) {
		zes_ctlpg_error(err, "cannot write the register: %" PRIu64 " rows "
		    "written, at most %" PRIu64 " expected",
		    res->inserted + res->updated, res->loaded);
		goto out;
	}
	PQclear(pr);
	pr = NULL;

	(void)snprintf(nread, sizeof(nread), "%" PRIu64, res->read);
	(void)snprintf(nloaded, sizeof(nloaded), "%" PRIu64, res->loaded);
	(void)snprintf(nrejected, sizeof(nrejected), "%" PRIu64,
	    res->rejected);
	files = import_files_json(imp);
	params[0] = nread;
	params[1] = nloaded;
	params[2] = nrejected;
	params[3] = files;
	if (rdw_exec(conn, "SELECT zes_audit_append('zesctl', 'register.import',"
	    " 'register/vehicles', jsonb_build_object('read', $1::bigint,"
	    " 'loaded', $2::bigint, 'rejected', $3::bigint,"
	    " 'files', $4::jsonb))", 4, params, NULL,
	    "cannot write the audit entry", err) == -1)
		goto out;

	pr = PQexec(conn, "COMMIT");
	if (PQresultStatus(pr) != PGRES_COMMAND_OK ||
	    strcmp(PQcmdStatus(pr), "COMMIT") != 0) {
		zes_ctlpg_error(err, "commit failed: %s", zes_ctlpg_message(conn, pr));
		goto out;
	}
	rc = 0;
out:
	PQclear(pr);
	if (rc == -1) {
		ts = PQtransactionStatus(conn);
		if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR)
			PQclear(PQexec(conn, "ROLLBACK"));
		zes_ctlpg_error(err, "the import failed");
	}
	free(files);
	free(cb.buf);
	return rc;
}
