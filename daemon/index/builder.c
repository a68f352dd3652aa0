/*
 * The index builder thread: loads the whole register, every exemption and
 * every recognition agreement's terms into a first snapshot, then follows
 * change_log (NOTIFY zes_change wakes it; it also polls) and publishes a new
 * snapshot for every batch of changes.
 * It owns a blocking database connection: it is not a worker and serves no
 * request, so nothing here can stall an HTTP answer.
 *
 * change_log.seq is taken before commit, so a transaction can commit with a
 * lower seq than one already applied.  The builder therefore remembers the
 * seqs it has not seen below the highest one (gaps) and asks for them again
 * until they appear or are old enough to have been rolled back.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "zes/builder.h"
#include "zes/index.h"
#include "zes/log.h"
#include "zes/worker.h"
#include "zes/xmalloc.h"

#define BUILDER_MAX_GAPS	4096
#define BUILDER_GAP_TTL_S	30	/* a seq unseen this long was rolled back */
#define BUILDER_BATCH		10000	/* change_log rows per poll */
#define BUILDER_BATCH_TEXT	"10000"
/*
 * Polls woken by NOTIFY come at most this often: under a stream of commits
 * one poll takes up every change of the last few milliseconds instead of one
 * poll, one query and one new overlay per commit.  A change after a quiet
 * moment is still taken at once.
 */
#define BUILDER_PACE_MS		10

struct builder_gap {
	int64_t		seq;
	time_t		since;
};

struct zes_builder {
	struct zes_server	*srv;
	struct zes_builder_opts	 opts;
	char			*conninfo;
	pthread_t		 thread;
	int			 wake[2];		/* pipe: stop or new rules */
	pthread_mutex_t		 lock;			/* guards next_rules, stop and stats */
	struct zes_rules	*next_rules;		/* set by zes_builder_set_rules */
	int			 stop;
	struct zes_builder_stats stats;

	/* The thread's own state. */
	PGconn			*conn;
	struct zes_rules	*rules;
	struct zes_index	*index;			/* the last published (reference held) */
	int64_t			 applied;		/* highest seq applied */
	struct builder_gap	 gaps[BUILDER_MAX_GAPS];
	size_t			 ngaps;
	struct builder_gap	 saved[BUILDER_MAX_GAPS];	/* gaps before a poll, */
	size_t			 nsaved;			/* restored when it fails */
	unsigned		 backoff_ms;
	unsigned		 quiet;			/* failures since the last good round */
	int			 more;			/* the last poll was a full batch */
	int			 reload;		/* a poll saw a purge: load afresh */
	struct timespec		 polled;		/* when the last poll began */
};

static void	*builder_main(void *);
static int	 builder_prepare(struct zes_builder *);
static void	 builder_array_add(char **, size_t *, size_t *, const char *);

/* Seconds since the epoch, with fractions (CLOCK_REALTIME: compared with commit times). */
static double
builder_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Log a database failure of the builder. */
static void
builder_db_error(struct zes_builder *b, const char *what, const PGresult *res)
{
	char	q[600];

	/* The first failure of a streak at warn, the rest at debug: no flood. */
	zes_log_event(b->quiet++ ? ZES_LOG_DEBUG : ZES_LOG_WARN, "index", NULL,
	    "db_error", "what=%s error=%s", what,
	    zes_log_quote(q, sizeof(q), res ? PQresultErrorMessage(res) :
	    PQerrorMessage(b->conn), 500));
	pthread_mutex_lock(&b->lock);
	b->stats.errors_total++;
	pthread_mutex_unlock(&b->lock);
}

/* Run a statement that returns no rows; 0 on success. */
static int
builder_exec(struct zes_builder *b, const char *sql)
{
	PGresult	*res = PQexec(b->conn, sql);
	int		 ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
			    PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok)
		builder_db_error(b, sql, res);
	PQclear(res);
	return ok ? 0 : -1;
}

/* Wait up to ms for the socket or the wake pipe; returns 1 when woken by the pipe. */
static int
builder_wait(struct zes_builder *b, unsigned ms)
{
	struct pollfd	pfd[2];
	int		n = 1;
	char		buf[64];

	pfd[0].fd = b->wake[0];
	pfd[0].events = POLLIN;
	if (b->conn != NULL && PQsocket(b->conn) >= 0) {
		pfd[1].fd = PQsocket(b->conn);
		pfd[1].events = POLLIN;
		n = 2;
	}
	if (poll(pfd, (nfds_t)n, (int)ms) <= 0)
		return 0;
	if (pfd[0].revents & POLLIN) {
		while (read(b->wake[0], buf, sizeof(buf)) > 0)
			;
		return 1;
	}
	return 0;
}

