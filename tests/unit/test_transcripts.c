/*
 * test_transcripts.c — sealed transcripts against a real SQLite file
 * (server/transcripts_store.c): building a session's transcript from its
 * rows, sealing once, the reading rule (and that the SQL form listing and
 * search use agrees with it), search, the query sanitiser, erasure with
 * re-sealing, and verification finding tampering.
 * mail_enqueue is replaced by a stub: groups.c links apps.c, whose mail is
 * not under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acct.h"
#include "schedule.h"
#include "store.h"
#include "transcripts_store.h"
#include "tx.h"
#include "testdir.h"
#include "util.h"

int mail_enqueue(struct store_tx *tx, int64_t user_id, const char *kind, const char *subject,
		 const char *body_text);
int mail_enqueue(struct store_tx *tx, int64_t user_id, const char *kind, const char *subject,
		 const char *body_text)
{
	(void)tx, (void)user_id, (void)kind, (void)subject, (void)body_text;
	return 0;
}

/* 2026-07-07T18:00:00Z, 19:00 in London (BST, UTC+1) */
#define B "1783447200000"
#define MIN_MS INT64_C(60000)

/*
 * Group 1 meets; session 1 is closed (doors opened 5 minutes early),
 * session 2 is still open, session 3 (group 2) closed with nothing said.
 * Users: 1 facilitator, 2 member then, 3 joined a day later, 4 manager,
 * 5 member of group 2, 6 joined mid-session, 7 left the group before,
 * 8 left mid-session, 9 facilitator of group 2.
 */
static const char seed_sql[] =
    "INSERT INTO users (id, username, display_name, email, role, created_at) VALUES"
    " (1, 'asha', 'Dr Asha Patel', 'asha@example.org', 'facilitator', 1),"
    " (2, 'maggie', 'Margaret Hill', 'mh@example.org', 'member', 1),"
    " (3, 'late', 'Late Joiner', 'l@example.org', 'member', 1),"
    " (4, 'boss', 'Manager', 'b@example.org', 'manager', 1),"
    " (5, 'elsewhere', 'Other Member', 'o@example.org', 'member', 1),"
    " (6, 'mid', 'Mid Joiner', 'm@example.org', 'member', 1),"
    " (7, 'former', 'Former One', 'f@example.org', 'member', 1),"
    " (8, 'leaver', 'Left During', 'ld@example.org', 'member', 1),"
    " (9, 'otherfac', 'Other Facilitator', 'of@example.org', 'facilitator', 1);"
    "INSERT INTO groups (id, name, category, tz, weekday, start_minute, cycle_start,"
    " created_at, updated_at) VALUES"
    " (1, 'Tuesday Carers', 'caregiver', 'Europe/London', 2, 1140, '2026-06-02', 1, 1),"
    " (2, 'Other group', 'patient', 'UTC', 3, 600, '2026-06-03', 1, 1);"
    "INSERT INTO group_facilitators (group_id, user_id, added_at) VALUES (1, 1, 1), (2, 9, 1);"
    "INSERT INTO memberships (group_id, user_id, started_at, ended_at) VALUES"
    " (1, 2, " B " - 864000000, NULL), (1, 3, " B " + 86400000, NULL),"
    " (1, 6, " B " + 600000, NULL), (1, 7, " B " - 1728000000, " B " - 432000000),"
    " (1, 8, " B " - 864000000, " B " + 1800000), (2, 5, " B " - 864000000, NULL);"
    "INSERT INTO sessions (id, group_id, starts_at, ends_at, extended_min, state, opened_at,"
    " closed_at, last_seq) VALUES"
    " (1, 1, " B ", " B " + 4200000, 10, 'closed', " B " - 300000, " B " + 4200000, 4),"
    " (2, 1, " B " + 604800000, " B " + 608400000, 0, 'open', " B " + 604800000, NULL, 0),"
    " (3, 2, " B ", " B " + 3600000, 0, 'closed', " B ", " B " + 3600000, 0);"
    /* seq 4's timestamp is earlier than seq 3's: seq order must win */
    "INSERT INTO messages (session_id, seq, author_id, kind, text, client_id, ts, highlighted)"
    " VALUES (1, 1, 2, 'message', 'Hello everyone', 'c1', " B " + 120000, 1),"
    " (1, 2, 2, 'message', NULL, 'c2', " B " + 180000, 0),"
    " (1, 3, 1, 'announcement', 'Short break', 'c3', " B " + 240000, 0),"
    " (1, 4, 2, 'message', '\xF0\x9F\x8C\xB8 na\xC3\xAFve bluebells', 'c4', " B " + 60000, 0);"
    /* user 2's first two stays overlap (a restart): one interval */
    "INSERT INTO attendance (session_id, user_id, joined_at, left_at) VALUES"
    " (1, 1, " B " - 300000, " B " + 4200000), (1, 2, " B ", " B " + 1200000),"
    " (1, 2, " B " + 600000, " B " + 1800000), (1, 2, " B " + 2400000, " B " + 4200000);"
    "INSERT INTO session_events (session_id, ts, kind, actor_id, user_id, seq, minutes) VALUES"
    " (1, " B " + 300000, 'highlight', 1, NULL, 1, NULL),"
    " (1, " B " + 310000, 'mute', 1, 2, NULL, NULL),"
    " (1, " B " + 3000000, 'extend', 1, NULL, NULL, 10);";

