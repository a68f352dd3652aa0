/*
 * Unit tests for daemon/config.c: the defaults of every key, values from a
 * `key = value` file (comments, blank lines, CRLF, '=' inside values), ZES_*
 * environment variables winning over the file, errors that name the key and
 * the source (file line N, environment variable name) for unknown keys, bad
 * numbers, listen addresses, log level and format, tls_cert without tls_key,
 * the error for a value full of non-ASCII bytes (run in a child so that an
 * AddressSanitizer report fails one test, not the whole file), listen parsing
 * (IPv4, [IPv6]:port, several, port 0, bad address, bad port, too many),
 * zes_config_restart_needed naming exactly the changed non-reloadable keys,
 * zes_config_reload keeping old non-reloadable and taking new reloadable
 * values, zes_config_reloadable, the exact-match CORS allowlist, --help usage
 * without secrets, and ref/unref.
 *
 * Every test starts with no ZES_<KEY> variable set and unsets the ones it sets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "zes/config.h"

/* The environment variable of every key of the table in daemon/config.c. */
static const char *const env_names[] = {
	"ZES_DATABASE_URL", "ZES_LISTEN", "ZES_THREADS", "ZES_RULES_DIR",
	"ZES_TLS_CERT", "ZES_TLS_KEY", "ZES_TLS_CLIENT_CA", "ZES_SIGNING_KEY",
	"ZES_CORS_ORIGINS", "ZES_MAX_BODY_BYTES", "ZES_LOG_LEVEL",
	"ZES_LOG_FORMAT", "ZES_MAX_HEADER_BYTES", "ZES_READ_TIMEOUT_MS",
	"ZES_REQUEST_TIMEOUT_MS", "ZES_STATEMENT_TIMEOUT_MS",
	"ZES_SHUTDOWN_TIMEOUT_MS", "ZES_DB_CONNECT_TIMEOUT_MS",
	"ZES_DB_QUEUE_MAX", "ZES_TOKEN_REFRESH_MS", "ZES_PORT_FILE",
};

/* A temporary configuration file. */
struct tmpconf {
	char	path[64];
};

/* Unset every ZES_<KEY> variable. */
static void
env_clear(void)
{
	size_t	i;

	for (i = 0; i < ZES_NELEM(env_names); i++)
		assert_int_equal(unsetenv(env_names[i]), 0);
}

/* Each test starts and ends with a clean environment. */
static int
env_setup(void **state)
{
	(void)state;
	env_clear();
	return 0;
}

static int
env_teardown(void **state)
{
	(void)state;
	env_clear();
	return 0;
}

