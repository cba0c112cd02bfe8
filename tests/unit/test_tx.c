/*
 * test_tx.c — the transcript library: model rules, the canonical JSON and
 * its seal, the four writers agreeing with each other and escaping what
 * people typed, local times, and the research export's anonymisation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cmark.h>
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tx.h"
#include "tx_int.h"

/* 2024-05-14T00:00:00Z; Europe/London is on BST (+60) that day. */
#define BASE 1715644800000LL
#define T(h, m) (BASE + ((int64_t)(h)*60 + (m)) * 60000LL)

enum { FAC = 1, MAGGIE = 2, BOB = 3, ERASED = 4, CARLA = 5 };

#define MSG_HELLO "Hello everyone, it's been a hard week"
#define MSG_WALK "I found the walk helpful"
#define MSG_EVIL "Look: <script>alert(1)</script> [x](javascript:alert(1))"
#define MSG_ANNOUNCE "We will take a short break at half past"
#define MSG_UNICODE "Caf\xc3\xa9 with Zo\xc3\xab \xe2\x98\x95 \"quoted\" & done"

static struct tx_transcript *fixture(void)
{
	struct tx_transcript *t = tx_transcript_new();
	assert_non_null(t);
	t->session_id = 42;
	assert_int_equal(tx_set_group(t, 7, "Tuesday Carers"), 0);
	assert_int_equal(tx_set_zone(t, "Europe/London", 60), 0);
	t->scheduled_start_ms = T(18, 0);
	t->scheduled_end_ms = T(19, 0);
	t->opened_ms = T(17, 58);
	t->closed_ms = T(19, 10);

	assert_int_equal(tx_add_person(t, FAC, TX_ROLE_FACILITATOR, "Dr Asha Patel"), 0);
	assert_int_equal(tx_add_person(t, MAGGIE, TX_ROLE_MEMBER, "Margaret Hill"), 0);
	assert_int_equal(tx_add_person(t, BOB, TX_ROLE_MEMBER, "Bob Jones"), 0);
	assert_int_equal(tx_add_person(t, ERASED, TX_ROLE_MEMBER, NULL), 0);
	assert_int_equal(tx_add_person(t, CARLA, TX_ROLE_MEMBER, "Carla Diaz"), 0);

	assert_int_equal(tx_add_presence(t, FAC, T(17, 58), T(19, 10)), 0);
	assert_int_equal(tx_add_presence(t, MAGGIE, T(18, 0), T(18, 30)), 0);
	assert_int_equal(tx_add_presence(t, MAGGIE, T(18, 40), T(19, 10)), 0);
	assert_int_equal(tx_add_presence(t, BOB, T(18, 1), T(19, 10)), 0);
	assert_int_equal(tx_add_presence(t, ERASED, T(18, 2), T(18, 50)), 0);
	assert_int_equal(tx_add_presence(t, CARLA, T(18, 3), T(18, 20)), 0);

	assert_int_equal(tx_add_event(t, TX_ENTRY_OPENED, T(17, 58), FAC, 0), 0);
	assert_int_equal(tx_add_event(t, TX_ENTRY_JOINED, T(18, 0), MAGGIE, 0), 0);
	assert_int_equal(tx_add_event(t, TX_ENTRY_JOINED, T(18, 1), BOB, 0), 0);
	assert_int_equal(tx_add_event(t, TX_ENTRY_JOINED, T(18, 2), ERASED, 0), 0);
	assert_int_equal(tx_add_event(t, TX_ENTRY_JOINED, T(18, 3), CARLA, 0), 0);
	assert_int_equal(tx_add_message(t, 1, T(18, 4), MAGGIE, MSG_HELLO, false, false), 0);
	assert_int_equal(tx_add_message(t, 2, T(18, 5), BOB, NULL, false, false), 0);
	assert_int_equal(tx_add_message(t, 3, T(18, 6), ERASED, MSG_WALK, true, false), 0);
	assert_int_equal(tx_add_event(t, TX_ENTRY_HIGHLIGHT, T(18, 7), FAC, 3), 0);
	assert_int_equal(tx_add_message(t, 4, T(18, 8), BOB, MSG_EVIL, false, false), 0);
	assert_int_equal(tx_add_message(t, 5, T(18, 9), CARLA, MSG_UNICODE, false, false), 0);
	assert_int_equal(tx_add_event(t, TX_ENTRY_REMOVED, T(18, 20), CARLA, 0), 0);
	assert_int_equal(tx_add_message(t, 6, T(18, 25), FAC, MSG_ANNOUNCE, false, true), 0);
	assert_int_equal(tx_add_event(t, TX_ENTRY_LEFT, T(18, 30), MAGGIE, 0), 0);
	assert_int_equal(tx_add_event(t, TX_ENTRY_JOINED, T(18, 40), MAGGIE, 0), 0);
	assert_int_equal(tx_add_event(t, TX_ENTRY_LEFT, T(18, 50), ERASED, 0), 0);
	assert_int_equal(tx_add_event(t, TX_ENTRY_EXTENDED, T(18, 55), FAC, 10), 0);
	assert_int_equal(tx_add_event(t, TX_ENTRY_CLOSED, T(19, 10), FAC, 0), 0);
	assert_int_equal(tx_validate(t), 0);
	return t;
}

static char *render(const struct tx_transcript *t, enum tx_format fmt)
{
	char *out = NULL;
	size_t len = 0;
	assert_int_equal(tx_write(t, fmt, &out, &len), 0);
	assert_non_null(out);
	assert_int_equal(strlen(out), len);
	return out;
}

/* ---- reading the human formats back as the words a reader sees -------------------- */

/* HTML: drop the head and every tag, decode the five entities we emit. */
static char *html_words(const char *html)
{
	const char *s = strstr(html, "<body>");
	assert_non_null(s);
	char *out = malloc(strlen(s) + 1), *o = out;
	assert_non_null(out);
	static const struct {
		const char *ent, *ch;
	} ents[] = {{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}};
	while (*s) {
		if (*s == '<') {
			s = strchr(s, '>');
			assert_non_null(s);
			s++;
			continue;
		}
		size_t k = 0;
		for (; *s == '&' && k < sizeof(ents) / sizeof(ents[0]); k++)
			if (strncmp(s, ents[k].ent, strlen(ents[k].ent)) == 0)
				break;
		if (*s == '&') {
			assert_true(k < sizeof(ents) / sizeof(ents[0])); /* no other entity */
			*o++ = ents[k].ch[0];
			s += strlen(ents[k].ent);
			continue;
		}
		*o++ = *s++;
	}
	*o = '\0';
	return out;
}