/* ---- fixture ---- */

struct fx {
	char *dir;
	struct store *s;
};

static int exec_fn(struct store_tx *tx, void *arg)
{
	return store_exec(tx, arg);
}

static void exec_ok(struct fx *f, const char *sql)
{
	assert_int_equal(store_run(f->s, exec_fn, (void *)(uintptr_t)sql), 0);
}

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof *f);
	struct store_opts o = {NULL, "NORMAL", 64, 1000};
	char err[256], *path;

	f->dir = testdir_new("tr");
	path = xasprintf("%s/hearth.db", f->dir);
	o.path = path;
	if (store_open(&f->s, &o, err, sizeof err))
		fail_msg("store_open: %s", err);
	free(path);
	exec_ok(f, seed_sql);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_free(f->s);
	testdir_remove(f->dir);
	free(f);
	sched_cleanup();
	return 0;
}

/* One integer from SQL, with ?1 bound to arg. */
struct q {
	const char *sql;
	int64_t arg, v;
};

static int query_fn(struct store_tx *tx, void *a)
{
	struct q *q = a;
	sqlite3_stmt *st = store_stmt(tx, q->sql);

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, q->arg);
	q->v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_reset(st);
	return 0;
}

static int64_t query(struct fx *f, const char *sql, int64_t arg)
{
	struct q q = {sql, arg, -1};

	assert_int_equal(store_run(f->s, query_fn, &q), 0);
	return q.v;
}

struct seal_arg {
	int64_t session;
	int sealed;
};

static int seal_fn(struct store_tx *tx, void *a)
{
	struct seal_arg *s = a;

	return trs_seal(tx, s->session, &s->sealed);
}

static int seal(struct fx *f, int64_t session)
{
	struct seal_arg s = {session, -1};

	assert_int_equal(store_run(f->s, seal_fn, &s), 0);
	return s.sealed;
}

static int load_fn(struct store_tx *tx, void *a)
{
	struct trs_row *r = a;

	return trs_load(tx, r->session_id, r);
}

/* The stored transcript of session, parsed (and its row in *row when not NULL). */
static struct tx_transcript *load(struct fx *f, int64_t session, struct trs_row *row)
{
	struct trs_row r = {.session_id = session};
	struct tx_transcript *t = NULL;

	assert_int_equal(store_run(f->s, load_fn, &r), 0);
	assert_int_equal(tx_verify(r.canon, r.len, r.seal), 0);
	assert_int_equal(tx_from_json(r.canon, r.len, &t), 0);
	if (row)
		*row = r;
	else
		trs_row_free(&r);
	return t;
}

/* ---- building and sealing ---- */

