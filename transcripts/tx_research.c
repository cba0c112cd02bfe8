/*
 * tx_research.c — the anonymised research export: one JSON line per
 * transcript, people as pseudonyms that stay stable through one export,
 * only the words of people who consented, and those scrubbed of anything
 * that names or reaches a person (names, usernames, e-mail addresses, phone
 * numbers, links).
 *
 * The scrubber errs towards removing: a date written as 2024-05-14 looks
 * like a phone number and goes, a member called Hope takes the word "hope"
 * with her. Research loses a little text; nobody is identified.
 */
#include "tx_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_NAME_WORD 3 /* shorter words of a display name are not scrubbed alone */

/* ---- characters ---------------------------------------------------------------- */

/*
 * Simple case folding for the scripts names are most often written in
 * here (Latin with its accents, Greek, Cyrillic); other code points compare
 * as they are.
 */
static uint32_t fold(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c < 0xC0)
		return c;
	if (c <= 0xDE && c != 0xD7)
		return c + 32;
	if ((c >= 0x100 && c <= 0x12F) || (c >= 0x132 && c <= 0x137) || (c >= 0x14A && c <= 0x177))
		return c | 1;
	if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
		return (c & 1) ? c + 1 : c;
	if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2)
		return c + 32;
	if (c >= 0x410 && c <= 0x42F)
		return c + 32;
	if (c >= 0x400 && c <= 0x40F)
		return c + 80;
	return c;
}

static int is_digit(uint32_t c)
{
	return c >= '0' && c <= '9';
}

static int is_space(uint32_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0xA0 || c == 0x202F ||
	       (c >= 0x2000 && c <= 0x200B) || c == 0x3000;
}

/*
 * Part of a word: ASCII letters, digits and '_', and non-ASCII code points
 * other than the punctuation and space blocks, so "Zoë" is one word and the
 * ’ in "Zoë’s" ends it.
 */
static int is_word(uint32_t c)
{
	if (c < 0x80)
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_';
	if (c < 0xC0 || c == 0xD7 || c == 0xF7)
		return 0;
	if ((c >= 0x2000 && c <= 0x206F) || (c >= 0x3000 && c <= 0x303F) ||
	    (c >= 0xFE30 && c <= 0xFE6F) || (c >= 0xFF00 && c <= 0xFF0F) || c == 0xFFFD)
		return 0;
	return 1;
}

static int is_letter(uint32_t c)
{
	return is_word(c) && !is_digit(c) && c != '_';
}

/* ---- the text as code points ---------------------------------------------------------- */

struct cps {
	uint32_t *c;
	size_t *off; /* byte offset of each code point; off[n] is the length */
	size_t n;
};

static int decode(const char *s, size_t len, struct cps *t)
{
	t->c = malloc((len + 1) * sizeof(*t->c));
	t->off = malloc((len + 1) * sizeof(*t->off));
	t->n = 0;
	if (!t->c || !t->off) {
		free(t->c);
		free(t->off);
		return TX_ENOMEM;
	}
	size_t i = 0;
	while (i < len) {
		t->off[t->n] = i;
		i += tx__utf8_next(s + i, len - i, &t->c[t->n]);
		t->n++;
	}
	t->off[t->n] = len;
	return 0;
}

static void cps_free(struct cps *t)
{
	free(t->c);
	free(t->off);
}

/* ---- terms --------------------------------------------------------------------------- */

struct term {
	uint32_t *c; /* folded; any run of blanks is one ' ' */
	size_t n;
};

struct tx__terms {
	struct term *v;
	size_t n, cap;
	int err;
};

struct tx__terms *tx__terms_new(void)
{
	return calloc(1, sizeof(struct tx__terms));
}

void tx__terms_free(struct tx__terms *tm)
{
	if (!tm)
		return;
	for (size_t i = 0; i < tm->n; i++)
		free(tm->v[i].c);
	free(tm->v);
	free(tm);
}

