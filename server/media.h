/*
 * media.h — deciding what an uploaded picture is from its bytes alone.
 *
 * Board posts and avatars accept PNG, JPEG, GIF and WebP. A file's name
 * and the Content-Type a browser sends are never trusted: the type served
 * back is the one found here, so a text or HTML file named "cat.png" is
 * refused rather than stored. Headers are parsed far enough to read the
 * picture's width and height; absurd sizes are refused too.
 *
 * Pure functions over a byte buffer: no allocation, no I/O, any thread.
 */
#ifndef HEARTH_MEDIA_H
#define HEARTH_MEDIA_H

#include <stddef.h>
#include <stdint.h>

enum media_err {
	MEDIA_OK = 0,
	MEDIA_EEMPTY = -1,     /* no bytes at all: the caller answers 400 */
	MEDIA_ETOOBIG = -2,    /* more bytes than allowed: 413 */
	MEDIA_EUNKNOWN = -3,   /* not a picture of a type we accept, or a broken header: 415 */
	MEDIA_EDIMENSIONS = -4 /* a well-formed picture wider or taller than MEDIA_MAX_SIDE: 413 */
};

/* A static English sentence for err; never NULL. */
const char *media_strerror(int err);

/* Widest and tallest picture accepted, in pixels. */
#define MEDIA_MAX_SIDE 10000

struct media_info {
	const char *mime; /* static string: "image/png", "image/jpeg", "image/gif", "image/webp" */
	uint32_t width, height;
};

/*
 * Identify len bytes and read the picture's size from its header:
 *   PNG  — the 8-byte signature and a valid IHDR as the first chunk;
 *   JPEG — FF D8, a plausible first marker, and a frame header (SOFn)
 *          before the first scan;
 *   GIF  — "GIF87a"/"GIF89a", the screen descriptor and, after the optional
 *          colour table, the start of an extension or image block;
 *   WebP — "RIFF" <size> "WEBP" where size + 8 is exactly len, then a
 *          VP8, VP8L or VP8X chunk with its dimensions.
 * MEDIA_OK with *info filled; MEDIA_EUNKNOWN for anything else (including
 * truncated headers and zero sizes); MEDIA_EDIMENSIONS when a side exceeds
 * MEDIA_MAX_SIDE. On failure *info is zeroed. bytes may be NULL if len is 0.
 */
int media_probe(const void *bytes, size_t len, struct media_info *info);

/* media_probe, reporting only the MIME type (*mime is NULL on failure). */
int media_sniff(const void *bytes, size_t len, const char **mime);

/*
 * What an upload handler calls: MEDIA_EEMPTY for len 0, MEDIA_ETOOBIG for
 * len > max_bytes (checked before any parsing), else media_sniff's answer.
 */
int media_check(const void *bytes, size_t len, size_t max_bytes, const char **mime);

#endif