static void seals_once_with_the_session_in_order(void **state)
{
	struct fx *f = *state;
	static const enum tx_entry_type want[] = {
	    TX_ENTRY_OPENED,  TX_ENTRY_JOINED,	     TX_ENTRY_JOINED,	TX_ENTRY_MESSAGE,
	    TX_ENTRY_MESSAGE, TX_ENTRY_ANNOUNCEMENT, TX_ENTRY_MESSAGE,	TX_ENTRY_HIGHLIGHT,
	    TX_ENTRY_LEFT,    TX_ENTRY_JOINED,	     TX_ENTRY_EXTENDED, TX_ENTRY_CLOSED,
	};
	struct trs_row r1, r2;
	struct tx_transcript *t;
	const struct tx_attendance *a2 = NULL;

	assert_int_equal(seal(f, 1), 1);
	t = load(f, 1, &r1);
	assert_int_equal(t->session_id, 1);
	assert_string_equal(t->group_name, "Tuesday Carers");
	assert_string_equal(t->tz_name, "Europe/London");
	assert_int_equal(t->tz_offset_min, 60);
	assert_string_equal(r1.local_date, "2026-07-07");
	/* the slot's hour: the extension is an entry, not part of the schedule */
	assert_int_equal(t->scheduled_end_ms - t->scheduled_start_ms, 60 * MIN_MS);
	assert_int_equal(t->closed_ms - t->opened_ms, 75 * MIN_MS);
	/* people: the facilitator and the one member who was there, no one else */
	assert_int_equal(t->n_people, 2);
	assert_int_equal(tx_find_person(t, 1)->role, TX_ROLE_FACILITATOR);
	assert_string_equal(tx_find_person(t, 2)->name, "Margaret Hill");
	assert_int_equal(tx_find_person(t, 2)->role, TX_ROLE_MEMBER);
	assert_null(tx_find_person(t, 2)->email); /* never sealed */
	/* entries */
	assert_int_equal(t->n_entries, ARRAY_LEN(want));
	for (size_t i = 0; i < ARRAY_LEN(want); i++)
		assert_int_equal(t->entries[i].type, want[i]);
	assert_int_equal(t->entries[3].seq, 1);
	assert_true(t->entries[3].highlighted);
	assert_true(t->entries[4].redacted);
	assert_null(t->entries[4].text);
	assert_int_equal(t->entries[6].seq, 4);
	assert_int_equal(t->entries[10].minutes, 10);
	/* attendance: overlapping stays merged, then a second stay */
	for (size_t i = 0; i < t->n_attendance; i++)
		if (t->attendance[i].user_id == 2)
			a2 = &t->attendance[i];
	assert_non_null(a2);
	assert_int_equal(a2->n_intervals, 2);
	assert_int_equal(a2->intervals[0].to_ms - a2->intervals[0].from_ms, 30 * MIN_MS);
	tx_transcript_free(t);

	/* a second seal changes nothing */
	assert_int_equal(seal(f, 1), 0);
	t = load(f, 1, &r2);
	assert_string_equal(r1.seal, r2.seal);
	assert_string_equal(r1.canon, r2.canon);
	trs_row_free(&r1);
	trs_row_free(&r2);
	tx_transcript_free(t);
	assert_int_equal(query(f,
			       "SELECT count(*) FROM audit_log WHERE action = 'transcript_sealed'"
			       " AND target_id = ?1",
			       1),
			 1);
	assert_int_equal(query(f,
			       "SELECT message_count * 10 + attendance_count FROM transcripts"
			       " WHERE session_id = ?1",
			       1),
			 42);
}

static int unsealed_fn(struct store_tx *tx, void *a)
{
	int64_t *ids = a;
	size_t n;
	int rc = trs_unsealed(tx, ids[0], ids + 1, 8, &n);

	ids[0] = (int64_t)n;
	return rc;
}

