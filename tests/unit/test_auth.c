/*
 * Unit tests for daemon/http/auth.c, on PGresults built in memory with
 * PQmakeEmptyPGresult + PQsetResultAttrs + PQsetvalue in the five columns of
 * zes_tokens_sql (id, name, role, municipality, hex of the SHA-256): lookup of
 * good tokens (principal filled: id, name, role, municipality), of tokens not
 * in the set (revoked), of malformed tokens and wrong lengths; rows out of hash
 * order; upper-case hex; NULL municipality; long id and name cut to their
 * fields; malformed rows (wrong role text, bad hex, bad municipality, wrong
 * column count) refused with an error naming the token; empty sets; and
 * ref/unref/count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "zes/auditchain.h"
#include "zes/auth.h"
#include "zes/token.h"

#define OID_TEXT	25

/* One row of zes_tokens_sql (NULL: SQL NULL). */
struct row {
	const char	*id, *name, *role, *muni, *hex;
};

/* A token made from fixed bytes, and the hex of its hash. */
struct tok {
	char	text[ZES_TOKEN_LEN + 1];
	char	hex[2 * ZES_TOKEN_HASH_LEN + 1];
};

/* Token number `seed`: 32 bytes derived from it, formatted and hashed. */
static void
tok_make(struct tok *t, unsigned seed)
{
	uint8_t	rnd[32], h[ZES_TOKEN_HASH_LEN];
	size_t	i;

	for (i = 0; i < sizeof(rnd); i++)
		rnd[i] = (uint8_t)(seed * 37u + i * 11u + (seed >> 3));
	zes_token_format(rnd, t->text);
	assert_int_equal(strlen(t->text), ZES_TOKEN_LEN);
	assert_true(zes_token_wellformed(t->text, ZES_TOKEN_LEN));
	zes_token_hash(t->text, ZES_TOKEN_LEN, h);
	zes_auditchain_hex(h, t->hex);
}

/* A result with the given number of columns and rows. */
static PGresult *
result_make(int ncols, const struct row *rows, size_t nrows)
{
	static char	 c0[] = "id", c1[] = "name", c2[] = "role",
			 c3[] = "coalesce", c4[] = "encode", c5[] = "extra";
	char		*names[] = { c0, c1, c2, c3, c4, c5 };
	PGresAttDesc	 att[6];
	PGresult	*res;
	size_t		 i;
	int		 j;

	assert_true(ncols <= 6);
	res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	assert_non_null(res);
	memset(att, 0, sizeof(att));
	for (j = 0; j < ncols; j++) {
		att[j].name = names[j];
		att[j].columnid = j + 1;
		att[j].typid = OID_TEXT;
		att[j].typlen = -1;
		att[j].atttypmod = -1;
	}
	assert_int_equal(PQsetResultAttrs(res, ncols, att), 1);
	for (i = 0; i < nrows; i++) {
		const char *v[6] = { rows[i].id, rows[i].name, rows[i].role,
		    rows[i].muni, rows[i].hex, "x" };

		for (j = 0; j < ncols; j++)
			assert_int_equal(PQsetvalue(res, (int)i, j, (char *)v[j],
			    v[j] == NULL ? -1 : (int)strlen(v[j])), 1);
	}
	assert_int_equal(PQntuples(res), (int)nrows);
	assert_int_equal(PQnfields(res), ncols);
	return res;
}

/* A set from rows that must be good. */
static struct zes_tokens *
tokens_ok(const struct row *rows, size_t nrows)
{
	PGresult		*res = result_make(5, rows, nrows);
	struct zes_tokens	*t;
	char			*err = (char *)"not reset";

	t = zes_tokens_from_result(res, &err);
	PQclear(res);
	if (t == NULL)
		fail_msg("rows refused: %s", err ? err : "(no error)");
	assert_null(err);
	return t;
}

/* A principal with every byte set, to see what a lookup writes. */
static void
who_poison(struct zes_principal *who)
{
	memset(who, 0x5a, sizeof(*who));
}

static int
who_poisoned(const struct zes_principal *who)
{
	const unsigned char	*p = (const unsigned char *)who;
	size_t			 i;

	for (i = 0; i < sizeof(*who); i++)
		if (p[i] != 0x5a)
			return 0;
	return 1;
}

