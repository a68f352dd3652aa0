/*
 * Ed25519 signing of access decisions (OpenSSL EVP, one-shot as PureEdDSA
 * requires) and GET /v1/signing-keys, which publishes the public key so that
 * anyone can verify a decision offline.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "zes/http.h"
#include "zes/routes.h"
#include "zes/signing.h"
#include "zes/worker.h"
#include "zes/xmalloc.h"

struct zes_signer {
	EVP_PKEY	*key;
	EVP_MD_CTX	**ctx;		/* one per slot (worker), made on first use */
	unsigned	 nslots;
	char		 kid[24];
	char		*public_pem;
};

static void	signing_keys_list(struct zes_req *);

const struct zes_route zes_routes_signing[] = {
	{ .method = EVHTTP_REQ_GET, .path = "/v1/signing-keys",
	  .roles = ZES_ROLE_ANY, .handler = signing_keys_list },
	{ 0 }
};

/* base64url without padding of n bytes into out (4/3 n + 1 bytes). */
static void
signing_b64url(const unsigned char *in, size_t n, char *out)
{
	static const char	abc[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t			i, o = 0;
	unsigned		v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		out[o++] = abc[v >> 18];
		out[o++] = abc[(v >> 12) & 63];
		out[o++] = abc[(v >> 6) & 63];
		out[o++] = abc[v & 63];
	}
	if (n - i == 1) {
		v = (unsigned)in[i] << 16;
		out[o++] = abc[v >> 18];
		out[o++] = abc[(v >> 12) & 63];
	} else if (n - i == 2) {
		v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
		out[o++] = abc[v >> 18];
		out[o++] = abc[(v >> 12) & 63];
		out[o++] = abc[(v >> 6) & 63];
	}
	out[o] = '\0';
}

/* The last OpenSSL error as text. */
static const char *
signing_ssl_error(char *buf, size_t size)
{
	unsigned long	e = ERR_get_error();

	if (e == 0)
		snprintf(buf, size, "unknown error");
	else
		ERR_error_string_n(e, buf, size);
	ERR_clear_error();
	return buf;
}

/* Load the key and derive its id and public PEM. */
struct zes_signer *
zes_signer_load(const char *path, unsigned nslots, char **err)
{
	struct zes_signer	*s;
	FILE			*f;
	BIO			*bio;
	unsigned char		 raw[32], digest[32];
	size_t			 rawlen = sizeof(raw);
	unsigned int		 dlen = 0;
	char			*pem, ebuf[256];
	long			 n;

	if ((f = fopen(path, "r")) == NULL) {
		xasprintf(err, "signing_key: cannot open %s", path);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->nslots = nslots;
	s->ctx = xcalloc(nslots ? nslots : 1, sizeof(*s->ctx));
	s->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (s->key == NULL) {
		xasprintf(err, "signing_key: %s is not a PEM private key: %s", path,
		    signing_ssl_error(ebuf, sizeof(ebuf)));
		zes_signer_free(s);
		return NULL;
	}
	if (EVP_PKEY_get_id(s->key) != EVP_PKEY_ED25519) {
		xasprintf(err, "signing_key: %s is not an Ed25519 key", path);
		zes_signer_free(s);
		return NULL;
	}
	if (EVP_PKEY_get_raw_public_key(s->key, raw, &rawlen) != 1 ||
	    EVP_Digest(raw, rawlen, digest, &dlen, EVP_sha256(), NULL) != 1) {
		xasprintf(err, "signing_key: cannot read the public key: %s",
		    signing_ssl_error(ebuf, sizeof(ebuf)));
		zes_signer_free(s);
		return NULL;
	}
	signing_b64url(digest, 16, s->kid);
	bio = BIO_new(BIO_s_mem());
	if (bio == NULL || PEM_write_bio_PUBKEY(bio, s->key) != 1) {
		BIO_free(bio);
		xasprintf(err, "signing_key: cannot write the public key");
		zes_signer_free(s);
		return NULL;
	}
	n = BIO_get_mem_data(bio, &pem);
	s->public_pem = xstrndup(pem, (size_t)n);
	BIO_free(bio);
	return s;
}

/* Free a signer. */
void
zes_signer_free(struct zes_signer *s)
{
	unsigned	i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nslots; i++)
		EVP_MD_CTX_free(s->ctx[i]);
	free(s->ctx);
	EVP_PKEY_free(s->key);
	free(s->public_pem);
	free(s);
}

/* The key id. */
const char *
zes_signer_kid(const struct zes_signer *s)
{
	return s->kid;
}

/* The public key, PEM. */
const char *
zes_signer_public_pem(const struct zes_signer *s)
{
	return s->public_pem;
}

/* A signing context for the key, ready for EVP_DigestSign; NULL on failure. */
static EVP_MD_CTX *
signing_ctx_new(EVP_PKEY *key)
{
	EVP_MD_CTX	*ctx;

	/* Ed25519 takes no digest and signs in one go (EVP_SIGNATURE-ED25519(7)). */
	if ((ctx = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) != 1) {
		EVP_MD_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

/*
 * Sign msg; the signature as base64url.  The slot's context is set up once
 * and reused, as `openssl speed` does: Ed25519's one-shot sign keeps no state
 * between calls.  Should a library refuse a second sign on one context, the
 * context is made afresh and the sign tried once more.
 */
int
zes_signer_sign(struct zes_signer *s, unsigned slot, const void *msg,
    size_t len, char out[ZES_SIGNATURE_B64_LEN + 1])
{
	unsigned char	 sig[64];
	size_t		 siglen;
	int		 attempt;

	if (slot >= s->nslots)
		return -1;
	for (attempt = 0; attempt < 2; attempt++) {
		if (s->ctx[slot] == NULL &&
		    (s->ctx[slot] = signing_ctx_new(s->key)) == NULL)
			return -1;
		siglen = sizeof(sig);
		if (EVP_DigestSign(s->ctx[slot], sig, &siglen, msg, len) == 1 &&
		    siglen == 64) {
			signing_b64url(sig, siglen, out);
			return 0;
		}
		ERR_clear_error();
		EVP_MD_CTX_free(s->ctx[slot]);
		s->ctx[slot] = NULL;
	}
	return -1;
}

/* GET /v1/signing-keys: the public key(s) decisions are signed with. */
static void
signing_keys_list(struct zes_req *r)
{
	const struct zes_signer	*s = r->w->srv->signer;
	json_t			*items = json_array();

	if (zes_req_query_check(r, (const char *const[]){ NULL }) > 0) {
		json_decref(items);
		zes_http_invalid(r);
		return;
	}
	if (s != NULL)
		json_array_append_new(items, json_pack("{s:s, s:s, s:s}",
		    "kid", s->kid, "alg", "EdDSA", "publicKeyPem", s->public_pem));
	zes_http_reply_json(r, 200, json_pack("{s:o}", "items", items));
}
