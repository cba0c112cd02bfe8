/*
 * util.h — the few helpers every module shares: allocation that never
 * returns NULL, a growable byte buffer, and small string checks.
 *
 * Out-of-memory policy: a server that cannot allocate a few hundred bytes
 * cannot keep its promises about durability either, so x*alloc() log and
 * abort() instead of returning NULL. Sizes a client controls are capped
 * before they reach an allocator, so this fires only on real exhaustion.
 */
#ifndef HEARTH_UTIL_H
#define HEARTH_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a fresh string the caller owns. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A growable byte buffer. `data` is owned by the buf and always followed by
 * a NUL (not counted in `len`), so text can be used as a C string.
 * `head` bytes of headroom are reserved in front of data (for LWS_PRE).
 */
struct buf {
	char *base; /* allocation start; data == base + head */
	char *data;
	size_t len, cap, head;
};

void buf_init(struct buf *b, size_t headroom);
void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
void buf_reset(struct buf *b);
void buf_free(struct buf *b);
/* Hand the bytes to the caller (who frees *base with free()); b is emptied. */
char *buf_steal(struct buf *b, size_t *len);

/* Constant-time comparison of two equal-length byte strings: 1 if equal. */
int ct_equal(const void *a, const void *b, size_t n);

/* Lower-case hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void hex_encode(const unsigned char *in, size_t n, char *out);

/* 1 when s (len bytes) is valid UTF-8 with no NUL. */
int utf8_valid(const char *s, size_t len);

/* Count of Unicode code points in valid UTF-8. */
size_t utf8_len(const char *s, size_t len);

/* Parse a whole decimal integer in [min,max]; 0 on success, -1 otherwise. */
int parse_int64(const char *s, int64_t min, int64_t max, int64_t *out);

/* The items of a comma- or space-separated list, at most max of them: a
 * NULL-terminated array, owned (free with strlist_free). */
char **strlist_split(const char *list, size_t max);
void strlist_free(char **items);

/* Write all n bytes to fd, again after EINTR and short writes: 0, or -1 (errno set
 * by the failed write). Blocking: not for the loop thread. */
int write_all(int fd, const void *data, size_t n);

/* 1 when s is a numeric IPv4 or IPv6 address (no brackets, port or name). */
int ip_is_numeric(const char *s);
/* 1 when ip (a numeric address as lws_get_peer_simple writes it) is loopback. */
int ip_is_loopback(const char *ip);

/* mkdir -p with the given mode for the dirs it creates; 0 or -errno. */
int mkdir_p(const char *path, unsigned mode);

#endif
