/*
 * test_media.c — server/media.c: real pictures of each accepted type are
 * recognised with their size; text, other formats, truncated or damaged
 * headers and oversized pictures are refused; upload size limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "media.h"
#include "util.h"

/*
 * 3×2 pictures made by real encoders: PNG (Python zlib, checked with
 * pngfix), JPEG (libjpeg-turbo, greyscale, optimised Huffman tables, no
 * JFIF segment), GIF (checked with giflib's DGifSlurp), WebP (libwebp:
 * lossy VP8, lossless VP8L, and lossy with alpha, which is VP8X).
 */
static const unsigned char png_3x2[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
    0x52, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x02, 0x08, 0x02, 0x00, 0x00, 0x00, 0x12,
    0x16, 0xf1, 0x4d, 0x00, 0x00, 0x00, 0x10, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0xf8,
    0xcf, 0xc0, 0x00, 0x41, 0x0c, 0x70, 0x16, 0x00, 0x41, 0xd2, 0x05, 0xfb, 0x6f, 0xf1, 0x16,
    0xc7, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
};

static const unsigned char jpeg_3x2[] = {
    0xff, 0xd8, 0xff, 0xdb, 0x00, 0x43, 0x00, 0x10, 0x0b, 0x0c, 0x0e, 0x0c, 0x0a, 0x10, 0x0e, 0x0d,
    0x0e, 0x12, 0x11, 0x10, 0x13, 0x18, 0x28, 0x1a, 0x18, 0x16, 0x16, 0x18, 0x31, 0x23, 0x25, 0x1d,
    0x28, 0x3a, 0x33, 0x3d, 0x3c, 0x39, 0x33, 0x38, 0x37, 0x40, 0x48, 0x5c, 0x4e, 0x40, 0x44, 0x57,
    0x45, 0x37, 0x38, 0x50, 0x6d, 0x51, 0x57, 0x5f, 0x62, 0x67, 0x68, 0x67, 0x3e, 0x4d, 0x71, 0x79,
    0x70, 0x64, 0x78, 0x5c, 0x65, 0x67, 0x63, 0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x02, 0x00, 0x03,
    0x01, 0x01, 0x11, 0x00, 0xff, 0xc4, 0x00, 0x14, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0xff, 0xc4, 0x00, 0x1a, 0x10, 0x00,
    0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x05, 0x06, 0x36, 0x73, 0xb1, 0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00,
    0x50, 0xd1, 0x8b, 0xa7, 0x54, 0x5a, 0x3f, 0xff, 0xd9,
};

static const unsigned char gif_3x2[] = {
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x03, 0x00, 0x02, 0x00, 0x80, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x03, 0x00, 0x02, 0x00, 0x00, 0x02, 0x03, 0x44, 0x6c, 0x05, 0x00, 0x3b,
};

static const unsigned char webp_lossy_3x2[] = {
    0x52, 0x49, 0x46, 0x46, 0x40, 0x00, 0x00, 0x00, 0x57, 0x45, 0x42, 0x50, 0x56, 0x50, 0x38,
    0x20, 0x34, 0x00, 0x00, 0x00, 0xd0, 0x01, 0x00, 0x9d, 0x01, 0x2a, 0x03, 0x00, 0x02, 0x00,
    0x02, 0xc0, 0x4c, 0x25, 0xa8, 0x02, 0x74, 0x01, 0x1f, 0xfe, 0xa7, 0xcb, 0x80, 0x00, 0xfe,
    0x88, 0x86, 0xc8, 0x97, 0xfd, 0xbd, 0x22, 0xca, 0xc7, 0xe0, 0xe0, 0x9e, 0x75, 0xce, 0x98,
    0x23, 0xdc, 0x5f, 0x27, 0x73, 0xae, 0x08, 0xf7, 0x0f, 0x00, 0x00, 0x00,
};

