/*
 * markdown.c — safe rendering, quoting and link listing of board posts with
 * libcmark (contracts in markdown.h).
 *
 * The sanitiser works on cmark's tree rather than on the HTML it produces:
 * by the time HTML exists, entities and escapes have been decoded and
 * re-encoded and a string filter would be guessing. On the tree a link is
 * a node with one destination, so what is checked is exactly what is
 * emitted.
 */
#include "markdown.h"

#include "util.h"

#include <cmark.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * CMARK_OPT_SAFE is already cmark 0.30's default (it is a no-op flag kept
 * for compatibility) and is listed to say so; never CMARK_OPT_UNSAFE. No
 * CMARK_OPT_SMART: posts are quoted and edited as typed.
 */
#define MD__OPTS (CMARK_OPT_SAFE | CMARK_OPT_VALIDATE_UTF8)
#define MD__REL "nofollow noopener noreferrer"

const char *md_strerror(int err)
{
	switch (err) {
	case MD_OK:
		return "ok";
	case MD_EINVAL:
		return "invalid argument";
	case MD_ETOOLONG:
		return "text too long";
	case MD_ENOMEM:
		return "out of memory";
	case MD_ETOOMANY:
		return "too many links";
	}
	return "unknown markdown error";
}

static int has_prefix_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static int is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* ---- rendering ---- */

/*
 * The URL as a browser would read it: no leading control/space bytes, no
 * trailing spaces, no ASCII control characters anywhere ("java\tscript:"
 * is "javascript:" to a browser).
 */
static void md__clean_url(const char *url, struct buf *out)
{
	const unsigned char *u = (const unsigned char *)url;

	while (*u && *u <= 0x20)
		u++;
	for (; *u; u++) {
		if (*u < 0x20 || *u == 0x7f)
			continue;
		buf_append(out, u, 1);
	}
	while (out->len && out->data[out->len - 1] == ' ')
		out->data[--out->len] = '\0';
}

/* An allow-list, not a block-list: unknown schemes never get through. */
static int md__url_safe(const char *u)
{
	if (u[0] == '/')
		return u[1] != '/' && u[1] != '\\';
	return has_prefix_ci(u, "http:") || has_prefix_ci(u, "https:") ||
	       has_prefix_ci(u, "mailto:");
}

/*
 * Percent-encode what may not stand bare in an attribute or a URL
 * (quotes, '<', '>', spaces, non-ASCII) and entity-encode '&' and '\''.
 * Existing %XX escapes pass through unchanged.
 */
static void md__escape_href(struct buf *b, const char *url)
{
	static const char keep[] = "-_.!~*();/?:@=+$,#%[]";
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *u = (const unsigned char *)url; *u; u++) {
		if (*u == '&') {
			buf_puts(b, "&amp;");
		} else if (*u == '\'') {
			buf_puts(b, "&#x27;");
		} else if (is_alnum(*u) || strchr(keep, *u)) {
			buf_append(b, u, 1);
		} else {
			char pct[3] = {'%', hex[*u >> 4], hex[*u & 15]};

			buf_append(b, pct, 3);
		}
	}
}

static void md__escape_html(struct buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			buf_puts(b, "&amp;");
			break;
		case '<':
			buf_puts(b, "&lt;");
			break;
		case '>':
			buf_puts(b, "&gt;");
			break;
		case '"':
			buf_puts(b, "&quot;");
			break;
		case '\'':
			buf_puts(b, "&#x27;");
			break;
		default:
			buf_append(b, s, 1);
		}
	}
}

/* Put node's children where node was, then drop node. */
static void md__unwrap(cmark_node *node)
{
	cmark_node *child;

	while ((child = cmark_node_first_child(node)))
		cmark_node_insert_before(node, child);
	cmark_node_free(node);
}

/* Replace node by fresh; if the tree refuses, drop node and fresh alike. */
static void md__replace(cmark_node *node, cmark_node *fresh)
{
	if (!cmark_node_replace(node, fresh))
		cmark_node_free(fresh);
	cmark_node_free(node);
}

static cmark_node *md__text(const char *literal)
{
	cmark_node *t = cmark_node_new(CMARK_NODE_TEXT);

	cmark_node_set_literal(t, literal);
	return t;
}

