/*
 * The HTTP shell around the handlers: evhttp set-up per worker (TLS,
 * limits), each connection's accounting and request-read deadline, and for
 * each request the steps every route shares (request id, URI and header
 * limits, route match, CORS, token or client certificate and role, the
 * refusal of writes by a read_only zesd, rate limit, body limits, content
 * type, strict JSON, deadline), and the single reply path that adds the
 * common headers, logs and counts.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "zes/cursor.h"
#include "zes/http.h"
#include "zes/json.h"
#include "zes/log.h"
#include "zes/metrics.h"
#include "zes/ratelimit.h"
#include "zes/router.h"
#include "zes/store.h"
#include "zes/tls.h"
#include "zes/version.h"
#include "zes/worker.h"
#include "zes/xmalloc.h"

#define PROBLEM_TYPE_BASE	"https://zesd.example.nl/problems/"
#define RETRY_AFTER_S		"2"
/*
 * Bounds on a JSON body beyond its size, checked before it is parsed: a
 * 64 KiB body could otherwise make a tree tens of times its size.  No
 * document of the API nests deeper than 5 levels; the longest array is a
 * batch of 1,000 access checks.
 */
#define JSON_MAX_DEPTH		32
#define JSON_MAX_ITEMS		1000	/* members of an object, elements of an array */

/*
 * One accepted connection, in the state that says which time bound runs:
 * evhttp 2.1's own read timeout only bounds the time between two reads, so
 * a client sending a byte a second would hold its connection for ever.
 */
enum conn_state {
	CONN_ACCEPTED,	/* evhttp is setting it up; attached in the same loop turn */
	CONN_READING,	/* a request is arriving: request_read_timeout_ms runs */
	CONN_HANDLING,	/* a request is with its handler: the request's deadline runs */
	CONN_IDLE,	/* between requests: evhttp's read timeout is the idle bound */
};

struct zes_conn {
	struct zes_worker		*w;
	struct bufferevent		*bev;
	struct evhttp_connection	*evcon;		/* set once attached */
	struct evbuffer_cb_entry	*input_cb;	/* sees a request's first bytes */
	struct event			*ev;		/* attach, then the read deadline */
	enum conn_state			 state;
	int				 fd;
	int				 refused;	/* over the worker's limit: closed at attach */
	int				 fp_known;	/* 0: not looked; 1: fp holds it; -1: none */
	uint8_t				 fp[ZES_TLS_FP_LEN];	/* client certificate */
};

static void	server_request_cb(struct evhttp_request *, void *);
static struct bufferevent *server_bev_cb(struct event_base *, void *);
static void	server_conn_cb(evutil_socket_t, short, void *);
static void	server_conn_close_cb(struct evhttp_connection *, void *);
static void	server_conn_input_cb(struct evbuffer *,
		    const struct evbuffer_cb_info *, void *);
static void	server_conn_set_state(struct zes_conn *, enum conn_state);
static struct zes_conn *server_conn_of(struct zes_worker *, struct evhttp_request *);
static void	server_deadline_cb(evutil_socket_t, short, void *);
static void	server_send(struct zes_req *, int, const char *, struct evbuffer *);
static void	server_free_req(struct zes_req *);
static int	server_content_type_ok(const char *);
static void	server_preflight(struct zes_req *);
static void	server_read_only(struct zes_req *);
static const char *server_reason(int);
static uint64_t	server_now_ns(void);

/* Status codes and their reason phrases. */
static const struct {
	int		 status;
	const char	*reason;
	const char	*slug;
} server_statuses[] = {
	{ 200, "OK", NULL }, { 201, "Created", NULL }, { 204, "No Content", NULL },
	{ 400, "Bad Request", "invalid-input" },
	{ 401, "Unauthorized", "unauthorized" },
	{ 403, "Forbidden", "forbidden" },
	{ 404, "Not Found", "not-found" },
	{ 405, "Method Not Allowed", "method-not-allowed" },
	{ 409, "Conflict", "conflict" },
	{ 412, "Precondition Failed", "precondition-failed" },
	{ 413, "Content Too Large", "content-too-large" },
	{ 414, "URI Too Long", "uri-too-long" },
	{ 415, "Unsupported Media Type", "unsupported-media-type" },
	{ 422, "Unprocessable Content", "unprocessable-content" },
	{ 428, "Precondition Required", "precondition-required" },
	{ 429, "Too Many Requests", "too-many-requests" },
	{ 431, "Request Header Fields Too Large", "request-header-fields-too-large" },
	{ 500, "Internal Server Error", "internal-error" },
	{ 503, "Service Unavailable", "unavailable" },
};

/*
 * A request id: worker, per-worker counter and clock bits as 16 hex digits
 * (2 + 6 + 8) and a NUL.
 */
static void
server_rid(char out[20], unsigned worker, uint64_t n, uint64_t ns)
{
	static const char	hex[] = "0123456789abcdef";
	uint64_t		v = ((uint64_t)(worker & 0xff) << 56) |
	    ((n & 0xffffff) << 32) | (ns & 0xffffffffu);
	int			i;

	for (i = 15; i >= 0; i--, v >>= 4)
		out[i] = hex[v & 15];
	out[16] = '\0';
}

/* Monotonic clock in nanoseconds. */
static uint64_t
server_now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Reason phrase of a status. */
static const char *
server_reason(int status)
{
	size_t	i;

	for (i = 0; i < ZES_NELEM(server_statuses); i++)
		if (server_statuses[i].status == status)
			return server_statuses[i].reason;
	return "Unknown";
}

/* Problem type slug of a status. */
static const char *
server_slug(int status)
{
	size_t	i;

	for (i = 0; i < ZES_NELEM(server_statuses); i++)
		if (server_statuses[i].status == status &&
		    server_statuses[i].slug != NULL)
			return server_statuses[i].slug;
	return "error";
}

/* Largest body factor of any route, so evhttp's own limit lets ours speak first. */
static unsigned
server_max_body_factor(void)
{
	size_t		i;
	unsigned	f = 1;

	for (i = 0; i < zes_router_count(); i++)
		if (zes_router_at(i)->body_factor > f)
			f = zes_router_at(i)->body_factor;
	return f;
}

