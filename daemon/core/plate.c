/*
 * Licence plates (pure; no I/O): normalise what a client typed, check it
 * against the Dutch sidecodes (DOMAIN.md section 7) or, for another
 * country, the 1-12 letters or digits of API.md, and build the display form.
 */
#include <string.h>

#include "zes/plate.h"

/*
 * DOMAIN.md section 7, in order: sidecode n is entry n - 1.  In a shape 'X'
 * is a letter and '9' a digit; hyphen[] are the offsets a hyphen goes before.
 * No two shapes are equal, so six characters fit at most one sidecode.
 */
static const struct {
	const char	*shape;
	int		 hyphen[2];
} plate_sidecodes[ZES_PLATE_SIDECODES] = {
	{ "XX9999", { 2, 4 } },		/* 1: XX-99-99 */
	{ "9999XX", { 2, 4 } },		/* 2: 99-99-XX */
	{ "99XX99", { 2, 4 } },		/* 3: 99-XX-99 */
	{ "XX99XX", { 2, 4 } },		/* 4: XX-99-XX */
	{ "XXXX99", { 2, 4 } },		/* 5: XX-XX-99 */
	{ "99XXXX", { 2, 4 } },		/* 6: 99-XX-XX */
	{ "99XXX9", { 2, 5 } },		/* 7: 99-XXX-9 */
	{ "9XXX99", { 1, 4 } },		/* 8: 9-XXX-99 */
	{ "XX999X", { 2, 5 } },		/* 9: XX-999-X */
	{ "X999XX", { 1, 4 } },		/* 10: X-999-XX */
	{ "XXX99X", { 3, 5 } },		/* 11: XXX-99-X */
	{ "X99XXX", { 1, 3 } },		/* 12: X-99-XXX */
	{ "9XX999", { 1, 3 } },		/* 13: 9-XX-999 */
	{ "999XX9", { 3, 5 } },		/* 14: 999-XX-9 */
};

/*
 * Why a Dutch plate of n characters (after normalisation) is refused, for n
 * from 1 to 12; index 6 is never used.  Static strings, so no formatting.
 */
static const char *const plate_nl_length_why[ZES_PLATE_MAX + 1] = {
	NULL,
	"has 1 character; a Dutch plate has 6",
	"has 2 characters; a Dutch plate has 6",
	"has 3 characters; a Dutch plate has 6",
	"has 4 characters; a Dutch plate has 6",
	"has 5 characters; a Dutch plate has 6",
	NULL,
	"has 7 characters; a Dutch plate has 6",
	"has 8 characters; a Dutch plate has 6",
	"has 9 characters; a Dutch plate has 6",
	"has 10 characters; a Dutch plate has 6",
	"has 11 characters; a Dutch plate has 6",
	"has 12 characters; a Dutch plate has 6",
};

/* 1 for an ASCII upper-case letter. */
static int
plate_is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

/* 1 for an ASCII digit. */
static int
plate_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* 1 for an ASCII letter of either case. */
static int
plate_is_letter(char c)
{
	return plate_is_upper(c) || (c >= 'a' && c <= 'z');
}

/* Set *why when the caller asked for it, and fail. */
static int
plate_fail(const char **why, const char *msg)
{
	if (why != NULL)
		*why = msg;
	return -1;
}

/*
 * Normalise len bytes of in: upper-case ASCII letters, drop spaces, hyphens
 * and dots.  *n counts every letter and digit, but only the first
 * ZES_PLATE_MAX land in out (NUL-terminated), so a long input is measured
 * without a larger buffer.  -1 with *why on any other byte or on nothing left.
 */
static int
plate_normalize(const char *in, size_t len, char out[ZES_PLATE_MAX + 1],
    size_t *n, const char **why)
{
	size_t	i, k;
	char	c;

	if (in == NULL || len == 0)
		return plate_fail(why, "is empty");
	k = 0;
	for (i = 0; i < len; i++) {
		c = in[i];
		if (c == ' ' || c == '-' || c == '.')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (!plate_is_upper(c) && !plate_is_digit(c)) {
			if (c == '\0')
				return plate_fail(why, "contains a NUL byte");
			if ((unsigned char)c >= 0x80)
				return plate_fail(why,
				    "contains a non-ASCII character");
			return plate_fail(why, "contains a character other "
			    "than letters, digits, spaces, hyphens and dots");
		}
		if (k < ZES_PLATE_MAX)
			out[k] = c;
		k++;
	}
	if (k == 0)
		return plate_fail(why, "has only spaces, hyphens and dots");
	out[k < ZES_PLATE_MAX ? k : ZES_PLATE_MAX] = '\0';
	*n = k;
	return 0;
}

