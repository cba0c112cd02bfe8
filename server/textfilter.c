/*
 * textfilter.c — phrase lists, crisis detection, profanity masking and the
 * link allow-list (contracts in textfilter.h).
 *
 * Phrases are compiled once into folded code points with a gap marker
 * between words; matching then walks the text a code point at a time, so
 * UTF-8 is never split and the match offsets are byte offsets into the
 * caller's text.
 */
#include "textfilter.h"

#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Gap between two words of a compiled phrase (0 is never a word character). */
#define TF__GAP 0u
/* What a byte that is not valid UTF-8 decodes to: outside Unicode, a separator. */
#define TF__BAD 0x110000u

enum tf__class { TF__SEP, TF__WORD, TF__APOS };

/* One phrase of a list: the text as configured and its compiled form. */
struct tf_phrase {
	char *text;
	uint32_t *cps; /* folded word characters, TF__GAP between words */
	size_t n;
};

/* One per configured list; immutable after construction, read by any thread. */
struct tf_list {
	struct tf_phrase *v;
	size_t n, cap;
};

static const char *const default_crisis[] = {
    "kill myself",
    "end my life",
    "suicide",
    "want to die",
    "don't want to be here",
    "no reason to live",
    "better off without me",
    "take my own life",
    "can't go on",
    "self harm",
    "hurt myself",
};

/* Kept modest on purpose: masking is a courtesy, and every entry is a
 * chance to mangle an innocent word, so only unambiguous words are here. */
static const char *const default_profanity[] = {
    "arsehole",	    "asshole",	"bastard", "bollocks", "bullshit", "cock",
    "cunt",	    "dickhead", "fuck",	   "fucked",   "fucker",   "fucking",
    "motherfucker", "shit",	"shite",   "shitty",   "twat",	   "wanker",
};

static const char *const default_domains[] = {
    "nhs.uk",	      "macmillan.org.uk", "cancerresearchuk.org", "mariecurie.org.uk",
    "samaritans.org", "cruse.org.uk",
};

const char *tf_strerror(int err)
{
	switch (err) {
	case TF_OK:
		return "ok";
	case TF_EINVAL:
		return "invalid phrase list";
	case TF_ETOOLONG:
		return "phrase or list too long";
	}
	return "unknown textfilter error";
}

const char *const *tf_default_crisis_phrases(size_t *n)
{
	*n = ARRAY_LEN(default_crisis);
	return default_crisis;
}

const char *const *tf_default_profanity(size_t *n)
{
	*n = ARRAY_LEN(default_profanity);
	return default_profanity;
}

const char *const *tf_default_allowed_domains(size_t *n)
{
	*n = ARRAY_LEN(default_domains);
	return default_domains;
}

/* ---- code points ---- */

static int cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

/*
 * Decode the code point at s[i] into *cp and return its length in bytes.
 * Overlong forms, surrogates and stray bytes decode one byte at a time as
 * TF__BAD, so a malformed sequence can never swallow the next character.
 */
static size_t tf__decode(const unsigned char *s, size_t len, size_t i, uint32_t *cp)
{
	unsigned c = s[i];
	size_t left = len - i;

	*cp = TF__BAD;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf && left >= 2 && cont(s[i + 1])) {
		*cp = ((c & 0x1fu) << 6) | (s[i + 1] & 0x3fu);
		return 2;
	}
	if (c >= 0xe0 && c <= 0xef && left >= 3 && cont(s[i + 1]) && cont(s[i + 2])) {
		uint32_t v = ((c & 0x0fu) << 12) | ((s[i + 1] & 0x3fu) << 6) | (s[i + 2] & 0x3fu);

		if (v < 0x800 || (v >= 0xd800 && v <= 0xdfff))
			return 1;
		*cp = v;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4 && left >= 4 && cont(s[i + 1]) && cont(s[i + 2]) &&
	    cont(s[i + 3])) {
		uint32_t v = ((c & 0x07u) << 18) | ((s[i + 1] & 0x3fu) << 12) |
			     ((s[i + 2] & 0x3fu) << 6) | (s[i + 3] & 0x3fu);

		if (v < 0x10000 || v > 0x10ffff)
			return 1;
		*cp = v;
		return 4;
	}
	return 1;
}

