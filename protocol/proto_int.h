/*
 * proto_int.h — helpers shared by the files of protocol/ and by nobody
 * else. Not installed, not included outside protocol/.
 */
#ifndef HEARTH_PROTO_INT_H
#define HEARTH_PROTO_INT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decode the code point starting at s[*i] (len bytes in all) into *cp and
 * advance *i past it. Returns 0, or -1 for an invalid sequence (truncated,
 * overlong, surrogate, above U+10FFFF, stray continuation byte) without
 * moving *i.
 */
int proto__utf8_next(const unsigned char *s, size_t len, size_t *i, uint32_t *cp);

/* 1 when s (len bytes) is valid UTF-8 (NUL bytes allowed), else 0. */
int proto__utf8_valid(const char *s, size_t len);

#endif
