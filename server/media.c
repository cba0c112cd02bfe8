/*
 * media.c — picture type and size from the bytes (see media.h).
 *
 * Each format has one parser that either fills width/height or refuses.
 * Every read is preceded by a bounds check against len; offsets come from
 * the file, so they are compared by subtraction from len, never by adding
 * to a pointer first.
 */
#include "media.h"

#include <string.h>

#include "util.h"

static const char *const err_names[] = {
    "ok",
    "empty upload",
    "upload too large",
    "not a PNG, JPEG, GIF or WebP picture",
    "picture dimensions too large",
};

const char *media_strerror(int err)
{
	if (err > 0 || -err >= (int)ARRAY_LEN(err_names))
		return "unknown media error";
	return err_names[-err];
}

static uint32_t be16(const unsigned char *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le16(const unsigned char *p)
{
	return (uint32_t)p[1] << 8 | p[0];
}

static uint32_t le24(const unsigned char *p)
{
	return (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[3] << 24 | le24(p);
}

/* ---- PNG ---------------------------------------------------------------- */

static int png_depth_ok(unsigned depth, unsigned colour)
{
	switch (colour) {
	case 0: /* grey */
		return depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
	case 3: /* palette */
		return depth == 1 || depth == 2 || depth == 4 || depth == 8;
	case 2: /* RGB */
	case 4: /* grey + alpha */
	case 6: /* RGBA */
		return depth == 8 || depth == 16;
	default:
		return 0;
	}
}

static int probe_png(const unsigned char *b, size_t len, struct media_info *info)
{
	static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	static const unsigned char ihdr[8] = {0, 0, 0, 13, 'I', 'H', 'D', 'R'};

	/* signature, IHDR length+type, 13 bytes of IHDR, its CRC */
	if (len < 8 + 8 + 13 + 4 || memcmp(b, sig, 8) || memcmp(b + 8, ihdr, 8))
		return MEDIA_EUNKNOWN;
	info->width = be32(b + 16);
	info->height = be32(b + 20);
	/* The spec caps sides at 2^31 - 1; compression, filter and interlace have fixed values. */
	if (info->width == 0 || info->height == 0 || info->width > 0x7fffffff ||
	    info->height > 0x7fffffff || !png_depth_ok(b[24], b[25]) || b[26] != 0 || b[27] != 0 ||
	    b[28] > 1)
		return MEDIA_EUNKNOWN;
	info->mime = "image/png";
	return MEDIA_OK;
}

/* ---- JPEG --------------------------------------------------------------- */

/* Frame headers: SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC). */
static int jpeg_is_sof(unsigned m)
{
	return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
}

/* Markers that can open a JPEG after SOI: tables, frame headers, APPn, comments. */
static int jpeg_first_ok(unsigned m)
{
	return (m >= 0xc0 && m <= 0xcf && m != 0xc8) || m == 0xdb || m == 0xdd ||
	       (m >= 0xe0 && m <= 0xef) || m == 0xfe;
}

/*
 * Walk the marker segments after SOI up to the frame header. Trailing bytes
 * after EOI are not checked: cameras and editors append data there, and a
 * truncated scan is a broken picture, not a disguised one.
 */
static int probe_jpeg(const unsigned char *b, size_t len, struct media_info *info)
{
	size_t pos = 2;
	int first = 1;

	if (len < 4 || b[0] != 0xff || b[1] != 0xd8 || b[2] != 0xff)
		return MEDIA_EUNKNOWN;
	for (;;) {
		unsigned m;
		size_t seg;

		if (pos >= len || b[pos] != 0xff)
			return MEDIA_EUNKNOWN;
		while (pos < len && b[pos] == 0xff) /* fill bytes */
			pos++;
		if (pos >= len)
			return MEDIA_EUNKNOWN;
		m = b[pos++];
		if (first && !jpeg_first_ok(m))
			return MEDIA_EUNKNOWN;
		first = 0;
		if ((m >= 0xd0 && m <= 0xd7) || m == 0x01) /* RSTn, TEM: no length */
			continue;
		if (m == 0xda || m == 0xd9 || m == 0xd8 || m == 0x00)
			return MEDIA_EUNKNOWN; /* scan, end or garbage before any frame header */
		if (len - pos < 2)
			return MEDIA_EUNKNOWN;
		seg = be16(b + pos);
		if (seg < 2 || seg > len - pos)
			return MEDIA_EUNKNOWN;
		if (jpeg_is_sof(m)) {
			/* length (2), precision (1), height (2), width (2), components (1) */
			if (seg < 8)
				return MEDIA_EUNKNOWN;
			info->height = be16(b + pos + 3);
			info->width = be16(b + pos + 5);
			/* Height 0 means "given later by a DNL marker": no browser-made file does
			 * that. */
			if (info->width == 0 || info->height == 0 || b[pos + 7] == 0)
				return MEDIA_EUNKNOWN;
			info->mime = "image/jpeg";
			return MEDIA_OK;
		}
		pos += seg;
	}
}

/* ---- GIF ---------------------------------------------------------------- */

static int probe_gif(const unsigned char *b, size_t len, struct media_info *info)
{
	size_t pos = 13; /* header (6) + logical screen descriptor (7) */

	if (len < 14 || (memcmp(b, "GIF87a", 6) && memcmp(b, "GIF89a", 6)))
		return MEDIA_EUNKNOWN;
	info->width = le16(b + 6);
	info->height = le16(b + 8);
	if (b[10] & 0x80) /* global colour table of 2^(n+1) RGB entries */
		pos += 3u * (2u << (b[10] & 7));
	/* What follows must be an extension ('!'), an image (',') or the trailer (';'). */
	if (info->width == 0 || info->height == 0 || pos >= len ||
	    (b[pos] != 0x21 && b[pos] != 0x2c && b[pos] != 0x3b))
		return MEDIA_EUNKNOWN;
	info->mime = "image/gif";
	return MEDIA_OK;
}

/* ---- WebP --------------------------------------------------------------- */

static int probe_webp(const unsigned char *b, size_t len, struct media_info *info)
{
	const unsigned char *d = b + 20; /* first chunk's data */
	uint32_t csize;

	if (len < 30 || memcmp(b, "RIFF", 4) || memcmp(b + 8, "WEBP", 4))
		return MEDIA_EUNKNOWN;
	/* The RIFF size counts everything after itself: a mismatch is a truncated or padded file.
	 */
	if ((uint64_t)le32(b + 4) + 8 != len)
		return MEDIA_EUNKNOWN;
	csize = le32(b + 16);
	if (csize > len - 20)
		return MEDIA_EUNKNOWN;
	if (!memcmp(b + 12, "VP8 ", 4)) {
		/* frame tag (3, bit 0 clear on a key frame), start code, 14-bit sides */
		if (csize < 10 || (d[0] & 1) || d[3] != 0x9d || d[4] != 0x01 || d[5] != 0x2a)
			return MEDIA_EUNKNOWN;
		info->width = le16(d + 6) & 0x3fff;
		info->height = le16(d + 8) & 0x3fff;
	} else if (!memcmp(b + 12, "VP8L", 4)) {
		/* signature byte, then width-1 and height-1 in 14 bits each and a 3-bit version 0
		 */
		uint32_t bits;

		if (csize < 5 || d[0] != 0x2f)
			return MEDIA_EUNKNOWN;
		bits = le32(d + 1);
		if (bits >> 29)
			return MEDIA_EUNKNOWN;
		info->width = (bits & 0x3fff) + 1;
		info->height = (bits >> 14 & 0x3fff) + 1;
	} else if (!memcmp(b + 12, "VP8X", 4)) {
		/* flags (1), reserved (3), canvas width-1 and height-1 in 24 bits each */
		if (csize < 10)
			return MEDIA_EUNKNOWN;
		info->width = le24(d + 4) + 1;
		info->height = le24(d + 7) + 1;
	} else {
		return MEDIA_EUNKNOWN;
	}
	if (info->width == 0 || info->height == 0)
		return MEDIA_EUNKNOWN;
	info->mime = "image/webp";
	return MEDIA_OK;
}

/* ---- entry points ------------------------------------------------------- */

int media_probe(const void *bytes, size_t len, struct media_info *info)
{
	static int (*const probes[])(const unsigned char *, size_t, struct media_info *) = {
	    probe_png, probe_jpeg, probe_gif, probe_webp};
	int rc = MEDIA_EUNKNOWN;

	memset(info, 0, sizeof *info);
	if (!bytes || len == 0)
		return MEDIA_EUNKNOWN;
	/* Each probe checks its own magic first, so at most one can accept. */
	for (size_t i = 0; i < ARRAY_LEN(probes) && rc == MEDIA_EUNKNOWN; i++)
		rc = probes[i](bytes, len, info);
	if (rc == MEDIA_OK && (info->width > MEDIA_MAX_SIDE || info->height > MEDIA_MAX_SIDE))
		rc = MEDIA_EDIMENSIONS;
	if (rc != MEDIA_OK)
		memset(info, 0, sizeof *info);
	return rc;
}

int media_sniff(const void *bytes, size_t len, const char **mime)
{
	struct media_info info;
	int rc = media_probe(bytes, len, &info);

	if (mime)
		*mime = info.mime;
	return rc;
}

int media_check(const void *bytes, size_t len, size_t max_bytes, const char **mime)
{
	if (mime)
		*mime = NULL;
	if (len == 0)
		return MEDIA_EEMPTY;
	if (len > max_bytes)
		return MEDIA_ETOOBIG;
	return media_sniff(bytes, len, mime);
}
