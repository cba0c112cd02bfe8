/*
 * test_groups.c — the groups module's rules against a real SQLite file
 * (server/groups.c, server/apps.c): settings checks, calendar days,
 * access over membership intervals, GROUPS_SHARE_SQL, the extension's
 * moving of a cycle's base, and sealed screening cells bound to their row.
 * mail_enqueue is replaced by a recorder: mail.c's sender is not under test.
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

#include "apps.h"
#include "crypto.h"
#include "groups.h"
#include "groups_int.h"
#include "mail.h"
#include "schedule.h"
#include "store.h"
#include "testdir.h"
#include "util.h"

#define DAY_MS INT64_C(86400000)

/* ---- a recorder in place of the mail module ---- */

static int mails;
static char last_kind[64];

int mail_enqueue(struct store_tx *tx, int64_t user_id, const char *kind, const char *subject,
		 const char *body_text)
{
	(void)tx;
	(void)user_id;
	assert_non_null(subject);
	assert_non_null(body_text);
	mails++;
	snprintf(last_kind, sizeof last_kind, "%s", kind);
	return 0;
}

/* ---- fixtures ---- */

struct fx {
	char *dir;
	struct store *s;
	struct crypto_fieldkey key;
	struct apps_ctx ctx;
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof *f);
	struct store_opts o = {NULL, "NORMAL", 64, 1000};
	char err[256], *keyp, *path;

	f->dir = testdir_new("groups");
	path = xasprintf("%s/hearth.db", f->dir);
	o.path = path;
	if (store_open(&f->s, &o, err, sizeof err))
		fail_msg("store_open: %s", err);
	free(path);
	keyp = xasprintf("%s/keys/field.key", f->dir);
	assert_int_equal(crypto_fieldkey_load_or_create(keyp, &f->key), 0);
	free(keyp);
	f->ctx.key = &f->key;
	f->ctx.offer_hours = 72;
	f->ctx.reminder_hours = 24;
	mails = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_free(f->s);
	crypto_fieldkey_wipe(&f->key);
	testdir_remove(f->dir);
	free(f);
	sched_cleanup();
	return 0;
}

static int exec_fn(struct store_tx *tx, void *arg)
{
	return store_exec(tx, arg);
}

static void exec_ok(struct fx *f, const char *sql)
{
	assert_int_equal(store_run(f->s, exec_fn, (void *)(uintptr_t)sql), 0);
}

struct q {
	const char *sql;
	int64_t v;
};

static int query_fn(struct store_tx *tx, void *arg)
{
	struct q *q = arg;
	sqlite3_stmt *st = store_stmt(tx, q->sql);

	return st ? groups__step_int64(tx, st, &q->v, "test") : STORE_EIO;
}

static int64_t query(struct fx *f, const char *sql)
{
	struct q q = {sql, -1};

	assert_int_equal(store_run(f->s, query_fn, &q), 0);
	return q.v;
}

static void users(struct fx *f)
{
	exec_ok(f, "INSERT INTO users (id, username, display_name, email, role, created_at) VALUES"
		   " (1, 'ann', 'Ann', 'a@x.org', 'member', 0),"
		   " (2, 'bob', 'Bob', 'b@x.org', 'facilitator', 0),"
		   " (3, 'cat', 'Cat', 'c@x.org', 'member', 0),"
		   " (4, 'dan', 'Dan', 'd@x.org', 'member', 0),"
		   " (5, 'eve', 'Eve', 'e@x.org', 'manager', 0)");
}

/* Insert a group from JSON settings; returns its id. */
struct mk {
	const char *json;
	int64_t id;
};

static int mk_fn(struct store_tx *tx, void *arg)
{
	struct mk *m = arg;
	struct groups_spec g;
	struct groups_why why = {0};
	json_t *o = json_loads(m->json, 0, NULL);
	int rc;

	assert_non_null(o);
	groups_spec_init(&g);
	rc = groups_spec_apply(&g, o, 1, &why);
	if (rc)
		fail_msg("spec refused: %s", why.msg);
	rc = groups_insert(tx, &g, 5, &m->id, &why);
	groups_spec_free(&g);
	json_decref(o);
	return rc;
}

