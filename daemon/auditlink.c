/*
 * The audit chain's linker on the main thread: SELECT zes_audit_link() on
 * the main store every interval, again at once after a full batch, and one
 * last time at shutdown.  schema/0005_audit_link.sql does the linking (in
 * SQL, one linker at a time); docs/audit.md tells why it is not done by the
 * writers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <libpq-fe.h>

#include "zes/auditlink.h"
#include "zes/log.h"
#include "zes/store.h"
#include "zes/xmalloc.h"

#define AL_MOD	"audit"

struct zes_auditlink {
	struct event_base	*base;
	struct zes_store	*store;
	struct event		*timer;		/* every interval_ms */
	struct event		*deadline;	/* of the last link, at shutdown */
	struct zes_store_job	*job;		/* the link in flight, or NULL */
	int			 again;		/* a full batch: link again at once */
	int			 stopping;	/* the last link: loop exit when done */
	int			 warned;	/* a failure was logged */
	uint64_t		 linked;
};

static void	al_kick(struct zes_auditlink *);
static void	al_done_cb(const struct zes_store_result *, void *);
static void	al_timer_cb(evutil_socket_t, short, void *);
static void	al_deadline_cb(evutil_socket_t, short, void *);

/* Link now, unless a link is in flight (then it links again when done). */
static void
al_kick(struct zes_auditlink *al)
{
	static const char	 sql[] = "SELECT zes_audit_link($1::int, false)";
	char			 batch[16];
	const char		*params[1] = { batch };

	if (al->job != NULL) {
		al->again = 1;
		return;
	}
	al->again = 0;
	if (!zes_store_connected(al->store)) {
		if (al->stopping)
			event_base_loopexit(al->base, NULL);
		return;
	}
	snprintf(batch, sizeof(batch), "%d", ZES_AUDITLINK_BATCH);
	al->job = zes_store_query_named(al->store, "audit_link", sql, 1, params,
	    al_done_cb, al);
	/* A full queue: the next tick tries again; at shutdown, give up. */
	if (al->job == NULL && al->stopping)
		event_base_loopexit(al->base, NULL);
}

/*
 * A link finished: count, and go on at once after a full batch (or when a
 * kick came meanwhile).  A failure is logged once until the next success:
 * a database without migration 0005 fails every time.
 */
static void
al_done_cb(const struct zes_store_result *res, void *arg)
{
	struct zes_auditlink	*al = arg;
	long long		 n = 0;
	char			 q[300];

	al->job = NULL;
	if (res->status == ZES_STORE_OK) {
		n = strtoll(PQgetvalue(res->res[0], 0, 0), NULL, 10);
		if (n > 0) {
			al->linked += (uint64_t)n;
			zes_log_debug(AL_MOD, "audit_linked", "entries=%lld", n);
		}
		if (al->warned)
			zes_log_info(AL_MOD, "audit_link_resumed", "entries=%lld", n);
		al->warned = 0;
	} else if (!al->warned) {
		al->warned = 1;
		zes_log_warn(AL_MOD, "audit_link_failed", "sqlstate=%s error=%s",
		    res->sqlstate[0] != '\0' ? res->sqlstate : "-",
		    zes_log_quote(q, sizeof(q), res->message, 200));
	}
	if (res->status == ZES_STORE_OK &&
	    (n == ZES_AUDITLINK_BATCH || al->again)) {
		al_kick(al);
		return;
	}
	if (al->stopping)
		event_base_loopexit(al->base, NULL);
}

/* Every interval_ms. */
static void
al_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct zes_auditlink	*al = arg;

	(void)fd;
	(void)what;
	if (al->job == NULL)
		al_kick(al);
}

/* The last link took too long: stop waiting for it. */
static void
al_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct zes_auditlink	*al = arg;

	(void)fd;
	(void)what;
	zes_log_warn(AL_MOD, "audit_link_unfinished", "reason=\"stopping\"");
	event_base_loopexit(al->base, NULL);
}

struct zes_auditlink *
zes_auditlink_start(struct event_base *base, struct zes_store *store,
    unsigned interval_ms)
{
	struct zes_auditlink	*al;
	struct timeval		 tv;

	al = xcalloc(1, sizeof(*al));
	al->base = base;
	al->store = store;
	al->timer = event_new(base, -1, EV_PERSIST, al_timer_cb, al);
	al->deadline = evtimer_new(base, al_deadline_cb, al);
	if (al->timer == NULL || al->deadline == NULL)
		zes_fatalx("%s: event_new failed", __func__);
	if (interval_ms == 0)
		interval_ms = 1;
	tv.tv_sec = interval_ms / 1000;
	tv.tv_usec = (interval_ms % 1000) * 1000;
	evtimer_add(al->timer, &tv);
	return al;
}

void
zes_auditlink_stop(struct zes_auditlink *al, unsigned timeout_ms)
{
	struct timeval	tv;

	if (al == NULL)
		return;
	evtimer_del(al->timer);
	al->stopping = 1;
	if (zes_store_connected(al->store)) {
		tv.tv_sec = timeout_ms / 1000;
		tv.tv_usec = (timeout_ms % 1000) * 1000;
		evtimer_add(al->deadline, &tv);
		/* In flight: it links again when done, then leaves the loop. */
		al_kick(al);
		event_base_dispatch(al->base);
	}
	if (al->job != NULL)
		zes_store_abandon(al->job);
	zes_log_info(AL_MOD, "audit_link_stopped", "entries=%llu",
	    (unsigned long long)al->linked);
	event_free(al->timer);
	event_free(al->deadline);
	free(al);
}

uint64_t
zes_auditlink_linked(const struct zes_auditlink *al)
{
	return al->linked;
}
