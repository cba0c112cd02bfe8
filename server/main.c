/*
 * main.c — the `hearth` command: one binary, a sub-command per job.
 * Each sub-command lives with its module; this file only dispatches.
 *
 * A command's usage text is its synopsis line(s), then lines indented by
 * six spaces saying what it does; `hearth --help` prints them all and
 * `hearth CMD --help` its own. A new command must also be documented in
 * doc/hearth.1.
 */
#include <stdio.h>
#include <string.h>

#include "acct_cli.h"
#include "bench_cli.h"
#include "groups_cli.h"
#include "ops_cli.h"
#include "retention.h"
#include "cli.h"
#include "hearth_build.h"
#include "server.h"
#include "transcripts_cli.h"

static int cmd_serve(int argc, char **argv);

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
};

static const struct command commands[] = {
	{"serve", cmd_serve,
	 "serve [--config FILE] [--listen ADDR:PORT] [--data DIR] [--demo] [--testing]\n"
	 "        [--SETTING VALUE …]\n"
	 "      run the server in the foreground until SIGINT or SIGTERM; one server per\n"
	 "      data folder (it holds DATA/hearth.lock); see hearth serve --help"},
	/* -- commands -- */
	{"purge", retention_cli,
	 "purge\n"
	 "      delete personal data past its time now (the server also does it daily): GP\n"
	 "      details, screening answers and notes [retention] screening_years after a\n"
	 "      membership or application ended, and expired log-in sessions; audited"},
	{"bench-setup", bench_cli, "bench-setup --rooms N [--fast-hash] [--minutes M] [--out FILE]\n"
	 "      make N rooms (a group of 8 members and a facilitator, its session open now)\n"
	 "      and print their log-ins as JSON for bench/hearth-bench; --fast-hash uses a\n"
	 "      low password cost, for benchmark data folders only"},
	{"export", trs_cli_export,
	 "export transcript SESSION_ID [--format json|md|html|txt] [--out FILE]\n"
	 "  hearth export research --out FILE [--group ID] [--since YYYY-MM-DD]\n"
	 "      write one sealed transcript (checked against its seal; standard output by\n"
	 "      default), or the anonymised research export as JSON Lines; both audited"},
	{"verify", trs_cli_verify, /* before ops' verify: hands it everything but transcripts */
	 "verify transcripts\n"
	 "      recompute every transcript's seal: exit 0 if all are intact, 1 naming each\n"
	 "      transcript that was changed after it was sealed"},
	{"group", groups_cli,
	 "group add NAME --category C --timezone ZONE --weekday DAY --start HH:MM\n"
	 "        --cycle-start YYYY-MM-DD [--duration MIN] [--cycle-weeks 12|15]\n"
	 "        [--intake-close-weeks N] [--hiatus-weeks N] [--capacity N]\n"
	 "        [--description TEXT] [--facilitators USER,USER] [--questions-file FILE]\n"
	 "  hearth group list\n"
	 "      set up a group (C: patient, caregiver, bereaved, workshop; ZONE an IANA name;\n"
	 "      questions one per line) or list the groups with members and next session"},
	{"backup", ops_cli_backup,
	 "backup FILE [--force]\n"
	 "      copy the database to FILE as one consistent snapshot; safe while the server\n"
	 "      runs; --force replaces an existing FILE; DATA/keys/field.key is not copied"},
	{"restore", ops_cli_restore,
	 "restore FILE\n"
	 "      replace the database with the backup FILE after checking it; refused while a\n"
	 "      server runs on the data folder; the old database is kept beside it"},
	{"verify", ops_cli_verify,
	 "verify audit\n"
	 "      check the audit log's hash chain: exit 0 if intact, 1 naming the first bad row"},
	{"user", acct_cli,
	 "user add USERNAME [--role ROLE] [--password-file F] [--email E] [--display-name N]\n"
	 "  hearth user passwd USERNAME [--password-file F]\n"
	 "  hearth user role USERNAME member|facilitator|manager\n"
	 "      add an account, set its password (from F's first line, else standard input;\n"
	 "      this ends its sessions) or change its role (ROLE: member, facilitator, manager)"},
};

static const char common_flags[] =
	"Every command takes --config FILE and the flag of every setting (above all\n"
	"--data DIR), so that it works on the same data folder as the server.\n"
	"Exit status: 0 done, 1 failed, 2 bad usage.\n";

static void usage(FILE *out)
{
	fprintf(out, "Hearth %s — facilitated online support groups\n\nUsage:\n", HEARTH_VERSION);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  hearth %s\n", commands[i].usage);
	fprintf(out, "  hearth --version\n      print the version\n"
		     "  hearth --help\n      print this text (hearth COMMAND --help: one command)\n\n");
	fputs(common_flags, out);
	fprintf(out, "hearth serve --help lists every setting; the manual page hearth(1) says more.\n");
}

/* `hearth NAME --help`: every entry of that name (verify has several); serve
 * also lists every setting. */
static void command_usage(const char *name)
{
	int serve = !strcmp(name, "serve");

	printf("Usage:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(commands[i].name, name))
			printf("  hearth %s\n", commands[i].usage);
	printf("\n");
	if (serve) {
		printf("Settings come from the defaults, then the INI file given by --config, then\n"
		       "flags. A key in [server] has the flag --KEY; any other --SECTION-KEY with _\n"
		       "written as -. A flag's value may follow it or be joined with =.\n\n");
		config_print_help(stdout);
	} else {
		fputs(common_flags, stdout);
		printf("hearth serve --help lists every setting.\n");
	}
}

static int wants_help(int argc, char **argv)
{
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	return 0;
}

static int cmd_serve(int argc, char **argv)
{
	static struct server srv;
	const char *pos[1];
	int npos, rc;

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
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		if (wants_help(argc, argv)) {
			command_usage(commands[i].name);
			return CLI_OK;
		}
		return commands[i].run(argc, argv);
	}
	fprintf(stderr, "hearth: unknown command '%s' (see hearth --help)\n", argv[1]);
	return CLI_USAGE;
}
