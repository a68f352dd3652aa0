/*
 * The comparison of exemption conditions between municipalities (API.md,
 * Rule sets; DOMAIN.md §10; docs/comparisons.md): for one exemption type,
 * each zoned municipality's conditions side by side, and for every ordered
 * pair a verdict derived from the rule sets themselves.  Pure: no I/O, no
 * clock.
 */
#ifndef ZES_COMPARE_H
#define ZES_COMPARE_H

#include <jansson.h>

#include "zes/common.h"
#include "zes/ruleset.h"

/*
 * The verdict on an ordered pair (a, b): `stricter` means every
 * application a grants, b grants too (with at least the same validity), so
 * b can safely recognise a's exemptions; `looser` the same with a and b
 * swapped; `equivalent` both; `incomparable` neither could be proven.
 */
enum zes_verdict {
	ZES_VERDICT_EQUIVALENT = 0,
	ZES_VERDICT_STRICTER,
	ZES_VERDICT_LOOSER,
	ZES_VERDICT_INCOMPARABLE,
};

/* "equivalent", "stricter", "looser", "incomparable". */
const char	*zes_verdict_name(enum zes_verdict);

/* Does some rule set (national.json or a municipality's) declare the type? */
int		 zes_compare_type_known(const struct zes_rules *, const char *type);

/*
 * The verdict on the ordered pair (a, b) for one type, a and b being
 * municipalities of the rules.  A national type is the national rule set's
 * for both.  When `because` is not NULL (a JSON array), the entries that
 * decide the verdict are appended to it, in a stable order
 * (docs/comparisons.md): none when equivalent.
 */
enum zes_verdict zes_compare_pair(const struct zes_rules *, const char *type,
		    const struct zes_municipality *a,
		    const struct zes_municipality *b, json_t *because);

/*
 * The answer of GET /v1/rule-comparisons for one type: {"type", "scope",
 * "label", "municipalities": [...], "pairs": [...]} over the
 * municipalities with a zone, by code, and every ordered pair of two of
 * them.  A new reference; NULL when no rule set knows the type.
 */
json_t		*zes_compare_type(const struct zes_rules *, const char *type)
		    ZES_MUSTCHECK;

#endif
