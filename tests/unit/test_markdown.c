/*
 * test_markdown.c — safe rendering, quoting and link listing of board posts
 * (server/markdown.c). Hostile inputs are a table: each names what must not
 * appear in the HTML and what must.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "markdown.h"
#include "util.h"

#define REL "rel=\"nofollow noopener noreferrer\""

static char *render(const char *src)
{
	char *html = NULL;
	size_t len = 0;

	assert_int_equal(md_render(src, strlen(src), &html, &len), MD_OK);
	assert_non_null(html);
	assert_int_equal(strlen(html), len);
	return html;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* ---- hostile input ---- */

struct xss_case {
	const char *src;
	const char *absent[3]; /* compared case-insensitively */
	const char *present;
};

static const struct xss_case xss_cases[] = {
    {"<script>alert(1)</script>", {"<script"}, "&lt;script&gt;alert(1)&lt;/script&gt;"},
    {"hi <script>alert(1)</script> there", {"<script"}, "hi &lt;script&gt;"},
    {"<img src=x onerror=alert(1)>", {"<img"}, "&lt;img src=x onerror=alert(1)&gt;"},
    {"text <img src=x onerror=alert(1)> text", {"<img"}, "text &lt;img"},
    {"<b onclick=alert(1)>hi</b>", {"<b "}, "&lt;b onclick=alert(1)&gt;hi"},
    {"<iframe src=\"https://evil.example/\"></iframe>", {"<iframe"}, "&lt;iframe"},
    {"<!-- comment -->", {"<!--"}, "&lt;!-- comment --&gt;"},
    {"<a href=\"javascript:alert(1)\">x</a>", {"<a "}, "&lt;a href="},
    {"[x](javascript:alert(1))", {"<a", "href"}, "<p>x</p>"},
    {"[x](JaVaScRiPt:alert(1))", {"<a", "href"}, "<p>x</p>"},
    {"[x]( javascript:alert(1))", {"<a", "href"}, "<p>x</p>"},
    {"[x](java&#x09;script:alert(1))", {"<a", "href"}, "<p>x</p>"},
    {"[x](java&#10;script:alert(1))", {"<a", "href"}, "<p>x</p>"},
    {"[x](<java\tscript:alert(1)>)", {"<a", "href"}, "<p>x</p>"},
    {"[x](&#x6A;avascript:alert(1))", {"<a", "href"}, "<p>x</p>"},
    {"[x](%6Aavascript:alert(1))", {"<a", "href"}, "<p>x</p>"},
    {"[x](vbscript:msgbox(1))", {"<a", "href"}, "<p>x</p>"},
    {"[x](file:///etc/passwd)", {"<a", "href"}, "<p>x</p>"},
    {"[x](data:text/html;base64,PHNjcmlwdD4=)", {"<a", "href"}, "<p>x</p>"},
    {"[x](data:image/png;base64,iVBORw0KGgo=)", {"<a", "href"}, "<p>x</p>"},
    {"[x](//evil.example/)", {"<a", "href"}, "<p>x</p>"},
    {"[x](/\\evil.example/)", {"<a", "href"}, "<p>x</p>"},
    {"[x](#top)", {"<a", "href"}, "<p>x</p>"},
    {"[*keep* me](javascript:x)", {"<a", "href"}, "<p><em>keep</em> me</p>"},
    {"<javascript:alert(1)>", {"<a", "href"}, "<p>javascript:alert(1)</p>"},
    {"[x][r]\n\n[r]: javascript:alert(1)", {"<a", "href"}, "<p>x</p>"},
    {"![img](http://evil/x.png)", {"<img", "src="}, "<p>img</p>"},
    {"![a *b* `c`](javascript:alert(1))", {"<img", "src="}, "<p>a b c</p>"},
    {"![<script>](x.png)", {"<img", "<script"}, "&lt;script&gt;"},
    {"![a [b](javascript:x)](/i.png)", {"<img", "<a", "javascript"}, "<p>a b</p>"},
    {"[![alt](http://evil/x.png)](https://ok.example/)",
     {"<img", "src="},
     "<a href=\"https://ok.example/\" " REL ">alt</a>"},
    {"[x](https://ok.example/ \"a\\\" onmouseover=\\\"alert(1)\")",
     {"\" onmouseover"},
     "title=\"a&quot; onmouseover=&quot;alert(1)\""},
    {"[x](<https://ok.example/\"onmouseover=alert(1)>)",
     {"\"onmouseover"},
     "href=\"https://ok.example/%22onmouseover=alert(1)\""},
    {"[x](https://ok.example/'onmouseover=alert(1))",
     {"'on"},
     "href=\"https://ok.example/&#x27;onmouseover=alert(1)\""},
    {"[x](<https://ok.example/\\<script\\>>)", {"<script"}, "/%3Cscript%3E\""},
    {"[x](https://ok.example/?a=1&b=2)", {"&b="}, "href=\"https://ok.example/?a=1&amp;b=2\""},
};