/* Add the code points c[0..n) as a term (folded), unless empty or already there. */
static void add_term(struct tx__terms *tm, const uint32_t *c, size_t n)
{
	while (n && is_space(c[n - 1]))
		n--;
	while (n && is_space(c[0]))
		c++, n--;
	if (!n || tm->err)
		return;
	uint32_t *f = malloc(n * sizeof(*f));
	if (!f) {
		tm->err = TX_ENOMEM;
		return;
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (is_space(c[i])) {
			if (f[k - 1] != ' ')
				f[k++] = ' ';
		} else {
			f[k++] = fold(c[i]);
		}
	}
	for (size_t i = 0; i < tm->n; i++)
		if (tm->v[i].n == k && memcmp(tm->v[i].c, f, k * sizeof(*f)) == 0) {
			free(f);
			return;
		}
	if (tm->n == tm->cap) {
		size_t cap = tm->cap ? tm->cap * 2 : 16;
		struct term *v = realloc(tm->v, cap * sizeof(*v));
		if (!v) {
			free(f);
			tm->err = TX_ENOMEM;
			return;
		}
		tm->v = v;
		tm->cap = cap;
	}
	tm->v[tm->n++] = (struct term){f, k};
}

int tx__terms_add_token(struct tx__terms *tm, const char *token)
{
	struct cps t;
	if (!token || !*token)
		return tm->err;
	if (decode(token, strlen(token), &t))
		return tm->err = TX_ENOMEM;
	add_term(tm, t.c, t.n);
	cps_free(&t);
	return tm->err;
}

static size_t count_letters(const uint32_t *c, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += is_letter(c[i]) ? 1 : 0;
	return k;
}

/*
 * A display name goes in whole ("Margaret Hill"), then each blank-separated
 * part ("O'Brien") and each word inside the parts ("Brien"), as long as it
 * has MIN_NAME_WORD letters: "Jo" alone is too common a word to remove.
 */
int tx__terms_add_name(struct tx__terms *tm, const char *name)
{
	struct cps t;
	if (!name || !*name)
		return tm->err;
	if (decode(name, strlen(name), &t))
		return tm->err = TX_ENOMEM;
	add_term(tm, t.c, t.n);
	for (size_t i = 0; i < t.n;) {
		size_t j = i;
		while (j < t.n && !is_space(t.c[j]))
			j++;
		if (count_letters(t.c + i, j - i) >= MIN_NAME_WORD)
			add_term(tm, t.c + i, j - i);
		for (size_t w = i; w < j;) {
			size_t e = w;
			while (e < j && is_word(t.c[e]))
				e++;
			if (count_letters(t.c + w, e - w) >= MIN_NAME_WORD)
				add_term(tm, t.c + w, e - w);
			w = e > w ? e : w + 1;
		}
		i = j + 1;
	}
	cps_free(&t);
	return tm->err;
}

static int cmp_term(const void *a, const void *b)
{
	const struct term *x = a, *y = b;
	return (y->n > x->n) - (y->n < x->n);
}

void tx__terms_done(struct tx__terms *tm)
{
	/* Longest first, so "Margaret Hill" becomes one [name], not two. */
	qsort(tm->v, tm->n, sizeof(*tm->v), cmp_term);
}

/* ---- matchers: each returns the code points matched at i, or 0 ------------------------ */

static size_t match_term(const struct term *tm, const struct cps *t, size_t i)
{
	if (i + tm->n > t->n)
		return 0;
	if (is_word(tm->c[0]) && i > 0 && is_word(t->c[i - 1]))
		return 0;
	for (size_t k = 0; k < tm->n; k++) {
		uint32_t c = t->c[i + k];
		if (tm->c[k] == ' ' ? !is_space(c) : fold(c) != tm->c[k])
			return 0;
	}
	size_t e = i + tm->n;
	if (is_word(tm->c[tm->n - 1]) && e < t->n && is_word(t->c[e]))
		return 0;
	return tm->n;
}

