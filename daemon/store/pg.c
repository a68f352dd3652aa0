/*
 * One non-blocking libpq connection per store, driven as a state machine on a
 * worker's event_base: connect, run jobs (queries and transactions) one at a
 * time, prepare named statements once per connection, and reconnect with
 * backoff.  Never calls a blocking libpq function.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <libpq-fe.h>

#include "zes/log.h"
#include "zes/store.h"
#include "zes/xmalloc.h"

#define PG_MOD			"store"
/* Grace beyond statement_timeout before a silent server counts as gone. */
#define PG_NO_ANSWER_GRACE_MS	2000u
/* Parameters per statement: the protocol's limit (a 16-bit count). */
#define PG_MAX_PARAMS		65535

/*
 * Connection states.  Jobs are accepted only in IDLE and BUSY; BUSY means a
 * job is in flight (store->cur != NULL).
 */
enum pg_state {
	PG_DOWN = 0,		/* no connection and none planned (freeing) */
	PG_CONNECTING,		/* PQconnectPoll steps, connect timer armed */
	PG_IDLE,		/* connected, nothing in flight, queue empty */
	PG_BUSY,		/* connected, store->cur in flight */
	PG_BACKOFF,		/* waiting for the reconnect timer */
};

/* Where a job is; it is on exactly one list or is store->cur. */
enum pg_where {
	PG_JOB_QUEUED = 0,	/* on store->queue */
	PG_JOB_INFLIGHT,	/* store->cur */
	PG_JOB_DONE,		/* on store->done, callback pending */
	PG_JOB_REPORTING,	/* off every list, its callback is running */
};

/* One statement, owned by its job. */
struct pg_stmt {
	char		 *sql;
	int		  nparams;
	char		**params;	/* nparams entries, NULL for SQL NULL */
	char		 *name;		/* prepared statement, or NULL */
};

/* A statement the connection has prepared: its name and its SQL. */
struct pg_prepared {
	char		*name;
	char		*sql;
};

/*
 * The steps of an interactive transaction (job->step_fn != NULL); its one
 * statement slot, txn_stmt, holds a copy of the statement the caller's step
 * function returned last.
 */
#define PG_TXN_BEGIN		0
#define PG_TXN_STMT		1
#define PG_TXN_COMMIT		2

struct zes_store_job {
	TAILQ_ENTRY(zes_store_job) entry;
	struct zes_store	*store;
	enum pg_where		 where;
	int			 is_tx;		/* BEGIN, stmts, COMMIT (or a txn) */
	int			 nstmts;	/* 0 for an interactive transaction */
	struct pg_stmt		*stmts;
	PGresult		**res;		/* nstmts results, set on success */

	/* Interactive transaction only (zes_store_txn). */
	zes_store_step_fn	*step_fn;
	struct pg_stmt		 txn_stmt;	/* the statement of PG_TXN_STMT */

	/*
	 * Step being run: a plain query has one (0); a transaction has BEGIN
	 * (0), the statements (1..nstmts) and COMMIT (nstmts + 1); an
	 * interactive one PG_TXN_BEGIN, PG_TXN_STMT (as often as the caller
	 * wants) and PG_TXN_COMMIT.  When rolling_back, the step on the wire
	 * is ROLLBACK.
	 */
	int			 step;
	int			 rolling_back;
	int			 preparing;	/* on the wire: the step's Parse */
	int			 step_failed;	/* this step got an error */
	PGresult		*step_res;	/* its first good result */

	enum zes_store_status	 status;
	char			 sqlstate[6];
	char			*message;	/* NULL when none */
	int			 by_caller;	/* ended by the caller: not an error */

	zes_store_cb		*cb;
	void			*arg;
	int			 abandoned;	/* no callback: just free */
};
TAILQ_HEAD(pg_jobs, zes_store_job);

struct zes_store {
	struct event_base	*base;
	enum pg_state		 state;
	PGconn			*conn;

	/* Options, copied. */
	char			*conninfo;
	char			*application_name; /* NULL when none */
	char			*options;	/* libpq "options" or NULL */
	unsigned		 statement_timeout_ms;
	unsigned		 connect_timeout_ms;
	unsigned		 queue_max;
	unsigned		 backoff_min_ms;
	unsigned		 backoff_max_ms;
	unsigned		 backoff_ms;	/* next delay, before jitter */

	struct event		*sock_ev;	/* on PQsocket(), recreated */
	short			 sock_what;	/* events sock_ev waits for */
	int			 flushing;	/* PQflush said 1: output left */
	size_t			 err_seen;	/* PQerrorMessage bytes reported */
	struct event		*connect_ev;	/* connect_timeout_ms timer */
	struct event		*reconnect_ev;	/* backoff timer */
	struct event		*job_ev;	/* no-answer timer of a step */
	struct event		*deliver_ev;	/* runs callbacks from the loop */

	/* Named statements prepared on this connection (few: a list). */
	struct pg_prepared	*prepared;
	size_t			 nprepared, prepared_cap;

	struct zes_store_job	*cur;		/* in flight, or NULL */
	struct pg_jobs		 queue;		/* waiting, in submission order */
	unsigned		 nqueue;	/* length of queue */
	struct pg_jobs		 done;		/* finished, callback pending */

	void			(*state_cb)(struct zes_store *, int, void *);
	void			*state_arg;
	int			 up;		/* 1 while IDLE or BUSY */
	int			 up_reported;	/* last value given to state_cb */
	int			 ever_connected;
	unsigned		 fail_streak;	/* failed connects in a row */

	int			 delivering;	/* inside pg_deliver_cb */
	int			 stepping;	/* inside a job's step_fn */
	int			 closing;	/* zes_store_free was called */

	uint64_t		 jobs_total;
	uint64_t		 errors_total;
	uint64_t		 reconnects_total;
	uint64_t		 prepares_total;
};

static const char	*pg_state_name(enum pg_state);
static const char	*pg_app(const struct zes_store *);
static void		 pg_set_state(struct zes_store *, enum pg_state);
static char		*pg_strdup_trim(const char *);
static int		 pg_sqlstate_broken(const char *);
static void		 pg_ms_to_tv(unsigned, struct timeval *);
static void		 pg_build_options(struct zes_store *);

static void		 pg_connect_start(struct zes_store *);
static void		 pg_connect_wait(struct zes_store *, short);
static void		 pg_connect_cb(evutil_socket_t, short, void *);
static void		 pg_connect_ok(struct zes_store *);
static void		 pg_connect_failed(struct zes_store *, const char *);
static void		 pg_connect_timeout_cb(evutil_socket_t, short, void *);
static void		 pg_reconnect_cb(evutil_socket_t, short, void *);
static void		 pg_schedule_reconnect(struct zes_store *);
static void		 pg_conn_close(struct zes_store *);
static void		 pg_conn_lost(struct zes_store *, enum zes_store_status,
			    const char *, const char *);
static const char	*pg_conn_error(struct zes_store *);
static void		 pg_notice_cb(void *, const char *);