static void test_hostile_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(xss_cases); i++) {
		const struct xss_case *c = &xss_cases[i];
		char *html = render(c->src);

		for (size_t k = 0; k < ARRAY_LEN(c->absent) && c->absent[k]; k++)
			if (strcasestr(html, c->absent[k]))
				fail_msg("case %zu %s: \"%s\" found in %s", i, c->src, c->absent[k],
					 html);
		if (!strstr(html, c->present))
			fail_msg("case %zu %s: \"%s\" missing from %s", i, c->src, c->present,
				 html);
		free(html);
	}
}

/* ---- ordinary Markdown ---- */

struct render_case {
	const char *src, *html;
};

static const struct render_case render_cases[] = {
    {"[NHS](https://www.nhs.uk/)", "<p><a href=\"https://www.nhs.uk/\" " REL ">NHS</a></p>\n"},
    {"<https://www.nhs.uk>",
     "<p><a href=\"https://www.nhs.uk\" " REL ">https://www.nhs.uk</a></p>\n"},
    {"[p](/boards/posts/3 \"Post 3\")",
     "<p><a href=\"/boards/posts/3\" " REL " title=\"Post 3\">p</a></p>\n"},
    {"[me](mailto:jo@example.org)", "<p><a href=\"mailto:jo@example.org\" " REL ">me</a></p>\n"},
    {"<jo@example.org>", "<p><a href=\"mailto:jo@example.org\" " REL ">jo@example.org</a></p>\n"},
    {"[x](HTTPS://EXAMPLE.ORG)", "<p><a href=\"HTTPS://EXAMPLE.ORG\" " REL ">x</a></p>\n"},
    {"[x](  https://a.example/b c  )", "<p>[x](  https://a.example/b c  )</p>\n"},
    {"[x](<https://a.example/b c>)", "<p><a href=\"https://a.example/b%20c\" " REL ">x</a></p>\n"},
    {"[x](https://a.example/caf\xc3\xa9)",
     "<p><a href=\"https://a.example/caf%C3%A9\" " REL ">x</a></p>\n"},
    {"[a *b*](/c) and [d](/e)",
     "<p><a href=\"/c\" " REL ">a <em>b</em></a> and <a href=\"/e\" " REL ">d</a></p>\n"},
    {"*em* and **strong**", "<p><em>em</em> and <strong>strong</strong></p>\n"},
    {"- one\n- two\n", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"},
    {"1. one\n2. two\n", "<ol>\n<li>one</li>\n<li>two</li>\n</ol>\n"},
    {"`code <b>`", "<p><code>code &lt;b&gt;</code></p>\n"},
    {"```\nx<y\n```\n", "<pre><code>x&lt;y\n</code></pre>\n"},
    {"```js\"><script>\nx\n```\n",
     "<pre><code class=\"language-js&quot;&gt;&lt;script&gt;\">x\n</code></pre>\n"},
    {"> quoted\n> text", "<blockquote>\n<p>quoted\ntext</p>\n</blockquote>\n"},
    {"# Title", "<h1>Title</h1>\n"},
    {"line  \nbreak", "<p>line<br />\nbreak</p>\n"},
    {"\"quotes\" -- and ...", "<p>&quot;quotes&quot; -- and ...</p>\n"}, /* no smart */
    {"a\xff"
     "b",
     "<p>a\xef\xbf\xbd"
     "b</p>\n"}, /* U+FFFD */
    {"", ""},
};

static void test_render_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(render_cases); i++) {
		char *html = render(render_cases[i].src);

		if (strcmp(html, render_cases[i].html) != 0)
			fail_msg("case %zu %s:\n got: %s\nwant: %s", i, render_cases[i].src, html,
				 render_cases[i].html);
		free(html);
	}
}

