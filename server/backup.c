/*
 * backup.c — database files: copy, keep, check, restore, and the data
 * folder lock (see backup.h).
 *
 * Why a backup is converted to rollback-journal mode: sqlite3_backup
 * copies page 1 as it is, so a copy of our WAL database says "WAL" in its
 * header and would grow -wal/-shm files wherever it is opened — awkward
 * on read-only media and easy to separate from the file when copied.
 */
#include "backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "util.h"

#define TMP_SUFFIX ".tmp"

static const char *const err_names[] = {
    "ok",
    "input/output error",
    "a Hearth server is running on this data folder",
    "not a SQLite database",
    "not a Hearth database",
    "made by a newer version of Hearth",
    "the database is damaged",
    "the file already exists",
};

const char *backup_strerror(int err)
{
	if (err > 0 || -err >= (int)ARRAY_LEN(err_names))
		return "unknown backup error";
	return err_names[-err];
}

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- the data folder lock ---- */

int backup_lock_data_dir(const char *dir, int *fd, char *err, size_t errlen)
{
	char *path = xasprintf("%s/%s", dir, BACKUP_LOCK_FILE);
	int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (f < 0) {
		fail(err, errlen, BACKUP_EIO, "cannot open %s: %s", path, strerror(errno));
		free(path);
		return BACKUP_EIO;
	}
	/*
	 * flock, not fcntl locks: an flock belongs to the open file, so it
	 * is released only when this descriptor closes (or the process
	 * dies, even by SIGKILL), never by some library closing another
	 * descriptor of the same file.
	 */
	if (flock(f, LOCK_EX | LOCK_NB)) {
		int e = errno;

		close(f);
		if (e == EWOULDBLOCK) {
			fail(err, errlen, BACKUP_ELOCKED,
			     "a Hearth server is already running on %s (it holds %s)", dir, path);
			free(path);
			return BACKUP_ELOCKED;
		}
		fail(err, errlen, BACKUP_EIO, "cannot lock %s: %s", path, strerror(e));
		free(path);
		return BACKUP_EIO;
	}
	free(path);
	*fd = f;
	return 0;
}

/* ---- names and pruning ---- */

void backup_file_name(int64_t t_ms, char out[BACKUP_NAME_LEN])
{
	time_t s = (time_t)(t_ms / 1000);
	struct tm tm;

	gmtime_r(&s, &tm);
	strftime(out, BACKUP_NAME_LEN, "hearth-%Y%m%d-%H%M%S.db", &tm);
}

int backup_name_valid(const char *name)
{
	static const char shape[] = "hearth-########-######.db";

	if (strlen(name) != sizeof shape - 1)
		return 0;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == '#' ? (name[i] < '0' || name[i] > '9') : name[i] != shape[i])
			return 0;
	return 1;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void backup_tmp_name(const char *name, char out[BACKUP_TMP_LEN])
{
	snprintf(out, BACKUP_TMP_LEN, ".%s" TMP_SUFFIX, name);
}

/* A temporary file of a scheduled backup: "." + a backup's name + ".tmp". */
static int is_stale_tmp(const char *name)
{
	size_t n = strlen(name), s = strlen(TMP_SUFFIX);
	char base[BACKUP_NAME_LEN];

	if (name[0] != '.' || n <= s + 1 || n - s - 1 >= sizeof base ||
	    strcmp(name + n - s, TMP_SUFFIX))
		return 0;
	memcpy(base, name + 1, n - s - 1);
	base[n - s - 1] = '\0';
	return backup_name_valid(base);
}

