/*
 * Asynchronous PostgreSQL on one worker's event loop (daemon/store/pg.c).
 *
 * One store owns one non-blocking libpq connection driven by the event_base
 * it was created on: connect with PQconnectStartParams/PQconnectPoll, queries
 * with PQsendQueryParams (named statements: PQsendPrepare once per
 * connection, then PQsendQueryPrepared), results read on socket readiness,
 * reconnect with growing backoff and jitter when the server goes away.  Nothing here blocks,
 * and nothing here may be called from another thread than the loop's.
 *
 * Jobs run one at a time in submission order; a bounded queue holds the rest.
 */
#ifndef ZES_STORE_H
#define ZES_STORE_H

#include <libpq-fe.h>
#include "zes/common.h"

struct event_base;
struct zes_store;
struct zes_store_job;

enum zes_store_status {
	ZES_STORE_OK = 0,	/* every statement succeeded (a transaction committed) */
	ZES_STORE_ERROR,	/* the server refused a statement; a transaction was rolled back */
	ZES_STORE_UNAVAILABLE,	/* the connection was lost (or closed) before the job finished */
	ZES_STORE_TIMEOUT,	/* statement_timeout (SQLSTATE 57014), or no answer in time */
};

/*
 * What a completion callback sees.  Everything is borrowed: the PGresults are
 * cleared and the strings freed right after the callback returns.
 */
struct zes_store_result {
	enum zes_store_status	 status;
	int			 nres;		/* one result per statement, in order (OK only) */
	PGresult *const		*res;
	char			 sqlstate[6];	/* "" when none */
	const char		*message;	/* server or libpq message, "" when OK */
};

typedef void zes_store_cb(const struct zes_store_result *, void *arg);

/*
 * One statement; text parameters, NULL for SQL NULL.
 *
 * `name`, when not NULL, makes it a prepared statement: the store prepares
 * `sql` under that name once per connection, the first time it runs there
 * (one more round trip), and from then on sends only the name and the
 * parameters, so the server neither parses nor (after its first few custom
 * plans) plans it again.  A reconnect forgets every name.  A name always
 * stands for the same SQL text in the whole process (different text under a
 * name the connection knows is a fatal error); prefix it with its file's
 * (e.g. "app_insert").  Name only statements run often whose generic plan is
 * good: not optional filters such as "$1::text IS NULL OR col = $1", which a
 * generic plan cannot use an index for.
 */
struct zes_store_stmt {
	const char		*sql;
	int			 nparams;
	const char *const	*params;
	const char		*name;		/* prepared statement, or NULL */
};

struct zes_store_opts {
	const char	*conninfo;		/* libpq conninfo (use a socket path or hostaddr: no DNS) */
	const char	*application_name;	/* e.g. "zesd/w0" */
	unsigned	 statement_timeout_ms;	/* set on the server for every session */
	unsigned	 connect_timeout_ms;	/* our own timer: libpq ignores it when polling */
	unsigned	 queue_max;		/* jobs waiting beyond the one in flight */
	unsigned	 backoff_min_ms;	/* first reconnect delay, doubled up to max */
	unsigned	 backoff_max_ms;
};

/* Counters for /metrics; read on the loop's thread or while the loop is stopped. */
struct zes_store_stats {
	int		 connected;		/* 1 when the connection is up and idle or busy */
	unsigned	 queued;		/* jobs waiting, the one in flight included */
	uint64_t	 jobs_total;
	uint64_t	 errors_total;		/* ERROR, UNAVAILABLE and TIMEOUT results */
	uint64_t	 reconnects_total;	/* successful connections after the first */
	uint64_t	 prepares_total;	/* named statements prepared, reconnects included */
};

/*
 * Create a store on `base` and start connecting at once.  The options are
 * copied.  `state_cb`, if not NULL, is called on the loop whenever the store
 * becomes connected (1) or loses its connection (0).
 */
struct zes_store	*zes_store_new(struct event_base *base,
			    const struct zes_store_opts *opts,
			    void (*state_cb)(struct zes_store *, int connected, void *),
			    void *state_arg);

/*
 * Close the connection and free the store.  Jobs still queued or in flight
 * get their callback with ZES_STORE_UNAVAILABLE before this returns (abandoned
 * ones do not).
 */
void			 zes_store_free(struct zes_store *);

