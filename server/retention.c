/*
 * retention.c — the purge of personal data past its time (see
 * retention.h): the SQL, the server's daily schedule, and `hearth purge`.
 */
#include "retention.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "authcache.h"
#include "cli.h"
#include "clock.h"
#include "log.h"
#include "mail.h"
#include "server.h"
#include "util.h"

#define SETTINGS_KEY "retention_last_ms"
/* after a failed run, try again this much later rather than every second */
#define RETRY_MS (60LL * 60 * 1000)
/* deleted log-in sessions dropped from the upgrade cache per run; the rest
 * are refused by SQLite anyway when a socket confirms its session */
#define IDS_MAX 4096

int64_t retention_cutoff(int64_t now, int years)
{
	time_t t = (time_t)(now / 1000);
	int64_t ms = now % 1000;
	struct tm tm;

	if (!gmtime_r(&t, &tm))
		return now - (int64_t)years * 365 * 86400 * 1000;
	tm.tm_year -= years;
	tm.tm_isdst = 0;
	return (int64_t)timegm(&tm) * 1000 + ms;
}

/* ---- store thread ---- */

/*
 * An application's sealed cells, and the message sent with its decision,
 * as apps_erase_user wipes them: the row stays, its contents go.
 */
#define WIPE                                                                                       \
	"UPDATE applications SET answers = NULL, gp_contact = NULL, notes = NULL,"                 \
	" message = NULL, screening_purged_at = ?1 WHERE screening_purged_at IS NULL"
/* …and no membership from it is active, or ended after the cut-off */
#define NO_RECENT_MEMBERSHIP                                                                       \
	" AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.application_id = applications.id"    \
	" AND (m.ended_at IS NULL OR m.ended_at >= ?2))"

static int exec_count(struct store_tx *tx, const char *sql, int64_t now, int64_t cutoff, int64_t *n,
		      const char *what)
{
	sqlite3_stmt *st = store_stmt(tx, sql);
	int rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, cutoff);
	rc = store_check(tx, sqlite3_step(st), what);
	sqlite3_reset(st);
	if (rc == 0)
		*n = sqlite3_changes(store_db(tx));
	return rc;
}

static int purge_sessions(struct store_tx *tx, const struct retention_opts *o, int64_t *n,
			  int64_t *ids, int max_ids, int *nids)
{
	/* what acct_session_lookup would refuse (and delete) if it were used */
	sqlite3_stmt *st =
	    store_stmt(tx, "DELETE FROM auth_sessions WHERE expires_at <= ?1"
			   " OR (remember = 0 AND last_seen < ?1 - ?2) RETURNING id");
	int rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, o->now);
	sqlite3_bind_int64(st, 2, o->idle_ms);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (ids && *nids < max_ids)
			ids[(*nids)++] = sqlite3_column_int64(st, 0);
		(*n)++;
	}
	rc = store_check(tx, rc, "purge_sessions");
	sqlite3_reset(st);
	return rc;
}

static int record(struct store_tx *tx, const struct retention_opts *o,
		  const struct retention_counts *c)
{
	char *detail;
	int rc = store_setting_set(tx, SETTINGS_KEY, o->now);

	if (rc)
		return rc;
	detail = xasprintf("{\"screening\":%lld,\"closed_applications\":%lld,\"sessions\":%lld,"
			   "\"mail\":%lld,\"spool_files\":%lld,\"years\":%d}",
			   (long long)c->screening, (long long)c->closed, (long long)c->sessions,
			   (long long)c->mail, (long long)c->spool, o->years);
	rc = audit_append(tx, AUDIT_SYSTEM, "purge", NULL, 0, detail);
	free(detail);
	return rc;
}

int retention_run(struct store_tx *tx, const struct retention_opts *o, struct retention_counts *out,
		  int64_t *session_ids, int max_ids, int *nids)
{
	int64_t cutoff = retention_cutoff(o->now, o->years);
	int dummy = 0;
	int rc;

	memset(out, 0, sizeof *out);
	if (!nids)
		nids = &dummy;
	*nids = 0;
	/* at least one membership came of it, and every one ended before the cut-off */
	rc = exec_count(tx,
			WIPE " AND EXISTS (SELECT 1 FROM memberships m"
			     " WHERE m.application_id = applications.id)" NO_RECENT_MEMBERSHIP,
			o->now, cutoff, &out->screening, "purge_screening");
	/* closed without a membership: counted from its last change (the decision, or later) */
	if (rc == 0)
		rc = exec_count(
		    tx,
		    WIPE " AND status IN ('referred', 'withdrawn')"
			 " AND max(updated_at, coalesce(decided_at, 0)) < ?2" NO_RECENT_MEMBERSHIP,
		    o->now, cutoff, &out->closed, "purge_closed");
	if (rc == 0)
		rc = purge_sessions(tx, o, &out->sessions, session_ids, max_ids, nids);
	if (rc == 0)
		rc = mail_purge_done(tx, o->now, &out->mail);
	/* files cannot roll back with the transaction; removing an old copy of
	 * a sent mail early is harmless, and a failure is retried next run */
	if (rc == 0 && o->data_dir && mail_spool_prune(o->data_dir, o->now, &out->spool))
		log_warn("purge_spool_failed", "msg=\"%s\"", strerror(errno));
	if (rc == 0)
		rc = record(tx, o, out);
	return rc;
}

