/*
 * Unit tests for core/auditchain.c: the canonical form of include/zes/
 * auditchain.h checked against bytes built by hand and hashed here with
 * OpenSSL, against hashes PostgreSQL's zes_audit_append() computes (schema/
 * 0001_foundation.sql), chaining, sensitivity to every field, and hex.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "zes/auditchain.h"

#define OBJECT	"token/5d2c0b8e-3f4a-4c1e-9b7d-2a6f8e1c0d93"

/* Two entries as PostgreSQL stores them; "\xc3\xa9" is é in UTF-8. */
static const struct zes_audit_entry entry1 = {
	1, "2026-01-02T03:04:05.123456Z", "zesctl", "token.create", OBJECT,
	"{\"name\": \"balie-\xc3\xa9\xc3\xa9n\", \"role\": \"desk\", "
	"\"municipality\": null}"
};
static const struct zes_audit_entry entry2 = {
	2, "2026-01-02T03:04:06.000001Z", "zesctl", "token.revoke", OBJECT,
	"{\"name\": \"balie-\xc3\xa9\xc3\xa9n\"}"
};

/*
 * canonical(entry1) and canonical(entry2) written out by hand: octet lengths
 * count bytes, so each é counts 2 (the detail of entry1 is 59 characters and
 * 61 bytes).
 */
static const char canon1[] =
    "1:1\n"
    "27:2026-01-02T03:04:05.123456Z\n"
    "6:zesctl\n"
    "12:token.create\n"
    "42:" OBJECT "\n"
    "61:{\"name\": \"balie-\xc3\xa9\xc3\xa9n\", \"role\": \"desk\", "
    "\"municipality\": null}\n";
static const char canon2[] =
    "1:2\n"
    "27:2026-01-02T03:04:06.000001Z\n"
    "6:zesctl\n"
    "12:token.revoke\n"
    "42:" OBJECT "\n"
    "23:{\"name\": \"balie-\xc3\xa9\xc3\xa9n\"}\n";

/*
 * What PostgreSQL 15 computes for the same entries: sha256(prev ||
 * zes_audit_canonical(...)) with the functions of schema/0001_foundation.sql
 * (checked against Python's hashlib as well).
 */
static const char pg_hash1[] =
    "d8d371300633acc91c05016d24e25588d68511bfee326ebca028266e3b1b742c";
static const char pg_hash2[] =
    "dd5d11647bd73f2f88a1e9800e02dce3bb58a5694df75fac0f90a3a452eac70c";

/* SHA-256(prev || canon), computed without the code under test. */
static void
sha256_link(const uint8_t prev[ZES_AUDIT_HASH_LEN], const char *canon,
    uint8_t out[ZES_AUDIT_HASH_LEN])
{
	EVP_MD_CTX	*ctx;
	unsigned int	 len = 0;

	ctx = EVP_MD_CTX_new();
	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, prev, ZES_AUDIT_HASH_LEN), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, canon, strlen(canon)), 1);
	assert_int_equal(EVP_DigestFinal_ex(ctx, out, &len), 1);
	assert_int_equal(len, ZES_AUDIT_HASH_LEN);
	EVP_MD_CTX_free(ctx);
}

/* The first entry hashes to SHA-256(32 zero bytes || hand-built bytes). */
static void
test_known_answer(void **state)
{
	static const uint8_t	zero[ZES_AUDIT_HASH_LEN];
	uint8_t			want[ZES_AUDIT_HASH_LEN], got[ZES_AUDIT_HASH_LEN];
	char			hex[2 * ZES_AUDIT_HASH_LEN + 1];

	(void)state;
	sha256_link(zero, canon1, want);
	zes_auditchain_hash(NULL, &entry1, got);
	assert_memory_equal(got, want, ZES_AUDIT_HASH_LEN);

	zes_auditchain_hex(got, hex);
	assert_string_equal(hex, pg_hash1);
}

