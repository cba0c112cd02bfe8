/*
 * bench_cli.h — `hearth bench-setup`: the data a benchmark run needs
 * (bench/hearth-bench), made in one transaction before the run so that
 * setting up is never timed.
 */
#ifndef HEARTH_BENCH_CLI_H
#define HEARTH_BENCH_CLI_H

/* The `bench-setup` sub-command; returns the exit status (CLI_OK, CLI_FAIL, CLI_USAGE). */
int bench_cli(int argc, char **argv);

#endif
