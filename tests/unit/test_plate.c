/*
 * Unit tests for core/plate.c: one plate per Dutch sidecode, every shape of
 * six letters or digits against the regexes of DOMAIN.md section 7 (POSIX
 * regex, independent of the code), malformed input, foreign plates, country
 * codes, warnings and the length boundaries.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <regex.h>
#include <string.h>

#include <cmocka.h>

#include "zes/plate.h"

/* DOMAIN.md section 7, copied: sidecode n is entry n - 1. */
static const struct {
	const char	*shape;
	const char	*regex;
} domain_sidecodes[ZES_PLATE_SIDECODES] = {
	{ "XX-99-99",	"^[A-Z]{2}[0-9]{4}$" },
	{ "99-99-XX",	"^[0-9]{4}[A-Z]{2}$" },
	{ "99-XX-99",	"^[0-9]{2}[A-Z]{2}[0-9]{2}$" },
	{ "XX-99-XX",	"^[A-Z]{2}[0-9]{2}[A-Z]{2}$" },
	{ "XX-XX-99",	"^[A-Z]{4}[0-9]{2}$" },
	{ "99-XX-XX",	"^[0-9]{2}[A-Z]{4}$" },
	{ "99-XXX-9",	"^[0-9]{2}[A-Z]{3}[0-9]$" },
	{ "9-XXX-99",	"^[0-9][A-Z]{3}[0-9]{2}$" },
	{ "XX-999-X",	"^[A-Z]{2}[0-9]{3}[A-Z]$" },
	{ "X-999-XX",	"^[A-Z][0-9]{3}[A-Z]{2}$" },
	{ "XXX-99-X",	"^[A-Z]{3}[0-9]{2}[A-Z]$" },
	{ "X-99-XXX",	"^[A-Z][0-9]{2}[A-Z]{3}$" },
	{ "9-XX-999",	"^[0-9][A-Z]{2}[0-9]{3}$" },
	{ "999-XX-9",	"^[0-9]{3}[A-Z]{2}[0-9]$" },
};

