/*
 * Dates, instants and half-open periods in Europe/Amsterdam (pure; no I/O,
 * no clock, no TZ database).  The civil-date arithmetic follows Howard
 * Hinnant's days_from_civil / civil_from_days (public domain algorithms).
 */
#include <assert.h>
#include <string.h>

#include "zes/period.h"

/* 400 Gregorian years, and the day number of 0000-03-01 (an era's start). */
#define PERIOD_DAYS_PER_ERA	146097
#define PERIOD_EPOCH_SHIFT	719468

/* Floor division for b > 0: rounds towards minus infinity, as instants do. */
static int64_t
period_floordiv(int64_t a, int64_t b)
{
	int64_t	q = a / b;

	if (a % b < 0)
		q--;
	return q;
}

/* a mod b in [0, b) for b > 0. */
static int64_t
period_floormod(int64_t a, int64_t b)
{
	return a - period_floordiv(a, b) * b;
}

/* 1 when y is a Gregorian leap year. */
int
zes_date_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days in month m of year y, 0 for a month outside 1-12. */
int
zes_date_days_in_month(int y, int m)
{
	static const int	days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m < 1 || m > 12)
		return 0;
	if (m == 2 && zes_date_leap(y))
		return 29;
	return days[m - 1];
}

/* 1 when y-m-d is a real date. */
int
zes_date_valid(int y, int m, int d)
{
	return m >= 1 && m <= 12 && d >= 1 && d <= zes_date_days_in_month(y, m);
}

/*
 * Day number of y-m-d.  The year is counted from March, so that February,
 * the month of irregular length, comes last and drops out of the formula.
 */
int64_t
zes_date_from_ymd(int y, int m, int d)
{
	int64_t	yy, era, yoe, doy, doe;

	yy = (int64_t)y - (m <= 2);
	era = period_floordiv(yy, 400);
	yoe = yy - era * 400;				/* [0, 399] */
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;	/* [0, 365] */
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;	/* [0, 146096] */
	return era * PERIOD_DAYS_PER_ERA + doe - PERIOD_EPOCH_SHIFT;
}

/* Year, month and day of a day number: the inverse of zes_date_from_ymd. */
void
zes_date_to_ymd(int64_t day, int *y, int *m, int *d)
{
	int64_t	z, era, doe, yoe, doy, mp, mm;

	z = day + PERIOD_EPOCH_SHIFT;
	era = period_floordiv(z, PERIOD_DAYS_PER_ERA);
	doe = z - era * PERIOD_DAYS_PER_ERA;		/* [0, 146096] */
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);	/* [0, 365] */
	mp = (5 * doy + 2) / 153;			/* [0, 11], from March */
	mm = mp < 10 ? mp + 3 : mp - 9;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)mm;
	*y = (int)(yoe + era * 400 + (mm <= 2));
}

/* ISO weekday, 1 Monday ... 7 Sunday; 1970-01-01 was a Thursday. */
int
zes_date_weekday(int64_t day)
{
	return (int)period_floormod(day + 3, 7) + 1;
}

