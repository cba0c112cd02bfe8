/*
 * test_mail.c — the outgoing mail message builder (server/mail_msg.c):
 * CRLF everywhere, no header injection, RFC 2047 subjects, 7bit and
 * quoted-printable bodies, address checks and the retry schedule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "mail_msg.h"
#include "util.h"

/* ---- helpers: a reader independent of the writer ---- */

static int b64_val(char c)
{
	const char *tab = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = strchr(tab, c);

	return c && p ? (int)(p - tab) : -1;
}

/* Decode base64 text of n chars into out; returns the byte count. */
static size_t b64_decode(const char *s, size_t n, unsigned char *out)
{
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;

	for (size_t i = 0; i < n && s[i] != '='; i++) {
		int v = b64_val(s[i]);

		assert_true(v >= 0);
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return o;
}

/* Every line ends in CRLF: no bare CR or LF anywhere, and the text ends with CRLF. */
static void assert_crlf_only(const char *s, size_t n)
{
	assert_true(n >= 2);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			assert_true(i > 0 && s[i - 1] == '\r');
		if (s[i] == '\r')
			assert_true(i + 1 < n && s[i + 1] == '\n');
	}
	assert_memory_equal(s + n - 2, "\r\n", 2);
}

/* The header block (up to the blank line) as a fresh string. */
static char *headers_of(const char *msg)
{
	const char *end = strstr(msg, "\r\n\r\n");

	assert_non_null(end);
	return xstrndup(msg, (size_t)(end - msg) + 2);
}

static const char *body_of(const char *msg)
{
	const char *end = strstr(msg, "\r\n\r\n");

	assert_non_null(end);
	return end + 4;
}

/* The value of header `name`, unfolded (CRLF before SP/TAB removed); NULL if absent. */
static char *header_value(const char *msg, const char *name)
{
	char *h = headers_of(msg), *p = h, *out = NULL;
	size_t nlen = strlen(name);

	while (*p) {
		char *eol = strstr(p, "\r\n");

		assert_non_null(eol);
		if (!strncmp(p, name, nlen) && p[nlen] == ':') {
			struct buf b;
			char *q = p + nlen + 1;

			buf_init(&b, 0);
			while (*q == ' ')
				q++;
			for (;;) {
				eol = strstr(q, "\r\n");
				buf_append(&b, q, (size_t)(eol - q));
				if (eol[2] != ' ' && eol[2] != '\t')
					break;
				q = eol + 2;
			}
			out = buf_steal(&b, NULL);
			break;
		}
		p = eol + 2;
	}
	free(h);
	return out;
}

/* Decode a value made of =?UTF-8?B?…?= words (whitespace between words dropped). */
static char *decode_words(const char *v)
{
	struct buf b;
	unsigned char tmp[256];

	buf_init(&b, 0);
	while (*v) {
		const char *end;

		if (*v == ' ') {
			v++;
			continue;
		}
		assert_int_equal(strncmp(v, "=?UTF-8?B?", 10), 0);
		end = strstr(v + 10, "?=");
		assert_non_null(end);
		assert_true(end + 2 - v <= 75); /* RFC 2047 word limit */
		size_t n = b64_decode(v + 10, (size_t)(end - v - 10), tmp);
		/* each word holds whole characters */
		assert_true(utf8_valid((const char *)tmp, n));
		buf_append(&b, tmp, n);
		v = end + 2;
	}
	return buf_steal(&b, NULL);
}

/* Decode quoted-printable (soft breaks removed, CRLF kept). */
static char *qp_decode(const char *s)
{
	struct buf b;

	buf_init(&b, 0);
	while (*s) {
		if (s[0] == '=' && s[1] == '\r' && s[2] == '\n') {
			s += 3;
		} else if (s[0] == '=') {
			char hex[3] = {s[1], s[2], 0};
			unsigned char c = (unsigned char)strtol(hex, NULL, 16);

			assert_non_null(strchr("0123456789ABCDEF", s[1]));
			assert_non_null(strchr("0123456789ABCDEF", s[2]));
			buf_append(&b, &c, 1);
			s += 3;
		} else {
			buf_append(&b, s, 1);
			s++;
		}
	}
	return buf_steal(&b, NULL);
}

