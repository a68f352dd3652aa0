/*
 * Bearer tokens (pure; no I/O): "zes_" and the base64url form (RFC 4648 §5,
 * no padding) of 32 random bytes, and the SHA-256 that is all we store.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "zes/token.h"

#define TOKEN_RANDOM_LEN	32
#define TOKEN_PREFIX_LEN	(sizeof(ZES_TOKEN_PREFIX) - 1)

/* 32 bytes are 256 bits: 42 characters of 6 bits and one of 4 (+2 zero bits). */
_Static_assert(TOKEN_PREFIX_LEN + 43 == ZES_TOKEN_LEN, "token length");

static const char token_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* 1 when c is one of the 64 base64url characters. */
static int
token_isb64url(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Encode 32 bytes as "zes_" + 43 base64url characters and a NUL. */
void
zes_token_format(const uint8_t random[32], char out[ZES_TOKEN_LEN + 1])
{
	uint32_t	 v;
	size_t		 i;
	char		*p;

	memcpy(out, ZES_TOKEN_PREFIX, TOKEN_PREFIX_LEN);
	p = out + TOKEN_PREFIX_LEN;

	/* Ten groups of three bytes give 40 characters. */
	for (i = 0; i + 3 <= TOKEN_RANDOM_LEN; i += 3) {
		v = (uint32_t)random[i] << 16 | (uint32_t)random[i + 1] << 8 |
		    random[i + 2];
		*p++ = token_alphabet[(v >> 18) & 0x3f];
		*p++ = token_alphabet[(v >> 12) & 0x3f];
		*p++ = token_alphabet[(v >> 6) & 0x3f];
		*p++ = token_alphabet[v & 0x3f];
	}
	/* The last two bytes give three characters; no '=' padding. */
	v = (uint32_t)random[30] << 16 | (uint32_t)random[31] << 8;
	*p++ = token_alphabet[(v >> 18) & 0x3f];
	*p++ = token_alphabet[(v >> 12) & 0x3f];
	*p++ = token_alphabet[(v >> 6) & 0x3f];
	*p = '\0';
}

/*
 * 1 when the len bytes of s have the shape of a token: the prefix, then
 * exactly 43 base64url characters.  The shape only: whether a token is known
 * is the store's question.
 */
int
zes_token_wellformed(const char *s, size_t len)
{
	size_t	i;

	if (s == NULL || len != ZES_TOKEN_LEN)
		return 0;
	if (memcmp(s, ZES_TOKEN_PREFIX, TOKEN_PREFIX_LEN) != 0)
		return 0;
	for (i = TOKEN_PREFIX_LEN; i < len; i++) {
		if (!token_isb64url(s[i]))
			return 0;
	}
	return 1;
}

/*
 * SHA-256, fetched from the provider once: EVP_sha256() makes OpenSSL 3 look
 * the algorithm up again on every digest, which every authenticated request
 * would pay.  The fetched method is immutable and shared by all threads.
 */
static EVP_MD		*token_md;
static pthread_once_t	 token_md_once = PTHREAD_ONCE_INIT;

/* Fetch SHA-256 (once). */
static void
token_md_fetch(void)
{
	if ((token_md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		abort();
}

/* The fetched SHA-256. */
static const EVP_MD *
token_sha256(void)
{
	pthread_once(&token_md_once, token_md_fetch);
	return token_md;
}

/* SHA-256 of the len bytes of the token text. */
void
zes_token_hash(const char *s, size_t len, uint8_t out[ZES_TOKEN_HASH_LEN])
{
	/* Fails only when OpenSSL cannot allocate: like xmalloc, stop. */
	if (EVP_Digest(s, len, out, NULL, token_sha256(), NULL) != 1)
		abort();
}
