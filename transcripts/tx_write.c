/*
 * tx_write.c — the four export formats of a transcript.
 *
 * JSON is the canonical form itself. The three human formats share one
 * driver that decides every word (header, attendance, each entry, the
 * markers, "Former member", "[removed by facilitator]"), and a small table
 * of callbacks per format that only lays the words out and escapes what a
 * user typed. So the formats cannot drift apart in content: a wording
 * change is made once, in the driver.
 *
 * User text is everything that came from a person (names, messages, the
 * group name); fixed text is ours. Every user code point passes through
 * next_cp(), which turns control characters into U+FFFD (a transcript read
 * in a terminal must not carry escape sequences) and line ends into LF.
 */
#include "tx_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MARK_HIGHLIGHT "\xe2\x98\x85 common thread"
#define MARK_ANNOUNCEMENT "Announcement"
#define FACILITATOR_TAG " (facilitator)"
#define QUOTE_MAX_CPS 80
#define DASH "\xe2\x80\x93" /* en dash, for time ranges */

/* A piece of a line: ours (fixed) or a person's (escaped by the writer). */
struct seg {
	const char *s;
	int user;
};
#define MAX_SEGS 8

/* A line of segments in storage the caller provides (LINE() or malloc). */
struct line {
	struct seg *segs;
	size_t n, cap;
};
#define LINE(name)                                                                                 \
	struct seg name##_segs[MAX_SEGS];                                                          \
	struct line name = {name##_segs, 0, MAX_SEGS}

struct msg_line {
	char time[6];
	char utc[24];
	int64_t seq;
	const char *who; /* user text */
	int facilitator;
	const char *text; /* user text; NULL when redacted */
	int highlighted;
	int announcement;
};

struct event_line {
	char time[6];
	char utc[24];
	int highlight;
	struct line *body;
	char minutes[48]; /* storage for the extension's wording */
};

enum part {
	PART_FIELDS_END,
	PART_ATTENDANCE_BEGIN,
	PART_ATTENDANCE_END,
	PART_ENTRIES_BEGIN,
	PART_ENTRIES_END,
};

struct writer {
	void (*begin)(struct tx__buf *b, const char *group, const char *date);
	void (*field)(struct tx__buf *b, const char *label, const struct line *value);
	void (*part)(struct tx__buf *b, enum part p);
	void (*attendee)(struct tx__buf *b, const struct line *row);
	void (*day)(struct tx__buf *b, const char *date);
	void (*msg)(struct tx__buf *b, const struct msg_line *m);
	void (*event)(struct tx__buf *b, const struct event_line *e);
	void (*end)(struct tx__buf *b);
};

static void add(struct line *l, const char *s, int user)
{
	if (l->n < l->cap)
		l->segs[l->n++] = (struct seg){s, user};
}

/* ---- code points ----------------------------------------------------------- */

/* Next display code point of user text; see the file comment. */
static size_t next_cp(const char *s, size_t n, uint32_t *cp)
{
	if (s[0] == '\r') {
		*cp = '\n';
		return (n > 1 && s[1] == '\n') ? 2 : 1;
	}
	size_t k = tx__utf8_next(s, n, cp);
	if ((*cp < 0x20 && *cp != '\n' && *cp != '\t') || (*cp >= 0x7F && *cp < 0xA0))
		*cp = 0xFFFD;
	return k;
}

/*
 * Length of s without its trailing blanks and line ends: they show nothing,
 * and a trailing hard break would print a stray backslash in Markdown.
 */
static size_t shown_len(const char *s)
{
	size_t n = strlen(s);
	while (n > 0 && strchr(" \t\r\n", s[n - 1]))
		n--;
	return n;
}

static void put_cp(struct tx__buf *b, uint32_t cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp, n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
	} else {
		u[0] = (char)(0xF0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
	}
	tx__buf_put(b, u, n);
}

/* ---- HTML ---------------------------------------------------------------------- */

/*
 * Escape n bytes of text for element content and quoted attribute values
 * alike. Fixed text goes through here too (it holds no markup of ours).
 */
static void html_esc(struct tx__buf *b, const char *s, size_t n, int single_line)
{
	size_t i = 0;
	while (i < n) {
		uint32_t cp;
		i += next_cp(s + i, n - i, &cp);
		switch (cp) {
		case '&':
			tx__buf_puts(b, "&amp;");
			break;
		case '<':
			tx__buf_puts(b, "&lt;");
			break;
		case '>':
			tx__buf_puts(b, "&gt;");
			break;
		case '"':
			tx__buf_puts(b, "&quot;");
			break;
		case '\'':
			tx__buf_puts(b, "&#39;");
			break;
		case '\n':
			tx__buf_puts(b, single_line ? " " : "\n");
			break;
		default:
			put_cp(b, cp);
		}
	}
}

/* User text: what a person typed, trimmed of trailing blanks. */
static void html_text(struct tx__buf *b, const char *s, int single_line)
{
	html_esc(b, s, shown_len(s), single_line);
}

static void html_line(struct tx__buf *b, const struct line *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const char *s = l->segs[i].s;
		if (l->segs[i].user) {
			tx__buf_puts(b, "<bdi>");
			html_text(b, s, 1);
			tx__buf_puts(b, "</bdi>");
		} else {
			html_esc(b, s, strlen(s), 1);
		}
	}
}

