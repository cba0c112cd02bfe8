/* test_util.c — byte buffers, UTF-8 checks and number parsing (server/util.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static void buf_grows_and_keeps_headroom(void **state)
{
	struct buf b;
	char *p;
	size_t len;

	(void)state;
	buf_init(&b, 16);
	for (int i = 0; i < 1000; i++)
		buf_printf(&b, "%d,", i);
	assert_int_equal(b.data - b.base, 16);
	assert_true(b.len > 2000);
	assert_int_equal(b.data[b.len], '\0');
	assert_memory_equal(b.data, "0,1,2,", 6);
	p = buf_steal(&b, &len);
	assert_memory_equal(p, "0,1,2,", 6);
	assert_int_equal(strlen(p), len);
	assert_null(b.base);
	free(p);
}

static void utf8_table(void **state)
{
	static const struct {
		const char *s;
		int ok;
	} cases[] = {
		{"plain", 1},       {"caf\xc3\xa9", 1},         {"\xe2\x82\xac", 1},
		{"\xf0\x9f\x92\x99", 1}, {"\xc3", 0},           {"\xc0\xaf", 0},
		{"\xed\xa0\x80", 0}, {"\xf4\x90\x80\x80", 0},    {"\xff", 0},
		{"\xe2\x82", 0},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		assert_int_equal(utf8_valid(cases[i].s, strlen(cases[i].s)), cases[i].ok);
	assert_int_equal(utf8_valid("a\0b", 3), 0);
	assert_int_equal(utf8_len("caf\xc3\xa9", 5), 4);
}

static void parse_int_bounds(void **state)
{
	int64_t v;

	(void)state;
	assert_int_equal(parse_int64("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_int64("101", 0, 100, &v), -1);
	assert_int_equal(parse_int64("4x", 0, 100, &v), -1);
	assert_int_equal(parse_int64("", 0, 100, &v), -1);
	assert_int_equal(parse_int64("99999999999999999999", 0, INT64_MAX, &v), -1);
}

static void ct_equal_and_hex(void **state)
{
	char hex[9];
	unsigned char bytes[4] = {0xde, 0xad, 0xbe, 0xef};

	(void)state;
	assert_true(ct_equal("abcd", "abcd", 4));
	assert_false(ct_equal("abcd", "abce", 4));
	hex_encode(bytes, 4, hex);
	assert_string_equal(hex, "deadbeef");
}

static void lists_and_addresses(void **state)
{
	char **l = strlist_split(" a, b,,c  d ", 3);

	(void)state;
	assert_string_equal(l[0], "a");
	assert_string_equal(l[1], "b");
	assert_string_equal(l[2], "c");
	assert_null(l[3]); /* "d" is past max */
	strlist_free(l);
	l = strlist_split("", 4);
	assert_null(l[0]);
	strlist_free(l);
	strlist_free(NULL);
	assert_true(ip_is_numeric("192.0.2.1"));
	assert_true(ip_is_numeric("2001:db8::1"));
	assert_false(ip_is_numeric("proxy.example"));
	assert_false(ip_is_numeric("[2001:db8::1]"));
	assert_false(ip_is_numeric("192.0.2.1:80"));
	assert_false(ip_is_numeric(""));
}

static void loopback_addresses(void **state)
{
	(void)state;
	assert_true(ip_is_loopback("127.0.0.1"));
	assert_true(ip_is_loopback("127.8.9.10"));
	assert_true(ip_is_loopback("::1"));
	assert_true(ip_is_loopback("::ffff:127.0.0.1"));
	assert_false(ip_is_loopback("10.0.0.1"));
	assert_false(ip_is_loopback("1.127.0.0"));
	assert_false(ip_is_loopback("::ffff:10.0.0.1"));
	assert_false(ip_is_loopback("::11"));
	assert_false(ip_is_loopback(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buf_grows_and_keeps_headroom),
		cmocka_unit_test(utf8_table),
		cmocka_unit_test(parse_int_bounds),
		cmocka_unit_test(ct_equal_and_hex),
		cmocka_unit_test(lists_and_addresses),
		cmocka_unit_test(loopback_addresses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
