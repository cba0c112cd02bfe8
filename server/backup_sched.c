/*
 * backup_sched.c — the scheduled backup of a running server (see
 * backup_sched.h).
 *
 * A backup in progress is a struct backup_run that goes through three
 * phases, each where it costs least:
 *
 *   COPY    solo store jobs, PAGES_PER_STEP pages each; when pages remain,
 *           the job's completion queues the next one, so the store's
 *           batches run in between. (The sqlite3_backup object uses the
 *           store's connection, so only the store thread may touch it.)
 *   COMMIT  on the libuv thread pool: close the copy, fsync it (the long
 *           part, for a large database), rename it into place, prune. The
 *           store thread is not held up by that fsync.
 *   RECORD  an ordinary store job: the time in settings, a "backup" row in
 *           the audit log, committed with the store's next batch.
 *
 * At shutdown the store is told to stop right after we are. A run still
 * copying cannot simply be dropped (its sqlite3_backup object would keep
 * the store's connection from closing): we queue one "closer" job that
 * abandons it on the store thread, and that job's completion frees it.
 * A run past COPY finishes on its own; RECORD is skipped once stopping.
 */
#include "backup_sched.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "backup.h"
#include "clock.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "util.h"

/* 4096 pages of 4 KiB: 16 MiB per step, a few tens of ms of the store thread */
#define PAGES_PER_STEP 4096
/* after a failure, try again this much later rather than every second */
#define RETRY_MS (15 * 60 * 1000)
/* a step that keeps finding the database busy gives up after this many */
#define BUSY_STEPS_MAX 1000

enum phase { PH_COPY, PH_COMMIT, PH_RECORD };

/*
 * One per backup in progress. Made and freed on the loop thread; while
 * one of its jobs or its pool work runs, only that thread touches it
 * (`cancel` excepted); the hand-offs go through the store's queues and
 * uv_queue_work, which order the accesses.
 */
struct backup_run {
	char *dir, *tmp, *final;
	char name[BACKUP_NAME_LEN];
	int64_t t_ms; /* when it began (clock_now_ms): its name and its record */
	int64_t t0_mono;
	int keep;
	enum phase phase;
	atomic_int cancel; /* set by the loop at shutdown */
	uv_work_t work;	   /* COMMIT */
	sqlite3 *dest;	   /* the copy's connection, until committed or abandoned */
	sqlite3_backup *bk;
	int busy_steps;
	int pages;
	int more;   /* COPY: the last step left pages to copy */
	int copied; /* COPY is complete: dest holds every page */
	int ok;	    /* the backup is in place */
	int pruned;
	char err[256];
	/* loop thread */
	int waiting; /* the next step could not be queued; the tick retries */
	int closer;  /* the shutdown job is queued and will free the run */
};

/* One per process; loop thread only. */
static struct {
	struct server *srv;
	int64_t start_ms; /* clock_now_ms() at start */
	int64_t last_ms;  /* the last successful backup; 0: none yet */
	int64_t retry_ms; /* after a failure: not before this */
	uint64_t ok, failed;
	struct backup_run *run;
	int stopping;
} S;

static int64_t interval_ms(const struct server *srv)
{
	return (int64_t)srv->cfg.backup_interval_hours * 3600 * 1000;
}

/* ---- store thread ---- */

static int load_fn(struct store_tx *tx, void *arg)
{
	return store_setting_get(tx, "backup_last_ms", arg);
}

/* RECORD: remember the backup's time and audit it (inside the store's batch). */
static int record_fn(struct store_tx *tx, void *arg)
{
	const struct backup_run *r = arg;
	char *detail;
	int rc = store_setting_set(tx, "backup_last_ms", r->t_ms);

	if (rc)
		return rc;
	detail = xasprintf("{\"file\":\"%s\",\"pages\":%d}", r->name, r->pages);
	rc = audit_append(tx, AUDIT_SYSTEM, "backup", NULL, 0, detail);
	free(detail);
	return rc;
}

static void run_abandon(struct backup_run *r)
{
	if (r->bk)
		sqlite3_backup_finish(r->bk);
	r->bk = NULL;
	if (r->dest)
		backup_dest_abandon(r->dest, r->tmp);
	r->dest = NULL;
	r->copied = 0;
}