int backup_prune(const char *dir, int keep)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int deleted = 0;

	if (!d)
		return BACKUP_EIO;
	while ((e = readdir(d))) {
		if (is_stale_tmp(e->d_name)) {
			/* left by a crash (backups run one at a time, never during a prune) */
			unlinkat(dirfd(d), e->d_name, 0);
			continue;
		}
		if (!backup_name_valid(e->d_name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			names = xrealloc(names, cap * sizeof *names);
		}
		names[n++] = xstrdup(e->d_name);
	}
	if (n)
		qsort(names, n, sizeof *names, cmp_names);
	for (size_t i = 0; i + (size_t)keep < n; i++)
		if (unlinkat(dirfd(d), names[i], 0) == 0)
			deleted++;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return deleted;
}

/* ---- writing a file whole ---- */

static int fsync_path(const char *path, int dir)
{
	int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* The folder part of path ("." when there is none), owned by the caller. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

int backup_dest_open(const char *tmp, sqlite3 **out, char *err, size_t errlen)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	sqlite3 *db = NULL;

	*out = NULL;
	if (fd < 0)
		return fail(err, errlen, BACKUP_EIO, "cannot create %s: %s", tmp, strerror(errno));
	close(fd);
	if (sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		fail(err, errlen, BACKUP_EIO, "cannot open %s: %s", tmp,
		     db ? sqlite3_errmsg(db) : "out of memory");
		backup_dest_abandon(db, tmp);
		return BACKUP_EIO;
	}
	/* the file is disposable until renamed, and fsync'ed by us before that */
	if (sqlite3_exec(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		fail(err, errlen, BACKUP_EIO, "cannot prepare %s: %s", tmp, sqlite3_errmsg(db));
		backup_dest_abandon(db, tmp);
		return BACKUP_EIO;
	}
	*out = db;
	return 0;
}

void backup_dest_abandon(sqlite3 *dest, const char *tmp)
{
	char *side;

	if (dest)
		sqlite3_close(dest);
	unlink(tmp);
	side = xasprintf("%s-wal", tmp);
	unlink(side);
	free(side);
	side = xasprintf("%s-shm", tmp);
	unlink(side);
	free(side);
}

/* Rewrite the header of a finished copy from WAL to rollback-journal mode. */
static int to_rollback_mode(const char *tmp, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	char *msg = NULL;
	int rc;

	rc = sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "PRAGMA journal_mode=DELETE", NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		fail(err, errlen, BACKUP_EIO, "cannot finish %s: %s", tmp,
		     msg  ? msg
		     : db ? sqlite3_errmsg(db)
			  : sqlite3_errstr(rc));
	sqlite3_free(msg);
	if (sqlite3_close(db) != SQLITE_OK && rc == SQLITE_OK)
		rc = fail(err, errlen, BACKUP_EIO, "cannot close %s", tmp);
	return rc == SQLITE_OK ? 0 : BACKUP_EIO;
}

/* fsync file tmp, rename it to final, fsync final's folder. */
static int put_in_place(const char *tmp, const char *final, char *err, size_t errlen)
{
	char *dir;

	if (fsync_path(tmp, 0))
		return fail(err, errlen, BACKUP_EIO, "cannot write %s: %s", tmp, strerror(errno));
	if (rename(tmp, final))
		return fail(err, errlen, BACKUP_EIO, "cannot rename %s to %s: %s", tmp, final,
			    strerror(errno));
	dir = dir_of(final);
	if (fsync_path(dir, 1)) {
		fail(err, errlen, BACKUP_EIO, "cannot sync folder %s: %s", dir, strerror(errno));
		free(dir);
		return BACKUP_EIO;
	}
	free(dir);
	return 0;
}

int backup_dest_commit(sqlite3 *dest, const char *tmp, const char *final, char *err, size_t errlen)
{
	int rc = sqlite3_close(dest);

	if (rc != SQLITE_OK) {
		/* an unfinished statement or backup: a bug of the caller */
		fail(err, errlen, BACKUP_EIO, "cannot close %s: %s", tmp, sqlite3_errstr(rc));
		backup_dest_abandon(NULL, tmp);
		return BACKUP_EIO;
	}
	rc = to_rollback_mode(tmp, err, errlen);
	if (rc == 0)
		rc = put_in_place(tmp, final, err, errlen);
	if (rc)
		backup_dest_abandon(NULL, tmp);
	return rc;
}

/* ---- a copy by the CLI ---- */

static char *tmp_beside(const char *final)
{
	char *dir = dir_of(final), *t;
	const char *base = strrchr(final, '/');

	base = base ? base + 1 : final;
	t = xasprintf("%s/.%s.%ld" TMP_SUFFIX, dir, base, (long)getpid());
	free(dir);
	return t;
}

int backup_copy(const char *db_path, const char *dest, int replace, char *err, size_t errlen)
{
	sqlite3 *src = NULL, *dst = NULL;
	sqlite3_backup *bk;
	char *tmp;
	struct stat st;
	int rc, tries = 0;

	if (!replace && lstat(dest, &st) == 0)
		return fail(err, errlen, BACKUP_EEXIST, "%s already exists", dest);
	if (access(db_path, R_OK))
		return fail(err, errlen, BACKUP_EIO, "there is no database at %s", db_path);
	if (sqlite3_open_v2(db_path, &src, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		fail(err, errlen, BACKUP_EIO, "cannot open %s: %s", db_path,
		     src ? sqlite3_errmsg(src) : "out of memory");
		sqlite3_close(src);
		return BACKUP_EIO;
	}
	sqlite3_busy_timeout(src, 5000);
	tmp = tmp_beside(dest);
	rc = backup_dest_open(tmp, &dst, err, errlen);
	if (rc)
		goto done;
	bk = sqlite3_backup_init(dst, "main", src, "main");
	if (!bk) {
		rc = fail(err, errlen, BACKUP_EIO, "cannot start the backup: %s",
			  sqlite3_errmsg(dst));
		backup_dest_abandon(dst, tmp);
		goto done;
	}
	/*
	 * All pages in one step: one read transaction, so one consistent
	 * snapshot however much the server writes meanwhile. BUSY happens
	 * only in the moment a WAL is being recovered: wait and retry.
	 */
	do {
		rc = sqlite3_backup_step(bk, -1);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(100);
	} while ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && ++tries < 100);
	sqlite3_backup_finish(bk);
	if (rc != SQLITE_DONE) {
		rc = fail(err, errlen, BACKUP_EIO, "the backup failed: %s", sqlite3_errstr(rc));
		backup_dest_abandon(dst, tmp);
		goto done;
	}
	rc = backup_dest_commit(dst, tmp, dest, err, errlen);
done:
	free(tmp);
	sqlite3_close(src);
	return rc;
}

/* ---- checking and restoring ---- */

static int has_sqlite_header(const char *path, char *err, size_t errlen)
{
	static const char magic[16] = "SQLite format 3";
	char head[16];
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = BACKUP_ENOTDB;

	if (fd < 0)
		return fail(err, errlen, BACKUP_EIO, "cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && read(fd, head, 16) == 16 &&
	    !memcmp(head, magic, 16))
		rc = 0;
	close(fd);
	if (rc)
		fail(err, errlen, rc, "%s is not a SQLite database", path);
	return rc;
}

/* One integer from a one-row query; -1 on error, with the SQLite result code in *ec. */
static int64_t query_int(sqlite3 *db, const char *sql, int *ec)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	*ec = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (*ec == SQLITE_OK) {
		*ec = sqlite3_step(st);
		if (*ec == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return v;
}

static int integrity(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc = BACKUP_ECORRUPT;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check(1)", -1, &st, NULL) != SQLITE_OK) {
		fail(err, errlen, BACKUP_ECORRUPT, "%s cannot be checked: %s", path,
		     sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return BACKUP_ECORRUPT;
	}
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(st, 0);

		if (r && !strcmp(r, "ok"))
			rc = 0;
		else
			fail(err, errlen, rc, "%s is damaged: %s", path, r ? r : "?");
	} else {
		fail(err, errlen, rc, "%s is damaged: %s", path, sqlite3_errmsg(db));
	}
	sqlite3_finalize(st);
	return rc;
}

int backup_check(const char *path, int *version, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	int64_t v;
	int ec, rc = has_sqlite_header(path, err, errlen);

	if (rc)
		return rc;
	/* no CREATE: the file exists; trusted_schema off: its schema is not ours yet */
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
		SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA trusted_schema=OFF; PRAGMA query_only=ON", NULL, NULL, NULL) !=
		SQLITE_OK) {
		rc = fail(err, errlen, BACKUP_ENOTDB, "%s cannot be opened as a database: %s", path,
			  db ? sqlite3_errmsg(db) : "out of memory");
		goto done;
	}
	v = query_int(db,
		      "SELECT count(*) FROM sqlite_master"
		      " WHERE type = 'table' AND name = 'schema_migrations'",
		      &ec);
	if (v < 0) {
		rc = fail(err, errlen,
			  (ec & 0xff) == SQLITE_CORRUPT ? BACKUP_ECORRUPT : BACKUP_ENOTDB,
			  "%s cannot be read as a database: %s", path, sqlite3_errstr(ec));
		goto done;
	}
	if (v == 0) {
		rc = fail(err, errlen, BACKUP_ENOTHEARTH,
			  "%s is a SQLite database but not Hearth's (no schema_migrations table)",
			  path);
		goto done;
	}
	v = query_int(db, "SELECT coalesce(max(version), 0) FROM schema_migrations", &ec);
	if (v < 0) {
		rc = fail(err, errlen,
			  (ec & 0xff) == SQLITE_CORRUPT ? BACKUP_ECORRUPT : BACKUP_ENOTHEARTH,
			  "%s has no readable schema version: %s", path, sqlite3_errstr(ec));
		goto done;
	}
	if (v > store_schema_latest()) {
		rc = fail(err, errlen, BACKUP_ENEWER,
			  "%s has schema version %lld, newer than this hearth (%d): "
			  "restore it with a newer binary",
			  path, (long long)v, store_schema_latest());
		goto done;
	}
	*version = (int)v;
	rc = integrity(db, path, err, errlen);
done:
	sqlite3_close(db);
	return rc;
}