/* Plates that parse, with what they parse to. */
static const struct {
	const char	*in;
	const char	*country;
	const char	*text;
	int		 sidecode;
	const char	*display;
	unsigned	 warnings;
} good[] = {
	/* One per sidecode, without C, Q or (from sidecode 4) vowels. */
	{ "ZB-12-34",	NULL,	"ZB1234",	1,	"ZB-12-34",	0 },
	{ "12-34-ZB",	NULL,	"1234ZB",	2,	"12-34-ZB",	0 },
	{ "12-ZB-34",	NULL,	"12ZB34",	3,	"12-ZB-34",	0 },
	{ "BR-12-ST",	NULL,	"BR12ST",	4,	"BR-12-ST",	0 },
	{ "BRST12",	NULL,	"BRST12",	5,	"BR-ST-12",	0 },
	{ "12BRST",	NULL,	"12BRST",	6,	"12-BR-ST",	0 },
	{ "52-BVL-9",	NULL,	"52BVL9",	7,	"52-BVL-9",	0 },
	{ "1KBB12",	NULL,	"1KBB12",	8,	"1-KBB-12",	0 },
	{ "HX084V",	NULL,	"HX084V",	9,	"HX-084-V",	0 },
	{ "V123FB",	NULL,	"V123FB",	10,	"V-123-FB",	0 },
	{ "VTV69T",	NULL,	"VTV69T",	11,	"VTV-69-T",	0 },
	{ "G12BNT",	"NL",	"G12BNT",	12,	"G-12-BNT",	0 },
	{ "1GB123",	"NL",	"1GB123",	13,	"1-GB-123",	0 },
	{ "123GB4",	"",	"123GB4",	14,	"123-GB-4",	0 },
	/* Case, hyphens, spaces and dots anywhere, and too many of them. */
	{ "v-123-fb",	NULL,	"V123FB",	10,	"V-123-FB",	0 },
	{ "hx 084 v",	NULL,	"HX084V",	9,	"HX-084-V",	0 },
	{ "Vtv.69.t",	NULL,	"VTV69T",	11,	"VTV-69-T",	0 },
	{ " vtv 69 t ",	NULL,	"VTV69T",	11,	"VTV-69-T",	0 },
	{ "V--123--FB",	NULL,	"V123FB",	10,	"V-123-FB",	0 },
	{ "v.1.2.3.f.b", NULL,	"V123FB",	10,	"V-123-FB",	0 },
	{ "-.VTV69T.-",	NULL,	"VTV69T",	11,	"VTV-69-T",	0 },
	{ "vt-v69-t",	NULL,	"VTV69T",	11,	"VTV-69-T",	0 },
	/* Warnings never reject. */
	{ "AB-12-34",	NULL,	"AB1234",	1,	"AB-12-34",	0 },
	{ "CD-12-34",	NULL,	"CD1234",	1,	"CD-12-34",	ZES_PLATE_WARN_CQ },
	{ "12-34-QZ",	NULL,	"1234QZ",	2,	"12-34-QZ",	ZES_PLATE_WARN_CQ },
	{ "AB-12-BZ",	NULL,	"AB12BZ",	4,	"AB-12-BZ",
	    ZES_PLATE_WARN_VOWEL },
	{ "AB-12-CZ",	NULL,	"AB12CZ",	4,	"AB-12-CZ",
	    ZES_PLATE_WARN_CQ | ZES_PLATE_WARN_VOWEL },
	{ "XB-12-QZ",	NULL,	"XB12QZ",	4,	"XB-12-QZ",	ZES_PLATE_WARN_CQ },
	{ "VE-123-B",	NULL,	"VE123B",	9,	"VE-123-B",
	    ZES_PLATE_WARN_VOWEL },
	{ "OUI-12-Z",	NULL,	"OUI12Z",	11,	"OUI-12-Z",
	    ZES_PLATE_WARN_VOWEL },
	{ "1-GA-123",	NULL,	"1GA123",	13,	"1-GA-123",
	    ZES_PLATE_WARN_VOWEL },
	{ "99-XXX-9",	NULL,	"99XXX9",	7,	"99-XXX-9",	0 },
	/* Other countries: 1-12 letters or digits, no sidecode or warning. */
	{ "b-ab 1234",	"DE",	"BAB1234",	0,	"BAB1234",	0 },
	{ "M CQ 123",	"DE",	"MCQ123",	0,	"MCQ123",	0 },
	{ "1-abc-123",	"BE",	"1ABC123",	0,	"1ABC123",	0 },
	{ "VTV69T",	"BE",	"VTV69T",	0,	"VTV69T",	0 },
	{ "a",		"FR",	"A",		0,	"A",		0 },
	{ "7",		"PL",	"7",		0,	"7",		0 },
	{ "abcdefghijkl", "GB",	"ABCDEFGHIJKL",	0,	"ABCDEFGHIJKL",	0 },
	{ "ab-cd ef.gh-ij kl", "GB", "ABCDEFGHIJKL", 0,	"ABCDEFGHIJKL",	0 },
	{ "123456789012", "XX",	"123456789012",	0,	"123456789012",	0 },
};

/* Inputs that do not parse, with the exact reason. */
#define WHY_CHAR "contains a character other than letters, digits, spaces, " \
	"hyphens and dots"