/* Value of n ASCII digits at s, or -1 when one is not a digit. */
static int
period_digits(const char *s, size_t n)
{
	size_t	i;
	int	v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/*
 * Check y-m-d against the calendar and ZES_DATE_YEAR_MIN-MAX and store its
 * day number.  A negative part is a digit that was not one.
 */
static int
period_ymd(int y, int m, int d, int64_t *day)
{
	if (y < ZES_DATE_YEAR_MIN || y > ZES_DATE_YEAR_MAX ||
	    !zes_date_valid(y, m, d))
		return -1;
	*day = zes_date_from_ymd(y, m, d);
	return 0;
}

/* Parse "YYYY-MM-DD" at s, which has at least 10 bytes. */
static int
period_date10(const char *s, int64_t *day)
{
	if (s[4] != '-' || s[7] != '-')
		return -1;
	return period_ymd(period_digits(s, 4), period_digits(s + 5, 2),
	    period_digits(s + 8, 2), day);
}

/* Parse exactly "YYYY-MM-DD". */
int
zes_date_parse(const char *s, size_t len, int64_t *day)
{
	if (s == NULL || len != ZES_DATE_TEXT_LEN)
		return -1;
	return period_date10(s, day);
}

/* Parse exactly "yyyymmdd". */
int
zes_date_parse_compact(const char *s, size_t len, int64_t *day)
{
	if (s == NULL || len != 8)
		return -1;
	return period_ymd(period_digits(s, 4), period_digits(s + 4, 2),
	    period_digits(s + 6, 2), day);
}

/*
 * Write v as exactly width digits at p.  Callers keep v in range (years
 * 0000-9999); were it not, the leading digits are lost, never the bounds.
 */
static void
period_put(char *p, int64_t v, int width)
{
	while (width-- > 0) {
		p[width] = (char)('0' + period_floormod(v, 10));
		v /= 10;
	}
}

/* Write "YYYY-MM-DD" and a NUL. */
void
zes_date_format(int64_t day, char out[ZES_DATE_TEXT_LEN + 1])
{
	int	y, m, d;

	zes_date_to_ymd(day, &y, &m, &d);
	assert(y >= 0 && y <= 9999);
	period_put(out, y, 4);
	out[4] = '-';
	period_put(out + 5, m, 2);
	out[7] = '-';
	period_put(out + 8, d, 2);
	out[10] = '\0';
}

/* Move day by n months (any sign), clamping to the target month's end. */
static int64_t
period_add_months(int64_t day, int64_t n)
{
	int64_t	months, ny;
	int	y, m, d, nm, dim;

	zes_date_to_ymd(day, &y, &m, &d);
	months = (int64_t)y * 12 + (m - 1) + n;
	ny = period_floordiv(months, 12);
	nm = (int)(months - ny * 12) + 1;
	dim = zes_date_days_in_month((int)ny, nm);
	return zes_date_from_ymd((int)ny, nm, d < dim ? d : dim);
}

/* Same day n calendar months later, or that month's last day. */
int64_t
zes_date_add_months(int64_t day, int n)
{
	return period_add_months(day, n);
}

/* Same day n years later; Feb 29 becomes Feb 28 in a common year. */
int64_t
zes_date_add_years(int64_t day, int n)
{
	return period_add_months(day, (int64_t)n * 12);
}

/* Day number of the last Sunday of month m in year y. */
static int64_t
period_last_sunday(int y, int m)
{
	int64_t	last;

	last = zes_date_from_ymd(y, m, zes_date_days_in_month(y, m));
	return last - zes_date_weekday(last) % 7;
}

/*
 * Europe/Amsterdam observes CEST from the last Sunday of March 01:00 UTC to
 * the last Sunday of October 01:00 UTC (EU Directive 2000/84/EC; the same
 * dates since 1996).  Instants before 1996 get the same rule, though the
 * Netherlands had none before 1977 and ended summer time in September
 * until 1995: zones exist since 2025 and register dates (DET) are dates,
 * not instants, so no decision ever reads an offset that old.  Should the
 * EU abolish the change, this is the one function to edit.
 */
int
zes_time_utc_offset(int64_t t)
{
	int64_t	day, start, end;
	int	y, m, d;

	day = period_floordiv(t, ZES_SECONDS_PER_DAY);
	zes_date_to_ymd(day, &y, &m, &d);
	if (m < 3 || m > 10)
		return ZES_TIME_CET;
	start = period_last_sunday(y, 3) * ZES_SECONDS_PER_DAY + 3600;
	end = period_last_sunday(y, 10) * ZES_SECONDS_PER_DAY + 3600;
	return t >= start && t < end ? ZES_TIME_CEST : ZES_TIME_CET;
}

/* The local calendar day containing instant t. */
int64_t
zes_time_local_day(int64_t t)
{
	return period_floordiv(t + zes_time_utc_offset(t), ZES_SECONDS_PER_DAY);
}

/*
 * 00:00 local on day.  The offset changes at 01:00 UTC (02:00 or 03:00
 * local), never within hours of midnight, so the offset one hour before
 * midnight UTC is the offset at local midnight.
 */
int64_t
zes_time_local_midnight(int64_t day)
{
	int64_t	t = day * ZES_SECONDS_PER_DAY;

	return t - zes_time_utc_offset(t - 3600);
}

/*
 * Parse an RFC 3339 date-time (section 5.6, without the leap second).  The
 * fraction only ever adds to a whole second, so dropping it floors the
 * instant whatever the sign of the offset or of the instant.
 */
int
zes_time_parse_rfc3339(const char *s, size_t len, int64_t *t)
{
	int64_t	day, secs;
	size_t	i;
	int	hh, mi, ss, oh, om, off;

	if (s == NULL || len < ZES_TIME_TEXT_LEN)
		return -1;
	if (period_date10(s, &day) == -1)
		return -1;
	if ((s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
		return -1;
	hh = period_digits(s + 11, 2);
	mi = period_digits(s + 14, 2);
	ss = period_digits(s + 17, 2);
	if (hh < 0 || hh > 23 || mi < 0 || mi > 59 || ss < 0 || ss > 59)
		return -1;
	i = 19;
	if (s[i] == '.') {
		i++;
		if (i == len || period_digits(s + i, 1) == -1)
			return -1;
		while (i < len && period_digits(s + i, 1) != -1)
			i++;
	}
	if (i == len)
		return -1;
	if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == len)
		off = 0;
	else if ((s[i] == '+' || s[i] == '-') && i + 6 == len &&
	    s[i + 3] == ':') {
		oh = period_digits(s + i + 1, 2);
		om = period_digits(s + i + 4, 2);
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return -1;
		off = (oh * 60 + om) * 60;
		if (s[i] == '-')
			off = -off;
	} else
		return -1;
	secs = (int64_t)hh * 3600 + mi * 60 + ss;
	*t = day * ZES_SECONDS_PER_DAY + secs - off;
	return 0;
}

/* A date (1, *day) or an RFC 3339 date-time (0, *t); -1 otherwise. */
int
zes_time_parse_day_or_instant(const char *s, size_t len, int64_t *day,
    int64_t *t)
{
	if (zes_date_parse(s, len, day) == 0)
		return 1;
	if (zes_time_parse_rfc3339(s, len, t) == 0)
		return 0;
	return -1;
}

/* Write "YYYY-MM-DDTHH:MM:SSZ" and a NUL. */
void
zes_time_format_utc(int64_t t, char out[ZES_TIME_TEXT_LEN + 1])
{
	int64_t	day, secs;

	day = period_floordiv(t, ZES_SECONDS_PER_DAY);
	secs = t - day * ZES_SECONDS_PER_DAY;
	zes_date_format(day, out);
	out[10] = 'T';
	period_put(out + 11, secs / 3600, 2);
	out[13] = ':';
	period_put(out + 14, secs / 60 % 60, 2);
	out[16] = ':';
	period_put(out + 17, secs % 60, 2);
	out[19] = 'Z';
	out[20] = '\0';
}

/* End of an inclusive last day: local midnight of the day after. */
int64_t
zes_period_day_end(int64_t last_day)
{
	return zes_time_local_midnight(last_day + 1);
}

/* [local midnight of first_day, end of last_day). */
struct zes_period
zes_period_days(int64_t first_day, int64_t last_day)
{
	struct zes_period	p;

	p.from = zes_time_local_midnight(first_day);
	p.until = zes_period_day_end(last_day);
	return p;
}

/* 1 when t lies in [from, until). */
int
zes_period_contains(const struct zes_period *p, int64_t t)
{
	return t >= p->from && t < p->until;
}

/* 1 when the half-open periods share an instant. */
int
zes_period_overlaps(const struct zes_period *a, const struct zes_period *b)
{
	return a->from < a->until && b->from < b->until &&
	    a->from < b->until && b->from < a->until;
}
