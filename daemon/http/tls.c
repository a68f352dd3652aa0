/*
 * TLS contexts: the OpenSSL server context of tls_cert / tls_key /
 * tls_client_ca with the versions and ciphers zesd offers, the map of
 * client-certificate fingerprints to token names, and the file stamps that
 * tell a SIGHUP whether anything needs rebuilding.  Built on the main
 * thread, read by the workers; see include/zes/tls.h for the lifecycle.
 */

#include <ctype.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "zes/log.h"
#include "zes/tls.h"
#include "zes/xmalloc.h"

#define TLS_MAP_MAX_BYTES	(4u << 20)	/* a client map larger than this is refused */
#define TLS_VERIFY_DEPTH	4		/* client chains: leaf, intermediates, root */
#define TLS_SESSION_CONTEXT	"zesd"

/* What a file looked like when it was read. */
struct tls_stamp {
	int		exists;
	dev_t		dev;
	ino_t		ino;
	off_t		size;
	struct timespec	mtime;
	struct timespec	ctime;
};

enum {
	TLS_FILE_CERT,
	TLS_FILE_KEY,
	TLS_FILE_CA,
	TLS_FILE_MAP,
	TLS_NFILES
};

struct zes_tls {
	atomic_uint			 refs;
	SSL_CTX				*ctx;
	struct zes_tls_map_entry	*map;		/* sorted by fingerprint */
	size_t				 nmap;
	struct tls_stamp		 stamps[TLS_NFILES];
};

/* The path of file `i` in cfg ("" when not configured). */
static const char *
tls_path(const struct zes_config *cfg, int i)
{
	switch (i) {
	case TLS_FILE_CERT:	return cfg->tls_cert;
	case TLS_FILE_KEY:	return cfg->tls_key;
	case TLS_FILE_CA:	return cfg->tls_client_ca;
	default:		return cfg->tls_client_map;
	}
}

/* Stamp a file; a path that is not configured stamps as absent. */
static void
tls_stamp(const char *path, struct tls_stamp *s)
{
	struct stat	st;

	memset(s, 0, sizeof(*s));
	if (path[0] == '\0' || stat(path, &st) != 0)
		return;
	s->exists = 1;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->size = st.st_size;
	s->mtime = st.st_mtim;
	s->ctime = st.st_ctim;
}

/* Do two stamps differ? */
static int
tls_stamp_differs(const struct tls_stamp *a, const struct tls_stamp *b)
{
	return a->exists != b->exists || a->dev != b->dev || a->ino != b->ino ||
	    a->size != b->size || a->mtime.tv_sec != b->mtime.tv_sec ||
	    a->mtime.tv_nsec != b->mtime.tv_nsec ||
	    a->ctime.tv_sec != b->ctime.tv_sec ||
	    a->ctime.tv_nsec != b->ctime.tv_nsec;
}

/* OpenSSL's most recent error of this thread, as text; the queue is cleared. */
static const char *
tls_ssl_error(char *buf, size_t size)
{
	unsigned long	e, last = 0;

	while ((e = ERR_get_error()) != 0)
		last = e;
	if (last == 0)
		snprintf(buf, size, "unknown OpenSSL error");
	else
		ERR_error_string_n(last, buf, size);
	return buf;
}

/* One hex digit's value, or -1. */
static int
tls_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Order map entries by fingerprint. */
static int
tls_map_cmp(const void *a, const void *b)
{
	return memcmp(((const struct zes_tls_map_entry *)a)->fp,
	    ((const struct zes_tls_map_entry *)b)->fp, ZES_TLS_FP_LEN);
}

/*
 * Read a fingerprint at *p: 32 bytes as hex pairs, each pair optionally
 * followed by a colon (not after the last).  0 and *p past it, or -1.
 */