static const unsigned char webp_lossless_3x2[] = {
    0x52, 0x49, 0x46, 0x46, 0x4c, 0x00, 0x00, 0x00, 0x57, 0x45, 0x42, 0x50, 0x56, 0x50,
    0x38, 0x4c, 0x3f, 0x00, 0x00, 0x00, 0x2f, 0x02, 0x40, 0x00, 0x10, 0x2f, 0x40, 0x98,
    0x6d, 0x1c, 0x7b, 0xcf, 0xe1, 0x00, 0x0a, 0x72, 0x04, 0xd9, 0x36, 0x22, 0x03, 0x28,
    0xc8, 0xfd, 0x29, 0x0e, 0x42, 0x98, 0x6d, 0x1c, 0x13, 0x19, 0x40, 0x5f, 0x47, 0x71,
    0x04, 0xd9, 0xb6, 0x31, 0x91, 0x01, 0x14, 0xe4, 0x06, 0x8f, 0xbe, 0xaf, 0x02, 0xf8,
    0x3e, 0x80, 0x80, 0x84, 0x4c, 0xc9, 0x27, 0x03, 0x44, 0xf4, 0x3f, 0x36, 0x00, 0x00,
};

static const unsigned char webp_alpha_3x2[] = {
    0x52, 0x49, 0x46, 0x46, 0x62, 0x00, 0x00, 0x00, 0x57, 0x45, 0x42, 0x50, 0x56, 0x50, 0x38, 0x58,
    0x0a, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x01, 0x00, 0x00, 0x41, 0x4c,
    0x50, 0x48, 0x07, 0x00, 0x00, 0x00, 0x00, 0x6f, 0x03, 0x97, 0x2b, 0xbf, 0x53, 0x00, 0x56, 0x50,
    0x38, 0x20, 0x34, 0x00, 0x00, 0x00, 0xd0, 0x01, 0x00, 0x9d, 0x01, 0x2a, 0x03, 0x00, 0x02, 0x00,
    0x02, 0xc0, 0x4c, 0x25, 0x88, 0x02, 0x74, 0x01, 0x1f, 0x6e, 0x10, 0xfe, 0xb8, 0x00, 0xfe, 0x4e,
    0xc3, 0x77, 0x2a, 0xf5, 0x23, 0xa0, 0xa3, 0x0a, 0x0d, 0xc5, 0x88, 0x7b, 0xec, 0x7b, 0x83, 0x39,
    0x76, 0xfb, 0x89, 0xf8, 0x8b, 0xb9, 0xf6, 0x92, 0x00, 0x00,
};

struct sample {
	const char *name;
	const unsigned char *bytes;
	size_t len;
	const char *mime;
	size_t min_len; /* shortest prefix that may be accepted: the header's end */
};

#define SAMPLE(a, mime, min)                                                                       \
	{                                                                                          \
#a, a, sizeof a, mime, min                                                         \
	}

static const struct sample samples[] = {
    SAMPLE(png_3x2, "image/png", 33),
    SAMPLE(jpeg_3x2, "image/jpeg", 84),
    SAMPLE(gif_3x2, "image/gif", 20),
    SAMPLE(webp_lossy_3x2, "image/webp", sizeof webp_lossy_3x2),
    SAMPLE(webp_lossless_3x2, "image/webp", sizeof webp_lossless_3x2),
    SAMPLE(webp_alpha_3x2, "image/webp", sizeof webp_alpha_3x2),
};

static unsigned char *copy_of(const struct sample *s)
{
	unsigned char *p = xmalloc(s->len);

	memcpy(p, s->bytes, s->len);
	return p;
}