/* A NULL prev means the genesis value: 32 zero bytes. */
static void
test_null_prev_is_zero(void **state)
{
	static const uint8_t	zero[ZES_AUDIT_HASH_LEN];
	uint8_t			a[ZES_AUDIT_HASH_LEN], b[ZES_AUDIT_HASH_LEN];

	(void)state;
	zes_auditchain_hash(NULL, &entry2, a);
	zes_auditchain_hash(zero, &entry2, b);
	assert_memory_equal(a, b, ZES_AUDIT_HASH_LEN);
}

/* The second entry links to the first's hash, as PostgreSQL links them. */
static void
test_chain(void **state)
{
	uint8_t	h1[ZES_AUDIT_HASH_LEN], h2[ZES_AUDIT_HASH_LEN];
	uint8_t	want[ZES_AUDIT_HASH_LEN], unchained[ZES_AUDIT_HASH_LEN];
	char	hex[2 * ZES_AUDIT_HASH_LEN + 1];

	(void)state;
	zes_auditchain_hash(NULL, &entry1, h1);
	zes_auditchain_hash(h1, &entry2, h2);
	sha256_link(h1, canon2, want);
	assert_memory_equal(h2, want, ZES_AUDIT_HASH_LEN);
	zes_auditchain_hex(h2, hex);
	assert_string_equal(hex, pg_hash2);

	/* Same entry, another predecessor: another hash. */
	zes_auditchain_hash(NULL, &entry2, unchained);
	assert_memory_not_equal(h2, unchained, ZES_AUDIT_HASH_LEN);
	h1[ZES_AUDIT_HASH_LEN - 1] ^= 0x01;
	zes_auditchain_hash(h1, &entry2, unchained);
	assert_memory_not_equal(h2, unchained, ZES_AUDIT_HASH_LEN);
}

/* Changing any one field changes the hash. */
static void
test_each_field_counts(void **state)
{
	struct zes_audit_entry	e;
	uint8_t			base[ZES_AUDIT_HASH_LEN], h[ZES_AUDIT_HASH_LEN];
	int			field;

	(void)state;
	zes_auditchain_hash(NULL, &entry1, base);
	for (field = 0; field < 6; field++) {
		e = entry1;
		switch (field) {
		case 0:
			e.seq = 2;
			break;
		case 1:
			e.at = "2026-01-02T03:04:05.123457Z";
			break;
		case 2:
			e.actor = "zesctL";
			break;
		case 3:
			e.action = "token.revoke";
			break;
		case 4:
			e.object = "token/5d2c0b8e-3f4a-4c1e-9b7d-2a6f8e1c0d94";
			break;
		default:
			e.detail = "{\"name\": \"balie-\xc3\xa9\xc3\xa9n\", "
			    "\"role\": \"admin\", \"municipality\": null}";
			break;
		}
		zes_auditchain_hash(NULL, &e, h);
		if (memcmp(h, base, ZES_AUDIT_HASH_LEN) == 0)
			fail_msg("changing field %d left the hash unchanged", field);
	}
}

/* Moving bytes across a field boundary changes the hash (the length prefix). */
static void
test_field_boundaries(void **state)
{
	struct zes_audit_entry	a, b;
	uint8_t			ha[ZES_AUDIT_HASH_LEN], hb[ZES_AUDIT_HASH_LEN];

	(void)state;
	a = entry1;
	b = entry1;
	a.actor = "zesctl:token";
	a.action = ".create";
	b.actor = "zesctl";
	b.action = ":token.create";
	zes_auditchain_hash(NULL, &a, ha);
	zes_auditchain_hash(NULL, &b, hb);
	assert_memory_not_equal(ha, hb, ZES_AUDIT_HASH_LEN);

	/* A newline inside a field is data, not a separator. */
	a = entry1;
	b = entry1;
	a.object = "x\n6:zesctl";
	a.detail = "";
	b.object = "x";
	b.detail = "zesctl";
	zes_auditchain_hash(NULL, &a, ha);
	zes_auditchain_hash(NULL, &b, hb);
	assert_memory_not_equal(ha, hb, ZES_AUDIT_HASH_LEN);
}