static void open_and_missing_sessions_are_not_sealed(void **state)
{
	struct fx *f = *state;
	int64_t ids[9] = {0}; /* in: after which id; out: how many */

	assert_int_equal(store_run(f->s, unsealed_fn, ids), 0);
	assert_int_equal(ids[0], 2);
	assert_int_equal(ids[1], 1);
	assert_int_equal(ids[2], 3);
	ids[0] = 1; /* the sweep's cursor gets past a session it could not seal */
	assert_int_equal(store_run(f->s, unsealed_fn, ids), 0);
	assert_int_equal(ids[0], 1);
	assert_int_equal(ids[1], 3);
	ids[0] = 0;
	assert_int_equal(seal(f, 2), 0); /* still open */
	assert_int_equal(seal(f, 999), 0);
	assert_int_equal(query(f, "SELECT count(*) FROM transcripts WHERE session_id = ?1", 2), 0);
	assert_int_equal(seal(f, 3), 1); /* nothing said is still a transcript */
	ids[0] = 0;
	assert_int_equal(store_run(f->s, unsealed_fn, ids), 0);
	assert_int_equal(ids[0], 1);
	assert_int_equal(ids[1], 1);
}

/* ---- the reading rule ---- */

struct read_arg {
	int64_t session, user;
	int role, verdict, sealed;
	int64_t group;
};

static int read_fn(struct store_tx *tx, void *a)
{
	struct read_arg *r = a;

	return trs_may_read(tx, r->session, r->user, r->role, &r->verdict, &r->sealed, &r->group);
}

static void reading_rule_and_its_sql_agree(void **state)
{
	struct fx *f = *state;
	static const struct {
		int64_t user;
		int role, verdict;
	} cases[] = {
	    {1, ACCT_FACILITATOR, TRS_READ},  /* the group's facilitator */
	    {2, ACCT_MEMBER, TRS_READ},	      /* a member that day */
	    {3, ACCT_MEMBER, TRS_NOT_MEMBER}, /* joined a day later */
	    {4, ACCT_MANAGER, TRS_NOT_MEMBER},
	    {5, ACCT_MEMBER, TRS_NOT_FOUND},  /* another group's member */
	    {6, ACCT_MEMBER, TRS_READ},	      /* joined while it ran */
	    {7, ACCT_MEMBER, TRS_NOT_MEMBER}, /* left the group before */
	    {8, ACCT_MEMBER, TRS_READ},	      /* left while it ran */
	    {9, ACCT_FACILITATOR, TRS_NOT_FOUND},
	};

	assert_int_equal(seal(f, 1), 1);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct read_arg r = {1, cases[i].user, cases[i].role, -1, -1, -1};
		int64_t sql_says;

		assert_int_equal(store_run(f->s, read_fn, &r), 0);
		assert_int_equal(r.verdict, cases[i].verdict);
		assert_int_equal(r.sealed, 1);
		assert_int_equal(r.group, 1);
		sql_says = query(f,
				 "SELECT count(*) FROM transcripts t WHERE t.session_id = 1"
				 " AND " TRS_READABLE_SQL("t", "?1"),
				 cases[i].user);
		assert_int_equal(sql_says, cases[i].verdict == TRS_READ);
	}
	{
		struct read_arg r = {999, 2, ACCT_MEMBER, -1, -1, -1};

		assert_int_equal(store_run(f->s, read_fn, &r), 0);
		assert_int_equal(r.verdict, TRS_NOT_FOUND);
		assert_int_equal(r.group, 0);
	}
	{
		/* session 2 is open: readable, not sealed */
		struct read_arg r = {2, 2, ACCT_MEMBER, -1, -1, -1};

		assert_int_equal(store_run(f->s, read_fn, &r), 0);
		assert_int_equal(r.verdict, TRS_READ);
		assert_int_equal(r.sealed, 0);
	}
}

/* ---- search ---- */