static int64_t mk_group(struct fx *f, const char *json)
{
	struct mk m = {json, 0};

	assert_int_equal(store_run(f->s, mk_fn, &m), 0);
	return m.id;
}

/* ---- settings ---- */

static void spec_checks(void **state)
{
	static const struct {
		const char *json;
		int creating;
		const char *code; /* NULL: accepted */
	} cases[] = {
	    {"{\"name\":\"A\",\"category\":\"patient\",\"timezone\":\"Europe/London\","
	     "\"weekday\":4,\"start_time\":\"19:00\",\"cycle_start\":\"2027-03-04\"}",
	     1, NULL},
	    {"{\"name\":\"A\",\"category\":\"workshop\",\"timezone\":\"UTC\","
	     "\"weekday\":\"Sunday\",\"start_time\":\"00:00\",\"cycle_start\":\"2027-03-04\","
	     "\"cycle_weeks\":15,\"intake_close_weeks\":14,\"hiatus_weeks\":52}",
	     1, NULL},
	    {"{\"name\":\"A\"}", 1, "missing_field"},
	    {"{\"capacity\":8}", 0, NULL},
	    {"{\"capacity\":0}", 0, "bad_field"},
	    {"{\"capacity\":\"8\"}", 0, "bad_field"},
	    {"{\"name\":\"tab\\there\"}", 0, "bad_field"},
	    {"{\"description\":\"two\\nlines\"}", 0, NULL},
	    {"{\"weekday\":\"someday\"}", 0, "bad_field"},
	    {"{\"start_time\":\"7:00\"}", 0, "bad_field"},
	    {"{\"start_time\":\"23:60\"}", 0, "bad_field"},
	    {"{\"duration_min\":241}", 0, "bad_field"},
	    {"{\"cycle_weeks\":14}", 0, "bad_field"},
	    {"{\"intake_close_weeks\":12}", 0, "bad_schedule"},
	    {"{\"timezone\":\"Atlantis/Capital\"}", 0, "bad_schedule"},
	    {"{\"cycle_start\":\"2027-13-01\"}", 0, "bad_schedule"},
	    {"{\"facilitators\":[1,2,3,4,5,6,7,8,9]}", 0, "bad_field"},
	    {"{\"facilitators\":[0]}", 0, "bad_field"},
	    {"{\"screening_questions\":[\"\"]}", 0, "bad_field"},
	    {"{\"screening_questions\":[1]}", 0, "bad_field"},
	    {"{\"checkins_enabled\":1}", 0, "bad_field"},
	    {"{\"owner\":1}", 0, "unknown_field"},
	};
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct groups_spec g;
		struct groups_why why = {0};
		json_t *o = json_loads(cases[i].json, 0, NULL);
		int rc;

		assert_non_null(o);
		groups_spec_init(&g);
		/* an edit starts from a valid group */
		snprintf(g.slot.tz, sizeof g.slot.tz, "Europe/London");
		snprintf(g.slot.cycle_start, sizeof g.slot.cycle_start, "2027-03-04");
		rc = groups_spec_apply(&g, o, cases[i].creating, &why);
		if (cases[i].code) {
			assert_int_equal(rc, -1);
			assert_string_equal(why.code, cases[i].code);
			assert_int_equal(why.status, 400);
		} else if (rc) {
			fail_msg("case %zu refused: %s", i, why.msg);
		}
		groups_spec_free(&g);
		json_decref(o);
	}
}

/* ---- calendar days ---- */