/*
 * Keep polls BUILDER_PACE_MS apart: wait out the rest of the interval since
 * the last one began, on the wake pipe only (a stop or new rules end the
 * wait; notifications are read after the poll).
 */
static void
builder_pace(struct zes_builder *b)
{
	struct timespec	now;
	struct pollfd	pfd;
	long		ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - b->polled.tv_sec) * 1000 +
	    (now.tv_nsec - b->polled.tv_nsec) / 1000000;
	if (ms >= 0 && ms < BUILDER_PACE_MS) {
		pfd.fd = b->wake[0];
		pfd.events = POLLIN;
		(void)poll(&pfd, 1, (int)(BUILDER_PACE_MS - ms));
		clock_gettime(CLOCK_MONOTONIC, &now);
	}
	b->polled = now;
}

/* libpq's notices (a server shutting down says so) go to the log, not stderr. */
static void
builder_notice_cb(void *arg, const char *message)
{
	char	q[600];

	(void)arg;
	zes_log_debug("index", "db_notice", "message=%s",
	    zes_log_quote(q, sizeof(q), message, 500));
}

/*
 * Connect (blocking: this thread serves no request) and LISTEN, unless
 * poll_only (a read_only zesd: a hot standby refuses LISTEN during recovery).
 */
static int
builder_connect(struct zes_builder *b)
{
	static const char *const keys[] = { "dbname", "application_name",
	    "options", "connect_timeout", NULL };
	char		 opts[64];
	const char	*vals[5];

	snprintf(opts, sizeof(opts), "-c statement_timeout=%u",
	    b->opts.statement_timeout_ms * 20);	/* a full load takes longer */
	vals[0] = b->conninfo;
	vals[1] = "zesd/index";
	vals[2] = opts;
	vals[3] = "5";
	vals[4] = NULL;
	b->conn = PQconnectdbParams(keys, vals, 1);
	if (b->conn != NULL)
		PQsetNoticeProcessor(b->conn, builder_notice_cb, b);
	if (PQstatus(b->conn) != CONNECTION_OK) {
		char q[600];

		zes_log_warn("index", "db_connect_failed", "error=%s",
		    zes_log_quote(q, sizeof(q), PQerrorMessage(b->conn), 500));
		PQfinish(b->conn);
		b->conn = NULL;
		return -1;
	}
	if (!b->opts.poll_only && builder_exec(b, "LISTEN zes_change") != 0) {
		PQfinish(b->conn);
		b->conn = NULL;
		return -1;
	}
	if (builder_prepare(b) != 0) {
		PQfinish(b->conn);
		b->conn = NULL;
		return -1;
	}
	zes_log_info("index", "db_connected", "backend_pid=%d", PQbackendPID(b->conn));
	return 0;
}

/* Split s at sep into at most max pieces, in place; returns the count. */
static int
builder_split(char *s, char sep, char **out, int max)
{
	int	n = 0;

	if (*s == '\0')
		return 0;
	out[n++] = s;
	for (; *s != '\0'; s++) {
		if (*s == sep) {
			*s = '\0';
			if (n == max)
				break;
			out[n++] = s + 1;
		}
	}
	return n;
}

/* Copy a text field into a fixed buffer, cut to fit. */
static void
builder_copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src);
}

/*
 * One line of the vehicles COPY: plate, category, vehicle type, body
 * description, body type, body code (-1), special codes, fuel names, fuel
 * classes (each joined by 0x1f), first admission (days, or empty), mass (-1).
 */
static int
builder_vehicle_line(char *line, struct zes_vehicle *v)
{
	char	*f[12], *list[ZES_VEHICLE_MAX_FUELS + ZES_VEHICLE_MAX_SPECIALS];
	char	*cls[ZES_VEHICLE_MAX_FUELS];
	int	 n, i, nc;

	if (builder_split(line, '\t', f, 12) != 11)
		return -1;
	memset(v, 0, sizeof(*v));
	builder_copy(v->plate, sizeof(v->plate), f[0]);
	builder_copy(v->category, sizeof(v->category), f[1]);
	builder_copy(v->vehicle_type, sizeof(v->vehicle_type), f[2]);
	builder_copy(v->body_description, sizeof(v->body_description), f[3]);
	builder_copy(v->body_type, sizeof(v->body_type), f[4]);
	v->body_code = atoi(f[5]);
	n = builder_split(f[6], '\x1f', list, ZES_VEHICLE_MAX_SPECIALS);
	for (i = 0; i < n; i++)
		v->special_codes[v->nspecial++] = atoi(list[i]);
	n = builder_split(f[7], '\x1f', list, ZES_VEHICLE_MAX_FUELS);
	nc = builder_split(f[8], '\x1f', cls, ZES_VEHICLE_MAX_FUELS);
	for (i = 0; i < n; i++) {
		builder_copy(v->fuels[i].name, sizeof(v->fuels[i].name), list[i]);
		builder_copy(v->fuels[i].emission_class,
		    sizeof(v->fuels[i].emission_class), i < nc ? cls[i] : "");
	}
	v->nfuels = n;
	v->first_admission = f[9][0] != '\0' ? strtoll(f[9], NULL, 10) : ZES_DAY_NONE;
	v->mass_kg = atoi(f[10]);
	return 0;
}

