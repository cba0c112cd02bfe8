/*
 * ops_cli.h — `hearth backup`, `hearth restore`, `hearth verify` (see ops_cli.c).
 * Each returns the process exit status (CLI_OK, CLI_FAIL or CLI_USAGE).
 */
#ifndef HEARTH_OPS_CLI_H
#define HEARTH_OPS_CLI_H

int ops_cli_backup(int argc, char **argv);
int ops_cli_restore(int argc, char **argv);
int ops_cli_verify(int argc, char **argv);

#endif
