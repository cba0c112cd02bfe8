/*
 * test_textfilter.c — crisis phrases, profanity masking and the link
 * allow-list (server/textfilter.c), mostly as tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "textfilter.h"
#include "util.h"

static struct tf_list *defaults(const char *const *(*get)(size_t *))
{
	size_t n;
	const char *const *v = get(&n);
	struct tf_list *l = tf_list_new(v, n);

	assert_non_null(l);
	assert_int_equal(tf_list_count(l), n);
	return l;
}

/* ---- lists ---- */

static void test_list_parse(void **state)
{
	static const char text[] = " kill myself, end my life\r\n# a comment, not a phrase\n\n"
				   "  suicide ,,\n!!!\ncan’t go on";
	struct tf_list *l;

	(void)state;
	assert_int_equal(tf_list_parse(text, strlen(text), &l), TF_OK);
	assert_int_equal(tf_list_count(l), 4); /* "!!!" has no word in it */
	assert_string_equal(tf_list_get(l, 0), "kill myself");
	assert_string_equal(tf_list_get(l, 1), "end my life");
	assert_string_equal(tf_list_get(l, 2), "suicide");
	assert_string_equal(tf_list_get(l, 3), "can’t go on");
	assert_null(tf_list_get(l, 4));
	assert_int_equal(tf_match(l, "i can't go on", 13, NULL), 1);
	tf_list_free(l);

	assert_int_equal(tf_list_parse("", 0, &l), TF_OK);
	assert_int_equal(tf_list_count(l), 0);
	assert_int_equal(tf_match(l, "suicide", 7, NULL), 0);
	tf_list_free(l);
}

static void test_list_errors(void **state)
{
	char long_phrase[TF_PHRASE_MAX + 2];
	const char *v[3] = {"ok", NULL, NULL};
	struct tf_list *l = (struct tf_list *)&l;

	(void)state;
	assert_int_equal(tf_list_parse("ok,\xff\xfe", 5, &l), TF_EINVAL);
	assert_null(l);
	memset(long_phrase, 'a', sizeof(long_phrase) - 1);
	long_phrase[sizeof(long_phrase) - 1] = '\0';
	assert_int_equal(tf_list_parse(long_phrase, strlen(long_phrase), &l), TF_ETOOLONG);
	assert_null(l);
	assert_int_equal(tf_list_parse(NULL, 3, &l), TF_EINVAL);
	assert_int_equal(tf_list_parse(NULL, 0, &l), TF_OK);
	assert_int_equal(tf_list_count(l), 0);
	tf_list_free(l);

	/* NULL entries are skipped; a bad entry fails the whole list. */
	l = tf_list_new(v, 3);
	assert_non_null(l);
	assert_int_equal(tf_list_count(l), 1);
	tf_list_free(l);
	v[2] = long_phrase;
	assert_null(tf_list_new(v, 3));
	v[2] = "bad \xc0\xaf utf8";
	assert_null(tf_list_new(v, 3));
	assert_null(tf_list_new(NULL, 2));
	tf_list_free(NULL);
	assert_string_equal(tf_strerror(TF_ETOOLONG), "phrase or list too long");
}

/* ---- crisis phrases ---- */

struct match_case {
	const char *text;
	int match;
	size_t at;
};