/* Set up the worker's evhttp on its listening sockets. */
int
zes_http_setup(struct zes_worker *w, char **err)
{
	const struct zes_config	*cfg = w->cfg;
	struct timeval		 tv;
	int			 i;

	if ((w->http = evhttp_new(w->base)) == NULL) {
		xasprintf(err, "evhttp_new failed");
		return -1;
	}
	evhttp_set_max_headers_size(w->http, cfg->max_header_bytes);
	/*
	 * evhttp answers bodies past its limit with its own HTML 413 before we
	 * see them; twice our largest limit leaves the problem+json 413 to us
	 * for anything up to that size (docs/http.md).
	 */
	evhttp_set_max_body_size(w->http,
	    (ev_ssize_t)cfg->max_body_bytes * server_max_body_factor() * 2);
	tv.tv_sec = cfg->read_timeout_ms / 1000;
	tv.tv_usec = (cfg->read_timeout_ms % 1000) * 1000;
	evhttp_set_timeout_tv(w->http, &tv);
	/* Allow every method so that we answer 405 ourselves, not evhttp's 501. */
	evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
	    EVHTTP_REQ_PATCH);
	evhttp_set_default_content_type(w->http, "application/json");
	evhttp_set_flags(w->http, EVHTTP_SERVER_LINGERING_CLOSE);
	evhttp_set_gencb(w->http, server_request_cb, w);
	/* Every connection passes here: TLS when configured, and the accounting. */
	evhttp_set_bevcb(w->http, server_bev_cb, w);
	for (i = 0; i < w->nfds; i++) {
		w->bound[i] = evhttp_accept_socket_with_handle(w->http, w->fds[i]);
		if (w->bound[i] == NULL) {
			xasprintf(err, "cannot accept on listening socket %d", i);
			return -1;
		}
	}
	return 0;
}

/* Stop accepting new connections on this worker. */
void
zes_http_stop_accepting(struct zes_worker *w)
{
	int	i;

	for (i = 0; i < w->nfds; i++) {
		if (w->bound[i] != NULL) {
			evhttp_del_accept_socket(w->http, w->bound[i]);
			w->bound[i] = NULL;
		}
	}
}

/*
 * evhttp asks for the bufferevent of every connection it accepts: a TLS one
 * in accepting state when TLS is on, else a plain one.  The connection
 * object evhttp wraps around it exists only once this returns, so the
 * accounting attaches in server_conn_cb, activated now and run in this same
 * loop turn, before any read on the new socket.  Our reference on the
 * bufferevent keeps it valid until then whatever evhttp does.
 */
static struct bufferevent *
server_bev_cb(struct event_base *base, void *arg)
{
	struct zes_worker	*w = arg;
	struct zes_conn		*c;
	struct bufferevent	*bev;

	if (w->tls != NULL)
		bev = bufferevent_openssl_socket_new(base, -1,
		    zes_tls_ssl_new(w->tls), BUFFEREVENT_SSL_ACCEPTING,
		    BEV_OPT_CLOSE_ON_FREE);
	else
		bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	/* NULL would make evhttp use a plain one: on a TLS port, never. */
	if (bev == NULL)
		zes_fatalx("cannot make a bufferevent for a new connection");
	/* A client that closes without close_notify simply ended (pitfall 9). */
	if (w->tls != NULL)
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	c = xcalloc(1, sizeof(*c));
	c->w = w;
	c->bev = bev;
	c->fd = -1;
	c->state = CONN_ACCEPTED;
	if (w->nconns >= w->conn_limit)
		c->refused = 1;
	else
		w->nconns++;
	if ((c->ev = event_new(base, -1, 0, server_conn_cb, c)) == NULL)
		zes_fatalx("cannot make the event of a new connection");
	bufferevent_incref(bev);
	event_active(c->ev, EV_TIMEOUT, 1);
	return bev;
}

/* Forget a connection: the fd index, the input watch, the count; free it. */
static void
server_conn_free(struct zes_conn *c)
{
	struct zes_worker	*w = c->w;

	if (c->input_cb != NULL)
		evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->input_cb);
	if (c->fd >= 0 && (size_t)c->fd < w->conn_by_fd_len &&
	    w->conn_by_fd[c->fd] == c)
		w->conn_by_fd[c->fd] = NULL;
	if (!c->refused)
		w->nconns--;
	event_free(c->ev);
	free(c);
}

/*
 * Attach a connection evhttp has just set up: close it at once when the
 * worker is at its limit, else index it by socket, watch its input for the
 * start of each request, hear of its end (closecb) and start the deadline
 * of its first request, TLS handshake included.
 */
static void
server_conn_attach(struct zes_conn *c)
{
	struct zes_worker	*w = c->w;
	bufferevent_event_cb	 eventcb = NULL;
	void			*cbarg = NULL;
	size_t			 n;

	/* evhttp's callbacks on the bufferevent carry its connection. */
	bufferevent_getcb(c->bev, NULL, NULL, &eventcb, &cbarg);
	if (eventcb == NULL || cbarg == NULL ||
	    evhttp_connection_get_bufferevent(cbarg) != c->bev) {
		/*
		 * evhttp could not set the connection up and freed it (and
		 * closed the socket): nothing to count.  The bufferevent must
		 * watch nothing; it is left, not freed, so that it cannot
		 * close a descriptor number the kernel may have reused.
		 */
		bufferevent_disable(c->bev, EV_READ | EV_WRITE);
		zes_log_warn("http", "accept_failed", "worker=%u", w->id);
		c->input_cb = NULL;
		server_conn_free(c);
		return;
	}
	c->evcon = cbarg;
	bufferevent_decref(c->bev);
	if (c->refused) {
		w->conns_refused++;
		zes_log_debug("http", "connection_refused", "worker=%u open=%u "
		    "limit=%u", w->id, w->nconns, w->conn_limit);
		evhttp_connection_free(c->evcon);
		server_conn_free(c);
		return;
	}
	c->fd = (int)bufferevent_getfd(c->bev);
	if (c->fd >= 0) {
		if ((size_t)c->fd >= w->conn_by_fd_len) {
			n = w->conn_by_fd_len ? w->conn_by_fd_len : 256;
			while (n <= (size_t)c->fd)
				n *= 2;
			w->conn_by_fd = xrealloc(w->conn_by_fd,
			    n * sizeof(*w->conn_by_fd));
			memset(w->conn_by_fd + w->conn_by_fd_len, 0,
			    (n - w->conn_by_fd_len) * sizeof(*w->conn_by_fd));
			w->conn_by_fd_len = n;
		}
		w->conn_by_fd[c->fd] = c;
	}
	evhttp_connection_set_closecb(c->evcon, server_conn_close_cb, c);
	c->input_cb = evbuffer_add_cb(bufferevent_get_input(c->bev),
	    server_conn_input_cb, c);
	server_conn_set_state(c, CONN_READING);
}

