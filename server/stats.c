/*
 * stats.c — GET /api/v1/stats: the manager's aggregate figures (see
 * stats.h). One read-only store job builds every table from counts per
 * person (one SQL row per cell and person), so that the distinct people
 * behind each margin are counted exactly, then hides what stats_suppress()
 * says. Nothing here reads a message, a post or a screening answer.
 */
#include "stats.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acct.h"
#include "clock.h"
#include "http.h"
#include "server.h"
#include "util.h"

static const char *const categories[] = {"patient", "caregiver", "bereaved", "workshop"};
static const char *const board_kinds[] = {"patient",  "caregiver",     "bereaved",
					  "workshop", "conversations", "specialist"};
static const char *const bands[] = {"18-24", "25-34", "35-44", "45-54",
				    "55-64", "65-74", "75+",   "unknown"};

#define NCAT ((int)ARRAY_LEN(categories))

/* One per request, in req->state. */
struct stats_req {
	int months;
	int64_t now, since;		   /* since: the first instant of the oldest month (UTC) */
	char labels[STATS_MONTHS_MAX][16]; /* "YYYY-MM", oldest first */
};

static int name_index(const char *const *names, int n, const char *s)
{
	for (int i = 0; s && i < n; i++)
		if (!strcmp(names[i], s))
			return i;
	return -1;
}

/* ---- counting people ---- */

/* One SQL row: a cell, a person, and what they count there. */
struct tuple {
	int r, c;
	int64_t user;
	int64_t value, extra;
};

struct tuples {
	struct tuple *v;
	size_t n, cap;
};

static void tuples_add(struct tuples *ts, struct tuple t)
{
	if (ts->n == ts->cap) {
		ts->cap = ts->cap ? 2 * ts->cap : 256;
		ts->v = xrealloc(ts->v, ts->cap * sizeof *ts->v);
	}
	ts->v[ts->n++] = t;
}

/* Sort keys for the distinct-people counts of margins (-1: any). */
static int by_r_user(const void *a, const void *b)
{
	const struct tuple *x = a, *y = b;

	if (x->r != y->r)
		return x->r < y->r ? -1 : 1;
	return x->user < y->user ? -1 : x->user > y->user;
}

static int by_c_user(const void *a, const void *b)
{
	const struct tuple *x = a, *y = b;

	if (x->c != y->c)
		return x->c < y->c ? -1 : 1;
	return x->user < y->user ? -1 : x->user > y->user;
}

static int by_user(const void *a, const void *b)
{
	const struct tuple *x = a, *y = b;

	return x->user < y->user ? -1 : x->user > y->user;
}

/*
 * Fill t from tuples that are distinct per (r, c, user): cells add up
 * values and count people; margins' values are sums, and their people
 * are distinct users (a person in two cells of a row is one person there).
 */
static void fill(struct stats_table *t, struct tuples *ts)
{
	size_t i;

	for (i = 0; i < ts->n; i++) {
		t->value[STATS_AT(t, ts->v[i].r, ts->v[i].c)] += ts->v[i].value;
		t->people[STATS_AT(t, ts->v[i].r, ts->v[i].c)]++;
	}
	stats_table_sum(t);
	if (ts->n == 0)
		return; /* nothing to count (and qsort may not be given a NULL array) */
	qsort(ts->v, ts->n, sizeof *ts->v, by_r_user);
	for (i = 0; i < ts->n; i++)
		if (i == 0 || ts->v[i].r != ts->v[i - 1].r || ts->v[i].user != ts->v[i - 1].user)
			t->people[STATS_AT(t, ts->v[i].r, t->cols)]++;
	qsort(ts->v, ts->n, sizeof *ts->v, by_c_user);
	for (i = 0; i < ts->n; i++)
		if (i == 0 || ts->v[i].c != ts->v[i - 1].c || ts->v[i].user != ts->v[i - 1].user)
			t->people[STATS_AT(t, t->rows, ts->v[i].c)]++;
	qsort(ts->v, ts->n, sizeof *ts->v, by_user);
	for (i = 0; i < ts->n; i++)
		if (i == 0 || ts->v[i].user != ts->v[i - 1].user)
			t->people[STATS_AT(t, t->rows, t->cols)]++;
}

/* ---- the tables (store thread) ---- */

