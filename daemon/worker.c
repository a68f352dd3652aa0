/*
 * Workers: one thread each with its own event_base, evhttp, store connection
 * and metrics, all listening on the same ports through SO_REUSEPORT.  The main
 * thread publishes new shared things (config, token set, rules, reload
 * outcomes, stopping) and wakes each worker through its notify event; the
 * worker swaps its references between requests.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/util.h>
#include <openssl/rand.h>

#include "zes/log.h"
#include "zes/tls.h"
#include "zes/worker.h"
#include "zes/xmalloc.h"

#define WORKER_BACKLOG		1024
#define WORKER_DRAIN_MS		20
#define WORKER_FDS_RESERVED	64	/* the process: logs, rules, builder, main store */
#define WORKER_FDS_OWN		8	/* per worker beside its clients: listeners, store, loop */
#define WORKER_LIMITS_LOG_S	10	/* connection-limit warnings at most this often */

static void	worker_notify_cb(evutil_socket_t, short, void *);
static void	worker_drain_cb(evutil_socket_t, short, void *);
static void	worker_stats_cb(evutil_socket_t, short, void *);
static void	worker_limits_log(struct zes_worker *);
static void	worker_store_state_cb(struct zes_store *, int, void *);
static void	*worker_main(void *);

/* Open one listening socket with SO_REUSEPORT on addr (port 0: any). */
static int
worker_listen(const struct zes_listen_addr *a, unsigned port, unsigned *bound,
    char **err)
{
	struct sockaddr_storage	 ss;
	socklen_t		 slen;
	int			 fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, a->host, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
		slen = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, a->host,
	    &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
		slen = sizeof(struct sockaddr_in6);
	} else {
		xasprintf(err, "listen: %s is not a numeric address", a->host);
		return -1;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1) {
		xasprintf(err, "listen: socket: %s", strerror(errno));
		return -1;
	}
	/* SO_REUSEPORT must be set before bind (libevent#1396). */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == -1) {
		xasprintf(err, "listen: setsockopt: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/*
	 * No Nagle: a reply's last segment must not wait for the client's
	 * delayed ACK of the one before (40 ms on Linux).  Accepted sockets
	 * inherit the option from the listener on Linux.
	 */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, slen) == -1 ||
	    listen(fd, WORKER_BACKLOG) == -1) {
		xasprintf(err, "listen: cannot bind %s:%u: %s", a->host, port,
		    strerror(errno));
		close(fd);
		return -1;
	}
	slen = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &slen);
	*bound = ntohs(ss.ss_family == AF_INET ?
	    ((struct sockaddr_in *)&ss)->sin_port :
	    ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

/* How many workers a configuration asks for: threads, or one per core. */
unsigned
zes_workers_count(const struct zes_config *cfg)
{
	long	ncpu;

	if (cfg->threads != 0)
		return cfg->threads;
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	return ncpu > 0 ? (unsigned)ncpu : 1;
}

/*
 * Connections each worker keeps open: max_connections_per_worker, or what
 * the open-file limit leaves once raised to its hard limit (a worker that
 * runs out of descriptors spins on accept errors; one that counts closes
 * the surplus at once).
 */
static unsigned
worker_conn_limit(const struct zes_config *cfg, unsigned nworkers)
{
	struct rlimit	rl;
	rlim_t		own, avail, per;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rlim_t soft = rl.rlim_cur;

		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			rl.rlim_cur = soft;
	}
	if (cfg->max_connections_per_worker != 0)
		return cfg->max_connections_per_worker;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return 65536;
	own = WORKER_FDS_RESERVED + (rlim_t)nworkers * WORKER_FDS_OWN;
	avail = rl.rlim_cur > own ? rl.rlim_cur - own : nworkers;
	per = avail / nworkers;
	if (per < 1)
		per = 1;
	return per > 1000000 ? 1000000 : (unsigned)per;
}

