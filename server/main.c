/*
 * main.c — the `hearth` command: one binary, a sub-command per job.
 * Each sub-command lives with its module; this file only dispatches.
 */
#include <stdio.h>
#include <string.h>

#include "acct_cli.h"
#include "cli.h"
#include "hearth_build.h"
#include "server.h"

static int cmd_serve(int argc, char **argv);

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
};

static const struct command commands[] = {
	{"serve", cmd_serve,
	 "serve [--config FILE] [--listen ADDR:PORT] [--data DIR] [--demo] [--testing] …"},
	/* -- commands -- */
	{"user", acct_cli,
	 "user add USERNAME --role ROLE [--password-file F] [--email E] [--display-name N]\n"
	 "  hearth user passwd USERNAME [--password-file F]\n"
	 "  hearth user role USERNAME member|facilitator|manager"},
};

static void usage(FILE *out)
{
	fprintf(out, "Hearth %s — facilitated online support groups\n\nUsage:\n", HEARTH_VERSION);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  hearth %s\n", commands[i].usage);
	fprintf(out, "  hearth --version\n  hearth --help\n\n");
	config_print_help(out);
}

static int cmd_serve(int argc, char **argv)
{
	static struct server srv;
	const char *pos[1];
	int npos, rc;

	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fprintf(stdout, "Usage: hearth %s\n\n", commands[0].usage);
			config_print_help(stdout);
			return CLI_OK;
		}
	config_defaults(&srv.cfg);
	rc = cli_parse(argc, argv, 2, &srv.cfg, pos, &npos, 0, NULL, NULL);
	if (rc) {
		config_free(&srv.cfg);
		return rc;
	}
	rc = server_init(&srv);
	if (rc == 0)
		rc = server_run(&srv);
	server_free(&srv);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("hearth %s\n", HEARTH_VERSION);
		return CLI_OK;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return CLI_OK;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc, argv);
	fprintf(stderr, "hearth: unknown command '%s' (see hearth --help)\n", argv[1]);
	return CLI_USAGE;
}