static int members_table(struct store_tx *tx, json_t **out)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT g.category, coalesce(a.age_band, 'unknown'),"
					  " m.user_id, count(*) FROM memberships m"
					  " JOIN groups g ON g.id = m.group_id"
					  " LEFT JOIN applications a ON a.id = m.application_id"
					  " WHERE m.ended_at IS NULL GROUP BY 1, 2, 3");
	struct tuples ts = {0};
	struct stats_table t;
	int rc;

	if (!st)
		return STORE_EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct tuple x = {0};

		x.r = name_index(categories, NCAT, (const char *)sqlite3_column_text(st, 0));
		x.c = name_index(bands, (int)ARRAY_LEN(bands) - 1,
				 (const char *)sqlite3_column_text(st, 1));
		if (x.c < 0)
			x.c = (int)ARRAY_LEN(bands) - 1;
		x.user = sqlite3_column_int64(st, 2);
		x.value = sqlite3_column_int64(st, 3);
		if (x.r >= 0)
			tuples_add(&ts, x);
	}
	rc = store_check(tx, rc, "stats_members");
	sqlite3_reset(st);
	if (rc == 0) {
		stats_table_init(&t, NCAT, (int)ARRAY_LEN(bands));
		fill(&t, &ts);
		stats_suppress(&t, STATS_MIN);
		*out = stats_table_json(&t, categories, bands);
		stats_table_free(&t);
	}
	free(ts.v);
	return rc;
}

/*
 * Sessions held by category (no person behind a count of sessions), and
 * attendance: for each closed session, the members of its group when it
 * opened, and whether each came. The rates are hidden as a one-row table
 * of those members (value: member-sessions, people: members) would be.
 */
static int sessions_table(struct store_tx *tx, const struct stats_req *q, json_t **out)
{
	sqlite3_stmt *st;
	struct tuples ts = {0};
	struct stats_table t;
	int64_t held[NCAT + 1] = {0}, came[NCAT + 1] = {0};
	json_t *rows;
	int rc;

	st = store_stmt(tx, "SELECT g.category, count(*) FROM sessions s JOIN groups g"
			    " ON g.id = s.group_id WHERE s.state = 'closed' AND s.opened_at >= ?"
			    " GROUP BY 1");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, q->since);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int c = name_index(categories, NCAT, (const char *)sqlite3_column_text(st, 0));

		if (c >= 0) {
			held[c] = sqlite3_column_int64(st, 1);
			held[NCAT] += held[c];
		}
	}
	rc = store_check(tx, rc, "stats_sessions");
	sqlite3_reset(st);
	if (rc)
		return rc;
	st = store_stmt(tx,
			"SELECT g.category, m.user_id, count(*), sum(EXISTS (SELECT 1"
			" FROM attendance a WHERE a.session_id = s.id AND a.user_id = m.user_id))"
			" FROM sessions s JOIN groups g ON g.id = s.group_id"
			" JOIN memberships m ON m.group_id = s.group_id"
			" AND m.started_at <= s.opened_at"
			" AND (m.ended_at IS NULL OR m.ended_at > s.opened_at)"
			" WHERE s.state = 'closed' AND s.opened_at >= ? GROUP BY 1, 2");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, q->since);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct tuple x = {0};

		x.c = name_index(categories, NCAT, (const char *)sqlite3_column_text(st, 0));
		x.user = sqlite3_column_int64(st, 1);
		x.value = sqlite3_column_int64(st, 2);
		x.extra = sqlite3_column_int64(st, 3);
		if (x.c < 0)
			continue;
		came[x.c] += x.extra;
		came[NCAT] += x.extra;
		tuples_add(&ts, x);
	}
	rc = store_check(tx, rc, "stats_attendance");
	sqlite3_reset(st);
	if (rc) {
		free(ts.v);
		return rc;
	}
	stats_table_init(&t, 1, NCAT);
	fill(&t, &ts);
	stats_suppress(&t, STATS_MIN);
	rows = json_array();
	for (int c = 0; c <= NCAT; c++) {
		size_t e = STATS_AT(&t, 0, c);
		json_t *rate = t.suppressed[e] || t.value[e] == 0
				   ? json_null()
				   : json_real((double)(came[c] * 1000 / t.value[e]) / 1000.0);

		json_array_append_new(rows,
				      json_pack("{s:s,s:I,s:o,s:b}", "category",
						c < NCAT ? categories[c] : "all", "sessions_held",
						(json_int_t)held[c], "attendance_rate", rate,
						"suppressed", t.suppressed[e]));
	}
	*out = rows;
	stats_table_free(&t);
	free(ts.v);
	return 0;
}

