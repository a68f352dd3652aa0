/*
 * Interactive transactions of daemon/store/pg.c (zes_store_txn) against a
 * real PostgreSQL: read-decide-write commits, the caller's ROLLBACK, a
 * refused statement mid-way, a quota kept by pg_advisory_xact_lock across
 * two connections, abandon (from outside and from inside a step), statement
 * timeout, the backend terminated mid-transaction, free with a transaction
 * in flight, and jobs queued behind a transaction.  Named (prepared)
 * statements: prepared once per connection, in plain queries, in
 * transactions and in interactive ones (kept after a rollback), a refused
 * one, a reconnect, and a DEALLOCATE behind the store's back.
 *
 * Usage: store_txn CONNINFO   (e.g. "host=/var/run/postgresql dbname=zesd")
 * Creates and drops two tables and a sequence named after its pid.  Prints
 * one line per check and "N passed, N failed"; exits 1 on failure.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <libpq-fe.h>

#include "zes/log.h"
#include "zes/store.h"

#include "store_harness.h"

#define NVAL		8	/* results a txn keeps, first cell each */
#define QUOTA		12	/* rows the quota transactions may insert */
#define QUOTA_TXNS	20	/* transactions per store */

/* What one plain query's callback saw. */
struct seen {
	int			 called;
	int			 seq;		/* order among all callbacks */
	enum zes_store_status	 status;
	char			 sqlstate[6];
	char			 value[64];	/* first row, first column */
};

/* One interactive transaction: its script's state and what it saw. */
struct txn {
	struct zes_store_job	*job;
	int			 calls;		/* step calls */
	int			 first_null;	/* the first call saw prev == NULL */
	int			 bad_prev;	/* a later call saw no OK result */
	int			 late;		/* step calls after done or abandon */
	int			 ended;		/* done ran, or we abandoned it */
	int			 slow_sent;	/* the slow statement was returned */

	int			 done;		/* done calls */
	int			 seq;		/* order among all callbacks */
	enum zes_store_status	 status;
	char			 sqlstate[6];
	char			 message[256];
	int			 nres;

	char			 val[NVAL][64];	/* val[i]: result of statement i */
	char			 sql[512];	/* the statement handed over */
	char			 p[4][64];	/* its parameters */
	const char		*pp[4];

	/* Script parameters. */
	struct zes_store	*store;		/* for a step that submits */
	struct seen		*inner;		/* its query's result */
	int			 nolock;	/* quota without the lock */
	const char		*who;
	int			 bad_named;	/* named_step: a statement with an error */
};

static int			 seqno;
static char			 t_items[64], t_quota[64], t_seq[64];

static void	 result_cb(const struct zes_store_result *, void *);
static int	 run_query(struct zes_store *, const char *, const char *,
		    struct seen *);
static int	 count_rows(struct zes_store *, const char *, const char *);
static void	 done_cb(const struct zes_store_result *, void *);
static struct zes_store_job *txn(struct zes_store *, zes_store_step_fn *,
		    struct txn *);
static int	 step_enter(struct txn *, const struct zes_store_result *);
static void	 par(struct txn *, int, const char *);
static enum zes_step next_sql(struct txn *, struct zes_store_stmt *, int,
		    const char *, ...) __attribute__((format(printf, 4, 5)));
static int	 run_named(struct zes_store *, const char *, const char *,
		    struct seen *);
static zes_store_step_fn rdw_step, rollback_step, fail_step, quota_step,
		    slow_step, self_abandon_step, commit_step, end_step,
		    term_step, named_step;

/* Query callback: copy what we need, the result is borrowed. */
static void
result_cb(const struct zes_store_result *r, void *arg)
{
	struct seen	*s = arg;

	s->called++;
	s->seq = ++seqno;
	s->status = r->status;
	memcpy(s->sqlstate, r->sqlstate, sizeof(s->sqlstate));
	s->value[0] = '\0';
	if (r->nres > 0 && PQntuples(r->res[0]) > 0 &&
	    PQnfields(r->res[0]) > 0)
		snprintf(s->value, sizeof(s->value), "%s",
		    PQgetvalue(r->res[0], 0, 0));
}

/* Run a query with at most one parameter and wait; 1 when it answered. */
static int
run_query(struct zes_store *store, const char *sql, const char *param,
    struct seen *s)
{
	const char	*p[1];

	memset(s, 0, sizeof(*s));
	p[0] = param;
	if (zes_store_query(store, sql, param != NULL ? 1 : 0,
	    param != NULL ? p : NULL, result_cb, s) == NULL)
		return 0;
	return wait_for(&s->called, 1, 10000);
}

/* Run the named statement "txn_count" (rows of `owner`) and wait. */
static int
run_named(struct zes_store *store, const char *sql, const char *owner,
    struct seen *s)
{
	const char	*p[1];