/*
 * Inline style is fine here: this is a downloaded file, read without the
 * app. The CSP meta forbids scripts and every fetch even if some text were
 * ever escaped wrongly.
 */
static const char html_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
    "style-src 'unsafe-inline'\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<meta name=\"referrer\" content=\"no-referrer\">\n"
    "<meta name=\"robots\" content=\"noindex\">\n";

static const char html_style[] =
    "<style>\n"
    "body{font:16px/1.5 Georgia,'Times New Roman',serif;color:#222;background:#fff;"
    "max-width:44em;margin:2em auto;padding:0 1em}\n"
    "h1{font-size:1.6em;margin:0 0 .2em}h2{font-size:1.2em;margin:1.6em 0 .4em;"
    "border-bottom:1px solid #ccc}\n"
    "dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.1em 1em;margin:0}\n"
    "dl.meta dt{font-weight:bold}dl.meta dd{margin:0}\n"
    "ul.attendance{padding-left:1.2em}\n"
    "ol.entries{list-style:none;padding:0;margin:0}\n"
    "ol.entries li{padding:.25em 0;border-bottom:1px solid #eee}\n"
    "time{font-family:Menlo,Consolas,monospace;color:#555;margin-right:.6em}\n"
    ".who{font-weight:bold}.text{white-space:pre-wrap;overflow-wrap:anywhere}\n"
    ".event{color:#555;font-style:italic}.day{font-weight:bold;padding-top:1em}\n"
    ".redacted{color:#777;font-style:italic}\n"
    ".mark{font-size:.85em;border:1px solid #b58900;border-radius:3px;padding:0 .3em;"
    "margin-right:.4em;color:#6b5000}\n"
    ".announcement{background:#f4f7fb}.highlighted{background:#fdf6e3}\n"
    "footer{margin-top:2em;font-size:.85em;color:#666}\n"
    "@media print{body{max-width:none;margin:0;padding:0;font-size:11pt}"
    "ol.entries li{break-inside:avoid;border-color:#ddd}"
    ".announcement,.highlighted{background:none}"
    "h2{break-after:avoid}}\n"
    "</style>\n</head>\n<body>\n";

static void html_begin(struct tx__buf *b, const char *group, const char *date)
{
	tx__buf_puts(b, html_head);
	tx__buf_puts(b, "<title>Session transcript \xe2\x80\x94 ");
	html_text(b, group, 1);
	tx__buf_printf(b, " \xe2\x80\x94 %s</title>\n", date);
	tx__buf_puts(b, html_style);
	tx__buf_puts(b, "<header>\n<h1>Session transcript</h1>\n<dl class=\"meta\">\n");
}

static void html_field(struct tx__buf *b, const char *label, const struct line *value)
{
	tx__buf_printf(b, "<dt>%s</dt><dd>", label);
	html_line(b, value);
	tx__buf_puts(b, "</dd>\n");
}

static void html_part(struct tx__buf *b, enum part p)
{
	static const char *const html[] = {
	    [PART_FIELDS_END] = "</dl>\n</header>\n",
	    [PART_ATTENDANCE_BEGIN] = "<section>\n<h2>Attendance</h2>\n<ul class=\"attendance\">\n",
	    [PART_ATTENDANCE_END] = "</ul>\n</section>\n",
	    [PART_ENTRIES_BEGIN] = "<section>\n<h2>Transcript</h2>\n<ol class=\"entries\">\n",
	    [PART_ENTRIES_END] = "</ol>\n</section>\n",
	};
	tx__buf_puts(b, html[p]);
}