/*
 * A deliberately small idea of "letter": enough to find word boundaries in
 * English text with accents, quotes, dashes and emoji around the words,
 * without shipping Unicode tables.
 */
static enum tf__class tf__class(uint32_t cp)
{
	if (cp < 0x80) {
		if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
		    (cp >= '0' && cp <= '9'))
			return TF__WORD;
		if (cp == '\'' || cp == '`')
			return TF__APOS;
		return TF__SEP;
	}
	if (cp == 0x2018 || cp == 0x2019 || cp == 0x02bc || cp == 0x00b4 || cp == 0xff07)
		return TF__APOS;
	if (cp == 0xaa || cp == 0xb5 || cp == 0xba)
		return TF__WORD;
	/* C1 controls, NBSP, Latin-1 punctuation and signs */
	if (cp < 0xc0 || cp == 0xd7 || cp == 0xf7)
		return TF__SEP;
	if ((cp >= 0x2000 && cp <= 0x206f) ||	/* spaces, dashes, quotes, ZW chars */
	    (cp >= 0x2190 && cp <= 0x2bff) ||	/* arrows, maths, shapes, dingbats */
	    (cp >= 0x3000 && cp <= 0x303f) ||	/* CJK spaces and punctuation */
	    (cp >= 0xfe00 && cp <= 0xfe0f) ||	/* variation selectors (emoji) */
	    (cp >= 0xff01 && cp <= 0xff0f) ||	/* full-width punctuation */
	    (cp >= 0x1f000 && cp <= 0x1faff) || /* emoji and pictographs */
	    cp == 0xfeff || cp == 0xfffd || cp >= TF__BAD)
		return TF__SEP;
	return TF__WORD;
}

static uint32_t tf__fold(uint32_t cp)
{
	if (cp >= 'A' && cp <= 'Z')
		return cp + 32;
	if (cp >= 0xc0 && cp <= 0xde && cp != 0xd7)
		return cp + 32;
	return cp;
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* ---- lists ---- */

static void trim(const char **s, size_t *len)
{
	while (*len && is_space((unsigned char)**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len && is_space((unsigned char)(*s)[*len - 1]))
		(*len)--;
}

/*
 * Compile one phrase into l. Apostrophes vanish (so "can't" and "cant" are
 * the same phrase) and any run of separators becomes one gap.
 */
static int tf__list_add(struct tf_list *l, const char *s, size_t len)
{
	const unsigned char *u;
	struct tf_phrase p;
	size_t i = 0;

	trim(&s, &len);
	if (len == 0)
		return TF_OK;
	if (len > TF_PHRASE_MAX)
		return TF_ETOOLONG;
	if (!utf8_valid(s, len))
		return TF_EINVAL;
	if (l->n == TF_LIST_MAX)
		return TF_ETOOLONG;

	u = (const unsigned char *)s;
	p.cps = xmalloc(sizeof(*p.cps) * len);
	p.n = 0;
	while (i < len) {
		uint32_t cp;

		i += tf__decode(u, len, i, &cp);
		switch (tf__class(cp)) {
		case TF__WORD:
			p.cps[p.n++] = tf__fold(cp);
			break;
		case TF__APOS:
			break;
		case TF__SEP:
			if (p.n && p.cps[p.n - 1] != TF__GAP)
				p.cps[p.n++] = TF__GAP;
			break;
		}
	}
	if (p.n && p.cps[p.n - 1] == TF__GAP)
		p.n--;
	if (p.n == 0) {
		free(p.cps);
		return TF_OK;
	}
	p.text = xstrndup(s, len);
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xrealloc(l->v, sizeof(*l->v) * l->cap);
	}
	l->v[l->n++] = p;
	return TF_OK;
}

struct tf_list *tf_list_new(const char *const *phrases, size_t n)
{
	struct tf_list *l;

	if (n > TF_LIST_MAX || (n && !phrases))
		return NULL;
	l = xcalloc(1, sizeof(*l));
	for (size_t i = 0; i < n; i++) {
		if (!phrases[i])
			continue;
		if (tf__list_add(l, phrases[i], strlen(phrases[i])) != TF_OK) {
			tf_list_free(l);
			return NULL;
		}
	}
	return l;
}

/* Add the comma-separated items of one line. */
static int tf__parse_line(struct tf_list *l, const char *line, size_t len)
{
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		int rc;

		if (i < len && line[i] != ',')
			continue;
		rc = tf__list_add(l, line + start, i - start);
		if (rc != TF_OK)
			return rc;
		start = i + 1;
	}
	return TF_OK;
}

