/* Keyset cursors and UUID text (include/zes/cursor.h). */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "zes/cursor.h"
#include "zes/xmalloc.h"

/* 1 when s is a UUID in its 8-4-4-4-12 hexadecimal form. */
int
zes_uuid_valid(const char *s)
{
	size_t	i;

	if (s == NULL || strlen(s) != ZES_UUID_LEN)
		return 0;
	for (i = 0; i < ZES_UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	}
	return 1;
}

/* Read "<tag><decimal>.<uuid>". */
int
zes_cursor_parse(const char *s, char tag, struct zes_cursor *c)
{
	const char	*dot, *errstr;
	char		 num[24];
	long long	 at;
	size_t		 n;

	if (s == NULL || s[0] != tag || (dot = strchr(s, '.')) == NULL)
		return -1;
	n = (size_t)(dot - s - 1);
	if (n == 0 || n >= sizeof(num) || !zes_uuid_valid(dot + 1))
		return -1;
	memcpy(num, s + 1, n);
	num[n] = '\0';
	if (zes_strtonum(num, LLONG_MIN, LLONG_MAX, &at, &errstr) != 0)
		return -1;
	c->at = at;
	memcpy(c->id, dot + 1, ZES_UUID_LEN + 1);
	return 0;
}

/* Write "<tag><at>.<id>" when it reads back. */
int
zes_cursor_format(char *buf, size_t size, char tag, const char *at, const char *id)
{
	struct zes_cursor	c;
	int			n;

	if (size == 0)
		return -1;
	n = snprintf(buf, size, "%c%s.%s", tag, at, id);
	if (n < 0 || (size_t)n >= size || zes_cursor_parse(buf, tag, &c) != 0) {
		buf[0] = '\0';
		return -1;
	}
	return 0;
}
