/*
 * The HTTP shell: request context, route table entries and the one way to
 * answer.  Every request ends in exactly one call of zes_http_reply_*() or
 * zes_http_problem*(), which adds the common headers, writes the access-log
 * line, counts the metrics and frees the context.
 */
#ifndef ZES_HTTP_H
#define ZES_HTTP_H

#include <stdarg.h>
#include <stdint.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "zes/auth.h"
#include "zes/common.h"

struct zes_worker;
struct zes_req;
struct zes_store_job;

typedef void zes_handler_fn(struct zes_req *);

/* What a route accepts as a request body. */
enum zes_body {
	ZES_BODY_NONE = 0,	/* no body (a non-empty one is 400) */
	ZES_BODY_JSON,		/* a JSON object, application/json */
	ZES_BODY_JSON_OPTIONAL,	/* empty, or a JSON object */
	ZES_BODY_JSON_RAW,	/* like ZES_BODY_JSON, left undecoded in raw/rawlen */
};

#define ZES_ROUTE_MAX_PARAMS	2

struct zes_route {
	enum evhttp_cmd_type	 method;
	const char		*path;		/* template: "/v1/applications/{id}" */
	unsigned		 roles;		/* ZES_ROLE_* bits; ZES_ROLE_NONE: no token */
	enum zes_body		 body;
	unsigned		 body_factor;	/* max body = max_body_bytes * factor (0 means 1) */
	int			 cors_any;	/* Access-Control-Allow-Origin: * */
	unsigned		 timeout_ms;	/* caps request_timeout_ms for this route; 0: no cap */
	/*
	 * A POST that changes nothing (a search, access checks, a dry run):
	 * a read_only zesd serves it.  Every other POST, PATCH or DELETE
	 * writes and is refused there (zes_route_writes()).
	 */
	int			 safe;
	zes_handler_fn		*handler;
};

/* One field error of a 400 answer. */
struct zes_field_error {
	char	*field;
	char	*message;
};

struct zes_req {
	struct zes_worker		*w;
	struct evhttp_request		*ev;
	struct zes_config		*cfg;		/* reference held for the request's life */
	const struct zes_route		*route;		/* NULL when none matched */
	size_t				 route_index;	/* zes_router_count() when none matched */
	char				 rid[20];	/* request id, also X-Request-Id */
	uint64_t			 start_ns;	/* CLOCK_MONOTONIC */
	char				*path;		/* decoded path, no query */
	struct evkeyvalq		 query;		/* parsed query parameters */
	char				*params[ZES_ROUTE_MAX_PARAMS];	/* values of {} in the template */
	json_t				*body;		/* decoded body (owned), or NULL */
	char				*raw;		/* ZES_BODY_JSON_RAW: the body, contiguous */
	size_t				 rawlen;
	struct zes_principal		 who;		/* who called (role NONE when public) */
	struct zes_field_error		*errors;	/* collected input errors */
	size_t				 nerrors;
	struct zes_store_job		*job;		/* the store job in flight, if any */
	struct event			*deadline;	/* timeout_ms after the handler started */
	unsigned			 timeout_ms;
	void				*data;		/* the handler's own state */
	void				(*data_free)(void *);
	int				 no_retry_after;	/* a 503 that retrying cannot cure */
};

/* Answer with a JSON body (stolen) and status. */
void	zes_http_reply_json(struct zes_req *, int status, json_t *body);
/* Answer with the content of an evbuffer (drained; the caller still frees it). */
struct evbuffer;
void	zes_http_reply_evbuffer(struct zes_req *, int status, const char *ctype,
	    struct evbuffer *body);
/*
 * Answer 200 with one page of a keyset-paged list, {"items", "nextCursor"}:
 * item(p, i) for each of the first `limit` rows of p (a NULL item answers
 * 500 instead).  The query asks for limit + 1 rows: when p holds more than
 * limit, nextCursor is the cursor (include/zes/cursor.h) of tag and the last
 * row given's columns at_col and id_col; else null.
 */