int tf_list_parse(const char *text, size_t len, struct tf_list **out)
{
	struct tf_list *l;
	size_t start = 0;

	*out = NULL;
	if (!text && len)
		return TF_EINVAL;
	if (len && !utf8_valid(text, len))
		return TF_EINVAL;
	if (!text)
		text = "";
	l = xcalloc(1, sizeof(*l));
	for (size_t i = 0; i <= len; i++) {
		const char *line;
		size_t n;
		int rc;

		if (i < len && text[i] != '\n' && text[i] != '\r')
			continue;
		line = text + start;
		n = i - start;
		start = i + 1;
		trim(&line, &n);
		if (n == 0 || line[0] == '#')
			continue; /* a comment runs to the end of its line, commas and all */
		rc = tf__parse_line(l, line, n);
		if (rc != TF_OK) {
			tf_list_free(l);
			return rc;
		}
	}
	*out = l;
	return TF_OK;
}

void tf_list_free(struct tf_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].text);
		free(l->v[i].cps);
	}
	free(l->v);
	free(l);
}

size_t tf_list_count(const struct tf_list *l)
{
	return l ? l->n : 0;
}

const char *tf_list_get(const struct tf_list *l, size_t i)
{
	return l && i < l->n ? l->v[i].text : NULL;
}

/* ---- matching ---- */

/*
 * If phrase p matches the text starting at byte i (a word start), the byte
 * offset just past the match; otherwise 0 (a match is never empty).
 */
static size_t tf__match_at(const struct tf_phrase *p, const unsigned char *s, size_t len, size_t i)
{
	size_t k = 0;
	uint32_t cp;

	while (k < p->n) {
		size_t d;

		if (p->cps[k] == TF__GAP) {
			/* Any run of separators, or none: "kill-myself", "killmyself". */
			while (i < len) {
				d = tf__decode(s, len, i, &cp);
				if (tf__class(cp) == TF__WORD)
					break;
				i += d;
			}
			k++;
			continue;
		}
		if (i >= len)
			return 0;
		d = tf__decode(s, len, i, &cp);
		if (tf__class(cp) == TF__APOS && k > 0 && p->cps[k - 1] != TF__GAP) {
			i += d; /* inside a word: "can’t" reads as "cant" */
			continue;
		}
		if (tf__fold(cp) != p->cps[k])
			return 0;
		i += d;
		k++;
	}
	if (i < len) {
		tf__decode(s, len, i, &cp);
		if (tf__class(cp) == TF__WORD)
			return 0;
	}
	return i;
}

/* The end of the longest phrase of l matching at byte i, or 0. */
static size_t tf__longest_at(const struct tf_list *l, const unsigned char *s, size_t len, size_t i)
{
	size_t best = 0;

	for (size_t k = 0; k < l->n; k++) {
		size_t end = tf__match_at(&l->v[k], s, len, i);

		if (end > best)
			best = end;
	}
	return best;
}