/* Copy the bytes of src into a new file dst (mode 0600), fsync'ed. */
static int copy_file(const char *src, const char *dst, char *err, size_t errlen)
{
	char buf[1 << 16];
	int in = open(src, O_RDONLY | O_CLOEXEC), out;
	ssize_t n;
	int rc = 0;

	if (in < 0)
		return fail(err, errlen, BACKUP_EIO, "cannot open %s: %s", src, strerror(errno));
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out < 0) {
		close(in);
		return fail(err, errlen, BACKUP_EIO, "cannot create %s: %s", dst, strerror(errno));
	}
	while ((n = read(in, buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = fail(err, errlen, BACKUP_EIO, "cannot read %s: %s", src,
				  strerror(errno));
			break;
		}
		if (write_all(out, buf, (size_t)n)) {
			rc = fail(err, errlen, BACKUP_EIO, "cannot write %s: %s", dst,
				  strerror(errno));
			break;
		}
	}
	if (rc == 0 && fsync(out))
		rc = fail(err, errlen, BACKUP_EIO, "cannot write %s: %s", dst, strerror(errno));
	close(in);
	if (close(out) && rc == 0)
		rc = fail(err, errlen, BACKUP_EIO, "cannot write %s: %s", dst, strerror(errno));
	if (rc)
		unlink(dst);
	return rc;
}