#define WHY_CASE "must be upper case (ISO 3166-1 alpha-2, as \"DE\")"
#define WHY_CC	"is not an ISO 3166-1 alpha-2 code (two upper-case letters)"
static const struct {
	const char	*in;
	size_t		 len;		/* 0: strlen(in) */
	const char	*country;
	const char	*why;
} bad[] = {
	{ "",		0,	NULL,	"is empty" },
	{ "",		0,	"DE",	"is empty" },
	{ " ",		0,	NULL,	"has only spaces, hyphens and dots" },
	{ "-.- .",	0,	"DE",	"has only spaces, hyphens and dots" },
	{ "VTV\0" "69T", 7,	NULL,	"contains a NUL byte" },
	{ "VTV69T\0",	7,	NULL,	"contains a NUL byte" },
	{ "AB\0" "12",	5,	"DE",	"contains a NUL byte" },
	{ "VTV69\xc3\x89", 0,	NULL,	"contains a non-ASCII character" },
	{ "M\xc3\x9c AB 12", 0,	"DE",	"contains a non-ASCII character" },
	{ "\x80",	0,	NULL,	"contains a non-ASCII character" },
	{ "\xff" "VTV69T", 0,	NULL,	"contains a non-ASCII character" },
	{ "VTV_69T",	0,	NULL,	WHY_CHAR },
	{ "VTV\t69T",	0,	NULL,	WHY_CHAR },
	{ "VTV69T!",	0,	NULL,	WHY_CHAR },
	{ "VTV/69/T",	0,	NULL,	WHY_CHAR },
	{ "VTV69T\n",	0,	NULL,	WHY_CHAR },
	{ "VTV,69,T",	0,	NULL,	WHY_CHAR },
	{ "AB_12",	0,	"DE",	WHY_CHAR },
	{ "A",		0,	NULL,	"has 1 character; a Dutch plate has 6" },
	{ "V123F",	0,	NULL,	"has 5 characters; a Dutch plate has 6" },
	{ "V-123-F",	0,	NULL,	"has 5 characters; a Dutch plate has 6" },
	{ "V123FBX",	0,	NULL,	"has 7 characters; a Dutch plate has 6" },
	{ "VTV-69-TT",	0,	"NL",	"has 7 characters; a Dutch plate has 6" },
	{ "ABCDEFGHIJKL", 0,	NULL,	"has 12 characters; a Dutch plate has 6" },
	{ "ABCDEFGHIJKLM", 0,	NULL,
	    "has more than 12 characters; a Dutch plate has 6" },
	{ "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 0, NULL,
	    "has more than 12 characters; a Dutch plate has 6" },
	{ "ABCDEF",	0,	NULL,	"fits no Dutch sidecode" },
	{ "123456",	0,	NULL,	"fits no Dutch sidecode" },
	{ "A1B2C3",	0,	NULL,	"fits no Dutch sidecode" },
	{ "V1234F",	0,	NULL,	"fits no Dutch sidecode" },
	{ "ABCDEFGHIJKLM", 0,	"DE",
	    "has more than 12 letters or digits; a plate of another country "
	    "has 1 to 12" },
	{ "1234567890123", 0,	"BE",
	    "has more than 12 letters or digits; a plate of another country "
	    "has 1 to 12" },
	/* The country is checked first, even when the plate is wrong too. */
	{ "VTV69T",	0,	"nl",	WHY_CASE },
	{ "VTV69T",	0,	"de",	WHY_CASE },
	{ "VTV69T",	0,	"De",	WHY_CASE },
	{ "VTV69T",	0,	"dE",	WHY_CASE },
	{ "",		0,	"be",	WHY_CASE },
	{ "VTV69T",	0,	"N",	WHY_CC },
	{ "VTV69T",	0,	"NLD",	WHY_CC },
	{ "VTV69T",	0,	"N1",	WHY_CC },
	{ "VTV69T",	0,	"1N",	WHY_CC },
	{ "VTV69T",	0,	" NL",	WHY_CC },
	{ "VTV69T",	0,	"NL ",	WHY_CC },
	{ "VTV69T",	0,	"N-",	WHY_CC },
	{ "VTV69T",	0,	"\xc3\x9c",	WHY_CC },
	{ "VTV69T",	0,	"deu",	WHY_CC },
};

