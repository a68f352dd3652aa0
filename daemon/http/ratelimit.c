/*
 * Rate limits as GCRA token buckets: the arithmetic (pure, time passed in),
 * its lock-free form for buckets that every worker shares, and which bucket
 * a route draws on.  daemon/http/server.c applies them; docs/http.md says how.
 */

#include <string.h>


#include "zes/ratelimit.h"

#define NS_PER_S	1000000000ULL

/* A limit from a rate and a burst. */
void
zes_rate_limit_make(struct zes_rate_limit *lim, unsigned rate_per_s,
    unsigned burst)
{
	memset(lim, 0, sizeof(*lim));
	if (rate_per_s == 0)
		return;
	if (burst == 0)
		burst = 1;
	lim->interval_ns = NS_PER_S / rate_per_s;
	if (lim->interval_ns == 0)
		lim->interval_ns = 1;
	lim->tolerance_ns = (uint64_t)(burst - 1) * lim->interval_ns;
}

/*
 * GCRA: the bucket is full when TAT <= now; each request pushes TAT one
 * interval later; a request is refused while TAT lies more than the
 * tolerance ahead of now.  This is a token bucket of `burst` tokens that
 * refills one token per interval, kept as a single number.
 */
int
zes_rate_take(uint64_t *tat, uint64_t now_ns, const struct zes_rate_limit *lim,
    uint64_t *wait_ns)
{
	uint64_t	t;

	if (lim->interval_ns == 0)
		return 0;
	t = *tat > now_ns ? *tat : now_ns;
	if (t - now_ns > lim->tolerance_ns) {
		*wait_ns = t - now_ns - lim->tolerance_ns;
		return -1;
	}
	*tat = t + lim->interval_ns;
	return 0;
}

/* The same on a shared bucket: retry the step until no other thread raced us. */
int
zes_rate_take_shared(_Atomic uint64_t *tat, uint64_t now_ns,
    const struct zes_rate_limit *lim, uint64_t *wait_ns)
{
	uint64_t	old, next;

	if (lim->interval_ns == 0)
		return 0;
	old = atomic_load_explicit(tat, memory_order_relaxed);
	for (;;) {
		next = old;
		if (zes_rate_take(&next, now_ns, lim, wait_ns) != 0)
			return -1;
		if (atomic_compare_exchange_weak_explicit(tat, &old, next,
		    memory_order_relaxed, memory_order_relaxed))
			return 0;
	}
}

/* Whole seconds until a request is allowed, rounded up, at least 1. */
unsigned long
zes_rate_retry_after_s(uint64_t wait_ns)
{
	uint64_t	s = (wait_ns + NS_PER_S - 1) / NS_PER_S;

	return s == 0 ? 1 : (unsigned long)s;
}