static void fts_queries_are_only_words(void **state)
{
	static const struct {
		const char *in, *out;
		int words;
	} cases[] = {
	    {"hello", "\"hello\"*", 1},
	    {"  hello   world ", "\"hello\" \"world\"*", 2},
	    {"a\"b", "\"a\" \"b\"*", 2},
	    {"NEAR(x y)", "\"NEAR\" \"x\" \"y\"*", 3},
	    {"text:secret", "\"text\" \"secret\"*", 2},
	    {"x-y OR ^z*", "\"x\" \"y\" \"OR\" \"z\"*", 4},
	    {"caf\xC3\xA9", "\"caf\xC3\xA9\"*", 1},
	    {"***", "", 0},
	    {"", "", 0},
	    {"1 2 3 4 5 6 7 8 9", "\"1\" \"2\" \"3\" \"4\" \"5\" \"6\" \"7\" \"8\"*", 8},
	    {"bad \xFF utf8", NULL, -1},
	};
	char out[512], big[TRS_QUERY_MAX + 2];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		int n = trs_fts_query(cases[i].in, out, sizeof out);

		assert_int_equal(n, cases[i].words);
		if (n >= 0)
			assert_string_equal(out, cases[i].out);
	}
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(trs_fts_query(big, out, sizeof out), -1);
	big[TRS_QUERY_MAX] = '\0';
	assert_int_equal(trs_fts_query(big, out, sizeof out), 1);
	assert_int_equal(trs_fts_query("hello", out, 4), 0); /* no room: nothing half-quoted */
}

struct search_arg {
	int64_t user;
	const char *q;
	json_t *out, *sessions;
};

static int search_fn(struct store_tx *tx, void *a)
{
	struct search_arg *s = a;
	char fts[256];

	assert_true(trs_fts_query(s->q, fts, sizeof fts) > 0);
	return trs_search(tx, s->user, fts, 10, &s->out, &s->sessions);
}

static json_t *search(struct fx *f, int64_t user, const char *q)
{
	struct search_arg s = {user, q, NULL, NULL};

	assert_int_equal(store_run(f->s, search_fn, &s), 0);
	json_decref(s.sessions);
	return s.out;
}

static void search_only_what_one_may_read(void **state)
{
	struct fx *f = *state;
	json_t *r, *hit, *m;

	assert_int_equal(seal(f, 1), 1);
	r = search(f, 2, "hello");
	assert_int_equal(json_array_size(r), 1);
	hit = json_array_get(r, 0);
	assert_int_equal(json_integer_value(json_object_get(hit, "seq")), 1);
	assert_string_equal(json_string_value(json_object_get(hit, "author")), "Margaret Hill");
	json_decref(r);
	/* offsets count UTF-16 units: the flower is two, "naïve" five */
	r = search(f, 1, "bluebells");
	hit = json_object_get(json_array_get(r, 0), "snippet");
	m = json_array_get(json_object_get(hit, "matches"), 0);
	assert_int_equal(json_integer_value(json_object_get(m, "start")), 9);
	assert_int_equal(json_integer_value(json_object_get(m, "length")), 9);
	assert_null(strchr(json_string_value(json_object_get(hit, "text")), '\x01'));
	json_decref(r);
	for (int64_t u = 3; u <= 5; u++) { /* later member, manager, other group */
		r = search(f, u, "hello");
		assert_int_equal(json_array_size(r), 0);
		json_decref(r);
	}
	r = search(f, 2, "naive"); /* diacritics folded */
	assert_int_equal(json_array_size(r), 1);
	json_decref(r);
	r = search(f, 1, "removed"); /* the redaction's stand-in is not a word of the group */
	assert_int_equal(json_array_size(r), 0);
	json_decref(r);
}

/* ---- erasure and verification ---- */

static int erase_fn(struct store_tx *tx, void *a)
{
	return trs_erase_user(tx, *(int64_t *)a);
}

static void erase(struct fx *f, int64_t user)
{
	assert_int_equal(store_run(f->s, erase_fn, &user), 0);
}

struct verify_arg {
	int64_t total, bad, last_bad;
	char why[128];
};

static void on_bad(int64_t session_id, const char *why, void *a)
{
	struct verify_arg *v = a;

	v->last_bad = session_id;
	snprintf(v->why, sizeof v->why, "%s", why);
}