int tf_match(const struct tf_list *l, const char *text, size_t len, size_t *at)
{
	const unsigned char *s = (const unsigned char *)text;
	enum tf__class prev = TF__SEP;
	size_t i = 0;

	if (!l || !l->n || !text)
		return 0;
	while (i < len) {
		uint32_t cp;
		size_t d = tf__decode(s, len, i, &cp);
		enum tf__class cls = tf__class(cp);

		if (cls == TF__WORD && prev != TF__WORD && tf__longest_at(l, s, len, i)) {
			if (at)
				*at = i;
			return 1;
		}
		prev = cls;
		i += d;
	}
	return 0;
}

/* Append s[start, end) with every word character but each word's first as '*'. */
static void tf__mask_span(struct buf *b, const unsigned char *s, size_t start, size_t end)
{
	int in_word = 0;
	size_t i = start;

	while (i < end) {
		uint32_t cp;
		size_t d = tf__decode(s, end, i, &cp);

		switch (tf__class(cp)) {
		case TF__WORD:
			if (in_word)
				buf_append(b, "*", 1);
			else
				buf_append(b, s + i, d);
			in_word = 1;
			break;
		case TF__APOS:
			buf_append(b, s + i, d);
			break;
		case TF__SEP:
			buf_append(b, s + i, d);
			in_word = 0;
			break;
		}
		i += d;
	}
}

char *tf_mask(const struct tf_list *l, const char *text, size_t len, int *masked)
{
	const unsigned char *s = (const unsigned char *)(text ? text : "");
	enum tf__class prev = TF__SEP;
	size_t i = 0, copied = 0;
	struct buf b;
	int count = 0;

	buf_init(&b, 0);
	if (!text)
		len = 0;
	while (l && i < len) {
		uint32_t cp;
		size_t d = tf__decode(s, len, i, &cp);
		enum tf__class cls = tf__class(cp);
		size_t end;

		if (cls == TF__WORD && prev != TF__WORD && (end = tf__longest_at(l, s, len, i))) {
			buf_append(&b, s + copied, i - copied);
			tf__mask_span(&b, s, i, end);
			copied = i = end;
			prev = TF__WORD; /* a match ends on a word character */
			count++;
			continue;
		}
		prev = cls;
		i += d;
	}
	buf_append(&b, s + copied, len - copied);
	if (masked)
		*masked = count;
	return buf_steal(&b, NULL);
}

/* ---- link allow-list ---- */

static int has_prefix_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * Copy url without leading/trailing whitespace and without any ASCII
 * control character, as a browser's URL parser would see it. 0 if it does
 * not fit in out (cap bytes including the NUL).
 */
static int tf__clean_url(const char *url, char *out, size_t cap)
{
	const unsigned char *u = (const unsigned char *)url;
	size_t n = 0;

	while (*u && *u <= 0x20)
		u++;
	for (; *u; u++) {
		if (*u < 0x20 || *u == 0x7f)
			continue;
		if (n + 1 >= cap)
			return 0;
		out[n++] = (char)*u;
	}
	while (n && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	return 1;
}

/*
 * Lower-case host[0, *n) in place, drop one trailing dot, and check it is
 * something we can compare: ASCII letters, digits, '-', '_' and '.' with no
 * empty label, or a bracketed IPv6 literal. Percent-escapes and non-ASCII
 * are refused rather than decoded: a browser would map them (IDNA,
 * full-width dots) to hosts we cannot predict.
 */
static int tf__host_ok(char *host, size_t *n)
{
	size_t len = *n;

	if (len && host[len - 1] == '.')
		len--;
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = host[i];

		if (c >= 'A' && c <= 'Z')
			host[i] = c = (char)(c + 32);
		if (host[0] == '[') {
			if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == ':' ||
			      c == '.' || c == '[' || c == ']'))
				return 0;
			continue;
		}
		if (c == '.' && (i == 0 || host[i - 1] == '.'))
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.'))
			return 0;
	}
	*n = len;
	return 1;
}

/*
 * An IP address as a browser would read it: a bracketed IPv6 literal, or a
 * host whose last label is a number (decimal or 0x-hex), which WHATWG URL
 * parsing turns into IPv4 ("2130706433", "0x7f.1", "1.2.3.4").
 */