/* Create every worker and its sockets; nothing runs yet. */
int
zes_workers_create(struct zes_server *srv, char **err)
{
	const struct zes_config	*cfg = srv->cfg;
	struct zes_store_opts	 opts;
	unsigned		 i, port;
	int			 j;
	char			 appname[32];
	unsigned		 limit;

	srv->nworkers = zes_workers_count(cfg);
	srv->workers = xcalloc(srv->nworkers, sizeof(*srv->workers));
	limit = worker_conn_limit(cfg, srv->nworkers);
	zes_log_debug("worker", "connection_limit", "per_worker=%u workers=%u",
	    limit, srv->nworkers);
	for (i = 0; i < srv->nworkers; i++) {
		struct zes_worker *w = &srv->workers[i];

		w->id = i;
		w->srv = srv;
		w->nfds = 0;
		TAILQ_INIT(&w->reload_waits);
		for (j = 0; j < cfg->nlisten; j++) {
			/* The first worker resolves port 0; the others share its port. */
			port = i == 0 ? cfg->listen[j].port :
			    zes_workers_port(srv, j);
			if ((w->fds[j] = worker_listen(&cfg->listen[j], port,
			    &port, err)) == -1)
				return -1;
			w->nfds++;
		}
		if ((w->base = event_base_new()) == NULL) {
			xasprintf(err, "event_base_new failed");
			return -1;
		}
		w->cfg = zes_config_ref(srv->cfg);
		if (RAND_bytes((unsigned char *)w->did_key, sizeof(w->did_key)) != 1)
			zes_fatal("cannot seed decision ids: RAND_bytes failed");
		w->rules = srv->rules ? zes_rules_ref(srv->rules) : NULL;
		w->metrics = zes_metrics_new();
		w->notify = event_new(w->base, -1, 0, worker_notify_cb, w);
		w->stats_timer = event_new(w->base, -1, EV_PERSIST,
		    worker_stats_cb, w);
		snprintf(appname, sizeof(appname), "zesd/w%u", i);
		memset(&opts, 0, sizeof(opts));
		opts.conninfo = cfg->database_url;
		opts.application_name = appname;
		opts.statement_timeout_ms = cfg->statement_timeout_ms;
		opts.connect_timeout_ms = cfg->db_connect_timeout_ms;
		opts.queue_max = cfg->db_queue_max;
		opts.backoff_min_ms = 100;
		opts.backoff_max_ms = 2000;
		w->store = zes_store_new(w->base, &opts, worker_store_state_cb, w);
		w->tls = srv->tls != NULL ? zes_tls_ref(srv->tls) : NULL;
		w->conn_limit = limit;
		if (zes_http_setup(w, err) != 0)
			return -1;
	}
	return 0;
}