static void		 pg_sock_watch(struct zes_store *, int);
static void		 pg_sock_cb(evutil_socket_t, short, void *);
static void		 pg_drain_notifies(struct zes_store *);
static void		 pg_run(struct zes_store *);
static void		 pg_step_sql(const struct zes_store_job *, const char **,
			    int *, const char *const **, const char **);
static struct pg_prepared *pg_prepared_find(struct zes_store *, const char *);
static void		 pg_prepared_add(struct zes_store *, const char *,
			    const char *);
static void		 pg_prepared_forget(struct zes_store *, const char *);
static void		 pg_prepared_clear(struct zes_store *);
static int		 pg_step_user(const struct zes_store_job *);
static void		 pg_step_send(struct zes_store *);
static void		 pg_step_result(struct zes_store *, PGresult *);
static void		 pg_step_done(struct zes_store *);
static void		 pg_txn_advance(struct zes_store *);
static void		 pg_txn_rollback(struct zes_store *, const char *);
static void		 pg_job_timeout_cb(evutil_socket_t, short, void *);
static void		 pg_job_fail(struct zes_store_job *, enum zes_store_status,
			    const char *, const char *);
static void		 pg_job_finish(struct zes_store *);
static void		 pg_job_complete(struct zes_store *, struct zes_store_job *);

static int		 pg_stmt_valid(const struct zes_store_stmt *);
static void		 pg_stmt_copy(struct pg_stmt *,
			    const struct zes_store_stmt *);
static void		 pg_stmt_clear(struct pg_stmt *);
static struct zes_store_job *pg_job_new(struct zes_store *, int,
			    const struct zes_store_stmt *, int,
			    zes_store_step_fn *, zes_store_cb *, void *);
static struct zes_store_job *pg_submit(struct zes_store *, int,
			    const struct zes_store_stmt *, int,
			    zes_store_step_fn *, zes_store_cb *, void *);
static void		 pg_job_free(struct zes_store_job *);
static void		 pg_job_report(struct zes_store_job *);
static void		 pg_notify(struct zes_store *);
static void		 pg_deliver_cb(evutil_socket_t, short, void *);
static void		 pg_deliver_all(struct zes_store *);
static void		 pg_store_destroy(struct zes_store *);

/* Name of a state, for debug logs. */
static const char *
pg_state_name(enum pg_state s)
{
	switch (s) {
	case PG_DOWN:
		return "down";
	case PG_CONNECTING:
		return "connecting";
	case PG_IDLE:
		return "idle";
	case PG_BUSY:
		return "busy";
	case PG_BACKOFF:
		return "backoff";
	}
	return "?";
}

/* application_name for log lines, "" when none. */
static const char *
pg_app(const struct zes_store *store)
{
	return store->application_name != NULL ? store->application_name : "";
}

/* The one place the connection state changes. */
static void
pg_set_state(struct zes_store *store, enum pg_state s)
{
	if (store->state == s)
		return;
	/* IDLE <-> BUSY happens per job: too chatty even for debug. */
	if (!((store->state == PG_IDLE && s == PG_BUSY) ||
	    (store->state == PG_BUSY && s == PG_IDLE)))
		zes_log_debug(PG_MOD, "db_state", "from=%s to=%s",
		    pg_state_name(store->state), pg_state_name(s));
	store->state = s;
}

/* Copy a libpq message without its trailing newline(s). */
static char *
pg_strdup_trim(const char *s)
{
	char	*d;
	size_t	 n;

	d = xstrdup(s != NULL ? s : "");
	n = strlen(d);
	while (n > 0 && (d[n - 1] == '\n' || d[n - 1] == '\r' ||
	    d[n - 1] == ' ' || d[n - 1] == '\t'))
		d[--n] = '\0';
	return d;
}

/* 1 when a SQLSTATE says the session is gone (class 08, 57P01..57P03). */
static int
pg_sqlstate_broken(const char *s)
{
	return strncmp(s, "08", 2) == 0 || strcmp(s, "57P01") == 0 ||
	    strcmp(s, "57P02") == 0 || strcmp(s, "57P03") == 0;
}

/* Milliseconds to a timeval. */
static void
pg_ms_to_tv(unsigned ms, struct timeval *tv)
{
	tv->tv_sec = ms / 1000;
	tv->tv_usec = (ms % 1000) * 1000;
}

/*
 * Build the libpq "options" value: the conninfo's own options, if any, then
 * statement_timeout, so the server applies it without an extra round trip.
 */
static void
pg_build_options(struct zes_store *store)
{
	PQconninfoOption	*co, *o;
	const char		*orig = NULL;
	char			*err = NULL;

	/* Pure parsing: no connection, no DNS.  A plain dbname fails: fine. */
	co = PQconninfoParse(store->conninfo, &err);
	if (err != NULL)
		PQfreemem(err);
	if (co != NULL) {
		for (o = co; o->keyword != NULL; o++) {
			if (strcmp(o->keyword, "options") == 0 &&
			    o->val != NULL && *o->val != '\0')
				orig = o->val;
		}
	}
	if (store->statement_timeout_ms > 0) {
		if (xasprintf(&store->options, "%s%s-c statement_timeout=%u",
		    orig != NULL ? orig : "", orig != NULL ? " " : "",
		    store->statement_timeout_ms) < 0)
			zes_fatalx("%s: xasprintf failed", __func__);
	} else if (orig != NULL)
		store->options = xstrdup(orig);
	if (co != NULL)
		PQconninfoFree(co);
}

/* Start a connection attempt (DOWN or BACKOFF -> CONNECTING). */
static void
pg_connect_start(struct zes_store *store)
{
	const char	*kw[4], *val[4];
	struct timeval	 tv;
	int		 n = 0;

	pg_set_state(store, PG_CONNECTING);

	/*
	 * dbname comes first so that the later keywords override what the
	 * expanded conninfo says.
	 */
	kw[n] = "dbname";
	val[n++] = store->conninfo;
	if (store->application_name != NULL) {
		kw[n] = "application_name";
		val[n++] = store->application_name;
	}
	if (store->options != NULL) {
		kw[n] = "options";
		val[n++] = store->options;
	}
	kw[n] = NULL;
	val[n] = NULL;

	store->conn = PQconnectStartParams(kw, val, 1);
	if (store->conn == NULL) {
		pg_connect_failed(store, "out of memory");
		return;
	}
	/* Route notices from the start, the startup phase included. */
	PQsetNoticeProcessor(store->conn, pg_notice_cb, store);
	if (PQstatus(store->conn) == CONNECTION_BAD) {
		pg_connect_failed(store, PQerrorMessage(store->conn));
		return;
	}
	/* libpq ignores connect_timeout while polling: our own timer. */
	if (store->connect_timeout_ms > 0) {
		pg_ms_to_tv(store->connect_timeout_ms, &tv);
		evtimer_add(store->connect_ev, &tv);
	}
	/* Before the first PQconnectPoll, act as if it said WRITING. */
	pg_connect_wait(store, EV_WRITE);
}