/* Parse a uuid's text into 16 bytes. */
static int
builder_uuid(const char *s, uint8_t out[16])
{
	int	i = 0, hi;

	for (; *s != '\0' && i < 32; s++) {
		int c = (unsigned char)*s, v;

		if (c == '-')
			continue;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			return -1;
		hi = i % 2 == 0;
		if (hi)
			out[i / 2] = (uint8_t)(v << 4);
		else
			out[i / 2] |= (uint8_t)v;
		i++;
	}
	return i == 32 && *s == '\0' ? 0 : -1;
}

/*
 * One exemption row: id, plate, country, type, issuer, valid_from,
 * valid_until, granted_at, revoked_at (epoch seconds; revoked empty when not).
 */
static int
builder_exemption_fields(char **f, struct zes_index_exrow *r)
{
	memset(r, 0, sizeof(*r));
	if (builder_uuid(f[0], r->ex.id) != 0)
		return -1;
	builder_copy(r->plate, sizeof(r->plate), f[1]);
	builder_copy(r->country, sizeof(r->country), f[2]);
	builder_copy(r->ex.type, sizeof(r->ex.type), f[3]);
	builder_copy(r->ex.issuer, sizeof(r->ex.issuer), f[4]);
	r->ex.valid_from = strtoll(f[5], NULL, 10);
	r->ex.valid_until = strtoll(f[6], NULL, 10);
	r->ex.granted_at = strtoll(f[7], NULL, 10);
	r->ex.revoked_at = f[8][0] != '\0' ? strtoll(f[8], NULL, 10) : INT64_MAX;
	return 0;
}

#define BUILDER_VEHICLE_COLS \
    "plate, coalesce(category, ''), coalesce(vehicle_type, ''), " \
    "lower(coalesce(body_description, '')), coalesce(body_type, ''), " \
    "coalesce(body_code, -1), coalesce(array_to_string(special_codes, E'\\x1f'), ''), " \
    "coalesce(array_to_string(fuel_names, E'\\x1f'), ''), " \
    "coalesce(array_to_string(fuel_classes, E'\\x1f'), ''), " \
    "coalesce((first_admission - date '1970-01-01')::text, ''), coalesce(mass_kg, -1)"

#define BUILDER_EXEMPTION_COLS \
    "id, plate, country, type, issuer, " \
    "floor(extract(epoch FROM valid_from))::bigint, " \
    "floor(extract(epoch FROM valid_until))::bigint, " \
    "floor(extract(epoch FROM granted_at))::bigint, " \
    "coalesce(floor(extract(epoch FROM revoked_at))::bigint::text, '')"

/*
 * The terms of recognition agreements (schema/0004_recognition.sql):
 * agreement id, recognizer, issuer, type, valid_from, valid_until (epoch
 * seconds; empty when open-ended).  Instants are whole seconds there.
 */
#define BUILDER_TERM_COLS \
    "agreement_id, recognizer, issuer, type, " \
    "floor(extract(epoch FROM valid_from))::bigint, " \
    "coalesce(floor(extract(epoch FROM valid_until))::bigint::text, '')"

/*
 * Prepare the statements every change runs, once per connection: the poll
 * of change_log and the read of changed exemptions.
 */
static int
builder_prepare(struct zes_builder *b)
{
	static const struct {
		const char	*name, *sql;
		int		 nparams;
	} stmts[] = {
		/*
		 * Two index scans, each with its own order and limit, not
		 * "seq > $1 OR seq = ANY($2)": the generic plan of a prepared
		 * OR is a scan of the whole of change_log, and without the inner
		 * LIMIT the generic plan still sorts a third of the table's
		 * estimated rows (even in parallel) before taking the first.
		 * Either cost grows with every change ever made.
		 */
		{ "poll", "SELECT * FROM (("
		  "SELECT seq, kind, object_id, extract(epoch FROM at), op "
		  "FROM change_log WHERE seq > $1::bigint ORDER BY seq LIMIT "
		  BUILDER_BATCH_TEXT ") UNION ALL ("
		  "SELECT seq, kind, object_id, extract(epoch FROM at), op "
		  "FROM change_log WHERE seq = ANY($2::bigint[]) AND seq <= $1::bigint"
		  ")) c ORDER BY seq LIMIT " BUILDER_BATCH_TEXT, 2 },
		{ "exemptions", "SELECT " BUILDER_EXEMPTION_COLS
		  " FROM exemptions WHERE id = ANY($1::uuid[])", 1 },
	};
	PGresult	*res;
	size_t		 i;
	int		 ok;

	for (i = 0; i < ZES_NELEM(stmts); i++) {
		res = PQprepare(b->conn, stmts[i].name, stmts[i].sql,
		    stmts[i].nparams, NULL);
		ok = PQresultStatus(res) == PGRES_COMMAND_OK;
		if (!ok)
			builder_db_error(b, stmts[i].name, res);
		PQclear(res);
		if (!ok)
			return -1;
	}
	return 0;
}

