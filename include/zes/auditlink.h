/*
 * The audit chain's linker on zesd's main thread (daemon/auditlink.c).
 *
 * Writers append audit entries without a seq (schema/0005_audit_link.sql);
 * the linker gives the committed ones their seq, prev_hash and hash with
 * SELECT zes_audit_link() on the main thread's store: every interval, at
 * once again after a full batch, and a last time at shutdown, after the
 * workers have finished.  Several zesd (and zesctl) may link the same
 * database: the function lets one linker at a time in, and the others
 * return at once.  Asynchronous: it never blocks the loop.
 */
#ifndef ZES_AUDITLINK_H
#define ZES_AUDITLINK_H

#include "zes/common.h"

struct event_base;
struct zes_store;
struct zes_auditlink;

/* Entries linked per statement (and transaction) at most. */
#define ZES_AUDITLINK_BATCH	1000

/* Start linking every interval_ms on `store` (of the loop `base`). */
struct zes_auditlink	*zes_auditlink_start(struct event_base *base,
			    struct zes_store *store, unsigned interval_ms);

/*
 * Stop the timer, then link what is pending one last time: runs `base`
 * until that is done, for at most timeout_ms (at once when the store is not
 * connected).  For main() after the workers were joined: nothing else may
 * fire on `base` then (delete its timers first).  Frees the linker.
 */
void			 zes_auditlink_stop(struct zes_auditlink *,
			    unsigned timeout_ms);

/* Entries this linker linked so far (the main thread's). */
uint64_t		 zes_auditlink_linked(const struct zes_auditlink *);

#endif