/*
 * Wait for `what` on the connection's current socket.  The socket can change
 * between PQconnectPoll steps, so the event is recreated every time.
 */
static void
pg_connect_wait(struct zes_store *store, short what)
{
	int	fd;

	if (store->sock_ev != NULL) {
		event_free(store->sock_ev);
		store->sock_ev = NULL;
	}
	fd = PQsocket(store->conn);
	if (fd < 0) {
		pg_connect_failed(store, "no socket");
		return;
	}
	store->sock_ev = event_new(store->base, fd, what, pg_connect_cb, store);
	if (store->sock_ev == NULL)
		zes_fatalx("%s: event_new failed", __func__);
	store->sock_what = what;
	event_add(store->sock_ev, NULL);
}

/* Socket ready while connecting: one PQconnectPoll step. */
static void
pg_connect_cb(evutil_socket_t fd, short what, void *arg)
{
	struct zes_store	*store = arg;

	(void)fd;
	(void)what;
	switch (PQconnectPoll(store->conn)) {
	case PGRES_POLLING_READING:
		pg_connect_wait(store, EV_READ);
		break;
	case PGRES_POLLING_WRITING:
		pg_connect_wait(store, EV_WRITE);
		break;
	case PGRES_POLLING_OK:
		pg_connect_ok(store);
		break;
	case PGRES_POLLING_FAILED:
	default:
		pg_connect_failed(store, PQerrorMessage(store->conn));
		break;
	}
}

/* The connection is up: CONNECTING -> IDLE. */
static void
pg_connect_ok(struct zes_store *store)
{
	evtimer_del(store->connect_ev);
	if (PQsetnonblocking(store->conn, 1) != 0) {
		pg_connect_failed(store, PQerrorMessage(store->conn));
		return;
	}
	PQsetNoticeProcessor(store->conn, pg_notice_cb, store);
	if (store->sock_ev != NULL) {
		event_free(store->sock_ev);
		store->sock_ev = NULL;
	}
	store->sock_what = 0;
	store->flushing = 0;
	store->err_seen = strlen(PQerrorMessage(store->conn));

	zes_log_info(PG_MOD, "db_connected",
	    "app=%s server_version=%d backend_pid=%d reconnect=%d",
	    pg_app(store), PQserverVersion(store->conn),
	    PQbackendPID(store->conn), store->ever_connected);
	if (store->ever_connected)
		store->reconnects_total++;
	store->ever_connected = 1;
	store->fail_streak = 0;
	store->backoff_ms = store->backoff_min_ms;
	store->up = 1;
	pg_set_state(store, PG_IDLE);
	/* Read even when idle, to see the server go away at once. */
	pg_sock_watch(store, 0);
	pg_notify(store);
}

/*
 * A connection attempt failed: close it and plan the next one.  The first
 * failure of a series is a warning, the rest are debug (one per backoff).
 */
static void
pg_connect_failed(struct zes_store *store, const char *reason)
{
	char	*why, q[600];

	why = pg_strdup_trim(reason);
	zes_log_quote(q, sizeof(q), why, 500);
	if (store->fail_streak++ == 0)
		zes_log_warn(PG_MOD, "db_connect_failed", "app=%s reason=%s",
		    pg_app(store), q);
	else
		zes_log_debug(PG_MOD, "db_connect_failed", "app=%s reason=%s",
		    pg_app(store), q);
	free(why);
	pg_conn_close(store);
	pg_schedule_reconnect(store);
}

/* Our connect timer fired before PQconnectPoll finished. */
static void
pg_connect_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct zes_store	*store = arg;
	char			 reason[64];

	(void)fd;
	(void)what;
	if (store->state != PG_CONNECTING)
		return;
	(void)snprintf(reason, sizeof(reason), "connect timeout after %u ms",
	    store->connect_timeout_ms);
	pg_connect_failed(store, reason);
}

/* Backoff over: try again. */
static void
pg_reconnect_cb(evutil_socket_t fd, short what, void *arg)
{
	struct zes_store	*store = arg;

	(void)fd;
	(void)what;
	if (store->state == PG_BACKOFF)
		pg_connect_start(store);
}

/*
 * Arm the reconnect timer: the current delay with +-25% jitter (so workers
 * do not reconnect in step), then double the delay up to backoff_max_ms.
 */
static void
pg_schedule_reconnect(struct zes_store *store)
{
	struct timeval	tv;
	uint64_t	delay;
	unsigned	next;

	pg_set_state(store, PG_BACKOFF);
	delay = store->backoff_ms;
	/* delay * [75, 125] / 100 */
	delay = delay * (75 + arc4random_uniform(51)) / 100;
	zes_log_debug(PG_MOD, "db_reconnect_scheduled", "app=%s delay_ms=%u",
	    pg_app(store), (unsigned)delay);
	pg_ms_to_tv((unsigned)delay, &tv);
	evtimer_add(store->reconnect_ev, &tv);

	next = store->backoff_ms > store->backoff_max_ms / 2 ?
	    store->backoff_max_ms : store->backoff_ms * 2;
	if (next < store->backoff_min_ms)
		next = store->backoff_min_ms;
	store->backoff_ms = next;
}

/* Drop the connection and its socket event and timers (not the jobs). */
static void
pg_conn_close(struct zes_store *store)
{
	if (store->sock_ev != NULL) {
		event_free(store->sock_ev);
		store->sock_ev = NULL;
	}
	store->sock_what = 0;
	store->flushing = 0;
	store->err_seen = 0;
	evtimer_del(store->job_ev);
	evtimer_del(store->connect_ev);
	if (store->conn != NULL) {
		PQfinish(store->conn);
		store->conn = NULL;
	}
	/* Prepared statements live in the server's session: gone with it. */
	pg_prepared_clear(store);
}

/*
 * An established connection broke: close it, finish the job in flight with
 * `status` (and `sqlstate`, if the server sent one) and the queued ones with
 * UNAVAILABLE, tell state_cb (from the loop), and plan a reconnect.
 */
static void
pg_conn_lost(struct zes_store *store, enum zes_store_status status,
    const char *sqlstate, const char *reason)
{
	struct zes_store_job	*job;
	char			*why, ss[6], q[600];

	if (store->conn == NULL)
		return;
	/*
	 * reason may point into the PGconn and sqlstate into the job: copy
	 * both before PQfinish and before the job is rewritten.
	 */
	why = pg_strdup_trim(reason);
	(void)snprintf(ss, sizeof(ss), "%s", sqlstate != NULL ? sqlstate : "");
	zes_log_warn(PG_MOD, "db_lost", "app=%s reason=%s", pg_app(store),
	    zes_log_quote(q, sizeof(q), why, 500));
	pg_conn_close(store);
	store->up = 0;

	if ((job = store->cur) != NULL) {
		store->cur = NULL;
		pg_job_fail(job, status, ss, why);
		pg_job_complete(store, job);
	}
	while ((job = TAILQ_FIRST(&store->queue)) != NULL) {
		TAILQ_REMOVE(&store->queue, job, entry);
		store->nqueue--;
		pg_job_fail(job, ZES_STORE_UNAVAILABLE, "", why);
		pg_job_complete(store, job);
	}
	free(why);
	pg_notify(store);
	pg_schedule_reconnect(store);
}