/* Markdown: undo backslash escapes and hard breaks. */
static char *md_words(const char *md)
{
	char *out = malloc(strlen(md) + 1), *o = out;
	assert_non_null(out);
	for (const char *s = md; *s; s++) {
		if (*s == '\\' && s[1] && (ispunct((unsigned char)s[1]) || s[1] == '\n'))
			s++;
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

/* Every needle appears, in this order. */
static void assert_in_order(const char *hay, const char *const *needles, const char *what)
{
	const char *at = hay;
	for (size_t i = 0; needles[i]; i++) {
		const char *hit = strstr(at, needles[i]);
		if (!hit)
			fail_msg("%s: \"%s\" missing (or out of order)", what, needles[i]);
		at = hit + strlen(needles[i]);
	}
}

/* What every human format must say, in this order, for the fixture. */
static const char *const fixture_words[] = {
    "Tuesday Carers",
    "Tuesday 14 May 2024",
    "Europe/London (UTC+01:00)",
    "19:00\xe2\x80\x93"
    "20:00", /* scheduled, local */
    "18:58\xe2\x80\x93"
    "20:10", /* held */
    "Dr Asha Patel",
    "Dr Asha Patel (facilitator): 18:58\xe2\x80\x93"
    "20:10",
    "Margaret Hill (member): 19:00\xe2\x80\x93"
    "19:30, 19:40\xe2\x80\x93"
    "20:10",
    "Bob Jones (member): 19:01",
    "Former member (member): 19:02\xe2\x80\x93"
    "19:50",
    "Carla Diaz (member): 19:03",
    "18:58",
    "Session opened by Dr Asha Patel",
    "Margaret Hill joined",
    "Former member joined",
    "19:04",
    "Margaret Hill",
    MSG_HELLO,
    "19:05",
    "Bob Jones",
    TX_REDACTED_TEXT,
    "19:06",
    "\xe2\x98\x85 common thread",
    "Former member",
    MSG_WALK,
    "19:07",
    "Dr Asha Patel marked Former member\xe2\x80\x99s message \xe2\x80\x9c" MSG_WALK,
    "19:08",
    MSG_EVIL,
    MSG_UNICODE,
    "Carla Diaz was removed from the session by a facilitator",
    "19:25",
    "Announcement",
    "Dr Asha Patel (facilitator)",
    MSG_ANNOUNCE,
    "Margaret Hill left",
    "Margaret Hill joined",
    "Former member left",
    "Dr Asha Patel extended the session by 10 minutes",
    "20:10",
    "Session closed by Dr Asha Patel",
    NULL,
};

static void test_human_formats_agree(void **state)
{
	(void)state;
	struct tx_transcript *t = fixture();
	char *html = render(t, TX_HTML), *md = render(t, TX_MD), *txt = render(t, TX_TXT);
	char *hw = html_words(html), *mw = md_words(md);

	assert_in_order(hw, fixture_words, "html");
	assert_in_order(mw, fixture_words, "md");
	assert_in_order(txt, fixture_words, "txt");
	free(hw);
	free(mw);
	free(html);
	free(md);
	free(txt);
	tx_transcript_free(t);
}

/* The JSON carries the same entries, with the same substitutions. */
static void test_json_format_agrees(void **state)
{
	(void)state;
	struct tx_transcript *t = fixture();
	char *js = render(t, TX_JSON);
	json_error_t jerr;
	json_t *root = json_loads(js, 0, &jerr), *entries, *people, *e;
	size_t i;
	assert_non_null(root);

	assert_string_equal(json_string_value(json_object_get(root, "format")),
			    "hearth-transcript");
	assert_int_equal(json_integer_value(json_object_get(root, "version")), 1);
	people = json_object_get(root, "people");
	assert_int_equal(json_array_size(people), 5);
	json_t *erased = json_array_get(people, 3);
	assert_true(json_is_true(json_object_get(erased, "erased")));
	assert_string_equal(json_string_value(json_object_get(erased, "name")), TX_ERASED_NAME);

	entries = json_object_get(root, "entries");
	assert_int_equal(json_array_size(entries), t->n_entries);
	json_array_foreach(entries, i, e)
	{
		const struct tx_entry *m = &t->entries[i];
		if (m->type != TX_ENTRY_MESSAGE && m->type != TX_ENTRY_ANNOUNCEMENT)
			continue;
		assert_int_equal(json_integer_value(json_object_get(e, "seq")), m->seq);
		assert_int_equal(json_integer_value(json_object_get(e, "at")), m->at_ms);
		assert_int_equal(json_is_true(json_object_get(e, "redacted")), m->redacted);
		assert_string_equal(json_string_value(json_object_get(e, "text")),
				    m->text ? m->text : TX_REDACTED_TEXT);
	}
	assert_string_equal(json_string_value(json_object_get(json_array_get(entries, 7), "type")),
			    "message");
	assert_true(json_is_true(json_object_get(json_array_get(entries, 7), "highlighted")));
	assert_string_equal(json_string_value(json_object_get(json_array_get(entries, 12), "type")),
			    "announcement");
	/* UTF-8 is written as is, not as \u escapes. */
	assert_non_null(strstr(js, "Caf\xc3\xa9 with Zo\xc3\xab \xe2\x98\x95"));
	json_decref(root);
	free(js);
	tx_transcript_free(t);
}

/* Every format: every kept text, the redaction marker, the announcement, Former member. */
static void test_every_format_has_the_words(void **state)
{
	(void)state;
	struct tx_transcript *t = fixture();
	static const char *const words[] = {MSG_HELLO,	     MSG_WALK,	       MSG_ANNOUNCE,
					    "Former member", TX_REDACTED_TEXT, NULL};
	for (int f = TX_JSON; f <= TX_TXT; f++) {
		char *out = render(t, (enum tx_format)f);
		char *w = f == TX_HTML ? html_words(out) : f == TX_MD ? md_words(out) : strdup(out);
		for (size_t i = 0; words[i]; i++)
			if (!strstr(w, words[i]))
				fail_msg("format %d lacks \"%s\"", f, words[i]);
		free(w);
		free(out);
	}
	tx_transcript_free(t);
}

static void test_html_is_safe_and_self_contained(void **state)
{
	(void)state;
	struct tx_transcript *t = fixture();
	char *html = render(t, TX_HTML);
	assert_non_null(strstr(html, "<!DOCTYPE html>\n<html lang=\"en\">"));
	assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_non_null(strstr(html, "it&#39;s been"));
	assert_non_null(strstr(html, "&quot;quoted&quot; &amp; done"));
	assert_non_null(strstr(html, "@media print"));
	assert_non_null(strstr(html, "default-src 'none'"));
	/* No script of any kind, nothing fetched, nothing linked. */
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "src="));
	assert_null(strstr(html, "href"));
	assert_null(strstr(html, "url("));
	assert_null(strstr(html, "@import"));
	size_t n = strlen(html);
	assert_true(n > 8 && strcmp(html + n - 8, "</html>\n") == 0);
	free(html);
	tx_transcript_free(t);
}