static const struct match_case crisis_cases[] = {
    {"I want to kill myself", 1, 10},
    {"kill   myself", 1, 0},
    {"kill-myself", 1, 0},
    {"KILL MYSELF!!", 1, 0},
    {"kill\nmyself", 1, 0},
    {"kill \xe2\x80\x94 myself", 1, 0}, /* em dash */
    {"killmyself", 1, 0},
    {"I could kill myself laughing", 1, 8}, /* better a false alarm */
    {"'kill myself'", 1, 1},
    {"kill\xffmyself", 1, 0}, /* an invalid byte separates like punctuation */
    {"Thinking about suicide.", 1, 15},
    {"SUICIDE", 1, 0},
    {"I can't go on", 1, 2},
    {"I can\xe2\x80\x99t go on", 1, 2}, /* can’t */
    {"I cant go on", 1, 2},
    {"i don\xe2\x80\x99t want to be here anymore", 1, 2},
    {"they'd be better off without me", 1, 10},
    {"sometimes I self-harm", 1, 12},
    {"I want to end my life.", 1, 10},
    {"\xc2\xab"
     "end my life\xc2\xbb",
     1, 2}, /* «end my life» */
    {"\xe2\x80\xa6to take my own life\xe2\x80\xa6", 1, 6},
    {"i want to die \xf0\x9f\x98\xa2", 1, 2},
    {"I hurt myself\n", 1, 2},
    {"No reason to live", 1, 0},
    {"I want to die, I can't go on", 1, 2}, /* the earliest match is reported */
    {"end my life's work", 1, 0},	    /* an apostrophe ends a word */
    {"skill myself", 0, 0},
    {"I killed myself laughing", 0, 0},
    {"end my lifelong habit", 0, 0},
    {"suicides", 0, 0},
    {"hurt myselfie", 0, 0},
    {"kill my", 0, 0},
    {"can to go on", 0, 0},
    {"die", 0, 0},
    {"a lovely walk by the sea", 0, 0},
    {"", 0, 0},
};

static void test_crisis_table(void **state)
{
	struct tf_list *l = defaults(tf_default_crisis_phrases);

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(crisis_cases); i++) {
		const struct match_case *c = &crisis_cases[i];
		size_t at = 9999;
		int got = tf_match(l, c->text, strlen(c->text), &at);

		if (got != c->match)
			fail_msg("case %zu \"%s\": got %d, want %d", i, c->text, got, c->match);
		if (c->match && at != c->at)
			fail_msg("case %zu \"%s\": at %zu, want %zu", i, c->text, at, c->at);
	}
	/* Only len bytes are read: the phrase runs past the end here. */
	assert_int_equal(tf_match(l, "kill myself", 8, NULL), 0);
	assert_int_equal(tf_match(NULL, "suicide", 7, NULL), 0);
	assert_int_equal(tf_match(l, NULL, 0, NULL), 0);
	tf_list_free(l);
}

static void test_match_case_folding(void **state)
{
	const char *v[] = {"caf\xc3\xa9 noir", "\xce\xb4\xce\xb5\xce\xbb"}; /* café noir, δελ */
	struct tf_list *l = tf_list_new(v, 2);

	(void)state;
	assert_non_null(l);
	/* Latin-1 letters fold: CAFÉ NOIR. */
	assert_int_equal(tf_match(l, "CAF\xc3\x89 NOIR", 10, NULL), 1);
	/* Others compare exactly: ΔΕΛ is not δελ, but δελ is. */
	assert_int_equal(tf_match(l, "\xce\x94\xce\x95\xce\x9b", 6, NULL), 0);
	assert_int_equal(tf_match(l, "x \xce\xb4\xce\xb5\xce\xbb!", 9, NULL), 1);
	/* A non-ASCII letter is part of the word: "cafébar" ≠ "café". */
	assert_int_equal(tf_match(l, "caf\xc3\xa9 noir\xc3\xa9", 12, NULL), 0);
	tf_list_free(l);
}

/* ---- profanity ---- */

struct mask_case {
	const char *in, *out;
	int masked;
};

static const struct mask_case mask_cases[] = {
    {"shit", "s***", 1},
    {"Shit!", "S***!", 1},
    {"oh SHIT.", "oh S***.", 1},
    {"shit shit", "s*** s***", 2},
    {"shit's", "s***'s", 1},
    {"ass", "a**", 1},
    {"scunthorpe", "scunthorpe", 0},
    {"Scunthorpe United", "Scunthorpe United", 0},
    {"assessment", "assessment", 0},
    {"classic", "classic", 0},
    {"bullshit", "bullshit", 0},
    {"shitake", "shitake", 0},
    {"caf\xc3\xa9 shit na\xc3\xafve", "caf\xc3\xa9 s*** na\xc3\xafve", 1},
    {"\xf0\x9f\x92\xa9shit\xf0\x9f\x92\xa9", "\xf0\x9f\x92\xa9s***\xf0\x9f\x92\xa9", 1},
    {"\xc2\xabshit\xc2\xbb", "\xc2\xabs***\xc2\xbb", 1}, /* «shit» */
    {"shit\xc3\xa9", "shit\xc3\xa9", 0},		 /* shité: é is a letter */
    {"\xc3\x89shit", "\xc3\x89shit", 0},
    {"mother-fucker", "m*****-f*****", 1},
    {"motherfucker", "m***********", 1},
    {"Schei\303\237e!", "S******!", 1}, /* ß is one letter, one '*' */
    {"What the f", "What the f", 0},
    {"", "", 0},
};