/* The connection's event: first its attachment, then its read deadline. */
static void
server_conn_cb(evutil_socket_t fd, short what, void *arg)
{
	struct zes_conn		*c = arg;
	struct zes_worker	*w = c->w;

	(void)fd;
	(void)what;
	if (c->state == CONN_ACCEPTED) {
		server_conn_attach(c);
		return;
	}
	if (c->state != CONN_READING)
		return;
	/*
	 * The request did not arrive in time: cut the connection (frees c
	 * through server_conn_close_cb).  There is no request to answer a
	 * 408 on: evhttp has not finished reading one.
	 */
	w->conns_cut++;
	zes_log_debug("http", "slow_request_cut", "worker=%u timeout_ms=%u",
	    w->id, w->cfg->request_read_timeout_ms);
	evhttp_connection_free(c->evcon);
}

/* evhttp closes the connection (on any path): forget it. */
static void
server_conn_close_cb(struct evhttp_connection *evcon, void *arg)
{
	evhttp_connection_set_closecb(evcon, NULL, NULL);
	server_conn_free(arg);
}

/* Bytes arrived: on an idle connection, a request begins and its deadline runs. */
static void
server_conn_input_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct zes_conn	*c = arg;

	(void)buf;
	if (info->n_added > 0 && c->state == CONN_IDLE)
		server_conn_set_state(c, CONN_READING);
}

/* Move a connection to a state and arm or stop its deadline to match. */
static void
server_conn_set_state(struct zes_conn *c, enum conn_state state)
{
	unsigned	ms = c->w->cfg->request_read_timeout_ms;
	struct timeval	tv;

	c->state = state;
	evtimer_del(c->ev);
	if (state == CONN_READING && ms != 0) {
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
		evtimer_add(c->ev, &tv);
	}
}

/* The accounting of the connection a request came on, or NULL (client gone). */
static struct zes_conn *
server_conn_of(struct zes_worker *w, struct evhttp_request *ev)
{
	struct evhttp_connection	*evcon;
	struct zes_conn			*c;
	evutil_socket_t			 fd;

	if ((evcon = evhttp_request_get_connection(ev)) == NULL)
		return NULL;
	fd = bufferevent_getfd(evhttp_connection_get_bufferevent(evcon));
	if (fd < 0 || (size_t)fd >= w->conn_by_fd_len)
		return NULL;
	c = w->conn_by_fd[fd];
	return c != NULL && c->evcon == evcon ? c : NULL;
}

/*
 * The token a request's client certificate maps to (tls_client_map).
 * 0 and *who filled; -1 no verified certificate; -2 a certificate the map
 * does not name; -3 it names a token that is unknown or revoked.
 */
static int
server_cert_principal(struct zes_req *r, struct zes_conn *c,
    struct zes_principal *who)
{
	struct zes_worker		*w = r->w;
	struct evhttp_connection	*evcon;
	SSL				*ssl = NULL;
	uint8_t				 mine[ZES_TLS_FP_LEN];
	const uint8_t			*fp = mine;
	const char			*name;
	int				 known;

	if (w->tls == NULL || zes_tls_map_count(w->tls) == 0)
		return -1;
	if (c != NULL && c->fp_known != 0) {
		/* A connection's certificate does not change: digest it once. */
		if (c->fp_known < 0)
			return -1;
		fp = c->fp;
	} else {
		if ((evcon = evhttp_request_get_connection(r->ev)) != NULL)
			ssl = bufferevent_openssl_get_ssl(
			    evhttp_connection_get_bufferevent(evcon));
		known = zes_tls_peer_fingerprint(ssl, mine) == 0 ? 1 : -1;
		if (c != NULL) {
			c->fp_known = known;
			memcpy(c->fp, mine, sizeof(mine));
		}
		if (known < 0)
			return -1;
	}
	if ((name = zes_tls_map_lookup(w->tls, fp)) == NULL)
		return -2;
	if (zes_tokens_lookup_name(w->tokens, name, who) != 0)
		return -3;
	return 0;
}

/*
 * The request's rate limit: the token's read or write bucket (enforcement
 * tokens: their own limit, on the read bucket).  0 when the request may
 * go on; else the 429 was answered.
 */
static int
server_rate_limit(struct zes_req *r)
{
	struct zes_rate_limit	 lim;
	enum zes_rate_class	 cls;
	unsigned		 rate, burst;
	uint64_t		 wait_ns = 0;
	char			 buf[32];

	if (r->who.rate == NULL)
		return 0;
	cls = zes_route_writes(r->route) ? ZES_RATE_WRITE : ZES_RATE_READ;
	if (r->who.role == ZES_ROLE_ENFORCEMENT) {
		cls = ZES_RATE_READ;
		rate = r->cfg->rate_enforcement_per_s;
		burst = r->cfg->rate_enforcement_burst;
	} else if (cls == ZES_RATE_READ) {
		rate = r->cfg->rate_read_per_s;
		burst = r->cfg->rate_read_burst;
	} else {
		rate = r->cfg->rate_write_per_s;
		burst = r->cfg->rate_write_burst;
	}
	zes_rate_limit_make(&lim, rate, burst);
	if (zes_rate_take_shared(&r->who.rate->tat[cls], r->start_ns, &lim,
	    &wait_ns) == 0)
		return 0;
	snprintf(buf, sizeof(buf), "%lu", zes_rate_retry_after_s(wait_ns));
	zes_req_header(r, "Retry-After", buf);
	zes_http_problem(r, 429, "Too many requests",
	    "this token may make %u %s a second, %u at once; try again in %s s",
	    rate, r->who.role == ZES_ROLE_ENFORCEMENT ? "requests" :
	    cls == ZES_RATE_READ ? "reads" : "writes", burst, buf);
	return -1;
}

