/*
 * Fuzz the plate parser (daemon/core/plate.c: zes_plate_parse).
 *
 * Input: the plate as typed, or "CC|plate" to give a country (any two
 * bytes, so invalid and lower-case countries are tried too).
 *
 * Invariants beyond "no crash": a refused plate leaves *out untouched and
 * says why; an accepted one is 1-12 upper-case letters and digits equal to
 * the input without spaces, hyphens and dots and upper-cased; a Dutch one
 * has 6, a sidecode and the dashed display form that zes_plate_display()
 * gives and packs to non-zero; another country's has sidecode 0, no
 * warnings and itself as display; and both its normalised text and its
 * display form parse again to the same plate.  Conversely, every non-Dutch
 * input that normalises to 1-12 letters and digits is accepted.
 */
#include <string.h>

#include "zes/plate.h"

#include "fuzz.h"

/* Two plates are the same in every field. */
static int
plate_same(const struct zes_plate *a, const struct zes_plate *b)
{
	return strcmp(a->text, b->text) == 0 &&
	    strcmp(a->country, b->country) == 0 &&
	    a->sidecode == b->sidecode &&
	    strcmp(a->display, b->display) == 0 && a->warnings == b->warnings;
}

/* 1 when s is an upper-case ASCII letter or digit. */
static int
plate_alnum(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/*
 * The normalised text by the letter of plate.h, independently of plate.c:
 * separators dropped, ASCII letters upper-cased.  Returns the number of
 * characters left (only the first ZES_PLATE_MAX stored), or -1 when a byte
 * other than a letter, digit or separator is present.
 */
static long
plate_oracle(const char *in, size_t len, char out[ZES_PLATE_MAX + 1])
{
	size_t	i, k = 0;
	char	c;

	for (i = 0; i < len; i++) {
		c = in[i];
		if (c == ' ' || c == '-' || c == '.')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (!plate_alnum(c))
			return -1;
		if (k < ZES_PLATE_MAX)
			out[k] = c;
		k++;
	}
	out[k < ZES_PLATE_MAX ? k : ZES_PLATE_MAX] = '\0';
	return (long)k;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zes_plate	 p, q, untouched;
	const char		*in = (const char *)data, *why = NULL, *cc;
	char			 country[3], want[ZES_PLATE_MAX + 1];
	char			 disp[ZES_PLATE_DISPLAY_NL];
	size_t			 len = size, i;
	long			 n;

	cc = NULL;
	if (size >= 3 && data[2] == '|') {
		memcpy(country, data, 2);
		country[2] = '\0';
		cc = country;
		in += 3;
		len -= 3;
	}
	memset(&p, 0xa5, sizeof(p));
	untouched = p;
	if (zes_plate_parse(in, len, cc, &p, &why) == -1) {
		FUZZ_ASSERT(why != NULL && why[0] != '\0');
		FUZZ_ASSERT(memcmp(&p, &untouched, sizeof(p)) == 0);
		/* Another country's plate of 1-12 letters and digits is valid. */
		n = plate_oracle(in, len, want);
		FUZZ_ASSERT(!(cc != NULL && zes_plate_country_valid(cc) &&
		    strcmp(cc, "NL") != 0 && n >= 1 && n <= ZES_PLATE_MAX));
		return 0;
	}

	/* The text: what the input says, normalised. */
	n = plate_oracle(in, len, want);
	FUZZ_ASSERT(n >= 1 && n <= ZES_PLATE_MAX);
	FUZZ_ASSERT(strcmp(p.text, want) == 0);
	for (i = 0; p.text[i] != '\0'; i++)
		FUZZ_ASSERT(plate_alnum(p.text[i]));
	FUZZ_ASSERT(zes_plate_country_valid(p.country));
	FUZZ_ASSERT(strcmp(p.country, cc == NULL || cc[0] == '\0' ?
	    ZES_PLATE_DEFAULT_COUNTRY : cc) == 0);

	if (strcmp(p.country, "NL") == 0) {
		FUZZ_ASSERT(strlen(p.text) == ZES_PLATE_NL_LEN);
		FUZZ_ASSERT(p.sidecode >= 1 && p.sidecode <= ZES_PLATE_SIDECODES);
		FUZZ_ASSERT(zes_plate_sidecode(p.text) == p.sidecode);
		FUZZ_ASSERT(zes_plate_display(p.text, disp) == p.sidecode);
		FUZZ_ASSERT(strcmp(disp, p.display) == 0);
		FUZZ_ASSERT(strlen(p.display) == ZES_PLATE_NL_LEN + 2);
		FUZZ_ASSERT(zes_plate_pack(p.text) != 0);
		FUZZ_ASSERT((p.warnings & ~(ZES_PLATE_WARN_CQ |
		    ZES_PLATE_WARN_VOWEL)) == 0);
	} else {
		FUZZ_ASSERT(p.sidecode == 0 && p.warnings == 0);
		FUZZ_ASSERT(strcmp(p.display, p.text) == 0);
	}

	/* The normalised text and the display form parse to the same plate. */
	memset(&q, 0, sizeof(q));
	FUZZ_ASSERT(zes_plate_parse(p.text, strlen(p.text), p.country, &q,
	    NULL) == 0);
	FUZZ_ASSERT(plate_same(&p, &q));
	memset(&q, 0, sizeof(q));
	FUZZ_ASSERT(zes_plate_parse(p.display, strlen(p.display), p.country,
	    &q, NULL) == 0);
	FUZZ_ASSERT(plate_same(&p, &q));
	return 0;
}