static void test_markdown_neutralises_markup(void **state)
{
	(void)state;
	struct tx_transcript *t = fixture();
	char *md = render(t, TX_MD);
	assert_null(strstr(md, "[x](javascript:"));
	assert_non_null(strstr(md, "\\[x\\](javascript:alert(1))"));
	assert_non_null(strstr(md, "\\<script\\>"));
	assert_non_null(strstr(md, "\\&"));
	free(md);
	tx_transcript_free(t);
}

/* Block markup at the start of a line in a message, one case per row. */
static void test_markdown_line_starts(void **state)
{
	(void)state;
	static const struct {
		const char *text, *want;
	} cases[] = {
	    {"ok\n# big", "ok\\\n\\# big"},
	    {"ok\n> quoted", "ok\\\n\\> quoted"},
	    {"ok\n- item", "ok\\\n\\- item"},
	    {"ok\n+ item", "ok\\\n\\+ item"},
	    {"ok\n1. one", "ok\\\n1\\. one"},
	    {"ok\n12) twelve", "ok\\\n12\\) twelve"},
	    {"ok\n---", "ok\\\n\\---"},
	    {"ok\n===", "ok\\\n\\==="},
	    {"ok\n  ## indented", "ok\\\n  \\## indented"},
	    {"ok\n```code", "ok\\\n\\`\\`\\`code"},
	    {"![img](http://x/y.png)", "!\\[img\\](http://x/y.png)"},
	    {"**bold** _it_ ~~s~~ |t|", "\\*\\*bold\\*\\* \\_it\\_ \\~\\~s\\~\\~ \\|t\\|"},
	    {"<b>&amp;</b>", "\\<b\\>\\&amp;\\</b\\>"},
	    {"mid 3. not a list - no # no", "mid 3. not a list - no # no"},
	    {"back\\slash", "back\\\\slash"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tx_transcript *t = fixture();
		free(t->entries[5].text);
		t->entries[5].text = strdup(cases[i].text);
		char *md = render(t, TX_MD);
		if (!strstr(md, cases[i].want))
			fail_msg("case %zu: \"%s\" not in output", i, cases[i].want);
		free(md);
		tx_transcript_free(t);
	}
}

/*
 * What a CommonMark renderer makes of a message must be the characters
 * typed and nothing else: the message paragraph, rendered by cmark, equals
 * the text HTML-escaped with line ends as <br />. Any link, image, tag,
 * emphasis, code span, heading, list or quote would break the equality.
 */
static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static char *expected_paragraph(const char *text)
{
	size_t n = strlen(text);
	char *out = malloc(n * 8 + 1), *o = out;
	int line_start = 0;
	if (!out)
		fail();
	for (const char *s = text; *s; s++) {
		/* CommonMark drops the indentation of a paragraph's continuation lines. */
		if (line_start && (*s == ' ' || *s == '\t'))
			continue;
		line_start = 0;
		switch (*s) {
		case '&':
			o += sprintf(o, "&amp;");
			break;
		case '<':
			o += sprintf(o, "&lt;");
			break;
		case '>':
			o += sprintf(o, "&gt;");
			break;
		case '"':
			o += sprintf(o, "&quot;");
			break;
		case '\n':
			o += sprintf(o, "<br />\n");
			line_start = 1;
			break;
		default:
			*o++ = *s;
		}
	}
	*o = '\0';
	return out;
}

static void test_markdown_renders_as_typed(void **state)
{
	(void)state;
	static const char *const texts[] = {
	    MSG_EVIL,
	    "<http://evil.example/> and <a href=\"x\">a</a> <!-- c --> &amp; &#60;",
	    "*em* **strong** _u_ __uu__ `code` ~~del~~ \\* \\_",
	    "![img](http://x/y.png) [ref] [ref][] [a]: http://x",
	    "line one\n# heading\n## two\n> quote\n- item\n* item\n+ item\n1. one\n2) two",
	    "text\n---\nmore\n===\n***\n___\n- - -",
	    "fence\n```\ncode\n```\n~~~\nmore",
	    "html\n<div>block</div>\n<script>x</script>\n<!-- c -->",
	    "[x]\n\n[x]: javascript:alert(1)",
	    "table\n| a | b |\n|---|---|\n| 1 | 2 |",
	    "ends with backslash\\\nnext",
	    "indented\n    code?\n\tcode?",
	    "blank\n\n\n> after blank lines",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct tx_transcript *t = fixture();
		free(t->entries[5].text);
		t->entries[5].text = strdup(texts[i]);
		char *md = render(t, TX_MD);
		char *html = cmark_markdown_to_html(md, strlen(md), CMARK_OPT_DEFAULT);
		char *want = expected_paragraph(texts[i]);
		size_t cap = strlen(want) + 64;
		char *para = malloc(cap);
		assert_non_null(para);
		snprintf(para, cap, "<strong>Margaret Hill:</strong> %s</p>\n", want);
		if (!strstr(html, para))
			fail_msg("case %zu: wanted\n%s\nin\n%s", i, para, html);
		/* The document keeps exactly its own structure. */
		assert_null(strstr(html, "<a "));
		assert_null(strstr(html, "<img"));
		assert_null(strstr(html, "<blockquote"));
		assert_null(strstr(html, "<pre"));
		assert_null(strstr(html, "<code"));
		assert_null(strstr(html, "raw HTML"));
		assert_int_equal(count(html, "<h1>"), 1);
		assert_int_equal(count(html, "<h2>"), 2);
		assert_int_equal(count(html, "<h3>"), 0);
		assert_int_equal(count(html, "<hr />"), 1);
		assert_int_equal(count(html, "<ul>"), 2);
		assert_int_equal(count(html, "<ol"), 0);
		free(para);
		free(want);
		free(html);
		free(md);
		tx_transcript_free(t);
	}
}

/* Control characters (terminal escapes) never reach a human format. */
static void test_control_characters_replaced(void **state)
{
	(void)state;
	struct tx_transcript *t = fixture();
	free(t->entries[5].text);
	t->entries[5].text = strdup("red \x1b[31mALERT\x1b[0m bell\x07 line\r\nnext");
	for (int f = TX_MD; f <= TX_TXT; f++) {
		char *out = render(t, (enum tx_format)f);
		assert_null(strchr(out, 0x1b));
		assert_null(strchr(out, 0x07));
		assert_null(strchr(out, '\r'));
		assert_non_null(
		    strstr(out, f == TX_MD ? "\xef\xbf\xbd\\[31mALERT" : "\xef\xbf\xbd[31mALERT"));
		free(out);
	}
	tx_transcript_free(t);
}

/* ---- canonical JSON and the seal ------------------------------------------------------- */

static void test_canonical_is_stable_and_round_trips(void **state)
{
	(void)state;
	struct tx_transcript *t = fixture(), *back = NULL;
	char *a, *b, *c;
	size_t na, nb, nc;
	assert_int_equal(tx_set_contact(t, MAGGIE, "maggie_h", "m@example.com", true), 0);
	assert_int_equal(tx_to_json_canonical(t, &a, &na), 0);
	assert_int_equal(tx_to_json_canonical(t, &b, &nb), 0);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);

	/* Sorted keys, compact, no research-only field. */
	static const char head[] = "{\"attendance\":[{\"intervals\":[{\"from\":";
	assert_memory_equal(a, head, strlen(head));
	assert_non_null(strstr(a, "\"format\":\"hearth-transcript\",\"group\":{\"id\":7,"));
	assert_true(strcmp(a + na - 13, ",\"version\":1}") == 0);
	assert_null(strstr(a, "\n"));
	assert_null(strstr(a, "maggie_h"));
	assert_null(strstr(a, "m@example.com"));
	assert_null(strstr(a, "consent"));

	assert_int_equal(tx_from_json(a, na, &back), 0);
	assert_int_equal(tx_to_json_canonical(back, &c, &nc), 0);
	assert_int_equal(na, nc);
	assert_memory_equal(a, c, na);
	assert_int_equal(back->n_entries, t->n_entries);
	assert_true(tx_find_person(back, ERASED)->erased);
	assert_null(tx_find_person(back, ERASED)->name);

	/* And the parsed model renders the same document as the original. */
	for (int f = TX_MD; f <= TX_TXT; f++) {
		char *x = render(t, (enum tx_format)f), *y = render(back, (enum tx_format)f);
		assert_string_equal(x, y);
		free(x);
		free(y);
	}
	free(a);
	free(b);
	free(c);
	tx_transcript_free(back);
	tx_transcript_free(t);
}

