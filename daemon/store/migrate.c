/*
 * zesctl migrate: apply schema/NNNN_name.sql files in order, each in its own
 * transaction, recorded with their SHA-256 in schema_migrations.  Blocking
 * libpq; zesctl only, never the daemon.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/evp.h>

#include "zes/migrate.h"
#include "zes/ctlpg.h"
#include "zes/xmalloc.h"

/*
 * Session advisory lock that keeps two migrators apart: 0x7a65735f6d696772,
 * the ASCII bytes "zes_migr".  The audit chain uses "zes_audi" (schema/).
 */
#define MIGRATE_LOCK_KEY	"8819582298969696114"

/* Larger files are a mistake (a data dump in the wrong folder). */
#define MIGRATE_MAX_BYTES	(16 * 1024 * 1024)

#define MIGRATE_VERSION_LEN	4	/* the NNNN of NNNN_name.sql */

struct migrate_file {
	char	 version[MIGRATE_VERSION_LEN + 1];	/* "0001" */
	char	*base;		/* "0001_foundation": the file name without ".sql" */
	char	*path;		/* schema_dir + "/" + base + ".sql" */
	char	*text;		/* the contents, NUL-terminated */
	size_t	 len;		/* bytes of text, without the NUL */
	char	 sha256[65];	/* lower-case hex of the contents */
	int	 applied;	/* recorded in schema_migrations */
};

struct migrate_set {
	struct migrate_file	*files;		/* sorted by version */
	size_t			 nfiles;
};




/* Roll back the current transaction, if there is one. */
static void
migrate_rollback(PGconn *conn)
{
	PGTransactionStatusType	 ts;

	ts = PQtransactionStatus(conn);
	if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR)
		PQclear(PQexec(conn, "ROLLBACK"));
}

/*
 * Get the connection out of a COPY the file started: refuse to send data,
 * or read and drop what the server sends, then drain the results.
 */
static void
migrate_leave_copy(PGconn *conn, ExecStatusType st)
{
	PGresult	*res;
	char		*buf;

	if (st == PGRES_COPY_IN)
		(void)PQputCopyEnd(conn, "COPY is not supported in a migration");
	else {
		while (PQgetCopyData(conn, &buf, 0) > 0)
			PQfreemem(buf);
	}
	while ((res = PQgetResult(conn)) != NULL)
		PQclear(res);
}

/* Free the files and their contents. */
static void
migrate_set_free(struct migrate_set *set)
{
	size_t	i;

	for (i = 0; i < set->nfiles; i++) {
		free(set->files[i].base);
		free(set->files[i].path);
		free(set->files[i].text);
	}
	free(set->files);
	set->files = NULL;
	set->nfiles = 0;
}

/*
 * 1 when name is NNNN_x.sql with x made of letters, digits, '_' and '-';
 * 0 when it is some other .sql file (a mistake we report); -1 when it is not
 * a .sql file at all (ignored: README, editor backups, dot files).
 */
static int
migrate_name_ok(const char *name)
{
	size_t	len, i;

	len = strlen(name);
	if (name[0] == '.' || len < 4 || strcmp(name + len - 4, ".sql") != 0)
		return -1;
	if (len < MIGRATE_VERSION_LEN + 1 + 1 + 4)
		return 0;
	for (i = 0; i < MIGRATE_VERSION_LEN; i++) {
		if (name[i] < '0' || name[i] > '9')
			return 0;
	}
	if (name[MIGRATE_VERSION_LEN] != '_')
		return 0;
	for (i = MIGRATE_VERSION_LEN + 1; i < len - 4; i++) {
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= '0' && name[i] <= '9') ||
		    name[i] == '_' || name[i] == '-'))
			return 0;
	}
	return 1;
}

/* qsort order of files: by version (all versions have four digits). */
static int
migrate_file_cmp(const void *a, const void *b)
{
	const struct migrate_file	*fa = a, *fb = b;

	return strcmp(fa->version, fb->version);
}

