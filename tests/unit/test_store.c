/*
 * test_store.c — migrations, group commit and draining (server/store.c),
 * against a real SQLite file and a real store thread on a real uv loop.
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
#include <unistd.h>

#include "schema.h"
#include "store.h"
#include "testdir.h"
#include "util.h"

static char *scratch; /* one folder for the whole run, removed at its end */

static int group_setup(void **state)
{
	(void)state;
	scratch = testdir_new("store");
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	testdir_remove(scratch);
	scratch = NULL;
	return 0;
}

/* A database path in a folder of its own (a store makes -wal and -shm beside it). */
static char *tmp_db(void)
{
	static int n;
	char *dir = xasprintf("%s/%d", scratch, ++n), *path;

	assert_int_equal(mkdir(dir, 0700), 0);
	path = xasprintf("%s/hearth.db", dir);
	free(dir);
	return path;
}

static struct store *open_ok(const char *path)
{
	struct store_opts o = {path, "FULL", 512, 100000};
	struct store *s = NULL;
	char err[256];

	if (store_open(&s, &o, err, sizeof err))
		fail_msg("store_open: %s", err);
	return s;
}

static int count_rows(struct store_tx *tx, void *arg)
{
	sqlite3_stmt *st = store_stmt(tx, (const char *)((void **)arg)[0]);

	if (!st || sqlite3_step(st) != SQLITE_ROW)
		return STORE_EIO;
	*(int *)((void **)arg)[1] = sqlite3_column_int(st, 0);
	return 0;
}

static int query_int(struct store *s, const char *sql)
{
	int n = -1;
	void *arg[2] = {(void *)(uintptr_t)sql, &n};

	assert_int_equal(store_run(s, count_rows, arg), 0);
	return n;
}

static void migrations_apply_once(void **state)
{
	char *path = tmp_db();
	struct store *s = open_ok(path);
	size_t n;

	(void)state;
	schema_migrations(&n);
	assert_int_equal(query_int(s, "SELECT count(*) FROM schema_migrations"), (int)n);
	assert_int_equal(query_int(s, "SELECT max(version) FROM schema_migrations"),
			 store_schema_latest());
	store_free(s);
	/* reopening applies nothing new: same rows, same applied_at */
	s = open_ok(path);
	assert_int_equal(query_int(s, "SELECT count(*) FROM schema_migrations"), (int)n);
	assert_int_equal(query_int(s, "SELECT count(DISTINCT applied_at) <= 2 FROM schema_migrations"),
			 1);
	store_free(s);
	free(path);
}

static int bump_version(struct store_tx *tx, void *arg)
{
	(void)arg;
	return store_exec(tx, "INSERT INTO schema_migrations VALUES (9999, 'future', 0)");
}

static void newer_database_refused(void **state)
{
	char *path = tmp_db();
	struct store *s = open_ok(path);
	struct store_opts o = {path, "FULL", 512, 100000};
	char err[256];

	(void)state;
	assert_int_equal(store_run(s, bump_version, NULL), 0);
	store_free(s);
	s = NULL;
	assert_int_equal(store_open(&s, &o, err, sizeof err), STORE_ECONFLICT);
	assert_null(s);
	assert_non_null(strstr(err, "newer than this hearth"));
	free(path);
}

/* ---- group commit ---- */

#define JOBS 3000

struct batch_test {
	uv_loop_t loop;
	struct store *s;
	int done, failed, ok;
	int stopped;
};

struct insert_job {
	struct batch_test *t;
	int n;
};

static int make_table(struct store_tx *tx, void *arg)
{
	(void)arg;
	return store_exec(tx, "CREATE TABLE IF NOT EXISTS t (n INTEGER PRIMARY KEY)");
}

static int insert_row(struct store_tx *tx, void *arg)
{
	struct insert_job *j = arg;
	sqlite3_stmt *st = store_stmt(tx, "INSERT INTO t (n) VALUES (?)");

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int(st, 1, j->n);
	return store_check(tx, sqlite3_step(st), "insert");
}

static void insert_done(int rc, void *arg)
{
	struct insert_job *j = arg;

	j->t->done++;
	if (rc == 0)
		j->t->ok++;
	else
		j->t->failed++;
	free(j);
}

static void on_stopped(void *arg)
{
	((struct batch_test *)arg)->stopped = 1;
}

