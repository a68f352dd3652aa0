/*
 * zesd process lifecycle, in this order and nowhere else: arguments, config,
 * logging, routes, workers, signals, the token cache, shutdown.
 */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <libpq-fe.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <jansson.h>

#include "zes/auth.h"
#include "zes/builder.h"
#include "zes/rulesdir.h"
#include "zes/signing.h"
#include "zes/config.h"
#include "zes/log.h"
#include "zes/router.h"
#include "zes/store.h"
#include "zes/version.h"
#include "zes/worker.h"
#include "zes/xmalloc.h"

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
};

static void	main_usage(FILE *);
static void	main_stop_cb(evutil_socket_t, short, void *);
static void	main_hup_cb(evutil_socket_t, short, void *);
static void	main_token_timer_cb(evutil_socket_t, short, void *);
static void	main_token_version_cb(const struct zes_store_result *, void *);
static void	main_token_load_cb(const struct zes_store_result *, void *);
static void	main_store_state_cb(struct zes_store *, int, void *);
static struct zes_rules *main_load_rules(const char *);
static void	main_libevent_log_cb(int, const char *);
static void	main_write_port_file(struct main_state *);

/* Print usage and the configuration keys. */
static void
main_usage(FILE *f)
{
	fprintf(f,
	    "usage: zesd [--config FILE]\n"
	    "       zesd --help | --version\n\n"
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

/* SIGTERM / SIGINT: stop accepting, let requests in flight finish, exit 0. */
static void
main_stop_cb(evutil_socket_t sig, short what, void *arg)
{
	struct main_state	*m = arg;

	(void)what;
	if (atomic_exchange(&m->srv.stopping, 1))
		return;
	zes_log_info("main", "stopping", "signal=%d", (int)sig);
	zes_workers_notify(&m->srv);
	event_base_loopexit(m->base, NULL);
}

/* SIGHUP: read the configuration again and publish what can change live. */
static void
main_hup_cb(evutil_socket_t sig, short what, void *arg)
{
	struct main_state	*m = arg;
	struct zes_config	*fresh, *next;
	struct zes_rules	*rules;
	char			*err = NULL, *restart, q[600];

	(void)sig;
	(void)what;
	zes_log_info("main", "reload", "config=%s",
	    zes_log_quote(q, sizeof(q), m->config_path ? m->config_path : "-", 400));
	if ((fresh = zes_config_load(m->config_path, &err)) == NULL) {
		zes_log_error("main", "reload_failed", "error=%s",
		    zes_log_quote(q, sizeof(q), err, 500));
		free(err);
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
	if ((rules = main_load_rules(m->srv.cfg->rules_dir)) != NULL) {
		zes_server_publish_rules(&m->srv, rules);
		zes_builder_set_rules(m->srv.builder, rules);
		zes_rules_unref(rules);
	} else
		zes_log_error("main", "rules_kept", "reason=\"the rules folder has errors\"");
	zes_log_info("main", "reloaded", "log_level=%d", (int)next->log_level);
}

/*
 * Load the rules folder.  On failure every error is logged and NULL
 * returned: the caller keeps the rules in force (or stops at start-up).
 */
static struct zes_rules *
main_load_rules(const char *dir)
{
	struct zes_rule_errors	 errs = { NULL, 0 };
	struct zes_rules	*rules;
	char			 q1[600], q2[600];
	size_t			 i;

	if ((rules = zes_rules_load_dir(dir, &errs)) != NULL) {
		zes_log_info("main", "rules_loaded", "dir=%s municipalities=%zu "
		    "national_version=%s", zes_log_quote(q1, sizeof(q1), dir, 400),
		    rules->nmunis, zes_log_quote(q2, sizeof(q2),
		    rules->national_info.version, 100));
		return rules;
	}
	for (i = 0; i < errs.n; i++)
		zes_log_error("main", "rules_invalid", "where=%s error=%s",
		    zes_log_quote(q1, sizeof(q1), errs.v[i].where, 400),
		    zes_log_quote(q2, sizeof(q2), errs.v[i].message, 400));
	zes_rule_errors_free(&errs);
	return NULL;
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
		{ NULL, 0, NULL, 0 }
	};
	struct main_state	 m;
	struct zes_store_opts	 opts;
	struct zes_builder_opts	 bopts;
	struct timeval		 tv;
	char			*err = NULL;
	int			 ch, i;

	memset(&m, 0, sizeof(m));
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
	if (m.srv.cfg->tls_cert[0] != '\0')
		zes_fatal("tls_cert: TLS is not available in this version of zesd");

	main_check_conninfo(m.srv.cfg->database_url);
	signal(SIGPIPE, SIG_IGN);
	if (evthread_use_pthreads() != 0)
		zes_fatal("libevent has no pthreads support");
	event_set_log_callback(main_libevent_log_cb);
	json_object_seed(0);
	pthread_mutex_init(&m.srv.lock, NULL);
	zes_router_init();

	if ((m.srv.rules = main_load_rules(m.srv.cfg->rules_dir)) == NULL)
		zes_fatal("rules_dir: %s has errors (logged above)",
		    m.srv.cfg->rules_dir);

	if ((m.base = event_base_new()) == NULL)
		zes_fatal("event_base_new failed");
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

	memset(&bopts, 0, sizeof(bopts));
	bopts.conninfo = m.srv.cfg->database_url;
	bopts.poll_ms = m.srv.cfg->index_poll_ms;
	bopts.max_overlay = m.srv.cfg->index_max_overlay;
	bopts.statement_timeout_ms = m.srv.cfg->statement_timeout_ms;
	m.srv.builder = zes_builder_start(&m.srv, &bopts, m.srv.rules);
	zes_workers_start(&m.srv);
	for (i = 0; i < m.srv.cfg->nlisten; i++)
		zes_log_info("main", "listening", "address=%s port=%u workers=%u",
		    m.srv.cfg->listen[i].host, zes_workers_port(&m.srv, i),
		    m.srv.nworkers);

	event_base_dispatch(m.base);

	/* Stopping: the workers drain; then everything is freed for the sanitizers. */
	/* The builder first: it publishes to the workers. */
	zes_builder_stop(m.srv.builder);
	zes_workers_join(&m.srv);
	if (m.token_job != NULL)
		zes_store_abandon(m.token_job);
	zes_store_free(m.srv.store);
	event_free(m.sigterm);
	event_free(m.sigint);
	event_free(m.sighup);
	event_free(m.token_timer);
	event_base_free(m.base);
	zes_tokens_unref(m.srv.tokens);
	zes_index_unref(m.srv.index);
	zes_signer_free(m.srv.signer);
	zes_rules_unref(m.srv.rules);
	zes_config_unref(m.srv.cfg);
	free(m.token_version);
	free(m.pending_version);
	pthread_mutex_destroy(&m.srv.lock);
	zes_log_info("main", "stopped", "status=0");
	libevent_global_shutdown();
	return 0;
}