static int run_begin(struct store_tx *tx, struct backup_run *r)
{
	int rc = mkdir_p(r->dir, 0700);

	if (rc) {
		snprintf(r->err, sizeof r->err, "cannot create %s: %s", r->dir, strerror(-rc));
		return -1;
	}
	if (backup_dest_open(r->tmp, &r->dest, r->err, sizeof r->err))
		return -1;
	r->bk = sqlite3_backup_init(r->dest, "main", store_db(tx), "main");
	if (!r->bk) {
		snprintf(r->err, sizeof r->err, "cannot start: %s", sqlite3_errmsg(r->dest));
		run_abandon(r);
		return -1;
	}
	return 0;
}

/* COPY: one step. Also the shutdown's closer (cancel set). */
static int step_fn(struct store_tx *tx, void *arg)
{
	struct backup_run *r = arg;
	int rc;

	r->more = 0;
	if (atomic_load(&r->cancel)) {
		snprintf(r->err, sizeof r->err, "the server stopped before it was finished");
		run_abandon(r);
		return 0;
	}
	if (!r->bk && run_begin(tx, r))
		return 0;
	rc = sqlite3_backup_step(r->bk, PAGES_PER_STEP);
	if (rc == SQLITE_OK ||
	    ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && ++r->busy_steps < BUSY_STEPS_MAX)) {
		r->more = 1;
		return 0;
	}
	if (rc != SQLITE_DONE) {
		snprintf(r->err, sizeof r->err, "copying failed: %s", sqlite3_errstr(rc));
		run_abandon(r);
		return 0;
	}
	/* the copy no longer depends on the store's connection */
	r->pages = sqlite3_backup_pagecount(r->bk);
	sqlite3_backup_finish(r->bk);
	r->bk = NULL;
	r->copied = 1;
	return 0;
}

/* ---- thread pool ---- */

static void commit_work(uv_work_t *w)
{
	struct backup_run *r = w->data;

	r->ok = backup_dest_commit(r->dest, r->tmp, r->final, r->err, sizeof r->err) == 0;
	r->dest = NULL;
	if (r->ok)
		r->pruned = backup_prune(r->dir, r->keep);
}

/* ---- loop thread ---- */

static void run_free(struct backup_run *r)
{
	free(r->dir);
	free(r->tmp);
	free(r->final);
	free(r);
}

/* The run is over (nothing of it is in flight): account for it and free it. */
static void run_end(struct backup_run *r)
{
	if (r->ok) {
		S.last_ms = r->t_ms;
		S.ok++;
		log_info("backup_done", "file=%s pages=%d ms=%lld pruned=%d", r->name, r->pages,
			 (long long)(clock_mono_ms() - r->t0_mono), r->pruned > 0 ? r->pruned : 0);
	} else if (S.stopping) {
		log_warn("backup_abandoned", "file=%s reason=\"%s\"", r->name, r->err);
	} else {
		S.failed++;
		S.retry_ms = clock_now_ms() + RETRY_MS;
		log_error("backup_failed", "file=%s reason=\"%s\"", r->name, r->err);
	}
	if (S.run == r)
		S.run = NULL;
	run_free(r);
}

static void record_done(int rc, void *arg)
{
	struct backup_run *r = arg;

	if (rc) /* the file is in place; only its record is missing */
		log_warn("backup_not_recorded", "file=%s rc=%d", r->name, rc);
	run_end(r);
}

static void commit_after(uv_work_t *w, int status)
{
	struct backup_run *r = w->data;

	(void)status;
	r->phase = PH_RECORD;
	if (!r->ok || S.stopping || store_submit(S.srv->store, record_fn, record_done, r) != 0) {
		if (r->ok)
			log_warn("backup_not_recorded", "file=%s", r->name);
		run_end(r);
	}
}

static void step_done(int rc, void *arg);

static void submit_step(struct backup_run *r)
{
	r->waiting = store_submit_solo(S.srv->store, step_fn, step_done, r) != 0;
}

static void step_done(int rc, void *arg)
{
	struct backup_run *r = arg;

	(void)rc;
	if (r->closer) /* shutdown: the closer job, queued after us, ends it */
		return;
	if (r->more) {
		submit_step(r);
		return;
	}
	if (!r->copied) {
		run_end(r); /* failed */
		return;
	}
	r->phase = PH_COMMIT;
	r->work.data = r;
	if (uv_queue_work(&S.srv->loop, &r->work, commit_work, commit_after)) {
		/* cannot happen (uv_queue_work fails only without a work function) */
		snprintf(r->err, sizeof r->err, "cannot queue the file work");
		run_abandon(r); /* the copy's connection is its own now, so any thread may */
		run_end(r);
	}
}