/* Each good plate parses to its text, sidecode, display and warnings. */
static void
test_parse_good(void **state)
{
	struct zes_plate	 p;
	const char		*why;
	size_t			 i;

	(void)state;
	for (i = 0; i < ZES_NELEM(good); i++) {
		memset(&p, 0x5a, sizeof(p));
		why = "unset";
		if (zes_plate_parse(good[i].in, strlen(good[i].in),
		    good[i].country, &p, &why) != 0)
			fail_msg("\"%s\" refused: %s", good[i].in, why);
		assert_string_equal(p.text, good[i].text);
		assert_string_equal(p.country, good[i].country == NULL ||
		    good[i].country[0] == '\0' ? "NL" : good[i].country);
		if (p.sidecode != good[i].sidecode)
			fail_msg("\"%s\": sidecode %d, want %d", good[i].in,
			    p.sidecode, good[i].sidecode);
		assert_string_equal(p.display, good[i].display);
		if (p.warnings != good[i].warnings)
			fail_msg("\"%s\": warnings %#x, want %#x", good[i].in,
			    p.warnings, good[i].warnings);
		/* Success leaves why alone. */
		assert_string_equal(why, "unset");
	}
}

/* The examples of DOMAIN.md section 7 and API.md, one by one. */
static void
test_domain_examples(void **state)
{
	struct zes_plate	p;

	(void)state;
	assert_int_equal(zes_plate_parse("VTV69T", 6, NULL, &p, NULL), 0);
	assert_string_equal(p.display, "VTV-69-T");
	assert_int_equal(p.sidecode, 11);
	assert_int_equal(zes_plate_parse("HX084V", 6, NULL, &p, NULL), 0);
	assert_string_equal(p.display, "HX-084-V");
	assert_int_equal(p.sidecode, 9);
	assert_int_equal(zes_plate_parse("v-123-fb", 8, "NL", &p, NULL), 0);
	assert_string_equal(p.text, "V123FB");
	assert_string_equal(p.display, "V-123-FB");
	assert_int_equal(p.sidecode, 10);
	assert_int_equal(zes_plate_parse("hx 084 v", 8, "", &p, NULL), 0);
	assert_string_equal(p.text, "HX084V");
	assert_string_equal(p.display, "HX-084-V");
}

/* Each bad input fails with its reason and leaves *out untouched. */
static void
test_parse_bad(void **state)
{
	struct zes_plate	 p, keep;
	const char		*why;
	size_t			 i, len;

	(void)state;
	memset(&keep, 0x5a, sizeof(keep));
	for (i = 0; i < ZES_NELEM(bad); i++) {
		len = bad[i].len != 0 ? bad[i].len : strlen(bad[i].in);
		p = keep;
		why = NULL;
		if (zes_plate_parse(bad[i].in, len, bad[i].country, &p,
		    &why) != -1)
			fail_msg("bad #%zu \"%s\" accepted as %.13s", i,
			    bad[i].in, p.text);
		assert_non_null(why);
		if (strcmp(why, bad[i].why) != 0)
			fail_msg("bad #%zu \"%s\": \"%s\", want \"%s\"", i,
			    bad[i].in, why, bad[i].why);
		assert_memory_equal(&p, &keep, sizeof(p));
		/* why may be NULL. */
		assert_int_equal(zes_plate_parse(bad[i].in, len,
		    bad[i].country, &p, NULL), -1);
		assert_memory_equal(&p, &keep, sizeof(p));
	}
	/* NULL input: empty whatever len claims. */
	assert_int_equal(zes_plate_parse(NULL, 0, NULL, &p, &why), -1);
	assert_string_equal(why, "is empty");
	assert_int_equal(zes_plate_parse(NULL, 6, "DE", &p, &why), -1);
	assert_string_equal(why, "is empty");
}

/* len, not the NUL, ends the input: bytes past len are never read. */
static void
test_parse_len(void **state)
{
	struct zes_plate	p;
	const char		*why;

	(void)state;
	assert_int_equal(zes_plate_parse("VTV69T!!", 6, NULL, &p, &why), 0);
	assert_string_equal(p.text, "VTV69T");
	assert_int_equal(zes_plate_parse("VTV69TX", 5, NULL, &p, &why), -1);
	assert_string_equal(why, "has 5 characters; a Dutch plate has 6");
	assert_int_equal(zes_plate_parse("AB12CDEFGHIJKLMN", 12, "DE", &p,
	    &why), 0);
	assert_string_equal(p.text, "AB12CDEFGHIJ");
	assert_int_equal(zes_plate_parse("AB12CDEFGHIJKLMN", 13, "DE", &p,
	    &why), -1);
}

