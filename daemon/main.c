/*
 * zesd process lifecycle, in this order and nowhere else: arguments, config,
 * logging, routes, workers, signals, the token cache, the start-up check of
 * the database (a standby only for read_only; read_only needs a current
 * schema), readiness (sd_notify for systemd's Type=notify), rules reloads
 * (SIGHUP and POST /v1/rule-set-reloads) with their audit entries, shutdown.
 */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/queue.h>

#include <libpq-fe.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <jansson.h>
#include <systemd/sd-daemon.h>

#include "zes/auditlink.h"
#include "zes/auth.h"
#include "zes/builder.h"
#include "zes/rulesdir.h"
#include "zes/signing.h"
#include "zes/tls.h"
#include "zes/config.h"
#include "zes/log.h"
#include "zes/router.h"
#include "zes/store.h"
#include "zes/tokenuse.h"
#include "zes/version.h"
#include "zes/worker.h"
#include "zes/xmalloc.h"

#define MAIN_AUDIT_MAX		64	/* reload audit entries waiting, at most */
#define MAIN_AUDIT_RETRY_MS	1000	/* after the database was unavailable */
#define MAIN_READY_POLL_MS	50	/* until ready: look whether every worker is */
#define MAIN_READY_BACKOFF	20	/* polls skipped after a failed schema query */
#define MAIN_LINK_LAST_MS	5000	/* stopping: the last audit link, at most */
#define MAIN_REPLAY_POLL_MS	1000	/* read_only: how often the replay delay is asked */

/*
 * The audit entry of a rules reload, waiting for the main thread's store:
 * the reload is in force already; the entry follows it, in order, and is
 * retried while the database is away.
 */
struct main_audit {
	TAILQ_ENTRY(main_audit)	 entry;
	char			*actor;
	char			*detail;	/* JSON text */
};
TAILQ_HEAD(main_audits, main_audit);

/* The main thread's state: signals, reload, and the token cache refresh. */
struct main_state {
	struct zes_server	 srv;
	struct event_base	*base;
	const char		*config_path;
	struct event		*sigterm, *sigint, *sighup, *token_timer;
	struct zes_store_job	*token_job;
	char			*token_version;		/* of the set published last */
	char			*pending_version;	/* of the set being loaded */
	int			 token_warned;
	struct main_audits	 audits;		/* reload entries to write, oldest first */
	unsigned		 naudits;
	struct zes_store_job	*audit_job;		/* writing the first of audits */
	struct event		*audit_timer;		/* retry while the database is away */
	int			 audit_warned;
	struct event		*stop_timer;		/* stopping: the last wait for audits */
	struct event		*ready_timer;		/* until READY=1 was sent */
	struct zes_store_job	*ready_job;		/* the schema query of readiness */
	unsigned		 ready_skip;		/* polls to skip before asking again */
	int			 ready;			/* READY=1 sent: serving */
	struct zes_auditlink	*link;			/* links audit entries into the chain */
	struct zes_tokenuse	*tokenuse;		/* writes the tokens' last use */
	int			 notify_warned;
	int			 checked;		/* the database passed main_check_done_cb */
	int			 schema_behind_said;	/* logged that the schema is old */
	int			 exit_status;		/* 1 once the start was refused */
	struct event		*replay_timer;		/* read_only: the replay delay */
	struct zes_store_job	*replay_job;
};

static void	main_usage(FILE *);
static void	main_stop_cb(evutil_socket_t, short, void *);
static void	main_hup_cb(evutil_socket_t, short, void *);
static void	main_token_timer_cb(evutil_socket_t, short, void *);
static void	main_token_version_cb(const struct zes_store_result *, void *);
static void	main_token_load_cb(const struct zes_store_result *, void *);
static void	main_store_state_cb(struct zes_store *, int, void *);
static struct zes_rules *main_load_rules(const char *, struct zes_rule_errors *);
static void	main_reload_rules(struct main_state *, uint64_t, const char *,
		    const char *);
static void	main_reload_cb(evutil_socket_t, short, void *);
static void	main_audit_kick(struct main_state *);
static void	main_audit_done_cb(const struct zes_store_result *, void *);
static void	main_audit_timer_cb(evutil_socket_t, short, void *);
static void	main_stop_when_written(struct main_state *);
static void	main_libevent_log_cb(int, const char *);
static void	main_write_port_file(struct main_state *);
static void	main_notify(struct main_state *, const char *);
static int	main_workers_ready(struct main_state *);
static void	main_ready_timer_cb(evutil_socket_t, short, void *);
static void	main_ready_done_cb(const struct zes_store_result *, void *);
static void	main_check_done_cb(const struct zes_store_result *, void *);
static void	main_replay_done_cb(const struct zes_store_result *, void *);
static void	main_schema_done_cb(const struct zes_store_result *, void *);
static void	main_begin_stop(struct main_state *);

/* Print usage and the configuration keys. */
static void
main_usage(FILE *f)
{
	fprintf(f,
	    "usage: zesd [--config FILE]\n"
	    "       zesd --help | --version | --routes\n\n"
	    "Serves the ZE-zone exemptions desk API.  Every configuration key can\n"
	    "also be set as the environment variable ZES_<KEY>, which wins.\n\n"
	    "Configuration keys:\n");
	zes_config_usage(f);
}

