/*
 * mail_purge.c — retention of the outbox and the spool (see mail.h):
 * apart from mail.c so that the purge links without the sender.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mail.h"
#include "util.h"

int mail_purge_done(struct store_tx *tx, int64_t now, int64_t *deleted)
{
	sqlite3_stmt *st = store_stmt(tx, "DELETE FROM mail_outbox WHERE next_attempt_at IS NULL"
					  " AND coalesce(sent_at, created_at) < ?");
	int rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, now - MAIL_KEEP_DONE_MS);
	rc = store_check(tx, sqlite3_step(st), "mail_purge");
	sqlite3_reset(st);
	if (rc == 0 && deleted)
		*deleted += sqlite3_changes(store_db(tx));
	return rc;
}

/* The time in a spool file's name (<UTC stamp>-<id>.eml), or -1 if it is not one. */
static int64_t spool_name_time(const char *name)
{
	struct tm tm;
	const char *rest;
	size_t len = strlen(name);

	if (len < 5 || strcmp(name + len - 4, ".eml"))
		return -1;
	memset(&tm, 0, sizeof tm);
	rest = strptime(name, "%Y%m%dT%H%M%SZ-", &tm);
	if (!rest || !*rest)
		return -1;
	return (int64_t)timegm(&tm) * 1000;
}

int mail_spool_prune(const char *data_dir, int64_t now, int64_t *removed)
{
	char *dir = xasprintf("%s/mail", data_dir);
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0;

	free(dir);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	while ((e = readdir(d))) {
		int64_t t = spool_name_time(e->d_name);

		if (t < 0 || t >= now - MAIL_KEEP_DONE_MS)
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0) {
			if (removed)
				(*removed)++;
		} else if (errno != ENOENT) {
			rc = -1;
		}
	}
	closedir(d);
	return rc;
}