/* Raw HTML is shown as the text the author typed, escaped by the renderer. */
static void md__html_to_text(cmark_node *node)
{
	const char *lit = cmark_node_get_literal(node);
	size_t n = lit ? strlen(lit) : 0;
	cmark_node *para;
	char *copy;

	if (cmark_node_get_type(node) == CMARK_NODE_HTML_INLINE) {
		md__replace(node, md__text(lit ? lit : ""));
		return;
	}
	while (n && (lit[n - 1] == '\n' || lit[n - 1] == '\r'))
		n--;
	if (n == 0) {
		cmark_node_free(node);
		return;
	}
	copy = xstrndup(lit, n);
	para = cmark_node_new(CMARK_NODE_PARAGRAPH);
	cmark_node_append_child(para, md__text(copy));
	free(copy);
	md__replace(node, para);
}

/* An image becomes its alt text, flattened as cmark flattens alt attributes. */
static void md__image_to_text(cmark_node *img)
{
	cmark_iter *it = cmark_iter_new(img);
	cmark_event_type ev;
	struct buf alt;

	buf_init(&alt, 0);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		const char *lit;

		if (ev != CMARK_EVENT_ENTER)
			continue;
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
		case CMARK_NODE_HTML_INLINE:
			lit = cmark_node_get_literal(n);
			buf_puts(&alt, lit ? lit : "");
			break;
		case CMARK_NODE_SOFTBREAK:
		case CMARK_NODE_LINEBREAK:
			buf_puts(&alt, " ");
			break;
		default:
			break;
		}
	}
	cmark_iter_free(it);
	md__replace(img, md__text(alt.data));
	buf_free(&alt);
}

/*
 * A safe link becomes a custom inline node whose opening tag we wrote
 * ourselves, so it can carry rel=; its children stay as they were.
 */
static void md__fix_link(cmark_node *link)
{
	const char *url = cmark_node_get_url(link), *title = cmark_node_get_title(link);
	cmark_node *a, *child;
	struct buf clean, tag;

	buf_init(&clean, 0);
	md__clean_url(url ? url : "", &clean);
	if (!md__url_safe(clean.data)) {
		buf_free(&clean);
		md__unwrap(link);
		return;
	}
	buf_init(&tag, 0);
	buf_puts(&tag, "<a href=\"");
	md__escape_href(&tag, clean.data);
	buf_puts(&tag, "\" rel=\"" MD__REL "\"");
	if (title && *title) {
		buf_puts(&tag, " title=\"");
		md__escape_html(&tag, title);
		buf_puts(&tag, "\"");
	}
	buf_puts(&tag, ">");
	buf_free(&clean);

	a = cmark_node_new(CMARK_NODE_CUSTOM_INLINE);
	cmark_node_set_on_enter(a, tag.data);
	cmark_node_set_on_exit(a, "</a>");
	buf_free(&tag);
	if (!cmark_node_insert_before(link, a)) {
		/* Cannot happen for an inline; if it did, keep the words, lose the link. */
		cmark_node_free(a);
		md__unwrap(link);
		return;
	}
	while ((child = cmark_node_first_child(link)))
		cmark_node_append_child(a, child);
	cmark_node_free(link);
}

struct md__nodes {
	cmark_node **v;
	size_t n, cap;
};

static void md__push(struct md__nodes *s, cmark_node *node)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 32;
		s->v = xrealloc(s->v, sizeof(*s->v) * s->cap);
	}
	s->v[s->n++] = node;
}

/*
 * Rewrite the tree in two passes because cmark's iterator does not survive
 * its current node being replaced. Image subtrees are skipped in the first
 * pass: the whole image (links in its alt text included) becomes one text
 * node, so no node collected can be freed by another's rewrite.
 */
static void md__sanitize(cmark_node *doc)
{
	struct md__nodes todo = {0};
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);

		if (ev != CMARK_EVENT_ENTER)
			continue;
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_IMAGE:
			md__push(&todo, n);
			cmark_iter_reset(it, n, CMARK_EVENT_EXIT);
			break;
		case CMARK_NODE_HTML_BLOCK:
		case CMARK_NODE_HTML_INLINE:
		case CMARK_NODE_LINK:
		case CMARK_NODE_CUSTOM_BLOCK:  /* the parser never makes these; */
		case CMARK_NODE_CUSTOM_INLINE: /* if one appears, it is not ours */
			md__push(&todo, n);
			break;
		default:
			break;
		}
	}
	cmark_iter_free(it);

	for (size_t i = 0; i < todo.n; i++) {
		cmark_node *n = todo.v[i];

		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_IMAGE:
			md__image_to_text(n);
			break;
		case CMARK_NODE_LINK:
			md__fix_link(n);
			break;
		case CMARK_NODE_HTML_BLOCK:
		case CMARK_NODE_HTML_INLINE:
			md__html_to_text(n);
			break;
		default:
			md__unwrap(n);
			break;
		}
	}
	free(todo.v);
}