static int verify_fn(struct store_tx *tx, void *a)
{
	struct verify_arg *v = a;

	return trs_verify_all(tx, on_bad, v, &v->total, &v->bad);
}

static struct verify_arg verify(struct fx *f)
{
	struct verify_arg v = {0};

	assert_int_equal(store_run(f->s, verify_fn, &v), 0);
	return v;
}

static void erasure_reseals_and_verify_still_passes(void **state)
{
	struct fx *f = *state;
	struct trs_row before, after;
	struct tx_transcript *t;
	struct verify_arg v;
	json_t *r;

	assert_int_equal(seal(f, 1), 1);
	assert_int_equal(seal(f, 3), 1);
	tx_transcript_free(load(f, 1, &before));
	erase(f, 2);
	t = load(f, 1, &after);
	assert_true(tx_find_person(t, 2)->erased);
	assert_null(tx_find_person(t, 2)->name);
	assert_null(strstr(after.canon, "Margaret"));
	assert_string_not_equal(before.seal, after.seal);
	tx_transcript_free(t);
	v = verify(f);
	assert_int_equal(v.total, 2);
	assert_int_equal(v.bad, 0);
	assert_int_equal(query(f,
			       "SELECT count(*) FROM audit_log WHERE action = 'transcript_resealed'"
			       " AND target_id = ?1",
			       1),
			 1);
	r = search(f, 1, "hello");
	assert_string_equal(json_string_value(json_object_get(json_array_get(r, 0), "author")),
			    TX_ERASED_NAME);
	json_decref(r);
	/* erasing again finds nothing left to change */
	erase(f, 2);
	assert_int_equal(query(f,
			       "SELECT count(*) FROM audit_log WHERE action = 'transcript_resealed'"
			       " AND target_id = ?1",
			       1),
			 1);
	trs_row_free(&before);
	trs_row_free(&after);
}

static void verify_finds_tampering_even_with_a_new_seal(void **state)
{
	struct fx *f = *state;
	struct verify_arg v;
	struct trs_row r;
	char seal_hex[65], *sql;

	assert_int_equal(seal(f, 1), 1);
	assert_int_equal(seal(f, 3), 1);
	exec_ok(f, "UPDATE transcripts SET canon = replace(canon, 'Hello everyone', 'Goodbye all')"
		   " WHERE session_id = 1");
	v = verify(f);
	assert_int_equal(v.bad, 1);
	assert_int_equal(v.last_bad, 1);
	assert_non_null(strstr(v.why, "does not match its seal"));

	/* an erasure now must not launder it: the text is rewritten, the stale seal kept */
	erase(f, 1);
	v = verify(f);
	assert_int_equal(v.bad, 1);
	assert_int_equal(query(f,
			       "SELECT count(*) FROM audit_log"
			       " WHERE action = 'transcript_erase_unsealed' AND target_id = ?1",
			       1),
			 1);

	/* recomputing the seal as well: the audit log still remembers the real one */
	{
		struct trs_row q = {.session_id = 1};

		assert_int_equal(store_run(f->s, load_fn, &q), 0);
		r = q;
	}
	assert_int_equal(tx_seal(r.canon, r.len, seal_hex), 0);
	sql = xasprintf("UPDATE transcripts SET seal = '%s' WHERE session_id = 1", seal_hex);
	exec_ok(f, sql);
	free(sql);
	trs_row_free(&r);
	v = verify(f);
	assert_int_equal(v.bad, 1);
	assert_non_null(strstr(v.why, "audit log"));
	assert_int_equal(v.total, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(seals_once_with_the_session_in_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(open_and_missing_sessions_are_not_sealed, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(reading_rule_and_its_sql_agree, setup, teardown),
	    cmocka_unit_test(fts_queries_are_only_words),
	    cmocka_unit_test_setup_teardown(search_only_what_one_may_read, setup, teardown),
	    cmocka_unit_test_setup_teardown(erasure_reseals_and_verify_still_passes, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(verify_finds_tampering_even_with_a_new_seal, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