static void html_attendee(struct tx__buf *b, const struct line *row)
{
	tx__buf_puts(b, "<li>");
	html_line(b, row);
	tx__buf_puts(b, "</li>\n");
}

static void html_day(struct tx__buf *b, const char *date)
{
	tx__buf_printf(b, "<li class=\"day\">%s</li>\n", date);
}

static void html_msg(struct tx__buf *b, const struct msg_line *m)
{
	tx__buf_printf(b, "<li class=\"msg%s%s\" id=\"m%lld\"><time datetime=\"%s\">%s</time> ",
		       m->announcement ? " announcement" : "", m->highlighted ? " highlighted" : "",
		       (long long)m->seq, m->utc, m->time);
	if (m->announcement)
		tx__buf_puts(b, "<span class=\"mark\">" MARK_ANNOUNCEMENT "</span> ");
	if (m->highlighted)
		tx__buf_puts(b, "<span class=\"mark\">" MARK_HIGHLIGHT "</span> ");
	tx__buf_puts(b, "<span class=\"who\"><bdi>");
	html_text(b, m->who, 1);
	tx__buf_puts(b, "</bdi>");
	if (m->facilitator)
		tx__buf_puts(b, FACILITATOR_TAG);
	tx__buf_puts(b, ":</span> ");
	if (m->text) {
		tx__buf_puts(b, "<span class=\"text\" dir=\"auto\">");
		html_text(b, m->text, 0);
		tx__buf_puts(b, "</span>");
	} else {
		tx__buf_puts(b, "<span class=\"redacted\">" TX_REDACTED_TEXT "</span>");
	}
	tx__buf_puts(b, "</li>\n");
}

static void html_event(struct tx__buf *b, const struct event_line *e)
{
	tx__buf_printf(b, "<li class=\"event%s\"><time datetime=\"%s\">%s</time> ",
		       e->highlight ? " highlighted" : "", e->utc, e->time);
	html_line(b, e->body);
	tx__buf_puts(b, "</li>\n");
}

static void html_end(struct tx__buf *b)
{
	tx__buf_puts(b, "<footer>Exported from Hearth. This transcript is confidential to the "
			"group.</footer>\n</body>\n</html>\n");
}

static const struct writer html_writer = {
    html_begin, html_field, html_part, html_attendee, html_day, html_msg, html_event, html_end,
};

/* ---- Markdown ------------------------------------------------------------------- */

/*
 * Escape user text so that it renders as the same characters and can make
 * no markup: characters that open inline syntax (links, images, emphasis,
 * code, HTML, entities, tables) are escaped wherever they are, and the
 * ones that open a block (heading, quote, list, rule, setext underline)
 * when they start a line. Line ends become hard breaks.
 */
static void md_text(struct tx__buf *b, const char *s, int single_line)
{
	size_t n = shown_len(s), i = 0;
	int line_start = 1, in_number = 0;
	while (i < n) {
		uint32_t cp;
		i += next_cp(s + i, n - i, &cp);
		if (cp == '\n') {
			tx__buf_puts(b, single_line ? " " : "\\\n");
			line_start = !single_line, in_number = 0;
			continue;
		}
		if (cp && cp < 0x80 && strchr("\\`*_[]<>&|~", (int)cp)) {
			tx__buf_put(b, "\\", 1);
		} else if (line_start && cp && cp < 0x80 && strchr("#+-=", (int)cp)) {
			tx__buf_put(b, "\\", 1);
		} else if (in_number && (cp == '.' || cp == ')')) {
			tx__buf_put(b, "\\", 1);
		}
		if (line_start && (cp == ' ' || cp == '\t')) {
			/* Leading blanks keep us at the start of the line. */
		} else if ((line_start || in_number) && cp >= '0' && cp <= '9') {
			in_number = 1, line_start = 0;
		} else {
			line_start = in_number = 0;
		}
		put_cp(b, cp);
	}
}

