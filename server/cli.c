/*
 * cli.c — argument parsing shared by every sub-command (see cli.h).
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "util.h"

static const char *config_file_arg(int argc, char **argv, int first)
{
	for (int i = first; i < argc; i++) {
		if (!strcmp(argv[i], "--config"))
			return i + 1 < argc ? argv[i + 1] : "";
		if (!strncmp(argv[i], "--config=", 9))
			return argv[i] + 9;
	}
	return NULL;
}

int cli_parse(int argc, char **argv, int first, struct config *cfg, const char **pos, int *npos,
	      int maxpos, const char *const *own, const char **own_values)
{
	char err[512];
	const char *file = config_file_arg(argc, argv, first);

	*npos = 0;
	for (int k = 0; own && own[k]; k++)
		own_values[k] = NULL;
	if (file) {
		if (!*file) {
			fprintf(stderr, "hearth: --config needs a file\n");
			return CLI_USAGE;
		}
		if (config_load_file(cfg, file, err, sizeof err)) {
			fprintf(stderr, "hearth: %s\n", err);
			return CLI_USAGE;
		}
	}
	for (int i = first; i < argc; i++) {
		char flag[64];
		const char *a = argv[i], *value = NULL, *eq;
		int rc, k;

		if (strncmp(a, "--", 2) || !a[2]) {
			if (*npos == maxpos) {
				fprintf(stderr, "hearth: unexpected argument '%s'\n", a);
				return CLI_USAGE;
			}
			pos[(*npos)++] = a;
			continue;
		}
		a += 2;
		eq = strchr(a, '=');
		snprintf(flag, sizeof flag, "%.*s", (int)(eq ? (size_t)(eq - a) : strlen(a)), a);
		if (eq)
			value = eq + 1;
		if (!strcmp(flag, "config")) {
			if (!eq)
				i++;
			continue;
		}
		for (k = 0; own && own[k] && strcmp(own[k], flag); k++)
			;
		if (!value && config_flag_is_switch(flag))
			value = "true";
		if (!value) {
			if (i + 1 >= argc) {
				fprintf(stderr, "hearth: --%s needs a value\n", flag);
				return CLI_USAGE;
			}
			value = argv[++i];
		}
		if (own && own[k]) {
			own_values[k] = value;
			continue;
		}
		rc = config_apply_flag(cfg, flag, value, err, sizeof err);
		if (rc < 0) {
			fprintf(stderr, "hearth: %s\n", err);
			return CLI_USAGE;
		}
		if (rc == 0) {
			fprintf(stderr, "hearth: unknown option --%s (see hearth --help)\n", flag);
			return CLI_USAGE;
		}
	}
	if (config_check(cfg, err, sizeof err)) {
		fprintf(stderr, "hearth: %s\n", err);
		return CLI_USAGE;
	}
	return CLI_OK;
}

struct store *cli_open_store(const struct config *cfg)
{
	struct store_opts so = {0};
	struct store *st = NULL;
	char err[512], *path = xasprintf("%s/hearth.db", cfg->data_dir);

	so.path = path;
	so.synchronous = cfg->synchronous;
	so.batch_max = cfg->batch_max;
	so.queue_max = cfg->queue_max;
	if (mkdir_p(cfg->data_dir, 0700) || store_open(&st, &so, err, sizeof err)) {
		fprintf(stderr, "hearth: %s\n", st ? "" : err);
		st = NULL;
	}
	free(path);
	return st;
}

struct store *cli_open_existing_store(const struct config *cfg)
{
	char *db = xasprintf("%s/hearth.db", cfg->data_dir);
	int missing = access(db, F_OK) != 0;

	if (missing)
		fprintf(stderr, "hearth: there is no database at %s\n", db);
	free(db);
	return missing ? NULL : cli_open_store(cfg);
}