static void test_render_limits(void **state)
{
	char *src = xmalloc(MD_MAX_INPUT + 1);
	char *html = (char *)src;
	size_t len = 7;

	(void)state;
	memset(src, 'a', MD_MAX_INPUT + 1);
	assert_int_equal(md_render(src, MD_MAX_INPUT + 1, &html, &len), MD_ETOOLONG);
	assert_null(html);
	assert_int_equal(len, 0);
	assert_int_equal(md_render(src, MD_MAX_INPUT, &html, NULL), MD_OK);
	assert_int_equal(strlen(html), MD_MAX_INPUT + strlen("<p></p>\n"));
	free(html);

	/* Deep nesting stays linear and does not blow the stack. */
	memset(src, '>', MD_MAX_INPUT);
	assert_int_equal(md_render(src, MD_MAX_INPUT, &html, NULL), MD_OK);
	free(html);
	memset(src, '[', MD_MAX_INPUT);
	assert_int_equal(md_render(src, MD_MAX_INPUT, &html, NULL), MD_OK);
	free(html);
	for (size_t i = 0; i + 18 <= MD_MAX_INPUT; i += 18)
		memcpy(src + i, "[a](javascript:x)\n", 18);
	assert_int_equal(md_render(src, MD_MAX_INPUT, &html, NULL), MD_OK);
	assert_null(strstr(html, "<a"));
	free(html);

	assert_int_equal(md_render(NULL, 3, &html, NULL), MD_EINVAL);
	assert_null(html);
	assert_int_equal(md_render(NULL, 0, &html, NULL), MD_OK);
	assert_string_equal(html, "");
	free(html);
	assert_string_equal(md_strerror(MD_ETOOLONG), "text too long");
	free(src);
}

/* ---- quoting ---- */

static void test_quote_shape(void **state)
{
	char *md, *html;

	(void)state;
	assert_int_equal(md_quote("Hello\nworld\n", 12, "Sam", 123, &md), MD_OK);
	assert_string_equal(md, "> **Sam** wrote ([#post-123](/boards/posts/123)):\n"
				">\n"
				"> Hello\n"
				"> world\n"
				"\n");
	html = render(md);
	assert_string_equal(html,
			    "<blockquote>\n"
			    "<p><strong>Sam</strong> wrote (<a href=\"/boards/posts/123\" " REL
			    ">#post-123</a>):</p>\n"
			    "<p>Hello\nworld</p>\n"
			    "</blockquote>\n");
	free(html);
	free(md);

	/* Blank lines at the ends go, inner ones stay; CRLF and CR are lines too. */
	assert_int_equal(md_quote("\n \r\na\r\n\r\nb\rc\n\n", 14, "Sam", 9, &md), MD_OK);
	assert_string_equal(md, "> **Sam** wrote ([#post-9](/boards/posts/9)):\n"
				">\n> a\n>\n> b\n> c\n\n");
	free(md);

	/* A line that would make the header a heading, and one that is code. */
	assert_int_equal(md_quote("===\n\n    code", 13, "Sam", 9, &md), MD_OK);
	html = render(md);
	assert_null(strstr(html, "<h1>"));
	assert_non_null(strstr(html, "<pre><code>code"));
	free(html);
	free(md);

	/* Nothing to quote: just the header line. */
	assert_int_equal(md_quote(NULL, 0, "Sam", 1, &md), MD_OK);
	assert_string_equal(md, "> **Sam** wrote ([#post-1](/boards/posts/1)):\n\n");
	free(md);
}

