/*
 * Unit tests for daemon/log.c: zes_log_quote (escaping of quotes, backslashes,
 * control and non-ASCII bytes, truncation after maxlen with "...", and never
 * writing past `size`), level and format names, the level filter, and the
 * lines written to stderr (fd 2 redirected to a temporary file): JSON lines
 * parsed with jansson (ts, level, module, event, rid in that order, then the
 * fields with numbers and booleans bare and quoted strings unescaped), text
 * lines, one write per event, a valid JSON line even for a message longer than
 * the line buffer, and zes_fatal / zes_fatalx (in a child process).
 */
#include <ctype.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <jansson.h>

#include "zes/log.h"

/* fd 2 redirected to a temporary file. */
struct capture {
	char	path[64];
	int	saved;
};

/* Send fd 2 to a new temporary file. */
static void
capture_start(struct capture *c)
{
	int	fd;

	snprintf(c->path, sizeof(c->path), "/tmp/zes-test-log-XXXXXX");
	fd = mkstemp(c->path);
	assert_true(fd >= 0);
	fflush(stderr);
	c->saved = dup(STDERR_FILENO);
	assert_true(c->saved >= 0);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	assert_int_equal(close(fd), 0);
}

/* Put fd 2 back and return what was written (caller frees). */
static char *
capture_end(struct capture *c)
{
	FILE	*f;
	char	*text;
	long	 len;

	fflush(stderr);
	assert_int_equal(dup2(c->saved, STDERR_FILENO), STDERR_FILENO);
	assert_int_equal(close(c->saved), 0);
	f = fopen(c->path, "r");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len >= 0);
	rewind(f);
	text = malloc((size_t)len + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
	text[len] = '\0';
	fclose(f);
	assert_int_equal(unlink(c->path), 0);
	return text;
}