static void calendar_days(void **state)
{
	static const char *const dates[] = {"1970-01-01", "2000-02-29", "2024-02-29",
					    "2027-03-28", "2100-03-01", "2199-12-31"};
	static const int64_t days[] = {0, 11016, 19782, 20905, 47541, 84005};
	struct sched_slot s = {.tz = "Europe/London",
			       .weekday = 4,
			       .start_minute = 19 * 60,
			       .duration_min = 60,
			       .cycle_start = "2027-03-01",
			       .cycle_weeks = 12,
			       .hiatus_weeks = 2};
	struct sched_occurrence occ[16];
	const char *wd;
	char date[11];
	int64_t d;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(dates); i++) {
		assert_int_equal(groups__date_days(dates[i], &d), 0);
		assert_int_equal(d, days[i]);
		groups__days_date(d, date);
		assert_string_equal(date, dates[i]);
	}
	assert_int_equal(groups__date_days("2027-3-01", &d), -1);
	assert_int_equal(groups__date_days("2027-03-01x", &d), -1);
	/* the first session is the first Thursday on or after a Monday start;
	 * after 12 weeks and 2 of hiatus the next cycle's first is 14 weeks on */
	assert_int_equal(sched_expand(&s, SCHED_MIN_MS, SCHED_MAX_MS, occ, 14), 14);
	groups_occurrence_date(&s, &occ[0], date, &wd);
	assert_string_equal(date, "2027-03-04");
	assert_string_equal(wd, "Thursday");
	groups_occurrence_date(&s, &occ[3], date, NULL);
	assert_string_equal(date, "2027-03-25");
	groups_occurrence_date(&s, &occ[4], date, NULL); /* after the clocks changed */
	assert_string_equal(date, "2027-04-01");
	groups_occurrence_date(&s, &occ[12], date, NULL);
	assert_string_equal(date, "2027-06-10");
	assert_int_equal(occ[12].cycle, 2);
}

/* ---- access ---- */

struct acc {
	int64_t group, user, at;
	int access;
};

static int access_fn(struct store_tx *tx, void *arg)
{
	struct acc *a = arg;

	return groups_access(tx, a->group, a->user, a->at, &a->access);
}

static int access_of(struct fx *f, int64_t group, int64_t user, int64_t at)
{
	struct acc a = {group, user, at, -1};

	assert_int_equal(store_run(f->s, access_fn, &a), 0);
	return a.access;
}

