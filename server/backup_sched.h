/*
 * backup_sched.h — the running server's scheduled backups.
 *
 * Every [backup] interval_hours (24) the server copies its database into
 * DATA/backups/hearth-YYYYMMDD-HHMMSS.db and keeps the newest [backup]
 * keep (7). The copy is made with the SQLite backup API on the store's
 * own connection, in store_submit_solo() jobs of a few thousand pages
 * each: the store thread runs them between its batches, so writes keep
 * being committed while a large database is copied, and the loop never
 * waits on disk. Writes made during the copy go into it too (SQLite
 * updates a backup from the connection that writes), so the file is the
 * database as it was when the last step finished. The file is then
 * fsync'ed and renamed into place on the libuv thread pool.
 *
 * The time of the last successful backup is kept in the settings table
 * (key backup_last_ms) and each one is audit-logged ("backup"). The
 * schedule reads clock_now_ms(), so tests move it with the test clock.
 *
 * One schedule per process; every function here runs on the loop thread.
 */
#ifndef HEARTH_BACKUP_SCHED_H
#define HEARTH_BACKUP_SCHED_H

#include <stddef.h>

struct server;
struct buf;

/* Start the schedule: read the last backup's time. Call before the store
 * thread starts. 0, or -1 with a sentence in err. */
int backup_sched_init(struct server *srv, char *err, size_t errlen);

/* Once a second: start a backup when one is due, keep one in progress going. */
void backup_sched_tick(struct server *srv);

/* Shutdown has begun: a backup in progress is abandoned (its temporary
 * file removed) by one last store job, before the store closes. */
void backup_sched_shutdown(struct server *srv);

/* Free what is left (after the loop ended). */
void backup_sched_free(struct server *srv);

/*
 * 1 when backups are overdue: the last one (or the start, when there has
 * been none) is older than twice the interval, and the server has been
 * running for at least one interval — so a fresh or restarted server is
 * not reported for backups it had no chance to make yet.
 */
int backup_sched_overdue(const struct server *srv);

/* Append the backup metrics (Prometheus text) to b. */
void backup_sched_metrics(const struct server *srv, struct buf *b);

#endif