/* Is this a JSON media type (application/json or +json, any parameters)? */
static int
server_content_type_ok(const char *ct)
{
	size_t	n;

	if (ct == NULL)
		return 0;
	n = strcspn(ct, ";");
	while (n > 0 && ct[n - 1] == ' ')
		n--;
	if (n == 16 && strncasecmp(ct, "application/json", 16) == 0)
		return 1;
	if (n == 28 && strncasecmp(ct, "application/merge-patch+json", 28) == 0)
		return 1;
	return 0;
}

/* Entry point of every request. */
static void
server_request_cb(struct evhttp_request *ev, void *arg)
{
	struct zes_worker	*w = arg;
	struct zes_req		*r;
	struct zes_conn		*conn;
	const struct evhttp_uri	*uri;
	const char		*rawpath, *rawquery, *auth, *ct;
	struct evbuffer		*in;
	struct evkeyval		*kv;
	size_t			 len, dlen, limit, nheaders;
	unsigned		 allow;
	enum zes_match		 m;
	char			 allowbuf[128];
	struct timeval		 tv;
	uint64_t		 started, spent_us, left_us;

	r = xcalloc(1, sizeof(*r));
	r->w = w;
	r->ev = ev;
	r->cfg = zes_config_ref(w->cfg);
	r->start_ns = server_now_ns();
	r->route_index = zes_router_count();
	TAILQ_INIT(&r->query);
	server_rid(r->rid, w->id, w->rid_next++, r->start_ns);
	w->inflight++;
	/* Read in full: from here the request's own deadline bounds it. */
	if ((conn = server_conn_of(w, ev)) != NULL)
		server_conn_set_state(conn, CONN_HANDLING);

	/*
	 * Limits of the request line and headers.  Their total size is
	 * evhttp's (max_header_bytes); past it evhttp answers by itself.
	 */
	if ((len = strlen(evhttp_request_get_uri(ev))) > r->cfg->max_uri_bytes) {
		zes_http_problem(r, 414, "URI too long", "the URI has %zu bytes; "
		    "zesd takes at most %u", len, r->cfg->max_uri_bytes);
		return;
	}
	nheaders = 0;
	TAILQ_FOREACH(kv, evhttp_request_get_input_headers(ev), next)
		nheaders++;
	if (nheaders > r->cfg->max_header_count) {
		zes_http_problem(r, 431, "Request header fields too large",
		    "the request has %zu header fields; zesd takes at most %u",
		    nheaders, r->cfg->max_header_count);
		return;
	}

	uri = evhttp_request_get_evhttp_uri(ev);
	rawpath = uri ? evhttp_uri_get_path(uri) : NULL;
	if (rawpath == NULL || *rawpath == '\0')
		rawpath = "/";
	r->path = evhttp_uridecode(rawpath, 0, &dlen);
	if (r->path == NULL || strlen(r->path) != dlen) {
		zes_http_problem(r, 400, "Invalid request", "the path is malformed");
		return;
	}
	rawquery = uri ? evhttp_uri_get_query(uri) : NULL;
	/* evhttp decodes values into C strings: %00 would cut one short unseen. */
	if (rawquery != NULL && strstr(rawquery, "%00") != NULL) {
		zes_http_problem(r, 400, "Invalid request",
		    "the query string holds an encoded NUL byte (%%00)");
		return;
	}
	if (rawquery != NULL && evhttp_parse_query_str(rawquery, &r->query) != 0) {
		zes_http_problem(r, 400, "Invalid request",
		    "the query string is malformed");
		return;
	}

	if (zes_log_enabled(ZES_LOG_DEBUG)) {
		char q[300];

		zes_log_event(ZES_LOG_DEBUG, "http", r->rid, "request",
		    "method=%s path=%s",
		    zes_method_name(evhttp_request_get_command(ev)),
		    zes_log_quote(q, sizeof(q), r->path, 200));
	}
	m = zes_router_match(evhttp_request_get_command(ev) == EVHTTP_REQ_OPTIONS ?
	    EVHTTP_REQ_GET : evhttp_request_get_command(ev), r->path, &r->route,
	    &r->route_index, r->params, &allow);
	if (evhttp_request_get_command(ev) == EVHTTP_REQ_OPTIONS && m != ZES_MATCH_NO_PATH) {
		r->route = NULL;
		r->route_index = zes_router_count();
		server_preflight(r);
		return;
	}
	if (m == ZES_MATCH_NO_PATH) {
		zes_http_problem(r, 404, "Not found", "no resource at this path");
		return;
	}
	if (m == ZES_MATCH_NO_METHOD) {
		zes_method_list(allow, allowbuf, sizeof(allowbuf));
		zes_req_header(r, "Allow", allowbuf);
		zes_http_problem(r, 405, "Method not allowed",
		    "this resource allows %s", allowbuf);
		return;
	}

	if (r->route->roles != ZES_ROLE_NONE) {
		auth = evhttp_find_header(evhttp_request_get_input_headers(ev),
		    "Authorization");
		/*
		 * Without an Authorization header, a client certificate that
		 * tls_client_map names stands for its token.  With one, the
		 * header decides alone: a bad token is 401 even then.
		 */
		if (auth == NULL && w->tls != NULL &&
		    zes_tls_map_count(w->tls) > 0) {
			if (w->tokens == NULL) {
				zes_http_unavailable(r,
				    "the token cache is not loaded yet");
				return;
			}
			switch (server_cert_principal(r, conn, &r->who)) {
			case 0:
				break;
			case -2:
				zes_req_header(r, "WWW-Authenticate", "Bearer");
				zes_http_problem(r, 401, "Unauthorized",
				    "the client certificate is not mapped to a token");
				return;
			case -3:
				zes_req_header(r, "WWW-Authenticate", "Bearer");
				zes_http_problem(r, 401, "Unauthorized", "the token "
				    "the client certificate maps to is unknown or revoked");
				return;
			default:
				zes_req_header(r, "WWW-Authenticate", "Bearer");
				zes_http_problem(r, 401, "Unauthorized", "a bearer "
				    "token or a mapped client certificate is required");
				return;
			}
		} else if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0) {
			zes_req_header(r, "WWW-Authenticate", "Bearer");
			zes_http_problem(r, 401, "Unauthorized",
			    "a bearer token is required");
			return;
		} else {
			if (w->tokens == NULL) {
				zes_http_unavailable(r,
				    "the token cache is not loaded yet");
				return;
			}
			auth += 7;
			while (*auth == ' ')
				auth++;
			if (zes_tokens_lookup(w->tokens, auth, strlen(auth),
			    &r->who) != 0) {
				zes_req_header(r, "WWW-Authenticate",
				    "Bearer error=\"invalid_token\"");
				zes_http_problem(r, 401, "Unauthorized",
				    "the token is unknown or revoked");
				return;
			}
		}
		if ((r->who.role & r->route->roles) == 0) {
			zes_http_problem(r, 403, "Forbidden",
			    "the role %s may not call this route",
			    zes_role_name(r->who.role));
			return;
		}
	}
	/*
	 * After authentication and the role (a caller without rights learns
	 * nothing, not even that this zesd is read-only), before the rate
	 * limit (a refused write costs nothing) and the body.
	 */
	if (r->cfg->read_only && zes_route_writes(r->route)) {
		server_read_only(r);
		return;
	}
	if (r->route->roles != ZES_ROLE_NONE && server_rate_limit(r) != 0)
		return;
	/* Borrowed from the worker's token set: not for after an asynchronous gap. */
	r->who.rate = NULL;

	in = evhttp_request_get_input_buffer(ev);
	len = evbuffer_get_length(in);
	limit = (size_t)r->cfg->max_body_bytes *
	    (r->route->body_factor ? r->route->body_factor : 1);
	if (len > limit) {
		zes_http_problem(r, 413, "Content too large",
		    "the body has %zu bytes; this route takes at most %zu", len, limit);
		return;
	}
	if (r->route->body == ZES_BODY_NONE && len > 0) {
		zes_req_error(r, "", "this route takes no body");
		zes_http_invalid(r);
		return;
	}
	if (r->route->body != ZES_BODY_NONE &&
	    (len > 0 || r->route->body != ZES_BODY_JSON_OPTIONAL)) {
		ct = evhttp_find_header(evhttp_request_get_input_headers(ev),
		    "Content-Type");
		if (!server_content_type_ok(ct)) {
			zes_http_problem(r, 415, "Unsupported media type",
			    "the body must be application/json");
			return;
		}
		if (len == 0) {
			zes_req_error(r, "", "a JSON object is required");
			zes_http_invalid(r);
			return;
		}
		r->raw = (char *)evbuffer_pullup(in, (ev_ssize_t)len);
		r->rawlen = len;
		if (r->route->body != ZES_BODY_JSON_RAW && zes_req_decode(r) != 0) {
			zes_http_invalid(r);
			return;
		}
	}

	/*
	 * Most handlers answer before they return (access checks, lists from
	 * memory); the deadline is armed only for a request that outlives its
	 * handler's call, counted from the handler's start.
	 */
	r->timeout_ms = r->cfg->request_timeout_ms;
	if (r->route->timeout_ms != 0 && r->route->timeout_ms < r->timeout_ms)
		r->timeout_ms = r->route->timeout_ms;
	started = server_now_ns();
	w->in_handler = r;
	r->route->handler(r);
	if (w->in_handler != r)
		return;		/* answered (and freed) already */
	w->in_handler = NULL;
	spent_us = (server_now_ns() - started) / 1000;
	left_us = (uint64_t)r->timeout_ms * 1000;
	left_us = spent_us < left_us ? left_us - spent_us : 0;
	tv.tv_sec = (time_t)(left_us / 1000000);
	tv.tv_usec = (suseconds_t)(left_us % 1000000);
	r->deadline = evtimer_new(w->base, server_deadline_cb, r);
	evtimer_add(r->deadline, &tv);
}

