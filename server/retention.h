/*
 * retention.h — how long personal data is kept, and the purge that ends
 * it: daily in the running server, and `hearth purge` on demand.
 *
 * What goes (DESIGN.md, "Guarantees"):
 *   - an application's sealed GP contact, screening answers and the
 *     facilitators' notes (and the decision message) once every membership
 *     it led to ended [retention] screening_years (2) ago;
 *   - the same of a referred or withdrawn application, that long after it
 *     was closed (its last change);
 *   - log-in sessions that can no longer be used (past expires_at, or idle
 *     past [accounts] idle_timeout_min without "remember me").
 * Purged cells become NULL and applications.screening_purged_at is set;
 * the rows stay (ids, status, dates, age band) for the group's records.
 * Sent mail is pruned by the mail module itself (30 days, see mail.c), so
 * it is not repeated here.
 *
 * Each run is audit-logged ("purge", with its counts) in the transaction
 * that deletes, and the server keeps the time of its last run in the
 * settings table (retention_last_ms), so a restart does not move the
 * schedule. Time is clock_now_ms(), so tests move it with the test clock.
 */
#ifndef HEARTH_RETENTION_H
#define HEARTH_RETENTION_H

#include <stdint.h>

#include "store.h"

struct server;

#define RETENTION_INTERVAL_MS (24LL * 3600 * 1000)

/* What one run removed. */
struct retention_counts {
	int64_t screening; /* applications of ended memberships wiped */
	int64_t closed;	   /* referred or withdrawn applications wiped */
	int64_t sessions;  /* log-in sessions deleted */
	int64_t mail;	   /* finished outbox rows over 30 days old deleted */
	int64_t spool;	   /* spooled .eml files over 30 days old removed */
};

/* What one run needs. */
struct retention_opts {
	int64_t now;
	int years;	 /* [retention] screening_years */
	int64_t idle_ms; /* [accounts] idle_timeout_min */
	const char *data_dir; /* the spool's folder is pruned here; NULL: not */
};

/*
 * The cut-off for `years` before now: the same UTC date and time that many
 * calendar years earlier (29 February becomes 1 March).
 */
int64_t retention_cutoff(int64_t now, int years);

/*
 * One purge inside the caller's store job: wipe, delete, record the time in
 * settings and append the audit row, all in the job's transaction. Fills
 * *out. session_ids (may be NULL) gets up to max_ids ids of the deleted
 * log-in sessions, *nids how many. 0 or a negative store_err (the job then
 * rolls back, and nothing was purged).
 */
int retention_run(struct store_tx *tx, const struct retention_opts *o, struct retention_counts *out,
		  int64_t *session_ids, int max_ids, int *nids);

/* Server: read the time of the last run (before the store thread starts). 0, or -1 with err. */
int retention_init(struct server *srv, char *err, size_t errlen);
/* Once a second: start a run when a day has passed since the last (or none ever ran). */
void retention_tick(struct server *srv);
/* Shutdown has begun: start no run. */
void retention_shutdown(struct server *srv);

/* `hearth purge`: run one purge on the data folder now and print the counts. Exit status. */
int retention_cli(int argc, char **argv);

#endif
