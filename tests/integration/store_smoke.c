/*
 * Smoke test of daemon/store/pg.c against a real PostgreSQL: parameters,
 * errors, transactions and their rollback, statement timeout, abandon, queue
 * limit, refusal while down, close with jobs pending, loss and reconnect,
 * the no-answer deadline, the connect timer, and the session options.
 *
 * Usage: store_smoke CONNINFO   (e.g. "host=/tmp/pg port=55432 dbname=postgres")
 * Prints one line per check and "N passed, N failed"; exits 1 on failure.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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

/* What one job's callback saw. */
struct seen {
	int			 called;
	int			 during_submit;	/* called from inside zes_store_* */
	enum zes_store_status	 status;
	int			 nres;
	char			 sqlstate[6];
	char			 message[256];
	char			 value[64];	/* first row, first column of the last result */
	char			 value0[64];	/* same, of the first result */
};

static int			 submitting;
static FILE			*capture_file;
static int			 capture_saved = -1;

static void	 result_cb(const struct zes_store_result *, void *);
static struct zes_store_job *query(struct zes_store *, const char *, int,
		    const char *const *, struct seen *);
static struct zes_store_job *tx(struct zes_store *,
		    const struct zes_store_stmt *, int, struct seen *);
static int	 run_query(struct zes_store *, const char *, int,
		    const char *const *, struct seen *);
static void	 chain_cb(const struct zes_store_result *, void *);
static void	 free_cb(const struct zes_store_result *, void *);
static void	 capture_start(void);
static void	 capture_stop(char *, size_t);
static int	 listen_silent(int *);
static int	 peer_closed(int);

/* Job callback: copy what we need, the result is borrowed. */
static void
result_cb(const struct zes_store_result *r, void *arg)
{
	struct seen	*s = arg;
	const PGresult	*last;

	s->called++;
	s->during_submit = submitting;
	s->status = r->status;
	s->nres = r->nres;
	memcpy(s->sqlstate, r->sqlstate, sizeof(s->sqlstate));
	snprintf(s->message, sizeof(s->message), "%s", r->message);
	s->value[0] = s->value0[0] = '\0';
	if (r->nres > 0) {
		last = r->res[r->nres - 1];
		if (PQntuples(last) > 0 && PQnfields(last) > 0)
			snprintf(s->value, sizeof(s->value), "%s",
			    PQgetvalue(last, 0, 0));
		if (PQntuples(r->res[0]) > 0 && PQnfields(r->res[0]) > 0)
			snprintf(s->value0, sizeof(s->value0), "%s",
			    PQgetvalue(r->res[0], 0, 0));
	}
}

/* Chaining from a callback: submit the next query from inside it. */
struct chain {
	struct zes_store	*store;
	struct seen		 first, second;
	int			 submitted;
};

/* Job callback that submits another job on the same store. */
static void
chain_cb(const struct zes_store_result *r, void *arg)
{
	struct chain	*ch = arg;

	result_cb(r, &ch->first);
	ch->submitted = zes_store_query(ch->store, "SELECT 'second'", 0, NULL,
	    result_cb, &ch->second) != NULL;
}

/* Job callback that frees its own store. */
static void
free_cb(const struct zes_store_result *r, void *arg)
{
	struct chain	*ch = arg;

	result_cb(r, &ch->first);
	zes_store_free(ch->store);
	ch->submitted = 1;
}

/* zes_store_query, noting callbacks that would run inside it. */
static struct zes_store_job *
query(struct zes_store *store, const char *sql, int n,
    const char *const *params, struct seen *s)
{
	struct zes_store_job	*job;

	memset(s, 0, sizeof(*s));
	submitting = 1;
	job = zes_store_query(store, sql, n, params, result_cb, s);
	submitting = 0;
	return job;
}

/* zes_store_tx, noting callbacks that would run inside it. */
static struct zes_store_job *
tx(struct zes_store *store, const struct zes_store_stmt *stmts, int n,
    struct seen *s)
{
	struct zes_store_job	*job;

