/* test_config.c — defaults, the INI file, flags, and error messages (server/config.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/hearth-config-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void defaults(void **state)
{
	struct config c;

	(void)state;
	config_defaults(&c);
	assert_string_equal(c.listen_addr, "127.0.0.1");
	assert_int_equal(c.listen_port, 8080);
	assert_string_equal(c.data_dir, "./var");
	assert_string_equal(c.synchronous, "FULL");
	assert_false(c.testing);
	/* live-session defaults the contract depends on (PROTOCOL.md §1, §9) */
	assert_int_equal(c.rate_burst, 5);
	assert_int_equal(c.rate_per_min, 60);
	assert_int_equal(c.away_grace_s, 120);
	assert_int_equal(c.ring_frames, 1024);
	assert_string_equal(c.crisis_phrases, "");
	assert_non_null(strstr(c.crisis_text, "116 123"));
	assert_int_equal(c.scrypt_ln, 17);
	config_free(&c);
}

static void file_then_flags(void **state)
{
	struct config c;
	char err[256];
	char *path = write_tmp("; comment\n[server]\nlisten = 0.0.0.0:9000\ndata = /srv/h\n"
			       "[store]\nbatch_max = 64\n");

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_load_file(&c, path, err, sizeof err), 0);
	assert_string_equal(c.listen_addr, "0.0.0.0");
	assert_int_equal(c.listen_port, 9000);
	assert_int_equal(c.batch_max, 64);
	/* a flag wins over the file */
	assert_int_equal(config_apply_flag(&c, "listen", "127.0.0.1:0", err, sizeof err), 1);
	assert_int_equal(c.listen_port, 0);
	assert_int_equal(config_apply_flag(&c, "store-batch-max", "8", err, sizeof err), 1);
	assert_int_equal(c.batch_max, 8);
	assert_int_equal(config_apply_flag(&c, "no-such-flag", "1", err, sizeof err), 0);
	assert_true(config_flag_is_switch("testing"));
	assert_false(config_flag_is_switch("listen"));
	config_free(&c);
	unlink(path);
	free(path);
}

/* Each bad file names its path, line and key. */
static void bad_files(void **state)
{
	static const struct {
		const char *text, *expect;
	} cases[] = {
		{"[server]\nlisten = nowhere\n", ":2: [server] listen: expected ADDR:PORT"},
		{"[server]\n\nlisten = 1.2.3.4:70000\n", ":3: [server] listen: port must be 0-65535"},
		{"[store]\nsynchronous = OFF\n", ":2: [store] synchronous: expected FULL or NORMAL"},
		{"[store]\nbatch_max = many\n", ":2: [store] batch_max: not a whole number"},
		{"[server]\ncolour = blue\n", ":2: [server] colour: unknown key"},
		{"[server]\ntesting = perhaps\n", ":2: [server] testing: expected true or false"},
		{"[server]\nthis line is wrong\n", ":2: not a valid line"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct config c;
		char err[256];
		char *path = write_tmp(cases[i].text);

		config_defaults(&c);
		assert_int_equal(config_load_file(&c, path, err, sizeof err), -1);
		assert_non_null(strstr(err, path));
		if (!strstr(err, cases[i].expect))
			fail_msg("case %zu: got '%s', want '%s'", i, err, cases[i].expect);
		config_free(&c);
		unlink(path);
		free(path);
	}
}

static void missing_file_and_bad_flag(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_load_file(&c, "/nonexistent/hearth.ini", err, sizeof err), -1);
	assert_non_null(strstr(err, "cannot open"));
	assert_int_equal(config_apply_flag(&c, "listen", "x", err, sizeof err), -1);
	assert_non_null(strstr(err, "--listen"));
	config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(file_then_flags),
		cmocka_unit_test(bad_files),
		cmocka_unit_test(missing_file_and_bad_flag),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