/*
 * The connection's error text that no statement has reported yet.  Since
 * libpq 14, PQerrorMessage accumulates the messages of failed statements,
 * which may quote parameter values (plates): those must not reach the log
 * line of a lost connection.
 */
static const char *
pg_conn_error(struct zes_store *store)
{
	const char	*m;

	m = PQerrorMessage(store->conn);
	if (strlen(m) >= store->err_seen)
		m += store->err_seen;
	return *m != '\0' ? m : "connection lost";
}

/* libpq notice processor: notices go to the debug log. */
static void
pg_notice_cb(void *arg, const char *message)
{
	struct zes_store	*store = arg;
	char			*msg, q[600];

	if (!zes_log_enabled(ZES_LOG_DEBUG))
		return;
	msg = pg_strdup_trim(message);
	zes_log_debug(PG_MOD, "db_notice", "app=%s message=%s", pg_app(store),
	    zes_log_quote(q, sizeof(q), msg, 500));
	free(msg);
}

/*
 * Connected: wait for readable always, and also for writable while output
 * is pending (`want_write`).  The event is only recreated when that changes.
 */
static void
pg_sock_watch(struct zes_store *store, int want_write)
{
	short	what;

	what = EV_READ | EV_PERSIST;
	if (want_write)
		what |= EV_WRITE;
	if (store->sock_ev != NULL && store->sock_what == what)
		return;
	if (store->sock_ev != NULL)
		event_free(store->sock_ev);
	store->sock_ev = event_new(store->base, PQsocket(store->conn), what,
	    pg_sock_cb, store);
	if (store->sock_ev == NULL)
		zes_fatalx("%s: event_new failed", __func__);
	store->sock_what = what;
	event_add(store->sock_ev, NULL);
}

/* Socket ready while connected: read, flush, collect results, run the queue. */
static void
pg_sock_cb(evutil_socket_t fd, short what, void *arg)
{
	struct zes_store	*store = arg;
	int			 r;

	(void)fd;
	if (what & EV_READ) {
		if (PQconsumeInput(store->conn) == 0) {
			pg_conn_lost(store, ZES_STORE_UNAVAILABLE, "",
			    pg_conn_error(store));
			return;
		}
		pg_drain_notifies(store);
	}
	if (store->flushing) {
		/* On readable too: the server may wait for us to read first. */
		r = PQflush(store->conn);
		if (r < 0) {
			pg_conn_lost(store, ZES_STORE_UNAVAILABLE, "",
			    pg_conn_error(store));
			return;
		}
		if (r == 0) {
			store->flushing = 0;
			pg_sock_watch(store, 0);
		}
	}
	if (PQstatus(store->conn) == CONNECTION_BAD) {
		pg_conn_lost(store, ZES_STORE_UNAVAILABLE, "",
		    pg_conn_error(store));
		return;
	}
	pg_run(store);
}

/* Free the notifications libpq has collected; nobody here listens yet. */
static void
pg_drain_notifies(struct zes_store *store)
{
	PGnotify	*n;

	while ((n = PQnotifies(store->conn)) != NULL)
		PQfreemem(n);
}

/*
 * Drive the jobs as far as possible without waiting: collect the results of
 * the step in flight, send the next step or job.  Loops instead of recursing
 * so a queue of jobs that fail at once cannot deepen the stack.
 */
static void
pg_run(struct zes_store *store)
{
	struct zes_store_job	*job;
	PGresult		*res;

	for (;;) {
		if (store->state != PG_IDLE && store->state != PG_BUSY)
			return;
		if (store->cur == NULL) {
			if ((job = TAILQ_FIRST(&store->queue)) == NULL) {
				pg_set_state(store, PG_IDLE);
				return;
			}
			TAILQ_REMOVE(&store->queue, job, entry);
			store->nqueue--;
			job->where = PG_JOB_INFLIGHT;
			store->cur = job;
			pg_set_state(store, PG_BUSY);
			pg_step_send(store);
			continue;
		}
		if (store->flushing || PQisBusy(store->conn))
			return;
		if ((res = PQgetResult(store->conn)) == NULL)
			pg_step_done(store);
		else
			pg_step_result(store, res);
	}
}

/* The SQL, parameters and statement name (or NULL) of the job's step. */
static void
pg_step_sql(const struct zes_store_job *job, const char **sql, int *nparams,
    const char *const **params, const char **name)
{
	int	i;

	*nparams = 0;
	*params = NULL;
	*name = NULL;
	if (job->rolling_back) {
		*sql = "ROLLBACK";
		return;
	}
	if (job->step_fn != NULL) {
		switch (job->step) {
		case PG_TXN_BEGIN:
			*sql = "BEGIN";
			return;
		case PG_TXN_STMT:
			*sql = job->txn_stmt.sql;
			*nparams = job->txn_stmt.nparams;
			*params = (const char *const *)job->txn_stmt.params;
			*name = job->txn_stmt.name;
			return;
		case PG_TXN_COMMIT:
			*sql = "COMMIT";
			return;
		}
		zes_fatalx("%s: transaction at step %d", __func__, job->step);
	}
	if ((i = pg_step_user(job)) < 0) {
		*sql = job->step == 0 ? "BEGIN" : "COMMIT";
		return;
	}
	*sql = job->stmts[i].sql;
	*nparams = job->stmts[i].nparams;
	*params = (const char *const *)job->stmts[i].params;
	*name = job->stmts[i].name;
}

/* The connection's prepared statement of that name, or NULL. */
static struct pg_prepared *
pg_prepared_find(struct zes_store *store, const char *name)
{
	size_t	i;

	for (i = 0; i < store->nprepared; i++)
		if (strcmp(store->prepared[i].name, name) == 0)
			return &store->prepared[i];
	return NULL;
}

/* The server prepared `sql` as `name` on this connection. */
static void
pg_prepared_add(struct zes_store *store, const char *name, const char *sql)
{
	struct pg_prepared	*p;

	if (store->nprepared == store->prepared_cap) {
		store->prepared_cap = store->prepared_cap > 0 ?
		    store->prepared_cap * 2 : 16;
		store->prepared = xrealloc(store->prepared,
		    store->prepared_cap * sizeof(*store->prepared));
	}
	p = &store->prepared[store->nprepared++];
	p->name = xstrdup(name);
	p->sql = xstrdup(sql);
	store->prepares_total++;
}

/*
 * The server says it does not know `name` (SQLSTATE 26000: a DISCARD ALL,
 * or a pooler between us and the server): prepare it again next time.
 */
static void
pg_prepared_forget(struct zes_store *store, const char *name)
{
	struct pg_prepared	*p;

	if ((p = pg_prepared_find(store, name)) == NULL)
		return;
	free(p->name);
	free(p->sql);
	*p = store->prepared[--store->nprepared];
}

