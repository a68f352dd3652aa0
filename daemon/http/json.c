/*
 * Strict request-body decoding: jansson with JSON_REJECT_DUPLICATES, plus a
 * small scanner that finds every duplicated key (jansson stops at the first),
 * and a field-list check for unknown, missing and ill-typed members.
 */

#include <stdio.h>
#include <string.h>

#include "zes/http.h"
#include "zes/json.h"

#define JSON_SCAN_DEPTH	64
#define JSON_SCAN_KEYS	256	/* duplicates are looked for among the first keys of an object */

struct scan {
	const char	*p, *end;
	size_t		 found;
	int		 failed;
	void		(*fn)(const char *, void *);
	void		*arg;
};

static void	scan_ws(struct scan *);
static int	scan_string(struct scan *, const char **, size_t *);
static void	scan_value(struct scan *, char *, size_t, int);
static void	scan_object(struct scan *, char *, size_t, int);
static void	scan_array(struct scan *, char *, size_t, int);

/* Skip white space. */
static void
scan_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	    *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/*
 * Read a string literal; *raw and *rawlen give its bytes as written (escapes
 * kept, quotes dropped), pointing into the input.
 */
static int
scan_string(struct scan *s, const char **raw, size_t *rawlen)
{
	if (s->p >= s->end || *s->p != '"')
		return -1;
	*raw = ++s->p;
	while (s->p < s->end && *s->p != '"') {
		if (*s->p == '\\')
			s->p++;
		s->p++;
	}
	if (s->p >= s->end)
		return -1;
	*rawlen = (size_t)(s->p - *raw);
	s->p++;
	return 0;
}

/* Scan any value at path. */
static void
scan_value(struct scan *s, char *path, size_t size, int depth)
{
	const char	*raw;
	size_t		 rawlen;

	scan_ws(s);
	if (s->p >= s->end || depth > JSON_SCAN_DEPTH) {
		s->failed = 1;
		return;
	}
	if (*s->p == '{')
		scan_object(s, path, size, depth + 1);
	else if (*s->p == '[')
		scan_array(s, path, size, depth + 1);
	else if (*s->p == '"') {
		if (scan_string(s, &raw, &rawlen) != 0)
			s->failed = 1;
	} else {
		while (s->p < s->end && *s->p != ',' && *s->p != '}' &&
		    *s->p != ']' && *s->p != ' ' && *s->p != '\n' &&
		    *s->p != '\r' && *s->p != '\t')
			s->p++;
	}
}

/* Scan an object, reporting each key seen more than once (once per key). */
static void
scan_object(struct scan *s, char *path, size_t size, int depth)
{
	struct {
		const char	*raw;
		size_t		 len;
		int		 reported;
	}		 keys[JSON_SCAN_KEYS];
	const char	*raw;
	size_t		 rawlen, nkeys = 0, i, plen = strlen(path);

	s->p++;
	scan_ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return;
	}
	while (!s->failed) {
		scan_ws(s);
		if (scan_string(s, &raw, &rawlen) != 0) {
			s->failed = 1;
			return;
		}
		snprintf(path + plen, size - plen, "%s%.*s", plen ? "." : "",
		    (int)(rawlen < 200 ? rawlen : 200), raw);
		for (i = 0; i < nkeys; i++)
			if (keys[i].len == rawlen &&
			    memcmp(keys[i].raw, raw, rawlen) == 0)
				break;
		if (i < nkeys && !keys[i].reported) {
			keys[i].reported = 1;
			s->found++;
			s->fn(path, s->arg);
		} else if (i == nkeys && nkeys < JSON_SCAN_KEYS) {
			keys[nkeys].raw = raw;
			keys[nkeys].len = rawlen;
			keys[nkeys].reported = 0;
			nkeys++;
		}
		scan_ws(s);
		if (s->p >= s->end || *s->p != ':') {
			s->failed = 1;
			return;
		}
		s->p++;
		scan_value(s, path, size, depth);
		path[plen] = '\0';
		scan_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == '}') {
			s->p++;
			return;
		}
		s->failed = 1;
	}
}