static void test_seal_detects_tampering(void **state)
{
	(void)state;
	struct tx_transcript *t = fixture();
	char *canon, hex[65];
	size_t n;
	assert_int_equal(tx_to_json_canonical(t, &canon, &n), 0);
	assert_int_equal(tx_seal(canon, n, hex), 0);
	assert_int_equal(strlen(hex), 64);
	assert_int_equal(tx_verify(canon, n, hex), 0);

	/* Upper-case hex is the same seal. */
	char upper[65];
	for (size_t i = 0; i < 65; i++)
		upper[i] = (char)(hex[i] >= 'a' && hex[i] <= 'f' ? hex[i] - 32 : hex[i]);
	assert_int_equal(tx_verify(canon, n, upper), 0);

	/* Any one byte changed, anywhere, is caught. */
	for (size_t i = 0; i < n; i += 13) {
		canon[i] ^= 0x01;
		assert_int_equal(tx_verify(canon, n, hex), TX_ESEAL);
		canon[i] ^= 0x01;
	}
	assert_int_equal(tx_verify(canon, n - 1, hex), TX_ESEAL);
	hex[63] = hex[63] == '0' ? '1' : '0';
	assert_int_equal(tx_verify(canon, n, hex), TX_ESEAL);
	hex[63] = '\0';
	assert_int_equal(tx_verify(canon, n, hex), TX_ESEAL);
	assert_int_equal(tx_verify(canon, n, "zz"), TX_ESEAL);

	/* A known vector: SHA-256("abc"). */
	assert_int_equal(tx_seal("abc", 3, hex), 0);
	assert_string_equal(hex,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	free(canon);
	tx_transcript_free(t);
}

/* Replace the first `from` in s by `to` (fails the test if absent). */
static char *edit(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	if (!at)
		fail_msg("\"%s\" not found", from);
	size_t n = strlen(s) - strlen(from) + strlen(to);
	char *out = malloc(n + 1);
	assert_non_null(out);
	size_t head = (size_t)(at - s);
	memcpy(out, s, head);
	strcpy(out + head, to);
	strcat(out, at + strlen(from));
	return out;
}

static void test_from_json_rejects(void **state)
{
	(void)state;
	static const struct {
		const char *from, *to;
		int want;
	} cases[] = {
	    {"\"version\":1", "\"version\":2", TX_EPARSE},
	    {"\"format\":\"hearth-transcript\"", "\"format\":\"other\"", TX_EPARSE},
	    {"{\"attendance\"", "{\"extra\":1,\"attendance\"", TX_EPARSE},
	    {"{\"attendance\"", "{\"version\":1,\"attendance\"", TX_EPARSE}, /* duplicate */
	    {"\"offset_min\":60", "\"offset_min\":60.0", TX_EPARSE},
	    {"\"offset_min\":60", "\"offset_min\":6000", TX_EPARSE},
	    {"\"offset_min\":60", "\"offset_min\":\"60\"", TX_EPARSE},
	    {"\"erased\":true,\"id\":4,\"name\":\"Former member\"",
	     "\"erased\":true,\"id\":4,\"name\":\"Jane Doe\"", TX_EPARSE},
	    {"\"erased\":false,\"id\":3,", "\"erased\":false,\"id\":2,", TX_EPARSE},
	    {"\"seq\":3,\"type\":\"highlight\"", "\"seq\":99,\"type\":\"highlight\"",
	     TX_EPARSE}, /* highlight of nothing */
	    {"\"redacted\":true,\"seq\":2,\"text\":\"[removed by facilitator]\"",
	     "\"redacted\":true,\"seq\":2,\"text\":\"the real words\"", TX_EPARSE},
	    {"\"redacted\":true,\"seq\":2,\"text\":\"[removed by facilitator]\"",
	     "\"redacted\":true,\"seq\":2", TX_EPARSE},
	    {"\"author\":2,", "\"author\":9,", TX_EPARSE},
	    {"\"seq\":4,", "\"seq\":1,", TX_EPARSE},
	    {"\"role\":\"member\"", "\"role\":\"manager\"", TX_EPARSE},
	    {"\"type\":\"left\"", "\"type\":\"vanished\"", TX_EPARSE},
	    {"\"minutes\":10", "\"minutes\":600", TX_EPARSE},
	    {"\"scheduled\":{", "\"scheduled\":[],\"x\":{", TX_EPARSE},
	    {"{\"attendance\":[", "{\"attendance\":[1,", TX_EPARSE},
	    {"\"entries\":[", "\"entries\":{},\"y\":[", TX_EPARSE},
	};
	struct tx_transcript *t = fixture(), *out = NULL;
	char *canon;
	size_t n;
	assert_int_equal(tx_to_json_canonical(t, &canon, &n), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *bad = edit(canon, cases[i].from, cases[i].to);
		int err = tx_from_json(bad, strlen(bad), &out);
		if (err != cases[i].want)
			fail_msg("case %zu: got %d (%s)", i, err, tx_strerror(err));
		assert_null(out);
		free(bad);
	}
	assert_int_equal(tx_from_json(canon, n - 1, &out), TX_EPARSE);
	assert_int_equal(tx_from_json("", 0, &out), TX_EPARSE);
	assert_int_equal(tx_from_json("[]", 2, &out), TX_EPARSE);
	assert_int_equal(tx_from_json("{}", 2, &out), TX_EPARSE);
	assert_null(out);
	free(canon);
	tx_transcript_free(t);
}

/* The model's rules: a bad model gives an error and no output. */
static void test_validate_rejects(void **state)
{
	(void)state;
	enum {
		AUTHOR,
		SEQ_DOWN,
		REDACT_TEXT,
		HIGHLIGHT,
		ERASED_NAME,
		CLOSED,
		TZ,
		EMPTY_TEXT,
		ATTEND,
		BAD_UTF8,
		N
	};
	for (int c = 0; c < N; c++) {
		struct tx_transcript *t = fixture();
		switch (c) {
		case AUTHOR:
			t->entries[5].user_id = 77;
			break;
		case SEQ_DOWN:
			t->entries[6].seq = 1;
			break;
		case REDACT_TEXT:
			t->entries[6].redacted = false;
			break;
		case HIGHLIGHT:
			t->entries[8].seq = 50;
			break;
		case ERASED_NAME:
			tx_find_person(t, ERASED)->name = strdup("Old Name");
			break;
		case CLOSED:
			t->closed_ms = t->opened_ms - 1;
			break;
		case TZ:
			t->tz_offset_min = 24 * 60;
			break;
		case EMPTY_TEXT:
			t->entries[5].text[0] = '\0';
			break;
		case ATTEND:
			t->attendance[1].intervals[1].from_ms = T(18, 10);
			break;
		case BAD_UTF8:
			t->entries[5].text[0] = (char)0xEF;
			t->entries[5].text[1] = '(';
			break;
		}
		char *out = (char *)"untouched";
		size_t len = 123;
		assert_int_equal(tx_validate(t), TX_EINVAL);
		for (int f = TX_JSON; f <= TX_TXT; f++)
			assert_int_equal(tx_write(t, (enum tx_format)f, &out, &len), TX_EINVAL);
		assert_string_equal(out, "untouched");
		assert_int_equal(len, 123);
		tx_transcript_free(t);
	}
	struct tx_transcript *t = fixture();
	assert_int_equal(tx_add_person(t, MAGGIE, TX_ROLE_MEMBER, "Again"), TX_EINVAL);
	assert_int_equal(tx_add_event(t, TX_ENTRY_MESSAGE, T(18, 0), MAGGIE, 0), TX_EINVAL);
	tx_transcript_free(t);
}

static void test_erase_after_seal(void **state)
{
	(void)state;
	struct tx_transcript *t = fixture();
	assert_int_equal(tx_erase_person(t, MAGGIE), 0);
	for (int f = TX_JSON; f <= TX_TXT; f++) {
		char *out = render(t, (enum tx_format)f);
		assert_null(strstr(out, "Margaret"));
		assert_null(strstr(out, "Hill"));
		free(out);
	}
	assert_int_equal(tx_erase_person(t, 99), TX_EINVAL);
	tx_transcript_free(t);
}

/* ---- time zones ---------------------------------------------------------------------------- */

static void test_local_times(void **state)
{
	(void)state;
	static const struct {
		int64_t utc;
		int offset;
		const char *hhmm, *date, *zone;
	} cases[] = {
	    {T(18, 0), 60, "19:00", "Tuesday 14 May 2024", "UTC+01:00"},
	    {T(18, 0), 0, "18:00", "Tuesday 14 May 2024", "UTC+00:00"},
	    {T(18, 0), -300, "13:00", "Tuesday 14 May 2024", "UTC-05:00"},
	    {T(18, 0), 330, "23:30", "Tuesday 14 May 2024", "UTC+05:30"},
	    {T(18, 0), 345, "23:45", "Tuesday 14 May 2024", "UTC+05:45"},
	    {T(23, 30), 60, "00:30", "Wednesday 15 May 2024", "UTC+01:00"},
	    {T(0, 30), -60, "23:30", "Monday 13 May 2024", "UTC-01:00"},
	    {T(18, 0) + 59999, 60, "19:00", "Tuesday 14 May 2024", "UTC+01:00"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char hhmm[6], date[40], zone[16];
		tx__fmt_hhmm(cases[i].utc, cases[i].offset, hhmm);
		tx__fmt_date(cases[i].utc, cases[i].offset, date);
		tx__fmt_offset(cases[i].offset, zone);
		assert_string_equal(hhmm, cases[i].hhmm);
		assert_string_equal(date, cases[i].date);
		assert_string_equal(zone, cases[i].zone);
	}
	char utc[24];
	tx__fmt_utc(T(18, 2) + 5000, utc);
	assert_string_equal(utc, "2024-05-14T18:02:05Z");
}

/* A session that runs past local midnight shows the new date once. */
static void test_midnight_in_the_session(void **state)
{
	(void)state;
	struct tx_transcript *t = tx_transcript_new();
	t->session_id = 1;
	tx_set_group(t, 1, "Late group");
	tx_set_zone(t, "America/New_York", -240);
	t->opened_ms = T(3, 30); /* 23:30 on the 13th in New York */
	t->closed_ms = T(4, 30);
	tx_add_person(t, 1, TX_ROLE_MEMBER, "Nia");
	tx_add_presence(t, 1, T(3, 30), T(4, 30));
	tx_add_message(t, 1, T(3, 45), 1, "before midnight", false, false);
	tx_add_message(t, 2, T(4, 15), 1, "after midnight", false, false);
	char *txt = render(t, TX_TXT);
	static const char *const order[] = {
	    "Monday 13 May 2024", "23:45", "before midnight", "Tuesday 14 May 2024", "00:15",
	    "after midnight",	  NULL};
	assert_in_order(txt, order, "txt");
	assert_non_null(strstr(txt, "ad hoc session"));
	free(txt);
	tx_transcript_free(t);
}

/* ---- scrubber ------------------------------------------------------------------------------ */

static void test_scrub_cases(void **state)
{
	(void)state;
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"Margaret Hill said so", "[name] said so"},
	    {"margaret's idea", "[name]'s idea"},
	    {"MARGARET!", "[name]!"},
	    {"thanks, hill.", "thanks, [name]."},
	    {"Hillside walk", "Hillside walk"},
	    {"Jo came", "Jo came"},
	    {"Jo Li came", "[name] came"},
	    {"Li and Jo", "Li and Jo"},
	    {"ask Se\xc3\xa1n", "ask [name]"},
	    {"ask SE\xc3\x81N", "ask [name]"},
	    {"o'brien and Brien", "[name] and [name]"},
	    {"zo\xc3\xab\xe2\x80\x99s book", "[name]\xe2\x80\x99s book"},
	    {"ZO\xc3\x8b", "[name]"},
	    {"@maggie_h hi", "@[name] hi"},
	    {"maggie_hx", "maggie_hx"},
	    {"call 0161 496 0000.", "call [phone]."},
	    {"+44 (0)20 7946 0018", "[phone]"},
	    {"(07700 900123)", "([phone])"},
	    {"(020) 7946-0018 ok", "[phone] ok"},
	    {"07700900123", "[phone]"},
	    {"+44 7700 900123", "[phone]"},
	    {"555.123.4567", "[phone]"},
	    {"in 2019 I had 3 kids, 12 34 56", "in 2019 I had 3 kids, 12 34 56"},
	    {"at 10:30, version 1.2.3.4", "at 10:30, version 1.2.3.4"},
	    {"a.b-c@mail.example.co.uk, ok", "[email], ok"},
	    {"Mail: Someone+tag@Example.ORG.", "Mail: [email]."},
	    {"mailto:anna@example.com", "mailto:[email]"},
	    {"not@an-email", "not@an-email"},
	    {"see https://example.org/x?q=1.", "see [link]."},
	    {"HTTP://EXAMPLE.ORG", "[link]"},
	    {"(www.example.com/path)", "([link])"},
	    {"ftp://files.example.net/a b", "[link] b"},
	    {"wwwx.example", "wwwx.example"},
	    {"Margaret on 07700900123 at margaret@example.com via https://x.io",
	     "[name] on [phone] at [email] via [link]"},
	    {"", ""},
	};
	struct tx__terms *tm = tx__terms_new();
	assert_non_null(tm);
	assert_int_equal(tx__terms_add_name(tm, "Margaret Hill"), 0);
	assert_int_equal(tx__terms_add_name(tm, "Jo Li"), 0);
	assert_int_equal(tx__terms_add_name(tm, "Se\xc3\xa1n O'Brien"), 0);
	assert_int_equal(tx__terms_add_name(tm, "Zo\xc3\xab"), 0);
	assert_int_equal(tx__terms_add_token(tm, "maggie_h"), 0);
	tx__terms_done(tm);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tx__buf b = {0};
		char *out;
		size_t n;
		tx__scrub(tm, cases[i].in, strlen(cases[i].in), &b);
		assert_int_equal(tx__buf_finish(&b, &out, &n), 0);
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("case %zu: \"%s\" -> \"%s\", want \"%s\"", i, cases[i].in, out,
				 cases[i].want);
		free(out);
	}
	tx__terms_free(tm);
}

