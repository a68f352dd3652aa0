/*
 * Workers and the server they belong to.  A worker is one thread with its
 * own event_base, evhttp, store connection and metrics; workers share only
 * immutable, reference-counted things (config, token set, rules, reload
 * outcomes) that the main thread publishes to each of them through the
 * worker's notify event.
 */
#ifndef ZES_WORKER_H
#define ZES_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/queue.h>
#include <sys/time.h>

#include "zes/auth.h"
#include "zes/config.h"
#include "zes/index.h"
#include "zes/ruleset.h"
#include "zes/metrics.h"
#include "zes/store.h"

struct event;
struct event_base;
struct evhttp;
struct evhttp_bound_socket;
struct zes_server;
struct zes_builder;
struct zes_signer;
struct zes_tls;
struct zes_conn;

#define ZES_RELOAD_ASKS_MAX	16	/* reload requests waiting for the main thread, at most */
#define ZES_RELOAD_RING		16	/* recent reload outcomes kept for the requests that asked */

/*
 * The outcome of one rules reload asked for by POST /v1/rule-set-reloads
 * (daemon/main.c): the rules it loaded, or every error of the folder while
 * the rules in force stayed.  Immutable once published; reference-counted,
 * so a worker may answer from it after the main thread moved on.  Only
 * tickets cross threads, never a request.
 */
struct zes_reload {
	atomic_uint		 refs;
	uint64_t		 ticket;	/* the request it answers */
	struct zes_rules	*rules;		/* loaded (reference held), or NULL: it failed */
	struct zes_rule_errors	 errs;		/* when it failed: every error, file#/pointer */
};

/* A reload asked for over HTTP, waiting for the main thread. */
struct zes_reload_ask {
	uint64_t	 ticket;
	char		 actor[104];	/* the caller's token name, for the audit trail */
};

/* Requests waiting for a reload outcome (daemon/http/rulesets.c); one worker's own. */
struct zes_reload_wait;
TAILQ_HEAD(zes_reload_waits, zes_reload_wait);

struct zes_worker {
	unsigned			 id;
	pthread_t			 thread;
	struct zes_server		*srv;
	struct event_base		*base;
	struct evhttp			*http;
	struct evhttp_bound_socket	*bound[ZES_CONFIG_MAX_LISTEN];
	int				 fds[ZES_CONFIG_MAX_LISTEN];	/* listening sockets, SO_REUSEPORT */
	int				 nfds;
	struct zes_store		*store;
	struct zes_metrics		*metrics;
	struct event			*notify;	/* main -> worker: look at srv */
	struct event			*drain_timer;	/* while stopping: exit when idle */
	struct timeval			 drain_since;	/* when stopping began */
	struct zes_config		*cfg;		/* current (reference held) */
	struct zes_tokens		*tokens;	/* current (reference held), NULL until loaded */
	struct zes_rules		*rules;		/* current (reference held) */
	struct zes_index		*index;		/* current (reference held), NULL until loaded */
	unsigned			 inflight;	/* requests not yet answered */
	struct event			*stats_timer;	/* copies the store's stats below each second */
	atomic_uint			 db_connected;	/* written by this worker, read by any scrape */
	atomic_uint			 db_queued;
	atomic_ullong			 db_errors;
	atomic_ullong			 db_reconnects;
	atomic_uint			 inflight_seen;	/* inflight, for scrapes from other workers */
	int				 stopping;
	uint64_t			 rid_next;
	struct zes_req			*in_handler;	/* the request whose handler is running */
	uint64_t			 did_key[2];	/* random, for decision ids (daemon/http/access.c) */
	uint64_t			 did_next;
	struct zes_reload_waits		 reload_waits;	/* requests waiting for their reload */
	uint64_t			 reload_seen;	/* srv->reload_last when last looked at */
	/*
	 * Connections (daemon/http/server.c): evhttp 2.1 has no cap and no
	 * whole-request deadline, so the worker counts the connections it
	 * accepts and cuts those that take too long to send a request.
	 */
	struct zes_tls			*tls;		/* current (reference held); NULL: plain HTTP */
	unsigned			 nconns;	/* accepted and not yet closed */
	unsigned			 conn_limit;	/* more are closed at once */
	struct zes_conn			**conn_by_fd;	/* open connections by socket */
	size_t				 conn_by_fd_len;
	uint64_t			 conns_refused;	/* closed for the limit, since start */
	uint64_t			 conns_cut;	/* cut by request_read_timeout_ms, since start */
	uint64_t			 conns_refused_logged;	/* as of the last warning */
	uint64_t			 conns_cut_logged;
	struct timeval			 conns_logged_at;	/* warnings at most every 10 s */
};