/* Write text to a new file under /tmp. */
static void
conf_write(struct tmpconf *t, const char *text)
{
	int	fd;
	size_t	len = strlen(text);

	snprintf(t->path, sizeof(t->path), "/tmp/zes-test-config-XXXXXX");
	fd = mkstemp(t->path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* Remove the file. */
static void
conf_remove(struct tmpconf *t)
{
	assert_int_equal(unlink(t->path), 0);
}

/* Load text as a file (NULL: no file); the config, or NULL with *err. */
static struct zes_config *
load_text(const char *text, char **err)
{
	struct tmpconf		 t;
	struct zes_config	*cfg;

	if (text == NULL)
		return zes_config_load(NULL, err);
	conf_write(&t, text);
	cfg = zes_config_load(t.path, err);
	conf_remove(&t);
	return cfg;
}

/* Load text that must be good. */
static struct zes_config *
load_ok(const char *text)
{
	struct zes_config	*cfg;
	char			*err = NULL;

	cfg = load_text(text, &err);
	if (cfg == NULL)
		fail_msg("load failed: %s", err ? err : "(no error)");
	assert_null(err);
	return cfg;
}

/* Load text that must fail; returns the error (caller frees). */
static char *
load_fail(const char *text)
{
	struct zes_config	*cfg;
	char			*err = NULL;

	cfg = load_text(text, &err);
	if (cfg != NULL) {
		zes_config_free(cfg);
		fail_msg("load of \"%s\" succeeded", text ? text : "(defaults)");
	}
	if (err == NULL)
		fail_msg("load failed without an error");
	return err;
}

/* Does err contain every one of the NULL-ended strings? */
static void
assert_mentions(const char *err, ...)
{
	va_list		 ap;
	const char	*s;

	va_start(ap, err);
	while ((s = va_arg(ap, const char *)) != NULL) {
		if (strstr(err, s) == NULL) {
			va_end(ap);
			fail_msg("error \"%s\" does not mention \"%s\"", err, s);
		}
	}
	va_end(ap);
}

/* Without a file or variables, every key has its documented default. */
static void
test_defaults(void **state)
{
	struct zes_config	*cfg;

	(void)state;
	cfg = load_ok(NULL);
	assert_int_equal(cfg->refs, 1);
	assert_string_equal(cfg->database_url, "dbname=zesd");
	assert_int_equal(cfg->nlisten, 1);
	assert_string_equal(cfg->listen[0].host, "127.0.0.1");
	assert_int_equal(cfg->listen[0].port, 8080);
	assert_int_equal(cfg->threads, 0);
	assert_string_equal(cfg->rules_dir, "/etc/zesd/rules");
	assert_string_equal(cfg->tls_cert, "");
	assert_string_equal(cfg->tls_key, "");
	assert_string_equal(cfg->tls_client_ca, "");
	assert_string_equal(cfg->signing_key, "");
	assert_string_equal(cfg->cors_origins, "");
	assert_int_equal(cfg->max_body_bytes, 65536);
	assert_int_equal(cfg->max_header_bytes, 8192);
	assert_int_equal(cfg->read_timeout_ms, 30000);
	assert_int_equal(cfg->request_timeout_ms, 10000);
	assert_int_equal(cfg->statement_timeout_ms, 5000);
	assert_int_equal(cfg->shutdown_timeout_ms, 30000);
	assert_int_equal(cfg->db_connect_timeout_ms, 5000);
	assert_int_equal(cfg->db_queue_max, 256);
	assert_int_equal(cfg->token_refresh_ms, 250);
	assert_string_equal(cfg->port_file, "");
	assert_int_equal(cfg->log_level, ZES_LOG_INFO);
	assert_int_equal(cfg->log_format, ZES_LOG_JSON);
	zes_config_free(cfg);

	/* An empty file and a file of comments change nothing. */
	cfg = load_ok("");
	assert_int_equal(cfg->max_body_bytes, 65536);
	zes_config_free(cfg);
	cfg = load_ok("# only a comment\n; another\n\n   \n");
	assert_string_equal(cfg->listen[0].host, "127.0.0.1");
	zes_config_free(cfg);
}

/* Every key read from a file, with the syntax's freedoms. */
static void
test_file_values(void **state)
{
	struct zes_config	*cfg;

	(void)state;
	cfg = load_ok(
	    "# zesd.conf\n"
	    "; semicolon comment\n"
	    "\n"
	    "database_url = host=/run/pg dbname=zes user=z\n"
	    "listen=10.0.0.1:80\n"
	    "  threads   =   4  \n"
	    "rules_dir = /srv/rules\r\n"
	    "tls_cert = /etc/zesd/cert.pem\n"
	    "tls_key = /etc/zesd/key.pem\n"
	    "tls_client_ca = /etc/zesd/ca.pem\n"
	    "signing_key = /etc/zesd/sign.pem\n"
	    "cors_origins = https://a.example, https://b.example\n"
	    "max_body_bytes = 1024\n"
	    "log_level = warn\n"
	    "log_format = text\n"
	    "max_header_bytes = 1048576\n"
	    "read_timeout_ms = 100\n"
	    "request_timeout_ms = 600000\n"
	    "statement_timeout_ms = 10\n"
	    "shutdown_timeout_ms = 0\n"
	    "db_connect_timeout_ms = 250\n"
	    "db_queue_max = 100000\n"
	    "token_refresh_ms = 60000\n"
	    "port_file = /tmp/port\n"
	    "\t# indented comment\n");
	assert_string_equal(cfg->database_url, "host=/run/pg dbname=zes user=z");
	assert_int_equal(cfg->nlisten, 1);
	assert_string_equal(cfg->listen[0].host, "10.0.0.1");
	assert_int_equal(cfg->listen[0].port, 80);
	assert_int_equal(cfg->threads, 4);
	assert_string_equal(cfg->rules_dir, "/srv/rules");
	assert_string_equal(cfg->tls_cert, "/etc/zesd/cert.pem");
	assert_string_equal(cfg->tls_key, "/etc/zesd/key.pem");
	assert_string_equal(cfg->tls_client_ca, "/etc/zesd/ca.pem");
	assert_string_equal(cfg->signing_key, "/etc/zesd/sign.pem");
	assert_string_equal(cfg->cors_origins, "https://a.example, https://b.example");
	assert_int_equal(cfg->max_body_bytes, 1024);
	assert_int_equal(cfg->log_level, ZES_LOG_WARN);
	assert_int_equal(cfg->log_format, ZES_LOG_TEXT);
	assert_int_equal(cfg->max_header_bytes, 1048576);
	assert_int_equal(cfg->read_timeout_ms, 100);
	assert_int_equal(cfg->request_timeout_ms, 600000);
	assert_int_equal(cfg->statement_timeout_ms, 10);
	assert_int_equal(cfg->shutdown_timeout_ms, 0);
	assert_int_equal(cfg->db_connect_timeout_ms, 250);
	assert_int_equal(cfg->db_queue_max, 100000);
	assert_int_equal(cfg->token_refresh_ms, 60000);
	assert_string_equal(cfg->port_file, "/tmp/port");
	zes_config_free(cfg);

	/* A key given twice: the last line wins, and nothing leaks. */
	cfg = load_ok("rules_dir = /a\nrules_dir = /b\nthreads = 1\nthreads = 2\n");
	assert_string_equal(cfg->rules_dir, "/b");
	assert_int_equal(cfg->threads, 2);
	zes_config_free(cfg);

	/* An empty string value is allowed for strings. */
	cfg = load_ok("rules_dir =\n");
	assert_string_equal(cfg->rules_dir, "");
	zes_config_free(cfg);
}

/* ZES_<KEY> wins over the file, key by key; the file still fills the rest. */
static void
test_env_wins(void **state)
{
	struct zes_config	*cfg;
	static const char	 file[] =
	    "threads = 4\n"
	    "database_url = dbname=fromfile\n"
	    "log_level = error\n"
	    "listen = 10.0.0.1:80\n"
	    "rules_dir = /file/rules\n"
	    "cors_origins = https://file.example\n";

	(void)state;
	assert_int_equal(setenv("ZES_THREADS", "8", 1), 0);
	assert_int_equal(setenv("ZES_DATABASE_URL", "dbname=fromenv", 1), 0);
	assert_int_equal(setenv("ZES_LOG_LEVEL", "debug", 1), 0);
	assert_int_equal(setenv("ZES_LISTEN", "[::1]:9000", 1), 0);
	assert_int_equal(setenv("ZES_LOG_FORMAT", "text", 1), 0);
	assert_int_equal(setenv("ZES_CORS_ORIGINS", "", 1), 0);
	cfg = load_ok(file);
	assert_int_equal(cfg->threads, 8);
	assert_string_equal(cfg->database_url, "dbname=fromenv");
	assert_int_equal(cfg->log_level, ZES_LOG_DEBUG);
	assert_int_equal(cfg->log_format, ZES_LOG_TEXT);
	assert_int_equal(cfg->nlisten, 1);
	assert_string_equal(cfg->listen[0].host, "::1");
	assert_int_equal(cfg->listen[0].port, 9000);
	assert_string_equal(cfg->rules_dir, "/file/rules");	/* not in the environment */
	assert_string_equal(cfg->cors_origins, "");		/* set, even if empty */
	zes_config_free(cfg);

	/* The environment alone, without a file. */
	env_clear();
	assert_int_equal(setenv("ZES_MAX_BODY_BYTES", "2048", 1), 0);
	assert_int_equal(setenv("ZES_PORT_FILE", "/run/zesd.port", 1), 0);
	cfg = load_ok(NULL);
	assert_int_equal(cfg->max_body_bytes, 2048);
	assert_string_equal(cfg->port_file, "/run/zesd.port");
	assert_int_equal(cfg->threads, 0);
	zes_config_free(cfg);

	/* Names are upper case; other spellings are not read. */
	env_clear();
	assert_int_equal(setenv("ZES_threads", "9", 1), 0);
	assert_int_equal(setenv("zes_threads", "9", 1), 0);
	assert_int_equal(setenv("ZESTHREADS", "9", 1), 0);
	cfg = load_ok(NULL);
	assert_int_equal(cfg->threads, 0);
	zes_config_free(cfg);
	assert_int_equal(unsetenv("ZES_threads"), 0);
	assert_int_equal(unsetenv("zes_threads"), 0);
	assert_int_equal(unsetenv("ZESTHREADS"), 0);
}

/* File syntax errors name the key (or the problem), the file and the line. */
static void
test_file_errors(void **state)
{
	static const struct {
		const char	*text;
		const char	*what;		/* must be in the error */
		const char	*line;		/* "line N" */
	} cases[] = {
		{ "threads = 2\n\n# comment\nbogus_key = 1\n", "bogus_key", "line 4" },
		{ "bogus = 1\n", "unknown key", "line 1" },
		{ "Threads = 2\n", "Threads", "line 1" },
		{ "threads = 2\nthreads\n", "expected key = value", "line 2" },
		{ "\n\n\nlisten 127.0.0.1:80\n", "expected key = value", "line 4" },
		{ "= 5\n", "unknown key", "line 1" },
		{ "# a\nthreads = 2\nmax_body_bytes = 12k\n", "max_body_bytes", "line 3" },
		{ "log_level = loud\n", "log_level", "line 1" },
		{ "log_format = xml\n", "log_format", "line 1" },
		{ "\n\nlisten = localhost:80\n", "listen", "line 3" },
	};
	size_t		 i;
	char		*err;
	struct tmpconf	 t;
	struct zes_config *cfg;

	(void)state;
	for (i = 0; i < ZES_NELEM(cases); i++) {
		conf_write(&t, cases[i].text);
		err = NULL;
		cfg = zes_config_load(t.path, &err);
		conf_remove(&t);
		if (cfg != NULL) {
			zes_config_free(cfg);
			fail_msg("case %zu accepted", i);
		}
		assert_non_null(err);
		if (strstr(err, cases[i].what) == NULL ||
		    strstr(err, cases[i].line) == NULL ||
		    strstr(err, t.path) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\", \"%s\" or the path %s",
			    i, err, cases[i].what, cases[i].line, t.path);
		free(err);
	}

	/* A file that cannot be opened is named. */
	err = NULL;
	cfg = zes_config_load("/nonexistent/zesd.conf", &err);
	assert_null(cfg);
	assert_non_null(err);
	assert_mentions(err, "/nonexistent/zesd.conf", "cannot open", NULL);
	free(err);
}

/* A bad number names the key and the source: the line, or the variable. */
static void
test_bad_numbers(void **state)
{
	static const struct {
		const char	*key;
		const char	*env;
		const char	*value;
	} cases[] = {
		{ "threads", "ZES_THREADS", "many" },
		{ "threads", "ZES_THREADS", "257" },
		{ "threads", "ZES_THREADS", "-1" },
		{ "threads", "ZES_THREADS", "" },
		{ "threads", "ZES_THREADS", "4.5" },
		{ "max_body_bytes", "ZES_MAX_BODY_BYTES", "1023" },
		{ "max_body_bytes", "ZES_MAX_BODY_BYTES", "16777217" },
		{ "max_body_bytes", "ZES_MAX_BODY_BYTES", "64k" },
		{ "max_header_bytes", "ZES_MAX_HEADER_BYTES", "1048577" },
		{ "read_timeout_ms", "ZES_READ_TIMEOUT_MS", "99" },
		{ "request_timeout_ms", "ZES_REQUEST_TIMEOUT_MS", "0x100" },
		{ "statement_timeout_ms", "ZES_STATEMENT_TIMEOUT_MS", "9" },
		{ "shutdown_timeout_ms", "ZES_SHUTDOWN_TIMEOUT_MS", "600001" },
		{ "db_connect_timeout_ms", "ZES_DB_CONNECT_TIMEOUT_MS", "99999999999999999999" },
		{ "db_queue_max", "ZES_DB_QUEUE_MAX", "0" },
		{ "token_refresh_ms", "ZES_TOKEN_REFRESH_MS", "49" },
		{ "token_refresh_ms", "ZES_TOKEN_REFRESH_MS", "+100" },
	};
	size_t	 i;
	char	*err, text[128], line[16];

	(void)state;
	for (i = 0; i < ZES_NELEM(cases); i++) {
		/* From the environment. */
		assert_int_equal(setenv(cases[i].env, cases[i].value, 1), 0);
		err = load_fail(NULL);
		if (strstr(err, cases[i].key) == NULL ||
		    strstr(err, cases[i].env) == NULL ||
		    strstr(err, "environment variable") == NULL)
			fail_msg("env case %zu: \"%s\" does not name %s and %s", i,
			    err, cases[i].key, cases[i].env);
		free(err);
		assert_int_equal(unsetenv(cases[i].env), 0);

		/* From the file, on line 2. */
		snprintf(text, sizeof(text), "# x\n%s = %s\n", cases[i].key,
		    cases[i].value);
		snprintf(line, sizeof(line), "line 2");
		err = load_fail(text);
		if (strstr(err, cases[i].key) == NULL || strstr(err, line) == NULL)
			fail_msg("file case %zu: \"%s\" does not name %s and %s", i,
			    err, cases[i].key, line);
		free(err);
	}

	/* The environment is checked even when the file is good. */
	assert_int_equal(setenv("ZES_DB_QUEUE_MAX", "lots", 1), 0);
	err = load_fail("db_queue_max = 5\n");
	assert_mentions(err, "db_queue_max", "ZES_DB_QUEUE_MAX", "\"lots\"", NULL);
	free(err);
	assert_int_equal(unsetenv("ZES_DB_QUEUE_MAX"), 0);
}

/*
 * A value of 40 or more non-ASCII bytes is quoted into the error line as
 * \xNN escapes.  The error must come back whole, without writing past the
 * quoting buffer; run in a child so that a sanitizer report fails this test
 * only.
 */
static void
test_error_long_escaped_value(void **state)
{
	static const char *const envs[] = { "ZES_THREADS", NULL };
	char	 value[128], text[256];
	size_t	 i;
	pid_t	 pid;
	int	 status, which, failed = 0;

	(void)state;
	for (i = 0; i + 2 < sizeof(value) && i < 100; i += 2) {
		value[i] = '\xc3';		/* "é" in UTF-8 */
		value[i + 1] = '\xa9';
	}
	value[i] = '\0';
	snprintf(text, sizeof(text), "threads = %s\n", value);

	for (which = 0; which < 3; which++) {
		fflush(NULL);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct zes_config *cfg;
			char *err = NULL;
			int ok;

			if (which == 0) {
				setenv(envs[0], value, 1);
				cfg = load_text(NULL, &err);
			} else if (which == 1)
				cfg = load_text(text, &err);
			else {
				char key[256];

				snprintf(key, sizeof(key), "%s = 1\n", value);
				cfg = load_text(key, &err);
			}
			ok = cfg == NULL && err != NULL &&
			    strstr(err, "\\xc3\\xa9") != NULL &&
			    strstr(err, "...") != NULL &&
			    (which == 2 || strstr(err, "threads") != NULL);
			_exit(ok ? 0 : 3);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			print_error("source %d (0 env, 1 file value, 2 file key): "
			    "the child %s %d (a sanitizer report above says where)\n",
			    which, WIFEXITED(status) ? "exited with" : "died of signal",
			    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* listen: numeric addresses, [IPv6]:port, several, port 0. */
static void
test_listen_good(void **state)
{
	static const struct {
		const char	*value;
		int		 n;
		const char	*host[3];
		unsigned	 port[3];
	} cases[] = {
		{ "127.0.0.1:8080", 1, { "127.0.0.1" }, { 8080 } },
		{ "0.0.0.0:80", 1, { "0.0.0.0" }, { 80 } },
		{ "127.0.0.1:0", 1, { "127.0.0.1" }, { 0 } },
		{ "10.1.2.3:65535", 1, { "10.1.2.3" }, { 65535 } },
		{ "[::1]:8443", 1, { "::1" }, { 8443 } },
		{ "[::]:0", 1, { "::" }, { 0 } },
		{ "[2001:db8::17]:443", 1, { "2001:db8::17" }, { 443 } },
		{ "127.0.0.1:80,[::1]:81", 2, { "127.0.0.1", "::1" }, { 80, 81 } },
		{ " 127.0.0.1:80 , [::1]:81 ,10.0.0.1:82 ", 3,
		  { "127.0.0.1", "::1", "10.0.0.1" }, { 80, 81, 82 } },
	};
	size_t			 i;
	int			 j;
	struct zes_config	*cfg;

	(void)state;
	for (i = 0; i < ZES_NELEM(cases); i++) {
		assert_int_equal(setenv("ZES_LISTEN", cases[i].value, 1), 0);
		cfg = load_ok(NULL);
		if (cfg->nlisten != cases[i].n)
			fail_msg("\"%s\": %d addresses, want %d", cases[i].value,
			    cfg->nlisten, cases[i].n);
		for (j = 0; j < cases[i].n; j++) {
			if (strcmp(cfg->listen[j].host, cases[i].host[j]) != 0 ||
			    cfg->listen[j].port != cases[i].port[j])
				fail_msg("\"%s\" [%d]: %s port %u, want %s port %u",
				    cases[i].value, j, cfg->listen[j].host,
				    cfg->listen[j].port, cases[i].host[j],
				    cases[i].port[j]);
		}
		zes_config_free(cfg);
	}

	/* Eight addresses are allowed; the file form works too. */
	assert_int_equal(unsetenv("ZES_LISTEN"), 0);
	cfg = load_ok("listen = 127.0.0.1:1,127.0.0.1:2,127.0.0.1:3,127.0.0.1:4,"
	    "127.0.0.1:5,127.0.0.1:6,127.0.0.1:7,[::1]:8\n");
	assert_int_equal(cfg->nlisten, ZES_CONFIG_MAX_LISTEN);
	assert_string_equal(cfg->listen[7].host, "::1");
	assert_int_equal(cfg->listen[7].port, 8);
	zes_config_free(cfg);
}

/* listen: every kind of bad value is refused, naming listen and the source. */
static void
test_listen_bad(void **state)
{
	static const struct {
		const char	*value;
		const char	*why;
	} cases[] = {
		{ "localhost:80", "numeric" },
		{ "example.org:80", "numeric" },
		{ "256.1.1.1:80", "numeric" },
		{ "127.0.0.1", "address:port" },
		{ "8080", "address:port" },
		{ ":8080", "numeric" },
		{ "127.0.0.1:", "port must be" },
		{ "127.0.0.1:65536", "port must be" },
		{ "127.0.0.1:-1", "port must be" },
		{ "127.0.0.1:http", "port must be" },
		{ "127.0.0.1:80x", "port must be" },
		{ "[::1]", "numeric" },
		{ "[::1]:", "port must be" },
		{ "[::1:80", "numeric" },
		{ "[fe80::zz]:80", "numeric" },
		{ "127.0.0.1:80,bogus:81", "numeric" },
		{ "127.0.0.1:80,127.0.0.1:99999", "port must be" },
		{ "", "at least one" },
		{ ",", "at least one" },
		{ " , ", "address:port" },
		{ "127.0.0.1:1,127.0.0.1:2,127.0.0.1:3,127.0.0.1:4,127.0.0.1:5,"
		  "127.0.0.1:6,127.0.0.1:7,127.0.0.1:8,127.0.0.1:9", "too many" },
	};
	size_t	 i;
	char	*err, text[256];

	(void)state;
	for (i = 0; i < ZES_NELEM(cases); i++) {
		assert_int_equal(setenv("ZES_LISTEN", cases[i].value, 1), 0);
		err = load_fail(NULL);
		if (strstr(err, "listen") == NULL || strstr(err, "ZES_LISTEN") == NULL ||
		    strstr(err, cases[i].why) == NULL)
			fail_msg("\"%s\": \"%s\" lacks listen, ZES_LISTEN or \"%s\"",
			    cases[i].value, err, cases[i].why);
		free(err);
		assert_int_equal(unsetenv("ZES_LISTEN"), 0);

		snprintf(text, sizeof(text), "listen = %s\n", cases[i].value);
		err = load_fail(text);
		if (strstr(err, "listen") == NULL || strstr(err, "line 1") == NULL)
			fail_msg("file \"%s\": \"%s\" lacks listen or line 1",
			    cases[i].value, err);
		free(err);
	}
}

/* log_level and log_format: the exact lower-case names only. */
static void
test_log_settings(void **state)
{
	static const struct {
		const char		*value;
		int			 ok;
		enum zes_log_level	 want;
	} levels[] = {
		{ "debug", 1, ZES_LOG_DEBUG }, { "info", 1, ZES_LOG_INFO },
		{ "warn", 1, ZES_LOG_WARN }, { "error", 1, ZES_LOG_ERROR },
		{ "DEBUG", 0, 0 }, { "Info", 0, 0 }, { "warning", 0, 0 },
		{ "err", 0, 0 }, { "", 0, 0 }, { "verbose", 0, 0 }, { "1", 0, 0 },
	};
	static const struct {
		const char		*value;
		int			 ok;
		enum zes_log_format	 want;
	} formats[] = {
		{ "json", 1, ZES_LOG_JSON }, { "text", 1, ZES_LOG_TEXT },
		{ "JSON", 0, 0 }, { "xml", 0, 0 }, { "", 0, 0 }, { "logfmt", 0, 0 },
	};
	size_t			 i;
	struct zes_config	*cfg;
	char			*err;

	(void)state;
	for (i = 0; i < ZES_NELEM(levels); i++) {
		assert_int_equal(setenv("ZES_LOG_LEVEL", levels[i].value, 1), 0);
		if (levels[i].ok) {
			cfg = load_ok(NULL);
			assert_int_equal(cfg->log_level, levels[i].want);
			zes_config_free(cfg);
		} else {
			err = load_fail(NULL);
			assert_mentions(err, "log_level", "ZES_LOG_LEVEL",
			    "debug, info, warn or error", NULL);
			free(err);
		}
	}
	assert_int_equal(unsetenv("ZES_LOG_LEVEL"), 0);
	for (i = 0; i < ZES_NELEM(formats); i++) {
		assert_int_equal(setenv("ZES_LOG_FORMAT", formats[i].value, 1), 0);
		if (formats[i].ok) {
			cfg = load_ok(NULL);
			assert_int_equal(cfg->log_format, formats[i].want);
			zes_config_free(cfg);
		} else {
			err = load_fail(NULL);
			assert_mentions(err, "log_format", "ZES_LOG_FORMAT",
			    "json or text", NULL);
			free(err);
		}
	}
}

/* read_only: the usual spellings of true and false, nothing else. */
static void
test_bool(void **state)
{
	static const struct {
		const char	*value;
		int		 ok, want;
	} cases[] = {
		{ "true", 1, 1 }, { "on", 1, 1 }, { "yes", 1, 1 }, { "1", 1, 1 },
		{ "false", 1, 0 }, { "off", 1, 0 }, { "no", 1, 0 }, { "0", 1, 0 },
		{ "TRUE", 0, 0 }, { "2", 0, 0 }, { "", 0, 0 }, { "y", 0, 0 },
	};
	size_t			 i;
	struct zes_config	*cfg;
	char			*err;

	(void)state;
	cfg = load_ok(NULL);
	assert_int_equal(cfg->read_only, 0);
	zes_config_free(cfg);
	for (i = 0; i < ZES_NELEM(cases); i++) {
		assert_int_equal(setenv("ZES_READ_ONLY", cases[i].value, 1), 0);
		if (cases[i].ok) {
			cfg = load_ok(NULL);
			if (cfg->read_only != cases[i].want)
				fail_msg("\"%s\" read as %d", cases[i].value, cfg->read_only);
			zes_config_free(cfg);
		} else {
			err = load_fail(NULL);
			assert_mentions(err, "read_only", "ZES_READ_ONLY",
			    "must be true or false", NULL);
			free(err);
		}
	}
	assert_int_equal(unsetenv("ZES_READ_ONLY"), 0);
}

/* tls_cert and tls_key come together or not at all. */
static void
test_tls_pair(void **state)
{
	struct zes_config	*cfg;
	char			*err;

	(void)state;
	err = load_fail("tls_cert = /etc/zesd/cert.pem\n");
	assert_mentions(err, "tls_cert", "tls_key", NULL);
	free(err);

	err = load_fail("tls_key = /etc/zesd/key.pem\n");
	assert_mentions(err, "tls_cert", "tls_key", NULL);
	free(err);

	/* The file has both, the environment empties one. */
	assert_int_equal(setenv("ZES_TLS_KEY", "", 1), 0);
	err = load_fail("tls_cert = /c.pem\ntls_key = /k.pem\n");
	assert_mentions(err, "tls_cert", "tls_key", NULL);
	free(err);
	assert_int_equal(unsetenv("ZES_TLS_KEY"), 0);

	/* One from the file, the other from the environment. */
	assert_int_equal(setenv("ZES_TLS_KEY", "/k.pem", 1), 0);
	cfg = load_ok("tls_cert = /c.pem\n");
	assert_string_equal(cfg->tls_cert, "/c.pem");
	assert_string_equal(cfg->tls_key, "/k.pem");
	zes_config_free(cfg);
	assert_int_equal(unsetenv("ZES_TLS_KEY"), 0);

	cfg = load_ok("tls_cert = /c.pem\ntls_key = /k.pem\n");
	assert_string_equal(cfg->tls_client_verify, "optional");
	zes_config_free(cfg);

	/* Client certificates come with TLS, a map with the CA that signs them. */
	err = load_fail("tls_client_ca = /ca.pem\n");
	assert_mentions(err, "tls_client_ca", "tls_cert", NULL);
	free(err);
	err = load_fail("tls_cert = /c.pem\ntls_key = /k.pem\ntls_client_map = /m\n");
	assert_mentions(err, "tls_client_map", "tls_client_ca", NULL);
	free(err);
	err = load_fail("tls_cert = /c.pem\ntls_key = /k.pem\ntls_client_ca = /ca.pem\n"
	    "tls_client_verify = sometimes\n");
	assert_mentions(err, "tls_client_verify", "sometimes", "optional or required", NULL);
	free(err);
	cfg = load_ok("tls_cert = /c.pem\ntls_key = /k.pem\ntls_client_ca = /ca.pem\n"
	    "tls_client_verify = required\ntls_client_map = /m\n");
	assert_string_equal(cfg->tls_client_verify, "required");
	assert_string_equal(cfg->tls_client_map, "/m");
	zes_config_free(cfg);
}

/* The secret keys never show their values in --help; every key is listed. */
static void
test_usage(void **state)
{
	static const char *const keys[] = {
		"database_url", "listen", "threads", "rules_dir", "tls_cert",
		"tls_key", "tls_client_ca", "signing_key", "cors_origins",
		"max_body_bytes", "log_level", "log_format", "max_header_bytes",
		"read_timeout_ms", "request_timeout_ms", "statement_timeout_ms",
		"shutdown_timeout_ms", "db_connect_timeout_ms", "db_queue_max",
		"token_refresh_ms", "index_poll_ms", "index_max_overlay", "audit_link_ms",
		"port_file", "tls_client_verify", "tls_client_map", "max_uri_bytes",
		"max_header_count", "request_read_timeout_ms",
		"max_connections_per_worker", "rate_read_per_s", "rate_read_burst",
		"rate_write_per_s", "rate_write_burst", "rate_enforcement_per_s",
		"rate_enforcement_burst", "read_only", "token_last_use_ms",
		"retention_months",
	};
	char	*text = NULL;
	size_t	 len = 0, i, lines = 0;
	FILE	*f;

	(void)state;
	f = open_memstream(&text, &len);
	assert_non_null(f);
	zes_config_usage(f);
	assert_int_equal(fclose(f), 0);
	for (i = 0; i < ZES_NELEM(keys); i++) {
		char want[64];

		snprintf(want, sizeof(want), "  %s ", keys[i]);
		if (strstr(text, want) == NULL)
			fail_msg("usage lacks %s", keys[i]);
	}
	for (i = 0; i < len; i++)
		lines += text[i] == '\n';
	assert_int_equal(lines, ZES_NELEM(keys));
	assert_null(strstr(text, "dbname=zesd"));	/* database_url is secret */
	assert_non_null(strstr(text, "127.0.0.1:8080"));
	assert_non_null(strstr(text, "reloads live"));
	free(text);
}

/* Which keys reload live. */
static void
test_reloadable(void **state)
{
	static const struct {
		const char	*name;
		int		 want;
	} cases[] = {
		{ "log_level", 1 }, { "log_format", 1 }, { "cors_origins", 1 },
		{ "listen", 0 }, { "threads", 0 }, { "database_url", 0 },
		{ "tls_cert", 0 }, { "max_body_bytes", 0 }, { "port_file", 0 },
		{ "tls_client_map", 0 }, { "max_connections_per_worker", 0 },
		{ "rate_read_per_s", 1 }, { "rate_enforcement_burst", 1 },
		{ "max_uri_bytes", 1 }, { "request_read_timeout_ms", 1 },
		{ "no_such_key", 0 }, { "", 0 }, { "LOG_LEVEL", 0 },
	};
	size_t	i;

	(void)state;
	for (i = 0; i < ZES_NELEM(cases); i++) {
		if (!!zes_config_reloadable(cases[i].name) != cases[i].want)
			fail_msg("%s: reloadable %d, want %d", cases[i].name,
			    zes_config_reloadable(cases[i].name), cases[i].want);
	}
}

/* restart_needed names exactly the changed keys that cannot reload, in table order. */
static void
test_restart_needed(void **state)
{
	static const struct {
		const char	*text;
		const char	*want;		/* NULL: nothing needs a restart */
	} cases[] = {
		{ "", NULL },
		{ "log_level = debug\nlog_format = text\ncors_origins = https://x.example\n", NULL },
		{ "threads = 4\n", "threads" },
		{ "listen = 127.0.0.1:8081\n", "listen" },
		{ "listen = 127.0.0.2:8080\n", "listen" },
		{ "listen = 127.0.0.1:8080,[::1]:8080\n", "listen" },
		{ "listen = 127.0.0.1:8080\n", NULL },
		{ "port_file = /tmp/p\nlog_level = debug\nthreads = 2\nlisten = [::1]:1\n",
		  "listen,threads,port_file" },
		{ "database_url = dbname=other\nsigning_key = /k\n", "database_url,signing_key" },
		{ "tls_cert = /c\ntls_key = /k\n", "tls_cert,tls_key" },
		{ "max_body_bytes = 2048\nmax_header_bytes = 2048\n",
		  "max_body_bytes,max_header_bytes" },
		{ "read_timeout_ms = 101\nrequest_timeout_ms = 101\n"
		  "statement_timeout_ms = 11\nshutdown_timeout_ms = 1\n"
		  "db_connect_timeout_ms = 101\ndb_queue_max = 1\ntoken_refresh_ms = 51\n",
		  "read_timeout_ms,request_timeout_ms,statement_timeout_ms,"
		  "shutdown_timeout_ms,db_connect_timeout_ms,db_queue_max,token_refresh_ms" },
		{ "rules_dir = /r\ntls_cert = /c\ntls_key = /k\ntls_client_ca = /ca\n",
		  "rules_dir,tls_cert,tls_key,tls_client_ca" },
		{ "tls_cert = /c\ntls_key = /k\ntls_client_ca = /ca\n"
		  "tls_client_verify = required\ntls_client_map = /m\n",
		  "tls_cert,tls_key,tls_client_ca,tls_client_verify,tls_client_map" },
		{ "rate_read_per_s = 1\nrate_write_burst = 2\nmax_uri_bytes = 300\n"
		  "max_header_count = 9\nrequest_read_timeout_ms = 0\n", NULL },
		{ "max_connections_per_worker = 10\n", "max_connections_per_worker" },
	};
	struct zes_config	*a, *b;
	char			*got;
	size_t			 i;

	(void)state;
	a = load_ok(NULL);
	for (i = 0; i < ZES_NELEM(cases); i++) {
		b = load_ok(cases[i].text);
		got = zes_config_restart_needed(a, b);
		if (cases[i].want == NULL ? got != NULL :
		    got == NULL || strcmp(got, cases[i].want) != 0)
			fail_msg("case %zu: \"%s\", want \"%s\"", i,
			    got ? got : "(null)", cases[i].want ? cases[i].want : "(null)");
		free(got);
		/* The relation is symmetric. */
		got = zes_config_restart_needed(b, a);
		if ((got == NULL) != (cases[i].want == NULL))
			fail_msg("case %zu reversed: \"%s\"", i, got ? got : "(null)");
		free(got);
		zes_config_free(b);
	}
	zes_config_free(a);
}

/*
 * The listen addresses are compared as addresses: the same effective value
 * reached through a different history of settings needs no restart.
 */
static void
test_restart_needed_listen_history(void **state)
{
	struct zes_config	*a, *b;
	char			*got;

	(void)state;
	a = load_ok("listen = 192.168.100.100:1\nlisten = [::1]:8080\n");
	b = load_ok("listen = [::1]:8080\n");
	assert_int_equal(a->nlisten, 1);
	assert_string_equal(a->listen[0].host, b->listen[0].host);
	assert_int_equal(a->listen[0].port, b->listen[0].port);
	got = zes_config_restart_needed(a, b);
	if (got != NULL) {
		char msg[256];

		snprintf(msg, sizeof(msg), "same listen [::1]:8080 reported as "
		    "needing a restart: \"%s\"", got);
		free(got);
		zes_config_free(a);
		zes_config_free(b);
		fail_msg("%s", msg);
	}
	zes_config_free(a);
	zes_config_free(b);
}

/* reload: old non-reloadable values stay, new reloadable values are taken. */
static void
test_reload(void **state)
{
	struct zes_config	*old, *new, *c;
	char			*need;

	(void)state;
	old = load_ok("threads = 2\ndatabase_url = dbname=old\nlisten = 127.0.0.1:1\n"
	    "cors_origins = https://old.example\nlog_level = info\nlog_format = json\n"
	    "max_body_bytes = 4096\nport_file = /old\n");
	new = load_ok("threads = 8\ndatabase_url = dbname=new\nlisten = [::1]:2,127.0.0.1:3\n"
	    "cors_origins = https://new.example\nlog_level = error\nlog_format = text\n"
	    "max_body_bytes = 8192\nport_file = /new\nrules_dir = /new/rules\n");
	zes_config_ref(old);			/* held by a request */

	c = zes_config_reload(old, new);
	assert_non_null(c);
	assert_ptr_not_equal(c, old);
	assert_ptr_not_equal(c, new);
	assert_int_equal(c->refs, 1);
	/* Reloadable: from new. */
	assert_string_equal(c->cors_origins, "https://new.example");
	assert_int_equal(c->log_level, ZES_LOG_ERROR);
	assert_int_equal(c->log_format, ZES_LOG_TEXT);
	/* Not reloadable: from old. */
	assert_int_equal(c->threads, 2);
	assert_string_equal(c->database_url, "dbname=old");
	assert_int_equal(c->nlisten, 1);
	assert_string_equal(c->listen[0].host, "127.0.0.1");
	assert_int_equal(c->listen[0].port, 1);
	assert_int_equal(c->max_body_bytes, 4096);
	assert_string_equal(c->port_file, "/old");
	assert_string_equal(c->rules_dir, "/etc/zesd/rules");

	/* Old and new untouched. */
	assert_int_equal(old->refs, 2);
	assert_int_equal(old->log_level, ZES_LOG_INFO);
	assert_string_equal(old->cors_origins, "https://old.example");
	assert_string_equal(new->database_url, "dbname=new");

	/* The published config needs no restart compared with the old one. */
	need = zes_config_restart_needed(old, c);
	if (need != NULL) {
		char msg[128];

		snprintf(msg, sizeof(msg), "%s", need);
		free(need);
		fail_msg("reloaded config differs from old in %s", msg);
	}

	/* c owns its strings: it outlives both. */
	zes_config_unref(old);
	zes_config_unref(old);
	zes_config_free(new);
	assert_string_equal(c->database_url, "dbname=old");
	assert_string_equal(c->cors_origins, "https://new.example");
	assert_string_equal(c->tls_cert, "");
	assert_true(zes_config_cors_allowed(c, "https://new.example"));
	assert_false(zes_config_cors_allowed(c, "https://old.example"));
	zes_config_unref(c);
}

/* CORS: exact origins only, separated by commas and/or spaces. */
static void
test_cors_allowed(void **state)
{
	static const struct {
		const char	*list;
		const char	*origin;
		int		 want;
	} cases[] = {
		{ "https://a.example", "https://a.example", 1 },
		{ "https://a.example", "https://a.example.evil", 0 },
		{ "https://a.example", "https://a.exampl", 0 },
		{ "https://a.example", "https://a.example/", 0 },
		{ "https://a.example", "http://a.example", 0 },
		{ "https://a.example", "https://A.example", 0 },
		{ "https://a.example", "https://a.example:443", 0 },
		{ "https://a.example", "", 0 },
		{ "https://a.example", "https", 0 },
		{ "https://a.example", "a.example", 0 },
		{ "https://a.example, https://b.example:8443,https://c.example",
		  "https://b.example:8443", 1 },
		{ "https://a.example, https://b.example:8443,https://c.example",
		  "https://b.example", 0 },
		{ "https://a.example, https://b.example:8443,https://c.example",
		  "https://c.example", 1 },
		{ "https://a.example, https://b.example:8443,https://c.example",
		  "https://a.example", 1 },
		{ "https://a.example,https://c.example",
		  "https://a.example,https://c.example", 0 },
		{ " ,, https://a.example ,", "https://a.example", 1 },
		{ "https://a.example https://b.example", "https://b.example", 1 },
		{ "", "https://a.example", 0 },
		{ "", "", 0 },
		{ ",", "", 0 },
		{ "null", "null", 1 },
		{ "https://a.example", "null", 0 },
	};
	size_t			 i;
	struct zes_config	*cfg;

	(void)state;
	for (i = 0; i < ZES_NELEM(cases); i++) {
		assert_int_equal(setenv("ZES_CORS_ORIGINS", cases[i].list, 1), 0);
		cfg = load_ok(NULL);
		if (!!zes_config_cors_allowed(cfg, cases[i].origin) != cases[i].want)
			fail_msg("list \"%s\" origin \"%s\": %d, want %d",
			    cases[i].list, cases[i].origin,
			    zes_config_cors_allowed(cfg, cases[i].origin),
			    cases[i].want);
		zes_config_free(cfg);
	}
}

/* References: a loaded config starts with one; the last unref frees. */
static void
test_ref_unref(void **state)
{
	struct zes_config	*cfg;

	(void)state;
	cfg = load_ok(NULL);
	assert_int_equal(cfg->refs, 1);
	assert_ptr_equal(zes_config_ref(cfg), cfg);
	assert_int_equal(cfg->refs, 2);
	assert_ptr_equal(zes_config_ref(cfg), cfg);
	assert_int_equal(cfg->refs, 3);
	zes_config_unref(cfg);
	assert_int_equal(cfg->refs, 2);
	zes_config_unref(cfg);
	assert_int_equal(cfg->refs, 1);
	assert_string_equal(cfg->database_url, "dbname=zesd");	/* still alive */
	zes_config_unref(cfg);		/* freed; LeakSanitizer checks it */
	zes_config_unref(NULL);
	zes_config_free(NULL);
}

/* Run the tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_file_values, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_env_wins, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_file_errors, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_bad_numbers, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_error_long_escaped_value, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_listen_good, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_listen_bad, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_log_settings, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_bool, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_tls_pair, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_usage, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_reloadable, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_restart_needed, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_restart_needed_listen_history, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_reload, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_cors_allowed, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_ref_unref, env_setup, env_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
