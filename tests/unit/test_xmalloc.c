/*
 * Unit tests for daemon/xmalloc.c: zes_strtonum (bounds, both ends of long
 * long, the three error strings, every kind of garbage around or inside the
 * number, *out untouched on error) and the allocators that never return NULL
 * (zero sizes, zeroed calloc, realloc keeping the contents, strndup and
 * asprintf lengths), and the huge-page calloc of the access index.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "zes/common.h"
#include "zes/xmalloc.h"

#define SENTINEL	424242LL

/* Numbers that parse, with their bounds. */
static void
test_strtonum_good(void **state)
{
	static const struct {
		const char	*s;
		long long	 min, max, want;
	} cases[] = {
		{ "0", 0, 10, 0 },
		{ "10", 0, 10, 10 },
		{ "5", 5, 5, 5 },
		{ "-5", -10, 10, -5 },
		{ "-10", -10, 10, -10 },
		{ "-0", -1, 1, 0 },
		{ "010", 0, 100, 10 },		/* decimal, not octal */
		{ "007", 0, 100, 7 },
		{ "65535", 0, 65535, 65535 },
		{ "9223372036854775807", LLONG_MIN, LLONG_MAX, LLONG_MAX },
		{ "-9223372036854775808", LLONG_MIN, LLONG_MAX, LLONG_MIN },
		{ "-9223372036854775807", LLONG_MIN, 0, LLONG_MIN + 1 },
	};
	size_t		 i;
	long long	 out;
	const char	*errstr;

	(void)state;
	for (i = 0; i < ZES_NELEM(cases); i++) {
		out = SENTINEL;
		errstr = "not reset";
		if (zes_strtonum(cases[i].s, cases[i].min, cases[i].max, &out,
		    &errstr) != 0)
			fail_msg("\"%s\" in [%lld, %lld] refused: %s", cases[i].s,
			    cases[i].min, cases[i].max, errstr ? errstr : "(null)");
		if (out != cases[i].want)
			fail_msg("\"%s\" gave %lld, want %lld", cases[i].s, out,
			    cases[i].want);
		assert_null(errstr);
	}
}

/* Numbers out of bounds: "too small" / "too large", *out untouched. */
static void
test_strtonum_bounds(void **state)
{
	static const struct {
		const char	*s;
		long long	 min, max;
		const char	*why;
	} cases[] = {
		{ "11", 0, 10, "too large" },
		{ "4", 5, 10, "too small" },
		{ "-11", -10, 10, "too small" },
		{ "65536", 0, 65535, "too large" },
		{ "9223372036854775808", LLONG_MIN, LLONG_MAX, "too large" },
		{ "99999999999999999999999", LLONG_MIN, LLONG_MAX, "too large" },
		{ "-9223372036854775809", LLONG_MIN, LLONG_MAX, "too small" },
		{ "-99999999999999999999999", LLONG_MIN, LLONG_MAX, "too small" },
		{ "9223372036854775807", 0, LLONG_MAX - 1, "too large" },
		{ "-1", 0, 10, "invalid" },	/* min >= 0: a sign is garbage */
		{ "-0", 0, 10, "invalid" },
	};
	size_t		 i;
	long long	 out;
	const char	*errstr;

	(void)state;
	for (i = 0; i < ZES_NELEM(cases); i++) {
		out = SENTINEL;
		errstr = NULL;
		if (zes_strtonum(cases[i].s, cases[i].min, cases[i].max, &out,
		    &errstr) != -1)
			fail_msg("\"%s\" in [%lld, %lld] accepted as %lld",
			    cases[i].s, cases[i].min, cases[i].max, out);
		assert_non_null(errstr);
		if (strcmp(errstr, cases[i].why) != 0)
			fail_msg("\"%s\": \"%s\", want \"%s\"", cases[i].s, errstr,
			    cases[i].why);
		assert_int_equal(out, SENTINEL);
	}
}

