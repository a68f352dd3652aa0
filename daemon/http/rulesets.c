/*
 * Rule sets over HTTP: the rule sets in force, read from the worker's rules
 * in memory, and reloads of the rules folder.  A reload runs on the main
 * thread, on the same path as SIGHUP (daemon/main.c); the request waits for
 * its outcome on its worker's list without blocking the loop, and only its
 * ticket crosses threads, never a pointer to it.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zes/bodies.h"
#include "zes/http.h"
#include "zes/period.h"
#include "zes/routes.h"
#include "zes/worker.h"
#include "zes/xmalloc.h"

/* Who reads rule sets: what desk reads, and the auditor checking decisions. */
#define RULESETS_READERS	(ZES_ROLE_DESK | ZES_ROLE_ASSESSOR | \
	ZES_ROLE_ADMIN | ZES_ROLE_AUDITOR)
#define RULESETS_NATIONAL	"national"

static void	rulesets_list(struct zes_req *);
static void	rulesets_get(struct zes_req *);
static void	rulesets_reload(struct zes_req *);

const struct zes_route zes_routes_rulesets[] = {
	{ .method = EVHTTP_REQ_GET, .path = "/v1/rule-sets",
	  .roles = RULESETS_READERS, .handler = rulesets_list },
	{ .method = EVHTTP_REQ_GET, .path = "/v1/rule-sets/{municipality}",
	  .roles = RULESETS_READERS, .handler = rulesets_get },
	{ .method = EVHTTP_REQ_POST, .path = "/v1/rule-set-reloads",
	  .roles = ZES_ROLE_ADMIN, .body = ZES_BODY_JSON_OPTIONAL,
	  .handler = rulesets_reload },
	{ 0 }
};

/*
 * A request waiting for the outcome of its reload.  It is r->data: it sits
 * on its worker's reload_waits while `linked`, and leaves the list when the
 * request is answered, whoever answers it (the outcome, the request's
 * deadline, or stopping), because freeing the request frees it.
 */
struct zes_reload_wait {
	TAILQ_ENTRY(zes_reload_wait)	 entry;
	struct zes_worker		*w;
	struct zes_req			*r;
	uint64_t			 ticket;
	int				 linked;
};

/*
 * The type codes a rule set offers, in the order of its file: the members
 * of its `types` object, less those whose `offered` is false.  A file
 * without types has none.
 */
static json_t *
rulesets_types(const json_t *doc)
{
	json_t		*out = json_array(), *types, *t;
	const char	*code;

	types = json_object_get(doc, "types");
	if (!json_is_object(types))
		return out;
	json_object_foreach(types, code, t) {
		if (json_is_false(json_object_get(t, "offered")))
			continue;
		json_array_append_new(out, json_string(code));
	}
	return out;
}

/* One rule set as a list item. */
static json_t *
rulesets_item(const struct zes_rules *rules, const char *code,
    const struct zes_ruleset_info *info)
{
	char	at[ZES_TIME_TEXT_LEN + 1];
	json_t	*item;

	zes_time_format_utc(rules->loaded_at, at);
	item = json_pack("{s:s, s:s?, s:s, s:s, s:s, s:o}", "municipality", code,
	    "name", info->name, "version", info->version, "sha256", info->sha256,
	    "loadedAt", at, "types", rulesets_types(info->doc));
	if (item == NULL)
		zes_fatalx("json_pack of a rule set failed");
	return item;
}

/* Every rule set loaded: the national one first, then by municipality code. */
static json_t *
rulesets_items(const struct zes_rules *rules)
{
	json_t	*items = json_array();
	size_t	 i;

	json_array_append_new(items, rulesets_item(rules, RULESETS_NATIONAL,
	    &rules->national_info));
	for (i = 0; i < rules->nmunis; i++)
		json_array_append_new(items, rulesets_item(rules,
		    rules->munis[i].code, rules->munis[i].info));
	return items;
}

/* GET /v1/rule-sets */
static void
rulesets_list(struct zes_req *r)
{
	if (zes_req_query_check(r, (const char *const[]){ NULL }) > 0) {
		zes_http_invalid(r);
		return;
	}
	if (r->w->rules == NULL) {
		zes_http_unavailable(r, "the rules are not loaded");
		return;
	}
	zes_http_reply_json(r, 200, json_pack("{s:o}", "items",
	    rulesets_items(r->w->rules)));
}

