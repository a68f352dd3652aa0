/*
 * Configuration: one table of keys (daemon/config.c), read from a file of
 * `key = value` lines and from ZES_<KEY> environment variables, which win.
 * A config is immutable once loaded; reload builds a new one.
 */
#ifndef ZES_CONFIG_H
#define ZES_CONFIG_H

#include <stdio.h>
#include "zes/common.h"
#include "zes/log.h"

#define ZES_CONFIG_MAX_LISTEN	8

struct zes_listen_addr {
	char		host[64];	/* numeric IPv4 or IPv6 address */
	unsigned	port;		/* 0: any free port (see port_file) */
};

struct zes_config {
	_Atomic unsigned	 refs;			/* see zes_config_ref() */
	char			*database_url;
	struct zes_listen_addr	 listen[ZES_CONFIG_MAX_LISTEN];
	int			 nlisten;
	unsigned		 threads;		/* workers; 0 in the file means one per core */
	char			*rules_dir;
	char			*tls_cert;
	char			*tls_key;
	char			*tls_client_ca;
	char			*tls_client_verify;	/* "optional" or "required" */
	char			*tls_client_map;	/* fingerprint -> token name file ("" none) */
	char			*signing_key;
	char			*cors_origins;		/* comma-separated exact origins */
	unsigned		 max_body_bytes;
	unsigned		 max_header_bytes;
	unsigned		 read_timeout_ms;	/* idle keep-alive and slow-read bound */
	unsigned		 request_timeout_ms;	/* a handler's own deadline */
	unsigned		 statement_timeout_ms;	/* set on every database session */
	unsigned		 shutdown_timeout_ms;	/* how long SIGTERM waits for requests in flight */
	unsigned		 db_connect_timeout_ms;
	unsigned		 db_queue_max;
	unsigned		 token_refresh_ms;	/* how often the token cache looks for changes */
	unsigned		 index_poll_ms;
	unsigned		 index_max_overlay;
	unsigned		 audit_link_ms;		/* how often audit entries are linked */
	unsigned		 token_last_use_ms;	/* how often tokens' last use is written */
	unsigned		 retention_months;	/* zesctl purge: kept this long after the end */
	int			 read_only;		/* a standby's zesd: no writes at all */
	char			*port_file;		/* where to write the bound port ("" none) */
	unsigned		 max_uri_bytes;		/* longer request URIs: 414 */
	unsigned		 max_header_count;	/* more header fields: 431 */
	unsigned		 request_read_timeout_ms;	/* one request, first byte to last; 0: none */
	unsigned		 max_connections_per_worker;	/* 0: from RLIMIT_NOFILE */
	unsigned		 rate_read_per_s;	/* per token; 0: no limit */
	unsigned		 rate_read_burst;
	unsigned		 rate_write_per_s;
	unsigned		 rate_write_burst;
	unsigned		 rate_enforcement_per_s;	/* enforcement tokens, every request */
	unsigned		 rate_enforcement_burst;
	enum zes_log_level	 log_level;
	enum zes_log_format	 log_format;
};

/*
 * Load the configuration from `path` (NULL: defaults only) and the
 * environment.  Returns NULL and sets *err (caller frees) to one line that
 * names the key, the source (file:line or environment variable) and the
 * problem.
 */
struct zes_config	*zes_config_load(const char *path, char **err) ZES_MUSTCHECK;
void			 zes_config_free(struct zes_config *);
/* Take a reference (a loaded config starts with one); drop it, freeing on the last. */
struct zes_config	*zes_config_ref(struct zes_config *);
void			 zes_config_unref(struct zes_config *);

/* 1 when key `name` may change without a restart (log_level, log_format, cors_origins, limits). */
int			 zes_config_reloadable(const char *name);

/* Print every key, its default and its meaning (for --help), secrets never. */
void			 zes_config_usage(FILE *);

/*
 * The config a reload publishes: a copy of `old` with the reloadable keys
 * taken from `new`; the keys that would need a restart keep their old value.
 */
struct zes_config	*zes_config_reload(const struct zes_config *old,
			    const struct zes_config *new);

/* Names of keys that differ between a and b and need a restart, comma-separated (caller frees), or NULL. */
char			*zes_config_restart_needed(const struct zes_config *a, const struct zes_config *b);

/* Is origin on the CORS allowlist? */
int			 zes_config_cors_allowed(const struct zes_config *, const char *origin);

#endif