static int tf__is_ip(const char *host, size_t n)
{
	size_t start = n;
	int hex;

	if (host[0] == '[')
		return 1;
	while (start && host[start - 1] != '.')
		start--;
	if (start == n)
		return 0;
	hex = n - start > 2 && host[start] == '0' && host[start + 1] == 'x';
	for (size_t i = start + (hex ? 2 : 0); i < n; i++) {
		char c = host[i];

		if (!(c >= '0' && c <= '9') && !(hex && c >= 'a' && c <= 'f'))
			return 0;
	}
	return 1;
}

static int tf__domain_allowed(const char *host, size_t n, const struct tf_list *allowed)
{
	int ip = tf__is_ip(host, n);

	for (size_t i = 0; i < tf_list_count(allowed); i++) {
		const char *d = tf_list_get(allowed, i);
		size_t dn;

		if (d[0] == '*' && d[1] == '.')
			d += 2;
		else if (d[0] == '.')
			d++;
		dn = strlen(d);
		if (dn && d[dn - 1] == '.')
			dn--;
		if (dn == 0 || dn > n)
			continue;
		if (dn == n && strncasecmp(host, d, n) == 0)
			return 1;
		/* A subdomain must differ by whole labels: "x.nhs.uk", never "evilnhs.uk". */
		if (!ip && dn < n && host[n - dn - 1] == '.' &&
		    strncasecmp(host + n - dn, d, dn) == 0)
			return 1;
	}
	return 0;
}

/* Authority starts at a; the host is after the last '@', before any port. */
static int tf__authority_allowed(char *a, const struct tf_list *allowed)
{
	size_t end = strcspn(a, "/\\?#");
	char *host = a, *at;
	size_t n;

	a[end] = '\0';
	at = strrchr(a, '@');
	if (at)
		host = at + 1;
	if (host[0] == '[') {
		char *close = strchr(host, ']');

		if (!close)
			return 0;
		n = (size_t)(close - host) + 1;
	} else {
		n = strcspn(host, ":");
	}
	if (!tf__host_ok(host, &n))
		return 0;
	return tf__domain_allowed(host, n, allowed);
}

/* Every address of "mailto:a@x,b@y?subject=…" must be at an allowed domain. */
static int tf__mailto_allowed(char *to, const struct tf_list *allowed)
{
	int any = 0;

	to[strcspn(to, "?#")] = '\0';
	for (char *save = NULL, *addr = strtok_r(to, ",", &save); addr;
	     addr = strtok_r(NULL, ",", &save)) {
		char *at = strrchr(addr, '@'), *host;
		size_t n;

		if (!at)
			return 0;
		host = at + 1;
		n = strlen(host);
		while (n && host[n - 1] == ' ')
			n--;
		if (!tf__host_ok(host, &n) || tf__is_ip(host, n) ||
		    !tf__domain_allowed(host, n, allowed))
			return 0;
		any = 1;
	}
	return any;
}

int tf_link_allowed(const char *url, const struct tf_list *allowed_domains)
{
	char c[TF_URL_MAX + 1];
	char *p;

	if (!url || !tf__clean_url(url, c, sizeof(c)))
		return 0;
	/* Browsers read '\' as '/' in http(s) URLs, so "/\evil.com" is "//evil.com". */
	if (c[0] == '/' || c[0] == '\\') {
		if (c[1] != '/' && c[1] != '\\')
			return 1;
		p = c;
	} else if (has_prefix_ci(c, "http:")) {
		p = c + 5;
	} else if (has_prefix_ci(c, "https:")) {
		p = c + 6;
	} else if (has_prefix_ci(c, "mailto:")) {
		return tf__mailto_allowed(c + 7, allowed_domains);
	} else if (has_prefix_ci(c, "www.")) {
		p = c;
	} else {
		return 0;
	}
	/* "http:evil.com" and "https:///evil.com" both reach evil.com. */
	while (*p == '/' || *p == '\\')
		p++;
	return tf__authority_allowed(p, allowed_domains);
}