/* libevent's own warnings and errors, into our log. */
static void
main_libevent_log_cb(int severity, const char *msg)
{
	char	q[600];

	zes_log_event(severity >= EVENT_LOG_ERR ? ZES_LOG_ERROR :
	    severity == EVENT_LOG_WARN ? ZES_LOG_WARN : ZES_LOG_DEBUG,
	    "libevent", NULL, "message", "msg=%s",
	    zes_log_quote(q, sizeof(q), msg, 500));
}

/*
 * Tell systemd (Type=notify) about a state change: sd_notify(3) does
 * nothing when NOTIFY_SOCKET is unset, as outside systemd.  A failure to
 * send is logged once and otherwise ignored: serving matters more.
 */
static void
main_notify(struct main_state *m, const char *state)
{
	char	q[300];
	int	rc;

	if ((rc = sd_notify(0, state)) >= 0 || m->notify_warned)
		return;
	m->notify_warned = 1;
	zes_log_warn("main", "sd_notify_failed", "error=%s state=%s",
	    strerror(-rc), zes_log_quote(q, sizeof(q), state, 200));
}

/*
 * Would every worker's /readyz pass, but for its schema query?  The token
 * set and the access index reached each worker (a worker swaps them under
 * srv->lock) and each worker's database connection is up.
 */
static int
main_workers_ready(struct main_state *m)
{
	struct zes_server	*srv = &m->srv;
	unsigned		 i;
	int			 ready;

	pthread_mutex_lock(&srv->lock);
	ready = srv->tokens != NULL && srv->index != NULL;
	for (i = 0; ready && i < srv->nworkers; i++)
		ready = srv->workers[i].tokens != NULL &&
		    srv->workers[i].index != NULL &&
		    atomic_load(&srv->workers[i].db_connected) != 0;
	pthread_mutex_unlock(&srv->lock);
	return ready;
}

/*
 * Until ready, every MAIN_READY_POLL_MS: once every worker holds the token
 * set and the index, ask the database /readyz's schema question.
 */
static void
main_ready_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	static const char	 sql[] = "SELECT max(version) FROM schema_migrations";
	struct main_state	*m = arg;

	(void)fd;
	(void)what;
	if (m->ready || m->ready_job != NULL || atomic_load(&m->srv.stopping))
		return;
	if (m->ready_skip > 0) {
		m->ready_skip--;
		return;
	}
	if (!zes_store_connected(m->srv.store))
		return;
	if (!m->checked) {
		m->ready_job = zes_store_query(m->srv.store,
		    "SELECT pg_is_in_recovery()", 0, NULL, main_check_done_cb, m);
		return;
	}
	if (!main_workers_ready(m))
		return;
	m->ready_job = zes_store_query(m->srv.store, sql, 0, NULL,
	    main_ready_done_cb, m);
}

/*
 * Refuse to go on with this database: log why, and stop as at SIGTERM, with
 * exit status 1 (systemd sees the start fail: READY=1 was not sent).
 */
static void
main_refuse(struct main_state *m, const char *reason)
{
	char	q[600], state[700];

	zes_log_error("main", "start_refused", "reason=%s",
	    zes_log_quote(q, sizeof(q), reason, 500));
	snprintf(state, sizeof(state), "STATUS=refused to start: %s", reason);
	main_notify(m, state);
	m->exit_status = 1;
	main_begin_stop(m);
}

/*
 * The start-up check, before readiness: a database in recovery (a hot
 * standby) takes no writes, so only a read_only zesd may use it; a
 * read_only zesd cannot migrate, so its schema must be current already.
 */
static void
main_check_done_cb(const struct zes_store_result *res, void *arg)
{
	static const char	 sql[] = "SELECT max(version) FROM schema_migrations";
	struct main_state	*m = arg;
	int			 recovery;

	m->ready_job = NULL;
	if (atomic_load(&m->srv.stopping))
		return;
	if (res->status != ZES_STORE_OK) {
		m->ready_skip = MAIN_READY_BACKOFF;	/* asked again, not so often */
		return;
	}
	recovery = strcmp(PQgetvalue(res->res[0], 0, 0), "t") == 0;
	if (recovery && !m->srv.cfg->read_only) {
		main_refuse(m, "the database is in recovery (a hot standby) and "
		    "takes no writes: set read_only = true for a zesd that serves "
		    "reads from a standby, or point database_url at the primary");
		return;
	}
	if (!m->srv.cfg->read_only) {
		m->checked = 1;
		return;
	}
	zes_log_info("main", "read_only", "database_in_recovery=%s "
	    "schema_needed=%s", recovery ? "true" : "false", ZES_SCHEMA_VERSION);
	m->ready_job = zes_store_query(m->srv.store, sql, 0, NULL,
	    main_schema_done_cb, m);
}

