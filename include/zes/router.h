/*
 * The route table: method + path template -> route.  Built once at start-up
 * from the resource files' tables and never changed, so workers share it.
 */
#ifndef ZES_ROUTER_H
#define ZES_ROUTER_H

#include <stdio.h>

#include "zes/http.h"

enum zes_match {
	ZES_MATCH_FOUND = 0,
	ZES_MATCH_NO_PATH,	/* 404 */
	ZES_MATCH_NO_METHOD,	/* 405; *allow holds the methods the path takes */
};

/* Build the table from every resource file's routes. */
void			 zes_router_init(void);
size_t			 zes_router_count(void);
const struct zes_route	*zes_router_at(size_t);

/*
 * Match a decoded path.  On FOUND, *route and *index are set and params[]
 * holds copies (caller frees) of the values of the template's {} segments.
 * HEAD matches a GET route.
 */
enum zes_match		 zes_router_match(enum evhttp_cmd_type, const char *path,
			    const struct zes_route **route, size_t *index,
			    char *params[ZES_ROUTE_MAX_PARAMS], unsigned *allow);

/*
 * Print the route table, one route a line: method, path template, the
 * roles that may call it ("public" for none needed) and "writes" or
 * "reads" (zes_route_writes()), for `zesd --routes`.
 */
void			 zes_router_print(FILE *);

/*
 * Does the route write (a read_only zesd refuses it)?  Every method but GET
 * does, unless the route is marked safe: a new writing route is refused by
 * a read_only zesd without anyone having to remember it.
 */
int			 zes_route_writes(const struct zes_route *);

/* "GET", "POST", ...; "-" when unknown. */
const char		*zes_method_name(enum evhttp_cmd_type);
/* Comma-separated methods of an allow mask into buf. */
void			 zes_method_list(unsigned allow, char *buf, size_t size);

#endif
