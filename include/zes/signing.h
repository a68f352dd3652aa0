/*
 * Signed access decisions: an Ed25519 key from signing_key, its key id, and
 * signatures over canonical JSON (zes/canon.h).  The key is loaded once and
 * only read afterwards, so workers share it; each worker signs through a
 * slot of its own (its id), which only that worker touches.
 */
#ifndef ZES_SIGNING_H
#define ZES_SIGNING_H

#include <stddef.h>

#include "zes/common.h"

struct zes_signer;

#define ZES_SIGNATURE_B64_LEN	86	/* 64 bytes as base64url without padding */

/*
 * Load an Ed25519 private key (PEM) for nslots signing threads; NULL with
 * *err set (caller frees).
 */
struct zes_signer	*zes_signer_load(const char *path, unsigned nslots,
			    char **err) ZES_MUSTCHECK;
void			 zes_signer_free(struct zes_signer *);
/* The key id: the first 16 bytes of SHA-256 of the public key, base64url. */
const char		*zes_signer_kid(const struct zes_signer *);
/* The public key as PEM (SubjectPublicKeyInfo). */
const char		*zes_signer_public_pem(const struct zes_signer *);
/*
 * Sign in slot (0 .. nslots-1, the worker's id, used by that thread alone);
 * out gets the base64url signature and a NUL.  0 ok.
 */
int			 zes_signer_sign(struct zes_signer *, unsigned slot,
			    const void *msg, size_t len,
			    char out[ZES_SIGNATURE_B64_LEN + 1]) ZES_MUSTCHECK;

#endif