static void test_mask_table(void **state)
{
	const char *v[] = {"shit", "ass", "cunt", "mother fucker", "schei\303\237e"};
	struct tf_list *l = tf_list_new(v, ARRAY_LEN(v));

	(void)state;
	assert_non_null(l);
	for (size_t i = 0; i < ARRAY_LEN(mask_cases); i++) {
		const struct mask_case *c = &mask_cases[i];
		int masked = -1;
		char *out = tf_mask(l, c->in, strlen(c->in), &masked);

		if (strcmp(out, c->out) != 0 || masked != c->masked)
			fail_msg("case %zu \"%s\": got \"%s\" (%d), want \"%s\" (%d)", i, c->in,
				 out, masked, c->out, c->masked);
		assert_true(strlen(out) <= strlen(c->in));
		assert_true(utf8_valid(out, strlen(out)));
		free(out);
	}
	tf_list_free(l);
}

static void test_mask_defaults(void **state)
{
	struct tf_list *l = defaults(tf_default_profanity);
	static const char in[] = "What the FUCK, this is bullshit. Assessment in Scunthorpe.";
	int masked = 0;
	char *out;

	(void)state;
	out = tf_mask(l, in, strlen(in), &masked);
	assert_string_equal(out, "What the F***, this is b*******. Assessment in Scunthorpe.");
	assert_int_equal(masked, 2);
	free(out);

	/* Bytes past len are not read, and a NULL list copies the text. */
	out = tf_mask(l, "shit happens", 4, NULL);
	assert_string_equal(out, "s***");
	free(out);
	out = tf_mask(NULL, "shit", 4, &masked);
	assert_string_equal(out, "shit");
	assert_int_equal(masked, 0);
	free(out);
	out = tf_mask(l, NULL, 0, NULL);
	assert_string_equal(out, "");
	free(out);
	tf_list_free(l);
}

/* ---- links ---- */

struct link_case {
	const char *url;
	int allowed;
};

static const struct link_case link_cases[] = {
    {"https://www.nhs.uk/conditions/cancer/", 1},
    {"https://nhs.uk", 1},
    {"HTTPS://WWW.NHS.UK/", 1},
    {"http://nhs.uk.:80/x", 1},
    {"https://www.macmillan.org.uk/cancer-information", 1},
    {"www.macmillan.org.uk/support", 1},
    {"WWW.cancerresearchuk.org", 1},
    {"https://user:pw@samaritans.org/", 1},
    {"  https://www.nhs.uk  ", 1},
    {"https://www.mariecurie.org.uk?x=1", 1},
    {"https://www.cruse.org.uk#top", 1},
    {"https://www.nhs.uk\\@evil.com/", 1}, /* '\' is a path separator: host www.nhs.uk */
    {"//www.nhs.uk/x", 1},
    {"http:nhs.uk", 1},
    {"/boards/posts/3", 1},
    {"/", 1},
    {"mailto:jo@samaritans.org", 1},
    {"mailto:jo@samaritans.org,info@nhs.uk?subject=hi", 1},
    {"https://evilnhs.uk/", 0},
    {"https://nhs.uk.evil.com/", 0},
    {"https://www.nhs.uk.evil.com/", 0},
    {"https://nhs.uk@evil.com/", 0},
    {"https://nhs.uk:443@evil.com/", 0},
    {"https://nhs.uk%40evil.com/", 0},
    {"https://evil.com/?u=https://nhs.uk", 0},
    {"https://evil.com/nhs.uk", 0},
    {"https://evil.com#@nhs.uk", 0},
    {"https://evil.com?@nhs.uk", 0},
    {"//evil.com/x", 0},
    {"/\\evil.com", 0},
    {"\\\\evil.com", 0},
    {"http:evil.com", 0},
    {"https:\\\\evil.com", 0},
    {"https:///evil.com", 0},
    {"ht\ttps://evil.com", 0},
    {"https://127.0.0.1/", 0},
    {"https://[::1]/", 0},
    {"https://2130706433/", 0},
    {"https://0x7f.1/", 0},
    {"https://nhs%2euk/", 0},
    {"https://\xef\xbd\x8e\xef\xbd\x88\xef\xbd\x93.uk/", 0}, /* full-width ｎｈｓ.uk */
    {"https://.nhs.uk", 0},
    {"https://nhs..uk", 0},
    {"https://", 0},
    {"https://:80", 0},
    {"javascript:alert(1)", 0},
    {"JaVaScRiPt://nhs.uk/%0aalert(1)", 0},
    {"data:text/html,hi", 0},
    {"ftp://nhs.uk/", 0},
    {"nhs.uk/x", 0},
    {"?q=1", 0},
    {"#top", 0},
    {"mailto:x@evil.com", 0},
    {"mailto:a@nhs.uk,b@evil.com", 0},
    {"mailto:nobody", 0},
    {"mailto:", 0},
    {"", 0},
};