static void md_line(struct tx__buf *b, const struct line *l)
{
	for (size_t i = 0; i < l->n; i++) {
		if (l->segs[i].user)
			md_text(b, l->segs[i].s, 1);
		else
			tx__buf_puts(b, l->segs[i].s);
	}
}

static void md_begin(struct tx__buf *b, const char *group, const char *date)
{
	(void)group;
	(void)date;
	tx__buf_puts(b, "# Session transcript\n\n");
}

static void md_field(struct tx__buf *b, const char *label, const struct line *value)
{
	tx__buf_printf(b, "- **%s:** ", label);
	md_line(b, value);
	tx__buf_puts(b, "\n");
}

static void md_part(struct tx__buf *b, enum part p)
{
	static const char *const md[] = {
	    [PART_FIELDS_END] = "\n",	  [PART_ATTENDANCE_BEGIN] = "## Attendance\n\n",
	    [PART_ATTENDANCE_END] = "\n", [PART_ENTRIES_BEGIN] = "## Transcript\n\n",
	    [PART_ENTRIES_END] = "",
	};
	tx__buf_puts(b, md[p]);
}

static void md_attendee(struct tx__buf *b, const struct line *row)
{
	tx__buf_puts(b, "- ");
	md_line(b, row);
	tx__buf_puts(b, "\n");
}

static void md_day(struct tx__buf *b, const char *date)
{
	tx__buf_printf(b, "### %s\n\n", date);
}

static void md_msg(struct tx__buf *b, const struct msg_line *m)
{
	tx__buf_printf(b, "**%s**", m->time);
	if (m->announcement)
		tx__buf_puts(b, " " MARK_ANNOUNCEMENT " \xc2\xb7");
	if (m->highlighted)
		tx__buf_puts(b, " " MARK_HIGHLIGHT " \xc2\xb7");
	tx__buf_puts(b, " **");
	md_text(b, m->who, 1);
	if (m->facilitator)
		tx__buf_puts(b, FACILITATOR_TAG);
	tx__buf_puts(b, ":** ");
	if (m->text)
		md_text(b, m->text, 0);
	else
		tx__buf_puts(b, "*" TX_REDACTED_TEXT "*");
	tx__buf_puts(b, "\n\n");
}

static void md_event(struct tx__buf *b, const struct event_line *e)
{
	tx__buf_printf(b, "**%s** *", e->time);
	md_line(b, e->body);
	tx__buf_puts(b, "*\n\n");
}

static void md_end(struct tx__buf *b)
{
	tx__buf_puts(b, "---\n\n*Exported from Hearth. This transcript is confidential to the "
			"group.*\n");
}

static const struct writer md_writer = {
    md_begin, md_field, md_part, md_attendee, md_day, md_msg, md_event, md_end,
};

/* ---- plain text ------------------------------------------------------------------ */

#define TXT_INDENT "       " /* under the text, past "HH:MM  " */

static void txt_text(struct tx__buf *b, const char *s, int single_line)
{
	size_t n = shown_len(s), i = 0;
	while (i < n) {
		uint32_t cp;
		i += next_cp(s + i, n - i, &cp);
		if (cp == '\n')
			tx__buf_puts(b, single_line ? " " : "\n" TXT_INDENT);
		else
			put_cp(b, cp);
	}
}

static void txt_line(struct tx__buf *b, const struct line *l)
{
	for (size_t i = 0; i < l->n; i++) {
		if (l->segs[i].user)
			txt_text(b, l->segs[i].s, 1);
		else
			tx__buf_puts(b, l->segs[i].s);
	}
}

static void txt_begin(struct tx__buf *b, const char *group, const char *date)
{
	(void)group;
	(void)date;
	tx__buf_puts(b, "SESSION TRANSCRIPT\n\n");
}

static void txt_field(struct tx__buf *b, const char *label, const struct line *value)
{
	/* Padding by bytes is right: labels are ASCII. */
	tx__buf_printf(b, "%-13s ", label);
	txt_line(b, value);
	tx__buf_puts(b, "\n");
}

static void txt_part(struct tx__buf *b, enum part p)
{
	static const char *const txt[] = {
	    [PART_FIELDS_END] = "\n",	  [PART_ATTENDANCE_BEGIN] = "ATTENDANCE\n\n",
	    [PART_ATTENDANCE_END] = "\n", [PART_ENTRIES_BEGIN] = "TRANSCRIPT\n\n",
	    [PART_ENTRIES_END] = "",
	};
	tx__buf_puts(b, txt[p]);
}