/* GET /v1/rule-sets/{municipality}: one rule set, with its document as loaded. */
static void
rulesets_get(struct zes_req *r)
{
	const struct zes_rules		*rules = r->w->rules;
	const struct zes_municipality	*m;
	const struct zes_ruleset_info	*info = NULL;
	const char			*code = r->params[0];
	json_t				*item;

	if (zes_req_query_check(r, (const char *const[]){ NULL }) > 0) {
		zes_http_invalid(r);
		return;
	}
	if (rules == NULL) {
		zes_http_unavailable(r, "the rules are not loaded");
		return;
	}
	if (strcmp(code, RULESETS_NATIONAL) == 0)
		info = &rules->national_info;
	else if ((m = zes_rules_municipality(rules, code)) != NULL)
		info = m->info;
	if (info == NULL) {
		zes_http_problem(r, 404, "Not found", "no rule set is loaded for "
		    "this municipality; GET /v1/rule-sets lists them");
		return;
	}
	item = rulesets_item(rules, code, info);
	json_object_set_new(item, "document", json_incref(info->doc));
	zes_http_reply_json(r, 200, item);
}

/* Free a waiting request's state: leave the worker's list first. */
static void
rulesets_wait_free(void *arg)
{
	struct zes_reload_wait	*wt = arg;

	if (wt->linked)
		TAILQ_REMOVE(&wt->w->reload_waits, wt, entry);
	free(wt);
}

/* Answer a waiting request from its reload's outcome. */
static void
rulesets_answer(struct zes_req *r, const struct zes_reload *o)
{
	size_t	i;

	if (o->rules != NULL) {
		zes_http_reply_json(r, 200, json_pack("{s:o}", "items",
		    rulesets_items(o->rules)));
		return;
	}
	for (i = 0; i < o->errs.n; i++)
		zes_req_error(r, o->errs.v[i].where, "%s", o->errs.v[i].message);
	if (r->nerrors == 0)	/* cannot happen: a failed load lists its errors */
		zes_req_error(r, "", "the rules folder could not be loaded");
	zes_http_invalid(r);
}

/*
 * Worker: answer every waiting request whose reload ran; with `stopping`,
 * answer the others 503 (the main thread runs no more reloads).
 */
void
zes_rulesets_reloaded(struct zes_worker *w, int stopping)
{
	struct zes_reload_wait	*wt, *next;
	struct zes_reload	*o;
	struct zes_req		*r;

	for (wt = TAILQ_FIRST(&w->reload_waits); wt != NULL; wt = next) {
		next = TAILQ_NEXT(wt, entry);
		o = zes_server_reload_outcome(w->srv, wt->ticket);
		if (o == NULL && !stopping)
			continue;
		TAILQ_REMOVE(&w->reload_waits, wt, entry);
		wt->linked = 0;
		r = wt->r;
		if (o != NULL) {
			rulesets_answer(r, o);
			zes_reload_unref(o);
		} else
			zes_http_unavailable(r, "zesd is stopping; the reload "
			    "may not have run");
	}
}

/*
 * POST /v1/rule-set-reloads (no body, or {}): ask the main thread to read
 * the rules folder again and wait for the outcome.  The request is answered
 * from zes_rulesets_reloaded(), or by its deadline (503) if the reload
 * takes too long; the main thread knows only its ticket.
 */
static void
rulesets_reload(struct zes_req *r)
{
	struct zes_reload_wait	*wt;

	zes_req_query_check(r, (const char *const[]){ NULL });
	if (r->body != NULL)
		zes_json_check(r, r->body, "", zes_body_empty);
	if (r->nerrors > 0) {
		zes_http_invalid(r);
		return;
	}
	wt = xcalloc(1, sizeof(*wt));
	wt->w = r->w;
	wt->r = r;
	r->data = wt;
	r->data_free = rulesets_wait_free;
	/* On the list before asking: the outcome may be published at once. */
	TAILQ_INSERT_TAIL(&r->w->reload_waits, wt, entry);
	wt->linked = 1;
	if ((wt->ticket = zes_server_ask_reload(r->w->srv, r->who.name)) == 0) {
		zes_http_unavailable(r, r->w->stopping ? "zesd is stopping" :
		    "too many reloads are waiting");
		return;
	}
}