/* 1 when two upper-case ASCII letters end at the NUL, else 0. */
int
zes_plate_country_valid(const char *s)
{
	return s != NULL && plate_is_upper(s[0]) && plate_is_upper(s[1]) &&
	    s[2] == '\0';
}

/* Pack six normalised characters into 32 bits; 0 when s is not that. */
uint32_t
zes_plate_pack(const char *s)
{
	uint32_t	k = 0;
	int		i, c, v;

	for (i = 0; i < ZES_PLATE_NL_LEN; i++) {
		c = (unsigned char)s[i];
		if (c >= '0' && c <= '9')
			v = c - '0' + 1;
		else if (c >= 'A' && c <= 'Z')
			v = c - 'A' + 11;
		else
			return 0;
		k = k * 37 + (uint32_t)v;
	}
	return s[ZES_PLATE_NL_LEN] == '\0' ? k : 0;
}

/* Sidecode of six normalised characters, 0 when none fits. */
int
zes_plate_sidecode(const char *six)
{
	const char	*shape;
	size_t		 i, j;

	if (six == NULL)
		return 0;
	for (i = 0; i < ZES_PLATE_SIDECODES; i++) {
		shape = plate_sidecodes[i].shape;
		for (j = 0; j < ZES_PLATE_NL_LEN; j++) {
			if (shape[j] == 'X' ? !plate_is_upper(six[j]) :
			    !plate_is_digit(six[j]))
				break;
		}
		if (j == ZES_PLATE_NL_LEN)
			return (int)i + 1;
	}
	return 0;
}

/* Dashed form of six normalised characters; returns the sidecode or 0. */
int
zes_plate_display(const char *six, char out[ZES_PLATE_DISPLAY_NL])
{
	const int	*hyphen;
	size_t		 j, k;
	int		 sc;

	out[0] = '\0';
	if ((sc = zes_plate_sidecode(six)) == 0)
		return 0;
	hyphen = plate_sidecodes[sc - 1].hyphen;
	k = 0;
	for (j = 0; j < ZES_PLATE_NL_LEN; j++) {
		if ((int)j == hyphen[0] || (int)j == hyphen[1])
			out[k++] = '-';
		out[k++] = six[j];
	}
	out[k] = '\0';
	return sc;
}

/* DOMAIN.md section 7: C and Q are never issued, vowels not since sidecode 4. */
static unsigned
plate_nl_warnings(const char *text, int sidecode)
{
	unsigned	w = 0;

	if (strpbrk(text, "CQ") != NULL)
		w |= ZES_PLATE_WARN_CQ;
	if (sidecode >= 4 && strpbrk(text, "AEIOU") != NULL)
		w |= ZES_PLATE_WARN_VOWEL;
	return w;
}

/* Check the country (NULL or "" is NL) and copy it into cc. */
static int
plate_country(const char *country, char cc[3], const char **why)
{
	if (country == NULL || country[0] == '\0')
		country = ZES_PLATE_DEFAULT_COUNTRY;
	if (!zes_plate_country_valid(country)) {
		/* Say so when only the case is wrong: "de" is a common slip. */
		if (plate_is_letter(country[0]) &&
		    plate_is_letter(country[1]) && country[2] == '\0')
			return plate_fail(why, "must be upper case (ISO 3166-1 "
			    "alpha-2, as \"DE\")");
		return plate_fail(why, "is not an ISO 3166-1 alpha-2 code "
		    "(two upper-case letters)");
	}
	memcpy(cc, country, 3);
	return 0;
}

/* Parse a plate of a country into *out; see plate.h for the contract. */
int
zes_plate_parse(const char *in, size_t len, const char *country,
    struct zes_plate *out, const char **why)
{
	struct zes_plate	p;
	size_t			n;

	memset(&p, 0, sizeof(p));
	if (plate_country(country, p.country, why) == -1)
		return -1;
	if (plate_normalize(in, len, p.text, &n, why) == -1)
		return -1;
	if (strcmp(p.country, "NL") == 0) {
		if (n > ZES_PLATE_MAX)
			return plate_fail(why, "has more than 12 characters; "
			    "a Dutch plate has 6");
		if (n != ZES_PLATE_NL_LEN)
			return plate_fail(why, plate_nl_length_why[n]);
		if ((p.sidecode = zes_plate_display(p.text, p.display)) == 0)
			return plate_fail(why, "fits no Dutch sidecode");
		p.warnings = plate_nl_warnings(p.text, p.sidecode);
	} else {
		if (n > ZES_PLATE_MAX)
			return plate_fail(why, "has more than 12 letters or "
			    "digits; a plate of another country has 1 to 12");
		memcpy(p.display, p.text, n + 1);
	}
	*out = p;
	return 0;
}