static int ascii_ieq(const struct cps *t, size_t i, const char *s)
{
	for (size_t k = 0; s[k]; k++)
		if (i + k >= t->n || fold(t->c[i + k]) != (uint32_t)s[k])
			return 0;
	return 1;
}

/* scheme://… or www.…, to the next blank, minus trailing punctuation. */
static size_t match_url(const struct cps *t, size_t i)
{
	size_t j = i;
	if (i > 0 && is_word(t->c[i - 1]))
		return 0;
	if (ascii_ieq(t, i, "www.")) {
		j = i + 4;
	} else {
		while (j < t->n && j - i < 32 && t->c[j] < 0x80 &&
		       (is_word(t->c[j]) || t->c[j] == '+' || t->c[j] == '-' || t->c[j] == '.'))
			j++;
		if (j == i || !is_letter(t->c[i]) || !ascii_ieq(t, j, "://"))
			return 0;
		j += 3;
	}
	size_t start = j;
	while (j < t->n && !is_space(t->c[j]) && t->c[j] != '<' && t->c[j] != '>' && t->c[j] != '"')
		j++;
	while (j > start && t->c[j - 1] < 0x80 && strchr(".,;:!?)]}'\"", (int)t->c[j - 1]))
		j--;
	return j > start ? j - i : 0;
}

static int is_local(uint32_t c)
{
	return c < 0x80 && (is_word(c) || strchr(".%+-", (int)c));
}

/* local@domain.tld with at least two labels and a TLD of two letters or more. */
static size_t match_email(const struct cps *t, size_t i)
{
	size_t j = i;
	if (i > 0 && is_local(t->c[i - 1]))
		return 0;
	while (j < t->n && is_local(t->c[j]))
		j++;
	if (j == i || j >= t->n || t->c[j] != '@')
		return 0;
	j++;
	size_t labels = 0, end = 0, label_letters = 0;
	for (;;) {
		size_t s = j;
		label_letters = 0;
		while (j < t->n && (is_word(t->c[j]) || t->c[j] == '-') && t->c[j] != '_') {
			label_letters += is_letter(t->c[j]) ? 1 : 0;
			j++;
		}
		if (j == s)
			break;
		labels++;
		end = j;
		if (j + 1 < t->n && t->c[j] == '.' && is_word(t->c[j + 1]))
			j++;
		else
			break;
	}
	if (labels < 2 || label_letters < 2)
		return 0;
	return end - i;
}

static int is_phone_sep(uint32_t c)
{
	return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')';
}

/* 7 or more digits, optionally after +, grouped by spaces, dashes, dots, brackets. */
static size_t match_phone(const struct cps *t, size_t i)
{
	size_t j, digits = 0, end = 0, seps = 0;
	uint32_t c = t->c[i];
	if (i > 0 && (is_word(t->c[i - 1]) || t->c[i - 1] == '+'))
		return 0;
	if (c == '+' || c == '(') {
		if (i + 1 >= t->n || !is_digit(t->c[i + 1]))
			return 0;
	} else if (!is_digit(c)) {
		return 0;
	}
	for (j = c == '+' ? i + 1 : i; j < t->n; j++) {
		c = t->c[j];
		if (is_digit(c)) {
			digits++, seps = 0, end = j + 1;
		} else if (!is_phone_sep(c) || ++seps > 2) {
			break;
		}
	}
	if (digits < 7)
		return 0;
	/*
	 * "(07700 900123)": an opening bracket whose partner is not in the
	 * number stays in the text; the match starts again at the digit.
	 */
	if (t->c[i] == '(') {
		for (j = i; j < end && t->c[j] != ')'; j++)
			;
		if (j == end)
			return 0;
	}
	return end - i;
}

