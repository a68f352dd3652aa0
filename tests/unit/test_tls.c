/*
 * Unit tests for http/tls.c without sockets: the client map parser
 * (fingerprints with and without colons, names, comments, every kind of bad
 * line named by its number, duplicates) and the errors zes_tls_load gives
 * for missing files.  Handshakes are tested in tests/integration/test_tls.py.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "zes/config.h"
#include "zes/tls.h"

#define FP_A	"00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF"
#define FP_B_COLONS	"FF:EE:DD:CC:BB:AA:99:88:77:66:55:44:33:22:11:00:" \
			"FF:EE:DD:CC:BB:AA:99:88:77:66:55:44:33:22:11:00"

/* Parse text that must be good. */
static long
parse_ok(const char *text, struct zes_tls_map_entry **v)
{
	char	*err = NULL;
	long	 n;

	n = zes_tls_map_parse(text, strlen(text), "map", v, &err);
	if (n < 0)
		fail_msg("parse failed: %s", err ? err : "(no error)");
	assert_null(err);
	return n;
}

/* Parse text that must fail; the error must mention `want`. */
static void
parse_bad(const char *text, const char *want)
{
	struct zes_tls_map_entry	*v = (void *)1;
	char				*err = NULL;

	if (zes_tls_map_parse(text, strlen(text), "map", &v, &err) != -1)
		fail_msg("\"%s\" parsed", text);
	assert_null(v);
	assert_non_null(err);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" does not mention \"%s\"", err, want);
	free(err);
}

/* Good maps: both fingerprint spellings, names with spaces, comments. */
static void
test_parse_good(void **state)
{
	struct zes_tls_map_entry	*v;
	long				 n;

	(void)state;
	n = parse_ok("# cameras\n\n" FP_B_COLONS "   camera gateway 1  \r\n"
	    "  " FP_A "\tdesk-frontend\n# end", &v);
	assert_int_equal(n, 2);
	/* Sorted by fingerprint: A (00...) before B (FF...). */
	assert_int_equal(v[0].fp[0], 0x00);
	assert_int_equal(v[0].fp[1], 0x11);
	assert_int_equal(v[0].fp[31], 0xff);
	assert_string_equal(v[0].name, "desk-frontend");
	assert_int_equal(v[1].fp[0], 0xff);
	assert_int_equal(v[1].fp[15], 0x00);
	assert_string_equal(v[1].name, "camera gateway 1");
	free(v);

	assert_int_equal(parse_ok("", &v), 0);
	free(v);
	assert_int_equal(parse_ok("# nothing\n   \n", &v), 0);
	free(v);
}

/* Bad lines are named by number; duplicates by both names. */
static void
test_parse_bad(void **state)
{
	char	long_name[200];

	(void)state;
	parse_bad("\n" FP_A "\n", "line 2");			/* no name */
	parse_bad(FP_A "x name\n", "line 1");			/* 65 hex digits */
	parse_bad("0011 name\n", "line 1");			/* too short */
	parse_bad("zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff n\n",
	    "line 1");
	parse_bad("# ok\n" FP_A ": name\n", "line 2");		/* colon after the last byte */
	parse_bad("00:11" FP_A " name\n", "line 1");
	parse_bad(FP_A " a\n" FP_A " b\n", "listed twice");
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	{
		char text[400];

		snprintf(text, sizeof(text), FP_A " %s\n", long_name);
		parse_bad(text, "1 to 100 bytes");
	}
	{
		static const char nul[] = FP_A " na\0me\n";
		struct zes_tls_map_entry *v = NULL;
		char *err = NULL;

		assert_int_equal(zes_tls_map_parse(nul, sizeof(nul) - 1, "map", &v,
		    &err), -1);
		assert_non_null(strstr(err, "NUL"));
		free(err);
	}
}

/* Loading names the key and the file that failed. */
static void
test_load_errors(void **state)
{
	struct zes_config	cfg;
	char			*err = NULL;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.tls_cert = "/nonexistent/cert.pem";
	cfg.tls_key = "/nonexistent/key.pem";
	cfg.tls_client_ca = "";
	cfg.tls_client_verify = "optional";
	cfg.tls_client_map = "";
	assert_null(zes_tls_load(&cfg, &err));
	assert_non_null(err);
	assert_non_null(strstr(err, "tls_cert"));
	assert_non_null(strstr(err, "/nonexistent/cert.pem"));
	free(err);

	cfg.tls_cert = "";
	err = NULL;
	assert_null(zes_tls_load(&cfg, &err));
	assert_non_null(strstr(err, "tls_key"));
	free(err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_load_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
