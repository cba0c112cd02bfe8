/*
 * groups_cli.h — `hearth group add|list`.
 */
#ifndef HEARTH_GROUPS_CLI_H
#define HEARTH_GROUPS_CLI_H

/* The `group` sub-command; returns the exit status (CLI_OK, CLI_FAIL, CLI_USAGE). */
int groups_cli(int argc, char **argv);

#endif