static void test_accepts_real_pictures(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(samples); i++) {
		const struct sample *s = &samples[i];
		struct media_info info;
		const char *mime = NULL;

		if (media_probe(s->bytes, s->len, &info) != MEDIA_OK)
			fail_msg("%s refused", s->name);
		assert_string_equal(info.mime, s->mime);
		assert_int_equal(info.width, 3);
		assert_int_equal(info.height, 2);
		assert_int_equal(media_sniff(s->bytes, s->len, &mime), MEDIA_OK);
		assert_string_equal(mime, s->mime);
		mime = NULL;
		assert_int_equal(media_check(s->bytes, s->len, 128 * 1024, &mime), MEDIA_OK);
		assert_string_equal(mime, s->mime);
	}
}

static void test_refuses_other_content(void **state)
{
	static const struct {
		const char *name;
		const char *bytes;
		size_t len;
	} cases[] = {
#define TEXT(name, s) {name, s, sizeof s - 1}
	    TEXT("plain text named .png", "hello, this is not a picture\n"),
	    TEXT("html", "<!DOCTYPE html><html><script>alert(1)</script></html>"),
	    TEXT("svg",
		 "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>"),
	    TEXT("json", "{\"type\":\"say\"}"),
	    TEXT("pdf", "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"),
	    TEXT("bmp", "BM\x46\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00"),
	    TEXT("png signature only", "\x89PNG\r\n\x1a\n"),
	    TEXT("png with text after the signature",
		 "\x89PNG\r\n\x1a\nhello world, this is some text really"),
	    TEXT("png signature with a lower-case p",
		 "\x89pNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\3\0\0\0\2\x08\x02\0\0\0\0\0\0\0"),
	    TEXT("png first chunk not IHDR",
		 "\x89PNG\r\n\x1a\n\0\0\0\x0dIDAT\0\0\0\3\0\0\0\2\x08\x02\0\0\0\0\0\0\0"),
	    TEXT("png IHDR of the wrong length",
		 "\x89PNG\r\n\x1a\n\0\0\0\x0cIHDR\0\0\0\3\0\0\0\2\x08\x02\0\0\0\0\0\0\0"),
	    TEXT("jpeg SOI only", "\xff\xd8"),
	    TEXT("jpeg start marker only", "\xff\xd8\xff"),
	    TEXT("jpeg APP0 cut short", "\xff\xd8\xff\xe0\x00\x10JFIF"),
	    TEXT("jpeg SOI then text", "\xff\xd8hello world"),
	    TEXT("jpeg SOI then end", "\xff\xd8\xff\xd9"),
	    TEXT("jpeg scan before frame", "\xff\xd8\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00"),
	    /* a good frame header, but after a marker no encoder writes first */
	    TEXT("jpeg implausible first marker", "\xff\xd8\xff\x41\x00\x02\xff\xc0\x00\x0b\x08"
						  "\x00\x02\x00\x03\x01\x01\x11\x00"),
	    TEXT("gif header only", "GIF89a"),
	    TEXT("gif then text", "GIF89a and then some words in a text file"),
	    TEXT("gif88a", "GIF88a\x03\x00\x02\x00\x00\x00\x00,"),
	    TEXT("gif screen but no block", "GIF89a\x03\x00\x02\x00\x00\x00\x00\x00"),
	    TEXT("riff wave", "RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00"
			      "\x44\xac\x00\x00\x88\x58\x01\x00\x02\x00\x10\x00"),
	    TEXT("riff avi", "RIFF\x18\x00\x00\x00"
			     "AVI LIST\x0c\x00\x00\x00hdrlavih\0\0\0\0"),
	    TEXT("webp with an unknown chunk", "RIFF\x16\x00\x00\x00WEBPVP9 \x0a\x00\x00\x00"
					       "\x00\x00\x00\x9d\x01\x2a\x03\x00\x02\x00"),
	    TEXT("webp chunk longer than the file", "RIFF\x16\x00\x00\x00WEBPVP8 \xff\x00\x00\x00"
						    "\x00\x00\x00\x9d\x01\x2a\x03\x00\x02\x00"),
#undef TEXT
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const char *mime = "unset";
		struct media_info info;
		int rc = media_sniff(cases[i].bytes, cases[i].len, &mime);

		if (rc != MEDIA_EUNKNOWN)
			fail_msg("%s: %d", cases[i].name, rc);
		assert_null(mime);
		assert_int_equal(media_probe(cases[i].bytes, cases[i].len, &info), MEDIA_EUNKNOWN);
		assert_null(info.mime);
		assert_int_equal(info.width, 0);
		assert_int_equal(media_check(cases[i].bytes, cases[i].len, 1024, &mime),
				 MEDIA_EUNKNOWN);
	}
	assert_int_equal(media_sniff(NULL, 0, NULL), MEDIA_EUNKNOWN);
}