/* What the main thread owns and publishes. */
struct zes_server {
	pthread_mutex_t		 lock;		/* guards the published pointers below */
	struct zes_config	*cfg;		/* latest config (reference held) */
	struct zes_tokens	*tokens;	/* latest token set (reference held) or NULL */
	struct zes_rules	*rules;		/* latest rules (reference held) */
	struct zes_index	*index;		/* latest access index (reference held) or NULL */
	struct zes_builder	*builder;	/* keeps the index current */
	struct zes_signer	*signer;	/* signs access decisions, or NULL */
	struct zes_tls		*tls;		/* latest TLS context (reference held), NULL: plain HTTP */
	atomic_int		 stopping;	/* SIGTERM received */
	struct zes_store	*store;		/* the main thread's own connection (token cache) */
	atomic_uint		 main_db_connected;
	atomic_llong		 replay_delay_ms;	/* read_only on a standby: WAL replay delay; -1 unknown */
	struct zes_worker	*workers;
	unsigned		 nworkers;
	/*
	 * Rules reloads asked for over HTTP.  The main thread runs them in
	 * ticket order, one reload each, and publishes each outcome here; the
	 * worker that asked finds it by ticket.  Guarded by lock, except
	 * reload_last, which workers read first to see whether to look.
	 */
	struct event		*reload_ev;	/* on the main base: asks are waiting */
	uint64_t		 reload_tickets;	/* tickets handed out so far */
	struct zes_reload_ask	 reload_asks[ZES_RELOAD_ASKS_MAX];	/* waiting, in ticket order */
	unsigned		 nreload_asks;
	struct zes_reload	*reload_ring[ZES_RELOAD_RING];	/* outcomes, at ticket % ring */
	atomic_ullong		 reload_last;	/* ticket of the latest outcome published */
};

/* Workers a configuration asks for: threads, or one per core when 0. */
unsigned	zes_workers_count(const struct zes_config *);
/*
 * Create the workers' listening sockets (SO_REUSEPORT, one per worker and
 * address; a port 0 is resolved by the first worker and reused by the rest)
 * and the workers themselves.  Returns -1 with *err set on failure.
 */
int	zes_workers_create(struct zes_server *, char **err) ZES_MUSTCHECK;
/* Start the worker threads. */
void	zes_workers_start(struct zes_server *);
/* The port the first listener bound (for port_file). */
unsigned zes_workers_port(const struct zes_server *, int listen_index);
/* Wake every worker to pick up published changes (or to stop). */
void	zes_workers_notify(struct zes_server *);
/* Join and free the workers (after stopping was published). */
void	zes_workers_join(struct zes_server *);

/*
 * Publish a new config / token set (takes over the caller's reference) and
 * notify.  A token set takes over the rate-limit buckets of the one it replaces.
 */
void	zes_server_publish_config(struct zes_server *, struct zes_config *);
void	zes_server_publish_tokens(struct zes_server *, struct zes_tokens *);
/*
 * Main, at SIGHUP: when TLS is on and any of its files changed, build a new
 * context and publish it (new connections use it, open ones keep theirs);
 * when that fails, log why and keep the context in use.
 */
void	zes_server_reload_tls(struct zes_server *);
/* Publish rules / an index snapshot (a new reference is taken; the caller keeps its own). */
void	zes_server_publish_rules(struct zes_server *, struct zes_rules *);
void	zes_server_publish_index(struct zes_server *, struct zes_index *);

/*
 * Worker: ask the main thread for a rules reload on behalf of `actor` (a
 * token name).  Returns the request's ticket, or 0 when stopping or when
 * ZES_RELOAD_ASKS_MAX asks are waiting already (answer 503).
 */
uint64_t	zes_server_ask_reload(struct zes_server *, const char *actor);
/* Main: move the waiting asks into out (room for ZES_RELOAD_ASKS_MAX); returns how many. */
unsigned	zes_server_take_reload_asks(struct zes_server *, struct zes_reload_ask *out);
/* Main: publish a reload outcome (takes over the caller's reference) and notify. */
void	zes_server_publish_reload(struct zes_server *, struct zes_reload *);
/*
 * Any thread: the outcome for a ticket, as a new reference; NULL while its
 * reload has not run.  An outcome pushed out of the ring by later ones is
 * answered by the latest (a reload that also started after the request).
 */
struct zes_reload *zes_server_reload_outcome(struct zes_server *, uint64_t ticket);
/* Main, at exit: drop the outcomes kept. */
void	zes_server_free_reloads(struct zes_server *);
struct zes_reload *zes_reload_new(uint64_t ticket);
struct zes_reload *zes_reload_ref(struct zes_reload *);
void	zes_reload_unref(struct zes_reload *);

/*
 * Worker (daemon/http/rulesets.c): answer the waiting reload requests whose
 * outcome was published; with `stopping`, answer every one 503.
 */
void	zes_rulesets_reloaded(struct zes_worker *, int stopping);

/* Set up evhttp on a worker (daemon/http/server.c). */
int	zes_http_setup(struct zes_worker *, char **err) ZES_MUSTCHECK;
/* Stop accepting: remove the worker's listeners (daemon/http/server.c). */
void	zes_http_stop_accepting(struct zes_worker *);

#endif
