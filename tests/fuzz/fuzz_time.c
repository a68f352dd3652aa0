/*
 * Fuzz the date and time parsers (daemon/core/period.c:
 * zes_time_parse_rfc3339, zes_date_parse, zes_date_parse_compact).
 *
 * Input: the text, read from a buffer of exactly its size (no NUL after
 * it, so a read past the end is an ASan finding).
 *
 * Invariants: a refused text leaves the result untouched.  An accepted
 * RFC 3339 instant is written with a year period.h allows and lies within
 * a day of those years (in UTC and in Europe/Amsterdam), prints
 * (zes_time_format_utc) as a text that parses to the same instant (or,
 * when its UTC year is outside those years, is refused), and
 * when the input was already of that form ("YYYY-MM-DDTHH:MM:SSZ", any
 * case of T and Z) prints as the input upper-cased.  An accepted date
 * prints as exactly the input; an accepted compact date as the input with
 * the dashes added.
 */
#include <stdlib.h>
#include <string.h>

#include "zes/period.h"
#include "zes/xmalloc.h"

#include "fuzz.h"

#define TIME_SENTINEL	((int64_t)0x5a5a5a5a5a5a5a5all)

/* The instant of the first second of year y, UTC. */
static int64_t
time_year_start(int y)
{
	return zes_date_from_ymd(y, 1, 1) * ZES_SECONDS_PER_DAY;
}

/* The RFC 3339 parser. */
static void
time_rfc3339(const char *s, size_t len)
{
	char	out[ZES_TIME_TEXT_LEN + 1], up[ZES_TIME_TEXT_LEN + 1];
	int64_t	t = TIME_SENTINEL, t2 = TIME_SENTINEL, day;
	int	y, m, d;
	size_t	i;

	if (zes_time_parse_rfc3339(s, len, &t) == -1) {
		FUZZ_ASSERT(t == TIME_SENTINEL);
		return;
	}
	/*
	 * The year as written (the date of the text's own offset) is in
	 * range, so the instant lies within a day of those years, and so
	 * does its day in Europe/Amsterdam.
	 */
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	FUZZ_ASSERT(y >= ZES_DATE_YEAR_MIN && y <= ZES_DATE_YEAR_MAX);
	FUZZ_ASSERT(t >= time_year_start(ZES_DATE_YEAR_MIN) -
	    ZES_SECONDS_PER_DAY && t < time_year_start(ZES_DATE_YEAR_MAX + 1) +
	    ZES_SECONDS_PER_DAY);
	day = zes_time_local_day(t);
	zes_date_to_ymd(day, &y, &m, &d);
	FUZZ_ASSERT(y >= ZES_DATE_YEAR_MIN - 1 && y <= ZES_DATE_YEAR_MAX + 1);

	zes_time_format_utc(t, out);
	FUZZ_ASSERT(strlen(out) == ZES_TIME_TEXT_LEN);
	/* It parses back, unless the UTC date falls outside the years. */
	y = (out[0] - '0') * 1000 + (out[1] - '0') * 100 +
	    (out[2] - '0') * 10 + (out[3] - '0');
	if (y >= ZES_DATE_YEAR_MIN && y <= ZES_DATE_YEAR_MAX) {
		FUZZ_ASSERT(zes_time_parse_rfc3339(out, strlen(out), &t2) == 0);
		FUZZ_ASSERT(t2 == t);
	} else
		FUZZ_ASSERT(zes_time_parse_rfc3339(out, strlen(out), &t2) == -1);
	if (len == ZES_TIME_TEXT_LEN && (s[19] == 'Z' || s[19] == 'z')) {
		for (i = 0; i < len; i++)
			up[i] = s[i] == 't' ? 'T' : s[i] == 'z' ? 'Z' : s[i];
		up[len] = '\0';
		FUZZ_ASSERT(strcmp(up, out) == 0);
	}
}

/* The two date parsers. */
static void
time_dates(const char *s, size_t len)
{
	char	out[ZES_DATE_TEXT_LEN + 1], compact[9];
	int64_t	day = TIME_SENTINEL;

	if (zes_date_parse(s, len, &day) == 0) {
		zes_date_format(day, out);
		FUZZ_ASSERT(len == ZES_DATE_TEXT_LEN &&
		    memcmp(out, s, len) == 0);
	} else
		FUZZ_ASSERT(day == TIME_SENTINEL);

	day = TIME_SENTINEL;
	if (zes_date_parse_compact(s, len, &day) == 0) {
		zes_date_format(day, out);
		memcpy(compact, out, 4);
		memcpy(compact + 4, out + 5, 2);
		memcpy(compact + 6, out + 8, 2);
		compact[8] = '\0';
		FUZZ_ASSERT(len == 8 && memcmp(compact, s, 8) == 0);
	} else
		FUZZ_ASSERT(day == TIME_SENTINEL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s;

	s = xmalloc(size > 0 ? size : 1);
	if (size > 0)
		memcpy(s, data, size);
	time_rfc3339(s, size);
	time_dates(s, size);
	free(s);
	return 0;
}
