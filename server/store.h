/*
 * store.h — the SQLite database and the thread that owns it.
 *
 * One database file (DATA/hearth.db) in WAL mode. After store_start(), only
 * the store thread touches the connection: the loop thread queues jobs with
 * store_submit(); the store thread takes everything queued (up to
 * batch_max), runs each job inside one transaction (each in its own
 * SAVEPOINT, so one failing job does not undo the others), commits once —
 * one fsync per batch — and then hands every job back to the loop thread,
 * where its `done` callback runs with the job's result. A job's `done`
 * therefore never runs before its writes are durable: this is what "a
 * message is acknowledged only after it is committed" rests on.
 *
 * Before store_start() (start-up, command-line tools) store_run() executes
 * a job synchronously on the calling thread, in its own transaction.
 */
#ifndef HEARTH_STORE_H
#define HEARTH_STORE_H

#include <sqlite3.h>
#include <stdint.h>
#include <uv.h>

/* Results of a job: 0, or one of these (negative). */
enum store_err {
	STORE_OK = 0,
	STORE_ENOTFOUND = -1, /* the row asked for does not exist */
	STORE_ECONFLICT = -2, /* a uniqueness or state rule refused the write */
	STORE_EIO = -3,       /* SQLite failed (logged with its message) */
	STORE_EBUSY = -4,     /* queue full: the caller answers 503 */
	STORE_ESTOPPED = -5,  /* shutting down: no new work accepted */
	STORE_EINVAL = -6,    /* the job refused its input */
	STORE_EFORBIDDEN = -7 /* the job found the caller may not do this */
};
const char *store_strerror(int err);

struct store;
struct store_tx; /* a job's view of the database: the connection and its statement cache */

/*
 * A job body, run on the store thread (or the caller's, under store_run).
 * Returns 0 or a negative store_err; on error its writes are rolled back.
 * It must not touch loop-thread state: it reads and writes only `arg`.
 */
typedef int (*store_fn)(struct store_tx *tx, void *arg);
/* Completion, run on the loop thread after the batch committed (or failed). */
typedef void (*store_done_fn)(int rc, void *arg);

struct store_opts {
	const char *path;        /* database file */
	const char *synchronous; /* "FULL" or "NORMAL" */
	int batch_max;
	int queue_max;
};

/*
 * Open (creating if needed) the database and apply the missing migrations.
 * Refuses a database whose schema is newer than this binary.
 * On failure returns a negative store_err and writes a sentence to err.
 */
int store_open(struct store **out, const struct store_opts *o, char *err, size_t errlen);

/* Start the store thread; completions are delivered on `loop`. 0 or STORE_EIO. */
int store_start(struct store *s, uv_loop_t *loop);

/*
 * Queue a job. `arg` is borrowed until `done` runs (exactly once, on the
 * loop thread), which then owns it again. Returns 0, STORE_EBUSY when the
 * queue is full or STORE_ESTOPPED after store_stop(); on an error `done`
 * is NOT called and nothing was queued.
 */
int store_submit(struct store *s, store_fn fn, store_done_fn done, void *arg);

/* Like store_submit, but the job runs alone, outside any transaction (backups). */
int store_submit_solo(struct store *s, store_fn fn, store_done_fn done, void *arg);

/*
 * Stop accepting jobs, let the thread finish every queued one, deliver
 * their completions, close the database (which checkpoints the WAL), then
 * call on_stopped(arg) on the loop thread. The store is freed afterwards
 * by store_free().
 */
void store_stop(struct store *s, void (*on_stopped)(void *), void *arg);

/*
 * The settings table (key → a number kept as text), inside a job: read
 * key into *out (0 when absent or not a number), or write it.
 * 0, or a negative store_err.
 */
int store_setting_get(struct store_tx *tx, const char *key, int64_t *out);
int store_setting_set(struct store_tx *tx, const char *key, int64_t value);

/* Run one job now on this thread, in its own transaction (thread not started). */
int store_run(struct store *s, store_fn fn, void *arg);
/* The same for a job that only reads: a deferred transaction, so a running
 * server's writers are never held up by it (WAL lets both go on). */
int store_run_read(struct store *s, store_fn fn, void *arg);

/* Close the database if still open and free the store. */
void store_free(struct store *s);

/* In a job: the connection, and a prepared statement for `sql` (cached by
 * its text, reset and unbound; owned by the cache — do not finalize). NULL on
 * an SQL error, which is logged. */
sqlite3 *store_db(struct store_tx *tx);
sqlite3_stmt *store_stmt(struct store_tx *tx, const char *sql);
/* Run SQL text with no results; 0 or STORE_EIO (logged). */
int store_exec(struct store_tx *tx, const char *sql);
/* Map an SQLite result code to a store_err, logging real failures. */
int store_check(struct store_tx *tx, int sqlite_rc, const char *what);

struct store_stats {
	uint64_t commits;       /* transactions committed by the store thread */
	uint64_t jobs;          /* jobs completed */
	uint64_t failed_commits;
	uint64_t batch_buckets[8]; /* batch sizes: 1, 2-3, 4-7, 8-15, 16-63, 64-255, 256-1023, 1024+ */
	uint64_t batch_sum;     /* sum of batch sizes (jobs in committed batches) */
	uint64_t commit_us_sum; /* time spent in COMMIT */
	uint64_t queue_depth;   /* queued now */
	int schema_version;
};
/* A consistent-enough snapshot (counters are read without a lock). */
void store_get_stats(const struct store *s, struct store_stats *out);

/* The newest schema version this binary knows. */
int store_schema_latest(void);

#endif