	memset(s, 0, sizeof(*s));
	p[0] = owner;
	if (zes_store_query_named(store, "txn_count", sql, 1, p, result_cb,
	    s) == NULL)
		return 0;
	return wait_for(&s->called, 1, 10000);
}

/* Rows of `table` (of `owner` unless NULL), seen from `store`; -1 on error. */
static int
count_rows(struct zes_store *store, const char *table, const char *owner)
{
	struct seen	s;
	char		sql[256];

	if (owner != NULL)
		snprintf(sql, sizeof(sql),
		    "SELECT count(*) FROM %s WHERE owner = $1", table);
	else
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	if (!run_query(store, sql, owner, &s) || s.status != ZES_STORE_OK)
		return -1;
	return atoi(s.value);
}

/* done callback of every transaction. */
static void
done_cb(const struct zes_store_result *r, void *arg)
{
	struct txn	*t = arg;

	t->done++;
	t->ended = 1;
	t->seq = ++seqno;
	t->status = r->status;
	t->nres = r->nres;
	memcpy(t->sqlstate, r->sqlstate, sizeof(t->sqlstate));
	snprintf(t->message, sizeof(t->message), "%s", r->message);
}

/* Submit a transaction with a fresh state (script parameters kept). */
static struct zes_store_job *
txn(struct zes_store *store, zes_store_step_fn *step, struct txn *t)
{
	struct txn	keep = *t;

	memset(t, 0, sizeof(*t));
	t->store = keep.store;
	t->inner = keep.inner;
	t->nolock = keep.nolock;
	t->who = keep.who;
	t->bad_named = keep.bad_named;
	t->job = zes_store_txn(store, step, done_cb, t);
	return t->job;
}

/*
 * Common start of a step: count the call, note calls that must not happen,
 * keep the first cell of the previous statement's result.  Returns the
 * call's index (0 after BEGIN).
 */
static int
step_enter(struct txn *t, const struct zes_store_result *prev)
{
	const PGresult	*res;
	int		 i = t->calls++;

	if (t->ended)
		t->late++;
	if (i == 0) {
		t->first_null = prev == NULL;
		return i;
	}
	if (prev == NULL || prev->status != ZES_STORE_OK || prev->nres != 1) {
		t->bad_prev++;
		return i;
	}
	res = prev->res[0];
	if (i - 1 < NVAL && PQntuples(res) > 0 && PQnfields(res) > 0)
		snprintf(t->val[i - 1], sizeof(t->val[i - 1]), "%s",
		    PQgetvalue(res, 0, 0));
	return i;
}

/* Set parameter k of the next statement (kept in t). */
static void
par(struct txn *t, int k, const char *v)
{
	snprintf(t->p[k], sizeof(t->p[k]), "%s", v);
	t->pp[k] = t->p[k];
}

/* Hand over the statement `fmt` (table names via %s) with n parameters. */
static enum zes_step
next_sql(struct txn *t, struct zes_store_stmt *next, int n, const char *fmt,
    ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(t->sql, sizeof(t->sql), fmt, ap);
	va_end(ap);
	next->sql = t->sql;
	next->nparams = n;
	next->params = n > 0 ? t->pp : NULL;
	return ZES_STEP_NEXT;
}

/*
 * Read, decide, write: count alice's rows; when she has none, give her
 * two; meanwhile queue a query on the same store, which must run after
 * COMMIT.
 */
static enum zes_step
rdw_step(const struct zes_store_result *prev, struct zes_store_stmt *next,
    void *arg)
{
	struct txn	*t = arg;
	char		 sql[128];

	switch (step_enter(t, prev)) {
	case 0:
		par(t, 0, "alice");
		return next_sql(t, next, 1,
		    "SELECT count(*) FROM %s WHERE owner = $1", t_items);
	case 1:
		if (strcmp(t->val[0], "0") != 0)
			return ZES_STEP_ROLLBACK;
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s "
		    "WHERE owner = 'alice'", t_items);
		memset(t->inner, 0, sizeof(*t->inner));
		if (zes_store_query(t->store, sql, 0, NULL, result_cb,
		    t->inner) == NULL)
			return ZES_STEP_ROLLBACK;
		par(t, 0, "1");
		par(t, 1, "alice");
		return next_sql(t, next, 2, "INSERT INTO %s (id, owner) "
		    "VALUES ($1, $2) RETURNING id * 10", t_items);
	case 2:
		par(t, 0, "2");
		par(t, 1, "alice");
		return next_sql(t, next, 2, "INSERT INTO %s (id, owner) "
		    "VALUES ($1, $2) RETURNING id * 10", t_items);
	default:
		return ZES_STEP_COMMIT;
	}
}

