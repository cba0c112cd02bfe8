/*
 * mail_msg.h — the pure part of outgoing mail: building an RFC 5322
 * message from a subject and a plain-text body, checking addresses, and
 * the retry schedule. No I/O, no SQLite, no clock: every input is an
 * argument, so it is unit-tested alone (tests/unit/test_mail.c).
 *
 * What a built message guarantees:
 *   - every line ends in CRLF, including the last one of the body;
 *   - no header can be injected: CR, LF and other control characters in a
 *     subject or display name become spaces before anything is written;
 *   - non-ASCII header text is written as RFC 2047 encoded words
 *     (=?UTF-8?B?…?=), each holding whole characters, folded so that no
 *     header line exceeds 78 characters;
 *   - the body is 7bit when it is ASCII with lines of at most 998 bytes,
 *     and quoted-printable otherwise (never raw 8-bit: libcurl does not
 *     negotiate 8BITMIME);
 *   - no dot-stuffing: the SMTP transport (libcurl) does that, and a
 *     spooled .eml file must hold the message as it is.
 */
#ifndef HEARTH_MAIL_MSG_H
#define HEARTH_MAIL_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define MAIL_SUBJECT_MAX 256	  /* bytes, refused beyond by mail_enqueue */
#define MAIL_BODY_MAX (64 * 1024) /* bytes, refused beyond by mail_enqueue */
#define MAIL_KIND_MAX 32	  /* bytes of [a-z0-9_] */
#define MAIL_ADDR_MAX 254	  /* bytes of an address (RFC 5321 path limit) */
#define MAIL_NAME_MAX 128	  /* bytes of the From display name */
#define MAIL_MAX_ATTEMPTS 8	  /* attempts before a row is given up */

enum mail_err {
	MAIL_OK = 0,
	MAIL_EADDR = -1,  /* an address we will not put in a header or an envelope */
	MAIL_EINVAL = -2, /* text empty, too long, not UTF-8, or a bad kind or id */
	MAIL_ESEND = -3,  /* the SMTP server could not be reached or refused */
	MAIL_EIO = -4	  /* the spool folder could not be written */
};
/* A static English sentence for err; never NULL. */
const char *mail_strerror(int err);

/* The message to build; every field borrowed for the duration of the call. */
struct mail_msg {
	const char *from_name; /* display name (UTF-8), "" for none */
	const char *from_addr; /* addr-spec, checked by mail_addr_valid */
	const char *to;	       /* addr-spec, checked by mail_addr_valid */
	const char *subject;   /* UTF-8, non-empty */
	const char *body;      /* UTF-8 text, any line endings (LF, CRLF or CR) */
	const char *kind;      /* written as X-Hearth-Kind; NULL or "" for none */
	const char *msgid;     /* left of the '@' in Message-ID: [A-Za-z0-9._-]+ */
	int64_t date_ms;       /* the Date header, ms since the epoch */
};

/*
 * Append the whole message (headers, blank line, body) to out.
 * Returns 0, MAIL_EADDR for an invalid from or to address, or MAIL_EINVAL
 * for a subject or body that is not valid UTF-8 (or empty subject) or a
 * bad msgid. On error out is left exactly as it was.
 */
int mail_msg_build(const struct mail_msg *m, struct buf *out);

/*
 * 1 when addr is an address we accept: ASCII local@domain, at most
 * MAIL_ADDR_MAX bytes, local part of atext and single dots, domain of
 * letters, digits, hyphens and dots ("localhost" allowed). Conservative on
 * purpose: it goes into a header and an SMTP command.
 */
int mail_addr_valid(const char *addr);

/*
 * Split the [mail] from setting — "Display Name <addr>" or a bare "addr" —
 * into name (trimmed, may be "") and addr. 0, or MAIL_EADDR when the
 * address is invalid, the name too long or contains a control character,
 * or the form is neither of the two.
 */
int mail_from_parse(const char *from, char name[MAIL_NAME_MAX + 1], char addr[MAIL_ADDR_MAX + 1]);

/*
 * Append "Name: text\r\n" to out, the text with control characters turned
 * into spaces, and encoded as RFC 2047 words (folded) when it is not plain
 * short ASCII. text must be valid UTF-8 (the caller checks).
 */
void mail_header_text(struct buf *out, const char *name, const char *text);

/* Append len bytes as quoted-printable (RFC 2045), lines ending in CRLF. */
void mail_qp_encode(struct buf *out, const char *text, size_t len);

/* "Thu, 20 Nov 2026 10:00:00 +0000" (RFC 5322, UTC) for t_ms into out. */
void mail_date(int64_t t_ms, char out[40]);

/*
 * The wait before the next attempt after `attempts` failed attempts
 * (1 → 1 min, 2 → 5 min, 3 → 30 min, 4 → 2 h, 5..7 → 6 h), or -1 when the
 * row is to be given up (attempts >= MAIL_MAX_ATTEMPTS).
 */
int64_t mail_backoff_ms(int attempts);

/* 1 when kind is 1..MAIL_KIND_MAX bytes of [a-z0-9_]. */
int mail_kind_valid(const char *kind);

#endif
