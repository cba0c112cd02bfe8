/*
 * ops_cli.c — the operator's commands on a data folder:
 *
 *   hearth backup FILE [--force]   a consistent copy of the database, taken
 *                                  with its own read-only connection: safe
 *                                  while the server runs and writes
 *   hearth restore FILE            put a backup in place; only while no
 *                                  server runs on the folder; audit-logged
 *                                  in the restored database
 *   hearth verify audit            walk the audit log's hash chain
 *
 * Each also takes --data DIR / --config FILE like every command.
 */
#include "ops_cli.h"

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "backup.h"
#include "cli.h"
#include "store.h"
#include "util.h"

/*
 * Parse argv[2..] like every command, with up to maxpos arguments.
 * `--force` is taken out first when force is not NULL (cli_parse's own
 * flags all take a value).
 */
static int parse(int argc, char **argv, struct config *cfg, const char **pos, int *npos, int maxpos,
		 int *force)
{
	char **args = xcalloc((size_t)argc + 1, sizeof *args);
	int n = 0, rc;

	for (int i = 0; i < argc; i++) {
		if (force && i >= 2 && !strcmp(argv[i], "--force")) {
			*force = 1;
			continue;
		}
		args[n++] = argv[i];
	}
	config_defaults(cfg);
	rc = cli_parse(n, args, 2, cfg, pos, npos, maxpos, NULL, NULL);
	free(args); /* pos[] points into argv's strings, not into args */
	if (rc)
		config_free(cfg);
	return rc;
}

/* 1 when path's folder is the data folder itself (where the live files are). */
static int in_data_top(const char *path, const char *data_dir)
{
	char a[PATH_MAX], b[PATH_MAX], *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int same;

	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	same = realpath(slash ? dir : ".", a) && realpath(data_dir, b) && !strcmp(a, b);
	free(dir);
	return same;
}

int ops_cli_backup(int argc, char **argv)
{
	struct config cfg;
	const char *pos[1];
	char err[512], *db;
	struct stat st;
	int npos, force = 0, rc;

	rc = parse(argc, argv, &cfg, pos, &npos, 1, &force);
	if (rc)
		return rc;
	if (npos != 1) {
		fprintf(stderr, "usage: hearth backup FILE [--force] [--data DIR]\n");
		config_free(&cfg);
		return CLI_USAGE;
	}
	if (in_data_top(pos[0], cfg.data_dir)) {
		fprintf(stderr,
			"hearth: write the backup outside the data folder's top level "
			"(%s/%s/ or another disk)\n",
			cfg.data_dir, BACKUP_DIR);
		config_free(&cfg);
		return CLI_USAGE;
	}
	db = xasprintf("%s/hearth.db", cfg.data_dir);
	rc = backup_copy(db, pos[0], force, err, sizeof err);
	if (rc) {
		fprintf(stderr, "hearth: %s%s\n", err,
			rc == BACKUP_EEXIST ? " (use --force to replace it)" : "");
		rc = rc == BACKUP_EEXIST ? CLI_USAGE : CLI_FAIL;
	} else {
		printf("backup of %s written to %s (%lld bytes)\n", db, pos[0],
		       stat(pos[0], &st) ? 0LL : (long long)st.st_size);
		printf("the field key %s/keys/field.key is not in it: keep a separate copy\n",
		       cfg.data_dir);
		rc = CLI_OK;
	}
	free(db);
	config_free(&cfg);
	return rc;
}

static int restore_fn(struct store_tx *tx, void *arg)
{
	return audit_append(tx, AUDIT_SYSTEM, "restore", NULL, 0, arg);
}

/*
 * The restored database's own log says that it was restored, and from
 * which file (its audit rows end at the backup; this row is the seam).
 * Opening it also applies any migrations, as `hearth serve` would.
 */
