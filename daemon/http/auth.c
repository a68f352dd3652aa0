/*
 * Bearer tokens in memory: an immutable, sorted array of the SHA-256 hashes of
 * the tokens not revoked, with role and municipality.  A lookup hashes the
 * presented token, finds the hash by binary search and confirms it with a
 * constant-time comparison.  The set is rebuilt (never changed) when tokens
 * change; only each token's rate-limit buckets and last use, atomics, move
 * while it is used.  A lookup that finds a token records the second of its
 * use in memory; daemon/tokenuse.c writes the uses to the database now and
 * then, so a request never writes for it.
 */

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "zes/auditchain.h"
#include "zes/auth.h"
#include "zes/xmalloc.h"

struct auth_token {
	uint8_t			hash[ZES_TOKEN_HASH_LEN];
	struct zes_principal	who;		/* who.rate is NULL here; a lookup points it at rate */
	struct zes_rate_state	rate;
	_Atomic int64_t		used;		/* last lookup, epoch seconds; 0 never */
	_Atomic int64_t		written;	/* the last `used` written to the database */
};

struct zes_tokens {
	atomic_uint		 refs;
	size_t			 n;
	struct auth_token	*v;		/* sorted by hash */
	struct auth_token	**by_name;	/* into v, sorted by name */
};

const char zes_tokens_sql[] =
    "SELECT id::text, name, role, coalesce(municipality, ''), encode(hash, 'hex')"
    " FROM tokens WHERE revoked_at IS NULL ORDER BY hash";

/*
 * Changes whenever a token is created or revoked: every such change commits a
 * change_log row of kind 'token'.  The count matters, not only the maximum:
 * seq is taken before commit, so a change can commit with a lower seq than
 * one already seen.
 */
const char zes_tokens_version_sql[] =
    "SELECT count(*)::text || '/' || coalesce(max(seq), 0)::text"
    " FROM change_log WHERE kind = 'token'";

/* Order tokens by hash. */
static int
auth_cmp(const void *a, const void *b)
{
	return memcmp(((const struct auth_token *)a)->hash,
	    ((const struct auth_token *)b)->hash, ZES_TOKEN_HASH_LEN);
}

/* Order pointers to tokens by name. */
static int
auth_name_cmp(const void *a, const void *b)
{
	return strcmp((*(struct auth_token *const *)a)->who.name,
	    (*(struct auth_token *const *)b)->who.name);
}

/* Build a set from the rows of zes_tokens_sql. */
struct zes_tokens *
zes_tokens_from_result(const PGresult *res, char **err)
{
	struct zes_tokens	*t;
	int			 i, n = PQntuples(res);

	*err = NULL;
	if (PQnfields(res) != 5) {
		xasprintf(err, "token query returned %d columns", PQnfields(res));
		return NULL;
	}
	t = xcalloc(1, sizeof(*t));
	atomic_init(&t->refs, 1);
	t->v = xcalloc((size_t)n + 1, sizeof(*t->v));
	for (i = 0; i < n; i++) {
		struct auth_token *a = &t->v[t->n];
		const char *role = PQgetvalue(res, i, 2);
		const char *muni = PQgetvalue(res, i, 3);

		a->who.role = zes_role_parse(role);
		if (a->who.role == ZES_ROLE_NONE ||
		    zes_auditchain_unhex(PQgetvalue(res, i, 4), a->hash) != 0 ||
		    (muni[0] != '\0' && !zes_municipality_code_valid(muni))) {
			xasprintf(err, "token %s has a malformed row",
			    PQgetvalue(res, i, 0));
			zes_tokens_unref(t);
			return NULL;
		}
		snprintf(a->who.id, sizeof(a->who.id), "%s", PQgetvalue(res, i, 0));
		snprintf(a->who.name, sizeof(a->who.name), "%s", PQgetvalue(res, i, 1));
		snprintf(a->who.municipality, sizeof(a->who.municipality), "%s", muni);
		t->n++;
	}
	qsort(t->v, t->n, sizeof(*t->v), auth_cmp);
	t->by_name = xcalloc(t->n + 1, sizeof(*t->by_name));
	for (i = 0; i < (int)t->n; i++) {
		size_t k;

		for (k = 0; k < ZES_RATE_NCLASSES; k++)
			atomic_init(&t->v[i].rate.tat[k], 0);
		atomic_init(&t->v[i].used, 0);
		atomic_init(&t->v[i].written, 0);
		t->by_name[i] = &t->v[i];
	}
	qsort(t->by_name, t->n, sizeof(*t->by_name), auth_name_cmp);
	return t;
}

