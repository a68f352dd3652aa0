/*
 * Licence plates (pure; no I/O): normalisation, the Dutch sidecodes of
 * DOMAIN.md section 7, the dashed display form, and the checks of API.md.
 */
#ifndef ZES_PLATE_H
#define ZES_PLATE_H

#include <stddef.h>
#include <stdint.h>

#include "zes/common.h"

#define ZES_PLATE_MAX		12	/* API.md: foreign plates 1-12 characters */
#define ZES_PLATE_NL_LEN	6	/* every Dutch sidecode has 6 characters */
#define ZES_PLATE_DISPLAY_NL	9	/* "XX-99-99" and its NUL */
#define ZES_PLATE_SIDECODES	14
#define ZES_PLATE_DEFAULT_COUNTRY "NL"

/* Warnings never reject a plate: letter sets per series are not published. */
#define ZES_PLATE_WARN_CQ	0x01u	/* a C or Q: never issued in NL */
#define ZES_PLATE_WARN_VOWEL	0x02u	/* a vowel in sidecode 4 or later */

struct zes_plate {
	char		text[ZES_PLATE_MAX + 1];	/* upper case, no separators */
	char		country[3];	/* ISO 3166-1 alpha-2 shape, "NL" default */
	int		sidecode;	/* 1-14 for NL, 0 for other countries */
	char		display[16];	/* dashed for NL, equal to text otherwise */
	unsigned	warnings;	/* ZES_PLATE_WARN_* bits; 0 for non-NL */
};

/*
 * Parse len bytes of in as a plate of country (NULL or "" is "NL").  Spaces,
 * hyphens and dots are dropped and ASCII letters upper-cased; a Dutch plate
 * must then fit exactly one sidecode, another country's 1-12 letters or
 * digits.  0 and *out filled; -1 with *out untouched and *why (when why is
 * not NULL) a static predicate about the field at fault, as in "the plate
 * fits no Dutch sidecode".  The country is checked first: the field at fault
 * is the country when zes_plate_country_valid() rejects a non-empty country,
 * else the plate.
 */
int	zes_plate_parse(const char *in, size_t len, const char *country,
	    struct zes_plate *out, const char **why) ZES_MUSTCHECK;

/* 1 when s is two upper-case ASCII letters and its NUL, else 0. */
int	zes_plate_country_valid(const char *s);

/*
 * Sidecode (1-14) of six normalised characters (upper case, no separators;
 * only the first six are read, and a NUL among them fits none); 0 when none.
 */
int	zes_plate_sidecode(const char *six);

/*
 * Write the dashed form of six normalised characters into out and return
 * their sidecode; 0 and out "" when they fit none.
 */
int	zes_plate_display(const char *six, char out[ZES_PLATE_DISPLAY_NL]);

/*
 * Six normalised characters of [0-9A-Z] and their NUL packed into 32 bits
 * (each character 1-36 in base 37: 37^6 < 2^32), for compact tables of
 * Dutch plates; never 0 for a plate, 0 for anything else.
 */
uint32_t	zes_plate_pack(const char *s);

#endif
