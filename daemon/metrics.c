/*
 * Metrics: each worker counts its answered requests by route, method and
 * status, and their latency by route; a scrape merges every worker's set and
 * writes the Prometheus text format.
 */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "zes/admit.h"
#include "zes/metrics.h"
#include "zes/router.h"
#include "zes/xmalloc.h"

#define METRICS_SLOTS	1024	/* distinct (route, method, status) per worker */

/* Upper bounds of the latency buckets, in seconds (enforcement wants the low end). */
static const double metrics_buckets[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
	1, 2.5, 5, 10,
};
#define METRICS_NBUCKETS	ZES_NELEM(metrics_buckets)

struct metrics_count {
	unsigned		 used;
	size_t			 route;		/* zes_router_count(): no route */
	unsigned		 method;
	int			 status;
	unsigned long long	 n;
};

struct metrics_hist {
	unsigned long long	 buckets[METRICS_NBUCKETS];	/* not cumulative */
	unsigned long long	 count;
	double			 sum;
};

struct zes_metrics {
	pthread_mutex_t		 lock;
	struct metrics_count	 counts[METRICS_SLOTS];
	struct metrics_hist	*hist;		/* zes_router_count() + 1 */
	size_t			 nhist;
	unsigned long long	 dropped;	/* combinations past METRICS_SLOTS */
	unsigned long long	 decisions[ZES_METRICS_BASES];	/* by enum zes_basis */
	unsigned long long	 apps[ZES_METRICS_APP_N][2];	/* by status, by_rules */
};

/* A worker's empty set. */
struct zes_metrics *
zes_metrics_new(void)
{
	struct zes_metrics	*m = xcalloc(1, sizeof(*m));

	pthread_mutex_init(&m->lock, NULL);
	m->nhist = zes_router_count() + 1;
	m->hist = xcalloc(m->nhist, sizeof(*m->hist));
	return m;
}

/* Free a set. */
void
zes_metrics_free(struct zes_metrics *m)
{
	if (m == NULL)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m->hist);
	free(m);
}

/* Count one request. */
void
zes_metrics_observe(struct zes_metrics *m, size_t route,
    enum evhttp_cmd_type method, int status, double seconds)
{
	size_t			 h, i, b;
	struct metrics_count	*c;

	if (route >= m->nhist)
		route = m->nhist - 1;
	h = (route * 31 + (size_t)method * 7 + (size_t)status) % METRICS_SLOTS;
	pthread_mutex_lock(&m->lock);
	for (i = 0; i < METRICS_SLOTS; i++) {
		c = &m->counts[(h + i) % METRICS_SLOTS];
		if (!c->used) {
			c->used = 1;
			c->route = route;
			c->method = (unsigned)method;
			c->status = status;
		}
		if (c->route == route && c->method == (unsigned)method &&
		    c->status == status) {
			c->n++;
			break;
		}
	}
	if (i == METRICS_SLOTS)
		m->dropped++;
	for (b = 0; b < METRICS_NBUCKETS && seconds > metrics_buckets[b]; b++)
		;
	if (b < METRICS_NBUCKETS)
		m->hist[route].buckets[b]++;
	m->hist[route].count++;
	m->hist[route].sum += seconds;
	pthread_mutex_unlock(&m->lock);
}

/* Add a request's access decisions, counted by basis. */
void
zes_metrics_decisions(struct zes_metrics *m, const unsigned *counts, size_t n)
{
	size_t	i;

	pthread_mutex_lock(&m->lock);
	for (i = 0; i < n && i < ZES_METRICS_BASES; i++)
		m->decisions[i] += counts[i];
	pthread_mutex_unlock(&m->lock);
}

/* Count an application state change that committed. */
void
zes_metrics_application(struct zes_metrics *m, enum zes_metrics_app status,
    int by_rules)
{
	if ((unsigned)status >= ZES_METRICS_APP_N)
		return;
	pthread_mutex_lock(&m->lock);
	m->apps[status][by_rules ? 1 : 0]++;
	pthread_mutex_unlock(&m->lock);
}

/* Route label of an index. */
static const char *
metrics_route(size_t i)
{
	return i < zes_router_count() ? zes_router_at(i)->path : "-";
}