/* ---- research export ---------------------------------------------------------------------- */

#define R_CONSENTING_WORDS "the garden helps me breathe again"
#define R_PRIVATE "my private words about the hospital"

static void add_contacts(struct tx_transcript *t)
{
	assert_int_equal(tx_set_contact(t, FAC, "apatel", "asha.patel@nhs.example.org", true), 0);
	assert_int_equal(tx_set_contact(t, MAGGIE, "maggie_h", "margaret.hill@example.com", true),
			 0);
	assert_int_equal(tx_set_contact(t, BOB, "bobj", "bob@example.net", false), 0);
	assert_int_equal(tx_set_contact(t, CARLA, "carla_d", "carla.d@example.com", true), 0);
}

static struct tx_transcript *research_fixture(void)
{
	struct tx_transcript *t = fixture();
	add_contacts(t);
	/* Margaret's words mention everyone in every way there is. */
	free(t->entries[5].text);
	t->entries[5].text =
	    strdup("Thanks Asha, " R_CONSENTING_WORDS ". Call me on +44 7700 900123 or (020) "
		   "7946-0018 or 07700900123, mail margaret.hill@example.com or write to "
		   "BOB@example.net, see https://example.org/page?id=3 and www.example.com. Bob "
		   "said hi, and @maggie_h too; carla_d agrees with bobj and APATEL. Mrs Hill, "
		   "Jones and Diaz came. Write to asha.patel@nhs.example.org");
	/* Bob did not consent. */
	free(t->entries[9].text);
	t->entries[9].text = strdup(R_PRIVATE);
	return t;
}

