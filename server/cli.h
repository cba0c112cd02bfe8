/*
 * cli.h — shared parsing for `hearth` sub-commands: every command accepts
 * --config FILE and the config flags (--data DIR, …) so it works on the
 * same data folder as the server.
 */
#ifndef HEARTH_CLI_H
#define HEARTH_CLI_H

#include "config.h"

/* Exit statuses of the CLI. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/*
 * Parse argv[first..] into cfg (defaults, then --config FILE, then flags in
 * order). Arguments that are not flags are collected, in order, into
 * pos[0..*npos) (borrowed from argv). Extra command flags that take a
 * value (e.g. "role", "format") may be listed in `own` and are returned in
 * own_values[i] (borrowed; NULL if absent). Returns CLI_OK or CLI_USAGE
 * after printing the problem.
 */
int cli_parse(int argc, char **argv, int first, struct config *cfg, const char **pos, int *npos,
	      int maxpos, const char *const *own, const char **own_values);

/* Open the store of cfg's data folder synchronously (for CLI commands). NULL after
 * printing why. */
struct store *cli_open_store(const struct config *cfg);
/* The same, but only if the database exists: a command that reads or checks
 * it must not create one for a mistyped --data. NULL after printing why. */
struct store *cli_open_existing_store(const struct config *cfg);

#endif
