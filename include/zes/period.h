/*
 * Dates, instants and half-open periods in Europe/Amsterdam (pure; no I/O,
 * no clock, no TZ database: the EU summer-time rule is computed here).
 */
#ifndef ZES_PERIOD_H
#define ZES_PERIOD_H

#include <stddef.h>
#include <stdint.h>

#include "zes/common.h"

/*
 * A day is a day number: days since 1970-01-01 in the proleptic Gregorian
 * calendar (1970-01-01 is 0, 1969-12-31 is -1).  An instant is seconds since
 * the Unix epoch (UTC, no leap seconds), floored.  The arithmetic holds for
 * years 0000 to 9999; text is parsed only for years ZES_DATE_YEAR_MIN to
 * ZES_DATE_YEAR_MAX, which bounds every day and instant that comes from
 * outside.
 */
#define ZES_DATE_YEAR_MIN	1900
#define ZES_DATE_YEAR_MAX	2200
#define ZES_DATE_TEXT_LEN	10	/* "YYYY-MM-DD" */
#define ZES_TIME_TEXT_LEN	20	/* "YYYY-MM-DDTHH:MM:SSZ" */
#define ZES_SECONDS_PER_DAY	86400

/* Europe/Amsterdam: CET in winter, CEST in summer, seconds east of UTC. */
#define ZES_TIME_CET		3600
#define ZES_TIME_CEST		7200

/* Half-open [from, until) in instants; until INT64_MAX means open-ended. */
struct zes_period {
	int64_t	from;
	int64_t	until;
};

/* 1 when y-m-d is a real date of the proleptic Gregorian calendar, else 0. */
int	zes_date_valid(int y, int m, int d);
/* 1 when y is a leap year, else 0. */
int	zes_date_leap(int y);
/* Days in month m (1-12) of year y; 0 for a month outside 1-12. */
int	zes_date_days_in_month(int y, int m);

/* Day number of y-m-d, which must be valid (zes_date_valid()). */
int64_t	zes_date_from_ymd(int y, int m, int d);
/* Year, month (1-12) and day of month of a day number. */
void	zes_date_to_ymd(int64_t day, int *y, int *m, int *d);
/* ISO weekday of a day number: 1 Monday ... 7 Sunday. */
int	zes_date_weekday(int64_t day);

/*
 * Parse exactly "YYYY-MM-DD" (len bytes, no NUL needed) of a real date in
 * years ZES_DATE_YEAR_MIN-ZES_DATE_YEAR_MAX.  0 ok; -1 otherwise, *day
 * untouched.
 */
int	zes_date_parse(const char *s, size_t len, int64_t *day) ZES_MUSTCHECK;
/* The same for the RDW's "yyyymmdd" (DOMAIN.md section 8). */
int	zes_date_parse_compact(const char *s, size_t len, int64_t *day)
	    ZES_MUSTCHECK;
/* Write "YYYY-MM-DD" and a NUL. */
void	zes_date_format(int64_t day, char out[ZES_DATE_TEXT_LEN + 1]);

/*
 * The same day of the month n calendar months later (n < 0: earlier), or
 * the last day of the target month where that day does not exist: Jan 31
 * + 1 is Feb 28 or 29 (API.md, "N months").
 */
int64_t	zes_date_add_months(int64_t day, int n);
/* The same for n years: Feb 29 + 1 is Feb 28. */
int64_t	zes_date_add_years(int64_t day, int n);

/* Seconds east of UTC in Europe/Amsterdam at instant t (3600 or 7200). */
int	zes_time_utc_offset(int64_t t);
/* The local (Europe/Amsterdam) calendar day that contains instant t. */
int64_t	zes_time_local_day(int64_t t);
/* The instant of 00:00 local time on a day (it always exists, once). */
int64_t	zes_time_local_midnight(int64_t day);

/*
 * Parse an RFC 3339 date-time (len bytes, no NUL needed): "T" or "t",
 * seconds required (00-59: leap seconds are refused), an optional fraction
 * of any length that is dropped towards the past, and "Z", "z" or +hh:mm /
 * -hh:mm ("-00:00" is read as UTC).  Years ZES_DATE_YEAR_MIN-
 * ZES_DATE_YEAR_MAX in the local date.  0 ok; -1 otherwise, *t untouched.
 */
int	zes_time_parse_rfc3339(const char *s, size_t len, int64_t *t)
	    ZES_MUSTCHECK;
/*
 * Parse a query value that may be a date or an instant: "YYYY-MM-DD"
 * returns 1 with the day in *day; an RFC 3339 date-time returns 0 with the
 * instant in *t; anything else returns -1, both untouched.
 */
int	zes_time_parse_day_or_instant(const char *s, size_t len, int64_t *day,
	    int64_t *t) ZES_MUSTCHECK;
/* Write "YYYY-MM-DDTHH:MM:SSZ" (UTC) and a NUL. */
void	zes_time_format_utc(int64_t t, char out[ZES_TIME_TEXT_LEN + 1]);

/*
 * The instant a period ends whose last day (inclusive, API.md) is
 * last_day: local midnight of the next day.  2026-12-31 gives
 * 2026-12-31T23:00:00Z.
 */
int64_t	zes_period_day_end(int64_t last_day);
/* The period from local midnight of first_day to the end of last_day. */
struct zes_period zes_period_days(int64_t first_day, int64_t last_day);
/* 1 when from <= t < until, else 0. */
int	zes_period_contains(const struct zes_period *p, int64_t t);
/* 1 when two half-open periods share an instant, else 0 (empty: never). */
int	zes_period_overlaps(const struct zes_period *a,
	    const struct zes_period *b);

#endif
