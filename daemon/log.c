/*
 * Logging: one line per event on stderr, as text or JSON.  Each line is
 * formatted into a local buffer and written with one write(2), so lines of
 * concurrent threads never interleave.
 */

#include <ctype.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "zes/log.h"

#define LOG_LINE_MAX	4096

static const char	*log_progname = "zesd";
static _Atomic int	 log_level = ZES_LOG_INFO;
static _Atomic int	 log_format = ZES_LOG_TEXT;

static const char *const log_level_names[] = { "debug", "info", "warn", "error" };

/*
 * A line being built.  `limit` keeps room for what closes a line, so that a
 * JSON line cut short is still one valid object ending in "truncated":true.
 */
#define LOG_CLOSE_ROOM	32

struct log_buf {
	char	data[LOG_LINE_MAX];
	size_t	len;
	size_t	limit;
	int	cut;		/* something did not fit */
};

static void	log_put(struct log_buf *, const char *, size_t);
static void	log_puts(struct log_buf *, const char *);
static void	log_put_json_string(struct log_buf *, const char *, size_t);
static void	log_fields(struct log_buf *, const char *, int);
static int	log_is_number(const char *, size_t);

/* Set the program name, level and format; call before threads start. */
void
zes_log_init(const char *progname, enum zes_log_level level,
    enum zes_log_format format)
{
	log_progname = progname;
	atomic_store(&log_level, (int)level);
	atomic_store(&log_format, (int)format);
}

/* Change the level filter (on reload). */
void
zes_log_set_level(enum zes_log_level level)
{
	atomic_store(&log_level, (int)level);
}

/* Change the output format (on reload). */
void
zes_log_set_format(enum zes_log_format format)
{
	atomic_store(&log_format, (int)format);
}

/* Is a line of this level written?  Checked before any formatting. */
int
zes_log_enabled(enum zes_log_level level)
{
	return (int)level >= atomic_load(&log_level);
}

/* Parse a level name; 0 ok, -1 unknown. */
int
zes_log_level_parse(const char *s, enum zes_log_level *out)
{
	size_t	i;

	for (i = 0; i < ZES_NELEM(log_level_names); i++) {
		if (strcmp(s, log_level_names[i]) == 0) {
			*out = (enum zes_log_level)i;
			return 0;
		}
	}
	return -1;
}

/* Parse a format name; 0 ok, -1 unknown. */
int
zes_log_format_parse(const char *s, enum zes_log_format *out)
{
	if (strcmp(s, "text") == 0)
		*out = ZES_LOG_TEXT;
	else if (strcmp(s, "json") == 0)
		*out = ZES_LOG_JSON;
	else
		return -1;
	return 0;
}

/* Append n bytes, silently cutting what does not fit (a newline is kept free). */
static void
log_put(struct log_buf *b, const char *s, size_t n)
{
	if (b->len > b->limit)
		n = 0;
	if (n > b->limit - b->len) {
		n = b->limit - b->len;
		b->cut = 1;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
}

/* Append a NUL-terminated string. */
static void
log_puts(struct log_buf *b, const char *s)
{
	log_put(b, s, strlen(s));
}

/* Append s[0..n) as a JSON string literal. */
static void
log_put_json_string(struct log_buf *b, const char *s, size_t n)
{
	char	esc[8];
	size_t	i;

	log_put(b, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			log_put(b, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			log_put(b, esc, 6);
		} else
			log_put(b, (const char *)&s[i], 1);
	}
	log_put(b, "\"", 1);
}

/* Does s[0..n) look like a JSON number (so it is written unquoted)? */
static int
log_is_number(const char *s, size_t n)
{
	size_t	i = 0;
	int	digits = 0, dot = 0;

	if (n > 0 && s[0] == '-')
		i++;
	for (; i < n; i++) {
		if (isdigit((unsigned char)s[i]))
			digits++;
		else if (s[i] == '.' && !dot && digits > 0)
			dot = 1;
		else
			return 0;
	}
	if (n > 1 && s[s[0] == '-' ? 1 : 0] == '0' &&
	    n > (size_t)(s[0] == '-' ? 2 : 1) && s[s[0] == '-' ? 2 : 1] != '.')
		return 0;
	return digits > 0 && s[n - 1] != '.';
}

/*
 * Append the key=value fields of `msg`.  A value is either a quoted string
 * made by zes_log_quote() or a bare word up to the next space.  Text keeps
 * them as they are; JSON turns each into a member.
 */
static void
log_fields(struct log_buf *b, const char *msg, int json)
{
	const char	*p = msg, *k, *v;
	size_t		 klen, vlen;
	char		 unq[LOG_LINE_MAX], bare[LOG_LINE_MAX];
	size_t		 ulen, blen = 0, mark;
	int		 quoted;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		k = p;
		while (*p != '\0' && *p != '=' && *p != ' ')
			p++;
		klen = (size_t)(p - k);
		if (*p != '=') {		/* bare words are gathered into "msg" */
			if (json) {
				if (blen > 0 && blen < sizeof(bare))
					bare[blen++] = ' ';
				if (klen > sizeof(bare) - blen)
					klen = sizeof(bare) - blen;
				memcpy(bare + blen, k, klen);
				blen += klen;
			} else {
				log_put(b, " ", 1);
				log_put(b, k, klen);
			}
			continue;
		}
		p++;
		v = p;
		quoted = (*p == '"');
		ulen = 0;
		if (quoted) {
			p++;
			while (*p != '\0' && *p != '"') {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				if (ulen < sizeof(unq))
					unq[ulen++] = *p;
				p++;
			}
			if (*p == '"')
				p++;
		} else {
			while (*p != '\0' && *p != ' ')
				p++;
		}
		vlen = (size_t)(p - v);
		if (!json) {
			log_put(b, " ", 1);
			log_put(b, k, klen);
			log_put(b, "=", 1);
			log_put(b, v, vlen);
			continue;
		}
		mark = b->len;
		log_put(b, ",", 1);
		log_put_json_string(b, k, klen);
		log_put(b, ":", 1);
		if (quoted)
			log_put_json_string(b, unq, ulen);
		else if (log_is_number(v, vlen) ||
		    (vlen == 4 && memcmp(v, "true", 4) == 0) ||
		    (vlen == 5 && memcmp(v, "false", 5) == 0))
			log_put(b, v, vlen);
		else
			log_put_json_string(b, v, vlen);
		if (b->cut) {		/* drop the member that did not fit */
			b->len = mark;
			return;
		}
	}
	if (json && blen > 0) {
		mark = b->len;
		log_puts(b, ",\"msg\":");
		log_put_json_string(b, bare, blen);
		if (b->cut)
			b->len = mark;
	}
}

