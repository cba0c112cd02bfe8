/*
 * mail_msg.c — RFC 5322 messages for outgoing mail, address checks and
 * the retry schedule (see mail_msg.h). Pure functions over struct buf.
 */
#include "mail_msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * Raw bytes per encoded word. 39 bytes are 52 base64 characters, a word of
 * 64 ("=?UTF-8?B?" + 52 + "?="), so "Subject: " plus one word stays within
 * the 78 characters RFC 5322 recommends; 75 is the hard limit of RFC 2047.
 */
#define WORD_RAW_MAX 39
#define HEADER_LINE_MAX 78
#define QP_LINE_MAX 76
#define BODY_LINE_MAX 998

const char *mail_strerror(int err)
{
	switch (err) {
	case MAIL_OK:
		return "no error";
	case MAIL_EADDR:
		return "invalid address";
	case MAIL_EINVAL:
		return "invalid message text";
	case MAIL_ESEND:
		return "the mail server could not take the message";
	case MAIL_EIO:
		return "the mail spool folder could not be written";
	}
	return "unknown mail error";
}

static int is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+/=?^_`{|}~-", c));
}

static int is_domain_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.';
}

int mail_addr_valid(const char *addr)
{
	const char *at, *p;
	size_t len;

	if (!addr)
		return 0;
	len = strlen(addr);
	at = strrchr(addr, '@');
	if (len > MAIL_ADDR_MAX || !at || at == addr || !at[1])
		return 0;
	/* local part: dot-atoms only (no quoted strings, no leading/trailing/double dot) */
	for (p = addr; p < at; p++) {
		if (*p == '.') {
			if (p == addr || p + 1 == at || p[1] == '.')
				return 0;
		} else if (!is_atext((unsigned char)*p)) {
			return 0;
		}
	}
	for (p = at + 1; *p; p++) {
		if (!is_domain_char((unsigned char)*p))
			return 0;
		if (*p == '.' && (p == at + 1 || !p[1] || p[1] == '.'))
			return 0;
	}
	return at[1] != '-';
}

int mail_kind_valid(const char *kind)
{
	size_t n = kind ? strlen(kind) : 0;

	if (n == 0 || n > MAIL_KIND_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((kind[i] >= 'a' && kind[i] <= 'z') || (kind[i] >= '0' && kind[i] <= '9') ||
		      kind[i] == '_'))
			return 0;
	return 1;
}

static int has_control(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 1;
	return 0;
}

static size_t trim(const char **s, size_t n)
{
	while (n && (**s == ' ' || **s == '\t')) {
		(*s)++;
		n--;
	}
	while (n && ((*s)[n - 1] == ' ' || (*s)[n - 1] == '\t'))
		n--;
	return n;
}

int mail_from_parse(const char *from, char name[MAIL_NAME_MAX + 1], char addr[MAIL_ADDR_MAX + 1])
{
	const char *lt, *gt, *n, *a;
	size_t nlen, alen;

	if (!from)
		return MAIL_EADDR;
	lt = strchr(from, '<');
	if (lt) {
		gt = strchr(lt, '>');
		if (!gt || strchr(gt + 1, '<') || gt[1 + strspn(gt + 1, " \t")])
			return MAIL_EADDR;
		n = from;
		nlen = trim(&n, (size_t)(lt - from));
		a = lt + 1;
		alen = (size_t)(gt - a);
	} else {
		n = "";
		nlen = 0;
		a = from;
		alen = trim(&a, strlen(from));
	}
	if (nlen > MAIL_NAME_MAX || alen > MAIL_ADDR_MAX || has_control(n, nlen) ||
	    !utf8_valid(n, nlen) || memchr(n, '>', nlen))
		return MAIL_EADDR;
	memcpy(addr, a, alen);
	addr[alen] = '\0';
	if (!mail_addr_valid(addr))
		return MAIL_EADDR;
	memcpy(name, n, nlen);
	name[nlen] = '\0';
	/* a name given only as quotes ("\"Hearth\"") is unquoted here and re-quoted on output */
	if (nlen >= 2 && name[0] == '"' && name[nlen - 1] == '"') {
		memmove(name, name + 1, nlen - 2);
		name[nlen - 2] = '\0';
	}
	return 0;
}

/* ---- header text -------------------------------------------------------- */

static void base64(struct buf *out, const unsigned char *in, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char q[4];

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		q[0] = tab[(v >> 18) & 63];
		q[1] = tab[(v >> 12) & 63];
		q[2] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? tab[v & 63] : '=';
		buf_append(out, q, 4);
	}
}

/* Bytes of the UTF-8 sequence that starts with c (1 for a stray byte). */
static size_t utf8_seq_len(unsigned char c)
{
	if (c >= 0xf0)
		return 4;
	if (c >= 0xe0)
		return 3;
	if (c >= 0xc0)
		return 2;
	return 1;
}

/* The text with every control character as a space: a CR or LF can never end a header. */
static char *header_clean(const char *text)
{
	char *s = xstrdup(text);

	for (char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return s;
}

static int needs_encoding(const char *s, size_t prefix)
{
	size_t n = strlen(s);

	if (prefix + n > HEADER_LINE_MAX || strstr(s, "=?"))
		return 1;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 1;
	return 0;
}

/*
 * Encoded words for s, folded: words are separated by CRLF SP, which a
 * reader drops between two encoded words (RFC 2047 §6.2), so the text
 * comes back whole. Words break only between characters.
 */
static void encode_words(struct buf *out, const char *s)
{
	size_t n = strlen(s), i = 0;

	while (i < n) {
		size_t take = 0;

		while (i + take < n) {
			size_t l = utf8_seq_len((unsigned char)s[i + take]);

			if (take + l > WORD_RAW_MAX)
				break;
			take += l;
		}
		if (take == 0) /* cannot happen with valid UTF-8; never loop forever */
			take = 1;
		if (i + take > n)
			take = n - i;
		if (i)
			buf_puts(out, "\r\n ");
		buf_puts(out, "=?UTF-8?B?");
		base64(out, (const unsigned char *)s + i, take);
		buf_puts(out, "?=");
		i += take;
	}
}

void mail_header_text(struct buf *out, const char *name, const char *text)
{
	char *s = header_clean(text);
	size_t prefix = strlen(name) + 2;

	buf_printf(out, "%s: ", name);
	if (needs_encoding(s, prefix))
		encode_words(out, s);
	else
		buf_puts(out, s);
	buf_puts(out, "\r\n");
	free(s);
}

/* The From header: a display name as an atom phrase, a quoted string or encoded words. */
static void header_from(struct buf *out, const char *name, const char *addr)
{
	char *s = header_clean(name);
	int plain = 1;

	if (!*s) {
		buf_printf(out, "From: %s\r\n", addr);
		free(s);
		return;
	}
	buf_puts(out, "From: ");
	for (const char *p = s; *p; p++)
		if (!is_atext((unsigned char)*p) && *p != ' ')
			plain = 0;
	if (needs_encoding(s, 6 + strlen(addr) + 3)) {
		encode_words(out, s);
	} else if (plain) {
		buf_puts(out, s);
	} else {
		buf_puts(out, "\"");
		for (const char *p = s; *p; p++) {
			if (*p == '"' || *p == '\\')
				buf_puts(out, "\\");
			buf_append(out, p, 1);
		}
		buf_puts(out, "\"");
	}
	buf_printf(out, " <%s>\r\n", addr);
	free(s);
}

void mail_date(int64_t t_ms, char out[40])
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t t = (time_t)(t_ms / 1000);
	struct tm tm;

	/* names written out: strftime's %a and %b follow the locale */
	gmtime_r(&t, &tm);
	snprintf(out, 40, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7], tm.tm_mday,
		 months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* ---- body --------------------------------------------------------------- */

/* Length of the line at s[0..n) (up to, not including, CR or LF) and of its ending. */
static size_t line_at(const char *s, size_t n, size_t *eol)
{
	size_t i = 0;

	while (i < n && s[i] != '\r' && s[i] != '\n')
		i++;
	if (i + 1 < n && s[i] == '\r' && s[i + 1] == '\n')
		*eol = 2;
	else
		*eol = i < n ? 1 : 0;
	return i;
}

static int body_is_7bit(const char *s, size_t n)
{
	size_t pos = 0, eol;

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	while (pos < n) {
		if (line_at(s + pos, n - pos, &eol) > BODY_LINE_MAX)
			return 0;
		pos += line_at(s + pos, n - pos, &eol) + eol;
	}
	return 1;
}

/* One line as quoted-printable, soft-broken to QP_LINE_MAX, then CRLF. */
static void qp_line(struct buf *out, const unsigned char *s, size_t n)
{
	size_t col = 0;
	char tok[4];

	for (size_t i = 0; i < n; i++) {
		size_t t;

		if ((s[i] >= 33 && s[i] <= 126 && s[i] != '=') ||
		    ((s[i] == ' ' || s[i] == '\t') && i + 1 < n)) {
			tok[0] = (char)s[i];
			t = 1;
		} else {
			snprintf(tok, sizeof tok, "=%02X", s[i]);
			t = 3;
		}
		/* keep room for the '=' of a soft break */
		if (col + t > QP_LINE_MAX - 1) {
			buf_puts(out, "=\r\n");
			col = 0;
		}
		buf_append(out, tok, t);
		col += t;
	}
	buf_puts(out, "\r\n");
}

void mail_qp_encode(struct buf *out, const char *text, size_t len)
{
	size_t pos = 0, eol, n;

	while (pos < len) {
		n = line_at(text + pos, len - pos, &eol);
		qp_line(out, (const unsigned char *)text + pos, n);
		pos += n + eol;
	}
}

/* The body as 7bit text with every line ending turned into CRLF. */
static void body_7bit(struct buf *out, const char *s, size_t len)
{
	size_t pos = 0, eol, n;

	while (pos < len) {
		n = line_at(s + pos, len - pos, &eol);
		buf_append(out, s + pos, n);
		buf_puts(out, "\r\n");
		pos += n + eol;
	}
}

static int msgid_valid(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (n == 0 || n > 128)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z') ||
		      (id[i] >= '0' && id[i] <= '9') || id[i] == '.' || id[i] == '-' ||
		      id[i] == '_'))
			return 0;
	return 1;
}

int mail_msg_build(const struct mail_msg *m, struct buf *out)
{
	size_t blen = m->body ? strlen(m->body) : 0;
	const char *name = m->from_name ? m->from_name : "";
	char date[40];
	int seven;

	if (!mail_addr_valid(m->from_addr) || !mail_addr_valid(m->to))
		return MAIL_EADDR;
	if (!m->subject || !*m->subject || !utf8_valid(m->subject, strlen(m->subject)) ||
	    !m->body || !utf8_valid(m->body, blen) || !utf8_valid(name, strlen(name)) ||
	    !msgid_valid(m->msgid) || (m->kind && *m->kind && !mail_kind_valid(m->kind)))
		return MAIL_EINVAL;
	seven = body_is_7bit(m->body, blen);
	mail_date(m->date_ms, date);
	buf_printf(out, "Date: %s\r\n", date);
	header_from(out, name, m->from_addr);
	buf_printf(out, "To: %s\r\n", m->to);
	mail_header_text(out, "Subject", m->subject);
	buf_printf(out, "Message-ID: <%s@%s>\r\n", m->msgid, strrchr(m->from_addr, '@') + 1);
	buf_puts(out, "MIME-Version: 1.0\r\n"
		      "Content-Type: text/plain; charset=utf-8\r\n");
	buf_printf(out, "Content-Transfer-Encoding: %s\r\n", seven ? "7bit" : "quoted-printable");
	/* RFC 3834: notifications are automatic, so no auto-replies to them */
	buf_puts(out, "Auto-Submitted: auto-generated\r\n");
	if (m->kind && *m->kind)
		buf_printf(out, "X-Hearth-Kind: %s\r\n", m->kind);
	buf_puts(out, "\r\n");
	if (seven)
		body_7bit(out, m->body, blen);
	else
		mail_qp_encode(out, m->body, blen);
	return 0;
}

int64_t mail_backoff_ms(int attempts)
{
	static const int64_t wait_min[] = {1, 5, 30, 120, 360, 360, 360};

	if (attempts < 1)
		return 0;
	if (attempts >= MAIL_MAX_ATTEMPTS)
		return -1;
	return wait_min[attempts - 1] * 60000;
}