/* One term row from its six fields. */
static int
builder_term_fields(char **f, struct zes_recognition *t)
{
	memset(t, 0, sizeof(*t));
	if (builder_uuid(f[0], t->agreement) != 0)
		return -1;
	builder_copy(t->recognizer, sizeof(t->recognizer), f[1]);
	builder_copy(t->issuer, sizeof(t->issuer), f[2]);
	builder_copy(t->type, sizeof(t->type), f[3]);
	t->valid_from = strtoll(f[4], NULL, 10);
	t->valid_until = f[5][0] != '\0' ? strtoll(f[5], NULL, 10) : INT64_MAX;
	return 0;
}

/* Term rows being collected. */
struct builder_terms {
	struct zes_recognition	*v;
	size_t			 n, cap;
};

/* Room for one more term. */
static struct zes_recognition *
builder_term_slot(struct builder_terms *t)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	return &t->v[t->n];
}

/* COPY callback: one term into the list. */
static int
builder_term_cb(char *line, void *arg)
{
	struct builder_terms	*terms = arg;
	char			*f[7];

	if (builder_split(line, '\t', f, 7) != 6)
		return -1;
	if (builder_term_fields(f, builder_term_slot(terms)) != 0)
		return -1;
	terms->n++;
	return 0;
}

/* Run a COPY ... TO STDOUT and hand each line (without its newline) to fn. */
static int
builder_copy_out(struct zes_builder *b, const char *sql,
    int (*fn)(char *, void *), void *arg)
{
	PGresult	*res;
	char		*buf;
	int		 n, rc = 0;

	res = PQexec(b->conn, sql);
	if (PQresultStatus(res) != PGRES_COPY_OUT) {
		builder_db_error(b, "copy", res);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	while ((n = PQgetCopyData(b->conn, &buf, 0)) > 0) {
		if (n > 0 && buf[n - 1] == '\n')
			buf[n - 1] = '\0';
		if (rc == 0 && fn(buf, arg) != 0)
			rc = -1;
		PQfreemem(buf);
	}
	res = PQgetResult(b->conn);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		builder_db_error(b, "copy end", res);
		rc = -1;
	}
	PQclear(res);
	while ((res = PQgetResult(b->conn)) != NULL)
		PQclear(res);
	return rc;
}

/* COPY callback: one vehicle into the table under construction. */
static int
builder_vehicle_cb(char *line, void *arg)
{
	struct zes_vehicle	v;

	if (builder_vehicle_line(line, &v) != 0)
		return -1;
	zes_index_vbuild_add(arg, &v);
	return 0;
}

/* Exemption rows being collected. */
struct builder_exrows {
	struct zes_index_exrow	*v;
	size_t			 n, cap;
};

/* COPY callback: one exemption into the list. */
static int
builder_exemption_cb(char *line, void *arg)
{
	struct builder_exrows	*rows = arg;
	char			*f[10];

	if (builder_split(line, '\t', f, 10) != 9)
		return -1;
	if (rows->n == rows->cap) {
		rows->cap = rows->cap ? rows->cap * 2 : 1024;
		rows->v = xrealloc(rows->v, rows->cap * sizeof(*rows->v));
	}
	if (builder_exemption_fields(f, &rows->v[rows->n]) != 0)
		return -1;
	rows->n++;
	return 0;
}

/* Publish a snapshot to the workers and keep a reference for the next delta. */
static void
builder_publish(struct zes_builder *b, struct zes_index *x, double changed_at)
{
	zes_index_unref(b->index);
	b->index = zes_index_ref(x);
	zes_server_publish_index(b->srv, x);
	pthread_mutex_lock(&b->lock);
	b->stats.ready = 1;
	b->stats.seq = b->applied;
	if (changed_at > 0)
		b->stats.lag_seconds = builder_now() - changed_at;
	pthread_mutex_unlock(&b->lock);
}

/* Remember the seqs below `seq` that were not seen (they may commit later). */
static void
builder_add_gaps(struct zes_builder *b, int64_t from, int64_t to)
{
	int64_t	s;

	for (s = from; s < to && b->ngaps < BUILDER_MAX_GAPS; s++) {
		b->gaps[b->ngaps].seq = s;
		b->gaps[b->ngaps].since = time(NULL);
		b->ngaps++;
	}
}

