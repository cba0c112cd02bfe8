/*
 * tx.c — the transcript model: building it, checking it, freeing it, and
 * the small helpers (buffer, UTF-8, local time, lookups) the writers share.
 */
#include "tx_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *tx_strerror(int err)
{
	switch (err) {
	case TX_OK:
		return "ok";
	case TX_ENOMEM:
		return "out of memory";
	case TX_EINVAL:
		return "transcript model is inconsistent";
	case TX_EPARSE:
		return "not a canonical transcript";
	case TX_ETOOBIG:
		return "transcript exceeds a size limit";
	case TX_ESEAL:
		return "transcript does not match its seal";
	case TX_ECRYPTO:
		return "digest failed";
	case TX_EEMPTY:
		return "no consenting author: nothing to export";
	}
	return "unknown error";
}

/* ---- buffer ---------------------------------------------------------------- */

void tx__buf_put(struct tx__buf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (n >= SIZE_MAX / 2 - b->len) {
		b->err = TX_ENOMEM;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->err = TX_ENOMEM;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void tx__buf_puts(struct tx__buf *b, const char *s)
{
	tx__buf_put(b, s, strlen(s));
}

void tx__buf_printf(struct tx__buf *b, const char *fmt, ...)
{
	/* Only ever used for short fixed-shape pieces (numbers, times). */
	char tmp[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		if (!b->err)
			b->err = TX_EINVAL;
		return;
	}
	tx__buf_put(b, tmp, (size_t)n);
}

int tx__buf_finish(struct tx__buf *b, char **out, size_t *len)
{
	if (!b->err && !b->p)
		tx__buf_put(b, "", 0);
	if (b->err) {
		int err = b->err;
		tx__buf_free(b);
		return err;
	}
	*out = b->p;
	*len = b->len;
	b->p = NULL;
	b->len = b->cap = 0;
	return 0;
}

void tx__buf_free(struct tx__buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

char *tx__strdup(const char *s, int *err)
{
	if (!s)
		return NULL;
	char *p = strdup(s);
	if (!p)
		*err = TX_ENOMEM;
	return p;
}

/* ---- UTF-8 ----------------------------------------------------------------- */

size_t tx__utf8_next(const char *s, size_t n, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t c = u[0];
	size_t len;
	uint32_t min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xE0) == 0xC0) {
		len = 2, c &= 0x1F, min = 0x80;
	} else if ((c & 0xF0) == 0xE0) {
		len = 3, c &= 0x0F, min = 0x800;
	} else if ((c & 0xF8) == 0xF0) {
		len = 4, c &= 0x07, min = 0x10000;
	} else {
		goto bad;
	}
	if (len > n)
		goto bad;
	for (size_t i = 1; i < len; i++) {
		if ((u[i] & 0xC0) != 0x80)
			goto bad;
		c = (c << 6) | (u[i] & 0x3F);
	}
	/* Overlong forms, surrogates and values past Unicode are not UTF-8. */
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		goto bad;
	*cp = c;
	return len;
bad:
	*cp = 0xFFFD;
	return 1;
}

int tx__utf8_valid(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint32_t cp;
		size_t k = tx__utf8_next(s + i, n - i, &cp);
		/* A real U+FFFD is three bytes; one byte decoding to it was invalid. */
		if (cp == 0 || (cp == 0xFFFD && k == 1))
			return 0;
		i += k;
	}
	return 1;
}

/* ---- local time -------------------------------------------------------------- */

/* Floor division, so times before 1970 or mid-second still land right. */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static void local_tm(int64_t t_ms, int offset_min, struct tm *tm)
{
	/*
	 * The offset was computed by the server for the session's date, so
	 * shifting and reading the result as UTC gives local wall-clock time
	 * without touching TZ (setenv/tzset are not thread safe).
	 */
	time_t s = (time_t)(floor_div(t_ms, 1000) + (int64_t)offset_min * 60);
	if (!gmtime_r(&s, tm))
		memset(tm, 0, sizeof(*tm));
}