/* Good tokens are found with their principal; others are not. */
static void
test_lookup(void **state)
{
	struct tok		 tk[4];
	struct zes_tokens	*t;
	struct zes_principal	 who;
	size_t			 i;
	static const struct {
		const char	*id, *name, *role, *muni;
		enum zes_role	 want;
	} meta[3] = {
		{ "0b6f0a8e-7c1a-4c43-9a39-4c2b1f1e0001", "desk Amsterdam", "desk", "GM0363",
		  ZES_ROLE_DESK },
		{ "0b6f0a8e-7c1a-4c43-9a39-4c2b1f1e0002", "auditor", "auditor", "",
		  ZES_ROLE_AUDITOR },
		{ "0b6f0a8e-7c1a-4c43-9a39-4c2b1f1e0003", "enforcement Utrecht",
		  "enforcement", "GM0344", ZES_ROLE_ENFORCEMENT },
	};
	struct row	rows[3];

	(void)state;
	for (i = 0; i < 4; i++)
		tok_make(&tk[i], (unsigned)i + 1);
	for (i = 0; i < 3; i++) {
		rows[i].id = meta[i].id;
		rows[i].name = meta[i].name;
		rows[i].role = meta[i].role;
		rows[i].muni = meta[i].muni;
		rows[i].hex = tk[i].hex;
	}
	t = tokens_ok(rows, 3);
	assert_int_equal(zes_tokens_count(t), 3);

	for (i = 0; i < 3; i++) {
		who_poison(&who);
		if (zes_tokens_lookup(t, tk[i].text, ZES_TOKEN_LEN, &who) != 0)
			fail_msg("token %zu not found", i);
		assert_string_equal(who.id, meta[i].id);
		assert_string_equal(who.name, meta[i].name);
		assert_int_equal(who.role, meta[i].want);
		assert_string_equal(who.municipality, meta[i].muni);
	}

	/* A well-formed token not in the set (revoked, or never made). */
	who_poison(&who);
	assert_int_equal(zes_tokens_lookup(t, tk[3].text, ZES_TOKEN_LEN, &who), -1);
	assert_true(who_poisoned(&who));

	/* The length given counts, not the NUL. */
	{
		char buf[ZES_TOKEN_LEN + 8];

		snprintf(buf, sizeof(buf), "%sxyz", tk[0].text);
		assert_int_equal(zes_tokens_lookup(t, buf, ZES_TOKEN_LEN, &who), 0);
		assert_string_equal(who.id, meta[0].id);
		who_poison(&who);
		assert_int_equal(zes_tokens_lookup(t, buf, ZES_TOKEN_LEN + 1, &who), -1);
		assert_int_equal(zes_tokens_lookup(t, buf, ZES_TOKEN_LEN - 1, &who), -1);
		assert_true(who_poisoned(&who));
	}
	zes_tokens_unref(t);
}

/* Malformed presented tokens are refused before any hashing. */
static void
test_lookup_malformed(void **state)
{
	struct tok		 tk;
	struct zes_tokens	*t;
	struct zes_principal	 who;
	struct row		 row = { "id-1", "n", "admin", "", NULL };
	char			 bad[8][ZES_TOKEN_LEN + 2];
	size_t			 i;

	(void)state;
	tok_make(&tk, 99);
	row.hex = tk.hex;
	t = tokens_ok(&row, 1);

	for (i = 0; i < ZES_NELEM(bad); i++)
		snprintf(bad[i], sizeof(bad[i]), "%s", tk.text);
	bad[0][0] = 'Z';				/* prefix */
	bad[1][3] = '-';				/* prefix */
	bad[2][10] = '+';				/* not base64url */
	bad[3][20] = '=';				/* padding */
	bad[4][ZES_TOKEN_LEN - 1] = ' ';
	bad[5][30] = '\0';				/* NUL inside */
	memcpy(bad[6], "ZES_", 4);			/* case of the prefix */
	bad[7][15] = '\xc3';

	for (i = 0; i < ZES_NELEM(bad); i++) {
		who_poison(&who);
		if (zes_tokens_lookup(t, bad[i], ZES_TOKEN_LEN, &who) != -1)
			fail_msg("malformed token %zu accepted", i);
		assert_true(who_poisoned(&who));
	}
	assert_int_equal(zes_tokens_lookup(t, "", 0, &who), -1);
	assert_int_equal(zes_tokens_lookup(t, "zes_", 4, &who), -1);
	assert_int_equal(zes_tokens_lookup(t, NULL, 0, &who), -1);
	assert_int_equal(zes_tokens_lookup(t, NULL, ZES_TOKEN_LEN, &who), -1);
	assert_true(who_poisoned(&who));
	/* The good one still works. */
	assert_int_equal(zes_tokens_lookup(t, tk.text, ZES_TOKEN_LEN, &who), 0);
	assert_int_equal(who.role, ZES_ROLE_ADMIN);
	zes_tokens_unref(t);
}