/* Two inserts, then the caller changes its mind. */
static enum zes_step
rollback_step(const struct zes_store_result *prev, struct zes_store_stmt *next,
    void *arg)
{
	struct txn	*t = arg;

	switch (step_enter(t, prev)) {
	case 0:
		par(t, 0, "10");
		par(t, 1, "bob");
		return next_sql(t, next, 2,
		    "INSERT INTO %s (id, owner) VALUES ($1, $2)", t_items);
	case 1:
		par(t, 0, "11");
		return next_sql(t, next, 2,
		    "INSERT INTO %s (id, owner) VALUES ($1, $2)", t_items);
	default:
		return ZES_STEP_ROLLBACK;
	}
}

/* An insert, then one that violates the primary key (id 1 is alice's). */
static enum zes_step
fail_step(const struct zes_store_result *prev, struct zes_store_stmt *next,
    void *arg)
{
	struct txn	*t = arg;

	par(t, 1, "carol");
	switch (step_enter(t, prev)) {
	case 0:
		par(t, 0, "20");
		return next_sql(t, next, 2,
		    "INSERT INTO %s (id, owner) VALUES ($1, $2)", t_items);
	case 1:
		par(t, 0, "1");
		return next_sql(t, next, 2,
		    "INSERT INTO %s (id, owner) VALUES ($1, $2)", t_items);
	case 2:
		par(t, 0, "21");
		return next_sql(t, next, 2,
		    "INSERT INTO %s (id, owner) VALUES ($1, $2)", t_items);
	default:
		return ZES_STEP_COMMIT;
	}
}

/*
 * Count, then insert while under the quota.  The advisory lock (unless
 * nolock) serialises the transactions of every connection; the short sleep
 * between count and insert widens the window a missing lock would leave.
 */
static enum zes_step
quota_step(const struct zes_store_result *prev, struct zes_store_stmt *next,
    void *arg)
{
	struct txn	*t = arg;

	switch (step_enter(t, prev)) {
	case 0:
		if (t->nolock)
			return next_sql(t, next, 0, "SELECT 'no lock'");
		par(t, 0, "72700");
		return next_sql(t, next, 1,
		    "SELECT pg_advisory_xact_lock($1::bigint)");
	case 1:
		return next_sql(t, next, 0, "SELECT count(*) FROM %s",
		    t_quota);
	case 2:
		return next_sql(t, next, 0, "SELECT pg_sleep(0.002)");
	case 3:
		if (atoi(t->val[1]) >= QUOTA)
			return ZES_STEP_ROLLBACK;
		par(t, 0, t->who);
		return next_sql(t, next, 1,
		    "INSERT INTO %s (who) VALUES ($1)", t_quota);
	default:
		return ZES_STEP_COMMIT;
	}
}

/*
 * An insert for t->who, then a slow statement (0.3 s, or 2 s with nolock),
 * then COMMIT.
 */
static enum zes_step
slow_step(const struct zes_store_result *prev, struct zes_store_stmt *next,
    void *arg)
{
	struct txn	*t = arg;

	switch (step_enter(t, prev)) {
	case 0:
		par(t, 0, "30");
		par(t, 1, t->who);
		return next_sql(t, next, 2, "INSERT INTO %s (id, owner) "
		    "VALUES ($1::int + length($2), $2)", t_items);
	case 1:
		t->slow_sent = 1;
		par(t, 0, t->nolock ? "2" : "0.3");
		return next_sql(t, next, 1, "SELECT pg_sleep($1::float8)");
	default:
		return ZES_STEP_COMMIT;
	}
}

/*
 * An insert, then the step abandons its own job and asks for nextval() of
 * a sequence, which a rollback would not undo: it must never run.
 */
static enum zes_step
self_abandon_step(const struct zes_store_result *prev,
    struct zes_store_stmt *next, void *arg)
{
	struct txn	*t = arg;

	par(t, 1, "erin");
	switch (step_enter(t, prev)) {
	case 0:
		par(t, 0, "31");
		return next_sql(t, next, 2,
		    "INSERT INTO %s (id, owner) VALUES ($1, $2)", t_items);
	case 1:
		zes_store_abandon(t->job);
		t->ended = 1;
		return next_sql(t, next, 0, "SELECT nextval('%s')", t_seq);
	default:
		return ZES_STEP_COMMIT;
	}
}

/* Nothing to do: commit at once. */
static enum zes_step
commit_step(const struct zes_store_result *prev, struct zes_store_stmt *next,
    void *arg)
{
	(void)next;
	step_enter(arg, prev);
	return ZES_STEP_COMMIT;
}