/* The port listener `j` of the first worker is bound to. */
unsigned
zes_workers_port(const struct zes_server *srv, int j)
{
	struct sockaddr_storage	ss;
	socklen_t		slen = sizeof(ss);

	if (getsockname(srv->workers[0].fds[j], (struct sockaddr *)&ss, &slen) == -1)
		return 0;
	return ntohs(ss.ss_family == AF_INET ?
	    ((struct sockaddr_in *)&ss)->sin_port :
	    ((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* Thread body: run the loop until stopping finished draining. */
static void *
worker_main(void *arg)
{
	struct zes_worker	*w = arg;
	struct timeval		 sec = { 1, 0 };

	evtimer_add(w->stats_timer, &sec);
	zes_log_debug("worker", "started", "worker=%u", w->id);
	event_base_dispatch(w->base);
	zes_log_debug("worker", "stopped", "worker=%u", w->id);
	return NULL;
}

/* Start every worker thread. */
void
zes_workers_start(struct zes_server *srv)
{
	unsigned	i;

	for (i = 0; i < srv->nworkers; i++)
		if (pthread_create(&srv->workers[i].thread, NULL, worker_main,
		    &srv->workers[i]) != 0)
			zes_fatal("cannot start worker thread %u", i);
}

/* Wake every worker. */
void
zes_workers_notify(struct zes_server *srv)
{
	unsigned	i;

	for (i = 0; i < srv->nworkers; i++)
		event_active(srv->workers[i].notify, EV_READ, 0);
}

/* Main thread: publish a config (the caller's reference moves to srv). */
void
zes_server_publish_config(struct zes_server *srv, struct zes_config *cfg)
{
	struct zes_config	*old;

	pthread_mutex_lock(&srv->lock);
	old = srv->cfg;
	srv->cfg = cfg;
	pthread_mutex_unlock(&srv->lock);
	zes_config_unref(old);
	zes_workers_notify(srv);
}

/* Main thread: publish a token set (the caller's reference moves to srv). */
void
zes_server_publish_tokens(struct zes_server *srv, struct zes_tokens *t)
{
	struct zes_tokens	*old;

	pthread_mutex_lock(&srv->lock);
	old = srv->tokens;
	zes_tokens_carry_rates(t, old);
	srv->tokens = t;
	pthread_mutex_unlock(&srv->lock);
	zes_tokens_unref(old);
	zes_workers_notify(srv);
}

/* Main, at SIGHUP: rebuild the TLS context when its files changed. */
void
zes_server_reload_tls(struct zes_server *srv)
{
	struct zes_tls	*t, *old;
	char		*err = NULL, q[600];

	if (srv->tls == NULL)
		return;
	if (!zes_tls_files_changed(srv->tls, srv->cfg)) {
		zes_log_info("tls", "unchanged", "reason=\"no TLS file changed\"");
		return;
	}
	if ((t = zes_tls_load(srv->cfg, &err)) == NULL) {
		zes_log_error("tls", "reload_failed", "error=%s reason=\"the "
		    "certificate, key and client map in use stay\"",
		    zes_log_quote(q, sizeof(q), err, 500));
		free(err);
		return;
	}
	pthread_mutex_lock(&srv->lock);
	old = srv->tls;
	srv->tls = t;
	pthread_mutex_unlock(&srv->lock);
	zes_tls_unref(old);
	zes_workers_notify(srv);
	zes_log_info("tls", "reloaded", "client_certificates_mapped=%zu",
	    zes_tls_map_count(t));
}

/* Publish rules (the caller keeps its reference). */
void
zes_server_publish_rules(struct zes_server *srv, struct zes_rules *rules)
{
	struct zes_rules	*old;

	pthread_mutex_lock(&srv->lock);
	old = srv->rules;
	srv->rules = zes_rules_ref(rules);
	pthread_mutex_unlock(&srv->lock);
	zes_rules_unref(old);
	zes_workers_notify(srv);
}

/* Publish an index snapshot (the caller keeps its reference); any thread. */
void
zes_server_publish_index(struct zes_server *srv, struct zes_index *x)
{
	struct zes_index	*old;

	pthread_mutex_lock(&srv->lock);
	old = srv->index;
	srv->index = zes_index_ref(x);
	pthread_mutex_unlock(&srv->lock);
	zes_index_unref(old);
	zes_workers_notify(srv);
}

/* A new reload outcome for ticket, with one reference and no rules yet. */
struct zes_reload *
zes_reload_new(uint64_t ticket)
{
	struct zes_reload	*o = xcalloc(1, sizeof(*o));

	atomic_init(&o->refs, 1);
	o->ticket = ticket;
	return o;
}

/* Take a reference; returns o. */
struct zes_reload *
zes_reload_ref(struct zes_reload *o)
{
	atomic_fetch_add_explicit(&o->refs, 1, memory_order_relaxed);
	return o;
}

/* Drop a reference; the last one frees the rules reference and the errors. */
void
zes_reload_unref(struct zes_reload *o)
{
	if (o == NULL ||
	    atomic_fetch_sub_explicit(&o->refs, 1, memory_order_acq_rel) != 1)
		return;
	zes_rules_unref(o->rules);
	zes_rule_errors_free(&o->errs);
	free(o);
}

/* Worker: queue a reload ask for the main thread and wake it. */
uint64_t
zes_server_ask_reload(struct zes_server *srv, const char *actor)
{
	struct zes_reload_ask	*a;
	uint64_t		 ticket = 0;

	if (atomic_load(&srv->stopping) || srv->reload_ev == NULL)
		return 0;
	pthread_mutex_lock(&srv->lock);
	if (srv->nreload_asks < ZES_RELOAD_ASKS_MAX) {
		ticket = ++srv->reload_tickets;
		a = &srv->reload_asks[srv->nreload_asks++];
		a->ticket = ticket;
		snprintf(a->actor, sizeof(a->actor), "%s", actor);
	}
	pthread_mutex_unlock(&srv->lock);
	if (ticket != 0)
		event_active(srv->reload_ev, EV_READ, 0);
	return ticket;
}

/* Main: take every waiting ask, oldest first. */
unsigned
zes_server_take_reload_asks(struct zes_server *srv, struct zes_reload_ask *out)
{
	unsigned	n;

	pthread_mutex_lock(&srv->lock);
	n = srv->nreload_asks;
	memcpy(out, srv->reload_asks, n * sizeof(*out));
	srv->nreload_asks = 0;
	pthread_mutex_unlock(&srv->lock);
	return n;
}

/* Main: publish an outcome into the ring (the caller's reference moves). */
void
zes_server_publish_reload(struct zes_server *srv, struct zes_reload *o)
{
	struct zes_reload	*old;
	size_t			 slot = (size_t)(o->ticket % ZES_RELOAD_RING);

	pthread_mutex_lock(&srv->lock);
	old = srv->reload_ring[slot];
	srv->reload_ring[slot] = o;
	atomic_store(&srv->reload_last, o->ticket);
	pthread_mutex_unlock(&srv->lock);
	zes_reload_unref(old);
	zes_workers_notify(srv);
}

/* The outcome for a ticket (a new reference), or NULL while it has not run. */
struct zes_reload *
zes_server_reload_outcome(struct zes_server *srv, uint64_t ticket)
{
	struct zes_reload	*o = NULL;
	uint64_t		 last;

	pthread_mutex_lock(&srv->lock);
	last = atomic_load(&srv->reload_last);
	if (ticket != 0 && ticket <= last) {
		o = srv->reload_ring[ticket % ZES_RELOAD_RING];
		if (o == NULL || o->ticket != ticket)
			o = srv->reload_ring[last % ZES_RELOAD_RING];
		if (o != NULL)
			zes_reload_ref(o);
	}
	pthread_mutex_unlock(&srv->lock);
	return o;
}

/* Main, at exit: drop every outcome kept. */
void
zes_server_free_reloads(struct zes_server *srv)
{
	size_t	i;

	for (i = 0; i < ZES_RELOAD_RING; i++) {
		zes_reload_unref(srv->reload_ring[i]);
		srv->reload_ring[i] = NULL;
	}
}

/* Worker: pick up what the main thread published. */
static void
worker_notify_cb(evutil_socket_t fd, short what, void *arg)
{
	struct zes_worker	*w = arg;
	struct zes_server	*srv = w->srv;
	struct zes_config	*oldcfg = NULL;
	struct zes_tokens	*oldtok = NULL;
	struct zes_rules	*oldrules = NULL;
	struct zes_index	*oldidx = NULL;
	struct zes_tls		*oldtls = NULL;
	struct timeval		 tv = { 0, WORKER_DRAIN_MS * 1000 };
	uint64_t		 last;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&srv->lock);
	if (w->cfg != srv->cfg) {
		oldcfg = w->cfg;
		w->cfg = zes_config_ref(srv->cfg);
	}
	if (w->tokens != srv->tokens) {
		oldtok = w->tokens;
		w->tokens = srv->tokens ? zes_tokens_ref(srv->tokens) : NULL;
	}
	if (w->rules != srv->rules) {
		oldrules = w->rules;
		w->rules = srv->rules ? zes_rules_ref(srv->rules) : NULL;
	}
	if (w->index != srv->index) {
		oldidx = w->index;
		w->index = srv->index ? zes_index_ref(srv->index) : NULL;
	}
	/* TLS stays on or off for the process's life: only the context changes. */
	if (w->tls != NULL && srv->tls != NULL && w->tls != srv->tls) {
		oldtls = w->tls;
		w->tls = zes_tls_ref(srv->tls);
	}
	pthread_mutex_unlock(&srv->lock);
	zes_tls_unref(oldtls);
	zes_config_unref(oldcfg);
	zes_tokens_unref(oldtok);
	zes_rules_unref(oldrules);
	zes_index_unref(oldidx);
	/* The rules above first: a reload's answer and the rules in force agree. */
	last = atomic_load(&srv->reload_last);
	if (last != w->reload_seen) {
		w->reload_seen = last;
		zes_rulesets_reloaded(w, 0);
	}

	if (atomic_load(&srv->stopping) && !w->stopping) {
		w->stopping = 1;
		/* The main thread runs no more reloads: answer who waits for one. */
		zes_rulesets_reloaded(w, 1);
		zes_http_stop_accepting(w);
		w->drain_timer = event_new(w->base, -1, EV_PERSIST,
		    worker_drain_cb, w);
		evtimer_add(w->drain_timer, &tv);
		evutil_gettimeofday(&w->drain_since, NULL);
	}
}

/* Worker while stopping: leave the loop once nothing is in flight (or time is up). */
static void
worker_drain_cb(evutil_socket_t fd, short what, void *arg)
{
	struct zes_worker	*w = arg;
	struct timeval		 now, d;
	unsigned long		 ms;

	(void)fd;
	(void)what;
	evutil_gettimeofday(&now, NULL);
	evutil_timersub(&now, &w->drain_since, &d);
	ms = (unsigned long)d.tv_sec * 1000 + (unsigned long)d.tv_usec / 1000;
	if (w->inflight == 0) {
		event_base_loopexit(w->base, NULL);
	} else if (ms >= w->cfg->shutdown_timeout_ms) {
		zes_log_warn("worker", "shutdown_timeout",
		    "worker=%u inflight=%u", w->id, w->inflight);
		event_base_loopexit(w->base, NULL);
	}
}

/*
 * Worker, each second: one warning, at most every WORKER_LIMITS_LOG_S,
 * when connections were closed for the limit or cut for sending a request
 * too slowly (one line per connection would let an attack flood the log).
 */
static void
worker_limits_log(struct zes_worker *w)
{
	struct timeval	now, d;

	if (w->conns_refused == w->conns_refused_logged &&
	    w->conns_cut == w->conns_cut_logged)
		return;
	evutil_gettimeofday(&now, NULL);
	evutil_timersub(&now, &w->conns_logged_at, &d);
	if (w->conns_logged_at.tv_sec != 0 && d.tv_sec < WORKER_LIMITS_LOG_S)
		return;
	zes_log_warn("http", "connection_limits", "worker=%u refused=%llu "
	    "slow_requests_cut=%llu open=%u limit=%u", w->id,
	    (unsigned long long)(w->conns_refused - w->conns_refused_logged),
	    (unsigned long long)(w->conns_cut - w->conns_cut_logged),
	    w->nconns, w->conn_limit);
	w->conns_refused_logged = w->conns_refused;
	w->conns_cut_logged = w->conns_cut;
	w->conns_logged_at = now;
}

/* Worker: copy the store's counters where a scrape on another worker can read them. */
static void
worker_stats_cb(evutil_socket_t fd, short what, void *arg)
{
	struct zes_worker	*w = arg;
	struct zes_store_stats	 st;

	(void)fd;
	(void)what;
	zes_store_get_stats(w->store, &st);
	atomic_store(&w->db_connected, (unsigned)st.connected);
	atomic_store(&w->db_queued, st.queued);
	atomic_store(&w->db_errors, st.errors_total);
	atomic_store(&w->db_reconnects, st.reconnects_total);
	atomic_store(&w->inflight_seen, w->inflight);
	worker_limits_log(w);
}

/* The worker's store connected or lost its connection. */
static void
worker_store_state_cb(struct zes_store *st, int connected, void *arg)
{
	struct zes_worker	*w = arg;

	(void)st;
	atomic_store(&w->db_connected, (unsigned)connected);
}

/* Join every worker and free it. */
void
zes_workers_join(struct zes_server *srv)
{
	unsigned	i;
	int		j;

	for (i = 0; i < srv->nworkers; i++) {
		struct zes_worker *w = &srv->workers[i];

		if (w->thread)
			pthread_join(w->thread, NULL);
		if (w->store != NULL)
			zes_store_free(w->store);
		if (w->http != NULL)
			evhttp_free(w->http);
		/* Once accepted by evhttp the sockets are its to close. */
		for (j = 0; w->http == NULL && j < w->nfds; j++)
			close(w->fds[j]);
		if (w->notify != NULL)
			event_free(w->notify);
		if (w->drain_timer != NULL)
			event_free(w->drain_timer);
		if (w->stats_timer != NULL)
			event_free(w->stats_timer);
		zes_metrics_free(w->metrics);
		zes_config_unref(w->cfg);
		zes_tokens_unref(w->tokens);
		zes_rules_unref(w->rules);
		zes_index_unref(w->index);
		zes_tls_unref(w->tls);
		free(w->conn_by_fd);
		if (w->base != NULL)
			event_base_free(w->base);
	}
	free(srv->workers);
	srv->workers = NULL;
}