/* read_only: the schema version arrived; older than this zesd needs is fatal. */
static void
main_schema_done_cb(const struct zes_store_result *res, void *arg)
{
	struct main_state	*m = arg;
	const char		*have;
	char			 why[400];

	m->ready_job = NULL;
	if (atomic_load(&m->srv.stopping))
		return;
	if (res->status == ZES_STORE_ERROR && strcmp(res->sqlstate, "42P01") == 0)
		have = NULL;		/* no schema_migrations: no schema at all */
	else if (res->status != ZES_STORE_OK) {
		m->ready_skip = MAIN_READY_BACKOFF;
		return;
	} else if (PQgetisnull(res->res[0], 0, 0))
		have = NULL;
	else
		have = PQgetvalue(res->res[0], 0, 0);
	if (have == NULL || strcmp(have, ZES_SCHEMA_VERSION) < 0) {
		snprintf(why, sizeof(why), "read_only: the database's schema is at "
		    "%s and this zesd needs %s; a read_only zesd cannot migrate: run "
		    "zesctl migrate on the primary (the standby follows)",
		    have != NULL ? have : "none", ZES_SCHEMA_VERSION);
		main_refuse(m, why);
		return;
	}
	m->checked = 1;
}

/*
 * read_only, every MAIN_REPLAY_POLL_MS: how far the standby's WAL replay is
 * behind (0 when it has replayed all it received; unknown on a primary).
 */
static void
main_replay_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	static const char	 sql[] = "SELECT CASE WHEN NOT pg_is_in_recovery()"
	    " THEN NULL WHEN coalesce(pg_last_wal_receive_lsn(),"
	    " pg_last_wal_replay_lsn()) = pg_last_wal_replay_lsn()"
	    " THEN 0 ELSE extract(epoch FROM now() -"
	    " pg_last_xact_replay_timestamp()) END";
	struct main_state	*m = arg;

	(void)fd;
	(void)what;
	if (m->replay_job != NULL || !zes_store_connected(m->srv.store) ||
	    atomic_load(&m->srv.stopping))
		return;
	m->replay_job = zes_store_query(m->srv.store, sql, 0, NULL,
	    main_replay_done_cb, m);
}

/* The replay delay arrived: publish it for /metrics (-1: unknown). */
static void
main_replay_done_cb(const struct zes_store_result *res, void *arg)
{
	struct main_state	*m = arg;
	long long		 ms = -1;
	double			 s;

	m->replay_job = NULL;
	if (res->status == ZES_STORE_OK && !PQgetisnull(res->res[0], 0, 0)) {
		s = strtod(PQgetvalue(res->res[0], 0, 0), NULL);
		ms = s > 0 ? (long long)(s * 1000.0 + 0.5) : 0;	/* clocks may differ */
	}
	atomic_store(&m->srv.replay_delay_ms, ms);
}

/* The schema question was answered: with a schema, zesd is ready (READY=1). */
static void
main_ready_done_cb(const struct zes_store_result *res, void *arg)
{
	struct main_state	*m = arg;

	m->ready_job = NULL;
	if (res->status != ZES_STORE_OK || PQgetisnull(res->res[0], 0, 0)) {
		m->ready_skip = MAIN_READY_BACKOFF;	/* no migrations yet: not so often */
		return;
	}
	/*
	 * A schema older than this zesd's statements need (a new binary
	 * started before `zesctl migrate`): not ready, said once, until the
	 * migration arrives, rather than 500 on every write.
	 */
	if (strcmp(PQgetvalue(res->res[0], 0, 0), ZES_SCHEMA_VERSION) < 0) {
		if (!m->schema_behind_said)
			zes_log_warn("main", "schema_behind", "have=%s need=%s "
			    "hint=\"run zesctl migrate\"",
			    PQgetvalue(res->res[0], 0, 0), ZES_SCHEMA_VERSION);
		m->schema_behind_said = 1;
		m->ready_skip = MAIN_READY_BACKOFF;
		return;
	}
	if (atomic_load(&m->srv.stopping) || !main_workers_ready(m))
		return;
	m->ready = 1;
	evtimer_del(m->ready_timer);
	zes_log_info("main", "ready", "schema_version=%s",
	    PQgetvalue(res->res[0], 0, 0));
	main_notify(m, "READY=1\nSTATUS=serving");
}

/* SIGTERM / SIGINT: stop accepting, let requests in flight finish, exit 0. */
static void
main_stop_cb(evutil_socket_t sig, short what, void *arg)
{
	struct main_state	*m = arg;

	(void)what;
	if (atomic_load(&m->srv.stopping))
		return;
	zes_log_info("main", "stopping", "signal=%d", (int)sig);
	main_begin_stop(m);
}

/* Stop: no new connections, the requests in flight finish, then the loop ends. */
static void
main_begin_stop(struct main_state *m)
{
	if (atomic_exchange(&m->srv.stopping, 1))
		return;
	main_notify(m, "STOPPING=1\nSTATUS=stopping: finishing requests in flight");
	zes_workers_notify(&m->srv);
	main_stop_when_written(m);
}

/* Stopping took too long for the reload audit entries: leave anyway. */
static void
main_stop_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct main_state	*m = arg;

	(void)fd;
	(void)what;
	event_base_loopexit(m->base, NULL);
}