static int
tls_parse_fp(const char **p, const char *end, uint8_t fp[ZES_TLS_FP_LEN])
{
	const char	*s = *p;
	int		 i, hi, lo;

	for (i = 0; i < ZES_TLS_FP_LEN; i++) {
		if (end - s < 2 || (hi = tls_hexval((unsigned char)s[0])) < 0 ||
		    (lo = tls_hexval((unsigned char)s[1])) < 0)
			return -1;
		fp[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (i + 1 < ZES_TLS_FP_LEN && s < end && *s == ':')
			s++;
	}
	if (s < end && !isspace((unsigned char)*s))
		return -1;
	*p = s;
	return 0;
}

/* Parse a client map. */
long
zes_tls_map_parse(const char *text, size_t len, const char *where,
    struct zes_tls_map_entry **out, char **err)
{
	struct zes_tls_map_entry	*v = NULL;
	const char			*p = text, *end = text + len, *eol, *s, *e;
	size_t				 n = 0, cap = 0, i;
	unsigned			 line = 0;

	*out = NULL;
	*err = NULL;
	while (p < end) {
		line++;
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		s = p;
		p = eol < end ? eol + 1 : end;
		while (s < eol && isspace((unsigned char)*s))
			s++;
		e = eol;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		if (s == e || *s == '#')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, cap * sizeof(*v));
		}
		memset(&v[n], 0, sizeof(v[n]));
		if (memchr(s, '\0', (size_t)(e - s)) != NULL) {
			xasprintf(err, "%s line %u: a NUL byte", where, line);
			goto fail;
		}
		if (tls_parse_fp(&s, e, v[n].fp) != 0) {
			xasprintf(err, "%s line %u: expected a SHA-256 fingerprint "
			    "(64 hex digits, colons allowed) and a token name",
			    where, line);
			goto fail;
		}
		while (s < e && isspace((unsigned char)*s))
			s++;
		if (s == e || (size_t)(e - s) > 100) {
			xasprintf(err, "%s line %u: the token name must follow "
			    "the fingerprint (1 to 100 bytes)", where, line);
			goto fail;
		}
		memcpy(v[n].name, s, (size_t)(e - s));
		v[n].name[e - s] = '\0';
		n++;
	}
	if (n > 1) {
		qsort(v, n, sizeof(*v), tls_map_cmp);
		for (i = 1; i < n; i++) {
			if (memcmp(v[i - 1].fp, v[i].fp, ZES_TLS_FP_LEN) == 0) {
				xasprintf(err, "%s: a certificate fingerprint is "
				    "listed twice (for %s and %s)", where,
				    v[i - 1].name, v[i].name);
				goto fail;
			}
		}
	}
	*out = v;
	return (long)n;
fail:
	free(v);
	return -1;
}