/* Scan an array, naming elements by index. */
static void
scan_array(struct scan *s, char *path, size_t size, int depth)
{
	size_t	plen = strlen(path), idx = 0;

	s->p++;
	scan_ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		return;
	}
	while (!s->failed) {
		snprintf(path + plen, size - plen, "[%zu]", idx++);
		scan_value(s, path, size, depth);
		path[plen] = '\0';
		scan_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == ']') {
			s->p++;
			return;
		}
		s->failed = 1;
	}
}

/* Find every duplicated key in JSON text. */
size_t
zes_json_duplicates(const char *buf, size_t len,
    void (*fn)(const char *, void *), void *arg)
{
	struct scan	s = { buf, buf + len, 0, 0, fn, arg };
	char		path[1024] = "";

	scan_value(&s, path, sizeof(path), 0);
	return s.found;
}

/* Join a path and a member name. */
const char *
zes_json_path(char *buf, size_t size, const char *path, const char *name)
{
	snprintf(buf, size, "%s%s%s", path, path[0] ? "." : "", name);
	return buf;
}

/* Callback of the duplicate scan: one error per key. */
static void
json_dup_cb(const char *path, void *arg)
{
	zes_req_error(arg, path, "duplicate key");
}

/* Decode a body that must be a JSON object. */
json_t *
zes_json_decode(struct zes_req *r, const char *buf, size_t len)
{
	json_t		*root;
	json_error_t	 err;

	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL) {
		if (json_error_code(&err) == json_error_duplicate_key &&
		    zes_json_duplicates(buf, len, json_dup_cb, r) > 0)
			return NULL;
		zes_req_error(r, "", "malformed JSON at line %d column %d: %s",
		    err.line, err.column, err.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		zes_req_error(r, "", "the body must be a JSON object");
		json_decref(root);
		return NULL;
	}
	return root;
}

/* Name of an expected type, for messages. */
static const char *
json_type_name(enum zes_json_type t)
{
	switch (t) {
	case ZES_JSON_STRING:	return "a string";
	case ZES_JSON_INTEGER:	return "an integer";
	case ZES_JSON_BOOLEAN:	return "true or false";
	case ZES_JSON_OBJECT:	return "an object";
	case ZES_JSON_ARRAY:	return "an array";
	case ZES_JSON_NUMBER:	return "a number";
	}
	return "?";
}

/* Does v have type t? */
static int
json_type_ok(const json_t *v, enum zes_json_type t)
{
	switch (t) {
	case ZES_JSON_STRING:	return json_is_string(v);
	case ZES_JSON_INTEGER:	return json_is_integer(v);
	case ZES_JSON_BOOLEAN:	return json_is_boolean(v);
	case ZES_JSON_OBJECT:	return json_is_object(v);
	case ZES_JSON_ARRAY:	return json_is_array(v);
	case ZES_JSON_NUMBER:	return json_is_number(v);
	}
	return 0;
}

/* Check an object against a field list. */
int
zes_json_check(struct zes_req *r, const json_t *obj, const char *path,
    const struct zes_json_field *fields)
{
	const char			*key;
	json_t				*v;
	const struct zes_json_field	*f;
	char				 p[512];
	int				 n = 0;

	json_object_foreach((json_t *)obj, key, v) {
		for (f = fields; f->name != NULL; f++)
			if (strcmp(f->name, key) == 0)
				break;
		if (f->name == NULL) {
			zes_req_error(r, zes_json_path(p, sizeof(p), path, key),
			    "unknown field");
			n++;
		} else if (json_is_null(v) ? !f->nullable : !json_type_ok(v, f->type)) {
			zes_req_error(r, zes_json_path(p, sizeof(p), path, key),
			    "must be %s", json_type_name(f->type));
			n++;
		}
	}
	for (f = fields; f->name != NULL; f++) {
		if (f->required && json_object_get(obj, f->name) == NULL) {
			zes_req_error(r, zes_json_path(p, sizeof(p), path, f->name),
			    "is required");
			n++;
		}
	}
	return n;
}