/* Merge and render every worker's set. */
void
zes_metrics_render(struct evbuffer *out, struct zes_metrics *const *sets,
    size_t nsets, const struct zes_metrics_extra *x)
{
	struct metrics_count	*all;
	struct metrics_hist	*hist;
	size_t			 nall = 0, cap, i, j, k, nh;
	unsigned long long	 dropped = 0, cum, decisions[ZES_METRICS_BASES];
	unsigned long long	 apps[ZES_METRICS_APP_N][2];
	static const char *const app_status[ZES_METRICS_APP_N] = {
		"granted", "rejected", "in_review", "withdrawn" };

	nh = zes_router_count() + 1;
	cap = nsets * METRICS_SLOTS;
	all = xcalloc(cap ? cap : 1, sizeof(*all));
	hist = xcalloc(nh, sizeof(*hist));
	memset(decisions, 0, sizeof(decisions));
	memset(apps, 0, sizeof(apps));
	for (i = 0; i < nsets; i++) {
		struct zes_metrics *m = sets[i];

		pthread_mutex_lock(&m->lock);
		for (j = 0; j < METRICS_SLOTS; j++) {
			if (!m->counts[j].used)
				continue;
			for (k = 0; k < nall; k++)
				if (all[k].route == m->counts[j].route &&
				    all[k].method == m->counts[j].method &&
				    all[k].status == m->counts[j].status)
					break;
			if (k == nall)
				all[nall++] = m->counts[j];
			else
				all[k].n += m->counts[j].n;
		}
		for (j = 0; j < nh && j < m->nhist; j++) {
			for (k = 0; k < METRICS_NBUCKETS; k++)
				hist[j].buckets[k] += m->hist[j].buckets[k];
			hist[j].count += m->hist[j].count;
			hist[j].sum += m->hist[j].sum;
		}
		dropped += m->dropped;
		for (j = 0; j < ZES_METRICS_BASES; j++)
			decisions[j] += m->decisions[j];
		for (j = 0; j < ZES_METRICS_APP_N; j++) {
			apps[j][0] += m->apps[j][0];
			apps[j][1] += m->apps[j][1];
		}
		pthread_mutex_unlock(&m->lock);
	}

	evbuffer_add_printf(out,
	    "# HELP zes_http_requests_total HTTP requests answered, by route template, method and status code.\n"
	    "# TYPE zes_http_requests_total counter\n");
	for (k = 0; k < nall; k++)
		evbuffer_add_printf(out,
		    "zes_http_requests_total{route=\"%s\",method=\"%s\",code=\"%d\"} %llu\n",
		    metrics_route(all[k].route),
		    zes_method_name((enum evhttp_cmd_type)all[k].method),
		    all[k].status, all[k].n);
	evbuffer_add_printf(out,
	    "# HELP zes_http_request_duration_seconds Time from request to reply, by route template.\n"
	    "# TYPE zes_http_request_duration_seconds histogram\n");
	for (j = 0; j < nh; j++) {
		if (hist[j].count == 0)
			continue;
		cum = 0;
		for (k = 0; k < METRICS_NBUCKETS; k++) {
			cum += hist[j].buckets[k];
			evbuffer_add_printf(out,
			    "zes_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
			    metrics_route(j), metrics_buckets[k], cum);
		}
		evbuffer_add_printf(out,
		    "zes_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n"
		    "zes_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
		    "zes_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
		    metrics_route(j), hist[j].count, metrics_route(j), hist[j].sum,
		    metrics_route(j), hist[j].count);
	}
	evbuffer_add_printf(out,
	    "# HELP zes_access_decisions_total Access decisions, by basis.\n"
	    "# TYPE zes_access_decisions_total counter\n");
	for (j = 0; j < ZES_METRICS_BASES; j++)
		if (zes_basis_name((enum zes_basis)j) != NULL)
			evbuffer_add_printf(out,
			    "zes_access_decisions_total{basis=\"%s\"} %llu\n",
			    zes_basis_name((enum zes_basis)j), decisions[j]);
	evbuffer_add_printf(out,
	    "# HELP zes_application_outcomes_total Application state changes committed, by the status they led to and who decided (rules, or person: an assessor or the applicant's withdrawal).\n"
	    "# TYPE zes_application_outcomes_total counter\n");
	for (j = 0; j < ZES_METRICS_APP_N; j++)
		for (k = 0; k < 2; k++)
			evbuffer_add_printf(out,
			    "zes_application_outcomes_total{status=\"%s\",decided_by=\"%s\"} %llu\n",
			    app_status[j], k ? "rules" : "person", apps[j][k]);
	evbuffer_add_printf(out,
	    "# HELP zes_http_metrics_dropped_total Request counts not kept because a worker's table was full.\n"
	    "# TYPE zes_http_metrics_dropped_total counter\n"
	    "zes_http_metrics_dropped_total %llu\n"
	    "# HELP zes_http_requests_in_flight Requests received and not yet answered.\n"
	    "# TYPE zes_http_requests_in_flight gauge\n"
	    "zes_http_requests_in_flight %u\n"
	    "# HELP zes_db_connected Database connections that are up.\n"
	    "# TYPE zes_db_connected gauge\n"
	    "zes_db_connected %u\n"
	    "# HELP zes_db_connections Database connections configured (one per worker, one for the main thread).\n"
	    "# TYPE zes_db_connections gauge\n"
	    "zes_db_connections %u\n"
	    "# HELP zes_db_queued_jobs Database jobs waiting or in flight.\n"
	    "# TYPE zes_db_queued_jobs gauge\n"
	    "zes_db_queued_jobs %u\n"
	    "# HELP zes_db_errors_total Database jobs that failed (error, unavailable or timeout).\n"
	    "# TYPE zes_db_errors_total counter\n"
	    "zes_db_errors_total %llu\n"
	    "# HELP zes_db_reconnects_total Database connections made again after a loss.\n"
	    "# TYPE zes_db_reconnects_total counter\n"
	    "zes_db_reconnects_total %llu\n"
	    "# HELP zes_auth_tokens Active bearer tokens in the cache.\n"
	    "# TYPE zes_auth_tokens gauge\n"
	    "zes_auth_tokens %zu\n"
	    "# HELP zes_ready 1 when /readyz would answer 200.\n"
	    "# TYPE zes_ready gauge\n"
	    "zes_ready %d\n",
	    dropped, x->inflight, x->db_connected, x->db_connections,
	    x->db_queued, x->db_errors_total, x->db_reconnects_total,
	    x->tokens, x->ready);
	free(all);
	free(hist);
}
