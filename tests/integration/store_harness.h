/*
 * What the store's test programs (store_smoke, store_txn) share: counted
 * checks, running the event loop until a flag is set or a deadline passes,
 * and stores that count their state changes.
 */
#ifndef STORE_HARNESS_H
#define STORE_HARNESS_H

#include <event2/event.h>

#include "zes/store.h"

/* What a store's state callback saw. */
struct states {
	int	ups;
	int	downs;
	int	last;		/* the last state: 1 up, 0 down */
};

extern struct event_base	*base;		/* the loop every helper runs */
extern int			 npass, nfail;

#define CHECK(cond)	check((cond), #cond, __LINE__)

/* Count and print one check. */
void	check(int ok, const char *what, int line);
/* Monotonic milliseconds. */
long	now_ms(void);
/* Run the loop until *flag >= want or ms pass; 1 when reached. */
int	wait_for(const int *flag, int want, long ms);
/* Run the loop for ms. */
void	loop_for(long ms);
/* Does nothing: a persistent timer on it keeps the loop waking up. */
void	tick_cb(evutil_socket_t, short, void *);
/* State callback: count ups and downs (arg: struct states). */
void	state_cb(struct zes_store *, int up, void *arg);
/* The options of a test store: short backoff, connect within 3 s. */
void	opts_init(struct zes_store_opts *, const char *conninfo,
	    const char *app, unsigned statement_timeout_ms, unsigned queue_max);
/* A new store, once connected (NULL when it did not connect in 5 s). */
struct zes_store *connect_store(const struct zes_store_opts *, struct states *);

#endif