/* A database with a non-empty -wal beside it is live, or was not closed: its
 * file alone misses the latest writes. */
static int refuse_live(const char *file, char *err, size_t errlen)
{
	char *wal = xasprintf("%s-wal", file);
	struct stat st;
	int live = stat(wal, &st) == 0 && st.st_size > 0;

	if (live)
		fail(err, errlen, BACKUP_EIO,
		     "%s has a write-ahead log beside it (%s): it is a live database, not a "
		     "backup; make a backup of it with hearth backup and restore that",
		     file, wal);
	free(wal);
	return live ? BACKUP_EIO : 0;
}

/*
 * Keep the old database as `aside`: a hard link, so that hearth.db stays
 * in place until the new one replaces it in one rename (a crash in
 * between leaves the old database running, never none). Its -wal goes
 * with it, because a WAL left beside the restored file would be replayed
 * into it.
 */
static int set_aside(const char *db, const char *aside, char *err, size_t errlen)
{
	char *wal = xasprintf("%s-wal", db), *aside_wal = xasprintf("%s-wal", aside);
	char *shm = xasprintf("%s-shm", db);
	int rc = 0;

	if (link(db, aside) && (errno != EPERM && errno != ENOTSUP && errno != EXDEV)) {
		rc = fail(err, errlen, BACKUP_EIO, "cannot keep %s as %s: %s", db, aside,
			  strerror(errno));
		goto done;
	}
	if (access(aside, F_OK) && copy_file(db, aside, err, errlen)) {
		rc = BACKUP_EIO; /* no hard links here: a copy instead */
		goto done;
	}
	if (rename(wal, aside_wal) && errno != ENOENT) {
		rc =
		    fail(err, errlen, BACKUP_EIO, "cannot move %s aside: %s", wal, strerror(errno));
		unlink(aside);
		goto done;
	}
	if (unlink(shm) && errno != ENOENT)
		rc = fail(err, errlen, BACKUP_EIO, "cannot remove %s: %s", shm, strerror(errno));
done:
	free(wal);
	free(aside_wal);
	free(shm);
	return rc;
}

