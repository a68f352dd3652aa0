/*
 * Strict decoding of request bodies: syntax, duplicate keys (all of them
 * listed), unknown and missing fields, and types, each reported as a field
 * error of the request so that one 400 lists everything wrong.
 */
#ifndef ZES_JSON_H
#define ZES_JSON_H

#include <jansson.h>
#include "zes/common.h"

struct zes_req;

/* Expected JSON types of a field. */
enum zes_json_type {
	ZES_JSON_STRING = 1,
	ZES_JSON_INTEGER,
	ZES_JSON_BOOLEAN,
	ZES_JSON_OBJECT,
	ZES_JSON_ARRAY,
	ZES_JSON_NUMBER,
};

struct zes_json_field {
	const char		*name;
	enum zes_json_type	 type;
	int			 required;
	int			 nullable;
};

/*
 * Decode a body that must be one JSON object.  Returns the object, or NULL
 * after adding the errors to r (syntax, every duplicated key, not an object).
 */
json_t	*zes_json_decode(struct zes_req *r, const char *buf, size_t len);

/*
 * Check `obj` (found at JSON path `path`, "" for the top) against the field
 * list (ended by a { NULL } entry): unknown fields, missing required ones and
 * wrong types become errors of r.  Returns the number of errors added.
 */
int	zes_json_check(struct zes_req *r, const json_t *obj, const char *path,
	    const struct zes_json_field *fields);

/*
 * Find every duplicated object key in JSON text; calls fn(path, arg) for each
 * (path like "a.b" or "items[2].c").  Returns how many were found.  It stops
 * quietly at the first syntax error.  Pure; used by zes_json_decode().
 */
size_t	zes_json_duplicates(const char *buf, size_t len,
	    void (*fn)(const char *path, void *arg), void *arg);

/* Join a JSON path and a member name into buf ("" + "a" = "a", "x" + "a" = "x.a"). */
const char *zes_json_path(char *buf, size_t size, const char *path, const char *name);

#endif