int md_render(const char *src, size_t len, char **html, size_t *html_len)
{
	cmark_node *doc;
	char *out;
	size_t n;

	*html = NULL;
	if (html_len)
		*html_len = 0;
	if (!src && len)
		return MD_EINVAL;
	if (len > MD_MAX_INPUT)
		return MD_ETOOLONG;
	doc = cmark_parse_document(src ? src : "", len, MD__OPTS);
	if (!doc)
		return MD_ENOMEM;
	md__sanitize(doc);
	out = cmark_render_html(doc, MD__OPTS);
	cmark_node_free(doc);
	if (!out)
		return MD_ENOMEM;
	/* Copy so the caller frees with plain free() whatever cmark's allocator is. */
	n = strlen(out);
	*html = xstrndup(out, n);
	cmark_get_default_mem_allocator()->free(out);
	if (html_len)
		*html_len = n;
	return MD_OK;
}

/* ---- quoting ---- */

/*
 * Backslash-escape every ASCII punctuation character (CommonMark makes
 * each of them literal that way) and turn control characters into spaces,
 * trimming the ends so the surrounding ** still opens and closes.
 */
static void md__escape_name(struct buf *b, const char *name)
{
	size_t len = strlen(name), start = 0;

	while (start < len && ((unsigned char)name[start] <= 0x20 || name[start] == 0x7f))
		start++;
	while (len > start && ((unsigned char)name[len - 1] <= 0x20 || name[len - 1] == 0x7f))
		len--;
	for (size_t i = start; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c < 0x20 || c == 0x7f) {
			buf_puts(b, " ");
		} else if (c < 0x80 && !is_alnum(c) && c != ' ') {
			char esc[2] = {'\\', (char)c};

			buf_append(b, esc, 2);
		} else {
			buf_append(b, &name[i], 1);
		}
	}
}

static int md__name_ok(const char *author)
{
	size_t n;
	int visible = 0;

	if (!author)
		return MD_EINVAL;
	n = strlen(author);
	if (n > MD_AUTHOR_MAX)
		return MD_ETOOLONG;
	if (!utf8_valid(author, n))
		return MD_EINVAL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)author[i] > 0x20 && author[i] != 0x7f)
			visible = 1;
	return visible ? MD_OK : MD_EINVAL;
}