/* Length boundaries: foreign 0, 1, 12, 13; Dutch 5, 6, 7. */
static void
test_length_boundaries(void **state)
{
	static const char	 digits[] = "12345678901234567890";
	struct zes_plate	 p;
	const char		*why;
	size_t			 n;

	(void)state;
	for (n = 0; n <= 14; n++) {
		why = NULL;
		if (n >= 1 && n <= 12) {
			if (zes_plate_parse(digits, n, "DE", &p, &why) != 0)
				fail_msg("foreign plate of %zu refused: %s",
				    n, why);
			assert_int_equal(strlen(p.text), n);
			assert_memory_equal(p.text, digits, n);
			assert_string_equal(p.display, p.text);
		} else {
			if (zes_plate_parse(digits, n, "DE", &p, &why) != -1)
				fail_msg("foreign plate of %zu accepted", n);
			assert_non_null(why);
		}
	}
	/* 5 and 7 characters around a valid 6 of sidecode 10. */
	assert_int_equal(zes_plate_parse("V123F", 5, NULL, &p, &why), -1);
	assert_int_equal(zes_plate_parse("V123FB", 6, NULL, &p, &why), 0);
	assert_int_equal(zes_plate_parse("V123FBB", 7, NULL, &p, &why), -1);
	assert_string_equal(why, "has 7 characters; a Dutch plate has 6");
	/* Separators do not count towards a length. */
	assert_int_equal(zes_plate_parse("-1-2-3-4-5-6-7-8-9-0-1-2-", 25,
	    "DE", &p, &why), 0);
	assert_string_equal(p.text, "123456789012");
	assert_int_equal(zes_plate_parse("-1-2-3-4-5-6-7-8-9-0-1-2-3", 26,
	    "DE", &p, &why), -1);
}

/* Country codes: shape only, upper case, default NL. */
static void
test_country_valid(void **state)
{
	(void)state;
	assert_int_equal(zes_plate_country_valid("NL"), 1);
	assert_int_equal(zes_plate_country_valid("DE"), 1);
	assert_int_equal(zes_plate_country_valid("ZZ"), 1);
	assert_int_equal(zes_plate_country_valid("AA"), 1);
	assert_int_equal(zes_plate_country_valid("nl"), 0);
	assert_int_equal(zes_plate_country_valid("Nl"), 0);
	assert_int_equal(zes_plate_country_valid("N"), 0);
	assert_int_equal(zes_plate_country_valid(""), 0);
	assert_int_equal(zes_plate_country_valid("NLD"), 0);
	assert_int_equal(zes_plate_country_valid("@["), 0);
	assert_int_equal(zes_plate_country_valid("N1"), 0);
	assert_int_equal(zes_plate_country_valid(NULL), 0);
}

/* Compile the regexes of DOMAIN.md. */
static void
compile_regexes(regex_t re[ZES_PLATE_SIDECODES])
{
	size_t	i;

	for (i = 0; i < ZES_PLATE_SIDECODES; i++)
		assert_int_equal(regcomp(&re[i], domain_sidecodes[i].regex,
		    REG_EXTENDED | REG_NOSUB), 0);
}

/* Sidecode by the regexes: 0 for none, -1 when several match. */
static int
regex_sidecode(regex_t re[ZES_PLATE_SIDECODES], const char *six)
{
	size_t	i;
	int	found = 0;

	for (i = 0; i < ZES_PLATE_SIDECODES; i++) {
		if (regexec(&re[i], six, 0, NULL, 0) == 0)
			found = found == 0 ? (int)i + 1 : -1;
	}
	return found;
}

/*
 * All 64 letter/digit shapes of six characters: the code agrees with the
 * regexes, no shape fits two sidecodes, all 14 are reached, and the display
 * form has the shape DOMAIN.md gives.
 */
