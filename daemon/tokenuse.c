/*
 * The tokens' last use (include/zes/tokenuse.h): every interval the main
 * thread takes the uses the workers marked in the current token set and
 * writes them with one UPDATE on its own store, asynchronously.  A failed
 * write is retried at the next interval (the uses stay marked); a use is
 * written again only when the token was used in a later second.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <libpq-fe.h>

#include "zes/auth.h"
#include "zes/config.h"
#include "zes/log.h"
#include "zes/store.h"
#include "zes/tokenuse.h"
#include "zes/worker.h"
#include "zes/xmalloc.h"

#define TU_MOD	"tokens"

/*
 * One statement for every token used: only a later instant replaces what
 * is there (several zesd may write the same token).  last_used_at is read
 * by nothing but `zesctl token list`: no ETag, change_log row or token
 * reload follows from it.
 */
static const char tu_sql[] =
    "UPDATE tokens t SET last_used_at = to_timestamp(u.at)"
    " FROM unnest($1::uuid[], $2::bigint[]) u (id, at)"
    " WHERE t.id = u.id AND (t.last_used_at IS NULL"
    " OR t.last_used_at < to_timestamp(u.at))";

struct zes_tokenuse {
	struct event_base	*base;
	struct zes_server	*srv;
	struct event		*timer;		/* every interval */
	struct event		*deadline;	/* of the last write, at shutdown */
	struct zes_store_job	*job;		/* the write in flight, or NULL */
	struct zes_tokens	*set;		/* the set the write's uses came from */
	struct zes_token_use	*uses;		/* those uses */
	size_t			 nuses;
	int			 stopping;
	int			 looping;	/* zes_tokenuse_stop() runs the loop */
	int			 warned;
};

static void	tu_kick(struct zes_tokenuse *);
static void	tu_done_cb(const struct zes_store_result *, void *);

/* Stopping: leave the loop that zes_tokenuse_stop() runs, if it runs it. */
static void
tu_leave(struct zes_tokenuse *tu)
{
	if (tu->looping)
		event_base_loopexit(tu->base, NULL);
}

/*
 * Append an item to a Postgres array literal's text: "{" before the first,
 * "," before the others; `item` NULL closes it with "}".
 */
static void
tu_append(char **buf, size_t *len, size_t *cap, const char *item)
{
	size_t	n = item != NULL ? strlen(item) : 0;
	char	sep = item == NULL ? '}' : *len == 0 ? '{' : ',';

	if (*len + n + 2 > *cap) {
		*cap = (*len + n + 2) * 2;
		*buf = xrealloc(*buf, *cap);
	}
	(*buf)[*len] = sep;
	*len += 1;
	memcpy(*buf + *len, item != NULL ? item : "", n);
	*len += n;
	(*buf)[*len] = '\0';
}

/* Forget the write in flight. */
static void
tu_clear(struct zes_tokenuse *tu)
{
	zes_tokens_unref(tu->set);
	tu->set = NULL;
	free(tu->uses);
	tu->uses = NULL;
	tu->nuses = 0;
}

/* Write the uses not written yet, unless a write is in flight. */
static void
tu_kick(struct zes_tokenuse *tu)
{
	struct zes_server	*srv = tu->srv;
	char			*ids = NULL, *ats = NULL, num[24];
	size_t			 ilen = 0, icap = 0, alen = 0, acap = 0, i;
	const char		*params[2];

	if (tu->job != NULL)
		return;
	if (!zes_store_connected(srv->store))
		goto idle;
	pthread_mutex_lock(&srv->lock);
	tu->set = srv->tokens != NULL ? zes_tokens_ref(srv->tokens) : NULL;
	pthread_mutex_unlock(&srv->lock);
	if ((tu->uses = zes_tokens_uses(tu->set, &tu->nuses)) == NULL) {
		tu_clear(tu);
		goto idle;
	}
	for (i = 0; i < tu->nuses; i++) {
		tu_append(&ids, &ilen, &icap, tu->uses[i].id);
		snprintf(num, sizeof(num), "%" PRId64, tu->uses[i].at);
		tu_append(&ats, &alen, &acap, num);
	}
	tu_append(&ids, &ilen, &icap, NULL);
	tu_append(&ats, &alen, &acap, NULL);
	params[0] = ids;
	params[1] = ats;
	tu->job = zes_store_query_named(srv->store, "token_last_use", tu_sql,
	    2, params, tu_done_cb, tu);
	free(ids);
	free(ats);
	if (tu->job != NULL)
		return;
	/* A full queue: the next interval tries again. */
	tu_clear(tu);
idle:
	if (tu->stopping)
		tu_leave(tu);
}

