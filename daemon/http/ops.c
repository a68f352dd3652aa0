/*
 * Operations routes, no token: liveness, readiness, Prometheus metrics and
 * the OpenAPI document.
 */

#include <string.h>

#include <event2/buffer.h>

#include "zes/http.h"
#include "zes/routes.h"
#include "zes/store.h"
#include "zes/worker.h"

extern const char	zes_openapi_doc[];
extern const size_t	zes_openapi_doc_len;

static void	ops_healthz(struct zes_req *);
static void	ops_readyz(struct zes_req *);
static void	ops_metrics(struct zes_req *);
static void	ops_openapi(struct zes_req *);

const struct zes_route zes_routes_ops[] = {
	{ .method = EVHTTP_REQ_GET, .path = "/healthz", .handler = ops_healthz },
	/* API.md: a lost database is noticed within 5 s, whatever the timeouts. */
	{ .method = EVHTTP_REQ_GET, .path = "/readyz", .timeout_ms = 3000,
	  .handler = ops_readyz },
	{ .method = EVHTTP_REQ_GET, .path = "/metrics", .handler = ops_metrics },
	{ .method = EVHTTP_REQ_GET, .path = "/v1/openapi.json", .cors_any = 1,
	  .handler = ops_openapi },
	{ 0 }
};

/* The schema check of /readyz: the newest migration applied. */
static const char ops_readyz_sql[] =
    "SELECT max(version) FROM schema_migrations";

/* GET /healthz: the process serves. */
static void
ops_healthz(struct zes_req *r)
{
	zes_http_reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

/* Completion of the readiness query. */
static void
ops_readyz_done(const struct zes_store_result *res, void *arg)
{
	struct zes_req	*r = arg;

	r->job = NULL;
	if (res->status == ZES_STORE_ERROR && strcmp(res->sqlstate, "42P01") == 0)
		zes_http_unavailable(r, "the database has no schema: run zesctl migrate");
	else if (res->status != ZES_STORE_OK)
		zes_http_unavailable(r, res->status == ZES_STORE_TIMEOUT ?
		    "the database did not answer in time" :
		    "the database is unavailable");
	else if (PQgetisnull(res->res[0], 0, 0))
		zes_http_unavailable(r, "the database has no schema: run zesctl migrate");
	else
		zes_http_reply_json(r, 200, json_pack("{s:s, s:s}", "status",
		    "ready", "schemaVersion", PQgetvalue(res->res[0], 0, 0)));
}

/*
 * GET /readyz: ready when not stopping, the token cache is loaded and the
 * database answers a query on the schema.
 */
static void
ops_readyz(struct zes_req *r)
{
	if (atomic_load(&r->w->srv->stopping)) {
		zes_http_unavailable(r, "shutting down");
		return;
	}
	if (r->w->tokens == NULL) {
		zes_http_unavailable(r, "the token cache is not loaded yet");
		return;
	}
	r->job = zes_store_query(r->w->store, ops_readyz_sql, 0, NULL,
	    ops_readyz_done, r);
	if (r->job == NULL)
		zes_http_unavailable(r, "the database is unavailable");
}

/* GET /metrics: every worker's counters merged. */
static void
ops_metrics(struct zes_req *r)
{
	struct zes_server		*srv = r->w->srv;
	struct zes_metrics		*sets[256];
	struct zes_metrics_extra	 x;
	struct evbuffer			*buf;
	unsigned			 i;
	size_t				 len;

	memset(&x, 0, sizeof(x));
	for (i = 0; i < srv->nworkers && i < ZES_NELEM(sets); i++) {
		struct zes_worker *w = &srv->workers[i];

		sets[i] = w->metrics;
		x.db_connected += atomic_load(&w->db_connected);
		x.db_queued += atomic_load(&w->db_queued);
		x.db_errors_total += atomic_load(&w->db_errors);
		x.db_reconnects_total += atomic_load(&w->db_reconnects);
		x.inflight += w == r->w ? w->inflight : atomic_load(&w->inflight_seen);
	}
	x.db_connected += atomic_load(&srv->main_db_connected);
	x.db_connections = srv->nworkers + 1;
	x.tokens = zes_tokens_count(r->w->tokens);
	x.ready = r->w->tokens != NULL && x.db_connected == x.db_connections &&
	    !atomic_load(&srv->stopping);
	buf = evbuffer_new();
	zes_metrics_render(buf, sets, i, &x);
	len = evbuffer_get_length(buf);
	zes_http_reply_bytes(r, 200, "text/plain; version=0.0.4; charset=utf-8",
	    evbuffer_pullup(buf, (ev_ssize_t)len), len);
	evbuffer_free(buf);
}

/* GET /v1/openapi.json: the document zesd was built with. */
static void
ops_openapi(struct zes_req *r)
{
	zes_http_reply_bytes(r, 200, "application/json", zes_openapi_doc,
	    zes_openapi_doc_len);
}