static void test_link_table(void **state)
{
	struct tf_list *l = defaults(tf_default_allowed_domains);

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(link_cases); i++) {
		int got = tf_link_allowed(link_cases[i].url, l);

		if (got != link_cases[i].allowed)
			fail_msg("case %zu \"%s\": got %d, want %d", i, link_cases[i].url, got,
				 link_cases[i].allowed);
	}
	assert_int_equal(tf_link_allowed(NULL, l), 0);
	tf_list_free(l);
}

static void test_link_custom_entries(void **state)
{
	static const char text[] = "10.0.0.1, *.Example.ORG, .charity.org, trailing.org.";
	struct tf_list *l;
	char *huge;

	(void)state;
	assert_int_equal(tf_list_parse(text, strlen(text), &l), TF_OK);
	assert_int_equal(tf_link_allowed("http://10.0.0.1:8080/x", l), 1);
	assert_int_equal(tf_link_allowed("http://1.10.0.0.1/", l), 0); /* IPs match exactly */
	assert_int_equal(tf_link_allowed("https://example.org/", l), 1);
	assert_int_equal(tf_link_allowed("https://a.b.example.org/", l), 1);
	assert_int_equal(tf_link_allowed("https://www.charity.org/", l), 1);
	assert_int_equal(tf_link_allowed("https://trailing.org/", l), 1);
	assert_int_equal(tf_link_allowed("https://xexample.org/", l), 0);
	tf_list_free(l);

	/* Without a list only site-relative links pass. */
	assert_int_equal(tf_link_allowed("/boards", NULL), 1);
	assert_int_equal(tf_link_allowed("https://www.nhs.uk/", NULL), 0);

	/* Over-long URLs are refused, not truncated and then judged. */
	huge = xmalloc(TF_URL_MAX + 100);
	memcpy(huge, "https://www.nhs.uk/", 19);
	memset(huge + 19, 'a', TF_URL_MAX + 100 - 20);
	huge[TF_URL_MAX + 99] = '\0';
	l = defaults(tf_default_allowed_domains);
	assert_int_equal(tf_link_allowed(huge, l), 0);
	huge[200] = '\0';
	assert_int_equal(tf_link_allowed(huge, l), 1);
	free(huge);
	tf_list_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_list_parse),	 cmocka_unit_test(test_list_errors),
	    cmocka_unit_test(test_crisis_table), cmocka_unit_test(test_match_case_folding),
	    cmocka_unit_test(test_mask_table),	 cmocka_unit_test(test_mask_defaults),
	    cmocka_unit_test(test_link_table),	 cmocka_unit_test(test_link_custom_entries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
