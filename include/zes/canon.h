/*
 * RFC 8785 (JSON Canonicalization Scheme) for the values zesd signs: objects,
 * arrays, strings, integers, booleans and null (no floating-point numbers:
 * results never hold one, and refusing them keeps the output exact).  Pure.
 */
#ifndef ZES_CANON_H
#define ZES_CANON_H

#include <stddef.h>
#include <jansson.h>

#include "zes/common.h"

/*
 * The canonical UTF-8 text of `v` into a new buffer (*out, NUL-terminated,
 * caller frees) and its length.  Returns -1 for a real number, an integer
 * beyond +-2^53 (not exact in I-JSON) or invalid UTF-8 in a key.
 */
int	zes_canon_json(const json_t *v, char **out, size_t *len) ZES_MUSTCHECK;

/*
 * Write the string s[0..n) as a JSON string literal with JCS escaping (quotes
 * included): put(arg, bytes, len) is called for each run of output.
 */
void	zes_canon_string(void (*put)(void *, const char *, size_t), void *arg,
	    const char *s, size_t n);

#endif
