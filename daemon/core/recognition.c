/*
 * Recognition between municipalities (pure): ordering and lookup of
 * agreement terms for the access decision, and the checks of an
 * agreement's types against the rules.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zes/period.h"
#include "zes/recognition.h"

/*
 * Compare a bounded string (at most n bytes, NUL or not) with a C string,
 * as strncmp would over the bounded one's length.
 */
static int
recog_bcmp(const char *bounded, size_t n, const char *s)
{
	return strncmp(bounded, s, n);
}

/* Order terms by recognizer, issuer, type, start, agreement. */
int
zes_recognition_cmp(const void *a, const void *b)
{
	const struct zes_recognition	*x = a, *y = b;
	int				 c;

	if ((c = strcmp(x->recognizer, y->recognizer)) != 0)
		return c;
	if ((c = strcmp(x->issuer, y->issuer)) != 0)
		return c;
	if ((c = strcmp(x->type, y->type)) != 0)
		return c;
	if (x->valid_from != y->valid_from)
		return x->valid_from < y->valid_from ? -1 : 1;
	return memcmp(x->agreement, y->agreement, sizeof(x->agreement));
}

/* Sort terms for zes_recognition_find(). */
void
zes_recognitions_sort(struct zes_recognition *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), zes_recognition_cmp);
}

/*
 * Compare term t with the key (recognizer, issuer, type): <0 when t sorts
 * before every term of the key.
 */
static int
recog_key_cmp(const struct zes_recognition *t, const char *recognizer,
    const char *issuer, size_t issuer_size, const char *type, size_t type_size)
{
	int	c;

	if ((c = strcmp(t->recognizer, recognizer)) != 0)
		return c;
	/* The key's bounded strings on the left: the sign flips. */
	if ((c = recog_bcmp(issuer, issuer_size, t->issuer)) != 0)
		return -c;
	if ((c = recog_bcmp(type, type_size, t->type)) != 0)
		return -c;
	return 0;
}

/* The term of (recognizer, issuer, type) in force at `at`, or NULL. */
const struct zes_recognition *
zes_recognition_find(const struct zes_recognitions *set, const char *recognizer,
    const char *issuer, size_t issuer_size, const char *type, size_t type_size,
    int64_t at)
{
	const struct zes_recognition	*t, *best = NULL;
	size_t				 lo = 0, hi, mid;

	if (set == NULL || set->n == 0)
		return NULL;
	/* The first term not before the key. */
	hi = set->n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (recog_key_cmp(&set->v[mid], recognizer, issuer, issuer_size,
		    type, type_size) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Sorted by start: stop at the first that starts after `at`. */
	for (; lo < set->n; lo++) {
		t = &set->v[lo];
		if (recog_key_cmp(t, recognizer, issuer, issuer_size, type,
		    type_size) != 0 || t->valid_from > at)
			break;
		if (at < t->valid_until &&
		    (best == NULL || t->valid_until > best->valid_until))
			best = t;
	}
	return best;
}

/* Does m offer `type` as a municipal exemption type? */
int
zes_recognition_type_offered(const struct zes_rules *r,
    const struct zes_municipality *m, const char *type, const char **why)
{
	const struct zes_type	*t;

	*why = NULL;
	if (m == NULL || (t = zes_rules_type(r, m, type)) == NULL) {
		if (zes_rules_type(r, NULL, type) != NULL)
			*why = "is a national exemption type: national exemptions "
			    "are valid in every zone and need no agreement";
		else
			*why = "is not an exemption type of the municipality's rule set";
		return 0;
	}
	if (t->national) {
		*why = "is a national exemption type: national exemptions are "
		    "valid in every zone and need no agreement";
		return 0;
	}
	if (!t->offered) {
		*why = "is not offered by the municipality's rule set";
		return 0;
	}
	return 1;
}

/* Is the statute in force at `at`: from local midnight of its first day? */
int
zes_statute_in_force(const struct zes_statute *s, int64_t at)
{
	if (s->from_day >= INT32_MAX)
		return 0;
	if (s->from_day <= INT32_MIN)
		return 1;
	return at >= zes_time_local_midnight(s->from_day);
}