static size_t longest_line(const char *s)
{
	size_t best = 0;

	while (*s) {
		const char *eol = strstr(s, "\r\n");
		size_t n = eol ? (size_t)(eol - s) : strlen(s);

		if (n > best)
			best = n;
		s += n + (eol ? 2 : 0);
	}
	return best;
}

static struct mail_msg base_msg(void)
{
	struct mail_msg m = {
	    .from_name = "Hearth",
	    .from_addr = "no-reply@hearth.example",
	    .to = "sam@example.org",
	    .subject = "You have a new private message",
	    .body = "Someone wrote to you in Hearth.\nSign in to read it.\n",
	    .kind = "conversation_unread",
	    .msgid = "hearth.42.1763632800123",
	    .date_ms = 1763632800123LL,
	};
	return m;
}

static char *build_ok(const struct mail_msg *m)
{
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(mail_msg_build(m, &b), 0);
	assert_crlf_only(b.data, b.len);
	return buf_steal(&b, NULL);
}

/* ---- tests ---- */

static void whole_message_is_crlf_with_every_header(void **state)
{
	struct mail_msg m = base_msg();
	char *msg = build_ok(&m), *v;

	(void)state;
	assert_string_equal(msg, "Date: Thu, 20 Nov 2025 10:00:00 +0000\r\n"
				 "From: Hearth <no-reply@hearth.example>\r\n"
				 "To: sam@example.org\r\n"
				 "Subject: You have a new private message\r\n"
				 "Message-ID: <hearth.42.1763632800123@hearth.example>\r\n"
				 "MIME-Version: 1.0\r\n"
				 "Content-Type: text/plain; charset=utf-8\r\n"
				 "Content-Transfer-Encoding: 7bit\r\n"
				 "Auto-Submitted: auto-generated\r\n"
				 "X-Hearth-Kind: conversation_unread\r\n"
				 "\r\n"
				 "Someone wrote to you in Hearth.\r\n"
				 "Sign in to read it.\r\n");
	v = header_value(msg, "Subject");
	assert_string_equal(v, "You have a new private message");
	free(v);
	free(msg);
}

static void body_line_endings_become_crlf(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"a\nb", "a\r\nb\r\n"},
	    {"a\r\nb\r\n", "a\r\nb\r\n"},
	    {"a\rb", "a\r\nb\r\n"},
	    {"a\n\nb\n", "a\r\n\r\nb\r\n"},
	    {"a\r\r\nb", "a\r\n\r\nb\r\n"},
	    {"\n", "\r\n"},
	    {".\n..\n", ".\r\n..\r\n"}, /* no dot-stuffing here: curl does it on the wire */
	    {"", ""},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct mail_msg m = base_msg();
		char *msg;

		m.body = cases[i].in;
		msg = build_ok(&m);
		assert_string_equal(body_of(msg), cases[i].out);
		free(msg);
	}
}

static void subject_cannot_inject_headers(void **state)
{
	static const char *const cases[] = {
	    "Hello\r\nBcc: victim@example.org",
	    "Hello\nBcc: victim@example.org",
	    "Hello\rBcc: victim@example.org",
	    "Hello\r\n\r\nInjected body",
	    "Hello\tthere\x7f\x01",
	    "Caf\xc3\xa9\r\nBcc: victim@example.org", /* the encoded path too */
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct mail_msg m = base_msg();
		char *msg, *h, *v, *text;

		m.subject = cases[i];
		msg = build_ok(&m);
		h = headers_of(msg);
		assert_null(strstr(h, "\r\nBcc:"));
		/* the body is still exactly the body: the header block did not end early */
		assert_string_equal(body_of(msg), "Someone wrote to you in Hearth.\r\n"
						  "Sign in to read it.\r\n");
		v = header_value(msg, "Subject");
		assert_non_null(v);
		text = strncmp(v, "=?", 2) ? xstrdup(v) : decode_words(v);
		for (const char *p = text; *p; p++)
			assert_false((unsigned char)*p < 0x20 || *p == 0x7f);
		assert_non_null(strstr(text, "Hello") ? strstr(text, "Hello")
						      : strstr(text, "Caf\xc3\xa9"));
		free(text);
		free(v);
		free(h);
		free(msg);
	}
}

