/*
 * Unit tests for core/common.c: role names both ways (the five of API.md,
 * exact and lower case) and the syntax of CBS municipality codes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "zes/common.h"

static const struct {
	const char	*name;
	enum zes_role	 role;
} roles[] = {
	{ "desk",	 ZES_ROLE_DESK },
	{ "assessor",	 ZES_ROLE_ASSESSOR },
	{ "enforcement", ZES_ROLE_ENFORCEMENT },
	{ "admin",	 ZES_ROLE_ADMIN },
	{ "auditor",	 ZES_ROLE_AUDITOR },
};

/* Every role name parses to its bit and the bit names it again. */
static void
test_role_round_trip(void **state)
{
	enum zes_role	seen = ZES_ROLE_NONE;
	size_t		i;

	(void)state;
	for (i = 0; i < ZES_NELEM(roles); i++) {
		assert_int_equal(zes_role_parse(roles[i].name), roles[i].role);
		assert_non_null(zes_role_name(roles[i].role));
		assert_string_equal(zes_role_name(roles[i].role), roles[i].name);
		seen |= roles[i].role;
	}
	assert_int_equal(seen, ZES_ROLE_ANY);
}

/* Unknown, differently written or partial names are not roles. */
static void
test_role_parse_unknown(void **state)
{
	static const char *const bad[] = {
		"", "Desk", "DESK", "desk ", " desk", "des", "desks", "none",
		"admin\n", "auditors", "assessor,desk", "enforcer",
	};
	size_t	i;

	(void)state;
	for (i = 0; i < ZES_NELEM(bad); i++) {
		if (zes_role_parse(bad[i]) != ZES_ROLE_NONE)
			fail_msg("\"%s\" parsed as a role", bad[i]);
	}
	assert_int_equal(zes_role_parse(NULL), ZES_ROLE_NONE);
}

/* Only single role bits have a name. */
static void
test_role_name_not_single(void **state)
{
	(void)state;
	assert_null(zes_role_name(ZES_ROLE_NONE));
	assert_null(zes_role_name(ZES_ROLE_ANY));
	assert_null(zes_role_name(ZES_ROLE_DESK | ZES_ROLE_ADMIN));
	assert_null(zes_role_name((enum zes_role)(1 << 5)));
}

/* GM and four digits, nothing before, nothing after. */
static void
test_municipality_codes(void **state)
{
	static const char *const good[] = {
		"GM0599", "GM0518", "GM0503", "GM0000", "GM9999",
	};
	static const char *const bad[] = {
		"", "G", "GM", "GM059", "GM05999", "gm0599", "Gm0599", "gM0599",
		"GM 599", "GM05a9", "GM059 ", " GM0599", "GM0599\n", "GN0599",
		"MG0599", "0599", "GM-599", "GM\xd9\xa0" "599", "GM+599",
	};
	size_t	i;

	(void)state;
	for (i = 0; i < ZES_NELEM(good); i++) {
		if (zes_municipality_code_valid(good[i]) != 1)
			fail_msg("\"%s\" refused", good[i]);
		assert_int_equal(strlen(good[i]), ZES_MUNICIPALITY_LEN);
	}
	for (i = 0; i < ZES_NELEM(bad); i++) {
		if (zes_municipality_code_valid(bad[i]) != 0)
			fail_msg("\"%s\" accepted", bad[i]);
	}
	assert_int_equal(zes_municipality_code_valid(NULL), 0);
}

/* Run the tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_role_round_trip),
		cmocka_unit_test(test_role_parse_unknown),
		cmocka_unit_test(test_role_name_not_single),
		cmocka_unit_test(test_municipality_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