static void
test_sidecode_all_shapes(void **state)
{
	regex_t		re[ZES_PLATE_SIDECODES];
	char		six[7], disp[ZES_PLATE_DISPLAY_NL], shape[9];
	unsigned	bits;
	int		seen[ZES_PLATE_SIDECODES + 1] = { 0 };
	int		want, sc;
	size_t		j;

	(void)state;
	compile_regexes(re);
	for (bits = 0; bits < 64; bits++) {
		for (j = 0; j < 6; j++)
			six[j] = ((bits >> j) & 1) ? 'B' : '7';
		six[6] = '\0';
		want = regex_sidecode(re, six);
		assert_true(want >= 0);
		sc = zes_plate_sidecode(six);
		if (sc != want)
			fail_msg("%s: sidecode %d, regex %d", six, sc, want);
		memset(disp, 'x', sizeof(disp));
		assert_int_equal(zes_plate_display(six, disp), want);
		seen[want]++;
		if (want == 0) {
			assert_string_equal(disp, "");
			continue;
		}
		for (j = 0; disp[j] != '\0'; j++)
			shape[j] = disp[j] == 'B' ? 'X' : disp[j] == '7' ?
			    '9' : disp[j];
		shape[j] = '\0';
		assert_string_equal(shape, domain_sidecodes[want - 1].shape);
	}
	for (j = 1; j <= ZES_PLATE_SIDECODES; j++)
		assert_int_equal(seen[j], 1);
	assert_int_equal(seen[0], 64 - ZES_PLATE_SIDECODES);
	for (j = 0; j < ZES_PLATE_SIDECODES; j++)
		regfree(&re[j]);
}

/*
 * Every byte in every position of one plate per sidecode: only A-Z and 0-9
 * are letters and digits (no lower case, no Latin-1), as the regexes say.
 */