/* A gap filled (or expired): forget it. */
static void
builder_drop_gap(struct zes_builder *b, size_t i)
{
	b->gaps[i] = b->gaps[--b->ngaps];
}

/*
 * Load everything in one consistent snapshot of the database and publish
 * it.  0 on success.
 */
static int
builder_full_load(struct zes_builder *b)
{
	struct zes_index_vbuild		*vb;
	struct zes_index_vehicles	*veh;
	struct zes_index_exemptions	*exs;
	struct zes_index_agreements	*agr;
	struct zes_index		*x, *y;
	struct builder_exrows		 rows = { NULL, 0, 0 };
	struct builder_terms		 terms = { NULL, 0, 0 };
	PGresult			*res;
	double				 t0 = builder_now();
	size_t				 expected = 0;
	int64_t				 seq;
	int				 i;

	if (builder_exec(b, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") != 0)
		return -1;
	res = PQexec(b->conn, "SELECT coalesce(max(seq), 0), "
	    "(SELECT count(*) FROM vehicles) FROM change_log");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		builder_db_error(b, "max seq", res);
		PQclear(res);
		builder_exec(b, "ROLLBACK");
		return -1;
	}
	seq = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	expected = (size_t)strtoull(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);

	/* Seqs just below the top that are not visible yet may still commit. */
	res = PQexec(b->conn, "SELECT g FROM generate_series(greatest(1, "
	    "(SELECT coalesce(max(seq), 0) FROM change_log) - 1000), "
	    "(SELECT coalesce(max(seq), 0) FROM change_log)) g "
	    "WHERE NOT EXISTS (SELECT 1 FROM change_log WHERE seq = g)");
	b->ngaps = 0;
	if (PQresultStatus(res) == PGRES_TUPLES_OK) {
		for (i = 0; i < PQntuples(res); i++) {
			int64_t g = strtoll(PQgetvalue(res, i, 0), NULL, 10);

			builder_add_gaps(b, g, g + 1);
		}
	}
	PQclear(res);

	vb = zes_index_vbuild_new(b->rules, expected);
	if (builder_copy_out(b, "COPY (SELECT " BUILDER_VEHICLE_COLS
	    " FROM vehicles) TO STDOUT", builder_vehicle_cb, vb) != 0 ||
	    builder_copy_out(b, "COPY (SELECT " BUILDER_EXEMPTION_COLS
	    " FROM exemptions) TO STDOUT", builder_exemption_cb, &rows) != 0 ||
	    builder_copy_out(b, "COPY (SELECT " BUILDER_TERM_COLS
	    " FROM recognition_terms WHERE valid_until IS NULL"
	    " OR valid_until > valid_from) TO STDOUT", builder_term_cb,
	    &terms) != 0) {
		zes_index_vehicles_unref(zes_index_vbuild_finish(vb));
		free(rows.v);
		free(terms.v);
		builder_exec(b, "ROLLBACK");
		return -1;
	}
	builder_exec(b, "COMMIT");
	veh = zes_index_vbuild_finish(vb);
	exs = zes_index_exemptions_build(rows.v, rows.n);
	agr = zes_index_agreements_build(terms.v, terms.n);
	free(rows.v);
	free(terms.v);
	b->applied = seq;
	y = zes_index_new(b->rules, veh, exs, seq);
	x = zes_index_with_agreements(y, agr, seq);
	zes_index_unref(y);
	zes_index_vehicles_unref(veh);
	zes_index_exemptions_unref(exs);
	zes_index_agreements_unref(agr);
	{
		struct zes_index_stats st;

		zes_index_get_stats(x, &st);
		zes_log_info("index", "loaded", "vehicles=%zu profiles=%zu "
		    "exemptions=%zu recognitions=%zu bytes=%zu seq=%" PRId64
		    " seconds=%.3f", st.vehicles, st.profiles, st.exemptions,
		    st.recognitions, st.bytes, seq, builder_now() - t0);
	}
	pthread_mutex_lock(&b->lock);
	b->stats.full_loads_total++;
	b->stats.build_seconds = builder_now() - t0;
	pthread_mutex_unlock(&b->lock);
	builder_publish(b, x, 0);
	zes_index_unref(x);
	return 0;
}

/* Apply the exemptions with these ids (a Postgres array literal). */
static struct zes_index *
builder_apply_exemptions(struct zes_builder *b, struct zes_index *cur,
    const char *ids, int64_t seq)
{
	struct builder_exrows	 rows = { NULL, 0, 0 };
	struct zes_index	*x;
	PGresult		*res;
	const char		*params[1] = { ids };
	char			*f[9];
	int			 i, j;

	res = PQexecPrepared(b->conn, "exemptions", 1, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		builder_db_error(b, "exemptions delta", res);
		PQclear(res);
		return NULL;
	}
	rows.cap = (size_t)PQntuples(res) + 1;
	rows.v = xcalloc(rows.cap, sizeof(*rows.v));
	for (i = 0; i < PQntuples(res); i++) {
		for (j = 0; j < 9; j++)
			f[j] = PQgetvalue(res, i, j);
		if (builder_exemption_fields(f, &rows.v[rows.n]) == 0)
			rows.n++;
	}
	PQclear(res);
	x = zes_index_apply(cur, rows.v, rows.n, seq, b->opts.max_overlay);
	free(rows.v);
	return x;
}

/* Agreement ids named by change_log rows, as bytes and as a Postgres array literal. */
struct builder_agreement_ids {
	uint8_t		(*v)[16];
	size_t		  n, cap;
	char		 *text;
	size_t		  len, tcap;
};

/* Add the id of one change_log row (a text uuid); a malformed one is skipped. */
static void
builder_agreement_id(struct builder_agreement_ids *a, const char *id)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 16;
		a->v = xrealloc(a->v, a->cap * sizeof(*a->v));
	}
	if (builder_uuid(id, a->v[a->n]) != 0)
		return;
	a->n++;
	builder_array_add(&a->text, &a->len, &a->tcap, id);
}