struct pg_result;
typedef json_t	*zes_page_item_fn(const struct pg_result *, int row);
void	zes_http_reply_page(struct zes_req *, const struct pg_result *p,
	    long long limit, zes_page_item_fn *item, char tag, int at_col,
	    int id_col);
/*
 * What the steps of an interactive transaction (zes_store_txn) decided to
 * answer; zes_http_txn_done() sends it once the transaction has ended.
 */
struct zes_store_result;
struct zes_txn_answer {
	int	 status;	/* HTTP status; 0 until decided */
	int	 rolled_back;	/* ROLLBACK was asked: nothing was written */
	char	*detail;	/* a problem's detail */
	char	*text;		/* the JSON body of a 200 or 201 */
	char	*location;	/* Location of the answer, or NULL */
	char	 etag[24];	/* ETag of the answer, or "" */
};
/*
 * Decide a problem (detail a printf format, with its arguments in the
 * va_list): nothing is written; the step then returns ZES_STEP_ROLLBACK.
 */
void	zes_txn_vrefuse(struct zes_txn_answer *, int status, const char *fmt,
	    va_list) ZES_PRINTF(3, 0);
/* Free what an answer holds. */
void	zes_txn_answer_clear(struct zes_txn_answer *);
/*
 * The transaction ended (res: how its COMMIT or ROLLBACK went): send what
 * its steps decided.  A decision made with ROLLBACK is sent whatever the
 * ROLLBACK's fate (nothing was written: a problem, or a success replayed
 * from an earlier request); any other success only when COMMIT succeeded,
 * else failed(r, res) answers.  Returns 1 when it answered a committed
 * success.  Either way r is answered, and with it freed (and the answer,
 * when it is r's data): read what is needed afterwards before.
 */
int	zes_http_txn_done(struct zes_req *, const struct zes_store_result *res,
	    const struct zes_txn_answer *,
	    void (*failed)(struct zes_req *, const struct zes_store_result *));
/*
 * GET of one resource by the UUID of its path (r->params[0]): 400 for any
 * query parameter, 404 ("no <what> has this id") for an id no resource can
 * have, else the query sql (prepared as `name` unless NULL) with the id as
 * $1, whose result goes to done(res, r).
 */
void	zes_http_get_by_id(struct zes_req *, const char *what, const char *name,
	    const char *sql, void (*done)(const struct zes_store_result *, void *));
/* Answer with raw bytes of a content type. */
void	zes_http_reply_bytes(struct zes_req *, int status, const char *ctype,
	    const void *data, size_t len);
/* Answer with a problem+json; detail is a printf format. */
void	zes_http_problem(struct zes_req *, int status, const char *title,
	    const char *fmt, ...) ZES_PRINTF(4, 5);
/* Answer 400 listing the errors collected with zes_req_error(). */
void	zes_http_invalid(struct zes_req *);
/* Answer 503 with Retry-After (database unavailable, not ready). */
void	zes_http_unavailable(struct zes_req *, const char *detail);
/* Answer 500 and log why with the request id. */
void	zes_http_internal(struct zes_req *, const char *why);

/* Collect one input error for a 400 (field: JSON path or parameter name). */
void	zes_req_error(struct zes_req *, const char *field, const char *fmt, ...)
	    ZES_PRINTF(3, 4);
/*
 * Decode the raw body of a ZES_BODY_JSON_RAW route into r->body the strict
 * way; -1 after adding the errors to r.
 */
int	zes_req_decode(struct zes_req *);
/* A query parameter, or NULL. */
const char *zes_req_query(struct zes_req *, const char *name);
/*
 * Check the query parameters: every key must be in `allowed` (a NULL-ended
 * list); unknown or repeated keys become errors.  Returns the number of errors added.
 */
int	zes_req_query_check(struct zes_req *, const char *const *allowed);

/* Add a response header (before replying). */
void	zes_req_header(struct zes_req *, const char *name, const char *value);

/* Reply helper for a store failure: 503 for UNAVAILABLE/TIMEOUT, 500 otherwise. */
struct zes_store_result;
void	zes_http_store_failed(struct zes_req *, const struct zes_store_result *);

#endif