static void submit_all(struct batch_test *t, int count, int dup_every)
{
	for (int i = 0; i < count; i++) {
		struct insert_job *j = xcalloc(1, sizeof *j);

		j->t = t;
		/* every dup_every-th job repeats a key: it must fail alone */
		j->n = (dup_every && i % dup_every == dup_every - 1) ? i - 1 : i;
		assert_int_equal(store_submit(t->s, insert_row, insert_done, j), 0);
	}
}

static void batches_group_many_writes(void **state)
{
	char *path = tmp_db();
	struct batch_test t = {0};
	struct store_stats ss;

	(void)state;
	t.s = open_ok(path);
	assert_int_equal(store_run(t.s, make_table, NULL), 0);
	assert_int_equal(uv_loop_init(&t.loop), 0);
	assert_int_equal(store_start(t.s, &t.loop), 0);
	submit_all(&t, JOBS, 100);
	while (t.done < JOBS)
		uv_run(&t.loop, UV_RUN_ONCE);
	assert_int_equal(t.failed, JOBS / 100);
	assert_int_equal(t.ok, JOBS - JOBS / 100);
	store_get_stats(t.s, &ss);
	assert_int_equal(ss.jobs, JOBS);
	assert_int_equal(ss.batch_sum, JOBS);
	/* the point of the store thread: far fewer transactions than writes */
	assert_true(ss.commits < JOBS / 4);
	assert_true(ss.commits >= (JOBS + 511) / 512);
	store_stop(t.s, on_stopped, &t);
	while (!t.stopped)
		uv_run(&t.loop, UV_RUN_ONCE);
	assert_int_equal(uv_run(&t.loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&t.loop), 0);
	store_free(t.s);

	t.s = open_ok(path);
	assert_int_equal(query_int(t.s, "SELECT count(*) FROM t"), JOBS - JOBS / 100);
	store_free(t.s);
	free(path);
}

/* store_stop lets every queued job finish, then closes the database so
 * that the WAL is checkpointed and a plain reopen reads everything. */
static void stop_drains_queue_and_checkpoints(void **state)
{
	char *path = tmp_db(), *wal = xasprintf("%s-wal", path);
	struct batch_test t = {0};
	struct stat st;

	(void)state;
	t.s = open_ok(path);
	assert_int_equal(store_run(t.s, make_table, NULL), 0);
	assert_int_equal(uv_loop_init(&t.loop), 0);
	assert_int_equal(store_start(t.s, &t.loop), 0);
	submit_all(&t, 500, 0);
	store_stop(t.s, on_stopped, &t); /* at once: the queue is still full */
	assert_int_equal(store_submit(t.s, insert_row, insert_done, NULL), STORE_ESTOPPED);
	assert_int_equal(uv_run(&t.loop, UV_RUN_DEFAULT), 0);
	assert_true(t.stopped);
	assert_int_equal(t.ok, 500);
	assert_int_equal(uv_loop_close(&t.loop), 0);
	store_free(t.s);
	/* no WAL left behind, or an empty one */
	assert_true(stat(wal, &st) != 0 || st.st_size == 0);
	t.s = open_ok(path);
	assert_int_equal(query_int(t.s, "SELECT count(*) FROM t"), 500);
	store_free(t.s);
	free(wal);
	free(path);
}

static void queue_limit_refuses(void **state)
{
	char *path = tmp_db();
	struct store_opts o = {path, "FULL", 16, 16};
	struct store *s = NULL;
	uv_loop_t loop;
	char err[256];
	int stopped = 0, refused = 0;
	struct batch_test t = {0};

	(void)state;
	assert_int_equal(store_open(&s, &o, err, sizeof err), 0);
	assert_int_equal(store_run(s, make_table, NULL), 0);
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(store_start(s, &loop), 0);
	t.s = s;
	for (int i = 0; i < 1000; i++) {
		struct insert_job *j = xcalloc(1, sizeof *j);

		j->t = &t;
		j->n = i;
		if (store_submit(s, insert_row, insert_done, j) == STORE_EBUSY) {
			refused++;
			free(j);
		}
	}
	store_stop(s, on_stopped, &stopped);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(t.done + refused, 1000);
	assert_true(refused > 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	store_free(s);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(migrations_apply_once),
		cmocka_unit_test(newer_database_refused),
		cmocka_unit_test(batches_group_many_writes),
		cmocka_unit_test(stop_drains_queue_and_checkpoints),
		cmocka_unit_test(queue_limit_refuses),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