/* Every prefix that ends inside the header is refused; WebP needs its whole length. */
static void test_truncated_headers(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(samples); i++) {
		const struct sample *s = &samples[i];
		unsigned char *p = copy_of(s);
		const char *mime;

		for (size_t n = 0; n < s->min_len; n++)
			if (media_sniff(p, n, &mime) != MEDIA_EUNKNOWN)
				fail_msg("%s accepted at %zu of %zu bytes", s->name, n, s->len);
		if (media_sniff(p, s->min_len, &mime) != MEDIA_OK)
			fail_msg("%s refused at %zu bytes", s->name, s->min_len);
		free(p);
	}
}

static void test_webp_riff_size_must_match(void **state)
{
	const struct sample *s = &samples[3];
	unsigned char *longer = xmalloc(s->len + 2);
	const char *mime;

	(void)state;
	/* A byte of padding after a complete file: the RIFF size no longer matches. */
	memcpy(longer, s->bytes, s->len);
	longer[s->len] = 0;
	longer[s->len + 1] = 0;
	assert_int_equal(media_sniff(longer, s->len + 2, &mime), MEDIA_EUNKNOWN);
	/* Declaring the extra bytes makes it whole again. */
	longer[4] = (unsigned char)(longer[4] + 2);
	assert_int_equal(media_sniff(longer, s->len + 2, &mime), MEDIA_OK);
	/* A size of 0xffffffff must not wrap. */
	memset(longer + 4, 0xff, 4);
	assert_int_equal(media_sniff(longer, s->len + 2, &mime), MEDIA_EUNKNOWN);
	free(longer);
}

/* Offset of the JPEG sample's frame header marker (FF C0). */
static size_t jpeg_sof(void)
{
	const unsigned char *p = memmem(jpeg_3x2, sizeof jpeg_3x2, "\xff\xc0", 2);

	assert_non_null(p);
	return (size_t)(p - jpeg_3x2);
}

