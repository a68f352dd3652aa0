/*
 * Unit tests for http/ratelimit.c: the GCRA bucket arithmetic (bursts,
 * refill, the wait it reports, rate 0 as no limit), checked against a
 * plain token bucket counted in nanoseconds of credit over random arrival
 * sequences; the shared (compare-and-swap) form under threads; Retry-After
 * rounding; and which bucket each kind of route draws on.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdlib.h>

#include <cmocka.h>

#include "zes/ratelimit.h"

#define MS	1000000ULL
#define SEC	1000000000ULL
#define T0	(1000 * SEC)	/* a monotonic clock well past zero */

/* Rate 0 is no limit; a burst of 0 counts as 1; the interval is 1 s / rate. */
static void
test_make(void **state)
{
	struct zes_rate_limit	lim;
	uint64_t		tat = 0, wait = 0;
	int			i;

	(void)state;
	zes_rate_limit_make(&lim, 0, 5);
	assert_int_equal(lim.interval_ns, 0);
	for (i = 0; i < 100000; i++)
		assert_int_equal(zes_rate_take(&tat, T0, &lim, &wait), 0);
	assert_int_equal(tat, 0);

	zes_rate_limit_make(&lim, 10, 5);
	assert_int_equal(lim.interval_ns, 100 * MS);
	assert_int_equal(lim.tolerance_ns, 400 * MS);
	zes_rate_limit_make(&lim, 4, 0);
	assert_int_equal(lim.interval_ns, 250 * MS);
	assert_int_equal(lim.tolerance_ns, 0);
	zes_rate_limit_make(&lim, 1000000, 3);
	assert_int_equal(lim.interval_ns, 1000);
	assert_int_equal(lim.tolerance_ns, 2000);
}

/* A full bucket gives exactly `burst` at once, then one per interval. */
static void
test_burst_then_rate(void **state)
{
	struct zes_rate_limit	lim;
	uint64_t		tat = 0, wait = 0, now = T0;
	int			i;

	(void)state;
	zes_rate_limit_make(&lim, 10, 5);
	for (i = 0; i < 5; i++)
		if (zes_rate_take(&tat, now, &lim, &wait) != 0)
			fail_msg("request %d of the burst refused", i);
	assert_int_equal(zes_rate_take(&tat, now, &lim, &wait), -1);
	assert_int_equal(wait, 100 * MS);
	/* A refusal costs nothing: asking again gives the same answer. */
	assert_int_equal(zes_rate_take(&tat, now, &lim, &wait), -1);
	assert_int_equal(wait, 100 * MS);
	/* 1 ns early is still too early; on time is allowed, once. */
	assert_int_equal(zes_rate_take(&tat, now + 100 * MS - 1, &lim, &wait), -1);
	assert_int_equal(wait, 1);
	assert_int_equal(zes_rate_take(&tat, now + 100 * MS, &lim, &wait), 0);
	assert_int_equal(zes_rate_take(&tat, now + 100 * MS, &lim, &wait), -1);
	assert_int_equal(wait, 100 * MS);

	/* Steady at the rate: never refused. */
	now += 100 * MS;
	for (i = 0; i < 1000; i++) {
		now += 100 * MS;
		if (zes_rate_take(&tat, now, &lim, &wait) != 0)
			fail_msg("steady request %d refused", i);
	}

	/* A long quiet spell refills to the burst, not beyond. */
	now += 3600 * SEC;
	for (i = 0; i < 5; i++)
		assert_int_equal(zes_rate_take(&tat, now, &lim, &wait), 0);
	assert_int_equal(zes_rate_take(&tat, now, &lim, &wait), -1);
}

/* A burst of 1 is a strict rate: each request one interval after the last. */
static void
test_burst_one(void **state)
{
	struct zes_rate_limit	lim;
	uint64_t		tat = 0, wait = 0;

	(void)state;
	zes_rate_limit_make(&lim, 2, 1);
	assert_int_equal(zes_rate_take(&tat, T0, &lim, &wait), 0);
	assert_int_equal(zes_rate_take(&tat, T0 + 499 * MS, &lim, &wait), -1);
	assert_int_equal(wait, 1 * MS);
	assert_int_equal(zes_rate_take(&tat, T0 + 500 * MS, &lim, &wait), 0);
}

/*
 * The reference: a token bucket holding up to burst * interval ns of
 * credit, refilled one ns per ns; a request costs one interval.
 */
struct ref_bucket {
	uint64_t	credit, last, cap, cost;
};

