/*
 * The route table: every resource file's routes in one array, matched by
 * method and path template segment by segment.  Built once before the
 * workers start; read-only afterwards.
 */

#include <stdlib.h>
#include <string.h>

#include "zes/log.h"
#include "zes/router.h"
#include "zes/routes.h"
#include "zes/xmalloc.h"

#define ROUTER_MAX	128

static const struct zes_route	*router_routes[ROUTER_MAX];
static size_t			 router_nroutes;

/* The resource files' tables, in the order they are tried. */
static const struct zes_route *const router_tables[] = {
	zes_routes_ops,
	zes_routes_audit,
	zes_routes_access,
	zes_routes_reference,
	zes_routes_signing,
	zes_routes_applications,
	zes_routes_statistics,
	zes_routes_exemptions,
	zes_routes_rulesets,
	zes_routes_recognitions,
	zes_routes_comparisons,
	zes_routes_admin,
};

static const struct {
	enum evhttp_cmd_type	 method;
	const char		*name;
} router_methods[] = {
	{ EVHTTP_REQ_GET, "GET" }, { EVHTTP_REQ_HEAD, "HEAD" },
	{ EVHTTP_REQ_POST, "POST" }, { EVHTTP_REQ_PUT, "PUT" },
	{ EVHTTP_REQ_PATCH, "PATCH" }, { EVHTTP_REQ_DELETE, "DELETE" },
	{ EVHTTP_REQ_OPTIONS, "OPTIONS" }, { EVHTTP_REQ_TRACE, "TRACE" },
	{ EVHTTP_REQ_CONNECT, "CONNECT" },
};

/* Collect the routes of every table. */
void
zes_router_init(void)
{
	size_t				 i;
	const struct zes_route		*r;

	router_nroutes = 0;
	for (i = 0; i < ZES_NELEM(router_tables); i++) {
		for (r = router_tables[i]; r->path != NULL; r++) {
			if (router_nroutes == ROUTER_MAX)
				zes_fatalx("more than %d routes", ROUTER_MAX);
			router_routes[router_nroutes++] = r;
		}
	}
}

/* Does the route write?  Every method but GET, unless marked safe. */
int
zes_route_writes(const struct zes_route *r)
{
	return r->method != EVHTTP_REQ_GET && !r->safe;
}

/* Print the table: "METHOD PATH role,role writes" ("public", "reads") a line. */
void
zes_router_print(FILE *f)
{
	static const enum zes_role	roles[] = { ZES_ROLE_DESK, ZES_ROLE_ASSESSOR,
	    ZES_ROLE_ENFORCEMENT, ZES_ROLE_ADMIN, ZES_ROLE_AUDITOR };
	size_t				i, j;
	const char			*sep;

	for (i = 0; i < router_nroutes; i++) {
		fprintf(f, "%s %s ", zes_method_name(router_routes[i]->method),
		    router_routes[i]->path);
		if (router_routes[i]->roles == ZES_ROLE_NONE)
			fputs("public", f);
		for (j = 0, sep = ""; j < ZES_NELEM(roles); j++) {
			if (router_routes[i]->roles & roles[j]) {
				fprintf(f, "%s%s", sep, zes_role_name(roles[j]));
				sep = ",";
			}
		}
		fprintf(f, " %s\n", zes_route_writes(router_routes[i]) ?
		    "writes" : "reads");
	}
}

/* Number of routes. */
size_t
zes_router_count(void)
{
	return router_nroutes;
}

/* Route by index. */
const struct zes_route *
zes_router_at(size_t i)
{
	return router_routes[i];
}

/*
 * Does `path` fit `tmpl`?  Fills params (copies) for {} segments.  A {}
 * segment matches one non-empty segment.
 */
static int
router_fit(const char *tmpl, const char *path, char *params[ZES_ROUTE_MAX_PARAMS])
{
	const char	*t = tmpl, *p = path, *te, *pe;
	int		 n = 0, i;

	for (;;) {
		if (*t != *p)
			goto fail;
		if (*t == '\0')
			return 1;
		if (*t != '/')
			goto fail;
		t++;
		p++;
		te = t + strcspn(t, "/");
		pe = p + strcspn(p, "/");
		if (*t == '{') {
			if (pe == p || n == ZES_ROUTE_MAX_PARAMS)
				goto fail;
			params[n++] = xstrndup(p, (size_t)(pe - p));
		} else if (te - t != pe - p || memcmp(t, p, (size_t)(te - t)) != 0)
			goto fail;
		t = te;
		p = pe;
	}
fail:
	for (i = 0; i < n; i++) {
		free(params[i]);
		params[i] = NULL;
	}
	return 0;
}

/* Match a request. */
enum zes_match
zes_router_match(enum evhttp_cmd_type method, const char *path,
    const struct zes_route **route, size_t *index,
    char *params[ZES_ROUTE_MAX_PARAMS], unsigned *allow)
{
	size_t			i, j;
	enum evhttp_cmd_type	want = method == EVHTTP_REQ_HEAD ? EVHTTP_REQ_GET : method;
	char			*tmp[ZES_ROUTE_MAX_PARAMS] = { NULL };

	*allow = 0;
	*route = NULL;
	for (i = 0; i < router_nroutes; i++) {
		if (!router_fit(router_routes[i]->path, path, tmp))
			continue;
		if (router_routes[i]->method == want && *route == NULL) {
			*route = router_routes[i];
			*index = i;
			memcpy(params, tmp, sizeof(tmp));
		} else {
			for (j = 0; j < ZES_ROUTE_MAX_PARAMS; j++)
				free(tmp[j]);
		}
		memset(tmp, 0, sizeof(tmp));
		*allow |= router_routes[i]->method;
		if (router_routes[i]->method == EVHTTP_REQ_GET)
			*allow |= EVHTTP_REQ_HEAD;
	}
	if (*route != NULL)
		return ZES_MATCH_FOUND;
	return *allow ? ZES_MATCH_NO_METHOD : ZES_MATCH_NO_PATH;
}

/* Method name. */
const char *
zes_method_name(enum evhttp_cmd_type m)
{
	size_t	i;

	for (i = 0; i < ZES_NELEM(router_methods); i++)
		if (router_methods[i].method == m)
			return router_methods[i].name;
	return "-";
}

/* Comma-separated list of the methods in a mask. */
void
zes_method_list(unsigned allow, char *buf, size_t size)
{
	size_t	i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < ZES_NELEM(router_methods); i++) {
		if ((allow & router_methods[i].method) && len < size)
			len += (size_t)snprintf(buf + len, size - len, "%s%s",
			    len ? ", " : "", router_methods[i].name);
	}
}