static void closer_done(int rc, void *arg)
{
	(void)rc;
	run_end(arg);
}

static void run_start(struct server *srv, int64_t now)
{
	struct backup_run *r = xcalloc(1, sizeof *r);
	char tmp[BACKUP_TMP_LEN];

	r->t_ms = now;
	r->t0_mono = clock_mono_ms();
	r->keep = srv->cfg.backup_keep;
	r->dir = xasprintf("%s/%s", srv->cfg.data_dir, BACKUP_DIR);
	backup_file_name(now, r->name);
	backup_tmp_name(r->name, tmp);
	r->final = xasprintf("%s/%s", r->dir, r->name);
	r->tmp = xasprintf("%s/%s", r->dir, tmp);
	r->phase = PH_COPY;
	atomic_init(&r->cancel, 0);
	if (store_submit_solo(srv->store, step_fn, step_done, r)) {
		/* overloaded: the next tick tries again */
		run_free(r);
		return;
	}
	S.run = r;
	log_info("backup_started", "file=%s", r->name);
}

int backup_sched_init(struct server *srv, char *err, size_t errlen)
{
	memset(&S, 0, sizeof S);
	S.srv = srv;
	S.start_ms = clock_now_ms();
	if (store_run(srv->store, load_fn, &S.last_ms)) {
		snprintf(err, errlen, "cannot read the time of the last backup");
		return -1;
	}
	return 0;
}

void backup_sched_tick(struct server *srv)
{
	int64_t now = clock_now_ms(), iv = interval_ms(srv);

	if (S.stopping)
		return;
	if (S.run) {
		if (S.run->waiting)
			submit_step(S.run);
		return;
	}
	if (iv == 0 || now < S.retry_ms || now < (S.last_ms ? S.last_ms : S.start_ms) + iv)
		return;
	run_start(srv, now);
}

void backup_sched_shutdown(struct server *srv)
{
	struct backup_run *r = S.run;

	S.stopping = 1;
	if (!r || r->phase != PH_COPY || r->closer)
		return; /* COMMIT and RECORD end by themselves */
	atomic_store(&r->cancel, 1);
	r->closer = 1;
	if (store_submit_solo(srv->store, step_fn, closer_done, r)) {
		/* only with a full queue: a step still queued sees `cancel` and ends the run */
		log_error("backup_not_closed", "file=%s", r->name);
		r->closer = 0;
	}
}

void backup_sched_free(struct server *srv)
{
	(void)srv;
	/*
	 * Normally the run's last completion has freed it. One left here had
	 * no job to end it (see backup_sched_shutdown); its SQLite objects
	 * died with the store's connection, so only its memory remains.
	 */
	if (S.run)
		run_free(S.run);
	S.run = NULL;
	S.srv = NULL;
}

int backup_sched_overdue(const struct server *srv)
{
	int64_t now = clock_now_ms(), iv = interval_ms(srv);

	if (iv == 0 || now - S.start_ms < iv)
		return 0;
	return now - (S.last_ms ? S.last_ms : S.start_ms) > 2 * iv;
}

void backup_sched_metrics(const struct server *srv, struct buf *b)
{
	int64_t now = clock_now_ms();

	(void)srv;
	buf_printf(b,
		   "# HELP hearth_backup_age_seconds Seconds since the last successful backup"
		   " (since the start, when there has been none).\n"
		   "# TYPE hearth_backup_age_seconds gauge\nhearth_backup_age_seconds %lld\n",
		   (long long)((now - (S.last_ms ? S.last_ms : S.start_ms)) / 1000));
	buf_printf(b,
		   "# HELP hearth_backup_last_success_timestamp_seconds When the last successful"
		   " backup began (0: none yet).\n"
		   "# TYPE hearth_backup_last_success_timestamp_seconds gauge\n"
		   "hearth_backup_last_success_timestamp_seconds %lld\n",
		   (long long)(S.last_ms / 1000));
	buf_printf(b,
		   "# HELP hearth_backups_total Scheduled backups since the start, by result.\n"
		   "# TYPE hearth_backups_total counter\n"
		   "hearth_backups_total{result=\"ok\"} %llu\n"
		   "hearth_backups_total{result=\"failed\"} %llu\n",
		   (unsigned long long)S.ok, (unsigned long long)S.failed);
}