/* Forget every prepared statement (the session ended). */
static void
pg_prepared_clear(struct zes_store *store)
{
	size_t	i;

	for (i = 0; i < store->nprepared; i++) {
		free(store->prepared[i].name);
		free(store->prepared[i].sql);
	}
	free(store->prepared);
	store->prepared = NULL;
	store->nprepared = store->prepared_cap = 0;
}

/*
 * Index of the caller's statement at the current step in job->stmts, or -1
 * (BEGIN etc., and every step of an interactive transaction).
 */
static int
pg_step_user(const struct zes_store_job *job)
{
	if (job->rolling_back || job->step_fn != NULL)
		return -1;
	if (!job->is_tx)
		return 0;
	if (job->step >= 1 && job->step <= job->nstmts)
		return job->step - 1;
	return -1;
}

/*
 * Send the current step of store->cur and start flushing it.  A named
 * statement the connection has not prepared yet is prepared first: its
 * Parse goes out alone (job->preparing), and pg_step_done sends the
 * statement itself once the server accepted it.  A failure either breaks
 * the connection or, when libpq refused the statement itself, counts as
 * that step's error.
 */
static void
pg_step_send(struct zes_store *store)
{
	struct zes_store_job	*job = store->cur;
	struct pg_prepared	*p = NULL;
	const char		*sql, *name;
	const char *const	*params;
	struct timeval		 tv;
	int			 nparams, r, sent;

	pg_step_sql(job, &sql, &nparams, &params, &name);
	job->step_failed = 0;
	job->step_res = NULL;
	job->preparing = 0;
	/* libpq clears its error text when a query starts. */
	store->err_seen = 0;
	if (name != NULL && (p = pg_prepared_find(store, name)) != NULL &&
	    strcmp(p->sql, sql) != 0)
		zes_fatalx("%s: statement %s prepared with another text",
		    __func__, name);
	if (name == NULL)
		sent = PQsendQueryParams(store->conn, sql, nparams, NULL,
		    params, NULL, NULL, 0);
	else if (p != NULL)
		sent = PQsendQueryPrepared(store->conn, name, nparams, params,
		    NULL, NULL, 0);
	else {
		job->preparing = 1;
		sent = PQsendPrepare(store->conn, name, sql, nparams, NULL);
	}
	if (!sent) {
		if (PQstatus(store->conn) == CONNECTION_BAD) {
			pg_conn_lost(store, ZES_STORE_UNAVAILABLE, "",
			    pg_conn_error(store));
			return;
		}
		/* e.g. too many parameters: nothing went out. */
		job->step_failed = 1;
		if (!job->rolling_back) {
			job->sqlstate[0] = '\0';
			free(job->message);
			job->message = pg_strdup_trim(
			    PQerrorMessage(store->conn));
		}
		pg_step_done(store);
		return;
	}
	if (store->statement_timeout_ms > 0) {
		pg_ms_to_tv(store->statement_timeout_ms + PG_NO_ANSWER_GRACE_MS,
		    &tv);
		evtimer_add(store->job_ev, &tv);
	}
	r = PQflush(store->conn);
	if (r < 0) {
		pg_conn_lost(store, ZES_STORE_UNAVAILABLE, "",
		    pg_conn_error(store));
		return;
	}
	store->flushing = r == 1;
	pg_sock_watch(store, store->flushing);
}

/* One result of the current step: keep the first good one or the error. */
static void
pg_step_result(struct zes_store *store, PGresult *res)
{
	struct zes_store_job	*job = store->cur;
	const char		*ss, *msg;

	switch (PQresultStatus(res)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
	case PGRES_EMPTY_QUERY:
		if (job->step_res == NULL && !job->step_failed)
			job->step_res = res;
		else
			PQclear(res);
		break;
	case PGRES_COPY_IN:
	case PGRES_COPY_OUT:
	case PGRES_COPY_BOTH:
		/* The session would wait for COPY data forever. */
		PQclear(res);
		pg_conn_lost(store, ZES_STORE_UNAVAILABLE, "",
		    "COPY is not supported on this connection");
		break;
	default:
		/* Its text is in PQerrorMessage now, and is the job's only. */
		store->err_seen = strlen(PQerrorMessage(store->conn));
		if (!job->step_failed) {
			job->step_failed = 1;
			if (job->step_res != NULL) {
				PQclear(job->step_res);
				job->step_res = NULL;
			}
			/* A failing ROLLBACK does not hide the first error. */
			if (!job->rolling_back) {
				ss = PQresultErrorField(res, PG_DIAG_SQLSTATE);
				(void)snprintf(job->sqlstate,
				    sizeof(job->sqlstate), "%s",
				    ss != NULL ? ss : "");
				msg = PQresultErrorField(res,
				    PG_DIAG_MESSAGE_PRIMARY);
				if (msg == NULL || *msg == '\0')
					msg = PQresultErrorMessage(res);
				free(job->message);
				job->message = pg_strdup_trim(msg);
			}
		}
		PQclear(res);
		break;
	}
}

/*
 * PQgetResult said the current step is complete: decide between the next
 * step, ROLLBACK, finishing the job, or dropping the connection.
 */
static void
pg_step_done(struct zes_store *store)
{
	struct zes_store_job	*job = store->cur;
	PGTransactionStatusType	 ts;
	const char		*cs, *sql, *name;
	const char *const	*params;
	int			 i, nparams;

	evtimer_del(store->job_ev);
	if (PQstatus(store->conn) == CONNECTION_BAD) {
		pg_conn_lost(store, ZES_STORE_UNAVAILABLE, job->sqlstate,
		    pg_conn_error(store));
		return;
	}
	if (job->preparing && !job->step_failed && job->step_res != NULL) {
		/* Prepared: now the statement itself, under its name. */
		pg_step_sql(job, &sql, &nparams, &params, &name);
		pg_prepared_add(store, name, sql);
		PQclear(job->step_res);
		job->step_res = NULL;
		pg_step_send(store);
		return;
	}
	if (job->step_failed && strcmp(job->sqlstate, "26000") == 0) {
		/* "prepared statement does not exist": prepare it next time. */
		pg_step_sql(job, &sql, &nparams, &params, &name);
		if (name != NULL)
			pg_prepared_forget(store, name);
	}
	job->preparing = 0;
	if (job->rolling_back) {
		/* The first error stands, whatever ROLLBACK said. */
		if (job->step_res != NULL) {
			PQclear(job->step_res);
			job->step_res = NULL;
		}
		pg_job_finish(store);
		return;
	}
	if (!job->step_failed && job->step_res == NULL) {
		job->step_failed = 1;
		job->sqlstate[0] = '\0';
		free(job->message);
		job->message = xstrdup("no result from the server");
	}
	if (job->step_failed) {
		if (pg_sqlstate_broken(job->sqlstate)) {
			pg_conn_lost(store, ZES_STORE_UNAVAILABLE,
			    job->sqlstate, job->message);
			return;
		}
		job->status = strcmp(job->sqlstate, "57014") == 0 ?
		    ZES_STORE_TIMEOUT : ZES_STORE_ERROR;
		ts = PQtransactionStatus(store->conn);
		if (job->is_tx && (ts == PQTRANS_INTRANS ||
		    ts == PQTRANS_INERROR)) {
			job->rolling_back = 1;
			pg_step_send(store);
			return;
		}
		pg_job_finish(store);
		return;
	}
	if (job->step_fn != NULL) {
		pg_txn_advance(store);
		return;
	}

	if ((i = pg_step_user(job)) >= 0) {
		job->res[i] = job->step_res;
		job->step_res = NULL;
	} else {
		/* COMMIT of a transaction that was rolled back says so. */
		cs = PQcmdStatus(job->step_res);
		if (job->is_tx && job->step == job->nstmts + 1 &&
		    strcmp(cs, "ROLLBACK") == 0) {
			job->status = ZES_STORE_ERROR;
			(void)snprintf(job->sqlstate, sizeof(job->sqlstate),
			    "%s", "40000");
			free(job->message);
			job->message = xstrdup("transaction was rolled back");
		}
		PQclear(job->step_res);
		job->step_res = NULL;
		if (job->status != ZES_STORE_OK) {
			pg_job_finish(store);
			return;
		}
	}
	job->step++;
	if (job->step < (job->is_tx ? job->nstmts + 2 : 1)) {
		pg_step_send(store);
		return;
	}
	job->status = ZES_STORE_OK;
	pg_job_finish(store);
}

