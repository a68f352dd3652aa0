/*
 * The audit trail's hash chain (pure; no I/O): the canonical bytes of an
 * entry, its SHA-256 link to the previous entry, and hex for the API.
 * schema/0001_foundation.sql (zes_audit_append) builds the same bytes in SQL.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "zes/auditchain.h"

/*
 * Feed one field as "<octet length>:<bytes>\n".  The length prefix makes the
 * encoding unambiguous: no choice of field values can make two different
 * entries produce the same bytes.  A NULL field counts as "" (the columns are
 * NOT NULL, so it only happens through a caller's bug).
 */
static void
auditchain_field(EVP_MD_CTX *ctx, const char *s)
{
	char	len[32];
	size_t	n;
	int	w;

	if (s == NULL)
		s = "";
	n = strlen(s);
	w = snprintf(len, sizeof(len), "%zu:", n);
	if (w < 0 || (size_t)w >= sizeof(len) ||
	    EVP_DigestUpdate(ctx, len, (size_t)w) != 1 ||
	    EVP_DigestUpdate(ctx, s, n) != 1 ||
	    EVP_DigestUpdate(ctx, "\n", 1) != 1)
		abort();
}

/* Compute SHA-256(prev || canonical(e)); prev NULL means 32 zero bytes. */
void
zes_auditchain_hash(const uint8_t *prev, const struct zes_audit_entry *e,
    uint8_t out[ZES_AUDIT_HASH_LEN])
{
	static const uint8_t	 genesis[ZES_AUDIT_HASH_LEN];
	EVP_MD_CTX		*ctx;
	char			 seq[32];
	unsigned int		 outlen;

	if (prev == NULL)
		prev = genesis;
	(void)snprintf(seq, sizeof(seq), "%" PRId64, e->seq);

	/* OpenSSL fails here only when it cannot allocate: like xmalloc, stop. */
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		abort();
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, prev, ZES_AUDIT_HASH_LEN) != 1)
		abort();
	auditchain_field(ctx, seq);
	auditchain_field(ctx, e->at);
	auditchain_field(ctx, e->actor);
	auditchain_field(ctx, e->action);
	auditchain_field(ctx, e->object);
	auditchain_field(ctx, e->detail);
	outlen = 0;
	if (EVP_DigestFinal_ex(ctx, out, &outlen) != 1 ||
	    outlen != ZES_AUDIT_HASH_LEN)
		abort();
	EVP_MD_CTX_free(ctx);
}

/* Write the lower-case hex of h and a NUL into out. */
void
zes_auditchain_hex(const uint8_t h[ZES_AUDIT_HASH_LEN],
    char out[2 * ZES_AUDIT_HASH_LEN + 1])
{
	static const char	digits[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < ZES_AUDIT_HASH_LEN; i++) {
		out[2 * i] = digits[h[i] >> 4];
		out[2 * i + 1] = digits[h[i] & 0x0f];
	}
	out[2 * ZES_AUDIT_HASH_LEN] = '\0';
}

/* Value of one hex digit of either case, or -1. */
static int
auditchain_xdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Parse exactly 64 hex digits followed by the NUL.  0 ok; -1 malformed, and
 * then out is left untouched.
 */
int
zes_auditchain_unhex(const char *hex, uint8_t out[ZES_AUDIT_HASH_LEN])
{
	uint8_t	buf[ZES_AUDIT_HASH_LEN];
	size_t	i;
	int	hi, lo;

	if (hex == NULL)
		return -1;
	for (i = 0; i < ZES_AUDIT_HASH_LEN; i++) {
		/* A NUL is not a digit, so a short string stops here. */
		if ((hi = auditchain_xdigit(hex[2 * i])) == -1 ||
		    (lo = auditchain_xdigit(hex[2 * i + 1])) == -1)
			return -1;
		buf[i] = (uint8_t)(hi << 4 | lo);
	}
	if (hex[2 * ZES_AUDIT_HASH_LEN] != '\0')
		return -1;
	memcpy(out, buf, sizeof(buf));
	return 0;
}