/* The request's own deadline passed: give up its store job and answer 503. */
static void
server_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct zes_req	*r = arg;

	(void)fd;
	(void)what;
	if (r->job != NULL) {
		zes_store_abandon(r->job);
		r->job = NULL;
	}
	zes_log_event(ZES_LOG_WARN, "http", r->rid, "deadline",
	    "route=%s timeout_ms=%u", r->route ? r->route->path : "-",
	    r->timeout_ms);
	zes_http_unavailable(r, "the request took too long");
}

/* CORS preflight or plain OPTIONS on a known path. */
static void
server_preflight(struct zes_req *r)
{
	struct evkeyvalq	*out = evhttp_request_get_output_headers(r->ev);
	unsigned		 allow = 0;
	char			 buf[128];
	const struct zes_route	*route;
	size_t			 idx;
	char			*params[ZES_ROUTE_MAX_PARAMS] = { NULL };
	enum evhttp_cmd_type	 methods[] = { EVHTTP_REQ_GET, EVHTTP_REQ_POST,
	    EVHTTP_REQ_PUT, EVHTTP_REQ_PATCH, EVHTTP_REQ_DELETE };
	size_t			 i, j;

	for (i = 0; i < ZES_NELEM(methods); i++) {
		unsigned a;

		if (zes_router_match(methods[i], r->path, &route, &idx, params,
		    &a) == ZES_MATCH_FOUND) {
			allow |= methods[i];
			if (route->cors_any)
				r->route = route;	/* for the * origin */
		}
		for (j = 0; j < ZES_ROUTE_MAX_PARAMS; j++) {
			free(params[j]);
			params[j] = NULL;
		}
	}
	zes_method_list(allow | EVHTTP_REQ_OPTIONS, buf, sizeof(buf));
	evhttp_add_header(out, "Allow", buf);
	if (evhttp_find_header(evhttp_request_get_input_headers(r->ev),
	    "Access-Control-Request-Method") != NULL) {
		evhttp_add_header(out, "Access-Control-Allow-Methods", buf);
		evhttp_add_header(out, "Access-Control-Allow-Headers",
		    "Authorization, Content-Type, Idempotency-Key, If-Match");
		evhttp_add_header(out, "Access-Control-Max-Age", "600");
	}
	server_send(r, 204, NULL, NULL);
}

