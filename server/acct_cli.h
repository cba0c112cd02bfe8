/*
 * acct_cli.h — `hearth user …` (see acct_cli.c).
 */
#ifndef HEARTH_ACCT_CLI_H
#define HEARTH_ACCT_CLI_H

int acct_cli(int argc, char **argv);

#endif