/* seq is written in decimal, large values and empty fields included. */
static void
test_large_seq_and_empty_fields(void **state)
{
	static const uint8_t	 zero[ZES_AUDIT_HASH_LEN];
	struct zes_audit_entry	 e = {
		INT64_MAX, "2026-01-02T03:04:05.000000Z", "", "", "", "{}"
	};
	static const char	 canon[] =
	    "19:9223372036854775807\n"
	    "27:2026-01-02T03:04:05.000000Z\n"
	    "0:\n0:\n0:\n"
	    "2:{}\n";
	uint8_t			 want[ZES_AUDIT_HASH_LEN], got[ZES_AUDIT_HASH_LEN];

	(void)state;
	sha256_link(zero, canon, want);
	zes_auditchain_hash(NULL, &e, got);
	assert_memory_equal(got, want, ZES_AUDIT_HASH_LEN);
}

/* Hex is lower case, and parsing takes either case back to the same bytes. */
static void
test_hex_round_trip(void **state)
{
	uint8_t	h[ZES_AUDIT_HASH_LEN], back[ZES_AUDIT_HASH_LEN];
	char	hex[2 * ZES_AUDIT_HASH_LEN + 1], upper[sizeof(hex)];
	size_t	i;

	(void)state;
	for (i = 0; i < ZES_AUDIT_HASH_LEN; i++)
		h[i] = (uint8_t)(i * 37 + 0xa5);
	zes_auditchain_hex(h, hex);
	assert_int_equal(strlen(hex), 2 * ZES_AUDIT_HASH_LEN);
	assert_string_equal(hex,
	    "a5caef14395e83a8cdf2173c6186abd0f51a3f6489aed3f81d42678cb1d6fb20");

	memset(back, 0, sizeof(back));
	assert_int_equal(zes_auditchain_unhex(hex, back), 0);
	assert_memory_equal(back, h, ZES_AUDIT_HASH_LEN);

	for (i = 0; i < sizeof(hex); i++)
		upper[i] = (hex[i] >= 'a' && hex[i] <= 'f') ?
		    (char)(hex[i] - 'a' + 'A') : hex[i];
	memset(back, 0, sizeof(back));
	assert_int_equal(zes_auditchain_unhex(upper, back), 0);
	assert_memory_equal(back, h, ZES_AUDIT_HASH_LEN);

	assert_int_equal(zes_auditchain_unhex(pg_hash1, back), 0);
	zes_auditchain_hex(back, hex);
	assert_string_equal(hex, pg_hash1);
}

/* Wrong length, a non-hex character anywhere, or NULL: -1, out untouched. */
static void
test_hex_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"d8d371300633acc91c05016d24e25588d68511bfee326ebca028266e3b1b742",
		"d8d371300633acc91c05016d24e25588d68511bfee326ebca028266e3b1b742c0",
		"d8d371300633acc91c05016d24e25588d68511bfee326ebca028266e3b1b742c ",
		" d8d371300633acc91c05016d24e25588d68511bfee326ebca028266e3b1b742",
		"g8d371300633acc91c05016d24e25588d68511bfee326ebca028266e3b1b742c",
		"d8d371300633acc91c05016d24e25588d68511bfee326ebca028266e3b1b742g",
		"d8d371300633acc91c05016d24e25588d68511bfee326ebca028266e3b1b74-c",
		"0xd371300633acc91c05016d24e25588d68511bfee326ebca028266e3b1b742c",
		"d8d371300633acc91c05016d24e25588\nd68511bfee326ebca028266e3b1b742",
	};
	uint8_t	out[ZES_AUDIT_HASH_LEN], keep[ZES_AUDIT_HASH_LEN];
	size_t	i;

	(void)state;
	memset(keep, 0x5a, sizeof(keep));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(out, keep, sizeof(out));
		if (zes_auditchain_unhex(bad[i], out) != -1)
			fail_msg("accepted malformed hex #%zu \"%s\"", i, bad[i]);
		assert_memory_equal(out, keep, ZES_AUDIT_HASH_LEN);
	}
	assert_int_equal(zes_auditchain_unhex(NULL, out), -1);
}

/* Run the tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_null_prev_is_zero),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_each_field_counts),
		cmocka_unit_test(test_field_boundaries),
		cmocka_unit_test(test_large_seq_and_empty_fields),
		cmocka_unit_test(test_hex_round_trip),
		cmocka_unit_test(test_hex_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