/* Number of '\n' in s. */
static size_t
count_lines(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* Is s "YYYY-MM-DDTHH:MM:SS.mmmZ"? */
static int
ts_ok(const char *s, size_t len)
{
	static const char	pat[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	size_t			i;

	if (len != sizeof(pat) - 1)
		return 0;
	for (i = 0; i < len; i++) {
		if (pat[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != pat[i])
			return 0;
	}
	return 1;
}

/* Parse one captured line (exactly one, '\n'-terminated) as a JSON object. */
static json_t *
parse_line(const char *text)
{
	json_t		*o;
	json_error_t	 err;
	size_t		 len = strlen(text);

	if (len == 0 || text[len - 1] != '\n' || count_lines(text) != 1)
		fail_msg("not one line: \"%s\"", text);
	o = json_loadb(text, len - 1, JSON_REJECT_DUPLICATES, &err);
	if (o == NULL)
		fail_msg("not JSON (%s at column %d): %.200s", err.text, err.column,
		    text);
	if (!json_is_object(o))
		fail_msg("not an object: %s", text);
	return o;
}

/* Member `key` of o as a string, or fail. */
static const char *
str_member(const json_t *o, const char *key)
{
	const json_t	*v = json_object_get(o, key);

	if (!json_is_string(v))
		fail_msg("member %s is not a string", key);
	return json_string_value(v);
}

/* Quoting: escapes and truncation. */
static void
test_quote(void **state)
{
	static const struct {
		const char	*s;
		size_t		 maxlen, size;
		const char	*want;
	} cases[] = {
		{ "abc", 64, 160, "\"abc\"" },
		{ "", 64, 160, "\"\"" },
		{ NULL, 64, 160, "\"\"" },
		{ "a b", 64, 160, "\"a b\"" },
		{ "a\"b", 64, 160, "\"a\\\"b\"" },
		{ "a\\b", 64, 160, "\"a\\\\b\"" },
		{ "\\\"", 64, 160, "\"\\\\\\\"\"" },
		{ "line\nnext", 64, 160, "\"line\\x0anext\"" },
		{ "\t\r", 64, 160, "\"\\x09\\x0d\"" },
		{ "\x01\x1f", 64, 160, "\"\\x01\\x1f\"" },
		{ "\x7f", 64, 160, "\"\\x7f\"" },
		{ "\xc3\xa9", 64, 160, "\"\\xc3\\xa9\"" },
		{ "\xff", 64, 160, "\"\\xff\"" },
		{ " ~", 64, 160, "\" ~\"" },
		{ "abcdef", 3, 160, "\"abc...\"" },
		{ "abc", 3, 160, "\"abc\"" },
		{ "abcd", 0, 160, "\"...\"" },
		{ "", 0, 160, "\"\"" },
		{ "\"\"\"", 2, 160, "\"\\\"\\\"...\"" },
		{ "abcdefghijklmnop", 64, 10, "\"abc...\"" },
		{ "abcdefghijklmnop", 64, 12, "\"abcde...\"" },
		{ "a", 64, 8, "\"a\"" },
		{ "abcd", 64, 8, "\"a...\"" },
	};
	char	buf[200];
	size_t	i;

	(void)state;
	for (i = 0; i < ZES_NELEM(cases); i++) {
		memset(buf, 'Z', sizeof(buf));
		assert_ptr_equal(zes_log_quote(buf, cases[i].size, cases[i].s,
		    cases[i].maxlen), buf);
		if (strcmp(buf, cases[i].want) != 0)
			fail_msg("case %zu: %s, want %s", i, buf, cases[i].want);
	}
}

/* A buffer smaller than 8 gets an empty string; size 0 is not touched. */
static void
test_quote_small(void **state)
{
	char	buf[8];
	size_t	size;

	(void)state;
	for (size = 1; size < 8; size++) {
		memset(buf, 'Z', sizeof(buf));
		zes_log_quote(buf, size, "abc", 64);
		assert_int_equal(buf[0], '\0');
		assert_int_equal(buf[1], 'Z');
	}
	memset(buf, 'Z', sizeof(buf));
	zes_log_quote(buf, 0, "abc", 64);
	assert_int_equal(buf[0], 'Z');
}

/*
 * Whatever the input, the quoted text fits in `size` with its NUL, starts and
 * ends with a quote, and bytes from `size` on are untouched.
 */
static void
test_quote_fits(void **state)
{
	static const char *const inputs[] = {
		"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
		"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10"
		    "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c",
		"\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\",
		"abc\x01" "defg\xffh\"ij\\k\x7flmno\npq\xc3\xa9rstuvwxyz0123456789",
		"abcdefgh\x01zzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
	};
	unsigned char	buf[96];
	size_t		i, size, j, len, first_bad = 0, bad = 0;
	size_t		bad_i = 0, bad_size = 0;

	(void)state;
	for (i = 0; i < ZES_NELEM(inputs); i++) {
		for (size = 8; size <= 64; size++) {
			memset(buf, 0xAA, sizeof(buf));
			zes_log_quote((char *)buf, size, inputs[i], 1000);
			len = strnlen((const char *)buf, sizeof(buf));
			for (j = size; j < sizeof(buf) && buf[j] == 0xAA; j++)
				;
			if (len >= size || j != sizeof(buf) || len < 2 ||
			    buf[0] != '"' || buf[len - 1] != '"') {
				if (bad++ == 0) {
					first_bad = len;
					bad_i = i;
					bad_size = size;
				}
			}
		}
	}
	if (bad != 0)
		fail_msg("%zu (input, size) pairs overflow or are malformed; first: "
		    "input %zu, size %zu: %zu characters and the NUL written",
		    bad, bad_i, bad_size, first_bad);
}

/* Level and format names: exact lower case. */
static void
test_parse_names(void **state)
{
	static const struct {
		const char	*s;
		int		 rc;
		int		 want;
	} levels[] = {
		{ "debug", 0, ZES_LOG_DEBUG }, { "info", 0, ZES_LOG_INFO },
		{ "warn", 0, ZES_LOG_WARN }, { "error", 0, ZES_LOG_ERROR },
		{ "Debug", -1, 0 }, { "warning", -1, 0 }, { "", -1, 0 },
		{ "info ", -1, 0 }, { "fatal", -1, 0 },
	}, formats[] = {
		{ "text", 0, ZES_LOG_TEXT }, { "json", 0, ZES_LOG_JSON },
		{ "Text", -1, 0 }, { "", -1, 0 }, { "jsonl", -1, 0 },
	};
	size_t			i;
	enum zes_log_level	l;
	enum zes_log_format	f;

	(void)state;
	for (i = 0; i < ZES_NELEM(levels); i++) {
		l = (enum zes_log_level)99;
		if (zes_log_level_parse(levels[i].s, &l) != levels[i].rc)
			fail_msg("level \"%s\": wrong result", levels[i].s);
		if (levels[i].rc == 0 ? (int)l != levels[i].want : (int)l != 99)
			fail_msg("level \"%s\": %d", levels[i].s, (int)l);
	}
	for (i = 0; i < ZES_NELEM(formats); i++) {
		f = (enum zes_log_format)99;
		if (zes_log_format_parse(formats[i].s, &f) != formats[i].rc)
			fail_msg("format \"%s\": wrong result", formats[i].s);
		if (formats[i].rc == 0 ? (int)f != formats[i].want : (int)f != 99)
			fail_msg("format \"%s\": %d", formats[i].s, (int)f);
	}
}

/* zes_log_enabled follows the level set. */
static void
test_enabled(void **state)
{
	int	set, lvl;

	(void)state;
	for (set = ZES_LOG_DEBUG; set <= ZES_LOG_ERROR; set++) {
		zes_log_set_level((enum zes_log_level)set);
		for (lvl = ZES_LOG_DEBUG; lvl <= ZES_LOG_ERROR; lvl++) {
			if (!!zes_log_enabled((enum zes_log_level)lvl) != (lvl >= set))
				fail_msg("level %d with filter %d: %d", lvl, set,
				    zes_log_enabled((enum zes_log_level)lvl));
		}
	}
	zes_log_init("test", ZES_LOG_INFO, ZES_LOG_JSON);
	assert_false(zes_log_enabled(ZES_LOG_DEBUG));
	assert_true(zes_log_enabled(ZES_LOG_INFO));
}

/* A JSON line: header keys in order, then typed fields. */
static void
test_json_line(void **state)
{
	struct capture	 c;
	char		*out, q[128];
	json_t		*o;
	const char	*p;

	(void)state;
	zes_log_init("test", ZES_LOG_DEBUG, ZES_LOG_JSON);
	zes_log_quote(q, sizeof(q), "he said \"hi\" \\ bye", 64);
	capture_start(&c);
	zes_log_event(ZES_LOG_INFO, "http", "r-123", "request",
	    "status=%d path=%s ms=%s neg=%d ok=true bad=false q=%s tail",
	    200, "/v1/x", "1.5", -3, q);
	out = capture_end(&c);

	/* Key order: ts, level, module, event, rid, then fields. */
	assert_int_equal(strncmp(out, "{\"ts\":\"", 7), 0);
	p = strstr(out, "\"level\":");
	assert_non_null(p);
	assert_true(p < strstr(out, "\"module\":"));
	assert_true(strstr(out, "\"module\":") < strstr(out, "\"event\":"));
	assert_true(strstr(out, "\"event\":") < strstr(out, "\"rid\":"));
	assert_true(strstr(out, "\"rid\":") < strstr(out, "\"status\":"));

	o = parse_line(out);
	p = str_member(o, "ts");
	if (!ts_ok(p, strlen(p)))
		fail_msg("ts \"%s\"", p);
	assert_string_equal(str_member(o, "level"), "info");
	assert_string_equal(str_member(o, "module"), "http");
	assert_string_equal(str_member(o, "event"), "request");
	assert_string_equal(str_member(o, "rid"), "r-123");
	assert_true(json_is_integer(json_object_get(o, "status")));
	assert_int_equal(json_integer_value(json_object_get(o, "status")), 200);
	assert_string_equal(str_member(o, "path"), "/v1/x");
	assert_true(json_is_real(json_object_get(o, "ms")));
	assert_true(json_real_value(json_object_get(o, "ms")) == 1.5);
	assert_int_equal(json_integer_value(json_object_get(o, "neg")), -3);
	assert_true(json_is_true(json_object_get(o, "ok")));
	assert_true(json_is_false(json_object_get(o, "bad")));
	assert_string_equal(str_member(o, "q"), "he said \"hi\" \\ bye");
	assert_string_equal(str_member(o, "msg"), "tail");
	assert_int_equal(json_object_size(o), 13);
	json_decref(o);
	free(out);

	/* Without a request id there is no rid; without fields only the header. */
	capture_start(&c);
	zes_log_event(ZES_LOG_ERROR, "store", NULL, "db_lost", "%s", "");
	out = capture_end(&c);
	o = parse_line(out);
	assert_null(json_object_get(o, "rid"));
	assert_string_equal(str_member(o, "level"), "error");
	assert_string_equal(str_member(o, "event"), "db_lost");
	assert_int_equal(json_object_size(o), 4);
	json_decref(o);
	free(out);
}

/* Bare values: JSON numbers and true/false stay bare, anything else is a string. */
static void
test_json_values(void **state)
{
	static const struct {
		const char	*v;
		json_type	 type;
	} cases[] = {
		{ "0", JSON_INTEGER }, { "7", JSON_INTEGER }, { "-0", JSON_INTEGER },
		{ "-42", JSON_INTEGER }, { "1234567890", JSON_INTEGER },
		{ "0.5", JSON_REAL }, { "-0.25", JSON_REAL }, { "10.125", JSON_REAL },
		{ "007", JSON_STRING }, { "01", JSON_STRING }, { "-01", JSON_STRING },
		{ "00", JSON_STRING }, { "1.", JSON_STRING }, { ".5", JSON_STRING },
		{ "-.5", JSON_STRING }, { "-", JSON_STRING }, { "1e5", JSON_STRING },
		{ "0x1f", JSON_STRING }, { "1.2.3", JSON_STRING }, { "--1", JSON_STRING },
		{ "+1", JSON_STRING }, { "12ab", JSON_STRING }, { "true", JSON_TRUE },
		{ "false", JSON_FALSE }, { "null", JSON_STRING }, { "True", JSON_STRING },
		{ "truer", JSON_STRING }, { "NaN", JSON_STRING }, { "a\\b", JSON_STRING },
		{ "tab\there", JSON_STRING }, { "\xc3\xa9", JSON_STRING },
	};
	struct capture	 c;
	char		*out;
	json_t		*o, *v;
	size_t		 i;

	(void)state;
	zes_log_init("test", ZES_LOG_DEBUG, ZES_LOG_JSON);
	for (i = 0; i < ZES_NELEM(cases); i++) {
		capture_start(&c);
		zes_log_event(ZES_LOG_INFO, "m", NULL, "e", "v=%s", cases[i].v);
		out = capture_end(&c);
		o = parse_line(out);
		v = json_object_get(o, "v");
		if (v == NULL || json_typeof(v) != cases[i].type)
			fail_msg("\"%s\" logged as %s", cases[i].v, out);
		if (cases[i].type == JSON_STRING &&
		    strcmp(json_string_value(v), cases[i].v) != 0)
			fail_msg("\"%s\" came back as \"%s\"", cases[i].v,
			    json_string_value(v));
		json_decref(o);
		free(out);
	}
}

/* Module, event and rid with quotes and control bytes still give valid JSON. */
static void
test_json_escaping(void **state)
{
	struct capture	 c;
	char		*out;
	json_t		*o;

	(void)state;
	zes_log_init("test", ZES_LOG_DEBUG, ZES_LOG_JSON);
	capture_start(&c);
	zes_log_event(ZES_LOG_WARN, "mo\"d", "r\\1\n", "ev\tent\x7f",
	    "k\"ey=v\"al");
	out = capture_end(&c);
	o = parse_line(out);
	assert_string_equal(str_member(o, "module"), "mo\"d");
	assert_string_equal(str_member(o, "rid"), "r\\1\n");
	assert_string_equal(str_member(o, "event"), "ev\tent\x7f");
	assert_string_equal(str_member(o, "k\"ey"), "v\"al");
	json_decref(o);
	free(out);
}

/* The text format: ts level module event [rid=] fields as given. */
static void
test_text_line(void **state)
{
	struct capture	 c;
	char		*out, q[64];
	const char	*sp;
	static const char want[] =
	    " warn http request rid=r-9 status=503 q=\"a b\\\"c\" ms=0.5 word\n";

	(void)state;
	zes_log_init("test", ZES_LOG_DEBUG, ZES_LOG_TEXT);
	zes_log_quote(q, sizeof(q), "a b\"c", 64);
	capture_start(&c);
	zes_log_event(ZES_LOG_WARN, "http", "r-9", "request",
	    "status=%d q=%s  ms=%s word", 503, q, "0.5");
	out = capture_end(&c);
	sp = strchr(out, ' ');
	assert_non_null(sp);
	if (!ts_ok(out, (size_t)(sp - out)))
		fail_msg("ts in \"%s\"", out);
	assert_string_equal(sp, want);
	free(out);

	capture_start(&c);
	zes_log_event(ZES_LOG_DEBUG, "main", NULL, "listening", "port=%d", 8080);
	out = capture_end(&c);
	sp = strchr(out, ' ');
	assert_non_null(sp);
	assert_string_equal(sp, " debug main listening port=8080\n");
	free(out);
}

/* The level filter drops lines below it; reload changes level and format. */
static void
test_level_filter(void **state)
{
	struct capture	 c;
	char		*out, *nl, *second;
	json_t		*o;

	(void)state;
	zes_log_init("test", ZES_LOG_WARN, ZES_LOG_JSON);
	capture_start(&c);
	zes_log_event(ZES_LOG_DEBUG, "m", NULL, "dropped_debug", "a=%d", 1);
	zes_log_event(ZES_LOG_INFO, "m", NULL, "dropped_info", "a=%d", 2);
	zes_log_info("m", "dropped_macro", "a=%d", 3);
	zes_log_warn("m", "kept_warn", "a=%d", 4);
	zes_log_event(ZES_LOG_ERROR, "m", NULL, "kept_error", "a=%d", 5);
	out = capture_end(&c);
	assert_int_equal(count_lines(out), 2);
	assert_null(strstr(out, "dropped"));
	nl = strchr(out, '\n');
	second = strdup(nl + 1);
	assert_non_null(second);
	nl[1] = '\0';
	o = parse_line(out);
	assert_string_equal(str_member(o, "level"), "warn");
	assert_string_equal(str_member(o, "event"), "kept_warn");
	assert_string_equal(str_member(o, "module"), "m");
	assert_int_equal(json_integer_value(json_object_get(o, "a")), 4);
	json_decref(o);
	o = parse_line(second);
	assert_string_equal(str_member(o, "level"), "error");
	assert_string_equal(str_member(o, "event"), "kept_error");
	json_decref(o);
	free(second);
	free(out);

	zes_log_set_level(ZES_LOG_DEBUG);
	zes_log_set_format(ZES_LOG_TEXT);
	capture_start(&c);
	zes_log_debug("m", "now_kept", "a=%d", 6);
	out = capture_end(&c);
	assert_int_equal(count_lines(out), 1);
	assert_non_null(strstr(out, " debug m now_kept a=6\n"));
	assert_int_equal(out[0] == '{', 0);
	free(out);

	zes_log_set_level(ZES_LOG_ERROR);
	capture_start(&c);
	zes_log_warn("m", "dropped_again", "a=%d", 7);
	out = capture_end(&c);
	assert_string_equal(out, "");
	free(out);
}

/*
 * A message longer than the line buffer is cut, but the line stays one line
 * and, in the JSON format, still one valid JSON object.
 */
static void
test_long_line(void **state)
{
	static const char *const fmts[] = { "bare", "quoted" };
	struct capture	 c;
	char		*out, *big, *q;
	json_t		*o;
	json_error_t	 err;
	size_t		 len, i;

	(void)state;
	big = malloc(6001);
	assert_non_null(big);
	memset(big, 'x', 6000);
	big[6000] = '\0';
	q = malloc(2 * 6000);
	assert_non_null(q);
	zes_log_quote(q, 2 * 6000, big, 5000);

	/* Text: one line, no longer than the buffer. */
	zes_log_init("test", ZES_LOG_DEBUG, ZES_LOG_TEXT);
	capture_start(&c);
	zes_log_event(ZES_LOG_INFO, "m", NULL, "e", "big=%s", big);
	out = capture_end(&c);
	len = strlen(out);
	assert_int_equal(count_lines(out), 1);
	assert_int_equal(out[len - 1], '\n');
	assert_true(len <= 4096);
	free(out);

	zes_log_init("test", ZES_LOG_DEBUG, ZES_LOG_JSON);
	for (i = 0; i < ZES_NELEM(fmts); i++) {
		capture_start(&c);
		if (i == 0)
			zes_log_event(ZES_LOG_INFO, "m", "rid", "e", "big=%s", big);
		else
			zes_log_event(ZES_LOG_INFO, "m", "rid", "e", "big=%s", q);
		out = capture_end(&c);
		len = strlen(out);
		assert_int_equal(count_lines(out), 1);
		assert_int_equal(out[len - 1], '\n');
		assert_true(len <= 4096);
		o = json_loadb(out, len - 1, 0, &err);
		if (o == NULL) {
			char tail[40];

			snprintf(tail, sizeof(tail), "%s", out + len - 20);
			free(out);
			free(big);
			free(q);
			fail_msg("%s value of 6000 bytes: the JSON line of %zu bytes "
			    "does not parse (%s); it ends with \"%.19s\"", fmts[i],
			    len, err.text, tail);
		}
		assert_string_equal(str_member(o, "event"), "e");
		json_decref(o);
		free(out);
	}
	free(big);
	free(q);
}

/* zes_fatal prints "progname: message" and exits 1; zes_fatalx aborts. */
static void
test_fatal(void **state)
{
	static const struct {
		int		 abort;
		const char	*want;
	} cases[] = {
		{ 0, "zes-test: cannot bind 127.0.0.1:80: in use\n" },
		{ 1, "zes-test: internal error: bad default for x\n" },
	};
	struct capture	 c;
	char		*out;
	size_t		 i;
	pid_t		 pid;
	int		 status;

	(void)state;
	for (i = 0; i < ZES_NELEM(cases); i++) {
		fflush(NULL);
		capture_start(&c);
		pid = fork();
		if (pid == 0) {
			zes_log_init("zes-test", ZES_LOG_INFO, ZES_LOG_JSON);
			if (cases[i].abort)
				zes_fatalx("bad default for %s", "x");
			zes_fatal("cannot bind %s: %s", "127.0.0.1:80", "in use");
		}
		status = 0;
		if (pid > 0 && waitpid(pid, &status, 0) != pid)
			pid = -1;
		out = capture_end(&c);
		assert_true(pid > 0);
		if (cases[i].abort ? !WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT :
		    !WIFEXITED(status) || WEXITSTATUS(status) != 1)
			fail_msg("case %zu: wait status %#x; output \"%s\"", i,
			    (unsigned)status, out);
		assert_string_equal(out, cases[i].want);
		free(out);
	}
}

/* Run the tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_quote_small),
		cmocka_unit_test(test_quote_fits),
		cmocka_unit_test(test_parse_names),
		cmocka_unit_test(test_enabled),
		cmocka_unit_test(test_json_line),
		cmocka_unit_test(test_json_values),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_text_line),
		cmocka_unit_test(test_level_filter),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_fatal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
