/*
 * Configuration: the table of keys, reading `key = value` files and ZES_<KEY>
 * environment variables (which win), validation with errors that name the
 * key and where it came from, and comparison of two configs for reload.
 */

#include <ctype.h>
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "zes/config.h"
#include "zes/xmalloc.h"

enum cfg_type {
	CFG_STRING,
	CFG_UINT,
	CFG_LISTEN,
	CFG_LOG_LEVEL,
	CFG_LOG_FORMAT,
	CFG_BOOL,
};

#define CFG_RELOADABLE	0x1	/* may change on SIGHUP without a restart */
#define CFG_SENSITIVE	0x2	/* never printed */

struct cfg_key {
	const char	*name;
	enum cfg_type	 type;
	size_t		 offset;
	const char	*def;
	long long	 min, max;
	int		 flags;
	const char	*help;
};

#define OFF(f)	offsetof(struct zes_config, f)

/* Every key zesd knows; API.md (Command line) names twelve of them. */
static const struct cfg_key cfg_keys[] = {
	{ "database_url", CFG_STRING, OFF(database_url), "dbname=zesd", 0, 0,
	  CFG_SENSITIVE, "libpq conninfo of the database (use a socket path or hostaddr)" },
	{ "listen", CFG_LISTEN, 0, "127.0.0.1:8080", 0, 0, 0,
	  "address:port to serve HTTP on; several separated by commas; port 0 picks a free one" },
	{ "threads", CFG_UINT, OFF(threads), "0", 0, 256, 0,
	  "worker threads; 0 means one per core" },
	{ "rules_dir", CFG_STRING, OFF(rules_dir), "/etc/zesd/rules", 0, 0, 0,
	  "folder of rule-set files" },
	{ "tls_cert", CFG_STRING, OFF(tls_cert), "", 0, 0, 0,
	  "PEM certificate chain for TLS (empty: plain HTTP)" },
	{ "tls_key", CFG_STRING, OFF(tls_key), "", 0, 0, CFG_SENSITIVE,
	  "PEM private key for TLS" },
	{ "tls_client_ca", CFG_STRING, OFF(tls_client_ca), "", 0, 0, 0,
	  "PEM CA bundle for client certificates (empty: none asked for)" },
	{ "tls_client_verify", CFG_STRING, OFF(tls_client_verify), "optional", 0, 0, 0,
	  "optional or required: whether a client must present a certificate" },
	{ "tls_client_map", CFG_STRING, OFF(tls_client_map), "", 0, 0, 0,
	  "file of `SHA-256-fingerprint token-name` lines: certificates that act as tokens" },
	{ "signing_key", CFG_STRING, OFF(signing_key), "", 0, 0, CFG_SENSITIVE,
	  "Ed25519 PEM private key that signs access decisions" },
	{ "cors_origins", CFG_STRING, OFF(cors_origins), "", 0, 0, CFG_RELOADABLE,
	  "comma-separated origins allowed by CORS" },
	{ "max_body_bytes", CFG_UINT, OFF(max_body_bytes), "65536", 1024, 16777216, 0,
	  "largest request body (access checks allow 4 times this)" },
	{ "log_level", CFG_LOG_LEVEL, OFF(log_level), "info", 0, 0, CFG_RELOADABLE,
	  "debug, info, warn or error" },
	{ "log_format", CFG_LOG_FORMAT, OFF(log_format), "json", 0, 0, CFG_RELOADABLE,
	  "json or text" },
	{ "max_header_bytes", CFG_UINT, OFF(max_header_bytes), "8192", 1024, 1048576, 0,
	  "largest request line plus headers" },
	{ "read_timeout_ms", CFG_UINT, OFF(read_timeout_ms), "30000", 100, 3600000, 0,
	  "idle keep-alive and slow-read bound per connection" },
	{ "request_timeout_ms", CFG_UINT, OFF(request_timeout_ms), "10000", 100, 600000, 0,
	  "deadline of a request held by a handler (answered 503 when it passes)" },
	{ "statement_timeout_ms", CFG_UINT, OFF(statement_timeout_ms), "5000", 10, 600000, 0,
	  "statement_timeout set on every database session" },
	{ "shutdown_timeout_ms", CFG_UINT, OFF(shutdown_timeout_ms), "30000", 0, 600000, 0,
	  "how long SIGTERM waits for requests in flight" },
	{ "db_connect_timeout_ms", CFG_UINT, OFF(db_connect_timeout_ms), "5000", 100, 600000, 0,
	  "how long one database connection attempt may take" },
	{ "db_queue_max", CFG_UINT, OFF(db_queue_max), "256", 1, 100000, 0,
	  "database jobs a worker queues before answering 503" },
	{ "token_refresh_ms", CFG_UINT, OFF(token_refresh_ms), "250", 50, 60000, 0,
	  "how often the token cache looks for created or revoked tokens" },
	{ "index_poll_ms", CFG_UINT, OFF(index_poll_ms), "200", 10, 60000, 0,
	  "how often the access index looks at change_log besides NOTIFY (the only way on a replica)" },
	{ "index_max_overlay", CFG_UINT, OFF(index_max_overlay), "4096", 1, 1000000, 0,
	  "plates whose exemptions changed before the index merges them into a new base" },
	{ "audit_link_ms", CFG_UINT, OFF(audit_link_ms), "100", 10, 60000, 0,
	  "how often committed audit entries are linked into the hash chain" },
	{ "token_last_use_ms", CFG_UINT, OFF(token_last_use_ms), "60000", 1000, 3600000, 0,
	  "how often the tokens' last use is written to the database (its granularity)" },
	{ "retention_months", CFG_UINT, OFF(retention_months), "24", 13, 1200, 0,
	  "zesctl purge: applications and exemptions ended this long ago are removed" },
	{ "read_only", CFG_BOOL, OFF(read_only), "false", 0, 0, 0,
	  "serve reads only (a zesd on a streaming standby): writes are refused, nothing is written" },
	{ "port_file", CFG_STRING, OFF(port_file), "", 0, 0, 0,
	  "file to write the bound port to, once listening (for tests)" },
	{ "max_uri_bytes", CFG_UINT, OFF(max_uri_bytes), "2048", 256, 65536, CFG_RELOADABLE,
	  "longest request URI (path and query); longer is 414" },
	{ "max_header_count", CFG_UINT, OFF(max_header_count), "100", 8, 10000, CFG_RELOADABLE,
	  "most request header fields; more is 431" },
	{ "request_read_timeout_ms", CFG_UINT, OFF(request_read_timeout_ms), "15000", 0, 600000,
	  CFG_RELOADABLE,
	  "longest time to receive one request from its first byte (a new connection's: from the accept); 0: no bound" },
	{ "max_connections_per_worker", CFG_UINT, OFF(max_connections_per_worker), "0", 0, 1000000, 0,
	  "open connections a worker keeps; more are closed at once (0: from the open-file limit)" },
	{ "rate_read_per_s", CFG_UINT, OFF(rate_read_per_s), "200", 0, 1000000, CFG_RELOADABLE,
	  "reads a token may make per second (0: no limit)" },
	{ "rate_read_burst", CFG_UINT, OFF(rate_read_burst), "1000", 1, 1000000, CFG_RELOADABLE,
	  "reads a token may make at once" },
	{ "rate_write_per_s", CFG_UINT, OFF(rate_write_per_s), "50", 0, 1000000, CFG_RELOADABLE,
	  "writes a token may make per second (0: no limit)" },
	{ "rate_write_burst", CFG_UINT, OFF(rate_write_burst), "500", 1, 1000000, CFG_RELOADABLE,
	  "writes a token may make at once" },
	{ "rate_enforcement_per_s", CFG_UINT, OFF(rate_enforcement_per_s), "2000", 0, 1000000,
	  CFG_RELOADABLE, "requests an enforcement token may make per second (0: no limit)" },
	{ "rate_enforcement_burst", CFG_UINT, OFF(rate_enforcement_burst), "4000", 1, 1000000,
	  CFG_RELOADABLE, "requests an enforcement token may make at once" },
};