/*
 * A step of an interactive transaction succeeded: after COMMIT, finish;
 * after BEGIN or the caller's statement, hand its result to the caller's
 * step function and do what it says.
 *
 * The step function runs here, synchronously, on the loop, while the
 * transaction is open on the server: nothing is on the wire, and the next
 * statement goes out as soon as it returns, so a transaction is never idle
 * waiting for anything but the caller's own C code.  While it runs
 * (store->stepping), the caller may submit jobs (they queue behind this
 * one) and abandon jobs, its own included; freeing the store is a bug.
 * An abandoned job's step function never runs again: the store rolls the
 * transaction back by itself and frees the job without calling done.
 */
static void
pg_txn_advance(struct zes_store *store)
{
	struct zes_store_job	*job = store->cur;
	struct zes_store_result	 prev;
	struct zes_store_stmt	 next;
	enum zes_step		 what;
	PGresult		*res;

	res = job->step_res;
	job->step_res = NULL;
	if (job->step == PG_TXN_COMMIT) {
		/* COMMIT of a transaction that was rolled back says so. */
		if (strcmp(PQcmdStatus(res), "ROLLBACK") == 0)
			pg_job_fail(job, ZES_STORE_ERROR, "40000",
			    "transaction was rolled back");
		else
			job->status = ZES_STORE_OK;
		PQclear(res);
		pg_job_finish(store);
		return;
	}
	/*
	 * The caller's statement must not end the transaction (COMMIT,
	 * ROLLBACK, PREPARE TRANSACTION...): what follows would run outside
	 * it.  Whether it committed is then the caller's problem: ERROR.
	 */
	if (job->step == PG_TXN_STMT &&
	    PQtransactionStatus(store->conn) != PQTRANS_INTRANS) {
		PQclear(res);
		pg_job_fail(job, ZES_STORE_ERROR, "",
		    "a statement of the transaction ended it");
		pg_job_finish(store);
		return;
	}
	if (job->abandoned) {
		PQclear(res);
		pg_txn_rollback(store, "abandoned");
		return;
	}

	memset(&prev, 0, sizeof(prev));
	prev.status = ZES_STORE_OK;
	prev.nres = 1;
	prev.res = &res;
	prev.message = "";
	memset(&next, 0, sizeof(next));
	store->stepping = 1;
	what = job->step_fn(job->step == PG_TXN_BEGIN ? NULL : &prev, &next,
	    job->arg);
	store->stepping = 0;
	PQclear(res);

	/* It may have abandoned itself: then *next is not run. */
	if (job->abandoned) {
		pg_txn_rollback(store, "abandoned");
		return;
	}
	switch (what) {
	case ZES_STEP_NEXT:
		if (!pg_stmt_valid(&next))
			zes_fatalx("%s: bad statement from a step", __func__);
		/* Copied: the caller's strings may change before we send. */
		pg_stmt_clear(&job->txn_stmt);
		pg_stmt_copy(&job->txn_stmt, &next);
		job->step = PG_TXN_STMT;
		pg_step_send(store);
		return;
	case ZES_STEP_COMMIT:
		job->step = PG_TXN_COMMIT;
		pg_step_send(store);
		return;
	case ZES_STEP_ROLLBACK:
		pg_txn_rollback(store, "rolled back by the caller");
		return;
	}
	zes_fatalx("%s: step returned %d", __func__, (int)what);
}

/*
 * The caller ended an open interactive transaction (its step said
 * ROLLBACK, or it abandoned the job): send ROLLBACK, then finish with
 * ERROR, no SQLSTATE and `message`.  Not a database error: errors_total
 * does not count it.
 */
static void
pg_txn_rollback(struct zes_store *store, const char *message)
{
	struct zes_store_job	*job = store->cur;

	pg_job_fail(job, ZES_STORE_ERROR, "", message);
	job->by_caller = 1;
	job->rolling_back = 1;
	pg_step_send(store);
}

/* No answer within statement_timeout + grace: the server is unreachable. */
static void
pg_job_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct zes_store	*store = arg;
	char			 reason[64];

	(void)fd;
	(void)what;
	if (store->cur == NULL)
		return;
	(void)snprintf(reason, sizeof(reason), "no answer in %u ms",
	    store->statement_timeout_ms + PG_NO_ANSWER_GRACE_MS);
	pg_conn_lost(store, ZES_STORE_TIMEOUT, "", reason);
}

/* Give a job a failure status; its results, if any, are dropped. */
static void
pg_job_fail(struct zes_store_job *job, enum zes_store_status status,
    const char *sqlstate, const char *message)
{
	job->status = status;
	job->by_caller = 0;
	(void)snprintf(job->sqlstate, sizeof(job->sqlstate), "%s",
	    sqlstate != NULL ? sqlstate : "");
	free(job->message);
	job->message = xstrdup(message != NULL ? message : "");
}

/*
 * store->cur is complete with job->status: hand it over for delivery, then
 * make sure the session is outside any transaction before reusing it.
 */
static void
pg_job_finish(struct zes_store *store)
{
	struct zes_store_job	*job = store->cur;

	evtimer_del(store->job_ev);
	store->cur = NULL;
	pg_job_complete(store, job);
	if (PQtransactionStatus(store->conn) != PQTRANS_IDLE) {
		pg_conn_lost(store, ZES_STORE_UNAVAILABLE, "",
		    "session left inside a transaction");
		return;
	}
	pg_set_state(store, PG_IDLE);
}

