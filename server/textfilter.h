/*
 * textfilter.h — word lists and the three checks run on user text before it
 * is stored or shown: crisis-phrase detection, profanity masking, and the
 * link allow-list.
 *
 * A struct tf_list is built once (from the config file or the defaults) and
 * is immutable afterwards, so any number of threads may read it at once
 * without locking. Every function here is pure: no I/O, no global state.
 *
 * Matching model (crisis phrases and profanity alike):
 *  - Case-insensitive: ASCII and Latin-1 letters (À–Þ) fold to lower case;
 *    other code points compare exactly.
 *  - Whole words: a phrase must start and end on a word boundary, so
 *    "kill myself" does not match "skill myself" and "end my life" does not
 *    match "end my lifelong". Letters, digits and most non-ASCII code points
 *    are word characters; whitespace, ASCII punctuation, general Unicode
 *    punctuation (U+2000–U+206F), symbols and emoji separate words.
 *  - Between the words of a phrase the text may have any run of separators,
 *    or none: "kill   myself", "kill-myself", "KILL MYSELF!!" and
 *    "killmyself" all match "kill myself".
 *  - Apostrophes (' ’ ‘ ʼ ´ `) inside a word are ignored on both sides, so
 *    "can't go on" matches "can’t go on" and "cant go on". At the end of a
 *    word an apostrophe is a boundary ("shit's" contains "shit").
 */
#ifndef HEARTH_TEXTFILTER_H
#define HEARTH_TEXTFILTER_H

#include <stddef.h>

enum tf_err {
	TF_OK = 0,
	TF_EINVAL = -1,	  /* NULL where text was required, or invalid UTF-8 */
	TF_ETOOLONG = -2, /* a phrase over TF_PHRASE_MAX or a list over TF_LIST_MAX */
};

/* Longest phrase, in bytes, and most phrases a list may hold. */
#define TF_PHRASE_MAX 256
#define TF_LIST_MAX 4096
/* Longest URL tf_link_allowed() will consider; longer ones are refused. */
#define TF_URL_MAX 4096

struct tf_list;

const char *tf_strerror(int err);

/*
 * Build a list from n phrases (copied; the caller keeps its strings).
 * Each phrase is trimmed of surrounding whitespace; NULL and empty entries
 * and ones that normalise to nothing (only punctuation) are skipped.
 * Returns NULL if a phrase is not valid UTF-8 or is longer than
 * TF_PHRASE_MAX, or n > TF_LIST_MAX. Free with tf_list_free().
 */
struct tf_list *tf_list_new(const char *const *phrases, size_t n);

/*
 * Build a list from text as the config file holds it: phrases separated by
 * commas and/or newlines ("kill myself, end my life\nsuicide"). Surrounding
 * whitespace is trimmed, empty items are skipped, and an item starting with
 * '#' is a comment. On success *out is a new list the caller frees with
 * tf_list_free(); on failure *out is NULL and TF_EINVAL (NULL text, invalid
 * UTF-8) or TF_ETOOLONG is returned.
 */
int tf_list_parse(const char *text, size_t len, struct tf_list **out);

void tf_list_free(struct tf_list *l);

/* Number of phrases, and the i-th as given (trimmed); borrowed from l. */
size_t tf_list_count(const struct tf_list *l);
const char *tf_list_get(const struct tf_list *l, size_t i);

/*
 * Built-in defaults: static arrays (never freed), *n set to their length.
 * Feed them to tf_list_new() when the config file gives no list.
 */
const char *const *tf_default_crisis_phrases(size_t *n);
const char *const *tf_default_profanity(size_t *n);
const char *const *tf_default_allowed_domains(size_t *n);

/*
 * Crisis detection: 1 if any phrase of l occurs in text (len bytes), with
 * *at (if not NULL) set to the byte offset where the earliest match starts;
 * 0 if none does (or l or text is NULL). Invalid UTF-8 bytes count as
 * separators. Errs towards matching: "I could kill myself laughing" matches.
 */
int tf_match(const struct tf_list *l, const char *text, size_t len, size_t *at);

/*
 * Profanity masking: a new NUL-terminated copy of text (caller frees) in
 * which every whole-word occurrence of a phrase of l has each word
 * character after the first of each word replaced by one '*' ("shit" ->
 * "s***"). A multi-byte letter becomes a single '*', so the result is
 * valid UTF-8 whenever text is and is never longer than text; all other
 * bytes are copied unchanged. Words merely containing a phrase
 * ("scunthorpe", "assessment") are untouched. *masked (if not NULL) gets
 * the number of occurrences masked. l may be NULL (nothing is masked);
 * text may be NULL only when len is 0. Never returns NULL.
 */
char *tf_mask(const struct tf_list *l, const char *text, size_t len, int *masked);

/*
 * Link allow-list: 1 if url may be posted without review, 0 if not.
 * Allowed: site-relative URLs ("/boards/…"); http(s) URLs and "www." URLs
 * whose host equals an entry of allowed_domains or is a subdomain of one
 * (entry "nhs.uk" allows "www.nhs.uk", not "evilnhs.uk" nor
 * "nhs.uk.evil.com"); mailto: URLs whose every address is at such a domain.
 * The host is taken after any userinfo ("https://nhs.uk@evil.com/" is
 * evil.com), lower-cased, without port or one trailing dot. IP literals
 * match only an identical entry. Scheme-relative ("//host"), backslash
 * and "http:host" forms are parsed as browsers do. Everything else —
 * other schemes, bare relative paths, hosts with '%' or non-ASCII, URLs
 * over TF_URL_MAX — is refused. allowed_domains may be NULL (no domain
 * allowed). Entries may be written "*.example.org" or ".example.org".
 */
int tf_link_allowed(const char *url, const struct tf_list *allowed_domains);

#endif
