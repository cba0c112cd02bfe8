/*
 * demo.h — seeding a demonstration group for `hearth serve --demo`.
 */
#ifndef HEARTH_DEMO_H
#define HEARTH_DEMO_H

struct server;

/* On a data folder without accounts: seed the demo and print its log-ins.
 * 0 (also when skipped), or -1 after printing why. Before the loop runs. */
int demo_seed(struct server *srv);

#endif