/* Anything but a bare decimal number over all of s is "invalid". */
static void
test_strtonum_garbage(void **state)
{
	static const char *const cases[] = {
		"", " ", "-", "+", "--1", "+-1", "-+1", "+5", " 5", "5 ", "5\n",
		"\t5", "\n5", "\v5", "\f5", "\r5",
		"5x", "x5", "0x10", "1e3", "1.0", "1,000", "1_000", "\xd9\xa3",
		"12 34", "0b1", "inf", "nan", "-\t5",
	};
	size_t		 i;
	long long	 out;
	const char	*errstr;

	(void)state;
	for (i = 0; i < ZES_NELEM(cases); i++) {
		out = SENTINEL;
		errstr = NULL;
		if (zes_strtonum(cases[i], -1000, 1000, &out, &errstr) != -1)
			fail_msg("garbage case %zu (\"%s\") accepted as %lld", i,
			    cases[i], out);
		if (errstr == NULL || strcmp(errstr, "invalid") != 0)
			fail_msg("garbage case %zu: \"%s\", want \"invalid\"", i,
			    errstr ? errstr : "(null)");
		assert_int_equal(out, SENTINEL);
	}
	out = SENTINEL;
	errstr = NULL;
	assert_int_equal(zes_strtonum(NULL, 0, 10, &out, &errstr), -1);
	assert_string_equal(errstr, "invalid");
	assert_int_equal(out, SENTINEL);
}

/* Allocators: zero sizes give distinct usable pointers, calloc zeroes. */
static void
test_alloc(void **state)
{
	unsigned char	*p, *q, *z;
	size_t		 i;

	(void)state;
	p = xmalloc(0);
	q = xmalloc(0);
	assert_non_null(p);
	assert_non_null(q);
	assert_ptr_not_equal(p, q);
	p[0] = 1;			/* one byte is usable */
	free(p);
	free(q);

	z = xcalloc(100, 7);
	for (i = 0; i < 700; i++)
		if (z[i] != 0)
			fail_msg("xcalloc byte %zu is %u", i, z[i]);
	free(z);
	z = xcalloc(0, 0);
	assert_non_null(z);
	free(z);

	p = xmalloc(16);
	for (i = 0; i < 16; i++)
		p[i] = (unsigned char)i;
	p = xrealloc(p, 4096);
	for (i = 0; i < 16; i++)
		assert_int_equal(p[i], i);
	p[4095] = 0xff;
	p = xrealloc(p, 0);
	assert_non_null(p);
	free(p);
	p = xrealloc(NULL, 8);		/* realloc(NULL) is malloc */
	assert_non_null(p);
	free(p);
}

/* String helpers: copies, bounded copies, formatted lengths. */
static void
test_strings(void **state)
{
	const char	*src = "exemptions desk";
	char		*s;
	int		 n;

	(void)state;
	s = xstrdup(src);
	assert_ptr_not_equal(s, src);
	assert_string_equal(s, src);
	free(s);
	s = xstrdup("");
	assert_string_equal(s, "");
	free(s);

	s = xstrndup(src, 10);
	assert_string_equal(s, "exemptions");
	free(s);
	s = xstrndup(src, 100);
	assert_string_equal(s, src);
	free(s);
	s = xstrndup(src, 0);
	assert_string_equal(s, "");
	free(s);

	n = xasprintf(&s, "%s=%d%c", "port", 8080, '!');
	assert_int_equal(n, 10);
	assert_string_equal(s, "port=8080!");
	assert_int_equal(strlen(s), (size_t)n);
	free(s);
	n = xasprintf(&s, "%s", "");
	assert_int_equal(n, 0);
	assert_string_equal(s, "");
	free(s);
	n = xasprintf(&s, "%0500d", 7);
	assert_int_equal(n, 500);
	assert_int_equal(strlen(s), 500);
	assert_int_equal(s[499], '7');
	free(s);
}

/*
 * xcalloc_huge: zeroed whatever its size; from 2 MiB on aligned to 2 MiB
 * (the huge-page hint itself is the kernel's to honour, not checked here).
 */
static void
test_calloc_huge(void **state)
{
	static const size_t	 sizes[][2] = {
		{ 0, 8 }, { 1, 1 }, { 1000, 24 },		/* below 2 MiB */
		{ 262144, 8 }, { 262145, 8 }, { 3, 1 << 20 },	/* 2 MiB and above */
	};
	unsigned char		*p;
	size_t			 i, j, total;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		total = sizes[i][0] * sizes[i][1];
		p = xcalloc_huge(sizes[i][0], sizes[i][1]);
		assert_non_null(p);
		for (j = 0; j < total; j += 4093)
			assert_int_equal(p[j], 0);
		if (total > 0)
			assert_int_equal(p[total - 1], 0);
		if (total >= ((size_t)2 << 20))
			assert_int_equal((uintptr_t)p % ((size_t)2 << 20), 0);
		memset(p, 0xa5, total);	/* all of it is ours */
		free(p);
	}
}

/* Run the tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strtonum_good),
		cmocka_unit_test(test_strtonum_bounds),
		cmocka_unit_test(test_strtonum_garbage),
		cmocka_unit_test(test_alloc),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_calloc_huge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