/*
 * Apply the agreements named: their terms as they stand now replace the
 * ones the snapshot has of them.
 */
static struct zes_index *
builder_apply_agreements(struct zes_builder *b, struct zes_index *cur,
    const struct builder_agreement_ids *ids, int64_t seq)
{
	struct builder_terms		 terms = { NULL, 0, 0 };
	struct zes_index_agreements	*agr;
	struct zes_index		*x;
	PGresult			*res;
	const char			*params[1] = { ids->text };
	char				*f[6];
	int				 i, j;

	res = PQexecParams(b->conn, "SELECT " BUILDER_TERM_COLS
	    " FROM recognition_terms WHERE agreement_id = ANY($1::uuid[])",
	    1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		builder_db_error(b, "agreements delta", res);
		PQclear(res);
		return NULL;
	}
	for (i = 0; i < PQntuples(res); i++) {
		for (j = 0; j < 6; j++)
			f[j] = PQgetvalue(res, i, j);
		if (builder_term_fields(f, builder_term_slot(&terms)) == 0)
			terms.n++;
	}
	PQclear(res);
	agr = zes_index_agreements_update(zes_index_agreements_of(cur),
	    (const uint8_t (*)[16])ids->v, ids->n, terms.v, terms.n);
	x = zes_index_with_agreements(cur, agr, seq);
	zes_index_agreements_unref(agr);
	free(terms.v);
	return x;
}

/* Apply the vehicles written by the imports with these change seqs. */
static struct zes_index *
builder_apply_vehicles(struct zes_builder *b, struct zes_index *cur,
    const char *seqs, int64_t seq)
{
	struct zes_vehicle		*v = NULL;
	struct zes_index_vehicles	*veh;
	struct zes_index		*x;
	PGresult			*res;
	const char			*params[1] = { seqs };
	char				 line[2048];
	size_t				 n = 0, cap = 0;
	int				 i, j;

	res = PQexecParams(b->conn, "SELECT " BUILDER_VEHICLE_COLS
	    " FROM vehicles WHERE change_seq = ANY($1::bigint[])", 1, NULL,
	    params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		builder_db_error(b, "vehicles delta", res);
		PQclear(res);
		return NULL;
	}
	for (i = 0; i < PQntuples(res); i++) {
		size_t	off = 0;

		/* Same shape as a COPY line, so one parser serves both. */
		for (j = 0; j < 11 && off < sizeof(line); j++)
			off += (size_t)snprintf(line + off, sizeof(line) - off,
			    "%s%s", j ? "\t" : "", PQgetvalue(res, i, j));
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			v = xrealloc(v, cap * sizeof(*v));
		}
		if (builder_vehicle_line(line, &v[n]) == 0)
			n++;
	}
	PQclear(res);
	veh = zes_index_vehicles_update(zes_index_vehicles_of(cur), b->rules, v, n);
	free(v);
	x = zes_index_with_vehicles(cur, veh, seq);
	zes_index_vehicles_unref(veh);
	return x;
}

