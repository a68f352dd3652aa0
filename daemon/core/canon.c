/*
 * RFC 8785 canonical JSON: members sorted by the UTF-16 code units of their
 * names, no white space, strings escaped as ECMAScript's JSON.stringify
 * does (only '"', '\\' and control characters; the short forms \b \t \n \f \r,
 * others as \u00xx), integers in decimal.  Used for signed access decisions.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zes/canon.h"
#include "zes/xmalloc.h"

#define CANON_MAX_SAFE	9007199254740992LL	/* 2^53 */

struct canon_buf {
	char	*p;
	size_t	 len, cap;
};

/* Append n bytes. */
static void
canon_put(struct canon_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* The put callback of canon_string for a canon_buf. */
static void
canon_put_cb(void *arg, const char *s, size_t n)
{
	canon_put(arg, s, n);
}

/* Append a string literal with JCS escaping. */
static void
canon_string(struct canon_buf *b, const char *s, size_t n)
{
	zes_canon_string(canon_put_cb, b, s, n);
}

/* A string literal with JCS escaping, given to put in runs. */
void
zes_canon_string(void (*put)(void *, const char *, size_t), void *arg,
    const char *s, size_t n)
{
	static const char	hex[] = "0123456789abcdef";
	static const char	shortform[] = "\b\t\n\f\r";
	char			esc[6] = { '\\', 'u', '0', '0', 0, 0 };
	const char		*sf;
	size_t			i, run;

	put(arg, "\"", 1);
	for (i = 0; i < n; i = run + 1) {
		for (run = i; run < n && (unsigned char)s[run] >= 0x20 &&
		    s[run] != '"' && s[run] != '\\'; run++)
			;
		if (run > i)
			put(arg, s + i, run - i);
		if (run == n)
			break;
		if (s[run] == '"' || s[run] == '\\') {
			esc[1] = s[run];
			put(arg, esc, 2);
		} else if ((sf = memchr(shortform, s[run], 5)) != NULL) {
			esc[1] = "btnfr"[sf - shortform];
			put(arg, esc, 2);
		} else {
			esc[1] = 'u';
			esc[4] = hex[(unsigned char)s[run] >> 4];
			esc[5] = hex[s[run] & 15];
			put(arg, esc, 6);
		}
		esc[1] = 'u';
	}
	put(arg, "\"", 1);
}

/*
 * Decode the next UTF-8 code point of s (at *i, advancing it); -1 when the
 * bytes are not valid UTF-8 (RFC 3629: no overlong forms, no UTF-16
 * surrogates, nothing above U+10FFFF), *i then unchanged.
 */
static long
canon_utf8_next(const unsigned char *s, size_t n, size_t *i)
{
	unsigned char	c = s[*i];
	long		cp;
	int		more, k;

	if (c < 0x80) {
		(*i)++;
		return c;
	}
	if ((c & 0xe0) == 0xc0) {
		cp = c & 0x1f;
		more = 1;
	} else if ((c & 0xf0) == 0xe0) {
		cp = c & 0x0f;
		more = 2;
	} else if ((c & 0xf8) == 0xf0) {
		cp = c & 0x07;
		more = 3;
	} else
		return -1;
	for (k = 1; k <= more; k++) {
		if (*i + (size_t)k >= n || (s[*i + (size_t)k] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[*i + (size_t)k] & 0x3f);
	}
	if (cp < (more == 1 ? 0x80 : more == 2 ? 0x800 : 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return -1;
	*i += (size_t)more + 1;
	return cp;
}

/*
 * Compare two member names by UTF-16 code units (RFC 8785 §3.2.3): code
 * points above U+FFFF become surrogates (0xD800..), which sort below
 * U+E000..U+FFFF although their UTF-8 bytes sort above.
 */
static int
canon_key_cmp(const char *a, const char *b)
{
	const unsigned char	*x = (const unsigned char *)a, *y = (const unsigned char *)b;
	size_t			 nx = strlen(a), ny = strlen(b), i = 0, j = 0;
	long			 cx, cy;
	unsigned		 ux, uy;

	while (i < nx && j < ny) {
		/* Invalid bytes (never sorted: canon_value refuses them) compare as bytes. */
		if ((cx = canon_utf8_next(x, nx, &i)) < 0)
			cx = x[i++];
		if ((cy = canon_utf8_next(y, ny, &j)) < 0)
			cy = y[j++];
		ux = cx > 0xffff ? 0xd800u + (unsigned)((cx - 0x10000) >> 10) : (unsigned)cx;
		uy = cy > 0xffff ? 0xd800u + (unsigned)((cy - 0x10000) >> 10) : (unsigned)cy;
		if (ux != uy)
			return ux < uy ? -1 : 1;
		if (cx > 0xffff && cy > 0xffff) {
			ux = 0xdc00u + (unsigned)((cx - 0x10000) & 0x3ff);
			uy = 0xdc00u + (unsigned)((cy - 0x10000) & 0x3ff);
			if (ux != uy)
				return ux < uy ? -1 : 1;
		}
	}
	return (i < nx) - (j < ny);
}

/* qsort adapter for member names. */
static int
canon_key_qcmp(const void *a, const void *b)
{
	return canon_key_cmp(*(const char *const *)a, *(const char *const *)b);
}

/* Is every key valid UTF-8? */
static int
canon_key_valid(const char *k)
{
	size_t	i = 0, n = strlen(k);

	while (i < n)
		if (canon_utf8_next((const unsigned char *)k, n, &i) < 0)
			return 0;
	return 1;
}

/* Append the canonical form of v; -1 on a value JCS cannot carry exactly. */
static int
canon_value(struct canon_buf *b, const json_t *v)
{
	const char	**keys, *k;
	json_t		*m;
	size_t		 n, i;
	char		 num[32];
	int		 rc = 0;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		n = json_object_size(v);
		keys = xcalloc(n ? n : 1, sizeof(*keys));
		i = 0;
		json_object_foreach((json_t *)v, k, m) {
			(void)m;
			if (!canon_key_valid(k)) {
				free(keys);
				return -1;
			}
			keys[i++] = k;
		}
		qsort(keys, n, sizeof(*keys), canon_key_qcmp);
		canon_put(b, "{", 1);
		for (i = 0; rc == 0 && i < n; i++) {
			if (i > 0)
				canon_put(b, ",", 1);
			canon_string(b, keys[i], strlen(keys[i]));
			canon_put(b, ":", 1);
			rc = canon_value(b, json_object_get(v, keys[i]));
		}
		canon_put(b, "}", 1);
		free(keys);
		return rc;
	case JSON_ARRAY:
		canon_put(b, "[", 1);
		for (i = 0; rc == 0 && i < json_array_size(v); i++) {
			if (i > 0)
				canon_put(b, ",", 1);
			rc = canon_value(b, json_array_get(v, i));
		}
		canon_put(b, "]", 1);
		return rc;
	case JSON_STRING:
		canon_string(b, json_string_value(v), json_string_length(v));
		return 0;
	case JSON_INTEGER:
		if (json_integer_value(v) > CANON_MAX_SAFE ||
		    json_integer_value(v) < -CANON_MAX_SAFE)
			return -1;
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		canon_put(b, num, strlen(num));
		return 0;
	case JSON_TRUE:
		canon_put(b, "true", 4);
		return 0;
	case JSON_FALSE:
		canon_put(b, "false", 5);
		return 0;
	case JSON_NULL:
		canon_put(b, "null", 4);
		return 0;
	case JSON_REAL:
		return -1;
	}
	return -1;
}

/* The canonical text of v. */
int
zes_canon_json(const json_t *v, char **out, size_t *len)
{
	struct canon_buf	b = { NULL, 0, 0 };

	canon_put(&b, "", 0);
	if (canon_value(&b, v) != 0) {
		free(b.p);
		*out = NULL;
		*len = 0;
		return -1;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}