int backup_restore(const char *data_dir, const char *file, char *aside, size_t asidelen, char *err,
		   size_t errlen)
{
	char db[PATH_MAX], tmp[PATH_MAX], stamp[BACKUP_NAME_LEN];
	int version, rc;

	aside[0] = '\0';
	if ((size_t)snprintf(db, sizeof db, "%s/hearth.db", data_dir) >= sizeof db ||
	    (size_t)snprintf(tmp, sizeof tmp, "%s/.hearth.db.restore.%ld" TMP_SUFFIX, data_dir,
			     (long)getpid()) >= sizeof tmp)
		return fail(err, errlen, BACKUP_EIO, "the data folder's path is too long");
	/*
	 * Only the copy is opened with SQLite, never the file given: opening
	 * a database can change it (a WAL is checkpointed when it closes),
	 * and the copy is what will run.
	 */
	rc = has_sqlite_header(file, err, errlen);
	if (rc == 0)
		rc = refuse_live(file, err, errlen);
	if (rc == 0)
		rc = copy_file(file, tmp, err, errlen);
	if (rc)
		goto done;
	rc = backup_check(tmp, &version, err, errlen);
	if (rc == 0 && fsync_path(tmp, 0))
		rc = fail(err, errlen, BACKUP_EIO, "cannot write %s: %s", tmp, strerror(errno));
	if (rc) {
		backup_dest_abandon(NULL, tmp);
		goto done;
	}
	if (access(db, F_OK) == 0) {
		/* hearth-YYYYMMDD-HHMMSS.db → YYYYMMDD-HHMMSS */
		backup_file_name((int64_t)time(NULL) * 1000, stamp);
		snprintf(aside, asidelen, "%s.before-restore-%.15s", db, stamp + 7);
		rc = set_aside(db, aside, err, errlen);
		if (rc) {
			aside[0] = '\0';
			backup_dest_abandon(NULL, tmp);
			goto done;
		}
	}
	rc = put_in_place(tmp, db, err, errlen);
	if (rc)
		backup_dest_abandon(NULL, tmp);
done:
	return rc;
}