/* Append a value to a Postgres array literal being built in buf. */
static void
builder_array_add(char **buf, size_t *len, size_t *cap, const char *v)
{
	size_t	n = strlen(v) + 2;

	if (*len + n + 2 > *cap) {
		*cap = (*cap + n) * 2 + 64;
		*buf = xrealloc(*buf, *cap);
	}
	if (*len == 0)
		(*buf)[(*len)++] = '{';
	else
		(*buf)[(*len)++] = ',';
	memcpy(*buf + *len, v, n - 2);
	*len += n - 2;
	(*buf)[*len] = '}';
	(*buf)[*len + 1] = '\0';
}

/*
 * Look at change_log for what is new (and for the gaps), apply it, publish.
 * 0 when nothing failed.
 */
static int
builder_poll(struct zes_builder *b)
{
	PGresult		*res;
	char			*gaps = NULL, *exids = NULL, *vseqs = NULL, num[24];
	size_t			 glen = 0, gcap = 0, elen = 0, ecap = 0, vlen = 0, vcap = 0;
	const char		*params[2];
	char			 applied[24];
	struct zes_index	*x = NULL, *y;
	struct builder_agreement_ids agr = { NULL, 0, 0, NULL, 0, 0 };
	int64_t			 top = b->applied, applied0 = b->applied, s;
	double			 changed_at = 0;
	size_t			 i, k;
	int			 rc = 0;
	time_t			 now = time(NULL);

	for (i = 0; i < b->ngaps; i++) {
		if (now - b->gaps[i].since > BUILDER_GAP_TTL_S) {
			builder_drop_gap(b, i--);
			continue;
		}
		snprintf(num, sizeof(num), "%" PRId64, b->gaps[i].seq);
		builder_array_add(&gaps, &glen, &gcap, num);
	}
	snprintf(applied, sizeof(applied), "%" PRId64, b->applied);
	params[0] = applied;
	params[1] = gaps ? gaps : "{}";
	res = PQexecPrepared(b->conn, "poll", 2, params, NULL, NULL, 0);
	free(gaps);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		builder_db_error(b, "poll", res);
		PQclear(res);
		return -1;
	}
	b->more = PQntuples(res) == BUILDER_BATCH;
	/* A delta that fails is asked for again: keep where we stood. */
	memcpy(b->saved, b->gaps, b->ngaps * sizeof(*b->gaps));
	b->nsaved = b->ngaps;
	for (k = 0; k < (size_t)PQntuples(res); k++) {
		const char *kind = PQgetvalue(res, (int)k, 1);

		s = strtoll(PQgetvalue(res, (int)k, 0), NULL, 10);
		for (i = 0; i < b->ngaps; i++)
			if (b->gaps[i].seq == s)
				builder_drop_gap(b, i--);
		if (s > top) {
			builder_add_gaps(b, top + 1, s);
			top = s;
		}
		if (strcmp(kind, "exemption") == 0 &&
		    strcmp(PQgetvalue(res, (int)k, 4), "purge") == 0)
			b->reload = 1;	/* gone from the database: see builder_main */
		else if (strcmp(kind, "exemption") == 0)
			builder_array_add(&exids, &elen, &ecap,
			    PQgetvalue(res, (int)k, 2));
		else if (strcmp(kind, "vehicles") == 0)
			builder_array_add(&vseqs, &vlen, &vcap,
			    PQgetvalue(res, (int)k, 0));
		else if (strcmp(kind, "agreement") == 0)
			builder_agreement_id(&agr, PQgetvalue(res, (int)k, 2));
		else
			continue;
		changed_at = strtod(PQgetvalue(res, (int)k, 3), NULL);
	}
	PQclear(res);
	b->applied = top;
	if (vseqs != NULL) {
		if ((y = builder_apply_vehicles(b, b->index, vseqs, top)) == NULL)
			rc = -1;
		x = y;
	}
	if (rc == 0 && exids != NULL) {
		y = builder_apply_exemptions(b, x ? x : b->index, exids, top);
		zes_index_unref(x);
		x = y;
		if (x == NULL)
			rc = -1;
	}
	if (rc == 0 && agr.n > 0) {
		y = builder_apply_agreements(b, x ? x : b->index, &agr, top);
		zes_index_unref(x);
		x = y;
		if (x == NULL)
			rc = -1;
	}
	free(exids);
	free(vseqs);
	free(agr.v);
	free(agr.text);
	if (rc != 0) {
		/* Nothing was published: the next poll asks for all of it again. */
		zes_index_unref(x);
		x = NULL;
		b->applied = applied0;
		memcpy(b->gaps, b->saved, b->nsaved * sizeof(*b->gaps));
		b->ngaps = b->nsaved;
	}
	if (x != NULL) {
		builder_publish(b, x, changed_at);
		zes_index_unref(x);
		pthread_mutex_lock(&b->lock);
		b->stats.deltas_total++;
		pthread_mutex_unlock(&b->lock);
	} else if (rc == 0) {
		pthread_mutex_lock(&b->lock);
		b->stats.seq = b->applied;
		pthread_mutex_unlock(&b->lock);
	}
	return rc;
}