static void record_restore(const struct config *cfg, const char *file)
{
	const char *base = strrchr(file, '/');
	json_t *d = json_pack("{s:s}", "file", base ? base + 1 : file);
	char *detail = d ? json_dumps(d, JSON_COMPACT) : NULL;
	struct store *st = detail ? cli_open_store(cfg) : NULL;

	if (!st || store_run(st, restore_fn, detail))
		fprintf(stderr, "hearth: warning: the restore could not be recorded in the "
				"audit log\n");
	store_free(st);
	free(detail);
	json_decref(d);
}

int ops_cli_restore(int argc, char **argv)
{
	struct config cfg;
	const char *pos[1];
	char err[512], aside[PATH_MAX + 64], *key;
	int npos, fd = -1, rc;

	rc = parse(argc, argv, &cfg, pos, &npos, 1, NULL);
	if (rc)
		return rc;
	if (npos != 1) {
		fprintf(stderr, "usage: hearth restore FILE [--data DIR]\n");
		config_free(&cfg);
		return CLI_USAGE;
	}
	rc = mkdir_p(cfg.data_dir, 0700);
	if (rc) {
		fprintf(stderr, "hearth: cannot create data folder %s: %s\n", cfg.data_dir,
			strerror(-rc));
		config_free(&cfg);
		return CLI_FAIL;
	}
	/* held until the new database is in place: no server may start meanwhile */
	rc = backup_lock_data_dir(cfg.data_dir, &fd, err, sizeof err);
	if (rc) {
		fprintf(stderr, "hearth: %s%s\n", err,
			rc == BACKUP_ELOCKED ? "; stop it before restoring" : "");
		config_free(&cfg);
		return CLI_FAIL;
	}
	rc = backup_restore(cfg.data_dir, pos[0], aside, sizeof aside, err, sizeof err);
	if (rc == 0)
		record_restore(&cfg, pos[0]);
	close(fd); /* the server may start from here on */
	if (rc) {
		fprintf(stderr, "hearth: cannot restore: %s\n", err);
		config_free(&cfg);
		return CLI_FAIL;
	}
	printf("restored %s into %s/hearth.db\n", pos[0], cfg.data_dir);
	if (aside[0])
		printf("the previous database is kept as %s\n", aside);
	key = xasprintf("%s/keys/field.key", cfg.data_dir);
	if (access(key, F_OK))
		printf("warning: %s is missing: put back the field key kept with this backup "
		       "before starting hearth, or GP details and screening answers cannot be "
		       "read\n",
		       key);
	free(key);
	config_free(&cfg);
	return CLI_OK;
}

struct verify {
	int64_t rows, bad;
	char why[256];
};

static int verify_fn(struct store_tx *tx, void *arg)
{
	struct verify *v = arg;
	sqlite3_stmt *st = store_stmt(tx, "SELECT count(*) FROM audit_log");

	if (!st)
		return STORE_EIO;
	if (sqlite3_step(st) == SQLITE_ROW)
		v->rows = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	v->bad = audit_verify(tx, v->why, sizeof v->why);
	return 0;
}

int ops_cli_verify(int argc, char **argv)
{
	struct config cfg;
	struct verify v = {0};
	struct store *st;
	const char *pos[1];
	int npos, rc;

	rc = parse(argc, argv, &cfg, pos, &npos, 1, NULL);
	if (rc)
		return rc;
	if (npos != 1 || strcmp(pos[0], "audit")) {
		fprintf(stderr, "usage: hearth verify audit|transcripts [--data DIR]\n");
		config_free(&cfg);
		return CLI_USAGE;
	}
	st = cli_open_existing_store(&cfg);
	if (!st) {
		config_free(&cfg);
		return CLI_FAIL;
	}
	rc = store_run_read(st, verify_fn, &v);
	store_free(st);
	config_free(&cfg);
	if (rc || v.bad < 0) {
		fprintf(stderr, "hearth: cannot read the audit log%s%s\n", v.bad < 0 ? ": " : "",
			v.bad < 0 ? v.why : "");
		return CLI_FAIL;
	}
	if (v.bad > 0) {
		printf("audit log BROKEN at row %lld: %s\n", (long long)v.bad, v.why);
		return CLI_FAIL;
	}
	printf("audit log intact (%lld rows)\n", (long long)v.rows);
	return CLI_OK;
}
