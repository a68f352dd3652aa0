/*
 * TLS for the workers' listeners: one OpenSSL server context built from
 * tls_cert, tls_key and tls_client_ca, plus the map from client-certificate
 * fingerprints to token names (tls_client_map).  Immutable and
 * reference-counted: the main thread builds a new one when the files
 * change (SIGHUP) and publishes it; each worker makes new connections with
 * the context it holds, and a connection keeps the context it was made with
 * (OpenSSL counts the SSL's reference), so a reload drops nothing.
 */
#ifndef ZES_TLS_H
#define ZES_TLS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "zes/common.h"
#include "zes/config.h"

#define ZES_TLS_FP_LEN		32	/* SHA-256 of the DER certificate */

/*
 * The protocol versions and ciphers offered (docs/http.md): TLS 1.2 and
 * 1.3, TLS 1.3 preferred by negotiation; for TLS 1.2 only ECDHE key
 * exchange with AEAD ciphers (forward secrecy, no CBC, no RSA key
 * transport, no SHA-1 MACs).
 */
#define ZES_TLS12_CIPHERS	"ECDHE-ECDSA-AES128-GCM-SHA256:" \
				"ECDHE-RSA-AES128-GCM-SHA256:" \
				"ECDHE-ECDSA-AES256-GCM-SHA384:" \
				"ECDHE-RSA-AES256-GCM-SHA384:" \
				"ECDHE-ECDSA-CHACHA20-POLY1305:" \
				"ECDHE-RSA-CHACHA20-POLY1305"
#define ZES_TLS13_SUITES	"TLS_AES_128_GCM_SHA256:" \
				"TLS_AES_256_GCM_SHA384:" \
				"TLS_CHACHA20_POLY1305_SHA256"
/* Sent on every answer over TLS. */
#define ZES_TLS_HSTS		"max-age=31536000"

struct zes_tls;

/*
 * Build the context from the config's TLS keys (tls_cert must be set).
 * Returns NULL and sets *err (caller frees) to one line naming the key,
 * the file and OpenSSL's reason when a file is missing or bad, the key
 * does not match the certificate, or the client map has an error.
 */
struct zes_tls	*zes_tls_load(const struct zes_config *, char **err) ZES_MUSTCHECK;
struct zes_tls	*zes_tls_ref(struct zes_tls *);
/* Drop a reference; the last frees (connections made with it keep their SSL_CTX). */
void		 zes_tls_unref(struct zes_tls *);

/*
 * 1 when any file the context was built from (certificate, key, client CA,
 * client map) differs now from when it was read (device, inode, size or
 * modification time), or cannot be looked at; 0 when all are the same.
 */
int		 zes_tls_files_changed(const struct zes_tls *, const struct zes_config *);

/* A new SSL for an accepted connection (aborts when out of memory). */
SSL		*zes_tls_ssl_new(struct zes_tls *);

/*
 * The SHA-256 fingerprint of the client certificate of a connection, when
 * the client presented one and it verified against tls_client_ca: 0 and
 * fp filled; -1 otherwise.
 */
int		 zes_tls_peer_fingerprint(SSL *, uint8_t fp[ZES_TLS_FP_LEN]);

/* The token name a certificate fingerprint maps to (borrowed from t), or NULL. */
const char	*zes_tls_map_lookup(const struct zes_tls *, const uint8_t fp[ZES_TLS_FP_LEN]);
/* How many certificates the client map names. */
size_t		 zes_tls_map_count(const struct zes_tls *);

/*
 * Parse the text of a client map (pure; exposed for the unit tests):
 * `FINGERPRINT TOKEN-NAME` lines, the fingerprint as 64 hex digits with
 * or without colons between the bytes, `#` comments and blank lines
 * skipped.  Returns the number of entries and sets *out (caller frees with
 * free()), or -1 with *err (caller frees) naming the line.
 */
struct zes_tls_map_entry {
	uint8_t	fp[ZES_TLS_FP_LEN];
	char	name[104];		/* a token name (1 to 100 bytes) */
};
long		 zes_tls_map_parse(const char *text, size_t len, const char *where,
		    struct zes_tls_map_entry **out, char **err) ZES_MUSTCHECK;

#endif
