/*
 * test_retention.c — the purge (server/retention.c) on a real database:
 * which applications lose their GP details, screening answers and notes
 * (one case per rule, on both sides of the cut-off), which log-in sessions
 * go, the counts, the audit row and the remembered time; and the calendar
 * arithmetic of the cut-off.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "retention.h"
#include "store.h"
#include "testdir.h"
#include "util.h"

#define DAY (86400LL * 1000)
#define IDLE (30LL * 60 * 1000)

static char *dir;
static struct store *st;
static int64_t now, cutoff;

static int exec_fn(struct store_tx *tx, void *arg)
{
	return store_exec(tx, arg);
}

__attribute__((format(printf, 1, 2))) static void exec(const char *fmt, ...)
{
	va_list ap;
	struct buf b;

	buf_init(&b, 0);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	assert_int_equal(store_run(st, exec_fn, b.data), 0);
	buf_free(&b);
}

struct query {
	const char *sql;
	char out[256];
};

static int query_fn(struct store_tx *tx, void *arg)
{
	struct query *q = arg;
	sqlite3_stmt *s = store_stmt(tx, q->sql);

	if (!s)
		return STORE_EIO;
	q->out[0] = '\0';
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		snprintf(q->out, sizeof q->out, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	return 0;
}

/* The first column of the first row of sql, as text ("" when none or NULL). */
static char *query(const char *sql)
{
	static struct query q;

	q.sql = sql;
	assert_int_equal(store_run(st, query_fn, &q), 0);
	return q.out;
}

static int setup(void **state)
{
	struct store_opts o = {NULL, "NORMAL", 512, 100000};
	char err[256], *path;
	struct tm tm = {.tm_year = 130, .tm_mon = 5, .tm_mday = 15, .tm_hour = 12};

	(void)state;
	dir = testdir_new("retention");
	path = xasprintf("%s/hearth.db", dir);
	o.path = path;
	if (store_open(&st, &o, err, sizeof err))
		fail_msg("store_open: %s", err);
	free(path);
	now = (int64_t)timegm(&tm) * 1000; /* 2030-06-15 12:00 UTC */
	cutoff = retention_cutoff(now, 2);
	exec("INSERT INTO users (id, username, created_at) VALUES (1, 'a', 0), (2, 'b', 0);"
	     "INSERT INTO groups (id, name, category, tz, weekday, start_minute, cycle_start,"
	     " created_at, updated_at) VALUES (1, 'G', 'patient', 'Europe/London', 2, 1140,"
	     " '2026-01-06', 0, 0)");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	store_free(st);
	testdir_remove(dir);
	return 0;
}

/* A membership that came of an application. */
struct mship {
	int present; /* 0: no such membership */
	int active;
	int64_t ended_rel; /* ended_at relative to the cut-off */
};

/* One application with sealed cells, and the memberships that came of it. */
struct app_case {
	const char *what;
	const char *status;
	int64_t decided_ago, updated_ago; /* ms before now; decided_ago 0: never decided */
	struct mship m[2];
	int purged_before;
	int wiped; /* expected */
};

struct purge_job {
	const struct retention_opts *o;
	struct retention_counts *c;
};

static int purge_fn(struct store_tx *tx, void *arg)
{
	struct purge_job *j = arg;

	return retention_run(tx, j->o, j->c, NULL, 0, NULL);
}

static int run_purge(const struct retention_opts *o, struct retention_counts *c)
{
	struct purge_job j = {o, c};

	return store_run(st, purge_fn, &j);
}

static void test_cutoff_is_calendar_years(void **state)
{
	struct tm a = {.tm_year = 128, .tm_mon = 1, .tm_mday = 29, .tm_hour = 9}; /* 2028-02-29 */
	struct tm b = {.tm_year = 127, .tm_mon = 2, .tm_mday = 1, .tm_hour = 9};  /* 2027-03-01 */
	struct tm c = {.tm_year = 128, .tm_mon = 5, .tm_mday = 15, .tm_hour = 12};

	(void)state;
	assert_int_equal(retention_cutoff((int64_t)timegm(&a) * 1000 + 7, 1),
			 (int64_t)timegm(&b) * 1000 + 7);
	assert_int_equal(cutoff, (int64_t)timegm(&c) * 1000);
}