/*
 * Stopping: leave the main loop (the workers drain on their own) once no
 * reload audit entry waits, so that a reload just before SIGTERM keeps its
 * entry.  Not while the database is away, and at most shutdown_timeout_ms.
 */
static void
main_stop_when_written(struct main_state *m)
{
	unsigned	ms = m->srv.cfg->shutdown_timeout_ms;
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	if (m->naudits == 0 || (m->audit_job == NULL &&
	    !zes_store_connected(m->srv.store))) {
		event_base_loopexit(m->base, NULL);
		return;
	}
	if (m->stop_timer == NULL) {
		m->stop_timer = evtimer_new(m->base, main_stop_timer_cb, m);
		evtimer_add(m->stop_timer, &tv);
	}
}

/*
 * SIGHUP: read the configuration again and publish what can change live.
 * Once ready, systemd hears RELOADING=1 (with the monotonic time it wants
 * to match the reload to its request) and READY=1 when done, failed or not:
 * zesd serves on with what it had.
 */
static void
main_hup_cb(evutil_socket_t sig, short what, void *arg)
{
	struct main_state	*m = arg;
	struct zes_config	*fresh, *next;
	struct timespec		 ts;
	char			*err = NULL, *restart, q[600], state[96];

	(void)sig;
	(void)what;
	if (m->ready) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		snprintf(state, sizeof(state), "RELOADING=1\nMONOTONIC_USEC=%llu",
		    (unsigned long long)ts.tv_sec * 1000000ULL +
		    (unsigned long long)ts.tv_nsec / 1000ULL);
		main_notify(m, state);
	}
	zes_log_info("main", "reload", "config=%s",
	    zes_log_quote(q, sizeof(q), m->config_path ? m->config_path : "-", 400));
	if ((fresh = zes_config_load(m->config_path, &err)) == NULL) {
		zes_log_error("main", "reload_failed", "error=%s",
		    zes_log_quote(q, sizeof(q), err, 500));
		free(err);
		if (m->ready)
			main_notify(m, "READY=1\nSTATUS=serving; the last reload "
			    "failed: the configuration has errors");
		return;
	}
	if ((restart = zes_config_restart_needed(m->srv.cfg, fresh)) != NULL) {
		zes_log_warn("main", "reload_needs_restart", "keys=%s",
		    zes_log_quote(q, sizeof(q), restart, 500));
		free(restart);
	}
	next = zes_config_reload(m->srv.cfg, fresh);
	zes_config_unref(fresh);
	zes_log_set_level(next->log_level);
	zes_log_set_format(next->log_format);
	zes_server_publish_config(&m->srv, next);
	zes_server_reload_tls(&m->srv);
	main_reload_rules(m, 0, "zesd", "SIGHUP");
	zes_log_info("main", "reloaded", "log_level=%d", (int)next->log_level);
	if (m->ready)
		main_notify(m, "READY=1\nSTATUS=serving");
}

/*
 * Load the rules folder.  On failure every error is logged, appended to
 * errs (the caller frees them) and NULL returned: the caller keeps the
 * rules in force (or stops at start-up).
 */
static struct zes_rules *
main_load_rules(const char *dir, struct zes_rule_errors *errs)
{
	struct zes_rules	*rules;
	char			 q1[600], q2[600];
	size_t			 i;

	if ((rules = zes_rules_load_dir(dir, errs)) != NULL) {
		zes_log_info("main", "rules_loaded", "dir=%s municipalities=%zu "
		    "national_version=%s", zes_log_quote(q1, sizeof(q1), dir, 400),
		    rules->nmunis, zes_log_quote(q2, sizeof(q2),
		    rules->national_info.version, 100));
		return rules;
	}
	for (i = 0; i < errs->n; i++)
		zes_log_error("main", "rules_invalid", "where=%s error=%s",
		    zes_log_quote(q1, sizeof(q1), errs->v[i].where, 400),
		    zes_log_quote(q2, sizeof(q2), errs->v[i].message, 400));
	return NULL;
}

/* One rule set in a reload's audit detail; its code goes on `changed` when new or different. */
static void
main_audit_set(json_t *sets, json_t *changed, const char *code,
    const struct zes_ruleset_info *now, const struct zes_ruleset_info *before)
{
	json_array_append_new(sets, json_pack("{s:s, s:s, s:s}", "municipality",
	    code, "version", now->version, "sha256", now->sha256));
	if (before == NULL || strcmp(before->sha256, now->sha256) != 0)
		json_array_append_new(changed, json_string(code));
}

/*
 * Queue the audit entry of a reload that put `rules` in force in place of
 * `old`: one entry per reload (action rule-set.reload, object rule-set/all)
 * listing every rule set now loaded with its version and SHA-256, and the
 * codes that changed or went away.
 */