static int
ref_take(struct ref_bucket *b, uint64_t now, uint64_t *wait)
{
	b->credit += now - b->last;
	if (b->credit > b->cap)
		b->credit = b->cap;
	b->last = now;
	if (b->credit >= b->cost) {
		b->credit -= b->cost;
		return 0;
	}
	*wait = b->cost - b->credit;
	return -1;
}

/* Random arrivals: GCRA answers exactly as the token bucket, waits included. */
static void
test_matches_token_bucket(void **state)
{
	static const unsigned	rates[] = { 1, 3, 7, 10, 100, 999, 5000 };
	static const unsigned	bursts[] = { 1, 2, 5, 40, 200 };
	struct zes_rate_limit	lim;
	struct ref_bucket	ref;
	uint64_t		tat, now, w1, w2;
	size_t			ri, bi;
	unsigned		seed = 12345;
	int			i, a, b, allowed;

	(void)state;
	for (ri = 0; ri < sizeof(rates) / sizeof(rates[0]); ri++) {
		for (bi = 0; bi < sizeof(bursts) / sizeof(bursts[0]); bi++) {
			zes_rate_limit_make(&lim, rates[ri], bursts[bi]);
			ref.cost = lim.interval_ns;
			ref.cap = (uint64_t)bursts[bi] * lim.interval_ns;
			ref.credit = ref.cap;
			ref.last = now = T0;
			tat = 0;
			allowed = 0;
			for (i = 0; i < 20000; i++) {
				/* Gaps of 0 to 1.5 intervals: 0.75 on average, over the rate. */
				now += (uint64_t)(rand_r(&seed) % 4) *
				    (lim.interval_ns / 2) +
				    (uint64_t)(rand_r(&seed) % 1000);
				w1 = w2 = 0;
				a = zes_rate_take(&tat, now, &lim, &w1);
				b = ref_take(&ref, now, &w2);
				if (a != b || w1 != w2)
					fail_msg("rate %u burst %u step %d: gcra %d "
					    "wait %llu, bucket %d wait %llu",
					    rates[ri], bursts[bi], i, a,
					    (unsigned long long)w1, b,
					    (unsigned long long)w2);
				allowed += a == 0;
			}
			/* The mix must exercise both answers. */
			assert_true(allowed > 0 && allowed < 20000);
		}
	}
}

struct race {
	_Atomic uint64_t	*tat;
	struct zes_rate_limit	 lim;
	int			 won;
};

static void *
race_main(void *arg)
{
	struct race	*r = arg;
	uint64_t	 wait;
	int		 i;

	for (i = 0; i < 20000; i++)
		if (zes_rate_take_shared(r->tat, T0, &r->lim, &wait) == 0)
			r->won++;
	return NULL;
}

/* Threads sharing one bucket at one instant get exactly the burst between them. */
static void
test_shared_threads(void **state)
{
	_Atomic uint64_t	tat = 0;
	struct race		races[4];
	pthread_t		th[4];
	uint64_t		wait = 0;
	int			i, total = 0;

	(void)state;
	for (i = 0; i < 4; i++) {
		races[i].tat = &tat;
		zes_rate_limit_make(&races[i].lim, 1, 1000);
		races[i].won = 0;
		assert_int_equal(pthread_create(&th[i], NULL, race_main, &races[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		total += races[i].won;
	}
	assert_int_equal(total, 1000);
	assert_int_equal(zes_rate_take_shared(&tat, T0, &races[0].lim, &wait), -1);
	assert_int_equal(wait, SEC);
	assert_int_equal(zes_rate_take_shared(&tat, T0 + SEC, &races[0].lim, &wait), 0);
}

/* Retry-After: whole seconds, rounded up, never 0. */
static void
test_retry_after(void **state)
{
	(void)state;
	assert_int_equal(zes_rate_retry_after_s(0), 1);
	assert_int_equal(zes_rate_retry_after_s(1), 1);
	assert_int_equal(zes_rate_retry_after_s(SEC), 1);
	assert_int_equal(zes_rate_retry_after_s(SEC + 1), 2);
	assert_int_equal(zes_rate_retry_after_s(59 * SEC + 1), 60);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_make),
		cmocka_unit_test(test_burst_then_rate),
		cmocka_unit_test(test_burst_one),
		cmocka_unit_test(test_matches_token_bucket),
		cmocka_unit_test(test_shared_threads),
		cmocka_unit_test(test_retry_after),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