/* Add a response header. */
void
zes_req_header(struct zes_req *r, const char *name, const char *value)
{
	evhttp_add_header(evhttp_request_get_output_headers(r->ev), name, value);
}

/* Collect an input error. */
void
zes_req_error(struct zes_req *r, const char *field, const char *fmt, ...)
{
	va_list	ap;
	char	msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->errors = xrealloc(r->errors, (r->nerrors + 1) * sizeof(*r->errors));
	r->errors[r->nerrors].field = xstrdup(field);
	r->errors[r->nerrors].message = xstrdup(msg);
	r->nerrors++;
}

/*
 * Bound a JSON text before parsing it: nesting depth and the number of
 * items of any one array or object.  A scan of the bytes (strings
 * skipped); the syntax is the parser's to check.  0, or -1 after adding
 * the error to r.
 */
static int
server_json_bounds(struct zes_req *r, const char *buf, size_t len)
{
	unsigned	commas[JSON_MAX_DEPTH + 1];
	unsigned	depth = 0;
	size_t		i;
	int		in_string = 0;

	for (i = 0; i < len; i++) {
		if (in_string) {
			if (buf[i] == '\\')
				i++;
			else if (buf[i] == '"')
				in_string = 0;
			continue;
		}
		switch (buf[i]) {
		case '"':
			in_string = 1;
			break;
		case '{':
		case '[':
			if (depth == JSON_MAX_DEPTH) {
				zes_req_error(r, "", "the JSON nests deeper than "
				    "%d levels", JSON_MAX_DEPTH);
				return -1;
			}
			commas[++depth] = 0;
			break;
		case '}':
		case ']':
			if (depth > 0)
				depth--;
			break;
		case ',':
			if (depth > 0 && ++commas[depth] >= JSON_MAX_ITEMS) {
				zes_req_error(r, "", "an array or object has more "
				    "than %d items", JSON_MAX_ITEMS);
				return -1;
			}
			break;
		}
	}
	return 0;
}

/* Decode the raw body the strict way, within the bounds above. */
int
zes_req_decode(struct zes_req *r)
{
	if (r->body == NULL && r->raw != NULL) {
		if (server_json_bounds(r, r->raw, r->rawlen) != 0)
			return -1;
		r->body = zes_json_decode(r, r->raw, r->rawlen);
	}
	return r->body != NULL ? 0 : -1;
}

/* A query parameter or NULL. */
const char *
zes_req_query(struct zes_req *r, const char *name)
{
	return evhttp_find_header(&r->query, name);
}

/* Unknown or repeated query keys become errors. */
int
zes_req_query_check(struct zes_req *r, const char *const *allowed)
{
	struct evkeyval	*kv, *kv2;
	size_t		 i;
	int		 n = 0, known, seen;

	TAILQ_FOREACH(kv, &r->query, next) {
		known = 0;
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(allowed[i], kv->key) == 0)
				known = 1;
		seen = 0;
		TAILQ_FOREACH(kv2, &r->query, next) {
			if (kv2 == kv)
				break;
			if (strcmp(kv2->key, kv->key) == 0)
				seen = 1;
		}
		if (!known) {
			zes_req_error(r, kv->key, "unknown query parameter");
			n++;
		} else if (seen) {
			zes_req_error(r, kv->key, "given more than once");
			n++;
		}
	}
	return n;
}

/* Free a request context (after its reply). */
static void
server_free_req(struct zes_req *r)
{
	size_t	i;

	if (r->data_free != NULL)
		r->data_free(r->data);
	if (r->deadline != NULL)
		event_free(r->deadline);
	for (i = 0; i < r->nerrors; i++) {
		free(r->errors[i].field);
		free(r->errors[i].message);
	}
	free(r->errors);
	for (i = 0; i < ZES_ROUTE_MAX_PARAMS; i++)
		free(r->params[i]);
	json_decref(r->body);
	evhttp_clear_headers(&r->query);
	free(r->path);
	zes_config_unref(r->cfg);
	free(r);
}

/*
 * The one reply path: common headers, send, access log, metrics, free.
 * `body` (may be NULL) is drained by evhttp.
 */
static void
server_send(struct zes_req *r, int status, const char *ctype,
    struct evbuffer *body)
{
	struct evkeyvalq	*out = evhttp_request_get_output_headers(r->ev);
	struct zes_worker	*w = r->w;
	struct zes_conn		*conn;
	const char		*origin;
	double			 secs;