/* A job has its final status: queue its callback, or free it if abandoned. */
static void
pg_job_complete(struct zes_store *store, struct zes_store_job *job)
{
	int	i;

	if (job->status != ZES_STORE_OK) {
		if (!job->by_caller)
			store->errors_total++;
		/* Only OK carries results; never leave half a transaction. */
		for (i = 0; i < job->nstmts; i++) {
			if (job->res[i] != NULL) {
				PQclear(job->res[i]);
				job->res[i] = NULL;
			}
		}
	} else if (job->message == NULL)
		job->message = xstrdup("");
	if (job->step_res != NULL) {
		PQclear(job->step_res);
		job->step_res = NULL;
	}
	if (job->abandoned) {
		pg_job_free(job);
		return;
	}
	job->where = PG_JOB_DONE;
	TAILQ_INSERT_TAIL(&store->done, job, entry);
	pg_notify(store);
}

/* 1 when a caller's statement can be sent (SQL, parameter count and array). */
static int
pg_stmt_valid(const struct zes_store_stmt *st)
{
	return st->sql != NULL && st->nparams >= 0 &&
	    st->nparams <= PG_MAX_PARAMS &&
	    (st->nparams == 0 || st->params != NULL) &&
	    (st->name == NULL || st->name[0] != '\0');
}

/* Copy a caller's statement (text and parameters) into `dst`. */
static void
pg_stmt_copy(struct pg_stmt *dst, const struct zes_store_stmt *src)
{
	int	j;

	dst->sql = xstrdup(src->sql);
	dst->name = src->name != NULL ? xstrdup(src->name) : NULL;
	dst->nparams = src->nparams;
	dst->params = NULL;
	if (dst->nparams > 0) {
		dst->params = xcalloc((size_t)dst->nparams,
		    sizeof(*dst->params));
		for (j = 0; j < dst->nparams; j++) {
			if (src->params[j] != NULL)
				dst->params[j] = xstrdup(src->params[j]);
		}
	}
}

/* Free what a statement owns and empty it. */
static void
pg_stmt_clear(struct pg_stmt *st)
{
	int	j;

	for (j = 0; j < st->nparams; j++)
		free(st->params[j]);
	free(st->params);
	free(st->sql);
	free(st->name);
	memset(st, 0, sizeof(*st));
}

/*
 * A new job with copies of the statements; `is_tx` selects BEGIN/COMMIT,
 * `step_fn` (with is_tx and no statements) an interactive transaction.
 */
static struct zes_store_job *
pg_job_new(struct zes_store *store, int is_tx,
    const struct zes_store_stmt *stmts, int nstmts, zes_store_step_fn *step_fn,
    zes_store_cb *cb, void *arg)
{
	struct zes_store_job	*job;
	int			 i;

	job = xcalloc(1, sizeof(*job));
	job->store = store;
	job->is_tx = is_tx;
	job->step_fn = step_fn;
	job->nstmts = nstmts;
	/* An empty transaction still gets (unused) arrays. */
	job->stmts = xcalloc(nstmts > 0 ? (size_t)nstmts : 1,
	    sizeof(*job->stmts));
	job->res = xcalloc(nstmts > 0 ? (size_t)nstmts : 1, sizeof(*job->res));
	for (i = 0; i < nstmts; i++)
		pg_stmt_copy(&job->stmts[i], &stmts[i]);
	job->status = ZES_STORE_OK;
	job->cb = cb;
	job->arg = arg;
	return job;
}

/*
 * Common part of zes_store_query, zes_store_tx and zes_store_txn: refuse
 * when not connected or the queue is full, else queue the job and, when
 * the connection is idle, send it at once.  Never calls a callback (nor a
 * step function: BEGIN's answer comes later, from the loop).
 */
static struct zes_store_job *
pg_submit(struct zes_store *store, int is_tx,
    const struct zes_store_stmt *stmts, int nstmts, zes_store_step_fn *step_fn,
    zes_store_cb *cb, void *arg)
{
	struct zes_store_job	*job;
	int			 i;

	if (store == NULL || cb == NULL || nstmts < 0 ||
	    (nstmts > 0 && stmts == NULL))
		zes_fatalx("%s: bad arguments", __func__);
	for (i = 0; i < nstmts; i++) {
		if (!pg_stmt_valid(&stmts[i]))
			zes_fatalx("%s: bad statement %d", __func__, i);
	}
	if (store->closing || !store->up)
		return NULL;
	if (store->cur != NULL && store->nqueue >= store->queue_max)
		return NULL;

	job = pg_job_new(store, is_tx, stmts, nstmts, step_fn, cb, arg);
	store->jobs_total++;
	job->where = PG_JOB_QUEUED;
	TAILQ_INSERT_TAIL(&store->queue, job, entry);
	store->nqueue++;
	/*
	 * Sending may fail at once; then the job lands on the done list and
	 * its callback still runs later, from pg_deliver_cb.
	 */
	if (store->cur == NULL)
		pg_run(store);
	return job;
}

/* Free a job and everything it owns. */
static void
pg_job_free(struct zes_store_job *job)
{
	int	i;

	for (i = 0; i < job->nstmts; i++) {
		pg_stmt_clear(&job->stmts[i]);
		if (job->res[i] != NULL)
			PQclear(job->res[i]);
	}
	pg_stmt_clear(&job->txn_stmt);
	if (job->step_res != NULL)
		PQclear(job->step_res);
	free(job->stmts);
	free(job->res);
	free(job->message);
	free(job);
}

/* Run a finished job's callback (the job is off every list). */
static void
pg_job_report(struct zes_store_job *job)
{
	struct zes_store_result	r;

	memset(&r, 0, sizeof(r));
	r.status = job->status;
	if (job->status == ZES_STORE_OK) {
		r.nres = job->nstmts;
		r.res = job->res;
	}
	memcpy(r.sqlstate, job->sqlstate, sizeof(r.sqlstate));
	r.message = job->message != NULL ? job->message : "";
	job->where = PG_JOB_REPORTING;
	job->cb(&r, job->arg);
}

/* Ask the loop to run pg_deliver_cb soon. */
static void
pg_notify(struct zes_store *store)
{
	if (!store->closing)
		event_active(store->deliver_ev, EV_TIMEOUT, 0);
}

/*
 * From the loop: run the callbacks of finished jobs, in order, then tell
 * state_cb about a change of connectedness.  Any callback may submit,
 * abandon, or free the store; the store is then destroyed here, after the
 * callback has returned.
 */
static void
pg_deliver_cb(evutil_socket_t fd, short what, void *arg)
{
	struct zes_store	*store = arg;
	struct zes_store_job	*job;

	(void)fd;
	(void)what;
	store->delivering = 1;
	while (!store->closing && (job = TAILQ_FIRST(&store->done)) != NULL) {
		TAILQ_REMOVE(&store->done, job, entry);
		pg_job_report(job);
		pg_job_free(job);
	}
	if (!store->closing && store->up != store->up_reported) {
		store->up_reported = store->up;
		if (store->state_cb != NULL)
			store->state_cb(store, store->up, store->state_arg);
	}
	store->delivering = 0;
	if (store->closing)
		pg_store_destroy(store);
}