static void test_damaged_headers(void **state)
{
	/* One byte changed at a time in a copy of a good sample. */
	static const struct {
		const char *what;
		size_t sample, at;
		int sof_relative; /* `at` counts from the JPEG frame header */
		unsigned char value;
		int rc;
	} cases[] = {
	    {"png IHDR type", 0, 12, 0, 'i', MEDIA_EUNKNOWN},
	    {"png width 0", 0, 19, 0, 0, MEDIA_EUNKNOWN},
	    {"png width 2^31", 0, 16, 0, 0x80, MEDIA_EUNKNOWN},
	    {"png bit depth 3", 0, 24, 0, 3, MEDIA_EUNKNOWN},
	    {"png colour type 5", 0, 25, 0, 5, MEDIA_EUNKNOWN},
	    {"png RGB at 4 bits", 0, 24, 0, 4, MEDIA_EUNKNOWN},
	    {"png compression 1", 0, 26, 0, 1, MEDIA_EUNKNOWN},
	    {"png interlace 2", 0, 28, 0, 2, MEDIA_EUNKNOWN},
	    {"png interlaced (valid)", 0, 28, 0, 1, MEDIA_OK},
	    {"png RGB at 16 bits (valid)", 0, 24, 0, 16, MEDIA_OK},
	    {"jpeg SOI", 1, 1, 0, 0xd9, MEDIA_EUNKNOWN},
	    {"jpeg first marker", 1, 3, 0, 0x00, MEDIA_EUNKNOWN},
	    {"jpeg first segment length 1", 1, 5, 0, 1, MEDIA_EUNKNOWN},
	    {"jpeg first segment past the end", 1, 4, 0, 0xff, MEDIA_EUNKNOWN},
	    {"jpeg frame becomes a scan", 1, 1, 1, 0xda, MEDIA_EUNKNOWN},
	    {"jpeg frame becomes DHT and no frame follows", 1, 1, 1, 0xc4, MEDIA_EUNKNOWN},
	    {"jpeg height 0", 1, 6, 1, 0, MEDIA_EUNKNOWN},
	    {"jpeg no components", 1, 9, 1, 0, MEDIA_EUNKNOWN},
	    {"jpeg progressive frame (valid)", 1, 1, 1, 0xc2, MEDIA_OK},
	    {"gif width 0", 2, 6, 0, 0, MEDIA_EUNKNOWN},
	    {"gif image separator", 2, 19, 0, 'x', MEDIA_EUNKNOWN},
	    {"gif colour table claims 256 entries", 2, 10, 0, 0x87, MEDIA_EUNKNOWN},
	    {"gif87a (valid)", 2, 4, 0, '7', MEDIA_OK},
	    {"webp form type", 3, 8, 0, 'A', MEDIA_EUNKNOWN},
	    {"webp VP8 start code", 3, 23, 0, 0x9e, MEDIA_EUNKNOWN},
	    {"webp VP8 not a key frame", 3, 20, 0, 0xd1, MEDIA_EUNKNOWN},
	    {"webp VP8L signature", 4, 20, 0, 0x2e, MEDIA_EUNKNOWN},
	    {"webp VP8L version", 4, 24, 0, 0x20, MEDIA_EUNKNOWN},
	    {"webp VP8X chunk too short", 5, 16, 0, 9, MEDIA_EUNKNOWN},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const struct sample *s = &samples[cases[i].sample];
		size_t at = cases[i].at + (cases[i].sof_relative ? jpeg_sof() : 0);
		unsigned char *p = copy_of(s);
		const char *mime;
		int rc;

		assert_true(at < s->len);
		p[at] = cases[i].value;
		rc = media_sniff(p, s->len, &mime);
		if (rc != cases[i].rc)
			fail_msg("%s: got %d want %d", cases[i].what, rc, cases[i].rc);
		free(p);
	}
}

