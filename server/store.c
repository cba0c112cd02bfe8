/*
 * store.c — the store thread, its queue and group commit (see store.h).
 *
 * Two queues, each a singly linked FIFO under its own mutex:
 *   in   — filled by the loop thread, emptied by the store thread;
 *   out  — filled by the store thread after COMMIT, emptied on the loop
 *          thread in the uv_async callback, which runs the `done`s.
 * The thread's last act is to close the database and wake the loop once
 * more; the loop then joins it (it has already returned, so the join does
 * not wait) and closes the async handle.
 */
#include "store.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "schema.h"
#include "util.h"

struct job {
	struct job *next;
	store_fn fn;
	store_done_fn done;
	void *arg;
	int rc;
	int solo;
};

struct job_queue {
	struct job *head, *tail;
	size_t len;
};

struct stmt_entry {
	struct stmt_entry *next;
	const char *key; /* the caller's pointer, compared first */
	char *sql;
	sqlite3_stmt *st;
};

#define STMT_BUCKETS 256

/* One per store; the loop thread and the store thread both touch it, each field as noted. */
struct store_tx {
	sqlite3 *db; /* store thread only, once started */
	struct stmt_entry *stmts[STMT_BUCKETS];
};

/* One per process (struct server owns it). */
struct store {
	struct store_tx tx;
	struct store_opts opts;
	char *path;

	pthread_t thread;
	int started;
	pthread_mutex_t in_lock;
	pthread_cond_t in_cond;
	struct job_queue in; /* under in_lock */
	int stopping;        /* under in_lock */

	pthread_mutex_t out_lock;
	struct job_queue out; /* under out_lock */
	int thread_done;      /* under out_lock */

	uv_async_t async; /* loop thread */
	void (*on_stopped)(void *);
	void *stopped_arg;

	_Atomic uint64_t commits, jobs, failed_commits, batch_sum, commit_us_sum, depth;
	_Atomic uint64_t buckets[8];
	int schema_version;
};

static const char *const err_names[] = {
	"ok", "not found", "conflict", "database error", "overloaded", "shutting down",
	"invalid input", "forbidden",
};

const char *store_strerror(int err)
{
	if (err > 0 || -err >= (int)ARRAY_LEN(err_names))
		return "unknown store error";
	return err_names[-err];
}

static void q_push(struct job_queue *q, struct job *j)
{
	j->next = NULL;
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	q->len++;
}

/* Detach the whole queue and return its head. */
static struct job *q_take_all(struct job_queue *q)
{
	struct job *h = q->head;

	q->head = q->tail = NULL;
	q->len = 0;
	return h;
}

sqlite3 *store_db(struct store_tx *tx)
{
	return tx->db;
}

int store_check(struct store_tx *tx, int rc, const char *what)
{
	switch (rc) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_CONSTRAINT:
		return STORE_ECONFLICT;
	default:
		log_error("store_failed", "what=%s rc=%d msg=\"%s\"", what, rc,
			  sqlite3_errmsg(tx->db));
		return STORE_EIO;
	}
}

sqlite3_stmt *store_stmt(struct store_tx *tx, const char *sql)
{
	size_t h = ((uintptr_t)sql >> 4) % STMT_BUCKETS;
	struct stmt_entry *e;
	int rc;

	for (e = tx->stmts[h]; e; e = e->next)
		if (e->key == sql && !strcmp(e->sql, sql)) {
			sqlite3_reset(e->st);
			sqlite3_clear_bindings(e->st);
			return e->st;
		}
	e = xcalloc(1, sizeof *e);
	rc = sqlite3_prepare_v3(tx->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &e->st, NULL);
	if (rc != SQLITE_OK) {
		log_error("store_prepare_failed", "msg=\"%s\"", sqlite3_errmsg(tx->db));
		free(e);
		return NULL;
	}
	e->key = sql;
	e->sql = xstrdup(sql);
	e->next = tx->stmts[h];
	tx->stmts[h] = e;
	return e->st;
}