static void test_purge(void **state)
{
	static const struct app_case cases[] = {
	    {"ended over two years ago",
	     "approved",
	     4 * 365 * DAY,
	     4 * 365 * DAY,
	     {{1, 0, -2 * DAY}},
	     0,
	     1},
	    {"ended under two years ago",
	     "approved",
	     4 * 365 * DAY,
	     4 * 365 * DAY,
	     {{1, 0, 2 * DAY}},
	     0,
	     0},
	    {"ended exactly at the cut-off",
	     "approved",
	     4 * 365 * DAY,
	     4 * 365 * DAY,
	     {{1, 0, 0}},
	     0,
	     0},
	    {"still a member", "approved", 4 * 365 * DAY, 4 * 365 * DAY, {{1, 1, 0}}, 0, 0},
	    {"one old and one recent membership",
	     "approved",
	     5 * 365 * DAY,
	     5 * 365 * DAY,
	     {{1, 0, -300 * DAY}, {1, 0, 100 * DAY}},
	     0,
	     0},
	    {"referred three years ago", "referred", 3 * 365 * DAY, 3 * 365 * DAY, {{0}}, 0, 1},
	    {"referred a year ago", "referred", 365 * DAY, 365 * DAY, {{0}}, 0, 0},
	    {"withdrawn recently after an old decision",
	     "withdrawn",
	     3 * 365 * DAY,
	     365 * DAY,
	     {{0}},
	     0,
	     0},
	    {"withdrawn long ago", "withdrawn", 0, 3 * 365 * DAY, {{0}}, 0, 1},
	    {"pending for years (still open)", "pending", 0, 5 * 365 * DAY, {{0}}, 0, 0},
	    {"already purged", "referred", 4 * 365 * DAY, 4 * 365 * DAY, {{0}}, 1, 0},
	};
	struct retention_opts o = {.now = 0, .years = 2, .idle_ms = IDLE, .data_dir = NULL};
	struct retention_counts c;
	int64_t expect_screening = 0, expect_closed = 0;
	char sql[200];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const struct app_case *k = &cases[i];
		int64_t id = (int64_t)i + 1;

		char decided[24] = "NULL";

		if (k->decided_ago)
			snprintf(decided, sizeof decided, "%lld",
				 (long long)(now - k->decided_ago));
		exec("INSERT INTO applications (id, group_id, user_id, status, age_band, answers,"
		     " gp_contact, notes, message, decided_at, screening_purged_at, created_at,"
		     " updated_at) VALUES (%lld, 1, 1, '%s', '45-54', X'01', X'02', X'03', 'm', %s,"
		     " %s, 0, %lld)",
		     (long long)id, k->status, decided, k->purged_before ? "1" : "NULL",
		     (long long)(now - k->updated_ago));
		for (int m = 0; m < 2; m++) {
			if (!k->m[m].present)
				continue;
			if (k->m[m].active)
				exec("INSERT INTO memberships (group_id, user_id, started_at,"
				     " application_id) VALUES (1, 2, 0, %lld)",
				     (long long)id);
			else
				exec("INSERT INTO memberships (group_id, user_id, started_at, "
				     "ended_at,"
				     " application_id) VALUES (1, 1, 0, %lld, %lld)",
				     (long long)(cutoff + k->m[m].ended_rel), (long long)id);
		}
		if (k->wiped && !strcmp(k->status, "approved"))
			expect_screening++;
		else if (k->wiped)
			expect_closed++;
	}
	/* log-in sessions: past expires_at, idle too long, remembered, fresh */
	exec("INSERT INTO auth_sessions (user_id, token_hash, created_at, last_seen, expires_at,"
	     " remember) VALUES (1, 'h1', 0, %lld, %lld, 0), (1, 'h2', 0, %lld, %lld, 0),"
	     " (1, 'h3', 0, %lld, %lld, 1), (1, 'h4', 0, %lld, %lld, 0)",
	     (long long)(now - 1000), (long long)(now - 1), (long long)(now - IDLE - 1),
	     (long long)(now + DAY), (long long)(now - 20 * DAY), (long long)(now + 10 * DAY),
	     (long long)(now - 1000), (long long)(now + DAY));

	o.now = now;
	assert_int_equal(run_purge(&o, &c), 0);
	assert_int_equal(c.screening, expect_screening);
	assert_int_equal(c.closed, expect_closed);
	assert_int_equal(c.sessions, 2);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const char *cells;

		snprintf(sql, sizeof sql,
			 "SELECT (answers IS NULL) || (gp_contact IS NULL) || (notes IS NULL) ||"
			 " (message IS NULL) FROM applications"
			 " WHERE id = %zu",
			 i + 1);
		cells = query(sql);
		if (cases[i].wiped)
			assert_string_equal(cells, "1111");
		else if (!cases[i].purged_before)
			assert_string_equal(cells, "0000");
		snprintf(sql, sizeof sql,
			 "SELECT coalesce(screening_purged_at = %lld, 0) FROM applications WHERE "
			 "id = %zu",
			 (long long)now, i + 1);
		if (strcmp(query(sql), cases[i].wiped ? "1" : "0") && !cases[i].purged_before)
			fail_msg("%s: screening_purged_at", cases[i].what);
	}
	assert_string_equal(query("SELECT group_concat(token_hash) FROM (SELECT token_hash FROM"
				  " auth_sessions ORDER BY 1)"),
			    "h3,h4");
	snprintf(sql, sizeof sql,
		 "SELECT value = '%lld' FROM settings WHERE key ="
		 " 'retention_last_ms'",
		 (long long)now);
	assert_string_equal(query(sql), "1");
	assert_string_equal(
	    query("SELECT detail FROM audit_log WHERE action = 'purge'"),
	    "{\"screening\":1,\"closed_applications\":2,\"sessions\":2,\"mail\":0,"
	    "\"spool_files\":0,\"years\":2}");

	/* a second run finds nothing more, and is recorded too */
	o.now = now; /* the same moment: what was due is gone */
	assert_int_equal(run_purge(&o, &c), 0);
	assert_int_equal(c.screening + c.closed + c.sessions, 0);
	assert_string_equal(query("SELECT count(*) FROM audit_log WHERE action = 'purge'"), "2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_cutoff_is_calendar_years, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_purge, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