static void
main_audit_reload(struct main_state *m, const char *actor, const char *trigger,
    const struct zes_rules *old, const struct zes_rules *rules)
{
	const struct zes_municipality	*prev;
	struct main_audit		*a;
	json_t				*sets, *changed, *removed, *d;
	size_t				 i;

	if (m->srv.cfg->read_only) {
		/* A standby takes no audit entry: the primary's zesd writes its own. */
		char q[100];

		zes_log_info("main", "reload_not_audited", "trigger=%s "
		    "reason=read_only", zes_log_quote(q, sizeof(q), trigger, 60));
		return;
	}
	sets = json_array();
	changed = json_array();
	removed = json_array();
	main_audit_set(sets, changed, "national", &rules->national_info,
	    old != NULL ? &old->national_info : NULL);
	for (i = 0; i < rules->nmunis; i++) {
		prev = old != NULL ?
		    zes_rules_municipality(old, rules->munis[i].code) : NULL;
		main_audit_set(sets, changed, rules->munis[i].code,
		    rules->munis[i].info, prev != NULL ? prev->info : NULL);
	}
	for (i = 0; old != NULL && i < old->nmunis; i++)
		if (zes_rules_municipality(rules, old->munis[i].code) == NULL)
			json_array_append_new(removed,
			    json_string(old->munis[i].code));
	d = json_pack("{s:s, s:o, s:o, s:o}", "trigger", trigger, "ruleSets",
	    sets, "changed", changed, "removed", removed);
	if (d == NULL)
		zes_fatalx("json_pack of a reload audit entry failed");
	if (m->naudits >= MAIN_AUDIT_MAX) {
		zes_log_error("main", "reload_audit_dropped", "waiting=%u "
		    "reason=\"the database has been unavailable too long\"",
		    m->naudits);
		json_decref(d);
		return;
	}
	a = xcalloc(1, sizeof(*a));
	a->actor = xstrdup(actor);
	if ((a->detail = json_dumps(d, JSON_COMPACT)) == NULL)
		zes_fatalx("json_dumps of a reload audit entry failed");
	json_decref(d);
	TAILQ_INSERT_TAIL(&m->audits, a, entry);
	m->naudits++;
	main_audit_kick(m);
}

/*
 * Reload the rules folder, all or nothing: the one path of SIGHUP (ticket
 * 0) and POST /v1/rule-set-reloads (the request's ticket).  A folder
 * without errors is published to the workers and the index builder and
 * gets its audit entry; otherwise the rules in force stay.  For a ticket,
 * the outcome (the rules loaded, or every error) is published for the
 * worker that asked.  File reads block this thread for a moment; workers
 * keep serving.
 */
static void
main_reload_rules(struct main_state *m, uint64_t ticket, const char *actor,
    const char *trigger)
{
	struct zes_rule_errors	 errs = { NULL, 0 };
	struct zes_rules	*rules;
	struct zes_reload	*o;
	char			 q1[300], q2[100];

	zes_log_info("main", "rules_reload", "trigger=%s actor=%s ticket=%llu",
	    zes_log_quote(q2, sizeof(q2), trigger, 60),
	    zes_log_quote(q1, sizeof(q1), actor, 200), (unsigned long long)ticket);
	if ((rules = main_load_rules(m->srv.cfg->rules_dir, &errs)) != NULL) {
		main_audit_reload(m, actor, trigger, m->srv.rules, rules);
		zes_server_publish_rules(&m->srv, rules);
		zes_builder_set_rules(m->srv.builder, rules);
	} else
		zes_log_error("main", "rules_kept", "trigger=%s errors=%zu "
		    "reason=\"the rules folder has errors\"",
		    zes_log_quote(q2, sizeof(q2), trigger, 60), errs.n);
	if (ticket == 0) {
		zes_rules_unref(rules);
		zes_rule_errors_free(&errs);
		return;
	}
	o = zes_reload_new(ticket);
	o->rules = rules;		/* the reference moves */
	o->errs = errs;
	zes_server_publish_reload(&m->srv, o);
}

/* Workers asked for reloads: run one for each ask, in ticket order. */
static void
main_reload_cb(evutil_socket_t fd, short what, void *arg)
{
	struct main_state	*m = arg;
	struct zes_reload_ask	 asks[ZES_RELOAD_ASKS_MAX];
	unsigned		 i, n;

	(void)fd;
	(void)what;
	n = zes_server_take_reload_asks(&m->srv, asks);
	for (i = 0; i < n && !atomic_load(&m->srv.stopping); i++)
		main_reload_rules(m, asks[i].ticket, asks[i].actor,
		    "POST /v1/rule-set-reloads");
}

/* Write the oldest waiting reload audit entry, unless one is in flight or a retry is armed. */
static void
main_audit_kick(struct main_state *m)
{
	static const char	 sql[] = "SELECT zes_audit_append($1,"
	    " 'rule-set.reload', 'rule-set/all', $2::jsonb)::text";
	struct main_audit	*a = TAILQ_FIRST(&m->audits);
	struct timeval		 tv = { MAIN_AUDIT_RETRY_MS / 1000,
	    (MAIN_AUDIT_RETRY_MS % 1000) * 1000 };
	const char		*params[2];

	if (a == NULL || m->audit_job != NULL ||
	    evtimer_pending(m->audit_timer, NULL))
		return;
	params[0] = a->actor;
	params[1] = a->detail;
	m->audit_job = zes_store_query(m->srv.store, sql, 2, params,
	    main_audit_done_cb, m);
	if (m->audit_job == NULL) {
		if (!m->audit_warned)
			zes_log_warn("main", "reload_audit_delayed",
			    "waiting=%u reason=\"the database is unavailable\"",
			    m->naudits);
		m->audit_warned = 1;
		evtimer_add(m->audit_timer, &tv);
	}
}