/* The thread: connect, load, follow; reconnect with backoff on any failure. */
static void *
builder_main(void *arg)
{
	struct zes_builder	*b = arg;
	struct zes_rules	*nr;
	PGnotify		*n;
	int			 need_full = 1, stop;

	for (;;) {
		/* New rules are taken only when not stopping: stop frees them then. */
		pthread_mutex_lock(&b->lock);
		stop = b->stop;
		nr = NULL;
		if (!stop) {
			nr = b->next_rules;
			b->next_rules = NULL;
		}
		pthread_mutex_unlock(&b->lock);
		if (stop)
			break;
		if (nr != NULL) {
			zes_rules_unref(b->rules);
			b->rules = nr;
			need_full = 1;
		}
		if (b->conn == NULL && builder_connect(b) != 0) {
			builder_wait(b, b->backoff_ms);
			b->backoff_ms = b->backoff_ms < 2000 ? b->backoff_ms * 2 : 2000;
			continue;
		}
		if (need_full) {
			if (builder_full_load(b) != 0)
				goto broken;
			need_full = 0;
		}
		if (!b->more)
			builder_pace(b);
		if (builder_poll(b) != 0)
			goto broken;
		/*
		 * A purge removed exemptions (long expired ones): a delta cannot
		 * name what is no longer there, so the next round loads
		 * everything again while this snapshot keeps answering.
		 */
		if (b->reload) {
			b->reload = 0;
			need_full = 1;
			continue;
		}
		b->backoff_ms = 100;	/* a whole round worked */
		b->quiet = 0;
		/* A full batch means more is waiting: poll again at once. */
		builder_wait(b, b->more ? 0 : b->opts.poll_ms);
		if (b->conn != NULL) {
			if (PQconsumeInput(b->conn) == 0)
				goto broken;
			while ((n = PQnotifies(b->conn)) != NULL)
				PQfreemem(n);
		}
		continue;
broken:
		if (b->conn != NULL && PQstatus(b->conn) != CONNECTION_OK) {
			zes_log_warn("index", "db_lost", "reconnect_ms=%u", b->backoff_ms);
			PQfinish(b->conn);
			b->conn = NULL;
		}
		builder_wait(b, b->backoff_ms);
		b->backoff_ms = b->backoff_ms < 2000 ? b->backoff_ms * 2 : 2000;
	}
	if (b->conn != NULL)
		PQfinish(b->conn);
	b->conn = NULL;
	return NULL;
}

/* Start the builder thread. */
struct zes_builder *
zes_builder_start(struct zes_server *srv, const struct zes_builder_opts *opts,
    struct zes_rules *rules)
{
	struct zes_builder	*b = xcalloc(1, sizeof(*b));

	b->srv = srv;
	b->opts = *opts;
	b->conninfo = xstrdup(opts->conninfo);
	b->opts.conninfo = b->conninfo;
	b->rules = zes_rules_ref(rules);
	b->backoff_ms = 100;
	pthread_mutex_init(&b->lock, NULL);
	if (pipe(b->wake) != 0 ||
	    fcntl(b->wake[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(b->wake[1], F_SETFL, O_NONBLOCK) == -1)
		zes_fatal("index: pipe: %s", strerror(errno));
	if (pthread_create(&b->thread, NULL, builder_main, b) != 0)
		zes_fatal("index: cannot start the builder thread");
	return b;
}

/* Hand new rules to the builder. */
void
zes_builder_set_rules(struct zes_builder *b, struct zes_rules *rules)
{
	struct zes_rules	*old;

	pthread_mutex_lock(&b->lock);
	old = b->next_rules;
	b->next_rules = zes_rules_ref(rules);
	pthread_mutex_unlock(&b->lock);
	zes_rules_unref(old);
	(void)!write(b->wake[1], "r", 1);
}

/* Figures for /metrics. */
void
zes_builder_get_stats(struct zes_builder *b, struct zes_builder_stats *st)
{
	pthread_mutex_lock(&b->lock);
	*st = b->stats;
	pthread_mutex_unlock(&b->lock);
}

/* Stop the thread and free the builder. */
void
zes_builder_stop(struct zes_builder *b)
{
	if (b == NULL)
		return;
	pthread_mutex_lock(&b->lock);
	b->stop = 1;
	pthread_mutex_unlock(&b->lock);
	(void)!write(b->wake[1], "s", 1);
	pthread_join(b->thread, NULL);
	close(b->wake[0]);
	close(b->wake[1]);
	zes_index_unref(b->index);
	zes_rules_unref(b->rules);
	zes_rules_unref(b->next_rules);
	pthread_mutex_destroy(&b->lock);
	free(b->conninfo);
	free(b);
}
