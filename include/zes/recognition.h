/*
 * Recognition between municipalities (DOMAIN.md §6, API.md "Mutual
 * recognition"): the terms of agreements as the access decision reads them,
 * and the checks an agreement's types must pass.  Pure: no I/O, no clock,
 * no allocation.
 *
 * An agreement issuer -> recognizer for some types becomes one term per
 * type and stretch of time (schema/0004_recognition.sql, recognition_terms):
 * recognizer honours issuer's municipal exemptions of `type` during
 * [valid_from, valid_until).  An edit ends the running terms and starts new
 * ones, so the terms of all time say what was recognised at any instant.
 */
#ifndef ZES_RECOGNITION_H
#define ZES_RECOGNITION_H

#include <stddef.h>
#include <stdint.h>

#include "zes/common.h"
#include "zes/ruleset.h"

/* One term: recognizer honours issuer's exemptions of type in [from, until). */
struct zes_recognition {
	char		recognizer[ZES_MUNICIPALITY_LEN + 2];
	char		issuer[ZES_MUNICIPALITY_LEN + 2];
	char		type[ZES_GROUND_LEN];
	uint8_t		agreement[16];		/* uuid of its agreement */
	int64_t		valid_from;		/* instant, inclusive */
	int64_t		valid_until;		/* instant, exclusive; INT64_MAX: open */
};

/* Terms sorted with zes_recognition_cmp(); empty when n is 0. */
struct zes_recognitions {
	const struct zes_recognition	*v;
	size_t				 n;
};

/* Order: recognizer, issuer, type, valid_from, agreement (a qsort comparator). */
int	zes_recognition_cmp(const void *, const void *);
/* Sort terms into the order zes_recognition_find() needs. */
void	zes_recognitions_sort(struct zes_recognition *, size_t n);

/*
 * The term by which recognizer honours an exemption of `type` from
 * `issuer` at instant `at`, or NULL.  issuer and type are read at most
 * issuer_size and type_size bytes (the arrays of struct zes_exemption need
 * not hold a NUL).  When several hold (they cannot, in terms the database
 * made), the one that lasts longest.  Allocation-free; a binary search.
 */
const struct zes_recognition *zes_recognition_find(const struct zes_recognitions *,
	    const char *recognizer, const char *issuer, size_t issuer_size,
	    const char *type, size_t type_size, int64_t at);

/*
 * Does the municipality offer `type` as a municipal exemption type (its
 * rule set declares it with scope municipal and offered true)?  1 yes;
 * 0 no, with *why a message for a field error ("does not offer ...").
 */
int	zes_recognition_type_offered(const struct zes_rules *,
	    const struct zes_municipality *, const char *type, const char **why);

/* Is a statute of the national rules in force at instant `at` (its `from`)? */
int	zes_statute_in_force(const struct zes_statute *, int64_t at);

#endif