/* 1 when connected (idle or busy), else 0. */
int			 zes_store_connected(const struct zes_store *);
void			 zes_store_get_stats(const struct zes_store *, struct zes_store_stats *);

/*
 * Submit one statement (text parameters, copied; text results).  Returns the
 * job, or NULL without calling `cb` when the store is not connected or its
 * queue is full: the caller answers 503 at once.  Otherwise `cb` is called
 * exactly once, later, from the loop, unless the job is abandoned first.
 */
struct zes_store_job	*zes_store_query(struct zes_store *, const char *sql,
			    int nparams, const char *const *params,
			    zes_store_cb *cb, void *arg) ZES_MUSTCHECK;

/* zes_store_query() of a prepared statement (see struct zes_store_stmt). */
struct zes_store_job	*zes_store_query_named(struct zes_store *,
			    const char *name, const char *sql, int nparams,
			    const char *const *params, zes_store_cb *cb,
			    void *arg) ZES_MUSTCHECK;

/*
 * Submit a transaction: BEGIN, the statements in order, COMMIT.  The result
 * is OK only when COMMIT succeeded; on any error the transaction is rolled
 * back and the callback sees ERROR with that statement's SQLSTATE.  Same
 * return and callback contract as zes_store_query().
 */
struct zes_store_job	*zes_store_tx(struct zes_store *,
			    const struct zes_store_stmt *stmts, int nstmts,
			    zes_store_cb *cb, void *arg) ZES_MUSTCHECK;

/*
 * An interactive transaction: C runs between its statements, on the loop,
 * while the transaction holds its locks (read, decide, write in one
 * transaction).  After BEGIN, `step` is called with the result of the
 * previous statement (NULL the first time; borrowed, as in a completion
 * callback), fills *next with the next statement, and returns
 *   ZES_STEP_NEXT    run *next, then call step again with its result;
 *   ZES_STEP_COMMIT  commit (done sees OK when COMMIT succeeded);
 *   ZES_STEP_ROLLBACK roll back (done sees ERROR with sqlstate "" and
 *                    message "rolled back by the caller").
 * A statement the server refuses rolls the transaction back and ends it:
 * done sees ERROR with that statement's SQLSTATE (TIMEOUT for 57014), and
 * step is not called again.  The strings of *next must stay valid until step
 * is called again or done runs (keep them in arg); the store copies them
 * when it sends the statement.  done is called exactly once, unless the
 * job is abandoned; the same return contract as zes_store_query().  A lost
 * connection gives UNAVAILABLE: whether a COMMIT in flight took effect is
 * then unknown, which is what Idempotency-Key is for.
 *
 * Details:
 * - done sees no results (nres 0) even when OK: step saw every result and
 *   keeps in arg what done needs.
 * - BEGIN is plain (READ COMMITTED); a first statement "SET TRANSACTION
 *   ISOLATION LEVEL ..." changes that.  Serialise with
 *   pg_advisory_xact_lock() or SELECT ... FOR UPDATE.
 * - step runs on the loop right after its result arrived and the next
 *   statement is sent as soon as it returns: never make it wait.  It may
 *   submit jobs (they queue behind the transaction, which holds the
 *   connection until it ends) and abandon jobs, its own included; it must
 *   not free the store (a fatal error).
 * - After zes_store_abandon(), step and done are never called again: the
 *   store rolls back by itself (or lets a COMMIT already sent finish) and
 *   the queued jobs go on.
 * - A statement of step's that ends the transaction itself (COMMIT,
 *   ROLLBACK) gives ERROR with sqlstate "": do not.
 * - A ROLLBACK chosen by step (or by abandoning) is not counted in
 *   errors_total.
 */
enum zes_step {
	ZES_STEP_NEXT = 0,
	ZES_STEP_COMMIT,
	ZES_STEP_ROLLBACK,
};
typedef enum zes_step zes_store_step_fn(const struct zes_store_result *prev,
			    struct zes_store_stmt *next, void *arg);
struct zes_store_job	*zes_store_txn(struct zes_store *, zes_store_step_fn *step,
			    zes_store_cb *done, void *arg) ZES_MUSTCHECK;

/*
 * The caller no longer wants the answer (its request timed out or is being
 * torn down): the callback will never be called.  The store finishes or
 * drops the job by itself and frees it.  Only valid before the callback has
 * run: the job is freed as soon as its callback returns.
 */
void			 zes_store_abandon(struct zes_store_job *);

#endif
