/*
 * The comparison of exemption conditions over HTTP (API.md, Rule sets):
 * GET /v1/rule-comparisons?type= answers core/compare.c's comparison of
 * the worker's rules, from memory.
 */
#include <string.h>

#include "zes/compare.h"
#include "zes/http.h"
#include "zes/routes.h"
#include "zes/worker.h"

/*
 * Who reads comparisons: desk, assessor and admin (deciding on
 * agreements), and the auditor, who reads the rule sets they are derived
 * from anyway (docs/decisions.md).
 */
#define COMPARISONS_READERS	(ZES_ROLE_DESK | ZES_ROLE_ASSESSOR | \
	ZES_ROLE_ADMIN | ZES_ROLE_AUDITOR)

static void	comparisons_get(struct zes_req *);

const struct zes_route zes_routes_comparisons[] = {
	{ .method = EVHTTP_REQ_GET, .path = "/v1/rule-comparisons",
	  .roles = COMPARISONS_READERS, .handler = comparisons_get },
	{ 0 }
};

/* Is s a type code as the rule language spells them ([a-z0-9_], 1 to 39)? */
static int
comparisons_code_ok(const char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++)
		if (i == ZES_GROUND_LEN - 1 || !((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return i > 0;
}

/* GET /v1/rule-comparisons?type= */
static void
comparisons_get(struct zes_req *r)
{
	const struct zes_rules	*rules = r->w->rules;
	const char		*type;
	json_t			*doc;

	(void)zes_req_query_check(r, (const char *const[]){ "type", NULL });
	if ((type = zes_req_query(r, "type")) == NULL)
		zes_req_error(r, "type", "is required: the exemption type to "
		    "compare, as day_exemption");
	if (r->nerrors > 0) {
		zes_http_invalid(r);
		return;
	}
	if (rules == NULL) {
		zes_http_unavailable(r, "the rules are not loaded");
		return;
	}
	if (!comparisons_code_ok(type) ||
	    !zes_compare_type_known(rules, type)) {
		zes_req_error(r, "type", "is not an exemption type any rule set "
		    "declares; GET /v1/rule-sets lists the types each offers");
		zes_http_invalid(r);
		return;
	}
	if ((doc = zes_compare_type(rules, type)) == NULL) {
		zes_http_internal(r, "the comparison of a known type failed");
		return;
	}
	zes_http_reply_json(r, 200, doc);
}
