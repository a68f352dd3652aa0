/*
 * The audit trail's hash chain (pure; no I/O).
 *
 * hash(entry) = SHA-256(prev_hash || canonical(entry)), prev_hash of the first
 * entry is 32 zero bytes.  canonical(entry) is each field as a netstring-like
 * "<octet length>:<bytes>\n" in the order seq, at, actor, action, object,
 * detail, where seq is decimal, at is "YYYY-MM-DDTHH:MM:SS.ffffffZ" (UTC) and
 * detail is the text PostgreSQL gives for the jsonb value.  The SQL function
 * zes_audit_append() in schema/ computes the same bytes; docs/audit.md says why.
 */
#ifndef ZES_AUDITCHAIN_H
#define ZES_AUDITCHAIN_H

#include <stddef.h>
#include <stdint.h>

#define ZES_AUDIT_HASH_LEN	32

struct zes_audit_entry {
	int64_t		 seq;
	const char	*at;
	const char	*actor;
	const char	*action;
	const char	*object;
	const char	*detail;
};

/* Compute the hash of `e` chained to `prev` (32 bytes, or NULL for the first). */
void	zes_auditchain_hash(const uint8_t *prev, const struct zes_audit_entry *e,
	    uint8_t out[ZES_AUDIT_HASH_LEN]);

/* Lower-case hex of a hash into out (65 bytes with the NUL). */
void	zes_auditchain_hex(const uint8_t h[ZES_AUDIT_HASH_LEN], char out[2 * ZES_AUDIT_HASH_LEN + 1]);
/* Parse 64 hex digits (either case); 0 ok, -1 malformed. */
int	zes_auditchain_unhex(const char *hex, uint8_t out[ZES_AUDIT_HASH_LEN]);

#endif
