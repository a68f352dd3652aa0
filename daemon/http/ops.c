/*
 * Operations routes, no token: liveness, readiness, Prometheus metrics and
 * the OpenAPI document.
 */

#include <string.h>

#include <event2/buffer.h>

#include "zes/builder.h"
#include "zes/http.h"
#include "zes/index.h"
#include "zes/routes.h"
#include "zes/store.h"
#include "zes/version.h"
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
	else if (strcmp(PQgetvalue(res->res[0], 0, 0), ZES_SCHEMA_VERSION) < 0)
		zes_http_unavailable(r, "the database's schema is older than this "
		    "zesd needs (" ZES_SCHEMA_VERSION "): run zesctl migrate");
	else
		zes_http_reply_json(r, 200, json_pack("{s:s, s:s}", "status",
		    "ready", "schemaVersion", PQgetvalue(res->res[0], 0, 0)));
}

/*
 * GET /readyz: ready when not stopping, the token cache is loaded, every
 * worker's database connection is up (a request may land on any worker)
 * and the database answers a query on the schema.
 */
static void
ops_readyz(struct zes_req *r)
{
	const struct zes_server	*srv = r->w->srv;
	unsigned		 i;

	for (i = 0; i < srv->nworkers; i++) {
		if (atomic_load(&srv->workers[i].db_connected) == 0) {
			zes_http_unavailable(r,
			    "a worker's database connection is down");
			return;
		}
	}
	if (atomic_load(&r->w->srv->stopping)) {
		zes_http_unavailable(r, "shutting down");
		return;
	}
	if (r->w->tokens == NULL) {
		zes_http_unavailable(r, "the token cache is not loaded yet");
		return;
	}
	if (r->w->index == NULL) {
		zes_http_unavailable(r, "the access index is not loaded yet");
		return;
	}
	r->job = zes_store_query(r->w->store, ops_readyz_sql, 0, NULL,
	    ops_readyz_done, r);
	if (r->job == NULL)
		zes_http_unavailable(r, "the database is unavailable");
}

/* The access index's figures, in Prometheus text. */
static void
ops_metrics_index(struct evbuffer *buf, struct zes_worker *w)
{
	struct zes_index_stats		st;
	struct zes_builder_stats	bs;

	memset(&st, 0, sizeof(st));
	if (w->index != NULL)
		zes_index_get_stats(w->index, &st);
	zes_builder_get_stats(w->srv->builder, &bs);
	evbuffer_add_printf(buf,
	    "# HELP zes_index_ready 1 once the first access index snapshot is live.\n"
	    "# TYPE zes_index_ready gauge\n"
	    "zes_index_ready %d\n"
	    "# HELP zes_index_vehicles Vehicles in the access index.\n"
	    "# TYPE zes_index_vehicles gauge\n"
	    "zes_index_vehicles %zu\n"
	    "# HELP zes_index_profiles Distinct vehicle profiles the vehicles share.\n"
	    "# TYPE zes_index_profiles gauge\n"
	    "zes_index_profiles %zu\n"
	    "# HELP zes_index_exemptions Exemptions in the access index.\n"
	    "# TYPE zes_index_exemptions gauge\n"
	    "zes_index_exemptions %zu\n"
	    "# HELP zes_index_bytes Memory of the access index's tables.\n"
	    "# TYPE zes_index_bytes gauge\n"
	    "zes_index_bytes %zu\n"
	    "# HELP zes_index_seq The last change_log seq the index applied.\n"
	    "# TYPE zes_index_seq gauge\n"
	    "zes_index_seq %lld\n"
	    "# HELP zes_index_lag_seconds From the commit of the last change applied to its publication.\n"
	    "# TYPE zes_index_lag_seconds gauge\n"
	    "zes_index_lag_seconds %.6f\n"
	    "# HELP zes_index_build_seconds Duration of the last full load.\n"
	    "# TYPE zes_index_build_seconds gauge\n"
	    "zes_index_build_seconds %.3f\n"
	    "# HELP zes_index_deltas_total Batches of changes applied.\n"
	    "# TYPE zes_index_deltas_total counter\n"
	    "zes_index_deltas_total %llu\n"
	    "# HELP zes_index_errors_total Database errors of the index builder.\n"
	    "# TYPE zes_index_errors_total counter\n"
	    "zes_index_errors_total %llu\n",
	    w->index != NULL, st.vehicles, st.profiles, st.exemptions, st.bytes,
	    (long long)bs.seq, bs.lag_seconds, bs.build_seconds,
	    (unsigned long long)bs.deltas_total,
	    (unsigned long long)bs.errors_total);
}

/*
 * read_only, in Prometheus text: the state and, on a standby, how far its
 * WAL replay is behind the primary (the main thread asks every second).
 */
static void
ops_metrics_replica(struct evbuffer *buf, struct zes_req *r)
{
	long long	ms = atomic_load(&r->w->srv->replay_delay_ms);

	evbuffer_add_printf(buf,
	    "# HELP zes_read_only 1 when this zesd serves reads only (read_only, a standby's zesd).\n"
	    "# TYPE zes_read_only gauge\n"
	    "zes_read_only %d\n", r->cfg->read_only ? 1 : 0);
	if (!r->cfg->read_only || ms < 0)
		return;
	evbuffer_add_printf(buf,
	    "# HELP zes_replication_delay_seconds How far the standby's WAL replay is behind the primary (0 when it replayed all it received).\n"
	    "# TYPE zes_replication_delay_seconds gauge\n"
	    "zes_replication_delay_seconds %.3f\n", (double)ms / 1000.0);
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
	x.ready = x.ready && r->w->index != NULL;
	buf = evbuffer_new();
	zes_metrics_render(buf, sets, i, &x);
	ops_metrics_index(buf, r->w);
	ops_metrics_replica(buf, r);
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