	memset(s, 0, sizeof(*s));
	submitting = 1;
	job = zes_store_tx(store, stmts, n, result_cb, s);
	submitting = 0;
	return job;
}

/* Submit a query and wait for its callback; 1 when it came. */
static int
run_query(struct zes_store *store, const char *sql, int n,
    const char *const *params, struct seen *s)
{
	if (query(store, sql, n, params, s) == NULL)
		return 0;
	return wait_for(&s->called, 1, 10000);
}

/* Send stderr (the log) to a temporary file until capture_stop. */
static void
capture_start(void)
{
	fflush(stderr);
	if ((capture_file = tmpfile()) == NULL)
		return;
	capture_saved = dup(STDERR_FILENO);
	dup2(fileno(capture_file), STDERR_FILENO);
}

/* Restore stderr; copy what was logged into buf, and echo it to stderr. */
static void
capture_stop(char *buf, size_t size)
{
	size_t	n = 0;

	buf[0] = '\0';
	if (capture_file == NULL)
		return;
	fflush(stderr);
	dup2(capture_saved, STDERR_FILENO);
	close(capture_saved);
	rewind(capture_file);
	n = fread(buf, 1, size - 1, capture_file);
	buf[n] = '\0';
	fclose(capture_file);
	capture_file = NULL;
	fputs(buf, stderr);
}

/* A TCP listener on 127.0.0.1 that never accepts: handshakes complete, no answer. */
static int
listen_silent(int *port)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(fd, 4) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

/* Accept the pending connection; 1 when the client already closed it. */
static int
peer_closed(int lfd)
{
	char	buf[512];
	ssize_t	n;
	int	fd, r = 0;

	if (fcntl(lfd, F_SETFL, O_NONBLOCK) != 0 ||
	    (fd = accept(lfd, NULL, NULL)) < 0)
		return -1;
	if (fcntl(fd, F_SETFL, O_NONBLOCK) == 0) {
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			;
		r = n == 0;
	}
	close(fd);
	return r;
}