static void txt_attendee(struct tx__buf *b, const struct line *row)
{
	tx__buf_puts(b, "  ");
	txt_line(b, row);
	tx__buf_puts(b, "\n");
}

static void txt_day(struct tx__buf *b, const char *date)
{
	tx__buf_printf(b, "\n-- %s --\n\n", date);
}

static void txt_msg(struct tx__buf *b, const struct msg_line *m)
{
	tx__buf_printf(b, "%s  ", m->time);
	if (m->announcement)
		tx__buf_puts(b, "[" MARK_ANNOUNCEMENT "] ");
	if (m->highlighted)
		tx__buf_puts(b, "[" MARK_HIGHLIGHT "] ");
	txt_text(b, m->who, 1);
	if (m->facilitator)
		tx__buf_puts(b, FACILITATOR_TAG);
	tx__buf_puts(b, ": ");
	if (m->text)
		txt_text(b, m->text, 0);
	else
		tx__buf_puts(b, TX_REDACTED_TEXT);
	tx__buf_puts(b, "\n");
}

static void txt_event(struct tx__buf *b, const struct event_line *e)
{
	tx__buf_printf(b, "%s  * ", e->time);
	txt_line(b, e->body);
	tx__buf_puts(b, "\n");
}

static void txt_end(struct tx__buf *b)
{
	tx__buf_puts(b, "\n-- \nExported from Hearth. This transcript is confidential to the "
			"group.\n");
}

static const struct writer txt_writer = {
    txt_begin, txt_field, txt_part, txt_attendee, txt_day, txt_msg, txt_event, txt_end,
};

/* ---- the driver: what every human format says -------------------------------------- */

struct render {
	const struct tx_transcript *t;
	struct tx__index ix;
	struct tx__buf *b;
	const struct writer *w;
	/* Strings the lines point into; freed after the render. */
	struct tx__buf scratch;
	int err; /* allocation failure outside the buffers */
};

static const char *who_of(const struct render *r, int64_t id)
{
	return tx__display_name(tx__index_person(&r->ix, id));
}

static void render_header(struct render *r, const char *date)
{
	const struct tx_transcript *t = r->t;
	char zone[40], off[16], a[6], z[6], sched[32], held[32];

	LINE(group);
	add(&group, t->group_name, 1);
	r->w->field(r->b, "Group", &group);

	LINE(day);
	add(&day, date, 0);
	r->w->field(r->b, "Date", &day);

	tx__fmt_offset(t->tz_offset_min, off);
	snprintf(zone, sizeof(zone), " (%s)", off);
	LINE(tz);
	add(&tz, t->tz_name, 1);
	add(&tz, zone, 0);
	r->w->field(r->b, "Time zone", &tz);

	LINE(scheduled);
	if (t->scheduled_start_ms) {
		tx__fmt_hhmm(t->scheduled_start_ms, t->tz_offset_min, a);
		tx__fmt_hhmm(t->scheduled_end_ms, t->tz_offset_min, z);
		snprintf(sched, sizeof(sched), "%s" DASH "%s", a, z);
		add(&scheduled, sched, 0);
	} else {
		add(&scheduled, "ad hoc session", 0);
	}
	r->w->field(r->b, "Scheduled", &scheduled);

	tx__fmt_hhmm(t->opened_ms, t->tz_offset_min, a);
	tx__fmt_hhmm(t->closed_ms, t->tz_offset_min, z);
	snprintf(held, sizeof(held), "%s" DASH "%s", a, z);
	LINE(held_line);
	add(&held_line, held, 0);
	r->w->field(r->b, "Held", &held_line);
}

/* Facilitators may be many: one user segment each, joined by fixed commas. */
static void render_facilitators(struct render *r)
{
	size_t cap = 2 * r->t->n_people + 1;
	struct line l = {calloc(cap, sizeof(struct seg)), 0, cap};
	if (!l.segs) {
		r->err = TX_ENOMEM;
		return;
	}
	for (size_t i = 0; i < r->t->n_people; i++) {
		const struct tx_person *p = &r->t->people[i];
		if (p->role != TX_ROLE_FACILITATOR)
			continue;
		if (l.n)
			add(&l, ", ", 0);
		add(&l, tx__display_name(p), 1);
	}
	if (!l.n)
		add(&l, "none", 0);
	r->w->field(r->b, "Facilitators", &l);
	free(l.segs);
}