static void access_over_time(void **state)
{
	struct fx *f = *state;
	struct acc missing = {999, 1, 0, -1};
	int64_t g;

	users(f);
	g = mk_group(f, "{\"name\":\"G\",\"category\":\"patient\",\"timezone\":\"UTC\","
			"\"weekday\":1,\"start_time\":\"10:00\",\"cycle_start\":\"2027-01-04\","
			"\"facilitators\":[2]}");
	exec_ok(f, "INSERT INTO memberships (group_id, user_id, started_at, ended_at)"
		   " VALUES (1, 1, 1000, 2000), (1, 1, 5000, NULL)");
	static const struct {
		int64_t user, at;
		int want;
	} cases[] = {
	    {1, 999, GROUP_NONE},
	    {1, 1000, GROUP_MEMBER},
	    {1, 1999, GROUP_MEMBER},
	    {1, 2000, GROUP_NONE},
	    {1, 4999, GROUP_NONE},
	    {1, 5000, GROUP_MEMBER},
	    {1, INT64_C(1) << 50, GROUP_MEMBER},
	    {2, 0, GROUP_FACILITATOR},
	    {3, 1500, GROUP_NONE},
	    {5, 1500, GROUP_NONE}, /* a manager is not a member */
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		assert_int_equal(access_of(f, g, cases[i].user, cases[i].at), cases[i].want);
	/* a demoted facilitator loses the group at once */
	exec_ok(f, "UPDATE users SET role = 'member' WHERE id = 2");
	assert_int_equal(access_of(f, g, 2, 0), GROUP_NONE);
	assert_int_equal(store_run(f->s, access_fn, &missing), STORE_ENOTFOUND);
}

static void share_sql(void **state)
{
	struct fx *f = *state;
	static const struct {
		int a, b, want;
	} pairs[] = {
	    {1, 2, 1}, {2, 1, 1}, /* member and facilitator of group 1 */
	    {1, 3, 0},		  /* 3 left group 1 */
	    {1, 4, 0}, {4, 2, 0}, /* 4 is in group 2 only */
	    {4, 4, 1}, {3, 3, 0}, {5, 1, 0},
	};
	char sql[1024];

	users(f);
	mk_group(f,
		 "{\"name\":\"G1\",\"category\":\"patient\",\"timezone\":\"UTC\",\"weekday\":1,"
		 "\"start_time\":\"10:00\",\"cycle_start\":\"2027-01-04\",\"facilitators\":[2]}");
	mk_group(f, "{\"name\":\"G2\",\"category\":\"bereaved\",\"timezone\":\"UTC\",\"weekday\":2,"
		    "\"start_time\":\"10:00\",\"cycle_start\":\"2027-01-04\"}");
	exec_ok(f, "INSERT INTO memberships (group_id, user_id, started_at, ended_at) VALUES"
		   " (1, 1, 0, NULL), (1, 3, 0, 10), (2, 4, 0, NULL)");
	for (size_t i = 0; i < ARRAY_LEN(pairs); i++) {
		snprintf(
		    sql, sizeof sql,
		    "SELECT " GROUPS_SHARE_SQL("x.a", "x.b") " FROM (SELECT %d AS a, %d AS b) x",
		    pairs[i].a, pairs[i].b);
		if (query(f, sql) != pairs[i].want)
			fail_msg("share(%d, %d) should be %d", pairs[i].a, pairs[i].b,
				 pairs[i].want);
	}
}

/* ---- extension ---- */

struct ext {
	int64_t group, now;
	struct groups_why why;
	struct apps_tick_stats st;
	const struct apps_ctx *ctx;
};

static int grant_fn(struct store_tx *tx, void *arg)
{
	struct ext *e = arg;

	return groups_grant_extension(tx, e->group, 2, e->now, &e->why);
}

static int tick_fn(struct store_tx *tx, void *arg)
{
	struct ext *e = arg;

	return apps_tick(tx, e->ctx, e->now, &e->st);
}

static int64_t utc(int y, int m, int d)
{
	int64_t days;
	char s[11];

	snprintf(s, sizeof s, "%04d-%02d-%02d", y, m, d);
	assert_int_equal(groups__date_days(s, &days), 0);
	return days * DAY_MS;
}

static void extension_moves_the_cycle(void **state)
{
	struct fx *f = *state;
	struct ext e = {.ctx = &f->ctx};
	int64_t g;

	users(f);
	/* Mondays from 4 January 2027: 12 weeks, 2 of hiatus; cycle 2 from 12 April */
	g = mk_group(f, "{\"name\":\"G\",\"category\":\"patient\",\"timezone\":\"UTC\","
			"\"weekday\":1,\"start_time\":\"10:00\",\"cycle_start\":\"2027-01-04\","
			"\"hiatus_weeks\":2,\"facilitators\":[2]}");
	e.group = g;
	e.now = utc(2027, 4, 1); /* in the hiatus: nothing to extend */
	assert_int_equal(store_run(f->s, grant_fn, &e), STORE_ECONFLICT);
	assert_string_equal(e.why.code, "not_in_cycle");
	e.now = utc(2027, 5, 1); /* in cycle 2 */
	assert_int_equal(store_run(f->s, grant_fn, &e), 0);
	assert_int_equal(query(f, "SELECT cycle_start = '2027-04-12' AND extension_weeks = 12"
				  " AND cycles_before = 1 FROM groups WHERE id = 1"),
			 1);
	assert_int_equal(store_run(f->s, grant_fn, &e), STORE_ECONFLICT);
	assert_string_equal(e.why.code, "already_extended");
	/* still extended just before the 24th week ends */
	e.now = utc(2027, 9, 26);
	assert_int_equal(store_run(f->s, tick_fn, &e), 0);
	assert_int_equal(e.st.rolled, 0);
	/* 24 weeks from 12 April end on 27 September; then 2 weeks of hiatus */
	e.now = utc(2027, 9, 27) + 1;
	assert_int_equal(store_run(f->s, tick_fn, &e), 0);
	assert_int_equal(e.st.rolled, 1);
	assert_int_equal(query(f, "SELECT cycle_start = '2027-10-11' AND extension_weeks = 0"
				  " AND cycles_before = 2 FROM groups WHERE id = 1"),
			 1);
	assert_int_equal(store_run(f->s, tick_fn, &e), 0);
	assert_int_equal(e.st.rolled, 0);
}

/* ---- sealed cells ---- */

struct sub {
	const struct apps_ctx *ctx;
	int64_t group, user, id;
	json_t *body, *out;
	struct groups_why why;
	int64_t viewer;
	int role;
};

static int submit_fn(struct store_tx *tx, void *arg)
{
	struct sub *s = arg;

	return apps_submit(tx, s->ctx, s->group, s->user, s->body, 1000, &s->id, &s->why);
}

static int open_fn(struct store_tx *tx, void *arg)
{
	struct sub *s = arg;

	return apps_open(tx, s->ctx, s->id, s->viewer, s->role, &s->out, &s->why);
}

static int erase_fn(struct store_tx *tx, void *arg)
{
	return groups_erase_user(tx, (int64_t)(uintptr_t)arg);
}

static void sealed_cells_stay_in_their_row(void **state)
{
	struct fx *f = *state;
	struct sub s = {.ctx = &f->ctx, .user = 1};
	const char *body = "{\"answers\":[\"secret answer\"],\"age_band\":\"25-34\","
			   "\"gp\":{\"name\":\"Dr Who\",\"practice\":\"Tardis\",\"phone\":\"1\"}}";

	users(f);
	s.group = mk_group(f, "{\"name\":\"G\",\"category\":\"workshop\",\"timezone\":\"UTC\","
			      "\"weekday\":1,\"start_time\":\"10:00\","
			      "\"cycle_start\":\"2027-01-04\",\"facilitators\":[2],"
			      "\"screening_questions\":[\"Why?\"]}");
	s.body = json_loads(body, 0, NULL);
	assert_int_equal(store_run(f->s, submit_fn, &s), 0);
	assert_int_equal(mails, 2); /* the applicant, the one facilitator */
	s.user = 3;
	assert_int_equal(store_run(f->s, submit_fn, &s), 0);
	json_decref(s.body);
	assert_int_equal(query(f, "SELECT count(*) FROM applications WHERE"
				  " instr(answers, 'secret') OR instr(gp_contact, 'Tardis')"),
			 0);

	s.viewer = 2;
	s.role = 1;
	assert_int_equal(store_run(f->s, open_fn, &s), 0);
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(json_object_get(s.out, "answers"), 0), "answer")),
			    "secret answer");
	json_decref(s.out);
	s.out = NULL;
	/* a blob copied to another row does not open there */
	exec_ok(f, "UPDATE applications SET answers = (SELECT answers FROM applications"
		   " WHERE id = 1) WHERE id = 2");
	assert_int_equal(store_run(f->s, open_fn, &s), STORE_EIO);
	assert_null(s.out);
	/* others: the applicant 1 sees only the status; a manager is told no; others nothing */
	s.id = 1;
	s.viewer = 1;
	s.role = 0;
	assert_int_equal(store_run(f->s, open_fn, &s), 0);
	assert_null(json_object_get(s.out, "answers"));
	json_decref(s.out);
	s.out = NULL;
	s.viewer = 5;
	s.role = 2;
	assert_int_equal(store_run(f->s, open_fn, &s), STORE_EFORBIDDEN);
	assert_string_equal(s.why.code, "screening_private");
	s.viewer = 4;
	s.role = 0;
	assert_int_equal(store_run(f->s, open_fn, &s), STORE_ENOTFOUND);
	assert_null(s.out);
	/* erasure wipes the sealed cells and ends memberships */
	exec_ok(f, "INSERT INTO memberships (group_id, user_id, started_at) VALUES (1, 1, 0)");
	assert_int_equal(store_run(f->s, erase_fn, (void *)(uintptr_t)1), 0);
	assert_int_equal(query(f, "SELECT answers IS NULL AND gp_contact IS NULL AND"
				  " screening_purged_at IS NOT NULL AND status = 'withdrawn'"
				  " FROM applications WHERE id = 1"),
			 1);
	assert_int_equal(query(f, "SELECT gp_contact IS NOT NULL FROM applications WHERE id = 2"),
			 1);
	assert_int_equal(query(f, "SELECT ended_reason = 'erased' FROM memberships"
				  " WHERE user_id = 1"),
			 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(spec_checks),
	    cmocka_unit_test(calendar_days),
	    cmocka_unit_test_setup_teardown(access_over_time, setup, teardown),
	    cmocka_unit_test_setup_teardown(share_sql, setup, teardown),
	    cmocka_unit_test_setup_teardown(extension_moves_the_cycle, setup, teardown),
	    cmocka_unit_test_setup_teardown(sealed_cells_stay_in_their_row, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	sched_cleanup();
	return rc;
}