/* Format and write one event line. */
void
zes_log_event(enum zes_log_level level, const char *module, const char *rid,
    const char *event, const char *fmt, ...)
{
	struct log_buf	 b;
	char		 msg[LOG_LINE_MAX], ts[40];
	struct timespec	 now;
	struct tm	 tm;
	va_list		 ap;
	ssize_t		 n;
	size_t		 off;
	int		 json = atomic_load(&log_format) == ZES_LOG_JSON;

	if (!zes_log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	off = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + off, sizeof(ts) - off, ".%03ldZ", now.tv_nsec / 1000000);

	b.len = 0;
	b.cut = 0;
	b.limit = sizeof(b.data) - LOG_CLOSE_ROOM;
	if (json) {
		log_puts(&b, "{\"ts\":\"");
		log_puts(&b, ts);
		log_puts(&b, "\",\"level\":\"");
		log_puts(&b, log_level_names[level]);
		log_puts(&b, "\",\"module\":");
		log_put_json_string(&b, module, strlen(module));
		log_puts(&b, ",\"event\":");
		log_put_json_string(&b, event, strlen(event));
		if (rid != NULL) {
			log_puts(&b, ",\"rid\":");
			log_put_json_string(&b, rid, strlen(rid));
		}
		log_fields(&b, msg, 1);
		b.limit = sizeof(b.data) - 2;
		if (b.cut)
			log_puts(&b, ",\"truncated\":true");
		log_puts(&b, "}");
	} else {
		log_puts(&b, ts);
		log_put(&b, " ", 1);
		log_puts(&b, log_level_names[level]);
		log_put(&b, " ", 1);
		log_puts(&b, module);
		log_put(&b, " ", 1);
		log_puts(&b, event);
		if (rid != NULL) {
			log_puts(&b, " rid=");
			log_puts(&b, rid);
		}
		log_fields(&b, msg, 0);
		b.limit = sizeof(b.data) - 2;
		if (b.cut)
			log_puts(&b, " truncated=true");
	}
	b.data[b.len++] = '\n';
	off = 0;
	while (off < b.len) {
		n = write(STDERR_FILENO, b.data + off, b.len - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
}

/* Quote s for a log field (see log.h). */
char *
zes_log_quote(char *buf, size_t size, const char *s, size_t maxlen)
{
	size_t	o = 0, i;
	char	hex[5];

	if (size < 8) {
		if (size > 0)
			buf[0] = '\0';
		return buf;
	}
	buf[o++] = '"';
	for (i = 0; s != NULL && s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t w = (c == '"' || c == '\\') ? 2 :
		    (c < 0x20 || c >= 0x7f) ? 4 : 1;

		/* After this byte there must be room for "...", quote and NUL (5). */
		if (i >= maxlen || o + w + (s[i + 1] == '\0' ? 2 : 5) >= size) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			snprintf(hex, sizeof(hex), "\\x%02x", c);
			memcpy(buf + o, hex, 4);
			o += 4;
		} else
			buf[o++] = (char)c;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/* Start-up failure: one line, exit 1. */
void
zes_fatal(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "%s: ", log_progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* A bug: log and abort. */
void
zes_fatalx(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "%s: internal error: ", log_progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}