void tx__scrub(const struct tx__terms *tm, const char *text, size_t n, struct tx__buf *b)
{
	struct cps t;
	if (b->err)
		return;
	if (decode(text, n, &t)) {
		b->err = TX_ENOMEM;
		return;
	}
	for (size_t i = 0; i < t.n;) {
		size_t k;
		if ((k = match_url(&t, i))) {
			tx__buf_puts(b, "[link]");
		} else if ((k = match_email(&t, i))) {
			tx__buf_puts(b, "[email]");
		} else if ((k = match_phone(&t, i))) {
			tx__buf_puts(b, "[phone]");
		} else {
			for (size_t m = 0; tm && m < tm->n && !k; m++)
				k = match_term(&tm->v[m], &t, i);
			if (k)
				tx__buf_puts(b, "[name]");
		}
		if (!k) {
			k = 1;
			tx__buf_put(b, text + t.off[i], t.off[i + 1] - t.off[i]);
		}
		i += k;
	}
	cps_free(&t);
}

/* ---- pseudonyms ----------------------------------------------------------------------- */

struct pseudonym {
	int64_t id;
	enum tx_role role;
	char label[32];
};

struct tx_pseudonyms {
	struct pseudonym *v;
	size_t n, cap;
	size_t members, facilitators;
	int64_t sessions;
};

struct tx_pseudonyms *tx_pseudonyms_new(void)
{
	return calloc(1, sizeof(struct tx_pseudonyms));
}

void tx_pseudonyms_free(struct tx_pseudonyms *p)
{
	if (!p)
		return;
	free(p->v);
	free(p);
}

/* 0 -> "A", 25 -> "Z", 26 -> "AA", like spreadsheet columns. */
static void letters(size_t k, char *out, size_t cap)
{
	char tmp[16];
	size_t n = 0, v = k + 1;
	while (v > 0 && n < sizeof(tmp)) {
		v--;
		tmp[n++] = (char)('A' + v % 26);
		v /= 26;
	}
	size_t i = 0;
	while (n > 0 && i + 1 < cap)
		out[i++] = tmp[--n];
	out[i] = '\0';
}

/*
 * The pseudonym of (id, role), assigned on first sight. Keyed by role too:
 * someone who facilitates one group and is a member of another gets two
 * unrelated pseudonyms rather than a "Member" label on a facilitator.
 */
static const char *pseudonym(struct tx_pseudonyms *ps, const struct tx_person *p)
{
	for (size_t i = 0; i < ps->n; i++)
		if (ps->v[i].id == p->id && ps->v[i].role == p->role)
			return ps->v[i].label;
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 32;
		struct pseudonym *v = realloc(ps->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		ps->v = v;
		ps->cap = cap;
	}
	struct pseudonym *n = &ps->v[ps->n++];
	n->id = p->id;
	n->role = p->role;
	if (p->role == TX_ROLE_FACILITATOR) {
		snprintf(n->label, sizeof(n->label), "Facilitator %zu", ++ps->facilitators);
	} else {
		char l[16];
		letters(ps->members++, l, sizeof(l));
		snprintf(n->label, sizeof(n->label), "Member %s", l);
	}
	return n->label;
}

/* ---- the research line ------------------------------------------------------------------- */

struct research {
	const struct tx_transcript *t;
	struct tx__index ix;
	struct tx_pseudonyms *ps;
	struct tx__terms *terms;
	json_t *participants; /* consenting people who appear, in order of first appearance */
	unsigned char *seen;  /* per t->people index: already met in this line */
	size_t omitted_people;
	size_t kept_messages;
	int err;
};

static int consents(const struct tx_person *p)
{
	return p && !p->erased && p->research_consent;
}

static void jput(json_t *o, const char *k, json_t *v, int *err)
{
	if (!v || json_object_set_new(o, k, v) != 0)
		if (!*err)
			*err = TX_ENOMEM;
}

static void jappend(json_t *a, json_t *v, int *err)
{
	if (!v || json_array_append_new(a, v) != 0)
		if (!*err)
			*err = TX_ENOMEM;
}

static int64_t rel_s(const struct research *r, int64_t at_ms)
{
	int64_t d = at_ms - r->t->opened_ms;
	return d >= 0 ? d / 1000 : -((-d + 999) / 1000);
}

