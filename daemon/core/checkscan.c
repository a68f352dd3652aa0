/*
 * The fast reader of access-check bodies (include/zes/checkscan.h): a
 * recogniser of one plain shape, declining everything else so that the
 * strict decoder stays the only judge of what is wrong with a body.
 */

#include <string.h>

#include "zes/checkscan.h"

struct cs {
	const char	*p, *end;
};

/* Member names of a check, as bits. */
enum {
	CS_PLATE = 1, CS_MUNICIPALITY = 2, CS_AT = 4, CS_COUNTRY = 8,
};

static void
cs_ws(struct cs *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	    *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/* Skip white space, then take c; 0 when the next byte is something else. */
static int
cs_take(struct cs *s, char c)
{
	cs_ws(s);
	if (s->p >= s->end || *s->p != c)
		return 0;
	s->p++;
	return 1;
}

/*
 * A string of printable ASCII without escapes, after white space; *str is
 * its first byte, *len its length (the closing quote is at (*str)[*len]).
 */
static int
cs_string(struct cs *s, const char **str, size_t *len)
{
	const char	*q;

	if (!cs_take(s, '"'))
		return 0;
	for (q = s->p; q < s->end && *q != '"'; q++)
		if ((unsigned char)*q < 0x20 || (unsigned char)*q > 0x7e ||
		    *q == '\\')
			return 0;
	if (q >= s->end)
		return 0;
	*str = s->p;
	*len = (size_t)(q - s->p);
	s->p = q + 1;
	return 1;
}

/* Which member a key names; 0 for none. */
static unsigned
cs_member(const char *k, size_t n)
{
	if (n == 5 && memcmp(k, "plate", 5) == 0)
		return CS_PLATE;
	if (n == 12 && memcmp(k, "municipality", 12) == 0)
		return CS_MUNICIPALITY;
	if (n == 2 && memcmp(k, "at", 2) == 0)
		return CS_AT;
	if (n == 7 && memcmp(k, "country", 7) == 0)
		return CS_COUNTRY;
	return 0;
}

/* One check object. */
static int
cs_check(struct cs *s, struct zes_check_text *c)
{
	const char	*k, *v;
	size_t		 kn, vn;
	unsigned	 seen = 0, m;

	if (!cs_take(s, '{'))
		return 0;
	memset(c, 0, sizeof(*c));
	do {
		if (!cs_string(s, &k, &kn) || (m = cs_member(k, kn)) == 0 ||
		    (seen & m) != 0 || !cs_take(s, ':') || !cs_string(s, &v, &vn))
			return 0;
		seen |= m;
		switch (m) {
		case CS_PLATE:
			c->plate = v;
			c->plate_len = vn;
			break;
		case CS_MUNICIPALITY:
			c->municipality = v;
			break;
		case CS_AT:
			c->at = v;
			c->at_len = vn;
			break;
		default:
			c->country = v;
			break;
		}
	} while (cs_take(s, ','));
	return cs_take(s, '}') && (seen & (CS_PLATE | CS_MUNICIPALITY)) ==
	    (CS_PLATE | CS_MUNICIPALITY);
}

/* End a string in place: its closing quote (it holds no other) becomes a NUL. */
static void
cs_end(const char *str)
{
	if (str != NULL)
		*(char *)(str + strcspn(str, "\"")) = '\0';
}

size_t
zes_checks_scan(char *buf, size_t len, struct zes_check_text *out, size_t max)
{
	struct cs	 s = { buf, buf + len };
	const char	*k;
	size_t		 kn, n = 0, i;

	if (!cs_take(&s, '{') || !cs_string(&s, &k, &kn) || kn != 6 ||
	    memcmp(k, "checks", 6) != 0 || !cs_take(&s, ':') ||
	    !cs_take(&s, '['))
		return 0;
	do {
		if (n == max || !cs_check(&s, &out[n]))
			return 0;
		n++;
	} while (cs_take(&s, ','));
	if (!cs_take(&s, ']') || !cs_take(&s, '}'))
		return 0;
	cs_ws(&s);
	if (s.p != s.end)
		return 0;
	/* Accepted: only now is buf changed. */
	for (i = 0; i < n; i++) {
		cs_end(out[i].plate);
		cs_end(out[i].municipality);
		cs_end(out[i].at);
		cs_end(out[i].country);
	}
	return n;
}