static char *research(const struct tx_transcript *t, struct tx_pseudonyms *ps)
{
	struct tx_research_opts o = {.pseudonyms = ps};
	char *out = NULL;
	size_t len;
	assert_int_equal(tx_research_line(t, &o, &out, &len), 0);
	assert_int_equal(strlen(out), len);
	assert_true(len > 0 && out[len - 1] == '\n');
	assert_null(memchr(out, '\n', len - 1)); /* one line */
	return out;
}

static void test_research_leaks_nothing(void **state)
{
	(void)state;
	static const char *const secrets[] = {
	    "Margaret",
	    "Hill",
	    "maggie_h",
	    "margaret.hill@example.com",
	    "Bob",
	    "Jones",
	    "bobj",
	    "bob@example.net",
	    "Asha",
	    "Patel",
	    "apatel",
	    "asha.patel@nhs.example.org",
	    "Carla",
	    "Diaz",
	    "carla_d",
	    "carla.d@example.com",
	    "7700",
	    "900123",
	    "7946",
	    "0018",
	    "07700900123",
	    "example.org",
	    "example.com",
	    "example.net",
	    "https://",
	    "www.",
	    "Tuesday Carers",
	    "Carers",
	    "Europe/London",
	    R_PRIVATE,
	    "\"at\"",
	    "\"group\"",
	    "Former member",
	    "1715",
	    NULL,
	};
	struct tx_transcript *t = research_fixture();
	struct tx_pseudonyms *ps = tx_pseudonyms_new();
	char *line = research(t, ps);
	for (size_t i = 0; secrets[i]; i++)
		if (strcasestr(line, secrets[i]))
			fail_msg("research line contains \"%s\": %s", secrets[i], line);
	/* The consenting members' own words survive, and the placeholders say what went. */
	assert_non_null(strstr(line, R_CONSENTING_WORDS));
	assert_non_null(strstr(line, "Call me on [phone] or [phone] or [phone], mail [email]"));
	assert_non_null(strstr(line, "see [link] and [link]."));
	assert_null(strstr(line, MSG_WALK)); /* erased: omitted */
	assert_non_null(strstr(line, "Caf\xc3\xa9 with Zo\xc3\xab \xe2\x98\x95")); /* consented */
	assert_non_null(strstr(line, MSG_ANNOUNCE));
	tx_pseudonyms_free(ps);
	free(line);
	tx_transcript_free(t);
}