static void test_quote_then_reply(void **state)
{
	char *md, *html, *post;

	(void)state;
	assert_int_equal(md_quote("first", 5, "Sam", 7, &md), MD_OK);
	post = xasprintf("%smy reply", md);
	html = render(post);
	assert_non_null(strstr(html, "</blockquote>\n<p>my reply</p>\n"));
	free(html);
	free(post);
	free(md);
}

struct author_case {
	const char *author, *shown;
};

static const struct author_case author_cases[] = {
    {"*[evil](javascript:x)*", "<strong>*[evil](javascript:x)*</strong>"},
    {"<script>alert(1)</script>", "<strong>&lt;script&gt;alert(1)&lt;/script&gt;</strong>"},
    {"**", "<strong>**</strong>"},
    {"Sam\n# Heading", "<strong>Sam # Heading</strong>"},
    {"  Jo  ", "<strong>Jo</strong>"},
    {"&amp; `x` _y_ ![i](/z)", "<strong>&amp;amp; `x` _y_ ![i](/z)</strong>"},
    {"Zo\xc3\xab", "<strong>Zo\xc3\xab</strong>"},
    {"a\\", "<strong>a\\</strong>"},
    {"Former member", "<strong>Former member</strong>"},
};

static void test_quote_author_escaped(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(author_cases); i++) {
		char *md, *html;

		assert_int_equal(md_quote("hi", 2, author_cases[i].author, 42, &md), MD_OK);
		html = render(md);
		if (!strstr(html, author_cases[i].shown))
			fail_msg("case %zu: \"%s\" missing from %s", i, author_cases[i].shown,
				 html);
		/* The only link is ours, and the name made no markup of its own. */
		assert_int_equal(count(html, "<a "), 1);
		assert_non_null(strstr(html, "<a href=\"/boards/posts/42\" " REL ">#post-42</a>"));
		assert_null(strstr(html, "<em>"));
		assert_null(strstr(html, "<h1>"));
		assert_null(strstr(html, "<code>"));
		free(html);
		free(md);
	}
}

static void test_quote_errors(void **state)
{
	char long_name[MD_AUTHOR_MAX + 2];
	char *md = (char *)long_name;
	char *big = xmalloc(MD_MAX_INPUT + 1);

	(void)state;
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(md_quote("x", 1, NULL, 1, &md), MD_EINVAL);
	assert_null(md);
	assert_int_equal(md_quote("x", 1, "", 1, &md), MD_EINVAL);
	assert_int_equal(md_quote("x", 1, " \t\n", 1, &md), MD_EINVAL);
	assert_int_equal(md_quote("x", 1, "bad\xff", 1, &md), MD_EINVAL);
	assert_int_equal(md_quote("x", 1, long_name, 1, &md), MD_ETOOLONG);
	assert_int_equal(md_quote("x", 1, "Sam", 0, &md), MD_EINVAL);
	assert_int_equal(md_quote("x", 1, "Sam", -5, &md), MD_EINVAL);
	assert_int_equal(md_quote(NULL, 1, "Sam", 1, &md), MD_EINVAL);
	memset(big, 'a', MD_MAX_INPUT + 1);
	assert_int_equal(md_quote(big, MD_MAX_INPUT + 1, "Sam", 1, &md), MD_ETOOLONG);
	assert_null(md);
	assert_int_equal(md_quote(big, MD_MAX_INPUT, "Sam", INT64_MAX, &md), MD_OK);
	assert_non_null(strstr(md, "(/boards/posts/9223372036854775807)"));
	free(md);
	free(big);
}

/* ---- links ---- */

static void assert_links(const char *src, const char *const *want, size_t nwant)
{
	char **urls = NULL;
	size_t n = 99;

	assert_int_equal(md_links(src, strlen(src), &urls, &n), MD_OK);
	if (n != nwant) {
		for (size_t i = 0; i < n; i++)
			print_message("  got[%zu] = %s\n", i, urls[i]);
		fail_msg("%s: %zu links, want %zu", src, n, nwant);
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(urls[i], want[i]) != 0)
			fail_msg("%s: link %zu is \"%s\", want \"%s\"", src, i, urls[i], want[i]);
	md_links_free(urls, n);
}