/* Take a reference. */
struct zes_tokens *
zes_tokens_ref(struct zes_tokens *t)
{
	atomic_fetch_add(&t->refs, 1);
	return t;
}

/* Drop a reference; the last one frees (and wipes the hashes). */
void
zes_tokens_unref(struct zes_tokens *t)
{
	if (t == NULL || atomic_fetch_sub(&t->refs, 1) != 1)
		return;
	OPENSSL_cleanse(t->v, t->n * sizeof(*t->v));
	free(t->v);
	free(t->by_name);
	free(t);
}

/* Number of active tokens. */
size_t
zes_tokens_count(const struct zes_tokens *t)
{
	return t == NULL ? 0 : t->n;
}

/*
 * Record that a token was used now.  Only a new second is stored, so the
 * token's cache line is written once a second, not at every request.
 */
static void
auth_mark_used(const struct auth_token *a)
{
	struct auth_token	*w = (struct auth_token *)a;
	int64_t			 now = (int64_t)time(NULL);

	if (atomic_load_explicit(&w->used, memory_order_relaxed) != now)
		atomic_store_explicit(&w->used, now, memory_order_relaxed);
}

/* Look a presented token up. */
int
zes_tokens_lookup(const struct zes_tokens *t, const char *token, size_t len,
    struct zes_principal *who)
{
	struct auth_token	 key;
	const struct auth_token	*hit;
	int			 rc = -1;

	if (t == NULL || !zes_token_wellformed(token, len))
		return -1;
	zes_token_hash(token, len, key.hash);
	hit = bsearch(&key, t->v, t->n, sizeof(*t->v), auth_cmp);
	if (hit != NULL && CRYPTO_memcmp(hit->hash, key.hash, ZES_TOKEN_HASH_LEN) == 0) {
		*who = hit->who;
		who->rate = (struct zes_rate_state *)&hit->rate;
		auth_mark_used(hit);
		rc = 0;
	}
	OPENSSL_cleanse(key.hash, sizeof(key.hash));
	return rc;
}

/* Look a token up by name: binary search over the name index. */
int
zes_tokens_lookup_name(const struct zes_tokens *t, const char *name,
    struct zes_principal *who)
{
	size_t			 lo = 0, hi, mid;
	const struct auth_token	*a;
	int			 c;

	if (t == NULL || name == NULL)
		return -1;
	hi = t->n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		a = t->by_name[mid];
		if ((c = strcmp(name, a->who.name)) == 0) {
			*who = a->who;
			who->rate = (struct zes_rate_state *)&a->rate;
			auth_mark_used(a);
			return 0;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

/* Carry the buckets and last uses of the tokens two sets share (matched by hash). */
void
zes_tokens_carry_rates(struct zes_tokens *to, const struct zes_tokens *from)
{
	const struct auth_token	*old;
	size_t			 i, k;

	if (to == NULL || from == NULL)
		return;
	for (i = 0; i < to->n; i++) {
		old = bsearch(&to->v[i], from->v, from->n, sizeof(*from->v), auth_cmp);
		if (old == NULL)
			continue;
		for (k = 0; k < ZES_RATE_NCLASSES; k++)
			atomic_store_explicit(&to->v[i].rate.tat[k],
			    atomic_load_explicit(&old->rate.tat[k],
			    memory_order_relaxed), memory_order_relaxed);
		atomic_store(&to->v[i].used, atomic_load(&old->used));
		atomic_store(&to->v[i].written, atomic_load(&old->written));
	}
}

/* The uses not written yet: a new array (caller frees) and its length. */
struct zes_token_use *
zes_tokens_uses(const struct zes_tokens *t, size_t *n)
{
	struct zes_token_use	*u;
	int64_t			 used;
	size_t			 i;

	*n = 0;
	if (t == NULL || t->n == 0)
		return NULL;
	u = xcalloc(t->n, sizeof(*u));
	for (i = 0; i < t->n; i++) {
		used = atomic_load(&t->v[i].used);
		if (used == 0 || used == atomic_load(&t->v[i].written))
			continue;
		u[*n].index = i;
		u[*n].at = used;
		snprintf(u[*n].id, sizeof(u[*n].id), "%s", t->v[i].who.id);
		(*n)++;
	}
	if (*n == 0) {
		free(u);
		return NULL;
	}
	return u;
}

/* The uses of zes_tokens_uses() were written: they need not be again. */
void
zes_tokens_uses_written(struct zes_tokens *t, const struct zes_token_use *u,
    size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (u[i].index < t->n)
			atomic_store(&t->v[u[i].index].written, u[i].at);
	}
}