/* A step whose statement ends the transaction by itself. */
static enum zes_step
end_step(const struct zes_store_result *prev, struct zes_store_stmt *next,
    void *arg)
{
	struct txn	*t = arg;

	if (step_enter(t, prev) == 0)
		return next_sql(t, next, 0, "COMMIT");
	return ZES_STEP_COMMIT;
}

/*
 * Named statements in an interactive transaction: insert for t->who under
 * "txn_insert" (or, with bad_named, a statement the server refuses), count
 * under "txn_count", then roll back (nolock) or commit.
 */
static enum zes_step
named_step(const struct zes_store_result *prev, struct zes_store_stmt *next,
    void *arg)
{
	struct txn	*t = arg;

	switch (step_enter(t, prev)) {
	case 0:
		if (t->bad_named) {
			next_sql(t, next, 0, "SELEC 1 FROM %s", t_items);
			next->name = "txn_bad";
			return ZES_STEP_NEXT;
		}
		par(t, 0, t->nolock ? "60" : "61");
		par(t, 1, t->who);
		next_sql(t, next, 2, "INSERT INTO %s (id, owner) "
		    "VALUES ($1, $2) RETURNING id * 10", t_items);
		next->name = "txn_insert";
		return ZES_STEP_NEXT;
	case 1:
		par(t, 0, t->who);
		next_sql(t, next, 1, "SELECT count(*) FROM %s WHERE owner = $1",
		    t_items);
		next->name = "txn_count";
		return ZES_STEP_NEXT;
	default:
		return t->nolock ? ZES_STEP_ROLLBACK : ZES_STEP_COMMIT;
	}
}

/* Note the backend's pid, insert, then a long sleep to be killed in. */
static enum zes_step
term_step(const struct zes_store_result *prev, struct zes_store_stmt *next,
    void *arg)
{
	struct txn	*t = arg;

	switch (step_enter(t, prev)) {
	case 0:
		return next_sql(t, next, 0, "SELECT pg_backend_pid()");
	case 1:
		par(t, 0, "50");
		par(t, 1, "gina");
		return next_sql(t, next, 2,
		    "INSERT INTO %s (id, owner) VALUES ($1, $2)", t_items);
	case 2:
		t->slow_sent = 1;
		return next_sql(t, next, 0, "SELECT pg_sleep(3)");
	default:
		return ZES_STEP_COMMIT;
	}
}