/* The write finished: the uses are written, or stay marked for the next time. */
static void
tu_done_cb(const struct zes_store_result *res, void *arg)
{
	struct zes_tokenuse	*tu = arg;
	char			 q[300];
	int			 ok;

	tu->job = NULL;
	ok = res->status == ZES_STORE_OK;
	if (ok) {
		zes_tokens_uses_written(tu->set, tu->uses, tu->nuses);
		zes_log_debug(TU_MOD, "token_last_use_written", "tokens=%zu",
		    tu->nuses);
		if (tu->warned)
			zes_log_info(TU_MOD, "token_last_use_resumed", "tokens=%zu",
			    tu->nuses);
		tu->warned = 0;
	} else if (!tu->warned) {
		tu->warned = 1;
		zes_log_warn(TU_MOD, "token_last_use_failed", "sqlstate=%s error=%s",
		    res->sqlstate[0] != '\0' ? res->sqlstate : "-",
		    zes_log_quote(q, sizeof(q), res->message, 200));
	}
	tu_clear(tu);
	/* Stopping: the uses marked while this one was in flight, if any. */
	if (tu->stopping) {
		if (ok)
			tu_kick(tu);
		else
			tu_leave(tu);
	}
}

/* Every interval. */
static void
tu_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	tu_kick(arg);
}

/* The last write took too long: stop waiting for it. */
static void
tu_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct zes_tokenuse	*tu = arg;

	(void)fd;
	(void)what;
	zes_log_warn(TU_MOD, "token_last_use_unwritten", "reason=\"stopping\"");
	tu_leave(tu);
}

struct zes_tokenuse *
zes_tokenuse_start(struct event_base *base, struct zes_server *srv,
    unsigned interval_ms)
{
	struct zes_tokenuse	*tu;
	struct timeval		 tv;

	if (srv->cfg->read_only)
		return NULL;
	tu = xcalloc(1, sizeof(*tu));
	tu->base = base;
	tu->srv = srv;
	tu->timer = event_new(base, -1, EV_PERSIST, tu_timer_cb, tu);
	tu->deadline = evtimer_new(base, tu_deadline_cb, tu);
	if (tu->timer == NULL || tu->deadline == NULL)
		zes_fatalx("%s: event_new failed", __func__);
	if (interval_ms == 0)
		interval_ms = 1;
	tv.tv_sec = interval_ms / 1000;
	tv.tv_usec = (interval_ms % 1000) * 1000;
	evtimer_add(tu->timer, &tv);
	return tu;
}

void
zes_tokenuse_stop(struct zes_tokenuse *tu, unsigned timeout_ms)
{
	struct timeval	tv;

	if (tu == NULL)
		return;
	evtimer_del(tu->timer);
	tu->stopping = 1;
	/* In flight: it writes what is left when done, then leaves. */
	tu_kick(tu);
	if (tu->job != NULL) {
		tv.tv_sec = timeout_ms / 1000;
		tv.tv_usec = (timeout_ms % 1000) * 1000;
		evtimer_add(tu->deadline, &tv);
		tu->looping = 1;
		event_base_dispatch(tu->base);
		tu->looping = 0;
	}
	if (tu->job != NULL)
		zes_store_abandon(tu->job);
	tu_clear(tu);
	evtimer_del(tu->deadline);
	event_free(tu->timer);
	event_free(tu->deadline);
	free(tu);
}