/* Read a whole file (at most TLS_MAP_MAX_BYTES); NULL with *err on failure. */
static char *
tls_read_file(const char *key, const char *path, size_t *len, char **err)
{
	FILE	*f;
	char	*buf;
	size_t	 n;

	if ((f = fopen(path, "r")) == NULL) {
		xasprintf(err, "%s: cannot open %s: %s", key, path, strerror(errno));
		return NULL;
	}
	buf = xmalloc(TLS_MAP_MAX_BYTES + 1);
	n = fread(buf, 1, TLS_MAP_MAX_BYTES + 1, f);
	if (ferror(f) || n > TLS_MAP_MAX_BYTES) {
		xasprintf(err, "%s: cannot read %s: %s", key, path, ferror(f) ?
		    strerror(errno) : "larger than 4 MiB");
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* The server context with zesd's protocol settings; NULL with *err. */
static SSL_CTX *
tls_ctx_new(const struct zes_config *cfg, char **err)
{
	SSL_CTX			*ctx;
	STACK_OF(X509_NAME)	*names;
	char			 e[256];
	int			 mode;

	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		xasprintf(err, "tls_cert: cannot make a TLS context: %s",
		    tls_ssl_error(e, sizeof(e)));
		return NULL;
	}
	/*
	 * No compression (CRIME), no renegotiation (a cheap way to make the
	 * server work), and a peer that closes without close_notify is an
	 * ordinary end of stream: libevent 2.1's OpenSSL layer predates
	 * OpenSSL 3, which would report it as an error.
	 */
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_IGNORE_UNEXPECTED_EOF);
	/* Idle connections give their buffers back (many keep-alive clients). */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, ZES_TLS12_CIPHERS) != 1 ||
	    SSL_CTX_set_ciphersuites(ctx, ZES_TLS13_SUITES) != 1) {
		xasprintf(err, "tls_cert: cannot set the TLS versions and ciphers: %s",
		    tls_ssl_error(e, sizeof(e)));
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_cert) != 1) {
		xasprintf(err, "tls_cert: cannot load the certificate chain %s: %s",
		    cfg->tls_cert, tls_ssl_error(e, sizeof(e)));
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, cfg->tls_key, SSL_FILETYPE_PEM) != 1) {
		xasprintf(err, "tls_key: cannot load the private key %s: %s",
		    cfg->tls_key, tls_ssl_error(e, sizeof(e)));
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		xasprintf(err, "tls_key: %s does not belong to the certificate %s: %s",
		    cfg->tls_key, cfg->tls_cert, tls_ssl_error(e, sizeof(e)));
		goto fail;
	}
	/* Session resumption with client certificates needs a context id. */
	SSL_CTX_set_session_id_context(ctx,
	    (const unsigned char *)TLS_SESSION_CONTEXT, strlen(TLS_SESSION_CONTEXT));
	if (cfg->tls_client_ca[0] != '\0') {
		if (SSL_CTX_load_verify_locations(ctx, cfg->tls_client_ca, NULL) != 1 ||
		    (names = SSL_load_client_CA_file(cfg->tls_client_ca)) == NULL) {
			xasprintf(err, "tls_client_ca: cannot load the CA certificates "
			    "%s: %s", cfg->tls_client_ca, tls_ssl_error(e, sizeof(e)));
			goto fail;
		}
		SSL_CTX_set_client_CA_list(ctx, names);
		mode = SSL_VERIFY_PEER;
		if (strcmp(cfg->tls_client_verify, "required") == 0)
			mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
		SSL_CTX_set_verify(ctx, mode, NULL);
		SSL_CTX_set_verify_depth(ctx, TLS_VERIFY_DEPTH);
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/* Build a context and its client map from the config. */
struct zes_tls *
zes_tls_load(const struct zes_config *cfg, char **err)
{
	struct zes_tls	*t;
	char		*text;
	size_t		 len;
	long		 n;
	int		 i;

	*err = NULL;
	if (cfg->tls_cert[0] == '\0' || cfg->tls_key[0] == '\0') {
		xasprintf(err, "tls_cert and tls_key must be set together");
		return NULL;
	}
	if (cfg->tls_client_map[0] != '\0' && cfg->tls_client_ca[0] == '\0') {
		xasprintf(err, "tls_client_map: needs tls_client_ca (the CA that "
		    "signs the client certificates)");
		return NULL;
	}
	t = xcalloc(1, sizeof(*t));
	atomic_init(&t->refs, 1);
	/* Stamped before reading: a change made while we read shows next time. */
	for (i = 0; i < TLS_NFILES; i++)
		tls_stamp(tls_path(cfg, i), &t->stamps[i]);
	if ((t->ctx = tls_ctx_new(cfg, err)) == NULL)
		goto fail;
	if (cfg->tls_client_map[0] != '\0') {
		if ((text = tls_read_file("tls_client_map", cfg->tls_client_map,
		    &len, err)) == NULL)
			goto fail;
		n = zes_tls_map_parse(text, len, cfg->tls_client_map, &t->map, err);
		free(text);
		if (n < 0) {
			char *why = *err;

			xasprintf(err, "tls_client_map: %s", why);
			free(why);
			goto fail;
		}
		t->nmap = (size_t)n;
	}
	return t;
fail:
	zes_tls_unref(t);
	return NULL;
}

/* Take a reference. */
struct zes_tls *
zes_tls_ref(struct zes_tls *t)
{
	atomic_fetch_add(&t->refs, 1);
	return t;
}

/* Drop a reference; the last frees our hold on the SSL_CTX and the map. */
void
zes_tls_unref(struct zes_tls *t)
{
	if (t == NULL || atomic_fetch_sub(&t->refs, 1) != 1)
		return;
	SSL_CTX_free(t->ctx);
	free(t->map);
	free(t);
}

/* Did any file change since t was built? */
int
zes_tls_files_changed(const struct zes_tls *t, const struct zes_config *cfg)
{
	struct tls_stamp	now;
	int			i;

	for (i = 0; i < TLS_NFILES; i++) {
		tls_stamp(tls_path(cfg, i), &now);
		if (tls_path(cfg, i)[0] != '\0' && !now.exists)
			return 1;
		if (tls_stamp_differs(&now, &t->stamps[i]))
			return 1;
	}
	return 0;
}

/* A new server-side SSL on t's context; it holds its own reference to it. */
SSL *
zes_tls_ssl_new(struct zes_tls *t)
{
	SSL	*ssl;

	if ((ssl = SSL_new(t->ctx)) == NULL)
		zes_fatalx("SSL_new failed (out of memory?)");
	return ssl;
}

/* The fingerprint of a verified client certificate. */
int
zes_tls_peer_fingerprint(SSL *ssl, uint8_t fp[ZES_TLS_FP_LEN])
{
	X509		*cert;
	unsigned int	 n = 0;

	if (ssl == NULL || (cert = SSL_get0_peer_certificate(ssl)) == NULL)
		return -1;
	if (SSL_get_verify_result(ssl) != X509_V_OK)
		return -1;
	if (X509_digest(cert, EVP_sha256(), fp, &n) != 1 || n != ZES_TLS_FP_LEN)
		return -1;
	return 0;
}

/* Look a fingerprint up in the client map. */
const char *
zes_tls_map_lookup(const struct zes_tls *t, const uint8_t fp[ZES_TLS_FP_LEN])
{
	struct zes_tls_map_entry	 key;
	const struct zes_tls_map_entry	*hit;

	if (t == NULL || t->nmap == 0)
		return NULL;
	memcpy(key.fp, fp, ZES_TLS_FP_LEN);
	hit = bsearch(&key, t->map, t->nmap, sizeof(*t->map), tls_map_cmp);
	return hit != NULL ? hit->name : NULL;
}

/* Entries of the client map. */
size_t
zes_tls_map_count(const struct zes_tls *t)
{
	return t == NULL ? 0 : t->nmap;
}