static void put_be16(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static void put_le16(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put_le24(unsigned char *p, uint32_t v)
{
	put_le16(p, v);
	p[2] = (unsigned char)(v >> 16);
}

/* Each setter writes a width into a copy of its sample, the way its format stores it. */
static void png_width(unsigned char *p, uint32_t w)
{
	p[16] = (unsigned char)(w >> 24);
	p[17] = (unsigned char)(w >> 16);
	put_be16(p + 18, w);
}

static void jpeg_width(unsigned char *p, uint32_t w)
{
	put_be16(p + jpeg_sof() + 7, w);
}

static void gif_width(unsigned char *p, uint32_t w)
{
	put_le16(p + 6, w);
}

static void vp8_width(unsigned char *p, uint32_t w)
{
	put_le16(p + 26, w); /* top two bits are the scale, left 0 */
}

static void vp8l_width(unsigned char *p, uint32_t w)
{
	uint32_t bits =
	    (uint32_t)p[21] | (uint32_t)p[22] << 8 | (uint32_t)p[23] << 16 | (uint32_t)p[24] << 24;

	bits = (bits & ~0x3fffu) | (w - 1);
	p[21] = (unsigned char)bits;
	p[22] = (unsigned char)(bits >> 8);
	p[23] = (unsigned char)(bits >> 16);
	p[24] = (unsigned char)(bits >> 24);
}

static void vp8x_width(unsigned char *p, uint32_t w)
{
	put_le24(p + 24, w - 1);
}

static void test_dimension_limits(void **state)
{
	static const struct {
		size_t sample;
		void (*set_width)(unsigned char *, uint32_t);
		uint32_t max; /* largest width the format can express */
	} cases[] = {
	    {0, png_width, 0x7fffffff}, {1, jpeg_width, 65535}, {2, gif_width, 65535},
	    {3, vp8_width, 16383},	{4, vp8l_width, 16384}, {5, vp8x_width, 1u << 24},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const struct sample *s = &samples[cases[i].sample];
		uint32_t widths[] = {MEDIA_MAX_SIDE, MEDIA_MAX_SIDE + 1, cases[i].max};
		unsigned char *p = copy_of(s);

		for (size_t j = 0; j < ARRAY_LEN(widths); j++) {
			struct media_info info;
			int want = widths[j] > MEDIA_MAX_SIDE ? MEDIA_EDIMENSIONS : MEDIA_OK;
			int rc;

			cases[i].set_width(p, widths[j]);
			rc = media_probe(p, s->len, &info);
			if (rc != want)
				fail_msg("%s width %u: got %d want %d", s->name, widths[j], rc,
					 want);
			if (rc == MEDIA_OK) {
				assert_int_equal(info.width, widths[j]);
				assert_int_equal(info.height, 2);
			} else {
				assert_null(info.mime);
			}
		}
		free(p);
	}
}

static void test_check_limits(void **state)
{
	const struct sample *png = &samples[0];
	size_t big_len = 200 * 1024;
	char *big = xmalloc(big_len);
	const char *mime = "unset";

	(void)state;
	assert_int_equal(media_check(NULL, 0, 128 * 1024, &mime), MEDIA_EEMPTY);
	assert_null(mime);
	assert_int_equal(media_check(png->bytes, 0, 128 * 1024, &mime), MEDIA_EEMPTY);
	/* The limit is inclusive. */
	assert_int_equal(media_check(png->bytes, png->len, png->len, &mime), MEDIA_OK);
	assert_string_equal(mime, "image/png");
	assert_int_equal(media_check(png->bytes, png->len, png->len - 1, &mime), MEDIA_ETOOBIG);
	assert_null(mime);
	/* Size is judged before content: a large text file is "too big", not "unknown". */
	memset(big, 'a', big_len);
	assert_int_equal(media_check(big, big_len, 128 * 1024, &mime), MEDIA_ETOOBIG);
	assert_int_equal(media_check(big, 128 * 1024, 128 * 1024, &mime), MEDIA_EUNKNOWN);
	/* A real picture padded to the limit is still recognised by its header. */
	memcpy(big, png->bytes, png->len);
	assert_int_equal(media_check(big, 128 * 1024, 128 * 1024, NULL), MEDIA_OK);
	assert_int_equal(media_check(big, 128 * 1024 + 1, 128 * 1024, NULL), MEDIA_ETOOBIG);
	free(big);
}

static void test_strerror(void **state)
{
	(void)state;
	for (int e = MEDIA_OK; e >= MEDIA_EDIMENSIONS; e--) {
		assert_non_null(media_strerror(e));
		for (int f = e - 1; f >= MEDIA_EDIMENSIONS; f--)
			assert_string_not_equal(media_strerror(e), media_strerror(f));
	}
	assert_string_equal(media_strerror(MEDIA_EDIMENSIONS - 1), "unknown media error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accepts_real_pictures),
	    cmocka_unit_test(test_refuses_other_content),
	    cmocka_unit_test(test_truncated_headers),
	    cmocka_unit_test(test_webp_riff_size_must_match),
	    cmocka_unit_test(test_damaged_headers),
	    cmocka_unit_test(test_dimension_limits),
	    cmocka_unit_test(test_check_limits),
	    cmocka_unit_test(test_strerror),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