/* Read f->path into f->text and hash it; 0 ok, -1 with *err. */
static int
migrate_file_read(struct migrate_file *f, char **err)
{
	static const char	 digits[] = "0123456789abcdef";
	FILE			*fp;
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0, i;
	size_t			 cap = 8192, n;
	int			 saved;

	if ((fp = fopen(f->path, "rb")) == NULL) {
		saved = errno;
		zes_ctlpg_error(err, "%s: %s", f->path, strerror(saved));
		return -1;
	}
	f->text = xmalloc(cap);
	f->len = 0;
	for (;;) {
		if (f->len > MIGRATE_MAX_BYTES) {
			fclose(fp);
			zes_ctlpg_error(err, "%s: larger than %d bytes", f->path,
			    MIGRATE_MAX_BYTES);
			return -1;
		}
		if (f->len + 1 == cap) {
			cap *= 2;
			f->text = xrealloc(f->text, cap);
		}
		n = fread(f->text + f->len, 1, cap - f->len - 1, fp);
		f->len += n;
		if (n == 0)
			break;
	}
	if (ferror(fp)) {
		saved = errno;
		fclose(fp);
		zes_ctlpg_error(err, "%s: %s", f->path, strerror(saved));
		return -1;
	}
	fclose(fp);
	f->text[f->len] = '\0';
	if (memchr(f->text, '\0', f->len) != NULL) {
		zes_ctlpg_error(err, "%s: contains a NUL byte", f->path);
		return -1;
	}

	if (EVP_Digest(f->text, f->len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32) {
		zes_ctlpg_error(err, "%s: cannot compute its SHA-256", f->path);
		return -1;
	}
	for (i = 0; i < mdlen; i++) {
		f->sha256[2 * i] = digits[md[i] >> 4];
		f->sha256[2 * i + 1] = digits[md[i] & 0x0f];
	}
	f->sha256[2 * mdlen] = '\0';
	return 0;
}

/* List, sort and read the migrations of dir; 0 ok, -1 with *err. */
static int
migrate_scan(const char *dir, struct migrate_set *set, char **err)
{
	DIR			*d;
	struct dirent		*de;
	struct migrate_file	*f;
	size_t			 cap = 0, i, len;
	int			 ok, saved;

	if ((d = opendir(dir)) == NULL) {
		saved = errno;
		zes_ctlpg_error(err, "schema directory %s: %s", dir,
		    strerror(saved));
		return -1;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL)
			break;
		if ((ok = migrate_name_ok(de->d_name)) == -1)
			continue;
		if (ok == 0) {
			zes_ctlpg_error(err, "%s/%s: a migration is named "
			    "NNNN_name.sql (four digits, then letters, digits, "
			    "'_' or '-')", dir, de->d_name);
			closedir(d);
			return -1;
		}
		if (set->nfiles == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			set->files = xrealloc(set->files,
			    cap * sizeof(*set->files));
		}
		f = &set->files[set->nfiles++];
		memset(f, 0, sizeof(*f));
		len = strlen(de->d_name);
		memcpy(f->version, de->d_name, MIGRATE_VERSION_LEN);
		f->version[MIGRATE_VERSION_LEN] = '\0';
		f->base = xstrndup(de->d_name, len - 4);
		(void)xasprintf(&f->path, "%s/%s", dir, de->d_name);
	}
	saved = errno;
	closedir(d);
	if (saved != 0) {
		zes_ctlpg_error(err, "schema directory %s: %s", dir,
		    strerror(saved));
		return -1;
	}
	if (set->nfiles == 0) {
		zes_ctlpg_error(err, "schema directory %s holds no NNNN_name.sql "
		    "migrations", dir);
		return -1;
	}

	qsort(set->files, set->nfiles, sizeof(*set->files), migrate_file_cmp);
	for (i = 0; i < set->nfiles; i++) {
		if (i > 0 && strcmp(set->files[i - 1].version,
		    set->files[i].version) == 0) {
			zes_ctlpg_error(err, "%s and %s have the same version %s",
			    set->files[i - 1].path, set->files[i].path,
			    set->files[i].version);
			return -1;
		}
		if (migrate_file_read(&set->files[i], err) == -1)
			return -1;
	}
	return 0;
}

