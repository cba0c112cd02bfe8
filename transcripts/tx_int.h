/*
 * tx_int.h — what the transcript sources share and nobody else uses: a byte
 * buffer that latches out-of-memory, UTF-8 helpers, local-time formatting,
 * a person index, and the scrubber behind the research export (declared
 * here so the unit test can drive it case by case).
 */
#ifndef HEARTH_TX_INT_H
#define HEARTH_TX_INT_H

#include "tx.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A growable string. The first allocation failure sets err and turns every
 * later append into a no-op, so writers append freely and check once in
 * tx__buf_finish().
 */
struct tx__buf {
	char *p;
	size_t len, cap;
	int err;
};

void tx__buf_put(struct tx__buf *b, const char *s, size_t n);
void tx__buf_puts(struct tx__buf *b, const char *s);
void tx__buf_printf(struct tx__buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hand the NUL-terminated bytes to the caller (out, len), or free them and return the error. */
int tx__buf_finish(struct tx__buf *b, char **out, size_t *len);
void tx__buf_free(struct tx__buf *b);

/* malloc'd copy of s (NULL in, NULL out; *err set to TX_ENOMEM on failure). */
char *tx__strdup(const char *s, int *err);

/* 1 when the n bytes are valid UTF-8 without NUL. */
int tx__utf8_valid(const char *s, size_t n);
/*
 * Decode one code point at s (n > 0 bytes left) into *cp; returns its length
 * in bytes. Invalid bytes decode as U+FFFD of length 1.
 */
size_t tx__utf8_next(const char *s, size_t n, uint32_t *cp);

/* Local time of t_ms at offset_min: "HH:MM" (out[6]). */
void tx__fmt_hhmm(int64_t t_ms, int offset_min, char out[6]);
/* Local date: "Tuesday 14 May 2024" (out[40]). */
void tx__fmt_date(int64_t t_ms, int offset_min, char out[40]);
/* UTC RFC 3339 to the second: "2024-05-14T18:02:00Z" (out[24]). */
void tx__fmt_utc(int64_t t_ms, char out[24]);
/* "UTC+01:00" (out[16]). */
void tx__fmt_offset(int offset_min, char out[16]);
/* Days since the epoch of the local date, for noticing midnight. */
int64_t tx__local_day(int64_t t_ms, int offset_min);

/*
 * Lookups in O(log n), built once per validation or render: people by id,
 * and messages by seq (messages are in the entries in seq order, so the
 * message list comes out sorted when the model is valid).
 */
struct tx__index {
	const struct tx_person **people; /* sorted by id */
	size_t n_people;
	const struct tx_entry **msgs; /* messages and announcements, in entry order */
	size_t n_msgs;
};
int tx__index_build(const struct tx_transcript *t, struct tx__index *ix);
const struct tx_person *tx__index_person(const struct tx__index *ix, int64_t id);
const struct tx_entry *tx__index_message(const struct tx__index *ix, int64_t seq);
void tx__index_free(struct tx__index *ix);

/* The entry type's name in the JSON forms ("message", "joined", …). */
const char *tx__entry_name(enum tx_entry_type type);

/* The name every format shows for p: its display name or TX_ERASED_NAME. */
const char *tx__display_name(const struct tx_person *p);

/* ---- scrubber (tx_research.c) ---- */

/*
 * The terms to remove from a text: names (scrubbed whole and word by word,
 * words of at least 3 letters) and tokens (usernames, e-mails: whole only).
 */
struct tx__terms;
struct tx__terms *tx__terms_new(void);
void tx__terms_free(struct tx__terms *tm);
int tx__terms_add_name(struct tx__terms *tm, const char *name);
int tx__terms_add_token(struct tx__terms *tm, const char *token);
/* Sort for longest-first matching; call after the last add. */
void tx__terms_done(struct tx__terms *tm);

/*
 * Replace links by "[link]", e-mail addresses by "[email]", phone numbers
 * by "[phone]" and the terms by "[name]" in the n bytes at text; the result
 * is appended to b.
 */
void tx__scrub(const struct tx__terms *tm, const char *text, size_t n, struct tx__buf *b);

#endif
