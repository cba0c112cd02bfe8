/*
 * transcripts_cli.h — `hearth export transcript|research` and
 * `hearth verify transcripts` (see transcripts_cli.c). Each returns the
 * process exit status (CLI_OK, CLI_FAIL or CLI_USAGE).
 */
#ifndef HEARTH_TRANSCRIPTS_CLI_H
#define HEARTH_TRANSCRIPTS_CLI_H

int trs_cli_export(int argc, char **argv);
/* `verify transcripts`; any other `verify` goes on to ops_cli_verify(). */
int trs_cli_verify(int argc, char **argv);

#endif
