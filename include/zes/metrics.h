/*
 * Metrics: per-worker request counters and latency histograms, merged when
 * /metrics is scraped.  Each worker's set has its own mutex, taken only by
 * that worker's requests and by the scrape, so it is never contended.
 */
#ifndef ZES_METRICS_H
#define ZES_METRICS_H

#include <stddef.h>
#include <event2/http.h>

struct evbuffer;
struct zes_metrics;

struct zes_metrics	*zes_metrics_new(void);
void			 zes_metrics_free(struct zes_metrics *);

/* Count one answered request; route index zes_router_count() means none matched. */
void			 zes_metrics_observe(struct zes_metrics *, size_t route,
			    enum evhttp_cmd_type method, int status, double seconds);

/* Count access decisions by basis (enum zes_basis, below ZES_METRICS_BASES). */
#define ZES_METRICS_BASES	16
void			 zes_metrics_decisions(struct zes_metrics *, const unsigned *counts,
			    size_t n);

/*
 * Count an application state change that committed: the status it led to
 * (granted, rejected, in_review, withdrawn) and who decided (the rules, or
 * a person: an assessor's decision or a withdrawal).
 */
enum zes_metrics_app {
	ZES_METRICS_APP_GRANTED = 0,
	ZES_METRICS_APP_REJECTED,
	ZES_METRICS_APP_IN_REVIEW,
	ZES_METRICS_APP_WITHDRAWN,
	ZES_METRICS_APP_N,
};
void			 zes_metrics_application(struct zes_metrics *,
			    enum zes_metrics_app, int by_rules);

/* Gauges and counters from elsewhere, appended in Prometheus text after the request families. */
struct zes_metrics_extra {
	unsigned	 db_connected;		/* store connections up, all workers */
	unsigned	 db_connections;	/* store connections configured */
	unsigned long long db_errors_total;
	unsigned long long db_reconnects_total;
	unsigned	 db_queued;
	unsigned	 inflight;		/* requests being handled */
	size_t		 tokens;		/* active tokens in the cache */
	int		 ready;
};

/* Render every worker's metrics merged, Prometheus text format 0.0.4. */
void			 zes_metrics_render(struct evbuffer *out,
			    struct zes_metrics *const *sets, size_t nsets,
			    const struct zes_metrics_extra *);

#endif