static void test_links_kinds(void **state)
{
	static const char src[] = "Autolink <https://a.example/x> and [inline](https://b.example/) "
				  "and [ref][r] and <jo@h.example>.\n\n"
				  "Bare: see https://d.example/path. Or www.e.example, or "
				  "http://f.example/a_b_c! And ![pic](https://g.example/p.png)\n\n"
				  "Again <https://a.example/x> and `https://i.example/code`\n\n"
				  "[r]: https://c.example/ \"title\"\n";
	static const char *const want[] = {
	    "https://a.example/x",    "https://b.example/",	 "https://c.example/",
	    "mailto:jo@h.example",    "https://d.example/path",	 "www.e.example",
	    "http://f.example/a_b_c", "https://g.example/p.png", "https://i.example/code",
	};

	(void)state;
	assert_links(src, want, ARRAY_LEN(want));
}

static void test_links_edges(void **state)
{
	static const char *const paren[] = {"https://en.example/wiki/Foo_(bar)"};
	static const char *const hostile[] = {"javascript:alert(1)", "java\tscript:x"};
	static const char *const html[] = {"https://j.example/"};
	static const char *const caps[] = {"HTTPS://K.EXAMPLE/", "WWW.L.EXAMPLE"};
	static const char *const text[] = {"https://x.example/*a*b"};

	(void)state;
	assert_links("(see https://en.example/wiki/Foo_(bar))", paren, 1);
	assert_links("[x](javascript:alert(1)) [y](java&#9;script:x)", hostile, 2);
	assert_links("<a href=\"https://j.example/\">x</a>", html, 1);
	assert_links("HTTPS://K.EXAMPLE/ and WWW.L.EXAMPLE", caps, 2);
	/* Emphasis splits the text; what is found is what a reader sees as the URL start. */
	assert_links("https://x.example/\\*a\\*b", text, 1);
	assert_links("no links: swww.x.example xhttp://y.example http:// www.", NULL, 0);
	assert_links("", NULL, 0);
}

static void test_links_limits(void **state)
{
	struct buf b;
	char **urls = (char **)&b;
	size_t n = 5;

	(void)state;
	buf_init(&b, 0);
	for (int i = 0; i < MD_MAX_LINKS; i++)
		buf_printf(&b, "https://x.example/%d\n", i);
	buf_printf(&b, "https://x.example/0\n"); /* a repeat does not count */
	assert_int_equal(md_links(b.data, b.len, &urls, &n), MD_OK);
	assert_int_equal(n, MD_MAX_LINKS);
	md_links_free(urls, n);

	buf_printf(&b, "https://x.example/one-too-many\n");
	assert_int_equal(md_links(b.data, b.len, &urls, &n), MD_ETOOMANY);
	assert_null(urls);
	assert_int_equal(n, 0);
	buf_free(&b);

	assert_int_equal(md_links(NULL, 1, &urls, &n), MD_EINVAL);
	buf_init(&b, 0);
	buf_reserve(&b, MD_MAX_INPUT + 1);
	memset(b.data, 'a', MD_MAX_INPUT + 1);
	assert_int_equal(md_links(b.data, MD_MAX_INPUT + 1, &urls, &n), MD_ETOOLONG);
	buf_free(&b);
	md_links_free(NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hostile_table),    cmocka_unit_test(test_render_table),
	    cmocka_unit_test(test_render_limits),    cmocka_unit_test(test_quote_shape),
	    cmocka_unit_test(test_quote_then_reply), cmocka_unit_test(test_quote_author_escaped),
	    cmocka_unit_test(test_quote_errors),     cmocka_unit_test(test_links_kinds),
	    cmocka_unit_test(test_links_edges),	     cmocka_unit_test(test_links_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