static void stmt_cache_free(struct store_tx *tx)
{
	for (size_t i = 0; i < STMT_BUCKETS; i++) {
		struct stmt_entry *e = tx->stmts[i], *n;

		for (; e; e = n) {
			n = e->next;
			sqlite3_finalize(e->st);
			free(e->sql);
			free(e);
		}
		tx->stmts[i] = NULL;
	}
}

int store_exec(struct store_tx *tx, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(tx->db, sql, NULL, NULL, &msg);

	if (rc == SQLITE_OK)
		return 0;
	log_error("store_exec_failed", "rc=%d msg=\"%s\"", rc, msg ? msg : "");
	sqlite3_free(msg);
	return rc == SQLITE_CONSTRAINT ? STORE_ECONFLICT : STORE_EIO;
}

int store_setting_get(struct store_tx *tx, const char *key, int64_t *out)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT value FROM settings WHERE key = ?");
	const char *v;
	int rc;

	*out = 0;
	if (!st)
		return STORE_EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		v = (const char *)sqlite3_column_text(st, 0);
		if (!v || parse_int64(v, 0, INT64_MAX, out))
			*out = 0;
	}
	rc = store_check(tx, rc, "setting_get");
	sqlite3_reset(st);
	return rc;
}

int store_setting_set(struct store_tx *tx, const char *key, int64_t value)
{
	sqlite3_stmt *st = store_stmt(tx, "INSERT INTO settings (key, value) VALUES (?, ?)"
					  " ON CONFLICT (key) DO UPDATE SET value = excluded.value");
	char v[24];
	int rc;

	if (!st)
		return STORE_EIO;
	snprintf(v, sizeof v, "%lld", (long long)value);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, v, -1, SQLITE_TRANSIENT);
	rc = store_check(tx, sqlite3_step(st), "setting_set");
	sqlite3_reset(st);
	return rc;
}

/* ---- opening and migrations ---- */

static int schema_current(struct store_tx *tx, int *version)
{
	sqlite3_stmt *st;
	int rc;

	if (store_exec(tx, "CREATE TABLE IF NOT EXISTS schema_migrations ("
			   " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
			   " applied_at INTEGER NOT NULL)"))
		return STORE_EIO;
	st = store_stmt(tx, "SELECT coalesce(max(version), 0) FROM schema_migrations");
	if (!st)
		return STORE_EIO;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return store_check(tx, rc, "schema_version");
	*version = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return 0;
}

static int migration_applied(struct store_tx *tx, int version)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT 1 FROM schema_migrations WHERE version = ?");
	int found;

	if (!st)
		return -1;
	sqlite3_bind_int(st, 1, version);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return found;
}

/*
 * Apply every known migration not yet recorded, in version order, each in
 * its own transaction with its row in schema_migrations. Versions are
 * recorded individually (not just a maximum) so that a migration merged
 * with a lower number than one already applied is still applied.
 */
static int migrate(struct store *s, char *err, size_t errlen)
{
	struct store_tx *tx = &s->tx;
	const struct migration *m;
	size_t n;
	int current = 0, latest = store_schema_latest();

	if (schema_current(tx, &current)) {
		snprintf(err, errlen, "cannot read the schema version of %s", s->path);
		return STORE_EIO;
	}
	if (current > latest) {
		snprintf(err, errlen,
			 "%s has schema version %d, newer than this hearth (%d): use a newer binary",
			 s->path, current, latest);
		return STORE_ECONFLICT;
	}
	m = schema_migrations(&n);
	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *st;
		int rc;

		if (migration_applied(tx, m[i].version))
			continue;
		if (store_exec(tx, "BEGIN IMMEDIATE"))
			goto fail;
		if (store_exec(tx, m[i].sql)) {
			store_exec(tx, "ROLLBACK");
			goto fail;
		}
		st = store_stmt(tx, "INSERT INTO schema_migrations (version, name, applied_at)"
				    " VALUES (?, ?, ?)");
		if (!st) {
			store_exec(tx, "ROLLBACK");
			goto fail;
		}
		sqlite3_bind_int(st, 1, m[i].version);
		sqlite3_bind_text(st, 2, m[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, clock_now());
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE || store_exec(tx, "COMMIT")) {
			store_exec(tx, "ROLLBACK");
			goto fail;
		}
		log_info("migration_applied", "version=%d name=%s", m[i].version, m[i].name);
		continue;
fail:
		snprintf(err, errlen, "migration %d (%s) failed on %s", m[i].version, m[i].name,
			 s->path);
		return STORE_EIO;
	}
	s->schema_version = latest;
	return 0;
}