void tx__fmt_hhmm(int64_t t_ms, int offset_min, char out[6])
{
	struct tm tm;
	local_tm(t_ms, offset_min, &tm);
	snprintf(out, 6, "%02u:%02u", (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u);
}

void tx__fmt_date(int64_t t_ms, int offset_min, char out[40])
{
	/* English names of our own: strftime would follow the process locale. */
	static const char *const days[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
					   "Thursday", "Friday", "Saturday"};
	static const char *const months[] = {"January",	  "February", "March",	  "April",
					     "May",	  "June",     "July",	  "August",
					     "September", "October",  "November", "December"};
	struct tm tm;
	local_tm(t_ms, offset_min, &tm);
	snprintf(out, 40, "%s %u %s %u", days[(unsigned)tm.tm_wday % 7],
		 (unsigned)tm.tm_mday % 100u, months[(unsigned)tm.tm_mon % 12],
		 (unsigned)(tm.tm_year + 1900) % 100000u);
}

void tx__fmt_utc(int64_t t_ms, char out[24])
{
	struct tm tm;
	local_tm(t_ms, 0, &tm);
	snprintf(out, 24, "%04u-%02u-%02uT%02u:%02u:%02uZ", (unsigned)(tm.tm_year + 1900) % 10000u,
		 (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u,
		 (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u,
		 (unsigned)tm.tm_sec % 100u);
}

void tx__fmt_offset(int offset_min, char out[16])
{
	int a = offset_min < 0 ? -offset_min : offset_min;
	snprintf(out, 16, "UTC%c%02d:%02d", offset_min < 0 ? '-' : '+', (a / 60) % 100, a % 60);
}

int64_t tx__local_day(int64_t t_ms, int offset_min)
{
	return floor_div(floor_div(t_ms, 1000) + (int64_t)offset_min * 60, 86400);
}

/* ---- lookups ---------------------------------------------------------------- */

static int cmp_person(const void *a, const void *b)
{
	const struct tx_person *x = *(const struct tx_person *const *)a;
	const struct tx_person *y = *(const struct tx_person *const *)b;
	return (x->id > y->id) - (x->id < y->id);
}

static int is_message(const struct tx_entry *e)
{
	return e->type == TX_ENTRY_MESSAGE || e->type == TX_ENTRY_ANNOUNCEMENT;
}

int tx__index_build(const struct tx_transcript *t, struct tx__index *ix)
{
	memset(ix, 0, sizeof(*ix));
	ix->people = calloc(t->n_people ? t->n_people : 1, sizeof(*ix->people));
	ix->msgs = calloc(t->n_entries ? t->n_entries : 1, sizeof(*ix->msgs));
	if (!ix->people || !ix->msgs) {
		tx__index_free(ix);
		return TX_ENOMEM;
	}
	for (size_t i = 0; i < t->n_people; i++)
		ix->people[i] = &t->people[i];
	ix->n_people = t->n_people;
	qsort(ix->people, ix->n_people, sizeof(*ix->people), cmp_person);
	for (size_t i = 0; i < t->n_entries; i++)
		if (is_message(&t->entries[i]))
			ix->msgs[ix->n_msgs++] = &t->entries[i];
	return 0;
}

const struct tx_person *tx__index_person(const struct tx__index *ix, int64_t id)
{
	size_t lo = 0, hi = ix->n_people;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ix->people[mid]->id == id)
			return ix->people[mid];
		if (ix->people[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct tx_entry *tx__index_message(const struct tx__index *ix, int64_t seq)
{
	size_t lo = 0, hi = ix->n_msgs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ix->msgs[mid]->seq == seq)
			return ix->msgs[mid];
		if (ix->msgs[mid]->seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void tx__index_free(struct tx__index *ix)
{
	free(ix->people);
	free(ix->msgs);
	memset(ix, 0, sizeof(*ix));
}

const char *tx__entry_name(enum tx_entry_type type)
{
	static const char *const names[] = {
	    [TX_ENTRY_MESSAGE] = "message",   [TX_ENTRY_ANNOUNCEMENT] = "announcement",
	    [TX_ENTRY_JOINED] = "joined",     [TX_ENTRY_LEFT] = "left",
	    [TX_ENTRY_REMOVED] = "removed",   [TX_ENTRY_HIGHLIGHT] = "highlight",
	    [TX_ENTRY_OPENED] = "opened",     [TX_ENTRY_CLOSED] = "closed",
	    [TX_ENTRY_EXTENDED] = "extended",
	};
	return (unsigned)type < sizeof(names) / sizeof(names[0]) ? names[type] : "unknown";
}

const char *tx__display_name(const struct tx_person *p)
{
	return (!p || p->erased || !p->name) ? TX_ERASED_NAME : p->name;
}

/* ---- building ----------------------------------------------------------------- */

struct tx_transcript *tx_transcript_new(void)
{
	return calloc(1, sizeof(struct tx_transcript));
}

static void person_clear(struct tx_person *p)
{
	free(p->name);
	free(p->username);
	free(p->email);
	p->name = p->username = p->email = NULL;
}

void tx_transcript_free(struct tx_transcript *t)
{
	if (!t)
		return;
	free(t->group_name);
	free(t->tz_name);
	for (size_t i = 0; i < t->n_people; i++)
		person_clear(&t->people[i]);
	free(t->people);
	for (size_t i = 0; i < t->n_attendance; i++)
		free(t->attendance[i].intervals);
	free(t->attendance);
	for (size_t i = 0; i < t->n_entries; i++)
		free(t->entries[i].text);
	free(t->entries);
	free(t);
}

/* Make room for one more element of size sz in *arr (n used, *cap allocated). */
static int grow(void *arr, size_t n, size_t *cap, size_t sz, size_t max)
{
	if (n < *cap)
		return 0;
	if (n >= max)
		return TX_ETOOBIG;
	size_t ncap = *cap ? *cap * 2 : 8;
	if (ncap > max)
		ncap = max;
	void *p = realloc(*(void **)arr, ncap * sz);
	if (!p)
		return TX_ENOMEM;
	*(void **)arr = p;
	*cap = ncap;
	return 0;
}

static int replace_str(char **dst, const char *src)
{
	int err = 0;
	char *p = tx__strdup(src, &err);
	if (err)
		return err;
	free(*dst);
	*dst = p;
	return 0;
}

int tx_set_group(struct tx_transcript *t, int64_t group_id, const char *name)
{
	if (!name)
		return TX_EINVAL;
	int err = replace_str(&t->group_name, name);
	if (!err)
		t->group_id = group_id;
	return err;
}

int tx_set_zone(struct tx_transcript *t, const char *tz_name, int offset_min)
{
	if (!tz_name)
		return TX_EINVAL;
	int err = replace_str(&t->tz_name, tz_name);
	if (!err)
		t->tz_offset_min = offset_min;
	return err;
}

struct tx_person *tx_find_person(const struct tx_transcript *t, int64_t id)
{
	for (size_t i = 0; i < t->n_people; i++)
		if (t->people[i].id == id)
			return &t->people[i];
	return NULL;
}

int tx_add_person(struct tx_transcript *t, int64_t id, enum tx_role role, const char *name)
{
	if (tx_find_person(t, id))
		return TX_EINVAL;
	int err = grow(&t->people, t->n_people, &t->cap_people, sizeof(*t->people), TX_MAX_PEOPLE);
	if (err)
		return err;
	struct tx_person p = {.id = id, .role = role, .erased = name == NULL};
	p.name = tx__strdup(name, &err);
	if (err)
		return err;
	t->people[t->n_people++] = p;
	return 0;
}

int tx_set_contact(struct tx_transcript *t, int64_t id, const char *username, const char *email,
		   bool research_consent)
{
	struct tx_person *p = tx_find_person(t, id);
	if (!p)
		return TX_EINVAL;
	int err = 0;
	char *u = tx__strdup(username, &err);
	char *e = tx__strdup(email, &err);
	if (err) {
		free(u);
		free(e);
		return err;
	}
	free(p->username);
	free(p->email);
	p->username = u;
	p->email = e;
	p->research_consent = research_consent;
	return 0;
}

int tx_erase_person(struct tx_transcript *t, int64_t id)
{
	struct tx_person *p = tx_find_person(t, id);
	if (!p)
		return TX_EINVAL;
	person_clear(p);
	p->erased = true;
	p->research_consent = false;
	return 0;
}

int tx_add_presence(struct tx_transcript *t, int64_t user_id, int64_t from_ms, int64_t to_ms)
{
	struct tx_attendance *a = NULL;
	for (size_t i = 0; i < t->n_attendance; i++)
		if (t->attendance[i].user_id == user_id)
			a = &t->attendance[i];
	if (!a) {
		int err = grow(&t->attendance, t->n_attendance, &t->cap_attendance,
			       sizeof(*t->attendance), TX_MAX_PEOPLE);
		if (err)
			return err;
		a = &t->attendance[t->n_attendance++];
		memset(a, 0, sizeof(*a));
		a->user_id = user_id;
	}
	int err = grow(&a->intervals, a->n_intervals, &a->cap_intervals, sizeof(*a->intervals),
		       TX_MAX_INTERVALS);
	if (err)
		return err;
	a->intervals[a->n_intervals++] = (struct tx_interval){from_ms, to_ms};
	return 0;
}

static int add_entry(struct tx_transcript *t, const struct tx_entry *e)
{
	int err =
	    grow(&t->entries, t->n_entries, &t->cap_entries, sizeof(*t->entries), TX_MAX_ENTRIES);
	if (err)
		return err;
	t->entries[t->n_entries++] = *e;
	return 0;
}

int tx_add_message(struct tx_transcript *t, int64_t seq, int64_t at_ms, int64_t author_id,
		   const char *text, bool highlighted, bool announcement)
{
	int err = 0;
	struct tx_entry e = {
	    .type = announcement ? TX_ENTRY_ANNOUNCEMENT : TX_ENTRY_MESSAGE,
	    .at_ms = at_ms,
	    .seq = seq,
	    .user_id = author_id,
	    .redacted = text == NULL,
	    .highlighted = highlighted,
	};
	e.text = tx__strdup(text, &err);
	if (err)
		return err;
	err = add_entry(t, &e);
	if (err)
		free(e.text);
	return err;
}

int tx_add_event(struct tx_transcript *t, enum tx_entry_type type, int64_t at_ms, int64_t user_id,
		 int64_t arg)
{
	struct tx_entry e = {.type = type, .at_ms = at_ms, .user_id = user_id};
	if (type == TX_ENTRY_MESSAGE || type == TX_ENTRY_ANNOUNCEMENT)
		return TX_EINVAL;
	if (type == TX_ENTRY_HIGHLIGHT)
		e.seq = arg;
	else if (type == TX_ENTRY_EXTENDED)
		e.minutes = arg;
	return add_entry(t, &e);
}

/* ---- validation ---------------------------------------------------------------- */

/* Times beyond 2^53 ms could not be read back exactly by a JavaScript reader. */
#define MAX_MS ((int64_t)1 << 53)

static int valid_ms(int64_t ms)
{
	return ms > 0 && ms < MAX_MS;
}

static int valid_str(const char *s, size_t max, int *err)
{
	if (!s || !*s) {
		*err = TX_EINVAL;
		return 0;
	}
	size_t n = strlen(s);
	if (n > max) {
		*err = TX_ETOOBIG;
		return 0;
	}
	if (!tx__utf8_valid(s, n)) {
		*err = TX_EINVAL;
		return 0;
	}
	return 1;
}

static int validate_header(const struct tx_transcript *t)
{
	int err = TX_EINVAL;
	if (t->session_id <= 0 || t->group_id <= 0)
		return TX_EINVAL;
	if (!valid_str(t->group_name, TX_MAX_NAME_BYTES, &err) ||
	    !valid_str(t->tz_name, TX_MAX_TZ_BYTES, &err))
		return err;
	for (const char *c = t->tz_name; *c; c++)
		if (*c <= ' ' || *c > '~')
			return TX_EINVAL;
	if (t->tz_offset_min < -TX_MAX_OFFSET_MIN || t->tz_offset_min > TX_MAX_OFFSET_MIN)
		return TX_EINVAL;
	if (!valid_ms(t->opened_ms) || !valid_ms(t->closed_ms) || t->closed_ms < t->opened_ms)
		return TX_EINVAL;
	if (t->scheduled_start_ms == 0 && t->scheduled_end_ms == 0)
		return 0;
	if (!valid_ms(t->scheduled_start_ms) || !valid_ms(t->scheduled_end_ms) ||
	    t->scheduled_end_ms < t->scheduled_start_ms)
		return TX_EINVAL;
	return 0;
}

static int validate_people(const struct tx_transcript *t, const struct tx__index *ix)
{
	int err = TX_EINVAL;
	if (t->n_people > TX_MAX_PEOPLE)
		return TX_ETOOBIG;
	for (size_t i = 0; i < ix->n_people; i++) {
		const struct tx_person *p = ix->people[i];
		if (p->id <= 0 || (i > 0 && ix->people[i - 1]->id == p->id))
			return TX_EINVAL;
		if (p->role != TX_ROLE_MEMBER && p->role != TX_ROLE_FACILITATOR)
			return TX_EINVAL;
		if (p->erased != (p->name == NULL))
			return TX_EINVAL;
		if (p->name && !valid_str(p->name, TX_MAX_NAME_BYTES, &err))
			return err;
	}
	return 0;
}

static int validate_attendance(const struct tx_transcript *t, const struct tx__index *ix)
{
	if (t->n_attendance > TX_MAX_PEOPLE)
		return TX_ETOOBIG;
	for (size_t i = 0; i < t->n_attendance; i++) {
		const struct tx_attendance *a = &t->attendance[i];
		if (!tx__index_person(ix, a->user_id))
			return TX_EINVAL;
		for (size_t j = 0; j < i; j++)
			if (t->attendance[j].user_id == a->user_id)
				return TX_EINVAL;
		if (a->n_intervals == 0)
			return TX_EINVAL;
		if (a->n_intervals > TX_MAX_INTERVALS)
			return TX_ETOOBIG;
		for (size_t k = 0; k < a->n_intervals; k++) {
			const struct tx_interval *iv = &a->intervals[k];
			if (!valid_ms(iv->from_ms) || !valid_ms(iv->to_ms) ||
			    iv->to_ms < iv->from_ms)
				return TX_EINVAL;
			if (k > 0 && iv->from_ms < a->intervals[k - 1].to_ms)
				return TX_EINVAL;
		}
	}
	return 0;
}

static int validate_entry(const struct tx_entry *e, const struct tx__index *ix, int64_t *last_seq)
{
	int err = TX_EINVAL;
	const struct tx_person *who = e->user_id ? tx__index_person(ix, e->user_id) : NULL;

	if (!valid_ms(e->at_ms))
		return TX_EINVAL;
	switch (e->type) {
	case TX_ENTRY_MESSAGE:
	case TX_ENTRY_ANNOUNCEMENT:
		if (!who || e->seq <= *last_seq || e->seq >= MAX_MS || e->minutes)
			return TX_EINVAL;
		*last_seq = e->seq;
		if (e->redacted != (e->text == NULL))
			return TX_EINVAL;
		/* Whitespace-only text is still the author's words; empty is not a message. */
		if (e->text && !valid_str(e->text, TX_MAX_TEXT_BYTES, &err))
			return err;
		return 0;
	case TX_ENTRY_HIGHLIGHT:
		if (!who || !tx__index_message(ix, e->seq))
			return TX_EINVAL;
		break;
	case TX_ENTRY_EXTENDED:
		if (!who || e->minutes < 1 || e->minutes > TX_MAX_EXTEND_MIN || e->seq)
			return TX_EINVAL;
		break;
	case TX_ENTRY_JOINED:
	case TX_ENTRY_LEFT:
	case TX_ENTRY_REMOVED:
		if (!who || e->seq || e->minutes)
			return TX_EINVAL;
		break;
	case TX_ENTRY_OPENED:
	case TX_ENTRY_CLOSED:
		if ((e->user_id && !who) || e->seq || e->minutes)
			return TX_EINVAL;
		break;
	default:
		return TX_EINVAL;
	}
	if (e->text || e->redacted || e->highlighted)
		return TX_EINVAL;
	return 0;
}

int tx_validate(const struct tx_transcript *t)
{
	struct tx__index ix;
	int64_t last_seq = 0;
	int err;

	if (!t)
		return TX_EINVAL;
	if (t->n_entries > TX_MAX_ENTRIES || t->n_people > TX_MAX_PEOPLE)
		return TX_ETOOBIG;
	err = validate_header(t);
	if (err)
		return err;
	err = tx__index_build(t, &ix);
	if (err)
		return err;
	err = validate_people(t, &ix);
	if (!err)
		err = validate_attendance(t, &ix);
	for (size_t i = 0; !err && i < t->n_entries; i++)
		if (is_message(&t->entries[i]))
			err = validate_entry(&t->entries[i], &ix, &last_seq);
	/* Highlights refer to messages by seq: check them once the seq order is known good. */
	for (size_t i = 0; !err && i < t->n_entries; i++)
		if (!is_message(&t->entries[i]))
			err = validate_entry(&t->entries[i], &ix, &last_seq);
	tx__index_free(&ix);
	return err;
}