/* Drop the oldest reload audit entry. */
static void
main_audit_pop(struct main_state *m)
{
	struct main_audit	*a = TAILQ_FIRST(&m->audits);

	TAILQ_REMOVE(&m->audits, a, entry);
	m->naudits--;
	free(a->actor);
	free(a->detail);
	free(a);
}

/* A reload audit entry was written (or refused, or the database went away). */
static void
main_audit_done_cb(const struct zes_store_result *res, void *arg)
{
	struct main_state	*m = arg;
	struct timeval		 tv = { MAIN_AUDIT_RETRY_MS / 1000,
	    (MAIN_AUDIT_RETRY_MS % 1000) * 1000 };
	char			 q[300];

	m->audit_job = NULL;
	switch (res->status) {
	case ZES_STORE_OK:
		zes_log_info("main", "reload_audited", "id=%s",
		    PQgetvalue(res->res[0], 0, 0));
		m->audit_warned = 0;
		main_audit_pop(m);
		break;
	case ZES_STORE_ERROR:
		zes_log_error("main", "reload_audit_failed", "sqlstate=%s error=%s",
		    res->sqlstate, zes_log_quote(q, sizeof(q), res->message, 200));
		main_audit_pop(m);
		break;
	default:
		if (!m->audit_warned)
			zes_log_warn("main", "reload_audit_delayed", "waiting=%u "
			    "reason=\"the database is unavailable\"", m->naudits);
		m->audit_warned = 1;
		if (atomic_load(&m->srv.stopping))
			event_base_loopexit(m->base, NULL);	/* no waiting for it now */
		else
			evtimer_add(m->audit_timer, &tv);
		return;
	}
	main_audit_kick(m);
	if (atomic_load(&m->srv.stopping))
		main_stop_when_written(m);
}

/* Retry writing reload audit entries. */
static void
main_audit_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	main_audit_kick(arg);
}

/* The main thread's store connected or lost its connection. */
static void
main_store_state_cb(struct zes_store *st, int connected, void *arg)
{
	struct main_state	*m = arg;

	(void)st;
	atomic_store(&m->srv.main_db_connected, (unsigned)connected);
}

/* Every token_refresh_ms: ask whether the tokens changed. */
static void
main_token_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct main_state	*m = arg;

	(void)fd;
	(void)what;
	if (m->token_job != NULL || !zes_store_connected(m->srv.store))
		return;
	m->token_job = zes_store_query(m->srv.store, zes_tokens_version_sql, 0,
	    NULL, main_token_version_cb, m);
}

/* The token version arrived: load the set when it changed. */
static void
main_token_version_cb(const struct zes_store_result *res, void *arg)
{
	struct main_state	*m = arg;
	const char		*v;

	m->token_job = NULL;
	if (res->status != ZES_STORE_OK) {
		if (!m->token_warned)
			zes_log_warn("main", "tokens_unavailable",
			    "sqlstate=%s", res->sqlstate[0] ? res->sqlstate : "-");
		m->token_warned = 1;
		return;
	}
	v = PQgetvalue(res->res[0], 0, 0);
	if (m->token_version != NULL && strcmp(v, m->token_version) == 0)
		return;
	free(m->pending_version);
	m->pending_version = xstrdup(v);
	m->token_job = zes_store_query(m->srv.store, zes_tokens_sql, 0, NULL,
	    main_token_load_cb, m);
}

/* The tokens arrived: build and publish a new set. */
static void
main_token_load_cb(const struct zes_store_result *res, void *arg)
{
	struct main_state	*m = arg;
	struct zes_tokens	*t;
	char			*err = NULL, q[300];

	m->token_job = NULL;
	if (res->status != ZES_STORE_OK)
		return;
	if ((t = zes_tokens_from_result(res->res[0], &err)) == NULL) {
		zes_log_error("main", "tokens_invalid", "error=%s",
		    zes_log_quote(q, sizeof(q), err, 200));
		free(err);
		return;
	}
	m->token_warned = 0;
	free(m->token_version);
	m->token_version = m->pending_version;
	m->pending_version = NULL;
	zes_log_info("main", "tokens_loaded", "count=%zu", zes_tokens_count(t));
	zes_server_publish_tokens(&m->srv, t);
}

/*
 * PQconnectStart resolves a host name with a blocking lookup, on the worker
 * that connects.  Warn when the conninfo asks for that (a socket path,
 * a numeric host or hostaddr avoid it); reading the conninfo does no I/O.
 */