static void subjects_needing_encoding_round_trip(void **state)
{
	static const char *const cases[] = {
	    "Caf\xc3\xa9",
	    "Nouvelle r\xc3\xa9ponse \xc3\xa0 votre message \xe2\x80\x94 Hearth \xe2\x98\x95",
	    /* long enough to need several words; 4-byte characters on word edges */
	    "\xf0\x9f\x92\x99\xf0\x9f\x92\x99\xf0\x9f\x92\x99\xf0\x9f\x92\x99\xf0\x9f\x92\x99"
	    "\xf0\x9f\x92\x99\xf0\x9f\x92\x99\xf0\x9f\x92\x99\xf0\x9f\x92\x99\xf0\x9f\x92\x99"
	    "\xf0\x9f\x92\x99\xf0\x9f\x92\x99 a \xf0\x9f\x92\x99\xf0\x9f\x92\x99\xf0\x9f\x92\x99"
	    "\xf0\x9f\x92\x99\xf0\x9f\x92\x99\xf0\x9f\x92\x99\xf0\x9f\x92\x99",
	    "Looks like =?UTF-8?B?QQ==?= but is plain", /* must not be read as a word */
	    "A plain ASCII subject that is far too long to fit on one header line of 78 chars",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct mail_msg m = base_msg();
		char *msg, *h, *v, *text;

		m.subject = cases[i];
		msg = build_ok(&m);
		h = headers_of(msg);
		assert_true(longest_line(h) <= 78);
		for (const char *p = h; *p; p++)
			assert_true((unsigned char)*p < 0x80); /* headers are ASCII */
		v = header_value(msg, "Subject");
		assert_int_equal(strncmp(v, "=?UTF-8?B?", 10), 0);
		text = decode_words(v);
		assert_string_equal(text, cases[i]);
		free(text);
		free(v);
		free(h);
		free(msg);
	}
}

