/*
 * The tokens' last use, written by zesd's main thread (daemon/tokenuse.c).
 *
 * A lookup marks the token used in memory (daemon/http/auth.c); every
 * interval the main thread writes the uses of the current token set with one
 * UPDATE of tokens.last_used_at on its store, asynchronously, so no request
 * waits for it and the database sees one statement per interval, whatever
 * the traffic.  last_used_at is therefore at most about one interval old
 * (token_last_use_ms).  A read_only zesd writes nothing.
 */
#ifndef ZES_TOKENUSE_H
#define ZES_TOKENUSE_H

#include "zes/common.h"

struct event_base;
struct zes_server;
struct zes_tokenuse;

/*
 * Start writing the last uses every interval_ms on srv->store (of the loop
 * `base`).  NULL, and nothing is ever written, when srv's config is
 * read_only.
 */
struct zes_tokenuse	*zes_tokenuse_start(struct event_base *base,
			    struct zes_server *srv, unsigned interval_ms);

/*
 * Stop the timer, then write the uses not written yet one last time: runs
 * `base` until that is done, for at most timeout_ms.  For main() after the
 * workers were joined, before the store is freed (delete the loop's other
 * timers first).  Frees it; NULL is a no-op.
 */
void			 zes_tokenuse_stop(struct zes_tokenuse *, unsigned timeout_ms);

#endif