int
main(int argc, char **argv)
{
	struct zes_store_opts	 o;
	struct zes_store	*db, *s1, *s2, *down;
	struct zes_store	*qs[2];
	struct zes_store_stats	 stats, stats2;
	struct states		 st, st1, st2, stdown;
	struct seen		 a, b;
	struct txn		 t, u;
	struct txn		*qt;
	struct event		*tick;
	struct timeval		 tv = { 0, 10000 };
	char			 sql[256], nsql[256];
	long			 t0;
	int			 i, k, nok, nrb, nother, ndone, late;

	if (argc != 2) {
		fprintf(stderr, "usage: %s conninfo\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	zes_log_init("store_txn", ZES_LOG_INFO, ZES_LOG_TEXT);
	base = event_base_new();
	tick = event_new(base, -1, EV_PERSIST, tick_cb, NULL);
	event_add(tick, &tv);
	snprintf(t_items, sizeof(t_items), "store_txn_items_%d", (int)getpid());
	snprintf(t_quota, sizeof(t_quota), "store_txn_quota_%d", (int)getpid());
	snprintf(t_seq, sizeof(t_seq), "store_txn_seq_%d", (int)getpid());
	qt = calloc(2 * QUOTA_TXNS, sizeof(*qt));
	if (qt == NULL)
		return 2;
	s1 = NULL;

	/* --- refused while not connected --- */
	opts_init(&o, "host=127.0.0.1 port=1 dbname=x", "txn/down", 500, 32);
	memset(&stdown, 0, sizeof(stdown));
	down = zes_store_new(base, &o, state_cb, &stdown);
	memset(&t, 0, sizeof(t));
	CHECK(txn(down, commit_step, &t) == NULL);
	loop_for(50);
	CHECK(t.calls == 0 && t.done == 0);
	zes_store_free(down);

	opts_init(&o, argv[1], "txn/main", 500, 32);
	db = connect_store(&o, &st);
	CHECK(db != NULL);
	if (db == NULL)
		goto out;
	opts_init(&o, argv[1], "txn/other", 500, 32);
	s1 = connect_store(&o, &st1);
	CHECK(s1 != NULL);
	if (s1 == NULL)
		goto out;
	snprintf(sql, sizeof(sql), "CREATE TABLE %s (id int PRIMARY KEY, "
	    "owner text NOT NULL)", t_items);
	CHECK(run_query(db, sql, NULL, &a) && a.status == ZES_STORE_OK);
	snprintf(sql, sizeof(sql), "CREATE TABLE %s (n serial PRIMARY KEY, "
	    "who text NOT NULL)", t_quota);
	CHECK(run_query(db, sql, NULL, &a) && a.status == ZES_STORE_OK);
	snprintf(sql, sizeof(sql), "CREATE SEQUENCE %s", t_seq);
	CHECK(run_query(db, sql, NULL, &a) && a.status == ZES_STORE_OK);

	/* --- an empty transaction: step once, COMMIT --- */
	memset(&t, 0, sizeof(t));
	CHECK(txn(db, commit_step, &t) != NULL);
	CHECK(t.calls == 0 && t.done == 0);	/* never synchronous */
	CHECK(wait_for(&t.done, 1, 5000));
	CHECK(t.status == ZES_STORE_OK && t.nres == 0);
	CHECK(t.calls == 1 && t.first_null == 1);
	CHECK(t.sqlstate[0] == '\0' && t.message[0] == '\0');

	/* --- read, decide, write: commits; a job queued by a step waits --- */
	memset(&t, 0, sizeof(t));
	t.store = db;
	t.inner = &b;
	CHECK(txn(db, rdw_step, &t) != NULL);
	CHECK(wait_for(&t.done, 1, 5000));
	CHECK(wait_for(&b.called, 1, 5000));
	loop_for(20);
	CHECK(t.done == 1 && t.status == ZES_STORE_OK);
	CHECK(t.calls == 4 && t.first_null == 1 && t.bad_prev == 0);
	CHECK(strcmp(t.val[0], "0") == 0);
	CHECK(strcmp(t.val[1], "10") == 0 && strcmp(t.val[2], "20") == 0);
	/* The step's query ran after COMMIT, and saw both rows. */
	CHECK(b.called == 1 && b.seq > t.seq);
	CHECK(b.status == ZES_STORE_OK && strcmp(b.value, "2") == 0);
	/* Committed: another connection sees them. */
	CHECK(count_rows(s1, t_items, "alice") == 2);

	/* --- the caller rolls back: nothing stays --- */
	zes_store_get_stats(db, &stats);
	memset(&t, 0, sizeof(t));
	CHECK(txn(db, rollback_step, &t) != NULL);
	CHECK(wait_for(&t.done, 1, 5000));
	loop_for(20);
	CHECK(t.done == 1 && t.status == ZES_STORE_ERROR);
	CHECK(t.sqlstate[0] == '\0');
	CHECK(strcmp(t.message, "rolled back by the caller") == 0);
	CHECK(t.calls == 3 && t.bad_prev == 0 && t.nres == 0);
	CHECK(count_rows(s1, t_items, "bob") == 0);
	CHECK(count_rows(db, t_items, "bob") == 0);
	zes_store_get_stats(db, &stats2);
	/* The caller's choice, not a database error. */
	CHECK(stats2.errors_total == stats.errors_total);

	/* --- a refused statement mid-way rolls everything back --- */
	memset(&t, 0, sizeof(t));
	CHECK(txn(db, fail_step, &t) != NULL);
	CHECK(wait_for(&t.done, 1, 5000));
	loop_for(20);
	CHECK(t.done == 1 && t.status == ZES_STORE_ERROR);
	CHECK(strcmp(t.sqlstate, "23505") == 0 && t.message[0] != '\0');
	/* step is not called after the error */
	CHECK(t.calls == 2 && t.late == 0);
	CHECK(count_rows(s1, t_items, "carol") == 0);
	CHECK(count_rows(db, t_items, NULL) == 2);
	zes_store_get_stats(db, &stats);
	CHECK(stats.errors_total == stats2.errors_total + 1);

	/* --- a statement that ends the transaction itself --- */
	memset(&t, 0, sizeof(t));
	CHECK(txn(db, end_step, &t) != NULL);
	CHECK(wait_for(&t.done, 1, 5000));
	CHECK(t.status == ZES_STORE_ERROR && t.sqlstate[0] == '\0');
	CHECK(t.calls == 1);
	CHECK(run_query(db, "SELECT 'usable'", NULL, &a));
	CHECK(a.status == ZES_STORE_OK && strcmp(a.value, "usable") == 0);

	/* --- named statements: prepared once per connection --- */
	snprintf(nsql, sizeof(nsql), "SELECT count(*) FROM %s WHERE owner = $1",
	    t_items);
	zes_store_get_stats(db, &stats);
	CHECK(run_named(db, nsql, "alice", &a));
	CHECK(a.status == ZES_STORE_OK && strcmp(a.value, "2") == 0);
	CHECK(run_named(db, nsql, "nobody", &a));
	CHECK(a.status == ZES_STORE_OK && strcmp(a.value, "0") == 0);
	CHECK(run_named(db, nsql, "alice", &a));
	CHECK(a.status == ZES_STORE_OK && strcmp(a.value, "2") == 0);
	zes_store_get_stats(db, &stats2);
	CHECK(stats2.prepares_total == stats.prepares_total + 1);
	CHECK(stats2.errors_total == stats.errors_total);
	/* The server knows it by that name: this session has it prepared. */
	CHECK(run_query(db, "SELECT count(*) FROM pg_prepared_statements "
	    "WHERE name = 'txn_count'", NULL, &a));
	CHECK(a.status == ZES_STORE_OK && strcmp(a.value, "1") == 0);
	CHECK(run_query(s1, "SELECT count(*) FROM pg_prepared_statements "
	    "WHERE name = 'txn_count'", NULL, &a));
	CHECK(a.status == ZES_STORE_OK && strcmp(a.value, "0") == 0);

	/* first used in an interactive transaction that rolls back: kept */
	memset(&t, 0, sizeof(t));
	t.who = "ivan";
	t.nolock = 1;
	CHECK(txn(db, named_step, &t) != NULL);
	CHECK(wait_for(&t.done, 1, 5000));
	CHECK(t.status == ZES_STORE_ERROR && t.calls == 3);
	CHECK(strcmp(t.message, "rolled back by the caller") == 0);
	CHECK(strcmp(t.val[0], "600") == 0 && strcmp(t.val[1], "1") == 0);
	CHECK(count_rows(s1, t_items, "ivan") == 0);
	zes_store_get_stats(db, &stats);
	CHECK(stats.prepares_total == stats2.prepares_total + 1);
	/* ... and used again, committing this time: no new prepare */
	memset(&t, 0, sizeof(t));
	t.who = "ivan";
	CHECK(txn(db, named_step, &t) != NULL);
	CHECK(wait_for(&t.done, 1, 5000));
	CHECK(t.status == ZES_STORE_OK && t.calls == 3);
	CHECK(strcmp(t.val[0], "610") == 0 && strcmp(t.val[1], "1") == 0);
	CHECK(count_rows(s1, t_items, "ivan") == 1);
	zes_store_get_stats(db, &stats2);
	CHECK(stats2.prepares_total == stats.prepares_total);
	CHECK(stats2.errors_total == stats.errors_total);

	/* in a plain transaction (zes_store_tx), next to an unnamed one */
	{
		const char	*pv[1] = { "ivan" };
		struct zes_store_stmt	 two[2];

		memset(two, 0, sizeof(two));
		two[0].sql = nsql;
		two[0].nparams = 1;
		two[0].params = pv;
		two[0].name = "txn_count";
		two[1].sql = "SELECT 'unnamed'";
		memset(&t, 0, sizeof(t));
		CHECK(zes_store_tx(db, two, 2, done_cb, &t) != NULL);
		CHECK(wait_for(&t.done, 1, 5000));
		CHECK(t.status == ZES_STORE_OK && t.nres == 2);
	}
	zes_store_get_stats(db, &stats);
	CHECK(stats.prepares_total == stats2.prepares_total);

	/* a statement the server refuses to prepare: an error, not fatal */
	for (k = 0; k < 2; k++) {
		memset(&t, 0, sizeof(t));
		t.bad_named = 1;
		CHECK(txn(db, named_step, &t) != NULL);
		CHECK(wait_for(&t.done, 1, 5000));
		CHECK(t.status == ZES_STORE_ERROR &&
		    strcmp(t.sqlstate, "42601") == 0 && t.calls == 1);
	}
	CHECK(run_named(db, nsql, "ivan", &a));
	CHECK(a.status == ZES_STORE_OK && strcmp(a.value, "1") == 0);
	zes_store_get_stats(db, &stats2);
	CHECK(stats2.prepares_total == stats.prepares_total);
	CHECK(stats2.errors_total == stats.errors_total + 2);

	/* DEALLOCATE behind the store's back: one 26000, then prepared again */
	CHECK(run_query(db, "DEALLOCATE ALL", NULL, &a));
	CHECK(a.status == ZES_STORE_OK);
	CHECK(run_named(db, nsql, "ivan", &a));
	CHECK(a.status == ZES_STORE_ERROR && strcmp(a.sqlstate, "26000") == 0);
	CHECK(run_named(db, nsql, "ivan", &a));
	CHECK(a.status == ZES_STORE_OK && strcmp(a.value, "1") == 0);
	zes_store_get_stats(db, &stats);
	CHECK(stats.prepares_total == stats2.prepares_total + 1);
	CHECK(stats.connected == 1 && stats.reconnects_total == 0);

	/* --- a quota across two connections, serialised by the lock --- */
	opts_init(&o, argv[1], "txn/quota", 500, 32);
	s2 = connect_store(&o, &st2);
	CHECK(s2 != NULL);
	if (s2 != NULL) {
		qs[0] = s1;
		qs[1] = s2;
		for (k = 0; k < 2; k++) {
			t0 = now_ms();
			for (i = 0; i < 2 * QUOTA_TXNS; i++) {
				qt[i].who = i % 2 == 0 ? "s1" : "s2";
				qt[i].nolock = k;
				qt[i].store = NULL;
				qt[i].inner = NULL;
				CHECK(txn(qs[i % 2], quota_step,
				    &qt[i]) != NULL);
			}
			for (i = 0; i < 2 * QUOTA_TXNS; i++)
				CHECK(wait_for(&qt[i].done, 1, 10000));
			loop_for(20);
			nok = nrb = nother = ndone = late = 0;
			for (i = 0; i < 2 * QUOTA_TXNS; i++) {
				ndone += qt[i].done;
				late += qt[i].late;
				if (qt[i].status == ZES_STORE_OK)
					nok++;
				else if (qt[i].status == ZES_STORE_ERROR &&
				    strcmp(qt[i].message,
				    "rolled back by the caller") == 0)
					nrb++;
				else
					nother++;
			}
			if (k == 0) {
				printf("info: locked quota run took %ld ms\n",
				    now_ms() - t0);
				CHECK(ndone == 2 * QUOTA_TXNS && late == 0);
				CHECK(nok == QUOTA);
				CHECK(nrb == 2 * QUOTA_TXNS - QUOTA);
				CHECK(nother == 0);
				CHECK(count_rows(db, t_quota, NULL) == QUOTA);
				snprintf(sql, sizeof(sql), "TRUNCATE %s",
				    t_quota);
				CHECK(run_query(db, sql, NULL, &a));
			} else {
				/*
				 * Without the lock the outcome is a race: only
				 * shown, to see that the test can tell.
				 */
				printf("info: without the lock: %d rows "
				    "committed for a quota of %d\n",
				    count_rows(db, t_quota, NULL), QUOTA);
			}
		}
		zes_store_get_stats(s2, &stats);
		CHECK(stats.errors_total == 0);
		zes_store_free(s2);
	}

	/* --- abandon mid-transaction; the job behind it runs --- */
	memset(&t, 0, sizeof(t));
	t.who = "dave";
	CHECK(txn(db, slow_step, &t) != NULL);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE owner = "
	    "'dave'", t_items);
	memset(&b, 0, sizeof(b));
	CHECK(zes_store_query(db, sql, 0, NULL, result_cb, &b) != NULL);
	CHECK(wait_for(&t.slow_sent, 1, 5000));
	zes_store_abandon(t.job);
	t.ended = 1;
	CHECK(wait_for(&b.called, 1, 5000));
	loop_for(100);
	CHECK(t.done == 0 && t.calls == 2 && t.late == 0);
	/* Rolled back in the same session, before the next job ran. */
	CHECK(b.status == ZES_STORE_OK && strcmp(b.value, "0") == 0);
	CHECK(count_rows(s1, t_items, "dave") == 0);

	/* abandoned while BEGIN is in flight: the step never runs */
	memset(&t, 0, sizeof(t));
	t.who = "dave";
	CHECK(txn(db, slow_step, &t) != NULL);
	zes_store_abandon(t.job);
	t.ended = 1;
	CHECK(run_query(db, "SELECT 'next'", NULL, &a));
	loop_for(50);
	CHECK(t.calls == 0 && t.done == 0);
	CHECK(a.status == ZES_STORE_OK && strcmp(a.value, "next") == 0);

	/* a step abandons its own job: its statement is not run */
	memset(&t, 0, sizeof(t));
	CHECK(txn(db, self_abandon_step, &t) != NULL);
	CHECK(wait_for(&t.calls, 2, 5000));
	CHECK(count_rows(db, t_items, "erin") == 0);
	loop_for(50);
	CHECK(t.calls == 2 && t.done == 0 && t.late == 0);
	CHECK(count_rows(s1, t_items, "erin") == 0);
	snprintf(sql, sizeof(sql), "SELECT is_called FROM %s", t_seq);
	CHECK(run_query(s1, sql, NULL, &a));
	CHECK(a.status == ZES_STORE_OK && strcmp(a.value, "f") == 0);
	zes_store_get_stats(db, &stats);
	CHECK(stats.connected == 1 && stats.reconnects_total == 0);

	/* --- statement timeout inside a transaction --- */
	zes_store_get_stats(db, &stats);
	memset(&t, 0, sizeof(t));
	t.who = "frank";
	t.nolock = 1;		/* slow_step: pg_sleep(2), beyond 500 ms */
	t0 = now_ms();
	CHECK(txn(db, slow_step, &t) != NULL);
	CHECK(wait_for(&t.done, 1, 5000));
	loop_for(20);
	CHECK(t.done == 1 && t.status == ZES_STORE_TIMEOUT);
	CHECK(strcmp(t.sqlstate, "57014") == 0);
	CHECK(t.calls == 2 && t.late == 0);
	CHECK(now_ms() - t0 < 1500);
	CHECK(run_query(db, "SELECT 'after timeout'", NULL, &a));
	CHECK(a.status == ZES_STORE_OK &&
	    strcmp(a.value, "after timeout") == 0);
	CHECK(count_rows(s1, t_items, "frank") == 0);
	zes_store_get_stats(db, &stats2);
	CHECK(stats2.errors_total == stats.errors_total + 1);
	CHECK(stats2.reconnects_total == 0 && st.downs == 0);

	/* --- the backend is terminated mid-transaction --- */
	opts_init(&o, argv[1], "txn/term", 500, 32);
	o.statement_timeout_ms = 5000;
	s2 = connect_store(&o, &st2);
	CHECK(s2 != NULL);
	if (s2 != NULL) {
		CHECK(run_named(s2, nsql, "ivan", &a));
		CHECK(a.status == ZES_STORE_OK && strcmp(a.value, "1") == 0);
		memset(&t, 0, sizeof(t));
		CHECK(txn(s2, term_step, &t) != NULL);
		memset(&u, 0, sizeof(u));
		CHECK(txn(s2, commit_step, &u) != NULL);	/* queued */
		CHECK(wait_for(&t.slow_sent, 1, 5000));
		loop_for(50);
		CHECK(run_query(db, "SELECT pg_terminate_backend($1::int)",
		    t.val[0], &a));
		CHECK(a.status == ZES_STORE_OK && strcmp(a.value, "t") == 0);
		CHECK(wait_for(&t.done, 1, 5000));
		CHECK(wait_for(&u.done, 1, 5000));
		CHECK(t.status == ZES_STORE_UNAVAILABLE);
		CHECK(t.calls == 3 && t.late == 0);
		CHECK(u.status == ZES_STORE_UNAVAILABLE && u.calls == 0);
		CHECK(wait_for(&st2.downs, 1, 1000));
		CHECK(wait_for(&st2.ups, 2, 5000));
		CHECK(count_rows(s2, t_items, "gina") == 0);
		/* Named: prepared before, forgotten with the session, again now. */
		CHECK(run_named(s2, nsql, "ivan", &a));
		CHECK(a.status == ZES_STORE_OK && strcmp(a.value, "1") == 0);
		zes_store_get_stats(s2, &stats);
		CHECK(stats.prepares_total == 2);
		memset(&u, 0, sizeof(u));
		CHECK(txn(s2, commit_step, &u) != NULL);
		CHECK(wait_for(&u.done, 1, 5000));
		CHECK(u.status == ZES_STORE_OK && u.calls == 1);
		zes_store_get_stats(s2, &stats);
		CHECK(stats.reconnects_total == 1 && stats.connected == 1);
		loop_for(20);
		CHECK(t.done == 1);
		zes_store_free(s2);
	}

	/* --- free with a transaction in flight --- */
	opts_init(&o, argv[1], "txn/free", 500, 32);
	s2 = connect_store(&o, &st2);
	CHECK(s2 != NULL);
	if (s2 != NULL) {
		memset(&t, 0, sizeof(t));
		t.who = "hank";
		CHECK(txn(s2, slow_step, &t) != NULL);
		CHECK(wait_for(&t.slow_sent, 1, 5000));
		zes_store_free(s2);
		CHECK(t.done == 1 && t.status == ZES_STORE_UNAVAILABLE);
		loop_for(400);
		CHECK(t.done == 1 && t.calls == 2 && t.late == 0);
		CHECK(count_rows(db, t_items, "hank") == 0);
	}

out:
	if (db != NULL) {
		snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS %s, %s",
		    t_items, t_quota);
		CHECK(run_query(db, sql, NULL, &a) && a.status == ZES_STORE_OK);
		snprintf(sql, sizeof(sql), "DROP SEQUENCE IF EXISTS %s", t_seq);
		CHECK(run_query(db, sql, NULL, &a) && a.status == ZES_STORE_OK);
		zes_store_free(db);
	}
	if (s1 != NULL)
		zes_store_free(s1);
	free(qt);
	event_free(tick);
	event_base_free(base);
	libevent_global_shutdown();
	printf("%d passed, %d failed\n", npass, nfail);
	return nfail == 0 ? 0 : 1;
}