static void body_non_ascii_or_long_lines_are_quoted_printable(void **state)
{
	static const struct {
		const char *in;
		const char *expect_crlf; /* the body with CRLF line ends, as decoded */
	} cases[] = {
	    {"Ch\xc3\xa8re Sam,\nMerci.\n", "Ch\xc3\xa8re Sam,\r\nMerci.\r\n"},
	    {"caf\xc3\xa9\tand space \nend\t", "caf\xc3\xa9\tand space \r\nend\t\r\n"},
	    {"1 + 1 = 2 \xe2\x9c\x93", "1 + 1 = 2 \xe2\x9c\x93\r\n"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct mail_msg m = base_msg();
		char *msg, *cte, *dec;

		m.body = cases[i].in;
		msg = build_ok(&m);
		cte = header_value(msg, "Content-Transfer-Encoding");
		assert_string_equal(cte, "quoted-printable");
		assert_true(longest_line(body_of(msg)) <= 76);
		for (const char *p = body_of(msg); *p; p++)
			assert_true((unsigned char)*p < 0x80);
		dec = qp_decode(body_of(msg));
		assert_string_equal(dec, cases[i].expect_crlf);
		free(dec);
		free(cte);
		free(msg);
	}
}

static void long_ascii_line_uses_soft_breaks(void **state)
{
	struct mail_msg m = base_msg();
	char line[1501], *msg, *cte, *dec, *want;

	(void)state;
	for (size_t i = 0; i < sizeof line - 1; i++)
		line[i] = (char)('a' + i % 26);
	line[sizeof line - 1] = '\0';
	m.body = line;
	msg = build_ok(&m);
	cte = header_value(msg, "Content-Transfer-Encoding");
	assert_string_equal(cte, "quoted-printable");
	assert_true(longest_line(body_of(msg)) <= 76);
	dec = qp_decode(body_of(msg));
	want = xasprintf("%s\r\n", line);
	assert_string_equal(dec, want);
	free(want);
	free(dec);
	free(cte);
	free(msg);
}

static void qp_encodes_trailing_space_and_equals(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	mail_qp_encode(&b, "a \nb\t\nx=y\n \n", 12);
	assert_string_equal(b.data, "a=20\r\nb=09\r\nx=3Dy\r\n=20\r\n");
	buf_free(&b);
}

static void from_header_forms(void **state)
{
	static const struct {
		const char *name, *header;
	} cases[] = {
	    {"Hearth", "Hearth <no-reply@hearth.example>"},
	    {"", "no-reply@hearth.example"},
	    {"Hearth, support", "\"Hearth, support\" <no-reply@hearth.example>"},
	    {"Say \"hi\"", "\"Say \\\"hi\\\"\" <no-reply@hearth.example>"},
	    {"Foyer \xc3\xa0 Paris", "=?UTF-8?B?Rm95ZXIgw6AgUGFyaXM=?= <no-reply@hearth.example>"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct mail_msg m = base_msg();
		char *msg, *v;

		m.from_name = cases[i].name;
		msg = build_ok(&m);
		v = header_value(msg, "From");
		assert_string_equal(v, cases[i].header);
		free(v);
		free(msg);
	}
}

static void build_refuses_bad_input_and_leaves_out_alone(void **state)
{
	static const struct {
		const char *to, *from, *subject, *body, *msgid, *kind;
		int err;
	} cases[] = {
	    {"not-an-address", NULL, NULL, NULL, NULL, NULL, MAIL_EADDR},
	    {"a@b.org\r\nRCPT TO:<x@y.org>", NULL, NULL, NULL, NULL, NULL, MAIL_EADDR},
	    {"<a@b.org>", NULL, NULL, NULL, NULL, NULL, MAIL_EADDR},
	    {NULL, "nobody", NULL, NULL, NULL, NULL, MAIL_EADDR},
	    {NULL, NULL, "", NULL, NULL, NULL, MAIL_EINVAL},
	    {NULL, NULL, "bad \xc3", NULL, NULL, NULL, MAIL_EINVAL},
	    {NULL, NULL, NULL, "bad \xff body", NULL, NULL, MAIL_EINVAL},
	    {NULL, NULL, NULL, NULL, "has space", NULL, MAIL_EINVAL},
	    {NULL, NULL, NULL, NULL, "a>b", NULL, MAIL_EINVAL},
	    {NULL, NULL, NULL, NULL, NULL, "Bad-Kind", MAIL_EINVAL},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct mail_msg m = base_msg();
		struct buf b;

		if (cases[i].to)
			m.to = cases[i].to;
		if (cases[i].from)
			m.from_addr = cases[i].from;
		if (cases[i].subject)
			m.subject = cases[i].subject;
		if (cases[i].body)
			m.body = cases[i].body;
		if (cases[i].msgid)
			m.msgid = cases[i].msgid;
		if (cases[i].kind)
			m.kind = cases[i].kind;
		buf_init(&b, 0);
		buf_puts(&b, "kept");
		assert_int_equal(mail_msg_build(&m, &b), cases[i].err);
		assert_string_equal(b.data, "kept");
		buf_free(&b);
	}
}

static void addresses(void **state)
{
	static const struct {
		const char *addr;
		int ok;
	} cases[] = {
	    {"a@b.c", 1},
	    {"no-reply@localhost", 1},
	    {"first.last+tag@mail-host.example.org", 1},
	    {"o'neil@example.ie", 1},
	    {"", 0},
	    {"a", 0},
	    {"@b.c", 0},
	    {"a@", 0},
	    {"a b@c.d", 0},
	    {"a@b..c", 0},
	    {".a@b.c", 0},
	    {"a.@b.c", 0},
	    {"a..b@c.d", 0},
	    {"a@-b.c", 0},
	    {"a@b.c.", 0},
	    {"a@b@c.d", 0},
	    {"<a@b.c>", 0},
	    {"a@b.c\r\n", 0},
	    {"a@b.c>", 0},
	    {"\"q\"@b.c", 0},
	    {"\xc3\xa9@b.c", 0},
	    {"a@[127.0.0.1]", 0},
	};
	char longaddr[300];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		assert_int_equal(mail_addr_valid(cases[i].addr), cases[i].ok);
	assert_int_equal(mail_addr_valid(NULL), 0);
	memset(longaddr, 'a', sizeof longaddr);
	memcpy(longaddr + 250, "@b.cd", 6); /* 255 bytes: one over */
	assert_int_equal(mail_addr_valid(longaddr), 0);
	longaddr[249] = '\0';
	memcpy(longaddr + 249 - 5, "@b.cd", 6); /* 249 bytes */
	assert_int_equal(mail_addr_valid(longaddr), 1);
}

static void from_setting_parses(void **state)
{
	static const struct {
		const char *in, *name, *addr; /* name NULL: refused */
	} cases[] = {
	    {"Hearth <no-reply@localhost>", "Hearth", "no-reply@localhost"},
	    {"no-reply@example.org", "", "no-reply@example.org"},
	    {"  Hearth Team   <a@b.org>  ", "Hearth Team", "a@b.org"},
	    {"<a@b.org>", "", "a@b.org"},
	    {"\"Hearth, support\" <a@b.org>", "Hearth, support", "a@b.org"},
	    {"Foyer \xc3\xa0 Paris <a@b.org>", "Foyer \xc3\xa0 Paris", "a@b.org"},
	    {"Hearth <a@b.org> extra", NULL, NULL},
	    {"Hearth <a@b.org", NULL, NULL},
	    {"Hearth <not an address>", NULL, NULL},
	    {"Hear\nth <a@b.org>", NULL, NULL},
	    {"Hearth <a@b.org> <c@d.org>", NULL, NULL},
	    {"", NULL, NULL},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char name[MAIL_NAME_MAX + 1], addr[MAIL_ADDR_MAX + 1];
		int rc = mail_from_parse(cases[i].in, name, addr);

		if (!cases[i].name) {
			assert_int_equal(rc, MAIL_EADDR);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_string_equal(name, cases[i].name);
		assert_string_equal(addr, cases[i].addr);
	}
}

static void dates(void **state)
{
	static const struct {
		int64_t ms;
		const char *text;
	} cases[] = {
	    {0, "Thu, 01 Jan 1970 00:00:00 +0000"},
	    {951782400000LL, "Tue, 29 Feb 2000 00:00:00 +0000"},
	    {1763632800999LL, "Thu, 20 Nov 2025 10:00:00 +0000"},
	};
	char out[40];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		mail_date(cases[i].ms, out);
		assert_string_equal(out, cases[i].text);
	}
}

static void backoff_schedule(void **state)
{
	static const int64_t want[] = {60000,	 300000,   1800000, 7200000, 21600000,
				       21600000, 21600000, -1,	    -1};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(want); i++)
		assert_int_equal(mail_backoff_ms((int)i + 1), want[i]);
	assert_int_equal(mail_backoff_ms(MAIL_MAX_ATTEMPTS), -1);
	assert_int_equal(mail_backoff_ms(MAIL_MAX_ATTEMPTS - 1), 21600000);
}

static void kinds(void **state)
{
	(void)state;
	assert_true(mail_kind_valid("conversation_unread"));
	assert_true(mail_kind_valid("test2"));
	assert_false(mail_kind_valid(""));
	assert_false(mail_kind_valid(NULL));
	assert_false(mail_kind_valid("With-Caps"));
	assert_false(mail_kind_valid("a\r\nb"));
	assert_false(mail_kind_valid("abcdefghijklmnopqrstuvwxyz0123456")); /* 33 */
	assert_true(mail_kind_valid("abcdefghijklmnopqrstuvwxyz012345"));   /* 32 */
}

static void strerror_names_every_code(void **state)
{
	(void)state;
	for (int e = MAIL_EIO; e <= MAIL_OK; e++) {
		assert_non_null(mail_strerror(e));
		assert_string_not_equal(mail_strerror(e), "unknown mail error");
	}
	assert_string_equal(mail_strerror(-99), "unknown mail error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(whole_message_is_crlf_with_every_header),
	    cmocka_unit_test(body_line_endings_become_crlf),
	    cmocka_unit_test(subject_cannot_inject_headers),
	    cmocka_unit_test(subjects_needing_encoding_round_trip),
	    cmocka_unit_test(body_non_ascii_or_long_lines_are_quoted_printable),
	    cmocka_unit_test(long_ascii_line_uses_soft_breaks),
	    cmocka_unit_test(qp_encodes_trailing_space_and_equals),
	    cmocka_unit_test(from_header_forms),
	    cmocka_unit_test(build_refuses_bad_input_and_leaves_out_alone),
	    cmocka_unit_test(addresses),
	    cmocka_unit_test(from_setting_parses),
	    cmocka_unit_test(dates),
	    cmocka_unit_test(backoff_schedule),
	    cmocka_unit_test(kinds),
	    cmocka_unit_test(strerror_names_every_code),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
