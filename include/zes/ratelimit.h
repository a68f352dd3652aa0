/*
 * Per-principal rate limits: token buckets kept as one timestamp each (the
 * generic cell rate algorithm, GCRA), so that a bucket is a single 64-bit
 * word that every worker updates with compare-and-swap.  The arithmetic is
 * pure (time is an argument); the classes say which bucket a route draws on.
 */
#ifndef ZES_RATELIMIT_H
#define ZES_RATELIMIT_H

#include <stdatomic.h>
#include <stdint.h>

#include "zes/common.h"

/*
 * The buckets of one principal.  Enforcement tokens only read, so their
 * own, higher limit uses the READ bucket.
 */
enum zes_rate_class {
	ZES_RATE_READ = 0,	/* GET, HEAD, searches, evaluations, access checks */
	ZES_RATE_WRITE,		/* everything that changes state */
	ZES_RATE_NCLASSES
};

/*
 * A limit: `rate_per_s` requests a second on average, and up to `burst`
 * at once after a quiet spell.  rate_per_s 0 means no limit.
 */
struct zes_rate_limit {
	uint64_t	interval_ns;	/* 1e9 / rate: the time one request costs; 0: unlimited */
	uint64_t	tolerance_ns;	/* (burst - 1) * interval_ns: how far ahead the bucket may run */
};

/*
 * One principal's buckets: for each class the theoretical arrival time
 * (TAT) of the next request in CLOCK_MONOTONIC nanoseconds; 0 is a full
 * bucket.  Shared by every worker and updated with atomics only.
 */
struct zes_rate_state {
	_Atomic uint64_t	tat[ZES_RATE_NCLASSES];
};

/* Make a limit from a rate per second and a burst (0 is taken as 1). */
void	zes_rate_limit_make(struct zes_rate_limit *, unsigned rate_per_s,
	    unsigned burst);

/*
 * The bucket arithmetic, pure: may a request arrive at `now_ns` when the
 * bucket's TAT is *tat?  Yes: 0, and *tat advanced by one interval.  No:
 * -1, *tat unchanged and *wait_ns set to how long until one would be
 * allowed (always > 0).
 */
int	zes_rate_take(uint64_t *tat, uint64_t now_ns,
	    const struct zes_rate_limit *, uint64_t *wait_ns) ZES_MUSTCHECK;

/* zes_rate_take() on a bucket shared between threads (a CAS loop). */
int	zes_rate_take_shared(_Atomic uint64_t *tat, uint64_t now_ns,
	    const struct zes_rate_limit *, uint64_t *wait_ns) ZES_MUSTCHECK;

/* Seconds for Retry-After: the wait rounded up, at least 1. */
unsigned long	zes_rate_retry_after_s(uint64_t wait_ns);

#endif