/* ---- the server's schedule (loop thread) ---- */

/* One run in flight; made by the tick, freed by its completion. */
struct run {
	struct retention_opts o;
	struct retention_counts c;
	int64_t ids[IDS_MAX];
	int nids;
};

/* One per process; loop thread only. */
static struct {
	int64_t last_ms; /* the last successful run; 0: never */
	int64_t next_ms; /* after a failure: not before this */
	int busy;
	int stopping;
} R;

static int load_fn(struct store_tx *tx, void *arg)
{
	return store_setting_get(tx, SETTINGS_KEY, arg);
}

static int run_fn(struct store_tx *tx, void *arg)
{
	struct run *r = arg;

	return retention_run(tx, &r->o, &r->c, r->ids, IDS_MAX, &r->nids);
}

static void run_done(int rc, void *arg)
{
	struct run *r = arg;

	R.busy = 0;
	if (rc) {
		R.next_ms = clock_now_ms() + RETRY_MS;
		log_error("purge_failed", "rc=%d", rc);
	} else {
		R.last_ms = r->o.now;
		for (int i = 0; i < r->nids; i++)
			authcache_drop_session(r->ids[i]);
		log_info("purge_done",
			 "screening=%lld closed_applications=%lld sessions=%lld mail=%lld"
			 " spool_files=%lld years=%d",
			 (long long)r->c.screening, (long long)r->c.closed,
			 (long long)r->c.sessions, (long long)r->c.mail, (long long)r->c.spool,
			 r->o.years);
	}
	free(r);
}

int retention_init(struct server *srv, char *err, size_t errlen)
{
	memset(&R, 0, sizeof R);
	if (store_run(srv->store, load_fn, &R.last_ms)) {
		snprintf(err, errlen, "cannot read the time of the last purge");
		return -1;
	}
	return 0;
}

void retention_tick(struct server *srv)
{
	int64_t now = clock_now_ms();
	struct run *r;

	if (R.stopping || R.busy || now < R.next_ms)
		return;
	/* a last run "in the future" (a clock set back) must not stop purging */
	if (R.last_ms && now >= R.last_ms && now - R.last_ms < RETENTION_INTERVAL_MS)
		return;
	r = xcalloc(1, sizeof *r);
	r->o.now = now;
	r->o.years = srv->cfg.retention_screening_years;
	r->o.idle_ms = (int64_t)srv->cfg.idle_timeout_min * 60 * 1000;
	r->o.data_dir = srv->cfg.data_dir;
	if (store_submit(srv->store, run_fn, run_done, r)) {
		free(r); /* busy: the next tick tries again */
		return;
	}
	R.busy = 1;
}

void retention_shutdown(struct server *srv)
{
	(void)srv;
	R.stopping = 1;
}

/* ---- hearth purge ---- */

static int cli_fn(struct store_tx *tx, void *arg)
{
	struct run *r = arg;

	return retention_run(tx, &r->o, &r->c, NULL, 0, NULL);
}

int retention_cli(int argc, char **argv)
{
	struct config cfg;
	struct run r;
	struct store *st;
	const char *pos[1];
	int npos, rc;

	config_defaults(&cfg);
	rc = cli_parse(argc, argv, 2, &cfg, pos, &npos, 1, NULL, NULL);
	if (rc) {
		config_free(&cfg);
		return rc;
	}
	if (npos) {
		fprintf(stderr,
			"usage: hearth purge [--data DIR] [--retention-screening-years N]\n");
		config_free(&cfg);
		return CLI_USAGE;
	}
	st = cli_open_existing_store(&cfg);
	if (!st) {
		config_free(&cfg);
		return CLI_FAIL;
	}
	memset(&r, 0, sizeof r);
	r.o.now = clock_now_ms();
	r.o.years = cfg.retention_screening_years;
	r.o.idle_ms = (int64_t)cfg.idle_timeout_min * 60 * 1000;
	r.o.data_dir = cfg.data_dir;
	rc = store_run(st, cli_fn, &r);
	store_free(st);
	config_free(&cfg);
	if (rc) {
		fprintf(stderr, "hearth: the purge failed (%s); nothing was removed\n",
			store_strerror(rc));
		return CLI_FAIL;
	}
	printf(
	    "purged (keeping screening data %d year%s after a membership or application ended):\n"
	    "  ended memberships' applications wiped: %lld\n"
	    "  closed applications wiped: %lld\n"
	    "  expired log-in sessions deleted: %lld\n"
	    "  mail sent or given up over 30 days ago deleted: %lld\n"
	    "  spooled mail files over 30 days old removed: %lld\n",
	    r.o.years, r.o.years == 1 ? "" : "s", (long long)r.c.screening, (long long)r.c.closed,
	    (long long)r.c.sessions, (long long)r.c.mail, (long long)r.c.spool);
	return CLI_OK;
}