static void test_research_omits_non_consenting(void **state)
{
	(void)state;
	struct tx_transcript *t = research_fixture();
	struct tx_pseudonyms *ps = tx_pseudonyms_new();
	/* A stale consent flag on an erased account does not bring its words back. */
	tx_find_person(t, ERASED)->research_consent = true;
	char *line = research(t, ps);
	json_error_t jerr;
	json_t *root = json_loads(line, 0, &jerr), *e;
	size_t i, omitted = 0, kept = 0;
	assert_non_null(root);
	assert_string_equal(json_string_value(json_object_get(root, "format")), "hearth-research");
	assert_int_equal(json_integer_value(json_object_get(root, "session")), 1);
	/* Bob and the erased member. */
	assert_int_equal(json_integer_value(json_object_get(root, "omitted_participants")), 2);
	assert_int_equal(json_array_size(json_object_get(root, "participants")), 3);
	json_array_foreach(json_object_get(root, "entries"), i, e)
	{
		if (json_object_get(e, "omitted")) {
			/* Nothing but the fact and its place. */
			assert_true(json_is_true(json_object_get(e, "omitted")));
			assert_int_equal(json_object_size(e), 2);
			int64_t seq = json_integer_value(json_object_get(e, "seq"));
			assert_true(seq == 2 || seq == 3 || seq == 4);
			omitted++;
		} else if (json_object_get(e, "text")) {
			kept++;
			assert_non_null(json_object_get(e, "by"));
		}
		/* No join or leave of someone who did not consent. */
		const char *by = json_string_value(json_object_get(e, "by"));
		if (json_object_get(e, "type") && !json_object_get(e, "seq") && by == NULL) {
			const char *type = json_string_value(json_object_get(e, "type"));
			assert_true(strcmp(type, "joined") != 0 && strcmp(type, "left") != 0);
		}
	}
	assert_int_equal(omitted, 3);
	assert_int_equal(kept, 3); /* Margaret, Carla, the announcement */
	json_decref(root);
	free(line);
	tx_pseudonyms_free(ps);
	tx_transcript_free(t);
}

/* The label of the author of message seq in a research line. */
static char *author_of(const char *line, int64_t seq)
{
	json_error_t jerr;
	json_t *root = json_loads(line, 0, &jerr), *e;
	size_t i;
	char *by = NULL;
	assert_non_null(root);
	json_array_foreach(json_object_get(root, "entries"), i, e)
	{
		const char *type = json_string_value(json_object_get(e, "type"));
		if (json_integer_value(json_object_get(e, "seq")) == seq &&
		    json_object_get(e, "by") && type && strcmp(type, "highlight") != 0)
			by = strdup(json_string_value(json_object_get(e, "by")));
	}
	json_decref(root);
	assert_non_null(by);
	return by;
}

static void test_research_pseudonyms_stable(void **state)
{
	(void)state;
	struct tx_transcript *a = research_fixture();
	/* A second session where Carla speaks first and Margaret second. */
	struct tx_transcript *b = tx_transcript_new();
	b->session_id = 43;
	tx_set_group(b, 7, "Tuesday Carers");
	tx_set_zone(b, "Europe/London", 60);
	b->opened_ms = T(18, 0) + 7 * 86400000LL;
	b->closed_ms = b->opened_ms + 3600000;
	tx_add_person(b, CARLA, TX_ROLE_MEMBER, "Carla Diaz");
	tx_add_person(b, MAGGIE, TX_ROLE_MEMBER, "Margaret Hill");
	tx_add_person(b, 9, TX_ROLE_MEMBER, "Nia Brown");
	tx_add_person(b, 10, TX_ROLE_FACILITATOR, "Dr Tom Reed");
	tx_set_contact(b, CARLA, "carla_d", NULL, true);
	tx_set_contact(b, MAGGIE, "maggie_h", NULL, true);
	tx_set_contact(b, 9, "nia", NULL, true);
	tx_set_contact(b, 10, "treed", NULL, true);
	tx_add_message(b, 1, b->opened_ms + 1000, CARLA, "first", false, false);
	tx_add_message(b, 2, b->opened_ms + 2000, 9, "second, Margaret", false, false);
	tx_add_message(b, 3, b->opened_ms + 3000, MAGGIE, "third", false, false);
	tx_add_message(b, 4, b->opened_ms + 4000, 10, "welcome", false, true);

	struct tx_pseudonyms *ps = tx_pseudonyms_new();
	char *la = research(a, ps), *lb = research(b, ps);
	char *maggie_a = author_of(la, 1), *carla_a = author_of(la, 5), *fac_a = author_of(la, 6);
	char *carla_b = author_of(lb, 1), *nia_b = author_of(lb, 2), *maggie_b = author_of(lb, 3),
	     *fac_b = author_of(lb, 4);
	assert_string_equal(maggie_a, "Member A");
	assert_string_equal(carla_a, "Member B");
	assert_string_equal(fac_a, "Facilitator 1");
	assert_string_equal(maggie_b, maggie_a);
	assert_string_equal(carla_b, carla_a);
	assert_string_equal(nia_b, "Member C");
	assert_string_equal(fac_b, "Facilitator 2");
	assert_non_null(strstr(lb, "\"session\":2"));
	assert_non_null(strstr(lb, "second, [name]"));

	free(maggie_a);
	free(carla_a);
	free(fac_a);
	free(carla_b);
	free(nia_b);
	free(maggie_b);
	free(fac_b);
	free(la);
	free(lb);
	tx_pseudonyms_free(ps);
	tx_transcript_free(a);
	tx_transcript_free(b);
}

