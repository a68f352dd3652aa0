/* The shared part of the store's test programs (store_harness.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store_harness.h"

struct event_base	*base;
int			 npass, nfail;

/* Count and print one check. */
void
check(int ok, const char *what, int line)
{
	if (ok) {
		npass++;
		printf("ok   %s\n", what);
	} else {
		nfail++;
		printf("FAIL %s (line %d)\n", what, line);
	}
	fflush(stdout);
}

/* Monotonic milliseconds. */
long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run the loop until *flag >= want or ms pass; 1 when reached. */
int
wait_for(const int *flag, int want, long ms)
{
	long	end = now_ms() + ms;

	while (*flag < want) {
		if (now_ms() > end)
			return 0;
		event_base_loop(base, EVLOOP_ONCE);
	}
	return 1;
}

/* Run the loop for ms. */
void
loop_for(long ms)
{
	long	end = now_ms() + ms;

	while (now_ms() < end)
		event_base_loop(base, EVLOOP_ONCE);
}

/* Keeps the loop waking up so wait_for can check its deadline. */
void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

/* State callback: count ups and downs. */
void
state_cb(struct zes_store *store, int up, void *arg)
{
	struct states	*st = arg;

	(void)store;
	if (up)
		st->ups++;
	else
		st->downs++;
	st->last = up;
}

/* Options shared by the stores of a test. */
void
opts_init(struct zes_store_opts *o, const char *conninfo, const char *app,
    unsigned statement_timeout_ms, unsigned queue_max)
{
	memset(o, 0, sizeof(*o));
	o->conninfo = conninfo;
	o->application_name = app;
	o->statement_timeout_ms = statement_timeout_ms;
	o->connect_timeout_ms = 3000;
	o->queue_max = queue_max;
	o->backoff_min_ms = 50;
	o->backoff_max_ms = 400;
}

/* A new store, once connected (NULL when it did not connect in 5 s). */
struct zes_store *
connect_store(const struct zes_store_opts *o, struct states *st)
{
	struct zes_store	*store;

	memset(st, 0, sizeof(*st));
	store = zes_store_new(base, o, state_cb, st);
	if (!wait_for(&st->ups, 1, 5000)) {
		zes_store_free(store);
		return NULL;
	}
	return store;
}
