/*
 * markdown.h — board posts are CommonMark; this module turns them into HTML
 * that is safe to put in a page, builds the Markdown for quoting a post, and
 * lists the links a post contains for the allow-list check.
 *
 * Safety does not rest on cmark's own safe mode alone: the parsed tree is
 * rewritten before rendering so that
 *  - raw HTML (blocks and inline) is shown as literal, escaped text;
 *  - a link keeps its href only if, after trimming and removing ASCII
 *    control characters, it starts (case-insensitively) with "http:",
 *    "https:", "mailto:" or a single "/" (not "//" or "/\", which leave the
 *    site); any other link keeps its text and loses the link;
 *  - images are replaced by their alt text (pictures are separate uploads);
 *  - every link carries rel="nofollow noopener noreferrer".
 * Smart punctuation is off; invalid UTF-8 is replaced with U+FFFD.
 *
 * All functions are pure and thread-safe. Outputs are owned by the caller.
 */
#ifndef HEARTH_MARKDOWN_H
#define HEARTH_MARKDOWN_H

#include <stddef.h>
#include <stdint.h>

enum md_err {
	MD_OK = 0,
	MD_EINVAL = -1,	  /* NULL input with a length, bad author or post id */
	MD_ETOOLONG = -2, /* input over MD_MAX_INPUT or author over MD_AUTHOR_MAX */
	MD_ENOMEM = -3,	  /* cmark failed to build the tree */
	MD_ETOOMANY = -4, /* more than MD_MAX_LINKS distinct links */
};

/* Largest Markdown source accepted, in bytes. */
#define MD_MAX_INPUT (32 * 1024)
/* Longest author name md_quote() accepts, in bytes. */
#define MD_AUTHOR_MAX 256
/* Most distinct URLs md_links() reports. */
#define MD_MAX_LINKS 256

const char *md_strerror(int err);

/*
 * Render len bytes of Markdown to safe HTML. On success *html is a new
 * NUL-terminated string the caller frees with free(), and *html_len (if not
 * NULL) its length. On failure *html is NULL and MD_EINVAL (src NULL with
 * len > 0), MD_ETOOLONG (len > MD_MAX_INPUT) or MD_ENOMEM is returned.
 */
int md_render(const char *src, size_t len, char **html, size_t *html_len);

/*
 * Build the Markdown that quotes len bytes of an earlier post:
 *
 *   > **Author** wrote ([#post-123](/boards/posts/123)):
 *   >
 *   > first line of src
 *   > second line of src
 *   <blank line>
 *
 * Every character of author that could mean something in Markdown is
 * backslash-escaped and control characters become spaces, so the name is
 * always shown literally. Leading and trailing blank lines of src are
 * dropped; the result ends with a blank line so text typed after it is not
 * pulled into the quote. On success *out is a new string the caller frees.
 * On failure *out is NULL and MD_EINVAL (NULL/empty/invalid-UTF-8 author,
 * post_id <= 0, src NULL with len > 0) or MD_ETOOLONG (len > MD_MAX_INPUT,
 * author longer than MD_AUTHOR_MAX) is returned.
 */
int md_quote(const char *src, size_t len, const char *author, int64_t post_id, char **out);

/*
 * List the URLs in len bytes of Markdown, each once, in order of first
 * appearance: destinations of inline, reference and autolinks (and of
 * images, which the renderer drops but a reader of the source still sees),
 * plus bare "http://", "https://" and "www." URLs in text, code and raw
 * HTML. Destinations are as cmark decoded them (entities and escapes
 * resolved); feed each to tf_link_allowed(). On success *urls is a new
 * array of *n new strings (free with md_links_free()); with no links it is
 * NULL and *n 0. On failure *urls is NULL, *n is 0 and MD_EINVAL,
 * MD_ETOOLONG, MD_ENOMEM or MD_ETOOMANY (more than MD_MAX_LINKS distinct
 * URLs: treat the post as needing review) is returned.
 */
int md_links(const char *src, size_t len, char ***urls, size_t *n);

/* Free what md_links() returned; NULL is fine. */
void md_links_free(char **urls, size_t n);

#endif