/* Member labels go A … Z, AA, AB …; a line that cannot be written uses nothing up. */
static void test_research_labels_and_empty(void **state)
{
	(void)state;
	struct tx_transcript *t = tx_transcript_new();
	t->session_id = 1;
	tx_set_group(t, 1, "Big");
	tx_set_zone(t, "UTC", 0);
	t->opened_ms = T(10, 0);
	t->closed_ms = T(11, 0);
	for (int i = 1; i <= 28; i++) {
		char name[32];
		snprintf(name, sizeof(name), "Person%d", i);
		tx_add_person(t, i, TX_ROLE_MEMBER, name);
		tx_set_contact(t, i, NULL, NULL, true);
		tx_add_message(t, i, T(10, i), i, "hello", false, false);
	}
	tx_add_person(t, 99, TX_ROLE_MEMBER, "Quiet One");
	tx_add_message(t, 29, T(10, 50), 99, "not for research", false, false);

	struct tx_pseudonyms *ps = tx_pseudonyms_new();
	/*
	 * Carla consented and is in the room, but the one message under her
	 * name is given to Bob: no consenting words, so no line, and the
	 * pseudonym she was about to get is given back.
	 */
	struct tx_transcript *none = fixture();
	tx_set_contact(none, CARLA, "carla_d", NULL, true);
	none->entries[10].user_id = BOB;
	struct tx_research_opts o = {.pseudonyms = ps};
	char *out = (char *)"untouched";
	size_t len = 0;
	assert_int_equal(tx_research_line(none, &o, &out, &len), TX_EEMPTY);
	assert_string_equal(out, "untouched");

	char *line = research(t, ps);
	char *first = author_of(line, 1), *z = author_of(line, 26), *aa = author_of(line, 27),
	     *ab = author_of(line, 28);
	assert_string_equal(first, "Member A");
	assert_string_equal(z, "Member Z");
	assert_string_equal(aa, "Member AA");
	assert_string_equal(ab, "Member AB");
	assert_non_null(strstr(line, "\"session\":1"));
	assert_null(strstr(line, "not for research"));
	assert_null(strstr(line, "Person"));
	free(first);
	free(z);
	free(aa);
	free(ab);
	free(line);
	tx_pseudonyms_free(ps);
	tx_transcript_free(none);
	tx_transcript_free(t);
}

static void test_research_extra_names(void **state)
{
	(void)state;
	struct tx_transcript *t = research_fixture();
	free(t->entries[5].text);
	t->entries[5].text = strdup("I miss Eleanor Voss from the spring group");
	const char *const extra[] = {"Eleanor Voss", NULL};
	struct tx_pseudonyms *ps = tx_pseudonyms_new();
	struct tx_research_opts o = {.pseudonyms = ps, .extra_names = extra};
	char *out;
	size_t len;
	assert_int_equal(tx_research_line(t, &o, &out, &len), 0);
	assert_null(strstr(out, "Eleanor"));
	assert_null(strstr(out, "Voss"));
	assert_non_null(strstr(out, "I miss [name] from the spring group"));
	free(out);
	o.pseudonyms = NULL;
	assert_int_equal(tx_research_line(t, &o, &out, &len), TX_EINVAL);
	tx_pseudonyms_free(ps);
	tx_transcript_free(t);
}

static void test_formats_and_errors(void **state)
{
	(void)state;
	assert_int_equal(tx_format_parse("json"), TX_JSON);
	assert_int_equal(tx_format_parse("md"), TX_MD);
	assert_int_equal(tx_format_parse("html"), TX_HTML);
	assert_int_equal(tx_format_parse("txt"), TX_TXT);
	assert_int_equal(tx_format_parse("pdf"), -1);
	assert_int_equal(tx_format_parse(NULL), -1);
	assert_string_equal(tx_format_ext(TX_HTML), "html");
	assert_string_equal(tx_format_mime(TX_JSON), "application/json");
	for (int e = TX_EEMPTY; e <= TX_OK; e++)
		assert_string_not_equal(tx_strerror(e), "unknown error");
	assert_string_equal(tx_strerror(-99), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_human_formats_agree),
	    cmocka_unit_test(test_json_format_agrees),
	    cmocka_unit_test(test_every_format_has_the_words),
	    cmocka_unit_test(test_html_is_safe_and_self_contained),
	    cmocka_unit_test(test_markdown_neutralises_markup),
	    cmocka_unit_test(test_markdown_line_starts),
	    cmocka_unit_test(test_markdown_renders_as_typed),
	    cmocka_unit_test(test_control_characters_replaced),
	    cmocka_unit_test(test_canonical_is_stable_and_round_trips),
	    cmocka_unit_test(test_seal_detects_tampering),
	    cmocka_unit_test(test_from_json_rejects),
	    cmocka_unit_test(test_validate_rejects),
	    cmocka_unit_test(test_erase_after_seal),
	    cmocka_unit_test(test_local_times),
	    cmocka_unit_test(test_midnight_in_the_session),
	    cmocka_unit_test(test_scrub_cases),
	    cmocka_unit_test(test_research_leaks_nothing),
	    cmocka_unit_test(test_research_omits_non_consenting),
	    cmocka_unit_test(test_research_pseudonyms_stable),
	    cmocka_unit_test(test_research_labels_and_empty),
	    cmocka_unit_test(test_research_extra_names),
	    cmocka_unit_test(test_formats_and_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