/* Packing: distinct plates get distinct non-zero keys; anything else 0. */
static void
test_pack(void **state)
{
	static const char	 alpha[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	char			 six[8];
	uint32_t		 k, prev = 0;
	int			 i, j;

	(void)state;
	assert_int_equal(zes_plate_pack("000000"), (37u * 37 * 37 * 37 * 37 +
	    37u * 37 * 37 * 37 + 37u * 37 * 37 + 37u * 37 + 37u + 1u));
	assert_int_equal(zes_plate_pack("ZZZZZZ"), 36u * (37u * 37 * 37 * 37 * 37 +
	    37u * 37 * 37 * 37 + 37u * 37 * 37 + 37u * 37 + 37u + 1u));
	/* Changing the last character moves the key by one, in alphabet order. */
	memcpy(six, "VTV69", 5);
	six[6] = '\0';
	for (i = 0; i < 36; i++) {
		six[5] = alpha[i];
		k = zes_plate_pack(six);
		assert_true(k != 0);
		if (i > 0)
			assert_int_equal(k, prev + 1);
		prev = k;
	}
	/* Each position weighs 37 times the next. */
	assert_int_equal(zes_plate_pack("100000") - zes_plate_pack("000000"),
	    37u * 37 * 37 * 37 * 37);
	for (j = 0; j < 6; j++) {
		memcpy(six, "AB12CD", 7);
		six[j] = 'a';			/* not normalised */
		assert_int_equal(zes_plate_pack(six), 0);
		six[j] = '-';
		assert_int_equal(zes_plate_pack(six), 0);
		six[j] = '\0';			/* shorter */
		assert_int_equal(zes_plate_pack(six), 0);
	}
	assert_int_equal(zes_plate_pack("AB12CDE"), 0);	/* longer */
	assert_int_equal(zes_plate_pack(""), 0);
}

static void
test_sidecode_every_byte(void **state)
{
	regex_t		re[ZES_PLATE_SIDECODES];
	char		six[7];
	size_t		i, j;
	int		c, want, sc;

	(void)state;
	compile_regexes(re);
	for (i = 0; i < 14; i++) {
		for (j = 0; j < 6; j++) {
			for (c = 1; c < 256; c++) {
				memcpy(six, good[i].text, 7);
				six[j] = (char)c;
				want = regex_sidecode(re, six);
				assert_true(want >= 0);
				sc = zes_plate_sidecode(six);
				if (sc != want)
					fail_msg("byte %#x at %zu of %s: %d, "
					    "want %d", c, j, good[i].text, sc,
					    want);
			}
			/* A NUL is no character of a plate. */
			memcpy(six, good[i].text, 7);
			six[j] = '\0';
			assert_int_equal(zes_plate_sidecode(six), 0);
		}
	}
	assert_int_equal(zes_plate_sidecode(NULL), 0);
	assert_int_equal(zes_plate_sidecode(""), 0);
	assert_int_equal(zes_plate_sidecode("vtv69t"), 0);
	for (j = 0; j < ZES_PLATE_SIDECODES; j++)
		regfree(&re[j]);
}

/* zes_plate_display on its own: each sidecode's dashes, and refusals. */
static void
test_display(void **state)
{
	char	out[ZES_PLATE_DISPLAY_NL];
	size_t	i;

	(void)state;
	for (i = 0; i < 14; i++) {
		assert_int_equal(zes_plate_display(good[i].text, out),
		    good[i].sidecode);
		assert_string_equal(out, good[i].display);
	}
	memset(out, 'x', sizeof(out));
	assert_int_equal(zes_plate_display("ABCDEF", out), 0);
	assert_string_equal(out, "");
	memset(out, 'x', sizeof(out));
	assert_int_equal(zes_plate_display("V-123-FB", out), 0);
	assert_string_equal(out, "");
}

/* Warnings are for Dutch plates only, and each bit for its own reason. */
static void
test_warnings(void **state)
{
	static const char	*vowels = "AEIOU";
	struct zes_plate	 p;
	char			 s[7];
	size_t			 i;

	(void)state;
	/* Vowels count only from sidecode 4: ZB-12-34 with each vowel. */
	for (i = 0; i < 5; i++) {
		memcpy(s, "ZB1234", 7);
		s[1] = vowels[i];
		assert_int_equal(zes_plate_parse(s, 6, NULL, &p, NULL), 0);
		assert_int_equal(p.sidecode, 1);
		assert_int_equal(p.warnings, 0);
		/* BR-12-ST (sidecode 4) with each vowel. */
		memcpy(s, "BR12ST", 7);
		s[5] = vowels[i];
		assert_int_equal(zes_plate_parse(s, 6, NULL, &p, NULL), 0);
		assert_int_equal(p.sidecode, 4);
		assert_int_equal(p.warnings, ZES_PLATE_WARN_VOWEL);
	}
	/* Y is no vowel here; C and Q are flagged in any sidecode. */
	assert_int_equal(zes_plate_parse("BY12ST", 6, NULL, &p, NULL), 0);
	assert_int_equal(p.warnings, 0);
	assert_int_equal(zes_plate_parse("12-QQ-34", 8, NULL, &p, NULL), 0);
	assert_int_equal(p.sidecode, 3);
	assert_int_equal(p.warnings, ZES_PLATE_WARN_CQ);
	assert_int_equal(zes_plate_parse("c-999-bb", 8, NULL, &p, NULL), 0);
	assert_int_equal(p.sidecode, 10);
	assert_int_equal(p.warnings, ZES_PLATE_WARN_CQ);
	/* The same letters on a foreign plate: no warning. */
	assert_int_equal(zes_plate_parse("AB12CQ", 6, "DE", &p, NULL), 0);
	assert_int_equal(p.sidecode, 0);
	assert_int_equal(p.warnings, 0);
}

/* Run the tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_domain_examples),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_len),
		cmocka_unit_test(test_length_boundaries),
		cmocka_unit_test(test_country_valid),
		cmocka_unit_test(test_sidecode_all_shapes),
		cmocka_unit_test(test_sidecode_every_byte),
		cmocka_unit_test(test_pack),
		cmocka_unit_test(test_display),
		cmocka_unit_test(test_warnings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
