/*
 * Unit tests for core/token.c: the token text (prefix + base64url without
 * padding, compared with OpenSSL's base64 and with RFC 4648 vectors), the
 * shape check, and the SHA-256 that the tokens table stores.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "zes/token.h"

#define GOOD	"zes_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"

/* base64url of 32 bytes without padding, computed with OpenSSL's encoder. */
static void
b64url_reference(const uint8_t in[32], char out[44])
{
	char	std[45 + 1];
	size_t	i;

	assert_int_equal(EVP_EncodeBlock((unsigned char *)std, in, 32), 44);
	assert_int_equal(std[43], '=');
	for (i = 0; i < 43; i++) {
		if (std[i] == '+')
			out[i] = '-';
		else if (std[i] == '/')
			out[i] = '_';
		else
			out[i] = std[i];
	}
	out[43] = '\0';
}

/* Fixed byte patterns give the RFC 4648 §5 text with the prefix. */
static void
test_format_vectors(void **state)
{
	uint8_t	rnd[32];
	char	tok[ZES_TOKEN_LEN + 1];
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(rnd); i++)
		rnd[i] = (uint8_t)i;
	memset(tok, 'x', sizeof(tok));
	zes_token_format(rnd, tok);
	assert_string_equal(tok, GOOD);
	assert_int_equal(strlen(tok), ZES_TOKEN_LEN);

	for (i = 0; i < sizeof(rnd); i++)
		rnd[i] = (uint8_t)(0xff - i);
	zes_token_format(rnd, tok);
	assert_string_equal(tok,
	    "zes___79_Pv6-fj39vX08_Lx8O_u7ezr6uno5-bl5OPi4eA");

	memset(rnd, 0, sizeof(rnd));
	zes_token_format(rnd, tok);
	assert_string_equal(tok,
	    "zes_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");

	/* All ones: 42 characters of 63 and a last one of 111100. */
	memset(rnd, 0xff, sizeof(rnd));
	zes_token_format(rnd, tok);
	assert_string_equal(tok,
	    "zes___________________________________________8");
}

/* Pseudo-random inputs agree with OpenSSL's base64 turned into base64url. */
static void
test_format_matches_openssl(void **state)
{
	uint8_t		rnd[32];
	char		tok[ZES_TOKEN_LEN + 1], want[44];
	uint32_t	x = 2463534242u;
	size_t		i;
	int		round;

	(void)state;
	for (round = 0; round < 1000; round++) {
		for (i = 0; i < sizeof(rnd); i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			rnd[i] = (uint8_t)x;
		}
		zes_token_format(rnd, tok);
		b64url_reference(rnd, want);
		assert_memory_equal(tok, ZES_TOKEN_PREFIX, 4);
		assert_string_equal(tok + 4, want);
		assert_int_equal(zes_token_wellformed(tok, strlen(tok)), 1);
	}
}

/* The shape check: prefix, length and alphabet, with len the only bound. */
static void
test_wellformed(void **state)
{
	static const char *const bad[] = {
		"",
		"zes_",
		"zes_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh",	/* 42 */
		"zes_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8A",	/* 44 */
		"zes_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh=",	/* padding */
		"zes_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+",	/* base64 */
		"zes_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh/",
		"zes_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdH 8",
		"zes_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdH.8",
		"zes_\xc3\xa9" "ECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
		"Zes_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
		"zes-AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
		"zesAAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
		"abc_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
		"Bearer zes_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBka",
	};
	char	buf[ZES_TOKEN_LEN + 8];
	size_t	i;

	(void)state;
	assert_int_equal(zes_token_wellformed(GOOD, strlen(GOOD)), 1);
	assert_int_equal(zes_token_wellformed(
	    "zes_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-", ZES_TOKEN_LEN), 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (zes_token_wellformed(bad[i], strlen(bad[i])) != 0)
			fail_msg("accepted bad token #%zu \"%s\"", i, bad[i]);
	}
	assert_int_equal(zes_token_wellformed(NULL, 0), 0);
	assert_int_equal(zes_token_wellformed(NULL, ZES_TOKEN_LEN), 0);

	/* len, not the NUL, bounds the token: a header value is not NUL-ended. */
	memcpy(buf, GOOD "XYZ", ZES_TOKEN_LEN + 4);
	assert_int_equal(zes_token_wellformed(buf, ZES_TOKEN_LEN), 1);
	assert_int_equal(zes_token_wellformed(buf, ZES_TOKEN_LEN + 1), 0);
	assert_int_equal(zes_token_wellformed(buf, ZES_TOKEN_LEN - 1), 0);

	/* An embedded NUL is not a base64url character. */
	memcpy(buf, GOOD, ZES_TOKEN_LEN + 1);
	buf[20] = '\0';
	assert_int_equal(zes_token_wellformed(buf, ZES_TOKEN_LEN), 0);
}

/* The hash is SHA-256 of exactly the len bytes of the text. */
static void
test_hash(void **state)
{
	uint8_t		got[ZES_TOKEN_HASH_LEN], want[ZES_TOKEN_HASH_LEN];
	unsigned int	len = 0;
	char		buf[ZES_TOKEN_LEN + 4];
	/* SHA-256 of the all-zero token (Python hashlib, PostgreSQL sha256()). */
	static const uint8_t zeros_hash[ZES_TOKEN_HASH_LEN] = {
		0xb7, 0x27, 0x0d, 0xcb, 0x56, 0xc5, 0x8a, 0xbb,
		0xf0, 0x9e, 0x20, 0x6b, 0x2e, 0xfc, 0x07, 0x26,
		0x20, 0x69, 0xfd, 0xc6, 0x0c, 0xdc, 0x69, 0x4b,
		0x94, 0x2f, 0x97, 0xe8, 0x3e, 0x07, 0xdc, 0x69,
	};

	(void)state;
	zes_token_hash("zes_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    ZES_TOKEN_LEN, got);
	assert_memory_equal(got, zeros_hash, ZES_TOKEN_HASH_LEN);

	assert_int_equal(EVP_Digest(GOOD, ZES_TOKEN_LEN, want, &len,
	    EVP_sha256(), NULL), 1);
	assert_int_equal(len, ZES_TOKEN_HASH_LEN);
	memcpy(buf, GOOD "abc", ZES_TOKEN_LEN + 4);
	zes_token_hash(buf, ZES_TOKEN_LEN, got);
	assert_memory_equal(got, want, ZES_TOKEN_HASH_LEN);

	/* One character more or different: another hash. */
	zes_token_hash(buf, ZES_TOKEN_LEN + 1, got);
	assert_memory_not_equal(got, want, ZES_TOKEN_HASH_LEN);
	buf[ZES_TOKEN_LEN - 1] = '9';
	zes_token_hash(buf, ZES_TOKEN_LEN, got);
	assert_memory_not_equal(got, want, ZES_TOKEN_HASH_LEN);
}

/* Run the tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_vectors),
		cmocka_unit_test(test_format_matches_openssl),
		cmocka_unit_test(test_wellformed),
		cmocka_unit_test(test_hash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