static json_t *intervals_of(struct research *r, int64_t id)
{
	json_t *arr = json_array();
	if (!arr)
		return NULL;
	for (size_t i = 0; i < r->t->n_attendance; i++) {
		const struct tx_attendance *a = &r->t->attendance[i];
		if (a->user_id != id)
			continue;
		for (size_t k = 0; k < a->n_intervals; k++) {
			json_t *iv = json_object();
			jappend(arr, iv, &r->err);
			if (!iv)
				continue;
			jput(iv, "from_s", json_integer(rel_s(r, a->intervals[k].from_ms)),
			     &r->err);
			jput(iv, "to_s", json_integer(rel_s(r, a->intervals[k].to_ms)), &r->err);
		}
	}
	return arr;
}

/*
 * The label for person id, or NULL when they did not consent. The first
 * sight of anyone is counted: consenting people join "participants",
 * others the omitted count.
 */
static const char *who(struct research *r, int64_t id)
{
	const struct tx_person *p = id ? tx__index_person(&r->ix, id) : NULL;
	if (!p)
		return NULL;
	size_t at = (size_t)(p - r->t->people);
	int first = !r->seen[at];
	r->seen[at] = 1;
	if (!consents(p)) {
		r->omitted_people += first;
		return NULL;
	}
	const char *label = pseudonym(r->ps, p);
	if (!label) {
		r->err = TX_ENOMEM;
		return NULL;
	}
	if (first) {
		json_t *o = json_object();
		jappend(r->participants, o, &r->err);
		if (o) {
			jput(o, "pseudonym", json_string(label), &r->err);
			jput(o, "role",
			     json_string(p->role == TX_ROLE_FACILITATOR ? "facilitator" : "member"),
			     &r->err);
			jput(o, "intervals", intervals_of(r, p->id), &r->err);
		}
	}
	return label;
}

static json_t *scrubbed(struct research *r, const char *text)
{
	struct tx__buf b = {0};
	char *s;
	size_t n;
	tx__scrub(r->terms, text, strlen(text), &b);
	if (tx__buf_finish(&b, &s, &n)) {
		r->err = TX_ENOMEM;
		return NULL;
	}
	json_t *v = json_stringn(s, n);
	free(s);
	return v;
}

static json_t *research_message(struct research *r, const struct tx_entry *e)
{
	const char *label = who(r, e->user_id);
	json_t *o = json_object();
	if (!o) {
		r->err = TX_ENOMEM;
		return NULL;
	}
	jput(o, "seq", json_integer(e->seq), &r->err);
	if (!label) {
		/* Not even the time: only that words were here and left out. */
		jput(o, "omitted", json_true(), &r->err);
		return o;
	}
	r->kept_messages++;
	jput(o, "type", json_string(e->type == TX_ENTRY_ANNOUNCEMENT ? "announcement" : "message"),
	     &r->err);
	jput(o, "t", json_integer(rel_s(r, e->at_ms)), &r->err);
	jput(o, "by", json_string(label), &r->err);
	jput(o, "highlighted", json_boolean(e->highlighted), &r->err);
	jput(o, "redacted", json_boolean(e->redacted), &r->err);
	if (e->text)
		jput(o, "text", scrubbed(r, e->text), &r->err);
	return o;
}

/*
 * A system line, or NULL to leave it out: joins, leaves and removals are
 * facts about one person and go with them; the session's own events stay,
 * naming the facilitator only if they consented.
 */
static json_t *research_event(struct research *r, const struct tx_entry *e)
{
	const char *label = who(r, e->user_id);
	int personal =
	    e->type == TX_ENTRY_JOINED || e->type == TX_ENTRY_LEFT || e->type == TX_ENTRY_REMOVED;
	if (personal && !label)
		return NULL;
	json_t *o = json_object();
	if (!o) {
		r->err = TX_ENOMEM;
		return NULL;
	}
	jput(o, "type", json_string(tx__entry_name(e->type)), &r->err);
	jput(o, "t", json_integer(rel_s(r, e->at_ms)), &r->err);
	if (label)
		jput(o, "by", json_string(label), &r->err);
	if (e->type == TX_ENTRY_HIGHLIGHT)
		jput(o, "seq", json_integer(e->seq), &r->err);
	if (e->type == TX_ENTRY_EXTENDED)
		jput(o, "minutes", json_integer(e->minutes), &r->err);
	return o;
}