static void render_attendance(struct render *r)
{
	const struct tx_transcript *t = r->t;
	r->w->part(r->b, PART_ATTENDANCE_BEGIN);
	for (size_t i = 0; i < t->n_attendance; i++) {
		const struct tx_attendance *a = &t->attendance[i];
		const struct tx_person *p = tx__index_person(&r->ix, a->user_id);
		size_t mark = r->scratch.len;
		for (size_t k = 0; k < a->n_intervals; k++) {
			char from[6], to[6];
			tx__fmt_hhmm(a->intervals[k].from_ms, t->tz_offset_min, from);
			tx__fmt_hhmm(a->intervals[k].to_ms, t->tz_offset_min, to);
			tx__buf_printf(&r->scratch, "%s%s" DASH "%s", k ? ", " : "", from, to);
		}
		if (r->scratch.err)
			return;
		LINE(l);
		add(&l, tx__display_name(p), 1);
		add(&l, p->role == TX_ROLE_FACILITATOR ? " (facilitator): " : " (member): ", 0);
		add(&l, r->scratch.p + mark, 0);
		r->w->attendee(r->b, &l);
		/* Reuse the scratch space: the row has been written. */
		r->scratch.len = mark;
	}
	if (t->n_attendance == 0) {
		LINE(l);
		add(&l, "no one attended", 0);
		r->w->attendee(r->b, &l);
	}
	r->w->part(r->b, PART_ATTENDANCE_END);
}

/* The first words of a highlighted message, on one line, into scratch. */
static const char *quote_of(struct render *r, const struct tx_entry *m)
{
	size_t n = strlen(m->text), i = 0, cps = 0, start = r->scratch.len;
	tx__buf_puts(&r->scratch, "\xe2\x80\x9c");
	while (i < n && cps < QUOTE_MAX_CPS) {
		uint32_t cp;
		size_t k = tx__utf8_next(m->text + i, n - i, &cp);
		if (cp == '\n' || cp == '\r')
			tx__buf_put(&r->scratch, " ", 1);
		else
			tx__buf_put(&r->scratch, m->text + i, k);
		i += k, cps++;
	}
	tx__buf_puts(&r->scratch, i < n ? "\xe2\x80\xa6\xe2\x80\x9d" : "\xe2\x80\x9d");
	if (r->scratch.err)
		return "";
	/* Terminate this quote; the next use appends after it. */
	tx__buf_put(&r->scratch, "", 1);
	return r->scratch.p + start;
}

static void render_event(struct render *r, const struct tx_entry *e, struct event_line *ev)
{
	struct line *l = ev->body;
	const char *who = e->user_id ? who_of(r, e->user_id) : NULL;

	switch (e->type) {
	case TX_ENTRY_JOINED:
		add(l, who, 1), add(l, " joined", 0);
		break;
	case TX_ENTRY_LEFT:
		add(l, who, 1), add(l, " left", 0);
		break;
	case TX_ENTRY_REMOVED:
		add(l, who, 1), add(l, " was removed from the session by a facilitator", 0);
		break;
	case TX_ENTRY_OPENED:
	case TX_ENTRY_CLOSED:
		add(l, e->type == TX_ENTRY_OPENED ? "Session opened" : "Session closed", 0);
		if (who)
			add(l, " by ", 0), add(l, who, 1);
		break;
	case TX_ENTRY_EXTENDED:
		snprintf(ev->minutes, sizeof(ev->minutes), " extended the session by %lld minute%s",
			 (long long)e->minutes, e->minutes == 1 ? "" : "s");
		add(l, who, 1), add(l, ev->minutes, 0);
		break;
	case TX_ENTRY_HIGHLIGHT: {
		const struct tx_entry *m = tx__index_message(&r->ix, e->seq);
		ev->highlight = 1;
		add(l, MARK_HIGHLIGHT ": ", 0);
		add(l, who, 1);
		add(l, " marked ", 0);
		add(l, who_of(r, m->user_id), 1);
		add(l, "\xe2\x80\x99s message ", 0);
		if (m->text)
			add(l, quote_of(r, m), 1);
		else
			add(l, TX_REDACTED_TEXT, 0);
		break;
	}
	default:
		break;
	}
}