/* Run every pending callback now (zes_store_free). */
static void
pg_deliver_all(struct zes_store *store)
{
	struct zes_store_job	*job;

	while ((job = TAILQ_FIRST(&store->done)) != NULL) {
		TAILQ_REMOVE(&store->done, job, entry);
		pg_job_report(job);
		pg_job_free(job);
	}
}

/* Free the store itself once nothing refers to it any more. */
static void
pg_store_destroy(struct zes_store *store)
{
	event_free(store->deliver_ev);
	free(store->conninfo);
	free(store->application_name);
	free(store->options);
	free(store);
}

struct zes_store *
zes_store_new(struct event_base *base, const struct zes_store_opts *opts,
    void (*state_cb)(struct zes_store *, int, void *), void *state_arg)
{
	struct zes_store	*store;

	if (base == NULL || opts == NULL)
		zes_fatalx("%s: bad arguments", __func__);
	store = xcalloc(1, sizeof(*store));
	store->base = base;
	store->state = PG_DOWN;
	store->conninfo = xstrdup(opts->conninfo != NULL ? opts->conninfo : "");
	if (opts->application_name != NULL)
		store->application_name = xstrdup(opts->application_name);
	store->statement_timeout_ms = opts->statement_timeout_ms;
	store->connect_timeout_ms = opts->connect_timeout_ms;
	store->queue_max = opts->queue_max;
	/* A zero delay would reconnect in a tight loop. */
	store->backoff_min_ms = opts->backoff_min_ms > 0 ?
	    opts->backoff_min_ms : 1;
	store->backoff_max_ms = opts->backoff_max_ms > store->backoff_min_ms ?
	    opts->backoff_max_ms : store->backoff_min_ms;
	store->backoff_ms = store->backoff_min_ms;
	pg_build_options(store);
	TAILQ_INIT(&store->queue);
	TAILQ_INIT(&store->done);
	store->state_cb = state_cb;
	store->state_arg = state_arg;

	store->connect_ev = evtimer_new(base, pg_connect_timeout_cb, store);
	store->reconnect_ev = evtimer_new(base, pg_reconnect_cb, store);
	store->job_ev = evtimer_new(base, pg_job_timeout_cb, store);
	store->deliver_ev = event_new(base, -1, 0, pg_deliver_cb, store);
	if (store->connect_ev == NULL || store->reconnect_ev == NULL ||
	    store->job_ev == NULL || store->deliver_ev == NULL)
		zes_fatalx("%s: event_new failed", __func__);

	pg_connect_start(store);
	return store;
}

void
zes_store_free(struct zes_store *store)
{
	struct zes_store_job	*job;

	if (store == NULL || store->closing)
		return;
	/* Its job is in flight and the step's frame is on the stack. */
	if (store->stepping)
		zes_fatalx("%s: called from a step function", __func__);
	store->closing = 1;
	pg_conn_close(store);
	pg_set_state(store, PG_DOWN);
	store->up = 0;
	event_free(store->connect_ev);
	event_free(store->reconnect_ev);
	event_free(store->job_ev);
	store->connect_ev = store->reconnect_ev = store->job_ev = NULL;
	event_del(store->deliver_ev);

	/* Finished jobs keep their results; the others become UNAVAILABLE. */
	if ((job = store->cur) != NULL) {
		store->cur = NULL;
		pg_job_fail(job, ZES_STORE_UNAVAILABLE, "", "store closed");
		pg_job_complete(store, job);
	}
	while ((job = TAILQ_FIRST(&store->queue)) != NULL) {
		TAILQ_REMOVE(&store->queue, job, entry);
		store->nqueue--;
		pg_job_fail(job, ZES_STORE_UNAVAILABLE, "", "store closed");
		pg_job_complete(store, job);
	}
	pg_deliver_all(store);
	/* Called from a callback of pg_deliver_cb: it frees the rest. */
	if (!store->delivering)
		pg_store_destroy(store);
}

int
zes_store_connected(const struct zes_store *store)
{
	return store->up;
}

void
zes_store_get_stats(const struct zes_store *store, struct zes_store_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->connected = store->up;
	st->queued = store->nqueue + (store->cur != NULL ? 1 : 0);
	st->jobs_total = store->jobs_total;
	st->errors_total = store->errors_total;
	st->reconnects_total = store->reconnects_total;
	st->prepares_total = store->prepares_total;
}

struct zes_store_job *
zes_store_query(struct zes_store *store, const char *sql, int nparams,
    const char *const *params, zes_store_cb *cb, void *arg)
{
	struct zes_store_stmt	s;

	s.sql = sql;
	s.nparams = nparams;
	s.params = params;
	s.name = NULL;
	return pg_submit(store, 0, &s, 1, NULL, cb, arg);
}

struct zes_store_job *
zes_store_query_named(struct zes_store *store, const char *name,
    const char *sql, int nparams, const char *const *params, zes_store_cb *cb,
    void *arg)
{
	struct zes_store_stmt	s;

	if (name == NULL)
		zes_fatalx("%s: no name", __func__);
	s.sql = sql;
	s.nparams = nparams;
	s.params = params;
	s.name = name;
	return pg_submit(store, 0, &s, 1, NULL, cb, arg);
}

struct zes_store_job *
zes_store_tx(struct zes_store *store, const struct zes_store_stmt *stmts,
    int nstmts, zes_store_cb *cb, void *arg)
{
	return pg_submit(store, 1, stmts, nstmts, NULL, cb, arg);
}

void
zes_store_abandon(struct zes_store_job *job)
{
	struct zes_store	*store;

	if (job == NULL)
		return;
	store = job->store;
	job->abandoned = 1;
	job->cb = NULL;
	switch (job->where) {
	case PG_JOB_QUEUED:
		TAILQ_REMOVE(&store->queue, job, entry);
		store->nqueue--;
		pg_job_free(job);
		break;
	case PG_JOB_DONE:
		TAILQ_REMOVE(&store->done, job, entry);
		pg_job_free(job);
		break;
	case PG_JOB_INFLIGHT:
		/* Freed by pg_job_complete when it ends. */
		break;
	case PG_JOB_REPORTING:
		/* Its own callback: freed when the callback returns. */
		break;
	}
}

/*
 * An interactive transaction is a job like the others (one at a time per
 * connection, in submission order, counted against queue_max): it holds
 * the connection from BEGIN to COMMIT or ROLLBACK, and the jobs queued
 * behind it wait.  See pg_txn_advance for how its steps run.
 */
struct zes_store_job *
zes_store_txn(struct zes_store *store, zes_store_step_fn *step,
    zes_store_cb *done, void *arg)
{
	if (step == NULL)
		zes_fatalx("%s: bad arguments", __func__);
	return pg_submit(store, 1, NULL, 0, step, done, arg);
}
