/* Keyset cursors and UUID text (daemon/core/cursor.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "zes/cursor.h"

#define T_ID	"3f2a0c1e-9b7d-4e21-8a55-0123456789ab"

/* The 8-4-4-4-12 form in either case, nothing else. */
static void
test_uuid(void **state)
{
	static const struct {
		const char	*s;
		int		 ok;
	} cases[] = {
		{ T_ID, 1 },
		{ "3F2A0C1E-9B7D-4E21-8A55-0123456789AB", 1 },
		{ "00000000-0000-0000-0000-000000000000", 1 },
		{ "3f2a0c1e-9b7d-4e21-8a55-0123456789a", 0 },	/* short */
		{ "3f2a0c1e-9b7d-4e21-8a55-0123456789abc", 0 },	/* long */
		{ "3f2a0c1e9b7d-4e21-8a55-0123456789ab-", 0 },	/* dash moved */
		{ "3f2a0c1e-9b7d-4e21-8a55-0123456789ag", 0 },	/* not hex */
		{ "3f2a0c1e-9b7d-4e21-8a55-0123456789a ", 0 },
		{ "{f2a0c1e-9b7d-4e21-8a55-0123456789ab", 0 },
		{ "", 0 },
	};
	size_t	i;

	(void)state;
	for (i = 0; i < ZES_NELEM(cases); i++)
		if (zes_uuid_valid(cases[i].s) != cases[i].ok)
			fail_msg("\"%s\": want %d", cases[i].s, cases[i].ok);
	assert_int_equal(zes_uuid_valid(NULL), 0);
}

/* What format writes, parse reads back, for the tag it was made with only. */
static void
test_round_trip(void **state)
{
	static const char *const ats[] = {
		"0", "1767225600000000", "-1", "9223372036854775807",
		"-9223372036854775808",
	};
	char			 buf[ZES_CURSOR_MAX];
	struct zes_cursor	 c;
	long long		 want;
	size_t			 i;

	(void)state;
	for (i = 0; i < ZES_NELEM(ats); i++) {
		assert_int_equal(zes_cursor_format(buf, sizeof(buf), 'g', ats[i], T_ID), 0);
		assert_int_equal(buf[0], 'g');
		assert_int_equal(zes_cursor_parse(buf, 'g', &c), 0);
		assert_int_equal(sscanf(ats[i], "%lld", &want), 1);
		assert_true(c.at == (int64_t)want);
		assert_string_equal(c.id, T_ID);
		assert_int_equal(zes_cursor_parse(buf, 'c', &c), -1);
	}
}

/* Anything this server would not have made is refused. */
static void
test_refused(void **state)
{
	static const char *const bad[] = {
		"", "g", "g.", "g1.", "g." T_ID, "1." T_ID, "x1." T_ID,
		"g1" T_ID, "g1.." T_ID, "g1.2." T_ID, "g1x." T_ID, "g 1." T_ID,
		"g+1." T_ID, "g9223372036854775808." T_ID,
		"g123456789012345678901234." T_ID, "g1." T_ID "0",
		"g1.3f2a0c1e-9b7d-4e21-8a55-0123456789", "g0x10." T_ID,
	};
	struct zes_cursor	c;
	size_t			i;

	(void)state;
	for (i = 0; i < ZES_NELEM(bad); i++)
		if (zes_cursor_parse(bad[i], 'g', &c) != -1)
			fail_msg("\"%s\" was taken", bad[i]);
	assert_int_equal(zes_cursor_parse(NULL, 'g', &c), -1);
}

/* format refuses what would not read back, and what does not fit. */
static void
test_format_refuses(void **state)
{
	char	buf[ZES_CURSOR_MAX];

	(void)state;
	assert_int_equal(zes_cursor_format(buf, sizeof(buf), 'g', "", T_ID), -1);
	assert_string_equal(buf, "");
	assert_int_equal(zes_cursor_format(buf, sizeof(buf), 'g', "12", "no-id"), -1);
	assert_int_equal(zes_cursor_format(buf, sizeof(buf), 'g', "1.5", T_ID), -1);
	assert_int_equal(zes_cursor_format(buf, 10, 'g', "12", T_ID), -1);
	assert_string_equal(buf, "");
	assert_int_equal(zes_cursor_format(buf, 0, 'g', "12", T_ID), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_format_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