/* Create schema_migrations unless it exists (called under the lock). */
static int
migrate_ensure_table(PGconn *conn, char **err)
{
	PGresult	*res;
	int		 missing;

	res = PQexec(conn, "SELECT to_regclass('schema_migrations') IS NULL");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		zes_ctlpg_error(err, "cannot look for schema_migrations: %s",
		    zes_ctlpg_message(conn, res));
		PQclear(res);
		return -1;
	}
	missing = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (!missing)
		return 0;
	return zes_ctlpg_command(conn,
	    "CREATE TABLE schema_migrations ("
	    " version text PRIMARY KEY,"
	    " name text NOT NULL,"
	    " sha256 text NOT NULL,"
	    " applied_at timestamptz NOT NULL DEFAULT now())",
	    "cannot create schema_migrations", err);
}

/*
 * Mark the files that schema_migrations records, and refuse when a recorded
 * one is missing, renamed or changed, or when a new file sorts before the
 * newest applied one: each of these means the tree and the database disagree
 * about the schema, and re-applying or skipping would hide it.
 */
static int
migrate_check_recorded(PGconn *conn, const char *dir, struct migrate_set *set,
    char **err)
{
	PGresult		*res;
	struct migrate_file	*f, *newest = NULL;
	const char		*version, *name, *sha;
	size_t			 i, j;
	int			 rc = -1;

	res = PQexec(conn,
	    "SELECT version, name, sha256 FROM schema_migrations ORDER BY version");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		zes_ctlpg_error(err, "cannot read schema_migrations: %s",
		    zes_ctlpg_message(conn, res));
		goto out;
	}
	for (i = 0; i < (size_t)PQntuples(res); i++) {
		version = PQgetvalue(res, (int)i, 0);
		name = PQgetvalue(res, (int)i, 1);
		sha = PQgetvalue(res, (int)i, 2);
		f = NULL;
		for (j = 0; j < set->nfiles; j++) {
			if (strcmp(set->files[j].version, version) == 0)
				f = &set->files[j];
		}
		if (f == NULL) {
			zes_ctlpg_error(err, "migration %s_%s is applied but "
			    "%s/%s_%s.sql is missing (is this zesctl older "
			    "than the database?)", version, name, dir, version,
			    name);
			goto out;
		}
		if (strcmp(f->base + MIGRATE_VERSION_LEN + 1, name) != 0) {
			zes_ctlpg_error(err, "%s: version %s was applied as "
			    "%s_%s; a migration must not be renamed", f->path,
			    version, version, name);
			goto out;
		}
		if (strcmp(f->sha256, sha) != 0) {
			zes_ctlpg_error(err, "%s changed after it was applied "
			    "(sha256 %s applied, %s now); write a new "
			    "migration instead of editing this one", f->path,
			    sha, f->sha256);
			goto out;
		}
		f->applied = 1;
		if (newest == NULL || strcmp(f->version, newest->version) > 0)
			newest = f;
	}
	for (j = 0; newest != NULL && j < set->nfiles; j++) {
		f = &set->files[j];
		if (!f->applied && strcmp(f->version, newest->version) < 0) {
			zes_ctlpg_error(err, "%s is new but sorts before %s, "
			    "which is already applied; give it a higher number",
			    f->path, newest->base);
			goto out;
		}
	}
	rc = 0;
out:
	PQclear(res);
	return rc;
}

/* Line (from 1) of the 1-based character position pos of UTF-8 text. */
static unsigned long
migrate_line_of(const char *text, unsigned long pos)
{
	const unsigned char	*p;
	unsigned long		 chars = 0, line = 1;

	for (p = (const unsigned char *)text; *p != '\0'; p++) {
		if ((*p & 0xc0) == 0x80)
			continue;	/* a continuation byte */
		if (++chars == pos)
			break;
		if (*p == '\n')
			line++;
	}
	return line;
}