static int build_terms(struct research *r, const struct tx_research_opts *opts)
{
	r->terms = tx__terms_new();
	if (!r->terms)
		return TX_ENOMEM;
	for (size_t i = 0; i < r->t->n_people; i++) {
		const struct tx_person *p = &r->t->people[i];
		tx__terms_add_name(r->terms, p->name);
		tx__terms_add_token(r->terms, p->username);
		tx__terms_add_token(r->terms, p->email);
	}
	for (size_t i = 0; opts->extra_names && opts->extra_names[i]; i++)
		tx__terms_add_name(r->terms, opts->extra_names[i]);
	tx__terms_done(r->terms);
	return r->terms->err;
}

static json_t *research_doc(struct research *r)
{
	json_t *root = json_object(), *entries = json_array();
	r->participants = json_array();
	if (!root || !entries || !r->participants) {
		json_decref(root);
		json_decref(entries);
		json_decref(r->participants);
		r->err = TX_ENOMEM;
		return NULL;
	}
	jput(root, "participants", r->participants, &r->err);
	for (size_t i = 0; i < r->t->n_entries && !r->err; i++) {
		const struct tx_entry *e = &r->t->entries[i];
		json_t *v = e->type == TX_ENTRY_MESSAGE || e->type == TX_ENTRY_ANNOUNCEMENT
				? research_message(r, e)
				: research_event(r, e);
		if (v)
			jappend(entries, v, &r->err);
	}
	/* People who attended without a single entry are still participants. */
	for (size_t i = 0; i < r->t->n_attendance && !r->err; i++)
		who(r, r->t->attendance[i].user_id);
	jput(root, "entries", entries, &r->err);
	jput(root, "format", json_string("hearth-research"), &r->err);
	jput(root, "version", json_integer(1), &r->err);
	jput(root, "session", json_integer(r->ps->sessions + 1), &r->err);
	jput(root, "duration_s", json_integer(rel_s(r, r->t->closed_ms)), &r->err);
	jput(root, "omitted_participants", json_integer((json_int_t)r->omitted_people), &r->err);
	return root;
}

int tx_research_line(const struct tx_transcript *t, const struct tx_research_opts *opts, char **out,
		     size_t *len)
{
	struct research r = {.t = t};
	json_t *root = NULL;
	struct tx__buf b = {0};
	size_t ps_n, ps_members, ps_facilitators;
	int err;

	if (!opts || !opts->pseudonyms)
		return TX_EINVAL;
	err = tx_validate(t);
	if (err)
		return err;
	r.ps = opts->pseudonyms;
	ps_n = r.ps->n, ps_members = r.ps->members, ps_facilitators = r.ps->facilitators;
	err = tx__index_build(t, &r.ix);
	if (err)
		return err;
	r.seen = calloc(t->n_people ? t->n_people : 1, 1);
	err = r.seen ? build_terms(&r, opts) : TX_ENOMEM;
	if (!err) {
		root = research_doc(&r);
		err = r.err ? r.err : (r.kept_messages ? 0 : TX_EEMPTY);
	}
	if (!err) {
		char *s = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
		if (s) {
			tx__buf_puts(&b, s);
			tx__buf_put(&b, "\n", 1);
			free(s);
		}
		err = s ? tx__buf_finish(&b, out, len) : TX_ENOMEM;
	}
	if (err) {
		/* Pseudonyms handed out for a line that was not written are taken back. */
		r.ps->n = ps_n, r.ps->members = ps_members, r.ps->facilitators = ps_facilitators;
	} else {
		r.ps->sessions++;
	}
	json_decref(root);
	tx__terms_free(r.terms);
	free(r.seen);
	tx__index_free(&r.ix);
	return err;
}
