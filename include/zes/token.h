/*
 * Bearer tokens (pure; no I/O).  A token is "zes_" followed by 43 base64url
 * characters (32 random bytes).  Only its SHA-256 is stored.
 */
#ifndef ZES_TOKEN_H
#define ZES_TOKEN_H

#include <stddef.h>
#include <stdint.h>
#include "zes/common.h"

#define ZES_TOKEN_PREFIX	"zes_"
#define ZES_TOKEN_LEN		47		/* "zes_" + 43 */
#define ZES_TOKEN_HASH_LEN	32

/* Encode 32 random bytes as a token (out: ZES_TOKEN_LEN + 1 bytes). */
void	zes_token_format(const uint8_t random[32], char out[ZES_TOKEN_LEN + 1]);
/* 1 when s has the shape of a token, else 0. */
int	zes_token_wellformed(const char *s, size_t len);
/* SHA-256 of the token text. */
void	zes_token_hash(const char *s, size_t len, uint8_t out[ZES_TOKEN_HASH_LEN]);

#endif