static int	cfg_set(struct zes_config *, const struct cfg_key *, const char *,
		    const char *, char **);
static int	cfg_parse_listen(struct zes_config *, const char *, const char **);
static const struct cfg_key *cfg_find(const char *);
static char	*cfg_trim(char *);
static int	cfg_read_file(struct zes_config *, const char *, char **);

/* Find a key by name. */
static const struct cfg_key *
cfg_find(const char *name)
{
	size_t	i;

	for (i = 0; i < ZES_NELEM(cfg_keys); i++)
		if (strcmp(cfg_keys[i].name, name) == 0)
			return &cfg_keys[i];
	return NULL;
}

/* Strip leading and trailing white space in place. */
static char *
cfg_trim(char *s)
{
	char	*e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Parse "host:port[,host:port...]" into cfg->listen. */
static int
cfg_parse_listen(struct zes_config *cfg, const char *value, const char **why)
{
	char		*copy, *item, *save = NULL, *colon, *host;
	long long	 port;
	const char	*errstr;
	unsigned char	 addr[16];
	int		 rc = 0;

	/* Cleared whole, so that configs compare equal by memcmp when their addresses do. */
	memset(cfg->listen, 0, sizeof(cfg->listen));
	cfg->nlisten = 0;
	copy = xstrdup(value);
	for (item = strtok_r(copy, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		item = cfg_trim(item);
		if ((colon = strrchr(item, ':')) == NULL) {
			*why = "must be address:port";
			rc = -1;
			break;
		}
		*colon = '\0';
		host = item;
		if (*host == '[' && colon > host + 1 && colon[-1] == ']') {
			host++;
			colon[-1] = '\0';
		}
		if (inet_pton(AF_INET, host, addr) != 1 &&
		    inet_pton(AF_INET6, host, addr) != 1) {
			*why = "address must be a numeric IPv4 or IPv6 address";
			rc = -1;
			break;
		}
		if (zes_strtonum(colon + 1, 0, 65535, &port, &errstr) != 0) {
			*why = "port must be a number from 0 to 65535";
			rc = -1;
			break;
		}
		if (cfg->nlisten == ZES_CONFIG_MAX_LISTEN) {
			*why = "too many addresses";
			rc = -1;
			break;
		}
		snprintf(cfg->listen[cfg->nlisten].host,
		    sizeof(cfg->listen[0].host), "%s", host);
		cfg->listen[cfg->nlisten].port = (unsigned)port;
		cfg->nlisten++;
	}
	free(copy);
	if (rc == 0 && cfg->nlisten == 0) {
		*why = "must name at least one address:port";
		rc = -1;
	}
	return rc;
}

/* Set one key from text; `where` names the source for the error line. */
static int
cfg_set(struct zes_config *cfg, const struct cfg_key *k, const char *value,
    const char *where, char **err)
{
	char		*base = (char *)cfg;
	long long	 n;
	const char	*why = NULL;
	char		 q[160];

	switch (k->type) {
	case CFG_STRING:
		free(*(char **)(base + k->offset));
		*(char **)(base + k->offset) = xstrdup(value);
		return 0;
	case CFG_UINT:
		if (zes_strtonum(value, k->min, k->max, &n, &why) == 0) {
			*(unsigned *)(base + k->offset) = (unsigned)n;
			return 0;
		}
		xasprintf(err, "%s: %s is not a number from %lld to %lld (%s)",
		    k->name, zes_log_quote(q, sizeof(q), value, 64),
		    k->min, k->max, where);
		return -1;
	case CFG_LISTEN:
		if (cfg_parse_listen(cfg, value, &why) == 0)
			return 0;
		break;
	case CFG_LOG_LEVEL:
		if (zes_log_level_parse(value,
		    (enum zes_log_level *)(void *)(base + k->offset)) == 0)
			return 0;
		why = "must be debug, info, warn or error";
		break;
	case CFG_LOG_FORMAT:
		if (zes_log_format_parse(value,
		    (enum zes_log_format *)(void *)(base + k->offset)) == 0)
			return 0;
		why = "must be json or text";
		break;
	case CFG_BOOL:
		if (strcmp(value, "true") == 0 || strcmp(value, "on") == 0 ||
		    strcmp(value, "yes") == 0 || strcmp(value, "1") == 0) {
			*(int *)(base + k->offset) = 1;
			return 0;
		}
		if (strcmp(value, "false") == 0 || strcmp(value, "off") == 0 ||
		    strcmp(value, "no") == 0 || strcmp(value, "0") == 0) {
			*(int *)(base + k->offset) = 0;
			return 0;
		}
		why = "must be true or false";
		break;
	}
	xasprintf(err, "%s: %s %s (%s)", k->name,
	    (k->flags & CFG_SENSITIVE) ? "value" :
	    zes_log_quote(q, sizeof(q), value, 64), why, where);
	return -1;
}

/* Read a `key = value` file into cfg. */
static int
cfg_read_file(struct zes_config *cfg, const char *path, char **err)
{
	FILE			*f;
	char			*line = NULL, *p, *eq, *key, *value, where[512];
	size_t			 cap = 0;
	unsigned		 lineno = 0;
	const struct cfg_key	*k;
	int			 rc = 0;

	if ((f = fopen(path, "r")) == NULL) {
		xasprintf(err, "cannot open configuration file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, f) != -1) {
		lineno++;
		p = cfg_trim(line);
		if (*p == '\0' || *p == '#' || *p == ';')
			continue;
		snprintf(where, sizeof(where), "%s line %u", path, lineno);
		if ((eq = strchr(p, '=')) == NULL) {
			xasprintf(err, "%s: expected key = value", where);
			rc = -1;
			break;
		}
		*eq = '\0';
		key = cfg_trim(p);
		value = cfg_trim(eq + 1);
		if ((k = cfg_find(key)) == NULL) {
			char q[160];

			xasprintf(err, "%s: unknown key (%s)",
			    zes_log_quote(q, sizeof(q), key, 64), where);
			rc = -1;
			break;
		}
		if (cfg_set(cfg, k, value, where, err) != 0) {
			rc = -1;
			break;
		}
	}
	free(line);
	fclose(f);
	return rc;
}

/* Load defaults, then the file, then the environment. */
struct zes_config *
zes_config_load(const char *path, char **err)
{
	struct zes_config	*cfg;
	size_t			 i, j;
	char			 env[64], where[96];
	const char		*v;

	*err = NULL;
	cfg = xcalloc(1, sizeof(*cfg));
	atomic_init(&cfg->refs, 1);
	for (i = 0; i < ZES_NELEM(cfg_keys); i++) {
		if (cfg_set(cfg, &cfg_keys[i], cfg_keys[i].def, "default",
		    err) != 0)
			zes_fatalx("bad default for %s", cfg_keys[i].name);
	}
	if (path != NULL && cfg_read_file(cfg, path, err) != 0)
		goto fail;
	for (i = 0; i < ZES_NELEM(cfg_keys); i++) {
		snprintf(env, sizeof(env), "ZES_");
		for (j = 0; cfg_keys[i].name[j] != '\0' && j + 5 < sizeof(env); j++)
			env[4 + j] = (char)toupper((unsigned char)cfg_keys[i].name[j]);
		env[4 + j] = '\0';
		if ((v = getenv(env)) == NULL)
			continue;
		snprintf(where, sizeof(where), "environment variable %s", env);
		if (cfg_set(cfg, &cfg_keys[i], v, where, err) != 0)
			goto fail;
	}
	if ((cfg->tls_cert[0] != '\0') != (cfg->tls_key[0] != '\0')) {
		xasprintf(err, "tls_cert and tls_key must be set together");
		goto fail;
	}
	if (strcmp(cfg->tls_client_verify, "optional") != 0 &&
	    strcmp(cfg->tls_client_verify, "required") != 0) {
		char q[160];

		xasprintf(err, "tls_client_verify: %s must be optional or required",
		    zes_log_quote(q, sizeof(q), cfg->tls_client_verify, 64));
		goto fail;
	}
	if (cfg->tls_cert[0] == '\0' && (cfg->tls_client_ca[0] != '\0' ||
	    cfg->tls_client_map[0] != '\0')) {
		xasprintf(err, "%s: needs tls_cert and tls_key (client certificates "
		    "come with TLS)", cfg->tls_client_ca[0] != '\0' ?
		    "tls_client_ca" : "tls_client_map");
		goto fail;
	}
	if (cfg->tls_client_map[0] != '\0' && cfg->tls_client_ca[0] == '\0') {
		xasprintf(err, "tls_client_map: needs tls_client_ca (the CA that "
		    "signs the client certificates)");
		goto fail;
	}
	return cfg;
fail:
	zes_config_free(cfg);
	return NULL;
}

/* Free a config and its strings. */
void
zes_config_free(struct zes_config *cfg)
{
	size_t	i;

	if (cfg == NULL)
		return;
	for (i = 0; i < ZES_NELEM(cfg_keys); i++) {
		if (cfg_keys[i].type == CFG_STRING)
			free(*(char **)((char *)cfg + cfg_keys[i].offset));
	}
	free(cfg);
}

/* Copy of old with the reloadable keys of new. */
struct zes_config *
zes_config_reload(const struct zes_config *old, const struct zes_config *new)
{
	struct zes_config	*c = xmalloc(sizeof(*c));
	size_t			 i;

	memcpy(c, old, sizeof(*c));
	atomic_init(&c->refs, 1);
	for (i = 0; i < ZES_NELEM(cfg_keys); i++) {
		const struct cfg_key *k = &cfg_keys[i];
		const struct zes_config *from = (k->flags & CFG_RELOADABLE) ? new : old;

		if (k->type == CFG_STRING)
			*(char **)((char *)c + k->offset) =
			    xstrdup(*(char *const *)((const char *)from + k->offset));
		else if (k->type != CFG_LISTEN && (k->flags & CFG_RELOADABLE))
			memcpy((char *)c + k->offset, (const char *)new + k->offset,
			    sizeof(unsigned));
	}
	return c;
}

/* Take a reference to a shared config. */
struct zes_config *
zes_config_ref(struct zes_config *cfg)
{
	atomic_fetch_add(&cfg->refs, 1);
	return cfg;
}

/* Drop a reference; the last one frees. */
void
zes_config_unref(struct zes_config *cfg)
{
	if (cfg != NULL && atomic_fetch_sub(&cfg->refs, 1) == 1)
		zes_config_free(cfg);
}

/* May this key change on reload? */
int
zes_config_reloadable(const char *name)
{
	const struct cfg_key	*k = cfg_find(name);

	return k != NULL && (k->flags & CFG_RELOADABLE);
}

/* Keys that differ and cannot change live, comma-separated, or NULL. */
char *
zes_config_restart_needed(const struct zes_config *a, const struct zes_config *b)
{
	char		 buf[1024];
	size_t		 i, len = 0;
	const char	*pa = (const char *)a, *pb = (const char *)b;
	int		 differ;

	buf[0] = '\0';
	for (i = 0; i < ZES_NELEM(cfg_keys); i++) {
		const struct cfg_key *k = &cfg_keys[i];

		if (k->flags & CFG_RELOADABLE)
			continue;
		switch (k->type) {
		case CFG_STRING:
			differ = strcmp(*(char *const *)(pa + k->offset),
			    *(char *const *)(pb + k->offset)) != 0;
			break;
		case CFG_LISTEN:
			differ = a->nlisten != b->nlisten || memcmp(a->listen,
			    b->listen, sizeof(a->listen[0]) * (size_t)a->nlisten) != 0;
			break;
		default:
			differ = *(const unsigned *)(const void *)(pa + k->offset) !=
			    *(const unsigned *)(const void *)(pb + k->offset);
			break;
		}
		if (differ && len + strlen(k->name) + 2 < sizeof(buf))
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
			    "%s%s", len ? "," : "", k->name);
	}
	return len ? xstrdup(buf) : NULL;
}

/* Print the keys for --help. */
void
zes_config_usage(FILE *f)
{
	size_t	i;

	for (i = 0; i < ZES_NELEM(cfg_keys); i++) {
		const struct cfg_key *k = &cfg_keys[i];
		const char *def = k->def[0] == '\0' ? "empty" :
		    (k->flags & CFG_SENSITIVE) ? "***" : k->def;

		fprintf(f, "  %-22s %s (default: %s%s)\n", k->name, k->help,
		    def, (k->flags & CFG_RELOADABLE) ? "; reloads live" : "");
	}
}

/* Is `origin` exactly one of the comma-separated cors_origins? */
int
zes_config_cors_allowed(const struct zes_config *cfg, const char *origin)
{
	const char	*p = cfg->cors_origins, *e;
	size_t		 n = strlen(origin);

	while (*p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		e = p;
		while (*e != '\0' && *e != ',' && *e != ' ')
			e++;
		if ((size_t)(e - p) == n && n > 0 && memcmp(p, origin, n) == 0)
			return 1;
		p = e;
	}
	return 0;
}