/* Many tokens in an order that is not the hash order are all found. */
static void
test_many_unsorted(void **state)
{
	enum { N = 50 };
	struct tok		*tk;
	struct row		 rows[N];
	char			 ids[N][40], names[N][32];
	static const char *const roles[] = {
		"desk", "assessor", "enforcement", "admin", "auditor",
	};
	struct zes_tokens	*t;
	struct zes_principal	 who;
	size_t			 i;

	(void)state;
	tk = calloc(N + 1, sizeof(*tk));
	assert_non_null(tk);
	for (i = 0; i <= N; i++)
		tok_make(&tk[i], (unsigned)(1000 + i));
	for (i = 0; i < N; i++) {
		snprintf(ids[i], sizeof(ids[i]), "id-%zu", i);
		snprintf(names[i], sizeof(names[i]), "name %zu", i);
		rows[i].id = ids[i];
		rows[i].name = names[i];
		rows[i].role = roles[i % ZES_NELEM(roles)];
		rows[i].muni = i % 2 ? "GM0599" : "";
		rows[i].hex = tk[i].hex;
	}
	/* Upper-case hex is accepted too. */
	for (i = 0; tk[7].hex[i] != '\0'; i++)
		if (tk[7].hex[i] >= 'a' && tk[7].hex[i] <= 'f')
			tk[7].hex[i] = (char)(tk[7].hex[i] - 'a' + 'A');

	t = tokens_ok(rows, N);
	assert_int_equal(zes_tokens_count(t), N);
	for (i = 0; i < N; i++) {
		memset(&who, 0, sizeof(who));
		if (zes_tokens_lookup(t, tk[i].text, ZES_TOKEN_LEN, &who) != 0)
			fail_msg("token %zu not found", i);
		assert_string_equal(who.id, ids[i]);
		assert_string_equal(who.name, names[i]);
		assert_int_equal(who.role, zes_role_parse(roles[i % ZES_NELEM(roles)]));
		assert_string_equal(who.municipality, i % 2 ? "GM0599" : "");
	}
	assert_int_equal(zes_tokens_lookup(t, tk[N].text, ZES_TOKEN_LEN, &who), -1);
	zes_tokens_unref(t);
	free(tk);
}