int
main(int argc, char **argv)
{
	struct zes_store_opts	 o;
	struct zes_store	*db, *s2, *down;
	struct zes_store_job	*j1, *j2, *j3, *j4;
	struct zes_store_stats	 stats;
	struct states		 st, st2, stdown;
	struct seen		 a, b, c, d, e;
	struct event		*tick;
	struct timeval		 tv = { 0, 10000 };
	const char		*p1[1], *p2[1];
	char			 pidbuf[64], ci[1024], logbuf[8192];
	long			 t0, pid;
	int			 lfd, port;

	if (argc != 2) {
		fprintf(stderr, "usage: %s conninfo\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	zes_log_init("store_smoke", ZES_LOG_DEBUG, ZES_LOG_TEXT);
	base = event_base_new();
	tick = event_new(base, -1, EV_PERSIST, tick_cb, NULL);
	event_add(tick, &tv);

	/* --- refused while not connected --- */
	opts_init(&o, "host=127.0.0.1 port=1 dbname=x", "smoke/down", 200, 2);
	memset(&stdown, 0, sizeof(stdown));
	down = zes_store_new(base, &o, state_cb, &stdown);
	CHECK(down != NULL);
	CHECK(zes_store_connected(down) == 0);
	CHECK(query(down, "SELECT 1", 0, NULL, &a) == NULL);
	loop_for(300);		/* a few failed attempts and backoffs */
	CHECK(zes_store_connected(down) == 0);
	CHECK(query(down, "SELECT 1", 0, NULL, &a) == NULL);
	zes_store_get_stats(down, &stats);
	CHECK(stats.connected == 0 && stats.queued == 0 && stats.jobs_total == 0);
	zes_store_free(down);
	CHECK(a.called == 0 && stdown.ups == 0 && stdown.downs == 0);

	/* --- connect --- */
	opts_init(&o, argv[1], "smoke/main", 200, 2);
	db = connect_store(&o, &st);
	CHECK(db != NULL);
	if (db == NULL)
		goto out;
	CHECK(zes_store_connected(db) == 1 && st.last == 1);

	/* --- a query with parameters --- */
	p1[0] = "41";
	j1 = query(db, "SELECT $1::int + 1", 1, p1, &a);
	CHECK(j1 != NULL);
	CHECK(a.called == 0);		/* never synchronous, even when idle */
	zes_store_get_stats(db, &stats);
	CHECK(stats.queued == 1);
	CHECK(wait_for(&a.called, 1, 5000));
	CHECK(a.called == 1 && a.during_submit == 0);
	CHECK(a.status == ZES_STORE_OK && a.nres == 1);
	CHECK(strcmp(a.value, "42") == 0);
	CHECK(a.sqlstate[0] == '\0' && a.message[0] == '\0');

	p1[0] = NULL;
	CHECK(run_query(db, "SELECT $1::text IS NULL", 1, p1, &a));
	CHECK(a.status == ZES_STORE_OK && strcmp(a.value, "t") == 0);

	/* --- a statement error --- */
	CHECK(run_query(db, "SELECT 1/0", 0, NULL, &a));
	CHECK(a.status == ZES_STORE_ERROR && strcmp(a.sqlstate, "22012") == 0);
	CHECK(a.nres == 0 && a.message[0] != '\0');
	CHECK(run_query(db, "SELECT 'still usable'", 0, NULL, &a));
	CHECK(a.status == ZES_STORE_OK);

	/* --- session settings come from the options --- */
	CHECK(run_query(db, "SELECT current_setting('statement_timeout'), "
	    "current_setting('application_name')", 0, NULL, &a));
	CHECK(strcmp(a.value, "200ms") == 0);
	CHECK(run_query(db, "SELECT current_setting('application_name')",
	    0, NULL, &a));
	CHECK(strcmp(a.value, "smoke/main") == 0);

	/* --- transactions --- */
	CHECK(run_query(db, "CREATE TEMP TABLE smoke (x int PRIMARY KEY)",
	    0, NULL, &a));
	CHECK(a.status == ZES_STORE_OK);
	{
		const char *one[] = { "1" }, *two[] = { "2" }, *three[] = { "3" };
		struct zes_store_stmt fail[] = {
			{ "INSERT INTO smoke VALUES ($1)", 1, one, NULL },
			{ "SELECT 1/0", 0, NULL, NULL },
			{ "INSERT INTO smoke VALUES ($1)", 1, two, NULL },
		};
		struct zes_store_stmt good[] = {
			{ "INSERT INTO smoke VALUES ($1)", 1, one, NULL },
			{ "INSERT INTO smoke VALUES ($1) RETURNING x * 10", 1, two, NULL },
		};
		struct zes_store_stmt dup[] = {
			{ "INSERT INTO smoke VALUES ($1)", 1, three, NULL },
			{ "INSERT INTO smoke VALUES ($1)", 1, one, NULL },
		};
		struct zes_store_stmt slow[] = {
			{ "INSERT INTO smoke VALUES ($1)", 1, three, NULL },
			{ "SELECT pg_sleep(1)", 0, NULL, NULL },
		};

		CHECK(tx(db, fail, 3, &a) != NULL);
		CHECK(a.called == 0);
		CHECK(wait_for(&a.called, 1, 5000));
		CHECK(a.status == ZES_STORE_ERROR);
		CHECK(strcmp(a.sqlstate, "22012") == 0 && a.nres == 0);
		CHECK(run_query(db, "SELECT count(*) FROM smoke", 0, NULL, &b));
		CHECK(b.status == ZES_STORE_OK && strcmp(b.value, "0") == 0);

		CHECK(tx(db, good, 2, &a) != NULL);
		CHECK(wait_for(&a.called, 1, 5000));
		CHECK(a.status == ZES_STORE_OK && a.nres == 2);
		CHECK(strcmp(a.value, "20") == 0);
		CHECK(run_query(db, "SELECT count(*) FROM smoke", 0, NULL, &b));
		CHECK(strcmp(b.value, "2") == 0);

		CHECK(tx(db, dup, 2, &a) != NULL);
		CHECK(wait_for(&a.called, 1, 5000));
		CHECK(a.status == ZES_STORE_ERROR);
		CHECK(strcmp(a.sqlstate, "23505") == 0);

		/* statement_timeout inside a transaction */
		CHECK(tx(db, slow, 2, &a) != NULL);
		CHECK(wait_for(&a.called, 1, 5000));
		CHECK(a.status == ZES_STORE_TIMEOUT);
		CHECK(strcmp(a.sqlstate, "57014") == 0);
		CHECK(run_query(db, "SELECT count(*) FROM smoke", 0, NULL, &b));
		CHECK(strcmp(b.value, "2") == 0);

		/* an empty transaction is BEGIN; COMMIT */
		CHECK(tx(db, NULL, 0, &a) != NULL);
		CHECK(wait_for(&a.called, 1, 5000));
		CHECK(a.status == ZES_STORE_OK && a.nres == 0);
	}

	/* --- statement timeout --- */
	t0 = now_ms();
	CHECK(run_query(db, "SELECT pg_sleep(1)", 0, NULL, &a));
	CHECK(a.status == ZES_STORE_TIMEOUT && strcmp(a.sqlstate, "57014") == 0);
	CHECK(now_ms() - t0 < 900);
	CHECK(run_query(db, "SELECT 5", 0, NULL, &a));
	CHECK(a.status == ZES_STORE_OK && strcmp(a.value, "5") == 0);
	CHECK(zes_store_connected(db) == 1 && st.downs == 0);

	/* --- abandon: in flight, and still queued --- */
	j1 = query(db, "SELECT pg_sleep(0.1)", 0, NULL, &a);
	j2 = query(db, "SELECT 2", 0, NULL, &b);
	j3 = query(db, "SELECT 3", 0, NULL, &c);
	CHECK(j1 != NULL && j2 != NULL && j3 != NULL);
	zes_store_abandon(j1);		/* in flight */
	zes_store_abandon(j2);		/* queued */
	CHECK(wait_for(&c.called, 1, 5000));
	loop_for(50);
	CHECK(a.called == 0 && b.called == 0);
	CHECK(c.status == ZES_STORE_OK && strcmp(c.value, "3") == 0);

	/* abandon after it finished, before its callback ran */
	j1 = query(db, "SELECT 1", 0, NULL, &a);
	j2 = query(db, "SELECT 2", 0, NULL, &b);
	CHECK(j1 != NULL && j2 != NULL);
	CHECK(wait_for(&a.called, 1, 5000));
	/*
	 * j1's callback ran; j2 is in flight, or finished with its callback
	 * pending (or, rarely, already called: then there is nothing to test).
	 */
	if (b.called == 0) {
		zes_store_abandon(j2);
		loop_for(100);
		CHECK(b.called == 0);
	}
	CHECK(run_query(db, "SELECT 'after abandon'", 0, NULL, &c));

	/* --- queue limit: one in flight plus queue_max (2) waiting --- */
	j1 = query(db, "SELECT pg_sleep(0.05)", 0, NULL, &a);
	j2 = query(db, "SELECT 2", 0, NULL, &b);
	j3 = query(db, "SELECT 3", 0, NULL, &c);
	j4 = query(db, "SELECT 4", 0, NULL, &d);
	CHECK(j1 != NULL && j2 != NULL && j3 != NULL);
	CHECK(j4 == NULL);
	zes_store_get_stats(db, &stats);
	CHECK(stats.queued == 3);
	CHECK(wait_for(&c.called, 1, 5000));
	CHECK(a.called == 1 && b.called == 1 && c.called == 1 && d.called == 0);
	CHECK(strcmp(b.value, "2") == 0 && strcmp(c.value, "3") == 0);

	/* --- a callback submits the next job --- */
	{
		struct chain	ch;

		memset(&ch, 0, sizeof(ch));
		ch.store = db;
		CHECK(zes_store_query(db, "SELECT 'first'", 0, NULL, chain_cb,
		    &ch) != NULL);
		CHECK(wait_for(&ch.second.called, 1, 5000));
		CHECK(ch.submitted == 1 && strcmp(ch.first.value, "first") == 0);
		CHECK(strcmp(ch.second.value, "second") == 0);
	}

	/* --- a callback frees the store; the job behind it is failed --- */
	opts_init(&o, argv[1], "smoke/freecb", 200, 2);
	s2 = connect_store(&o, &st2);
	CHECK(s2 != NULL);
	if (s2 != NULL) {
		struct chain	ch;

		memset(&ch, 0, sizeof(ch));
		ch.store = s2;
		CHECK(zes_store_query(s2, "SELECT 1", 0, NULL, free_cb,
		    &ch) != NULL);
		CHECK(query(s2, "SELECT pg_sleep(0.1)", 0, NULL, &b) != NULL);
		CHECK(wait_for(&ch.submitted, 1, 5000));
		CHECK(ch.first.status == ZES_STORE_OK);
		CHECK(b.called == 1 && b.status == ZES_STORE_UNAVAILABLE);
		loop_for(50);
	}

	/* --- free with jobs in flight and queued --- */
	opts_init(&o, argv[1], "smoke/free", 200, 2);
	s2 = connect_store(&o, &st2);
	CHECK(s2 != NULL);
	if (s2 != NULL) {
		j1 = query(s2, "SELECT pg_sleep(0.1)", 0, NULL, &a);
		j2 = query(s2, "SELECT 2", 0, NULL, &b);
		j3 = query(s2, "SELECT 3", 0, NULL, &c);
		CHECK(j1 != NULL && j2 != NULL && j3 != NULL);
		zes_store_abandon(j3);
		zes_store_free(s2);
		CHECK(a.called == 1 && a.status == ZES_STORE_UNAVAILABLE);
		CHECK(b.called == 1 && b.status == ZES_STORE_UNAVAILABLE);
		CHECK(c.called == 0);
		CHECK(st2.downs == 0);
	}

	/* --- connection lost in flight, then reconnect --- */
	opts_init(&o, argv[1], "smoke/lost", 200, 2);
	o.statement_timeout_ms = 5000;
	s2 = connect_store(&o, &st2);
	CHECK(s2 != NULL);
	if (s2 != NULL) {
		CHECK(run_query(s2, "SELECT pg_backend_pid()", 0, NULL, &a));
		snprintf(pidbuf, sizeof(pidbuf), "%s", a.value);
		j1 = query(s2, "SELECT pg_sleep(3)", 0, NULL, &b);
		j2 = query(s2, "SELECT 2", 0, NULL, &c);
		CHECK(j1 != NULL && j2 != NULL);
		loop_for(50);
		p2[0] = pidbuf;
		CHECK(run_query(db, "SELECT pg_terminate_backend($1::int)",
		    1, p2, &d));
		CHECK(d.status == ZES_STORE_OK && strcmp(d.value, "t") == 0);
		CHECK(wait_for(&c.called, 1, 5000));
		CHECK(b.called == 1 && b.status == ZES_STORE_UNAVAILABLE);
		CHECK(c.called == 1 && c.status == ZES_STORE_UNAVAILABLE);
		CHECK(query(s2, "SELECT 1", 0, NULL, &e) == NULL);
		CHECK(wait_for(&st2.downs, 1, 1000));
		CHECK(zes_store_connected(s2) == 0);
		CHECK(wait_for(&st2.ups, 2, 5000));
		CHECK(run_query(s2, "SELECT 'back'", 0, NULL, &e));
		CHECK(e.status == ZES_STORE_OK && strcmp(e.value, "back") == 0);
		zes_store_get_stats(s2, &stats);
		CHECK(stats.reconnects_total == 1 && stats.connected == 1);
		CHECK(stats.errors_total == 2);

		/*
		 * Killed while idle: noticed without any query.  The failed
		 * statement before it quotes its parameter in its message; that
		 * must not appear in the log line of the lost connection.
		 */
		CHECK(run_query(s2, "SELECT pg_backend_pid()", 0, NULL, &a));
		snprintf(pidbuf, sizeof(pidbuf), "%s", a.value);
		p1[0] = "PLATE-XX-99";
		CHECK(run_query(s2, "SELECT $1::int", 1, p1, &a));
		CHECK(a.status == ZES_STORE_ERROR &&
		    strstr(a.message, "PLATE-XX-99") != NULL);
		capture_start();
		CHECK(run_query(db, "SELECT pg_terminate_backend($1::int)",
		    1, p2, &d));
		CHECK(wait_for(&st2.downs, 2, 5000));
		capture_stop(logbuf, sizeof(logbuf));
		CHECK(strstr(logbuf, "db_lost") != NULL);
		CHECK(strstr(logbuf, "PLATE-XX-99") == NULL);
		CHECK(wait_for(&st2.ups, 3, 5000));
		zes_store_free(s2);
	}

	/* --- no answer at all: the server process is stopped --- */
	opts_init(&o, argv[1], "smoke/stopped", 200, 2);
	s2 = connect_store(&o, &st2);
	CHECK(s2 != NULL);
	if (s2 != NULL) {
		CHECK(run_query(s2, "SELECT pg_backend_pid()", 0, NULL, &a));
		pid = strtol(a.value, NULL, 10);
		if (pid > 0 && kill((pid_t)pid, SIGSTOP) == 0) {
			t0 = now_ms();
			j1 = query(s2, "SELECT 1", 0, NULL, &b);
			j2 = query(s2, "SELECT 2", 0, NULL, &c);
			CHECK(j1 != NULL && j2 != NULL);
			CHECK(wait_for(&c.called, 1, 6000));
			kill((pid_t)pid, SIGCONT);
			CHECK(b.status == ZES_STORE_TIMEOUT);
			CHECK(c.status == ZES_STORE_UNAVAILABLE);
			CHECK(now_ms() - t0 >= 2100);
			CHECK(wait_for(&st2.downs, 1, 1000));
			CHECK(wait_for(&st2.ups, 2, 5000));
		} else
			printf("skip no-answer test: kill(SIGSTOP): %s\n",
			    strerror(errno));
		zes_store_free(s2);
	}

	/* --- the conninfo's own options survive statement_timeout --- */
	if (strstr(argv[1], "://") == NULL) {
		snprintf(ci, sizeof(ci), "%s options='-c work_mem=7MB'", argv[1]);
		opts_init(&o, ci, "smoke/options", 200, 2);
		s2 = connect_store(&o, &st2);
		CHECK(s2 != NULL);
		if (s2 != NULL) {
			CHECK(run_query(s2, "SELECT current_setting('work_mem') "
			    "|| ' ' || current_setting('statement_timeout')",
			    0, NULL, &a));
			CHECK(strcmp(a.value, "7MB 200ms") == 0);
			zes_store_free(s2);
		}
	}

	/* --- our connect timer: a server that never answers --- */
	lfd = listen_silent(&port);
	CHECK(lfd >= 0);
	if (lfd >= 0) {
		snprintf(ci, sizeof(ci), "hostaddr=127.0.0.1 port=%d dbname=x "
		    "sslmode=disable gssencmode=disable", port);
		opts_init(&o, ci, "smoke/silent", 200, 2);
		o.connect_timeout_ms = 200;
		o.backoff_min_ms = o.backoff_max_ms = 10000;
		memset(&stdown, 0, sizeof(stdown));
		down = zes_store_new(base, &o, state_cb, &stdown);
		loop_for(500);
		CHECK(zes_store_connected(down) == 0);
		/* libpq sent its startup packet, then we gave up and closed. */
		CHECK(peer_closed(lfd) == 1);
		zes_store_free(down);
		close(lfd);
		CHECK(stdown.ups == 0 && stdown.downs == 0);
	}

	zes_store_get_stats(db, &stats);
	CHECK(stats.jobs_total > 20 && stats.errors_total >= 5);
	CHECK(stats.reconnects_total == 0 && st.downs == 0);

out:
	if (db != NULL)
		zes_store_free(db);
	event_free(tick);
	event_base_free(base);
	libevent_global_shutdown();
	printf("%d passed, %d failed\n", npass, nfail);
	return nfail == 0 ? 0 : 1;
}