	if (r->job != NULL)
		zes_fatalx("reply with a store job in flight (rid %s)", r->rid);
	if (ctype != NULL)
		evhttp_add_header(out, "Content-Type", ctype);
	evhttp_add_header(out, "API-Version", ZES_API_VERSION);
	evhttp_add_header(out, "Cache-Control", "no-store");
	evhttp_add_header(out, "Content-Security-Policy", "frame-ancestors 'none'");
	evhttp_add_header(out, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(out, "X-Frame-Options", "DENY");
	evhttp_add_header(out, "X-Request-Id", r->rid);
	origin = evhttp_find_header(evhttp_request_get_input_headers(r->ev), "Origin");
	if (r->route != NULL && r->route->cors_any)
		evhttp_add_header(out, "Access-Control-Allow-Origin", "*");
	else if (origin != NULL && zes_config_cors_allowed(r->cfg, origin)) {
		evhttp_add_header(out, "Access-Control-Allow-Origin", origin);
		evhttp_add_header(out, "Vary", "Origin");
		/* A browser client reads the ETag it must send back as If-Match. */
		if (evhttp_find_header(out, "ETag") != NULL)
			evhttp_add_header(out, "Access-Control-Expose-Headers", "ETag");
	}
	if (status == 503 && !r->no_retry_after &&
	    evhttp_find_header(out, "Retry-After") == NULL)
		evhttp_add_header(out, "Retry-After", RETRY_AFTER_S);
	if (w->tls != NULL)
		evhttp_add_header(out, "Strict-Transport-Security", ZES_TLS_HSTS);
	if (w->stopping)
		evhttp_add_header(out, "Connection", "close");
	/*
	 * The connection waits for its next request, or reads one already
	 * there (pipelined): then that one's deadline runs from now.  Before
	 * the reply: evhttp may free the request (and its link) in it.
	 */
	if ((conn = server_conn_of(w, r->ev)) != NULL)
		server_conn_set_state(conn, evbuffer_get_length(
		    bufferevent_get_input(conn->bev)) > 0 ? CONN_READING : CONN_IDLE);

	evhttp_send_reply(r->ev, status, server_reason(status), body);

	secs = (double)(server_now_ns() - r->start_ns) / 1e9;
	zes_metrics_observe(w->metrics, r->route_index,
	    evhttp_request_get_command(r->ev), status, secs);
	if (zes_log_enabled(ZES_LOG_INFO))
		zes_log_event(ZES_LOG_INFO, "http", r->rid, "access",
		    "method=%s route=%s status=%d duration_ms=%.3f",
		    zes_method_name(evhttp_request_get_command(r->ev)),
		    r->route ? r->route->path : "-", status, secs * 1000.0);
	w->inflight--;
	if (w->in_handler == r)
		w->in_handler = NULL;
	server_free_req(r);
}

/* GET of one resource by the UUID of its path. */
void
zes_http_get_by_id(struct zes_req *r, const char *what, const char *name,
    const char *sql, void (*done)(const struct zes_store_result *, void *))
{
	const char	*params[1] = { r->params[0] };

	if (zes_req_query_check(r, (const char *const[]){ NULL }) > 0) {
		zes_http_invalid(r);
		return;
	}
	/* Not a UUID: nothing has it (and the cast would fail in SQL). */
	if (!zes_uuid_valid(r->params[0])) {
		zes_http_problem(r, 404, "Not found", "no %s has this id", what);
		return;
	}
	r->job = name != NULL ?
	    zes_store_query_named(r->w->store, name, sql, 1, params, done, r) :
	    zes_store_query(r->w->store, sql, 1, params, done, r);
	if (r->job == NULL)
		zes_http_unavailable(r, "the database is unavailable");
}

/* Answer one page of a keyset-paged list. */
void
zes_http_reply_page(struct zes_req *r, const PGresult *p, long long limit,
    zes_page_item_fn *item, char tag, int at_col, int id_col)
{
	json_t		*items, *one, *next;
	char		 cursor[ZES_CURSOR_MAX];
	int		 i, n = PQntuples(p);

	items = json_array();
	for (i = 0; i < n && i < limit; i++) {
		if ((one = item(p, i)) == NULL) {
			json_decref(items);
			zes_http_internal(r, "damaged row in a list");
			return;
		}
		json_array_append_new(items, one);
	}
	next = json_null();
	if (n > limit) {
		if (zes_cursor_format(cursor, sizeof(cursor), tag,
		    PQgetvalue(p, (int)limit - 1, at_col),
		    PQgetvalue(p, (int)limit - 1, id_col)) != 0) {
			json_decref(items);
			zes_http_internal(r, "a list row makes no cursor");
			return;
		}
		next = json_string(cursor);
	}
	zes_http_reply_json(r, 200, json_pack("{s:o, s:o}", "items", items,
	    "nextCursor", next));
}

/* Answer with JSON (stolen). */
void
zes_http_reply_json(struct zes_req *r, int status, json_t *body)
{
	struct evbuffer	*buf = evbuffer_new();
	char		*text;

	text = json_dumps(body, JSON_COMPACT);
	if (text == NULL)
		zes_fatalx("json_dumps failed");
	evbuffer_add(buf, text, strlen(text));
	free(text);
	json_decref(body);
	server_send(r, status, "application/json", buf);
	evbuffer_free(buf);
}

/* Answer with the content of an evbuffer (drained). */
void
zes_http_reply_evbuffer(struct zes_req *r, int status, const char *ctype,
    struct evbuffer *body)
{
	server_send(r, status, ctype, body);
}

/* Answer with bytes. */
void
zes_http_reply_bytes(struct zes_req *r, int status, const char *ctype,
    const void *data, size_t len)
{
	struct evbuffer	*buf = evbuffer_new();

	evbuffer_add(buf, data, len);
	server_send(r, status, ctype, buf);
	evbuffer_free(buf);
}

/* Build and send a problem+json of the type `slug`. */
static void
server_problem_typed(struct zes_req *r, int status, const char *slug,
    const char *title, const char *detail, json_t *errors)
{
	json_t		*p;
	struct evbuffer	*buf = evbuffer_new();
	char		*text, type[128];

	snprintf(type, sizeof(type), PROBLEM_TYPE_BASE "%s", slug);
	p = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", type, "title", title,
	    "status", status, "detail", detail, "instance", r->path ? r->path : "/");
	if (p == NULL)
		zes_fatalx("json_pack problem");
	json_object_set_new(p, "requestId", json_string(r->rid));
	if (errors != NULL)
		json_object_set_new(p, "errors", errors);
	text = json_dumps(p, JSON_COMPACT);
	evbuffer_add(buf, text, strlen(text));
	free(text);
	json_decref(p);
	server_send(r, status, "application/problem+json", buf);
	evbuffer_free(buf);
}

/* Build and send a problem+json of the status's own type. */
static void
server_problem(struct zes_req *r, int status, const char *title,
    const char *detail, json_t *errors)
{
	server_problem_typed(r, status, server_slug(status), title, detail,
	    errors);
}

/*
 * A write on a read_only zesd: 503 of type read-only, without Retry-After
 * (it would never succeed here; the primary's zesd takes writes).
 */
static void
server_read_only(struct zes_req *r)
{
	r->no_retry_after = 1;
	server_problem_typed(r, 503, "read-only", "Read-only",
	    "this zesd serves reads only (read_only = true, on a standby "
	    "database); send writes to the zesd of the primary", NULL);
}