/* Apply one file and record it, in one transaction; 0 ok, -1 with *err. */
static int
migrate_apply(PGconn *conn, const struct migrate_file *f, char **err)
{
	PGresult	*res = NULL;
	const char	*params[3], *pos;
	char		*end;
	unsigned long	 p;
	int		 rc = -1;

	if (zes_ctlpg_command(conn, "BEGIN", "cannot begin a transaction",
	    err) == -1)
		return -1;

	res = PQexec(conn, f->text);
	switch (PQresultStatus(res)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
	case PGRES_EMPTY_QUERY:
		break;
	case PGRES_COPY_IN:
	case PGRES_COPY_OUT:
		zes_ctlpg_error(err, "%s: COPY to or from the client is not "
		    "supported in a migration", f->path);
		migrate_leave_copy(conn, PQresultStatus(res));
		goto out;
	default:
		pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
		p = pos != NULL ? strtoul(pos, &end, 10) : 0;
		if (p > 0)
			zes_ctlpg_error(err, "%s line %lu: %s", f->path,
			    migrate_line_of(f->text, p),
			    zes_ctlpg_message(conn, res));
		else
			zes_ctlpg_error(err, "%s: %s", f->path,
			    zes_ctlpg_message(conn, res));
		goto out;
	}
	PQclear(res);
	res = NULL;
	if (PQtransactionStatus(conn) != PQTRANS_INTRANS) {
		zes_ctlpg_error(err, "%s ends the transaction itself: remove its "
		    "BEGIN/COMMIT (zesctl wraps each file in one); what ran "
		    "before the COMMIT may be committed", f->path);
		goto out;
	}

	params[0] = f->version;
	params[1] = f->base + MIGRATE_VERSION_LEN + 1;
	params[2] = f->sha256;
	res = PQexecParams(conn, "INSERT INTO schema_migrations "
	    "(version, name, sha256) VALUES ($1, $2, $3)", 3, NULL, params,
	    NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		zes_ctlpg_error(err, "%s: cannot record it: %s", f->path,
		    zes_ctlpg_message(conn, res));
		goto out;
	}
	PQclear(res);

	/* A COMMIT that fails (a deferred constraint) answers ROLLBACK. */
	res = PQexec(conn, "COMMIT");
	if (PQresultStatus(res) != PGRES_COMMAND_OK ||
	    strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		zes_ctlpg_error(err, "%s: commit failed: %s", f->path,
		    zes_ctlpg_message(conn, res));
		goto out;
	}
	rc = 0;
out:
	PQclear(res);
	if (rc == -1)
		migrate_rollback(conn);
	return rc;
}

/* Apply the pending migrations of schema_dir (see zes/migrate.h). */
int
zes_migrate_run(PGconn *conn, const char *schema_dir, FILE *out, char **err)
{
	struct migrate_set	 set = { NULL, 0 };
	size_t			 i, napplied = 0;
	int			 locked = 0, rc = -1;

	if (err != NULL)
		*err = NULL;
	if (migrate_scan(schema_dir, &set, err) == -1)
		goto done;

	/* The files are UTF-8, and error positions are counted in it. */
	if (PQsetClientEncoding(conn, "UTF8") != 0) {
		zes_ctlpg_error(err, "cannot set client_encoding: %s",
		    zes_ctlpg_message(conn, NULL));
		goto done;
	}
	if (zes_ctlpg_command(conn, "SELECT pg_advisory_lock("
	    MIGRATE_LOCK_KEY ")", "cannot take the migration lock", err) == -1)
		goto done;
	locked = 1;
	if (migrate_ensure_table(conn, err) == -1 ||
	    migrate_check_recorded(conn, schema_dir, &set, err) == -1)
		goto done;

	for (i = 0; i < set.nfiles; i++) {
		if (set.files[i].applied)
			continue;
		if (migrate_apply(conn, &set.files[i], err) == -1)
			goto done;
		fprintf(out, "applied %s\n", set.files[i].base);
		fflush(out);
		napplied++;
	}
	if (napplied == 0)
		fprintf(out, "schema is up to date\n");
	rc = 0;
done:
	if (locked && PQstatus(conn) == CONNECTION_OK)
		PQclear(PQexec(conn, "SELECT pg_advisory_unlock("
		    MIGRATE_LOCK_KEY ")"));
	migrate_set_free(&set);
	return rc;
}