/* Published, undeleted board posts per month × board category, hidden by distinct authors. */
static int posts_table(struct store_tx *tx, const struct stats_req *q, json_t **out)
{
	sqlite3_stmt *st = store_stmt(
	    tx,
	    "SELECT strftime('%Y-%m', p.published_at / 1000, 'unixepoch'),"
	    " CASE WHEN f.kind = 'group' THEN g.category ELSE f.kind END, p.author_id, count(*)"
	    " FROM board_posts p JOIN board_topics tp ON tp.id = p.topic_id"
	    " JOIN board_folders f ON f.id = tp.folder_id LEFT JOIN groups g ON g.id = f.group_id"
	    " WHERE p.published_at >= ?1 AND p.published_at <= ?2 AND p.deleted_at IS NULL"
	    " AND p.held = 0 GROUP BY 1, 2, 3");
	const char *labels[STATS_MONTHS_MAX];
	struct tuples ts = {0};
	struct stats_table t;
	int rc;

	if (!st)
		return STORE_EIO;
	for (int i = 0; i < q->months; i++)
		labels[i] = q->labels[i];
	sqlite3_bind_int64(st, 1, q->since);
	sqlite3_bind_int64(st, 2, q->now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct tuple x = {0};

		x.r = name_index(labels, q->months, (const char *)sqlite3_column_text(st, 0));
		x.c = name_index(board_kinds, (int)ARRAY_LEN(board_kinds),
				 (const char *)sqlite3_column_text(st, 1));
		x.user = sqlite3_column_int64(st, 2);
		x.value = sqlite3_column_int64(st, 3);
		if (x.r >= 0 && x.c >= 0)
			tuples_add(&ts, x);
	}
	rc = store_check(tx, rc, "stats_posts");
	sqlite3_reset(st);
	if (rc == 0) {
		stats_table_init(&t, q->months, (int)ARRAY_LEN(board_kinds));
		fill(&t, &ts);
		stats_suppress(&t, STATS_MIN);
		*out = stats_table_json(&t, labels, board_kinds);
		stats_table_free(&t);
	}
	free(ts.v);
	return rc;
}

static int stats_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	const struct stats_req *q = req->state;
	json_t *members = NULL, *sessions = NULL, *posts = NULL;
	int rc = members_table(tx, &members);

	if (rc == 0)
		rc = sessions_table(tx, q, &sessions);
	if (rc == 0)
		rc = posts_table(tx, q, &posts);
	if (rc) {
		json_decref(members);
		json_decref(sessions);
		return rc;
	}
	req->out = json_pack("{s:I,s:i,s:i,s:s,s:o,s:o,s:o}", "generated_at", (json_int_t)q->now,
			     "threshold", STATS_MIN, "months", q->months, "since", q->labels[0],
			     "members", members, "sessions", sessions, "board_posts", posts);
	return 0;
}

/* ---- the route (loop thread) ---- */

/* The window: the current UTC month and the months - 1 before it. */
static void window(struct stats_req *q)
{
	time_t t = (time_t)(q->now / 1000);
	struct tm tm, m;

	gmtime_r(&t, &tm);
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = 0;
	tm.tm_mon -= q->months - 1;
	q->since = (int64_t)timegm(&tm) * 1000; /* timegm normalises the month */
	for (int i = 0; i < q->months; i++) {
		struct tm k = tm;
		time_t s;

		k.tm_mon += i;
		s = timegm(&k);
		gmtime_r(&s, &m);
		snprintf(q->labels[i], sizeof q->labels[i], "%04d-%02d", (m.tm_year + 1900) % 10000,
			 (m.tm_mon % 12) + 1);
	}
}

static void route_stats(struct http_req *req)
{
	const char *months = http_query(req, "months");
	struct stats_req *q;
	int64_t n = STATS_MONTHS_DEFAULT;

	if (req->user.role != ACCT_MANAGER) {
		http_error(req, 403, "not_allowed",
			   "Only the online manager can see these figures.");
		return;
	}
	if (months && parse_int64(months, 1, STATS_MONTHS_MAX, &n)) {
		http_error(req, 400, "bad_field", "months must be a whole number from 1 to 24.");
		return;
	}
	q = xcalloc(1, sizeof *q);
	q->months = (int)n;
	q->now = clock_now_ms();
	window(q);
	req->state = q;
	req->state_free = free;
	http_run(req, stats_fn, NULL);
}

static const struct http_route routes[] = {
    {HTTP_GET, "/api/v1/stats", route_stats, HTTP_ROUTE_AUTH},
};

void stats_init(struct server *srv)
{
	(void)srv;
	http_routes_add(routes, ARRAY_LEN(routes));
}