/* Answer with a problem; detail formatted. */
void
zes_http_problem(struct zes_req *r, int status, const char *title,
    const char *fmt, ...)
{
	va_list	ap;
	char	detail[512];

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	server_problem(r, status, title, detail, NULL);
}

/* Answer 400 with every collected error. */
void
zes_http_invalid(struct zes_req *r)
{
	json_t	*errs = json_array();
	size_t	 i;
	char	 detail[128];

	for (i = 0; i < r->nerrors; i++)
		json_array_append_new(errs, json_pack("{s:s, s:s}", "field",
		    r->errors[i].field, "message", r->errors[i].message));
	snprintf(detail, sizeof(detail), "the request has %zu error%s",
	    r->nerrors, r->nerrors == 1 ? "" : "s");
	server_problem(r, 400, "Invalid input", detail, errs);
}

/* Answer 503 with Retry-After. */
void
zes_http_unavailable(struct zes_req *r, const char *detail)
{
	server_problem(r, 503, "Service unavailable", detail, NULL);
}

/* Answer 500 and log why. */
void
zes_http_internal(struct zes_req *r, const char *why)
{
	char	q[300];

	zes_log_event(ZES_LOG_ERROR, "http", r->rid, "internal_error",
	    "route=%s why=%s", r->route ? r->route->path : "-",
	    zes_log_quote(q, sizeof(q), why, 200));
	server_problem(r, 500, "Internal error",
	    "the server failed; the request id identifies the log line", NULL);
}

/* Decide a problem answer of a transaction (nothing written). */
void
zes_txn_vrefuse(struct zes_txn_answer *a, int status, const char *fmt, va_list ap)
{
	char	buf[512];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	free(a->detail);
	a->detail = xstrdup(buf);
	a->status = status;
	a->rolled_back = 1;
}

/* Free what an answer holds. */
void
zes_txn_answer_clear(struct zes_txn_answer *a)
{
	free(a->detail);
	free(a->text);
	free(a->location);
	memset(a, 0, sizeof(*a));
}

/* The title of a problem a transaction decided. */
static const char *
server_txn_title(int status)
{
	switch (status) {
	case 403:	return "Forbidden";
	case 404:	return "Not found";
	case 409:	return "Conflict";
	case 412:	return "Precondition failed";
	case 422:	return "Unprocessable content";
	default:	return "Error";
	}
}

/* Send a success: its headers and body. */
static void
server_txn_success(struct zes_req *r, const struct zes_txn_answer *a)
{
	if (a->location != NULL)
		zes_req_header(r, "Location", a->location);
	if (a->etag[0] != '\0')
		zes_req_header(r, "ETag", a->etag);
	zes_http_reply_bytes(r, a->status, "application/json", a->text,
	    strlen(a->text));
}

/* The transaction ended: send what its steps decided. */
int
zes_http_txn_done(struct zes_req *r, const struct zes_store_result *res,
    const struct zes_txn_answer *a,
    void (*failed)(struct zes_req *, const struct zes_store_result *))
{
	int	success = a->status >= 200 && a->status < 300 && a->text != NULL;

	if (a->rolled_back && a->status != 0) {
		/* Nothing was written, whatever the ROLLBACK's own fate. */
		if (a->status == 400)
			zes_http_invalid(r);
		else if (a->status == 500)
			zes_http_internal(r, a->detail);
		else if (success)
			server_txn_success(r, a);
		else
			zes_http_problem(r, a->status, server_txn_title(a->status),
			    "%s", a->detail != NULL ? a->detail : "");
		return 0;
	}
	if (res->status != ZES_STORE_OK) {
		failed(r, res);
		return 0;
	}
	if (!success) {
		zes_http_internal(r, "committed without an answer");
		return 0;
	}
	server_txn_success(r, a);
	return 1;
}

/*
 * The database errors a retry can cure: 503 with Retry-After, logged at the
 * level given.  Class 53 (disk full, out of memory, too many connections)
 * needs an operator.  Class 40 (transaction rollback: serialization
 * failure, deadlock; on a hot standby, a read cancelled by a conflict with
 * WAL replay) and 55P03 (lock not available) succeed when tried again.
 */
static const struct {
	const char		*sqlstate;	/* a whole code, or a class of two */
	enum zes_log_level	 level;
	const char		*event;
	const char		*detail;
} server_retryable[] = {
	{ "53", ZES_LOG_ERROR, "db_out_of_resources", "the database is out of "
	  "resources (disk, memory or connections); retry later" },
	{ "40", ZES_LOG_WARN, "db_conflict", "the database could not finish "
	  "the transaction now (a conflicting change); retry" },
	{ "55P03", ZES_LOG_WARN, "db_conflict", "the database could not finish "
	  "the transaction now (a lock was not available); retry" },
};

/*
 * A store job failed: 503 when the database is away, slow, or failed in a
 * way a retry cures (server_retryable), 500 otherwise.
 */
void
zes_http_store_failed(struct zes_req *r, const struct zes_store_result *res)
{
	char	why[300], q[300];
	size_t	i;

	switch (res->status) {
	case ZES_STORE_UNAVAILABLE:
		zes_http_unavailable(r, "the database is unavailable");
		return;
	case ZES_STORE_TIMEOUT:
		zes_http_unavailable(r, "the database did not answer in time");
		return;
	default:
		break;
	}
	for (i = 0; i < ZES_NELEM(server_retryable); i++) {
		if (strncmp(res->sqlstate, server_retryable[i].sqlstate,
		    strlen(server_retryable[i].sqlstate)) != 0)
			continue;
		zes_log_event(server_retryable[i].level, "http", r->rid,
		    server_retryable[i].event, "route=%s sqlstate=%s why=%s",
		    r->route ? r->route->path : "-", res->sqlstate,
		    zes_log_quote(q, sizeof(q), res->message != NULL ?
		    res->message : "", 200));
		zes_http_unavailable(r, server_retryable[i].detail);
		return;
	}
	snprintf(why, sizeof(why), "database error %s: %s",
	    res->sqlstate, res->message);
	zes_http_internal(r, why);
}
