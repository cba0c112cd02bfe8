/*
 * test_backup.c — database copies (server/backup.c): names, pruning, the
 * CLI's snapshot copy, the store thread's step-by-step copy while writes
 * go on, the checks a restore makes, the restore itself, and the data
 * folder lock. Real files and real SQLite databases throughout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backup.h"
#include "store.h"
#include "testdir.h"
#include "util.h"

/* ---- helpers ---- */

static char *tmp_dir(void)
{
	return testdir_new("backup");
}

static void rm_tree(char *dir)
{
	testdir_remove(dir);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static struct store *open_store(const char *path)
{
	struct store_opts o = {path, "FULL", 512, 100000};
	struct store *s = NULL;
	char err[256];

	if (store_open(&s, &o, err, sizeof err))
		fail_msg("store_open: %s", err);
	return s;
}

static int exec_fn(struct store_tx *tx, void *arg)
{
	return store_exec(tx, arg);
}

static void run_sql(struct store *s, const char *sql)
{
	assert_int_equal(store_run(s, exec_fn, (void *)(uintptr_t)sql), 0);
}

/* A Hearth database at path with `rows` rows in table t (n, a 1 KiB blob). */
static void make_hearth_db(const char *path, int rows)
{
	struct store *s = open_store(path);
	char *sql = xasprintf("CREATE TABLE t (n INTEGER PRIMARY KEY, b BLOB);"
			      "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c"
			      " WHERE i < %d) INSERT INTO t SELECT i, randomblob(1024) FROM c",
			      rows);

	run_sql(s, sql);
	free(sql);
	store_free(s);
}

/* One integer from a plain connection to path. */
static int64_t sql_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void sql_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* A finished backup is a single rollback-journal file, mode 0600, with no
 * temporary file left beside it. */
static void assert_plain_backup(const char *path)
{
	unsigned char head[20];
	struct stat st;
	char *wal = xasprintf("%s-wal", path);
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(read(fd, head, sizeof head), (ssize_t)sizeof head);
	close(fd);
	assert_int_equal(head[18], 1); /* write version: 1 = rollback journal, 2 = WAL */
	assert_int_equal(head[19], 1);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_false(exists(wal));
	free(wal);
}

/* ---- names ---- */

static void names(void **state)
{
	static const struct {
		const char *name;
		int valid;
	} cases[] = {
	    {"hearth-20260102-030405.db", 1},
	    {"hearth-20260102-030405.db.tmp", 0},
	    {".hearth-20260102-030405.db.tmp", 0},
	    {"hearth-2026012-030405.db", 0},
	    {"hearth-20260102-03040x.db", 0},
	    {"Hearth-20260102-030405.db", 0},
	    {"hearth-20260102-030405.dbx", 0},
	    {"hearth.db", 0},
	    {"", 0},
	};
	char name[BACKUP_NAME_LEN], tmp[BACKUP_TMP_LEN];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		assert_int_equal(backup_name_valid(cases[i].name), cases[i].valid);
	/* 2026-01-02T03:04:05.678Z */
	backup_file_name(1767323045678LL, name);
	assert_string_equal(name, "hearth-20260102-030405.db");
	assert_true(backup_name_valid(name));
	backup_tmp_name(name, tmp);
	assert_string_equal(tmp, ".hearth-20260102-030405.db.tmp");
}

/* ---- pruning ---- */

static void prune_keeps_newest(void **state)
{
	char *dir = tmp_dir(), *p;
	char name[BACKUP_NAME_LEN];
	static const char *const others[] = {"notes.txt", "hearth-latest.db", ".mine.db.123.tmp"};

	(void)state;
	/* ten days of backups, written in a shuffled order */
	for (int i = 0; i < 10; i++) {
		int day = (i * 7) % 10;

		backup_file_name((1767323045LL + day * 86400LL) * 1000, name);
		p = xasprintf("%s/%s", dir, name);
		write_file(p, "x");
		free(p);
	}
	for (size_t i = 0; i < ARRAY_LEN(others); i++) {
		p = xasprintf("%s/%s", dir, others[i]);
		write_file(p, "x");
		free(p);
	}
	p = xasprintf("%s/.hearth-20250101-000000.db.tmp", dir); /* left by a crash */
	write_file(p, "x");

	assert_int_equal(backup_prune(dir, 7), 3);
	assert_false(exists(p));
	free(p);
	for (int day = 0; day < 10; day++) {
		backup_file_name((1767323045LL + day * 86400LL) * 1000, name);
		p = xasprintf("%s/%s", dir, name);
		assert_int_equal(exists(p), day >= 3);
		free(p);
	}
	for (size_t i = 0; i < ARRAY_LEN(others); i++) {
		p = xasprintf("%s/%s", dir, others[i]);
		assert_true(exists(p));
		free(p);
	}
	assert_int_equal(backup_prune(dir, 7), 0);
	assert_int_equal(backup_prune(dir, 1), 6);
	p = xasprintf("%s/missing", dir);
	assert_int_equal(backup_prune(p, 7), BACKUP_EIO);
	free(p);
	rm_tree(dir);
}

/* ---- the CLI's copy ---- */

static void copy_of_open_wal_database(void **state)
{
	char *dir = tmp_dir(), *db = xasprintf("%s/hearth.db", dir);
	char *out = xasprintf("%s/copy.db", dir), err[512];
	struct store *s;

	(void)state;
	make_hearth_db(db, 50);
	/* a server is "running": its connection is open and the last writes are in the WAL */
	s = open_store(db);
	run_sql(s, "INSERT INTO t (n, b) VALUES (1000, 'last')");
	assert_int_equal(backup_copy(db, out, 0, err, sizeof err), 0);
	store_free(s);

	assert_plain_backup(out);
	assert_int_equal(sql_int(out, "SELECT count(*) FROM t"), 51);
	assert_int_equal(sql_int(out, "SELECT count(*) FROM t WHERE b = 'last'"), 1);

	/* an existing file is kept unless replacing was asked for */
	assert_int_equal(backup_copy(db, out, 0, err, sizeof err), BACKUP_EEXIST);
	assert_int_equal(backup_copy(db, out, 1, err, sizeof err), 0);
	/* no database: a clear error, and no file made */
	free(db);
	db = xasprintf("%s/none/hearth.db", dir);
	free(out);
	out = xasprintf("%s/copy2.db", dir);
	assert_int_equal(backup_copy(db, out, 0, err, sizeof err), BACKUP_EIO);
	assert_non_null(strstr(err, "no database"));
	assert_false(exists(out));
	free(db);
	free(out);
	rm_tree(dir);
}

/* ---- the store thread's copy, step by step, while writes go on ---- */

struct stepper {
	uv_loop_t loop;
	struct store *s;
	sqlite3 *dest;
	sqlite3_backup *bk;
	char *tmp, *final;
	int steps, writes, step_rc, commit_rc, finished, stopped;
};

static int step_job(struct store_tx *tx, void *arg)
{
	struct stepper *t = arg;
	char err[256];

	if (!t->bk) {
		assert_int_equal(backup_dest_open(t->tmp, &t->dest, err, sizeof err), 0);
		t->bk = sqlite3_backup_init(t->dest, "main", store_db(tx), "main");
		assert_non_null(t->bk);
	}
	t->step_rc = sqlite3_backup_step(t->bk, 8);
	t->steps++;
	if (t->step_rc == SQLITE_DONE) {
		sqlite3_backup_finish(t->bk);
		t->commit_rc = backup_dest_commit(t->dest, t->tmp, t->final, err, sizeof err);
	}
	return 0;
}

static int write_job(struct store_tx *tx, void *arg)
{
	struct stepper *t = arg;
	sqlite3_stmt *st = store_stmt(tx, "INSERT INTO t (n, b) VALUES (?, randomblob(3000))");

	sqlite3_bind_int(st, 1, 100000 + t->writes);
	return store_check(tx, sqlite3_step(st), "write");
}

static void step_done(int rc, void *arg);

static void write_done(int rc, void *arg)
{
	struct stepper *t = arg;

	assert_int_equal(rc, 0);
	t->writes++;
	assert_int_equal(store_submit_solo(t->s, step_job, step_done, t), 0);
}

static void step_done(int rc, void *arg)
{
	struct stepper *t = arg;

	assert_int_equal(rc, 0);
	if (t->step_rc == SQLITE_DONE) {
		t->finished = 1;
		return;
	}
	assert_int_equal(t->step_rc, SQLITE_OK);
	/* a committed write between every two steps, through the same connection */
	assert_int_equal(store_submit(t->s, write_job, write_done, t), 0);
}

static void on_stopped(void *arg)
{
	((struct stepper *)arg)->stopped = 1;
}

static void stepped_copy_includes_writes_between_steps(void **state)
{
	char *dir = tmp_dir(), *db = xasprintf("%s/hearth.db", dir);
	struct stepper t = {0};

	(void)state;
	make_hearth_db(db, 200);
	t.tmp = xasprintf("%s/.hearth-20260101-000000.db.tmp", dir);
	t.final = xasprintf("%s/hearth-20260101-000000.db", dir);
	t.s = open_store(db);
	assert_int_equal(uv_loop_init(&t.loop), 0);
	assert_int_equal(store_start(t.s, &t.loop), 0);
	assert_int_equal(store_submit_solo(t.s, step_job, step_done, &t), 0);
	while (!t.finished)
		uv_run(&t.loop, UV_RUN_ONCE);
	store_stop(t.s, on_stopped, &t);
	while (!t.stopped)
		uv_run(&t.loop, UV_RUN_ONCE);
	assert_int_equal(uv_run(&t.loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&t.loop), 0);
	store_free(t.s);

	assert_int_equal(t.commit_rc, 0);
	assert_true(t.steps > 10); /* it really was copied in many steps */
	assert_true(t.writes > 10);
	assert_false(exists(t.tmp));
	assert_plain_backup(t.final);
	/* every write committed before the last step is in the copy */
	assert_int_equal(sql_int(t.final, "SELECT count(*) FROM t"), 200 + t.writes);
	assert_int_equal(sql_int(t.final, "SELECT count(*) FROM t WHERE n >= 100000"), t.writes);
	assert_int_equal(backup_check(t.final, &(int){0}, (char[256]){0}, 256), 0);
	free(t.tmp);
	free(t.final);
	free(db);
	rm_tree(dir);
}

/* ---- checks before a restore ---- */

static void check_refuses_what_cannot_run(void **state)
{
	char *dir = tmp_dir(), err[512];
	char *text = xasprintf("%s/notes.txt", dir), *other = xasprintf("%s/other.db", dir);
	char *newer = xasprintf("%s/newer.db", dir), *bad = xasprintf("%s/bad.db", dir);
	char *good = xasprintf("%s/good.db", dir);
	int version = -1, fd;
	struct stat st;

	(void)state;
	write_file(text, "this is not a database, though it is long enough to look like one\n");
	assert_int_equal(backup_check(text, &version, err, sizeof err), BACKUP_ENOTDB);
	assert_non_null(strstr(err, "not a SQLite database"));

	sql_exec(other, "CREATE TABLE x (a)");
	assert_int_equal(backup_check(other, &version, err, sizeof err), BACKUP_ENOTHEARTH);
	assert_non_null(strstr(err, "schema_migrations"));

	make_hearth_db(newer, 1);
	sql_exec(newer, "INSERT INTO schema_migrations VALUES (9999, 'future', 0)");
	assert_int_equal(backup_check(newer, &version, err, sizeof err), BACKUP_ENEWER);
	assert_non_null(strstr(err, "newer"));

	make_hearth_db(good, 20);
	assert_int_equal(backup_check(good, &version, err, sizeof err), 0);
	assert_int_equal(version, store_schema_latest());

	/* damage pages of table t (the last ones written): the schema reads, the b-tree fails */
	make_hearth_db(bad, 300);
	assert_int_equal(stat(bad, &st), 0);
	fd = open(bad, O_WRONLY);
	assert_true(fd >= 0);
	for (off_t off = st.st_size - 40 * 4096; off < st.st_size; off += 4096)
		assert_int_equal(pwrite(fd, "\x0d\xff\xff\xff\xff\xff\xff\xff", 8, off), 8);
	close(fd);
	assert_int_equal(backup_check(bad, &version, err, sizeof err), BACKUP_ECORRUPT);
	assert_non_null(strstr(err, "damaged"));

	free(text);
	free(other);
	free(newer);
	free(bad);
	free(good);
	rm_tree(dir);
}

/* ---- restore ---- */

static void restore_replaces_and_keeps_old(void **state)
{
	char *dir = tmp_dir(), *data = xasprintf("%s/data", dir);
	char *db = xasprintf("%s/hearth.db", data), *src = xasprintf("%s/src.db", dir);
	char *backup = xasprintf("%s/backup.db", dir), aside[1024], err[512];
	char *p;
	struct store *s;
	pid_t child;
	int status;

	(void)state;
	assert_int_equal(mkdir(data, 0700), 0);
	/* the backup: 30 rows */
	make_hearth_db(src, 30);
	assert_int_equal(backup_copy(src, backup, 0, err, sizeof err), 0);
	/* the current database: 5 rows, the last only in its WAL, as a crash leaves it */
	make_hearth_db(db, 4);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		s = open_store(db);
		run_sql(s, "INSERT INTO t (n, b) VALUES (99, 'in the wal')");
		_exit(0); /* no close, no checkpoint */
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(status, 0);
	p = xasprintf("%s-wal", db);
	assert_true(exists(p));
	free(p);

	assert_int_equal(backup_restore(data, backup, aside, sizeof aside, err, sizeof err), 0);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM t"), 30);
	p = xasprintf("%s-shm", db);
	assert_false(exists(p));
	free(p);
	p = xasprintf("%s/hearth.db.before-restore-", data);
	assert_int_equal(strncmp(aside, p, strlen(p)), 0);
	free(p);
	/* the old database, with its WAL beside it, reads as it was */
	p = xasprintf("%s-wal", aside);
	assert_true(exists(p));
	free(p);
	assert_int_equal(sql_int(aside, "SELECT count(*) FROM t"), 5);
	/* nothing temporary left in the data folder */
	p = xasprintf("cd '%s' && ls -a | grep -q tmp", data);
	assert_int_not_equal(system(p), 0); /* grep found nothing */
	free(p);

	/* into an empty folder: nothing to keep */
	free(data);
	data = xasprintf("%s/fresh", dir);
	assert_int_equal(mkdir(data, 0700), 0);
	assert_int_equal(backup_restore(data, backup, aside, sizeof aside, err, sizeof err), 0);
	assert_string_equal(aside, "");
	free(db);
	db = xasprintf("%s/hearth.db", data);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM t"), 30);

	free(data);
	free(db);
	free(src);
	free(backup);
	rm_tree(dir);
}

static void restore_refuses_and_changes_nothing(void **state)
{
	char *dir = tmp_dir(), *data = xasprintf("%s/data", dir);
	char *db = xasprintf("%s/hearth.db", data), *text = xasprintf("%s/notes.txt", dir);
	char *live = xasprintf("%s/live.db", dir), *p, aside[1024], err[512];
	struct store *s;

	(void)state;
	assert_int_equal(mkdir(data, 0700), 0);
	make_hearth_db(db, 3);
	write_file(text, "SQLite format 2 and a half, honestly\n");
	assert_int_equal(backup_restore(data, text, aside, sizeof aside, err, sizeof err),
			 BACKUP_ENOTDB);

	/* a live database (its WAL beside it) is not a backup */
	make_hearth_db(live, 3);
	s = open_store(live);
	run_sql(s, "INSERT INTO t (n, b) VALUES (50, 'x')");
	assert_int_equal(backup_restore(data, live, aside, sizeof aside, err, sizeof err),
			 BACKUP_EIO);
	assert_non_null(strstr(err, "live database"));
	store_free(s);

	p = xasprintf("cd '%s' && test \"$(ls -A)\" = hearth.db", data);
	assert_int_equal(system(p), 0);
	free(p);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM t"), 3);
	free(data);
	free(db);
	free(text);
	free(live);
	rm_tree(dir);
}

/* ---- the lock ---- */

static void lock_is_exclusive(void **state)
{
	char *dir = tmp_dir(), err[512];
	int a = -1, b = -1;
	struct stat st;
	char *p = xasprintf("%s/" BACKUP_LOCK_FILE, dir);

	(void)state;
	assert_int_equal(backup_lock_data_dir(dir, &a, err, sizeof err), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* flock locks belong to the open file: a second open conflicts even in one process */
	assert_int_equal(backup_lock_data_dir(dir, &b, err, sizeof err), BACKUP_ELOCKED);
	assert_non_null(strstr(err, "already running"));
	close(a);
	assert_int_equal(backup_lock_data_dir(dir, &b, err, sizeof err), 0);
	close(b);
	free(p);
	p = xasprintf("%s/missing", dir);
	assert_int_equal(backup_lock_data_dir(p, &b, err, sizeof err), BACKUP_EIO);
	free(p);
	rm_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(names),
	    cmocka_unit_test(prune_keeps_newest),
	    cmocka_unit_test(copy_of_open_wal_database),
	    cmocka_unit_test(stepped_copy_includes_writes_between_steps),
	    cmocka_unit_test(check_refuses_what_cannot_run),
	    cmocka_unit_test(restore_replaces_and_keeps_old),
	    cmocka_unit_test(restore_refuses_and_changes_nothing),
	    cmocka_unit_test(lock_is_exclusive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