static void
main_check_conninfo(const char *conninfo)
{
	PQconninfoOption	*opts, *o;
	const char		*host = NULL, *hostaddr = NULL;
	unsigned char		 addr[16];
	char			*err = NULL;

	if ((opts = PQconninfoParse(conninfo, &err)) == NULL) {
		zes_fatal("database_url: %s", err ? err : "cannot be parsed");
	}
	for (o = opts; o->keyword != NULL; o++) {
		if (strcmp(o->keyword, "host") == 0)
			host = o->val;
		else if (strcmp(o->keyword, "hostaddr") == 0)
			hostaddr = o->val;
	}
	if (host != NULL && host[0] != '\0' && host[0] != '/' &&
	    (hostaddr == NULL || hostaddr[0] == '\0') &&
	    inet_pton(AF_INET, host, addr) != 1 &&
	    inet_pton(AF_INET6, host, addr) != 1)
		zes_log_warn("main", "database_url_host_name",
		    "advice=\"give hostaddr or a socket path: a host name is looked up with a blocking call at every connect\"");
	PQconninfoFree(opts);
}

/* Write the first listener's port to port_file (via a rename, so readers see it whole). */
static void
main_write_port_file(struct main_state *m)
{
	const char	*path = m->srv.cfg->port_file;
	char		*tmp;
	FILE		*f;

	if (path[0] == '\0')
		return;
	xasprintf(&tmp, "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL ||
	    fprintf(f, "%u\n", zes_workers_port(&m->srv, 0)) < 0 ||
	    fclose(f) != 0 || rename(tmp, path) != 0)
		zes_fatal("port_file: cannot write %s: %s", path, strerror(errno));
	free(tmp);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "routes", no_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 }
	};
	struct main_state	 m;
	struct zes_store_opts	 opts;
	struct zes_builder_opts	 bopts;
	struct zes_rule_errors	 errs = { NULL, 0 };
	struct main_audit	*a;
	struct timeval		 tv;
	char			*err = NULL;
	int			 ch, i;

	memset(&m, 0, sizeof(m));
	TAILQ_INIT(&m.audits);
	while ((ch = getopt_long(argc, argv, "c:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			m.config_path = optarg;
			break;
		case 'h':
			main_usage(stdout);
			return 0;
		case 'V':
			printf("zesd %s (API %s)\n", ZES_VERSION, ZES_API_VERSION);
			return 0;
		case 'R':
			zes_router_init();
			zes_router_print(stdout);
			return 0;
		default:
			main_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		main_usage(stderr);
		return 2;
	}

	if ((m.srv.cfg = zes_config_load(m.config_path, &err)) == NULL)
		zes_fatal("%s", err);
	zes_log_init("zesd", m.srv.cfg->log_level, m.srv.cfg->log_format);
	if (geteuid() == 0)
		zes_log_warn("main", "running_as_root",
		    "advice=\"run zesd as its own system user\"");
	if (m.srv.cfg->signing_key[0] != '\0' &&
	    (m.srv.signer = zes_signer_load(m.srv.cfg->signing_key,
	    zes_workers_count(m.srv.cfg), &err)) == NULL)
		zes_fatal("%s", err);
	if (m.srv.cfg->tls_cert[0] != '\0' &&
	    (m.srv.tls = zes_tls_load(m.srv.cfg, &err)) == NULL)
		zes_fatal("%s", err);

	main_check_conninfo(m.srv.cfg->database_url);
	signal(SIGPIPE, SIG_IGN);
	if (evthread_use_pthreads() != 0)
		zes_fatal("libevent has no pthreads support");
	event_set_log_callback(main_libevent_log_cb);
	json_object_seed(0);
	pthread_mutex_init(&m.srv.lock, NULL);
	atomic_init(&m.srv.replay_delay_ms, -1);
	zes_router_init();

	if ((m.srv.rules = main_load_rules(m.srv.cfg->rules_dir, &errs)) == NULL) {
		zes_rule_errors_free(&errs);
		zes_fatal("rules_dir: %s has errors (logged above)",
		    m.srv.cfg->rules_dir);
	}

	if ((m.base = event_base_new()) == NULL)
		zes_fatal("event_base_new failed");
	/* Before the workers exist: they wake it to ask for reloads. */
	m.srv.reload_ev = event_new(m.base, -1, 0, main_reload_cb, &m);
	m.audit_timer = evtimer_new(m.base, main_audit_timer_cb, &m);
	if (zes_workers_create(&m.srv, &err) != 0)
		zes_fatal("%s", err);
	main_write_port_file(&m);

	memset(&opts, 0, sizeof(opts));
	opts.conninfo = m.srv.cfg->database_url;
	opts.application_name = "zesd/main";
	opts.statement_timeout_ms = m.srv.cfg->statement_timeout_ms;
	opts.connect_timeout_ms = m.srv.cfg->db_connect_timeout_ms;
	opts.queue_max = 4;
	opts.backoff_min_ms = 100;
	opts.backoff_max_ms = 2000;
	m.srv.store = zes_store_new(m.base, &opts, main_store_state_cb, &m);
	/* read_only: nothing is written, so no linking (the primary's zesd links). */
	if (!m.srv.cfg->read_only)
		m.link = zes_auditlink_start(m.base, m.srv.store,
		    m.srv.cfg->audit_link_ms);
	/* NULL for read_only: no token's last use is written either. */
	m.tokenuse = zes_tokenuse_start(m.base, &m.srv,
	    m.srv.cfg->token_last_use_ms);

	m.sigterm = evsignal_new(m.base, SIGTERM, main_stop_cb, &m);
	m.sigint = evsignal_new(m.base, SIGINT, main_stop_cb, &m);
	m.sighup = evsignal_new(m.base, SIGHUP, main_hup_cb, &m);
	evsignal_add(m.sigterm, NULL);
	evsignal_add(m.sigint, NULL);
	evsignal_add(m.sighup, NULL);
	m.token_timer = event_new(m.base, -1, EV_PERSIST, main_token_timer_cb, &m);
	tv.tv_sec = m.srv.cfg->token_refresh_ms / 1000;
	tv.tv_usec = (m.srv.cfg->token_refresh_ms % 1000) * 1000;
	evtimer_add(m.token_timer, &tv);
	m.ready_timer = event_new(m.base, -1, EV_PERSIST, main_ready_timer_cb, &m);
	tv.tv_sec = MAIN_READY_POLL_MS / 1000;
	tv.tv_usec = (MAIN_READY_POLL_MS % 1000) * 1000;
	evtimer_add(m.ready_timer, &tv);
	m.replay_timer = event_new(m.base, -1, EV_PERSIST, main_replay_timer_cb, &m);
	if (m.srv.cfg->read_only) {
		tv.tv_sec = MAIN_REPLAY_POLL_MS / 1000;
		tv.tv_usec = (MAIN_REPLAY_POLL_MS % 1000) * 1000;
		evtimer_add(m.replay_timer, &tv);
	}
	main_notify(&m, "STATUS=starting: waiting for the database, the token "
	    "cache and the access index");

	memset(&bopts, 0, sizeof(bopts));
	bopts.conninfo = m.srv.cfg->database_url;
	bopts.poll_ms = m.srv.cfg->index_poll_ms;
	bopts.max_overlay = m.srv.cfg->index_max_overlay;
	bopts.statement_timeout_ms = m.srv.cfg->statement_timeout_ms;
	bopts.poll_only = m.srv.cfg->read_only;
	m.srv.builder = zes_builder_start(&m.srv, &bopts, m.srv.rules);
	zes_workers_start(&m.srv);
	for (i = 0; i < m.srv.cfg->nlisten; i++)
		zes_log_info("main", "listening", "address=%s port=%u workers=%u",
		    m.srv.cfg->listen[i].host, zes_workers_port(&m.srv, i),
		    m.srv.nworkers);

	event_base_dispatch(m.base);

	/* No reload audit callback from here on: the workers go away below. */
	if (m.audit_job != NULL)
		zes_store_abandon(m.audit_job);
	if (m.naudits > 0)
		zes_log_warn("main", "reload_audit_lost", "waiting=%u "
		    "reason=\"stopping before the database took them\"", m.naudits);
	while ((a = TAILQ_FIRST(&m.audits)) != NULL)
		main_audit_pop(&m);

	/* Stopping: the workers drain; then everything is freed for the sanitizers. */
	/* The builder first: it publishes to the workers. */
	zes_builder_stop(m.srv.builder);
	zes_workers_join(&m.srv);
	if (m.token_job != NULL)
		zes_store_abandon(m.token_job);
	if (m.ready_job != NULL)
		zes_store_abandon(m.ready_job);
	if (m.replay_job != NULL)
		zes_store_abandon(m.replay_job);
	/*
	 * The workers' last transactions have ended: link their audit
	 * entries, on this loop again with nothing else left to fire.
	 */
	evsignal_del(m.sighup);
	evtimer_del(m.token_timer);
	evtimer_del(m.ready_timer);
	evtimer_del(m.replay_timer);
	evtimer_del(m.audit_timer);
	if (m.stop_timer != NULL)
		evtimer_del(m.stop_timer);
	zes_tokenuse_stop(m.tokenuse, MAIN_LINK_LAST_MS);
	zes_auditlink_stop(m.link, MAIN_LINK_LAST_MS);
	zes_store_free(m.srv.store);
	event_free(m.sigterm);
	event_free(m.sigint);
	event_free(m.sighup);
	event_free(m.token_timer);
	event_free(m.audit_timer);
	event_free(m.ready_timer);
	event_free(m.replay_timer);
	if (m.stop_timer != NULL)
		event_free(m.stop_timer);
	event_free(m.srv.reload_ev);
	event_base_free(m.base);
	zes_server_free_reloads(&m.srv);
	zes_tokens_unref(m.srv.tokens);
	zes_index_unref(m.srv.index);
	zes_signer_free(m.srv.signer);
	zes_tls_unref(m.srv.tls);
	zes_rules_unref(m.srv.rules);
	zes_config_unref(m.srv.cfg);
	free(m.token_version);
	free(m.pending_version);
	pthread_mutex_destroy(&m.srv.lock);
	zes_log_info("main", "stopped", "status=%d", m.exit_status);
	libevent_global_shutdown();
	return m.exit_status;
}
