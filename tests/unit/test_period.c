/*
 * Unit tests for core/period.c: day numbers against counting and libc's
 * timegm(), strict date and RFC 3339 parsing, month arithmetic, every DST
 * transition 2024-2030, the boundaries of DOMAIN.md section 3, and the
 * computed Europe/Amsterdam offsets against the system's tzdata.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "zes/period.h"

#define DAY	((int64_t)ZES_SECONDS_PER_DAY)

/* Leap year and month lengths, written apart from the code under test. */
static int
t_days_in_month(int y, int m)
{
	static const int	len[13] = {
		0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	int			leap;

	leap = y % 400 == 0 ? 1 : y % 100 == 0 ? 0 : y % 4 == 0;
	return m == 2 ? 28 + leap : len[m];
}

/* Day number of y-m-d through libc, an independent computation. */
static int64_t
t_timegm_day(int y, int m, int d)
{
	struct tm	tm;
	int64_t		t;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	t = (int64_t)timegm(&tm);
	assert_int_equal(t % DAY, 0);
	return t / DAY;
}

/* Parse a date the test knows to be good. */
static int64_t
t_day(const char *s)
{
	int64_t	day = 0;

	if (zes_date_parse(s, strlen(s), &day) != 0)
		fail_msg("date %s refused", s);
	return day;
}

/* Format an instant for comparison. */
static const char *
t_utc(int64_t t, char out[ZES_TIME_TEXT_LEN + 1])
{
	zes_time_format_utc(t, out);
	return out;
}

/*
 * Every day 1900-2200, counted one by one from 1900-01-01 (day -25567, a
 * Monday): day number, its inverse, weekday, validity, text both ways and
 * libc's timegm() agree.  The count must pass 0 on 1970-01-01.
 */
static void
test_day_numbers_1900_2200(void **state)
{
	char	text[ZES_DATE_TEXT_LEN + 1], want[40], compact[40];
	int64_t	n = -25567, parsed;
	int	y, m, d, yy, mm, dd, dim, wd = 1;

	(void)state;
	for (y = ZES_DATE_YEAR_MIN; y <= ZES_DATE_YEAR_MAX; y++) {
		for (m = 1; m <= 12; m++) {
			dim = t_days_in_month(y, m);
			assert_int_equal(zes_date_days_in_month(y, m), dim);
			assert_false(zes_date_valid(y, m, 0));
			assert_false(zes_date_valid(y, m, dim + 1));
			for (d = 1; d <= dim; d++, n++, wd = wd % 7 + 1) {
				if (y == 1970 && m == 1 && d == 1)
					assert_int_equal(n, 0);
				if (zes_date_from_ymd(y, m, d) != n)
					fail_msg("%04d-%02d-%02d: %" PRId64
					    ", want %" PRId64, y, m, d,
					    zes_date_from_ymd(y, m, d), n);
				assert_int_equal(t_timegm_day(y, m, d), n);
				zes_date_to_ymd(n, &yy, &mm, &dd);
				if (yy != y || mm != m || dd != d)
					fail_msg("day %" PRId64 ": %d-%d-%d",
					    n, yy, mm, dd);
				assert_int_equal(zes_date_weekday(n), wd);
				assert_true(zes_date_valid(y, m, d));
				zes_date_format(n, text);
				(void)snprintf(want, sizeof(want),
				    "%04d-%02d-%02d", y, m, d);
				assert_string_equal(text, want);
				parsed = INT64_MIN;
				assert_int_equal(zes_date_parse(text, 10,
				    &parsed), 0);
				assert_int_equal(parsed, n);
				(void)snprintf(compact, sizeof(compact),
				    "%04d%02d%02d", y, m, d);
				parsed = INT64_MIN;
				assert_int_equal(zes_date_parse_compact(compact,
				    8, &parsed), 0);
				assert_int_equal(parsed, n);
			}
		}
		assert_int_equal(zes_date_leap(y),
		    t_days_in_month(y, 2) == 29);
	}
	/* 2201-01-01 by the count. */
	assert_int_equal(n, 84371);
	assert_int_equal(zes_date_from_ymd(2201, 1, 1), n);
}

/* The arithmetic beyond the parsed years: 0000-01-01 to 9999-12-31. */
static void
test_day_numbers_0_9999(void **state)
{
	int64_t	n = -719528;
	int	y, m, d, yy, mm, dd, dim;

	(void)state;
	for (y = 0; y <= 9999; y++) {
		for (m = 1; m <= 12; m++) {
			dim = t_days_in_month(y, m);
			for (d = 1; d <= dim; d++, n++) {
				if (zes_date_from_ymd(y, m, d) != n)
					fail_msg("%04d-%02d-%02d", y, m, d);
				zes_date_to_ymd(n, &yy, &mm, &dd);
				if (yy != y || mm != m || dd != d)
					fail_msg("day %" PRId64, n);
			}
		}
	}
	assert_int_equal(n, 2932897);		/* 10000-01-01 */
	assert_int_equal(zes_date_weekday(-719528), 6);	/* a Saturday */
	assert_int_equal(zes_date_weekday(-1), 3);
	assert_int_equal(zes_date_weekday(0), 4);
}

/* Strict YYYY-MM-DD and yyyymmdd: good ones, and every bad shape. */
static void
test_date_parse(void **state)
{
	static const char *const good[] = {
		"1900-01-01", "2200-12-31", "2024-02-29", "2000-02-29",
		"1970-01-01", "2026-12-31", "1999-12-31", "2025-01-01",
	};
	static const char *const bad[] = {
		"2025-02-29", "2024-02-30", "1900-02-29", "2100-02-29",
		"2025-04-31", "2025-06-31", "2025-09-31", "2025-11-31",
		"2025-13-01", "2025-00-10", "2025-01-00", "2025-01-32",
		"1899-12-31", "2201-01-01", "0000-01-01", "9999-12-31",
		"2025-1-01", "2025-01-1", "25-01-01", "2025/01/01",
		"20250101", "2025-01-01 ", " 2025-01-01", "2025-01-01T",
		"+025-01-01", "-025-01-01", "2025-01-0a", "2025-0a-01",
		"2025-01--1", "2025--1-01", "2025-01-01T00:00:00Z",
		"", "2025-01", "2025.01.01", "2025-01-+1", "202５-01-01",
	};
	static const char *const bad_compact[] = {
		"20250229", "20240230", "19000229", "18991231", "22010101",
		"2024022", "202402290", "2024-02-", "2024-2-1", " 2024022",
		"2024022a", "+2024022", "20241301", "20240100", "",
		"0000101", "-2024022",
	};
	int64_t	day;
	size_t	i;

	(void)state;
	for (i = 0; i < ZES_NELEM(good); i++) {
		day = INT64_MIN;
		if (zes_date_parse(good[i], strlen(good[i]), &day) != 0)
			fail_msg("refused %s", good[i]);
		assert_int_not_equal(day, INT64_MIN);
	}
	for (i = 0; i < ZES_NELEM(bad); i++) {
		day = 42;
		if (zes_date_parse(bad[i], strlen(bad[i]), &day) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(day, 42);
	}
	for (i = 0; i < ZES_NELEM(bad_compact); i++) {
		day = 42;
		if (zes_date_parse_compact(bad_compact[i],
		    strlen(bad_compact[i]), &day) != -1)
			fail_msg("accepted compact \"%s\"", bad_compact[i]);
		assert_int_equal(day, 42);
	}
	/* len bounds the text: no NUL needed, trailing bytes unread. */
	assert_int_equal(zes_date_parse("2025-01-015", 10, &day), 0);
	assert_int_equal(day, zes_date_from_ymd(2025, 1, 1));
	assert_int_equal(zes_date_parse("2025-01-01", 9, &day), -1);
	assert_int_equal(zes_date_parse("2025-01-01\0", 11, &day), -1);
	assert_int_equal(zes_date_parse("2025-01\0-01", 10, &day), -1);
	assert_int_equal(zes_date_parse(NULL, 10, &day), -1);
	assert_int_equal(zes_date_parse_compact("202401019", 8, &day), 0);
	assert_int_equal(day, zes_date_from_ymd(2024, 1, 1));
	assert_int_equal(zes_date_parse_compact("19000101", 8, &day), 0);
	assert_int_equal(day, -25567);
	assert_int_equal(zes_date_parse_compact(NULL, 8, &day), -1);
	/* Valid but outside the parsed years: the arithmetic still works. */
	assert_true(zes_date_valid(1600, 2, 29));
	assert_false(zes_date_valid(1700, 2, 29));
	assert_false(zes_date_valid(2025, 0, 1));
	assert_false(zes_date_valid(2025, 13, 1));
	assert_int_equal(zes_date_days_in_month(2025, 0), 0);
	assert_int_equal(zes_date_days_in_month(2025, 13), 0);
}

/* Formatting outside the parsed years, and around the epoch. */
static void
test_date_format(void **state)
{
	char	out[ZES_DATE_TEXT_LEN + 1];

	(void)state;
	zes_date_format(0, out);
	assert_string_equal(out, "1970-01-01");
	zes_date_format(-1, out);
	assert_string_equal(out, "1969-12-31");
	zes_date_format(-719528, out);
	assert_string_equal(out, "0000-01-01");
	zes_date_format(2932896, out);
	assert_string_equal(out, "9999-12-31");
	zes_date_format(20819, out);
	assert_string_equal(out, "2027-01-01");
}

/* add_months and add_years: clamping, both directions, across years. */
static void
test_add_months(void **state)
{
	static const struct {
		const char	*from;
		int		 n;
		const char	*want;
	} cases[] = {
		{ "2025-01-31",	1,	"2025-02-28" },
		{ "2024-01-31",	1,	"2024-02-29" },
		{ "2025-03-31",	-1,	"2025-02-28" },
		{ "2024-03-31",	-1,	"2024-02-29" },
		{ "2025-12-15",	1,	"2026-01-15" },
		{ "2025-12-31",	2,	"2026-02-28" },
		{ "2026-01-15",	-1,	"2025-12-15" },
		{ "2025-01-01",	-1,	"2024-12-01" },
		{ "2025-05-31",	1,	"2025-06-30" },
		{ "2025-08-31",	-6,	"2025-02-28" },
		{ "2025-10-31",	-8,	"2025-02-28" },
		{ "2026-12-01",	12,	"2027-12-01" },
		{ "2026-12-01",	6,	"2027-06-01" },
		{ "2025-01-31",	13,	"2026-02-28" },
		{ "2025-01-31",	-13,	"2023-12-31" },
		{ "2024-02-29",	12,	"2025-02-28" },
		{ "2024-02-29",	48,	"2028-02-29" },
		{ "2024-02-29",	-24,	"2022-02-28" },
		{ "2099-12-31",	2,	"2100-02-28" },
		{ "2000-01-30",	1,	"2000-02-29" },
		{ "2026-06-15",	0,	"2026-06-15" },
		{ "2026-06-15",	-1200,	"1926-06-15" },
		{ "1900-01-01",	-1,	"1899-12-01" },
		{ "2026-06-30",	1,	"2026-07-30" },
		{ "2026-07-31",	1,	"2026-08-31" },
	};
	static const struct {
		const char	*from;
		int		 n;
		const char	*want;
	} years[] = {
		{ "2024-02-29",	1,	"2025-02-28" },
		{ "2024-02-29",	4,	"2028-02-29" },
		{ "2024-02-29",	-1,	"2023-02-28" },
		{ "2096-02-29",	4,	"2100-02-28" },
		{ "2025-06-15",	5,	"2030-06-15" },
		{ "2017-01-01",	13,	"2030-01-01" },
		{ "1985-03-10",	40,	"2025-03-10" },
		{ "2026-12-31",	0,	"2026-12-31" },
		{ "2026-12-31",	-100,	"1926-12-31" },
	};
	char	out[ZES_DATE_TEXT_LEN + 1];
	size_t	i;

	(void)state;
	for (i = 0; i < ZES_NELEM(cases); i++) {
		zes_date_format(zes_date_add_months(t_day(cases[i].from),
		    cases[i].n), out);
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("%s %+d months: %s, want %s", cases[i].from,
			    cases[i].n, out, cases[i].want);
	}
	for (i = 0; i < ZES_NELEM(years); i++) {
		zes_date_format(zes_date_add_years(t_day(years[i].from),
		    years[i].n), out);
		if (strcmp(out, years[i].want) != 0)
			fail_msg("%s %+d years: %s, want %s", years[i].from,
			    years[i].n, out, years[i].want);
	}
}

/*
 * add_months over every day of 2000-2030 and n from -30 to 30: the target
 * month is m + n, the day min(d, its length), computed here with plain
 * integer arithmetic and t_days_in_month.
 */
static void
test_add_months_property(void **state)
{
	int64_t	day, first, last;
	int	y, m, d, n, ty, tm, ry, rm, rd, total, dim;

	(void)state;
	first = zes_date_from_ymd(2000, 1, 1);
	last = zes_date_from_ymd(2030, 12, 31);
	for (day = first; day <= last; day++) {
		zes_date_to_ymd(day, &y, &m, &d);
		for (n = -30; n <= 30; n++) {
			total = y * 12 + (m - 1) + n;
			ty = total / 12;
			tm = total % 12 + 1;
			dim = t_days_in_month(ty, tm);
			zes_date_to_ymd(zes_date_add_months(day, n), &ry, &rm,
			    &rd);
			if (ry != ty || rm != tm || rd != (d < dim ? d : dim))
				fail_msg("%d-%d-%d %+d: %d-%d-%d", y, m, d, n,
				    ry, rm, rd);
		}
	}
}

/*
 * Every DST transition 2024-2030 (instants from Python's zoneinfo): the
 * offset a second before, at and after; the local day of instants around
 * 00:00 local that day; the day's length; local midnight.
 */
static void
test_dst_transitions(void **state)
{
	static const struct {
		const char	*date;
		int64_t		 at;	/* 01:00 UTC that day */
		int		 summer;	/* 1: into CEST */
	} tr[] = {
		{ "2024-03-31",	1711846800,	1 },
		{ "2024-10-27",	1729990800,	0 },
		{ "2025-03-30",	1743296400,	1 },
		{ "2025-10-26",	1761440400,	0 },
		{ "2026-03-29",	1774746000,	1 },
		{ "2026-10-25",	1792890000,	0 },
		{ "2027-03-28",	1806195600,	1 },
		{ "2027-10-31",	1824944400,	0 },
		{ "2028-03-26",	1837645200,	1 },
		{ "2028-10-29",	1856394000,	0 },
		{ "2029-03-25",	1869094800,	1 },
		{ "2029-10-28",	1887843600,	0 },
		{ "2030-03-31",	1901149200,	1 },
		{ "2030-10-27",	1919293200,	0 },
	};
	int64_t	day, mid, t;
	int	before, after;
	size_t	i;

	(void)state;
	for (i = 0; i < ZES_NELEM(tr); i++) {
		day = t_day(tr[i].date);
		t = tr[i].at;
		assert_int_equal(t, day * DAY + 3600);
		assert_int_equal(zes_date_weekday(day), 7);
		before = tr[i].summer ? ZES_TIME_CET : ZES_TIME_CEST;
		after = tr[i].summer ? ZES_TIME_CEST : ZES_TIME_CET;
		assert_int_equal(zes_time_utc_offset(t - 3600), before);
		assert_int_equal(zes_time_utc_offset(t - 1), before);
		assert_int_equal(zes_time_utc_offset(t), after);
		assert_int_equal(zes_time_utc_offset(t + 1), after);
		assert_int_equal(zes_time_utc_offset(t + 3600), after);
		/* The transition itself lies inside its local day. */
		assert_int_equal(zes_time_local_day(t - 1), day);
		assert_int_equal(zes_time_local_day(t), day);
		assert_int_equal(zes_time_local_day(t + 1), day);
		/* Midnight is before the change: the old offset. */
		mid = zes_time_local_midnight(day);
		assert_int_equal(mid, day * DAY - before);
		assert_int_equal(zes_time_local_day(mid - 1), day - 1);
		assert_int_equal(zes_time_local_day(mid), day);
		assert_int_equal(zes_time_local_day(mid + 1), day);
		/* The next midnight has the new offset; 23 or 25 hours. */
		assert_int_equal(zes_time_local_midnight(day + 1),
		    (day + 1) * DAY - after);
		assert_int_equal(zes_time_local_midnight(day + 1) - mid,
		    tr[i].summer ? 23 * 3600 : 25 * 3600);
		assert_int_equal(zes_time_local_day(
		    zes_time_local_midnight(day + 1) - 1), day);
		assert_int_equal(zes_period_day_end(day),
		    zes_time_local_midnight(day + 1));
	}
}

/* The examples of API.md and the brief, as text. */
static void
test_local_midnight_examples(void **state)
{
	static const struct {
		const char	*day;
		const char	*midnight;	/* 00:00 local, in UTC */
		const char	*end;		/* end of the day, in UTC */
	} cases[] = {
		{ "2026-03-29", "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z" },
		{ "2026-10-25", "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z" },
		{ "2026-03-28", "2026-03-27T23:00:00Z", "2026-03-28T23:00:00Z" },
		{ "2026-10-24", "2026-10-23T22:00:00Z", "2026-10-24T22:00:00Z" },
		{ "2026-12-31", "2026-12-30T23:00:00Z", "2026-12-31T23:00:00Z" },
		{ "2027-01-01", "2026-12-31T23:00:00Z", "2027-01-01T23:00:00Z" },
		{ "2028-01-01", "2027-12-31T23:00:00Z", "2028-01-01T23:00:00Z" },
		{ "2029-01-01", "2028-12-31T23:00:00Z", "2029-01-01T23:00:00Z" },
		{ "2030-01-01", "2029-12-31T23:00:00Z", "2030-01-01T23:00:00Z" },
		{ "2025-01-01", "2024-12-31T23:00:00Z", "2025-01-01T23:00:00Z" },
		{ "2026-07-01", "2026-06-30T22:00:00Z", "2026-07-01T22:00:00Z" },
		{ "2024-02-29", "2024-02-28T23:00:00Z", "2024-02-29T23:00:00Z" },
		{ "1970-01-01", "1969-12-31T23:00:00Z", "1970-01-01T23:00:00Z" },
	};
	char	buf[ZES_TIME_TEXT_LEN + 1];
	size_t	i;

	(void)state;
	for (i = 0; i < ZES_NELEM(cases); i++) {
		assert_string_equal(t_utc(zes_time_local_midnight(
		    t_day(cases[i].day)), buf), cases[i].midnight);
		assert_string_equal(t_utc(zes_period_day_end(
		    t_day(cases[i].day)), buf), cases[i].end);
	}
}

/*
 * DOMAIN.md sections 2 and 3: "access while t < 2027-01-01" with t in local
 * time; a last day of 2026-12-31 ends at 2026-12-31T23:00:00Z (API.md).
 */
static void
test_domain_boundaries(void **state)
{
	static const char *const cutoffs[] = {
		"2027-01-01", "2028-01-01", "2029-01-01", "2030-01-01",
	};
	int64_t	cut, end;
	size_t	i;
	int	y, m, d;

	(void)state;
	assert_int_equal(zes_period_day_end(t_day("2026-12-31")), 1798758000);
	for (i = 0; i < ZES_NELEM(cutoffs); i++) {
		cut = zes_time_local_midnight(t_day(cutoffs[i]));
		end = zes_period_day_end(t_day(cutoffs[i]) - 1);
		assert_int_equal(cut, end);
		assert_int_equal(cut % DAY, DAY - 3600);	/* 23:00Z */
		assert_int_equal(zes_time_local_day(cut - 1),
		    t_day(cutoffs[i]) - 1);
		assert_int_equal(zes_time_local_day(cut), t_day(cutoffs[i]));
		zes_date_to_ymd(zes_time_local_day(cut - 1), &y, &m, &d);
		assert_int_equal(m * 100 + d, 1231);
	}
}

/* Local midnight and local day agree on every day 2020-2035. */
static void
test_local_day_consistency(void **state)
{
	int64_t	day, mid;
	int	off;

	(void)state;
	for (day = zes_date_from_ymd(2020, 1, 1);
	    day <= zes_date_from_ymd(2035, 12, 31); day++) {
		mid = zes_time_local_midnight(day);
		off = zes_time_utc_offset(mid);
		assert_true(off == ZES_TIME_CET || off == ZES_TIME_CEST);
		assert_int_equal(mid + off, day * DAY);
		assert_int_equal(zes_time_local_day(mid), day);
		assert_int_equal(zes_time_local_day(mid - 1), day - 1);
		assert_int_equal(zes_time_local_day(mid + 12 * 3600), day);
	}
	/* Winter and summer, and negative instants before the epoch. */
	assert_int_equal(zes_time_utc_offset(0), ZES_TIME_CET);
	assert_int_equal(zes_time_utc_offset(-1), ZES_TIME_CET);
	assert_int_equal(zes_time_local_day(-3601), -1);
	assert_int_equal(zes_time_local_day(-3600), 0);
	assert_int_equal(zes_time_local_day(-DAY - 3601), -2);
	assert_int_equal(zes_time_utc_offset(1780315200), ZES_TIME_CEST);
}

/*
 * The computed rule against the system's Europe/Amsterdam tzdata, every
 * hour and the second before it, 1996-2100 (glibc extends the zone's last
 * rule past 2037).  Also shows the module ignores TZ.
 */
static void
test_against_tzdata(void **state)
{
	static const char	*zone = "/usr/share/zoneinfo/Europe/Amsterdam";
	struct tm		 tm;
	int64_t			 t, start, end, day, k;
	char			*old;
	time_t			 tt;

	(void)state;
	/* scripts/test.sh installs tzdata; without it this comparison cannot run. */
	if (access(zone, R_OK) != 0)
		fail_msg("%s is missing: install tzdata", zone);
	old = getenv("TZ");
	old = old != NULL ? strdup(old) : NULL;
	assert_int_equal(setenv("TZ", "Europe/Amsterdam", 1), 0);
	tzset();
	start = zes_date_from_ymd(1996, 1, 1) * DAY;
	end = zes_date_from_ymd(2101, 1, 1) * DAY;
	for (t = start; t < end; t += 3600) {
		for (k = -1; k <= 0; k++) {
			tt = (time_t)(t + k);
			assert_non_null(localtime_r(&tt, &tm));
			if (zes_time_utc_offset(t + k) != tm.tm_gmtoff)
				fail_msg("%" PRId64 ": offset %d, tzdata %ld",
				    t + k, zes_time_utc_offset(t + k),
				    tm.tm_gmtoff);
			day = zes_date_from_ymd(tm.tm_year + 1900,
			    tm.tm_mon + 1, tm.tm_mday);
			if (zes_time_local_day(t + k) != day)
				fail_msg("%" PRId64 ": local day", t + k);
			if (tm.tm_hour == 0 && tm.tm_min == 0 &&
			    tm.tm_sec == 0)
				assert_int_equal(zes_time_local_midnight(day),
				    t + k);
		}
	}
	/* Another TZ changes nothing: the module never reads it. */
	assert_int_equal(setenv("TZ", "America/New_York", 1), 0);
	tzset();
	assert_int_equal(zes_time_utc_offset(1780315200), ZES_TIME_CEST);
	assert_int_equal(zes_time_local_midnight(t_day("2027-01-01")),
	    1798758000);
	if (old != NULL) {
		assert_int_equal(setenv("TZ", old, 1), 0);
		free(old);
	} else
		assert_int_equal(unsetenv("TZ"), 0);
	tzset();
}

/* RFC 3339 instants that parse, with the instant (from Python). */
static void
test_rfc3339_good(void **state)
{
	static const struct {
		const char	*s;
		int64_t		 t;
	} cases[] = {
		{ "2026-12-31T23:00:00Z",		1798758000 },
		{ "2027-01-01T00:00:00+01:00",		1798758000 },
		{ "2026-12-31t23:00:00z",		1798758000 },
		{ "2026-12-31T18:00:00-05:00",		1798758000 },
		{ "2026-06-01T12:00:00Z",		1780315200 },
		{ "2026-06-01T12:00:00-05:30",		1780335000 },
		{ "2026-06-01T12:00:00+14:00",		1780264800 },
		{ "2026-06-01T12:00:00+00:00",		1780315200 },
		{ "2026-06-01T12:00:00-00:00",		1780315200 },
		{ "2026-06-01T12:00:00.0Z",		1780315200 },
		{ "2026-06-01T12:00:00.999999999Z",	1780315200 },
		{ "2026-06-01T12:00:00.5-05:30",	1780335000 },
		{ "2026-06-01T12:00:00.000001+14:00",	1780264800 },
		{ "2026-06-01T12:00:00."
		  "99999999999999999999999999999999999999999999999999Z",
		  1780315200 },
		{ "2024-02-29T12:00:00Z",		1709208000 },
		{ "2026-03-29T03:00:00+02:00",		1774746000 },
		{ "2026-03-29T01:59:59.9+01:00",	1774745999 },
		{ "2026-10-25T02:30:00+01:00",		1792891800 },
		{ "2026-10-25T02:30:00+02:00",		1792888200 },
		{ "1970-01-01T00:00:00Z",		0 },
		/* Floor before the epoch: -0.5 s is still second -1. */
		{ "1969-12-31T23:59:59.5Z",		-1 },
		{ "1969-12-31T23:59:59.999-00:00",	-1 },
		{ "1970-01-01T00:00:00.5+00:30",	-1800 },
		{ "1969-12-31T18:59:59.25-05:00",	-1 },
		{ "1970-01-01T00:59:59.75+01:00",	-1 },
		{ "1900-01-01T00:00:00+23:59",		-2209075140 },
		{ "2200-12-31T23:59:59-23:59",		7289740739 },
	};
	int64_t	t;
	size_t	i;

	(void)state;
	for (i = 0; i < ZES_NELEM(cases); i++) {
		t = INT64_MIN;
		if (zes_time_parse_rfc3339(cases[i].s, strlen(cases[i].s),
		    &t) != 0)
			fail_msg("refused %s", cases[i].s);
		if (t != cases[i].t)
			fail_msg("%s: %" PRId64 ", want %" PRId64, cases[i].s,
			    t, cases[i].t);
	}
	/* len bounds the text. */
	assert_int_equal(zes_time_parse_rfc3339("1970-01-01T00:00:00Zjunk",
	    20, &t), 0);
	assert_int_equal(t, 0);
}

/* A date or an instant: which one it was, and nothing else accepted. */
static void
test_day_or_instant(void **state)
{
	static const char *const bad[] = {
		"", "2026-06-01T12:00:00", "2026-02-30", "2026-6-1", "20260601",
		"2026-06-01 ", "2026-06-01T12:00:00Zx", "now",
	};
	int64_t	day = 7, t = 7;
	size_t	i;

	(void)state;
	assert_int_equal(zes_time_parse_day_or_instant("2026-06-01", 10,
	    &day, &t), 1);
	assert_int_equal(day, zes_date_from_ymd(2026, 6, 1));
	assert_int_equal(t, 7);
	day = 7;
	assert_int_equal(zes_time_parse_day_or_instant("2026-06-01T12:00:00Z",
	    20, &day, &t), 0);
	assert_int_equal(t, 1780315200);
	assert_int_equal(day, 7);
	for (i = 0; i < ZES_NELEM(bad); i++) {
		day = t = 7;
		if (zes_time_parse_day_or_instant(bad[i], strlen(bad[i]), &day,
		    &t) != -1 || day != 7 || t != 7)
			fail_msg("accepted \"%s\"", bad[i]);
	}
}

/* Every malformed shape is refused and leaves *t alone. */
static void
test_rfc3339_bad(void **state)
{
	static const char *const bad[] = {
		"2026-06-01T12:00:00",			/* no offset */
		"2026-06-01T12:00:00.5",
		"2026-06-01 12:00:00Z",			/* space for T */
		"2026-06-01_12:00:00Z",
		"2026-06-01T24:00:00Z",
		"2026-06-01T12:60:00Z",
		"2026-06-01T12:00:60Z",
		"2016-12-31T23:59:60Z",			/* a real leap second */
		"2026-06-01T12:00:61Z",
		"2025-02-30T00:00:00Z",
		"2025-02-29T00:00:00Z",
		"2025-13-01T00:00:00Z",
		"2025-00-01T00:00:00Z",
		"2025-01-00T00:00:00Z",
		"1899-12-31T23:00:00Z",
		"2201-01-01T00:00:00Z",
		"2026-06-01T12:00Z",			/* no seconds */
		"2026-06-01T12:00:0Z",
		"2026-06-01T1:00:00Z",
		"2026-6-01T12:00:00Z",
		"2026-06-01T-1:00:00Z",
		"2026-06-01T12:-1:00Z",
		"2026-06-01T12:00:00.Z",		/* empty fraction */
		"2026-06-01T12:00:00.",
		"2026-06-01T12:00:00,5Z",
		"2026-06-01T12:00:00.5.5Z",
		"2026-06-01T12:00:00.123aZ",
		"2026-06-01T12:00:00+0100",
		"2026-06-01T12:00:00+01",
		"2026-06-01T12:00:00+1:00",
		"2026-06-01T12:00:00+01:0",
		"2026-06-01T12:00:00+01:000",
		"2026-06-01T12:00:00+24:00",
		"2026-06-01T12:00:00+01:60",
		"2026-06-01T12:00:00+01-00",
		"2026-06-01T12:00:00 +01:00",
		"2026-06-01T12:00:00Z ",
		" 2026-06-01T12:00:00Z",
		"2026-06-01T12:00:00ZZ",
		"2026-06-01T12:00:00+01:00Z",
		"2026-06-01T12:00:00Z+01:00",
		"2026-06-01T12:00:00UTC",
		"2026-06-01T12:00:00GMT",
		"2026-06-01T12:00:00z0",
		"2026-06-01T12:00:00*01:00",
		"2026-06-01T12:00:00.5-05:30x",
		"2026-06-01T12:00:00.5+",
		"2026-06-01",
		"2026-06-01T",
		"+2026-06-01T12:00:00Z",
		"20260601T120000Z",
		"2026-06-01T12.00.00Z",
		"2026-06-01T12:00:00ÅZ",
		"",
	};
	int64_t	t;
	size_t	i;

	(void)state;
	for (i = 0; i < ZES_NELEM(bad); i++) {
		t = 42;
		if (zes_time_parse_rfc3339(bad[i], strlen(bad[i]), &t) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(t, 42);
	}
	/* NULs inside len, and NULL. */
	assert_int_equal(zes_time_parse_rfc3339("2026-06-01T12:00:00Z\0", 21,
	    &t), -1);
	assert_int_equal(zes_time_parse_rfc3339("2026-06-01T12:00:00\0Z", 21,
	    &t), -1);
	assert_int_equal(zes_time_parse_rfc3339("2026-06-01T12:00:00.\0Z",
	    22, &t), -1);
	assert_int_equal(zes_time_parse_rfc3339("2026-06-01T12:00:00Z", 19,
	    &t), -1);
	assert_int_equal(zes_time_parse_rfc3339(NULL, 20, &t), -1);
	assert_int_equal(t, 42);
}

/* UTC text of instants, against gmtime_r/strftime and back through the parser. */
static void
test_format_utc(void **state)
{
	char		buf[ZES_TIME_TEXT_LEN + 1], want[64];
	struct tm	tm;
	int64_t		t, back;
	time_t		tt;

	(void)state;
	assert_string_equal(t_utc(0, buf), "1970-01-01T00:00:00Z");
	assert_string_equal(t_utc(-1, buf), "1969-12-31T23:59:59Z");
	assert_string_equal(t_utc(1798758000, buf), "2026-12-31T23:00:00Z");
	assert_string_equal(t_utc(-2208988800, buf), "1900-01-01T00:00:00Z");
	assert_string_equal(t_utc(253402300799, buf), "9999-12-31T23:59:59Z");
	assert_string_equal(t_utc(-62167219200, buf), "0000-01-01T00:00:00Z");
	assert_int_equal(strlen(buf), ZES_TIME_TEXT_LEN);
	/* A prime step, so hours, minutes and seconds vary. */
	for (t = -2208988800; t < 7289740800; t += 9999991) {
		tt = (time_t)t;
		assert_non_null(gmtime_r(&tt, &tm));
		assert_int_not_equal(strftime(want, sizeof(want),
		    "%Y-%m-%dT%H:%M:%SZ", &tm), 0);
		assert_string_equal(t_utc(t, buf), want);
		back = INT64_MIN;
		assert_int_equal(zes_time_parse_rfc3339(buf, strlen(buf),
		    &back), 0);
		assert_int_equal(back, t);
	}
}

/* Half-open periods: contains, overlaps, and days as periods. */
static void
test_periods(void **state)
{
	struct zes_period	p, q, e;
	char			buf[ZES_TIME_TEXT_LEN + 1];

	(void)state;
	p = zes_period_days(t_day("2026-12-01"), t_day("2026-12-31"));
	assert_string_equal(t_utc(p.from, buf), "2026-11-30T23:00:00Z");
	assert_string_equal(t_utc(p.until, buf), "2026-12-31T23:00:00Z");
	assert_true(zes_period_contains(&p, p.from));
	assert_true(zes_period_contains(&p, p.until - 1));
	assert_false(zes_period_contains(&p, p.until));
	assert_false(zes_period_contains(&p, p.from - 1));

	/* A summer day is 24 hours from 22:00Z to 22:00Z. */
	q = zes_period_days(t_day("2026-07-01"), t_day("2026-07-01"));
	assert_string_equal(t_utc(q.from, buf), "2026-06-30T22:00:00Z");
	assert_int_equal(q.until - q.from, 24 * 3600);

	/* Touching periods share no instant; overlapping ones do. */
	q.from = p.until;
	q.until = p.until + 3600;
	assert_false(zes_period_overlaps(&p, &q));
	assert_false(zes_period_overlaps(&q, &p));
	q.from = p.until - 1;
	assert_true(zes_period_overlaps(&p, &q));
	assert_true(zes_period_overlaps(&q, &p));
	assert_true(zes_period_overlaps(&p, &p));
	q.from = p.from + 1;
	q.until = p.until - 1;
	assert_true(zes_period_overlaps(&p, &q));
	assert_true(zes_period_overlaps(&q, &p));
	/* An empty period overlaps nothing, not even itself. */
	e.from = e.until = p.from + 10;
	assert_false(zes_period_overlaps(&p, &e));
	assert_false(zes_period_overlaps(&e, &p));
	assert_false(zes_period_contains(&e, e.from));
	/* Open-ended. */
	q.from = p.from;
	q.until = INT64_MAX;
	assert_true(zes_period_contains(&q, INT64_MAX - 1));
	assert_true(zes_period_overlaps(&p, &q));
}

/* Run the tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_day_numbers_1900_2200),
		cmocka_unit_test(test_day_numbers_0_9999),
		cmocka_unit_test(test_date_parse),
		cmocka_unit_test(test_date_format),
		cmocka_unit_test(test_add_months),
		cmocka_unit_test(test_add_months_property),
		cmocka_unit_test(test_dst_transitions),
		cmocka_unit_test(test_local_midnight_examples),
		cmocka_unit_test(test_domain_boundaries),
		cmocka_unit_test(test_local_day_consistency),
		cmocka_unit_test(test_against_tzdata),
		cmocka_unit_test(test_rfc3339_good),
		cmocka_unit_test(test_rfc3339_bad),
		cmocka_unit_test(test_day_or_instant),
		cmocka_unit_test(test_format_utc),
		cmocka_unit_test(test_periods),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
