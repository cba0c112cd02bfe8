/*
 * backup.h — copies of the database as files: taking one (the SQLite
 * online backup API), keeping the newest N, checking and restoring one,
 * and the data folder lock that tells a running server from a stopped one.
 *
 * Every file written here is written whole or not at all: to a temporary
 * name (mode 0600) in the destination's folder, fsync'ed, renamed into
 * place, and the folder fsync'ed. A backup file is a plain SQLite database
 * in rollback-journal mode (no -wal or -shm companions), so it can be
 * copied, opened and checked like any single file.
 *
 * What a backup does NOT contain: DATA/keys/field.key, without which the
 * encrypted fields (GP details, screening answers) of a restored database
 * cannot be read. It must be kept separately.
 *
 * None of these functions touch the loop; they block on disk and belong
 * on the store thread, in a thread-pool job or in a CLI command.
 */
#ifndef HEARTH_BACKUP_H
#define HEARTH_BACKUP_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

enum backup_err {
	BACKUP_OK = 0,
	BACKUP_EIO = -1,	/* a file or SQLite operation failed (see err) */
	BACKUP_ELOCKED = -2,	/* a server holds the data folder */
	BACKUP_ENOTDB = -3,	/* not a SQLite database */
	BACKUP_ENOTHEARTH = -4, /* a SQLite database, but not Hearth's */
	BACKUP_ENEWER = -5,	/* Hearth's, from a newer version of Hearth */
	BACKUP_ECORRUPT = -6,	/* PRAGMA integrity_check found damage */
	BACKUP_EEXIST = -7,	/* the destination exists (and replacing was not asked) */
};
const char *backup_strerror(int err);

#define BACKUP_DIR "backups"	       /* under the data folder */
#define BACKUP_NAME_LEN 32	       /* "hearth-YYYYMMDD-HHMMSS.db" and its NUL fit */
#define BACKUP_LOCK_FILE "hearth.lock" /* under the data folder */

/*
 * Take the data folder's lock: DIR/hearth.lock, held with flock(LOCK_EX)
 * on the returned descriptor (close-on-exec) until it is closed or the
 * process ends. `hearth serve` holds it for its whole life; `hearth
 * restore` while it works. Returns 0 with *fd set; BACKUP_ELOCKED when
 * another process holds it; BACKUP_EIO with a sentence in err otherwise.
 */
int backup_lock_data_dir(const char *dir, int *fd, char *err, size_t errlen);

/* The scheduled backup's file name for time t_ms (UTC): hearth-YYYYMMDD-HHMMSS.db. */
void backup_file_name(int64_t t_ms, char out[BACKUP_NAME_LEN]);

/* 1 when name is exactly of the form backup_file_name() makes. */
int backup_name_valid(const char *name);

#define BACKUP_TMP_LEN (BACKUP_NAME_LEN + 8)
/* The temporary name a scheduled backup is written under: ".NAME.tmp". */
void backup_tmp_name(const char *name, char out[BACKUP_TMP_LEN]);

/*
 * Delete all but the newest `keep` scheduled backups in dir (judged by
 * their names, which sort by time), and any temporary file an interrupted
 * backup left there. Other files are never touched. Returns how many
 * backups were deleted, or BACKUP_EIO if dir cannot be read.
 */
int backup_prune(const char *dir, int keep);

/*
 * Prepare a destination: create `tmp` (O_EXCL, mode 0600) and open it with
 * a new SQLite connection (*out) ready to receive sqlite3_backup pages.
 * On failure nothing is left behind.
 */
int backup_dest_open(const char *tmp, sqlite3 **out, char *err, size_t errlen);

/*
 * The backup into `tmp` through the connection `dest` is complete (its
 * sqlite3_backup object finished): close dest, switch the file to
 * rollback-journal mode, fsync it, rename it to `final` (replacing it)
 * and fsync the folder. Always closes dest; on failure removes tmp.
 */
int backup_dest_commit(sqlite3 *dest, const char *tmp, const char *final, char *err, size_t errlen);

/* Abandon a destination: close dest (may be NULL) and remove tmp. */
void backup_dest_abandon(sqlite3 *dest, const char *tmp);

/*
 * Copy the database at db_path into the file dest with its own read-only
 * connection: one consistent snapshot, taken while a server may be
 * writing (WAL readers do not block the writer, nor it them). Refuses an
 * existing dest unless replace. 0 or a backup_err with err filled.
 */
int backup_copy(const char *db_path, const char *dest, int replace, char *err, size_t errlen);

/*
 * Check that path is a Hearth database this binary can run: a SQLite
 * file (BACKUP_ENOTDB), with a schema_migrations table
 * (BACKUP_ENOTHEARTH), no newer than store_schema_latest()
 * (BACKUP_ENEWER), that passes PRAGMA integrity_check (BACKUP_ECORRUPT).
 * It is opened read-write (a WAL-mode file needs that to be read) with
 * only read-only queries, but closing it may checkpoint a -wal beside it
 * into it, as closing any SQLite database does. *version gets its schema
 * version.
 */
int backup_check(const char *path, int *version, char *err, size_t errlen);

/*
 * Replace data_dir's database with a copy of file. The caller must hold
 * the data folder lock (backup_lock_data_dir). file must start like a
 * SQLite database and have no non-empty -wal beside it (a live database,
 * BACKUP_EIO); it is copied into data_dir as it is, never opened itself;
 * the copy is checked (backup_check) before anything else is touched;
 * then the old database is
 * kept as hearth.db.before-restore-YYYYMMDD-HHMMSS (with its -wal, if
 * any, beside it), the stale -shm is removed, and the copy is renamed
 * into place. aside gets the kept file's path ("" when there was no
 * database). 0 or a backup_err with err filled; on failure the old
 * database is where it was.
 */
int backup_restore(const char *data_dir, const char *file, char *aside, size_t asidelen, char *err,
		   size_t errlen);

#endif