/* Rows with odd but allowed values. */
static void
test_row_edges(void **state)
{
	struct tok		 tk[2];
	struct row		 rows[2];
	char			 longid[100], longname[300];
	struct zes_tokens	*t;
	struct zes_principal	 who;

	(void)state;
	tok_make(&tk[0], 7);
	tok_make(&tk[1], 8);
	memset(longid, 'i', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';

	/* NULL municipality is none; long id and name are cut to their fields. */
	rows[0] = (struct row){ "id-a", "a", "assessor", NULL, tk[0].hex };
	rows[1] = (struct row){ longid, longname, "admin", "", tk[1].hex };
	t = tokens_ok(rows, 2);
	assert_int_equal(zes_tokens_lookup(t, tk[0].text, ZES_TOKEN_LEN, &who), 0);
	assert_string_equal(who.municipality, "");
	assert_int_equal(who.role, ZES_ROLE_ASSESSOR);
	assert_int_equal(zes_tokens_lookup(t, tk[1].text, ZES_TOKEN_LEN, &who), 0);
	assert_int_equal(strlen(who.id), sizeof(who.id) - 1);
	assert_int_equal(strncmp(who.id, longid, sizeof(who.id) - 1), 0);
	assert_int_equal(strlen(who.name), sizeof(who.name) - 1);
	assert_int_equal(strncmp(who.name, longname, sizeof(who.name) - 1), 0);
	zes_tokens_unref(t);
}

/* A malformed row refuses the whole set, naming the token. */
static void
test_malformed_rows(void **state)
{
	struct tok	tk[2];
	char		long65[2 * ZES_TOKEN_HASH_LEN + 2], short63[2 * ZES_TOKEN_HASH_LEN];
	char		nonhex[2 * ZES_TOKEN_HASH_LEN + 1];
	struct {
		const char	*role, *muni, *hex;
	} cases[] = {
		{ "Admin", "", NULL },
		{ "ADMIN", "", NULL },
		{ "root", "", NULL },
		{ "", "", NULL },
		{ NULL, "", NULL },			/* SQL NULL role */
		{ "admin ", "", NULL },
		{ "desk,admin", "", NULL },
		{ "admin", "GM363", NULL },
		{ "admin", "gm0363", NULL },
		{ "admin", "GM03631", NULL },
		{ "admin", "0363", NULL },
		{ "admin", "", "" },
		{ "admin", "", long65 },
		{ "admin", "", short63 },
		{ "admin", "", nonhex },
		{ "admin", "", "\\x0123" },
	};
	struct row		 rows[2];
	PGresult		*res;
	struct zes_tokens	*t;
	char			*err;
	size_t			 i;

	(void)state;
	tok_make(&tk[0], 21);
	tok_make(&tk[1], 22);
	snprintf(long65, sizeof(long65), "%s0", tk[1].hex);
	memcpy(short63, tk[1].hex, sizeof(short63) - 1);
	short63[sizeof(short63) - 1] = '\0';
	snprintf(nonhex, sizeof(nonhex), "%s", tk[1].hex);
	nonhex[40] = 'g';
	for (i = 0; i < ZES_NELEM(cases); i++) {
		rows[0] = (struct row){ "good-token", "good", "desk", "GM0599", tk[0].hex };
		rows[1] = (struct row){ "bad-token-id", "bad", cases[i].role,
		    cases[i].muni, cases[i].hex ? cases[i].hex : tk[1].hex };
		res = result_make(5, rows, 2);
		err = NULL;
		t = zes_tokens_from_result(res, &err);
		PQclear(res);
		if (t != NULL) {
			zes_tokens_unref(t);
			fail_msg("case %zu (role \"%s\", municipality \"%s\") accepted",
			    i, cases[i].role ? cases[i].role : "NULL", cases[i].muni);
		}
		if (err == NULL || strstr(err, "bad-token-id") == NULL ||
		    strstr(err, "malformed") == NULL)
			fail_msg("case %zu: error \"%s\"", i, err ? err : "(none)");
		free(err);
	}
}

/* The wrong number of columns is refused. */
static void
test_wrong_columns(void **state)
{
	struct tok		 tk;
	struct row		 row;
	PGresult		*res;
	struct zes_tokens	*t;
	char			*err;
	static const int	 ncols[] = { 0, 4, 6 };
	size_t			 i;

	(void)state;
	tok_make(&tk, 5);
	row = (struct row){ "id", "n", "desk", "", tk.hex };
	for (i = 0; i < ZES_NELEM(ncols); i++) {
		res = result_make(ncols[i], &row, ncols[i] > 0);
		err = NULL;
		t = zes_tokens_from_result(res, &err);
		PQclear(res);
		assert_null(t);
		assert_non_null(err);
		if (strstr(err, "columns") == NULL)
			fail_msg("%d columns: \"%s\"", ncols[i], err);
		{
			char n[16];

			snprintf(n, sizeof(n), "%d", ncols[i]);
			assert_non_null(strstr(err, n));
		}
		free(err);
	}
}

/* An empty result is an empty set; references and count. */
static void
test_empty_and_refs(void **state)
{
	struct tok		 tk;
	struct zes_tokens	*t, *t2;
	struct zes_principal	 who;
	struct row		 row;

	(void)state;
	tok_make(&tk, 3);
	t = tokens_ok(NULL, 0);
	assert_int_equal(zes_tokens_count(t), 0);
	assert_int_equal(zes_tokens_lookup(t, tk.text, ZES_TOKEN_LEN, &who), -1);
	zes_tokens_unref(t);

	assert_int_equal(zes_tokens_count(NULL), 0);
	assert_int_equal(zes_tokens_lookup(NULL, tk.text, ZES_TOKEN_LEN, &who), -1);
	zes_tokens_unref(NULL);

	row = (struct row){ "id-r", "r", "desk", "", tk.hex };
	t = tokens_ok(&row, 1);
	t2 = zes_tokens_ref(t);
	assert_ptr_equal(t2, t);
	zes_tokens_unref(t);		/* one left */
	assert_int_equal(zes_tokens_count(t2), 1);
	assert_int_equal(zes_tokens_lookup(t2, tk.text, ZES_TOKEN_LEN, &who), 0);
	assert_string_equal(who.id, "id-r");
	zes_tokens_unref(t2);		/* freed; LeakSanitizer checks */

	/* The SQL reads the five columns in the expected order. */
	assert_non_null(strstr(zes_tokens_sql, "SELECT id::text, name, role,"));
	assert_non_null(strstr(zes_tokens_sql, "revoked_at IS NULL"));
}

/* Run the tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_lookup_malformed),
		cmocka_unit_test(test_many_unsorted),
		cmocka_unit_test(test_row_edges),
		cmocka_unit_test(test_malformed_rows),
		cmocka_unit_test(test_wrong_columns),
		cmocka_unit_test(test_empty_and_refs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
