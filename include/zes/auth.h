/*
 * Bearer-token authentication: an immutable, reference-counted set of the
 * tokens not revoked (hashes only), built from the database by the main
 * thread and handed to the workers, who look tokens up without locks.  The
 * mutable parts are each token's rate-limit buckets and the second of its
 * last use (atomics), carried over from set to set, so that a rebuilt set
 * does not refill the buckets nor forget a use not written yet.
 */
#ifndef ZES_AUTH_H
#define ZES_AUTH_H

#include <libpq-fe.h>
#include "zes/common.h"
#include "zes/ratelimit.h"
#include "zes/token.h"

struct zes_principal {
	char		 id[40];			/* token id (uuid) */
	char		 name[104];			/* token name, for the audit trail */
	enum zes_role	 role;
	char		 municipality[ZES_MUNICIPALITY_LEN + 1];	/* "" when none */
	/*
	 * The token's rate-limit buckets, borrowed from the token set of the
	 * lookup: valid only while that set is held (the worker's current
	 * one, during the request's first, synchronous steps); NULL when none.
	 */
	struct zes_rate_state	*rate;
};

struct zes_tokens;

/* A token's last use, not yet written to tokens.last_used_at. */
struct zes_token_use {
	size_t		 index;		/* in the set it came from */
	char		 id[40];	/* token id (uuid) */
	int64_t		 at;		/* epoch seconds */
};

/* The SQL that zes_tokens_from_result() expects, and a cheap query telling whether tokens changed. */
extern const char zes_tokens_sql[];
extern const char zes_tokens_version_sql[];

/* Build a set from the result of zes_tokens_sql; NULL on a malformed row (err says which). */
struct zes_tokens	*zes_tokens_from_result(const PGresult *, char **err) ZES_MUSTCHECK;
struct zes_tokens	*zes_tokens_ref(struct zes_tokens *);
void			 zes_tokens_unref(struct zes_tokens *);
size_t			 zes_tokens_count(const struct zes_tokens *);

/*
 * Look a presented token up; 0 and *who filled when known, -1 otherwise.
 * A token found is marked used now (see zes_tokens_uses()).
 */
int			 zes_tokens_lookup(const struct zes_tokens *, const char *token,
			    size_t len, struct zes_principal *who);
/*
 * Look a token up by its name (a client certificate maps to one, see
 * daemon/http/tls.c); 0 and *who filled when a token of that name is in the
 * set (not revoked), -1 otherwise.
 */
int			 zes_tokens_lookup_name(const struct zes_tokens *, const char *name,
			    struct zes_principal *who);
/*
 * Copy the rate-limit buckets of every token of `from` that is also in `to`
 * (same hash), so that publishing a rebuilt set keeps what each token used.
 * Requests that still run on `from` meanwhile are not carried: a few at most.
 */
void			 zes_tokens_carry_rates(struct zes_tokens *to,
			    const struct zes_tokens *from);

/*
 * The tokens of the set used since their use was last written: a new
 * array (the caller frees it) of *n entries, NULL when none.  For the one
 * thread that writes them (daemon/tokenuse.c).
 */
struct zes_token_use	*zes_tokens_uses(const struct zes_tokens *, size_t *n);
/* Those uses (from this set) were written to the database. */
void			 zes_tokens_uses_written(struct zes_tokens *,
			    const struct zes_token_use *, size_t n);

#endif