int store_open(struct store **out, const struct store_opts *o, char *err, size_t errlen)
{
	struct store *s = xcalloc(1, sizeof *s);
	char pragmas[256];
	int rc;

	s->opts = *o;
	s->path = xstrdup(o->path);
	s->opts.path = s->path;
	s->opts.synchronous = NULL; /* only used here */
	pthread_mutex_init(&s->in_lock, NULL);
	pthread_cond_init(&s->in_cond, NULL);
	pthread_mutex_init(&s->out_lock, NULL);

	rc = sqlite3_open_v2(s->path, &s->tx.db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot open database %s: %s", s->path,
			 s->tx.db ? sqlite3_errmsg(s->tx.db) : sqlite3_errstr(rc));
		store_free(s);
		return STORE_EIO;
	}
	sqlite3_busy_timeout(s->tx.db, 5000);
	snprintf(pragmas, sizeof pragmas,
		 "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; PRAGMA foreign_keys=ON;"
		 " PRAGMA trusted_schema=OFF; PRAGMA secure_delete=ON;",
		 o->synchronous && !strcmp(o->synchronous, "NORMAL") ? "NORMAL" : "FULL");
	if (store_exec(&s->tx, pragmas)) {
		snprintf(err, errlen, "cannot use database %s: %s (is the folder writable?)",
			 s->path, sqlite3_errmsg(s->tx.db));
		store_free(s);
		return STORE_EIO;
	}
	rc = migrate(s, err, errlen);
	if (rc) {
		store_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int store_schema_latest(void)
{
	size_t n;
	const struct migration *m = schema_migrations(&n);
	int latest = 0;

	for (size_t i = 0; i < n; i++)
		if (m[i].version > latest)
			latest = m[i].version;
	return latest;
}

/* ---- running jobs ---- */

static void count_batch(struct store *s, size_t n, uint64_t us)
{
	static const size_t limits[] = {1, 3, 7, 15, 63, 255, 1023};
	size_t b = 0;

	while (b < ARRAY_LEN(limits) && n > limits[b])
		b++;
	atomic_fetch_add(&s->buckets[b], 1);
	atomic_fetch_add(&s->commits, 1);
	atomic_fetch_add(&s->batch_sum, n);
	atomic_fetch_add(&s->commit_us_sum, us);
}

/*
 * Step one of the transaction-control statements. They are prepared once,
 * in the statement cache, rather than parsed by sqlite3_exec for every
 * batch: at low load a batch holds one job, and each message paid the
 * parse of four statements (bench/README.md, P3).
 */
static int tx_control(struct store *s, const char *sql)
{
	sqlite3_stmt *st = store_stmt(&s->tx, sql);
	int rc;

	if (!st)
		return STORE_EIO;
	rc = store_check(&s->tx, sqlite3_step(st), sql);
	sqlite3_reset(st);
	return rc;
}

/* Run one job inside the open transaction, isolated by a savepoint. */
static void run_in_savepoint(struct store *s, struct job *j)
{
	if (tx_control(s, "SAVEPOINT job")) {
		j->rc = STORE_EIO;
		return;
	}
	j->rc = j->fn(&s->tx, j->arg);
	if (j->rc)
		tx_control(s, "ROLLBACK TO job");
	tx_control(s, "RELEASE job");
}

static void fail_batch(struct store *s, struct job *first, size_t n)
{
	for (size_t i = 0; i < n; i++, first = first->next)
		first->rc = STORE_EIO;
	atomic_fetch_add(&s->failed_commits, 1);
}

/*
 * Run a batch of non-solo jobs in one transaction. If BEGIN or COMMIT
 * fails, every job of the batch fails: nothing of it is durable, so none
 * of it may be acknowledged. A batch of one needs no savepoint: the
 * transaction itself is rolled back if its job fails.
 */
static void run_batch(struct store *s, struct job *first, size_t n)
{
	int64_t t0;

	if (tx_control(s, "BEGIN IMMEDIATE")) {
		fail_batch(s, first, n);
		return;
	}
	if (n == 1) {
		first->rc = first->fn(&s->tx, first->arg);
		if (first->rc) {
			tx_control(s, "ROLLBACK"); /* logged if it fails */
			return;
		}
	} else {
		struct job *j = first;

		for (size_t i = 0; i < n; i++, j = j->next)
			run_in_savepoint(s, j);
	}
	t0 = clock_mono_ms();
	if (tx_control(s, "COMMIT")) {
		tx_control(s, "ROLLBACK");
		fail_batch(s, first, n);
		return;
	}
	count_batch(s, n, (uint64_t)(clock_mono_ms() - t0) * 1000);
}

static void deliver(struct store *s, struct job *head)
{
	pthread_mutex_lock(&s->out_lock);
	while (head) {
		struct job *n = head->next;

		q_push(&s->out, head);
		head = n;
	}
	pthread_mutex_unlock(&s->out_lock);
	uv_async_send(&s->async);
}

static void *store_thread(void *p)
{
	struct store *s = p;

	for (;;) {
		struct job *head, *j, *rest;
		size_t n = 0;

		pthread_mutex_lock(&s->in_lock);
		while (!s->in.head && !s->stopping)
			pthread_cond_wait(&s->in_cond, &s->in_lock);
		if (!s->in.head) { /* stopping and drained */
			pthread_mutex_unlock(&s->in_lock);
			break;
		}
		/* take up to batch_max jobs, stopping before a solo job (which runs alone) */
		head = s->in.head;
		j = head; /* j: the last job of this batch */
		n = 1;
		if (!head->solo)
			while (n < (size_t)s->opts.batch_max && j->next && !j->next->solo) {
				j = j->next;
				n++;
			}
		rest = j->next;
		j->next = NULL;
		s->in.head = rest;
		if (!rest)
			s->in.tail = NULL;
		s->in.len -= n;
		atomic_store(&s->depth, s->in.len);
		pthread_mutex_unlock(&s->in_lock);

		if (head->solo)
			head->rc = head->fn(&s->tx, head->arg);
		else
			run_batch(s, head, n);
		atomic_fetch_add(&s->jobs, n);
		deliver(s, head);
	}
	stmt_cache_free(&s->tx);
	sqlite3_close(s->tx.db); /* last connection: checkpoints and removes the WAL */
	s->tx.db = NULL;
	pthread_mutex_lock(&s->out_lock);
	s->thread_done = 1;
	pthread_mutex_unlock(&s->out_lock);
	uv_async_send(&s->async);
	return NULL;
}

static void on_async_closed(uv_handle_t *h)
{
	struct store *s = h->data;

	if (s->on_stopped)
		s->on_stopped(s->stopped_arg);
}

/* Loop thread: run the completions the store thread handed back. */
static void on_async(uv_async_t *a)
{
	struct store *s = a->data;
	struct job *j, *n;
	int done;

	pthread_mutex_lock(&s->out_lock);
	j = q_take_all(&s->out);
	done = s->thread_done;
	pthread_mutex_unlock(&s->out_lock);
	for (; j; j = n) {
		n = j->next;
		if (j->done)
			j->done(j->rc, j->arg);
		free(j);
	}
	if (done && s->started) {
		pthread_join(s->thread, NULL);
		s->started = 0;
		uv_close((uv_handle_t *)&s->async, on_async_closed);
	}
}

int store_start(struct store *s, uv_loop_t *loop)
{
	s->async.data = s;
	if (uv_async_init(loop, &s->async, on_async))
		return STORE_EIO;
	if (pthread_create(&s->thread, NULL, store_thread, s)) {
		uv_close((uv_handle_t *)&s->async, NULL);
		return STORE_EIO;
	}
	s->started = 1;
	return 0;
}

static int submit(struct store *s, int solo, store_fn fn, store_done_fn done, void *arg)
{
	struct job *j;

	pthread_mutex_lock(&s->in_lock);
	if (s->stopping || !s->started) {
		pthread_mutex_unlock(&s->in_lock);
		return STORE_ESTOPPED;
	}
	if (s->in.len >= (size_t)s->opts.queue_max) {
		pthread_mutex_unlock(&s->in_lock);
		return STORE_EBUSY;
	}
	j = xcalloc(1, sizeof *j);
	j->fn = fn;
	j->done = done;
	j->arg = arg;
	j->solo = solo;
	q_push(&s->in, j);
	atomic_store(&s->depth, s->in.len);
	pthread_cond_signal(&s->in_cond);
	pthread_mutex_unlock(&s->in_lock);
	return 0;
}

int store_submit(struct store *s, store_fn fn, store_done_fn done, void *arg)
{
	return submit(s, 0, fn, done, arg);
}

int store_submit_solo(struct store *s, store_fn fn, store_done_fn done, void *arg)
{
	return submit(s, 1, fn, done, arg);
}

void store_stop(struct store *s, void (*on_stopped)(void *), void *arg)
{
	s->on_stopped = on_stopped;
	s->stopped_arg = arg;
	pthread_mutex_lock(&s->in_lock);
	s->stopping = 1;
	pthread_cond_signal(&s->in_cond);
	pthread_mutex_unlock(&s->in_lock);
}

static int run_now(struct store *s, const char *begin, store_fn fn, void *arg)
{
	int rc;

	if (store_exec(&s->tx, begin))
		return STORE_EIO;
	rc = fn(&s->tx, arg);
	if (rc) {
		store_exec(&s->tx, "ROLLBACK");
		return rc;
	}
	if (store_exec(&s->tx, "COMMIT")) {
		store_exec(&s->tx, "ROLLBACK");
		return STORE_EIO;
	}
	return 0;
}

int store_run(struct store *s, store_fn fn, void *arg)
{
	return run_now(s, "BEGIN IMMEDIATE", fn, arg);
}

int store_run_read(struct store *s, store_fn fn, void *arg)
{
	return run_now(s, "BEGIN", fn, arg);
}

void store_free(struct store *s)
{
	if (!s)
		return;
	stmt_cache_free(&s->tx);
	if (s->tx.db)
		sqlite3_close(s->tx.db);
	pthread_mutex_destroy(&s->in_lock);
	pthread_cond_destroy(&s->in_cond);
	pthread_mutex_destroy(&s->out_lock);
	free(s->path);
	free(s);
}

void store_get_stats(const struct store *s, struct store_stats *o)
{
	memset(o, 0, sizeof *o);
	o->commits = atomic_load(&s->commits);
	o->jobs = atomic_load(&s->jobs);
	o->failed_commits = atomic_load(&s->failed_commits);
	o->batch_sum = atomic_load(&s->batch_sum);
	o->commit_us_sum = atomic_load(&s->commit_us_sum);
	o->queue_depth = atomic_load(&s->depth);
	for (int i = 0; i < 8; i++)
		o->batch_buckets[i] = atomic_load(&s->buckets[i]);
	o->schema_version = s->schema_version;
}