static int is_blank_line(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

/* Append src[start, end) with every line prefixed "> " (a blank one ">"). */
static void md__quote_lines(struct buf *b, const char *src, size_t start, size_t end)
{
	size_t i = start;

	while (i < end) {
		size_t eol = i;

		while (eol < end && src[eol] != '\n' && src[eol] != '\r')
			eol++;
		if (eol == i) {
			buf_puts(b, ">\n");
		} else {
			buf_puts(b, "> ");
			buf_append(b, src + i, eol - i);
			buf_puts(b, "\n");
		}
		if (eol + 1 < end && src[eol] == '\r' && src[eol + 1] == '\n')
			eol++;
		i = eol + 1;
	}
}

int md_quote(const char *src, size_t len, const char *author, int64_t post_id, char **out)
{
	size_t first = 0, end = 0, line = 0;
	int seen = 0;
	struct buf b;
	int rc;

	*out = NULL;
	if ((rc = md__name_ok(author)) != MD_OK)
		return rc;
	if ((!src && len) || post_id <= 0)
		return MD_EINVAL;
	if (len > MD_MAX_INPUT)
		return MD_ETOOLONG;
	if (!src)
		src = "";

	/* Quote from the first to the last non-blank line: [first, end). */
	for (size_t pos = 0; pos <= len; pos++) {
		if (pos < len && src[pos] != '\n' && src[pos] != '\r')
			continue;
		if (!is_blank_line(src + line, pos - line)) {
			if (!seen)
				first = line;
			seen = 1;
			end = pos;
		}
		line = pos + 1;
	}

	buf_init(&b, 0);
	buf_puts(&b, "> **");
	md__escape_name(&b, author);
	buf_printf(&b, "** wrote ([#post-%" PRId64 "](/boards/posts/%" PRId64 ")):\n", post_id,
		   post_id);
	if (seen) {
		buf_puts(&b, ">\n");
		md__quote_lines(&b, src, first, end);
	}
	buf_puts(&b, "\n");
	*out = buf_steal(&b, NULL);
	return MD_OK;
}

/* ---- links ---- */

struct md__urls {
	char **v;
	size_t n;
	int overflow;
};

static void md__add_url(struct md__urls *u, const char *s, size_t n)
{
	if (n == 0)
		return;
	for (size_t i = 0; i < u->n; i++)
		if (strncmp(u->v[i], s, n) == 0 && u->v[i][n] == '\0')
			return;
	if (u->n == MD_MAX_LINKS) {
		u->overflow = 1;
		return;
	}
	if (u->n == 0)
		u->v = xmalloc(sizeof(*u->v) * MD_MAX_LINKS);
	u->v[u->n++] = xstrndup(s, n);
}

static int url_stop(unsigned char c)
{
	return c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == '"' || c == '`';
}

/*
 * Trailing punctuation is sentence, not URL ("see www.nhs.uk."); a closing
 * parenthesis is kept only when it closes one opened inside the URL, as in
 * Wikipedia-style paths.
 */
static size_t md__trim_url(const char *s, size_t n)
{
	while (n) {
		char c = s[n - 1];

		if (c == ')') {
			int depth = 0;

			for (size_t i = 0; i < n; i++)
				depth += s[i] == '(' ? 1 : s[i] == ')' ? -1 : 0;
			if (depth >= 0)
				break;
		} else if (!strchr("?!.,:;*_~'", c)) {
			break;
		}
		n--;
	}
	return n;
}

/* Bare URLs in text: "http://", "https://" or "www." after a non-alphanumeric. */
static void md__scan_bare(struct md__urls *u, const char *s)
{
	static const char *const prefixes[] = {"http://", "https://", "www."};
	size_t len = strlen(s);

	for (size_t i = 0; i < len; i++) {
		size_t plen = 0, end;

		if (i > 0 && is_alnum((unsigned char)s[i - 1]))
			continue;
		for (size_t k = 0; k < ARRAY_LEN(prefixes) && !plen; k++)
			if (has_prefix_ci(s + i, prefixes[k]))
				plen = strlen(prefixes[k]);
		if (!plen)
			continue;
		end = i + plen;
		while (end < len && !url_stop((unsigned char)s[end]))
			end++;
		end = i + md__trim_url(s + i, end - i);
		if (end > i + plen)
			md__add_url(u, s + i, end - i);
		i = end > i ? end - 1 : i;
	}
}

int md_links(const char *src, size_t len, char ***urls, size_t *n)
{
	struct md__urls u = {0};
	cmark_event_type ev;
	cmark_node *doc;
	cmark_iter *it;

	*urls = NULL;
	*n = 0;
	if (!src && len)
		return MD_EINVAL;
	if (len > MD_MAX_INPUT)
		return MD_ETOOLONG;
	doc = cmark_parse_document(src ? src : "", len, MD__OPTS);
	if (!doc)
		return MD_ENOMEM;
	/* cmark splits text at every '_', '*', '[' …; joined, a URL is one string. */
	cmark_consolidate_text_nodes(doc);
	it = cmark_iter_new(doc);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE && !u.overflow) {
		cmark_node *node = cmark_iter_get_node(it);
		const char *s;

		if (ev != CMARK_EVENT_ENTER)
			continue;
		switch (cmark_node_get_type(node)) {
		case CMARK_NODE_LINK:
		case CMARK_NODE_IMAGE:
			s = cmark_node_get_url(node);
			if (s)
				md__add_url(&u, s, strlen(s));
			break;
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
		case CMARK_NODE_CODE_BLOCK:
		case CMARK_NODE_HTML_INLINE:
		case CMARK_NODE_HTML_BLOCK:
			s = cmark_node_get_literal(node);
			if (s)
				md__scan_bare(&u, s);
			break;
		default:
			break;
		}
	}
	cmark_iter_free(it);
	cmark_node_free(doc);
	if (u.overflow) {
		md_links_free(u.v, u.n);
		return MD_ETOOMANY;
	}
	*urls = u.v;
	*n = u.n;
	return MD_OK;
}

void md_links_free(char **urls, size_t n)
{
	if (!urls)
		return;
	for (size_t i = 0; i < n; i++)
		free(urls[i]);
	free(urls);
}