static void render_entries(struct render *r)
{
	const struct tx_transcript *t = r->t;
	int64_t day = tx__local_day(t->opened_ms, t->tz_offset_min);
	r->w->part(r->b, PART_ENTRIES_BEGIN);
	for (size_t i = 0; i < t->n_entries && !r->b->err && !r->scratch.err; i++) {
		const struct tx_entry *e = &t->entries[i];
		int64_t d = tx__local_day(e->at_ms, t->tz_offset_min);
		/* The date is shown once at the top, and again only if midnight passes. */
		if (d != day) {
			char date[40];
			tx__fmt_date(e->at_ms, t->tz_offset_min, date);
			r->w->day(r->b, date);
			day = d;
		}
		r->scratch.len = 0;
		if (e->type == TX_ENTRY_MESSAGE || e->type == TX_ENTRY_ANNOUNCEMENT) {
			const struct tx_person *p = tx__index_person(&r->ix, e->user_id);
			struct msg_line m = {
			    .seq = e->seq,
			    .who = tx__display_name(p),
			    .facilitator = p->role == TX_ROLE_FACILITATOR,
			    .text = e->text,
			    .highlighted = e->highlighted,
			    .announcement = e->type == TX_ENTRY_ANNOUNCEMENT,
			};
			tx__fmt_hhmm(e->at_ms, t->tz_offset_min, m.time);
			tx__fmt_utc(e->at_ms, m.utc);
			r->w->msg(r->b, &m);
		} else {
			LINE(body);
			struct event_line ev = {.body = &body};
			tx__fmt_hhmm(e->at_ms, t->tz_offset_min, ev.time);
			tx__fmt_utc(e->at_ms, ev.utc);
			render_event(r, e, &ev);
			r->w->event(r->b, &ev);
		}
	}
	r->w->part(r->b, PART_ENTRIES_END);
}

static int render_human(const struct tx_transcript *t, const struct writer *w, char **out,
			size_t *len)
{
	struct tx__buf b = {0};
	struct render r = {.t = t, .b = &b, .w = w};
	char date[40];
	int err = tx__index_build(t, &r.ix);
	if (err)
		return err;
	tx__fmt_date(t->opened_ms, t->tz_offset_min, date);
	w->begin(&b, t->group_name, date);
	render_header(&r, date);
	render_facilitators(&r);
	w->part(&b, PART_FIELDS_END);
	render_attendance(&r);
	render_entries(&r);
	w->end(&b);
	if (!b.err)
		b.err = r.scratch.err ? r.scratch.err : r.err;
	tx__buf_free(&r.scratch);
	tx__index_free(&r.ix);
	return tx__buf_finish(&b, out, len);
}

int tx_write(const struct tx_transcript *t, enum tx_format fmt, char **out, size_t *len)
{
	int err = tx_validate(t);
	if (err)
		return err;
	switch (fmt) {
	case TX_JSON:
		return tx_to_json_canonical(t, out, len);
	case TX_MD:
		return render_human(t, &md_writer, out, len);
	case TX_HTML:
		return render_human(t, &html_writer, out, len);
	case TX_TXT:
		return render_human(t, &txt_writer, out, len);
	}
	return TX_EINVAL;
}

static const struct {
	const char *name, *mime;
} formats[] = {
    [TX_JSON] = {"json", "application/json"},
    [TX_MD] = {"md", "text/markdown; charset=utf-8"},
    [TX_HTML] = {"html", "text/html; charset=utf-8"},
    [TX_TXT] = {"txt", "text/plain; charset=utf-8"},
};

int tx_format_parse(const char *name)
{
	for (size_t i = 0; name && i < sizeof(formats) / sizeof(formats[0]); i++)
		if (strcmp(name, formats[i].name) == 0)
			return (int)i;
	return -1;
}

const char *tx_format_ext(enum tx_format fmt)
{
	return (unsigned)fmt < sizeof(formats) / sizeof(formats[0]) ? formats[fmt].name : NULL;
}

const char *tx_format_mime(enum tx_format fmt)
{
	return (unsigned)fmt < sizeof(formats) / sizeof(formats[0]) ? formats[fmt].mime : NULL;
}
